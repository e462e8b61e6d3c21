use crate::enums::{CourseTopic, Delivery};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "course")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub title: String,
    pub topic: CourseTopic,
    pub organiser: String,
    pub delivery: Delivery,
    pub duration_days: i32,
    pub min_slp: Option<String>,
    /// Partnership Cooperation Menu code.
    pub pcm_code: Option<String>,
    /// Education and Training Opportunities Catalogue code.
    pub etoc_code: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
