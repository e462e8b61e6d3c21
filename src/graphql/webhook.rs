//! Signed webhooks (ADMIN only): registering and disabling endpoints, and the deliveries the worker
//! made or owes, with redelivery of FAILED ones. An endpoint's signing secret is in the answer to
//! `registerWebhookEndpoint` and in no other answer.

use async_graphql::{Context, Enum, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use entity::{webhook_delivery, webhook_endpoint};

use super::{
    auth::{actor, Allow},
    connection, db,
    enums::ChangeKind,
    page_request, parse_id, Conn,
};
use crate::{
    error::{AppError, Result},
    service::{
        self,
        auth::Access,
        webhook::{url::AllowHosts, DeliveryFilter},
    },
};

/// What the webhook mutations need from the settings.
#[derive(Debug, Clone)]
pub struct WebhookPolicy {
    pub allow: AllowHosts,
    pub retry_window: std::time::Duration,
}

/// Where a webhook delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::webhook_delivery::DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    /// Not yet accepted by the receiver; attempted again at `nextAttemptAt`.
    Pending,
    /// The receiver answered with a 2xx status.
    Delivered,
    /// The retry window ended without a 2xx answer; `redeliverWebhookDelivery` sends it again.
    Failed,
}

/// What an endpoint is sent.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::webhook_endpoint::EndpointFormat")]
pub enum WebhookFormat {
    /// Each change, signed per the Standard Webhooks specification.
    StandardWebhooks,
    /// xAPI statements of training steps, in batches, to a Learning Record Store
    /// (`registerLrsEndpoint`).
    Xapi,
}

/// A receiver of signed webhooks or a Learning Record Store (its signing secret or password is
/// never shown after registration).
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// The kinds of change it receives.
    async fn kinds(&self) -> Vec<ChangeKind> {
        service::webhook::kinds_of(&self.0)
            .iter()
            .filter_map(|k| ChangeKind::parse(k))
            .collect()
    }
    /// The partner whose changes it receives (null: every partner's, and changes of no partner).
    async fn partner_id(&self) -> Option<ID> {
        self.0.partner_id.map(|id| ID(id.to_string()))
    }
    /// Whether changes are still fanned out and sent to it.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was disabled.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
    /// What it is sent.
    async fn format(&self) -> WebhookFormat {
        self.0.format.into()
    }
    /// The user name an LRS is sent with HTTP Basic authentication (its password is never shown).
    async fn username(&self) -> Option<&str> {
        self.0.basic_username.as_deref()
    }
}

/// An endpoint just registered, with its signing secret.
pub struct RegisteredWebhookEndpoint {
    endpoint: webhook_endpoint::Model,
}

#[Object]
impl RegisteredWebhookEndpoint {
    /// The endpoint.
    async fn endpoint(&self) -> WebhookEndpoint {
        WebhookEndpoint(self.endpoint.clone())
    }
    /// The signing secret (`whsec_` + base64 key) to verify `webhook-signature` with. Shown this
    /// once: keep it in the receiver's secret store.
    async fn secret(&self) -> &str {
        &self.endpoint.secret
    }
}

/// One change-log entry owed to one endpoint.
pub struct WebhookDelivery(pub webhook_delivery::Model);

#[Object]
impl WebhookDelivery {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The endpoint it goes to.
    async fn endpoint_id(&self) -> ID {
        ID(self.0.endpoint_id.to_string())
    }
    /// The `webhook-id` header it is sent with, the same on every attempt.
    async fn webhook_id(&self) -> String {
        service::webhook::message_id(self.0.position, self.0.endpoint_id)
    }
    /// The change-log position it carries (a 64-bit number, as text).
    async fn position(&self) -> String {
        self.0.position.to_string()
    }
    /// Where it stands.
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }
    /// Attempts made since it was created or last redelivered.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// When it is attempted next (while PENDING).
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
    /// After this it is marked FAILED instead of retried.
    async fn retry_until(&self) -> DateTime<Utc> {
        self.0.retry_until
    }
    /// The HTTP status of the last answer.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }
    /// The start of the last answer's body (at most 1 KiB).
    async fn last_response(&self) -> Option<&str> {
        self.0.last_response.as_deref()
    }
    /// Why the last attempt failed.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When it was created (fanned out).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the receiver accepted it.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
}

/// A new webhook endpoint.
#[derive(InputObject)]
pub struct RegisterWebhookEndpointInput {
    /// An `http` or `https` URL; a host inside a private network is refused unless the operator
    /// allowed it (`IPCP_WEBHOOK_ALLOW_HOSTS`).
    pub url: String,
    /// The kinds of change to receive (at least one).
    pub kinds: Vec<ChangeKind>,
    /// Only changes of this partner's records.
    pub partner_id: Option<ID>,
}

