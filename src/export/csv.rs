//! The cycle report as CSV: long format, one figure a row, with a header row in the report's
//! language.

use crate::error::{AppError, Result};
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
    out
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
