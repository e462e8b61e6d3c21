//! Every code of the error catalogue (`ipcp::error::ErrorCode::ALL`) is asserted by at least one
//! test: the catalogue is enumerated, and each code must appear quoted (`"CODE"`) in a test source
//! other than this one. A weaker check than running each code's test from here, but one that fails
//! as soon as a code is added to the catalogue without a test.

use std::path::Path;

use ipcp::error::ErrorCode;

/// Codes no test provokes yet (issue 24's list to finish). The test fails if one of them gets a
/// test, so that it leaves this list.
const NOT_YET: &[&str] = &[
    "ALREADY_LINKED",
    "CAPACITY_EXCEEDED",
    "AMBIGUOUS_ITERATION",
    "ROWS_REFUSED",
    "REFERENCE_NOT_FOUND",
    "CONSTRAINT_VIOLATION",
    "DUPLICATE_NAME",
    "NO_CYCLE",
    "ALREADY_DISABLED",
    "RATE_LIMITED",
    "IDEMPOTENCY_KEY_IN_USE",
];

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

#[test]
fn every_code_of_the_error_catalogue_is_asserted_by_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    sources(&root.join("tests"), &mut text);
    sources(&root.join("fuzz"), &mut text);
    let mut untested = Vec::new();
    let mut tested_but_listed = Vec::new();
    for code in ErrorCode::ALL {
        let code = code.as_str();
        let tested = text.contains(&format!("\"{code}\""));
        match (tested, NOT_YET.contains(&code)) {
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
