//! Access control and the audit trail of the API.
//!
//! Every root field carries a guard naming the access it needs (`Allow(Access::Read)`, ...); the
//! policy itself is `service::auth::allows`. Personal fields of officers answer null to callers
//! without the personal-data right, as GitHub's API does for fields a token may not see.
//! Mutations run through `write`, which runs the change and its audit event in one transaction.

use std::{future::Future, sync::Arc};

use async_graphql::{Context, Guard};
use sea_orm::DatabaseTransaction;

use super::db;
use crate::{
    error::{AppError, Result},
    service::{
        audit::{self, Change},
        auth::{Access, Caller},
        events::{self, Event},
    },
};

/// The request id of the HTTP request, recorded with audit events.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub(crate) fn caller(ctx: &Context<'_>) -> Caller {
    ctx.data_opt::<Caller>()
        .cloned()
        .unwrap_or_else(Caller::anonymous)
}

/// A guard: the caller must hold `access`.
pub struct Allow(pub Access);

impl Guard for Allow {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let caller = caller(ctx);
        if caller.role.is_none() {
            return Err(AppError::Unauthenticated.into());
        }
        if !caller.may(self.0) {
            let what = match self.0 {
                Access::Read => "read programme records",
                Access::PersonalData => "see personal data",
                Access::Report => "run reports",
                Access::Write => "change programme records",
                Access::Admin => "administer tokens or read the audit log",
            };
            return Err(AppError::Forbidden(what.into()).into());
        }
        Ok(())
    }
}

/// Whether the caller may see officers' personal data.
pub(crate) fn sees_personal_data(ctx: &Context<'_>) -> bool {
    caller(ctx).may(Access::PersonalData)
}

/// A record whose changes are audited.
pub(crate) trait Audited: serde::Serialize {
    const ENTITY: &'static str;
    fn audit_id(&self) -> String;
}

macro_rules! audited {
    ($($module:ident => $name:literal),* $(,)?) => {
        $(impl Audited for entity::$module::Model {
            const ENTITY: &'static str = $name;
            fn audit_id(&self) -> String {
                self.id.to_string()
            }
        })*
    };
}

audited!(
    partner => "partner",
    partnership_milestone => "partnership_milestone",
    cooperation_area => "cooperation_area",
    programme_cycle => "programme_cycle",
    objective => "objective",
    course => "course",
    course_iteration => "course_iteration",
    officer => "officer",
    enrollment => "enrollment",
    activity => "activity",
);

/// Runs a mutation's `work` (which returns the record before and after the change) in one write
/// transaction together with its audit event; a failed mutation writes neither.
pub(crate) async fn write<M, F, Fut>(ctx: &Context<'_>, work: F) -> Result<M>
where
    M: Audited,
    F: FnOnce(Arc<DatabaseTransaction>) -> Fut,
    Fut: Future<Output = Result<(Option<M>, M)>>,
{
    let db = db(ctx)?;
    let caller = caller(ctx);
    let request_id = ctx.data_opt::<RequestId>().map(|r| r.0.clone());
    let action = ctx.field().name().to_owned();
    let (done, noted) = events::collect(db.in_transaction(|txn| async move {
        let (before, after) = work(txn.clone()).await?;
        let change = Change {
            action,
            entity: M::ENTITY,
            entity_id: after.audit_id(),
            before: before.map(|b| to_json(&b)),
            after: Some(to_json(&after)),
        };
        audit::record(&*txn, &caller, request_id.as_deref(), change).await?;
        Ok(after)
    }))
    .await;
    let done = done?;
    // Announced only once committed, so a subscriber never sees a change that was rolled back.
    let mut announce: Vec<Event> = Event::for_entity(M::ENTITY, &done.audit_id())
        .into_iter()
        .collect();
    for event in noted {
        if !announce.contains(&event) {
            announce.push(event);
        }
    }
    for event in announce {
        db.events.publish(&db.conn, event).await;
    }
    Ok(done)
}

/// Runs a batch mutation's `work` in one write transaction (row-level transactions inside become
/// savepoints) and records one audit event for it when `summary` says something was written.
pub(crate) async fn write_batch<T, F, Fut>(
    ctx: &Context<'_>,
    entity: &'static str,
    work: F,
    summary: impl FnOnce(&T) -> Option<(serde_json::Value, Vec<Event>)>,
) -> Result<T>
where
    F: FnOnce(Arc<DatabaseTransaction>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let db = db(ctx)?;
    let caller = caller(ctx);
    let request_id = ctx.data_opt::<RequestId>().map(|r| r.0.clone());
    let action = ctx.field().name().to_owned();
    let (done, noted) = events::collect(db.in_transaction(|txn| async move {
        let outcome = work(txn.clone()).await?;
        let mut announce = Vec::new();
        if let Some((after, events)) = summary(&outcome) {
            let change = Change {
                action,
                entity,
                entity_id: "batch".into(),
                before: None,
                after: Some(after),
            };
            audit::record(&*txn, &caller, request_id.as_deref(), change).await?;
            announce = events;
        }
        Ok((outcome, announce))
    }))
    .await;
    let (outcome, mut announce) = done?;
    for event in noted {
        if !announce.contains(&event) {
            announce.push(event);
        }
    }
    for event in announce {
        db.events.publish(&db.conn, event).await;
    }
    Ok(outcome)
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
