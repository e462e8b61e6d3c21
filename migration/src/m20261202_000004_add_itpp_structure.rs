//! The ITPP structure ("ends, ways and means"): objectives nest (partnership goals under strategic
//! objectives, `objective.parent_id`), indicators are measured over time (`indicator_measurement`),
//! and courses carry their Partnership Cooperation Menu and ETOC codes.
//!
//! On PostgreSQL `parent_id` references `objective`; on SQLite the column has no foreign key (SQLite
//! cannot add one to an existing table, nor drop a column that has one), and the service checks
//! the parent, as it does on both.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        db.execute_unprepared("ALTER TABLE objective ADD COLUMN parent_id INTEGER")
            .await?;
        if postgres {
            db.execute_unprepared(
                "ALTER TABLE objective ADD CONSTRAINT fk_objective_parent \
                 FOREIGN KEY (parent_id) REFERENCES objective (id)",
            )
            .await?;
        }
        for sql in [
            "CREATE INDEX ix_objective_parent ON objective (parent_id)",
            "ALTER TABLE course ADD COLUMN pcm_code VARCHAR(40)",
            "ALTER TABLE course ADD COLUMN etoc_code VARCHAR(40)",
            "CREATE UNIQUE INDEX ux_course_pcm_code ON course (pcm_code)",
            "CREATE UNIQUE INDEX ux_course_etoc_code ON course (etoc_code)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(IndicatorMeasurement::Table)
                    .col(
                        ColumnDef::new(IndicatorMeasurement::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(IndicatorMeasurement::ObjectiveId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IndicatorMeasurement::CycleId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IndicatorMeasurement::MeasuredOn)
                            .date()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IndicatorMeasurement::Value)
                            .double()
                            .not_null(),
                    )
                    .col(ColumnDef::new(IndicatorMeasurement::Note).text())
                    .col(
                        ColumnDef::new(IndicatorMeasurement::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_measurement_objective")
                            .from(
                                IndicatorMeasurement::Table,
                                IndicatorMeasurement::ObjectiveId,
                            )
                            .to(Objective::Table, Objective::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_measurement_cycle")
                            .from(IndicatorMeasurement::Table, IndicatorMeasurement::CycleId)
                            .to(ProgrammeCycle::Table, ProgrammeCycle::Id),
                    )
                    .take(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_indicator_measurement_objective ON indicator_measurement (objective_id, measured_on)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IndicatorMeasurement::Table).take())
            .await?;
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("ALTER TABLE objective DROP CONSTRAINT fk_objective_parent")
                .await?;
        }
        for sql in [
            "DROP INDEX ux_course_etoc_code",
            "DROP INDEX ux_course_pcm_code",
            "ALTER TABLE course DROP COLUMN etoc_code",
            "ALTER TABLE course DROP COLUMN pcm_code",
            "DROP INDEX ix_objective_parent",
            "ALTER TABLE objective DROP COLUMN parent_id",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum IndicatorMeasurement {
    Table,
    Id,
    ObjectiveId,
    CycleId,
    MeasuredOn,
    Value,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Objective {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProgrammeCycle {
    Table,
    Id,
}
