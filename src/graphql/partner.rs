//! Partners and their partnership milestones.

use super::auth::{write, Allow};
use crate::service::auth::Access;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, Utc};
use entity::{partner as partner_entity, partnership_milestone};

use super::loaders::{self, loaders, many, one};
use super::ordering::PartnerOrder;
use super::{
    connection, cycle::ProgrammeCycle, db, enums::Framework, officer::Officer, page_request,
    parse_id, patch, scalars::Date, Conn,
};
use crate::{
    error::Result,
    service::{self, partner::PartnerKey},
};

/// A partner nation (not an Ally) cooperating with NATO.
pub struct Partner(pub partner_entity::Model);

impl From<partner_entity::Model> for Partner {
    fn from(model: partner_entity::Model) -> Self {
        Partner(model)
    }
}

#[Object]
impl Partner {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// ISO 3166 alpha-3 code, e.g. TKM.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Name of the nation.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Notes, e.g. a policy of permanent neutrality.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// Version for optimistic concurrency: pass it back when updating.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Its points of contact, in creation order (names and channels per the reader's role).
    async fn points_of_contact(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::contact::PointOfContact>> {
        super::contact::contacts_of(
            ctx,
            crate::service::contact::ContactLink::Partner(self.0.id),
        )
        .await
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Milestones of the relationship, oldest first.
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<PartnershipMilestone>> {
        let rows = many(&loaders(ctx)?.milestones_by_partner, self.0.id).await?;
        Ok(rows.into_iter().map(PartnershipMilestone).collect())
    }
    /// Programme cycles, oldest first.
    async fn cycles(&self, ctx: &Context<'_>) -> Result<Vec<ProgrammeCycle>> {
        let rows = many(&loaders(ctx)?.cycles_by_partner, self.0.id).await?;
        Ok(rows.into_iter().map(ProgrammeCycle).collect())
    }
    /// The ACTIVE cycle, if any.
    async fn active_cycle(&self, ctx: &Context<'_>) -> Result<Option<ProgrammeCycle>> {
        let rows = many(&loaders(ctx)?.active_cycle_by_partner, self.0.id).await?;
        Ok(rows.into_iter().next().map(ProgrammeCycle))
    }
    /// The partner's officers.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn officers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<Conn<Officer>> {
        let req = page_request(ctx, first, after, last, before)?;
        // Backward pages are rare here and are answered per parent; forward pages are batched.
        let page = if req.last.is_some() || req.before.is_some() {
            let filter = service::officer::OfficerFilter {
                partner_id: Some(self.0.id),
                ..Default::default()
            };
            service::officer::list(&db(ctx)?.conn, filter, &req).await?
        } else {
            loaders::page(
                &loaders(ctx)?.officers_by_partner,
                loaders::page_key(self.0.id, &req)?,
            )
            .await?
        };
        Ok(connection(page, |m| m.id, Officer))
    }
}

/// A dated step of a partner's relations with NATO (joined NACC, PfP, SPS, ...).
pub struct PartnershipMilestone(pub partnership_milestone::Model);

#[Object]
impl PartnershipMilestone {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Framework the step belongs to.
    async fn framework(&self) -> Framework {
        self.0.framework.into()
    }
    /// Day it happened.
    async fn occurred_on(&self) -> Date {
        self.0.occurred_on.into()
    }
    /// What happened.
    async fn description(&self) -> &str {
        &self.0.description
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
}

/// A new partner.
#[derive(InputObject)]
pub struct CreatePartnerInput {
    /// ISO 3166 alpha-3 code (three letters, unique).
    pub code: String,
    /// Name of the nation.
    pub name: String,
    /// Free notes.
    pub notes: Option<String>,
}

/// Changes to a partner; absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdatePartnerInput {
    /// The partner.
    pub id: ID,
    /// The version you read (STALE_VERSION if it changed since).
    pub version: i32,
    /// New name.
    pub name: Option<String>,
    /// New notes (null clears them).
    pub notes: MaybeUndefined<String>,
}

/// A new milestone.
#[derive(InputObject)]
pub struct CreatePartnershipMilestoneInput {
    /// The partner.
    pub partner_id: ID,
    /// Framework.
    pub framework: Framework,
    /// Day it happened (YYYY-MM-DD).
    pub occurred_on: Date,
    /// What happened.
    pub description: String,
}

/// Changes to a milestone.
#[derive(InputObject)]
pub struct UpdatePartnershipMilestoneInput {
    /// The milestone.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New framework.
    pub framework: Option<Framework>,
    /// New day.
    pub occurred_on: Option<Date>,
    /// New description.
    pub description: Option<String>,
}

#[derive(Default)]
pub struct PartnerQuery;

#[Object]
impl PartnerQuery {
    /// One partner, by id or by ISO code.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner's id.")] id: Option<ID>,
        #[graphql(desc = "The partner's ISO 3166 alpha-3 code.")] code: Option<String>,
    ) -> Result<Partner> {
        let conn = &db(ctx)?.conn;
        let key = match (&id, &code) {
            (Some(id), None) => PartnerKey::Id(parse_id("partner", id)?),
            (None, Some(code)) => PartnerKey::Code(code),
            _ => {
                return Err(crate::error::AppError::invalid(
                    "id",
                    "give either id or code",
                ))
            }
        };
        let model = match key {
            PartnerKey::Id(id) => service::partner::get(conn, id).await?,
            PartnerKey::Code(code) => service::partner::by_code(conn, code).await?,
        };
        Ok(model.into())
    }

