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
