//! Indicator measurements (ITPP): an objective's indicator measured over time (date, value,
//! note), appended, never edited (a correction is a newer measurement). The computed
//! `indicatorActual` (officers trained for the objective) stays as it is: measurements are for
//! indicators that records cannot compute.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::indicator_measurement::{self, ActiveModel, Column, Entity};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::{now, objective, uow, validate};
use crate::error::{AppError, Result};

impl uow::Audited for indicator_measurement::Model {
    const ENTITY: &'static str = "indicator_measurement";
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
    fn partner(&self) -> uow::PartnerOf {
        uow::PartnerOf::Cycle(self.cycle_id)
    }
}

pub struct NewMeasurement {
    pub objective_id: i32,
    pub measured_on: NaiveDate,
    pub value: f64,
    pub note: Option<String>,
}

/// Records a measurement taken on or before `today`.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    input: NewMeasurement,
    today: NaiveDate,
) -> Result<indicator_measurement::Model> {
    let o = objective::get(conn, input.objective_id).await?;
    if !input.value.is_finite() {
        return Err(AppError::invalid("value", "must be a finite number"));
    }
    if input.measured_on > today {
        return Err(AppError::invalid(
            "measuredOn",
            format!(
                "{} is in the future: record a measurement once taken",
                input.measured_on
            ),
        ));
    }
    Ok(Entity::insert(ActiveModel {
        objective_id: Set(o.id),
        cycle_id: Set(o.cycle_id),
        measured_on: Set(input.measured_on),
        value: Set(input.value),
        note: Set(validate::optional_text("note", input.note, 2000)?),
        created_at: Set(now()),
        ..Default::default()
    })
    .exec_with_returning(conn)
    .await?)
}

/// The measurements of objectives, oldest first (by date, then recording order), by objective.
pub async fn by_objective<C: ConnectionTrait>(
    conn: &C,
    objective_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<indicator_measurement::Model>>> {
    let mut out: BTreeMap<i32, Vec<indicator_measurement::Model>> = BTreeMap::new();
    for chunk in objective_ids.chunks(500) {
        for m in Entity::find()
            .filter(Column::ObjectiveId.is_in(chunk.iter().copied()))
            .order_by_asc(Column::MeasuredOn)
            .order_by_asc(Column::Id)
            .all(conn)
            .await?
        {
            out.entry(m.objective_id).or_default().push(m);
        }
    }
    Ok(out)
}

/// The partnership goals of strategic objectives, in creation order, by parent.
pub async fn goals_by_parent<C: ConnectionTrait>(
    conn: &C,
    parent_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<entity::objective::Model>>> {
    use entity::objective::{Column as O, Entity as Objectives};
    let mut out: BTreeMap<i32, Vec<entity::objective::Model>> = BTreeMap::new();
    for chunk in parent_ids.chunks(500) {
        for m in Objectives::find()
            .filter(O::ParentId.is_in(chunk.iter().copied()))
            .order_by_asc(O::Id)
            .all(conn)
            .await?
        {
            if let Some(parent) = m.parent_id {
                out.entry(parent).or_default().push(m);
            }
        }
    }
    Ok(out)
}
