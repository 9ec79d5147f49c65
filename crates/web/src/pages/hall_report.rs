//! Page: the hall's own records for its supervisor (`/monitor/hall`): the tickets waiting beyond
//! the limit now (the alert), waiting and serving times by window, hour and day, and the cases
//! with more than one visit, with the reasons, by department and window. The clerks of a centre
//! see its queue; the follow-up of visits is the supervisors'.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::NaiveDate;
use onewindow_app::queue_report::{QueueReport, RepeatVisits};
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::catalogue::Level;
use onewindow_domain::hall::QueueTimes;
use serde::Deserialize;

use crate::pages::case_view::exception_text;
use crate::pages::hall::business_label;
use crate::pages::page_error::{OrPage, PageResult};
use crate::pages::{Chrome, PageCtx, render};

pub fn routes() -> Router<Service> {
    Router::new().route("/monitor/hall", get(page))
}

#[derive(Debug, Deserialize, Default)]
struct ReportQuery {
    #[serde(default)]
    centre: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One row of a times table, as shown.
struct TimesRow {
    label: String,
    tickets: u32,
    served: u32,
    no_show: u32,
    mean_wait: String,
    longest_wait: String,
    mean_service: String,
}

fn minutes(t: &crate::i18n::Messages, m: Option<f64>) -> String {
    m.map_or_else(
        || "—".to_string(),
        |m| t.fill1("queue-report-minutes", "n", format!("{m:.1}")),
    )
}

fn rows(
    t: &crate::i18n::Messages,
    times: &[QueueTimes],
    label: impl Fn(&str) -> String,
) -> Vec<TimesRow> {
    times
        .iter()
        .map(|r| TimesRow {
            label: label(&r.key),
            tickets: r.tickets,
            served: r.served,
            no_show: r.no_show,
            mean_wait: minutes(t, r.mean_wait_minutes),
            longest_wait: minutes(t, r.longest_wait_minutes),
            mean_service: minutes(t, r.mean_service_minutes),
        })
        .collect()
}

struct LongWaitRow {
    number: String,
    business: String,
    issued_at: String,
    minutes: i64,
}

struct RepeatCase {
    number: String,
    item_name: String,
    department: String,
    visits: Vec<String>,
}

#[derive(Template)]
#[template(path = "monitor/hall.html")]
struct ReportPage {
    chrome: Chrome,
    centres: Vec<(String, String, bool)>,
    centre: String,
    from: String,
    to: String,
    period_error: Option<String>,
    report: Option<QueueReport>,
    long_waits: Vec<LongWaitRow>,
    by_window: Vec<TimesRow>,
    by_hour: Vec<TimesRow>,
    by_day: Vec<TimesRow>,
    repeat: Option<RepeatVisits>,
    repeat_cases: Vec<RepeatCase>,
}

impl ReportPage {
    /// The three tables of times: their title's key, their id, their rows.
    fn tables(&self) -> Vec<(&'static str, &'static str, &Vec<TimesRow>)> {
        vec![
            ("queue-report-by-window", "times-window", &self.by_window),
            ("queue-report-by-hour", "times-hour", &self.by_hour),
            ("queue-report-by-day", "times-day", &self.by_day),
        ]
    }
}

fn date(text: &str) -> Result<Option<NaiveDate>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

async fn page(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Supervisor, Role::Clerk])?;
    let t = ctx.chrome.t;
    let supervisor = session.actor.principal.has_role(Role::Supervisor);
    let own: Vec<String> = session
        .actor
        .principal
        .posts
        .iter()
        .filter(|p| p.role == Role::Clerk)
        .filter_map(|p| p.centre.clone())
        .collect();
    let all = service.centres().await.or_page(&ctx)?;
    let centres: Vec<(String, String, bool)> = all
        .into_iter()
        .filter(|c| c.level != Level::Village)
        .filter(|c| supervisor || own.contains(&c.code))
        .map(|c| {
            let chosen = c.code == q.centre;
            (c.code, c.name, chosen)
        })
        .collect();
    let centre = centres
        .iter()
        .find(|c| c.2)
        .or_else(|| centres.first())
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let mut page = ReportPage {
        chrome: ctx.chrome.clone(),
        centres,
        centre: centre.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        period_error: None,
        report: None,
        long_waits: Vec::new(),
        by_window: Vec::new(),
        by_hour: Vec::new(),
        by_day: Vec::new(),
        repeat: None,
        repeat_cases: Vec::new(),
    };
    let (Ok(from), Ok(to)) = (date(&q.from), date(&q.to)) else {
        page.period_error = Some(t.get("queue-report-error-date").to_string());
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    if centre.is_empty() {
        return Ok(render(&page));
    }
    let report = match service
        .queue_report(&session.actor, &centre, from, to)
        .await
    {
        Ok(report) => report,
        Err(AppError::Invalid(_)) => {
            page.period_error = Some(t.get("queue-report-error-period").to_string());
            return Ok(
                (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
            );
        }
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let departments = service.departments().await.or_page(&ctx)?;
    page.from = report.from.to_string();
    page.to = report.to.to_string();
    page.long_waits = report
        .long_waits
        .iter()
        .map(|w| LongWaitRow {
            number: w.number.clone(),
            business: business_label(t, &departments, &w.business),
            issued_at: t.time(&w.issued_at),
            minutes: w.minutes,
        })
        .collect();
    page.by_window = report
        .by_window
        .iter()
        .map(|w| {
            let mut row = rows(t, std::slice::from_ref(&w.times), |k| k.to_string());
            let mut row = row.remove(0);
            row.label = w.window_name.clone();
            row
        })
        .collect();
    page.by_hour = rows(t, &report.by_hour, |k| format!("{k}:00"));
    page.by_day = rows(t, &report.by_day, |k| {
        NaiveDate::parse_from_str(k, "%Y-%m-%d").map_or_else(|_| k.to_string(), |d| t.date(&d))
    });
    if supervisor {
        let repeat = service
            .repeat_visits(&session.actor, Some(report.from), Some(report.to))
            .await
            .or_page(&ctx)?;
        page.repeat_cases = repeat
            .cases
            .iter()
            .map(|c| RepeatCase {
                number: c.number.clone(),
                item_name: c.item_name.clone(),
                department: departments
                    .iter()
                    .find(|d| d.code == c.department)
                    .map_or_else(|| c.department.clone(), |d| d.name.clone()),
                visits: c
                    .visits
                    .iter()
                    .map(|v| {
                        let mut line = format!("{} · {}", t.time(&v.at), v.purpose);
                        if let Some(why) = v.exception {
                            line.push_str(" · ");
                            line.push_str(&exception_text(t, why));
                        }
                        if let Some(reason) = &v.extra_visit_reason {
                            line.push_str(" · ");
                            line.push_str(&t.fill1("queue-report-again", "reason", reason));
                        }
                        line
                    })
                    .collect(),
            })
            .collect();
        page.repeat = Some(repeat);
    }
    page.report = Some(report);
    Ok(render(&page))
}
