//! Officers of partner nations. Personal data.

use super::auth::{sees_personal_data, write, Allow};
use crate::service::auth::Access;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use entity::officer;

use super::loaders::{self, loaders, one};
use super::{
    connection, db, enrollment::Enrollment, enums::Service, page_request, parse_id,
    partner::Partner, patch, Conn,
};
use crate::{error::Result, service};

/// A person of a partner's services nominated to courses. Personal data.
#[derive(Clone)]
pub struct Officer(pub officer::Model);

#[Object]
impl Officer {
    /// Opaque identifier (also the pseudonymous id in aggregates).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Family name. Personal data: null unless the caller may see it (ADMIN, PROGRAMME_OFFICER).
    async fn family_name(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_personal_data(ctx).then_some(self.0.family_name.as_str())
    }
    /// Given name. Personal data: null unless the caller may see it (ADMIN, PROGRAMME_OFFICER).
    async fn given_name(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_personal_data(ctx).then_some(self.0.given_name.as_str())
    }
    /// Rank.
    async fn rank(&self) -> &str {
        &self.0.rank
    }
    /// Service.
    async fn service(&self) -> Service {
        self.0.service.into()
    }
    /// Position held. Personal data: null unless the caller may see it.
    async fn position(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0
            .position
            .as_deref()
            .filter(|_| sees_personal_data(ctx))
    }
    /// STANAG 6001 language profile. Personal data: null unless the caller may see it.
    async fn slp(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.slp.as_deref().filter(|_| sees_personal_data(ctx))
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The partner.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Partner> {
        Ok(one(&loaders(ctx)?.partner, "partner", self.0.partner_id)
            .await?
            .into())
    }
    /// The officer's enrollments.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> Result<Conn<Enrollment>> {
        let req = page_request(ctx, first, after, None, None)?;
        let key = loaders::page_key(self.0.id, &req)?;
        let page = loaders::page(&loaders(ctx)?.enrollments_by_officer, key).await?;
        Ok(connection(page, |m| m.id, Enrollment::from))
    }
}

/// A new officer.
#[derive(InputObject)]
pub struct CreateOfficerInput {
    /// The partner whose services the officer belongs to.
    pub partner_id: ID,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Rank.
    pub rank: String,
    /// Service.
    pub service: Service,
    /// Position.
    pub position: Option<String>,
    /// STANAG 6001 profile, e.g. 3321 or 2+2+11.
    pub slp: Option<String>,
}

/// Changes to an officer.
#[derive(InputObject)]
pub struct UpdateOfficerInput {
    /// The officer.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New family name.
    pub family_name: Option<String>,
    /// New given name.
    pub given_name: Option<String>,
    /// New rank.
    pub rank: Option<String>,
    /// New service.
    pub service: Option<Service>,
    /// New position (null clears it).
    pub position: MaybeUndefined<String>,
    /// New language profile (null clears it).
    pub slp: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct OfficerQuery;

#[Object]
impl OfficerQuery {
    /// One officer.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn officer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<Officer> {
        let id = parse_id("officer", &id)?;
        Ok(Officer(service::officer::get(&db(ctx)?.conn, id).await?))
    }

    /// Officers, in creation order.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn officers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this partner's.")] partner_id: Option<ID>,
        #[graphql(desc = "Only this service.")] service: Option<Service>,
        #[graphql(desc = "Only this rank.")] rank: Option<String>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<Conn<Officer>> {
        let req = page_request(ctx, first, after, last, before)?;
        let filter = service::officer::OfficerFilter {
            partner_id: partner_id
                .as_ref()
                .map(|id| parse_id("partner", id))
                .transpose()?,
            service: service.map(Into::into),
            rank,
        };
        let page = service::officer::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, Officer))
    }
}

#[derive(Default)]
pub struct OfficerMutation;

#[Object]
impl OfficerMutation {
    /// Records an officer.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn create_officer(
        &self,
        ctx: &Context<'_>,
        input: CreateOfficerInput,
    ) -> Result<Officer> {
        let new = service::officer::NewOfficer {
            partner_id: parse_id("partner", &input.partner_id)?,
            family_name: input.family_name,
            given_name: input.given_name,
            rank: input.rank,
            service: input.service.into(),
            position: input.position,
            slp: input.slp,
        };
        write(ctx, |txn| async move {
            Ok((None, service::officer::create(&*txn, new).await?))
        })
        .await
        .map(Officer)
    }

    /// Changes an officer.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_officer(
        &self,
        ctx: &Context<'_>,
        input: UpdateOfficerInput,
    ) -> Result<Officer> {
        let id = parse_id("officer", &input.id)?;
        let changes = service::officer::OfficerChanges {
            family_name: input.family_name,
            given_name: input.given_name,
            rank: input.rank,
            service: input.service.map(Into::into),
            position: patch(input.position),
            slp: patch(input.slp),
        };
        write(ctx, |txn| async move {
            let before = service::officer::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::officer::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(Officer)
    }
}
