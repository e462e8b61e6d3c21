//! Reading the change log: what every unit of work appended (`uow`), in commit order, from a
//! position. Reporting jobs page through it (`changes`), subscriptions replay it and then follow
//! it, the webhook worker fans it out.
//!
//! A cursor is opaque to clients: base64 of `log:POSITION`. A position older than the retention
//! horizon (entries deleted after `IPCP_CHANGE_LOG_RETENTION_DAYS`) gets CURSOR_EXPIRED, never a
//! silent gap. Retention is upkeep, not a change of programme records: it deletes the oldest
//! entries and moves the horizon, and records no change of its own.

use crate::error::ErrorCode;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Duration;
use entity::change_log::{self, Column, Entity};
use futures_util::{stream, Stream};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde_json::{Map, Value as Json};
use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};
use tokio::sync::broadcast;

use super::now;
use crate::{
    error::{AppError, Result},
    service::Db,
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
    "evaluation_response",
    "evaluation_follow_up",
    "point_of_contact",
    "cost_line",
    "indicator_measurement",
    "api_token",
    "feed_token",
    "webhook_endpoint",
    "webhook_delivery",
    "dataset",
];

/// Personal fields per kind of record: shown in a change only to readers allowed personal data.
const PERSONAL_FIELDS: &[(&str, &[&str])] = &[
    ("officer", &["family_name", "given_name", "position", "slp"]),
    // Evaluation answers can be traced to the officer who gave them.
    ("evaluation_response", &["ratings", "comment"]),
    ("evaluation_follow_up", &["note"]),
    (
        "point_of_contact",
        &["family_name", "given_name", "email", "phone"],
    ),
];

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
        AppError::rule(ErrorCode::BadCursor,
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
        return Err(AppError::rule(ErrorCode::CursorExpired,
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

/// The newest entry's position (0 for an empty log), the horizon aside.
pub async fn head_position<C: ConnectionTrait>(conn: &C) -> Result<i64> {
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
pub async fn purged_through<C: ConnectionTrait>(conn: &C) -> Result<i64> {
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

/// Entries read from the log at once, by a follower's replay or by the tail.
const FOLLOW_BATCH: u64 = 200;
/// Batches the tail keeps for a slow follower before that follower reads the database instead.
const TAIL_BUFFER: usize = 256;

/// Entries the tail read after position `after`, in log order.
pub struct TailBatch {
    after: i64,
    entries: Vec<change_log::Model>,
}

/// One reader of the log's new entries per instance, shared by every follower that has caught up:
/// a commit costs one read however many subscriptions are open. The tail runs while followers
/// listen and stops when the last one has gone.
#[derive(Clone)]
pub struct LogTail {
    tx: broadcast::Sender<Arc<TailBatch>>,
    running: Arc<AtomicBool>,
}

impl Default for LogTail {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(TAIL_BUFFER);
        LogTail {
            tx,
            running: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl LogTail {
    /// A receiver of every batch the tail reads from now on (starting the tail if it is idle).
    fn subscribe(&self, db: &Db) -> broadcast::Receiver<Arc<TailBatch>> {
        let rx = self.tx.subscribe();
        if !self.running.swap(true, Ordering::SeqCst) {
            tokio::spawn(run_tail(db.clone(), self.clone()));
        }
        rx
    }

    /// Whether the tail should stop: no follower listens (checked again after saying so, so a
    /// follower arriving meanwhile keeps it running).
    fn idle(&self) -> bool {
        if self.tx.receiver_count() > 0 {
            return false;
        }
        self.running.store(false, Ordering::SeqCst);
        !(self.tx.receiver_count() > 0
            && self
                .running
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok())
    }
}

/// The tail: reads the entries after the last one it read whenever this instance hears of a
/// commit, and every `db.change_poll` in any case, and hands them to the followers.
async fn run_tail(db: Db, tail: LogTail) {
    let mut wake = db.events.subscribe();
    let mut position = None;
    loop {
        if tail.idle() {
            return;
        }
        wake.borrow_and_update();
        // With read replicas, the tail reads the steady one (its followers read there too).
        let reads = db.steady_reads();
        let last = match position {
            Some(p) => Ok(p),
            // Starting (or restarting) at the head: an empty batch says where, so that a follower
            // still behind it goes back to the database instead of waiting for the next change.
            None => head(&reads.conn).await.inspect(|&head| {
                let _ = tail.tx.send(Arc::new(TailBatch {
                    after: head,
                    entries: Vec::new(),
                }));
            }),
        };
        match last {
            Ok(last) => {
                position = Some(last);
                match read(&reads.conn, Some(last), FOLLOW_BATCH, &LogFilter::default()).await {
                    Ok(page) => {
                        if let Some(newest) = page.entries.last().map(|e| e.id) {
                            position = Some(newest);
                            let _ = tail.tx.send(Arc::new(TailBatch {
                                after: last,
                                entries: page.entries,
                            }));
                            if page.has_more {
                                continue;
                            }
                        }
                    }
                    // Retention overtook the tail (a long outage): start again at the head;
                    // followers see the jump and read what they need from the database.
                    Err(err) if err.code() == ErrorCode::CursorExpired => position = None,
                    Err(err) => {
                        tracing::warn!(error = ?err, "reading the change log failed; retrying")
                    }
                }
            }
            Err(err) => tracing::warn!(error = ?err, "reading the change log failed; retrying"),
        }
        let poll = db.change_poll;
        tokio::select! {
            _ = wake.changed() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Follows the log from position `after`: every entry the filter accepts, in log order, first
/// those already committed (the replay, read from the database), then each new one as it commits
/// (from the instance's shared tail), with no gap and no duplicate: a follower listens to the tail
/// before its replay ends, takes from a batch only the entries after its own position, and goes
/// back to the database whenever a batch starts after its position (it lagged, or the tail
/// started later). The first error ends the stream with it (CURSOR_EXPIRED for an expired
/// `after`); database errors while following are retried.
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
        tail: broadcast::Receiver<Arc<TailBatch>>,
        /// The newest position a tail batch showed: a replay stops short of it only when the
        /// server it read lags the tail's (another replica), and then reads again.
        seen: i64,
        replaying: bool,
        started: bool,
        ended: bool,
    }
    let tail = db.tail.subscribe(&db);
    let state = Follow {
        db,
        position: after,
        filter,
        ready: VecDeque::new(),
        tail,
        seen: after,
        replaying: true,
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
            if st.replaying {
                match replay(&st.db.steady_reads(), st.position, &st.filter).await {
                    Ok((entries, position, more)) => {
                        st.started = true;
                        st.position = position;
                        st.replaying = more || position < st.seen;
                        st.ready.extend(entries);
                        if !more && position < st.seen && st.ready.is_empty() {
                            tokio::time::sleep(st.db.change_poll.min(LAGGING_READ)).await;
                        }
                    }
                    Err(err) if !st.started || err.code() == ErrorCode::CursorExpired => {
                        st.ended = true;
                        return Some((Err(err), st));
                    }
                    Err(err) => {
                        tracing::warn!(error = ?err, "reading the change log failed; retrying");
                        tokio::time::sleep(st.db.change_poll).await;
                    }
                }
                continue;
            }
            match st.tail.recv().await {
                Ok(batch) if batch.after <= st.position => {
                    let position = st.position;
                    for entry in batch.entries.iter().filter(|e| e.id > position) {
                        st.position = entry.id;
                        if st.filter.accepts(entry) {
                            st.ready.push_back(entry.clone());
                        }
                    }
                }
                Ok(batch) => {
                    st.seen = st
                        .seen
                        .max(batch.entries.last().map_or(batch.after, |e| e.id));
                    st.replaying = true;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => st.replaying = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// How soon a follower reads again when the server it reads has not yet replayed entries the
/// tail has already seen (a read replica behind another).
const LAGGING_READ: std::time::Duration = std::time::Duration::from_millis(50);

/// One page of a follower's replay from the database: the entries after `position` the filter
/// accepts, the position the follower is at after it, and whether more follow. A short page means
/// caught up: the follower is then at the log's head as it was before the read (every entry up to
/// it was committed, and none after `position` matched), so the tail's batches line up with it.
async fn replay(
    db: &Db,
    position: i64,
    filter: &LogFilter,
) -> Result<(Vec<change_log::Model>, i64, bool)> {
    let head_before = head_position(&db.conn).await?;
    let page = read(&db.conn, Some(position), FOLLOW_BATCH, filter).await?;
    let position = match page.entries.last() {
        Some(last) if page.has_more => last.id,
        Some(last) => last.id.max(head_before),
        None => position.max(head_before),
    };
    Ok((page.entries, position, page.has_more))
}

impl LogFilter {
    /// Whether an entry passes the filter (as the SQL of `read` decides).
    fn accepts(&self, entry: &change_log::Model) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&entry.kind.as_str()))
            && self.partner_id.is_none_or(|p| entry.partner_id == Some(p))
    }
}

/// The entry's changed fields as `reader` may see them: officers' personal fields hidden from
/// readers without the personal-data right.
pub fn visible_changes(entry: &change_log::Model, personal_data: bool) -> Json {
    let mut changed: Map<String, Json> = match serde_json::from_str(&entry.changed) {
        Ok(Json::Object(m)) => m,
        _ => Map::new(),
    };
    let personal = PERSONAL_FIELDS
        .iter()
        .find(|(kind, _)| *kind == entry.kind)
        .map(|(_, fields)| *fields);
    if let (false, Some(fields)) = (personal_data, personal) {
        for field in fields {
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
            assert_eq!(err, Some(ErrorCode::BadCursor), "{bad}");
        }
    }
}
