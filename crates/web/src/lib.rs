//! The HTTP face of onewindow: the JSON API under `/api/v1` (OpenAPI document, RFC 7807
//! errors). Handlers parse, call the application service, and shape the answer; no rule lives here.

// A `Problem` is the error of every handler and travels only on the cold path of a refused
// request; boxing it would buy nothing measurable.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod extract;
pub mod gantt;
pub mod i18n;
pub mod pages;
pub mod problem;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use onewindow_app::Service;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::problem::Problem;

pub use extract::WebConfig;

/// The whole application as one router, with default settings.
pub fn app(service: Service) -> Router {
    app_with(service, WebConfig::default())
}

/// The whole application as one router. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so the audit trail records addresses.
pub fn app_with(service: Service, config: WebConfig) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest("/api/v1", api::router())
        .merge(pages::router())
        .fallback(not_found)
        .with_state(service)
        .layer(axum::Extension(config))
        .layer(CatchPanicLayer::custom(panic_to_problem))
        // 2 MB for every body read by an extractor; the upload routes raise their own limit.
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// An unknown path: a problem document under `/api`, the page of the error elsewhere.
async fn not_found(uri: axum::http::Uri, page: pages::PageCtx) -> Response {
    if uri.path().starts_with("/api/") {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "no such page or endpoint",
        )
        .into_response();
    }
    page.error(StatusCode::NOT_FOUND, "common-error-not-found")
}

fn panic_to_problem(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "the service failed on this request; nothing was changed",
    )
    .into_response()
}

#[cfg(test)]
mod openapi_snapshot {
    use serde_json::Value;

    /// Objects are already sorted (serde_json's map is ordered by key); arrays are sorted by their
    /// text, so that only a change of content, not of registration order, fails the test.
    fn normalized(value: Value) -> Value {
        match value {
            Value::Array(items) => {
                let mut items: Vec<Value> = items.into_iter().map(normalized).collect();
                items.sort_by_key(|v| v.to_string());
                Value::Array(items)
            }
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, normalized(v))).collect())
            }
            other => other,
        }
    }

    /// Every error an operation can answer is in the document as a problem document, query
    /// parameters are in the query, and the headers carry the shape their extractors check.
    #[test]
    fn the_openapi_document_names_every_problem_with_its_media_type() {
        let document = serde_json::to_value(crate::api::openapi_document()).expect("JSON");
        let paths = document["paths"].as_object().expect("paths");
        let mut operations = 0;
        for (path, item) in paths {
            for (method, operation) in item.as_object().expect("path item") {
                operations += 1;
                let responses = operation["responses"].as_object().expect("responses");
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert!(
                            response["content"]["application/problem+json"].is_object(),
                            "{method} {path} {status}: {response}"
                        );
                    }
                }
                assert!(responses.contains_key("500"), "{method} {path}");
                let public = operation["security"].as_array().is_some_and(|s| {
                    s.iter()
                        .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
                });
                if !public {
                    assert!(responses.contains_key("401"), "{method} {path}");
                    assert!(responses.contains_key("403"), "{method} {path}");
                }
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let name = parameter["name"].as_str().expect("name");
                    if parameter["in"] == "path" {
                        assert!(
                            path.contains(&format!("{{{name}}}")),
                            "{method} {path}: {name}"
                        );
                    }
                    if name == "If-Match" {
                        assert!(responses.contains_key("428"), "{method} {path}");
                        assert!(parameter["schema"]["pattern"].is_string());
                    }
                }
            }
        }
        assert!(operations > 40, "{operations}");
        let deadline = &document["paths"]["/calendar/deadline"]["get"]["parameters"];
        assert_eq!(deadline[0]["in"], "query", "{deadline}");
    }

    /// The OpenAPI document is what clients build on: any change to it must be deliberate. Run
    /// with `UPDATE_OPENAPI_SNAPSHOT=1` to accept a change, and review the snapshot's diff.
    #[test]
    fn the_openapi_document_matches_its_snapshot() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("snapshots")
            .join("openapi.json");
        let document = serde_json::to_value(crate::api::openapi_document()).expect("JSON");
        let document = normalized(document);
        let text = serde_json::to_string_pretty(&document).expect("JSON") + "\n";
        if std::env::var("UPDATE_OPENAPI_SNAPSHOT").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &text).expect("write the snapshot");
        }
        let snapshot = std::fs::read_to_string(&path).expect("the snapshot is checked in");
        let snapshot: Value = serde_json::from_str(&snapshot).expect("the snapshot is JSON");
        assert!(
            normalized(snapshot) == document,
            "the OpenAPI document differs from tests/snapshots/openapi.json; if the change is \
             meant, run UPDATE_OPENAPI_SNAPSHOT=1 cargo test -p onewindow-web openapi and review the diff"
        );
    }
}
