//! Pages: applying online with uploads, my cases, supplements, delivery.

use axum::Router;
use onewindow_app::Service;

pub fn routes() -> Router<Service> {
    Router::new()
}
