//! Cases: filing, the list, one case, the applicant's personal data, and the actions on a case.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use onewindow_app::Service;
use onewindow_app::service::{CaseDetail, CaseQuery, SubmitCase};
use onewindow_domain::action_fields::{self, ActionFields};
use onewindow_domain::case::{
    Action, Applicant, Case, CaseCommand, CaseEvent, Channel, DeliveryMethod,
};
use onewindow_domain::circulation::TaskAction;
use onewindow_domain::clock::SuspensionKind;
use onewindow_domain::clock::Timeliness;
use onewindow_domain::tolerance::PromiseRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, ApiResult, expected_version, with_etag};
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(submit_case, list_cases))
        .routes(routes!(get_case))
        .routes(routes!(personal_data))
        .routes(routes!(case_action))
}

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
    /// Keys of materials marked committable (可承诺) for which the applicant signs the item's
    /// commitment (告知承诺书) instead of handing them in; the department checks it afterwards.
    #[serde(default)]
    commitments: Vec<String>,
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
    /// Working days left, negative for the working days overdue; absent when `due_on` is. Not
    /// the test of overdue: a case due on a Friday is overdue on the Saturday with 0 here, and
    /// `timeliness` says so.
    working_days_left: Option<i64>,
    /// Where the case stands against its due day today: `on_time` up to the end of the due day,
    /// `overdue` from the first calendar day after it, working day or not.
    timeliness: Option<Timeliness>,
    visit_count: usize,
    /// True while the applicant has come in person at most once.
    at_most_once: bool,
    allowed_actions: Vec<Action>,
    /// For a joint case: what the caller may do to each task, by task key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    task_actions: Vec<(String, Vec<TaskAction>)>,
    /// Commitments of this applicant found false (承诺不实), shown to the staff who accept,
    /// review and decide; absent for everyone else and when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    false_commitments_on_record: Vec<onewindow_app::tolerance::CommitmentEntry>,
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
            working_days_left: d.timeliness.map(Timeliness::signed_working_days),
            timeliness: d.timeliness,
            visit_count: d.visit_count,
            at_most_once: d.at_most_once,
            allowed_actions: d.allowed_actions,
            task_actions: d.task_actions,
            false_commitments_on_record: d.false_commitments_on_record,
        }
    }
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
        commitments: body.commitments,
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
#[into_params(parameter_in = Query)]
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
    /// propose, decide: true to approve, false to deny.
    approve: Option<bool>,
    /// propose: the review opinion (审查意见) the approver decides on.
    opinion: Option<String>,
    /// issue-result: the licence or decision number; generated when absent.
    document_number: Option<String>,
    /// deliver: `{"method": "pickup", "collected_by": {"name", "id_number", "authorised",
    /// "authorisation"}}`: who took the result at the window (express is delivered on the
    /// courier's signature, online on the first download).
    delivery: Option<DeliveryMethod>,
    /// record-visit: what the applicant came for.
    purpose: Option<String>,
    /// record-visit: why a visit beyond the first was needed.
    extra_visit_reason: Option<String>,
    /// record-visit: why the visit is typed in rather than recorded from a ticket the window
    /// serves (`home_visit` or `offline_day`); required, for a visit is counted from tickets.
    exception: Option<onewindow_domain::case::VisitException>,
    /// accept: tolerated materials (容缺) accepted missing, each with the working day the
    /// applicant promises it by: `[{"material": "M03", "by": "2026-12-18"}]`.
    promises: Option<Vec<PromiseRequest>>,
    /// check-commitment: the material whose commitment (告知承诺) was checked.
    material: Option<String>,
    /// check-commitment: true when the commitment proved true, false when it proved false
    /// (then `note` says what was found, and an approval given is revoked).
    truthful: Option<bool>,
}

impl From<ActionRequest> for ActionFields {
    fn from(body: ActionRequest) -> Self {
        ActionFields {
            reason: body.reason,
            missing: body.missing,
            note: body.note,
            materials: body.materials,
            kind: body.kind,
            working_days: body.working_days,
            approve: body.approve,
            opinion: body.opinion,
            document_number: body.document_number,
            delivery: body.delivery,
            purpose: body.purpose,
            extra_visit_reason: body.extra_visit_reason,
            exception: body.exception,
            promises: body.promises,
            material: body.material,
            truthful: body.truthful,
        }
    }
}

/// The command an action name and its body ask for, through the mapping the pages use too.
fn command(action: &str, body: ActionRequest) -> Result<CaseCommand, Problem> {
    let Some(action) = Action::parse(action) else {
        let known: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-action",
            "Unknown action",
            format!(
                "{action:?} is not an action; actions are {}",
                known.join(", ")
            ),
        ));
    };
    action_fields::case_command(action, body.into()).map_err(|e| Problem::field(&e.field, e.reason))
}

/// Take one action on a case: start-pre-review, request-supplement, provide-supplement, accept,
/// reject, start-review, suspend, resume, extend, propose, decide, issue-result, deliver, close,
/// record-visit. An approver decides a case on a reviewer's proposal (`propose` with `approve`
/// and `opinion`) unless its item is decided on the spot; deciding against the proposal needs a
/// `reason`. Send `If-Match` with the case's version; a stale one gets 409.
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
        super::parse_json(&body).map_err(|e| {
            Problem::bad_request("body", format!("not valid JSON for this action: {e}"))
        })?
    };
    let command = command(&action, body)?;
    let expected = expected_version(&headers)?;
    let case = service.execute(&auth.actor, &id, expected, command).await?;
    let version = case.version;
    Ok(with_etag(Json(case).into_response(), version))
}
