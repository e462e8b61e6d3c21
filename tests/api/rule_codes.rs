//! The rule codes of invariant 7 (dates) and of the cycle lifecycle that no other test provoked,
//! one test per code, each through the API (or the CLI) and each proving that the refused request
//! wrote nothing: every table's full contents are compared before and after.

use serde_json::{json, Value};

use crate::{
    cycle_rules::{active, approved},
    enrollment_rules::nominate,
    helpers::{days_from_today, fixtures, Backend, TestApp},
};
use ipcp::config::{ServeArgs, WebhookArgs};

const UPDATE_ITERATION: &str = "mutation($id: ID!, $v: Int!, $s: Date, $e: Date, $cap: Int) { updateCourseIteration(input: {id: $id, version: $v, startDate: $s, endDate: $e, capacity: $cap}) { id version capacity } }";
const RECORD_ACTIVITY: &str = "mutation($c: ID!, $a: ID!, $o: ID, $s: Date!, $e: Date!) { recordActivity(input: {cycleId: $c, areaId: $a, objectiveId: $o, kind: MEETING, title: \"Talks\", description: \"d\", startDate: $s, endDate: $e}) { id version } }";
const UPDATE_ACTIVITY: &str = "mutation($id: ID!, $v: Int!, $s: Date, $e: Date) { updateActivity(input: {id: $id, version: $v, startDate: $s, endDate: $e}) { id version } }";
const UPDATE_CYCLE: &str = "mutation($id: ID!, $v: Int!, $k: ProgrammeKind, $s: Date, $e: Date) { updateProgrammeCycle(input: {id: $id, version: $v, kind: $k, startDate: $s, endDate: $e}) { id version startDate endDate } }";
const CREATE_OBJECTIVE: &str = "mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"Objective\", indicator: \"officers trained\"}) { id } }";

/// Runs `query` and asserts it is refused with `code` and leaves every table as it was.
async fn refused(app: &TestApp, code: &str, query: &str, variables: Value) {
    let before = app.contents().await;
    let body = app.gql(query, variables.clone()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], code,
        "{query} with {variables}: {body:#}"
    );
    app.assert_unchanged(&before, &format!("a request refused with {code}"))
        .await;
}

async fn iteration_version(app: &TestApp, id: &str) -> i64 {
    app.ok(
        "query($id: ID!) { courseIteration(id: $id) { version } }",
        json!({ "id": id }),
    )
    .await["courseIteration"]["version"]
        .as_i64()
        .unwrap()
}

async fn a_start_after_the_end_is_refused_with_invalid_dates(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "AREA").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let (cycle, _) = fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    refused(
        &app,
        "INVALID_DATES",
        "mutation($c: ID!, $s: Date!, $e: Date!) { createCourseIteration(input: {courseId: $c, startDate: $s, endDate: $e, location: \"Oberammergau\", capacity: 5}) { id } }",
        json!({ "c": course, "s": days_from_today(40), "e": days_from_today(39) }),
    )
    .await;
    let iteration = fixtures::iteration(
        &app,
        &course,
        &days_from_today(40),
        &days_from_today(44),
        5,
        None,
    )
    .await;
    let v = iteration_version(&app, &iteration).await;
    refused(
        &app,
        "INVALID_DATES",
        UPDATE_ITERATION,
        json!({ "id": iteration, "v": v, "s": days_from_today(45) }),
    )
    .await;
    refused(
        &app,
        "INVALID_DATES",
        RECORD_ACTIVITY,
        json!({ "c": cycle, "a": area, "s": "2024-05-21", "e": "2024-05-20" }),
    )
    .await;
    let activity = app
        .ok(
            RECORD_ACTIVITY,
            json!({ "c": cycle, "a": area, "s": "2024-05-20", "e": "2024-05-21" }),
        )
        .await["recordActivity"]
        .clone();
    refused(
        &app,
        "INVALID_DATES",
        UPDATE_ACTIVITY,
        json!({ "id": activity["id"], "v": activity["version"], "e": "2024-05-19" }),
    )
    .await;
    // An ITPP's end is agreed, not computed: one before its start is refused too.
    refused(
        &app,
        "INVALID_DATES",
        "mutation($p: ID!) { createProgrammeCycle(input: {partnerId: $p, kind: ITPP, startDate: \"2027-01-01\", endDate: \"2026-12-31\"}) { id } }",
        json!({ "p": partner }),
    )
    .await;
}

