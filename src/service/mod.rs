//! Domain rules and persistence, one module per aggregate. Nothing here knows about GraphQL or HTTP:
//! every rule can be exercised with a database connection alone.

pub mod activity;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod bench_data;
pub mod bulk;
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
pub mod seed;
pub mod slp;
pub mod token;
pub mod uow;
pub mod validate;
pub mod webhook;

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

/// Case-insensitive "contains" on a text column, in SQL on both backends (`LOWER(col) LIKE %text%`).
pub fn contains(
    col: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::Func;
    let pattern = format!("%{}%", text.trim().to_lowercase());
    Expr::expr(Func::lower(Expr::col(col))).like(pattern)
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
