//! Signed webhooks, black-box: a receiver on loopback inside the test, the real server, both
//! backends. Changes are appended to the change log the way the unit of work does, and the tests
//! wait for what the receiver gets (polling with a deadline, never a fixed sleep).

use std::time::{Duration, Instant};

use entity::enums::Role;
use ipcp::config::{ServeArgs, WebhookArgs};
use sea_orm::{ActiveValue::Set, Database, EntityTrait};
use serde_json::{json, Value};

use crate::helpers::{fixtures, Backend, TestApp};

#[path = "../common/receiver.rs"]
mod receiver;
use receiver::{free_port, url_on, Receiver};

const REGISTER: &str = "mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { secret endpoint { id url kinds partnerId active } } }";
const DELIVERIES: &str = "query($e: ID, $s: WebhookDeliveryStatus) { webhookDeliveries(endpointId: $e, status: $s, first: 100) { totalCount edges { node { id webhookId position status attempts lastStatusCode lastResponse lastError deliveredAt } } } }";

/// Settings for quick tests: loopback allowed, short backoff, quick polling.
fn quick(retry_window_secs: u64) -> ServeArgs {
    ServeArgs {
        rate_limit_per_second: 0,
        webhooks: WebhookArgs {
            webhook_allow_hosts: vec!["127.0.0.1".into()],
            webhook_retry_window_secs: retry_window_secs,
            webhook_backoff_ms: 50,
            webhook_poll_ms: 50,
            webhook_lease_secs: 10,
            webhook_worker: true,
        },
        ..ServeArgs::default()
    }
}

/// Appends `n` activity changes to the change log; their positions.
async fn append_changes(app: &TestApp, n: usize) -> Vec<i64> {
    let conn = Database::connect(&app.database.url).await.expect("connect");
    let mut positions = Vec::new();
    for i in 0..n {
        let inserted = entity::change_log::Entity::insert(entity::change_log::ActiveModel {
            kind: Set("activity".into()),
            action: Set("recordActivity".into()),
            entity_id: Set(format!("{}", i + 1)),
            partner_id: Set(None),
            actor: Set("test-admin".into()),
            occurred_at: Set(chrono::Utc::now()),
            changed: Set(json!({ "title": format!("meeting {i}") }).to_string()),
            related: Set(None),
            ..Default::default()
        })
        .exec(&conn)
        .await
        .expect("a change-log entry");
        positions.push(inserted.last_insert_id);
    }
    conn.close().await.ok();
    positions
}

/// Registers an endpoint for activity changes; (endpoint id, secret).
async fn register(app: &TestApp, url: &str) -> (String, String) {
    let data = app
        .ok(
            REGISTER,
            json!({ "input": { "url": url, "kinds": ["ACTIVITY"] } }),
        )
        .await;
    let registered = &data["registerWebhookEndpoint"];
    (
        registered["endpoint"]["id"].as_str().unwrap().to_owned(),
        registered["secret"].as_str().unwrap().to_owned(),
    )
}

