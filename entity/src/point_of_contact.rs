use crate::enums::ContactRole;
use sea_orm::entity::prelude::*;

/// A named person to contact for a partner, a course or an iteration (personal data).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "point_of_contact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub role: ContactRole,
    pub family_name: String,
    pub given_name: String,
    pub organisation: Option<String>,
    pub email: Option<String>,
    /// E.164, e.g. `+99312345678`.
    pub phone: Option<String>,
    /// Exactly one of the three links is set.
    pub partner_id: Option<i32>,
    pub course_id: Option<i32>,
    pub iteration_id: Option<i32>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