/// A Learning Record Store to push xAPI statements to.
#[derive(InputObject)]
pub struct RegisterLrsEndpointInput {
    /// The LRS's xAPI endpoint (`statements` is appended), `http` or `https`; a host inside a
    /// private network is refused unless the operator allowed it (`IPCP_WEBHOOK_ALLOW_HOSTS`).
    pub url: String,
    /// The LRS's HTTP Basic user name (the LRS key).
    pub username: String,
    /// The LRS's HTTP Basic password (the LRS secret): stored to be sent, never shown again.
    pub password: String,
}

fn policy<'a>(ctx: &Context<'a>) -> Result<&'a WebhookPolicy> {
    ctx.data::<WebhookPolicy>()
        .map_err(|_| AppError::Internal("webhook policy missing from schema data".into()))
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Every webhook endpoint, oldest first (never their secrets).
    #[graphql(guard = "Allow(Access::Admin)")]
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        Ok(service::webhook::endpoints(&db(ctx)?.conn)
            .await?
            .into_iter()
            .map(WebhookEndpoint)
            .collect())
    }

    /// Webhook deliveries, oldest first.
    #[graphql(
        guard = "Allow(Access::Admin)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only deliveries to this endpoint.")] endpoint_id: Option<ID>,
        #[graphql(desc = "Only deliveries in this state.")] status: Option<WebhookDeliveryStatus>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<Conn<WebhookDelivery>> {
        let req = page_request(ctx, first, after, last, before)?;
        let filter = DeliveryFilter {
            endpoint_id: endpoint_id
                .map(|id| parse_id("webhook endpoint", &id))
                .transpose()?,
            status: status.map(Into::into),
        };
        let page = service::webhook::deliveries(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, WebhookDelivery))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook endpoint for the changes committed from now on; its signing secret is
    /// in the answer and will not be shown again.
    #[graphql(guard = "Allow(Access::Admin)")]
    async fn register_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: RegisterWebhookEndpointInput,
    ) -> Result<RegisteredWebhookEndpoint> {
        // Resolving the host takes time: done before the write transaction, and a refused URL
        // writes nothing.
        let url = service::webhook::url::check(&input.url, &policy(ctx)?.allow).await?;
        let partner_id = input
            .partner_id
            .map(|id| parse_id("partner", &id))
            .transpose()?;
        let kinds: Vec<String> = input.kinds.iter().map(|k| k.as_str().to_owned()).collect();
        let endpoint = service::webhook::register(
            db(ctx)?,
            &actor(ctx),
            ctx.field().name(),
            &url,
            &kinds,
            partner_id,
        )
        .await?;
        Ok(RegisteredWebhookEndpoint { endpoint })
    }

    /// Registers a Learning Record Store: the xAPI statements of the training steps (ATTENDED,
    /// COMPLETED, FAILED, NO_SHOW) committed from now on are POSTed to it in batches, with Basic
    /// credentials and `X-Experience-API-Version: 1.0.3`, by the webhook worker (same retries,
    /// FAILED state, redelivery and outbound URL rules). The password is not in the answer.
    #[graphql(guard = "Allow(Access::Admin)")]
    async fn register_lrs_endpoint(
        &self,
        ctx: &Context<'_>,
        input: RegisterLrsEndpointInput,
    ) -> Result<WebhookEndpoint> {
        let url = service::webhook::url::check(&input.url, &policy(ctx)?.allow).await?;
        let endpoint = service::webhook::register_lrs(
            db(ctx)?,
            &actor(ctx),
            ctx.field().name(),
            &url,
            service::webhook::BasicCredentials {
                username: input.username,
                password: input.password,
            },
        )
        .await?;
        Ok(WebhookEndpoint(endpoint))
    }

    /// Stops sending changes to an endpoint; its deliveries stay listed.
    #[graphql(guard = "Allow(Access::Admin)")]
    async fn disable_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookEndpoint> {
        let id = parse_id("webhook endpoint", &id)?;
        let endpoint =
            service::webhook::disable(db(ctx)?, &actor(ctx), ctx.field().name(), id).await?;
        Ok(WebhookEndpoint(endpoint))
    }

    /// Sends a FAILED delivery again: PENDING, attempts from zero, a new retry window. It goes
    /// before the endpoint's later pending deliveries.
    #[graphql(guard = "Allow(Access::Admin)")]
    async fn redeliver_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<WebhookDelivery> {
        let id = parse_id("webhook delivery", &id)?;
        let window = policy(ctx)?.retry_window;
        let delivery =
            service::webhook::redeliver(db(ctx)?, &actor(ctx), ctx.field().name(), id, window)
                .await?;
        Ok(WebhookDelivery(delivery))
    }
}
