//! What the services of one instance share: the database pool, and the state kept beside it (where
//! commits are announced, the callers of recent tokens, the one reader of new change-log entries).

use std::{ops::Deref, sync::Arc, time::Duration};

use crate::{
    config::DatabaseArgs,
    db::{
        replicas::{ReadTarget, Replicas, WalPosition},
        Pool,
    },
    error::Result,
};

use super::{change_log::LogTail, events::EventBus, token::CallerCache};

/// The pool and the instance's shared service state. Cloning is cheap (every part is shared).
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// Where committed changes are announced to subscriptions.
    pub events: EventBus,
    /// The callers of recently authenticated tokens.
    pub callers: CallerCache,
    /// How often change-log readers look for new entries without a wake-up.
    pub change_poll: Duration,
    /// The instance's one reader of new change-log entries, shared by subscriptions.
    pub tail: LogTail,
    /// The read replicas (`IPCP_DATABASE_REPLICA_URLS`), if any.
    replicas: Option<Arc<Replicas>>,
    /// The primary's pool, also in a `Db` whose reads go to a replica.
    primary: Pool,
}

impl Db {
    pub async fn connect(args: &DatabaseArgs) -> Result<Db> {
        let pool = Pool::connect(args).await?;
        let replicas = Replicas::connect(&pool, args).await?;
        if let Some(replicas) = &replicas {
            replicas.spawn_checks(pool.clone());
        }
        Ok(Db {
            primary: pool.clone(),
            pool,
            events: EventBus::new(),
            callers: CallerCache::default(),
            change_poll: Duration::from_millis(args.change_poll_ms.max(10)),
            tail: LogTail::default(),
            replicas,
        })
    }

    /// The read replicas, when some are configured.
    pub fn replicas(&self) -> Option<&Arc<Replicas>> {
        self.replicas.as_ref()
    }

    /// This instance's state with reads on `target` (a replica's pool, or the primary's).
    pub fn on(&self, target: ReadTarget) -> Db {
        let pool = match (target, &self.replicas) {
            (ReadTarget::Replica(i), Some(r)) if i < r.members.len() => r.members[i].pool.clone(),
            _ => self.primary.clone(),
        };
        Db {
            pool,
            ..self.clone()
        }
    }

    /// The primary's state, whatever this one reads from (for writes and LISTEN).
    pub fn primary(&self) -> Db {
        Db {
            pool: self.primary.clone(),
            ..self.clone()
        }
    }

    /// Where one request's reads go (counted in `/metrics`), when replicas are configured: a
    /// replica in rotation that has replayed the caller's recent write and the position the client
    /// sent (`Ipcp-Wal-Position`), else the primary.
    pub fn read_target(
        &self,
        caller: Option<&str>,
        sent: Option<WalPosition>,
    ) -> Option<ReadTarget> {
        let replicas = self.replicas.as_ref()?;
        let required = match caller {
            Some(caller) => replicas.required(caller, sent),
            None => sent,
        };
        let target = replicas.choose(required);
        replicas.count(target);
        Some(target)
    }

    /// This instance's state with one request's reads where `read_target` sends them.
    pub fn route_reads(&self, caller: Option<&str>, sent: Option<WalPosition>) -> Db {
        match self.read_target(caller, sent) {
            Some(target) => self.on(target),
            None => self.clone(),
        }
    }

    /// Where long-lived readers (the change-log tail, subscriptions) read now: the first replica
    /// in rotation, so that they keep to one server while it is healthy, else the primary.
    pub fn steady_reads(&self) -> Db {
        match self.replicas.as_ref().and_then(|r| r.steady()) {
            Some(i) => self.on(ReadTarget::Replica(i)),
            None => self.primary(),
        }
    }

    /// Closes the pool's connections.
    pub async fn close(self) -> std::result::Result<(), sea_orm::DbErr> {
        if let Some(replicas) = &self.replicas {
            for replica in &replicas.members {
                let _ = replica.pool.conn.clone().close().await;
            }
        }
        self.primary.conn.close().await
    }
}

/// The pool's connection and methods (`db.conn`, `db.ping()`, ...) through the service state.
impl Deref for Db {
    type Target = Pool;

    fn deref(&self) -> &Pool {
        &self.pool
    }
}
