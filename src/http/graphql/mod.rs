//! GraphQL over HTTP (the GraphQL-over-HTTP specification): POST with `application/json`, GET for
//! queries only (a mutation over GET gets 405 and does not run), responses as
//! `application/graphql-response+json` when the client accepts it (request errors then get 400) or
//! `application/json` otherwise (always 200 once the request was understood).

mod codes;
mod document;

use std::sync::Arc;

use async_graphql::{
    parser::types::{ExecutableDocument, OperationType},
    Variables,
};
use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{error_body::HttpError, rate_limit::rate_limited, AppState, REQUEST_ID};
use crate::{
    config::{CompiledReads, IntrospectionMode},
    db::replicas::{primary_position, PrimaryReason, ReadTarget, WalPosition},
    error::{AppError, ErrorCode},
    graphql::{auth::RequestId, batching::Batched, compiled, documents::Known},
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
    HttpError::new(status, media, ErrorCode::BadRequest, message).into_response()
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
    if let Ok(parsed) = state.documents.parse(&query) {
        if document::operation_type(&parsed.document, params.operation_name.as_deref())
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

/// One GraphQL request, as a pipeline of named steps; each step either passes the request on or
/// answers it.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    media: &'static str,
    query: String,
    operation_name: Option<String>,
    variables: Variables,
    idempotency: Option<Idempotency>,
) -> Response {
    let request = Incoming {
        headers,
        media,
        query,
        operation_name,
        variables,
    };
    match pipeline(state, request, idempotency).await {
        Ok(response) | Err(response) => response,
    }
}

/// What the client sent, read off the HTTP request.
struct Incoming<'a> {
    headers: &'a HeaderMap,
    media: &'static str,
    query: String,
    operation_name: Option<String>,
    variables: Variables,
}

async fn pipeline(
    state: &AppState,
    incoming: Incoming<'_>,
    idempotency: Option<Idempotency>,
) -> Result<Response, Response> {
    let caller = authenticate(state, incoming.headers).await?;
    tracing::Span::current().record("caller", caller.name.as_str());
    admit(state, &caller, incoming.media)?;
    let plan = plan(state, &caller, &incoming)?;
    let claimed = claim(state, &caller, idempotency, &plan, incoming.media).await?;
    let reads = route_reads(state, &caller, &plan, &incoming)?;
    let writer = plan.is_mutation().then(|| caller.name.clone());
    let mut executed = run(
        state,
        caller,
        incoming.query,
        incoming.operation_name,
        incoming.variables,
        incoming.headers,
        &plan,
        reads,
    )
    .await;
    let position = match writer {
        Some(writer) => wal_position(state, &writer).await,
        None => None,
    };
    if let Some(position) = position {
        executed.response.extensions.insert(
            "walPosition".into(),
            async_graphql::Value::from(position.to_string()),
        );
    }
    let answer = Answer::new(executed, incoming.media, plan.last_answer_bytes());
    if let Some(known) = &plan.known {
        known.record_answer(answer.body.len());
    }
    settle(state, claimed, &answer).await;
    // Its pages go back to the system once large answers stop (src/alloc.rs).
    if answer.body.len() > state.large_answer_bytes {
        state.trimmer.large_answer_freed();
    }
    let mut response = answer.into_response();
    if let Some(value) = position.and_then(|p| HeaderValue::from_str(&p.to_string()).ok()) {
        response.headers_mut().insert(super::WAL_POSITION, value);
    }
    Ok(response)
}

/// Where a query's reads go when read replicas are configured: a replica in rotation that has
/// replayed the caller's recent write and the position the client sent (`Ipcp-Wal-Position`),
/// else the primary. Mutations and subscriptions read on the primary.
#[allow(clippy::result_large_err)] // as in `admit`
fn route_reads(
    state: &AppState,
    caller: &Caller,
    plan: &Plan,
    incoming: &Incoming<'_>,
) -> Result<Option<ReadTarget>, Response> {
    if state.db.replicas().is_none() || plan.operation != Some(OperationType::Query) {
        return Ok(None);
    }
    let sent = super::wal_position(incoming.headers).map_err(|()| {
        request_error(
            StatusCode::BAD_REQUEST,
            incoming.media,
            "the Ipcp-Wal-Position header must be a WAL position as a mutation's answer gave it (e.g. 0/16B3748)",
        )
    })?;
    Ok(state.db.read_target(Some(&caller.name), sent))
}

