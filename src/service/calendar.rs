//! The calendar feed of course iterations (`GET /calendar/iterations.ics`): its filters, the
//! version its ETag stands for, and its rows, read page by page so that a feed of any size is
//! streamed, never held in memory.
//!
//! Policy: a feed carries no officer's personal data: an iteration's dates, place, capacity and
//! seats held, its course, and the course director's name and organisation where one is recorded
//! (never an email or phone number). A cancelled iteration stays in the feed, so that calendars
//! remove it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    course, course_iteration, enrollment,
    enums::{ContactRole, CourseTopic, IterationStatus},
    partner, point_of_contact,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};

/// Iterations read per page of the feed.
pub const PAGE: u64 = 500;
/// Bumped when the feed's rendering changes, so that calendars holding an old ETag reload.
const FEED_FORMAT: u32 = 1;

/// The feed's filters, resolved to ids; every one given applies.
#[derive(Debug, Default, Clone)]
pub struct FeedFilter {
    /// Iterations a partner's officers are (or were) enrolled in.
    pub partner_id: Option<i32>,
    pub topic: Option<CourseTopic>,
    pub course_id: Option<i32>,
    pub status: Option<IterationStatus>,
}

/// The filters as given in the URL (`partner`, `topic`, `course`, `status`), before they are
/// checked.
#[derive(Debug, Default, Clone)]
pub struct FeedParams {
    /// A partner's ISO 3166 alpha-3 code.
    pub partner: Option<String>,
    /// A course topic, e.g. `BORDER_SECURITY`.
    pub topic: Option<String>,
    /// A course's code.
    pub course: Option<String>,
    /// An iteration status, e.g. `OPEN`.
    pub status: Option<String>,
}

fn enum_value<E: ActiveEnum<Value = String>>(field: &str, text: &str) -> Result<E> {
    let upper = text.trim().to_ascii_uppercase();
    E::try_from_value(&upper).map_err(|_| {
        let known: Vec<String> = E::iter().map(|v| v.to_value()).collect();
        AppError::invalid(
            field,
            format!("'{}' is not one of {}", text.trim(), known.join(", ")),
        )
    })
}

/// Checks the filters: an unknown partner, course, topic or status is BAD_USER_INPUT naming it.
pub async fn resolve<C: ConnectionTrait>(conn: &C, params: &FeedParams) -> Result<FeedFilter> {
    let mut filter = FeedFilter::default();
    if let Some(code) = params.partner.as_deref() {
        let code = code.trim().to_ascii_uppercase();
        let found = partner::Entity::find()
            .filter(partner::Column::Code.eq(code.clone()))
            .one(conn)
            .await?
            .ok_or_else(|| {
                AppError::invalid("partner", format!("no partner has the code '{code}'"))
            })?;
        filter.partner_id = Some(found.id);
    }
    if let Some(code) = params.course.as_deref() {
        let code = code.trim().to_owned();
        let found = course::Entity::find()
            .filter(course::Column::Code.eq(code.clone()))
            .one(conn)
            .await?
            .ok_or_else(|| {
                AppError::invalid("course", format!("no course has the code '{code}'"))
            })?;
        filter.course_id = Some(found.id);
    }
    if let Some(topic) = params.topic.as_deref() {
        filter.topic = Some(enum_value::<CourseTopic>("topic", topic)?);
    }
    if let Some(status) = params.status.as_deref() {
        filter.status = Some(enum_value::<IterationStatus>("status", status)?);
    }
    Ok(filter)
}

/// The feed's entity tag: the same while nothing was committed (the change log's head) and the
/// filters are the same, another after any commit. Coarse (any change renews it) but never stale.
pub async fn etag<C: ConnectionTrait>(conn: &C, filter: &FeedFilter) -> Result<String> {
    let head = super::change_log::head_position(conn).await?;
    let basis = format!(
        "{FEED_FORMAT}|{head}|{:?}|{:?}|{:?}|{:?}",
        filter.partner_id,
        filter.topic.as_ref().map(ActiveEnum::to_value),
        filter.course_id,
        filter.status.as_ref().map(ActiveEnum::to_value),
    );
    let digest = hex::encode(Sha256::digest(basis.as_bytes()));
    Ok(format!("\"{}\"", &digest[..32]))
}

