//! The races that matter on PostgreSQL (on SQLite every write goes through one mutex, so they run
//! there too but cannot interleave): concurrent requests over real HTTP connections, each with its
//! exact outcome asserted, and the iteration's seat counter checked against the enrollment rows.

use serde_json::{json, Value};

use crate::{
    concurrency::concurrently,
    cycle_rules::approved,
    enrollment_rules::NOMINATE,
    helpers::{days_from_today, fixtures, TestApp},
};

const SEAT_HOLDING: &str = "('CONFIRMED', 'ATTENDED', 'COMPLETED', 'FAILED')";
const LIVE: &str = "('NOMINATED', 'CONFIRMED', 'WAITLISTED', 'ATTENDED')";

/// The codes of the refused bodies, sorted, and the bodies that succeeded.
fn outcomes(bodies: &[Value], field: &str) -> (Vec<String>, Vec<Value>) {
    let mut codes = Vec::new();
    let mut done = Vec::new();
    for b in bodies {
        match b["errors"][0]["extensions"]["code"].as_str() {
            Some(code) => codes.push(code.to_owned()),
            None => done.push(b["data"][field].clone()),
        }
    }
    codes.sort();
    (codes, done)
}

/// (seat-holding enrollment rows, the iteration's seats_held counter, its capacity).
async fn seats(app: &TestApp, iteration: &str) -> (i64, i64, i64) {
    (
        app.sql_count(&format!(
            "SELECT COUNT(*) FROM enrollment WHERE iteration_id = {iteration} AND status IN {SEAT_HOLDING}"
        ))
        .await,
        app.sql_count(&format!(
            "SELECT CAST(seats_held AS BIGINT) FROM course_iteration WHERE id = {iteration}"
        ))
        .await,
        app.sql_count(&format!(
            "SELECT CAST(capacity AS BIGINT) FROM course_iteration WHERE id = {iteration}"
        ))
        .await,
    )
}

/// The waitlist positions of an iteration, sorted.
async fn waitlist(app: &TestApp, iteration: &str) -> Vec<i64> {
    let data = app
        .ok(
            "query($i: ID!) { enrollments(iterationId: $i, status: WAITLISTED, first: 100) { edges { node { waitlistPosition } } } }",
            json!({ "i": iteration }),
        )
        .await;
    let mut positions: Vec<i64> = data["enrollments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["waitlistPosition"].as_i64().unwrap())
        .collect();
    positions.sort_unstable();
    positions
}

async fn officers(app: &TestApp, partner: &str, n: usize) -> Vec<String> {
    let mut officers = Vec::new();
    for _ in 0..n {
        officers.push(fixtures::officer(app, partner, None).await);
    }
    officers
}

async fn thirty_concurrent_nominations_from_one_partner_seat_exactly_its_quota_of_five(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(60),
        &days_from_today(64),
        40,
        Some(5),
    )
    .await;
    let officers = officers(&app, &partner, 30).await;
    let vars = officers
        .iter()
        .map(|o| json!({ "i": it, "o": o }))
        .collect();
    let bodies = concurrently(&app, NOMINATE, vars).await;
    let (codes, done) = outcomes(&bodies, "nominateOfficer");
    assert_eq!(codes, Vec::<String>::new(), "every nomination is recorded");
    let confirmed = done.iter().filter(|e| e["status"] == "CONFIRMED").count();
    let waitlisted = done.iter().filter(|e| e["status"] == "WAITLISTED").count();
    assert_eq!((confirmed, waitlisted), (5, 25));
    assert_eq!(seats(&app, &it).await, (5, 5, 40));
    assert_eq!(waitlist(&app, &it).await, (1..=25).collect::<Vec<i64>>());
}

async fn twenty_concurrent_nominations_of_one_officer_leave_one_live_enrollment(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(60),
        &days_from_today(64),
        10,
        None,
    )
    .await;
    let officer = fixtures::officer(&app, &partner, None).await;
    let vars = (0..20).map(|_| json!({ "i": it, "o": officer })).collect();
    let bodies = concurrently(&app, NOMINATE, vars).await;
    let (codes, done) = outcomes(&bodies, "nominateOfficer");
    assert_eq!(done.len(), 1, "{bodies:#?}");
    assert_eq!(done[0]["status"], "CONFIRMED");
    assert_eq!(codes, vec!["ALREADY_NOMINATED".to_owned(); 19]);
    assert_eq!(
        app.sql_count(&format!(
            "SELECT COUNT(*) FROM enrollment WHERE iteration_id = {it} AND officer_id = {officer}"
        ))
        .await,
        1
    );
    assert_eq!(seats(&app, &it).await, (1, 1, 10));
    // One audit event and one change-log entry for the one enrollment written.
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM audit_event WHERE entity = 'enrollment'")
            .await,
        1
    );
}

