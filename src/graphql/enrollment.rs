//! Nominations and enrollments.

use std::borrow::Cow;

use super::auth::{caller, write, Allow};
use crate::service::auth::Access;
use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use entity::{enrollment, officer};

use super::loaders::{loaders, one};
use super::ordering::EnrollmentOrder;
use super::{
    connection, db, enums::EnrollmentStatus, iteration::CourseIteration, officer::Officer,
    page_request, parse_id, Conn,
};
use crate::{
    error::Result,
    service::{self, enrollment::Action},
};

/// An officer's place in a course iteration, from nomination to outcome.
pub struct Enrollment {
    model: enrollment::Model,
    /// The officer, when the list that produced this enrollment read it along (see
    /// `CourseIteration::enrollments`); otherwise `officer` asks its loader.
    officer: Option<Officer>,
}

impl From<enrollment::Model> for Enrollment {
    fn from(model: enrollment::Model) -> Self {
        Enrollment {
            model,
            officer: None,
        }
    }
}

impl Enrollment {
    /// An enrollment with its officer already read.
    pub fn with_officer((model, officer): (enrollment::Model, officer::Model)) -> Self {
        Enrollment {
            model,
            officer: Some(Officer(officer)),
        }
    }
}

#[Object]
impl Enrollment {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// Lifecycle status.
    async fn status(&self) -> EnrollmentStatus {
        self.model.status.into()
    }
    /// Place in the FIFO waitlist (lower goes first); null unless WAITLISTED.
    async fn waitlist_position(&self) -> Option<i32> {
        self.model.waitlist_position
    }
    /// When the officer was nominated.
    async fn nominated_at(&self) -> DateTime<Utc> {
        self.model.nominated_at
    }
    /// When the nomination was waitlisted.
    async fn waitlisted_at(&self) -> Option<DateTime<Utc>> {
        self.model.waitlisted_at
    }
    /// When a seat was confirmed.
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.model.confirmed_at
    }
    /// When attendance was recorded.
    async fn attended_at(&self) -> Option<DateTime<Utc>> {
        self.model.attended_at
    }
    /// When the outcome (completed, failed, no-show) was recorded.
    async fn outcome_at(&self) -> Option<DateTime<Utc>> {
        self.model.outcome_at
    }
    /// When it was declined, withdrawn or cancelled.
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.model.ended_at
    }
    /// Who took the last decision.
    async fn decided_by(&self) -> Option<&str> {
        self.model.decided_by.as_deref()
    }
    /// Level 2 of course evaluation (learning): the officer's assessment score (0-100),
    /// recorded with the outcome. Not a rating of the course: that is `evaluationResponse`.
    async fn evaluation_score(&self) -> Option<f64> {
        self.model.evaluation_score
    }
    /// Level 1 of course evaluation (reaction): the officer's questionnaire response, if any.
    async fn evaluation_response(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::evaluation::EvaluationResponse>> {
        super::evaluation::response_of(ctx, self.model.id).await
    }
    /// Level 3 of course evaluation (behaviour): the follow-up months after the course, if any.
    async fn follow_up(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::evaluation::EvaluationFollowUp>> {
        super::evaluation::follow_up_of(ctx, self.model.id).await
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.model.version
    }
    /// The iteration.
    async fn iteration(&self, ctx: &Context<'_>) -> Result<CourseIteration> {
        Ok(CourseIteration(
            one(
                &loaders(ctx)?.iteration,
                "course iteration",
                self.model.iteration_id,
            )
            .await?,
        ))
    }
    /// The officer.
    async fn officer(&self, ctx: &Context<'_>) -> Result<Cow<'_, Officer>> {
        // Borrowed when read along with the page: no copy of each listed officer.
        if let Some(officer) = &self.officer {
            return Ok(Cow::Borrowed(officer));
        }
        Ok(Cow::Owned(Officer(
            one(&loaders(ctx)?.officer, "officer", self.model.officer_id).await?,
        )))
    }
}

/// A nomination of an officer to an iteration.
#[derive(InputObject)]
pub struct NominateOfficerInput {
    /// The iteration.
    pub iteration_id: ID,
    /// The officer.
    pub officer_id: ID,
    /// Seat the officer at once if a seat is free, else waitlist (default). False leaves the
    /// nomination NOMINATED for the course to confirm or decline.
    #[graphql(default = true)]
    pub place: bool,
}

/// A lifecycle step on an enrollment.
#[derive(InputObject)]
pub struct EnrollmentRefInput {
    /// The enrollment.
    pub id: ID,
    /// The version you read.
    pub version: i32,
}

/// The outcome of an attended course.
#[derive(InputObject)]
pub struct EnrollmentOutcomeInput {
    /// The enrollment.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// Evaluation score, 0 to 100.
    pub evaluation_score: Option<f64>,
}

#[derive(Default)]
pub struct EnrollmentQuery;

#[Object]
impl EnrollmentQuery {
    /// One enrollment.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn enrollment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<Enrollment> {
        let id = parse_id("enrollment", &id)?;
        Ok(service::enrollment::get(&db(ctx)?.conn, id).await?.into())
    }

    /// Enrollments, in nomination order unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only in this iteration.")] iteration_id: Option<ID>,
        #[graphql(desc = "Only this officer's.")] officer_id: Option<ID>,
        #[graphql(desc = "Only this partner's officers.")] partner_id: Option<ID>,
        #[graphql(desc = "Only in this status.")] status: Option<EnrollmentStatus>,
        #[graphql(desc = "Only officers of this service.")] service: Option<super::enums::Service>,
        #[graphql(desc = "Only officers of this rank.")] rank: Option<String>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
        #[graphql(desc = "Order of the list (default: by id, ascending).")] order_by: Option<
            EnrollmentOrder,
        >,
    ) -> Result<Conn<Enrollment>> {
        let req = page_request(ctx, first, after, last, before)?;
        let filter = service::enrollment::EnrollmentFilter {
            order: order_by.into(),
            service: service.map(Into::into),
            rank,
            iteration_id: iteration_id
                .as_ref()
                .map(|id| parse_id("course iteration", id))
                .transpose()?,
            officer_id: officer_id
                .as_ref()
                .map(|id| parse_id("officer", id))
                .transpose()?,
            partner_id: partner_id
                .as_ref()
                .map(|id| parse_id("partner", id))
                .transpose()?,
            status: status.map(Into::into),
        };
        let page = service::enrollment::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, Enrollment::from))
    }
}

