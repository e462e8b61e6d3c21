//! The demo is faithful to the seed text (`../shared/seed/turkmenistan-relations.fr.txt`).

use serde_json::json;

use crate::helpers::TestApp;

async fn seed(app: &TestApp) {
    let db = app.db().await;
    ipcp::service::seed::demo(&db, &ipcp::service::uow::Actor::cli("seed"))
        .await
        .expect("seed");
}

async fn the_demo_courses_cover_every_training_area_the_text_names(app: TestApp) {
    seed(&app).await;
    let data = app
        .ok(
            "{ courses(first: 100) { edges { node { code title topic } } } }",
            json!({}),
        )
        .await;
    let courses = data["courses"]["edges"].as_array().unwrap();
    let topics: std::collections::BTreeSet<&str> = courses
        .iter()
        .map(|e| e["node"]["topic"].as_str().unwrap())
        .collect();
    for topic in [
        "ARMS_CONTROL",
        "LAW_OF_ARMED_CONFLICT",
        "COUNTER_TERRORISM",
        "TRAFFICKING",
        "BORDER_SECURITY",
        "DEFENCE_PLANNING",
        "MEDICAL_SERVICES",
        "LANGUAGES",
    ] {
        assert!(topics.contains(topic), "no course on {topic}: {topics:?}");
    }
    // Arms control and disarmament / non-proliferation are two areas of the text.
    let titles: Vec<&str> = courses
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert!(titles.iter().any(|t| t.contains("Arms Control")));
    assert!(titles
        .iter()
        .any(|t| t.contains("Non-Proliferation") && t.contains("Disarmament")));
    assert!(courses.len() >= 9, "{titles:?}");
}

async fn the_sps_internet_and_distance_learning_projects_are_activities(app: TestApp) {
    seed(&app).await;
    let data = app
        .ok(
            "{ activities(kind: SCIENCE_PROJECT, first: 50) { edges { node { title area { code } cycle { startDate } } } } }",
            json!({}),
        )
        .await;
    let titles: Vec<String> = data["activities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|e| assert_eq!(e["node"]["area"]["code"], "SPS"))
        .map(|e| e["node"]["title"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("internet") && t.contains("academic")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("distance learning") && t.starts_with("sps project")),
        "{titles:?}"
    );
}

async fn the_1993_milestone_is_the_nato_science_programme_named_sps_since_2006(app: TestApp) {
    seed(&app).await;
    let data = app
        .ok(
            "{ partner(code: \"TKM\") { milestones { framework occurredOn description } } }",
            json!({}),
        )
        .await;
    let sps = data["partner"]["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["framework"] == "SPS")
        .unwrap()
        .clone();
    assert!(sps["occurredOn"].as_str().unwrap().starts_with("1993"));
    let text = sps["description"].as_str().unwrap();
    assert!(
        text.contains("NATO Science Programme") && text.contains("2006"),
        "{text}"
    );
    // A database seeded by an earlier demo gets the corrected text on the next run, once.
    let db = app.db().await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &db.conn,
        "UPDATE partnership_milestone SET description = 'Began taking part in the Science for Peace and Security programme.' WHERE framework = 'SPS'",
    )
    .await
    .unwrap();
    let again = ipcp::service::seed::demo(&db, &ipcp::service::uow::Actor::cli("seed"))
        .await
        .unwrap();
    assert_eq!(again, 1);
    let text = app
        .sql_text("SELECT description FROM partnership_milestone WHERE framework = 'SPS'")
        .await;
    assert!(text.contains("NATO Science Programme"), "{text}");
}

async fn the_demo_shows_evaluations_contacts_and_costs(app: TestApp) {
    seed(&app).await;
    let data = app
        .ok(
            "{ partner(code: \"TKM\") { pointsOfContact { role email } activeCycle { id } } }",
            json!({}),
        )
        .await;
    let contacts = data["partner"]["pointsOfContact"].as_array().unwrap();
    assert_eq!(contacts.len(), 2);
    assert!(contacts[0]["email"]
        .as_str()
        .unwrap()
        .ends_with("@example.org"));
    let cycle = data["partner"]["activeCycle"]["id"].clone();
    let r = app
        .ok(
            "query($c: ID!) { cycleReport(cycleId: $c) { evaluation { responses withheldReason items { mean } followUpsRecorded } costs { currencies { currency total { planned { amount } actual { amount } } } } } }",
            json!({"c": cycle}),
        )
        .await["cycleReport"]
        .clone();
    assert_eq!(r["evaluation"]["responses"], 3, "{r:#}");
    assert!(r["evaluation"]["withheldReason"].is_null());
    assert_eq!(r["evaluation"]["followUpsRecorded"], 2);
    assert_eq!(r["costs"]["currencies"][0]["currency"], "EUR");
    assert_eq!(
        r["costs"]["currencies"][0]["total"]["actual"]["amount"],
        "5800.00"
    );
    // The SPS grants belong to the 2024 IPCP, the previous one.
    let data = app
        .ok(
            "{ programmeCycles(first: 10, orderBy: {field: START_DATE}) { edges { node { id startDate } } } }",
            json!({}),
        )
        .await;
    let c2024 = data["programmeCycles"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["startDate"] == "2024-01-01")
        .unwrap()["node"]["id"]
        .clone();
    let r = app
        .ok(
            "query($c: ID!) { cycleCostReport(cycleId: $c) { currencies { bySource { code actual { amount } } } } }",
            json!({"c": c2024}),
        )
        .await;
    assert_eq!(
        r["cycleCostReport"]["currencies"][0]["bySource"][0],
        json!({"code": "SPS_GRANT", "actual": {"amount": "85600.00"}})
    );
}

crate::on_both_backends!(
    the_demo_shows_evaluations_contacts_and_costs,
    the_demo_courses_cover_every_training_area_the_text_names,
    the_sps_internet_and_distance_learning_projects_are_activities,
    the_1993_milestone_is_the_nato_science_programme_named_sps_since_2006,
);
