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
        .route("/admin/hall/departments", post(save_department))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{username}/disable", post(disable_user))
        .route("/admin/users/{username}/enable", post(enable_user))
        .route("/admin/users/{username}/posts", post(set_posts))
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
        return e.reason.clone();
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

impl CarriesCsrf for NewUserForm {
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
    let centres = service.centres().await.map(|c| c.len()).unwrap_or(0);
    Ok(render(&IndexPage {
        chrome: ctx.chrome,
        drafts,
        users,
        centres,
    }))
}

// ---- items ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
struct ItemsQuery {
    q: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/items.html")]
struct ItemsPage {
    chrome: Chrome,
    q: String,
    items: Vec<PublishedItem>,
    next: Option<String>,
}

async fn items(
    State(service): State<Service>,
    Admin { ctx, .. }: Admin,
    Query(q): Query<ItemsQuery>,
) -> PageResult {
    let query = q.q.clone().unwrap_or_default();
    let page = match service
        .items(ItemFilter {
            query: (!query.trim().is_empty()).then(|| query.trim().to_string()),
            department: None,
            run_mode: None,
            kind: None,
            after_code: q.cursor,
            limit: 50,
        })
        .await
    {
        Ok(p) => p,
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let next = page.next_cursor.map(|c| {
        format!(
            "/admin/items?q={}&cursor={}",
            super::encode_query_value(&query),
            super::encode_query_value(&c)
        )
    });
    Ok(render(&ItemsPage {
        chrome: ctx.chrome,
        q: query,
        items: page.items,
        next,
    }))
}

/// One option of a select.
pub struct Choice {
    pub value: &'static str,
    pub label: String,
}

fn choices<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> &'static str,
    t: &Messages,
    prefix: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| {
            let value = value(*v);
            Choice {
                value,
                label: t.get(&format!("{prefix}{value}")).to_string(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/item.html")]
struct ItemPage {
    chrome: Chrome,
    view: DraftView,
    departments: Vec<Department>,
    kinds: Vec<Choice>,
    run_modes: Vec<Choice>,
    forms: Vec<Choice>,
    sources: Vec<Choice>,
    categories: Vec<Choice>,
    errors: FieldErrors,
    notice: Option<String>,
    today: String,
}

async fn item_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &onewindow_app::Actor,
    code: &str,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let view = match service.draft(actor, code).await {
        Ok(v) => v,
        Err(e) => return ctx.app_error(e),
    };
    let departments = service.departments().await.unwrap_or_default();
    let t = ctx.chrome.t;
    let page = ItemPage {
        kinds: choices(&ItemKind::ALL, ItemKind::as_str, t, "admin-kind-"),
        run_modes: choices(&RunMode::ALL, RunMode::as_str, t, "admin-run-mode-"),
        forms: choices(&MaterialForm::ALL, MaterialForm::as_str, t, "admin-form-"),
        sources: choices(
            &MaterialSource::ALL,
            MaterialSource::as_str,
            t,
            "admin-source-",
        ),
        categories: choices(
            &MaterialCategory::ALL,
            MaterialCategory::as_str,
            t,
            "admin-category-",
        ),
        chrome: ctx.chrome.clone(),
        view,
        departments,
        errors,
        notice,
        today: service.today().format("%Y-%m-%d").to_string(),
    };
    (status, render(&page)).into_response()
}

#[derive(Debug, Deserialize, Default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn item(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let actor = session.actor;
    let notice = q
        .saved
        .map(|_| ctx.chrome.t.get("admin-draft-saved").to_string());
    Ok(item_page(
        &service,
        &ctx,
        &actor,
        &code,
        FieldErrors::default(),
        notice,
        StatusCode::OK,
    )
    .await)
}

fn number(form: &HashMap<String, String>, field: &str, errors: &mut Vec<FieldError>) -> u32 {
    let text = form.get(field).map(|s| s.trim()).unwrap_or_default();
    match text.parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "must be a whole number of days (0 or more)",
            ));
            0
        }
    }
}

