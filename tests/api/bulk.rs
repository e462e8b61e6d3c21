//! Bulk recording: per-row reports, all-or-nothing and per-row modes, CSV errors, the CLI import.

use serde_json::{json, Value};

use crate::{
    enrollment_rules::enrollment_state,
    helpers::{days_from_today, fixtures, Backend, TestApp},
};

const RECORD: &str = "mutation($rows: [EnrollmentRowInput!]!, $mode: BulkMode) { recordEnrollments(rows: $rows, mode: $mode) { mode committed applied refused rows { row outcome status code message enrollment { id status } } } }";
const IMPORT: &str = "mutation($csv: String!, $mode: BulkMode) { importEnrollmentsCsv(csv: $csv, mode: $mode) { mode committed applied refused rows { row outcome status code message } } }";
const HEADER: &str = "iteration_id,course_code,iteration_start,officer_id,action,evaluation_score";

struct World {
    iteration: String,
    started: String,
    officers: Vec<String>,
}

/// A 2-seat iteration of BS-101 starting 400 days from today, one that has started, and four
/// officers.
async fn world(app: &TestApp) -> World {
    let partner = fixtures::partner(app, "TKM").await;
    let course = fixtures::course(app, "BS-101", None).await;
    let iteration = fixtures::iteration(
        app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        2,
        None,
    )
    .await;
    let started = fixtures::iteration(app, &course, "2020-01-06", "2020-01-10", 5, None).await;
    let mut officers = Vec::new();
    for _ in 0..4 {
        officers.push(fixtures::officer(app, &partner, None).await);
    }
    World {
        iteration,
        started,
        officers,
    }
}

fn rows(report: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap().to_owned(),
                r["status"].as_str().map(str::to_owned),
                r["code"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn row(
    outcome: &str,
    status: Option<&str>,
    code: Option<&str>,
) -> (String, Option<String>, Option<String>) {
    (
        outcome.to_owned(),
        status.map(str::to_owned),
        code.map(str::to_owned),
    )
}

async fn every_row_is_reported_with_what_was_done(app: TestApp) {
    let w = world(&app).await;
    let o = &w.officers;
    let data = app
        .ok(
            RECORD,
            json!({ "rows": [
                { "iterationId": w.iteration, "officerId": o[0], "action": "NOMINATE" },
                { "courseCode": "BS-101", "iterationStart": days_from_today(400), "officerId": o[1], "action": "NOMINATE" },
                { "iterationId": w.iteration, "officerId": o[2], "action": "NOMINATE" },
                { "iterationId": w.started, "officerId": o[3], "action": "NOMINATE" },
                { "iterationId": w.started, "officerId": o[3], "action": "ATTEND" },
                { "iterationId": w.started, "officerId": o[3], "action": "COMPLETE", "evaluationScore": 87.5 },
            ] }),
        )
        .await;
    let report = &data["recordEnrollments"];
    assert_eq!(report["mode"], "ALL_OR_NOTHING");
    assert_eq!(report["committed"], true);
    assert_eq!(
        (report["applied"].as_i64(), report["refused"].as_i64()),
        (Some(6), Some(0))
    );
    assert_eq!(
        rows(report),
        [
            row("APPLIED", Some("CONFIRMED"), None),
            row("APPLIED", Some("CONFIRMED"), None),
            row("APPLIED", Some("WAITLISTED"), None),
            row("APPLIED", Some("CONFIRMED"), None),
            row("APPLIED", Some("ATTENDED"), None),
            row("APPLIED", Some("COMPLETED"), None),
        ]
    );
    assert_eq!(report["rows"][5]["row"], 6);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM enrollment WHERE status = 'COMPLETED' AND evaluation_score = 87.5")
            .await,
        1
    );
}

async fn all_or_nothing_rolls_back_every_row_when_one_is_refused(app: TestApp) {
    let w = world(&app).await;
    let o = &w.officers;
    let before = enrollment_state(&app).await;
    let data = app
        .ok(
            RECORD,
            json!({ "rows": [
                { "iterationId": w.iteration, "officerId": o[0], "action": "NOMINATE" },
                { "iterationId": w.iteration, "officerId": o[1], "action": "NOMINATE" },
                // Not started: attendance is refused, so the whole batch is.
                { "iterationId": w.iteration, "officerId": o[0], "action": "ATTEND" },
                { "iterationId": w.iteration, "officerId": o[2], "action": "NOMINATE" },
            ] }),
        )
        .await;
    let report = &data["recordEnrollments"];
    assert_eq!(report["committed"], false);
    assert_eq!(
        rows(report),
        [
            row("ROLLED_BACK", Some("CONFIRMED"), None),
            row("ROLLED_BACK", Some("CONFIRMED"), None),
            row("REFUSED", None, Some("ITERATION_NOT_STARTED")),
            // Checked against the state the earlier rows would have left: the seats are taken.
            row("ROLLED_BACK", Some("WAITLISTED"), None),
        ]
    );
    assert!(report["rows"][2]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("starts on {}", days_from_today(400))));
    assert_eq!(report["rows"][0]["enrollment"], Value::Null);
    assert_eq!(enrollment_state(&app).await, before);
}

