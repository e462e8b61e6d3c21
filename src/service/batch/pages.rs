//! One Relay page per parent in a single statement: a LATERAL join on PostgreSQL, numbered rows on
//! SQLite.

use std::collections::HashMap;

use futures_util::TryStreamExt;

use sea_orm::{
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Order, PostgresQueryBuilder, Query},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Iden, IdenStatic,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select, Statement, StreamTrait,
};

use super::{among, chunk_size, pg_int_array, unique};
use crate::error::{AppError, Result};
use crate::service::paging::{self, Page, PageRequest};
use crate::service::rows::Decode;

/// One forward page (`first`/`after` of `req`, ordered by id) of `select`'s rows per parent.
/// Parents without rows get an empty page.
pub async fn paged_children<E, C>(
    conn: &C,
    select: Select<E>,
    parent_col: E::Column,
    id_col: E::Column,
    parents: &[i32],
    req: &PageRequest,
    parent_of: impl Fn(&E::Model) -> i32,
) -> Result<HashMap<i32, Page<E::Model>>>
where
    E: EntityTrait,
    E::Column: IdenStatic,
    C: ConnectionTrait + StreamTrait,
{
    let rows = PageRows {
        wrap: |stmt| stmt,
        read: |row: &QueryResult, _: Decode| Ok(E::Model::from_query_result(row, "")?),
        parent_of,
    };
    paged_rows(conn, select, parent_col, id_col, parents, req, rows).await
}

/// How `paged_rows` reads a page's rows: `wrap` turns the page statement into the one run (a join
/// adds a record each row refers to), `read` decodes one row (`Decode::Checked` for the first row
/// of each statement, `Trusted` for the rows after it), `parent_of` names its parent.
pub struct PageRows<W, R, P> {
    pub wrap: W,
    pub read: R,
    pub parent_of: P,
}

/// `paged_children`, with the rows read as `rows` says.
pub async fn paged_rows<E, C, T, W, R, P>(
    conn: &C,
    select: Select<E>,
    parent_col: E::Column,
    id_col: E::Column,
    parents: &[i32],
    req: &PageRequest,
    rows_as: PageRows<W, R, P>,
) -> Result<HashMap<i32, Page<T>>>
where
    E: EntityTrait,
    E::Column: IdenStatic,
    C: ConnectionTrait + StreamTrait,
    W: Fn(Statement) -> Statement,
    R: Fn(&QueryResult, Decode) -> Result<T>,
    P: Fn(&T) -> i32,
{
    if req.last.is_some() || req.before.is_some() {
        return Err(AppError::invalid(
            "last",
            "nested lists page forward only (first/after)",
        ));
    }
    let n = paging::size("first", req.first)?.unwrap_or(paging::DEFAULT_PAGE_SIZE);
    let parents = unique(parents);
    let mut totals: HashMap<i32, i64> = HashMap::new();
    let mut rows: HashMap<i32, Vec<T>> = HashMap::new();
    let backend = ConnectionTrait::get_database_backend(conn);
    for chunk in parents.chunks(chunk_size(backend)) {
        if req.with_total {
            let counts: Vec<(i32, i64)> = select
                .clone()
                .filter(among::<E>(backend, parent_col, chunk))
                .select_only()
                .column(parent_col)
                .column_as(Expr::col(id_col).count(), "n")
                .group_by(parent_col)
                .into_tuple()
                .all(conn)
                .await?;
            totals.extend(counts);
        }
        let stmt = if backend == DbBackend::Postgres {
            lateral_pages(select.clone(), parent_col, id_col, chunk, req.after, n)
        } else {
            numbered_pages(
                select.clone(),
                parent_col,
                id_col,
                chunk,
                req.after,
                n,
                backend,
            )
        };
        // Streamed: each row is decoded as it arrives, so the raw rows of a large set of pages
        // are never all held at once next to their records. The rows come parent by parent: once
        // a parent's page is complete, its vector gives back the room its last doubling left
        // unused (in place, without a copy).
        let mut stream = std::pin::pin!(conn.stream_raw((rows_as.wrap)(stmt)).await?);
        let mut filling = None;
        let mut decode = Decode::Checked;
        while let Some(row) = stream.try_next().await? {
            let item = (rows_as.read)(&row, decode)?;
            decode = Decode::Trusted;
            let parent = (rows_as.parent_of)(&item);
            if filling != Some(parent) {
                if let Some(done) = filling.and_then(|p| rows.get_mut(&p)) {
                    done.shrink_to_fit();
                }
                filling = Some(parent);
            }
            rows.entry(parent).or_default().push(item);
        }
        if let Some(done) = filling.and_then(|p| rows.get_mut(&p)) {
            done.shrink_to_fit();
        }
    }
    Ok(parents
        .into_iter()
        .map(|p| {
            let mut items = rows.remove(&p).unwrap_or_default();
            let has_next = items.len() as u64 > n;
            items.truncate(n as usize);
            let page = Page {
                items,
                has_next,
                has_previous: req.after.is_some(),
                total: req
                    .with_total
                    .then(|| totals.get(&p).copied().unwrap_or(0) as u64),
                cursors: Vec::new(),
            };
            (p, page)
        })
        .collect())
}

