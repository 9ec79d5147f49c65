//! Logging in and out, the account of a session, and the caller's API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use onewindow_app::Service;
use onewindow_app::accounts::{Authenticated, SessionKind, TokenView};
use onewindow_domain::access::{Post, Role, mask};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiJson;
use crate::extract::{Auth, OverTls, Source, session_cookie};
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
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
