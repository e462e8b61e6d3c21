//! The demo dataset: Turkmenistan's partnership with NATO as told by the seed text (NACC 1992, SPS
//! 1993, PfP 1994, EAPC 1997, two-yearly IPCPs, the 2014 EADRCC answer to the floods in Bosnia and
//! Herzegovina, the 2015 forum on NATO - Central Asia relations). Idempotent: records are looked up by
//! their natural keys and created only when missing.

use chrono::NaiveDate;
use entity::{
    activity, cooperation_area, course, course_iteration,
    enums::{ActivityKind, CourseTopic, Delivery, Framework, ProgrammeKind},
    officer, partner, partnership_milestone, programme_cycle,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{
    activity as activities, cooperation_area as areas, course as courses, iteration, milestone,
    officer as officers, partner as partners, programme_cycle as cycles,
};
use crate::{
    db::Db,
    error::{AppError, Result},
};

fn d(y: i32, m: u32, day: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, day)
        .ok_or_else(|| AppError::Internal(format!("bad seed date {y}-{m}-{day}")))
}

pub const AREAS: &[(&str, &str, &str)] = &[
    ("CAPACITY_BUILDING", "Capacity building and interoperability", "Training of officers: arms control, disarmament and non-proliferation, law of armed conflict, counter-terrorism, trafficking, border security, defence planning and budgeting, medical services, languages."),
    ("EDUCATION_TRAINING", "Education and training", "Courses of the Partnership Cooperation Menu and the ETOC catalogue."),
    ("CIVIL_PREPAREDNESS", "Civil preparedness and disaster relief coordination", "Preparing units for international disaster relief; answers to EADRCC requests for assistance."),
    ("SPS", "Science for Peace and Security", "SPS projects: internet access for the academic community, distance learning."),
    ("PUBLIC_DIPLOMACY", "Public diplomacy", "Information and outreach activities."),
];

/// Loads the demo data; returns how many records it created (0 on a second run).
pub async fn demo(db: &Db) -> Result<u64> {
    let txn = db.begin_write().await?;
    let conn = &*txn;
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
            (
                Framework::Sps,
                d(1993, 1, 1)?,
                "Began taking part in the Science for Peace and Security programme.",
            ),
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
                        description: (*description).into(),
                    },
                )
                .await?
            }
        };
        area_ids.push(area.id);
    }

    let cycle = match programme_cycle::Entity::find()
        .filter(programme_cycle::Column::PartnerId.eq(tkm.id))
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
    txn.commit().await?;
    Ok(created)
}
