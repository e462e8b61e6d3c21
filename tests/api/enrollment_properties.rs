//! Property test of the enrollment rules over the service and a real SQLite database: random sequences
//! of nominations, lifecycle actions, capacity changes and cancellations never reach a state the
//! rules forbid.
//!
//! After every operation: seats held == seat-holding enrollments <= capacity, partner quotas hold,
//! one live enrollment per officer and iteration, no officer seated in two overlapping iterations,
//! the waitlist keeps its order (FIFO, distinct positions), every status change is an edge of
//! invariant 6, and a refused operation changed nothing. A second property runs random bulk batches:
//! ALL_OR_NOTHING reports every row as PER_ROW records it and writes nothing if one is refused. A
//! third holds a batch of nominations (the set-based path) to what single nominations record.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::{
    course_iteration, enrollment,
    enums::{CourseTopic, Delivery, EnrollmentStatus as S, Service},
};
use ipcp::{
    config::DatabaseArgs,
    service::Db,
    service::{
        self,
        enrollment::{Action, Nomination},
        uow::{self, Actor},
    },
    startup,
};

/// The writer these properties run as: the rules are driven through the service's unit of work.
fn actor() -> Actor {
    Actor::cli("proptest")
}
use proptest::prelude::*;
use sea_orm::{EntityTrait, QueryOrder};

use crate::helpers::{Backend, TestDatabase};

#[derive(Debug, Clone)]
enum Op {
    Nominate {
        officer: usize,
        iteration: usize,
        place: bool,
    },
    Act {
        officer: usize,
        iteration: usize,
        action: usize,
    },
    Capacity {
        iteration: usize,
        capacity: i32,
    },
    Cancel {
        iteration: usize,
    },
    Move {
        iteration: usize,
        days: i64,
    },
}

const ACTIONS: [Action; 8] = [
    Action::Confirm,
    Action::Waitlist,
    Action::Decline,
    Action::Withdraw,
    Action::Attend,
    Action::NoShow,
    Action::Complete,
    Action::Fail,
];
const OFFICERS: usize = 5;
/// Two iterations that overlap (a year from today; random moves shift them by up to 6 days), one
/// that has started (a year ago): first and last day, counted from today, capacity, quota.
const ITERATIONS: [(i64, i64, i32, Option<i32>); 3] = [
    (365, 369, 2, Some(2)),
    (367, 371, 1, None),
    (-365, -361, 2, None),
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..OFFICERS, 0..ITERATIONS.len(), any::<bool>())
            .prop_map(|(officer, iteration, place)| Op::Nominate { officer, iteration, place }),
        6 => (0..OFFICERS, 0..ITERATIONS.len(), 0..ACTIONS.len())
            .prop_map(|(officer, iteration, action)| Op::Act { officer, iteration, action }),
        1 => (0..ITERATIONS.len(), 0..4i32)
            .prop_map(|(iteration, capacity)| Op::Capacity { iteration, capacity }),
        1 => (0..ITERATIONS.len()).prop_map(|iteration| Op::Cancel { iteration }),
        1 => (0..2usize, -6..6i64).prop_map(|(iteration, days)| Op::Move { iteration, days }),
    ]
}

/// The edges of DOMAIN.md invariant 6 (promotion is WAITLISTED -> CONFIRMED; cancelling an iteration
/// moves the live statuses to CANCELLED).
fn allowed(from: S, to: S) -> bool {
    matches!(
        (from, to),
        (S::Nominated, S::Confirmed | S::Waitlisted | S::Declined)
            | (S::Waitlisted, S::Confirmed | S::Withdrawn)
            | (S::Confirmed, S::Attended | S::Withdrawn | S::NoShow)
            | (S::Attended, S::Completed | S::Failed)
            | (
                S::Nominated | S::Waitlisted | S::Confirmed | S::Attended,
                S::Cancelled
            )
    )
}

fn holds_seat(s: S) -> bool {
    matches!(s, S::Confirmed | S::Attended | S::Completed | S::Failed)
}

fn live(s: S) -> bool {
    matches!(s, S::Nominated | S::Waitlisted | S::Confirmed | S::Attended)
}

#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    enrollments: Vec<enrollment::Model>,
    iterations: Vec<course_iteration::Model>,
}

async fn snapshot(db: &Db) -> Snapshot {
    Snapshot {
        enrollments: enrollment::Entity::find()
            .order_by_asc(enrollment::Column::Id)
            .all(&db.conn)
            .await
            .unwrap(),
        iterations: course_iteration::Entity::find()
            .order_by_asc(course_iteration::Column::Id)
            .all(&db.conn)
            .await
            .unwrap(),
    }
}

