use sea_orm::entity::prelude::*;

/// A value of an objective's indicator measured on a day.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "indicator_measurement")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub objective_id: i32,
    /// The objective's cycle, copied so the logs name the partner without a join.
    pub cycle_id: i32,
    pub measured_on: Date,
    pub value: f64,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::objective::Entity",
        from = "Column::ObjectiveId",
        to = "super::objective::Column::Id"
    )]
    Objective,
}

impl ActiveModelBehavior for ActiveModel {}
