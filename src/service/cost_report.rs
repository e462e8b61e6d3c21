//! Costs of a programme cycle: planned against actual, by category and by funding source, and
//! the cost per officer trained, for each currency on its own (invariant 10: amounts in different
//! currencies are never added together; no exchange rate is assumed).
//!
//! A cycle's costs are the cost lines of its activities and those of course iterations held
//! for its partner's officers (`partner_id`) within the cycle's dates (the iterations the cycle
//! report counts). Cost per officer trained = actual cost / officers trained (distinct officers
//! of the partner with a COMPLETED enrollment in those iterations), rounded to the nearest minor
//! unit; none when no officer was trained.

use std::collections::BTreeMap;

use super::{
    figures::{get, rows},
    lang::{label, Language, Vocabulary},
    programme_cycle,
};
use crate::error::Result;

/// Planned and actual amounts of one group, in minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PlannedActual {
    pub planned: i64,
    pub actual: i64,
}

impl PlannedActual {
    fn add(&mut self, stage: &str, amount: i64) {
        if stage == "ACTUAL" {
            self.actual = self.actual.saturating_add(amount);
        } else {
            self.planned = self.planned.saturating_add(amount);
        }
    }
}

/// A group of cost lines (a category, or a funding source and nation).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CostGroup {
    pub code: String,
    pub label: String,
    /// The Allied nation, for ALLIED_NATION funding.
    pub nation: Option<String>,
    pub amounts: PlannedActual,
}

/// Every figure of one currency.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CurrencyCosts {
    pub currency: String,
    pub total: PlannedActual,
    pub by_category: Vec<CostGroup>,
    pub by_source: Vec<CostGroup>,
    /// Actual cost / officers trained, in minor units; none without officers trained.
    pub cost_per_officer_trained: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CycleCosts {
    pub cycle_id: i32,
    pub officers_trained: i64,
    /// One entry per currency that has cost lines, by code.
    pub currencies: Vec<CurrencyCosts>,
}

/// `total / count` rounded half away from zero.
pub fn per_officer(total: i64, count: i64) -> Option<i64> {
    (count > 0).then(|| {
        let (q, r) = (total / count, total % count);
        if r.abs() * 2 >= count {
            q + total.signum()
        } else {
            q
        }
    })
}

/// The costs of a cycle (NOT_FOUND for an unknown one), in two statements.
pub async fn cycle_costs<C: sea_orm::ConnectionTrait>(
    conn: &C,
    cycle_id: i32,
    lang: Language,
) -> Result<CycleCosts> {
    let cycle = programme_cycle::get(conn, cycle_id).await?;
    let window = || {
        vec![
            cycle.partner_id.into(),
            cycle.start_date.into(),
            cycle.end_date.into(),
        ]
    };
    let mut values = vec![cycle.id.into()];
    values.extend(window());
    let (lines, trained) = tokio::try_join!(
        rows(
            conn,
            "SELECT currency, category, funding_source, COALESCE(funding_nation, ''), stage, \
             CAST(SUM(amount_minor) AS BIGINT) FROM cost_line \
             WHERE activity_id IN (SELECT id FROM activity WHERE cycle_id = ?) \
             OR (partner_id = ? AND iteration_id IN \
                 (SELECT id FROM course_iteration WHERE start_date >= ? AND end_date <= ?)) \
             GROUP BY currency, category, funding_source, COALESCE(funding_nation, ''), stage",
            values,
        ),
        rows(
            conn,
            "SELECT COUNT(DISTINCT e.officer_id) FROM enrollment e \
             JOIN course_iteration i ON i.id = e.iteration_id \
             WHERE e.partner_id = ? AND i.start_date >= ? AND i.end_date <= ? \
             AND e.status = 'COMPLETED'",
            window(),
        ),
    )?;
    let officers_trained: i64 = match trained.first() {
        Some(r) => get(r, 0)?,
        None => 0,
    };
    type Groups = BTreeMap<(String, String), PlannedActual>;
    let mut by_currency: BTreeMap<String, (PlannedActual, Groups, Groups)> = BTreeMap::new();
    for r in &lines {
        let currency: String = get(r, 0)?;
        let category: String = get(r, 1)?;
        let source: String = get(r, 2)?;
        let nation: String = get(r, 3)?;
        let stage: String = get(r, 4)?;
        let amount: i64 = get(r, 5)?;
        let entry = by_currency.entry(currency).or_default();
        entry.0.add(&stage, amount);
        entry
            .1
            .entry((category, String::new()))
            .or_default()
            .add(&stage, amount);
        entry
            .2
            .entry((source, nation))
            .or_default()
            .add(&stage, amount);
    }
    let groups = |groups: Groups, vocabulary| {
        groups
            .into_iter()
            .map(|((code, nation), amounts)| CostGroup {
                label: label(lang, vocabulary, &code),
                code,
                nation: (!nation.is_empty()).then_some(nation),
                amounts,
            })
            .collect()
    };
    let currencies = by_currency
        .into_iter()
        .map(|(currency, (total, categories, sources))| CurrencyCosts {
            cost_per_officer_trained: per_officer(total.actual, officers_trained),
            currency,
            total,
            by_category: groups(categories, Vocabulary::CostCategory),
            by_source: groups(sources, Vocabulary::FundingSource),
        })
        .collect();
    Ok(CycleCosts {
        cycle_id: cycle.id,
        officers_trained,
        currencies,
    })
}

#[cfg(test)]
mod tests {
    use super::per_officer;

    #[test]
    fn cost_per_officer_rounds_to_the_nearest_minor_unit() {
        assert_eq!(per_officer(1000, 3), Some(333));
        assert_eq!(per_officer(1001, 2), Some(501));
        assert_eq!(per_officer(2000, 3), Some(667));
        assert_eq!(per_officer(5, 0), None);
    }
}
