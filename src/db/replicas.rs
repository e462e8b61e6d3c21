//! Reads from PostgreSQL streaming replicas (`IPCP_DATABASE_REPLICA_URLS`).
//!
//! The primary takes every write; a replica serves reads once it is known to be close behind:
//! - every `IPCP_REPLICA_CHECK_MS`, the checker samples the primary's WAL write position and each
//!   replica's replay position. A replica's lag is how long ago the primary had written WAL the
//!   replica has not replayed yet (0 when it has replayed everything the primary had), so an idle
//!   primary never makes a replica look stale, and a paused or broken replica falls behind as soon
//!   as something is written.
//! - a replica lagging more than `IPCP_REPLICA_MAX_LAG_MS`, or not answering, leaves the rotation
//!   and comes back when it has caught up; with none left, reads go to the primary.
//! - read-your-writes: a mutation's answer carries the primary's WAL position after its commit.
//!   For `IPCP_READ_YOUR_WRITES_MS` the same caller's reads, and any read that sends a position
//!   back (`Ipcp-Wal-Position`), go to a replica known to have replayed it, else to the primary.
//!
//! A replica is checked to be one (`pg_is_in_recovery()`) of the primary's cluster (the same
//! `system_identifier`) when it first answers: at start-up, where a wrong one stops the server,
//! or later for a replica that was down then.

use std::{
    collections::{HashMap, VecDeque},
    str::FromStr,
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use super::Pool;
use crate::{
    config::{redact_url, DatabaseArgs},
    error::{AppError, Result},
};

pub const REPLICA_LAG: &str = "ipcp_db_replica_lag_ms";
pub const REPLICA_HEALTHY: &str = "ipcp_db_replica_healthy";
pub const READS: &str = "ipcp_db_reads_total";

/// A position in the primary's write-ahead log (PostgreSQL's `pg_lsn`, written `X/Y` in hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WalPosition(pub u64);

impl FromStr for WalPosition {
    type Err = ();

    fn from_str(s: &str) -> std::result::Result<WalPosition, ()> {
        let (high, low) = s.trim().split_once('/').ok_or(())?;
        if high.is_empty() || low.is_empty() || high.len() > 8 || low.len() > 8 {
            return Err(());
        }
        let high = u64::from_str_radix(high, 16).map_err(|_| ())?;
        let low = u64::from_str_radix(low, 16).map_err(|_| ())?;
        Ok(WalPosition(high << 32 | low))
    }
}

impl std::fmt::Display for WalPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// Where one request's reads go, and why (the `reason` label of `ipcp_db_reads_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadTarget {
    Replica(usize),
    Primary(PrimaryReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrimaryReason {
    /// No replica in rotation has replayed the caller's last write (or the position it sent).
    ReadYourWrites,
    /// No replica is in rotation.
    NoHealthyReplica,
    /// The replica chosen failed during the request; it was asked again of the primary.
    ReplicaFailed,
}

impl PrimaryReason {
    fn label(self) -> &'static str {
        match self {
            PrimaryReason::ReadYourWrites => "read_your_writes",
            PrimaryReason::NoHealthyReplica => "no_healthy_replica",
            PrimaryReason::ReplicaFailed => "replica_failed",
        }
    }
}

/// One replica: its pool and what the last check found.
pub struct Replica {
    /// `host:port`, the `replica` label in `/metrics`.
    pub label: String,
    pub pool: Pool,
    healthy: AtomicBool,
    /// Its cluster was checked (a standby of the primary's cluster).
    verified: AtomicBool,
    replay: AtomicU64,
    lag_ms: AtomicU64,
}

impl Replica {
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Acquire)
    }

    pub fn lag_ms(&self) -> u64 {
        self.lag_ms.load(Ordering::Relaxed)
    }

    fn replayed(&self, position: Option<WalPosition>) -> bool {
        position.is_none_or(|p| self.replay.load(Ordering::Acquire) >= p.0)
    }
}

/// The replicas of one instance, their health, and the callers' recent writes.
pub struct Replicas {
    pub members: Vec<Replica>,
    next: AtomicUsize,
    max_lag: Duration,
    window: Duration,
    check_every: Duration,
    system_identifier: String,
    /// The primary's WAL position at each recent check, oldest first.
    samples: Mutex<VecDeque<(Instant, u64)>>,
    /// Each caller's last write: its position and when it committed.
    recent_writes: Mutex<HashMap<String, (WalPosition, Instant)>>,
}

