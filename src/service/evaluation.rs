//! Course evaluation, Kirkpatrick's levels (DOMAIN.md glossary).
//!
//! - Level 1, reaction: one questionnaire response per enrollment that was ATTENDED, COMPLETED or
//!   FAILED, rating each item of the current item set 1 to 5, with an optional comment. Accepted
//!   from the iteration's last day until `window_days` after it (`IPCP_EVALUATION_WINDOW_DAYS`).
//!   Each response records the item set it was answered on, so the set can change later and old
//!   answers keep their meaning.
//! - Level 2, learning: the enrollment's `evaluation_score` (the assessment score), set with the
//!   outcome; nothing here.
//! - Level 3, behaviour: one follow-up per COMPLETED enrollment, due from three months after the
//!   iteration's last day (and expected by six months after it), recorded by a programme officer.
//!   A late follow-up is still accepted: it is the answer that matters.
//!
//! Ratings and comments are personal data (they can be traced to an officer): the API shows them
//! only to roles with the personal-data right, and reports withhold aggregates over fewer than
//! three responses (`evaluation_report`).

use crate::error::ErrorCode;
use sea_orm::ActiveEnum as _;
use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use entity::{
    enrollment,
    enums::{AppliedAtWork, EnrollmentStatus},
    evaluation_follow_up, evaluation_rating, evaluation_response,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::Serialize;

use super::{enrollment as enrollments, iteration, now, paging, uow, validate, Page, PageRequest};
use crate::error::{AppError, Result};

/// The item set new responses are given on, and its items in questionnaire order.
pub const ITEM_SET: &str = "L1-2026";
pub const ITEMS: &[&str] = &[
    "relevance",
    "content",
    "instruction",
    "organisation",
    "overall",
];

/// Days after an iteration's last day during which level 1 responses are accepted, by default.
pub const DEFAULT_WINDOW_DAYS: u32 = 60;

/// Months after an iteration's last day from which a level 3 follow-up is due, and by which it is
/// expected.
pub const FOLLOW_UP_FROM_MONTHS: u32 = 3;
pub const FOLLOW_UP_BY_MONTHS: u32 = 6;

/// Statuses of an enrollment whose officer took part, and so may answer level 1.
const TOOK_PART: [EnrollmentStatus; 3] = [
    EnrollmentStatus::Attended,
    EnrollmentStatus::Completed,
    EnrollmentStatus::Failed,
];

/// A level 1 response as the audit log and change log record it (ratings included: the change
/// log hides them, with the comment, from readers without the personal-data right).
#[derive(Debug, Clone, Serialize)]
pub struct ResponseRecord {
    pub id: i32,
    pub enrollment_id: i32,
    pub iteration_id: i32,
    pub partner_id: i32,
    pub item_set: String,
    pub ratings: BTreeMap<String, i32>,
    pub comment: Option<String>,
    pub responded_on: NaiveDate,
}

impl uow::Audited for ResponseRecord {
    const ENTITY: &'static str = "evaluation_response";
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
    fn partner(&self) -> uow::PartnerOf {
        uow::PartnerOf::Partner(self.partner_id)
    }
}

impl uow::Audited for evaluation_follow_up::Model {
    const ENTITY: &'static str = "evaluation_follow_up";
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
    fn partner(&self) -> uow::PartnerOf {
        uow::PartnerOf::Partner(self.partner_id)
    }
}

pub struct NewResponse {
    pub enrollment_id: i32,
    /// (item, rating) pairs: every item of the current set, once.
    pub ratings: Vec<(String, i32)>,
    pub comment: Option<String>,
}

pub struct NewFollowUp {
    pub enrollment_id: i32,
    pub applied: AppliedAtWork,
    pub note: Option<String>,
}

/// The first day a follow-up of an iteration that ended on `end` may be recorded.
pub fn follow_up_due_from(end: NaiveDate) -> NaiveDate {
    end.checked_add_months(Months::new(FOLLOW_UP_FROM_MONTHS))
        .unwrap_or(end)
}

/// The day by which a follow-up of an iteration that ended on `end` is expected.
pub fn follow_up_due_by(end: NaiveDate) -> NaiveDate {
    end.checked_add_months(Months::new(FOLLOW_UP_BY_MONTHS))
        .unwrap_or(end)
}

/// The ratings in the order of the item set, checked: every item once, each 1 to 5.
fn checked_ratings(ratings: Vec<(String, i32)>) -> Result<BTreeMap<String, i32>> {
    let mut checked = BTreeMap::new();
    for (item, rating) in ratings {
        if !ITEMS.contains(&item.as_str()) {
            return Err(AppError::invalid(
                "ratings",
                format!("'{item}' is not an item of the set {ITEM_SET}"),
            ));
        }
        if !(1..=5).contains(&rating) {
            return Err(AppError::rule(
                ErrorCode::RatingOutOfRange,
                format!("the rating of '{item}' is {rating}; ratings go from 1 to 5"),
            ));
        }
        if checked.insert(item.clone(), rating).is_some() {
            return Err(AppError::invalid(
                "ratings",
                format!("'{item}' is rated twice"),
            ));
        }
    }
    if let Some(missing) = ITEMS.iter().find(|i| !checked.contains_key(**i)) {
        return Err(AppError::invalid(
            "ratings",
            format!(
                "'{missing}' is not rated; a response rates every item of the set ({})",
                ITEMS.join(", ")
            ),
        ));
    }
    Ok(checked)
}

/// Records a level 1 response for an enrollment, on `today`.
pub async fn record_response<C: ConnectionTrait>(
    conn: &C,
    input: NewResponse,
    window_days: u32,
    today: NaiveDate,
) -> Result<ResponseRecord> {
    let e = enrollments::get(conn, input.enrollment_id).await?;
    if !TOOK_PART.contains(&e.status) {
        return Err(AppError::rule(ErrorCode::NotAttended,
            format!(
                "enrollment {} is {}; only officers who attended (ATTENDED, COMPLETED or FAILED) answer the course questionnaire",
                e.id,
                e.status.to_value()
            ),
        ));
    }
    let it = iteration::get(conn, e.iteration_id).await?;
    let closes = it.end_date + chrono::Duration::days(i64::from(window_days));
    if today < it.end_date || today > closes {
        return Err(AppError::rule(ErrorCode::OutsideResponseWindow,
            format!(
                "course iteration {} ends on {}; its questionnaire is answered from then until {closes} ({window_days} days after)",
                it.id, it.end_date
            ),
        ));
    }
    if existing_response(conn, e.id).await?.is_some() {
        return Err(duplicate_response(e.id));
    }
    let ratings = checked_ratings(input.ratings)?;
    let comment = validate::optional_text("comment", input.comment, 4000)?;
    let created = evaluation_response::Entity::insert(evaluation_response::ActiveModel {
        enrollment_id: Set(e.id),
        iteration_id: Set(e.iteration_id),
        partner_id: Set(e.partner_id),
        item_set: Set(ITEM_SET.to_owned()),
        comment: Set(comment),
        responded_on: Set(today),
        created_at: Set(now()),
        ..Default::default()
    })
    .exec_with_returning(conn)
    .await
    // A concurrent request recorded it first: the unique index says so (its name on PostgreSQL,
    // its column on SQLite).
    .map_err(|err| match AppError::from(err) {
        AppError::Internal(text)
            if text.contains("ux_evaluation_response_enrollment")
                || text.contains("evaluation_response.enrollment_id") =>
        {
            duplicate_response(e.id)
        }
        other => other,
    })?;
    evaluation_rating::Entity::insert_many(ratings.iter().map(|(item, rating)| {
        evaluation_rating::ActiveModel {
            response_id: Set(created.id),
            item: Set(item.clone()),
            rating: Set(*rating),
        }
    }))
    .exec(conn)
    .await?;
    Ok(record(created, ratings))
}

fn duplicate_response(enrollment: i32) -> AppError {
    AppError::rule(ErrorCode::DuplicateResponse,
        format!("enrollment {enrollment} already has a questionnaire response; there is one per enrollment"),
    )
}

fn record(m: evaluation_response::Model, ratings: BTreeMap<String, i32>) -> ResponseRecord {
    ResponseRecord {
        id: m.id,
        enrollment_id: m.enrollment_id,
        iteration_id: m.iteration_id,
        partner_id: m.partner_id,
        item_set: m.item_set,
        ratings,
        comment: m.comment,
        responded_on: m.responded_on,
    }
}

async fn existing_response<C: ConnectionTrait>(
    conn: &C,
    enrollment_id: i32,
) -> Result<Option<evaluation_response::Model>> {
    Ok(evaluation_response::Entity::find()
        .filter(evaluation_response::Column::EnrollmentId.eq(enrollment_id))
        .one(conn)
        .await?)
}

/// The ratings of responses, by response id, in item-set order.
pub async fn ratings_of<C: ConnectionTrait>(
    conn: &C,
    response_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<(String, i32)>>> {
    let mut by_response: BTreeMap<i32, Vec<(String, i32)>> = BTreeMap::new();
    if response_ids.is_empty() {
        return Ok(by_response);
    }
    for chunk in response_ids.chunks(500) {
        let rows = evaluation_rating::Entity::find()
            .filter(evaluation_rating::Column::ResponseId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        for r in rows {
            by_response
                .entry(r.response_id)
                .or_default()
                .push((r.item, r.rating));
        }
    }
    for list in by_response.values_mut() {
        list.sort_by_key(|(item, _)| ITEMS.iter().position(|i| i == item).unwrap_or(usize::MAX));
    }
    Ok(by_response)
}

/// Records the level 3 follow-up of a completed enrollment, on `today`.
pub async fn record_follow_up<C: ConnectionTrait>(
    conn: &C,
    input: NewFollowUp,
    today: NaiveDate,
) -> Result<evaluation_follow_up::Model> {
    let e = enrollments::get(conn, input.enrollment_id).await?;
    if e.status != EnrollmentStatus::Completed {
        return Err(AppError::rule(
            ErrorCode::NotCompleted,
            format!(
                "enrollment {} is {}; a follow-up asks officers who completed the course",
                e.id,
                e.status.to_value()
            ),
        ));
    }
    let it = iteration::get(conn, e.iteration_id).await?;
    let due = follow_up_due_from(it.end_date);
    if today < due {
        return Err(AppError::rule(ErrorCode::FollowUpNotDue,
            format!(
                "course iteration {} ended on {}; its follow-up is due from {due} ({FOLLOW_UP_FROM_MONTHS} months after)",
                it.id, it.end_date
            ),
        ));
    }
    let exists = evaluation_follow_up::Entity::find()
        .filter(evaluation_follow_up::Column::EnrollmentId.eq(e.id))
        .one(conn)
        .await?;
    if exists.is_some() {
        return Err(duplicate_follow_up(e.id));
    }
    let note = validate::optional_text("note", input.note, 4000)?;
    evaluation_follow_up::Entity::insert(evaluation_follow_up::ActiveModel {
        enrollment_id: Set(e.id),
        iteration_id: Set(e.iteration_id),
        partner_id: Set(e.partner_id),
        applied: Set(input.applied),
        note: Set(note),
        recorded_on: Set(today),
        created_at: Set(now()),
        ..Default::default()
    })
    .exec_with_returning(conn)
    .await
    // A concurrent request recorded it first: the unique index says so (its name on PostgreSQL,
    // its column on SQLite).
    .map_err(|err| match AppError::from(err) {
        AppError::Internal(text)
            if text.contains("ux_evaluation_follow_up_enrollment")
                || text.contains("evaluation_follow_up.enrollment_id") =>
        {
            duplicate_follow_up(e.id)
        }
        other => other,
    })
}

fn duplicate_follow_up(enrollment: i32) -> AppError {
    AppError::rule(
        ErrorCode::DuplicateFollowUp,
        format!("enrollment {enrollment} already has its follow-up; there is one per enrollment"),
    )
}

/// Which follow-ups a programme officer wants to see.
#[derive(Debug, Clone, Default)]
pub struct FollowUpsDueFilter {
    pub partner_id: Option<i32>,
    pub course_id: Option<i32>,
    /// Only follow-ups due on or before this day (default: today, those that may be recorded now).
    pub due_before: Option<NaiveDate>,
}

/// Completed enrollments that have no follow-up yet and whose follow-up is due on or before the
/// filter's day, in enrollment id order.
pub async fn follow_ups_due<C: ConnectionTrait>(
    conn: &C,
    filter: FollowUpsDueFilter,
    today: NaiveDate,
    req: &PageRequest,
) -> Result<Page<enrollment::Model>> {
    use entity::course_iteration as it;
    let due_before = filter.due_before.unwrap_or(today);
    // Due on or before `due_before` means the iteration ended on or before the day three months
    // earlier; computed here, so the SQL is the same on both backends and uses the date index.
    let ended_by = due_before
        .checked_sub_months(Months::new(FOLLOW_UP_FROM_MONTHS))
        .unwrap_or(due_before);
    let mut iterations = Query::select()
        .column(it::Column::Id)
        .from(it::Entity)
        .and_where(Expr::col(it::Column::EndDate).lte(ended_by))
        .to_owned();
    if let Some(course) = filter.course_id {
        iterations.and_where(Expr::col(it::Column::CourseId).eq(course));
    }
    let answered = Query::select()
        .column(evaluation_follow_up::Column::EnrollmentId)
        .from(evaluation_follow_up::Entity)
        .to_owned();
    let mut q = enrollment::Entity::find()
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Completed))
        .filter(enrollment::Column::IterationId.in_subquery(iterations))
        .filter(enrollment::Column::Id.not_in_subquery(answered));
    if let Some(p) = filter.partner_id {
        q = q.filter(enrollment::Column::PartnerId.eq(p));
    }
    paging::page(conn, q, enrollment::Column::Id, req).await
}

/// The level 1 responses of enrollments, by enrollment id.
pub async fn responses_by_enrollment<C: ConnectionTrait>(
    conn: &C,
    enrollment_ids: &[i32],
) -> Result<BTreeMap<i32, ResponseRecord>> {
    let mut found = Vec::new();
    for chunk in enrollment_ids.chunks(500) {
        found.extend(
            evaluation_response::Entity::find()
                .filter(evaluation_response::Column::EnrollmentId.is_in(chunk.iter().copied()))
                .all(conn)
                .await?,
        );
    }
    let ids: Vec<i32> = found.iter().map(|r| r.id).collect();
    let mut ratings = ratings_of(conn, &ids).await?;
    Ok(found
        .into_iter()
        .map(|m| {
            let r = ratings
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .collect();
            (m.enrollment_id, record(m, r))
        })
        .collect())
}

/// The level 3 follow-ups of enrollments, by enrollment id.
pub async fn follow_ups_by_enrollment<C: ConnectionTrait>(
    conn: &C,
    enrollment_ids: &[i32],
) -> Result<BTreeMap<i32, evaluation_follow_up::Model>> {
    let mut found = BTreeMap::new();
    for chunk in enrollment_ids.chunks(500) {
        for m in evaluation_follow_up::Entity::find()
            .filter(evaluation_follow_up::Column::EnrollmentId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            found.insert(m.enrollment_id, m);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(rating: i32) -> Vec<(String, i32)> {
        ITEMS.iter().map(|i| ((*i).to_owned(), rating)).collect()
    }

    #[test]
    fn a_rating_outside_one_to_five_is_out_of_range() {
        for bad in [0, 6, -1] {
            let err = checked_ratings(all(bad)).err().map(|e| e.code());
            assert_eq!(err, Some(ErrorCode::RatingOutOfRange));
        }
        assert!(checked_ratings(all(1)).is_ok() && checked_ratings(all(5)).is_ok());
    }

    #[test]
    fn every_item_is_rated_once() {
        let mut missing = all(3);
        missing.pop();
        assert!(checked_ratings(missing).is_err());
        let mut twice = all(3);
        twice.push(("overall".into(), 4));
        assert!(checked_ratings(twice).is_err());
    }

    #[test]
    fn a_follow_up_is_due_three_to_six_months_after_the_end() {
        let end = NaiveDate::from_ymd_opt(2025, 11, 30).unwrap_or_default();
        assert_eq!(follow_up_due_from(end).to_string(), "2026-02-28");
        assert_eq!(follow_up_due_by(end).to_string(), "2026-05-30");
    }
}
