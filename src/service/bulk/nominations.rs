//! Batches of nominations, set-based: a batch whose rows all NOMINATE reads what the rules need in a
//! few statements (its iterations and officers, locked in id order; their courses; the officers'
//! enrollments around the batch's dates; the partners' seats under quota; the waitlists' ends), runs
//! every row through the rules of `enrollment::nominate` in row order against that state, kept
//! up to date as rows are placed, then writes the placed rows (PostgreSQL: one INSERT from UNNEST of
//! array parameters; SQLite: multi-row INSERTs) and one seat update per iteration that gained seats.
//!
//! Row by row, a nomination costs a dozen statements and a savepoint; at 10,000 rows that is the
//! whole time of the import. The rules and their messages are the single requests' own
//! (`open_for_nominations`, `check_language`, `already_nominated`, `clash_error`, `has_seat_for`);
//! the property test `a_nomination_batch_records_what_single_nominations_record` holds the two
//! paths to the same outcome, row by row.

use sea_orm::ActiveEnum as _;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use entity::{
    course, course_iteration, enrollment,
    enums::{EnrollmentStatus, IterationStatus},
    officer,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, JoinType,
    QueryFilter, QuerySelect, RelationTrait, Statement,
};

use super::{
    duplicate_row, only_iteration, score_without_outcome, InputRow, IterationRef, RowAction,
    RowOutcome, RowReport,
};
use crate::{
    error::{AppError, Result},
    service::{
        batch,
        enrollment::{
            already_nominated, check_language, clash_error, has_seat_for, open_for_nominations,
            ENDED_WITHOUT_TRAINING, SEAT_HOLDING,
        },
        iteration, now,
    },
};

/// Rows per multi-row INSERT on SQLite, which binds at most 32,766 values a statement (an
/// enrollment row binds 11). PostgreSQL takes every row in one statement (`insert_unnest`).
const SQLITE_INSERT_ROWS: usize = 2000;

/// Whether the set-based path takes the batch: every row that parsed NOMINATEs.
pub(super) fn applies(rows: &[InputRow]) -> bool {
    rows.iter()
        .flatten()
        .all(|row| row.action == RowAction::Nominate)
}

/// An enrollment of a batch officer that the rules look at: a live one in a batch iteration
/// (ALREADY_NOMINATED) or a seat in an iteration that may overlap one (SCHEDULE_CONFLICT).
struct Held {
    enrollment_id: i32,
    iteration_id: i32,
    status: EnrollmentStatus,
    start_date: NaiveDate,
    end_date: NaiveDate,
}

/// What the rules read, as the rows before the current one left it.
struct State {
    iterations: HashMap<i32, course_iteration::Model>,
    courses: HashMap<i32, course::Model>,
    officers: HashMap<i32, officer::Model>,
    /// Per officer: enrollments not ended without training, in iterations around the batch's dates.
    held: HashMap<i32, Vec<Held>>,
    /// Seats held per (iteration, partner), for the iterations with a partner quota.
    partner_seats: HashMap<(i32, i32), u64>,
    /// Highest waitlist position per iteration.
    waitlist_end: HashMap<i32, i32>,
}

/// A row that passed every rule: the enrollment it creates.
struct Placed {
    iteration_id: i32,
    officer_id: i32,
    partner_id: i32,
    status: EnrollmentStatus,
    waitlist_position: Option<i32>,
}