async fn per_row_keeps_the_rows_that_pass(app: TestApp) {
    let w = world(&app).await;
    let o = &w.officers;
    let data = app
        .ok(
            RECORD,
            json!({ "mode": "PER_ROW", "rows": [
                { "iterationId": w.iteration, "officerId": o[0], "action": "NOMINATE" },
                { "iterationId": w.iteration, "officerId": o[0], "action": "ATTEND" },
                { "iterationId": w.iteration, "officerId": o[1], "action": "WITHDRAW" },
                { "iterationId": w.iteration, "officerId": o[1], "action": "NOMINATE" },
                { "iterationId": w.iteration, "officerId": o[0], "action": "WITHDRAW" },
            ] }),
        )
        .await;
    let report = &data["recordEnrollments"];
    assert_eq!(report["committed"], true);
    assert_eq!(
        (report["applied"].as_i64(), report["refused"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        rows(report),
        [
            row("APPLIED", Some("CONFIRMED"), None),
            row("REFUSED", None, Some("ITERATION_NOT_STARTED")),
            row("REFUSED", None, Some("NOT_ENROLLED")),
            row("APPLIED", Some("CONFIRMED"), None),
            row("APPLIED", Some("WITHDRAWN"), None),
        ]
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM enrollment WHERE status = 'CONFIRMED'")
            .await,
        1
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM enrollment WHERE status = 'WITHDRAWN'")
            .await,
        1
    );
    assert_eq!(
        app.sql_count(&format!(
            "SELECT CAST(seats_held AS BIGINT) FROM course_iteration WHERE start_date > '{}'",
            days_from_today(0)
        ))
        .await,
        1
    );
}

async fn a_csv_with_a_wrong_header_is_refused_naming_the_expected_columns(app: TestApp) {
    let w = world(&app).await;
    let before = enrollment_state(&app).await;
    let body = app
        .gql(
            IMPORT,
            json!({ "csv": format!("iteration,officer,action\n{},{},NOMINATE\n", w.iteration, w.officers[0]) }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "CSV_HEADER");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains(HEADER));
    assert_eq!(enrollment_state(&app).await, before);
}

async fn a_csv_reports_bad_dates_unknown_officers_and_duplicate_rows_row_by_row(app: TestApp) {
    let w = world(&app).await;
    let o = &w.officers;
    let csv = format!(
        "{HEADER}\n\
         {it},,,{o0},NOMINATE,\n\
         ,BS-101,2090-02-30,{o1},NOMINATE,\n\
         ,BS-101,{start},999999,NOMINATE,\n\
         {it},,,{o0},NOMINATE,\n\
         ,BS-101,{start},{o2},nominate,\n\
         ,NO-SUCH,{start},{o3},NOMINATE,\n",
        it = w.iteration,
        o0 = o[0],
        o1 = o[1],
        o2 = o[2],
        o3 = o[3],
        start = days_from_today(400),
    );
    let before = enrollment_state(&app).await;
    let data = app.ok(IMPORT, json!({ "csv": csv })).await;
    let report = &data["importEnrollmentsCsv"];
    let expected = [
        row("ROLLED_BACK", Some("CONFIRMED"), None),
        row("REFUSED", None, Some("BAD_USER_INPUT")),
        row("REFUSED", None, Some("NOT_FOUND")),
        row("REFUSED", None, Some("DUPLICATE_ROW")),
        row("ROLLED_BACK", Some("CONFIRMED"), None),
        row("REFUSED", None, Some("NOT_FOUND")),
    ];
    assert_eq!(rows(report), expected);
    assert!(report["rows"][1]["message"]
        .as_str()
        .unwrap()
        .contains("2090-02-30"));
    assert!(report["rows"][2]["message"]
        .as_str()
        .unwrap()
        .contains("officer 999999"));
    assert_eq!(
        enrollment_state(&app).await,
        before,
        "all or nothing by default"
    );
    // Per row, the good rows are kept and the others reported the same way.
    let data = app
        .ok(IMPORT, json!({ "csv": csv, "mode": "PER_ROW" }))
        .await;
    let report = &data["importEnrollmentsCsv"];
    let codes: Vec<Option<String>> = rows(report).into_iter().map(|r| r.2).collect();
    let expected_codes: Vec<Option<String>> = expected.into_iter().map(|r| r.2).collect();
    assert_eq!(codes, expected_codes);
    assert_eq!(report["applied"], 2);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM enrollment").await, 2);
}

async fn a_batch_beyond_the_limit_is_refused_with_a_clear_error(app: TestApp) {
    let w = world(&app).await;
    let many: Vec<Value> = (0..10_001)
        .map(|_| json!({ "iterationId": w.iteration, "officerId": w.officers[0], "action": "NOMINATE" }))
        .collect();
    let mut csv = String::from(HEADER);
    for _ in 0..10_001 {
        csv.push_str(&format!("\n{},,,{},NOMINATE,", w.iteration, w.officers[0]));
    }
    let body = app.gql(IMPORT, json!({ "csv": csv })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BATCH_TOO_LARGE");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("10000"));
    // The list form is larger than the request body limit long before 10,000 rows: either way
    // nothing is recorded.
    let _ = app.gql(RECORD, json!({ "rows": many })).await;
    let body = app.gql(RECORD, json!({ "rows": [] })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "EMPTY_BATCH");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM enrollment").await, 0);
}

/// (outcome, status, code, waitlist position) of a row, from RECORD_PLACED's answer.
type Placement = (String, Option<String>, Option<String>, Option<i64>);

fn placements(report: &Value) -> Vec<Placement> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap().to_owned(),
                r["status"].as_str().map(str::to_owned),
                r["code"].as_str().map(str::to_owned),
                r["enrollment"]["waitlistPosition"].as_i64(),
            )
        })
        .collect()
}

