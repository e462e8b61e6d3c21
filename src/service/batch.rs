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

use std::collections::HashMap;

use futures_util::TryStreamExt;

use entity::{course_iteration, enrollment, enums::EnrollmentStatus, iteration_objective};
use sea_orm::{
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Order, PostgresQueryBuilder, Query, SimpleExpr},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Iden, IdenStatic,
    JoinType, QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, RelationTrait, Select,
    Statement, StreamTrait,
};

use super::paging::{self, Page, PageRequest};
use super::rows::Decode;
use crate::error::{AppError, Result};

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

/// The iterations serving each objective, in creation (id) order, per objective: the links and
/// their iterations in one statement.
pub async fn iterations_by_objective<C: ConnectionTrait>(
    conn: &C,
    objectives: &[i32],
) -> Result<HashMap<i32, Vec<course_iteration::Model>>> {
    let backend = conn.get_database_backend();
    let mut out: HashMap<i32, Vec<course_iteration::Model>> = HashMap::new();
    for chunk in unique(objectives).chunks(chunk_size(backend)) {
        let rows = iteration_objective::Entity::find()
            .join(
                JoinType::InnerJoin,
                iteration_objective::Relation::CourseIteration.def(),
            )
            .select_also(course_iteration::Entity)
            .filter(among::<iteration_objective::Entity>(
                backend,
                iteration_objective::Column::ObjectiveId,
                chunk,
            ))
            .order_by_asc(iteration_objective::Column::IterationId)
            .all(conn)
            .await?;
        for (link, iteration) in rows {
            if let Some(iteration) = iteration {
                out.entry(link.objective_id).or_default().push(iteration);
            }
        }
    }
    Ok(out)
}

/// The objectives each iteration serves (ids), per iteration.
pub async fn objective_ids_by_iteration<C: ConnectionTrait>(
    conn: &C,
    iterations: &[i32],
) -> Result<HashMap<i32, Vec<i32>>> {
    let backend = conn.get_database_backend();
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    for chunk in unique(iterations).chunks(chunk_size(backend)) {
        let pairs: Vec<(i32, i32)> = iteration_objective::Entity::find()
            .select_only()
            .column(iteration_objective::Column::IterationId)
            .column(iteration_objective::Column::ObjectiveId)
            .filter(among::<iteration_objective::Entity>(
                backend,
                iteration_objective::Column::IterationId,
                chunk,
            ))
            .order_by_asc(iteration_objective::Column::IterationId)
            .order_by_asc(iteration_objective::Column::ObjectiveId)
            .into_tuple()
            .all(conn)
            .await?;
        for (iteration, objective) in pairs {
            out.entry(iteration).or_default().push(objective);
        }
    }
    Ok(out)
}

/// Indicator actual per objective: distinct officers who COMPLETED an iteration serving it.
pub async fn officers_completed_by_objective<C: ConnectionTrait>(
    conn: &C,
    objectives: &[i32],
) -> Result<HashMap<i32, i64>> {
    let backend = conn.get_database_backend();
    let mut out = HashMap::new();
    for chunk in unique(objectives).chunks(chunk_size(backend)) {
        let counts: Vec<(i32, i64)> = enrollment::Entity::find()
            .select_only()
            .column(iteration_objective::Column::ObjectiveId)
            .column_as(
                Expr::col((enrollment::Entity, enrollment::Column::OfficerId)).count_distinct(),
                "n",
            )
            .join(
                JoinType::InnerJoin,
                enrollment::Relation::CourseIteration.def(),
            )
            .join_rev(
                JoinType::InnerJoin,
                iteration_objective::Relation::CourseIteration.def(),
            )
            .filter(among::<iteration_objective::Entity>(
                backend,
                iteration_objective::Column::ObjectiveId,
                chunk,
            ))
            .filter(enrollment::Column::Status.eq(EnrollmentStatus::Completed))
            .group_by(iteration_objective::Column::ObjectiveId)
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(counts);
    }
    Ok(out)
}

/// Relations loaded for many parents at once, one function per nested field.
pub mod relation {
    use std::collections::HashMap;

    use entity::{
        activity, course_iteration, enrollment, enums::CycleStatus, enums::EnrollmentStatus,
        objective, officer, partnership_milestone, programme_cycle,
    };
    use sea_orm::{
        ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryResult, Statement, StreamTrait,
    };

    use super::{children, paged_children, paged_rows, Page, PageRequest, PageRows};
    use crate::error::Result;
    use crate::service::rows::{self, Decode, ReadAt};

    /// Partners' cycles, oldest first.
    pub async fn cycles_by_partner<C: ConnectionTrait>(
        conn: &C,
        partners: &[i32],
    ) -> Result<HashMap<i32, Vec<programme_cycle::Model>>> {
        use programme_cycle::{Column, Entity};
        children(
            conn,
            Entity::find(),
            Column::PartnerId,
            &[Column::StartDate, Column::Id],
            partners,
            |m| Some(m.partner_id),
        )
        .await
    }

    /// Partners' ACTIVE cycle (at most one each).
    pub async fn active_cycle_by_partner<C: ConnectionTrait>(
        conn: &C,
        partners: &[i32],
    ) -> Result<HashMap<i32, Vec<programme_cycle::Model>>> {
        use programme_cycle::{Column, Entity};
        children(
            conn,
            Entity::find().filter(Column::Status.eq(CycleStatus::Active)),
            Column::PartnerId,
            &[Column::Id],
            partners,
            |m| Some(m.partner_id),
        )
        .await
    }

