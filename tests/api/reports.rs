//! Reports: a dataset built by hand (straight SQL, so every status and date is chosen) and every
//! figure of the cycle report checked against numbers worked out here, independently of the service.
//! Also the overviews, the bad inputs, the CLI and HTTP exports.

use entity::enums::Role;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

use crate::helpers::TestApp;

const TS: &str = "'2022-01-01 00:00:00+00:00'";

fn partner(code: &str) -> String {
    format!("(SELECT id FROM partner WHERE code = '{code}')")
}
fn area(code: &str) -> String {
    format!("(SELECT id FROM cooperation_area WHERE code = '{code}')")
}
fn cycle(partner_code: &str, start: &str) -> String {
    format!(
        "(SELECT id FROM programme_cycle WHERE partner_id = {} AND start_date = '{start}')",
        partner(partner_code)
    )
}
fn objective(title: &str) -> String {
    format!("(SELECT id FROM objective WHERE title = '{title}')")
}
fn iteration(location: &str) -> String {
    format!("(SELECT id FROM course_iteration WHERE location = '{location}')")
}
fn officer(family: &str) -> String {
    format!("(SELECT id FROM officer WHERE family_name = '{family}')")
}

/// The hand-built dataset: partner AAA with a CLOSED cycle 2020-2021 (C1) renewed by an ACTIVE
/// cycle 2022-2023 (C2); partner BBB whose officer sits in one of AAA's iterations; partner CCC
/// with an empty cycle. Iterations are identified by their location, officers by family name.
pub async fn build_dataset(app: &TestApp) {
    let conn = Database::connect(&app.database.url).await.unwrap();
    let mut sql: Vec<String> = Vec::new();
    for (code, name) in [("AAA", "Alpha"), ("BBB", "Bravo"), ("CCC", "Charlie")] {
        sql.push(format!("INSERT INTO partner (code, name, version, created_at, updated_at) VALUES ('{code}', '{name}', 1, {TS}, {TS})"));
    }
    sql.push(format!("INSERT INTO partnership_milestone (partner_id, framework, occurred_on, description, version, created_at, updated_at) VALUES ({}, 'PFP', '1994-05-10', 'Joined PfP', 1, {TS}, {TS})", partner("AAA")));
    sql.push(format!("INSERT INTO cooperation_area (code, name, name_fr, description, version, created_at, updated_at) VALUES ('CAP', 'Capacity', 'Capacités', 'd', 1, {TS}, {TS})"));
    sql.push(format!("INSERT INTO cooperation_area (code, name, description, version, created_at, updated_at) VALUES ('CIV', 'Civil', 'd', 1, {TS}, {TS})"));
    let cyc = |p: &str, start: &str, end: &str, status: &str, renews: &str| {
        format!("INSERT INTO programme_cycle (partner_id, kind, start_date, end_date, status, nac_approved_on, partner_approved_on, renews_cycle_id, version, created_at, updated_at) VALUES ({}, 'IPCP', '{start}', '{end}', '{status}', '{start}', '{start}', {renews}, 1, {TS}, {TS})", partner(p))
    };
    sql.push(cyc("AAA", "2020-01-01", "2021-12-31", "CLOSED", "NULL"));
    sql.push(cyc(
        "AAA",
        "2022-01-01",
        "2023-12-31",
        "ACTIVE",
        &cycle("AAA", "2020-01-01"),
    ));
    sql.push(cyc("BBB", "2022-01-01", "2023-12-31", "ACTIVE", "NULL"));
    sql.push(cyc("CCC", "2022-01-01", "2023-12-31", "ACTIVE", "NULL"));
    for (c, a, title, status, target) in [
        ("2022-01-01", "CAP", "O1", "ON_TRACK", "5"),
        ("2022-01-01", "CAP", "O2", "AT_RISK", "NULL"),
        ("2022-01-01", "CIV", "O3", "ACHIEVED", "2"),
        ("2020-01-01", "CAP", "O4", "ACHIEVED", "1"),
    ] {
        sql.push(format!("INSERT INTO objective (cycle_id, area_id, title, indicator, target, status, version, created_at, updated_at) VALUES ({}, {}, '{title}', 'officers trained', {target}, '{status}', 1, {TS}, {TS})", cycle("AAA", c), area(a)));
    }
    for (code, topic) in [
        ("K1", "BORDER_SECURITY"),
        ("K2", "LANGUAGES"),
        ("K3", "ARMS_CONTROL"),
    ] {
        sql.push(format!("INSERT INTO course (code, title, topic, organiser, delivery, duration_days, version, created_at, updated_at) VALUES ('{code}', 'Course {code}', '{topic}', 'NATO School', 'RESIDENTIAL', 5, 1, {TS}, {TS})"));
    }
    for (loc, course, start, end, cap, seats, status) in [
        ("I1", "K1", "2022-03-01", "2022-03-05", 10, 4, "HELD"),
        ("I2", "K1", "2022-06-01", "2022-06-05", 8, 2, "HELD"),
        ("I3", "K2", "2023-02-01", "2023-02-10", 12, 1, "OPEN"),
        ("I4", "K1", "2021-05-01", "2021-05-03", 6, 1, "HELD"),
        ("I5", "K2", "2023-12-20", "2024-01-05", 5, 1, "OPEN"),
        ("I6", "K3", "2022-09-01", "2022-09-02", 20, 0, "HELD"),
        ("I7", "K3", "2022-10-01", "2022-10-02", 5, 0, "OPEN"),
    ] {
        sql.push(format!("INSERT INTO course_iteration (course_id, start_date, end_date, location, capacity, seats_held, status, version, created_at, updated_at) VALUES ((SELECT id FROM course WHERE code = '{course}'), '{start}', '{end}', '{loc}', {cap}, {seats}, '{status}', 1, {TS}, {TS})"));
    }
    for (it, obj) in [
        ("I1", "O1"),
        ("I2", "O1"),
        ("I5", "O1"),
        ("I6", "O2"),
        ("I3", "O3"),
    ] {
        sql.push(format!(
            "INSERT INTO iteration_objective (iteration_id, objective_id) VALUES ({}, {})",
            iteration(it),
            objective(obj)
        ));
    }
    for (p, family, rank, service) in [
        ("AAA", "F1", "Captain", "ARMY"),
        ("AAA", "F2", "Major", "ARMY"),
        ("AAA", "F3", "Captain", "NAVY"),
        ("AAA", "F4", "Lieutenant", "BORDER_GUARD"),
        ("AAA", "F5", "Mr", "CIVILIAN"),
        ("BBB", "G1", "Colonel", "AIR_FORCE"),
    ] {
        sql.push(format!("INSERT INTO officer (partner_id, family_name, given_name, rank, service, version, created_at, updated_at) VALUES ({}, '{family}', 'X', '{rank}', '{service}', 1, {TS}, {TS})", partner(p)));
    }
    // (iteration, officer, partner, status, confirmed?, waitlist position)
    for (it, off, p, status, confirmed, wl) in [
        ("I1", "F1", "AAA", "COMPLETED", true, "NULL"),
        ("I1", "F2", "AAA", "COMPLETED", true, "NULL"),
        ("I1", "F3", "AAA", "FAILED", true, "NULL"),
        ("I1", "F4", "AAA", "NO_SHOW", true, "NULL"),
        ("I1", "G1", "BBB", "COMPLETED", true, "NULL"),
        ("I2", "F1", "AAA", "COMPLETED", true, "NULL"),
        ("I2", "F5", "AAA", "WITHDRAWN", true, "NULL"),
        ("I2", "F4", "AAA", "WITHDRAWN", false, "NULL"),
        ("I2", "F3", "AAA", "ATTENDED", true, "NULL"),
        ("I3", "F2", "AAA", "CONFIRMED", true, "NULL"),
        ("I3", "F5", "AAA", "WAITLISTED", false, "1"),
        ("I3", "F4", "AAA", "NOMINATED", false, "NULL"),
        ("I3", "F3", "AAA", "DECLINED", false, "NULL"),
        ("I4", "F1", "AAA", "COMPLETED", true, "NULL"),
        ("I4", "F2", "AAA", "CANCELLED", true, "NULL"),
        ("I4", "F3", "AAA", "NO_SHOW", true, "NULL"),
        ("I5", "F5", "AAA", "COMPLETED", true, "NULL"),
        ("I7", "G1", "BBB", "WAITLISTED", false, "1"),
    ] {
        let confirmed_at = if confirmed { TS } else { "NULL" };
        sql.push(format!("INSERT INTO enrollment (iteration_id, officer_id, partner_id, status, waitlist_position, nominated_at, confirmed_at, version, updated_at) VALUES ({}, {}, {}, '{status}', {wl}, {TS}, {confirmed_at}, 1, {TS})", iteration(it), officer(off), partner(p)));
    }
    for (c, a, kind, title, start) in [
        ("2022-01-01", "CAP", "EXERCISE", "A1", "2022-04-01"),
        ("2022-01-01", "CAP", "MEETING", "A2", "2022-05-01"),
        ("2022-01-01", "CIV", "DISASTER_RESPONSE", "A3", "2022-07-01"),
        ("2020-01-01", "CIV", "MEETING", "A4", "2020-07-01"),
    ] {
        sql.push(format!("INSERT INTO activity (cycle_id, area_id, kind, title, description, start_date, end_date, version, created_at, updated_at) VALUES ({}, {}, '{kind}', '{title}', 'd', '{start}', '{start}', 1, {TS}, {TS})", cycle("AAA", c), area(a)));
    }
    for s in sql {
        conn.execute_unprepared(&s)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    conn.close().await.ok();
}

pub async fn cycle_id(app: &TestApp, partner_code: &str, start: &str) -> String {
    let data = app
        .ok(
            "query($p: String) { reportCycles(partner: $p) { id startDate } }",
            json!({ "p": partner_code }),
        )
        .await;
    data["reportCycles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["startDate"] == start)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

const FIGURES: &str = "objectivesByStatus { areaCode areaName status statusLabel count }
  objectiveIndicators { title areaCode status target actual }
  topics { topic topicLabel iterations heldIterations seatsHeld capacity fillRate partnerSeatsHeld }
  officersTrained
  officersTrainedByTopic { code label count }
  officersTrainedByService { code label count }
  officersTrainedByRank { code label count }
  funnel { code label count }
  seatsHeld completed noShow withdrawnAfterConfirmation confirmedPlaces
  completionRate noShowRate withdrawalRate
  activitiesByArea { areaCode areaName count }";

async fn report(app: &TestApp, id: &str, lang: &str) -> Value {
    let query = format!(
        "query($id: ID!, $lang: Language!) {{ cycleReport(cycleId: $id, lang: $lang) {{ language cycle {{ id partnerCode status startDate endDate }} figures {{ {FIGURES} }} previousCycle {{ id startDate }} previous {{ {FIGURES} }} }} }}"
    );
    app.ok(&query, json!({ "id": id, "lang": lang })).await["cycleReport"].clone()
}

/// `[(code, count)]` of a list of labelled counts.
fn counts(list: &Value) -> Vec<(String, i64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    expected
        .iter()
        .map(|(c, n)| ((*c).to_owned(), *n))
        .collect()
}

fn close(actual: &Value, expected: f64) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {actual}"));
    assert!((a - expected).abs() < 1e-9, "{a} != {expected}");
}

async fn every_figure_of_the_cycle_report_matches_the_hand_count(app: TestApp) {
    build_dataset(&app).await;
    let c2 = cycle_id(&app, "AAA", "2022-01-01").await;
    let c1 = cycle_id(&app, "AAA", "2020-01-01").await;
    let r = report(&app, &c2, "EN").await;
    assert_eq!(r["cycle"]["id"], c2);
    assert_eq!(
        r["previousCycle"]["id"], c1,
        "the renewed cycle is the previous one"
    );
    let f = &r["figures"];

    // Objectives per area and status.
    let by_status: Vec<(String, String, i64)> = f["objectivesByStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["areaCode"].as_str().unwrap().into(),
                o["status"].as_str().unwrap().into(),
                o["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_status,
        vec![
            ("CAP".into(), "AT_RISK".into(), 1),
            ("CAP".into(), "ON_TRACK".into(), 1),
            ("CIV".into(), "ACHIEVED".into(), 1)
        ]
    );
    // O1 is served by I1 (F1, F2 completed), I2 (F1 again) and I5 (outside the cycle's dates).
    let indicators: Vec<(String, Value, i64)> = f["objectiveIndicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["title"].as_str().unwrap().into(),
                o["target"].clone(),
                o["actual"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        indicators,
        vec![
            ("O1".into(), json!(5.0), 2),
            ("O2".into(), Value::Null, 0),
            ("O3".into(), json!(2.0), 0)
        ]
    );

    // Topics: K3 counts I6 through objective O2 (not I7: BBB's only); I5 lies outside the dates.
    let topics = f["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 3, "{topics:#?}");
    let topic = |code: &str| topics.iter().find(|t| t["topic"] == code).unwrap().clone();
    let arms = topic("ARMS_CONTROL");
    assert_eq!(
        (
            arms["iterations"].as_i64(),
            arms["heldIterations"].as_i64(),
            arms["seatsHeld"].as_i64(),
            arms["capacity"].as_i64(),
            arms["partnerSeatsHeld"].as_i64()
        ),
        (Some(1), Some(1), Some(0), Some(20), Some(0))
    );
    close(&arms["fillRate"], 0.0);
    let border = topic("BORDER_SECURITY");
    assert_eq!(
        (
            border["iterations"].as_i64(),
            border["heldIterations"].as_i64(),
            border["seatsHeld"].as_i64(),
            border["capacity"].as_i64(),
            border["partnerSeatsHeld"].as_i64()
        ),
        (Some(2), Some(2), Some(4 + 2), Some(10 + 8), Some(3 + 2))
    );
    close(&border["fillRate"], 6.0 / 18.0);
    let languages = topic("LANGUAGES");
    assert_eq!(
        (
            languages["iterations"].as_i64(),
            languages["heldIterations"].as_i64(),
            languages["seatsHeld"].as_i64(),
            languages["capacity"].as_i64(),
            languages["partnerSeatsHeld"].as_i64()
        ),
        (Some(1), Some(0), Some(0), Some(0), Some(1))
    );
    close(&languages["fillRate"], 0.0);

    // Officers trained: F1 and F2 (F5 completed only outside the dates; G1 is BBB's).
    assert_eq!(f["officersTrained"], 2);
    assert_eq!(
        counts(&f["officersTrainedByTopic"]),
        pairs(&[("BORDER_SECURITY", 2)])
    );
    assert_eq!(
        counts(&f["officersTrainedByService"]),
        pairs(&[("ARMY", 2)])
    );
    assert_eq!(
        counts(&f["officersTrainedByRank"]),
        pairs(&[("Captain", 1), ("Major", 1)])
    );

    // The funnel over AAA's 12 enrollments in I1, I2 and I3.
    assert_eq!(
        counts(&f["funnel"]),
        pairs(&[
            ("NOMINATED", 1),
            ("WAITLISTED", 1),
            ("DECLINED", 1),
            ("CONFIRMED", 1),
            ("WITHDRAWN", 2),
            ("ATTENDED", 1),
            ("NO_SHOW", 1),
            ("COMPLETED", 3),
            ("FAILED", 1),
            ("CANCELLED", 0)
        ])
    );
    // Seats held: CONFIRMED 1 + ATTENDED 1 + COMPLETED 3 + FAILED 1; one withdrawal after confirmation.
    assert_eq!(f["seatsHeld"], 6);
    assert_eq!(f["completed"], 3);
    assert_eq!(f["noShow"], 1);
    assert_eq!(f["withdrawnAfterConfirmation"], 1);
    assert_eq!(f["confirmedPlaces"], 8);
    close(&f["completionRate"], 3.0 / 8.0);
    close(&f["noShowRate"], 1.0 / 8.0);
    close(&f["withdrawalRate"], 1.0 / 8.0);
    assert_eq!(
        f["activitiesByArea"],
        json!([{"areaCode": "CAP", "areaName": "Capacity", "count": 2}, {"areaCode": "CIV", "areaName": "Civil", "count": 1}])
    );

    // The previous cycle C1: I4 only (F1 completed, F2 cancelled, F3 no-show).
    let p = &r["previous"];
    assert_eq!(
        counts(&p["funnel"])
            .iter()
            .filter(|(_, n)| *n > 0)
            .cloned()
            .collect::<Vec<_>>(),
        pairs(&[("NO_SHOW", 1), ("COMPLETED", 1), ("CANCELLED", 1)])
    );
    assert_eq!(p["officersTrained"], 1);
    assert_eq!(p["seatsHeld"], 1);
    assert_eq!(p["confirmedPlaces"], 2, "cancelled is excluded");
    close(&p["completionRate"], 0.5);
    close(&p["noShowRate"], 0.5);
    close(&p["withdrawalRate"], 0.0);
    let t = &p["topics"][0];
    assert_eq!(
        (
            t["topic"].as_str(),
            t["iterations"].as_i64(),
            t["seatsHeld"].as_i64(),
            t["capacity"].as_i64()
        ),
        (Some("BORDER_SECURITY"), Some(1), Some(1), Some(6))
    );
    close(&t["fillRate"], 1.0 / 6.0);
    assert_eq!(p["objectiveIndicators"][0]["actual"], 0);
    assert_eq!(
        p["activitiesByArea"],
        json!([{"areaCode": "CIV", "areaName": "Civil", "count": 1}])
    );

    // The first cycle has nothing to compare with.
    let r1 = report(&app, &c1, "EN").await;
    assert!(r1["previousCycle"].is_null() && r1["previous"].is_null());

    // In French: labels and the stored French area name (falling back to English without one).
    let fr = report(&app, &c2, "FR").await;
    assert_eq!(fr["language"], "FR");
    let ff = &fr["figures"];
    assert_eq!(ff["activitiesByArea"][0]["areaName"], "Capacités");
    assert_eq!(ff["activitiesByArea"][1]["areaName"], "Civil");
    assert!(ff["topics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["topicLabel"] == "Sécurité et contrôle des frontières"));
    assert_eq!(ff["funnel"][7]["label"], "Terminé avec succès");
    assert_eq!(
        ff["completed"], f["completed"],
        "the figures do not depend on the language"
    );
}

async fn an_empty_cycle_reports_zeros(app: TestApp) {
    build_dataset(&app).await;
    let c = cycle_id(&app, "CCC", "2022-01-01").await;
    let r = report(&app, &c, "EN").await;
    let f = &r["figures"];
    for field in [
        "officersTrained",
        "seatsHeld",
        "completed",
        "confirmedPlaces",
    ] {
        assert_eq!(f[field], 0, "{field}");
    }
    for field in ["completionRate", "noShowRate", "withdrawalRate"] {
        close(&f[field], 0.0);
    }
    assert!(f["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["count"] == 0));
    assert_eq!(f["topics"], json!([]));
    assert!(r["previous"].is_null());
}

async fn bad_report_inputs_get_codes(app: TestApp) {
    build_dataset(&app).await;
    let q = "query($id: ID!) { cycleReport(cycleId: $id) { cycle { id } } }";
    assert_eq!(
        app.error_code(q, json!({ "id": "999999" })).await,
        "NOT_FOUND"
    );
    assert_eq!(
        app.error_code(q, json!({ "id": "not-an-id" })).await,
        "NOT_FOUND"
    );
    let q = "query($c: String!) { partnerOverview(code: $c) { code } }";
    assert_eq!(app.error_code(q, json!({ "c": "ZZZ" })).await, "NOT_FOUND");
    let q = "query { programmeOverview(from: \"2023-01-01\", to: \"2022-01-01\") { code } }";
    assert_eq!(app.error_code(q, json!({})).await, "BAD_USER_INPUT");
    let q = "query { upcomingIterations(limit: 101) { iterationId } }";
    assert_eq!(app.error_code(q, json!({})).await, "BAD_USER_INPUT");
    let q = "query { waitlists(limit: 0) { iterationId } }";
    assert_eq!(app.error_code(q, json!({})).await, "BAD_USER_INPUT");
}

async fn overviews_upcoming_iterations_and_waitlists_match_the_hand_count(app: TestApp) {
    build_dataset(&app).await;
    let o = app
        .ok("{ partnerOverview(code: \"AAA\", lang: FR) { code activeCycle { startDate } renewalDueOn daysUntilRenewal timeline { kind startDate code label text } } }", json!({}))
        .await["partnerOverview"]
        .clone();
    assert_eq!(o["activeCycle"]["startDate"], "2022-01-01");
    assert_eq!(o["renewalDueOn"], "2024-01-01");
    let today = chrono::Utc::now().date_naive();
    let due = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    assert_eq!(o["daysUntilRenewal"], (due - today).num_days());
    let kinds: Vec<&str> = o["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "MILESTONE",
            "CYCLE",
            "ACTIVITY",
            "CYCLE",
            "ACTIVITY",
            "ACTIVITY",
            "ACTIVITY"
        ]
    );
    assert_eq!(o["timeline"][0]["label"], "Partenariat pour la paix");

    let rows = app
        .ok("{ programmeOverview(from: \"2022-01-01\", to: \"2023-12-31\") { code iterations nominations seatsHeld completed officersTrained confirmedPlaces completionRate activities } }", json!({}))
        .await["programmeOverview"]
        .clone();
    assert_eq!(
        rows[0],
        json!({"code": "AAA", "iterations": 3, "nominations": 12, "seatsHeld": 6, "completed": 3, "officersTrained": 2, "confirmedPlaces": 8, "completionRate": 0.375, "activities": 3})
    );
    assert_eq!(
        rows[1],
        json!({"code": "BBB", "iterations": 2, "nominations": 2, "seatsHeld": 1, "completed": 1, "officersTrained": 1, "confirmedPlaces": 1, "completionRate": 1.0, "activities": 0})
    );
    assert_eq!(
        rows[2],
        json!({"code": "CCC", "iterations": 0, "nominations": 0, "seatsHeld": 0, "completed": 0, "officersTrained": 0, "confirmedPlaces": 0, "completionRate": 0.0, "activities": 0})
    );

    let up = app
        .ok("{ upcomingIterations(from: \"2023-01-01\", limit: 10) { courseCode location: startDate openSeats waitlisted } }", json!({}))
        .await["upcomingIterations"]
        .clone();
    assert_eq!(
        up,
        json!([
            {"courseCode": "K2", "location": "2023-02-01", "openSeats": 11, "waitlisted": 1},
            {"courseCode": "K2", "location": "2023-12-20", "openSeats": 4, "waitlisted": 0}
        ])
    );
    let wl = app
        .ok("{ waitlists { startDate waitlisted } }", json!({}))
        .await["waitlists"]
        .clone();
    assert_eq!(
        wl,
        json!([{"startDate": "2022-10-01", "waitlisted": 1}, {"startDate": "2023-02-01", "waitlisted": 1}])
    );
    let wl = app
        .ok(
            "{ waitlists(partner: \"AAA\") { startDate waitlisted } }",
            json!({}),
        )
        .await["waitlists"]
        .clone();
    assert_eq!(wl, json!([{"startDate": "2023-02-01", "waitlisted": 1}]));
}

async fn reports_are_open_to_reporter_and_analyst_but_not_anonymous(app: TestApp) {
    build_dataset(&app).await;
    let c = cycle_id(&app, "AAA", "2022-01-01").await;
    let q = "query($id: ID!) { cycleReport(cycleId: $id) { figures { completed } } }";
    for role in [Role::Reporter, Role::Analyst] {
        let token = app.token_for(role).await;
        let (_, body) = app.gql_as(Some(&token), q, json!({ "id": c })).await;
        assert_eq!(
            body["data"]["cycleReport"]["figures"]["completed"], 3,
            "{role:?}: {body}"
        );
    }
    let (_, body) = app.gql_as(None, q, json!({ "id": c })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

fn ipcp(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(args)
        .env("DATABASE_URL", &app.database.url)
        .env_remove("IPCP_REPORT_LANG")
        .output()
        .expect("ipcp runs")
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "ipcp failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

const HEADER_EN: &str = "partner,cycle,cycle start,cycle end,period,section,group,item,value";
const HEADER_FR: &str =
    "partenaire,cycle,début du cycle,fin du cycle,période,rubrique,groupe,élément,valeur";

async fn the_cli_exports_cycle_reports_as_csv_and_json(app: TestApp) {
    build_dataset(&app).await;
    let c2 = cycle_id(&app, "AAA", "2022-01-01").await;
    let csv = stdout(&ipcp(
        &app,
        &["report", "cycle", "--partner", "AAA", "--format", "csv"],
    ));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], HEADER_EN);
    let prefix = format!("AAA,{c2},2022-01-01,2023-12-31,current,");
    assert!(
        lines.contains(&format!("{prefix}rates,all,completion rate,0.3750").as_str()),
        "{csv}"
    );
    assert!(lines.contains(&format!("{prefix}rates,all,confirmed places,8").as_str()));
    assert!(
        lines.contains(
            &format!("{prefix}iterations by topic,Border security and control,fill rate,0.3333")
                .as_str()
        ),
        "{csv}"
    );
    assert!(lines.contains(&format!("{prefix}enrollment funnel,all,Withdrawn,2").as_str()));
    assert!(lines
        .iter()
        .any(|l| l.contains(",previous,rates,all,completion rate,0.5000")));

    let fr = stdout(&ipcp(
        &app,
        &[
            "report",
            "cycle",
            "--partner",
            "AAA",
            "--cycle",
            &c2,
            "--format",
            "csv",
            "--lang",
            "fr",
        ],
    ));
    assert_eq!(fr.lines().next(), Some(HEADER_FR));
    assert!(
        fr.lines()
            .any(|l| l.ends_with("en cours,taux,tous,taux de réussite,0.3750")),
        "{fr}"
    );

    let json: Value = serde_json::from_str(&stdout(&ipcp(
        &app,
        &["report", "cycle", "--partner", "AAA", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(json["language"], "en");
    assert_eq!(json["figures"]["completed"], 3);
    assert_eq!(json["figures"]["confirmed_places"], 8);
    assert_eq!(json["previous"]["completed"], 1);

    let dir = std::env::temp_dir().join(format!(
        "ipcp-report-all-{}-{}",
        std::process::id(),
        app.address.rsplit(':').next().unwrap()
    ));
    let listed = stdout(&ipcp(
        &app,
        &[
            "report",
            "all",
            "--format",
            "csv",
            "--out",
            dir.to_str().unwrap(),
        ],
    ));
    assert_eq!(listed.lines().count(), 3, "{listed}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3);
    assert!(
        names[0].starts_with("AAA-cycle-")
            && names[1].starts_with("BBB-cycle-")
            && names[2].starts_with("CCC-cycle-")
    );
    let aaa = std::fs::read_to_string(dir.join(&names[0])).unwrap();
    assert_eq!(aaa, csv, "the file holds what `report cycle` prints");
    std::fs::remove_dir_all(&dir).ok();

    let unknown = ipcp(&app, &["report", "cycle", "--partner", "ZZZ"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("partner ZZZ not found"));
}

async fn export(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    accept_language: Option<&str>,
) -> (u16, String, String) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(l) = accept_language {
        request = request.header("Accept-Language", l);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, media, response.text().await.unwrap())
}

async fn http_exports_stream_csv_and_json_to_reporting_roles(app: TestApp) {
    build_dataset(&app).await;
    let c2 = cycle_id(&app, "AAA", "2022-01-01").await;
    let reporter = app.token_for(Role::Reporter).await;
    let analyst = app.token_for(Role::Analyst).await;

    let (status, media, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=AAA&format=csv",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(media.starts_with("text/csv"));
    assert_eq!(body.lines().next(), Some(HEADER_EN));
    assert!(
        body.lines().any(|l| l
            == format!("AAA,{c2},2022-01-01,2023-12-31,current,rates,all,completion rate,0.3750")),
        "{body}"
    );
    let cli = stdout(&ipcp(
        &app,
        &["report", "cycle", "--partner", "AAA", "--format", "csv"],
    ));
    assert_eq!(body, cli, "HTTP and CLI exports agree");

    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=AAA",
        Some("fr-FR,fr;q=0.9,en;q=0.5"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body.lines().next(), Some(HEADER_FR));

    let (status, media, body) = export(
        &app,
        Some(&analyst),
        &format!("/exports/cycle-report?partner=AAA&cycle={c2}&format=json"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(media.starts_with("application/json"));
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["figures"]["seats_held"], 6);

    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-reports?format=csv",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| **l == HEADER_EN).count(),
        1,
        "one header row"
    );
    for code in ["AAA,", "BBB,", "CCC,"] {
        assert!(lines.iter().any(|l| l.starts_with(code)), "{code} missing");
    }
    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-reports?format=json",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let all: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 3);

    let (status, _, _) = export(&app, None, "/exports/cycle-report?partner=AAA", None).await;
    assert_eq!(status, 401);
    let (status, _, _) = export(&app, Some("not-a-token"), "/exports/cycle-reports", None).await;
    assert_eq!(status, 401);
    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=ZZZ",
        None,
    )
    .await;
    assert_eq!((status, body.contains("NOT_FOUND")), (404, true));
    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=AAA&format=xml",
        None,
    )
    .await;
    assert_eq!((status, body.contains("BAD_USER_INPUT")), (400, true));
    let (status, _, _) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=BBB&cycle="
            .to_owned()
            .as_str(),
        None,
    )
    .await;
    assert_eq!(status, 404, "an empty cycle id names no cycle");
    let (status, _, _) = export(
        &app,
        Some(&reporter),
        &format!("/exports/cycle-report?partner=BBB&cycle={c2}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "a cycle of another partner is not found");
}

async fn cooperation_areas_carry_a_french_name(app: TestApp) {
    let data = app
        .ok("mutation { createCooperationArea(input: {code: \"SPS\", name: \"Science for Peace and Security\", nameFr: \"Science au service de la paix et de la sécurité\", description: \"d\"}) { id version name nameFr fr: name(lang: FR) } }", json!({}))
        .await;
    let area = &data["createCooperationArea"];
    assert_eq!(area["name"], "Science for Peace and Security");
    assert_eq!(
        area["fr"],
        "Science au service de la paix et de la sécurité"
    );
    let data = app
        .ok("mutation($id: ID!, $v: Int!) { updateCooperationArea(input: {id: $id, version: $v, nameFr: null}) { nameFr fr: name(lang: FR) } }", json!({ "id": area["id"], "v": area["version"] }))
        .await;
    assert_eq!(
        data["updateCooperationArea"],
        json!({"nameFr": null, "fr": "Science for Peace and Security"}),
        "French falls back to English"
    );
}

crate::on_both_backends!(
    every_figure_of_the_cycle_report_matches_the_hand_count,
    an_empty_cycle_reports_zeros,
    bad_report_inputs_get_codes,
    overviews_upcoming_iterations_and_waitlists_match_the_hand_count,
    reports_are_open_to_reporter_and_analyst_but_not_anonymous,
    the_cli_exports_cycle_reports_as_csv_and_json,
    http_exports_stream_csv_and_json_to_reporting_roles,
    cooperation_areas_carry_a_french_name,
);

mod demo {
    use super::*;

    async fn the_demo_programme_has_a_report_worth_showing(app: TestApp) {
        let db =
            ipcp::service::Db::connect(&ipcp::config::DatabaseArgs::new(app.database.url.clone()))
                .await
                .unwrap();
        ipcp::service::seed::demo(&db, &ipcp::service::uow::Actor::cli("seed"))
            .await
            .unwrap();
        let c = cycle_id(&app, "TKM", "2026-01-01").await;
        let r = report(&app, &c, "FR").await;
        assert_eq!(r["cycle"]["status"], "ACTIVE");
        assert_eq!(r["previousCycle"]["startDate"], "2024-01-01");
        let f = &r["figures"];
        assert_eq!(f["officersTrained"], 5);
        assert_eq!(f["seatsHeld"], 9);
        assert_eq!(f["confirmedPlaces"], 11);
        assert_eq!(r["previous"]["officersTrained"], 3);
        assert!(f["objectivesByStatus"][0]["areaName"]
            .as_str()
            .unwrap()
            .starts_with("Renforcement des capacités"));
    }

    crate::on_both_backends!(the_demo_programme_has_a_report_worth_showing);
}
