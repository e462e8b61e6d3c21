//! xAPI statements of training steps: the export (`GET /exports/xapi?since=`), checked against a
//! statement schema written from ADL's specification by Python's `jsonschema` (`parsers`).

use entity::enums::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    helpers::{days_from_today as day, fixtures, TestApp},
    parsers,
};

const FAMILY_NAME: &str = "Berdimuhamedow-Test";

/// An enrollment of a new officer in `iteration`, confirmed.
async fn confirmed(app: &TestApp, partner: &str, iteration: &str) -> Value {
    let officer = app
        .ok(
            "mutation($p: ID!, $f: String!) { createOfficer(input: {partnerId: $p, familyName: $f, givenName: \"Merdan\", rank: \"Major\", service: BORDER_GUARD}) { id } }",
            json!({ "p": partner, "f": FAMILY_NAME }),
        )
        .await["createOfficer"]["id"]
        .clone();
    let e = app
        .ok(
            "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o, place: false}) { id version } }",
            json!({ "i": iteration, "o": officer }),
        )
        .await["nominateOfficer"]
        .clone();
    step(app, "confirmEnrollment", &e, None).await
}

/// Takes an enrollment one step; the enrollment after it.
async fn step(app: &TestApp, field: &str, e: &Value, score: Option<f64>) -> Value {
    let q = match score {
        Some(_) => format!("mutation($id: ID!, $v: Int!, $s: Float) {{ {field}(input: {{id: $id, version: $v, evaluationScore: $s}}) {{ id version officer {{ id }} }} }}"),
        None => format!("mutation($id: ID!, $v: Int!) {{ {field}(input: {{id: $id, version: $v}}) {{ id version officer {{ id }} }} }}"),
    };
    app.ok(&q, json!({ "id": e["id"], "v": e["version"], "s": score }))
        .await[field]
        .clone()
}

