//! The demo dataset: Turkmenistan's partnership with NATO as told by the seed text (NACC 1992, SPS
//! 1993, PfP 1994, EAPC 1997, two-yearly IPCPs, the 2014 EADRCC answer to the floods in Bosnia and
//! Herzegovina, the 2015 forum on NATO - Central Asia relations). Idempotent: records are looked up by
//! their natural keys and created only when missing.
//!
//! Longer than most modules because most of it is data: the demo programme written out record by
//! record as the source text describes it, which reads best in one place.

use chrono::{Datelike, NaiveDate};
use entity::{
    activity, cooperation_area, course, course_iteration, enrollment,
    enums::{
        ActivityKind, CourseTopic, CycleStatus, Delivery, EnrollmentStatus, Framework,
        IterationStatus, ObjectiveStatus, ProgrammeKind, Service,
    },
    iteration_objective, objective, officer, partner, partnership_milestone, programme_cycle,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{
    activity as activities, cooperation_area as areas, course as courses, iteration, milestone,
    officer as officers, partner as partners, programme_cycle as cycles,
    uow::{self, Actor, Change, PartnerOf},
};
use crate::{
    error::{AppError, Result},
    service::Db,
};

fn d(y: i32, m: u32, day: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, day)
        .ok_or_else(|| AppError::Internal(format!("bad seed date {y}-{m}-{day}")))
}

/// French names of the areas, in the seed text's own terms.
const AREA_NAMES_FR: &[(&str, &str)] = &[
    (
        "CAPACITY_BUILDING",
        "Renforcement des capacités et de l’interopérabilité",
    ),
    ("EDUCATION_TRAINING", "Enseignement et formation"),
    (
        "CIVIL_PREPAREDNESS",
        "Préparation du secteur civil et coordination des secours en cas de catastrophe",
    ),
    (
        "SPS",
        "Programme pour la science au service de la paix et de la sécurité",
    ),
    ("PUBLIC_DIPLOMACY", "Information et ouverture"),
];

pub const AREAS: &[(&str, &str, &str)] = &[
    ("CAPACITY_BUILDING", "Capacity building and interoperability", "Training of officers: arms control, disarmament and non-proliferation, law of armed conflict, counter-terrorism, trafficking, border security, defence planning and budgeting, medical services, languages."),
    ("EDUCATION_TRAINING", "Education and training", "Courses of the Partnership Cooperation Menu and the ETOC catalogue."),
    ("CIVIL_PREPAREDNESS", "Civil preparedness and disaster relief coordination", "Preparing units for international disaster relief; answers to EADRCC requests for assistance."),
    ("SPS", "Science for Peace and Security", "SPS projects: internet access for the academic community, distance learning."),
    ("PUBLIC_DIPLOMACY", "Public diplomacy", "Information and outreach activities."),
];

/// Loads the demo data as one unit of work; returns how many records it created (0 on a second
/// run, which records nothing).
pub async fn demo(db: &Db, actor: &Actor) -> Result<u64> {
    uow::run(db, actor, |tx| async move {
        let created = demo_records(&*tx).await?;
        let change = (created > 0).then(|| dataset_change("seedDemo", "demo", created));
        Ok((created, change))
    })
    .await
}

/// A dataset loaded in bulk (the demo, a table of the benchmark dataset): one change that says
/// how many records it created.
pub fn dataset_change(action: &str, name: &str, created: u64) -> Change {
    Change {
        action: action.to_owned(),
        kind: "dataset",
        entity_id: name.to_owned(),
        partner: PartnerOf::None,
        before: None,
        after: Some(serde_json::json!({ "dataset": name, "created": created })),
    }
}

