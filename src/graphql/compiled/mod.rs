//! Dashboard reads compiled to SQL (`IPCP_COMPILED_READS`): each root field of a query whose whole
//! selection the compiler handles becomes one statement that builds the field's JSON in the
//! database; its text goes into the response as-is, with no value tree built. Every other root
//! field runs through the resolvers, in the same response.
//!
//! async-graphql still parses, validates and applies the depth, complexity and directive limits
//! to the whole document: the request runs on a schema with the [`Splice`] extension, which
//! answers each compiled root field with a marker instead of resolving it. Once that execution
//! succeeded the compiled statements run, and the answer's text gets their JSON in place of the
//! markers. A compiled field whose statement finds nothing, fails, or whose arguments the
//! compiler does not accept as they are (a bad cursor, a page too large) makes the whole request
//! run through the resolvers, which give today's answer and errors.
//!
//! Plans are cached per (query text, operation, role, shape of the variables); values are always
//! bound, never written into the SQL.

mod select;
mod sql;

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
    parser::types::ExecutableDocument,
    ServerResult, Value, Variables,
};
use async_graphql_value::ConstValue;
use chrono::Utc;
use entity::enums::Role;
use lru::LruCache;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::{
    error::{AppError, Result},
    service::{paging::Cursor, validate},
};
use select::{Arg, Unsupported, Vars};
use sql::{Compiler, Dialect, Param, Template};

/// The compiled root fields of one request: their response keys, and the one statement returning
/// each field's JSON text as a column, in the same order.
#[derive(Debug, Clone)]
pub struct CompiledStatement {
    pub keys: Vec<String>,
    pub sql: String,
    pub values: Vec<sea_orm::Value>,
}

/// The statement the compiler runs for this request (none when no root field compiles), for
/// tests that read its plan.
pub fn statements(
    backend: DatabaseBackend,
    query: &str,
    operation_name: Option<&str>,
    variables: &serde_json::Value,
    role: Option<Role>,
) -> Vec<CompiledStatement> {
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return Vec::new();
    };
    let variables = Variables::from_json(variables.clone());
    Plans::default()
        .prepare(backend, &doc, query, operation_name, &variables, role)
        .into_iter()
        .collect()
}

/// The compiled root fields of one operation: their response keys and the statement's template
/// (one column per key).
struct Plan {
    keys: Vec<String>,
    template: Template,
}

type PlanKey = (String, Option<String>, Option<Role>, String, bool);

/// Plans by (query text, operation, role, variables' shape, backend), least recently used
/// dropped first (None: no root field compiles).
pub struct Plans(Mutex<LruCache<PlanKey, Arc<Option<Plan>>>>);

const CAPACITY: usize = 256;

/// Longer texts are compiled every time rather than kept.
const MAX_CACHED_QUERY_BYTES: usize = 8 * 1024;

impl Default for Plans {
    fn default() -> Self {
        Plans(Mutex::new(LruCache::new(
            NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN),
        )))
    }
}

impl Plans {
    /// The bound statement of the request's compiled root fields; None when none compiles or a
    /// compiled field's arguments do not bind (the resolvers then answer all of it).
    pub fn prepare(
        &self,
        backend: DatabaseBackend,
        doc: &ExecutableDocument,
        query: &str,
        operation_name: Option<&str>,
        variables: &Variables,
        role: Option<Role>,
    ) -> Option<CompiledStatement> {
        let op = select::query_operation(doc, operation_name)?;
        let vars = Vars::new(&op.node, variables);
        let dialect = match backend {
            DatabaseBackend::Postgres => Dialect::Postgres,
            DatabaseBackend::Sqlite => Dialect::Sqlite,
            _ => return None,
        };
        let plan = if query.len() <= MAX_CACHED_QUERY_BYTES {
            let key = (
                query.to_owned(),
                operation_name.map(str::to_owned),
                role,
                vars.shape(),
                dialect == Dialect::Postgres,
            );
            let cached = self.0.lock().ok().and_then(|mut c| c.get(&key).cloned());
            match cached {
                Some(plan) => plan,
                None => {
                    let plan = Arc::new(compile(doc, &op.node, &vars, dialect, role));
                    if let Ok(mut cache) = self.0.lock() {
                        cache.put(key, plan.clone());
                    }
                    plan
                }
            }
        } else {
            Arc::new(compile(doc, &op.node, &vars, dialect, role))
        };
        let plan = plan.as_ref().as_ref()?;
        let values = plan
            .template
            .params
            .iter()
            .map(|p| bind(p, &vars))
            .collect::<std::result::Result<Vec<_>, Unsupported>>()
            .ok()?;
        Some(CompiledStatement {
            keys: plan.keys.clone(),
            sql: plan.template.sql.clone(),
            values,
        })
    }
}

fn compile(
    doc: &ExecutableDocument,
    op: &async_graphql::parser::types::OperationDefinition,
    vars: &Vars<'_>,
    dialect: Dialect,
    role: Option<Role>,
) -> Option<Plan> {
    let roots = select::merged(doc, vars, &op.selection_set.node, "Query").ok()?;
    let mut keys = Vec::new();
    let mut columns = Vec::new();
    let mut params = Vec::new();
    for node in &roots {
        if let Ok(template) = Compiler::new(doc, vars, dialect, role, params.len()).root(node) {
            keys.push(node.key.clone());
            columns.push(format!("({})", template.sql));
            params.extend(template.params);
        }
    }
    if keys.is_empty() {
        return None;
    }
    // Every compiled root field in one statement: one round trip, one snapshot.
    Some(Plan {
        keys,
        template: Template {
            sql: format!("SELECT {}", columns.join(", ")),
            params,
        },
    })
}

