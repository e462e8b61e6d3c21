//! Reports for dashboards and reporting jobs: aggregates computed by the database (see
//! `service::report` for what each figure counts). Every field needs `Access::Report` (REPORTER,
//! ANALYST, PROGRAMME_OFFICER, ADMIN) and takes a `lang` for labels (English or French).

use async_graphql::{Context, Enum, Object, SimpleObject, ID};

use super::{auth::Allow, db, parse_id, scalars::Date};
use crate::{
    error::Result,
    service::{self, auth::Access, report as r},
};

/// An official NATO language: labels of reports come in either.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::service::lang::Language")]
pub enum Language {
    /// English.
    En,
    /// French (français).
    Fr,
}

/// The cycle a report is about.
#[derive(SimpleObject)]
pub struct ReportCycle {
    /// The cycle's id.
    pub id: ID,
    /// The partner's ISO 3166 alpha-3 code.
    pub partner_code: String,
    /// The partner's name.
    pub partner_name: String,
    /// Programme kind code (IPCP, IPAP, ITPP, IPP).
    pub kind: String,
    /// Programme kind in the requested language.
    pub kind_label: String,
    /// Status code (DRAFT, APPROVED, ACTIVE, CLOSED, SUPERSEDED).
    pub status: String,
    /// Status in the requested language.
    pub status_label: String,
    /// First day (inclusive).
    pub start_date: Date,
    /// Last day (inclusive).
    pub end_date: Date,
}

impl From<r::CycleInfo> for ReportCycle {
    fn from(c: r::CycleInfo) -> Self {
        ReportCycle {
            id: ID(c.id.to_string()),
            partner_code: c.partner_code,
            partner_name: c.partner_name,
            kind: c.kind,
            kind_label: c.kind_label,
            status: c.status,
            status_label: c.status_label,
            start_date: c.start_date.into(),
            end_date: c.end_date.into(),
        }
    }
}

/// Number of objectives of one status in one cooperation area.
#[derive(SimpleObject)]
pub struct ObjectiveStatusCount {
    /// Area code.
    pub area_code: String,
    /// Area name in the requested language.
    pub area_name: String,
    /// Objective status code.
    pub status: String,
    /// Status in the requested language.
    pub status_label: String,
    /// Number of objectives.
    pub count: i64,
}

/// An objective's indicator: actual vs target.
#[derive(SimpleObject)]
pub struct ObjectiveIndicator {
    /// The objective.
    pub objective_id: ID,
    /// Its title.
    pub title: String,
    /// Area code.
    pub area_code: String,
    /// Area name in the requested language.
    pub area_name: String,
    /// Objective status code.
    pub status: String,
    /// Status in the requested language.
    pub status_label: String,
    /// The numeric target, if one was set.
    pub target: Option<f64>,
    /// Distinct officers of the partner who COMPLETED an iteration serving the objective, the
    /// iteration lying within the cycle's dates.
    pub actual: i64,
}

/// Iterations and seats of one course topic in a cycle.
#[derive(SimpleObject)]
pub struct TopicFigures {
    /// Topic code.
    pub topic: String,
    /// Topic in the requested language.
    pub topic_label: String,
    /// Iterations within the cycle's dates in which the partner has at least one enrollment (any
    /// status) or that serve one of the cycle's objectives.
    pub iterations: i64,
    /// Of those, iterations with status HELD.
    pub held_iterations: i64,
    /// Seats held (all partners: CONFIRMED, ATTENDED, COMPLETED, FAILED) in the held iterations.
    pub seats_held: i64,
    /// Seat capacity of the held iterations.
    pub capacity: i64,
    /// Fill rate = seatsHeld / capacity, over the held iterations only (0 when none was held).
    pub fill_rate: f64,
    /// Seats the cycle's partner holds in the counted iterations (any iteration status).
    pub partner_seats_held: i64,
}

/// A count under a code and its label.
#[derive(SimpleObject)]
pub struct LabelledCount {
    /// Code (topic, service, rank as recorded, enrollment status).
    pub code: String,
    /// Label in the requested language.
    pub label: String,
    /// The count.
    pub count: i64,
}

/// Number of activities recorded in one area.
#[derive(SimpleObject)]
pub struct AreaCount {
    /// Area code.
    pub area_code: String,
    /// Area name in the requested language.
    pub area_name: String,
    /// Number of activities.
    pub count: i64,
}

