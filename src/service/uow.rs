//! The unit of work: the one door for every write, whoever makes it (a mutation, the CLI, a seed,
//! a worker).
//!
//! `run` opens the write transaction (nothing else in the code base does), hands it to the work
//! (which applies the rules and writes), then appends the audit event and the change-log entry
//! and commits, so a change, its audit event and its change-log entry are committed together or
//! not at all. Work that refuses (an error, or no change to record) leaves neither. The only other
//! write transaction is `bookkeeping`, for a worker's own state, which changes no record.
//!
//! Ordering policy: change-log positions are taken in commit order. On PostgreSQL the append
//! first takes a transaction-scoped advisory lock (`LOG_LOCK`), held until the commit has made
//! the transaction visible; the position is drawn from the sequence under that lock. So when a
//! reader sees position `p`, every position below `p` is already committed: a reader that stores
//! its last position and resumes after it never misses an entry, even when transactions took
//! their row locks in another order. Only the append and the commit are serialised, not the
//! rules and writes before them. On SQLite every write transaction already holds the database's
//! write lock (BEGIN IMMEDIATE) and this process's writer mutex from start to commit.

use std::{
    future::Future,
    ops::Deref,
    sync::{Arc, Mutex},
};

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, ExecResult, QueryResult,
    Statement, TransactionTrait, Value,
};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use tokio::sync::OwnedMutexGuard;

use super::{auth::Caller, now};
use crate::{
    error::{AppError, Result},
    service::Db,
};

/// The key of the advisory lock that orders change-log appends on PostgreSQL ("ipcp-log").
const LOG_LOCK: i64 = 0x0069_7063_706c_6f67;

/// Who makes a change, as recorded in its audit event and change-log entry.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    /// The HTTP request's id, for writes that came through the API.
    pub request_id: Option<String>,
}

impl Actor {
    /// The token that called the API.
    pub fn caller(caller: &Caller, request_id: Option<String>) -> Actor {
        Actor {
            name: caller.name.clone(),
            request_id,
        }
    }

    /// A CLI command, named for what ran it: `cli:import`, `cli:token`, `cli:seed`.
    pub fn cli(command: &str) -> Actor {
        Actor {
            name: format!("cli:{command}"),
            request_id: None,
        }
    }

    /// A background worker of the service: `worker:webhooks`.
    pub fn worker(name: &str) -> Actor {
        Actor {
            name: format!("worker:{name}"),
            request_id: None,
        }
    }
}

/// A record another record's change moved as well (a waitlisted officer promoted when a seat was
/// freed, an enrollment cancelled with its iteration): listed in the change-log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Related {
    pub kind: &'static str,
    pub id: i32,
}

/// The records a unit of work moved besides its own; passed explicitly to the rules that move
/// them (`&tx.related`), also into savepoints.
#[derive(Debug, Default)]
pub struct RelatedRecords(Mutex<Vec<Related>>);

impl RelatedRecords {
    pub fn note(&self, kind: &'static str, id: i32) {
        if let Ok(mut list) = self.0.lock() {
            let r = Related { kind, id };
            if !list.contains(&r) {
                list.push(r);
            }
        }
    }

    fn take(&self) -> Vec<Related> {
        self.0
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }
}

/// The open write transaction of a unit of work.
pub struct Tx {
    txn: DatabaseTransaction,
    pub related: RelatedRecords,
}

