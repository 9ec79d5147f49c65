//! Pages: the electronic monitor (电子监察) — the red and yellow clocks of the reader's scope and
//! the inbox of alerts raised by changes of light; the statistics dashboard with its charts; the
//! monthly inspection report (月度效能监察报告) as a page and as a PDF download.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use onewindow_app::Service;
use onewindow_app::monitor::{InboxEntry, LitClock};
use onewindow_app::monthly_report::{Month, MonthlyReport, OverdueCase};
use onewindow_domain::access::Role;
use onewindow_domain::figures::Ratio;
use onewindow_report::monthly::{self, DayCount, UnitRow};
use onewindow_report::{Block, Chart, Column, Document, RateRow, ReportFont, Table};
use serde::Deserialize;

use super::page_error::{OrPage, PageResult};
use super::{Chrome, PageCtx, render, see_other};
use crate::i18n::{Lang, Messages};

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/monitor", get(monitor))
        .route("/monitor/alerts/read", post(mark_many_read))
        .route("/monitor/alerts/{id}/read", post(mark_read))
        .route("/monitor/statistics", get(statistics))
        .route("/monitor/report/monthly", get(monthly_report))
}

#[derive(Debug, Deserialize, Default)]
struct StatisticsForm {
    from: Option<String>,
    to: Option<String>,
    department: Option<String>,
    /// county, township or village: where the cases were accepted.
    accepted_level: Option<String>,
    /// A township's centre, with its village points.
    township: Option<String>,
}

/// One line of the statistics table.
struct FigureLine {
    label: &'static str,
    value: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "monitor/statistics.html")]
struct StatisticsPage {
    chrome: Chrome,
    from: String,
    to: String,
    department: String,
    departments: Vec<onewindow_domain::catalogue::Department>,
    accepted_level: String,
    township: String,
    /// The townships' centres: code and name.
    townships: Vec<(String, String)>,
    lines: Vec<FigureLine>,
    /// Inline SVG charts with their titles (drawn by `onewindow_report`, text escaped there).
    charts: Vec<(String, String)>,
    /// The month of the period's start, for the link to its monthly report.
    report_month: String,
    csv_href: String,
    error: Option<String>,
}

impl StatisticsPage {
    /// The spreadsheet of the same figures, in the page's language like the CSV.
    fn xlsx_href(&self) -> String {
        self.csv_href.replacen("format=csv", "format=xlsx", 1)
    }
}

