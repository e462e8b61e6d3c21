//! GraphQL subscriptions over websockets (`graphql-transport-ws`) at `/graphql/ws`.
//!
//! The connection authenticates once, in the `connection_init` payload: `{"authorization": "Bearer
//! <token>"}` (or `{"token": "<token>"}`); without a valid token the connection is closed before any
//! operation runs. The caller then rides in the connection data, so the field guards and the
//! visibility of personal data apply as on `/graphql`.

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{State, WebSocketUpgrade},
    response::Response,
};

use super::AppState;
use crate::{error::AppError, service, service::Db};

pub async fn graphql_ws(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.ws_schema.clone();
    let db = state.db.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| connection_init(db, payload))
                .serve()
        })
}

/// The token of an init payload.
fn token(payload: &serde_json::Value) -> Option<String> {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str());
    if let Some(header) = field("authorization").or_else(|| field("Authorization")) {
        return super::bearer_secret(header).map(str::to_owned);
    }
    field("token")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

async fn connection_init(db: Db, payload: serde_json::Value) -> async_graphql::Result<Data> {
    let Some(secret) = token(&payload) else {
        return Err(AppError::Unauthenticated.into());
    };
    let caller = service::token::authenticate_cached(&db.conn, &db.callers, &secret).await?;
    let mut data = Data::default();
    data.insert(caller);
    data.insert(crate::graphql::subscription::WebSocketSession);
    Ok(data)
}
