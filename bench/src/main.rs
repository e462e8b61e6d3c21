//! The load harness (issue 6, first part): starts the release server on PostgreSQL with the
//! benchmark dataset and measures, side by side in one run, each dashboard query through the
//! service and the hand-written single SQL statement that returns the same JSON, at several
//! client counts: throughput, p50 and p99 latency, SQL statements per request (from the server's
//! `extensions.statementCount`) and the server's peak memory. Every GraphQL answer is checked for
//! errors (they come back as HTTP 200). Writes `bench/RESULTS.md`.
//!
//! `bench/run` builds the release binary and runs this; see the README's "Benchmarks".

use std::{
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Parser;
use sea_orm::sqlx::{self, postgres::PgPoolOptions, PgPool};
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    /// PostgreSQL server (no database name): the harness (re)creates the database `ipcp_bench`.
    #[arg(
        long,
        env = "IPCP_BENCH_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    postgres: String,
    /// Dataset scale (1: 1,000,000 enrollments).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Seconds of load per measurement.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Client counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    clients: Vec<usize>,
    /// Reuse an already loaded `ipcp_bench` database.
    #[arg(long)]
    keep_data: bool,
    /// The release binary.
    #[arg(long, default_value = "target/release/ipcp")]
    binary: String,
    /// Where to write the results.
    #[arg(long, default_value = "bench/RESULTS.md")]
    out: String,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Case {
    name: &'static str,
    weight: &'static str,
    graphql: &'static str,
    sql: &'static str,
}

const PARTNER: &str = "AAB";

const CASES: &[Case] = &[
    Case {
        name: "partner by code with its active cycle",
        weight: "light",
        graphql: "query($code: String!) { partner(code: $code) { id code name activeCycle { id kind startDate endDate status } } }",
        sql: "SELECT json_build_object('data', json_build_object('partner', json_build_object(
                'id', p.id::text, 'code', p.code, 'name', p.name,
                'activeCycle', (SELECT json_build_object('id', c.id::text, 'kind', c.kind, 'startDate', c.start_date,
                                 'endDate', c.end_date, 'status', c.status)
                                FROM programme_cycle c WHERE c.partner_id = p.id AND c.status = 'ACTIVE'))))
              FROM partner p WHERE p.code = $1",
    },
    Case {
        name: "iterations page (held, 20) with 10 enrollments each and their officers",
        weight: "heavy",
        graphql: "query($code: String!) { partner(code: $code) { id } courseIterations(first: 20, status: HELD) { edges { node { id startDate capacity seatsHeld
                    enrollments(first: 10) { edges { node { status officer { rank service } } } } } } } }",
        sql: "SELECT json_build_object('data', json_build_object(
                'partner', (SELECT json_build_object('id', p.id::text) FROM partner p WHERE p.code = $1),
                'courseIterations', json_build_object('edges', COALESCE((
                  SELECT json_agg(json_build_object('node', json_build_object('id', i.id::text, 'startDate', i.start_date,
                           'capacity', i.capacity, 'seatsHeld', i.seats_held,
                           'enrollments', json_build_object('edges', COALESCE((
                             SELECT json_agg(json_build_object('node', json_build_object('status', e.status,
                                      'officer', json_build_object('rank', f.rank, 'service', f.service))) ORDER BY e.id)
                             FROM (SELECT * FROM enrollment WHERE iteration_id = i.id ORDER BY id LIMIT 10) e
                             JOIN officer f ON f.id = e.officer_id), '[]'::json)))) ORDER BY i.id)
                  FROM (SELECT * FROM course_iteration WHERE status = 'HELD' ORDER BY id LIMIT 20) i), '[]'::json))))",
    },
    Case {
        name: "deep: partner > cycles > objectives > iterations > 10 enrollments > officer",
        weight: "heavy",
        graphql: "query($code: String!) { partner(code: $code) { cycles { id objectives { title iterations { startDate
                    enrollments(first: 10) { edges { node { status officer { rank } } } } } } } } }",
        sql: "SELECT json_build_object('data', json_build_object('partner', json_build_object('cycles', COALESCE((
                SELECT json_agg(json_build_object('id', c.id::text, 'objectives', COALESCE((
                  SELECT json_agg(json_build_object('title', o.title, 'iterations', COALESCE((
                    SELECT json_agg(json_build_object('startDate', i.start_date, 'enrollments', json_build_object('edges', COALESCE((
                      SELECT json_agg(json_build_object('node', json_build_object('status', e.status,
                               'officer', json_build_object('rank', f.rank))) ORDER BY e.id)
                      FROM (SELECT * FROM enrollment WHERE iteration_id = i.id ORDER BY id LIMIT 10) e
                      JOIN officer f ON f.id = e.officer_id), '[]'::json))) ORDER BY i.id)
                    FROM iteration_objective io JOIN course_iteration i ON i.id = io.iteration_id
                    WHERE io.objective_id = o.id), '[]'::json)) ORDER BY o.id)
                  FROM objective o WHERE o.cycle_id = c.id), '[]'::json)) ORDER BY c.start_date, c.id)
                FROM programme_cycle c WHERE c.partner_id = p.id), '[]'::json))))
              FROM partner p WHERE p.code = $1",
    },
];

