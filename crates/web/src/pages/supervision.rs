//! Pages of the supervisor beside the monitor: any case read-only (facts, clock, materials,
//! history, joint tasks; no forms), the audit trail and the assessment of units.
//!
//! Every read goes through the service, which asks the one access policy: a supervisor of the
//! county reads every case; department staff and clerks read what their posts cover.

use crate::i18n::Messages;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use onewindow_app::Service;
use onewindow_app::accounts::AuditQuery;
use onewindow_domain::access::Role;
use onewindow_domain::assessment::Ranked;
use onewindow_domain::audit::{AuditRecord, Outcome};
use onewindow_domain::case::Action;
use onewindow_domain::circulation::TaskAction;
use serde::Deserialize;

use super::case_view::{self, CaseReading, CaseView, HistoryRow, MaterialRow, Names, TaskRowView};
use super::page_error::PageResult;
use super::{Chrome, PageCtx, encode_query_value, render};

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/monitor/cases/{number}", get(case_page))
        .route("/monitor/files/{id}", get(file))
        .route("/monitor/audit", get(audit))
        .route("/monitor/assessment", get(assessment))
}

/// Who reads cases from the monitor (the policy then decides which).
const STAFF: [Role; 4] = [
    Role::Supervisor,
    Role::Reviewer,
    Role::Approver,
    Role::Clerk,
];

/// Where the monitor's files are read.
const FILES: &str = "/monitor/files";

// ---- a case, read-only ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "monitor/case.html")]
struct CasePage {
    chrome: Chrome,
    case: CaseView,
    materials: Vec<MaterialRow>,
    history: Vec<HistoryRow>,
    tasks: Vec<TaskRowView>,
    /// Why the clock stands still now.
    suspension: Option<String>,
}

async fn case_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(number): Path<String>,
) -> PageResult {
    ctx.require_role(&STAFF)?;
    let t = ctx.chrome.t;
    let reading = match CaseReading::load(&service, &ctx, &number).await {
        Ok(r) => r,
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let CaseReading {
        detail,
        item,
        files,
        people,
        names,
        ..
    } = reading;
    let case = &detail.case;
    let tasks = case_view::task_rows(t, case, &people, &service, &[], |_| None);
    let materials = case_view::material_rows(t, case, item.as_ref(), &files, FILES);
    let suspension = case
        .clock
        .as_ref()
        .and_then(|c| c.suspensions.last())
        .filter(|s| s.until.is_none())
        .map(|s| {
            t.fill(
                "desk-suspended-since",
                &[
                    ("kind", t.get(case_view::suspension_key(s.kind))),
                    ("date", &t.date(&s.from)),
                    ("reason", &s.reason),
                ],
            )
        });
    let page = CasePage {
        chrome: ctx.chrome.clone(),
        case: CaseView::new(&detail, t, &people),
        history: case_view::history_rows(t, &detail, &names, &people),
        materials,
        tasks,
        suspension,
    };
    Ok(render(&page))
}

async fn file(State(service): State<Service>, ctx: PageCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_role(&STAFF)?;
    Ok(case_view::file_response(&service, &ctx, &id).await)
}

// ---- the audit trail --------------------------------------------------------------------------

/// Records per page of the audit trail.
const AUDIT_PAGE: u32 = 50;

#[derive(Debug, Deserialize, Default)]
struct AuditForm {
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    case: Option<String>,
    cursor: Option<String>,
}

/// One record as the page shows it.
struct AuditLine {
    seq: u64,
    at: String,
    actor: String,
    username: String,
    action: String,
    target: String,
    /// The case page of a record about a case.
    case_href: Option<String>,
    outcome: &'static str,
    outcome_class: &'static str,
    detail: String,
    source: String,
}

#[derive(Template)]
#[template(path = "monitor/audit.html")]
struct AuditPage {
    chrome: Chrome,
    from: String,
    to: String,
    actor: String,
    case: String,
    lines: Vec<AuditLine>,
    next_href: Option<String>,
    error: Option<String>,
}

/// A date typed in a filter, or the message that it is not one.
fn filter_date(text: &Option<String>) -> Result<Option<NaiveDate>, ()> {
    match text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ()),
    }
}

/// The first instant of a day in China.
fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    DateTime::<Utc>::from_naive_utc_and_offset(local, Utc)
        - chrono::Duration::seconds(i64::from(onewindow_app::clock::CHINA_OFFSET_SECONDS))
}

fn outcome_key(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Success => ("monitor-audit-success", "ok"),
        Outcome::Denied => ("monitor-audit-denied", "denied"),
        Outcome::Failure => ("monitor-audit-failure", "failure"),
    }
}