/// The figures of one cycle. The cycle counts the enrollments of its partner in iterations whose
/// dates lie within the cycle's dates, its objectives and the activities recorded in it.
#[derive(SimpleObject)]
pub struct CycleFigures {
    /// Objectives per area and status.
    pub objectives_by_status: Vec<ObjectiveStatusCount>,
    /// Each objective's indicator, actual vs target.
    pub objective_indicators: Vec<ObjectiveIndicator>,
    /// Iterations, seats and fill rate per course topic.
    pub topics: Vec<TopicFigures>,
    /// Officers trained: distinct officers with at least one COMPLETED enrollment.
    pub officers_trained: i64,
    /// Officers trained per course topic (an officer counts once per topic).
    pub officers_trained_by_topic: Vec<LabelledCount>,
    /// Officers trained per service.
    pub officers_trained_by_service: Vec<LabelledCount>,
    /// Officers trained per rank.
    pub officers_trained_by_rank: Vec<LabelledCount>,
    /// Enrollments per status, every status listed (zeros included), in lifecycle order.
    pub funnel: Vec<LabelledCount>,
    /// Enrollments holding a seat: CONFIRMED, ATTENDED, COMPLETED, FAILED.
    pub seats_held: i64,
    /// COMPLETED enrollments.
    pub completed: i64,
    /// NO_SHOW enrollments.
    pub no_show: i64,
    /// WITHDRAWN enrollments that had been confirmed.
    pub withdrawn_after_confirmation: i64,
    /// Confirmed places = seatsHeld + noShow + withdrawnAfterConfirmation (cancelled excluded): the
    /// denominator of the three rates.
    pub confirmed_places: i64,
    /// Completion rate = completed / confirmedPlaces (0 when there is none).
    pub completion_rate: f64,
    /// No-show rate = noShow / confirmedPlaces (0 when there is none).
    pub no_show_rate: f64,
    /// Withdrawal rate = withdrawnAfterConfirmation / confirmedPlaces (0 when there is none).
    pub withdrawal_rate: f64,
    /// Activities per cooperation area.
    pub activities_by_area: Vec<AreaCount>,
}

fn counts(list: Vec<r::LabelledCount>) -> Vec<LabelledCount> {
    list.into_iter()
        .map(|c| LabelledCount {
            code: c.code,
            label: c.label,
            count: c.count,
        })
        .collect()
}

impl From<r::CycleFigures> for CycleFigures {
    fn from(f: r::CycleFigures) -> Self {
        CycleFigures {
            objectives_by_status: f
                .objectives_by_status
                .into_iter()
                .map(|o| ObjectiveStatusCount {
                    area_code: o.area_code,
                    area_name: o.area_name,
                    status: o.status,
                    status_label: o.status_label,
                    count: o.count,
                })
                .collect(),
            objective_indicators: f
                .objective_indicators
                .into_iter()
                .map(|o| ObjectiveIndicator {
                    objective_id: ID(o.objective_id.to_string()),
                    title: o.title,
                    area_code: o.area_code,
                    area_name: o.area_name,
                    status: o.status,
                    status_label: o.status_label,
                    target: o.target,
                    actual: o.actual,
                })
                .collect(),
            topics: f
                .topics
                .into_iter()
                .map(|t| TopicFigures {
                    topic: t.topic,
                    topic_label: t.topic_label,
                    iterations: t.iterations,
                    held_iterations: t.held_iterations,
                    seats_held: t.seats_held,
                    capacity: t.capacity,
                    fill_rate: t.fill_rate,
                    partner_seats_held: t.partner_seats_held,
                })
                .collect(),
            officers_trained: f.officers_trained,
            officers_trained_by_topic: counts(f.officers_trained_by_topic),
            officers_trained_by_service: counts(f.officers_trained_by_service),
            officers_trained_by_rank: counts(f.officers_trained_by_rank),
            funnel: counts(f.funnel),
            seats_held: f.seats_held,
            completed: f.completed,
            no_show: f.no_show,
            withdrawn_after_confirmation: f.withdrawn_after_confirmation,
            confirmed_places: f.confirmed_places,
            completion_rate: f.completion_rate,
            no_show_rate: f.no_show_rate,
            withdrawal_rate: f.withdrawal_rate,
            activities_by_area: f
                .activities_by_area
                .into_iter()
                .map(|a| AreaCount {
                    area_code: a.area_code,
                    area_name: a.area_name,
                    count: a.count,
                })
                .collect(),
        }
    }
}

