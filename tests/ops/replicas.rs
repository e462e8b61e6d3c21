//! Reads from a PostgreSQL streaming standby: each test starts a throw-away primary and a standby of
//! its own (`initdb`, `pg_basebackup -R`, `pg_ctl`) on free loopback ports.
//!
//! That reads go to the standby is shown from outside: with the standby's replay paused, a record
//! written to the primary stays invisible to a reader without a position, and visible to its
//! writer and to a reader that sends the writer's position back.

use std::time::{Duration, Instant};

use entity::enums::Role;
use futures_util::{SinkExt, StreamExt};
use ipcp::{
    config::{DatabaseArgs, ServeArgs},
    service::uow::Actor,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

use crate::support::{
    database_args, error_code, postgres_base_url, PgCluster, PgDatabase, RunningApp,
};

/// A primary, its standby, and a database of the primary's that the standby has replayed.
struct Pair {
    primary: PgCluster,
    standby: PgCluster,
    db: PgDatabase,
    /// The same database on the standby.
    standby_url: String,
}

impl Pair {
    async fn start() -> Pair {
        let primary = tokio::task::block_in_place(PgCluster::start);
        let standby = tokio::task::block_in_place(|| primary.start_standby());
        let db = PgDatabase::create(&primary.base_url()).await;
        let name = db
            .url
            .rsplit('/')
            .next()
            .expect("a database name")
            .to_owned();
        let standby_url = format!("{}/{name}", standby.base_url());
        // The standby has replayed CREATE DATABASE when it accepts connections to it.
        until(
            "the standby has the database",
            Duration::from_secs(60),
            || async { Database::connect(&standby_url).await.ok().map(drop) },
        )
        .await;
        Pair {
            primary,
            standby,
            db,
            standby_url,
        }
    }

    fn label(&self) -> String {
        format!("127.0.0.1:{}", self.standby.port)
    }

    fn args(&self, max_lag_ms: u64) -> DatabaseArgs {
        let mut args = database_args(&self.db.url, 4, 1000);
        args.database_replica_urls = vec![self.standby_url.clone()];
        args.replica_max_lag_ms = max_lag_ms;
        // Long enough that a busy machine cannot close the window between a write and its read.
        args.read_your_writes_ms = 60_000;
        args.replica_check_ms = 100;
        args
    }

    async fn standby_sql(&self) -> DatabaseConnection {
        Database::connect(&self.standby_url).await.expect("standby")
    }
}

/// Polls `probe` until it gives a value, or fails the test after `within`.
async fn until<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text(conn: &DatabaseConnection, sql: &str) -> Option<String> {
    conn.query_one_raw(Statement::from_string(
        conn.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .ok()
    .flatten()
    .and_then(|row| row.try_get_by_index::<Option<String>>(0).ok().flatten())
}

async fn pause_replay(standby: &DatabaseConnection) {
    text(standby, "SELECT pg_wal_replay_pause()::text").await;
    until("replay is paused", Duration::from_secs(30), || async {
        (text(standby, "SELECT pg_get_wal_replay_pause_state()")
            .await
            .as_deref()
            == Some("paused"))
        .then_some(())
    })
    .await;
}

async fn resume_replay(standby: &DatabaseConnection) {
    text(standby, "SELECT pg_wal_replay_resume()::text").await;
}

/// Whether `/metrics` shows the replica in rotation.
async fn in_rotation(app: &RunningApp, label: &str) -> Option<bool> {
    let body = app.get("/metrics").await.text().await.ok()?;
    let prefix = format!("ipcp_db_replica_healthy{{replica=\"{label}\"}} ");
    body.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map(|v| v.trim() == "1")
}

async fn wait_rotation(app: &RunningApp, label: &str, healthy: bool) {
    until(
        if healthy {
            "the standby is in rotation"
        } else {
            "the standby leaves the rotation"
        },
        Duration::from_secs(60),
        || async { (in_rotation(app, label).await == Some(healthy)).then_some(()) },
    )
    .await;
}

/// Builds and runs an app; also returns an ANALYST token of its own (a caller that wrote nothing).
async fn start_app(args: DatabaseArgs) -> (RunningApp, String) {
    let app = RunningApp::build(args, ServeArgs::default())
        .await
        .expect("app starts");
    let reader = ipcp::service::token::create(
        &app.db,
        &Actor::cli("token"),
        "create",
        "dashboard",
        Role::Analyst,
        None,
    )
    .await
    .expect("reader token")
    .secret;
    (RunningApp::run(app), reader)
}

/// A GraphQL request with a given token and optional `Ipcp-Wal-Position`; the body and the
/// position header of the answer.
async fn send(
    app: &RunningApp,
    token: &str,
    position: Option<&str>,
    query: &str,
) -> (Value, Option<String>) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&json!({ "query": query }));
    if let Some(p) = position {
        request = request.header("ipcp-wal-position", p);
    }
    let response = request.send().await.expect("response");
    let header = response
        .headers()
        .get("ipcp-wal-position")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.json().await.expect("json"), header)
}

