//! Every code of the error catalogue (`ipcp::error::ErrorCode::ALL`) is asserted by at least one
//! test: the catalogue is enumerated, and each code must appear quoted (`"CODE"`) as part of an
//! assertion in a test source other than this one: within a statement that calls `assert...!` or
//! one of the asserting helpers (`refused`, whose callers name the code they expect, and
//! `error_code`). A weaker check than running each code's test from here, but one that fails as
//! soon as a code is added to the catalogue without a test, or a code is merely mentioned.
//!
//! The sources read are the black-box tests, the fuzz targets and the unit tests of the database
//! error mapping (`src/error/database.rs`), which hold the tests of the codes only a database
//! constraint gives (a service rule answers first through the API).

use std::path::Path;

use ipcp::error::ErrorCode;

/// Codes no test provokes yet. The test fails if one of them gets a test, so that it leaves this
/// list.
const NOT_YET: &[&str] = &[];

/// What a statement asserting a code calls.
const ASSERTING: &[&str] = &["assert", "refused(", "error_code("];

fn sources(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("catalogue.rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// Whether `"code"` appears in `text` inside a statement that asserts: the text from the end of the
/// previous statement (`;`) to the quoted code calls an assertion.
fn asserted(text: &str, code: &str) -> bool {
    let quoted = format!("\"{code}\"");
    text.match_indices(&quoted).any(|(at, _)| {
        let statement = &text[text[..at].rfind(';').map_or(0, |i| i + 1)..at];
        ASSERTING.iter().any(|call| statement.contains(call))
    })
}

#[test]
fn every_code_of_the_error_catalogue_is_asserted_by_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    sources(&root.join("tests"), &mut text);
    sources(&root.join("fuzz"), &mut text);
    text.push_str(&std::fs::read_to_string(root.join("src/error/database.rs")).unwrap());
    let mut untested = Vec::new();
    let mut tested_but_listed = Vec::new();
    for code in ErrorCode::ALL {
        let code = code.as_str();
        match (asserted(&text, code), NOT_YET.contains(&code)) {
            (false, false) => untested.push(code),
            (true, true) => tested_but_listed.push(code),
            _ => {}
        }
    }
    assert_eq!(
        untested,
        Vec::<&str>::new(),
        "codes of the catalogue no test asserts"
    );
    assert_eq!(
        tested_but_listed,
        Vec::<&str>::new(),
        "codes now tested: remove them from NOT_YET"
    );
}

/// The check itself: a code merely mentioned does not count.
#[test]
fn a_code_counts_only_inside_an_assertion() {
    assert!(asserted(
        "let x = 1; assert_eq!(body[\"code\"], \"NOT_FOUND\");",
        "NOT_FOUND"
    ));
    assert!(asserted(
        "x;\n refused(&app, \"NOT_FOUND\", Q, json!({})).await;",
        "NOT_FOUND"
    ));
    assert!(!asserted(
        "const CODES: &[&str] = &[\"NOT_FOUND\"];",
        "NOT_FOUND"
    ));
    assert!(!asserted(
        "assert!(ok); let code = \"NOT_FOUND\";",
        "NOT_FOUND"
    ));
}
