//! Calendar feed tokens (REPORTER and up): read-only keys for `GET /calendar/iterations.ics?key=`.
//! A token's secret is in the answer to `createFeedToken` and in no other answer.

use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use entity::feed_token;

use super::{
    auth::{actor, caller, Allow},
    db, parse_id,
};
use crate::{
    error::Result,
    service::{self, auth::Access},
};

/// A read-only key for the calendar feeds (its secret is shown only once, at creation).
pub struct FeedToken(pub feed_token::Model);

#[Object]
impl FeedToken {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Name, e.g. the calendar it is for.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// First characters of the secret, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// The name of the API token that created it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When a feed was last read with it (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// When it was revoked; a revoked key gets 401.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A feed token just created, with its secret.
pub struct CreatedFeedToken {
    token: feed_token::Model,
    secret: String,
}

#[Object]
impl CreatedFeedToken {
    /// The token.
    async fn token(&self) -> FeedToken {
        FeedToken(self.token.clone())
    }
    /// The secret, to put in the feed's URL as `?key=<secret>`. Shown this once, never stored.
    async fn secret(&self) -> &str {
        &self.secret
    }
    /// The feed's path with the key, e.g. to append filters to (`&status=OPEN`).
    async fn feed_path(&self) -> String {
        format!("/calendar/iterations.ics?key={}", self.secret)
    }
}

/// A new feed token.
#[derive(InputObject)]
pub struct CreateFeedTokenInput {
    /// Unique name, e.g. `training-office-calendar`.
    pub name: String,
}

#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// Every calendar feed token, oldest first, never their secrets.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn feed_tokens(&self, ctx: &Context<'_>) -> Result<Vec<FeedToken>> {
        Ok(service::feed_token::list(&db(ctx)?.conn)
            .await?
            .into_iter()
            .map(FeedToken)
            .collect())
    }
}

#[derive(Default)]
pub struct FeedMutation;

#[Object]
impl FeedMutation {
    /// Creates a read-only key for the calendar feeds; its secret is in the answer and nowhere
    /// else.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn create_feed_token(
        &self,
        ctx: &Context<'_>,
        input: CreateFeedTokenInput,
    ) -> Result<CreatedFeedToken> {
        let created = service::feed_token::create(
            db(ctx)?,
            &actor(ctx),
            ctx.field().name(),
            &caller(ctx),
            &input.name,
        )
        .await?;
        Ok(CreatedFeedToken {
            token: created.token,
            secret: created.secret,
        })
    }

    /// Revokes a feed token (anyone who may create them may revoke any, e.g. a leaked feed URL);
    /// feeds read with it get 401 at once. Revoking twice is harmless.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn revoke_feed_token(&self, ctx: &Context<'_>, id: ID) -> Result<FeedToken> {
        let id = parse_id("feed token", &id)?;
        let token =
            service::feed_token::revoke(db(ctx)?, &actor(ctx), ctx.field().name(), id).await?;
        Ok(FeedToken(token))
    }
}
