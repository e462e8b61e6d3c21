//! Objectives of a cycle: what the partner and NATO agreed to achieve in one cooperation area.
//! The indicator's actual value is computed from what was recorded, never typed in.

use crate::error::ErrorCode;
use entity::{
    enums::{CycleStatus, ObjectiveStatus},
    objective::{self, ActiveModel, Column, Entity},
};
use sea_orm::ActiveEnum as _;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::validate::Text;
use super::{
    cooperation_area, find, now, paging, programme_cycle, update_versioned, Page, PageRequest,
};
use crate::error::{AppError, Result};

const ENTITY: &str = "objective";
/// The free-text fields and their longest values.
const TITLE: Text = Text::new("title", 300);
const INDICATOR: Text = Text::new("indicator", 2000);
const BASELINE: Text = Text::new("baseline", 2000);

pub struct NewObjective {
    pub cycle_id: i32,
    pub area_id: i32,
    pub title: String,
    pub indicator: String,
    pub baseline: Option<String>,
    pub target: Option<f64>,
    /// The strategic objective this partnership goal serves (same cycle).
    pub parent_id: Option<i32>,
}

#[derive(Default)]
pub struct ObjectiveChanges {
    pub area_id: Option<i32>,
    pub title: Option<String>,
    pub indicator: Option<String>,
    pub baseline: Option<Option<String>>,
    pub target: Option<Option<f64>>,
    pub status: Option<ObjectiveStatus>,
    /// New parent (`Some(None)`: a top-level objective again).
    pub parent_id: Option<Option<i32>>,
}

#[derive(Default)]
pub struct ObjectiveFilter {
    pub cycle_id: Option<i32>,
    pub area_id: Option<i32>,
    pub status: Option<ObjectiveStatus>,
    /// Only objectives of this partner's cycles.
    pub partner_id: Option<i32>,
    /// Case-insensitive search in the title.
    pub search: Option<String>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<objective::Model> {
    find::<Entity, _>(conn, ENTITY, Column::Id, id).await
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: ObjectiveFilter,
    req: &PageRequest,
) -> Result<Page<objective::Model>> {
    let mut q = Entity::find();
    if let Some(c) = filter.cycle_id {
        q = q.filter(Column::CycleId.eq(c));
    }
    if let Some(a) = filter.area_id {
        q = q.filter(Column::AreaId.eq(a));
    }
    if let Some(s) = filter.status {
        q = q.filter(Column::Status.eq(s));
    }
    if let Some(p) = filter.partner_id {
        q = q.filter(
            Column::CycleId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::programme_cycle::Column::Id)
                    .from(entity::programme_cycle::Entity)
                    .and_where(entity::programme_cycle::Column::PartnerId.eq(p))
                    .to_owned(),
            ),
        );
    }
    if let Some(s) = super::search_text(filter.search)? {
        q = q.filter(super::contains((Entity, Column::Title), &s));
    }
    paging::page(conn, q, Column::Id, req).await
}

fn target(value: Option<f64>) -> Result<Option<f64>> {
    match value {
        Some(t) if !t.is_finite() || t < 0.0 => {
            Err(AppError::invalid("target", "must be a non-negative number"))
        }
        other => Ok(other),
    }
}

/// The ITPP's two levels: a partnership goal (an objective with a parent) serves a strategic
/// objective of the same cycle, which is itself top-level. So nesting never makes a loop.
/// `id` is the objective being changed (none when it is created).
async fn check_parent<C: ConnectionTrait>(
    conn: &C,
    id: Option<i32>,
    cycle_id: i32,
    parent_id: i32,
) -> Result<()> {
    if id == Some(parent_id) {
        return Err(AppError::rule(
            ErrorCode::ObjectiveNestedUnderItself,
            format!("objective {parent_id} cannot be nested under itself"),
        ));
    }
    let parent = get(conn, parent_id).await?;
    if parent.cycle_id != cycle_id {
        return Err(AppError::rule(ErrorCode::ParentOfOtherCycle,
            format!(
                "objective {parent_id} belongs to cycle {}, not cycle {cycle_id}: a goal nests under an objective of its own cycle",
                parent.cycle_id
            ),
        ));
    }
    if let Some(grandparent) = parent.parent_id {
        return Err(AppError::rule(ErrorCode::NestingTooDeep,
            format!(
                "objective {parent_id} is itself a partnership goal (under objective {grandparent}); goals nest under strategic objectives only"
            ),
        ));
    }
    if let Some(id) = id {
        let goals = Entity::find()
            .filter(Column::ParentId.eq(id))
            .count(conn)
            .await?;
        if goals > 0 {
            return Err(AppError::rule(ErrorCode::NestingTooDeep,
                format!(
                    "objective {id} has {goals} partnership goal(s) of its own; a strategic objective cannot be nested"
                ),
            ));
        }
    }
    Ok(())
}

pub async fn create<C: ConnectionTrait>(conn: &C, input: NewObjective) -> Result<objective::Model> {
    let cycle = programme_cycle::get(conn, input.cycle_id).await?;
    if matches!(cycle.status, CycleStatus::Closed | CycleStatus::Superseded) {
        return Err(AppError::rule(
            ErrorCode::CycleClosed,
            format!(
                "programme cycle {} is {}; objectives cannot be added",
                cycle.id,
                cycle.status.to_value()
            ),
        ));
    }
    cooperation_area::get(conn, input.area_id).await?;
    if let Some(parent) = input.parent_id {
        check_parent(conn, None, input.cycle_id, parent).await?;
    }
    let at = now();
    let model = ActiveModel {
        cycle_id: Set(input.cycle_id),
        area_id: Set(input.area_id),
        title: Set(TITLE.check(&input.title)?),
        indicator: Set(INDICATOR.check(&input.indicator)?),
        baseline: Set(BASELINE.check_optional(input.baseline)?),
        target: Set(target(input.target)?),
        status: Set(ObjectiveStatus::Planned),
        carried_over_from_id: Set(None),
        parent_id: Set(input.parent_id),
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
    changes: ObjectiveChanges,
) -> Result<objective::Model> {
    let mut am = ActiveModel::default();
    if let Some(area) = changes.area_id {
        cooperation_area::get(conn, area).await?;
        am.area_id = Set(area);
    }
    if let Some(t) = changes.title {
        am.title = Set(TITLE.check(&t)?);
    }
    if let Some(i) = changes.indicator {
        am.indicator = Set(INDICATOR.check(&i)?);
    }
    if let Some(b) = changes.baseline {
        am.baseline = Set(BASELINE.check_optional(b)?);
    }
    if let Some(t) = changes.target {
        am.target = Set(target(t)?);
    }
    if let Some(s) = changes.status {
        am.status = Set(s);
    }
    if let Some(parent) = changes.parent_id {
        if let Some(parent) = parent {
            let current = get(conn, id).await?;
            check_parent(conn, Some(id), current.cycle_id, parent).await?;
        }
        am.parent_id = Set(parent);
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
