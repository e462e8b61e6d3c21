//! Nominations and enrollments: the lifecycle of invariant 6, seats and waitlist (invariant 4), one
//! live enrollment per officer and iteration and no overlapping seats (invariant 5).
//!
//! Every change runs in one write transaction that first locks the iteration row (and the officer's
//! row when a seat is taken), so concurrent nominations into one iteration are serialised; the seat
//! counter is also bounded by a CHECK in the database. A freed seat promotes the first waitlisted
//! enrollment (FIFO by waitlist position) whose officer has no overlapping seat.

use crate::error::ErrorCode;
use entity::{
    course_iteration, enrollment,
    enrollment::{ActiveModel, Column, Entity},
    enums::{EnrollmentStatus, IterationStatus},
    officer,
};
use sea_orm::ActiveEnum as _;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, RelationTrait,
};

use super::dates::today;
use super::paging::SortKey;
use super::{
    course, find, iteration, now, paging, slp::Slp, uow::RelatedRecords, update_versioned, Page,
    PageRequest,
};
use crate::error::{AppError, Result};

pub use super::seat::promote_waitlisted;
pub(crate) use super::seat::{
    clash_error, has_seat_for, lock_officer, officer_name, release_seat, schedule_clash, seat_free,
    take_seat,
};

const ENTITY: &str = "enrollment";
const COLS: (Column, Column, Column) = (Column::Id, Column::Version, Column::UpdatedAt);

/// Statuses that hold a seat of the iteration.
pub const SEAT_HOLDING: [EnrollmentStatus; 4] = EnrollmentStatus::SEAT_HOLDING;
/// Statuses that are not final: cancelling the iteration cancels them.
pub const LIVE: [EnrollmentStatus; 4] = EnrollmentStatus::LIVE;

/// What a programme officer or the course can do to an enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Confirm,
    Waitlist,
    Decline,
    Withdraw,
    Attend,
    NoShow,
    Complete,
    Fail,
    Cancel,
}

/// Invariant 6, the whole lifecycle in one table: the status an action leads to, if allowed.
pub fn next_status(from: EnrollmentStatus, action: Action) -> Option<EnrollmentStatus> {
    use Action as A;
    use EnrollmentStatus as S;
    match (from, action) {
        (S::Nominated, A::Confirm) => Some(S::Confirmed),
        (S::Nominated, A::Waitlist) => Some(S::Waitlisted),
        (S::Nominated, A::Decline) => Some(S::Declined),
        (S::Waitlisted, A::Confirm) => Some(S::Confirmed),
        (S::Waitlisted, A::Withdraw) => Some(S::Withdrawn),
        (S::Confirmed, A::Attend) => Some(S::Attended),
        (S::Confirmed, A::Withdraw) => Some(S::Withdrawn),
        (S::Confirmed, A::NoShow) => Some(S::NoShow),
        (S::Attended, A::Complete) => Some(S::Completed),
        (S::Attended, A::Fail) => Some(S::Failed),
        (s, A::Cancel) if LIVE.contains(&s) => Some(S::Cancelled),
        _ => None,
    }
}

pub struct Nomination {
    pub iteration_id: i32,
    pub officer_id: i32,
    /// Place the nomination at once: CONFIRMED if a seat is free, else WAITLISTED. When false it stays
    /// NOMINATED until the course confirms or declines it.
    pub place: bool,
}

/// What the list can be ordered by (the id is always the tie-breaker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EnrollmentOrderField {
    #[default]
    Id,
    NominatedAt,
}

