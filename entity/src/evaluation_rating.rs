use sea_orm::entity::prelude::*;

/// One item's rating (1-5) in a level 1 response.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "evaluation_rating")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub response_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub item: String,
    pub rating: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::evaluation_response::Entity",
        from = "Column::ResponseId",
        to = "super::evaluation_response::Column::Id"
    )]
    EvaluationResponse,
}

impl ActiveModelBehavior for ActiveModel {}
