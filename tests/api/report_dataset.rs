//! The reports' hand-built dataset: straight SQL, so every status and date is chosen, and the
//! figures the report tests expect can be worked out by hand, independently of the service.

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

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
