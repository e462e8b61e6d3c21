//! Migrations go up, down to zero and up again on a fresh database of each backend.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::helpers::{Backend, TestDatabase};

async fn table_count(conn: &sea_orm::DatabaseConnection) -> i64 {
    let sql = match conn.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'seaql_migrations'"
        }
        _ => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN ('seaql_migrations', 'sqlite_sequence')",
    };
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("count")
}

async fn round_trip(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let conn = Database::connect(&db.url).await.expect("connect");
    Migrator::up(&conn, None).await.expect("up");
    assert_eq!(table_count(&conn).await, 25);
    Migrator::down(&conn, None).await.expect("down to zero");
    assert_eq!(table_count(&conn).await, 0);
    Migrator::up(&conn, None).await.expect("up again");
    assert_eq!(table_count(&conn).await, 25);
    assert!(Migrator::get_pending_migrations(&conn)
        .await
        .expect("status")
        .is_empty());
    conn.close().await.ok();
}

#[tokio::test]
async fn migrations_round_trip_on_sqlite() {
    round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn migrations_round_trip_on_postgres() {
    round_trip(Backend::Postgres).await;
}
