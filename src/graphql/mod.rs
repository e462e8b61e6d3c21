//! The GraphQL API: one module per resource (its object type, inputs, queries and mutations), merged
//! here. Resolvers are thin: they turn arguments into a service call and the result into an API type.

pub mod activity;
pub mod admin;
pub mod area;
pub mod auth;
pub mod batching;
pub mod bulk;
pub mod changes;
pub mod compiled;
pub mod contact;
pub mod cost;
pub mod course;
pub mod cycle;
pub mod documents;
pub mod enrollment;
pub mod enums;
pub mod evaluation;
pub mod feed;
pub mod iteration;
pub mod itpp;
pub mod loaders;
pub mod objective;
pub mod officer;
pub mod ordering;
pub mod partner;
pub mod report;
pub mod report_figures;
pub mod scalars;
pub mod subscription;
pub mod webhook;

use async_graphql::{
    connection::{Connection, CursorType, Edge},
    Context, MaybeUndefined, MergedObject, OutputType, Schema, SchemaBuilder, SimpleObject, ID,
};

use crate::{
    config::{IntrospectionMode, ServeArgs},
    error::{AppError, Result},
    service::Db,
    service::{paging::Cursor, Page, PageRequest},
};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    partner::PartnerQuery,
    area::AreaQuery,
    cycle::CycleQuery,
    objective::ObjectiveQuery,
    course::CourseQuery,
    iteration::IterationQuery,
    officer::OfficerQuery,
    enrollment::EnrollmentQuery,
    activity::ActivityQuery,
    admin::AdminQuery,
    report::ReportQuery,
    webhook::WebhookQuery,
    changes::ChangeQuery,
    evaluation::EvaluationQuery,
    evaluation::EvaluationReportQuery,
    contact::ContactQuery,
    cost::CostQuery,
    feed::FeedQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    partner::PartnerMutation,
    area::AreaMutation,
    cycle::CycleMutation,
    objective::ObjectiveMutation,
    course::CourseMutation,
    iteration::IterationMutation,
    officer::OfficerMutation,
    enrollment::EnrollmentMutation,
    activity::ActivityMutation,
    admin::AdminMutation,
    bulk::BulkMutation,
    webhook::WebhookMutation,
    evaluation::EvaluationMutation,
    contact::ContactMutation,
    cost::CostMutation,
    itpp::ItppMutation,
    feed::FeedMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, subscription::SubscriptionRoot>;

/// The schema `POST /graphql` runs, without extensions: an extension, even one that only watches
/// parsing, wraps every field resolved in boxed futures (a large share of a large answer's memory,
/// bench/HISTORY.md); the handler does the telemetry itself.
pub fn build_schema(db: Option<Db>, serve: &ServeArgs) -> AppSchema {
    builder(db, serve).finish()
}

/// The schema compiled queries run on: as `build_schema`'s, with the extension that answers each
/// compiled root field with its marker (the extension's cost falls on the few requests that mix
/// compiled and resolved root fields).
pub fn build_compiled_schema(db: Option<Db>, serve: &ServeArgs) -> AppSchema {
    builder(db, serve).extension(compiled::Splice).finish()
}

/// The schema of `/graphql/ws`: subscriptions only, with the execution telemetry as an extension.
pub fn build_ws_schema(db: Option<Db>, serve: &ServeArgs) -> AppSchema {
    builder(db, serve)
        .extension(crate::telemetry::GraphqlTelemetry)
        .extension(subscription::SubscriptionsOnly)
        .finish()
}

fn builder(
    db: Option<Db>,
    serve: &ServeArgs,
) -> SchemaBuilder<QueryRoot, MutationRoot, subscription::SubscriptionRoot> {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
    .limit_depth(serve.max_depth)
    .limit_complexity(serve.max_complexity)
    .limit_directives(serve.max_directives);
    if serve.introspection == IntrospectionMode::Off {
        builder = builder.disable_introspection();
    }
    if !serve.suggestions {
        builder = builder.disable_suggestions();
    }
    builder = builder.data(webhook::WebhookPolicy {
        allow: crate::service::webhook::url::AllowHosts::new(&serve.webhooks.webhook_allow_hosts),
        retry_window: std::time::Duration::from_secs(serve.webhooks.webhook_retry_window_secs),
    });
    builder = builder.data(evaluation::EvaluationPolicy {
        window_days: serve.evaluation_window_days,
    });
    if let Some(db) = db {
        builder = builder
            .data(loaders::Loaders::new(&db))
            .data(evaluation::EvaluationLoaders::new(&db))
            .data(itpp::ItppLoaders::new(&db))
            .data(contact::ContactLoaders::new(&db))
            .data(db);
    }
    builder
}

/// The SDL of the schema, as `ipcp schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    build_schema(None, &ServeArgs::default()).sdl()
}

pub(crate) fn db<'a>(ctx: &Context<'a>) -> Result<&'a Db> {
    ctx.data::<Db>()
        .map_err(|_| AppError::Internal("database missing from schema data".into()))
}

pub(crate) fn parse_id(entity: &'static str, id: &ID) -> Result<i32> {
    id.parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::not_found(entity, id.as_str()))
}

fn parse_cursor(field: &str, cursor: Option<String>) -> Result<Option<Cursor>> {
    cursor
        .map(|c| {
            Cursor::decode(&c)
                .ok_or_else(|| AppError::invalid(field, "this is not a cursor of this list"))
        })
        .transpose()
}

/// Paging arguments common to every list (Relay: first/after or last/before, at most 100 a page).
pub(crate) fn page_request(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest> {
    let after = parse_cursor("after", after)?;
    let before = parse_cursor("before", before)?;
    Ok(PageRequest {
        first,
        after: after.as_ref().map(|c| c.id),
        last,
        before: before.as_ref().map(|c| c.id),
        with_total: ctx.look_ahead().field("totalCount").exists(),
        after_key: after.and_then(|c| c.key),
        before_key: before.and_then(|c| c.key),
    })
}

/// Fields every connection has besides Relay's.
#[derive(SimpleObject)]
pub struct ConnectionFields {
    /// Number of items matching the filters across all pages (null unless asked for).
    pub total_count: Option<i64>,
}

pub(crate) type Conn<N> = Connection<Cursor, N, ConnectionFields>;

/// Edges hold their cursor as a value and encode it only when the selection asks for it, so a long
/// nested list costs no text per edge it does not show.
impl CursorType for Cursor {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> std::result::Result<Self, Self::Error> {
        Cursor::decode(s).ok_or("this is not a cursor of this list")
    }

    fn encode_cursor(&self) -> String {
        self.encode()
    }
}

pub(crate) fn connection<M, N: OutputType>(
    page: Page<M>,
    id: impl Fn(&M) -> i32,
    wrap: impl Fn(M) -> N,
) -> Conn<N> {
    let mut conn = Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        ConnectionFields {
            total_count: page.total.map(|t| t as i64),
        },
    );
    let mut cursors = page.cursors.into_iter();
    conn.edges.extend(page.items.into_iter().map(|m| {
        let cursor = cursors.next().unwrap_or_else(|| Cursor {
            key: None,
            id: id(&m),
        });
        Edge::new(cursor, wrap(m))
    }));
    conn
}

/// An optional input field: absent leaves the value, null clears it, a value sets it.
pub(crate) fn patch<T, U: From<T>>(value: MaybeUndefined<T>) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.into())),
    }
}
