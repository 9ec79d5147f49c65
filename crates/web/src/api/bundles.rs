//! Joint approval in the JSON API: bundles in the catalogue, their report, and the department
//! tasks of joint cases. A bundle case is filed through `POST /cases` with the bundle's code.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use onewindow_app::Service;
use onewindow_app::bundles::{BundleReportLine, BundleView};
use onewindow_domain::action_fields::{self, TaskActionFields};
use onewindow_domain::bundle::Bundle;
use onewindow_domain::circulation::{TaskAction, TaskCommand};
use onewindow_domain::clock::SuspensionKind;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, expected_version, with_etag};
use crate::extract::Auth;
use crate::problem::Problem;

type ApiResult<T> = Result<T, Problem>;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(list_bundles))
        .routes(routes!(get_bundle, publish_bundle))
        .routes(routes!(bundle_report))
        .routes(routes!(task_action))
}

/// Every joint-approval bundle (联办事项) with its plan: the one form of materials, the member
/// tasks in order, and the figures before and after.
#[utoipa::path(get, path = "/catalogue/bundles", security(()),
    responses((status = 200, description = "the bundles with their plans")))]
pub(crate) async fn list_bundles(
    State(service): State<Service>,
) -> ApiResult<Json<Vec<BundleView>>> {
    Ok(Json(service.bundles().await?))
}

/// One bundle with its plan over the items as published now.
#[utoipa::path(get, path = "/catalogue/bundles/{code}", security(()),
    params(("code" = String, Path)),
    responses((status = 200, description = "the bundle and its plan"), (status = 404, body = Problem)))]
pub(crate) async fn get_bundle(
    State(service): State<Service>,
    Path(code): Path<String>,
) -> ApiResult<Json<BundleView>> {
    Ok(Json(service.bundle(&code).await?))
}

/// Publish a bundle as its next version (administrators). The body is the whole bundle; its
/// members must be published items; every problem is named at once.
#[utoipa::path(put, path = "/catalogue/bundles/{code}", request_body = Bundle,
    params(("code" = String, Path)),
    responses((status = 200, description = "the bundle as published, with its plan"),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn publish_bundle(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(code): Path<String>,
    ApiJson(bundle): ApiJson<Bundle>,
) -> ApiResult<Json<BundleView>> {
    if bundle.code != code {
        return Err(Problem::invalid_field(
            "code",
            format!(
                "the body names bundle {} but the address {code}",
                bundle.code
            ),
        ));
    }
    Ok(Json(service.publish_bundle(&auth.actor, bundle).await?))
}

/// Materials and visits before and after, per bundle (the catalogue report).
#[utoipa::path(get, path = "/reports/bundles", security(()),
    responses((status = 200, description = "one line per bundle")))]
pub(crate) async fn bundle_report(
    State(service): State<Service>,
) -> ApiResult<Json<Vec<BundleReportLine>>> {
    Ok(Json(service.bundle_report().await?))
}

/// The fields a task action may carry; which are needed depends on the action.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TaskActionRequest {
    /// transfer: the colleague's user name.
    #[serde(default)]
    to: Option<String>,
    /// transfer, suspend, send-back, decide (required to deny).
    #[serde(default)]
    reason: Option<String>,
    /// countersign.
    #[serde(default)]
    opinion: Option<String>,
    /// request-supplement: bundle material keys (B01 …).
    #[serde(default)]
    missing: Option<Vec<String>>,
    /// request-supplement, resubmit.
    #[serde(default)]
    note: Option<String>,
    /// suspend: hearing, inspection, testing, expert_review, public_notice.
    #[serde(default)]
    kind: Option<SuspensionKind>,
    /// decide.
    #[serde(default)]
    approve: Option<bool>,
}

/// The command a task action name and its body ask for, through the mapping the desk uses too.
fn task_command(action: &str, body: TaskActionRequest) -> Result<TaskCommand, Problem> {
    let Some(action) = TaskAction::parse(action) else {
        let known: Vec<&str> = TaskAction::ALL.iter().map(|a| a.as_str()).collect();
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-action",
            "Unknown action",
            format!(
                "{action:?} is not a task action; actions are {}",
                known.join(", ")
            ),
        ));
    };
    let fields = TaskActionFields {
        to: body.to,
        reason: body.reason,
        opinion: body.opinion,
        missing: body.missing,
        note: body.note,
        kind: body.kind,
        approve: body.approve,
    };
    action_fields::task_command(action, fields)
        .map_err(|e| Problem::bad_request(&e.field, e.reason))
}

/// Take one action on one department's task of a joint case: claim, transfer, countersign,
/// request-supplement, suspend, resume, send-back, resubmit, decide. Send `If-Match` with the
/// task's version (its `version` in the case); the answer carries the task's new version as its
/// ETag. Other departments moving their own tasks meanwhile do not make it stale.
#[utoipa::path(post, path = "/cases/{id}/tasks/{task}/{action}", request_body = TaskActionRequest,
    params(("id" = String, Path), ("task" = String, Path), ("action" = String, Path),
        ("If-Match" = String, Header)),
    responses((status = 200, description = "the case after the action"), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)))]
pub(crate) async fn task_action(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((id, task, action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let body: TaskActionRequest = if body.iter().all(u8::is_ascii_whitespace) {
        TaskActionRequest::default()
    } else {
        super::parse_json(&body).map_err(|e| {
            Problem::bad_request("body", format!("not valid JSON for this action: {e}"))
        })?
    };
    let command = task_command(&action, body)?;
    let expected = u32::try_from(expected_version(&headers)?)
        .map_err(|_| Problem::bad_request("If-Match", "must be the task version, e.g. \"3\""))?;
    let case = service
        .execute_task(&auth.actor, &id, &task, expected, command)
        .await?;
    let version = case
        .circulation
        .as_ref()
        .and_then(|c| c.task(&task))
        .map_or(0, |t| u64::from(t.version));
    Ok(with_etag(Json(case).into_response(), version))
}
