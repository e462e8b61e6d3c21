//! Change events for live updates: after a mutation commits, the record it changed is announced
//! (kind and id only) so that subscriptions can reload it.
//!
//! Policy: on PostgreSQL every announcement goes through `pg_notify` on the `ipcp_events` channel and
//! each server instance runs one `LISTEN` task that feeds its local broadcast, so every instance
//! behind a load balancer delivers every event, including its own. On SQLite (one process) the
//! announcement goes straight to the in-process broadcast. Events are hints: a subscriber that lags
//! more than the buffer skips the oldest ones, and a lost event never breaks a request.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::error::{AppError, Result};

/// The PostgreSQL channel the instances share.
pub const CHANNEL: &str = "ipcp_events";
/// Events kept for a slow subscriber before it starts skipping.
const BUFFER: usize = 1024;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Enrollment,
    Activity,
}

/// A committed change: the kind of record and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub id: i32,
}

impl Event {
    /// The event for a change of the audited `entity` (as named in the audit log), if it has one.
    pub fn for_entity(entity: &str, id: &str) -> Option<Event> {
        let kind = match entity {
            "enrollment" => EventKind::Enrollment,
            "activity" => EventKind::Activity,
            _ => return None,
        };
        Some(Event {
            kind,
            id: id.parse().ok()?,
        })
    }
}

/// The announcements of one server instance.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> EventBus {
        let (tx, _) = broadcast::channel(BUFFER);
        EventBus { tx }
    }

    /// A new receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Announces what a unit of work committed at change-log `position`.
    pub async fn committed(&self, conn: &DatabaseConnection, _position: i64, events: Vec<Event>) {
        for event in events {
            self.publish(conn, event).await;
        }
    }

    /// Announces a committed change. Failures are logged, never returned: the change is committed.
    pub async fn publish(&self, conn: &DatabaseConnection, event: Event) {
        if conn.get_database_backend() != DatabaseBackend::Postgres {
            let _ = self.tx.send(event);
            return;
        }
        let payload = match serde_json::to_string(&event) {
            Ok(p) => p,
            Err(_) => return,
        };
        let stmt = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        );
        if let Err(err) = conn.execute_raw(stmt).await {
            tracing::warn!(error = %err, "could not announce a change to other instances");
        }
    }

    /// Starts this instance's PostgreSQL listener: a task that `LISTEN`s on the channel and feeds the
    /// local broadcast, reconnecting after a lost connection. Returns once the `LISTEN` is active.
    pub async fn listen_postgres(&self, url: &str) -> Result<()> {
        use sea_orm::sqlx::postgres::PgListener;
        let mut listener = PgListener::connect(url).await.map_err(|e| {
            AppError::Internal(format!("cannot open the event listener connection: {e}"))
        })?;
        listener
            .listen(CHANNEL)
            .await
            .map_err(|e| AppError::Internal(format!("cannot LISTEN for events: {e}")))?;
        let tx = self.tx.clone();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => {
                        match serde_json::from_str::<Event>(notification.payload()) {
                            Ok(event) => {
                                let _ = tx.send(event);
                            }
                            Err(_) => tracing::warn!("ignored a malformed event notification"),
                        }
                    }
                    Err(err) => {
                        // PgListener reconnects and re-listens on the next recv.
                        tracing::warn!(error = %err, "event listener lost its connection; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(())
    }
}
