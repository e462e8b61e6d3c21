//! GraphQL over HTTP (the GraphQL-over-HTTP specification): POST with `application/json`, GET for
//! queries only (a mutation over GET gets 405 and does not run), responses as
//! `application/graphql-response+json` when the client accepts it (request errors then get 400) or
//! `application/json` otherwise (always 200 once the request was understood).

use async_graphql::{
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
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

use super::{AppState, REQUEST_ID};
use crate::{
    config::IntrospectionMode,
    error::AppError,
    graphql::{auth::RequestId, batching::Batched},
    service::{self, auth::Caller},
    telemetry,
};
use entity::enums::Role;

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
    #[serde(default)]
    extensions: Option<serde_json::Value>,
}

/// An idempotency key and the fingerprint of the request that carries it.
struct Idempotency {
    key: String,
    request_hash: String,
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
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            parsed
                .extensions
                .as_ref()
                .and_then(|e| e["idempotencyKey"].as_str())
                .map(str::to_owned)
        });
    let idempotency = key.map(|key| Idempotency {
        request_hash: service::idempotency::fingerprint(&[
            &query,
            parsed.operation_name.as_deref().unwrap_or(""),
            &parsed
                .variables
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ]),
        key,
    });
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
    execute(
        &state,
        &headers,
        media,
        query,
        parsed.operation_name,
        variables,
        idempotency,
    )
    .await
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
    if let Some(parsed) = state.documents.parse(&query) {
        if operation_type(&parsed.document, params.operation_name.as_deref())
            == Some(OperationType::Mutation)
        {
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
    execute(
        &state,
        &headers,
        media,
        query,
        params.operation_name,
        variables,
        None,
    )
    .await
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    media: &'static str,
    query: String,
    operation_name: Option<String>,
    variables: Variables,
    idempotency: Option<Idempotency>,
) -> Response {
    let caller = match authenticate(state, headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    tracing::Span::current().record("caller", caller.name.as_str());
    if let Some(secs) = state.rate_limit.retry_after(&caller) {
        let body = serde_json::json!({ "errors": [{
            "message": "rate limit exceeded: slow down and retry after the delay in Retry-After",
            "extensions": { "code": "RATE_LIMITED", "retryable": true },
        }] });
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
            body.to_string(),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let may_introspect = match state.introspection {
        IntrospectionMode::On => caller.role.is_some(),
        IntrospectionMode::Admin => caller.role == Some(Role::Admin),
        IntrospectionMode::Off => false,
    };
    // Parsed once here: the checks below and the execution share the document.
    let (document, known) = match state.documents.parse(&query) {
        Some(parsed) => (Some(parsed.document), parsed.known),
        None => (None, None),
    };
    let operation = document
        .as_ref()
        .and_then(|doc| operation_type(doc, operation_name.as_deref()));
    let is_mutation = operation == Some(OperationType::Mutation);
    if let Some(doc) = &document {
        if !may_introspect && introspects(doc) {
            let code = if caller.role.is_none() {
                "UNAUTHENTICATED"
            } else {
                "FORBIDDEN"
            };
            return coded_error(
                media,
                code,
                "schema introspection is reserved to ADMIN tokens here",
            );
        }
        let aliases = count_aliases(doc);
        if aliases > state.max_aliases {
            return coded_error(
                media,
                "QUERY_TOO_COMPLEX",
                &format!(
                    "the request uses {aliases} aliases; at most {} are accepted",
                    state.max_aliases
                ),
            );
        }
    }
    // A mutation with an idempotency key runs once per key; replays get the first response.
    let claimed = match idempotency.filter(|_| is_mutation && caller.role.is_some()) {
        None => None,
        Some(idem) => {
            let owner = caller.name.clone();
            match service::idempotency::claim(&state.db.conn, &owner, &idem.key, &idem.request_hash)
                .await
            {
                Ok(service::idempotency::Claim::Run) => Some((owner, idem.key)),
                Ok(service::idempotency::Claim::Replay(body)) => {
                    let mut response = (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
                        body,
                    )
                        .into_response();
                    response
                        .headers_mut()
                        .insert("idempotent-replayed", HeaderValue::from_static("true"));
                    return response;
                }
                Err(err) => return coded_error(media, err.code(), &err.message()),
            }
        }
    };
    let mut request = async_graphql::Request::new(query).variables(variables);
    if !may_introspect {
        request = request.disable_introspection();
    }
    if let Some(id) = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()) {
        request = request.data(RequestId(id.to_owned()));
    }
    request = request.data(caller);
    let operation_label = telemetry::operation_label(operation);
    let started = telemetry::operation_started(operation_name.as_deref(), operation_label);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    let parsed = document.is_some();
    if let Some(doc) = document {
        request.set_parsed_query(doc);
    }
    // Wait for an execution slot, and first for a large-answer slot when this text's last answer
    // was large: the request timeout bounds the wait. The semaphores are never closed, so
    // acquiring cannot fail.
    let last_answer_bytes = known.as_ref().map_or(0, |k| k.last_answer_bytes());
    let _large_slot = if last_answer_bytes > state.large_answer_bytes {
        state.large_operations.acquire().await.ok()
    } else {
        None
    };
    let _slot = state.operations.acquire().await.ok();
    let statements_before = state.db.statements_run();
    let mut response = Batched::new(state.schema.execute(request)).await;
    if parsed {
        telemetry::operation_finished(operation_label, started);
    }
    if state.expose_statement_count {
        let ran = state.db.statements_run().saturating_sub(statements_before);
        response
            .extensions
            .insert("statementCount".into(), async_graphql::Value::from(ran));
    }
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
        // Room for this text's last answer up front: a large answer is written once, not
        // through a run of doubling copies.
        let mut buf = Vec::with_capacity(last_answer_bytes + last_answer_bytes / 16 + 256);
        serde_json::to_writer(&mut buf, &response)
            .ok()
            .and_then(|()| String::from_utf8(buf).ok())
            .unwrap_or_else(|| r#"{"errors":[{"message":"internal error"}]}"#.into())
    };
    if let Some(known) = &known {
        known.record_answer(body.len());
    }
    if let Some((owner, key)) = claimed {
        let retryable = response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| matches!(c, async_graphql::Value::String(s) if s == "SERVICE_UNAVAILABLE" || s == "INTERNAL_SERVER_ERROR"))
        });
        let stored = if retryable {
            service::idempotency::release(&state.db.conn, &owner, &key).await
        } else {
            service::idempotency::finish(&state.db.conn, &owner, &key, &body).await
        };
        if let Err(err) = stored {
            tracing::warn!(
                code = err.code(),
                "could not record an idempotency key's outcome"
            );
        }
    }
    // Its pages go back to the system once large answers stop (src/alloc.rs).
    if body.len() > state.large_answer_bytes {
        state.trimmer.large_answer_freed();
    }
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
        } else if m.contains("Invalid value")
            || m.contains("Failed to parse")
            // A required variable the request's `variables` does not hold (found by fuzzing).
            || (m.starts_with("Variable ") && m.ends_with(" is not defined."))
        {
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

/// The caller named by `Authorization: Bearer <token>`; anonymous without the header. A bad,
/// revoked or expired token gets 401 (the request does not run as anonymous).
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, Response> {
    let secret = match super::bearer(headers) {
        Ok(None) => return Ok(Caller::anonymous()),
        Ok(Some(secret)) => Some(secret),
        Err(()) => None,
    };
    let unauthorized = |message: &str| {
        let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": "UNAUTHENTICATED" } }] });
        (
            StatusCode::UNAUTHORIZED,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(JSON)),
                (header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")),
            ],
            body.to_string(),
        )
            .into_response()
    };
    let Some(secret) = secret else {
        return Err(unauthorized(
            "the Authorization header must be `Bearer <token>`",
        ));
    };
    match service::token::authenticate_cached(&state.db.conn, &state.db.callers, secret).await {
        Ok(caller) => Ok(caller),
        Err(AppError::Unauthenticated) => {
            Err(unauthorized("the token is unknown, revoked or expired"))
        }
        Err(err) => {
            let status = if matches!(err, AppError::Unavailable) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            let mut extensions = serde_json::json!({ "code": err.code() });
            if matches!(err, AppError::Unavailable) {
                extensions["retryable"] = serde_json::Value::Bool(true);
            }
            let body = serde_json::json!({ "errors": [{ "message": err.message(), "extensions": extensions }] });
            Err((
                status,
                [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))],
                body.to_string(),
            )
                .into_response())
        }
    }
}

