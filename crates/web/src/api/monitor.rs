//! The monitor: lit clocks of the caller's scope, and the inbox of alerts.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onewindow_app::Service;
use onewindow_app::monitor::{InboxEntry, MonitorOverview};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery};
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(inbox))
        .routes(routes!(mark_read))
        .routes(routes!(mark_many_read))
}

/// The red and yellow clocks of your scope (supervisors: all; department staff: their
/// departments; clerks: their centres), most urgent first, and how many are green.
#[utoipa::path(get, path = "/monitor",
    responses((status = 200, body = Object, description = "{red: [clock], yellow: [clock], green: n}"), (status = 403, body = Problem)))]
pub(crate) async fn overview(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<MonitorOverview>, Problem> {
    Ok(Json(service.monitor_overview(&auth.actor).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    #[schema(value_type = Vec<Object>)]
    items: Vec<InboxEntry>,
    next_cursor: Option<String>,
}

/// Alerts raised by changes of light in your scope, newest first, each with whether you read it.
#[utoipa::path(get, path = "/inbox", params(InboxQuery),
    responses((status = 200, body = InboxPage), (status = 403, body = Problem)))]
pub(crate) async fn inbox(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<InboxPage>, Problem> {
    let page = service.inbox(&auth.actor, q.cursor, q.limit).await?;
    Ok(Json(InboxPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Mark an alert of your inbox as read.
#[utoipa::path(post, path = "/inbox/{id}/read", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn mark_read(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    service.mark_alert_read(&auth.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkReadRequest {
    /// The alerts to mark read, 1–200 ids of your inbox; an id named twice counts once.
    ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkReadAnswer {
    /// How many alerts are now read (each id once).
    read: usize,
}

/// Mark several alerts of your inbox as read, all or none in one transaction. An empty list,
/// more than 200 ids or an id not in your inbox answers 422 naming the field (`ids`, `ids[2]`)
/// and marks nothing.
#[utoipa::path(post, path = "/inbox/read", request_body = MarkReadRequest,
    responses((status = 200, body = MarkReadAnswer), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn mark_many_read(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<MarkReadRequest>,
) -> Result<Json<MarkReadAnswer>, Problem> {
    let read = service.mark_alerts_read(&auth.actor, &body.ids).await?;
    Ok(Json(MarkReadAnswer { read }))
}
