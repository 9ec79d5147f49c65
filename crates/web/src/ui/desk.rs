//! Pages: the department workbench: tasks by deadline, review, supplement, suspend/resume, extend, decide.

use axum::Router;
use onewindow_app::Service;

pub fn routes() -> Router<Service> {
    Router::new()
}
