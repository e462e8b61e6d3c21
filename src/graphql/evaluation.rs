//! Course evaluation: level 1 questionnaire responses, level 3 follow-ups and the list of
//! follow-ups due. Ratings, comments and notes can be traced to an officer: they answer null to
//! callers without the personal-data right, like officers' names.

use std::collections::HashMap;

use async_graphql::{
    dataloader::{DataLoader, Loader},
    Context, Enum, InputObject, Object, SimpleObject, ID,
};
use chrono::NaiveDate;
use entity::{enrollment, evaluation_follow_up};

use super::auth::{sees_personal_data, write, Allow};
use super::loaders::{loaders, one};
use super::{connection, db, enrollment::Enrollment, page_request, parse_id, scalars::Date, Conn};
use crate::{
    error::{AppError, Result},
    service::Db,
    service::{self, auth::Access, evaluation::ResponseRecord},
};

/// How evaluations are accepted (`IPCP_EVALUATION_WINDOW_DAYS`).
#[derive(Debug, Clone, Copy)]
pub struct EvaluationPolicy {
    /// Days after an iteration's last day during which level 1 responses are accepted.
    pub window_days: u32,
}

fn policy(ctx: &Context<'_>) -> EvaluationPolicy {
    ctx.data_opt::<EvaluationPolicy>()
        .copied()
        .unwrap_or(EvaluationPolicy {
            window_days: service::evaluation::DEFAULT_WINDOW_DAYS,
        })
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// An item of the level 1 questionnaire (item set `L1-2026`), rated 1 (poor) to 5 (excellent).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EvaluationItem {
    /// Relevance of the course to the officer's work.
    Relevance,
    /// Quality of the content.
    Content,
    /// Quality of the instruction.
    Instruction,
    /// Organisation and administration.
    Organisation,
    /// Overall satisfaction.
    Overall,
}

impl EvaluationItem {
    fn code(self) -> &'static str {
        match self {
            EvaluationItem::Relevance => "relevance",
            EvaluationItem::Content => "content",
            EvaluationItem::Instruction => "instruction",
            EvaluationItem::Organisation => "organisation",
            EvaluationItem::Overall => "overall",
        }
    }
}

/// Level 3: whether the officer applies what the course taught, back at work.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::AppliedAtWork")]
pub enum AppliedAtWork {
    /// Applies it.
    Yes,
    /// Applies part of it.
    Partly,
    /// Does not apply it.
    No,
}

/// One item's rating.
#[derive(SimpleObject, Clone)]
pub struct EvaluationRating {
    /// The item's code in its item set (`relevance`, `content`, `instruction`, `organisation`,
    /// `overall` in `L1-2026`).
    pub item: String,
    /// 1 (poor) to 5 (excellent).
    pub rating: i32,
}

/// A level 1 (reaction) questionnaire response of one enrollment.
pub struct EvaluationResponse(pub ResponseRecord);

#[Object]
impl EvaluationResponse {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The item set it was answered on (e.g. `L1-2026`).
    async fn item_set(&self) -> &str {
        &self.0.item_set
    }
    /// The day it was recorded.
    async fn responded_on(&self) -> Date {
        self.0.responded_on.into()
    }
    /// The ratings, in questionnaire order; null without the personal-data right (an answer can
    /// be traced to its officer: use `evaluationReport` for aggregates).
    async fn ratings(&self, ctx: &Context<'_>) -> Option<Vec<EvaluationRating>> {
        let mut ratings: Vec<EvaluationRating> = self
            .0
            .ratings
            .iter()
            .map(|(item, rating)| EvaluationRating {
                item: item.clone(),
                rating: *rating,
            })
            .collect();
        ratings.sort_by_key(|r| {
            service::evaluation::ITEMS
                .iter()
                .position(|i| *i == r.item)
                .unwrap_or(usize::MAX)
        });
        sees_personal_data(ctx).then_some(ratings)
    }
    /// The participant's comment; null without the personal-data right.
    async fn comment(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0
            .comment
            .as_deref()
            .filter(|_| sees_personal_data(ctx))
    }
    /// The enrollment.
    async fn enrollment(&self, ctx: &Context<'_>) -> Result<Enrollment> {
        Ok(
            service::enrollment::get(&db(ctx)?.conn, self.0.enrollment_id)
                .await?
                .into(),
        )
    }
}

/// A level 3 follow-up of a completed enrollment.
pub struct EvaluationFollowUp(pub evaluation_follow_up::Model);

