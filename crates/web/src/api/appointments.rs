//! Appointments (预约): the slots of a centre's day with the places left (public), booking one
//! (an applicant for themselves, an agent for an applicant), the booker's list and
//! cancellation, and the check-in at the kiosk that issues the appointment's `Y` ticket.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use onewindow_app::AppError;
use onewindow_app::Service;
use onewindow_app::appointments::{Appointment, BookAppointment, CheckInBy, CheckedIn, DaySlots};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery};
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(slots))
        .routes(routes!(book))
        .routes(routes!(check_in))
        .routes(routes!(mine))
        .routes(routes!(cancel))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SlotsQuery {
    /// A department code, or empty (or left out) for general business.
    #[serde(default)]
    business: String,
    /// The day (YYYY-MM-DD): a working day from today to the 7th working day after it.
    #[param(value_type = String, format = Date)]
    day: NaiveDate,
}

/// The slots of a day at a centre for a business (预约时段): each slot's start and end, its
/// places (the windows serving the business × 2), how many are held, how many are left, and
/// whether it can still be booked (a slot of today until it ends). Public. 404 for an unknown
/// centre; 422 on `day` for a day that cannot be booked (not a working day, past, beyond the
/// 7th working day ahead) and on `business` for one no window of the centre serves.
#[utoipa::path(get, path = "/hall/{centre}/appointment-slots", params(("centre" = String, Path, description = "The centre's code"), SlotsQuery), security(()),
    responses((status = 200, body = DaySlots), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn slots(
    State(service): State<Service>,
    Path(centre): Path<String>,
    ApiQuery(q): ApiQuery<SlotsQuery>,
) -> Result<Json<DaySlots>, Problem> {
    Ok(Json(
        service
            .appointment_slots(&centre, &q.business, q.day)
            .await?,
    ))
}

/// Book a slot (预约): an applicant for the identity of their account, an agent for the
/// applicant whose `id_number` they give. 201 with the appointment (identity and phone masked;
/// its `id` is what the kiosk's check-in takes). 403 for accounts that are neither; 404 for an
/// unknown centre; 422 naming every wrong field and nothing written: `day` (not a working day,
/// past, too far ahead, or the applicant already holds one there that day), `slot` (none of the
/// centre's, ended, or full), `business`, `name`, `phone`, `id_number`.
#[utoipa::path(post, path = "/hall/{centre}/appointments", request_body = BookAppointment,
    params(("centre" = String, Path, description = "The centre's code")),
    responses((status = 201, body = Appointment), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn book(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(centre): Path<String>,
    ApiJson(body): ApiJson<BookAppointment>,
) -> Result<Response, Problem> {
    let booked = service.book_appointment(&auth.actor, &centre, body).await?;
    Ok((StatusCode::CREATED, Json(booked)).into_response())
}

/// Which appointment to check in: its `id`, or the applicant's `id_number` (their booked
/// appointment of today at this centre). One of the two.
#[derive(Debug, Deserialize, ToSchema)]
struct CheckInRequest {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    id_number: Option<String>,
}

/// Check an appointment in at the centre's kiosk (预约签到): issues its ticket — number `Y…`,
/// priority 1, called before the ordinary tickets by the windows serving its business. On the
/// appointment's day, at its centre, from 30 minutes before its slot to 15 minutes after the
/// slot's start; else 422 on `id` or `id_number` (also for an identity number that is none).
/// 404 when there is no such appointment; 409 once it is checked in, cancelled or missed; 403
/// for an applicant or agent checking in someone else's, or staff not posted at the centre.
#[utoipa::path(post, path = "/hall/{centre}/appointments/check-in", request_body = CheckInRequest,
    params(("centre" = String, Path, description = "The centre's code")),
    responses((status = 201, body = CheckedIn), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn check_in(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(centre): Path<String>,
    ApiJson(body): ApiJson<CheckInRequest>,
) -> Result<Response, Problem> {
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let by = match (nonempty(body.id), nonempty(body.id_number)) {
        (Some(id), _) => CheckInBy::Id(id),
        (None, Some(number)) => CheckInBy::IdNumber(number),
        (None, None) => {
            return Err(AppError::invalid(
                "id",
                "give the appointment's id, or the applicant's id_number",
            )
            .into());
        }
    };
    let checked = service
        .check_in_appointment(Some(&auth.actor), &centre, by)
        .await?;
    Ok((StatusCode::CREATED, Json(checked)).into_response())
}

/// The appointments you booked, the latest day first, each in its state now (`booked`,
/// `checked_in`, `cancelled`, `missed`: not checked in within 15 minutes of the slot's start).
#[utoipa::path(get, path = "/my/appointments",
    responses((status = 200, body = Vec<Appointment>), (status = 401, body = Problem)))]
async fn mine(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<Vec<Appointment>>, Problem> {
    Ok(Json(service.my_appointments(&auth.actor).await?))
}

/// Cancel an appointment you booked: its place is free at once. 403 when another account
/// booked it; 404 when there is none; 409 once it is checked in, cancelled or missed.
#[utoipa::path(post, path = "/my/appointments/{id}/cancel",
    params(("id" = String, Path, description = "The appointment's id")),
    responses((status = 200, body = Appointment), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<Json<Appointment>, Problem> {
    Ok(Json(service.cancel_appointment(&auth.actor, &id).await?))
}
