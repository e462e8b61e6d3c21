//! Reading the change log: what every unit of work appended (`uow`), in commit order, from a
//! position. Reporting jobs page through it (`changes`), subscriptions replay it and then follow
//! it, the webhook worker fans it out.
//!
//! A cursor is opaque to clients: base64 of `log:POSITION`. A position older than the retention
//! horizon (entries deleted after `IPCP_CHANGE_LOG_RETENTION_DAYS`) gets CURSOR_EXPIRED, never a
//! silent gap. Retention is upkeep, not a change of programme records: it deletes the oldest
//! entries and moves the horizon, and records no change of its own.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Duration;
use entity::change_log::{self, Column, Entity};
use futures_util::{stream, Stream};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde_json::{Map, Value as Json};
use std::collections::VecDeque;
use tokio::sync::watch;

use super::now;
use crate::{
    db::Db,
    error::{AppError, Result},
};

/// The kinds of record the log names (`Audited::ENTITY`), plus `dataset` for bulk loads.
pub const KINDS: &[&str] = &[
    "partner",
    "partnership_milestone",
    "cooperation_area",
    "programme_cycle",
    "objective",
    "course",
    "course_iteration",
    "officer",
    "enrollment",
    "activity",
    "api_token",
    "webhook_endpoint",
    "webhook_delivery",
    "dataset",
];

/// Officers' personal fields: shown in a change only to readers allowed personal data.
const PERSONAL_FIELDS: &[&str] = &["family_name", "given_name", "position", "slp"];

/// Default page size and the most one read returns.
pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 500;

/// A position in the log, as clients hold it.
pub fn encode_cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("log:{position}"))
}

/// The position a cursor stands for; BAD_CURSOR for anything that is not one of ours.
pub fn decode_cursor(cursor: &str) -> Result<i64> {
    let bad = || {
        AppError::rule(
            "BAD_CURSOR",
            "the cursor is not a change-log cursor: pass an endCursor or a change's cursor as given",
        )
    };
    let plain = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let plain = String::from_utf8(plain).map_err(|_| bad())?;
    let position: i64 = plain
        .strip_prefix("log:")
        .and_then(|p| p.parse().ok())
        .ok_or_else(bad)?;
    if position < 0 {
        return Err(bad());
    }
    Ok(position)
}

/// Which entries a reader wants.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Only these kinds (none: all).
    pub kinds: Vec<&'static str>,
    pub partner_id: Option<i32>,
}

/// Up to `first` entries after `after`, oldest first; `has_more` says whether more follow.
pub struct LogPage {
    pub entries: Vec<change_log::Model>,
    pub has_more: bool,
}

/// Reads entries after position `after` (from the oldest kept without one). CURSOR_EXPIRED when
/// retention deleted entries after it.
pub async fn read<C: ConnectionTrait>(
    conn: &C,
    after: Option<i64>,
    first: u64,
    filter: &LogFilter,
) -> Result<LogPage> {
    let horizon = purged_through(conn).await?;
    let after = after.unwrap_or(horizon);
    if after < horizon {
        return Err(AppError::rule(
            "CURSOR_EXPIRED",
            "the change log keeps entries for a limited time and those after this cursor were deleted; start again from the beginning (no cursor) and take a full snapshot",
        ));
    }
    let first = first.clamp(1, MAX_PAGE);
    let mut q = Entity::find()
        .filter(Column::Id.gt(after))
        .order_by_asc(Column::Id)
        .limit(first + 1);
    if !filter.kinds.is_empty() {
        q = q.filter(Column::Kind.is_in(filter.kinds.iter().copied()));
    }
    if let Some(p) = filter.partner_id {
        q = q.filter(Column::PartnerId.eq(p));
    }
    let mut entries = q.all(conn).await?;
    let has_more = entries.len() as u64 > first;
    entries.truncate(first as usize);
    Ok(LogPage { entries, has_more })
}

/// The newest position (0 for an empty log): where a reader that wants only what comes next starts.
pub async fn head<C: ConnectionTrait>(conn: &C) -> Result<i64> {
    Ok(head_position(conn).await?.max(purged_through(conn).await?))
}

async fn head_position<C: ConnectionTrait>(conn: &C) -> Result<i64> {
    let newest: Option<i64> = Entity::find()
        .select_only()
        .column_as(Column::Id.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    Ok(newest.unwrap_or(0))
}

/// The highest position retention deleted (0 when none was).
async fn purged_through<C: ConnectionTrait>(conn: &C) -> Result<i64> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT purged_through FROM change_log_retention WHERE id = 1",
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    })
}

