use crate::enums::Service;
use sea_orm::entity::prelude::*;

/// Personal data: names and position are shown only to roles that need them.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "officer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partner_id: i32,
    pub family_name: String,
    pub given_name: String,
    pub rank: String,
    pub service: Service,
    pub position: Option<String>,
    pub slp: Option<String>,
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
