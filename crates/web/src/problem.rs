//! RFC 7807 problem details: every error the API returns, mapped from [`AppError`] in one place.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onewindow_app::AppError;
use onewindow_domain::validation::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error as `application/problem+json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; relative to the API's documentation.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Every field that is wrong, and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a version conflict: the version the case is at now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// For a refused action: the current state and what may be done in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_actions: Vec<String>,
    /// For too many failed logins: when the next attempt may be made (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<String>,
    /// Seconds to wait, sent as `Retry-After`.
    #[serde(skip)]
    pub retry_after: Option<i64>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/docs/api.md#{kind}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            current_version: None,
            current_status: None,
            allowed_actions: Vec::new(),
            retry_at: None,
            retry_after: None,
        }
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Log in first",
            detail,
        )
    }

    pub fn forbidden(kind: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, kind, "Not allowed for you", detail)
    }

    /// 413 for a body over the 2 MiB every request may carry.
    pub fn too_large() -> Self {
        Self {
            errors: vec![FieldError::new("body", "larger than 2 MiB")],
            ..Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "The request body is too large",
                "the body is larger than the 2 MiB a request may carry; send files through the upload form",
            )
        }
    }

    /// 422 for one field a rule refuses.
    pub fn invalid_field(field: &str, reason: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, reason)])
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-input",
                "The request has invalid fields",
                detail,
            )
        }
    }

    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, reason)])
    }

    pub fn bad_request(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self {
            errors: vec![FieldError::new(field, reason.clone())],
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "The request is malformed",
                reason,
            )
        }
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let retry_after = self.retry_after;
        let mut response = (status, axum::Json(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"onewindow\""),
            );
        }
        if let Some(seconds) = retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound { what } => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!("{what} does not exist"),
            ),
            AppError::Invalid(errors) => Problem::invalid(errors),
            AppError::NotAllowed {
                message,
                status,
                allowed,
            } => Problem {
                current_status: Some(status),
                allowed_actions: allowed,
                ..Problem::new(
                    StatusCode::CONFLICT,
                    "action-not-allowed",
                    "This action is not allowed in the case's current state",
                    message,
                )
            },
            e @ AppError::VersionConflict { current, .. } => Problem {
                current_version: Some(current),
                ..Problem::new(
                    StatusCode::CONFLICT,
                    "version-conflict",
                    "The case was changed by someone else",
                    e.to_string(),
                )
            },
            e @ AppError::IdempotencyKeyReused => Problem {
                errors: vec![FieldError::new("Idempotency-Key", e.to_string())],
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency-key-reused",
                    "Idempotency-Key reused",
                    e.to_string(),
                )
            },
            AppError::Calendar(e) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "calendar-not-covered",
                "The working-day calendar does not cover this date",
                e.to_string(),
            ),
            AppError::Unauthenticated(detail) => Problem::unauthenticated(detail),
            AppError::Forbidden(detail) | AppError::Refused { reason: detail, .. } => {
                Problem::forbidden("forbidden", detail)
            }
            e @ AppError::TooManyAttempts {
                until,
                wait_seconds,
            } => Problem {
                retry_at: Some(until.to_rfc3339()),
                retry_after: Some(wait_seconds + 1),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-attempts",
                    "Too many failed logins",
                    e.to_string(),
                )
            },
            AppError::Conflict(detail) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Already exists", detail)
            }
            e @ AppError::RateLimited { wait_seconds } => Problem {
                retry_after: Some(wait_seconds),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many requests",
                    e.to_string(),
                )
            },
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "not available");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Not available on this server",
                    detail,
                )
            }
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "internal failure");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the service could not complete the request; nothing was changed; try again",
                )
            }
            // Two nodes writing the same key at the same instant, where no rule above answers
            // the race itself: the loser is told as a 409, never a 500.
            AppError::Store(e) if e.is_unique_violation() => {
                tracing::warn!(error = %e, "a write lost a race on a unique key");
                Problem::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "Changed at the same moment",
                    "someone else wrote the same record at the same moment; nothing of yours was changed; reload and try again",
                )
            }
            AppError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the service could not complete the request; nothing was changed; try again",
                )
            }
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                Problem::bad_request("Content-Type", "send the body as application/json")
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Problem::too_large(),
            other => Problem::bad_request("body", other.body_text()),
        }
    }
}

impl From<QueryRejection> for Problem {
    fn from(r: QueryRejection) -> Self {
        Problem::bad_request("query", r.body_text())
    }
}
