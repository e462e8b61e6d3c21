//! Objectives of programme cycles.

use super::auth::{write, Allow};
use crate::service::auth::Access;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use entity::objective;

use super::iteration::CourseIteration;
use super::loaders::{loaders, many, one};
use super::{
    area::CooperationArea, connection, cycle::ProgrammeCycle, db, enums::ObjectiveStatus,
    page_request, parse_id, patch, Conn,
};
use crate::{error::Result, service};

/// A cooperation objective agreed in a cycle.
pub struct Objective(pub objective::Model);

#[Object]
impl Objective {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What is to be achieved.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// How progress is measured.
    async fn indicator(&self) -> &str {
        &self.0.indicator
    }
    /// Situation at the start.
    async fn baseline(&self) -> Option<&str> {
        self.0.baseline.as_deref()
    }
    /// Numeric target of the indicator.
    async fn target(&self) -> Option<f64> {
        self.0.target
    }
    /// Indicator actual, computed from what was recorded: distinct officers who COMPLETED an
    /// iteration serving this objective.
    async fn indicator_actual(&self, ctx: &Context<'_>) -> Result<i64> {
        let l = loaders(ctx)?;
        Ok(Box::pin(l.indicator_actual.load_one(self.0.id))
            .await?
            .map_or(0, |n| *n))
    }
    /// ITPP: the strategic objective this partnership goal serves; null for a top-level one.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Objective>> {
        match self.0.parent_id {
            Some(id) => Ok(Some(Objective(
                one(&loaders(ctx)?.objective, "objective", id).await?,
            ))),
            None => Ok(None),
        }
    }
    /// ITPP: the partnership goals that serve this strategic objective, in creation order.
    async fn goals(&self, ctx: &Context<'_>) -> Result<Vec<Objective>> {
        Ok(super::itpp::goals_of(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Objective)
            .collect())
    }
    /// The indicator measured over time, oldest first.
    async fn measurements(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::itpp::IndicatorMeasurement>> {
        super::itpp::measurements_of(ctx, self.0.id).await
    }
    /// Progress status.
    async fn status(&self) -> ObjectiveStatus {
        self.0.status.into()
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The cycle.
    async fn cycle(&self, ctx: &Context<'_>) -> Result<ProgrammeCycle> {
        Ok(ProgrammeCycle(
            one(&loaders(ctx)?.cycle, "programme cycle", self.0.cycle_id).await?,
        ))
    }
    /// The cooperation area.
    async fn area(&self, ctx: &Context<'_>) -> Result<CooperationArea> {
        Ok(CooperationArea(
            one(&loaders(ctx)?.area, "cooperation area", self.0.area_id).await?,
        ))
    }
    /// Course iterations serving this objective, in creation order.
    async fn iterations(&self, ctx: &Context<'_>) -> Result<Vec<CourseIteration>> {
        let rows = many(&loaders(ctx)?.iterations_by_objective, self.0.id).await?;
        Ok(rows.into_iter().map(CourseIteration).collect())
    }
    /// The objective of the previous cycle this one was carried over from.
    async fn carried_over_from(&self, ctx: &Context<'_>) -> Result<Option<Objective>> {
        match self.0.carried_over_from_id {
            Some(id) => Ok(Some(Objective(
                one(&loaders(ctx)?.objective, "objective", id).await?,
            ))),
            None => Ok(None),
        }
    }
}

/// A new objective (status PLANNED).
#[derive(InputObject)]
pub struct CreateObjectiveInput {
    /// The cycle.
    pub cycle_id: ID,
    /// The cooperation area.
    pub area_id: ID,
    /// What is to be achieved.
    pub title: String,
    /// How progress is measured.
    pub indicator: String,
    /// Situation at the start.
    pub baseline: Option<String>,
    /// Numeric target.
    pub target: Option<f64>,
    /// ITPP: the strategic objective (of the same cycle) this partnership goal serves.
    pub parent_id: Option<ID>,
}

/// Changes to an objective.
#[derive(InputObject)]
pub struct UpdateObjectiveInput {
    /// The objective.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New area.
    pub area_id: Option<ID>,
    /// New title.
    pub title: Option<String>,
    /// New indicator.
    pub indicator: Option<String>,
    /// New baseline (null clears it).
    pub baseline: MaybeUndefined<String>,
    /// New target (null clears it).
    pub target: MaybeUndefined<f64>,
    /// New status.
    pub status: Option<ObjectiveStatus>,
    /// New strategic objective this goal serves (null: a top-level objective).
    pub parent_id: MaybeUndefined<ID>,
}

#[derive(Default)]
pub struct ObjectiveQuery;

#[Object]
impl ObjectiveQuery {
    /// One objective.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn objective(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<Objective> {
        let id = parse_id("objective", &id)?;
        Ok(Objective(
            service::objective::get(&db(ctx)?.conn, id).await?,
        ))
    }

    /// Objectives, in creation order.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn objectives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this cycle's.")] cycle_id: Option<ID>,
        #[graphql(desc = "Only this area's.")] area_id: Option<ID>,
        #[graphql(desc = "Only in this status.")] status: Option<ObjectiveStatus>,
        #[graphql(desc = "Only objectives of this partner's cycles.")] partner_id: Option<ID>,
        #[graphql(
            desc = "Search in the title (at most 200 characters; `%` and `_` match themselves)."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<Conn<Objective>> {
        let req = page_request(ctx, first, after, last, before)?;
        let filter = service::objective::ObjectiveFilter {
            partner_id: partner_id
                .as_ref()
                .map(|id| parse_id("partner", id))
                .transpose()?,
            search,
            cycle_id: cycle_id
                .as_ref()
                .map(|id| parse_id("programme cycle", id))
                .transpose()?,
            area_id: area_id
                .as_ref()
                .map(|id| parse_id("cooperation area", id))
                .transpose()?,
            status: status.map(Into::into),
        };
        let page = service::objective::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, Objective))
    }
}

#[derive(Default)]
pub struct ObjectiveMutation;

#[Object]
impl ObjectiveMutation {
    /// Adds an objective to a cycle that is not CLOSED or SUPERSEDED.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn create_objective(
        &self,
        ctx: &Context<'_>,
        input: CreateObjectiveInput,
    ) -> Result<Objective> {
        let new = service::objective::NewObjective {
            cycle_id: parse_id("programme cycle", &input.cycle_id)?,
            area_id: parse_id("cooperation area", &input.area_id)?,
            title: input.title,
            indicator: input.indicator,
            baseline: input.baseline,
            target: input.target,
            parent_id: input
                .parent_id
                .as_ref()
                .map(|id| parse_id("objective", id))
                .transpose()?,
        };
        write(ctx, |txn| async move {
            Ok((None, service::objective::create(&*txn, new).await?))
        })
        .await
        .map(Objective)
    }

    /// Changes an objective (its status records progress).
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_objective(
        &self,
        ctx: &Context<'_>,
        input: UpdateObjectiveInput,
    ) -> Result<Objective> {
        let id = parse_id("objective", &input.id)?;
        let changes = service::objective::ObjectiveChanges {
            area_id: input
                .area_id
                .as_ref()
                .map(|id| parse_id("cooperation area", id))
                .transpose()?,
            title: input.title,
            indicator: input.indicator,
            baseline: patch(input.baseline),
            target: patch(input.target),
            status: input.status.map(Into::into),
            parent_id: match input.parent_id {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(parse_id("objective", &id)?)),
            },
        };
        write(ctx, |txn| async move {
            let before = service::objective::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::objective::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(Objective)
    }
}
