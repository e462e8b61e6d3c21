//! Logging: human-readable by default, JSON lines when asked; level from RUST_LOG (default info).
//! GraphQL execution telemetry for the request span and the metrics.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery},
    parser::types::{ExecutableDocument, OperationType},
    Response, ServerResult, Variables,
};
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// GraphQL execution telemetry for the websocket schema: puts the operation's name and type on the
/// request span and records how long execution took, by operation type
/// (`ipcp_graphql_operation_duration_seconds`). `POST /graphql` does the same in its handler,
/// without a schema extension: any extension puts a boxed future around every field resolved.
pub struct GraphqlTelemetry;

impl ExtensionFactory for GraphqlTelemetry {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GraphqlTelemetryExtension::default())
    }
}

#[derive(Default)]
struct GraphqlTelemetryExtension {
    /// The document's operations: (name, type), as parsed.
    operations: Mutex<Vec<(Option<String>, OperationType)>>,
}

#[async_trait::async_trait]
impl Extension for GraphqlTelemetryExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut operations) = self.operations.lock() {
            *operations = document
                .operations
                .iter()
                .map(|(name, op)| (name.map(|n| n.to_string()), op.node.ty))
                .collect();
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let operation_type = self.operations.lock().ok().and_then(|operations| {
            operations
                .iter()
                .find(|(name, _)| operation_name.is_none() || name.as_deref() == operation_name)
                .map(|(_, ty)| *ty)
        });
        let operation_type = operation_label(operation_type);
        let started = operation_started(operation_name, operation_type);
        let response = next.run(ctx, operation_name).await;
        operation_finished(operation_type, started);
        response
    }
}

/// The label of an operation type in the span and the metrics.
pub fn operation_label(ty: Option<OperationType>) -> &'static str {
    match ty {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

/// Puts an operation's name and type on the request span; returns when it started.
pub fn operation_started(operation_name: Option<&str>, operation_type: &'static str) -> Instant {
    let span = tracing::Span::current();
    span.record("operation_name", operation_name.unwrap_or("(anonymous)"));
    span.record("operation_type", operation_type);
    Instant::now()
}

/// Records how long an operation took, by type (`ipcp_graphql_operation_duration_seconds`).
pub fn operation_finished(operation_type: &'static str, started: Instant) {
    metrics::histogram!(GRAPHQL_OPERATION_DURATION, "operation_type" => operation_type)
        .record(started.elapsed().as_secs_f64());
}

pub const GRAPHQL_OPERATION_DURATION: &str = "ipcp_graphql_operation_duration_seconds";
