//! API tokens: created with a role and a name, shown once, stored only as a SHA-256 hash (tokens are
//! 256 random bits, so a fast hash is enough and keeps authentication to one indexed lookup),
//! revocable, with an optional expiry and the time of last use.

use crate::error::ErrorCode;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use entity::{
    api_token::{self, ActiveModel, Column, Entity},
    enums::Role,
};
use rand::RngCore;
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};

use super::{
    auth::Caller,
    now,
    uow::{self, Actor, Audited, Change},
    validate,
};
use crate::{
    error::{AppError, Result},
    service::Db,
};

const PREFIX: &str = "ipcp_";
/// Last-use times are written at most this often per token, so reads stay reads.
const LAST_USED_RESOLUTION: Duration = Duration::seconds(60);

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn generate() -> String {
    generate_with(PREFIX)
}

/// 256 random bits after `prefix` (`ipcp_` for API tokens, `ipcpfeed_` for feed keys).
pub(crate) fn generate_with(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A new token and its secret, which is never stored and cannot be shown again.
pub struct NewToken {
    pub token: api_token::Model,
    pub secret: String,
}

/// A token as its audit event and change-log entry record it: never its secret nor its hash.
#[derive(serde::Serialize)]
struct TokenRecord {
    id: i32,
    name: String,
    role: Role,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TokenRecord {
    fn of(model: &api_token::Model) -> TokenRecord {
        TokenRecord {
            id: model.id,
            name: model.name.clone(),
            role: model.role,
            expires_at: model.expires_at,
            revoked_at: model.revoked_at,
        }
    }
}

impl Audited for TokenRecord {
    const ENTITY: &'static str = "api_token";
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
}

/// Creates a token as one unit of work (`action` names it: `createApiToken`, `create`).
pub async fn create(
    db: &Db,
    actor: &Actor,
    action: &str,
    name: &str,
    role: Role,
    expires_at: Option<DateTime<Utc>>,
) -> Result<NewToken> {
    uow::run(db, actor, |tx| async move {
        let created = insert(&*tx, name, role, expires_at).await?;
        let change = Change::of(action, None, &TokenRecord::of(&created.token));
        Ok((created, Some(change)))
    })
    .await
}

async fn insert<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    role: Role,
    expires_at: Option<DateTime<Utc>>,
) -> Result<NewToken> {
    let name = validate::text("name", name, 100)?;
    if let Some(at) = expires_at {
        if at <= now() {
            return Err(AppError::invalid("expiresAt", "must be in the future"));
        }
    }
    if Entity::find()
        .filter(Column::Name.eq(name.clone()))
        .one(conn)
        .await?
        .is_some()
    {
        return Err(AppError::rule(
            ErrorCode::DuplicateName,
            format!("a token named '{name}' already exists"),
        ));
    }
    let secret = generate();
    let token = Entity::insert(ActiveModel {
        name: Set(name),
        role: Set(role),
        token_hash: Set(hash(&secret)),
        prefix: Set(secret.chars().take(12).collect()),
        created_at: Set(now()),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec_with_returning(conn)
    .await?;
    Ok(NewToken { token, secret })
}

pub async fn list<C: ConnectionTrait>(conn: &C) -> Result<Vec<api_token::Model>> {
    Ok(Entity::find().order_by_asc(Column::Id).all(conn).await?)
}

/// Revokes a token by id or name as one unit of work; revoking twice is harmless.
pub async fn revoke(
    db: &Db,
    actor: &Actor,
    action: &str,
    id_or_name: &str,
) -> Result<api_token::Model> {
    uow::run(db, actor, |tx| async move {
        let (before, after) = mark_revoked(&*tx, id_or_name).await?;
        let change = Change::of(
            action,
            Some(&TokenRecord::of(&before)),
            &TokenRecord::of(&after),
        );
        Ok((after, Some(change)))
    })
    .await
}

async fn mark_revoked<C: ConnectionTrait>(
    conn: &C,
    id_or_name: &str,
) -> Result<(api_token::Model, api_token::Model)> {
    let found = match id_or_name.parse::<i32>() {
        Ok(id) => Entity::find_by_id(id).one(conn).await?,
        Err(_) => {
            Entity::find()
                .filter(Column::Name.eq(id_or_name))
                .one(conn)
                .await?
        }
    };
    let token = found.ok_or_else(|| AppError::not_found("API token", id_or_name))?;
    if token.revoked_at.is_some() {
        return Ok((token.clone(), token));
    }
    Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now()))
        .filter(Column::Id.eq(token.id))
        .exec(conn)
        .await?;
    let after = Entity::find_by_id(token.id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("API token", token.id))?;
    Ok((token, after))
}

/// The caller a bearer secret stands for: UNAUTHENTICATED if unknown, revoked or expired.
pub async fn authenticate<C: ConnectionTrait>(conn: &C, secret: &str) -> Result<Caller> {
    Ok(authenticate_hash(conn, &hash(secret.trim())).await?.0)
}

/// The caller of a token hash and the token's expiry.
async fn authenticate_hash<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
) -> Result<(Caller, Option<DateTime<Utc>>)> {
    let token = Entity::find()
        .filter(Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let at = now();
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|e| e <= at) {
        return Err(AppError::Unauthenticated);
    }
    if token
        .last_used_at
        .is_none_or(|last| at - last > LAST_USED_RESOLUTION)
    {
        Entity::update_many()
            .col_expr(Column::LastUsedAt, Expr::value(at))
            .filter(Column::Id.eq(token.id))
            .exec(conn)
            .await?;
    }
    let caller = Caller {
        token_id: Some(token.id),
        name: token.name,
        role: Some(token.role),
    };
    Ok((caller, token.expires_at))
}

