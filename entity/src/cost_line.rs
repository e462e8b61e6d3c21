use crate::enums::{CostCategory, CostStage, FundingSource};
use sea_orm::entity::prelude::*;

/// A planned or actual amount on a course iteration or an activity (exactly one).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "cost_line")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub iteration_id: Option<i32>,
    pub activity_id: Option<i32>,
    /// The partner whose officers an iteration's cost is for (activities have their cycle's).
    pub partner_id: Option<i32>,
    pub category: CostCategory,
    pub stage: CostStage,
    /// In the currency's minor units (cents for EUR); never negative.
    pub amount_minor: i64,
    /// ISO 4217 alphabetic code.
    pub currency: String,
    pub funding_source: FundingSource,
    /// ISO 3166 alpha-3 code of the Allied nation, for `ALLIED_NATION` funding only.
    pub funding_nation: Option<String>,
    pub description: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