/// A parameter's value for this request, or Unsupported when the compiled path would not give
/// the resolvers' answer (they then report the bad input as they do).
fn bind(param: &Param, vars: &Vars<'_>) -> std::result::Result<sea_orm::Value, Unsupported> {
    let text = |arg: &Arg| match vars.value(arg) {
        ConstValue::String(s) => Ok(s),
        ConstValue::Enum(name) => Ok(name.to_string()),
        _ => Err(Unsupported),
    };
    Ok(match param {
        Param::Id(arg) => {
            let id = match vars.value(arg) {
                ConstValue::String(s) => s,
                ConstValue::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                _ => return Err(Unsupported),
            };
            let id = id
                .parse::<i32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(Unsupported)?;
            sea_orm::Value::Int(Some(id))
        }
        Param::Code(arg) => match vars.value(arg) {
            ConstValue::String(s) => validate::iso_alpha3("code", &s)
                .map_err(|_| Unsupported)?
                .into(),
            _ => return Err(Unsupported),
        },
        Param::Enum(arg) => text(arg)?.into(),
        Param::Date(arg) => {
            let s = match vars.value(arg) {
                ConstValue::String(s) => s,
                _ => return Err(Unsupported),
            };
            match crate::graphql::scalars::parse_date(&s) {
                Some(d) => d.into(),
                None => return Err(Unsupported),
            }
        }
        Param::PageSize { arg, extra } => {
            let n = match arg.as_ref().map(|a| vars.value(a)) {
                None => crate::service::paging::DEFAULT_PAGE_SIZE as i64,
                Some(ConstValue::Number(n)) => n.as_i64().ok_or(Unsupported)?,
                Some(_) => return Err(Unsupported),
            };
            if !(0..=crate::service::paging::MAX_PAGE_SIZE as i64).contains(&n) {
                return Err(Unsupported);
            }
            sea_orm::Value::BigInt(Some(n + i64::from(*extra)))
        }
        Param::CursorId(arg) => {
            let s = match vars.value(arg) {
                ConstValue::String(s) => s,
                _ => return Err(Unsupported),
            };
            match Cursor::decode(&s) {
                Some(Cursor { key: None, id }) => sea_orm::Value::Int(Some(id)),
                _ => return Err(Unsupported),
            }
        }
        Param::Today => Utc::now().date_naive().into(),
    })
}

/// Runs the compiled statement: each field's JSON text, None when a field's row is missing.
pub async fn run<C: ConnectionTrait>(
    conn: &C,
    statement: &CompiledStatement,
) -> Result<Option<Vec<String>>> {
    let backend = conn.get_database_backend();
    let Some(row) = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            statement.sql.clone(),
            statement.values.clone(),
        ))
        .await?
    else {
        return Ok(None);
    };
    let mut texts = Vec::with_capacity(statement.keys.len());
    for i in 0..statement.keys.len() {
        match row.try_get_by_index::<Option<String>>(i)? {
            Some(text) => texts.push(text),
            None => return Ok(None),
        }
    }
    Ok(Some(texts))
}

/// The compiled root fields of one request, by response key, with the marker each stands as in
/// the executed answer until its JSON replaces it.
#[derive(Clone)]
pub struct Markers {
    keys: Vec<(String, String)>,
}

impl Markers {
    pub fn new(statement: &CompiledStatement) -> Markers {
        let nonce = nonce();
        Markers {
            keys: statement
                .keys
                .iter()
                .enumerate()
                .map(|(i, key)| (key.clone(), format!("ipcp-compiled:{nonce}:{i}")))
                .collect(),
        }
    }

    fn marker(&self, key: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, m)| m.as_str())
    }

    /// The quoted marker text of the i-th statement, as it appears in the serialised answer.
    pub fn quoted(&self, i: usize) -> Option<String> {
        self.keys.get(i).map(|(_, m)| format!("\"{m}\""))
    }
}

/// A process-wide random value: markers cannot be guessed, so no stored text can forge one.
fn nonce() -> &'static str {
    static NONCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NONCE.get_or_init(|| uuid::Uuid::new_v4().simple().to_string())
}

/// The extension of the schema compiled requests run on: a compiled root field resolves to its
/// marker (its guard, arguments and fields are the compiler's to check); all else resolves as
/// usual.
pub struct Splice;

impl ExtensionFactory for Splice {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Splice)
    }
}

#[async_trait::async_trait]
impl Extension for Splice {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_none() {
            if let Some(marker) = ctx
                .data_opt::<Markers>()
                .and_then(|m| m.marker(info.alias.unwrap_or(info.name)))
            {
                return Ok(Some(Value::String(marker.to_owned())));
            }
        }
        next.run(ctx, info).await
    }
}

/// The answer's text with each marker replaced by its field's JSON; an error if a marker is
/// missing (the text is then not used).
pub fn splice(mut body: String, markers: &Markers, texts: &[String]) -> Result<String> {
    for (i, text) in texts.iter().enumerate() {
        let quoted = markers
            .quoted(i)
            .ok_or_else(|| AppError::Internal("compiled field without a marker".into()))?;
        let at = body.find(&quoted).ok_or_else(|| {
            AppError::Internal("compiled field's marker not in the answer".into())
        })?;
        body.replace_range(at..at + quoted.len(), text);
    }
    Ok(body)
}
