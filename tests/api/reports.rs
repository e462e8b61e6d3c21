//! Reports: every figure of the cycle report checked against numbers worked out by hand from the
//! dataset of `report_dataset`, the overviews, the bad inputs, who may read them, and the French
//! labels.

use entity::enums::Role;
use serde_json::{json, Value};

use crate::{
    helpers::TestApp,
    report_dataset::{build_dataset, cycle_id},
};

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
