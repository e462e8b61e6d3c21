//! Reports for dashboards and reporting jobs (DOMAIN.md "Report definitions"). Figures over
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
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};
use serde::Serialize;

use super::lang::{label, name, Language, Vocabulary};
use crate::error::{AppError, Result};

/// Statuses in which an enrollment holds a seat (DOMAIN.md invariant 4).
const HOLDING: [&str; 4] = ["CONFIRMED", "ATTENDED", "COMPLETED", "FAILED"];
/// Enrollment statuses in lifecycle order: the funnel lists each, zeros included.
const FUNNEL: [&str; 10] = [
    "NOMINATED",
    "WAITLISTED",
    "DECLINED",
    "CONFIRMED",
    "WITHDRAWN",
    "ATTENDED",
    "NO_SHOW",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
];
/// Most rows a list report returns.
pub const MAX_LIMIT: u64 = 100;

/// A statement with `?` placeholders, numbered `$1..` for PostgreSQL. The report SQL has no `?`
/// inside string literals (values are always bound), so every `?` is a placeholder.
fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

async fn rows<C: ConnectionTrait>(
    conn: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>> {
    Ok(conn
        .query_all_raw(statement(conn.get_database_backend(), sql, values))
        .await?)
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, index: usize) -> Result<T> {
    row.try_get_by_index::<T>(index)
        .map_err(|e| AppError::Internal(format!("report column {index}: {e:?}")))
}

/// A ratio with a zero denominator giving 0.
pub fn rate(numerator: i64, denominator: i64) -> f64 {
    if denominator <= 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

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
}

async fn cycle_info<C: ConnectionTrait>(conn: &C, lang: Language, id: i32) -> Result<CycleInfo> {
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
    })
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

/// The report of a partner's cycle given by its code and optionally the cycle's id.
pub async fn cycle_report_for_partner<C: ConnectionTrait>(
    conn: &C,
    partner_code: &str,
    cycle_id: Option<i32>,
    lang: Language,
) -> Result<CycleReport> {
    let partner = super::partner::by_code(conn, partner_code).await?;
    let id = match cycle_id {
        Some(id) => {
            let cycle = super::programme_cycle::get(conn, id).await?;
            if cycle.partner_id != partner.id {
                return Err(AppError::not_found("programme cycle", id));
            }
            id
        }
        None => current_cycle_id(conn, partner.id).await?.ok_or_else(|| {
            AppError::rule(
                "NO_CYCLE",
                format!("partner {} has no programme cycle", partner.code),
            )
        })?,
    };
    cycle_report(conn, id, lang).await
}

/// One enrollment a cycle counts, with what the figures group it by.
struct Counted {
    officer_id: i32,
    status: String,
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
    let mut statuses: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut trained: HashSet<i32> = HashSet::new();
    let mut trained_by_topic: BTreeMap<&str, HashSet<i32>> = BTreeMap::new();
    let mut trained_by_service: BTreeMap<&str, HashSet<i32>> = BTreeMap::new();
    let mut trained_by_rank: BTreeMap<&str, HashSet<i32>> = BTreeMap::new();
    for e in &counted {
        let status = e.status.as_str();
        let entry = statuses.entry(status).or_default();
        entry.0 += 1;
        entry.1 += i64::from(e.confirmed);
        if HOLDING.contains(&status) {
            *partner_seats.entry(e.topic.as_str()).or_default() += 1;
        }
        if status == "COMPLETED" {
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

    let count_of = |status: &str| statuses.get(status).map_or(0, |(n, _)| *n);
    let funnel = FUNNEL
        .iter()
        .map(|s| LabelledCount {
            code: (*s).to_owned(),
            label: label(lang, Vocabulary::EnrollmentStatus, s),
            count: count_of(s),
        })
        .collect();
    let seats_held: i64 = HOLDING.iter().map(|s| count_of(s)).sum();
    let completed = count_of("COMPLETED");
    let no_show = count_of("NO_SHOW");
    let withdrawn_after_confirmation = statuses.get("WITHDRAWN").map_or(0, |(_, c)| *c);
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
            status: get(r, 1)?,
            confirmed: get::<i32>(r, 2)? == 1,
            topic: get(r, 3)?,
            service: get(r, 4)?,
            rank: get(r, 5)?,
        })
    })
    .collect()
}

