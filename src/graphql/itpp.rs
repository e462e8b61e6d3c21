//! The ITPP structure: partnership goals nested under strategic objectives and indicators measured
//! over time (the fields live on `Objective`; their loaders and the measurement mutation here).

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    dataloader::{DataLoader, Loader},
    Context, InputObject, Object, ID,
};
use entity::{indicator_measurement, objective};

use super::auth::{write, Allow};
use super::{parse_id, scalars::Date};
use crate::{
    error::{AppError, Result},
    service::Db,
    service::{self, auth::Access},
};

/// A value of an objective's indicator measured on a day.
pub struct IndicatorMeasurement(pub indicator_measurement::Model);

#[Object]
impl IndicatorMeasurement {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The day it was measured.
    async fn measured_on(&self) -> Date {
        self.0.measured_on.into()
    }
    /// The indicator's value.
    async fn value(&self) -> f64 {
        self.0.value
    }
    /// How it was measured, or what it means.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The objective.
    async fn objective_id(&self) -> ID {
        ID(self.0.objective_id.to_string())
    }
}

/// Measurements by objective id.
pub struct MeasurementsByObjective(Db);

impl Loader<i32> for MeasurementsByObjective {
    type Value = Arc<Vec<indicator_measurement::Model>>;
    type Error = AppError;
    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>> {
        Ok(service::measurement::by_objective(&self.0.conn, keys)
            .await?
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect())
    }
}

/// Partnership goals by strategic objective id.
pub struct GoalsByParent(Db);

impl Loader<i32> for GoalsByParent {
    type Value = Arc<Vec<objective::Model>>;
    type Error = AppError;
    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>> {
        Ok(service::measurement::goals_by_parent(&self.0.conn, keys)
            .await?
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect())
    }
}

/// The loaders of `Objective.goals` and `Objective.measurements` (batched, never cached).
pub struct ItppLoaders {
    pub measurements: DataLoader<MeasurementsByObjective>,
    pub goals: DataLoader<GoalsByParent>,
}

impl ItppLoaders {
    pub fn new(db: &Db) -> ItppLoaders {
        ItppLoaders {
            measurements: DataLoader::new(
                MeasurementsByObjective(db.clone()),
                super::batching::spawn_fetch,
            )
            .delay(std::time::Duration::ZERO),
            goals: DataLoader::new(GoalsByParent(db.clone()), super::batching::spawn_fetch)
                .delay(std::time::Duration::ZERO),
        }
    }
}

fn itpp_loaders<'a>(ctx: &Context<'a>) -> Result<&'a ItppLoaders> {
    ctx.data::<ItppLoaders>()
        .map_err(|_| AppError::Internal("ITPP loaders missing from schema data".into()))
}

pub(crate) async fn goals_of(ctx: &Context<'_>, id: i32) -> Result<Vec<objective::Model>> {
    Ok(Box::pin(itpp_loaders(ctx)?.goals.load_one(id))
        .await?
        .map(Arc::unwrap_or_clone)
        .unwrap_or_default())
}

pub(crate) async fn measurements_of(
    ctx: &Context<'_>,
    id: i32,
) -> Result<Vec<IndicatorMeasurement>> {
    Ok(Box::pin(itpp_loaders(ctx)?.measurements.load_one(id))
        .await?
        .map(Arc::unwrap_or_clone)
        .unwrap_or_default()
        .into_iter()
        .map(IndicatorMeasurement)
        .collect())
}

/// A measurement of an objective's indicator.
#[derive(InputObject)]
pub struct RecordIndicatorMeasurementInput {
    /// The objective.
    pub objective_id: ID,
    /// The day it was measured (not in the future).
    pub measured_on: Date,
    /// The indicator's value.
    pub value: f64,
    /// How it was measured, or what it means.
    pub note: Option<String>,
}

#[derive(Default)]
pub struct ItppMutation;

#[Object]
impl ItppMutation {
    /// Records a measurement of an objective's indicator (appended; a correction is a newer one).
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_indicator_measurement(
        &self,
        ctx: &Context<'_>,
        input: RecordIndicatorMeasurementInput,
    ) -> Result<IndicatorMeasurement> {
        let new = service::measurement::NewMeasurement {
            objective_id: parse_id("objective", &input.objective_id)?,
            measured_on: input.measured_on.into(),
            value: input.value,
            note: input.note,
        };
        let today = service::dates::today();
        write(ctx, |txn| async move {
            Ok((None, service::measurement::record(&*txn, new, today).await?))
        })
        .await
        .map(IndicatorMeasurement)
    }
}
