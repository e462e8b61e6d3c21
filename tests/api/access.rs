//! Access control: the permission matrix over every root field of the schema, tokens, personal
//! data, the audit log, rate limits and introspection.

use entity::enums::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{fixtures, Backend, TestApp};

/// Fields only ADMIN may use.
const ADMIN_FIELDS: &[&str] = &[
    "apiTokens",
    "auditEvents",
    "createApiToken",
    "revokeApiToken",
    "webhookEndpoints",
    "webhookDeliveries",
    "registerWebhookEndpoint",
    "disableWebhookEndpoint",
    "redeliverWebhookDelivery",
];
/// Aggregate fields that REPORTER may use too.
const REPORT_FIELDS: &[&str] = &[
    "cycleReport",
    "partnerOverview",
    "programmeOverview",
    "upcomingIterations",
    "waitlists",
    "reportCycles",
    "changes",
    "cycleCostReport",
    "evaluationReport",
];

const TYPE_REF: &str = "fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// What the policy says a role may do with a root field.
fn allowed(role: Option<Role>, field: &str, is_mutation: bool) -> bool {
    let Some(role) = role else { return false };
    if ADMIN_FIELDS.contains(&field) {
        return role == Role::Admin;
    }
    if REPORT_FIELDS.contains(&field) {
        return true;
    }
    if is_mutation {
        return matches!(role, Role::Admin | Role::ProgrammeOfficer);
    }
    matches!(role, Role::Admin | Role::ProgrammeOfficer | Role::Analyst)
}

/// A literal of the given (introspected) type, for the required arguments.
fn literal(ty: &Value, types: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => literal(&ty["ofType"], types),
        Some("LIST") => "[]".into(),
        Some("ENUM") => {
            let def = types
                .as_array()
                .and_then(|t| t.iter().find(|d| d["name"] == ty["name"]))
                .expect("enum");
            def["enumValues"][0]["name"]
                .as_str()
                .expect("value")
                .to_owned()
        }
        Some("INPUT_OBJECT") => {
            let def = types
                .as_array()
                .and_then(|t| t.iter().find(|d| d["name"] == ty["name"]))
                .expect("input");
            let fields: Vec<String> = def["inputFields"]
                .as_array()
                .expect("fields")
                .iter()
                .filter(|f| f["type"]["kind"] == "NON_NULL" && f["defaultValue"].is_null())
                .map(|f| {
                    format!(
                        "{}: {}",
                        f["name"].as_str().unwrap_or_default(),
                        literal(&f["type"], types)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        _ => match ty["name"].as_str() {
            Some("Int") => "1".into(),
            Some("Float") => "1.5".into(),
            Some("Boolean") => "true".into(),
            Some("Date") => "\"2024-01-01\"".into(),
            Some("DateTime") => "\"2030-01-01T00:00:00Z\"".into(),
            _ => "\"1\"".into(),
        },
    }
}

fn named_kind(ty: &Value) -> &str {
    if ty["ofType"].is_null() {
        ty["kind"].as_str().unwrap_or_default()
    } else {
        named_kind(&ty["ofType"])
    }
}

/// Every root field of the schema with a minimal document calling it.
async fn root_operations(app: &TestApp) -> Vec<(String, bool, String)> {
    let query = format!(
        "{{ __schema {{ queryType {{ fields {{ name args {{ name type {{ ...T }} }} type {{ ...T }} }} }}
            mutationType {{ fields {{ name args {{ name type {{ ...T }} }} type {{ ...T }} }} }}
            types {{ name kind enumValues {{ name }} inputFields {{ name defaultValue type {{ ...T }} }} }} }} }} {TYPE_REF}"
    );
    let schema = app.ok(&query, json!({})).await;
    let types = &schema["__schema"]["types"];
    let mut ops = Vec::new();
    for (root, is_mutation) in [("queryType", false), ("mutationType", true)] {
        for field in schema["__schema"][root]["fields"]
            .as_array()
            .expect("fields")
        {
            let name = field["name"].as_str().expect("name").to_owned();
            let args: Vec<String> = field["args"]
                .as_array()
                .expect("args")
                .iter()
                .filter(|a| a["type"]["kind"] == "NON_NULL")
                .map(|a| {
                    format!(
                        "{}: {}",
                        a["name"].as_str().unwrap_or_default(),
                        literal(&a["type"], types)
                    )
                })
                .collect();
            let args = if args.is_empty() {
                String::new()
            } else {
                format!("({})", args.join(", "))
            };
            let selection = if named_kind(&field["type"]) == "OBJECT" {
                " { __typename }"
            } else {
                ""
            };
            let keyword = if is_mutation { "mutation" } else { "query" };
            ops.push((
                name.clone(),
                is_mutation,
                format!("{keyword} {{ {name}{args}{selection} }}"),
            ));
        }
    }
    ops
}

