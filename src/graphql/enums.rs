//! GraphQL enums, mapped one to one onto the stored enums of the `entity` crate.

use async_graphql::Enum;

/// A dialogue forum or programme a partner joined.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Framework")]
pub enum Framework {
    /// North Atlantic Cooperation Council (1991-1997).
    Nacc,
    /// Euro-Atlantic Partnership Council (1997-).
    Eapc,
    /// Partnership for Peace (1994-).
    Pfp,
    /// Science for Peace and Security programme.
    Sps,
    /// Individual Partnership and Cooperation Programme.
    Ipcp,
    /// Individual Partnership Action Plan.
    Ipap,
    /// Individually Tailored Partnership Programme.
    Itpp,
    /// Euro-Atlantic Disaster Response Coordination Centre.
    Eadrcc,
    /// Any other framework.
    Other,
}

/// The kind of programme document; it decides a cycle's length.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::ProgrammeKind")]
pub enum ProgrammeKind {
    /// Individual Partnership and Cooperation Programme: two years.
    Ipcp,
    /// Individual Partnership Action Plan: two years.
    Ipap,
    /// Individually Tailored Partnership Programme: length as agreed.
    Itpp,
    /// Individual Partnership Programme (1990s): three years.
    Ipp,
}

/// Where a programme cycle stands: DRAFT -> APPROVED -> ACTIVE -> CLOSED | SUPERSEDED.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::CycleStatus")]
pub enum CycleStatus {
    /// Being written; may overlap other cycles.
    Draft,
    /// Approved by the North Atlantic Council and the partner.
    Approved,
    /// The partner's current programme (at most one per partner).
    Active,
    /// Ended.
    Closed,
    /// Replaced by its activated successor.
    Superseded,
}

/// Progress of an objective.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::ObjectiveStatus")]
pub enum ObjectiveStatus {
    /// Not started.
    Planned,
    /// Progressing as planned.
    OnTrack,
    /// Behind plan.
    AtRisk,
    /// Done (not carried over on renewal).
    Achieved,
    /// Abandoned (not carried over on renewal).
    Dropped,
}

/// Subject of a course.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::CourseTopic")]
pub enum CourseTopic {
    /// Arms control, disarmament and non-proliferation.
    ArmsControl,
    /// Law of armed conflict.
    LawOfArmedConflict,
    /// Counter-terrorism.
    CounterTerrorism,
    /// Trafficking.
    Trafficking,
    /// Border security and control.
    BorderSecurity,
    /// Defence planning and budgeting.
    DefencePlanning,
    /// Medical services.
    MedicalServices,
    /// Language training.
    Languages,
    /// Civil preparedness and disaster relief.
    CivilPreparedness,
    /// Science.
    Science,
    /// Public diplomacy.
    PublicDiplomacy,
    /// Anything else.
    Other,
}

/// How a course is delivered.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Delivery")]
pub enum Delivery {
    /// In residence at the organiser's school.
    Residential,
    /// Online, at a distance.
    Distance,
    /// A mobile education and training team travels to the partner.
    MobileTeam,
}

/// Where an iteration stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::IterationStatus")]
pub enum IterationStatus {
    /// Scheduled, nominations possible.
    Planned,
    /// Open for nominations.
    Open,
    /// Nominations closed.
    Closed,
    /// Took place.
    Held,
    /// Cancelled; its live enrollments were cancelled too.
    Cancelled,
}

/// An officer's service.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Service")]
pub enum Service {
    /// Army.
    Army,
    /// Navy.
    Navy,
    /// Air force.
    AirForce,
    /// Border guard.
    BorderGuard,
    /// Civilian staff.
    Civilian,
    /// Other services.
    Other,
}

/// Lifecycle of an enrollment (DOMAIN.md invariant 6).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::EnrollmentStatus")]
pub enum EnrollmentStatus {
    /// Proposed by the partner's point of contact.
    Nominated,
    /// Holds a seat.
    Confirmed,
    /// Waiting for a seat, in FIFO order.
    Waitlisted,
    /// Refused by the course (final).
    Declined,
    /// Withdrawn by the partner (final).
    Withdrawn,
    /// Attending; holds a seat.
    Attended,
    /// Did not show up (final).
    NoShow,
    /// Completed the course (final; holds a seat).
    Completed,
    /// Failed the course (final; holds a seat).
    Failed,
    /// The iteration was cancelled (final).
    Cancelled,
}

