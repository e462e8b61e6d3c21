//! Issue 25's acceptance tests: dashboard reads compiled to one SQL statement per root field give
//! exactly the resolvers' answers. Two servers share one database: the one under test (compiled
//! reads on, the default) and its twin with `IPCP_COMPILED_READS=off`. Every request goes to both
//! as the same caller; their HTTP status and body, less the response's `extensions`, must be the
//! same bytes. Every test runs on SQLite and on PostgreSQL.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use entity::enums::Role;
use ipcp::config::{CompiledReads, ServeArgs, WebhookArgs};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use serde_json::{json, Value};

use crate::helpers::{days_from_today, fixtures, Backend, TestApp};

/// Runs each named `async fn(Backend)` once per backend, as `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

on_both!(
    the_comparison_sees_a_difference_in_an_error_message,
    compiled_and_resolver_answers_are_the_same_for_generated_selections,
    the_bench_partner_by_code_with_its_active_cycle_answers_the_same,
    the_bench_iterations_page_answers_the_same,
    the_bench_deep_query_answers_the_same,
    the_bench_report_queries_answer_the_same,
    an_unknown_partner_code_is_the_same_error,
    a_malformed_partner_code_is_the_same_error,
    an_invalid_id_is_the_same_error,
    a_page_size_of_101_or_below_zero_is_the_same_error,
    first_and_last_together_answer_the_same,
    a_cursor_of_another_list_answers_the_same,
    the_same_document_with_other_variables_answers_the_same,
    personal_data_is_shown_per_role_the_same,
    a_guarded_root_field_refuses_the_same,
    depth_and_complexity_limits_refuse_the_same,
    compiled_and_resolved_root_fields_mix_in_selection_order,
    compiled_reads_serve_all_their_root_fields_in_one_statement,
    compiled_dashboard_queries_never_scan_enrollment_sequentially,
);

// ---------------------------------------------------------------------------------------------
// Two servers on one database

/// How many times the resolvers are asked again when their answer with errors differs (see
/// `Pair::resolvers_may_answer`).
const RESOLVER_RETRIES: usize = 20;

/// Callers: anonymous, then each role.
const ROLES: [Option<Role>; 5] = [
    None,
    Some(Role::Admin),
    Some(Role::ProgrammeOfficer),
    Some(Role::Analyst),
    Some(Role::Reporter),
];

/// No rate limit (the generated corpus sends hundreds of requests a second) and no webhook worker
/// (its polls would count as the request's statements).
fn serve(compiled_reads: CompiledReads, expose_statement_count: bool) -> ServeArgs {
    ServeArgs {
        compiled_reads,
        expose_statement_count,
        rate_limit_per_second: 0,
        webhooks: WebhookArgs {
            webhook_worker: false,
            ..Default::default()
        },
        ..ServeArgs::default()
    }
}

/// The server under test (compiled reads on) and its twin (off) on one database, with a token
/// of each role (the same tokens work on both: they live in the database).
struct Pair {
    app: TestApp,
    /// The address of the twin serving every field through the resolvers.
    off: String,
    /// A token per entry of `ROLES` (None: anonymous).
    tokens: Vec<Option<String>>,
}

/// One answer, the same from both servers.
struct Answer {
    /// Root fields the compiled path served (`extensions.compiledFields`; 0 unless the pair
    /// exposes statement counts).
    compiled: u64,
    status: u16,
    /// The body without its `extensions`, as sent.
    text: String,
    json: Value,
}

