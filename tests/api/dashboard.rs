//! The built-in dashboard in a real browser: Debian's headless Chromium loads `/dashboard` with a
//! REPORTER token in the address, runs the page's script against the API, and the test reads the
//! DOM it dumps. A missing browser fails the test (scripts/test installs it); `IPCP_CHROMIUM`
//! names another binary.

use std::time::Duration;

use entity::enums::Role;

use crate::{
    helpers::{Backend, TestApp},
    report_dataset::{build_dataset, cycle_id},
};

fn chromium() -> String {
    std::env::var("IPCP_CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

/// Headless, as root, and quiet on a machine without internet access.
const HEADLESS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// The DOM of `url` after its scripts ran (bounded: 60 s of real time at most).
async fn dump_dom(url: &str) -> String {
    let profile = std::env::temp_dir().join(format!(
        "ipcp-chromium-{}-{}",
        std::process::id(),
        url.len()
            ^ (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as usize)
    ));
    let mut command = tokio::process::Command::new(chromium());
    command
        .args(HEADLESS)
        .arg("--virtual-time-budget=5000")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("chromium finished within 60 s")
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (install Debian's chromium; scripts/test does): {e}",
                chromium()
            )
        });
    std::fs::remove_dir_all(&profile).ok();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_cycle_report_in_a_real_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    build_dataset(&app).await;
    let token = app.token_for(Role::Reporter).await;
    let c2 = cycle_id(&app, "AAA", "2022-01-01").await;

    // The page itself is public (it holds no data); the data needs the token.
    let page = app
        .client
        .get(format!("{}/dashboard", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("connect-src 'self'"));

    let dom = dump_dom(&format!(
        "{}/dashboard#token={token}&partner=AAA&lang=en",
        app.address
    ))
    .await;
    assert!(
        dom.contains(r#"data-state="loaded""#),
        "the page did not load its data: {dom}"
    );
    assert!(
        dom.contains(&format!(r#"<option value="{c2}" selected"#)),
        "the ACTIVE cycle is picked: {dom}"
    );
    assert!(
        dom.contains(r#"id="officers-trained" data-value="2""#),
        "{dom}"
    );
    assert!(dom.contains(r#"id="seats-held" data-value="6""#));
    assert!(dom.contains(r#"id="completion-rate" data-value="0.375""#));
    assert!(dom.contains(r#"data-funnel="COMPLETED">3<"#));
    assert!(dom.contains(r#"data-funnel="WITHDRAWN">2<"#));
    assert!(dom.contains(r#"data-objective="CAP:ON_TRACK">1<"#));
    assert!(
        dom.contains(r#"data-value="0.3333333333333333""#),
        "fill rate of BORDER_SECURITY: {dom}"
    );
    assert!(dom.contains("Border security and control"));
    assert!(dom.contains("Completion rate"));
    assert!(dom.contains("<svg"), "charts are drawn");
    assert!(
        dom.contains("previous cycle: 50%"),
        "the previous cycle is shown for comparison: {dom}"
    );
    assert!(
        !dom.contains(&token),
        "the token is taken out of the address"
    );
    // No questionnaire was answered: the evaluation section says the figures are withheld.
    assert!(dom.contains("Course evaluation"), "{dom}");
    assert!(dom.contains(r#"data-withheld="items""#), "{dom}");
    assert!(
        dom.contains(r#"id="response-rate" data-value="0""#),
        "{dom}"
    );

    let dom = dump_dom(&format!(
        "{}/dashboard#token={token}&partner=AAA&lang=fr",
        app.address
    ))
    .await;
    assert!(dom.contains(r#"data-state="loaded""#), "{dom}");
    assert!(dom.contains("Taux de réussite"));
    assert!(dom.contains("Sécurité et contrôle des frontières"));
    assert!(dom.contains("Capacités"));
    assert!(dom.contains(r#"<html lang="fr""#));
    assert!(dom.contains(r#"id="completion-rate" data-value="0.375""#));

    // A bad token shows the error instead of data.
    let dom = dump_dom(&format!(
        "{}/dashboard#token=wrong&partner=AAA",
        app.address
    ))
    .await;
    assert!(dom.contains(r#"data-state="error""#), "{dom}");
    assert!(
        dom.contains("UNAUTHENTICATED") || dom.contains("401"),
        "{dom}"
    );
}

/// The app on SQLite with the demo programme, loaded by the CLI as a user would.
async fn demo_app() -> TestApp {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seeded = std::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(["seed", "demo"])
        .env("DATABASE_URL", &app.database.url)
        .output()
        .expect("ipcp seed demo runs");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_demo_programme_in_french() {
    let app = demo_app().await;
    let token = app.token_for(Role::Reporter).await;
    let dom = dump_dom(&format!(
        "{}/dashboard#token={token}&partner=TKM&lang=fr",
        app.address
    ))
    .await;
    assert!(dom.contains(r#"data-state="loaded""#), "{dom}");
    // The ACTIVE 2026 IPCP: five officers completed a course; nine seats held.
    assert!(dom.contains("2026-01-01 – 2027-12-31"), "{dom}");
    assert!(
        dom.contains(r#"id="officers-trained" data-value="5""#),
        "{dom}"
    );
    assert!(dom.contains(r#"id="seats-held" data-value="9""#));
    assert!(dom.contains("Renforcement des capacités et de l’interopérabilité"));
    assert!(dom.contains("Renouvellement dû le 2028-01-01"));
    // The demo's tuition of the March 2026 iteration, in euros, and its evaluation.
    assert!(dom.contains("Coûts"), "{dom}");
    assert!(dom.contains(r#"data-actual="EUR""#), "{dom}");
    assert!(dom.contains("Évaluation des cours"), "{dom}");
}

/// A browser driven over the Chrome DevTools Protocol: the page stays open while the test acts.
struct Browser {
    child: tokio::process::Child,
    profile: std::path::PathBuf,
    socket: crate::subscriptions::Socket,
    next_id: u64,
}

impl Browser {
    /// Opens `url` in headless Chromium with a DevTools port, and connects to the page.
    async fn open(url: &str) -> Browser {
        let profile = std::env::temp_dir().join(format!(
            "ipcp-chromium-live-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        ));
        let child = tokio::process::Command::new(chromium())
            .args(HEADLESS)
            .arg("--remote-debugging-port=0")
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .kill_on_drop(true)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", chromium()));
        // Chromium writes its DevTools port into the profile once it listens.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let port = loop {
            let file = std::fs::read_to_string(profile.join("DevToolsActivePort")).ok();
            if let Some(port) = file
                .as_deref()
                .and_then(|f| f.lines().next()?.parse::<u16>().ok())
            {
                break port;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromium opened its DevTools port"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let page = loop {
            let targets: serde_json::Value =
                reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
            let page = targets.as_array().into_iter().flatten().find(|t| {
                t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.contains("/dashboard"))
            });
            if let Some(page) = page {
                break page["webSocketDebuggerUrl"].as_str().unwrap().to_owned();
            }
            assert!(tokio::time::Instant::now() < deadline, "the page opened");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let (socket, _) = tokio_tungstenite::connect_async(page).await.unwrap();
        Browser {
            child,
            profile,
            socket,
            next_id: 0,
        }
    }

    /// Evaluates `expression` in the page; its value as JSON.
    async fn eval(&mut self, expression: &str) -> serde_json::Value {
        use futures_util::{SinkExt as _, StreamExt as _};
        use tokio_tungstenite::tungstenite::Message;
        self.next_id += 1;
        let id = self.next_id;
        let call = serde_json::json!({ "id": id, "method": "Runtime.evaluate",
            "params": { "expression": expression, "returnByValue": true } });
        self.socket
            .send(Message::text(call.to_string()))
            .await
            .unwrap();
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("DevTools answered")
                .expect("DevTools connection open")
                .unwrap();
            if let Message::Text(text) = message {
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                if value["id"] == id {
                    return value["result"]["result"]["value"].clone();
                }
            }
        }
    }

    /// Polls `expression` until it is true, within `within`.
    async fn wait_for(&mut self, expression: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if self.eval(expression).await == serde_json::Value::Bool(true) {
                return;
            }
            let dom = self.eval("document.body.outerHTML").await;
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited {within:?} for `{expression}`: {dom}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        std::fs::remove_dir_all(&self.profile).ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_through_the_api_shows_on_the_open_dashboard_within_seconds() {
    let app = demo_app().await;
    let token = app.token_for(Role::Reporter).await;
    // No refresh timer is left in the page: only the subscription can bring the change.
    let script = app
        .client
        .get(format!("{}/dashboard/dashboard.js", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !script.contains("setInterval"),
        "the page has no refresh timer"
    );

    let mut browser = Browser::open(&format!(
        "{}/dashboard#token={token}&partner=TKM&lang=en",
        app.address
    ))
    .await;
    browser
        .wait_for(
            "document.getElementById('status').dataset.state === 'loaded' && document.body.dataset.live === 'open'",
            Duration::from_secs(20),
        )
        .await;
    let data = app
        .ok(
            "{ partner(code: \"TKM\") { activeCycle { id startDate } } cooperationAreas { edges { node { id code } } } }",
            serde_json::json!({}),
        )
        .await;
    let cycle = &data["partner"]["activeCycle"];
    let area = data["cooperationAreas"]["edges"][0]["node"]["id"].clone();
    let activity = app.ok(
        "mutation($c: ID!, $a: ID!, $d: Date!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: \"Live forum on the dashboard\", description: \"d\", startDate: $d, endDate: $d}) { id } }",
        serde_json::json!({ "c": cycle["id"], "a": area, "d": cycle["startDate"] }),
    )
    .await["recordActivity"]["id"]
        .clone();
    browser
        .wait_for(
            "document.getElementById('activities').innerHTML.includes('Live forum on the dashboard')",
            Duration::from_secs(5),
        )
        .await;
    // A cost figure appears too: the forum's actual cost, in a currency of its own.
    app.ok(
        crate::costs::RECORD,
        serde_json::json!({ "a": activity, "st": "ACTUAL", "m": 12_345, "cur": "USD", "cat": "OTHER" }),
    )
    .await;
    browser
        .wait_for(
            "document.querySelector('[data-actual=\"USD\"]')?.textContent === '123.45'",
            Duration::from_secs(5),
        )
        .await;
}
