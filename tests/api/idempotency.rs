//! Idempotency keys on mutations.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{fixtures, TestApp};

async fn send(app: &TestApp, key: &str, body: Value) -> (bool, Value) {
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .expect("sent");
    let replayed = res.headers().get("idempotent-replayed").is_some();
    (replayed, res.json().await.expect("json"))
}

const CREATE: &str = "mutation($code: String!) { createPartner(input: {code: $code, name: \"Turkmenistan\"}) { id code } }";

async fn a_replay_with_the_same_key_returns_the_first_result_and_does_nothing_again(app: TestApp) {
    let body = json!({ "query": CREATE, "variables": { "code": "TKM" } });
    let (replayed, first) = send(&app, "key-1", body.clone()).await;
    assert!(!replayed && first["errors"].is_null(), "{first}");
    let (replayed, second) = send(&app, "key-1", body).await;
    assert!(replayed);
    assert_eq!(first, second);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM partner").await, 1);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM audit_event WHERE entity = 'partner'")
            .await,
        1
    );
    // Without a key the same mutation runs again (and meets the unique code).
    let code = app.error_code(CREATE, json!({ "code": "TKM" })).await;
    assert_eq!(code, "DUPLICATE_CODE");
}

async fn the_same_key_with_another_payload_is_refused_and_changes_nothing(app: TestApp) {
    send(
        &app,
        "key-1",
        json!({ "query": CREATE, "variables": { "code": "TKM" } }),
    )
    .await;
    let (_, other) = send(
        &app,
        "key-1",
        json!({ "query": CREATE, "variables": { "code": "KAZ" } }),
    )
    .await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"],
        "IDEMPOTENCY_KEY_REUSED"
    );
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM partner").await, 1);
}

async fn a_refused_mutation_replays_its_refusal(app: TestApp) {
    let body = json!({ "query": CREATE, "variables": { "code": "T" } });
    let (_, first) = send(&app, "bad", body.clone()).await;
    assert_eq!(first["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let (replayed, second) = send(&app, "bad", body).await;
    assert!(replayed);
    assert_eq!(first, second);
}

async fn the_key_can_travel_in_the_request_extensions(app: TestApp) {
    let body = json!({ "query": CREATE, "variables": { "code": "TKM" }, "extensions": { "idempotencyKey": "ext-1" } });
    for _ in 0..3 {
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .json(&body)
            .send()
            .await
            .expect("sent");
        let json: Value = res.json().await.expect("json");
        assert!(json["errors"].is_null(), "{json}");
    }
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM partner").await, 1);
}

async fn twenty_concurrent_replays_of_one_key_give_one_effect(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "LOAC-1", None).await;
    let iteration = fixtures::iteration(
        &app,
        &course,
        &crate::helpers::days_from_today(60),
        &crate::helpers::days_from_today(64),
        10,
        None,
    )
    .await;
    let officer = fixtures::officer(&app, &partner, None).await;
    let body = json!({
        "query": "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id status } }",
        "variables": { "i": iteration, "o": officer },
    });
    let answers = join_all((0..20).map(|_| send(&app, "nominate-once", body.clone()))).await;
    let first = &answers[0].1;
    assert!(first["errors"].is_null(), "{first}");
    assert!(
        answers.iter().all(|(_, a)| a == first),
        "every replay answers the same"
    );
    assert_eq!(answers.iter().filter(|(replayed, _)| !replayed).count(), 1);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM enrollment").await, 1);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM course_iteration WHERE seats_held = 1")
            .await,
        1
    );
}

crate::on_both_backends!(
    a_replay_with_the_same_key_returns_the_first_result_and_does_nothing_again,
    the_same_key_with_another_payload_is_refused_and_changes_nothing,
    a_refused_mutation_replays_its_refusal,
    the_key_can_travel_in_the_request_extensions,
    twenty_concurrent_replays_of_one_key_give_one_effect,
);
