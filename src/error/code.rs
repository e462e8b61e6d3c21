//! The catalogue of error codes: every `extensions.code` (and CLI error code) the service can give,
//! with what it means and where it appears. The README's table is generated from this list
//! (`ipcp errors`) and a test checks that the two agree.

/// Where a code reaches the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// In a GraphQL answer's `errors[].extensions.code` (and the export endpoints' error bodies).
    GraphQl,
    /// Refused by the HTTP layer before any GraphQL ran, with the status given.
    Http(u16),
    /// From the command line (`ipcp ...`), which exits non-zero.
    Cli,
}

impl Context {
    fn describe(self) -> String {
        match self {
            Context::GraphQl => "GraphQL".into(),
            Context::Http(status) => format!("HTTP {status}"),
            Context::Cli => "CLI".into(),
        }
    }
}

macro_rules! catalogue {
    ($( $variant:ident = $code:literal, $context:expr, $meaning:literal; )*) => {
        /// A stable error code; `as_str` is what callers see.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the catalogue's order.
            pub const ALL: &'static [ErrorCode] = &[$( ErrorCode::$variant, )*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $code, )*
                }
            }

            /// What the code tells the caller.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $meaning, )*
                }
            }

            /// Where the code appears.
            pub fn context(self) -> Context {
                match self {
                    $( ErrorCode::$variant => $context, )*
                }
            }
        }
    };
}

use Context::{Cli, GraphQl, Http};

