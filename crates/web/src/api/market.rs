//! The online intermediary supermarket (网上中介超市) in the JSON API: the services, the firms'
//! registry and its supervision, needs with sealed quotes and the selection (with the draw anyone
//! can re-run), contracts on their clock with the report, and the department's monitoring.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onewindow_app::Service;
use onewindow_app::files::Upload;
use onewindow_app::market::{
    ContractView, FirmDecision, FirmSummary, MarketMonitor, ProjectMarket,
};
use onewindow_domain::intermediary::{
    Contract, Draw, Firm, FirmStatus, Need, NeedStatus, NewFirm, NewNeed, NewQuote, NewRating,
    SERVICE_TYPES,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, expected_version, with_etag};
use crate::extract::{Auth, MaybeAuth};
use crate::problem::Problem;

type ApiResult<T> = Result<T, Problem>;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(services))
        .routes(routes!(firms, register_firm))
        .routes(routes!(firm, update_firm))
        .routes(routes!(decide_firm))
        .routes(routes!(needs, post_need))
        .routes(routes!(need))
        .routes(routes!(quote))
        .routes(routes!(select))
        .routes(routes!(close_need))
        .routes(routes!(draw))
        .routes(routes!(contracts))
        .routes(routes!(contract))
        .routes(routes!(contract_action))
        .merge(
            // A report is a scanned document up to the file store's limit, more than the API's
            // default body size.
            OpenApiRouter::new().routes(routes!(report, deliver)).layer(
                axum::extract::DefaultBodyLimit::max(
                    onewindow_app::files::MAX_FILE_BYTES + 64 * 1024,
                ),
            ),
        )
        .routes(routes!(monitor))
        .routes(routes!(project_market))
}

/// A service of the market.
#[derive(Debug, Serialize, ToSchema)]
struct ServiceTypeView {
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    /// The report as the approvals' materials name it.
    deliverable: &'static str,
    /// The names the approval plans give the same work.
    plan_work: Vec<&'static str>,
}

/// The services the market trades (中介服务事项), with the report each delivers. Public.
#[utoipa::path(get, path = "/market/services", security(()),
    responses((status = 200, body = Vec<ServiceTypeView>)))]
async fn services() -> Json<Vec<ServiceTypeView>> {
    Json(
        SERVICE_TYPES
            .iter()
            .map(|s| ServiceTypeView {
                code: s.code,
                name: s.name,
                name_en: s.name_en,
                deliverable: s.deliverable,
                plan_work: s.plan_work.to_vec(),
            })
            .collect(),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FirmsQuery {
    /// Only firms of this status (the supervising department sees every status; others see
    /// admitted firms, and a firm its own).
    #[serde(default)]
    status: Option<FirmStatus>,
}

/// The registry (中介机构名录): admitted firms with their ratings, contracts completed and late
/// ones, for anyone; every firm, with the accounts acting for it, for the supervising department.
#[utoipa::path(get, path = "/market/firms", params(FirmsQuery),
    security((), ("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<FirmSummary>), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn firms(
    State(service): State<Service>,
    MaybeAuth(actor): MaybeAuth,
    ApiQuery(q): ApiQuery<FirmsQuery>,
) -> ApiResult<Json<Vec<FirmSummary>>> {
    Ok(Json(service.firms(&actor, q.status).await?))
}

/// Register your firm (入驻): from an intermediary's account, once. USCC validated (422 on
/// `uscc` naming the check character), services among `GET /market/services`, qualifications
/// for those services, served divisions as six-digit codes. 201 with the firm, `pending` until
/// the supervising department admits it. 403 for other accounts; 409 when the account has a
/// firm or the code is registered.
#[utoipa::path(post, path = "/market/firms", request_body = NewFirm,
    responses((status = 201, body = Firm), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn register_firm(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<NewFirm>,
) -> ApiResult<Response> {
    let firm = service.register_firm(&auth.actor, body).await?;
    let version = firm.version;
    Ok(with_etag(
        (StatusCode::CREATED, Json(firm)).into_response(),
        version,
    ))
}

/// One firm, as `GET /market/firms` shows it to you. 404 when there is none you may see.
#[utoipa::path(get, path = "/market/firms/{uscc}", params(("uscc" = String, Path)),
    security((), ("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = FirmSummary), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn firm(
    State(service): State<Service>,
    MaybeAuth(actor): MaybeAuth,
    Path(uscc): Path<String>,
) -> ApiResult<Response> {
    let summary = service.firm(&actor, &uscc).await?;
    let version = summary.firm.version;
    Ok(with_etag(Json(summary).into_response(), version))
}

/// Change your firm's registration (a renewed qualification, a new service, staff, contact);
/// its code and status stay. `If-Match`: the firm's version. 403 for anyone but the firm's
/// accounts.
#[utoipa::path(put, path = "/market/firms/{uscc}", request_body = NewFirm,
    params(("uscc" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Firm), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)))]
async fn update_firm(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(uscc): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewFirm>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers)?;
    let firm = service
        .update_firm(&auth.actor, &uscc, expected, body)
        .await?;
    let version = firm.version;
    Ok(with_etag(Json(firm).into_response(), version))
}

/// What the supervising department decides about a firm.
#[derive(Debug, Deserialize, ToSchema)]
struct FirmDecisionRequest {
    decision: FirmDecision,
    /// Required to suspend or remove; published with the firm.
    #[serde(default)]
    reason: String,
}

/// Admit, suspend or remove a firm: the supervising department (发改局) only. A suspended or
/// removed firm quotes no more, and a selection passes over its quotes. `If-Match`: the firm's
/// version. 409 when the firm's status does not allow it (a removed firm is not admitted).
#[utoipa::path(post, path = "/market/firms/{uscc}/decision", request_body = FirmDecisionRequest,
    params(("uscc" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Firm), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)))]
