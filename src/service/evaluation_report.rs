//! Course evaluation reports over a scope (a course, a topic, an organiser, a cycle, or any
//! combination): level 1 response rate and, per item, the mean and the distribution of ratings;
//! level 3 follow-up completion and what officers apply at work.
//!
//! Definitions (DOMAIN.md): level 1 response rate = responses / enrollments ATTENDED, COMPLETED or
//! FAILED. Level 3 completion rate = follow-ups recorded / COMPLETED enrollments whose follow-up
//! is due (iteration ended at least three months ago). A cycle's scope is its partner's
//! enrollments in iterations within its dates, as the cycle report counts them.
//!
//! Anonymity policy: no aggregate of answers is shown over fewer than `MIN_RESPONSES` responses
//! (or follow-ups), so that no answer can be traced to one officer: the figures are withheld
//! (null) and the report says so. Counts of responses are not answers and are always shown.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use sea_orm::{ConnectionTrait, Value};

use super::{
    evaluation::{FOLLOW_UP_FROM_MONTHS, ITEMS},
    figures::{get, rows},
    lang::{label, Language, Vocabulary},
    programme_cycle,
};
use crate::error::Result;

/// Fewest responses an aggregate is shown over.
pub const MIN_RESPONSES: i64 = 3;

/// Which enrollments a report covers (all given filters apply).
#[derive(Debug, Clone, Default)]
pub struct EvaluationScope {
    pub course_id: Option<i32>,
    /// Course topic code, e.g. `BORDER_SECURITY`.
    pub topic: Option<String>,
    /// Course organiser, case-insensitive.
    pub organiser: Option<String>,
    pub cycle_id: Option<i32>,
}

/// One questionnaire item's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ItemFigures {
    pub item: String,
    pub label: String,
    pub responses: i64,
    pub mean: f64,
    /// Ratings 1 to 5: how many gave each.
    pub distribution: [i64; 5],
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EvaluationReport {
    /// Enrollments ATTENDED, COMPLETED or FAILED: who could answer level 1.
    pub eligible: i64,
    pub responses: i64,
    pub response_rate: f64,
    /// Whether the level 1 figures are withheld (fewer than `MIN_RESPONSES` responses).
    pub withheld: bool,
    /// Per item, in questionnaire order; empty when withheld.
    pub items: Vec<ItemFigures>,
    /// COMPLETED enrollments whose follow-up is due.
    pub follow_ups_due: i64,
    pub follow_ups_recorded: i64,
    pub follow_up_rate: f64,
    /// Follow-ups per answer (YES, PARTLY, NO); none when fewer than `MIN_RESPONSES`.
    pub applied: Option<BTreeMap<String, i64>>,
}

