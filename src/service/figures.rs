//! Small helpers shared by the aggregate reports of evaluations and costs: SQL with `?`
//! placeholders on both backends, typed reads of a row.

use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};

use crate::error::{AppError, Result};

/// A statement with `?` placeholders, numbered `$1..` for PostgreSQL (the SQL has no `?` inside
/// string literals: values are always bound).
pub fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
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

pub async fn rows<C: ConnectionTrait>(
    conn: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>> {
    Ok(conn
        .query_all_raw(statement(conn.get_database_backend(), sql, values))
        .await?)
}

pub fn get<T: sea_orm::TryGetable>(row: &QueryResult, index: usize) -> Result<T> {
    row.try_get_by_index::<T>(index)
        .map_err(|e| AppError::Internal(format!("report column {index}: {e:?}")))
}
