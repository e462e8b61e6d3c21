//! The cycle report's course evaluation and cost figures: asked for only when selected, each by
//! its own service (`evaluation_report`, `cost_report`), in the cycle report's language.

use async_graphql::{ComplexObject, Context};

use super::{
    cost::CycleCostReport, db, evaluation::EvaluationReport, parse_id, report::CycleReport,
};
use crate::{error::Result, service};

#[ComplexObject]
impl CycleReport {
    /// The cycle's course evaluation figures (as `evaluationReport(cycleId:)`); aggregates over
    /// fewer than 3 answers are withheld.
    async fn evaluation(&self, ctx: &Context<'_>) -> Result<EvaluationReport> {
        let scope = service::evaluation_report::EvaluationScope {
            cycle_id: Some(parse_id("programme cycle", &self.cycle.id)?),
            ..Default::default()
        };
        Ok(service::evaluation_report::evaluation_report(
            &db(ctx)?.conn,
            &scope,
            chrono::Utc::now().date_naive(),
            self.language.into(),
        )
        .await?
        .into())
    }

    /// The cycle's costs (as `cycleCostReport`), each currency on its own.
    async fn costs(&self, ctx: &Context<'_>) -> Result<CycleCostReport> {
        let id = parse_id("programme cycle", &self.cycle.id)?;
        Ok(
            service::cost_report::cycle_costs(&db(ctx)?.conn, id, self.language.into())
                .await?
                .into(),
        )
    }
}
