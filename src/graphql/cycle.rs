//! Programme cycles: the two-year IPCP periods (or other kinds) and their lifecycle.

use super::auth::{write, Allow};
use crate::service::auth::Access;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, Utc};
use entity::{enums::CycleStatus as DbCycleStatus, programme_cycle};

use super::ordering::ProgrammeCycleOrder;
use super::{
    activity::Activity,
    connection, db,
    enums::{CycleStatus, ProgrammeKind},
    loaders::{self, loaders, many, one},
    objective::Objective,
    page_request, parse_id,
    partner::Partner,
    patch,
    scalars::Date,
    Conn,
};
use crate::{error::Result, service};

/// One period of a partner's programme (an IPCP is renewed every two years).
pub struct ProgrammeCycle(pub programme_cycle::Model);

#[Object]
impl ProgrammeCycle {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Kind of programme document.
    async fn kind(&self) -> ProgrammeKind {
        self.0.kind.into()
    }
    /// First day (inclusive).
    async fn start_date(&self) -> Date {
        self.0.start_date.into()
    }
    /// Last day (inclusive).
    async fn end_date(&self) -> Date {
        self.0.end_date.into()
    }
    /// Lifecycle status.
    async fn status(&self) -> CycleStatus {
        self.0.status.into()
    }
    /// Day the North Atlantic Council approved it.
    async fn nac_approved_on(&self) -> Option<Date> {
        self.0.nac_approved_on.map(Date)
    }
    /// Day the partner approved it.
    async fn partner_approved_on(&self) -> Option<Date> {
        self.0.partner_approved_on.map(Date)
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Days from today until the cycle ends and its renewal is due (negative once past); null unless
    /// the cycle is APPROVED or ACTIVE.
    async fn days_until_renewal(&self) -> Option<i64> {
        matches!(
            self.0.status,
            DbCycleStatus::Approved | DbCycleStatus::Active
        )
        .then(|| (self.0.end_date - Utc::now().date_naive()).num_days())
    }
    /// The partner.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Partner> {
        let l = loaders(ctx)?;
        Ok(one(&l.partner, "partner", self.0.partner_id).await?.into())
    }
    /// The cycle this one renews.
    async fn renews(&self, ctx: &Context<'_>) -> Result<Option<ProgrammeCycle>> {
        match self.0.renews_cycle_id {
            Some(id) => Ok(Some(ProgrammeCycle(
                one(&loaders(ctx)?.cycle, "programme cycle", id).await?,
            ))),
            None => Ok(None),
        }
    }
    /// The cycle that renews this one.
    async fn renewed_by(&self, ctx: &Context<'_>) -> Result<Option<ProgrammeCycle>> {
        let l = loaders(ctx)?;
        let found = many(&l.successor_by_cycle, self.0.id).await?;
        Ok(found.into_iter().next().map(ProgrammeCycle))
    }
    /// The cycle's objectives.
    async fn objectives(&self, ctx: &Context<'_>) -> Result<Vec<Objective>> {
        let l = loaders(ctx)?;
        let rows = many(&l.objectives_by_cycle, self.0.id).await?;
        Ok(rows.into_iter().map(Objective).collect())
    }
    /// Activities recorded in the cycle.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> Result<Conn<Activity>> {
        let req = page_request(ctx, first, after, None, None)?;
        let l = loaders(ctx)?;
        let page =
            loaders::page(&l.activities_by_cycle, loaders::page_key(self.0.id, &req)?).await?;
        Ok(connection(page, |m| m.id, Activity))
    }
}

/// A new programme cycle, created as a DRAFT.
#[derive(InputObject)]
pub struct CreateProgrammeCycleInput {
    /// The partner.
    pub partner_id: ID,
    /// Kind of programme: decides the length (IPCP/IPAP two years, IPP three, ITPP as agreed).
    pub kind: ProgrammeKind,
    /// First day.
    pub start_date: Date,
    /// Last day: required for ITPP; for other kinds computed, and refused if it disagrees.
    pub end_date: Option<Date>,
}

/// Changes to a cycle; kind and dates only while it is a DRAFT.
#[derive(InputObject)]
pub struct UpdateProgrammeCycleInput {
    /// The cycle.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New kind.
    pub kind: Option<ProgrammeKind>,
    /// New first day.
    pub start_date: Option<Date>,
    /// New last day (ITPP).
    pub end_date: Option<Date>,
    /// NAC approval day (null clears it on a draft).
    pub nac_approved_on: MaybeUndefined<Date>,
    /// Partner approval day (null clears it on a draft).
    pub partner_approved_on: MaybeUndefined<Date>,
}

/// Approval of a draft cycle.
#[derive(InputObject)]
pub struct ApproveProgrammeCycleInput {
    /// The cycle.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// Day the North Atlantic Council approved it (needed unless already recorded).
    pub nac_approved_on: Option<Date>,
    /// Day the partner approved it (needed unless already recorded).
    pub partner_approved_on: Option<Date>,
}

/// A status change of a cycle that needs no other data.
#[derive(InputObject)]
pub struct ProgrammeCycleRefInput {
    /// The cycle.
    pub id: ID,
    /// The version you read.
    pub version: i32,
}

/// Renewal of a cycle.
#[derive(InputObject)]
pub struct RenewProgrammeCycleInput {
    /// The cycle to renew.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// Last day of the successor: ITPP only (defaults to the same length).
    pub end_date: Option<Date>,
    /// The successor's kind (default: the same). An IPCP renewed as an ITPP carries its
    /// objectives over as any renewal does.
    pub kind: Option<ProgrammeKind>,
}

#[derive(Default)]
pub struct CycleQuery;

