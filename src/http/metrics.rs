//! Prometheus metrics at `GET /metrics` and the per-request span.
//!
//! The `metrics` facade with `metrics-exporter-prometheus` as its recorder: the recorder is global to
//! the process (installed once, shared by every `Application` built in it, as in the tests), and the
//! values that belong to one application, such as its pool, are read when `/metrics` is scraped.
//! The operations waiting for an execution slot are written from the application's own counters
//! into its answer, not through the shared recorder, so that each application reports its own.
//! Label values come from closed sets (route, method, status, error code, operation type), never from
//! client text, so a client cannot blow up the number of series.

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::{field::Empty, Span};

use super::{AppState, REQUEST_ID};

pub const HTTP_REQUESTS: &str = "ipcp_http_requests_total";
pub const HTTP_IN_FLIGHT: &str = "ipcp_http_requests_in_flight";
pub const HTTP_DURATION: &str = "ipcp_http_request_duration_seconds";
pub const GRAPHQL_OPERATIONS: &str = crate::telemetry::GRAPHQL_OPERATION_DURATION;
pub const GRAPHQL_ERRORS: &str = "ipcp_graphql_errors_total";
pub const DB_POOL_CONNECTIONS: &str = "ipcp_db_pool_connections";
pub const DB_POOL_MAX: &str = "ipcp_db_pool_max_connections";
pub const SUBSCRIPTIONS: &str = "ipcp_graphql_subscriptions_active";
pub const DRAINING: &str = "ipcp_draining";
pub const OPERATIONS_WAITING: &str = "ipcp_graphql_operations_waiting";

/// Latency buckets in seconds: from a cached read to the request timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder, installed on first use; `None` if another recorder was installed.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
        .and_then(|b| b.install_recorder())
        .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
        .ok()?;
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route, method and status"
    );
    metrics::describe_gauge!(HTTP_IN_FLIGHT, "HTTP requests being served");
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency, by route and method"
    );
    metrics::describe_histogram!(
        GRAPHQL_OPERATIONS,
        metrics::Unit::Seconds,
        "GraphQL execution time, by operation type"
    );
    metrics::describe_counter!(
        GRAPHQL_ERRORS,
        "GraphQL errors returned, by extensions.code"
    );
    metrics::describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Database pool connections, by state (in_use, idle)"
    );
    metrics::describe_gauge!(DB_POOL_MAX, "Database pool size limit");
    metrics::describe_gauge!(SUBSCRIPTIONS, "GraphQL subscriptions open");
    metrics::describe_gauge!(DRAINING, "1 while the server drains for shutdown");
    metrics::describe_gauge!(
        crate::db::replicas::REPLICA_LAG,
        "Read replica replay lag behind the primary in milliseconds, by replica"
    );
    metrics::describe_gauge!(
        crate::db::replicas::REPLICA_HEALTHY,
        "1 while a read replica is in the read rotation, by replica"
    );
    metrics::describe_counter!(
        crate::db::replicas::READS,
        "Read requests routed, by target (replica, primary), replica and reason"
    );
    metrics::gauge!(SUBSCRIPTIONS).set(0.0);
    metrics::gauge!(DRAINING).set(0.0);
    // Histogram samples are held until drained; scrapes drain them, and this keeps memory bounded
    // when nobody scrapes.
    let upkeep = handle.clone();
    let _ = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(5));
            upkeep.run_upkeep();
        });
    Some(handle)
}

/// `GET /metrics`: Prometheus text exposition format.
pub async fn render(State(state): State<AppState>) -> Response {
    let Some(handle) = handle() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics unavailable").into_response();
    };
    if let Some(pool) = state.db.pool_status() {
        metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set(pool.in_use as f64);
        metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(pool.idle as f64);
        metrics::gauge!(DB_POOL_MAX).set(pool.max as f64);
    }
    if let Some(replicas) = state.db.replicas() {
        replicas.export_gauges();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render() + &operations_waiting(&state),
    )
        .into_response()
}

/// The operations of this application waiting for an execution slot, by slot: `any` (every
/// operation needs one) and `large` (those whose last answer was large need one of these too).
fn operations_waiting(state: &AppState) -> String {
    format!(
        "# HELP {OPERATIONS_WAITING} GraphQL operations waiting for an execution slot, by slot\n\
         # TYPE {OPERATIONS_WAITING} gauge\n\
         {OPERATIONS_WAITING}{{slot=\"any\"}} {}\n\
         {OPERATIONS_WAITING}{{slot=\"large\"}} {}\n",
        state.operations.waiting(),
        state.large_operations.waiting(),
    )
}

/// The route label: a known route, or `other` (so unknown paths do not create series).
fn route(path: &str) -> &'static str {
    match path {
        "/graphql" => "/graphql",
        "/" => "/",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        _ => "other",
    }
}

/// Middleware: counts every request and records its latency.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = route(request.uri().path());
    let in_flight = InFlight::start();
    let response = next.run(request).await;
    drop(in_flight);
    let status = response.status().as_u16().to_string();
    metrics::counter!(HTTP_REQUESTS, "route" => route, "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Counts a request in flight until dropped, also when the client goes away and the request's
/// future is dropped before it answers.
struct InFlight(metrics::Gauge);

impl InFlight {
    fn start() -> InFlight {
        let gauge = metrics::gauge!(HTTP_IN_FLIGHT);
        gauge.increment(1.0);
        InFlight(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// Counts the errors of one GraphQL response by their `extensions.code`.
pub fn graphql_errors(errors: &[async_graphql::ServerError]) {
    for error in errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .and_then(|v| match v {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "UNKNOWN".into());
        metrics::counter!(GRAPHQL_ERRORS, "code" => code).increment(1);
    }
}

pub fn set_draining(draining: bool) {
    metrics::gauge!(DRAINING).set(if draining { 1.0 } else { 0.0 });
}

/// The span of one HTTP request. `operation_name` and `operation_type` are filled by the GraphQL
/// handler, `caller` by authentication (the token's name), `status` and `duration_ms` at the end.
pub fn request_span(request: &Request) -> Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id,
        method = %request.method(),
        path = request.uri().path(),
        operation_name = Empty,
        operation_type = Empty,
        caller = Empty,
        status = Empty,
        duration_ms = Empty,
    )
}

/// Ends the request span: records status and duration and logs one line per request.
pub fn on_response<B>(response: &axum::http::Response<B>, latency: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    span.record("duration_ms", latency.as_millis() as u64);
    tracing::info!(
        status = response.status().as_u16(),
        duration_ms = latency.as_millis() as u64,
        "request finished"
    );
}
