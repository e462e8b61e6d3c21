//! Writes: a nomination through `nominateOfficer` against a hand-written SQL transaction doing the
//! same work with the same checks, and a bulk import through `ipcp import enrollments` against
//! PostgreSQL's `COPY` of the same rows.
//!
//! Every request needs an (officer, iteration) pair that no rule refuses. The pool hands out each
//! pair once (so the service, the SQL twin and the import never share one), from the upcoming
//! iterations (PLANNED or OPEN, starting after today) that are full and whose course asks for no
//! language profile: a nomination into a full iteration is waitlisted and takes no seat, so the
//! pairs handed out later stay valid whatever order the clients run them in. An officer is paired
//! with an iteration only when they have no live enrollment in it and hold no seat in an
//! iteration whose dates overlap it (invariant 5).

use std::{
    collections::{HashMap, HashSet},
    process::Command,
    sync::{Arc, Mutex},
    time::Instant,
};

use sea_orm::sqlx::{self, PgPool};
use serde_json::{json, Value};

use crate::load::Error;

/// Statuses holding a seat, as the service counts them.
macro_rules! holding {
    () => {
        "('CONFIRMED', 'ATTENDED', 'COMPLETED', 'FAILED')"
    };
}

struct Upcoming {
    id: i32,
    /// Days since 1970-01-01.
    first: i32,
    last: i32,
}

pub struct PairPool {
    iterations: Vec<Upcoming>,
    officers: Vec<i32>,
    pub partner_of: HashMap<i32, i32>,
    /// Steps each iteration's officer cursor has taken.
    cursors: Vec<usize>,
    next: usize,
    /// (officer, iteration) pairs with a live enrollment, or already handed out.
    taken: HashSet<(i32, i32)>,
    /// Seats each officer holds in iterations near the upcoming ones: (iteration, first, last).
    seats: HashMap<i32, Vec<(i32, i32, i32)>>,
    pub handed_out: usize,
    /// Today and the dataset's last iteration start, to explain an empty pool.
    calendar: (String, String),
}

