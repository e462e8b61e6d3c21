//! How rows read by column position are decoded on PostgreSQL (`ipcp::service::rows`): the first
//! row of a result has its column types checked, the rows after it are decoded without the check.
//! A column whose SQL type is not its field's must be refused, never read as something else.

use entity::{enums::Service, officer};
use ipcp::service::rows::{Decode, ReadAt};
use sea_orm::{ConnectionTrait, Database, DbBackend, DbErr, QueryResult, Statement};

use crate::support::postgres_base_url;

/// A row of an officer's eleven columns in the entity's order, `id` given as `id_sql`: literals,
/// selected on the server's `postgres` database.
async fn officer_row(id_sql: &str) -> QueryResult {
    let conn = Database::connect(format!("{}/postgres", postgres_base_url()))
        .await
        .expect("connect");
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT {id_sql} AS id, 2::int4 AS partner_id, 'Atayev'::varchar AS family_name, \
                 'Merdan'::varchar AS given_name, 'Major'::varchar AS rank, \
                 'ARMY'::varchar AS service, NULL::varchar AS position, '3232'::varchar AS slp, \
                 1::int4 AS version, '2026-01-02T03:04:05Z'::timestamptz AS created_at, \
                 '2026-01-02T03:04:05Z'::timestamptz AS updated_at"
            ),
        ))
        .await
        .expect("query")
        .expect("one row");
    conn.close().await.ok();
    row
}

#[tokio::test]
async fn a_row_read_by_position_on_postgres_decodes_every_field_checked_or_trusted() {
    let row = officer_row("7::int4").await;
    for decode in [Decode::Checked, Decode::Trusted] {
        let officer = officer::Model::read_at(&row, 0, decode).expect("decodes");
        assert_eq!(officer.id, 7);
        assert_eq!(officer.partner_id, 2);
        assert_eq!(officer.family_name, "Atayev");
        assert_eq!(officer.service, Service::Army);
        assert_eq!(officer.position, None);
        assert_eq!(officer.slp.as_deref(), Some("3232"));
        assert_eq!(officer.created_at.to_rfc3339(), "2026-01-02T03:04:05+00:00");
    }
}

#[tokio::test]
async fn a_checked_row_whose_column_has_another_sql_type_is_refused() {
    // "7" as text: decoded as an int4 without the check, its bytes would be taken for a number.
    let row = officer_row("'7'::text").await;
    match officer::Model::read_at(&row, 0, Decode::Checked) {
        Err(DbErr::Type(message)) => {
            assert!(message.contains("column id is TEXT"), "{message}");
        }
        other => panic!("a text column was read as an officer's id: {other:?}"),
    }
}