#[Object]
impl EvaluationFollowUp {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Whether the officer applies what the course taught.
    async fn applied(&self) -> AppliedAtWork {
        self.0.applied.into()
    }
    /// The programme officer's note; null without the personal-data right.
    async fn note(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.note.as_deref().filter(|_| sees_personal_data(ctx))
    }
    /// The day it was recorded.
    async fn recorded_on(&self) -> Date {
        self.0.recorded_on.into()
    }
    /// The enrollment.
    async fn enrollment(&self, ctx: &Context<'_>) -> Result<Enrollment> {
        Ok(
            service::enrollment::get(&db(ctx)?.conn, self.0.enrollment_id)
                .await?
                .into(),
        )
    }
}

/// A completed enrollment whose level 3 follow-up is due and not recorded yet.
pub struct FollowUpDue(pub enrollment::Model);

#[Object]
impl FollowUpDue {
    /// The enrollment (COMPLETED).
    async fn enrollment(&self) -> Enrollment {
        self.0.clone().into()
    }
    /// The first day the follow-up may be recorded: three months after the iteration's last day.
    async fn due_from(&self, ctx: &Context<'_>) -> Result<Date> {
        Ok(service::evaluation::follow_up_due_from(self.end(ctx).await?).into())
    }
    /// The day by which it is expected: six months after the iteration's last day.
    async fn due_by(&self, ctx: &Context<'_>) -> Result<Date> {
        Ok(service::evaluation::follow_up_due_by(self.end(ctx).await?).into())
    }
    /// Whether today is past `dueBy`.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(today() > service::evaluation::follow_up_due_by(self.end(ctx).await?))
    }
}

impl FollowUpDue {
    async fn end(&self, ctx: &Context<'_>) -> Result<NaiveDate> {
        Ok(one(
            &loaders(ctx)?.iteration,
            "course iteration",
            self.0.iteration_id,
        )
        .await?
        .end_date)
    }
}

/// Level 1 responses by enrollment id.
pub struct ResponseByEnrollment(Db);

impl Loader<i32> for ResponseByEnrollment {
    type Value = ResponseRecord;
    type Error = AppError;
    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, ResponseRecord>> {
        Ok(
            service::evaluation::responses_by_enrollment(&self.0.conn, keys)
                .await?
                .into_iter()
                .collect(),
        )
    }
}

/// Level 3 follow-ups by enrollment id.
pub struct FollowUpByEnrollment(Db);

impl Loader<i32> for FollowUpByEnrollment {
    type Value = evaluation_follow_up::Model;
    type Error = AppError;
    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, evaluation_follow_up::Model>> {
        Ok(
            service::evaluation::follow_ups_by_enrollment(&self.0.conn, keys)
                .await?
                .into_iter()
                .collect(),
        )
    }
}

/// The loaders of `Enrollment.evaluationResponse` and `Enrollment.followUp` (batched, never cached).
pub struct EvaluationLoaders {
    pub response: DataLoader<ResponseByEnrollment>,
    pub follow_up: DataLoader<FollowUpByEnrollment>,
}

impl EvaluationLoaders {
    pub fn new(db: &Db) -> EvaluationLoaders {
        EvaluationLoaders {
            response: DataLoader::new(
                ResponseByEnrollment(db.clone()),
                super::batching::spawn_fetch,
            )
            .delay(std::time::Duration::ZERO),
            follow_up: DataLoader::new(
                FollowUpByEnrollment(db.clone()),
                super::batching::spawn_fetch,
            )
            .delay(std::time::Duration::ZERO),
        }
    }
}

fn evaluation_loaders<'a>(ctx: &Context<'a>) -> Result<&'a EvaluationLoaders> {
    ctx.data::<EvaluationLoaders>()
        .map_err(|_| AppError::Internal("evaluation loaders missing from schema data".into()))
}

/// The level 1 response of an enrollment, through its loader.
pub(crate) async fn response_of(
    ctx: &Context<'_>,
    enrollment_id: i32,
) -> Result<Option<EvaluationResponse>> {
    Ok(
        Box::pin(evaluation_loaders(ctx)?.response.load_one(enrollment_id))
            .await?
            .map(EvaluationResponse),
    )
}

/// The level 3 follow-up of an enrollment, through its loader.
pub(crate) async fn follow_up_of(
    ctx: &Context<'_>,
    enrollment_id: i32,
) -> Result<Option<EvaluationFollowUp>> {
    Ok(
        Box::pin(evaluation_loaders(ctx)?.follow_up.load_one(enrollment_id))
            .await?
            .map(EvaluationFollowUp),
    )
}

