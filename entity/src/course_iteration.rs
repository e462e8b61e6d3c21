use crate::enums::IterationStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "course_iteration")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub course_id: i32,
    pub start_date: Date,
    pub end_date: Date,
    pub location: String,
    pub capacity: i32,
    pub partner_quota: Option<i32>,
    /// Seats held (CONFIRMED, ATTENDED, COMPLETED, FAILED); kept by the service, bounded by a CHECK.
    pub seats_held: i32,
    pub status: IterationStatus,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::course::Entity",
        from = "Column::CourseId",
        to = "super::course::Column::Id"
    )]
    Course,
}

impl ActiveModelBehavior for ActiveModel {}