/// A request refused before execution with a specific code.
fn coded_error(media: &'static str, code: &str, message: &str) -> Response {
    let body =
        serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let status = if media == GRAPHQL_RESPONSE {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
        body.to_string(),
    )
        .into_response()
}

/// The type of the operation the request runs (None when the name does not select one).
fn operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match &doc.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => name.and_then(|name| {
            ops.iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, op)| op.node.ty)
        }),
    }
}

/// Whether the document asks for `__schema` or `__type` anywhere.
fn introspects(doc: &ExecutableDocument) -> bool {
    fn in_set(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(f) => {
                matches!(f.node.name.node.as_str(), "__schema" | "__type")
                    || in_set(&f.node.selection_set.node)
            }
            Selection::InlineFragment(f) => in_set(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => false,
        })
    }
    doc.operations
        .iter()
        .any(|(_, op)| in_set(&op.node.selection_set.node))
        || doc
            .fragments
            .values()
            .any(|f| in_set(&f.node.selection_set.node))
}

fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + in_set(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => in_set(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = doc
        .operations
        .iter()
        .map(|(_, op)| in_set(&op.node.selection_set.node))
        .sum();
    let fragments: usize = doc
        .fragments
        .values()
        .map(|f| in_set(&f.node.selection_set.node))
        .sum();
    operations + fragments
}