async fn an_activity_outside_its_cycle_is_refused_with_outside_cycle(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "AREA").await;
    // IPCP from 2024-01-01 to 2025-12-31.
    let (cycle, cycle_version) = fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    for (start, end) in [
        ("2023-12-31", "2024-01-02"),
        ("2025-12-30", "2026-01-01"),
        ("2026-01-01", "2026-01-02"),
    ] {
        refused(
            &app,
            "OUTSIDE_CYCLE",
            RECORD_ACTIVITY,
            json!({ "c": cycle, "a": area, "s": start, "e": end }),
        )
        .await;
    }
    // Its first and last days are inside.
    let activity = app
        .ok(
            RECORD_ACTIVITY,
            json!({ "c": cycle, "a": area, "s": "2024-01-01", "e": "2025-12-31" }),
        )
        .await["recordActivity"]
        .clone();
    refused(
        &app,
        "OUTSIDE_CYCLE",
        UPDATE_ACTIVITY,
        json!({ "id": activity["id"], "v": activity["version"], "e": "2026-01-01" }),
    )
    .await;
    // Moving the (draft) cycle away from its activity is refused too.
    refused(
        &app,
        "OUTSIDE_CYCLE",
        UPDATE_CYCLE,
        json!({ "id": cycle, "v": cycle_version, "s": "2024-01-02" }),
    )
    .await;
}

async fn an_activity_serving_an_objective_of_another_cycle_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "AREA").await;
    let (mine, _) = fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    let (other, _) = fixtures::cycle(&app, &partner, "IPCP", "2026-01-01").await;
    let objective = app
        .ok(CREATE_OBJECTIVE, json!({ "c": other, "a": area }))
        .await["createObjective"]["id"]
        .clone();
    refused(
        &app,
        "OBJECTIVE_OF_OTHER_CYCLE",
        RECORD_ACTIVITY,
        json!({ "c": mine, "a": area, "o": objective, "s": "2024-05-20", "e": "2024-05-21" }),
    )
    .await;
    // The same objective in its own cycle is accepted.
    app.ok(
        RECORD_ACTIVITY,
        json!({ "c": other, "a": area, "o": objective, "s": "2026-05-20", "e": "2026-05-21" }),
    )
    .await;
}

async fn a_capacity_below_the_seats_held_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let iteration = fixtures::iteration(
        &app,
        &course,
        &days_from_today(40),
        &days_from_today(44),
        5,
        None,
    )
    .await;
    for _ in 0..3 {
        let officer = fixtures::officer(&app, &partner, None).await;
        let e = nominate(&app, &iteration, &officer).await;
        assert_eq!(e["status"], "CONFIRMED");
    }
    let v = iteration_version(&app, &iteration).await;
    refused(
        &app,
        "CAPACITY_BELOW_SEATS_HELD",
        UPDATE_ITERATION,
        json!({ "id": iteration, "v": v, "cap": 2 }),
    )
    .await;
    // Down to exactly the seats held is accepted.
    let data = app
        .ok(
            UPDATE_ITERATION,
            json!({ "id": iteration, "v": v, "cap": 3 }),
        )
        .await;
    assert_eq!(data["updateCourseIteration"]["capacity"], 3);
}

async fn changing_the_kind_or_dates_of_an_approved_cycle_is_refused_with_cycle_not_draft(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (approved_cycle, v) = approved(&app, &partner, "2024-01-01").await;
    let (active_cycle, w) = active(&app, &partner, "2022-01-01").await;
    for (id, version) in [(&approved_cycle, v), (&active_cycle, w)] {
        for change in [
            json!({ "s": "2024-02-01" }),
            json!({ "k": "IPP" }),
            json!({ "k": "ITPP", "e": "2025-06-30" }),
        ] {
            let mut vars = change.clone();
            vars["id"] = json!(id);
            vars["v"] = json!(version);
            refused(&app, "CYCLE_NOT_DRAFT", UPDATE_CYCLE, vars).await;
        }
    }
}