async fn statistics(
    State(service): State<Service>,
    ctx: PageCtx,
    axum::extract::Query(form): axum::extract::Query<StatisticsForm>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Supervisor])?.clone();
    let t = ctx.chrome.t;
    let today = service.today();
    let parse = |v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d"))
    };
    let mut error = None;
    let from = match parse(&form.from) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            error = Some(t.get("monitor-stats-bad-date").to_string());
            None
        }
        None => None,
    };
    let to = match parse(&form.to) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            error = Some(t.get("monitor-stats-bad-date").to_string());
            None
        }
        None => None,
    };
    let department = form.department.clone().filter(|d| !d.is_empty());
    let accepted_level = form.accepted_level.clone().filter(|d| !d.is_empty());
    let township = form.township.clone().filter(|d| !d.is_empty());
    let dashboard = service
        .dashboard(
            &session.actor,
            onewindow_app::statistics::StatisticsQuery {
                from,
                to,
                department: department.clone(),
                accepted_level: accepted_level.clone(),
                township: township.clone(),
                ..Default::default()
            },
        )
        .await;
    let (figures, dashboard, error) = match dashboard {
        Ok(d) => (Some(d.statistics.clone()), Some(d), error),
        Err(onewindow_app::AppError::Invalid(_)) => (
            None,
            None,
            Some(t.get("monitor-stats-bad-period").to_string()),
        ),
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let ratio = |r: &onewindow_domain::figures::Ratio| {
        (
            format!("{:.2}%", r.percent()),
            format!("{} / {}", r.numerator, r.denominator),
        )
    };
    let mut lines = Vec::new();
    if let Some(f) = &figures {
        let count = |label, n: u64| FigureLine {
            label,
            value: n.to_string(),
            detail: String::new(),
        };
        let rate = |label, r: &onewindow_domain::figures::Ratio| {
            let (value, detail) = ratio(r);
            FigureLine {
                label,
                value,
                detail,
            }
        };
        lines.push(count("monitor-stats-received", f.received));
        lines.push(count("monitor-stats-accepted", f.accepted));
        lines.push(count("monitor-stats-rejected", f.rejected));
        lines.push(count("monitor-stats-withdrawn", f.withdrawn));
        lines.push(count("monitor-stats-completed", f.completed));
        lines.push(rate("monitor-stats-on-time", &f.on_time));
        lines.push(rate("monitor-stats-ahead", &f.ahead_of_promise));
        lines.push(rate("monitor-stats-at-most-once", &f.at_most_once));
        lines.push(rate("monitor-stats-actual-speed-up", &f.actual_speed_up));
        lines.push(FigureLine {
            label: "monitor-stats-days",
            value: format!(
                "{:.2} / {:.2}",
                f.average_days_used_centi as f64 / 100.0,
                f.average_days_promised_centi as f64 / 100.0
            ),
            detail: String::new(),
        });
        lines.push(count("monitor-stats-overdue", f.overdue));
        lines.push(rate("monitor-stats-suspended", &f.suspended));
        lines.push(rate("monitor-stats-extended", &f.extended));
        lines.push(rate("monitor-stats-satisfaction", &f.satisfaction));
        lines.push(rate("monitor-stats-good-rate", &f.good_rate));
        lines.push(count("monitor-stats-bad-ratings", f.bad_ratings));
        lines.push(rate(
            "monitor-stats-rectified-on-time",
            &f.rectified_on_time,
        ));
        lines.push(count("monitor-stats-complaints", f.complaints));
        if let Some(d) = &dashboard {
            lines.push(count("monitor-stats-network-county", d.network.county));
            lines.push(count("monitor-stats-network-township", d.network.township));
            lines.push(count("monitor-stats-network-village", d.network.village));
            lines.push(rate("monitor-stats-doorstep", &d.network.doorstep));
        }
        // Deliveries are the county's (a result is delivered by the window or the post, not by
        // one department's figures): shown when no department is chosen.
        if department.is_none() {
            let counts = service.delivery_counts(&session.actor, f.from, f.to).await;
            match counts {
                Ok(d) => {
                    lines.push(count("monitor-stats-delivered-express", d.express));
                    lines.push(count("monitor-stats-delivered-pickup", d.pickup));
                    lines.push(count("monitor-stats-delivered-online", d.online));
                }
                Err(e) => return Ok(ctx.app_error(e)),
            }
        }
    }
    let (from_text, to_text) = match &figures {
        Some(f) => (f.from.to_string(), f.to.to_string()),
        None => (
            form.from.clone().unwrap_or_default(),
            form.to.clone().unwrap_or_else(|| today.to_string()),
        ),
    };
    let mut csv_href = format!(
        "/api/v1/statistics?format=csv&from={}&to={}",
        super::encode_query_value(&from_text),
        super::encode_query_value(&to_text)
    );
    if let Some(d) = &department {
        csv_href.push_str(&format!("&department={}", super::encode_query_value(d)));
    }
    if let Some(l) = &accepted_level {
        csv_href.push_str(&format!("&accepted_level={}", super::encode_query_value(l)));
    }
    if let Some(c) = &township {
        csv_href.push_str(&format!("&township={}", super::encode_query_value(c)));
    }
    // The files speak the page's language: Chinese column and figure names on a Chinese page.
    csv_href.push_str(&format!("&lang={}", ctx.chrome.lang_tag()));
    let charts = match dashboard {
        Some(d) => dashboard_charts(&service, t, d).await,
        None => Vec::new(),
    };
    let report_month = figures
        .as_ref()
        .map_or_else(|| Month::of(today), |f| Month::of(f.from))
        .to_string();
    let departments = service.departments().await.unwrap_or_default();
    let townships = service
        .centres()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.level == onewindow_domain::catalogue::Level::Township)
        .map(|c| {
            let name = crate::pages::case_view::centre_name(t, std::slice::from_ref(&c), &c.code);
            (c.code, name)
        })
        .collect();
    Ok(render(&StatisticsPage {
        chrome: ctx.chrome.clone(),
        from: from_text,
        to: to_text,
        department: department.unwrap_or_default(),
        departments,
        accepted_level: accepted_level.unwrap_or_default(),
        township: township.unwrap_or_default(),
        townships,
        lines,
        charts,
        report_month,
        csv_href,
        error,
    }))
}

/// The dashboard's charts: received and decided per day, and the on-time rate per department.
async fn dashboard_charts(
    service: &Service,
    t: &'static Messages,
    dashboard: onewindow_app::statistics::Dashboard,
) -> Vec<(String, String)> {
    let names = department_names(service, t).await;
    let rows = onewindow_app::monthly_report::unit_rows(dashboard.departments, &names);
    let charts = [daily_chart(t, dashboard.daily), rate_chart(t, &rows)];
    let mut svgs = Vec::new();
    for chart in &charts {
        match chart.svg() {
            Ok(svg) => svgs.push((chart.title().to_string(), svg)),
            // A chart that cannot be drawn leaves the figures readable.
            Err(e) => tracing::error!(error = %e, "chart failed"),
        }
    }
    svgs
}

/// The departments' names in the reader's language, by code.
async fn department_names(service: &Service, t: &Messages) -> HashMap<String, String> {
    let departments = service.departments().await.unwrap_or_default();
    departments
        .iter()
        .map(|d| {
            (
                d.code.clone(),
                super::case_view::department_name(t, &departments, &d.code),
            )
        })
        .collect()
}

fn daily_chart(t: &Messages, days: Vec<DayCount>) -> Chart {
    Chart::Daily {
        title: t.get("monitor-chart-daily").to_string(),
        days,
        received: t.get("monitor-chart-received").to_string(),
        completed: t.get("monitor-chart-completed").to_string(),
    }
}

