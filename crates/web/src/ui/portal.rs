//! Pages: the catalogue for everyone: browse, search (also by pinyin initials), item pages.

use axum::Router;
use onewindow_app::Service;

pub fn routes() -> Router<Service> {
    Router::new()
}
