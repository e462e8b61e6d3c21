//! Course evaluation (Kirkpatrick levels 1 and 3), one test per rule; every refusal writes nothing.
//!
//! Dates are relative to today: an iteration that ended 10 days ago is inside the default 60-day
//! level 1 window; one that ended 200 days ago is outside it and has its follow-up due.

use serde_json::{json, Value};

use crate::enrollment_rules::{act, nominate};
use crate::helpers::{fixtures, TestApp};

pub fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

pub const RESPOND: &str = "mutation($e: ID!, $r: [EvaluationRatingInput!]!, $c: String) { recordEvaluationResponse(input: {enrollmentId: $e, ratings: $r, comment: $c}) { id itemSet respondedOn ratings { item rating } comment } }";
pub const FOLLOW_UP: &str = "mutation($e: ID!, $a: AppliedAtWork!, $n: String) { recordEvaluationFollowUp(input: {enrollmentId: $e, applied: $a, note: $n}) { id applied note recordedOn } }";
const DUE: &str = "query($p: ID, $c: ID, $d: Date) { followUpsDue(partnerId: $p, courseId: $c, dueBefore: $d, first: 50) { totalCount edges { node { dueFrom dueBy overdue enrollment { id status } } } } }";

/// Ratings of every item, all `rating`.
pub fn ratings(rating: i64) -> Value {
    json!([
        "RELEVANCE",
        "CONTENT",
        "INSTRUCTION",
        "ORGANISATION",
        "OVERALL"
    ]
    .iter()
    .map(|i| json!({"item": i, "rating": rating}))
    .collect::<Vec<_>>())
}

/// An iteration of a new course that ran from `start` to `end` days from today.
pub async fn iteration(app: &TestApp, code: &str, start: i64, end: i64) -> (String, String) {
    let course = fixtures::course(app, code, None).await;
    let it = fixtures::iteration(app, &course, &day(start), &day(end), 30, None).await;
    (course, it)
}

/// An enrollment of a new officer of `partner` in `iteration`, taken to `status` (CONFIRMED,
/// ATTENDED, COMPLETED, FAILED).
pub async fn enrolled(app: &TestApp, partner: &str, iteration: &str, status: &str) -> Value {
    let officer = fixtures::officer(app, partner, None).await;
    let mut e = nominate(app, iteration, &officer).await;
    assert_eq!(e["status"], "CONFIRMED");
    let steps: &[&str] = match status {
        "CONFIRMED" => &[],
        "ATTENDED" => &["attend"],
        "COMPLETED" => &["attend", "complete"],
        "FAILED" => &["attend", "fail"],
        "NO_SHOW" => &["no_show"],
        other => panic!("no status {other}"),
    };
    for step in steps {
        e = act(app, step, &e).await;
    }
    e
}

/// Everything a refused evaluation request could have touched.
async fn evaluation_state(app: &TestApp) -> Vec<i64> {
    let mut state = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM evaluation_response",
        "SELECT COUNT(*) FROM evaluation_rating",
        "SELECT COUNT(*) FROM evaluation_follow_up",
        "SELECT COUNT(*) FROM audit_event",
        "SELECT COUNT(*) FROM change_log",
    ] {
        state.push(app.sql_count(sql).await);
    }
    state
}

async fn refused(app: &TestApp, query: &str, vars: Value) -> String {
    let before = evaluation_state(app).await;
    let code = app.error_code(query, vars).await;
    assert_eq!(
        evaluation_state(app).await,
        before,
        "{code}: nothing written"
    );
    code
}