impl Replicas {
    /// Connects to the configured replicas (none: `None`). Refuses to start with a malformed URL,
    /// with SQLite as the primary, or with a replica that answers but is not a standby of the
    /// primary's cluster. A replica that does not answer yet starts out of rotation.
    pub async fn connect(primary: &Pool, args: &DatabaseArgs) -> Result<Option<Arc<Replicas>>> {
        let urls: Vec<&str> = args
            .database_replica_urls
            .iter()
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
            .collect();
        if urls.is_empty() {
            return Ok(None);
        }
        if !primary.is_postgres() {
            return Err(refuse(
                "IPCP_DATABASE_REPLICA_URLS is set, but the database is SQLite: read replicas are PostgreSQL streaming replicas; unset it or use PostgreSQL".into(),
            ));
        }
        let mut members = Vec::with_capacity(urls.len());
        for (n, url) in urls.iter().enumerate() {
            let parsed = url
                .starts_with("postgres://")
                .then_some(())
                .or_else(|| url.starts_with("postgresql://").then_some(()))
                .and_then(|()| sea_orm::sqlx::postgres::PgConnectOptions::from_str(url).ok())
                .ok_or_else(|| {
                    refuse(format!(
                        "IPCP_DATABASE_REPLICA_URLS entry {} ({}) is not a PostgreSQL URL (postgres://user@host:port/database)",
                        n + 1,
                        redact_url(url)
                    ))
                })?;
            let label = format!("{}:{}", parsed.get_host(), parsed.get_port());
            let pool = Pool::connect_replica(url, args).await?;
            members.push(Replica {
                label,
                pool,
                healthy: AtomicBool::new(false),
                verified: AtomicBool::new(false),
                replay: AtomicU64::new(0),
                lag_ms: AtomicU64::new(0),
            });
        }
        let system_identifier = system_identifier(&primary.conn).await?;
        let replicas = Replicas {
            members,
            next: AtomicUsize::new(0),
            max_lag: Duration::from_millis(args.replica_max_lag_ms),
            window: Duration::from_millis(args.read_your_writes_ms),
            check_every: Duration::from_millis(args.replica_check_ms.max(10)),
            system_identifier,
            samples: Mutex::new(VecDeque::new()),
            recent_writes: Mutex::new(HashMap::new()),
        };
        for replica in &replicas.members {
            match tokio::time::timeout(CHECK_TIMEOUT, replicas.verify(replica)).await {
                Ok(Ok(())) => {}
                Ok(Err(Refused(reason))) => return Err(refuse(reason)),
                Ok(Err(Unreachable)) | Err(_) => tracing::warn!(
                    replica = replica.label,
                    "read replica does not answer; it joins the rotation when it does"
                ),
            }
        }
        Ok(Some(Arc::new(replicas)))
    }

    /// Checks that a replica that answers is a standby of the primary's cluster (once).
    async fn verify(&self, replica: &Replica) -> std::result::Result<(), CheckError> {
        if replica.verified.load(Ordering::Acquire) {
            return Ok(());
        }
        let conn = &replica.pool.conn;
        let id = system_identifier(conn).await.map_err(|_| Unreachable)?;
        if id != self.system_identifier {
            return Err(Refused(format!(
                "read replica {} belongs to another PostgreSQL cluster (system identifier {id}, the primary's is {}): IPCP_DATABASE_REPLICA_URLS must name standbys of DATABASE_URL's server",
                replica.label, self.system_identifier
            )));
        }
        if !in_recovery(conn).await.map_err(|_| Unreachable)? {
            return Err(Refused(format!(
                "read replica {} is not a standby (pg_is_in_recovery() is false): it is a primary, and writes to it would diverge from DATABASE_URL's server",
                replica.label
            )));
        }
        replica.verified.store(true, Ordering::Release);
        Ok(())
    }

    /// Where the reads of a request go: round-robin among the replicas in rotation that have
    /// replayed `min` (the caller's recent write or the position it sent), else the primary.
    pub fn choose(&self, min: Option<WalPosition>) -> ReadTarget {
        let n = self.members.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut any_healthy = false;
        for k in 0..n {
            let i = (start + k) % n;
            let replica = &self.members[i];
            if replica.is_healthy() {
                any_healthy = true;
                if replica.replayed(min) {
                    return ReadTarget::Replica(i);
                }
            }
        }
        ReadTarget::Primary(if any_healthy {
            PrimaryReason::ReadYourWrites
        } else {
            PrimaryReason::NoHealthyReplica
        })
    }

