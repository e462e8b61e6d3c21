use sea_orm::entity::prelude::*;

/// The change log: every committed change, in commit order; `id` is the entry's position.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The kind of record changed (the audit log's entity name).
    pub kind: String,
    /// What was done: the mutation's name, or the CLI command's.
    pub action: String,
    pub entity_id: String,
    /// The partner the record belongs to, where it belongs to one.
    pub partner_id: Option<i32>,
    pub actor: String,
    pub occurred_at: DateTimeUtc,
    /// JSON object: each changed field and its new value.
    pub changed: String,
    /// JSON array of `{"kind", "id"}`: other records the change moved (waitlist promotions,
    /// enrollments cancelled with their iteration).
    pub related: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
