//! Lists: the chosen order with stable opaque cursors, and the filters (topic, organiser, partner,
//! search, date range) done in SQL.

use serde_json::{json, Value};

use crate::helpers::{days_from_today, fixtures, TestApp};

async fn lists_follow_the_chosen_order_with_stable_opaque_cursors(app: TestApp) {
    for code in ["UZB", "ARM", "KAZ", "GEO"] {
        fixtures::partner(&app, code).await;
    }
    let q = "query($after: String, $dir: OrderDirection!) { partners(first: 2, after: $after, orderBy: {field: CODE, direction: $dir}) { totalCount edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }";
    let codes = |data: &Value| -> Vec<String> {
        data["partners"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = app.ok(q, json!({ "dir": "ASC" })).await;
    assert_eq!(codes(&page), ["ARM", "GEO"]);
    let cursor = page["partners"]["pageInfo"]["endCursor"].clone();
    assert!(
        cursor.as_str().unwrap().parse::<i64>().is_err(),
        "cursors are opaque"
    );
    // A partner inserted before the cursor does not shift the next page.
    fixtures::partner(&app, "AZE").await;
    let next = app.ok(q, json!({ "dir": "ASC", "after": cursor })).await;
    assert_eq!(codes(&next), ["KAZ", "UZB"]);
    assert_eq!(next["partners"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(next["partners"]["totalCount"], 5);
    let desc = app.ok(q, json!({ "dir": "DESC" })).await;
    assert_eq!(codes(&desc), ["UZB", "KAZ"]);

    // A forged cursor, or one from another ordering, is refused as bad input.
    for forged in [json!("bm90IGEgY3Vyc29y"), json!("12"), cursor.clone()] {
        let wrong = if forged == cursor {
            "query($after: String) { partners(first: 2, after: $after) { totalCount } }"
        } else {
            "query($after: String) { partners(first: 2, after: $after, orderBy: {field: NAME}) { totalCount } }"
        };
        assert_eq!(
            app.error_code(wrong, json!({ "after": forged })).await,
            "BAD_USER_INPUT"
        );
    }
}

async fn iterations_filter_by_topic_organiser_and_search_and_order_by_start(app: TestApp) {
    let course = fixtures::course(&app, "BSC-1", None).await;
    let late = fixtures::iteration(
        &app,
        &course,
        &days_from_today(400),
        &days_from_today(401),
        5,
        None,
    )
    .await;
    let early = fixtures::iteration(
        &app,
        &course,
        &days_from_today(35),
        &days_from_today(36),
        5,
        None,
    )
    .await;
    let data = app
        .ok(
            "{ courseIterations(topic: BORDER_SECURITY, organiser: \"NATO School Oberammergau\", search: \"bsc\", orderBy: {field: START_DATE}) { edges { node { id } } } none: courseIterations(search: \"nothing like it\") { totalCount } }",
            json!({}),
        )
        .await;
    let ids: Vec<Value> = data["courseIterations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert_eq!(ids, [json!(early), json!(late)]);
    assert_eq!(data["none"]["totalCount"], 0);
}

async fn objectives_and_cycles_filter_by_partner_search_and_date_range(app: TestApp) {
    let mine = fixtures::partner(&app, "OBJ").await;
    let other = fixtures::partner(&app, "OTH").await;
    let area = fixtures::area(&app, "AREA_OBJ").await;
    let (cycle, _) = fixtures::cycle(&app, &mine, "IPCP", "2024-01-01").await;
    let (other_cycle, _) = fixtures::cycle(&app, &other, "IPCP", "2020-01-01").await;
    for (c, title) in [
        (&cycle, "Train Border guards"),
        (&cycle, "Science network"),
        (&other_cycle, "Border posts"),
    ] {
        app.ok(
            "mutation($c: ID!, $a: ID!, $t: String!) { createObjective(input: {cycleId: $c, areaId: $a, title: $t, indicator: \"i\"}) { id } }",
            json!({ "c": c, "a": area, "t": title }),
        )
        .await;
    }
    let data = app
        .ok(
            "query($p: ID!) { objectives(partnerId: $p, search: \"border\") { totalCount edges { node { title } } } programmeCycles(from: \"2019-06-01\", to: \"2021-01-01\") { edges { node { id } } } }",
            json!({ "p": mine }),
        )
        .await;
    assert_eq!(data["objectives"]["totalCount"], 1);
    assert_eq!(
        data["objectives"]["edges"][0]["node"]["title"],
        "Train Border guards"
    );
    assert_eq!(
        data["programmeCycles"]["edges"],
        json!([{ "node": { "id": other_cycle } }])
    );
    // A cursor of a sorted list does not fit a nested list.
    let sorted = app
        .ok(
            "{ programmeCycles(first: 1, orderBy: {field: START_DATE}) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await["programmeCycles"]["pageInfo"]["endCursor"]
        .clone();
    assert_eq!(
        app.error_code(
            "query($c: ID!, $after: String) { programmeCycle(id: $c) { activities(after: $after) { totalCount } } }",
            json!({ "c": cycle, "after": sorted }),
        )
        .await,
        "BAD_USER_INPUT"
    );
}

crate::on_both_backends!(
    lists_follow_the_chosen_order_with_stable_opaque_cursors,
    iterations_filter_by_topic_organiser_and_search_and_order_by_start,
    objectives_and_cycles_filter_by_partner_search_and_date_range,
);
