//! Cost lines and the cost report of a cycle. Amounts are integers in the currency's minor units
//! (`amountMinor`), with the ISO 4217 code; `amount` writes them with the currency's decimals.
//! Different currencies are never added together.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use entity::cost_line;

use super::auth::{write, Allow};
use super::report::Language;
use super::{connection, db, page_request, parse_id, patch, Conn};
use crate::{
    error::{AppError, Result},
    service::{self, auth::Access, cost::CostSubject, cost_report as r, currency},
};

/// What a cost line pays for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::CostCategory")]
pub enum CostCategory {
    /// Tuition (e.g. a course's price per seat).
    Tuition,
    /// Travel.
    Travel,
    /// Accommodation.
    Accommodation,
    /// Subsistence (per diem).
    Subsistence,
    /// Equipment.
    Equipment,
    /// A grant (e.g. an SPS project grant).
    Grant,
    /// Anything else.
    Other,
}

/// Whether a cost line is planned or actually spent.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::CostStage")]
pub enum CostStage {
    /// Budgeted.
    Planned,
    /// Spent.
    Actual,
}

/// Who pays a cost line.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::FundingSource")]
pub enum FundingSource {
    /// NATO common funding.
    NatoCommonFunding,
    /// A NATO trust fund.
    TrustFund,
    /// A Science for Peace and Security grant.
    SpsGrant,
    /// The partner itself.
    Partner,
    /// An Allied nation (`fundingNation` names it).
    AlliedNation,
}

/// An amount of money: an integer in the currency's minor units, never a float.
#[derive(SimpleObject, Clone)]
pub struct Money {
    /// The amount in minor units (cents for EUR; yen for JPY).
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// The amount written with the currency's decimals, e.g. `1250.00` (text: exact).
    pub amount: String,
}

impl Money {
    pub fn new(amount_minor: i64, currency: &str) -> Money {
        Money {
            amount_minor,
            currency: currency.to_owned(),
            amount: currency::format(amount_minor, currency),
        }
    }
}

/// A planned or actual amount on a course iteration or an activity.
pub struct CostLine(pub cost_line::Model);

#[Object]
impl CostLine {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The course iteration it is on, if that is its subject.
    async fn iteration_id(&self) -> Option<ID> {
        self.0.iteration_id.map(|id| ID(id.to_string()))
    }
    /// The activity it is on, if that is its subject.
    async fn activity_id(&self) -> Option<ID> {
        self.0.activity_id.map(|id| ID(id.to_string()))
    }
    /// The partner it is for (an activity's cycle's partner; for an iteration, the partner whose
    /// officers it pays for, or null for the whole iteration).
    async fn partner_id(&self) -> Option<ID> {
        self.0.partner_id.map(|id| ID(id.to_string()))
    }
    /// Category.
    async fn category(&self) -> CostCategory {
        self.0.category.into()
    }
    /// Planned or actual.
    async fn stage(&self) -> CostStage {
        self.0.stage.into()
    }
    /// The amount.
    async fn amount(&self) -> Money {
        Money::new(self.0.amount_minor, &self.0.currency)
    }
    /// Who pays.
    async fn funding_source(&self) -> FundingSource {
        self.0.funding_source.into()
    }
    /// The Allied nation paying (ISO 3166 alpha-3), for ALLIED_NATION funding.
    async fn funding_nation(&self) -> Option<&str> {
        self.0.funding_nation.as_deref()
    }
    /// Description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A new cost line, on exactly one of an iteration or an activity.
#[derive(InputObject)]
pub struct RecordCostLineInput {
    /// The course iteration (give exactly one of iterationId, activityId).
    pub iteration_id: Option<ID>,
    /// The activity.
    pub activity_id: Option<ID>,
    /// For an iteration: the partner whose officers it pays for (none: the whole iteration).
    pub partner_id: Option<ID>,
    /// Category.
    pub category: CostCategory,
    /// Planned or actual.
    pub stage: CostStage,
    /// The amount in the currency's minor units, e.g. 125000 for EUR 1,250.00
    /// (NEGATIVE_AMOUNT below 0).
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `EUR` (UNKNOWN_CURRENCY otherwise).
    pub currency: String,
    /// Who pays.
    pub funding_source: FundingSource,
    /// The Allied nation (ISO 3166 alpha-3), for ALLIED_NATION funding only.
    pub funding_nation: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// Changes to a cost line (its subject does not change).
#[derive(InputObject)]
pub struct UpdateCostLineInput {
    /// The cost line.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New category.
    pub category: Option<CostCategory>,
    /// New stage.
    pub stage: Option<CostStage>,
    /// New amount in minor units.
    pub amount_minor: Option<i64>,
    /// New currency.
    pub currency: Option<String>,
    /// New funding source.
    pub funding_source: Option<FundingSource>,
    /// New funding nation (null clears it).
    pub funding_nation: MaybeUndefined<String>,
    /// New description (null clears it).
    pub description: MaybeUndefined<String>,
}

/// Planned and actual amounts of one group, in one currency.
#[derive(SimpleObject)]
pub struct CostAmounts {
    /// The group's code (a category, or a funding source); null for a currency's total.
    pub code: Option<String>,
    /// The code in the requested language.
    pub label: Option<String>,
    /// The Allied nation, for ALLIED_NATION funding.
    pub nation: Option<String>,
    /// Planned.
    pub planned: Money,
    /// Actual.
    pub actual: Money,
}

/// Every cost figure of a cycle in one currency.
#[derive(SimpleObject)]
pub struct CurrencyCosts {
    /// ISO 4217 code.
    pub currency: String,
    /// Planned against actual, all categories.
    pub total: CostAmounts,
    /// Planned against actual per category.
    pub by_category: Vec<CostAmounts>,
    /// Planned against actual per funding source (and Allied nation).
    pub by_source: Vec<CostAmounts>,
    /// Actual cost / officers trained, rounded to the minor unit; null when none was trained.
    pub cost_per_officer_trained: Option<Money>,
}

/// A cycle's costs, each currency on its own (amounts in different currencies are never added).
#[derive(SimpleObject)]
pub struct CycleCostReport {
    /// The cycle.
    pub cycle_id: ID,
    /// Distinct officers of the partner with a COMPLETED enrollment in the cycle's iterations.
    pub officers_trained: i64,
    /// One entry per currency, by code.
    pub currencies: Vec<CurrencyCosts>,
}

fn amounts(
    currency: &str,
    code: Option<String>,
    label: Option<String>,
    nation: Option<String>,
    a: r::PlannedActual,
) -> CostAmounts {
    CostAmounts {
        code,
        label,
        nation,
        planned: Money::new(a.planned, currency),
        actual: Money::new(a.actual, currency),
    }
}

impl From<r::CycleCosts> for CycleCostReport {
    fn from(c: r::CycleCosts) -> Self {
        CycleCostReport {
            cycle_id: ID(c.cycle_id.to_string()),
            officers_trained: c.officers_trained,
            currencies: c
                .currencies
                .into_iter()
                .map(|cur| {
                    let code = cur.currency.clone();
                    let group = |g: r::CostGroup| {
                        amounts(&code, Some(g.code), Some(g.label), g.nation, g.amounts)
                    };
                    CurrencyCosts {
                        total: amounts(&code, None, None, None, cur.total),
                        by_category: cur.by_category.into_iter().map(group).collect(),
                        by_source: cur.by_source.into_iter().map(group).collect(),
                        cost_per_officer_trained: cur
                            .cost_per_officer_trained
                            .map(|a| Money::new(a, &code)),
                        currency: cur.currency,
                    }
                })
                .collect(),
        }
    }
}

#[derive(Default)]
pub struct CostQuery;

#[Object]
impl CostQuery {
    /// One cost line.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn cost_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<CostLine> {
        let id = parse_id("cost line", &id)?;
        Ok(CostLine(service::cost::get(&db(ctx)?.conn, id).await?))
    }

