//! Building and running the application: connect, migrate, build the schema and the router, serve
//! until Ctrl-C or SIGTERM with a graceful shutdown.

use std::{
    future::IntoFuture,
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use tokio::net::TcpListener;

use crate::{
    config::Settings,
    error::{AppError, Result},
    graphql::{build_compiled_schema, build_schema, build_ws_schema},
    http::{rate_limit::RateLimit, router, AppState},
    service::Db,
};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub db: Db,
    draining: Arc<AtomicBool>,
    shutdown_delay: Duration,
    shutdown_timeout: Duration,
    webhooks: crate::config::WebhookArgs,
    /// The service's public URL (the base of xAPI identifiers the worker sends to an LRS).
    public_url: String,
}

/// Key of the PostgreSQL advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x6970_6370_6d69_6772; // "ipcpmigr"

/// Applies pending migrations; refuses a database migrated by a newer binary.
///
/// On PostgreSQL, instances starting together take turns: one holds a transaction-scoped advisory
/// lock (on a connection of its own) while it migrates, the others wait for it and then find
/// nothing to do. That needs two pooled connections; with a pool of one, no lock is taken.
pub async fn migrate(db: &Db) -> Result<()> {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let lock = if db.is_postgres() && db.pool_status().is_some_and(|p| p.max >= 2) {
        let txn = db.conn.begin().await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
        Some(txn)
    } else {
        None
    };
    let migrated = migrate_unlocked(db).await;
    if let Some(txn) = lock {
        txn.commit().await?;
    }
    migrated
}

async fn migrate_unlocked(db: &Db) -> Result<()> {
    Migrator::up(&db.conn, None).await.map_err(|e| {
        let text = e.to_string();
        if text.contains("missing") {
            AppError::Internal(format!(
                "refusing to start: the database has migrations this binary does not know, so it was migrated by a newer version of ipcp; run that version (or restore a backup taken before the upgrade). {text}"
            ))
        } else {
            AppError::from(e)
        }
    })
}