/// On-time rate per department that decided anything, in the ranking's order.
fn rate_chart(t: &Messages, rows: &[UnitRow]) -> Chart {
    Chart::Rates {
        title: t.get("monitor-chart-on-time").to_string(),
        rows: rows
            .iter()
            .filter(|r| r.completed > 0)
            .map(|r| RateRow {
                label: r.name.clone(),
                percent: r.on_time.percent(),
                detail: format!("{}/{}", r.on_time.numerator, r.on_time.denominator),
            })
            .collect(),
    }
}

// ---- the monthly inspection report --------------------------------------------------------------

/// The most overdue cases the report lists one by one; the rest are counted.
pub const OVERDUE_LISTED: usize = 200;

fn percent(r: &Ratio) -> String {
    format!("{:.2}%", r.percent())
}

fn points(centi: i64) -> String {
    format!("{:.2}", centi as f64 / 100.0)
}

fn ranking_table(t: &Messages, id: &str, unit_key: &'static str, rows: &[UnitRow]) -> Table {
    Table {
        id: id.to_string(),
        columns: vec![
            Column::right(t.get("monitor-report-rank"), 0.8),
            Column::left(t.get(unit_key), 3.2),
            Column::right(t.get("monitor-stats-completed"), 1.2),
            Column::right(t.get("monitor-stats-on-time"), 1.5),
            Column::right(t.get("monitor-stats-at-most-once"), 1.7),
            Column::right(t.get("monitor-report-faults"), 1.2),
            Column::right(t.get("monitor-report-points"), 1.1),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.rank.to_string(),
                    r.name.clone(),
                    r.completed.to_string(),
                    percent(&r.on_time),
                    percent(&r.at_most_once),
                    r.faults.to_string(),
                    points(r.points_centi),
                ]
            })
            .collect(),
        empty: t.get("monitor-report-no-ranking").to_string(),
    }
}

fn overdue_reasons(t: &Messages, case: &OverdueCase) -> String {
    let mut parts = Vec::new();
    if let Some(reason) = &case.extension_reason {
        parts.push(t.fill1("monitor-report-extended-because", "reason", reason));
    }
    for stop in &case.stops {
        let kind = t.get(super::case_view::suspension_key(stop.kind));
        parts.push(if stop.reason.trim().is_empty() {
            t.fill1("monitor-report-stopped", "kind", kind)
        } else {
            t.fill(
                "monitor-report-stopped-because",
                &[("kind", kind), ("reason", stop.reason.trim())],
            )
        });
    }
    if parts.is_empty() {
        t.get("monitor-report-no-reason").to_string()
    } else {
        parts.join(&separator(t, "monitor-report-reason-separator"))
    }
}

/// A list separator of the catalogue: Chinese punctuation stands alone, Latin takes a space
/// after it (the catalogue's values are trimmed).
fn separator(t: &Messages, key: &'static str) -> String {
    let sep = t.get(key);
    if sep.is_ascii() {
        format!("{sep} ")
    } else {
        sep.to_string()
    }
}

