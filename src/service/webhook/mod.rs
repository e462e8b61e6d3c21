//! Signed webhooks: endpoints an ADMIN registers for some change-log kinds (optionally of one
//! partner), and the deliveries the worker (`worker`) owes them, one per matching change-log entry,
//! sent in log order per endpoint, at least once, signed per the Standard Webhooks specification
//! (`sign`), only to URLs that pass the outbound checks (`url`).
//!
//! Policy: an endpoint's secret is returned once, by `register`, and appears nowhere else: not in
//! lists, audit events, the change log or log lines (`EndpointRecord` is what those record).
//! Payloads leave the service, so they carry no officer's personal data (`redact`).

pub mod sign;
pub mod url;
pub mod worker;

use crate::error::ErrorCode;
use chrono::{DateTime, Duration, Utc};
use entity::{
    change_log,
    webhook_delivery::{self, DeliveryStatus},
    webhook_endpoint,
};
use sea_orm::ActiveEnum as _;
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use serde_json::{json, Value};

use super::{
    now, paging,
    uow::{self, Actor, Audited, Change, PartnerOf},
    Page, PageRequest,
};
use crate::{
    error::{AppError, Result},
    service::Db,
};

/// Fields of `changed` that name or describe a person: endpoints see what a role without the
/// personal-data right sees.
const PERSONAL_FIELDS: &[&str] = &[
    "family_name",
    "familyName",
    "given_name",
    "givenName",
    "given_names",
    "givenNames",
    "rank",
    "position",
    "slp",
    "email",
    "phone",
    "date_of_birth",
    "dateOfBirth",
    // Course evaluation answers can be traced to an officer.
    "ratings",
    "comment",
    "note",
];

/// What the audit log and the change log record of an endpoint: everything but its secret.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointRecord {
    pub id: i32,
    pub url: String,
    pub kinds: Vec<String>,
    pub partner_id: Option<i32>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// `STANDARD_WEBHOOKS` or `XAPI` (never the LRS's credentials).
    pub format: String,
}

impl Audited for EndpointRecord {
    const ENTITY: &'static str = "webhook_endpoint";
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
    fn partner(&self) -> PartnerOf {
        self.partner_id.map_or(PartnerOf::None, PartnerOf::Partner)
    }
}

impl From<&webhook_endpoint::Model> for EndpointRecord {
    fn from(m: &webhook_endpoint::Model) -> Self {
        EndpointRecord {
            id: m.id,
            url: m.url.clone(),
            kinds: kinds_of(m),
            partner_id: m.partner_id,
            active: m.active,
            created_at: m.created_at,
            disabled_at: m.disabled_at,
            format: m.format.to_value(),
        }
    }
}

/// What the audit log records of a delivery sent again.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub id: i32,
    pub endpoint_id: i32,
    pub position: i64,
    pub status: String,
    pub attempts: i32,
    pub retry_until: DateTime<Utc>,
}

impl Audited for DeliveryRecord {
    const ENTITY: &'static str = "webhook_delivery";
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
}

impl From<&webhook_delivery::Model> for DeliveryRecord {
    fn from(m: &webhook_delivery::Model) -> Self {
        DeliveryRecord {
            id: m.id,
            endpoint_id: m.endpoint_id,
            position: m.position,
            status: m.status.to_value(),
            attempts: m.attempts,
            retry_until: m.retry_until,
        }
    }
}

/// The kinds an endpoint receives.
pub fn kinds_of(endpoint: &webhook_endpoint::Model) -> Vec<String> {
    endpoint
        .kinds
        .split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An endpoint's kinds checked and stored as `,a,b,` (sorted, each once).
fn stored_kinds(kinds: &[String]) -> Result<String> {
    if kinds.is_empty() {
        return Err(AppError::invalid(
            "kinds",
            "name at least one kind of change",
        ));
    }
    let mut known: Vec<&str> = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let k = super::change_log::KINDS
            .iter()
            .find(|k| **k == kind.as_str())
            .ok_or_else(|| AppError::invalid("kinds", format!("{kind} is not a kind of change")))?;
        known.push(k);
    }
    known.sort_unstable();
    known.dedup();
    Ok(format!(",{},", known.join(",")))
}

