//! What the services of one instance share: the database pool, and the state kept beside it (where
//! commits are announced, the callers of recent tokens, the one reader of new change-log entries).

use std::{ops::Deref, time::Duration};

use crate::{config::DatabaseArgs, db::Pool, error::Result};

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
}

impl Db {
    pub async fn connect(args: &DatabaseArgs) -> Result<Db> {
        Ok(Db {
            pool: Pool::connect(args).await?,
            events: EventBus::new(),
            callers: CallerCache::default(),
            change_poll: Duration::from_millis(args.change_poll_ms.max(10)),
            tail: LogTail::default(),
        })
    }

    /// Closes the pool's connections.
    pub async fn close(self) -> std::result::Result<(), sea_orm::DbErr> {
        self.pool.conn.close().await
    }
}

/// The pool's connection and methods (`db.conn`, `db.ping()`, ...) through the service state.
impl Deref for Db {
    type Target = Pool;

    fn deref(&self) -> &Pool {
        &self.pool
    }
}