async fn export(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(format!("{}/exports/xapi?{query}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("export answered");
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(response.headers()["x-experience-api-version"], "1.0.3");
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

struct Trained {
    iteration: String,
    completed: Value,
    failed: Value,
    no_show: Value,
}

/// Three officers in an iteration that has started: one completes (score 85), one fails (40), one
/// does not show.
async fn trained(app: &TestApp) -> Trained {
    let partner = fixtures::partner(app, "TKM").await;
    let course = fixtures::course(app, "XAPI-1", None).await;
    let iteration = fixtures::iteration(app, &course, &day(-3), &day(3), 10, None).await;
    let a = confirmed(app, &partner, &iteration).await;
    let a = step(app, "recordAttendance", &a, None).await;
    let completed = step(app, "recordCompletion", &a, Some(85.0)).await;
    let b = confirmed(app, &partner, &iteration).await;
    let b = step(app, "recordAttendance", &b, None).await;
    let failed = step(app, "recordFailure", &b, Some(40.0)).await;
    let c = confirmed(app, &partner, &iteration).await;
    let no_show = step(app, "recordNoShow", &c, None).await;
    Trained {
        iteration,
        completed,
        failed,
        no_show,
    }
}

fn verb_of<'a>(statements: &'a [Value], verb: &str) -> Vec<&'a Value> {
    statements
        .iter()
        .filter(|s| s["verb"]["id"].as_str().unwrap().ends_with(verb))
        .collect()
}

async fn statements_follow_the_xapi_schema_and_name_no_one(app: TestApp) {
    let t = trained(&app).await;
    let reporter = app.token_for(Role::Reporter).await;
    let (status, body) = export(&app, &reporter, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    parsers::assert_valid_statements(&body["statements"]);
    let statements = body["statements"].as_array().unwrap();
    assert_eq!(
        statements.len(),
        5,
        "two attended, completed, failed, no-show: {body:#}"
    );
    assert!(!body.to_string().contains(FAMILY_NAME) && !body.to_string().contains("Merdan"));
    let attended = verb_of(statements, "/attended");
    assert_eq!(attended.len(), 2);
    assert_eq!(
        attended[0]["verb"]["id"],
        "http://adlnet.gov/expapi/verbs/attended"
    );
    let completed = verb_of(statements, "/completed")[0];
    assert_eq!(
        completed["verb"]["id"],
        "http://adlnet.gov/expapi/verbs/completed"
    );
    assert_eq!(completed["result"]["score"]["scaled"], 0.85);
    assert_eq!(completed["result"]["success"], true);
    assert_eq!(
        completed["object"]["id"],
        format!("http://127.0.0.1:8000/course-iterations/{}", t.iteration)
    );
    assert_eq!(
        completed["actor"]["account"]["homePage"],
        "http://127.0.0.1:8000"
    );
    let key = completed["actor"]["account"]["name"].as_str().unwrap();
    assert_ne!(
        key,
        t.completed["officer"]["id"].as_str().unwrap(),
        "opaque"
    );
    let failed = verb_of(statements, "/failed")[0];
    assert_eq!(
        failed["verb"]["id"],
        "http://adlnet.gov/expapi/verbs/failed"
    );
    assert_eq!(failed["result"]["score"]["scaled"], 0.4);
    assert_eq!(failed["result"]["success"], false);
    let no_show = verb_of(statements, "/did-not-attend");
    assert_eq!(no_show.len(), 1);
    assert_eq!(
        no_show[0]["verb"]["id"],
        "http://127.0.0.1:8000/xapi/verbs/did-not-attend"
    );
    assert_eq!(
        no_show[0]["actor"]["account"]["name"],
        json!(ipcp::service::xapi::officer_key(
            t.no_show["officer"]["id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        ))
    );
    let _ = &t.failed;
    let mut ids: Vec<&str> = statements
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "one id per enrollment and step");
}

async fn the_export_resumes_from_its_cursor_with_the_same_ids(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "XAPI-2", None).await;
    let iteration = fixtures::iteration(&app, &course, &day(-3), &day(3), 10, None).await;
    let a = confirmed(&app, &partner, &iteration).await;
    let a = step(&app, "recordAttendance", &a, None).await;
    let reporter = app.token_for(Role::Reporter).await;
    let (_, first) = export(&app, &reporter, "").await;
    assert_eq!(first["statements"].as_array().unwrap().len(), 1);
    let cursor = first["cursor"].as_str().unwrap().to_owned();
    let (_, nothing) = export(&app, &reporter, &format!("since={cursor}")).await;
    assert_eq!(nothing["statements"], json!([]));
    assert_eq!(nothing["cursor"], cursor.as_str());
    step(&app, "recordCompletion", &a, Some(70.0)).await;
    let (_, next) = export(&app, &reporter, &format!("since={cursor}")).await;
    parsers::assert_valid_statements(&next["statements"]);
    let next = next["statements"].as_array().unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0]["verb"]["id"],
        "http://adlnet.gov/expapi/verbs/completed"
    );
    // Read again from the start, in pages of one entry: the same statements, the same ids.
    let (mut since, mut again) = (String::new(), Vec::new());
    loop {
        let (_, page) = export(&app, &reporter, &format!("limit=1&{since}")).await;
        again.extend(page["statements"].as_array().unwrap().iter().cloned());
        since = format!("since={}", page["cursor"].as_str().unwrap());
        if page["more"] == false {
            break;
        }
    }
    let ids = |list: &[Value]| list.iter().map(|s| s["id"].clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&again[..1]),
        ids(first["statements"].as_array().unwrap())
    );
    assert_eq!(ids(&again[1..]), ids(next));
}

