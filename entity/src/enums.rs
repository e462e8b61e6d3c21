//! Enumerations stored as short upper-case strings (the same text on SQLite and PostgreSQL,
//! guarded by CHECK constraints in the migration).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Dialogue forums and programmes a partner joins.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Framework {
    #[sea_orm(string_value = "NACC")]
    Nacc,
    #[sea_orm(string_value = "EAPC")]
    Eapc,
    #[sea_orm(string_value = "PFP")]
    Pfp,
    #[sea_orm(string_value = "SPS")]
    Sps,
    #[sea_orm(string_value = "IPCP")]
    Ipcp,
    #[sea_orm(string_value = "IPAP")]
    Ipap,
    #[sea_orm(string_value = "ITPP")]
    Itpp,
    #[sea_orm(string_value = "EADRCC")]
    Eadrcc,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// The kind of programme document a cycle implements.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProgrammeKind {
    #[sea_orm(string_value = "IPCP")]
    Ipcp,
    #[sea_orm(string_value = "IPAP")]
    Ipap,
    #[sea_orm(string_value = "ITPP")]
    Itpp,
    #[sea_orm(string_value = "IPP")]
    Ipp,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CycleStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "SUPERSEDED")]
    Superseded,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ObjectiveStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "ON_TRACK")]
    OnTrack,
    #[sea_orm(string_value = "AT_RISK")]
    AtRisk,
    #[sea_orm(string_value = "ACHIEVED")]
    Achieved,
    #[sea_orm(string_value = "DROPPED")]
    Dropped,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CourseTopic {
    #[sea_orm(string_value = "ARMS_CONTROL")]
    ArmsControl,
    #[sea_orm(string_value = "LAW_OF_ARMED_CONFLICT")]
    LawOfArmedConflict,
    #[sea_orm(string_value = "COUNTER_TERRORISM")]
    CounterTerrorism,
    #[sea_orm(string_value = "TRAFFICKING")]
    Trafficking,
    #[sea_orm(string_value = "BORDER_SECURITY")]
    BorderSecurity,
    #[sea_orm(string_value = "DEFENCE_PLANNING")]
    DefencePlanning,
    #[sea_orm(string_value = "MEDICAL_SERVICES")]
    MedicalServices,
    #[sea_orm(string_value = "LANGUAGES")]
    Languages,
    #[sea_orm(string_value = "CIVIL_PREPAREDNESS")]
    CivilPreparedness,
    #[sea_orm(string_value = "SCIENCE")]
    Science,
    #[sea_orm(string_value = "PUBLIC_DIPLOMACY")]
    PublicDiplomacy,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Delivery {
    #[sea_orm(string_value = "RESIDENTIAL")]
    Residential,
    #[sea_orm(string_value = "DISTANCE")]
    Distance,
    #[sea_orm(string_value = "MOBILE_TEAM")]
    MobileTeam,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum IterationStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "HELD")]
    Held,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Service {
    #[sea_orm(string_value = "ARMY")]
    Army,
    #[sea_orm(string_value = "NAVY")]
    Navy,
    #[sea_orm(string_value = "AIR_FORCE")]
    AirForce,
    #[sea_orm(string_value = "BORDER_GUARD")]
    BorderGuard,
    #[sea_orm(string_value = "CIVILIAN")]
    Civilian,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EnrollmentStatus {
    #[sea_orm(string_value = "NOMINATED")]
    Nominated,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "WAITLISTED")]
    Waitlisted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
    #[sea_orm(string_value = "ATTENDED")]
    Attended,
    #[sea_orm(string_value = "NO_SHOW")]
    NoShow,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl EnrollmentStatus {
    /// The statuses in which an enrollment holds a seat of its iteration (DOMAIN.md invariant 4).
    pub const SEAT_HOLDING: [EnrollmentStatus; 4] = [
        EnrollmentStatus::Confirmed,
        EnrollmentStatus::Attended,
        EnrollmentStatus::Completed,
        EnrollmentStatus::Failed,
    ];
    /// The statuses that are not final: cancelling the iteration cancels them.
    pub const LIVE: [EnrollmentStatus; 4] = [
        EnrollmentStatus::Nominated,
        EnrollmentStatus::Waitlisted,
        EnrollmentStatus::Confirmed,
        EnrollmentStatus::Attended,
    ];
    /// Every status in lifecycle order (the order of a report's funnel).
    pub const LIFECYCLE: [EnrollmentStatus; 10] = [
        EnrollmentStatus::Nominated,
        EnrollmentStatus::Waitlisted,
        EnrollmentStatus::Declined,
        EnrollmentStatus::Confirmed,
        EnrollmentStatus::Withdrawn,
        EnrollmentStatus::Attended,
        EnrollmentStatus::NoShow,
        EnrollmentStatus::Completed,
        EnrollmentStatus::Failed,
        EnrollmentStatus::Cancelled,
    ];
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ActivityKind {
    #[sea_orm(string_value = "DISASTER_RESPONSE")]
    DisasterResponse,
    #[sea_orm(string_value = "SCIENCE_PROJECT")]
    ScienceProject,
    #[sea_orm(string_value = "PUBLIC_DIPLOMACY")]
    PublicDiplomacy,
    #[sea_orm(string_value = "EXERCISE")]
    Exercise,
    #[sea_orm(string_value = "MEETING")]
    Meeting,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// What a caller may do (DOMAIN.md "Who uses it").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Role {
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "PROGRAMME_OFFICER")]
    ProgrammeOfficer,
    #[sea_orm(string_value = "ANALYST")]
    Analyst,
    #[sea_orm(string_value = "REPORTER")]
    Reporter,
}

/// Level 3 of course evaluation: whether the officer applies what the course taught, back at work.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AppliedAtWork {
    #[sea_orm(string_value = "YES")]
    Yes,
    #[sea_orm(string_value = "PARTLY")]
    Partly,
    #[sea_orm(string_value = "NO")]
    No,
}

/// What a point of contact is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ContactRole {
    #[sea_orm(string_value = "COURSE_DIRECTOR")]
    CourseDirector,
    #[sea_orm(string_value = "PARTNER_POC")]
    PartnerPoc,
    #[sea_orm(string_value = "NATO_DESK_OFFICER")]
    NatoDeskOfficer,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// What a cost line pays for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CostCategory {
    #[sea_orm(string_value = "TUITION")]
    Tuition,
    #[sea_orm(string_value = "TRAVEL")]
    Travel,
    #[sea_orm(string_value = "ACCOMMODATION")]
    Accommodation,
    #[sea_orm(string_value = "SUBSISTENCE")]
    Subsistence,
    #[sea_orm(string_value = "EQUIPMENT")]
    Equipment,
    #[sea_orm(string_value = "GRANT")]
    Grant,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Whether a cost line is a plan or what was spent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum CostStage {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "ACTUAL")]
    Actual,
}

/// Who pays a cost line.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum FundingSource {
    #[sea_orm(string_value = "NATO_COMMON_FUNDING")]
    NatoCommonFunding,
    #[sea_orm(string_value = "TRUST_FUND")]
    TrustFund,
    #[sea_orm(string_value = "SPS_GRANT")]
    SpsGrant,
    #[sea_orm(string_value = "PARTNER")]
    Partner,
    #[sea_orm(string_value = "ALLIED_NATION")]
    AlliedNation,
}
