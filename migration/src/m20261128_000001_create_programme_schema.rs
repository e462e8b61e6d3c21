//! The whole IPCP schema: reference data, programme cycles and objectives, the course catalogue,
//! iterations, officers, enrollments, activities and the audit log.
//!
//! Every rule the database can hold is declared here, named so the service can map a violation to a
//! domain error: CHECKs (date order, capacity, SLP digits, enum values), foreign keys (declared inside
//! `create_table`, since SQLite cannot add them later), unique keys, partial unique indexes (one ACTIVE
//! cycle per partner, one live enrollment per officer and iteration) and, on PostgreSQL, the exclusion
//! constraint that keeps a partner's non-draft cycles from overlapping.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FRAMEWORKS: &str = "'NACC','EAPC','PFP','SPS','IPCP','IPAP','ITPP','EADRCC','OTHER'";
const KINDS: &str = "'IPCP','IPAP','ITPP','IPP'";
const CYCLE_STATUSES: &str = "'DRAFT','APPROVED','ACTIVE','CLOSED','SUPERSEDED'";
const OBJECTIVE_STATUSES: &str = "'PLANNED','ON_TRACK','AT_RISK','ACHIEVED','DROPPED'";
const TOPICS: &str = "'ARMS_CONTROL','LAW_OF_ARMED_CONFLICT','COUNTER_TERRORISM','TRAFFICKING','BORDER_SECURITY','DEFENCE_PLANNING','MEDICAL_SERVICES','LANGUAGES','CIVIL_PREPAREDNESS','SCIENCE','PUBLIC_DIPLOMACY','OTHER'";
const DELIVERIES: &str = "'RESIDENTIAL','DISTANCE','MOBILE_TEAM'";
const ITERATION_STATUSES: &str = "'PLANNED','OPEN','CLOSED','HELD','CANCELLED'";
const SERVICES: &str = "'ARMY','NAVY','AIR_FORCE','BORDER_GUARD','CIVILIAN','OTHER'";
const ENROLLMENT_STATUSES: &str = "'NOMINATED','CONFIRMED','WAITLISTED','DECLINED','WITHDRAWN','ATTENDED','NO_SHOW','COMPLETED','FAILED','CANCELLED'";
const ACTIVITY_KINDS: &str =
    "'DISASTER_RESPONSE','SCIENCE_PROJECT','PUBLIC_DIPLOMACY','EXERCISE','MEETING','OTHER'";

fn one_of(name: &'static str, column: &str, values: &str) -> Check {
    Check::named(name, Expr::cust(format!("{column} IN ({values})")))
}

fn check(name: &'static str, sql: &str) -> Check {
    Check::named(name, Expr::cust(sql.to_owned()))
}

/// STANAG 6001 profile: four levels 0-5 (listening, speaking, reading, writing), each may carry a `+`.
fn slp_check(backend: DatabaseBackend, name: &'static str, column: &str) -> Check {
    let sql = match backend {
        DatabaseBackend::Postgres => format!("{column} IS NULL OR {column} ~ '^([0-5]\\+?){{4}}$'"),
        _ => format!(
            "{column} IS NULL OR (length(replace({column}, '+', '')) = 4 AND {column} NOT GLOB '*[^0-5+]*' \
             AND {column} NOT GLOB '+*' AND {column} NOT GLOB '*++*')"
        ),
    };
    Check::named(name, Expr::cust(sql))
}

fn id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

