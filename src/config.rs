//! Settings from command-line flags and environment variables (each flag has one), with defaults that
//! run on a fresh machine: an embedded SQLite file in the working directory, listening on localhost.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use entity::enums::Role;

#[derive(Debug, Parser)]
#[command(
    name = "ipcp",
    version,
    about = "GraphQL service for NATO partnership cooperation programmes"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "IPCP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum IntrospectionMode {
    Admin,
    On,
    Off,
}

/// How queries are read (`IPCP_COMPILED_READS`): each root field whose whole selection the
/// compiler handles as one SQL statement building its JSON (`on`), every field through the
/// resolvers (`off`), or both, answering with the resolvers' text and logging any difference
/// (`verify`, for the test suite).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CompiledReads {
    On,
    Off,
    Verify,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

// Parsed once at start and matched once: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default when no command is given); applies pending migrations first.
    Serve(ServeArgs),
    /// Apply or inspect schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Load data into the database.
    Seed {
        #[command(subcommand)]
        dataset: SeedDataset,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Print the catalogue of error codes (a Markdown table, as in the README).
    Errors,
    /// Take a consistent online copy of a SQLite database into FILE (which must not exist); for
    /// PostgreSQL use pg_dump or pgBackRest (see README).
    Backup { file: std::path::PathBuf },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Record data in bulk from a file.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Export cycle reports for reporting jobs (CSV with a header row, or JSON).
    Report {
        #[command(subcommand)]
        action: ReportAction,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ImportWhat {
    /// Nominations and outcomes from a CSV file (columns: see README, "Bulk recording"); prints a
    /// report per row and exits with status 1 if any row was refused.
    Enrollments {
        /// The CSV file, header row first.
        file: std::path::PathBuf,
        /// all-or-nothing: any refused row rolls back the whole file; per-row: keep the rows that pass.
        #[arg(long, value_enum, default_value_t = ImportMode::AllOrNothing)]
        mode: ImportMode,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ImportMode {
    AllOrNothing,
    PerRow,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ReportAction {
    /// One partner's cycle report on standard output (by default its current cycle: the ACTIVE one,
    /// else the latest approved one).
    Cycle {
        /// The partner's ISO 3166 alpha-3 code.
        #[arg(long)]
        partner: String,
        /// The cycle's id (one of the partner's cycles).
        #[arg(long)]
        cycle: Option<i32>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = crate::export::format::Format::Json)]
        format: crate::export::format::Format,
        /// Language of labels and CSV headers: en or fr.
        #[arg(long, env = "IPCP_REPORT_LANG", default_value = "en", value_parser = crate::export::format::parse_language)]
        lang: crate::service::lang::Language,
    },
    /// Every partner's current cycle report, one file per partner in a directory (for an unattended
    /// job): `<CODE>-cycle-<ID>.csv|json`; prints the files written.
    All {
        /// Output format.
        #[arg(long, value_enum, default_value_t = crate::export::format::Format::Csv)]
        format: crate::export::format::Format,
        /// Directory to write into (created if missing).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Language of labels and CSV headers: en or fr.
        #[arg(long, env = "IPCP_REPORT_LANG", default_value = "en", value_parser = crate::export::format::parse_language)]
        lang: crate::service::lang::Language,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum TokenAction {
    /// Create a token; its secret is printed alone on the last line of standard output, once.
    Create {
        /// Unique name, recorded as the actor in the audit log.
        #[arg(long)]
        name: String,
        /// ADMIN, PROGRAMME_OFFICER, ANALYST or REPORTER.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Days until the token expires (none: until revoked).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id or name.
    Revoke {
        /// The token's id or name.
        token: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    crate::service::auth::parse_role(text).ok_or_else(|| {
        format!("'{text}' is not a role: ADMIN, PROGRAMME_OFFICER, ANALYST or REPORTER")
    })
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply all pending migrations.
    Up,
    /// Revert migrations (all of them unless --steps is given).
    Down {
        #[arg(long)]
        steps: Option<u32>,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again.
    Fresh,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum SeedDataset {
    /// The Turkmenistan demo programme from the seed text (idempotent).
    Demo,
    /// The deterministic benchmark dataset (into an empty database; built with the `bench-data`
    /// feature): at scale 1, 40 partners,
    /// 600 cycles, 5,000 courses, 20,000 iterations, 100,000 officers, 1,000,000 enrollments and
    /// 50,000 activities; the same scale always gives the same rows.
    #[cfg(feature = "bench-data")]
    Bench {
        /// Multiplies every table's size (0.01 gives a dataset for tests).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
}

#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://ipcp.db?mode=rwc",
        global = true
    )]
    pub database_url: String,
    /// Maximum connections in the pool.
    #[arg(
        long,
        env = "IPCP_DB_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub db_max_connections: u32,
    /// How long a request waits for a pooled connection before failing with SERVICE_UNAVAILABLE.
    #[arg(
        long,
        env = "IPCP_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 3000,
        global = true
    )]
    pub db_acquire_timeout_ms: u64,
    /// PostgreSQL statement timeout for every session of the pool.
    #[arg(
        long,
        env = "IPCP_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 15000,
        global = true
    )]
    pub db_statement_timeout_ms: u64,
    /// How often change-log readers (subscriptions, the webhook worker) look for new entries
    /// without a wake-up, in milliseconds: the delay a missed PostgreSQL notification can add, and
    /// the live-update delay of an instance whose database is a read replica (NOTIFY does not
    /// reach a standby).
    #[arg(
        long,
        env = "IPCP_CHANGE_POLL_MS",
        default_value_t = 1000,
        global = true
    )]
    pub change_poll_ms: u64,
    /// PostgreSQL streaming replicas for reads, comma-separated URLs (none by default). Queries,
    /// reports, exports and subscription reads then go to a healthy replica, round-robin;
    /// mutations, the change-log writer, the webhook worker and LISTEN stay on the primary.
    #[arg(
        long,
        env = "IPCP_DATABASE_REPLICA_URLS",
        value_delimiter = ',',
        global = true
    )]
    pub database_replica_urls: Vec<String>,
    /// A replica whose replay is more than this far behind the primary (or that does not answer)
    /// leaves the rotation until it catches up; the staleness bound of a read without a position.
    #[arg(
        long,
        env = "IPCP_REPLICA_MAX_LAG_MS",
        default_value_t = 5000,
        global = true
    )]
    pub replica_max_lag_ms: u64,
    /// For this long after a caller's mutation, that caller's reads go to a replica that has
    /// replayed it, or else to the primary (read-your-writes).
    #[arg(
        long,
        env = "IPCP_READ_YOUR_WRITES_MS",
        default_value_t = 5000,
        global = true
    )]
    pub read_your_writes_ms: u64,
    /// How often each replica's replay position and lag are checked, in milliseconds.
    #[arg(
        long,
        env = "IPCP_REPLICA_CHECK_MS",
        default_value_t = 250,
        global = true
    )]
    pub replica_check_ms: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "IPCP_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Serve the GraphiQL IDE at `/`.
    #[arg(long, env = "IPCP_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,
    /// Who may introspect the schema: `admin` (ADMIN tokens only), `on` (every authenticated
    /// caller; for development) or `off`.
    #[arg(long, env = "IPCP_INTROSPECTION", value_enum, default_value_t = IntrospectionMode::Admin)]
    pub introspection: IntrospectionMode,
    /// "Did you mean ...?" hints in validation errors (they reveal the schema; development only).
    #[arg(long, env = "IPCP_SUGGESTIONS", default_value_t = false, action = clap::ArgAction::Set)]
    pub suggestions: bool,
    /// Requests per second each token may make (0: no limit); HTTP 429 with Retry-After beyond.
    #[arg(long, env = "IPCP_RATE_LIMIT_PER_SECOND", default_value_t = 50)]
    pub rate_limit_per_second: u32,
    /// Requests a token may make at once above its per-second rate.
    #[arg(long, env = "IPCP_RATE_LIMIT_BURST", default_value_t = 200)]
    pub rate_limit_burst: u32,
    /// Most aliases accepted in one GraphQL request.
    #[arg(long, env = "IPCP_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,
    /// Most directives accepted on one field.
    #[arg(long, env = "IPCP_MAX_DIRECTIVES", default_value_t = 5)]
    pub max_directives: usize,
    /// Browser origins allowed to call the API cross-site (CORS), comma-separated, e.g.
    /// `https://dashboard.example.org`; empty (the default) sends no CORS headers at all.
    #[arg(long, env = "IPCP_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Largest accepted request body, in bytes (HTTP 413 beyond).
    #[arg(long, env = "IPCP_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,
    /// Days the change log keeps its entries (`changes`, subscriptions' replay, webhooks); a
    /// cursor older than that gets CURSOR_EXPIRED.
    #[arg(long, env = "IPCP_CHANGE_LOG_RETENTION_DAYS", default_value_t = 400, value_parser = clap::value_parser!(u32).range(1..))]
    pub change_log_retention_days: u32,
    /// Time limit for one HTTP request, in milliseconds.
    #[arg(long, env = "IPCP_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// GraphQL operations executed at once by this instance; more wait for a free slot (within
    /// the request timeout). An answer takes memory while it is built (megabytes for a large
    /// one), so this bounds the server's memory under load. 0: four per CPU core.
    #[arg(long, env = "IPCP_MAX_CONCURRENT_OPERATIONS", default_value_t = 0)]
    pub max_concurrent_operations: usize,
    /// Operations whose last answer (same query text) was larger than `large_answer_bytes` run
    /// at most this many at once, each also taking an ordinary slot: building an answer takes many
    /// times its size in memory. 0: one per CPU core.
    #[arg(long, env = "IPCP_MAX_LARGE_OPERATIONS", default_value_t = 0)]
    pub max_large_operations: usize,
    /// The answer size, in bytes, beyond which an operation's text counts as large.
    #[arg(long, env = "IPCP_LARGE_ANSWER_BYTES", default_value_t = 65_536)]
    pub large_answer_bytes: usize,
    /// Deepest GraphQL selection accepted.
    #[arg(long, env = "IPCP_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,
    /// Largest GraphQL query complexity accepted.
    #[arg(long, env = "IPCP_MAX_COMPLEXITY", default_value_t = 5000)]
    pub max_complexity: usize,
    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish before the process
    /// exits anyway, in milliseconds.
    #[arg(long, env = "IPCP_SHUTDOWN_TIMEOUT_MS", default_value_t = 20_000)]
    pub shutdown_timeout_ms: u64,
    /// On SIGTERM or Ctrl-C, how long to keep accepting requests while `/readyz` answers 503, so
    /// a load balancer takes the instance out of rotation before it stops listening; milliseconds.
    #[arg(long, env = "IPCP_SHUTDOWN_DELAY_MS", default_value_t = 0)]
    pub shutdown_delay_ms: u64,
    /// Serve Prometheus metrics at `/metrics`.
    #[arg(long, env = "IPCP_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,
    /// Add the number of SQL statements a request ran to its response (`extensions.statementCount`);
    /// for tests and profiling, exact only while requests do not overlap and the webhook worker is
    /// off (`IPCP_WEBHOOK_WORKER=false`).
    #[arg(long, env = "IPCP_EXPOSE_STATEMENT_COUNT", default_value_t = false, action = clap::ArgAction::Set)]
    pub expose_statement_count: bool,
    /// Dashboard reads compiled to one SQL statement per root field (`on`), or the resolvers alone
    /// (`off`); `verify` runs both and answers with the resolvers' text (tests).
    #[arg(long, env = "IPCP_COMPILED_READS", value_enum, default_value_t = CompiledReads::On)]
    pub compiled_reads: CompiledReads,
    /// Days after a course iteration's last day during which its level 1 evaluation
    /// questionnaires are accepted.
    #[arg(long, env = "IPCP_EVALUATION_WINDOW_DAYS", default_value_t = 60)]
    pub evaluation_window_days: u32,
    /// The service's public base URL, as callers reach it: the host of calendar events' UIDs, and
    /// the base of xAPI activity IRIs and of the actors' account homePage. Changing it changes
    /// those identifiers.
    #[arg(long, env = "IPCP_PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
    pub public_url: String,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// The webhook delivery worker every serving instance runs.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Hosts a webhook URL may name although they resolve to a loopback, private or link-local
    /// address (comma-separated, e.g. `127.0.0.1,hooks.internal`); every other such host is refused.
    #[arg(long, env = "IPCP_WEBHOOK_ALLOW_HOSTS", value_delimiter = ',')]
    pub webhook_allow_hosts: Vec<String>,
    /// How long a delivery is retried before it is marked FAILED, in seconds.
    #[arg(long, env = "IPCP_WEBHOOK_RETRY_WINDOW_SECS", default_value_t = 86_400)]
    pub webhook_retry_window_secs: u64,
    /// The first retry's largest delay; each later retry doubles it (full jitter, at most 15 minutes
    /// apart), in milliseconds.
    #[arg(long, env = "IPCP_WEBHOOK_BACKOFF_MS", default_value_t = 1_000)]
    pub webhook_backoff_ms: u64,
    /// How often an idle worker looks for due retries and new changes, in milliseconds (it also
    /// wakes at every commit announced).
    #[arg(long, env = "IPCP_WEBHOOK_POLL_MS", default_value_t = 200)]
    pub webhook_poll_ms: u64,
    /// How long a worker holds the deliveries it claimed; an instance that dies holding them gives
    /// them back to the others after this, in seconds. An attempt times out after 10 s, or half the
    /// lease if that is shorter.
    #[arg(long, env = "IPCP_WEBHOOK_LEASE_SECS", default_value_t = 60)]
    pub webhook_lease_secs: u64,
    /// Run the delivery worker in this instance.
    #[arg(long, env = "IPCP_WEBHOOK_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub webhook_worker: bool,
}

