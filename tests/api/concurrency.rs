//! Invariants under concurrent writes, over real HTTP connections, on both backends.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::{
    enrollment_rules::NOMINATE,
    helpers::{days_from_today, fixtures, TestApp},
};

/// Sends the same-shaped request `n` times at once, each from its own task, and returns the bodies.
pub(crate) async fn concurrently(app: &TestApp, query: &str, vars: Vec<Value>) -> Vec<Value> {
    let url = format!("{}/graphql", app.address);
    let tasks = vars.into_iter().map(|variables| {
        let client = app.client.clone();
        let url = url.clone();
        let token = app.admin_token.clone();
        let body = json!({ "query": query, "variables": variables });
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request sent")
                .json::<Value>()
                .await
                .expect("JSON body")
        })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect()
}

async fn fifty_concurrent_nominations_fill_twenty_seats_and_waitlist_thirty_in_order(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        20,
        None,
    )
    .await;
    let mut officers = Vec::new();
    for _ in 0..50 {
        officers.push(fixtures::officer(&app, &partner, None).await);
    }
    let vars = officers
        .iter()
        .map(|o| json!({ "i": it, "o": o }))
        .collect();
    let bodies = concurrently(&app, NOMINATE, vars).await;
    let mut placed: Vec<(i64, String, Option<i64>)> = bodies
        .iter()
        .map(|b| {
            assert!(b.get("errors").is_none(), "a nomination failed: {b:#}");
            let e = &b["data"]["nominateOfficer"];
            (
                e["id"].as_str().unwrap().parse().unwrap(),
                e["status"].as_str().unwrap().to_owned(),
                e["waitlistPosition"].as_i64(),
            )
        })
        .collect();
    let confirmed = placed.iter().filter(|p| p.1 == "CONFIRMED").count();
    assert_eq!(confirmed, 20);
    let mut positions: Vec<i64> = placed
        .iter()
        .filter(|p| p.1 == "WAITLISTED")
        .filter_map(|p| p.2)
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=30).collect::<Vec<i64>>());
    // In order: the waitlist follows the order in which the nominations were recorded.
    placed.sort_unstable();
    let queue: Vec<i64> = placed.iter().filter_map(|p| p.2).collect();
    assert_eq!(queue, (1..=30).collect::<Vec<i64>>());
    assert!(placed[..20].iter().all(|p| p.1 == "CONFIRMED"));
    let data = app
        .ok(
            "query($id: ID!) { courseIteration(id: $id) { seatsHeld openSeats } }",
            json!({ "id": it }),
        )
        .await;
    assert_eq!(
        data["courseIteration"],
        json!({ "seatsHeld": 20, "openSeats": 0 })
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM enrollment WHERE status = 'CONFIRMED'")
            .await,
        20
    );
    assert_eq!(
        app.sql_count(
            "SELECT COUNT(DISTINCT waitlist_position) FROM enrollment WHERE status = 'WAITLISTED'"
        )
        .await,
        30
    );
}

/// Counts successes and the error codes of the failures.
fn outcomes(bodies: &[Value]) -> (usize, Vec<String>) {
    let ok = bodies.iter().filter(|b| b.get("errors").is_none()).count();
    let codes = bodies
        .iter()
        .filter_map(|b| b["errors"][0]["extensions"]["code"].as_str())
        .map(str::to_owned)
        .collect();
    (ok, codes)
}

