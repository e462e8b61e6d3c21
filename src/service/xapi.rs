//! xAPI (IEEE 9274.1.1, the ADL Experience API 1.0.3) statements of the training steps an
//! enrollment reaches: ATTENDED, COMPLETED, FAILED and NO_SHOW, read from the change log so that a
//! reader resumes with its cursor (`GET /exports/xapi?since=`) and the LRS push fans them out.
//!
//! Policy: a statement names no one. The actor is an `account` whose `homePage` is the service's
//! public URL and whose `name` is an opaque officer key (a UUID v5 of the officer's id), never a
//! name or email. A statement's id is a UUID v5 of the enrollment and the step, and everything in
//! it comes from durable records (the step's recorded time, the score), so sending it again is
//! idempotent at the LRS.
//!
//! Verbs: ADL's `attended`, `completed` and `failed`. ADL defines no verb for not turning up
//! (`abandoned` and `exited` say a session was started), so a NO_SHOW is the service's own verb
//! `<IPCP_PUBLIC_URL>/xapi/verbs/did-not-attend` ("did not attend").

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use entity::{change_log, course, course_iteration, enrollment};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use uuid::Uuid;

use super::change_log::{self as log, LogFilter};
use crate::error::Result;

/// The xAPI version the statements follow (the `X-Experience-API-Version` header).
pub const XAPI_VERSION: &str = "1.0.3";
/// Change-log entries read per page of the export.
pub const DEFAULT_PAGE: u64 = 200;

/// The UUID v5 namespace of the service's xAPI identifiers.
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:ipcp:xapi")
}

/// A step an enrollment reached that becomes a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Attended,
    Completed,
    Failed,
    NoShow,
}

impl Step {
    /// A status as the change log holds it: the stored value (`NO_SHOW`, in a batch's entry) or
    /// the record's serialised variant (`NoShow`, in a single enrollment's `changed`).
    fn parse(status: &str) -> Option<Step> {
        match status {
            "ATTENDED" | "Attended" => Some(Step::Attended),
            "COMPLETED" | "Completed" => Some(Step::Completed),
            "FAILED" | "Failed" => Some(Step::Failed),
            "NO_SHOW" | "NoShow" => Some(Step::NoShow),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Step::Attended => "ATTENDED",
            Step::Completed => "COMPLETED",
            Step::Failed => "FAILED",
            Step::NoShow => "NO_SHOW",
        }
    }

    /// The verb's IRI and its display name.
    fn verb(self, base: &str) -> (String, &'static str) {
        match self {
            Step::Attended => ("http://adlnet.gov/expapi/verbs/attended".into(), "attended"),
            Step::Completed => (
                "http://adlnet.gov/expapi/verbs/completed".into(),
                "completed",
            ),
            Step::Failed => ("http://adlnet.gov/expapi/verbs/failed".into(), "failed"),
            Step::NoShow => (
                format!("{base}/xapi/verbs/did-not-attend"),
                "did not attend",
            ),
        }
    }
}

/// The statement id of an enrollment's step: the same every time it is sent.
pub fn statement_id(enrollment_id: i32, step: Step) -> Uuid {
    Uuid::new_v5(
        &namespace(),
        format!("enrollment:{enrollment_id}:{}", step.name()).as_bytes(),
    )
}

/// The opaque key an officer is known by in statements.
pub fn officer_key(officer_id: i32) -> String {
    Uuid::new_v5(&namespace(), format!("officer:{officer_id}").as_bytes()).to_string()
}

