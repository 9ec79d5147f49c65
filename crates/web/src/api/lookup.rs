//! The public case look-up (办件查询): a receipt number and the applicant's name, no login.

use axum::Json;
use axum::extract::State;
use onewindow_app::Service;
use onewindow_domain::disclosure::PublicStatus;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiJson;
use crate::extract::Source;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new().routes(routes!(look_up))
}

/// What the look-up asks: in the body, so that the name stays out of addresses and logs.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LookupQuestion {
    /// The receipt number (受理编号) printed on the receipt.
    number: String,
    /// The applicant's name as on the application.
    name: String,
}

/// Where a case stands, for anyone with its receipt number and the applicant's name (办件查询):
/// the item, the state and the dates, nothing else. A wrong number or name answers 404 alike.
/// Rate limited per source address (10 a minute) and per receipt number (5 wrong names an
/// hour): 429 with Retry-After.
#[utoipa::path(post, path = "/lookup", request_body = LookupQuestion, security(()),
    responses((status = 200, body = PublicStatus), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn look_up(
    State(service): State<Service>,
    Source(source): Source,
    ApiJson(q): ApiJson<LookupQuestion>,
) -> Result<Json<PublicStatus>, Problem> {
    Ok(Json(
        service.look_up_case(&q.number, &q.name, &source).await?,
    ))
}
