//! Programme cycle invariants (DOMAIN.md 1-3), one test per rule; every refusal changes nothing.

use serde_json::{json, Value};

use crate::helpers::{fixtures, TestApp};

const APPROVE: &str = "mutation($id: ID!, $v: Int!, $nac: Date, $p: Date) { approveProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: $nac, partnerApprovedOn: $p}) { id status version startDate endDate } }";
const ACTIVATE: &str = "mutation($id: ID!, $v: Int!) { activateProgrammeCycle(input: {id: $id, version: $v}) { id status version } }";
const CLOSE: &str = "mutation($id: ID!, $v: Int!) { closeProgrammeCycle(input: {id: $id, version: $v}) { id status version } }";
const RENEW: &str = "mutation($id: ID!, $v: Int!) { renewProgrammeCycle(input: {id: $id, version: $v}) { id status version startDate endDate kind renews { id } } }";
const CYCLE: &str = "query($id: ID!) { programmeCycle(id: $id) { id status version startDate endDate renewedBy { id } objectives { title status carriedOverFrom { id } } } }";

/// Everything a refused cycle request could have touched.
async fn cycle_state(app: &TestApp) -> (i64, i64, i64) {
    (
        app.sql_count("SELECT COUNT(*) FROM programme_cycle").await,
        app.sql_count("SELECT COALESCE(SUM(version), 0) FROM programme_cycle")
            .await,
        app.sql_count("SELECT COUNT(*) FROM objective").await,
    )
}

async fn create_cycle(app: &TestApp, partner: &str, kind: &str, start: &str) -> Value {
    app.ok(
        "mutation($p: ID!, $k: ProgrammeKind!, $s: Date!) { createProgrammeCycle(input: {partnerId: $p, kind: $k, startDate: $s}) { id startDate endDate status version } }",
        json!({ "p": partner, "k": kind, "s": start }),
    )
    .await["createProgrammeCycle"]
        .clone()
}

/// A cycle approved on both sides; returns (id, version).
pub(crate) async fn approved(app: &TestApp, partner: &str, start: &str) -> (String, i64) {
    let (id, v) = fixtures::cycle(app, partner, "IPCP", start).await;
    let data = app
        .ok(
            APPROVE,
            json!({ "id": id, "v": v, "nac": "2023-06-01", "p": "2023-06-02" }),
        )
        .await;
    let c = &data["approveProgrammeCycle"];
    assert_eq!(c["status"], "APPROVED");
    (id, c["version"].as_i64().unwrap())
}

pub(crate) async fn active(app: &TestApp, partner: &str, start: &str) -> (String, i64) {
    let (id, v) = approved(app, partner, start).await;
    let data = app.ok(ACTIVATE, json!({ "id": id, "v": v })).await;
    assert_eq!(data["activateProgrammeCycle"]["status"], "ACTIVE");
    (
        id,
        data["activateProgrammeCycle"]["version"].as_i64().unwrap(),
    )
}

