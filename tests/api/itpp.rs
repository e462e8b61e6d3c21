//! The ITPP structure: partnership goals nested under strategic objectives, indicators measured
//! over time, PCM and ETOC codes on courses, and an IPCP renewed into an ITPP.

use serde_json::{json, Value};

use crate::evaluation::day;
use crate::helpers::{fixtures, TestApp};

pub const OBJECTIVE: &str = "mutation($c: ID!, $a: ID!, $t: String!, $p: ID) { createObjective(input: {cycleId: $c, areaId: $a, title: $t, indicator: \"officers trained\", target: 5, parentId: $p}) { id version parent { id } } }";
const NEST: &str = "mutation($id: ID!, $v: Int!, $p: ID) { updateObjective(input: {id: $id, version: $v, parentId: $p}) { id version parent { id } } }";
pub const MEASURE: &str = "mutation($o: ID!, $d: Date!, $v: Float!, $n: String) { recordIndicatorMeasurement(input: {objectiveId: $o, measuredOn: $d, value: $v, note: $n}) { id measuredOn value note objectiveId } }";

async fn objective(
    app: &TestApp,
    cycle: &str,
    area: &str,
    title: &str,
    parent: Option<&str>,
) -> Value {
    app.ok(
        OBJECTIVE,
        json!({"c": cycle, "a": area, "t": title, "p": parent}),
    )
    .await["createObjective"]
        .clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn objectives_state(app: &TestApp) -> Vec<i64> {
    let mut s = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM objective",
        "SELECT COALESCE(SUM(version), 0) FROM objective",
        "SELECT COUNT(*) FROM indicator_measurement",
        "SELECT COUNT(*) FROM audit_event",
    ] {
        s.push(app.sql_count(sql).await);
    }
    s
}

async fn refused(app: &TestApp, query: &str, vars: Value) -> String {
    let before = objectives_state(app).await;
    let code = app.error_code(query, vars).await;
    assert_eq!(
        objectives_state(app).await,
        before,
        "{code}: nothing written"
    );
    code
}

async fn a_partnership_goal_nests_under_a_strategic_objective_and_activities_serve_it(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "CAPACITY").await;
    // An ITPP's end is as agreed: it is given.
    let c = app
        .ok(
            "mutation($p: ID!, $s: Date!, $e: Date!) { createProgrammeCycle(input: {partnerId: $p, kind: ITPP, startDate: $s, endDate: $e}) { id } }",
            json!({"p": partner, "s": day(400), "e": day(1500)}),
        )
        .await["createProgrammeCycle"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ends = objective(&app, &c, &area, "Interoperable border units", None).await;
    let way = objective(&app, &c, &area, "Border officers trained", Some(&id(&ends))).await;
    assert_eq!(way["parent"]["id"], ends["id"]);
    // The means: an activity and an iteration serve the goal.
    app.ok(
        "mutation($c: ID!, $a: ID!, $o: ID!, $s: Date!) { recordActivity(input: {cycleId: $c, areaId: $a, objectiveId: $o, kind: MEETING, title: \"Staff talks\", description: \"d\", startDate: $s, endDate: $s}) { id } }",
        json!({"c": c, "a": area, "o": way["id"], "s": day(410)}),
    )
    .await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(&app, &course, &day(420), &day(424), 10, None).await;
    app.ok(
        "mutation($i: ID!, $o: ID!) { linkIterationObjective(iterationId: $i, objectiveId: $o) { id } }",
        json!({"i": it, "o": way["id"]}),
    )
    .await;
    let read = app
        .ok(
            "query($id: ID!) { objective(id: $id) { parent { id } goals { id title parent { id } iterations { id } } } }",
            json!({"id": ends["id"]}),
        )
        .await["objective"]
        .clone();
    assert!(read["parent"].is_null());
    assert_eq!(read["goals"].as_array().unwrap().len(), 1);
    assert_eq!(read["goals"][0]["id"], way["id"]);
    assert_eq!(read["goals"][0]["iterations"][0]["id"], it.as_str());
    let acts = app
        .ok(
            "query($o: ID!) { activities(objectiveId: $o) { totalCount } }",
            json!({"o": way["id"]}),
        )
        .await;
    assert_eq!(acts["activities"]["totalCount"], 1);
}

