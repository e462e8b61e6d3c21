//! Fuzzing on the stable toolchain: proptest generators run against the parsers of untrusted text
//! (cursors, SLP profiles, dates, idempotency keys, the CSV import) and, black-box, against a
//! running server (HTTP bodies and GraphQL variables, generated GraphQL documents).
//!
//! Each target runs for `IPCP_FUZZ_SECONDS` (default 30: the smoke run of `scripts/test`), in
//! rounds of fresh random cases; `scripts/fuzz [SECONDS]` runs every target that long. A failure
//! is shrunk by proptest to a minimal case and printed; add it as a regression case below.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed run

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::time::{Duration, Instant};

use async_graphql::ScalarType;
use entity::enums::Role;
use helpers::{Backend, TestApp};
use ipcp::{
    graphql::scalars::Date,
    service::{bulk, idempotency, paging::Cursor, slp},
};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use serde_json::{json, Value};

/// Runs `test` on fresh random cases from `strategy` until the time budget is spent; panics with
/// the shrunk minimal case on the first failure.
fn fuzz<S: Strategy>(
    target: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let seconds = std::env::var("IPCP_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut cases = 0u64;
    while Instant::now() < deadline {
        let mut runner = TestRunner::new(Config {
            cases: 32,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("fuzz target {target} failed after {cases} cases: {e}");
        }
        cases += 32;
    }
    eprintln!("fuzz target {target}: {cases} cases in {seconds} s, no failure");
}

/// Text that parsers meet: arbitrary Unicode, and printable ASCII with the separators they split on.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,64}",
        "[0-9+:,;\"\\n\\r a-zA-Z-]{0,64}",
    ]
}

#[test]
fn cursor_decoding() {
    let cursor = (
        1..i32::MAX,
        prop_oneof![
            Just(None),
            any::<String>().prop_map(|s| Some(ipcp::service::paging::SortKey::Text(s))),
            (0i64..200_000).prop_map(|d| Some(ipcp::service::paging::SortKey::Date(
                chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(d)
            ))),
        ],
    );
    fuzz(
        "cursor_decoding",
        (hostile_text(), any::<Vec<u8>>(), cursor),
        |(text, bytes, (id, key))| {
            // Never panics on any text, nor on base64 of any bytes.
            let _ = Cursor::decode(&text);
            use base64::Engine;
            let _ =
                Cursor::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes));
            // What the server encodes decodes to itself.
            let c = Cursor { key, id };
            prop_assert_eq!(Cursor::decode(&c.encode()), Some(c));
            Ok(())
        },
    );
}

#[test]
fn slp_profiles() {
    fuzz(
        "slp_profiles",
        (hostile_text(), "[0-5]\\+?[0-5]\\+?[0-5]\\+?[0-5]\\+?"),
        |(text, valid)| {
            if let Ok(normal) = slp::normalise("slp", &text) {
                // Normalising is idempotent.
                prop_assert_eq!(slp::normalise("slp", &normal).ok(), Some(normal));
            }
            prop_assert!(slp::Slp::parse("slp", &valid).is_ok(), "{} refused", valid);
            Ok(())
        },
    );
}

#[test]
fn dates() {
    fuzz("dates", hostile_text(), |text| {
        let parsed = Date::parse(async_graphql::Value::String(text.clone()));
        let expected = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .ok()
            .filter(|d| {
                use chrono::Datelike;
                (1900..=2200).contains(&d.year()) && text.len() == 10
            });
        prop_assert_eq!(parsed.as_ref().ok().map(|d| d.0), expected);
        if let Ok(d) = parsed {
            prop_assert_eq!(d.to_value(), async_graphql::Value::String(text));
        }
        Ok(())
    });
}

#[test]
fn idempotency_keys() {
    fuzz("idempotency_keys", hostile_text(), |key| {
        let valid =
            !key.is_empty() && key.len() <= 200 && key.chars().all(|c| c.is_ascii_graphic());
        prop_assert_eq!(idempotency::validate_key(&key).is_ok(), valid);
        Ok(())
    });
}

#[test]
fn csv_import() {
    let line = "[0-9A-Za-z,\" -]{0,40}";
    let csv = (
        prop_oneof![Just(bulk::CSV_COLUMNS.join(",")), hostile_text()],
        proptest::collection::vec(
            prop_oneof![line.prop_map(String::from), hostile_text()],
            0..8,
        ),
    )
        .prop_map(|(header, lines)| format!("{header}\n{}", lines.join("\n")));
    fuzz("csv_import", csv, |text| {
        // Never panics; a file is refused whole (bad header) or read row by row.
        if let Ok(rows) = bulk::parse_csv(&text) {
            // CSV ends a record at \n, \r\n or a lone \r.
            prop_assert!(rows.len() <= text.matches(['\n', '\r']).count() + 1);
        }
        Ok(())
    });
}

/// Text no answer may carry: database and runtime internals.
const INTERNAL: [&str; 8] = [
    "sqlx",
    "SELECT ",
    "INSERT ",
    "DbErr",
    "panicked",
    "SQLITE_",
    "pg_catalog",
    "RUST_BACKTRACE",
];

