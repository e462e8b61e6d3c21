//! Custom scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate};

/// A calendar day, `YYYY-MM-DD` (ISO 8601), e.g. `2024-02-29`, between the years 1900 and 2200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_date(s).map(Date).ok_or_else(|| {
                InputValueError::custom(format!(
                    "'{s}' is not a date: expected YYYY-MM-DD, e.g. 2024-02-29"
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        // `NaiveDate`'s Display is ISO 8601 (`YYYY-MM-DD`, what `%Y-%m-%d` writes) without
        // parsing a format string for every value.
        Value::String(self.0.to_string())
    }
}

/// A `Date` as its scalar reads it: `YYYY-MM-DD`, years 1900 to 2200.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=2200).contains(&d.year()) && s.len() == 10)
}

impl From<NaiveDate> for Date {
    fn from(d: NaiveDate) -> Self {
        Date(d)
    }
}

impl From<Date> for NaiveDate {
    fn from(d: Date) -> Self {
        d.0
    }
}
