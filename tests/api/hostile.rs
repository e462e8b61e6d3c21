//! Hostile input: malicious or malformed requests, counted by kind. Each gets a clean answer with a
//! code, never a 5xx, a panic or database text, and leaves every table's full contents as they were;
//! text that is merely unusual is stored verbatim, as data. Every text input of every mutation
//! (enumerated from the schema) receives each injection string: a text field stores it and reads
//! it back unchanged, a code or format field refuses it and writes nothing.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{fixtures, Backend, TestApp};

const LEAKS: &[&str] = &[
    "sqlx",
    "SQLITE",
    "sqlite",
    "syntax error at",
    "constraint",
    "relation \"",
    "panicked",
    "DbErr",
];

const INJECTIONS: &[&str] = &[
    "'; DROP TABLE partner; --",
    "\" OR 1=1 --",
    "%' OR '1'='1",
    "Robert'); DROP TABLE officer;--",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "${jndi:ldap://127.0.0.1/a}",
    "{{7*7}}",
    "../../../../etc/passwd",
    "1; SELECT pg_sleep(10)",
    "' UNION SELECT token_hash FROM api_token --",
    "\\\\x00\\\\",
];

struct Case {
    name: String,
    status: StatusCode,
    body: String,
}

impl Case {
    /// The start of the body, for failure messages.
    fn excerpt(&self) -> String {
        self.body.chars().take(400).collect()
    }
}

fn check(case: &Case) {
    assert!(
        case.status.as_u16() < 500,
        "{}: HTTP {}: {}",
        case.name,
        case.status,
        case.excerpt()
    );
    for leak in LEAKS {
        assert!(
            !case.body.contains(leak),
            "{}: leaked {leak:?}: {}",
            case.name,
            case.excerpt()
        );
    }
}

fn check_refused(case: &Case) {
    check(case);
    let body: Value = serde_json::from_str(&case.body).unwrap_or(Value::Null);
    let code = body["errors"][0]["extensions"]["code"].as_str();
    assert!(
        code.is_some_and(|c| !c.is_empty() && c != "INTERNAL_SERVER_ERROR"),
        "{}: no clean code: {}",
        case.name,
        case.excerpt()
    );
}

async fn post(app: &TestApp, name: &str, body: String, content_type: &str) -> Case {
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: not answered: {e}"));
    Case {
        name: name.to_owned(),
        status: res.status(),
        body: res.text().await.unwrap_or_default(),
    }
}

async fn gql(app: &TestApp, name: &str, query: &str, variables: Value) -> Case {
    post(
        app,
        name,
        json!({ "query": query, "variables": variables }).to_string(),
        "application/json",
    )
    .await
}

