//! Live and fast: nested fields are batched (the statements of a deep query do not grow with its
//! rows), nested pages are right, and subscriptions deliver committed changes over websockets, across
//! server instances on PostgreSQL.

use std::time::Duration;

use entity::enums::Role;
use futures_util::{SinkExt, StreamExt};
use ipcp::{
    config::{DatabaseArgs, ServeArgs, Settings},
    startup::Application,
};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

use crate::helpers::{fixtures, Backend, TestApp};

const DASHBOARD: &str = r#"query($code: String!) { partner(code: $code) { name
  cycles { id status daysUntilRenewal
    objectives { id title indicatorActual area { code }
      iterations { id startDate course { code }
        enrollments(first: 100) { totalCount pageInfo { hasNextPage }
          edges { node { id status officer { rank service } } } } } }
    activities(first: 20) { totalCount edges { node { id title } } } } } }"#;

/// A partner with one cycle of `rows / 5` objectives, each served by one iteration holding five
/// enrollments: `rows` enrollments in all.
async fn programme(app: &TestApp, code: &str, rows: usize) {
    let partner = fixtures::partner(app, code).await;
    let area = fixtures::area(app, &format!("AREA_{code}")).await;
    let (cycle, _) = fixtures::cycle(app, &partner, "IPCP", "2024-01-01").await;
    let course = fixtures::course(app, &format!("C-{code}"), None).await;
    app.ok(
        "mutation($c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: \"Talks\", description: \"d\", startDate: \"2024-05-20\", endDate: \"2024-05-21\"}) { id } }",
        json!({ "c": cycle, "a": area }),
    )
    .await;
    for i in 0..rows / 5 {
        let objective = app
            .ok(
                "mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"Objective\", indicator: \"officers trained\", target: 5}) { id } }",
                json!({ "c": cycle, "a": area }),
            )
            .await["createObjective"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let day = format!("2030-{:02}-{:02}", 1 + i % 12, 1 + i / 12);
        let iteration = fixtures::iteration(app, &course, &day, &day, 10, None).await;
        app.ok(
            "mutation($i: ID!, $o: ID!) { linkIterationObjective(iterationId: $i, objectiveId: $o) { id } }",
            json!({ "i": iteration, "o": objective }),
        )
        .await;
        for _ in 0..5 {
            let officer = fixtures::officer(app, &partner, None).await;
            app.ok(
                "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id } }",
                json!({ "i": iteration, "o": officer }),
            )
            .await;
        }
    }
}

/// Runs the dashboard query for `code`; the statements it ran and the enrollments it returned.
async fn dashboard(app: &TestApp, code: &str) -> (u64, usize) {
    let body = app.gql(DASHBOARD, json!({ "code": code })).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    let statements = body["extensions"]["statementCount"]
        .as_u64()
        .expect("statementCount extension");
    let mut enrollments = 0;
    for cycle in body["data"]["partner"]["cycles"].as_array().unwrap() {
        assert_eq!(cycle["activities"]["totalCount"], 1);
        for objective in cycle["objectives"].as_array().unwrap() {
            for iteration in objective["iterations"].as_array().unwrap() {
                let page = &iteration["enrollments"];
                assert_eq!(page["totalCount"], 5);
                assert_eq!(page["pageInfo"]["hasNextPage"], false);
                for edge in page["edges"].as_array().unwrap() {
                    assert_eq!(edge["node"]["officer"]["rank"], "Captain");
                    enrollments += 1;
                }
            }
        }
    }
    (statements, enrollments)
}

async fn statements_do_not_grow_with_rows(backend: Backend) {
    let serve = ServeArgs {
        expose_statement_count: true,
        rate_limit_per_second: 0,
        // The webhook worker's polls would be counted with the request's statements.
        webhooks: ipcp::config::WebhookArgs {
            webhook_worker: false,
            ..Default::default()
        },
        ..ServeArgs::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    programme(&app, "TEN", 10).await;
    programme(&app, "HUN", 100).await;
    let (small, small_rows) = dashboard(&app, "TEN").await;
    let (large, large_rows) = dashboard(&app, "HUN").await;
    assert_eq!((small_rows, large_rows), (10, 100));
    assert_eq!(
        small, large,
        "the dashboard query ran {small} statements for 10 rows and {large} for 100"
    );
    // 11 is one batch for each loader this query reaches (partners to officers, the indicators,
    // the pages and their counts): a level split into two batches shows here.
    assert!(small <= 11, "{small} statements for a depth-6 query");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_deep_dashboard_query_runs_as_many_statements_for_100_rows_as_for_10() {
    statements_do_not_grow_with_rows(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_deep_dashboard_query_runs_as_many_statements_for_100_rows_as_for_10() {
    statements_do_not_grow_with_rows(Backend::Postgres).await
}

async fn nested_pages_follow_their_parent(app: TestApp) {
    let partner = fixtures::partner(&app, "PAG").await;
    let course = fixtures::course(&app, "C-PAG", None).await;
    let a = fixtures::iteration(&app, &course, "2030-01-01", "2030-01-02", 10, None).await;
    let b = fixtures::iteration(&app, &course, "2030-02-01", "2030-02-02", 10, None).await;
    for iteration in [&a, &a, &a, &b] {
        let officer = fixtures::officer(&app, &partner, None).await;
        app.ok(
            "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id } }",
            json!({ "i": iteration, "o": officer }),
        )
        .await;
    }
    let q = "query($c: ID!, $after: String) { course(id: $c) { iterations { edges { node { id enrollments(first: 2, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } } } } } }";
    let data = app.ok(q, json!({ "c": course })).await;
    let its = data["course"]["iterations"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let first = &its[0]["node"]["enrollments"];
    assert_eq!(first["totalCount"], 3);
    assert_eq!(first["edges"].as_array().unwrap().len(), 2);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = &its[1]["node"]["enrollments"];
    assert_eq!(second["totalCount"], 1);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    let cursor = first["pageInfo"]["endCursor"].clone();
    let data = app.ok(q, json!({ "c": course, "after": cursor })).await;
    let rest = &data["course"]["iterations"]["edges"][0]["node"]["enrollments"];
    assert_eq!(rest["edges"].as_array().unwrap().len(), 1);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(rest["totalCount"], 3);
}

/// An iteration's enrollment list reads the officers along with the page when the selection asks
/// for them: each enrollment must still get its own officer, through `edges` and `nodes`, with
/// personal data hidden from a caller who may not see it.
async fn listed_enrollments_come_with_their_own_officers(app: TestApp) {
    let partner = fixtures::partner(&app, "OFF").await;
    let course = fixtures::course(&app, "C-OFF", None).await;
    let a = fixtures::iteration(&app, &course, "2030-01-01", "2030-01-02", 10, None).await;
    let b = fixtures::iteration(&app, &course, "2030-02-01", "2030-02-02", 10, None).await;
    let mut expected = std::collections::HashMap::new();
    for (i, iteration) in [&a, &a, &a, &b, &b].into_iter().enumerate() {
        let name = format!("Family{i}");
        let officer = app
            .ok(
                "mutation($p: ID!, $n: String!) { createOfficer(input: {partnerId: $p, familyName: $n, givenName: \"G\", rank: \"Major\", service: NAVY}) { id } }",
                json!({ "p": partner, "n": name }),
            )
            .await["createOfficer"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let enrollment = app
            .ok(
                "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id } }",
                json!({ "i": iteration, "o": officer }),
            )
            .await["nominateOfficer"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        expected.insert(enrollment, (officer, name));
    }
    let q = "query($c: ID!) { course(id: $c) { iterations { edges { node { enrollments { edges { node { id officer { id familyName } } } nodes { id officer { id familyName } } } } } } } }";
    let check = |data: &Value, names_visible: bool| {
        let mut seen = 0;
        for it in data["course"]["iterations"]["edges"].as_array().unwrap() {
            let page = &it["node"]["enrollments"];
            let listed = page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["node"])
                .chain(page["nodes"].as_array().unwrap());
            for node in listed {
                let (officer, name) = &expected[node["id"].as_str().unwrap()];
                assert_eq!(node["officer"]["id"], officer.as_str(), "{node}");
                if names_visible {
                    assert_eq!(node["officer"]["familyName"], name.as_str(), "{node}");
                } else {
                    assert!(node["officer"]["familyName"].is_null(), "{node}");
                }
                seen += 1;
            }
        }
        assert_eq!(seen, 10);
    };
    check(&app.ok(q, json!({ "c": course })).await, true);
    let analyst = app.token_for(Role::Analyst).await;
    let (_, body) = app.gql_as(Some(&analyst), q, json!({ "c": course })).await;
    assert!(body.get("errors").is_none(), "{body}");
    check(&body["data"], false);
}

/// A list that shows officers reads each enrollment and its officer from one joined row, by column
/// position; on PostgreSQL the first row's column types are checked and the rows after it are
/// decoded without the check. Every field of every row must come out as the enrollment and the
/// officer read alone show it: the first row is the sparse one (NULLs), so the rows with every
/// field set are decoded unchecked.
async fn listed_enrollments_and_officers_show_every_field_as_read_alone(app: TestApp) {
    const ENROLLMENT: &str = "id status waitlistPosition nominatedAt waitlistedAt confirmedAt \
        attendedAt outcomeAt endedAt decidedBy evaluationScore version";
    const OFFICER: &str = "id familyName givenName rank service position slp version";
    let partner = fixtures::partner(&app, "POS").await;
    let course = fixtures::course(&app, "C-POS", None).await;
    // 2020: started, so attendance and an outcome can be recorded.
    let held = fixtures::iteration(&app, &course, "2020-03-02", "2020-03-06", 2, None).await;
    let officer = |family: &'static str,
                   position: Option<&'static str>,
                   slp: Option<&'static str>| {
        let app = &app;
        let partner = &partner;
        async move {
            app.ok(
                "mutation($p: ID!, $f: String!, $pos: String, $slp: String) { createOfficer(input: {partnerId: $p, familyName: $f, givenName: \"Given\", rank: \"Commander\", service: NAVY, position: $pos, slp: $slp}) { id } }",
                json!({ "p": partner, "f": family, "pos": position, "slp": slp }),
            )
            .await["createOfficer"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let sparse = officer("Mary", None, None).await;
    let full = officer("Ashgabat", Some("Liaison officer"), Some("3232")).await;
    let waiting = officer("Merv", None, None).await;
    // The first holds a seat and nothing more; the second takes the other seat and completes with
    // a score; the third is waitlisted.
    crate::enrollment_rules::nominate(&app, &held, &sparse).await;
    let e = crate::enrollment_rules::nominate(&app, &held, &full).await;
    let e = crate::enrollment_rules::act(&app, "attend", &e).await;
    app.ok(
        "mutation($id: ID!, $v: Int!) { recordCompletion(input: {id: $id, version: $v, evaluationScore: 87.5}) { id } }",
        json!({ "id": e["id"], "v": e["version"] }),
    )
    .await;
    crate::enrollment_rules::nominate(&app, &held, &waiting).await;

    let listed = app
        .ok(
            &format!("query($i: ID!) {{ courseIteration(id: $i) {{ enrollments {{ nodes {{ {ENROLLMENT} officer {{ {OFFICER} }} }} }} }} }}"),
            json!({ "i": held }),
        )
        .await;
    let nodes = listed["courseIteration"]["enrollments"]["nodes"]
        .as_array()
        .unwrap();
    assert_eq!(nodes.len(), 3, "{listed}");
    assert!(nodes[0]["attendedAt"].is_null(), "{listed}");
    assert!(nodes[0]["officer"]["slp"].is_null(), "{listed}");
    assert_eq!(nodes[1]["status"], "COMPLETED", "{listed}");
    assert_eq!(nodes[1]["evaluationScore"], 87.5, "{listed}");
    assert_eq!(nodes[1]["officer"]["slp"], "3232", "{listed}");
    assert_eq!(
        nodes[1]["officer"]["position"], "Liaison officer",
        "{listed}"
    );
    assert_eq!(nodes[2]["status"], "WAITLISTED", "{listed}");
    for node in nodes {
        let alone = app
            .ok(
                &format!("query($e: ID!) {{ enrollment(id: $e) {{ {ENROLLMENT} }} }}"),
                json!({ "e": node["id"] }),
            )
            .await;
        let officer = app
            .ok(
                &format!("query($o: ID!) {{ officer(id: $o) {{ {OFFICER} }} }}"),
                json!({ "o": node["officer"]["id"] }),
            )
            .await;
        let mut listed_enrollment = node.clone();
        listed_enrollment.as_object_mut().unwrap().remove("officer");
        assert_eq!(listed_enrollment, alone["enrollment"]);
        assert_eq!(node["officer"], officer["officer"]);
    }
}

crate::on_both_backends!(
    nested_pages_follow_their_parent,
    listed_enrollments_come_with_their_own_officers,
    listed_enrollments_and_officers_show_every_field_as_read_alone
);

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn connect(address: &str) -> Socket {
    let url = format!("{}/graphql/ws", address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (socket, _) = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(request),
    )
    .await
    .expect("websocket connects in time")
    .expect("websocket handshake");
    socket
}

/// The next text message as JSON; None when the server closed the connection.
pub(crate) async fn next_json(socket: &mut Socket, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("a websocket message in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "ping" {
                    let _ = socket.send(Message::text(r#"{"type":"pong"}"#)).await;
                    continue;
                }
                return Some(value);
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// The cursor of the newest change committed so far (none for an empty log).
pub(crate) async fn head_cursor(app: &TestApp) -> Option<String> {
    let mut cursor: Option<String> = None;
    loop {
        let page = app
            .ok(
                "query($after: String) { changes(after: $after, first: 500) { pageInfo { hasNextPage endCursor } } }",
                json!({ "after": cursor }),
            )
            .await;
        let info = &page["changes"]["pageInfo"];
        if let Some(end) = info["endCursor"].as_str() {
            cursor = Some(end.to_owned());
        }
        if info["hasNextPage"] != true {
            return cursor;
        }
    }
}

/// Connects, authenticates with `payload` and subscribes after the newest change committed so far
/// (the query takes `$after`), so the subscriber sees every change made from now on however soon
/// the server registers it; panics unless the server acknowledges the connection.
async fn subscribe(app: &TestApp, payload: Value, query: &str, mut variables: Value) -> Socket {
    variables["after"] = json!(head_cursor(app).await);
    let mut socket = connect(&app.address).await;
    let init = json!({ "type": "connection_init", "payload": payload });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let ack = next_json(&mut socket, Duration::from_secs(5)).await;
    assert_eq!(
        ack.as_ref().map(|a| a["type"].clone()),
        Some(json!("connection_ack"))
    );
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } });
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    socket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_enrollment_change_reaches_a_subscriber_in_process() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let partner = fixtures::partner(&app, "SUB").await;
    let course = fixtures::course(&app, "C-SUB", None).await;
    let iteration = fixtures::iteration(&app, &course, "2030-01-01", "2030-01-02", 10, None).await;
    let other = fixtures::iteration(&app, &course, "2030-03-01", "2030-03-02", 10, None).await;
    let officer = fixtures::officer(&app, &partner, None).await;
    let analyst = app.token_for(Role::Analyst).await;
    let mut socket = subscribe(
        &app,
        json!({ "token": analyst }),
        "subscription($i: ID, $after: String) { enrollmentChanged(iterationId: $i, after: $after) { id status iteration { id } officer { rank familyName } } }",
        json!({ "i": iteration }),
    )
    .await;
    // A change in another iteration is filtered out; the one in ours arrives.
    let elsewhere = fixtures::officer(&app, &partner, None).await;
    app.ok(
        "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id } }",
        json!({ "i": other, "o": elsewhere }),
    )
    .await;
    let nominated = app
        .ok(
            "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id } }",
            json!({ "i": iteration, "o": officer }),
        )
        .await["nominateOfficer"]["id"]
        .clone();
    let event = next_json(&mut socket, Duration::from_secs(10))
        .await
        .expect("an event");
    assert_eq!(event["type"], "next", "{event:#}");
    let changed = &event["payload"]["data"]["enrollmentChanged"];
    assert_eq!(changed["id"], nominated);
    assert_eq!(changed["status"], "CONFIRMED");
    assert_eq!(changed["iteration"]["id"], json!(iteration));
    assert_eq!(changed["officer"]["rank"], "Captain");
    // An ANALYST sees no personal data, in a subscription as in a query.
    assert_eq!(changed["officer"]["familyName"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_activity_recorded_on_one_instance_reaches_a_subscriber_on_another() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let serve = ServeArgs {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServeArgs::default()
    };
    let b = Application::build(Settings {
        database: DatabaseArgs::new(a.database.url.clone()),
        serve,
    })
    .await
    .expect("second instance starts");
    let b_address = format!("http://{}", b.local_addr().unwrap());
    tokio::spawn(b.run_until_stopped());

    let partner = fixtures::partner(&a, "TWO").await;
    let area = fixtures::area(&a, "AREA_TWO").await;
    let (cycle, _) = fixtures::cycle(&a, &partner, "IPCP", "2024-01-01").await;
    let mut socket = subscribe(
        &a,
        json!({ "authorization": format!("Bearer {}", a.admin_token) }),
        "subscription($c: ID, $after: String) { activityRecorded(cycleId: $c, after: $after) { id title cycle { id } } }",
        json!({ "c": cycle }),
    )
    .await;
    let on_b = reqwest::Client::new()
        .post(format!("{b_address}/graphql"))
        .bearer_auth(&a.admin_token)
        .json(&json!({
            "query": "mutation($c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: DISASTER_RESPONSE, title: \"EADRCC\", description: \"Floods\", startDate: \"2024-05-20\", endDate: \"2024-06-30\"}) { id } }",
            "variables": { "c": cycle, "a": area },
        }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let recorded = on_b["data"]["recordActivity"]["id"].clone();
    assert!(recorded.is_string(), "{on_b:#}");
    let event = next_json(&mut socket, Duration::from_secs(10))
        .await
        .expect("an event");
    assert_eq!(event["type"], "next", "{event:#}");
    let activity = &event["payload"]["data"]["activityRecorded"];
    assert_eq!(activity["id"], recorded);
    assert_eq!(activity["title"], "EADRCC");
    assert_eq!(activity["cycle"]["id"], json!(cycle));
}

async fn refused(address: &str, payload: Value) {
    let mut socket = connect(address).await;
    let init = json!({ "type": "connection_init", "payload": payload });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let answer = next_json(&mut socket, Duration::from_secs(5)).await;
    assert!(
        answer.is_none(),
        "the connection must be closed, got {answer:?}"
    );
}

async fn a_websocket_without_a_valid_token_is_refused(app: TestApp) {
    refused(&app.address, json!({})).await;
    refused(&app.address, json!({ "token": "not-a-token" })).await;
    refused(&app.address, json!({ "authorization": "Basic abc" })).await;
}

async fn queries_and_mutations_are_refused_over_the_websocket(app: TestApp) {
    for operation in [
        "{ partners { totalCount } }",
        "{ __schema { types { name } } }",
        "mutation { createPartner(input: {code: \"WSX\", name: \"x\"}) { id } }",
    ] {
        let mut socket = subscribe(
            &app,
            json!({ "token": app.admin_token }),
            operation,
            json!({}),
        )
        .await;
        let answer = next_json(&mut socket, Duration::from_secs(5))
            .await
            .expect("an answer");
        let text = answer.to_string();
        assert!(text.contains("only subscriptions"), "{answer:#}");
    }
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM partner").await, 0);
}

async fn a_subscription_with_a_bad_argument_gets_a_coded_error(app: TestApp) {
    // A bad argument ends the subscription with a coded error, as a query would.
    let mut socket = subscribe(
        &app,
        json!({ "token": app.admin_token }),
        "subscription { enrollmentChanged(iterationId: \"x\") { id } }",
        json!({}),
    )
    .await;
    let answer = next_json(&mut socket, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(answer["type"], "next", "{answer:#}");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
}

mod ws {
    use super::*;
    crate::on_both_backends!(
        a_websocket_without_a_valid_token_is_refused,
        a_subscription_with_a_bad_argument_gets_a_coded_error,
        queries_and_mutations_are_refused_over_the_websocket
    );
}

async fn lists_follow_the_chosen_order_with_stable_opaque_cursors(app: TestApp) {
    for code in ["UZB", "ARM", "KAZ", "GEO"] {
        fixtures::partner(&app, code).await;
    }
    let q = "query($after: String, $dir: OrderDirection!) { partners(first: 2, after: $after, orderBy: {field: CODE, direction: $dir}) { totalCount edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }";
    let codes = |data: &Value| -> Vec<String> {
        data["partners"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = app.ok(q, json!({ "dir": "ASC" })).await;
    assert_eq!(codes(&page), ["ARM", "GEO"]);
    let cursor = page["partners"]["pageInfo"]["endCursor"].clone();
    assert!(
        cursor.as_str().unwrap().parse::<i64>().is_err(),
        "cursors are opaque"
    );
    // A partner inserted before the cursor does not shift the next page.
    fixtures::partner(&app, "AZE").await;
    let next = app.ok(q, json!({ "dir": "ASC", "after": cursor })).await;
    assert_eq!(codes(&next), ["KAZ", "UZB"]);
    assert_eq!(next["partners"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(next["partners"]["totalCount"], 5);
    let desc = app.ok(q, json!({ "dir": "DESC" })).await;
    assert_eq!(codes(&desc), ["UZB", "KAZ"]);

    // A forged cursor, or one from another ordering, is refused as bad input.
    for forged in [json!("bm90IGEgY3Vyc29y"), json!("12"), cursor.clone()] {
        let wrong = if forged == cursor {
            "query($after: String) { partners(first: 2, after: $after) { totalCount } }"
        } else {
            "query($after: String) { partners(first: 2, after: $after, orderBy: {field: NAME}) { totalCount } }"
        };
        assert_eq!(
            app.error_code(wrong, json!({ "after": forged })).await,
            "BAD_USER_INPUT"
        );
    }
}

async fn iterations_filter_by_topic_organiser_and_search_and_order_by_start(app: TestApp) {
    let course = fixtures::course(&app, "BSC-1", None).await;
    let late = fixtures::iteration(&app, &course, "2031-05-01", "2031-05-02", 5, None).await;
    let early = fixtures::iteration(&app, &course, "2030-05-01", "2030-05-02", 5, None).await;
    let data = app
        .ok(
            "{ courseIterations(topic: BORDER_SECURITY, organiser: \"NATO School Oberammergau\", search: \"bsc\", orderBy: {field: START_DATE}) { edges { node { id } } } none: courseIterations(search: \"nothing like it\") { totalCount } }",
            json!({}),
        )
        .await;
    let ids: Vec<Value> = data["courseIterations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert_eq!(ids, [json!(early), json!(late)]);
    assert_eq!(data["none"]["totalCount"], 0);
}

mod ordering {
    use super::*;
    crate::on_both_backends!(
        lists_follow_the_chosen_order_with_stable_opaque_cursors,
        iterations_filter_by_topic_organiser_and_search_and_order_by_start
    );
}

async fn a_waitlist_promotion_is_announced_with_the_withdrawal_that_freed_the_seat(app: TestApp) {
    let partner = fixtures::partner(&app, "WLP").await;
    let course = fixtures::course(&app, "C-WLP", None).await;
    let iteration = fixtures::iteration(&app, &course, "2030-01-01", "2030-01-02", 1, None).await;
    let nominate = "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id version status } }";
    let first = fixtures::officer(&app, &partner, None).await;
    let seated = app
        .ok(nominate, json!({ "i": iteration, "o": first }))
        .await["nominateOfficer"]
        .clone();
    let second = fixtures::officer(&app, &partner, None).await;
    let waiting = app
        .ok(nominate, json!({ "i": iteration, "o": second }))
        .await["nominateOfficer"]
        .clone();
    assert_eq!(waiting["status"], "WAITLISTED");
    let mut socket = subscribe(
        &app,
        json!({ "token": app.admin_token }),
        "subscription($i: ID, $after: String) { enrollmentChanged(iterationId: $i, after: $after) { id status } }",
        json!({ "i": iteration }),
    )
    .await;
    app.ok(
        "mutation($id: ID!, $v: Int!) { withdrawEnrollment(input: {id: $id, version: $v}) { status } }",
        json!({ "id": seated["id"], "v": seated["version"] }),
    )
    .await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let event = next_json(&mut socket, Duration::from_secs(10))
            .await
            .expect("an event");
        let changed = &event["payload"]["data"]["enrollmentChanged"];
        seen.push((changed["id"].clone(), changed["status"].clone()));
    }
    seen.sort_by_key(|(id, _)| id.as_str().unwrap_or("").to_owned());
    let mut expected = vec![
        (seated["id"].clone(), json!("WITHDRAWN")),
        (waiting["id"].clone(), json!("CONFIRMED")),
    ];
    expected.sort_by_key(|(id, _)| id.as_str().unwrap_or("").to_owned());
    assert_eq!(seen, expected);
}

mod promotion {
    use super::*;
    crate::on_both_backends!(
        a_waitlist_promotion_is_announced_with_the_withdrawal_that_freed_the_seat
    );
}

async fn objectives_and_cycles_filter_by_partner_search_and_date_range(app: TestApp) {
    let mine = fixtures::partner(&app, "OBJ").await;
    let other = fixtures::partner(&app, "OTH").await;
    let area = fixtures::area(&app, "AREA_OBJ").await;
    let (cycle, _) = fixtures::cycle(&app, &mine, "IPCP", "2024-01-01").await;
    let (other_cycle, _) = fixtures::cycle(&app, &other, "IPCP", "2028-01-01").await;
    for (c, title) in [
        (&cycle, "Train Border guards"),
        (&cycle, "Science network"),
        (&other_cycle, "Border posts"),
    ] {
        app.ok(
            "mutation($c: ID!, $a: ID!, $t: String!) { createObjective(input: {cycleId: $c, areaId: $a, title: $t, indicator: \"i\"}) { id } }",
            json!({ "c": c, "a": area, "t": title }),
        )
        .await;
    }
    let data = app
        .ok(
            "query($p: ID!) { objectives(partnerId: $p, search: \"border\") { totalCount edges { node { title } } } programmeCycles(from: \"2027-06-01\", to: \"2029-01-01\") { edges { node { id } } } }",
            json!({ "p": mine }),
        )
        .await;
    assert_eq!(data["objectives"]["totalCount"], 1);
    assert_eq!(
        data["objectives"]["edges"][0]["node"]["title"],
        "Train Border guards"
    );
    assert_eq!(
        data["programmeCycles"]["edges"],
        json!([{ "node": { "id": other_cycle } }])
    );
    // A cursor of a sorted list does not fit a nested list.
    let sorted = app
        .ok(
            "{ programmeCycles(first: 1, orderBy: {field: START_DATE}) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await["programmeCycles"]["pageInfo"]["endCursor"]
        .clone();
    assert_eq!(
        app.error_code(
            "query($c: ID!, $after: String) { programmeCycle(id: $c) { activities(after: $after) { totalCount } } }",
            json!({ "c": cycle, "after": sorted }),
        )
        .await,
        "BAD_USER_INPUT"
    );
}

mod filters {
    use super::*;
    crate::on_both_backends!(objectives_and_cycles_filter_by_partner_search_and_date_range);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollments_recorded_in_bulk_reach_a_subscriber() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let partner = fixtures::partner(&app, "BLK").await;
    let course = fixtures::course(&app, "C-BLK", None).await;
    let iteration = fixtures::iteration(&app, &course, "2030-05-01", "2030-05-02", 10, None).await;
    let officer = fixtures::officer(&app, &partner, None).await;
    let mut socket = subscribe(
        &app,
        json!({ "token": app.admin_token }),
        "subscription($i: ID, $after: String) { enrollmentChanged(iterationId: $i, after: $after) { status officer { id } } }",
        json!({ "i": iteration }),
    )
    .await;
    app.ok(
        "mutation($rows: [EnrollmentRowInput!]!) { recordEnrollments(rows: $rows) { applied } }",
        json!({ "rows": [{ "iterationId": iteration, "officerId": officer, "action": "NOMINATE" }] }),
    )
    .await;
    let event = next_json(&mut socket, Duration::from_secs(10))
        .await
        .expect("an event");
    assert_eq!(
        event["payload"]["data"]["enrollmentChanged"]["officer"]["id"],
        json!(officer),
        "{event:#}"
    );
}

/// `partner { activeCycle }`, the dashboards' most frequent question, is read in one statement
/// (partner and ACTIVE cycle joined, read by column position), by code or by id, with or without an
/// active cycle, every field as read without the join.
async fn a_partner_with_its_active_cycle_is_read_in_one_statement(backend: Backend) {
    let serve = ServeArgs {
        expose_statement_count: true,
        rate_limit_per_second: 0,
        // The webhook worker's polls would be counted with the request's statements.
        webhooks: ipcp::config::WebhookArgs {
            webhook_worker: false,
            ..Default::default()
        },
        ..ServeArgs::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let partner = fixtures::partner(&app, "TKM").await;
    let idle = fixtures::partner(&app, "KAZ").await;
    crate::cycle_rules::approved(&app, &partner, "2020-01-01").await;
    let (active, _) = crate::cycle_rules::active(&app, &partner, "2022-01-01").await;
    fixtures::cycle(&app, &idle, "IPCP", "2024-01-01").await;
    let ask = |args: String| {
        let app = &app;
        async move {
            let body = app
                .gql(
                    &format!(
                        "{{ partner({args}) {{ id code activeCycle {{ id status startDate }} }} }}"
                    ),
                    json!({}),
                )
                .await;
            assert!(body.get("errors").is_none(), "{body}");
            (
                body["data"]["partner"].clone(),
                body["extensions"]["statementCount"].as_u64(),
            )
        }
    };
    let (by_code, statements) = ask("code: \"TKM\"".into()).await;
    assert_eq!(by_code["id"], partner.as_str());
    assert_eq!(by_code["activeCycle"]["id"], active.as_str());
    assert_eq!(by_code["activeCycle"]["status"], "ACTIVE");
    assert_eq!(statements, Some(1));
    let (by_id, statements) = ask(format!("id: \"{partner}\"")).await;
    assert_eq!(by_id, by_code);
    assert_eq!(statements, Some(1));
    let (without, statements) = ask("code: \"kaz\"".into()).await;
    assert_eq!(without["code"], "KAZ");
    assert_eq!(without["activeCycle"], Value::Null);
    assert_eq!(statements, Some(1));
    // Every field comes out as the partner and its cycles read without the join show it.
    const PARTNER: &str = "id code name notes version createdAt updatedAt";
    const CYCLE: &str = "id kind startDate endDate status nacApprovedOn partnerApprovedOn \
        version createdAt renews { id }";
    let joined = app
        .ok(
            &format!("{{ partner(code: \"TKM\") {{ {PARTNER} activeCycle {{ {CYCLE} }} }} }}"),
            json!({}),
        )
        .await;
    let apart = app
        .ok(
            &format!("{{ partner(code: \"TKM\") {{ {PARTNER} cycles {{ {CYCLE} }} }} }}"),
            json!({}),
        )
        .await;
    let listed = apart["partner"]["cycles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == active.as_str())
        .unwrap();
    assert_eq!(&joined["partner"]["activeCycle"], listed);
    let (mut joined, mut apart) = (joined["partner"].clone(), apart["partner"].clone());
    joined.as_object_mut().unwrap().remove("activeCycle");
    apart.as_object_mut().unwrap().remove("cycles");
    assert_eq!(joined, apart);
    let body = app
        .gql(
            "{ partner(code: \"UZB\") { id activeCycle { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_partner_with_its_active_cycle_is_read_in_one_statement() {
    a_partner_with_its_active_cycle_is_read_in_one_statement(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_partner_with_its_active_cycle_is_read_in_one_statement() {
    a_partner_with_its_active_cycle_is_read_in_one_statement(Backend::Postgres).await
}
