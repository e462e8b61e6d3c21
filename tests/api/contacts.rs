//! Points of contact: one link each, email and E.164 phone checked, personal data guarded.

use entity::enums::Role;
use serde_json::{json, Value};

use crate::helpers::{fixtures, TestApp};

pub const CREATE: &str = "mutation($p: ID, $c: ID, $i: ID, $e: String, $ph: String) { createPointOfContact(input: {role: PARTNER_POC, familyName: \"Atayev\", givenName: \"Serdar\", organisation: \"Embassy of Turkmenistan, Brussels\", email: $e, phone: $ph, partnerId: $p, courseId: $c, iterationId: $i}) { id role familyName givenName organisation email phone partnerId courseId iterationId version } }";

async fn contacts(app: &TestApp) -> i64 {
    app.sql_count("SELECT COUNT(*) FROM point_of_contact").await
        + app.sql_count("SELECT COUNT(*) FROM audit_event").await
}

async fn refused(app: &TestApp, query: &str, vars: Value) -> String {
    let before = contacts(app).await;
    let code = app.error_code(query, vars).await;
    assert_eq!(contacts(app).await, before, "{code}: nothing written");
    code
}

async fn a_point_of_contact_is_linked_to_a_partner_a_course_or_an_iteration(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(&app, &course, "2090-01-06", "2090-01-10", 5, None).await;
    let c = app
        .ok(
            CREATE,
            json!({"p": partner, "e": "s.atayev@mfa.gov.tm", "ph": "+993 12 34 56 78"}),
        )
        .await["createPointOfContact"]
        .clone();
    assert_eq!(c["email"], "s.atayev@mfa.gov.tm");
    assert_eq!(c["phone"], "+99312345678");
    assert_eq!(c["partnerId"], partner.as_str());
    app.ok(CREATE, json!({"c": course})).await;
    app.ok(CREATE, json!({"i": it})).await;
    let list = app
        .ok(
            "query($p: ID) { pointsOfContact(partnerId: $p, role: PARTNER_POC) { totalCount edges { node { id } } } }",
            json!({"p": partner}),
        )
        .await;
    assert_eq!(list["pointsOfContact"]["totalCount"], 1);
    // None, or two links, is a bad input; an unknown partner is not found.
    assert_eq!(refused(&app, CREATE, json!({})).await, "BAD_USER_INPUT");
    assert_eq!(
        refused(&app, CREATE, json!({"p": partner, "c": course})).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        refused(&app, CREATE, json!({"p": "999999"})).await,
        "NOT_FOUND"
    );
}

async fn a_malformed_email_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    for bad in ["atayev", "atayev@", "a b@mfa.gov.tm", "atayev@mfa"] {
        let code = refused(&app, CREATE, json!({"p": partner, "e": bad})).await;
        assert_eq!(code, "INVALID_EMAIL", "{bad}");
    }
    let c = app.ok(CREATE, json!({"p": partner})).await["createPointOfContact"].clone();
    let q = "mutation($id: ID!, $v: Int!, $e: String) { updatePointOfContact(input: {id: $id, version: $v, email: $e}) { email version } }";
    let code = refused(&app, q, json!({"id": c["id"], "v": 1, "e": "nope"})).await;
    assert_eq!(code, "INVALID_EMAIL");
    let u = app
        .ok(q, json!({"id": c["id"], "v": 1, "e": "desk@hq.nato.int"}))
        .await;
    assert_eq!(u["updatePointOfContact"]["email"], "desk@hq.nato.int");
}

async fn a_phone_number_that_is_not_e164_is_refused(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    for bad in [
        "99312345678",
        "+0993123",
        "+99312345678901234",
        "+993-12-34",
    ] {
        let code = refused(&app, CREATE, json!({"p": partner, "ph": bad})).await;
        assert_eq!(code, "INVALID_PHONE", "{bad}");
    }
}

