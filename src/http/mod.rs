//! The HTTP layer: GraphQL over HTTP at `/graphql`, GraphiQL at `/`, health and readiness probes,
//! and the tower-http middleware (body limit, timeout, request ids, tracing).

mod calendar;
mod dashboard;
mod error_body;
mod exports;
mod graphql;
pub mod metrics;
pub mod rate_limit;
pub mod slots;
mod ws;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    extract::State,
    http::{HeaderName, StatusCode},
    response::{Html, IntoResponse},
    routing::get,
    Router,
};
use tower::ServiceBuilder;
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    config::{IntrospectionMode, ServeArgs},
    graphql::AppSchema,
    service::Db,
};

/// The secret of an `Authorization: Bearer <secret>` header: `Ok(None)` without the header,
/// `Err(())` when the header is there but is not a bearer token.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Result<Option<&str>, ()> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(bearer_secret)
        .map(Some)
        .ok_or(())
}

/// The secret of an `Authorization` value `Bearer <secret>` (HTTP header or websocket init payload).
pub(crate) fn bearer_secret(value: &str) -> Option<&str> {
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// With read replicas: a mutation's answer carries the primary's WAL position after its commit; a
/// read that sends it back is served by a replica that has replayed it, or by the primary.
pub const WAL_POSITION: HeaderName = HeaderName::from_static("ipcp-wal-position");

/// The WAL position a request sent (`Ipcp-Wal-Position`); `Err` when the header is malformed.
pub(crate) fn wal_position(
    headers: &axum::http::HeaderMap,
) -> Result<Option<crate::db::replicas::WalPosition>, ()> {
    match headers.get(WAL_POSITION) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map_err(|_| ())
            .and_then(|v| v.parse().map(Some)),
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// The schema of `POST`/`GET /graphql`.
    pub schema: AppSchema,
    /// The schema of `POST`/`GET /graphql` once per read replica, its loaders reading there.
    pub replica_schemas: Arc<Vec<AppSchema>>,
    /// The schema compiled queries run on (`graphql::compiled::Splice`), and once per replica.
    pub compiled_schema: AppSchema,
    pub replica_compiled_schemas: Arc<Vec<AppSchema>>,
    /// Whether queries' root fields are compiled to SQL (`IPCP_COMPILED_READS`).
    pub compiled_reads: crate::config::CompiledReads,
    /// Compiled plans by query text, operation, role and shape of the variables.
    pub plans: Arc<crate::graphql::compiled::Plans>,
    /// The schema of `/graphql/ws` (subscriptions only).
    pub ws_schema: AppSchema,
    /// Parsed documents by query text.
    pub documents: Arc<crate::graphql::documents::DocumentCache>,
    pub rate_limit: rate_limit::RateLimit,
    /// Slots for GraphQL operations executing at once (`IPCP_MAX_CONCURRENT_OPERATIONS`).
    pub operations: Arc<slots::Slots>,
    /// Slots for operations whose last answer was large (`IPCP_MAX_LARGE_OPERATIONS`).
    pub large_operations: Arc<slots::Slots>,
    /// Beyond this many bytes an answer is large (`IPCP_LARGE_ANSWER_BYTES`).
    pub large_answer_bytes: usize,
    /// Gives the heap's free pages back once large answers stop.
    pub trimmer: Arc<crate::alloc::Trimmer>,
    pub introspection: IntrospectionMode,
    pub max_aliases: usize,
    /// The complexity limit (`IPCP_MAX_COMPLEXITY`), also a bound on the fields a document
    /// selects once its fragments are spread.
    pub max_complexity: usize,
    /// Set when shutdown begins: `/readyz` then answers 503 so load balancers stop sending work.
    pub draining: Arc<AtomicBool>,
    /// Report each request's SQL statement count in `extensions.statementCount` (tests, profiling).
    pub expose_statement_count: bool,
    /// The service's public base URL, without a trailing slash (`IPCP_PUBLIC_URL`).
    pub public_url: String,
}

pub fn router(state: AppState, serve: &ServeArgs) -> Router {
    let mut app = Router::new()
        .route(
            "/graphql",
            get(graphql::get_graphql).post(graphql::post_graphql),
        )
        .route("/dashboard", get(dashboard::index))
        .route("/dashboard/dashboard.js", get(dashboard::script))
        .route("/dashboard/dashboard.css", get(dashboard::style))
        .route("/exports/cycle-report", get(exports::cycle_report))
        .route("/exports/cycle-reports", get(exports::all_cycle_reports))
        .route("/exports/xapi", get(exports::xapi))
        .route("/calendar/iterations.ics", get(calendar::iterations))
        .route("/graphql/ws", get(ws::graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if serve.graphiql {
        app = app.route("/", get(graphiql));
    }
    if serve.metrics {
        app = app.route("/metrics", get(metrics::render));
    }
    let app = app.with_state(state);
    // CORS is off unless origins are configured: the API is not for arbitrary web pages.
    let origins: Vec<axum::http::HeaderValue> = serve
        .cors_origins
        .iter()
        .filter_map(|o| axum::http::HeaderValue::from_str(o.trim()).ok())
        .collect();
    let app = if origins.is_empty() {
        app
    } else {
        app.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([
                    axum::http::header::AUTHORIZATION,
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderName::from_static("idempotency-key"),
                    WAL_POSITION,
                ])
                .expose_headers([WAL_POSITION])
                .max_age(Duration::from_secs(600)),
        )
    };
    app.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(metrics::request_span)
                    .on_response(metrics::on_response),
            )
            .layer(axum::middleware::from_fn(metrics::track))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(RequestBodyLimitLayer::new(serve.max_body_bytes))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                Duration::from_millis(serve.request_timeout_ms),
            )),
    )
}

async fn graphiql() -> Html<String> {
    Html(
        async_graphql::http::GraphiQLSource::build()
            .endpoint("/graphql")
            .finish(),
    )
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and the server is not draining: 200, else 503.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.draining.load(Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining");
    }
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(true) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}