async fn hostile_requests_get_clean_coded_errors_and_change_nothing(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let before = app.contents().await;
    // Cases by kind, each kind with its floor below.
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();

    // Shapes meant to exhaust the server.
    let deep = format!(
        "{{ {}__typename{} }}",
        "partners { edges { node { cycles { partner { ".repeat(10),
        " } } } } }".repeat(10)
    );
    let aliases = format!(
        "{{ {} }}",
        (0..1000)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let duplicated = format!("{{ partners {{ {} }} }}", "totalCount ".repeat(6000));
    let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(50));
    let circular = format!(
        "{{ __schema {{ types {{ {}name{} }} }} }}",
        "fields { type { ".repeat(8),
        " } }".repeat(8)
    );
    let fragments =
        "query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }";
    for (name, query) in [
        ("deep nesting", deep.as_str()),
        ("1,000 aliases", aliases.as_str()),
        ("field duplication", duplicated.as_str()),
        ("directive overloading", directives.as_str()),
        ("circular introspection", circular.as_str()),
        ("circular fragments", fragments),
        ("unknown field", "{ partnerz { id } }"),
        ("syntax error", "{ partners { "),
        ("empty query", ""),
        ("only a comment", "# nothing"),
        ("two anonymous operations", "{ __typename } { __typename }"),
        (
            "operation name required",
            "query A { __typename } query B { __typename }",
        ),
        ("subscription", "subscription { __typename }"),
        ("huge page", "{ partners(first: 1000000) { totalCount } }"),
        ("negative page", "{ partners(first: -1) { totalCount } }"),
        (
            "first and last",
            "{ partners(first: 1, last: 1) { totalCount } }",
        ),
        (
            "bad cursor",
            "{ partners(after: \"'; DROP TABLE partner; --\") { totalCount } }",
        ),
        ("wrong type", "{ partners(first: \"ten\") { totalCount } }"),
        (
            "wrong enum",
            "{ programmeCycles(status: RUNNING) { totalCount } }",
        ),
        ("missing argument", "{ programmeCycle { id } }"),
        ("null for non-null", "{ programmeCycle(id: null) { id } }"),
    ] {
        let case = gql(&app, name, query, json!({})).await;
        if name == "only a comment" || name == "empty query" {
            check(&case);
        } else {
            check_refused(&case);
        }
        *kinds.entry("query shape").or_default() += 1;
    }

    // Transport-level abuse.
    let batch = post(
        &app,
        "batch array",
        json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(batch.status, StatusCode::BAD_REQUEST);
    check_refused(&batch);
    *kinds.entry("transport").or_default() += 1;
    let mutation = "mutation { createPartner(input: {code: \"AAA\", name: \"x\"}) { id } }";
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/graphql",
        "",
        "application/json-patch+json",
    ] {
        let case = post(
            &app,
            &format!("content type {content_type:?}"),
            json!({ "query": mutation }).to_string(),
            content_type,
        )
        .await;
        assert_eq!(
            case.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        check_refused(&case);
        *kinds.entry("transport").or_default() += 1;
    }
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .query(&[("query", mutation)])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    *kinds.entry("transport").or_default() += 1;
    // On its own connection: the server answers 413 without reading the body and closes the
    // connection, and a pooled connection closed under the next request fails it.
    let oversized = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(format!("{{\"query\": \"# {}\"}}", "x".repeat(1_100_000)))
        .send()
        .await
        .expect("oversized body sent");
    assert_eq!(oversized.status(), StatusCode::PAYLOAD_TOO_LARGE);
    *kinds.entry("transport").or_default() += 1;
    for (name, body) in [
        ("not json", "{{{"),
        ("json string", "\"{ __typename }\""),
        ("json number", "42"),
        ("query not a string", "{\"query\": 42}"),
        (
            "variables not an object",
            "{\"query\": \"{ __typename }\", \"variables\": [1]}",
        ),
        (
            "deeply nested json",
            &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        ("invalid utf-8 escape", "{\"query\": \"\\ud800\"}"),
    ] {
        let case = post(&app, name, body.to_owned(), "application/json").await;
        check_refused(&case);
        *kinds.entry("malformed body").or_default() += 1;
    }

    // Injection strings in text inputs that are refused (by a format rule, a stale version, an
    // unknown record) or only read: never executed. Accepted ones are stored verbatim: see below.
    for (i, evil) in INJECTIONS.iter().enumerate() {
        let vars = json!({ "evil": evil, "p": partner, "code": format!("X{}", i) });
        for (name, query) in [
            ("partner code", "mutation($evil: String!) { createPartner(input: {code: $evil, name: \"n\"}) { name } }"),
            ("partner notes", "mutation($evil: String!) { updatePartner(input: {id: \"1\", version: 999, notes: $evil}) { notes } }"),
            ("course title", "mutation($evil: String!, $code: String!) { createCourse(input: {code: $code, title: $evil, topic: OTHER, organiser: $evil, delivery: DISTANCE, durationDays: 1, minSlp: $evil}) { title } }"),
            ("officer names", "mutation($evil: String!, $p: ID!) { createOfficer(input: {partnerId: $p, familyName: $evil, givenName: $evil, rank: $evil, service: ARMY, slp: $evil}) { id } }"),
            ("search", "query($evil: String!) { partners(search: $evil) { totalCount } courses(search: $evil, organiser: $evil) { totalCount } }"),
            ("area code", "mutation($evil: String!) { createCooperationArea(input: {code: $evil, name: $evil, description: $evil}) { id } }"),
            ("id", "query($evil: ID!) { partner(id: $evil) { id } }"),
            ("code lookup", "query($evil: String!) { partner(code: $evil) { id } }"),
        ] {
            let case = gql(&app, &format!("{name} with {evil:?}"), query, vars.clone()).await;
            if name == "search" {
                check(&case);
                let body: Value = serde_json::from_str(&case.body).unwrap_or(Value::Null);
                assert_eq!(body["data"]["partners"]["totalCount"], 0, "{evil}: {}", case.excerpt());
            } else {
                check_refused(&case);
            }
            *kinds.entry("injection").or_default() += 1;
        }
    }

    // Huge strings and control characters.
    let huge = "x".repeat(100_000);
    for (name, value) in [
        ("huge string", huge.as_str()),
        ("null byte", "a\u{0}b"),
        ("bell", "a\u{7}b"),
        ("only spaces", "   "),
    ] {
        let case = gql(
            &app,
            name,
            "mutation($v: String!) { createPartner(input: {code: \"QQQ\", name: $v}) { id } }",
            json!({ "v": value }),
        )
        .await;
        check_refused(&case);
        *kinds.entry("huge or control text").or_default() += 1;
    }

    // Invalid dates and ids.
    for date in [
        "2024-13-01",
        "2024-02-30",
        "2023-02-29",
        "yesterday",
        "",
        "01/02/2024",
        "2024-01-01T00:00:00Z",
        "99999-01-01",
        "-2024-01-01",
        "2024-1-",
    ] {
        let case = gql(
            &app,
            &format!("date {date:?}"),
            "mutation($p: ID!, $d: Date!) { createProgrammeCycle(input: {partnerId: $p, kind: IPCP, startDate: $d}) { id } }",
            json!({ "p": partner, "d": date }),
        )
        .await;
        check_refused(&case);
        *kinds.entry("invalid date").or_default() += 1;
    }
    for id in [
        "",
        "0",
        "-1",
        "abc",
        "1e9",
        "99999999999999999999",
        "1; DROP TABLE partner",
        "１",
        "0x10",
        " 1",
    ] {
        let case = gql(
            &app,
            &format!("id {id:?}"),
            "query($id: ID!) { programmeCycle(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
        check_refused(&case);
        *kinds.entry("invalid id").or_default() += 1;
    }

    println!("hostile cases by kind: {kinds:?}");
    for (kind, floor) in [
        ("query shape", 21),
        ("transport", 9),
        ("malformed body", 7),
        ("injection", 12 * 8),
        ("huge or control text", 4),
        ("invalid date", 10),
        ("invalid id", 10),
    ] {
        let n = kinds.get(kind).copied().unwrap_or_default();
        assert!(n >= floor, "{kind}: {n} cases, expected at least {floor}");
    }
    app.assert_unchanged(&before, "a hostile request").await;
    let names = app
        .ok("{ partners { edges { node { name } } } }", json!({}))
        .await;
    assert_eq!(names["partners"]["edges"].as_array().map(Vec::len), Some(1));
}

async fn injection_strings_are_stored_as_data_verbatim(app: TestApp) {
    for (i, evil) in INJECTIONS.iter().enumerate() {
        let code = format!(
            "{}{}{}",
            (b'A' + i as u8) as char,
            (b'A' + i as u8) as char,
            (b'A' + i as u8) as char
        );
        let data = app
            .ok("mutation($c: String!, $n: String!) { createPartner(input: {code: $c, name: $n, notes: $n}) { name notes } }", json!({ "c": code, "n": evil }))
            .await;
        assert_eq!(data["createPartner"]["name"], json!(evil.trim()));
    }
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM partner").await,
        INJECTIONS.len() as i64
    );
}

/// What a text input does with an injection string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Accepted as data: stored and read back verbatim.
    Stored,
    /// Refused with a clean code (a format rule, an unknown record), nothing written.
    Refused,
    /// A batch row refused in the batch's report, nothing written.
    RowRefused,
}

/// One text input of one mutation: `name` is `mutation.argument[.field]` as the schema spells it.
/// `doc` takes the injection as `$t`; it may use `$u` (a fresh valid code), `$id` and `$v` (the
/// record an update changes, at its version), `$e` (an enrollment made for this case alone, see
/// `FRESH`) and the fixtures `$p` (partner), `$a` (area), `$c` (cycle), `$co` (course), `$s` (a
/// day 40 days from today), `$i` (an iteration), `$o` (an objective). `read` answers the stored
/// field for `$id` (for an update, with `version`): the created record's `id` as answered, or the
/// enrollment `$e`; an input that refuses reads nothing back.
struct TextInput {
    name: &'static str,
    doc: &'static str,
    update: Option<&'static str>,
    read: &'static str,
    expect: Kind,
}

const fn input(
    name: &'static str,
    doc: &'static str,
    update: Option<&'static str>,
    read: &'static str,
    expect: Kind,
) -> TextInput {
    TextInput {
        name,
        doc,
        update,
        read,
        expect,
    }
}

const PARTNER: &str = "query($id: ID!) { partner(id: $id) { version name notes } }";
const MILESTONE: &str = "query($id: ID!) { partnershipMilestone(id: $id) { version description } }";
const AREA: &str =
    "query($id: ID!) { cooperationArea(id: $id) { version name nameFr description } }";
const OBJECTIVE: &str =
    "query($id: ID!) { objective(id: $id) { version title indicator baseline } }";
const COURSE: &str =
    "query($id: ID!) { course(id: $id) { version title organiser minSlp pcmCode etocCode } }";
const ITERATION: &str = "query($id: ID!) { courseIteration(id: $id) { version location } }";
const OFFICER: &str =
    "query($id: ID!) { officer(id: $id) { version familyName givenName rank position slp } }";
const ACTIVITY: &str =
    "query($id: ID!) { activity(id: $id) { version title description outcome } }";
const TOKENS: &str = "{ apiTokens { name } }";
const CONTACT: &str = "query($id: ID!) { pointOfContact(id: $id) { version familyName givenName organisation email phone } }";
const COST_LINE: &str = "query($id: ID!) { costLine(id: $id) { version description fundingNation amount { currency } } }";
const EVALUATION: &str = "query($id: ID!) { enrollment(id: $id) { version evaluationResponse { comment } followUp { note } } }";
const MEASUREMENTS: &str =
    "query($id: ID!) { objective(id: $id) { version measurements { note } } }";

/// Records made anew for each case (the mutation takes one answer per enrollment), as `$e`:
/// an ATTENDED enrollment in an iteration that ended 10 days ago (inside the level 1 response
/// window), a COMPLETED one in an iteration that ended 200 days ago (its follow-up due).
const FRESH: &[&str] = &["attended", "completed"];
const FEED_TOKENS: &str = "{ feedTokens { name } }";
const LRS_ENDPOINTS: &str = "{ webhookEndpoints { username } }";

use Kind::{Refused, RowRefused, Stored};

const TEXT_INPUTS: &[TextInput] = &[
    input("createPartner.input.code", "mutation($t: String!) { createPartner(input: {code: $t, name: \"n\"}) { id } }", None, PARTNER, Refused),
    input("createPartner.input.name", "mutation($t: String!, $u: String!) { createPartner(input: {code: $u, name: $t}) { id } }", None, PARTNER, Stored),
    input("createPartner.input.notes", "mutation($t: String!, $u: String!) { createPartner(input: {code: $u, name: \"n\", notes: $t}) { id } }", None, PARTNER, Stored),
    input("updatePartner.input.name", "mutation($t: String!, $id: ID!, $v: Int!) { updatePartner(input: {id: $id, version: $v, name: $t}) { id } }", Some("partner"), PARTNER, Stored),
    input("updatePartner.input.notes", "mutation($t: String!, $id: ID!, $v: Int!) { updatePartner(input: {id: $id, version: $v, notes: $t}) { id } }", Some("partner"), PARTNER, Stored),
    input("createPartnershipMilestone.input.description", "mutation($t: String!, $p: ID!) { createPartnershipMilestone(input: {partnerId: $p, framework: PFP, occurredOn: \"1994-05-10\", description: $t}) { id } }", None, MILESTONE, Stored),
    input("updatePartnershipMilestone.input.description", "mutation($t: String!, $id: ID!, $v: Int!) { updatePartnershipMilestone(input: {id: $id, version: $v, description: $t}) { id } }", Some("milestone"), MILESTONE, Stored),
    input("createCooperationArea.input.code", "mutation($t: String!) { createCooperationArea(input: {code: $t, name: \"n\", description: \"d\"}) { id } }", None, AREA, Refused),
    input("createCooperationArea.input.name", "mutation($t: String!, $u: String!) { createCooperationArea(input: {code: $u, name: $t, description: \"d\"}) { id } }", None, AREA, Stored),
    input("createCooperationArea.input.nameFr", "mutation($t: String!, $u: String!) { createCooperationArea(input: {code: $u, name: \"n\", nameFr: $t, description: \"d\"}) { id } }", None, AREA, Stored),
    input("createCooperationArea.input.description", "mutation($t: String!, $u: String!) { createCooperationArea(input: {code: $u, name: \"n\", description: $t}) { id } }", None, AREA, Stored),
    input("updateCooperationArea.input.name", "mutation($t: String!, $id: ID!, $v: Int!) { updateCooperationArea(input: {id: $id, version: $v, name: $t}) { id } }", Some("area"), AREA, Stored),
    input("updateCooperationArea.input.nameFr", "mutation($t: String!, $id: ID!, $v: Int!) { updateCooperationArea(input: {id: $id, version: $v, nameFr: $t}) { id } }", Some("area"), AREA, Stored),
    input("updateCooperationArea.input.description", "mutation($t: String!, $id: ID!, $v: Int!) { updateCooperationArea(input: {id: $id, version: $v, description: $t}) { id } }", Some("area"), AREA, Stored),
    input("createObjective.input.title", "mutation($t: String!, $c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: $t, indicator: \"i\"}) { id } }", None, OBJECTIVE, Stored),
    input("createObjective.input.indicator", "mutation($t: String!, $c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"o\", indicator: $t}) { id } }", None, OBJECTIVE, Stored),
    input("createObjective.input.baseline", "mutation($t: String!, $c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"o\", indicator: \"i\", baseline: $t}) { id } }", None, OBJECTIVE, Stored),
    input("updateObjective.input.title", "mutation($t: String!, $id: ID!, $v: Int!) { updateObjective(input: {id: $id, version: $v, title: $t}) { id } }", Some("objective"), OBJECTIVE, Stored),
    input("updateObjective.input.indicator", "mutation($t: String!, $id: ID!, $v: Int!) { updateObjective(input: {id: $id, version: $v, indicator: $t}) { id } }", Some("objective"), OBJECTIVE, Stored),
    input("updateObjective.input.baseline", "mutation($t: String!, $id: ID!, $v: Int!) { updateObjective(input: {id: $id, version: $v, baseline: $t}) { id } }", Some("objective"), OBJECTIVE, Stored),
    input("createCourse.input.code", "mutation($t: String!) { createCourse(input: {code: $t, title: \"c\", topic: OTHER, organiser: \"o\", delivery: DISTANCE, durationDays: 1}) { id } }", None, COURSE, Refused),
    input("createCourse.input.title", "mutation($t: String!, $u: String!) { createCourse(input: {code: $u, title: $t, topic: OTHER, organiser: \"o\", delivery: DISTANCE, durationDays: 1}) { id } }", None, COURSE, Stored),
    input("createCourse.input.organiser", "mutation($t: String!, $u: String!) { createCourse(input: {code: $u, title: \"c\", topic: OTHER, organiser: $t, delivery: DISTANCE, durationDays: 1}) { id } }", None, COURSE, Stored),
    input("createCourse.input.minSlp", "mutation($t: String!, $u: String!) { createCourse(input: {code: $u, title: \"c\", topic: OTHER, organiser: \"o\", delivery: DISTANCE, durationDays: 1, minSlp: $t}) { id } }", None, COURSE, Refused),
    input("updateCourse.input.title", "mutation($t: String!, $id: ID!, $v: Int!) { updateCourse(input: {id: $id, version: $v, title: $t}) { id } }", Some("course"), COURSE, Stored),
    input("updateCourse.input.organiser", "mutation($t: String!, $id: ID!, $v: Int!) { updateCourse(input: {id: $id, version: $v, organiser: $t}) { id } }", Some("course"), COURSE, Stored),
    input("createCourse.input.pcmCode", "mutation($t: String!, $u: String!) { createCourse(input: {code: $u, title: \"c\", topic: OTHER, organiser: \"o\", delivery: DISTANCE, durationDays: 1, pcmCode: $t}) { id } }", None, COURSE, Refused),
    input("createCourse.input.etocCode", "mutation($t: String!, $u: String!) { createCourse(input: {code: $u, title: \"c\", topic: OTHER, organiser: \"o\", delivery: DISTANCE, durationDays: 1, etocCode: $t}) { id } }", None, COURSE, Refused),
    input("updateCourse.input.pcmCode", "mutation($t: String!, $id: ID!, $v: Int!) { updateCourse(input: {id: $id, version: $v, pcmCode: $t}) { id } }", Some("course"), COURSE, Refused),
    input("updateCourse.input.etocCode", "mutation($t: String!, $id: ID!, $v: Int!) { updateCourse(input: {id: $id, version: $v, etocCode: $t}) { id } }", Some("course"), COURSE, Refused),
    input("updateCourse.input.minSlp", "mutation($t: String!, $id: ID!, $v: Int!) { updateCourse(input: {id: $id, version: $v, minSlp: $t}) { id } }", Some("course"), COURSE, Refused),
    input("createCourseIteration.input.location", "mutation($t: String!, $co: ID!, $s: Date!) { createCourseIteration(input: {courseId: $co, startDate: $s, endDate: $s, location: $t, capacity: 5}) { id } }", None, ITERATION, Stored),
    input("updateCourseIteration.input.location", "mutation($t: String!, $id: ID!, $v: Int!) { updateCourseIteration(input: {id: $id, version: $v, location: $t}) { id } }", Some("iteration"), ITERATION, Stored),
    input("createOfficer.input.familyName", "mutation($t: String!, $p: ID!) { createOfficer(input: {partnerId: $p, familyName: $t, givenName: \"g\", rank: \"r\", service: ARMY}) { id } }", None, OFFICER, Stored),
    input("createOfficer.input.givenName", "mutation($t: String!, $p: ID!) { createOfficer(input: {partnerId: $p, familyName: \"f\", givenName: $t, rank: \"r\", service: ARMY}) { id } }", None, OFFICER, Stored),
    input("createOfficer.input.rank", "mutation($t: String!, $p: ID!) { createOfficer(input: {partnerId: $p, familyName: \"f\", givenName: \"g\", rank: $t, service: ARMY}) { id } }", None, OFFICER, Stored),
    input("createOfficer.input.position", "mutation($t: String!, $p: ID!) { createOfficer(input: {partnerId: $p, familyName: \"f\", givenName: \"g\", rank: \"r\", position: $t, service: ARMY}) { id } }", None, OFFICER, Stored),
    input("createOfficer.input.slp", "mutation($t: String!, $p: ID!) { createOfficer(input: {partnerId: $p, familyName: \"f\", givenName: \"g\", rank: \"r\", service: ARMY, slp: $t}) { id } }", None, OFFICER, Refused),
    input("updateOfficer.input.familyName", "mutation($t: String!, $id: ID!, $v: Int!) { updateOfficer(input: {id: $id, version: $v, familyName: $t}) { id } }", Some("officer"), OFFICER, Stored),
    input("updateOfficer.input.givenName", "mutation($t: String!, $id: ID!, $v: Int!) { updateOfficer(input: {id: $id, version: $v, givenName: $t}) { id } }", Some("officer"), OFFICER, Stored),
    input("updateOfficer.input.rank", "mutation($t: String!, $id: ID!, $v: Int!) { updateOfficer(input: {id: $id, version: $v, rank: $t}) { id } }", Some("officer"), OFFICER, Stored),
    input("updateOfficer.input.position", "mutation($t: String!, $id: ID!, $v: Int!) { updateOfficer(input: {id: $id, version: $v, position: $t}) { id } }", Some("officer"), OFFICER, Stored),
    input("updateOfficer.input.slp", "mutation($t: String!, $id: ID!, $v: Int!) { updateOfficer(input: {id: $id, version: $v, slp: $t}) { id } }", Some("officer"), OFFICER, Refused),
    input("recordActivity.input.title", "mutation($t: String!, $c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: $t, description: \"d\", startDate: \"2024-05-20\", endDate: \"2024-05-21\"}) { id } }", None, ACTIVITY, Stored),
    input("recordActivity.input.description", "mutation($t: String!, $c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: \"a\", description: $t, startDate: \"2024-05-20\", endDate: \"2024-05-21\"}) { id } }", None, ACTIVITY, Stored),
    input("recordActivity.input.outcome", "mutation($t: String!, $c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: \"a\", description: \"d\", outcome: $t, startDate: \"2024-05-20\", endDate: \"2024-05-21\"}) { id } }", None, ACTIVITY, Stored),
    input("updateActivity.input.title", "mutation($t: String!, $id: ID!, $v: Int!) { updateActivity(input: {id: $id, version: $v, title: $t}) { id } }", Some("activity"), ACTIVITY, Stored),
    input("updateActivity.input.description", "mutation($t: String!, $id: ID!, $v: Int!) { updateActivity(input: {id: $id, version: $v, description: $t}) { id } }", Some("activity"), ACTIVITY, Stored),
    input("updateActivity.input.outcome", "mutation($t: String!, $id: ID!, $v: Int!) { updateActivity(input: {id: $id, version: $v, outcome: $t}) { id } }", Some("activity"), ACTIVITY, Stored),
    input("createPointOfContact.input.familyName", "mutation($t: String!, $p: ID!) { createPointOfContact(input: {role: PARTNER_POC, familyName: $t, givenName: \"g\", partnerId: $p}) { id } }", None, CONTACT, Stored),
    input("createPointOfContact.input.givenName", "mutation($t: String!, $p: ID!) { createPointOfContact(input: {role: PARTNER_POC, familyName: \"f\", givenName: $t, partnerId: $p}) { id } }", None, CONTACT, Stored),
    input("createPointOfContact.input.organisation", "mutation($t: String!, $p: ID!) { createPointOfContact(input: {role: PARTNER_POC, familyName: \"f\", givenName: \"g\", organisation: $t, partnerId: $p}) { id } }", None, CONTACT, Stored),
    input("createPointOfContact.input.email", "mutation($t: String!, $p: ID!) { createPointOfContact(input: {role: PARTNER_POC, familyName: \"f\", givenName: \"g\", email: $t, partnerId: $p}) { id } }", None, CONTACT, Refused),
    input("createPointOfContact.input.phone", "mutation($t: String!, $p: ID!) { createPointOfContact(input: {role: PARTNER_POC, familyName: \"f\", givenName: \"g\", phone: $t, partnerId: $p}) { id } }", None, CONTACT, Refused),
    input("updatePointOfContact.input.familyName", "mutation($t: String!, $id: ID!, $v: Int!) { updatePointOfContact(input: {id: $id, version: $v, familyName: $t}) { id } }", Some("contact"), CONTACT, Stored),
    input("updatePointOfContact.input.givenName", "mutation($t: String!, $id: ID!, $v: Int!) { updatePointOfContact(input: {id: $id, version: $v, givenName: $t}) { id } }", Some("contact"), CONTACT, Stored),
    input("updatePointOfContact.input.organisation", "mutation($t: String!, $id: ID!, $v: Int!) { updatePointOfContact(input: {id: $id, version: $v, organisation: $t}) { id } }", Some("contact"), CONTACT, Stored),
    input("updatePointOfContact.input.email", "mutation($t: String!, $id: ID!, $v: Int!) { updatePointOfContact(input: {id: $id, version: $v, email: $t}) { id } }", Some("contact"), CONTACT, Refused),
    input("updatePointOfContact.input.phone", "mutation($t: String!, $id: ID!, $v: Int!) { updatePointOfContact(input: {id: $id, version: $v, phone: $t}) { id } }", Some("contact"), CONTACT, Refused),
    input("recordCostLine.input.currency", "mutation($t: String!, $i: ID!) { recordCostLine(input: {iterationId: $i, category: TUITION, stage: PLANNED, amountMinor: 100, currency: $t, fundingSource: NATO_COMMON_FUNDING}) { id } }", None, COST_LINE, Refused),
    input("recordCostLine.input.fundingNation", "mutation($t: String!, $i: ID!) { recordCostLine(input: {iterationId: $i, category: TUITION, stage: PLANNED, amountMinor: 100, currency: \"EUR\", fundingSource: ALLIED_NATION, fundingNation: $t}) { id } }", None, COST_LINE, Refused),
    input("recordCostLine.input.description", "mutation($t: String!, $i: ID!) { recordCostLine(input: {iterationId: $i, category: TUITION, stage: PLANNED, amountMinor: 100, currency: \"EUR\", fundingSource: NATO_COMMON_FUNDING, description: $t}) { id } }", None, COST_LINE, Stored),
    input("updateCostLine.input.currency", "mutation($t: String!, $id: ID!, $v: Int!) { updateCostLine(input: {id: $id, version: $v, currency: $t}) { id } }", Some("cost line"), COST_LINE, Refused),
    input("updateCostLine.input.fundingNation", "mutation($t: String!, $id: ID!, $v: Int!) { updateCostLine(input: {id: $id, version: $v, fundingSource: ALLIED_NATION, fundingNation: $t}) { id } }", Some("cost line"), COST_LINE, Refused),
    input("updateCostLine.input.description", "mutation($t: String!, $id: ID!, $v: Int!) { updateCostLine(input: {id: $id, version: $v, description: $t}) { id } }", Some("cost line"), COST_LINE, Stored),
    input("recordEvaluationResponse.input.comment", "mutation($t: String!, $e: ID!) { recordEvaluationResponse(input: {enrollmentId: $e, ratings: [{item: RELEVANCE, rating: 4}, {item: CONTENT, rating: 4}, {item: INSTRUCTION, rating: 4}, {item: ORGANISATION, rating: 4}, {item: OVERALL, rating: 4}], comment: $t}) { id } }", Some("attended"), EVALUATION, Stored),
    input("recordEvaluationFollowUp.input.note", "mutation($t: String!, $e: ID!) { recordEvaluationFollowUp(input: {enrollmentId: $e, applied: PARTLY, note: $t}) { id } }", Some("completed"), EVALUATION, Stored),
    input("recordIndicatorMeasurement.input.note", "mutation($t: String!, $o: ID!) { recordIndicatorMeasurement(input: {objectiveId: $o, measuredOn: \"2024-05-20\", value: 2.5, note: $t}) { id: objectiveId } }", None, MEASUREMENTS, Stored),
    // Before createApiToken: the name of this round's token is not yet taken.
    input("revokeApiToken.token", "mutation($t: String!) { revokeApiToken(token: $t) { id } }", None, TOKENS, Refused),
    input("createApiToken.input.name", "mutation($t: String!) { createApiToken(input: {name: $t, role: ANALYST}) { token { id } } }", None, TOKENS, Stored),
    input("createFeedToken.input.name", "mutation($t: String!) { createFeedToken(input: {name: $t}) { token { id } } }", None, FEED_TOKENS, Stored),
    input("recordEnrollments.rows.courseCode", "mutation($t: String!, $s: Date!) { recordEnrollments(rows: [{courseCode: $t, iterationStart: $s, officerId: \"1\", action: NOMINATE}]) { committed rows { code } } }", None, TOKENS, RowRefused),
    input("importEnrollmentsCsv.csv", "mutation($t: String!) { importEnrollmentsCsv(csv: $t) { committed rows { code } } }", None, TOKENS, Refused),
    input("registerLrsEndpoint.input.url", "mutation($t: String!) { registerLrsEndpoint(input: {url: $t, username: \"k\", password: \"s\"}) { id } }", None, LRS_ENDPOINTS, Refused),
    input("registerLrsEndpoint.input.username", "mutation($t: String!) { registerLrsEndpoint(input: {url: \"https://93.184.216.34/xapi/\", username: $t, password: \"s\"}) { id } }", None, LRS_ENDPOINTS, Stored),
    // The password is never shown: it goes in with the same text as the user name, which is read
    // back; the request stores both or neither.
    input("registerLrsEndpoint.input.password", "mutation($t: String!) { registerLrsEndpoint(input: {url: \"https://93.184.216.34/xapi/\", username: $t, password: $t}) { id } }", None, LRS_ENDPOINTS, Stored),
    input("registerWebhookEndpoint.input.url", "mutation($t: String!) { registerWebhookEndpoint(input: {url: $t, kinds: [PARTNER]}) { endpoint { id } } }", None, TOKENS, Refused),
];

/// Every text input of every mutation, as `mutation.argument[.field]`, from the schema.
async fn schema_text_inputs(app: &TestApp) -> std::collections::BTreeSet<String> {
    let query = "{ __schema { mutationType { fields { name args { name type { ...T } } } }
        types { name kind inputFields { name type { ...T } } } } }
        fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
    let schema = app.ok(query, json!({})).await;
    fn named(ty: &Value) -> (&str, &str) {
        if ty["ofType"].is_null() {
            (
                ty["kind"].as_str().unwrap_or_default(),
                ty["name"].as_str().unwrap_or_default(),
            )
        } else {
            named(&ty["ofType"])
        }
    }
    let types = schema["__schema"]["types"].as_array().unwrap();
    fn walk(
        types: &[Value],
        prefix: String,
        ty: &Value,
        out: &mut std::collections::BTreeSet<String>,
    ) {
        match named(ty) {
            ("SCALAR", "String") => {
                out.insert(prefix);
            }
            ("INPUT_OBJECT", name) => {
                let def = types.iter().find(|t| t["name"] == name).unwrap();
                for field in def["inputFields"].as_array().unwrap() {
                    let path = format!("{prefix}.{}", field["name"].as_str().unwrap());
                    walk(types, path, &field["type"], out);
                }
            }
            _ => {}
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for field in schema["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
    {
        for arg in field["args"].as_array().unwrap() {
            let path = format!(
                "{}.{}",
                field["name"].as_str().unwrap(),
                arg["name"].as_str().unwrap()
            );
            walk(types, path, &arg["type"], &mut out);
        }
    }
    out
}

/// Whether a field named `field` answered under `data`, at any depth, equals `expected`.
fn holds(data: &Value, field: &str, expected: &str) -> bool {
    match data {
        Value::Array(items) => items.iter().any(|v| holds(v, field, expected)),
        Value::Object(fields) => fields.iter().any(|(name, v)| {
            (name == field && v.as_str() == Some(expected)) || holds(v, field, expected)
        }),
        _ => false,
    }
}

/// Some 600 requests in a row as one token: without a rate limit.
async fn every_text_input_of_every_mutation_stores_injections_verbatim_or_refuses_them_cleanly(
    backend: Backend,
) {
    // Without the webhook worker: the LRS endpoints the injections register would have their
    // fan-out positions moved by it (its own bookkeeping) while a refused request is checked.
    let serve = ipcp::config::ServeArgs {
        rate_limit_per_second: 0,
        webhooks: ipcp::config::WebhookArgs {
            webhook_worker: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let listed: std::collections::BTreeSet<String> =
        TEXT_INPUTS.iter().map(|t| t.name.to_owned()).collect();
    assert_eq!(
        listed,
        schema_text_inputs(&app).await,
        "every text input of the schema's mutations is listed in TEXT_INPUTS"
    );

    // One record of each kind to update, and what the creations need.
    let partner = fixtures::partner(&app, "TKM").await;
    let area = fixtures::area(&app, "AREA").await;
    let (cycle, _) = fixtures::cycle(&app, &partner, "IPCP", "2024-01-01").await;
    let course = fixtures::course(&app, "HOS-1", None).await;
    let start = crate::helpers::days_from_today(40);
    let iteration = fixtures::iteration(&app, &course, &start, &start, 5, None).await;
    let officer = fixtures::officer(&app, &partner, None).await;
    let id_of = |data: Value, field: &str| data[field]["id"].as_str().unwrap().to_owned();
    let milestone = id_of(
        app.ok("mutation($p: ID!) { createPartnershipMilestone(input: {partnerId: $p, framework: PFP, occurredOn: \"1994-05-10\", description: \"d\"}) { id } }", json!({ "p": partner })).await,
        "createPartnershipMilestone",
    );
    let objective = id_of(
        app.ok("mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"o\", indicator: \"i\"}) { id } }", json!({ "c": cycle, "a": area })).await,
        "createObjective",
    );
    let activity = id_of(
        app.ok("mutation($c: ID!, $a: ID!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: \"a\", description: \"d\", startDate: \"2024-05-20\", endDate: \"2024-05-21\"}) { id } }", json!({ "c": cycle, "a": area })).await,
        "recordActivity",
    );
    let contact = id_of(
        app.ok("mutation($p: ID!) { createPointOfContact(input: {role: PARTNER_POC, familyName: \"f\", givenName: \"g\", partnerId: $p}) { id } }", json!({ "p": partner })).await,
        "createPointOfContact",
    );
    let cost_line = id_of(
        app.ok("mutation($i: ID!) { recordCostLine(input: {iterationId: $i, category: TRAVEL, stage: ACTUAL, amountMinor: 100, currency: \"EUR\", fundingSource: PARTNER}) { id } }", json!({ "i": iteration })).await,
        "recordCostLine",
    );
    let ended = fixtures::iteration(
        &app,
        &course,
        &crate::helpers::days_from_today(-14),
        &crate::helpers::days_from_today(-10),
        1000,
        None,
    )
    .await;
    let old = fixtures::iteration(
        &app,
        &course,
        &crate::helpers::days_from_today(-204),
        &crate::helpers::days_from_today(-200),
        1000,
        None,
    )
    .await;
    let records: std::collections::HashMap<&str, &str> = [
        ("partner", partner.as_str()),
        ("milestone", milestone.as_str()),
        ("area", area.as_str()),
        ("objective", objective.as_str()),
        ("course", course.as_str()),
        ("iteration", iteration.as_str()),
        ("officer", officer.as_str()),
        ("activity", activity.as_str()),
        ("contact", contact.as_str()),
        ("cost line", cost_line.as_str()),
    ]
    .into_iter()
    .collect();

    let mut counts = std::collections::BTreeMap::<Kind, usize>::new();
    let mut fresh = 0u32;
    for evil in INJECTIONS {
        for text_input in TEXT_INPUTS {
            let what = format!("{} with {evil:?}", text_input.name);
            fresh += 1;
            // A valid code, new each time: three letters for a partner, more for the others.
            let letters: String = [fresh / 676, fresh / 26 % 26, fresh % 26]
                .iter()
                .map(|n| (b'A' + *n as u8) as char)
                .collect();
            let mut vars = json!({
                "t": evil, "u": letters, "p": partner, "a": area, "c": cycle, "co": course,
                "s": start, "i": iteration, "o": objective,
            });
            let mut enrollment = None;
            if let Some(fresh) = text_input.update.filter(|r| FRESH.contains(r)) {
                let (iteration, status) = if fresh == "attended" {
                    (&ended, "ATTENDED")
                } else {
                    (&old, "COMPLETED")
                };
                let e = crate::evaluation::enrolled(&app, &partner, iteration, status).await;
                vars["e"] = e["id"].clone();
                enrollment = e["id"].as_str().map(str::to_owned);
            } else if let Some(record) = text_input.update {
                let id = records[record];
                let current = app.ok(text_input.read, json!({ "id": id })).await;
                let (_, fields) = current.as_object().unwrap().iter().next().unwrap();
                vars["id"] = json!(id);
                vars["v"] = fields["version"].clone();
            }
            // Only a refusal must leave the tables as they were (an input meant to store that
            // refuses fails on its kind below).
            let before = if text_input.expect == Stored {
                None
            } else {
                Some(app.contents().await)
            };
            let case = gql(&app, &what, text_input.doc, vars).await;
            check(&case);
            let body: Value = serde_json::from_str(&case.body).unwrap();
            let kind = if body["errors"].is_array() {
                check_refused(&case);
                Refused
            } else if body["data"].as_object().unwrap().values().next().unwrap()["committed"]
                == false
            {
                let report = body["data"].as_object().unwrap().values().next().unwrap();
                assert!(
                    report["rows"][0]["code"].is_string(),
                    "{what}: a refused row names its rule: {body}"
                );
                RowRefused
            } else {
                Stored
            };
            assert_eq!(kind, text_input.expect, "{what}: {}", case.excerpt());
            if kind == Stored {
                let id = match (&enrollment, text_input.update) {
                    (Some(enrollment), _) => enrollment.clone(),
                    (None, Some(record)) => records[record].to_owned(),
                    (None, None) => {
                        let answer = body["data"].as_object().unwrap().values().next().unwrap();
                        answer["id"].as_str().unwrap_or_default().to_owned()
                    }
                };
                // An LRS password is never shown again: its case sends the same text as the
                // username, so the stored endpoint is seen through the username read back.
                let field = match text_input.name {
                    "registerLrsEndpoint.input.password" => "username",
                    name => name.rsplit('.').next().unwrap(),
                };
                let read = app.ok(text_input.read, json!({ "id": id })).await;
                // The field itself, or one of a list of them (the token list, the measurements).
                assert!(holds(&read, field, evil), "{what}: read back {read}");
            } else if let Some(before) = &before {
                app.assert_unchanged(before, &what).await;
            }
            *counts.entry(kind).or_default() += 1;
        }
    }
    println!("injection cases by kind: {counts:?}");
    let per_input = INJECTIONS.len();
    for (kind, floor) in [(Stored, 46), (Refused, 20), (RowRefused, 1)] {
        let n = counts.get(&kind).copied().unwrap_or_default();
        assert!(
            n >= floor * per_input,
            "{kind:?}: {n} cases, expected at least {}",
            floor * per_input
        );
    }
}

crate::on_both_backends!(
    hostile_requests_get_clean_coded_errors_and_change_nothing,
    injection_strings_are_stored_as_data_verbatim,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_text_input_of_every_mutation_stores_injections_verbatim_or_refuses_them_cleanly(
) {
    every_text_input_of_every_mutation_stores_injections_verbatim_or_refuses_them_cleanly(
        Backend::Sqlite,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_text_input_of_every_mutation_stores_injections_verbatim_or_refuses_them_cleanly(
) {
    every_text_input_of_every_mutation_stores_injections_verbatim_or_refuses_them_cleanly(
        Backend::Postgres,
    )
    .await
}
