//! Evaluation (好差评): rating a case (signed in, by a signed link, or on the window's pad), the
//! rectifications 差评 open, the figures and the export in the provincial field set.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use onewindow_app::Service;
use onewindow_app::evaluation::{CaseRatings, EvaluationFigures, Rated, RatingLink};
use onewindow_domain::evaluation::{
    CallRecord, Complaint, NewComplaint, Rating, RatingInput, RatingPolicy, Rectification,
    RectificationCommand, ReturnVisit,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, expected_version, with_etag};
use crate::extract::{Auth, Source};
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(case_ratings, rate))
        .routes(routes!(rate_at_pad))
        .routes(routes!(rating_link))
        .routes(routes!(rate_by_link))
        .routes(routes!(ratings))
        .routes(routes!(figures))
        .routes(routes!(ranking))
        .routes(routes!(rectifications))
        .routes(routes!(rectification, rectify))
        .routes(routes!(settings, set_settings))
        .routes(routes!(draw_visits))
        .routes(routes!(visits))
        .routes(routes!(record_call))
        .routes(routes!(complaints, record_complaint))
        .routes(routes!(answer_complaint))
}

/// A case's ratings and the rectifications they opened (as the reader may see them), and the
/// stages its applicant may still rate.
#[utoipa::path(get, path = "/cases/{id}/ratings", params(("id" = String, Path, description = "id or receipt number")),
    responses((status = 200, body = CaseRatings), (status = 404, body = Problem)))]