#[Object]
impl CycleQuery {
    /// One programme cycle.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn programme_cycle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<ProgrammeCycle> {
        let id = parse_id("programme cycle", &id)?;
        Ok(ProgrammeCycle(
            service::programme_cycle::get(&db(ctx)?.conn, id).await?,
        ))
    }

    /// Programme cycles, in creation order unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn programme_cycles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this partner's.")] partner_id: Option<ID>,
        #[graphql(desc = "Only cycles in this status.")] status: Option<CycleStatus>,
        #[graphql(desc = "Only cycles of this kind.")] kind: Option<ProgrammeKind>,
        #[graphql(desc = "Only cycles that include this day.")] on: Option<Date>,
        #[graphql(desc = "Only cycles ending on or after this day.")] from: Option<Date>,
        #[graphql(desc = "Only cycles starting on or before this day.")] to: Option<Date>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
        #[graphql(desc = "Order of the list (default: by id, ascending).")] order_by: Option<
            ProgrammeCycleOrder,
        >,
    ) -> Result<Conn<ProgrammeCycle>> {
        let req = page_request(ctx, first, after, last, before)?;
        let filter = service::programme_cycle::CycleFilter {
            order: order_by.into(),
            partner_id: partner_id
                .as_ref()
                .map(|id| parse_id("partner", id))
                .transpose()?,
            status: status.map(Into::into),
            kind: kind.map(Into::into),
            on: on.map(Into::into),
            from: from.map(Into::into),
            to: to.map(Into::into),
        };
        let page = service::programme_cycle::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, ProgrammeCycle))
    }
}

#[derive(Default)]
pub struct CycleMutation;

#[Object]
impl CycleMutation {
    /// Creates a DRAFT cycle; its end date follows from the kind.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn create_programme_cycle(
        &self,
        ctx: &Context<'_>,
        input: CreateProgrammeCycleInput,
    ) -> Result<ProgrammeCycle> {
        let new = service::programme_cycle::NewCycle {
            partner_id: parse_id("partner", &input.partner_id)?,
            kind: input.kind.into(),
            start_date: input.start_date.into(),
            end_date: input.end_date.map(Into::into),
        };
        write(ctx, |txn| async move {
            Ok((None, service::programme_cycle::create(&*txn, new).await?))
        })
        .await
        .map(ProgrammeCycle)
    }

    /// Changes a cycle.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_programme_cycle(
        &self,
        ctx: &Context<'_>,
        input: UpdateProgrammeCycleInput,
    ) -> Result<ProgrammeCycle> {
        let id = parse_id("programme cycle", &input.id)?;
        let changes = service::programme_cycle::CycleChanges {
            kind: input.kind.map(Into::into),
            start_date: input.start_date.map(Into::into),
            end_date: input.end_date.map(Into::into),
            nac_approved_on: patch(input.nac_approved_on),
            partner_approved_on: patch(input.partner_approved_on),
        };
        write(ctx, |txn| async move {
            let before = service::programme_cycle::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::programme_cycle::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(ProgrammeCycle)
    }

    /// DRAFT -> APPROVED, once both the NAC and the partner approved it (CYCLE_OVERLAP if it overlaps
    /// another non-draft cycle of the partner).
    #[graphql(guard = "Allow(Access::Write)")]
    async fn approve_programme_cycle(
        &self,
        ctx: &Context<'_>,
        input: ApproveProgrammeCycleInput,
    ) -> Result<ProgrammeCycle> {
        let id = parse_id("programme cycle", &input.id)?;
        let (nac, partner) = (
            input.nac_approved_on.map(Into::into),
            input.partner_approved_on.map(Into::into),
        );
        write(ctx, |txn| async move {
            let before = service::programme_cycle::get(&*txn, id).await?;
            let after =
                service::programme_cycle::approve(&*txn, id, input.version, nac, partner).await?;
            Ok((Some(before), after))
        })
        .await
        .map(ProgrammeCycle)
    }

    /// APPROVED -> ACTIVE; supersedes the cycle it renews.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn activate_programme_cycle(
        &self,
        ctx: &Context<'_>,
        input: ProgrammeCycleRefInput,
    ) -> Result<ProgrammeCycle> {
        let id = parse_id("programme cycle", &input.id)?;
        write(ctx, |txn| async move {
            let before = service::programme_cycle::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::programme_cycle::activate(&*txn, id, input.version).await?,
            ))
        })
        .await
        .map(ProgrammeCycle)
    }

    /// ACTIVE -> CLOSED.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn close_programme_cycle(
        &self,
        ctx: &Context<'_>,
        input: ProgrammeCycleRefInput,
    ) -> Result<ProgrammeCycle> {
        let id = parse_id("programme cycle", &input.id)?;
        write(ctx, |txn| async move {
            let before = service::programme_cycle::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::programme_cycle::close(&*txn, id, input.version).await?,
            ))
        })
        .await
        .map(ProgrammeCycle)
    }

    /// Creates the successor DRAFT cycle starting the day after this one ends, carrying over the
    /// objectives not ACHIEVED or DROPPED. A cycle is renewed once (ALREADY_RENEWED).
    #[graphql(guard = "Allow(Access::Write)")]
    async fn renew_programme_cycle(
        &self,
        ctx: &Context<'_>,
        input: RenewProgrammeCycleInput,
    ) -> Result<ProgrammeCycle> {
        let id = parse_id("programme cycle", &input.id)?;
        let end_date = input.end_date.map(Into::into);
        let kind = input.kind.map(Into::into);
        write(ctx, |txn| async move {
            Ok((
                None,
                service::programme_cycle::renew(&*txn, id, input.version, end_date, kind).await?,
            ))
        })
        .await
        .map(ProgrammeCycle)
    }
}