async fn demo_records<C: ConnectionTrait>(conn: &C) -> Result<u64> {
    let mut created = 0u64;

    let tkm = match partner::Entity::find()
        .filter(partner::Column::Code.eq("TKM"))
        .one(conn)
        .await?
    {
        Some(p) => p,
        None => {
            created += 1;
            partners::create(conn, partners::NewPartner {
                code: "TKM".into(),
                name: "Turkmenistan".into(),
                notes: Some("Permanent neutrality: provides no military units or infrastructure to NATO-led operations.".into()),
            })
            .await?
        }
    };

    if partnership_milestone::Entity::find()
        .filter(partnership_milestone::Column::PartnerId.eq(tkm.id))
        .count(conn)
        .await?
        == 0
    {
        for (framework, date, text) in [
            (
                Framework::Nacc,
                d(1992, 3, 10)?,
                "Joined the North Atlantic Cooperation Council.",
            ),
            (Framework::Sps, d(1993, 1, 1)?, SCIENCE_1993),
            (
                Framework::Pfp,
                d(1994, 5, 10)?,
                "Joined the Partnership for Peace: practical cooperation begins.",
            ),
            (
                Framework::Eapc,
                d(1997, 5, 30)?,
                "The NACC is replaced by the Euro-Atlantic Partnership Council.",
            ),
        ] {
            milestone::create(
                conn,
                milestone::NewMilestone {
                    partner_id: tkm.id,
                    framework,
                    occurred_on: date,
                    description: text.into(),
                },
            )
            .await?;
            created += 1;
        }
    }

    let mut area_ids = Vec::new();
    for (code, name, description) in AREAS {
        let area = match cooperation_area::Entity::find()
            .filter(cooperation_area::Column::Code.eq(*code))
            .one(conn)
            .await?
        {
            Some(a) => a,
            None => {
                created += 1;
                areas::create(
                    conn,
                    areas::NewArea {
                        code: (*code).into(),
                        name: (*name).into(),
                        name_fr: None,
                        description: (*description).into(),
                    },
                )
                .await?
            }
        };
        area_ids.push(area.id);
    }
    for (code, name_fr) in AREA_NAMES_FR {
        let res = cooperation_area::Entity::update_many()
            .col_expr(cooperation_area::Column::NameFr, Expr::value(*name_fr))
            .filter(cooperation_area::Column::Code.eq(*code))
            .filter(cooperation_area::Column::NameFr.is_null())
            .exec(conn)
            .await?;
        created += res.rows_affected;
    }

    let cycle = match programme_cycle::Entity::find()
        .filter(programme_cycle::Column::PartnerId.eq(tkm.id))
        .filter(programme_cycle::Column::StartDate.eq(d(2014, 1, 1)?))
        .one(conn)
        .await?
    {
        Some(c) => c,
        None => {
            created += 1;
            cycles::create(
                conn,
                cycles::NewCycle {
                    partner_id: tkm.id,
                    kind: ProgrammeKind::Ipcp,
                    start_date: d(2014, 1, 1)?,
                    end_date: None,
                },
            )
            .await?
        }
    };

    if activity::Entity::find()
        .filter(activity::Column::CycleId.eq(cycle.id))
        .count(conn)
        .await?
        == 0
    {
        activities::create(conn, activities::NewActivity {
            cycle_id: cycle.id,
            area_id: area_ids[2],
            objective_id: None,
            kind: ActivityKind::DisasterResponse,
            title: "EADRCC request: floods in Bosnia and Herzegovina".into(),
            description: "Answer to the EADRCC's urgent request for assistance: humanitarian aid to Bosnia and Herzegovina after severe floods and landslides.".into(),
            start_date: d(2014, 5, 20)?,
            end_date: d(2014, 6, 30)?,
            outcome: Some("Humanitarian aid delivered.".into()),
        })
        .await?;
        activities::create(conn, activities::NewActivity {
            cycle_id: cycle.id,
            area_id: area_ids[4],
            objective_id: None,
            kind: ActivityKind::PublicDiplomacy,
            title: "Forum on NATO - Central Asia relations".into(),
            description: "Turkmenistan hosted a landmark forum on relations between NATO and Central Asia, with Turkmen academics and other security experts.".into(),
            start_date: d(2015, 6, 1)?,
            end_date: d(2015, 6, 2)?,
            outcome: None,
        })
        .await?;
        created += 2;
    }

    let course = match course::Entity::find()
        .filter(course::Column::Code.eq("LOAC-101"))
        .one(conn)
        .await?
    {
        Some(c) => c,
        None => {
            created += 1;
            courses::create(
                conn,
                courses::NewCourse {
                    code: "LOAC-101".into(),
                    title: "Law of Armed Conflict".into(),
                    topic: CourseTopic::LawOfArmedConflict,
                    organiser: "NATO School Oberammergau".into(),
                    delivery: Delivery::Residential,
                    duration_days: 5,
                    min_slp: Some("2222".into()),
                    pcm_code: None,
                    etoc_code: None,
                },
            )
            .await?
        }
    };
    if course_iteration::Entity::find()
        .filter(course_iteration::Column::CourseId.eq(course.id))
        .count(conn)
        .await?
        == 0
    {
        iteration::create(
            conn,
            iteration::NewIteration {
                course_id: course.id,
                start_date: d(2027, 3, 8)?,
                end_date: d(2027, 3, 12)?,
                location: "Oberammergau".into(),
                capacity: 24,
                partner_quota: Some(2),
                status: Some(entity::enums::IterationStatus::Open),
            },
        )
        .await?;
        created += 1;
    }
    if officer::Entity::find()
        .filter(officer::Column::PartnerId.eq(tkm.id))
        .count(conn)
        .await?
        == 0
    {
        officers::create(
            conn,
            officers::NewOfficer {
                partner_id: tkm.id,
                family_name: "Demo".into(),
                given_name: "Officer".into(),
                rank: "Captain".into(),
                service: entity::enums::Service::BorderGuard,
                position: Some("Border security staff officer".into()),
                slp: Some("2+222".into()),
            },
        )
        .await?;
        created += 1;
    }
    created += programme(conn, tkm.id, &area_ids, cycle.id).await?;
    created += faithful(conn, tkm.id, &area_ids).await?;
    created += evaluation_and_costs(conn, tkm.id).await?;
    Ok(created)
}

