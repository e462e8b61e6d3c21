//! A webhook receiver for the tests: an axum server on loopback that records every request it gets
//! and answers with the status the test sets (and after the delay it sets).

// Shared by the api and ops test binaries; each uses a part of it.
#![allow(dead_code)]

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU16, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: Vec<u8>,
    pub at: DateTime<Utc>,
    /// The status it was answered with.
    pub answered: u16,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    pub fn position(&self) -> i64 {
        self.json()["data"]["position"]
            .as_i64()
            .expect("a position")
    }

    /// Whether the signature is valid for `secret` (Standard Webhooks, v1).
    pub fn verifies(&self, secret: &str) -> bool {
        let Ok(timestamp) = self.timestamp.parse::<i64>() else {
            return false;
        };
        ipcp::service::webhook::sign::verify(
            secret,
            &self.id,
            timestamp,
            &self.body,
            &self.signature,
        )
    }
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
}

pub struct Receiver {
    pub port: u16,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

/// A loopback port free right now (for a receiver started later: "down, then up").
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn url_on(port: u16) -> String {
    format!("http://127.0.0.1:{port}/hook")
}

impl Receiver {
    pub async fn start() -> Receiver {
        Self::start_on(0).await
    }

    pub async fn start_on(port: u16) -> Receiver {
        let shared = Shared::default();
        shared.status.store(200, Ordering::SeqCst);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .expect("the receiver binds");
        let port = listener.local_addr().expect("address").port();
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            port,
            shared,
            server,
        }
    }

    pub fn url(&self) -> String {
        url_on(self.port)
    }

    /// The status the next requests are answered with.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// How long each answer waits.
    pub fn delay(&self, delay: Duration) {
        self.shared
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// Waits until `done` holds for what was received, or panics at the deadline.
    pub async fn wait_until(
        &self,
        within: Duration,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "waited {within:?} for {what}; received {} requests",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn hook(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let answered = shared.status.load(Ordering::SeqCst);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    shared.received.lock().expect("lock").push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        content_type: header("content-type"),
        body: body.to_vec(),
        at: Utc::now(),
        answered,
    });
    StatusCode::from_u16(answered).unwrap_or(StatusCode::OK)
}