async fn act(
    ctx: &Context<'_>,
    id: &ID,
    version: i32,
    action: Action,
    score: Option<f64>,
) -> Result<Enrollment> {
    let id = parse_id("enrollment", id)?;
    let decided_by = caller(ctx).name;
    write(ctx, |txn| async move {
        let before = service::enrollment::get(&*txn, id).await?;
        let after =
            service::enrollment::act(&*txn, id, version, action, score, &decided_by, &txn.related)
                .await?;
        Ok((Some(before), after))
    })
    .await
    .map(Enrollment::from)
}

#[derive(Default)]
pub struct EnrollmentMutation;

#[Object]
impl EnrollmentMutation {
    /// Nominates an officer to an iteration. With `place` (the default) the officer gets a seat if
    /// one is free within capacity and the partner's quota, else joins the waitlist (not an error).
    #[graphql(guard = "Allow(Access::Write)")]
    async fn nominate_officer(
        &self,
        ctx: &Context<'_>,
        input: NominateOfficerInput,
    ) -> Result<Enrollment> {
        let nomination = service::enrollment::Nomination {
            iteration_id: parse_id("course iteration", &input.iteration_id)?,
            officer_id: parse_id("officer", &input.officer_id)?,
            place: input.place,
        };
        let decided_by = caller(ctx).name;
        write(ctx, |txn| async move {
            Ok((
                None,
                service::enrollment::nominate(&*txn, nomination, &decided_by).await?,
            ))
        })
        .await
        .map(Enrollment::from)
    }

    /// NOMINATED or WAITLISTED -> CONFIRMED when a seat is free (a nomination is waitlisted otherwise).
    #[graphql(guard = "Allow(Access::Write)")]
    async fn confirm_enrollment(
        &self,
        ctx: &Context<'_>,
        input: EnrollmentRefInput,
    ) -> Result<Enrollment> {
        act(ctx, &input.id, input.version, Action::Confirm, None).await
    }

    /// NOMINATED -> WAITLISTED at the end of the queue.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn waitlist_enrollment(
        &self,
        ctx: &Context<'_>,
        input: EnrollmentRefInput,
    ) -> Result<Enrollment> {
        act(ctx, &input.id, input.version, Action::Waitlist, None).await
    }

    /// NOMINATED -> DECLINED.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn decline_enrollment(
        &self,
        ctx: &Context<'_>,
        input: EnrollmentRefInput,
    ) -> Result<Enrollment> {
        act(ctx, &input.id, input.version, Action::Decline, None).await
    }

    /// WAITLISTED or CONFIRMED -> WITHDRAWN (a confirmed officer only before the start); a freed seat
    /// goes to the first waitlisted.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn withdraw_enrollment(
        &self,
        ctx: &Context<'_>,
        input: EnrollmentRefInput,
    ) -> Result<Enrollment> {
        act(ctx, &input.id, input.version, Action::Withdraw, None).await
    }

    /// CONFIRMED -> ATTENDED, once the iteration has started.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        input: EnrollmentRefInput,
    ) -> Result<Enrollment> {
        act(ctx, &input.id, input.version, Action::Attend, None).await
    }

    /// CONFIRMED -> NO_SHOW, once the iteration has started.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_no_show(
        &self,
        ctx: &Context<'_>,
        input: EnrollmentRefInput,
    ) -> Result<Enrollment> {
        act(ctx, &input.id, input.version, Action::NoShow, None).await
    }

    /// ATTENDED -> COMPLETED.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_completion(
        &self,
        ctx: &Context<'_>,
        input: EnrollmentOutcomeInput,
    ) -> Result<Enrollment> {
        act(
            ctx,
            &input.id,
            input.version,
            Action::Complete,
            input.evaluation_score,
        )
        .await
    }

    /// ATTENDED -> FAILED.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_failure(
        &self,
        ctx: &Context<'_>,
        input: EnrollmentOutcomeInput,
    ) -> Result<Enrollment> {
        act(
            ctx,
            &input.id,
            input.version,
            Action::Fail,
            input.evaluation_score,
        )
        .await
    }
}