async fn an_attended_officer_answers_the_questionnaire_once_with_every_item(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (_, it) = iteration(&app, "EV-1", -14, -10).await;
    for status in ["ATTENDED", "COMPLETED", "FAILED"] {
        let e = enrolled(&app, &partner, &it, status).await;
        let r = app
            .ok(
                RESPOND,
                json!({"e": e["id"], "r": ratings(4), "c": "Useful."}),
            )
            .await["recordEvaluationResponse"]
            .clone();
        assert_eq!(r["itemSet"], "L1-2026");
        assert_eq!(r["respondedOn"], day(0));
        assert_eq!(r["ratings"].as_array().unwrap().len(), 5);
        assert_eq!(r["ratings"][0], json!({"item": "relevance", "rating": 4}));
        assert_eq!(r["comment"], "Useful.");
        let read = app
            .ok(
                "query($id: ID!) { enrollment(id: $id) { evaluationScore evaluationResponse { id ratings { rating } } } }",
                json!({"id": e["id"]}),
            )
            .await;
        assert_eq!(read["enrollment"]["evaluationResponse"]["id"], r["id"]);
    }
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM evaluation_rating")
            .await,
        15
    );
}

async fn a_second_response_to_the_same_enrollment_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (_, it) = iteration(&app, "EV-1", -14, -10).await;
    let e = enrolled(&app, &partner, &it, "COMPLETED").await;
    app.ok(RESPOND, json!({"e": e["id"], "r": ratings(4)}))
        .await;
    let code = refused(&app, RESPOND, json!({"e": e["id"], "r": ratings(2)})).await;
    assert_eq!(code, "DUPLICATE_RESPONSE");
}

async fn a_response_outside_its_window_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    // Not over yet: the window opens on the last day.
    let (_, running) = iteration(&app, "EV-1", -3, 2).await;
    let e = enrolled(&app, &partner, &running, "ATTENDED").await;
    let code = refused(&app, RESPOND, json!({"e": e["id"], "r": ratings(4)})).await;
    assert_eq!(code, "OUTSIDE_RESPONSE_WINDOW");
    // Ended 61 days ago: one day past the default 60-day window.
    let (_, old) = iteration(&app, "EV-2", -65, -61).await;
    let e = enrolled(&app, &partner, &old, "COMPLETED").await;
    let code = refused(&app, RESPOND, json!({"e": e["id"], "r": ratings(4)})).await;
    assert_eq!(code, "OUTSIDE_RESPONSE_WINDOW");
    // Ended exactly 60 days ago, and on its last day: inside.
    let (_, edge) = iteration(&app, "EV-3", -64, -60).await;
    let e = enrolled(&app, &partner, &edge, "COMPLETED").await;
    app.ok(RESPOND, json!({"e": e["id"], "r": ratings(4)}))
        .await;
    let (_, today) = iteration(&app, "EV-4", -2, 0).await;
    let e = enrolled(&app, &partner, &today, "ATTENDED").await;
    app.ok(RESPOND, json!({"e": e["id"], "r": ratings(4)}))
        .await;
}

async fn the_response_window_follows_its_setting(_app: TestApp) {
    let serve = ipcp::config::ServeArgs {
        evaluation_window_days: 5,
        ..Default::default()
    };
    let app = TestApp::spawn_with(_app.database.backend, serve).await;
    let partner = fixtures::partner(&app, "TKM").await;
    let (_, it) = iteration(&app, "EV-1", -14, -10).await;
    let e = enrolled(&app, &partner, &it, "COMPLETED").await;
    let code = refused(&app, RESPOND, json!({"e": e["id"], "r": ratings(4)})).await;
    assert_eq!(code, "OUTSIDE_RESPONSE_WINDOW");
}

async fn a_response_for_an_enrollment_that_was_not_attended_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (_, it) = iteration(&app, "EV-1", -14, -10).await;
    for status in ["CONFIRMED", "NO_SHOW"] {
        let e = enrolled(&app, &partner, &it, status).await;
        let code = refused(&app, RESPOND, json!({"e": e["id"], "r": ratings(4)})).await;
        assert_eq!(code, "NOT_ATTENDED", "{status}");
    }
}

