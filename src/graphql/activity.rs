//! Recorded cooperation activities.

use super::auth::{write, Allow};
use crate::service::auth::Access;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use entity::activity;

use super::loaders::{loaders, one};
use super::ordering::ActivityOrder;
use super::{
    area::CooperationArea, connection, cycle::ProgrammeCycle, db, enums::ActivityKind,
    objective::Objective, page_request, parse_id, patch, scalars::Date, Conn,
};
use crate::{error::Result, service};

/// A cooperation event other than a course: disaster response, SPS project, public diplomacy, ...
pub struct Activity(pub activity::Model);

#[Object]
impl Activity {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Kind.
    async fn kind(&self) -> ActivityKind {
        self.0.kind.into()
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Description.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// First day.
    async fn start_date(&self) -> Date {
        self.0.start_date.into()
    }
    /// Last day.
    async fn end_date(&self) -> Date {
        self.0.end_date.into()
    }
    /// Outcome.
    async fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The cycle it was recorded in.
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
    /// The objective it serves.
    async fn objective(&self, ctx: &Context<'_>) -> Result<Option<Objective>> {
        match self.0.objective_id {
            Some(id) => Ok(Some(Objective(
                one(&loaders(ctx)?.objective, "objective", id).await?,
            ))),
            None => Ok(None),
        }
    }
}

/// A new activity, inside its cycle's dates.
#[derive(InputObject)]
pub struct RecordActivityInput {
    /// The cycle.
    pub cycle_id: ID,
    /// The cooperation area.
    pub area_id: ID,
    /// The objective it serves (of the same cycle).
    pub objective_id: Option<ID>,
    /// Kind.
    pub kind: ActivityKind,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// First day.
    pub start_date: Date,
    /// Last day.
    pub end_date: Date,
    /// Outcome.
    pub outcome: Option<String>,
}

/// Changes to an activity.
#[derive(InputObject)]
pub struct UpdateActivityInput {
    /// The activity.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New kind.
    pub kind: Option<ActivityKind>,
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New first day.
    pub start_date: Option<Date>,
    /// New last day.
    pub end_date: Option<Date>,
    /// New outcome (null clears it).
    pub outcome: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// One activity.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<Activity> {
        let id = parse_id("activity", &id)?;
        Ok(Activity(service::activity::get(&db(ctx)?.conn, id).await?))
    }

    /// Activities, in recording order unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this cycle's.")] cycle_id: Option<ID>,
        #[graphql(desc = "Only this area's.")] area_id: Option<ID>,
        #[graphql(desc = "Only this kind.")] kind: Option<ActivityKind>,
        #[graphql(desc = "Only activities ending on or after this day.")] from: Option<Date>,
        #[graphql(desc = "Only activities starting on or before this day.")] to: Option<Date>,
        #[graphql(desc = "Only activities serving this objective.")] objective_id: Option<ID>,
        #[graphql(
            desc = "Search in the title (at most 200 characters; `%` and `_` match themselves)."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
        #[graphql(desc = "Order of the list (default: by id, ascending).")] order_by: Option<
            ActivityOrder,
        >,
    ) -> Result<Conn<Activity>> {
        let req = page_request(ctx, first, after, last, before)?;
        let filter = service::activity::ActivityFilter {
            order: order_by.into(),
            objective_id: objective_id
                .as_ref()
                .map(|id| parse_id("objective", id))
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
            kind: kind.map(Into::into),
            from: from.map(Into::into),
            to: to.map(Into::into),
        };
        let page = service::activity::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, Activity))
    }
}

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Records an activity in a cycle (OUTSIDE_CYCLE if its dates leave the cycle's).
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_activity(
        &self,
        ctx: &Context<'_>,
        input: RecordActivityInput,
    ) -> Result<Activity> {
        let new = service::activity::NewActivity {
            cycle_id: parse_id("programme cycle", &input.cycle_id)?,
            area_id: parse_id("cooperation area", &input.area_id)?,
            objective_id: input
                .objective_id
                .as_ref()
                .map(|id| parse_id("objective", id))
                .transpose()?,
            kind: input.kind.into(),
            title: input.title,
            description: input.description,
            start_date: input.start_date.into(),
            end_date: input.end_date.into(),
            outcome: input.outcome,
        };
        write(ctx, |txn| async move {
            Ok((None, service::activity::create(&*txn, new).await?))
        })
        .await
        .map(Activity)
    }

    /// Changes an activity.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        input: UpdateActivityInput,
    ) -> Result<Activity> {
        let id = parse_id("activity", &input.id)?;
        let changes = service::activity::ActivityChanges {
            kind: input.kind.map(Into::into),
            title: input.title,
            description: input.description,
            start_date: input.start_date.map(Into::into),
            end_date: input.end_date.map(Into::into),
            outcome: patch(input.outcome),
        };
        write(ctx, |txn| async move {
            let before = service::activity::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::activity::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(Activity)
    }
}
