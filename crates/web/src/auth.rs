//! Who is asking: the session cookie (pages) or a bearer token (API clients), checked on every
//! request against the store so that a logout or a revoked token takes effect at once; CSRF
//! protection for cookie-borne changes; and the endpoints of logins, tokens, accounts and the
//! audit trail. Whether the user may do a thing is decided by the application service, not here.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use onewindow_app::Service;
use onewindow_app::accounts::{
    AuditQuery, Authenticated, NewUser, SessionKind, TokenView, UserView,
};
use onewindow_domain::access::{Post, Role, mask};
use onewindow_domain::audit::AuditRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{ApiJson, ApiQuery};
use crate::problem::Problem;

/// The cookie that carries a login session.
pub const SESSION_COOKIE: &str = "ow_session";

/// Settings of the HTTP face that are not rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebConfig {
    /// Mark the session cookie `Secure` on every response (set when TLS terminates in front of
    /// onewindow); it is also marked when the request arrived with `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
}

/// The authenticated caller of a request.
pub struct Auth(pub Authenticated);

/// The address a request came from, for the audit trail: the peer, and what a proxy in front
/// says it forwarded for.
pub fn source_of(parts: &Parts) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
    match parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 64)
    {
        Some(forwarded) => format!("{peer} (for {forwarded})"),
        None => peer,
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The value of one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<Service> for Auth {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, Problem> {
        let source = source_of(parts);
        let (token, by_cookie) = match bearer(&parts.headers) {
            Some(token) => (token.to_string(), false),
            None => match cookie(&parts.headers, SESSION_COOKIE) {
                Some(token) => (token.to_string(), true),
                None => {
                    return Err(Problem::unauthenticated(
                        "log in first: send the session cookie or an Authorization: Bearer token",
                    ));
                }
            },
        };
        let authenticated = service.authenticate(&token, &source).await?;
        // A browser sends the cookie with any request, also one a foreign page makes it send;
        // only our own pages know the session's CSRF token.
        if by_cookie && !is_safe(&parts.method) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if authenticated.csrf_token.is_empty() || !same_secret(sent, &authenticated.csrf_token)
            {
                return Err(Problem {
                    errors: vec![onewindow_domain::validation::FieldError::new(
                        "X-CSRF-Token",
                        "send the csrf_token of your session with every change",
                    )],
                    ..Problem::forbidden(
                        "csrf",
                        "this change came without the session's CSRF token and was refused",
                    )
                });
            }
        }
        Ok(Auth(authenticated))
    }
}

/// The source address of an unauthenticated request (the login).
pub struct Source(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        Ok(Source(source_of(parts)))
    }
}

/// Whether the request reached us over TLS (directly or through a proxy that says so).
pub struct OverTls(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for OverTls {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let forwarded_https = parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        let configured = parts
            .extensions
            .get::<WebConfig>()
            .is_some_and(|c| c.secure_cookies);
        Ok(OverTls(forwarded_https || configured))
    }
}

/// `Set-Cookie` for a session (or, with `max_age` 0, its removal).
pub fn session_cookie(token: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let mut value = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        max_age.max(0)
    );
    if secure {
        value.push_str("; Secure");
    }
    HeaderValue::from_str(&value).ok()
}

pub fn router() -> Router<Service> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/auth/tokens", get(list_tokens).post(create_token))
        .route("/auth/tokens/{id}", delete(revoke_token))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{username}", get(get_user))
        .route("/users/{username}/disable", post(disable_user))
        .route("/users/{username}/enable", post(enable_user))
        .route("/users/{username}/password", put(reset_password))
        .route("/users/{username}/posts", put(set_posts))
        .route("/users/{username}/email", put(set_email))
        .route("/audit", get(audit_trail))
}

// ---- logging in -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    username: String,
    password: String,
}

/// The account a session acts for, identity masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    user_id: String,
    username: String,
    display_name: String,
    identity: Option<String>,
    posts: Vec<Post>,
    roles: Vec<Role>,
    may_reveal_personal_data: bool,
    /// Echo in `X-CSRF-Token` with every change made with the session cookie; absent for tokens.
    csrf_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// The bearer token for API clients (the same secret as the session cookie).
    token: String,
    csrf_token: String,
    expires_at: DateTime<Utc>,
    user: Me,
}