/// Registers an endpoint whose URL passed `url::check` (done before the unit of work: it resolves
/// names, and a refused URL writes nothing). It receives the changes committed after it, not the
/// history before. The answer holds the secret; the audit event and change-log entry do not.
pub async fn register(
    db: &Db,
    actor: &Actor,
    action: &str,
    url: &reqwest::Url,
    kinds: &[String],
    partner_id: Option<i32>,
) -> Result<webhook_endpoint::Model> {
    uow::run(db, actor, |tx| async move {
        let endpoint = insert(&*tx, url, kinds, partner_id).await?;
        let change = Change::of(action, None, &EndpointRecord::from(&endpoint));
        Ok((endpoint, Some(change)))
    })
    .await
}

/// The credentials an LRS takes with HTTP Basic authentication.
pub struct BasicCredentials {
    pub username: String,
    pub password: String,
}

/// Registers a Learning Record Store: an endpoint of format XAPI for enrollment changes, whose
/// URL (the LRS's xAPI base, `statements` is appended) passed `url::check`. The training steps
/// committed from now on are POSTed to it in batches by the webhook worker, with the same
/// retries, FAILED state and outbound rules. The password is stored to be sent and is shown to no
/// one, not even in this answer.
pub async fn register_lrs(
    db: &Db,
    actor: &Actor,
    action: &str,
    url: &reqwest::Url,
    credentials: BasicCredentials,
) -> Result<webhook_endpoint::Model> {
    let username = super::validate::text("username", &credentials.username, 200)?;
    let password = super::validate::text("password", &credentials.password, 500)?;
    uow::run(db, actor, |tx| async move {
        let mut endpoint = insert(&*tx, url, &["enrollment".to_owned()], None).await?;
        webhook_endpoint::Entity::update_many()
            .col_expr(
                webhook_endpoint::Column::Format,
                Expr::value(webhook_endpoint::EndpointFormat::Xapi),
            )
            .col_expr(
                webhook_endpoint::Column::BasicUsername,
                Expr::value(username.clone()),
            )
            .col_expr(
                webhook_endpoint::Column::BasicPassword,
                Expr::value(password.clone()),
            )
            .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
            .exec(&*tx)
            .await?;
        endpoint.format = webhook_endpoint::EndpointFormat::Xapi;
        endpoint.basic_username = Some(username);
        endpoint.basic_password = Some(password);
        let change = Change::of(action, None, &EndpointRecord::from(&endpoint));
        Ok((endpoint, Some(change)))
    })
    .await
}

async fn insert<C: ConnectionTrait>(
    conn: &C,
    url: &reqwest::Url,
    kinds: &[String],
    partner_id: Option<i32>,
) -> Result<webhook_endpoint::Model> {
    let kinds = stored_kinds(kinds)?;
    if let Some(partner) = partner_id {
        super::find::<entity::partner::Entity, C>(
            conn,
            "partner",
            entity::partner::Column::Id,
            partner,
        )
        .await?;
    }
    let cursor = super::change_log::head_position(conn).await?;
    let endpoint = webhook_endpoint::Entity::insert(webhook_endpoint::ActiveModel {
        url: Set(url.to_string()),
        kinds: Set(kinds),
        partner_id: Set(partner_id),
        secret: Set(sign::new_secret()),
        active: Set(true),
        cursor: Set(cursor),
        created_at: Set(now()),
        disabled_at: Set(None),
        format: Set(webhook_endpoint::EndpointFormat::StandardWebhooks),
        basic_username: Set(None),
        basic_password: Set(None),
        ..Default::default()
    })
    .exec_with_returning(conn)
    .await?;
    Ok(endpoint)
}

/// Every endpoint, oldest first.
pub async fn endpoints<C: ConnectionTrait>(conn: &C) -> Result<Vec<webhook_endpoint::Model>> {
    Ok(webhook_endpoint::Entity::find()
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(conn)
        .await?)
}