async fn every_root_field_allows_exactly_the_roles_the_policy_names(app: TestApp) {
    let ops = root_operations(&app).await;
    assert!(
        ops.len() > 40,
        "the schema's root fields were enumerated ({})",
        ops.len()
    );
    let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
    for role in [
        Role::Admin,
        Role::ProgrammeOfficer,
        Role::Analyst,
        Role::Reporter,
    ] {
        callers.push((Some(role), Some(app.token_for(role).await)));
    }
    for (field, is_mutation, document) in &ops {
        for (role, token) in &callers {
            let (status, body) = app.gql_as(token.as_deref(), document, json!({})).await;
            assert!(status.is_success(), "{role:?} {document}: HTTP {status}");
            let codes: Vec<&str> = body["errors"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .filter_map(|e| e["extensions"]["code"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let refused = codes
                .iter()
                .any(|c| *c == "FORBIDDEN" || *c == "UNAUTHENTICATED");
            let expected = allowed(*role, field, *is_mutation);
            assert_eq!(!refused, expected, "{role:?} on {field}: {body}");
            if refused {
                let code = if role.is_none() {
                    "UNAUTHENTICATED"
                } else {
                    "FORBIDDEN"
                };
                assert!(codes.contains(&code), "{role:?} on {field}: {body}");
            }
        }
    }
}

async fn anonymous_callers_get_nothing_but_typename(app: TestApp) {
    let (status, body) = app.gql_as(None, "{ __typename }", json!({})).await;
    assert_eq!(
        (status, &body["data"]["__typename"]),
        (StatusCode::OK, &json!("QueryRoot"))
    );
    let (_, body) = app
        .gql_as(None, "{ partners { totalCount } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (_, body) = app
        .gql_as(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        body["data"].is_null() && body["errors"].is_array(),
        "introspection refused: {body}"
    );
}

async fn a_bad_revoked_or_expired_token_gets_401(app: TestApp) {
    let (status, body) = app
        .gql_as(Some("ipcp_not-a-token"), "{ __typename }", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let created = app
        .ok("mutation { createApiToken(input: {name: \"job\", role: ANALYST}) { secret token { id name role prefix } } }", json!({}))
        .await;
    let secret = created["createApiToken"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(secret.starts_with(
        created["createApiToken"]["token"]["prefix"]
            .as_str()
            .expect("prefix")
    ));
    assert_eq!(
        app.gql_as(Some(&secret), "{ partners { totalCount } }", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    app.ok(
        "mutation { revokeApiToken(token: \"job\") { revokedAt } }",
        json!({}),
    )
    .await;
    assert_eq!(
        app.gql_as(Some(&secret), "{ partners { totalCount } }", json!({}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let code = app
        .error_code("mutation { createApiToken(input: {name: \"old\", role: ANALYST, expiresAt: \"2001-01-01T00:00:00Z\"}) { secret } }", json!({}))
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
    // A token that expired since it was created.
    let db = app.db().await;
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    let cli = ipcp::service::uow::Actor::cli("token");
    let expiring =
        ipcp::service::token::create(&db, &cli, "create", "short", Role::Admin, Some(soon))
            .await
            .expect("token");
    db.conn.close().await.ok();
    assert_eq!(
        app.gql_as(Some(&expiring.secret), "{ __typename }", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        app.gql_as(Some(&expiring.secret), "{ __typename }", json!({}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

/// A token revoked elsewhere (another instance, `ipcp token revoke`) is refused once this instance's
/// trust in it lapses: within `CALLER_CACHE_TTL`, not at once.
async fn a_token_revoked_outside_the_instance_is_refused_within_the_cache_ttl(app: TestApp) {
    let db = app.db().await;
    let cli = ipcp::service::uow::Actor::cli("token");
    let token = ipcp::service::token::create(&db, &cli, "create", "elsewhere", Role::Analyst, None)
        .await
        .expect("token");
    assert_eq!(
        app.gql_as(Some(&token.secret), "{ __typename }", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    ipcp::service::token::revoke(&db, &cli, "revoke", "elsewhere")
        .await
        .expect("revoke");
    db.conn.close().await.ok();
    let revoked = std::time::Instant::now();
    let ttl = ipcp::service::token::CALLER_CACHE_TTL;
    loop {
        let status = app
            .gql_as(Some(&token.secret), "{ __typename }", json!({}))
            .await
            .0;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            revoked.elapsed() < ttl + std::time::Duration::from_secs(2),
            "a revoked token still works {:?} after its revocation",
            revoked.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn tokens_are_stored_only_as_hashes(app: TestApp) {
    let created = app
        .ok(
            "mutation { createApiToken(input: {name: \"job\", role: REPORTER}) { secret } }",
            json!({}),
        )
        .await;
    let secret = created["createApiToken"]["secret"]
        .as_str()
        .expect("secret");
    let sql = format!(
        "SELECT COUNT(*) FROM api_token WHERE token_hash = '{secret}' OR prefix = '{secret}'"
    );
    assert_eq!(app.sql_count(&sql).await, 0);
    let audit = app
        .ok(
            "{ auditEvents(entity: \"api_token\") { edges { node { after } } } }",
            json!({}),
        )
        .await;
    let text = audit.to_string();
    assert!(
        !text.contains(secret) && !text.contains(&ipcp::service::token::hash(secret)),
        "{text}"
    );
}

async fn personal_data_is_null_for_analysts_and_reporters_cannot_read_records(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    fixtures::officer(&app, &partner, Some("3321")).await;
    let q = "{ officers { edges { node { id familyName givenName position slp rank service } } } }";
    let officer = app.token_for(Role::ProgrammeOfficer).await;
    let (_, body) = app.gql_as(Some(&officer), q, json!({})).await;
    assert_eq!(
        body["data"]["officers"]["edges"][0]["node"]["familyName"],
        "Officer"
    );
    assert_eq!(body["data"]["officers"]["edges"][0]["node"]["slp"], "3321");
    let analyst = app.token_for(Role::Analyst).await;
    let (_, body) = app.gql_as(Some(&analyst), q, json!({})).await;
    let node = &body["data"]["officers"]["edges"][0]["node"];
    assert!(
        node["id"].is_string() && node["rank"] == "Captain",
        "{body}"
    );
    for field in ["familyName", "givenName", "position", "slp"] {
        assert!(
            node[field].is_null(),
            "{field} visible to an analyst: {body}"
        );
    }
    let reporter = app.token_for(Role::Reporter).await;
    let (_, body) = app.gql_as(Some(&reporter), q, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

async fn every_successful_mutation_writes_one_audit_event_and_a_failed_one_none(app: TestApp) {
    let officer = app.token_for(Role::ProgrammeOfficer).await;
    let (_, body) = app
        .gql_as(
            Some(&officer),
            "mutation { createPartner(input: {code: \"TKM\", name: \"Turkmenistan\"}) { id } }",
            json!({}),
        )
        .await;
    let id = body["data"]["createPartner"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, body) = app
        .gql_as(Some(&officer), "mutation($id: ID!) { updatePartner(input: {id: $id, version: 1, notes: \"neutral\"}) { version } }", json!({ "id": id }))
        .await;
    assert_eq!(body["data"]["updatePartner"]["version"], 2);
    let failed = [
        "mutation { createPartner(input: {code: \"TKM\", name: \"Again\"}) { id } }",
        "mutation { updatePartner(input: {id: \"1\", version: 1, notes: \"stale\"}) { version } }",
        "mutation { createPartner(input: {code: \"T\", name: \"Bad\"}) { id } }",
    ];
    for q in failed {
        let (_, body) = app.gql_as(Some(&officer), q, json!({})).await;
        assert!(body["errors"].is_array(), "{q} must fail");
    }
    // The test's tokens were created through the unit of work too (`api_token` events).
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM audit_event WHERE entity <> 'api_token'")
            .await,
        2
    );
    let events = app
        .ok("{ auditEvents(entity: \"partner\") { edges { node { actor action entity entityId before after requestId occurredAt } } } }", json!({}))
        .await;
    let edges = events["auditEvents"]["edges"].as_array().expect("edges");
    let (create, update) = (&edges[0]["node"], &edges[1]["node"]);
    assert_eq!(
        (create["action"].as_str(), create["entity"].as_str()),
        (Some("createPartner"), Some("partner"))
    );
    assert!(create["before"].is_null());
    assert_eq!(create["after"]["code"], "TKM");
    assert_eq!(update["before"]["notes"], Value::Null);
    assert_eq!(update["after"]["notes"], "neutral");
    assert_eq!(update["entityId"], json!(id));
    assert!(update["actor"]
        .as_str()
        .unwrap_or_default()
        .starts_with("test-"));
    assert!(update["requestId"].as_str().is_some_and(|r| !r.is_empty()));
}

async fn the_audit_log_cannot_be_changed(app: TestApp) {
    fixtures::partner(&app, "TKM").await;
    let conn = sea_orm::Database::connect(&app.database.url)
        .await
        .expect("connect");
    use sea_orm::ConnectionTrait;
    assert!(conn
        .execute_unprepared("UPDATE audit_event SET actor = 'someone else'")
        .await
        .is_err());
    assert!(conn
        .execute_unprepared("DELETE FROM audit_event")
        .await
        .is_err());
    conn.close().await.ok();
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM audit_event WHERE actor = 'test-admin'")
            .await,
        1
    );
}

async fn the_token_cli_prints_the_secret_alone_on_the_last_line(app: TestApp) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args([
            "token",
            "create",
            "--name",
            "nightly-report",
            "--role",
            "reporter",
        ])
        .env("DATABASE_URL", &app.database.url)
        .env("RUST_LOG", "error")
        .output()
        .expect("ran");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let secret = stdout.lines().last().expect("a line").trim().to_owned();
    assert!(
        secret.starts_with("ipcp_") && !secret.contains(' '),
        "{stdout}"
    );
    let (status, body) = app
        .gql_as(Some(&secret), "{ partners { totalCount } }", json!({}))
        .await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (StatusCode::OK, Some("FORBIDDEN"))
    );
    let list = std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(["token", "list"])
        .env("DATABASE_URL", &app.database.url)
        .output()
        .expect("ran");
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(
        listing.contains("nightly-report")
            && listing.contains("REPORTER")
            && !listing.contains(&secret)
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(["token", "create", "--name", "x", "--role", "emperor"])
        .env("DATABASE_URL", &app.database.url)
        .output()
        .expect("ran");
    assert!(!bad.status.success());
}

async fn introspection_is_for_admins_only(app: TestApp) {
    let q = "{ __schema { queryType { name } } }";
    assert_eq!(
        app.ok(q, json!({})).await["__schema"]["queryType"]["name"],
        "QueryRoot"
    );
    let analyst = app.token_for(Role::Analyst).await;
    let (_, body) = app.gql_as(Some(&analyst), q, json!({})).await;
    assert!(
        body["errors"].is_array() && body["data"].is_null(),
        "{body}"
    );
}

async fn validation_errors_give_no_suggestions(app: TestApp) {
    let body = app.gql("{ partnerz { totalCount } }", json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(!message.contains("Did you mean"), "{message}");
}

async fn a_batch_that_writes_gets_one_audit_event_and_a_refused_batch_none(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-1", None).await;
    let iteration = fixtures::iteration(&app, &course, "2090-03-01", "2090-03-05", 5, None).await;
    let (a, b) = (
        fixtures::officer(&app, &partner, None).await,
        fixtures::officer(&app, &partner, None).await,
    );
    let q = "mutation($rows: [EnrollmentRowInput!]!) { recordEnrollments(rows: $rows) { committed applied refused } }";
    let events = |app: &TestApp| {
        let url = app.database.url.clone();
        async move {
            let conn = sea_orm::Database::connect(&url).await.expect("connect");
            use sea_orm::ConnectionTrait;
            let row = conn
                .query_one_raw(sea_orm::Statement::from_string(
                    conn.get_database_backend(),
                    "SELECT COUNT(*) FROM audit_event WHERE action = 'recordEnrollments'"
                        .to_owned(),
                ))
                .await
                .expect("query")
                .expect("row");
            row.try_get_by_index::<i64>(0).expect("count")
        }
    };
    let refused = app
        .ok(
            q,
            json!({ "rows": [
            { "iterationId": iteration, "officerId": a, "action": "NOMINATE" },
            { "iterationId": iteration, "officerId": "999", "action": "NOMINATE" },
        ] }),
        )
        .await;
    assert_eq!(refused["recordEnrollments"]["committed"], false);
    assert_eq!(events(&app).await, 0);
    let applied = app
        .ok(
            q,
            json!({ "rows": [
            { "iterationId": iteration, "officerId": a, "action": "NOMINATE" },
            { "iterationId": iteration, "officerId": b, "action": "NOMINATE" },
        ] }),
        )
        .await;
    assert_eq!(applied["recordEnrollments"]["applied"], 2);
    assert_eq!(events(&app).await, 1);
    let log = app
        .ok(
            "{ auditEvents(entity: \"enrollment\") { edges { node { action after } } } }",
            json!({}),
        )
        .await;
    let after = &log["auditEvents"]["edges"][0]["node"]["after"]["applied"];
    assert_eq!(after.as_array().map(Vec::len), Some(2), "{log}");
}

crate::on_both_backends!(
    a_batch_that_writes_gets_one_audit_event_and_a_refused_batch_none,
    every_root_field_allows_exactly_the_roles_the_policy_names,
    anonymous_callers_get_nothing_but_typename,
    a_bad_revoked_or_expired_token_gets_401,
    a_token_revoked_outside_the_instance_is_refused_within_the_cache_ttl,
    tokens_are_stored_only_as_hashes,
    personal_data_is_null_for_analysts_and_reporters_cannot_read_records,
    every_successful_mutation_writes_one_audit_event_and_a_failed_one_none,
    the_audit_log_cannot_be_changed,
    the_token_cli_prints_the_secret_alone_on_the_last_line,
    introspection_is_for_admins_only,
    validation_errors_give_no_suggestions,
);

#[tokio::test]
async fn a_token_over_its_rate_budget_gets_429_with_retry_after_and_recovers() {
    let serve = ipcp::config::ServeArgs {
        rate_limit_per_second: 2,
        rate_limit_burst: 3,
        ..Default::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, serve).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..6 {
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("sent");
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers().get("content-type").is_some());
            retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
        }
        statuses.push(res.status());
    }
    assert!(
        statuses[..3].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let wait: u64 = retry_after.expect("Retry-After").parse().expect("seconds");
    assert!((1..=2).contains(&wait));
    // Another token has its own budget.
    let other = app.token_for(Role::Analyst).await;
    assert_eq!(
        app.gql_as(Some(&other), "{ __typename }", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    assert_eq!(
        app.gql_as(Some(&app.admin_token), "{ __typename }", json!({}))
            .await
            .0,
        StatusCode::OK
    );
}
