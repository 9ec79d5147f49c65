//! Page: the county's rule for a promised material that did not arrive (容缺受理 失信处理) —
//! stop the clock until it comes, or send the applicant back to supplement. The promise sweep
//! applies it from its next round.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use onewindow_app::Service;
use onewindow_app::tolerance::TolerancePolicy;
use onewindow_domain::access::Role;
use onewindow_domain::tolerance::BrokenPromiseRule;
use serde::Deserialize;

use crate::pages::guard::{Admin, CarriesCsrf, CsrfForm};
use crate::pages::page_error::{OrPage, PageResult};
use crate::pages::{Chrome, PageCtx, render, see_other};

pub(super) const PATH: &str = "/admin/tolerance";

pub(super) fn routes() -> Router<Service> {
    Router::new()
        .route(PATH, get(show).post(save))
        .route("/admin/tolerance/drafts", axum::routing::post(save_days))
}

#[derive(Template)]
#[template(path = "admin/tolerance.html")]
struct TolerancePage {
    chrome: Chrome,
    /// `stop_clock` or `back_to_supplement`.
    rule: &'static str,
    saved: bool,
    error: bool,
    /// Days an applicant's saved application is kept (暂存).
    draft_days: String,
    days_error: bool,
}

#[derive(Debug, Deserialize)]
struct SavedQuery {
    saved: Option<u8>,
}

async fn show(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(query): Query<SavedQuery>,
) -> PageResult {
    ctx.require_role(&[Role::Administrator])?;
    let policy = service.tolerance_policy().await.or_page(&ctx)?;
    let page = TolerancePage {
        chrome: ctx.chrome.clone(),
        rule: policy.broken_promise_rule.as_str(),
        saved: query.saved.is_some(),
        error: false,
        draft_days: service.draft_days().await.or_page(&ctx)?.to_string(),
        days_error: false,
    };
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
struct RuleForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    rule: String,
}

impl CarriesCsrf for RuleForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

async fn save(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<RuleForm>,
) -> PageResult {
    let Some(rule) = BrokenPromiseRule::parse(form.rule.trim()) else {
        let policy = service.tolerance_policy().await.or_page(&ctx)?;
        let page = TolerancePage {
            chrome: ctx.chrome.clone(),
            rule: policy.broken_promise_rule.as_str(),
            saved: false,
            error: true,
            draft_days: service.draft_days().await.or_page(&ctx)?.to_string(),
            days_error: false,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    service
        .set_tolerance_policy(
            &session.actor,
            TolerancePolicy {
                broken_promise_rule: rule,
            },
        )
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!("{PATH}?saved=1")))
}

#[derive(Debug, Deserialize)]
struct DaysForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    draft_days: String,
}

impl CarriesCsrf for DaysForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

async fn save_days(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<DaysForm>,
) -> PageResult {
    let days = form.draft_days.trim().parse::<u32>().ok();
    let saved = match days {
        Some(days) => match service.set_draft_days(&session.actor, days).await {
            Ok(_) => true,
            Err(onewindow_app::AppError::Invalid(_)) => false,
            Err(e) => return Ok(ctx.app_error(e)),
        },
        None => false,
    };
    if saved {
        return Ok(see_other(&format!("{PATH}?saved=1")));
    }
    let policy = service.tolerance_policy().await.or_page(&ctx)?;
    let page = TolerancePage {
        chrome: ctx.chrome.clone(),
        rule: policy.broken_promise_rule.as_str(),
        saved: false,
        error: false,
        draft_days: form.draft_days.trim().to_string(),
        days_error: true,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}