/// After a mutation, with read replicas: the primary's WAL position (at or past the commit),
/// remembered for the caller's reads and returned to the client.
async fn wal_position(state: &AppState, writer: &str) -> Option<WalPosition> {
    let replicas = state.db.replicas()?;
    match primary_position(&state.db).await {
        Ok(position) => {
            replicas.wrote(writer, position);
            Some(position)
        }
        Err(err) => {
            tracing::warn!(
                code = err.code().as_str(),
                "could not read the WAL position"
            );
            None
        }
    }
}

/// The caller named by `Authorization: Bearer <token>`; anonymous without the header. A bad,
/// revoked or expired token gets 401 (the request does not run as anonymous).
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, Response> {
    let unauthorized = |message: &str| {
        HttpError::new(
            StatusCode::UNAUTHORIZED,
            JSON,
            ErrorCode::Unauthenticated,
            message,
        )
        .into_response()
    };
    let secret = match super::bearer(headers) {
        Ok(None) => return Ok(Caller::anonymous()),
        Ok(Some(secret)) => secret,
        Err(()) => {
            return Err(unauthorized(
                "the Authorization header must be `Bearer <token>`",
            ))
        }
    };
    match service::token::authenticate_cached(&state.db.conn, &state.db.callers, secret).await {
        Ok(caller) => Ok(caller),
        Err(AppError::Unauthenticated) => {
            Err(unauthorized("the token is unknown, revoked or expired"))
        }
        Err(err) => Err(HttpError::from_app(&err, JSON).into_response()),
    }
}

/// The caller's request budget (`IPCP_RATE_LIMIT_PER_SECOND`).
// A refusal is the response itself, built once per request and moved out: no need to box it.
#[allow(clippy::result_large_err)]
fn admit(state: &AppState, caller: &Caller, media: &'static str) -> Result<(), Response> {
    match state.rate_limit.retry_after(caller) {
        Some(secs) => Err(rate_limited(media, secs).into_response()),
        None => Ok(()),
    }
}

/// The parsed document and what the checks before execution read off it.
struct Plan {
    document: ExecutableDocument,
    known: Option<Arc<Known>>,
    operation: Option<OperationType>,
    may_introspect: bool,
}

impl Plan {
    fn is_mutation(&self) -> bool {
        self.operation == Some(OperationType::Mutation)
    }

    /// The size of this text's last answer (0 for a new text).
    fn last_answer_bytes(&self) -> usize {
        self.known.as_ref().map_or(0, |k| k.last_answer_bytes())
    }
}

/// Parses the document (once per text) and applies the checks that need no execution: syntax,
/// introspection rights, the alias limit.
#[allow(clippy::result_large_err)] // as in `admit`
fn plan(state: &AppState, caller: &Caller, incoming: &Incoming<'_>) -> Result<Plan, Response> {
    let media = incoming.media;
    let parsed = state.documents.parse(&incoming.query).map_err(|err| {
        let mut error = async_graphql::ServerError::from(err);
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", ErrorCode::GraphqlParseFailed.as_str());
        super::metrics::graphql_errors(std::slice::from_ref(&error));
        request_failed(media, &[error])
    })?;
    let may_introspect = match state.introspection {
        IntrospectionMode::On => caller.role.is_some(),
        IntrospectionMode::Admin => caller.role == Some(Role::Admin),
        IntrospectionMode::Off => false,
    };
    let document = parsed.document;
    if !may_introspect && document::introspects(&document) {
        let code = if caller.role.is_none() {
            ErrorCode::Unauthenticated
        } else {
            ErrorCode::Forbidden
        };
        return Err(coded_error(
            media,
            code,
            "schema introspection is reserved to ADMIN tokens here",
        ));
    }
    let aliases = document::count_aliases(&document);
    if aliases > state.max_aliases {
        return Err(coded_error(
            media,
            ErrorCode::QueryTooComplex,
            &format!(
                "the request uses {aliases} aliases; at most {} are accepted",
                state.max_aliases
            ),
        ));
    }
    // Each field costs at least 1 in complexity: beyond the limit the checks would refuse the
    // document anyway, after walking every spread field.
    let fields = document::expanded_fields(&document, incoming.operation_name.as_deref());
    if fields > state.max_complexity {
        return Err(coded_error(
            media,
            ErrorCode::QueryTooComplex,
            "Query is too complex.",
        ));
    }
    Ok(Plan {
        operation: document::operation_type(&document, incoming.operation_name.as_deref()),
        document,
        known: parsed.known,
        may_introspect,
    })
}