async fn audit(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(form): Query<AuditForm>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Supervisor])?.clone();
    let t = ctx.chrome.t;
    let text = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_string();
    let mut error = None;
    let from = filter_date(&form.from).unwrap_or_else(|()| {
        error = Some(t.get("monitor-stats-bad-date").to_string());
        None
    });
    let to = filter_date(&form.to).unwrap_or_else(|()| {
        error = Some(t.get("monitor-stats-bad-date").to_string());
        None
    });
    let actor = text(&form.actor);
    let case = text(&form.case);
    let query = AuditQuery {
        actor: (!actor.is_empty()).then(|| actor.clone()),
        action: None,
        target: (!case.is_empty()).then(|| format!("case:{case}")),
        outcome: None,
        from: from.map(china_midnight),
        // The last day counts whole.
        to: to.and_then(|d| d.succ_opt()).map(china_midnight),
        cursor: form.cursor.clone().filter(|c| !c.is_empty()),
        limit: Some(AUDIT_PAGE),
    };
    let (records, next_cursor) = match service.audit_trail(&session.actor, query).await {
        Ok(page) => (page.items, page.next_cursor),
        Err(onewindow_app::AppError::Invalid(_)) => {
            error = Some(t.get("monitor-audit-bad-filter").to_string());
            (Vec::new(), None)
        }
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let usernames: Vec<String> = records.iter().map(|r| r.entry.actor.clone()).collect();
    let names = Names::load(&service)
        .await
        .with_staff(&service, &usernames)
        .await;
    let lines = records
        .iter()
        .map(|r| audit_line(&ctx.chrome, &names, r))
        .collect();
    let next_href = next_cursor.map(|cursor| {
        let mut href = String::from("/monitor/audit?");
        for (key, value) in [
            ("from", text(&form.from)),
            ("to", text(&form.to)),
            ("actor", actor.clone()),
            ("case", case.clone()),
        ] {
            if !value.is_empty() {
                href.push_str(&format!("{key}={}&", encode_query_value(&value)));
            }
        }
        href.push_str(&format!("cursor={}", encode_query_value(&cursor)));
        href
    });
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = AuditPage {
        chrome: ctx.chrome.clone(),
        from: text(&form.from),
        to: text(&form.to),
        actor,
        case,
        lines,
        next_href,
        error,
    };
    Ok((status, render(&page)).into_response_page())
}

fn audit_line(chrome: &Chrome, names: &Names, r: &AuditRecord) -> AuditLine {
    let t = chrome.t;
    let e = &r.entry;
    let at = DateTime::parse_from_rfc3339(&e.at)
        .map(|at| t.time(&at.with_timezone(&Utc)))
        .unwrap_or_else(|_| e.at.clone());
    let (outcome, outcome_class) = outcome_key(e.outcome);
    let case_href = e
        .target
        .strip_prefix("case:")
        .map(|n| format!("/monitor/cases/{}", encode_query_value(n)));
    let target = match e.target.split_once(':') {
        Some(("user", who)) => names.person(who),
        Some(("department", code)) => names.department(t, code),
        Some(("centre", code)) => names.centre(t, code),
        _ => e.target.clone(),
    };
    let action = audit_action_label(t, &e.action);
    AuditLine {
        seq: r.seq,
        at,
        actor: names.person(&e.actor),
        username: e.actor.clone(),
        action,
        target,
        case_href,
        outcome: t.get(outcome),
        outcome_class,
        detail: e.detail.clone(),
        source: e.source.clone(),
    }
}

/// A status and a drawn page as one answer.
trait IntoPageResponse {
    fn into_response_page(self) -> axum::response::Response;
}

impl IntoPageResponse for (StatusCode, axum::response::Response) {
    fn into_response_page(self) -> axum::response::Response {
        let (status, mut response) = self;
        *response.status_mut() = status;
        response
    }
}

// ---- the assessment ---------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
struct AssessmentForm {
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// One ranked unit as the page shows it.
struct AssessmentLine {
    rank: u32,
    name: String,
    star: bool,
    completed: u64,
    on_time: String,
    at_most_once: String,
    satisfaction: String,
    faults: u32,
    complaints: u32,
    on_time_points: String,
    at_most_once_points: String,
    satisfaction_points: String,
    deductions: String,
    points: String,
}

#[derive(Template)]
#[template(path = "monitor/assessment.html")]
struct AssessmentPage {
    chrome: Chrome,
    unit: String,
    from: String,
    to: String,
    lines: Vec<AssessmentLine>,
    error: Option<String>,
}

impl AssessmentPage {
    fn units(&self) -> [(&'static str, &'static str); 3] {
        [
            ("department", "monitor-assess-unit-department"),
            ("centre", "monitor-assess-unit-centre"),
            ("staff", "monitor-assess-unit-staff"),
        ]
    }

