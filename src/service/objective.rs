//! Objectives of a cycle: what the partner and NATO agreed to achieve in one cooperation area.
//! The indicator's actual value is computed from what was recorded, never typed in.

use crate::error::ErrorCode;
use entity::{
    enums::{CycleStatus, ObjectiveStatus},
    objective::{self, ActiveModel, Column, Entity},
};
use sea_orm::ActiveEnum as _;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

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
}

#[derive(Default)]
pub struct ObjectiveChanges {
    pub area_id: Option<i32>,
    pub title: Option<String>,
    pub indicator: Option<String>,
    pub baseline: Option<Option<String>>,
    pub target: Option<Option<f64>>,
    pub status: Option<ObjectiveStatus>,
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
