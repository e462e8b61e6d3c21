//! Enrollment invariants (DOMAIN.md 4-6), one test per rule; every refusal changes nothing.
//!
//! Time gates depend on today: iterations in 2020 have started, iterations a year or more from today
//! (`days_from_today`) have not.

use serde_json::{json, Value};

use crate::helpers::{days_from_today, fixtures, TestApp};

pub const NOMINATE: &str = "mutation($i: ID!, $o: ID!, $place: Boolean! = true) { nominateOfficer(input: {iterationId: $i, officerId: $o, place: $place}) { id status waitlistPosition version } }";
const ITERATION: &str =
    "query($id: ID!) { courseIteration(id: $id) { seatsHeld capacity status version } }";
const ENROLLMENT: &str =
    "query($id: ID!) { enrollment(id: $id) { id status waitlistPosition version } }";

/// The mutation of each lifecycle action, by name.
fn action(name: &str) -> String {
    let field = match name {
        "confirm" => "confirmEnrollment",
        "waitlist" => "waitlistEnrollment",
        "decline" => "declineEnrollment",
        "withdraw" => "withdrawEnrollment",
        "attend" => "recordAttendance",
        "no_show" => "recordNoShow",
        "complete" => "recordCompletion",
        "fail" => "recordFailure",
        other => panic!("no action {other}"),
    };
    format!("mutation($id: ID!, $v: Int!) {{ {field}(input: {{id: $id, version: $v}}) {{ id status waitlistPosition version }} }}")
}

/// Runs an action that must succeed; returns the enrollment.
pub async fn act(app: &TestApp, name: &str, e: &Value) -> Value {
    let data = app
        .ok(&action(name), json!({ "id": e["id"], "v": e["version"] }))
        .await;
    data.as_object().unwrap().values().next().unwrap().clone()
}

async fn act_code(app: &TestApp, name: &str, e: &Value) -> String {
    app.error_code(&action(name), json!({ "id": e["id"], "v": e["version"] }))
        .await
}

pub async fn nominate(app: &TestApp, iteration: &str, officer: &str) -> Value {
    app.ok(NOMINATE, json!({ "i": iteration, "o": officer }))
        .await["nominateOfficer"]
        .clone()
}

async fn enrollment(app: &TestApp, e: &Value) -> Value {
    app.ok(ENROLLMENT, json!({ "id": e["id"] })).await["enrollment"].clone()
}

async fn seats_held(app: &TestApp, iteration: &str) -> i64 {
    app.ok(ITERATION, json!({ "id": iteration })).await["courseIteration"]["seatsHeld"]
        .as_i64()
        .unwrap()
}

/// Everything a refused enrollment request could have touched.
pub async fn enrollment_state(app: &TestApp) -> Vec<i64> {
    let mut state = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM enrollment",
        "SELECT COALESCE(SUM(version), 0) FROM enrollment",
        "SELECT COALESCE(SUM(seats_held), 0) FROM course_iteration",
        "SELECT COALESCE(SUM(version), 0) FROM course_iteration",
        "SELECT COUNT(*) FROM enrollment WHERE status IN ('CONFIRMED','ATTENDED','COMPLETED','FAILED')",
    ] {
        state.push(app.sql_count(sql).await);
    }
    state
}

/// The seat counter always equals the seat-holding enrollments.
async fn assert_seat_counter_consistent(app: &TestApp) {
    let counted = app
        .sql_count(
            "SELECT COUNT(*) FROM course_iteration i WHERE seats_held <> (SELECT COUNT(*) FROM enrollment e \
             WHERE e.iteration_id = i.id AND e.status IN ('CONFIRMED','ATTENDED','COMPLETED','FAILED'))",
        )
        .await;
    assert_eq!(counted, 0, "seats_held disagrees with the enrollments");
}

struct Setup {
    partner: String,
    course: String,
}

async fn setup(app: &TestApp) -> Setup {
    let partner = fixtures::partner(app, "TKM").await;
    let course = fixtures::course(app, "BS-101", None).await;
    Setup { partner, course }
}