impl PairPool {
    pub async fn load(pool: &PgPool) -> Result<PairPool, Error> {
        let rows: Vec<(i32, i32, i32)> = sqlx::query_as(
            "SELECT i.id, i.start_date - DATE '1970-01-01', i.end_date - DATE '1970-01-01'
             FROM course_iteration i JOIN course c ON c.id = i.course_id
             WHERE i.status IN ('PLANNED', 'OPEN') AND i.start_date > (now() AT TIME ZONE 'UTC')::date
               AND i.seats_held >= i.capacity AND c.min_slp IS NULL
             ORDER BY i.id",
        )
        .fetch_all(pool)
        .await?;
        let (today, last_start): (String, Option<String>) = sqlx::query_as(
            "SELECT (now() AT TIME ZONE 'UTC')::date::text, MAX(start_date)::text FROM course_iteration",
        )
        .fetch_one(pool)
        .await?;
        let iterations: Vec<Upcoming> = rows
            .into_iter()
            .map(|(id, first, last)| Upcoming { id, first, last })
            .collect();
        let ids: Vec<i32> = iterations.iter().map(|i| i.id).collect();
        let officers: Vec<(i32, i32)> =
            sqlx::query_as("SELECT id, partner_id FROM officer ORDER BY id")
                .fetch_all(pool)
                .await?;
        let taken: HashSet<(i32, i32)> = sqlx::query_as(
            "SELECT officer_id, iteration_id FROM enrollment
             WHERE iteration_id = ANY($1) AND status NOT IN ('DECLINED', 'WITHDRAWN', 'CANCELLED')",
        )
        .bind(&ids)
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect();
        let first = iterations.iter().map(|i| i.first).min().unwrap_or(0);
        let last = iterations.iter().map(|i| i.last).max().unwrap_or(0);
        let held: Vec<(i32, i32, i32, i32)> = sqlx::query_as(concat!("SELECT e.officer_id, i.id, i.start_date - DATE '1970-01-01', i.end_date - DATE '1970-01-01'
             FROM enrollment e JOIN course_iteration i ON i.id = e.iteration_id
             WHERE e.status IN ", holding!(), " AND i.end_date >= DATE '1970-01-01' + $1
               AND i.start_date <= DATE '1970-01-01' + $2"))
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await?;
        let mut seats: HashMap<i32, Vec<(i32, i32, i32)>> = HashMap::new();
        for (officer, it, a, b) in held {
            seats.entry(officer).or_default().push((it, a, b));
        }
        Ok(PairPool {
            cursors: vec![0; iterations.len()],
            iterations,
            partner_of: officers.iter().copied().collect(),
            officers: officers.into_iter().map(|(id, _)| id).collect(),
            next: 0,
            taken,
            seats,
            handed_out: 0,
            calendar: (today, last_start.unwrap_or_default()),
        })
    }

    pub fn calendar_note(&self) -> String {
        format!(
            "today is {}, its last iteration starts on {}",
            self.calendar.0, self.calendar.1
        )
    }

    pub fn iteration_count(&self) -> usize {
        self.iterations.len()
    }

    /// The next valid (iteration, officer) pair, iterations taken in turn (so concurrent requests
    /// spread over them) and each iteration's officers from its own starting point (so they
    /// rarely wait for the same officer's lock); None when every pair is used up.
    pub fn take(&mut self) -> Option<(i32, i32)> {
        let n = self.iterations.len();
        let officers = self.officers.len();
        for _ in 0..n {
            let j = self.next % n;
            self.next += 1;
            let it = &self.iterations[j];
            let start = j * officers / n;
            while self.cursors[j] < officers {
                let officer = self.officers[(start + self.cursors[j]) % officers];
                self.cursors[j] += 1;
                let clash = self.seats.get(&officer).is_some_and(|held| {
                    held.iter()
                        .any(|&(other, a, b)| other != it.id && a <= it.last && b >= it.first)
                });
                if !clash && self.taken.insert((officer, it.id)) {
                    self.handed_out += 1;
                    return Some((it.id, officer));
                }
            }
        }
        None
    }
}

pub type SharedPool = Arc<Mutex<PairPool>>;

pub fn take_pair(pairs: &SharedPool) -> Result<(i32, i32), Error> {
    let mut pool = pairs.lock().map_err(|_| "pair pool poisoned")?;
    let n = pool.iteration_count();
    pool.take().ok_or_else(|| {
        format!(
            "out of valid (officer, iteration) pairs after {} (the dataset has {n} full upcoming iterations; \
             {}): use a larger --scale or fewer --seconds",
            pool.handed_out,
            pool.calendar_note()
        )
        .into()
    })
}

pub const NOMINATE_GRAPHQL: &str = "mutation($input: NominateOfficerInput!) {
    nominateOfficer(input: $input) { id status waitlistPosition } }";

pub fn nomination_body(iteration: i32, officer: i32) -> Value {
    json!({
        "query": NOMINATE_GRAPHQL,
        "variables": { "input": { "iterationId": iteration.to_string(), "officerId": officer.to_string() } }
    })
}

/// Checks a nomination's answer: any error (a rule's refusal included) fails the run.
pub fn check_nomination(answer: &Value, iteration: i32, officer: i32) -> Result<(), Error> {
    let status = answer
        .pointer("/data/nominateOfficer/status")
        .and_then(Value::as_str);
    if answer.get("errors").is_some() || !matches!(status, Some("WAITLISTED" | "CONFIRMED")) {
        return Err(format!(
            "nomination of officer {officer} into iteration {iteration} failed: {}",
            crate::check::truncate(&answer.to_string(), 1000)
        )
        .into());
    }
    Ok(())
}

/// status, capacity, seats_held, partner_quota, the course's min_slp.
type IterationRow = (String, i32, i32, Option<i32>, Option<String>);

/// The SQL twin of `nominateOfficer` (place: true): one transaction with the service's checks, in
/// the service's lock order. Returns the status reached and the statements it ran (BEGIN and
/// COMMIT not counted, as the service's `statementCount` does not count them).
pub async fn nominate_sql(
    pool: &PgPool,
    iteration: i32,
    officer: i32,
) -> Result<(String, usize), Error> {
    let refuse = |rule: &str| -> Error {
        format!("SQL nomination of officer {officer} into iteration {iteration} refused: {rule}")
            .into()
    };
    let mut tx = pool.begin().await?;
    let mut statements = 0;
    // The iteration, locked: concurrent nominations into it are serialised.
    let it: Option<IterationRow> = sqlx::query_as(
        "SELECT i.status, i.capacity, i.seats_held, i.partner_quota, c.min_slp
         FROM course_iteration i JOIN course c ON c.id = i.course_id WHERE i.id = $1 FOR UPDATE OF i",
    )
    .bind(iteration)
    .fetch_optional(&mut *tx)
    .await?;
    statements += 1;
    let (status, capacity, seats_held, quota, min_slp) = it.ok_or_else(|| refuse("NOT_FOUND"))?;
    if status != "PLANNED" && status != "OPEN" {
        return Err(refuse("ITERATION_NOT_OPEN"));
    }
    // The officer, locked after the iteration (the service's order).
    let found: Option<(i32,)> =
        sqlx::query_as("SELECT partner_id FROM officer WHERE id = $1 FOR UPDATE")
            .bind(officer)
            .fetch_optional(&mut *tx)
            .await?;
    statements += 1;
    let (partner,) = found.ok_or_else(|| refuse("NOT_FOUND (officer)"))?;
    if min_slp.is_some() {
        // The pool never picks such a course; parsing STANAG profiles is not mirrored here.
        return Err(refuse("LANGUAGE_REQUIREMENT (not mirrored)"));
    }
    // No live enrollment in the iteration; no seat in an overlapping iteration (invariant 5).
    let (live, clash): (bool, bool) = sqlx::query_as(concat!("SELECT EXISTS (SELECT 1 FROM enrollment WHERE iteration_id = $1 AND officer_id = $2
                          AND status NOT IN ('DECLINED', 'WITHDRAWN', 'CANCELLED')),
                EXISTS (SELECT 1 FROM course_iteration i, enrollment e JOIN course_iteration o ON o.id = e.iteration_id
                        WHERE i.id = $1 AND e.officer_id = $2 AND e.status IN ", holding!(), " AND o.id <> i.id
                          AND o.start_date <= i.end_date AND o.end_date >= i.start_date)"))
    .bind(iteration)
    .bind(officer)
    .fetch_one(&mut *tx)
    .await?;
    statements += 1;
    if live {
        return Err(refuse("ALREADY_NOMINATED"));
    }
    if clash {
        return Err(refuse("SCHEDULE_CONFLICT"));
    }
    // A seat if one is free (capacity and the partner's quota), else the end of the waitlist.
    let mut seated = false;
    if seats_held < capacity {
        let under_quota = match quota {
            None => true,
            Some(q) => {
                let held: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*) FROM enrollment WHERE iteration_id = $1 AND partner_id = $2 AND status IN ", holding!()))
                .bind(iteration)
                .bind(partner)
                .fetch_one(&mut *tx)
                .await?;
                statements += 1;
                held < i64::from(q)
            }
        };
        if under_quota {
            seated = sqlx::query(
                "UPDATE course_iteration SET seats_held = seats_held + 1 WHERE id = $1 AND seats_held < capacity",
            )
            .bind(iteration)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            statements += 1;
        }
    }
    let status = if seated { "CONFIRMED" } else { "WAITLISTED" };
    sqlx::query(
        "INSERT INTO enrollment (iteration_id, officer_id, partner_id, status, waitlist_position, nominated_at,
                                 waitlisted_at, confirmed_at, decided_by, version, updated_at)
         VALUES ($1, $2, $3, $4::varchar,
                 CASE WHEN $4::varchar = 'WAITLISTED' THEN
                   (SELECT COALESCE(MAX(waitlist_position), 0) + 1 FROM enrollment WHERE iteration_id = $1) END,
                 now(), CASE WHEN $4::varchar = 'WAITLISTED' THEN now() END,
                 CASE WHEN $4::varchar = 'CONFIRMED' THEN now() END, 'bench sql', 1, now())",
    )
    .bind(iteration)
    .bind(officer)
    .bind(partner)
    .bind(status)
    .execute(&mut *tx)
    .await?;
    statements += 1;
    tx.commit().await?;
    Ok((status.to_owned(), statements))
}