async fn an_objective_added_to_a_closed_or_superseded_cycle_is_refused_with_cycle_closed(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "AREA").await;
    // One cycle renewed, its successor activated: the first is SUPERSEDED.
    let (first, v) = active(&app, &partner, "2020-01-01").await;
    let successor = app
        .ok(
            "mutation($id: ID!, $v: Int!) { renewProgrammeCycle(input: {id: $id, version: $v}) { id version } }",
            json!({ "id": first, "v": v }),
        )
        .await["renewProgrammeCycle"]
        .clone();
    let approved_successor = app
        .ok(
            "mutation($id: ID!, $v: Int!) { approveProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: \"2021-06-01\", partnerApprovedOn: \"2021-06-02\"}) { version } }",
            json!({ "id": successor["id"], "v": successor["version"] }),
        )
        .await["approveProgrammeCycle"]["version"]
        .clone();
    let activated = app
        .ok(
            "mutation($id: ID!, $v: Int!) { activateProgrammeCycle(input: {id: $id, version: $v}) { status version } }",
            json!({ "id": successor["id"], "v": approved_successor }),
        )
        .await["activateProgrammeCycle"]
        .clone();
    assert_eq!(activated["status"], "ACTIVE");
    refused(
        &app,
        "CYCLE_CLOSED",
        CREATE_OBJECTIVE,
        json!({ "c": first, "a": area }),
    )
    .await;
    // The successor closed.
    let closed = app
        .ok(
            "mutation($id: ID!, $v: Int!) { closeProgrammeCycle(input: {id: $id, version: $v}) { status } }",
            json!({ "id": successor["id"], "v": activated["version"] }),
        )
        .await;
    assert_eq!(closed["closeProgrammeCycle"]["status"], "CLOSED");
    refused(
        &app,
        "CYCLE_CLOSED",
        CREATE_OBJECTIVE,
        json!({ "c": successor["id"], "a": area }),
    )
    .await;
}

async fn the_benchmark_dataset_into_a_database_with_data_is_refused_with_database_not_empty(
    app: TestApp,
) {
    fixtures::partner(&app, "TKM").await;
    let before = app.contents().await;
    let db = app.db().await;
    let refusal = ipcp::service::bench_data::load(
        &db,
        &ipcp::service::uow::Actor::cli("seed"),
        0.001,
        &|_, _, _| {},
    )
    .await
    .expect_err("a database with data is refused");
    assert_eq!(refusal.code().as_str(), "DATABASE_NOT_EMPTY");
    db.close().await.ok();
    app.assert_unchanged(&before, "a refused benchmark load")
        .await;
    // The command line says why and fails.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(["seed", "bench", "--scale", "0.001"])
        .env("DATABASE_URL", &app.database.url)
        .output()
        .expect("ipcp runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("empty database"), "{stderr}");
    assert_eq!(cli_error_code(&out), "DATABASE_NOT_EMPTY");
    app.assert_unchanged(&before, "a refused `ipcp seed bench`")
        .await;
}

const RECORD_ENROLLMENTS: &str = "mutation($rows: [EnrollmentRowInput!]!, $mode: BulkMode) { recordEnrollments(rows: $rows, mode: $mode) { committed applied refused rows { row outcome code message } } }";

async fn a_bulk_row_naming_a_course_and_a_day_two_iterations_start_is_ambiguous(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let officer = fixtures::officer(&app, &partner, None).await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let start = days_from_today(40);
    for end in [days_from_today(44), days_from_today(45)] {
        fixtures::iteration(&app, &course, &start, &end, 5, None).await;
    }
    for mode in ["ALL_OR_NOTHING", "PER_ROW"] {
        let before = app.contents().await;
        let report = app
            .ok(
                RECORD_ENROLLMENTS,
                json!({ "mode": mode, "rows": [{ "courseCode": "BS-101", "iterationStart": start, "officerId": officer, "action": "NOMINATE" }] }),
            )
            .await["recordEnrollments"]
            .clone();
        assert_eq!(
            report["rows"][0]["code"], "AMBIGUOUS_ITERATION",
            "{report:#}"
        );
        assert_eq!(
            (&report["committed"], &report["applied"]),
            (&json!(false), &json!(0)),
            "{report:#}"
        );
        app.assert_unchanged(&before, &format!("an ambiguous row ({mode})"))
            .await;
    }
    // The same row by iteration id is recorded.
    let id = app
        .ok(
            "query($s: Date!) { courseIterations(from: $s, to: $s) { edges { node { id } } } }",
            json!({ "s": start }),
        )
        .await["courseIterations"]["edges"][0]["node"]["id"]
        .clone();
    let report = app
        .ok(
            RECORD_ENROLLMENTS,
            json!({ "rows": [{ "iterationId": id, "officerId": officer, "action": "NOMINATE" }] }),
        )
        .await;
    assert_eq!(report["recordEnrollments"]["applied"], 1, "{report:#}");
}

/// Runs the `ipcp` binary against the app's database.
fn ipcp(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(args)
        .env("DATABASE_URL", &app.database.url)
        .env("RUST_LOG", "error")
        .output()
        .expect("ipcp runs")
}

/// The code of a failed `ipcp` command: it exits with status 1 and prints `error[CODE]: message`.
fn cli_error_code(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("error[")?.split_once("]: "))
        .map(|(code, _)| code.to_owned())
        .unwrap_or_else(|| panic!("no `error[CODE]: ` line: {stderr}"))
}