async fn enrollment_status_changes_only_along_the_lifecycle(app: TestApp) {
    let s = setup(&app).await;
    let started = fixtures::iteration(&app, &s.course, "2020-01-06", "2020-01-10", 5, None).await;
    let future = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        5,
        None,
    )
    .await;
    let (a, b, c) = (
        fixtures::officer(&app, &s.partner, None).await,
        fixtures::officer(&app, &s.partner, None).await,
        fixtures::officer(&app, &s.partner, None).await,
    );
    // The whole happy path: NOMINATED -> CONFIRMED -> ATTENDED -> COMPLETED.
    let e = app
        .ok(NOMINATE, json!({ "i": started, "o": a, "place": false }))
        .await["nominateOfficer"]
        .clone();
    assert_eq!(e["status"], "NOMINATED");
    let before = enrollment_state(&app).await;
    for forbidden in ["attend", "no_show", "complete", "fail", "withdraw"] {
        assert_eq!(
            act_code(&app, forbidden, &e).await,
            "INVALID_TRANSITION",
            "NOMINATED --{forbidden}"
        );
    }
    assert_eq!(enrollment_state(&app).await, before);
    let e = act(&app, "confirm", &e).await;
    assert_eq!(e["status"], "CONFIRMED");
    let before = enrollment_state(&app).await;
    for forbidden in ["confirm", "waitlist", "decline", "complete", "fail"] {
        assert_eq!(
            act_code(&app, forbidden, &e).await,
            "INVALID_TRANSITION",
            "CONFIRMED --{forbidden}"
        );
    }
    assert_eq!(enrollment_state(&app).await, before);
    let e = act(&app, "attend", &e).await;
    assert_eq!(e["status"], "ATTENDED");
    for forbidden in ["confirm", "withdraw", "attend", "no_show", "decline"] {
        assert_eq!(act_code(&app, forbidden, &e).await, "INVALID_TRANSITION");
    }
    let e = act(&app, "complete", &e).await;
    assert_eq!(e["status"], "COMPLETED");
    // Final statuses have no way out.
    let before = enrollment_state(&app).await;
    for forbidden in [
        "confirm", "waitlist", "decline", "withdraw", "attend", "no_show", "complete", "fail",
    ] {
        assert_eq!(
            act_code(&app, forbidden, &e).await,
            "INVALID_TRANSITION",
            "COMPLETED --{forbidden}"
        );
    }
    assert_eq!(enrollment_state(&app).await, before);
    // NOMINATED -> DECLINED, final.
    let d = app
        .ok(NOMINATE, json!({ "i": future, "o": b, "place": false }))
        .await["nominateOfficer"]
        .clone();
    let d = act(&app, "decline", &d).await;
    assert_eq!(d["status"], "DECLINED");
    assert_eq!(act_code(&app, "confirm", &d).await, "INVALID_TRANSITION");
    // NOMINATED -> WAITLISTED -> WITHDRAWN, final.
    let w = app
        .ok(NOMINATE, json!({ "i": future, "o": c, "place": false }))
        .await["nominateOfficer"]
        .clone();
    let w = act(&app, "waitlist", &w).await;
    assert_eq!(
        (w["status"].as_str(), w["waitlistPosition"].as_i64()),
        (Some("WAITLISTED"), Some(1))
    );
    let w = act(&app, "withdraw", &w).await;
    assert_eq!(w["status"], "WITHDRAWN");
    assert_eq!(w["waitlistPosition"], Value::Null);
    assert_eq!(act_code(&app, "confirm", &w).await, "INVALID_TRANSITION");
    // ATTENDED -> FAILED and CONFIRMED -> NO_SHOW (which frees the seat).
    let f = nominate(&app, &started, &b).await;
    let f = act(&app, "attend", &f).await;
    assert_eq!(act(&app, "fail", &f).await["status"], "FAILED");
    let n = nominate(&app, &started, &c).await;
    assert_eq!(seats_held(&app, &started).await, 3);
    assert_eq!(act(&app, "no_show", &n).await["status"], "NO_SHOW");
    assert_eq!(seats_held(&app, &started).await, 2);
    assert_seat_counter_consistent(&app).await;
}

