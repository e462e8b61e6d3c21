//! Course iterations: dated runs of a catalogue course, their seats and the objectives they serve.

use crate::error::ErrorCode;
use chrono::NaiveDate;
use entity::{
    course_iteration::{self, ActiveModel, Column, Entity},
    enrollment,
    enums::{EnrollmentStatus, IterationStatus},
    iteration_objective,
};
use sea_orm::ActiveEnum as _;
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};

use super::paging::SortKey;
use super::validate::Text;
use super::{
    course, find, now, objective, paging, seat, uow::RelatedRecords, update_versioned, validate,
    Page, PageRequest,
};
use crate::error::{AppError, Result};

const ENTITY: &str = "course iteration";
/// The free-text fields and their longest values.
const LOCATION: Text = Text::new("location", 200);

pub struct NewIteration {
    pub course_id: i32,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub location: String,
    pub capacity: i32,
    pub partner_quota: Option<i32>,
    pub status: Option<IterationStatus>,
}

#[derive(Default)]
pub struct IterationChanges {
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub location: Option<String>,
    pub capacity: Option<i32>,
    pub partner_quota: Option<Option<i32>>,
    pub status: Option<IterationStatus>,
}

/// What the list can be ordered by (the id is always the tie-breaker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IterationOrderField {
    #[default]
    Id,
    StartDate,
}