fn fk<T: IntoIden, C: IntoIden, R: IntoIden, RC: IntoIden>(
    name: &str,
    table: T,
    col: C,
    ref_table: R,
    ref_col: RC,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(ref_table, ref_col)
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

fn timestamps(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(
        ColumnDef::new(Alias::new("version"))
            .integer()
            .not_null()
            .default(1),
    )
    .col(
        ColumnDef::new(Alias::new("created_at"))
            .timestamp_with_time_zone()
            .not_null(),
    )
    .col(
        ColumnDef::new(Alias::new("updated_at"))
            .timestamp_with_time_zone()
            .not_null(),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Partner::Table)
                        .col(id(Partner::Id))
                        .col(
                            ColumnDef::new(Partner::Code)
                                .string_len(3)
                                .not_null()
                                .unique_key(),
                        )
                        .col(ColumnDef::new(Partner::Name).string().not_null())
                        .col(ColumnDef::new(Partner::Notes).text())
                        .check(check(
                            "ck_partner_code",
                            "length(code) = 3 AND upper(code) = code",
                        ))
                        .check(check("ck_partner_name", "length(name) > 0")),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(PartnershipMilestone::Table)
                        .col(id(PartnershipMilestone::Id))
                        .col(
                            ColumnDef::new(PartnershipMilestone::PartnerId)
                                .integer()
                                .not_null(),
                        )
                        .col(
                            ColumnDef::new(PartnershipMilestone::Framework)
                                .string_len(16)
                                .not_null(),
                        )
                        .col(
                            ColumnDef::new(PartnershipMilestone::OccurredOn)
                                .date()
                                .not_null(),
                        )
                        .col(
                            ColumnDef::new(PartnershipMilestone::Description)
                                .text()
                                .not_null(),
                        )
                        .check(one_of("ck_milestone_framework", "framework", FRAMEWORKS))
                        .foreign_key(&mut fk(
                            "fk_milestone_partner",
                            PartnershipMilestone::Table,
                            PartnershipMilestone::PartnerId,
                            Partner::Table,
                            Partner::Id,
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(CooperationArea::Table)
                        .col(id(CooperationArea::Id))
                        .col(
                            ColumnDef::new(CooperationArea::Code)
                                .string_len(32)
                                .not_null()
                                .unique_key(),
                        )
                        .col(ColumnDef::new(CooperationArea::Name).string().not_null())
                        .col(
                            ColumnDef::new(CooperationArea::Description)
                                .text()
                                .not_null(),
                        )
                        .check(check(
                            "ck_area_code",
                            "length(code) > 0 AND upper(code) = code",
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(ProgrammeCycle::Table)
                        .col(id(ProgrammeCycle::Id))
                        .col(ColumnDef::new(ProgrammeCycle::PartnerId).integer().not_null())
                        .col(ColumnDef::new(ProgrammeCycle::Kind).string_len(16).not_null())
                        .col(ColumnDef::new(ProgrammeCycle::StartDate).date().not_null())
                        .col(ColumnDef::new(ProgrammeCycle::EndDate).date().not_null())
                        .col(ColumnDef::new(ProgrammeCycle::Status).string_len(16).not_null())
                        .col(ColumnDef::new(ProgrammeCycle::NacApprovedOn).date())
                        .col(ColumnDef::new(ProgrammeCycle::PartnerApprovedOn).date())
                        .col(ColumnDef::new(ProgrammeCycle::RenewsCycleId).integer().unique_key())
                        .check(one_of("ck_cycle_kind", "kind", KINDS))
                        .check(one_of("ck_cycle_status", "status", CYCLE_STATUSES))
                        .check(check("ck_cycle_dates", "start_date <= end_date"))
                        .check(check(
                            "ck_cycle_approval",
                            "status = 'DRAFT' OR (nac_approved_on IS NOT NULL AND partner_approved_on IS NOT NULL)",
                        ))
                        .foreign_key(&mut fk(
                            "fk_cycle_partner",
                            ProgrammeCycle::Table,
                            ProgrammeCycle::PartnerId,
                            Partner::Table,
                            Partner::Id,
                        ))
                        .foreign_key(&mut fk(
                            "fk_cycle_renews",
                            ProgrammeCycle::Table,
                            ProgrammeCycle::RenewsCycleId,
                            ProgrammeCycle::Table,
                            ProgrammeCycle::Id,
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Objective::Table)
                        .col(id(Objective::Id))
                        .col(ColumnDef::new(Objective::CycleId).integer().not_null())
                        .col(ColumnDef::new(Objective::AreaId).integer().not_null())
                        .col(ColumnDef::new(Objective::Title).string().not_null())
                        .col(ColumnDef::new(Objective::Indicator).text().not_null())
                        .col(ColumnDef::new(Objective::Baseline).text())
                        .col(ColumnDef::new(Objective::Target).double())
                        .col(ColumnDef::new(Objective::Status).string_len(16).not_null())
                        .col(ColumnDef::new(Objective::CarriedOverFromId).integer())
                        .check(one_of("ck_objective_status", "status", OBJECTIVE_STATUSES))
                        .check(check(
                            "ck_objective_target",
                            "target IS NULL OR target >= 0",
                        ))
                        .foreign_key(&mut fk(
                            "fk_objective_cycle",
                            Objective::Table,
                            Objective::CycleId,
                            ProgrammeCycle::Table,
                            ProgrammeCycle::Id,
                        ))
                        .foreign_key(&mut fk(
                            "fk_objective_area",
                            Objective::Table,
                            Objective::AreaId,
                            CooperationArea::Table,
                            CooperationArea::Id,
                        ))
                        .foreign_key(&mut fk(
                            "fk_objective_carried_over",
                            Objective::Table,
                            Objective::CarriedOverFromId,
                            Objective::Table,
                            Objective::Id,
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Course::Table)
                        .col(id(Course::Id))
                        .col(
                            ColumnDef::new(Course::Code)
                                .string_len(32)
                                .not_null()
                                .unique_key(),
                        )
                        .col(ColumnDef::new(Course::Title).string().not_null())
                        .col(ColumnDef::new(Course::Topic).string_len(32).not_null())
                        .col(ColumnDef::new(Course::Organiser).string().not_null())
                        .col(ColumnDef::new(Course::Delivery).string_len(16).not_null())
                        .col(ColumnDef::new(Course::DurationDays).integer().not_null())
                        .col(ColumnDef::new(Course::MinSlp).string_len(8))
                        .check(one_of("ck_course_topic", "topic", TOPICS))
                        .check(one_of("ck_course_delivery", "delivery", DELIVERIES))
                        .check(check("ck_course_duration", "duration_days > 0"))
                        .check(slp_check(backend, "ck_course_min_slp", "min_slp")),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(CourseIteration::Table)
                        .col(id(CourseIteration::Id))
                        .col(
                            ColumnDef::new(CourseIteration::CourseId)
                                .integer()
                                .not_null(),
                        )
                        .col(ColumnDef::new(CourseIteration::StartDate).date().not_null())
                        .col(ColumnDef::new(CourseIteration::EndDate).date().not_null())
                        .col(
                            ColumnDef::new(CourseIteration::Location)
                                .string()
                                .not_null(),
                        )
                        .col(
                            ColumnDef::new(CourseIteration::Capacity)
                                .integer()
                                .not_null(),
                        )
                        .col(ColumnDef::new(CourseIteration::PartnerQuota).integer())
                        .col(
                            ColumnDef::new(CourseIteration::SeatsHeld)
                                .integer()
                                .not_null()
                                .default(0),
                        )
                        .col(
                            ColumnDef::new(CourseIteration::Status)
                                .string_len(16)
                                .not_null(),
                        )
                        .check(one_of("ck_iteration_status", "status", ITERATION_STATUSES))
                        .check(check("ck_iteration_dates", "start_date <= end_date"))
                        .check(check("ck_iteration_capacity", "capacity >= 0"))
                        .check(check(
                            "ck_iteration_quota",
                            "partner_quota IS NULL OR partner_quota >= 0",
                        ))
                        .check(check(
                            "ck_iteration_seats",
                            "seats_held >= 0 AND seats_held <= capacity",
                        ))
                        .foreign_key(&mut fk(
                            "fk_iteration_course",
                            CourseIteration::Table,
                            CourseIteration::CourseId,
                            Course::Table,
                            Course::Id,
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IterationObjective::Table)
                    .col(
                        ColumnDef::new(IterationObjective::IterationId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IterationObjective::ObjectiveId)
                            .integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(IterationObjective::IterationId)
                            .col(IterationObjective::ObjectiveId),
                    )
                    .foreign_key(&mut fk(
                        "fk_iteration_objective_iteration",
                        IterationObjective::Table,
                        IterationObjective::IterationId,
                        CourseIteration::Table,
                        CourseIteration::Id,
                    ))
                    .foreign_key(&mut fk(
                        "fk_iteration_objective_objective",
                        IterationObjective::Table,
                        IterationObjective::ObjectiveId,
                        Objective::Table,
                        Objective::Id,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Officer::Table)
                        .col(id(Officer::Id))
                        .col(ColumnDef::new(Officer::PartnerId).integer().not_null())
                        .col(ColumnDef::new(Officer::FamilyName).string().not_null())
                        .col(ColumnDef::new(Officer::GivenName).string().not_null())
                        .col(ColumnDef::new(Officer::Rank).string().not_null())
                        .col(ColumnDef::new(Officer::Service).string_len(16).not_null())
                        .col(ColumnDef::new(Officer::Position).string())
                        .col(ColumnDef::new(Officer::Slp).string_len(8))
                        .check(one_of("ck_officer_service", "service", SERVICES))
                        .check(slp_check(backend, "ck_officer_slp", "slp"))
                        .foreign_key(&mut fk(
                            "fk_officer_partner",
                            Officer::Table,
                            Officer::PartnerId,
                            Partner::Table,
                            Partner::Id,
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Enrollment::Table)
                    .col(id(Enrollment::Id))
                    .col(ColumnDef::new(Enrollment::IterationId).integer().not_null())
                    .col(ColumnDef::new(Enrollment::OfficerId).integer().not_null())
                    .col(ColumnDef::new(Enrollment::PartnerId).integer().not_null())
                    .col(ColumnDef::new(Enrollment::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Enrollment::WaitlistPosition).integer())
                    .col(ColumnDef::new(Enrollment::NominatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Enrollment::WaitlistedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(Enrollment::ConfirmedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(Enrollment::AttendedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(Enrollment::OutcomeAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(Enrollment::EndedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(Enrollment::DecidedBy).string())
                    .col(ColumnDef::new(Enrollment::EvaluationScore).double())
                    .col(ColumnDef::new(Alias::new("version")).integer().not_null().default(1))
                    .col(ColumnDef::new(Alias::new("updated_at")).timestamp_with_time_zone().not_null())
                    .check(one_of("ck_enrollment_status", "status", ENROLLMENT_STATUSES))
                    .check(check(
                        "ck_enrollment_waitlist",
                        "(status = 'WAITLISTED') = (waitlist_position IS NOT NULL)",
                    ))
                    .check(check(
                        "ck_enrollment_score",
                        "evaluation_score IS NULL OR (evaluation_score >= 0 AND evaluation_score <= 100)",
                    ))
                    .foreign_key(&mut fk(
                        "fk_enrollment_iteration",
                        Enrollment::Table,
                        Enrollment::IterationId,
                        CourseIteration::Table,
                        CourseIteration::Id,
                    ))
                    .foreign_key(&mut fk(
                        "fk_enrollment_officer",
                        Enrollment::Table,
                        Enrollment::OfficerId,
                        Officer::Table,
                        Officer::Id,
                    ))
                    .foreign_key(&mut fk(
                        "fk_enrollment_partner",
                        Enrollment::Table,
                        Enrollment::PartnerId,
                        Partner::Table,
                        Partner::Id,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Activity::Table)
                        .col(id(Activity::Id))
                        .col(ColumnDef::new(Activity::CycleId).integer().not_null())
                        .col(ColumnDef::new(Activity::AreaId).integer().not_null())
                        .col(ColumnDef::new(Activity::ObjectiveId).integer())
                        .col(ColumnDef::new(Activity::Kind).string_len(24).not_null())
                        .col(ColumnDef::new(Activity::Title).string().not_null())
                        .col(ColumnDef::new(Activity::Description).text().not_null())
                        .col(ColumnDef::new(Activity::StartDate).date().not_null())
                        .col(ColumnDef::new(Activity::EndDate).date().not_null())
                        .col(ColumnDef::new(Activity::Outcome).text())
                        .check(one_of("ck_activity_kind", "kind", ACTIVITY_KINDS))
                        .check(check("ck_activity_dates", "start_date <= end_date"))
                        .foreign_key(&mut fk(
                            "fk_activity_cycle",
                            Activity::Table,
                            Activity::CycleId,
                            ProgrammeCycle::Table,
                            ProgrammeCycle::Id,
                        ))
                        .foreign_key(&mut fk(
                            "fk_activity_area",
                            Activity::Table,
                            Activity::AreaId,
                            CooperationArea::Table,
                            CooperationArea::Id,
                        ))
                        .foreign_key(&mut fk(
                            "fk_activity_objective",
                            Activity::Table,
                            Activity::ObjectiveId,
                            Objective::Table,
                            Objective::Id,
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(id(AuditEvent::Id))
                    .col(ColumnDef::new(AuditEvent::Actor).string().not_null())
                    .col(ColumnDef::new(AuditEvent::Action).string().not_null())
                    .col(ColumnDef::new(AuditEvent::Entity).string().not_null())
                    .col(ColumnDef::new(AuditEvent::EntityId).string().not_null())
                    .col(ColumnDef::new(AuditEvent::Before).text())
                    .col(ColumnDef::new(AuditEvent::After).text())
                    .col(ColumnDef::new(AuditEvent::RequestId).string())
                    .col(
                        ColumnDef::new(AuditEvent::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .take(),
            )
            .await?;

        // Indexes on foreign keys and the keys dashboards filter by; partial unique indexes for the
        // invariants a plain unique key cannot express (same syntax on SQLite and PostgreSQL).
        for sql in [
            "CREATE INDEX ix_milestone_partner ON partnership_milestone (partner_id, occurred_on)",
            "CREATE INDEX ix_cycle_partner ON programme_cycle (partner_id, start_date)",
            "CREATE UNIQUE INDEX ux_cycle_one_active ON programme_cycle (partner_id) WHERE status = 'ACTIVE'",
            "CREATE INDEX ix_objective_cycle ON objective (cycle_id)",
            "CREATE INDEX ix_objective_area ON objective (area_id)",
            "CREATE INDEX ix_iteration_course ON course_iteration (course_id, start_date)",
            "CREATE INDEX ix_iteration_start ON course_iteration (start_date)",
            "CREATE INDEX ix_iteration_objective_objective ON iteration_objective (objective_id)",
            "CREATE INDEX ix_officer_partner ON officer (partner_id)",
            "CREATE INDEX ix_enrollment_iteration ON enrollment (iteration_id, status)",
            "CREATE INDEX ix_enrollment_officer ON enrollment (officer_id)",
            "CREATE INDEX ix_enrollment_partner ON enrollment (partner_id)",
            "CREATE UNIQUE INDEX ux_enrollment_live ON enrollment (officer_id, iteration_id) \
             WHERE status NOT IN ('DECLINED','WITHDRAWN','CANCELLED')",
            "CREATE UNIQUE INDEX ux_enrollment_waitlist ON enrollment (iteration_id, waitlist_position) \
             WHERE waitlist_position IS NOT NULL",
            "CREATE INDEX ix_activity_cycle ON activity (cycle_id, start_date)",
            "CREATE INDEX ix_activity_area ON activity (area_id)",
            "CREATE INDEX ix_audit_entity ON audit_event (entity, entity_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }

        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS btree_gist")
                .await?;
            db.execute_unprepared(
                "ALTER TABLE programme_cycle ADD CONSTRAINT ex_cycle_no_overlap EXCLUDE USING gist \
                 (partner_id WITH =, daterange(start_date, end_date, '[]') WITH &&) WHERE (status <> 'DRAFT')",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvent::Table.into_iden(),
            Activity::Table.into_iden(),
            Enrollment::Table.into_iden(),
            Officer::Table.into_iden(),
            IterationObjective::Table.into_iden(),
            CourseIteration::Table.into_iden(),
            Course::Table.into_iden(),
            Objective::Table.into_iden(),
            ProgrammeCycle::Table.into_iden(),
            CooperationArea::Table.into_iden(),
            PartnershipMilestone::Table.into_iden(),
            Partner::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
    Code,
    Name,
    Notes,
}

#[derive(DeriveIden)]
enum PartnershipMilestone {
    Table,
    Id,
    PartnerId,
    Framework,
    OccurredOn,
    Description,
}

#[derive(DeriveIden)]
enum CooperationArea {
    Table,
    Id,
    Code,
    Name,
    Description,
}

#[derive(DeriveIden)]
enum ProgrammeCycle {
    Table,
    Id,
    PartnerId,
    Kind,
    StartDate,
    EndDate,
    Status,
    NacApprovedOn,
    PartnerApprovedOn,
    RenewsCycleId,
}

#[derive(DeriveIden)]
enum Objective {
    Table,
    Id,
    CycleId,
    AreaId,
    Title,
    Indicator,
    Baseline,
    Target,
    Status,
    CarriedOverFromId,
}

#[derive(DeriveIden)]
enum Course {
    Table,
    Id,
    Code,
    Title,
    Topic,
    Organiser,
    Delivery,
    DurationDays,
    MinSlp,
}

#[derive(DeriveIden)]
enum CourseIteration {
    Table,
    Id,
    CourseId,
    StartDate,
    EndDate,
    Location,
    Capacity,
    PartnerQuota,
    SeatsHeld,
    Status,
}

#[derive(DeriveIden)]
enum IterationObjective {
    Table,
    IterationId,
    ObjectiveId,
}

#[derive(DeriveIden)]
enum Officer {
    Table,
    Id,
    PartnerId,
    FamilyName,
    GivenName,
    Rank,
    Service,
    Position,
    Slp,
}

#[derive(DeriveIden)]
enum Enrollment {
    Table,
    Id,
    IterationId,
    OfficerId,
    PartnerId,
    Status,
    WaitlistPosition,
    NominatedAt,
    WaitlistedAt,
    ConfirmedAt,
    AttendedAt,
    OutcomeAt,
    EndedAt,
    DecidedBy,
    EvaluationScore,
}

#[derive(DeriveIden)]
enum Activity {
    Table,
    Id,
    CycleId,
    AreaId,
    ObjectiveId,
    Kind,
    Title,
    Description,
    StartDate,
    EndDate,
    Outcome,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    Actor,
    Action,
    Entity,
    EntityId,
    Before,
    After,
    RequestId,
    OccurredAt,
}
