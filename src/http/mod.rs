//! The HTTP layer: GraphQL over HTTP at `/graphql`, GraphiQL at `/`, health and readiness probes,
//! and the tower-http middleware (body limit, timeout, request ids, tracing).

mod graphql;
pub mod rate_limit;
mod ws;

use std::time::Duration;

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
    db::Db,
    graphql::AppSchema,
};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub schema: AppSchema,
    pub rate_limit: rate_limit::RateLimit,
    pub introspection: IntrospectionMode,
    pub max_aliases: usize,
    /// Report each request's SQL statement count in `extensions.statementCount` (tests, profiling).
    pub expose_statement_count: bool,
}

pub fn router(state: AppState, serve: &ServeArgs) -> Router {
    let mut app = Router::new()
        .route(
            "/graphql",
            get(graphql::get_graphql).post(graphql::post_graphql),
        )
        .route("/graphql/ws", get(ws::graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if serve.graphiql {
        app = app.route("/", get(graphiql));
    }
    app.with_state(state).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(TraceLayer::new_for_http())
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

/// The database answers: 200, else 503.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(true) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}