/// The monthly report as a document in the reader's language: the same blocks become the HTML
/// page, the stand-alone HTML file and the PDF.
pub fn monthly_document(report: &MonthlyReport, t: &'static Messages) -> Document {
    let month = report.month;
    let (c, p) = (&report.current, &report.previous);
    let year_text = month.year.to_string();
    let month_text = month.month.to_string();
    let title = t.fill(
        "monitor-report-title",
        &[("year", &year_text), ("month", &month_text)],
    );
    let as_of = report.generated_on.min(month.last_day());
    let mut subtitle = t.fill(
        "monitor-report-subtitle",
        &[
            ("from", &t.date(&month.first_day())),
            ("to", &t.date(&month.last_day())),
            ("today", &t.date(&report.generated_on)),
        ],
    );
    if as_of < month.last_day() {
        subtitle.push_str(&t.fill1("monitor-report-as-of", "day", t.date(&as_of)));
    }
    let mut blocks = Vec::new();

    blocks.push(Block::Heading(t.get("monitor-report-figures").to_string()));
    blocks.push(Block::Paragraph(t.fill(
        "monitor-report-summary",
        &[
            ("received", &c.received.to_string()),
            ("completed", &c.completed.to_string()),
            ("on_time", &percent(&c.on_time)),
            (
                "previous",
                &if p.on_time.denominator == 0 {
                    "—".to_string()
                } else {
                    percent(&p.on_time)
                },
            ),
            ("overdue", &c.overdue.to_string()),
        ],
    )));
    let count = |key: &'static str, now: u64, before: u64| {
        vec![
            t.get(key).to_string(),
            now.to_string(),
            before.to_string(),
            monthly::count_change(now, before),
        ]
    };
    let rate = |key: &'static str, now: &Ratio, before: &Ratio| {
        vec![
            t.get(key).to_string(),
            format!("{} ({}/{})", percent(now), now.numerator, now.denominator),
            format!(
                "{} ({}/{})",
                percent(before),
                before.numerator,
                before.denominator
            ),
            monthly::rate_change(now, before),
        ]
    };
    let days = |centi: u64| format!("{:.2}", centi as f64 / 100.0);
    blocks.push(Block::Table(Table {
        id: "report-figures".into(),
        columns: vec![
            Column::left(t.get("monitor-stats-figure"), 3.0),
            Column::right(t.get("monitor-report-this-month"), 2.0),
            Column::right(t.get("monitor-report-last-month"), 2.0),
            Column::right(t.get("monitor-report-change"), 1.2),
        ],
        rows: vec![
            count("monitor-stats-received", c.received, p.received),
            count("monitor-stats-accepted", c.accepted, p.accepted),
            count("monitor-stats-rejected", c.rejected, p.rejected),
            count("monitor-stats-withdrawn", c.withdrawn, p.withdrawn),
            count("monitor-stats-completed", c.completed, p.completed),
            rate("monitor-stats-on-time", &c.on_time, &p.on_time),
            rate(
                "monitor-stats-ahead",
                &c.ahead_of_promise,
                &p.ahead_of_promise,
            ),
            rate(
                "monitor-stats-at-most-once",
                &c.at_most_once,
                &p.at_most_once,
            ),
            rate(
                "monitor-stats-actual-speed-up",
                &c.actual_speed_up,
                &p.actual_speed_up,
            ),
            vec![
                t.get("monitor-stats-days-used").to_string(),
                days(c.average_days_used_centi),
                days(p.average_days_used_centi),
                format!(
                    "{:+.2}",
                    (c.average_days_used_centi as f64 - p.average_days_used_centi as f64) / 100.0
                ),
            ],
            count("monitor-stats-overdue", c.overdue, p.overdue),
            rate("monitor-stats-suspended", &c.suspended, &p.suspended),
            rate("monitor-stats-extended", &c.extended, &p.extended),
        ],
        empty: String::new(),
    }));
    blocks.push(Block::Note(t.get("monitor-report-change-note").to_string()));

    blocks.push(Block::Heading(t.get("monitor-report-daily").to_string()));
    blocks.push(Block::Chart(daily_chart(t, report.daily.clone())));

    blocks.push(Block::Heading(
        t.get("monitor-report-departments").to_string(),
    ));
    blocks.push(Block::Chart(rate_chart(t, &report.departments)));
    blocks.push(Block::Table(ranking_table(
        t,
        "report-departments",
        "monitor-department",
        &report.departments,
    )));
    blocks.push(Block::Note(t.get("monitor-report-points-note").to_string()));

    blocks.push(Block::Heading(t.get("monitor-report-centres").to_string()));
    blocks.push(Block::Table(ranking_table(
        t,
        "report-centres",
        "monitor-report-centre",
        &report.centres,
    )));
    if !report.stars.is_empty() {
        let names: Vec<String> = report.stars.iter().map(|s| s.name.clone()).collect();
        blocks.push(Block::Paragraph(t.fill1(
            "monitor-report-stars",
            "names",
            names.join(&separator(t, "monitor-report-name-separator")),
        )));
    }

    // What applicants said (好差评, 回访, 投诉), this month beside the last.
    blocks.push(Block::Heading(
        t.get("monitor-report-evaluation").to_string(),
    ));
    blocks.push(Block::Paragraph(t.fill(
        "monitor-report-evaluation-summary",
        &[
            ("satisfaction", &percent(&c.satisfaction)),
            ("visits", &c.satisfaction.denominator.to_string()),
            ("good", &percent(&c.good_rate)),
            ("bad", &c.bad_ratings.to_string()),
            ("complaints", &c.complaints.to_string()),
        ],
    )));
    blocks.push(Block::Table(Table {
        id: "report-evaluation".into(),
        columns: vec![
            Column::left(t.get("monitor-stats-figure"), 3.0),
            Column::right(t.get("monitor-report-this-month"), 2.0),
            Column::right(t.get("monitor-report-last-month"), 2.0),
            Column::right(t.get("monitor-report-change"), 1.2),
        ],
        rows: vec![
            rate(
                "monitor-stats-satisfaction",
                &c.satisfaction,
                &p.satisfaction,
            ),
            rate("monitor-stats-good-rate", &c.good_rate, &p.good_rate),
            count("monitor-stats-bad-ratings", c.bad_ratings, p.bad_ratings),
            rate(
                "monitor-stats-rectified-on-time",
                &c.rectified_on_time,
                &p.rectified_on_time,
            ),
            count("monitor-stats-complaints", c.complaints, p.complaints),
        ],
        empty: String::new(),
    }));

    // The intermediary market's month (网上中介超市): the work accepted, the plan's days beside
    // the days the firms took.
    let market = &report.intermediary;
    blocks.push(Block::Heading(t.get("monitor-report-market").to_string()));
    blocks.push(Block::Paragraph(t.fill(
        "monitor-report-market-summary",
        &[
            ("n", &market.accepted.len().to_string()),
            ("on_time", &market.on_time.to_string()),
            ("planned", &market.planned_days.to_string()),
            ("taken", &market.taken_days_of_planned.to_string()),
        ],
    )));
    blocks.push(Block::Table(Table {
        id: "report-market".into(),
        columns: vec![
            Column::left(t.get("monitor-report-market-contract"), 1.8),
            Column::left(t.get("monitor-report-market-project"), 3.0),
            Column::left(t.get("monitor-report-market-service"), 2.0),
            Column::left(t.get("monitor-report-market-firm"), 2.6),
            Column::right(t.get("monitor-report-market-planned"), 1.2),
            Column::right(t.get("monitor-report-market-agreed"), 1.2),
            Column::right(t.get("monitor-report-market-taken"), 1.2),
        ],
        rows: market
            .accepted
            .iter()
            .map(|w| {
                vec![
                    w.contract.clone(),
                    format!("{} {}", w.project_name, w.project_code),
                    super::market::service_name(t.lang(), &w.service),
                    w.firm_name.clone(),
                    w.planned_days
                        .map_or_else(|| "—".to_string(), |d| d.to_string()),
                    w.agreed_days.to_string(),
                    if w.late {
                        t.fill1(
                            "monitor-report-market-late",
                            "days",
                            w.days_taken.to_string(),
                        )
                    } else {
                        w.days_taken.to_string()
                    },
                ]
            })
            .collect(),
        empty: t.get("monitor-report-market-none").to_string(),
    }));

    blocks.push(Block::Heading(t.get("monitor-report-overdue").to_string()));
    let total = report.overdue.len();
    blocks.push(Block::Paragraph(t.fill1(
        "monitor-report-overdue-count",
        "n",
        total.to_string(),
    )));
    blocks.push(Block::Table(Table {
        id: "report-overdue".into(),
        columns: vec![
            Column::left(t.get("monitor-number"), 3.2),
            Column::left(t.get("monitor-item"), 2.8),
            Column::left(t.get("monitor-department"), 1.8),
            Column::left(t.get("monitor-due"), 1.7),
            Column::left(t.get("monitor-report-decided"), 1.7),
            Column::right(t.get("monitor-report-days-over"), 1.2),
            Column::left(t.get("monitor-report-reasons"), 3.0),
        ],
        rows: report
            .overdue
            .iter()
            .take(OVERDUE_LISTED)
            .map(|o| {
                vec![
                    o.number.clone(),
                    o.item_name.clone(),
                    o.department.clone(),
                    o.due_on
                        .map_or_else(|| t.get("monitor-stopped").to_string(), |d| d.to_string()),
                    o.decided_on.map_or_else(
                        || t.get("monitor-report-open").to_string(),
                        |d| d.to_string(),
                    ),
                    o.days_over.to_string(),
                    overdue_reasons(t, o),
                ]
            })
            .collect(),
        empty: t.get("monitor-report-no-overdue").to_string(),
    }));
    if total > OVERDUE_LISTED {
        blocks.push(Block::Note(t.fill(
            "monitor-report-overdue-more",
            &[
                ("listed", &OVERDUE_LISTED.to_string()),
                ("n", &total.to_string()),
            ],
        )));
    }
    blocks.push(Block::Note(
        t.get("monitor-report-overdue-note").to_string(),
    ));
    Document {
        lang: t.lang().tag().to_string(),
        title,
        subtitle,
        blocks,
    }
}

