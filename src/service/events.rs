//! The wake-up of change-log readers: after a unit of work commits, its position is announced so
//! that subscriptions and the webhook worker read the log now rather than at their next poll.
//!
//! Policy: the change log is the truth; an announcement is only a wake-up and may be lost. On
//! PostgreSQL every announcement also goes through `pg_notify` on the `ipcp_changes` channel, and
//! each instance runs one `LISTEN` task that feeds its local signal, so every instance behind a
//! load balancer wakes for every instance's commits. An instance reading from a replica (where
//! NOTIFY does not arrive) and any missed wake-up are covered by polling the log
//! (`IPCP_CHANGE_POLL_MS`). On SQLite (one process) the local signal is all there is.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use tokio::sync::watch;

use crate::error::{AppError, Result};

/// The PostgreSQL channel the instances share.
pub const CHANNEL: &str = "ipcp_changes";

/// The newest change-log position this instance knows was committed.
#[derive(Clone)]
pub struct EventBus {
    newest: watch::Sender<i64>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> EventBus {
        let (newest, _) = watch::channel(0);
        EventBus { newest }
    }

    /// A receiver woken whenever a newer position is announced.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.newest.subscribe()
    }

    fn advance(tx: &watch::Sender<i64>, position: i64) {
        tx.send_if_modified(|newest| {
            let newer = position > *newest;
            if newer {
                *newest = position;
            }
            newer
        });
    }

    /// Announces that the change at `position` committed. Failures are logged, never returned:
    /// the change is committed, and readers poll anyway.
    pub async fn committed(&self, conn: &DatabaseConnection, position: i64) {
        Self::advance(&self.newest, position);
        if conn.get_database_backend() != DatabaseBackend::Postgres {
            return;
        }
        let stmt = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), position.to_string().into()],
        );
        if let Err(err) = conn.execute_raw(stmt).await {
            tracing::warn!(error = %err, "could not announce a change to other instances");
        }
    }

    /// Starts this instance's PostgreSQL listener: a task that `LISTEN`s on the channel and feeds the
    /// local signal, reconnecting after a lost connection. Returns once the `LISTEN` is active.
    pub async fn listen_postgres(&self, url: &str) -> Result<()> {
        use sea_orm::sqlx::postgres::PgListener;
        let mut listener = PgListener::connect(url).await.map_err(|e| {
            AppError::Internal(format!("cannot open the event listener connection: {e}"))
        })?;
        listener
            .listen(CHANNEL)
            .await
            .map_err(|e| AppError::Internal(format!("cannot LISTEN for changes: {e}")))?;
        let tx = self.newest.clone();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => match notification.payload().parse::<i64>() {
                        Ok(position) => Self::advance(&tx, position),
                        Err(_) => tracing::warn!("ignored a malformed change notification"),
                    },
                    Err(err) => {
                        // PgListener reconnects and re-listens on the next recv.
                        tracing::warn!(error = %err, "change listener lost its connection; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(())
    }
}
