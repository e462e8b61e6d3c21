//! Database connection and write transactions.
//!
//! SQLite is the embedded single-process mode: its writers are serialised in-process by one mutex so
//! that read-then-write transactions never meet SQLITE_BUSY, and the connection runs in WAL mode with
//! foreign keys on and a busy timeout. PostgreSQL transactions rely on row locks instead.

use std::{ops::Deref, sync::Arc, time::Duration};

use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::{config::DatabaseArgs, error::Result};

#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    sqlite_writer: Arc<Mutex<()>>,
}

/// A write transaction; on SQLite it also holds the process-wide writer lock until it ends.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    pub async fn commit(self) -> Result<()> {
        self.txn.commit().await?;
        Ok(())
    }

    /// Undoes the transaction now (dropping it also rolls back, but only once the connection is
    /// next used).
    pub async fn rollback(self) -> Result<()> {
        self.txn.rollback().await?;
        Ok(())
    }
}

impl Db {
    pub async fn connect(args: &DatabaseArgs) -> Result<Db> {
        let mut opts = ConnectOptions::new(args.database_url.clone());
        opts.max_connections(args.db_max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_millis(args.db_acquire_timeout_ms))
            .connect_timeout(Duration::from_secs(5))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    .create_if_missing(true)
            });
        let statement_timeout = args.db_statement_timeout_ms.to_string();
        // Sent as a startup parameter, so every pooled session gets it.
        opts.map_sqlx_postgres_opts(move |o| {
            o.options([("statement_timeout", statement_timeout.as_str())])
        });
        let conn = Database::connect(opts).await?;
        Ok(Db {
            conn,
            sqlite_writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DatabaseBackend::Postgres
    }

    pub async fn begin_write(&self) -> Result<WriteTxn> {
        let writer = if self.backend() == DatabaseBackend::Sqlite {
            Some(self.sqlite_writer.clone().lock_owned().await)
        } else {
            None
        };
        let txn = match writer {
            // IMMEDIATE takes SQLite's write lock at BEGIN, where the busy timeout applies; a
            // deferred transaction that reads first and writes later fails at once with
            // SQLITE_BUSY ("database is locked") when a write outside this lock got in between.
            Some(_) => {
                self.conn
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await?
            }
            None => self.conn.begin().await?,
        };
        Ok(WriteTxn {
            txn,
            _writer: writer,
        })
    }

    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }
}