struct World {
    db: Db,
    _database: TestDatabase,
    officers: Vec<(i32, i32)>,
    iterations: Vec<i32>,
    /// Enrollment ids in the order they joined the waitlist.
    queue: Vec<i32>,
}

impl World {
    /// Closes the pool before the database is dropped, so that dropping it (on PostgreSQL) need not
    /// terminate open connections.
    async fn close(self) {
        self.db.conn.clone().close().await.ok();
    }
}

fn date(days_from_today: i64) -> NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Duration::days(days_from_today)
}

async fn world(backend: Backend) -> World {
    let database = TestDatabase::create(backend).await;
    let db = Db::connect(&DatabaseArgs::new(database.url.clone()))
        .await
        .unwrap();
    startup::migrate(&db).await.unwrap();
    let mut partners = Vec::new();
    for code in ["TKM", "KAZ"] {
        let p = service::partner::create(
            &db.conn,
            service::partner::NewPartner {
                code: code.into(),
                name: code.into(),
                notes: None,
            },
        )
        .await
        .unwrap();
        partners.push(p.id);
    }
    let course = service::course::create(
        &db.conn,
        service::course::NewCourse {
            code: "BS-101".into(),
            title: "Border security".into(),
            topic: CourseTopic::ArmsControl,
            organiser: "NATO School Oberammergau".into(),
            delivery: Delivery::Residential,
            duration_days: 5,
            min_slp: None,
            pcm_code: None,
            etoc_code: None,
        },
    )
    .await
    .unwrap();
    let mut iterations = Vec::new();
    for (start, end, capacity, quota) in ITERATIONS {
        let it = service::iteration::create(
            &db.conn,
            service::iteration::NewIteration {
                course_id: course.id,
                start_date: date(start),
                end_date: date(end),
                location: "Oberammergau".into(),
                capacity,
                partner_quota: quota,
                status: Some(entity::enums::IterationStatus::Open),
            },
        )
        .await
        .unwrap();
        iterations.push(it.id);
    }
    let mut officers = Vec::new();
    for n in 0..OFFICERS {
        let partner = partners[n % 2];
        let o = service::officer::create(
            &db.conn,
            service::officer::NewOfficer {
                partner_id: partner,
                family_name: format!("Officer {n}"),
                given_name: "Test".into(),
                rank: "Captain".into(),
                service: Service::Army,
                position: None,
                slp: None,
            },
        )
        .await
        .unwrap();
        officers.push((o.id, partner));
    }
    World {
        db,
        _database: database,
        officers,
        iterations,
        queue: Vec::new(),
    }
}

/// Changes an iteration as `updateCourseIteration` does.
async fn update_iteration(
    db: &Db,
    it: course_iteration::Model,
    changes: service::iteration::IterationChanges,
) -> ipcp::error::Result<()> {
    uow::write(db, &actor(), "updateCourseIteration", |tx| async move {
        let after =
            service::iteration::update(&*tx, it.id, it.version, changes, &tx.related).await?;
        Ok((Some(it), after))
    })
    .await
    .map(|_| ())
}