/// Deletes the entries older than `days` at the head of the log (up to the first newer one:
/// the log stays a contiguous suffix); returns how many. The horizon moves first, so a crash in
/// between can only expire a cursor early, never leave a gap unnoticed.
pub async fn purge<C: ConnectionTrait>(conn: &C, days: u32) -> Result<u64> {
    let cutoff = now() - Duration::days(i64::from(days));
    let first_kept: Option<i64> = Entity::find()
        .select_only()
        .column_as(Column::Id.min(), "min")
        .filter(Column::OccurredAt.gte(cutoff))
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    let through = match first_kept {
        Some(first) => first - 1,
        None => head_position(conn).await?,
    };
    if through <= purged_through(conn).await? {
        return Ok(0);
    }
    let backend = conn.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE change_log_retention SET purged_through = GREATEST(purged_through, $1) WHERE id = 1"
        }
        _ => "UPDATE change_log_retention SET purged_through = MAX(purged_through, ?) WHERE id = 1",
    };
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [through.into()],
    ))
    .await?;
    let deleted = Entity::delete_many()
        .filter(Column::Id.lte(through))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected)
}

/// Follows the log from position `after`: every entry the filter accepts, in log order, first
/// those already committed (the replay), then each new one as it commits, with no gap and no
/// duplicate, because every read starts after the last entry read. New entries are looked for
/// when this instance hears of a commit (`EventBus`) and every `db.change_poll` in any case.
/// The first error ends the stream with it (CURSOR_EXPIRED for an expired `after`); database
/// errors while following are retried at the next poll.
pub fn follow(
    db: Db,
    after: i64,
    filter: LogFilter,
) -> impl Stream<Item = Result<change_log::Model>> + Send + 'static {
    struct Follow {
        db: Db,
        position: i64,
        filter: LogFilter,
        ready: VecDeque<change_log::Model>,
        wake: watch::Receiver<i64>,
        started: bool,
        ended: bool,
    }
    let wake = db.events.subscribe();
    let state = Follow {
        db,
        position: after,
        filter,
        ready: VecDeque::new(),
        wake,
        started: false,
        ended: false,
    };
    stream::unfold(state, |mut st| async move {
        loop {
            if st.ended {
                return None;
            }
            if let Some(entry) = st.ready.pop_front() {
                return Some((Ok(entry), st));
            }
            // Marks the newest announcement seen before reading, so a commit announced while the
            // read runs wakes the wait below at once.
            st.wake.borrow_and_update();
            match read(&st.db.conn, Some(st.position), FOLLOW_BATCH, &st.filter).await {
                Ok(page) => {
                    st.started = true;
                    if let Some(last) = page.entries.last() {
                        st.position = last.id;
                        st.ready.extend(page.entries);
                        continue;
                    }
                }
                Err(err) if !st.started || err.code() == "CURSOR_EXPIRED" => {
                    st.ended = true;
                    return Some((Err(err), st));
                }
                Err(err) => {
                    tracing::warn!(error = ?err, "reading the change log failed; retrying");
                }
            }
            let poll = st.db.change_poll;
            tokio::select! {
                _ = st.wake.changed() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    })
}

/// Entries one follower reads at a time.
const FOLLOW_BATCH: u64 = 200;

/// The entry's changed fields as `reader` may see them: officers' personal fields hidden from
/// readers without the personal-data right.
pub fn visible_changes(entry: &change_log::Model, personal_data: bool) -> Json {
    let mut changed: Map<String, Json> = match serde_json::from_str(&entry.changed) {
        Ok(Json::Object(m)) => m,
        _ => Map::new(),
    };
    if !personal_data && entry.kind == "officer" {
        for field in PERSONAL_FIELDS {
            if changed.contains_key(*field) {
                changed.insert((*field).to_owned(), Json::Null);
            }
        }
    }
    Json::Object(changed)
}

/// The other records an entry's change moved: (kind, id).
pub fn related(entry: &change_log::Model) -> Vec<(String, i32)> {
    let Some(text) = &entry.related else {
        return Vec::new();
    };
    let Ok(Json::Array(items)) = serde_json::from_str::<Json>(text) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|r| {
            Some((
                r.get("kind")?.as_str()?.to_owned(),
                i32::try_from(r.get("id")?.as_i64()?).ok()?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_decodes_to_its_position() {
        assert_eq!(decode_cursor(&encode_cursor(42)).ok(), Some(42));
    }

    #[test]
    fn text_that_is_not_a_log_cursor_is_a_bad_cursor() {
        for bad in [
            "",
            "!!",
            "bG9nOg",
            "aTox",
            &URL_SAFE_NO_PAD.encode("log:-1"),
        ] {
            let err = decode_cursor(bad).err().map(|e| e.code().to_owned());
            assert_eq!(err.as_deref(), Some("BAD_CURSOR"), "{bad}");
        }
    }
}
