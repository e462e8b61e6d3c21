//! Settings from command-line flags and environment variables (each flag has one), with defaults that
//! run on a fresh machine: an embedded SQLite file in the working directory, listening on localhost.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
pub enum LogFormat {
    Text,
    Json,
}

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
    /// Record data in bulk from a file.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
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
}

#[derive(Debug, Clone, Args)]
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
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "IPCP_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Serve the GraphiQL IDE at `/`.
    #[arg(long, env = "IPCP_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,
    /// Allow schema introspection (GraphiQL needs it).
    #[arg(long, env = "IPCP_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
    /// Largest accepted request body, in bytes (HTTP 413 beyond).
    #[arg(long, env = "IPCP_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,
    /// Time limit for one HTTP request, in milliseconds.
    #[arg(long, env = "IPCP_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// Deepest GraphQL selection accepted.
    #[arg(long, env = "IPCP_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,
    /// Largest GraphQL query complexity accepted.
    #[arg(long, env = "IPCP_MAX_COMPLEXITY", default_value_t = 5000)]
    pub max_complexity: usize,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            graphiql: true,
            introspection: true,
            max_body_bytes: 1_048_576,
            request_timeout_ms: 30_000,
            max_depth: 12,
            max_complexity: 5000,
        }
    }
}

impl DatabaseArgs {
    pub fn new(database_url: impl Into<String>) -> Self {
        DatabaseArgs {
            database_url: database_url.into(),
            db_max_connections: 10,
            db_acquire_timeout_ms: 3000,
            db_statement_timeout_ms: 15000,
        }
    }
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseArgs,
    pub serve: ServeArgs,
}
