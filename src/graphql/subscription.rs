//! Live updates: subscriptions over `graphql-transport-ws` at `/graphql/ws`, fed by the events that
//! mutations announce after they commit (`service::events`). Each event is reloaded by id, so a
//! subscriber sees the committed record with the same field visibility as a query.

use std::sync::Arc;

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, OperationType},
    Context, ServerError, ServerResult, Subscription, Variables, ID,
};
use futures_util::{stream, Stream};
use tokio::sync::broadcast::error::RecvError;

use super::{activity::Activity, auth::Allow, db, enrollment::Enrollment, parse_id};
use crate::{
    error::Result,
    service::{
        self,
        auth::Access,
        events::{Event, EventKind},
    },
};

#[derive(Default)]
pub struct SubscriptionRoot;

/// The next event of `kind` whose reloaded record `keep` accepts.
fn events<M, T>(
    ctx: &Context<'_>,
    kind: EventKind,
    load: impl Fn(crate::db::Db, i32) -> futures_util::future::BoxFuture<'static, Result<M>>
        + Send
        + Sync
        + 'static,
    keep: impl Fn(&M) -> bool + Send + Sync + 'static,
    wrap: fn(M) -> T,
) -> Result<impl Stream<Item = T>>
where
    M: Send + 'static,
    T: Send + 'static,
{
    let db = db(ctx)?.clone();
    let rx = db.events.subscribe();
    Ok(stream::unfold(
        (rx, db, load, keep),
        move |(mut rx, db, load, keep)| async move {
            loop {
                match rx.recv().await {
                    Ok(Event { kind: k, id }) if k == kind => {
                        // A record gone or unreadable since the event is skipped, not an error.
                        if let Ok(m) = load(db.clone(), id).await {
                            if keep(&m) {
                                return Some((wrap(m), (rx, db, load, keep)));
                            }
                        }
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    ))
}

#[Subscription]
impl SubscriptionRoot {
    /// An enrollment was nominated or changed status (committed), optionally only in one iteration.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn enrollment_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only enrollments in this iteration.")] iteration_id: Option<ID>,
    ) -> Result<impl Stream<Item = Enrollment>> {
        let iteration = iteration_id
            .as_ref()
            .map(|id| parse_id("course iteration", id))
            .transpose()?;
        events(
            ctx,
            EventKind::Enrollment,
            |db, id| Box::pin(async move { service::enrollment::get(&db.conn, id).await }),
            move |m: &entity::enrollment::Model| iteration.is_none_or(|i| m.iteration_id == i),
            Enrollment::from,
        )
    }

    /// An activity was recorded or changed (committed), optionally only in one cycle.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn activity_recorded(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only activities of this programme cycle.")] cycle_id: Option<ID>,
    ) -> Result<impl Stream<Item = Activity>> {
        let cycle = cycle_id
            .as_ref()
            .map(|id| parse_id("programme cycle", id))
            .transpose()?;
        events(
            ctx,
            EventKind::Activity,
            |db, id| Box::pin(async move { service::activity::get(&db.conn, id).await }),
            move |m: &entity::activity::Model| cycle.is_none_or(|c| m.cycle_id == c),
            Activity,
        )
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
                .set("code", "BAD_REQUEST");
            return Err(err);
        }
        Ok(doc)
    }
}