async fn an_objective_nested_under_itself_or_another_cycles_objective_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "CAPACITY").await;
    let (cycle, _) = fixtures::cycle(&app, &partner, "IPCP", &day(-30)).await;
    let (other, _) = fixtures::cycle(&app, &partner, "IPCP", &day(800)).await;
    let a = objective(&app, &cycle, &area, "A", None).await;
    let b = objective(&app, &cycle, &area, "B", None).await;
    let elsewhere = objective(&app, &other, &area, "C", None).await;
    assert_eq!(
        refused(&app, NEST, json!({"id": a["id"], "v": 1, "p": a["id"]})).await,
        "OBJECTIVE_NESTED_UNDER_ITSELF"
    );
    assert_eq!(
        refused(
            &app,
            NEST,
            json!({"id": a["id"], "v": 1, "p": elsewhere["id"]})
        )
        .await,
        "PARENT_OF_OTHER_CYCLE"
    );
    assert_eq!(
        refused(
            &app,
            OBJECTIVE,
            json!({"c": cycle, "a": area, "t": "D", "p": elsewhere["id"]})
        )
        .await,
        "PARENT_OF_OTHER_CYCLE"
    );
    // Two levels only, so no loop: B under A, then A under B is too deep, and so is a goal of B.
    let b2 = app
        .ok(NEST, json!({"id": b["id"], "v": 1, "p": a["id"]}))
        .await["updateObjective"]
        .clone();
    assert_eq!(b2["parent"]["id"], a["id"]);
    assert_eq!(
        refused(&app, NEST, json!({"id": a["id"], "v": 1, "p": b["id"]})).await,
        "NESTING_TOO_DEEP"
    );
    assert_eq!(
        refused(
            &app,
            OBJECTIVE,
            json!({"c": cycle, "a": area, "t": "E", "p": b["id"]})
        )
        .await,
        "NESTING_TOO_DEEP"
    );
    // Null makes B top-level again.
    let b3 = app
        .ok(NEST, json!({"id": b["id"], "v": 2, "p": null}))
        .await["updateObjective"]
        .clone();
    assert!(b3["parent"].is_null());
}

async fn an_indicator_is_measured_over_time_and_the_computed_actual_stays(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "CAPACITY").await;
    let (cycle, _) = fixtures::cycle(&app, &partner, "IPCP", &day(-300)).await;
    let o = objective(&app, &cycle, &area, "Border officers trained", None).await;
    app.ok(
        MEASURE,
        json!({"o": o["id"], "d": day(-10), "v": 40.5, "n": "survey"}),
    )
    .await;
    app.ok(MEASURE, json!({"o": o["id"], "d": day(-200), "v": 12}))
        .await;
    let m = app
        .ok(MEASURE, json!({"o": o["id"], "d": day(0), "v": 41}))
        .await;
    assert_eq!(m["recordIndicatorMeasurement"]["value"], 41.0);
    let read = app
        .ok(
            "query($id: ID!) { objective(id: $id) { indicatorActual measurements { measuredOn value note } } }",
            json!({"id": o["id"]}),
        )
        .await["objective"]
        .clone();
    let dates: Vec<&str> = read["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["measuredOn"].as_str().unwrap())
        .collect();
    assert_eq!(dates, vec![day(-200), day(-10), day(0)]);
    assert_eq!(read["measurements"][1]["note"], "survey");
    // Officers trained for the objective is still computed from records.
    assert_eq!(read["indicatorActual"], 0);
    assert_eq!(
        refused(&app, MEASURE, json!({"o": o["id"], "d": day(1), "v": 1})).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        refused(&app, MEASURE, json!({"o": "999999", "d": day(0), "v": 1})).await,
        "NOT_FOUND"
    );
}

