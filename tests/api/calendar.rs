//! The calendar feed of course iterations (`GET /calendar/iterations.ics`) and its feed tokens:
//! every body is read by Python's `icalendar` (`parsers`), not by the code that wrote it.

use entity::enums::Role;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::{
    helpers::{days_from_today as day, fixtures, TestApp},
    parsers,
};

const TITLE: &str =
    "Droit des conflits armés; niveau 2, Право вооружённых конфликтов — cours avancé pour officiers";
const LOCATION: &str = "Обераммергау, Bavaria;\nHall \"A\" \\ east wing";
const OFFICER_NAME: &str = "Zkfamilyname";

/// The records the feed tests read: a course with punctuation, accents and Cyrillic in its title
/// and a course director; its iteration (a confirmed TKM officer) and two of another course, one
/// cancelled.
struct World {
    loac: String,
    border_open: String,
    border_cancelled: String,
}

async fn world(app: &TestApp) -> World {
    let tkm = fixtures::partner(app, "TKM").await;
    fixtures::partner(app, "GEO").await;
    let course = app
        .ok(
            "mutation($t: String!) { createCourse(input: {code: \"LOAC-FR\", title: $t, topic: LAW_OF_ARMED_CONFLICT, organiser: \"NATO School Oberammergau\", delivery: RESIDENTIAL, durationDays: 5}) { id } }",
            json!({ "t": TITLE }),
        )
        .await["createCourse"]["id"]
        .clone();
    app.ok(
        "mutation($c: ID!) { createPointOfContact(input: {role: COURSE_DIRECTOR, familyName: \"Ivanova\", givenName: \"Анна\", organisation: \"NATO School, Oberammergau\", email: \"anna@example.org\", courseId: $c}) { id } }",
        json!({ "c": course }),
    )
    .await;
    let loac = app
        .ok(
            "mutation($c: ID!, $s: Date!, $e: Date!, $l: String!) { createCourseIteration(input: {courseId: $c, startDate: $s, endDate: $e, location: $l, capacity: 12, status: OPEN}) { id } }",
            json!({ "c": course, "s": day(30), "e": day(34), "l": LOCATION }),
        )
        .await["createCourseIteration"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let officer = app
        .ok(
            "mutation($p: ID!, $f: String!) { createOfficer(input: {partnerId: $p, familyName: $f, givenName: \"Oraz\", rank: \"Captain\", service: ARMY}) { id } }",
            json!({ "p": tkm, "f": OFFICER_NAME }),
        )
        .await["createOfficer"]["id"]
        .clone();
    let e = app
        .ok(
            "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o, place: false}) { id version } }",
            json!({ "i": loac, "o": officer }),
        )
        .await["nominateOfficer"]
        .clone();
    app.ok(
        "mutation($id: ID!, $v: Int!) { confirmEnrollment(input: {id: $id, version: $v}) { status } }",
        json!({ "id": e["id"], "v": e["version"] }),
    )
    .await;
    let border = fixtures::course(app, "BORDER-1", None).await;
    let border_open = fixtures::iteration(app, &border, &day(40), &day(44), 8, None).await;
    let border_cancelled = fixtures::iteration(app, &border, &day(50), &day(54), 8, None).await;
    app.ok(
        "mutation($id: ID!) { cancelCourseIteration(input: {id: $id, version: 1}) { id } }",
        json!({ "id": border_cancelled }),
    )
    .await;
    World {
        loac,
        border_open,
        border_cancelled,
    }
}

/// A new feed token made by a REPORTER; its secret.
async fn feed_key(app: &TestApp, name: &str) -> (String, String) {
    let reporter = app.token_for(Role::Reporter).await;
    let (_, body) = app
        .gql_as(
            Some(&reporter),
            "mutation($n: String!) { createFeedToken(input: {name: $n}) { secret feedPath token { id name prefix } } }",
            json!({ "n": name }),
        )
        .await;
    let created = &body["data"]["createFeedToken"];
    let secret = created["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(secret.starts_with(created["token"]["prefix"].as_str().unwrap()));
    assert_eq!(
        created["feedPath"],
        format!("/calendar/iterations.ics?key={secret}")
    );
    (
        secret.to_owned(),
        created["token"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn get(app: &TestApp, query: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/calendar/iterations.ics?{query}", app.address))
        .send()
        .await
        .expect("feed answered")
}

/// The feed's events by iteration id (from the UID).
async fn events(app: &TestApp, query: &str) -> std::collections::BTreeMap<String, Value> {
    let response = get(app, query).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    let body = response.bytes().await.unwrap();
    parsers::calendar_events(&body)
        .into_iter()
        .map(|e| {
            let uid = e["uid"].as_str().unwrap();
            let id = uid
                .strip_prefix("course-iteration-")
                .and_then(|r| r.split('@').next())
                .unwrap_or_else(|| panic!("uid {uid}"))
                .to_owned();
            (id, e)
        })
        .collect()
}

async fn the_feed_is_rfc_5545_that_an_independent_parser_reads_back_exactly(app: TestApp) {
    let w = world(&app).await;
    let (key, _) = feed_key(&app, "training office").await;
    let body = get(&app, &format!("key={key}")).await.text().await.unwrap();
    assert!(
        !body.contains(OFFICER_NAME) && !body.contains("Oraz") && !body.contains("anna@"),
        "no officer's personal data, no contact channel: {body}"
    );
    let events = events(&app, &format!("key={key}")).await;
    assert_eq!(events.len(), 3, "{events:#?}");
    let loac = &events[&w.loac];
    assert_eq!(loac["summary"], format!("{TITLE} (LOAC-FR)"));
    assert_eq!(loac["location"], LOCATION);
    assert_eq!(
        loac["description"],
        "Capacity: 12\nSeats held: 1\nStatus: OPEN\nCourse director: Анна Ivanova (NATO School, Oberammergau)"
    );
    assert_eq!(loac["dtstart"], day(30));
    assert_eq!(loac["dtend"], day(35), "DTEND is the day after the last");
    assert_eq!(loac["status"], "CONFIRMED");
    assert_eq!(loac["sequence"], 0);
    assert_eq!(
        loac["uid"],
        format!("course-iteration-{}@127.0.0.1", w.loac)
    );
    let cancelled = &events[&w.border_cancelled];
    assert_eq!(
        cancelled["status"], "CANCELLED",
        "a cancelled iteration stays"
    );
    assert_eq!(cancelled["sequence"], 1);
    assert_eq!(events[&w.border_open]["status"], "CONFIRMED");
}

async fn filters_select_by_partner_topic_course_and_status(app: TestApp) {
    let w = world(&app).await;
    let (key, _) = feed_key(&app, "filters").await;
    let ids = |m: std::collections::BTreeMap<String, Value>| m.into_keys().collect::<Vec<_>>();
    let mut all = vec![
        w.loac.clone(),
        w.border_open.clone(),
        w.border_cancelled.clone(),
    ];
    all.sort();
    assert_eq!(ids(events(&app, &format!("key={key}")).await), all);
    assert_eq!(
        ids(events(&app, &format!("key={key}&partner=TKM")).await),
        vec![w.loac.clone()]
    );
    assert!(ids(events(&app, &format!("key={key}&partner=GEO")).await).is_empty());
    let mut border = vec![w.border_open.clone(), w.border_cancelled.clone()];
    border.sort();
    assert_eq!(
        ids(events(&app, &format!("key={key}&topic=BORDER_SECURITY")).await),
        border
    );
    assert_eq!(
        ids(events(&app, &format!("key={key}&course=LOAC-FR")).await),
        vec![w.loac.clone()]
    );
    assert_eq!(
        ids(events(&app, &format!("key={key}&status=CANCELLED")).await),
        vec![w.border_cancelled.clone()]
    );
    assert_eq!(
        ids(events(
            &app,
            &format!("key={key}&status=open&topic=BORDER_SECURITY")
        )
        .await),
        vec![w.border_open.clone()]
    );
}

async fn an_unchanged_feed_answers_304_and_a_change_raises_sequence(app: TestApp) {
    let w = world(&app).await;
    let (key, _) = feed_key(&app, "etag").await;
    let query = format!("key={key}");
    let first = get(&app, &query).await;
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    let before = parsers::calendar_events(&first.bytes().await.unwrap());
    let again = app
        .client
        .get(format!("{}/calendar/iterations.ics?{query}", app.address))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[header::ETAG], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());

    app.ok(
        "mutation($id: ID!) { updateCourseIteration(input: {id: $id, version: 1, location: \"Brussels\"}) { version } }",
        json!({ "id": w.border_open }),
    )
    .await;
    let changed = app
        .client
        .get(format!("{}/calendar/iterations.ics?{query}", app.address))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()[header::ETAG], etag.as_str());
    let after = parsers::calendar_events(&changed.bytes().await.unwrap());
    let find = |list: &[Value]| {
        list.iter()
            .find(|e| {
                e["uid"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("course-iteration-{}@", w.border_open))
            })
            .unwrap()
            .clone()
    };
    let (old, new) = (find(&before), find(&after));
    assert_eq!(new["location"], "Brussels");
    assert!(
        new["sequence"].as_i64() > old["sequence"].as_i64(),
        "SEQUENCE increases: {old} then {new}"
    );
    assert!(new["last_modified"].as_str() >= old["last_modified"].as_str());

    // A seat taken changes DESCRIPTION and is a revision: LAST-MODIFIED moves on.
    let tkm = app.ok("{ partner(code: \"TKM\") { id } }", json!({})).await["partner"]["id"].clone();
    let officer = fixtures::officer(&app, tkm.as_str().unwrap(), None).await;
    let revised = format!(
        "SELECT CAST(updated_at AS TEXT) FROM course_iteration WHERE id = {}",
        w.border_open
    );
    let before_seat = app.sql_text(&revised).await;
    let e = app
        .ok(
            "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o, place: true}) { status } }",
            json!({ "i": w.border_open, "o": officer }),
        )
        .await;
    assert_eq!(e["nominateOfficer"]["status"], "CONFIRMED");
    let seated = find(&parsers::calendar_events(
        &get(&app, &query).await.bytes().await.unwrap(),
    ));
    assert!(seated["description"]
        .as_str()
        .unwrap()
        .contains("Seats held: 1"));
    assert_ne!(app.sql_text(&revised).await, before_seat, "a revision");
    assert!(seated["last_modified"].as_str() >= new["last_modified"].as_str());
}

async fn an_unknown_or_revoked_feed_key_gets_the_same_401(app: TestApp) {
    world(&app).await;
    let (key, id) = feed_key(&app, "to revoke").await;
    assert_eq!(
        get(&app, &format!("key={key}")).await.status(),
        StatusCode::OK
    );
    app.ok(
        "mutation($id: ID!) { revokeFeedToken(id: $id) { revokedAt } }",
        json!({ "id": id }),
    )
    .await;
    let before = app.contents().await;
    let revoked = get(&app, &format!("key={key}")).await;
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
    let revoked: Value = revoked.json().await.unwrap();
    let unknown = get(
        &app,
        "key=ipcpfeed_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(revoked, unknown, "no hint whether the key existed");
    assert_eq!(
        revoked["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let anonymous = get(&app, "").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    app.assert_unchanged(&before, "refused feed keys").await;
}

async fn a_feed_key_opens_only_the_feed_and_reporting_api_tokens_read_it_too(app: TestApp) {
    world(&app).await;
    let (key, _) = feed_key(&app, "only the feed").await;
    let (status, _) = app.gql_as(Some(&key), "{ __typename }", json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "not a bearer token for the API"
    );
    let export = app
        .client
        .get(format!("{}/exports/cycle-reports", app.address))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::UNAUTHORIZED);
    let as_bearer = app
        .client
        .get(format!("{}/calendar/iterations.ics", app.address))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(as_bearer.status(), StatusCode::UNAUTHORIZED);
    for role in [Role::Reporter, Role::Analyst] {
        let token = app.token_for(role).await;
        let response = app
            .client
            .get(format!("{}/calendar/iterations.ics", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{role:?}");
        assert_eq!(
            parsers::calendar_events(&response.bytes().await.unwrap()).len(),
            3
        );
    }
    let listed = app
        .ok(
            "{ feedTokens { name prefix createdBy revokedAt } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["feedTokens"][0]["name"], "only the feed");
    assert!(!listed.to_string().contains(&key), "listed without secret");
}

async fn unknown_filter_values_are_refused_and_change_nothing(app: TestApp) {
    world(&app).await;
    let (key, _) = feed_key(&app, "bad filters").await;
    let before = app.contents().await;
    for (query, field) in [
        ("status=POSTPONED", "status"),
        ("topic=ASTROLOGY", "topic"),
        ("partner=ZZZ", "partner"),
        ("course=NO-SUCH-COURSE", "course"),
        ("colour=red", "colour"),
        ("status=OPEN&status=HELD", "status"),
    ] {
        let response = get(&app, &format!("key={key}&{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{query}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(field), "{query}: {message}");
    }
    app.assert_unchanged(&before, "refused filters").await;
}

crate::on_both_backends!(
    the_feed_is_rfc_5545_that_an_independent_parser_reads_back_exactly,
    filters_select_by_partner_topic_course_and_status,
    an_unchanged_feed_answers_304_and_a_change_raises_sequence,
    an_unknown_or_revoked_feed_key_gets_the_same_401,
    a_feed_key_opens_only_the_feed_and_reporting_api_tokens_read_it_too,
    unknown_filter_values_are_refused_and_change_nothing,
);
