//! The `ipcp` command: parse the command line, set up logging, dispatch.

use clap::Parser;
use ipcp::error::ErrorCode;
use ipcp::{
    config::{
        Cli, Command, ImportMode, ImportWhat, MigrateAction, ReportAction, SeedDataset, Settings,
        TokenAction,
    },
    error::AppError,
    service::Db,
    service::{self, uow::Actor},
    startup,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::ActiveEnum as _;

#[tokio::main]
async fn main() {
    let mut cli = Cli::parse();
    if cli.command.is_none() {
        // No command means `serve`, with every flag and environment variable it reads.
        let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        args.insert(1.min(args.len()), "serve".into());
        cli = Cli::parse_from(args);
    }
    ipcp::telemetry::init(cli.log_format);
    if let Err(err) = run(cli).await {
        match &err {
            AppError::Internal(cause) => eprintln!("error: {cause}"),
            // The code first, as in the catalogue, so that scripts can tell refusals apart.
            other => eprintln!("error[{}]: {}", other.code(), other.message()),
        }
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    let Some(command) = cli.command else {
        return Err(AppError::Internal("no command".into()));
    };
    match command {
        Command::Serve(serve) => {
            let app = startup::Application::build(Settings {
                database: cli.database,
                serve,
            })
            .await?;
            if let Some(created) = service::token::bootstrap(&app.db).await? {
                // Shown once, on standard output only: secrets never go to the logs.
                println!(
                    "No API token existed, so an ADMIN token named 'bootstrap-admin' was created."
                );
                println!("Send it as `Authorization: Bearer <token>` (in GraphiQL: Headers).");
                println!("It is shown this once; create others with `ipcp token create`:");
                println!("{}", created.secret);
            }
            tracing::info!(address = %app.local_addr()?, "ipcp listening; GraphQL at /graphql");
            app.run_until_stopped().await
        }
        Command::Backup { file } => {
            let db = Db::connect(&cli.database).await?;
            db.backup_sqlite(&file).await?;
            println!("backup written to {}", file.display());
            Ok(())
        }
        Command::Report { action } => {
            let db = Db::connect(&cli.database).await?;
            startup::migrate(&db).await?;
            match action {
                ReportAction::Cycle {
                    partner,
                    cycle,
                    format,
                    lang,
                } => {
                    let report =
                        service::report::cycle_report_for_partner(&db.conn, &partner, cycle, lang)
                            .await?;
                    let bytes = ipcp::export::render(&report, format, true)?;
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)
                        .and_then(|_| out.flush())
                        .map_err(|e| AppError::Internal(format!("stdout: {e}")))?;
                }
                ReportAction::All { format, out, lang } => {
                    for path in ipcp::export::write_all(&db.conn, &out, format, lang).await? {
                        println!("{}", path.display());
                    }
                }
            }
            Ok(())
        }
        Command::Schema => {
            print!("{}", ipcp::graphql::sdl());
            Ok(())
        }
        Command::Errors => {
            print!("{}", ErrorCode::markdown_table());
            Ok(())
        }
        Command::Migrate { action } => {
            let db = Db::connect(&cli.database).await?;
            let conn = &db.conn;
            match action {
                MigrateAction::Up => startup::migrate(&db).await?,
                MigrateAction::Down { steps } => Migrator::down(conn, steps).await?,
                MigrateAction::Status => {
                    for m in Migrator::get_migration_with_status(conn).await? {
                        println!("{}\t{}", m.name(), m.status());
                    }
                }
                MigrateAction::Fresh => Migrator::fresh(conn).await?,
            }
            Ok(())
        }
        Command::Seed {
            dataset: SeedDataset::Demo,
        } => {
            let db = Db::connect(&cli.database).await?;
            startup::migrate(&db).await?;
            let created = service::seed::demo(&db, &Actor::cli("seed")).await?;
            println!("demo data loaded: {created} records created");
            Ok(())
        }
        #[cfg(feature = "bench-data")]
        Command::Seed {
            dataset: SeedDataset::Bench { scale },
        } => {
            let db = Db::connect(&cli.database).await?;
            startup::migrate(&db).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg:>22} {bar:40} {pos}/{len} {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let started = std::time::Instant::now();
            let sizes = service::bench_data::load(
                &db,
                &Actor::cli("seed"),
                scale,
                &|table, done, total| {
                    if bar.message() != table {
                        bar.set_message(table.to_owned());
                        bar.set_length(total);
                    }
                    bar.set_position(done);
                },
            )
            .await?;
            bar.finish_and_clear();
            println!(
                "benchmark dataset at scale {scale} loaded in {:.1} s: {} partners, {} courses, {} iterations, {} officers, {} enrollments, {} activities",
                started.elapsed().as_secs_f64(),
                sizes.partners,
                sizes.courses,
                sizes.iterations,
                sizes.officers,
                sizes.enrollments(),
                sizes.activities
            );
            Ok(())
        }
        Command::Token { action } => {
            let db = Db::connect(&cli.database).await?;
            startup::migrate(&db).await?;
            match action {
                TokenAction::Create {
                    name,
                    role,
                    expires_in_days,
                } => {
                    let expires_at = expires_in_days
                        .map(|d| chrono::Utc::now() + chrono::Duration::days(i64::from(d)));
                    let created = service::token::create(
                        &db,
                        &Actor::cli("token"),
                        "create",
                        &name,
                        role,
                        expires_at,
                    )
                    .await?;
                    println!(
                        "created {} token '{}' (shown once):",
                        service::auth::role_name(created.token.role),
                        created.token.name
                    );
                    println!("{}", created.secret);
                }
                TokenAction::List => {
                    println!("id\tname\trole\tprefix\tcreated\texpires\tlast used\trevoked");
                    let show = |t: Option<chrono::DateTime<chrono::Utc>>| {
                        t.map_or("-".to_owned(), |t| t.to_rfc3339())
                    };
                    for t in service::token::list(&db.conn).await? {
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            t.id,
                            t.name,
                            service::auth::role_name(t.role),
                            t.prefix,
                            t.created_at.to_rfc3339(),
                            show(t.expires_at),
                            show(t.last_used_at),
                            show(t.revoked_at)
                        );
                    }
                }
                TokenAction::Revoke { token } => {
                    let t =
                        service::token::revoke(&db, &Actor::cli("token"), "revoke", &token).await?;
                    println!("revoked token '{}'", t.name);
                }
            }
            Ok(())
        }
        Command::Import {
            what: ImportWhat::Enrollments { file, mode },
        } => import_enrollments(&cli.database, &file, mode).await,
    }
}

