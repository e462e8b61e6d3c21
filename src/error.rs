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
        "iteration_objective",
        "ALREADY_LINKED",
        "this iteration already serves this objective",
    ),
];

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        let text = err.to_string();
        if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) || is_unavailable(&text) {
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
