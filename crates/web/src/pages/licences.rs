//! Pages of electronic licences: the public verification (证照核验, no login), the holder's
//! licence library (我的证照), and the PDF download, which delivers a case waiting for an
//! online delivery.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::NaiveDate;
use onewindow_app::licences::{LicenceView, LicenceWords, VerificationAnswer};
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::licence::{LicenceState, Verdict};
use serde::Deserialize;

use super::page_error::PageResult;
use super::{Chrome, PageCtx, encode_query_value, render};
use crate::extract::PublicBase;
use crate::i18n::Messages;

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/verify", get(verify_page))
        .route("/my/licences", get(library))
        .route("/licences/{identifier}/pdf", get(download))
        .route("/my/cases/{id}/decision.pdf", get(decision))
}

fn state_key(state: LicenceState) -> &'static str {
    match state {
        LicenceState::Valid => "licences-state-valid",
        LicenceState::Changed => "licences-state-changed",
        LicenceState::Revoked => "licences-state-revoked",
        LicenceState::Expired => "licences-state-expired",
        LicenceState::Cancelled => "licences-state-cancelled",
    }
}

fn verdict_key(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "licences-verdict-valid",
        Verdict::Changed => "licences-verdict-changed",
        Verdict::Revoked => "licences-verdict-revoked",
        Verdict::Expired => "licences-verdict-expired",
        Verdict::Cancelled => "licences-verdict-cancelled",
        Verdict::Unknown => "licences-verdict-unknown",
        Verdict::Forged => "licences-verdict-forged",
    }
}

/// "from … to …", or "from …, without time limit".
fn valid_text(t: &Messages, from: NaiveDate, until: Option<NaiveDate>) -> String {
    match until {
        Some(until) => t.fill(
            "licences-valid-range",
            &[("from", &t.date(&from)), ("until", &t.date(&until))],
        ),
        None => t.fill1("licences-valid-unlimited", "from", t.date(&from)),
    }
}

/// A licence as a row of the library or a line of a case page.
#[derive(Debug, Clone)]
pub struct LicenceRow {
    pub licence_type: String,
    pub number: String,
    pub version: u16,
    pub state: String,
    /// `ok`, `warn` or `bad`, for the badge's colour.
    pub tone: &'static str,
    pub valid: String,
    pub issuer: String,
    pub download: String,
    pub verify: String,
    pub identifier: String,
}