    /// Partners, in creation order unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Search in names and codes (at most 200 characters; `%` and `_` match themselves)."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
        #[graphql(desc = "Order of the list (default: by id, ascending).")] order_by: Option<
            PartnerOrder,
        >,
    ) -> Result<Conn<Partner>> {
        let req = page_request(ctx, first, after, last, before)?;
        let page = service::partner::list(
            &db(ctx)?.conn,
            service::partner::PartnerFilter {
                search,
                order: order_by.into(),
            },
            &req,
        )
        .await?;
        Ok(connection(page, |m| m.id, Partner::from))
    }

    /// One milestone.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn partnership_milestone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<PartnershipMilestone> {
        let id = parse_id("partnership milestone", &id)?;
        Ok(PartnershipMilestone(
            service::milestone::get(&db(ctx)?.conn, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct PartnerMutation;

#[Object]
impl PartnerMutation {
    /// Records a partner nation.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        input: CreatePartnerInput,
    ) -> Result<Partner> {
        let new = service::partner::NewPartner {
            code: input.code,
            name: input.name,
            notes: input.notes,
        };
        write(ctx, |txn| async move {
            Ok((None, service::partner::create(&*txn, new).await?))
        })
        .await
        .map(Partner::from)
    }

    /// Changes a partner.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_partner(
        &self,
        ctx: &Context<'_>,
        input: UpdatePartnerInput,
    ) -> Result<Partner> {
        let id = parse_id("partner", &input.id)?;
        let changes = service::partner::PartnerChanges {
            name: input.name,
            notes: patch(input.notes),
        };
        write(ctx, |txn| async move {
            let before = service::partner::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::partner::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(Partner::from)
    }

    /// Records a milestone of a partner's relations.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn create_partnership_milestone(
        &self,
        ctx: &Context<'_>,
        input: CreatePartnershipMilestoneInput,
    ) -> Result<PartnershipMilestone> {
        let new = service::milestone::NewMilestone {
            partner_id: parse_id("partner", &input.partner_id)?,
            framework: input.framework.into(),
            occurred_on: input.occurred_on.into(),
            description: input.description,
        };
        write(ctx, |txn| async move {
            Ok((None, service::milestone::create(&*txn, new).await?))
        })
        .await
        .map(PartnershipMilestone)
    }

    /// Changes a milestone.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_partnership_milestone(
        &self,
        ctx: &Context<'_>,
        input: UpdatePartnershipMilestoneInput,
    ) -> Result<PartnershipMilestone> {
        let id = parse_id("partnership milestone", &input.id)?;
        let changes = service::milestone::MilestoneChanges {
            framework: input.framework.map(Into::into),
            occurred_on: input.occurred_on.map(Into::into),
            description: input.description,
        };
        write(ctx, |txn| async move {
            let before = service::milestone::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::milestone::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(PartnershipMilestone)
    }
}
