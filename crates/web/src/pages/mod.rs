//! The pages (界面): server-rendered HTML from askama templates, one stylesheet, a little plain
//! JavaScript that only adds comfort (every form works without it). Pages call the same
//! application service as the JSON API; no rule is written here.
//!
//! Each part of the pages is a module with its own routes, templates (`templates/<part>/`) and
//! messages (`i18n/<lang>/<part>.ftl`): `portal` (catalogue for everyone), `applicant` (apply,
//! my cases), `window` (the clerk's workbench), `desk` (the department's workbench), `admin`.

pub mod admin;
pub mod applicant;
pub mod appointments;
pub mod case_messages;
pub mod case_tolerance;
pub mod case_view;
pub mod desk;
pub mod evaluation;
pub mod guard;
pub mod hall;
pub mod hall_report;
pub mod licences;
pub mod lookup;
pub mod market;
#[cfg(test)]
mod market_tests;
pub mod monitor;
pub mod page_error;
pub mod portal;
pub mod projects;
pub mod queue_panel;
pub mod reasons;
pub mod supervision;
#[cfg(test)]
pub mod testing;
pub mod window;
pub mod window_post;

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use onewindow_app::accounts::Authenticated;
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use serde::Deserialize;

use crate::extract::{OverTls, SESSION_COOKIE, Source, cookie, session_cookie};
use crate::i18n::{Lang, Messages};
use page_error::PageResult;

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "ow_lang";

/// Bumped when the stylesheet or script changes, so browsers fetch the new one.
pub const ASSET_VERSION: &str = "5";

/// The routes of every page.
pub fn router() -> Router<Service> {
    Router::new()
        .route("/", get(portal::home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang/{tag}", get(switch_language))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .merge(portal::routes())
        .merge(applicant::routes())
        .merge(appointments::routes())
        .merge(window::routes())
        .merge(queue_panel::routes())
        .merge(hall::routes())
        .merge(hall_report::routes())
        .merge(lookup::routes())
        .merge(evaluation::routes())
        .merge(desk::routes())
        .merge(admin::routes())
        .merge(monitor::routes())
        .merge(supervision::routes())
        .merge(projects::routes())
        .merge(licences::routes())
        .merge(market::routes())
        .layer(axum::middleware::map_response(page_headers))
}

/// Headers every page carries: no foreign scripts, styles or frames; no sniffing.
async fn page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A link of the header's navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The logged-in person as the header shows them.
#[derive(Debug, Clone)]
pub struct ChromeUser {
    pub display_name: String,
    pub username: String,
    pub roles: Vec<Role>,
}

/// What the layout around every page needs: language, messages, who is logged in, the CSRF token
/// for forms, the navigation.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    pub t: &'static Messages,
    pub user: Option<ChromeUser>,
    pub csrf: String,
    /// The path and query of this page, to come back to after a language switch or a login.
    pub here: String,
    pub nav: Vec<NavLink>,
    pub asset_version: &'static str,
}

impl Chrome {
    pub fn lang_tag(&self) -> &'static str {
        self.lang.tag()
    }

    pub fn other_lang_tag(&self) -> &'static str {
        self.lang.other().tag()
    }

    /// `here`, encoded for a query parameter.
    pub fn here_encoded(&self) -> String {
        encode_query_value(&self.here)
    }

    /// The label of a role in this language.
    pub fn role_label(&self, role: &Role) -> &'static str {
        self.t.get(role_key(*role))
    }
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::Applicant => "common-role-applicant",
        Role::Agent => "common-role-agent",
        Role::Clerk => "common-role-clerk",
        Role::Reviewer => "common-role-reviewer",
        Role::Approver => "common-role-approver",
        Role::Supervisor => "common-role-supervisor",
        Role::ReturnVisitOperator => "common-role-return_visit_operator",
        Role::Intermediary => "common-role-intermediary",
        Role::Administrator => "common-role-administrator",
    }
}

/// Percent-encodes a value for a query string.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A target to go back to after a login or a language switch: only a path of this site.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    // Visible ASCII only: browsers drop tabs and new lines from URLs, so `/\t/evil.example`
    // would become `//evil.example`, another site.
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && n.bytes().all(|b| b.is_ascii_graphic())
    })
    .map(str::to_string)
}

