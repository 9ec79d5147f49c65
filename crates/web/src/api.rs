//! The JSON API under `/api/v1`: parse the request, call the service, shape the answer.

use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use onewindow_app::ItemFilter;
use onewindow_app::Service;
use onewindow_app::service::{CaseDetail, CaseQuery, SubmitCase};
use onewindow_domain::case::{
    Action, Applicant, Case, CaseCommand, CaseEvent, Channel, DeliveryMethod,
};
use onewindow_domain::catalogue::{Department, PublishedItem};
use onewindow_domain::circulation::TaskAction;
use onewindow_domain::clock::SuspensionKind;
use onewindow_domain::figures::CatalogueFigures;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Auth;
use crate::problem::Problem;

type ApiResult<T> = Result<T, Problem>;

/// `Json<T>` whose rejections are problem documents naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;
    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| ApiJson(v))
            .map_err(Problem::from)
    }
}

/// `Query<T>` whose rejections are problem documents.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(Problem::from)
    }
}

pub fn router() -> Router<Service> {
    Router::new()
        .route("/calendar/deadline", get(deadline))
        .route("/catalogue/departments", get(departments))
        .route("/catalogue/items", get(items))
        .route("/catalogue/items/{code}", get(item))
        .route("/catalogue/figures", get(figures))
        .route("/cases", post(submit_case).get(list_cases))
        .route("/cases/{id}", get(get_case))
        .route("/cases/{id}/personal-data", get(personal_data))
        .route("/cases/{id}/{action}", post(case_action))
        .route("/openapi.json", get(openapi))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "onewindow API",
        description = "One-stop government service centre (最多跑一次). Errors are RFC 7807 problem documents.",
    ),
    servers((url = "/api/v1")),
    paths(deadline, departments, items, item, figures, submit_case, list_cases, get_case,
        personal_data, case_action,
        crate::auth::login, crate::auth::logout, crate::auth::me, crate::auth::list_tokens,
        crate::auth::create_token, crate::auth::revoke_token, crate::auth::list_users,
        crate::auth::create_user, crate::auth::get_user, crate::auth::disable_user,
        crate::auth::enable_user, crate::auth::reset_password, crate::auth::set_posts, crate::auth::set_email,
        crate::auth::audit_trail, crate::monitor_api::overview, crate::monitor_api::inbox,
        crate::monitor_api::mark_read, crate::monitor_api::statistics,
        crate::monitor_api::assessment, crate::monitor_api::faults,
        crate::monitor_api::record_fault, crate::report_api::monthly, crate::bundle_api::list_bundles,
        crate::bundle_api::get_bundle, crate::bundle_api::publish_bundle,
        crate::bundle_api::bundle_report, crate::bundle_api::task_action,
        crate::project_api::register, crate::project_api::list, crate::project_api::show,
        crate::project_api::plan_svg, crate::project_api::provisional_opinion,
        crate::project_api::land, crate::project_api::agent, crate::project_api::board, crate::project_api::alerts,
        crate::project_api::regions, crate::project_api::save_region,
        crate::calendar_api::overview, crate::calendar_api::load_notice),
    components(schemas(Problem)),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub struct ApiDoc;

/// Two ways to prove who you are: a bearer token (API clients) or the session cookie (pages;
/// changes also need `X-CSRF-Token`).
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi_document())
}

/// The OpenAPI document of every endpoint under `/api/v1`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

// ---- calendar ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
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

// ---- catalogue --------------------------------------------------------------------------------