#[derive(Default)]
pub struct EnrollmentFilter {
    pub iteration_id: Option<i32>,
    pub officer_id: Option<i32>,
    pub partner_id: Option<i32>,
    pub status: Option<EnrollmentStatus>,
    /// Only enrollments of officers of this service.
    pub service: Option<entity::enums::Service>,
    /// Only enrollments of officers of this rank (exact).
    pub rank: Option<String>,
    /// Order of the list (default: by id, ascending).
    pub order: paging::ListOrder<EnrollmentOrderField>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<enrollment::Model> {
    find::<Entity, _>(conn, ENTITY, Column::Id, id).await
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: EnrollmentFilter,
    req: &PageRequest,
) -> Result<Page<enrollment::Model>> {
    let mut q = Entity::find();
    if let Some(v) = filter.iteration_id {
        q = q.filter(Column::IterationId.eq(v));
    }
    if let Some(v) = filter.officer_id {
        q = q.filter(Column::OfficerId.eq(v));
    }
    if let Some(v) = filter.partner_id {
        q = q.filter(Column::PartnerId.eq(v));
    }
    if let Some(v) = filter.status {
        q = q.filter(Column::Status.eq(v));
    }
    if filter.service.is_some() || filter.rank.is_some() {
        q = q.join(JoinType::InnerJoin, enrollment::Relation::Officer.def());
        if let Some(v) = filter.service {
            q = q.filter(officer::Column::Service.eq(v));
        }
        if let Some(v) = filter.rank {
            q = q.filter(officer::Column::Rank.eq(v));
        }
    }
    let desc = filter.order.descending;
    let sort = match filter.order.field {
        EnrollmentOrderField::Id => paging::Sort::by_id(desc),
        EnrollmentOrderField::NominatedAt => paging::Sort::time(
            Column::NominatedAt,
            |m: &<Entity as EntityTrait>::Model| SortKey::Time(m.nominated_at),
            desc,
        ),
    };
    paging::page_sorted(conn, q, Column::Id, sort, req).await
}

/// Statuses that end an enrollment before any training: an officer in one of them may be nominated
/// to the iteration again; in any other, a nomination is ALREADY_NOMINATED.
pub(crate) const ENDED_WITHOUT_TRAINING: [EnrollmentStatus; 3] = [
    EnrollmentStatus::Declined,
    EnrollmentStatus::Withdrawn,
    EnrollmentStatus::Cancelled,
];

/// The course's language requirement (minimum SLP), if any, against the officer's profile.
pub(crate) fn check_language(
    officer: &officer::Model,
    course: &entity::course::Model,
) -> Result<()> {
    let Some(minimum) = &course.min_slp else {
        return Ok(());
    };
    let required = Slp::parse("minSlp", minimum)?;
    let meets = match &officer.slp {
        Some(have) => Slp::parse("slp", have)?.meets(&required),
        None => false,
    };
    if meets {
        return Ok(());
    }
    Err(AppError::rule(
        ErrorCode::LanguageRequirement,
        format!(
            "{} has language profile {} but course {} requires at least {}",
            officer_name(officer.id),
            officer.slp.as_deref().unwrap_or("(none)"),
            course.code,
            minimum
        ),
    ))
}

pub(crate) fn already_nominated(
    officer_id: i32,
    enrollment_id: i32,
    status: EnrollmentStatus,
    iteration_id: i32,
) -> AppError {
    AppError::rule(
        ErrorCode::AlreadyNominated,
        format!(
            "{} already has enrollment {enrollment_id} ({}) in course iteration {iteration_id}",
            officer_name(officer_id),
            status.to_value(),
        ),
    )
}

async fn next_waitlist_position<C: ConnectionTrait>(conn: &C, iteration_id: i32) -> Result<i32> {
    let max: Option<Option<i32>> = Entity::find()
        .select_only()
        .column_as(Column::WaitlistPosition.max(), "max")
        .filter(Column::IterationId.eq(iteration_id))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

pub(crate) fn open_for_nominations(it: &course_iteration::Model) -> Result<()> {
    if !matches!(it.status, IterationStatus::Planned | IterationStatus::Open) {
        return Err(AppError::rule(
            ErrorCode::IterationNotOpen,
            format!(
                "course iteration {} is {}; it takes no nominations",
                it.id,
                it.status.to_value()
            ),
        ));
    }
    Ok(())
}

/// Seats the enrollment if a seat is free, else waitlists it at the end of the queue.
async fn place<C: ConnectionTrait>(
    conn: &C,
    it: &course_iteration::Model,
    current: &enrollment::Model,
    decided_by: &str,
) -> Result<enrollment::Model> {
    let at = now();
    let mut am = ActiveModel {
        decided_by: Set(Some(decided_by.to_owned())),
        ..Default::default()
    };
    if seat_free(conn, it, current.partner_id).await? && take_seat(conn, it.id).await? {
        am.status = Set(EnrollmentStatus::Confirmed);
        am.confirmed_at = Set(Some(at));
        am.waitlist_position = Set(None);
    } else if current.status == EnrollmentStatus::Waitlisted {
        return Err(AppError::rule(
            ErrorCode::NoSeatAvailable,
            format!(
                "course iteration {} has no free seat for enrollment {}; it stays waitlisted",
                it.id, current.id
            ),
        ));
    } else {
        am.status = Set(EnrollmentStatus::Waitlisted);
        am.waitlisted_at = Set(Some(at));
        am.waitlist_position = Set(Some(next_waitlist_position(conn, it.id).await?));
    }
    update_versioned::<Entity, _>(conn, ENTITY, COLS, current.id, current.version, am).await
}

/// Proposes an officer for an iteration (and, with `place`, seats or waitlists them at once).
pub async fn nominate<C: ConnectionTrait>(
    txn: &C,
    input: Nomination,
    decided_by: &str,
) -> Result<enrollment::Model> {
    let it = iteration::get_locked(txn, input.iteration_id).await?;
    open_for_nominations(&it)?;
    let officer = lock_officer(txn, input.officer_id).await?;
    let course = course::get(txn, it.course_id).await?;
    check_language(&officer, &course)?;
    let live = Entity::find()
        .filter(Column::IterationId.eq(it.id))
        .filter(Column::OfficerId.eq(officer.id))
        .filter(Column::Status.is_not_in(ENDED_WITHOUT_TRAINING))
        .one(txn)
        .await?;
    if let Some(existing) = live {
        return Err(already_nominated(
            officer.id,
            existing.id,
            existing.status,
            it.id,
        ));
    }
    if let Some(other) = schedule_clash(txn, officer.id, &it).await? {
        return Err(clash_error(officer.id, &it, &other));
    }
    let at = now();
    let created = Entity::insert(ActiveModel {
        iteration_id: Set(it.id),
        officer_id: Set(officer.id),
        partner_id: Set(officer.partner_id),
        status: Set(EnrollmentStatus::Nominated),
        waitlist_position: Set(None),
        nominated_at: Set(at),
        decided_by: Set(Some(decided_by.to_owned())),
        version: Set(1),
        updated_at: Set(at),
        ..Default::default()
    })
    .exec_with_returning(txn)
    .await?;
    if input.place {
        place(txn, &it, &created, decided_by).await
    } else {
        Ok(created)
    }
}

/// Applies one lifecycle action to an enrollment, with its time gates and seat bookkeeping; records
/// the waitlisted officers a freed seat promotes in `related`.
pub async fn act<C: ConnectionTrait>(
    txn: &C,
    id: i32,
    version: i32,
    action: Action,
    evaluation_score: Option<f64>,
    decided_by: &str,
    related: &RelatedRecords,
) -> Result<enrollment::Model> {
    let current = get(txn, id).await?;
    let it = iteration::get_locked(txn, current.iteration_id).await?;
    let current = get(txn, id).await?;
    if current.version != version {
        return Err(AppError::StaleVersion {
            entity: ENTITY,
            id,
            expected: version,
            actual: current.version,
        });
    }
    let Some(to) = next_status(current.status, action) else {
        return Err(AppError::rule(
            ErrorCode::InvalidTransition,
            format!(
                "enrollment {id} is {}; it cannot be {action:?}-ed",
                current.status.to_value()
            )
            .replace("-ed", "ed"),
        ));
    };
    let day = today();
    let at = now();
    let mut am = ActiveModel {
        decided_by: Set(Some(decided_by.to_owned())),
        ..Default::default()
    };
    let result = match action {
        Action::Confirm => {
            open_for_nominations(&it)?;
            lock_officer(txn, current.officer_id).await?;
            if let Some(other) = schedule_clash(txn, current.officer_id, &it).await? {
                return Err(clash_error(current.officer_id, &it, &other));
            }
            place(txn, &it, &current, decided_by).await?
        }
        Action::Waitlist => {
            am.status = Set(to);
            am.waitlisted_at = Set(Some(at));
            am.waitlist_position = Set(Some(next_waitlist_position(txn, it.id).await?));
            update_versioned::<Entity, _>(txn, ENTITY, COLS, id, version, am).await?
        }
        Action::Decline | Action::Withdraw | Action::Cancel => {
            if action == Action::Withdraw
                && current.status == EnrollmentStatus::Confirmed
                && day >= it.start_date
            {
                return Err(AppError::rule(ErrorCode::TooLateToWithdraw,
                    format!("course iteration {} started on {}; a confirmed officer can withdraw only before the start", it.id, it.start_date),
                ));
            }
            am.status = Set(to);
            am.waitlist_position = Set(None);
            am.ended_at = Set(Some(at));
            let updated = update_versioned::<Entity, _>(txn, ENTITY, COLS, id, version, am).await?;
            if SEAT_HOLDING.contains(&current.status) {
                release_seat(txn, it.id).await?;
                let it = iteration::get(txn, it.id).await?;
                promote_waitlisted(txn, &it, related).await?;
            }
            updated
        }
        Action::Attend | Action::NoShow => {
            if day < it.start_date {
                return Err(AppError::rule(ErrorCode::IterationNotStarted,
                    format!("course iteration {} starts on {}; attendance is recorded once it has started", it.id, it.start_date),
                ));
            }
            am.status = Set(to);
            if action == Action::Attend {
                am.attended_at = Set(Some(at));
            } else {
                am.outcome_at = Set(Some(at));
            }
            let updated = update_versioned::<Entity, _>(txn, ENTITY, COLS, id, version, am).await?;
            if action == Action::NoShow {
                release_seat(txn, it.id).await?;
            }
            updated
        }
        Action::Complete | Action::Fail => {
            if let Some(score) = evaluation_score {
                if !(0.0..=100.0).contains(&score) {
                    return Err(AppError::invalid(
                        "evaluationScore",
                        "must be between 0 and 100",
                    ));
                }
            }
            am.status = Set(to);
            am.outcome_at = Set(Some(at));
            am.evaluation_score = Set(evaluation_score);
            update_versioned::<Entity, _>(txn, ENTITY, COLS, id, version, am).await?
        }
    };
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL: [EnrollmentStatus; 10] = [
        EnrollmentStatus::Nominated,
        EnrollmentStatus::Confirmed,
        EnrollmentStatus::Waitlisted,
        EnrollmentStatus::Declined,
        EnrollmentStatus::Withdrawn,
        EnrollmentStatus::Attended,
        EnrollmentStatus::NoShow,
        EnrollmentStatus::Completed,
        EnrollmentStatus::Failed,
        EnrollmentStatus::Cancelled,
    ];
    const ACTIONS: [Action; 9] = [
        Action::Confirm,
        Action::Waitlist,
        Action::Decline,
        Action::Withdraw,
        Action::Attend,
        Action::NoShow,
        Action::Complete,
        Action::Fail,
        Action::Cancel,
    ];

    /// The edges of DOMAIN.md invariant 6, written out independently of `next_status`.
    fn allowed_by_domain(from: EnrollmentStatus, to: EnrollmentStatus) -> bool {
        use EnrollmentStatus as S;
        matches!(
            (from, to),
            (S::Nominated, S::Confirmed | S::Waitlisted | S::Declined)
                | (S::Waitlisted, S::Confirmed | S::Withdrawn)
                | (S::Confirmed, S::Attended | S::Withdrawn | S::NoShow)
                | (S::Attended, S::Completed | S::Failed)
        ) || (to == S::Cancelled && LIVE.contains(&from))
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for s in ALL.iter().filter(|s| !LIVE.contains(s)) {
            for a in ACTIONS {
                assert_eq!(next_status(*s, a), None, "{s:?} --{a:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn no_sequence_of_actions_leaves_the_lifecycle(actions in proptest::collection::vec(0usize..9, 0..30)) {
            let mut status = EnrollmentStatus::Nominated;
            for i in actions {
                if let Some(next) = next_status(status, ACTIONS[i]) {
                    prop_assert!(allowed_by_domain(status, next), "{status:?} -> {next:?}");
                    status = next;
                }
            }
        }
    }
}