fn check_answer(status: u16, text: &str) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "status {} for {}", status, text);
    prop_assert!(
        !text.contains("INTERNAL_SERVER_ERROR"),
        "internal error: {}",
        text
    );
    for word in INTERNAL {
        prop_assert!(!text.contains(word), "leaks {}: {}", word, text);
    }
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A server without a rate limit: a long run sends more than a token's budget, and a fuzz case
/// answered 429 by the limiter tests nothing behind it.
async fn unlimited_app() -> TestApp {
    let serve = ipcp::config::ServeArgs {
        rate_limit_per_second: 0,
        ..Default::default()
    };
    TestApp::spawn_with(Backend::Sqlite, serve).await
}

#[test]
fn http_bodies_and_variables() {
    let rt = runtime();
    let app = rt.block_on(unlimited_app());
    let json_value = any::<i64>()
        .prop_map(Value::from)
        .boxed()
        .prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                hostile_text().prop_map(Value::from),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map("[a-z]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
    let body = prop_oneof![
        any::<Vec<u8>>(),
        (hostile_text(), json_value.clone()).prop_map(|(q, v)| {
            json!({ "query": q, "variables": v }).to_string().into_bytes()
        }),
        json_value.clone().prop_map(|v| {
            json!({ "query": "query($id: ID!, $s: String, $d: Date) { partner(id: $id) { id } partners(search: $s) { totalCount } activities(from: $d) { totalCount } }", "variables": v })
                .to_string()
                .into_bytes()
        }),
    ];
    fuzz("http_bodies_and_variables", body, |bytes| {
        let (status, text) = rt.block_on(async {
            let response = app
                .client
                .post(format!("{}/graphql", app.address))
                .bearer_auth(&app.admin_token)
                .header("content-type", "application/json")
                .body(bytes)
                .send()
                .await
                .expect("an answer");
            (
                response.status().as_u16(),
                response.text().await.unwrap_or_default(),
            )
        });
        check_answer(status, &text)
    });
}

/// Root fields with arguments a generator can fill; `$x` placeholders are replaced by values.
const OPERATIONS: [&str; 14] = [
    "query { partners(search: $s, first: $n, after: $s) { totalCount edges { cursor node { id code } } } }",
    "query { partner(code: $s) { id name activeCycle { id } } }",
    "query { partner(id: $s) { id } }",
    "query { courseIterations(search: $s, from: $s, to: $s, first: $n) { totalCount } }",
    "query { activities(search: $s, last: $n, before: $s) { totalCount } }",
    "query { cycleReport(cycleId: $s) { cycle { id } } }",
    "query { changes(after: $s, first: $n) { totalCount } }",
    "mutation { createPartner(input: {code: $s, name: $s, notes: $s}) { id } }",
    "mutation { createCourse(input: {code: $s, title: $s, topic: BORDER_SECURITY, organiser: $s, delivery: RESIDENTIAL, durationDays: $n, minSlp: $s}) { id } }",
    "mutation { createCooperationArea(input: {code: $s, name: $s, description: $s}) { id } }",
    "mutation { createProgrammeCycle(input: {partnerId: $s, kind: IPCP, startDate: $s}) { id } }",
    "mutation { nominateOfficer(input: {iterationId: $s, officerId: $s}) { id } }",
    "mutation { importEnrollmentsCsv(csv: $s) { applied } }",
    "mutation { updatePartner(input: {id: $s, version: $n, name: $s}) { id } }",
];

fn graphql_literal() -> impl Strategy<Value = (String, String)> {
    let text = hostile_text().prop_map(|s| serde_json::to_string(&s).unwrap());
    let number = prop_oneof![
        any::<i32>().prop_map(|n| n.to_string()),
        Just("null".into())
    ];
    (text, number)
}

#[test]
fn graphql_documents() {
    let rt = runtime();
    let app = rt.block_on(unlimited_app());
    rt.block_on(async {
        app.ok(
            "mutation { createPartner(input: {code: \"TKM\", name: \"Turkmenistan\"}) { id } }",
            json!({}),
        )
        .await;
    });
    let analyst = rt.block_on(app.token_for(Role::Analyst));
    let document = (
        0..OPERATIONS.len(),
        proptest::collection::vec(graphql_literal(), 8),
        any::<bool>(),
    );
    fuzz(
        "graphql_documents",
        document,
        |(op, literals, as_analyst)| {
            let mut text = OPERATIONS[op].to_owned();
            for (s, n) in &literals {
                text = text.replacen("$s", s, 1).replacen("$n", n, 1);
            }
            let text = text.replace("$s", "\"\"").replace("$n", "1");
            let token = if as_analyst {
                &analyst
            } else {
                &app.admin_token
            };
            rt.block_on(async {
                let mutation = text.starts_with("mutation");
                let before = if mutation {
                    Some(app.contents().await)
                } else {
                    None
                };
                let response = app
                    .client
                    .post(format!("{}/graphql", app.address))
                    .bearer_auth(token)
                    .json(&json!({ "query": text }))
                    .send()
                    .await
                    .expect("an answer");
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                check_answer(status, &body)?;
                // A refused mutation changes nothing.
                let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let refused = parsed["data"]
                    .as_object()
                    .is_none_or(|d| d.values().all(Value::is_null));
                if let (Some(before), true) = (before, refused) {
                    prop_assert!(
                        app.contents().await == before,
                        "a refused mutation changed the database: {} -> {}",
                        text,
                        body
                    );
                }
                Ok(())
            })
        },
    );
}
