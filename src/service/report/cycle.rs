//! The cycle report (DOMAIN.md "Report definitions"). Figures over
//! objectives, iterations and activities are grouped by the database; the enrollment figures of a
//! cycle (funnel, rates, officers trained) are counted here from one read of the cycle's
//! enrollments (a few thousand rows at most), instead of one statement per figure.
//!
//! What a cycle counts: the enrollments of the cycle's partner in course iterations whose dates lie
//! within the cycle's dates (start on or after the cycle's start, end on or before its end), the
//! objectives of the cycle and the activities recorded in it. Denominators:
//! - completion rate = COMPLETED / confirmed places, where confirmed places = seats held (CONFIRMED,
//!   ATTENDED, COMPLETED, FAILED) + NO_SHOW + WITHDRAWN after confirmation; cancelled excluded;
//! - no-show rate = NO_SHOW / confirmed places; withdrawal rate = WITHDRAWN after confirmation /
//!   confirmed places;
//! - fill rate = seats held / capacity, summed over the iterations that were HELD;
//! - officers trained = distinct officers with at least one COMPLETED enrollment.
//!
//! A zero denominator gives a rate of 0 (the denominator is reported next to it).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;

use super::{get, rate, rows};
use crate::error::{AppError, ErrorCode, Result};
use crate::service::cost_report::{cycle_costs, CycleCosts};
use crate::service::dates::today;
use crate::service::evaluation_report::{evaluation_report, EvaluationReport, EvaluationScope};
use crate::service::lang::{label, name, Language, Vocabulary};
use entity::enums::EnrollmentStatus;
use sea_orm::ActiveEnum;

/// The cycle a report is about.
#[derive(Debug, Clone, Serialize)]
pub struct CycleInfo {
    pub id: i32,
    pub partner_id: i32,
    pub partner_code: String,
    pub partner_name: String,
    pub kind: String,
    pub kind_label: String,
    pub status: String,
    pub status_label: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub renews_cycle_id: Option<i32>,
}

/// A count of objectives of one status in one area.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectiveStatusCount {
    pub area_code: String,
    pub area_name: String,
    pub status: String,
    pub status_label: String,
    pub count: i64,
}

/// An objective's indicator: distinct officers who completed an iteration serving it, vs its target.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectiveIndicator {
    pub objective_id: i32,
    pub title: String,
    pub area_code: String,
    pub area_name: String,
    pub status: String,
    pub status_label: String,
    pub target: Option<f64>,
    pub actual: i64,
}

/// Iterations and seats of one course topic.
#[derive(Debug, Clone, Serialize)]
pub struct TopicFigures {
    pub topic: String,
    pub topic_label: String,
    /// Iterations in the cycle's dates in which the partner enrolled someone or that serve one of
    /// the cycle's objectives.
    pub iterations: i64,
    /// Of those, the ones with status HELD.
    pub held_iterations: i64,
    /// Seats held (all partners) in the held iterations.
    pub seats_held: i64,
    /// Capacity of the held iterations.
    pub capacity: i64,
    /// seats_held / capacity over held iterations.
    pub fill_rate: f64,
    /// Seats the cycle's partner holds in the counted iterations.
    pub partner_seats_held: i64,
}

/// A count under a code with its label (topic, service, rank, status, ...).
#[derive(Debug, Clone, Serialize)]
pub struct LabelledCount {
    pub code: String,
    pub label: String,
    pub count: i64,
}

/// Activities recorded in one area.
#[derive(Debug, Clone, Serialize)]
pub struct AreaCount {
    pub area_code: String,
    pub area_name: String,
    pub count: i64,
}

