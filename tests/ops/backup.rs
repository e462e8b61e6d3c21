//! `ipcp backup FILE` on a live SQLite database while writes go on.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use ipcp::config::ServeArgs;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

use crate::support::{database_args, gql, sql_i64, RunningApp, SqliteFile};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_restores_every_acknowledged_write_and_passes_integrity_checks(
) {
    let file = SqliteFile::new();
    let app = RunningApp::start(database_args(&file.url(), 4, 3000), ServeArgs::default()).await;
    let partner = app
        .ok(
            "mutation { createPartner(input: {code: \"TKM\", name: \"Turkmenistan\"}) { id } }",
            json!({}),
        )
        .await["createPartner"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // A writer that records each officer whose creation was acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, address) = (app.client.clone(), app.address.clone());
        let (acknowledged, stop, partner) = (acknowledged.clone(), stop.clone(), partner.clone());
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let name = format!("Backup{n}");
                let body = gql(
                    &client,
                    &address,
                    "mutation($p: ID!, $f: String!) { createOfficer(input: {partnerId: $p, familyName: $f, givenName: \"G\", rank: \"Major\", service: ARMY}) { id } }",
                    json!({ "p": partner, "f": name }),
                )
                .await;
                if body.is_ok_and(|b| b.get("errors").is_none()) {
                    acknowledged.lock().expect("lock").push(name);
                }
            }
        })
    };
    // Until the writer has made progress (polled with a deadline).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().expect("lock").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer made no progress"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before: Vec<String> = acknowledged.lock().expect("lock").clone();
    let copy = SqliteFile::new();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .arg("backup")
        .arg(&copy.path)
        .env("DATABASE_URL", file.url())
        .output()
        .await
        .expect("ipcp backup runs");
    assert!(
        output.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Writes go on: more are acknowledged after the backup began (polled with a deadline).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().expect("lock").len() <= before.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "writes did not go on during the backup"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("writer");

    // A second backup to the same file is refused rather than overwriting it.
    let again = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .arg("backup")
        .arg(&copy.path)
        .env("DATABASE_URL", file.url())
        .output()
        .await
        .expect("ipcp backup runs");
    assert!(!again.status.success());

    // The copy is a sound database that holds every write acknowledged before the backup began.
    let conn = Database::connect(format!("sqlite://{}?mode=ro", copy.path.display()))
        .await
        .expect("open the copy");
    let rows = |sql: &str| Statement::from_string(sea_orm::DatabaseBackend::Sqlite, sql.to_owned());
    let integrity = conn
        .query_one_raw(rows("PRAGMA integrity_check"))
        .await
        .expect("integrity_check")
        .expect("row");
    assert_eq!(integrity.try_get_by_index::<String>(0).expect("text"), "ok");
    let broken_references = conn
        .query_all_raw(rows("PRAGMA foreign_key_check"))
        .await
        .expect("foreign_key_check");
    assert!(broken_references.is_empty());
    let names: HashSet<String> = conn
        .query_all_raw(rows("SELECT family_name FROM officer"))
        .await
        .expect("officers")
        .into_iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("name"))
        .collect();
    for name in &before {
        assert!(
            names.contains(name),
            "{name} was acknowledged before the backup but is missing"
        );
    }
    conn.close().await.ok();

    // Restore: the copy put in place of a database serves the data.
    drop(app);
    let restored = SqliteFile::new();
    std::fs::copy(&copy.path, &restored.path).expect("restore the copy");
    let app = RunningApp::start(
        database_args(&restored.url(), 4, 3000),
        ServeArgs::default(),
    )
    .await;
    let data = app
        .ok("{ officers(first: 1) { totalCount } }", json!({}))
        .await;
    let served = data["officers"]["totalCount"].as_i64().expect("count");
    assert_eq!(served as usize, names.len());
    let conn = Database::connect(restored.url()).await.expect("connect");
    assert!(sql_i64(&conn, "SELECT COUNT(*) FROM partner").await == 1);
    conn.close().await.ok();
}
