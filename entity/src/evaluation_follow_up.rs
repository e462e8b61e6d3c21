use crate::enums::AppliedAtWork;
use sea_orm::entity::prelude::*;

/// A level 3 follow-up of a completed enrollment: behaviour back at work, months later.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "evaluation_follow_up")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub enrollment_id: i32,
    pub iteration_id: i32,
    pub partner_id: i32,
    pub applied: AppliedAtWork,
    pub note: Option<String>,
    pub recorded_on: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::enrollment::Entity",
        from = "Column::EnrollmentId",
        to = "super::enrollment::Column::Id"
    )]
    Enrollment,
}

impl ActiveModelBehavior for ActiveModel {}
