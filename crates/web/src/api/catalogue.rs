//! The catalogue of items (事项清单): departments, search, one item, the reform's figures, the
//! list of equivalent materials.

use axum::Json;
use axum::extract::{Path, State};
use onewindow_app::ItemFilter;
use onewindow_app::Service;
use onewindow_domain::catalogue::{Department, PublishedItem};
use onewindow_domain::figures::CatalogueFigures;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, ApiResult};
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(departments))
        .routes(routes!(items))
        .routes(routes!(item))
        .routes(routes!(figures))
        .routes(routes!(material_equivalents, save_material_equivalents))
}

/// Every department of the catalogue.
#[utoipa::path(get, path = "/catalogue/departments", security(()), responses((status = 200, body = [Department])))]
async fn departments(State(service): State<Service>) -> ApiResult<Json<Vec<Department>>> {
    Ok(Json(service.departments().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// Words of the name or the code, in Chinese, full pinyin or pinyin initials (`yyzz` finds
    /// 营业执照); several words separated by spaces must all match.
    q: Option<String>,
    department: Option<String>,
    /// One of immediate, window_express, online_prereview, online_express, online_online.
    run_mode: Option<String>,
    kind: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    items: Vec<PublishedItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<String>,
}

/// Search the catalogue.
#[utoipa::path(get, path = "/catalogue/items", params(ItemsQuery), security(()), responses((status = 200, body = ItemPage)))]
async fn items(
    State(service): State<Service>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> ApiResult<Json<ItemPage>> {
    let page = service
        .items(ItemFilter {
            query: q.q,
            department: q.department,
            run_mode: q.run_mode,
            kind: q.kind,
            after_code: q.cursor,
            limit: q.limit.unwrap_or(50),
        })
        .await?;
    Ok(Json(ItemPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One item in its current version.
#[utoipa::path(get, path = "/catalogue/items/{code}", security(()), params(("code" = String, Path)),
    responses((status = 200, body = PublishedItem), (status = 404, body = Problem)))]
async fn item(
    State(service): State<Service>,
    Path(code): Path<String>,
) -> ApiResult<Json<PublishedItem>> {
    Ok(Json(service.item(&code).await?))
}

/// The catalogue figures of the reform, computed from the stored items.
#[utoipa::path(get, path = "/catalogue/figures", security(()), responses((status = 200, body = CatalogueFigures)))]
async fn figures(State(service): State<Service>) -> ApiResult<Json<CatalogueFigures>> {
    Ok(Json(service.catalogue_figures().await?))
}

/// The list of equivalent materials (材料等同清单): groups of names that are the same document.
/// A bundle asks each group once, under the group's first name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MaterialEquivalents {
    /// Each group at least two names, each name non-empty, at most 200 characters, without
    /// control characters, and once in its group. A name in two groups joins them.
    #[schema(example = json!([["营业执照", "营业执照或者其他主体资格证明文件"]]))]
    groups: Vec<Vec<String>>,
}

/// The list of equivalent materials as stored; public, like the bundles it shapes.
#[utoipa::path(get, path = "/catalogue/material-equivalents", security(()),
    responses((status = 200, body = MaterialEquivalents)))]
async fn material_equivalents(
    State(service): State<Service>,
) -> ApiResult<Json<MaterialEquivalents>> {
    Ok(Json(MaterialEquivalents {
        groups: service.material_equivalents().await?,
    }))
}

/// Replace the list of equivalent materials (administrators; audited). Every problem is named
/// at once as `groups[i]` or `groups[i][j]`. Bundles shown and filed from now on merge by the new
/// list; filed cases keep their plan.
#[utoipa::path(put, path = "/catalogue/material-equivalents", request_body = MaterialEquivalents,
    responses((status = 200, body = MaterialEquivalents),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn save_material_equivalents(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<MaterialEquivalents>,
) -> ApiResult<Json<MaterialEquivalents>> {
    Ok(Json(MaterialEquivalents {
        groups: service
            .save_material_equivalents(&auth.actor, body.groups)
            .await?,
    }))
}
