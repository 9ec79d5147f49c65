//! Messages to applicants (办件通知): the applicant's inbox (站内信) and choices, a case's
//! messages with their delivery state for the window, and the messages given up for the hall.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onewindow_app::Service;
use onewindow_app::messages::{CaseMessage, InboxMessage};
use onewindow_domain::notice::Preferences;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery};
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(inbox))
        .routes(routes!(mark_read))
        .routes(routes!(preferences, set_preferences))
        .routes(routes!(case_messages))
        .routes(routes!(undelivered))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–200, 50 by default.
    limit: Option<u32>,
}

/// A page of the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    items: Vec<InboxMessage>,
    next_cursor: Option<String>,
    /// Unread messages in the whole inbox.
    unread: i64,
}

/// The caller's own inbox (站内信), newest first: every message about their cases, whatever
/// else went by SMS or e-mail.
#[utoipa::path(get, path = "/messages", params(InboxQuery),
    responses((status = 200, body = InboxPage), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn inbox(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<InboxPage>, Problem> {
    let page = service.my_messages(&auth.actor, q.cursor, q.limit).await?;
    let unread = service.unread_messages(&auth.actor).await?;
    Ok(Json(InboxPage {
        items: page.items,
        next_cursor: page.next_cursor,
        unread,
    }))
}

/// Mark a message of the caller's inbox read.
#[utoipa::path(post, path = "/messages/{id}/read", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn mark_read(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    service.mark_message_read(&auth.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's choices of how they are told: SMS and e-mail on or off (the inbox is always
/// written), and the language (`zh-CN` or `en`).
#[utoipa::path(get, path = "/messages/preferences",
    responses((status = 200, body = Preferences), (status = 401, body = Problem)))]
async fn preferences(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<Preferences>, Problem> {
    Ok(Json(service.message_preferences(&auth.actor).await?))
}

/// Change the caller's choices (audited).
#[utoipa::path(put, path = "/messages/preferences", request_body = Preferences,
    responses((status = 200, body = Preferences), (status = 422, body = Problem)))]
async fn set_preferences(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<Preferences>,
) -> Result<Json<Preferences>, Problem> {
    Ok(Json(
        service.set_message_preferences(&auth.actor, body).await?,
    ))
}

/// The messages of a case and how each went (pending with its tries, sent, given up), for
/// those who may see the case; phone numbers and addresses masked.
#[utoipa::path(get, path = "/cases/{id}/messages", params(("id" = String, Path, description = "id or receipt number")),
    responses((status = 200, body = Vec<CaseMessage>), (status = 404, body = Problem)))]
async fn case_messages(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<CaseMessage>>, Problem> {
    Ok(Json(service.case_messages(&auth.actor, &id).await?))
}

/// Messages to applicants given up after the last try, newest first: a clerk's centres', or
/// all for a supervisor. The hall calls these applicants.
#[utoipa::path(get, path = "/messages/undelivered",
    responses((status = 200, body = Vec<CaseMessage>), (status = 403, body = Problem)))]
async fn undelivered(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<Vec<CaseMessage>>, Problem> {
    Ok(Json(service.undelivered_messages(&auth.actor).await?))
}
