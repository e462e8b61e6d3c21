//! `/metrics`, `/readyz`, the SQLite pragmas and the refusal of a database from a newer binary.

use std::{sync::atomic::Ordering, time::Duration};

use ipcp::{config::ServeArgs, error::AppError, service::Db};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::support::{database_args, RunningApp, SqliteFile};

#[tokio::test]
async fn metrics_expose_requests_errors_latency_pool_and_subscriptions() {
    let file = SqliteFile::new();
    let app = RunningApp::start(database_args(&file.url(), 4, 3000), ServeArgs::default()).await;
    app.ok(
        "mutation { createPartner(input: {code: \"TKM\", name: \"Turkmenistan\"}) { id } }",
        json!({}),
    )
    .await;
    app.ok(
        "query Overview { partners(first: 5) { totalCount } }",
        json!({}),
    )
    .await;
    let missing = app
        .gql("{ partner(code: \"ZZZ\") { id } }", json!({}))
        .await
        .expect("response");
    assert_eq!(missing["errors"][0]["extensions"]["code"], "NOT_FOUND");

    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain")));
    let text = res.text().await.expect("body");
    for expected in [
        "ipcp_http_requests_total{route=\"/graphql\",method=\"POST\",status=\"200\"}",
        "ipcp_graphql_errors_total{code=\"NOT_FOUND\"}",
        "ipcp_http_request_duration_seconds_bucket{route=\"/graphql\",method=\"POST\",le=\"0.005\"}",
        "ipcp_graphql_operation_duration_seconds_count{operation_type=\"mutation\"}",
        "ipcp_graphql_operation_duration_seconds_count{operation_type=\"query\"}",
        "ipcp_db_pool_connections{state=\"in_use\"}",
        "ipcp_db_pool_connections{state=\"idle\"}",
        "ipcp_db_pool_max_connections",
        "ipcp_graphql_subscriptions_active",
        "ipcp_http_requests_in_flight",
        "ipcp_graphql_operations_waiting{slot=\"any\"} 0",
        "ipcp_graphql_operations_waiting{slot=\"large\"} 0",
    ] {
        assert!(text.contains(expected), "/metrics lacks {expected}:\n{text}");
    }
}

#[tokio::test]
async fn readyz_answers_503_while_draining() {
    let file = SqliteFile::new();
    let application = RunningApp::build(database_args(&file.url(), 4, 3000), ServeArgs::default())
        .await
        .expect("app starts");
    let draining = application.draining();
    let app = RunningApp::run(application);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    draining.store(true, Ordering::Relaxed);
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn during_the_shutdown_delay_readyz_is_503_and_requests_are_still_served() {
    let file = SqliteFile::new();
    // A delay long enough to observe on a busy machine; the test waits on signals, not on it.
    let delay = Duration::from_millis(4000);
    let serve = ServeArgs {
        shutdown_delay_ms: delay.as_millis() as u64,
        ..ServeArgs::default()
    };
    let mut app = RunningApp::start(database_args(&file.url(), 4, 3000), serve).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    app.stop();
    let stopped = std::time::Instant::now();
    // Polled until it turns 503, each on a fresh connection: it must, while still accepting.
    loop {
        let ready = reqwest::Client::new()
            .get(format!("{}/readyz", app.address))
            .send()
            .await
            .expect("still accepting during the delay");
        if ready.status() == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert_eq!(ready.status(), StatusCode::OK);
        assert!(stopped.elapsed() < delay, "readyz never turned 503");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.ok("{ partners(first: 1) { totalCount } }", json!({}))
        .await;
    // Then the listener closes: polled with a deadline well past the delay.
    let deadline = stopped + delay + Duration::from_secs(20);
    while reqwest::Client::new()
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .is_ok()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "still accepting long after the delay"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        stopped.elapsed() >= delay,
        "the listener closed after {:?}, before the {delay:?} delay",
        stopped.elapsed()
    );
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let file = SqliteFile::new();
    let db = Db::connect(&database_args(&file.url(), 4, 3000))
        .await
        .expect("connect");
    let text = |sql: &'static str| {
        let conn = db.conn.clone();
        async move {
            let row = conn
                .query_one_raw(sea_orm::Statement::from_string(
                    conn.get_database_backend(),
                    sql,
                ))
                .await
                .expect("pragma")
                .expect("row");
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .expect("value")
        }
    };
    assert_eq!(text("PRAGMA journal_mode").await, "wal");
    assert_eq!(text("PRAGMA foreign_keys").await, "1");
    assert_eq!(text("PRAGMA busy_timeout").await, "5000");
}

#[tokio::test]
async fn startup_refuses_a_database_migrated_by_a_newer_binary() {
    let file = SqliteFile::new();
    let args = database_args(&file.url(), 4, 3000);
    drop(
        RunningApp::build(args.clone(), ServeArgs::default())
            .await
            .expect("first start migrates"),
    );
    let conn = Database::connect(file.url()).await.expect("connect");
    conn.execute_unprepared(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29991231_000000_from_a_newer_release', 0)",
    )
    .await
    .expect("fake a newer migration");
    conn.close().await.ok();
    match RunningApp::build(args, ServeArgs::default()).await {
        Err(AppError::Internal(message)) => {
            assert!(
                message.contains("newer version")
                    && message.contains("m29991231_000000_from_a_newer_release"),
                "{message}"
            )
        }
        Err(other) => panic!("refused with the wrong error: {other:?}"),
        Ok(_) => panic!("started against a database migrated by a newer binary"),
    }
}

#[tokio::test]
async fn backup_of_a_postgres_database_points_to_pg_dump_and_fails() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(["backup", "/nonexistent/ipcp-backup.db"])
        .env(
            "DATABASE_URL",
            format!("{}/postgres", crate::support::postgres_base_url()),
        )
        .output()
        .expect("ipcp runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pg_dump"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_on_a_fresh_postgres_database_all_start() {
    let db = crate::support::PgDatabase::create(&crate::support::postgres_base_url()).await;
    let starts = (0..3).map(|_| {
        let args = database_args(&db.url, 3, 10_000);
        tokio::spawn(async move { RunningApp::build(args, ServeArgs::default()).await })
    });
    for start in futures_util::future::join_all(starts).await {
        if let Err(e) = start.expect("task") {
            panic!("an instance failed to start: {e:?}");
        }
    }
}