    /// The replica a long-lived reader (the change-log tail, subscriptions) stays on: the first in
    /// rotation, so that the tail and its followers read the same server while it stays healthy.
    pub fn steady(&self) -> Option<usize> {
        self.members.iter().position(|r| r.is_healthy())
    }

    /// Counts a routing decision in `/metrics`.
    pub fn count(&self, target: ReadTarget) {
        match target {
            ReadTarget::Replica(i) => metrics::counter!(
                READS,
                "target" => "replica",
                "replica" => self.members[i].label.clone(),
                "reason" => "rotation"
            )
            .increment(1),
            ReadTarget::Primary(reason) => metrics::counter!(
                READS,
                "target" => "primary",
                "replica" => "",
                "reason" => reason.label()
            )
            .increment(1),
        }
    }

    /// Takes a replica out of rotation after a failed read; the next check puts it back if it
    /// answers.
    pub fn failed(&self, index: usize) {
        if let Some(replica) = self.members.get(index) {
            replica.healthy.store(false, Ordering::Release);
            tracing::warn!(
                replica = replica.label,
                "read replica failed a request; out of rotation until it answers a check"
            );
        }
    }

    /// The position a caller's reads must see: its own last write within the window, or the one
    /// it sent, whichever is later.
    pub fn required(&self, caller: &str, sent: Option<WalPosition>) -> Option<WalPosition> {
        let own = self
            .recent_writes
            .lock()
            .ok()
            .and_then(|w| w.get(caller).copied())
            .filter(|(_, at)| at.elapsed() < self.window)
            .map(|(p, _)| p);
        own.max(sent)
    }

    /// Remembers a caller's write for the read-your-writes window.
    pub fn wrote(&self, caller: &str, position: WalPosition) {
        if let Ok(mut writes) = self.recent_writes.lock() {
            if writes.len() >= 10_000 {
                let window = self.window;
                writes.retain(|_, (_, at)| at.elapsed() < window);
            }
            let entry = writes
                .entry(caller.to_owned())
                .or_insert((position, Instant::now()));
            *entry = (entry.0.max(position), Instant::now());
        }
    }

    /// Sets each replica's gauges (called when `/metrics` is scraped).
    pub fn export_gauges(&self) {
        for replica in &self.members {
            metrics::gauge!(REPLICA_LAG, "replica" => replica.label.clone())
                .set(replica.lag_ms() as f64);
            metrics::gauge!(REPLICA_HEALTHY, "replica" => replica.label.clone())
                .set(if replica.is_healthy() { 1.0 } else { 0.0 });
        }
    }

