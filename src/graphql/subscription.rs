//! Live updates: subscriptions over `graphql-transport-ws` at `/graphql/ws`, fed by the change log
//! (`service::change_log::follow`): a subscription replays from its `after` cursor, then follows
//! new entries as they commit. Records are reloaded by id, so a subscriber sees the committed
//! record with the same field visibility as a query.

use std::sync::Arc;

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, OperationType},
    Context, ServerError, ServerResult, Subscription, Variables, ID,
};
use futures_util::{stream, Stream, StreamExt};

use super::{
    activity::Activity,
    auth::{sees_personal_data, Allow},
    changes::Change,
    db,
    enrollment::Enrollment,
    enums::ChangeKind,
    parse_id,
};
use crate::{
    error::Result,
    service::Db,
    service::{
        self,
        auth::Access,
        change_log::{self, LogFilter},
    },
};

#[derive(Default)]
pub struct SubscriptionRoot;

/// Where a subscription starts: after the `after` cursor (the replay), else after the newest
/// committed change (only what comes next).
async fn start(ctx: &Context<'_>, after: Option<&str>) -> Result<(Db, i64)> {
    let db = db(ctx)?.clone();
    let position = match after {
        Some(cursor) => change_log::decode_cursor(cursor)?,
        None => change_log::head(&db.steady_reads().conn).await?,
    };
    Ok((db, position))
}

/// The ids of `kind` records an entry changed: its own record and the ones it moved.
fn ids_of(entry: &entity::change_log::Model, kind: &str) -> Vec<i32> {
    let own = (entry.kind == kind)
        .then(|| entry.entity_id.parse().ok())
        .flatten();
    let mut ids: Vec<i32> = own.into_iter().collect();
    for (k, id) in change_log::related(entry) {
        if k == kind && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The records of `kind` the log's entries changed from `position` on, reloaded as committed and
/// kept when `keep` accepts them. A record gone or unreadable since is skipped, not an error.
fn records<M, T>(
    db: Db,
    position: i64,
    kind: &'static str,
    load: impl Fn(Db, i32) -> futures_util::future::BoxFuture<'static, Result<M>>
        + Send
        + Sync
        + 'static,
    keep: impl Fn(&M) -> bool + Send + Sync + 'static,
    wrap: fn(M) -> T,
) -> impl Stream<Item = async_graphql::Result<T>>
where
    M: Send + 'static,
    T: Send + 'static,
{
    let load = std::sync::Arc::new(load);
    let keep = std::sync::Arc::new(keep);
    change_log::follow(db.clone(), position, LogFilter::default())
        .then(move |entry| {
            let (db, load, keep) = (db.clone(), load.clone(), keep.clone());
            async move {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(err) => return vec![Err(err.into())],
                };
                let mut out = Vec::new();
                for id in ids_of(&entry, kind) {
                    // Read where the log was read; a replica that has not replayed the record yet
                    // (it followed another one) leaves it to the primary.
                    let loaded = match load(db.steady_reads(), id).await {
                        Err(_) if db.replicas().is_some() => load(db.primary(), id).await,
                        loaded => loaded,
                    };
                    if let Ok(m) = loaded {
                        if keep(&m) {
                            out.push(Ok(wrap(m)));
                        }
                    }
                }
                out
            }
        })
        .flat_map(stream::iter)
}

#[Subscription]
impl SubscriptionRoot {
    /// Every committed change, in log order, each with its cursor. With `after`, the changes
    /// committed since that cursor come first (the replay), then the new ones as they commit, with
    /// no gap and no duplicate: a client that reconnects with the last cursor it received misses
    /// nothing. BAD_CURSOR / CURSOR_EXPIRED as for `changes`.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Replay the changes after this cursor first.")] after: Option<String>,
        #[graphql(desc = "Only changes of these kinds.")] kinds: Option<Vec<ChangeKind>>,
        #[graphql(desc = "Only changes of this partner's records.")] partner_id: Option<ID>,
    ) -> Result<impl Stream<Item = async_graphql::Result<Change>>> {
        let filter = super::changes::filter(kinds, partner_id.as_ref())?;
        let (db, position) = start(ctx, after.as_deref()).await?;
        let personal_data = sees_personal_data(ctx);
        Ok(change_log::follow(db, position, filter).map(move |entry| {
            entry
                .map(|entry| Change {
                    entry,
                    personal_data,
                })
                .map_err(Into::into)
        }))
    }

    /// An enrollment was nominated or changed status (committed), optionally only in one
    /// iteration. With `after` (a cursor from `changes` or `changed`), the enrollments changed
    /// since then come first.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn enrollment_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only enrollments in this iteration.")] iteration_id: Option<ID>,
        #[graphql(desc = "Replay the changes after this cursor first.")] after: Option<String>,
    ) -> Result<impl Stream<Item = async_graphql::Result<Enrollment>>> {
        let iteration = iteration_id
            .as_ref()
            .map(|id| parse_id("course iteration", id))
            .transpose()?;
        let (db, position) = start(ctx, after.as_deref()).await?;
        Ok(records(
            db,
            position,
            "enrollment",
            |db, id| Box::pin(async move { service::enrollment::get(&db.conn, id).await }),
            move |m: &entity::enrollment::Model| iteration.is_none_or(|i| m.iteration_id == i),
            Enrollment::from,
        ))
    }

    /// An activity was recorded or changed (committed), optionally only in one cycle. With
    /// `after`, the activities changed since then come first.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn activity_recorded(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only activities of this programme cycle.")] cycle_id: Option<ID>,
        #[graphql(desc = "Replay the changes after this cursor first.")] after: Option<String>,
    ) -> Result<impl Stream<Item = async_graphql::Result<Activity>>> {
        let cycle = cycle_id
            .as_ref()
            .map(|id| parse_id("programme cycle", id))
            .transpose()?;
        let (db, position) = start(ctx, after.as_deref()).await?;
        Ok(records(
            db,
            position,
            "activity",
            |db, id| Box::pin(async move { service::activity::get(&db.conn, id).await }),
            move |m: &entity::activity::Model| cycle.is_none_or(|c| m.cycle_id == c),
            Activity,
        ))
    }
}

/// Connection data of a websocket session: marks operations that arrive over `/graphql/ws`.
pub struct WebSocketSession;

/// Only subscriptions are accepted over the websocket: queries and mutations go to `POST /graphql`,
/// where the introspection policy, the alias limit and the rate limit apply.
pub struct SubscriptionsOnly;

impl ExtensionFactory for SubscriptionsOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SubscriptionsOnly)
    }
}

#[async_trait::async_trait]
impl Extension for SubscriptionsOnly {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let over_websocket = ctx.data_opt::<WebSocketSession>().is_some();
        if over_websocket
            && doc
                .operations
                .iter()
                .any(|(_, op)| op.node.ty != OperationType::Subscription)
        {
            let mut err = ServerError::new(
                "only subscriptions are accepted over the websocket; send queries and mutations to POST /graphql",
                None,
            );
            err.extensions
                .get_or_insert_with(Default::default)
                .set("code", crate::error::ErrorCode::BadRequest.as_str());
            return Err(err);
        }
        Ok(doc)
    }
}
