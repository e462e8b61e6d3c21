//! Format and range checks on inputs, shared by the aggregates. Each failure names the field.

use crate::error::ErrorCode;
use chrono::NaiveDate;

use crate::error::{AppError, Result};

pub fn text(field: &str, value: &str, max_len: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max_len {
        return Err(AppError::invalid(
            field,
            format!("at most {max_len} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

pub fn optional_text(field: &str, value: Option<String>, max_len: usize) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => text(field, &v, max_len).map(Some),
    }
}

/// Upper-case code: letters, digits, `_` and `-`, starting with a letter.
pub fn code(field: &str, value: &str, max_len: usize) -> Result<String> {
    let v = value.trim().to_uppercase();
    let ok = !v.is_empty()
        && v.len() <= max_len
        && v.starts_with(|c: char| c.is_ascii_uppercase())
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        return Err(AppError::invalid(
            field,
            format!("'{value}' is not a code (letters, digits, '_' or '-', at most {max_len})"),
        ));
    }
    Ok(v)
}

/// ISO 3166 alpha-3: three letters.
pub fn iso_alpha3(field: &str, value: &str) -> Result<String> {
    let v = value.trim().to_uppercase();
    if v.len() != 3 || !v.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::invalid(
            field,
            format!("'{value}' is not an ISO 3166 alpha-3 code (three letters)"),
        ));
    }
    Ok(v)
}

pub fn date_order(start: NaiveDate, end: NaiveDate) -> Result<()> {
    if start > end {
        return Err(AppError::rule(
            ErrorCode::InvalidDates,
            format!("start date {start} is after end date {end}"),
        ));
    }
    Ok(())
}

pub fn non_negative(field: &str, value: i32) -> Result<i32> {
    if value < 0 {
        return Err(AppError::invalid(field, "must not be negative"));
    }
    Ok(value)
}
