//! Idempotency keys for mutations: a replay of the same key with the same payload gets the first
//! response and does nothing again; the same key with another payload is refused. Keys belong to
//! one caller and are kept for a day.
//!
//! The first request claims the key by inserting it (a unique key on caller and key decides between
//! concurrent requests), runs, then stores its response. Concurrent replays wait for that response.
//! A request that failed with a retryable error releases its key so that a retry can run.

use crate::error::ErrorCode;
use std::time::Duration;

use chrono::Duration as Age;
use entity::idempotency_key::{ActiveModel, Column, Entity};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, SqlErr,
};
use sha2::{Digest, Sha256};

use super::now;
use crate::error::{AppError, Result};

const KEEP_FOR: Age = Age::hours(24);
const WAIT_FOR: Duration = Duration::from_secs(15);
const POLL_EVERY: Duration = Duration::from_millis(25);

/// What to do with a request carrying an idempotency key.
#[derive(Debug)]
pub enum Claim {
    /// The key is new: run the request, then `finish` (or `release`) it.
    Run,
    /// The key was used for this very payload: answer with the stored response.
    Replay(String),
}

pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::invalid(
            "idempotencyKey",
            "an idempotency key is 1 to 200 visible ASCII characters (a UUID is a good choice)",
        ));
    }
    Ok(())
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    caller: &str,
    key: &str,
    request_hash: &str,
) -> Result<Claim> {
    validate_key(key)?;
    let at = now();
    Entity::delete_many()
        .filter(Column::CreatedAt.lt(at - KEEP_FOR))
        .exec(conn)
        .await?;
    let inserted = Entity::insert(ActiveModel {
        caller: Set(caller.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        response: Set(None),
        created_at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await;
    match inserted {
        Ok(_) => return Ok(Claim::Run),
        Err(err) if is_unique_violation(&err) => {}
        Err(err) => return Err(err.into()),
    }
    let deadline = tokio::time::Instant::now() + WAIT_FOR;
    loop {
        let row = Entity::find()
            .filter(Column::Caller.eq(caller))
            .filter(Column::Key.eq(key))
            .one(conn)
            .await?;
        match row {
            // Released by a failed first attempt meanwhile: this request takes the key over.
            None => return Box::pin(claim(conn, caller, key, request_hash)).await,
            Some(row) if row.request_hash != request_hash => {
                return Err(AppError::rule(
                    ErrorCode::IdempotencyKeyReused,
                    format!("idempotency key '{key}' was already used for a different request"),
                ))
            }
            Some(row) => {
                if let Some(response) = row.response {
                    return Ok(Claim::Replay(response));
                }
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(AppError::rule(
                ErrorCode::IdempotencyKeyInUse,
                format!("a request with idempotency key '{key}' is still running; retry shortly"),
            ));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Stores the response of the request that claimed the key.
pub async fn finish<C: ConnectionTrait>(
    conn: &C,
    caller: &str,
    key: &str,
    response: &str,
) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Response, Expr::value(response.to_owned()))
        .filter(Column::Caller.eq(caller))
        .filter(Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}

/// Gives the key back after a retryable failure, so the client's retry runs the request.
pub async fn release<C: ConnectionTrait>(conn: &C, caller: &str, key: &str) -> Result<()> {
    Entity::delete_many()
        .filter(Column::Caller.eq(caller))
        .filter(Column::Key.eq(key))
        .filter(Column::Response.is_null())
        .exec(conn)
        .await?;
    Ok(())
}