async fn decide_firm(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(uscc): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<FirmDecisionRequest>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers)?;
    let firm = service
        .decide_firm(&auth.actor, &uscc, expected, body.decision, &body.reason)
        .await?;
    let version = firm.version;
    Ok(with_etag(Json(firm).into_response(), version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct NeedsQuery {
    #[serde(default)]
    status: Option<NeedStatus>,
    /// Only the needs of this project.
    #[serde(default)]
    project: Option<String>,
}

/// Needs (中介服务需求), newest first. Quotes are sealed while a need is open: a firm sees its
/// own, the owner and staff all, anyone else none; once a firm is selected they are published
/// with the result.
#[utoipa::path(get, path = "/market/needs", params(NeedsQuery),
    security((), ("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<Need>), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn needs(
    State(service): State<Service>,
    MaybeAuth(actor): MaybeAuth,
    ApiQuery(q): ApiQuery<NeedsQuery>,
) -> ApiResult<Json<Vec<Need>>> {
    Ok(Json(
        service
            .needs(&actor, q.status, q.project.as_deref())
            .await?,
    ))
}

/// Post a need for a service under your project (the owner, or the agent following it): the
/// ceiling in fen, the last day of quotes, the rule (`lowest_price`, `random_draw`, or
/// `direct_choice` up to 50,000 yuan). The plan's work it does is found from the service, or
/// from `step_key`. 201 with the need. 404 for a project you do not own or follow; 422 naming
/// the field (`service`, `ceiling_fen`, `quote_deadline` in the past, `rule`, `step_key`).
#[utoipa::path(post, path = "/market/needs", request_body = NewNeed,
    responses((status = 201, body = Need), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn post_need(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<NewNeed>,
) -> ApiResult<Response> {
    let need = service.post_need(&auth.actor, body).await?;
    let version = need.version;
    Ok(with_etag(
        (StatusCode::CREATED, Json(need)).into_response(),
        version,
    ))
}

/// One need, as you may see it (quotes sealed while it is open).
#[utoipa::path(get, path = "/market/needs/{id}", params(("id" = String, Path)),
    security((), ("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Need), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn need(
    State(service): State<Service>,
    MaybeAuth(actor): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let need = service.need(&actor, &id).await?;
    let version = need.version;
    Ok(with_etag(Json(need).into_response(), version))
}

/// Quote on a need (报价) for your firm; a second quote replaces the first. The firm must be
/// admitted, offer the service, hold a qualification for it valid today and serve the project's
/// division (else 422 on `firm`, naming why); the price at most the ceiling (422 on
/// `price_fen`), at least one working day (`days`), before the end of the deadline's day (422 on
/// `quote_deadline`). 409 once the need is decided or closed. 201 with the need as the firm sees
/// it.
#[utoipa::path(post, path = "/market/needs/{id}/quotes", request_body = NewQuote,
    params(("id" = String, Path)),
    responses((status = 201, body = Need), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn quote(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewQuote>,
) -> ApiResult<Response> {
    let need = service.quote(&auth.actor, &id, body).await?;
    Ok((StatusCode::CREATED, Json(need)).into_response())
}

/// What the owner selects with.
#[derive(Debug, Default, Deserialize, ToSchema)]
struct SelectRequest {
    /// For a direct choice: the firm (its code) chosen among the quotes.
    #[serde(default)]
    firm: Option<String>,
}

/// The selection and the contract signed on it.
#[derive(Debug, Serialize, ToSchema)]
struct Selected {
    need: Need,
    contract: Contract,
}

/// Select the firm by the need's rule and sign the contract (the owner or its agent): lowest
/// price and draw after the quote deadline (422 on `quote_deadline` before), a direct choice
/// names `firm`. Quotes of firms no longer eligible (suspended, qualification expired) are passed
/// over. A draw records its seed: `GET /market/needs/{id}/draw?seed=…` re-runs it. `If-Match`:
/// the need's version. 201 with the need (quotes published) and the contract.
#[utoipa::path(post, path = "/market/needs/{id}/selection", request_body = SelectRequest,
    params(("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 201, body = Selected), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)))]
async fn select(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body: SelectRequest = if body.iter().all(u8::is_ascii_whitespace) {
        SelectRequest::default()
    } else {
        super::parse_json(&body)
            .map_err(|e| Problem::bad_request("body", format!("not valid JSON: {e}")))?
    };
    let expected = expected_version(&headers)?;
    let (need, contract) = service
        .select_firm(&auth.actor, &id, expected, body.firm)
        .await?;
    Ok((StatusCode::CREATED, Json(Selected { need, contract })).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
struct ReasonRequest {
    reason: String,
}

/// Close an open need without a firm (the owner or its agent), with a reason. `If-Match`: the
/// need's version.
#[utoipa::path(post, path = "/market/needs/{id}/close", request_body = ReasonRequest,
    params(("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Need), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)))]
async fn close_need(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers)?;
    let need = service
        .close_need(&auth.actor, &id, expected, &body.reason)
        .await?;
    let version = need.version;
    Ok(with_etag(Json(need).into_response(), version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DrawQuery {
    /// The seed the draw recorded.
    seed: String,
}

/// Re-run a need's recorded draw (随机抽取复核), for anyone: each firm's number is the SHA-256 of
/// `"<need id>:<seed>:<firm code>"` and the smallest wins, so `printf '%s' "…" | sha256sum`
/// checks it too. 422 on `seed` for any seed but the recorded one; 409 when the need was not
/// decided by a draw.
#[utoipa::path(get, path = "/market/needs/{id}/draw", params(("id" = String, Path), DrawQuery), security(()),
    responses((status = 200, body = Draw), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn draw(
    State(service): State<Service>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DrawQuery>,
) -> ApiResult<Json<Draw>> {
    Ok(Json(service.rerun_draw(&id, &q.seed).await?))
}

/// Your contracts: a firm's own, an owner's (or agent's) projects', every one for staff; each
/// with its clock today (light, due day, days left) and the actions you may take.
#[utoipa::path(get, path = "/market/contracts",
    responses((status = 200, body = Vec<ContractView>), (status = 401, body = Problem)))]
async fn contracts(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<ContractView>>> {
    Ok(Json(service.contracts(&auth.actor).await?))
}

fn contract_response(status: StatusCode, view: ContractView) -> Response {
    let version = view.contract.version;
    with_etag((status, Json(view)).into_response(), version)
}

/// One contract (中介服务合同) for its owner, its firm and staff: the clock (started at the
/// handover, standing while the firm waits on the owner or the owner examines the report), the
/// reports, the rating and complaints. 404 for anyone else.
#[utoipa::path(get, path = "/market/contracts/{id}", params(("id" = String, Path)),
    responses((status = 200, body = ContractView), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn contract(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(contract_response(
        StatusCode::OK,
        service.contract(&auth.actor, &id).await?,
    ))
}

/// What a contract action takes: `reason` for `wait_on_owner` and `return`, `text` for
/// `complain`, the three marks (1–5) and a comment for `rate`; nothing for the others.
#[derive(Debug, Default, Deserialize, ToSchema)]
struct ContractActionRequest {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    timeliness: u32,
    #[serde(default)]
    quality: u32,
    #[serde(default)]
    attitude: u32,
    #[serde(default)]
    comment: String,
}

/// A step of a contract. The owner (or its agent): `hand_over` (the clock starts),
/// `owner_supplied` (the clock runs again), `accept` (the plan's work is done; the project's
/// later applications take the report as a material), `return` (with `reason`), `rate` (after
/// acceptance, once), `complain` (with `text`). The firm: `wait_on_owner` (with `reason`; the
/// clock stands). `If-Match`: the contract's version. 409 when the contract's state does not
/// allow the step; 422 on a missing reason or a mark not 1–5; 404 for an unknown action.
#[utoipa::path(post, path = "/market/contracts/{id}/{action}", request_body = ContractActionRequest,
    params(("id" = String, Path), ("action" = String, Path, description = "hand_over, wait_on_owner, owner_supplied, return, accept, rate, complain"), ("If-Match" = String, Header)),
    responses((status = 200, body = ContractView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)))]
async fn contract_action(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body: ContractActionRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ContractActionRequest::default()
    } else {
        super::parse_json(&body)
            .map_err(|e| Problem::bad_request("body", format!("not valid JSON: {e}")))?
    };
    let known = [
        "hand_over",
        "wait_on_owner",
        "owner_supplied",
        "return",
        "accept",
        "rate",
        "complain",
    ];
    if !known.contains(&action.as_str()) {
        return Err(onewindow_app::AppError::not_found(format!("contract action {action}")).into());
    }
    let expected = expected_version(&headers)?;
    let actor = &auth.actor;
    let view = match action.as_str() {
        "hand_over" => service.hand_over(actor, &id, expected).await?,
        "wait_on_owner" => {
            service
                .wait_on_owner(actor, &id, expected, &body.reason)
                .await?
        }
        "owner_supplied" => service.owner_supplied(actor, &id, expected).await?,
        "return" => {
            service
                .return_report(actor, &id, expected, &body.reason)
                .await?
        }
        "accept" => service.accept_report(actor, &id, expected).await?,
        "rate" => {
            service
                .rate_firm(
                    actor,
                    &id,
                    expected,
                    NewRating {
                        timeliness: mark("timeliness", body.timeliness)?,
                        quality: mark("quality", body.quality)?,
                        attitude: mark("attitude", body.attitude)?,
                        comment: body.comment,
                    },
                )
                .await?
        }
        _ => service.complain(actor, &id, expected, &body.text).await?,
    };
    Ok(contract_response(StatusCode::OK, view))
}

/// A mark of a rating as the domain takes it (1–5); a number past a byte is refused naming it.
fn mark(field: &str, value: u32) -> Result<u8, Problem> {
    u8::try_from(value).map_err(|_| {
        onewindow_app::AppError::invalid(field, format!("{value} is not 1 to 5")).into()
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// The report's number as printed on it.
    number: String,
    title: String,
    /// The file's name, shown to the owner.
    #[serde(default)]
    file_name: Option<String>,
}

/// Hand in the report (提交成果): the firm, while at work; the body is the PDF
/// (sent as `application/pdf` or `application/octet-stream`, at most 10 MB). The clock stands while the owner examines it.
/// `If-Match`: the contract's version. 422 on `file` when the body is not a PDF, on `number` or
/// `title` when empty; 409 when the contract is not at work.
#[utoipa::path(put, path = "/market/contracts/{id}/report",
    request_body(content = String, content_type = "application/octet-stream", description = "the PDF's bytes"),
    params(("id" = String, Path), ReportQuery, ("If-Match" = String, Header)),
    responses((status = 200, body = ContractView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)))]
async fn deliver(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ReportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let expected = expected_version(&headers)?;
    let upload = Upload {
        material_key: "report".into(),
        file_name: q.file_name.unwrap_or_else(|| format!("{id}.pdf")),
        bytes: body.to_vec(),
    };
    let view = service
        .deliver_report(&auth.actor, &id, expected, &q.number, &q.title, upload)
        .await?;
    Ok(contract_response(StatusCode::OK, view))
}

/// The latest report of a contract as the PDF, for its owner, its firm and staff (a reviewer
/// checks the report an application took). Audited.
#[utoipa::path(get, path = "/market/contracts/{id}/report", params(("id" = String, Path)),
    responses((status = 200, description = "application/pdf"), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn report(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (report, bytes) = service.open_report(&auth.actor, &id).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    let ascii: String = report
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The market's monitoring (中介超市监管) for the supervising department and the supervisors:
/// per firm its contracts, on-time rate, days taken against promised, price against ceiling,
/// complaints, rating, overdue now, and why to act on it. 403 for others.
#[utoipa::path(get, path = "/market/monitor",
    responses((status = 200, body = MarketMonitor), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn monitor(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> ApiResult<Json<MarketMonitor>> {
    Ok(Json(service.market_monitor(&auth.actor).await?))
}

/// The market's share of a project you may see: its needs and contracts, and the intermediary
/// working days on the critical path to the construction permit before the market (the plan's
/// typical days) and with it (contracts' days in their place).
#[utoipa::path(get, path = "/projects/{code}/market", params(("code" = String, Path)),
    responses((status = 200, body = ProjectMarket), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn project_market(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<ProjectMarket>> {
    let view = service.project(&auth.actor, &code).await?;
    Ok(Json(
        service.project_market(&auth.actor, &view.project).await?,
    ))
}
