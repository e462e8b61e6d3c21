//! What the operations tests share: databases on the machine's PostgreSQL or in temporary SQLite
//! files, a throw-away PostgreSQL cluster, the application in process, and a GraphQL client.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use ipcp::{
    config::{DatabaseArgs, ServeArgs, Settings},
    startup::Application,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// The machine's PostgreSQL server (as in the api tests).
pub fn postgres_base_url() -> String {
    std::env::var("IPCP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A fresh database on a PostgreSQL server, dropped with the value.
pub struct PgDatabase {
    pub url: String,
    base: String,
    name: String,
}

impl PgDatabase {
    pub async fn create(base: &str) -> PgDatabase {
        let name = unique("ipcp_ops");
        let admin = Database::connect(format!("{base}/postgres"))
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL must run at {base}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        admin.close().await.ok();
        PgDatabase {
            url: format!("{base}/{name}"),
            base: base.to_owned(),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = Database::connect(format!("{base}/postgres")).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// A temporary SQLite file, removed with the value (with its -wal and -shm).
pub struct SqliteFile {
    pub path: PathBuf,
}

impl SqliteFile {
    pub fn new() -> SqliteFile {
        SqliteFile {
            path: std::env::temp_dir().join(format!("{}.db", unique("ipcp_ops"))),
        }
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.path.display())
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

/// The application running in this process; stopped (gracefully) when dropped.
pub struct RunningApp {
    pub address: String,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningApp {
    pub async fn start(database: DatabaseArgs, serve: ServeArgs) -> RunningApp {
        let app = Self::build(database, serve).await.expect("app starts");
        Self::run(app)
    }

    pub async fn build(
        database: DatabaseArgs,
        mut serve: ServeArgs,
    ) -> Result<Application, ipcp::error::AppError> {
        serve.listen = "127.0.0.1:0".parse().expect("address");
        // These tests generate load on purpose: no per-token budget.
        serve.rate_limit_per_second = 0;
        let app = Application::build(Settings { database, serve }).await?;
        let n = TOKEN_COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let token = ipcp::service::token::create(
            &app.db,
            &ipcp::service::uow::Actor::cli("token"),
            "create",
            &format!("ops-test-{}-{n}", std::process::id()),
            entity::enums::Role::Admin,
            None,
        )
        .await?;
        let address = format!("http://{}", app.local_addr()?);
        register_token(&address, token.secret);
        Ok(app)
    }

    pub fn run(app: Application) -> RunningApp {
        let address = format!("http://{}", app.local_addr().expect("bound address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        RunningApp {
            address,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            stop: Some(stop),
        }
    }

    /// Sends the shutdown signal (as SIGTERM would).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Result<Value, reqwest::Error> {
        gql(&self.client, &self.address, query, variables).await
    }

    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await.expect("response");
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("response")
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

static TOKEN_COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// ADMIN tokens of the servers the tests started, by address.
fn tokens() -> &'static std::sync::Mutex<std::collections::HashMap<String, String>> {
    static TOKENS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, String>>,
    > = std::sync::OnceLock::new();
    TOKENS.get_or_init(Default::default)
}

/// The ADMIN token of the server at `address`.
pub fn token_for(address: &str) -> Option<String> {
    tokens().lock().expect("lock").get(address).cloned()
}

pub fn register_token(address: &str, token: String) {
    tokens()
        .lock()
        .expect("lock")
        .insert(address.to_owned(), token);
}

/// Creates an ADMIN token in the database at `url` with the CLI (which migrates it first).
pub fn cli_admin_token(url: &str) -> String {
    let n = TOKEN_COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(["token", "create", "--role", "admin", "--name"])
        .arg(format!("ops-cli-{}-{n}", std::process::id()))
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "error")
        .output()
        .expect("ipcp token create runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .expect("a token")
        .trim()
        .to_owned()
}

/// POSTs one GraphQL request, with the server's ADMIN token, and returns the JSON body.
pub async fn gql(
    client: &reqwest::Client,
    address: &str,
    query: &str,
    variables: Value,
) -> Result<Value, reqwest::Error> {
    let token = token_for(address);
    let mut request = client
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await?.json().await
}

pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

pub async fn sql_i64(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .expect("query")
        .expect("one row");
    row.try_get_by_index::<i64>(0).expect("an integer")
}

/// A throw-away PostgreSQL cluster in a temporary directory on a free loopback port, so a test can
/// stop and start a server without touching the machine's own. Stopped and removed when dropped.
pub struct PgCluster {
    pub port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl PgCluster {
    pub fn start() -> PgCluster {
        let bin = postgres_bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("ipcp-pg-")
            .tempdir()
            .expect("temp dir");
        let port = free_port();
        let cluster = PgCluster { port, dir, bin };
        cluster.give_to_postgres_user(cluster.dir.path());
        let data = cluster.data_dir();
        cluster.run(
            &cluster.bin.join("initdb"),
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        cluster.pg_ctl_start();
        cluster
    }

    /// A streaming standby of this cluster (`pg_basebackup -R`, then `pg_ctl start`) on a port of
    /// its own: it replays this cluster's WAL and serves reads only.
    pub fn start_standby(&self) -> PgCluster {
        let dir = tempfile::Builder::new()
            .prefix("ipcp-pg-standby-")
            .tempdir()
            .expect("temp dir");
        let port = free_port();
        let standby = PgCluster {
            port,
            dir,
            bin: self.bin.clone(),
        };
        standby.give_to_postgres_user(standby.dir.path());
        let data = standby.data_dir();
        let primary_port = self.port.to_string();
        standby.run(
            &standby.bin.join("pg_basebackup"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary_port,
                "-U",
                "postgres",
                "-D",
                data.to_str().expect("utf-8 path"),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        standby.pg_ctl_start();
        standby
    }

    pub fn base_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn pg_ctl_start(&self) {
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        self.run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().expect("utf-8"),
                "-l",
                log.to_str().expect("utf-8"),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Kills the server without a clean shutdown (as a crash or a power cut would).
    pub fn pg_ctl_stop_immediate(&self) {
        let data = self.data_dir();
        self.run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().expect("utf-8"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    fn command(&self, program: &Path) -> Command {
        if is_root() {
            // initdb and postgres refuse to run as root.
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn run(&self, program: &Path, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        assert!(
            output.status.success(),
            "{} {args:?} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn give_to_postgres_user(&self, path: &Path) {
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(path)
                .status()
                .expect("chown");
            assert!(status.success(), "chown {} to postgres", path.display());
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self
            .command(&self.bin.join("pg_ctl"))
            .args(["-D"])
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .current_dir(self.dir.path())
            .output();
        // The TempDir removes the directory.
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/VERSION/bin).
fn postgres_bin_dir() -> PathBuf {
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let version = e.file_name().to_str()?.parse::<u32>().ok()?;
                    let bin = e.path().join("bin");
                    bin.join("initdb").exists().then_some((version, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates
        .pop()
        .map(|(_, bin)| bin)
        .expect("PostgreSQL server programs (initdb, pg_ctl) under /usr/lib/postgresql/*/bin")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Pool and timeouts small enough for the tests to see their limits quickly.
pub fn database_args(url: &str, max_connections: u32, acquire_timeout_ms: u64) -> DatabaseArgs {
    let mut args = DatabaseArgs::new(url);
    args.db_max_connections = max_connections;
    args.db_acquire_timeout_ms = acquire_timeout_ms;
    args
}