/// The 1993 milestone as the seed text tells it: the programme Turkmenistan joined was the NATO
/// Science Programme, named Science for Peace and Security only since 2006.
const SCIENCE_1993: &str =
    "Joined the NATO Science Programme (named Science for Peace and Security, SPS, since 2006).";
/// The text an earlier demo gave the 1993 milestone, corrected on the next run.
const SCIENCE_1993_BEFORE: &str =
    "Began taking part in the Science for Peace and Security programme.";

/// The training areas the seed text names that the programme's courses do not already cover:
/// with LOAC-101, BORDER-201, ARMS-110 and ENG-GEN, the demo's courses cover all nine (arms control;
/// disarmament and non-proliferation; law of armed conflict; counter-terrorism; trafficking;
/// border security and control; defence planning and budgeting; medical services; languages).
/// Catalogue codes are left empty: the demo does not invent PCM or ETOC identifiers.
pub const TRAINING_COURSES: &[(&str, &str, CourseTopic, &str)] = &[
    (
        "WMD-NP-115",
        "Disarmament and Weapons of Mass Destruction Non-Proliferation",
        CourseTopic::ArmsControl,
        "NATO School Oberammergau",
    ),
    (
        "CT-100",
        "Counter-Terrorism Awareness",
        CourseTopic::CounterTerrorism,
        "Centre of Excellence Defence Against Terrorism",
    ),
    (
        "TRAF-120",
        "Countering Trafficking in Human Beings, Arms and Drugs",
        CourseTopic::Trafficking,
        "NATO School Oberammergau",
    ),
    (
        "DPB-210",
        "Defence Planning and Budgeting",
        CourseTopic::DefencePlanning,
        "NATO School Oberammergau",
    ),
    (
        "MED-130",
        "Medical Support to Operations",
        CourseTopic::MedicalServices,
        "NATO Centre of Excellence for Military Medicine",
    ),
];

