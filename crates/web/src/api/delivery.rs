//! Delivery by post (快递送达): the applicant's choice, posting with a waybill, reports of a parcel
//! by hand or by a courier's signed webhook, and the count of deliveries by method.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::NaiveDate;
use onewindow_app::Service;
use onewindow_app::delivery::{CourierAnswer, CourierInfo, DeliveryCounts, DeliveryView};
use onewindow_domain::delivery::{DeliveryChoice, ParcelReport};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery};
use crate::extract::{Auth, Source};
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(get_delivery, choose))
        .routes(routes!(dispatch))
        .routes(routes!(report))
        .routes(routes!(courier_report))
        .routes(routes!(couriers))
        .routes(routes!(delivery_counts))
}

/// A case's delivery by post: the applicant's choice and agreement, every parcel and what was
/// reported of it, the agreement's current version and the couriers set up.
#[utoipa::path(get, path = "/cases/{id}/delivery", params(("id" = String, Path, description = "id or receipt number")),
    responses((status = 200, body = DeliveryView), (status = 404, body = Problem)))]
async fn get_delivery(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<Json<DeliveryView>, Problem> {
    Ok(Json(service.case_delivery(&auth.actor, &id).await?))
}

/// Choose how the result comes (送达方式): `{"method": "pickup"}`, or
/// `{"method": "express", "recipient": {"name", "phone", "address"}, "agreement": "<version>"}`
/// accepting the delivery agreement (送达地址确认书) of the version `GET` answers. The applicant,
/// the agent who filed, or the case's window; once decided and until delivered.
#[utoipa::path(put, path = "/cases/{id}/delivery", params(("id" = String, Path, description = "id or receipt number")),
    request_body = DeliveryChoice,
    responses((status = 200, body = DeliveryView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn choose(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    ApiJson(choice): ApiJson<DeliveryChoice>,
) -> Result<Json<DeliveryView>, Problem> {
    Ok(Json(
        service.choose_delivery(&auth.actor, &id, choice).await?,
    ))
}

/// A parcel posted with the result.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Dispatch {
    /// The courier's code, one of `GET /couriers`.
    courier: String,
    /// The waybill number (运单号).
    waybill: String,
}

/// Post the result to the chosen address with the courier's waybill, postage paid by the
/// department (again after a parcel came back). The case's window or department staff.
#[utoipa::path(post, path = "/cases/{id}/parcels", params(("id" = String, Path, description = "id or receipt number")),
    request_body = Dispatch,
    responses((status = 200, body = DeliveryView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn dispatch(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Dispatch>,
) -> Result<Json<DeliveryView>, Problem> {
    Ok(Json(
        service
            .dispatch_parcel(&auth.actor, &id, &body.courier, &body.waybill)
            .await?,
    ))
}

/// Record by hand what the courier says of a parcel (`state` in_transit with `note`, signed
/// with `signed_by`, returned with `reason`); a signature delivers the case. The case's window
/// or department staff.
#[utoipa::path(post, path = "/cases/{id}/parcels/{waybill}/reports",
    params(("id" = String, Path, description = "id or receipt number"), ("waybill" = String, Path)),
    request_body = ParcelReport,
    responses((status = 200, body = DeliveryView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn report(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path((id, waybill)): Path<(String, String)>,
    ApiJson(body): ApiJson<ParcelReport>,
) -> Result<Json<DeliveryView>, Problem> {
    Ok(Json(
        service
            .report_parcel(&auth.actor, &id, &waybill, body)
            .await?,
    ))
}

/// A courier's report of a parcel (webhook, no login): the body `{"waybill": …, "state":
/// "in_transit" | "signed" | "returned", "note" | "signed_by" | "reason": …}` signed with the
/// courier's secret: `X-Onewindow-Timestamp: <Unix seconds>` and `X-Onewindow-Signature:
/// sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, within five minutes of the service's
/// clock. A signature delivers the case; a repeated final report changes nothing. Every refusal
/// is audited.
#[utoipa::path(post, path = "/couriers/{courier}/reports", params(("courier" = String, Path)),
    request_body = Object, security(()),
    responses((status = 200, body = CourierAnswer), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn courier_report(
    State(service): State<Service>,
    Source(source): Source,
    Path(courier): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CourierAnswer>, Problem> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    Ok(Json(
        service
            .courier_report(
                &courier,
                header("x-onewindow-timestamp"),
                header("x-onewindow-signature"),
                &body,
                &source,
            )
            .await?,
    ))
}

/// The couriers the window can post with.
#[utoipa::path(get, path = "/couriers",
    responses((status = 200, body = [CourierInfo]), (status = 401, body = Problem)))]
async fn couriers(
    State(service): State<Service>,
    Auth(_auth): Auth,
) -> Result<Json<Vec<CourierInfo>>, Problem> {
    Ok(Json(service.couriers().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The first day (YYYY-MM-DD).
    from: NaiveDate,
    /// The last day, included (YYYY-MM-DD).
    to: NaiveDate,
}

/// Deliveries by method in a period (送达统计): at the window, by post (signed for), by
/// download (first download). Supervisors.
#[utoipa::path(get, path = "/statistics/deliveries", params(PeriodQuery),
    responses((status = 200, body = DeliveryCounts), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn delivery_counts(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<DeliveryCounts>, Problem> {
    Ok(Json(
        service.delivery_counts(&auth.actor, q.from, q.to).await?,
    ))
}