pub async fn endpoint<C: ConnectionTrait>(conn: &C, id: i32) -> Result<webhook_endpoint::Model> {
    super::find::<webhook_endpoint::Entity, C>(
        conn,
        "webhook endpoint",
        webhook_endpoint::Column::Id,
        id,
    )
    .await
}

/// Stops fan-out and delivery to an endpoint (its deliveries stay listed).
pub async fn disable(
    db: &Db,
    actor: &Actor,
    action: &str,
    id: i32,
) -> Result<webhook_endpoint::Model> {
    uow::run(db, actor, |tx| async move {
        let (before, after) = mark_disabled(&*tx, id).await?;
        let change = Change::of(
            action,
            Some(&EndpointRecord::from(&before)),
            &EndpointRecord::from(&after),
        );
        Ok((after, Some(change)))
    })
    .await
}

async fn mark_disabled<C: ConnectionTrait>(
    conn: &C,
    id: i32,
) -> Result<(webhook_endpoint::Model, webhook_endpoint::Model)> {
    let before = endpoint(conn, id).await?;
    if !before.active {
        return Err(AppError::rule(
            ErrorCode::AlreadyDisabled,
            format!("webhook endpoint {id} is already disabled"),
        ));
    }
    webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::Active, Expr::value(false))
        .col_expr(webhook_endpoint::Column::DisabledAt, Expr::value(now()))
        .filter(webhook_endpoint::Column::Id.eq(id))
        .exec(conn)
        .await?;
    let after = endpoint(conn, id).await?;
    Ok((before, after))
}

#[derive(Debug, Default)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<i32>,
    pub status: Option<DeliveryStatus>,
}

/// Deliveries, oldest first.
pub async fn deliveries<C: ConnectionTrait>(
    conn: &C,
    filter: DeliveryFilter,
    req: &PageRequest,
) -> Result<Page<webhook_delivery::Model>> {
    let mut q = webhook_delivery::Entity::find();
    if let Some(id) = filter.endpoint_id {
        q = q.filter(webhook_delivery::Column::EndpointId.eq(id));
    }
    if let Some(status) = filter.status {
        q = q.filter(webhook_delivery::Column::Status.eq(status));
    }
    paging::page(conn, q, webhook_delivery::Column::Id, req).await
}

pub async fn delivery<C: ConnectionTrait>(conn: &C, id: i32) -> Result<webhook_delivery::Model> {
    super::find::<webhook_delivery::Entity, C>(
        conn,
        "webhook delivery",
        webhook_delivery::Column::Id,
        id,
    )
    .await
}

/// Sends a FAILED delivery again: PENDING, no attempts, a new retry window from now. Being the
/// endpoint's oldest pending delivery again, it goes before the later ones.
pub async fn redeliver(
    db: &Db,
    actor: &Actor,
    action: &str,
    id: i32,
    retry_window: std::time::Duration,
) -> Result<webhook_delivery::Model> {
    uow::run(db, actor, |tx| async move {
        let (before, after) = mark_pending(&*tx, id, retry_window).await?;
        let change = Change::of(
            action,
            Some(&DeliveryRecord::from(&before)),
            &DeliveryRecord::from(&after),
        );
        Ok((after, Some(change)))
    })
    .await
}

async fn mark_pending<C: ConnectionTrait>(
    conn: &C,
    id: i32,
    retry_window: std::time::Duration,
) -> Result<(webhook_delivery::Model, webhook_delivery::Model)> {
    let before = delivery(conn, id).await?;
    if before.status != DeliveryStatus::Failed {
        return Err(AppError::rule(
            ErrorCode::WebhookDeliveryNotFailed,
            format!(
                "webhook delivery {id} is {}; only a FAILED delivery can be sent again",
                before.status.to_value()
            ),
        ));
    }
    let at = now();
    let window = Duration::from_std(retry_window).unwrap_or(Duration::days(1));
    let done = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Pending),
        )
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(at))
        .col_expr(
            webhook_delivery::Column::RetryUntil,
            Expr::value(at + window),
        )
        .col_expr(
            webhook_delivery::Column::LeasedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(webhook_delivery::Column::Id.eq(id))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Failed))
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::rule(
            ErrorCode::WebhookDeliveryNotFailed,
            format!(
                "webhook delivery {id} changed meanwhile; only a FAILED delivery can be sent again"
            ),
        ));
    }
    let after = delivery(conn, id).await?;
    Ok((before, after))
}

