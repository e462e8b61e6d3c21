//! Invariant 9, one door for writes: every committed change, whoever makes it (each mutation of
//! the schema, each CLI command that writes), leaves exactly one audit event and one change-log
//! entry naming its actor and action; a refused change leaves neither.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The audit events and change-log entries recorded so far.
async fn ledger(app: &TestApp) -> (i64, i64) {
    (
        app.sql_count("SELECT COUNT(*) FROM audit_event").await,
        app.sql_count("SELECT COUNT(*) FROM change_log").await,
    )
}

/// The actor and action of the newest row of `table`.
async fn newest(app: &TestApp, table: &str) -> String {
    app.sql_text(&format!(
        "SELECT actor || ' ' || action FROM {table} ORDER BY id DESC LIMIT 1"
    ))
    .await
}

/// Walks the schema's mutations, each once committed and once refused.
struct Walk<'a> {
    app: &'a TestApp,
    committed: BTreeSet<String>,
    refused: BTreeSet<String>,
}

impl Walk<'_> {
    /// Runs `field` (a mutation that must succeed): one audit event and one change-log entry, both
    /// naming the test's ADMIN token and the mutation. Returns the field's answer.
    async fn commit(&mut self, field: &str, query: &str, variables: Value) -> Value {
        let before = ledger(self.app).await;
        let data = self.app.ok(query, variables).await;
        let after = ledger(self.app).await;
        assert_eq!(after.0, before.0 + 1, "{field}: one audit event");
        assert_eq!(after.1, before.1 + 1, "{field}: one change-log entry");
        let expected = format!("test-admin {field}");
        assert_eq!(newest(self.app, "audit_event").await, expected);
        assert_eq!(newest(self.app, "change_log").await, expected);
        self.committed.insert(field.to_owned());
        data[field].clone()
    }

    /// Runs `field` so that the service refuses it: an error, and neither record.
    async fn refuse(&mut self, field: &str, query: &str, variables: Value) {
        let before = ledger(self.app).await;
        let body = self.app.gql(query, variables).await;
        assert!(
            body["errors"][0]["extensions"]["code"].is_string(),
            "{field} should be refused: {body:#}"
        );
        assert_eq!(
            ledger(self.app).await,
            before,
            "{field}: refused, nothing recorded"
        );
        self.refused.insert(field.to_owned());
    }

    /// Runs a batch that keeps nothing (it answers with a report, not an error): neither record.
    async fn keep_nothing(&mut self, field: &str, query: &str, variables: Value) {
        let before = ledger(self.app).await;
        let data = self.app.ok(query, variables).await;
        assert_eq!(data[field]["committed"], false, "{field}: {data:#}");
        assert_eq!(
            ledger(self.app).await,
            before,
            "{field}: kept nothing, recorded nothing"
        );
        self.refused.insert(field.to_owned());
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

const MISSING: &str = "999999";

async fn every_mutation_leaves_one_audit_event_and_one_change_log_entry_and_a_refused_one_neither(
    app: TestApp,
) {
    let mut w = Walk {
        app: &app,
        committed: BTreeSet::new(),
        refused: BTreeSet::new(),
    };

    // Partners and milestones.
    let q = "mutation($c: String!) { createPartner(input: {code: $c, name: \"One Door\"}) { id version } }";
    let partner = id(&w.commit("createPartner", q, json!({"c": "ODA"})).await);
    w.refuse("createPartner", q, json!({"c": "ODA"})).await;
    let q = "mutation($id: ID!, $v: Int!) { updatePartner(input: {id: $id, version: $v, name: \"One Door Partner\"}) { id version } }";
    w.commit("updatePartner", q, json!({"id": partner, "v": 1}))
        .await;
    w.refuse("updatePartner", q, json!({"id": partner, "v": 99}))
        .await;
    let q = "mutation($p: ID!) { createPartnershipMilestone(input: {partnerId: $p, framework: PFP, occurredOn: \"1994-05-10\", description: \"Joined the PfP.\"}) { id version } }";
    let milestone = id(&w
        .commit("createPartnershipMilestone", q, json!({"p": partner}))
        .await);
    w.refuse("createPartnershipMilestone", q, json!({"p": MISSING}))
        .await;
    let q = "mutation($id: ID!, $v: Int!) { updatePartnershipMilestone(input: {id: $id, version: $v, description: \"Joined the Partnership for Peace.\"}) { id version } }";
    w.commit(
        "updatePartnershipMilestone",
        q,
        json!({"id": milestone, "v": 1}),
    )
    .await;
    w.refuse(
        "updatePartnershipMilestone",
        q,
        json!({"id": milestone, "v": 99}),
    )
    .await;

    // Areas, cycles, objectives, activities.
    let q = "mutation($c: String!) { createCooperationArea(input: {code: $c, name: \"Area\", description: \"d\"}) { id version } }";
    let area = id(&w
        .commit("createCooperationArea", q, json!({"c": "ODA_AREA"}))
        .await);
    w.refuse("createCooperationArea", q, json!({"c": "ODA_AREA"}))
        .await;
    let q = "mutation($id: ID!, $v: Int!) { updateCooperationArea(input: {id: $id, version: $v, name: \"Area 2\"}) { id version } }";
    w.commit("updateCooperationArea", q, json!({"id": area, "v": 1}))
        .await;
    w.refuse("updateCooperationArea", q, json!({"id": area, "v": 99}))
        .await;
    let q = "mutation($p: ID!, $s: Date!) { createProgrammeCycle(input: {partnerId: $p, kind: IPCP, startDate: $s}) { id version } }";
    let cycle = id(&w
        .commit(
            "createProgrammeCycle",
            q,
            json!({"p": partner, "s": day(-30)}),
        )
        .await);
    w.refuse(
        "createProgrammeCycle",
        q,
        json!({"p": MISSING, "s": day(-30)}),
    )
    .await;
    let q = "mutation($id: ID!, $v: Int!, $d: Date!) { updateProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: $d}) { id version } }";
    let v = w
        .commit(
            "updateProgrammeCycle",
            q,
            json!({"id": cycle, "v": 1, "d": day(-40)}),
        )
        .await["version"]
        .clone();
    w.refuse(
        "updateProgrammeCycle",
        q,
        json!({"id": cycle, "v": 99, "d": day(-40)}),
    )
    .await;
    let q = "mutation($id: ID!, $v: Int!, $d: Date!) { approveProgrammeCycle(input: {id: $id, version: $v, nacApprovedOn: $d, partnerApprovedOn: $d}) { id version } }";
    w.refuse(
        "approveProgrammeCycle",
        q,
        json!({"id": cycle, "v": 99, "d": day(-40)}),
    )
    .await;
    let v = w
        .commit(
            "approveProgrammeCycle",
            q,
            json!({"id": cycle, "v": v, "d": day(-40)}),
        )
        .await["version"]
        .clone();
    let q = "mutation($id: ID!, $v: Int!) { activateProgrammeCycle(input: {id: $id, version: $v}) { id version } }";
    w.refuse("activateProgrammeCycle", q, json!({"id": cycle, "v": 99}))
        .await;
    let v = w
        .commit("activateProgrammeCycle", q, json!({"id": cycle, "v": v}))
        .await["version"]
        .clone();
    let q = "mutation($c: ID!, $a: ID!) { createObjective(input: {cycleId: $c, areaId: $a, title: \"Train officers\", indicator: \"officers trained\", target: 5}) { id version } }";
    let objective = id(&w
        .commit("createObjective", q, json!({"c": cycle, "a": area}))
        .await);
    w.refuse("createObjective", q, json!({"c": MISSING, "a": area}))
        .await;
    let q = "mutation($id: ID!, $v: Int!) { updateObjective(input: {id: $id, version: $v, title: \"Train more officers\"}) { id version } }";
    w.commit("updateObjective", q, json!({"id": objective, "v": 1}))
        .await;
    w.refuse("updateObjective", q, json!({"id": objective, "v": 99}))
        .await;
    let q = "mutation($c: ID!, $a: ID!, $s: Date!, $e: Date!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: \"Forum\", description: \"NATO - Central Asia\", startDate: $s, endDate: $e}) { id version } }";
    let activity = id(&w
        .commit(
            "recordActivity",
            q,
            json!({"c": cycle, "a": area, "s": day(-2), "e": day(-1)}),
        )
        .await);
    w.refuse(
        "recordActivity",
        q,
        json!({"c": cycle, "a": area, "s": day(-1), "e": day(-2)}),
    )
    .await;
    let q = "mutation($id: ID!, $v: Int!) { updateActivity(input: {id: $id, version: $v, outcome: \"Held\"}) { id version } }";
    w.commit("updateActivity", q, json!({"id": activity, "v": 1}))
        .await;
    w.refuse("updateActivity", q, json!({"id": activity, "v": 99}))
        .await;
    let q = "mutation($id: ID!, $v: Int!) { renewProgrammeCycle(input: {id: $id, version: $v}) { id version } }";
    w.refuse("renewProgrammeCycle", q, json!({"id": cycle, "v": 99}))
        .await;
    w.commit("renewProgrammeCycle", q, json!({"id": cycle, "v": v}))
        .await;
    let v = app
        .ok(
            "query($id: ID!) { programmeCycle(id: $id) { version } }",
            json!({"id": cycle}),
        )
        .await["programmeCycle"]["version"]
        .clone();
    let q = "mutation($id: ID!, $v: Int!) { closeProgrammeCycle(input: {id: $id, version: $v}) { id version } }";
    w.refuse("closeProgrammeCycle", q, json!({"id": cycle, "v": 99}))
        .await;
    w.commit("closeProgrammeCycle", q, json!({"id": cycle, "v": v}))
        .await;

    // Courses, iterations, officers.
    let q = "mutation($c: String!) { createCourse(input: {code: $c, title: \"Border security\", topic: BORDER_SECURITY, organiser: \"NATO School Oberammergau\", delivery: RESIDENTIAL, durationDays: 5}) { id version } }";
    let course = id(&w.commit("createCourse", q, json!({"c": "ODA-101"})).await);
    w.refuse("createCourse", q, json!({"c": "ODA-101"})).await;
    let q = "mutation($id: ID!, $v: Int!) { updateCourse(input: {id: $id, version: $v, title: \"Border security II\"}) { id version } }";
    w.commit("updateCourse", q, json!({"id": course, "v": 1}))
        .await;
    w.refuse("updateCourse", q, json!({"id": course, "v": 99}))
        .await;
    let q = "mutation($c: ID!, $s: Date!, $e: Date!) { createCourseIteration(input: {courseId: $c, startDate: $s, endDate: $e, location: \"Oberammergau\", capacity: 5, status: OPEN}) { id version } }";
    let running = id(&w
        .commit(
            "createCourseIteration",
            q,
            json!({"c": course, "s": day(0), "e": day(4)}),
        )
        .await);
    let later = id(&w
        .commit(
            "createCourseIteration",
            q,
            json!({"c": course, "s": day(60), "e": day(64)}),
        )
        .await);
    let batch = id(&w
        .commit(
            "createCourseIteration",
            q,
            json!({"c": course, "s": day(120), "e": day(124)}),
        )
        .await);
    w.refuse(
        "createCourseIteration",
        q,
        json!({"c": MISSING, "s": day(60), "e": day(64)}),
    )
    .await;
    let q = "mutation($id: ID!, $v: Int!) { updateCourseIteration(input: {id: $id, version: $v, location: \"Rome\"}) { id version } }";
    w.commit("updateCourseIteration", q, json!({"id": later, "v": 1}))
        .await;
    w.refuse("updateCourseIteration", q, json!({"id": later, "v": 99}))
        .await;
    let q = "mutation($i: ID!, $o: ID!) { linkIterationObjective(iterationId: $i, objectiveId: $o) { id version } }";
    w.commit(
        "linkIterationObjective",
        q,
        json!({"i": later, "o": objective}),
    )
    .await;
    w.refuse(
        "linkIterationObjective",
        q,
        json!({"i": later, "o": MISSING}),
    )
    .await;
    let q = "mutation($p: ID!) { createOfficer(input: {partnerId: $p, familyName: \"Officer\", givenName: \"Test\", rank: \"Captain\", service: ARMY}) { id version } }";
    let mut officers = Vec::new();
    for _ in 0..3 {
        officers.push(id(&w
            .commit("createOfficer", q, json!({"p": partner}))
            .await));
    }
    w.refuse("createOfficer", q, json!({"p": MISSING})).await;
    let q = "mutation($id: ID!, $v: Int!) { updateOfficer(input: {id: $id, version: $v, rank: \"Major\"}) { id version } }";
    w.commit("updateOfficer", q, json!({"id": officers[0], "v": 1}))
        .await;
    w.refuse("updateOfficer", q, json!({"id": officers[0], "v": 99}))
        .await;

    // Enrollments along every step of the lifecycle.
    let nominate = "mutation($i: ID!, $o: ID!) { nominateOfficer(input: {iterationId: $i, officerId: $o, place: false}) { id version } }";
    let step = |field: &str| {
        format!("mutation($id: ID!, $v: Int!) {{ {field}(input: {{id: $id, version: $v}}) {{ id version }} }}")
    };
    let mut enrollments = Vec::new();
    for officer in &officers {
        let e = w
            .commit(
                "nominateOfficer",
                nominate,
                json!({"i": running, "o": officer}),
            )
            .await;
        let e = w
            .commit(
                "confirmEnrollment",
                &step("confirmEnrollment"),
                json!({"id": id(&e), "v": e["version"]}),
            )
            .await;
        enrollments.push(e);
    }
    w.refuse(
        "nominateOfficer",
        nominate,
        json!({"i": running, "o": officers[0]}),
    )
    .await;
    w.refuse(
        "confirmEnrollment",
        &step("confirmEnrollment"),
        json!({"id": id(&enrollments[0]), "v": 99}),
    )
    .await;
    for (n, e) in enrollments.iter_mut().enumerate().take(2) {
        let field = "recordAttendance";
        if n == 0 {
            w.refuse(field, &step(field), json!({"id": id(e), "v": 99}))
                .await;
        }
        *e = w
            .commit(field, &step(field), json!({"id": id(e), "v": e["version"]}))
            .await;
    }
    for (field, e) in [
        ("recordCompletion", &enrollments[0]),
        ("recordFailure", &enrollments[1]),
    ] {
        let q = format!("mutation($id: ID!, $v: Int!) {{ {field}(input: {{id: $id, version: $v, evaluationScore: 70}}) {{ id version }} }}");
        w.refuse(field, &q, json!({"id": id(e), "v": 99})).await;
        w.commit(field, &q, json!({"id": id(e), "v": e["version"]}))
            .await;
    }
    let field = "recordNoShow";
    w.refuse(
        field,
        &step(field),
        json!({"id": id(&enrollments[2]), "v": 99}),
    )
    .await;
    w.commit(
        field,
        &step(field),
        json!({"id": id(&enrollments[2]), "v": enrollments[2]["version"]}),
    )
    .await;
    let e = w
        .commit(
            "nominateOfficer",
            nominate,
            json!({"i": later, "o": officers[0]}),
        )
        .await;
    w.refuse(
        "waitlistEnrollment",
        &step("waitlistEnrollment"),
        json!({"id": id(&e), "v": 99}),
    )
    .await;
    let e = w
        .commit(
            "waitlistEnrollment",
            &step("waitlistEnrollment"),
            json!({"id": id(&e), "v": e["version"]}),
        )
        .await;
    w.refuse(
        "withdrawEnrollment",
        &step("withdrawEnrollment"),
        json!({"id": id(&e), "v": 99}),
    )
    .await;
    w.commit(
        "withdrawEnrollment",
        &step("withdrawEnrollment"),
        json!({"id": id(&e), "v": e["version"]}),
    )
    .await;
    let e = w
        .commit(
            "nominateOfficer",
            nominate,
            json!({"i": later, "o": officers[1]}),
        )
        .await;
    w.refuse(
        "declineEnrollment",
        &step("declineEnrollment"),
        json!({"id": id(&e), "v": 99}),
    )
    .await;
    w.commit(
        "declineEnrollment",
        &step("declineEnrollment"),
        json!({"id": id(&e), "v": e["version"]}),
    )
    .await;
    let q = "mutation($id: ID!, $v: Int!) { cancelCourseIteration(input: {id: $id, version: $v}) { id version } }";
    let v = app
        .ok(
            "query($id: ID!) { courseIteration(id: $id) { version } }",
            json!({"id": later}),
        )
        .await["courseIteration"]["version"]
        .clone();
    w.refuse("cancelCourseIteration", q, json!({"id": later, "v": 99}))
        .await;
    w.commit("cancelCourseIteration", q, json!({"id": later, "v": v}))
        .await;

    // Batches: one audit event and one entry per batch that kept something.
    let q =
        "mutation($rows: [EnrollmentRowInput!]!) { recordEnrollments(rows: $rows) { committed } }";
    w.commit(
        "recordEnrollments",
        q,
        json!({"rows": [{"iterationId": batch, "officerId": officers[2], "action": "NOMINATE"}]}),
    )
    .await;
    w.keep_nothing(
        "recordEnrollments",
        q,
        json!({"rows": [{"iterationId": batch, "officerId": MISSING, "action": "NOMINATE"}]}),
    )
    .await;
    let q = "mutation($csv: String!) { importEnrollmentsCsv(csv: $csv) { committed } }";
    let header = "iteration_id,course_code,iteration_start,officer_id,action,evaluation_score\n";
    w.commit(
        "importEnrollmentsCsv",
        q,
        json!({"csv": format!("{header}{batch},,,{},NOMINATE,\n", officers[1])}),
    )
    .await;
    w.keep_nothing(
        "importEnrollmentsCsv",
        q,
        json!({"csv": format!("{header}{batch},,,{MISSING},NOMINATE,\n")}),
    )
    .await;

    // Course evaluation: a questionnaire inside its window, a follow-up that is due.
    let (_, recent) = crate::evaluation::iteration(&app, "ODA-EV1", -14, -10).await;
    let (_, old) = crate::evaluation::iteration(&app, "ODA-EV2", -205, -200).await;
    let e = crate::evaluation::enrolled(&app, &partner, &recent, "COMPLETED").await;
    let q = crate::evaluation::RESPOND;
    let r = crate::evaluation::ratings(4);
    w.commit("recordEvaluationResponse", q, json!({"e": e["id"], "r": r}))
        .await;
    w.refuse("recordEvaluationResponse", q, json!({"e": e["id"], "r": r}))
        .await;
    let e = crate::evaluation::enrolled(&app, &partner, &old, "COMPLETED").await;
    let q = crate::evaluation::FOLLOW_UP;
    w.commit(
        "recordEvaluationFollowUp",
        q,
        json!({"e": e["id"], "a": "YES"}),
    )
    .await;
    w.refuse(
        "recordEvaluationFollowUp",
        q,
        json!({"e": e["id"], "a": "YES"}),
    )
    .await;

    // Points of contact.
    let q = crate::contacts::CREATE;
    let poc = id(&w
        .commit(
            "createPointOfContact",
            q,
            json!({"p": partner, "e": "a@mfa.gov.tm"}),
        )
        .await);
    w.refuse(
        "createPointOfContact",
        q,
        json!({"p": partner, "e": "not-an-email"}),
    )
    .await;
    let q = "mutation($id: ID!, $v: Int!) { updatePointOfContact(input: {id: $id, version: $v, phone: \"+99312345678\"}) { id version } }";
    w.commit("updatePointOfContact", q, json!({"id": poc, "v": 1}))
        .await;
    w.refuse("updatePointOfContact", q, json!({"id": poc, "v": 99}))
        .await;

    // Cost lines.
    let q = crate::costs::RECORD;
    let cost = id(&w
        .commit(
            "recordCostLine",
            q,
            json!({"i": running, "p": partner, "m": 125000}),
        )
        .await);
    w.refuse(
        "recordCostLine",
        q,
        json!({"i": running, "m": 1, "cur": "XYZ"}),
    )
    .await;
    let q = "mutation($id: ID!, $v: Int!) { updateCostLine(input: {id: $id, version: $v, stage: ACTUAL}) { id version } }";
    w.commit("updateCostLine", q, json!({"id": cost, "v": 1}))
        .await;
    w.refuse("updateCostLine", q, json!({"id": cost, "v": 99}))
        .await;

    // Indicator measurements.
    let q = crate::itpp::MEASURE;
    w.commit(
        "recordIndicatorMeasurement",
        q,
        json!({"o": objective, "d": day(0), "v": 3}),
    )
    .await;
    w.refuse(
        "recordIndicatorMeasurement",
        q,
        json!({"o": MISSING, "d": day(0), "v": 3}),
    )
    .await;

    // Tokens.
    let q = "mutation($n: String!) { createApiToken(input: {name: $n, role: ANALYST}) { secret } }";
    w.commit("createApiToken", q, json!({"n": "one-door"}))
        .await;
    w.refuse("createApiToken", q, json!({"n": "one-door"}))
        .await;
    let q = "mutation($t: String!) { revokeApiToken(token: $t) { id } }";
    w.commit("revokeApiToken", q, json!({"t": "one-door"}))
        .await;
    w.refuse("revokeApiToken", q, json!({"t": "no-such-token"}))
        .await;
    let q = "mutation($n: String!) { createFeedToken(input: {name: $n}) { token { id } } }";
    let feed = w
        .commit("createFeedToken", q, json!({"n": "one-door-feed"}))
        .await;
    w.refuse("createFeedToken", q, json!({"n": "one-door-feed"}))
        .await;
    let q = "mutation($id: ID!) { revokeFeedToken(id: $id) { id } }";
    w.commit("revokeFeedToken", q, json!({"id": feed["token"]["id"]}))
        .await;
    w.refuse("revokeFeedToken", q, json!({"id": MISSING})).await;

    // Webhooks. An address literal (no DNS on a test machine) that is public; the endpoint asks
    // only for datasets, which this test never loads, so nothing is sent to it.
    let q = "mutation($u: String!) { registerWebhookEndpoint(input: {url: $u, kinds: [DATASET]}) { endpoint { id } } }";
    let endpoint = w
        .commit(
            "registerWebhookEndpoint",
            q,
            json!({"u": "https://93.184.216.34/hook"}),
        )
        .await;
    w.refuse(
        "registerWebhookEndpoint",
        q,
        json!({"u": "http://127.0.0.1/hook"}),
    )
    .await;
    // An LRS, disabled at once below (no training step follows to send it anyway).
    let q = "mutation($u: String!) { registerLrsEndpoint(input: {url: $u, username: \"k\", password: \"s\"}) { id } }";
    let lrs = w
        .commit(
            "registerLrsEndpoint",
            q,
            json!({"u": "https://93.184.216.34/xapi/"}),
        )
        .await;
    w.refuse(
        "registerLrsEndpoint",
        q,
        json!({"u": "http://10.0.0.1/xapi/"}),
    )
    .await;
    let q = "mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }";
    w.commit("disableWebhookEndpoint", q, json!({"id": id(&lrs)}))
        .await;
    let endpoint = id(&endpoint["endpoint"]);
    w.commit("disableWebhookEndpoint", q, json!({"id": endpoint}))
        .await;
    w.refuse("disableWebhookEndpoint", q, json!({"id": endpoint}))
        .await;
    // A FAILED delivery, as the worker leaves one when the retry window is over.
    let conn = sea_orm::Database::connect(&app.database.url)
        .await
        .expect("connect");
    let failed = <entity::webhook_delivery::Entity as sea_orm::EntityTrait>::insert(
        entity::webhook_delivery::ActiveModel {
            endpoint_id: sea_orm::ActiveValue::Set(endpoint.parse().expect("an id")),
            position: sea_orm::ActiveValue::Set(1),
            status: sea_orm::ActiveValue::Set(entity::webhook_delivery::DeliveryStatus::Failed),
            attempts: sea_orm::ActiveValue::Set(3),
            next_attempt_at: sea_orm::ActiveValue::Set(chrono::Utc::now()),
            retry_until: sea_orm::ActiveValue::Set(chrono::Utc::now()),
            created_at: sea_orm::ActiveValue::Set(chrono::Utc::now()),
            ..Default::default()
        },
    )
    .exec(&conn)
    .await
    .expect("a delivery")
    .last_insert_id;
    conn.close().await.ok();
    let q = "mutation($id: ID!) { redeliverWebhookDelivery(id: $id) { status } }";
    w.commit(
        "redeliverWebhookDelivery",
        q,
        json!({"id": failed.to_string()}),
    )
    .await;
    w.refuse(
        "redeliverWebhookDelivery",
        q,
        json!({"id": failed.to_string()}),
    )
    .await;

    // Every mutation of the schema was walked both ways: a new one must be added here.
    let schema = app
        .ok(
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let all: BTreeSet<String> = schema["__schema"]["mutationType"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect();
    assert_eq!(w.committed, all, "mutations committed");
    assert_eq!(w.refused, all, "mutations refused");
}

/// Runs `ipcp ARGS` against the app's database; its exit status and output.
async fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipcp"))
        .args(args)
        .env("DATABASE_URL", &app.database.url)
        .output()
        .await
        .expect("ipcp runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Runs a CLI command that must write: one audit event and one change-log entry per change,
/// naming the command (`cli:<command>`).
async fn cli_commits(app: &TestApp, args: &[&str], actor: &str, changes: i64) {
    let before = ledger(app).await;
    let (ok, out) = cli(app, args).await;
    assert!(ok, "{args:?}: {out}");
    let after = ledger(app).await;
    assert_eq!(after.0, before.0 + changes, "{args:?}: audit events");
    assert_eq!(after.1, before.1 + changes, "{args:?}: change-log entries");
    let newest_audit = newest(app, "audit_event").await;
    assert!(
        newest_audit.starts_with(&format!("{actor} ")),
        "{newest_audit}"
    );
    let newest_log = newest(app, "change_log").await;
    assert_eq!(newest_log, newest_audit);
    let actors = app
        .sql_count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE actor = '{actor}'"
        ))
        .await;
    assert!(actors >= changes);
}

/// Runs a CLI command that must be refused: nothing recorded.
async fn cli_refused(app: &TestApp, args: &[&str]) {
    let before = ledger(app).await;
    let (ok, out) = cli(app, args).await;
    assert!(!ok, "{args:?} should fail: {out}");
    assert_eq!(ledger(app).await, before, "{args:?}: nothing recorded");
}

async fn every_cli_command_that_writes_leaves_one_audit_event_and_one_change_log_entry_per_change(
    app: TestApp,
) {
    cli_commits(
        &app,
        &["token", "create", "--name", "job", "--role", "REPORTER"],
        "cli:token",
        1,
    )
    .await;
    cli_refused(
        &app,
        &["token", "create", "--name", "job", "--role", "REPORTER"],
    )
    .await;
    cli_commits(&app, &["token", "revoke", "job"], "cli:token", 1).await;
    cli_refused(&app, &["token", "revoke", "no-such-token"]).await;

    cli_commits(&app, &["seed", "demo"], "cli:seed", 1).await;
    // A second run creates nothing and records nothing.
    let before = ledger(&app).await;
    assert!(cli(&app, &["seed", "demo"]).await.0);
    assert_eq!(ledger(&app).await, before);

    let partner = crate::helpers::fixtures::partner(&app, "CLI").await;
    let officer = crate::helpers::fixtures::officer(&app, &partner, None).await;
    let course = crate::helpers::fixtures::course(&app, "CLI-1", None).await;
    let iteration =
        crate::helpers::fixtures::iteration(&app, &course, &day(30), &day(34), 5, None).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let header = "iteration_id,course_code,iteration_start,officer_id,action,evaluation_score\n";
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!("{header}{iteration},,,{officer},NOMINATE,\n"),
    )
    .expect("csv");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("{header}{iteration},,,{MISSING},NOMINATE,\n")).expect("csv");
    cli_refused(
        &app,
        &["import", "enrollments", bad.to_str().expect("path")],
    )
    .await;
    cli_commits(
        &app,
        &["import", "enrollments", good.to_str().expect("path")],
        "cli:import",
        1,
    )
    .await;
    let imported = app
        .sql_text("SELECT action FROM change_log ORDER BY id DESC LIMIT 1")
        .await;
    assert_eq!(imported, "import");
}

/// The benchmark dataset loads into an empty database: one change per table it fills.
async fn seeding_the_benchmark_dataset_records_one_change_per_table(app: TestApp) {
    // The app's own ADMIN token is the one row: the dataset wants no partner, which holds.
    let (ok, out) = cli(&app, &["seed", "bench", "--scale", "0.001"]).await;
    assert!(ok, "{out}");
    let (audit, log) = ledger(&app).await;
    let seeded = app
        .sql_count("SELECT COUNT(*) FROM change_log WHERE actor = 'cli:seed' AND kind = 'dataset'")
        .await;
    assert!(seeded >= 8, "one entry per table: {seeded}");
    // Everything else there is the test's own token creation.
    assert_eq!(log, seeded + 1);
    assert_eq!(audit, log);
}

crate::on_both_backends!(
    every_mutation_leaves_one_audit_event_and_one_change_log_entry_and_a_refused_one_neither,
    every_cli_command_that_writes_leaves_one_audit_event_and_one_change_log_entry_per_change,
    seeding_the_benchmark_dataset_records_one_change_per_table,
);