/// Rendering the report failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Font(#[from] onewindow_app::monthly_report::FontError),
    #[error(transparent)]
    Chart(#[from] onewindow_report::ChartError),
    #[error(transparent)]
    Pdf(#[from] onewindow_report::PdfError),
}

/// The report as a stand-alone HTML file (its own stylesheet, charts inline).
pub fn monthly_html(report: &MonthlyReport, lang: Lang) -> Result<String, RenderError> {
    Ok(monthly_document(report, lang.messages()).html_page()?)
}

/// The report as PDF bytes, with a subset of `font` embedded.
pub fn monthly_pdf(
    report: &MonthlyReport,
    lang: Lang,
    font: &ReportFont,
) -> Result<Vec<u8>, RenderError> {
    Ok(onewindow_report::pdf::render(
        &monthly_document(report, lang.messages()),
        font,
    )?)
}

/// The server's report font, found once (a font installed later is found on the next request
/// after a failure: only a success is kept).
pub fn server_font() -> Result<ReportFont, onewindow_app::monthly_report::FontError> {
    static FONT: std::sync::OnceLock<ReportFont> = std::sync::OnceLock::new();
    if let Some(font) = FONT.get() {
        return Ok(font.clone());
    }
    let font = onewindow_app::monthly_report::load_font(None)?;
    Ok(FONT.get_or_init(|| font).clone())
}

#[derive(Debug, Deserialize, Default)]
struct MonthlyForm {
    month: Option<String>,
    format: Option<String>,
}

#[derive(Template)]
#[template(path = "monitor/report.html")]
struct ReportPage {
    chrome: Chrome,
    month: String,
    body: String,
    error: Option<String>,
}

impl ReportPage {
    fn pdf_href(&self) -> String {
        format!(
            "/monitor/report/monthly?month={}&format=pdf",
            super::encode_query_value(&self.month)
        )
    }

    fn html_href(&self) -> String {
        format!(
            "/monitor/report/monthly?month={}&format=html",
            super::encode_query_value(&self.month)
        )
    }
}

async fn monthly_report(
    State(service): State<Service>,
    ctx: PageCtx,
    axum::extract::Query(form): axum::extract::Query<MonthlyForm>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Supervisor])?.clone();
    let t = ctx.chrome.t;
    let today = service.today();
    let month = match form.month.as_deref().filter(|m| !m.trim().is_empty()) {
        None => Some(Month::of(today).previous()),
        Some(text) => Month::parse(text),
    };
    let page = |month: String, body: String, error: Option<String>| ReportPage {
        chrome: ctx.chrome.clone(),
        month,
        body,
        error,
    };
    let Some(month) = month else {
        let error = Some(t.get("monitor-report-bad-month").to_string());
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&page(
                form.month.clone().unwrap_or_default(),
                String::new(),
                error,
            )),
        )
            .into_response());
    };
    let report = match service.monthly_report(&session.actor, month).await {
        Ok(r) => r,
        Err(onewindow_app::AppError::Invalid(_)) => {
            let error = Some(t.get("monitor-report-not-begun").to_string());
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&page(month.to_string(), String::new(), error)),
            )
                .into_response());
        }
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let lang = ctx.chrome.lang;
    let file = |ext: &str| format!("monthly-{month}.{ext}");
    Ok(match form.format.as_deref() {
        Some("pdf") => {
            let rendered = tokio::task::spawn_blocking(move || {
                let font = server_font()?;
                monthly_pdf(&report, lang, &font)
            })
            .await;
            match rendered {
                Ok(Ok(bytes)) => download("application/pdf", &file("pdf"), bytes),
                Ok(Err(RenderError::Font(e))) => {
                    tracing::error!(error = %e, "no font for the PDF report");
                    ctx.error(StatusCode::SERVICE_UNAVAILABLE, "monitor-report-no-font")
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "the PDF report failed");
                    ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "common-error-internal")
                }
                Err(e) => {
                    tracing::error!(error = %e, "the PDF report task failed");
                    ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "common-error-internal")
                }
            }
        }
        Some("html") => match monthly_html(&report, lang) {
            Ok(html) => download("text/html; charset=utf-8", &file("html"), html.into_bytes()),
            Err(e) => {
                tracing::error!(error = %e, "the HTML report failed");
                ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "common-error-internal")
            }
        },
        _ => match monthly_document(&report, t).html_fragment() {
            Ok(body) => render(&page(month.to_string(), body, None)),
            Err(e) => {
                tracing::error!(error = %e, "the report page failed");
                ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "common-error-internal")
            }
        },
    })
}