/// Where a person starts after logging in.
pub fn home_for(roles: &[Role]) -> &'static str {
    if roles.contains(&Role::Clerk) {
        "/window"
    } else if roles.contains(&Role::Reviewer) || roles.contains(&Role::Approver) {
        "/desk"
    } else if roles.contains(&Role::Supervisor) {
        "/monitor"
    } else if roles.contains(&Role::Administrator) {
        "/admin"
    } else if roles.contains(&Role::Applicant) || roles.contains(&Role::Agent) {
        "/my/cases"
    } else if roles.contains(&Role::Intermediary) {
        "/market/my-firm"
    } else {
        "/"
    }
}

/// The request as a page sees it: language, the session (from the cookie only; pages never use
/// bearer tokens), and the chrome for the layout.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub chrome: Chrome,
    pub session: Option<Authenticated>,
}

impl FromRequestParts<Service> for PageCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, Response> {
        // Read once per request: the guards (`guard::Member`, `guard::CsrfForm`) and the
        // handler may each ask for it.
        if let Some(ctx) = parts.extensions.get::<PageCtx>() {
            return Ok(ctx.clone());
        }
        let lang = cookie(&parts.headers, LANG_COOKIE)
            .and_then(Lang::parse)
            .unwrap_or_default();
        let source = crate::extract::source_of(parts);
        let session = match cookie(&parts.headers, SESSION_COOKIE) {
            // An ended session is the same as none: the page offers the login.
            Some(token) => service.authenticate(token, &source).await.ok(),
            None => None,
        };
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
        let ctx = PageCtx {
            chrome: chrome_for(lang, session.as_ref(), here),
            session,
        };
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

fn chrome_for(lang: Lang, session: Option<&Authenticated>, here: String) -> Chrome {
    let user = session.map(|s| ChromeUser {
        display_name: s.actor.principal.display_name.clone(),
        username: s.actor.principal.username.clone(),
        roles: s.actor.principal.roles(),
    });
    let roles = user.as_ref().map(|u| u.roles.clone()).unwrap_or_default();
    let mut nav = vec![NavLink {
        href: "/catalogue",
        label: "common-nav-catalogue",
        current: false,
    }];
    // The intermediary market: public, and where an intermediary's account works.
    nav.push(NavLink {
        href: "/market",
        label: "market-nav",
        current: false,
    });
    if roles.contains(&Role::Intermediary) {
        nav.push(NavLink {
            href: "/market/my-firm",
            label: "market-nav-my-firm",
            current: false,
        });
    }
    if roles.contains(&Role::Applicant) || roles.contains(&Role::Agent) {
        nav.push(NavLink {
            href: "/my/cases",
            label: "common-nav-my-cases",
            current: false,
        });
        nav.push(NavLink {
            href: "/my/messages",
            label: "common-nav-messages",
            current: false,
        });
    }
    if roles.contains(&Role::Applicant) {
        nav.push(NavLink {
            href: "/my/licences",
            label: "licences-nav-library",
            current: false,
        });
    }
    // Investment projects: their owners, agents, the window and the departments.
    if [
        Role::Applicant,
        Role::Agent,
        Role::Clerk,
        Role::Reviewer,
        Role::Approver,
        Role::Supervisor,
    ]
    .iter()
    .any(|r| roles.contains(r))
    {
        nav.push(NavLink {
            href: "/projects",
            label: "projects-nav",
            current: false,
        });
    }
    if roles.contains(&Role::Agent) || roles.contains(&Role::Clerk) {
        nav.push(NavLink {
            href: "/projects/board",
            label: "projects-nav-board",
            current: false,
        });
    }
    if roles.contains(&Role::Clerk) {
        nav.push(NavLink {
            href: "/window",
            label: "common-nav-window",
            current: false,
        });
    }
    if roles.contains(&Role::Reviewer) || roles.contains(&Role::Approver) {
        nav.push(NavLink {
            href: "/desk",
            label: "common-nav-desk",
            current: false,
        });
    }
    if roles.contains(&Role::ReturnVisitOperator) || roles.contains(&Role::Supervisor) {
        nav.push(NavLink {
            href: "/return-visits",
            label: "evaluation-nav-visits",
            current: false,
        });
    }
    if [Role::Supervisor, Role::Reviewer, Role::Approver]
        .iter()
        .any(|r| roles.contains(r))
    {
        nav.push(NavLink {
            href: "/evaluation",
            label: "evaluation-nav",
            current: false,
        });
    }
    if [
        Role::Supervisor,
        Role::Reviewer,
        Role::Approver,
        Role::Clerk,
    ]
    .iter()
    .any(|r| roles.contains(r))
    {
        nav.push(NavLink {
            href: "/monitor",
            label: "common-nav-monitor",
            current: false,
        });
    }
    if roles.contains(&Role::Administrator) {
        nav.push(NavLink {
            href: "/admin",
            label: "common-nav-admin",
            current: false,
        });
    }
    let t = lang.messages();
    let path = here.split('?').next().unwrap_or_default();
    for link in &mut nav {
        link.current = path == link.href || path.starts_with(&format!("{}/", link.href));
        link.label = t.get(link.label);
    }
    // Only the most specific link is the current page (/projects/board, not /projects too).
    if let Some(longest) = nav.iter().filter(|l| l.current).map(|l| l.href.len()).max() {
        for link in &mut nav {
            link.current = link.current && link.href.len() == longest;
        }
    }
    Chrome {
        lang,
        t,
        user,
        csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
        here,
        nav,
        asset_version: ASSET_VERSION,
    }
}

impl PageCtx {
    /// The session of a page that needs one, or the way to the login page.
    pub fn require_login(&self) -> Result<&Authenticated, Response> {
        self.session.as_ref().ok_or_else(|| {
            Redirect::to(&format!(
                "/login?next={}",
                encode_query_value(&self.chrome.here)
            ))
            .into_response()
        })
    }