/// Whether both answers are the same request errors in another order: async-graphql's validation
/// walks a document's fragments in hash order, which differs from one parse to another.
fn same_request_errors(on: &str, off: &str) -> bool {
    let errors = |text: &str| -> Option<Vec<String>> {
        let value: Value = serde_json::from_str(text).ok()?;
        if value.get("data").is_some() {
            return None;
        }
        let mut errors: Vec<String> = value["errors"]
            .as_array()?
            .iter()
            .map(|e| e.to_string())
            .collect();
        errors.sort();
        Some(errors)
    };
    match (errors(on), errors(off)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

impl Pair {
    async fn new(backend: Backend) -> Pair {
        Pair::with_statement_count(backend, false).await
    }

    async fn with_statement_count(backend: Backend, expose: bool) -> Pair {
        Pair::of(
            backend,
            serve(CompiledReads::On, expose),
            serve(CompiledReads::Off, expose),
        )
        .await
    }

    async fn of(backend: Backend, on: ServeArgs, off: ServeArgs) -> Pair {
        let app = TestApp::spawn_with(backend, on).await;
        let off = app.twin_with(off).await;
        let mut tokens = Vec::new();
        for role in ROLES {
            tokens.push(match role {
                Some(role) => Some(app.token_for(role).await),
                None => None,
            });
        }
        Pair { app, off, tokens }
    }

    fn token(&self, role: Option<Role>) -> Option<&str> {
        let i = ROLES.iter().position(|r| *r == role).expect("a role");
        self.tokens[i].as_deref()
    }

    /// Sends the request to both servers as `role`: their answer, or both answers side by side
    /// with the document when they differ.
    async fn compare(
        &self,
        role: Option<Role>,
        query: &str,
        variables: &Value,
    ) -> Result<Answer, String> {
        let token = self.token(role);
        let (on_status, on) = self
            .app
            .gql_text_at(&self.app.address, token, query, variables)
            .await;
        let (off_status, off) = self
            .app
            .gql_text_at(&self.off, token, query, variables)
            .await;
        let compiled = serde_json::from_str::<Value>(&on)
            .ok()
            .and_then(|v| v["extensions"]["compiledFields"].as_u64())
            .unwrap_or(0);
        let (on, off) = (without_extensions(&on), without_extensions(&off));
        if (on_status != off_status || on != off)
            && !same_request_errors(&on, &off)
            && !self
                .resolvers_may_answer(token, query, variables, (on_status, &on), &off)
                .await
        {
            return Err(format!(
                "the compiled path and the resolvers answer differently, as {}\n\
                 --- document\n{query}\n--- variables\n{variables}\n\
                 --- compiled reads on: {on_status}\n{on}\n--- compiled reads off: {off_status}\n{off}",
                role_name(role)
            ));
        }
        Ok(Answer {
            compiled,
            status: on_status.as_u16(),
            json: serde_json::from_str(&on).unwrap_or(Value::Null),
            text: on,
        })
    }

    /// Whether the resolvers, asked again, give the answer `on` too. When several root fields
    /// fail, the resolvers run them at once and report whichever error comes first (the data is
    /// null): any of those answers is right. Only answers with errors are asked again.
    async fn resolvers_may_answer(
        &self,
        token: Option<&str>,
        query: &str,
        variables: &Value,
        on: (reqwest::StatusCode, &str),
        off: &str,
    ) -> bool {
        if !(on.1.contains("\"errors\":") && off.contains("\"errors\":")) {
            return false;
        }
        for _ in 0..RESOLVER_RETRIES {
            let (status, text) = self
                .app
                .gql_text_at(&self.off, token, query, variables)
                .await;
            if status == on.0 && without_extensions(&text) == on.1 {
                return true;
            }
        }
        false
    }

    /// As `compare`, panicking when the answers differ.
    async fn same(&self, role: Option<Role>, query: &str, variables: Value) -> Answer {
        self.compare(role, query, &variables)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// As `same` for ADMIN; the answer must have data and no error.
    async fn same_ok(&self, query: &str, variables: Value) -> Answer {
        let answer = self.same(Some(Role::Admin), query, variables).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert!(
            answer.json.get("errors").is_none() && answer.json["data"].is_object(),
            "expected data and no error: {}",
            answer.text
        );
        answer
    }

    /// As `same`; the answer must carry an error, whose `extensions.code` it returns.
    async fn same_error(&self, role: Option<Role>, query: &str, variables: Value) -> String {
        let answer = self.same(role, query, variables).await;
        answer.json["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code: {}", answer.text))
            .to_owned()
    }

    /// `data` of a query run as ADMIN on the twin (the resolvers), for ids and cursors.
    async fn resolved(&self, query: &str, variables: Value) -> Value {
        let (status, text) = self
            .app
            .gql_text_at(&self.off, self.token(Some(Role::Admin)), query, &variables)
            .await;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(
            status.is_success() && body.get("errors").is_none(),
            "{query}: {text}"
        );
        body["data"].clone()
    }
}

fn role_name(role: Option<Role>) -> &'static str {
    match role {
        None => "anonymous",
        Some(Role::Admin) => "ADMIN",
        Some(Role::ProgrammeOfficer) => "PROGRAMME_OFFICER",
        Some(Role::Analyst) => "ANALYST",
        Some(Role::Reporter) => "REPORTER",
    }
}

/// The body's text without its top-level `extensions` member (statement counts differ by path);
/// everything else byte for byte. A body that is not a JSON object is returned as it is.
fn without_extensions(body: &str) -> String {
    let trimmed = body.trim();
    if !trimmed.starts_with('{') {
        return body.to_owned();
    }
    let mut members = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut start = 1;
    for (i, b) in trimmed.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    members.push(&trimmed[start..i]);
                }
            }
            b',' if depth == 1 => {
                members.push(&trimmed[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    let kept: Vec<&str> = members
        .into_iter()
        .filter(|m| !m.trim().is_empty() && !m.trim_start().starts_with("\"extensions\""))
        .collect();
    format!("{{{}}}", kept.join(","))
}

#[test]
fn without_extensions_drops_only_the_top_level_extensions() {
    assert_eq!(
        without_extensions(
            r#"{"data":{"a":{"extensions":1},"b":"x,}"},"errors":[{"extensions":{"code":"X"}}],"extensions":{"statementCount":3}}"#
        ),
        r#"{"data":{"a":{"extensions":1},"b":"x,}"},"errors":[{"extensions":{"code":"X"}}]}"#
    );
    assert_eq!(
        without_extensions(r#"{"extensions":{"n":1},"data":null}"#),
        r#"{"data":null}"#
    );
    assert_eq!(without_extensions("Too Many Requests"), "Too Many Requests");
}

/// The harness itself: two servers that answer one request differently (only the twin adds
/// "Did you mean" hints to validation errors) are told apart.
async fn the_comparison_sees_a_difference_in_an_error_message(backend: Backend) {
    let twin = ServeArgs {
        suggestions: true,
        ..serve(CompiledReads::Off, false)
    };
    let pair = Pair::of(backend, serve(CompiledReads::On, false), twin).await;
    let typo = "{ partner(code: \"AAA\") { nme } }";
    let difference = pair
        .compare(Some(Role::Admin), typo, &json!({}))
        .await
        .err()
        .expect("answers that differ");
    assert!(
        difference.contains("Did you mean") && difference.contains(typo),
        "{difference}"
    );
    // The same request is the same answer.
    pair.same(
        Some(Role::Admin),
        "{ partner(code: \"ZZZ\") { name } }",
        json!({}),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// The dataset, made through the API

/// Ids of what `seed` made.
struct Dataset {
    /// AAA (cycles, officers, enrollments), BBB (a draft and an approved cycle, a few officers),
    /// CCC (nothing).
    partners: Vec<String>,
    cycles: Vec<String>,
    /// AAA's ACTIVE cycle (it renews AAA's CLOSED one).
    active_cycle: String,
    courses: Vec<String>,
    /// Past HELD ones first, then OPEN, CLOSED, CANCELLED and PLANNED ones to come.
    iterations: Vec<String>,
    objectives: Vec<String>,
}

const NOMINATE: &str = "mutation($i: ID!, $o: ID!, $p: Boolean!) { nominateOfficer(input: {iterationId: $i, officerId: $o, place: $p}) { id version status } }";

/// An enrollment: its id and version.
struct Enrolled {
    id: String,
    version: i64,
}

async fn nominate(app: &TestApp, iteration: &str, officer: &str, place: bool) -> Enrolled {
    let e = &app
        .ok(
            NOMINATE,
            json!({ "i": iteration, "o": officer, "p": place }),
        )
        .await["nominateOfficer"];
    Enrolled {
        id: e["id"].as_str().expect("id").to_owned(),
        version: e["version"].as_i64().expect("version"),
    }
}

/// Takes the enrollment through the mutations `steps` (recordCompletion and recordFailure with an
/// evaluation score).
async fn steps(app: &TestApp, e: &mut Enrolled, mutations: &[&str]) {
    for step in mutations {
        let score = match *step {
            "recordCompletion" => ", evaluationScore: 87.5",
            "recordFailure" => ", evaluationScore: 31",
            _ => "",
        };
        let q = format!(
            "mutation($id: ID!, $v: Int!) {{ {step}(input: {{id: $id, version: $v{score}}}) {{ version }} }}"
        );
        e.version = app.ok(&q, json!({ "id": e.id, "v": e.version })).await[*step]["version"]
            .as_i64()
            .expect("version");
    }
}

async fn iteration(
    app: &TestApp,
    course: &str,
    days: (i64, i64),
    capacity: i64,
    quota: Option<i64>,
    status: &str,
    location: &str,
) -> String {
    app.ok(
        "mutation($c: ID!, $s: Date!, $e: Date!, $cap: Int!, $q: Int, $st: IterationStatus, $l: String!) { createCourseIteration(input: {courseId: $c, startDate: $s, endDate: $e, location: $l, capacity: $cap, partnerQuota: $q, status: $st}) { id } }",
        json!({ "c": course, "s": days_from_today(days.0), "e": days_from_today(days.1), "cap": capacity, "q": quota, "st": status, "l": location }),
    )
    .await["createCourseIteration"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// Moves an iteration to `status` (HELD, CLOSED) at its current version.
async fn set_status(app: &TestApp, id: &str, status: &str) {
    let version = app
        .ok(
            "query($id: ID!) { courseIteration(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await["courseIteration"]["version"]
        .clone();
    app.ok(
        "mutation($id: ID!, $v: Int!, $s: IterationStatus!) { updateCourseIteration(input: {id: $id, version: $v, status: $s}) { id } }",
        json!({ "id": id, "v": version, "s": status }),
    )
    .await;
}

async fn officer(
    app: &TestApp,
    partner: &str,
    family: &str,
    rank: &str,
    service: &str,
    personal: Option<(&str, &str)>,
) -> String {
    app.ok(
        "mutation($p: ID!, $f: String!, $r: String!, $s: Service!, $pos: String, $slp: String) { createOfficer(input: {partnerId: $p, familyName: $f, givenName: \"Given\", rank: $r, service: $s, position: $pos, slp: $slp}) { id } }",
        json!({ "p": partner, "f": family, "r": rank, "s": service, "pos": personal.map(|p| p.0), "slp": personal.map(|p| p.1) }),
    )
    .await["createOfficer"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn objective(
    app: &TestApp,
    cycle: &str,
    area: &str,
    title: &str,
    target: Option<f64>,
    baseline: Option<&str>,
) -> String {
    app.ok(
        "mutation($c: ID!, $a: ID!, $t: String!, $g: Float, $b: String) { createObjective(input: {cycleId: $c, areaId: $a, title: $t, indicator: \"officers trained\", target: $g, baseline: $b}) { id } }",
        json!({ "c": cycle, "a": area, "t": title, "g": target, "b": baseline }),
    )
    .await["createObjective"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn link(app: &TestApp, iteration: &str, objective: &str) {
    app.ok(
        "mutation($i: ID!, $o: ID!) { linkIterationObjective(iterationId: $i, objectiveId: $o) { id } }",
        json!({ "i": iteration, "o": objective }),
    )
    .await;
}

/// Partners, cycles (CLOSED, ACTIVE renewing it, DRAFT, APPROVED) with objectives, courses,
/// iterations in every status, officers with and without personal data, and enrollments in
/// every status (waitlisted ones included), all made through the API as ADMIN.
async fn seed(app: &TestApp) -> Dataset {
    let cap = fixtures::area(app, "CAP").await;
    let civ = fixtures::area(app, "CIV").await;
    let aaa = fixtures::partner(app, "AAA").await;
    let bbb = fixtures::partner(app, "BBB").await;
    let ccc = fixtures::partner(app, "CCC").await;
    app.ok(
        "mutation($p: ID!) { createPartnershipMilestone(input: {partnerId: $p, framework: PFP, occurredOn: \"1994-05-10\", description: \"Joined PfP\"}) { id } }",
        json!({ "p": aaa }),
    )
    .await;
    app.ok(
        "mutation($p: ID!) { createPointOfContact(input: {role: PARTNER_POC, familyName: \"Poc\", givenName: \"Pat\", email: \"pat@example.org\", partnerId: $p}) { id } }",
        json!({ "p": aaa }),
    )
    .await;

    // AAA: a cycle that ended, renewed by the ACTIVE one running today.
    let (closed, v) = crate::cycle_rules::active(app, &aaa, &days_from_today(-800)).await;
    let o4 = objective(app, &closed, &civ, "Earlier goal", Some(1.0), None).await;
    let renewal = app
        .ok(
            "mutation($id: ID!, $v: Int!) { renewProgrammeCycle(input: {id: $id, version: $v}) { id version } }",
            json!({ "id": closed, "v": v }),
        )
        .await["renewProgrammeCycle"]
        .clone();
    let v = app
        .ok(
            "query($id: ID!) { programmeCycle(id: $id) { version } }",
            json!({ "id": closed }),
        )
        .await["programmeCycle"]["version"]
        .clone();
    app.ok(
        "mutation($id: ID!, $v: Int!) { closeProgrammeCycle(input: {id: $id, version: $v}) { id } }",
        json!({ "id": closed, "v": v }),
    )
    .await;
    let active_cycle = renewal["id"].as_str().expect("id").to_owned();
    let approved = app
        .ok(
            "mutation($id: ID!, $v: Int!) { approveProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: \"2023-06-01\", partnerApprovedOn: \"2023-06-02\"}) { version } }",
            json!({ "id": active_cycle, "v": renewal["version"] }),
        )
        .await["approveProgrammeCycle"]["version"]
        .clone();
    app.ok(
        "mutation($id: ID!, $v: Int!) { activateProgrammeCycle(input: {id: $id, version: $v}) { id } }",
        json!({ "id": active_cycle, "v": approved }),
    )
    .await;
    // BBB: a draft and an approved cycle.
    let (draft, _) = fixtures::cycle(app, &bbb, "IPCP", &days_from_today(-30)).await;
    let (bbb_approved, _) = crate::cycle_rules::approved(app, &bbb, &days_from_today(800)).await;

    let o1 = objective(
        app,
        &active_cycle,
        &cap,
        "Interoperable staff",
        Some(5.0),
        Some("none"),
    )
    .await;
    let o2 = objective(app, &active_cycle, &cap, "Border officers", None, None).await;
    let o3 = objective(
        app,
        &active_cycle,
        &civ,
        "Civil preparedness",
        Some(2.5),
        None,
    )
    .await;

    let k1 = fixtures::course(app, "K1", None).await;
    let k2 = fixtures::course(app, "K2", None).await;
    let k3 = fixtures::course(app, "K3", None).await;

    let mut a = Vec::new();
    for (i, (rank, service)) in [
        ("Captain", "ARMY"),
        ("Major", "ARMY"),
        ("Captain", "NAVY"),
        ("Lieutenant", "BORDER_GUARD"),
        ("Mr", "CIVILIAN"),
        ("Colonel", "AIR_FORCE"),
        ("Captain", "ARMY"),
    ]
    .into_iter()
    .enumerate()
    {
        let personal = (i % 2 == 0).then_some(("Staff officer", "3322"));
        a.push(officer(app, &aaa, &format!("Alpha{i}"), rank, service, personal).await);
    }
    let mut b = Vec::new();
    for i in 0..3 {
        b.push(officer(app, &bbb, &format!("Bravo{i}"), "Major", "NAVY", None).await);
    }

    // Three iterations that took place: seats confirmed (capacity reached, one waitlisted),
    // attendance and outcomes recorded, then HELD.
    let p1 = iteration(app, &k1, (-40, -38), 3, None, "OPEN", "Oberammergau").await;
    let mut e = nominate(app, &p1, &a[0], true).await;
    steps(app, &mut e, &["recordAttendance", "recordCompletion"]).await;
    let mut e = nominate(app, &p1, &a[1], true).await;
    steps(app, &mut e, &["recordAttendance", "recordFailure"]).await;
    let mut e = nominate(app, &p1, &a[2], true).await;
    steps(app, &mut e, &["recordNoShow"]).await;
    nominate(app, &p1, &a[3], true).await; // waitlisted: no seat left
    let mut e = nominate(app, &p1, &b[0], false).await;
    steps(app, &mut e, &["declineEnrollment"]).await;
    set_status(app, &p1, "HELD").await;

    let p2 = iteration(app, &k2, (-30, -28), 4, Some(3), "OPEN", "Sofia").await;
    let mut e = nominate(app, &p2, &a[4], true).await;
    steps(app, &mut e, &["recordAttendance", "recordCompletion"]).await;
    let mut e = nominate(app, &p2, &a[5], true).await;
    steps(app, &mut e, &["recordAttendance"]).await;
    let mut e = nominate(app, &p2, &b[1], true).await;
    steps(app, &mut e, &["recordAttendance", "recordCompletion"]).await;
    set_status(app, &p2, "HELD").await;

    let p3 = iteration(app, &k3, (-20, -18), 2, None, "OPEN", "Ankara").await;
    for officer in [&a[0], &a[1]] {
        let mut e = nominate(app, &p3, officer, true).await;
        steps(app, &mut e, &["recordAttendance", "recordCompletion"]).await;
    }
    set_status(app, &p3, "HELD").await;

    // Iterations to come: a full one with a waitlist, an open one, a closed, a cancelled and a
    // planned one.
    let f1 = iteration(app, &k1, (30, 34), 2, Some(2), "OPEN", "Oberammergau").await;
    nominate(app, &f1, &a[2], true).await;
    let mut e = nominate(app, &f1, &a[3], true).await;
    nominate(app, &f1, &a[4], true).await;
    nominate(app, &f1, &a[5], true).await;
    steps(app, &mut e, &["withdrawEnrollment"]).await;
    nominate(app, &f1, &b[0], false).await;
    let mut e = nominate(app, &f1, &a[6], false).await;
    steps(app, &mut e, &["declineEnrollment"]).await;

    let f2 = iteration(app, &k2, (60, 62), 10, None, "OPEN", "Vienna").await;
    nominate(app, &f2, &a[0], false).await;
    let mut e = nominate(app, &f2, &b[2], false).await;
    steps(app, &mut e, &["confirmEnrollment"]).await;
    let mut e = nominate(app, &f2, &a[6], true).await;
    steps(app, &mut e, &["withdrawEnrollment"]).await;

    let f3 = iteration(app, &k3, (90, 91), 5, None, "OPEN", "Riga").await;
    nominate(app, &f3, &a[1], true).await;
    set_status(app, &f3, "CLOSED").await;
    let f4 = iteration(app, &k1, (120, 121), 5, None, "OPEN", "Tallinn").await;
    nominate(app, &f4, &a[1], true).await;
    app.ok(
        "mutation($id: ID!, $v: Int!) { cancelCourseIteration(input: {id: $id, version: $v}) { id } }",
        json!({ "id": f4, "v": app.ok("query($id: ID!) { courseIteration(id: $id) { version } }", json!({ "id": f4 })).await["courseIteration"]["version"] }),
    )
    .await;
    let f5 = iteration(app, &k2, (150, 152), 8, None, "PLANNED", "Tbilisi").await;

    for (i, o) in [
        (&p1, &o1),
        (&p2, &o1),
        (&f1, &o1),
        (&p3, &o2),
        (&p1, &o2),
        (&f2, &o3),
    ] {
        link(app, i, o).await;
    }

    // Every status of each kind of record is there.
    let all = app
        .ok(
            "{ enrollments(first: 100) { nodes { status } } courseIterations(first: 100) { nodes { status } }
               programmeCycles(first: 100) { nodes { status renews { id } } } }",
            json!({}),
        )
        .await;
    let statuses = |list: &str| {
        let mut found: Vec<String> = all[list]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["status"].as_str().expect("status").to_owned())
            .collect();
        found.sort();
        found.dedup();
        found.join(" ")
    };
    assert_eq!(
        statuses("enrollments"),
        "ATTENDED CANCELLED COMPLETED CONFIRMED DECLINED FAILED NOMINATED NO_SHOW WAITLISTED WITHDRAWN"
    );
    assert_eq!(
        statuses("courseIterations"),
        "CANCELLED CLOSED HELD OPEN PLANNED"
    );
    assert_eq!(statuses("programmeCycles"), "ACTIVE APPROVED CLOSED DRAFT");
    assert!(
        all["programmeCycles"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .any(|c| c["renews"].is_object()),
        "a cycle renews another"
    );

    Dataset {
        partners: vec![aaa, bbb, ccc],
        cycles: vec![closed, active_cycle.clone(), draft, bbb_approved],
        active_cycle,
        courses: vec![k1, k2, k3],
        iterations: vec![p1, p2, p3, f1, f2, f3, f4, f5],
        objectives: vec![o1, o2, o3, o4],
    }
}

// ---------------------------------------------------------------------------------------------
// The bench's dashboard queries (bench/src/cases.rs `CASES`, copied: the tests cannot depend on
// the bench crate)

const PARTNER_WITH_ACTIVE_CYCLE: &str = "query($code: String!) { partner(code: $code) { id code name activeCycle { id kind startDate endDate status } } }";

const ITERATIONS_PAGE: &str = "query($code: String!) { partner(code: $code) { id } courseIterations(first: 20, status: HELD) { edges { node { id startDate capacity seatsHeld
                    enrollments(first: 10) { edges { node { status officer { rank service } } } } } } } }";

const DEEP: &str = "query($code: String!) { partner(code: $code) { cycles { id objectives { title iterations { startDate
                    enrollments(first: 10) { edges { node { status officer { rank } } } } } } } } }";

const PARTNER_OVERVIEW: &str = "query($code: String!) { partnerOverview(code: $code) { code name
    activeCycle { id partnerCode kind status startDate endDate } renewalDueOn daysUntilRenewal
    timeline { kind startDate endDate code text cycleId } } }";