async fn a_rating_outside_one_to_five_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (_, it) = iteration(&app, "EV-1", -14, -10).await;
    let e = enrolled(&app, &partner, &it, "COMPLETED").await;
    for bad in [0, 6] {
        let code = refused(&app, RESPOND, json!({"e": e["id"], "r": ratings(bad)})).await;
        assert_eq!(code, "RATING_OUT_OF_RANGE");
    }
    // An item left out, or rated twice, is a bad input.
    let mut four = ratings(3);
    four.as_array_mut().unwrap().pop();
    let code = refused(&app, RESPOND, json!({"e": e["id"], "r": four})).await;
    assert_eq!(code, "BAD_USER_INPUT");
    let mut six = ratings(3);
    six.as_array_mut()
        .unwrap()
        .push(json!({"item": "OVERALL", "rating": 2}));
    let code = refused(&app, RESPOND, json!({"e": e["id"], "r": six})).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

async fn ratings_and_comments_are_personal_data(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (_, it) = iteration(&app, "EV-1", -14, -10).await;
    let e = enrolled(&app, &partner, &it, "COMPLETED").await;
    app.ok(
        RESPOND,
        json!({"e": e["id"], "r": ratings(2), "c": "Too long."}),
    )
    .await;
    let q = "query($id: ID!) { enrollment(id: $id) { evaluationResponse { itemSet ratings { rating } comment } } }";
    let analyst = app.token_for(entity::enums::Role::Analyst).await;
    let (_, body) = app.gql_as(Some(&analyst), q, json!({"id": e["id"]})).await;
    let r = &body["data"]["enrollment"]["evaluationResponse"];
    assert_eq!(r["itemSet"], "L1-2026", "{body:#}");
    assert!(r["ratings"].is_null() && r["comment"].is_null(), "{body:#}");
    let officer = app.token_for(entity::enums::Role::ProgrammeOfficer).await;
    let (_, body) = app.gql_as(Some(&officer), q, json!({"id": e["id"]})).await;
    assert_eq!(
        body["data"]["enrollment"]["evaluationResponse"]["comment"],
        "Too long."
    );
    // The change log hides them from a reporter, as officers' names.
    let reporter = app.token_for(entity::enums::Role::Reporter).await;
    let (_, body) = app
        .gql_as(
            Some(&reporter),
            "{ changes(kinds: [EVALUATION_RESPONSE], first: 10) { edges { node { changed } } } }",
            json!({}),
        )
        .await;
    let changed = &body["data"]["changes"]["edges"][0]["node"]["changed"];
    assert_eq!(changed["item_set"], "L1-2026", "{body:#}");
    assert!(changed["ratings"].is_null() && changed["comment"].is_null());
}

async fn a_follow_up_before_it_is_due_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    // Ended 80 days ago: due from about 90 days after.
    let (_, it) = iteration(&app, "EV-1", -85, -80).await;
    let e = enrolled(&app, &partner, &it, "COMPLETED").await;
    let code = refused(&app, FOLLOW_UP, json!({"e": e["id"], "a": "YES"})).await;
    assert_eq!(code, "FOLLOW_UP_NOT_DUE");
}

async fn a_follow_up_is_for_a_completed_enrollment_once(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (_, it) = iteration(&app, "EV-1", -205, -200).await;
    let failed = enrolled(&app, &partner, &it, "FAILED").await;
    let code = refused(&app, FOLLOW_UP, json!({"e": failed["id"], "a": "NO"})).await;
    assert_eq!(code, "NOT_COMPLETED");
    let e = enrolled(&app, &partner, &it, "COMPLETED").await;
    let f = app
        .ok(
            FOLLOW_UP,
            json!({"e": e["id"], "a": "PARTLY", "n": "Uses the checklists."}),
        )
        .await["recordEvaluationFollowUp"]
        .clone();
    assert_eq!(f["applied"], "PARTLY");
    assert_eq!(f["recordedOn"], day(0));
    let code = refused(&app, FOLLOW_UP, json!({"e": e["id"], "a": "YES"})).await;
    assert_eq!(code, "DUPLICATE_FOLLOW_UP");
    let read = app
        .ok(
            "query($id: ID!) { enrollment(id: $id) { followUp { applied note } } }",
            json!({"id": e["id"]}),
        )
        .await;
    assert_eq!(read["enrollment"]["followUp"]["applied"], "PARTLY");
}

