//! Learning Record Store endpoints ride on the webhook machinery: an endpoint's `format` says what
//! it is sent (`STANDARD_WEBHOOKS`, the signed change payloads; `XAPI`, batches of xAPI
//! statements), and an LRS's Basic credentials are kept with it (never shown again).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookEndpoint::Table)
                    .add_column(
                        ColumnDef::new(WebhookEndpoint::Format)
                            .string_len(24)
                            .not_null()
                            .default("STANDARD_WEBHOOKS"),
                    )
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookEndpoint::Table)
                    .add_column(ColumnDef::new(WebhookEndpoint::BasicUsername).string_len(200))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookEndpoint::Table)
                    .add_column(ColumnDef::new(WebhookEndpoint::BasicPassword).string_len(500))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            WebhookEndpoint::BasicPassword,
            WebhookEndpoint::BasicUsername,
            WebhookEndpoint::Format,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(WebhookEndpoint::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoint {
    Table,
    Format,
    BasicUsername,
    BasicPassword,
}
