//! List searches: a search text has a stated length limit, and `%`, `_` and `\` in it match
//! themselves on both backends (they are LIKE wildcards underneath).

use serde_json::{json, Value};

use crate::helpers::{fixtures, TestApp};

/// Every list that takes a search, as one query with the search text as `$s`.
const EVERY_SEARCH: &str = "query($s: String) {
  partners(search: $s) { totalCount edges { node { name } } }
  courses(search: $s) { totalCount edges { node { title } } }
  courseIterations(search: $s) { totalCount edges { node { course { title } } } }
  objectives(search: $s) { totalCount edges { node { title } } }
  activities(search: $s) { totalCount edges { node { title } } }
}";

const LISTS: [(&str, &str); 5] = [
    ("partners", "name"),
    ("courses", "title"),
    ("courseIterations", "course"),
    ("objectives", "title"),
    ("activities", "title"),
];

/// One record in every searchable list per title: partners named, and courses (each with one
/// iteration), objectives and activities titled, after each text.
async fn records_titled(app: &TestApp, titles: &[&str]) {
    let partner = fixtures::partner(app, "SRC").await;
    let area = fixtures::area(app, "SEARCH_AREA").await;
    let (cycle, _) = fixtures::cycle(app, &partner, "IPCP", "2024-01-01").await;
    let today = chrono::Utc::now().date_naive();
    let start = (today + chrono::Duration::days(60)).to_string();
    for (i, title) in titles.iter().enumerate() {
        app.ok(
            "mutation($code: String!, $name: String!) { createPartner(input: {code: $code, name: $name}) { id } }",
            json!({ "code": format!("Q{}{}", (b'A' + i as u8) as char, (b'A' + i as u8) as char), "name": title }),
        )
        .await;
        let course = app
            .ok(
                "mutation($code: String!, $title: String!) { createCourse(input: {code: $code, title: $title, topic: BORDER_SECURITY, organiser: \"NATO School Oberammergau\", delivery: RESIDENTIAL, durationDays: 5}) { id } }",
                json!({ "code": format!("SRC-{i}"), "title": title }),
            )
            .await["createCourse"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        fixtures::iteration(app, &course, &start, &start, 5, None).await;
        app.ok(
            "mutation($c: ID!, $a: ID!, $t: String!) { createObjective(input: {cycleId: $c, areaId: $a, title: $t, indicator: \"i\"}) { id } }",
            json!({ "c": cycle, "a": area, "t": title }),
        )
        .await;
        app.ok(
            "mutation($c: ID!, $a: ID!, $t: String!) { recordActivity(input: {cycleId: $c, areaId: $a, kind: MEETING, title: $t, description: \"d\", startDate: \"2024-05-20\", endDate: \"2024-05-21\"}) { id } }",
            json!({ "c": cycle, "a": area, "t": title }),
        )
        .await;
    }
}

/// The names or titles each list found for `search`, sorted.
async fn found(app: &TestApp, search: &str) -> Vec<(String, Vec<String>)> {
    let data = app.ok(EVERY_SEARCH, json!({ "s": search })).await;
    LISTS
        .iter()
        .map(|(list, field)| {
            let mut names: Vec<String> = data[list]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| match &e["node"][field] {
                    Value::Object(course) => course["title"].as_str().unwrap().to_owned(),
                    v => v.as_str().unwrap().to_owned(),
                })
                .collect();
            names.sort();
            (list.to_string(), names)
        })
        .collect()
}

fn everywhere(names: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    names.sort();
    LISTS
        .iter()
        .map(|(list, _)| (list.to_string(), names.clone()))
        .collect()
}

async fn percent_underscore_and_backslash_in_a_search_match_themselves(app: TestApp) {
    records_titled(
        &app,
        &[
            "Rate 100% done",
            "Rate 100 done",
            "snake_case",
            "snakeXcase",
            r"back\slash",
            "backslash",
        ],
    )
    .await;
    assert_eq!(
        found(&app, "%_").await,
        everywhere(&[]),
        "%_ is not a wildcard"
    );
    assert_eq!(found(&app, "100%").await, everywhere(&["Rate 100% done"]));
    assert_eq!(found(&app, "%").await, everywhere(&["Rate 100% done"]));
    assert_eq!(found(&app, "e_c").await, everywhere(&["snake_case"]));
    assert_eq!(found(&app, "_").await, everywhere(&["snake_case"]));
    assert_eq!(found(&app, r"k\s").await, everywhere(&[r"back\slash"]));
    assert_eq!(found(&app, r"\").await, everywhere(&[r"back\slash"]));
    // An ordinary search still finds by substring, whatever the case, on both backends.
    assert_eq!(
        found(&app, "snake").await,
        everywhere(&["snake_case", "snakeXcase"])
    );
    assert_eq!(found(&app, "SNAKE_C").await, everywhere(&["snake_case"]));
    assert_eq!(
        found(&app, "rate 100%").await,
        everywhere(&["Rate 100% done"])
    );
}

async fn a_search_longer_than_200_characters_is_refused_with_the_limit_stated(app: TestApp) {
    records_titled(&app, &["Border security"]).await;
    // The limit itself is accepted (and finds nothing here).
    assert_eq!(found(&app, &"b".repeat(200)).await, everywhere(&[]));
    // Surrounding blanks are not counted: they are trimmed before the search.
    assert_eq!(
        found(&app, &format!("  {}  ", "b".repeat(200))).await,
        everywhere(&[])
    );
    for text in ["b".repeat(201), "é".repeat(201), "%".repeat(200_000)] {
        for (list, _) in LISTS {
            let query = format!("query($s: String) {{ {list}(search: $s) {{ totalCount }} }}");
            let body = app.gql(&query, json!({ "s": text })).await;
            let error = &body["errors"][0];
            assert_eq!(
                error["extensions"]["code"], "BAD_USER_INPUT",
                "{list}: {body:#}"
            );
            let message = error["message"].as_str().unwrap();
            assert!(
                message.contains("search") && message.contains("200 characters"),
                "{list}: the message states the limit: {message}"
            );
            assert_eq!(body["data"], Value::Null, "{list}: {body:#}");
        }
    }
}

crate::on_both_backends!(
    percent_underscore_and_backslash_in_a_search_match_themselves,
    a_search_longer_than_200_characters_is_refused_with_the_limit_stated,
);