/// PostgreSQL: each parent's first `n + 1` rows through a LATERAL join, so that each parent costs
/// one index range scan of `n + 1` rows (on `(parent, id)`), however many rows it has.
fn lateral_pages<E>(
    select: Select<E>,
    parent_col: E::Column,
    id_col: E::Column,
    parents: &[i32],
    after: Option<i32>,
    n: u64,
) -> Statement
where
    E: EntityTrait,
    E::Column: IdenStatic,
{
    let mut inner = select
        .filter(Expr::col((E::default(), parent_col)).eq(Expr::cust("\"paging_parent\".\"pid\"")));
    if let Some(after) = after {
        inner = inner.filter(id_col.gt(after));
    }
    let (inner_sql, mut values) = inner
        .order_by_asc(id_col)
        .limit(n + 1)
        .into_query()
        .build(PostgresQueryBuilder);
    let array_param = values.0.len() + 1;
    values.0.push(pg_int_array(parents).into());
    let sql = format!(
        "SELECT \"paged\".* FROM unnest(CAST(${array_param} AS int4[])) AS \"paging_parent\"(\"pid\") \
         CROSS JOIN LATERAL ({inner_sql}) AS \"paged\" ORDER BY \"paged\".\"{}\", \"paged\".\"{}\"",
        parent_col.as_str(),
        id_col.as_str()
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// SQLite (no LATERAL): number each parent's rows with `ROW_NUMBER() OVER (PARTITION BY parent
/// ORDER BY id)` and keep the first `n + 1`.
fn numbered_pages<E>(
    select: Select<E>,
    parent_col: E::Column,
    id_col: E::Column,
    parents: &[i32],
    after: Option<i32>,
    n: u64,
    backend: DbBackend,
) -> Statement
where
    E: EntityTrait,
    E::Column: IdenStatic,
{
    let mut inner = select.filter(among::<E>(backend, parent_col, parents));
    if let Some(after) = after {
        inner = inner.filter(id_col.gt(after));
    }
    let mut inner = inner.into_query();
    inner.expr_as(
        Expr::cust(format!(
            "ROW_NUMBER() OVER (PARTITION BY \"{}\" ORDER BY \"{}\")",
            parent_col.to_string(),
            id_col.to_string()
        )),
        Alias::new("paging_rn"),
    );
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("paged"))
        .and_where(Expr::col(Alias::new("paging_rn")).lte(n as i64 + 1))
        .order_by(Alias::new(parent_col.as_str()), Order::Asc)
        .order_by(Alias::new(id_col.as_str()), Order::Asc)
        .to_owned();
    backend.build(&outer)
}
