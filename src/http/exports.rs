//! Exports over HTTP for reporting jobs: `GET /exports/cycle-report?partner=CODE[&cycle=ID]`
//! (one partner's cycle, by default its current one) and `GET /exports/cycle-reports` (every
//! partner's current cycle), `format=csv|json` (default csv), in the language of `lang=en|fr` or else
//! of `Accept-Language`. They need a token whose role may run reports (REPORTER and up): 401 without
//! a valid one, 403 for a role without `Access::Report`. Bodies are streamed: the all-partners export
//! computes each partner's report only when the client is ready for it.

use std::convert::Infallible;

use axum::{
    body::{Body, Bytes},
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
};
use futures_util::{stream, StreamExt};
use serde::Deserialize;

use super::{error_body::HttpError, rate_limit::rate_limited, AppState};
use crate::{
    error::AppError,
    export::{render, Format},
    service::{self, auth::Access, lang::Language, report, Db},
};

#[derive(Debug, Deserialize)]
pub struct ExportParams {
    partner: Option<String>,
    cycle: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

pub(super) fn app_error(err: &AppError) -> Response {
    HttpError::from_app(err, "application/json").into_response()
}

/// The caller, who must hold `Access::Report`, and where the export reads: a read replica that
/// has replayed the caller's recent write (or the `Ipcp-Wal-Position` sent), else the primary.
pub(super) async fn reporter(state: &AppState, headers: &HeaderMap) -> Result<Db, Response> {
    let secret = super::bearer(headers)
        .ok()
        .flatten()
        .ok_or_else(|| app_error(&AppError::Unauthenticated))?;
    let caller = service::token::authenticate_cached(&state.db.conn, &state.db.callers, secret)
        .await
        .map_err(|e| app_error(&e))?;
    if !caller.may(Access::Report) {
        return Err(app_error(&AppError::Forbidden("run reports".into())));
    }
    if let Some(secs) = state.rate_limit.retry_after(&caller) {
        return Err(rate_limited("application/json", secs).into_response());
    }
    let sent = super::wal_position(headers).map_err(|()| {
        app_error(&AppError::invalid(
            "Ipcp-Wal-Position",
            "a WAL position as a mutation's answer gave it (e.g. 0/16B3748)",
        ))
    })?;
    Ok(state.db.route_reads(Some(&caller.name), sent))
}

fn options(params: &ExportParams, headers: &HeaderMap) -> Result<(Format, Language), AppError> {
    let format = match params.format.as_deref() {
        None => Format::Csv,
        Some(f) => Format::parse(f).ok_or_else(|| AppError::invalid("format", "csv or json"))?,
    };
    let lang = match params.lang.as_deref() {
        Some(l) => Language::parse(l).ok_or_else(|| AppError::invalid("lang", "en or fr"))?,
        None => Language::from_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        ),
    };
    Ok((format, lang))
}

fn streamed(format: Format, lang: Language, filename: &str, body: Body) -> Response {
    let disposition = format!("attachment; filename=\"{filename}.{}\"", format.extension());
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// One partner's cycle report.
pub async fn cycle_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ExportParams>,
) -> Response {
    let db = match reporter(&state, &headers).await {
        Ok(db) => db,
        Err(response) => return response,
    };
    let (format, lang) = match options(&params, &headers) {
        Ok(o) => o,
        Err(e) => return app_error(&e),
    };
    let Some(partner) = params.partner.as_deref().filter(|p| !p.trim().is_empty()) else {
        return app_error(&AppError::invalid(
            "partner",
            "give the partner's ISO code, e.g. partner=TKM",
        ));
    };
    let cycle = match params.cycle.as_deref().map(str::parse::<i32>).transpose() {
        Ok(c) => c,
        Err(_) => {
            return app_error(&AppError::not_found(
                "programme cycle",
                params.cycle.unwrap_or_default(),
            ))
        }
    };
    let rep = match report::cycle_report_for_partner(&db.conn, partner, cycle, lang).await {
        Ok(r) => r,
        Err(e) => return app_error(&e),
    };
    let bytes = match format {
        Format::Json => render(&rep, format, true).map(|b| vec![b]),
        // One chunk a CSV record: the body streams as the writer produces it.
        Format::Csv => {
            let mut chunks = Vec::new();
            let header = render_header(lang);
            chunks.push(header);
            for record in crate::export::csv::csv_records(&rep) {
                let mut w = csv::Writer::from_writer(Vec::new());
                if w.write_record(&record).is_ok() {
                    if let Ok(b) = w.into_inner() {
                        chunks.push(b);
                    }
                }
            }
            Ok(chunks)
        }
    };
    let chunks = match bytes {
        Ok(c) => c,
        Err(e) => return app_error(&e),
    };
    let filename = format!("{}-cycle-{}", rep.cycle.partner_code, rep.cycle.id);
    let body = Body::from_stream(stream::iter(
        chunks
            .into_iter()
            .map(|c| Ok::<_, Infallible>(Bytes::from(c))),
    ));
    streamed(format, lang, &filename, body)
}

