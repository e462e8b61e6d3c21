//! Graceful shutdown of the real binary: SIGTERM during a slow request.

use std::{
    io::{BufRead, BufReader},
    net::{SocketAddr, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::{
    outage::{lock_partner_table, wait_for_lock_waiters, PartnerTableLock},
    support::{gql, postgres_base_url, PgDatabase},
};

/// `ipcp serve` on a free port; killed if the test fails before it exits.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    fn start(database_url: &str, shutdown_timeout_ms: u64) -> Server {
        let token = crate::support::cli_admin_token(database_url);
        let mut child = Command::new(env!("CARGO_BIN_EXE_ipcp"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .env("DATABASE_URL", database_url)
            .env("IPCP_SHUTDOWN_TIMEOUT_MS", shutdown_timeout_ms.to_string())
            .env("IPCP_RATE_LIMIT_PER_SECOND", "0")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ipcp starts");
        let stderr = child.stderr.take().expect("stderr");
        let (found, address) = std::sync::mpsc::channel();
        // Reads the log to the end, so the server never blocks on a full pipe.
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
        let address = address
            .recv_timeout(Duration::from_secs(30))
            .expect("the server logs its address")
            .parse()
            .expect("an address");
        crate::support::register_token(&format!("http://{address}"), token);
        Server { child, address }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish_refuses_new_connections_and_exits_0() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    let mut server = Server::start(&db.url, 10_000);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let body = gql(
        &client,
        &server.url(),
        "mutation { createPartner(input: {code: \"TKM\", name: \"Turkmenistan\"}) { id } }",
        json!({}),
    )
    .await
    .expect("response");
    assert!(body.get("errors").is_none(), "{body:#}");

    // A slow request: it waits on a lock another session holds.
    let PartnerTableLock {
        locker,
        lock,
        observer,
    } = lock_partner_table(&db.url).await;
    let slow = {
        let (client, url) = (client.clone(), server.url());
        tokio::spawn(async move {
            client
                .post(format!("{url}/graphql"))
                .bearer_auth(crate::support::token_for(&url).unwrap_or_default())
                .json(&json!({ "query": "{ partner(code: \"TKM\") { name } }" }))
                .send()
                .await
        })
    };
    wait_for_lock_waiters(&observer, 1).await;

    server.terminate();
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect_timeout(&server.address, Duration::from_secs(1)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "new connections are still accepted while draining"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        server.child.try_wait().expect("wait").is_none(),
        "exited with a request in flight"
    );

    lock.rollback().await.expect("release the lock");
    let response = slow
        .await
        .expect("task")
        .expect("the slow request is answered");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"]["partner"]["name"], "Turkmenistan", "{body:#}");

    let status = tokio::task::block_in_place(|| server.wait_exit(Duration::from_secs(10)));
    assert!(status.success(), "exit status {status:?}");
    observer.close().await.ok();
    locker.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_up_on_a_request_that_outlives_the_timeout_and_exits_0() {
    let db = PgDatabase::create(&postgres_base_url()).await;
    let mut server = Server::start(&db.url, 1000);
    let client = reqwest::Client::new();
    gql(
        &client,
        &server.url(),
        "mutation { createPartner(input: {code: \"TKM\", name: \"Turkmenistan\"}) { id } }",
        json!({}),
    )
    .await
    .expect("response");
    let PartnerTableLock {
        locker,
        lock,
        observer,
    } = lock_partner_table(&db.url).await;
    let url = server.url();
    let slow = tokio::spawn(async move {
        gql(
            &client,
            &url,
            "{ partner(code: \"TKM\") { name } }",
            json!({}),
        )
        .await
    });
    wait_for_lock_waiters(&observer, 1).await;

    server.terminate();
    // The request waits on a lock held until after this: an exit at all, whenever on a busy
    // machine, shows that shutdown gave up on it (waiting would never end).
    let status = tokio::task::block_in_place(|| server.wait_exit(Duration::from_secs(60)));
    assert!(status.success(), "exit status {status:?}");
    assert!(
        slow.await.expect("task").is_err(),
        "the slow request was cut off"
    );
    lock.rollback().await.ok();
    observer.close().await.ok();
    locker.close().await.ok();
}
