//! Who is asking: the session cookie (pages) or a bearer token (API clients), checked on every
//! request against the store so that a logout or a revoked token takes effect at once; CSRF
//! protection for cookie-borne changes; where the request came from. Whether the user may do a
//! thing is decided by the application service, not here. Shared by the API and the pages.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use onewindow_app::Service;
use onewindow_app::accounts::Authenticated;

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

/// The caller of a request the public may make too: a stranger (no role, no identity) without
/// a session cookie or a bearer token, the authenticated caller with one (a bad or ended one is
/// refused, as [`Auth`] refuses it, rather than silently read as a stranger).
pub struct MaybeAuth(pub onewindow_app::Actor);

impl FromRequestParts<Service> for MaybeAuth {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, Problem> {
        if bearer(&parts.headers).is_none() && cookie(&parts.headers, SESSION_COOKIE).is_none() {
            return Ok(MaybeAuth(onewindow_app::Actor::anonymous(source_of(parts))));
        }
        let Auth(auth) = Auth::from_request_parts(parts, service).await?;
        Ok(MaybeAuth(auth.actor))
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

/// The address this service is reached at, as the request names it (`http://host:port`), for
/// the addresses printed in QR codes (a licence's verification page); empty when the `Host`
/// header is missing or not a plain host name, so that a forged header never lands in a QR code.
pub struct PublicBase(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PublicBase {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let OverTls(tls) = OverTls::from_request_parts(parts, state).await?;
        Ok(PublicBase(public_base(&parts.headers, tls)))
    }
}

/// `http(s)://host[:port]` of the request's `Host` header, or empty when it is missing or not a
/// plain host name and port.
pub fn public_base(headers: &HeaderMap, tls: bool) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    match host {
        Some(host) => format!("{}://{host}", if tls { "https" } else { "http" }),
        None => String::new(),
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
