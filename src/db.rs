//! The database pool: connection, write transactions, probes. The state the services share on top of
//! it (event bus, caller cache, change-log tail) is `service::Db`.
//!
//! SQLite is the embedded single-process mode: its writers are serialised in-process by one mutex so
//! that read-then-write transactions never meet SQLITE_BUSY, and the connection runs in WAL mode with
//! foreign keys on and a busy timeout. PostgreSQL transactions rely on row locks instead.

use std::{
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub mod replicas;

use crate::{
    config::DatabaseArgs,
    error::{AppError, Result},
};

#[derive(Clone)]
pub struct Pool {
    pub conn: DatabaseConnection,
    sqlite_writer: Arc<Mutex<()>>,
    /// Statements run on this pool since it opened (sea-orm's metric callback): an atomic increment
    /// per statement, read by `IPCP_EXPOSE_STATEMENT_COUNT` to show what a request cost.
    statements: Arc<AtomicU64>,
}

/// PostgreSQL's `application_name` of the service's sessions: the primary's, and the read
/// replicas' (so `pg_stat_activity` shows which reads a standby serves).
pub const APPLICATION_NAME: &str = "ipcp";
pub const REPLICA_APPLICATION_NAME: &str = "ipcp-read";

impl Pool {
    pub async fn connect(args: &DatabaseArgs) -> Result<Pool> {
        Pool::open(&args.database_url, args, APPLICATION_NAME, false).await
    }

    /// A read replica's pool: connected lazily, so a replica that is down does not stop the start.
    pub(crate) async fn connect_replica(url: &str, args: &DatabaseArgs) -> Result<Pool> {
        Pool::open(url, args, REPLICA_APPLICATION_NAME, true).await
    }

    async fn open(
        url: &str,
        args: &DatabaseArgs,
        application_name: &'static str,
        lazy: bool,
    ) -> Result<Pool> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.connect_lazy(lazy);
        opts.max_connections(args.db_max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_millis(args.db_acquire_timeout_ms))
            .connect_timeout(Duration::from_secs(5))
            // Ping only connections idle for a while (the ones a server restart, a proxy or a
            // firewall may have dropped): a ping on every checkout costs a round trip per statement
            // (bench/HISTORY.md). A connection that died
            // anyway fails its statement with the retryable SERVICE_UNAVAILABLE and leaves the pool.
            .test_before_acquire_if_idle_for(Duration::from_secs(10))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    .create_if_missing(true)
            });
        let statement_timeout = args.db_statement_timeout_ms.to_string();
        // Sent as startup parameters, so every pooled session gets them. JIT off: PostgreSQL
        // compiles a statement whose estimated cost passes jit_above_cost, and for the service's
        // statements (milliseconds each) the compilation costs more than it saves (measured on a
        // report-sized statement, see bench/HISTORY.md).
        opts.map_sqlx_postgres_opts(move |o| {
            o.application_name(application_name).options([
                ("statement_timeout", statement_timeout.as_str()),
                ("jit", "off"),
            ])
        });
        let mut conn = Database::connect(opts).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Ok(Pool {
            conn,
            sqlite_writer: Arc::new(Mutex::new(())),
            statements,
        })
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DatabaseBackend::Postgres
    }

    /// Begins a write transaction, for the unit of work (`service::uow`) alone: on SQLite it also
    /// returns the process-wide writer lock, to hold until the transaction ends.
    pub(crate) async fn begin_write_transaction(
        &self,
    ) -> Result<(DatabaseTransaction, Option<OwnedMutexGuard<()>>)> {
        let writer = if self.backend() == DatabaseBackend::Sqlite {
            Some(self.sqlite_writer.clone().lock_owned().await)
        } else {
            None
        };
        let txn = self.begin_now(writer.is_some()).await?;
        Ok((txn, writer))
    }

    /// Begins a transaction; on SQLite as IMMEDIATE, which takes SQLite's write lock at BEGIN,
    /// where the busy timeout applies (a deferred transaction that reads first and writes later
    /// fails at once with SQLITE_BUSY when another write got in between).
    async fn begin_now(&self, sqlite: bool) -> Result<DatabaseTransaction> {
        let txn = if sqlite {
            self.conn
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?
        } else {
            self.conn.begin().await?
        };
        Ok(txn)
    }

    /// Statements run on this pool so far (all requests together).
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }

    /// The pool's connections right now (for `/metrics`).
    pub fn pool_status(&self) -> Option<PoolStatus> {
        // The sea-orm accessors panic on the other backend: ask only the one in use.
        let (size, idle, max) = match self.backend() {
            DatabaseBackend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            DatabaseBackend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            _ => return None,
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        Some(PoolStatus {
            in_use: size - idle,
            idle,
            max,
        })
    }

    /// Writes a consistent copy of a live SQLite database to `file`, which must not exist. The copy
    /// is written beside it under a temporary name, synced and then renamed, so `file` is either
    /// absent or complete. PostgreSQL has its own tools (pg_dump, pgBackRest): see README.
    pub async fn backup_sqlite(&self, file: &Path) -> Result<()> {
        if self.backend() != DatabaseBackend::Sqlite {
            return Err(AppError::invalid(
                "database-url",
                "ipcp backup copies SQLite databases; back up PostgreSQL with pg_dump (logical) or pgBackRest (point-in-time recovery), see README",
            ));
        }
        if file.exists() {
            return Err(AppError::invalid(
                "file",
                format!("{} exists; backup never overwrites", file.display()),
            ));
        }
        let mut partial = file.as_os_str().to_owned();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        let target = partial
            .to_str()
            .ok_or_else(|| AppError::invalid("file", "the path must be valid UTF-8"))?
            .to_owned();
        // VACUUM INTO reads one snapshot in a read transaction: writers go on (WAL) and the copy
        // holds every transaction committed before it began.
        self.conn
            .execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Sqlite,
                "VACUUM INTO ?",
                [target.into()],
            ))
            .await?;
        let io = |e: std::io::Error| AppError::Internal(format!("backup {}: {e}", file.display()));
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        std::fs::rename(&partial, file).map_err(io)?;
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

/// Connections of the pool: checked out by requests, idle, and the limit.
#[derive(Debug, Clone, Copy)]
pub struct PoolStatus {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}