/// Every figure of one cycle.
#[derive(Debug, Clone, Serialize)]
pub struct CycleFigures {
    pub objectives_by_status: Vec<ObjectiveStatusCount>,
    pub objective_indicators: Vec<ObjectiveIndicator>,
    pub topics: Vec<TopicFigures>,
    pub officers_trained: i64,
    pub officers_trained_by_topic: Vec<LabelledCount>,
    pub officers_trained_by_service: Vec<LabelledCount>,
    pub officers_trained_by_rank: Vec<LabelledCount>,
    pub funnel: Vec<LabelledCount>,
    pub seats_held: i64,
    pub completed: i64,
    pub no_show: i64,
    pub withdrawn_after_confirmation: i64,
    /// seats held + NO_SHOW + WITHDRAWN after confirmation: the denominator of the three rates.
    pub confirmed_places: i64,
    pub completion_rate: f64,
    pub no_show_rate: f64,
    pub withdrawal_rate: f64,
    pub activities_by_area: Vec<AreaCount>,
}

/// The cycle report: the cycle's figures and those of the previous cycle.
#[derive(Debug, Clone, Serialize)]
pub struct CycleReport {
    pub language: Language,
    pub cycle: CycleInfo,
    pub figures: CycleFigures,
    pub previous_cycle: Option<CycleInfo>,
    pub previous: Option<CycleFigures>,
    /// The cycle's course evaluation figures (aggregates over fewer than 3 answers withheld), in
    /// the exports (`cycle_export`); the GraphQL report computes them only when they are selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<EvaluationReport>,
    /// The cycle's costs, each currency on its own, in the exports (`cycle_export`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub costs: Option<CycleCosts>,
}

pub(super) async fn cycle_info<C: ConnectionTrait>(
    conn: &C,
    lang: Language,
    id: i32,
) -> Result<CycleInfo> {
    let found = rows(
        conn,
        "SELECT c.id, c.partner_id, p.code, p.name, c.kind, c.status, c.start_date, c.end_date, c.renews_cycle_id \
         FROM programme_cycle c JOIN partner p ON p.id = c.partner_id WHERE c.id = ?",
        vec![id.into()],
    )
    .await?;
    let row = found
        .first()
        .ok_or_else(|| AppError::not_found("programme cycle", id))?;
    cycle_row(row, lang)
}

fn cycle_row(row: &QueryResult, lang: Language) -> Result<CycleInfo> {
    let kind: String = get(row, 4)?;
    let status: String = get(row, 5)?;
    Ok(CycleInfo {
        id: get(row, 0)?,
        partner_id: get(row, 1)?,
        partner_code: get(row, 2)?,
        partner_name: get(row, 3)?,
        kind_label: label(lang, Vocabulary::ProgrammeKind, &kind),
        status_label: label(lang, Vocabulary::CycleStatus, &status),
        kind,
        status,
        start_date: get(row, 6)?,
        end_date: get(row, 7)?,
        renews_cycle_id: get(row, 8)?,
    })
}

/// The cycle a cycle report compares with: the one it renews, else the partner's preceding
/// non-draft cycle (a draft never ran).
async fn previous_cycle<C: ConnectionTrait>(
    conn: &C,
    lang: Language,
    cycle: &CycleInfo,
) -> Result<Option<CycleInfo>> {
    if let Some(id) = cycle.renews_cycle_id {
        return cycle_info(conn, lang, id).await.map(Some);
    }
    let found = rows(
        conn,
        "SELECT c.id, c.partner_id, p.code, p.name, c.kind, c.status, c.start_date, c.end_date, c.renews_cycle_id \
         FROM programme_cycle c JOIN partner p ON p.id = c.partner_id \
         WHERE c.partner_id = ? AND c.start_date < ? AND c.id <> ? AND c.status <> 'DRAFT' \
         ORDER BY c.start_date DESC, c.id DESC LIMIT 1",
        vec![
            cycle.partner_id.into(),
            cycle.start_date.into(),
            cycle.id.into(),
        ],
    )
    .await?;
    found.first().map(|r| cycle_row(r, lang)).transpose()
}

