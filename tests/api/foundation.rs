//! Create, read, update and list every entity; bad input gets a coded error and writes nothing.

use serde_json::json;

use crate::helpers::{fixtures, TestApp};

async fn every_entity_can_be_created_and_read_back(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "CIVIL_PREPAREDNESS").await;
    app.ok(
        "mutation($p: ID!) { createPartnershipMilestone(input: {partnerId: $p, framework: PFP, occurredOn: \"1994-05-10\", description: \"Joined PfP\"}) { id } }",
        json!({ "p": partner }),
    )
    .await;
    let (cycle, _) = fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    let objective = app
        .ok(
            "mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"Train border guards\", indicator: \"officers trained\", target: 10}) { id status } }",
            json!({ "c": cycle, "a": area }),
        )
        .await;
    let objective = objective["createObjective"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let course = fixtures::course(&app, "BS-101", None).await;
    let iteration = fixtures::iteration(
        &app,
        &course,
        &crate::helpers::days_from_today(60),
        &crate::helpers::days_from_today(64),
        10,
        None,
    )
    .await;
    app.ok(
        "mutation($i: ID!, $o: ID!) { linkIterationObjective(iterationId: $i, objectiveId: $o) { id } }",
        json!({ "i": iteration, "o": objective }),
    )
    .await;
    let officer = fixtures::officer(&app, &partner, Some("3321")).await;
    app.ok(
        "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { status } }",
        json!({ "i": iteration, "o": officer }),
    )
    .await;
    app.ok(
        "mutation($c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: DISASTER_RESPONSE, title: \"EADRCC\", description: \"Floods\", startDate: \"2024-05-20\", endDate: \"2024-06-30\"}) { id } }",
        json!({ "c": cycle, "a": area }),
    )
    .await;

    let data = app
        .ok(
            "query($code: String!) { partner(code: $code) { code milestones { framework occurredOn }
               cycles { kind startDate endDate status
                 objectives { title target status area { code } }
                 activities(first: 10) { edges { node { kind title area { code } } } } }
               officers(first: 10) { edges { node { familyName slp
                 enrollments(first: 10) { edges { node { status iteration { capacity seatsHeld openSeats course { code }
                   objectives { title } } } } } } } } } }",
            json!({ "code": "TKM" }),
        )
        .await;
    let p = &data["partner"];
    assert_eq!(p["milestones"][0]["framework"], "PFP");
    let c = &p["cycles"][0];
    assert_eq!(
        (
            c["kind"].as_str(),
            c["endDate"].as_str(),
            c["status"].as_str()
        ),
        (Some("IPCP"), Some("2025-12-31"), Some("DRAFT"))
    );
    assert_eq!(c["objectives"][0]["area"]["code"], "CIVIL_PREPAREDNESS");
    assert_eq!(
        c["activities"]["edges"][0]["node"]["kind"],
        "DISASTER_RESPONSE"
    );
    let e = &p["officers"]["edges"][0]["node"]["enrollments"]["edges"][0]["node"];
    assert_eq!(e["status"], "CONFIRMED");
    assert_eq!(
        (
            e["iteration"]["seatsHeld"].as_i64(),
            e["iteration"]["openSeats"].as_i64()
        ),
        (Some(1), Some(9))
    );
    assert_eq!(
        e["iteration"]["objectives"][0]["title"],
        "Train border guards"
    );
}

async fn an_update_applies_the_changes_and_bumps_the_version(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let data = app
        .ok(
            "mutation($id: ID!) { updatePartner(input: {id: $id, version: 1, name: \"Turkmenistan\", notes: \"neutral\"}) { name notes version } }",
            json!({ "id": partner }),
        )
        .await;
    assert_eq!(
        data["updatePartner"],
        json!({ "name": "Turkmenistan", "notes": "neutral", "version": 2 })
    );
    let data = app
        .ok("mutation($id: ID!) { updatePartner(input: {id: $id, version: 2, notes: null}) { notes version } }", json!({ "id": partner }))
        .await;
    assert_eq!(
        data["updatePartner"],
        json!({ "notes": null, "version": 3 })
    );
}

