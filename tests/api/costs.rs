//! Cost lines and the cycle cost report: integer minor units with an ISO 4217 code, planned
//! against actual, each currency on its own (invariant 10).

use serde_json::{json, Value};

use crate::evaluation::{day, enrolled};
use crate::helpers::{fixtures, TestApp};

pub const RECORD: &str = "mutation($i: ID, $a: ID, $p: ID, $cat: CostCategory! = TUITION, $st: CostStage! = PLANNED, $m: Int!, $cur: String! = \"EUR\", $src: FundingSource! = NATO_COMMON_FUNDING, $n: String) { recordCostLine(input: {iterationId: $i, activityId: $a, partnerId: $p, category: $cat, stage: $st, amountMinor: $m, currency: $cur, fundingSource: $src, fundingNation: $n}) { id iterationId activityId partnerId category stage amount { amountMinor currency amount } fundingSource fundingNation version } }";
const REPORT: &str = "query($c: ID!, $l: Language! = EN) { cycleCostReport(cycleId: $c, lang: $l) { officersTrained currencies { currency total { planned { amountMinor amount } actual { amountMinor amount } } byCategory { code label planned { amountMinor } actual { amountMinor } } bySource { code label nation planned { amountMinor } actual { amountMinor } } costPerOfficerTrained { amountMinor amount currency } } } }";

struct Setup {
    partner: String,
    cycle: String,
    activity: String,
    iteration: String,
}

/// A partner with a cycle that started 100 days ago, an activity in it and an iteration held in it.
async fn setup(app: &TestApp) -> Setup {
    let partner = fixtures::partner(app, "TKM").await;
    let (cycle, _) = fixtures::cycle(app, &partner, "IPCP", &day(-100)).await;
    let area = fixtures::area(app, "SPS").await;
    let activity = app
        .ok(
            "mutation($c: ID!, $a: ID!, $s: Date!, $e: Date!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: SCIENCE_PROJECT, title: \"Academic internet\", description: \"SPS\", startDate: $s, endDate: $e}) { id } }",
            json!({"c": cycle, "a": area, "s": day(-90), "e": day(-30)}),
        )
        .await["recordActivity"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, iteration) = crate::evaluation::iteration(app, "CO-1", -50, -45).await;
    Setup {
        partner,
        cycle,
        activity,
        iteration,
    }
}

async fn line(app: &TestApp, vars: Value) -> Value {
    app.ok(RECORD, vars).await["recordCostLine"].clone()
}

async fn state(app: &TestApp) -> Vec<i64> {
    let mut s = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM cost_line",
        "SELECT COALESCE(SUM(version), 0) FROM cost_line",
        "SELECT COUNT(*) FROM audit_event",
    ] {
        s.push(app.sql_count(sql).await);
    }
    s
}

async fn refused(app: &TestApp, query: &str, vars: Value) -> String {
    let before = state(app).await;
    let code = app.error_code(query, vars).await;
    assert_eq!(state(app).await, before, "{code}: nothing written");
    code
}

async fn a_cost_line_is_an_integer_amount_in_minor_units_with_its_currency(app: TestApp) {
    let s = setup(&app).await;
    let l = line(
        &app,
        json!({"i": s.iteration, "p": s.partner, "m": 125_000, "cur": "eur"}),
    )
    .await;
    assert_eq!(
        l["amount"],
        json!({"amountMinor": 125_000, "currency": "EUR", "amount": "1250.00"})
    );
    assert_eq!(l["iterationId"], s.iteration.as_str());
    assert_eq!(l["partnerId"], s.partner.as_str());
    // No decimals in yen; an amount beyond 32 bits is kept exactly.
    let l = line(&app, json!({"a": s.activity, "m": 5_000_000_000_i64, "cur": "JPY", "src": "SPS_GRANT", "cat": "GRANT"})).await;
    assert_eq!(l["amount"]["amount"], "5000000000");
    assert_eq!(l["amount"]["amountMinor"], 5_000_000_000_i64);
    // An activity's line is for its cycle's partner.
    assert_eq!(l["partnerId"], s.partner.as_str());
    let q = "mutation($id: ID!, $v: Int!) { updateCostLine(input: {id: $id, version: $v, stage: ACTUAL, amountMinor: 4900000000}) { stage amount { amountMinor } version } }";
    let u = app.ok(q, json!({"id": l["id"], "v": 1})).await["updateCostLine"].clone();
    assert_eq!(u["stage"], "ACTUAL");
    assert_eq!(u["amount"]["amountMinor"], 4_900_000_000_i64);
    // A float is not an amount.
    assert_eq!(
        refused(&app, RECORD, json!({"i": s.iteration, "m": 12.5})).await,
        "BAD_USER_INPUT"
    );
    // Exactly one subject.
    assert_eq!(
        refused(
            &app,
            RECORD,
            json!({"i": s.iteration, "a": s.activity, "m": 1})
        )
        .await,
        "BAD_USER_INPUT"
    );
}

