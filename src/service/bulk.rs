//! Bulk recording of nominations and outcomes, from a list or a CSV file.
//!
//! A batch is one unit of work (`uow::run`). Every row goes through the same rules as a single
//! request (`enrollment::nominate` / `enrollment::act`), inside a savepoint, so a refused row never leaves half of itself behind.
//! A batch of nominations only (a spreadsheet of nominees, the common case) takes a set-based path
//! with the same rules and outcomes (`nominations`): a few reads for the whole batch, the rules run
//! in memory in row order, then multi-row INSERTs.
//! ALL_OR_NOTHING runs the batch in one transaction and rolls all of it back if any row is refused,
//! still reporting every row (rows after a refusal are checked against the state the earlier rows
//! would have left). PER_ROW keeps the rows that pass: a refused row's savepoint is rolled back.
//!
//! A row names the iteration by id, or by course code and start date, and the officer by id. Actions
//! other than NOMINATE apply to the officer's live enrollment in that iteration, at its current
//! version: a batch is recorded from a spreadsheet, not from a screen that read versions.

use crate::error::ErrorCode;
use sea_orm::ActiveEnum as _;
use std::collections::{BTreeSet, HashSet};

use chrono::NaiveDate;
use entity::{course, course_iteration, enrollment, enums::IterationStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{
    enrollment::{self as enrollments, Action, Nomination},
    officer,
    uow::{self, Actor, Change, PartnerOf, RelatedRecords, Tx},
};

mod nominations;
use crate::{
    db::Db,
    error::{AppError, Result},
};

/// Most rows one batch may hold.
pub const MAX_ROWS: usize = 10_000;

/// The CSV columns, in this order; the header row is required.
pub const CSV_COLUMNS: [&str; 6] = [
    "iteration_id",
    "course_code",
    "iteration_start",
    "officer_id",
    "action",
    "evaluation_score",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkMode {
    /// One transaction: a single refused row rolls back the whole batch.
    AllOrNothing,
    /// The rows that pass are kept, the refused ones leave nothing.
    PerRow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowAction {
    Nominate,
    Confirm,
    Withdraw,
    Attend,
    NoShow,
    Complete,
    Fail,
}

impl RowAction {
    pub fn parse(text: &str) -> Option<RowAction> {
        Some(
            match text.trim().to_ascii_uppercase().replace('-', "_").as_str() {
                "NOMINATE" => RowAction::Nominate,
                "CONFIRM" => RowAction::Confirm,
                "WITHDRAW" => RowAction::Withdraw,
                "ATTEND" => RowAction::Attend,
                "NO_SHOW" => RowAction::NoShow,
                "COMPLETE" => RowAction::Complete,
                "FAIL" => RowAction::Fail,
                _ => return None,
            },
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            RowAction::Nominate => "NOMINATE",
            RowAction::Confirm => "CONFIRM",
            RowAction::Withdraw => "WITHDRAW",
            RowAction::Attend => "ATTEND",
            RowAction::NoShow => "NO_SHOW",
            RowAction::Complete => "COMPLETE",
            RowAction::Fail => "FAIL",
        }
    }

    fn lifecycle(self) -> Option<Action> {
        match self {
            RowAction::Nominate => None,
            RowAction::Confirm => Some(Action::Confirm),
            RowAction::Withdraw => Some(Action::Withdraw),
            RowAction::Attend => Some(Action::Attend),
            RowAction::NoShow => Some(Action::NoShow),
            RowAction::Complete => Some(Action::Complete),
            RowAction::Fail => Some(Action::Fail),
        }
    }
}

/// How a row names its iteration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IterationRef {
    Id(i32),
    Course { code: String, start_date: NaiveDate },
}

#[derive(Debug, Clone)]
pub struct EnrollmentRow {
    pub iteration: IterationRef,
    pub officer_id: i32,
    pub action: RowAction,
    pub evaluation_score: Option<f64>,
}

/// A row as received: parsed, or refused before it reached the rules (bad date, bad number, ...).
pub type InputRow = Result<EnrollmentRow>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    /// The row was recorded.
    Applied,
    /// The row passed every rule but the batch was rolled back (ALL_OR_NOTHING).
    RolledBack,
    /// A rule (or the input) refused the row; it changed nothing.
    Refused,
}

#[derive(Debug)]
pub struct RowReport {
    /// 1-based position in the batch (for CSV: the first line after the header is row 1).
    pub row: usize,
    pub outcome: RowOutcome,
    /// The enrollment as the row left it (as it would have, when rolled back).
    pub enrollment: Option<enrollment::Model>,
    /// The refusal, for a refused row.
    pub error: Option<AppError>,
}

#[derive(Debug)]
pub struct BulkReport {
    pub mode: BulkMode,
    /// Whether anything was written.
    pub committed: bool,
    pub rows: Vec<RowReport>,
}

impl BulkReport {
    pub fn count(&self, outcome: RowOutcome) -> usize {
        self.rows.iter().filter(|r| r.outcome == outcome).count()
    }
}

fn check_size(rows: usize) -> Result<()> {
    if rows == 0 {
        return Err(AppError::rule(
            ErrorCode::EmptyBatch,
            "the batch holds no rows",
        ));
    }
    if rows > MAX_ROWS {
        return Err(AppError::rule(
            ErrorCode::BatchTooLarge,
            format!("a batch holds at most {MAX_ROWS} rows; this one has {rows}: split it"),
        ));
    }
    Ok(())
}

/// Records a batch as one unit of work, reporting every row. `action` names it in the audit log and
/// the change log (one event and one entry for a batch that kept something, listing the
/// enrollments it applied). `progress` is called after each row with the rows done.
pub async fn record(
    db: &Db,
    actor: &Actor,
    action: &str,
    rows: Vec<InputRow>,
    mode: BulkMode,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<BulkReport> {
    check_size(rows.len())?;
    let decided_by = actor.name.clone();
    uow::run(db, actor, |tx| async move {
        let reports = if nominations::applies(&rows) {
            nominations::record(&tx, rows, &decided_by, progress).await?
        } else {
            let mut seen = HashSet::new();
            let mut reports = Vec::with_capacity(rows.len());
            lock_iterations(&**tx, &rows).await?;
            for (i, row) in rows.into_iter().enumerate() {
                reports.push(in_savepoint(&tx, i + 1, row, &mut seen, &decided_by).await?);
                progress(i + 1);
            }
            reports
        };
        let report = conclude(mode, reports);
        let change = report
            .committed
            .then(|| batch_change(action, &report, &tx.related));
        Ok((report, change))
    })
    .await
}

/// Decides what a batch keeps: ALL_OR_NOTHING every row only if every row passed; PER_ROW the rows
/// that passed (a refused row wrote nothing: its savepoint was rolled back). A batch that keeps
/// nothing reports the rows that passed as rolled back.
fn conclude(mode: BulkMode, mut reports: Vec<RowReport>) -> BulkReport {
    let committed = match mode {
        BulkMode::AllOrNothing => reports.iter().all(|r| r.outcome == RowOutcome::Applied),
        BulkMode::PerRow => reports.iter().any(|r| r.outcome == RowOutcome::Applied),
    };
    if !committed {
        for r in &mut reports {
            if r.outcome == RowOutcome::Applied {
                r.outcome = RowOutcome::RolledBack;
            }
        }
    }
    BulkReport {
        mode,
        committed,
        rows: reports,
    }
}

/// The batch's change: the enrollments it applied (also listed as related records, with the
/// waitlisted officers their rows promoted).
fn batch_change(action: &str, report: &BulkReport, related: &RelatedRecords) -> Change {
    let applied: Vec<serde_json::Value> = report
        .rows
        .iter()
        .filter(|r| r.outcome == RowOutcome::Applied)
        .filter_map(|r| r.enrollment.as_ref())
        .map(|e| {
            related.note("enrollment", e.id);
            serde_json::json!({ "id": e.id, "status": e.status.to_value() })
        })
        .collect();
    Change {
        action: action.to_owned(),
        kind: "enrollment",
        entity_id: "batch".into(),
        partner: PartnerOf::None,
        before: None,
        after: Some(serde_json::json!({ "applied": applied })),
    }
}

/// Locks every iteration the batch names, in id order, before any row runs. A batch touches many
/// iterations and officers in one transaction; taking the iteration locks up front and in a fixed
/// order (single requests lock one iteration, then officers) means two batches, or a batch and a
/// single request, wait for each other instead of deadlocking.
async fn lock_iterations<C: ConnectionTrait>(conn: &C, rows: &[InputRow]) -> Result<()> {
    let mut ids = BTreeSet::new();
    for row in rows.iter().flatten() {
        if let Ok(id) = resolve_iteration(conn, &row.iteration).await {
            ids.insert(id);
        }
    }
    for id in ids {
        super::iteration::get_locked(conn, id).await?;
    }
    Ok(())
}

/// Runs one row inside a savepoint: a refused row is rolled back to where it began. Only an error
/// that makes the whole batch unsafe to continue (database unavailable, internal) is returned.
async fn in_savepoint(
    tx: &Tx,
    row: usize,
    input: InputRow,
    seen: &mut HashSet<(i32, i32, RowAction)>,
    decided_by: &str,
) -> Result<RowReport> {
    let savepoint = tx.savepoint().await?;
    match apply(&savepoint, input, seen, decided_by, &tx.related).await {
        Ok(model) => {
            savepoint.commit().await?;
            Ok(RowReport {
                row,
                outcome: RowOutcome::Applied,
                enrollment: Some(model),
                error: None,
            })
        }
        Err(err @ (AppError::Unavailable | AppError::Internal(_))) => Err(err),
        Err(err) => {
            savepoint.rollback().await?;
            Ok(RowReport {
                row,
                outcome: RowOutcome::Refused,
                enrollment: None,
                error: Some(err),
            })
        }
    }
}

async fn apply<C: ConnectionTrait>(
    conn: &C,
    input: InputRow,
    seen: &mut HashSet<(i32, i32, RowAction)>,
    decided_by: &str,
    related: &RelatedRecords,
) -> Result<enrollment::Model> {
    let row = input?;
    let iteration_id = resolve_iteration(conn, &row.iteration).await?;
    if !seen.insert((iteration_id, row.officer_id, row.action)) {
        return Err(duplicate_row(&row, iteration_id));
    }
    officer::get(conn, row.officer_id).await?;
    match row.action.lifecycle() {
        None => {
            if row.evaluation_score.is_some() {
                return Err(score_without_outcome());
            }
            let nomination = Nomination {
                iteration_id,
                officer_id: row.officer_id,
                place: true,
            };
            enrollments::nominate(conn, nomination, decided_by).await
        }
        Some(action) => {
            if row.evaluation_score.is_some() && !matches!(action, Action::Complete | Action::Fail)
            {
                return Err(score_without_outcome());
            }
            let live = enrollment::Entity::find()
                .filter(enrollment::Column::IterationId.eq(iteration_id))
                .filter(enrollment::Column::OfficerId.eq(row.officer_id))
                .filter(enrollment::Column::Status.is_in(enrollments::LIVE))
                .order_by_desc(enrollment::Column::Id)
                .one(conn)
                .await?
                .ok_or_else(|| {
                    AppError::rule(
                        ErrorCode::NotEnrolled,
                        format!(
                            "officer {} has no live enrollment in course iteration {iteration_id}",
                            row.officer_id
                        ),
                    )
                })?;
            enrollments::act(
                conn,
                live.id,
                live.version,
                action,
                row.evaluation_score,
                decided_by,
                related,
            )
            .await
        }
    }
}

async fn resolve_iteration<C: ConnectionTrait>(conn: &C, by: &IterationRef) -> Result<i32> {
    match by {
        IterationRef::Id(id) => Ok(super::iteration::get(conn, *id).await?.id),
        IterationRef::Course { code, start_date } => {
            let course = course::Entity::find()
                .filter(course::Column::Code.eq(code.as_str()))
                .one(conn)
                .await?
                .ok_or_else(|| AppError::not_found("course", code))?;
            let found: Vec<i32> = course_iteration::Entity::find()
                .filter(course_iteration::Column::CourseId.eq(course.id))
                .filter(course_iteration::Column::StartDate.eq(*start_date))
                .filter(course_iteration::Column::Status.ne(IterationStatus::Cancelled))
                .all(conn)
                .await?
                .iter()
                .map(|it| it.id)
                .collect();
            only_iteration(code, *start_date, &found)
        }
    }
}

/// The one iteration (not cancelled) of a course starting on a day, among `found`.
fn only_iteration(code: &str, start_date: NaiveDate, found: &[i32]) -> Result<i32> {
    match found {
        [one] => Ok(*one),
        [] => Err(AppError::not_found(
            "course iteration",
            format!("of {code} starting {start_date}"),
        )),
        _ => Err(AppError::rule(
            ErrorCode::AmbiguousIteration,
            format!(
                "course {code} has {} iterations starting {start_date}: name it by iteration_id",
                found.len()
            ),
        )),
    }
}

fn duplicate_row(row: &EnrollmentRow, iteration_id: i32) -> AppError {
    AppError::rule(ErrorCode::DuplicateRow,
        format!(
            "an earlier row of this batch already records {} for officer {} in course iteration {iteration_id}",
            row.action.name(),
            row.officer_id
        ),
    )
}

fn score_without_outcome() -> AppError {
    AppError::invalid(
        "evaluation_score",
        "a score goes with COMPLETE or FAIL only",
    )
}

/// Reads the CSV layout of `CSV_COLUMNS`. A wrong header refuses the whole file; a bad value refuses
/// its row only.
pub fn parse_csv(text: &str) -> Result<Vec<InputRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        // Spreadsheets often save UTF-8 with a byte order mark.
        .from_reader(text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes());
    let expected = CSV_COLUMNS.join(",");
    let header = reader.headers().map_err(|e| {
        AppError::rule(
            ErrorCode::CsvHeader,
            format!("the CSV header cannot be read ({e}); it must be: {expected}"),
        )
    })?;
    let got: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    if got != CSV_COLUMNS {
        return Err(AppError::rule(
            ErrorCode::CsvHeader,
            format!(
                "the CSV header must be: {expected} (got: {})",
                header.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        rows.push(match record {
            Ok(record) => parse_record(&record),
            Err(e) => Err(AppError::invalid("csv", format!("unreadable line: {e}"))),
        });
        if rows.len() > MAX_ROWS {
            break; // enough to refuse the batch as too large
        }
    }
    Ok(rows)
}

fn parse_record(record: &csv::StringRecord) -> InputRow {
    if record.len() != CSV_COLUMNS.len() {
        return Err(AppError::invalid(
            "csv",
            format!(
                "a row has {} fields, not {}: {}",
                record.len(),
                CSV_COLUMNS.len(),
                CSV_COLUMNS.join(",")
            ),
        ));
    }
    let field = |i: usize| record.get(i).unwrap_or_default();
    let id = |name: &str, text: &str| -> Result<i32> {
        text.parse::<i32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| AppError::invalid(name, format!("'{text}' is not an id")))
    };
    let iteration = match (field(0), field(1), field(2)) {
        (id_text, "", "") if !id_text.is_empty() => IterationRef::Id(id("iteration_id", id_text)?),
        ("", code, start) if !code.is_empty() && !start.is_empty() => IterationRef::Course {
            code: code.to_owned(),
            start_date: NaiveDate::parse_from_str(start, "%Y-%m-%d").map_err(|_| {
                AppError::invalid(
                    "iteration_start",
                    format!("'{start}' is not a date (YYYY-MM-DD)"),
                )
            })?,
        },
        _ => {
            return Err(AppError::invalid(
                "iteration_id",
                "give either iteration_id, or course_code and iteration_start",
            ))
        }
    };
    let action = RowAction::parse(field(4)).ok_or_else(|| {
        AppError::invalid(
            "action",
            format!(
                "'{}' is not one of NOMINATE, CONFIRM, WITHDRAW, ATTEND, NO_SHOW, COMPLETE, FAIL",
                field(4)
            ),
        )
    })?;
    let evaluation_score = match field(5) {
        "" => None,
        text => Some(
            text.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite())
                .ok_or_else(|| {
                    AppError::invalid("evaluation_score", format!("'{text}' is not a number"))
                })?,
        ),
    };
    Ok(EnrollmentRow {
        iteration,
        officer_id: id("officer_id", field(3))?,
        action,
        evaluation_score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_header_names_the_expected_columns() {
        let err = parse_csv("officer,iteration\n1,2\n").err();
        let message = err
            .map(|e| (e.code().as_str(), e.message()))
            .unwrap_or_default();
        assert_eq!(message.0, "CSV_HEADER");
        assert!(message.1.contains(&CSV_COLUMNS.join(",")), "{}", message.1);
    }

    #[test]
    fn bad_values_refuse_their_row_only() {
        let rows = parse_csv(
            "iteration_id,course_code,iteration_start,officer_id,action,evaluation_score\n\
             1,,,2,NOMINATE,\n\
             ,BS-101,2030-02-30,2,NOMINATE,\n\
             ,BS-101,2030-03-04,x,ATTEND,\n\
             1,,,2,DANCE,\n\
             1,,,2,COMPLETE,abc\n\
             1,,,2\n\
             ,BS-101,2030-03-04,3,no-show,\n",
        )
        .unwrap_or_default();
        let fields: Vec<Option<String>> = rows
            .iter()
            .map(|r| match r {
                Ok(_) => None,
                Err(AppError::Validation { field, .. }) => Some(field.clone()),
                Err(other) => Some(other.code().as_str().to_owned()),
            })
            .collect();
        assert_eq!(
            fields,
            [
                None,
                Some("iteration_start".into()),
                Some("officer_id".into()),
                Some("action".into()),
                Some("evaluation_score".into()),
                Some("csv".into()),
                None,
            ]
        );
    }

    #[test]
    fn a_spreadsheet_byte_order_mark_is_ignored() {
        let rows = parse_csv(&format!(
            "\u{feff}{}\r\n1,,,2,NOMINATE,\r\n",
            CSV_COLUMNS.join(",")
        ))
        .unwrap_or_default();
        assert!(matches!(rows.as_slice(), [Ok(_)]));
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "\n",
            "\u{0}\u{1}",
            "a,b\n\"unterminated",
            "iteration_id\n,,,,,,,,,\n",
        ] {
            let _ = parse_csv(text);
        }
    }
}
