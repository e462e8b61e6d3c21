//! The benchmark dataset: deterministic (same scale, same rows) and realistic enough for the
//! dashboards' queries (the calendar is anchored on the year of the load). At scale 1: 40 partners
//! with 15 two-year IPCP cycles each (the last one, ACTIVE, starts this year; e.g.
//! 1998-2027 when loaded in 2026), 8 objectives per cycle, 5,000 courses, 20,000 five-day iterations over those
//! 30 years, 100,000 officers, 1,000,000 enrollments and 50,000 activities.
//!
//! The rows hold every invariant: an iteration's candidates are 50 officers whose other iterations
//! are about 1,100 days away (no overlapping seats), the first `capacity` of them hold seats
//! (held iterations: completed, failed or no-show; upcoming ones: confirmed), the others were
//! declined (past) or wait in FIFO order (upcoming); seats_held is the count of seat holders.
//!
//! Course evaluation and costs cover the iterations that ended in the last `EVALUATED_YEARS`
//! years (the practice is recent): 60% of their seat holders answered the level 1 questionnaire
//! (five ratings each), 40% of those who completed had their level 3 follow-up once due; each
//! such iteration has planned and actual tuition for its partner (EUR) and every third one actual
//! travel (USD); every fourth activity has a planned and an actual line (SPS grants for science
//! projects). Evaluation and costs draw from their own random streams, so the rest of the
//! dataset is the same as without them.
//! Rows go in with multi-row INSERTs of up to 30,000 values, one transaction per table; then the
//! tables are analysed (and vacuumed on PostgreSQL).

use crate::error::ErrorCode;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use entity::{
    activity, cooperation_area, cost_line, course, course_iteration, enrollment,
    enums::{
        ActivityKind, CourseTopic, CycleStatus, Delivery, EnrollmentStatus, IterationStatus,
        ObjectiveStatus, ProgrammeKind, Service,
    },
    enums::{AppliedAtWork, CostCategory, CostStage, FundingSource},
    evaluation_follow_up, evaluation_rating, evaluation_response, iteration_objective, objective,
    officer, partner, programme_cycle,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, Iterable, PaginatorTrait};

use super::{
    dates, now,
    uow::{self, Actor},
};
use crate::{
    error::{AppError, Result},
    service::Db,
};

const CYCLES_PER_PARTNER: usize = 15;
const OBJECTIVES_PER_CYCLE: usize = 8;
const CANDIDATES_PER_ITERATION: usize = 50;
const EVALUATED_YEARS: i64 = 6;

/// Rows per table at a scale.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub partners: usize,
    pub courses: usize,
    pub iterations: usize,
    pub officers: usize,
    pub activities: usize,
}

impl Sizes {
    pub fn at(scale: f64) -> Result<Sizes> {
        if !(scale.is_finite() && scale > 0.0 && scale <= 10.0) {
            return Err(AppError::invalid(
                "scale",
                "must be more than 0 and at most 10",
            ));
        }
        let n = |base: f64, min: usize| ((base * scale).round() as usize).max(min);
        let officers = n(100_000.0, CANDIDATES_PER_ITERATION * 4);
        Ok(Sizes {
            partners: n(40.0, 2),
            courses: n(5_000.0, 5),
            iterations: n(20_000.0, 8),
            officers,
            activities: n(50_000.0, 10),
        })
    }

    pub fn enrollments(&self) -> usize {
        self.iterations * CANDIDATES_PER_ITERATION
    }
}

/// Progress of the load: table name and rows written so far / in all.
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Send + Sync);

/// The first day of the dataset: 1 January of the year that puts this year in the last cycle, so
/// that the last cycle is ACTIVE and has iterations still to come whatever the date of the load.
fn first_day(today: NaiveDate) -> NaiveDate {
    let year = today.year() - 2 * (CYCLES_PER_PARTNER as i32 - 1);
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default()
}