/// A mutation with an idempotency key runs once per key: the first request claims it, a replay
/// gets the first response.
async fn claim(
    state: &AppState,
    caller: &Caller,
    idempotency: Option<Idempotency>,
    plan: &Plan,
    media: &'static str,
) -> Result<Option<(String, String)>, Response> {
    let Some(idem) = idempotency.filter(|_| plan.is_mutation() && caller.role.is_some()) else {
        return Ok(None);
    };
    let owner = caller.name.clone();
    match service::idempotency::claim(&state.db.conn, &owner, &idem.key, &idem.request_hash).await {
        Ok(service::idempotency::Claim::Run) => Ok(Some((owner, idem.key))),
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
            Err(response)
        }
        Err(err) => Err(coded_error(media, err.code(), &err.message())),
    }
}

/// An executed operation: async-graphql's response and, when root fields were compiled, their
/// JSON texts to splice in place of their markers.
struct Executed {
    response: async_graphql::Response,
    compiled: Option<(compiled::Markers, Vec<String>)>,
    /// Statements run only to check the answer (`verify`), left out of `statementCount`.
    checking_statements: u64,
}

impl Executed {
    fn resolved(response: async_graphql::Response) -> Executed {
        Executed {
            response,
            compiled: None,
            checking_statements: 0,
        }
    }
}

/// Executes the operation once an execution slot is free (and first a large-answer slot when
/// this text's last answer was large; the request timeout bounds the wait), on the replica the
/// reads were routed to, or on the primary. A query whose replica fails during the request (the
/// server went away) is asked again of the primary: queries write nothing, so that is safe, and
/// the client sees no error.
#[allow(clippy::too_many_arguments)]
async fn run(
    state: &AppState,
    caller: Caller,
    query: String,
    operation_name: Option<String>,
    variables: Variables,
    headers: &HeaderMap,
    plan: &Plan,
    reads: Option<ReadTarget>,
) -> Executed {
    let request_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request = Requests {
        query: &query,
        operation_name: operation_name.as_deref(),
        variables: &variables,
        caller: &caller,
        request_id: request_id.as_deref(),
        plan,
    };
    let operation_label = telemetry::operation_label(plan.operation);
    let started = telemetry::operation_started(operation_name.as_deref(), operation_label);
    let _large_slot = if plan.last_answer_bytes() > state.large_answer_bytes {
        state.large_operations.acquire().await
    } else {
        None
    };
    let _slot = state.operations.acquire().await;
    let replica = match reads {
        Some(ReadTarget::Replica(i)) if i < state.replica_schemas.len() => Some(i),
        _ => None,
    };
    let db = match replica {
        Some(i) => state.db.on(ReadTarget::Replica(i)),
        None => state.db.clone(),
    };
    let statements_before = db.statements_run();
    let mut executed = execute_on(state, replica, &request).await;
    if let Some(i) = replica {
        if unavailable(&executed.response) {
            if let Some(replicas) = state.db.replicas() {
                replicas.failed(i);
                replicas.count(ReadTarget::Primary(PrimaryReason::ReplicaFailed));
            }
            executed = execute_on(state, None, &request).await;
        }
    }
    telemetry::operation_finished(operation_label, started);
    let response = &mut executed.response;
    if state.expose_statement_count {
        let ran = db
            .statements_run()
            .saturating_sub(statements_before)
            .saturating_sub(executed.checking_statements);
        response
            .extensions
            .insert("statementCount".into(), async_graphql::Value::from(ran));
        let compiled = executed
            .compiled
            .as_ref()
            .map_or(0, |(_, texts)| texts.len());
        response.extensions.insert(
            "compiledFields".into(),
            async_graphql::Value::from(compiled),
        );
    }
    for error in &mut response.errors {
        codes::add_code(error);
    }
    super::metrics::graphql_errors(&response.errors);
    executed
}

/// What one execution needs to build its async-graphql requests.
struct Requests<'a> {
    query: &'a str,
    operation_name: Option<&'a str>,
    variables: &'a Variables,
    caller: &'a Caller,
    request_id: Option<&'a str>,
    plan: &'a Plan,
}