    fn unit_label(&self) -> &'static str {
        self.chrome.t.get(match self.unit.as_str() {
            "centre" => "monitor-assess-unit-centre",
            "staff" => "monitor-assess-unit-staff",
            _ => "monitor-assess-unit-department",
        })
    }
}

fn points(centi: i64) -> String {
    format!("{:.2}", centi as f64 / 100.0)
}

fn share(n: u64, of: u64) -> String {
    if of == 0 {
        "—".to_string()
    } else {
        format!("{:.2}%", n as f64 * 100.0 / of as f64)
    }
}

async fn assessment(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(form): Query<AssessmentForm>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Supervisor])?.clone();
    let t = ctx.chrome.t;
    let unit_text = form
        .unit
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "department".to_string());
    let mut error = None;
    let unit = onewindow_app::assessment::Unit::parse(&unit_text).unwrap_or_else(|| {
        error = Some(t.get("monitor-assess-bad-unit").to_string());
        onewindow_app::assessment::Unit::parse("department").expect("a unit")
    });
    let from = filter_date(&form.from).unwrap_or_else(|()| {
        error = Some(t.get("monitor-stats-bad-date").to_string());
        None
    });
    let to = filter_date(&form.to).unwrap_or_else(|()| {
        error = Some(t.get("monitor-stats-bad-date").to_string());
        None
    });
    let today = service.today();
    let from_shown = from.unwrap_or_else(|| chrono::Datelike::with_day(&today, 1).unwrap_or(today));
    let to_shown = to.unwrap_or(today);
    let ranked: Vec<Ranked> = if error.is_some() {
        Vec::new()
    } else {
        match service
            .assessment(&session.actor, unit, Some(from_shown), Some(to_shown))
            .await
        {
            Ok(r) => r,
            Err(onewindow_app::AppError::Invalid(_)) => {
                error = Some(t.get("monitor-stats-bad-period").to_string());
                Vec::new()
            }
            Err(e) => return Ok(ctx.app_error(e)),
        }
    };
    let usernames: Vec<String> = ranked.iter().map(|r| r.unit.clone()).collect();
    let names = Names::load(&service).await;
    let names = if unit_text == "staff" {
        names.with_staff(&service, &usernames).await
    } else {
        names
    };
    let lines = ranked
        .iter()
        .map(|r| {
            let p = &r.performance;
            AssessmentLine {
                rank: r.rank,
                name: match unit_text.as_str() {
                    "centre" => names.centre(t, &r.unit),
                    "staff" => names.person(&r.unit),
                    _ => names.department(t, &r.unit),
                },
                star: r.star,
                completed: p.completed,
                on_time: share(p.on_time, p.completed),
                at_most_once: share(p.at_most_once, p.completed),
                satisfaction: p
                    .satisfaction
                    .map_or_else(|| "—".to_string(), |s| share(s.numerator, s.denominator)),
                faults: p.faults,
                complaints: p.complaints,
                on_time_points: points(r.score.on_time_centi),
                at_most_once_points: points(r.score.at_most_once_centi),
                satisfaction_points: points(r.score.satisfaction_centi),
                deductions: points(-r.score.deductions_centi.abs()),
                points: points(r.score.points_centi),
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = AssessmentPage {
        chrome: ctx.chrome.clone(),
        unit: unit_text,
        from: from_shown.to_string(),
        to: to_shown.to_string(),
        lines,
        error,
    };
    Ok((status, render(&page)).into_response_page())
}

#[cfg(test)]
mod tests;

/// What an audit record's action (`case.start-review`, `user.reset_password`) was, in the reader's
/// words: a case's and a task's actions by the names their buttons have, the others by their own
/// messages; an action the pages do not know stays as recorded.
fn audit_action_label(t: &Messages, action: &str) -> String {
    if let Some(a) = action.strip_prefix("case.").and_then(Action::parse) {
        return t.get(case_view::action_key(a)).to_string();
    }
    if let Some(a) = action.strip_prefix("task.").and_then(TaskAction::parse) {
        return t.get(case_view::task_action_key(a)).to_string();
    }
    let key = format!("monitor-audit-action-{}", action.replace('.', "-"));
    if t.has(&key) {
        t.get(&key).to_string()
    } else {
        action.to_string()
    }
}
