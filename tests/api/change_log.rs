//! The change log: `changes` for reporting jobs, the ordering guarantee under concurrent writers,
//! retention, personal data per role, and subscriptions that resume from a cursor.

use std::{collections::BTreeSet, time::Duration};

use base64::Engine;
use entity::enums::Role;
use futures_util::SinkExt;
use ipcp::config::ServeArgs;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    helpers::{fixtures, Backend, TestApp},
    subscriptions::{connect, next_json, Socket},
};

const CHANGES: &str = "query($after: String, $first: Int, $kinds: [ChangeKind!], $partner: ID) {
  changes(after: $after, first: $first, kinds: $kinds, partnerId: $partner) {
    edges { cursor node { cursor kind action entityId partnerId actor changed related { kind id } } }
    pageInfo { hasNextPage endCursor } } }";

/// The position a change-log cursor stands for (the tests look inside to check the order).
fn position(cursor: &str) -> i64 {
    let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .expect("base64");
    String::from_utf8(plain).expect("utf-8")["log:".len()..]
        .parse()
        .expect("a position")
}

/// One page of `changes` as `token` sees it: its nodes and its end cursor.
async fn page(app: &TestApp, token: &str, variables: Value) -> (Vec<Value>, Option<String>) {
    let (_, body) = app.gql_as(Some(token), CHANGES, variables).await;
    assert!(body["errors"].is_null(), "{body:#}");
    let c = &body["data"]["changes"];
    let nodes = c["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    (
        nodes,
        c["pageInfo"]["endCursor"].as_str().map(str::to_owned),
    )
}

