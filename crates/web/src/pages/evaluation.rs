//! 好差评 in the pages: the applicant's rating on the case page, the page a signed rating link
//! opens (no login), the window's rating pad (一次一评, a tablet at the counter), and the
//! departments' and supervisors' rectification desk. Every rule is the service's.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use onewindow_app::evaluation::{CaseRatings, EvaluationFigures};
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::evaluation::{
    Outcome, Rating, RatingChannel, RatingInput, RatingStage, Rectification, RectificationCommand,
    RectificationState, RectificationStepKind,
};
use onewindow_domain::validation::FieldError;

use super::case_view::FormFields;
use super::page_error::PageResult;
use super::{Chrome, PageCtx, encode_query_value, render, see_other};
use crate::i18n::Messages;

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/rate/{token}", get(link_page).post(rate_by_link))
        .route("/r/{code}", get(invitation))
        .route("/window/cases/{id}/pad", get(pad_page).post(rate_at_pad))
        .route("/evaluation", get(desk))
        .route(
            "/evaluation/rectifications/{id}",
            get(rectification_page).post(rectify),
        )
        .route(
            "/evaluation/complaints",
            get(complaints_page).post(record_complaint),
        )
        .route(
            "/evaluation/complaints/{id}/answer",
            axum::routing::post(answer_complaint),
        )
        .route("/return-visits", get(visits_page))
        .route("/return-visits/draw", axum::routing::post(draw_visits))
        .route("/return-visits/{id}/call", axum::routing::post(record_call))
        .route(
            "/return-visits/{id}/phone",
            axum::routing::post(reveal_phone),
        )
}

// ---- the rating form --------------------------------------------------------------------------

/// One choice of a select or a group of radios.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The rating form as drawn or sent back: the stages open, the five levels, the channel's
/// questions, the text, and what was wrong.
#[derive(Debug, Clone, Default)]
pub struct RatingForm {
    pub action: String,
    pub stages: Vec<Choice>,
    pub levels: Vec<Choice>,
    /// Each question with its five answers.
    pub questions: Vec<(String, String, Vec<Choice>)>,
    pub text: String,
    pub real_name: bool,
    /// Shown on the pad: which window.
    pub window: Option<String>,
    pub errors: Vec<String>,
    pub level_error: Option<String>,
    pub text_error: Option<String>,
}

fn stage_key(stage: RatingStage) -> &'static str {
    match stage {
        RatingStage::Acceptance => "evaluation-stage-acceptance",
        RatingStage::Decision => "evaluation-stage-decision",
        RatingStage::Delivery => "evaluation-stage-delivery",
    }
}

fn level_key(level: u8) -> &'static str {
    match level {
        5 => "evaluation-level-5",
        4 => "evaluation-level-4",
        3 => "evaluation-level-3",
        2 => "evaluation-level-2",
        _ => "evaluation-level-1",
    }
}

/// A new form for `channel` over the open `stages`, posting to `action`.
pub fn rating_form(
    t: &Messages,
    action: String,
    stages: &[RatingStage],
    channel: RatingChannel,
    posted: Option<&FormFields>,
) -> RatingForm {
    let value = |name: &str| posted.map_or("", |f| f.value(name)).to_string();
    let stage_sent = value("stage");
    let level_sent = value("level");
    RatingForm {
        action,
        stages: stages
            .iter()
            .enumerate()
            .map(|(i, s)| Choice {
                value: s.as_str().to_string(),
                label: t.get(stage_key(*s)).to_string(),
                selected: stage_sent == s.as_str()
                    || (stage_sent.is_empty() && i + 1 == stages.len()),
            })
            .collect(),
        levels: (1..=5u8)
            .rev()
            .map(|l| Choice {
                value: l.to_string(),
                label: t.get(level_key(l)).to_string(),
                selected: level_sent == l.to_string(),
            })
            .collect(),
        questions: channel
            .indicators()
            .iter()
            .filter(|i| **i != onewindow_domain::evaluation::Indicator::Overall)
            .map(|i| {
                let sent = value(&format!("q_{}", i.as_str()));
                (
                    format!("q_{}", i.as_str()),
                    t.get(&format!("evaluation-q-{}", i.as_str())).to_string(),
                    (1..=5u8)
                        .rev()
                        .map(|l| Choice {
                            value: l.to_string(),
                            label: t.get(level_key(l)).to_string(),
                            selected: sent == l.to_string(),
                        })
                        .collect(),
                )
            })
            .collect(),
        text: value("text"),
        real_name: posted.is_none_or(|f| !f.value("real_name").is_empty()),
        window: None,
        errors: Vec::new(),
        level_error: None,
        text_error: None,
    }
}

