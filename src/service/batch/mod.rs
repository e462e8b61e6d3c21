//! Batch loading for nested fields: one statement for many parents, so a nested GraphQL query costs a
//! number of statements that follows its depth, not its row count.
//!
//! - `by_ids`: the records with these ids (`WHERE id IN (...)`).
//! - `children`: every child of these parents (`WHERE parent_id IN (...)`), in id order.
//! - `paged_children`: one Relay page per parent in a single statement: on PostgreSQL a LATERAL join
//!   reads each parent's first `n + 1` rows from its index; on SQLite each parent's rows are numbered
//!   with `ROW_NUMBER() OVER (PARTITION BY parent ORDER BY id)` and the first `n + 1` kept. The
//!   totals per parent come from one grouped count when asked for.
//!
//! On PostgreSQL the ids go as one array parameter (`= ANY($1)`), so a statement's text does not
//! change with the batch size and its prepared plan is reused.
//!
//! One module per mechanism: `ids` (by id, by parent id), `pages` (a page per parent), `links`
//! (iteration-objective links and their counts) and `relation` (one function per nested field).

mod ids;
mod links;
mod pages;
pub mod relation;

pub use ids::*;
pub use links::*;
pub use pages::*;

use sea_orm::{
    sea_query::{Expr, SimpleExpr},
    ColumnTrait, DbBackend, EntityTrait, IdenStatic,
};

/// Ids are deduplicated and the list is cut in chunks so that no statement exceeds the parameter
/// limits of the backends (SQLite: 32766).
const CHUNK: usize = 1000;

fn unique(ids: &[i32]) -> Vec<i32> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Ids per statement: SQLite binds each id (at most 32,766 parameters a statement); PostgreSQL takes
/// them all as one array parameter.
pub(crate) fn chunk_size(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => 100_000,
        _ => CHUNK,
    }
}

/// `col IN (ids)`. On PostgreSQL it is `col = ANY($1)` with one array parameter, so the statement's
/// text, and the plan prepared for it, stay the same whatever the number of ids (a list of
/// parameters made each batch size a new statement to parse and plan).
pub(crate) fn among<E: EntityTrait>(backend: DbBackend, col: E::Column, ids: &[i32]) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            format!(
                "\"{}\".\"{}\" = ANY(CAST($1 AS int4[]))",
                E::default().table_name(),
                col.as_str()
            ),
            [pg_int_array(ids)],
        ),
        _ => col.is_in(ids.iter().copied()),
    }
}

/// A PostgreSQL array literal of integers (`{1,2,3}`), bound as text and cast to int4[].
pub(crate) fn pg_int_array(ids: &[i32]) -> String {
    let mut out = String::with_capacity(ids.len() * 7 + 2);
    out.push('{');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push('}');
    out
}
