//! The bounds on GraphQL operations executing at once (`IPCP_MAX_CONCURRENT_OPERATIONS`) and on
//! those whose last answer was large (`IPCP_MAX_LARGE_OPERATIONS`).

use std::time::Duration;

use ipcp::config::ServeArgs;
use serde_json::json;

use crate::{
    outage::{lock_partner_table, wait_for_lock_waiters, waiting_on_locks, PartnerTableLock},
    support::{database_args, gql, postgres_base_url, PgDatabase, RunningApp},
};

/// Polls this application's `/metrics` (its own counter, not the process-wide recorder's) until
/// `count` operations wait for a `slot` ("any" or "large"), within a deadline.
async fn wait_for_operations_waiting(app: &RunningApp, slot: &str, count: usize) {
    let line = format!("ipcp_graphql_operations_waiting{{slot=\"{slot}\"}} {count}\n");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = app.get("/metrics").await.text().await.expect("metrics");
        if text.contains(&line) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {count} operation(s) waiting for a {slot} slot within 30 s:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_beyond_the_concurrency_limit_wait_for_a_slot_then_run() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    let app = RunningApp::start(
        database_args(&db.url, 4, 5000),
        ServeArgs {
            max_concurrent_operations: 1,
            ..ServeArgs::default()
        },
    )
    .await;
    app.ok(
        "mutation { createPartner(input: {code: \"TKM\", name: \"Turkmenistan\"}) { id } }",
        json!({}),
    )
    .await;

    // The one slot is taken by a read that waits on a lock another session holds.
    let PartnerTableLock {
        locker,
        lock,
        observer,
    } = lock_partner_table(&db.url).await;
    let slow = {
        let (client, address) = (app.client.clone(), app.address.clone());
        tokio::spawn(async move {
            gql(
                &client,
                &address,
                "{ partner(code: \"TKM\") { name } }",
                json!({}),
            )
            .await
            .expect("response")
        })
    };
    wait_for_lock_waiters(&observer, 1).await;

    // An operation that needs no database at all waits for the slot...
    let waiting = {
        let (client, address) = (app.client.clone(), app.address.clone());
        tokio::spawn(async move {
            gql(&client, &address, "{ __typename }", json!({}))
                .await
                .expect("response")
        })
    };
    wait_for_operations_waiting(&app, "any", 1).await;
    assert!(
        !waiting.is_finished(),
        "an operation ran while the only slot was taken"
    );
    assert!(!slow.is_finished());

    // ...and runs once the slot is free.
    lock.rollback().await.expect("release the lock");
    let body = slow.await.expect("slow request");
    assert_eq!(body["data"]["partner"]["name"], "Turkmenistan", "{body:#}");
    let body = waiting.await.expect("waiting request");
    assert_eq!(body["data"]["__typename"], "QueryRoot", "{body:#}");
    observer.close().await.ok();
    locker.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_whose_last_answer_was_large_waits_for_a_large_answer_slot() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    let app = RunningApp::start(
        database_args(&db.url, 4, 5000),
        ServeArgs {
            max_concurrent_operations: 8,
            max_large_operations: 1,
            large_answer_bytes: 40,
            ..ServeArgs::default()
        },
    )
    .await;
    app.ok(
        "mutation { createPartner(input: {code: \"TKM\", name: \"Turkmenistan, a partner with a long name\"}) { id } }",
        json!({}),
    )
    .await;
    // Its first answer (over 40 bytes) makes this text large from then on.
    let large = "{ partner(code: \"TKM\") { name } }";
    app.ok(large, json!({})).await;

    let PartnerTableLock {
        locker,
        lock,
        observer,
    } = lock_partner_table(&db.url).await;
    let send = |query: &'static str| {
        let (client, address) = (app.client.clone(), app.address.clone());
        tokio::spawn(async move {
            gql(&client, &address, query, json!({}))
                .await
                .expect("response")
        })
    };
    // The one large-answer slot is taken by a large operation waiting on the lock...
    let first = send(large);
    wait_for_lock_waiters(&observer, 1).await;
    // ...so the same text waits for it, though ordinary slots are free...
    let second = send(large);
    // ...while an operation with small answers runs at once.
    let small = send("{ __typename }");
    let body = tokio::time::timeout(Duration::from_secs(5), small)
        .await
        .expect("a small operation did not wait")
        .expect("small request");
    assert_eq!(body["data"]["__typename"], "QueryRoot", "{body:#}");
    wait_for_operations_waiting(&app, "large", 1).await;
    assert_eq!(
        waiting_on_locks(&observer).await,
        1,
        "a second large operation ran while the only large-answer slot was taken"
    );
    assert!(!second.is_finished());

    lock.rollback().await.expect("release the lock");
    for request in [first, second] {
        let body = request.await.expect("large request");
        assert_eq!(
            body["data"]["partner"]["name"], "Turkmenistan, a partner with a long name",
            "{body:#}"
        );
    }
    observer.close().await.ok();
    locker.close().await.ok();
}