/// Enrollments the harness wrote (ids above `since`) that disagree with their iteration's seat
/// counter, or whose count is not `expected`: the data must stay valid under the load.
pub async fn check_writes(
    pool: &PgPool,
    since: i32,
    expected: usize,
    what: &str,
) -> Result<Vec<i32>, Error> {
    let written: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enrollment WHERE id > $1")
        .bind(since)
        .fetch_one(pool)
        .await?;
    if written != expected as i64 {
        return Err(format!(
            "{what}: {written} enrollments were written, but {expected} requests succeeded"
        )
        .into());
    }
    let touched: Vec<i32> =
        sqlx::query_scalar("SELECT DISTINCT iteration_id FROM enrollment WHERE id > $1")
            .bind(since)
            .fetch_all(pool)
            .await?;
    let wrong: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*) FROM course_iteration i WHERE i.id = ANY($1)
           AND i.seats_held <> (SELECT COUNT(*) FROM enrollment e WHERE e.iteration_id = i.id AND e.status IN ", holding!(), ")"))
    .bind(&touched)
    .fetch_one(pool)
    .await?;
    if wrong > 0 {
        return Err(format!(
            "{what}: {wrong} iterations' seats_held no longer match their seat holders"
        )
        .into());
    }
    Ok(touched)
}