/// `ipcp import enrollments FILE.csv`: the rows go through the same service as `importEnrollmentsCsv`,
/// with a progress bar on a terminal and a line per row on stdout.
async fn import_enrollments(
    database: &ipcp::config::DatabaseArgs,
    file: &std::path::Path,
    mode: ImportMode,
) -> Result<(), AppError> {
    use service::bulk::{self, BulkMode, RowOutcome};
    let text = std::fs::read_to_string(file)
        .map_err(|e| AppError::invalid("file", format!("cannot read {}: {e}", file.display())))?;
    let rows = bulk::parse_csv(&text)?;
    let db = Db::connect(database).await?;
    startup::migrate(&db).await?;
    let bar = indicatif::ProgressBar::new(rows.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mode = match mode {
        ImportMode::AllOrNothing => BulkMode::AllOrNothing,
        ImportMode::PerRow => BulkMode::PerRow,
    };
    let progress = bar.clone();
    let report = bulk::record(
        &db,
        &Actor::cli("import"),
        "import",
        rows,
        mode,
        &move |done| progress.set_position(done as u64),
    )
    .await?;
    bar.finish_and_clear();
    for row in &report.rows {
        let line = match (&row.outcome, &row.enrollment, &row.error) {
            (RowOutcome::Refused, _, Some(err)) => {
                format!("refused\t{}\t{}", err.code(), err.message())
            }
            (outcome, Some(e), _) => format!(
                "{}\tenrollment {}\t{}",
                if *outcome == RowOutcome::Applied {
                    "applied"
                } else {
                    "rolled back"
                },
                e.id,
                e.status.to_value()
            ),
            _ => "refused".to_owned(),
        };
        println!("row {}\t{line}", row.row);
    }
    let refused = report.count(RowOutcome::Refused);
    println!(
        "{} rows: {} applied, {} refused{}",
        report.rows.len(),
        report.count(RowOutcome::Applied),
        refused,
        if report.committed {
            ""
        } else {
            "; nothing recorded"
        }
    );
    if refused > 0 {
        return Err(AppError::rule(
            ErrorCode::RowsRefused,
            format!("{refused} rows were refused (see the report above)"),
        ));
    }
    Ok(())
}
