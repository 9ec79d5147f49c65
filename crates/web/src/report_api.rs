//! The monthly inspection report in the JSON API: its figures as JSON, or the rendered report as
//! a stand-alone HTML file or a PDF.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use axum::{Json, Router};
use onewindow_app::Service;
use onewindow_app::monthly_report::Month;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::ApiQuery;
use crate::auth::Auth;
use crate::i18n::Lang;
use crate::problem::Problem;
use crate::ui::monitor::{RenderError, download, monthly_html, monthly_pdf, server_font};

pub fn router() -> Router<Service> {
    Router::new().route("/reports/monthly", get(monthly))
}

#[derive(Debug, Deserialize, IntoParams)]
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
