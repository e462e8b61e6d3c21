//! Programme cycles: creation, the status lifecycle and renewal (invariants 1, 2, 3, 7).
//!
//! Lifecycle: DRAFT -> APPROVED (both approval dates known) -> ACTIVE -> CLOSED; an APPROVED or
//! ACTIVE cycle becomes SUPERSEDED when its successor is activated. Non-draft cycles of one partner
//! never overlap (checked here on every backend, and by an exclusion constraint on PostgreSQL); at most
//! one is ACTIVE (a partial unique index). Transitions lock the cycle row (PostgreSQL) or run under the
//! SQLite writer lock, so concurrent transitions are serialised.

use crate::error::ErrorCode;
use chrono::{Duration, NaiveDate};
use entity::{
    activity,
    enums::{CycleStatus, ObjectiveStatus, ProgrammeKind},
    objective,
    programme_cycle::{self, ActiveModel, Column, Entity},
};
use sea_orm::ActiveEnum as _;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::paging::SortKey;
use super::{dates, find, now, paging, partner, update_versioned, validate, Page, PageRequest};
use crate::error::{AppError, Result};

const ENTITY: &str = "programme cycle";
const COLS: (Column, Column, Column) = (Column::Id, Column::Version, Column::UpdatedAt);

pub struct NewCycle {
    pub partner_id: i32,
    pub kind: ProgrammeKind,
    pub start_date: NaiveDate,
    /// Required for ITPP; for the other kinds it must match the kind's length when given.
    pub end_date: Option<NaiveDate>,
}

#[derive(Default)]
pub struct CycleChanges {
    pub kind: Option<ProgrammeKind>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub nac_approved_on: Option<Option<NaiveDate>>,
    pub partner_approved_on: Option<Option<NaiveDate>>,
}

/// What the list can be ordered by (the id is always the tie-breaker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CycleOrderField {
    #[default]
    Id,
    StartDate,
}