async fn an_update_with_a_stale_version_is_refused_and_changes_nothing(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    app.ok("mutation($id: ID!) { updatePartner(input: {id: $id, version: 1, name: \"A\"}) { version } }", json!({ "id": partner }))
        .await;
    let code = app
        .error_code("mutation($id: ID!) { updatePartner(input: {id: $id, version: 1, name: \"B\"}) { version } }", json!({ "id": partner }))
        .await;
    assert_eq!(code, "STALE_VERSION");
    let data = app
        .ok(
            "query($id: ID!) { partner(id: $id) { name version } }",
            json!({ "id": partner }),
        )
        .await;
    assert_eq!(data["partner"], json!({ "name": "A", "version": 2 }));
}

async fn lists_page_forward_and_backward_in_a_stable_order(app: TestApp) {
    for code in ["AAA", "BBB", "CCC", "DDD", "EEE"] {
        fixtures::partner(&app, code).await;
    }
    let q = "query($first: Int, $after: String, $last: Int, $before: String) { partners(first: $first, after: $after, last: $last, before: $before) {
               totalCount edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let codes = |d: &serde_json::Value| -> Vec<String> {
        d["partners"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["code"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let page1 = app.ok(q, json!({ "first": 2 })).await;
    assert_eq!(codes(&page1), ["AAA", "BBB"]);
    assert_eq!(page1["partners"]["totalCount"], 5);
    assert_eq!(page1["partners"]["pageInfo"]["hasNextPage"], true);
    let after = page1["partners"]["pageInfo"]["endCursor"].clone();
    // A row inserted meanwhile does not shift the next page.
    fixtures::partner(&app, "FFF").await;
    let page2 = app.ok(q, json!({ "first": 2, "after": after })).await;
    assert_eq!(codes(&page2), ["CCC", "DDD"]);
    assert_eq!(page2["partners"]["pageInfo"]["hasPreviousPage"], true);
    let before = page2["partners"]["pageInfo"]["startCursor"].clone();
    let back = app.ok(q, json!({ "last": 5, "before": before })).await;
    assert_eq!(codes(&back), ["AAA", "BBB"]);
    let tail = app.ok(q, json!({ "last": 2 })).await;
    assert_eq!(codes(&tail), ["EEE", "FFF"]);
    assert_eq!(tail["partners"]["pageInfo"]["hasPreviousPage"], true);
}

async fn a_page_larger_than_100_is_refused(app: TestApp) {
    let code = app
        .error_code("{ partners(first: 101) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
    app.ok("{ partners(first: 100) { edges { cursor } } }", json!({}))
        .await;
}

async fn an_unknown_id_is_not_found(app: TestApp) {
    for query in [
        "{ partner(id: \"999\") { id } }",
        "{ programmeCycle(id: \"999\") { id } }",
        "{ courseIteration(id: \"abc\") { id } }",
        "{ enrollment(id: \"-1\") { id } }",
    ] {
        assert_eq!(
            app.error_code(query, json!({})).await,
            "NOT_FOUND",
            "{query}"
        );
    }
}

async fn a_reference_to_a_missing_record_is_refused_and_writes_nothing(app: TestApp) {
    let code = app
        .error_code(
            "mutation { createOfficer(input: {partnerId: \"42\", familyName: \"A\", givenName: \"B\", rank: \"Major\", service: ARMY}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM officer").await, 0);
}

async fn a_date_in_the_wrong_format_is_bad_user_input(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let code = app
        .error_code(
            "mutation($p: ID!) { createProgrammeCycle(input: {partnerId: $p, kind: IPCP, startDate: \"01/02/2024\"}) { id } }",
            json!({ "p": partner }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
    let code = app
        .error_code(
            "mutation($p: ID!, $s: Date!) { createProgrammeCycle(input: {partnerId: $p, kind: IPCP, startDate: $s}) { id } }",
            json!({ "p": partner, "s": "2024-02-30" }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM programme_cycle").await,
        0
    );
}

async fn invalid_fields_name_the_field_and_write_nothing(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    for (query, field) in [
        ("mutation { createPartner(input: {code: \"TK\", name: \"x\"}) { id } }", "code"),
        ("mutation { createPartner(input: {code: \"ABC\", name: \"  \"}) { id } }", "name"),
        ("mutation { createCourse(input: {code: \"X-1\", title: \"t\", topic: OTHER, organiser: \"o\", delivery: DISTANCE, durationDays: 0}) { id } }", "durationDays"),
        ("mutation { createCourse(input: {code: \"X-1\", title: \"t\", topic: OTHER, organiser: \"o\", delivery: DISTANCE, durationDays: 3, minSlp: \"6321\"}) { id } }", "minSlp"),
    ] {
        let body = app.gql(query, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{query}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{query}");
    }
    let body = app
        .gql(
            "mutation($p: ID!) { createOfficer(input: {partnerId: $p, familyName: \"A\", givenName: \"B\", rank: \"Major\", service: ARMY, slp: \"33\"}) { id } }",
            json!({ "p": partner }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "slp");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM partner").await, 1);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM course").await, 0);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM officer").await, 0);
}

async fn a_duplicate_code_is_a_conflict_not_a_database_error(app: TestApp) {
    fixtures::partner(&app, "TKM").await;
    let body = app
        .gql(
            "mutation { createPartner(input: {code: \"tkm\", name: \"Again\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "DUPLICATE_CODE");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains("constraint") && !message.contains("UNIQUE"),
        "database text leaked: {message}"
    );
}

async fn lists_filter_in_sql(app: TestApp) {
    let tkm = fixtures::partner(&app, "TKM").await;
    let kaz = fixtures::partner(&app, "KAZ").await;
    fixtures::cycle(&app, &tkm, "IPCP", "2020-01-01").await;
    fixtures::cycle(&app, &tkm, "IPCP", "2022-01-01").await;
    fixtures::cycle(&app, &kaz, "IPAP", "2022-01-01").await;
    let q = "query($p: ID, $on: Date, $k: ProgrammeKind) { programmeCycles(partnerId: $p, on: $on, kind: $k) { totalCount } }";
    assert_eq!(
        app.ok(q, json!({ "p": tkm })).await["programmeCycles"]["totalCount"],
        2
    );
    assert_eq!(
        app.ok(q, json!({ "p": tkm, "on": "2021-06-01" })).await["programmeCycles"]["totalCount"],
        1
    );
    assert_eq!(
        app.ok(q, json!({ "k": "IPCP" })).await["programmeCycles"]["totalCount"],
        2
    );
}

async fn the_demo_seed_is_idempotent(app: TestApp) {
    let db = ipcp::service::Db::connect(&ipcp::config::DatabaseArgs::new(app.database.url.clone()))
        .await
        .expect("connect");
    let first = ipcp::service::seed::demo(&db, &ipcp::service::uow::Actor::cli("seed"))
        .await
        .expect("seed");
    let second = ipcp::service::seed::demo(&db, &ipcp::service::uow::Actor::cli("seed"))
        .await
        .expect("seed again");
    assert!(first > 10, "the demo creates the seed's records ({first})");
    assert_eq!(second, 0);
    let data = app
        .ok(
            "{ partner(code: \"TKM\") { notes milestones { framework } } }",
            json!({}),
        )
        .await;
    let frameworks: Vec<&str> = data["partner"]["milestones"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["framework"].as_str())
        .collect();
    assert_eq!(frameworks, ["NACC", "SPS", "PFP", "EAPC"]);
    assert!(data["partner"]["notes"]
        .as_str()
        .unwrap_or_default()
        .contains("neutrality"));
}

crate::on_both_backends!(
    every_entity_can_be_created_and_read_back,
    an_update_applies_the_changes_and_bumps_the_version,
    an_update_with_a_stale_version_is_refused_and_changes_nothing,
    lists_page_forward_and_backward_in_a_stable_order,
    a_page_larger_than_100_is_refused,
    an_unknown_id_is_not_found,
    a_reference_to_a_missing_record_is_refused_and_writes_nothing,
    a_date_in_the_wrong_format_is_bad_user_input,
    invalid_fields_name_the_field_and_write_nothing,
    a_duplicate_code_is_a_conflict_not_a_database_error,
    lists_filter_in_sql,
    the_demo_seed_is_idempotent,
);

#[test]
fn schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .unwrap_or_default();
    assert!(
        committed == ipcp::graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and review the diff"
    );
}