/// The steps a change-log entry recorded: (enrollment id, step). A single enrollment's entry
/// names its new status in `changed`; a batch lists each applied enrollment and its status.
pub fn steps_of(entry: &change_log::Model) -> Vec<(i32, Step)> {
    if entry.kind != "enrollment" {
        return Vec::new();
    }
    let changed: Value = serde_json::from_str(&entry.changed).unwrap_or(Value::Null);
    if let Some(applied) = changed.get("applied").and_then(Value::as_array) {
        return applied
            .iter()
            .filter_map(|row| {
                let id = i32::try_from(row.get("id")?.as_i64()?).ok()?;
                let step = Step::parse(row.get("status")?.as_str()?)?;
                Some((id, step))
            })
            .collect();
    }
    let Ok(id) = entry.entity_id.parse::<i32>() else {
        return Vec::new();
    };
    changed
        .get("status")
        .and_then(Value::as_str)
        .and_then(Step::parse)
        .map(|step| vec![(id, step)])
        .unwrap_or_default()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The statements of the given steps, in the order given; a step whose enrollment is gone is
/// left out.
pub async fn statements<C: ConnectionTrait>(
    conn: &C,
    base: &str,
    steps: &[(i32, Step)],
) -> Result<Vec<Value>> {
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let enrollments: HashMap<i32, enrollment::Model> = enrollment::Entity::find()
        .filter(enrollment::Column::Id.is_in(steps.iter().map(|(id, _)| *id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let iterations: HashMap<i32, course_iteration::Model> = course_iteration::Entity::find()
        .filter(course_iteration::Column::Id.is_in(enrollments.values().map(|e| e.iteration_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let courses: HashMap<i32, course::Model> = course::Entity::find()
        .filter(course::Column::Id.is_in(iterations.values().map(|i| i.course_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(steps
        .iter()
        .filter_map(|(id, step)| {
            let e = enrollments.get(id)?;
            let it = iterations.get(&e.iteration_id)?;
            let course = courses.get(&it.course_id)?;
            Some(statement(base, e, *step, it, course))
        })
        .collect())
}

fn statement(
    base: &str,
    e: &enrollment::Model,
    step: Step,
    it: &course_iteration::Model,
    course: &course::Model,
) -> Value {
    let (verb, display) = step.verb(base);
    let recorded = match step {
        Step::Attended => e.attended_at,
        Step::Completed | Step::Failed | Step::NoShow => e.outcome_at,
    }
    .unwrap_or(e.updated_at);
    let mut statement = json!({
        "id": statement_id(e.id, step).to_string(),
        "actor": {
            "objectType": "Agent",
            "account": { "homePage": base, "name": officer_key(e.officer_id) },
        },
        "verb": { "id": verb, "display": { "en-US": display } },
        "object": {
            "objectType": "Activity",
            "id": format!("{base}/course-iterations/{}", it.id),
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/course",
                "name": { "en-US": format!("{} ({}), {} to {}", course.title, course.code, it.start_date, it.end_date) },
            },
        },
        "context": {
            "platform": "ipcp",
            "contextActivities": {
                "parent": [{
                    "objectType": "Activity",
                    "id": format!("{base}/courses/{}", course.id),
                    "definition": {
                        "type": "http://adlnet.gov/expapi/activities/course",
                        "name": { "en-US": format!("{} ({})", course.title, course.code) },
                    },
                }],
            },
        },
        "timestamp": rfc3339(recorded),
    });
    let result = match step {
        Step::Completed | Step::Failed => {
            let mut result = json!({ "completion": true, "success": step == Step::Completed });
            if let Some(score) = e.evaluation_score {
                result["score"] = json!({
                    "scaled": (score / 100.0).clamp(0.0, 1.0),
                    "raw": score,
                    "min": 0,
                    "max": 100,
                });
            }
            Some(result)
        }
        Step::NoShow => Some(json!({ "completion": false })),
        Step::Attended => None,
    };
    if let Some(result) = result {
        statement["result"] = result;
    }
    statement
}

/// A page of the export: statements of the enrollment entries after the cursor.
pub struct ExportPage {
    pub statements: Vec<Value>,
    /// Where to resume: after the last entry read (the cursor given when none was).
    pub cursor: String,
    pub has_more: bool,
}

/// Statements of the change-log entries after `since` (a change-log cursor; from the oldest kept
/// without one): BAD_CURSOR for a text that is not a cursor, CURSOR_EXPIRED past retention.
pub async fn export<C: ConnectionTrait>(
    conn: &C,
    base: &str,
    since: Option<&str>,
    first: u64,
) -> Result<ExportPage> {
    let after = since.map(log::decode_cursor).transpose()?;
    let filter = LogFilter {
        kinds: vec!["enrollment"],
        partner_id: None,
    };
    let page = log::read(conn, after, first, &filter).await?;
    let steps: Vec<(i32, Step)> = page.entries.iter().flat_map(steps_of).collect();
    let statements = statements(conn, base, &steps).await?;
    let cursor = match page.entries.last() {
        Some(last) => log::encode_cursor(last.id),
        None => log::encode_cursor(match after {
            Some(a) => a,
            // Not the head: an entry committed after this read must not be skipped.
            None => log::purged_through(conn).await?,
        }),
    };
    Ok(ExportPage {
        statements,
        cursor,
        has_more: page.has_more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(entity_id: &str, changed: &str) -> change_log::Model {
        change_log::Model {
            id: 1,
            kind: "enrollment".into(),
            action: "x".into(),
            entity_id: entity_id.into(),
            partner_id: None,
            actor: "a".into(),
            occurred_at: Utc::now(),
            changed: changed.into(),
            related: None,
        }
    }

    #[test]
    fn single_and_batch_entries_name_their_steps() {
        assert_eq!(
            steps_of(&entry("7", r#"{"status":"NoShow","version":3}"#)),
            vec![(7, Step::NoShow)]
        );
        assert_eq!(
            steps_of(&entry(
                "batch",
                r#"{"applied":[{"id":1,"status":"ATTENDED"},{"id":2,"status":"CONFIRMED"}]}"#
            )),
            vec![(1, Step::Attended)]
        );
        assert!(steps_of(&entry("7", r#"{"version":3}"#)).is_empty());
    }

    #[test]
    fn a_statement_id_is_the_same_for_the_same_enrollment_and_step_only() {
        assert_eq!(
            statement_id(5, Step::Completed),
            statement_id(5, Step::Completed)
        );
        assert_ne!(
            statement_id(5, Step::Completed),
            statement_id(5, Step::Attended)
        );
        assert_ne!(
            statement_id(5, Step::Completed),
            statement_id(6, Step::Completed)
        );
        assert_eq!(statement_id(5, Step::Completed).get_version_num(), 5);
    }
}
