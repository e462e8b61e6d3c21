//! Cooperation areas: the headings of a programme (education and training, SPS, ...).

use entity::cooperation_area::{self, ActiveModel, Column, Entity};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{find, now, paging, update_versioned, validate, Page, PageRequest};
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
        name: Set(validate::text("name", &input.name, 200)?),
        name_fr: Set(input
            .name_fr
            .map(|n| validate::text("nameFr", &n, 200))
            .transpose()?),
        description: Set(validate::text("description", &input.description, 4000)?),
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
        am.name = Set(validate::text("name", &name, 200)?);
    }
    if let Some(name_fr) = changes.name_fr {
        am.name_fr = Set(name_fr
            .map(|n| validate::text("nameFr", &n, 200))
            .transpose()?);
    }
    if let Some(d) = changes.description {
        am.description = Set(validate::text("description", &d, 4000)?);
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