/// A cycle's report with the figures of the previous cycle for comparison.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CycleReport {
    /// The language of the labels.
    pub language: Language,
    /// The cycle.
    pub cycle: ReportCycle,
    /// Its figures.
    pub figures: CycleFigures,
    /// The previous cycle: the one this cycle renews, else the partner's preceding non-draft cycle (by start).
    pub previous_cycle: Option<ReportCycle>,
    /// The previous cycle's figures, counted by the same rules.
    pub previous: Option<CycleFigures>,
}

impl From<r::CycleReport> for CycleReport {
    fn from(rep: r::CycleReport) -> Self {
        CycleReport {
            language: rep.language.into(),
            cycle: rep.cycle.into(),
            figures: rep.figures.into(),
            previous_cycle: rep.previous_cycle.map(Into::into),
            previous: rep.previous.map(Into::into),
        }
    }
}

/// A dated item of a partner's timeline.
#[derive(SimpleObject)]
pub struct TimelineItem {
    /// MILESTONE, CYCLE or ACTIVITY.
    pub kind: String,
    /// First day.
    pub start_date: Date,
    /// Last day (the same day for milestones).
    pub end_date: Date,
    /// Framework (milestones), programme kind (cycles) or activity kind (activities).
    pub code: String,
    /// The code in the requested language.
    pub label: String,
    /// Description (milestones), status (cycles, in the requested language) or title (activities).
    pub text: String,
    /// The cycle (cycles) or the activity's cycle.
    pub cycle_id: Option<ID>,
}

/// A partner at a glance.
#[derive(SimpleObject)]
pub struct PartnerOverview {
    /// ISO 3166 alpha-3 code.
    pub code: String,
    /// Name.
    pub name: String,
    /// The ACTIVE cycle, if any.
    pub active_cycle: Option<ReportCycle>,
    /// The day the active cycle's renewal is due: the day after it ends (its successor's start).
    pub renewal_due_on: Option<Date>,
    /// Days from today (UTC) until renewalDueOn; negative when overdue; null without an active cycle.
    pub days_until_renewal: Option<i64>,
    /// Milestones, cycles and activities by date.
    pub timeline: Vec<TimelineItem>,
}

/// One partner's main figures over a date range.
#[derive(SimpleObject)]
pub struct PartnerFigures {
    /// ISO 3166 alpha-3 code.
    pub code: String,
    /// Name.
    pub name: String,
    /// The partner's ACTIVE cycle.
    pub active_cycle_id: Option<ID>,
    /// Iterations dated within the range in which the partner has enrollments.
    pub iterations: i64,
    /// The partner's enrollments (any status) in those iterations.
    pub nominations: i64,
    /// Of those, enrollments holding a seat (CONFIRMED, ATTENDED, COMPLETED, FAILED).
    pub seats_held: i64,
    /// COMPLETED enrollments.
    pub completed: i64,
    /// Distinct officers with at least one COMPLETED enrollment.
    pub officers_trained: i64,
    /// seatsHeld + NO_SHOW + WITHDRAWN after confirmation.
    pub confirmed_places: i64,
    /// completed / confirmedPlaces (0 when there is none).
    pub completion_rate: f64,
    /// Activities of the partner's cycles starting within the range.
    pub activities: i64,
}

/// An iteration's seats.
#[derive(SimpleObject)]
pub struct IterationSeats {
    /// The iteration.
    pub iteration_id: ID,
    /// Course code.
    pub course_code: String,
    /// Course title.
    pub course_title: String,
    /// Topic code.
    pub topic: String,
    /// Topic in the requested language.
    pub topic_label: String,
    /// Iteration status code.
    pub status: String,
    /// Status in the requested language.
    pub status_label: String,
    /// First day.
    pub start_date: Date,
    /// Last day.
    pub end_date: Date,
    /// Where.
    pub location: String,
    /// Seat capacity.
    pub capacity: i64,
    /// Seats held (all partners).
    pub seats_held: i64,
    /// capacity - seatsHeld.
    pub open_seats: i64,
    /// WAITLISTED enrollments (for `waitlists`: of the partner asked for, if any).
    pub waitlisted: i64,
}

impl From<r::IterationSeats> for IterationSeats {
    fn from(i: r::IterationSeats) -> Self {
        IterationSeats {
            iteration_id: ID(i.iteration_id.to_string()),
            course_code: i.course_code,
            course_title: i.course_title,
            topic: i.topic,
            topic_label: i.topic_label,
            status: i.status,
            status_label: i.status_label,
            start_date: i.start_date.into(),
            end_date: i.end_date.into(),
            location: i.location,
            capacity: i.capacity,
            seats_held: i.seats_held,
            open_seats: i.open_seats,
            waitlisted: i.waitlisted,
        }
    }
}

