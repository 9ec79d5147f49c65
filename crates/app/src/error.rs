//! Errors of the application service: what the user did wrong (with the field), what conflicts,
//! and what failed underneath. The web maps each variant to one HTTP status in one place.

use onewindow_domain::calendar::CalendarError;
use onewindow_domain::case::CaseError;
use onewindow_domain::validation::FieldError;
use onewindow_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{message}")]
    NotAllowed {
        message: String,
        status: String,
        allowed: Vec<String>,
    },
    #[error(
        "the case was changed by someone else: it is now at version {current}, your request was based on version {expected}"
    )]
    VersionConflict { expected: u64, current: u64 },
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    /// No session or token, or one that has ended, or wrong credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Known to the user but not theirs to do.
    #[error("{0}")]
    Forbidden(String),
    #[error("too many failed logins for this user name; try again after {until}")]
    TooManyAttempts {
        until: chrono::DateTime<chrono::Utc>,
        /// Seconds from the service's now until `until`.
        wait_seconds: i64,
    },
    /// Too many requests from one source (or about one thing) for now.
    #[error("too many look-ups; try again in {wait_seconds} seconds")]
    RateLimited { wait_seconds: i64 },
    /// The request clashes with what is stored (a user name already taken).
    #[error("{0}")]
    Conflict(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// Something the server needs is not set up (a font for PDFs); the message says what to do.
    #[error("{0}")]
    Unavailable(String),
    /// A policy refusal inside a write job; the service turns it into `NotFound` or `Forbidden`
    /// after writing the audit record.
    #[error("{reason}")]
    Refused {
        status: RefusalKind,
        reason: String,
        /// What the audit record names: `case:<receipt number>`.
        target: String,
    },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, reason)])
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { what: what.into() }
    }
}

impl From<CaseError> for AppError {
    fn from(e: CaseError) -> Self {
        let message = e.to_string();
        match e {
            CaseError::NotAllowed {
                status, allowed, ..
            } => AppError::NotAllowed {
                message,
                status: status.to_string(),
                allowed: allowed.into_iter().map(str::to_string).collect(),
            },
            CaseError::Invalid(errors) => AppError::Invalid(errors),
            CaseError::Calendar(e) => AppError::Calendar(e),
        }
    }
}

/// Why the policy refused, carried out of a write job so the refusal can be audited after the
/// job's transaction has rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    Hidden,
    Forbidden,
}
