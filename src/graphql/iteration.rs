//! Course iterations.

use super::auth::{write, Allow};
use crate::service::auth::Access;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use entity::course_iteration;

use super::loaders::{self, loaders, many, one, ordered, PageKey};
use super::ordering::CourseIterationOrder;
use super::{
    connection,
    course::Course,
    db,
    enrollment::Enrollment,
    enums::{EnrollmentStatus, IterationStatus},
    objective::Objective,
    page_request, parse_id, patch,
    scalars::Date,
    Conn,
};
use crate::{error::Result, service};

/// A dated run of a course, with its seats.
pub struct CourseIteration(pub course_iteration::Model);

#[Object]
impl CourseIteration {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// First day.
    async fn start_date(&self) -> Date {
        self.0.start_date.into()
    }
    /// Last day.
    async fn end_date(&self) -> Date {
        self.0.end_date.into()
    }
    /// Where it takes place.
    async fn location(&self) -> &str {
        &self.0.location
    }
    /// Seat capacity.
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }
    /// Seats one partner may hold at most.
    async fn partner_quota(&self) -> Option<i32> {
        self.0.partner_quota
    }
    /// Seats held (CONFIRMED, ATTENDED, COMPLETED, FAILED).
    async fn seats_held(&self) -> i32 {
        self.0.seats_held
    }
    /// Seats still free.
    async fn open_seats(&self) -> i32 {
        (self.0.capacity - self.0.seats_held).max(0)
    }
    /// Status.
    async fn status(&self) -> IterationStatus {
        self.0.status.into()
    }
    /// Version for optimistic concurrency.
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
            crate::service::contact::ContactLink::Iteration(self.0.id),
        )
        .await
    }
    /// The course.
    async fn course(&self, ctx: &Context<'_>) -> Result<Course> {
        Ok(Course(
            one(&loaders(ctx)?.course, "course", self.0.course_id).await?,
        ))
    }
    /// Objectives this iteration serves.
    async fn objectives(&self, ctx: &Context<'_>) -> Result<Vec<Objective>> {
        let l = loaders(ctx)?;
        let ids = many(&l.objective_ids_by_iteration, self.0.id).await?;
        let rows = ordered(&l.objective, ids).await?;
        Ok(rows.into_iter().map(Objective).collect())
    }
    /// Enrollments in this iteration.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only in this status.")] status: Option<EnrollmentStatus>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> Result<Conn<Enrollment>> {
        let req = page_request(ctx, first, after, None, None)?;
        let key = PageKey {
            status: status.map(Into::into),
            ..loaders::page_key(self.0.id, &req)?
        };
        let l = loaders(ctx)?;
        let look = ctx.look_ahead();
        let with_officer = look.field("edges").field("node").field("officer").exists()
            || look.field("nodes").field("officer").exists();
        if with_officer {
            let page = loaders::page(&l.enrollments_with_officer_by_iteration, key).await?;
            return Ok(connection(page, |(m, _)| m.id, Enrollment::with_officer));
        }
        let page = loaders::page(&l.enrollments_by_iteration, key).await?;
        Ok(connection(page, |m| m.id, Enrollment::from))
    }
}

/// A new iteration of a course.
#[derive(InputObject)]
pub struct CreateCourseIterationInput {
    /// The course.
    pub course_id: ID,
    /// First day.
    pub start_date: Date,
    /// Last day (not before the first).
    pub end_date: Date,
    /// Where.
    pub location: String,
    /// Seat capacity (0 or more).
    pub capacity: i32,
    /// Seats one partner may hold at most.
    pub partner_quota: Option<i32>,
    /// PLANNED (default) or OPEN.
    pub status: Option<IterationStatus>,
}

/// Changes to an iteration (cancel it with cancelCourseIteration).
#[derive(InputObject)]
pub struct UpdateCourseIterationInput {
    /// The iteration.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New first day.
    pub start_date: Option<Date>,
    /// New last day.
    pub end_date: Option<Date>,
    /// New location.
    pub location: Option<String>,
    /// New capacity (not below the seats held; a larger one promotes the waitlist).
    pub capacity: Option<i32>,
    /// New partner quota (null removes it).
    pub partner_quota: MaybeUndefined<i32>,
    /// New status: PLANNED -> OPEN -> CLOSED -> HELD.
    pub status: Option<IterationStatus>,
}

/// A reference to an iteration at a known version.
#[derive(InputObject)]
pub struct CourseIterationRefInput {
    /// The iteration.
    pub id: ID,
    /// The version you read.
    pub version: i32,
}

#[derive(Default)]
pub struct IterationQuery;

