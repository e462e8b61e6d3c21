//! Signed webhooks: the endpoints an ADMIN registers and the deliveries the worker owes them.
//!
//! An endpoint keeps its own `cursor` (the last change-log position fanned out to it), so fan-out
//! resumes where it stopped after a crash. A delivery is one change-log entry owed to one endpoint;
//! `(endpoint_id, position)` is unique, so a fan-out repeated after a crash adds nothing twice. The
//! signing secret is stored as issued: the worker needs it to sign every delivery.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoint::Table)
                    .col(
                        ColumnDef::new(WebhookEndpoint::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoint::Url)
                            .string_len(2048)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoint::Kinds)
                            .string_len(1024)
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookEndpoint::PartnerId).integer())
                    .col(
                        ColumnDef::new(WebhookEndpoint::Secret)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoint::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoint::Cursor)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoint::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookEndpoint::DisabledAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_endpoint_partner")
                            .from(WebhookEndpoint::Table, WebhookEndpoint::PartnerId)
                            .to(Partner::Table, Partner::Id),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(
                        ColumnDef::new(WebhookDelivery::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WebhookDelivery::EndpointId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDelivery::Position)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDelivery::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDelivery::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(WebhookDelivery::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDelivery::RetryUntil)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookDelivery::LeasedUntil).timestamp_with_time_zone())
                    .col(ColumnDef::new(WebhookDelivery::LastStatusCode).integer())
                    .col(ColumnDef::new(WebhookDelivery::LastResponse).text())
                    .col(ColumnDef::new(WebhookDelivery::LastError).text())
                    .col(
                        ColumnDef::new(WebhookDelivery::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookDelivery::DeliveredAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_delivery_endpoint")
                            .from(WebhookDelivery::Table, WebhookDelivery::EndpointId)
                            .to(WebhookEndpoint::Table, WebhookEndpoint::Id),
                    )
                    .check(Check::named(
                        "ck_webhook_delivery_status",
                        Expr::cust("status IN ('PENDING','DELIVERED','FAILED')"),
                    ))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            // The worker's head-of-queue lookup (lowest PENDING position of an endpoint) and the
            // ADMIN's list by endpoint and status; also makes a repeated fan-out a no-op.
            "CREATE UNIQUE INDEX ux_webhook_delivery_endpoint_position ON webhook_delivery (endpoint_id, position)",
            "CREATE INDEX ix_webhook_delivery_endpoint_status ON webhook_delivery (endpoint_id, status, position)",
            "CREATE INDEX ix_webhook_delivery_status ON webhook_delivery (status, id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDelivery::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookEndpoint::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoint {
    Table,
    Id,
    Url,
    Kinds,
    PartnerId,
    Secret,
    Active,
    Cursor,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    EndpointId,
    Position,
    Status,
    Attempts,
    NextAttemptAt,
    RetryUntil,
    LeasedUntil,
    LastStatusCode,
    LastResponse,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
}