/// The SPS cooperation the seed text describes, as activities of the 2024 IPCP's SPS area.
const SPS_PROJECTS: &[(&str, &str)] = &[
    (
        "SPS project: internet access for the academic community",
        "Science for Peace and Security cooperation giving Turkmen universities and research institutes access to the internet.",
    ),
    (
        "SPS project: distance learning",
        "Science for Peace and Security cooperation promoting distance learning in Turkmen higher education.",
    ),
];

/// What makes the demo faithful to the seed text, added to any demo database (each part only when
/// missing, so a second run creates nothing): the 1993 milestone's name, courses in every training
/// area, and the SPS projects as activities.
async fn faithful<C: ConnectionTrait>(conn: &C, partner_id: i32, area_ids: &[i32]) -> Result<u64> {
    use sea_orm::{ActiveModelTrait, Set};
    let mut created = 0;
    let renamed = partnership_milestone::Entity::update_many()
        .col_expr(
            partnership_milestone::Column::Description,
            Expr::value(SCIENCE_1993),
        )
        .col_expr(
            partnership_milestone::Column::UpdatedAt,
            Expr::value(super::now()),
        )
        .col_expr(
            partnership_milestone::Column::Version,
            Expr::col(partnership_milestone::Column::Version).add(1),
        )
        .filter(partnership_milestone::Column::PartnerId.eq(partner_id))
        .filter(partnership_milestone::Column::Description.eq(SCIENCE_1993_BEFORE))
        .exec(conn)
        .await?;
    created += renamed.rows_affected;
    for (code, title, topic, organiser) in TRAINING_COURSES {
        let exists = course::Entity::find()
            .filter(course::Column::Code.eq(*code))
            .count(conn)
            .await?
            > 0;
        if !exists {
            courses::create(
                conn,
                courses::NewCourse {
                    code: (*code).into(),
                    title: (*title).into(),
                    topic: *topic,
                    organiser: (*organiser).into(),
                    delivery: Delivery::Residential,
                    duration_days: 5,
                    min_slp: None,
                    pcm_code: None,
                    etoc_code: None,
                },
            )
            .await?;
            created += 1;
        }
    }
    let Some(c2024) = programme_cycle::Entity::find()
        .filter(programme_cycle::Column::PartnerId.eq(partner_id))
        .filter(programme_cycle::Column::StartDate.eq(d(2024, 1, 1)?))
        .one(conn)
        .await?
    else {
        return Ok(created);
    };
    let sps = area_ids
        .get(3)
        .copied()
        .ok_or_else(|| AppError::Internal("seed area missing".into()))?;
    let at = super::now();
    for (title, description) in SPS_PROJECTS {
        let exists = activity::Entity::find()
            .filter(activity::Column::Title.eq(*title))
            .filter(activity::Column::CycleId.eq(c2024.id))
            .count(conn)
            .await?
            > 0;
        if !exists {
            activity::ActiveModel {
                cycle_id: Set(c2024.id),
                area_id: Set(sps),
                kind: Set(ActivityKind::ScienceProject),
                title: Set((*title).into()),
                description: Set((*description).into()),
                start_date: Set(d(2024, 2, 1)?),
                end_date: Set(d(2025, 11, 28)?),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
            .insert(conn)
            .await?;
            created += 1;
        }
    }
    Ok(created)
}

/// (course, start, end, capacity, status, objective served, enrollments (officer index, status)).
type PlannedIteration = (
    usize,
    NaiveDate,
    NaiveDate,
    i32,
    IterationStatus,
    i32,
    Vec<(usize, EnrollmentStatus)>,
);

/// The programme behind the dashboard: the 2014 IPCP approved and closed, the 2024 IPCP renewed by
/// the ACTIVE 2026 IPCP (every two years, as the seed text says), objectives per area, courses of the
/// topics the seed text lists with dated iterations, officers and their enrollments through every
/// step of the lifecycle. Seats held are kept consistent with the enrollments. Created once: skipped
/// when the 2026 cycle exists.
async fn programme<C: ConnectionTrait>(
    conn: &C,
    partner_id: i32,
    area_ids: &[i32],
    first_cycle: i32,
) -> Result<u64> {
    use sea_orm::{ActiveModelTrait, Set};
    let start_2026 = d(2026, 1, 1)?;
    if programme_cycle::Entity::find()
        .filter(programme_cycle::Column::PartnerId.eq(partner_id))
        .filter(programme_cycle::Column::StartDate.eq(start_2026))
        .count(conn)
        .await?
        > 0
    {
        return Ok(0);
    }
    let at = super::now();
    let mut created = 0u64;
    let area = |n: usize| {
        area_ids
            .get(n)
            .copied()
            .ok_or_else(|| AppError::Internal("seed area missing".into()))
    };

    // The 2014 cycle: approved by the NAC and the partner, ended.
    let first = programme_cycle::Entity::find_by_id(first_cycle)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("programme cycle", first_cycle))?;
    if first.status == CycleStatus::Draft {
        let mut m: programme_cycle::ActiveModel = first.into();
        m.status = Set(CycleStatus::Closed);
        m.nac_approved_on = Set(Some(d(2013, 11, 20)?));
        m.partner_approved_on = Set(Some(d(2013, 12, 10)?));
        m.updated_at = Set(at);
        m.update(conn).await?;
    }
    let cycle = |start: NaiveDate,
                 end: NaiveDate,
                 status: CycleStatus,
                 renews: Option<i32>,
                 approved: NaiveDate| programme_cycle::ActiveModel {
        partner_id: Set(partner_id),
        kind: Set(ProgrammeKind::Ipcp),
        start_date: Set(start),
        end_date: Set(end),
        status: Set(status),
        nac_approved_on: Set(Some(approved)),
        partner_approved_on: Set(Some(approved)),
        renews_cycle_id: Set(renews),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    let c2024 = cycle(
        d(2024, 1, 1)?,
        d(2025, 12, 31)?,
        CycleStatus::Superseded,
        None,
        d(2023, 11, 15)?,
    )
    .insert(conn)
    .await?;
    let c2026 = cycle(
        start_2026,
        d(2027, 12, 31)?,
        CycleStatus::Active,
        Some(c2024.id),
        d(2025, 11, 14)?,
    )
    .insert(conn)
    .await?;
    created += 2;

    let objective =
        |cycle_id: i32, area_id: i32, title: &str, target: Option<f64>, status: ObjectiveStatus| {
            objective::ActiveModel {
                cycle_id: Set(cycle_id),
                area_id: Set(area_id),
                title: Set(title.into()),
                indicator: Set("Officers who completed a course serving the objective".into()),
                target: Set(target),
                status: Set(status),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
        };
    let o_border_24 = objective(
        c2024.id,
        area(0)?,
        "Border security and control training",
        Some(4.0),
        ObjectiveStatus::Achieved,
    )
    .insert(conn)
    .await?;
    objective(
        c2024.id,
        area(3)?,
        "Distance learning for universities (SPS)",
        None,
        ObjectiveStatus::Achieved,
    )
    .insert(conn)
    .await?;
    let o_border = objective(
        c2026.id,
        area(0)?,
        "Border security and control training",
        Some(6.0),
        ObjectiveStatus::OnTrack,
    )
    .insert(conn)
    .await?;
    let o_arms = objective(
        c2026.id,
        area(0)?,
        "Arms control, disarmament and non-proliferation",
        Some(3.0),
        ObjectiveStatus::AtRisk,
    )
    .insert(conn)
    .await?;
    let o_lang = objective(
        c2026.id,
        area(1)?,
        "English language training",
        Some(4.0),
        ObjectiveStatus::Planned,
    )
    .insert(conn)
    .await?;
    objective(
        c2026.id,
        area(2)?,
        "Units prepared for international disaster relief",
        None,
        ObjectiveStatus::OnTrack,
    )
    .insert(conn)
    .await?;
    created += 6;

    let mut course_ids = Vec::new();
    for (code, title, topic, organiser) in [
        (
            "BORDER-201",
            "Border Security and Control",
            CourseTopic::BorderSecurity,
            "NATO School Oberammergau",
        ),
        (
            "ARMS-110",
            "Arms Control, Disarmament and Non-Proliferation",
            CourseTopic::ArmsControl,
            "NATO School Oberammergau",
        ),
        (
            "ENG-GEN",
            "General English for Partner Officers",
            CourseTopic::Languages,
            "Allied national language school",
        ),
    ] {
        let course = course::ActiveModel {
            code: Set(code.into()),
            title: Set(title.into()),
            topic: Set(topic),
            organiser: Set(organiser.into()),
            delivery: Set(Delivery::Residential),
            duration_days: Set(5),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        course_ids.push(course.id);
        created += 1;
    }

    let mut officer_ids = Vec::new();
    for (n, (rank, service)) in [
        ("Major", Service::BorderGuard),
        ("Captain", Service::BorderGuard),
        ("Captain", Service::Army),
        ("Lieutenant", Service::Army),
        ("Major", Service::AirForce),
        ("Civilian", Service::Civilian),
    ]
    .into_iter()
    .enumerate()
    {
        let officer = officer::ActiveModel {
            partner_id: Set(partner_id),
            family_name: Set(format!("Demo {}", n + 2)),
            given_name: Set("Officer".into()),
            rank: Set(rank.into()),
            service: Set(service),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        officer_ids.push(officer.id);
        created += 1;
    }

    use EnrollmentStatus as E;
    // (course, start, end, capacity, status, objective served, enrollments (officer index, status)).
    let plan: Vec<PlannedIteration> = vec![
        (
            0,
            d(2024, 4, 8)?,
            d(2024, 4, 12)?,
            18,
            IterationStatus::Held,
            o_border_24.id,
            vec![
                (0, E::Completed),
                (1, E::Completed),
                (2, E::Completed),
                (3, E::NoShow),
            ],
        ),
        (
            0,
            d(2026, 3, 2)?,
            d(2026, 3, 6)?,
            20,
            IterationStatus::Held,
            o_border.id,
            vec![
                (0, E::Completed),
                (1, E::Completed),
                (3, E::Failed),
                (4, E::Withdrawn),
            ],
        ),
        (
            1,
            d(2026, 5, 11)?,
            d(2026, 5, 15)?,
            24,
            IterationStatus::Held,
            o_arms.id,
            vec![(2, E::Completed), (4, E::NoShow), (5, E::Declined)],
        ),
        (
            0,
            d(2026, 9, 14)?,
            d(2026, 9, 18)?,
            16,
            IterationStatus::Held,
            o_border.id,
            vec![(3, E::Completed), (5, E::Completed), (2, E::Attended)],
        ),
        (
            2,
            d(2027, 1, 11)?,
            d(2027, 1, 15)?,
            2,
            IterationStatus::Open,
            o_lang.id,
            vec![
                (0, E::Confirmed),
                (1, E::Confirmed),
                (4, E::Waitlisted),
                (5, E::Waitlisted),
                (3, E::Nominated),
            ],
        ),
    ];
    for (course_n, start, end, capacity, status, objective_id, enrollments) in plan {
        let holding = |s: EnrollmentStatus| {
            matches!(s, E::Confirmed | E::Attended | E::Completed | E::Failed)
        };
        let seats = enrollments.iter().filter(|(_, s)| holding(*s)).count() as i32;
        let iteration = course_iteration::ActiveModel {
            course_id: Set(course_ids[course_n]),
            start_date: Set(start),
            end_date: Set(end),
            location: Set("Oberammergau".into()),
            capacity: Set(capacity),
            seats_held: Set(seats),
            status: Set(status),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        iteration_objective::ActiveModel {
            iteration_id: Set(iteration.id),
            objective_id: Set(objective_id),
        }
        .insert(conn)
        .await?;
        let mut waitlist = 0;
        for (officer_n, status) in enrollments {
            let confirmed = !matches!(status, E::Nominated | E::Waitlisted | E::Declined);
            let waitlist_position = (status == E::Waitlisted).then(|| {
                waitlist += 1;
                waitlist
            });
            enrollment::ActiveModel {
                iteration_id: Set(iteration.id),
                officer_id: Set(officer_ids[officer_n]),
                partner_id: Set(partner_id),
                status: Set(status),
                waitlist_position: Set(waitlist_position),
                nominated_at: Set(at),
                confirmed_at: Set(confirmed.then_some(at)),
                decided_by: Set(Some("seed".into())),
                version: Set(1),
                updated_at: Set(at),
                ..Default::default()
            }
            .insert(conn)
            .await?;
            created += 1;
        }
        created += 1;
    }

    for (area_n, kind, title, start, end) in [
        (
            2,
            ActivityKind::Exercise,
            "Disaster relief coordination exercise",
            d(2026, 6, 9)?,
            d(2026, 6, 11)?,
        ),
        (
            4,
            ActivityKind::PublicDiplomacy,
            "Information and outreach seminar",
            d(2026, 10, 6)?,
            d(2026, 10, 6)?,
        ),
        (
            3,
            ActivityKind::ScienceProject,
            "SPS distance learning project review",
            d(2024, 9, 17)?,
            d(2024, 9, 17)?,
        ),
    ] {
        activity::ActiveModel {
            cycle_id: Set(if start.year() >= 2026 {
                c2026.id
            } else {
                c2024.id
            }),
            area_id: Set(area(area_n)?),
            kind: Set(kind),
            title: Set(title.into()),
            description: Set(title.into()),
            start_date: Set(start),
            end_date: Set(end),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        created += 1;
    }
    Ok(created)
}

/// Something to show for course evaluation, contacts and costs (each part only when the partner
/// has none yet): fictional points of contact (example.org addresses), the level 1 questionnaires
/// and level 3 follow-ups of the March 2026 border security iteration, its tuition and the SPS
/// projects' grants. Written as history (dated when they were recorded), not through today's
/// response window.
async fn evaluation_and_costs<C: ConnectionTrait>(conn: &C, partner_id: i32) -> Result<u64> {
    use super::contact;
    use entity::{
        cost_line, enums, evaluation_follow_up, evaluation_rating, evaluation_response,
        point_of_contact,
    };
    use sea_orm::{ActiveModelTrait, Set};
    let mut created = 0;
    let at = super::now();
    let has_contacts = point_of_contact::Entity::find()
        .filter(point_of_contact::Column::PartnerId.eq(partner_id))
        .count(conn)
        .await?
        > 0;
    if !has_contacts {
        let border = course::Entity::find()
            .filter(course::Column::Code.eq("BORDER-201"))
            .one(conn)
            .await?;
        let mut contacts = vec![
            (
                enums::ContactRole::PartnerPoc,
                "Partner POC",
                "Mission of Turkmenistan (fictional demo contact)",
                "poc.tkm@example.org",
                Some("+32 2 000 00 00"),
                contact::ContactLink::Partner(partner_id),
            ),
            (
                enums::ContactRole::NatoDeskOfficer,
                "Desk Officer",
                "NATO International Staff (fictional demo contact)",
                "desk.officer@example.org",
                None,
                contact::ContactLink::Partner(partner_id),
            ),
        ];
        if let Some(border) = border {
            contacts.push((
                enums::ContactRole::CourseDirector,
                "Course Director",
                "NATO School Oberammergau (fictional demo contact)",
                "course.director@example.org",
                None,
                contact::ContactLink::Course(border.id),
            ));
        }
        for (role, given, organisation, email, phone, link) in contacts {
            contact::create(
                conn,
                contact::NewContact {
                    role,
                    family_name: "Demo".into(),
                    given_name: given.into(),
                    organisation: Some(organisation.into()),
                    email: Some(email.into()),
                    phone: phone.map(Into::into),
                    link,
                },
            )
            .await?;
            created += 1;
        }
    }

    let march = course_iteration::Entity::find()
        .filter(course_iteration::Column::StartDate.eq(d(2026, 3, 2)?))
        .one(conn)
        .await?;
    let has_responses = evaluation_response::Entity::find()
        .filter(evaluation_response::Column::PartnerId.eq(partner_id))
        .count(conn)
        .await?
        > 0;
    if let (Some(march), false) = (&march, has_responses) {
        let took_part = enrollment::Entity::find()
            .filter(enrollment::Column::IterationId.eq(march.id))
            .filter(enrollment::Column::PartnerId.eq(partner_id))
            .filter(
                enrollment::Column::Status
                    .is_in([EnrollmentStatus::Completed, EnrollmentStatus::Failed]),
            )
            .all(conn)
            .await?;
        for (n, e) in took_part.iter().enumerate() {
            let response = evaluation_response::ActiveModel {
                enrollment_id: Set(e.id),
                iteration_id: Set(e.iteration_id),
                partner_id: Set(partner_id),
                item_set: Set(super::evaluation::ITEM_SET.into()),
                comment: Set((n == 0).then(|| "Practical and well organised.".into())),
                responded_on: Set(march.end_date),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(conn)
            .await?;
            for (k, item) in super::evaluation::ITEMS.iter().enumerate() {
                evaluation_rating::ActiveModel {
                    response_id: Set(response.id),
                    item: Set((*item).into()),
                    rating: Set([5, 4, 4, 3, 4][k] - (n as i32 % 2)),
                }
                .insert(conn)
                .await?;
            }
            created += 1;
            if e.status == EnrollmentStatus::Completed {
                evaluation_follow_up::ActiveModel {
                    enrollment_id: Set(e.id),
                    iteration_id: Set(e.iteration_id),
                    partner_id: Set(partner_id),
                    applied: Set(if n == 0 {
                        enums::AppliedAtWork::Yes
                    } else {
                        enums::AppliedAtWork::Partly
                    }),
                    note: Set(None),
                    recorded_on: Set(super::evaluation::follow_up_due_from(march.end_date)),
                    created_at: Set(at),
                    ..Default::default()
                }
                .insert(conn)
                .await?;
                created += 1;
            }
        }
    }

    let has_costs = cost_line::Entity::find()
        .filter(cost_line::Column::PartnerId.eq(partner_id))
        .count(conn)
        .await?
        > 0;
    if !has_costs {
        let sps = activity::Entity::find()
            .filter(activity::Column::Title.is_in(SPS_PROJECTS.iter().map(|(t, _)| *t)))
            .all(conn)
            .await?;
        let mut lines = Vec::new();
        if let Some(march) = &march {
            for (stage, amount) in [
                (enums::CostStage::Planned, 600_000),
                (enums::CostStage::Actual, 580_000),
            ] {
                lines.push((
                    Some(march.id),
                    None,
                    enums::CostCategory::Tuition,
                    stage,
                    amount,
                    enums::FundingSource::NatoCommonFunding,
                ));
            }
        }
        for a in &sps {
            for (stage, amount) in [
                (enums::CostStage::Planned, 4_500_000),
                (enums::CostStage::Actual, 4_280_000),
            ] {
                lines.push((
                    None,
                    Some(a.id),
                    enums::CostCategory::Grant,
                    stage,
                    amount,
                    enums::FundingSource::SpsGrant,
                ));
            }
        }
        for (iteration_id, activity_id, category, stage, amount, source) in lines {
            cost_line::ActiveModel {
                iteration_id: Set(iteration_id),
                activity_id: Set(activity_id),
                partner_id: Set(Some(partner_id)),
                category: Set(category),
                stage: Set(stage),
                amount_minor: Set(amount),
                currency: Set("EUR".into()),
                funding_source: Set(source),
                funding_nation: Set(None),
                description: Set(None),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
            .insert(conn)
            .await?;
            created += 1;
        }
    }
    Ok(created)
}