#[Object]
impl IterationQuery {
    /// One iteration.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn course_iteration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<CourseIteration> {
        let id = parse_id("course iteration", &id)?;
        Ok(CourseIteration(
            service::iteration::get(&db(ctx)?.conn, id).await?,
        ))
    }

    /// Iterations, in creation order unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn course_iterations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this course's.")] course_id: Option<ID>,
        #[graphql(desc = "Only in this status.")] status: Option<IterationStatus>,
        #[graphql(desc = "Only iterations ending on or after this day.")] from: Option<Date>,
        #[graphql(desc = "Only iterations starting on or before this day.")] to: Option<Date>,
        #[graphql(desc = "Only iterations serving this objective.")] objective_id: Option<ID>,
        #[graphql(desc = "Only iterations of courses on this topic.")] topic: Option<
            super::enums::CourseTopic,
        >,
        #[graphql(desc = "Only iterations of courses by this organiser.")] organiser: Option<
            String,
        >,
        #[graphql(
            desc = "Search in the course's title and code (at most 200 characters; `%` and `_` match themselves)."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
        #[graphql(desc = "Order of the list (default: by id, ascending).")] order_by: Option<
            CourseIterationOrder,
        >,
    ) -> Result<Conn<CourseIteration>> {
        let req = page_request(ctx, first, after, last, before)?;
        let filter = service::iteration::IterationFilter {
            order: order_by.into(),
            topic: topic.map(Into::into),
            organiser,
            search,
            course_id: course_id
                .as_ref()
                .map(|id| parse_id("course", id))
                .transpose()?,
            status: status.map(Into::into),
            from: from.map(Into::into),
            to: to.map(Into::into),
            objective_id: objective_id
                .as_ref()
                .map(|id| parse_id("objective", id))
                .transpose()?,
        };
        let page = service::iteration::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, CourseIteration))
    }
}

#[derive(Default)]
pub struct IterationMutation;

#[Object]
impl IterationMutation {
    /// Schedules an iteration of a course.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn create_course_iteration(
        &self,
        ctx: &Context<'_>,
        input: CreateCourseIterationInput,
    ) -> Result<CourseIteration> {
        let new = service::iteration::NewIteration {
            course_id: parse_id("course", &input.course_id)?,
            start_date: input.start_date.into(),
            end_date: input.end_date.into(),
            location: input.location,
            capacity: input.capacity,
            partner_quota: input.partner_quota,
            status: input.status.map(Into::into),
        };
        write(ctx, |txn| async move {
            Ok((None, service::iteration::create(&*txn, new).await?))
        })
        .await
        .map(CourseIteration)
    }

    /// Changes an iteration.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_course_iteration(
        &self,
        ctx: &Context<'_>,
        input: UpdateCourseIterationInput,
    ) -> Result<CourseIteration> {
        let id = parse_id("course iteration", &input.id)?;
        let changes = service::iteration::IterationChanges {
            start_date: input.start_date.map(Into::into),
            end_date: input.end_date.map(Into::into),
            location: input.location,
            capacity: input.capacity,
            partner_quota: patch(input.partner_quota),
            status: input.status.map(Into::into),
        };
        write(ctx, |txn| async move {
            let before = service::iteration::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::iteration::update(&*txn, id, input.version, changes, &txn.related).await?,
            ))
        })
        .await
        .map(CourseIteration)
    }

    /// Cancels an iteration: its live enrollments become CANCELLED.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn cancel_course_iteration(
        &self,
        ctx: &Context<'_>,
        input: CourseIterationRefInput,
    ) -> Result<CourseIteration> {
        let id = parse_id("course iteration", &input.id)?;
        write(ctx, |txn| async move {
            let before = service::iteration::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::iteration::cancel(&*txn, id, input.version, &txn.related).await?,
            ))
        })
        .await
        .map(CourseIteration)
    }

    /// Records that an iteration serves an objective (idempotent).
    #[graphql(guard = "Allow(Access::Write)")]
    async fn link_iteration_objective(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The iteration.")] iteration_id: ID,
        #[graphql(desc = "The objective it serves.")] objective_id: ID,
    ) -> Result<CourseIteration> {
        let iteration_id = parse_id("course iteration", &iteration_id)?;
        let objective_id = parse_id("objective", &objective_id)?;
        write(ctx, |txn| async move {
            let before = service::iteration::get(&*txn, iteration_id).await?;
            Ok((
                Some(before),
                service::iteration::serve_objective(&*txn, iteration_id, objective_id).await?,
            ))
        })
        .await
        .map(CourseIteration)
    }
}
