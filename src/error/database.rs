//! Database errors in the service's terms, decided by what the driver reports (the error's kind,
//! SQLSTATE or SQLite result code, and the constraint it names), never by its message text:
//! - a connection or resource failure is `Unavailable` (retryable);
//! - a violation of a constraint the migrations name is the domain rule that constraint holds;
//! - anything else is `Internal`, logged with its cause and never shown.

use sea_orm::{
    sqlx::{self, error::DatabaseError as _},
    DbErr, RuntimeErr,
};

use super::{AppError, ErrorCode};

/// A constraint of the migrations and the rule it holds. PostgreSQL reports the constraint's (or
/// unique index's) name; SQLite reports a CHECK constraint's name but, for a unique index, the
/// columns it covers (`table.column, ...`), so both keys are listed.
struct Constraint {
    postgres: &'static str,
    sqlite: &'static str,
    code: ErrorCode,
    message: &'static str,
}

const CONSTRAINTS: &[Constraint] = &[
    Constraint {
        postgres: "ex_cycle_no_overlap",
        sqlite: "ex_cycle_no_overlap",
        code: ErrorCode::CycleOverlap,
        message: "a partner's approved cycles may not overlap",
    },
    Constraint {
        postgres: "ux_cycle_one_active",
        sqlite: "programme_cycle.partner_id",
        code: ErrorCode::OneActiveCycle,
        message: "a partner has at most one ACTIVE cycle",
    },
    Constraint {
        postgres: "programme_cycle_renews_cycle_id_key",
        sqlite: "programme_cycle.renews_cycle_id",
        code: ErrorCode::AlreadyRenewed,
        message: "this cycle already has a successor",
    },
    Constraint {
        postgres: "ux_enrollment_live",
        sqlite: "enrollment.officer_id, enrollment.iteration_id",
        code: ErrorCode::AlreadyNominated,
        message: "this officer already holds a live enrollment in this iteration",
    },
    Constraint {
        postgres: "ck_iteration_seats",
        sqlite: "ck_iteration_seats",
        code: ErrorCode::CapacityExceeded,
        message: "seats held may not exceed the iteration's capacity",
    },
    Constraint {
        postgres: "partner_code_key",
        sqlite: "partner.code",
        code: ErrorCode::DuplicateCode,
        message: "a partner with this code already exists",
    },
    Constraint {
        postgres: "course_code_key",
        sqlite: "course.code",
        code: ErrorCode::DuplicateCode,
        message: "a course with this code already exists",
    },
    Constraint {
        postgres: "cooperation_area_code_key",
        sqlite: "cooperation_area.code",
        code: ErrorCode::DuplicateCode,
        message: "a cooperation area with this code already exists",
    },
    Constraint {
        postgres: "iteration_objective_pkey",
        sqlite: "iteration_objective.iteration_id, iteration_objective.objective_id",
        code: ErrorCode::AlreadyLinked,
        message: "this iteration already serves this objective",
    },
    Constraint {
        postgres: "api_token_name_key",
        sqlite: "api_token.name",
        code: ErrorCode::DuplicateName,
        message: "a token with this name already exists",
    },
];

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
            tracing::warn!(error = %err, "database unavailable");
            return AppError::Unavailable;
        }
        let Some(sqlx_err) = sqlx_error(&err) else {
            tracing::error!(error = %err, "database error");
            return AppError::Internal(err.to_string());
        };
        if is_transient(sqlx_err) {
            tracing::warn!(error = %err, "database unavailable");
            return AppError::Unavailable;
        }
        if let sqlx::Error::Database(db) = sqlx_err {
            if let Some(rule) = constraint_rule(db.as_ref()) {
                return AppError::rule(rule.code, rule.message);
            }
            match db.kind() {
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return AppError::rule(
                        ErrorCode::ReferenceNotFound,
                        "a referenced record does not exist",
                    )
                }
                sqlx::error::ErrorKind::CheckViolation => {
                    tracing::info!(error = %err, "check constraint refused a write");
                    return AppError::rule(
                        ErrorCode::ConstraintViolation,
                        "the request breaks a rule of the data model",
                    );
                }
                _ => {}
            }
        }
        tracing::error!(error = %err, "database error");
        AppError::Internal(err.to_string())
    }
}

/// The rule of the named constraint the error reports, if the migrations name it.
fn constraint_rule(db: &dyn sqlx::error::DatabaseError) -> Option<&'static Constraint> {
    if let Some(name) = db.constraint() {
        return CONSTRAINTS.iter().find(|c| c.postgres == name);
    }
    // SQLite: "UNIQUE constraint failed: partner.code", "CHECK constraint failed: ck_iteration_seats"
    // (the format of sqlite3_errmsg for SQLITE_CONSTRAINT_*, whose extended code says which).
    if !is_sqlite_constraint(db) {
        return None;
    }
    let key = db.message().split_once("constraint failed: ")?.1.trim();
    CONSTRAINTS.iter().find(|c| c.sqlite == key)
}

/// SQLite's result code for a constraint violation is 19 (SQLITE_CONSTRAINT), extended with the
/// kind in its high byte.
fn is_sqlite_constraint(db: &dyn sqlx::error::DatabaseError) -> bool {
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 19)
}

fn sqlx_error(err: &DbErr) -> Option<&sqlx::Error> {
    match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        _ => None,
    }
}

/// Errors that say nothing about the request and may pass:
/// - the connection broke (the server restarted or the network dropped), or the pool is exhausted
///   or closed;
/// - PostgreSQL refused for a while: SQLSTATE class 08 (connection exception), 53 (insufficient
///   resources), 57P01-57P05 (shutdown and crash recovery), 57014 (statement timeout), 40P01
///   (deadlock: the transaction was rolled back, a retry works) and 40001 (serialization failure);
/// - SQLite was busy or locked (result codes 5 and 6, with any extension).
fn is_transient(err: &sqlx::Error) -> bool {
    use sqlx::Error;
    match err {
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        Error::Database(db) => {
            if let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                return sqlite
                    .code()
                    .and_then(|code| code.parse::<i32>().ok())
                    .is_some_and(|code| matches!(code & 0xff, 5 | 6));
            }
            db.code().is_some_and(|code| {
                code.starts_with("08")
                    || code.starts_with("53")
                    || code.starts_with("57P")
                    || code == "57014"
                    || code == "40P01"
                    || code == "40001"
            })
        }
        _ => false,
    }
}