    /// The session of a page for one of `roles`; others see the refusal page.
    pub fn require_role(&self, roles: &[Role]) -> Result<&Authenticated, Response> {
        let session = self.require_login()?;
        if roles.iter().any(|r| session.actor.principal.has_role(*r)) {
            Ok(session)
        } else {
            Err(self.error(StatusCode::FORBIDDEN, "common-error-forbidden"))
        }
    }

    /// Refuses a form that does not carry this session's CSRF token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Response> {
        let Some(session) = &self.session else {
            return Err(self.error(StatusCode::FORBIDDEN, "common-error-csrf"));
        };
        if !session.csrf_token.is_empty() && crate::extract::same_secret(sent, &session.csrf_token)
        {
            Ok(())
        } else {
            Err(self.error(StatusCode::FORBIDDEN, "common-error-csrf"))
        }
    }

    /// The error page with one message.
    pub fn error(&self, status: StatusCode, message_key: &'static str) -> Response {
        let page = ErrorPage {
            chrome: self.chrome.clone(),
            message: self.chrome.t.get(message_key).to_string(),
        };
        (status, render(&page)).into_response()
    }

    /// The page answer to an error of the service that is not about a form field.
    pub fn app_error(&self, e: AppError) -> Response {
        match e {
            AppError::NotFound { .. } | AppError::Refused { .. } => {
                self.error(StatusCode::NOT_FOUND, "common-error-not-found")
            }
            AppError::Forbidden(_) => self.error(StatusCode::FORBIDDEN, "common-error-forbidden"),
            AppError::Store(e) if e.is_unique_violation() => {
                tracing::warn!(error = %e, "a write lost a race on a unique key");
                self.error(StatusCode::CONFLICT, "common-error-race")
            }
            AppError::Unauthenticated(_) => Redirect::to(&format!(
                "/login?next={}",
                encode_query_value(&self.chrome.here)
            ))
            .into_response(),
            other => {
                tracing::error!(error = %other, "page failed");
                self.error(StatusCode::INTERNAL_SERVER_ERROR, "common-error-internal")
            }
        }
    }
}

