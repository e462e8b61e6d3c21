//! The service's connections to the database (vendor/sqlx-core/PATCHES.md).
//!
//! - What a pooled connection carries when it is given back: a transaction dropped halfway (a
//!   request that timed out, a client that went away) must not keep its locks in the idle pool until
//!   the connection's next use. Connections are given back flushed, not pinged; the flush is what
//!   sends the dropped transaction's ROLLBACK.
//! - How a connection sends: with Nagle's algorithm off, so that a message written in two parts
//!   (the TLS handshake, a large statement) does not wait for the server's delayed acknowledgement.

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

/// The peer address of each TCP socket this process holds, with whether Nagle's algorithm is off
/// on it. The sockets are read through duplicates (`pidfd_getfd` on this very process).
fn tcp_sockets() -> Vec<(std::net::SocketAddr, bool)> {
    use rustix::process::{getpid, pidfd_getfd, pidfd_open, PidfdFlags, PidfdGetfdFlags};
    let me = pidfd_open(getpid(), PidfdFlags::empty()).expect("pidfd of this process");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").expect("list fds") {
        let Ok(entry) = entry else { continue };
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if !is_socket {
            continue;
        }
        // The socket may have been closed meanwhile: skip what cannot be read.
        let Ok(dup) = pidfd_getfd(&me, fd, PidfdGetfdFlags::empty()) else {
            continue;
        };
        let peer = rustix::net::getpeername(&dup)
            .ok()
            .flatten()
            .and_then(|a| std::net::SocketAddr::try_from(a).ok());
        if let (Some(peer), Ok(nodelay)) = (peer, rustix::net::sockopt::tcp_nodelay(&dup)) {
            found.push((peer, nodelay));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_to_postgres_send_without_waiting_for_acknowledgements() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    let port: u16 = postgres_base_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432);
    let app = RunningApp::build(database_args(&db.url, 4, 5000), ServeArgs::default())
        .await
        .expect("app builds");
    // Several statements at once, so that the pool opens more than its first connection.
    let conn = app.db.conn.clone();
    let reads = (0..4).map(|_| {
        let conn = conn.clone();
        async move { conn.execute_unprepared("SELECT pg_sleep(0.2)").await }
    });
    for read in futures_util::future::join_all(reads).await {
        read.expect("read");
    }
    let to_postgres: Vec<bool> = tcp_sockets()
        .into_iter()
        .filter(|(peer, _)| peer.port() == port)
        .map(|(_, nodelay)| nodelay)
        .collect();
    assert!(
        to_postgres.len() >= 2,
        "expected the pool's connections among this process's sockets, found {}",
        to_postgres.len()
    );
    assert!(
        to_postgres.iter().all(|nodelay| *nodelay),
        "a connection to PostgreSQL has Nagle's algorithm on (TCP_NODELAY unset): a message sent \
         in two writes waits up to 40 ms for the server's delayed acknowledgement ({to_postgres:?})"
    );
}
