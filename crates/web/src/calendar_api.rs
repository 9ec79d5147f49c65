//! The working-day calendar's administration in the JSON API: what it holds, and loading the
//! State Council's holiday notice of a year.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use onewindow_app::Service;
use onewindow_app::calendar::{CalendarOverview, NoticeLoaded};

use crate::auth::Auth;
use crate::problem::Problem;

pub fn router() -> Router<Service> {
    Router::new()
        .route("/calendar", get(overview))
        .route("/calendar/notices", post(load_notice))
}

/// The years whose notice is held, the provisional year (the one after, counted on weekends and
/// the statutory holidays of the regulation) with its days off, and the notices loaded.
/// Administrators only.
#[utoipa::path(get, path = "/calendar",
    responses((status = 200, body = Object), (status = 403, body = Problem)))]
pub(crate) async fn overview(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<CalendarOverview>, Problem> {
    Ok(Json(service.calendar_overview(&auth.actor).await?))
}

/// Load a year's holiday notice, the body being the notice file in the holiday-cn format
/// (`{"year": 2027, "days": [{"name", "date", "isOffDay"}]}`): the year after the last one
/// held, or a correction of a year held. Every deadline it moves is recomputed, recorded in the
/// case's history and the audit trail, and the staff whose deadline moved earlier are alerted;
/// all in one transaction. A malformed notice, a day listed twice, a weekday marked as a
/// make-up day or the wrong year is refused with the line and the reason, and nothing is
/// loaded. Administrators only.
#[utoipa::path(post, path = "/calendar/notices", request_body(content = String, content_type = "application/json"),
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn load_notice(
    State(service): State<Service>,
    Auth(auth): Auth,
    body: String,
) -> Result<Json<NoticeLoaded>, Problem> {
    Ok(Json(service.load_holiday_notice(&auth.actor, &body).await?))
}