/// The input a posted form carries (the level 0 when none was chosen, which the service names).
pub(crate) fn rating_input(form: &FormFields) -> RatingInput {
    let stage = RatingStage::ALL
        .into_iter()
        .find(|s| s.as_str() == form.value("stage"))
        .unwrap_or(RatingStage::Decision);
    RatingInput {
        stage,
        level: form.value("level").parse().unwrap_or(0i64),
        answers: form
            .0
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix("q_")?;
                v.parse::<i64>().ok().map(|v| (key.to_string(), v))
            })
            .collect(),
        text: form.value("text").trim().to_string(),
        real_name: !form.value("real_name").is_empty(),
    }
}

/// Puts a refusal (invalid input, or not now) on the form.
pub(crate) fn place_error(t: &Messages, form: &mut RatingForm, e: AppError) {
    match e {
        AppError::Invalid(errors) => {
            for FieldError { field, reason } in errors {
                match field.as_str() {
                    "level" => form.level_error = Some(t.get("evaluation-error-level").to_string()),
                    "text" if reason.contains("差评") => {
                        form.text_error = Some(t.get("evaluation-error-text-bad").to_string())
                    }
                    _ => form
                        .errors
                        .push(t.fill1("evaluation-error-other", "reason", reason)),
                }
            }
        }
        other => form
            .errors
            .push(t.fill1("evaluation-error-not-now", "reason", other.to_string())),
    }
}

// ---- the applicant's case page ---------------------------------------------------------------

/// The rating panel of the applicant's case page.
#[derive(Debug, Clone, Default)]
pub struct RatingPanel {
    /// The ratings given, in words.
    pub given: Vec<String>,
    pub form: Option<RatingForm>,
    /// Each rectification: its state in words, and the feedback form when it may be rated.
    pub rectifications: Vec<RectificationLine>,
}

#[derive(Debug, Clone)]
pub struct RectificationLine {
    pub text: String,
    pub feedback_action: Option<String>,
}

fn given_text(t: &Messages, r: &Rating) -> String {
    let mut text = t.fill(
        "evaluation-given",
        &[
            ("stage", t.get(stage_key(r.stage))),
            ("level", t.get(level_key(r.level.value()))),
            ("date", &t.time(&r.rated_at)),
        ],
    );
    if !r.text.is_empty() {
        text.push_str(&format!("：{}", r.text));
    }
    text
}

fn rectification_text(t: &Messages, r: &Rectification) -> String {
    let state = t
        .get(&format!("evaluation-rect-{}", r.state.as_str()))
        .to_string();
    let outcome = match &r.outcome {
        Some(Outcome::Fixed { measures }) => t.fill1("evaluation-outcome-fixed", "text", measures),
        Some(Outcome::Ledger { measures, deadline }) => t.fill(
            "evaluation-outcome-ledger",
            &[("text", measures), ("date", &t.date(deadline))],
        ),
        Some(Outcome::Explained { explanation }) => {
            t.fill1("evaluation-outcome-explained", "text", explanation)
        }
        Some(Outcome::AppealUpheld { reason }) => {
            t.fill1("evaluation-outcome-appeal", "text", reason)
        }
        None => t.fill1("evaluation-rect-due", "date", t.date(&r.due_on)),
    };
    format!("{state} · {outcome}")
}

