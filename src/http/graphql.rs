//! GraphQL over HTTP (the GraphQL-over-HTTP specification): POST with `application/json`, GET for
//! queries only (a mutation over GET gets 405 and does not run), responses as
//! `application/graphql-response+json` when the client accepts it (request errors then get 400) or
//! `application/json` otherwise (always 200 once the request was understood).

use async_graphql::{
    parser::{
        parse_query,
        types::{DocumentOperations, OperationType},
    },
    Variables,
};
use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::AppState;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostBody {
    query: Option<String>,
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Value>,
}

/// The media type to answer with, from the Accept header.
fn response_media_type(headers: &HeaderMap) -> &'static str {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains(GRAPHQL_RESPONSE) {
        GRAPHQL_RESPONSE
    } else {
        JSON
    }
}

/// A request that is not a well-formed GraphQL-over-HTTP request: no GraphQL execution happened.
fn request_error(status: StatusCode, media: &'static str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }] });
    let status = if media == GRAPHQL_RESPONSE || status != StatusCode::OK {
        status
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
        body.to_string(),
    )
        .into_response()
}

pub async fn post_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let media = response_media_type(&headers);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != JSON {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "POST /graphql takes Content-Type: application/json",
        );
    }
    let parsed: PostBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "the body must be one JSON object with a \"query\" string (batched arrays are not accepted)",
            )
        }
    };
    let Some(query) = parsed.query else {
        return request_error(StatusCode::BAD_REQUEST, media, "the body has no \"query\"");
    };
    let variables = match parsed.variables {
        None | Some(serde_json::Value::Null) => Variables::default(),
        Some(v @ serde_json::Value::Object(_)) => Variables::from_json(v),
        Some(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "\"variables\" must be a JSON object",
            )
        }
    };
    execute(&state, media, query, parsed.operation_name, variables).await
}

pub async fn get_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<GetParams>,
) -> Response {
    let media = response_media_type(&headers);
    let Some(query) = params.query else {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            "GET /graphql needs a \"query\" parameter",
        );
    };
    if let Ok(doc) = parse_query(&query) {
        let operation_type = match &doc.operations {
            DocumentOperations::Single(op) => Some(op.node.ty),
            DocumentOperations::Multiple(ops) => match &params.operation_name {
                Some(name) => ops
                    .iter()
                    .find(|(n, _)| n.as_str() == name)
                    .map(|(_, op)| op.node.ty),
                None => None,
            },
        };
        if operation_type == Some(OperationType::Mutation) {
            let mut response = request_error(
                StatusCode::METHOD_NOT_ALLOWED,
                media,
                "mutations are only accepted over POST",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
    }
    let variables = match params
        .variables
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
    {
        None => Variables::default(),
        Some(Ok(v @ serde_json::Value::Object(_))) => Variables::from_json(v),
        Some(Ok(serde_json::Value::Null)) => Variables::default(),
        Some(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "\"variables\" must be a JSON object",
            )
        }
    };
    execute(&state, media, query, params.operation_name, variables).await
}

async fn execute(
    state: &AppState,
    media: &'static str,
    query: String,
    operation_name: Option<String>,
    variables: Variables,
) -> Response {
    let mut request = async_graphql::Request::new(query).variables(variables);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    let mut response = state.schema.execute(request).await;
    // Errors without a path happened before execution (syntax, validation): a request error.
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    for error in &mut response.errors {
        add_code(error);
    }
    super::metrics::graphql_errors(&response.errors);
    let status = if media == GRAPHQL_RESPONSE && request_failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = if request_failed {
        serde_json::json!({ "errors": response.errors }).to_string()
    } else {
        serde_json::to_string(&response)
            .unwrap_or_else(|_| r#"{"errors":[{"message":"internal error"}]}"#.into())
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
        body,
    )
        .into_response()
}

/// Gives a stable code to the errors async-graphql raises itself (syntax, validation, input
/// coercion, limits); the service's own errors already carry one.
fn add_code(error: &mut async_graphql::ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if has_code {
        return;
    }
    let m = error.message.as_str();
    let code =
        if m.contains("too complex") || m.contains("nested too deep") || m.contains("too many") {
            "QUERY_TOO_COMPLEX"
        } else if m.starts_with(" --> ")
            || m.contains("expected") && error.path.is_empty() && m.contains("-->")
        {
            "GRAPHQL_PARSE_FAILED"
        } else if m.contains("Invalid value") || m.contains("Failed to parse") {
            "BAD_USER_INPUT"
        } else if error.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "INTERNAL_SERVER_ERROR"
        };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}
