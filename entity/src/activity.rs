use crate::enums::ActivityKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cycle_id: i32,
    pub area_id: i32,
    pub objective_id: Option<i32>,
    pub kind: ActivityKind,
    pub title: String,
    pub description: String,
    pub start_date: Date,
    pub end_date: Date,
    pub outcome: Option<String>,
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
