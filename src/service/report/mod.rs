//! Reports for dashboards and reporting jobs (DOMAIN.md "Report definitions"), one module per
//! report:
//! - `cycle`: one cycle's figures, with the previous cycle's for comparison, and the cycle lists;
//! - `overview`: the partner overview and the programme overview;
//! - `iterations`: upcoming iterations and waitlists.
//!
//! The figures are grouped by the database; what the modules share is here: building statements
//! for either backend, reading columns, rates, and the enrollment statuses the figures count by.
//! The CSV rendering of the cycle report is in `crate::export::csv`.

mod cycle;
mod iterations;
mod overview;

pub use cycle::*;
pub use iterations::*;
pub use overview::*;

use entity::enums::EnrollmentStatus;
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};

use crate::error::{AppError, Result};

/// Most rows a list report returns.
pub const MAX_LIMIT: u64 = 100;

/// A statement with `?` placeholders, numbered `$1..` for PostgreSQL. The report SQL has no `?`
/// inside string literals (values are always bound), so every `?` is a placeholder.
fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

async fn rows<C: ConnectionTrait>(
    conn: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>> {
    Ok(conn
        .query_all_raw(statement(conn.get_database_backend(), sql, values))
        .await?)
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, index: usize) -> Result<T> {
    row.try_get_by_index::<T>(index)
        .map_err(|e| AppError::Internal(format!("report column {index}: {e:?}")))
}

/// A ratio with a zero denominator giving 0.
pub fn rate(numerator: i64, denominator: i64) -> f64 {
    if denominator <= 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Statuses as an SQL list of their stored names (`'CONFIRMED', 'ATTENDED'`).
fn status_list(statuses: &[EnrollmentStatus]) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", s.to_value()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        let s = statement(
            DatabaseBackend::Postgres,
            "a = ? AND b = ?",
            vec![1.into(), 2.into()],
        );
        assert_eq!(s.sql, "a = $1 AND b = $2");
        let s = statement(DatabaseBackend::Sqlite, "a = ?", vec![1.into()]);
        assert_eq!(s.sql, "a = ?");
    }

    #[test]
    fn a_zero_denominator_gives_zero() {
        assert_eq!(rate(3, 0), 0.0);
        assert_eq!(rate(1, 4), 0.25);
    }
}
