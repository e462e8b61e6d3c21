//! Dashboard reads compiled to SQL: each root field of a query whose whole selection the compiler
//! handles becomes one statement that builds the field's JSON in the database; its text goes into
//! the response as-is. Everything else runs through the resolvers.

use entity::enums::Role;
use sea_orm::DatabaseBackend;

/// One compiled root field: its response key and the statement returning its JSON text.
#[derive(Debug, Clone)]
pub struct CompiledStatement {
    pub key: String,
    pub sql: String,
    pub values: Vec<sea_orm::Value>,
}

/// The statements the compiler runs for this request, one per compiled root field (none when no
/// root field compiles), for tests that read their plans.
pub fn statements(
    _backend: DatabaseBackend,
    _query: &str,
    _operation_name: Option<&str>,
    _variables: &serde_json::Value,
    _role: Option<Role>,
) -> Vec<CompiledStatement> {
    Vec::new()
}
