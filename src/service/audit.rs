//! The audit log: one append-only event per successful mutation, written in the mutation's own
//! transaction (so a failed mutation leaves none). Triggers in the database refuse UPDATE and DELETE.

use entity::audit_event::{self, ActiveModel, Column, Entity};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{auth::Caller, now, paging, Page, PageRequest};
use crate::error::Result;

/// One change to record.
pub struct Change {
    pub action: String,
    pub entity: &'static str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    request_id: Option<&str>,
    change: Change,
) -> Result<()> {
    Entity::insert(ActiveModel {
        actor: Set(caller.name.clone()),
        action: Set(change.action),
        entity: Set(change.entity.to_owned()),
        entity_id: Set(change.entity_id),
        before: Set(change.before.map(|v| v.to_string())),
        after: Set(change.after.map(|v| v.to_string())),
        request_id: Set(request_id.map(str::to_owned)),
        occurred_at: Set(now()),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

#[derive(Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: AuditFilter,
    req: &PageRequest,
) -> Result<Page<audit_event::Model>> {
    let mut q = Entity::find();
    if let Some(v) = filter.entity {
        q = q.filter(Column::Entity.eq(v));
    }
    if let Some(v) = filter.entity_id {
        q = q.filter(Column::EntityId.eq(v));
    }
    if let Some(v) = filter.actor {
        q = q.filter(Column::Actor.eq(v));
    }
    paging::page(conn, q, Column::Id, req).await
}