fn partner_code(i: usize) -> String {
    let letters = [(i / 676) % 26, (i / 26) % 26, i % 26].map(|n| (b'A' + n as u8) as char);
    letters.iter().collect()
}

/// Inserts a table's rows in one transaction (one WAL flush, not one per statement), in
/// statements as large as the bound-parameter limits allow (SQLite's is 32,766).
async fn insert_chunks<E>(
    db: &Db,
    actor: &Actor,
    table: &str,
    rows: Vec<E::ActiveModel>,
    progress: Progress<'_>,
) -> Result<()>
where
    E: EntityTrait,
{
    let chunk_rows = (30_000 / E::Column::iter().count().max(1)).max(1);
    uow::run(db, actor, |tx| async move {
        let total = rows.len() as u64;
        let mut done = 0u64;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(chunk_rows).collect();
            done += chunk.len() as u64;
            E::insert_many(chunk).exec_without_returning(&*tx).await?;
            progress(table, done, total);
        }
        let name = format!("bench {table}");
        Ok((
            (),
            Some(super::seed::dataset_change("seedBench", &name, total)),
        ))
    })
    .await
}

/// Loads the dataset into an empty, migrated database; returns the sizes written.
pub async fn load(db: &Db, actor: &Actor, scale: f64, progress: Progress<'_>) -> Result<Sizes> {
    let sizes = Sizes::at(scale)?;
    let conn = &db.conn;
    if partner::Entity::find().count(conn).await? > 0 {
        return Err(AppError::rule(
            ErrorCode::DatabaseNotEmpty,
            "the benchmark dataset loads into an empty database: run `ipcp migrate fresh` first",
        ));
    }
    let mut rng = StdRng::seed_from_u64(0x1_9c9c);
    let at = now();
    let today = Utc::now().date_naive();
    let first = first_day(today);
    let day = |offset: i64| first + Duration::days(offset);

    // Reference data: the demo's cooperation areas.
    let areas: Vec<_> = super::seed::AREAS
        .iter()
        .map(|(code, name, description)| cooperation_area::ActiveModel {
            code: Set((*code).to_owned()),
            name: Set((*name).to_owned()),
            description: Set((*description).to_owned()),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .collect();
    let area_count = areas.len();
    insert_chunks::<cooperation_area::Entity>(db, actor, "cooperation areas", areas, progress)
        .await?;

    let partners: Vec<_> = (0..sizes.partners)
        .map(|i| partner::ActiveModel {
            code: Set(partner_code(i)),
            name: Set(format!("Partner {i}")),
            notes: Set(None),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .collect();
    insert_chunks::<partner::Entity>(db, actor, "partners", partners, progress).await?;

    // Cycles: ids are 1.. in insertion order, partner by partner.
    let mut cycles = Vec::new();
    let mut cycle_dates = Vec::new();
    for p in 0..sizes.partners {
        let mut start = day(0);
        for c in 0..CYCLES_PER_PARTNER {
            let end = dates::cycle_end(ProgrammeKind::Ipcp, start).unwrap_or(start);
            let status = if end < today {
                CycleStatus::Superseded
            } else if start <= today {
                CycleStatus::Active
            } else {
                CycleStatus::Approved
            };
            let id = cycles.len() as i32 + 1;
            cycles.push(programme_cycle::ActiveModel {
                partner_id: Set(p as i32 + 1),
                kind: Set(ProgrammeKind::Ipcp),
                start_date: Set(start),
                end_date: Set(end),
                status: Set(status),
                nac_approved_on: Set(Some(start - Duration::days(60))),
                partner_approved_on: Set(Some(start - Duration::days(45))),
                renews_cycle_id: Set((c > 0).then_some(id - 1)),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            });
            cycle_dates.push((start, end));
            start = end + Duration::days(1);
        }
    }
    let cycle_count = cycles.len();
    insert_chunks::<programme_cycle::Entity>(db, actor, "programme cycles", cycles, progress)
        .await?;

    let objectives: Vec<_> = (0..cycle_count * OBJECTIVES_PER_CYCLE)
        .map(|i| {
            let cycle = i / OBJECTIVES_PER_CYCLE;
            let status = match (cycle % CYCLES_PER_PARTNER == CYCLES_PER_PARTNER - 1, i % 5) {
                (true, 0) => ObjectiveStatus::AtRisk,
                (true, _) => ObjectiveStatus::OnTrack,
                (false, 4) => ObjectiveStatus::Dropped,
                (false, _) => ObjectiveStatus::Achieved,
            };
            objective::ActiveModel {
                cycle_id: Set(cycle as i32 + 1),
                area_id: Set((i % area_count) as i32 + 1),
                title: Set(format!("Objective {i}")),
                indicator: Set("officers trained".to_owned()),
                baseline: Set(None),
                target: Set(Some(f64::from(5 + (i % 20) as u32))),
                status: Set(status),
                carried_over_from_id: Set(None),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
        })
        .collect();
    insert_chunks::<objective::Entity>(db, actor, "objectives", objectives, progress).await?;

    const TOPICS: [CourseTopic; 12] = [
        CourseTopic::ArmsControl,
        CourseTopic::LawOfArmedConflict,
        CourseTopic::CounterTerrorism,
        CourseTopic::Trafficking,
        CourseTopic::BorderSecurity,
        CourseTopic::DefencePlanning,
        CourseTopic::MedicalServices,
        CourseTopic::Languages,
        CourseTopic::CivilPreparedness,
        CourseTopic::Science,
        CourseTopic::PublicDiplomacy,
        CourseTopic::Other,
    ];
    const ORGANISERS: [&str; 6] = [
        "NATO School Oberammergau",
        "NATO Defense College",
        "PfP Training Centre",
        "Germany",
        "Turkey",
        "Italy",
    ];
    let courses: Vec<_> = (0..sizes.courses)
        .map(|i| course::ActiveModel {
            code: Set(format!("C-{i:05}")),
            title: Set(format!("{:?} course {i}", TOPICS[i % TOPICS.len()])),
            topic: Set(TOPICS[i % TOPICS.len()]),
            organiser: Set(ORGANISERS[i % ORGANISERS.len()].to_owned()),
            delivery: Set([
                Delivery::Residential,
                Delivery::Distance,
                Delivery::MobileTeam,
            ][i % 3]),
            duration_days: Set(5),
            min_slp: Set(None),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .collect();
    insert_chunks::<course::Entity>(db, actor, "courses", courses, progress).await?;

    // Iterations spread evenly over the 30 years of cycles.
    let span = (cycle_dates[CYCLES_PER_PARTNER - 1].1 - day(0)).num_days() - 10;
    let mut iteration_info = Vec::with_capacity(sizes.iterations);
    let iterations: Vec<_> = (0..sizes.iterations)
        .map(|i| {
            let start = day(i as i64 * span / sizes.iterations as i64);
            let end = start + Duration::days(4);
            let capacity = rng.gen_range(20..=30);
            let held = end < today;
            iteration_info.push((start, capacity, held));
            course_iteration::ActiveModel {
                course_id: Set((i % sizes.courses) as i32 + 1),
                start_date: Set(start),
                end_date: Set(end),
                location: Set("Oberammergau".to_owned()),
                capacity: Set(capacity),
                partner_quota: Set(None),
                seats_held: Set(capacity.min(CANDIDATES_PER_ITERATION as i32)),
                status: Set(if held {
                    IterationStatus::Held
                } else {
                    IterationStatus::Open
                }),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
        })
        .collect();
    insert_chunks::<course_iteration::Entity>(db, actor, "course iterations", iterations, progress)
        .await?;

    // Each iteration serves one objective of a partner's cycle that covers its start.
    let links: Vec<_> = iteration_info
        .iter()
        .enumerate()
        .map(|(i, (start, _, _))| {
            let p = i % sizes.partners;
            let c = (0..CYCLES_PER_PARTNER)
                .find(|c| cycle_dates[*c].0 <= *start && *start <= cycle_dates[*c].1)
                .unwrap_or(0);
            let cycle = p * CYCLES_PER_PARTNER + c;
            iteration_objective::ActiveModel {
                iteration_id: Set(i as i32 + 1),
                objective_id: Set(
                    (cycle * OBJECTIVES_PER_CYCLE + i % OBJECTIVES_PER_CYCLE) as i32 + 1,
                ),
            }
        })
        .collect();
    insert_chunks::<iteration_objective::Entity>(
        db,
        actor,
        "iteration objectives",
        links,
        progress,
    )
    .await?;

    const SERVICES: [Service; 6] = [
        Service::Army,
        Service::Navy,
        Service::AirForce,
        Service::BorderGuard,
        Service::Civilian,
        Service::Other,
    ];
    const RANKS: [&str; 6] = [
        "Lieutenant",
        "Captain",
        "Major",
        "Lieutenant Colonel",
        "Colonel",
        "Civilian",
    ];
    let officers: Vec<_> = (0..sizes.officers)
        .map(|i| officer::ActiveModel {
            partner_id: Set((i % sizes.partners) as i32 + 1),
            family_name: Set(format!("Family{i}")),
            given_name: Set(format!("Given{i}")),
            rank: Set(RANKS[i % RANKS.len()].to_owned()),
            service: Set(SERVICES[(i / 7) % SERVICES.len()]),
            position: Set(None),
            slp: Set(Some(format!(
                "{}{}{}{}",
                1 + i % 4,
                1 + i % 3,
                2 + i % 3,
                1 + i % 4
            ))),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .collect();
    insert_chunks::<officer::Entity>(db, actor, "officers", officers, progress).await?;

    // Candidates of iteration i are officers i*50 .. i*50+49 (mod the officer count): an officer's
    // iterations are officers/50 iterations apart, years apart, so seats never overlap.
    let mut enrollments = Vec::with_capacity(sizes.enrollments());
    let mut evaluation_rng = StdRng::seed_from_u64(0x2_9c9c);
    let evaluated_from = today - Duration::days(365 * EVALUATED_YEARS);
    let mut responses = Vec::new();
    let mut ratings = Vec::new();
    let mut follow_ups = Vec::new();
    for (i, &(start, capacity, held)) in iteration_info.iter().enumerate() {
        let nominated = (start - Duration::days(60))
            .and_hms_opt(9, 0, 0)
            .unwrap_or_default()
            .and_utc();
        let mut waitlist = 0;
        for k in 0..CANDIDATES_PER_ITERATION {
            let officer = (i * CANDIDATES_PER_ITERATION + k) % sizes.officers;
            let seated = (k as i32) < capacity;
            let roll: u32 = rng.gen_range(0..100);
            let status = match (seated, held) {
                (true, true) if roll < 80 => EnrollmentStatus::Completed,
                (true, true) if roll < 90 => EnrollmentStatus::Failed,
                (true, true) => EnrollmentStatus::Completed,
                (true, false) => EnrollmentStatus::Confirmed,
                (false, true) if roll < 50 => EnrollmentStatus::Declined,
                (false, true) => EnrollmentStatus::Withdrawn,
                (false, false) => EnrollmentStatus::Waitlisted,
            };
            let position = (status == EnrollmentStatus::Waitlisted).then(|| {
                waitlist += 1;
                waitlist
            });
            enrollments.push(enrollment::ActiveModel {
                iteration_id: Set(i as i32 + 1),
                officer_id: Set(officer as i32 + 1),
                partner_id: Set((officer % sizes.partners) as i32 + 1),
                status: Set(status),
                waitlist_position: Set(position),
                nominated_at: Set(nominated),
                waitlisted_at: Set(position.map(|_| nominated)),
                confirmed_at: Set(seated.then_some(nominated + Duration::days(7))),
                attended_at: Set((seated && held).then_some(nominated + Duration::days(60))),
                outcome_at: Set((seated && held).then_some(nominated + Duration::days(65))),
                ended_at: Set((!seated && held).then_some(nominated + Duration::days(14))),
                decided_by: Set(Some("bench".to_owned())),
                evaluation_score: Set((seated && held).then_some(f64::from(roll))),
                version: Set(1),
                updated_at: Set(at),
                ..Default::default()
            });
            let end = start + Duration::days(4);
            if !(seated && held && end >= evaluated_from) {
                continue;
            }
            let enrollment_id = enrollments.len() as i32;
            let partner_id = (officer % sizes.partners) as i32 + 1;
            if evaluation_rng.gen_range(0..100) < 60 {
                responses.push(evaluation_response::ActiveModel {
                    enrollment_id: Set(enrollment_id),
                    iteration_id: Set(i as i32 + 1),
                    partner_id: Set(partner_id),
                    item_set: Set(super::evaluation::ITEM_SET.to_owned()),
                    comment: Set(None),
                    responded_on: Set(end + Duration::days(evaluation_rng.gen_range(0..30))),
                    created_at: Set(at),
                    ..Default::default()
                });
                let response_id = responses.len() as i32;
                for item in super::evaluation::ITEMS {
                    ratings.push(evaluation_rating::ActiveModel {
                        response_id: Set(response_id),
                        item: Set((*item).to_owned()),
                        rating: Set([2, 3, 4, 4, 4, 5, 5, 5][evaluation_rng.gen_range(0..8)]),
                    });
                }
            }
            let due = super::evaluation::follow_up_due_from(end);
            if status == EnrollmentStatus::Completed
                && due <= today
                && evaluation_rng.gen_range(0..100) < 40
            {
                follow_ups.push(evaluation_follow_up::ActiveModel {
                    enrollment_id: Set(enrollment_id),
                    iteration_id: Set(i as i32 + 1),
                    partner_id: Set(partner_id),
                    applied: Set(
                        [AppliedAtWork::Yes, AppliedAtWork::Partly, AppliedAtWork::No]
                            [evaluation_rng.gen_range(0..3)],
                    ),
                    note: Set(None),
                    recorded_on: Set(
                        due + Duration::days(evaluation_rng.gen_range(0..60)).min(today - due)
                    ),
                    created_at: Set(at),
                    ..Default::default()
                });
            }
        }
    }
    insert_chunks::<enrollment::Entity>(db, actor, "enrollments", enrollments, progress).await?;

    const KINDS: [ActivityKind; 6] = [
        ActivityKind::DisasterResponse,
        ActivityKind::ScienceProject,
        ActivityKind::PublicDiplomacy,
        ActivityKind::Exercise,
        ActivityKind::Meeting,
        ActivityKind::Other,
    ];
    let activities: Vec<_> = (0..sizes.activities)
        .map(|i| {
            let cycle = i % cycle_count;
            let (start, end) = cycle_dates[cycle];
            let length = (end - start).num_days().max(1);
            let first = start + Duration::days(rng.gen_range(0..length));
            let last = (first + Duration::days(rng.gen_range(0..5))).min(end);
            activity::ActiveModel {
                cycle_id: Set(cycle as i32 + 1),
                area_id: Set((i % area_count) as i32 + 1),
                objective_id: Set(None),
                kind: Set(KINDS[i % KINDS.len()]),
                title: Set(format!("Activity {i}")),
                description: Set("Recorded by the benchmark dataset".to_owned()),
                start_date: Set(first),
                end_date: Set(last),
                outcome: Set(None),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
        })
        .collect();
    insert_chunks::<activity::Entity>(db, actor, "activities", activities, progress).await?;

    insert_chunks::<evaluation_response::Entity>(
        db,
        actor,
        "evaluation responses",
        responses,
        progress,
    )
    .await?;
    insert_chunks::<evaluation_rating::Entity>(db, actor, "evaluation ratings", ratings, progress)
        .await?;
    insert_chunks::<evaluation_follow_up::Entity>(
        db,
        actor,
        "evaluation follow-ups",
        follow_ups,
        progress,
    )
    .await?;

    let mut cost_rng = StdRng::seed_from_u64(0x3_9c9c);
    let mut costs = Vec::new();
    let mut cost = |iteration: Option<i32>,
                    activity: Option<i32>,
                    partner: i32,
                    category: CostCategory,
                    stage: CostStage,
                    amount_minor: i64,
                    currency: &str,
                    source: FundingSource| {
        costs.push(cost_line::ActiveModel {
            iteration_id: Set(iteration),
            activity_id: Set(activity),
            partner_id: Set(Some(partner)),
            category: Set(category),
            stage: Set(stage),
            amount_minor: Set(amount_minor),
            currency: Set(currency.to_owned()),
            funding_source: Set(source),
            funding_nation: Set(None),
            description: Set(None),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        });
    };
    for (i, &(start, _, held)) in iteration_info.iter().enumerate() {
        if start + Duration::days(4) < evaluated_from {
            continue;
        }
        // The partner whose objective the iteration serves (the links above).
        let partner = (i % sizes.partners) as i32 + 1;
        let planned: i64 = cost_rng.gen_range(150_000..=400_000);
        cost(
            Some(i as i32 + 1),
            None,
            partner,
            CostCategory::Tuition,
            CostStage::Planned,
            planned,
            "EUR",
            FundingSource::NatoCommonFunding,
        );
        if held {
            let actual = planned * cost_rng.gen_range(85..=110) / 100;
            cost(
                Some(i as i32 + 1),
                None,
                partner,
                CostCategory::Tuition,
                CostStage::Actual,
                actual,
                "EUR",
                FundingSource::NatoCommonFunding,
            );
            if i % 3 == 0 {
                cost(
                    Some(i as i32 + 1),
                    None,
                    partner,
                    CostCategory::Travel,
                    CostStage::Actual,
                    cost_rng.gen_range(60_000..=180_000),
                    "USD",
                    FundingSource::TrustFund,
                );
            }
        }
    }
    for i in (0..sizes.activities).step_by(4) {
        let cycle = i % cycle_count;
        let partner = (cycle / CYCLES_PER_PARTNER) as i32 + 1;
        let (category, source) = if KINDS[i % KINDS.len()] == ActivityKind::ScienceProject {
            (CostCategory::Grant, FundingSource::SpsGrant)
        } else {
            (CostCategory::Travel, FundingSource::NatoCommonFunding)
        };
        let currency = if i % 10 == 0 { "USD" } else { "EUR" };
        let planned: i64 = cost_rng.gen_range(50_000..=2_000_000);
        let actual = planned * cost_rng.gen_range(80..=105) / 100;
        cost(
            None,
            Some(i as i32 + 1),
            partner,
            category,
            CostStage::Planned,
            planned,
            currency,
            source,
        );
        cost(
            None,
            Some(i as i32 + 1),
            partner,
            category,
            CostStage::Actual,
            actual,
            currency,
            source,
        );
    }
    insert_chunks::<cost_line::Entity>(db, actor, "cost lines", costs, progress).await?;
    // Fresh statistics and visibility map, as a database that has lived would have: without them the
    // planner guesses row counts and every first read of a page writes hint bits.
    progress("statistics", 0, 1);
    let statistics = if db.is_postgres() {
        "VACUUM (ANALYZE)"
    } else {
        "ANALYZE"
    };
    conn.execute_unprepared(statistics).await?;
    progress("statistics", 1, 1);
    Ok(sizes)
}
