//! Investment projects in the JSON API: registration with a unified code, the plan with its
//! critical path and Gantt chart, simulated approval, the land, the agent, the board, and the
//! assessed regions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use onewindow_app::Service;
use onewindow_app::projects::Region;
use onewindow_app::projects::{BoardLine, ProjectView};
use onewindow_domain::project::{NewProject, Project};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, expected_version, with_etag};
use crate::extract::Auth;
use crate::problem::Problem;

type ApiResult<T> = Result<T, Problem>;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(register, list))
        .routes(routes!(board))
        .routes(routes!(alerts))
        .routes(routes!(show))
        .routes(routes!(plan_svg))
        .routes(routes!(provisional_opinion))
        .routes(routes!(land))
        .routes(routes!(agent))
        .routes(routes!(regions))
        .routes(routes!(save_region))
}

fn view_response(status: StatusCode, view: ProjectView) -> Response {
    let version = view.project.version;
    with_etag((status, Json(view)).into_response(), version)
}

/// Register a project and get its unified code (投资项目代码) and plan. Body: `{name,
/// owner_identity, owner_name, project_type: industrial|commercial|public|village,
/// government_funded, region?, land_obtained_on?}`.
#[utoipa::path(post, path = "/projects", request_body = onewindow_domain::project::NewProject,
    responses((status = 201, description = "the project, its plan and schedule"),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn register(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<NewProject>,
) -> ApiResult<Response> {
    let view = service.register_project(&auth.actor, body).await?;
    Ok(view_response(StatusCode::CREATED, view))
}

/// The projects you may see, newest first.
#[utoipa::path(get, path = "/projects", responses((status = 200, description = "projects")))]
pub(crate) async fn list(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<Project>>> {
    Ok(Json(service.projects(&auth.actor).await?))
}

/// One project: its plan, the schedule in working days with the critical path, the dates on
/// the calendar, the steps behind plan.
#[utoipa::path(get, path = "/projects/{code}", params(("code" = String, Path)),
    responses((status = 200, description = "the project"), (status = 404, body = Problem)))]
pub(crate) async fn show(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    let view = service.project(&auth.actor, &code).await?;
    Ok(view_response(StatusCode::OK, view))
}

/// The plan as a Gantt chart (SVG): intermediary work, the departments' days, the critical path
/// in red.
#[utoipa::path(get, path = "/projects/{code}/plan.svg", params(("code" = String, Path)),
    responses((status = 200, description = "image/svg+xml"), (status = 404, body = Problem)))]
pub(crate) async fn plan_svg(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    let view = service.project(&auth.actor, &code).await?;
    let plan = view.project.plan.before_construction();
    let Some(schedule) = view.schedule else {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no-schedule",
            "No schedule",
            "the plan of this project cannot be laid out",
        ));
    };
    let title = format!(
        "{} {} · {} 个工作日（行政 {} + 中介 {}）",
        view.project.code,
        view.project.name,
        schedule.total_days,
        schedule.admin_days,
        schedule.intermediary_days
    );
    let svg = crate::gantt::gantt_svg(&plan, &schedule, &title, "工作日");
    let mut response = svg.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OpinionRequest {
    opinion: String,
}

/// A provisional opinion on a step before the land is obtained (模拟审批): reviewers and
/// approvers of the step's department. `If-Match`: the project's version.
#[utoipa::path(post, path = "/projects/{code}/steps/{step}/provisional-opinion",
    request_body = OpinionRequest,
    params(("code" = String, Path), ("step" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, description = "the project"), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn provisional_opinion(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((code, step)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<OpinionRequest>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers)?;
    let view = service
        .provisional_opinion(&auth.actor, &code, expected, &step, &body.opinion)
        .await?;
    Ok(view_response(StatusCode::OK, view))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LandRequest {
    /// The day the land was obtained (default today).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    on: Option<NaiveDate>,
}

/// Record that the land is obtained: provisional opinions given on the current plan become
/// formal decisions without a new application. `If-Match`: the project's version.
#[utoipa::path(post, path = "/projects/{code}/land", request_body = LandRequest,
    params(("code" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, description = "the project"), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn land(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let body: LandRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LandRequest::default()
    } else {
        super::parse_json(&body)
            .map_err(|e| Problem::bad_request("body", format!("not valid JSON: {e}")))?
    };
    let expected = expected_version(&headers)?;
    let view = service
        .obtain_land(&auth.actor, &code, expected, body.on)
        .await?;
    Ok(view_response(StatusCode::OK, view))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AgentRequest {
    /// The agent's user name.
    agent: String,
}

/// Assign the agent (代办员) who follows the project: its owner or a window clerk.
#[utoipa::path(post, path = "/projects/{code}/agent", request_body = AgentRequest,
    params(("code" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, description = "the project"), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn agent(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(code): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AgentRequest>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers)?;
    let view = service
        .assign_agent(&auth.actor, &code, expected, &body.agent)
        .await?;
    Ok(view_response(StatusCode::OK, view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Where the projects stand on this day (default today); a month's last day gives the
    /// monthly progress review.
    #[param(value_type = Option<String>, format = Date)]
    on: Option<NaiveDate>,
}

/// The agent's board: each project followed, the steps behind plan and what waits on whom.
#[utoipa::path(get, path = "/projects/board", params(BoardQuery),
    responses((status = 200, description = "one line per project"), (status = 403, body = Problem)))]
pub(crate) async fn board(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(query): ApiQuery<BoardQuery>,
) -> ApiResult<Json<Vec<BoardLine>>> {
    Ok(Json(service.project_board(&auth.actor, query.on).await?))
}

/// The assessed regions (industrial parks) and the assessments each has done for every project
/// inside.
#[utoipa::path(get, path = "/regions", security(()),
    responses((status = 200, description = "regions")))]
pub(crate) async fn regions(State(service): State<Service>) -> ApiResult<Json<Vec<Region>>> {
    Ok(Json(service.regions().await?))
}

/// Record an assessed region (administrators): `{code, name, assessments: [environmental_impact,
/// soil_and_water, energy, traffic, geological_hazard]}`.
#[utoipa::path(put, path = "/regions/{code}", params(("code" = String, Path)),
    request_body = RegionBody,
    responses((status = 200, description = "the region"), (status = 403, body = Problem)))]
pub(crate) async fn save_region(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(code): Path<String>,
    ApiJson(region): ApiJson<Region>,
) -> ApiResult<Json<Region>> {
    if region.code != code {
        return Err(Problem::invalid_field(
            "code",
            format!(
                "the body names region {} but the address {code}",
                region.code
            ),
        ));
    }
    Ok(Json(service.save_region(&auth.actor, region).await?))
}

/// An assessed region as `PUT /regions/{code}` takes it (the store's `Region`, for the document).
#[derive(ToSchema)]
#[allow(dead_code)]
struct RegionBody {
    code: String,
    name: String,
    assessments: Vec<onewindow_domain::project::Assessment>,
}

/// The alerts of stalled steps (a step past its planned end undone): an agent's own; window
/// clerks and supervisors see every agent's. Raised once a day by the monitor's sweep.
#[utoipa::path(get, path = "/projects/alerts",
    responses((status = 200, description = "alerts, newest first"), (status = 403, body = Problem)))]
pub(crate) async fn alerts(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<onewindow_app::projects::StallAlert>>> {
    Ok(Json(service.stall_alerts(&auth.actor).await?))
}