const CYCLE_REPORT: &str = "query($cycleId: ID!) { cycleReport(cycleId: $cycleId) {
    cycle { ...C } figures { ...F } previousCycle { ...C } previous { ...F } } }
  fragment C on ReportCycle { id partnerCode partnerName kind status startDate endDate }
  fragment F on CycleFigures {
    objectivesByStatus { areaCode status count }
    objectiveIndicators { objectiveId title areaCode status target actual }
    topics { topic iterations heldIterations seatsHeld capacity fillRate partnerSeatsHeld }
    officersTrained
    officersTrainedByTopic { code count } officersTrainedByService { code count } officersTrainedByRank { code count }
    funnel { code count }
    seatsHeld completed noShow withdrawnAfterConfirmation confirmedPlaces completionRate noShowRate withdrawalRate
    activitiesByArea { areaCode count } }";

const CYCLE_REPORT_FULL: &str = "query($cycleId: ID!) { cycleReport(cycleId: $cycleId) {
    cycle { ...C } figures { ...F } previousCycle { ...C } previous { ...F }
    evaluation { eligible responses responseRate withheldReason items { item responses mean distribution }
      followUpsDue followUpsRecorded followUpRate appliedAtWork { yes partly no } }
    costs { cycleId officersTrained currencies { currency total { planned { amountMinor } actual { amountMinor } }
      byCategory { code planned { amountMinor } actual { amountMinor } }
      bySource { code nation planned { amountMinor } actual { amountMinor } }
      costPerOfficerTrained { amountMinor } } } } }
  fragment C on ReportCycle { id partnerCode partnerName kind status startDate endDate }
  fragment F on CycleFigures {
    objectivesByStatus { areaCode status count }
    objectiveIndicators { objectiveId title areaCode status target actual }
    topics { topic iterations heldIterations seatsHeld capacity fillRate partnerSeatsHeld }
    officersTrained
    officersTrainedByTopic { code count } officersTrainedByService { code count } officersTrainedByRank { code count }
    funnel { code count }
    seatsHeld completed noShow withdrawnAfterConfirmation confirmedPlaces completionRate noShowRate withdrawalRate
    activitiesByArea { areaCode count } }";

// ---------------------------------------------------------------------------------------------
// Generated selections

/// Cases per backend of the generated corpus.
const GENERATED_CASES: u32 = 128;

