use crate::enums::EnrollmentStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "enrollment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub iteration_id: i32,
    pub officer_id: i32,
    /// The officer's partner, copied at nomination so quotas and reports need no join.
    pub partner_id: i32,
    pub status: EnrollmentStatus,
    pub waitlist_position: Option<i32>,
    pub nominated_at: DateTimeUtc,
    pub waitlisted_at: Option<DateTimeUtc>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub attended_at: Option<DateTimeUtc>,
    pub outcome_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub decided_by: Option<String>,
    pub evaluation_score: Option<f64>,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::course_iteration::Entity",
        from = "Column::IterationId",
        to = "super::course_iteration::Column::Id"
    )]
    CourseIteration,
    #[sea_orm(
        belongs_to = "super::officer::Entity",
        from = "Column::OfficerId",
        to = "super::officer::Column::Id"
    )]
    Officer,
}

impl ActiveModelBehavior for ActiveModel {}