/// One iteration as the feed shows it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct FeedRow {
    pub id: i32,
    pub course_id: i32,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub location: String,
    pub capacity: i32,
    pub seats_held: i32,
    pub status: IterationStatus,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub course_code: String,
    pub course_title: String,
}

/// A page of the feed: iterations with ids above `after`, by id, and their course directors.
pub struct FeedPage {
    pub rows: Vec<FeedRow>,
    /// The course directors of each iteration (those recorded for the iteration, else for its
    /// course), as `Given Family (Organisation)`.
    pub directors: HashMap<i32, Vec<String>>,
}

pub async fn page<C: ConnectionTrait>(
    conn: &C,
    filter: &FeedFilter,
    after: i32,
) -> Result<FeedPage> {
    use course_iteration::Column as I;
    let mut q = course_iteration::Entity::find()
        .select_only()
        .columns([
            I::Id,
            I::CourseId,
            I::StartDate,
            I::EndDate,
            I::Location,
            I::Capacity,
            I::SeatsHeld,
            I::Status,
            I::Version,
            I::UpdatedAt,
        ])
        .column_as(course::Column::Code, "course_code")
        .column_as(course::Column::Title, "course_title")
        .join(
            JoinType::InnerJoin,
            course_iteration::Relation::Course.def(),
        )
        .filter(I::Id.gt(after))
        .order_by_asc(I::Id)
        .limit(PAGE);
    if let Some(id) = filter.course_id {
        q = q.filter(I::CourseId.eq(id));
    }
    if let Some(status) = filter.status {
        q = q.filter(I::Status.eq(status));
    }
    if let Some(topic) = filter.topic {
        q = q.filter(course::Column::Topic.eq(topic));
    }
    if let Some(partner_id) = filter.partner_id {
        q = q.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(enrollment::Entity)
                .and_where(
                    Expr::col((enrollment::Entity, enrollment::Column::IterationId))
                        .equals((course_iteration::Entity, I::Id)),
                )
                .and_where(
                    Expr::col((enrollment::Entity, enrollment::Column::PartnerId)).eq(partner_id),
                )
                .to_owned(),
        ));
    }
    let rows = q.into_model::<FeedRow>().all(conn).await?;
    let directors = directors(conn, &rows).await?;
    Ok(FeedPage { rows, directors })
}

async fn directors<C: ConnectionTrait>(
    conn: &C,
    rows: &[FeedRow],
) -> Result<HashMap<i32, Vec<String>>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    use point_of_contact::Column as P;
    let mut course_ids: Vec<i32> = rows.iter().map(|r| r.course_id).collect();
    course_ids.sort_unstable();
    course_ids.dedup();
    let contacts = point_of_contact::Entity::find()
        .filter(P::Role.eq(ContactRole::CourseDirector))
        .filter(
            sea_orm::Condition::any()
                .add(P::IterationId.is_in(rows.iter().map(|r| r.id)))
                .add(P::CourseId.is_in(course_ids)),
        )
        .order_by_asc(P::Id)
        .all(conn)
        .await?;
    let name = |c: &point_of_contact::Model| match c.organisation.as_deref() {
        Some(org) if !org.trim().is_empty() => {
            format!("{} {} ({})", c.given_name, c.family_name, org)
        }
        _ => format!("{} {}", c.given_name, c.family_name),
    };
    let mut by_iteration: HashMap<i32, Vec<String>> = HashMap::new();
    let mut by_course: HashMap<i32, Vec<String>> = HashMap::new();
    for c in &contacts {
        if let Some(id) = c.iteration_id {
            by_iteration.entry(id).or_default().push(name(c));
        } else if let Some(id) = c.course_id {
            by_course.entry(id).or_default().push(name(c));
        }
    }
    Ok(rows
        .iter()
        .filter_map(|r| {
            by_iteration
                .get(&r.id)
                .or_else(|| by_course.get(&r.course_id))
                .map(|names| (r.id, names.clone()))
        })
        .collect())
}
