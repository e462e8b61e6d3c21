//! Officers of partner nations' services. Personal data: the API decides who sees names.

use entity::{
    enums::Service,
    officer::{self, ActiveModel, Column, Entity},
};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::validate::Text;
use super::{find, now, paging, partner, slp, update_versioned, Page, PageRequest};
use crate::error::Result;

const ENTITY: &str = "officer";
/// The free-text fields and their longest values.
const FAMILY_NAME: Text = Text::new("familyName", 120);
const GIVEN_NAME: Text = Text::new("givenName", 120);
const RANK: Text = Text::new("rank", 60);
const POSITION: Text = Text::new("position", 200);

pub struct NewOfficer {
    pub partner_id: i32,
    pub family_name: String,
    pub given_name: String,
    pub rank: String,
    pub service: Service,
    pub position: Option<String>,
    pub slp: Option<String>,
}

#[derive(Default)]
pub struct OfficerChanges {
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub rank: Option<String>,
    pub service: Option<Service>,
    pub position: Option<Option<String>>,
    pub slp: Option<Option<String>>,
}

#[derive(Default)]
pub struct OfficerFilter {
    pub partner_id: Option<i32>,
    pub service: Option<Service>,
    pub rank: Option<String>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<officer::Model> {
    find::<Entity, _>(conn, ENTITY, Column::Id, id).await
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: OfficerFilter,
    req: &PageRequest,
) -> Result<Page<officer::Model>> {
    let mut q = Entity::find();
    if let Some(p) = filter.partner_id {
        q = q.filter(Column::PartnerId.eq(p));
    }
    if let Some(s) = filter.service {
        q = q.filter(Column::Service.eq(s));
    }
    if let Some(r) = filter.rank {
        q = q.filter(Column::Rank.eq(r));
    }
    paging::page(conn, q, Column::Id, req).await
}

fn profile(value: Option<String>) -> Result<Option<String>> {
    value
        .filter(|s| !s.trim().is_empty())
        .map(|s| slp::normalise("slp", &s))
        .transpose()
}

pub async fn create<C: ConnectionTrait>(conn: &C, input: NewOfficer) -> Result<officer::Model> {
    partner::get(conn, input.partner_id).await?;
    let at = now();
    let model = ActiveModel {
        partner_id: Set(input.partner_id),
        family_name: Set(FAMILY_NAME.check(&input.family_name)?),
        given_name: Set(GIVEN_NAME.check(&input.given_name)?),
        rank: Set(RANK.check(&input.rank)?),
        service: Set(input.service),
        position: Set(POSITION.check_optional(input.position)?),
        slp: Set(profile(input.slp)?),
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
    changes: OfficerChanges,
) -> Result<officer::Model> {
    let mut am = ActiveModel::default();
    if let Some(v) = changes.family_name {
        am.family_name = Set(FAMILY_NAME.check(&v)?);
    }
    if let Some(v) = changes.given_name {
        am.given_name = Set(GIVEN_NAME.check(&v)?);
    }
    if let Some(v) = changes.rank {
        am.rank = Set(RANK.check(&v)?);
    }
    if let Some(v) = changes.service {
        am.service = Set(v);
    }
    if let Some(v) = changes.position {
        am.position = Set(POSITION.check_optional(v)?);
    }
    if let Some(v) = changes.slp {
        am.slp = Set(profile(v)?);
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