async fn a_cli_import_with_a_refused_row_fails_with_rows_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let officer = fixtures::officer(&app, &partner, None).await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let iteration = fixtures::iteration(
        &app,
        &course,
        &days_from_today(40),
        &days_from_today(44),
        5,
        None,
    )
    .await;
    let file = std::env::temp_dir().join(format!(
        "ipcp-rows-refused-{}-{}.csv",
        std::process::id(),
        app.address.rsplit(':').next().unwrap_or_default()
    ));
    std::fs::write(
        &file,
        format!(
            "iteration_id,course_code,iteration_start,officer_id,action,evaluation_score\n\
             {iteration},,,{officer},NOMINATE,\n{iteration},,,424242,NOMINATE,\n"
        ),
    )
    .unwrap();
    for mode in ["all-or-nothing", "per-row"] {
        let before = app.contents().await;
        let file_arg = file.to_str().unwrap();
        let args: Vec<&str> = if mode == "per-row" {
            // Per row, the good row would be recorded: give the bad row alone.
            std::fs::write(
                &file,
                format!(
                    "iteration_id,course_code,iteration_start,officer_id,action,evaluation_score\n\
                     {iteration},,,424242,NOMINATE,\n"
                ),
            )
            .unwrap();
            vec!["import", "enrollments", file_arg, "--mode", mode]
        } else {
            vec!["import", "enrollments", file_arg]
        };
        let out = ipcp(&app, &args);
        assert_eq!(cli_error_code(&out), "ROWS_REFUSED", "{mode}");
        app.assert_unchanged(&before, &format!("a refused import ({mode})"))
            .await;
    }
    let _ = std::fs::remove_file(file);
}

async fn a_second_token_of_the_same_name_is_refused_with_duplicate_name(app: TestApp) {
    let create = "mutation($n: String!) { createApiToken(input: {name: $n, role: ANALYST}) { token { name } } }";
    app.ok(create, json!({ "n": "nightly" })).await;
    refused(&app, "DUPLICATE_NAME", create, json!({ "n": "nightly" })).await;
    // From the command line too.
    let before = app.contents().await;
    let out = ipcp(
        &app,
        &["token", "create", "--name", "nightly", "--role", "reporter"],
    );
    assert_eq!(cli_error_code(&out), "DUPLICATE_NAME");
    app.assert_unchanged(&before, "a refused `ipcp token create`")
        .await;
}

async fn the_current_cycle_report_of_a_partner_without_a_cycle_is_refused_with_no_cycle(
    app: TestApp,
) {
    fixtures::partner(&app, "TKM").await;
    let before = app.contents().await;
    for format in ["json", "csv"] {
        let res = app
            .client
            .get(format!(
                "{}/exports/cycle-report?partner=TKM&format={format}",
                app.address
            ))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .expect("answered");
        let status = res.status();
        let body: Value = res.json().await.expect("a JSON error body");
        assert!(status.is_client_error(), "{format}: {status} {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NO_CYCLE",
            "{format}: {body}"
        );
    }
    let out = ipcp(&app, &["report", "cycle", "--partner", "TKM"]);
    assert_eq!(cli_error_code(&out), "NO_CYCLE");
    app.assert_unchanged(&before, "a refused cycle report")
        .await;
    // With a cycle, the same export is served.
    let partner = app.ok("{ partner(code: \"TKM\") { id } }", json!({})).await["partner"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    let res = app
        .client
        .get(format!("{}/exports/cycle-report?partner=TKM", app.address))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), reqwest::StatusCode::OK);
}

