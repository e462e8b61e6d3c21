//! Feed tokens: read-only keys for the calendar feeds, carried in the URL (`?key=`) because
//! calendar apps cannot send an Authorization header. Stored only as a SHA-256 hash, like API
//! tokens, but in a table of their own, so a feed key can never stand for an API caller.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedToken::Table)
                    .col(
                        ColumnDef::new(FeedToken::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(FeedToken::Name)
                            .string_len(100)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(FeedToken::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(FeedToken::Prefix).string_len(16).not_null())
                    .col(
                        ColumnDef::new(FeedToken::CreatedBy)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(FeedToken::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(FeedToken::LastUsedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(FeedToken::RevokedAt).timestamp_with_time_zone())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FeedToken::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum FeedToken {
    Table,
    Id,
    Name,
    TokenHash,
    Prefix,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}