async fn compiled_and_resolver_answers_are_the_same_for_generated_selections(backend: Backend) {
    let pair = Arc::new(Pair::with_statement_count(backend, true).await);
    let data = seed(&pair.app).await;
    let pools = Arc::new(gen::pools(&pair, &data).await);
    // Cases answered with data and no error: the corpus must not be all refusals.
    let answered = Arc::new(AtomicUsize::new(0));
    // Cases the compiled path served (at least one root field): nor all fallbacks.
    let compiled = Arc::new(AtomicUsize::new(0));
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::spawn_blocking({
        let (pair, answered, compiled) = (pair.clone(), answered.clone(), compiled.clone());
        move || {
            // Built here: proptest's boxed strategies are not Send.
            let strategy = gen::case(pools);
            let mut runner = TestRunner::new(Config {
                cases: GENERATED_CASES,
                failure_persistence: None,
                max_shrink_iters: 200,
                ..Config::default()
            });
            runner
                .run(&strategy, |case| {
                    let (document, variables) = gen::render(&case);
                    if std::env::var_os("IPCP_SHOW_GENERATED").is_some() {
                        eprintln!("{document}\n{variables}\n");
                    }
                    let answer = handle
                        .block_on(pair.compare(ROLES[case.role], &document, &variables))
                        .map_err(TestCaseError::fail)?;
                    if std::env::var_os("IPCP_SHOW_GENERATED").is_some() {
                        eprintln!("=> {}", answer.json["errors"][0]["message"]);
                    }
                    if answer.json.get("errors").is_none() && answer.json["data"].is_object() {
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    if answer.compiled > 0 {
                        compiled.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(())
                })
                .map_err(|e| e.to_string())
        }
    })
    .await
    .expect("the generated corpus ran");
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let answered = answered.load(Ordering::SeqCst);
    eprintln!("{answered} of {GENERATED_CASES} generated documents answered without error");
    assert!(
        answered >= GENERATED_CASES as usize / 8,
        "only {answered} of {GENERATED_CASES} generated documents were answered without error"
    );
    let compiled = compiled.load(Ordering::SeqCst);
    eprintln!("{compiled} of {GENERATED_CASES} generated documents served by compiled reads");
    // SQLite leaves every selection with a cursor to the resolvers: fewer there.
    assert!(
        compiled >= GENERATED_CASES as usize / 16,
        "only {compiled} of {GENERATED_CASES} generated documents were served by compiled reads"
    );
}

/// Random selections over the compiled types (and fields the compiler leaves to the resolvers),
/// rendered as GraphQL documents.
mod gen {
    use std::sync::Arc;

    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::{Dataset, Pair};
    use crate::helpers::days_from_today;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Ty {
        Partner,
        Cycle,
        Objective,
        Iteration,
        Enrollment,
        Officer,
        IterationConnection,
        EnrollmentConnection,
        OfficerConnection,
        IterationEdge,
        EnrollmentEdge,
        OfficerEdge,
        PageInfo,
    }

    impl Ty {
        fn name(self) -> &'static str {
            match self {
                Ty::Partner => "Partner",
                Ty::Cycle => "ProgrammeCycle",
                Ty::Objective => "Objective",
                Ty::Iteration => "CourseIteration",
                Ty::Enrollment => "Enrollment",
                Ty::Officer => "Officer",
                Ty::IterationConnection => "CourseIterationConnection",
                Ty::EnrollmentConnection => "EnrollmentConnection",
                Ty::OfficerConnection => "OfficerConnection",
                Ty::IterationEdge => "CourseIterationEdge",
                Ty::EnrollmentEdge => "EnrollmentEdge",
                Ty::OfficerEdge => "OfficerEdge",
                Ty::PageInfo => "PageInfo",
            }
        }
    }

    #[derive(Clone, Copy, Debug)]
    enum Kind {
        Scalar,
        /// An object the compiler does not cover, with a fixed selection.
        Fixed(&'static str),
        Object(Ty, Args),
    }

    #[derive(Clone, Copy, Debug)]
    enum Args {
        None,
        /// first/after, with last/before when `backward`, with an enrollment status filter when
        /// `status`.
        Page {
            backward: bool,
            status: bool,
        },
    }

    const PAGE: Args = Args::Page {
        backward: false,
        status: false,
    };

    fn fields(ty: Ty) -> &'static [(&'static str, Kind)] {
        use Kind::{Fixed, Object, Scalar};
        match ty {
            Ty::Partner => &[
                ("id", Scalar),
                ("code", Scalar),
                ("name", Scalar),
                ("notes", Scalar),
                ("version", Scalar),
                ("createdAt", Scalar),
                ("updatedAt", Scalar),
                ("milestones", Fixed("id framework occurredOn description")),
                ("pointsOfContact", Fixed("id role familyName email")),
                ("cycles", Object(Ty::Cycle, Args::None)),
                ("activeCycle", Object(Ty::Cycle, Args::None)),
                (
                    "officers",
                    Object(
                        Ty::OfficerConnection,
                        Args::Page {
                            backward: true,
                            status: false,
                        },
                    ),
                ),
            ],
            Ty::Cycle => &[
                ("id", Scalar),
                ("kind", Scalar),
                ("startDate", Scalar),
                ("endDate", Scalar),
                ("status", Scalar),
                ("nacApprovedOn", Scalar),
                ("partnerApprovedOn", Scalar),
                ("version", Scalar),
                ("createdAt", Scalar),
                ("daysUntilRenewal", Scalar),
                (
                    "activities",
                    Fixed("totalCount edges { node { id title } }"),
                ),
                ("partner", Object(Ty::Partner, Args::None)),
                ("renews", Object(Ty::Cycle, Args::None)),
                ("renewedBy", Object(Ty::Cycle, Args::None)),
                ("objectives", Object(Ty::Objective, Args::None)),
            ],
            Ty::Objective => &[
                ("id", Scalar),
                ("title", Scalar),
                ("indicator", Scalar),
                ("baseline", Scalar),
                ("target", Scalar),
                ("indicatorActual", Scalar),
                ("status", Scalar),
                ("version", Scalar),
                ("area", Fixed("code name")),
                ("measurements", Fixed("id")),
                ("cycle", Object(Ty::Cycle, Args::None)),
                ("iterations", Object(Ty::Iteration, Args::None)),
                ("parent", Object(Ty::Objective, Args::None)),
                ("goals", Object(Ty::Objective, Args::None)),
                ("carriedOverFrom", Object(Ty::Objective, Args::None)),
            ],
            Ty::Iteration => &[
                ("id", Scalar),
                ("startDate", Scalar),
                ("endDate", Scalar),
                ("location", Scalar),
                ("capacity", Scalar),
                ("partnerQuota", Scalar),
                ("seatsHeld", Scalar),
                ("openSeats", Scalar),
                ("status", Scalar),
                ("version", Scalar),
                ("course", Fixed("title code")),
                ("pointsOfContact", Fixed("id familyName")),
                ("objectives", Object(Ty::Objective, Args::None)),
                (
                    "enrollments",
                    Object(
                        Ty::EnrollmentConnection,
                        Args::Page {
                            backward: false,
                            status: true,
                        },
                    ),
                ),
            ],
            Ty::Enrollment => &[
                ("id", Scalar),
                ("status", Scalar),
                ("waitlistPosition", Scalar),
                ("nominatedAt", Scalar),
                ("waitlistedAt", Scalar),
                ("confirmedAt", Scalar),
                ("attendedAt", Scalar),
                ("outcomeAt", Scalar),
                ("endedAt", Scalar),
                ("decidedBy", Scalar),
                ("evaluationScore", Scalar),
                ("version", Scalar),
                ("evaluationResponse", Fixed("id")),
                ("followUp", Fixed("id")),
                ("iteration", Object(Ty::Iteration, Args::None)),
                ("officer", Object(Ty::Officer, Args::None)),
            ],
            Ty::Officer => &[
                ("id", Scalar),
                ("familyName", Scalar),
                ("givenName", Scalar),
                ("rank", Scalar),
                ("service", Scalar),
                ("position", Scalar),
                ("slp", Scalar),
                ("version", Scalar),
                ("partner", Object(Ty::Partner, Args::None)),
                ("enrollments", Object(Ty::EnrollmentConnection, PAGE)),
            ],
            Ty::IterationConnection => &[
                ("totalCount", Scalar),
                ("pageInfo", Object(Ty::PageInfo, Args::None)),
                ("edges", Object(Ty::IterationEdge, Args::None)),
                ("nodes", Object(Ty::Iteration, Args::None)),
            ],
            Ty::EnrollmentConnection => &[
                ("totalCount", Scalar),
                ("pageInfo", Object(Ty::PageInfo, Args::None)),
                ("edges", Object(Ty::EnrollmentEdge, Args::None)),
                ("nodes", Object(Ty::Enrollment, Args::None)),
            ],
            Ty::OfficerConnection => &[
                ("totalCount", Scalar),
                ("pageInfo", Object(Ty::PageInfo, Args::None)),
                ("edges", Object(Ty::OfficerEdge, Args::None)),
                ("nodes", Object(Ty::Officer, Args::None)),
            ],
            Ty::IterationEdge => &[
                ("cursor", Scalar),
                ("node", Object(Ty::Iteration, Args::None)),
            ],
            Ty::EnrollmentEdge => &[
                ("cursor", Scalar),
                ("node", Object(Ty::Enrollment, Args::None)),
            ],
            Ty::OfficerEdge => &[
                ("cursor", Scalar),
                ("node", Object(Ty::Officer, Args::None)),
            ],
            Ty::PageInfo => &[
                ("hasPreviousPage", Scalar),
                ("hasNextPage", Scalar),
                ("startCursor", Scalar),
                ("endCursor", Scalar),
            ],
        }
    }

    /// Fields the compiler does not cover (timestamps, floats, computed figures, types it does not
    /// map): any of them makes its root field run through the resolvers.
    fn resolver_only(ty: Ty, name: &str) -> bool {
        matches!(
            (ty, name),
            (_, "createdAt" | "updatedAt" | "pointsOfContact")
                | (Ty::Cycle, "activities")
                | (
                    Ty::Objective,
                    "target"
                        | "indicatorActual"
                        | "area"
                        | "measurements"
                        | "parent"
                        | "goals"
                        | "carriedOverFrom"
                )
                | (Ty::Iteration, "course")
                | (
                    Ty::Enrollment,
                    "nominatedAt"
                        | "waitlistedAt"
                        | "confirmedAt"
                        | "attendedAt"
                        | "outcomeAt"
                        | "endedAt"
                        | "evaluationScore"
                        | "evaluationResponse"
                        | "followUp"
                )
        )
    }

    /// `@skip` or `@include`, on a boolean variable ($b0..$b2) or a literal.
    #[derive(Clone, Copy, Debug)]
    pub struct Directive {
        skip: bool,
        var: Option<u8>,
        literal: bool,
    }

    #[derive(Clone, Debug)]
    pub enum Sub {
        None,
        Fixed(&'static str),
        Nested(Ty, Vec<Sel>),
    }

    #[derive(Clone, Debug)]
    pub enum Sel {
        Typename {
            alias: bool,
        },
        /// A field; `twin`: the same field (same response key and arguments) again with
        /// another sub-selection, merged by GraphQL.
        Field {
            name: &'static str,
            alias: Option<u8>,
            args: String,
            directive: Option<Directive>,
            sub: Sub,
            twin: Option<Vec<Sel>>,
        },
        /// `... on T` (or `...` with no type condition when not `typed`).
        Inline {
            typed: bool,
            directive: Option<Directive>,
            sub: Vec<Sel>,
        },
        /// A named fragment on the enclosing type, spread here.
        Named {
            sub: Vec<Sel>,
        },
    }

    #[derive(Clone, Debug)]
    pub enum Root {
        Field {
            alias: bool,
            name: &'static str,
            args: String,
            ty: Ty,
            sub: Vec<Sel>,
        },
        /// A root field the compiler does not cover.
        Fixed(&'static str),
    }

    #[derive(Clone, Debug)]
    pub struct Case {
        /// Index into `ROLES`.
        pub role: usize,
        roots: Vec<Root>,
        bools: [bool; 3],
        code: &'static str,
        named_operation: bool,
    }

    /// Ids and cursors the generator picks from: real ones, ones of other lists and bad ones.
    pub struct Pools {
        cursors: Vec<String>,
        partners: Vec<String>,
        cycles: Vec<String>,
        iterations: Vec<String>,
        courses: Vec<String>,
        objectives: Vec<String>,
    }

    const BAD_IDS: [&str; 4] = ["0", "abc", "-7", "99999999999999"];
    const BAD_CURSORS: [&str; 4] = ["not-a-cursor", "", "AAAA", "eyJ9"];

    /// Mostly one of `ids`, sometimes a bad one.
    fn id(ids: &[String]) -> BoxedStrategy<String> {
        prop_oneof![
            6 => prop::sample::select(ids.to_vec()),
            1 => prop::sample::select(BAD_IDS.to_vec()).prop_map(str::to_owned),
        ]
        .boxed()
    }

    pub async fn pools(pair: &Pair, data: &Dataset) -> Pools {
        let mut cursors = Vec::new();
        let mut take = |v: &Value| {
            for c in v.as_array().expect("edges") {
                cursors.push(c["cursor"].as_str().expect("cursor").to_owned());
            }
        };
        let lists = pair
            .resolved(
                "query($i: ID!) { courseIterations(first: 100) { edges { cursor } }
                   officers(first: 100) { edges { cursor } }
                   enrollments(first: 100) { edges { cursor } }
                   courseIteration(id: $i) { enrollments(first: 100) { edges { cursor } } } }",
                json!({ "i": data.iterations[0] }),
            )
            .await;
        take(&lists["courseIterations"]["edges"]);
        take(&lists["officers"]["edges"]);
        take(&lists["enrollments"]["edges"]);
        take(&lists["courseIteration"]["enrollments"]["edges"]);
        Pools {
            cursors,
            partners: data.partners.clone(),
            cycles: data.cycles.clone(),
            iterations: data.iterations.clone(),
            courses: data.courses.clone(),
            objectives: data.objectives.clone(),
        }
    }

    fn directive() -> impl Strategy<Value = Option<Directive>> {
        prop::option::weighted(
            0.15,
            (any::<bool>(), prop::option::of(0u8..3), any::<bool>())
                .prop_map(|(skip, var, literal)| Directive { skip, var, literal }),
        )
    }

    fn quoted(s: &str) -> String {
        serde_json::to_string(s).expect("a string")
    }

    /// Page arguments (and an enrollment status filter), rendered `(a: 1, ...)` or empty.
    fn page(args: Args, extra: Vec<String>, pools: &Pools) -> BoxedStrategy<String> {
        let Args::Page { backward, status } = args else {
            return Just(String::new()).boxed();
        };
        // Mostly pages, sometimes a size out of bounds; mostly real cursors (of this list or
        // another), sometimes bad ones.
        let size = || {
            prop_oneof![
                12 => prop::sample::select(vec![0i64, 1, 2, 3, 5, 10, 100]),
                1 => prop::sample::select(vec![101i64, -1]),
            ]
        };
        let cursor = || {
            prop_oneof![
                8 => prop::sample::select(pools.cursors.clone()),
                1 => prop::sample::select(BAD_CURSORS.to_vec()).prop_map(str::to_owned),
            ]
        };
        let statuses = prop::sample::select(vec![
            "NOMINATED",
            "CONFIRMED",
            "WAITLISTED",
            "COMPLETED",
            "WITHDRAWN",
        ]);
        let backward_args = if backward {
            (
                prop::option::weighted(0.2, size()),
                prop::option::weighted(0.15, cursor()),
            )
                .boxed()
        } else {
            Just((None, None)).boxed()
        };
        (
            prop::option::weighted(0.7, size()),
            prop::option::weighted(0.25, cursor()),
            backward_args,
            prop::option::weighted(if status { 0.3 } else { 0.01 }, statuses),
        )
            .prop_map(move |(first, after, (last, before), state)| {
                let mut parts = extra.clone();
                if let (true, Some(state)) = (status, state) {
                    parts.push(format!("status: {state}"));
                }
                if let Some(n) = first {
                    parts.push(format!("first: {n}"));
                }
                if let Some(c) = after {
                    parts.push(format!("after: {}", quoted(&c)));
                }
                if let Some(n) = last {
                    parts.push(format!("last: {n}"));
                }
                if let Some(c) = before {
                    parts.push(format!("before: {}", quoted(&c)));
                }
                if parts.is_empty() {
                    String::new()
                } else {
                    format!("({})", parts.join(", "))
                }
            })
            .boxed()
    }

    fn selection(ty: Ty, depth: u32, pools: Arc<Pools>) -> BoxedStrategy<Vec<Sel>> {
        prop::collection::vec(item(ty, depth, pools), 1..4).boxed()
    }

    fn item(ty: Ty, depth: u32, pools: Arc<Pools>) -> BoxedStrategy<Sel> {
        let typename = any::<bool>().prop_map(|alias| Sel::Typename { alias });
        if depth == 0 {
            return prop_oneof![8 => field(ty, 0, pools), 1 => typename].boxed();
        }
        let (p1, p2) = (pools.clone(), pools.clone());
        prop_oneof![
            12 => field(ty, depth, pools),
            1 => typename,
            1 => (any::<bool>(), directive()).prop_flat_map(move |(typed, directive)| {
                selection(ty, depth - 1, p1.clone())
                    .prop_map(move |sub| Sel::Inline { typed, directive, sub })
            }),
            1 => Just(()).prop_flat_map(move |()| {
                selection(ty, depth - 1, p2.clone()).prop_map(|sub| Sel::Named { sub })
            }),
        ]
        .boxed()
    }

    fn field(ty: Ty, depth: u32, pools: Arc<Pools>) -> BoxedStrategy<Sel> {
        let all = fields(ty);
        // Fields the compiler leaves to the resolvers come one time in ten, so that most
        // documents are compiled and many still fall back.
        let usable: Vec<usize> = (0..all.len())
            .filter(|&i| depth > 0 || !matches!(all[i].1, Kind::Object(..)))
            .flat_map(|i| {
                let weight = if resolver_only(ty, all[i].0) { 1 } else { 10 };
                std::iter::repeat_n(i, weight)
            })
            .collect();
        (
            prop::sample::select(usable),
            prop::option::weighted(0.12, 0u8..2),
            directive(),
            prop::bool::weighted(0.15),
        )
            .prop_flat_map(move |(i, alias, directive, twin)| {
                let (name, kind) = all[i];
                match kind {
                    Kind::Scalar | Kind::Fixed(_) => Just(Sel::Field {
                        name,
                        alias,
                        args: String::new(),
                        directive,
                        sub: match kind {
                            Kind::Fixed(text) => Sub::Fixed(text),
                            _ => Sub::None,
                        },
                        twin: None,
                    })
                    .boxed(),
                    Kind::Object(child, args) => {
                        let twin = if twin {
                            selection(child, depth - 1, pools.clone())
                                .prop_map(Some)
                                .boxed()
                        } else {
                            Just(None).boxed()
                        };
                        (
                            page(args, Vec::new(), &pools),
                            selection(child, depth - 1, pools.clone()),
                            twin,
                        )
                            .prop_map(move |(args, sub, twin)| Sel::Field {
                                name,
                                alias,
                                args,
                                directive,
                                sub: Sub::Nested(child, sub),
                                twin,
                            })
                            .boxed()
                    }
                }
            })
            .boxed()
    }

    /// Object levels below a root field.
    const DEPTH: u32 = 6;

    fn root(pools: Arc<Pools>) -> BoxedStrategy<Root> {
        let partner_args = prop_oneof![
            12 => prop::sample::select(vec!["AAA", "AAA", "BBB", "CCC", "ZZZ", "aa1", "$code", "$code"])
                .prop_map(|c| if c == "$code" { "(code: $code)".to_owned() } else { format!("(code: \"{c}\")") }),
            4 => id(&pools.partners).prop_map(|i| format!("(id: \"{i}\")")),
            1 => Just("".to_owned()),
        ];
        let dates = || {
            prop::option::weighted(
                0.2,
                prop::sample::select(vec![-35i64, -19, 0, 61, 400]).prop_map(days_from_today),
            )
        };
        let filters = (
            prop::option::weighted(
                0.4,
                prop::sample::select(vec!["OPEN", "HELD", "CLOSED", "CANCELLED", "PLANNED"]),
            ),
            prop::option::weighted(0.2, id(&pools.courses)),
            dates(),
            dates(),
            // A filter and orders the compiler leaves to the resolvers (ID ASC is the default).
            prop::option::weighted(0.1, id(&pools.objectives)),
            prop::option::weighted(
                0.1,
                prop::sample::select(vec!["ID", "START_DATE"]).prop_flat_map(|field| {
                    prop::sample::select(vec!["ASC", "DESC"])
                        .prop_map(move |d| format!("orderBy: {{field: {field}, direction: {d}}}"))
                }),
            ),
        );
        let p = pools.clone();
        let iterations_args =
            filters.prop_flat_map(move |(status, course, from, to, objective, order)| {
                let mut extra = Vec::new();
                if let Some(s) = status {
                    extra.push(format!("status: {s}"));
                }
                if let Some(c) = course {
                    extra.push(format!("courseId: \"{c}\""));
                }
                if let Some(d) = from {
                    extra.push(format!("from: \"{d}\""));
                }
                if let Some(d) = to {
                    extra.push(format!("to: \"{d}\""));
                }
                if let Some(o) = objective {
                    extra.push(format!("objectiveId: \"{o}\""));
                }
                extra.extend(order);
                page(
                    Args::Page {
                        backward: true,
                        status: false,
                    },
                    extra,
                    &p,
                )
            });
        let typed = |name: &'static str, ty: Ty, args: BoxedStrategy<String>, pools: Arc<Pools>| {
            (any::<bool>(), args).prop_flat_map(move |(alias, args)| {
                selection(ty, DEPTH, pools.clone()).prop_map(move |sub| Root::Field {
                    alias,
                    name,
                    args: args.clone(),
                    ty,
                    sub,
                })
            })
        };
        prop_oneof![
            4 => typed("partner", Ty::Partner, partner_args.boxed(), pools.clone()),
            4 => typed("courseIterations", Ty::IterationConnection, iterations_args.boxed(), pools.clone()),
            2 => typed("programmeCycle", Ty::Cycle, id(&pools.cycles).prop_map(|i| format!("(id: \"{i}\")")).boxed(), pools.clone()),
            2 => typed("courseIteration", Ty::Iteration, id(&pools.iterations).prop_map(|i| format!("(id: \"{i}\")")).boxed(), pools.clone()),
            1 => prop::sample::select(vec![
                "reportCycles(partner: \"AAA\") { id partnerCode status startDate }",
                "cooperationAreas(first: 5) { totalCount nodes { code } }",
                "officers(first: 3) { nodes { id familyName rank } }",
                "apiTokens { name role }",
            ])
            .prop_map(Root::Fixed),
        ]
        .boxed()
    }

    pub fn case(pools: Arc<Pools>) -> impl Strategy<Value = Case> {
        (
            // Anonymous and REPORTER (no read right) less often than the others.
            prop_oneof![1 => Just(0usize), 3 => Just(1), 2 => Just(2), 2 => Just(3), 1 => Just(4)],
            prop::collection::vec(root(pools), 1..3),
            any::<[bool; 3]>(),
            prop::sample::select(vec!["AAA", "AAA", "BBB", "ZZZ"]),
            any::<bool>(),
        )
            .prop_map(|(role, roots, bools, code, named_operation)| Case {
                role,
                roots,
                bools,
                code,
                named_operation,
            })
    }

    struct Renderer {
        fragments: Vec<String>,
        used: [bool; 3],
    }

    impl Renderer {
        fn directive(&mut self, d: &Option<Directive>) -> String {
            let Some(d) = d else {
                return String::new();
            };
            let name = if d.skip { "skip" } else { "include" };
            let value = match d.var {
                Some(v) => {
                    self.used[v as usize] = true;
                    format!("$b{v}")
                }
                None => d.literal.to_string(),
            };
            format!(" @{name}(if: {value})")
        }

        fn selection(&mut self, ty: Ty, sels: &[Sel]) -> String {
            let mut out = Vec::new();
            for sel in sels {
                out.push(match sel {
                    Sel::Typename { alias } => {
                        let text = if *alias {
                            "t: __typename"
                        } else {
                            "__typename"
                        };
                        text.to_owned()
                    }
                    Sel::Field {
                        name,
                        alias,
                        args,
                        directive,
                        sub,
                        twin,
                    } => {
                        let key = match alias {
                            Some(a) => format!("{name}_{a}: {name}"),
                            None => (*name).to_owned(),
                        };
                        let directive = self.directive(directive);
                        let (body, child) = match sub {
                            Sub::None => (String::new(), None),
                            Sub::Fixed(text) => (format!(" {{ {text} }}"), None),
                            Sub::Nested(child, sels) => (
                                format!(" {{ {} }}", self.selection(*child, sels)),
                                Some(*child),
                            ),
                        };
                        let mut text = format!("{key}{args}{directive}{body}");
                        if let (Some(twin), Some(child)) = (twin, child) {
                            let twin = self.selection(child, twin);
                            text.push_str(&format!(" {key}{args} {{ {twin} }}"));
                        }
                        text
                    }
                    Sel::Inline {
                        typed,
                        directive,
                        sub,
                    } => {
                        let on = if *typed {
                            format!(" on {}", ty.name())
                        } else {
                            String::new()
                        };
                        let directive = self.directive(directive);
                        format!("...{on}{directive} {{ {} }}", self.selection(ty, sub))
                    }
                    Sel::Named { sub } => {
                        let body = self.selection(ty, sub);
                        let name = format!("F{}", self.fragments.len());
                        self.fragments
                            .push(format!("fragment {name} on {} {{ {body} }}", ty.name()));
                        format!("...{name}")
                    }
                });
            }
            out.join(" ")
        }
    }

    /// The document and its variables (only those it declares).
    pub fn render(case: &Case) -> (String, Value) {
        let mut r = Renderer {
            fragments: Vec::new(),
            used: [false; 3],
        };
        let mut roots = Vec::new();
        let mut uses_code = false;
        for (i, root) in case.roots.iter().enumerate() {
            roots.push(match root {
                Root::Field {
                    alias,
                    name,
                    args,
                    ty,
                    sub,
                } => {
                    uses_code |= args.contains("$code");
                    let alias = if *alias {
                        format!("r{i}: ")
                    } else {
                        String::new()
                    };
                    format!("{alias}{name}{args} {{ {} }}", r.selection(*ty, sub))
                }
                Root::Fixed(text) => (*text).to_owned(),
            });
        }
        let mut declared = Vec::new();
        let mut variables = serde_json::Map::new();
        for (i, used) in r.used.iter().enumerate() {
            if *used {
                declared.push(format!("$b{i}: Boolean!"));
                variables.insert(format!("b{i}"), json!(case.bools[i]));
            }
        }
        if uses_code {
            declared.push("$code: String!".to_owned());
            variables.insert("code".into(), json!(case.code));
        }
        let name = if case.named_operation { " Q" } else { "" };
        let declared = if declared.is_empty() {
            String::new()
        } else {
            format!("({})", declared.join(", "))
        };
        let mut document = format!("query{name}{declared} {{ {} }}", roots.join(" "));
        for fragment in &r.fragments {
            document.push('\n');
            document.push_str(fragment);
        }
        (document, Value::Object(variables))
    }
}

