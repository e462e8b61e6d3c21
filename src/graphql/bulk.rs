//! Bulk recording of nominations and outcomes: a list of rows or a CSV text, every row through the
//! same rules as `nominateOfficer` and the enrollment actions, with a report per row.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};

use super::{
    auth::{actor, Allow},
    db,
    enrollment::Enrollment,
    enums::EnrollmentStatus,
    scalars::Date,
};
use crate::service::auth::Access;
use crate::{
    error::{AppError, Result},
    service::bulk::{self, EnrollmentRow, InputRow, IterationRef},
};

/// How a batch is applied.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum BulkMode {
    /// One transaction: if any row is refused, nothing is recorded (every row is still reported).
    AllOrNothing,
    /// Each row on its own: the rows that pass are recorded, the refused ones change nothing.
    PerRow,
}

impl From<BulkMode> for bulk::BulkMode {
    fn from(m: BulkMode) -> Self {
        match m {
            BulkMode::AllOrNothing => bulk::BulkMode::AllOrNothing,
            BulkMode::PerRow => bulk::BulkMode::PerRow,
        }
    }
}

/// What a row records.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum EnrollmentRowAction {
    /// Nominate the officer: CONFIRMED if a seat is free, else WAITLISTED.
    Nominate,
    /// Confirm the officer's NOMINATED or WAITLISTED enrollment.
    Confirm,
    /// Withdraw the officer's WAITLISTED or CONFIRMED enrollment (before the start).
    Withdraw,
    /// Record attendance (once the iteration has started).
    Attend,
    /// Record a no-show (once the iteration has started).
    NoShow,
    /// Record completion, with an optional score.
    Complete,
    /// Record failure, with an optional score.
    Fail,
}

impl From<EnrollmentRowAction> for bulk::RowAction {
    fn from(a: EnrollmentRowAction) -> Self {
        match a {
            EnrollmentRowAction::Nominate => bulk::RowAction::Nominate,
            EnrollmentRowAction::Confirm => bulk::RowAction::Confirm,
            EnrollmentRowAction::Withdraw => bulk::RowAction::Withdraw,
            EnrollmentRowAction::Attend => bulk::RowAction::Attend,
            EnrollmentRowAction::NoShow => bulk::RowAction::NoShow,
            EnrollmentRowAction::Complete => bulk::RowAction::Complete,
            EnrollmentRowAction::Fail => bulk::RowAction::Fail,
        }
    }
}

/// One row of a batch: the iteration (by id, or by course code and start date), the officer and
/// what to record. Actions other than NOMINATE apply to the officer's live enrollment there.
#[derive(InputObject)]
pub struct EnrollmentRowInput {
    /// The iteration; or give courseCode and iterationStart instead.
    pub iteration_id: Option<ID>,
    /// Code of the iteration's course (with iterationStart).
    pub course_code: Option<String>,
    /// First day of the iteration (with courseCode).
    pub iteration_start: Option<Date>,
    /// The officer.
    pub officer_id: ID,
    /// What to record.
    pub action: EnrollmentRowAction,
    /// Evaluation score, 0 to 100 (COMPLETE or FAIL only).
    pub evaluation_score: Option<f64>,
}

fn parse_row(row: EnrollmentRowInput) -> InputRow {
    let id = |field: &str, id: &ID| -> Result<i32> {
        id.parse::<i32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| AppError::invalid(field, format!("'{}' is not an id", id.as_str())))
    };
    let iteration = match (row.iteration_id, row.course_code, row.iteration_start) {
        (Some(i), None, None) => IterationRef::Id(id("iterationId", &i)?),
        (None, Some(code), Some(start)) => IterationRef::Course {
            code,
            start_date: start.into(),
        },
        _ => {
            return Err(AppError::invalid(
                "iterationId",
                "give either iterationId, or courseCode and iterationStart",
            ))
        }
    };
    Ok(EnrollmentRow {
        iteration,
        officer_id: id("officerId", &row.officer_id)?,
        action: row.action.into(),
        evaluation_score: row.evaluation_score,
    })
}

/// What happened to a row.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RowOutcome {
    /// Recorded.
    Applied,
    /// Passed every rule, but the batch was rolled back because another row was refused.
    RolledBack,
    /// Refused by a rule or by its input; changed nothing.
    Refused,
}

