//! Webhook delivery survives a crash: the real binary is killed with SIGKILL while it is sending,
//! restarted on the same database, and every change still reaches the receiver (at least once; the
//! first arrival of each in log order).

use std::{
    collections::HashSet,
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::Duration,
};

use sea_orm::{ActiveValue::Set, Database, EntityTrait};
use serde_json::{json, Value};

use crate::support::{
    cli_admin_token, gql, postgres_base_url, register_token, PgDatabase, SqliteFile,
};

#[path = "../common/receiver.rs"]
mod receiver;
use receiver::Receiver;

/// `ipcp serve` with a short webhook lease; killed with SIGKILL when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    fn start(database_url: &str, token: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ipcp"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .env("DATABASE_URL", database_url)
            .env("IPCP_RATE_LIMIT_PER_SECOND", "0")
            .env("IPCP_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
            .env("IPCP_WEBHOOK_LEASE_SECS", "2")
            .env("IPCP_WEBHOOK_POLL_MS", "50")
            .env("IPCP_WEBHOOK_BACKOFF_MS", "50")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ipcp starts");
        let stderr = child.stderr.take().expect("stderr");
        let (found, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let Ok(entry) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if let Some(address) = entry["fields"]["address"].as_str() {
                    let _ = found.send(address.to_owned());
                }
            }
        });
        let address: SocketAddr = address
            .recv_timeout(Duration::from_secs(30))
            .expect("the server logs its address")
            .parse()
            .expect("an address");
        register_token(&format!("http://{address}"), token.to_owned());
        Server { child, address }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn append_changes(url: &str, n: usize) -> Vec<i64> {
    let conn = Database::connect(url).await.expect("connect");
    let mut positions = Vec::new();
    for i in 0..n {
        let inserted = entity::change_log::Entity::insert(entity::change_log::ActiveModel {
            kind: Set("activity".into()),
            action: Set("recordActivity".into()),
            entity_id: Set((i + 1).to_string()),
            partner_id: Set(None),
            actor: Set("ops-test".into()),
            occurred_at: Set(chrono::Utc::now()),
            changed: Set("{}".into()),
            related: Set(None),
            ..Default::default()
        })
        .exec(&conn)
        .await
        .expect("a change-log entry");
        positions.push(inserted.last_insert_id);
    }
    conn.close().await.ok();
    positions
}

async fn a_sigkill_in_the_middle_of_deliveries_loses_nothing(database_url: &str) {
    let token = cli_admin_token(database_url);
    let receiver = Receiver::start().await;
    // Slow answers, so the kill finds deliveries in flight and leased.
    receiver.delay(Duration::from_millis(30));
    let mut server = Server::start(database_url, &token);
    let client = reqwest::Client::new();
    let body = gql(
        &client,
        &server.url(),
        "mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { secret } }",
        json!({ "input": { "url": receiver.url(), "kinds": ["ACTIVITY"] } }),
    )
    .await
    .expect("response");
    let secret = body["data"]["registerWebhookEndpoint"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("registered: {body:#}"))
        .to_owned();
    let positions = append_changes(database_url, 150).await;
    receiver
        .wait_until(
            Duration::from_secs(60),
            "a first part of the deliveries",
            |r| r.len() >= 20,
        )
        .await;
    server.kill();
    let before_restart = receiver.received().len();
    assert!(before_restart < positions.len(), "killed in the middle");

    let _server = Server::start(database_url, &token);
    let expected: HashSet<i64> = positions.iter().copied().collect();
    let got = receiver
        .wait_until(Duration::from_secs(90), "every change", |r| {
            let seen: HashSet<i64> = r.iter().map(|r| r.position()).collect();
            expected.is_subset(&seen)
        })
        .await;
    assert!(got.iter().all(|r| r.verifies(&secret)));
    // At least once, and in log order: each change's first arrival comes after the previous one's.
    let mut first_seen = Vec::new();
    let mut seen = HashSet::new();
    for r in &got {
        if seen.insert(r.position()) {
            first_seen.push(r.position());
        }
    }
    assert_eq!(first_seen, positions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_sigkill_in_the_middle_of_deliveries_loses_nothing() {
    let file = SqliteFile::new();
    a_sigkill_in_the_middle_of_deliveries_loses_nothing(&file.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_sigkill_in_the_middle_of_deliveries_loses_nothing() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    a_sigkill_in_the_middle_of_deliveries_loses_nothing(&db.url).await;
}