async fn twenty_concurrent_writers_and_a_resuming_reader_see_every_entry_once_in_log_order(
    backend: Backend,
) {
    let app = TestApp::spawn_with(
        backend,
        ServeArgs {
            rate_limit_per_second: 0,
            ..ServeArgs::default()
        },
    )
    .await;
    let reporter = app.token_for(Role::Reporter).await;
    let (before, mut cursor) = page(&app, &reporter, json!({"first": 500})).await;
    assert!(before.len() < 500);
    const WRITERS: usize = 20;
    const EACH: usize = 5;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (address, token) = (app.address.clone(), app.admin_token.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut ids = Vec::new();
            for n in 0..EACH {
                let body: Value = client
                    .post(format!("{address}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({
                        "query": "mutation($c: String!) { createCourse(input: {code: $c, title: \"Course\", topic: BORDER_SECURITY, organiser: \"NATO School\", delivery: RESIDENTIAL, durationDays: 5}) { id } }",
                        "variables": { "c": format!("W{w}-{n}") },
                    }))
                    .send()
                    .await
                    .expect("sent")
                    .json()
                    .await
                    .expect("json");
                assert!(body["errors"].is_null(), "{body:#}");
                ids.push(body["data"]["createCourse"]["id"].as_str().expect("id").to_owned());
            }
            ids
        }));
    }
    // The reader resumes from its last cursor in a loop while the writers run, a few entries at
    // a time, until it has seen every course written.
    let mut seen: Vec<(i64, String)> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut written: Option<BTreeSet<String>> = None;
    loop {
        let variables = json!({"after": cursor, "first": 7, "kinds": ["COURSE"]});
        let (nodes, end) = page(&app, &reporter, variables).await;
        for node in &nodes {
            let cursor = node["cursor"].as_str().expect("cursor");
            seen.push((
                position(cursor),
                node["entityId"].as_str().expect("id").to_owned(),
            ));
        }
        if end.is_some() {
            cursor = end;
        }
        if written.is_none() && writers.iter().all(|w| w.is_finished()) {
            let mut all = BTreeSet::new();
            for w in writers.drain(..) {
                all.extend(w.await.expect("writer"));
            }
            written = Some(all);
        }
        if let Some(all) = &written {
            if nodes.is_empty() && seen.len() >= all.len() {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reader caught up in time"
        );
    }
    let written = written.expect("writers done");
    assert_eq!(seen.len(), WRITERS * EACH, "each entry exactly once");
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "in log order: {seen:?}"
    );
    let ids: BTreeSet<String> = seen.into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, written);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_twenty_concurrent_writers_and_a_resuming_reader_see_every_entry_once_in_log_order()
{
    twenty_concurrent_writers_and_a_resuming_reader_see_every_entry_once_in_log_order(
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_twenty_concurrent_writers_and_a_resuming_reader_see_every_entry_once_in_log_order(
) {
    twenty_concurrent_writers_and_a_resuming_reader_see_every_entry_once_in_log_order(
        Backend::Postgres,
    )
    .await;
}

async fn a_reporting_job_resumes_from_its_end_cursor_and_filters_by_kind_and_partner(app: TestApp) {
    let reporter = app.token_for(Role::Reporter).await;
    let tkm = fixtures::partner(&app, "TKM").await;
    let kaz = fixtures::partner(&app, "KAZ").await;
    let (first_run, cursor) = page(&app, &reporter, json!({"kinds": ["PARTNER"]})).await;
    assert_eq!(first_run.len(), 2);
    assert_eq!(first_run[0]["action"], "createPartner");
    assert_eq!(first_run[0]["actor"], "test-admin");
    assert_eq!(first_run[0]["partnerId"], json!(tkm));
    assert_eq!(first_run[0]["changed"]["code"], "TKM");
    fixtures::officer(&app, &kaz, None).await;
    fixtures::officer(&app, &tkm, None).await;
    // The next run sees only what came after, of the partner it asks for.
    let (next_run, _) = page(&app, &reporter, json!({"after": cursor, "partner": kaz})).await;
    assert_eq!(next_run.len(), 1, "{next_run:?}");
    assert_eq!(next_run[0]["kind"], "OFFICER");
    assert_eq!(next_run[0]["partnerId"], json!(kaz));
    // An empty page keeps the caller's cursor (none to move to).
    let (_, end) = page(
        &app,
        &reporter,
        json!({"after": cursor, "kinds": ["PARTNER"]}),
    )
    .await;
    assert_eq!(end, None);
}

async fn a_cursor_that_is_not_one_gets_bad_cursor(app: TestApp) {
    for bad in ["nonsense", "aTox", ""] {
        let code = app.error_code(CHANGES, json!({"after": bad})).await;
        assert_eq!(code, "BAD_CURSOR", "{bad}");
    }
    let code = app.error_code(CHANGES, json!({"first": 0})).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

async fn unknown_kinds_are_refused_by_the_schema(app: TestApp) {
    let body = app.gql(CHANGES, json!({"kinds": ["SPACESHIP"]})).await;
    assert!(body["errors"].is_array(), "{body:#}");
    assert!(body["data"].is_null() || body["data"]["changes"].is_null());
}

async fn a_cursor_older_than_the_retention_gets_cursor_expired(app: TestApp) {
    fixtures::partner(&app, "TKM").await;
    let (all, _) = page(&app, &app.admin_token, json!({})).await;
    let oldest = all[0]["cursor"].as_str().expect("cursor").to_owned();
    // Retention with a horizon of now deletes every entry there is.
    let db = app.db().await;
    let deleted = ipcp::service::change_log::purge(&db.conn, 0)
        .await
        .expect("purge");
    assert_eq!(deleted, all.len() as u64);
    let code = app.error_code(CHANGES, json!({"after": oldest})).await;
    assert_eq!(code, "CURSOR_EXPIRED");
    // From the start (no cursor) reading goes on, after the horizon.
    let (rest, _) = page(&app, &app.admin_token, json!({})).await;
    assert!(rest.is_empty());
    let kaz = fixtures::partner(&app, "KAZ").await;
    let (rest, _) = page(&app, &app.admin_token, json!({})).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["entityId"], json!(kaz));
}

async fn personal_data_in_changes_is_shown_per_the_readers_role(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    fixtures::officer(&app, &partner, Some("3321")).await;
    let vars = json!({"kinds": ["OFFICER"]});
    let (as_officer, _) = page(
        &app,
        &app.token_for(Role::ProgrammeOfficer).await,
        vars.clone(),
    )
    .await;
    assert_eq!(as_officer[0]["changed"]["family_name"], "Officer");
    assert_eq!(as_officer[0]["changed"]["slp"], "3321");
    let (as_reporter, _) = page(&app, &app.token_for(Role::Reporter).await, vars).await;
    let changed = &as_reporter[0]["changed"];
    assert_eq!(changed["family_name"], Value::Null);
    assert_eq!(changed["given_name"], Value::Null);
    assert_eq!(changed["slp"], Value::Null);
    assert_eq!(changed["rank"], "Captain");
    assert!(!as_reporter[0].to_string().contains("3321"));
}

/// Connects a `changed` subscription after `after`.
async fn subscribe_changes(app: &TestApp, token: &str, after: Option<&str>) -> Socket {
    let mut socket = connect(&app.address).await;
    let init = json!({ "type": "connection_init", "payload": { "token": token } });
    socket
        .send(Message::text(init.to_string()))
        .await
        .expect("init");
    let ack = next_json(&mut socket, Duration::from_secs(5)).await;
    assert_eq!(
        ack.map(|a| a["type"].clone()),
        Some(json!("connection_ack"))
    );
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription($after: String) { changed(after: $after) { cursor kind action entityId } }",
        "variables": { "after": after } } });
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .expect("subscribe");
    socket
}