fn render_header(lang: Language) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(crate::export::csv::csv_header(lang));
    w.into_inner().unwrap_or_default()
}

/// Every partner's current cycle report: CSV (one header row, then each partner's rows) or a JSON
/// array; each report is computed when the stream reaches it.
pub async fn all_cycle_reports(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ExportParams>,
) -> Response {
    let db = match reporter(&state, &headers).await {
        Ok(db) => db,
        Err(response) => return response,
    };
    let (format, lang) = match options(&params, &headers) {
        Ok(o) => o,
        Err(e) => return app_error(&e),
    };
    let cycles = match report::current_cycles(&db.conn).await {
        Ok(c) => c,
        Err(e) => return app_error(&e),
    };
    let opening = match format {
        Format::Csv => render_header(lang),
        Format::Json => b"[".to_vec(),
    };
    let parts = stream::unfold(
        (cycles.into_iter().enumerate(), db),
        move |(mut it, db)| async move {
            let (n, (_, cycle_id)) = it.next()?;
            let chunk = match report::cycle_export(&db.conn, cycle_id, lang).await {
                Ok(rep) => match render(&rep, format, false) {
                    Ok(mut bytes) => {
                        if format == Format::Json && n > 0 {
                            bytes.insert(0, b',');
                        }
                        Ok(Bytes::from(bytes))
                    }
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            // A failure mid-stream aborts the body, so the job sees a truncated transfer, not a short file.
            let chunk = chunk.map_err(|e| {
                tracing::error!(code = e.code().as_str(), "export stream failed");
                std::io::Error::other(e.message())
            });
            Some((chunk, (it, db)))
        },
    );
    let closing = match format {
        Format::Json => b"]".to_vec(),
        Format::Csv => Vec::new(),
    };
    let body = Body::from_stream(
        stream::iter([Ok::<_, std::io::Error>(Bytes::from(opening))])
            .chain(parts)
            .chain(stream::iter([Ok(Bytes::from(closing))])),
    );
    streamed(format, lang, "cycle-reports", body)
}

/// `GET /exports/xapi?since=CURSOR[&limit=N]`: the xAPI statements of the training steps recorded
/// after a change-log cursor (REPORTER and up), as `{"statements": [...], "cursor": ..., "more":
/// bool}`; pass `cursor` as `since` to resume. A text that is not a cursor is BAD_CURSOR (422), a
/// cursor older than the change log's retention CURSOR_EXPIRED (422).
pub async fn xapi(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let db = match reporter(&state, &headers).await {
        Ok(db) => db,
        Err(response) => return response,
    };
    let Ok(Query(query)) = query else {
        return app_error(&AppError::invalid("query", "not a valid query string"));
    };
    let mut since = None;
    let mut limit = service::xapi::DEFAULT_PAGE;
    for (name, value) in query {
        match name.as_str() {
            "since" => since = Some(value),
            "limit" => match value.trim().parse::<u64>() {
                Ok(n) if (1..=service::change_log::MAX_PAGE).contains(&n) => limit = n,
                _ => {
                    return app_error(&AppError::invalid(
                        "limit",
                        format!("a number from 1 to {}", service::change_log::MAX_PAGE),
                    ))
                }
            },
            other => {
                return app_error(&AppError::invalid(
                    other.chars().take(50).collect::<String>(),
                    "not a parameter of the export: use since and limit",
                ))
            }
        }
    }
    let page =
        match service::xapi::export(&db.conn, &state.public_url, since.as_deref(), limit).await {
            Ok(p) => p,
            Err(e) => return app_error(&e),
        };
    let body = serde_json::json!({
        "statements": page.statements,
        "cursor": page.cursor,
        "more": page.has_more,
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::HeaderName::from_static("x-experience-api-version"),
                HeaderValue::from_static(service::xapi::XAPI_VERSION),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}