async fn a_cycle_lasts_as_long_as_its_kind_says_including_29_february(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    for (kind, start, end) in [
        ("IPCP", "2024-02-29", "2026-02-28"),
        ("IPCP", "2022-03-01", "2024-02-29"),
        ("IPCP", "2024-01-01", "2025-12-31"),
        ("IPAP", "2020-02-29", "2022-02-28"),
        ("IPP", "1995-01-01", "1997-12-31"),
    ] {
        let c = create_cycle(&app, &partner, kind, start).await;
        assert_eq!(c["endDate"], end, "{kind} starting {start}");
    }
    let before = cycle_state(&app).await;
    let code = app
        .error_code(
            "mutation($p: ID!) { createProgrammeCycle(input: {partnerId: $p, kind: IPCP, startDate: \"2024-02-29\", endDate: \"2026-03-01\"}) { id } }",
            json!({ "p": partner }),
        )
        .await;
    assert_eq!(code, "CYCLE_LENGTH");
    let code = app
        .error_code(
            "mutation($p: ID!) { createProgrammeCycle(input: {partnerId: $p, kind: ITPP, startDate: \"2024-01-01\"}) { id } }",
            json!({ "p": partner }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT", "an ITPP's length is as agreed");
    assert_eq!(cycle_state(&app).await, before);
    let data = app
        .ok(
            "mutation($p: ID!) { createProgrammeCycle(input: {partnerId: $p, kind: ITPP, startDate: \"2024-01-01\", endDate: \"2028-06-30\"}) { endDate } }",
            json!({ "p": partner }),
        )
        .await;
    assert_eq!(data["createProgrammeCycle"]["endDate"], "2028-06-30");
}

async fn approval_needs_both_approval_dates(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (id, v) = fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    let before = cycle_state(&app).await;
    for vars in [
        json!({ "id": id, "v": v }),
        json!({ "id": id, "v": v, "nac": "2023-12-01" }),
        json!({ "id": id, "v": v, "p": "2023-12-01" }),
    ] {
        assert_eq!(
            app.error_code(APPROVE, vars).await,
            "APPROVAL_DATES_REQUIRED"
        );
    }
    assert_eq!(cycle_state(&app).await, before);
    let data = app.ok(CYCLE, json!({ "id": id })).await;
    assert_eq!(data["programmeCycle"]["status"], "DRAFT");
    let data = app
        .ok(
            APPROVE,
            json!({ "id": id, "v": v, "nac": "2023-12-01", "p": "2023-12-05" }),
        )
        .await;
    assert_eq!(data["approveProgrammeCycle"]["status"], "APPROVED");
}

async fn a_partners_non_draft_cycles_never_overlap(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let other_partner = fixtures::partner(&app, "KAZ").await;
    approved(&app, &partner, "2024-01-01").await;
    // A draft may overlap (it is only a proposal) ...
    let (draft, v) = fixtures::cycle(&app, &partner, "IPCP", "2025-12-31").await;
    // ... but cannot be approved while it does, not even by a single day.
    let before = cycle_state(&app).await;
    let code = app
        .error_code(
            APPROVE,
            json!({ "id": draft, "v": v, "nac": "2023-06-01", "p": "2023-06-02" }),
        )
        .await;
    assert_eq!(code, "CYCLE_OVERLAP");
    assert_eq!(cycle_state(&app).await, before);
    let data = app.ok(CYCLE, json!({ "id": draft })).await;
    assert_eq!(data["programmeCycle"]["status"], "DRAFT");
    // Another partner's cycles are no obstacle.
    approved(&app, &other_partner, "2024-01-01").await;
}

async fn a_cycle_starting_the_day_after_another_ends_does_not_overlap(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    approved(&app, &partner, "2022-03-01").await; // ends 2024-02-29
    let (id, _) = approved(&app, &partner, "2024-03-01").await;
    let data = app.ok(CYCLE, json!({ "id": id })).await;
    assert_eq!(data["programmeCycle"]["status"], "APPROVED");
}

async fn a_partner_has_at_most_one_active_cycle(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (first, first_v) = active(&app, &partner, "2022-01-01").await;
    let (second, second_v) = approved(&app, &partner, "2024-01-01").await;
    let before = cycle_state(&app).await;
    let code = app
        .error_code(ACTIVATE, json!({ "id": second, "v": second_v }))
        .await;
    assert_eq!(code, "ONE_ACTIVE_CYCLE");
    assert_eq!(cycle_state(&app).await, before);
    let data = app.ok(CLOSE, json!({ "id": first, "v": first_v })).await;
    assert_eq!(data["closeProgrammeCycle"]["status"], "CLOSED");
    let data = app
        .ok(ACTIVATE, json!({ "id": second, "v": second_v }))
        .await;
    assert_eq!(data["activateProgrammeCycle"]["status"], "ACTIVE");
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM programme_cycle WHERE status = 'ACTIVE'")
            .await,
        1
    );
}

async fn cycle_status_changes_only_along_the_lifecycle(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (draft, v) = fixtures::cycle(&app, &partner, "IPCP", "2020-01-01").await;
    let before = cycle_state(&app).await;
    assert_eq!(
        app.error_code(ACTIVATE, json!({ "id": draft, "v": v }))
            .await,
        "INVALID_TRANSITION"
    );
    assert_eq!(
        app.error_code(CLOSE, json!({ "id": draft, "v": v })).await,
        "INVALID_TRANSITION"
    );
    assert_eq!(
        app.error_code(RENEW, json!({ "id": draft, "v": v })).await,
        "INVALID_TRANSITION"
    );
    assert_eq!(cycle_state(&app).await, before);
    let (id, v) = approved(&app, &partner, "2024-01-01").await;
    let before = cycle_state(&app).await;
    assert_eq!(
        app.error_code(CLOSE, json!({ "id": id, "v": v })).await,
        "INVALID_TRANSITION"
    );
    assert_eq!(
        app.error_code(
            APPROVE,
            json!({ "id": id, "v": v, "nac": "2023-06-01", "p": "2023-06-02" })
        )
        .await,
        "INVALID_TRANSITION"
    );
    assert_eq!(cycle_state(&app).await, before);
}

async fn renewal_creates_the_successor_the_day_after_links_it_and_carries_over_open_objectives(
    app: TestApp,
) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "EDUCATION").await;
    let (id, v) = active(&app, &partner, "2022-03-01").await; // ends 2024-02-29
    for (title, status) in [
        ("planned", "PLANNED"),
        ("on track", "ON_TRACK"),
        ("at risk", "AT_RISK"),
        ("achieved", "ACHIEVED"),
        ("dropped", "DROPPED"),
    ] {
        let data = app
            .ok(
                "mutation($c: ID!, $a: ID!, $t: String!) { createObjective(input: {cycleId: $c, areaId: $a, title: $t, indicator: \"officers trained\", target: 5}) { id version } }",
                json!({ "c": id, "a": area, "t": title }),
            )
            .await;
        let o = &data["createObjective"];
        if status != "PLANNED" {
            app.ok(
                "mutation($id: ID!, $v: Int!, $s: ObjectiveStatus!) { updateObjective(input: {id: $id, version: $v, status: $s}) { status } }",
                json!({ "id": o["id"], "v": o["version"], "s": status }),
            )
            .await;
        }
    }
    let data = app.ok(RENEW, json!({ "id": id, "v": v })).await;
    let next = &data["renewProgrammeCycle"];
    assert_eq!(
        (
            next["startDate"].as_str(),
            next["endDate"].as_str(),
            next["status"].as_str(),
            next["kind"].as_str()
        ),
        (
            Some("2024-03-01"),
            Some("2026-02-28"),
            Some("DRAFT"),
            Some("IPCP")
        )
    );
    assert_eq!(next["renews"]["id"], id.as_str());
    let old = app.ok(CYCLE, json!({ "id": id })).await;
    assert_eq!(old["programmeCycle"]["renewedBy"]["id"], next["id"]);
    let new = app.ok(CYCLE, json!({ "id": next["id"] })).await;
    let mut carried: Vec<(String, String)> = new["programmeCycle"]["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert!(o["carriedOverFrom"]["id"].is_string());
            (
                o["title"].as_str().unwrap().to_owned(),
                o["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    carried.sort();
    assert_eq!(
        carried,
        [
            ("at risk".to_owned(), "PLANNED".to_owned()),
            ("on track".to_owned(), "PLANNED".to_owned()),
            ("planned".to_owned(), "PLANNED".to_owned()),
        ]
    );
}

async fn a_cycle_is_renewed_only_once(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (id, v) = approved(&app, &partner, "2024-01-01").await;
    app.ok(RENEW, json!({ "id": id, "v": v })).await;
    let before = cycle_state(&app).await;
    assert_eq!(
        app.error_code(RENEW, json!({ "id": id, "v": v })).await,
        "ALREADY_RENEWED"
    );
    assert_eq!(cycle_state(&app).await, before);
}

async fn activating_the_successor_supersedes_the_old_cycle(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (id, v) = active(&app, &partner, "2024-01-01").await;
    let data = app.ok(RENEW, json!({ "id": id, "v": v })).await;
    let next = data["renewProgrammeCycle"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let next_v = data["renewProgrammeCycle"]["version"].as_i64().unwrap();
    let data = app
        .ok(
            APPROVE,
            json!({ "id": next, "v": next_v, "nac": "2025-11-01", "p": "2025-11-02" }),
        )
        .await;
    let next_v = data["approveProgrammeCycle"]["version"].as_i64().unwrap();
    let data = app.ok(ACTIVATE, json!({ "id": next, "v": next_v })).await;
    assert_eq!(data["activateProgrammeCycle"]["status"], "ACTIVE");
    let old = app.ok(CYCLE, json!({ "id": id })).await;
    assert_eq!(old["programmeCycle"]["status"], "SUPERSEDED");
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM programme_cycle WHERE status = 'ACTIVE'")
            .await,
        1
    );
}

async fn a_cycle_change_with_a_stale_version_is_refused_and_changes_nothing(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let (id, v) = approved(&app, &partner, "2024-01-01").await;
    let before = cycle_state(&app).await;
    for q in [ACTIVATE, RENEW] {
        assert_eq!(
            app.error_code(q, json!({ "id": id, "v": v - 1 })).await,
            "STALE_VERSION"
        );
    }
    assert_eq!(cycle_state(&app).await, before);
}

async fn a_draft_cycles_dates_cannot_move_away_from_its_activities(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "CIVIL_PREPAREDNESS").await;
    let (id, v) = fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    app.ok(
        "mutation($c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: DISASTER_RESPONSE, title: \"EADRCC\", description: \"Floods\", startDate: \"2024-05-20\", endDate: \"2024-06-30\"}) { id } }",
        json!({ "c": id, "a": area }),
    )
    .await;
    let before = cycle_state(&app).await;
    let code = app
        .error_code(
            "mutation($id: ID!, $v: Int!) { updateProgrammeCycle(input: {id: $id, version: $v, startDate: \"2024-06-01\"}) { id } }",
            json!({ "id": id, "v": v }),
        )
        .await;
    assert_eq!(code, "OUTSIDE_CYCLE");
    assert_eq!(cycle_state(&app).await, before);
    let data = app
        .ok(
            "mutation($id: ID!, $v: Int!) { updateProgrammeCycle(input: {id: $id, version: $v, startDate: \"2024-05-01\"}) { endDate } }",
            json!({ "id": id, "v": v }),
        )
        .await;
    assert_eq!(data["updateProgrammeCycle"]["endDate"], "2026-04-30");
}

crate::on_both_backends!(
    a_cycle_lasts_as_long_as_its_kind_says_including_29_february,
    approval_needs_both_approval_dates,
    a_partners_non_draft_cycles_never_overlap,
    a_cycle_starting_the_day_after_another_ends_does_not_overlap,
    a_partner_has_at_most_one_active_cycle,
    cycle_status_changes_only_along_the_lifecycle,
    renewal_creates_the_successor_the_day_after_links_it_and_carries_over_open_objectives,
    a_cycle_is_renewed_only_once,
    activating_the_successor_supersedes_the_old_cycle,
    a_cycle_change_with_a_stale_version_is_refused_and_changes_nothing,
    a_draft_cycles_dates_cannot_move_away_from_its_activities,
);
