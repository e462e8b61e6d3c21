//! Hostile input: more than a hundred malicious or malformed requests. Each gets a clean answer with
//! a code, never a 5xx, a panic or database text, and the database is left as it was (text that is
//! merely unusual is stored verbatim, as data).

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{fixtures, TestApp};

const LEAKS: &[&str] = &[
    "sqlx",
    "SQLITE",
    "sqlite",
    "syntax error at",
    "constraint",
    "relation \"",
    "panicked",
    "DbErr",
];

const INJECTIONS: &[&str] = &[
    "'; DROP TABLE partner; --",
    "\" OR 1=1 --",
    "%' OR '1'='1",
    "Robert'); DROP TABLE officer;--",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "${jndi:ldap://127.0.0.1/a}",
    "{{7*7}}",
    "../../../../etc/passwd",
    "1; SELECT pg_sleep(10)",
    "' UNION SELECT token_hash FROM api_token --",
    "\\\\x00\\\\",
];

struct Case {
    name: String,
    status: StatusCode,
    body: String,
}

impl Case {
    /// The start of the body, for failure messages.
    fn excerpt(&self) -> String {
        self.body.chars().take(400).collect()
    }
}

fn check(case: &Case) {
    assert!(
        case.status.as_u16() < 500,
        "{}: HTTP {}: {}",
        case.name,
        case.status,
        case.excerpt()
    );
    for leak in LEAKS {
        assert!(
            !case.body.contains(leak),
            "{}: leaked {leak:?}: {}",
            case.name,
            case.excerpt()
        );
    }
}

fn check_refused(case: &Case) {
    check(case);
    let body: Value = serde_json::from_str(&case.body).unwrap_or(Value::Null);
    let code = body["errors"][0]["extensions"]["code"].as_str();
    assert!(
        code.is_some_and(|c| !c.is_empty() && c != "INTERNAL_SERVER_ERROR"),
        "{}: no clean code: {}",
        case.name,
        case.excerpt()
    );
}

async fn post(app: &TestApp, name: &str, body: String, content_type: &str) -> Case {
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: not answered: {e}"));
    Case {
        name: name.to_owned(),
        status: res.status(),
        body: res.text().await.unwrap_or_default(),
    }
}

async fn gql(app: &TestApp, name: &str, query: &str, variables: Value) -> Case {
    post(
        app,
        name,
        json!({ "query": query, "variables": variables }).to_string(),
        "application/json",
    )
    .await
}

async fn table_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "partner",
        "programme_cycle",
        "course",
        "course_iteration",
        "officer",
        "enrollment",
        "activity",
        "api_token",
    ] {
        counts.push(
            app.sql_count(&format!("SELECT COUNT(*) FROM {table}"))
                .await,
        );
    }
    counts
}

