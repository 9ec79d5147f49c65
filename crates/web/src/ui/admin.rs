//! Pages: administration: catalogue drafts and publishing, cancellations, departments, centres, accounts.

use axum::Router;
use onewindow_app::Service;

pub fn routes() -> Router<Service> {
    Router::new()
}