async fn follow_ups_due_lists_completed_enrollments_without_a_follow_up(app: TestApp) {
    let tkm = fixtures::partner(&app, "TKM").await;
    let kaz = fixtures::partner(&app, "KAZ").await;
    let (course_a, old) = iteration(&app, "EV-1", -205, -200).await;
    let (course_b, recent) = iteration(&app, "EV-2", -45, -40).await;
    let due_overdue = enrolled(&app, &tkm, &old, "COMPLETED").await;
    let answered = enrolled(&app, &tkm, &old, "COMPLETED").await;
    enrolled(&app, &tkm, &old, "FAILED").await;
    let other_partner = enrolled(&app, &kaz, &old, "COMPLETED").await;
    let not_yet = enrolled(&app, &tkm, &recent, "COMPLETED").await;
    app.ok(FOLLOW_UP, json!({"e": answered["id"], "a": "YES"}))
        .await;
    let ids = |data: &Value| -> Vec<String> {
        data["followUpsDue"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["enrollment"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Due today: the old iteration's completed enrollments without a follow-up.
    let data = app.ok(DUE, json!({})).await;
    assert_eq!(
        ids(&data),
        vec![
            due_overdue["id"].as_str().unwrap().to_owned(),
            other_partner["id"].as_str().unwrap().to_owned()
        ]
    );
    assert_eq!(data["followUpsDue"]["totalCount"], 2);
    let node = &data["followUpsDue"]["edges"][0]["node"];
    assert_eq!(node["overdue"], true);
    assert_eq!(node["enrollment"]["status"], "COMPLETED");
    // By partner.
    let data = app.ok(DUE, json!({"p": tkm})).await;
    assert_eq!(
        ids(&data),
        vec![due_overdue["id"].as_str().unwrap().to_owned()]
    );
    // Due before a later day: the recent iteration's too.
    let data = app.ok(DUE, json!({"p": tkm, "d": day(60)})).await;
    assert_eq!(ids(&data).len(), 2);
    assert!(ids(&data).contains(&not_yet["id"].as_str().unwrap().to_owned()));
    let node = data["followUpsDue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["enrollment"]["id"] == not_yet["id"])
        .unwrap()["node"]
        .clone();
    assert_eq!(node["overdue"], false);
    // By course.
    let data = app.ok(DUE, json!({"c": course_b, "d": day(60)})).await;
    assert_eq!(ids(&data), vec![not_yet["id"].as_str().unwrap().to_owned()]);
    let data = app.ok(DUE, json!({"c": course_a, "p": kaz})).await;
    assert_eq!(
        ids(&data),
        vec![other_partner["id"].as_str().unwrap().to_owned()]
    );
}

const REPORT: &str = "query($c: ID, $t: CourseTopic, $o: String, $cy: ID, $l: Language! = EN) { evaluationReport(courseId: $c, topic: $t, organiser: $o, cycleId: $cy, lang: $l) { eligible responses responseRate withheldReason items { item label responses mean distribution } followUpsDue followUpsRecorded followUpRate appliedAtWork { yes partly no } } }";

/// Answers the questionnaire of `e` with every item rated `rating`, except `overall`.
async fn respond(app: &TestApp, e: &Value, rating: i64, overall: i64) {
    let mut r = ratings(rating);
    r.as_array_mut().unwrap()[4]["rating"] = json!(overall);
    app.ok(RESPOND, json!({"e": e["id"], "r": r})).await;
}

async fn the_evaluation_report_gives_the_response_rate_and_each_items_mean_and_distribution(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (course, it) = iteration(&app, "EV-1", -14, -10).await;
    let mut es = Vec::new();
    for status in ["COMPLETED", "COMPLETED", "FAILED", "ATTENDED"] {
        es.push(enrolled(&app, &partner, &it, status).await);
    }
    // Not eligible: a confirmed officer who never attended is not counted.
    enrolled(&app, &partner, &it, "NO_SHOW").await;
    respond(&app, &es[0], 5, 5).await;
    respond(&app, &es[1], 4, 3).await;
    respond(&app, &es[2], 3, 1).await;
    let r = app.ok(REPORT, json!({"c": course})).await["evaluationReport"].clone();
    assert_eq!(r["eligible"], 4);
    assert_eq!(r["responses"], 3);
    assert_eq!(r["responseRate"], 0.75);
    assert!(r["withheldReason"].is_null());
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["item"], "relevance");
    assert_eq!(items[0]["label"], "Relevance");
    assert_eq!(items[0]["mean"], 4.0);
    assert_eq!(items[0]["distribution"], json!([0, 0, 1, 1, 1]));
    assert_eq!(items[4]["item"], "overall");
    assert_eq!(items[4]["mean"], 3.0);
    assert_eq!(items[4]["distribution"], json!([1, 0, 1, 0, 1]));
    let r = app.ok(REPORT, json!({"c": course, "l": "FR"})).await;
    assert_eq!(
        r["evaluationReport"]["items"][4]["label"],
        "Appréciation générale"
    );
}

async fn an_aggregate_over_fewer_than_three_responses_is_withheld(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (course, it) = iteration(&app, "EV-1", -14, -10).await;
    let a = enrolled(&app, &partner, &it, "COMPLETED").await;
    let b = enrolled(&app, &partner, &it, "COMPLETED").await;
    enrolled(&app, &partner, &it, "COMPLETED").await;
    respond(&app, &a, 5, 5).await;
    respond(&app, &b, 1, 1).await;
    let reporter = app.token_for(entity::enums::Role::Reporter).await;
    let (_, body) = app
        .gql_as(Some(&reporter), REPORT, json!({"c": course}))
        .await;
    let r = &body["data"]["evaluationReport"];
    assert_eq!(r["responses"], 2, "{body:#}");
    assert_eq!(r["eligible"], 3);
    assert_eq!(r["withheldReason"], "TOO_FEW_RESPONSES");
    assert!(r["items"].is_null(), "{body:#}");
}

async fn the_evaluation_report_covers_a_course_a_topic_an_organiser_or_a_cycle(app: TestApp) {
    let tkm = fixtures::partner(&app, "TKM").await;
    let kaz = fixtures::partner(&app, "KAZ").await;
    let (cycle, _) = fixtures::cycle(&app, &tkm, "IPCP", &day(-300)).await;
    // Border security at Oberammergau (the fixture), medical services at another organiser.
    let (border, it) = iteration(&app, "EV-1", -210, -205).await;
    let medical = app
        .ok(
            "mutation { createCourse(input: {code: \"MED-1\", title: \"Medical\", topic: MEDICAL_SERVICES, organiser: \"NATO Centre of Excellence for Military Medicine\", delivery: RESIDENTIAL, durationDays: 5}) { id } }",
            json!({}),
        )
        .await["createCourse"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let med_it = fixtures::iteration(&app, &medical, &day(-14), &day(-10), 30, None).await;
    for _ in 0..3 {
        let e = enrolled(&app, &tkm, &med_it, "COMPLETED").await;
        respond(&app, &e, 4, 4).await;
    }
    // Border security: completed 7 months ago; too late for level 1, follow-ups due.
    let mut border_es = Vec::new();
    for _ in 0..4 {
        border_es.push(enrolled(&app, &tkm, &it, "COMPLETED").await);
    }
    let other = enrolled(&app, &kaz, &it, "COMPLETED").await;
    for (e, a) in border_es.iter().zip(["YES", "PARTLY", "YES"]) {
        app.ok(FOLLOW_UP, json!({"e": e["id"], "a": a})).await;
    }
    app.ok(FOLLOW_UP, json!({"e": other["id"], "a": "NO"}))
        .await;

    let report = |vars: Value| {
        let app = &app;
        async move { app.ok(REPORT, vars).await["evaluationReport"].clone() }
    };
    let r = report(json!({"t": "MEDICAL_SERVICES"})).await;
    assert_eq!(
        (r["eligible"].clone(), r["responses"].clone()),
        (json!(3), json!(3))
    );
    assert_eq!(r["items"][0]["mean"], 4.0);
    assert_eq!(r["followUpsDue"], 0);
    let r = report(json!({"o": "nato school OBERAMMERGAU"})).await;
    assert_eq!(r["eligible"], 5);
    assert_eq!(r["responses"], 0);
    assert_eq!(r["followUpsDue"], 5);
    assert_eq!(r["followUpsRecorded"], 4);
    assert_eq!(r["followUpRate"], 0.8);
    assert_eq!(r["appliedAtWork"], json!({"yes": 2, "partly": 1, "no": 1}));
    let r = report(json!({"c": border})).await;
    assert_eq!(r["eligible"], 5);
    // The cycle: TKM's enrollments only, both courses.
    let r = report(json!({"cy": cycle})).await;
    assert_eq!(r["eligible"], 7);
    assert_eq!(r["responses"], 3);
    assert_eq!(r["followUpsDue"], 4);
    assert_eq!(r["followUpsRecorded"], 3);
    assert_eq!(r["appliedAtWork"], json!({"yes": 2, "partly": 1, "no": 0}));
    // Filters combine: the cycle's border security course; every course filter at once; and a
    // cycle with a single follow-up, whose answer is withheld.
    let r = report(json!({"cy": cycle, "c": border})).await;
    assert_eq!(r["followUpsRecorded"], 3);
    let all_three =
        report(json!({"c": border, "o": "NATO School Oberammergau", "t": "BORDER_SECURITY"})).await;
    assert_eq!(all_three["followUpsRecorded"], 4);
    let (kaz_cycle, _) = fixtures::cycle(&app, &kaz, "IPCP", &day(-300)).await;
    let r = report(json!({"cy": kaz_cycle})).await;
    assert_eq!(r["followUpsRecorded"], 1);
    assert!(r["appliedAtWork"].is_null(), "{r:#}");
    assert_eq!(
        app.error_code(REPORT, json!({"cy": "999999"})).await,
        "NOT_FOUND"
    );
}

async fn concurrent_responses_to_one_enrollment_leave_one(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (_, it) = iteration(&app, "EV-1", -14, -10).await;
    let e = enrolled(&app, &partner, &it, "COMPLETED").await;
    let vars = json!({"e": e["id"], "r": ratings(4)});
    let answers =
        futures_util::future::join_all((0..6).map(|_| app.gql(RESPOND, vars.clone()))).await;
    let ok = answers.iter().filter(|b| b.get("errors").is_none()).count();
    assert_eq!(ok, 1, "{answers:#?}");
    for b in answers.iter().filter(|b| b.get("errors").is_some()) {
        assert_eq!(
            b["errors"][0]["extensions"]["code"], "DUPLICATE_RESPONSE",
            "{b:#}"
        );
    }
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM evaluation_response")
            .await,
        1
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM evaluation_rating")
            .await,
        5
    );
}

crate::on_both_backends!(
    concurrent_responses_to_one_enrollment_leave_one,
    an_attended_officer_answers_the_questionnaire_once_with_every_item,
    a_second_response_to_the_same_enrollment_is_refused,
    a_response_outside_its_window_is_refused,
    the_response_window_follows_its_setting,
    a_response_for_an_enrollment_that_was_not_attended_is_refused,
    a_rating_outside_one_to_five_is_refused,
    ratings_and_comments_are_personal_data,
    a_follow_up_before_it_is_due_is_refused,
    a_follow_up_is_for_a_completed_enrollment_once,
    follow_ups_due_lists_completed_enrollments_without_a_follow_up,
    the_evaluation_report_gives_the_response_rate_and_each_items_mean_and_distribution,
    an_aggregate_over_fewer_than_three_responses_is_withheld,
    the_evaluation_report_covers_a_course_a_topic_an_organiser_or_a_cycle,
);
