//! The partner overview (a partner's cycles, figures and timeline) and the programme overview
//! (per-partner rows over a date range).

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;

use super::{cycle::cycle_info, get, rate, rows, status_list, CycleInfo};
use crate::error::{AppError, Result};
use crate::service::lang::{label, Language, Vocabulary};
use entity::enums::EnrollmentStatus;

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
    let partner = crate::service::partner::by_code(conn, code).await?;
    let active = crate::service::programme_cycle::active_for_partner(conn, partner.id).await?;
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
    let holding = status_list(&EnrollmentStatus::SEAT_HOLDING);
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