// ---------------------------------------------------------------------------------------------
// Fixed cases

async fn the_bench_partner_by_code_with_its_active_cycle_answers_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    let data = seed(&pair.app).await;
    let answer = pair
        .same_ok(PARTNER_WITH_ACTIVE_CYCLE, json!({ "code": "AAA" }))
        .await;
    assert_eq!(
        answer.json["data"]["partner"]["activeCycle"]["id"],
        json!(data.active_cycle)
    );
    // A partner without an ACTIVE cycle: null.
    let answer = pair
        .same_ok(PARTNER_WITH_ACTIVE_CYCLE, json!({ "code": "BBB" }))
        .await;
    assert_eq!(answer.json["data"]["partner"]["activeCycle"], Value::Null);
}

async fn the_bench_iterations_page_answers_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    seed(&pair.app).await;
    let answer = pair
        .same_ok(ITERATIONS_PAGE, json!({ "code": "AAA" }))
        .await;
    let edges = answer.json["data"]["courseIterations"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    assert_eq!(edges.len(), 3, "the three HELD iterations: {}", answer.text);
    assert!(edges.iter().any(|e| !e["node"]["enrollments"]["edges"]
        .as_array()
        .expect("edges")
        .is_empty()));
}

async fn the_bench_deep_query_answers_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    seed(&pair.app).await;
    let answer = pair.same_ok(DEEP, json!({ "code": "AAA" })).await;
    assert_eq!(
        answer.json["data"]["partner"]["cycles"]
            .as_array()
            .expect("cycles")
            .len(),
        2
    );
    assert!(
        answer.text.contains("\"officer\":{\"rank\""),
        "{}",
        answer.text
    );
}