async fn a_confirmed_officer_can_withdraw_only_before_the_start(app: TestApp) {
    let s = setup(&app).await;
    let started = fixtures::iteration(&app, &s.course, "2020-01-06", "2020-01-10", 5, None).await;
    let future = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        5,
        None,
    )
    .await;
    let officer = fixtures::officer(&app, &s.partner, None).await;
    let late = nominate(&app, &started, &officer).await;
    let before = enrollment_state(&app).await;
    assert_eq!(
        act_code(&app, "withdraw", &late).await,
        "TOO_LATE_TO_WITHDRAW"
    );
    assert_eq!(enrollment_state(&app).await, before);
    assert_eq!(enrollment(&app, &late).await["status"], "CONFIRMED");
    let early = nominate(&app, &future, &officer).await;
    assert_eq!(act(&app, "withdraw", &early).await["status"], "WITHDRAWN");
    assert_eq!(seats_held(&app, &future).await, 0);
}

async fn attendance_is_recorded_only_once_the_iteration_has_started(app: TestApp) {
    let s = setup(&app).await;
    let future = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        5,
        None,
    )
    .await;
    let officer = fixtures::officer(&app, &s.partner, None).await;
    let e = nominate(&app, &future, &officer).await;
    let before = enrollment_state(&app).await;
    for early in ["attend", "no_show"] {
        assert_eq!(act_code(&app, early, &e).await, "ITERATION_NOT_STARTED");
    }
    assert_eq!(enrollment_state(&app).await, before);
}

async fn beyond_capacity_a_nomination_is_waitlisted_with_a_position(app: TestApp) {
    let s = setup(&app).await;
    let it = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        2,
        None,
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..5 {
        let o = fixtures::officer(&app, &s.partner, None).await;
        let e = nominate(&app, &it, &o).await;
        got.push((
            e["status"].as_str().unwrap().to_owned(),
            e["waitlistPosition"].as_i64(),
        ));
    }
    let expected: Vec<(String, Option<i64>)> = vec![
        ("CONFIRMED".into(), None),
        ("CONFIRMED".into(), None),
        ("WAITLISTED".into(), Some(1)),
        ("WAITLISTED".into(), Some(2)),
        ("WAITLISTED".into(), Some(3)),
    ];
    assert_eq!(got, expected);
    assert_eq!(seats_held(&app, &it).await, 2);
    assert_seat_counter_consistent(&app).await;
}

async fn a_partners_quota_is_never_exceeded(app: TestApp) {
    let s = setup(&app).await;
    let other = fixtures::partner(&app, "KAZ").await;
    let it = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        5,
        Some(1),
    )
    .await;
    let a1 = fixtures::officer(&app, &s.partner, None).await;
    let a2 = fixtures::officer(&app, &s.partner, None).await;
    let b1 = fixtures::officer(&app, &other, None).await;
    assert_eq!(nominate(&app, &it, &a1).await["status"], "CONFIRMED");
    let waiting = nominate(&app, &it, &a2).await;
    assert_eq!(waiting["status"], "WAITLISTED");
    assert_eq!(nominate(&app, &it, &b1).await["status"], "CONFIRMED");
    // Confirming the waitlisted officer by hand is refused too: the quota is full.
    let before = enrollment_state(&app).await;
    assert_eq!(
        act_code(&app, "confirm", &waiting).await,
        "NO_SEAT_AVAILABLE"
    );
    assert_eq!(enrollment_state(&app).await, before);
    assert_eq!(seats_held(&app, &it).await, 2);
}

