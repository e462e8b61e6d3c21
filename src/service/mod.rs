//! Domain rules and persistence, one module per aggregate. Nothing here knows about GraphQL or HTTP:
//! every rule can be exercised with a database connection alone.

pub mod activity;
pub mod audit;
pub mod auth;
pub mod batch;
#[cfg(feature = "bench-data")]
pub mod bench_data;
pub mod bulk;
pub mod calendar;
pub mod change_log;
pub mod contact;
pub mod cooperation_area;
pub mod cost;
pub mod cost_report;
pub mod course;
pub mod currency;
pub mod dates;
pub mod enrollment;
pub mod evaluation;
pub mod evaluation_report;
pub mod events;
pub mod feed_token;
pub mod figures;
pub mod idempotency;
pub mod iteration;
pub mod lang;
pub mod measurement;
pub mod milestone;
pub mod objective;
pub mod officer;
pub mod paging;
pub mod partner;
pub mod programme_cycle;
pub mod report;
pub mod rows;
pub mod seat;
pub mod seed;
pub mod slp;
mod state;
pub mod token;
pub mod uow;
pub mod validate;
pub mod webhook;
pub mod xapi;

pub use state::Db;

pub use paging::{Page, PageRequest};

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter, Value,
};

use crate::error::{AppError, Result};

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The longest search text a list accepts, in characters. Titles and names are far shorter; a
/// longer text cannot match anything and SQLite refuses LIKE patterns beyond 50,000 bytes.
pub const MAX_SEARCH_CHARS: usize = 200;

/// A list's search text as the caller typed it: trimmed, `None` when empty, and refused with
/// BAD_USER_INPUT beyond [`MAX_SEARCH_CHARS`].
pub fn search_text(search: Option<String>) -> Result<Option<String>> {
    let Some(text) = search else { return Ok(None) };
    let text = text.trim();
    if text.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::invalid(
            "search",
            format!("at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// A LIKE pattern that finds `text` anywhere, its `%`, `_` and `\` taken literally (escaped
/// with `\`, which both backends accept as the ESCAPE character).
pub fn like_anywhere(text: &str) -> sea_orm::sea_query::LikeExpr {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')
}

/// Case-insensitive "contains" on a text column, in SQL on both backends (`LOWER(col) LIKE %text%`),
/// wildcards in `text` taken literally.
pub fn contains(
    col: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::Func;
    Expr::expr(Func::lower(Expr::col(col))).like(like_anywhere(&text.trim().to_lowercase()))
}

/// Loads one record by id or fails with NOT_FOUND naming the entity.
pub async fn find<E, C>(
    conn: &C,
    entity: &'static str,
    id_col: E::Column,
    id: i32,
) -> Result<E::Model>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    E::find()
        .filter(id_col.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found(entity, id))
}

/// Optimistic concurrency: applies `changes` only if the row still has `version`, bumping it.
/// A stale version gets STALE_VERSION and changes nothing.
pub async fn update_versioned<E, C>(
    conn: &C,
    entity: &'static str,
    cols: (E::Column, E::Column, E::Column),
    id: i32,
    version: i32,
    changes: E::ActiveModel,
) -> Result<E::Model>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let (id_col, version_col, updated_col) = cols;
    let update = E::update_many()
        .set(changes)
        .col_expr(version_col, Expr::col(version_col).add(1))
        .col_expr(updated_col, Expr::value(now()))
        .filter(id_col.eq(id))
        .filter(version_col.eq(version));
    // The updated row comes back with the update where the backend returns rows (PostgreSQL):
    // one round trip, not two.
    if conn.support_returning() {
        if let Some(updated) = update.exec_with_returning(conn).await?.into_iter().next() {
            return Ok(updated);
        }
    } else if update.exec(conn).await?.rows_affected == 1 {
        return find::<E, C>(conn, entity, id_col, id).await;
    }
    // Nothing changed: the row is gone (NOT_FOUND) or has another version.
    let current = find::<E, C>(conn, entity, id_col, id).await?;
    let actual = match current.get(version_col) {
        Value::Int(Some(v)) => v,
        _ => -1,
    };
    Err(AppError::StaleVersion {
        entity,
        id,
        expected: version,
        actual,
    })
}
