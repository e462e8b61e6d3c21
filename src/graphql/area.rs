//! Cooperation areas.

use super::auth::{write, Allow};
use crate::service::auth::Access;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use entity::cooperation_area;

use super::{connection, db, page_request, parse_id, Conn};
use crate::{
    error::{AppError, Result},
    service,
};

/// A heading of the programme: capacity building, education and training, civil preparedness, SPS, ...
pub struct CooperationArea(pub cooperation_area::Model);

#[Object]
impl CooperationArea {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Stable code, e.g. CIVIL_PREPAREDNESS.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Name, in English unless `lang` asks for French (English when no French name is recorded).
    async fn name(
        &self,
        #[graphql(desc = "Language.", default_with = "super::report::Language::En")]
        lang: super::report::Language,
    ) -> String {
        service::lang::name(lang.into(), &self.0.name, self.0.name_fr.as_deref())
    }
    /// French name (nom en français), if recorded.
    async fn name_fr(&self) -> Option<&str> {
        self.0.name_fr.as_deref()
    }
    /// What the area covers.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A new cooperation area.
#[derive(InputObject)]
pub struct CreateCooperationAreaInput {
    /// Stable upper-case code (unique).
    pub code: String,
    /// Name (English).
    pub name: String,
    /// French name.
    pub name_fr: Option<String>,
    /// What the area covers.
    pub description: String,
}

/// Changes to a cooperation area (the code is stable and does not change).
#[derive(InputObject)]
pub struct UpdateCooperationAreaInput {
    /// The area.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New name.
    pub name: Option<String>,
    /// New French name (null clears it).
    pub name_fr: MaybeUndefined<String>,
    /// New description.
    pub description: Option<String>,
}

#[derive(Default)]
pub struct AreaQuery;

#[Object]
impl AreaQuery {
    /// One cooperation area, by id or code.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn cooperation_area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: Option<ID>,
        #[graphql(desc = "Its code.")] code: Option<String>,
    ) -> Result<CooperationArea> {
        let conn = &db(ctx)?.conn;
        Ok(CooperationArea(match (id, code) {
            (Some(id), None) => {
                service::cooperation_area::get(conn, parse_id("cooperation area", &id)?).await?
            }
            (None, Some(code)) => service::cooperation_area::by_code(conn, &code).await?,
            _ => return Err(AppError::invalid("id", "give either id or code")),
        }))
    }

    /// Cooperation areas, in creation order.
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn cooperation_areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<Conn<CooperationArea>> {
        let req = page_request(ctx, first, after, last, before)?;
        let page = service::cooperation_area::list(&db(ctx)?.conn, &req).await?;
        Ok(connection(page, |m| m.id, CooperationArea))
    }
}

#[derive(Default)]
pub struct AreaMutation;

#[Object]
impl AreaMutation {
    /// Adds a cooperation area.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn create_cooperation_area(
        &self,
        ctx: &Context<'_>,
        input: CreateCooperationAreaInput,
    ) -> Result<CooperationArea> {
        let new = service::cooperation_area::NewArea {
            code: input.code,
            name: input.name,
            name_fr: input.name_fr,
            description: input.description,
        };
        write(ctx, |txn| async move {
            Ok((None, service::cooperation_area::create(&*txn, new).await?))
        })
        .await
        .map(CooperationArea)
    }

    /// Changes a cooperation area.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_cooperation_area(
        &self,
        ctx: &Context<'_>,
        input: UpdateCooperationAreaInput,
    ) -> Result<CooperationArea> {
        let id = parse_id("cooperation area", &input.id)?;
        let changes = service::cooperation_area::AreaChanges {
            name: input.name,
            name_fr: super::patch(input.name_fr),
            description: input.description,
        };
        write(ctx, |txn| async move {
            let before = service::cooperation_area::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::cooperation_area::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(CooperationArea)
    }
}