async fn case_ratings(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<Json<CaseRatings>, Problem> {
    Ok(Json(service.case_ratings(&auth.actor, &id).await?))
}

/// Rate a case online (一事一评), its own applicant only: `{"stage": "acceptance" | "decision" |
/// "delivery", "level": 1–5, "answers": {"efficiency": 4, …}, "text": "…", "real_name": true}`.
/// Once per stage, within the policy's days after the stage; a 差评 (level 1 or 2) needs the text
/// and opens a rectification for the department.
#[utoipa::path(post, path = "/cases/{id}/ratings", params(("id" = String, Path, description = "id or receipt number")),
    request_body = RatingInput,
    responses((status = 201, body = Rated), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn rate(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RatingInput>,
) -> Result<(StatusCode, Json<Rated>), Problem> {
    Ok((
        StatusCode::CREATED,
        Json(service.rate_case(&auth.actor, &id, input).await?),
    ))
}

/// What the window's pad sends: the rating and the window it stands at.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PadRating {
    #[serde(flatten)]
    rating: RatingInput,
    /// The window's code in the hall; empty rates the clerk.
    #[serde(default)]
    window: String,
}

/// The rating the applicant gives on the window's pad right after the service (一次一评):
/// the clerk of the case's centre is signed in on the pad; the on-site questions.
#[utoipa::path(post, path = "/cases/{id}/ratings/pad", params(("id" = String, Path, description = "id or receipt number")),
    request_body = PadRating,
    responses((status = 201, body = Rated), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn rate_at_pad(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PadRating>,
) -> Result<(StatusCode, Json<Rated>), Problem> {
    Ok((
        StatusCode::CREATED,
        Json(
            service
                .rate_at_pad(&auth.actor, &id, &body.window, body.rating)
                .await?,
        ),
    ))
}

/// A signed rating link for a message to the applicant (no login needed to use it): the
/// applicant, the case's window or its department.
#[utoipa::path(post, path = "/cases/{id}/rating-link", params(("id" = String, Path, description = "id or receipt number")),
    responses((status = 200, body = RatingLink), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn rating_link(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<Json<RatingLink>, Problem> {
    Ok(Json(service.rating_link(&auth.actor, &id).await?))
}

/// Rate the case a signed link names, without a login. A forged link answers 404, an expired
/// one 409; every refusal is audited.
#[utoipa::path(post, path = "/ratings/link/{token}", params(("token" = String, Path)),
    request_body = RatingInput, security(()),
    responses((status = 201, body = Rated), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn rate_by_link(
    State(service): State<Service>,
    Source(source): Source,
    Path(token): Path<String>,
    ApiJson(input): ApiJson<RatingInput>,
) -> Result<(StatusCode, Json<Rated>), Problem> {
    Ok((
        StatusCode::CREATED,
        Json(service.rate_by_link(&token, input, &source).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The first day (YYYY-MM-DD).
    from: NaiveDate,
    /// The last day, included.
    to: NaiveDate,
    /// One department's code; a department's staff see only their own.
    department: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// One rating in the provincial field set (评价数据), for the export.
struct ExportRow<'a> {
    case_number: &'a str,
    item_code: &'a str,
    item_version: u32,
    item_name: &'a str,
    department: &'a str,
    division: &'a str,
    channel: &'a str,
    stage: &'a str,
    object: String,
    level: u8,
    level_name: &'a str,
    answers: String,
    text: &'a str,
    rated_at: String,
    real_name: bool,
    counted: bool,
}

/// The export's header row: the provincial system's names of the fields.
const EXPORT_HEADER: &str = "case_number,item_code,item_version,item_name,department,division,channel,stage,object,level,level_name,answers,text,rated_at,real_name,counted";

impl ExportRow<'_> {
    fn csv_line(&self) -> String {
        use super::statistics::csv_field as f;
        [
            f(self.case_number),
            f(self.item_code),
            self.item_version.to_string(),
            f(self.item_name),
            f(self.department),
            f(self.division),
            self.channel.to_string(),
            self.stage.to_string(),
            f(&self.object),
            self.level.to_string(),
            self.level_name.to_string(),
            f(&self.answers),
            f(self.text),
            self.rated_at.clone(),
            self.real_name.to_string(),
            self.counted.to_string(),
        ]
        .join(",")
    }
}

fn export_row(r: &Rating) -> ExportRow<'_> {
    ExportRow {
        case_number: &r.case_number,
        item_code: &r.item_code,
        item_version: r.item_version,
        item_name: &r.item_name,
        department: &r.department,
        division: &r.division,
        channel: r.channel.as_str(),
        stage: r.stage.as_str(),
        object: match &r.object {
            onewindow_domain::evaluation::RatedObject::Staff { username } => {
                format!("staff:{username}")
            }
            onewindow_domain::evaluation::RatedObject::Window { centre, window } => {
                format!("window:{centre}/{window}")
            }
            onewindow_domain::evaluation::RatedObject::Hall { centre } => format!("hall:{centre}"),
            onewindow_domain::evaluation::RatedObject::Platform => "platform".into(),
        },
        level: r.level.value(),
        level_name: r.level.name_zh(),
        answers: r
            .answers
            .iter()
            .map(|(k, v)| format!("{}={}", k.as_str(), v.value()))
            .collect::<Vec<_>>()
            .join(";"),
        text: &r.text,
        rated_at: r.rated_at.to_rfc3339(),
        real_name: r.real_name,
        counted: r.counts(),
    }
}

/// The ratings given in a period (JSON, or `format=csv` in the provincial field set: case
/// number, item code and version, department, division, channel, stage, rated object, level,
/// answers, text, time, real name). A department's staff see their own, supervisors all.
#[utoipa::path(get, path = "/ratings", params(PeriodQuery),
    responses((status = 200, body = [Rating]), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn ratings(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, Problem> {
    let ratings = service
        .ratings(&auth.actor, q.from, q.to, q.department.as_deref())
        .await?;
    match q.format.as_deref() {
        None | Some("" | "json") => Ok(Json(ratings).into_response()),
        Some("csv") => {
            let mut text = String::from(EXPORT_HEADER);
            text.push('\n');
            for r in &ratings {
                text.push_str(&export_row(r).csv_line());
                text.push('\n');
            }
            let bytes = text.into_bytes();
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!(
                "attachment; filename=\"ratings-{}-{}.csv\"",
                q.from, q.to
            )) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(response)
        }
        Some(other) => Err(Problem::field(
            "format",
            format!("json or csv, not {other}"),
        )),
    }
}

/// The evaluation figures of a period: ratings, 好评率, 差评, rectifications opened, closed on
/// time, overdue.
#[utoipa::path(get, path = "/ratings/figures", params(PeriodQuery),
    responses((status = 200, body = EvaluationFigures), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn figures(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<EvaluationFigures>, Problem> {
    Ok(Json(
        service
            .evaluation_figures(&auth.actor, q.from, q.to, q.department.as_deref())
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SinceQuery {
    /// Opened on or after this day (YYYY-MM-DD); open ones are always listed. Default: 90 days
    /// ago.
    from: Option<NaiveDate>,
}

/// The rectifications 差评 opened: a department's own, or all for supervisors; open ones always.
#[utoipa::path(get, path = "/rectifications", params(SinceQuery),
    responses((status = 200, body = [Rectification]), (status = 403, body = Problem)))]
async fn rectifications(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> Result<Json<Vec<Rectification>>, Problem> {
    let from = q
        .from
        .unwrap_or_else(|| service.today() - chrono::Duration::days(90));
    Ok(Json(service.rectifications(&auth.actor, from).await?))
}

/// A rectification and the rating that opened it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RectificationView {
    rectification: Rectification,
    /// The rating that opened it; absent when a return visit's follow-up opened it.
    rating: Option<Rating>,
}

/// One rectification with its rating, for its department, supervisors and the applicant.
#[utoipa::path(get, path = "/rectifications/{id}", params(("id" = String, Path)),
    responses((status = 200, body = RectificationView), (status = 404, body = Problem)))]
async fn rectification(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let (rectification, rating) = service.rectification(&auth.actor, &id).await?;
    let version = rectification.version;
    Ok(with_etag(
        Json(RectificationView {
            rectification,
            rating,
        })
        .into_response(),
        version,
    ))
}

/// A step of a rectification, with `If-Match: "<version>"`: `{"action": "verify", "note"}`,
/// `{"action": "resolve", "outcome": {"kind": "fixed", "measures"} | {"kind": "ledger",
/// "measures", "deadline"} | {"kind": "explained", "explanation"}}`, `{"action": "appeal",
/// "reason"}` (the department); `{"action": "decide_appeal", "upheld", "reason"}` (a
/// supervisor); `{"action": "give_feedback", "feedback": "satisfied" | "basically_satisfied" |
/// "dissatisfied"}` (the applicant, once it is closed).
#[utoipa::path(post, path = "/rectifications/{id}", params(("id" = String, Path)),
    request_body = RectificationCommand,
    responses((status = 200, body = Rectification), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
async fn rectify(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(command): ApiJson<RectificationCommand>,
) -> Result<Response, Problem> {
    let expected = expected_version(&headers)?;
    let next = service.rectify(&auth.actor, &id, expected, command).await?;
    let version = next.version;
    Ok(with_etag(Json(next).into_response(), version))
}

/// The county's rating policy: days to rate online and on site, the rectification limit in
/// working days, how long a link lasts.
#[utoipa::path(get, path = "/evaluation/settings",
    responses((status = 200, body = RatingPolicy)))]
async fn settings(
    State(service): State<Service>,
    Auth(_auth): Auth,
) -> Result<Json<RatingPolicy>, Problem> {
    Ok(Json(service.evaluation_policy().await?))
}

/// Set the rating policy (administrators).
#[utoipa::path(put, path = "/evaluation/settings", request_body = RatingPolicy,
    responses((status = 200, body = RatingPolicy), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn set_settings(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(policy): ApiJson<RatingPolicy>,
) -> Result<Json<RatingPolicy>, Problem> {
    Ok(Json(
        service.set_evaluation_policy(&auth.actor, policy).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// The month, YYYY-MM.
    month: String,
}

/// How many visits a draw added.
#[derive(Debug, Serialize, ToSchema)]
pub struct Drawn {
    added: usize,
}

/// Draw a month's return-visit worklist (回访抽样): the policy's share of each department's
/// cases decided in the month (a stable draw), and every real-name 差评 of the month. Drawing
/// again adds only what is new. Operators and supervisors.
#[utoipa::path(post, path = "/return-visits/draw", params(MonthQuery),
    responses((status = 200, body = Drawn), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn draw_visits(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<Drawn>, Problem> {
    Ok(Json(Drawn {
        added: service.draw_return_visits(&auth.actor, &q.month).await?,
    }))
}

/// A month's worklist, pending visits first. Operators and supervisors.
#[utoipa::path(get, path = "/return-visits", params(MonthQuery),
    responses((status = 200, body = [ReturnVisit]), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn visits(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<Vec<ReturnVisit>>, Problem> {
    Ok(Json(service.return_visits(&auth.actor, &q.month).await?))
}

/// Record a call of a return visit, with `If-Match`: `{"reached": false}` (the third ends it as
/// not reached), or `{"reached": true, "satisfied": bool, "reasons", "follow_up"?}` (an
/// unsatisfied answer says why; with a follow-up it opens a rectification for the department).
/// The operators only; the phone number comes from the audited `GET /cases/{id}/personal-data`.
#[utoipa::path(post, path = "/return-visits/{id}/calls", params(("id" = String, Path)),
    request_body = CallRecord,
    responses((status = 200, body = ReturnVisit), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
async fn record_call(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(call): ApiJson<CallRecord>,
) -> Result<Response, Problem> {
    let expected = expected_version(&headers)?;
    let next = service
        .record_call(&auth.actor, &id, expected, call)
        .await?;
    let version = next.version;
    Ok(with_etag(Json(next).into_response(), version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintsQuery {
    /// Received on or after (YYYY-MM-DD); default 90 days ago. Unanswered ones always show.
    from: Option<NaiveDate>,
    /// Received on or before; default today.
    to: Option<NaiveDate>,
}

/// Complaints received in a period or unanswered: supervisors all, a department's staff theirs.
#[utoipa::path(get, path = "/complaints", params(ComplaintsQuery),
    responses((status = 200, body = [Complaint]), (status = 403, body = Problem)))]
async fn complaints(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<ComplaintsQuery>,
) -> Result<Json<Vec<Complaint>>, Problem> {
    let today = service.today();
    let from = q.from.unwrap_or(today - chrono::Duration::days(90));
    let to = q.to.unwrap_or(today);
    Ok(Json(service.complaints(&auth.actor, from, to).await?))
}

/// Record a complaint (投诉): `{"source": "hotline" | "hall", "ticket"?, "against": {"kind":
/// "case", "number"} | {"kind": "window", "centre", "window"} | {"kind": "staff", "username"} |
/// {"kind": "department", "code"}, "department", "centre"?, "text"}`; due in five working days.
/// Supervisors and the window.
#[utoipa::path(post, path = "/complaints", request_body = NewComplaint,
    responses((status = 201, body = Complaint), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn record_complaint(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(new): ApiJson<NewComplaint>,
) -> Result<(StatusCode, Json<Complaint>), Problem> {
    Ok((
        StatusCode::CREATED,
        Json(service.record_complaint(&auth.actor, new).await?),
    ))
}

/// The department's answer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ComplaintAnswerBody {
    text: String,
    /// Found justified (有效投诉): it counts against the unit in the assessment.
    justified: bool,
}

/// Answer a complaint, once, with `If-Match`: its department's staff or a supervisor.
#[utoipa::path(post, path = "/complaints/{id}/answer", params(("id" = String, Path)),
    request_body = ComplaintAnswerBody,
    responses((status = 200, body = Complaint), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)))]
async fn answer_complaint(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ComplaintAnswerBody>,
) -> Result<Response, Problem> {
    let expected = expected_version(&headers)?;
    let next = service
        .answer_complaint(&auth.actor, &id, expected, &body.text, body.justified)
        .await?;
    let version = next.version;
    Ok(with_etag(Json(next).into_response(), version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// department, window or staff.
    unit: String,
    from: NaiveDate,
    to: NaiveDate,
}

/// The ranking of departments, windows (rated on their pads) or staff by the ratings of a
/// period: good rate, then mean level, then more ratings.
#[utoipa::path(get, path = "/ratings/ranking", params(RankingQuery),
    responses((status = 200, body = [onewindow_domain::evaluation::RatingRank]), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn ranking(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> Result<Json<Vec<onewindow_domain::evaluation::RatingRank>>, Problem> {
    use onewindow_domain::evaluation::RatingUnit;
    let unit = match q.unit.as_str() {
        "department" => RatingUnit::Department,
        "window" => RatingUnit::Window,
        "staff" => RatingUnit::Staff,
        _ => return Err(Problem::field("unit", "department, window or staff")),
    };
    Ok(Json(
        service
            .rating_ranking(&auth.actor, unit, q.from, q.to)
            .await?,
    ))
}
