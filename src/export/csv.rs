//! The cycle report as CSV: long format, one figure a row, with a header row in the report's
//! language.

use crate::error::{AppError, Result};
use crate::service::currency;
use crate::service::lang::{label, Language, Vocabulary};
use crate::service::report::{CycleFigures, CycleInfo, CycleReport};

/// The header of a cycle report as CSV.
pub fn csv_header(lang: Language) -> Vec<String> {
    [
        "partner",
        "cycle",
        "cycle_start",
        "cycle_end",
        "period",
        "section",
        "group",
        "item",
        "value",
    ]
    .iter()
    .map(|k| label(lang, Vocabulary::Report, k))
    .collect()
}

/// The cycle report as CSV records (long format: one figure a row), without the header.
pub fn csv_records(report: &CycleReport) -> Vec<Vec<String>> {
    let lang = report.language;
    let mut out = Vec::new();
    let mut period = |cycle: &CycleInfo, figures: &CycleFigures, which: &str| {
        let key = |k: &str| label(lang, Vocabulary::Report, k);
        let mut push = |section: &str, group: &str, item: &str, value: String| {
            out.push(vec![
                cycle.partner_code.clone(),
                cycle.id.to_string(),
                cycle.start_date.to_string(),
                cycle.end_date.to_string(),
                key(which),
                key(section),
                text_cell(group),
                text_cell(item),
                value,
            ]);
        };
        let all = key("all");
        for o in &figures.objectives_by_status {
            push(
                "objectives",
                &o.area_name,
                &o.status_label,
                o.count.to_string(),
            );
        }
        for o in &figures.objective_indicators {
            push(
                "indicators",
                &o.area_name,
                &format!("{} ({})", o.title, key("actual")),
                o.actual.to_string(),
            );
            push(
                "indicators",
                &o.area_name,
                &format!("{} ({})", o.title, key("target")),
                o.target.map_or(String::new(), fmt_number),
            );
        }
        for t in &figures.topics {
            push(
                "topics",
                &t.topic_label,
                &key("iterations"),
                t.iterations.to_string(),
            );
            push(
                "topics",
                &t.topic_label,
                &key("held_iterations"),
                t.held_iterations.to_string(),
            );
            push(
                "topics",
                &t.topic_label,
                &key("seats_held"),
                t.seats_held.to_string(),
            );
            push(
                "topics",
                &t.topic_label,
                &key("capacity"),
                t.capacity.to_string(),
            );
            push(
                "topics",
                &t.topic_label,
                &key("fill_rate"),
                fmt_rate(t.fill_rate),
            );
            push(
                "topics",
                &t.topic_label,
                &key("partner_seats_held"),
                t.partner_seats_held.to_string(),
            );
        }
        push(
            "trained_by_topic",
            &all,
            &key("officers_trained"),
            figures.officers_trained.to_string(),
        );
        for (section, list) in [
            ("trained_by_topic", &figures.officers_trained_by_topic),
            ("trained_by_service", &figures.officers_trained_by_service),
            ("trained_by_rank", &figures.officers_trained_by_rank),
        ] {
            for c in list {
                push(
                    section,
                    &c.label,
                    &key("officers_trained"),
                    c.count.to_string(),
                );
            }
        }
        for c in &figures.funnel {
            push("funnel", &all, &c.label, c.count.to_string());
        }
        push(
            "rates",
            &all,
            &key("confirmed_places"),
            figures.confirmed_places.to_string(),
        );
        push(
            "rates",
            &all,
            &key("completion_rate"),
            fmt_rate(figures.completion_rate),
        );
        push(
            "rates",
            &all,
            &key("no_show_rate"),
            fmt_rate(figures.no_show_rate),
        );
        push(
            "rates",
            &all,
            &key("withdrawal_rate"),
            fmt_rate(figures.withdrawal_rate),
        );
        for a in &figures.activities_by_area {
            push(
                "activities",
                &a.area_name,
                &key("activities"),
                a.count.to_string(),
            );
        }
    };
    period(&report.cycle, &report.figures, "current");
    if let (Some(cycle), Some(figures)) = (&report.previous_cycle, &report.previous) {
        period(cycle, figures, "previous");
    }
    evaluation_and_cost_records(report, &mut out);
    out
}

