//! Every error body the HTTP layer writes itself (outside a GraphQL execution): the GraphQL-over-HTTP
//! shape `{"errors":[{"message":..,"extensions":{"code":..}}]}`, with `retryable: true` for the
//! codes a client should retry, built here and nowhere else.

use axum::{
    http::{header, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

use crate::error::{AppError, ErrorCode};

/// An error answered over HTTP: status, media type, code and message, plus extra headers.
pub struct HttpError {
    status: StatusCode,
    media: &'static str,
    code: ErrorCode,
    message: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl HttpError {
    pub fn new(
        status: StatusCode,
        media: &'static str,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        HttpError {
            status,
            media,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// The service's own error, with the status its kind calls for (the export endpoints).
    pub fn from_app(err: &AppError, media: &'static str) -> Self {
        let status = match err {
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Validation { .. } => StatusCode::BAD_REQUEST,
            AppError::Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::StaleVersion { .. } => StatusCode::CONFLICT,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, media, err.code(), err.message())
    }

    /// The same error with another status (a GraphQL request error is 200 under
    /// `application/json`).
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// `Retry-After: secs`.
    pub fn retry_after(self, secs: u64) -> Self {
        match HeaderValue::from_str(&secs.to_string()) {
            Ok(value) => self.header(header::RETRY_AFTER, value),
            Err(_) => self,
        }
    }

    /// The JSON body alone.
    pub fn body(code: ErrorCode, message: &str) -> String {
        let mut extensions = serde_json::json!({ "code": code });
        if matches!(
            code,
            ErrorCode::RateLimited | ErrorCode::ServiceUnavailable | ErrorCode::StaleVersion
        ) {
            extensions["retryable"] = serde_json::Value::Bool(true);
        }
        serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] })
            .to_string()
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(self.media))],
            HttpError::body(self.code, &self.message),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}
