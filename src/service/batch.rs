//! Batch loading for nested fields: one statement for many parents, so a nested GraphQL query costs a
//! number of statements that follows its depth, not its row count.
//!
//! - `by_ids`: the records with these ids (`WHERE id IN (...)`).
//! - `children`: every child of these parents (`WHERE parent_id IN (...)`), in id order.
//! - `paged_children`: one Relay page per parent in a single statement, numbering each parent's rows
//!   with `ROW_NUMBER() OVER (PARTITION BY parent ORDER BY id)` (SQLite >= 3.25 and PostgreSQL) and
//!   keeping the first `n + 1`; the totals per parent come from one grouped count when asked for.

use std::collections::HashMap;

use entity::{enrollment, enums::EnrollmentStatus, iteration_objective};
use sea_orm::{
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Order, Query},
    ColumnTrait, ConnectionTrait, EntityTrait, Iden, IdenStatic, JoinType, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, Select,
};

use super::paging::{self, Page, PageRequest};
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
    let mut out = HashMap::new();
    for chunk in unique(ids).chunks(CHUNK) {
        let rows = E::find()
            .filter(id_col.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
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
    let mut out: HashMap<i32, Vec<E::Model>> = HashMap::new();
    for chunk in unique(parents).chunks(CHUNK) {
        let mut q = select
            .clone()
            .filter(parent_col.is_in(chunk.iter().copied()));
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
    C: ConnectionTrait,
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
    let mut rows: HashMap<i32, Vec<E::Model>> = HashMap::new();
    for chunk in parents.chunks(CHUNK) {
        let scoped = select
            .clone()
            .filter(parent_col.is_in(chunk.iter().copied()));
        if req.with_total {
            let counts: Vec<(i32, i64)> = scoped
                .clone()
                .select_only()
                .column(parent_col)
                .column_as(Expr::col(id_col).count(), "n")
                .group_by(parent_col)
                .into_tuple()
                .all(conn)
                .await?;
            totals.extend(counts);
        }
        let mut inner = scoped;
        if let Some(after) = req.after {
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
        let stmt = conn.get_database_backend().build(&outer);
        for m in E::find().from_raw_sql(stmt).all(conn).await? {
            rows.entry(parent_of(&m)).or_default().push(m);
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

/// The objectives each iteration serves (ids), per iteration.
pub async fn objective_ids_by_iteration<C: ConnectionTrait>(
    conn: &C,
    iterations: &[i32],
) -> Result<HashMap<i32, Vec<i32>>> {
    link_pairs(
        conn,
        iteration_objective::Column::IterationId,
        iterations,
        false,
    )
    .await
}

/// The iterations serving each objective (ids), per objective.
pub async fn iteration_ids_by_objective<C: ConnectionTrait>(
    conn: &C,
    objectives: &[i32],
) -> Result<HashMap<i32, Vec<i32>>> {
    link_pairs(
        conn,
        iteration_objective::Column::ObjectiveId,
        objectives,
        true,
    )
    .await
}

async fn link_pairs<C: ConnectionTrait>(
    conn: &C,
    key_col: iteration_objective::Column,
    keys: &[i32],
    by_objective: bool,
) -> Result<HashMap<i32, Vec<i32>>> {
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    for chunk in unique(keys).chunks(CHUNK) {
        let pairs: Vec<(i32, i32)> = iteration_objective::Entity::find()
            .select_only()
            .column(iteration_objective::Column::IterationId)
            .column(iteration_objective::Column::ObjectiveId)
            .filter(key_col.is_in(chunk.iter().copied()))
            .order_by_asc(iteration_objective::Column::IterationId)
            .order_by_asc(iteration_objective::Column::ObjectiveId)
            .into_tuple()
            .all(conn)
            .await?;
        for (iteration, objective) in pairs {
            let (key, value) = if by_objective {
                (objective, iteration)
            } else {
                (iteration, objective)
            };
            out.entry(key).or_default().push(value);
        }
    }
    Ok(out)
}

/// Indicator actual per objective: distinct officers who COMPLETED an iteration serving it.
pub async fn officers_completed_by_objective<C: ConnectionTrait>(
    conn: &C,
    objectives: &[i32],
) -> Result<HashMap<i32, i64>> {
    let mut out = HashMap::new();
    for chunk in unique(objectives).chunks(CHUNK) {
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
            .filter(iteration_objective::Column::ObjectiveId.is_in(chunk.iter().copied()))
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
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

    use super::{children, paged_children, Page, PageRequest};
    use crate::error::Result;

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
    pub async fn enrollments_by_iteration<C: ConnectionTrait>(
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

    /// A page of enrollments per officer.
    pub async fn enrollments_by_officer<C: ConnectionTrait>(
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
    pub async fn activities_by_cycle<C: ConnectionTrait>(
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
    pub async fn iterations_by_course<C: ConnectionTrait>(
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
    pub async fn officers_by_partner<C: ConnectionTrait>(
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