#[derive(Default)]
pub struct IterationFilter {
    pub course_id: Option<i32>,
    pub status: Option<IterationStatus>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub objective_id: Option<i32>,
    /// Only iterations of courses on this topic.
    pub topic: Option<entity::enums::CourseTopic>,
    /// Only iterations of courses by this organiser.
    pub organiser: Option<String>,
    /// Case-insensitive search in the course's title and code.
    pub search: Option<String>,
    /// Order of the list (default: by id, ascending).
    pub order: paging::ListOrder<IterationOrderField>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<course_iteration::Model> {
    find::<Entity, _>(conn, ENTITY, Column::Id, id).await
}

/// Loads the iteration with a row lock (PostgreSQL; SQLite writers are already serialised).
pub async fn get_locked<C: ConnectionTrait>(conn: &C, id: i32) -> Result<course_iteration::Model> {
    Entity::find()
        .filter(Column::Id.eq(id))
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: IterationFilter,
    req: &PageRequest,
) -> Result<Page<course_iteration::Model>> {
    let mut q = Entity::find();
    if let Some(v) = filter.course_id {
        q = q.filter(Column::CourseId.eq(v));
    }
    if let Some(v) = filter.status {
        q = q.filter(Column::Status.eq(v));
    }
    if let Some(v) = filter.from {
        q = q.filter(Column::EndDate.gte(v));
    }
    if let Some(v) = filter.to {
        q = q.filter(Column::StartDate.lte(v));
    }
    if let Some(v) = filter.objective_id {
        q = q
            .join_rev(
                JoinType::InnerJoin,
                iteration_objective::Relation::CourseIteration.def(),
            )
            .filter(iteration_objective::Column::ObjectiveId.eq(v));
    }
    let search = super::search_text(filter.search)?;
    if filter.topic.is_some() || filter.organiser.is_some() || search.is_some() {
        q = q.join(
            JoinType::InnerJoin,
            course_iteration::Relation::Course.def(),
        );
        if let Some(t) = filter.topic {
            q = q.filter(entity::course::Column::Topic.eq(t));
        }
        if let Some(o) = filter.organiser {
            q = q.filter(entity::course::Column::Organiser.eq(o));
        }
        if let Some(s) = search {
            use entity::course::{Column as C, Entity as E};
            q = q.filter(
                sea_orm::Condition::any()
                    .add(super::contains((E, C::Title), &s))
                    .add(super::contains((E, C::Code), &s)),
            );
        }
    }
    let desc = filter.order.descending;
    let sort = match filter.order.field {
        IterationOrderField::Id => paging::Sort::by_id(desc),
        IterationOrderField::StartDate => paging::Sort::date(
            Column::StartDate,
            |m: &<Entity as EntityTrait>::Model| SortKey::Date(m.start_date),
            desc,
        ),
    };
    paging::page_sorted(conn, q, Column::Id, sort, req).await
}

fn quota(value: Option<i32>) -> Result<Option<i32>> {
    value
        .map(|q| validate::non_negative("partnerQuota", q))
        .transpose()
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    input: NewIteration,
) -> Result<course_iteration::Model> {
    course::get(conn, input.course_id).await?;
    validate::date_order(input.start_date, input.end_date)?;
    let status = input.status.unwrap_or(IterationStatus::Planned);
    if !matches!(status, IterationStatus::Planned | IterationStatus::Open) {
        return Err(AppError::invalid(
            "status",
            "a new iteration is PLANNED or OPEN",
        ));
    }
    let at = now();
    let model = ActiveModel {
        course_id: Set(input.course_id),
        start_date: Set(input.start_date),
        end_date: Set(input.end_date),
        location: Set(LOCATION.check(&input.location)?),
        capacity: Set(validate::non_negative("capacity", input.capacity)?),
        partner_quota: Set(quota(input.partner_quota)?),
        seats_held: Set(0),
        status: Set(status),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    Ok(Entity::insert(model).exec_with_returning(conn).await?)
}

/// PLANNED -> OPEN -> CLOSED -> HELD (OPEN -> HELD too); CANCELLED only through `cancel`.
fn status_change_allowed(from: IterationStatus, to: IterationStatus) -> bool {
    use IterationStatus::*;
    from == to
        || matches!(
            (from, to),
            (Planned, Open) | (Open, Closed) | (Open, Held) | (Closed, Held) | (Closed, Open)
        )
}

pub async fn update<C: ConnectionTrait>(
    txn: &C,
    id: i32,
    version: i32,
    changes: IterationChanges,
    related: &RelatedRecords,
) -> Result<course_iteration::Model> {
    let current = get_locked(txn, id).await?;
    let mut am = ActiveModel::default();
    if changes.start_date.is_some() || changes.end_date.is_some() {
        let start = changes.start_date.unwrap_or(current.start_date);
        let end = changes.end_date.unwrap_or(current.end_date);
        validate::date_order(start, end)?;
        am.start_date = Set(start);
        am.end_date = Set(end);
    }
    if let Some(l) = changes.location {
        am.location = Set(LOCATION.check(&l)?);
    }
    if let Some(c) = changes.capacity {
        let c = validate::non_negative("capacity", c)?;
        if c < current.seats_held {
            return Err(AppError::rule(
                ErrorCode::CapacityBelowSeatsHeld,
                format!(
                    "course iteration {id} has {} seats held; capacity cannot drop to {c}",
                    current.seats_held
                ),
            ));
        }
        am.capacity = Set(c);
    }
    if let Some(q) = changes.partner_quota {
        let q = quota(q)?;
        if let Some(limit) = q {
            ensure_quota_holds(txn, &current, limit).await?;
        }
        am.partner_quota = Set(q);
    }
    if let Some(s) = changes.status {
        if s == IterationStatus::Cancelled {
            return Err(AppError::invalid(
                "status",
                "use cancelCourseIteration to cancel an iteration",
            ));
        }
        if !status_change_allowed(current.status, s) {
            return Err(AppError::rule(
                ErrorCode::InvalidTransition,
                format!(
                    "course iteration {id} cannot go from {} to {}",
                    current.status.to_value(),
                    s.to_value()
                ),
            ));
        }
        am.status = Set(s);
    }
    let updated = update_versioned::<Entity, _>(
        txn,
        ENTITY,
        (Column::Id, Column::Version, Column::UpdatedAt),
        id,
        version,
        am,
    )
    .await?;
    if (updated.start_date, updated.end_date) != (current.start_date, current.end_date) {
        ensure_no_schedule_conflict(txn, &updated).await?;
    }
    // A larger capacity frees seats: the waitlist moves up, first come first served.
    seat::promote_waitlisted(txn, &updated, related).await?;
    let updated = get(txn, id).await?;
    Ok(updated)
}

/// Invariant 4: a quota may not drop below the seats a partner already holds.
async fn ensure_quota_holds<C: ConnectionTrait>(
    conn: &C,
    it: &course_iteration::Model,
    limit: i32,
) -> Result<()> {
    let held: Vec<i32> = enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::PartnerId)
        .filter(enrollment::Column::IterationId.eq(it.id))
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::SEAT_HOLDING))
        .into_tuple()
        .all(conn)
        .await?;
    let mut per_partner = std::collections::BTreeMap::<i32, i32>::new();
    for partner in held {
        *per_partner.entry(partner).or_default() += 1;
    }
    if let Some((partner, seats)) = per_partner.into_iter().find(|(_, n)| *n > limit) {
        return Err(AppError::rule(ErrorCode::QuotaBelowSeatsHeld,
            format!(
                "partner {partner} holds {seats} seats in course iteration {}; its quota cannot drop to {limit}",
                it.id
            ),
        ));
    }
    Ok(())
}

