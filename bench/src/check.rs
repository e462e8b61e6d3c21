//! The answer check: the service's `data` and its SQL twin's must be the same JSON value. Only
//! what must be is normalised: every number is compared as a float (the service writes `5.0`
//! where PostgreSQL writes `5`), within a relative 1e-9; key order never matters; a case may add
//! its own normalisation (e.g. an order the service leaves undefined for ties).

use serde_json::Value;

use crate::load::Error;

/// The first place where the two values differ, as a JSON path with both sides.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let at = format!("{path}.{key}");
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_difference(p, q, &at) {
                            return Some(d);
                        }
                    }
                    (p, q) => {
                        return Some(format!(
                            "{at}: service {} / SQL {}",
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
                if let Some(d) = first_difference(p, q, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len())
                .then(|| format!("{path}: service has {} items / SQL {}", x.len(), y.len()))
        }
        (Value::Number(x), Value::Number(y)) => {
            let (p, q) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            let close = p == q || (p - q).abs() <= 1e-9 * p.abs().max(q.abs());
            (!close).then(|| format!("{path}: service {x} / SQL {y}"))
        }
        _ => (a != b).then(|| format!("{path}: service {} / SQL {}", short(a), short(b))),
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

/// Compares the `data` of two answers; an error names the first difference and shows both.
pub fn same_data(
    name: &str,
    service: &Value,
    sql: &Value,
    normalise: Option<fn(&mut Value)>,
) -> Result<(), Error> {
    let mut a = service.get("data").cloned().unwrap_or(Value::Null);
    let mut b = sql.get("data").cloned().unwrap_or(Value::Null);
    if let Some(f) = normalise {
        f(&mut a);
        f(&mut b);
    }
    if a.is_null() {
        return Err(format!(
            "{name}: the service answered no data: {}",
            truncate(&service.to_string(), 2000)
        )
        .into());
    }
    match first_difference(&a, &b, "data") {
        None => Ok(()),
        Some(difference) => Err(format!(
            "ANSWER CHECK FAILED for {name}: the service and its SQL twin differ at {difference}\n\
             service: {}\nSQL:     {}",
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
        assert!(same_data("t", &a, &b, None).is_ok());
    }

    #[test]
    fn a_difference_is_named_by_its_path() {
        let a = json!({"data": {"y": [1, {"a": "s"}]}});
        let b = json!({"data": {"y": [1, {"a": "t"}]}});
        let err = same_data("t", &a, &b, None).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("data.y[1].a")));
    }
}
