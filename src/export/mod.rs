//! Exports of the cycle report for reporting jobs, shared by the CLI (`ipcp report ...`) and the
//! HTTP endpoints (`/exports/...`): CSV with a header row (long format, one figure a row, see
//! `service::report::csv_records`) or JSON (the report as the GraphQL field gives it, snake_case).

pub mod csv;
pub mod format;
pub mod ical;

pub use format::{parse_language, Format};

use std::path::{Path, PathBuf};

use sea_orm::ConnectionTrait;

use crate::{
    error::{AppError, Result},
    service::{lang::Language, report},
};

/// A cycle report rendered in `format` (CSV: with its header row).
pub fn render(report: &report::CycleReport, format: Format, header: bool) -> Result<Vec<u8>> {
    match format {
        Format::Json => {
            serde_json::to_vec_pretty(report).map_err(|e| AppError::Internal(format!("json: {e}")))
        }
        Format::Csv => {
            let mut out = Vec::new();
            csv::write_csv(report, &mut out, header)?;
            Ok(out)
        }
    }
}

/// Writes the current cycle's report of every partner that has a cycle into `dir` (created if
/// missing), one file per partner named `<CODE>-cycle-<ID>.<ext>`; returns the files written.
/// Files are written to a temporary name and renamed, so a job never reads a half-written file.
pub async fn write_all<C: ConnectionTrait>(
    conn: &C,
    dir: &Path,
    format: Format,
    lang: Language,
) -> Result<Vec<PathBuf>> {
    let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut written = Vec::new();
    for (code, cycle_id) in report::current_cycles(conn).await? {
        let rep = report::cycle_export(conn, cycle_id, lang).await?;
        let name = format!("{code}-cycle-{cycle_id}.{}", format.extension());
        let path = dir.join(&name);
        let partial = dir.join(format!(".{name}.partial"));
        std::fs::write(&partial, render(&rep, format, true)?).map_err(io)?;
        std::fs::rename(&partial, &path).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}