/// One item's rating in a new response.
#[derive(InputObject)]
pub struct EvaluationRatingInput {
    /// The item.
    pub item: EvaluationItem,
    /// 1 (poor) to 5 (excellent).
    pub rating: i32,
}

/// A level 1 questionnaire response.
#[derive(InputObject)]
pub struct RecordEvaluationResponseInput {
    /// The enrollment (ATTENDED, COMPLETED or FAILED).
    pub enrollment_id: ID,
    /// Every item of the questionnaire, once.
    pub ratings: Vec<EvaluationRatingInput>,
    /// Optional free-text comment (personal data).
    pub comment: Option<String>,
}

/// A level 3 follow-up.
#[derive(InputObject)]
pub struct RecordEvaluationFollowUpInput {
    /// The enrollment (COMPLETED).
    pub enrollment_id: ID,
    /// Whether the officer applies what the course taught.
    pub applied: AppliedAtWork,
    /// Optional note (personal data).
    pub note: Option<String>,
}

#[derive(Default)]
pub struct EvaluationQuery;

#[Object]
impl EvaluationQuery {
    /// Completed enrollments whose level 3 follow-up is due (from three months after the
    /// iteration's last day) and not recorded yet, in enrollment order.
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn follow_ups_due(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this partner's officers.")] partner_id: Option<ID>,
        #[graphql(desc = "Only iterations of this course.")] course_id: Option<ID>,
        #[graphql(desc = "Only follow-ups due on or before this day (default: today).")]
        due_before: Option<Date>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> Result<Conn<FollowUpDue>> {
        let req = page_request(ctx, first, after, None, None)?;
        let filter = service::evaluation::FollowUpsDueFilter {
            partner_id: partner_id
                .as_ref()
                .map(|id| parse_id("partner", id))
                .transpose()?,
            course_id: course_id
                .as_ref()
                .map(|id| parse_id("course", id))
                .transpose()?,
            due_before: due_before.map(Into::into),
        };
        let page =
            service::evaluation::follow_ups_due(&db(ctx)?.conn, filter, today(), &req).await?;
        Ok(connection(page, |m| m.id, FollowUpDue))
    }
}

#[derive(Default)]
pub struct EvaluationMutation;

#[Object]
impl EvaluationMutation {
    /// Records the level 1 questionnaire of an enrollment: NOT_ATTENDED unless the officer
    /// attended, OUTSIDE_RESPONSE_WINDOW before the iteration's last day or after the window,
    /// RATING_OUT_OF_RANGE, DUPLICATE_RESPONSE for a second one.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_evaluation_response(
        &self,
        ctx: &Context<'_>,
        input: RecordEvaluationResponseInput,
    ) -> Result<EvaluationResponse> {
        let new = service::evaluation::NewResponse {
            enrollment_id: parse_id("enrollment", &input.enrollment_id)?,
            ratings: input
                .ratings
                .into_iter()
                .map(|r| (r.item.code().to_owned(), r.rating))
                .collect(),
            comment: input.comment,
        };
        let window = policy(ctx).window_days;
        write(ctx, |txn| async move {
            Ok((
                None,
                service::evaluation::record_response(&*txn, new, window, today()).await?,
            ))
        })
        .await
        .map(EvaluationResponse)
    }

    /// Records the level 3 follow-up of a completed enrollment: NOT_COMPLETED, FOLLOW_UP_NOT_DUE
    /// before three months after the iteration's last day, DUPLICATE_FOLLOW_UP for a second one.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_evaluation_follow_up(
        &self,
        ctx: &Context<'_>,
        input: RecordEvaluationFollowUpInput,
    ) -> Result<EvaluationFollowUp> {
        let new = service::evaluation::NewFollowUp {
            enrollment_id: parse_id("enrollment", &input.enrollment_id)?,
            applied: input.applied.into(),
            note: input.note,
        };
        write(ctx, |txn| async move {
            Ok((
                None,
                service::evaluation::record_follow_up(&*txn, new, today()).await?,
            ))
        })
        .await
        .map(EvaluationFollowUp)
    }
}

/// One questionnaire item's figures over a report's responses.
#[derive(SimpleObject)]
pub struct EvaluationItemFigures {
    /// The item's code (`relevance`, `content`, `instruction`, `organisation`, `overall`).
    pub item: String,
    /// The item in the requested language.
    pub label: String,
    /// Responses that rated it.
    pub responses: i64,
    /// Mean rating, 1 to 5.
    pub mean: f64,
    /// How many rated it 1, 2, 3, 4 and 5 (five numbers).
    pub distribution: Vec<i64>,
}