/// Every department of the catalogue.
#[utoipa::path(get, path = "/catalogue/departments", security(()), responses((status = 200, body = [Department])))]
async fn departments(State(service): State<Service>) -> ApiResult<Json<Vec<Department>>> {
    Ok(Json(service.departments().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ItemsQuery {
    /// Words of the name or the code, in Chinese, full pinyin or pinyin initials (`yyzz` finds
    /// 营业执照); several words separated by spaces must all match.
    q: Option<String>,
    department: Option<String>,
    /// One of immediate, window_express, online_prereview, online_express, online_online.
    run_mode: Option<String>,
    kind: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    items: Vec<PublishedItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<String>,
}

/// Search the catalogue.
#[utoipa::path(get, path = "/catalogue/items", params(ItemsQuery), security(()), responses((status = 200, body = ItemPage)))]
async fn items(
    State(service): State<Service>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> ApiResult<Json<ItemPage>> {
    let page = service
        .items(ItemFilter {
            query: q.q,
            department: q.department,
            run_mode: q.run_mode,
            kind: q.kind,
            after_code: q.cursor,
            limit: q.limit.unwrap_or(50),
        })
        .await?;
    Ok(Json(ItemPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One item in its current version.
#[utoipa::path(get, path = "/catalogue/items/{code}", security(()), params(("code" = String, Path)),
    responses((status = 200, body = PublishedItem), (status = 404, body = Problem)))]
async fn item(
    State(service): State<Service>,
    Path(code): Path<String>,
) -> ApiResult<Json<PublishedItem>> {
    Ok(Json(service.item(&code).await?))
}

/// The catalogue figures of the reform, computed from the stored items.
#[utoipa::path(get, path = "/catalogue/figures", security(()), responses((status = 200, body = CatalogueFigures)))]
async fn figures(State(service): State<Service>) -> ApiResult<Json<CatalogueFigures>> {
    Ok(Json(service.catalogue_figures().await?))
}

// ---- cases ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct SubmitCaseRequest {
    item_code: String,
    applicant: Applicant,
    channel: Channel,
    /// The service centre receiving the application.
    centre: String,
    /// Keys of the item's materials handed in.
    #[serde(default)]
    materials: Vec<String>,
    /// The investment project the application belongs to (投资项目代码): results of the
    /// project's earlier approvals are taken as materials.
    #[serde(default)]
    project_code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    seq: u64,
    actor: String,
    at: DateTime<Utc>,
    event: CaseEvent,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseResponse {
    case: Case,
    history: Vec<HistoryEntry>,
    /// The last day on which the case is on time; absent before acceptance and while suspended.
    #[schema(value_type = Option<String>, format = Date)]
    due_on: Option<NaiveDate>,
    /// True when `due_on` is counted on the provisional year (预计): the State Council's holiday
    /// notice of `provisional_year` is not out yet, so the day may still move when it is loaded
    /// (the move is then recorded in `history`).
    provisional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    provisional_year: Option<i32>,
    working_days_used: Option<u32>,
    /// Negative when overdue.
    working_days_left: Option<i64>,
    visit_count: usize,
    /// True while the applicant has come in person at most once.
    at_most_once: bool,
    allowed_actions: Vec<Action>,
    /// For a joint case: what the caller may do to each task, by task key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    task_actions: Vec<(String, Vec<TaskAction>)>,
}

impl From<CaseDetail> for CaseResponse {
    fn from(d: CaseDetail) -> Self {
        Self {
            history: d
                .history
                .into_iter()
                .map(|h| HistoryEntry {
                    seq: h.seq,
                    actor: h.actor,
                    at: h.at,
                    event: h.event,
                })
                .collect(),
            case: d.case,
            due_on: d.due_on,
            provisional: d.provisional,
            provisional_year: d.provisional_year,
            working_days_used: d.working_days_used,
            working_days_left: d.working_days_left,
            visit_count: d.visit_count,
            at_most_once: d.at_most_once,
            allowed_actions: d.allowed_actions,
            task_actions: d.task_actions,
        }
    }
}

pub(crate) fn with_etag(mut response: Response, version: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// File an application. Send an `Idempotency-Key` header: a retry with the same key returns the
/// first answer and files nothing new.
#[utoipa::path(post, path = "/cases", request_body = SubmitCaseRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Case), (status = 422, body = Problem)))]
async fn submit_case(
    State(service): State<Service>,
    Auth(auth): Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SubmitCaseRequest>,
) -> ApiResult<Response> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| {
                    Problem::bad_request("Idempotency-Key", "must be 1 to 200 visible characters")
                })?;
            Some(key.to_string())
        }
    };
    let request = SubmitCase {
        item_code: body.item_code,
        applicant: body.applicant,
        channel: body.channel,
        centre: body.centre,
        materials: body.materials,
    };
    let submitted = match body.project_code.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => {
            service
                .submit_case_in_project(&auth.actor, request, code, key)
                .await?
        }
        _ => service.submit_case(&auth.actor, request, key).await?,
    };
    let version = submitted.case.version;
    let location = format!("/api/v1/cases/{}", submitted.case.id);
    let mut response = (StatusCode::CREATED, Json(submitted.case)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    if submitted.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(with_etag(response, version))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CasesQuery {
    /// One status or several separated by commas.
    status: Option<String>,
    item: Option<String>,
    department: Option<String>,
    centre: Option<String>,
    /// Only cases past their due date.
    overdue: Option<bool>,
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    items: Vec<Case>,
    next_cursor: Option<String>,
}

/// Cases, newest first, with filters and cursor pagination.
#[utoipa::path(get, path = "/cases", params(CasesQuery),
    responses((status = 200, body = CasePage), (status = 422, body = Problem)))]
async fn list_cases(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> ApiResult<Json<CasePage>> {
    let page = service
        .cases(
            &auth.actor,
            CaseQuery {
                statuses: q
                    .status
                    .map(|s| {
                        s.split(',')
                            .map(|p| p.trim().to_string())
                            .filter(|p| !p.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                item_code: q.item,
                department: q.department,
                centre: q.centre,
                overdue: q.overdue.unwrap_or(false),
                cursor: q.cursor,
                limit: q.limit,
            },
        )
        .await?;
    Ok(Json(CasePage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One case (by id or receipt number) with its history, deadline and visits.
#[utoipa::path(get, path = "/cases/{id}", params(("id" = String, Path, description = "id or receipt number")),
    responses((status = 200, body = CaseResponse), (status = 404, body = Problem)))]
async fn get_case(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let detail = service.case(&auth.actor, &id).await?;
    let version = detail.case.version;
    Ok(with_etag(
        Json(CaseResponse::from(detail)).into_response(),
        version,
    ))
}

/// The applicant's identity and phone number in full. Needs the personal-data permission (or
/// being the applicant); every answer is written to the audit trail.
#[utoipa::path(get, path = "/cases/{id}/personal-data", params(("id" = String, Path)),
    responses((status = 200, body = Applicant), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn personal_data(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let applicant = service.reveal_personal_data(&auth.actor, &id).await?;
    let mut response = Json(applicant).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The body of a case action; each action reads the fields it needs.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct ActionRequest {
    /// reject, suspend, extend, decide (required to deny).
    reason: Option<String>,
    /// request-supplement: every missing material key.
    missing: Option<Vec<String>>,
    /// request-supplement: a note to the applicant.
    note: Option<String>,
    /// provide-supplement: material keys handed in.
    materials: Option<Vec<String>>,
    /// suspend: why the clock stops.
    kind: Option<SuspensionKind>,
    /// extend: 1–10 working days.
    working_days: Option<u32>,
    /// decide: true to approve, false to deny.
    approve: Option<bool>,
    /// issue-result: the licence or decision number; generated when absent.
    document_number: Option<String>,
    /// deliver: pickup, express (with address) or online.
    delivery: Option<DeliveryMethod>,
    /// record-visit: what the applicant came for.
    purpose: Option<String>,
    /// record-visit: why a visit beyond the first was needed.
    extra_visit_reason: Option<String>,
}

fn need<T>(value: Option<T>, field: &str, what: &str) -> Result<T, Problem> {
    value.ok_or_else(|| Problem::field(field, format!("required: {what}")))
}

fn command(action: &str, body: ActionRequest) -> Result<CaseCommand, Problem> {
    let reason = || body.reason.clone().unwrap_or_default();
    Ok(match action {
        "start-pre-review" => CaseCommand::StartPreReview,
        "request-supplement" => CaseCommand::RequestSupplement {
            missing: need(
                body.missing.clone(),
                "missing",
                "the keys of every missing material",
            )?,
            note: body.note.clone().unwrap_or_default(),
        },
        "provide-supplement" => CaseCommand::ProvideSupplement {
            materials: need(
                body.materials.clone(),
                "materials",
                "the keys of the materials handed in",
            )?,
        },
        "accept" => CaseCommand::Accept,
        "reject" => CaseCommand::Reject { reason: reason() },
        "start-review" => CaseCommand::StartReview,
        "suspend" => CaseCommand::Suspend {
            kind: need(
                body.kind,
                "kind",
                "supplement, hearing, inspection, testing, expert_review or public_notice",
            )?,
            reason: reason(),
        },
        "resume" => CaseCommand::Resume,
        "extend" => CaseCommand::Extend {
            working_days: need(
                body.working_days,
                "working_days",
                "the number of working days",
            )?,
            reason: reason(),
        },
        "decide" => CaseCommand::Decide {
            approve: need(body.approve, "approve", "true to approve, false to deny")?,
            reason: reason(),
        },
        "issue-result" => CaseCommand::IssueResult {
            document_number: body.document_number.clone(),
        },
        "deliver" => CaseCommand::Deliver {
            method: need(
                body.delivery.clone(),
                "delivery",
                "{\"method\": \"pickup\" | \"express\" | \"online\"}",
            )?,
        },
        "close" => CaseCommand::Close,
        "record-visit" => CaseCommand::RecordVisit {
            purpose: need(
                body.purpose.clone(),
                "purpose",
                "what the applicant came for",
            )?,
            extra_visit_reason: body.extra_visit_reason.clone(),
        },
        other => {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "unknown-action",
                "Unknown action",
                format!(
                    "{other:?} is not an action; actions are start-pre-review, request-supplement, provide-supplement, accept, reject, start-review, suspend, resume, extend, decide, issue-result, deliver, close, record-visit"
                ),
            ));
        }
    })
}

/// The version an `If-Match` header names (`"3"`, `3` or `W/"3"`).
pub(crate) fn expected_version(headers: &HeaderMap) -> Result<u64, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(Problem {
            errors: vec![onewindow_domain::validation::FieldError::new(
                "If-Match",
                "send the case version you based this on (the ETag of the case)",
            )],
            ..Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "if-match-required",
                "If-Match required",
                "a change to a case must carry the version it was based on in If-Match",
            )
        });
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| Problem::bad_request("If-Match", "must be the case version, e.g. \"3\""))
}

/// Take one action on a case: start-pre-review, request-supplement, provide-supplement, accept,
/// reject, start-review, suspend, resume, extend, decide, issue-result, deliver, close,
/// record-visit. Send `If-Match` with the case's version; a stale one gets 409.
#[utoipa::path(post, path = "/cases/{id}/{action}", request_body = ActionRequest,
    params(("id" = String, Path), ("action" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Case), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)))]
async fn case_action(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    // Actions without fields (accept, close …) may come with no body at all.
    let body: ActionRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ActionRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            Problem::bad_request("body", format!("not valid JSON for this action: {e}"))
        })?
    };
    let command = command(&action, body)?;
    let expected = expected_version(&headers)?;
    let case = service.execute(&auth.actor, &id, expected, command).await?;
    let version = case.version;
    Ok(with_etag(Json(case).into_response(), version))
}