const RECORD_PLACED: &str = "mutation($rows: [EnrollmentRowInput!]!, $mode: BulkMode) { recordEnrollments(rows: $rows, mode: $mode) { committed rows { outcome status code message enrollment { id status waitlistPosition } } } }";

fn nominate(iteration: &str, officer: &str) -> Value {
    json!({ "iterationId": iteration, "officerId": officer, "action": "NOMINATE" })
}

async fn a_nomination_batch_seats_within_capacity_and_quota_then_waitlists_in_row_order(
    app: TestApp,
) {
    let tkm = fixtures::partner(&app, "TKM").await;
    let kaz = fixtures::partner(&app, "KAZ").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    // Three seats, at most two per partner.
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        3,
        Some(2),
    )
    .await;
    let mut t = Vec::new();
    let mut k = Vec::new();
    for _ in 0..3 {
        t.push(fixtures::officer(&app, &tkm, None).await);
        k.push(fixtures::officer(&app, &kaz, None).await);
    }
    let data = app
        .ok(
            RECORD_PLACED,
            json!({ "rows": [
                nominate(&it, &t[0]), nominate(&it, &t[1]), nominate(&it, &t[2]),
                nominate(&it, &k[0]), nominate(&it, &k[1]),
            ] }),
        )
        .await;
    let report = &data["recordEnrollments"];
    assert_eq!(report["committed"], true);
    let applied = |status: &str, position: Option<i64>| {
        (
            "APPLIED".to_owned(),
            Some(status.to_owned()),
            None,
            position,
        )
    };
    assert_eq!(
        placements(report),
        [
            applied("CONFIRMED", None),
            applied("CONFIRMED", None),
            // TKM's quota is used up: waitlisted although a seat is free.
            applied("WAITLISTED", Some(1)),
            applied("CONFIRMED", None),
            // The iteration is full.
            applied("WAITLISTED", Some(2)),
        ]
    );
    assert_eq!(
        app.sql_count("SELECT CAST(seats_held AS BIGINT) FROM course_iteration")
            .await,
        3
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM enrollment WHERE version = 2")
            .await,
        5
    );
    // A later batch goes on from where this one left the waitlist.
    let data = app
        .ok(RECORD_PLACED, json!({ "rows": [nominate(&it, &k[2])] }))
        .await;
    assert_eq!(
        placements(&data["recordEnrollments"]),
        [applied("WAITLISTED", Some(3))]
    );
}