/// Renders a template as an HTML answer; a template that fails is a bug, answered with 500.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be drawn; nothing was changed",
            )
                .into_response()
        }
    }
}

/// A redirect after a successful form (303, so a reload does not send the form again).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert_eq!(
            safe_next(Some("/my/cases?x=1")),
            Some("/my/cases?x=1".into())
        );
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil",
            "https://evil",
            "/中",
            "/a b",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    message: String,
}

// ---- home, login, language -------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    username: String,
    /// A message above the form (wrong credentials, locked, logged out).
    notice: Option<String>,
    username_error: Option<String>,
    password_error: Option<String>,
}

async fn login_form(ctx: PageCtx, Query(q): Query<LoginQuery>) -> Response {
    let notice = q
        .done
        .is_some()
        .then(|| ctx.chrome.t.get("common-logged-out").to_string());
    render(&LoginPage {
        next: safe_next(q.next.as_deref()).unwrap_or_default(),
        chrome: ctx.chrome,
        username: String::new(),
        notice,
        username_error: None,
        password_error: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(service): State<Service>,
    ctx: PageCtx,
    Source(source): Source,
    OverTls(tls): OverTls,
    Form(form): Form<LoginForm>,
) -> Response {
    let t = ctx.chrome.t;
    let mut page = LoginPage {
        next: safe_next(Some(&form.next)).unwrap_or_default(),
        username: form.username.trim().to_string(),
        chrome: ctx.chrome.clone(),
        notice: None,
        username_error: None,
        password_error: None,
    };
    if form.username.trim().is_empty() || form.password.is_empty() {
        if form.username.trim().is_empty() {
            page.username_error = Some(t.get("common-login-required").to_string());
        }
        if form.password.is_empty() {
            page.password_error = Some(t.get("common-login-required").to_string());
        }
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
    }
    match service.login(&form.username, &form.password, &source).await {
        Ok(grant) => {
            let to = safe_next(Some(&form.next))
                .unwrap_or_else(|| home_for(&grant.principal.roles()).to_string());
            let max_age = (grant.expires_at - service.now()).num_seconds();
            let mut response = see_other(&to);
            if let Some(v) = session_cookie(&grant.token, max_age, tls) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        Err(AppError::Unauthenticated(_)) => {
            page.notice = Some(t.get("common-login-failed").to_string());
            (StatusCode::UNAUTHORIZED, render(&page)).into_response()
        }
        Err(AppError::TooManyAttempts { until, .. }) => {
            let local = until
                + chrono::Duration::seconds(i64::from(onewindow_app::clock::CHINA_OFFSET_SECONDS));
            page.notice = Some(t.fill1(
                "common-login-locked",
                "time",
                local.format("%H:%M:%S").to_string(),
            ));
            (StatusCode::TOO_MANY_REQUESTS, render(&page)).into_response()
        }
        Err(e) => ctx.app_error(e),
    }
}

/// A form that carries nothing but the session's CSRF token (a button that changes something).
#[derive(Debug, Deserialize)]
pub struct TokenOnlyForm {
    #[serde(default)]
    csrf_token: String,
}

async fn logout(
    State(service): State<Service>,
    ctx: PageCtx,
    OverTls(tls): OverTls,
    Form(form): Form<TokenOnlyForm>,
) -> PageResult {
    if let Some(session) = &ctx.session {
        ctx.check_csrf(&form.csrf_token)?;
        if let Err(e) = service.logout(&session.actor).await {
            return Ok(ctx.app_error(e));
        }
    }
    let mut response = see_other("/login?done=1");
    if let Some(v) = session_cookie("", 0, tls) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

async fn switch_language(
    Path(tag): Path<String>,
    Query(q): Query<LangQuery>,
    OverTls(tls): OverTls,
) -> Response {
    let lang = Lang::parse(&tag).unwrap_or_default();
    let to = safe_next(q.next.as_deref()).unwrap_or_else(|| "/".to_string());
    let mut response = see_other(&to);
    let mut value = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.tag()
    );
    if tls {
        value.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

// ---- static assets ----------------------------------------------------------------------------

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    )
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    )
}
