//! 容缺受理 and 告知承诺制: the county's rule for a promise not kept, the department's
//! commitments to check (承诺核查), and the list of commitments found false (承诺不实名单).
//! Accepting on a promise and checking a commitment are case actions (`accept` with
//! `promises`, `check-commitment`).

use axum::Json;
use axum::extract::State;
use onewindow_app::Service;
use onewindow_app::tolerance::{CommitmentEntry, TolerancePolicy};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery};
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(policy, set_policy))
        .routes(routes!(checks))
        .routes(routes!(found_false))
}

/// The county's settings of 容缺受理: what happens when a promised material does not arrive
/// by its day (`stop_clock` or `back_to_supplement`).
#[utoipa::path(get, path = "/settings/tolerance",
    responses((status = 200, body = TolerancePolicy), (status = 401, body = Problem)))]
async fn policy(
    State(service): State<Service>,
    Auth(_auth): Auth,
) -> Result<Json<TolerancePolicy>, Problem> {
    Ok(Json(service.tolerance_policy().await?))
}

/// Change the settings of 容缺受理 (administrators; audited).
#[utoipa::path(put, path = "/settings/tolerance", request_body = TolerancePolicy,
    responses((status = 200, body = TolerancePolicy), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn set_policy(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<TolerancePolicy>,
) -> Result<Json<TolerancePolicy>, Problem> {
    Ok(Json(service.set_tolerance_policy(&auth.actor, body).await?))
}

/// The commitments accepted and awaiting the department's check, the earliest last day first,
/// with the working days left: a department's reviewers and approvers see theirs, supervisors
/// all.
#[utoipa::path(get, path = "/commitments/checks",
    responses((status = 200, body = Vec<CommitmentEntry>), (status = 403, body = Problem)))]
async fn checks(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<Vec<CommitmentEntry>>, Problem> {
    Ok(Json(service.commitment_checks(&auth.actor).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FalseQuery {
    /// One applicant's identity number or credit code, in full.
    applicant: Option<String>,
}

/// The commitments found false (承诺不实名单), latest first: the window consults it before
/// taking a new commitment (a listed applicant's commitment is refused). Staff only.
#[utoipa::path(get, path = "/commitments/false", params(FalseQuery),
    responses((status = 200, body = Vec<CommitmentEntry>), (status = 403, body = Problem)))]
async fn found_false(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<FalseQuery>,
) -> Result<Json<Vec<CommitmentEntry>>, Problem> {
    Ok(Json(
        service
            .false_commitments(&auth.actor, q.applicant.as_deref())
            .await?,
    ))
}