/// Removes every enrollment the harness wrote (ids above `since`) and recounts the seats of the
/// iterations they were in, so the database is as the dataset left it (audit events, which are
/// append-only, stay).
pub async fn restore(pool: &PgPool, since: i32) -> Result<u64, Error> {
    let mut tx = pool.begin().await?;
    let touched: Vec<i32> =
        sqlx::query_scalar("SELECT DISTINCT iteration_id FROM enrollment WHERE id > $1")
            .bind(since)
            .fetch_all(&mut *tx)
            .await?;
    let deleted = sqlx::query("DELETE FROM enrollment WHERE id > $1")
        .bind(since)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query(concat!("UPDATE course_iteration i SET seats_held = s.n
         FROM (SELECT x.id, (SELECT COUNT(*) FROM enrollment e WHERE e.iteration_id = x.id AND e.status IN ", holding!(), ") AS n
               FROM course_iteration x WHERE x.id = ANY($1)) s
         WHERE s.id = i.id AND i.seats_held <> s.n"))
    .bind(&touched)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(deleted)
}

pub struct ImportFigures {
    pub rows: usize,
    pub batches: usize,
    pub import_seconds: f64,
    pub copy_seconds: f64,
}

/// COPY of the rows the import will write (same iterations, officers, partners, status and
/// waitlist positions), into the real `enrollment` table with its indexes and constraints, in a
/// transaction rolled back so that the import starts from the same database.
async fn copy_rows(
    pool: &PgPool,
    pairs: &[(i32, i32)],
    partner_of: &HashMap<i32, i32>,
) -> Result<f64, Error> {
    let mut tx = pool.begin().await?;
    let mut iterations: Vec<i32> = pairs.iter().map(|p| p.0).collect();
    iterations.sort_unstable();
    iterations.dedup();
    let mut next: HashMap<i32, i32> = sqlx::query_as::<_, (i32, Option<i32>)>(
        "SELECT iteration_id, MAX(waitlist_position) FROM enrollment WHERE iteration_id = ANY($1) GROUP BY iteration_id",
    )
    .bind(&iterations)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(it, max)| (it, max.unwrap_or(0)))
    .collect();
    let now: String = sqlx::query_scalar("SELECT now()::text")
        .fetch_one(&mut *tx)
        .await?;
    let mut data = String::with_capacity(pairs.len() * 120);
    for &(it, officer) in pairs {
        let position = next.entry(it).or_insert(0);
        *position += 1;
        let partner = partner_of
            .get(&officer)
            .ok_or_else(|| format!("officer {officer} has no partner"))?;
        data.push_str(&format!(
            "{it},{officer},{partner},WAITLISTED,{position},{now},{now},bench copy,1,{now}\n"
        ));
    }
    let t = Instant::now();
    let mut copy = tx
        .copy_in_raw(
            "COPY enrollment (iteration_id, officer_id, partner_id, status, waitlist_position, nominated_at, \
             waitlisted_at, decided_by, version, updated_at) FROM STDIN WITH (FORMAT csv)",
        )
        .await?;
    for chunk in data.as_bytes().chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    let copied = copy.finish().await?;
    let seconds = t.elapsed().as_secs_f64();
    tx.rollback().await?;
    if copied != pairs.len() as u64 {
        return Err(format!("COPY wrote {copied} rows, not {}", pairs.len()).into());
    }
    Ok(seconds)
}

fn write_csv(path: &std::path::Path, pairs: &[(i32, i32)]) -> Result<(), Error> {
    let mut text = String::from(
        "iteration_id,course_code,iteration_start,officer_id,action,evaluation_score\n",
    );
    for (it, officer) in pairs {
        text.push_str(&format!("{it},,,{officer},NOMINATE,\n"));
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// Runs `ipcp import enrollments` on each file in turn; Err with the output's tail on failure.
fn import_files(binary: &str, db_url: &str, files: &[std::path::PathBuf]) -> Result<(), String> {
    let started = Instant::now();
    for (n, file) in files.iter().enumerate() {
        if files.len() > 1 {
            eprintln!(
                "  import batch {}/{} ({:.0} s so far)",
                n + 1,
                files.len(),
                started.elapsed().as_secs_f64()
            );
        }
        let out = Command::new(binary)
            .args(["import", "enrollments"])
            .arg(file)
            .args(["--mode", "all-or-nothing"])
            .env("DATABASE_URL", db_url)
            .env("RUST_LOG", "error")
            .output()
            .map_err(|e| format!("cannot run {binary}: {e}"))?;
        if !out.status.success() {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let refused: Vec<&str> = stdout
                .lines()
                .filter(|l| l.contains("refused"))
                .take(5)
                .collect();
            return Err(format!(
                "`ipcp import enrollments {}` failed: {}\n{}\n{}",
                file.display(),
                out.status,
                refused.join("\n"),
                crate::check::truncate(&String::from_utf8_lossy(&out.stderr), 2000)
            ));
        }
    }
    Ok(())
}

/// The bulk import against COPY of the same rows: COPY first (rolled back), then the import,
/// timed end to end (process start, CSV parsing, every rule, commits). The service takes at most
/// `MAX_ROWS` rows a batch: when it refuses the whole file as too large, the rows go in files of
/// that size, one after the other, all of them timed.
pub async fn bulk_import(
    binary: &str,
    db_url: &str,
    pool: &PgPool,
    pairs: &[(i32, i32)],
    partner_of: &HashMap<i32, i32>,
) -> Result<ImportFigures, Error> {
    const MAX_ROWS: usize = 10_000;
    let copy_seconds = copy_rows(pool, pairs, partner_of).await?;
    eprintln!(
        "COPY of {} rows: {:.2} s ({:.0} rows/s), rolled back",
        pairs.len(),
        copy_seconds,
        pairs.len() as f64 / copy_seconds
    );
    let dir = std::env::temp_dir().join(format!("ipcp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let whole = dir.join("enrollments.csv");
    write_csv(&whole, pairs)?;
    let mut files = vec![whole];
    let mut t = Instant::now();
    let mut result = import_files(binary, db_url, &files);
    if result
        .as_ref()
        .is_err_and(|e| e.contains("BATCH_TOO_LARGE") || e.contains("a batch holds at most"))
    {
        files.clear();
        for (n, chunk) in pairs.chunks(MAX_ROWS).enumerate() {
            let file = dir.join(format!("enrollments-{n:03}.csv"));
            write_csv(&file, chunk)?;
            files.push(file);
        }
        eprintln!(
            "the service refuses more than {MAX_ROWS} rows a batch: importing {} files",
            files.len()
        );
        t = Instant::now();
        result = import_files(binary, db_url, &files);
    }
    let import_seconds = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    Ok(ImportFigures {
        rows: pairs.len(),
        batches: files.len(),
        import_seconds,
        copy_seconds,
    })
}