fn me_of(auth: &Authenticated) -> Me {
    let p = &auth.actor.principal;
    Me {
        user_id: p.user_id.clone(),
        username: p.username.clone(),
        display_name: p.display_name.clone(),
        identity: p.identity.as_deref().map(mask),
        posts: p.posts.clone(),
        roles: p.roles(),
        may_reveal_personal_data: p.may_reveal_personal_data,
        csrf_token: (!auth.csrf_token.is_empty()).then(|| auth.csrf_token.clone()),
    }
}

/// Log in with a user name and a password. Answers a session cookie for pages and the same
/// secret as a bearer token for API clients. After repeated failures the user name is slowed
/// down, then locked for 15 minutes (429 with `Retry-After`); the message never says which of
/// the two was wrong.
#[utoipa::path(post, path = "/auth/login", request_body = LoginRequest, security(()),
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(service): State<Service>,
    Source(source): Source,
    OverTls(tls): OverTls,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, Problem> {
    let grant = service
        .login(&body.username, &body.password, &source)
        .await?;
    let max_age = (grant.expires_at - service.now()).num_seconds();
    let auth = Authenticated {
        actor: onewindow_app::Actor {
            principal: grant.principal.clone(),
            source,
            session_id: Some(grant.session_id.clone()),
            via_api_token: false,
        },
        kind: SessionKind::Session,
        csrf_token: grant.csrf_token.clone(),
    };
    let body = LoginResponse {
        user: me_of(&auth),
        token: grant.token.clone(),
        csrf_token: grant.csrf_token,
        expires_at: grant.expires_at,
    };
    let mut response = Json(body).into_response();
    if let Some(v) = session_cookie(&grant.token, max_age, tls) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// End the current session (the cookie is cleared too).
#[utoipa::path(post, path = "/auth/logout", responses((status = 204), (status = 401, body = Problem)))]
async fn logout(
    State(service): State<Service>,
    Auth(auth): Auth,
    OverTls(tls): OverTls,
) -> Result<Response, Problem> {
    service.logout(&auth.actor).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(v) = session_cookie("", 0, tls) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// The account of the current session or token, and its CSRF token.
#[utoipa::path(get, path = "/auth/me", responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(Auth(auth): Auth) -> Json<Me> {
    Json(me_of(&auth))
}

// ---- API tokens -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenRequest {
    /// What will use it, e.g. "county data exchange".
    name: String,
    /// Days until it expires: 1–366, default 90.
    days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    /// The secret, shown this once: keep it; only its hash is stored.
    token: String,
    #[serde(flatten)]
    view: TokenView,
}

/// Your API tokens (never their secrets).
#[utoipa::path(get, path = "/auth/tokens", responses((status = 200, body = [TokenView])))]
async fn list_tokens(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<Vec<TokenView>>, Problem> {
    Ok(Json(service.api_tokens(&auth.actor).await?))
}

/// Make a long-lived API token for an integration; the secret is in this answer only.
#[utoipa::path(post, path = "/auth/tokens", request_body = NewTokenRequest,
    responses((status = 201, body = NewTokenResponse), (status = 422, body = Problem)))]
async fn create_token(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<NewTokenRequest>,
) -> Result<Response, Problem> {
    let (view, token) = service
        .create_api_token(&auth.actor, &body.name, body.days)
        .await?;
    let mut response =
        (StatusCode::CREATED, Json(NewTokenResponse { token, view })).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Revoke one of your tokens; it stops working on the next request.
#[utoipa::path(delete, path = "/auth/tokens/{id}", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn revoke_token(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    service.revoke_api_token(&auth.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- accounts ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    username: String,
    display_name: String,
    /// At least 10 characters, not containing the user name.
    password: String,
    /// For applicant accounts: the resident identity number or credit code it stands for.
    identity: Option<String>,
    phone: Option<String>,
    posts: Vec<Post>,
    #[serde(default)]
    may_reveal_personal_data: bool,
}

