//! The JSON API under `/api/v1`: parse the request, call the service, shape the answer.
//!
//! One module per route family. Each registers its routes together with their OpenAPI entries
//! (`utoipa_axum::routes!` reads the `#[utoipa::path]` of each handler), so no list of paths is
//! kept apart from the handlers, and no family imports another: what they share lives here
//! (the extractors whose rejections are problem documents, the version headers) and in
//! `crate::extract` (who acts) and `crate::problem` (RFC 7807 answers).

mod accounts;
mod audit;
mod auth;
mod bundles;
mod calendar;
mod cases;
mod catalogue;
mod monitor;
mod projects;
mod statistics;

use std::sync::LazyLock;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use onewindow_app::Service;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::problem::Problem;

/// The routes of every family under `/api/v1`, and `/openapi.json`.
pub fn router() -> Router<Service> {
    let (router, _) = families().split_for_parts();
    router.route("/openapi.json", get(openapi))
}

/// Every family's routes with their OpenAPI entries.
fn families() -> OpenApiRouter<Service> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(calendar::routes())
        .merge(catalogue::routes())
        .merge(cases::routes())
        .merge(auth::routes())
        .merge(accounts::routes())
        .merge(audit::routes())
        .merge(monitor::routes())
        .merge(statistics::routes())
        .merge(bundles::routes())
        .merge(projects::routes())
}

/// Built once: the document is the same for the life of the process.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> =
    LazyLock::new(|| families().split_for_parts().1);

/// The OpenAPI document of every endpoint under `/api/v1`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    DOCUMENT.clone()
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi_document())
}

/// What the document says besides its paths, which the families add.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "onewindow API",
        description = "One-stop government service centre (最多跑一次). Errors are RFC 7807 problem documents.",
    ),
    servers((url = "/api/v1")),
    components(schemas(Problem)),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("session_cookie" = []))
)]
struct ApiDoc;

/// Two ways to prove who you are: a bearer token (API clients) or the session cookie (pages;
/// changes also need `X-CSRF-Token`).
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::extract::SESSION_COOKIE,
            ))),
        );
    }
}

type ApiResult<T> = Result<T, Problem>;

/// `Json<T>` whose rejections are problem documents naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;
    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| ApiJson(v))
            .map_err(Problem::from)
    }
}

/// `Query<T>` whose rejections are problem documents.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(Problem::from)
    }
}

/// Marks a response with the version of the case (or task) it shows, for the next `If-Match`.
pub(crate) fn with_etag(mut response: Response, version: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// The version an `If-Match` header names (`"3"`, `3` or `W/"3"`).
pub(crate) fn expected_version(headers: &HeaderMap) -> Result<u64, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(Problem {
            errors: vec![onewindow_domain::validation::FieldError::new(
                "If-Match",
                "send the case version you based this on (the ETag of the case)",
            )],
            ..Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "if-match-required",
                "If-Match required",
                "a change to a case must carry the version it was based on in If-Match",
            )
        });
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| Problem::bad_request("If-Match", "must be the case version, e.g. \"3\""))
}
