//! The change log over GraphQL: `changes`, a Relay connection that reporting jobs resume from
//! their stored `endCursor`, and the `Change` type that the `changed` subscription streams.

use async_graphql::{
    connection::{Connection, Edge},
    Context, Json, Object, SimpleObject, ID,
};
use entity::change_log;

use super::{
    auth::{sees_personal_data, Allow},
    db,
    enums::ChangeKind,
    parse_id,
};
use crate::{
    error::Result,
    service::{
        auth::Access,
        change_log::{self as log, LogFilter},
    },
};

/// One committed change, as the change log records it.
pub struct Change {
    pub entry: change_log::Model,
    /// Whether the reader may see officers' personal data.
    pub personal_data: bool,
}

/// A record a change moved besides its own.
#[derive(SimpleObject)]
pub struct ChangeRef {
    /// The record's kind.
    pub kind: ChangeKind,
    /// The record's id.
    pub id: ID,
}

#[Object]
impl Change {
    /// Where this change stands in the log: resume after it with `after: cursor`.
    async fn cursor(&self) -> String {
        log::encode_cursor(self.entry.id)
    }
    /// The kind of record changed.
    async fn kind(&self) -> Result<ChangeKind> {
        ChangeKind::parse(&self.entry.kind).ok_or_else(|| {
            crate::error::AppError::Internal(format!("unknown change kind {}", self.entry.kind))
        })
    }
    /// What was done: the mutation (`nominateOfficer`) or the CLI command (`import`).
    async fn action(&self) -> &str {
        &self.entry.action
    }
    /// The id of the record changed ("batch" for a batch of enrollments).
    async fn entity_id(&self) -> ID {
        ID(self.entry.entity_id.clone())
    }
    /// The partner the record belongs to, where it belongs to one.
    async fn partner_id(&self) -> Option<ID> {
        self.entry.partner_id.map(|p| ID(p.to_string()))
    }
    /// Who made the change: a token's name, or `cli:COMMAND` / `worker:NAME`.
    async fn actor(&self) -> &str {
        &self.entry.actor
    }
    /// When it was committed.
    async fn occurred_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.entry.occurred_at
    }
    /// Each changed field and its new value (every field of a new record). Officers' personal
    /// fields are null for readers without the right to personal data.
    async fn changed(&self) -> Json<serde_json::Value> {
        Json(log::visible_changes(&self.entry, self.personal_data))
    }
    /// Other records the change moved: waitlisted officers promoted to a freed seat, enrollments
    /// cancelled with their iteration, the enrollments of a batch.
    async fn related(&self) -> Vec<ChangeRef> {
        log::related(&self.entry)
            .into_iter()
            .filter_map(|(kind, id)| {
                Some(ChangeRef {
                    kind: ChangeKind::parse(&kind)?,
                    id: ID(id.to_string()),
                })
            })
            .collect()
    }
}

/// Kinds and partner of a change-log read, from the API's arguments.
pub(crate) fn filter(kinds: Option<Vec<ChangeKind>>, partner_id: Option<&ID>) -> Result<LogFilter> {
    Ok(LogFilter {
        kinds: kinds
            .unwrap_or_default()
            .into_iter()
            .map(ChangeKind::as_str)
            .collect(),
        partner_id: partner_id.map(|p| parse_id("partner", p)).transpose()?,
    })
}

#[derive(Default)]
pub struct ChangeQuery;

#[Object]
impl ChangeQuery {
    /// Committed changes in log order, oldest first, after `after` (from the start of the log
    /// without it). A reporting job stores `pageInfo.endCursor` and resumes from it: no change is
    /// missed or repeated. BAD_CURSOR for a cursor that is not one; CURSOR_EXPIRED when the log
    /// no longer holds what followed it (`IPCP_CHANGE_LOG_RETENTION_DAYS`).
    #[graphql(guard = "Allow(Access::Report)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size, at most 500 (default 50).")] first: Option<i32>,
        #[graphql(desc = "Only changes of these kinds.")] kinds: Option<Vec<ChangeKind>>,
        #[graphql(desc = "Only changes of this partner's records.")] partner_id: Option<ID>,
    ) -> Result<Connection<String, Change>> {
        let position = after.as_deref().map(log::decode_cursor).transpose()?;
        let first = match first {
            Some(n) if n < 1 => {
                return Err(crate::error::AppError::invalid(
                    "first",
                    "must be at least 1",
                ))
            }
            Some(n) => n as u64,
            None => log::DEFAULT_PAGE,
        };
        let filter = filter(kinds, partner_id.as_ref())?;
        let page = log::read(&db(ctx)?.conn, position, first, &filter).await?;
        let personal_data = sees_personal_data(ctx);
        let mut conn = Connection::new(position.is_some(), page.has_more);
        conn.edges.extend(page.entries.into_iter().map(|entry| {
            Edge::new(
                log::encode_cursor(entry.id),
                Change {
                    entry,
                    personal_data,
                },
            )
        }));
        Ok(conn)
    }
}
