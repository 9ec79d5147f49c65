//! 办件查询: the public look-up of a case by its receipt number and the applicant's name, where
//! the receipt's QR code leads. State and dates only; the applicant signs in for the rest.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use onewindow_app::{AppError, Service};
use onewindow_domain::disclosure::PublicStatus;
use serde::Deserialize;

use super::page_error::PageResult;
use super::{Chrome, PageCtx, encode_query_value, render};
use crate::extract::Source;
use crate::i18n::Messages;

pub fn routes() -> Router<Service> {
    Router::new().route("/lookup", get(form).post(look_up))
}

/// The answer as the page shows it.
struct Answer {
    number: String,
    item_name: String,
    status: String,
    tone: &'static str,
    facts: Vec<(String, String)>,
    /// Where the applicant signs in to see the whole case.
    own_case: String,
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    chrome: Chrome,
    number: String,
    name: String,
    number_error: Option<String>,
    name_error: Option<String>,
    general: Option<String>,
    answer: Option<Answer>,
}

#[derive(Debug, Deserialize, Default)]
struct LookupQuery {
    /// The receipt number, as the receipt's QR code carries it.
    #[serde(default)]
    number: String,
}

#[derive(Debug, Deserialize, Default)]
struct LookupForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    name: String,
}

fn page(chrome: &Chrome, number: &str, name: &str) -> LookupPage {
    LookupPage {
        chrome: chrome.clone(),
        number: number.trim().to_string(),
        name: name.trim().to_string(),
        number_error: None,
        name_error: None,
        general: None,
        answer: None,
    }
}

async fn form(ctx: PageCtx, Query(q): Query<LookupQuery>) -> PageResult {
    Ok(render(&page(&ctx.chrome, &q.number, "")))
}

async fn look_up(
    State(service): State<Service>,
    ctx: PageCtx,
    Source(source): Source,
    Form(f): Form<LookupForm>,
) -> PageResult {
    let t = ctx.chrome.t;
    let mut view = page(&ctx.chrome, &f.number, &f.name);
    match service.look_up_case(&f.number, &f.name, &source).await {
        Ok(status) => {
            view.answer = Some(answer_of(t, &status));
            Ok(render(&view))
        }
        Err(AppError::Invalid(errors)) => {
            for e in errors {
                match e.field.as_str() {
                    "number" => view.number_error = Some(t.get("lookup-error-number").to_string()),
                    _ => view.name_error = Some(t.get("lookup-error-name").to_string()),
                }
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response())
        }
        Err(AppError::NotFound { .. }) => {
            view.general = Some(t.get("lookup-not-found").to_string());
            Ok((StatusCode::NOT_FOUND, render(&view)).into_response())
        }
        Err(AppError::RateLimited { wait_seconds }) => {
            view.general =
                Some(t.fill1("lookup-rate-limited", "seconds", wait_seconds.to_string()));
            Ok((StatusCode::TOO_MANY_REQUESTS, render(&view)).into_response())
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

fn answer_of(t: &Messages, s: &PublicStatus) -> Answer {
    use onewindow_domain::case::Status;
    let tone = match s.status {
        Status::Rejected | Status::Denied => "bad",
        Status::SupplementRequested | Status::Suspended => "warn",
        _ => "ok",
    };
    let mut facts = vec![(t.get("lookup-received").to_string(), t.date(&s.received_on))];
    if let Some(d) = s.accepted_on {
        facts.push((t.get("lookup-accepted").to_string(), t.date(&d)));
    }
    if let Some(d) = s.due_on {
        facts.push((t.get("lookup-due").to_string(), t.date(&d)));
    }
    if let (Some(d), Some(approved)) = (s.decided_on, s.approved) {
        facts.push((
            t.get("lookup-decided").to_string(),
            t.fill1(
                if approved {
                    "lookup-decided-granted"
                } else {
                    "lookup-decided-refused"
                },
                "date",
                t.date(&d),
            ),
        ));
    }
    if let Some(d) = s.closed_on {
        facts.push((t.get("lookup-closed").to_string(), t.date(&d)));
    }
    Answer {
        number: s.number.clone(),
        item_name: s.item_name.clone(),
        status: t
            .get(crate::pages::case_view::status_key(s.status))
            .to_string(),
        tone,
        facts,
        own_case: format!("/my/cases/{}", encode_query_value(&s.number)),
    }
}
