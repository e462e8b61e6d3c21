//! The one error type of the service and its mapping to GraphQL error codes.
//!
//! Policy: every variant says what the caller did wrong and carries a stable `extensions.code`
//! from the catalogue (`code.rs`). Database and internal errors are logged with their cause and
//! reach the client only as a generic message; constraint violations the schema names are turned
//! into the domain rule they enforce (`database.rs`).

mod code;
mod database;

pub use code::{Context, ErrorCode};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Deliberately not `Display`: async-graphql turns any `Display` error into a client error without a
/// code, so keeping this type out of that blanket impl makes `?` in a resolver go through the mapping
/// below, which attaches the code and hides internal causes.
#[derive(Debug, Clone)]
pub enum AppError {
    /// The record asked for does not exist.
    NotFound {
        entity: &'static str,
        id: String,
    },
    /// An input field breaks a format or range rule.
    Validation {
        field: String,
        message: String,
    },
    /// A domain rule refused the request; `code` names the rule (e.g. CYCLE_OVERLAP).
    Rule {
        code: ErrorCode,
        message: String,
    },
    /// Optimistic concurrency: the record changed since the caller read it.
    StaleVersion {
        entity: &'static str,
        id: i32,
        expected: i32,
        actual: i32,
    },
    Unauthenticated,
    Forbidden(String),
    /// The database cannot be reached or is overloaded: the request may be retried.
    Unavailable,
    /// Anything else; the cause is logged, never shown.
    Internal(String),
}

impl AppError {
    /// The message a caller sees; internal causes are never part of it.
    pub fn message(&self) -> String {
        match self {
            AppError::NotFound { entity, id } => format!("{entity} {id} not found"),
            AppError::Validation { field, message } => format!("invalid {field}: {message}"),
            AppError::Rule { message, .. } => message.clone(),
            AppError::StaleVersion { entity, id, expected, actual } => format!(
                "{entity} {id} was changed by someone else (your version {expected}, current {actual}); reload and retry"
            ),
            AppError::Unauthenticated => "authentication required".into(),
            AppError::Forbidden(what) => format!("your role may not {what}"),
            AppError::Unavailable => "the service is temporarily unavailable; retry shortly".into(),
            AppError::Internal(_) => "internal error".into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::NotFound { .. } => ErrorCode::NotFound,
            AppError::Validation { .. } => ErrorCode::BadUserInput,
            AppError::Rule { code, .. } => *code,
            AppError::StaleVersion { .. } => ErrorCode::StaleVersion,
            AppError::Unauthenticated => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::Unavailable => ErrorCode::ServiceUnavailable,
            AppError::Internal(_) => ErrorCode::InternalServerError,
        }
    }

    /// Whether the same request may succeed later (the caller should retry with backoff).
    pub fn retryable(&self) -> bool {
        matches!(self, AppError::Unavailable | AppError::StaleVersion { .. })
    }

    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        AppError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn rule(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Rule {
            code,
            message: message.into(),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        use async_graphql::ErrorExtensions;
        let code = err.code();
        let message = err.message();
        let retryable = err.retryable();
        async_graphql::Error::new(message).extend_with(|_, e| {
            e.set("code", code.as_str());
            if retryable {
                e.set("retryable", true);
            }
            if let AppError::Validation { field, .. } = &err {
                e.set("field", field.as_str());
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::{sqlx, ConnAcquireErr, DbErr, RuntimeErr};

    use super::AppError;

    fn query_error(err: sqlx::Error) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
    }

    #[test]
    fn a_broken_or_refused_connection_is_unavailable_and_retryable() {
        for err in [
            query_error(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset",
            ))),
            query_error(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "eof",
            ))),
            query_error(sqlx::Error::Protocol("unexpected message".into())),
            query_error(sqlx::Error::PoolTimedOut),
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(sqlx::Error::WorkerCrashed))),
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        ] {
            let app = AppError::from(err);
            assert!(matches!(app, AppError::Unavailable), "{app:?}");
            let gql = async_graphql::Error::from(app);
            let ext = gql.extensions.expect("extensions");
            assert_eq!(
                ext.get("code"),
                Some(&async_graphql::Value::from("SERVICE_UNAVAILABLE"))
            );
            assert_eq!(
                ext.get("retryable"),
                Some(&async_graphql::Value::from(true))
            );
            assert!(!gql.message.contains("reset") && !gql.message.contains("eof"));
        }
    }

    #[test]
    fn a_query_error_is_internal_and_its_text_stays_out_of_the_message() {
        let err = query_error(sqlx::Error::ColumnNotFound("secret_column".into()));
        let gql = async_graphql::Error::from(AppError::from(err));
        assert_eq!(gql.message, "internal error");
    }
}