/// Marks a delivery FAILED once its retry window is over: a change the ADMIN acts on (it can be
/// redelivered), so it is recorded like any other, by `worker:webhooks`.
pub async fn mark_failed(
    db: &Db,
    id: i32,
    status_code: Option<i32>,
    response: Option<String>,
    error: String,
) -> Result<webhook_delivery::Model> {
    uow::run(db, &Actor::worker("webhooks"), |tx| async move {
        let before = delivery(&*tx, id).await?;
        let done = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(DeliveryStatus::Failed),
            )
            .col_expr(
                webhook_delivery::Column::Attempts,
                Expr::value(before.attempts + 1),
            )
            .col_expr(
                webhook_delivery::Column::LeasedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                webhook_delivery::Column::LastStatusCode,
                Expr::value(status_code),
            )
            .col_expr(
                webhook_delivery::Column::LastResponse,
                Expr::value(response),
            )
            .col_expr(webhook_delivery::Column::LastError, Expr::value(error))
            .filter(webhook_delivery::Column::Id.eq(id))
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
            .exec(&*tx)
            .await?;
        if done.rows_affected != 1 {
            // Delivered or failed meanwhile (another instance after a lease expiry): nothing to do.
            return Ok((before, None));
        }
        let after = delivery(&*tx, id).await?;
        let change = Change::of(
            "failWebhookDelivery",
            Some(&DeliveryRecord::from(&before)),
            &DeliveryRecord::from(&after),
        );
        Ok((after, Some(change)))
    })
    .await
}

/// The `webhook-id` of a delivery: the same on every attempt, so a receiver can drop repeats.
pub fn message_id(position: i64, endpoint_id: i32) -> String {
    format!("msg_{position}_{endpoint_id}")
}

/// The body sent for a change-log entry: the same bytes on every attempt.
pub fn payload(entry: &change_log::Model) -> Value {
    let changed: Value = serde_json::from_str(&entry.changed).unwrap_or(Value::Null);
    json!({
        "type": format!("{}.{}", entry.kind, entry.action),
        "timestamp": entry.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": {
            "position": entry.id,
            "cursor": super::change_log::encode_cursor(entry.id),
            "kind": entry.kind,
            "action": entry.action,
            "entityId": entry.entity_id,
            "partnerId": entry.partner_id,
            "actor": entry.actor,
            "occurredAt": entry.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "changed": redact(changed),
        }
    })
}

/// `changed` without personal fields, at any depth.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !PERSONAL_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k, redact(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officers_personal_fields_are_left_out_of_a_payload() {
        let entry = change_log::Model {
            id: 7,
            kind: "officer".into(),
            action: "createOfficer".into(),
            entity_id: "3".into(),
            partner_id: Some(1),
            actor: "admin".into(),
            occurred_at: Utc::now(),
            changed: r#"{"family_name":"Smith","given_name":"Jo","rank":"Captain","service":"ARMY","slp":"3321","position":"Desk"}"#.into(),
            related: None,
        };
        let body = payload(&entry);
        assert_eq!(body["type"], "officer.createOfficer");
        assert_eq!(body["data"]["changed"], json!({"service": "ARMY"}));
        assert!(!body.to_string().contains("Smith"));
    }

    #[test]
    fn kinds_are_stored_sorted_once_and_unknown_ones_refused() {
        let kinds = vec![
            "enrollment".to_owned(),
            "activity".into(),
            "enrollment".into(),
        ];
        assert_eq!(stored_kinds(&kinds).unwrap(), ",activity,enrollment,");
        assert!(stored_kinds(&["nope".into()]).is_err());
        assert!(stored_kinds(&[]).is_err());
    }
}