async fn a_freed_seat_promotes_the_first_waitlisted(app: TestApp) {
    let s = setup(&app).await;
    let it = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        1,
        None,
    )
    .await;
    let mut enrollments = Vec::new();
    for _ in 0..3 {
        let o = fixtures::officer(&app, &s.partner, None).await;
        enrollments.push(nominate(&app, &it, &o).await);
    }
    act(&app, "withdraw", &enrollments[0]).await;
    let second = enrollment(&app, &enrollments[1]).await;
    let third = enrollment(&app, &enrollments[2]).await;
    assert_eq!(second["status"], "CONFIRMED");
    assert_eq!(second["waitlistPosition"], Value::Null);
    assert_eq!(
        (third["status"].as_str(), third["waitlistPosition"].as_i64()),
        (Some("WAITLISTED"), Some(2))
    );
    assert_eq!(seats_held(&app, &it).await, 1);
    // A larger capacity moves the queue up too.
    let v = app.ok(ITERATION, json!({ "id": it })).await["courseIteration"]["version"].clone();
    app.ok(
        "mutation($id: ID!, $v: Int!) { updateCourseIteration(input: {id: $id, version: $v, capacity: 2}) { id } }",
        json!({ "id": it, "v": v }),
    )
    .await;
    assert_eq!(enrollment(&app, &third).await["status"], "CONFIRMED");
    assert_eq!(seats_held(&app, &it).await, 2);
    assert_seat_counter_consistent(&app).await;
}

async fn an_officer_has_one_live_enrollment_per_iteration(app: TestApp) {
    let s = setup(&app).await;
    let it = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        5,
        None,
    )
    .await;
    let officer = fixtures::officer(&app, &s.partner, None).await;
    let e = nominate(&app, &it, &officer).await;
    let before = enrollment_state(&app).await;
    assert_eq!(
        app.error_code(NOMINATE, json!({ "i": it, "o": officer }))
            .await,
        "ALREADY_NOMINATED"
    );
    assert_eq!(enrollment_state(&app).await, before);
    // Once withdrawn, the officer may be nominated again.
    act(&app, "withdraw", &e).await;
    assert_eq!(nominate(&app, &it, &officer).await["status"], "CONFIRMED");
}

async fn an_officer_holds_no_seats_in_two_overlapping_iterations(app: TestApp) {
    let s = setup(&app).await;
    let officer = fixtures::officer(&app, &s.partner, None).await;
    let first = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(455),
        &days_from_today(459),
        5,
        None,
    )
    .await;
    let same_end_start = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(459),
        &days_from_today(463),
        5,
        None,
    )
    .await;
    let inside = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(456),
        &days_from_today(457),
        5,
        None,
    )
    .await;
    let next_day = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(460),
        &days_from_today(463),
        5,
        None,
    )
    .await;
    let day_before = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(450),
        &days_from_today(454),
        5,
        None,
    )
    .await;
    nominate(&app, &first, &officer).await;
    let before = enrollment_state(&app).await;
    for clash in [&same_end_start, &inside] {
        assert_eq!(
            app.error_code(NOMINATE, json!({ "i": clash, "o": officer }))
                .await,
            "SCHEDULE_CONFLICT"
        );
    }
    assert_eq!(enrollment_state(&app).await, before);
    // One ending the day before another starts is fine, on either side.
    assert_eq!(
        nominate(&app, &next_day, &officer).await["status"],
        "CONFIRMED"
    );
    assert_eq!(
        nominate(&app, &day_before, &officer).await["status"],
        "CONFIRMED"
    );
}

async fn a_waitlisted_officer_is_not_confirmed_into_an_overlapping_iteration(app: TestApp) {
    let s = setup(&app).await;
    let a = fixtures::officer(&app, &s.partner, None).await;
    let b = fixtures::officer(&app, &s.partner, None).await;
    let full = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(455),
        &days_from_today(459),
        1,
        None,
    )
    .await;
    let other = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(457),
        &days_from_today(461),
        5,
        None,
    )
    .await;
    let seat = nominate(&app, &full, &a).await;
    let waiting = nominate(&app, &full, &b).await;
    assert_eq!(waiting["status"], "WAITLISTED");
    nominate(&app, &other, &b).await;
    // The freed seat skips b, who meanwhile holds a seat in an overlapping iteration.
    act(&app, "withdraw", &seat).await;
    assert_eq!(enrollment(&app, &waiting).await["status"], "WAITLISTED");
    assert_eq!(seats_held(&app, &full).await, 0);
    assert_eq!(
        act_code(&app, "confirm", &enrollment(&app, &waiting).await).await,
        "SCHEDULE_CONFLICT"
    );
}