/// The bench's other queries (left to the resolvers) answer the same too.
async fn the_bench_report_queries_answer_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    let data = seed(&pair.app).await;
    pair.same_ok(PARTNER_OVERVIEW, json!({ "code": "AAA" }))
        .await;
    for report in [CYCLE_REPORT, CYCLE_REPORT_FULL] {
        pair.same_ok(report, json!({ "cycleId": data.active_cycle }))
            .await;
    }
}

async fn an_unknown_partner_code_is_the_same_error(backend: Backend) {
    let pair = Pair::new(backend).await;
    seed(&pair.app).await;
    for query in [PARTNER_WITH_ACTIVE_CYCLE, ITERATIONS_PAGE, DEEP] {
        let code = pair
            .same_error(Some(Role::Admin), query, json!({ "code": "ZZZ" }))
            .await;
        assert_eq!(code, "NOT_FOUND");
    }
}

async fn a_malformed_partner_code_is_the_same_error(backend: Backend) {
    let pair = Pair::new(backend).await;
    seed(&pair.app).await;
    // Codes with blanks around them: whatever the resolvers make of them.
    for code in [" AAA", "AAA ", "aaa"] {
        pair.same(
            Some(Role::Admin),
            PARTNER_WITH_ACTIVE_CYCLE,
            json!({ "code": code }),
        )
        .await;
    }
    for code in ["aa", "AAAA", "A1A", "", "ÄÄÄ", "A'A"] {
        pair.same_error(
            Some(Role::Admin),
            PARTNER_WITH_ACTIVE_CYCLE,
            json!({ "code": code }),
        )
        .await;
    }
    // Neither id nor code, and both.
    pair.same_error(Some(Role::Admin), "{ partner { id } }", json!({}))
        .await;
    pair.same(
        Some(Role::Admin),
        "{ partner(id: \"1\", code: \"AAA\") { id } }",
        json!({}),
    )
    .await;
}