/// The report of one cycle (NOT_FOUND when it does not exist). The two cycles' figures are computed
/// at the same time (each on its own pooled connection when `conn` is the pool).
pub async fn cycle_report<C: ConnectionTrait>(
    conn: &C,
    cycle_id: i32,
    lang: Language,
) -> Result<CycleReport> {
    let cycle = cycle_info(conn, lang, cycle_id).await?;
    let previous = async {
        match previous_cycle(conn, lang, &cycle).await? {
            Some(prev) => {
                let figures = cycle_figures(conn, &prev, lang).await?;
                Ok(Some((prev, figures)))
            }
            None => Ok(None),
        }
    };
    let (figures, previous) = tokio::try_join!(cycle_figures(conn, &cycle, lang), previous)?;
    let (previous_cycle, previous) = previous.unzip();
    Ok(CycleReport {
        language: lang,
        cycle,
        figures,
        previous_cycle,
        previous,
        evaluation: None,
        costs: None,
    })
}

/// The cycle report as the exports carry it: with the cycle's course evaluation figures (on
/// `today`) and its costs, each computed by its own service at the same time as the report.
pub async fn cycle_export<C: ConnectionTrait>(
    conn: &C,
    cycle_id: i32,
    lang: Language,
) -> Result<CycleReport> {
    let scope = EvaluationScope {
        cycle_id: Some(cycle_id),
        ..Default::default()
    };
    let (mut report, evaluation, costs) = tokio::try_join!(
        cycle_report(conn, cycle_id, lang),
        evaluation_report(conn, &scope, today(), lang),
        cycle_costs(conn, cycle_id, lang),
    )?;
    report.evaluation = Some(evaluation);
    report.costs = Some(costs);
    Ok(report)
}

/// The cycle a partner's reports are about by default: its ACTIVE cycle, else its latest approved
/// one, else its latest draft; None when it has no cycle.
pub async fn current_cycle_id<C: ConnectionTrait>(
    conn: &C,
    partner_id: i32,
) -> Result<Option<i32>> {
    let found = rows(
        conn,
        "SELECT id FROM programme_cycle WHERE partner_id = ? ORDER BY \
         CASE status WHEN 'ACTIVE' THEN 0 WHEN 'DRAFT' THEN 2 ELSE 1 END, start_date DESC, id DESC LIMIT 1",
        vec![partner_id.into()],
    )
    .await?;
    found.first().map(|r| get::<i32>(r, 0)).transpose()
}

/// The report of a partner's cycle given by its code and optionally the cycle's id, as the
/// exports carry it (with the evaluation and cost figures, see `cycle_export`).
pub async fn cycle_report_for_partner<C: ConnectionTrait>(
    conn: &C,
    partner_code: &str,
    cycle_id: Option<i32>,
    lang: Language,
) -> Result<CycleReport> {
    let partner = crate::service::partner::by_code(conn, partner_code).await?;
    let id = match cycle_id {
        Some(id) => {
            let cycle = crate::service::programme_cycle::get(conn, id).await?;
            if cycle.partner_id != partner.id {
                return Err(AppError::not_found("programme cycle", id));
            }
            id
        }
        None => current_cycle_id(conn, partner.id).await?.ok_or_else(|| {
            AppError::rule(
                ErrorCode::NoCycle,
                format!("partner {} has no programme cycle", partner.code),
            )
        })?,
    };
    cycle_export(conn, id, lang).await
}

/// One enrollment a cycle counts, with what the figures group it by.
struct Counted {
    officer_id: i32,
    status: EnrollmentStatus,
    confirmed: bool,
    topic: String,
    service: String,
    rank: String,
}

