use crate::enums::ObjectiveStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "objective")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cycle_id: i32,
    pub area_id: i32,
    pub title: String,
    pub indicator: String,
    pub baseline: Option<String>,
    pub target: Option<f64>,
    pub status: ObjectiveStatus,
    pub carried_over_from_id: Option<i32>,
    /// The strategic objective this partnership goal serves (ITPP); none for a top-level one.
    pub parent_id: Option<i32>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::programme_cycle::Entity",
        from = "Column::CycleId",
        to = "super::programme_cycle::Column::Id"
    )]
    ProgrammeCycle,
    #[sea_orm(
        belongs_to = "super::cooperation_area::Entity",
        from = "Column::AreaId",
        to = "super::cooperation_area::Column::Id"
    )]
    CooperationArea,
}

impl ActiveModelBehavior for ActiveModel {}