async fn a_course_carries_its_pcm_and_etoc_codes(app: TestApp) {
    let q = "mutation($c: String!, $pcm: String, $etoc: String) { createCourse(input: {code: $c, title: \"Border security\", topic: BORDER_SECURITY, organiser: \"NATO School Oberammergau\", delivery: RESIDENTIAL, durationDays: 5, pcmCode: $pcm, etocCode: $etoc}) { id pcmCode etocCode } }";
    let c = app
        .ok(
            q,
            json!({"c": "BS-101", "pcm": "ACT-pcm.23.0042", "etoc": "sol-il-22341"}),
        )
        .await["createCourse"]
        .clone();
    assert_eq!(c["pcmCode"], "ACT-PCM.23.0042");
    assert_eq!(c["etocCode"], "SOL-IL-22341");
    let plain = app.ok(q, json!({"c": "BS-102"})).await["createCourse"].clone();
    assert!(plain["pcmCode"].is_null() && plain["etocCode"].is_null());
    app.ok(q, json!({"c": "BS-103"})).await;
    assert_eq!(
        app.error_code(q, json!({"c": "BS-104", "etoc": "SOL-IL-22341"}))
            .await,
        "DUPLICATE_CODE"
    );
    assert_eq!(
        app.error_code(q, json!({"c": "BS-105", "pcm": "ACT PCM"}))
            .await,
        "BAD_USER_INPUT"
    );
    // A code, not a path: it starts with a letter or a digit.
    for path in ["../../../../etc/passwd", "/ETC", ".-_"] {
        let before = app.contents().await;
        assert_eq!(
            app.error_code(q, json!({"c": "BS-106", "pcm": path})).await,
            "BAD_USER_INPUT",
            "{path}"
        );
        app.assert_unchanged(&before, path).await;
    }
    let u = "mutation($id: ID!) { updateCourse(input: {id: $id, version: 1, etocCode: null, pcmCode: \"PCM-1\"}) { pcmCode etocCode } }";
    let u = app.ok(u, json!({"id": c["id"]})).await["updateCourse"].clone();
    assert_eq!(u, json!({"pcmCode": "PCM-1", "etocCode": null}));
}

async fn renewing_an_ipcp_into_an_itpp_carries_the_objectives_over_with_their_nesting(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "CAPACITY").await;
    let (cycle, v) = fixtures::cycle(&app, &partner, "IPCP", &day(-300)).await;
    let ends = objective(&app, &cycle, &area, "Interoperability", None).await;
    objective(&app, &cycle, &area, "Officers trained", Some(&id(&ends))).await;
    let done = objective(&app, &cycle, &area, "Achieved one", None).await;
    app.ok(
        "mutation($id: ID!) { updateObjective(input: {id: $id, version: 1, status: ACHIEVED}) { id } }",
        json!({"id": done["id"]}),
    )
    .await;
    let approved = app
        .ok(
            "mutation($id: ID!, $v: Int!, $d: Date!) { approveProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: $d, partnerApprovedOn: $d}) { version } }",
            json!({"id": cycle, "v": v, "d": day(-310)}),
        )
        .await;
    let v = approved["approveProgrammeCycle"]["version"].clone();
    let next = app
        .ok(
            "mutation($id: ID!, $v: Int!) { renewProgrammeCycle(input: {id: $id, version: $v, kind: ITPP}) { id kind startDate endDate objectives { title status parent { title } carriedOverFrom { id } goals { title } } } }",
            json!({"id": cycle, "v": v}),
        )
        .await["renewProgrammeCycle"]
        .clone();
    assert_eq!(next["kind"], "ITPP");
    let objectives = next["objectives"].as_array().unwrap();
    assert_eq!(objectives.len(), 2, "{next:#}");
    assert_eq!(objectives[0]["title"], "Interoperability");
    assert_eq!(objectives[0]["status"], "PLANNED");
    assert_eq!(objectives[0]["carriedOverFrom"]["id"], ends["id"]);
    assert_eq!(objectives[0]["goals"][0]["title"], "Officers trained");
    assert_eq!(objectives[1]["parent"]["title"], "Interoperability");
    // The copy's parent is the copy, not the original.
    let parent_cycle = app
        .sql_count(&format!(
            "SELECT CAST(p.cycle_id AS BIGINT) FROM objective o JOIN objective p ON p.id = o.parent_id WHERE o.cycle_id = {}",
            next["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(parent_cycle.to_string(), next["id"].as_str().unwrap());
}

crate::on_both_backends!(
    a_partnership_goal_nests_under_a_strategic_objective_and_activities_serve_it,
    an_objective_nested_under_itself_or_another_cycles_objective_is_refused,
    an_indicator_is_measured_over_time_and_the_computed_actual_stays,
    a_course_carries_its_pcm_and_etoc_codes,
    renewing_an_ipcp_into_an_itpp_carries_the_objectives_over_with_their_nesting,
);