impl Requests<'_> {
    fn build(&self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query).variables(self.variables.clone());
        if !self.plan.may_introspect {
            request = request.disable_introspection();
        }
        if let Some(id) = self.request_id {
            request = request.data(RequestId(id.to_owned()));
        }
        request = request.data(self.caller.clone());
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        request.set_parsed_query(self.plan.document.clone());
        request
    }
}

/// One execution on the primary (`replica` None) or a replica: the compiled root fields, when
/// the compiler takes any, else (or when a compiled statement finds nothing or fails) the
/// resolvers alone. With `IPCP_COMPILED_READS=verify` both run and must agree.
async fn execute_on(state: &AppState, replica: Option<usize>, request: &Requests<'_>) -> Executed {
    let (schema, compiled_schema, db) = match replica {
        Some(i) => (
            &state.replica_schemas[i],
            &state.replica_compiled_schemas[i],
            state.db.on(ReadTarget::Replica(i)),
        ),
        None => (&state.schema, &state.compiled_schema, state.db.clone()),
    };
    let resolvers = || async { Batched::new(schema.execute(request.build())).await };
    let statement = match (state.compiled_reads, request.plan.operation) {
        (CompiledReads::On | CompiledReads::Verify, Some(OperationType::Query)) => {
            state.plans.prepare(
                db.backend(),
                &request.plan.document,
                request.query,
                request.operation_name,
                request.variables,
                request.caller.role,
            )
        }
        _ => None,
    };
    let Some(statement) = statement else {
        return Executed::resolved(resolvers().await);
    };
    let markers = compiled::Markers::new(&statement);
    let response =
        Batched::new(compiled_schema.execute(request.build().data(markers.clone()))).await;
    // A request error, or a null that reached the top: nothing to splice.
    if response.data == async_graphql::Value::Null {
        return Executed::resolved(response);
    }
    let Ok(Some(texts)) = compiled::run(&db.conn, &statement).await else {
        return Executed::resolved(resolvers().await);
    };
    let executed = Executed {
        response,
        compiled: Some((markers, texts)),
        checking_statements: 0,
    };
    if state.compiled_reads == CompiledReads::Verify {
        let before = db.statements_run();
        let resolved = resolvers().await;
        let checking = db.statements_run().saturating_sub(before);
        return Executed {
            checking_statements: checking,
            ..verify(executed, resolved)
        };
    }
    executed
}

/// `IPCP_COMPILED_READS=verify`: the compiled answer when it is the resolvers' answer byte for
/// byte (extensions aside), else an internal error (and both texts in the log).
fn verify(compiled: Executed, resolved: async_graphql::Response) -> Executed {
    // The data as text, and the errors in any order: the resolvers report failing fields in the
    // order they finish.
    let text = |response: &async_graphql::Response,
                splice: Option<&(compiled::Markers, Vec<String>)>| {
        let data = serde_json::to_string(&response.data).unwrap_or_default();
        let data = match splice {
            Some((markers, texts)) => compiled::splice(data, markers, texts).unwrap_or_default(),
            None => data,
        };
        let mut errors: Vec<String> = response
            .errors
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default())
            .collect();
        errors.sort();
        (data, errors)
    };
    let compiled_text = text(&compiled.response, compiled.compiled.as_ref());
    let resolved_text = text(&resolved, None);
    if compiled_text == resolved_text {
        return compiled;
    }
    tracing::error!(
        compiled = ?compiled_text,
        resolvers = ?resolved_text,
        "a compiled read differs from the resolvers' answer"
    );
    let mut error = async_graphql::ServerError::new(
        "the compiled read differs from the resolvers' answer (IPCP_COMPILED_READS=verify)",
        None,
    );
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", ErrorCode::InternalServerError.as_str());
    Executed::resolved(async_graphql::Response::from_errors(vec![error]))
}

/// Whether an answer failed because its database did not answer (SERVICE_UNAVAILABLE).
fn unavailable(response: &async_graphql::Response) -> bool {
    response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| matches!(c, async_graphql::Value::String(s) if s == ErrorCode::ServiceUnavailable.as_str()))
    })
}

/// The serialised answer and its status.
struct Answer {
    status: StatusCode,
    media: &'static str,
    body: String,
    /// Whether an error says the same request may succeed later.
    retryable: bool,
}