/// The next `changed` event's payload.
async fn next_change(socket: &mut Socket) -> Value {
    let msg = next_json(socket, Duration::from_secs(10))
        .await
        .expect("the connection stays open");
    assert_eq!(msg["type"], "next", "{msg:#}");
    msg["payload"]["data"]["changed"].clone()
}

async fn a_subscriber_that_reconnects_with_its_last_cursor_gets_exactly_what_it_missed_in_order(
    app: TestApp,
) {
    let reporter = app.token_for(Role::Reporter).await;
    fixtures::partner(&app, "TKM").await;
    let (all, _) = page(&app, &reporter, json!({})).await;
    let start = all.last().expect("an entry")["cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    // Live: a change made while connected arrives.
    let mut socket = subscribe_changes(&app, &reporter, Some(&start)).await;
    let course = fixtures::course(&app, "LIVE-1", None).await;
    let seen = next_change(&mut socket).await;
    assert_eq!(seen["entityId"], json!(course));
    let last = seen["cursor"].as_str().expect("cursor").to_owned();
    socket.close(None).await.ok();
    drop(socket);
    // Disconnected: 50 changes.
    let mut missed = Vec::new();
    for n in 0..50 {
        missed.push(fixtures::course(&app, &format!("GONE-{n}"), None).await);
    }
    // Reconnected with the last cursor: exactly those 50, in order, then live again.
    let mut socket = subscribe_changes(&app, &reporter, Some(&last)).await;
    let mut replayed = Vec::new();
    let mut previous = position(&last);
    for _ in 0..50 {
        let change = next_change(&mut socket).await;
        let p = position(change["cursor"].as_str().expect("cursor"));
        assert!(p > previous, "in log order");
        previous = p;
        replayed.push(change["entityId"].as_str().expect("id").to_owned());
    }
    assert_eq!(replayed, missed);
    let after = fixtures::course(&app, "LIVE-2", None).await;
    assert_eq!(
        next_change(&mut socket).await["entityId"],
        json!(after),
        "no duplicate, no gap"
    );
}

async fn a_subscription_with_a_bad_or_expired_cursor_gets_a_coded_error(app: TestApp) {
    let reporter = app.token_for(Role::Reporter).await;
    let mut socket = subscribe_changes(&app, &reporter, Some("nonsense")).await;
    let msg = next_json(&mut socket, Duration::from_secs(10))
        .await
        .expect("an answer");
    // A resolver's error arrives as a `next` carrying `errors` (graphql-transport-ws).
    assert_eq!(msg["type"], "next", "{msg:#}");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "BAD_CURSOR",
        "{msg:#}"
    );
}