catalogue! {
    BadRequest = "BAD_REQUEST", Http(400),
        "the request is not well-formed GraphQL over HTTP: not JSON (415), not one object with a `query` string, `variables` not an object, a mutation over GET (405), a bad subscription start";
    BadUserInput = "BAD_USER_INPUT", GraphQl,
        "a field breaks a format or range rule (`extensions.field` names it), or a value has the wrong type (dates are `YYYY-MM-DD`)";
    NotFound = "NOT_FOUND", GraphQl,
        "the record (or a record it refers to) does not exist";
    StaleVersion = "STALE_VERSION", GraphQl,
        "the record changed since you read it: reload and retry";
    DuplicateCode = "DUPLICATE_CODE", GraphQl,
        "a partner, course or area with this code exists";
    InvalidTransition = "INVALID_TRANSITION", GraphQl,
        "the status change is not allowed from the current status";
    InvalidDates = "INVALID_DATES", GraphQl,
        "a start date after its end date";
    CycleLength = "CYCLE_LENGTH", GraphQl,
        "the end date disagrees with the programme kind's fixed length";
    CycleOverlap = "CYCLE_OVERLAP", GraphQl,
        "a partner's approved cycles would overlap";
    OneActiveCycle = "ONE_ACTIVE_CYCLE", GraphQl,
        "the partner already has an ACTIVE cycle";
    AlreadyRenewed = "ALREADY_RENEWED", GraphQl,
        "the cycle already has a successor";
    ApprovalDatesRequired = "APPROVAL_DATES_REQUIRED", GraphQl,
        "approval needs both the NAC and the partner approval dates";
    CycleNotDraft = "CYCLE_NOT_DRAFT", GraphQl,
        "an approved cycle's dates are fixed";
    CycleClosed = "CYCLE_CLOSED", GraphQl,
        "a closed cycle takes no objectives";
    OutsideCycle = "OUTSIDE_CYCLE", GraphQl,
        "an activity lies outside its cycle (also refuses moving a draft cycle's dates away from its activities)";
    ObjectiveOfOtherCycle = "OBJECTIVE_OF_OTHER_CYCLE", GraphQl,
        "an activity names another cycle's objective";
    AlreadyLinked = "ALREADY_LINKED", GraphQl,
        "the iteration already serves this objective";
    AlreadyNominated = "ALREADY_NOMINATED", GraphQl,
        "the officer already has a live enrollment in this iteration";
    ScheduleConflict = "SCHEDULE_CONFLICT", GraphQl,
        "the officer holds a seat in an overlapping iteration (also refuses moving an iteration onto a seated officer's other iteration)";
    LanguageRequirement = "LANGUAGE_REQUIREMENT", GraphQl,
        "the officer's STANAG 6001 profile is below the course's minimum";
    IterationNotOpen = "ITERATION_NOT_OPEN", GraphQl,
        "the iteration does not take nominations in its status";
    NoSeatAvailable = "NO_SEAT_AVAILABLE", GraphQl,
        "no seat is free for the step asked (a nomination beyond capacity is not an error: it is waitlisted)";
    CapacityBelowSeatsHeld = "CAPACITY_BELOW_SEATS_HELD", GraphQl,
        "the new capacity is below the seats already held";
    QuotaBelowSeatsHeld = "QUOTA_BELOW_SEATS_HELD", GraphQl,
        "the new partner quota is below the seats a partner already holds";
    CapacityExceeded = "CAPACITY_EXCEEDED", GraphQl,
        "seats held would exceed the iteration's capacity (the database's own check)";
    TooLateToWithdraw = "TOO_LATE_TO_WITHDRAW", GraphQl,
        "a seat cannot be withdrawn once its iteration has started";
    IterationNotStarted = "ITERATION_NOT_STARTED", GraphQl,
        "attendance and outcomes are recorded only once the iteration has started";
    NotEnrolled = "NOT_ENROLLED", GraphQl,
        "bulk rows: the officer has no live enrollment in the iteration";
    DuplicateRow = "DUPLICATE_ROW", GraphQl,
        "bulk rows: the row repeats an earlier one";
    AmbiguousIteration = "AMBIGUOUS_ITERATION", GraphQl,
        "bulk rows: two iterations of the course start that day (name it by id)";
    CsvHeader = "CSV_HEADER", GraphQl,
        "bulk batches: the CSV header is not the documented one";
    BatchTooLarge = "BATCH_TOO_LARGE", GraphQl,
        "bulk batches: more than 10,000 rows";
    EmptyBatch = "EMPTY_BATCH", GraphQl,
        "bulk batches: no rows";
    RowsRefused = "ROWS_REFUSED", Cli,
        "`ipcp import`: some rows were refused, and the report says which";
    DatabaseNotEmpty = "DATABASE_NOT_EMPTY", Cli,
        "`ipcp seed bench`: the database already holds records";
    NotAttended = "NOT_ATTENDED", GraphQl,
        "level 1 evaluation: the officer did not attend (only ATTENDED, COMPLETED and FAILED enrollments answer the questionnaire)";
    OutsideResponseWindow = "OUTSIDE_RESPONSE_WINDOW", GraphQl,
        "level 1 evaluation: the questionnaire is answered from the iteration's last day until the window closes (`IPCP_EVALUATION_WINDOW_DAYS`)";
    RatingOutOfRange = "RATING_OUT_OF_RANGE", GraphQl,
        "level 1 evaluation: ratings go from 1 to 5";
    DuplicateResponse = "DUPLICATE_RESPONSE", GraphQl,
        "level 1 evaluation: one response per enrollment";
    NotCompleted = "NOT_COMPLETED", GraphQl,
        "level 3 follow-up: only for a COMPLETED enrollment";
    FollowUpNotDue = "FOLLOW_UP_NOT_DUE", GraphQl,
        "level 3 follow-up: not before 3 months after the iteration's last day";
    DuplicateFollowUp = "DUPLICATE_FOLLOW_UP", GraphQl,
        "level 3 follow-up: one per enrollment";
    UnknownCurrency = "UNKNOWN_CURRENCY", GraphQl,
        "a cost line's currency is not an ISO 4217 code in circulation";
    NegativeAmount = "NEGATIVE_AMOUNT", GraphQl,
        "a cost line's amount is below zero";
    ObjectiveNestedUnderItself = "OBJECTIVE_NESTED_UNDER_ITSELF", GraphQl,
        "ITPP nesting: an objective under itself";
    ParentOfOtherCycle = "PARENT_OF_OTHER_CYCLE", GraphQl,
        "ITPP nesting: an objective under another cycle's objective";
    NestingTooDeep = "NESTING_TOO_DEEP", GraphQl,
        "ITPP nesting: a goal under a goal, or a strategic objective that has goals put under another";
    InvalidEmail = "INVALID_EMAIL", GraphQl,
        "a point of contact's email is not in the usual syntax";
    InvalidPhone = "INVALID_PHONE", GraphQl,
        "a point of contact's phone number is not in E.164 form (`+` and 8 to 15 digits)";
    ReferenceNotFound = "REFERENCE_NOT_FOUND", GraphQl,
        "a referenced record does not exist (the database's own check)";
    ConstraintViolation = "CONSTRAINT_VIOLATION", GraphQl,
        "the request breaks a rule of the data model that the database checks";
    GraphqlParseFailed = "GRAPHQL_PARSE_FAILED", GraphQl,
        "the query text is not GraphQL";
    GraphqlValidationFailed = "GRAPHQL_VALIDATION_FAILED", GraphQl,
        "the query asks for something the schema does not have, or breaks a validation rule";
    QueryTooComplex = "QUERY_TOO_COMPLEX", GraphQl,
        "the query is too deep, too complex, or uses too many aliases";
    Unauthenticated = "UNAUTHENTICATED", GraphQl,
        "no valid token (HTTP 401 when a token was sent and is unknown, revoked or expired)";
    Forbidden = "FORBIDDEN", GraphQl,
        "the token's role may not do this";
    DuplicateName = "DUPLICATE_NAME", GraphQl,
        "a token with this name exists";
    NoCycle = "NO_CYCLE", GraphQl,
        "a report asked for a partner's current cycle, and the partner has none";
    BadCursor = "BAD_CURSOR", GraphQl,
        "the change-log cursor is not one";
    CursorExpired = "CURSOR_EXPIRED", GraphQl,
        "the change log no longer holds what followed the cursor (retention): read again from the start";
    WebhookUrlRefused = "WEBHOOK_URL_REFUSED", GraphQl,
        "a webhook URL whose host resolves inside a private network (not allowed by `IPCP_WEBHOOK_ALLOW_HOSTS`)";
    WebhookDeliveryNotFailed = "WEBHOOK_DELIVERY_NOT_FAILED", GraphQl,
        "only a FAILED delivery is redelivered";
    AlreadyDisabled = "ALREADY_DISABLED", GraphQl,
        "the webhook endpoint is already disabled";
    RateLimited = "RATE_LIMITED", Http(429),
        "the token spent its request budget: retry after `Retry-After` seconds";
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED", GraphQl,
        "the idempotency key was used for another request";
    IdempotencyKeyInUse = "IDEMPOTENCY_KEY_IN_USE", GraphQl,
        "the idempotency key's first request is still running";
    ServiceUnavailable = "SERVICE_UNAVAILABLE", GraphQl,
        "the database cannot be reached, no pooled connection freed up within the acquire timeout, or a statement ran past the statement timeout; retry with backoff (`extensions.retryable`)";
    InternalServerError = "INTERNAL_SERVER_ERROR", GraphQl,
        "a fault on our side, logged with its cause";
}

impl ErrorCode {
    /// The code a caller sees for this text, if it is one (for tests and tools).
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }

    /// The README's table of codes, generated from the catalogue (`ipcp errors`).
    pub fn markdown_table() -> String {
        let mut table = String::from("| code | where | meaning |\n| --- | --- | --- |\n");
        for code in ErrorCode::ALL {
            table.push_str(&format!(
                "| `{}` | {} | {} |\n",
                code.as_str(),
                code.context().describe(),
                code.meaning()
            ));
        }
        table
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_is_unique_and_in_screaming_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{text}"
            );
            assert_eq!(ErrorCode::parse(text), Some(*code));
        }
    }

    /// The README's table is the catalogue's, so that the two cannot drift apart.
    #[test]
    fn the_readme_table_is_the_catalogue() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        assert!(
            readme.contains(&ErrorCode::markdown_table()),
            "README.md's error table differs from the catalogue: paste `cargo run -q -- errors` into its Errors section"
        );
    }
}