fn create_partner(code: &str) -> String {
    format!("mutation {{ createPartner(input: {{code: \"{code}\", name: \"Partner {code}\"}}) {{ id }} }}")
}

fn finds(body: &Value, code: &str) -> bool {
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"]["partners"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .any(|n| n["code"] == code)
}

const PARTNERS: &str = "{ partners(first: 100) { nodes { code } } }";

fn admin_token(app: &RunningApp) -> String {
    crate::support::token_for(&app.address).expect("admin token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_go_to_the_standby_a_writer_reads_its_own_write_and_a_bad_position_is_refused() {
    let pair = Pair::start().await;
    let (app, reader) = start_app(pair.args(600_000)).await;
    let admin = admin_token(&app);
    wait_rotation(&app, &pair.label(), true).await;
    let standby = pair.standby_sql().await;
    pause_replay(&standby).await;

    let (created, position) = send(&app, &admin, None, &create_partner("KAZ")).await;
    assert!(created.get("errors").is_none(), "{created:#}");
    let position = position.expect("a mutation's answer carries its WAL position");
    assert_eq!(created["extensions"]["walPosition"], json!(position));

    // The writer reads its own write at once (the standby has not replayed it: the primary answers).
    assert!(finds(&send(&app, &admin, None, PARTNERS).await.0, "KAZ"));
    // Another caller without a position reads the standby, which has not replayed the write: this
    // is what shows that reads go to the standby.
    assert!(!finds(&send(&app, &reader, None, PARTNERS).await.0, "KAZ"));
    // With the writer's position sent back, any caller sees the write.
    assert!(finds(
        &send(&app, &reader, Some(&position), PARTNERS).await.0,
        "KAZ"
    ));
    // The standby's sessions are the service's read pool.
    let sessions = text(
        &standby,
        "SELECT count(*)::text FROM pg_stat_activity WHERE application_name = 'ipcp-read'",
    )
    .await
    .and_then(|n| n.parse::<i64>().ok())
    .unwrap_or(0);
    assert!(sessions > 0, "no ipcp-read session on the standby");

    // A position that is not one is refused, and nothing runs.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&reader)
        .header("ipcp-wal-position", "yesterday")
        .json(&json!({ "query": PARTNERS }))
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), Some("BAD_REQUEST"), "{body:#}");

    resume_replay(&standby).await;
    until(
        "the standby has replayed the write",
        Duration::from_secs(60),
        || async { finds(&send(&app, &reader, None, PARTNERS).await.0, "KAZ").then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paused_standby_leaves_the_rotation_and_comes_back_when_it_catches_up() {
    let pair = Pair::start().await;
    let (app, reader) = start_app(pair.args(500)).await;
    let admin = admin_token(&app);
    let label = pair.label();
    wait_rotation(&app, &label, true).await;
    let standby = pair.standby_sql().await;
    pause_replay(&standby).await;
    let (created, _) = send(&app, &admin, None, &create_partner("UZB")).await;
    assert!(created.get("errors").is_none(), "{created:#}");
    wait_rotation(&app, &label, false).await;
    // Out of rotation, the standby serves nobody: a caller without a position reads the primary.
    assert!(finds(&send(&app, &reader, None, PARTNERS).await.0, "UZB"));
    resume_replay(&standby).await;
    wait_rotation(&app, &label, true).await;
    assert!(finds(&send(&app, &reader, None, PARTNERS).await.0, "UZB"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_standby_changes_nothing_a_client_sees() {
    let pair = Pair::start().await;
    let (app, reader) = start_app(pair.args(5_000)).await;
    let admin = admin_token(&app);
    wait_rotation(&app, &pair.label(), true).await;
    let (created, _) = send(&app, &admin, None, &create_partner("KGZ")).await;
    assert!(created.get("errors").is_none(), "{created:#}");
    tokio::task::block_in_place(|| pair.standby.pg_ctl_stop_immediate());
    // Every read still answers, whichever server it was routed to.
    for _ in 0..10 {
        let (body, _) = send(&app, &reader, None, PARTNERS).await;
        assert!(finds(&body, "KGZ"), "{body:#}");
    }
    wait_rotation(&app, &pair.label(), false).await;
    let (created, _) = send(&app, &admin, None, &create_partner("TJK")).await;
    assert!(created.get("errors").is_none(), "{created:#}");
    assert!(finds(&send(&app, &reader, None, PARTNERS).await.0, "TJK"));
    drop(pair.primary);
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next message that is not a ping, as JSON.
async fn next_message(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(60), socket.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a message");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).expect("json");
            if value["type"] != "ping" {
                return value;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscriptions_on_a_replica_reader_deliver_every_change_in_order() {
    let pair = Pair::start().await;
    let (app, _reader) = start_app(pair.args(5_000)).await;
    let admin = admin_token(&app);
    wait_rotation(&app, &pair.label(), true).await;
    // A first change gives the cursor to subscribe after, so that nothing made after the
    // subscription is sent can be missed, however long the subscription takes to start.
    let (first, _) = send(&app, &admin, None, &create_partner("QAA")).await;
    assert!(first.get("errors").is_none(), "{first:#}");
    let (page, _) = send(
        &app,
        &admin,
        first["extensions"]["walPosition"].as_str(),
        "{ changes(first: 100, kinds: [PARTNER]) { edges { cursor } } }",
    )
    .await;
    let cursor = page["data"]["changes"]["edges"][0]["cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("a cursor: {page:#}"))
        .to_owned();

    let url = format!("{}/graphql/ws", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    let init = json!({ "type": "connection_init", "payload": { "token": admin } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(next_message(&mut socket).await["type"], "connection_ack");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription($after: String) { changed(after: $after, kinds: [PARTNER]) { entityId } }",
        "variables": { "after": cursor } } });
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 1..=12 {
        let (created, _) = send(
            &app,
            &admin,
            None,
            &create_partner(&format!("QA{}", char::from(b'A' + n))),
        )
        .await;
        assert!(created.get("errors").is_none(), "{created:#}");
        ids.push(created["data"]["createPartner"]["id"].clone());
    }
    let mut seen = Vec::new();
    while seen.len() < ids.len() {
        let value = next_message(&mut socket).await;
        assert_eq!(value["type"], "next", "{value:#}");
        seen.push(value["payload"]["data"]["changed"]["entityId"].clone());
    }
    assert_eq!(seen, ids, "every change once, in order, none missing");
}

/// The reason a start was refused.
fn refusal(err: ipcp::error::AppError) -> String {
    match err {
        ipcp::error::AppError::Internal(cause) => cause,
        other => other.message(),
    }
}

/// Settings with the machine's PostgreSQL as the primary and `replica` as the only replica.
fn with_replica(primary: &PgDatabase, replica: String) -> DatabaseArgs {
    let mut args = database_args(&primary.url, 4, 1000);
    args.database_replica_urls = vec![replica];
    args
}

#[tokio::test]
async fn a_malformed_replica_url_stops_the_start_with_a_clear_error() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    let args = with_replica(&db, "mysql://user:hunter2@replica/ipcp".into());
    let err = RunningApp::build(args, ServeArgs::default())
        .await
        .err()
        .expect("the start is refused");
    let message = refusal(err);
    assert!(message.contains("not a PostgreSQL URL"), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the password leaked: {message}"
    );
}

#[tokio::test]
async fn a_replica_that_is_a_primary_stops_the_start_with_a_clear_error() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    let args = with_replica(&db, db.url.clone());
    let err = RunningApp::build(args, ServeArgs::default())
        .await
        .err()
        .expect("the start is refused");
    let message = refusal(err);
    assert!(message.contains("is not a standby"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_of_another_cluster_stops_the_start_with_a_clear_error() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    let other = tokio::task::block_in_place(PgCluster::start);
    let args = with_replica(&db, format!("{}/postgres", other.base_url()));
    let err = RunningApp::build(args, ServeArgs::default())
        .await
        .err()
        .expect("the start is refused");
    let message = refusal(err);
    assert!(message.contains("another PostgreSQL cluster"), "{message}");
}

#[tokio::test]
async fn replicas_with_sqlite_stop_the_start_with_a_clear_error() {
    let file = crate::support::SqliteFile::new();
    let mut args = DatabaseArgs::new(file.url());
    args.database_replica_urls = vec!["postgres://postgres@127.0.0.1:5432/ipcp".into()];
    let err = RunningApp::build(args, ServeArgs::default())
        .await
        .err()
        .expect("the start is refused");
    let message = refusal(err);
    assert!(message.contains("SQLite"), "{message}");
}