/// Runs one operation; Ok(true) if it changed something, Ok(false) if it was refused.
async fn run(w: &World, op: &Op) -> bool {
    let db = &w.db;
    let result = match op {
        Op::Nominate {
            officer,
            iteration,
            place,
        } => {
            let nomination = Nomination {
                iteration_id: w.iterations[*iteration],
                officer_id: w.officers[*officer].0,
                place: *place,
            };
            uow::write(db, &actor(), "nominateOfficer", |tx| async move {
                Ok((
                    None,
                    service::enrollment::nominate(&*tx, nomination, "proptest").await?,
                ))
            })
            .await
            .map(|_| ())
        }
        Op::Act {
            officer,
            iteration,
            action,
        } => {
            let latest = snapshot(db).await.enrollments.into_iter().rev().find(|e| {
                e.officer_id == w.officers[*officer].0 && e.iteration_id == w.iterations[*iteration]
            });
            let Some(e) = latest else { return false };
            let score = matches!(ACTIONS[*action], Action::Complete | Action::Fail).then_some(70.0);
            let action = ACTIONS[*action];
            uow::write(db, &actor(), "act", |tx| async move {
                let after = service::enrollment::act(
                    &*tx,
                    e.id,
                    e.version,
                    action,
                    score,
                    "proptest",
                    &tx.related,
                )
                .await?;
                Ok((Some(e), after))
            })
            .await
            .map(|_| ())
        }
        Op::Capacity {
            iteration,
            capacity,
        } => {
            let it = service::iteration::get(&db.conn, w.iterations[*iteration])
                .await
                .unwrap();
            let changes = service::iteration::IterationChanges {
                capacity: Some(*capacity),
                ..Default::default()
            };
            update_iteration(db, it, changes).await
        }
        Op::Cancel { iteration } => {
            let it = service::iteration::get(&db.conn, w.iterations[*iteration])
                .await
                .unwrap();
            uow::write(db, &actor(), "cancelCourseIteration", |tx| async move {
                let after =
                    service::iteration::cancel(&*tx, it.id, it.version, &tx.related).await?;
                Ok((Some(it), after))
            })
            .await
            .map(|_| ())
        }
        Op::Move { iteration, days } => {
            let it = service::iteration::get(&db.conn, w.iterations[*iteration])
                .await
                .unwrap();
            let shift = chrono::Duration::days(*days);
            let changes = service::iteration::IterationChanges {
                start_date: Some(it.start_date + shift),
                end_date: Some(it.end_date + shift),
                ..Default::default()
            };
            update_iteration(db, it, changes).await
        }
    };
    match result {
        Ok(()) => true,
        Err(err) => {
            // A refusal is a coded rule, never an internal error.
            let code = err.code().as_str();
            assert!(
                !matches!(code, "INTERNAL_SERVER_ERROR" | "SERVICE_UNAVAILABLE"),
                "{op:?} failed with {code}: {err:?}"
            );
            false
        }
    }
}

fn check(w: &mut World, op: &Op, changed: bool, before: &Snapshot, after: &Snapshot) {
    if !changed {
        assert_eq!(before, after, "the refused {op:?} changed the database");
    }
    let old: BTreeMap<i32, S> = before
        .enrollments
        .iter()
        .map(|e| (e.id, e.status))
        .collect();
    for e in &after.enrollments {
        match old.get(&e.id) {
            Some(&from) if from != e.status => {
                assert!(
                    allowed(from, e.status),
                    "{op:?}: {from:?} -> {:?}",
                    e.status
                )
            }
            None => assert!(
                matches!(e.status, S::Nominated | S::Confirmed | S::Waitlisted),
                "{op:?} created a {:?} enrollment",
                e.status
            ),
            _ => {}
        }
        if e.status == S::Waitlisted && old.get(&e.id) != Some(&S::Waitlisted) {
            w.queue.push(e.id);
        }
    }
    for it in &after.iterations {
        let of_it: Vec<&enrollment::Model> = after
            .enrollments
            .iter()
            .filter(|e| e.iteration_id == it.id)
            .collect();
        let held = of_it.iter().filter(|e| holds_seat(e.status)).count() as i32;
        assert_eq!(
            it.seats_held, held,
            "{op:?}: seat counter of iteration {}",
            it.id
        );
        assert!(
            held <= it.capacity,
            "{op:?}: {held} seats of {}",
            it.capacity
        );
        if let Some(quota) = it.partner_quota {
            for (_, partner) in &w.officers {
                let mine = of_it
                    .iter()
                    .filter(|e| e.partner_id == *partner && holds_seat(e.status))
                    .count() as i32;
                assert!(
                    mine <= quota,
                    "{op:?}: partner {partner} holds {mine} > {quota}"
                );
            }
        }
        for (officer, _) in &w.officers {
            let live_here = of_it
                .iter()
                .filter(|e| e.officer_id == *officer && live(e.status))
                .count();
            assert!(
                live_here <= 1,
                "{op:?}: officer {officer} has {live_here} live enrollments"
            );
        }
        // FIFO: the waitlist, by position, keeps the order in which enrollments joined it.
        let mut waiting: Vec<&enrollment::Model> = of_it
            .iter()
            .copied()
            .filter(|e| e.status == S::Waitlisted)
            .collect();
        waiting.sort_by_key(|e| e.waitlist_position);
        let positions: Vec<Option<i32>> = waiting.iter().map(|e| e.waitlist_position).collect();
        let mut distinct = positions.clone();
        distinct.dedup();
        assert!(positions.iter().all(Option::is_some) && distinct == positions);
        let order: Vec<usize> = waiting
            .iter()
            .map(|e| {
                w.queue
                    .iter()
                    .position(|id| *id == e.id)
                    .unwrap_or(usize::MAX)
            })
            .collect();
        assert!(
            order.windows(2).all(|p| p[0] < p[1]),
            "{op:?}: waitlist out of order"
        );
    }
    // Invariant 5: nobody holds seats in two iterations whose dates overlap.
    for (officer, _) in &w.officers {
        let seats: Vec<&course_iteration::Model> = after
            .iterations
            .iter()
            .filter(|it| {
                after.enrollments.iter().any(|e| {
                    e.officer_id == *officer && e.iteration_id == it.id && holds_seat(e.status)
                })
            })
            .collect();
        for a in &seats {
            for b in &seats {
                assert!(
                    a.id == b.id || a.end_date < b.start_date || b.end_date < a.start_date,
                    "{op:?}: officer {officer} seated in overlapping iterations {} and {}",
                    a.id,
                    b.id
                );
            }
        }
    }
}

