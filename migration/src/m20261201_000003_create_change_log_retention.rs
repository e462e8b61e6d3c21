//! The change log's retention horizon: the highest position retention has deleted, so that a
//! reader resuming from an older position is told its cursor expired instead of missing entries.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeLogRetention::Table)
                    .col(
                        ColumnDef::new(ChangeLogRetention::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ChangeLogRetention::PurgedThrough)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .take(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO change_log_retention (id, purged_through) VALUES (1, 0)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeLogRetention::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum ChangeLogRetention {
    Table,
    Id,
    PurgedThrough,
}
