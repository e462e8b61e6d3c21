//! The course catalogue (ETOC entries).

use entity::{
    course::{self, ActiveModel, Column, Entity},
    enums::{CourseTopic, Delivery},
};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::paging::SortKey;
use super::validate::Text;
use super::{find, now, paging, slp, update_versioned, validate, Page, PageRequest};
use crate::error::{AppError, Result};

const ENTITY: &str = "course";
/// The free-text fields and their longest values.
const TITLE: Text = Text::new("title", 300);
const ORGANISER: Text = Text::new("organiser", 200);

pub struct NewCourse {
    pub code: String,
    pub title: String,
    pub topic: CourseTopic,
    pub organiser: String,
    pub delivery: Delivery,
    pub duration_days: i32,
    pub min_slp: Option<String>,
    /// Partnership Cooperation Menu code (optional, unique).
    pub pcm_code: Option<String>,
    /// ETOC code (optional, unique).
    pub etoc_code: Option<String>,
}

#[derive(Default)]
pub struct CourseChanges {
    pub title: Option<String>,
    pub topic: Option<CourseTopic>,
    pub organiser: Option<String>,
    pub delivery: Option<Delivery>,
    pub duration_days: Option<i32>,
    pub min_slp: Option<Option<String>>,
    pub pcm_code: Option<Option<String>>,
    pub etoc_code: Option<Option<String>>,
}

/// What the list can be ordered by (the id is always the tie-breaker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CourseOrderField {
    #[default]
    Id,
    Code,
    Title,
}

#[derive(Default)]
pub struct CourseFilter {
    pub topic: Option<CourseTopic>,
    pub organiser: Option<String>,
    pub delivery: Option<Delivery>,
    /// Case-insensitive search in the title and code.
    pub search: Option<String>,
    /// Order of the list (default: by id, ascending).
    pub order: paging::ListOrder<CourseOrderField>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<course::Model> {
    find::<Entity, _>(conn, ENTITY, Column::Id, id).await
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: CourseFilter,
    req: &PageRequest,
) -> Result<Page<course::Model>> {
    let mut q = Entity::find();
    if let Some(t) = filter.topic {
        q = q.filter(Column::Topic.eq(t));
    }
    if let Some(d) = filter.delivery {
        q = q.filter(Column::Delivery.eq(d));
    }
    if let Some(o) = filter.organiser {
        q = q.filter(Column::Organiser.eq(o));
    }
    if let Some(s) = super::search_text(filter.search)? {
        q = q.filter(
            sea_orm::Condition::any()
                .add(super::contains((Entity, Column::Title), &s))
                .add(super::contains((Entity, Column::Code), &s)),
        );
    }
    let desc = filter.order.descending;
    let sort = match filter.order.field {
        CourseOrderField::Id => paging::Sort::by_id(desc),
        CourseOrderField::Code => paging::Sort::text(
            Column::Code,
            |m: &<Entity as EntityTrait>::Model| SortKey::Text(m.code.clone()),
            desc,
        ),
        CourseOrderField::Title => paging::Sort::text(
            Column::Title,
            |m: &<Entity as EntityTrait>::Model| SortKey::Text(m.title.clone()),
            desc,
        ),
    };
    paging::page_sorted(conn, q, Column::Id, sort, req).await
}

fn duration(days: i32) -> Result<i32> {
    if !(1..=3650).contains(&days) {
        return Err(AppError::invalid(
            "durationDays",
            "must be between 1 and 3650 days",
        ));
    }
    Ok(days)
}

fn min_slp(value: Option<String>) -> Result<Option<String>> {
    value
        .filter(|s| !s.trim().is_empty())
        .map(|s| slp::normalise("minSlp", &s))
        .transpose()
}

/// A catalogue code (PCM, ETOC): 1 to 40 letters, digits, `.`, `-`, `_` or `/`, starting with a
/// letter or a digit (a code, not a path such as `../../etc/passwd`), upper-cased; empty means
/// none.
fn catalogue_code(field: &str, value: Option<String>) -> Result<Option<String>> {
    let Some(v) = value
        .map(|v| v.trim().to_uppercase())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    if v.len() > 40
        || !v.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
    {
        return Err(AppError::invalid(
            field,
            format!(
                "'{v}' is not a catalogue code (at most 40 letters, digits, '.', '-', '_', '/', starting with a letter or a digit)"
            ),
        ));
    }
    Ok(Some(v))
}

pub async fn create<C: ConnectionTrait>(conn: &C, input: NewCourse) -> Result<course::Model> {
    let at = now();
    let model = ActiveModel {
        code: Set(validate::code("code", &input.code, 32)?),
        title: Set(TITLE.check(&input.title)?),
        topic: Set(input.topic),
        organiser: Set(ORGANISER.check(&input.organiser)?),
        delivery: Set(input.delivery),
        duration_days: Set(duration(input.duration_days)?),
        min_slp: Set(min_slp(input.min_slp)?),
        pcm_code: Set(catalogue_code("pcmCode", input.pcm_code)?),
        etoc_code: Set(catalogue_code("etocCode", input.etoc_code)?),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    Ok(Entity::insert(model).exec_with_returning(conn).await?)
}

pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: i32,
    version: i32,
    changes: CourseChanges,
) -> Result<course::Model> {
    let mut am = ActiveModel::default();
    if let Some(t) = changes.title {
        am.title = Set(TITLE.check(&t)?);
    }
    if let Some(t) = changes.topic {
        am.topic = Set(t);
    }
    if let Some(o) = changes.organiser {
        am.organiser = Set(ORGANISER.check(&o)?);
    }
    if let Some(d) = changes.delivery {
        am.delivery = Set(d);
    }
    if let Some(d) = changes.duration_days {
        am.duration_days = Set(duration(d)?);
    }
    if let Some(s) = changes.min_slp {
        am.min_slp = Set(min_slp(s)?);
    }
    if let Some(c) = changes.pcm_code {
        am.pcm_code = Set(catalogue_code("pcmCode", c)?);
    }
    if let Some(c) = changes.etoc_code {
        am.etoc_code = Set(catalogue_code("etocCode", c)?);
    }
    update_versioned::<Entity, _>(
        conn,
        ENTITY,
        (Column::Id, Column::Version, Column::UpdatedAt),
        id,
        version,
        am,
    )
    .await
}
