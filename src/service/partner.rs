//! Partner nations.

use entity::partner::{self, ActiveModel, Column, Entity};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
};

use super::paging::SortKey;
use super::validate::Text;
use super::{find, now, paging, update_versioned, validate, Page, PageRequest};

/// The free-text fields and their longest values.
const NAME: Text = Text::new("name", 200);
const NOTES: Text = Text::new("notes", 4000);
use crate::error::Result;

pub struct NewPartner {
    pub code: String,
    pub name: String,
    pub notes: Option<String>,
}

#[derive(Default)]
pub struct PartnerChanges {
    pub name: Option<String>,
    pub notes: Option<Option<String>>,
}

/// What the list can be ordered by (the id is always the tie-breaker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PartnerOrderField {
    #[default]
    Id,
    Code,
    Name,
}

#[derive(Default)]
pub struct PartnerFilter {
    /// Case-insensitive search in name and code.
    pub search: Option<String>,
    /// Order of the list (default: by id, ascending).
    pub order: paging::ListOrder<PartnerOrderField>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<partner::Model> {
    find::<Entity, _>(conn, "partner", Column::Id, id).await
}

pub async fn by_code<C: ConnectionTrait>(conn: &C, code: &str) -> Result<partner::Model> {
    let code = validate::iso_alpha3("code", code)?;
    Entity::find()
        .filter(Column::Code.eq(code.clone()))
        .one(conn)
        .await?
        .ok_or_else(|| crate::error::AppError::not_found("partner", code))
}

/// Which partner a request names.
pub enum PartnerKey<'a> {
    Id(i32),
    Code(&'a str),
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: PartnerFilter,
    req: &PageRequest,
) -> Result<Page<partner::Model>> {
    let mut q = Entity::find();
    if let Some(s) = super::search_text(filter.search)? {
        q = q.filter(
            Condition::any()
                .add(super::contains((Entity, Column::Name), &s))
                .add(super::contains((Entity, Column::Code), &s)),
        );
    }
    let desc = filter.order.descending;
    let sort = match filter.order.field {
        PartnerOrderField::Id => paging::Sort::by_id(desc),
        PartnerOrderField::Code => paging::Sort::text(
            Column::Code,
            |m: &<Entity as EntityTrait>::Model| SortKey::Text(m.code.clone()),
            desc,
        ),
        PartnerOrderField::Name => paging::Sort::text(
            Column::Name,
            |m: &<Entity as EntityTrait>::Model| SortKey::Text(m.name.clone()),
            desc,
        ),
    };
    paging::page_sorted(conn, q, Column::Id, sort, req).await
}

pub async fn create<C: ConnectionTrait>(conn: &C, input: NewPartner) -> Result<partner::Model> {
    let at = now();
    let model = ActiveModel {
        code: Set(validate::iso_alpha3("code", &input.code)?),
        name: Set(NAME.check(&input.name)?),
        notes: Set(NOTES.check_optional(input.notes)?),
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
    changes: PartnerChanges,
) -> Result<partner::Model> {
    let mut am = ActiveModel::default();
    if let Some(name) = changes.name {
        am.name = Set(NAME.check(&name)?);
    }
    if let Some(notes) = changes.notes {
        am.notes = Set(NOTES.check_optional(notes)?);
    }
    update_versioned::<Entity, _>(
        conn,
        "partner",
        (Column::Id, Column::Version, Column::UpdatedAt),
        id,
        version,
        am,
    )
    .await
}