    /// Cost lines, in recording order.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn cost_lines(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this iteration's.")] iteration_id: Option<ID>,
        #[graphql(desc = "Only this activity's.")] activity_id: Option<ID>,
        #[graphql(desc = "Only those for this partner.")] partner_id: Option<ID>,
        #[graphql(desc = "Only planned, or only actual.")] stage: Option<CostStage>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<Conn<CostLine>> {
        let req = page_request(ctx, first, after, last, before)?;
        let id = |entity, v: &Option<ID>| v.as_ref().map(|id| parse_id(entity, id)).transpose();
        let filter = service::cost::CostLineFilter {
            iteration_id: id("course iteration", &iteration_id)?,
            activity_id: id("activity", &activity_id)?,
            partner_id: id("partner", &partner_id)?,
            stage: stage.map(Into::into),
        };
        let page = service::cost::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, CostLine))
    }

    /// A cycle's costs: planned against actual, by category and by funding source, and the cost
    /// per officer trained, each currency on its own. Counts the cost lines of the cycle's
    /// activities and of iterations within its dates paid for its partner's officers.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn cycle_cost_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cycle.")] cycle_id: ID,
        #[graphql(desc = "Language of the labels.", default_with = "Language::En")] lang: Language,
    ) -> Result<CycleCostReport> {
        let id = parse_id("programme cycle", &cycle_id)?;
        Ok(r::cycle_costs(&db(ctx)?.conn, id, lang.into())
            .await?
            .into())
    }
}

#[derive(Default)]
pub struct CostMutation;

#[Object]
impl CostMutation {
    /// Records a cost line on an iteration or an activity: UNKNOWN_CURRENCY, NEGATIVE_AMOUNT.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn record_cost_line(
        &self,
        ctx: &Context<'_>,
        input: RecordCostLineInput,
    ) -> Result<CostLine> {
        let subject = match (&input.iteration_id, &input.activity_id) {
            (Some(i), None) => CostSubject::Iteration(parse_id("course iteration", i)?),
            (None, Some(a)) => CostSubject::Activity(parse_id("activity", a)?),
            _ => {
                return Err(AppError::invalid(
                    "iterationId",
                    "give exactly one of iterationId and activityId",
                ))
            }
        };
        let new = service::cost::NewCostLine {
            subject,
            partner_id: input
                .partner_id
                .as_ref()
                .map(|id| parse_id("partner", id))
                .transpose()?,
            category: input.category.into(),
            stage: input.stage.into(),
            amount_minor: input.amount_minor,
            currency: input.currency,
            funding_source: input.funding_source.into(),
            funding_nation: input.funding_nation,
            description: input.description,
        };
        write(ctx, |txn| async move {
            Ok((None, service::cost::create(&*txn, new).await?))
        })
        .await
        .map(CostLine)
    }

    /// Changes a cost line.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_cost_line(
        &self,
        ctx: &Context<'_>,
        input: UpdateCostLineInput,
    ) -> Result<CostLine> {
        let id = parse_id("cost line", &input.id)?;
        let changes = service::cost::CostLineChanges {
            category: input.category.map(Into::into),
            stage: input.stage.map(Into::into),
            amount_minor: input.amount_minor,
            currency: input.currency,
            funding_source: input.funding_source.map(Into::into),
            funding_nation: patch(input.funding_nation),
            description: patch(input.description),
        };
        write(ctx, |txn| async move {
            let before = service::cost::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::cost::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(CostLine)
    }
}