async fn a_nomination_batch_refuses_a_second_overlapping_seat_even_from_its_own_rows(app: TestApp) {
    let tkm = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let first = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        5,
        None,
    )
    .await;
    let overlapping = fixtures::iteration(
        &app,
        &course,
        &days_from_today(402),
        &days_from_today(406),
        5,
        None,
    )
    .await;
    let full = fixtures::iteration(
        &app,
        &course,
        &days_from_today(401),
        &days_from_today(403),
        1,
        None,
    )
    .await;
    let later = fixtures::iteration(
        &app,
        &course,
        &days_from_today(433),
        &days_from_today(437),
        1,
        None,
    )
    .await;
    let a = fixtures::officer(&app, &tkm, None).await;
    let b = fixtures::officer(&app, &tkm, None).await;
    let c = fixtures::officer(&app, &tkm, None).await;
    let data = app
        .ok(
            RECORD_PLACED,
            json!({ "mode": "PER_ROW", "rows": [
                nominate(&first, &a),
                nominate(&overlapping, &a),
                nominate(&full, &c),
                // Waitlisted: a place on a waitlist is not a seat, so it clashes with nothing.
                nominate(&full, &b),
                nominate(&overlapping, &b),
                nominate(&later, &a),
            ] }),
        )
        .await;
    let report = &data["recordEnrollments"];
    let got: Vec<_> = placements(report)
        .into_iter()
        .map(|(outcome, status, code, _)| (outcome, status, code))
        .collect();
    assert_eq!(
        got,
        [
            row("APPLIED", Some("CONFIRMED"), None),
            row("REFUSED", None, Some("SCHEDULE_CONFLICT")),
            row("APPLIED", Some("CONFIRMED"), None),
            row("APPLIED", Some("WAITLISTED"), None),
            row("APPLIED", Some("CONFIRMED"), None),
            row("APPLIED", Some("CONFIRMED"), None),
        ]
    );
    let message = report["rows"][1]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "course iteration {first} ({} to {})",
            days_from_today(400),
            days_from_today(404)
        )),
        "{message}"
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM enrollment").await,
        5,
        "the refused row wrote nothing"
    );
}