async fn a_bad_or_expired_cursor_is_refused_and_changes_nothing(app: TestApp) {
    trained(&app).await;
    let reporter = app.token_for(Role::Reporter).await;
    let (_, all) = export(&app, &reporter, "limit=1").await;
    let oldest = all["cursor"].as_str().unwrap().to_owned();
    let db = app.db().await;
    ipcp::service::change_log::purge(&db.conn, 0)
        .await
        .expect("purge");
    let before = app.contents().await;
    for (query, status, code) in [
        (
            format!("since={oldest}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CURSOR_EXPIRED",
        ),
        (
            "since=not-a-cursor".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "BAD_CURSOR",
        ),
        ("limit=0".into(), StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
        (
            "verb=attended".into(),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
    ] {
        let (got, body) = export(&app, &reporter, &query).await;
        assert_eq!(got, status, "{query}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{query}");
    }
    let response = app
        .client
        .get(format!("{}/exports/xapi", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    app.assert_unchanged(&before, "refused xAPI exports").await;
}

crate::on_both_backends!(
    statements_follow_the_xapi_schema_and_name_no_one,
    the_export_resumes_from_its_cursor_with_the_same_ids,
    a_bad_or_expired_cursor_is_refused_and_changes_nothing,
    an_lrs_url_the_outbound_rules_refuse_is_refused_and_changes_nothing,
);

/// A Learning Record Store stand-in on loopback: records every POST to `/xapi/statements` (its
/// headers and body) and answers with the status the test sets.
mod lrs {
    use std::sync::{
        atomic::{AtomicU16, Ordering},
        Arc, Mutex,
    };

    use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
    use serde_json::Value;

    #[derive(Debug, Clone)]
    pub struct Post {
        pub authorization: String,
        pub version: String,
        pub content_type: String,
        pub statements: Value,
        pub answered: u16,
    }

    #[derive(Clone, Default)]
    struct Shared {
        posts: Arc<Mutex<Vec<Post>>>,
        status: Arc<AtomicU16>,
    }

    pub struct Lrs {
        pub port: u16,
        shared: Shared,
        server: tokio::task::JoinHandle<()>,
    }

    impl Lrs {
        pub async fn start() -> Lrs {
            let shared = Shared::default();
            shared.status.store(200, Ordering::SeqCst);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let app = axum::Router::new()
                .route("/xapi/statements", post(statements))
                .with_state(shared.clone());
            let server = tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            Lrs {
                port,
                shared,
                server,
            }
        }

        pub fn answer(&self, status: u16) {
            self.shared.status.store(status, Ordering::SeqCst);
        }

        pub fn posts(&self) -> Vec<Post> {
            self.shared.posts.lock().unwrap().clone()
        }

        /// Waits until `done` holds for the posts received, or panics at the deadline.
        pub async fn wait_until(&self, what: &str, done: impl Fn(&[Post]) -> bool) -> Vec<Post> {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let posts = self.posts();
                if done(&posts) {
                    return posts;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "waited for {what}; received {posts:#?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }

    impl Drop for Lrs {
        fn drop(&mut self) {
            self.server.abort();
        }
    }

    async fn statements(
        State(shared): State<Shared>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, String) {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let answered = shared.status.load(Ordering::SeqCst);
        let statements: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let ids: Vec<Value> = statements
            .as_array()
            .map(|a| a.iter().map(|s| s["id"].clone()).collect())
            .unwrap_or_default();
        shared.posts.lock().unwrap().push(Post {
            authorization: header("authorization"),
            version: header("x-experience-api-version"),
            content_type: header("content-type"),
            statements,
            answered,
        });
        (
            StatusCode::from_u16(answered).unwrap(),
            serde_json::to_string(&ids).unwrap(),
        )
    }
}

const REGISTER_LRS: &str = "mutation($u: String!, $n: String!, $p: String!) { registerLrsEndpoint(input: {url: $u, username: $n, password: $p}) { id format username url kinds } }";

fn quick() -> ipcp::config::ServeArgs {
    ipcp::config::ServeArgs {
        rate_limit_per_second: 0,
        webhooks: ipcp::config::WebhookArgs {
            webhook_allow_hosts: vec!["127.0.0.1".into()],
            webhook_retry_window_secs: 3600,
            webhook_backoff_ms: 50,
            webhook_poll_ms: 50,
            webhook_lease_secs: 10,
            webhook_worker: true,
        },
        ..Default::default()
    }
}

/// The LRS first answers 503: the batch is sent again, with the same statement ids, until it
/// answers 200; the statements follow the schema, carry the version header and the Basic
/// credentials, and are the ones the export gives.
async fn the_lrs_push_sends_batches_with_basic_credentials_and_the_same_ids_again(
    backend: crate::helpers::Backend,
) {
    use base64::Engine;
    let app = TestApp::spawn_with(backend, quick()).await;
    let lrs = lrs::Lrs::start().await;
    lrs.answer(503);
    let registered = app
        .ok(
            REGISTER_LRS,
            json!({ "u": format!("http://127.0.0.1:{}/xapi", lrs.port), "n": "lrs-key", "p": "lrs-s3cret" }),
        )
        .await;
    assert_eq!(registered["registerLrsEndpoint"]["format"], "XAPI");
    assert_eq!(registered["registerLrsEndpoint"]["username"], "lrs-key");
    assert!(
        !registered.to_string().contains("lrs-s3cret"),
        "the password is not shown"
    );
    trained(&app).await;
    let refused = lrs
        .wait_until("a refused batch", |posts| !posts.is_empty())
        .await;
    lrs.answer(200);
    let posts = lrs
        .wait_until("every statement accepted", |posts| {
            posts
                .iter()
                .filter(|p| p.answered == 200)
                .flat_map(|p| p.statements.as_array().cloned().unwrap_or_default())
                .count()
                >= 5
        })
        .await;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("lrs-key:lrs-s3cret")
    );
    let mut accepted = Vec::new();
    for post in &posts {
        assert_eq!(post.authorization, expected);
        assert_eq!(post.version, "1.0.3");
        assert_eq!(post.content_type, "application/json");
        parsers::assert_valid_statements(&post.statements);
        if post.answered == 200 {
            accepted.extend(post.statements.as_array().unwrap().iter().cloned());
        }
    }
    let ids = |list: &[Value]| {
        let mut ids: Vec<String> = list
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let accepted_ids = ids(&accepted);
    let mut unique = accepted_ids.clone();
    unique.dedup();
    assert_eq!(
        unique.len(),
        5,
        "each step once once accepted: {accepted_ids:?}"
    );
    for id in ids(refused[0].statements.as_array().unwrap()) {
        assert!(
            accepted_ids.contains(&id),
            "the batch sent again carries the same id {id}"
        );
    }
    let reporter = app.token_for(Role::Reporter).await;
    let (_, exported) = export(&app, &reporter, "").await;
    assert_eq!(ids(exported["statements"].as_array().unwrap()), unique);
    assert!(!posts
        .iter()
        .any(|p| p.statements.to_string().contains(FAMILY_NAME)));
    // Every delivery ends DELIVERED.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let counts = app
            .ok(
                "{ pending: webhookDeliveries(status: PENDING) { totalCount } delivered: webhookDeliveries(status: DELIVERED) { totalCount } }",
                json!({}),
            )
            .await;
        if counts["pending"]["totalCount"] == 0 && counts["delivered"]["totalCount"] == 5 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "deliveries: {counts}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn an_lrs_url_the_outbound_rules_refuse_is_refused_and_changes_nothing(app: TestApp) {
    let before = app.contents().await;
    for url in ["http://10.1.2.3/xapi/", "http://[::1]:9/xapi/"] {
        let code = app
            .error_code(REGISTER_LRS, json!({ "u": url, "n": "k", "p": "s" }))
            .await;
        assert_eq!(code, "WEBHOOK_URL_REFUSED", "{url}");
    }
    let code = app
        .error_code(
            REGISTER_LRS,
            json!({ "u": "https://93.184.216.34/xapi/", "n": "k", "p": "  " }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
    app.assert_unchanged(&before, "refused LRS endpoints").await;
}

mod lrs_push {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::the_lrs_push_sends_batches_with_basic_credentials_and_the_same_ids_again(
            crate::helpers::Backend::Sqlite,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::the_lrs_push_sends_batches_with_basic_credentials_and_the_same_ids_again(
            crate::helpers::Backend::Postgres,
        )
        .await
    }
}