/// Runs the batch in `txn` and reports every row; writes the placed rows (the caller commits or
/// rolls back). Only an error that makes the batch unsafe to go on with is returned.
pub(super) async fn record(
    txn: &DatabaseTransaction,
    rows: Vec<InputRow>,
    decided_by: &str,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<Vec<RowReport>> {
    let resolved = resolve_iterations(txn, &rows).await?;
    let mut state = load_state(txn, &rows, &resolved).await?;

    let mut seen = HashSet::new();
    let mut outcomes: Vec<Result<Placed>> = Vec::with_capacity(rows.len());
    for (i, (input, iteration_id)) in rows.into_iter().zip(resolved).enumerate() {
        let outcome = match (input, iteration_id) {
            (Err(err), _) | (Ok(_), Err(err)) => Err(err),
            (Ok(_), Ok(id)) if !state.iterations.contains_key(&id) => {
                Err(AppError::not_found("course iteration", id))
            }
            (Ok(row), Ok(id)) if !seen.insert((id, row.officer_id)) => Err(duplicate_row(&row, id)),
            (Ok(row), Ok(id)) => {
                plan(txn, &mut state, id, row.officer_id, row.evaluation_score).await
            }
        };
        match outcome {
            Err(AppError::Unavailable) => return Err(AppError::Unavailable),
            Err(AppError::Internal(message)) => return Err(AppError::Internal(message)),
            outcome => outcomes.push(outcome),
        }
        progress(i + 1);
    }

    let placed: Vec<&Placed> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let mut created = write(txn, &placed, decided_by).await?;
    Ok(outcomes
        .into_iter()
        .enumerate()
        .map(|(i, outcome)| match outcome {
            Ok(p) => RowReport {
                row: i + 1,
                outcome: RowOutcome::Applied,
                enrollment: created.remove(&(p.iteration_id, p.officer_id)),
                error: None,
            },
            Err(err) => RowReport {
                row: i + 1,
                outcome: RowOutcome::Refused,
                enrollment: None,
                error: Some(err),
            },
        })
        .collect())
}

/// Each row's iteration id: named by id (checked when the iterations are locked), or by course code
/// and start date (the one iteration, not cancelled, of that course starting that day).
async fn resolve_iterations(
    conn: &DatabaseTransaction,
    rows: &[InputRow],
) -> Result<Vec<Result<i32>>> {
    let codes: BTreeSet<&str> = rows
        .iter()
        .flatten()
        .filter_map(|row| match &row.iteration {
            IterationRef::Course { code, .. } => Some(code.as_str()),
            IterationRef::Id(_) => None,
        })
        .collect();
    let mut courses: HashMap<String, i32> = HashMap::new();
    let mut starts: HashMap<(i32, NaiveDate), Vec<i32>> = HashMap::new();
    if !codes.is_empty() {
        let codes: Vec<&str> = codes.into_iter().collect();
        for chunk in codes.chunks(1000) {
            for c in course::Entity::find()
                .filter(course::Column::Code.is_in(chunk.iter().copied()))
                .all(conn)
                .await?
            {
                courses.insert(c.code, c.id);
            }
        }
        let ids: Vec<i32> = courses.values().copied().collect();
        let iterations = batch::children(
            conn,
            course_iteration::Entity::find()
                .filter(course_iteration::Column::Status.ne(IterationStatus::Cancelled)),
            course_iteration::Column::CourseId,
            &[course_iteration::Column::Id],
            &ids,
            |it| Some(it.course_id),
        )
        .await?;
        for it in iterations.into_values().flatten() {
            starts
                .entry((it.course_id, it.start_date))
                .or_default()
                .push(it.id);
        }
    }
    Ok(rows
        .iter()
        .map(|row| match row {
            Err(_) => Err(AppError::Internal("unparsed row".into())),
            Ok(row) => match &row.iteration {
                IterationRef::Id(id) => Ok(*id),
                IterationRef::Course { code, start_date } => {
                    let course = *courses
                        .get(code)
                        .ok_or_else(|| AppError::not_found("course", code))?;
                    let found = starts
                        .get(&(course, *start_date))
                        .map_or(&[][..], Vec::as_slice);
                    only_iteration(code, *start_date, found)
                }
            },
        })
        .collect())
}

/// Reads (and locks: iterations, then officers, each in id order, as single requests lock an
/// iteration then an officer) everything the rules look at.
async fn load_state(
    conn: &DatabaseTransaction,
    rows: &[InputRow],
    resolved: &[Result<i32>],
) -> Result<State> {
    let iteration_ids: Vec<i32> = resolved.iter().flatten().copied().collect();
    let iterations = batch::by_ids_locked::<course_iteration::Entity, _>(
        conn,
        course_iteration::Column::Id,
        &iteration_ids,
        |it| it.id,
    )
    .await?;
    let course_ids: Vec<i32> = iterations.values().map(|it| it.course_id).collect();
    let courses =
        batch::by_ids::<course::Entity, _>(conn, course::Column::Id, &course_ids, |c| c.id).await?;
    let officer_ids: Vec<i32> = rows.iter().flatten().map(|row| row.officer_id).collect();
    let officers =
        batch::by_ids_locked::<officer::Entity, _>(conn, officer::Column::Id, &officer_ids, |o| {
            o.id
        })
        .await?;

    let backend = conn.get_database_backend();
    let mut held: HashMap<i32, Vec<Held>> = HashMap::new();
    let first = iterations.values().map(|it| it.start_date).min();
    let last = iterations.values().map(|it| it.end_date).max();
    if let (Some(first), Some(last)) = (first, last) {
        let officer_ids: Vec<i32> = officers.keys().copied().collect();
        for chunk in officer_ids.chunks(batch::chunk_size(backend)) {
            let found = officers_enrollments(conn, chunk, first, last).await?;
            for (enrollment_id, officer_id, iteration_id, status, start_date, end_date) in found {
                held.entry(officer_id).or_default().push(Held {
                    enrollment_id,
                    iteration_id,
                    status,
                    start_date,
                    end_date,
                });
            }
        }
    }

    let with_quota: Vec<i32> = iterations
        .values()
        .filter(|it| it.partner_quota.is_some())
        .map(|it| it.id)
        .collect();
    let mut partner_seats = HashMap::new();
    for chunk in with_quota.chunks(batch::chunk_size(backend)) {
        let counts: Vec<(i32, i32, i64)> = enrollment::Entity::find()
            .select_only()
            .column(enrollment::Column::IterationId)
            .column(enrollment::Column::PartnerId)
            .column_as(enrollment::Column::Id.count(), "seats")
            .filter(batch::among::<enrollment::Entity>(
                backend,
                enrollment::Column::IterationId,
                chunk,
            ))
            .filter(enrollment::Column::Status.is_in(SEAT_HOLDING))
            .group_by(enrollment::Column::IterationId)
            .group_by(enrollment::Column::PartnerId)
            .into_tuple()
            .all(conn)
            .await?;
        for (iteration_id, partner_id, seats) in counts {
            partner_seats.insert(
                (iteration_id, partner_id),
                u64::try_from(seats).unwrap_or(0),
            );
        }
    }

    let ids: Vec<i32> = iterations.keys().copied().collect();
    let mut waitlist_end = HashMap::new();
    for chunk in ids.chunks(batch::chunk_size(backend)) {
        let ends: Vec<(i32, Option<i32>)> = enrollment::Entity::find()
            .select_only()
            .column(enrollment::Column::IterationId)
            .column_as(enrollment::Column::WaitlistPosition.max(), "waitlist_end")
            .filter(batch::among::<enrollment::Entity>(
                backend,
                enrollment::Column::IterationId,
                chunk,
            ))
            .group_by(enrollment::Column::IterationId)
            .into_tuple()
            .all(conn)
            .await?;
        for (iteration_id, end) in ends {
            waitlist_end.insert(iteration_id, end.unwrap_or(0));
        }
    }

    Ok(State {
        iterations,
        courses,
        officers,
        held,
        partner_seats,
        waitlist_end,
    })
}

/// An enrollment of a batch officer, with its iteration's dates: (enrollment, officer, iteration,
/// status, start, end).
type OfficerEnrollment = (i32, i32, i32, EnrollmentStatus, NaiveDate, NaiveDate);

/// The officers' enrollments not ended without training, in iterations overlapping `first..=last`.
///
/// PostgreSQL reads them officer by officer (LATERAL on the officer index): given the officer ids
/// as `= ANY(array)` next to the date window, it planned a nested loop over the window's iterations
/// probing the whole array for each (714 iterations x 10,000 officers: 7 s a batch once the waitlists
/// had grown); per officer it is about ten index entries each, whatever the window.
async fn officers_enrollments(
    conn: &DatabaseTransaction,
    officer_ids: &[i32],
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<OfficerEnrollment>> {
    if conn.get_database_backend() == DbBackend::Postgres {
        let ended: Vec<String> = ENDED_WITHOUT_TRAINING
            .iter()
            .map(|s| format!("'{}'", s.to_value()))
            .collect();
        let sql = format!(
            "SELECT e.id, e.officer_id, e.iteration_id, e.status, e.start_date, e.end_date \
             FROM unnest(CAST($1 AS int4[])) AS b(officer_id) \
             CROSS JOIN LATERAL ( \
               SELECT e.id, e.officer_id, e.iteration_id, e.status, i.start_date, i.end_date \
               FROM enrollment e JOIN course_iteration i ON i.id = e.iteration_id \
               WHERE e.officer_id = b.officer_id AND e.status NOT IN ({}) \
                 AND i.end_date >= $2 AND i.start_date <= $3) e",
            ended.join(", ")
        );
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [
                    batch::pg_int_array(officer_ids).into(),
                    first.into(),
                    last.into(),
                ],
            ))
            .await?;
        return rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get_by_index(0)?,
                    r.try_get_by_index(1)?,
                    r.try_get_by_index(2)?,
                    r.try_get_by_index(3)?,
                    r.try_get_by_index(4)?,
                    r.try_get_by_index(5)?,
                ))
            })
            .collect::<std::result::Result<_, sea_orm::DbErr>>()
            .map_err(Into::into);
    }
    Ok(enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::Id)
        .column(enrollment::Column::OfficerId)
        .column(enrollment::Column::IterationId)
        .column(enrollment::Column::Status)
        .column(course_iteration::Column::StartDate)
        .column(course_iteration::Column::EndDate)
        .join(
            JoinType::InnerJoin,
            enrollment::Relation::CourseIteration.def(),
        )
        .filter(enrollment::Column::OfficerId.is_in(officer_ids.iter().copied()))
        .filter(enrollment::Column::Status.is_not_in(ENDED_WITHOUT_TRAINING))
        .filter(course_iteration::Column::EndDate.gte(first))
        .filter(course_iteration::Column::StartDate.lte(last))
        .into_tuple()
        .all(conn)
        .await?)
}

