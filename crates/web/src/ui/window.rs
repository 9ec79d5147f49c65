//! Pages: the window clerk's workbench: pre-review, the one-time notice, acceptance and receipt, visits, hand-over.

use axum::Router;
use onewindow_app::Service;

pub fn routes() -> Router<Service> {
    Router::new()
}