/// The report on one row.
#[derive(SimpleObject)]
pub struct EnrollmentRowResult {
    /// 1-based position in the batch (in a CSV, the first line after the header is row 1).
    pub row: i32,
    /// What happened.
    pub outcome: RowOutcome,
    /// Status the enrollment reached (or would have, when rolled back).
    pub status: Option<EnrollmentStatus>,
    /// The enrollment, when the row was recorded.
    pub enrollment: Option<Enrollment>,
    /// Code of the rule that refused the row (the same codes as single requests).
    pub code: Option<String>,
    /// Why the row was refused, naming the rule and the record.
    pub message: Option<String>,
}

/// The report on a batch.
#[derive(SimpleObject)]
pub struct BulkEnrollmentReport {
    /// Mode the batch ran in.
    pub mode: BulkMode,
    /// Whether anything was recorded.
    pub committed: bool,
    /// Rows recorded.
    pub applied: i32,
    /// Rows refused.
    pub refused: i32,
    /// Every row, in order.
    pub rows: Vec<EnrollmentRowResult>,
}

impl From<bulk::BulkReport> for BulkEnrollmentReport {
    fn from(report: bulk::BulkReport) -> Self {
        let mode = match report.mode {
            bulk::BulkMode::AllOrNothing => BulkMode::AllOrNothing,
            bulk::BulkMode::PerRow => BulkMode::PerRow,
        };
        let applied = report.count(bulk::RowOutcome::Applied) as i32;
        let refused = report.count(bulk::RowOutcome::Refused) as i32;
        let rows = report
            .rows
            .into_iter()
            .map(|r| {
                let outcome = match r.outcome {
                    bulk::RowOutcome::Applied => RowOutcome::Applied,
                    bulk::RowOutcome::RolledBack => RowOutcome::RolledBack,
                    bulk::RowOutcome::Refused => RowOutcome::Refused,
                };
                EnrollmentRowResult {
                    row: r.row as i32,
                    outcome,
                    status: r.enrollment.as_ref().map(|e| e.status.into()),
                    enrollment: r
                        .enrollment
                        .filter(|_| outcome == RowOutcome::Applied)
                        .map(Enrollment::from),
                    code: r.error.as_ref().map(|e| e.code().as_str().to_owned()),
                    message: r.error.as_ref().map(AppError::message),
                }
            })
            .collect();
        BulkEnrollmentReport {
            mode,
            committed: report.committed,
            applied,
            refused,
            rows,
        }
    }
}

/// Runs a batch as one unit of work of the service layer, named for the mutation.
async fn run(
    ctx: &Context<'_>,
    rows: Vec<InputRow>,
    mode: bulk::BulkMode,
) -> Result<BulkEnrollmentReport> {
    let report = bulk::record(
        db(ctx)?,
        &actor(ctx),
        ctx.field().name(),
        rows,
        mode,
        &|_| {},
    )
    .await?;
    Ok(report.into())
}

#[derive(Default)]
pub struct BulkMutation;

#[Object]
impl BulkMutation {
    /// Records many nominations or outcomes at once (at most 10,000 rows), each through the same
    /// rules as the single mutations; reports every row.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_enrollments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rows, in the order to apply them.")] rows: Vec<EnrollmentRowInput>,
        #[graphql(
            desc = "ALL_OR_NOTHING (default) or PER_ROW.",
            default_with = "Some(BulkMode::AllOrNothing)"
        )]
        mode: Option<BulkMode>,
    ) -> Result<BulkEnrollmentReport> {
        let rows: Vec<InputRow> = rows.into_iter().map(parse_row).collect();
        let mode = mode.unwrap_or(BulkMode::AllOrNothing).into();
        run(ctx, rows, mode).await
    }

    /// Records the rows of a CSV text (header `iteration_id,course_code,iteration_start,officer_id,
    /// action,evaluation_score`; see the README), like recordEnrollments.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn import_enrollments_csv(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CSV text, header row first.")] csv: String,
        #[graphql(
            desc = "ALL_OR_NOTHING (default) or PER_ROW.",
            default_with = "Some(BulkMode::AllOrNothing)"
        )]
        mode: Option<BulkMode>,
    ) -> Result<BulkEnrollmentReport> {
        let rows = bulk::parse_csv(&csv)?;
        let mode = mode.unwrap_or(BulkMode::AllOrNothing).into();
        run(ctx, rows, mode).await
    }
}
