//! Relations loaded for many parents at once, one function per nested field.

use std::collections::HashMap;

use entity::{
    activity, course_iteration, enrollment, enums::CycleStatus, enums::EnrollmentStatus, objective,
    officer, partnership_milestone, programme_cycle,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryResult, Statement, StreamTrait,
};

use super::{children, paged_children, paged_rows, PageRows};
use crate::error::Result;
use crate::service::paging::{Page, PageRequest};
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
