//! The links between iterations and the objectives they serve, and the indicator counts over them.

use std::collections::HashMap;

use entity::{course_iteration, enrollment, enums::EnrollmentStatus, iteration_objective};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};

use super::{among, chunk_size, unique};
use crate::error::Result;

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
