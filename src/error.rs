//! The one error type of the service and its mapping to GraphQL error codes.
//!
//! Policy: every variant says what the caller did wrong and carries a stable `extensions.code`.
//! Database and internal errors are logged with their cause and reach the client only as a generic
//! message; constraint violations the schema names are turned into the domain rule they enforce.

use sea_orm::DbErr;

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
        code: &'static str,
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

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { .. } => "NOT_FOUND",
            AppError::Validation { .. } => "BAD_USER_INPUT",
            AppError::Rule { code, .. } => code,
            AppError::StaleVersion { .. } => "STALE_VERSION",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::Unavailable => "SERVICE_UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
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

    pub fn rule(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Rule {
            code,
            message: message.into(),
        }
    }
}

/// Named constraints of the migration and the rule each one holds.
const CONSTRAINT_RULES: &[(&str, &str, &str)] = &[
    (
        "ex_cycle_no_overlap",
        "CYCLE_OVERLAP",
        "a partner's approved cycles may not overlap",
    ),
    (
        "ux_cycle_one_active",
        "ONE_ACTIVE_CYCLE",
        "a partner has at most one ACTIVE cycle",
    ),
    (
        "renews_cycle_id",
        "ALREADY_RENEWED",
        "this cycle already has a successor",
    ),
    (
        "ux_enrollment_live",
        "ALREADY_NOMINATED",
        "this officer already holds a live enrollment in this iteration",
    ),
    (
        "ck_iteration_seats",
        "CAPACITY_EXCEEDED",
        "seats held may not exceed the iteration's capacity",
    ),
    (
        "partner.code",
        "DUPLICATE_CODE",
        "a partner with this code already exists",
    ),
    (
        "partner_code",
        "DUPLICATE_CODE",
        "a partner with this code already exists",
    ),
    (
        "course.code",
        "DUPLICATE_CODE",
        "a course with this code already exists",
    ),
    (
        "course_code",
        "DUPLICATE_CODE",
        "a course with this code already exists",
    ),
    (
        "cooperation_area.code",
        "DUPLICATE_CODE",
        "a cooperation area with this code already exists",
    ),
    (
        "cooperation_area_code",
        "DUPLICATE_CODE",
        "a cooperation area with this code already exists",
    ),
    (
        "course.pcm_code",
        "DUPLICATE_CODE",
        "a course with this Partnership Cooperation Menu code already exists",
    ),
    (
        "course.etoc_code",
        "DUPLICATE_CODE",
        "a course with this ETOC code already exists",
    ),
    (
        "ux_course_pcm_code",
        "DUPLICATE_CODE",
        "a course with this Partnership Cooperation Menu code already exists",
    ),
    (
        "ux_course_etoc_code",
        "DUPLICATE_CODE",
        "a course with this ETOC code already exists",
    ),
    (
        "iteration_objective",
        "ALREADY_LINKED",
        "this iteration already serves this objective",
    ),
];

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        let text = err.to_string();
        if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_))
            || sqlx_error(&err).is_some_and(is_transient)
            || is_unavailable(&text)
        {
            tracing::warn!(error = %text, "database unavailable");
            return AppError::Unavailable;
        }
        if let Some((_, code, message)) = CONSTRAINT_RULES
            .iter()
            .find(|(name, _, _)| text.contains(name))
        {
            return AppError::rule(code, *message);
        }
        if let Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) = err.sql_err() {
            return AppError::rule("REFERENCE_NOT_FOUND", "a referenced record does not exist");
        }
        if text.contains("check constraint") || text.contains("CHECK constraint") {
            tracing::info!(error = %text, "check constraint refused a write");
            return AppError::rule(
                "CONSTRAINT_VIOLATION",
                "the request breaks a rule of the data model",
            );
        }
        tracing::error!(error = %text, "database error");
        AppError::Internal(text)
    }
}

fn sqlx_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    use sea_orm::RuntimeErr;
    match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        _ => None,
    }
}

/// Errors that say nothing about the request and may pass: the connection broke (the server
/// restarted or the network dropped), the pool is exhausted, or PostgreSQL refused for a while
/// (SQLSTATE class 08 connection exception, 53 insufficient resources, 57P01-57P05 shutdown and
/// crash recovery, 57014 statement timeout).
fn is_transient(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
                || code == "57014"
        }),
        _ => false,
    }
}

fn is_unavailable(text: &str) -> bool {
    const MARKERS: &[&str] = &[
        "pool timed out",
        "Connection refused",
        "connection reset",
        "terminating connection",
        "the database system is",
        "database is locked",
        "PoolTimedOut",
        "error communicating with database",
        "connection closed",
        // PostgreSQL aborted the transaction to break a lock cycle: nothing was written, a retry works.
        "deadlock detected",
    ];
    MARKERS.iter().any(|m| text.contains(m))
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        use async_graphql::ErrorExtensions;
        let code = err.code();
        let message = err.message();
        let retryable = matches!(err, AppError::Unavailable | AppError::StaleVersion { .. });
        async_graphql::Error::new(message).extend_with(|_, e| {
            e.set("code", code);
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