fn no_sequence_of_operations_breaks_the_enrollment_rules(backend: Backend, ops: Vec<Op>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut w = world(backend).await;
        for op in &ops {
            let before = snapshot(&w.db).await;
            let changed = run(&w, op).await;
            let after = snapshot(&w.db).await;
            check(&mut w, op, changed, &before, &after);
        }
        w.close().await;
    });
}

// PostgreSQL runs fewer cases: each creates and migrates a database of its own (about two
// seconds there, against milliseconds for a SQLite file).
proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn sqlite_no_sequence_of_operations_breaks_the_enrollment_rules(ops in proptest::collection::vec(op(), 1..40)) {
        no_sequence_of_operations_breaks_the_enrollment_rules(Backend::Sqlite, ops)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5))]
    #[test]
    fn postgres_no_sequence_of_operations_breaks_the_enrollment_rules(ops in proptest::collection::vec(op(), 1..40)) {
        no_sequence_of_operations_breaks_the_enrollment_rules(Backend::Postgres, ops)
    }
}

fn bulk_row() -> impl Strategy<Value = (usize, usize, usize)> {
    (0..OFFICERS, 0..ITERATIONS.len(), 0..7usize)
}

const ROW_ACTIONS: [service::bulk::RowAction; 7] = [
    service::bulk::RowAction::Nominate,
    service::bulk::RowAction::Confirm,
    service::bulk::RowAction::Withdraw,
    service::bulk::RowAction::Attend,
    service::bulk::RowAction::NoShow,
    service::bulk::RowAction::Complete,
    service::bulk::RowAction::Fail,
];

/// Per row: refused (with its code) or the status reached.
async fn record(
    w: &World,
    rows: &[(usize, usize, usize)],
    mode: service::bulk::BulkMode,
) -> Vec<Result<S, String>> {
    let input = rows
        .iter()
        .map(|(officer, iteration, action)| {
            Ok(service::bulk::EnrollmentRow {
                iteration: service::bulk::IterationRef::Id(w.iterations[*iteration]),
                officer_id: w.officers[*officer].0,
                action: ROW_ACTIONS[*action],
                evaluation_score: None,
            })
        })
        .collect();
    let report = service::bulk::record(&w.db, &actor(), "recordEnrollments", input, mode, &|_| {})
        .await
        .unwrap();
    report
        .rows
        .into_iter()
        .map(|r| match (r.enrollment, r.error) {
            (Some(e), None) => Ok(e.status),
            (_, Some(err)) => Err(err.code().as_str().to_owned()),
            (None, None) => Err("no outcome".to_owned()),
        })
        .collect()
}

/// ALL_OR_NOTHING reports each row exactly as PER_ROW records it, and writes nothing unless
/// every row passed.
fn all_or_nothing_reports_what_per_row_records(backend: Backend, rows: Vec<(usize, usize, usize)>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let all = world(backend).await;
        let before = snapshot(&all.db).await;
        let all_or_nothing = record(&all, &rows, service::bulk::BulkMode::AllOrNothing).await;
        let after = snapshot(&all.db).await;
        let per_row_world = world(backend).await;
        let per_row = record(&per_row_world, &rows, service::bulk::BulkMode::PerRow).await;
        assert_eq!(all_or_nothing, per_row);
        if all_or_nothing.iter().any(Result::is_err) {
            assert_eq!(before, after, "a refused batch wrote something");
        } else {
            assert_eq!(
                after.enrollments.len(),
                snapshot(&per_row_world.db).await.enrollments.len()
            );
        }
        all.close().await;
        per_row_world.close().await;
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn sqlite_all_or_nothing_reports_what_per_row_records(rows in proptest::collection::vec(bulk_row(), 1..25)) {
        all_or_nothing_reports_what_per_row_records(Backend::Sqlite, rows)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]
    #[test]
    fn postgres_all_or_nothing_reports_what_per_row_records(rows in proptest::collection::vec(bulk_row(), 1..25)) {
        all_or_nothing_reports_what_per_row_records(Backend::Postgres, rows)
    }
}