fn rate(n: i64, d: i64) -> f64 {
    if d <= 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// The report's scope as SQL joined to a table aliased `e` that has `partner_id` and
/// `iteration_id`: the enrollments, or the responses and follow-ups themselves (which copy both,
/// so their figures read their own partner index instead of the partner's enrollments).
async fn scope_sql<C: ConnectionTrait>(
    conn: &C,
    scope: &EvaluationScope,
) -> Result<(String, Vec<Value>)> {
    let mut sql = String::from(
        " JOIN course_iteration i ON i.id = e.iteration_id JOIN course c ON c.id = i.course_id WHERE 1 = 1",
    );
    let mut values: Vec<Value> = Vec::new();
    if let Some(course) = scope.course_id {
        sql.push_str(" AND c.id = ?");
        values.push(course.into());
    }
    if let Some(topic) = &scope.topic {
        sql.push_str(" AND c.topic = ?");
        values.push(topic.clone().into());
    }
    if let Some(organiser) = &scope.organiser {
        sql.push_str(" AND LOWER(c.organiser) = ?");
        values.push(organiser.trim().to_lowercase().into());
    }
    if let Some(cycle) = scope.cycle_id {
        let cycle = programme_cycle::get(conn, cycle).await?;
        sql.push_str(" AND e.partner_id = ? AND i.start_date >= ? AND i.end_date <= ?");
        values.extend([
            cycle.partner_id.into(),
            cycle.start_date.into(),
            cycle.end_date.into(),
        ]);
    }
    Ok((sql, values))
}

/// The evaluation report of a scope on `today`, in four statements.
pub async fn evaluation_report<C: ConnectionTrait>(
    conn: &C,
    scope: &EvaluationScope,
    today: NaiveDate,
    lang: Language,
) -> Result<EvaluationReport> {
    let (scope_sql, values) = scope_sql(conn, scope).await?;
    let due_if_ended_by = today
        .checked_sub_months(Months::new(FOLLOW_UP_FROM_MONTHS))
        .unwrap_or(today);
    let mut due_values = vec![due_if_ended_by.into()];
    due_values.extend(values.clone());
    let status_sql = format!(
        "SELECT e.status, COUNT(*), SUM(CASE WHEN i.end_date <= ? THEN 1 ELSE 0 END) \
         FROM enrollment e{scope_sql} \
         AND e.status IN ('ATTENDED', 'COMPLETED', 'FAILED') GROUP BY e.status"
    );
    let ratings_sql = format!(
        "SELECT r.item, r.rating, COUNT(*) FROM evaluation_response e \
         JOIN evaluation_rating r ON r.response_id = e.id{scope_sql} \
         GROUP BY r.item, r.rating"
    );
    let responses_sql = format!("SELECT COUNT(*) FROM evaluation_response e{scope_sql}");
    let follow_ups_sql = format!(
        "SELECT e.applied, COUNT(*) FROM evaluation_follow_up e{scope_sql} GROUP BY e.applied"
    );
    let (statuses, ratings, responses, follow_ups) = tokio::try_join!(
        rows(conn, &status_sql, due_values),
        rows(conn, &ratings_sql, values.clone()),
        rows(conn, &responses_sql, values.clone()),
        rows(conn, &follow_ups_sql, values),
    )?;
    let (mut eligible, mut follow_ups_due) = (0, 0);
    for r in &statuses {
        let status: String = get(r, 0)?;
        eligible += get::<i64>(r, 1)?;
        if status == "COMPLETED" {
            follow_ups_due += get::<Option<i64>>(r, 2)?.unwrap_or(0);
        }
    }
    let responses: i64 = match responses.first() {
        Some(r) => get(r, 0)?,
        None => 0,
    };
    let withheld = responses < MIN_RESPONSES;
    let mut per_item: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    for r in &ratings {
        let item: String = get(r, 0)?;
        let rating: i32 = get(r, 1)?;
        let count: i64 = get(r, 2)?;
        if let Some(slot) = usize::try_from(rating - 1)
            .ok()
            .and_then(|i| per_item.entry(item).or_default().get_mut(i))
        {
            *slot += count;
        }
    }
    let mut items: Vec<ItemFigures> = per_item
        .into_iter()
        .map(|(item, distribution)| {
            let n: i64 = distribution.iter().sum();
            let total: i64 = distribution
                .iter()
                .enumerate()
                .map(|(i, c)| (i as i64 + 1) * c)
                .sum();
            ItemFigures {
                label: label(lang, Vocabulary::EvaluationItem, &item),
                item,
                responses: n,
                mean: rate(total, n),
                distribution,
            }
        })
        .filter(|f| f.responses >= MIN_RESPONSES)
        .collect();
    if withheld {
        items.clear();
    }
    items.sort_by_key(|f| {
        ITEMS
            .iter()
            .position(|i| *i == f.item)
            .unwrap_or(usize::MAX)
    });
    let mut applied = BTreeMap::new();
    for r in &follow_ups {
        applied.insert(get::<String>(r, 0)?, get::<i64>(r, 1)?);
    }
    let follow_ups_recorded: i64 = applied.values().sum();
    Ok(EvaluationReport {
        eligible,
        responses,
        response_rate: rate(responses, eligible),
        withheld,
        items,
        follow_ups_due,
        follow_ups_recorded,
        follow_up_rate: rate(follow_ups_recorded, follow_ups_due),
        applied: (follow_ups_recorded >= MIN_RESPONSES).then_some(applied),
    })
}