impl Default for WebhookArgs {
    fn default() -> Self {
        defaults()
    }
}

impl ServeArgs {
    /// The number of GraphQL operations executed at once (`max_concurrent_operations`, 0: four
    /// per CPU core).
    pub fn concurrent_operations(&self) -> usize {
        match self.max_concurrent_operations {
            0 => 4 * std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// The number of large-answer operations executed at once (`max_large_operations`, 0: one
    /// per CPU core).
    pub fn large_operations(&self) -> usize {
        match self.max_large_operations {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

impl Default for ServeArgs {
    fn default() -> Self {
        defaults()
    }
}

impl DatabaseArgs {
    /// The defaults with another database.
    pub fn new(database_url: impl Into<String>) -> Self {
        DatabaseArgs {
            database_url: database_url.into(),
            ..defaults()
        }
    }

    /// The database URL with its password (if any) replaced by `***`, for logs and `Debug`.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.database_url)
    }
}

/// Shows every setting but the database URL's password.
impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("database_url", &self.redacted_url())
            .field("db_max_connections", &self.db_max_connections)
            .field("db_acquire_timeout_ms", &self.db_acquire_timeout_ms)
            .field("db_statement_timeout_ms", &self.db_statement_timeout_ms)
            .field("change_poll_ms", &self.change_poll_ms)
            .field(
                "database_replica_urls",
                &self
                    .database_replica_urls
                    .iter()
                    .map(|u| redact_url(u))
                    .collect::<Vec<_>>(),
            )
            .field("replica_max_lag_ms", &self.replica_max_lag_ms)
            .field("read_your_writes_ms", &self.read_your_writes_ms)
            .field("replica_check_ms", &self.replica_check_ms)
            .finish()
    }
}

pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A group of settings as the command line gives it with no argument and no environment: the
/// defaults, written once in the `#[arg]` attributes above.
fn defaults<T: Args + clap::FromArgMatches>() -> T {
    let command =
        T::augment_args(clap::Command::new("defaults")).mut_args(|arg| arg.env(None::<&str>));
    command
        .try_get_matches_from(["defaults"])
        .and_then(|matches| T::from_arg_matches(&matches))
        .unwrap_or_else(|e| panic!("the settings' defaults do not parse: {e}"))
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseArgs,
    pub serve: ServeArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_attributes_defaults_whatever_the_environment() {
        let serve = ServeArgs::default();
        assert_eq!(serve.listen, SocketAddr::from(([127, 0, 0, 1], 8000)));
        assert_eq!(serve.max_aliases, 30);
        assert_eq!(serve.change_log_retention_days, 400);
        assert!(serve.webhooks.webhook_worker);
        assert_eq!(serve.webhooks.webhook_poll_ms, 200);
        let db = DatabaseArgs::new("sqlite::memory:");
        assert_eq!(db.database_url, "sqlite::memory:");
        assert_eq!(db.db_max_connections, 10);
        assert_eq!(db.change_poll_ms, 1000);
        assert!(db.database_replica_urls.is_empty());
        assert_eq!(db.replica_max_lag_ms, 5000);
        assert_eq!(db.read_your_writes_ms, 5000);
    }

    #[test]
    fn the_database_password_stays_out_of_debug() {
        let mut db =
            DatabaseArgs::new("postgres://ipcp:s3cret@db.internal:5432/ipcp?sslmode=require");
        db.database_replica_urls = vec!["postgres://ipcp:r3plica@standby:5432/ipcp".into()];
        let shown = format!("{db:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("r3plica"), "{shown}");
        assert!(
            shown.contains("postgres://ipcp:***@standby:5432/ipcp"),
            "{shown}"
        );
        assert!(
            shown.contains("postgres://ipcp:***@db.internal:5432/ipcp?sslmode=require"),
            "{shown}"
        );
        assert_eq!(
            redact_url("sqlite://ipcp.db?mode=rwc"),
            "sqlite://ipcp.db?mode=rwc"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