/// Every account. Administrators only.
#[utoipa::path(get, path = "/users", responses((status = 200, body = [UserView]), (status = 403, body = Problem)))]
async fn list_users(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<Vec<UserView>>, Problem> {
    Ok(Json(service.users(&auth.actor).await?))
}

/// Create an account with its posts (a person may hold several). Administrators only.
#[utoipa::path(post, path = "/users", request_body = NewUserRequest,
    responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    let user = service
        .create_user(
            &auth.actor,
            NewUser {
                username: body.username,
                display_name: body.display_name,
                password: body.password,
                identity: body.identity,
                phone: body.phone,
                posts: body.posts,
                may_reveal_personal_data: body.may_reveal_personal_data,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// One account. Administrators only.
#[utoipa::path(get, path = "/users/{username}", params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn get_user(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(service.user(&auth.actor, &username).await?))
}

/// Disable an account: its sessions and tokens end at once.
#[utoipa::path(post, path = "/users/{username}/disable", params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn disable_user(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .set_user_disabled(&auth.actor, &username, true)
            .await?,
    ))
}

/// Enable a disabled account.
#[utoipa::path(post, path = "/users/{username}/enable", params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn enable_user(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .set_user_disabled(&auth.actor, &username, false)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordRequest {
    password: String,
}

/// Set a new password for an account; its sessions and tokens end.
#[utoipa::path(put, path = "/users/{username}/password", params(("username" = String, Path)),
    request_body = PasswordRequest, responses((status = 200, body = UserView), (status = 422, body = Problem)))]
async fn reset_password(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<PasswordRequest>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .reset_password(&auth.actor, &username, body.password)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostsRequest {
    posts: Vec<Post>,
    #[serde(default)]
    may_reveal_personal_data: bool,
}

/// Replace an account's posts and its personal-data grant (a permission change, audited).
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailRequest {
    /// The address alerts are mailed to; null or absent clears it.
    #[serde(default)]
    email: Option<String>,
}

/// Set the address an account's alerts are mailed to (administrators; audited).
#[utoipa::path(put, path = "/users/{username}/email", params(("username" = String, Path)),
    request_body = EmailRequest, responses((status = 200, body = UserView), (status = 422, body = Problem)))]
pub(crate) async fn set_email(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<EmailRequest>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .set_email(&auth.actor, &username, body.email)
            .await?,
    ))
}

#[utoipa::path(put, path = "/users/{username}/posts", params(("username" = String, Path)),
    request_body = PostsRequest, responses((status = 200, body = UserView), (status = 422, body = Problem)))]
async fn set_posts(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<PostsRequest>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .set_user_posts(
                &auth.actor,
                &username,
                body.posts,
                body.may_reveal_personal_data,
            )
            .await?,
    ))
}

// ---- the audit trail --------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditParams {
    /// A user name (or `system`, `cli:NAME`).
    actor: Option<String>,
    /// An action (`case.accept`) or a prefix ending in a dot (`auth.`).
    action: Option<String>,
    /// A target, e.g. `case:330226202611020000001` or `user:clerk`.
    target: Option<String>,
    /// success, denied or failure.
    outcome: Option<String>,
    /// From this time (RFC 3339), inclusive.
    from: Option<DateTime<Utc>>,
    /// Until this time (RFC 3339), exclusive.
    to: Option<DateTime<Utc>>,
    cursor: Option<String>,
    /// 1–500, default 50.
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    items: Vec<AuditRecord>,
    next_cursor: Option<String>,
}

/// Search the audit trail, newest first. Supervisors only.
#[utoipa::path(get, path = "/audit", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 403, body = Problem)))]
async fn audit_trail(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, Problem> {
    let page = service
        .audit_trail(
            &auth.actor,
            AuditQuery {
                actor: q.actor,
                action: q.action,
                target: q.target,
                outcome: q.outcome,
                from: q.from,
                to: q.to,
                cursor: q.cursor,
                limit: q.limit,
            },
        )
        .await?;
    Ok(Json(AuditPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
