//! Cooperation areas: the headings of a programme (education and training, SPS, ...).

use entity::cooperation_area::{self, ActiveModel, Column, Entity};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::validate::Text;
use super::{find, now, paging, update_versioned, validate, Page, PageRequest};

/// The free-text fields and their longest values.
const NAME: Text = Text::new("name", 200);
const NAME_FR: Text = Text::new("nameFr", 200);
const DESCRIPTION: Text = Text::new("description", 4000);
use crate::error::{AppError, Result};

pub struct NewArea {
    pub code: String,
    pub name: String,
    /// French name (the other official NATO language).
    pub name_fr: Option<String>,
    pub description: String,
}

#[derive(Default)]
pub struct AreaChanges {
    pub name: Option<String>,
    /// None leaves it, Some(None) clears it.
    pub name_fr: Option<Option<String>>,
    pub description: Option<String>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<cooperation_area::Model> {
    find::<Entity, _>(conn, "cooperation area", Column::Id, id).await
}

pub async fn by_code<C: ConnectionTrait>(conn: &C, code: &str) -> Result<cooperation_area::Model> {
    let code = validate::code("code", code, 32)?;
    Entity::find()
        .filter(Column::Code.eq(code.clone()))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("cooperation area", code))
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    req: &PageRequest,
) -> Result<Page<cooperation_area::Model>> {
    paging::page(conn, Entity::find(), Column::Id, req).await
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    input: NewArea,
) -> Result<cooperation_area::Model> {
    let at = now();
    let model = ActiveModel {
        code: Set(validate::code("code", &input.code, 32)?),
        name: Set(NAME.check(&input.name)?),
        name_fr: Set(input.name_fr.map(|n| NAME_FR.check(&n)).transpose()?),
        description: Set(DESCRIPTION.check(&input.description)?),
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
    changes: AreaChanges,
) -> Result<cooperation_area::Model> {
    let mut am = ActiveModel::default();
    if let Some(name) = changes.name {
        am.name = Set(NAME.check(&name)?);
    }
    if let Some(name_fr) = changes.name_fr {
        am.name_fr = Set(name_fr.map(|n| NAME_FR.check(&n)).transpose()?);
    }
    if let Some(d) = changes.description {
        am.description = Set(DESCRIPTION.check(&d)?);
    }
    update_versioned::<Entity, _>(
        conn,
        "cooperation area",
        (Column::Id, Column::Version, Column::UpdatedAt),
        id,
        version,
        am,
    )
    .await
}
