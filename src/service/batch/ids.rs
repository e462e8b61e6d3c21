//! Records by id, and children by parent id, for many ids at once.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use super::{among, chunk_size, unique};
use crate::error::Result;

/// The records whose `id_col` is one of `ids`, keyed by id.
pub async fn by_ids<E, C>(
    conn: &C,
    id_col: E::Column,
    ids: &[i32],
    id_of: impl Fn(&E::Model) -> i32,
) -> Result<HashMap<i32, E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    fetch_by_ids::<E, C>(conn, id_col, ids, id_of, false).await
}

/// Like `by_ids`, locking the rows (`FOR UPDATE` on PostgreSQL) in id order, so that two
/// transactions locking overlapping sets wait for each other instead of deadlocking.
pub async fn by_ids_locked<E, C>(
    conn: &C,
    id_col: E::Column,
    ids: &[i32],
    id_of: impl Fn(&E::Model) -> i32,
) -> Result<HashMap<i32, E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    fetch_by_ids::<E, C>(conn, id_col, ids, id_of, true).await
}

async fn fetch_by_ids<E, C>(
    conn: &C,
    id_col: E::Column,
    ids: &[i32],
    id_of: impl Fn(&E::Model) -> i32,
    lock: bool,
) -> Result<HashMap<i32, E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let backend = conn.get_database_backend();
    let mut out = HashMap::new();
    for chunk in unique(ids).chunks(chunk_size(backend)) {
        let mut select = E::find().filter(among::<E>(backend, id_col, chunk));
        if lock {
            select = select.order_by_asc(id_col).lock_exclusive();
        }
        let rows = select.all(conn).await?;
        out.extend(rows.into_iter().map(|m| (id_of(&m), m)));
    }
    Ok(out)
}

/// Every row of `select` whose `parent_col` is one of `parents`, grouped by parent, each group in the
/// order of `order` (then id).
pub async fn children<E, C>(
    conn: &C,
    select: Select<E>,
    parent_col: E::Column,
    order: &[E::Column],
    parents: &[i32],
    parent_of: impl Fn(&E::Model) -> Option<i32>,
) -> Result<HashMap<i32, Vec<E::Model>>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let backend = conn.get_database_backend();
    let mut out: HashMap<i32, Vec<E::Model>> = HashMap::new();
    for chunk in unique(parents).chunks(chunk_size(backend)) {
        let mut q = select
            .clone()
            .filter(among::<E>(backend, parent_col, chunk));
        for col in order {
            q = q.order_by_asc(*col);
        }
        for m in q.all(conn).await? {
            if let Some(p) = parent_of(&m) {
                out.entry(p).or_default().push(m);
            }
        }
    }
    Ok(out)
}
