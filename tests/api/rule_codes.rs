//! The rule codes of invariant 7 (dates) and of the cycle lifecycle that no other test provoked,
//! one test per code, each through the API (or the CLI) and each proving that the refused request
//! wrote nothing: every table's full contents are compared before and after.

use serde_json::{json, Value};

use crate::{
    cycle_rules::{active, approved},
    enrollment_rules::nominate,
    helpers::{days_from_today, fixtures, TestApp},
};

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
            json!({ "k": "ITPP", "e": "2030-12-31" }),
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
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("empty database"), "{stderr}");
    app.assert_unchanged(&before, "a refused `ipcp seed bench`")
        .await;
}

crate::on_both_backends!(
    a_start_after_the_end_is_refused_with_invalid_dates,
    an_activity_outside_its_cycle_is_refused_with_outside_cycle,
    an_activity_serving_an_objective_of_another_cycle_is_refused,
    a_capacity_below_the_seats_held_is_refused,
    changing_the_kind_or_dates_of_an_approved_cycle_is_refused_with_cycle_not_draft,
    an_objective_added_to_a_closed_or_superseded_cycle_is_refused_with_cycle_closed,
    the_benchmark_dataset_into_a_database_with_data_is_refused_with_database_not_empty,
);