/// One row through the rules of `enrollment::nominate` (with `place`), in its order: the
/// officer exists, no score, the iteration takes nominations, the language requirement, no live
/// enrollment there, no overlapping seat; then a seat if one is free for the partner, else the end
/// of the waitlist. A placed row updates the state for the rows after it.
async fn plan(
    conn: &DatabaseTransaction,
    state: &mut State,
    iteration_id: i32,
    officer_id: i32,
    evaluation_score: Option<f64>,
) -> Result<Placed> {
    let it = state
        .iterations
        .get(&iteration_id)
        .ok_or_else(|| AppError::not_found("course iteration", iteration_id))?;
    let officer = state
        .officers
        .get(&officer_id)
        .ok_or_else(|| AppError::not_found("officer", officer_id))?;
    if evaluation_score.is_some() {
        return Err(score_without_outcome());
    }
    open_for_nominations(it)?;
    let course = state
        .courses
        .get(&it.course_id)
        .ok_or_else(|| AppError::not_found("course", it.course_id))?;
    check_language(officer, course)?;
    let held = state.held.get(&officer_id).map_or(&[][..], Vec::as_slice);
    if let Some(live) = held.iter().find(|h| h.iteration_id == iteration_id) {
        return Err(already_nominated(
            officer_id,
            live.enrollment_id,
            live.status,
            iteration_id,
        ));
    }
    if let Some(seat) = held.iter().find(|h| {
        SEAT_HOLDING.contains(&h.status)
            && h.iteration_id != iteration_id
            && h.start_date <= it.end_date
            && h.end_date >= it.start_date
    }) {
        let other = match state.iterations.get(&seat.iteration_id) {
            Some(other) => other.clone(),
            None => iteration::get(conn, seat.iteration_id).await?,
        };
        return Err(clash_error(officer_id, it, &other));
    }

    let partner_id = officer.partner_id;
    let partner_held = state
        .partner_seats
        .get(&(iteration_id, partner_id))
        .copied()
        .unwrap_or(0);
    let (status, waitlist_position) = if has_seat_for(it, partner_held) {
        (EnrollmentStatus::Confirmed, None)
    } else {
        let end = state.waitlist_end.entry(iteration_id).or_insert(0);
        *end += 1;
        (EnrollmentStatus::Waitlisted, Some(*end))
    };
    // The row's enrollment, as the rows after it must see it (id unknown until written; it can
    // only be met again by a row of the same officer and iteration, which is a DUPLICATE_ROW).
    let (start_date, end_date) = (it.start_date, it.end_date);
    if status == EnrollmentStatus::Confirmed {
        if let Some(it) = state.iterations.get_mut(&iteration_id) {
            it.seats_held += 1;
        }
        *state
            .partner_seats
            .entry((iteration_id, partner_id))
            .or_default() += 1;
    }
    state.held.entry(officer_id).or_default().push(Held {
        enrollment_id: 0,
        iteration_id,
        status,
        start_date,
        end_date,
    });
    Ok(Placed {
        iteration_id,
        officer_id,
        partner_id,
        status,
        waitlist_position,
    })
}

