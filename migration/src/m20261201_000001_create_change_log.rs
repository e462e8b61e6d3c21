//! The change log: an append-only, ordered record of every committed change, read from a position
//! by reporting jobs (`changes`), resuming subscriptions and the webhook worker.
//!
//! Positions are handed out in commit order (the unit of work takes a transaction-scoped lock
//! before it appends), so a reader that resumes after the last position it saw never misses an
//! entry. Entries are never updated (a trigger refuses it); retention deletes the oldest.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        // The position: a 64-bit sequence on PostgreSQL; SQLite's rowid (AUTOINCREMENT: never
        // reused after retention deletes the newest-but-old entries).
        let mut position = ColumnDef::new(ChangeLog::Id);
        if backend == DatabaseBackend::Sqlite {
            position.integer();
        } else {
            position.big_integer();
        }
        position.not_null().auto_increment().primary_key();
        manager
            .create_table(
                Table::create()
                    .table(ChangeLog::Table)
                    .col(&mut position)
                    .col(ColumnDef::new(ChangeLog::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(ChangeLog::Action).string_len(64).not_null())
                    .col(
                        ColumnDef::new(ChangeLog::EntityId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChangeLog::PartnerId).integer())
                    .col(ColumnDef::new(ChangeLog::Actor).string().not_null())
                    .col(
                        ColumnDef::new(ChangeLog::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChangeLog::Changed).text().not_null())
                    .col(ColumnDef::new(ChangeLog::Related).text())
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX ix_change_log_kind ON change_log (kind, id)",
            "CREATE INDEX ix_change_log_partner ON change_log (partner_id, id)",
            "CREATE INDEX ix_change_log_occurred ON change_log (occurred_at)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        match backend {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION change_log_no_update() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION 'change_log is append-only'; END $$",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER tr_change_log_no_update BEFORE UPDATE ON change_log \
                     FOR EACH ROW EXECUTE FUNCTION change_log_no_update()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TRIGGER tr_change_log_no_update BEFORE UPDATE ON change_log \
                     BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS tr_change_log_no_update ON change_log")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS change_log_no_update()")
                .await?;
        } else {
            db.execute_unprepared("DROP TRIGGER IF EXISTS tr_change_log_no_update")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ChangeLog::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Id,
    Kind,
    Action,
    EntityId,
    PartnerId,
    Actor,
    OccurredAt,
    Changed,
    Related,
}
