//! The calendar feed: `GET /calendar/iterations.ics[?key=FEED_TOKEN][&partner=CODE][&topic=TOPIC]
//! [&course=CODE][&status=STATUS]`, iCalendar (RFC 5545) for calendar apps.
//!
//! Access: a feed token in `key` (calendar apps cannot send headers) or an API token of a role
//! that may run reports in `Authorization: Bearer`. An unknown or revoked key gets 401 with the
//! same body, no hint which. The answer carries an ETag; `If-None-Match` with it gets 304 while
//! nothing was committed. The body is streamed one page of iterations at a time.

use axum::{
    body::{Body, Bytes},
    extract::{rejection::QueryRejection, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use futures_util::stream;

use super::{
    exports::{app_error, reporter},
    rate_limit::rate_limited,
    AppState,
};
use crate::{
    error::AppError,
    export::ical,
    service::{
        self,
        calendar::{self, FeedFilter, FeedParams},
        Db,
    },
};

const MEDIA: &str = "text/calendar; charset=utf-8";

/// The query string's parameters, each known and given once.
fn params(query: Vec<(String, String)>) -> Result<(Option<String>, FeedParams), AppError> {
    let mut key = None;
    let mut p = FeedParams::default();
    for (name, value) in query {
        let slot = match name.as_str() {
            "key" => &mut key,
            "partner" => &mut p.partner,
            "topic" => &mut p.topic,
            "course" => &mut p.course,
            "status" => &mut p.status,
            other => {
                return Err(AppError::invalid(
                    other.chars().take(50).collect::<String>(),
                    "not a filter of the feed: use partner, topic, course or status",
                ))
            }
        };
        if slot.replace(value).is_some() {
            return Err(AppError::invalid(name, "given more than once"));
        }
    }
    Ok((key, p))
}

pub async fn iterations(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = match query {
        Ok(Query(q)) => q,
        Err(_) => return app_error(&AppError::invalid("query", "not a valid query string")),
    };
    let (key, params) = match params(query) {
        Ok(p) => p,
        Err(e) => return app_error(&e),
    };
    // Where the feed reads: a read replica in rotation (README, "Read replicas"), else the primary.
    let reads = match key {
        Some(key) => {
            let token = match service::feed_token::authenticate(&state.db.conn, &key).await {
                Ok(t) => t,
                Err(e) => return app_error(&e),
            };
            if let Some(wait) = state.rate_limit.check(&format!("feed:{}", token.id)) {
                let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
                return rate_limited("application/json", secs).into_response();
            }
            state.db.route_reads(None, None)
        }
        None => match reporter(&state, &headers).await {
            Ok(reads) => reads,
            Err(response) => return response,
        },
    };
    let filter = match calendar::resolve(&reads.conn, &params).await {
        Ok(f) => f,
        Err(e) => return app_error(&e),
    };
    let etag = match calendar::etag(&reads.conn, &filter).await {
        Ok(t) => t,
        Err(e) => return app_error(&e),
    };
    let cache = [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        ),
        (
            header::ETAG,
            HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
        ),
    ];
    if matches(&headers, &etag) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let uid_domain = reqwest::Url::parse(&state.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "ipcp".into());
    let body = Body::from_stream(feed(reads, filter, uid_domain));
    let mut response = (
        StatusCode::OK,
        cache,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(MEDIA)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline; filename=\"iterations.ics\""),
            ),
        ],
        body,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Authorization"));
    response
}

/// Whether `If-None-Match` names the current tag (or `*`).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// The body: the calendar's head, one chunk per page of iterations, its end. A failure mid-way
/// aborts the transfer, so a calendar never takes a truncated feed for a whole one.
fn feed(
    reads: Db,
    filter: FeedFilter,
    uid_domain: String,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    enum Step {
        Head,
        After(i32),
        Done,
    }
    stream::unfold(Step::Head, move |step| {
        let reads = reads.clone();
        let filter = filter.clone();
        let uid_domain = uid_domain.clone();
        async move {
            match step {
                Step::Head => Some((
                    Ok(Bytes::from(ical::calendar_start("Course iterations"))),
                    Step::After(0),
                )),
                Step::After(after) => match calendar::page(&reads.conn, &filter, after).await {
                    Ok(page) if page.rows.is_empty() => {
                        Some((Ok(Bytes::from(ical::calendar_end())), Step::Done))
                    }
                    Ok(page) => {
                        let mut out = String::with_capacity(page.rows.len() * 600);
                        for row in &page.rows {
                            ical::push_event(
                                &mut out,
                                row,
                                page.directors.get(&row.id),
                                &uid_domain,
                            );
                        }
                        let last = page.rows.last().map_or(after, |r| r.id);
                        let next = if (page.rows.len() as u64) < calendar::PAGE {
                            out.push_str(&ical::calendar_end());
                            Step::Done
                        } else {
                            Step::After(last)
                        };
                        Some((Ok(Bytes::from(out)), next))
                    }
                    Err(e) => {
                        tracing::error!(code = e.code().as_str(), "calendar feed failed");
                        Some((Err(std::io::Error::other(e.message())), Step::Done))
                    }
                },
                Step::Done => None,
            }
        }
    })
}
