//! The network (三级联动): the centres by level under their parents and their windows, read by
//! anyone (the portal shows where to go) and imported whole by administrators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onewindow_app::Service;
use onewindow_app::hall::{HallImport, HallImported};
use onewindow_app::queue::{Board, ServeTicket, TakeTicket, Ticket};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery};
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(network, import))
        .routes(routes!(take_ticket))
        .routes(routes!(board))
        .routes(routes!(call_next))
        .routes(routes!(held))
        .routes(routes!(recall))
        .routes(routes!(no_show))
        .routes(routes!(transfer))
        .routes(routes!(serve))
        .routes(routes!(queue_times))
        .routes(routes!(repeat_visits))
}

/// A period of the hall's records.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PeriodParams {
    /// First day, included; default 29 days before `to`.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<chrono::NaiveDate>,
    /// Last day, included; default today. At most a year after `from`.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<chrono::NaiveDate>,
}

/// The centre's queue over a period: waiting and serving times by window, by hour of the day and
/// by day, and the tickets of today waiting beyond the hall's limit now (the supervisor's
/// alert). Supervisors, and the clerks of the centre.
#[utoipa::path(get, path = "/hall/{centre}/queue-times",
    params(("centre" = String, Path, description = "The centre's code"), PeriodParams),
    responses((status = 200, body = onewindow_app::queue_report::QueueReport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn queue_times(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(centre): Path<String>,
    ApiQuery(q): ApiQuery<PeriodParams>,
) -> Result<Json<onewindow_app::queue_report::QueueReport>, Problem> {
    Ok(Json(
        service
            .queue_report(&auth.actor, &centre, q.from, q.to)
            .await?,
    ))
}

/// At most once, followed up: the cases received in the period with more than one visit in
/// person, each visit with its window (from its ticket) or its exception and the reason the
/// applicant came again, and their counts by department and by window. Supervisors only.
#[utoipa::path(get, path = "/statistics/repeat-visits", params(PeriodParams),
    responses((status = 200, body = onewindow_app::queue_report::RepeatVisits), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn repeat_visits(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<PeriodParams>,
) -> Result<Json<onewindow_app::queue_report::RepeatVisits>, Problem> {
    Ok(Json(
        service.repeat_visits(&auth.actor, q.from, q.to).await?,
    ))
}

/// Take a ticket (取号) at a centre for a business (a department code, or empty for a
/// comprehensive window): `source` kiosk or phone. Refused when the centre is closed now, when no
/// window of it serves the business, or when an identity number given is not one. An identity
/// number of someone 70 or older puts the ticket first in the call order.
#[utoipa::path(post, path = "/hall/{centre}/tickets", request_body = TakeTicket,
    params(("centre" = String, Path, description = "The centre's code")),
    responses((status = 201, body = Ticket), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn take_ticket(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(centre): Path<String>,
    ApiJson(body): ApiJson<TakeTicket>,
) -> Result<Response, Problem> {
    let ticket = service
        .take_ticket(Some(&auth.actor), &centre, body)
        .await?;
    Ok((StatusCode::CREATED, Json(ticket)).into_response())
}

/// What the centre's display board shows (叫号屏): the latest calls with the words the speakers
/// say, and how many wait. Public: numbers and windows, never a name. The page
/// `/hall/{centre}/board` follows it live (server-sent events).
#[utoipa::path(get, path = "/hall/{centre}/board",
    params(("centre" = String, Path, description = "The centre's code")),
    responses((status = 200, body = Board), (status = 404, body = Problem)))]
async fn board(
    State(service): State<Service>,
    Path(centre): Path<String>,
) -> Result<Json<Board>, Problem> {
    Ok(Json(service.board(&centre).await?))
}

/// Call the next ticket this window serves (叫号): appointments and the elderly first, then who
/// came first. 204 when nobody it serves waits. Clerks of the centre only. Two windows calling
/// at once never get the same ticket.
#[utoipa::path(post, path = "/hall/{centre}/windows/{window}/call",
    params(("centre" = String, Path, description = "The centre's code"), ("window" = String, Path, description = "The window's code")),
    responses((status = 200, body = Ticket), (status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn call_next(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((centre, window)): Path<(String, String)>,
) -> Result<Response, Problem> {
    Ok(
        match service.call_next(&auth.actor, &centre, &window).await? {
            Some(ticket) => Json(ticket).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}

/// The tickets this window holds now (called, not ended).
#[utoipa::path(get, path = "/hall/{centre}/windows/{window}/tickets",
    params(("centre" = String, Path, description = "The centre's code"), ("window" = String, Path, description = "The window's code")),
    responses((status = 200, body = Vec<Ticket>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn held(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((centre, window)): Path<(String, String)>,
) -> Result<Json<Vec<Ticket>>, Problem> {
    Ok(Json(
        service.held_tickets(&auth.actor, &centre, &window).await?,
    ))
}

/// Call a ticket the window holds again (重呼).
#[utoipa::path(post, path = "/hall/{centre}/windows/{window}/tickets/{id}/recall",
    params(("centre" = String, Path, description = "The centre's code"), ("window" = String, Path, description = "The window's code"), ("id" = String, Path, description = "The ticket's id")),
    responses((status = 200, body = Ticket), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn recall(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((centre, window, id)): Path<(String, String, String)>,
) -> Result<Json<Ticket>, Problem> {
    Ok(Json(
        service
            .recall_ticket(&auth.actor, &centre, &window, &id)
            .await?,
    ))
}

/// Mark a called ticket a no-show (过号).
#[utoipa::path(post, path = "/hall/{centre}/windows/{window}/tickets/{id}/no-show",
    params(("centre" = String, Path, description = "The centre's code"), ("window" = String, Path, description = "The window's code"), ("id" = String, Path, description = "The ticket's id")),
    responses((status = 200, body = Ticket), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn no_show(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((centre, window, id)): Path<(String, String, String)>,
) -> Result<Json<Ticket>, Problem> {
    Ok(Json(
        service.no_show(&auth.actor, &centre, &window, &id).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct Transfer {
    /// The business the ticket goes to: a department code, or empty for a comprehensive window.
    #[serde(default)]
    business: String,
}

/// Send a called ticket to another business (转窗): back in the queue at the front.
#[utoipa::path(post, path = "/hall/{centre}/windows/{window}/tickets/{id}/transfer", request_body = Transfer,
    params(("centre" = String, Path, description = "The centre's code"), ("window" = String, Path, description = "The window's code"), ("id" = String, Path, description = "The ticket's id")),
    responses((status = 200, body = Ticket), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn transfer(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((centre, window, id)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<Transfer>,
) -> Result<Json<Ticket>, Problem> {
    Ok(Json(
        service
            .transfer_ticket(&auth.actor, &centre, &window, &id, &body.business)
            .await?,
    ))
}

/// End a called ticket as served: the applicant checked in by identity number, and a visit
/// recorded on each case served (the applicant's own; a case visited before needs
/// `extra_visit_reason`). One transaction: nothing is written when a case is refused.
#[utoipa::path(post, path = "/hall/{centre}/windows/{window}/tickets/{id}/serve", request_body = ServeTicket,
    params(("centre" = String, Path, description = "The centre's code"), ("window" = String, Path, description = "The window's code"), ("id" = String, Path, description = "The ticket's id")),
    responses((status = 200, body = Ticket), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn serve(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((centre, window, id)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<ServeTicket>,
) -> Result<Json<Ticket>, Problem> {
    Ok(Json(
        service
            .serve_ticket(&auth.actor, &centre, &window, &id, body)
            .await?,
    ))
}

/// The whole network: every centre (level, parent, division code, opening hours) and every
/// window (kind, departments); the format the import reads.
#[utoipa::path(get, path = "/hall",
    responses((status = 200, body = HallImport), (status = 401, body = Problem)))]
async fn network(
    State(service): State<Service>,
    Auth(_auth): Auth,
) -> Result<Json<HallImport>, Problem> {
    Ok(Json(service.export_hall().await?))
}

/// Import centres and windows in one transaction (administrators; audited). Every row is checked
/// first — a village point under a township's centre, a township's under a county centre, hours
/// that open before they close, windows of known centres and departments — and nothing is
/// written when a row is wrong; rows with a code already kept replace it.
#[utoipa::path(put, path = "/hall", request_body = HallImport,
    responses((status = 200, body = HallImported), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn import(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<HallImport>,
) -> Result<Json<HallImported>, Problem> {
    Ok(Json(service.import_hall(&auth.actor, body).await?))
}
