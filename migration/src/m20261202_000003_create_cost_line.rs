//! Cost lines: planned or actual amounts on a course iteration or an activity (exactly one), as an
//! integer in the currency's minor units with its ISO 4217 code, by category and funding source.
//! Invariant 10: money is never a float, and the schema never adds currencies together.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CostLine::Table)
                    .col(
                        ColumnDef::new(CostLine::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CostLine::IterationId).integer())
                    .col(ColumnDef::new(CostLine::ActivityId).integer())
                    .col(ColumnDef::new(CostLine::PartnerId).integer())
                    .col(ColumnDef::new(CostLine::Category).string_len(16).not_null())
                    .col(ColumnDef::new(CostLine::Stage).string_len(8).not_null())
                    .col(
                        ColumnDef::new(CostLine::AmountMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CostLine::Currency).string_len(3).not_null())
                    .col(
                        ColumnDef::new(CostLine::FundingSource)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CostLine::FundingNation).string_len(3))
                    .col(ColumnDef::new(CostLine::Description).string_len(500))
                    .col(ColumnDef::new(CostLine::Version).integer().not_null())
                    .col(
                        ColumnDef::new(CostLine::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CostLine::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cost_line_iteration")
                            .from(CostLine::Table, CostLine::IterationId)
                            .to(CourseIteration::Table, CourseIteration::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cost_line_activity")
                            .from(CostLine::Table, CostLine::ActivityId)
                            .to(Activity::Table, Activity::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cost_line_partner")
                            .from(CostLine::Table, CostLine::PartnerId)
                            .to(Partner::Table, Partner::Id),
                    )
                    .check(Check::named(
                        "ck_cost_line_one_subject",
                        Expr::cust("(iteration_id IS NULL) <> (activity_id IS NULL)"),
                    ))
                    .check(Check::named(
                        "ck_cost_line_category",
                        Expr::cust("category IN ('TUITION','TRAVEL','ACCOMMODATION','SUBSISTENCE','EQUIPMENT','GRANT','OTHER')"),
                    ))
                    .check(Check::named(
                        "ck_cost_line_stage",
                        Expr::cust("stage IN ('PLANNED','ACTUAL')"),
                    ))
                    .check(Check::named(
                        "ck_cost_line_amount",
                        Expr::cust("amount_minor >= 0"),
                    ))
                    .check(Check::named(
                        "ck_cost_line_source",
                        Expr::cust("funding_source IN ('NATO_COMMON_FUNDING','TRUST_FUND','SPS_GRANT','PARTNER','ALLIED_NATION')"),
                    ))
                    .check(Check::named(
                        "ck_cost_line_nation",
                        Expr::cust("(funding_source = 'ALLIED_NATION') = (funding_nation IS NOT NULL)"),
                    ))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX ix_cost_line_iteration ON cost_line (iteration_id)",
            "CREATE INDEX ix_cost_line_activity ON cost_line (activity_id)",
            "CREATE INDEX ix_cost_line_partner ON cost_line (partner_id, iteration_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CostLine::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum CostLine {
    Table,
    Id,
    IterationId,
    ActivityId,
    PartnerId,
    Category,
    Stage,
    AmountMinor,
    Currency,
    FundingSource,
    FundingNation,
    Description,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourseIteration {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Activity {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
}
