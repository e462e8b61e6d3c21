//! The seats of a course iteration (DOMAIN.md invariants 4 and 5), shared by the enrollment and
//! iteration rules: whether a partner's officer can have a seat, taking and giving one back with
//! the counter kept in step, no overlapping seats for one officer, and the waitlist's promotion
//! when seats free up.

use entity::{
    course_iteration, enrollment,
    enrollment::{ActiveModel, Column, Entity},
    enums::{EnrollmentStatus, IterationStatus},
    officer,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use super::dates::today;
use super::{find, now, uow::RelatedRecords, update_versioned};
use crate::error::{AppError, ErrorCode, Result};

const ENTITY: &str = "enrollment";
const COLS: (Column, Column, Column) = (Column::Id, Column::Version, Column::UpdatedAt);
const SEAT_HOLDING: [EnrollmentStatus; 4] = EnrollmentStatus::SEAT_HOLDING;

pub(crate) fn officer_name(id: i32) -> String {
    format!("officer {id}")
}

/// Whether the iteration has a seat for one more of the partner's officers: under capacity, and
/// under the partner's quota when it has one (`partner_held`: seats the partner holds there).
pub(crate) fn has_seat_for(it: &course_iteration::Model, partner_held: u64) -> bool {
    it.seats_held < it.capacity
        && it
            .partner_quota
            .is_none_or(|quota| partner_held < quota as u64)
}

/// Invariant 5: the officer holds no seat in another iteration whose dates overlap `it`'s.
pub(crate) async fn schedule_clash<C: ConnectionTrait>(
    conn: &C,
    officer_id: i32,
    it: &course_iteration::Model,
) -> Result<Option<course_iteration::Model>> {
    Ok(course_iteration::Entity::find()
        .join_rev(
            JoinType::InnerJoin,
            enrollment::Relation::CourseIteration.def(),
        )
        .filter(Column::OfficerId.eq(officer_id))
        .filter(Column::Status.is_in(SEAT_HOLDING))
        .filter(course_iteration::Column::Id.ne(it.id))
        .filter(course_iteration::Column::StartDate.lte(it.end_date))
        .filter(course_iteration::Column::EndDate.gte(it.start_date))
        .one(conn)
        .await?)
}

pub(crate) fn clash_error(
    officer_id: i32,
    it: &course_iteration::Model,
    other: &course_iteration::Model,
) -> AppError {
    AppError::rule(ErrorCode::ScheduleConflict,
        format!(
            "{} already holds a seat in course iteration {} ({} to {}), which overlaps iteration {} ({} to {})",
            officer_name(officer_id),
            other.id,
            other.start_date,
            other.end_date,
            it.id,
            it.start_date,
            it.end_date
        ),
    )
}

/// Locks the officer's row (PostgreSQL; SQLite writers are already serialised). Every path that may
/// seat an officer takes this lock after the iteration's, so two transactions on different
/// iterations cannot both seat one officer in overlapping iterations (invariant 5).
pub(crate) async fn lock_officer<C: ConnectionTrait>(
    conn: &C,
    officer_id: i32,
) -> Result<officer::Model> {
    officer::Entity::find()
        .filter(officer::Column::Id.eq(officer_id))
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("officer", officer_id))
}

/// Whether a seat is free for the partner: under capacity and under the partner's quota.
pub(crate) async fn seat_free<C: ConnectionTrait>(
    conn: &C,
    it: &course_iteration::Model,
    partner_id: i32,
) -> Result<bool> {
    let partner_held = match it.partner_quota {
        Some(_) if it.seats_held < it.capacity => {
            Entity::find()
                .filter(Column::IterationId.eq(it.id))
                .filter(Column::PartnerId.eq(partner_id))
                .filter(Column::Status.is_in(SEAT_HOLDING))
                .count(conn)
                .await?
        }
        _ => 0,
    };
    Ok(has_seat_for(it, partner_held))
}

/// Takes one seat with a conditional update, so the counter can never pass the capacity.
pub(crate) async fn take_seat<C: ConnectionTrait>(conn: &C, iteration_id: i32) -> Result<bool> {
    let res = course_iteration::Entity::update_many()
        .col_expr(
            course_iteration::Column::SeatsHeld,
            Expr::col(course_iteration::Column::SeatsHeld).add(1),
        )
        // Seats held are part of the iteration as its readers see it (the calendar feed's
        // DESCRIPTION and LAST-MODIFIED): a seat taken or freed is a revision of it.
        .col_expr(
            course_iteration::Column::UpdatedAt,
            Expr::value(super::now()),
        )
        .filter(course_iteration::Column::Id.eq(iteration_id))
        .filter(
            Expr::col(course_iteration::Column::SeatsHeld)
                .lt(Expr::col(course_iteration::Column::Capacity)),
        )
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub(crate) async fn release_seat<C: ConnectionTrait>(conn: &C, iteration_id: i32) -> Result<()> {
    course_iteration::Entity::update_many()
        .col_expr(
            course_iteration::Column::SeatsHeld,
            Expr::col(course_iteration::Column::SeatsHeld).sub(1),
        )
        .col_expr(
            course_iteration::Column::UpdatedAt,
            Expr::value(super::now()),
        )
        .filter(course_iteration::Column::Id.eq(iteration_id))
        .filter(course_iteration::Column::SeatsHeld.gt(0))
        .exec(conn)
        .await?;
    Ok(())
}

/// Fills free seats from the waitlist, first come first served, skipping officers who meanwhile hold
/// an overlapping seat or whose partner's quota is full. Only before the iteration starts. The
/// promoted enrollments are noted in `related`.
pub async fn promote_waitlisted<C: ConnectionTrait>(
    conn: &C,
    it: &course_iteration::Model,
    related: &RelatedRecords,
) -> Result<()> {
    if !matches!(it.status, IterationStatus::Planned | IterationStatus::Open)
        || today() >= it.start_date
    {
        return Ok(());
    }
    let waiting = Entity::find()
        .filter(Column::IterationId.eq(it.id))
        .filter(Column::Status.eq(EnrollmentStatus::Waitlisted))
        .order_by_asc(Column::WaitlistPosition)
        .all(conn)
        .await?;
    for candidate in waiting {
        let it = find::<course_iteration::Entity, _>(
            conn,
            "course iteration",
            course_iteration::Column::Id,
            it.id,
        )
        .await?;
        if it.seats_held >= it.capacity {
            break;
        }
        lock_officer(conn, candidate.officer_id).await?;
        if !seat_free(conn, &it, candidate.partner_id).await?
            || schedule_clash(conn, candidate.officer_id, &it)
                .await?
                .is_some()
        {
            continue;
        }
        if !take_seat(conn, it.id).await? {
            break;
        }
        let am = ActiveModel {
            status: Set(EnrollmentStatus::Confirmed),
            confirmed_at: Set(Some(now())),
            waitlist_position: Set(None),
            decided_by: Set(Some("waitlist promotion".to_owned())),
            ..Default::default()
        };
        update_versioned::<Entity, _>(conn, ENTITY, COLS, candidate.id, candidate.version, am)
            .await?;
        related.note(ENTITY, candidate.id);
    }
    Ok(())
}
