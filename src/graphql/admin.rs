//! Administration: API tokens and the audit log (ADMIN only). The audit log can be read, never
//! changed: there is no mutation for it, and the database refuses UPDATE and DELETE on it.

use async_graphql::{Context, InputObject, Json, Object, ID};
use chrono::{DateTime, Utc};
use entity::{api_token, audit_event};

use super::{
    auth::{actor, Allow},
    connection, db,
    enums::Role,
    page_request, Conn,
};
use crate::{error::Result, service, service::auth::Access};

/// An API token (its secret is shown only once, at creation).
pub struct ApiToken(pub api_token::Model);

#[Object]
impl ApiToken {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Name, recorded as the actor in the audit log.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Role.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// First characters of the secret, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it stops working, if ever.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// When it was last used (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// When it was revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A token just created, with its secret.
pub struct CreatedApiToken {
    token: api_token::Model,
    secret: String,
}

#[Object]
impl CreatedApiToken {
    /// The token.
    async fn token(&self) -> ApiToken {
        ApiToken(self.token.clone())
    }
    /// The secret, to send as `Authorization: Bearer <secret>`. Shown this once, never stored.
    async fn secret(&self) -> &str {
        &self.secret
    }
}

/// What the audit log records of a token: never its secret nor its hash.
/// One recorded change.
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Name of the token that made the change.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// The mutation, e.g. `nominateOfficer`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The kind of record changed.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// The record's id.
    async fn entity_id(&self) -> &str {
        &self.0.entity_id
    }
    /// The record before the change (null for a creation).
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0
            .before
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .map(Json)
    }
    /// The record after the change.
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0
            .after
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .map(Json)
    }
    /// The HTTP request's id (`x-request-id`).
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
}

/// A new API token.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// Unique name, e.g. `nightly-report-job`.
    pub name: String,
    /// Role.
    pub role: Role,
    /// When it stops working (none: until revoked).
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Every API token, oldest first.
    #[graphql(guard = "Allow(Access::Admin)")]
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiToken>> {
        Ok(service::token::list(&db(ctx)?.conn)
            .await?
            .into_iter()
            .map(ApiToken)
            .collect())
    }

    /// The audit log, oldest first.
    #[graphql(
        guard = "Allow(Access::Admin)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only changes to this kind of record, e.g. `enrollment`.")] entity: Option<
            String,
        >,
        #[graphql(desc = "Only changes to the record with this id.")] entity_id: Option<String>,
        #[graphql(desc = "Only changes by this token name.")] actor: Option<String>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<Conn<AuditEvent>> {
        let req = page_request(ctx, first, after, last, before)?;
        let filter = service::audit::AuditFilter {
            entity,
            entity_id,
            actor,
        };
        let page = service::audit::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, AuditEvent))
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Creates an API token; its secret is in the answer and nowhere else.
    #[graphql(guard = "Allow(Access::Admin)")]
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> Result<CreatedApiToken> {
        let created = service::token::create(
            db(ctx)?,
            &actor(ctx),
            ctx.field().name(),
            &input.name,
            input.role.into(),
            input.expires_at,
        )
        .await?;
        Ok(CreatedApiToken {
            token: created.token,
            secret: created.secret,
        })
    }

    /// Revokes an API token (by id or name); it stops working at once on this instance, and within
    /// 5 seconds on the others.
    #[graphql(guard = "Allow(Access::Admin)")]
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's id or name.")] token: String,
    ) -> Result<ApiToken> {
        let db = db(ctx)?;
        let token = service::token::revoke(db, &actor(ctx), ctx.field().name(), &token).await?;
        db.callers.forget_all();
        Ok(ApiToken(token))
    }
}