/// What a world's enrollments and seat counters are, leaving out ids and times.
async fn placements(db: &Db) -> (Vec<(i32, i32, S, Option<i32>, i32)>, Vec<(i32, i32)>) {
    let snap = snapshot(db).await;
    let mut enrollments: Vec<_> = snap
        .enrollments
        .iter()
        .map(|e| {
            (
                e.officer_id,
                e.iteration_id,
                e.status,
                e.waitlist_position,
                e.version,
            )
        })
        .collect();
    enrollments.sort_by_key(|(o, i, s, p, v)| (*o, *i, format!("{s:?}"), *p, *v));
    let seats = snap
        .iterations
        .iter()
        .map(|i| (i.id, i.seats_held))
        .collect();
    (enrollments, seats)
}

async fn nominate_one(w: &World, officer: usize, iteration: usize) -> Result<S, String> {
    let nomination = Nomination {
        iteration_id: w.iterations[iteration],
        officer_id: w.officers[officer].0,
        place: true,
    };
    uow::write(&w.db, &actor(), "nominateOfficer", |tx| async move {
        Ok((
            None,
            service::enrollment::nominate(&*tx, nomination, "proptest").await?,
        ))
    })
    .await
    .map(|e| e.status)
    .map_err(|err| err.code().as_str().to_owned())
}

/// A batch of nominations only (the set-based path: `insert_unnest` on PostgreSQL) records, row
/// by row, what the same nominations made one at a time record: the same status or refusal per
/// row, the same enrollments (status, waitlist position, version) and seat counters; over
/// enrollments made before the batch.
fn a_nomination_batch_records_what_single_nominations_record(
    backend: Backend,
    earlier: Vec<(usize, usize)>,
    rows: Vec<(usize, usize)>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let batch_world = world(backend).await;
        let single_world = world(backend).await;
        for (officer, iteration) in &earlier {
            let a = nominate_one(&batch_world, *officer, *iteration).await;
            let b = nominate_one(&single_world, *officer, *iteration).await;
            assert_eq!(a, b);
        }
        let input = rows
            .iter()
            .map(|(officer, iteration)| {
                Ok(service::bulk::EnrollmentRow {
                    iteration: service::bulk::IterationRef::Id(batch_world.iterations[*iteration]),
                    officer_id: batch_world.officers[*officer].0,
                    action: service::bulk::RowAction::Nominate,
                    evaluation_score: None,
                })
            })
            .collect();
        let report = service::bulk::record(
            &batch_world.db,
            &actor(),
            "recordEnrollments",
            input,
            service::bulk::BulkMode::PerRow,
            &|_| {},
        )
        .await
        .unwrap();
        let batch: Vec<Result<S, String>> = report
            .rows
            .into_iter()
            .map(|r| match (r.enrollment, r.error) {
                (Some(e), None) => Ok(e.status),
                (_, Some(err)) => Err(err.code().as_str().to_owned()),
                (None, None) => Err("no outcome".to_owned()),
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut single = Vec::new();
        for (officer, iteration) in &rows {
            single.push(if seen.insert((officer, iteration)) {
                nominate_one(&single_world, *officer, *iteration).await
            } else {
                Err("DUPLICATE_ROW".to_owned())
            });
        }
        assert_eq!(batch, single);
        assert_eq!(
            placements(&batch_world.db).await,
            placements(&single_world.db).await
        );
        batch_world.close().await;
        single_world.close().await;
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn sqlite_a_nomination_batch_records_what_single_nominations_record(
        earlier in proptest::collection::vec((0..OFFICERS, 0..ITERATIONS.len()), 0..6),
        rows in proptest::collection::vec((0..OFFICERS, 0..ITERATIONS.len()), 1..20),
    ) {
        a_nomination_batch_records_what_single_nominations_record(Backend::Sqlite, earlier, rows)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5))]
    #[test]
    fn postgres_a_nomination_batch_records_what_single_nominations_record(
        earlier in proptest::collection::vec((0..OFFICERS, 0..ITERATIONS.len()), 0..6),
        rows in proptest::collection::vec((0..OFFICERS, 0..ITERATIONS.len()), 1..20),
    ) {
        a_nomination_batch_records_what_single_nominations_record(Backend::Postgres, earlier, rows)
    }
}
