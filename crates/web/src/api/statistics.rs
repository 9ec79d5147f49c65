//! Statistics of a period, the assessment, fault records and the monthly inspection report
//! (supervisors).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use onewindow_app::Service;
use onewindow_app::monthly_report::Month;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery};
use crate::extract::Auth;
use crate::i18n::Lang;
use crate::pages::monitor::{RenderError, download, monthly_html, monthly_pdf, server_font};
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(statistics))
        .routes(routes!(assessment))
        .routes(routes!(faults, record_fault))
        .routes(routes!(monthly))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentParams {
    /// department, centre or staff (the approver who decided).
    unit: String,
    #[param(value_type = Option<String>, format = Date)]
    from: Option<chrono::NaiveDate>,
    #[param(value_type = Option<String>, format = Date)]
    to: Option<chrono::NaiveDate>,
}

/// The ranking of departments, centres or staff for a period by the scoring scheme (on time 60,
/// at most one visit 20, satisfaction 20 from the return visits answered in the period — scaled
/// onto the others for a unit nobody answered about —, minus 5 per fault record and 2 per
/// justified complaint answered in the period). Staff get up to three service stars. Supervisors only.
#[utoipa::path(get, path = "/assessment", params(AssessmentParams),
    responses((status = 200, body = [onewindow_domain::assessment::Ranked]), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn assessment(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<AssessmentParams>,
) -> Result<Json<Vec<onewindow_domain::assessment::Ranked>>, Problem> {
    let unit = onewindow_app::assessment::Unit::parse(&q.unit)
        .ok_or_else(|| Problem::field("unit", "department, centre or staff"))?;
    Ok(Json(
        service.assessment(&auth.actor, unit, q.from, q.to).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FaultParams {
    #[param(value_type = String, format = Date)]
    from: chrono::NaiveDate,
    #[param(value_type = String, format = Date)]
    to: chrono::NaiveDate,
}

/// Fault responsibility records of a period. Supervisors only.
#[utoipa::path(get, path = "/faults", params(FaultParams),
    responses((status = 200, body = [Object]), (status = 403, body = Problem)))]
pub(crate) async fn faults(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<FaultParams>,
) -> Result<Json<Vec<onewindow_app::assessment::Fault>>, Problem> {
    Ok(Json(service.faults(&auth.actor, q.from, q.to).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FaultRequest {
    /// staff, department or centre.
    unit_kind: String,
    /// The user name, department code or centre code held responsible.
    unit: String,
    what: String,
    rule: String,
    decision: String,
    /// Default today.
    #[schema(value_type = Option<String>, format = Date)]
    occurred_on: Option<chrono::NaiveDate>,
}

/// Record a fault responsibility record (过错责任); it counts against the unit in the assessment.
#[utoipa::path(post, path = "/faults", request_body = FaultRequest,
    responses((status = 201, body = Object), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn record_fault(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<FaultRequest>,
) -> Result<(StatusCode, Json<onewindow_app::assessment::Fault>), Problem> {
    let fault = service
        .record_fault(
            &auth.actor,
            onewindow_app::assessment::NewFault {
                unit_kind: body.unit_kind,
                unit: body.unit,
                what: body.what,
                rule: body.rule,
                decision: body.decision,
                occurred_on: body.occurred_on,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(fault)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsParams {
    /// First day of the period (YYYY-MM-DD); default the first of this month.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<chrono::NaiveDate>,
    /// Last day of the period, included; default today.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<chrono::NaiveDate>,
    item: Option<String>,
    department: Option<String>,
    centre: Option<String>,
    /// window, online, mobile, township, village or agent.
    channel: Option<String>,
    /// The window that received the cases, as centre/code (e.g. county-hall/01).
    window: Option<String>,
    /// county, township or village: the cases of the items handled at that level.
    level: Option<String>,
    /// county, township or village: the cases accepted at a centre of that level.
    accepted_level: Option<String>,
    /// A township's centre (e.g. township-qiantong): the cases accepted there and at its village
    /// points.
    township: Option<String>,
    /// json (default), csv or xlsx.
    format: Option<String>,
    /// The language of the labels. The spreadsheet: zh-CN (default) or en. The CSV: zh-CN names
    /// the columns and figures in Chinese (with a byte order mark); without `lang` the first
    /// language of `Accept-Language` counts; otherwise (en, or nothing) the machine names.
    lang: Option<String>,
}

/// The figures of a period: received, accepted, rejected, completed; on-time, ahead-of-promise
/// and at-most-once rates; average working days used against promised; overdue; suspended and
/// extended. Supervisors only. `format=csv` answers a CSV file, `format=xlsx` a spreadsheet
/// (labels in `lang`).
#[utoipa::path(get, path = "/statistics", params(StatisticsParams),
    responses((status = 200, body = onewindow_domain::statistics::PeriodStatistics), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn statistics(
    State(service): State<Service>,
    Auth(auth): Auth,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<StatisticsParams>,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    let format = match q.format.as_deref() {
        None | Some("json") => "json",
        Some("csv") => "csv",
        Some("xlsx") => "xlsx",
        Some(_) => return Err(Problem::field("format", "json, csv or xlsx")),
    };
    let lang = if format == "csv" {
        csv_lang(q.lang.as_deref(), &headers)?
    } else {
        None
    };
    let figures = service
        .statistics(
            &auth.actor,
            onewindow_app::statistics::StatisticsQuery {
                from: q.from,
                to: q.to,
                item_code: q.item,
                department: q.department,
                centre: q.centre,
                channel: q.channel,
                window: q.window,
                level: q.level,
                accepted_level: q.accepted_level,
                township: q.township,
            },
        )
        .await?;
    if format == "json" {
        return Ok(Json(figures).into_response());
    }
    if format == "xlsx" {
        let t = crate::i18n::Lang::parse(q.lang.as_deref().unwrap_or("zh-CN"))
            .unwrap_or_default()
            .messages();
        let labels = onewindow_report::StatisticsLabels {
            sheet: t.get("monitor-stats-title"),
            figure: t.get("monitor-stats-figure"),
            value: t.get("monitor-stats-value"),
            numerator: t.get("monitor-stats-numerator"),
            denominator: t.get("monitor-stats-denominator"),
            period: t.get("monitor-stats-period"),
            received: t.get("monitor-stats-received"),
            accepted: t.get("monitor-stats-accepted"),
            rejected: t.get("monitor-stats-rejected"),
            withdrawn: t.get("monitor-stats-withdrawn"),
            completed: t.get("monitor-stats-completed"),
            on_time: t.get("monitor-stats-on-time"),
            ahead: t.get("monitor-stats-ahead"),
            at_most_once: t.get("monitor-stats-at-most-once"),
            days_used: t.get("monitor-stats-days-used"),
            days_promised: t.get("monitor-stats-days-promised"),
            overdue: t.get("monitor-stats-overdue"),
            suspended: t.get("monitor-stats-suspended"),
            extended: t.get("monitor-stats-extended"),
            satisfaction: t.get("monitor-stats-satisfaction"),
            good_rate: t.get("monitor-stats-good-rate"),
            bad_ratings: t.get("monitor-stats-bad-ratings"),
            rectified_on_time: t.get("monitor-stats-rectified-on-time"),
            complaints: t.get("monitor-stats-complaints"),
        };
        let bytes = onewindow_report::statistics_xlsx(&figures, &labels).map_err(|e| {
            tracing::error!(error = %e, "spreadsheet failed");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "the spreadsheet could not be written",
            )
        })?;
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"statistics.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response());
    }
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"statistics.csv\"",
            ),
        ],
        statistics_csv(&figures, lang.map(crate::i18n::Lang::messages)),
    )
        .into_response())
}

/// The language of the CSV: `lang` if given, else the first language of `Accept-Language` the
/// catalogue has, else none (the machine names, for API clients).
fn csv_lang(
    lang: Option<&str>,
    headers: &axum::http::HeaderMap,
) -> Result<Option<crate::i18n::Lang>, Problem> {
    if let Some(text) = lang {
        return crate::i18n::Lang::parse(text)
            .map(Some)
            .ok_or_else(|| Problem::field("lang", "zh-CN or en"));
    }
    let accepted = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Ok(accepted
        .split(',')
        .filter_map(|part| part.split(';').next())
        .map(str::trim)
        .find_map(|tag| {
            let primary = tag.split('-').next().unwrap_or_default();
            if primary.eq_ignore_ascii_case("zh") {
                Some(crate::i18n::Lang::ZhCn)
            } else if primary.eq_ignore_ascii_case("en") {
                Some(crate::i18n::Lang::En)
            } else {
                None
            }
        }))
}

/// One CSV field, quoted when it has to be.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The figures as CSV: one row per figure with its numerator, denominator and percentage. With
/// `t` of the Chinese catalogue the header row and the figures are named as the statistics page
/// names them (指标, 办结数, 按期办结率 …) and the file starts with a byte order mark, so that
/// spreadsheet programs read it as UTF-8; otherwise (English, the default for API clients) the
/// machine names `figure,value,…`, `on_time`.
pub fn statistics_csv(
    s: &onewindow_domain::statistics::PeriodStatistics,
    t: Option<&crate::i18n::Messages>,
) -> String {
    let t = t.filter(|t| t.lang() == crate::i18n::Lang::ZhCn);
    let name = |machine: &'static str, key: &'static str| -> String {
        csv_field(t.map_or(machine, |t| t.get(key)))
    };
    let mut out = String::new();
    if t.is_some() {
        out.push('\u{feff}');
    }
    out.push_str(&format!(
        "{},{},{},{},{}\n",
        name("figure", "monitor-stats-figure"),
        name("value", "monitor-stats-value"),
        name("numerator", "monitor-stats-numerator"),
        name("denominator", "monitor-stats-denominator"),
        name("percent", "monitor-stats-percent"),
    ));
    let count = |out: &mut String, name: String, n: u64| {
        out.push_str(&format!("{name},{n},,,\n"));
    };
    let ratio = |out: &mut String, name: String, r: &onewindow_domain::figures::Ratio| {
        out.push_str(&format!(
            "{name},{:.2}%,{},{},{:.2}\n",
            r.percent(),
            r.numerator,
            r.denominator,
            r.percent()
        ));
    };
    out.push_str(&format!(
        "{},{},,,\n{},{},,,\n",
        name("from", "monitor-stats-from"),
        s.from,
        name("to", "monitor-stats-to"),
        s.to
    ));
    count(
        &mut out,
        name("received", "monitor-stats-received"),
        s.received,
    );
    count(
        &mut out,
        name("accepted", "monitor-stats-accepted"),
        s.accepted,
    );
    count(
        &mut out,
        name("rejected", "monitor-stats-rejected"),
        s.rejected,
    );
    count(
        &mut out,
        name("withdrawn", "monitor-stats-withdrawn"),
        s.withdrawn,
    );
    count(
        &mut out,
        name("completed", "monitor-stats-completed"),
        s.completed,
    );
    ratio(
        &mut out,
        name("on_time", "monitor-stats-on-time"),
        &s.on_time,
    );
    ratio(
        &mut out,
        name("ahead_of_promise", "monitor-stats-ahead"),
        &s.ahead_of_promise,
    );
    ratio(
        &mut out,
        name("at_most_once", "monitor-stats-at-most-once"),
        &s.at_most_once,
    );
    ratio(
        &mut out,
        name("actual_speed_up", "monitor-stats-actual-speed-up"),
        &s.actual_speed_up,
    );
    out.push_str(&format!(
        "{},{:.2},,,\n{},{:.2},,,\n",
        name("average_days_used", "monitor-stats-days-used"),
        s.average_days_used_centi as f64 / 100.0,
        name("average_days_promised", "monitor-stats-days-promised"),
        s.average_days_promised_centi as f64 / 100.0
    ));
    count(
        &mut out,
        name("overdue", "monitor-stats-overdue"),
        s.overdue,
    );
    ratio(
        &mut out,
        name("suspended", "monitor-stats-suspended"),
        &s.suspended,
    );
    ratio(
        &mut out,
        name("extended", "monitor-stats-extended"),
        &s.extended,
    );
    ratio(
        &mut out,
        name("satisfaction", "monitor-stats-satisfaction"),
        &s.satisfaction,
    );
    ratio(
        &mut out,
        name("good_rate", "monitor-stats-good-rate"),
        &s.good_rate,
    );
    count(
        &mut out,
        name("bad_ratings", "monitor-stats-bad-ratings"),
        s.bad_ratings,
    );
    ratio(
        &mut out,
        name("rectified_on_time", "monitor-stats-rectified-on-time"),
        &s.rectified_on_time,
    );
    count(
        &mut out,
        name("complaints", "monitor-stats-complaints"),
        s.complaints,
    );
    out
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthlyParams {
    /// The month, YYYY-MM.
    month: String,
    /// json (default: the figures), html (a stand-alone file) or pdf.
    format: Option<String>,
    /// The language of the HTML and PDF: zh-CN (default) or en.
    lang: Option<String>,
}

fn internal(e: &RenderError) -> Problem {
    tracing::error!(error = %e, "the monthly report failed");
    match e {
        RenderError::Font(e) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "report-font-missing",
            "No font for the PDF report",
            e.to_string(),
        ),
        _ => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the report could not be rendered",
        ),
    }
}

/// The monthly inspection report of a month: its figures and the change against the previous
/// month, the daily series, the ranking of departments and service centres, the service stars,
/// the overdue cases with the reasons recorded for their extensions and stops. Supervisors only.
/// `format=html` answers the stand-alone HTML file, `format=pdf` the PDF (Chinese text with an
/// embedded CJK font subset; 503 `report-font-missing` when the server has no such font).
#[utoipa::path(get, path = "/reports/monthly", params(MonthlyParams),
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub(crate) async fn monthly(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<MonthlyParams>,
) -> Result<Response, Problem> {
    let month =
        Month::parse(&q.month).ok_or_else(|| Problem::field("month", "YYYY-MM, e.g. 2026-10"))?;
    let format = match q.format.as_deref() {
        None | Some("json") => "json",
        Some("html") => "html",
        Some("pdf") => "pdf",
        Some(_) => return Err(Problem::field("format", "json, html or pdf")),
    };
    let lang = match q.lang.as_deref() {
        None => Lang::ZhCn,
        Some(text) => Lang::parse(text).ok_or_else(|| Problem::field("lang", "zh-CN or en"))?,
    };
    let report = service.monthly_report(&auth.actor, month).await?;
    let name = |ext: &str| format!("monthly-{month}.{ext}");
    match format {
        "json" => Ok(Json(report).into_response()),
        "html" => {
            let html = monthly_html(&report, lang).map_err(|e| internal(&e))?;
            Ok(download(
                "text/html; charset=utf-8",
                &name("html"),
                html.into_bytes(),
            ))
        }
        _ => {
            let pdf = tokio::task::spawn_blocking(move || {
                let font = server_font()?;
                monthly_pdf(&report, lang, &font)
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "the PDF task failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the report could not be rendered",
                )
            })?
            .map_err(|e| internal(&e))?;
            Ok(download("application/pdf", &name("pdf"), pdf))
        }
    }
}
