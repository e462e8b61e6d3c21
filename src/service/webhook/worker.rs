//! The delivery worker every serving instance runs: it fans change-log entries out into deliveries,
//! claims the due ones, POSTs them signed, and records the outcome.
//!
//! Ordering: per endpoint, only the lowest pending position (the head) and the ones right after it
//! are claimed, and a claimed run is sent one by one, stopping at the first failure; so a receiver
//! sees an endpoint's changes in log order, and a change is sent again only after everything
//! before it was accepted.
//!
//! Several instances: each round claims endpoints with `SELECT ... FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, and marks what it took with a lease (`leased_until`); an instance that finds an
//! endpoint's head leased leaves it alone. SQLite runs in one process, whose writers take turns
//! (its lock clause is dropped by the query builder). At least once: an instance killed while
//! sending holds its leases until they expire; then another (or it, restarted) takes them again.
//!
//! Fan-out cursors, claims and delivery outcomes are the worker's own bookkeeping, not changes to
//! records: they are written in `uow::bookkeeping` transactions, without audit event or change-log
//! entry (an entry would itself be fanned out again). The end of a retry window is different: a
//! FAILED delivery needs an ADMIN's attention, so that transition is a unit of work of its own,
//! audited and logged as `worker:webhooks`.
//!
//! Longer than most modules: it is one state machine (claim, send, record the outcome, retry or
//! fail, hand back leases), whose steps share the worker's state and read best together.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{
    change_log,
    webhook_delivery::{self, DeliveryStatus},
    webhook_endpoint::{self, EndpointFormat},
};
use futures_util::future::join_all;
use rand::Rng;
use sea_orm::{
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query},
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::{sync::watch, task::JoinHandle, time::Instant};

use super::{
    message_id, payload, sign,
    url::{literal_allowed, AllowHosts, GuardedResolver},
};
use crate::{
    error::{AppError, Result},
    service::Db,
    service::{now, uow, xapi},
};

/// Change-log entries one endpoint's fan-out reads per round.
const FAN_OUT_BATCH: u64 = 500;
/// Deliveries of one endpoint claimed at once.
const CLAIM_BATCH: u64 = 100;
/// The longest an attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest delay between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// The shortest time between two rounds' starts.
const ROUND_GAP: Duration = Duration::from_millis(50);
/// Bytes of an answer's body kept with the delivery.
const KEPT_RESPONSE: usize = 1024;

#[derive(Debug, Clone)]
pub struct Settings {
    pub allow: AllowHosts,
    pub retry_window: Duration,
    pub backoff: Duration,
    pub poll: Duration,
    pub lease: Duration,
    /// The service's public URL: the base of xAPI identifiers.
    pub public_url: String,
}

pub struct Worker {
    db: Db,
    client: reqwest::Client,
    settings: Settings,
    attempt_timeout: Duration,
}

/// A run of deliveries of one endpoint, claimed together, to send in order.
struct Claimed {
    endpoint: webhook_endpoint::Model,
    deliveries: Vec<webhook_delivery::Model>,
}

/// What became of one delivery.
#[derive(Clone)]
enum Outcome {
    Delivered {
        status: u16,
        response: String,
    },
    Refused {
        status: Option<u16>,
        response: Option<String>,
        error: String,
    },
    /// The change-log entry is gone (retention): nothing can be sent any more.
    Gone,
}

