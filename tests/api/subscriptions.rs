//! Live updates: subscriptions deliver committed changes over websockets (`graphql-transport-ws`),
//! filtered, with personal data hidden from ANALYSTs, across server instances on PostgreSQL; the
//! websocket accepts nothing but authenticated subscriptions.

use std::time::Duration;

use entity::enums::Role;
use futures_util::{SinkExt, StreamExt};
use ipcp::{
    config::{DatabaseArgs, ServeArgs, Settings},
    startup::Application,
};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

use crate::helpers::{days_from_today, fixtures, Backend, TestApp};

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
pub(crate) async fn subscribe(
    app: &TestApp,
    payload: Value,
    query: &str,
    mut variables: Value,
) -> Socket {
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

async fn an_enrollment_change_reaches_a_subscriber(app: TestApp) {
    let partner = fixtures::partner(&app, "SUB").await;
    let course = fixtures::course(&app, "C-SUB", None).await;
    let iteration = fixtures::iteration(
        &app,
        &course,
        &days_from_today(60),
        &days_from_today(61),
        10,
        None,
    )
    .await;
    let other = fixtures::iteration(
        &app,
        &course,
        &days_from_today(120),
        &days_from_today(121),
        10,
        None,
    )
    .await;
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

async fn a_waitlist_promotion_is_announced_with_the_withdrawal_that_freed_the_seat(app: TestApp) {
    let partner = fixtures::partner(&app, "WLP").await;
    let course = fixtures::course(&app, "C-WLP", None).await;
    let iteration = fixtures::iteration(
        &app,
        &course,
        &days_from_today(60),
        &days_from_today(61),
        1,
        None,
    )
    .await;
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

async fn enrollments_recorded_in_bulk_reach_a_subscriber(app: TestApp) {
    let partner = fixtures::partner(&app, "BLK").await;
    let course = fixtures::course(&app, "C-BLK", None).await;
    let iteration = fixtures::iteration(
        &app,
        &course,
        &days_from_today(60),
        &days_from_today(61),
        10,
        None,
    )
    .await;
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

crate::on_both_backends!(
    an_enrollment_change_reaches_a_subscriber,
    enrollments_recorded_in_bulk_reach_a_subscriber,
    a_waitlist_promotion_is_announced_with_the_withdrawal_that_freed_the_seat,
    a_websocket_without_a_valid_token_is_refused,
    a_subscription_with_a_bad_argument_gets_a_coded_error,
    queries_and_mutations_are_refused_over_the_websocket,
);
