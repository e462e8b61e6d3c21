//! Building and running the application: connect, migrate, build the schema and the router, serve
//! until Ctrl-C or SIGTERM with a graceful shutdown.

use std::net::SocketAddr;

use migration::{Migrator, MigratorTrait};
use tokio::net::TcpListener;

use crate::{
    config::Settings,
    db::Db,
    error::{AppError, Result},
    graphql::build_schema,
    http::{rate_limit::RateLimit, router, AppState},
};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub db: Db,
}

/// Applies pending migrations; refuses a database migrated by a newer binary.
pub async fn migrate(db: &Db) -> Result<()> {
    Migrator::up(&db.conn, None).await.map_err(|e| {
        let text = e.to_string();
        if text.contains("missing") {
            AppError::Internal(format!(
                "the database has migrations this binary does not know (it was migrated by a newer version): {text}"
            ))
        } else {
            AppError::from(e)
        }
    })
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application> {
        let db = Db::connect(&settings.database).await?;
        migrate(&db).await?;
        if db.is_postgres() {
            db.events
                .listen_postgres(&settings.database.database_url)
                .await?;
        }
        let schema = build_schema(Some(db.clone()), &settings.serve);
        let state = AppState {
            db: db.clone(),
            schema,
            rate_limit: RateLimit::new(
                settings.serve.rate_limit_per_second,
                settings.serve.rate_limit_burst,
            ),
            introspection: settings.serve.introspection,
            max_aliases: settings.serve.max_aliases,
            expose_statement_count: settings.serve.expose_statement_count,
        };
        let router = router(state, &settings.serve);
        let listener = TcpListener::bind(settings.serve.listen)
            .await
            .map_err(|e| {
                AppError::Internal(format!("cannot listen on {}: {e}", settings.serve.listen))
            })?;
        Ok(Application {
            listener,
            router,
            db,
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    pub async fn run_until_stopped(self) -> Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}