/// Every figure of a cycle in four statements: the cycle's objectives with their indicators, the
/// iterations per topic, the activities per area, and the enrollments the cycle counts (a few
/// thousand rows at most per cycle), read once and counted here.
async fn cycle_figures<C: ConnectionTrait>(
    conn: &C,
    cycle: &CycleInfo,
    lang: Language,
) -> Result<CycleFigures> {
    let (objective_indicators, topic_rows, activities_by_area, counted) = tokio::try_join!(
        objective_indicators(conn, cycle, lang),
        topic_rows(conn, cycle),
        activities_by_area(conn, cycle, lang),
        counted_enrollments(conn, cycle),
    )?;

    // Objectives by (area, status), from the indicators (one row per objective of the cycle).
    let mut by_status: BTreeMap<(&str, &str), (&str, i64)> = BTreeMap::new();
    for o in &objective_indicators {
        by_status
            .entry((o.area_code.as_str(), o.status.as_str()))
            .or_insert((o.area_name.as_str(), 0))
            .1 += 1;
    }
    let objectives_by_status = by_status
        .into_iter()
        .map(
            |((area_code, status), (area_name, count))| ObjectiveStatusCount {
                area_code: area_code.to_owned(),
                area_name: area_name.to_owned(),
                status: status.to_owned(),
                status_label: label(lang, Vocabulary::ObjectiveStatus, status),
                count,
            },
        )
        .collect();

    let mut partner_seats: HashMap<&str, i64> = HashMap::new();
    let mut statuses: HashMap<EnrollmentStatus, (i64, i64)> = HashMap::new();
    let mut trained: HashSet<i32> = HashSet::new();
    let mut trained_by_topic: BTreeMap<&str, HashSet<i32>> = BTreeMap::new();
    let mut trained_by_service: BTreeMap<&str, HashSet<i32>> = BTreeMap::new();
    let mut trained_by_rank: BTreeMap<&str, HashSet<i32>> = BTreeMap::new();
    for e in &counted {
        let entry = statuses.entry(e.status).or_default();
        entry.0 += 1;
        entry.1 += i64::from(e.confirmed);
        if EnrollmentStatus::SEAT_HOLDING.contains(&e.status) {
            *partner_seats.entry(e.topic.as_str()).or_default() += 1;
        }
        if e.status == EnrollmentStatus::Completed {
            trained.insert(e.officer_id);
            for (groups, key) in [
                (&mut trained_by_topic, &e.topic),
                (&mut trained_by_service, &e.service),
                (&mut trained_by_rank, &e.rank),
            ] {
                groups.entry(key.as_str()).or_default().insert(e.officer_id);
            }
        }
    }
    let labelled = |groups: BTreeMap<&str, HashSet<i32>>, vocabulary: Option<Vocabulary>| {
        groups
            .into_iter()
            .map(|(code, officers)| LabelledCount {
                label: vocabulary.map_or_else(|| code.to_owned(), |v| label(lang, v, code)),
                code: code.to_owned(),
                count: officers.len() as i64,
            })
            .collect::<Vec<_>>()
    };

    let topics = topic_rows
        .iter()
        .map(|r| {
            let topic: String = get(r, 0)?;
            let seats_held: i64 = get(r, 3)?;
            let capacity: i64 = get(r, 4)?;
            Ok(TopicFigures {
                topic_label: label(lang, Vocabulary::Topic, &topic),
                iterations: get(r, 1)?,
                held_iterations: get(r, 2)?,
                seats_held,
                capacity,
                fill_rate: rate(seats_held, capacity),
                partner_seats_held: partner_seats.get(topic.as_str()).copied().unwrap_or(0),
                topic,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let count_of = |status: EnrollmentStatus| statuses.get(&status).map_or(0, |(n, _)| *n);
    let funnel = EnrollmentStatus::LIFECYCLE
        .iter()
        .map(|s| {
            let code = s.to_value();
            LabelledCount {
                label: label(lang, Vocabulary::EnrollmentStatus, &code),
                code,
                count: count_of(*s),
            }
        })
        .collect();
    let seats_held: i64 = EnrollmentStatus::SEAT_HOLDING
        .iter()
        .map(|s| count_of(*s))
        .sum();
    let completed = count_of(EnrollmentStatus::Completed);
    let no_show = count_of(EnrollmentStatus::NoShow);
    let withdrawn_after_confirmation = statuses
        .get(&EnrollmentStatus::Withdrawn)
        .map_or(0, |(_, c)| *c);
    let confirmed_places = seats_held + no_show + withdrawn_after_confirmation;

    Ok(CycleFigures {
        objectives_by_status,
        objective_indicators,
        topics,
        officers_trained: trained.len() as i64,
        officers_trained_by_topic: labelled(trained_by_topic, Some(Vocabulary::Topic)),
        officers_trained_by_service: labelled(trained_by_service, Some(Vocabulary::Service)),
        officers_trained_by_rank: labelled(trained_by_rank, None),
        funnel,
        seats_held,
        completed,
        no_show,
        withdrawn_after_confirmation,
        confirmed_places,
        completion_rate: rate(completed, confirmed_places),
        no_show_rate: rate(no_show, confirmed_places),
        withdrawal_rate: rate(withdrawn_after_confirmation, confirmed_places),
        activities_by_area,
    })
}

/// Every objective of the cycle with its indicator: distinct officers of the partner who completed
/// an iteration, within the cycle's dates, that serves it.
async fn objective_indicators<C: ConnectionTrait>(
    conn: &C,
    cycle: &CycleInfo,
    lang: Language,
) -> Result<Vec<ObjectiveIndicator>> {
    rows(
        conn,
        "SELECT o.id, o.title, a.code, a.name, a.name_fr, o.status, o.target, COUNT(DISTINCT e.officer_id) \
         FROM objective o JOIN cooperation_area a ON a.id = o.area_id \
         LEFT JOIN iteration_objective io ON io.objective_id = o.id \
         LEFT JOIN course_iteration i ON i.id = io.iteration_id AND i.start_date >= ? AND i.end_date <= ? \
         LEFT JOIN enrollment e ON e.iteration_id = i.id AND e.status = 'COMPLETED' AND e.partner_id = ? \
         WHERE o.cycle_id = ? \
         GROUP BY o.id, o.title, a.code, a.name, a.name_fr, o.status, o.target ORDER BY a.code, o.id",
        vec![
            cycle.start_date.into(),
            cycle.end_date.into(),
            cycle.partner_id.into(),
            cycle.id.into(),
        ],
    )
    .await?
    .iter()
    .map(|r| {
        let status: String = get(r, 5)?;
        Ok(ObjectiveIndicator {
            objective_id: get(r, 0)?,
            title: get(r, 1)?,
            area_code: get(r, 2)?,
            area_name: name(lang, &get::<String>(r, 3)?, get::<Option<String>>(r, 4)?.as_deref()),
            status_label: label(lang, Vocabulary::ObjectiveStatus, &status),
            status,
            target: get(r, 6)?,
            actual: get(r, 7)?,
        })
    })
    .collect()
}

/// Iterations of the cycle per topic: in its dates, and either enrolling its partner or serving its
/// objectives. Columns: topic, iterations, held, seats held when held, capacity when held.
async fn topic_rows<C: ConnectionTrait>(conn: &C, cycle: &CycleInfo) -> Result<Vec<QueryResult>> {
    rows(
        conn,
        "SELECT c.topic, COUNT(*), \
         SUM(CASE WHEN i.status = 'HELD' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN i.status = 'HELD' THEN i.seats_held ELSE 0 END), \
         SUM(CASE WHEN i.status = 'HELD' THEN i.capacity ELSE 0 END) \
         FROM course_iteration i JOIN course c ON c.id = i.course_id \
         WHERE i.start_date >= ? AND i.end_date <= ? AND ( \
           EXISTS (SELECT 1 FROM enrollment e WHERE e.iteration_id = i.id AND e.partner_id = ?) \
           OR EXISTS (SELECT 1 FROM iteration_objective io JOIN objective o ON o.id = io.objective_id \
                      WHERE io.iteration_id = i.id AND o.cycle_id = ?)) \
         GROUP BY c.topic ORDER BY c.topic",
        vec![
            cycle.start_date.into(),
            cycle.end_date.into(),
            cycle.partner_id.into(),
            cycle.id.into(),
        ],
    )
    .await
}

async fn activities_by_area<C: ConnectionTrait>(
    conn: &C,
    cycle: &CycleInfo,
    lang: Language,
) -> Result<Vec<AreaCount>> {
    rows(
        conn,
        "SELECT a.code, a.name, a.name_fr, COUNT(*) FROM activity x JOIN cooperation_area a ON a.id = x.area_id \
         WHERE x.cycle_id = ? GROUP BY a.code, a.name, a.name_fr ORDER BY a.code",
        vec![cycle.id.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(AreaCount {
            area_code: get(r, 0)?,
            area_name: name(lang, &get::<String>(r, 1)?, get::<Option<String>>(r, 2)?.as_deref()),
            count: get(r, 3)?,
        })
    })
    .collect()
}

/// The enrollments a cycle counts: its partner's, in iterations whose dates lie within its dates.
async fn counted_enrollments<C: ConnectionTrait>(
    conn: &C,
    cycle: &CycleInfo,
) -> Result<Vec<Counted>> {
    rows(
        conn,
        "SELECT e.officer_id, e.status, CASE WHEN e.confirmed_at IS NULL THEN 0 ELSE 1 END, \
         c.topic, f.service, f.rank \
         FROM enrollment e JOIN course_iteration i ON i.id = e.iteration_id \
         JOIN course c ON c.id = i.course_id JOIN officer f ON f.id = e.officer_id \
         WHERE e.partner_id = ? AND i.start_date >= ? AND i.end_date <= ?",
        vec![
            cycle.partner_id.into(),
            cycle.start_date.into(),
            cycle.end_date.into(),
        ],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Counted {
            officer_id: get(r, 0)?,
            status: EnrollmentStatus::try_from_value(&get::<String>(r, 1)?)
                .map_err(|e| AppError::Internal(format!("enrollment status: {e:?}")))?,
            confirmed: get::<i32>(r, 2)? == 1,
            topic: get(r, 3)?,
            service: get(r, 4)?,
            rank: get(r, 5)?,
        })
    })
    .collect()
}

/// Cycles of every partner (or of one partner, NOT_FOUND when unknown) by partner code and start.
pub async fn cycles<C: ConnectionTrait>(
    conn: &C,
    partner_code: Option<&str>,
    lang: Language,
) -> Result<Vec<CycleInfo>> {
    let (filter, values) = match partner_code {
        Some(code) => {
            let partner = crate::service::partner::by_code(conn, code).await?;
            ("WHERE c.partner_id = ?", vec![Value::from(partner.id)])
        }
        None => ("", vec![]),
    };
    rows(
        conn,
        &format!(
            "SELECT c.id, c.partner_id, p.code, p.name, c.kind, c.status, c.start_date, c.end_date, c.renews_cycle_id \
             FROM programme_cycle c JOIN partner p ON p.id = c.partner_id {filter} ORDER BY p.code, c.start_date, c.id"
        ),
        values,
    )
    .await?
    .iter()
    .map(|row| cycle_row(row, lang))
    .collect()
}

/// Partners and their current cycle, for `report all` (partners without a cycle are left out).
pub async fn current_cycles<C: ConnectionTrait>(conn: &C) -> Result<Vec<(String, i32)>> {
    let mut out = Vec::new();
    for r in rows(conn, "SELECT id, code FROM partner ORDER BY code", vec![]).await? {
        let id: i32 = get(&r, 0)?;
        if let Some(cycle) = current_cycle_id(conn, id).await? {
            out.push((get::<String>(&r, 1)?, cycle));
        }
    }
    Ok(out)
}