/// A file to save, named.
pub(crate) fn download(content_type: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut response = ([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_DISPOSITION, value);
    }
    response
}

const STAFF: [Role; 4] = [
    Role::Supervisor,
    Role::Reviewer,
    Role::Approver,
    Role::Clerk,
];

#[derive(Template)]
#[template(path = "monitor/index.html")]
struct MonitorPage {
    chrome: Chrome,
    red: Vec<LitClock>,
    yellow: Vec<LitClock>,
    green: i64,
    inbox: Vec<InboxEntry>,
    unread: usize,
    names: super::case_view::Names,
    /// What the last bulk marking did: (done, words).
    notice: Option<(bool, String)>,
    /// Rectifications of 差评 past their due day, for departments and supervisors.
    overdue_rectifications: Option<usize>,
    /// Messages to applicants given up, for the hall's clerks and the supervisors: call them.
    undelivered: Option<Vec<crate::pages::case_messages::MessageLine>>,
    /// The reader may open the intermediary market's monitoring (the supervising department,
    /// the supervisors).
    market: bool,
}

impl MonitorPage {
    fn is_supervisor(&self) -> bool {
        self.chrome
            .user
            .as_ref()
            .is_some_and(|u| u.roles.contains(&Role::Supervisor))
    }

    /// Where a case opens for this reader: the desk for department staff, the window for clerks
    /// (where they act on it), the read-only case page for supervisors. The service's access
    /// policy decides again when the page is opened.
    fn case_href(&self, number: &str) -> String {
        let roles = self
            .chrome
            .user
            .as_ref()
            .map(|u| u.roles.clone())
            .unwrap_or_default();
        let number = super::encode_query_value(number);
        if roles.contains(&Role::Reviewer) || roles.contains(&Role::Approver) {
            format!("/desk/cases/{number}")
        } else if roles.contains(&Role::Clerk) {
            format!("/window/cases/{number}")
        } else {
            format!("/monitor/cases/{number}")
        }
    }

    /// A department's name, not its code.
    fn department(&self, code: &str) -> String {
        self.names.department(self.chrome.t, code)
    }

