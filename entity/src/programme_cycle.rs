use crate::enums::{CycleStatus, ProgrammeKind};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "programme_cycle")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partner_id: i32,
    pub kind: ProgrammeKind,
    pub start_date: Date,
    pub end_date: Date,
    pub status: CycleStatus,
    pub nac_approved_on: Option<Date>,
    pub partner_approved_on: Option<Date>,
    #[sea_orm(unique)]
    pub renews_cycle_id: Option<i32>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::partner::Entity",
        from = "Column::PartnerId",
        to = "super::partner::Column::Id"
    )]
    Partner,
}

impl ActiveModelBehavior for ActiveModel {}
