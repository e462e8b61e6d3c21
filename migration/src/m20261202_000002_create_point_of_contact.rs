//! Points of contact: named people with a role (course director, partner POC, NATO desk officer,
//! other) and contact channels, linked to exactly one partner, course or course iteration.
//! Personal data, guarded by the API as officers' names are.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PointOfContact::Table)
                    .col(
                        ColumnDef::new(PointOfContact::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PointOfContact::Role)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PointOfContact::FamilyName)
                            .string_len(120)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PointOfContact::GivenName)
                            .string_len(120)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PointOfContact::Organisation).string_len(300))
                    .col(ColumnDef::new(PointOfContact::Email).string_len(254))
                    .col(ColumnDef::new(PointOfContact::Phone).string_len(16))
                    .col(ColumnDef::new(PointOfContact::PartnerId).integer())
                    .col(ColumnDef::new(PointOfContact::CourseId).integer())
                    .col(ColumnDef::new(PointOfContact::IterationId).integer())
                    .col(ColumnDef::new(PointOfContact::Version).integer().not_null())
                    .col(
                        ColumnDef::new(PointOfContact::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PointOfContact::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_point_of_contact_partner")
                            .from(PointOfContact::Table, PointOfContact::PartnerId)
                            .to(Partner::Table, Partner::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_point_of_contact_course")
                            .from(PointOfContact::Table, PointOfContact::CourseId)
                            .to(Course::Table, Course::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_point_of_contact_iteration")
                            .from(PointOfContact::Table, PointOfContact::IterationId)
                            .to(CourseIteration::Table, CourseIteration::Id),
                    )
                    .check(Check::named(
                        "ck_point_of_contact_role",
                        Expr::cust(
                            "role IN ('COURSE_DIRECTOR','PARTNER_POC','NATO_DESK_OFFICER','OTHER')",
                        ),
                    ))
                    .check(Check::named(
                        "ck_point_of_contact_one_link",
                        Expr::cust(
                            "(CASE WHEN partner_id IS NULL THEN 0 ELSE 1 END) \
                             + (CASE WHEN course_id IS NULL THEN 0 ELSE 1 END) \
                             + (CASE WHEN iteration_id IS NULL THEN 0 ELSE 1 END) = 1",
                        ),
                    ))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX ix_point_of_contact_partner ON point_of_contact (partner_id)",
            "CREATE INDEX ix_point_of_contact_course ON point_of_contact (course_id)",
            "CREATE INDEX ix_point_of_contact_iteration ON point_of_contact (iteration_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PointOfContact::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum PointOfContact {
    Table,
    Id,
    Role,
    FamilyName,
    GivenName,
    Organisation,
    Email,
    Phone,
    PartnerId,
    CourseId,
    IterationId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Course {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CourseIteration {
    Table,
    Id,
}
