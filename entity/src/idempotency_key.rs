use sea_orm::entity::prelude::*;

/// A mutation request's idempotency key, per caller, with the hash of its payload and the response
/// it got (null while the first request is still running).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub caller: String,
    pub key: String,
    pub request_hash: String,
    pub response: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