async fn an_invalid_id_is_the_same_error(backend: Backend) {
    let pair = Pair::new(backend).await;
    seed(&pair.app).await;
    for id in ["abc", "-1", "0", "99999999999999999999", "1.5", ""] {
        for field in ["partner", "programmeCycle", "courseIteration"] {
            pair.same_error(
                Some(Role::Admin),
                &format!("query($id: ID!) {{ {field}(id: $id) {{ id __typename }} }}"),
                json!({ "id": id }),
            )
            .await;
        }
        pair.same(
            Some(Role::Admin),
            "query($id: ID!) { courseIterations(courseId: $id, first: 2) { totalCount nodes { id } } }",
            json!({ "id": id }),
        )
        .await;
    }
}

async fn a_page_size_of_101_or_below_zero_is_the_same_error(backend: Backend) {
    let pair = Pair::new(backend).await;
    let data = seed(&pair.app).await;
    for n in [101, -1, 1000] {
        for query in [
            "query($n: Int) { courseIterations(first: $n) { nodes { id } } }",
            "query($n: Int) { courseIterations(last: $n) { nodes { id } } }",
            "query($n: Int) { partner(code: \"AAA\") { officers(first: $n) { nodes { id } } } }",
            "query($n: Int) { partner(code: \"AAA\") { officers(last: $n) { nodes { id } } } }",
        ] {
            pair.same_error(Some(Role::Admin), query, json!({ "n": n }))
                .await;
        }
        pair.same_error(
            Some(Role::Admin),
            "query($n: Int, $i: ID!) { courseIteration(id: $i) { id enrollments(first: $n) { totalCount } } }",
            json!({ "n": n, "i": data.iterations[0] }),
        )
        .await;
    }
    // 0 and 100 are pages.
    for n in [0, 100] {
        pair.same_ok(
            "query($n: Int) { courseIterations(first: $n) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id } } }",
            json!({ "n": n }),
        )
        .await;
    }
}

async fn first_and_last_together_answer_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    seed(&pair.app).await;
    for (first, last) in [(2, 1), (5, 5), (0, 3)] {
        pair.same(
            Some(Role::Admin),
            "query($f: Int, $l: Int) { courseIterations(first: $f, last: $l) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }",
            json!({ "f": first, "l": last }),
        )
        .await;
        pair.same(
            Some(Role::Admin),
            "query($f: Int, $l: Int) { partner(code: \"AAA\") { officers(first: $f, last: $l) { pageInfo { hasNextPage hasPreviousPage } nodes { id } } } }",
            json!({ "f": first, "l": last }),
        )
        .await;
    }
}

async fn a_cursor_of_another_list_answers_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    let data = seed(&pair.app).await;
    let lists = pair
        .resolved(
            "query($a: ID!, $b: ID!) { courseIterations(first: 3) { edges { cursor } }
               partner(code: \"AAA\") { officers(first: 3) { edges { cursor } } }
               a: courseIteration(id: $a) { enrollments(first: 3) { edges { cursor } } }
               b: courseIteration(id: $b) { enrollments(first: 3) { edges { cursor } } } }",
            json!({ "a": data.iterations[0], "b": data.iterations[3] }),
        )
        .await;
    let iteration_cursor = lists["courseIterations"]["edges"][1]["cursor"].clone();
    let officer_cursor = lists["partner"]["officers"]["edges"][1]["cursor"].clone();
    let enrollment_a = lists["a"]["enrollments"]["edges"][1]["cursor"].clone();
    let enrollment_b = lists["b"]["enrollments"]["edges"][0]["cursor"].clone();
    for cursor in [&officer_cursor, &enrollment_a] {
        for arg in ["after", "before"] {
            pair.same(
                Some(Role::Admin),
                &format!("query($c: String) {{ courseIterations(first: 2, {arg}: $c) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage }} edges {{ cursor node {{ id }} }} }} }}"),
                json!({ "c": cursor }),
            )
            .await;
        }
    }
    pair.same(
        Some(Role::Admin),
        "query($c: String) { partner(code: \"AAA\") { officers(first: 2, after: $c) { edges { cursor node { id } } } } }",
        json!({ "c": iteration_cursor }),
    )
    .await;
    // A nested page's cursor belongs to its parent: one of iteration b's enrollments after
    // iteration a, and the other way round.
    for (iteration, cursor) in [
        (&data.iterations[0], &enrollment_b),
        (&data.iterations[3], &enrollment_a),
        (&data.iterations[0], &enrollment_a),
    ] {
        pair.same(
            Some(Role::Admin),
            "query($i: ID!, $c: String) { courseIteration(id: $i) { enrollments(first: 2, after: $c) { totalCount pageInfo { hasNextPage } edges { cursor node { id status } } } } }",
            json!({ "i": iteration, "c": cursor }),
        )
        .await;
    }
}

/// Compiled statements are cached per document and shape of the variables: the same document
/// with other values (and values given or left out) answers each time as the resolvers do.
async fn the_same_document_with_other_variables_answers_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    let data = seed(&pair.app).await;
    let query = "query($code: String!, $n: Int, $after: String, $status: IterationStatus, $e: EnrollmentStatus, $b: Boolean!) {
        partner(code: $code) { id code activeCycle @include(if: $b) { id status } officers(first: $n) { totalCount nodes { id rank } } }
        courseIterations(first: $n, after: $after, status: $status) { totalCount pageInfo { hasNextPage endCursor }
          edges { cursor node { id status enrollments(first: $n, status: $e) { totalCount nodes { id status officer { rank } } } } } } }";
    let first = pair
        .same_ok(query, json!({ "code": "AAA", "n": 2, "b": true }))
        .await;
    let cursor = first.json["data"]["courseIterations"]["pageInfo"]["endCursor"].clone();
    for variables in [
        json!({ "code": "BBB", "n": 2, "b": true }),
        json!({ "code": "AAA", "n": 5, "b": false }),
        json!({ "code": "AAA", "n": 2, "after": cursor, "b": true }),
        json!({ "code": "AAA", "n": null, "status": "HELD", "e": "COMPLETED", "b": true }),
        json!({ "code": "CCC", "status": "OPEN", "e": "WAITLISTED", "b": false }),
        json!({ "code": "AAA", "n": 2, "b": true }),
    ] {
        pair.same_ok(query, variables).await;
    }
    // And by id, for each kind of record.
    for (field, ids) in [
        ("programmeCycle", &data.cycles),
        ("courseIteration", &data.iterations),
    ] {
        for id in ids {
            pair.same_ok(
                &format!("query($id: ID!) {{ {field}(id: $id) {{ id __typename status }} }}"),
                json!({ "id": id }),
            )
            .await;
        }
    }
}

async fn personal_data_is_shown_per_role_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    seed(&pair.app).await;
    let query = "query($code: String!) {
        partner(code: $code) { officers(first: 20) { nodes { id familyName givenName rank position slp } } }
        courseIterations(first: 20) { nodes { id enrollments(first: 10) { nodes { officer { familyName givenName position slp service } } } } } }";
    for role in ROLES {
        let answer = pair.same(role, query, json!({ "code": "AAA" })).await;
        let family = &answer.json["data"]["partner"]["officers"]["nodes"][0]["familyName"];
        match role {
            Some(Role::Admin | Role::ProgrammeOfficer) => {
                assert_eq!(family, "Alpha0", "{}", answer.text)
            }
            Some(Role::Analyst) => assert_eq!(family, &Value::Null, "{}", answer.text),
            // No read right at all.
            _ => assert!(answer.json.get("errors").is_some(), "{}", answer.text),
        }
    }
}

async fn a_guarded_root_field_refuses_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    let data = seed(&pair.app).await;
    let queries = [
        (PARTNER_WITH_ACTIVE_CYCLE, json!({ "code": "AAA" })),
        (ITERATIONS_PAGE, json!({ "code": "AAA" })),
        (DEEP, json!({ "code": "AAA" })),
        (
            "query($id: ID!) { programmeCycle(id: $id) { id status } }",
            json!({ "id": data.active_cycle }),
        ),
        (
            "query($id: ID!) { courseIteration(id: $id) { id seatsHeld } }",
            json!({ "id": data.iterations[0] }),
        ),
    ];
    for (query, variables) in queries {
        let code = pair.same_error(None, query, variables.clone()).await;
        assert_eq!(code, "UNAUTHENTICATED");
        let code = pair
            .same_error(Some(Role::Reporter), query, variables)
            .await;
        assert_eq!(code, "FORBIDDEN");
    }
}

async fn depth_and_complexity_limits_refuse_the_same(backend: Backend) {
    let pair = Pair::new(backend).await;
    seed(&pair.app).await;
    // 13 levels: deeper than the default limit of 12.
    let deep = "{ partner(code: \"AAA\") { cycles { partner { cycles { partner { cycles { partner { cycles { partner { cycles { partner { cycles { partner { id } } } } } } } } } } } } }";
    pair.same_error(Some(Role::Admin), deep, json!({})).await;
    // More than the default complexity of 5000.
    let wide: Vec<String> = (0..1000)
        .map(|i| format!("p{i}: partner(code: \"AAA\") {{ id code name notes version }}"))
        .collect();
    pair.same_error(
        Some(Role::Admin),
        &format!("{{ {} }}", wide.join(" ")),
        json!({}),
    )
    .await;
    // Fragments that multiply: each level spreads the next twice, 2^30 fields once spread. Refused
    // before the compiler or async-graphql's checks walk it (they would take hours).
    let mut bomb = String::from("{ partner(code: \"AAA\") { ...F0 } }");
    for level in 0..30 {
        bomb.push_str(&format!(
            " fragment F{level} on Partner {{ ...F{next} ...F{next} }}",
            next = level + 1
        ));
    }
    bomb.push_str(" fragment F30 on Partner { id }");
    pair.same_error(Some(Role::Admin), &bomb, json!({})).await;
}