    /// Runs the checks every `IPCP_REPLICA_CHECK_MS` for as long as the instance runs.
    pub fn spawn_checks(self: &Arc<Self>, primary: Pool) {
        let replicas = Arc::downgrade(self);
        let every = self.check_every;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(replicas) = replicas.upgrade() else {
                    return;
                };
                replicas.check(&primary).await;
            }
        });
    }

    /// One round of checks: the primary's position, then every replica's replay position.
    async fn check(&self, primary: &Pool) {
        if let Ok(Ok(position)) =
            tokio::time::timeout(CHECK_TIMEOUT, primary_position(primary)).await
        {
            let now = Instant::now();
            if let Ok(mut samples) = self.samples.lock() {
                samples.push_back((now, position.0));
                let keep = self.max_lag * 2 + self.check_every * 4;
                while samples.len() > 1
                    && samples
                        .front()
                        .is_some_and(|(at, _)| now.duration_since(*at) > keep)
                {
                    samples.pop_front();
                }
            }
        }
        let checks = self.members.iter().map(|replica| async move {
            let replay = tokio::time::timeout(CHECK_TIMEOUT, async {
                self.verify(replica).await?;
                replay_position(&replica.pool.conn)
                    .await
                    .map_err(|_| Unreachable)
            })
            .await;
            match replay {
                Ok(Ok(Some(position))) => {
                    replica.replay.store(position.0, Ordering::Release);
                    let lag = self.lag(position);
                    replica.lag_ms.store(
                        u64::try_from(lag.as_millis()).unwrap_or(u64::MAX),
                        Ordering::Relaxed,
                    );
                    let healthy = lag <= self.max_lag;
                    if replica.healthy.swap(healthy, Ordering::AcqRel) != healthy {
                        tracing::info!(
                            replica = replica.label,
                            lag_ms = lag.as_millis() as u64,
                            healthy,
                            "read replica {}",
                            if healthy {
                                "back in rotation"
                            } else {
                                "out of rotation: lagging"
                            }
                        );
                    }
                }
                Ok(Ok(None)) => self.out(replica, "it is no longer a standby (promoted?)"),
                Ok(Err(Refused(reason))) => {
                    tracing::error!(replica = replica.label, "{reason}");
                    self.out(replica, "it is not a standby of the primary's cluster");
                }
                Ok(Err(Unreachable)) | Err(_) => self.out(replica, "it does not answer"),
            }
        });
        futures_util::future::join_all(checks).await;
    }

    fn out(&self, replica: &Replica, why: &str) {
        if replica.healthy.swap(false, Ordering::AcqRel) {
            tracing::warn!(
                replica = replica.label,
                "read replica out of rotation: {why}"
            );
        }
    }

    /// How long ago the primary had written WAL beyond `replayed`: zero when the replica has
    /// replayed everything the primary had at the last check; beyond the sampled horizon (a
    /// replica behind every sample) it counts as more than the limit.
    fn lag(&self, replayed: WalPosition) -> Duration {
        let Ok(samples) = self.samples.lock() else {
            return Duration::MAX;
        };
        let Some(first_missing) = samples.iter().position(|(_, p)| *p > replayed.0) else {
            return Duration::ZERO;
        };
        let (at, _) = samples[first_missing];
        let behind = at.elapsed();
        if first_missing == 0 {
            behind.max(self.max_lag + Duration::from_millis(1))
        } else {
            behind
        }
    }
}

/// How long one check may take before its server counts as not answering.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

enum CheckError {
    /// The server answered but is not a standby of the primary's cluster.
    Refused(String),
    Unreachable,
}
use CheckError::{Refused, Unreachable};

fn refuse(reason: String) -> AppError {
    AppError::Internal(format!("refusing to start: {reason}"))
}

async fn text(conn: &impl ConnectionTrait, sql: &str) -> Result<Option<String>> {
    let row = conn
        .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await?;
    Ok(row.and_then(|r| r.try_get_by_index::<Option<String>>(0).ok().flatten()))
}

async fn system_identifier(conn: &impl ConnectionTrait) -> Result<String> {
    text(
        conn,
        "SELECT system_identifier::text FROM pg_control_system()",
    )
    .await?
    .ok_or_else(|| AppError::Internal("pg_control_system() returned nothing".into()))
}

async fn in_recovery(conn: &impl ConnectionTrait) -> Result<bool> {
    Ok(text(conn, "SELECT pg_is_in_recovery()::text")
        .await?
        .as_deref()
        == Some("true"))
}

/// The primary's WAL write position now: after a commit, at or past the commit's record.
pub async fn primary_position(primary: &Pool) -> Result<WalPosition> {
    text(&primary.conn, "SELECT pg_current_wal_lsn()::text")
        .await?
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| AppError::Internal("pg_current_wal_lsn() did not parse".into()))
}

/// A standby's replay position; `None` when the server is not (or no longer) a standby.
async fn replay_position(conn: &impl ConnectionTrait) -> Result<Option<WalPosition>> {
    Ok(text(
        conn,
        "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END",
    )
    .await?
    .and_then(|t| t.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::WalPosition;

    #[test]
    fn wal_positions_parse_compare_and_print_as_postgresql_writes_them() {
        let a: WalPosition = "16/B374D848".parse().unwrap();
        let b: WalPosition = "17/0".parse().unwrap();
        assert_eq!(a.0, 0x16_B374_D848);
        assert!(a < b);
        assert_eq!(a.to_string(), "16/B374D848");
        assert_eq!(b.to_string(), "17/0");
        for bad in ["", "16", "/1", "1/", "x/1", "1/2/3", "123456789/0", "-1/0"] {
            assert!(bad.parse::<WalPosition>().is_err(), "{bad:?}");
        }
    }
}