/// How long an authenticated token is trusted without a lookup. A token revoked through the API is
/// forgotten at once by the instance that revoked it; elsewhere (another instance, `ipcp token
/// revoke`) it stops working within this time.
pub const CALLER_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
/// Tokens remembered at most; past it the cache starts over.
const CALLER_CACHE_MAX: usize = 10_000;

/// The callers of recently authenticated tokens, by token hash, so that a request does not cost a
/// token lookup of its own (see bench/HISTORY.md for what that saves a light query).
#[derive(Clone, Default)]
pub struct CallerCache(Arc<Mutex<CacheState>>);

#[derive(Default)]
struct CacheState {
    entries: HashMap<String, Cached>,
    /// Bumped by `forget_all`: a lookup that began before it does not store its (stale) answer.
    generation: u64,
}

struct Cached {
    caller: Caller,
    expires_at: Option<DateTime<Utc>>,
    checked: std::time::Instant,
}

impl CallerCache {
    /// Forgets every token (after a revocation).
    pub fn forget_all(&self) {
        if let Ok(mut state) = self.0.lock() {
            state.entries.clear();
            state.generation += 1;
        }
    }

    fn get(&self, key: &str) -> Option<Caller> {
        let state = self.0.lock().ok()?;
        let cached = state.entries.get(key)?;
        let fresh = cached.checked.elapsed() < CALLER_CACHE_TTL
            && cached.expires_at.is_none_or(|e| e > now());
        fresh.then(|| cached.caller.clone())
    }

    fn generation(&self) -> u64 {
        self.0.lock().map_or(0, |state| state.generation)
    }

    fn put(
        &self,
        key: String,
        generation: u64,
        caller: &Caller,
        expires_at: Option<DateTime<Utc>>,
    ) {
        if let Ok(mut state) = self.0.lock() {
            if state.generation != generation {
                return;
            }
            if state.entries.len() >= CALLER_CACHE_MAX {
                state.entries.clear();
            }
            state.entries.insert(
                key,
                Cached {
                    caller: caller.clone(),
                    expires_at,
                    checked: std::time::Instant::now(),
                },
            );
        }
    }
}

/// `authenticate`, trusting a token seen in the last `CALLER_CACHE_TTL` without a lookup.
pub async fn authenticate_cached<C: ConnectionTrait>(
    conn: &C,
    cache: &CallerCache,
    secret: &str,
) -> Result<Caller> {
    let key = hash(secret.trim());
    if let Some(caller) = cache.get(&key) {
        return Ok(caller);
    }
    let generation = cache.generation();
    let (caller, expires_at) = authenticate_hash(conn, &key).await?;
    cache.put(key, generation, &caller, expires_at);
    Ok(caller)
}

/// First run: when no token exists at all, creates an ADMIN token so a new user can start
/// (recorded as made by `cli:serve`).
pub async fn bootstrap(db: &Db) -> Result<Option<NewToken>> {
    if Entity::find().count(&db.conn).await? > 0 {
        return Ok(None);
    }
    create(
        db,
        &Actor::cli("serve"),
        "bootstrap",
        "bootstrap-admin",
        Role::Admin,
        None,
    )
    .await
    .map(Some)
}