/// The panel from the case's ratings, for its applicant.
pub fn rating_panel(t: &Messages, case_id: &str, ratings: &CaseRatings) -> RatingPanel {
    let base = format!("/my/cases/{}", encode_query_value(case_id));
    RatingPanel {
        given: ratings.ratings.iter().map(|r| given_text(t, r)).collect(),
        form: (!ratings.open_stages.is_empty()).then(|| {
            rating_form(
                t,
                format!("{base}/rating"),
                &ratings.open_stages,
                RatingChannel::Online,
                None,
            )
        }),
        rectifications: ratings
            .rectifications
            .iter()
            .map(|r| RectificationLine {
                text: rectification_text(t, r),
                feedback_action: r.may(RectificationStepKind::GiveFeedback).then(|| {
                    format!(
                        "{base}/rectifications/{}/feedback?version={}",
                        encode_query_value(&r.id),
                        r.version
                    )
                }),
            })
            .collect(),
    }
}

// ---- the rating link ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "evaluation/rate.html")]
struct RatePage {
    chrome: Chrome,
    heading: String,
    lead: String,
    given: Vec<String>,
    form: Option<RatingForm>,
    thanks: bool,
}

/// The short link of an SMS invitation to rate: on to the signed rating page.
async fn invitation(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(code): Path<String>,
) -> Response {
    match service.rating_invitation(&code).await {
        Ok(link) => Redirect::to(&link.path).into_response(),
        Err(AppError::Conflict(_)) => ctx
            .error(StatusCode::GONE, "evaluation-link-expired")
            .into_response(),
        Err(e) => ctx.app_error(e).into_response(),
    }
}

async fn link_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(token): Path<String>,
) -> PageResult {
    let t = ctx.chrome.t;
    match service.linked_case(&token).await {
        Ok(linked) => Ok(render(&RatePage {
            chrome: ctx.chrome.clone(),
            heading: linked.item_name.clone(),
            lead: t.fill1("evaluation-link-lead", "number", &linked.case_number),
            given: linked.ratings.iter().map(|r| given_text(t, r)).collect(),
            form: (!linked.open_stages.is_empty()).then(|| {
                rating_form(
                    t,
                    format!("/rate/{token}"),
                    &linked.open_stages,
                    RatingChannel::Online,
                    None,
                )
            }),
            thanks: false,
        })),
        Err(AppError::Conflict(_)) => Ok(ctx.error(StatusCode::GONE, "evaluation-link-expired")),
        Err(e) => Ok(ctx.app_error(e)),
    }
}

