//! The independent parsers the feeds and exports are checked with: Debian's Python 3 with
//! `python3-icalendar` and `python3-jsonschema` (`scripts/test` installs them), run on the scripts
//! in `tests/parsers/`. Without them the tests fail, never skip. `IPCP_PYTHON` names another
//! interpreter that has both modules.

use std::io::Write;

use serde_json::Value;

fn python() -> String {
    std::env::var("IPCP_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into())
}

/// Runs `tests/parsers/<script>` with `args`, `input` on its standard input; its JSON answer.
pub fn run(script: &str, args: &[&str], input: &[u8]) -> Value {
    let path = format!("{}/tests/parsers/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = std::process::Command::new(python())
        .arg(&path)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{} did not start ({e}): install Debian's python3, python3-icalendar and \
                 python3-jsonschema (scripts/test does), or set IPCP_PYTHON",
                python()
            )
        });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("input written");
    let out = child.wait_with_output().expect("parser ran");
    assert!(
        out.status.success(),
        "{script} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} answered no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The events of an iCalendar body, as Python's `icalendar` reads them; fails on any problem
/// with its lines (length, line ends, split characters).
pub fn calendar_events(body: &[u8]) -> Vec<Value> {
    let parsed = run("ical_check.py", &[], body);
    assert_eq!(
        parsed["problems"],
        serde_json::json!([]),
        "the feed's lines: {}",
        String::from_utf8_lossy(body)
    );
    assert_eq!(parsed["version"], "2.0");
    parsed["events"].as_array().expect("events").clone()
}

/// Checks xAPI statements against the statement schema written from ADL's specification
/// (`tests/parsers/xapi-statement.schema.json`) with Python's `jsonschema`.
pub fn assert_valid_statements(statements: &Value) {
    let input = serde_json::to_vec(statements).expect("statements as JSON");
    let checked = run("xapi_check.py", &[], &input);
    assert_eq!(
        checked["errors"],
        serde_json::json!([]),
        "xAPI statements: {statements:#}"
    );
    assert_eq!(checked["count"], statements.as_array().map_or(0, Vec::len));
}