#[derive(Default)]
pub struct CycleFilter {
    pub partner_id: Option<i32>,
    pub status: Option<CycleStatus>,
    pub kind: Option<ProgrammeKind>,
    /// Cycles that include this day.
    pub on: Option<NaiveDate>,
    /// Cycles ending on or after this day.
    pub from: Option<NaiveDate>,
    /// Cycles starting on or before this day.
    pub to: Option<NaiveDate>,
    /// Order of the list (default: by id, ascending).
    pub order: paging::ListOrder<CycleOrderField>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<programme_cycle::Model> {
    find::<Entity, _>(conn, ENTITY, Column::Id, id).await
}

async fn get_locked<C: ConnectionTrait>(conn: &C, id: i32) -> Result<programme_cycle::Model> {
    Entity::find()
        .filter(Column::Id.eq(id))
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: CycleFilter,
    req: &PageRequest,
) -> Result<Page<programme_cycle::Model>> {
    let mut q = Entity::find();
    if let Some(p) = filter.partner_id {
        q = q.filter(Column::PartnerId.eq(p));
    }
    if let Some(s) = filter.status {
        q = q.filter(Column::Status.eq(s));
    }
    if let Some(k) = filter.kind {
        q = q.filter(Column::Kind.eq(k));
    }
    if let Some(day) = filter.on {
        q = q
            .filter(Column::StartDate.lte(day))
            .filter(Column::EndDate.gte(day));
    }
    if let Some(day) = filter.from {
        q = q.filter(Column::EndDate.gte(day));
    }
    if let Some(day) = filter.to {
        q = q.filter(Column::StartDate.lte(day));
    }
    let desc = filter.order.descending;
    let sort = match filter.order.field {
        CycleOrderField::Id => paging::Sort::by_id(desc),
        CycleOrderField::StartDate => paging::Sort::date(
            Column::StartDate,
            |m: &<Entity as EntityTrait>::Model| SortKey::Date(m.start_date),
            desc,
        ),
    };
    paging::page_sorted(conn, q, Column::Id, sort, req).await
}

pub async fn active_for_partner<C: ConnectionTrait>(
    conn: &C,
    partner_id: i32,
) -> Result<Option<programme_cycle::Model>> {
    Ok(Entity::find()
        .filter(Column::PartnerId.eq(partner_id))
        .filter(Column::Status.eq(CycleStatus::Active))
        .one(conn)
        .await?)
}

pub async fn successor<C: ConnectionTrait>(
    conn: &C,
    id: i32,
) -> Result<Option<programme_cycle::Model>> {
    Ok(Entity::find()
        .filter(Column::RenewsCycleId.eq(id))
        .one(conn)
        .await?)
}

/// Invariant 1: the end date follows from the kind (ITPP: as agreed, so it must be given).
fn resolve_end(kind: ProgrammeKind, start: NaiveDate, end: Option<NaiveDate>) -> Result<NaiveDate> {
    match (dates::cycle_end(kind, start), end) {
        (Some(expected), Some(given)) if given != expected => Err(AppError::rule(
            ErrorCode::CycleLength,
            format!(
                "a {kind:?} cycle starting {start} ends {expected} (its fixed length), not {given}"
            )
            .replace("Ipcp", "IPCP")
            .replace("Ipap", "IPAP")
            .replace("Ipp", "IPP"),
        )),
        (Some(expected), _) => Ok(expected),
        (None, Some(given)) => {
            validate::date_order(start, given)?;
            Ok(given)
        }
        (None, None) => Err(AppError::invalid(
            "endDate",
            "an ITPP cycle's end date is as agreed and must be given",
        )),
    }
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    input: NewCycle,
) -> Result<programme_cycle::Model> {
    partner::get(conn, input.partner_id).await?;
    let end = resolve_end(input.kind, input.start_date, input.end_date)?;
    let at = now();
    let model = ActiveModel {
        partner_id: Set(input.partner_id),
        kind: Set(input.kind),
        start_date: Set(input.start_date),
        end_date: Set(end),
        status: Set(CycleStatus::Draft),
        nac_approved_on: Set(None),
        partner_approved_on: Set(None),
        renews_cycle_id: Set(None),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    Ok(Entity::insert(model).exec_with_returning(conn).await?)
}

/// Edits a cycle. Kind and dates change only while it is a DRAFT (an approved programme is fixed).
pub async fn update<C: ConnectionTrait>(
    txn: &C,
    id: i32,
    version: i32,
    changes: CycleChanges,
) -> Result<programme_cycle::Model> {
    let cycle = get_locked(txn, id).await?;
    let mut am = ActiveModel::default();
    if changes.kind.is_some() || changes.start_date.is_some() || changes.end_date.is_some() {
        if cycle.status != CycleStatus::Draft {
            return Err(AppError::rule(
                ErrorCode::CycleNotDraft,
                format!(
                    "programme cycle {id} is {:?}; only a DRAFT cycle's kind and dates can change",
                    cycle.status
                )
                .to_uppercase(),
            ));
        }
        let kind = changes.kind.unwrap_or(cycle.kind);
        let start = changes.start_date.unwrap_or(cycle.start_date);
        let end_given = changes.end_date.or_else(|| {
            dates::cycle_end(kind, start)
                .is_none()
                .then_some(cycle.end_date)
        });
        am.kind = Set(kind);
        am.start_date = Set(start);
        am.end_date = Set(resolve_end(kind, start, end_given)?);
    }
    if let Some(d) = changes.nac_approved_on {
        am.nac_approved_on = Set(d);
    }
    if let Some(d) = changes.partner_approved_on {
        am.partner_approved_on = Set(d);
    }
    let updated = update_versioned::<Entity, _>(txn, ENTITY, COLS, id, version, am).await?;
    ensure_activities_inside(txn, &updated).await?;
    if updated.status != CycleStatus::Draft
        && (updated.nac_approved_on.is_none() || updated.partner_approved_on.is_none())
    {
        return Err(AppError::rule(
            ErrorCode::ApprovalDatesRequired,
            "an approved cycle keeps both approval dates",
        ));
    }
    Ok(updated)
}

/// Invariant 7: what a cycle counts lies inside its dates, also after its dates change.
async fn ensure_activities_inside<C: ConnectionTrait>(
    conn: &C,
    cycle: &programme_cycle::Model,
) -> Result<()> {
    let outside = activity::Entity::find()
        .filter(activity::Column::CycleId.eq(cycle.id))
        .filter(
            Condition::any()
                .add(activity::Column::StartDate.lt(cycle.start_date))
                .add(activity::Column::EndDate.gt(cycle.end_date)),
        )
        .one(conn)
        .await?;
    match outside {
        Some(a) => Err(AppError::rule(
            ErrorCode::OutsideCycle,
            format!(
                "activity {} ({} to {}) would lie outside programme cycle {} ({} to {})",
                a.id, a.start_date, a.end_date, cycle.id, cycle.start_date, cycle.end_date
            ),
        )),
        None => Ok(()),
    }
}

fn transition_error(cycle: &programme_cycle::Model, to: CycleStatus) -> AppError {
    AppError::rule(
        ErrorCode::InvalidTransition,
        format!(
            "programme cycle {} cannot go from {} to {}",
            cycle.id,
            cycle.status.to_value(),
            to.to_value()
        ),
    )
}

/// Invariant 2: no other non-draft cycle of the partner shares a day with this one.
async fn ensure_no_overlap<C: ConnectionTrait>(
    conn: &C,
    cycle: &programme_cycle::Model,
) -> Result<()> {
    let clash = Entity::find()
        .filter(Column::PartnerId.eq(cycle.partner_id))
        .filter(Column::Id.ne(cycle.id))
        .filter(Column::Status.ne(CycleStatus::Draft))
        .filter(Column::StartDate.lte(cycle.end_date))
        .filter(Column::EndDate.gte(cycle.start_date))
        .one(conn)
        .await?;
    match clash {
        Some(other) => Err(AppError::rule(
            ErrorCode::CycleOverlap,
            format!(
                "programme cycle {} ({} to {}) overlaps cycle {} ({} to {}) of the same partner",
                cycle.id,
                cycle.start_date,
                cycle.end_date,
                other.id,
                other.start_date,
                other.end_date
            ),
        )),
        None => Ok(()),
    }
}

async fn set_status<C: ConnectionTrait>(
    conn: &C,
    cycle: &programme_cycle::Model,
    to: CycleStatus,
    mut am: ActiveModel,
) -> Result<programme_cycle::Model> {
    am.status = Set(to);
    update_versioned::<Entity, _>(conn, ENTITY, COLS, cycle.id, cycle.version, am).await
}

/// DRAFT -> APPROVED: needs the North Atlantic Council's and the partner's approval dates.
pub async fn approve<C: ConnectionTrait>(
    txn: &C,
    id: i32,
    version: i32,
    nac_approved_on: Option<NaiveDate>,
    partner_approved_on: Option<NaiveDate>,
) -> Result<programme_cycle::Model> {
    let cycle = get_locked(txn, id).await?;
    check_version(&cycle, version)?;
    if cycle.status != CycleStatus::Draft {
        return Err(transition_error(&cycle, CycleStatus::Approved));
    }
    let nac = nac_approved_on.or(cycle.nac_approved_on);
    let partner = partner_approved_on.or(cycle.partner_approved_on);
    let (Some(nac), Some(partner)) = (nac, partner) else {
        return Err(AppError::rule(ErrorCode::ApprovalDatesRequired,
            format!("programme cycle {id} needs both the NAC and the partner approval dates to be approved"),
        ));
    };
    ensure_no_overlap(txn, &cycle).await?;
    let am = ActiveModel {
        nac_approved_on: Set(Some(nac)),
        partner_approved_on: Set(Some(partner)),
        ..Default::default()
    };
    let updated = set_status(txn, &cycle, CycleStatus::Approved, am).await?;
    Ok(updated)
}

/// APPROVED -> ACTIVE. Activating a successor supersedes the cycle it renews; any other ACTIVE cycle
/// of the partner refuses the activation (ONE_ACTIVE_CYCLE).
pub async fn activate<C: ConnectionTrait>(
    txn: &C,
    id: i32,
    version: i32,
) -> Result<programme_cycle::Model> {
    let cycle = get_locked(txn, id).await?;
    check_version(&cycle, version)?;
    if cycle.status != CycleStatus::Approved {
        return Err(transition_error(&cycle, CycleStatus::Active));
    }
    if let Some(active) = active_for_partner(txn, cycle.partner_id).await? {
        if Some(active.id) == cycle.renews_cycle_id {
            let active = get_locked(txn, active.id).await?;
            set_status(
                txn,
                &active,
                CycleStatus::Superseded,
                ActiveModel::default(),
            )
            .await?;
        } else {
            return Err(AppError::rule(ErrorCode::OneActiveCycle,
                format!("partner already has an ACTIVE cycle ({}); close it before activating cycle {id}", active.id),
            ));
        }
    } else if let Some(previous) = cycle.renews_cycle_id {
        let previous = get_locked(txn, previous).await?;
        if previous.status == CycleStatus::Approved {
            set_status(
                txn,
                &previous,
                CycleStatus::Superseded,
                ActiveModel::default(),
            )
            .await?;
        }
    }
    let updated = set_status(txn, &cycle, CycleStatus::Active, ActiveModel::default()).await?;
    Ok(updated)
}

/// ACTIVE -> CLOSED.
pub async fn close<C: ConnectionTrait>(
    txn: &C,
    id: i32,
    version: i32,
) -> Result<programme_cycle::Model> {
    let cycle = get_locked(txn, id).await?;
    check_version(&cycle, version)?;
    if cycle.status != CycleStatus::Active {
        return Err(transition_error(&cycle, CycleStatus::Closed));
    }
    let updated = set_status(txn, &cycle, CycleStatus::Closed, ActiveModel::default()).await?;
    Ok(updated)
}

/// Invariant 3: creates the successor (DRAFT, of `kind` or the same kind, starting the day after
/// this cycle ends), links it, and carries over the objectives that are not ACHIEVED or DROPPED,
/// with their nesting (a goal whose strategic objective is not carried over becomes top-level).
/// So an IPCP renewed into an ITPP keeps its objectives. One transaction; a second renewal of the
/// same cycle is refused (ALREADY_RENEWED, also a unique key).
pub async fn renew<C: ConnectionTrait>(
    txn: &C,
    id: i32,
    version: i32,
    end_date: Option<NaiveDate>,
    kind: Option<ProgrammeKind>,
) -> Result<programme_cycle::Model> {
    let cycle = get_locked(txn, id).await?;
    check_version(&cycle, version)?;
    if let Some(next) = successor(txn, id).await? {
        return Err(AppError::rule(
            ErrorCode::AlreadyRenewed,
            format!(
                "programme cycle {id} was already renewed by cycle {}",
                next.id
            ),
        ));
    }
    if !matches!(cycle.status, CycleStatus::Approved | CycleStatus::Active) {
        return Err(AppError::rule(
            ErrorCode::InvalidTransition,
            format!(
                "programme cycle {id} is {}; only an APPROVED or ACTIVE cycle can be renewed",
                cycle.status.to_value()
            ),
        ));
    }
    let start = cycle.end_date + Duration::days(1);
    let kind = kind.unwrap_or(cycle.kind);
    // ITPP is as agreed: without a new end date the successor keeps the same length.
    let end_given = end_date.or_else(|| {
        dates::cycle_end(kind, start)
            .is_none()
            .then(|| start + (cycle.end_date - cycle.start_date))
    });
    let end = resolve_end(kind, start, end_given)?;
    let at = now();
    let next = Entity::insert(ActiveModel {
        partner_id: Set(cycle.partner_id),
        kind: Set(kind),
        start_date: Set(start),
        end_date: Set(end),
        status: Set(CycleStatus::Draft),
        nac_approved_on: Set(None),
        partner_approved_on: Set(None),
        renews_cycle_id: Set(Some(cycle.id)),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    })
    .exec_with_returning(txn)
    .await?;
    let carried = objective::Entity::find()
        .filter(objective::Column::CycleId.eq(cycle.id))
        .filter(
            objective::Column::Status
                .is_not_in([ObjectiveStatus::Achieved, ObjectiveStatus::Dropped]),
        )
        .order_by_asc(objective::Column::Id)
        .all(txn)
        .await?;
    if !carried.is_empty() {
        let rows = carried.into_iter().map(|o| objective::ActiveModel {
            cycle_id: Set(next.id),
            area_id: Set(o.area_id),
            title: Set(o.title),
            indicator: Set(o.indicator),
            baseline: Set(o.baseline),
            target: Set(o.target),
            status: Set(ObjectiveStatus::Planned),
            carried_over_from_id: Set(Some(o.id)),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        });
        objective::Entity::insert_many(rows).exec(txn).await?;
        // The copies nest as the originals did: each carried goal points at its strategic
        // objective's copy (none when that one was not carried over).
        let backend = txn.get_database_backend();
        let sql = "UPDATE objective SET parent_id = (SELECT n.id FROM objective n \
             WHERE n.cycle_id = objective.cycle_id AND n.carried_over_from_id = \
             (SELECT o.parent_id FROM objective o WHERE o.id = objective.carried_over_from_id)) \
             WHERE cycle_id = ?";
        let sql = if backend == sea_orm::DatabaseBackend::Postgres {
            sql.replace('?', "$1")
        } else {
            sql.to_owned()
        };
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [next.id.into()],
        ))
        .await?;
    }
    Ok(next)
}

fn check_version(cycle: &programme_cycle::Model, version: i32) -> Result<()> {
    if cycle.version != version {
        return Err(AppError::StaleVersion {
            entity: ENTITY,
            id: cycle.id,
            expected: version,
            actual: cycle.version,
        });
    }
    Ok(())
}
