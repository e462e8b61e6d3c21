//! Batched reads: nested fields are batched (the statements of a deep query do not grow with its
//! rows), nested pages are right, and a partner with its active cycle is read in one statement.

use entity::enums::Role;
use ipcp::config::ServeArgs;
use serde_json::{json, Value};

use crate::helpers::{days_from_today, fixtures, Backend, TestApp};

const DASHBOARD: &str = r#"query($code: String!) { partner(code: $code) { name
  cycles { id status daysUntilRenewal
    objectives { id title indicatorActual area { code }
      iterations { id startDate course { code }
        enrollments(first: 100) { totalCount pageInfo { hasNextPage }
          edges { node { id status officer { rank service } } } } } }
    activities(first: 20) { totalCount edges { node { id title } } } } } }"#;

/// A partner with one cycle of `rows / 5` objectives, each served by one iteration holding five
/// enrollments: `rows` enrollments in all.
async fn programme(app: &TestApp, code: &str, rows: usize) {
    let partner = fixtures::partner(app, code).await;
    let area = fixtures::area(app, &format!("AREA_{code}")).await;
    let (cycle, _) = fixtures::cycle(app, &partner, "IPCP", "2024-01-01").await;
    let course = fixtures::course(app, &format!("C-{code}"), None).await;
    app.ok(
        "mutation($c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: \"Talks\", description: \"d\", startDate: \"2024-05-20\", endDate: \"2024-05-21\"}) { id } }",
        json!({ "c": cycle, "a": area }),
    )
    .await;
    for i in 0..rows / 5 {
        let objective = app
            .ok(
                "mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"Objective\", indicator: \"officers trained\", target: 5}) { id } }",
                json!({ "c": cycle, "a": area }),
            )
            .await["createObjective"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // Iterations on distinct days ahead, none overlapping another.
        let start = days_from_today(400 + i as i64);
        let iteration = fixtures::iteration(app, &course, &start, &start, 10, None).await;
        app.ok(
            "mutation($i: ID!, $o: ID!) { linkIterationObjective(iterationId: $i, objectiveId: $o) { id } }",
            json!({ "i": iteration, "o": objective }),
        )
        .await;
        for _ in 0..5 {
            let officer = fixtures::officer(app, &partner, None).await;
            app.ok(
                "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id } }",
                json!({ "i": iteration, "o": officer }),
            )
            .await;
        }
    }
}

/// Runs the dashboard query for `code`; the statements it ran and the enrollments it returned.
async fn dashboard(app: &TestApp, code: &str) -> (u64, usize) {
    let body = app.gql(DASHBOARD, json!({ "code": code })).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    let statements = body["extensions"]["statementCount"]
        .as_u64()
        .expect("statementCount extension");
    let mut enrollments = 0;
    for cycle in body["data"]["partner"]["cycles"].as_array().unwrap() {
        assert_eq!(cycle["activities"]["totalCount"], 1);
        for objective in cycle["objectives"].as_array().unwrap() {
            for iteration in objective["iterations"].as_array().unwrap() {
                let page = &iteration["enrollments"];
                assert_eq!(page["totalCount"], 5);
                assert_eq!(page["pageInfo"]["hasNextPage"], false);
                for edge in page["edges"].as_array().unwrap() {
                    assert_eq!(edge["node"]["officer"]["rank"], "Captain");
                    enrollments += 1;
                }
            }
        }
    }
    (statements, enrollments)
}

async fn statements_do_not_grow_with_rows(backend: Backend) {
    let serve = ServeArgs {
        expose_statement_count: true,
        rate_limit_per_second: 0,
        // The webhook worker's polls would be counted with the request's statements.
        webhooks: ipcp::config::WebhookArgs {
            webhook_worker: false,
            ..Default::default()
        },
        ..ServeArgs::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    programme(&app, "TEN", 10).await;
    programme(&app, "HUN", 100).await;
    let (small, small_rows) = dashboard(&app, "TEN").await;
    let (large, large_rows) = dashboard(&app, "HUN").await;
    assert_eq!((small_rows, large_rows), (10, 100));
    assert_eq!(
        small, large,
        "the dashboard query ran {small} statements for 10 rows and {large} for 100"
    );
    // 11 is one batch for each loader this query reaches (partners to officers, the indicators,
    // the pages and their counts): a level split into two batches shows here.
    assert!(small <= 11, "{small} statements for a depth-6 query");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_deep_dashboard_query_runs_as_many_statements_for_100_rows_as_for_10() {
    statements_do_not_grow_with_rows(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_deep_dashboard_query_runs_as_many_statements_for_100_rows_as_for_10() {
    statements_do_not_grow_with_rows(Backend::Postgres).await
}

async fn nested_pages_follow_their_parent(app: TestApp) {
    let partner = fixtures::partner(&app, "PAG").await;
    let course = fixtures::course(&app, "C-PAG", None).await;
    let a = fixtures::iteration(
        &app,
        &course,
        &days_from_today(60),
        &days_from_today(61),
        10,
        None,
    )
    .await;
    let b = fixtures::iteration(
        &app,
        &course,
        &days_from_today(90),
        &days_from_today(91),
        10,
        None,
    )
    .await;
    for iteration in [&a, &a, &a, &b] {
        let officer = fixtures::officer(&app, &partner, None).await;
        app.ok(
            "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id } }",
            json!({ "i": iteration, "o": officer }),
        )
        .await;
    }
    let q = "query($c: ID!, $after: String) { course(id: $c) { iterations { edges { node { id enrollments(first: 2, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } } } } } }";
    let data = app.ok(q, json!({ "c": course })).await;
    let its = data["course"]["iterations"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let first = &its[0]["node"]["enrollments"];
    assert_eq!(first["totalCount"], 3);
    assert_eq!(first["edges"].as_array().unwrap().len(), 2);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = &its[1]["node"]["enrollments"];
    assert_eq!(second["totalCount"], 1);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    let cursor = first["pageInfo"]["endCursor"].clone();
    let data = app.ok(q, json!({ "c": course, "after": cursor })).await;
    let rest = &data["course"]["iterations"]["edges"][0]["node"]["enrollments"];
    assert_eq!(rest["edges"].as_array().unwrap().len(), 1);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(rest["totalCount"], 3);
}

/// An iteration's enrollment list reads the officers along with the page when the selection asks
/// for them: each enrollment must still get its own officer, through `edges` and `nodes`, with
/// personal data hidden from a caller who may not see it.
async fn listed_enrollments_come_with_their_own_officers(app: TestApp) {
    let partner = fixtures::partner(&app, "OFF").await;
    let course = fixtures::course(&app, "C-OFF", None).await;
    let a = fixtures::iteration(
        &app,
        &course,
        &days_from_today(60),
        &days_from_today(61),
        10,
        None,
    )
    .await;
    let b = fixtures::iteration(
        &app,
        &course,
        &days_from_today(90),
        &days_from_today(91),
        10,
        None,
    )
    .await;
    let mut expected = std::collections::HashMap::new();
    for (i, iteration) in [&a, &a, &a, &b, &b].into_iter().enumerate() {
        let name = format!("Family{i}");
        let officer = app
            .ok(
                "mutation($p: ID!, $n: String!) { createOfficer(input: {partnerId: $p, familyName: $n, givenName: \"G\", rank: \"Major\", service: NAVY}) { id } }",
                json!({ "p": partner, "n": name }),
            )
            .await["createOfficer"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let enrollment = app
            .ok(
                "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o}) { id } }",
                json!({ "i": iteration, "o": officer }),
            )
            .await["nominateOfficer"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        expected.insert(enrollment, (officer, name));
    }
    let q = "query($c: ID!) { course(id: $c) { iterations { edges { node { enrollments { edges { node { id officer { id familyName } } } nodes { id officer { id familyName } } } } } } } }";
    let check = |data: &Value, names_visible: bool| {
        let mut seen = 0;
        for it in data["course"]["iterations"]["edges"].as_array().unwrap() {
            let page = &it["node"]["enrollments"];
            let listed = page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["node"])
                .chain(page["nodes"].as_array().unwrap());
            for node in listed {
                let (officer, name) = &expected[node["id"].as_str().unwrap()];
                assert_eq!(node["officer"]["id"], officer.as_str(), "{node}");
                if names_visible {
                    assert_eq!(node["officer"]["familyName"], name.as_str(), "{node}");
                } else {
                    assert!(node["officer"]["familyName"].is_null(), "{node}");
                }
                seen += 1;
            }
        }
        assert_eq!(seen, 10);
    };
    check(&app.ok(q, json!({ "c": course })).await, true);
    let analyst = app.token_for(Role::Analyst).await;
    let (_, body) = app.gql_as(Some(&analyst), q, json!({ "c": course })).await;
    assert!(body.get("errors").is_none(), "{body}");
    check(&body["data"], false);
}

/// A list that shows officers reads each enrollment and its officer from one joined row, by column
/// position; on PostgreSQL the first row's column types are checked and the rows after it are
/// decoded without the check. Every field of every row must come out as the enrollment and the
/// officer read alone show it: the first row is the sparse one (NULLs), so the rows with every
/// field set are decoded unchecked.
async fn listed_enrollments_and_officers_show_every_field_as_read_alone(app: TestApp) {
    const ENROLLMENT: &str = "id status waitlistPosition nominatedAt waitlistedAt confirmedAt \
        attendedAt outcomeAt endedAt decidedBy evaluationScore version";
    const OFFICER: &str = "id familyName givenName rank service position slp version";
    let partner = fixtures::partner(&app, "POS").await;
    let course = fixtures::course(&app, "C-POS", None).await;
    // 2020: started, so attendance and an outcome can be recorded.
    let held = fixtures::iteration(&app, &course, "2020-03-02", "2020-03-06", 2, None).await;
    let officer = |family: &'static str,
                   position: Option<&'static str>,
                   slp: Option<&'static str>| {
        let app = &app;
        let partner = &partner;
        async move {
            app.ok(
                "mutation($p: ID!, $f: String!, $pos: String, $slp: String) { createOfficer(input: {partnerId: $p, familyName: $f, givenName: \"Given\", rank: \"Commander\", service: NAVY, position: $pos, slp: $slp}) { id } }",
                json!({ "p": partner, "f": family, "pos": position, "slp": slp }),
            )
            .await["createOfficer"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let sparse = officer("Mary", None, None).await;
    let full = officer("Ashgabat", Some("Liaison officer"), Some("3232")).await;
    let waiting = officer("Merv", None, None).await;
    // The first holds a seat and nothing more; the second takes the other seat and completes with
    // a score; the third is waitlisted.
    crate::enrollment_rules::nominate(&app, &held, &sparse).await;
    let e = crate::enrollment_rules::nominate(&app, &held, &full).await;
    let e = crate::enrollment_rules::act(&app, "attend", &e).await;
    app.ok(
        "mutation($id: ID!, $v: Int!) { recordCompletion(input: {id: $id, version: $v, evaluationScore: 87.5}) { id } }",
        json!({ "id": e["id"], "v": e["version"] }),
    )
    .await;
    crate::enrollment_rules::nominate(&app, &held, &waiting).await;

    let listed = app
        .ok(
            &format!("query($i: ID!) {{ courseIteration(id: $i) {{ enrollments {{ nodes {{ {ENROLLMENT} officer {{ {OFFICER} }} }} }} }} }}"),
            json!({ "i": held }),
        )
        .await;
    let nodes = listed["courseIteration"]["enrollments"]["nodes"]
        .as_array()
        .unwrap();
    assert_eq!(nodes.len(), 3, "{listed}");
    assert!(nodes[0]["attendedAt"].is_null(), "{listed}");
    assert!(nodes[0]["officer"]["slp"].is_null(), "{listed}");
    assert_eq!(nodes[1]["status"], "COMPLETED", "{listed}");
    assert_eq!(nodes[1]["evaluationScore"], 87.5, "{listed}");
    assert_eq!(nodes[1]["officer"]["slp"], "3232", "{listed}");
    assert_eq!(
        nodes[1]["officer"]["position"], "Liaison officer",
        "{listed}"
    );
    assert_eq!(nodes[2]["status"], "WAITLISTED", "{listed}");
    for node in nodes {
        let alone = app
            .ok(
                &format!("query($e: ID!) {{ enrollment(id: $e) {{ {ENROLLMENT} }} }}"),
                json!({ "e": node["id"] }),
            )
            .await;
        let officer = app
            .ok(
                &format!("query($o: ID!) {{ officer(id: $o) {{ {OFFICER} }} }}"),
                json!({ "o": node["officer"]["id"] }),
            )
            .await;
        let mut listed_enrollment = node.clone();
        listed_enrollment.as_object_mut().unwrap().remove("officer");
        assert_eq!(listed_enrollment, alone["enrollment"]);
        assert_eq!(node["officer"], officer["officer"]);
    }
}

crate::on_both_backends!(
    nested_pages_follow_their_parent,
    listed_enrollments_come_with_their_own_officers,
    listed_enrollments_and_officers_show_every_field_as_read_alone
);

/// `partner { activeCycle }`, the dashboards' most frequent question, is read in one statement
/// (compiled reads: the partner's JSON with its ACTIVE cycle's built in the database), by code or
/// by id, with or without an active cycle, every field as read without the join.
async fn a_partner_with_its_active_cycle_is_read_in_one_statement(backend: Backend) {
    let serve = ServeArgs {
        expose_statement_count: true,
        rate_limit_per_second: 0,
        // The webhook worker's polls would be counted with the request's statements.
        webhooks: ipcp::config::WebhookArgs {
            webhook_worker: false,
            ..Default::default()
        },
        ..ServeArgs::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let partner = fixtures::partner(&app, "TKM").await;
    let idle = fixtures::partner(&app, "KAZ").await;
    crate::cycle_rules::approved(&app, &partner, "2020-01-01").await;
    let (active, _) = crate::cycle_rules::active(&app, &partner, "2022-01-01").await;
    fixtures::cycle(&app, &idle, "IPCP", "2024-01-01").await;
    let ask = |args: String| {
        let app = &app;
        async move {
            let body = app
                .gql(
                    &format!(
                        "{{ partner({args}) {{ id code activeCycle {{ id status startDate }} }} }}"
                    ),
                    json!({}),
                )
                .await;
            assert!(body.get("errors").is_none(), "{body}");
            (
                body["data"]["partner"].clone(),
                body["extensions"]["statementCount"].as_u64(),
            )
        }
    };
    let (by_code, statements) = ask("code: \"TKM\"".into()).await;
    assert_eq!(by_code["id"], partner.as_str());
    assert_eq!(by_code["activeCycle"]["id"], active.as_str());
    assert_eq!(by_code["activeCycle"]["status"], "ACTIVE");
    assert_eq!(statements, Some(1));
    let (by_id, statements) = ask(format!("id: \"{partner}\"")).await;
    assert_eq!(by_id, by_code);
    assert_eq!(statements, Some(1));
    let (without, statements) = ask("code: \"kaz\"".into()).await;
    assert_eq!(without["code"], "KAZ");
    assert_eq!(without["activeCycle"], Value::Null);
    assert_eq!(statements, Some(1));
    // Every field comes out as the partner and its cycles read without the join show it.
    const PARTNER: &str = "id code name notes version createdAt updatedAt";
    const CYCLE: &str = "id kind startDate endDate status nacApprovedOn partnerApprovedOn \
        version createdAt renews { id }";
    let joined = app
        .ok(
            &format!("{{ partner(code: \"TKM\") {{ {PARTNER} activeCycle {{ {CYCLE} }} }} }}"),
            json!({}),
        )
        .await;
    let apart = app
        .ok(
            &format!("{{ partner(code: \"TKM\") {{ {PARTNER} cycles {{ {CYCLE} }} }} }}"),
            json!({}),
        )
        .await;
    let listed = apart["partner"]["cycles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == active.as_str())
        .unwrap();
    assert_eq!(&joined["partner"]["activeCycle"], listed);
    let (mut joined, mut apart) = (joined["partner"].clone(), apart["partner"].clone());
    joined.as_object_mut().unwrap().remove("activeCycle");
    apart.as_object_mut().unwrap().remove("cycles");
    assert_eq!(joined, apart);
    let body = app
        .gql(
            "{ partner(code: \"UZB\") { id activeCycle { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_partner_with_its_active_cycle_is_read_in_one_statement() {
    a_partner_with_its_active_cycle_is_read_in_one_statement(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_partner_with_its_active_cycle_is_read_in_one_statement() {
    a_partner_with_its_active_cycle_is_read_in_one_statement(Backend::Postgres).await
}