fn today() -> chrono::NaiveDate {
    service::now().date_naive()
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// A cycle's report (objectives, seats and fill rate per topic, officers trained, enrollment
    /// funnel, rates, activities) and the previous cycle's for comparison. NOT_FOUND for an unknown cycle.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn cycle_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cycle.")] cycle_id: ID,
        #[graphql(desc = "Language of the labels.", default_with = "Language::En")] lang: Language,
    ) -> Result<CycleReport> {
        let id = parse_id("programme cycle", &cycle_id)?;
        let report = r::cycle_report(&db(ctx)?.conn, id, lang.into()).await?;
        Ok(report.into())
    }

    /// A partner's timeline (milestones, cycles, activities) and the days until its active cycle's
    /// renewal is due. NOT_FOUND for an unknown partner code.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn partner_overview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner's ISO 3166 alpha-3 code.")] code: String,
        #[graphql(desc = "Language of the labels.", default_with = "Language::En")] lang: Language,
    ) -> Result<PartnerOverview> {
        let o = r::partner_overview(&db(ctx)?.conn, &code, today(), lang.into()).await?;
        Ok(PartnerOverview {
            code: o.code,
            name: o.name,
            active_cycle: o.active_cycle.map(Into::into),
            renewal_due_on: o.renewal_due_on.map(Into::into),
            days_until_renewal: o.days_until_renewal,
            timeline: o
                .timeline
                .into_iter()
                .map(|t| TimelineItem {
                    kind: t.kind,
                    start_date: t.start_date.into(),
                    end_date: t.end_date.into(),
                    code: t.code,
                    label: t.label,
                    text: t.text,
                    cycle_id: t.cycle_id.map(|c| ID(c.to_string())),
                })
                .collect(),
        })
    }

    /// Every partner's main figures over iterations dated within [from, to] (inclusive).
    /// BAD_USER_INPUT when `to` comes before `from`.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn programme_overview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "First day.")] from: Date,
        #[graphql(desc = "Last day.")] to: Date,
    ) -> Result<Vec<PartnerFigures>> {
        let list = r::programme_overview(&db(ctx)?.conn, from.into(), to.into()).await?;
        Ok(list
            .into_iter()
            .map(|p| PartnerFigures {
                code: p.code,
                name: p.name,
                active_cycle_id: p.active_cycle_id.map(|c| ID(c.to_string())),
                iterations: p.iterations,
                nominations: p.nominations,
                seats_held: p.seats_held,
                completed: p.completed,
                officers_trained: p.officers_trained,
                confirmed_places: p.confirmed_places,
                completion_rate: p.completion_rate,
                activities: p.activities,
            })
            .collect())
    }

    /// PLANNED or OPEN iterations starting on or after `from` (default today) with open seats,
    /// soonest first.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn upcoming_iterations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "First start day (default: today, UTC).")] from: Option<Date>,
        #[graphql(desc = "How many, 1 to 100.", default = 20)] limit: i32,
        #[graphql(desc = "Language of the labels.", default_with = "Language::En")] lang: Language,
    ) -> Result<Vec<IterationSeats>> {
        let from = from.map_or_else(today, Into::into);
        let list = r::upcoming_iterations(&db(ctx)?.conn, from, limit, lang.into()).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Iterations with waitlisted enrollments, longest waitlist first.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn waitlists(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this partner's waitlisted officers (ISO code).")] partner: Option<
            String,
        >,
        #[graphql(desc = "How many, 1 to 100.", default = 20)] limit: i32,
        #[graphql(desc = "Language of the labels.", default_with = "Language::En")] lang: Language,
    ) -> Result<Vec<IterationSeats>> {
        let list = r::waitlists(&db(ctx)?.conn, partner.as_deref(), limit, lang.into()).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Programme cycles of every partner (or of one), by partner code then start date: what a
    /// dashboard or a reporting job picks a cycle report from.
    #[graphql(guard = "Allow(Access::Report)")]
    async fn report_cycles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this partner's cycles (ISO code).")] partner: Option<String>,
        #[graphql(desc = "Language of the labels.", default_with = "Language::En")] lang: Language,
    ) -> Result<Vec<ReportCycle>> {
        let list = r::cycles(&db(ctx)?.conn, partner.as_deref(), lang.into()).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }
}