impl Answer {
    fn new(executed: Executed, media: &'static str, size_hint: usize) -> Answer {
        let Executed {
            response, compiled, ..
        } = executed;
        // Errors without a path happened before execution (validation, limits): a request error.
        let request_failed = response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        let retryable = response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| matches!(c, async_graphql::Value::String(s) if s == ErrorCode::ServiceUnavailable.as_str() || s == ErrorCode::InternalServerError.as_str()))
        });
        let status = if media == GRAPHQL_RESPONSE && request_failed {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let body = if request_failed {
            HttpError::graphql_body(&response.errors)
        } else {
            // Room for this text's last answer up front: a large answer is written once, not
            // through a run of doubling copies.
            let mut buf = Vec::with_capacity(size_hint + size_hint / 16 + 256);
            serde_json::to_writer(&mut buf, &response)
                .ok()
                .and_then(|()| String::from_utf8(buf).ok())
                .and_then(|body| match &compiled {
                    Some((markers, texts)) => compiled::splice(body, markers, texts).ok(),
                    None => Some(body),
                })
                .unwrap_or_else(|| {
                    HttpError::body(ErrorCode::InternalServerError, "internal error")
                })
        };
        Answer {
            status,
            media,
            body,
            retryable,
        }
    }

    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(self.media))],
            self.body,
        )
            .into_response()
    }
}

/// Records a claimed idempotency key's outcome: the answer for replays, or the key given back
/// when the failure may pass.
async fn settle(state: &AppState, claimed: Option<(String, String)>, answer: &Answer) {
    let Some((owner, key)) = claimed else {
        return;
    };
    let stored = if answer.retryable {
        service::idempotency::release(&state.db.conn, &owner, &key).await
    } else {
        service::idempotency::finish(&state.db.conn, &owner, &key, &answer.body).await
    };
    if let Err(err) = stored {
        tracing::warn!(
            code = err.code().as_str(),
            "could not record an idempotency key's outcome"
        );
    }
}

/// A request refused before execution with a specific code.
fn coded_error(media: &'static str, code: ErrorCode, message: &str) -> Response {
    let status = if media == GRAPHQL_RESPONSE {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    HttpError::new(status, media, code, message).into_response()
}

/// A request error raised by GraphQL itself (the document does not parse).
fn request_failed(media: &'static str, errors: &[async_graphql::ServerError]) -> Response {
    let status = if media == GRAPHQL_RESPONSE {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
        HttpError::graphql_body(errors),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled_answer(text: &str) -> Executed {
        let statement = compiled::CompiledStatement {
            keys: vec!["partner".into()],
            sql: String::new(),
            values: Vec::new(),
        };
        let markers = compiled::Markers::new(&statement);
        let marker = markers
            .quoted(0)
            .map(|q| q.trim_matches('"').to_owned())
            .unwrap_or_default();
        let mut data = async_graphql::indexmap::IndexMap::new();
        data.insert(
            async_graphql::Name::new("partner"),
            async_graphql::Value::String(marker),
        );
        Executed {
            response: async_graphql::Response::new(async_graphql::Value::Object(data)),
            compiled: Some((markers, vec![text.to_owned()])),
            checking_statements: 0,
        }
    }

    fn resolved_answer(code: &str) -> async_graphql::Response {
        let mut partner = async_graphql::indexmap::IndexMap::new();
        partner.insert(
            async_graphql::Name::new("code"),
            async_graphql::Value::from(code),
        );
        let mut data = async_graphql::indexmap::IndexMap::new();
        data.insert(
            async_graphql::Name::new("partner"),
            async_graphql::Value::Object(partner),
        );
        async_graphql::Response::new(async_graphql::Value::Object(data))
    }

    #[test]
    fn verify_answers_the_compiled_text_when_both_paths_agree() {
        let checked = verify(compiled_answer(r#"{"code":"TKM"}"#), resolved_answer("TKM"));
        assert!(checked.response.errors.is_empty());
        let answer = Answer::new(checked, JSON, 0);
        assert_eq!(answer.body, r#"{"data":{"partner":{"code":"TKM"}}}"#);
    }

    #[test]
    fn verify_refuses_an_answer_where_the_paths_differ() {
        let checked = verify(compiled_answer(r#"{"code":"TKM"}"#), resolved_answer("KAZ"));
        assert_eq!(checked.response.data, async_graphql::Value::Null);
        assert!(checked.compiled.is_none());
        let code = checked.response.errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code").cloned());
        assert_eq!(
            code,
            Some(async_graphql::Value::from(
                ErrorCode::InternalServerError.as_str()
            ))
        );
    }
}
