//! Exports: the cycle reports as CSV and JSON files from the command line, and streamed over HTTP
//! to the reporting roles, in English and French.

use entity::enums::Role;
use serde_json::Value;

use crate::{
    helpers::TestApp,
    report_dataset::{build_dataset, cycle_id},
};

fn ipcp(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(args)
        .env("DATABASE_URL", &app.database.url)
        .env_remove("IPCP_REPORT_LANG")
        .output()
        .expect("ipcp runs")
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "ipcp failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

const HEADER_EN: &str = "partner,cycle,cycle start,cycle end,period,section,group,item,value";
const HEADER_FR: &str =
    "partenaire,cycle,début du cycle,fin du cycle,période,rubrique,groupe,élément,valeur";

async fn the_cli_exports_cycle_reports_as_csv_and_json(app: TestApp) {
    build_dataset(&app).await;
    let c2 = cycle_id(&app, "AAA", "2022-01-01").await;
    let csv = stdout(&ipcp(
        &app,
        &["report", "cycle", "--partner", "AAA", "--format", "csv"],
    ));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], HEADER_EN);
    let prefix = format!("AAA,{c2},2022-01-01,2023-12-31,current,");
    assert!(
        lines.contains(&format!("{prefix}rates,all,completion rate,0.3750").as_str()),
        "{csv}"
    );
    assert!(lines.contains(&format!("{prefix}rates,all,confirmed places,8").as_str()));
    assert!(
        lines.contains(
            &format!("{prefix}iterations by topic,Border security and control,fill rate,0.3333")
                .as_str()
        ),
        "{csv}"
    );
    assert!(lines.contains(&format!("{prefix}enrollment funnel,all,Withdrawn,2").as_str()));
    assert!(lines
        .iter()
        .any(|l| l.contains(",previous,rates,all,completion rate,0.5000")));

    let fr = stdout(&ipcp(
        &app,
        &[
            "report",
            "cycle",
            "--partner",
            "AAA",
            "--cycle",
            &c2,
            "--format",
            "csv",
            "--lang",
            "fr",
        ],
    ));
    assert_eq!(fr.lines().next(), Some(HEADER_FR));
    assert!(
        fr.lines()
            .any(|l| l.ends_with("en cours,taux,tous,taux de réussite,0.3750")),
        "{fr}"
    );

    let json: Value = serde_json::from_str(&stdout(&ipcp(
        &app,
        &["report", "cycle", "--partner", "AAA", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(json["language"], "en");
    assert_eq!(json["figures"]["completed"], 3);
    assert_eq!(json["figures"]["confirmed_places"], 8);
    assert_eq!(json["previous"]["completed"], 1);

    let dir = std::env::temp_dir().join(format!(
        "ipcp-report-all-{}-{}",
        std::process::id(),
        app.address.rsplit(':').next().unwrap()
    ));
    let listed = stdout(&ipcp(
        &app,
        &[
            "report",
            "all",
            "--format",
            "csv",
            "--out",
            dir.to_str().unwrap(),
        ],
    ));
    assert_eq!(listed.lines().count(), 3, "{listed}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3);
    assert!(
        names[0].starts_with("AAA-cycle-")
            && names[1].starts_with("BBB-cycle-")
            && names[2].starts_with("CCC-cycle-")
    );
    let aaa = std::fs::read_to_string(dir.join(&names[0])).unwrap();
    assert_eq!(aaa, csv, "the file holds what `report cycle` prints");
    std::fs::remove_dir_all(&dir).ok();

    let unknown = ipcp(&app, &["report", "cycle", "--partner", "ZZZ"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("partner ZZZ not found"));
}

async fn export(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    accept_language: Option<&str>,
) -> (u16, String, String) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(l) = accept_language {
        request = request.header("Accept-Language", l);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, media, response.text().await.unwrap())
}

async fn http_exports_stream_csv_and_json_to_reporting_roles(app: TestApp) {
    build_dataset(&app).await;
    let c2 = cycle_id(&app, "AAA", "2022-01-01").await;
    let reporter = app.token_for(Role::Reporter).await;
    let analyst = app.token_for(Role::Analyst).await;

    let (status, media, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=AAA&format=csv",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(media.starts_with("text/csv"));
    assert_eq!(body.lines().next(), Some(HEADER_EN));
    assert!(
        body.lines().any(|l| l
            == format!("AAA,{c2},2022-01-01,2023-12-31,current,rates,all,completion rate,0.3750")),
        "{body}"
    );
    let cli = stdout(&ipcp(
        &app,
        &["report", "cycle", "--partner", "AAA", "--format", "csv"],
    ));
    assert_eq!(body, cli, "HTTP and CLI exports agree");

    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=AAA",
        Some("fr-FR,fr;q=0.9,en;q=0.5"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body.lines().next(), Some(HEADER_FR));

    let (status, media, body) = export(
        &app,
        Some(&analyst),
        &format!("/exports/cycle-report?partner=AAA&cycle={c2}&format=json"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(media.starts_with("application/json"));
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["figures"]["seats_held"], 6);

    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-reports?format=csv",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| **l == HEADER_EN).count(),
        1,
        "one header row"
    );
    for code in ["AAA,", "BBB,", "CCC,"] {
        assert!(lines.iter().any(|l| l.starts_with(code)), "{code} missing");
    }
    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-reports?format=json",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let all: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 3);

    let (status, _, _) = export(&app, None, "/exports/cycle-report?partner=AAA", None).await;
    assert_eq!(status, 401);
    let (status, _, _) = export(&app, Some("not-a-token"), "/exports/cycle-reports", None).await;
    assert_eq!(status, 401);
    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=ZZZ",
        None,
    )
    .await;
    assert_eq!((status, body.contains("NOT_FOUND")), (404, true));
    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=AAA&format=xml",
        None,
    )
    .await;
    assert_eq!((status, body.contains("BAD_USER_INPUT")), (400, true));
    let (status, _, _) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=BBB&cycle="
            .to_owned()
            .as_str(),
        None,
    )
    .await;
    assert_eq!(status, 404, "an empty cycle id names no cycle");
    let (status, _, _) = export(
        &app,
        Some(&reporter),
        &format!("/exports/cycle-report?partner=BBB&cycle={c2}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "a cycle of another partner is not found");
}

/// A partner's cycle with level 1 responses (`responses` of them, over four eligible
/// enrollments), three level 3 follow-ups, and costs in EUR and USD. Returns the cycle's id.
async fn evaluated_and_costed_cycle(app: &TestApp, responses: usize) -> String {
    use crate::evaluation::{day, enrolled, iteration, ratings, FOLLOW_UP, RESPOND};
    use crate::helpers::fixtures;
    use serde_json::json;
    let partner = fixtures::partner(app, "TKM").await;
    let (cycle, _) = fixtures::cycle(app, &partner, "IPCP", &day(-300)).await;
    // Ended ten days ago: inside the level 1 window.
    let (_, recent) = iteration(app, "EV-1", -14, -10).await;
    let mut eligible = Vec::new();
    for status in ["COMPLETED", "COMPLETED", "FAILED", "ATTENDED"] {
        eligible.push(enrolled(app, &partner, &recent, status).await);
    }
    for (e, rating) in eligible.iter().zip([5, 4, 3]).take(responses) {
        app.ok(
            RESPOND,
            json!({"e": e["id"], "r": ratings(rating), "c": "Personal comment"}),
        )
        .await;
    }
    // Ended 200 days ago: its follow-ups are due.
    let (_, old) = iteration(app, "EV-2", -205, -200).await;
    for applied in ["YES", "YES", "PARTLY"] {
        let e = enrolled(app, &partner, &old, "COMPLETED").await;
        app.ok(
            FOLLOW_UP,
            json!({"e": e["id"], "a": applied, "n": "Personal note"}),
        )
        .await;
    }
    let (it, p) = (json!(recent), json!(partner));
    for vars in [
        json!({"i": it, "p": p, "cat": "TUITION", "st": "PLANNED", "m": 300_000}),
        json!({"i": it, "p": p, "cat": "TUITION", "st": "ACTUAL", "m": 290_000}),
        json!({"i": it, "p": p, "cat": "TRAVEL", "st": "ACTUAL", "m": 100_001, "src": "ALLIED_NATION", "n": "DEU"}),
        json!({"i": old, "p": p, "cat": "GRANT", "st": "ACTUAL", "m": 5_000, "cur": "USD", "src": "SPS_GRANT"}),
    ] {
        app.ok(crate::costs::RECORD, vars).await;
    }
    cycle
}

/// The CSV body as records (header row first), read with the `csv` crate.
fn records(body: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes());
    reader.records().map(|r| r.unwrap()).collect()
}

/// The value of the row (section, group, item) of the current period; None when absent.
fn figure(rows: &[csv::StringRecord], section: &str, group: &str, item: &str) -> Option<String> {
    let found: Vec<_> = rows
        .iter()
        .filter(|r| &r[5] == section && &r[6] == group && &r[7] == item)
        .collect();
    assert!(found.len() <= 1, "one row per figure: {found:?}");
    found.first().map(|r| r[8].to_owned())
}

async fn exports_carry_the_evaluation_and_cost_figures(app: TestApp) {
    let cycle = evaluated_and_costed_cycle(&app, 3).await;
    let reporter = app.token_for(Role::Reporter).await;
    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=TKM&format=csv",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rows = records(&body);
    assert_eq!(rows[0].iter().collect::<Vec<_>>().join(","), HEADER_EN);
    assert!(rows[1..].iter().all(|r| r.len() == 9 && r[1] == *cycle));
    let f = |section: &str, group: &str, item: &str| figure(&rows[1..], section, group, item);
    // Level 1: 3 responses of 4 eligible; every item rated 5, 4 and 3.
    assert_eq!(
        f("course evaluation", "all", "eligible participants").as_deref(),
        Some("7"),
        "{body}"
    );
    assert_eq!(
        f("course evaluation", "all", "responses").as_deref(),
        Some("3")
    );
    assert_eq!(
        f("course evaluation", "all", "response rate").as_deref(),
        Some("0.4286")
    );
    assert_eq!(
        f("questionnaire items", "Relevance", "mean rating").as_deref(),
        Some("4.0000")
    );
    assert_eq!(
        f("questionnaire items", "Overall", "rated 5").as_deref(),
        Some("1")
    );
    assert_eq!(
        f("questionnaire items", "Overall", "rated 1").as_deref(),
        Some("0")
    );
    assert_eq!(f("questionnaire items", "all", "withheld"), None);
    // Level 3: three follow-ups of the three due.
    assert_eq!(
        f("course evaluation", "all", "follow-ups due").as_deref(),
        Some("3")
    );
    assert_eq!(
        f("course evaluation", "all", "follow-up rate").as_deref(),
        Some("1.0000")
    );
    assert_eq!(
        f("applied at work (follow-up)", "all", "Applied at work").as_deref(),
        Some("2")
    );
    assert_eq!(
        f(
            "applied at work (follow-up)",
            "all",
            "Partly applied at work"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        f("applied at work (follow-up)", "all", "Not applied at work").as_deref(),
        Some("0")
    );
    // Costs: each currency on its own, in major units; 5 officers trained (390001 / 5 = 78000.2).
    assert_eq!(f("costs", "EUR", "Planned").as_deref(), Some("3000.00"));
    assert_eq!(f("costs", "EUR", "Actual").as_deref(), Some("3900.01"));
    assert_eq!(
        f("costs", "EUR", "cost per officer trained (actual)").as_deref(),
        Some("780.00")
    );
    assert_eq!(f("costs", "USD", "Actual").as_deref(), Some("50.00"));
    assert_eq!(
        f("costs by category", "EUR", "Tuition (Actual)").as_deref(),
        Some("2900.00")
    );
    assert_eq!(
        f(
            "costs by funding source",
            "EUR",
            "Allied nation DEU (Actual)"
        )
        .as_deref(),
        Some("1000.01"),
        "{body}"
    );
    assert_eq!(
        f("costs by funding source", "USD", "SPS grant (Planned)").as_deref(),
        Some("0.00")
    );
    // Comments and notes are personal data: never in an export.
    assert!(!body.contains("Personal"), "{body}");

    // In French: the labels of the new codes too.
    let (_, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=TKM&format=csv&lang=fr",
        None,
    )
    .await;
    let rows = records(&body);
    let f = |section: &str, group: &str, item: &str| figure(&rows[1..], section, group, item);
    assert_eq!(
        f("évaluation des cours", "tous", "taux de réponse").as_deref(),
        Some("0.4286"),
        "{body}"
    );
    assert_eq!(
        f(
            "éléments du questionnaire",
            "Appréciation générale",
            "note moyenne"
        )
        .as_deref(),
        Some("4.0000")
    );
    assert_eq!(
        f(
            "application au travail (suivi)",
            "tous",
            "Partiellement appliqué au travail"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        f("coûts par catégorie", "EUR", "Frais de scolarité (Prévu)").as_deref(),
        Some("3000.00")
    );
    assert_eq!(
        f(
            "coûts par source de financement",
            "USD",
            "Subvention SPS (Réalisé)"
        )
        .as_deref(),
        Some("50.00")
    );

    // JSON: the same figures, amounts in minor units.
    let (_, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=TKM&format=json",
        None,
    )
    .await;
    let json: Value = serde_json::from_str(&body).unwrap();
    let e = &json["evaluation"];
    assert_eq!(e["responses"], 3, "{json:#}");
    assert_eq!(e["eligible"], 7);
    assert_eq!(e["withheld"], false);
    assert_eq!(e["items"][0]["item"], "relevance");
    assert_eq!(e["items"][0]["mean"], 4.0);
    assert_eq!(
        e["items"][0]["distribution"],
        serde_json::json!([0, 0, 1, 1, 1])
    );
    assert_eq!(e["applied"]["PARTLY"], 1);
    let c = &json["costs"];
    assert_eq!(c["officers_trained"], 5);
    assert_eq!(c["currencies"][0]["currency"], "EUR");
    assert_eq!(c["currencies"][0]["total"]["actual"], 390_001);
    assert_eq!(c["currencies"][0]["cost_per_officer_trained"], 78_000);
    assert_eq!(c["currencies"][1]["currency"], "USD");
    assert_eq!(c["currencies"][1]["total"]["actual"], 5_000);
    assert!(!body.contains("Personal"), "{body}");

    // Every partner's export carries them too.
    let (_, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-reports?format=csv",
        None,
    )
    .await;
    let rows = records(&body);
    assert_eq!(
        figure(&rows[1..], "costs", "USD", "Actual").as_deref(),
        Some("50.00")
    );
}

async fn exports_withhold_evaluation_figures_over_fewer_than_three_responses(app: TestApp) {
    evaluated_and_costed_cycle(&app, 2).await;
    let reporter = app.token_for(Role::Reporter).await;
    let (status, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=TKM&format=csv",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rows = records(&body);
    let f = |section: &str, group: &str, item: &str| figure(&rows[1..], section, group, item);
    // Counts are shown, answers are not.
    assert_eq!(
        f("course evaluation", "all", "responses").as_deref(),
        Some("2"),
        "{body}"
    );
    assert_eq!(
        f("questionnaire items", "all", "withheld").as_deref(),
        Some("too few responses")
    );
    assert!(
        !rows
            .iter()
            .any(|r| &r[5] == "questionnaire items" && &r[6] != "all"),
        "no item figure over two responses: {body}"
    );
    let (_, _, body) = export(
        &app,
        Some(&reporter),
        "/exports/cycle-report?partner=TKM&format=json",
        None,
    )
    .await;
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["evaluation"]["responses"], 2);
    assert_eq!(json["evaluation"]["withheld"], true);
    assert_eq!(json["evaluation"]["items"], serde_json::json!([]));
}

crate::on_both_backends!(
    exports_carry_the_evaluation_and_cost_figures,
    exports_withhold_evaluation_figures_over_fewer_than_three_responses,
    the_cli_exports_cycle_reports_as_csv_and_json,
    http_exports_stream_csv_and_json_to_reporting_roles,
);