/// Invariant 5 when an iteration moves: none of its seated officers may then hold a seat in another
/// iteration on the same days. Their rows are locked, as when a seat is taken.
async fn ensure_no_schedule_conflict<C: ConnectionTrait>(
    conn: &C,
    moved: &course_iteration::Model,
) -> Result<()> {
    let seated = enrollment::Entity::find()
        .filter(enrollment::Column::IterationId.eq(moved.id))
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::SEAT_HOLDING))
        .order_by_asc(enrollment::Column::OfficerId)
        .all(conn)
        .await?;
    for e in seated {
        seat::lock_officer(conn, e.officer_id).await?;
        if let Some(other) = seat::schedule_clash(conn, e.officer_id, moved).await? {
            return Err(seat::clash_error(e.officer_id, moved, &other));
        }
    }
    Ok(())
}

/// Cancels the iteration; its live enrollments become CANCELLED and no seat stays held.
pub async fn cancel<C: ConnectionTrait>(
    txn: &C,
    id: i32,
    version: i32,
    related: &RelatedRecords,
) -> Result<course_iteration::Model> {
    let current = get_locked(txn, id).await?;
    if matches!(
        current.status,
        IterationStatus::Cancelled | IterationStatus::Held
    ) {
        return Err(AppError::rule(
            ErrorCode::InvalidTransition,
            format!(
                "course iteration {id} is {} and cannot be cancelled",
                current.status.to_value()
            ),
        ));
    }
    // Attendance or an outcome on record means the iteration took place: cancelling it would
    // rewrite what reports count (invariant 8) and leave seats held by final enrollments.
    let took_place = enrollment::Entity::find()
        .filter(enrollment::Column::IterationId.eq(id))
        .filter(enrollment::Column::Status.is_in([
            EnrollmentStatus::Attended,
            EnrollmentStatus::Completed,
            EnrollmentStatus::Failed,
            EnrollmentStatus::NoShow,
        ]))
        .one(txn)
        .await?;
    if let Some(e) = took_place {
        return Err(AppError::rule(ErrorCode::InvalidTransition,
            format!(
                "course iteration {id} has attendance on record (enrollment {} is {}); it took place and cannot be cancelled",
                e.id,
                e.status.to_value()
            ),
        ));
    }
    let at = now();
    let cancelled: Vec<i32> = enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::Id)
        .filter(enrollment::Column::IterationId.eq(id))
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::LIVE))
        .into_tuple()
        .all(txn)
        .await?;
    for enrollment_id in cancelled {
        related.note("enrollment", enrollment_id);
    }
    enrollment::Entity::update_many()
        .col_expr(
            enrollment::Column::Status,
            Expr::value(EnrollmentStatus::Cancelled),
        )
        .col_expr(
            enrollment::Column::WaitlistPosition,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(enrollment::Column::EndedAt, Expr::value(at))
        .col_expr(enrollment::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            enrollment::Column::Version,
            Expr::col(enrollment::Column::Version).add(1),
        )
        .filter(enrollment::Column::IterationId.eq(id))
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::LIVE))
        .exec(txn)
        .await?;
    let am = ActiveModel {
        status: Set(IterationStatus::Cancelled),
        seats_held: Set(0),
        ..Default::default()
    };
    let updated = update_versioned::<Entity, _>(
        txn,
        ENTITY,
        (Column::Id, Column::Version, Column::UpdatedAt),
        id,
        version,
        am,
    )
    .await?;
    Ok(updated)
}

/// Records that the iteration serves an objective (idempotent).
pub async fn serve_objective<C: ConnectionTrait>(
    conn: &C,
    iteration_id: i32,
    objective_id: i32,
) -> Result<course_iteration::Model> {
    let iteration = get(conn, iteration_id).await?;
    objective::get(conn, objective_id).await?;
    // ON CONFLICT DO NOTHING, not a look-up first: two requests linking the same pair at once
    // would both find no row, and the second would fail on the key (ALREADY_LINKED) instead of
    // finding the link made.
    iteration_objective::Entity::insert(iteration_objective::ActiveModel {
        iteration_id: Set(iteration_id),
        objective_id: Set(objective_id),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            iteration_objective::Column::IterationId,
            iteration_objective::Column::ObjectiveId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(iteration)
}
