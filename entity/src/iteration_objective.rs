use sea_orm::entity::prelude::*;

/// An iteration serves an objective of a cycle.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "iteration_objective")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub iteration_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub objective_id: i32,
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
        belongs_to = "super::objective::Entity",
        from = "Column::ObjectiveId",
        to = "super::objective::Column::Id"
    )]
    Objective,
}

impl ActiveModelBehavior for ActiveModel {}