fn in_list(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One dated item of a partner's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineItem {
    /// MILESTONE, CYCLE or ACTIVITY.
    pub kind: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The framework, the programme kind or the activity kind.
    pub code: String,
    pub label: String,
    pub text: String,
    /// The cycle's id (cycles) or the activity's cycle (activities).
    pub cycle_id: Option<i32>,
}

/// A partner at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerOverview {
    pub partner_id: i32,
    pub code: String,
    pub name: String,
    pub active_cycle: Option<CycleInfo>,
    /// The day the active cycle's renewal is due: the day after it ends.
    pub renewal_due_on: Option<NaiveDate>,
    /// Days from `today` to `renewal_due_on` (negative when overdue).
    pub days_until_renewal: Option<i64>,
    pub timeline: Vec<TimelineItem>,
}

pub async fn partner_overview<C: ConnectionTrait>(
    conn: &C,
    code: &str,
    today: NaiveDate,
    lang: Language,
) -> Result<PartnerOverview> {
    let partner = super::partner::by_code(conn, code).await?;
    let active = super::programme_cycle::active_for_partner(conn, partner.id).await?;
    let active_cycle = match active {
        Some(c) => Some(cycle_info(conn, lang, c.id).await?),
        None => None,
    };
    let renewal_due_on = active_cycle.as_ref().and_then(|c| c.end_date.succ_opt());
    let id: Value = partner.id.into();
    let timeline = rows(
        conn,
        "SELECT 'MILESTONE', m.occurred_on, m.occurred_on, m.framework, m.description, NULL \
         FROM partnership_milestone m WHERE m.partner_id = ? \
         UNION ALL SELECT 'CYCLE', c.start_date, c.end_date, c.kind, c.status, c.id \
         FROM programme_cycle c WHERE c.partner_id = ? \
         UNION ALL SELECT 'ACTIVITY', x.start_date, x.end_date, x.kind, x.title, x.cycle_id \
         FROM activity x JOIN programme_cycle c ON c.id = x.cycle_id WHERE c.partner_id = ? \
         ORDER BY 2, 1",
        vec![id.clone(), id.clone(), id],
    )
    .await?
    .iter()
    .map(|r| {
        let kind: String = get(r, 0)?;
        let code: String = get(r, 3)?;
        let text: String = get(r, 4)?;
        let (label_text, text) = match kind.as_str() {
            "MILESTONE" => (label(lang, Vocabulary::Framework, &code), text),
            "CYCLE" => (
                label(lang, Vocabulary::ProgrammeKind, &code),
                label(lang, Vocabulary::CycleStatus, &text),
            ),
            _ => (label(lang, Vocabulary::ActivityKind, &code), text),
        };
        Ok(TimelineItem {
            start_date: get(r, 1)?,
            end_date: get(r, 2)?,
            cycle_id: get(r, 5)?,
            label: label_text,
            kind,
            code,
            text,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(PartnerOverview {
        partner_id: partner.id,
        code: partner.code,
        name: partner.name,
        days_until_renewal: renewal_due_on.map(|d| (d - today).num_days()),
        renewal_due_on,
        active_cycle,
        timeline,
    })
}

/// The main figures of one partner over a date range.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerRow {
    pub partner_id: i32,
    pub code: String,
    pub name: String,
    pub active_cycle_id: Option<i32>,
    pub iterations: i64,
    pub nominations: i64,
    pub seats_held: i64,
    pub completed: i64,
    pub officers_trained: i64,
    pub confirmed_places: i64,
    pub completion_rate: f64,
    pub activities: i64,
}

/// Validates a date range: the end may not come before the start.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<()> {
    if to < from {
        return Err(AppError::invalid(
            "to",
            format!("the range ends ({to}) before it starts ({from})"),
        ));
    }
    Ok(())
}

/// Per-partner rows over iterations dated within [from, to] and activities starting within it.
pub async fn programme_overview<C: ConnectionTrait>(
    conn: &C,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PartnerRow>> {
    check_range(from, to)?;
    let holding = in_list(&HOLDING);
    let enrollment_rows = rows(
        conn,
        &format!(
            "SELECT e.partner_id, COUNT(DISTINCT e.iteration_id), COUNT(*), \
             SUM(CASE WHEN e.status IN ({holding}) THEN 1 ELSE 0 END), \
             SUM(CASE WHEN e.status = 'COMPLETED' THEN 1 ELSE 0 END), \
             COUNT(DISTINCT CASE WHEN e.status = 'COMPLETED' THEN e.officer_id END), \
             SUM(CASE WHEN e.status = 'NO_SHOW' OR (e.status = 'WITHDRAWN' AND e.confirmed_at IS NOT NULL) THEN 1 ELSE 0 END) \
             FROM enrollment e JOIN course_iteration i ON i.id = e.iteration_id \
             WHERE i.start_date >= ? AND i.end_date <= ? GROUP BY e.partner_id"
        ),
        vec![from.into(), to.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok((
            get::<i32>(r, 0)?,
            [get::<i64>(r, 1)?, get(r, 2)?, get(r, 3)?, get(r, 4)?, get(r, 5)?, get(r, 6)?],
        ))
    })
    .collect::<Result<Vec<_>>>()?;
    let activity_rows = rows(
        conn,
        "SELECT c.partner_id, COUNT(*) FROM activity x JOIN programme_cycle c ON c.id = x.cycle_id \
         WHERE x.start_date >= ? AND x.start_date <= ? GROUP BY c.partner_id",
        vec![from.into(), to.into()],
    )
    .await?
    .iter()
    .map(|r| Ok((get::<i32>(r, 0)?, get::<i64>(r, 1)?)))
    .collect::<Result<Vec<_>>>()?;
    let partners = rows(
        conn,
        "SELECT p.id, p.code, p.name, (SELECT MIN(c.id) FROM programme_cycle c WHERE c.partner_id = p.id AND c.status = 'ACTIVE') \
         FROM partner p ORDER BY p.code",
        vec![],
    )
    .await?;
    partners
        .iter()
        .map(|r| {
            let id: i32 = get(r, 0)?;
            let [iterations, nominations, seats_held, completed, officers_trained, lost] =
                enrollment_rows
                    .iter()
                    .find(|(p, _)| *p == id)
                    .map_or([0; 6], |(_, f)| *f);
            let confirmed_places = seats_held + lost;
            Ok(PartnerRow {
                partner_id: id,
                code: get(r, 1)?,
                name: get(r, 2)?,
                active_cycle_id: get(r, 3)?,
                iterations,
                nominations,
                seats_held,
                completed,
                officers_trained,
                confirmed_places,
                completion_rate: rate(completed, confirmed_places),
                activities: activity_rows
                    .iter()
                    .find(|(p, _)| *p == id)
                    .map_or(0, |(_, n)| *n),
            })
        })
        .collect()
}

/// A course iteration with its seats.
#[derive(Debug, Clone, Serialize)]
pub struct IterationSeats {
    pub iteration_id: i32,
    pub course_code: String,
    pub course_title: String,
    pub topic: String,
    pub topic_label: String,
    pub status: String,
    pub status_label: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub location: String,
    pub capacity: i64,
    pub seats_held: i64,
    pub open_seats: i64,
    pub waitlisted: i64,
}

fn clamp_limit(limit: i32) -> Result<u64> {
    if limit < 1 || i64::from(limit) > MAX_LIMIT as i64 {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    Ok(limit as u64)
}

const ITERATION_SEATS: &str = "SELECT i.id, c.code, c.title, c.topic, i.status, i.start_date, i.end_date, i.location, \
     i.capacity, i.seats_held, \
     (SELECT COUNT(*) FROM enrollment w WHERE w.iteration_id = i.id AND w.status = 'WAITLISTED') AS waitlisted \
     FROM course_iteration i JOIN course c ON c.id = i.course_id";

fn iteration_seats(r: &QueryResult, lang: Language) -> Result<IterationSeats> {
    let topic: String = get(r, 3)?;
    let status: String = get(r, 4)?;
    let capacity = i64::from(get::<i32>(r, 8)?);
    let seats_held = i64::from(get::<i32>(r, 9)?);
    Ok(IterationSeats {
        iteration_id: get(r, 0)?,
        course_code: get(r, 1)?,
        course_title: get(r, 2)?,
        topic_label: label(lang, Vocabulary::Topic, &topic),
        topic,
        status_label: label(lang, Vocabulary::IterationStatus, &status),
        status,
        start_date: get(r, 5)?,
        end_date: get(r, 6)?,
        location: get(r, 7)?,
        capacity,
        seats_held,
        open_seats: (capacity - seats_held).max(0),
        waitlisted: get(r, 10)?,
    })
}

/// Iterations starting on or after `from`, PLANNED or OPEN, with at least one open seat; soonest first.
pub async fn upcoming_iterations<C: ConnectionTrait>(
    conn: &C,
    from: NaiveDate,
    limit: i32,
    lang: Language,
) -> Result<Vec<IterationSeats>> {
    let limit = clamp_limit(limit)?;
    rows(
        conn,
        &format!(
            "{ITERATION_SEATS} WHERE i.start_date >= ? AND i.status IN ('PLANNED', 'OPEN') AND i.seats_held < i.capacity \
             ORDER BY i.start_date, i.id LIMIT {limit}"
        ),
        vec![from.into()],
    )
    .await?
    .iter()
    .map(|r| iteration_seats(r, lang))
    .collect()
}

/// Iterations with waitlisted enrollments (optionally of one partner's officers), longest list first.
pub async fn waitlists<C: ConnectionTrait>(
    conn: &C,
    partner_code: Option<&str>,
    limit: i32,
    lang: Language,
) -> Result<Vec<IterationSeats>> {
    let limit = clamp_limit(limit)?;
    let (filter, values) = match partner_code {
        Some(code) => {
            let partner = super::partner::by_code(conn, code).await?;
            ("AND w.partner_id = ?", vec![Value::from(partner.id)])
        }
        None => ("", vec![]),
    };
    rows(
        conn,
        &format!(
            "SELECT i.id, c.code, c.title, c.topic, i.status, i.start_date, i.end_date, i.location, \
             i.capacity, i.seats_held, COUNT(*) FROM enrollment w \
             JOIN course_iteration i ON i.id = w.iteration_id JOIN course c ON c.id = i.course_id \
             WHERE w.status = 'WAITLISTED' {filter} \
             GROUP BY i.id, c.code, c.title, c.topic, i.status, i.start_date, i.end_date, i.location, i.capacity, i.seats_held \
             ORDER BY COUNT(*) DESC, i.start_date, i.id LIMIT {limit}"
        ),
        values,
    )
    .await?
    .iter()
    .map(|r| iteration_seats(r, lang))
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
            let partner = super::partner::by_code(conn, code).await?;
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

/// The header of a cycle report as CSV.
pub fn csv_header(lang: Language) -> Vec<String> {
    [
        "partner",
        "cycle",
        "cycle_start",
        "cycle_end",
        "period",
        "section",
        "group",
        "item",
        "value",
    ]
    .iter()
    .map(|k| label(lang, Vocabulary::Report, k))
    .collect()
}

/// The cycle report as CSV records (long format: one figure a row), without the header.
pub fn csv_records(report: &CycleReport) -> Vec<Vec<String>> {
    let lang = report.language;
    let mut out = Vec::new();
    let mut period = |cycle: &CycleInfo, figures: &CycleFigures, which: &str| {
        let key = |k: &str| label(lang, Vocabulary::Report, k);
        let mut push = |section: &str, group: &str, item: &str, value: String| {
            out.push(vec![
                cycle.partner_code.clone(),
                cycle.id.to_string(),
                cycle.start_date.to_string(),
                cycle.end_date.to_string(),
                key(which),
                key(section),
                text_cell(group),
                text_cell(item),
                value,
            ]);
        };
        let all = key("all");
        for o in &figures.objectives_by_status {
            push(
                "objectives",
                &o.area_name,
                &o.status_label,
                o.count.to_string(),
            );
        }
        for o in &figures.objective_indicators {
            push(
                "indicators",
                &o.area_name,
                &format!("{} ({})", o.title, key("actual")),
                o.actual.to_string(),
            );
            push(
                "indicators",
                &o.area_name,
                &format!("{} ({})", o.title, key("target")),
                o.target.map_or(String::new(), fmt_number),
            );
        }
        for t in &figures.topics {
            push(
                "topics",
                &t.topic_label,
                &key("iterations"),
                t.iterations.to_string(),
            );
            push(
                "topics",
                &t.topic_label,
                &key("held_iterations"),
                t.held_iterations.to_string(),
            );
            push(
                "topics",
                &t.topic_label,
                &key("seats_held"),
                t.seats_held.to_string(),
            );
            push(
                "topics",
                &t.topic_label,
                &key("capacity"),
                t.capacity.to_string(),
            );
            push(
                "topics",
                &t.topic_label,
                &key("fill_rate"),
                fmt_rate(t.fill_rate),
            );
            push(
                "topics",
                &t.topic_label,
                &key("partner_seats_held"),
                t.partner_seats_held.to_string(),
            );
        }
        push(
            "trained_by_topic",
            &all,
            &key("officers_trained"),
            figures.officers_trained.to_string(),
        );
        for (section, list) in [
            ("trained_by_topic", &figures.officers_trained_by_topic),
            ("trained_by_service", &figures.officers_trained_by_service),
            ("trained_by_rank", &figures.officers_trained_by_rank),
        ] {
            for c in list {
                push(
                    section,
                    &c.label,
                    &key("officers_trained"),
                    c.count.to_string(),
                );
            }
        }
        for c in &figures.funnel {
            push("funnel", &all, &c.label, c.count.to_string());
        }
        push(
            "rates",
            &all,
            &key("confirmed_places"),
            figures.confirmed_places.to_string(),
        );
        push(
            "rates",
            &all,
            &key("completion_rate"),
            fmt_rate(figures.completion_rate),
        );
        push(
            "rates",
            &all,
            &key("no_show_rate"),
            fmt_rate(figures.no_show_rate),
        );
        push(
            "rates",
            &all,
            &key("withdrawal_rate"),
            fmt_rate(figures.withdrawal_rate),
        );
        for a in &figures.activities_by_area {
            push(
                "activities",
                &a.area_name,
                &key("activities"),
                a.count.to_string(),
            );
        }
    };
    period(&report.cycle, &report.figures, "current");
    if let (Some(cycle), Some(figures)) = (&report.previous_cycle, &report.previous) {
        period(cycle, figures, "previous");
    }
    out
}

/// Free text (objective titles, ranks, area names) as a CSV cell: a leading `=`, `+`, `-`, `@`, tab
/// or carriage return would make a spreadsheet read the cell as a formula, so it gets a `'` first.
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A rate with four decimals, a dot as decimal separator (machine-readable in either language).
pub fn fmt_rate(value: f64) -> String {
    format!("{value:.4}")
}

fn fmt_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// Writes a cycle report as CSV (header row first) into `out`.
pub fn write_csv<W: std::io::Write>(report: &CycleReport, out: W, header: bool) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    if header {
        writer
            .write_record(csv_header(report.language))
            .map_err(fail)?;
    }
    for record in csv_records(report) {
        writer.write_record(record).map_err(fail)?;
    }
    writer
        .flush()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        let s = statement(
            DatabaseBackend::Postgres,
            "a = ? AND b = ?",
            vec![1.into(), 2.into()],
        );
        assert_eq!(s.sql, "a = $1 AND b = $2");
        let s = statement(DatabaseBackend::Sqlite, "a = ?", vec![1.into()]);
        assert_eq!(s.sql, "a = ?");
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_quoted() {
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text_cell("Border security"), "Border security");
    }

    #[test]
    fn a_zero_denominator_gives_zero() {
        assert_eq!(rate(3, 0), 0.0);
        assert_eq!(rate(1, 4), 0.25);
    }
}