async fn two_approved_cycles_activated_at_once_leave_exactly_one_active(app: TestApp) {
    // Several partners, so the race is run more than once.
    for code in ["TKM", "KAZ", "UZB", "ARM", "GEO"] {
        let partner = fixtures::partner(&app, code).await;
        let (a, va) = approved(&app, &partner, "2020-01-01").await;
        let (b, vb) = approved(&app, &partner, "2022-01-01").await;
        let bodies = concurrently(
            &app,
            "mutation($id: ID!, $v: Int!) { activateProgrammeCycle(input: {id: $id, version: $v}) { id status } }",
            vec![json!({ "id": a, "v": va }), json!({ "id": b, "v": vb })],
        )
        .await;
        let (codes, done) = outcomes(&bodies, "activateProgrammeCycle");
        assert_eq!(codes, ["ONE_ACTIVE_CYCLE"], "{code}: {bodies:#?}");
        assert_eq!(done.len(), 1);
        assert_eq!(done[0]["status"], "ACTIVE");
        assert_eq!(
            app.sql_count(&format!(
                "SELECT COUNT(*) FROM programme_cycle WHERE partner_id = {partner} AND status = 'ACTIVE'"
            ))
            .await,
            1
        );
        let loser = if done[0]["id"] == json!(a) { &b } else { &a };
        assert_eq!(
            app.sql_text(&format!(
                "SELECT status FROM programme_cycle WHERE id = {loser}"
            ))
            .await,
            "APPROVED"
        );
    }
}

/// Cuts the iteration's capacity to `capacity`, re-reading its version while nominations change
/// it; the refusal code if the cut itself is refused (seats already held above it).
async fn cut_capacity(app: &TestApp, iteration: &str, capacity: i64) -> Option<String> {
    loop {
        let version = app
            .ok(
                "query($id: ID!) { courseIteration(id: $id) { version } }",
                json!({ "id": iteration }),
            )
            .await["courseIteration"]["version"]
            .clone();
        let body = app
            .gql(
                "mutation($id: ID!, $v: Int!, $cap: Int!) { updateCourseIteration(input: {id: $id, version: $v, capacity: $cap}) { capacity } }",
                json!({ "id": iteration, "v": version, "cap": capacity }),
            )
            .await;
        match body["errors"][0]["extensions"]["code"].as_str() {
            None => return None,
            Some("STALE_VERSION") => continue,
            Some(code) => return Some(code.to_owned()),
        }
    }
}

async fn cutting_the_capacity_while_forty_nominations_run_never_holds_more_seats_than_capacity(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(60),
        &days_from_today(64),
        40,
        None,
    )
    .await;
    let officers = officers(&app, &partner, 40).await;
    let vars = officers
        .iter()
        .map(|o| json!({ "i": it, "o": o }))
        .collect();
    let (refused, bodies) = tokio::join!(
        cut_capacity(&app, &it, 10),
        concurrently(&app, NOMINATE, vars)
    );
    let (codes, done) = outcomes(&bodies, "nominateOfficer");
    assert_eq!(codes, Vec::<String>::new(), "every nomination is recorded");
    let confirmed = done.iter().filter(|e| e["status"] == "CONFIRMED").count() as i64;
    let waitlisted = done.iter().filter(|e| e["status"] == "WAITLISTED").count() as i64;
    let (held, counter, capacity) = seats(&app, &it).await;
    assert_eq!(held, counter, "the seat counter matches the rows");
    assert!(held <= capacity, "{held} seats held, capacity {capacity}");
    match refused {
        // The cut came first, or while no more than 10 seats were held: never more than 10.
        None => {
            assert_eq!(capacity, 10);
            assert_eq!((held, confirmed, waitlisted), (10, 10, 30));
            assert_eq!(waitlist(&app, &it).await, (1..=30).collect::<Vec<i64>>());
        }
        // The cut came when more than 10 seats were held: refused, and every officer seated.
        Some(code) => {
            assert_eq!(code, "CAPACITY_BELOW_SEATS_HELD");
            assert_eq!((capacity, held, confirmed), (40, 40, 40));
        }
    }
}