crate::on_both_backends!(
    a_start_after_the_end_is_refused_with_invalid_dates,
    an_activity_outside_its_cycle_is_refused_with_outside_cycle,
    an_activity_serving_an_objective_of_another_cycle_is_refused,
    a_capacity_below_the_seats_held_is_refused,
    changing_the_kind_or_dates_of_an_approved_cycle_is_refused_with_cycle_not_draft,
    an_objective_added_to_a_closed_or_superseded_cycle_is_refused_with_cycle_closed,
    the_benchmark_dataset_into_a_database_with_data_is_refused_with_database_not_empty,
    a_bulk_row_naming_a_course_and_a_day_two_iterations_start_is_ambiguous,
    a_cli_import_with_a_refused_row_fails_with_rows_refused,
    a_second_token_of_the_same_name_is_refused_with_duplicate_name,
    the_current_cycle_report_of_a_partner_without_a_cycle_is_refused_with_no_cycle,
);

// The codes below need a server configured for them, so each runs through its own pair of tests
// rather than `on_both_backends!`.

async fn disabling_a_disabled_webhook_endpoint_is_refused_with_already_disabled(backend: Backend) {
    let serve = ServeArgs {
        webhooks: WebhookArgs {
            webhook_allow_hosts: vec!["127.0.0.1".into()],
            // No deliveries: nothing but the requests may write.
            webhook_worker: false,
            ..WebhookArgs::default()
        },
        ..ServeArgs::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let endpoint = app
        .ok(
            "mutation { registerWebhookEndpoint(input: {url: \"http://127.0.0.1:9/hook\", kinds: [PARTNER]}) { endpoint { id } } }",
            json!({}),
        )
        .await["registerWebhookEndpoint"]["endpoint"]["id"]
        .clone();
    let disable = "mutation($id: ID!) { disableWebhookEndpoint(id: $id) { active } }";
    let disabled = app.ok(disable, json!({ "id": endpoint })).await;
    assert_eq!(disabled["disableWebhookEndpoint"]["active"], false);
    refused(&app, "ALREADY_DISABLED", disable, json!({ "id": endpoint })).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_disabling_a_disabled_webhook_endpoint_is_refused_with_already_disabled() {
    disabling_a_disabled_webhook_endpoint_is_refused_with_already_disabled(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_disabling_a_disabled_webhook_endpoint_is_refused_with_already_disabled() {
    disabling_a_disabled_webhook_endpoint_is_refused_with_already_disabled(Backend::Postgres).await
}

/// A burst of 3, then one request a second: mutations sent in a row meet the limit within a few
/// requests however slow the machine, and the refused one writes nothing.
async fn a_mutation_over_the_rate_budget_is_refused_with_rate_limited_and_writes_nothing(
    backend: Backend,
) {
    let serve = ServeArgs {
        rate_limit_per_second: 1,
        rate_limit_burst: 3,
        ..ServeArgs::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    for n in 0..30u8 {
        let code = format!("Q{}{}", (b'A' + n / 26) as char, (b'A' + n % 26) as char);
        let before = app.contents().await;
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .json(&json!({
                "query": "mutation($c: String!) { createPartner(input: {code: $c, name: \"Partner\"}) { code } }",
                "variables": { "c": code },
            }))
            .send()
            .await
            .expect("answered");
        let status = res.status();
        let body: Value = res.json().await.expect("a JSON body");
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
                "{body}"
            );
            app.assert_unchanged(&before, "a rate-limited mutation")
                .await;
            assert!(n >= 3, "the burst of 3 was served first ({n} were)");
            return;
        }
        assert_eq!(body["data"]["createPartner"]["code"], json!(code), "{body}");
    }
    panic!("no 429 after 30 mutations in a row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_mutation_over_the_rate_budget_is_refused_with_rate_limited_and_writes_nothing() {
    a_mutation_over_the_rate_budget_is_refused_with_rate_limited_and_writes_nothing(Backend::Sqlite)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_mutation_over_the_rate_budget_is_refused_with_rate_limited_and_writes_nothing()
{
    a_mutation_over_the_rate_budget_is_refused_with_rate_limited_and_writes_nothing(
        Backend::Postgres,
    )
    .await
}

/// PostgreSQL: the first request is held running by a row lock the test takes on the partner it
/// updates, after it claimed its key. SQLite cannot hold a request that way: its one write lock is
/// taken by the key's claim as much as by the update, so a lock held from outside stops the first
/// request before it claims (and fails it after the busy timeout), and the process's writer mutex
/// is not reachable from outside; the SQLite test below holds the first request another way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_replay_while_the_first_request_runs_is_refused_with_idempotency_key_in_use() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let serve = ServeArgs {
        // The replay waits 15 s for the first response; the held request must outlive that.
        request_timeout_ms: 120_000,
        ..ServeArgs::default()
    };
    let app = TestApp::spawn_configured(Backend::Postgres, serve, |db| {
        db.db_statement_timeout_ms = 120_000;
    })
    .await;
    let partner = fixtures::partner(&app, "TKM").await;
    let conn = sea_orm::Database::connect(&app.database.url)
        .await
        .expect("connect");
    let lock = conn.begin().await.expect("begin");
    lock.execute_unprepared(&format!(
        "SELECT id FROM partner WHERE id = {partner} FOR UPDATE"
    ))
    .await
    .expect("row lock");
    let send = |app: &TestApp| {
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .header("idempotency-key", "update-tkm-notes")
            .json(&json!({
                "query": "mutation($id: ID!) { updatePartner(input: {id: $id, version: 1, notes: \"first\"}) { notes version } }",
                "variables": { "id": partner },
            }))
            .send()
    };
    let first = tokio::spawn(send(&app));
    // The key is claimed (committed) before the update waits for the row.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.sql_count("SELECT COUNT(*) FROM idempotency_key").await < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the key was never claimed"
        );
        tokio::task::yield_now().await;
    }
    let before = app.contents().await;
    let replay: Value = send(&app)
        .await
        .expect("answered")
        .json()
        .await
        .expect("a JSON body");
    assert_eq!(
        replay["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_IN_USE",
        "{replay}"
    );
    app.assert_unchanged(&before, "a replay refused while its first request ran")
        .await;
    assert!(!first.is_finished(), "the first request was held");
    lock.rollback().await.expect("release the row");
    conn.close().await.ok();
    let first: Value = first
        .await
        .expect("joined")
        .expect("answered")
        .json()
        .await
        .expect("a JSON body");
    assert_eq!(first["data"]["updatePartner"]["notes"], "first", "{first}");
    // Now the replay gets the first response.
    let again = send(&app).await.expect("answered");
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(again.json::<Value>().await.expect("JSON"), first);
}

/// SQLite: the error occurs there too (a first request that runs longer than the replay's 15 s
/// wait, e.g. a large import queued behind other writes), but no lock from outside can hold a
/// request between its claim and its write (see above). So the first request is held as the
/// state it leaves while it runs: its key claimed, by the same service call and with the same
/// fingerprint as the server's, and no response yet. The replay waits, is refused and writes
/// nothing; once the first request gives the key back (as after a retryable failure), the same
/// request runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_replay_while_the_first_request_runs_is_refused_with_idempotency_key_in_use() {
    use ipcp::service::idempotency;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let partner = fixtures::partner(&app, "TKM").await;
    let query = "mutation($id: ID!) { updatePartner(input: {id: $id, version: 1, notes: \"first\"}) { notes version } }";
    let variables = json!({ "id": partner });
    let key = "update-tkm-notes";
    let db = app.db().await;
    let fingerprint = idempotency::fingerprint(&[query, "", &variables.to_string()]);
    // The admin token's name is the key's owner (`TestApp::spawn`).
    let claimed = idempotency::claim(&db.conn, "test-admin", key, &fingerprint)
        .await
        .expect("claimed");
    assert!(matches!(claimed, idempotency::Claim::Run), "{claimed:?}");
    let send = || {
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .header("idempotency-key", key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
    };
    let before = app.contents().await;
    let replay: Value = send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("a JSON body");
    assert_eq!(
        replay["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_IN_USE",
        "{replay}"
    );
    app.assert_unchanged(&before, "a replay refused while its first request ran")
        .await;
    idempotency::release(&db.conn, "test-admin", key)
        .await
        .expect("released");
    db.close().await.ok();
    let again: Value = send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("a JSON body");
    assert_eq!(again["data"]["updatePartner"]["notes"], "first", "{again}");
}