/// Writes the placed rows and the seats they took; returns the enrollments by (iteration, officer).
/// An enrollment is written as a single nomination leaves it: nominated, then placed (version 2).
async fn write(
    conn: &DatabaseTransaction,
    placed: &[&Placed],
    decided_by: &str,
) -> Result<HashMap<(i32, i32), enrollment::Model>> {
    let at = now();
    let models = if conn.get_database_backend() == DbBackend::Postgres {
        insert_unnest(conn, placed, decided_by, at).await?
    } else {
        insert_values(conn, placed, decided_by, at).await?
    };
    let created = models
        .into_iter()
        .map(|model| ((model.iteration_id, model.officer_id), model))
        .collect();

    // Seats taken per iteration, updated in id order (the order of the iteration locks).
    let mut seats: BTreeMap<i32, i32> = BTreeMap::new();
    for p in placed {
        if p.status == EnrollmentStatus::Confirmed {
            *seats.entry(p.iteration_id).or_default() += 1;
        }
    }
    for (iteration_id, taken) in seats {
        course_iteration::Entity::update_many()
            .col_expr(
                course_iteration::Column::SeatsHeld,
                Expr::col(course_iteration::Column::SeatsHeld).add(taken),
            )
            .filter(course_iteration::Column::Id.eq(iteration_id))
            .exec(conn)
            .await?;
    }
    Ok(created)
}

