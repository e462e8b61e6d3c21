//! Other cooperation activities a programme officer records in a cycle (disaster response, SPS
//! projects, public diplomacy, ...). Invariant 7: an activity lies inside its cycle's dates.

use crate::error::ErrorCode;
use chrono::NaiveDate;
use entity::{
    activity::{self, ActiveModel, Column, Entity},
    enums::ActivityKind,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::paging::SortKey;
use super::validate::Text;
use super::{
    cooperation_area, find, now, objective, paging, programme_cycle, update_versioned, validate,
    Page, PageRequest,
};
use crate::error::{AppError, Result};

const ENTITY: &str = "activity";
/// The free-text fields and their longest values.
const TITLE: Text = Text::new("title", 300);
const DESCRIPTION: Text = Text::new("description", 8000);
const OUTCOME: Text = Text::new("outcome", 8000);

pub struct NewActivity {
    pub cycle_id: i32,
    pub area_id: i32,
    pub objective_id: Option<i32>,
    pub kind: ActivityKind,
    pub title: String,
    pub description: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub outcome: Option<String>,
}

#[derive(Default)]
pub struct ActivityChanges {
    pub kind: Option<ActivityKind>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub outcome: Option<Option<String>>,
}

/// What the list can be ordered by (the id is always the tie-breaker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ActivityOrderField {
    #[default]
    Id,
    StartDate,
}

#[derive(Default)]
pub struct ActivityFilter {
    pub cycle_id: Option<i32>,
    pub area_id: Option<i32>,
    pub kind: Option<ActivityKind>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only activities serving this objective.
    pub objective_id: Option<i32>,
    /// Case-insensitive search in the title.
    pub search: Option<String>,
    /// Order of the list (default: by id, ascending).
    pub order: paging::ListOrder<ActivityOrderField>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<activity::Model> {
    find::<Entity, _>(conn, ENTITY, Column::Id, id).await
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: ActivityFilter,
    req: &PageRequest,
) -> Result<Page<activity::Model>> {
    let mut q = Entity::find();
    if let Some(v) = filter.cycle_id {
        q = q.filter(Column::CycleId.eq(v));
    }
    if let Some(v) = filter.area_id {
        q = q.filter(Column::AreaId.eq(v));
    }
    if let Some(v) = filter.kind {
        q = q.filter(Column::Kind.eq(v));
    }
    if let Some(v) = filter.from {
        q = q.filter(Column::EndDate.gte(v));
    }
    if let Some(v) = filter.to {
        q = q.filter(Column::StartDate.lte(v));
    }
    if let Some(v) = filter.objective_id {
        q = q.filter(Column::ObjectiveId.eq(v));
    }
    if let Some(s) = super::search_text(filter.search)? {
        q = q.filter(super::contains((Entity, Column::Title), &s));
    }
    let desc = filter.order.descending;
    let sort = match filter.order.field {
        ActivityOrderField::Id => paging::Sort::by_id(desc),
        ActivityOrderField::StartDate => paging::Sort::date(
            Column::StartDate,
            |m: &<Entity as EntityTrait>::Model| SortKey::Date(m.start_date),
            desc,
        ),
    };
    paging::page_sorted(conn, q, Column::Id, sort, req).await
}

async fn ensure_inside_cycle<C: ConnectionTrait>(
    conn: &C,
    cycle_id: i32,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<()> {
    validate::date_order(start, end)?;
    let cycle = programme_cycle::get(conn, cycle_id).await?;
    if start < cycle.start_date || end > cycle.end_date {
        return Err(AppError::rule(
            ErrorCode::OutsideCycle,
            format!(
                "activity dates {start} to {end} lie outside programme cycle {} ({} to {})",
                cycle.id, cycle.start_date, cycle.end_date
            ),
        ));
    }
    Ok(())
}

pub async fn create<C: ConnectionTrait>(conn: &C, input: NewActivity) -> Result<activity::Model> {
    ensure_inside_cycle(conn, input.cycle_id, input.start_date, input.end_date).await?;
    cooperation_area::get(conn, input.area_id).await?;
    if let Some(objective_id) = input.objective_id {
        let o = objective::get(conn, objective_id).await?;
        if o.cycle_id != input.cycle_id {
            return Err(AppError::rule(
                ErrorCode::ObjectiveOfOtherCycle,
                format!(
                    "objective {objective_id} belongs to cycle {}, not cycle {}",
                    o.cycle_id, input.cycle_id
                ),
            ));
        }
    }
    let at = now();
    let model = ActiveModel {
        cycle_id: Set(input.cycle_id),
        area_id: Set(input.area_id),
        objective_id: Set(input.objective_id),
        kind: Set(input.kind),
        title: Set(TITLE.check(&input.title)?),
        description: Set(DESCRIPTION.check(&input.description)?),
        start_date: Set(input.start_date),
        end_date: Set(input.end_date),
        outcome: Set(OUTCOME.check_optional(input.outcome)?),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    Ok(Entity::insert(model).exec_with_returning(conn).await?)
}

pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: i32,
    version: i32,
    changes: ActivityChanges,
) -> Result<activity::Model> {
    let current = get(conn, id).await?;
    let mut am = ActiveModel::default();
    if changes.start_date.is_some() || changes.end_date.is_some() {
        let start = changes.start_date.unwrap_or(current.start_date);
        let end = changes.end_date.unwrap_or(current.end_date);
        ensure_inside_cycle(conn, current.cycle_id, start, end).await?;
        am.start_date = Set(start);
        am.end_date = Set(end);
    }
    if let Some(v) = changes.kind {
        am.kind = Set(v);
    }
    if let Some(v) = changes.title {
        am.title = Set(TITLE.check(&v)?);
    }
    if let Some(v) = changes.description {
        am.description = Set(DESCRIPTION.check(&v)?);
    }
    if let Some(v) = changes.outcome {
        am.outcome = Set(OUTCOME.check_optional(v)?);
    }
    update_versioned::<Entity, _>(
        conn,
        ENTITY,
        (Column::Id, Column::Version, Column::UpdatedAt),
        id,
        version,
        am,
    )
    .await
}
