//! Webhooks (issue 19): the nomination's throughput with one registered endpoint (a receiver on
//! loopback, answering 200 at once) as a share of the same load without it, and the delivery lag
//! from a change's commit (its change-log `occurred_at`) to the receiver, p50 and p99, under that
//! load. Both runs go to a server of their own with the delivery worker on (the query server runs
//! without it, so that its statement counts stay exact).

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{body::Bytes, extract::State, http::StatusCode, routing::post, Router};
use sea_orm::sqlx::{self, PgPool};
use serde_json::Value;

use crate::load::{Error, Measure};

pub struct WebhookFigures {
    pub clients: usize,
    pub without: Measure,
    pub with: Measure,
    pub delivered: usize,
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
    /// The throughput share of each pair of runs, in %.
    pub shares: Vec<f64>,
}

/// (change-log position, unix seconds received) of every request the receiver got.
type Received = Arc<Mutex<Vec<(i64, f64)>>>;

pub struct Receiver {
    pub url: String,
    received: Received,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    pub async fn start() -> Result<Receiver, Error> {
        let received: Received = Arc::default();
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(received.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver {
            url,
            received,
            server,
        })
    }

    pub fn received(&self) -> Vec<(i64, f64)> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

async fn hook(State(received): State<Received>, body: Bytes) -> StatusCode {
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let position = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["data"]["position"].as_i64());
    if let (Some(position), Ok(mut list)) = (position, received.lock()) {
        list.push((position, at));
    }
    StatusCode::OK
}

/// Waits until no delivery is pending (the backlog of the load drained), at most `within`.
pub async fn drained(pool: &PgPool, within: Duration) -> Result<(), Error> {
    let deadline = Instant::now() + within;
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'PENDING'")
                .fetch_one(pool)
                .await?;
        if pending == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(
                format!("{pending} webhook deliveries still pending after {within:?}").into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Lag of each change received (first arrival): receive time minus `occurred_at`, in ms, sorted.
pub async fn lags(pool: &PgPool, received: &[(i64, f64)]) -> Result<Vec<f64>, Error> {
    let mut first = std::collections::HashMap::new();
    for &(position, at) in received {
        first.entry(position).or_insert(at);
    }
    let positions: Vec<i64> = first.keys().copied().collect();
    let occurred: Vec<(i64, f64)> = sqlx::query_as(
        "SELECT id, EXTRACT(EPOCH FROM occurred_at)::float8 FROM change_log WHERE id = ANY($1)",
    )
    .bind(&positions)
    .fetch_all(pool)
    .await?;
    let mut lags: Vec<f64> = occurred
        .into_iter()
        .filter_map(|(id, at)| first.get(&id).map(|r| (r - at) * 1000.0))
        .collect();
    lags.sort_by(f64::total_cmp);
    Ok(lags)
}

pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}