async fn an_officer_must_meet_the_courses_language_requirement(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "LANG-1", Some("3332")).await;
    let it = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(404),
        5,
        None,
    )
    .await;
    let weak = fixtures::officer(&app, &partner, Some("3322")).await;
    let none = fixtures::officer(&app, &partner, None).await;
    let strong = fixtures::officer(&app, &partner, Some("4343")).await;
    let before = enrollment_state(&app).await;
    for o in [&weak, &none] {
        assert_eq!(
            app.error_code(NOMINATE, json!({ "i": it, "o": o })).await,
            "LANGUAGE_REQUIREMENT"
        );
    }
    assert_eq!(enrollment_state(&app).await, before);
    assert_eq!(nominate(&app, &it, &strong).await["status"], "CONFIRMED");
}

async fn cancelling_an_iteration_cancels_its_live_enrollments(app: TestApp) {
    let s = setup(&app).await;
    let it = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        1,
        None,
    )
    .await;
    let mut e = Vec::new();
    for _ in 0..4 {
        let o = fixtures::officer(&app, &s.partner, None).await;
        e.push(o);
    }
    let confirmed = nominate(&app, &it, &e[0]).await;
    let waitlisted = nominate(&app, &it, &e[1]).await;
    let nominated = app
        .ok(NOMINATE, json!({ "i": it, "o": e[2], "place": false }))
        .await["nominateOfficer"]
        .clone();
    let declined = app
        .ok(NOMINATE, json!({ "i": it, "o": e[3], "place": false }))
        .await["nominateOfficer"]
        .clone();
    act(&app, "decline", &declined).await;
    let v = app.ok(ITERATION, json!({ "id": it })).await["courseIteration"]["version"].clone();
    let data = app
        .ok(
            "mutation($id: ID!, $v: Int!) { cancelCourseIteration(input: {id: $id, version: $v}) { status seatsHeld } }",
            json!({ "id": it, "v": v }),
        )
        .await;
    assert_eq!(
        data["cancelCourseIteration"],
        json!({ "status": "CANCELLED", "seatsHeld": 0 })
    );
    for live in [&confirmed, &waitlisted, &nominated] {
        let now = enrollment(&app, live).await;
        assert_eq!(now["status"], "CANCELLED");
        assert_eq!(now["waitlistPosition"], Value::Null);
    }
    assert_eq!(enrollment(&app, &declined).await["status"], "DECLINED");
    let officer = fixtures::officer(&app, &s.partner, None).await;
    let before = enrollment_state(&app).await;
    assert_eq!(
        app.error_code(NOMINATE, json!({ "i": it, "o": officer }))
            .await,
        "ITERATION_NOT_OPEN"
    );
    assert_eq!(enrollment_state(&app).await, before);
    assert_seat_counter_consistent(&app).await;
}

async fn an_enrollment_change_with_a_stale_version_is_refused_and_changes_nothing(app: TestApp) {
    let s = setup(&app).await;
    let it = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        5,
        None,
    )
    .await;
    let officer = fixtures::officer(&app, &s.partner, None).await;
    let e = app
        .ok(NOMINATE, json!({ "i": it, "o": officer, "place": false }))
        .await["nominateOfficer"]
        .clone();
    act(&app, "confirm", &e).await;
    let before = enrollment_state(&app).await;
    // `e` still carries the version read before the confirmation.
    for name in ["withdraw", "decline", "confirm"] {
        assert_eq!(act_code(&app, name, &e).await, "STALE_VERSION");
    }
    let code = app
        .error_code(
            "mutation($id: ID!) { updateCourseIteration(input: {id: $id, version: 99, location: \"Rome\"}) { id } }",
            json!({ "id": it }),
        )
        .await;
    assert_eq!(code, "STALE_VERSION");
    assert_eq!(enrollment_state(&app).await, before);
}

const MOVE: &str = "mutation($id: ID!, $v: Int!, $s: Date, $e: Date, $q: Int) { updateCourseIteration(input: {id: $id, version: $v, startDate: $s, endDate: $e, partnerQuota: $q}) { startDate partnerQuota version } }";

async fn iteration_version(app: &TestApp, id: &str) -> Value {
    app.ok(ITERATION, json!({ "id": id })).await["courseIteration"]["version"].clone()
}

