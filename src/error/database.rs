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
        postgres: "ux_course_pcm_code",
        sqlite: "course.pcm_code",
        code: ErrorCode::DuplicateCode,
        message: "a course with this Partnership Cooperation Menu code already exists",
    },
    Constraint {
        postgres: "ux_course_etoc_code",
        sqlite: "course.etoc_code",
        code: ErrorCode::DuplicateCode,
        message: "a course with this ETOC code already exists",
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

/// Each constraint the mapping names, provoked for real on a migrated database of each backend:
/// the names above must be the ones the databases report, or the mapping silently falls through to
/// `Internal`. These are also the tests of the codes that only the database's own checks give,
/// because a service rule answers first through the API (`CAPACITY_EXCEEDED` behind the seat
/// count and the waitlist, `REFERENCE_NOT_FOUND` behind each service's `NOT_FOUND`,
/// `CONSTRAINT_VIOLATION` behind the input validation, `ALREADY_LINKED` behind the idempotent
/// `linkIterationObjective`).
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

    use super::AppError;
    use crate::{config::DatabaseArgs, db::Pool};

    const NOW: &str = "'2024-01-01 00:00:00+00:00'";

    /// Rows the provocations build on: partner 1 with an ACTIVE cycle 1 (2020-2021) and an
    /// objective 1, a course 1 with iteration 1 of capacity 1 serving that objective, a token "job".
    fn setup() -> Vec<String> {
        vec![
            format!("INSERT INTO partner (code, name, created_at, updated_at) VALUES ('TKM', 'Turkmenistan', {NOW}, {NOW})"),
            format!("INSERT INTO cooperation_area (code, name, description, created_at, updated_at) VALUES ('AREA', 'Area', 'd', {NOW}, {NOW})"),
            format!("INSERT INTO programme_cycle (partner_id, kind, start_date, end_date, status, nac_approved_on, partner_approved_on, created_at, updated_at) VALUES (1, 'IPCP', '2020-01-01', '2021-12-31', 'ACTIVE', '2019-06-01', '2019-06-02', {NOW}, {NOW})"),
            format!("INSERT INTO objective (cycle_id, area_id, title, indicator, status, created_at, updated_at) VALUES (1, 1, 'Objective', 'officers trained', 'PLANNED', {NOW}, {NOW})"),
            format!("INSERT INTO course (code, title, topic, organiser, delivery, duration_days, created_at, updated_at) VALUES ('BS-101', 'Course', 'OTHER', 'NATO School', 'DISTANCE', 5, {NOW}, {NOW})"),
            format!("INSERT INTO course_iteration (course_id, start_date, end_date, location, capacity, status, created_at, updated_at) VALUES (1, '2030-01-01', '2030-01-05', 'Oberammergau', 1, 'OPEN', {NOW}, {NOW})"),
            "INSERT INTO iteration_objective (iteration_id, objective_id) VALUES (1, 1)".into(),
            format!("INSERT INTO api_token (name, role, token_hash, prefix, created_at) VALUES ('job', 'ANALYST', 'hash', 'prefix', {NOW})"),
        ]
    }

    /// Runs `sql`, which breaks one constraint, and asserts the code the mapping gives.
    async fn assert_maps_to(conn: &DatabaseConnection, what: &str, sql: &str, code: &str) {
        let err = conn.execute_unprepared(sql).await.expect_err(what);
        let mapped = AppError::from(err);
        assert_eq!(mapped.code().as_str(), code, "{what}: {mapped:?}");
    }

    async fn each_named_constraint_maps_to_its_rule(url: &str, postgres: bool) {
        let pool = Pool::connect(&DatabaseArgs::new(url.to_owned()))
            .await
            .expect("connect");
        Migrator::up(&pool.conn, None).await.expect("migrate");
        let conn = &pool.conn;
        for sql in setup() {
            conn.execute_unprepared(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        assert_maps_to(
            conn,
            "seats held beyond capacity (ck_iteration_seats)",
            "UPDATE course_iteration SET seats_held = 2 WHERE id = 1",
            "CAPACITY_EXCEEDED",
        )
        .await;
        assert_maps_to(
            conn,
            "an iteration of a course that does not exist (a foreign key)",
            &format!("INSERT INTO course_iteration (course_id, start_date, end_date, location, capacity, status, created_at, updated_at) VALUES (999, '2030-01-01', '2030-01-05', 'x', 1, 'OPEN', {NOW}, {NOW})"),
            "REFERENCE_NOT_FOUND",
        )
        .await;
        assert_maps_to(
            conn,
            "a negative partner quota (ck_iteration_quota, a check no rule names)",
            "UPDATE course_iteration SET partner_quota = -1 WHERE id = 1",
            "CONSTRAINT_VIOLATION",
        )
        .await;
        assert_maps_to(
            conn,
            "the same objective linked twice (iteration_objective's key)",
            "INSERT INTO iteration_objective (iteration_id, objective_id) VALUES (1, 1)",
            "ALREADY_LINKED",
        )
        .await;
        assert_maps_to(
            conn,
            "a second token named job (api_token_name_key)",
            &format!("INSERT INTO api_token (name, role, token_hash, prefix, created_at) VALUES ('job', 'ADMIN', 'other', 'other', {NOW})"),
            "DUPLICATE_NAME",
        )
        .await;
        assert_maps_to(
            conn,
            "a second partner TKM (partner_code_key)",
            &format!("INSERT INTO partner (code, name, created_at, updated_at) VALUES ('TKM', 'Again', {NOW}, {NOW})"),
            "DUPLICATE_CODE",
        )
        .await;
        assert_maps_to(
            conn,
            "a second ACTIVE cycle of partner 1 (ux_cycle_one_active)",
            &format!("INSERT INTO programme_cycle (partner_id, kind, start_date, end_date, status, nac_approved_on, partner_approved_on, created_at, updated_at) VALUES (1, 'IPCP', '2024-01-01', '2025-12-31', 'ACTIVE', '2023-06-01', '2023-06-02', {NOW}, {NOW})"),
            "ONE_ACTIVE_CYCLE",
        )
        .await;
        if postgres {
            // SQLite has no exclusion constraint: there the rule is the service's alone.
            assert_maps_to(
                conn,
                "an APPROVED cycle overlapping the ACTIVE one (ex_cycle_no_overlap)",
                &format!("INSERT INTO programme_cycle (partner_id, kind, start_date, end_date, status, nac_approved_on, partner_approved_on, created_at, updated_at) VALUES (1, 'IPCP', '2021-06-01', '2023-05-31', 'APPROVED', '2021-01-01', '2021-01-02', {NOW}, {NOW})"),
                "CYCLE_OVERLAP",
            )
            .await;
        }
        pool.conn.close().await.ok();
    }

    #[tokio::test]
    async fn sqlite_each_named_constraint_maps_to_its_rule() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("db.sqlite").display()
        );
        each_named_constraint_maps_to_its_rule(&url, false).await;
    }

    /// Fails, never skips, without a PostgreSQL server (as the black-box tests).
    #[tokio::test]
    async fn postgres_each_named_constraint_maps_to_its_rule() {
        let base = std::env::var("IPCP_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let name = format!(
            "ipcp_unit_constraints_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        );
        let admin = Database::connect(format!("{base}/postgres"))
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL must run at {base} for the tests: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        each_named_constraint_maps_to_its_rule(&format!("{base}/{name}"), true).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .ok();
        admin.close().await.ok();
    }
}
