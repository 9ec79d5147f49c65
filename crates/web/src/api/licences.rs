//! Electronic licences (电子证照): the public verification and keys, the holder's library, the
//! signed PDF, and the issuing department's change, revocation and cancellation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use onewindow_app::Service;
use onewindow_app::licences::PublicKeyRow;
use onewindow_app::licences::{LicenceAmendment, LicenceView, LicenceWords, VerificationAnswer};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery};
use crate::extract::{Auth, PublicBase};
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(verify))
        .routes(routes!(public_keys))
        .routes(routes!(my_licences))
        .routes(routes!(get_licence))
        .routes(routes!(licence_pdf))
        .routes(routes!(amend))
        .routes(routes!(case_licences))
        .routes(routes!(decision_pdf))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// The licence identifier (电子证照标识), or the whole address a licence's QR code carries.
    id: String,
    /// The signing key's id, as the QR code carries it.
    k: Option<String>,
    /// The signature, as the QR code carries it.
    s: Option<String>,
}

/// Verify a licence without a login (证照核验): valid, changed, revoked, expired, cancelled,
/// unknown, or forged (a QR signature that is not the issuer's signature of the stored data).
/// Answers only what is printed on the licence, the holder's identity number masked.
#[utoipa::path(get, path = "/licences/verify", params(VerifyQuery), security(()),
    responses((status = 200, body = VerificationAnswer), (status = 422, body = Problem)))]
async fn verify(
    State(service): State<Service>,
    ApiQuery(q): ApiQuery<VerifyQuery>,
) -> Result<Json<VerificationAnswer>, Problem> {
    let question =
        onewindow_domain::licence::verification_question(&q.id, q.k.as_deref(), q.s.as_deref());
    Ok(Json(service.verify_licence(&question).await?))
}

/// The published Ed25519 public keys of the issuing authorities, retired ones included: what
/// `onewindow licence verify FILE.pdf --keys` checks a licence PDF against, offline.
#[utoipa::path(get, path = "/licences/keys", security(()),
    responses((status = 200, body = [Object])))]
async fn public_keys(State(service): State<Service>) -> Result<Json<Vec<PublicKeyRow>>, Problem> {
    Ok(Json(service.licence_public_keys().await?))
}

/// The holder's licence library (我的证照): every licence (every version) of the identity the
/// account stands for, the newest first.
#[utoipa::path(get, path = "/licences",
    responses((status = 200, body = [LicenceView]), (status = 401, body = Problem)))]
async fn my_licences(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<Vec<LicenceView>>, Problem> {
    Ok(Json(service.my_licences(&auth.actor).await?))
}

/// One licence, for its holder, the agent who filed its case, the issuing department and
/// supervisors; anyone else gets 404 (and may use the public verification).
#[utoipa::path(get, path = "/licences/{identifier}", params(("identifier" = String, Path)),
    responses((status = 200, body = LicenceView), (status = 404, body = Problem)))]
async fn get_licence(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(identifier): Path<String>,
) -> Result<Json<LicenceView>, Problem> {
    Ok(Json(service.licence(&auth.actor, &identifier).await?))
}

/// The licence as a signed PDF (Chinese text as text, the seal mark, a QR code of its
/// verification address, an Ed25519 signature of the whole file at its end). The holder's or
/// filer's first download of a case waiting for delivery delivers the case (网上下载).
#[utoipa::path(get, path = "/licences/{identifier}/pdf", params(("identifier" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
async fn licence_pdf(
    State(service): State<Service>,
    Auth(auth): Auth,
    PublicBase(base): PublicBase,
    Path(identifier): Path<String>,
) -> Result<Response, Problem> {
    let pdf = service
        .licence_pdf(&auth.actor, &identifier, &LicenceWords::chinese(), &base)
        .await?;
    Ok(pdf_response(pdf.bytes, &pdf.file_name))
}

/// A PDF download with its file name.
pub(crate) fn pdf_response(bytes: Vec<u8>, file_name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Change (变更: a new version), revoke (撤销) or cancel (注销) a valid licence: the issuing
/// department's approver only. Answers the licences written (the old and the new version).
#[utoipa::path(post, path = "/licences/{identifier}/amend", params(("identifier" = String, Path)),
    request_body = LicenceAmendment,
    responses((status = 200, body = [LicenceView]), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn amend(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(identifier): Path<String>,
    ApiJson(amendment): ApiJson<LicenceAmendment>,
) -> Result<Json<Vec<LicenceView>>, Problem> {
    Ok(Json(
        service
            .amend_licence(&auth.actor, &identifier, amendment)
            .await?,
    ))
}

/// The licences a case issued, for whoever may read the case.
#[utoipa::path(get, path = "/cases/{id}/licences", params(("id" = String, Path, description = "id or receipt number")),
    responses((status = 200, body = [LicenceView]), (status = 404, body = Problem)))]
async fn case_licences(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<LicenceView>>, Problem> {
    Ok(Json(service.case_licences(&auth.actor, &id).await?))
}

/// The decision document (准予 / 不予行政许可决定书) of a case whose result is issued, as a PDF,
/// for whoever may read the case. The applicant's or filer's first download of a result waiting
/// for delivery delivers the case (网上下载).
#[utoipa::path(get, path = "/cases/{id}/decision.pdf", params(("id" = String, Path, description = "id or receipt number")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 503, body = Problem)))]
async fn decision_pdf(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let pdf = service.decision_pdf(&auth.actor, &id).await?;
    Ok(pdf_response(pdf.bytes, &pdf.file_name))
}