impl Worker {
    pub fn new(db: Db, settings: Settings) -> Result<Worker> {
        let attempt_timeout = ATTEMPT_TIMEOUT.min(settings.lease / 2);
        let client = reqwest::Client::builder()
            // A redirect could lead to an address the URL check refuses.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver {
                allow: settings.allow.clone(),
            }))
            .timeout(attempt_timeout)
            .user_agent(concat!("ipcp-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AppError::Internal(format!("webhook client: {e}")))?;
        Ok(Worker {
            db,
            client,
            settings,
            attempt_timeout,
        })
    }

    /// Runs rounds until `stop` turns true. Between rounds it waits only when a round found
    /// nothing to do, until a commit is announced (`EventBus`) or the poll interval passes (a due
    /// retry, a missed announcement).
    pub fn spawn(self, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let mut committed = self.db.events.subscribe();
        tokio::spawn(async move {
            tracing::info!("webhook worker started");
            let mut last_round: Option<Instant> = None;
            loop {
                if *stop.borrow() {
                    break;
                }
                // Under a stream of commits each wakes the worker: rounds at most every
                // ROUND_GAP take the commits of that time together, not one round per commit.
                if let Some(gap) = last_round.and_then(|t| ROUND_GAP.checked_sub(t.elapsed())) {
                    tokio::select! {
                        _ = tokio::time::sleep(gap) => {}
                        _ = stop.changed() => {}
                    }
                }
                last_round = Some(Instant::now());
                let busy = match self.round().await {
                    Ok(busy) => busy,
                    Err(e) => {
                        tracing::warn!(error = %e.message(), code = e.code().as_str(), "webhook round failed");
                        false
                    }
                };
                if !busy {
                    tokio::select! {
                        _ = tokio::time::sleep(self.settings.poll) => {}
                        _ = stop.changed() => {}
                        _ = committed.changed() => {}
                    }
                }
            }
            tracing::info!("webhook worker stopped");
        })
    }

    /// One round: fan out, claim, send. Whether it did anything.
    pub async fn round(&self) -> Result<bool> {
        let fanned = self.fan_out().await?;
        let claimed = self.claim().await?;
        let sent = !claimed.is_empty();
        join_all(claimed.into_iter().map(|c| self.send_run(c))).await;
        Ok(fanned || sent)
    }

    /// Adds a PENDING delivery for each new change-log entry an active endpoint asked for, and moves
    /// its cursor past what it read, in one transaction per endpoint. Whether a cursor moved.
    async fn fan_out(&self) -> Result<bool> {
        let last = crate::service::change_log::head_position(&self.db.conn).await?;
        let behind: Vec<i32> = webhook_endpoint::Entity::find()
            .select_only()
            .column(webhook_endpoint::Column::Id)
            .filter(webhook_endpoint::Column::Active.eq(true))
            .filter(webhook_endpoint::Column::Cursor.lt(last))
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        let mut moved = false;
        for id in behind {
            moved |= self.fan_out_one(id).await?;
        }
        Ok(moved)
    }

    async fn fan_out_one(&self, id: i32) -> Result<bool> {
        let retry_window = self.settings.retry_window;
        uow::bookkeeping(&self.db, |tx| async move {
            // Another instance fanning out this endpoint holds the row: leave it to that one.
            let Some(endpoint) = webhook_endpoint::Entity::find_by_id(id)
                .filter(webhook_endpoint::Column::Active.eq(true))
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .one(&*tx)
                .await?
            else {
                return Ok(false);
            };
            let entries: Vec<(i64, String, Option<i32>)> = change_log::Entity::find()
                .select_only()
                .columns([
                    change_log::Column::Id,
                    change_log::Column::Kind,
                    change_log::Column::PartnerId,
                ])
                .filter(change_log::Column::Id.gt(endpoint.cursor))
                .order_by_asc(change_log::Column::Id)
                .limit(FAN_OUT_BATCH)
                .into_tuple()
                .all(&*tx)
                .await?;
            let Some(&(last, _, _)) = entries.last() else {
                return Ok(false);
            };
            let at = now();
            let retry_until =
                at + chrono::Duration::from_std(retry_window).unwrap_or(chrono::Duration::days(1));
            // An LRS is owed only the entries that recorded a training step.
            let with_steps: Option<std::collections::HashSet<i64>> =
                if endpoint.format == EndpointFormat::Xapi {
                    let candidates = entries
                        .iter()
                        .filter(|(_, kind, _)| kind == "enrollment")
                        .map(|(position, _, _)| *position);
                    Some(
                        change_log::Entity::find()
                            .filter(change_log::Column::Id.is_in(candidates))
                            .all(&*tx)
                            .await?
                            .iter()
                            .filter(|entry| !xapi::steps_of(entry).is_empty())
                            .map(|entry| entry.id)
                            .collect(),
                    )
                } else {
                    None
                };
            let owed = entries
                .iter()
                .filter(|(position, kind, partner)| {
                    endpoint.kinds.contains(&format!(",{kind},"))
                        && endpoint.partner_id.is_none_or(|p| *partner == Some(p))
                        && with_steps.as_ref().is_none_or(|s| s.contains(position))
                })
                .map(|(position, _, _)| webhook_delivery::ActiveModel {
                    endpoint_id: Set(endpoint.id),
                    position: Set(*position),
                    status: Set(DeliveryStatus::Pending),
                    attempts: Set(0),
                    next_attempt_at: Set(at),
                    retry_until: Set(retry_until),
                    created_at: Set(at),
                    ..Default::default()
                })
                .collect::<Vec<_>>();
            if !owed.is_empty() {
                webhook_delivery::Entity::insert_many(owed)
                    .on_conflict_do_nothing_on([
                        webhook_delivery::Column::EndpointId,
                        webhook_delivery::Column::Position,
                    ])
                    .exec_without_returning(&*tx)
                    .await?;
            }
            webhook_endpoint::Entity::update_many()
                .col_expr(webhook_endpoint::Column::Cursor, Expr::value(last))
                .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
                .exec(&*tx)
                .await?;
            Ok(true)
        })
        .await
    }

    /// Takes, for each active endpoint whose head is due and not leased, the head and the due
    /// deliveries right after it, leasing them.
    async fn claim(&self) -> Result<Vec<Claimed>> {
        let at = now();
        let due = Query::select()
            .expr(Expr::val(1))
            .from(webhook_delivery::Entity)
            .and_where(
                Expr::col((
                    webhook_delivery::Entity,
                    webhook_delivery::Column::EndpointId,
                ))
                .equals((webhook_endpoint::Entity, webhook_endpoint::Column::Id)),
            )
            .and_where(
                Expr::col((webhook_delivery::Entity, webhook_delivery::Column::Status))
                    .eq(DeliveryStatus::Pending),
            )
            .and_where(
                Expr::col((
                    webhook_delivery::Entity,
                    webhook_delivery::Column::NextAttemptAt,
                ))
                .lte(at),
            )
            .to_owned();
        // A cheap look first, outside any transaction: most rounds find nothing.
        let any: Option<i32> = webhook_endpoint::Entity::find()
            .select_only()
            .column(webhook_endpoint::Column::Id)
            .filter(webhook_endpoint::Column::Active.eq(true))
            .filter(Expr::exists(due.clone()))
            .into_tuple()
            .one(&self.db.conn)
            .await?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let lease = self.settings.lease;
        uow::bookkeeping(&self.db, |tx| async move {
            let endpoints = webhook_endpoint::Entity::find()
                .filter(webhook_endpoint::Column::Active.eq(true))
                .filter(Expr::exists(due))
                .order_by_asc(webhook_endpoint::Column::Id)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .all(&*tx)
                .await?;
            let leased_until =
                at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
            let mut claimed = Vec::new();
            for endpoint in endpoints {
                let pending = webhook_delivery::Entity::find()
                    .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
                    .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
                    .order_by_asc(webhook_delivery::Column::Position)
                    .limit(CLAIM_BATCH)
                    .all(&*tx)
                    .await?;
                let Some(head) = pending.first() else {
                    continue;
                };
                if head.next_attempt_at > at || head.leased_until.is_some_and(|t| t > at) {
                    continue;
                }
                let run: Vec<webhook_delivery::Model> = pending
                    .into_iter()
                    .take_while(|d| {
                        d.next_attempt_at <= at && d.leased_until.is_none_or(|t| t <= at)
                    })
                    .collect();
                webhook_delivery::Entity::update_many()
                    .col_expr(
                        webhook_delivery::Column::LeasedUntil,
                        Expr::value(leased_until),
                    )
                    .filter(webhook_delivery::Column::Id.is_in(run.iter().map(|d| d.id)))
                    .exec(&*tx)
                    .await?;
                claimed.push(Claimed {
                    endpoint,
                    deliveries: run,
                });
            }
            Ok(claimed)
        })
        .await
    }

    /// Sends a claimed run in order, stopping at the first refusal or when the lease could run out
    /// during the next attempt; records every outcome and gives back what it did not send.
    async fn send_run(&self, run: Claimed) {
        let started = Instant::now();
        let positions: Vec<i64> = run.deliveries.iter().map(|d| d.position).collect();
        let entries: HashMap<i64, change_log::Model> = match change_log::Entity::find()
            .filter(change_log::Column::Id.is_in(positions))
            .all(&self.db.conn)
            .await
        {
            Ok(rows) => rows.into_iter().map(|e| (e.id, e)).collect(),
            Err(e) => {
                tracing::warn!(error = %AppError::from(e).message(), "webhook entries unreadable");
                // The leases expire and the run is taken again.
                return;
            }
        };
        if run.endpoint.format == EndpointFormat::Xapi {
            return self.send_xapi_run(run, entries).await;
        }
        let url = reqwest::Url::parse(&run.endpoint.url).ok();
        let mut outcomes = Vec::new();
        for delivery in &run.deliveries {
            // The attempt timeout is at most half the lease, so the first attempt always fits.
            if !outcomes.is_empty()
                && started.elapsed() + self.attempt_timeout > self.settings.lease
            {
                break;
            }
            let outcome = match (entries.get(&delivery.position), &url) {
                (None, _) => Outcome::Gone,
                (Some(_), None) => Outcome::Refused {
                    status: None,
                    response: None,
                    error: "the endpoint's URL no longer parses".into(),
                },
                (Some(entry), Some(url)) => self.attempt(&run.endpoint, url, entry).await,
            };
            let refused = matches!(outcome, Outcome::Refused { .. });
            outcomes.push((delivery, outcome));
            if refused {
                break;
            }
        }
        let unsent: Vec<i32> = run
            .deliveries
            .iter()
            .skip(outcomes.len())
            .map(|d| d.id)
            .collect();
        if let Err(e) = self.record(outcomes, unsent).await {
            tracing::warn!(endpoint = run.endpoint.id, error = %e.message(), "webhook outcomes not recorded; the run will be sent again");
        }
    }

    /// An LRS's run goes as one batch: the statements of every step its entries recorded, in log
    /// order, POSTed to `<url>/statements` with Basic credentials and the xAPI version header.
    /// The LRS's answer is every delivery's outcome (an entry gone to retention is FAILED alone).
    async fn send_xapi_run(&self, run: Claimed, entries: HashMap<i64, change_log::Model>) {
        let mut steps = Vec::new();
        let mut outcomes = Vec::new();
        let mut batch = Vec::new();
        for delivery in &run.deliveries {
            match entries.get(&delivery.position) {
                None => outcomes.push((delivery, Outcome::Gone)),
                Some(entry) => {
                    steps.extend(xapi::steps_of(entry));
                    batch.push(delivery);
                }
            }
        }
        if !batch.is_empty() {
            let outcome = self.attempt_xapi(&run.endpoint, &steps).await;
            for delivery in batch {
                outcomes.push((delivery, outcome.clone()));
            }
        }
        if let Err(e) = self.record(outcomes, Vec::new()).await {
            tracing::warn!(endpoint = run.endpoint.id, error = %e.message(), "LRS outcomes not recorded; the run will be sent again");
        }
    }

    async fn attempt_xapi(
        &self,
        endpoint: &webhook_endpoint::Model,
        steps: &[(i32, xapi::Step)],
    ) -> Outcome {
        let refused = |error: String| Outcome::Refused {
            status: None,
            response: None,
            error,
        };
        let url = match reqwest::Url::parse(&endpoint.url).and_then(|base| {
            let base = if base.path().ends_with('/') {
                base
            } else {
                reqwest::Url::parse(&format!("{base}/"))?
            };
            base.join("statements")
        }) {
            Ok(url) => url,
            Err(_) => return refused("the endpoint's URL no longer parses".into()),
        };
        if !literal_allowed(&url, &self.settings.allow) {
            return refused("the URL's address is inside a private network".into());
        }
        let statements =
            match xapi::statements(&self.db.conn, &self.settings.public_url, steps).await {
                Ok(s) => s,
                Err(e) => return refused(format!("statements: {}", e.message())),
            };
        if statements.is_empty() {
            // Every enrollment of the batch is gone: nothing to send, nothing to retry.
            return Outcome::Delivered {
                status: 204,
                response: "no statement to send".into(),
            };
        }
        let body = match serde_json::to_vec(&statements) {
            Ok(body) => body,
            Err(e) => return refused(format!("payload: {e}")),
        };
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Experience-API-Version", xapi::XAPI_VERSION)
            .body(body);
        if let Some(user) = &endpoint.basic_username {
            request = request.basic_auth(user, endpoint.basic_password.as_deref());
        }
        self.answer(request.send().await).await
    }

    /// What became of a request: its status and the start of its answer.
    async fn answer(&self, sent: reqwest::Result<reqwest::Response>) -> Outcome {
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Refused {
                    status: None,
                    response: None,
                    error: describe(&e),
                }
            }
        };
        let status = response.status();
        let mut kept = Vec::new();
        // Read at most what is kept: a receiver's large or endless answer costs nothing more.
        while kept.len() < KEPT_RESPONSE {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                _ => break,
            }
        }
        let text = utf8_prefix(&kept, KEPT_RESPONSE);
        if status.is_success() {
            Outcome::Delivered {
                status: status.as_u16(),
                response: text,
            }
        } else {
            Outcome::Refused {
                status: Some(status.as_u16()),
                response: Some(text),
                error: format!("the receiver answered {status}"),
            }
        }
    }

    async fn attempt(
        &self,
        endpoint: &webhook_endpoint::Model,
        url: &reqwest::Url,
        entry: &change_log::Model,
    ) -> Outcome {
        if !literal_allowed(url, &self.settings.allow) {
            return Outcome::Refused {
                status: None,
                response: None,
                error: "the URL's address is inside a private network".into(),
            };
        }
        let body = match serde_json::to_vec(&payload(entry)) {
            Ok(body) => body,
            Err(e) => {
                return Outcome::Refused {
                    status: None,
                    response: None,
                    error: format!("payload: {e}"),
                }
            }
        };
        let id = message_id(entry.id, endpoint.id);
        let timestamp = Utc::now().timestamp();
        let signature = match sign::sign(&endpoint.secret, &id, timestamp, &body) {
            Ok(s) => s,
            Err(e) => {
                return Outcome::Refused {
                    status: None,
                    response: None,
                    error: e.message(),
                }
            }
        };
        let sent = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        self.answer(sent).await
    }

    /// Writes the outcomes of a run and gives back the leases of what was not sent, in one
    /// bookkeeping transaction; a delivery whose retry window is over becomes FAILED in a unit of
    /// work of its own (an audited change).
    async fn record(
        &self,
        outcomes: Vec<(&webhook_delivery::Model, Outcome)>,
        unsent: Vec<i32>,
    ) -> Result<()> {
        use webhook_delivery::Column as C;
        let at = now();
        let mut failed = Vec::new();
        let mut updates = Vec::new();
        // Deliveries answered alike (most often 200 with an empty body) are marked in one statement.
        let mut delivered: HashMap<(u16, String), Vec<i32>> = HashMap::new();
        for (delivery, outcome) in outcomes {
            let update = webhook_delivery::Entity::update_many()
                .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
                .col_expr(C::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
                .filter(C::Id.eq(delivery.id))
                .filter(C::Status.eq(DeliveryStatus::Pending));
            match outcome {
                Outcome::Delivered { status, response } => delivered
                    .entry((status, response))
                    .or_default()
                    .push(delivery.id),
                Outcome::Gone => failed.push((
                    delivery,
                    None,
                    None,
                    "the change-log entry was removed by retention before delivery".to_owned(),
                )),
                Outcome::Refused {
                    status,
                    response,
                    error,
                } => {
                    let next = at + self.backoff(delivery.attempts + 1);
                    if next >= delivery.retry_until {
                        failed.push((delivery, status.map(i32::from), response, error));
                    } else {
                        updates.push(
                            update
                                .col_expr(C::NextAttemptAt, Expr::value(next))
                                .col_expr(C::LastStatusCode, Expr::value(status.map(i32::from)))
                                .col_expr(C::LastResponse, Expr::value(response))
                                .col_expr(C::LastError, Expr::value(error)),
                        );
                    }
                }
            }
        }
        for ((status, response), ids) in delivered {
            updates.push(
                webhook_delivery::Entity::update_many()
                    .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
                    .col_expr(C::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
                    .col_expr(C::Status, Expr::value(DeliveryStatus::Delivered))
                    .col_expr(C::DeliveredAt, Expr::value(at))
                    .col_expr(C::LastStatusCode, Expr::value(i32::from(status)))
                    .col_expr(C::LastResponse, Expr::value(response))
                    .col_expr(C::LastError, Expr::value(Option::<String>::None))
                    .filter(C::Id.is_in(ids))
                    .filter(C::Status.eq(DeliveryStatus::Pending)),
            );
        }
        uow::bookkeeping(&self.db, |tx| async move {
            for update in updates {
                update.exec(&*tx).await?;
            }
            if !unsent.is_empty() {
                webhook_delivery::Entity::update_many()
                    .col_expr(C::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
                    .filter(C::Id.is_in(unsent))
                    .exec(&*tx)
                    .await?;
            }
            Ok(())
        })
        .await?;
        for (delivery, status, response, error) in failed {
            tracing::warn!(
                delivery = delivery.id,
                endpoint = delivery.endpoint_id,
                position = delivery.position,
                "webhook delivery FAILED: its retry window is over"
            );
            super::mark_failed(&self.db, delivery.id, status, response, error).await?;
        }
        Ok(())
    }

    /// The delay before attempt `attempts + 1`: uniform between zero and the base doubled per
    /// attempt so far, capped ("full jitter": receivers that failed together are not hit together
    /// again).
    fn backoff(&self, attempts: i32) -> chrono::Duration {
        let exponent = Ord::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 30);
        let ceiling = Ord::min(
            self.settings.backoff.saturating_mul(1u32 << exponent),
            MAX_BACKOFF,
        );
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let pick = rand::thread_rng().gen_range(0..=millis);
        chrono::Duration::milliseconds(i64::try_from(pick).unwrap_or(i64::MAX))
    }
}

/// The longest valid UTF-8 prefix of at most `max` bytes.
fn utf8_prefix(bytes: &[u8], max: usize) -> String {
    let bytes = &bytes[..bytes.len().min(max)];
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(e) => String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned(),
    }
}

/// A failed request in words a receiver's operator can act on, without the URL's query string.
fn describe(err: &reqwest::Error) -> String {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_redirect() {
        "redirect not followed"
    } else {
        "request failed"
    };
    let mut text = what.to_owned();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::utf8_prefix;

    #[test]
    fn a_kept_response_is_cut_on_a_character_boundary() {
        let text = "é".repeat(600);
        let kept = utf8_prefix(text.as_bytes(), 1024);
        assert_eq!(kept.len(), 1024);
        let kept = utf8_prefix(text.as_bytes(), 1023);
        assert_eq!(kept.len(), 1022);
    }
}