async fn moving_an_iteration_onto_a_seated_officers_other_iteration_is_refused(app: TestApp) {
    let s = setup(&app).await;
    let officer = fixtures::officer(&app, &s.partner, None).await;
    let first = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(455),
        &days_from_today(459),
        5,
        None,
    )
    .await;
    let second = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(462),
        &days_from_today(466),
        5,
        None,
    )
    .await;
    nominate(&app, &first, &officer).await;
    nominate(&app, &second, &officer).await;
    let v = iteration_version(&app, &second).await;
    let before = enrollment_state(&app).await;
    let code = app
        .error_code(
            MOVE,
            json!({ "id": second, "v": v, "s": days_from_today(459) }),
        )
        .await;
    assert_eq!(code, "SCHEDULE_CONFLICT");
    assert_eq!(enrollment_state(&app).await, before);
    let data = app
        .ok(
            MOVE,
            json!({ "id": second, "v": v, "s": days_from_today(460) }),
        )
        .await;
    assert_eq!(
        data["updateCourseIteration"]["startDate"],
        days_from_today(460)
    );
}

async fn a_quota_cannot_drop_below_the_seats_a_partner_holds(app: TestApp) {
    let s = setup(&app).await;
    let it = fixtures::iteration(
        &app,
        &s.course,
        &days_from_today(400),
        &days_from_today(404),
        5,
        None,
    )
    .await;
    for _ in 0..2 {
        let o = fixtures::officer(&app, &s.partner, None).await;
        nominate(&app, &it, &o).await;
    }
    let v = iteration_version(&app, &it).await;
    let before = enrollment_state(&app).await;
    assert_eq!(
        app.error_code(MOVE, json!({ "id": it, "v": v, "q": 1 }))
            .await,
        "QUOTA_BELOW_SEATS_HELD"
    );
    assert_eq!(enrollment_state(&app).await, before);
    let data = app.ok(MOVE, json!({ "id": it, "v": v, "q": 2 })).await;
    assert_eq!(data["updateCourseIteration"]["partnerQuota"], 2);
}

async fn an_iteration_with_attendance_on_record_cannot_be_cancelled(app: TestApp) {
    let s = setup(&app).await;
    let started = fixtures::iteration(&app, &s.course, "2020-01-06", "2020-01-10", 5, None).await;
    let officer = fixtures::officer(&app, &s.partner, None).await;
    let e = nominate(&app, &started, &officer).await;
    let e = act(&app, "attend", &e).await;
    act(&app, "complete", &e).await;
    let v = iteration_version(&app, &started).await;
    let before = enrollment_state(&app).await;
    let code = app
        .error_code(
            "mutation($id: ID!, $v: Int!) { cancelCourseIteration(input: {id: $id, version: $v}) { status } }",
            json!({ "id": started, "v": v }),
        )
        .await;
    assert_eq!(code, "INVALID_TRANSITION");
    assert_eq!(enrollment_state(&app).await, before);
    assert_seat_counter_consistent(&app).await;
}

crate::on_both_backends!(
    enrollment_status_changes_only_along_the_lifecycle,
    a_confirmed_officer_can_withdraw_only_before_the_start,
    attendance_is_recorded_only_once_the_iteration_has_started,
    beyond_capacity_a_nomination_is_waitlisted_with_a_position,
    a_partners_quota_is_never_exceeded,
    a_freed_seat_promotes_the_first_waitlisted,
    an_officer_has_one_live_enrollment_per_iteration,
    an_officer_holds_no_seats_in_two_overlapping_iterations,
    a_waitlisted_officer_is_not_confirmed_into_an_overlapping_iteration,
    an_officer_must_meet_the_courses_language_requirement,
    cancelling_an_iteration_cancels_its_live_enrollments,
    an_enrollment_change_with_a_stale_version_is_refused_and_changes_nothing,
    moving_an_iteration_onto_a_seated_officers_other_iteration_is_refused,
    a_quota_cannot_drop_below_the_seats_a_partner_holds,
    an_iteration_with_attendance_on_record_cannot_be_cancelled,
);