async fn fifty_concurrent_updates_with_the_same_version_give_exactly_one_success(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        20,
        None,
    )
    .await;

    let vars = (0..50)
        .map(|n| json!({ "id": it, "l": format!("Room {n}") }))
        .collect();
    let bodies = concurrently(
        &app,
        "mutation($id: ID!, $l: String!) { updateCourseIteration(input: {id: $id, version: 1, location: $l}) { version } }",
        vars,
    )
    .await;
    let (ok, codes) = outcomes(&bodies);
    assert_eq!(ok, 1, "{bodies:#?}");
    assert_eq!(codes, vec!["STALE_VERSION".to_owned(); 49]);
    assert_eq!(
        app.sql_count("SELECT CAST(version AS BIGINT) FROM course_iteration")
            .await,
        2
    );

    let vars = (0..50)
        .map(|n| json!({ "id": partner, "n": format!("Name {n}") }))
        .collect();
    let bodies = concurrently(
        &app,
        "mutation($id: ID!, $n: String!) { updatePartner(input: {id: $id, version: 1, name: $n}) { version } }",
        vars,
    )
    .await;
    let (ok, codes) = outcomes(&bodies);
    assert_eq!(ok, 1, "{bodies:#?}");
    assert_eq!(codes, vec!["STALE_VERSION".to_owned(); 49]);
    assert_eq!(
        app.sql_count("SELECT CAST(version AS BIGINT) FROM partner")
            .await,
        2
    );
}

async fn concurrent_withdrawals_promote_each_waitlisted_officer_once(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        10,
        None,
    )
    .await;
    let mut enrollments = Vec::new();
    for _ in 0..20 {
        let o = fixtures::officer(&app, &partner, None).await;
        enrollments.push(crate::enrollment_rules::nominate(&app, &it, &o).await);
    }
    let vars = enrollments[..10]
        .iter()
        .map(|e| json!({ "id": e["id"], "v": e["version"] }))
        .collect();
    let bodies = concurrently(
        &app,
        "mutation($id: ID!, $v: Int!) { withdrawEnrollment(input: {id: $id, version: $v}) { status } }",
        vars,
    )
    .await;
    assert_eq!(outcomes(&bodies), (10, vec![]));
    assert_eq!(
        app.sql_count("SELECT CAST(seats_held AS BIGINT) FROM course_iteration")
            .await,
        10
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM enrollment WHERE status = 'CONFIRMED'")
            .await,
        10
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM enrollment WHERE status = 'WAITLISTED'")
            .await,
        0
    );
}

crate::on_both_backends!(
    fifty_concurrent_nominations_fill_twenty_seats_and_waitlist_thirty_in_order,
    fifty_concurrent_updates_with_the_same_version_give_exactly_one_success,
    concurrent_withdrawals_promote_each_waitlisted_officer_once,
    concurrent_confirmations_never_seat_an_officer_in_two_overlapping_iterations,
    concurrent_batches_over_the_same_iterations_all_apply,
    nominations_and_other_writes_at_the_same_time_all_succeed,
    concurrent_approvals_of_overlapping_cycles_approve_exactly_one,
    concurrent_renewals_of_one_cycle_create_one_successor,
);

async fn concurrent_confirmations_never_seat_an_officer_in_two_overlapping_iterations(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let a = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        20,
        None,
    )
    .await;
    let b = fixtures::iteration(
        &app,
        &course,
        &days_from_today(402),
        &days_from_today(406),
        20,
        None,
    )
    .await;
    let mut vars = Vec::new();
    for _ in 0..10 {
        let o = fixtures::officer(&app, &partner, None).await;
        for it in [&a, &b] {
            let e = app
                .ok(NOMINATE, json!({ "i": it, "o": o, "place": false }))
                .await["nominateOfficer"]
                .clone();
            vars.push(json!({ "id": e["id"], "v": e["version"] }));
        }
    }
    let bodies = concurrently(
        &app,
        "mutation($id: ID!, $v: Int!) { confirmEnrollment(input: {id: $id, version: $v}) { status } }",
        vars,
    )
    .await;
    let (ok, codes) = outcomes(&bodies);
    assert_eq!(ok, 10, "{bodies:#?}");
    assert_eq!(codes, vec!["SCHEDULE_CONFLICT".to_owned(); 10]);
    assert_eq!(
        app.sql_count(
            "SELECT COUNT(*) FROM (SELECT officer_id FROM enrollment WHERE status = 'CONFIRMED' \
             GROUP BY officer_id HAVING COUNT(*) > 1) t"
        )
        .await,
        0
    );
}

