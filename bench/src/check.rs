//! The answer check: the service's `data` and its SQL twin's (and the compiled path's and the
//! resolvers') must be the same JSON value. Only
//! what must be is normalised: every number is compared as a float (the service writes `5.0`
//! where PostgreSQL writes `5`), within a relative 1e-9; key order never matters; a case may add
//! its own normalisation (e.g. an order the service leaves undefined for ties).

use serde_json::Value;

use crate::load::Error;

/// The names of the two sides, as a difference shows them.
type Sides<'a> = (&'a str, &'a str);

/// The first place where the two values differ, as a JSON path with both sides.
fn first_difference(a: &Value, b: &Value, path: &str, sides: Sides) -> Option<String> {
    let (sa, sb) = sides;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let at = format!("{path}.{key}");
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_difference(p, q, &at, sides) {
                            return Some(d);
                        }
                    }
                    (p, q) => {
                        return Some(format!(
                            "{at}: {sa} {} / {sb} {}",
                            p.map_or("(missing)".into(), short),
                            q.map_or("(missing)".into(), short)
                        ))
                    }
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(p, q, &format!("{path}[{i}]"), sides) {
                    return Some(d);
                }
            }
            (x.len() != y.len())
                .then(|| format!("{path}: {sa} has {} items / {sb} {}", x.len(), y.len()))
        }
        (Value::Number(x), Value::Number(y)) => {
            let (p, q) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            let close = p == q || (p - q).abs() <= 1e-9 * p.abs().max(q.abs());
            (!close).then(|| format!("{path}: {sa} {x} / {sb} {y}"))
        }
        _ => (a != b).then(|| format!("{path}: {sa} {} / {sb} {}", short(a), short(b))),
    }
}

fn short(v: &Value) -> String {
    truncate(&v.to_string(), 200)
}

pub fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(chars).collect::<String>())
    }
}

/// Compares the `data` of two answers, each named (the first must hold data); an error names the
/// first difference and shows both.
pub fn same_data_of(
    name: &str,
    (sa, a): (&str, &Value),
    (sb, b): (&str, &Value),
    normalise: Option<fn(&mut Value)>,
) -> Result<(), Error> {
    let (answer_a, answer_b) = (a, b);
    let mut a = answer_a.get("data").cloned().unwrap_or(Value::Null);
    let mut b = answer_b.get("data").cloned().unwrap_or(Value::Null);
    if let Some(f) = normalise {
        f(&mut a);
        f(&mut b);
    }
    if a.is_null() {
        return Err(format!(
            "{name}: the {sa} answered no data: {}",
            truncate(&answer_a.to_string(), 2000)
        )
        .into());
    }
    match first_difference(&a, &b, "data", (sa, sb)) {
        None => Ok(()),
        Some(difference) => Err(format!(
            "ANSWER CHECK FAILED for {name}: the {sa} and the {sb} differ at {difference}\n\
             {sa}: {}\n{sb}: {}",
            truncate(&a.to_string(), 3000),
            truncate(&b.to_string(), 3000)
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_as_floats_and_keys_in_any_order() {
        let a = json!({"data": {"x": 5.0, "y": [1, {"b": 2, "a": "s"}]}});
        let b = json!({"data": {"y": [1.0, {"a": "s", "b": 2}], "x": 5}});
        assert!(same_data_of("t", ("service", &a), ("SQL", &b), None).is_ok());
    }

    #[test]
    fn a_difference_is_named_by_its_path() {
        let a = json!({"data": {"y": [1, {"a": "s"}]}});
        let b = json!({"data": {"y": [1, {"a": "t"}]}});
        let err = same_data_of("t", ("compiled", &a), ("resolvers", &b), None)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("data.y[1].a: compiled \"s\" / resolvers \"t\"")));
    }
}
