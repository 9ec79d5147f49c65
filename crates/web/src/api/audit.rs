//! Searching the audit trail (supervisors).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use onewindow_app::Service;
use onewindow_app::accounts::AuditQuery;
use onewindow_domain::audit::AuditRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiQuery;
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new().routes(routes!(audit_trail))
}

// ---- the audit trail --------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