async fn an_unknown_currency_or_a_negative_amount_is_refused(app: TestApp) {
    let s = setup(&app).await;
    for cur in ["XYZ", "EURO", "", "€"] {
        let code = refused(
            &app,
            RECORD,
            json!({"i": s.iteration, "m": 100, "cur": cur}),
        )
        .await;
        assert_eq!(code, "UNKNOWN_CURRENCY", "{cur}");
    }
    let code = refused(&app, RECORD, json!({"i": s.iteration, "m": -1})).await;
    assert_eq!(code, "NEGATIVE_AMOUNT");
    let l = line(&app, json!({"i": s.iteration, "m": 100})).await;
    let q = "mutation($id: ID!, $m: Int, $cur: String) { updateCostLine(input: {id: $id, version: 1, amountMinor: $m, currency: $cur}) { id } }";
    assert_eq!(
        refused(&app, q, json!({"id": l["id"], "m": -5})).await,
        "NEGATIVE_AMOUNT"
    );
    assert_eq!(
        refused(&app, q, json!({"id": l["id"], "cur": "ABC"})).await,
        "UNKNOWN_CURRENCY"
    );
}

async fn allied_nation_funding_names_the_nation_and_only_it_does(app: TestApp) {
    let s = setup(&app).await;
    let l = line(
        &app,
        json!({"i": s.iteration, "m": 100, "src": "ALLIED_NATION", "n": "deu"}),
    )
    .await;
    assert_eq!(l["fundingNation"], "DEU");
    assert_eq!(
        refused(
            &app,
            RECORD,
            json!({"i": s.iteration, "m": 100, "src": "ALLIED_NATION"})
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        refused(
            &app,
            RECORD,
            json!({"i": s.iteration, "m": 100, "src": "PARTNER", "n": "DEU"})
        )
        .await,
        "BAD_USER_INPUT"
    );
}

async fn the_cycle_cost_report_sets_planned_against_actual_in_each_currency_on_its_own(
    app: TestApp,
) {
    let s = setup(&app).await;
    // Three officers of the partner complete the iteration held in the cycle.
    for _ in 0..3 {
        enrolled(&app, &s.partner, &s.iteration, "COMPLETED").await;
    }
    let it = json!(s.iteration);
    let p = json!(s.partner);
    for vars in [
        json!({"i": it, "p": p, "cat": "TUITION", "st": "PLANNED", "m": 300_000}),
        json!({"i": it, "p": p, "cat": "TUITION", "st": "ACTUAL", "m": 290_000}),
        json!({"i": it, "p": p, "cat": "TRAVEL", "st": "ACTUAL", "m": 100_001, "src": "ALLIED_NATION", "n": "DEU"}),
        json!({"a": s.activity, "cat": "GRANT", "st": "PLANNED", "m": 5_000_000, "cur": "USD", "src": "SPS_GRANT"}),
        json!({"a": s.activity, "cat": "GRANT", "st": "ACTUAL", "m": 4_500_000, "cur": "USD", "src": "SPS_GRANT"}),
    ] {
        line(&app, vars).await;
    }
    // Not the cycle's: another partner's seat, an iteration for no partner, one after the cycle.
    let other = fixtures::partner(&app, "KAZ").await;
    line(&app, json!({"i": it, "p": other, "st": "ACTUAL", "m": 999})).await;
    line(&app, json!({"i": it, "st": "ACTUAL", "m": 999})).await;
    let (_, later) = crate::evaluation::iteration(&app, "CO-2", 800, 805).await;
    line(&app, json!({"i": later, "p": p, "st": "ACTUAL", "m": 999})).await;

    let r = app.ok(REPORT, json!({"c": s.cycle})).await["cycleCostReport"].clone();
    assert_eq!(r["officersTrained"], 3);
    let currencies = r["currencies"].as_array().unwrap();
    assert_eq!(currencies.len(), 2, "{r:#}");
    let eur = &currencies[0];
    assert_eq!(eur["currency"], "EUR");
    assert_eq!(eur["total"]["planned"]["amountMinor"], 300_000);
    assert_eq!(eur["total"]["actual"]["amountMinor"], 390_001);
    assert_eq!(eur["total"]["actual"]["amount"], "3900.01");
    // 390001 / 3 = 130000.33: rounded to the cent.
    assert_eq!(
        eur["costPerOfficerTrained"],
        json!({"amountMinor": 130_000, "amount": "1300.00", "currency": "EUR"})
    );
    let tuition = eur["byCategory"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == "TUITION")
        .unwrap();
    assert_eq!(tuition["planned"]["amountMinor"], 300_000);
    assert_eq!(tuition["actual"]["amountMinor"], 290_000);
    let allied = eur["bySource"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == "ALLIED_NATION")
        .unwrap();
    assert_eq!(allied["nation"], "DEU");
    assert_eq!(allied["actual"]["amountMinor"], 100_001);
    let usd = &currencies[1];
    assert_eq!(usd["currency"], "USD");
    assert_eq!(usd["total"]["planned"]["amountMinor"], 5_000_000);
    assert_eq!(usd["total"]["actual"]["amountMinor"], 4_500_000);
    assert_eq!(usd["costPerOfficerTrained"]["amountMinor"], 1_500_000);
    // Labels in French.
    let r = app.ok(REPORT, json!({"c": s.cycle, "l": "FR"})).await;
    let label = &r["cycleCostReport"]["currencies"][1]["bySource"][0]["label"];
    assert_eq!(label, "Subvention SPS");
}

async fn a_cycle_without_officers_trained_has_no_cost_per_officer(app: TestApp) {
    let s = setup(&app).await;
    line(&app, json!({"a": s.activity, "st": "ACTUAL", "m": 1000})).await;
    let r = app.ok(REPORT, json!({"c": s.cycle})).await["cycleCostReport"].clone();
    assert_eq!(r["officersTrained"], 0);
    assert!(
        r["currencies"][0]["costPerOfficerTrained"].is_null(),
        "{r:#}"
    );
    assert_eq!(
        app.error_code(REPORT, json!({"c": "999999"})).await,
        "NOT_FOUND"
    );
}

async fn the_cycle_report_carries_the_cost_and_evaluation_figures(app: TestApp) {
    let s = setup(&app).await;
    enrolled(&app, &s.partner, &s.iteration, "COMPLETED").await;
    line(
        &app,
        json!({"i": s.iteration, "p": s.partner, "st": "ACTUAL", "m": 1234}),
    )
    .await;
    let q = "query($c: ID!) { cycleReport(cycleId: $c, lang: FR) { costs { officersTrained currencies { currency total { actual { amountMinor } } byCategory { label } costPerOfficerTrained { amountMinor } } } evaluation { eligible responses withheldReason followUpsDue } } }";
    let r = app.ok(q, json!({"c": s.cycle})).await["cycleReport"].clone();
    let costs = &r["costs"];
    assert_eq!(costs["officersTrained"], 1);
    assert_eq!(
        costs["currencies"][0]["total"]["actual"]["amountMinor"],
        1234
    );
    assert_eq!(
        costs["currencies"][0]["costPerOfficerTrained"]["amountMinor"],
        1234
    );
    assert_eq!(
        costs["currencies"][0]["byCategory"][0]["label"],
        "Frais de scolarité"
    );
    assert_eq!(r["evaluation"]["eligible"], 1);
    assert_eq!(r["evaluation"]["responses"], 0);
    assert_eq!(r["evaluation"]["withheldReason"], "TOO_FEW_RESPONSES");
}

crate::on_both_backends!(
    the_cycle_report_carries_the_cost_and_evaluation_figures,
    a_cost_line_is_an_integer_amount_in_minor_units_with_its_currency,
    an_unknown_currency_or_a_negative_amount_is_refused,
    allied_nation_funding_names_the_nation_and_only_it_does,
    the_cycle_cost_report_sets_planned_against_actual_in_each_currency_on_its_own,
    a_cycle_without_officers_trained_has_no_cost_per_officer,
);
