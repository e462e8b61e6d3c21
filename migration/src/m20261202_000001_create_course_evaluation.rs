//! Course evaluation (Kirkpatrick): level 1 reaction questionnaires, one per enrollment, with one
//! rating row per item of the item set the response was given on (so the set can change later
//! without rewriting old answers); level 3 follow-ups, one per completed enrollment.
//!
//! Each response and follow-up copies the enrollment's partner and iteration, so reports group
//! them without joining through the enrollment.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EvaluationResponse::Table)
                    .col(
                        ColumnDef::new(EvaluationResponse::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EvaluationResponse::EnrollmentId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationResponse::IterationId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationResponse::PartnerId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationResponse::ItemSet)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(EvaluationResponse::Comment).text())
                    .col(
                        ColumnDef::new(EvaluationResponse::RespondedOn)
                            .date()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationResponse::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evaluation_response_enrollment")
                            .from(EvaluationResponse::Table, EvaluationResponse::EnrollmentId)
                            .to(Enrollment::Table, Enrollment::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evaluation_response_iteration")
                            .from(EvaluationResponse::Table, EvaluationResponse::IterationId)
                            .to(CourseIteration::Table, CourseIteration::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evaluation_response_partner")
                            .from(EvaluationResponse::Table, EvaluationResponse::PartnerId)
                            .to(Partner::Table, Partner::Id),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvaluationRating::Table)
                    .col(
                        ColumnDef::new(EvaluationRating::ResponseId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationRating::Item)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationRating::Rating)
                            .integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(EvaluationRating::ResponseId)
                            .col(EvaluationRating::Item),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evaluation_rating_response")
                            .from(EvaluationRating::Table, EvaluationRating::ResponseId)
                            .to(EvaluationResponse::Table, EvaluationResponse::Id),
                    )
                    .check(Check::named(
                        "ck_evaluation_rating_range",
                        Expr::cust("rating BETWEEN 1 AND 5"),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvaluationFollowUp::Table)
                    .col(
                        ColumnDef::new(EvaluationFollowUp::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EvaluationFollowUp::EnrollmentId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationFollowUp::IterationId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationFollowUp::PartnerId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationFollowUp::Applied)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(EvaluationFollowUp::Note).text())
                    .col(
                        ColumnDef::new(EvaluationFollowUp::RecordedOn)
                            .date()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EvaluationFollowUp::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evaluation_follow_up_enrollment")
                            .from(EvaluationFollowUp::Table, EvaluationFollowUp::EnrollmentId)
                            .to(Enrollment::Table, Enrollment::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evaluation_follow_up_iteration")
                            .from(EvaluationFollowUp::Table, EvaluationFollowUp::IterationId)
                            .to(CourseIteration::Table, CourseIteration::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evaluation_follow_up_partner")
                            .from(EvaluationFollowUp::Table, EvaluationFollowUp::PartnerId)
                            .to(Partner::Table, Partner::Id),
                    )
                    .check(Check::named(
                        "ck_evaluation_follow_up_applied",
                        Expr::cust("applied IN ('YES','PARTLY','NO')"),
                    ))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            // One response and one follow-up per enrollment, also under concurrent requests.
            "CREATE UNIQUE INDEX ux_evaluation_response_enrollment ON evaluation_response (enrollment_id)",
            "CREATE UNIQUE INDEX ux_evaluation_follow_up_enrollment ON evaluation_follow_up (enrollment_id)",
            // Reports group by iteration (course, topic, organiser) and by partner (cycle).
            "CREATE INDEX ix_evaluation_response_iteration ON evaluation_response (iteration_id)",
            "CREATE INDEX ix_evaluation_response_partner ON evaluation_response (partner_id, iteration_id)",
            "CREATE INDEX ix_evaluation_follow_up_iteration ON evaluation_follow_up (iteration_id)",
            "CREATE INDEX ix_evaluation_follow_up_partner ON evaluation_follow_up (partner_id, iteration_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EvaluationFollowUp::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(EvaluationRating::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(EvaluationResponse::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum EvaluationResponse {
    Table,
    Id,
    EnrollmentId,
    IterationId,
    PartnerId,
    ItemSet,
    Comment,
    RespondedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EvaluationRating {
    Table,
    ResponseId,
    Item,
    Rating,
}

#[derive(DeriveIden)]
enum EvaluationFollowUp {
    Table,
    Id,
    EnrollmentId,
    IterationId,
    PartnerId,
    Applied,
    Note,
    RecordedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Enrollment {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CourseIteration {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
}