async fn concurrent_batches_over_the_same_iterations_all_apply(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let a = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        100,
        None,
    )
    .await;
    let b = fixtures::iteration(
        &app,
        &course,
        &days_from_today(431),
        &days_from_today(435),
        100,
        None,
    )
    .await;
    let mut batches = Vec::new();
    for batch in 0..6 {
        // Half the batches name the iterations in one order, half in the other.
        let (first, second) = if batch % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let mut rows = Vec::new();
        for _ in 0..5 {
            let o = fixtures::officer(&app, &partner, None).await;
            rows.push(json!({ "iterationId": first, "officerId": o, "action": "NOMINATE" }));
            rows.push(json!({ "iterationId": second, "officerId": o, "action": "NOMINATE" }));
        }
        batches.push(json!({ "rows": rows }));
    }
    let bodies = concurrently(
        &app,
        "mutation($rows: [EnrollmentRowInput!]!) { recordEnrollments(rows: $rows) { committed applied } }",
        batches,
    )
    .await;
    for body in &bodies {
        assert_eq!(
            body["data"]["recordEnrollments"],
            json!({ "committed": true, "applied": 10 }),
            "{body:#}"
        );
    }
    assert_eq!(
        app.sql_count("SELECT COALESCE(SUM(seats_held), 0) FROM course_iteration")
            .await,
        60
    );
}

async fn nominations_and_other_writes_at_the_same_time_all_succeed(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        10,
        None,
    )
    .await;
    let mut officers = Vec::new();
    for _ in 0..30 {
        officers.push(fixtures::officer(&app, &partner, None).await);
    }
    let nominations = concurrently(
        &app,
        NOMINATE,
        officers
            .iter()
            .map(|o| json!({ "i": it, "o": o }))
            .collect(),
    );
    let creations = concurrently(
        &app,
        "mutation($p: ID!) { createOfficer(input: {partnerId: $p, familyName: \"New\", givenName: \"Officer\", rank: \"Major\", service: NAVY}) { id } }",
        (0..30).map(|_| json!({ "p": partner })).collect(),
    );
    let (nominations, creations) = tokio::join!(nominations, creations);
    assert_eq!(outcomes(&nominations), (30, vec![]), "{nominations:#?}");
    assert_eq!(outcomes(&creations), (30, vec![]), "{creations:#?}");
    assert_eq!(
        app.sql_count("SELECT CAST(seats_held AS BIGINT) FROM course_iteration")
            .await,
        10
    );
}

async fn concurrent_approvals_of_overlapping_cycles_approve_exactly_one(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let mut vars = Vec::new();
    for month in 1..=10 {
        let (id, v) = fixtures::cycle(&app, &partner, "IPCP", &format!("2024-{month:02}-01")).await;
        vars.push(json!({ "id": id, "v": v }));
    }
    let bodies = concurrently(
        &app,
        "mutation($id: ID!, $v: Int!) { approveProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: \"2023-12-01\", partnerApprovedOn: \"2023-12-02\"}) { status } }",
        vars,
    )
    .await;
    let (ok, codes) = outcomes(&bodies);
    assert_eq!(ok, 1, "{bodies:#?}");
    assert_eq!(codes, vec!["CYCLE_OVERLAP".to_owned(); 9]);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM programme_cycle WHERE status <> 'DRAFT'")
            .await,
        1
    );
}

async fn concurrent_renewals_of_one_cycle_create_one_successor(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (id, v) = fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    let approved = app
        .ok(
            "mutation($id: ID!, $v: Int!) { approveProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: \"2023-12-01\", partnerApprovedOn: \"2023-12-02\"}) { version } }",
            json!({ "id": id, "v": v }),
        )
        .await;
    let v = approved["approveProgrammeCycle"]["version"].clone();
    let bodies = concurrently(
        &app,
        "mutation($id: ID!, $v: Int!) { renewProgrammeCycle(input: {id: $id, version: $v}) { id } }",
        (0..10).map(|_| json!({ "id": id, "v": v })).collect(),
    )
    .await;
    let (ok, codes) = outcomes(&bodies);
    assert_eq!(ok, 1, "{bodies:#?}");
    assert_eq!(codes, vec!["ALREADY_RENEWED".to_owned(); 9]);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM programme_cycle").await,
        2
    );
}