/// Deletes change-log entries older than the retention, at start and every hour.
fn spawn_change_log_retention(db: Db, days: u32) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match crate::service::change_log::purge(&db.conn, days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, days, "change log: old entries deleted"),
                Err(err) => tracing::warn!(error = ?err, "change log retention failed"),
            }
        }
    });
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application> {
        let db = Db::connect(&settings.database).await?;
        migrate(&db).await?;
        if db.is_postgres() {
            db.events
                .listen_postgres(&settings.database.database_url)
                .await?;
        }
        spawn_change_log_retention(db.clone(), settings.serve.change_log_retention_days);
        let schema = build_schema(Some(db.clone()), &settings.serve);
        let compiled_schema = build_compiled_schema(Some(db.clone()), &settings.serve);
        let replicas = 0..db.replicas().map_or(0, |r| r.members.len());
        let replica_schemas = replicas
            .clone()
            .map(|i| {
                let reads = db.on(crate::db::replicas::ReadTarget::Replica(i));
                build_schema(Some(reads), &settings.serve)
            })
            .collect();
        let replica_compiled_schemas = replicas
            .map(|i| {
                let reads = db.on(crate::db::replicas::ReadTarget::Replica(i));
                build_compiled_schema(Some(reads), &settings.serve)
            })
            .collect();
        let ws_schema = build_ws_schema(Some(db.clone()), &settings.serve);
        let draining = Arc::new(AtomicBool::new(false));
        if settings.serve.metrics {
            crate::http::metrics::handle();
        }
        let state = AppState {
            db: db.clone(),
            schema,
            replica_schemas: Arc::new(replica_schemas),
            compiled_schema,
            replica_compiled_schemas: Arc::new(replica_compiled_schemas),
            compiled_reads: settings.serve.compiled_reads,
            plans: Default::default(),
            ws_schema,
            documents: Default::default(),
            rate_limit: RateLimit::new(
                settings.serve.rate_limit_per_second,
                settings.serve.rate_limit_burst,
            ),
            operations: Arc::new(crate::http::slots::Slots::new(
                settings.serve.concurrent_operations(),
            )),
            large_operations: Arc::new(crate::http::slots::Slots::new(
                settings.serve.large_operations(),
            )),
            large_answer_bytes: settings.serve.large_answer_bytes,
            trimmer: Default::default(),
            introspection: settings.serve.introspection,
            max_aliases: settings.serve.max_aliases,
            max_complexity: settings.serve.max_complexity,
            draining: draining.clone(),
            expose_statement_count: settings.serve.expose_statement_count,
            public_url: settings.serve.public_url.trim_end_matches('/').to_owned(),
        };
        let router = router(state, &settings.serve);
        let listener = TcpListener::bind(settings.serve.listen)
            .await
            .map_err(|e| {
                AppError::Internal(format!("cannot listen on {}: {e}", settings.serve.listen))
            })?;
        Ok(Application {
            listener,
            router,
            db,
            draining,
            shutdown_delay: Duration::from_millis(settings.serve.shutdown_delay_ms),
            shutdown_timeout: Duration::from_millis(settings.serve.shutdown_timeout_ms),
            webhooks: settings.serve.webhooks.clone(),
            public_url: settings.serve.public_url.trim_end_matches('/').to_owned(),
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The flag `/readyz` reads: set it to make the instance report not ready (shutdown sets it).
    pub fn draining(&self) -> Arc<AtomicBool> {
        self.draining.clone()
    }

    /// Serves until Ctrl-C or SIGTERM, then answers 503 on `/readyz`, keeps accepting for the
    /// shutdown delay, stops accepting connections, lets the requests in flight finish for at most
    /// the shutdown timeout, and closes the database pool.
    pub async fn run_until_stopped(self) -> Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// As `run_until_stopped`, with the given future as the shutdown signal.
    pub async fn run_until(
        self,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
        let worker = if self.webhooks.webhook_worker {
            Some(webhook_worker(&self.db, &self.webhooks, &self.public_url)?.spawn(worker_stopped))
        } else {
            None
        };
        let (drain_started, drain_started_rx) = tokio::sync::oneshot::channel::<()>();
        let draining = self.draining.clone();
        let delay = self.shutdown_delay;
        let signal = async move {
            signal.await;
            draining.store(true, Ordering::Relaxed);
            crate::http::metrics::set_draining(true);
            if !delay.is_zero() {
                tracing::info!(
                    delay_ms = delay.as_millis() as u64,
                    "not ready; still accepting until the delay ends"
                );
                tokio::time::sleep(delay).await;
            }
            let _ = drain_started.send(());
        };
        let server = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(signal)
            .into_future();
        let timeout = self.shutdown_timeout;
        let deadline = async move {
            if drain_started_rx.await.is_ok() {
                tokio::time::sleep(timeout).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let result = tokio::select! {
            served = server => served.map_err(|e| AppError::Internal(e.to_string())),
            _ = deadline => {
                tracing::warn!(timeout_ms = timeout.as_millis() as u64, "shutdown timeout: requests still in flight are dropped");
                Ok(())
            }
        };
        // The worker finishes the attempts in flight if they are quick; what it abandons stays
        // leased in the database and is sent again once the lease expires.
        let _ = stop_worker.send(true);
        if let Some(mut worker) = worker {
            if tokio::time::timeout(Duration::from_secs(2), &mut worker)
                .await
                .is_err()
            {
                worker.abort();
            }
        }
        // Closing waits for connections still checked out by requests cut off at the timeout:
        // bound it, the process is ending anyway.
        match tokio::time::timeout(Duration::from_secs(2), self.db.close()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "closing the database pool"),
            Err(_) => tracing::warn!("database connections still busy at exit"),
        }
        tracing::info!("stopped");
        result
    }
}

fn webhook_worker(
    db: &Db,
    args: &crate::config::WebhookArgs,
    public_url: &str,
) -> Result<crate::service::webhook::worker::Worker> {
    use crate::service::webhook::{url::AllowHosts, worker};
    worker::Worker::new(
        db.clone(),
        worker::Settings {
            allow: AllowHosts::new(&args.webhook_allow_hosts),
            retry_window: Duration::from_secs(args.webhook_retry_window_secs),
            backoff: Duration::from_millis(args.webhook_backoff_ms.max(1)),
            poll: Duration::from_millis(args.webhook_poll_ms.max(1)),
            lease: Duration::from_secs(args.webhook_lease_secs.max(1)),
            public_url: public_url.to_owned(),
        },
    )
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}