/// The current cycle's course evaluation and cost figures, when the report carries them (the
/// exports do). Evaluation aggregates over fewer than 3 answers are withheld: one row says so
/// instead of the figures. Amounts are in major units with the currency's decimals, one currency
/// per group, never added across currencies.
fn evaluation_and_cost_records(report: &CycleReport, out: &mut Vec<Vec<String>>) {
    let lang = report.language;
    let cycle = &report.cycle;
    let key = |k: &str| label(lang, Vocabulary::Report, k);
    let mut push = |section: &str, group: &str, item: &str, value: String| {
        out.push(vec![
            cycle.partner_code.clone(),
            cycle.id.to_string(),
            cycle.start_date.to_string(),
            cycle.end_date.to_string(),
            key("current"),
            key(section),
            text_cell(group),
            text_cell(item),
            value,
        ]);
    };
    let all = key("all");
    if let Some(e) = &report.evaluation {
        push("evaluation", &all, &key("eligible"), e.eligible.to_string());
        push(
            "evaluation",
            &all,
            &key("responses"),
            e.responses.to_string(),
        );
        push(
            "evaluation",
            &all,
            &key("response_rate"),
            fmt_rate(e.response_rate),
        );
        if e.withheld {
            push(
                "evaluation_items",
                &all,
                &key("withheld"),
                key("too_few_responses"),
            );
        }
        for item in &e.items {
            push(
                "evaluation_items",
                &item.label,
                &key("mean"),
                fmt_rate(item.mean),
            );
            for (rating, count) in item.distribution.iter().enumerate() {
                push(
                    "evaluation_items",
                    &item.label,
                    &format!("{} {}", key("rated"), rating + 1),
                    count.to_string(),
                );
            }
        }
        push(
            "evaluation",
            &all,
            &key("follow_ups_due"),
            e.follow_ups_due.to_string(),
        );
        push(
            "evaluation",
            &all,
            &key("follow_ups_recorded"),
            e.follow_ups_recorded.to_string(),
        );
        push(
            "evaluation",
            &all,
            &key("follow_up_rate"),
            fmt_rate(e.follow_up_rate),
        );
        match &e.applied {
            Some(applied) => {
                for answer in ["YES", "PARTLY", "NO"] {
                    push(
                        "applied_at_work",
                        &all,
                        &label(lang, Vocabulary::AppliedAtWork, answer),
                        applied.get(answer).copied().unwrap_or(0).to_string(),
                    );
                }
            }
            None => push(
                "applied_at_work",
                &all,
                &key("withheld"),
                key("too_few_responses"),
            ),
        }
    }
    if let Some(costs) = &report.costs {
        let stage = |code: &str| label(lang, Vocabulary::CostStage, code);
        for c in &costs.currencies {
            let money = |minor: i64| currency::format(minor, &c.currency);
            push(
                "costs",
                &c.currency,
                &stage("PLANNED"),
                money(c.total.planned),
            );
            push(
                "costs",
                &c.currency,
                &stage("ACTUAL"),
                money(c.total.actual),
            );
            push(
                "costs",
                &c.currency,
                &key("cost_per_officer_trained"),
                c.cost_per_officer_trained.map_or(String::new(), money),
            );
            for (section, groups) in [
                ("costs_by_category", &c.by_category),
                ("costs_by_source", &c.by_source),
            ] {
                for g in groups {
                    let name = match &g.nation {
                        Some(nation) => format!("{} {nation}", g.label),
                        None => g.label.clone(),
                    };
                    for (code, amount) in
                        [("PLANNED", g.amounts.planned), ("ACTUAL", g.amounts.actual)]
                    {
                        push(
                            section,
                            &c.currency,
                            &format!("{name} ({})", stage(code)),
                            money(amount),
                        );
                    }
                }
            }
        }
    }
}

/// Free text (objective titles, ranks, area names) as a CSV cell: a leading `=`, `+`, `-`, `@`, tab
/// or carriage return would make a spreadsheet read the cell as a formula, so it gets a `'` first.
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A rate with four decimals, a dot as decimal separator (machine-readable in either language).
pub fn fmt_rate(value: f64) -> String {
    format!("{value:.4}")
}

fn fmt_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// Writes a cycle report as CSV (header row first) into `out`.
pub fn write_csv<W: std::io::Write>(report: &CycleReport, out: W, header: bool) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    if header {
        writer
            .write_record(csv_header(report.language))
            .map_err(fail)?;
    }
    for record in csv_records(report) {
        writer.write_record(record).map_err(fail)?;
    }
    writer
        .flush()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_quoted() {
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text_cell("Border security"), "Border security");
    }
}