async fn deliveries(app: &TestApp, endpoint: &str, status: Option<&str>) -> Vec<Value> {
    let data = app
        .ok(DELIVERIES, json!({ "e": endpoint, "s": status }))
        .await;
    data["webhookDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Polls `webhookDeliveries` until `done` holds, or panics at the deadline.
async fn wait_for_deliveries(
    app: &TestApp,
    endpoint: &str,
    status: Option<&str>,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = deliveries(app, endpoint, status).await;
        if done(&got) {
            return got;
        }
        assert!(Instant::now() < deadline, "waited for {what}: {got:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_delivery_carries_the_three_headers_and_a_valid_signature(app: TestApp) {
    let receiver = Receiver::start().await;
    let data = app
        .ok(
            REGISTER,
            json!({ "input": { "url": receiver.url(), "kinds": ["PARTNER", "OFFICER"] } }),
        )
        .await;
    let endpoint = data["registerWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = data["registerWebhookEndpoint"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        data["registerWebhookEndpoint"]["endpoint"]["kinds"],
        json!(["OFFICER", "PARTNER"])
    );
    // Real mutations: their change-log entries are what is sent.
    let partner = fixtures::partner(&app, "TKM").await;
    fixtures::officer(&app, &partner, Some("3321")).await;
    let got = receiver
        .wait_until(Duration::from_secs(30), "two deliveries", |r| r.len() >= 2)
        .await;
    let request = &got[0];
    let body = request.json();
    let position = body["data"]["position"].as_i64().expect("a position");
    assert_eq!(request.id, format!("msg_{position}_{endpoint}"));
    let timestamp: i64 = request.timestamp.parse().expect("unix seconds");
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    assert!(
        request.signature.starts_with("v1,"),
        "{}",
        request.signature
    );
    assert!(
        request.verifies(&secret),
        "the signature verifies with the secret"
    );
    assert!(!request.verifies("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    assert_eq!(request.content_type, "application/json");
    assert_eq!(body["type"], "partner.createPartner");
    assert_eq!(body["data"]["kind"], "partner");
    assert_eq!(body["data"]["action"], "createPartner");
    assert_eq!(body["data"]["entityId"], partner.as_str());
    assert_eq!(body["data"]["changed"]["code"], "TKM");
    assert!(body["data"]["actor"].is_string());
    // The officer's change arrives next, without personal data.
    let officer = got[1].json();
    assert_eq!(officer["type"], "officer.createOfficer");
    assert!(officer["data"]["position"].as_i64().unwrap() > position);
    assert!(
        officer["data"]["changed"]["service"].is_string(),
        "{officer}"
    );
    assert_eq!(
        officer["data"]["partnerId"],
        partner.parse::<i64>().unwrap()
    );
    let text = officer.to_string();
    for personal in [
        "family_name",
        "given_name",
        "Captain",
        "3321",
        "\"Officer\"",
    ] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    assert!(got[1].verifies(&secret));
    let done = wait_for_deliveries(&app, &endpoint, Some("DELIVERED"), "DELIVERED", |d| {
        d.len() == 2
    })
    .await;
    assert_eq!(done[0]["webhookId"], request.id.as_str());
    assert_eq!(done[0]["lastStatusCode"], 200);
    assert_eq!(done[0]["attempts"], 1);
}

async fn a_receiver_down_for_a_while_then_up_gets_every_change_once_in_order(app: TestApp) {
    let port = free_port();
    let (endpoint, secret) = register(&app, &url_on(port)).await;
    let positions = append_changes(&app, 20).await;
    // Down: the first delivery fails (connection refused) at least once.
    wait_for_deliveries(&app, &endpoint, None, "a failed attempt", |d| {
        d.iter().any(|d| d["lastError"].is_string())
    })
    .await;
    let receiver = Receiver::start_on(port).await;
    let got = receiver
        .wait_until(Duration::from_secs(30), "20 deliveries", |r| r.len() >= 20)
        .await;
    wait_for_deliveries(&app, &endpoint, Some("DELIVERED"), "all DELIVERED", |d| {
        d.len() == 20
    })
    .await;
    let got_after = receiver.received();
    assert_eq!(got_after.len(), 20, "each change arrives once");
    let received: Vec<i64> = got.iter().map(|r| r.position()).collect();
    assert_eq!(received, positions, "in log order");
    assert!(got.iter().all(|r| r.verifies(&secret)));
}

async fn an_endpoint_answering_500_is_retried_then_marked_failed_and_can_be_redelivered(
    app: TestApp,
) {
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (endpoint, _) = register(&app, &receiver.url()).await;
    append_changes(&app, 1).await;
    let failed =
        wait_for_deliveries(&app, &endpoint, Some("FAILED"), "FAILED", |d| d.len() == 1).await;
    let failed = &failed[0];
    assert!(
        failed["attempts"].as_i64().unwrap() >= 2,
        "retried: {failed}"
    );
    assert_eq!(failed["lastStatusCode"], 500);
    assert!(failed["deliveredAt"].is_null());
    let attempts = receiver.received().len() as i64;
    assert_eq!(attempts, failed["attempts"].as_i64().unwrap());
    assert!(receiver.received().iter().all(|r| r.answered == 500));
    // The end of the retry window is an audited change, made by the worker.
    let audit = app
        .ok(
            "{ auditEvents(actor: \"worker:webhooks\", first: 10) { edges { node { action entity entityId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audit["auditEvents"]["edges"],
        json!([{ "node": { "action": "failWebhookDelivery", "entity": "webhook_delivery", "entityId": failed["id"] } }])
    );

    receiver.answer(200);
    let again = app
        .ok(
            "mutation($id: ID!) { redeliverWebhookDelivery(id: $id) { status attempts } }",
            json!({ "id": failed["id"] }),
        )
        .await;
    assert_eq!(again["redeliverWebhookDelivery"]["status"], "PENDING");
    assert_eq!(again["redeliverWebhookDelivery"]["attempts"], 0);
    receiver
        .wait_until(Duration::from_secs(30), "the redelivery", |r| {
            r.iter().any(|r| r.answered == 200)
        })
        .await;
    wait_for_deliveries(&app, &endpoint, Some("DELIVERED"), "DELIVERED", |d| {
        d.len() == 1
    })
    .await;
    // Only a FAILED delivery can be sent again.
    let code = app
        .error_code(
            "mutation($id: ID!) { redeliverWebhookDelivery(id: $id) { status } }",
            json!({ "id": failed["id"] }),
        )
        .await;
    assert_eq!(code, "WEBHOOK_DELIVERY_NOT_FAILED");
}

async fn private_and_malformed_urls_and_non_admins_are_refused_and_write_nothing(app: TestApp) {
    let officer = app.token_for(Role::ProgrammeOfficer).await;
    let audit_before = app.sql_count("SELECT COUNT(*) FROM audit_event").await;
    let log_before = app.sql_count("SELECT COUNT(*) FROM change_log").await;
    // This app allows no host: loopback and private addresses are refused.
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/hook",
    ] {
        let code = app
            .error_code(
                REGISTER,
                json!({ "input": { "url": url, "kinds": ["ACTIVITY"] } }),
            )
            .await;
        assert_eq!(code, "WEBHOOK_URL_REFUSED", "{url}");
    }
    for url in [
        "ftp://example.org/hook",
        "not a url",
        "http://",
        "https://user:pw@example.org/",
    ] {
        let body = app
            .gql(
                REGISTER,
                json!({ "input": { "url": url, "kinds": ["ACTIVITY"] } }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{url}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "url", "{url}");
    }
    let body = app
        .gql(
            REGISTER,
            json!({ "input": { "url": "https://example.org/hook", "kinds": ["NOT_A_KIND"] } }),
        )
        .await;
    assert!(body["errors"][0]["message"].is_string(), "{body}");
    assert!(body["data"].is_null(), "{body}");

    let (_, body) = app
        .gql_as(
            Some(&officer),
            REGISTER,
            json!({ "input": { "url": "https://example.org/hook", "kinds": ["ACTIVITY"] } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, body) = app
        .gql_as(Some(&officer), "{ webhookEndpoints { id } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");

    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM webhook_endpoint").await,
        0
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM audit_event").await,
        audit_before
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM change_log").await,
        log_before
    );
}

async fn the_secret_never_appears_in_endpoints_audit_events_or_the_change_log(app: TestApp) {
    let receiver = Receiver::start().await;
    let (endpoint, secret) = register(&app, &receiver.url()).await;
    app.ok(
        "mutation($id: ID!) { disableWebhookEndpoint(id: $id) { active } }",
        json!({ "id": endpoint }),
    )
    .await;
    let key = secret.trim_start_matches("whsec_").to_owned();
    let listed = app
        .ok(
            "{ webhookEndpoints { id url kinds partnerId active createdAt disabledAt } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["webhookEndpoints"][0]["active"], false);
    assert!(!listed.to_string().contains(&key));
    let audit = app
        .ok(
            "{ auditEvents(first: 100) { edges { node { entity action before after } } } }",
            json!({}),
        )
        .await;
    let text = audit.to_string();
    assert!(text.contains("registerWebhookEndpoint"), "{audit:#}");
    assert!(!text.contains(&key), "{audit:#}");
    let conn = Database::connect(&app.database.url).await.expect("connect");
    let logged = entity::change_log::Entity::find()
        .all(&conn)
        .await
        .expect("the change log");
    conn.close().await.ok();
    for entry in logged {
        assert!(!entry.changed.contains(&key), "{entry:?}");
    }
}

/// PostgreSQL: two instances on one database share the deliveries (FOR UPDATE SKIP LOCKED and
/// leases) and, with nothing failing, send each change once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_send_each_change_once() {
    let app = spawn_quick(Backend::Postgres, 3600).await;
    let mut settings = quick(3600);
    settings.listen = "127.0.0.1:0".parse().unwrap();
    let second = ipcp::startup::Application::build(ipcp::config::Settings {
        database: ipcp::config::DatabaseArgs::new(app.database.url.clone()),
        serve: settings,
    })
    .await
    .unwrap_or_else(|e| panic!("second instance: {e:?}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let second = tokio::spawn(second.run_until(async move {
        let _ = stopped.await;
    }));
    let receiver = Receiver::start().await;
    let (endpoint, _) = register(&app, &receiver.url()).await;
    let positions = append_changes(&app, 60).await;
    wait_for_deliveries(&app, &endpoint, Some("DELIVERED"), "all DELIVERED", |d| {
        d.len() == 60
    })
    .await;
    let got: Vec<i64> = receiver.received().iter().map(|r| r.position()).collect();
    assert_eq!(got, positions, "each change once, in log order");
    let _ = stop.send(());
    let _ = second.await;
}

async fn spawn_quick(backend: Backend, retry_window_secs: u64) -> TestApp {
    TestApp::spawn_with(backend, quick(retry_window_secs)).await
}

macro_rules! on_both_backends_with {
    ($($name:ident => $settings:expr),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::spawn_quick(crate::helpers::Backend::Sqlite, $settings).await;
                    super::$name(app).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::spawn_quick(crate::helpers::Backend::Postgres, $settings).await;
                    super::$name(app).await
                }
            )*
        }
    };
}

on_both_backends_with!(
    a_delivery_carries_the_three_headers_and_a_valid_signature => 3600,
    a_receiver_down_for_a_while_then_up_gets_every_change_once_in_order => 3600,
    an_endpoint_answering_500_is_retried_then_marked_failed_and_can_be_redelivered => 2,
    the_secret_never_appears_in_endpoints_audit_events_or_the_change_log => 3600,
);

/// Default settings: no host is allowed.
mod default_settings {
    use super::private_and_malformed_urls_and_non_admins_are_refused_and_write_nothing;
    crate::on_both_backends!(
        private_and_malformed_urls_and_non_admins_are_refused_and_write_nothing
    );
}