    fn light_label(&self, light: &onewindow_domain::monitor::Light) -> &'static str {
        self.chrome.t.get(match light {
            onewindow_domain::monitor::Light::Green => "monitor-light-green",
            onewindow_domain::monitor::Light::Yellow => "monitor-light-yellow",
            onewindow_domain::monitor::Light::Red => "monitor-light-red",
        })
    }

    fn days_left(&self, standing: &Option<onewindow_domain::clock::Timeliness>) -> String {
        match standing {
            Some(standing) => crate::pages::case_view::timeliness_text(self.chrome.t, *standing),
            None => self.chrome.t.get("monitor-stopped").to_string(),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
struct MonitorParams {
    /// How many alerts the last bulk marking marked read, or `none` when none was chosen.
    read: Option<String>,
}

async fn monitor(
    State(service): State<Service>,
    ctx: PageCtx,
    axum::extract::Query(params): axum::extract::Query<MonitorParams>,
) -> PageResult {
    let session = ctx.require_role(&STAFF)?.clone();
    let t = ctx.chrome.t;
    let notice = match params.read.as_deref() {
        Some("none") => Some((false, t.get("monitor-none-selected").to_string())),
        Some(n) => n
            .parse::<usize>()
            .ok()
            .map(|n| (true, t.fill1("monitor-marked-read", "n", n.to_string()))),
        None => None,
    };
    let overview = service
        .monitor_overview(&session.actor)
        .await
        .or_page(&ctx)?;
    let inbox = match service.inbox(&session.actor, None, Some(50)).await {
        Ok(p) => p.items,
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let unread = inbox.iter().filter(|e| !e.read).count();
    let names = super::case_view::Names::load(&service).await;
    // Rectifications light up like case clocks: red past their due day.
    let today = service.today();
    let rates = [Role::Supervisor, Role::Reviewer, Role::Approver]
        .iter()
        .any(|r| session.actor.principal.has_role(*r));
    let overdue_rectifications = if rates {
        let list = service
            .rectifications(&session.actor, today - chrono::Duration::days(365))
            .await
            .or_page(&ctx)?;
        Some(list.iter().filter(|r| r.is_overdue(today)).count())
    } else {
        None
    };
    let undelivered = if onewindow_app::messages::sees_undelivered(&session.actor.principal) {
        let given_up = service
            .undelivered_messages(&session.actor)
            .await
            .or_page(&ctx)?;
        Some(crate::pages::case_messages::lines(t, given_up))
    } else {
        None
    };
    Ok(render(&MonitorPage {
        chrome: ctx.chrome,
        red: overview.red,
        yellow: overview.yellow,
        green: overview.green,
        inbox,
        unread,
        names,
        notice,
        overdue_rectifications,
        undelivered,
        market: onewindow_domain::intermediary::decide_market(
            &session.actor.principal,
            onewindow_domain::intermediary::MarketOperation::Monitor,
            Default::default(),
        )
        .is_allowed(),
    }))
}

/// Marks alerts read in bulk: the ones ticked (`id`), or every unread one the page showed
/// (`shown`) when the button says all (`all=true`). One call of the service, one transaction.
async fn mark_many_read(
    State(service): State<Service>,
    ctx: PageCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&STAFF)?.clone();
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    ctx.check_csrf(value("csrf_token").unwrap_or_default())?;
    let wanted = if value("all") == Some("true") {
        "shown"
    } else {
        "id"
    };
    let ids: Vec<String> = fields
        .iter()
        .filter(|(k, v)| k == wanted && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect();
    if ids.is_empty() {
        return Ok(see_other("/monitor?read=none#inbox"));
    }
    Ok(match service.mark_alerts_read(&session.actor, &ids).await {
        Ok(n) => see_other(&format!("/monitor?read={n}#inbox")),
        // An alert no longer in the reader's inbox (another tab, a changed post): nothing was
        // marked; the page shows the inbox as it is.
        Err(onewindow_app::AppError::Invalid(_)) => {
            ctx.error(StatusCode::UNPROCESSABLE_ENTITY, "monitor-bulk-refused")
        }
        Err(e) => ctx.app_error(e),
    })
}

async fn mark_read(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<super::TokenOnlyForm>,
) -> PageResult {
    let session = ctx.require_role(&STAFF)?.clone();
    ctx.check_csrf(&form.csrf_token)?;
    Ok(match service.mark_alert_read(&session.actor, &id).await {
        Ok(()) => see_other("/monitor#inbox"),
        Err(e) => ctx.app_error(e),
    })
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use crate::pages::testing::{Visitor, overdue_case, site};

    #[tokio::test]
    async fn the_supervisor_sees_the_lights_and_the_alerts_and_marks_one_read() {
        let site = site().await;
        // Two working days after acceptance the clock is overdue by one: one alert (green to red).
        let case = overdue_case(&site).await;

        let supervisor = site.login("supervisor", "jiancha-2026").await;
        let page = site.get(&supervisor, "/monitor").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&case.number), "the red clock is listed");
        assert!(page.body.contains("已超期 1 个工作日"));
        assert!(page.body.contains("class=\"light red\""));
        // Names, not codes: the department of the red clock and of the alert.
        assert!(
            page.body
                .contains("<td data-label=\"部门\">市场监督管理局</td>"),
            "{}",
            page.body
        );
        assert!(page.body.contains("· 市场监督管理局"), "the alert names it");
        assert!(!page.body.contains("SCJGJ"), "no department code");
        let english = site.get(&supervisor.clone().in_english(), "/monitor").await;
        assert!(english.body.contains("1 working day overdue"));
        assert!(
            english
                .body
                .contains("<td data-label=\"Department\">Market Supervision Administration</td>")
        );

        let alert_id = site
            .service
            .inbox(
                &site
                    .service
                    .authenticate(supervisor.session.as_deref().expect("token"), "t")
                    .await
                    .expect("s")
                    .actor,
                None,
                None,
            )
            .await
            .expect("inbox")
            .items[0]
            .alert
            .id
            .clone();
        let read = site
            .post_form(
                &supervisor,
                &format!("/monitor/alerts/{alert_id}/read"),
                &[],
            )
            .await;
        assert_eq!(read.status, StatusCode::SEE_OTHER);
        let page = site.get(&supervisor, "/monitor").await;
        assert!(page.body.contains("id=\"unread-count\">0<"));

        let stats = site
            .get(
                &supervisor,
                "/monitor/statistics?from=2026-11-01&to=2026-11-30",
            )
            .await;
        assert_eq!(stats.status, StatusCode::OK);
        assert!(
            stats.body.contains("id=\"stat-monitor-stats-accepted\">1<"),
            "one accepted"
        );
        assert!(stats.body.contains("id=\"stat-monitor-stats-overdue\">1<"));
        assert!(stats.body.contains("/api/v1/statistics?format=csv"));
        assert!(stats.body.contains("from=2026-11-01"));
        assert!(
            stats.body.contains("&#38;lang=zh-CN\" download>下载 CSV"),
            "the CSV in the page's language"
        );
        let english_stats = site
            .get(
                &supervisor.clone().in_english(),
                "/monitor/statistics?from=2026-11-01&to=2026-11-30",
            )
            .await;
        assert!(english_stats.body.contains("&#38;lang=en\" download>"));
        let bad = site
            .get(&supervisor, "/monitor/statistics?from=yesterday")
            .await;
        assert!(bad.body.contains("日期格式"));
        let clerk = site.login("clerk", "chuangkou-2026").await;
        assert_eq!(
            site.get(&clerk, "/monitor/statistics").await.status,
            StatusCode::FORBIDDEN
        );

        // The dashboard's charts: received and decided per day, on-time rate per department.
        assert_eq!(
            stats
                .body
                .matches("<svg width=\"100%\" role=\"img\"")
                .count(),
            2,
            "two charts"
        );
        assert!(stats.body.contains("aria-label=\"每日收件与办结（件）\""));
        assert!(stats.body.contains("aria-label=\"各部门按期办结率\""));
        assert!(
            stats
                .body
                .contains("href=\"/monitor/report/monthly?month=2026-11\""),
            "the link to the month's report"
        );

        // The monthly report of the month so far: the overdue case, open, with no reason.
        let report = site
            .get(&supervisor, "/monitor/report/monthly?month=2026-11")
            .await;
        assert_eq!(report.status, StatusCode::OK);
        assert!(report.body.contains("2026年11月政务服务效能监察报告"));
        assert!(report.body.contains("数据截至2026年11月10日"));
        assert!(report.body.contains("<table id=\"report-overdue\">"));
        assert!(
            report.body.contains(&case.number),
            "the overdue case is listed"
        );
        assert!(report.body.contains("<td>在办</td>"));
        assert!(report.body.contains("未记录延期或暂停原因"));
        assert!(report.body.contains("format=pdf"));
        let html = site
            .get(
                &supervisor,
                "/monitor/report/monthly?month=2026-11&format=html",
            )
            .await;
        assert_eq!(html.status, StatusCode::OK);
        assert!(html.body.starts_with("<!DOCTYPE html>"));
        assert!(html.body.contains("<style>"), "the file stands alone");
        assert_eq!(
            html.headers
                .get(axum::http::header::CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok()),
            Some("attachment; filename=\"monthly-2026-11.html\"")
        );
        let pdf = site
            .get(
                &supervisor,
                "/monitor/report/monthly?month=2026-11&format=pdf",
            )
            .await;
        if onewindow_app::monthly_report::load_font(None).is_ok() {
            assert_eq!(pdf.status, StatusCode::OK);
            assert!(pdf.body.starts_with("%PDF-"));
        } else {
            assert_eq!(pdf.status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(pdf.body.contains("fonts-noto-cjk"));
        }
        let english = site
            .get(
                &supervisor.clone().in_english(),
                "/monitor/report/monthly?month=2026-11",
            )
            .await;
        assert!(english.body.contains("Service inspection report, 2026-11"));
        for (path, status) in [
            (
                "/monitor/report/monthly?month=2026-13",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "/monitor/report/monthly?month=2026-12",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            assert_eq!(site.get(&supervisor, path).await.status, status, "{path}");
        }
        assert_eq!(
            site.get(&clerk, "/monitor/report/monthly?month=2026-11&format=pdf")
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        let citizen = site.login("citizen", "shimin-2026").await;
        assert_eq!(
            site.get(&citizen, "/monitor").await.status,
            StatusCode::FORBIDDEN
        );
        let anonymous = site.get(&Visitor::default(), "/monitor").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    }
}
