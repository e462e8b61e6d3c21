//! GraphQL over HTTP: media types, status codes, probes.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{days_from_today, fixtures, TestApp};

async fn a_mutation_over_get_is_refused_with_405_and_does_not_run(app: TestApp) {
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            "mutation { createPartner(input: {code: \"TKM\", name: \"T\"}) { id } }",
        )])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        res.headers()
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM partner").await, 0);
}

async fn a_query_over_get_runs(app: TestApp) {
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .query(&[("query", "{ partners(first: 1) { totalCount } }")])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["data"]["partners"]["totalCount"], 0);
}

async fn a_post_that_is_not_json_gets_415(app: TestApp) {
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .header(header::CONTENT_TYPE, content_type)
            .body("{\"query\":\"mutation { createPartner(input: {code: \\\"TKM\\\", name: \\\"T\\\"}) { id } }\"}")
            .send()
            .await
            .expect("sent");
        assert_eq!(
            res.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
    }
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM partner").await, 0);
}

async fn a_body_over_the_limit_gets_413(app: TestApp) {
    let padding = "x".repeat(1_100_000);
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": format!("# {padding}\n{{ partners {{ totalCount }} }}") }))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

async fn a_malformed_body_gets_400_with_a_coded_error(app: TestApp) {
    for body in [
        "{not json",
        "[{\"query\": \"{ __typename }\"}]",
        "{\"variables\": {}}",
    ] {
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let json: Value = res.json().await.expect("json");
        assert_eq!(json["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

async fn graphql_response_json_gets_400_for_a_request_error_and_200_for_a_field_error(
    app: TestApp,
) {
    let send = |query: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .header(header::ACCEPT, "application/graphql-response+json")
            .json(&json!({ "query": query }))
            .send()
    };
    let res = send("{ partners { nope } }").await.expect("sent");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/graphql-response+json")
    );
    let body: Value = res.json().await.expect("json");
    assert!(body.get("data").is_none());
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    let res = send("{ partner(id: \"9\") { id } }").await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    // Plain application/json: 200 for a request the server understood.
    let body = app.gql("{ partners { nope } }", json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

async fn a_syntax_error_gets_a_parse_code(app: TestApp) {
    let body = app.gql("{ partners { ", json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED",
        "{body}"
    );
}

async fn health_and_readiness_answer(app: TestApp) {
    for path in ["/healthz", "/readyz"] {
        let res = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let res = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .expect("sent");
    assert!(res.text().await.unwrap_or_default().contains("graphiql"));
}

async fn a_connection_costs_its_page_size(app: TestApp) {
    let nested = "{ partners(first: 100) { edges { node { officers(first: 100) { edges { node { enrollments(first: 100) { totalCount } } } } } } } }";
    let body = app.gql(nested, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
    let small = "{ partners(first: 5) { edges { node { officers(first: 5) { edges { node { enrollments(first: 5) { totalCount } } } } } } } }";
    assert!(app.gql(small, json!({})).await["errors"].is_null());
}

async fn cors_is_off_unless_origins_are_configured(app: TestApp) {
    let preflight = |address: String| async move {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, format!("{address}/graphql"))
            .header("origin", "https://dashboard.example.org")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .expect("sent")
    };
    let res = preflight(app.address.clone()).await;
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let serve = ipcp::config::ServeArgs {
        cors_origins: vec!["https://dashboard.example.org".into()],
        ..Default::default()
    };
    let open = TestApp::spawn_with(app.database.backend, serve).await;
    let res = preflight(open.address.clone()).await;
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://dashboard.example.org")
    );
}

/// The server keeps parsed documents by query text: the same text must still be validated and run
/// with each request's own variables.
async fn the_same_query_text_runs_with_each_requests_variables(app: TestApp) {
    for (code, name) in [("TKM", "Turkmenistan"), ("KAZ", "Kazakhstan")] {
        app.ok(
            "mutation($c: String!, $n: String!) { createPartner(input: {code: $c, name: $n}) { id } }",
            json!({ "c": code, "n": name }),
        )
        .await;
    }
    let q = "query($c: String!) { partner(code: $c) { name } }";
    for (code, name) in [
        ("TKM", "Turkmenistan"),
        ("KAZ", "Kazakhstan"),
        ("TKM", "Turkmenistan"),
    ] {
        let data = app.ok(q, json!({ "c": code })).await;
        assert_eq!(data["partner"]["name"], name, "{code}");
    }
    let body = app.gql(q, json!({ "c": 5 })).await;
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    let data = app.ok(q, json!({ "c": "KAZ" })).await;
    assert_eq!(data["partner"]["name"], "Kazakhstan");
}

/// Found by fuzzing (`fuzz/main.rs`, http_bodies_and_variables): a required variable missing from
/// `variables` (absent or `{}`) answered INTERNAL_SERVER_ERROR; `variables` that are not an
/// object are refused before, with BAD_REQUEST.
async fn a_required_variable_that_is_not_given_gets_bad_user_input(app: TestApp) {
    let query = "query($id: ID!) { partner(id: $id) { id } }";
    for (variables, code) in [
        (json!(null), "BAD_USER_INPUT"),
        (json!({}), "BAD_USER_INPUT"),
        (json!({ "other": 1 }), "BAD_USER_INPUT"),
        (json!(5), "BAD_REQUEST"),
        (json!([]), "BAD_REQUEST"),
    ] {
        let body: Value = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "variables {variables}: {body:#}"
        );
    }
}

/// GraphQL's "Serialized Map Ordering": an answer keeps the order of the selection set at the
/// root and in every nested object, whatever order the fields finish in (some here wait on
/// DataLoaders, some are columns already read). The same query 100 times gives the same bytes.
async fn answers_keep_the_selection_order_at_every_level(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    fixtures::cycle(&app, &partner, "IPCP", &days_from_today(30)).await;
    app.ok(
        "mutation($p: ID!, $d: Date!) { createPartnershipMilestone(input: {partnerId: $p, framework: PFP, occurredOn: $d, description: \"Joined\"}) { id } }",
        json!({ "p": partner, "d": days_from_today(-3000) }),
    )
    .await;
    let query = "{ z: partner(code: \"TKM\") { code activeCycle { kind } milestones { framework } name cycles { status kind } } \
                 a: partners(first: 5) { totalCount edges { node { name code } } } \
                 m: partner(code: \"TKM\") { name code __typename } }";
    let expected = concat!(
        r#"{"data":{"#,
        r#""z":{"code":"TKM","activeCycle":null,"milestones":[{"framework":"PFP"}],"name":"Partner","cycles":[{"status":"DRAFT","kind":"IPCP"}]},"#,
        r#""a":{"totalCount":1,"edges":[{"node":{"name":"Partner","code":"TKM"}}]},"#,
        r#""m":{"name":"Partner","code":"TKM","__typename":"Partner"}"#,
        r#"}}"#
    );
    for attempt in 0..100 {
        let body = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("request sent")
            .text()
            .await
            .expect("body");
        assert_eq!(body, expected, "answer {attempt} out of selection order");
    }
}

crate::on_both_backends!(
    a_required_variable_that_is_not_given_gets_bad_user_input,
    answers_keep_the_selection_order_at_every_level,
    cors_is_off_unless_origins_are_configured,
    a_connection_costs_its_page_size,
    a_mutation_over_get_is_refused_with_405_and_does_not_run,
    a_query_over_get_runs,
    a_post_that_is_not_json_gets_415,
    a_body_over_the_limit_gets_413,
    a_malformed_body_gets_400_with_a_coded_error,
    graphql_response_json_gets_400_for_a_request_error_and_200_for_a_field_error,
    a_syntax_error_gets_a_parse_code,
    the_same_query_text_runs_with_each_requests_variables,
    health_and_readiness_answer,
);
