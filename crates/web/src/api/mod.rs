//! The JSON API under `/api/v1`: parse the request, call the service, shape the answer.
//!
//! One module per route family. Each registers its routes together with their OpenAPI entries
//! (`utoipa_axum::routes!` reads the `#[utoipa::path]` of each handler), so no list of paths is
//! kept apart from the handlers, and no family imports another: what they share lives here
//! (the extractors whose rejections are problem documents, the version headers) and in
//! `crate::extract` (who acts) and `crate::problem` (RFC 7807 answers).

mod accounts;
mod appointments;
mod audit;
mod auth;
mod bundles;
mod calendar;
mod cases;
mod catalogue;
mod delivery;
mod evaluation;
mod hall;
mod licences;
mod lookup;
mod market;
mod messages;
mod tolerance;
pub(crate) use licences::pdf_response;
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
        .merge(licences::routes())
        .merge(delivery::routes())
        .merge(lookup::routes())
        .merge(evaluation::routes())
        .merge(messages::routes())
        .merge(hall::routes())
        .merge(appointments::routes())
        .merge(tolerance::routes())
        .merge(market::routes())
}

/// Built once: the document is the same for the life of the process.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let document = families().split_for_parts().1;
    match serde_json::to_value(&document) {
        Ok(mut value) => {
            document_problems(&mut value);
            date_patterns(&mut value);
            serde_json::from_value(value).unwrap_or(document)
        }
        Err(_) => document,
    }
});

const PROBLEM_TYPE: &str = "application/problem+json";

/// Gives every `format: date` string the shape the parser takes (`YYYY-MM-DD`): JSON Schema
/// treats a format as a note, so without a pattern `""` would be valid by the document.
fn date_patterns(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(fields) => {
            if fields.get("format").and_then(Value::as_str) == Some("date")
                && !fields.contains_key("pattern")
            {
                fields.insert(
                    "pattern".into(),
                    Value::from("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
                );
            }
            fields.values_mut().for_each(date_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(date_patterns),
        _ => {}
    }
}

/// Writes into every operation of the document the error answers it can give, each an RFC 7807
/// problem document (`application/problem+json`), from what the operation takes: the
/// extractors and the service answer these for every operation alike, so they are derived here
/// once rather than listed by hand on each handler, where they would drift.
///
/// - 400 for anything it parses (path, query, headers, body), 413 for a body over 2 MiB, 422
///   for a rule a well-formed body, query or change breaks;
/// - 401 and 403 unless the operation is public (an empty `security`);
/// - 404 for a path naming something, 409 for a change (a stale version, a state that does not
///   allow it, a duplicate), 428 when it needs `If-Match`, 429 for logging in;
/// - 500 for a store that failed (nothing was changed).
///
/// It also gives the `If-Match` and `Idempotency-Key` headers the pattern their extractors
/// check, so that a request valid by the document is not refused.
fn document_problems(document: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let problem = |description: &str| {
        json!({
            "description": description,
            "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        })
    };
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            // The headers' shapes, which the extractors check.
            for parameter in operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let name = parameter
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let pattern = match name.as_str() {
                    "if-match" => r#"^(W/)?"?[0-9]{1,19}"?$"#,
                    "idempotency-key" => "^[!-~]{1,200}$",
                    _ => continue,
                };
                if let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut) {
                    schema.insert("pattern".into(), Value::from(pattern));
                }
            }
            let parameters: Vec<(String, String)> = operation
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| {
                    let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    (text("in"), text("name"))
                })
                .collect();
            let takes = |place: &str| parameters.iter().any(|(at, _)| at == place);
            let has_body = operation.contains_key("requestBody");
            let if_match = parameters
                .iter()
                .any(|(at, name)| at == "header" && name.eq_ignore_ascii_case("if-match"));
            let public = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| {
                    s.iter()
                        .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
                });
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            // The problems the handlers name themselves, under their true media type.
            for response in responses.values_mut() {
                if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut)
                    && content
                        .get("application/json")
                        .and_then(|c| c.pointer("/schema/$ref"))
                        .and_then(Value::as_str)
                        == Some("#/components/schemas/Problem")
                    && let Some(body) = content.remove("application/json")
                {
                    content.insert(PROBLEM_TYPE.into(), body);
                }
            }
            let change = method != "get";
            let answers = [
                (
                    "400",
                    !parameters.is_empty() || has_body,
                    "malformed: a path, query, header or body that does not parse",
                ),
                ("401", !public, "no token, or one that has ended"),
                ("403", !public, "the account may not do this"),
                (
                    "404",
                    takes("path"),
                    "no such thing, or one the account may not see",
                ),
                (
                    "409",
                    change,
                    "the state changed since your version, does not allow this, or it exists already",
                ),
                ("413", has_body, "the body is larger than 2 MiB"),
                (
                    "422",
                    has_body || takes("query") || change,
                    "well-formed but refused by a rule; errors[] names the fields",
                ),
                ("428", if_match, "If-Match is required"),
                (
                    "429",
                    path == "/auth/login",
                    "too many failed logins; wait for Retry-After",
                ),
                ("500", true, "the store failed; nothing was changed"),
            ];
            for (status, applies, description) in answers {
                if applies && !responses.contains_key(status) {
                    responses.insert(status.into(), problem(description));
                }
            }
        }
    }
}

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
        if !is_json(req.headers()) {
            return Err(Problem::bad_request(
                "Content-Type",
                "send the body as application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::too_large()
                } else {
                    Problem::bad_request("body", r.body_text())
                }
            })?;
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => match with_integral_numbers(&bytes) {
                Some(Ok(v)) => Ok(ApiJson(v)),
                _ => Err(Problem::from(rejection)),
            },
        }
    }
}

/// `application/json` or any `application/*+json`, as axum's `Json` takes it.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a JSON body into `T`, taking a whole number written with a fraction (`77674.0`) where
/// an integer is expected: JSON Schema, and so the OpenAPI document, counts it an integer, so a
/// client generated from the document may send it. The first error is the one reported.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes).or_else(|first| match with_integral_numbers(bytes) {
        Some(Ok(v)) => Ok(v),
        _ => Err(first),
    })
}

/// The body parsed again with every whole number written as a float turned into an integer;
/// `None` when the body is no JSON or holds no such number (nothing to retry).
fn with_integral_numbers<T: DeserializeOwned>(
    bytes: &[u8],
) -> Option<Result<T, serde_json::Error>> {
    fn integral(value: &mut serde_json::Value) -> bool {
        use serde_json::Value;
        match value {
            Value::Number(n) if n.is_f64() => {
                let Some(f) = n.as_f64() else { return false };
                // 2^53: beyond it a float no longer stands for one integer.
                if f.fract() != 0.0 || f.abs() > 9_007_199_254_740_992.0 {
                    return false;
                }
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *value = Value::from(whole);
                true
            }
            // Every number is visited: no short circuit.
            Value::Array(items) => items.iter_mut().map(integral).filter(|c| *c).count() > 0,
            Value::Object(fields) => fields.values_mut().map(integral).filter(|c| *c).count() > 0,
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    integral(&mut value).then(|| serde_json::from_value(value))
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
