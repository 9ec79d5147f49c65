//! Pages: administration — catalogue items edited as drafts, compared with the published version
//! and published; cancellations of materials and intermediary services with their reasons;
//! departments, centres, windows; accounts.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use onewindow_app::accounts::{NewUser, UserView};
use onewindow_app::admin::{Centre, DraftSummary, DraftView, Window};
use onewindow_app::{AppError, ItemFilter, Service};
use onewindow_domain::access::{Post, Role};
use onewindow_domain::catalogue::{
    Department, ItemKind, Material, MaterialCategory, MaterialForm, MaterialSource, PublishedItem,
    RunMode,
};
use onewindow_domain::validation::FieldError;
use serde::Deserialize;

use super::guard::{Admin, CarriesCsrf, CsrfForm};
use super::page_error::{OrPage, PageResult};
use super::{Chrome, PageCtx, render, see_other};
use crate::i18n::Messages;

mod calendar;
mod diff_labels;
mod equivalents;
mod hall;
mod items;
#[cfg(test)]
mod tests;
mod tolerance;
mod users;

use hall::*;
use items::*;
use users::*;

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/items", get(items))
        .route("/admin/items/{code}", get(item).post(save_item))
        .route("/admin/items/{code}/publish", post(publish))
        .route("/admin/items/{code}/discard", post(discard))
        .route("/admin/items/{code}/cancel-material", post(cancel_material))
        .route(
            "/admin/items/{code}/cancel-intermediary",
            post(cancel_intermediary),
        )
        .route("/admin/hall", get(hall))
        .route("/admin/hall/centres", post(save_centre))
        .route("/admin/hall/windows", post(save_window))
        .route("/admin/hall/import", post(import_hall))
        .route("/admin/hall/departments", post(save_department))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{username}/disable", post(disable_user))
        .route("/admin/users/{username}/enable", post(enable_user))
        .route("/admin/users/{username}", get(user))
        .route("/admin/users/{username}/posts", post(set_posts))
        .route(
            "/admin/users/{username}/reset-password",
            post(reset_password),
        )
        .merge(calendar::routes())
        .merge(equivalents::routes())
        .merge(tolerance::routes())
}

/// A field error in the page's language: the common reasons are translated, others shown as the
/// service gave them.
fn field_message(t: &Messages, e: &FieldError) -> String {
    let r = e.reason.as_str();
    let key = if r == "must not be empty" {
        "admin-error-empty"
    } else if r == "must be at least 1" {
        "admin-error-at-least-one"
    } else if r.starts_with("promised limit") {
        "admin-error-promised-exceeds"
    } else if r.starts_with("automatic approval (秒批) is for an immediate item only") {
        "auto-approval-immediate-only"
    } else if r.starts_with("only an immediate item") {
        "admin-error-immediate-only"
    } else if r.starts_with("duplicate material key") {
        "admin-error-duplicate-key"
    } else if r.starts_with("at least one level") {
        "admin-error-levels"
    } else if r.starts_with("say why it is cancelled") {
        "admin-error-reason"
    } else if r.starts_with("no department with code") {
        "admin-error-unknown-department"
    } else if r.starts_with("no centre with code") {
        "admin-error-unknown-centre"
    } else if r.starts_with("the user name") && r.ends_with("is taken") {
        "admin-error-username-taken"
    } else if r.starts_with("at least") && r.ends_with("characters") {
        "admin-error-password-short"
    } else if r == "must not contain the user name" {
        "admin-error-password-username"
    } else {
        return crate::pages::reasons::reason_or_general(t, e);
    };
    t.get(key).to_string()
}

/// Errors by field, for a form.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors {
    by_field: HashMap<String, String>,
    /// Errors of fields the form does not show.
    pub others: Vec<String>,
}

impl FieldErrors {
    fn from(t: &Messages, errors: &[FieldError], shown: &[&str]) -> Self {
        let mut out = FieldErrors::default();
        for e in errors {
            let message = field_message(t, e);
            let shown_here = shown
                .iter()
                .any(|f| e.field == *f || e.field.starts_with(&format!("{f}[")))
                || e.field.starts_with("materials[");
            if shown_here {
                out.by_field
                    .entry(e.field.clone())
                    .and_modify(|m| {
                        m.push_str("; ");
                        m.push_str(&message);
                    })
                    .or_insert(message);
            } else {
                out.others.push(format!("{}: {message}", e.field));
            }
        }
        out
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.by_field.get(field).map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.by_field.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty() && self.others.is_empty()
    }

    /// The error of a field of the i-th material.
    pub fn material(&self, i: impl std::fmt::Display, field: &str) -> Option<&str> {
        self.get(&format!("materials[{i}].{field}"))
    }
}

impl CarriesCsrf for ImportForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl CarriesCsrf for CentreForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl CarriesCsrf for DepartmentForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl CarriesCsrf for WindowForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

// ---- index ------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage {
    chrome: Chrome,
    drafts: Vec<DraftSummary>,
    users: usize,
    centres: usize,
}

async fn index(State(service): State<Service>, Admin { ctx, session, .. }: Admin) -> PageResult {
    let actor = session.actor;
    let drafts = service.drafts(&actor).await.or_page(&ctx)?;
    let users = service.users(&actor).await.map(|u| u.len()).unwrap_or(0);
    let centres = service
        .centre_directory()
        .await
        .map(|c| c.len())
        .unwrap_or(0);
    Ok(render(&IndexPage {
        chrome: ctx.chrome,
        drafts,
        users,
        centres,
    }))
}
