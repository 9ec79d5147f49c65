//! How a page handler fails: with an answer already drawn for the visitor (the way to the login
//! page, the refusal page, the error page in their language). Handlers return
//! `PageResult` and use `?` on whatever refuses them: a role check, a CSRF check, a service call
//! (`.or_page(&ctx)`).

use axum::response::{IntoResponse, Response};
use onewindow_app::AppError;

use super::PageCtx;

/// A page that could not be shown, and what the visitor sees instead.
#[derive(Debug)]
pub struct PageError(Response);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0
    }
}

impl From<Response> for PageError {
    fn from(response: Response) -> Self {
        PageError(response)
    }
}

/// What a page handler answers.
pub type PageResult = Result<Response, PageError>;

/// Turns a service's refusal into the page that says so, in the visitor's language.
pub trait OrPage<T> {
    fn or_page(self, ctx: &PageCtx) -> Result<T, PageError>;
}

impl<T> OrPage<T> for Result<T, AppError> {
    fn or_page(self, ctx: &PageCtx) -> Result<T, PageError> {
        self.map_err(|e| PageError(ctx.app_error(e)))
    }
}
