//! The working-day calendar: deadlines anyone may compute, and its administration (what it
//! holds; loading the State Council's holiday notice of a year).

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use onewindow_app::Service;
use onewindow_app::calendar::{CalendarOverview, NoticeLoaded};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiQuery, ApiResult};
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(deadline))
        .routes(routes!(overview))
        .routes(routes!(load_notice))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// The day before day 1, e.g. the day of acceptance (YYYY-MM-DD).
    #[param(value_type = String, format = Date)]
    start: NaiveDate,
    /// How many working days.
    working_days: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineAnswer {
    #[schema(value_type = String, format = Date)]
    start: NaiveDate,
    working_days: u32,
    /// The `working_days`th working day after `start`.
    #[schema(value_type = String, format = Date)]
    deadline: NaiveDate,
    /// True when `deadline` is counted on the provisional year (weekends and statutory holidays
    /// only, until the State Council's notice is loaded): it may still move.
    provisional: bool,
}

/// The date N working days after a start date, on the PRC calendar with make-up days.
#[utoipa::path(get, path = "/calendar/deadline", params(DeadlineQuery), security(()),
    responses((status = 200, body = DeadlineAnswer), (status = 422, body = Problem)))]
async fn deadline(
    State(service): State<Service>,
    ApiQuery(q): ApiQuery<DeadlineQuery>,
) -> ApiResult<Json<DeadlineAnswer>> {
    let deadline = service.deadline(q.start, q.working_days)?;
    Ok(Json(DeadlineAnswer {
        start: q.start,
        working_days: q.working_days,
        deadline,
        provisional: service.calendar().is_provisional(deadline),
    }))
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
    body: axum::body::Bytes,
) -> Result<Json<NoticeLoaded>, Problem> {
    let body = std::str::from_utf8(&body)
        .map_err(|e| Problem::bad_request("body", format!("not UTF-8 text: {e}")))?;
    Ok(Json(service.load_holiday_notice(&auth.actor, body).await?))
}