/// PostgreSQL: every placed row in one `INSERT ... SELECT FROM UNNEST` of five array parameters
/// (bound as array literals): one short statement to parse and plan, where a multi-row VALUES list
/// binds eleven parameters a row (parse and bind took as long as the insert itself).
async fn insert_unnest(
    conn: &DatabaseTransaction,
    placed: &[&Placed],
    decided_by: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<enrollment::Model>> {
    if placed.is_empty() {
        return Ok(Vec::new());
    }
    fn array<T>(items: &[&Placed], cell: impl Fn(&Placed) -> T) -> String
    where
        T: std::fmt::Display,
    {
        let cells: Vec<String> = items.iter().map(|p| cell(p).to_string()).collect();
        format!("{{{}}}", cells.join(","))
    }
    let positions = array(placed, |p| {
        p.waitlist_position
            .map_or_else(|| "NULL".to_owned(), |n| n.to_string())
    });
    let sql = "INSERT INTO enrollment (iteration_id, officer_id, partner_id, status, waitlist_position, \
               nominated_at, waitlisted_at, confirmed_at, decided_by, version, updated_at) \
               SELECT u.iteration_id, u.officer_id, u.partner_id, u.status, u.waitlist_position, $6, \
               CASE WHEN u.status = 'WAITLISTED' THEN $6 END, CASE WHEN u.status = 'CONFIRMED' THEN $6 END, \
               $7, 2, $6 \
               FROM UNNEST(CAST($1 AS int4[]), CAST($2 AS int4[]), CAST($3 AS int4[]), CAST($4 AS text[]), \
                           CAST($5 AS int4[])) \
                    AS u(iteration_id, officer_id, partner_id, status, waitlist_position) \
               RETURNING *";
    let values: Vec<sea_orm::Value> = vec![
        array(placed, |p| p.iteration_id).into(),
        array(placed, |p| p.officer_id).into(),
        array(placed, |p| p.partner_id).into(),
        array(placed, |p| p.status.to_value()).into(),
        positions.into(),
        at.into(),
        decided_by.to_owned().into(),
    ];
    Ok(enrollment::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .all(conn)
        .await?)
}

/// SQLite: multi-row INSERTs of `SQLITE_INSERT_ROWS` rows.
async fn insert_values(
    conn: &DatabaseTransaction,
    placed: &[&Placed],
    decided_by: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<enrollment::Model>> {
    let mut created = Vec::with_capacity(placed.len());
    for chunk in placed.chunks(SQLITE_INSERT_ROWS) {
        let models = chunk.iter().map(|p| {
            let confirmed = p.status == EnrollmentStatus::Confirmed;
            enrollment::ActiveModel {
                iteration_id: Set(p.iteration_id),
                officer_id: Set(p.officer_id),
                partner_id: Set(p.partner_id),
                status: Set(p.status),
                waitlist_position: Set(p.waitlist_position),
                nominated_at: Set(at),
                waitlisted_at: Set((!confirmed).then_some(at)),
                confirmed_at: Set(confirmed.then_some(at)),
                decided_by: Set(Some(decided_by.to_owned())),
                version: Set(2),
                updated_at: Set(at),
                ..Default::default()
            }
        });
        created.extend(
            enrollment::Entity::insert_many(models)
                .exec_with_returning(conn)
                .await?,
        );
    }
    Ok(created)
}