async fn compiled_and_resolved_root_fields_mix_in_selection_order(backend: Backend) {
    let pair = Pair::new(backend).await;
    seed(&pair.app).await;
    let query = "query($code: String!) {
        reportCycles(partner: $code) { id status startDate }
        partner(code: $code) { id code activeCycle { id status } }
        areas: cooperationAreas(first: 5) { nodes { code } }
        courseIterations(first: 3, status: HELD) { totalCount nodes { id seatsHeld } }
        programmeCycles(first: 2) { nodes { id } }
        again: partner(code: $code) { name createdAt pointsOfContact { id } } }";
    let answer = pair.same_ok(query, json!({ "code": "AAA" })).await;
    let mut last = 0;
    for key in [
        "\"reportCycles\":",
        "\"partner\":",
        "\"areas\":",
        "\"courseIterations\":",
        "\"programmeCycles\":",
        "\"again\":",
    ] {
        let at = answer.text[last..]
            .find(key)
            .map(|i| i + last)
            .unwrap_or_else(|| panic!("{key} missing or out of order: {}", answer.text));
        last = at;
    }
}

// ---------------------------------------------------------------------------------------------
// Statements and plans

async fn compiled_reads_serve_all_their_root_fields_in_one_statement(backend: Backend) {
    let pair = Pair::with_statement_count(backend, true).await;
    seed(&pair.app).await;
    for (query, compiled) in [(ITERATIONS_PAGE, 2), (DEEP, 1)] {
        // The answer is the resolvers' ...
        pair.same_ok(query, json!({ "code": "AAA" })).await;
        // ... from one statement for all its compiled root fields.
        let (_, text) = pair
            .app
            .gql_text_at(
                &pair.app.address,
                pair.token(Some(Role::Admin)),
                query,
                &json!({ "code": "AAA" }),
            )
            .await;
        let body: Value = serde_json::from_str(&text).expect("JSON");
        let extensions = &body["extensions"];
        assert_eq!(
            extensions["compiledFields"],
            json!(compiled),
            "compiled root fields of {query}: {extensions}"
        );
        assert_eq!(
            extensions["statementCount"],
            json!(1),
            "statements of {query}: {extensions}"
        );
    }
}

/// The bench's SQL twins of the three dashboard queries (PostgreSQL; `$1` the partner code): the
/// plans a compiled statement can have on the plan test's dataset.
const TWINS: [(&str, &str); 3] = [
    (
        "partner by code with its active cycle",
        "SELECT json_build_object('data', json_build_object('partner', json_build_object(
                'id', p.id::text, 'code', p.code, 'name', p.name,
                'activeCycle', (SELECT json_build_object('id', c.id::text, 'kind', c.kind, 'startDate', c.start_date,
                                 'endDate', c.end_date, 'status', c.status)
                                FROM programme_cycle c WHERE c.partner_id = p.id AND c.status = 'ACTIVE'))))
              FROM partner p WHERE p.code = $1",
    ),
    (
        "iterations page",
        "SELECT json_build_object('data', json_build_object(
                'partner', (SELECT json_build_object('id', p.id::text) FROM partner p WHERE p.code = $1),
                'courseIterations', json_build_object('edges', COALESCE((
                  SELECT json_agg(json_build_object('node', json_build_object('id', i.id::text, 'startDate', i.start_date,
                           'capacity', i.capacity, 'seatsHeld', i.seats_held,
                           'enrollments', json_build_object('edges', COALESCE((
                             SELECT json_agg(json_build_object('node', json_build_object('status', e.status,
                                      'officer', json_build_object('rank', f.rank, 'service', f.service))) ORDER BY e.id)
                             FROM (SELECT * FROM enrollment WHERE iteration_id = i.id ORDER BY id LIMIT 10) e
                             JOIN officer f ON f.id = e.officer_id), '[]'::json)))) ORDER BY i.id)
                  FROM (SELECT * FROM course_iteration WHERE status = 'HELD' ORDER BY id LIMIT 20) i), '[]'::json))))",
    ),
    (
        "deep query",
        "SELECT json_build_object('data', json_build_object('partner', json_build_object('cycles', COALESCE((
                SELECT json_agg(json_build_object('id', c.id::text, 'objectives', COALESCE((
                  SELECT json_agg(json_build_object('title', o.title, 'iterations', COALESCE((
                    SELECT json_agg(json_build_object('startDate', i.start_date, 'enrollments', json_build_object('edges', COALESCE((
                      SELECT json_agg(json_build_object('node', json_build_object('status', e.status,
                               'officer', json_build_object('rank', f.rank))) ORDER BY e.id)
                      FROM (SELECT * FROM enrollment WHERE iteration_id = i.id ORDER BY id LIMIT 10) e
                      JOIN officer f ON f.id = e.officer_id), '[]'::json))) ORDER BY i.id)
                    FROM iteration_objective io JOIN course_iteration i ON i.id = io.iteration_id
                    WHERE io.objective_id = o.id), '[]'::json)) ORDER BY o.id)
                  FROM objective o WHERE o.cycle_id = c.id), '[]'::json)) ORDER BY c.start_date, c.id)
                FROM programme_cycle c WHERE c.partner_id = p.id), '[]'::json))))
              FROM partner p WHERE p.code = $1",
    ),
];

/// The scale of the bench dataset the plans are read on (1% is 10,000 enrollments).
const PLAN_SCALE: f64 = 0.02;

async fn compiled_dashboard_queries_never_scan_enrollment_sequentially(backend: Backend) {
    let app = TestApp::spawn_with(backend, serve(CompiledReads::On, false)).await;
    let db = app.db().await;
    ipcp::service::bench_data::load(
        &db,
        &ipcp::service::uow::Actor::cli("seed"),
        PLAN_SCALE,
        &|_, _, _| {},
    )
    .await
    .expect("bench dataset");
    db.close().await.ok();
    let conn = Database::connect(&app.database.url).await.expect("connect");
    conn.execute_unprepared("ANALYZE").await.expect("ANALYZE");
    let backend = conn.get_database_backend();

    // The plan reader finds a sequential scan where there is one.
    let parameter = if backend == DatabaseBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let (scan, _) = enrollment_scans(
        &conn,
        format!("SELECT COUNT(*) FROM enrollment e WHERE e.decided_by = {parameter}"),
        vec!["nobody".into()],
    )
    .await;
    assert!(scan, "the plan reader missed a sequential scan");

    let partner = "AAB";
    if backend == DatabaseBackend::Postgres {
        // The dataset is large enough for index-driven plans: the bench's own SQL twins have one.
        for (name, sql) in TWINS {
            let (scan, plan) = enrollment_scans(&conn, sql.to_owned(), vec![partner.into()]).await;
            assert!(!scan, "the SQL twin of the {name} scans enrollment: {plan}");
        }
    }
    for (name, query) in [
        (
            "partner by code with its active cycle",
            PARTNER_WITH_ACTIVE_CYCLE,
        ),
        ("iterations page", ITERATIONS_PAGE),
        ("deep query", DEEP),
    ] {
        let statements = ipcp::graphql::compiled::statements(
            backend,
            query,
            None,
            &json!({ "code": partner }),
            Some(Role::Admin),
        );
        assert!(
            !statements.is_empty(),
            "{name}: the compiler gave no statement"
        );
        for statement in statements {
            let (scan, plan) =
                enrollment_scans(&conn, statement.sql.clone(), statement.values.clone()).await;
            assert!(
                !scan,
                "{name}, root fields {:?}: enrollment is scanned sequentially\n{}\n--- plan\n{plan}",
                statement.keys, statement.sql
            );
        }
    }
    conn.close().await.ok();
}

/// Whether the plan of `sql` (with `values` bound) reads `enrollment` sequentially, and the plan.
/// PostgreSQL: a `Seq Scan` node on relation `enrollment`. SQLite: a `SCAN` of enrollment (or an
/// alias of it) that uses no index.
async fn enrollment_scans(
    conn: &sea_orm::DatabaseConnection,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> (bool, String) {
    let backend = conn.get_database_backend();
    match backend {
        DatabaseBackend::Postgres => {
            let row = conn
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    format!("EXPLAIN (FORMAT JSON) {sql}"),
                    values,
                ))
                .await
                .unwrap_or_else(|e| panic!("EXPLAIN {sql}: {e}"))
                .expect("a plan");
            let plan: Value = row.try_get_by_index(0).expect("a JSON plan");
            fn seq_scan(node: &Value) -> bool {
                match node {
                    Value::Object(map) => {
                        (map.get("Node Type") == Some(&json!("Seq Scan"))
                            && map.get("Relation Name") == Some(&json!("enrollment")))
                            || map.values().any(seq_scan)
                    }
                    Value::Array(items) => items.iter().any(seq_scan),
                    _ => false,
                }
            }
            (seq_scan(&plan), plan.to_string())
        }
        _ => {
            let rows = conn
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!("EXPLAIN QUERY PLAN {sql}"),
                    values,
                ))
                .await
                .unwrap_or_else(|e| panic!("EXPLAIN QUERY PLAN {sql}: {e}"));
            let names = enrollment_names(&sql);
            let mut scan = false;
            let mut plan = String::new();
            for row in rows {
                let detail: String = row.try_get_by_index(3).expect("detail");
                let mut words = detail.split_whitespace();
                if words.next() == Some("SCAN")
                    && words.next().is_some_and(|w| {
                        names
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(w.trim_matches('"')))
                    })
                    && !detail.contains("USING")
                {
                    scan = true;
                }
                plan.push_str(&detail);
                plan.push('\n');
            }
            (scan, plan)
        }
    }
}

/// `enrollment` and the names it goes by in `sql` (`enrollment e`, `enrollment AS e`).
fn enrollment_names(sql: &str) -> Vec<String> {
    const NOT_ALIASES: [&str; 12] = [
        "where", "join", "on", "left", "inner", "order", "group", "limit", "cross", "union",
        "using", "natural",
    ];
    let words: Vec<String> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"'))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('"').to_ascii_lowercase())
        .collect();
    let mut names = vec!["enrollment".to_owned()];
    for (i, w) in words.iter().enumerate() {
        if w != "enrollment" {
            continue;
        }
        let next = match words.get(i + 1).map(String::as_str) {
            Some("as") => words.get(i + 2),
            _ => words.get(i + 1),
        };
        if let Some(alias) = next {
            if !NOT_ALIASES.contains(&alias.as_str()) {
                names.push(alias.clone());
            }
        }
    }
    names
}
