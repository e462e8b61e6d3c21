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

crate::on_both_backends!(
    the_cli_exports_cycle_reports_as_csv_and_json,
    http_exports_stream_csv_and_json_to_reporting_roles,
);
