//! Keyset pagination (Relay style) done in SQL: rows after/before a cursor id, one extra row fetched
//! to know whether another page exists. Stable under inserts because the key is the unique id.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::error::{AppError, Result};

pub const MAX_PAGE_SIZE: u64 = 100;
pub const DEFAULT_PAGE_SIZE: u64 = 20;

#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<i32>,
    pub last: Option<i32>,
    pub before: Option<i32>,
    /// Whether the caller asked for the total count (costs one more statement).
    pub with_total: bool,
}

#[derive(Debug, Clone)]
pub struct Page<M> {
    pub items: Vec<M>,
    pub has_next: bool,
    pub has_previous: bool,
    pub total: Option<u64>,
}

pub(crate) fn size(field: &str, n: Option<i32>) -> Result<Option<u64>> {
    match n {
        None => Ok(None),
        Some(n) if n < 0 => Err(AppError::invalid(field, "must not be negative")),
        Some(n) if n as u64 > MAX_PAGE_SIZE => Err(AppError::invalid(
            field,
            format!("at most {MAX_PAGE_SIZE} items per page"),
        )),
        Some(n) => Ok(Some(n as u64)),
    }
}

pub async fn page<E, C>(
    conn: &C,
    select: Select<E>,
    id_col: E::Column,
    req: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let first = size("first", req.first)?;
    let last = size("last", req.last)?;
    if first.is_some() && last.is_some() {
        return Err(AppError::invalid(
            "last",
            "give either first or last, not both",
        ));
    }
    let total = if req.with_total {
        Some(select.clone().count(conn).await?)
    } else {
        None
    };
    let backward = last.is_some();
    let n = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE);
    let mut q = select;
    if let Some(after) = req.after {
        q = q.filter(id_col.gt(after));
    }
    if let Some(before) = req.before {
        q = q.filter(id_col.lt(before));
    }
    q = if backward {
        q.order_by_desc(id_col)
    } else {
        q.order_by_asc(id_col)
    };
    let mut items = q.limit(n + 1).all(conn).await?;
    let more = items.len() as u64 > n;
    items.truncate(n as usize);
    Ok(if backward {
        items.reverse();
        Page {
            items,
            has_previous: more,
            has_next: req.before.is_some(),
            total,
        }
    } else {
        Page {
            items,
            has_next: more,
            has_previous: req.after.is_some(),
            total,
        }
    })
}
