//! Codes for the errors async-graphql raises itself; the service's own errors already carry one.
//!
//! Syntax errors never get here: the HTTP layer parses the document itself and answers
//! `GRAPHQL_PARSE_FAILED` from the parser's error. For the rest, async-graphql 7.2's `ServerError`
//! has no kind (a message, locations and a path only), so the code comes from the stage the error
//! was raised in and, where one stage raises several kinds, from the fixed texts async-graphql
//! writes for them:
//! - no path: raised before execution. The limit checks (`Query is too complex.`, `Query is nested
//!   too deep.`, `The recursion depth of the query cannot be greater than ...`, and the directive
//!   limit (`The number of directives on the field ...`) are `QUERY_TOO_COMPLEX`; an argument or variable of
//!   the wrong type (`Invalid value for argument ...`, `Failed to parse ...`) is `BAD_USER_INPUT`;
//!   any other validation rule is `GRAPHQL_VALIDATION_FAILED`;
//! - a path: raised while resolving. An input value that failed to parse is `BAD_USER_INPUT`;
//!   anything else without a code is an internal fault.

use async_graphql::ServerError;

use crate::error::ErrorCode;

pub fn add_code(error: &mut ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if has_code {
        return;
    }
    let code = classify(error);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
}

fn classify(error: &ServerError) -> ErrorCode {
    let m = error.message.as_str();
    let bad_input = m.starts_with("Invalid value for argument") || m.starts_with("Failed to parse");
    if error.path.is_empty() {
        if is_limit(m) {
            ErrorCode::QueryTooComplex
        } else if bad_input {
            ErrorCode::BadUserInput
        } else {
            ErrorCode::GraphqlValidationFailed
        }
    } else if bad_input
        || m.contains("Invalid value")
        // A required variable the request's `variables` does not hold (found by fuzzing).
        || (m.starts_with("Variable ") && m.ends_with(" is not defined."))
    {
        ErrorCode::BadUserInput
    } else {
        ErrorCode::InternalServerError
    }
}

fn is_limit(message: &str) -> bool {
    message == "Query is too complex."
        || message == "Query is nested too deep."
        || message.starts_with("The recursion depth of the query cannot be greater than")
        || message.starts_with("The number of directives on the field")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(message: &str, path: bool) -> ErrorCode {
        let mut error = ServerError::new(message, None);
        if path {
            error.path = vec![async_graphql::PathSegment::Field("partner".into())];
        }
        classify(&error)
    }

    #[test]
    fn each_stage_and_kind_gets_its_code() {
        assert_eq!(
            code("Query is too complex.", false),
            ErrorCode::QueryTooComplex
        );
        assert_eq!(
            code("Query is nested too deep.", false),
            ErrorCode::QueryTooComplex
        );
        assert_eq!(
            code(
                "The recursion depth of the query cannot be greater than `32`",
                false
            ),
            ErrorCode::QueryTooComplex
        );
        assert_eq!(
            code(
                "Invalid value for argument \"code\", expected type \"String\"",
                false
            ),
            ErrorCode::BadUserInput
        );
        assert_eq!(
            code("Unknown field \"nope\" on type \"Query\".", false),
            ErrorCode::GraphqlValidationFailed
        );
        assert_eq!(
            code("Failed to parse \"Date\": bad", true),
            ErrorCode::BadUserInput
        );
        assert_eq!(code("boom", true), ErrorCode::InternalServerError);
    }
}
