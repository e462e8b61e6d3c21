//! French names for cooperation areas: reference data carries both official NATO languages
//! (English in `name`, French in `name_fr`; reports fall back to English when it is missing).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CooperationArea::Table)
                    .add_column(ColumnDef::new(CooperationArea::NameFr).string().null())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CooperationArea::Table)
                    .drop_column(CooperationArea::NameFr)
                    .take(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CooperationArea {
    Table,
    NameFr,
}