    /// The cycle renewing each cycle (at most one each).
    pub async fn successor_by_cycle<C: ConnectionTrait>(
        conn: &C,
        cycles: &[i32],
    ) -> Result<HashMap<i32, Vec<programme_cycle::Model>>> {
        use programme_cycle::{Column, Entity};
        children(
            conn,
            Entity::find(),
            Column::RenewsCycleId,
            &[Column::Id],
            cycles,
            |m| m.renews_cycle_id,
        )
        .await
    }

    /// Partners' milestones in date order.
    pub async fn milestones_by_partner<C: ConnectionTrait>(
        conn: &C,
        partners: &[i32],
    ) -> Result<HashMap<i32, Vec<partnership_milestone::Model>>> {
        use partnership_milestone::{Column, Entity};
        children(
            conn,
            Entity::find(),
            Column::PartnerId,
            &[Column::OccurredOn, Column::Id],
            partners,
            |m| Some(m.partner_id),
        )
        .await
    }

    /// Cycles' objectives in creation order.
    pub async fn objectives_by_cycle<C: ConnectionTrait>(
        conn: &C,
        cycles: &[i32],
    ) -> Result<HashMap<i32, Vec<objective::Model>>> {
        use objective::{Column, Entity};
        children(
            conn,
            Entity::find(),
            Column::CycleId,
            &[Column::Id],
            cycles,
            |m| Some(m.cycle_id),
        )
        .await
    }

    /// A page of enrollments per iteration, optionally in one status.
    pub async fn enrollments_by_iteration<C: ConnectionTrait + StreamTrait>(
        conn: &C,
        iterations: &[i32],
        req: &PageRequest,
        status: Option<EnrollmentStatus>,
    ) -> Result<HashMap<i32, Page<enrollment::Model>>> {
        use enrollment::{Column, Entity};
        let mut q = Entity::find();
        if let Some(s) = status {
            q = q.filter(Column::Status.eq(s));
        }
        paged_children(
            conn,
            q,
            Column::IterationId,
            Column::Id,
            iterations,
            req,
            |m| m.iteration_id,
        )
        .await
    }

    /// A page of enrollments per iteration, each with its officer, in the same statement (joined
    /// to the page): a list that shows the officers then has no level of officer lookups below it.
    pub async fn enrollments_with_officers_by_iteration<C: ConnectionTrait + StreamTrait>(
        conn: &C,
        iterations: &[i32],
        req: &PageRequest,
        status: Option<EnrollmentStatus>,
    ) -> Result<HashMap<i32, Page<(enrollment::Model, officer::Model)>>> {
        use enrollment::{Column, Entity};
        let mut q = Entity::find();
        if let Some(s) = status {
            q = q.filter(Column::Status.eq(s));
        }
        // The enrollment's columns, then the officer's, each in its entity's column order, so that
        // both are read by position (`ReadAt`).
        let columns = format!(
            "{}, {}",
            rows::column_list::<Entity>("paged_row", ""),
            rows::column_list::<officer::Entity>("officer", "officer__")
        );
        let officer_at = rows::column_count::<Entity>();
        let joined = PageRows {
            wrap: |stmt: Statement| Statement {
                sql: format!(
                    "SELECT {columns} FROM ({}) AS \"paged_row\" \
                     JOIN \"officer\" ON \"officer\".\"id\" = \"paged_row\".\"officer_id\" \
                     ORDER BY \"paged_row\".\"iteration_id\", \"paged_row\".\"id\"",
                    stmt.sql
                ),
                ..stmt
            },
            read: |row: &QueryResult, decode: Decode| {
                Ok((
                    enrollment::Model::read_at(row, 0, decode)?,
                    officer::Model::read_at(row, officer_at, decode)?,
                ))
            },
            parent_of: |(e, _): &(enrollment::Model, officer::Model)| e.iteration_id,
        };
        paged_rows(
            conn,
            q,
            Column::IterationId,
            Column::Id,
            iterations,
            req,
            joined,
        )
        .await
    }

    /// A page of enrollments per officer.
    pub async fn enrollments_by_officer<C: ConnectionTrait + StreamTrait>(
        conn: &C,
        officers: &[i32],
        req: &PageRequest,
    ) -> Result<HashMap<i32, Page<enrollment::Model>>> {
        use enrollment::{Column, Entity};
        paged_children(
            conn,
            Entity::find(),
            Column::OfficerId,
            Column::Id,
            officers,
            req,
            |m| m.officer_id,
        )
        .await
    }

    /// A page of activities per cycle.
    pub async fn activities_by_cycle<C: ConnectionTrait + StreamTrait>(
        conn: &C,
        cycles: &[i32],
        req: &PageRequest,
    ) -> Result<HashMap<i32, Page<activity::Model>>> {
        use activity::{Column, Entity};
        paged_children(
            conn,
            Entity::find(),
            Column::CycleId,
            Column::Id,
            cycles,
            req,
            |m| m.cycle_id,
        )
        .await
    }

    /// A page of iterations per course.
    pub async fn iterations_by_course<C: ConnectionTrait + StreamTrait>(
        conn: &C,
        courses: &[i32],
        req: &PageRequest,
    ) -> Result<HashMap<i32, Page<course_iteration::Model>>> {
        use course_iteration::{Column, Entity};
        paged_children(
            conn,
            Entity::find(),
            Column::CourseId,
            Column::Id,
            courses,
            req,
            |m| m.course_id,
        )
        .await
    }

    /// A page of officers per partner.
    pub async fn officers_by_partner<C: ConnectionTrait + StreamTrait>(
        conn: &C,
        partners: &[i32],
        req: &PageRequest,
    ) -> Result<HashMap<i32, Page<officer::Model>>> {
        use officer::{Column, Entity};
        paged_children(
            conn,
            Entity::find(),
            Column::PartnerId,
            Column::Id,
            partners,
            req,
            |m| m.partner_id,
        )
        .await
    }
}
