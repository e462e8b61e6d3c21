//! Iteration lists: upcoming iterations with their seats, and waitlists.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;

use super::{get, rows, MAX_LIMIT};
use crate::error::{AppError, Result};
use crate::service::lang::{label, Language, Vocabulary};

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
            let partner = crate::service::partner::by_code(conn, code).await?;
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