/// How many follow-ups gave each answer.
#[derive(SimpleObject)]
pub struct AppliedAtWorkCounts {
    /// Applies it.
    pub yes: i64,
    /// Applies part of it.
    pub partly: i64,
    /// Does not apply it.
    pub no: i64,
}

/// Course evaluation figures over a scope. No aggregate of answers is shown over fewer than 3
/// responses, so that no answer can be traced to one officer: those figures are null and
/// `withheldReason` says why.
#[derive(SimpleObject)]
pub struct EvaluationReport {
    /// Enrollments ATTENDED, COMPLETED or FAILED in the scope (who could answer level 1).
    pub eligible: i64,
    /// Level 1 responses.
    pub responses: i64,
    /// responses / eligible (0 when none is eligible).
    pub response_rate: f64,
    /// `TOO_FEW_RESPONSES` when the level 1 figures are withheld; null otherwise.
    pub withheld_reason: Option<String>,
    /// Per item, in questionnaire order; null when withheld.
    pub items: Option<Vec<EvaluationItemFigures>>,
    /// COMPLETED enrollments whose level 3 follow-up is due (iteration ended 3 months ago or more).
    pub follow_ups_due: i64,
    /// Level 3 follow-ups recorded.
    pub follow_ups_recorded: i64,
    /// followUpsRecorded / followUpsDue: the level 3 completion rate.
    pub follow_up_rate: f64,
    /// What officers apply at work; null over fewer than 3 follow-ups.
    pub applied_at_work: Option<AppliedAtWorkCounts>,
}

impl From<service::evaluation_report::EvaluationReport> for EvaluationReport {
    fn from(r: service::evaluation_report::EvaluationReport) -> Self {
        EvaluationReport {
            eligible: r.eligible,
            responses: r.responses,
            response_rate: r.response_rate,
            withheld_reason: r.withheld.then(|| "TOO_FEW_RESPONSES".to_owned()),
            items: (!r.withheld).then(|| {
                r.items
                    .into_iter()
                    .map(|i| EvaluationItemFigures {
                        item: i.item,
                        label: i.label,
                        responses: i.responses,
                        mean: i.mean,
                        distribution: i.distribution.to_vec(),
                    })
                    .collect()
            }),
            follow_ups_due: r.follow_ups_due,
            follow_ups_recorded: r.follow_ups_recorded,
            follow_up_rate: r.follow_up_rate,
            applied_at_work: r.applied.map(|a| {
                let n = |k: &str| a.get(k).copied().unwrap_or(0);
                AppliedAtWorkCounts {
                    yes: n("YES"),
                    partly: n("PARTLY"),
                    no: n("NO"),
                }
            }),
        }
    }
}

#[derive(Default)]
pub struct EvaluationReportQuery;

#[Object]
impl EvaluationReportQuery {
    /// Course evaluation figures (level 1 response rate and ratings per item, level 3 follow-up
    /// completion) over the enrollments of a course, a topic, an organiser and/or a cycle (every
    /// filter given applies; none: all). Aggregates over fewer than 3 answers are withheld.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn evaluation_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this course's iterations.")] course_id: Option<ID>,
        #[graphql(desc = "Only courses of this topic.")] topic: Option<super::enums::CourseTopic>,
        #[graphql(desc = "Only courses of this organiser (case-insensitive).")] organiser: Option<
            String,
        >,
        #[graphql(
            desc = "Only this cycle's partner's enrollments in iterations within its dates."
        )]
        cycle_id: Option<ID>,
        #[graphql(
            desc = "Language of the labels.",
            default_with = "super::report::Language::En"
        )]
        lang: super::report::Language,
    ) -> Result<EvaluationReport> {
        use sea_orm::ActiveEnum;
        let scope = service::evaluation_report::EvaluationScope {
            course_id: course_id
                .as_ref()
                .map(|id| parse_id("course", id))
                .transpose()?,
            topic: topic.map(|t| entity::enums::CourseTopic::from(t).to_value()),
            organiser: organiser.filter(|o| !o.trim().is_empty()),
            cycle_id: cycle_id
                .as_ref()
                .map(|id| parse_id("programme cycle", id))
                .transpose()?,
        };
        let report = service::evaluation_report::evaluation_report(
            &db(ctx)?.conn,
            &scope,
            today(),
            lang.into(),
        )
        .await?;
        Ok(report.into())
    }
}