impl Deref for Tx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// The rules take any connection (`&impl ConnectionTrait`): a unit of work's `Tx` is one.
#[async_trait::async_trait]
impl ConnectionTrait for Tx {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> std::result::Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> std::result::Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(
        &self,
        stmt: Statement,
    ) -> std::result::Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> std::result::Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

impl Tx {
    /// A savepoint inside the unit of work (a batch's row): rolling it back undoes only what was
    /// written since.
    pub async fn savepoint(&self) -> Result<DatabaseTransaction> {
        Ok(self.txn.begin().await?)
    }
}

/// Where a record's partner is found, for the change log's partner column.
pub enum PartnerOf {
    None,
    Partner(i32),
    /// Through the programme cycle the record belongs to.
    Cycle(i32),
}

/// A record whose changes are audited and logged.
pub trait Audited: Serialize {
    /// The record's kind, as the audit log and the change log name it.
    const ENTITY: &'static str;
    fn audit_id(&self) -> String;
    fn partner(&self) -> PartnerOf {
        PartnerOf::None
    }
}

macro_rules! audited {
    ($($module:ident => $name:literal, $partner:expr),* $(,)?) => {
        $(impl Audited for entity::$module::Model {
            const ENTITY: &'static str = $name;
            fn audit_id(&self) -> String {
                self.id.to_string()
            }
            fn partner(&self) -> PartnerOf {
                #[allow(clippy::redundant_closure_call)]
                ($partner)(self)
            }
        })*
    };
}

audited!(
    partner => "partner", |m: &entity::partner::Model| PartnerOf::Partner(m.id),
    partnership_milestone => "partnership_milestone",
        |m: &entity::partnership_milestone::Model| PartnerOf::Partner(m.partner_id),
    cooperation_area => "cooperation_area", |_: &entity::cooperation_area::Model| PartnerOf::None,
    programme_cycle => "programme_cycle",
        |m: &entity::programme_cycle::Model| PartnerOf::Partner(m.partner_id),
    objective => "objective", |m: &entity::objective::Model| PartnerOf::Cycle(m.cycle_id),
    course => "course", |_: &entity::course::Model| PartnerOf::None,
    course_iteration => "course_iteration", |_: &entity::course_iteration::Model| PartnerOf::None,
    officer => "officer", |m: &entity::officer::Model| PartnerOf::Partner(m.partner_id),
    enrollment => "enrollment", |m: &entity::enrollment::Model| PartnerOf::Partner(m.partner_id),
    activity => "activity", |m: &entity::activity::Model| PartnerOf::Cycle(m.cycle_id),
);

/// One committed change, as its audit event and change-log entry record it.
pub struct Change {
    /// What was done: the mutation's name (`nominateOfficer`) or the command's (`import`).
    pub action: String,
    /// The kind of record (`Audited::ENTITY`).
    pub kind: &'static str,
    pub entity_id: String,
    pub partner: PartnerOf,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

impl Change {
    /// The change of one audited record from `before` (none when created) to `after`.
    pub fn of<M: Audited>(action: &str, before: Option<&M>, after: &M) -> Change {
        Change {
            action: action.to_owned(),
            kind: M::ENTITY,
            entity_id: after.audit_id(),
            partner: after.partner(),
            before: before.map(to_json),
            after: Some(to_json(after)),
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

/// The fields `after` changed from `before`, with their new values (all of them for a new record).
fn changed_fields(before: Option<&Json>, after: Option<&Json>) -> Map<String, Json> {
    let Some(Json::Object(after)) = after else {
        return Map::new();
    };
    match before {
        Some(Json::Object(before)) => after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => after.clone(),
    }
}

/// Runs `work` (which returns the record before and after its change) as one unit of work and
/// returns the record after it.
pub async fn write<M, F, Fut>(db: &Db, actor: &Actor, action: &str, work: F) -> Result<M>
where
    M: Audited,
    F: FnOnce(Arc<Tx>) -> Fut,
    Fut: Future<Output = Result<(Option<M>, M)>>,
{
    run(db, actor, |tx| async move {
        let (before, after) = work(tx).await?;
        let change = Change::of(action, before.as_ref(), &after);
        Ok((after, Some(change)))
    })
    .await
}

/// Runs `work` in one write transaction. It returns its value and the change to record; with a
/// change, the audit event and change-log entry are appended and everything commits; without one
/// (a batch that kept nothing), the transaction is rolled back and the value returned. An error
/// rolls everything back.
pub async fn run<T, F, Fut>(db: &Db, actor: &Actor, work: F) -> Result<T>
where
    F: FnOnce(Arc<Tx>) -> Fut,
    Fut: Future<Output = Result<(T, Option<Change>)>>,
{
    let (tx, writer, outcome) = open_and_run(db, work).await?;
    let (value, change) = match outcome {
        Ok(done) => done,
        Err(err) => {
            tx.txn.rollback().await?;
            return Err(err);
        }
    };
    let Some(change) = change else {
        tx.txn.rollback().await?;
        return Ok(value);
    };
    let related = tx.related.take();
    let position = match append(&tx.txn, actor, change, &related).await {
        Ok(p) => p,
        Err(err) => {
            tx.txn.rollback().await?;
            return Err(err);
        }
    };
    tx.txn.commit().await?;
    drop(writer);
    db.events.committed(&db.conn, position).await;
    Ok(value)
}

/// A write transaction for a background worker's own bookkeeping (the webhook worker's fan-out
/// cursors, claims and delivery outcomes): state of the machinery, not a change to any record, so
/// it has no audit event and no change-log entry (an entry would itself be fanned out again).
/// Commits if `work` succeeds; anything that changes a record goes through `run` instead.
pub async fn bookkeeping<T, F, Fut>(db: &Db, work: F) -> Result<T>
where
    F: FnOnce(Arc<Tx>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let (tx, writer, outcome) = open_and_run(db, work).await?;
    let result = match outcome {
        Ok(value) => tx.txn.commit().await.map(|_| value).map_err(AppError::from),
        Err(err) => {
            tx.txn.rollback().await?;
            Err(err)
        }
    };
    drop(writer);
    result
}

/// Opens a write transaction and runs `work` in it. Returns the transaction, still open for the
/// caller to end, with (on SQLite) the process's writer lock to hold until then, and the outcome.
async fn open_and_run<R, F, Fut>(
    db: &Db,
    work: F,
) -> Result<(Tx, Option<OwnedMutexGuard<()>>, Result<R>)>
where
    F: FnOnce(Arc<Tx>) -> Fut,
    Fut: Future<Output = Result<R>>,
{
    let (txn, writer) = db.begin_write_transaction().await?;
    let tx = Arc::new(Tx {
        txn,
        related: RelatedRecords::default(),
    });
    let outcome = work(tx.clone()).await;
    let tx = Arc::try_unwrap(tx)
        .map_err(|_| AppError::Internal("a transaction outlived its unit of work".into()))?;
    Ok((tx, writer, outcome))
}

/// Appends the audit event and the change-log entry; returns the entry's position.
async fn append(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: Change,
    related: &[Related],
) -> Result<i64> {
    let backend = txn.get_database_backend();
    let partner_id: Option<i32> = match change.partner {
        PartnerOf::None => None,
        PartnerOf::Partner(id) => Some(id),
        PartnerOf::Cycle(cycle) => {
            let row = txn
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    match backend {
                        DatabaseBackend::Postgres => {
                            "SELECT partner_id FROM programme_cycle WHERE id = $1"
                        }
                        _ => "SELECT partner_id FROM programme_cycle WHERE id = ?",
                    },
                    [cycle.into()],
                ))
                .await?;
            match row {
                Some(row) => Some(row.try_get_by_index::<i32>(0)?),
                None => None,
            }
        }
    };
    let changed = Json::Object(changed_fields(
        change.before.as_ref(),
        change.after.as_ref(),
    ));
    let related = (!related.is_empty()).then(|| to_json(&related).to_string());
    let at = now();
    let values: [Value; 12] = [
        actor.name.clone().into(),
        change.action.clone().into(),
        change.kind.into(),
        change.entity_id.clone().into(),
        change.before.map(|v| v.to_string()).into(),
        change.after.map(|v| v.to_string()).into(),
        actor.request_id.clone().into(),
        at.into(),
        partner_id.into(),
        changed.to_string().into(),
        related.into(),
        LOG_LOCK.into(),
    ];
    // One round trip: the audit event, then (under the ordering lock on PostgreSQL) the entry.
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "WITH audit AS (INSERT INTO audit_event \
               (actor, action, entity, entity_id, before, after, request_id, occurred_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)) \
             INSERT INTO change_log \
               (kind, action, entity_id, partner_id, actor, occurred_at, changed, related) \
             SELECT $3, $2, $4, $9, $1, $8, $10, $11 \
             FROM (SELECT pg_advisory_xact_lock($12)) AS ordered \
             RETURNING id"
        }
        _ => {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO audit_event \
                   (actor, action, entity, entity_id, before, after, request_id, occurred_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                values[..8].to_vec(),
            ))
            .await?;
            "INSERT INTO change_log \
               (kind, action, entity_id, partner_id, actor, occurred_at, changed, related) \
             VALUES (?3, ?2, ?4, ?9, ?1, ?8, ?10, ?11) RETURNING id"
        }
    };
    let values = if backend == DatabaseBackend::Postgres {
        values.to_vec()
    } else {
        values[..11].to_vec()
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| AppError::Internal("the change log returned no position".into()))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_new_record_changes_every_field() {
        let after = json!({"id": 1, "name": "x"});
        assert_eq!(
            Json::Object(changed_fields(None, Some(&after))),
            json!({"id": 1, "name": "x"})
        );
    }

    #[test]
    fn only_fields_whose_value_moved_are_changed() {
        let before = json!({"id": 1, "name": "x", "version": 1});
        let after = json!({"id": 1, "name": "y", "version": 2});
        assert_eq!(
            Json::Object(changed_fields(Some(&before), Some(&after))),
            json!({"name": "y", "version": 2})
        );
    }
}