async fn rate_by_link(
    State(service): State<Service>,
    ctx: PageCtx,
    crate::extract::Source(source): crate::extract::Source,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    // The token in the address is the secret that allows this: no session, no CSRF token.
    let form = FormFields(pairs);
    let t = ctx.chrome.t;
    let linked = match service.linked_case(&token).await {
        Ok(l) => l,
        Err(AppError::Conflict(_)) => {
            return Ok(ctx.error(StatusCode::GONE, "evaluation-link-expired"));
        }
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let mut page = RatePage {
        chrome: ctx.chrome.clone(),
        heading: linked.item_name.clone(),
        lead: t.fill1("evaluation-link-lead", "number", &linked.case_number),
        given: Vec::new(),
        form: None,
        thanks: false,
    };
    match service
        .rate_by_link(&token, rating_input(&form), &source)
        .await
    {
        Ok(_) => {
            page.thanks = true;
            Ok(render(&page))
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let mut rating_form = rating_form(
                t,
                format!("/rate/{token}"),
                &linked.open_stages,
                RatingChannel::Online,
                Some(&form),
            );
            place_error(t, &mut rating_form, e);
            page.form = Some(rating_form);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

// ---- the window's pad --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "evaluation/pad.html")]
struct PadPage {
    chrome: Chrome,
    number: String,
    item_name: String,
    form: Option<RatingForm>,
    thanks: bool,
    back: String,
}

async fn pad_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<PadQuery>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let stages = service
        .pad_stages(&session.actor, &id)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let detail = service
        .case(&session.actor, &id)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let number = detail.case.number.clone();
    let mut form = (!stages.is_empty()).then(|| {
        rating_form(
            ctx.chrome.t,
            format!("/window/cases/{}/pad", encode_query_value(&number)),
            &stages,
            RatingChannel::OnSite,
            None,
        )
    });
    if let Some(f) = form.as_mut() {
        f.window = Some(q.window.clone().unwrap_or_default());
    }
    Ok(render(&PadPage {
        chrome: ctx.chrome.clone(),
        item_name: detail.case.item_name.clone(),
        back: format!("/window/cases/{}", encode_query_value(&number)),
        number,
        form,
        thanks: q.done.is_some(),
    }))
}

#[derive(Debug, serde::Deserialize, Default)]
struct PadQuery {
    window: Option<String>,
    done: Option<String>,
}

async fn rate_at_pad(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let t = ctx.chrome.t;
    match service
        .rate_at_pad(
            &session.actor,
            &id,
            form.value("window"),
            rating_input(&form),
        )
        .await
    {
        Ok(rated) => Ok(see_other(&format!(
            "/window/cases/{}/pad?done=1",
            encode_query_value(&rated.rating.case_number)
        ))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let stages = service
                .pad_stages(&session.actor, &id)
                .await
                .map_err(|e| ctx.app_error(e))?;
            let detail = service
                .case(&session.actor, &id)
                .await
                .map_err(|e| ctx.app_error(e))?;
            let number = detail.case.number.clone();
            let mut rating_form = rating_form(
                t,
                format!("/window/cases/{}/pad", encode_query_value(&number)),
                &stages,
                RatingChannel::OnSite,
                Some(&form),
            );
            rating_form.window = Some(form.value("window").to_string());
            place_error(t, &mut rating_form, e);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&PadPage {
                    chrome: ctx.chrome.clone(),
                    item_name: detail.case.item_name.clone(),
                    back: format!("/window/cases/{}", encode_query_value(&number)),
                    number,
                    form: Some(rating_form),
                    thanks: false,
                }),
            )
                .into_response())
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

// ---- the rectification desk --------------------------------------------------------------------

const STAFF: &[Role] = &[Role::Reviewer, Role::Approver, Role::Supervisor];

struct DeskRow {
    href: String,
    case_number: String,
    department: String,
    opened: String,
    due: String,
    state: String,
    tone: &'static str,
}

#[derive(Template)]
#[template(path = "evaluation/desk.html")]
struct DeskPage {
    chrome: Chrome,
    rows: Vec<DeskRow>,
    figures: Vec<(String, String)>,
    /// The last 30 days' ranking of windows and of staff by their ratings (title, rows).
    rankings: Vec<(String, Vec<Vec<String>>)>,
}

fn figure_lines(t: &Messages, f: &EvaluationFigures) -> Vec<(String, String)> {
    let ratio = |r: &onewindow_domain::figures::Ratio| {
        format!("{:.2}% ({} / {})", r.percent(), r.numerator, r.denominator)
    };
    vec![
        (
            t.get("evaluation-fig-ratings").to_string(),
            f.ratings.to_string(),
        ),
        (
            t.get("evaluation-fig-good-rate").to_string(),
            ratio(&f.good_rate),
        ),
        (t.get("evaluation-fig-bad").to_string(), f.bad.to_string()),
        (
            t.get("evaluation-fig-opened").to_string(),
            f.rectifications_opened.to_string(),
        ),
        (
            t.get("evaluation-fig-on-time").to_string(),
            ratio(&f.rectified_on_time),
        ),
        (
            t.get("evaluation-fig-overdue").to_string(),
            f.rectifications_overdue.to_string(),
        ),
    ]
}

async fn desk(State(service): State<Service>, ctx: PageCtx) -> PageResult {
    let session = ctx.require_role(STAFF)?;
    let t = ctx.chrome.t;
    let today = service.today();
    let from = today - chrono::Duration::days(90);
    // One read of the rectifications (the last 90 days and every open one) and one of the last
    // 30 days' ratings: the figures and the rankings are the domain's sums over them.
    let list = service
        .rectifications(&session.actor, from)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let month_ago = today - chrono::Duration::days(29);
    let ratings = service
        .ratings(&session.actor, month_ago, today, None)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let figures = onewindow_app::evaluation::evaluation_figures(&ratings, &list, month_ago, today);
    let departments = service.departments().await.unwrap_or_default();
    let rows = list
        .iter()
        .map(|r| DeskRow {
            href: format!("/evaluation/rectifications/{}", encode_query_value(&r.id)),
            case_number: r.case_number.clone(),
            department: super::case_view::department_name(t, &departments, &r.department),
            opened: t.date(&r.opened_on),
            due: t.date(&r.due_on),
            state: t
                .get(&format!("evaluation-rect-{}", r.state.as_str()))
                .to_string(),
            tone: if r.is_overdue(today) {
                "bad"
            } else if r.state == RectificationState::Closed {
                "ok"
            } else {
                "warn"
            },
        })
        .collect();
    let mut rankings = Vec::new();
    for (unit, title) in [
        (
            onewindow_domain::evaluation::RatingUnit::Window,
            "evaluation-ranking-windows",
        ),
        (
            onewindow_domain::evaluation::RatingUnit::Staff,
            "evaluation-ranking-staff",
        ),
    ] {
        let ranked = onewindow_domain::evaluation::rank_ratings(&ratings, unit);
        rankings.push((
            t.get(title).to_string(),
            ranked
                .iter()
                .map(|r| {
                    vec![
                        r.rank.to_string(),
                        r.unit.clone(),
                        r.ratings.to_string(),
                        format!("{:.2}%", r.good_rate.percent()),
                        format!("{:.2}", r.average_centi as f64 / 100.0),
                        r.bad.to_string(),
                    ]
                })
                .collect(),
        ));
    }
    Ok(render(&DeskPage {
        chrome: ctx.chrome.clone(),
        rows,
        figures: figure_lines(t, &figures),
        rankings,
    }))
}

#[derive(Template)]
#[template(path = "evaluation/rectification.html")]
struct RectificationPage {
    chrome: Chrome,
    id: String,
    version: u64,
    case_number: String,
    rating: String,
    state: String,
    history: Vec<String>,
    /// The department's forms: verify (open), resolve (verified), appeal (open or verified).
    may_verify: bool,
    may_resolve: bool,
    may_appeal: bool,
    /// The supervisor's form.
    may_decide: bool,
    error: Option<String>,
}

async fn rectification_view(
    service: &Service,
    ctx: &PageCtx,
    id: &str,
    error: Option<String>,
) -> Result<RectificationPage, axum::response::Response> {
    let session = ctx.require_role(STAFF)?;
    let t = ctx.chrome.t;
    let (r, rating) = service
        .rectification(&session.actor, id)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let who = &session.actor.principal;
    let staff = who
        .departments_for(&[Role::Reviewer, Role::Approver])
        .any(|d| d == r.department);
    let supervisor = who.has_role(Role::Supervisor);
    Ok(RectificationPage {
        chrome: ctx.chrome.clone(),
        id: r.id.clone(),
        version: r.version,
        case_number: r.case_number.clone(),
        rating: rating.as_ref().map_or_else(
            || t.get("evaluation-from-visit").to_string(),
            |rating| given_text(t, rating),
        ),
        state: rectification_text(t, &r),
        history: r
            .history
            .iter()
            .map(|s| {
                format!(
                    "{} {} {}",
                    t.time(&s.at),
                    s.by,
                    serde_json::to_string(&s.command).unwrap_or_default()
                )
            })
            .collect(),
        may_verify: staff && r.may(RectificationStepKind::Verify),
        may_resolve: staff && r.may(RectificationStepKind::Resolve),
        may_appeal: staff && r.may(RectificationStepKind::Appeal),
        may_decide: supervisor && r.may(RectificationStepKind::DecideAppeal),
        error,
    })
}

async fn rectification_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> PageResult {
    match rectification_view(&service, &ctx, &id, None).await {
        Ok(page) => Ok(render(&page)),
        Err(response) => Ok(response),
    }
}

async fn rectify(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(STAFF)?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let t = ctx.chrome.t;
    let text = |name: &str| form.value(name).trim().to_string();
    let command = match form.value("action") {
        "verify" => RectificationCommand::Verify { note: text("note") },
        "resolve" => RectificationCommand::Resolve {
            outcome: match form.value("kind") {
                "ledger" => Outcome::Ledger {
                    measures: text("note"),
                    deadline: chrono::NaiveDate::parse_from_str(form.value("deadline"), "%Y-%m-%d")
                        .unwrap_or_else(|_| service.today()),
                },
                "explained" => Outcome::Explained {
                    explanation: text("note"),
                },
                _ => Outcome::Fixed {
                    measures: text("note"),
                },
            },
        },
        "appeal" => RectificationCommand::Appeal {
            reason: text("note"),
        },
        "decide_appeal" => RectificationCommand::DecideAppeal {
            upheld: form.value("upheld") == "yes",
            reason: text("note"),
        },
        _ => return Ok(ctx.error(StatusCode::BAD_REQUEST, "common-error-not-found")),
    };
    let version = form.value("version").parse().unwrap_or(0);
    match service.rectify(&session.actor, &id, version, command).await {
        Ok(_) => Ok(see_other(&format!(
            "/evaluation/rectifications/{}?done=1",
            encode_query_value(&id)
        ))),
        Err(
            e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::VersionConflict { .. }),
        ) => {
            let message = match &e {
                AppError::Invalid(errors) => t.fill1(
                    "evaluation-error-other",
                    "reason",
                    errors
                        .iter()
                        .map(|f| f.reason.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                other => t.fill1("evaluation-error-not-now", "reason", other.to_string()),
            };
            match rectification_view(&service, &ctx, &id, Some(message)).await {
                Ok(page) => Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()),
                Err(response) => Ok(response),
            }
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

// ---- the return-visit worklist (回访) ----------------------------------------------------------

const OPERATORS: &[Role] = &[Role::ReturnVisitOperator, Role::Supervisor];

struct VisitRow {
    id: String,
    version: u64,
    case_number: String,
    department: String,
    reason: String,
    state: String,
    tone: &'static str,
    attempts: usize,
    pending: bool,
    phone: Option<String>,
}

#[derive(Template)]
#[template(path = "evaluation/visits.html")]
struct VisitsPage {
    chrome: Chrome,
    month: String,
    rows: Vec<VisitRow>,
    operator: bool,
    notice: Option<String>,
}

#[derive(Debug, serde::Deserialize, Default)]
struct MonthQuery {
    month: Option<String>,
    added: Option<usize>,
}

async fn visits_view(
    service: &Service,
    ctx: &PageCtx,
    month: &str,
    phone: Option<(String, String)>,
    notice: Option<String>,
) -> PageResult {
    let session = ctx.require_role(OPERATORS)?;
    let t = ctx.chrome.t;
    let visits = match service.return_visits(&session.actor, month).await {
        Ok(v) => v,
        Err(AppError::Invalid(_)) => {
            return Ok(ctx.error(StatusCode::UNPROCESSABLE_ENTITY, "evaluation-bad-month"));
        }
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let departments = service.departments().await.unwrap_or_default();
    let rows = visits
        .iter()
        .map(|v| {
            use onewindow_domain::evaluation::{VisitReason, VisitState};
            let (state, tone) = match &v.state {
                VisitState::Pending => (t.get("evaluation-visit-pending").to_string(), "warn"),
                VisitState::NotReached => (t.get("evaluation-visit-not-reached").to_string(), ""),
                VisitState::Reached {
                    satisfied: true, ..
                } => (t.get("evaluation-visit-satisfied").to_string(), "ok"),
                VisitState::Reached { reasons, .. } => (
                    t.fill1("evaluation-visit-unsatisfied", "reasons", reasons),
                    "bad",
                ),
            };
            VisitRow {
                id: v.id.clone(),
                version: v.version,
                case_number: v.case_number.clone(),
                department: super::case_view::department_name(t, &departments, &v.department),
                reason: t
                    .get(match v.reason {
                        VisitReason::Sampled => "evaluation-visit-sampled",
                        VisitReason::BadRating { .. } => "evaluation-visit-bad-rating",
                    })
                    .to_string(),
                state,
                tone,
                attempts: v.attempts.len(),
                pending: v.is_pending(),
                phone: phone
                    .as_ref()
                    .filter(|(id, _)| *id == v.id)
                    .map(|(_, p)| p.clone()),
            }
        })
        .collect();
    Ok(render(&VisitsPage {
        chrome: ctx.chrome.clone(),
        month: month.to_string(),
        rows,
        operator: session.actor.principal.has_role(Role::ReturnVisitOperator),
        notice,
    }))
}

async fn visits_page(
    State(service): State<Service>,
    ctx: PageCtx,
    axum::extract::Query(q): axum::extract::Query<MonthQuery>,
) -> PageResult {
    let month = q
        .month
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| service.today().format("%Y-%m").to_string());
    let notice = q.added.map(|n| {
        ctx.chrome
            .t
            .fill1("evaluation-visits-added", "n", n.to_string())
    });
    visits_view(&service, &ctx, &month, None, notice).await
}

async fn draw_visits(
    State(service): State<Service>,
    ctx: PageCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(OPERATORS)?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let month = form.value("month").trim().to_string();
    match service.draw_return_visits(&session.actor, &month).await {
        Ok(n) => Ok(see_other(&format!(
            "/return-visits?month={}&added={n}",
            encode_query_value(&month)
        ))),
        Err(AppError::Invalid(_)) => {
            Ok(ctx.error(StatusCode::UNPROCESSABLE_ENTITY, "evaluation-bad-month"))
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

async fn record_call(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::ReturnVisitOperator])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let t = ctx.chrome.t;
    let reached = form.value("reached") == "yes";
    let call = onewindow_domain::evaluation::CallRecord {
        reached,
        satisfied: reached.then(|| form.value("satisfied") == "yes"),
        reasons: form.value("reasons").trim().to_string(),
        follow_up: form.text("follow_up"),
    };
    let month = form.value("month").to_string();
    let version = form.value("version").parse().unwrap_or(0);
    match service
        .record_call(&session.actor, &id, version, call)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/return-visits?month={}#visits",
            encode_query_value(&month)
        ))),
        Err(
            e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::VersionConflict { .. }),
        ) => {
            let reason = match e {
                AppError::Invalid(errors) => errors
                    .iter()
                    .map(|f| f.reason.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            let notice = Some(t.fill1("evaluation-error-not-now", "reason", reason));
            visits_view(&service, &ctx, &month, None, notice)
                .await
                .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response())
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

/// Shows the applicant's phone number for the call: the audited reveal of the case's personal
/// data (the operator's account holds the permission).
async fn reveal_phone(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::ReturnVisitOperator])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let month = form.value("month").to_string();
    let case = form.value("case").to_string();
    let applicant = match service.reveal_personal_data(&session.actor, &case).await {
        Ok(a) => a,
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let phone = applicant
        .phone
        .unwrap_or_else(|| ctx.chrome.t.get("evaluation-no-phone").to_string());
    visits_view(&service, &ctx, &month, Some((id, phone)), None).await
}

// ---- complaints (投诉) -------------------------------------------------------------------------

struct ComplaintRow {
    id: String,
    version: u64,
    received: String,
    due: String,
    department: String,
    against: String,
    text: String,
    answer: Option<String>,
    tone: &'static str,
    may_answer: bool,
}

#[derive(Template)]
#[template(path = "evaluation/complaints.html")]
struct ComplaintsPage {
    chrome: Chrome,
    rows: Vec<ComplaintRow>,
    departments: Vec<Choice>,
    may_record: bool,
    error: Option<String>,
}

async fn complaints_view(
    service: &Service,
    ctx: &PageCtx,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let session = ctx.require_role(STAFF)?;
    let t = ctx.chrome.t;
    let today = service.today();
    let list = service
        .complaints(&session.actor, today - chrono::Duration::days(90), today)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let departments = service.departments().await.unwrap_or_default();
    let who = &session.actor.principal;
    let rows = list
        .iter()
        .map(|c| {
            use onewindow_domain::evaluation::ComplaintTarget;
            ComplaintRow {
                id: c.id.clone(),
                version: c.version,
                received: t.date(&c.received_on),
                due: t.date(&c.due_on),
                department: super::case_view::department_name(t, &departments, &c.department),
                against: match &c.against {
                    ComplaintTarget::Case { number } => number.clone(),
                    ComplaintTarget::Window { centre, window } => format!("{centre} {window}"),
                    ComplaintTarget::Staff { username } => username.clone(),
                    ComplaintTarget::Department { code } => {
                        super::case_view::department_name(t, &departments, code)
                    }
                },
                text: c.text.clone(),
                answer: c.answer.as_ref().map(|a| {
                    t.fill(
                        if a.justified {
                            "evaluation-complaint-justified"
                        } else {
                            "evaluation-complaint-unjustified"
                        },
                        &[("text", &a.text), ("date", &t.date(&a.answered_on))],
                    )
                }),
                tone: if c.is_overdue(today) {
                    "bad"
                } else if c.answer.is_some() {
                    "ok"
                } else {
                    "warn"
                },
                may_answer: c.answer.is_none()
                    && (who.has_role(Role::Supervisor)
                        || who
                            .departments_for(&[Role::Reviewer, Role::Approver])
                            .any(|d| d == c.department)),
            }
        })
        .collect();
    Ok((
        status,
        render(&ComplaintsPage {
            chrome: ctx.chrome.clone(),
            rows,
            departments: departments
                .iter()
                .map(|d| Choice {
                    value: d.code.clone(),
                    label: super::case_view::department_name(t, &departments, &d.code),
                    selected: false,
                })
                .collect(),
            may_record: who.has_role(Role::Supervisor),
            error,
        }),
    )
        .into_response())
}

async fn complaints_page(State(service): State<Service>, ctx: PageCtx) -> PageResult {
    complaints_view(&service, &ctx, None, StatusCode::OK).await
}

async fn record_complaint(
    State(service): State<Service>,
    ctx: PageCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Supervisor])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    use onewindow_domain::evaluation::{ComplaintSource, ComplaintTarget, NewComplaint};
    let target = form.value("target").trim().to_string();
    let new = NewComplaint {
        source: if form.value("source") == "hall" {
            ComplaintSource::Hall
        } else {
            ComplaintSource::Hotline
        },
        ticket: form.text("ticket"),
        against: match form.value("kind") {
            "case" => ComplaintTarget::Case { number: target },
            "staff" => ComplaintTarget::Staff { username: target },
            "window" => ComplaintTarget::Window {
                centre: "county-hall".into(),
                window: target,
            },
            _ => ComplaintTarget::Department {
                code: form.value("department").to_string(),
            },
        },
        department: form.value("department").to_string(),
        centre: Some("county-hall".into()),
        text: form.value("text").trim().to_string(),
    };
    match service.record_complaint(&session.actor, new).await {
        Ok(_) => Ok(see_other("/evaluation/complaints?done=1")),
        Err(AppError::Invalid(errors)) => {
            let message = ctx.chrome.t.fill1(
                "evaluation-error-other",
                "reason",
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.reason))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            complaints_view(
                &service,
                &ctx,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

async fn answer_complaint(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(STAFF)?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let version = form.value("version").parse().unwrap_or(0);
    match service
        .answer_complaint(
            &session.actor,
            &id,
            version,
            form.value("text"),
            form.value("justified") == "yes",
        )
        .await
    {
        Ok(_) => Ok(see_other("/evaluation/complaints?done=1")),
        Err(
            e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::VersionConflict { .. }),
        ) => {
            let message = ctx
                .chrome
                .t
                .fill1("evaluation-error-not-now", "reason", e.to_string());
            complaints_view(
                &service,
                &ctx,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}