struct Server {
    child: Child,
    url: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(cmd: &mut Command) -> Result<String, Error> {
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn start_server(args: &Args, db_url: &str) -> Result<Server, Error> {
    let token_out = run(Command::new(&args.binary)
        .args(["token", "create", "--role", "admin", "--name"])
        .arg(format!("bench-{}", std::process::id()))
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "error"))?;
    let token = token_out
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(&args.binary)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "warn")
        .env("IPCP_RATE_LIMIT_PER_SECOND", "0")
        .env("IPCP_EXPOSE_STATEMENT_COUNT", "true")
        .env("IPCP_DB_MAX_CONNECTIONS", "32")
        .env("IPCP_MAX_COMPLEXITY", "100000")
        .env("IPCP_METRICS", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        token,
    })
}

/// The server's peak resident memory (VmHWM), in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

#[derive(Default, Clone, Copy)]
struct Measure {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn summarise(mut latencies: Vec<Duration>, elapsed: Duration) -> Measure {
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    Measure {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
    }
}

async fn load_graphql(
    server: &Server,
    case: &Case,
    clients: usize,
    seconds: u64,
) -> Result<Measure, Error> {
    let client = reqwest::Client::new();
    let body = Arc::new(json!({ "query": case.graphql, "variables": { "code": PARTNER } }));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, body, url, token) = (
            client.clone(),
            body.clone(),
            server.url.clone(),
            server.token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let res = client
                    .post(format!("{url}/graphql"))
                    .bearer_auth(&token)
                    .json(&*body)
                    .send()
                    .await?;
                let answer: Value = res.json().await?;
                if answer.get("errors").is_some() {
                    return Err::<Vec<Duration>, Error>(format!("GraphQL errors: {answer}").into());
                }
                latencies.push(t.elapsed());
            }
            Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(summarise(all, started.elapsed()))
}

async fn load_sql(
    pool: &PgPool,
    case: &Case,
    clients: usize,
    seconds: u64,
) -> Result<Measure, Error> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let pool = pool.clone();
        let sql = case.sql;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let answer: Value = sqlx::query_scalar(sql)
                    .bind(PARTNER)
                    .fetch_one(&pool)
                    .await?;
                if answer.is_null() {
                    return Err::<Vec<Duration>, Error>("no row".into());
                }
                latencies.push(t.elapsed());
            }
            Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(summarise(all, started.elapsed()))
}