impl LicenceRow {
    pub fn of(t: &Messages, view: &LicenceView) -> Self {
        let l = &view.licence;
        let valid = valid_text(t, l.valid_from, l.valid_until);
        Self {
            licence_type: l.licence_type.clone(),
            number: l.number.clone(),
            version: l.version,
            state: t.get(state_key(view.current_state)).to_string(),
            tone: match view.current_state {
                LicenceState::Valid => "ok",
                LicenceState::Changed | LicenceState::Expired => "warn",
                LicenceState::Revoked | LicenceState::Cancelled => "bad",
            },
            valid,
            issuer: l.issuer_name.clone(),
            download: format!("/licences/{}/pdf", encode_query_value(&l.identifier)),
            verify: format!("/verify?id={}", encode_query_value(&l.identifier)),
            identifier: l.identifier.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "licences/library.html")]
struct LibraryPage {
    chrome: Chrome,
    rows: Vec<LicenceRow>,
}

async fn library(State(service): State<Service>, ctx: PageCtx) -> PageResult {
    let session = ctx.require_role(&[Role::Applicant])?;
    let views = match service.my_licences(&session.actor).await {
        Ok(v) => v,
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let t = ctx.chrome.t;
    Ok(render(&LibraryPage {
        chrome: ctx.chrome.clone(),
        rows: views.iter().map(|v| LicenceRow::of(t, v)).collect(),
    }))
}

/// The licence PDF for a logged-in reader; the page's answer to a refusal.
async fn download(
    State(service): State<Service>,
    ctx: PageCtx,
    PublicBase(base): PublicBase,
    Path(identifier): Path<String>,
) -> PageResult {
    let session = ctx.require_login()?;
    match service
        .licence_pdf(&session.actor, &identifier, &LicenceWords::chinese(), &base)
        .await
    {
        Ok(pdf) => Ok(crate::api::pdf_response(pdf.bytes, &pdf.file_name)),
        Err(AppError::Unavailable(_)) => {
            Ok(ctx.error(StatusCode::SERVICE_UNAVAILABLE, "licences-pdf-unavailable"))
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

/// The decision document of the applicant's case; the first download of a result waiting for
/// delivery delivers it.
async fn decision(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> PageResult {
    let session = ctx.require_login()?;
    match service.decision_pdf(&session.actor, &id).await {
        Ok(pdf) => Ok(crate::api::pdf_response(pdf.bytes, &pdf.file_name)),
        Err(AppError::Unavailable(_)) => {
            Ok(ctx.error(StatusCode::SERVICE_UNAVAILABLE, "licences-pdf-unavailable"))
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

#[derive(Debug, Deserialize, Default)]
struct VerifyQuery {
    id: Option<String>,
    k: Option<String>,
    s: Option<String>,
}

/// The answer panel of the verification page.
struct Answer {
    verdict: String,
    tone: &'static str,
    explanation: String,
    facts: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "licences/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    asked: String,
    error: Option<String>,
    answer: Option<Answer>,
}

async fn verify_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(q): Query<VerifyQuery>,
) -> PageResult {
    let t = ctx.chrome.t;
    let asked = q.id.clone().unwrap_or_default();
    let mut page = VerifyPage {
        chrome: ctx.chrome.clone(),
        asked: asked.clone(),
        error: None,
        answer: None,
    };
    if asked.trim().is_empty() {
        return Ok(render(&page));
    }
    let question =
        onewindow_domain::licence::verification_question(&asked, q.k.as_deref(), q.s.as_deref());
    match service.verify_licence(&question).await {
        Ok(answer) => page.answer = Some(answer_of(t, &answer)),
        Err(AppError::Invalid(errors)) => {
            page.error = Some(t.fill1(
                "licences-verify-malformed",
                "reason",
                errors.first().map(|e| e.reason.clone()).unwrap_or_default(),
            ));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
        Err(e) => return Ok(ctx.app_error(e)),
    }
    Ok(render(&page))
}

fn answer_of(t: &Messages, answer: &VerificationAnswer) -> Answer {
    let tone = match answer.verdict {
        Verdict::Valid => "ok",
        Verdict::Changed | Verdict::Expired => "warn",
        _ => "bad",
    };
    let mut facts = Vec::new();
    if let Some(l) = &answer.licence {
        facts.push((
            t.get("licences-col-type").to_string(),
            l.licence_type.clone(),
        ));
        facts.push((t.get("licences-col-number").to_string(), l.number.clone()));
        facts.push((t.get("licences-holder").to_string(), l.holder_name.clone()));
        facts.push((
            t.get("licences-holder-id").to_string(),
            l.holder_id_masked.clone(),
        ));
        facts.push((t.get("licences-scope").to_string(), l.scope.clone()));
        facts.push((
            t.get("licences-col-issuer").to_string(),
            l.issuer_name.clone(),
        ));
        facts.push((
            t.get("licences-issued-on").to_string(),
            t.date(&l.issued_on),
        ));
        let valid = valid_text(t, l.valid_from, l.valid_until);
        facts.push((t.get("licences-col-valid").to_string(), valid));
        facts.push((
            t.get("licences-col-version").to_string(),
            l.version.to_string(),
        ));
        if let Some(next) = &l.superseded_by {
            facts.push((t.get("licences-superseded-by").to_string(), next.clone()));
        }
        if let Some(on) = &l.state_changed_on {
            facts.push((t.get("licences-state-changed-on").to_string(), t.date(on)));
        }
    }
    facts.push((
        t.get("licences-identifier").to_string(),
        answer.identifier.clone(),
    ));
    Answer {
        verdict: t.get(verdict_key(answer.verdict)).to_string(),
        tone,
        explanation: if answer.signature_checked && answer.verdict != Verdict::Forged {
            t.get("licences-verify-signature-ok").to_string()
        } else {
            t.get(match answer.verdict {
                Verdict::Forged => "licences-verify-forged-why",
                Verdict::Unknown => "licences-verify-unknown-why",
                _ => "licences-verify-online",
            })
            .to_string()
        },
        facts,
    }
}