async fn save_item(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = session.actor;
    let form: HashMap<String, String> = pairs.into_iter().collect();
    ctx.check_csrf(
        form.get("csrf_token")
            .map(String::as_str)
            .unwrap_or_default(),
    )?;
    let view = service.draft(&actor, &code).await.or_page(&ctx)?;
    let mut item = view.item.clone();
    let mut errors = Vec::new();
    let text = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    item.name = text("name");
    item.department = text("department");
    item.legal_basis = text("legal_basis");
    item.statutory_days = number(&form, "statutory_days", &mut errors);
    item.promised_days = number(&form, "promised_days", &mut errors);
    item.visits_required = number(&form, "visits_required", &mut errors);
    if let Some(kind) = ItemKind::parse(&text("kind")) {
        item.kind = kind;
    }
    if let Some(mode) = RunMode::parse(&text("run_mode")) {
        item.run_mode = mode;
    }
    item.fee.charged = form.contains_key("fee_charged");
    item.fee.description = text("fee_description");
    let licence = text("result_licence_type");
    item.result_licence_type = (!licence.is_empty()).then_some(licence);
    // Materials: the rows shown, plus the blank row when it was filled in. Cancellations are
    // kept from the draft: they are recorded with their own form and reason.
    let mut materials = Vec::new();
    for i in 0..=item.materials.len() {
        let field = |f: &str| text(&format!("m{i}_{f}"));
        let key = field("key");
        let name = field("name");
        let existing = item.materials.get(i).cloned();
        if existing.is_none() && key.is_empty() && name.is_empty() {
            continue;
        }
        let copies = field("copies").parse::<u32>().unwrap_or(0);
        materials.push(Material {
            key,
            name,
            form: MaterialForm::parse(&field("form")).unwrap_or(MaterialForm::Original),
            copies,
            source: MaterialSource::parse(&field("source")).unwrap_or(MaterialSource::Applicant),
            category: MaterialCategory::parse(&field("category"))
                .unwrap_or(MaterialCategory::Ordinary),
            required: form.contains_key(&format!("m{i}_required")),
            sample: Some(field("sample")).filter(|s| !s.is_empty()),
            cancelled: existing.and_then(|m| m.cancelled),
        });
    }
    item.materials = materials;
    if !errors.is_empty() {
        let t = ctx.chrome.t;
        let errors = FieldErrors::from(
            t,
            &errors,
            &["statutory_days", "promised_days", "visits_required"],
        );
        return Ok(item_page(
            &service,
            &ctx,
            &actor,
            &code,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    }
    Ok(match service.save_draft(&actor, item).await {
        Ok(_) => see_other(&format!(
            "/admin/items/{}?saved=1",
            super::encode_query_value(&code)
        )),
        Err(AppError::Invalid(errors)) => {
            let errors = FieldErrors::from(ctx.chrome.t, &errors, ITEM_FIELDS);
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

const ITEM_FIELDS: &[&str] = &[
    "code",
    "name",
    "department",
    "legal_basis",
    "statutory_days",
    "promised_days",
    "visits_required",
];

async fn publish(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(code): Path<String>,
    Form(form): Form<super::TokenOnlyForm>,
) -> PageResult {
    let actor = session.actor;
    ctx.check_csrf(&form.csrf_token)?;
    let t = ctx.chrome.t;
    Ok(match service.publish_draft(&actor, &code).await {
        Ok(published) => {
            let notice = t.fill1("admin-published", "version", published.version.to_string());
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                FieldErrors::default(),
                Some(notice),
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Invalid(errors)) => {
            let errors = FieldErrors::from(t, &errors, ITEM_FIELDS);
            let notice = Some(t.get("admin-publish-refused").to_string());
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                errors,
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::VersionConflict { .. }) => {
            let notice = Some(t.get("admin-publish-conflict").to_string());
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                FieldErrors::default(),
                notice,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

async fn discard(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(code): Path<String>,
    Form(form): Form<super::TokenOnlyForm>,
) -> PageResult {
    let actor = session.actor;
    ctx.check_csrf(&form.csrf_token)?;
    Ok(match service.discard_draft(&actor, &code).await {
        Ok(()) | Err(AppError::NotFound { .. }) => see_other(&format!(
            "/admin/items/{}",
            super::encode_query_value(&code)
        )),
        Err(e) => ctx.app_error(e),
    })
}

#[derive(Debug, Deserialize)]
struct CancelForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    reason: String,
}

async fn cancel(
    service: Service,
    Admin { ctx, session, .. }: Admin,
    code: String,
    form: CancelForm,
    material: bool,
) -> PageResult {
    let actor = session.actor;
    ctx.check_csrf(&form.csrf_token)?;
    let t = ctx.chrome.t;
    let Ok(date) = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d") else {
        let errors = FieldErrors::from(
            t,
            &[FieldError::new("cancel", t.get("admin-error-date"))],
            &["cancel"],
        );
        return Ok(item_page(
            &service,
            &ctx,
            &actor,
            &code,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    };
    let result = if material {
        service
            .cancel_material(&actor, &code, &form.target, date, &form.reason)
            .await
    } else {
        service
            .cancel_intermediary(&actor, &code, &form.target, date, &form.reason)
            .await
    };
    Ok(match result {
        Ok(_) => see_other(&format!(
            "/admin/items/{}?saved=1",
            super::encode_query_value(&code)
        )),
        Err(AppError::Invalid(errors)) => {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| FieldError::new("cancel", e.reason))
                .collect();
            let errors = FieldErrors::from(t, &errors, &["cancel"]);
            item_page(
                &service,
                &ctx,
                &actor,
                &code,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

async fn cancel_material(
    State(service): State<Service>,
    admin: Admin,
    Path(code): Path<String>,
    Form(form): Form<CancelForm>,
) -> PageResult {
    cancel(service, admin, code, form, true).await
}

async fn cancel_intermediary(
    State(service): State<Service>,
    admin: Admin,
    Path(code): Path<String>,
    Form(form): Form<CancelForm>,
) -> PageResult {
    cancel(service, admin, code, form, false).await
}

// ---- the hall ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/hall.html")]
struct HallPage {
    chrome: Chrome,
    centres: Vec<Centre>,
    windows: Vec<Window>,
    departments: Vec<Department>,
    errors: FieldErrors,
    /// Which form the errors belong to.
    failed_form: &'static str,
}

async fn hall_page(
    service: &Service,
    ctx: &PageCtx,
    errors: FieldErrors,
    failed_form: &'static str,
    status: StatusCode,
) -> Response {
    let page = HallPage {
        chrome: ctx.chrome.clone(),
        centres: service.centres().await.unwrap_or_default(),
        windows: service.windows().await.unwrap_or_default(),
        departments: service.departments().await.unwrap_or_default(),
        errors,
        failed_form,
    };
    (status, render(&page)).into_response()
}

async fn hall(State(service): State<Service>, Admin { ctx, .. }: Admin) -> PageResult {
    Ok(hall_page(&service, &ctx, FieldErrors::default(), "", StatusCode::OK).await)
}

#[derive(Debug, Deserialize)]
struct CentreForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    address: String,
}

async fn save_centre(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<CentreForm>,
) -> PageResult {
    let actor = session.actor;
    let centre = Centre {
        code: form.code.trim().to_string(),
        name: form.name.trim().to_string(),
        name_en: form.name_en.trim().to_string(),
        address: form.address.trim().to_string(),
    };
    Ok(hall_result(
        &service,
        &ctx,
        service.save_centre(&actor, centre).await,
        "centre",
    )
    .await)
}

#[derive(Debug, Deserialize)]
struct WindowForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    centre: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    /// Department codes separated by spaces or commas.
    #[serde(default)]
    departments: String,
}

async fn save_window(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<WindowForm>,
) -> PageResult {
    let actor = session.actor;
    let window = Window {
        centre: form.centre.trim().to_string(),
        code: form.code.trim().to_string(),
        name: form.name.trim().to_string(),
        departments: form
            .departments
            .split([',', ' ', '，'])
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(String::from)
            .collect(),
    };
    Ok(hall_result(
        &service,
        &ctx,
        service.save_window(&actor, window).await,
        "window",
    )
    .await)
}

#[derive(Debug, Deserialize)]
struct DepartmentForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
}

async fn save_department(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<DepartmentForm>,
) -> PageResult {
    let actor = session.actor;
    let department = Department {
        code: form.code.trim().to_string(),
        name: form.name.trim().to_string(),
        name_en: form.name_en.trim().to_string(),
    };
    Ok(hall_result(
        &service,
        &ctx,
        service.save_department(&actor, department).await,
        "department",
    )
    .await)
}

async fn hall_result(
    service: &Service,
    ctx: &PageCtx,
    result: Result<(), AppError>,
    form: &'static str,
) -> Response {
    match result {
        Ok(()) => see_other("/admin/hall?saved=1"),
        Err(AppError::Invalid(errors)) => {
            let errors = FieldErrors::from(
                ctx.chrome.t,
                &errors,
                &["code", "name", "centre", "departments"],
            );
            hall_page(service, ctx, errors, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => ctx.app_error(e),
    }
}

// ---- accounts ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserView>,
    roles: Vec<Choice>,
    errors: FieldErrors,
    /// What was typed into the creation form, shown again with its errors.
    draft: NewUserForm,
    notice: Option<String>,
}

impl UsersPage {
    fn posts_text(&self, posts: &[Post]) -> String {
        Post::specs(posts)
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
struct NewUserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    identity: String,
    #[serde(default)]
    posts: String,
    #[serde(default)]
    may_reveal: Option<String>,
}

async fn users_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &onewindow_app::Actor,
    errors: FieldErrors,
    draft: NewUserForm,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let users = match service.users(actor).await {
        Ok(u) => u,
        Err(e) => return ctx.app_error(e),
    };
    let t = ctx.chrome.t;
    let page = UsersPage {
        chrome: ctx.chrome.clone(),
        users,
        roles: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str(),
                label: ctx.chrome.role_label(r).to_string(),
            })
            .collect(),
        errors,
        draft: NewUserForm {
            password: String::new(),
            ..draft
        },
        notice,
    };
    let _ = t;
    (status, render(&page)).into_response()
}

async fn users(State(service): State<Service>, Admin { ctx, session, .. }: Admin) -> PageResult {
    let actor = session.actor;
    Ok(users_page(
        &service,
        &ctx,
        &actor,
        FieldErrors::default(),
        NewUserForm::default(),
        None,
        StatusCode::OK,
    )
    .await)
}

async fn create_user(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<NewUserForm>,
) -> PageResult {
    let actor = session.actor;
    let t = ctx.chrome.t;
    let posts = match Post::parse_specs(&form.posts) {
        Ok(p) => p,
        Err(bad) => {
            let errors = FieldErrors::from(
                t,
                &[FieldError::new(
                    "posts",
                    t.fill1("admin-error-post", "post", &bad),
                )],
                &["posts"],
            );
            return Ok(users_page(
                &service,
                &ctx,
                &actor,
                errors,
                form,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await);
        }
    };
    let result = service
        .create_user(
            &actor,
            NewUser {
                username: form.username.clone(),
                display_name: form.display_name.clone(),
                password: form.password.clone(),
                identity: Some(form.identity.clone()).filter(|s| !s.trim().is_empty()),
                phone: None,
                posts,
                may_reveal_personal_data: form.may_reveal.is_some(),
            },
        )
        .await;
    Ok(match result {
        Ok(user) => {
            let notice = Some(t.fill1("admin-user-created", "name", &user.username));
            users_page(
                &service,
                &ctx,
                &actor,
                FieldErrors::default(),
                NewUserForm::default(),
                notice,
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Invalid(errors)) => {
            let errors = FieldErrors::from(t, &errors, USER_FIELDS);
            users_page(
                &service,
                &ctx,
                &actor,
                errors,
                form,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(reason)) => {
            let errors = FieldErrors::from(t, &[FieldError::new("username", reason)], USER_FIELDS);
            users_page(
                &service,
                &ctx,
                &actor,
                errors,
                form,
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

const USER_FIELDS: &[&str] = &["username", "display_name", "password", "identity", "posts"];

async fn user_change(
    service: Service,
    Admin { ctx, session, .. }: Admin,
    username: String,
    csrf: String,
    change: impl AsyncFnOnce(&Service, &onewindow_app::Actor) -> Result<UserView, AppError>,
) -> PageResult {
    let actor = session.actor;
    ctx.check_csrf(&csrf)?;
    let t = ctx.chrome.t;
    Ok(match change(&service, &actor).await {
        Ok(_) => see_other("/admin/users"),
        Err(AppError::Invalid(errors)) => {
            let messages: Vec<String> = errors.iter().map(|e| field_message(t, e)).collect();
            let notice = Some(format!("{username}: {}", messages.join("; ")));
            users_page(
                &service,
                &ctx,
                &actor,
                FieldErrors::default(),
                NewUserForm::default(),
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

async fn disable_user(
    State(service): State<Service>,
    admin: Admin,
    Path(username): Path<String>,
    Form(form): Form<super::TokenOnlyForm>,
) -> PageResult {
    let name = username.clone();
    user_change(
        service,
        admin,
        username,
        form.csrf_token,
        async move |s, a| s.set_user_disabled(a, &name, true).await,
    )
    .await
}

async fn enable_user(
    State(service): State<Service>,
    admin: Admin,
    Path(username): Path<String>,
    Form(form): Form<super::TokenOnlyForm>,
) -> PageResult {
    let name = username.clone();
    user_change(
        service,
        admin,
        username,
        form.csrf_token,
        async move |s, a| s.set_user_disabled(a, &name, false).await,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct PostsForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    posts: String,
    #[serde(default)]
    may_reveal: Option<String>,
}

async fn set_posts(
    State(service): State<Service>,
    admin: Admin,
    Path(username): Path<String>,
    Form(form): Form<PostsForm>,
) -> PageResult {
    let name = username.clone();
    let parsed = Post::parse_specs(&form.posts);
    let may_reveal = form.may_reveal.is_some();
    user_change(
        service,
        admin,
        username,
        form.csrf_token,
        async move |s, a| {
            let posts =
                parsed.map_err(|bad| AppError::invalid("posts", format!("unknown post {bad}")))?;
            s.set_user_posts(a, &name, posts, may_reveal).await
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::testing::{Visitor, site};

    #[test]
    fn common_reasons_are_translated() {
        let zh = crate::i18n::Lang::ZhCn.messages();
        let e = FieldError::new("name", "must not be empty");
        assert_ne!(field_message(zh, &e), "must not be empty");
        let other = FieldError::new("x", "something new");
        assert_eq!(field_message(zh, &other), "something new");
    }

    async fn first_item(site: &crate::ui::testing::TestSite) -> PublishedItem {
        onewindow_store::catalogue::all_items(site.service.store().readers())
            .await
            .expect("items")
            .into_iter()
            .find(|p| p.item.statutory_days > 0 && p.item.materials.len() >= 2)
            .expect("an item")
    }

    /// The form fields of an item as its edit form sends them, with some changed.
    fn item_form(
        item: &onewindow_domain::catalogue::Item,
        promised: &str,
    ) -> Vec<(String, String)> {
        let mut f = vec![
            ("name".to_string(), item.name.clone()),
            ("kind".into(), item.kind.as_str().into()),
            ("department".into(), item.department.clone()),
            ("legal_basis".into(), item.legal_basis.clone()),
            ("statutory_days".into(), item.statutory_days.to_string()),
            ("promised_days".into(), promised.to_string()),
            ("visits_required".into(), item.visits_required.to_string()),
            ("run_mode".into(), item.run_mode.as_str().into()),
        ];
        for (i, m) in item.materials.iter().enumerate() {
            f.push((format!("m{i}_key"), m.key.clone()));
            f.push((format!("m{i}_name"), m.name.clone()));
            f.push((format!("m{i}_form"), m.form.as_str().into()));
            f.push((format!("m{i}_copies"), m.copies.to_string()));
            f.push((format!("m{i}_source"), m.source.as_str().into()));
            f.push((format!("m{i}_category"), m.category.as_str().into()));
            if m.required {
                f.push((format!("m{i}_required"), "on".into()));
            }
            if let Some(s) = &m.sample {
                f.push((format!("m{i}_sample"), s.clone()));
            }
        }
        f
    }

    fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
        f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[tokio::test]
    async fn only_administrators_reach_the_administration() {
        let site = site().await;
        let anonymous = site.get(&Visitor::default(), "/admin").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert!(
            anonymous
                .location()
                .is_some_and(|l| l.starts_with("/login?next="))
        );
        let clerk = site.login("clerk", "chuangkou-2026").await;
        assert_eq!(
            site.get(&clerk, "/admin").await.status,
            StatusCode::FORBIDDEN
        );
        let admin = site.login("admin", "guanli-2026").await;
        let page = site.get(&admin, "/admin").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("系统管理"));
    }

    #[tokio::test]
    async fn a_draft_is_compared_then_published_and_a_broken_one_is_refused_with_the_reason_at_its_field()
     {
        let site = site().await;
        let admin = site.login("admin", "guanli-2026").await;
        let published = first_item(&site).await;
        let code = published.item.code.clone();
        let path = format!("/admin/items/{code}");

        // Without the CSRF token nothing is saved.
        let mut form = item_form(&published.item, "1");
        form.push(("csrf_token".into(), "forged".into()));
        let refused = site.post_form(&admin, &path, &pairs(&form)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        form.pop();

        let saved = site.post_form(&admin, &path, &pairs(&form)).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let page = site.get(&admin, &format!("{path}?saved=1")).await;
        assert!(page.body.contains("草稿已保存"));
        assert!(page.body.contains("<code>promised_days</code>"));
        // Applicants still see the published version.
        assert_eq!(
            site.service.item(&code).await.expect("item").version,
            published.version
        );

        let done = site
            .post_form(&admin, &format!("{path}/publish"), &[])
            .await;
        assert_eq!(done.status, StatusCode::OK);
        let now = site.service.item(&code).await.expect("item");
        assert_eq!(now.version, published.version + 1);
        assert_eq!(now.item.promised_days, 1);

        // A promise beyond the statutory limit is saved as a draft but not published.
        let too_long = (published.item.statutory_days + 5).to_string();
        let form = item_form(&now.item, &too_long);
        site.post_form(&admin, &path, &pairs(&form)).await;
        let refused = site
            .post_form(&admin, &format!("{path}/publish"), &[])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .body
                .contains("id=\"promised-error\">承诺时限不能超过法定时限")
        );
        let english = site
            .post_form(&admin.clone().in_english(), &format!("{path}/publish"), &[])
            .await;
        assert!(
            english
                .body
                .contains("The promised limit may not exceed the statutory limit")
        );
        assert_eq!(
            site.service.item(&code).await.expect("item").version,
            now.version
        );
    }

    #[tokio::test]
    async fn a_cancellation_needs_a_reason_and_is_published_with_it() {
        let site = site().await;
        let admin = site.login("admin", "guanli-2026").await;
        let published = first_item(&site).await;
        let code = published.item.code.clone();
        let key = published.item.materials[1].key.clone();
        let path = format!("/admin/items/{code}/cancel-material");
        let no_reason = site
            .post_form(
                &admin,
                &path,
                &[("target", &key), ("date", "2026-11-02"), ("reason", "")],
            )
            .await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_reason.body.contains("请写明取消理由"));
        let ok = site
            .post_form(
                &admin,
                &path,
                &[
                    ("target", &key),
                    ("date", "2026-11-02"),
                    ("reason", "部门间数据共享，申请人免交"),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        site.post_form(&admin, &format!("/admin/items/{code}/publish"), &[])
            .await;
        let item = site.service.item(&code).await.expect("item");
        let cancelled = item.item.materials[1]
            .cancelled
            .as_ref()
            .expect("cancelled");
        assert_eq!(cancelled.reason, "部门间数据共享，申请人免交");
    }

    #[tokio::test]
    async fn accounts_are_created_with_errors_next_to_their_fields() {
        let site = site().await;
        let admin = site.login("admin", "guanli-2026").await;
        let bad = site
            .post_form(
                &admin,
                "/admin/users",
                &[
                    ("username", "wangwu"),
                    ("display_name", "王五"),
                    ("password", "short"),
                    ("posts", "reviewer:SCJGJ"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body
                .contains("id=\"password-error\">密码至少 10 个字符")
        );
        assert!(
            bad.body.contains("value=\"wangwu\""),
            "what was typed stays"
        );
        let good = site
            .post_form(
                &admin,
                "/admin/users",
                &[
                    ("username", "wangwu"),
                    ("display_name", "王五"),
                    ("password", "a-long-enough-secret"),
                    ("posts", "reviewer:SCJGJ clerk@county-hall"),
                ],
            )
            .await;
        assert_eq!(good.status, StatusCode::OK);
        assert!(good.body.contains("账号 wangwu 已创建"));
        let user = site.login("wangwu", "a-long-enough-secret").await;
        assert!(user.session.is_some());
    }
}