async fn contacts_names_and_channels_are_personal_data(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let c = app
        .ok(
            CREATE,
            json!({"p": partner, "e": "s@mfa.gov.tm", "ph": "+99312345678"}),
        )
        .await["createPointOfContact"]
        .clone();
    let q = "query($id: ID!) { pointOfContact(id: $id) { role organisation familyName givenName email phone } }";
    let analyst = app.token_for(Role::Analyst).await;
    let (_, body) = app.gql_as(Some(&analyst), q, json!({"id": c["id"]})).await;
    let seen = &body["data"]["pointOfContact"];
    assert_eq!(seen["role"], "PARTNER_POC", "{body:#}");
    assert_eq!(seen["organisation"], "Embassy of Turkmenistan, Brussels");
    for field in ["familyName", "givenName", "email", "phone"] {
        assert!(seen[field].is_null(), "{field}: {body:#}");
    }
    let officer = app.token_for(Role::ProgrammeOfficer).await;
    let (_, body) = app.gql_as(Some(&officer), q, json!({"id": c["id"]})).await;
    assert_eq!(body["data"]["pointOfContact"]["email"], "s@mfa.gov.tm");
    // Nor does the change log show them to a reporter.
    let reporter = app.token_for(Role::Reporter).await;
    let (_, body) = app
        .gql_as(
            Some(&reporter),
            "{ changes(kinds: [POINT_OF_CONTACT], first: 10) { edges { node { changed } } } }",
            json!({}),
        )
        .await;
    let changed = &body["data"]["changes"]["edges"][0]["node"]["changed"];
    assert!(changed["role"].is_string(), "{body:#}");
    for field in ["family_name", "given_name", "email", "phone"] {
        assert!(changed[field].is_null(), "{field}: {body:#}");
    }
}

async fn a_partner_a_course_and_an_iteration_list_their_points_of_contact(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let other = fixtures::partner(&app, "KAZ").await;
    let course = fixtures::course(&app, "BS-101", None).await;
    let it = fixtures::iteration(&app, &course, "2090-01-06", "2090-01-10", 5, None).await;
    let a = app.ok(CREATE, json!({"p": partner})).await["createPointOfContact"]["id"].clone();
    let b = app.ok(CREATE, json!({"p": partner})).await["createPointOfContact"]["id"].clone();
    app.ok(CREATE, json!({"p": other})).await;
    let c = app.ok(CREATE, json!({"c": course})).await["createPointOfContact"]["id"].clone();
    let i = app.ok(CREATE, json!({"i": it})).await["createPointOfContact"]["id"].clone();
    let q = "query($c: ID!, $i: ID!) { partners(first: 10) { edges { node { code pointsOfContact { id familyName } } } } course(id: $c) { pointsOfContact { id } iterations(first: 5) { edges { node { pointsOfContact { id } } } } } courseIteration(id: $i) { pointsOfContact { id } } }";
    let data = app.ok(q, json!({"c": course, "i": it})).await;
    let partners = data["partners"]["edges"].as_array().unwrap();
    assert_eq!(
        partners[0]["node"]["pointsOfContact"],
        json!([{"id": a, "familyName": "Atayev"}, {"id": b, "familyName": "Atayev"}])
    );
    assert_eq!(
        partners[1]["node"]["pointsOfContact"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(data["course"]["pointsOfContact"], json!([{"id": c}]));
    assert_eq!(
        data["courseIteration"]["pointsOfContact"],
        json!([{"id": i}])
    );
    assert_eq!(
        data["course"]["iterations"]["edges"][0]["node"]["pointsOfContact"],
        json!([{"id": i}])
    );
    let analyst = app.token_for(Role::Analyst).await;
    let (_, body) = app
        .gql_as(Some(&analyst), q, json!({"c": course, "i": it}))
        .await;
    assert!(
        body["data"]["partners"]["edges"][0]["node"]["pointsOfContact"][0]["familyName"].is_null(),
        "{body:#}"
    );
}

async fn a_contacts_role_reads_in_english_and_french(app: TestApp) {
    let partner = fixtures::partner(&app, "TKM").await;
    let id = app.ok(CREATE, json!({"p": partner})).await["createPointOfContact"]["id"].clone();
    let q = "query($id: ID!) { pointOfContact(id: $id) { role en: roleLabel fr: roleLabel(lang: FR) } }";
    let c = app.ok(q, json!({"id": id})).await["pointOfContact"].clone();
    assert_eq!(c["role"], "PARTNER_POC");
    assert_eq!(c["en"], "Partner point of contact");
    assert_eq!(c["fr"], "Point de contact du partenaire");
}

crate::on_both_backends!(
    a_contacts_role_reads_in_english_and_french,
    a_partner_a_course_and_an_iteration_list_their_points_of_contact,
    a_point_of_contact_is_linked_to_a_partner_a_course_or_an_iteration,
    a_malformed_email_is_refused,
    a_phone_number_that_is_not_e164_is_refused,
    contacts_names_and_channels_are_personal_data,
);
