//! Cost lines and funding: planned or actual amounts on a course iteration (optionally for one
//! partner's officers) or an activity, by category and funding source. Invariant 10: an amount is
//! an integer in its currency's minor units (never a float), never negative, with an ISO 4217
//! code; amounts in different currencies are never added together (see `cost_report`).

use crate::error::ErrorCode;
use entity::{
    cost_line::{self, ActiveModel, Column, Entity},
    enums::{CostCategory, CostStage, FundingSource},
};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{
    activity, currency, find, iteration, now, paging, partner, programme_cycle, uow,
    update_versioned, validate, Page, PageRequest,
};
use crate::error::{AppError, Result};

const ENTITY: &str = "cost line";

/// A cost line as the logs see it; its partner is its own or its activity's cycle's.
impl uow::Audited for cost_line::Model {
    const ENTITY: &'static str = "cost_line";
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
    fn partner(&self) -> uow::PartnerOf {
        match self.partner_id {
            Some(p) => uow::PartnerOf::Partner(p),
            None => uow::PartnerOf::None,
        }
    }
}

/// What a cost line is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostSubject {
    Iteration(i32),
    Activity(i32),
}

pub struct NewCostLine {
    pub subject: CostSubject,
    /// For an iteration: the partner whose officers the cost is for (none: the whole iteration).
    pub partner_id: Option<i32>,
    pub category: CostCategory,
    pub stage: CostStage,
    pub amount_minor: i64,
    pub currency: String,
    pub funding_source: FundingSource,
    pub funding_nation: Option<String>,
    pub description: Option<String>,
}

#[derive(Default)]
pub struct CostLineChanges {
    pub category: Option<CostCategory>,
    pub stage: Option<CostStage>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub funding_source: Option<FundingSource>,
    pub funding_nation: Option<Option<String>>,
    pub description: Option<Option<String>>,
}

#[derive(Default)]
pub struct CostLineFilter {
    pub iteration_id: Option<i32>,
    pub activity_id: Option<i32>,
    pub partner_id: Option<i32>,
    pub stage: Option<CostStage>,
}

/// An ISO 4217 code in circulation, upper-cased; UNKNOWN_CURRENCY otherwise.
pub fn currency_code(value: &str) -> Result<String> {
    let code = value.trim().to_uppercase();
    if currency::exponent(&code).is_none() {
        return Err(AppError::rule(
            ErrorCode::UnknownCurrency,
            format!(
                "'{}' is not an ISO 4217 currency code in circulation (e.g. EUR, USD, TMT)",
                value.trim()
            ),
        ));
    }
    Ok(code)
}

/// An amount in minor units; NEGATIVE_AMOUNT below zero.
pub fn amount(value: i64) -> Result<i64> {
    if value < 0 {
        return Err(AppError::rule(
            ErrorCode::NegativeAmount,
            format!(
                "the amount {value} is negative; record a cost as a positive amount in minor units"
            ),
        ));
    }
    Ok(value)
}

/// The funding nation: required (ISO 3166 alpha-3) for ALLIED_NATION funding, refused otherwise.
fn funding_nation(source: FundingSource, nation: Option<String>) -> Result<Option<String>> {
    let nation = nation.filter(|n| !n.trim().is_empty());
    match (source, nation) {
        (FundingSource::AlliedNation, Some(n)) => {
            validate::iso_alpha3("fundingNation", &n).map(Some)
        }
        (FundingSource::AlliedNation, None) => Err(AppError::invalid(
            "fundingNation",
            "ALLIED_NATION funding names the nation (ISO 3166 alpha-3, e.g. DEU)",
        )),
        (_, Some(_)) => Err(AppError::invalid(
            "fundingNation",
            "only ALLIED_NATION funding names a nation",
        )),
        (_, None) => Ok(None),
    }
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<cost_line::Model> {
    find::<Entity, _>(conn, ENTITY, Column::Id, id).await
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: CostLineFilter,
    req: &PageRequest,
) -> Result<Page<cost_line::Model>> {
    let mut q = Entity::find();
    if let Some(v) = filter.iteration_id {
        q = q.filter(Column::IterationId.eq(v));
    }
    if let Some(v) = filter.activity_id {
        q = q.filter(Column::ActivityId.eq(v));
    }
    if let Some(v) = filter.partner_id {
        q = q.filter(Column::PartnerId.eq(v));
    }
    if let Some(v) = filter.stage {
        q = q.filter(Column::Stage.eq(v));
    }
    paging::page(conn, q, Column::Id, req).await
}

pub async fn create<C: ConnectionTrait>(conn: &C, input: NewCostLine) -> Result<cost_line::Model> {
    let amount_minor = amount(input.amount_minor)?;
    let currency = currency_code(&input.currency)?;
    let nation = funding_nation(input.funding_source, input.funding_nation)?;
    let (iteration_id, activity_id, partner_id) = match input.subject {
        CostSubject::Iteration(id) => {
            iteration::get(conn, id).await?;
            if let Some(p) = input.partner_id {
                partner::get(conn, p).await?;
            }
            (Some(id), None, input.partner_id)
        }
        CostSubject::Activity(id) => {
            let a = activity::get(conn, id).await?;
            let cycle = programme_cycle::get(conn, a.cycle_id).await?;
            if input.partner_id.is_some_and(|p| p != cycle.partner_id) {
                return Err(AppError::invalid(
                    "partnerId",
                    "an activity's cost is for its cycle's partner",
                ));
            }
            (None, Some(id), Some(cycle.partner_id))
        }
    };
    let at = now();
    let model = ActiveModel {
        iteration_id: Set(iteration_id),
        activity_id: Set(activity_id),
        partner_id: Set(partner_id),
        category: Set(input.category),
        stage: Set(input.stage),
        amount_minor: Set(amount_minor),
        currency: Set(currency),
        funding_source: Set(input.funding_source),
        funding_nation: Set(nation),
        description: Set(validate::optional_text(
            "description",
            input.description,
            500,
        )?),
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
    changes: CostLineChanges,
) -> Result<cost_line::Model> {
    let current = get(conn, id).await?;
    let mut am = ActiveModel::default();
    if let Some(v) = changes.category {
        am.category = Set(v);
    }
    if let Some(v) = changes.stage {
        am.stage = Set(v);
    }
    if let Some(v) = changes.amount_minor {
        am.amount_minor = Set(amount(v)?);
    }
    if let Some(v) = changes.currency {
        am.currency = Set(currency_code(&v)?);
    }
    if changes.funding_source.is_some() || changes.funding_nation.is_some() {
        let source = changes.funding_source.unwrap_or(current.funding_source);
        let nation = changes.funding_nation.unwrap_or(current.funding_nation);
        am.funding_source = Set(source);
        am.funding_nation = Set(funding_nation(source, nation)?);
    }
    if let Some(v) = changes.description {
        am.description = Set(validate::optional_text("description", v, 500)?);
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