async fn cancelling_an_iteration_while_nominations_run_leaves_no_live_enrollment(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(60),
        &days_from_today(64),
        10,
        None,
    )
    .await;
    let officers = officers(&app, &partner, 30).await;
    let cancel = async {
        loop {
            let version = app
                .ok(
                    "query($id: ID!) { courseIteration(id: $id) { version } }",
                    json!({ "id": it }),
                )
                .await["courseIteration"]["version"]
                .clone();
            let body = app
                    .gql(
                        "mutation($id: ID!, $v: Int!) { cancelCourseIteration(input: {id: $id, version: $v}) { status } }",
                        json!({ "id": it, "v": version }),
                    )
                    .await;
            match body["errors"][0]["extensions"]["code"].as_str() {
                None => return body["data"]["cancelCourseIteration"]["status"].clone(),
                Some("STALE_VERSION") => continue,
                Some(code) => panic!("cancel refused with {code}: {body:#}"),
            }
        }
    };
    let vars = officers
        .iter()
        .map(|o| json!({ "i": it, "o": o }))
        .collect();
    let (cancelled, bodies) = tokio::join!(cancel, concurrently(&app, NOMINATE, vars));
    assert_eq!(cancelled, "CANCELLED");
    let (codes, done) = outcomes(&bodies, "nominateOfficer");
    // A nomination is recorded before the cancellation (and then cancelled with the others) or
    // refused after it; nothing in between.
    assert_eq!(done.len() + codes.len(), 30);
    assert!(codes.iter().all(|c| c == "ITERATION_NOT_OPEN"), "{codes:?}");
    assert_eq!(
        app.sql_count(&format!(
            "SELECT COUNT(*) FROM enrollment WHERE iteration_id = {it} AND status IN {LIVE}"
        ))
        .await,
        0,
        "no live enrollment in a cancelled iteration"
    );
    assert_eq!(
        app.sql_count(&format!(
            "SELECT COUNT(*) FROM enrollment WHERE iteration_id = {it} AND status = 'CANCELLED'"
        ))
        .await,
        done.len() as i64
    );
    let (held, counter, _) = seats(&app, &it).await;
    assert_eq!((held, counter), (0, 0));
}

/// Linking is idempotent, also when the same link is asked for many times at once: every request
/// succeeds and one row records it.
async fn twenty_concurrent_links_of_one_iteration_to_one_objective_all_succeed_with_one_row(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "AREA").await;
    let (cycle, _) = fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let mut pairs = Vec::new();
    // Several pairs, so the race is run more than once.
    for n in 0..5 {
        let it = fixtures::iteration(
            &app,
            &course,
            &days_from_today(60 + n),
            &days_from_today(64 + n),
            10,
            None,
        )
        .await;
        let objective = app
            .ok(
                "mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"o\", indicator: \"i\"}) { id } }",
                json!({ "c": cycle, "a": area }),
            )
            .await["createObjective"]["id"]
            .clone();
        pairs.push((it, objective));
    }
    let vars = pairs
        .iter()
        .flat_map(|(it, o)| (0..20).map(move |_| json!({ "i": it, "o": o })))
        .collect();
    let bodies = concurrently(
        &app,
        "mutation($i: ID!, $o: ID!) { linkIterationObjective(iterationId: $i, objectiveId: $o) { id } }",
        vars,
    )
    .await;
    let (codes, done) = outcomes(&bodies, "linkIterationObjective");
    assert_eq!(codes, Vec::<String>::new(), "{bodies:#?}");
    assert_eq!(done.len(), 100);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM iteration_objective")
            .await,
        5
    );
}

crate::on_both_backends!(
    twenty_concurrent_links_of_one_iteration_to_one_objective_all_succeed_with_one_row,
    thirty_concurrent_nominations_from_one_partner_seat_exactly_its_quota_of_five,
    twenty_concurrent_nominations_of_one_officer_leave_one_live_enrollment,
    two_approved_cycles_activated_at_once_leave_exactly_one_active,
    cutting_the_capacity_while_forty_nominations_run_never_holds_more_seats_than_capacity,
    cancelling_an_iteration_while_nominations_run_leaves_no_live_enrollment,
);