/// The CLI is another process: on SQLite no wake-up reaches the server, which finds the change by
/// polling the log; on PostgreSQL the CLI's NOTIFY wakes it.
async fn an_import_by_the_cli_reaches_a_subscriber_of_the_server(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let officer = fixtures::officer(&app, &partner, None).await;
    let course = fixtures::course(&app, "CLI-1", None).await;
    let today = chrono::Utc::now().date_naive();
    let start = (today + chrono::Duration::days(30)).to_string();
    let end = (today + chrono::Duration::days(34)).to_string();
    let iteration = fixtures::iteration(&app, &course, &start, &end, 5, None).await;
    let reporter = app.token_for(Role::Reporter).await;
    let (_, cursor) = page(&app, &reporter, json!({"first": 500})).await;
    let mut socket = subscribe_changes(&app, &reporter, cursor.as_deref()).await;
    // The subscription is live once it delivers a change made through the server.
    let marker = fixtures::course(&app, "MARK", None).await;
    assert_eq!(next_change(&mut socket).await["entityId"], json!(marker));
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("rows.csv");
    std::fs::write(
        &file,
        format!("iteration_id,course_code,iteration_start,officer_id,action,evaluation_score\n{iteration},,,{officer},NOMINATE,\n"),
    )
    .expect("csv");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(["import", "enrollments", file.to_str().expect("path")])
        .env("DATABASE_URL", &app.database.url)
        .output()
        .await
        .expect("ipcp runs");
    assert!(output.status.success(), "{output:?}");
    let change = next_change(&mut socket).await;
    assert_eq!(change["kind"], "ENROLLMENT");
    assert_eq!(change["action"], "import");
}

crate::on_both_backends!(
    an_import_by_the_cli_reaches_a_subscriber_of_the_server,
    a_reporting_job_resumes_from_its_end_cursor_and_filters_by_kind_and_partner,
    a_cursor_that_is_not_one_gets_bad_cursor,
    unknown_kinds_are_refused_by_the_schema,
    a_cursor_older_than_the_retention_gets_cursor_expired,
    personal_data_in_changes_is_shown_per_the_readers_role,
    a_subscriber_that_reconnects_with_its_last_cursor_gets_exactly_what_it_missed_in_order,
    a_subscription_with_a_bad_or_expired_cursor_gets_a_coded_error,
);

/// Subscriptions share the instance's one reader of new entries: a change costs a few statements
/// however many followers are live, not a read per follower.
async fn many_followers_share_one_read_per_change(backend: Backend) {
    use futures_util::StreamExt;
    use ipcp::service::{change_log, uow};
    let database = crate::helpers::TestDatabase::create(backend).await;
    let db = ipcp::service::Db::connect(&ipcp::config::DatabaseArgs::new(database.url.clone()))
        .await
        .expect("connect");
    ipcp::startup::migrate(&db).await.expect("migrate");
    let actor = uow::Actor::cli("test");
    let create = |code: &'static str| {
        let db = db.clone();
        let actor = actor.clone();
        async move {
            ipcp::service::token::create(&db, &actor, "create", code, Role::Reporter, None)
                .await
                .expect("a change")
        }
    };
    let mut followers: Vec<_> = (0..20)
        .map(|_| {
            Box::pin(change_log::follow(
                db.clone(),
                0,
                change_log::LogFilter::default(),
            ))
        })
        .collect();
    create("first").await;
    for f in followers.iter_mut() {
        let entry: ipcp::error::Result<entity::change_log::Model> =
            tokio::time::timeout(Duration::from_secs(10), f.next())
                .await
                .expect("the change arrives")
                .expect("the stream goes on");
        assert_eq!(entry.expect("an entry").action, "create");
    }
    let before = db.statements_run();
    create("second").await;
    let written = db.statements_run() - before;
    for f in followers.iter_mut() {
        let entry = tokio::time::timeout(Duration::from_secs(10), f.next())
            .await
            .expect("the change arrives")
            .expect("the stream goes on");
        assert_eq!(entry.expect("an entry").entity_id, "2");
    }
    let delivered = db.statements_run() - before - written;
    assert!(
        delivered < 10,
        "{delivered} statements to deliver one change to 20 followers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_many_followers_share_one_read_per_change() {
    many_followers_share_one_read_per_change(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_many_followers_share_one_read_per_change() {
    many_followers_share_one_read_per_change(Backend::Postgres).await;
}