/// Kind of a recorded cooperation activity.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::ActivityKind")]
pub enum ActivityKind {
    /// Disaster response, e.g. an answer to an EADRCC request.
    DisasterResponse,
    /// A Science for Peace and Security project.
    ScienceProject,
    /// Public diplomacy: forums, outreach.
    PublicDiplomacy,
    /// An exercise.
    Exercise,
    /// A meeting.
    Meeting,
    /// Anything else.
    Other,
}

/// What a token may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Role")]
pub enum Role {
    /// Everything, including tokens and the audit log.
    Admin,
    /// Reads (personal data included) and records programme data.
    ProgrammeOfficer,
    /// Reads programme records and reports, without personal data.
    Analyst,
    /// Reports and exports only (unattended jobs).
    Reporter,
}

/// The kind of record a change-log entry is about.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ChangeKind {
    /// A partner nation.
    Partner,
    /// A milestone of a partnership.
    PartnershipMilestone,
    /// A cooperation area.
    CooperationArea,
    /// A programme cycle.
    ProgrammeCycle,
    /// An objective of a cycle.
    Objective,
    /// A course of the catalogue.
    Course,
    /// A dated iteration of a course.
    CourseIteration,
    /// An officer (personal data: shown per the reader's role).
    Officer,
    /// An enrollment, or a batch of enrollments (`entityId` "batch").
    Enrollment,
    /// A cooperation activity.
    Activity,
    /// A level 1 course evaluation response (ratings and comment: shown per the reader's role).
    EvaluationResponse,
    /// A level 3 course evaluation follow-up (note: shown per the reader's role).
    EvaluationFollowUp,
    /// A point of contact (names, email, phone: shown per the reader's role).
    PointOfContact,
    /// A cost line.
    CostLine,
    /// A measurement of an objective's indicator.
    IndicatorMeasurement,
    /// An API token (never its secret).
    ApiToken,
    /// A calendar feed token (never its secret).
    FeedToken,
    /// A webhook endpoint (never its secret).
    WebhookEndpoint,
    /// A webhook delivery marked FAILED by the worker or sent again by an ADMIN.
    WebhookDelivery,
    /// A dataset loaded in bulk by `ipcp seed`.
    Dataset,
}

impl ChangeKind {
    /// The name the change log stores (`service::change_log::KINDS`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Partner => "partner",
            ChangeKind::PartnershipMilestone => "partnership_milestone",
            ChangeKind::CooperationArea => "cooperation_area",
            ChangeKind::ProgrammeCycle => "programme_cycle",
            ChangeKind::Objective => "objective",
            ChangeKind::Course => "course",
            ChangeKind::CourseIteration => "course_iteration",
            ChangeKind::Officer => "officer",
            ChangeKind::Enrollment => "enrollment",
            ChangeKind::Activity => "activity",
            ChangeKind::EvaluationResponse => "evaluation_response",
            ChangeKind::EvaluationFollowUp => "evaluation_follow_up",
            ChangeKind::PointOfContact => "point_of_contact",
            ChangeKind::CostLine => "cost_line",
            ChangeKind::IndicatorMeasurement => "indicator_measurement",
            ChangeKind::ApiToken => "api_token",
            ChangeKind::FeedToken => "feed_token",
            ChangeKind::WebhookEndpoint => "webhook_endpoint",
            ChangeKind::WebhookDelivery => "webhook_delivery",
            ChangeKind::Dataset => "dataset",
        }
    }

    /// The kind of a stored name.
    pub fn parse(name: &str) -> Option<ChangeKind> {
        <ChangeKind as async_graphql::resolver_utils::EnumType>::items()
            .iter()
            .map(|item| item.value)
            .find(|kind| kind.as_str() == name)
    }
}
