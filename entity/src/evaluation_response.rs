use sea_orm::entity::prelude::*;

/// A level 1 (reaction) questionnaire answered for one enrollment; its ratings are rows of
/// `evaluation_rating`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "evaluation_response")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub enrollment_id: i32,
    /// Copied from the enrollment, so reports group without a join.
    pub iteration_id: i32,
    pub partner_id: i32,
    /// The item set the questionnaire was answered on.
    pub item_set: String,
    pub comment: Option<String>,
    pub responded_on: Date,
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
