//! Partner nations.

use std::sync::OnceLock;

use entity::{
    enums::CycleStatus,
    partner::{self, ActiveModel, Column, Entity},
    programme_cycle,
};
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    QueryFilter, Statement, Value,
};

use super::paging::SortKey;
use super::rows::{self, Decode, ReadAt};
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

/// Which partner `with_active_cycle` looks for.
pub enum PartnerKey<'a> {
    Id(i32),
    Code(&'a str),
}

/// A partner with its ACTIVE cycle, if any, in one statement (a LEFT JOIN on the one-ACTIVE-cycle
/// index): for a request that asks for both, one round trip instead of two.
///
/// The dashboards' most frequent question, so its statement is written once per backend and key
/// (not built by sea-query for every request) and its row read by position (`rows::ReadAt`):
/// bench/HISTORY.md, session 8.
pub async fn with_active_cycle<C: ConnectionTrait>(
    conn: &C,
    key: PartnerKey<'_>,
) -> Result<(partner::Model, Option<programme_cycle::Model>)> {
    let backend = conn.get_database_backend();
    let (value, missing, by_code) = match key {
        PartnerKey::Id(id) => (Value::from(id), id.to_string(), false),
        PartnerKey::Code(code) => {
            let code = validate::iso_alpha3("code", code)?;
            (Value::from(code.clone()), code, true)
        }
    };
    let stmt = Statement::from_sql_and_values(
        backend,
        with_active_cycle_sql(backend, by_code),
        [Value::from(CycleStatus::Active.into_value()), value],
    );
    let row = conn
        .query_one_raw(stmt)
        .await?
        .ok_or_else(|| crate::error::AppError::not_found("partner", missing))?;
    let partner = partner::Model::read_at(&row, 0, Decode::Checked)?;
    let cycle_at = rows::column_count::<Entity>();
    // No ACTIVE cycle: the LEFT JOIN leaves every cycle column NULL.
    let cycle: Option<i32> = row.try_get_by_index(cycle_at)?;
    let cycle = match cycle {
        Some(_) => Some(programme_cycle::Model::read_at(
            &row,
            cycle_at,
            Decode::Checked,
        )?),
        None => None,
    };
    Ok((partner, cycle))
}

/// The statement of `with_active_cycle` (parameters: the ACTIVE status, then the key).
fn with_active_cycle_sql(backend: DbBackend, by_code: bool) -> String {
    static WRITTEN: [OnceLock<String>; 4] = [const { OnceLock::new() }; 4];
    let postgres = backend == DbBackend::Postgres;
    WRITTEN[usize::from(postgres) * 2 + usize::from(by_code)]
        .get_or_init(|| {
            let (status, key) = if postgres { ("$1", "$2") } else { ("?", "?") };
            format!(
                "SELECT {}, {} FROM \"partner\" LEFT JOIN \"programme_cycle\" \
                 ON \"programme_cycle\".\"partner_id\" = \"partner\".\"id\" \
                 AND \"programme_cycle\".\"status\" = {status} \
                 WHERE \"partner\".\"{}\" = {key} LIMIT 1",
                rows::column_list::<Entity>("partner", ""),
                rows::column_list::<programme_cycle::Entity>("programme_cycle", "cycle__"),
                if by_code { "code" } else { "id" },
            )
        })
        .clone()
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
