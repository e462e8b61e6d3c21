//! Feed tokens: read-only keys for the calendar feeds (`GET /calendar/iterations.ics?key=...`),
//! for calendar apps, which cannot send an Authorization header.
//!
//! Policy: created by a caller with `Access::Report` (REPORTER and up), shown once, stored only as
//! a SHA-256 hash (`token::hash`, as API tokens), listed without their secret, revocable. They
//! live in their own table, so a feed key is never an API token: as a bearer token it is unknown
//! (401), and it opens nothing but the calendar feeds. Every caller who may create them may list
//! and revoke all of them: a feed URL sits in calendar apps and gets shared, and whoever on the
//! reporting side sees one leak should be able to shut it at once (revoking only ever removes
//! access); the list shows names, prefixes and creators, never a secret.

use chrono::{DateTime, Duration, Utc};
use entity::feed_token::{self, ActiveModel, Column, Entity};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;

use super::{
    auth::{Access, Caller},
    now, token,
    uow::{self, Actor, Audited, Change},
    validate,
};
use crate::{
    error::{AppError, ErrorCode, Result},
    service::Db,
};

const PREFIX: &str = "ipcpfeed_";
/// Last-use times are written at most this often per key, so a polling calendar stays a read.
const LAST_USED_RESOLUTION: Duration = Duration::seconds(60);

/// A new feed token and its secret, which is never stored and cannot be shown again.
pub struct NewFeedToken {
    pub token: feed_token::Model,
    pub secret: String,
}

/// A feed token as its audit event and change-log entry record it: never its secret nor its hash.
#[derive(Serialize)]
struct FeedTokenRecord {
    id: i32,
    name: String,
    created_by: String,
    revoked_at: Option<DateTime<Utc>>,
}

impl FeedTokenRecord {
    fn of(m: &feed_token::Model) -> Self {
        FeedTokenRecord {
            id: m.id,
            name: m.name.clone(),
            created_by: m.created_by.clone(),
            revoked_at: m.revoked_at,
        }
    }
}

impl Audited for FeedTokenRecord {
    const ENTITY: &'static str = "feed_token";
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
}

/// Creates a feed token for `caller` as one unit of work.
pub async fn create(
    db: &Db,
    actor: &Actor,
    action: &str,
    caller: &Caller,
    name: &str,
) -> Result<NewFeedToken> {
    if !caller.may(Access::Report) {
        return Err(AppError::Forbidden("create feed tokens".into()));
    }
    let name = validate::text("name", name, 100)?;
    let created_by = caller.name.clone();
    uow::run(db, actor, |tx| async move {
        if Entity::find()
            .filter(Column::Name.eq(name.clone()))
            .one(&*tx)
            .await?
            .is_some()
        {
            return Err(AppError::rule(
                ErrorCode::DuplicateName,
                format!("a feed token named '{name}' already exists"),
            ));
        }
        let secret = token::generate_with(PREFIX);
        let created = Entity::insert(ActiveModel {
            name: Set(name),
            token_hash: Set(token::hash(&secret)),
            prefix: Set(secret.chars().take(14).collect()),
            created_by: Set(created_by),
            created_at: Set(now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        })
        .exec_with_returning(&*tx)
        .await?;
        let change = Change::of(action, None, &FeedTokenRecord::of(&created));
        Ok((
            NewFeedToken {
                token: created,
                secret,
            },
            Some(change),
        ))
    })
    .await
}

/// Every feed token, oldest first.
pub async fn list<C: ConnectionTrait>(conn: &C) -> Result<Vec<feed_token::Model>> {
    Ok(Entity::find().order_by_asc(Column::Id).all(conn).await?)
}

/// Revokes a feed token as one unit of work; revoking twice is harmless.
pub async fn revoke(db: &Db, actor: &Actor, action: &str, id: i32) -> Result<feed_token::Model> {
    uow::run(db, actor, |tx| async move {
        let before = Entity::find_by_id(id)
            .one(&*tx)
            .await?
            .ok_or_else(|| AppError::not_found("feed token", id))?;
        if before.revoked_at.is_some() {
            return Ok((before, None));
        }
        Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(now()))
            .filter(Column::Id.eq(id))
            .exec(&*tx)
            .await?;
        let after = Entity::find_by_id(id)
            .one(&*tx)
            .await?
            .ok_or_else(|| AppError::not_found("feed token", id))?;
        let change = Change::of(
            action,
            Some(&FeedTokenRecord::of(&before)),
            &FeedTokenRecord::of(&after),
        );
        Ok((after, Some(change)))
    })
    .await
}

/// The feed token a `?key=` stands for: UNAUTHENTICATED, alike, whether unknown or revoked.
pub async fn authenticate<C: ConnectionTrait>(conn: &C, secret: &str) -> Result<feed_token::Model> {
    let found = Entity::find()
        .filter(Column::TokenHash.eq(token::hash(secret.trim())))
        .one(conn)
        .await?
        .filter(|t| t.revoked_at.is_none())
        .ok_or(AppError::Unauthenticated)?;
    let at = now();
    if found
        .last_used_at
        .is_none_or(|last| at - last > LAST_USED_RESOLUTION)
    {
        Entity::update_many()
            .col_expr(Column::LastUsedAt, Expr::value(at))
            .filter(Column::Id.eq(found.id))
            .exec(conn)
            .await?;
    }
    Ok(found)
}