async fn statements(server: &Server, case: &Case) -> Result<i64, Error> {
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/graphql", server.url))
        .bearer_auth(&server.token)
        .json(&json!({ "query": case.graphql, "variables": { "code": PARTNER } }))
        .send()
        .await?
        .json()
        .await?;
    Ok(answer["extensions"]["statementCount"]
        .as_i64()
        .unwrap_or(-1))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let db_url = format!("{}/ipcp_bench", args.postgres);
    let mut load_seconds = f64::NAN;
    if !args.keep_data {
        let admin = PgPool::connect(&format!("{}/postgres", args.postgres)).await?;
        sqlx::query("DROP DATABASE IF EXISTS ipcp_bench WITH (FORCE)")
            .execute(&admin)
            .await?;
        sqlx::query("CREATE DATABASE ipcp_bench")
            .execute(&admin)
            .await?;
        let t = Instant::now();
        run(Command::new(&args.binary)
            .args(["seed", "bench", "--scale", &args.scale.to_string()])
            .env("DATABASE_URL", &db_url)
            .env("RUST_LOG", "warn"))?;
        load_seconds = t.elapsed().as_secs_f64();
        eprintln!("dataset loaded in {load_seconds:.1} s");
    }
    let mut server = start_server(&args, &db_url)?;
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("{}/readyz", server.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let max_clients = args.clients.iter().copied().max().unwrap_or(1) as u32;
    let pool = PgPoolOptions::new()
        .max_connections(max_clients)
        .connect(&db_url)
        .await?;

    let mut rows = Vec::new();
    for case in CASES {
        let count = statements(&server, case).await?;
        for &clients in &args.clients {
            // Warm both sides, then measure them one after the other in the same run.
            load_graphql(&server, case, clients, 1).await?;
            let service = load_graphql(&server, case, clients, args.seconds).await?;
            load_sql(&pool, case, clients, 1).await?;
            let sql = load_sql(&pool, case, clients, args.seconds).await?;
            eprintln!(
                "{} @{clients}: service {:.0}/s p50 {:.2} ms, SQL {:.0}/s p50 {:.2} ms",
                case.name, service.per_second, service.p50_ms, sql.per_second, sql.p50_ms
            );
            rows.push((case, clients, count, service, sql));
        }
    }
    let peak = peak_rss_mib(server.child.id());
    let _ = server.child.kill();

    let mut md = String::new();
    md.push_str("# Benchmark results\n\nRegenerated by `bench/run` (do not edit by hand).\n\n");
    md.push_str(&format!(
        "Machine: {} cores, `{}`. Dataset: `ipcp seed bench --scale {}`{}. Each figure is a {} s run after a 1 s warm-up; \
         the service and its SQL twin run one after the other in the same run, on the same database.\n\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        run(Command::new("uname").arg("-srm")).unwrap_or_default().trim(),
        args.scale,
        if load_seconds.is_nan() { String::new() } else { format!(" (loaded in {load_seconds:.1} s)") },
        args.seconds,
    ));
    md.push_str("| query | kind | clients | SQL statements per request | service req/s | SQL req/s | ratio service / SQL | service p50 ms | SQL p50 ms | p50 ratio | service p99 ms | SQL p99 ms |\n");
    md.push_str(
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (case, clients, count, s, q) in &rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {:.0} | {:.0} | {:.0}% | {:.2} | {:.2} | {:.2}x | {:.2} | {:.2} |\n",
            case.name,
            case.weight,
            clients,
            count,
            s.per_second,
            q.per_second,
            100.0 * s.per_second / q.per_second,
            s.p50_ms,
            q.p50_ms,
            s.p50_ms / q.p50_ms,
            s.p99_ms,
            q.p99_ms
        ));
    }
    md.push_str(&format!(
        "\nServer peak resident memory (VmHWM) over the whole run, up to {max_clients} clients: {peak:.1} MiB.\n\n\
         What the figures mean: *req/s* is completed requests per second over all clients; *ratio service / SQL* \
         compares the service's throughput with the single hand-written statement that returns the same JSON \
         (the database's own limit for that answer); *p50 ratio* is the service's median latency over the SQL's. \
         *SQL statements per request* is what the server ran for one request (`extensions.statementCount`): it \
         depends on the query's depth, not on its row count. The load generator, the server and PostgreSQL share \
         the machine's cores.\n\nNot measured yet: the cycle report, the partner overview, writes (a nomination, a \
         100,000-row bulk import against COPY).\n"
    ));
    std::fs::write(&args.out, md)?;
    eprintln!("wrote {}", args.out);
    Ok(())
}