async fn a_nomination_batch_applies_the_single_nomination_rules_to_each_row(app: TestApp) {
    let tkm = fixtures::partner(&app, "TKM").await;
    let plain = fixtures::course(&app, "BS-101", None).await;
    let english = fixtures::course(&app, "LANG-201", Some("3232")).await;
    let it = fixtures::iteration(
        &app,
        &plain,
        &days_from_today(400),
        &days_from_today(404),
        5,
        None,
    )
    .await;
    let demanding = fixtures::iteration(
        &app,
        &english,
        &days_from_today(461),
        &days_from_today(465),
        5,
        None,
    )
    .await;
    let cancelled = fixtures::iteration(
        &app,
        &plain,
        &days_from_today(492),
        &days_from_today(496),
        5,
        None,
    )
    .await;
    let v = app
        .ok(
            "query($id: ID!) { courseIteration(id: $id) { version } }",
            json!({ "id": cancelled }),
        )
        .await["courseIteration"]["version"]
        .clone();
    app.ok(
        "mutation($id: ID!, $v: Int!) { cancelCourseIteration(input: {id: $id, version: $v}) { id } }",
        json!({ "id": cancelled, "v": v }),
    )
    .await;
    let fluent = fixtures::officer(&app, &tkm, Some("3333")).await;
    let weak = fixtures::officer(&app, &tkm, Some("2222")).await;
    let nominated = fixtures::officer(&app, &tkm, None).await;
    let existing = app
        .ok(
            "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o, place: true}) { id } }",
            json!({ "i": it, "o": nominated }),
        )
        .await["nominateOfficer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let data = app
        .ok(
            RECORD_PLACED,
            json!({ "mode": "PER_ROW", "rows": [
                nominate(&demanding, &fluent),
                nominate(&demanding, &weak),
                nominate(&it, &nominated),
                nominate(&cancelled, &fluent),
                nominate("424242", &fluent),
                nominate(&it, "424243"),
                nominate(&demanding, &fluent),
                { "iterationId": it, "officerId": weak, "action": "NOMINATE", "evaluationScore": 50 },
                { "courseCode": "BS-101", "iterationStart": days_from_today(400), "officerId": fluent, "action": "NOMINATE" },
            ] }),
        )
        .await;
    let report = &data["recordEnrollments"];
    let codes: Vec<Option<&str>> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            None,
            Some("LANGUAGE_REQUIREMENT"),
            Some("ALREADY_NOMINATED"),
            Some("ITERATION_NOT_OPEN"),
            Some("NOT_FOUND"),
            Some("NOT_FOUND"),
            Some("DUPLICATE_ROW"),
            Some("BAD_USER_INPUT"),
            None,
        ]
    );
    let message = |i: usize| report["rows"][i]["message"].as_str().unwrap().to_owned();
    assert!(
        message(1).contains("requires at least 3232"),
        "{}",
        message(1)
    );
    assert!(
        message(2).contains(&format!("already has enrollment {existing}")),
        "{}",
        message(2)
    );
    assert!(message(4).contains("424242"), "{}", message(4));
    assert!(message(5).contains("officer 424243"), "{}", message(5));
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM enrollment").await, 3);
}

crate::on_both_backends!(
    every_row_is_reported_with_what_was_done,
    all_or_nothing_rolls_back_every_row_when_one_is_refused,
    per_row_keeps_the_rows_that_pass,
    a_csv_with_a_wrong_header_is_refused_naming_the_expected_columns,
    a_csv_reports_bad_dates_unknown_officers_and_duplicate_rows_row_by_row,
    a_batch_beyond_the_limit_is_refused_with_a_clear_error,
    a_nomination_batch_seats_within_capacity_and_quota_then_waitlists_in_row_order,
    a_nomination_batch_refuses_a_second_overlapping_seat_even_from_its_own_rows,
    a_nomination_batch_applies_the_single_nomination_rules_to_each_row,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_imports_enrollments_from_a_csv_file() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let w = world(&app).await;
    let dir = std::env::temp_dir();
    let good = dir.join(format!("ipcp-import-good-{}.csv", std::process::id()));
    let bad = dir.join(format!("ipcp-import-bad-{}.csv", std::process::id()));
    std::fs::write(
        &good,
        format!(
            "{HEADER}\n{it},,,{a},NOMINATE,\n,BS-101,{start},{b},NOMINATE,\n",
            start = days_from_today(400),
            it = w.iteration,
            a = w.officers[0],
            b = w.officers[1]
        ),
    )
    .unwrap();
    std::fs::write(
        &bad,
        format!(
            "{HEADER}\n{it},,,{c},NOMINATE,\n{it},,,424242,NOMINATE,\n",
            it = w.iteration,
            c = w.officers[2]
        ),
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
            .args(["import", "enrollments"])
            .arg(file)
            .env("DATABASE_URL", &app.database.url)
            .output()
            .expect("ipcp runs")
    };
    let out = run(&good);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("row 1\tapplied"), "{stdout}");
    assert!(stdout.contains("2 rows: 2 applied, 0 refused"), "{stdout}");
    let out = run(&bad);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("row 1\trolled back"), "{stdout}");
    assert!(
        stdout.contains("row 2\trefused\tNOT_FOUND\tofficer 424242 not found"),
        "{stdout}"
    );
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM enrollment").await, 2);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(["import", "enrollments", "--mode", "per-row"])
        .arg(&bad)
        .env("DATABASE_URL", &app.database.url)
        .output()
        .expect("ipcp runs");
    assert!(!out.status.success());
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM enrollment").await, 3);
    let _ = std::fs::remove_file(good);
    let _ = std::fs::remove_file(bad);
}