async fn hostile_requests_get_clean_coded_errors_and_change_nothing(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let before = table_counts(&app).await;
    let mut cases = 0usize;

    // Shapes meant to exhaust the server.
    let deep = format!(
        "{{ {}__typename{} }}",
        "partners { edges { node { cycles { partner { ".repeat(10),
        " } } } } }".repeat(10)
    );
    let aliases = format!(
        "{{ {} }}",
        (0..1000)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let duplicated = format!("{{ partners {{ {} }} }}", "totalCount ".repeat(6000));
    let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(50));
    let circular = format!(
        "{{ __schema {{ types {{ {}name{} }} }} }}",
        "fields { type { ".repeat(8),
        " } }".repeat(8)
    );
    let fragments =
        "query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }";
    for (name, query) in [
        ("deep nesting", deep.as_str()),
        ("1,000 aliases", aliases.as_str()),
        ("field duplication", duplicated.as_str()),
        ("directive overloading", directives.as_str()),
        ("circular introspection", circular.as_str()),
        ("circular fragments", fragments),
        ("unknown field", "{ partnerz { id } }"),
        ("syntax error", "{ partners { "),
        ("empty query", ""),
        ("only a comment", "# nothing"),
        ("two anonymous operations", "{ __typename } { __typename }"),
        (
            "operation name required",
            "query A { __typename } query B { __typename }",
        ),
        ("subscription", "subscription { __typename }"),
        ("huge page", "{ partners(first: 1000000) { totalCount } }"),
        ("negative page", "{ partners(first: -1) { totalCount } }"),
        (
            "first and last",
            "{ partners(first: 1, last: 1) { totalCount } }",
        ),
        (
            "bad cursor",
            "{ partners(after: \"'; DROP TABLE partner; --\") { totalCount } }",
        ),
        ("wrong type", "{ partners(first: \"ten\") { totalCount } }"),
        (
            "wrong enum",
            "{ programmeCycles(status: RUNNING) { totalCount } }",
        ),
        ("missing argument", "{ programmeCycle { id } }"),
        ("null for non-null", "{ programmeCycle(id: null) { id } }"),
    ] {
        let case = gql(&app, name, query, json!({})).await;
        if name == "only a comment" || name == "empty query" {
            check(&case);
        } else {
            check_refused(&case);
        }
        cases += 1;
    }

    // Transport-level abuse.
    let batch = post(
        &app,
        "batch array",
        json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(batch.status, StatusCode::BAD_REQUEST);
    check_refused(&batch);
    let mutation = "mutation { createPartner(input: {code: \"AAA\", name: \"x\"}) { id } }";
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/graphql",
        "",
        "application/json-patch+json",
    ] {
        let case = post(
            &app,
            &format!("content type {content_type:?}"),
            json!({ "query": mutation }).to_string(),
            content_type,
        )
        .await;
        assert_eq!(
            case.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        check_refused(&case);
        cases += 1;
    }
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .query(&[("query", mutation)])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    cases += 2;
    // On its own connection: the server answers 413 without reading the body and closes the
    // connection, and a pooled connection closed under the next request fails it.
    let oversized = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(format!("{{\"query\": \"# {}\"}}", "x".repeat(1_100_000)))
        .send()
        .await
        .expect("oversized body sent");
    assert_eq!(oversized.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for (name, body) in [
        ("not json", "{{{"),
        ("json string", "\"{ __typename }\""),
        ("json number", "42"),
        ("query not a string", "{\"query\": 42}"),
        (
            "variables not an object",
            "{\"query\": \"{ __typename }\", \"variables\": [1]}",
        ),
        (
            "deeply nested json",
            &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        ("invalid utf-8 escape", "{\"query\": \"\\ud800\"}"),
    ] {
        let case = post(&app, name, body.to_owned(), "application/json").await;
        check_refused(&case);
        cases += 1;
    }

    // Injection strings in text inputs that are refused (by a format rule, a stale version, an
    // unknown record) or only read: never executed. Accepted ones are stored verbatim: see below.
    for (i, evil) in INJECTIONS.iter().enumerate() {
        let vars = json!({ "evil": evil, "p": partner, "code": format!("X{}", i) });
        for (name, query) in [
            ("partner code", "mutation($evil: String!) { createPartner(input: {code: $evil, name: \"n\"}) { name } }"),
            ("partner notes", "mutation($evil: String!) { updatePartner(input: {id: \"1\", version: 999, notes: $evil}) { notes } }"),
            ("course title", "mutation($evil: String!, $code: String!) { createCourse(input: {code: $code, title: $evil, topic: OTHER, organiser: $evil, delivery: DISTANCE, durationDays: 1, minSlp: $evil}) { title } }"),
            ("officer names", "mutation($evil: String!, $p: ID!) { createOfficer(input: {partnerId: $p, familyName: $evil, givenName: $evil, rank: $evil, service: ARMY, slp: $evil}) { id } }"),
            ("search", "query($evil: String!) { partners(search: $evil) { totalCount } courses(search: $evil, organiser: $evil) { totalCount } }"),
            ("area code", "mutation($evil: String!) { createCooperationArea(input: {code: $evil, name: $evil, description: $evil}) { id } }"),
            ("id", "query($evil: ID!) { partner(id: $evil) { id } }"),
            ("code lookup", "query($evil: String!) { partner(code: $evil) { id } }"),
        ] {
            let case = gql(&app, &format!("{name} with {evil:?}"), query, vars.clone()).await;
            if name == "search" {
                check(&case);
                let body: Value = serde_json::from_str(&case.body).unwrap_or(Value::Null);
                assert_eq!(body["data"]["partners"]["totalCount"], 0, "{evil}: {}", case.excerpt());
            } else {
                check_refused(&case);
            }
            cases += 1;
        }
    }

    // Huge strings and control characters.
    let huge = "x".repeat(100_000);
    for (name, value) in [
        ("huge string", huge.as_str()),
        ("null byte", "a\u{0}b"),
        ("bell", "a\u{7}b"),
        ("only spaces", "   "),
    ] {
        let case = gql(
            &app,
            name,
            "mutation($v: String!) { createPartner(input: {code: \"QQQ\", name: $v}) { id } }",
            json!({ "v": value }),
        )
        .await;
        check_refused(&case);
        cases += 1;
    }

    // Invalid dates and ids.
    for date in [
        "2024-13-01",
        "2024-02-30",
        "2023-02-29",
        "yesterday",
        "",
        "01/02/2024",
        "2024-01-01T00:00:00Z",
        "99999-01-01",
        "-2024-01-01",
        "2024-1-",
    ] {
        let case = gql(
            &app,
            &format!("date {date:?}"),
            "mutation($p: ID!, $d: Date!) { createProgrammeCycle(input: {partnerId: $p, kind: IPCP, startDate: $d}) { id } }",
            json!({ "p": partner, "d": date }),
        )
        .await;
        check_refused(&case);
        cases += 1;
    }
    for id in [
        "",
        "0",
        "-1",
        "abc",
        "1e9",
        "99999999999999999999",
        "1; DROP TABLE partner",
        "１",
        "0x10",
        " 1",
    ] {
        let case = gql(
            &app,
            &format!("id {id:?}"),
            "query($id: ID!) { programmeCycle(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
        check_refused(&case);
        cases += 1;
    }

    assert!(cases >= 100, "only {cases} hostile cases");
    assert_eq!(
        table_counts(&app).await,
        before,
        "a hostile request changed the database"
    );
    let names = app
        .ok("{ partners { edges { node { name } } } }", json!({}))
        .await;
    assert_eq!(names["partners"]["edges"].as_array().map(Vec::len), Some(1));
}

async fn injection_strings_are_stored_as_data_verbatim(app: TestApp) {
    for (i, evil) in INJECTIONS.iter().enumerate() {
        let code = format!(
            "{}{}{}",
            (b'A' + i as u8) as char,
            (b'A' + i as u8) as char,
            (b'A' + i as u8) as char
        );
        let data = app
            .ok("mutation($c: String!, $n: String!) { createPartner(input: {code: $c, name: $n, notes: $n}) { name notes } }", json!({ "c": code, "n": evil }))
            .await;
        assert_eq!(data["createPartner"]["name"], json!(evil.trim()));
    }
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM partner").await,
        INJECTIONS.len() as i64
    );
}

crate::on_both_backends!(
    hostile_requests_get_clean_coded_errors_and_change_nothing,
    injection_strings_are_stored_as_data_verbatim
);
