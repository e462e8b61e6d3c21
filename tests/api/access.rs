//! Access control: the permission matrix over every root field and subscription of the schema (for
//! each of the five callers, an allowed call succeeds on valid input made for it and a refused one
//! gets UNAUTHENTICATED or FORBIDDEN and changes no table), tokens, personal data, the audit log,
//! rate limits and introspection.

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
    "registerLrsEndpoint",
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
    "feedTokens",
    "createFeedToken",
    "revokeFeedToken",
];

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

/// Every root field of the schema (queries and mutations) and whether it is a mutation.
async fn root_operations(app: &TestApp) -> Vec<(String, bool)> {
    let schema = app
        .ok(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let mut ops = Vec::new();
    for (root, is_mutation) in [("queryType", false), ("mutationType", true)] {
        for field in schema["__schema"][root]["fields"]
            .as_array()
            .expect("fields")
        {
            ops.push((
                field["name"].as_str().expect("name").to_owned(),
                is_mutation,
            ));
        }
    }
    ops
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
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let cli = ipcp::service::uow::Actor::cli("token");
    let expiring =
        ipcp::service::token::create(&db, &cli, "create", "short", Role::Admin, Some(soon))
            .await
            .expect("token");
    db.close().await.ok();
    // Asked until it is refused (a deadline, not a sleep): served while it was valid when sent,
    // refused from its expiry on, also though this instance checked it moments before.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let sent = chrono::Utc::now();
        let status = app
            .gql_as(Some(&expiring.secret), "{ __typename }", json!({}))
            .await
            .0;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(sent < soon, "an expired token was served");
        assert!(
            std::time::Instant::now() < deadline,
            "the token is still served long after its expiry"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        chrono::Utc::now() > soon - chrono::Duration::milliseconds(1000),
        "the token was refused before it expired"
    );
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
    db.close().await.ok();
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
    let iteration = fixtures::iteration(
        &app,
        &course,
        &crate::helpers::days_from_today(60),
        &crate::helpers::days_from_today(64),
        5,
        None,
    )
    .await;
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
    every_subscription_delivers_to_the_roles_allowed_and_refuses_the_others,
);

/// A burst of 3, then one request a second: asked in a row, a token meets 429 within a few requests
/// however slow the machine (each would have to take a second to stay within budget).
async fn rate_budget(backend: Backend) {
    let serve = ipcp::config::ServeArgs {
        rate_limit_per_second: 1,
        rate_limit_burst: 3,
        ..Default::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    while retry_after.is_none() {
        assert!(statuses.len() < 30, "no 429 after {statuses:?}");
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
            retry_after = Some(
                res.headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
                    .expect("Retry-After"),
            );
        } else {
            assert_eq!(res.status(), StatusCode::OK);
        }
        statuses.push(res.status());
    }
    assert!(
        statuses.len() > 3,
        "the burst of 3 was served: {statuses:?}"
    );
    let wait: u64 = retry_after.unwrap().parse().expect("seconds");
    assert!((1..=2).contains(&wait));
    // Another token has its own budget.
    let other = app.token_for(Role::Analyst).await;
    assert_eq!(
        app.gql_as(Some(&other), "{ __typename }", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    // Not synchronisation: a client that waits as Retry-After says is served again (the feature).
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    assert_eq!(
        app.gql_as(Some(&app.admin_token), "{ __typename }", json!({}))
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_token_over_its_rate_budget_gets_429_with_retry_after_and_recovers() {
    rate_budget(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_token_over_its_rate_budget_gets_429_with_retry_after_and_recovers() {
    rate_budget(Backend::Postgres).await
}

/// The five callers of the matrix: anonymous and one token per role.
async fn callers(app: &TestApp) -> Vec<(Option<Role>, Option<String>)> {
    let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
    for role in [
        Role::Admin,
        Role::ProgrammeOfficer,
        Role::Analyst,
        Role::Reporter,
    ] {
        callers.push((Some(role), Some(app.token_for(role).await)));
    }
    callers
}

/// Records every read of the matrix finds, made once.
struct Shared {
    partner: String,
    area: String,
    cycle: String,
    objective: String,
    course: String,
    future: String,
    running: String,
    officer: String,
    milestone: String,
    activity: String,
    enrollment: String,
    /// Ended 10 days ago: inside the level 1 response window.
    ended: String,
    /// Ended 200 days ago: level 3 follow-ups due.
    old: String,
    contact: String,
    cost_line: String,
}

impl Shared {
    async fn build(app: &TestApp) -> Shared {
        let partner = fixtures::partner(app, "TKM").await;
        let area = fixtures::area(app, "AREA").await;
        let (cycle, _) = fixtures::cycle(app, &partner, "IPCP", "2024-01-01").await;
        let course = fixtures::course(app, "MX-1", None).await;
        let future = fixtures::iteration(app, &course, &day(60), &day(64), 1000, None).await;
        let running = fixtures::iteration(app, &course, &day(0), &day(4), 1000, None).await;
        let officer = fixtures::officer(app, &partner, None).await;
        let id = |v: &Value, field: &str| v[field]["id"].as_str().unwrap().to_owned();
        let objective = id(
            &app.ok("mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"o\", indicator: \"i\"}) { id } }", json!({ "c": cycle, "a": area })).await,
            "createObjective",
        );
        let milestone = id(
            &app.ok("mutation($p: ID!) { createPartnershipMilestone(input: {partnerId: $p, framework: PFP, occurredOn: \"1994-05-10\", description: \"d\"}) { id } }", json!({ "p": partner })).await,
            "createPartnershipMilestone",
        );
        let activity = id(
            &app.ok(RECORD_ACTIVITY, json!({ "c": cycle, "a": area }))
                .await,
            "recordActivity",
        );
        let enrollment = id(
            &app.ok(NOMINATE, json!({ "i": future, "o": officer })).await,
            "nominateOfficer",
        );
        let ended = fixtures::iteration(app, &course, &day(-14), &day(-10), 1000, None).await;
        let old = fixtures::iteration(app, &course, &day(-204), &day(-200), 1000, None).await;
        let contact = id(
            &app.ok(CREATE_CONTACT, json!({ "p": partner })).await,
            "createPointOfContact",
        );
        let cost_line = id(
            &app.ok(RECORD_COST_LINE, json!({ "i": future })).await,
            "recordCostLine",
        );
        Shared {
            partner,
            area,
            cycle,
            objective,
            course,
            future,
            running,
            officer,
            milestone,
            activity,
            enrollment,
            ended,
            old,
            contact,
            cost_line,
        }
    }
}

fn day(offset: i64) -> String {
    crate::helpers::days_from_today(offset)
}

const RECORD_ACTIVITY: &str = "mutation($c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: \"a\", description: \"d\", startDate: \"2024-05-20\", endDate: \"2024-05-21\"}) { id version } }";
const NOMINATE: &str = "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o, place: false}) { id version } }";
const CREATE_CONTACT: &str = "mutation($p: ID!) { createPointOfContact(input: {role: PARTNER_POC, familyName: \"f\", givenName: \"g\", partnerId: $p}) { id } }";
const RECORD_COST_LINE: &str = "mutation($i: ID!) { recordCostLine(input: {iterationId: $i, category: TUITION, stage: PLANNED, amountMinor: 125000, currency: \"EUR\", fundingSource: NATO_COMMON_FUNDING}) { id } }";
const PUBLIC_HOOK: &str = "https://93.184.216.34/hook";

/// A valid call of the query `field` on the shared records.
fn query_call(field: &str, s: &Shared) -> (String, Value) {
    let by_id = |id: &str| {
        (
            format!("query($id: ID!) {{ {field}(id: $id) {{ __typename }} }}"),
            json!({ "id": id }),
        )
    };
    match field {
        "partner" => by_id(&s.partner),
        "partnershipMilestone" => by_id(&s.milestone),
        "cooperationArea" => by_id(&s.area),
        "programmeCycle" => by_id(&s.cycle),
        "objective" => by_id(&s.objective),
        "course" => by_id(&s.course),
        "courseIteration" => by_id(&s.future),
        "officer" => by_id(&s.officer),
        "enrollment" => by_id(&s.enrollment),
        "activity" => by_id(&s.activity),
        "pointOfContact" => by_id(&s.contact),
        "costLine" => by_id(&s.cost_line),
        "cycleCostReport" => (
            "query($c: ID!) { cycleCostReport(cycleId: $c) { __typename } }".into(),
            json!({ "c": s.cycle }),
        ),
        "cycleReport" => (
            "query($c: ID!) { cycleReport(cycleId: $c) { __typename } }".into(),
            json!({ "c": s.cycle }),
        ),
        "partnerOverview" => (
            "{ partnerOverview(code: \"TKM\") { __typename } }".into(),
            json!({}),
        ),
        "programmeOverview" => (
            "query($f: Date!, $t: Date!) { programmeOverview(from: $f, to: $t) { __typename } }"
                .into(),
            json!({ "f": day(-365), "t": day(365) }),
        ),
        _ => (format!("{{ {field} {{ __typename }} }}"), json!({})),
    }
}

/// A valid call of the mutation `field`, on records made for it (as ADMIN) so that it succeeds
/// once; `n` makes codes and names unique.
async fn mutation_call(app: &TestApp, field: &str, s: &Shared, n: usize) -> (String, Value) {
    let code = format!(
        "{}{}{}",
        (b'A' + (n / 676 % 26) as u8) as char,
        (b'A' + (n / 26 % 26) as u8) as char,
        (b'A' + (n % 26) as u8) as char
    );
    let id = |v: &Value, f: &str| v[f]["id"].as_str().unwrap().to_owned();
    let version = |v: &Value, f: &str| v[f]["version"].clone();
    let step = |field: &str| {
        format!(
            "mutation($id: ID!, $v: Int!) {{ {field}(input: {{id: $id, version: $v}}) {{ id }} }}"
        )
    };
    // An enrollment nominated (not placed) in `iteration`, then taken through `steps`.
    let enrollment = |iteration: String, steps: &'static [&'static str]| async move {
        let officer = fixtures::officer(app, &s.partner, None).await;
        let mut e = app
            .ok(NOMINATE, json!({ "i": iteration, "o": officer }))
            .await["nominateOfficer"]
            .clone();
        for step_field in steps {
            let q = format!("mutation($id: ID!, $v: Int!) {{ {step_field}(input: {{id: $id, version: $v}}) {{ id version }} }}");
            e = app
                .ok(&q, json!({ "id": e["id"], "v": e["version"] }))
                .await[*step_field]
                .clone();
        }
        json!({ "id": e["id"], "v": e["version"] })
    };
    let new_iteration = || async {
        let (start, end) = (day(90), day(94));
        fixtures::iteration(app, &s.course, &start, &end, 5, None).await
    };
    match field {
        "createPartner" => (
            "mutation($c: String!) { createPartner(input: {code: $c, name: \"n\"}) { id } }".into(),
            json!({ "c": code }),
        ),
        "updatePartner" => {
            let p = fixtures::partner(app, &code).await;
            (
                "mutation($id: ID!) { updatePartner(input: {id: $id, version: 1, notes: \"n\"}) { id } }".into(),
                json!({ "id": p }),
            )
        }
        "createPartnershipMilestone" => (
            "mutation($p: ID!) { createPartnershipMilestone(input: {partnerId: $p, framework: PFP, occurredOn: \"1994-05-10\", description: \"d\"}) { id } }".into(),
            json!({ "p": s.partner }),
        ),
        "updatePartnershipMilestone" => {
            let m = app.ok("mutation($p: ID!) { createPartnershipMilestone(input: {partnerId: $p, framework: PFP, occurredOn: \"1994-05-10\", description: \"d\"}) { id } }", json!({ "p": s.partner })).await;
            (
                "mutation($id: ID!) { updatePartnershipMilestone(input: {id: $id, version: 1, description: \"e\"}) { id } }".into(),
                json!({ "id": id(&m, "createPartnershipMilestone") }),
            )
        }
        "createCooperationArea" => (
            "mutation($c: String!) { createCooperationArea(input: {code: $c, name: \"n\", description: \"d\"}) { id } }".into(),
            json!({ "c": code }),
        ),
        "updateCooperationArea" => {
            let a = fixtures::area(app, &code).await;
            (
                "mutation($id: ID!) { updateCooperationArea(input: {id: $id, version: 1, name: \"m\"}) { id } }".into(),
                json!({ "id": a }),
            )
        }
        "createProgrammeCycle" => {
            let p = fixtures::partner(app, &code).await;
            (
                "mutation($p: ID!) { createProgrammeCycle(input: {partnerId: $p, kind: IPCP, startDate: \"2024-01-01\"}) { id } }".into(),
                json!({ "p": p }),
            )
        }
        "updateProgrammeCycle" | "approveProgrammeCycle" => {
            let p = fixtures::partner(app, &code).await;
            let (c, v) = fixtures::cycle(app, &p, "IPCP", "2024-01-01").await;
            let doc = if field == "updateProgrammeCycle" {
                "mutation($id: ID!, $v: Int!) { updateProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: \"2023-06-01\"}) { id } }"
            } else {
                "mutation($id: ID!, $v: Int!) { approveProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: \"2023-06-01\", partnerApprovedOn: \"2023-06-02\"}) { id } }"
            };
            (doc.into(), json!({ "id": c, "v": v }))
        }
        "activateProgrammeCycle" => {
            let p = fixtures::partner(app, &code).await;
            let (c, v) = crate::cycle_rules::approved(app, &p, "2024-01-01").await;
            (step(field), json!({ "id": c, "v": v }))
        }
        "closeProgrammeCycle" | "renewProgrammeCycle" => {
            let p = fixtures::partner(app, &code).await;
            let (c, v) = crate::cycle_rules::active(app, &p, "2024-01-01").await;
            (step(field), json!({ "id": c, "v": v }))
        }
        "createObjective" => (
            "mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"o\", indicator: \"i\"}) { id } }".into(),
            json!({ "c": s.cycle, "a": s.area }),
        ),
        "updateObjective" => {
            let o = app.ok("mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"o\", indicator: \"i\"}) { id } }", json!({ "c": s.cycle, "a": s.area })).await;
            (
                "mutation($id: ID!) { updateObjective(input: {id: $id, version: 1, title: \"p\"}) { id } }".into(),
                json!({ "id": id(&o, "createObjective") }),
            )
        }
        "createCourse" => (
            "mutation($c: String!) { createCourse(input: {code: $c, title: \"c\", topic: OTHER, organiser: \"o\", delivery: DISTANCE, durationDays: 1}) { id } }".into(),
            json!({ "c": code }),
        ),
        "updateCourse" => {
            let c = fixtures::course(app, &code, None).await;
            (
                "mutation($id: ID!) { updateCourse(input: {id: $id, version: 1, title: \"d\"}) { id } }".into(),
                json!({ "id": c }),
            )
        }
        "createCourseIteration" => (
            "mutation($c: ID!, $s: Date!) { createCourseIteration(input: {courseId: $c, startDate: $s, endDate: $s, location: \"l\", capacity: 5}) { id } }".into(),
            json!({ "c": s.course, "s": day(90) }),
        ),
        "updateCourseIteration" | "cancelCourseIteration" => {
            let i = new_iteration().await;
            let doc = if field == "updateCourseIteration" {
                "mutation($id: ID!) { updateCourseIteration(input: {id: $id, version: 1, location: \"m\"}) { id } }".to_owned()
            } else {
                "mutation($id: ID!) { cancelCourseIteration(input: {id: $id, version: 1}) { id } }"
                    .to_owned()
            };
            (doc, json!({ "id": i }))
        }
        "linkIterationObjective" => {
            let i = new_iteration().await;
            (
                "mutation($i: ID!, $o: ID!) { linkIterationObjective(iterationId: $i, objectiveId: $o) { id } }".into(),
                json!({ "i": i, "o": s.objective }),
            )
        }
        "createOfficer" => (
            "mutation($p: ID!) { createOfficer(input: {partnerId: $p, familyName: \"f\", givenName: \"g\", rank: \"r\", service: ARMY}) { id } }".into(),
            json!({ "p": s.partner }),
        ),
        "updateOfficer" => {
            let o = fixtures::officer(app, &s.partner, None).await;
            (
                "mutation($id: ID!) { updateOfficer(input: {id: $id, version: 1, rank: \"Major\"}) { id } }".into(),
                json!({ "id": o }),
            )
        }
        "nominateOfficer" => {
            let o = fixtures::officer(app, &s.partner, None).await;
            (NOMINATE.into(), json!({ "i": s.future, "o": o }))
        }
        "confirmEnrollment" | "waitlistEnrollment" | "declineEnrollment" => {
            (step(field), enrollment(s.future.clone(), &[]).await)
        }
        "withdrawEnrollment" => (
            step(field),
            enrollment(s.future.clone(), &["confirmEnrollment"]).await,
        ),
        "recordAttendance" | "recordNoShow" => (
            step(field),
            enrollment(s.running.clone(), &["confirmEnrollment"]).await,
        ),
        "recordCompletion" | "recordFailure" => (
            format!("mutation($id: ID!, $v: Int!) {{ {field}(input: {{id: $id, version: $v, evaluationScore: 70}}) {{ id }} }}"),
            enrollment(s.running.clone(), &["confirmEnrollment", "recordAttendance"]).await,
        ),
        "recordActivity" => (RECORD_ACTIVITY.into(), json!({ "c": s.cycle, "a": s.area })),
        "updateActivity" => {
            let a = app
                .ok(RECORD_ACTIVITY, json!({ "c": s.cycle, "a": s.area }))
                .await;
            (
                "mutation($id: ID!, $v: Int!) { updateActivity(input: {id: $id, version: $v, outcome: \"held\"}) { id } }".into(),
                json!({ "id": id(&a, "recordActivity"), "v": version(&a, "recordActivity") }),
            )
        }
        "recordEnrollments" => {
            let o = fixtures::officer(app, &s.partner, None).await;
            (
                "mutation($i: ID!, $o: ID!) { recordEnrollments(rows: [{iterationId: $i, officerId: $o, action: NOMINATE}]) { committed } }".into(),
                json!({ "i": s.future, "o": o }),
            )
        }
        "importEnrollmentsCsv" => {
            let o = fixtures::officer(app, &s.partner, None).await;
            (
                "mutation($csv: String!) { importEnrollmentsCsv(csv: $csv) { committed } }".into(),
                json!({ "csv": format!("iteration_id,course_code,iteration_start,officer_id,action,evaluation_score\n{},,,{o},NOMINATE,\n", s.future) }),
            )
        }
        "createApiToken" => (
            "mutation($n: String!) { createApiToken(input: {name: $n, role: ANALYST}) { secret } }".into(),
            json!({ "n": format!("matrix-{code}") }),
        ),
        "revokeApiToken" => {
            let name = format!("matrix-{code}");
            app.ok(
                "mutation($n: String!) { createApiToken(input: {name: $n, role: ANALYST}) { secret } }",
                json!({ "n": name }),
            )
            .await;
            (
                "mutation($t: String!) { revokeApiToken(token: $t) { id } }".into(),
                json!({ "t": name }),
            )
        }
        "createFeedToken" => (
            "mutation($n: String!) { createFeedToken(input: {name: $n}) { secret } }".into(),
            json!({ "n": format!("matrix-feed-{code}") }),
        ),
        "revokeFeedToken" => {
            let created = app
                .ok(
                    "mutation($n: String!) { createFeedToken(input: {name: $n}) { token { id } } }",
                    json!({ "n": format!("matrix-feed-{code}") }),
                )
                .await;
            (
                "mutation($id: ID!) { revokeFeedToken(id: $id) { id } }".into(),
                json!({ "id": created["createFeedToken"]["token"]["id"] }),
            )
        }
        "registerLrsEndpoint" => (
            "mutation($u: String!) { registerLrsEndpoint(input: {url: $u, username: \"k\", password: \"s\"}) { id } }".into(),
            json!({ "u": "https://93.184.216.34/xapi/" }),
        ),
        "registerWebhookEndpoint" => (
            "mutation($u: String!) { registerWebhookEndpoint(input: {url: $u, kinds: [DATASET]}) { endpoint { id } } }".into(),
            json!({ "u": PUBLIC_HOOK }),
        ),
        "disableWebhookEndpoint" | "redeliverWebhookDelivery" => {
            let endpoint = app
                .ok(
                    "mutation($u: String!) { registerWebhookEndpoint(input: {url: $u, kinds: [DATASET]}) { endpoint { id } } }",
                    json!({ "u": PUBLIC_HOOK }),
                )
                .await["registerWebhookEndpoint"]["endpoint"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            if field == "disableWebhookEndpoint" {
                return (
                    "mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }".into(),
                    json!({ "id": endpoint }),
                );
            }
            // A FAILED delivery, as the worker leaves one when the retry window is over.
            let conn = sea_orm::Database::connect(&app.database.url)
                .await
                .unwrap();
            use sea_orm::{ActiveValue::Set, EntityTrait};
            let failed = entity::webhook_delivery::Entity::insert(
                entity::webhook_delivery::ActiveModel {
                    endpoint_id: Set(endpoint.parse().unwrap()),
                    position: Set(1),
                    status: Set(entity::webhook_delivery::DeliveryStatus::Failed),
                    attempts: Set(3),
                    next_attempt_at: Set(chrono::Utc::now()),
                    retry_until: Set(chrono::Utc::now()),
                    created_at: Set(chrono::Utc::now()),
                    ..Default::default()
                },
            )
            .exec(&conn)
            .await
            .unwrap()
            .last_insert_id;
            conn.close().await.ok();
            (
                "mutation($id: ID!) { redeliverWebhookDelivery(id: $id) { status } }".into(),
                json!({ "id": failed.to_string() }),
            )
        }
        "createPointOfContact" => (CREATE_CONTACT.into(), json!({ "p": s.partner })),
        "updatePointOfContact" => {
            let c = app.ok(CREATE_CONTACT, json!({ "p": s.partner })).await;
            (
                "mutation($id: ID!) { updatePointOfContact(input: {id: $id, version: 1, organisation: \"o\"}) { id } }".into(),
                json!({ "id": id(&c, "createPointOfContact") }),
            )
        }
        "recordCostLine" => (RECORD_COST_LINE.into(), json!({ "i": s.future })),
        "updateCostLine" => {
            let c = app.ok(RECORD_COST_LINE, json!({ "i": s.future })).await;
            (
                "mutation($id: ID!) { updateCostLine(input: {id: $id, version: 1, stage: ACTUAL}) { id } }".into(),
                json!({ "id": id(&c, "recordCostLine") }),
            )
        }
        "recordEvaluationResponse" => {
            let e = crate::evaluation::enrolled(app, &s.partner, &s.ended, "ATTENDED").await;
            (
                crate::evaluation::RESPOND.into(),
                json!({ "e": e["id"], "r": crate::evaluation::ratings(4) }),
            )
        }
        "recordEvaluationFollowUp" => {
            let e = crate::evaluation::enrolled(app, &s.partner, &s.old, "COMPLETED").await;
            (
                crate::evaluation::FOLLOW_UP.into(),
                json!({ "e": e["id"], "a": "YES" }),
            )
        }
        "recordIndicatorMeasurement" => (
            crate::itpp::MEASURE.into(),
            json!({ "o": s.objective, "d": day(-1), "v": 3.0 }),
        ),
        other => panic!("no valid call of the mutation {other}: add one to the matrix"),
    }
}

/// Checks one call as one caller: allowed, it succeeds (no error, an answer); refused, it gets
/// UNAUTHENTICATED (anonymous) or FORBIDDEN (a role) and every table is as it was.
async fn check_call(
    app: &TestApp,
    field: &str,
    is_mutation: bool,
    (role, token): &(Option<Role>, Option<String>),
    (doc, vars): (String, Value),
) {
    let may = allowed(*role, field, is_mutation);
    let before = if may {
        None
    } else {
        Some(app.contents().await)
    };
    let (status, body) = app.gql_as(token.as_deref(), &doc, vars.clone()).await;
    assert_eq!(status, StatusCode::OK, "{role:?} {field}: {body}");
    if let Some(before) = before {
        let expected = if role.is_none() {
            "UNAUTHENTICATED"
        } else {
            "FORBIDDEN"
        };
        assert_eq!(
            body["errors"][0]["extensions"]["code"], expected,
            "{role:?} on {field}: {body:#}"
        );
        assert!(
            body["data"].is_null() || body["data"][field].is_null(),
            "{body}"
        );
        app.assert_unchanged(&before, &format!("{role:?} refused {field}"))
            .await;
    } else {
        assert!(
            body.get("errors").is_none() && !body["data"][field].is_null(),
            "{role:?} may use {field} and it succeeds on valid input ({vars}): {body:#}"
        );
        if field == "recordEnrollments" || field == "importEnrollmentsCsv" {
            assert_eq!(body["data"][field]["committed"], true, "{field}: {body}");
        }
    }
}

/// Without the webhook worker, which moves its endpoints' positions along the change log as it
/// goes (a write of its own, not a caller's), and without a rate limit (some 400 requests).
async fn every_operation_succeeds_for_the_roles_allowed_and_changes_nothing_for_the_others(
    backend: Backend,
) {
    let serve = ipcp::config::ServeArgs {
        rate_limit_per_second: 0,
        webhooks: ipcp::config::WebhookArgs {
            webhook_worker: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let ops = root_operations(&app).await;
    let callers = callers(&app).await;
    let shared = Shared::build(&app).await;
    let mut n = 0;
    let mut checked = 0;
    for (field, is_mutation) in &ops {
        for caller in &callers {
            let call = if *is_mutation {
                n += 1;
                mutation_call(&app, field, &shared, n).await
            } else {
                query_call(field, &shared)
            };
            check_call(&app, field, *is_mutation, caller, call).await;
            checked += 1;
        }
    }
    assert_eq!(checked, ops.len() * 5);
    assert!(ops.len() > 60, "queries and mutations: {}", ops.len());
}

/// Subscriptions: anonymous callers are refused at the connection (nothing runs); a role may
/// subscribe to what it may read and receives the next change, and is refused with FORBIDDEN
/// otherwise, with nothing written.
async fn every_subscription_delivers_to_the_roles_allowed_and_refuses_the_others(app: TestApp) {
    use crate::subscriptions::{connect, next_json, subscribe};
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let shared = Shared::build(&app).await;
    let callers = callers(&app).await;
    let within = std::time::Duration::from_secs(10);
    for field in ["changed", "enrollmentChanged", "activityRecorded"] {
        let doc =
            format!("subscription($after: String) {{ {field}(after: $after) {{ __typename }} }}");
        for (role, token) in &callers {
            let Some(token) = token else {
                // Anonymous: the server closes the connection at `connection_init`.
                let mut socket = connect(&app.address).await;
                let init = json!({ "type": "connection_init", "payload": {} });
                socket.send(Message::text(init.to_string())).await.unwrap();
                assert!(
                    next_json(&mut socket, within).await.is_none(),
                    "{field}: anonymous"
                );
                continue;
            };
            let may = match field {
                "changed" => true,
                _ => *role != Some(Role::Reporter),
            };
            let before = app.contents().await;
            let mut socket = subscribe(&app, json!({ "token": token }), &doc, json!({})).await;
            if may {
                // The change the subscription announces.
                let o = fixtures::officer(&app, &shared.partner, None).await;
                match field {
                    "activityRecorded" => {
                        app.ok(
                            RECORD_ACTIVITY,
                            json!({ "c": shared.cycle, "a": shared.area }),
                        )
                        .await;
                    }
                    _ => {
                        app.ok(NOMINATE, json!({ "i": shared.future, "o": o }))
                            .await;
                    }
                }
                let event = next_json(&mut socket, within).await.expect("an event");
                assert_eq!(event["type"], "next", "{role:?} {field}: {event}");
                assert!(
                    !event["payload"]["data"][field].is_null(),
                    "{role:?} {field}: {event}"
                );
            } else {
                let answer = next_json(&mut socket, within).await.expect("an answer");
                let errors = if answer["type"] == "error" {
                    &answer["payload"]
                } else {
                    &answer["payload"]["errors"]
                };
                assert_eq!(
                    errors[0]["extensions"]["code"], "FORBIDDEN",
                    "{role:?} {field}: {answer}"
                );
                app.assert_unchanged(&before, &format!("{role:?} refused {field}"))
                    .await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_operation_succeeds_for_the_roles_allowed_and_changes_nothing_for_the_others()
{
    every_operation_succeeds_for_the_roles_allowed_and_changes_nothing_for_the_others(
        Backend::Sqlite,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_operation_succeeds_for_the_roles_allowed_and_changes_nothing_for_the_others(
) {
    every_operation_succeeds_for_the_roles_allowed_and_changes_nothing_for_the_others(
        Backend::Postgres,
    )
    .await
}
