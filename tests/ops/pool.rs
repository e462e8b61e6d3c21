//! What a pooled connection carries when it is given back: a transaction dropped halfway (a request
//! that timed out, a client that went away) must not keep its locks in the idle pool until the
//! connection's next use. The service's pool gives connections back flushed, not pinged
//! (vendor/sqlx-core/PATCHES.md); the flush is what sends the dropped transaction's ROLLBACK.

use std::time::Duration;

use ipcp::config::ServeArgs;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};

use crate::support::{database_args, postgres_base_url, PgDatabase, RunningApp, SqliteFile};

/// How long another session may wait for the dropped transaction's locks.
const RELEASED_WITHIN: Duration = Duration::from_secs(5);

/// Takes a write lock on `partner` in a transaction of the service's pool, drops the transaction
/// without committing or rolling back, then has an independent session write to `partner`.
async fn dropped_transaction_releases_its_lock(url: &str, lock_sql: &str) {
    let app = RunningApp::build(database_args(url, 2, 5000), ServeArgs::default())
        .await
        .expect("app builds");
    let conn = app.db.conn.clone();
    {
        let txn = conn.begin().await.expect("begin");
        txn.execute_unprepared(lock_sql).await.expect("lock");
        // Dropped here, neither committed nor rolled back.
    }
    let other = Database::connect(url).await.expect("connect");
    let write = other.execute_unprepared("DELETE FROM partner WHERE code = 'NONE'");
    match tokio::time::timeout(RELEASED_WITHIN, write).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => panic!("the dropped transaction still held its lock: {err}"),
        Err(_) => panic!(
            "the dropped transaction still held its lock after {RELEASED_WITHIN:?}: \
             its ROLLBACK was never sent"
        ),
    }
    // The pool's connections are clean and usable afterwards.
    for _ in 0..4 {
        conn.execute_unprepared("SELECT 1 FROM partner")
            .await
            .expect("a pooled connection answers after the dropped transaction");
    }
    other.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_transaction_releases_its_locks_at_once_on_postgres() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    dropped_transaction_releases_its_lock(&db.url, "LOCK TABLE partner IN ACCESS EXCLUSIVE MODE")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_transaction_releases_its_locks_at_once_on_sqlite() {
    let file = SqliteFile::new();
    // A write statement takes SQLite's write lock, even when it changes no row.
    dropped_transaction_releases_its_lock(&file.url(), "DELETE FROM partner WHERE code = 'NONE'")
        .await;
}
