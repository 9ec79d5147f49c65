//! Page: the list of equivalent materials (材料等同清单) for administrators — which material
//! names are the same document, so that a joint-approval bundle asks each once. Typed as one
//! group per line, names separated by "、" or ";"; a refused list comes back as typed, with the
//! line of each problem.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::bundle::{equivalent_lines, parse_equivalent_lines};
use onewindow_domain::validation::FieldError;
use serde::Deserialize;

use crate::i18n::Messages;
use crate::pages::guard::{Admin, CarriesCsrf, CsrfForm};
use crate::pages::page_error::{OrPage, PageResult};
use crate::pages::{Chrome, PageCtx, render, see_other};

pub(super) const PATH: &str = "/admin/material-equivalents";

pub(super) fn routes() -> Router<Service> {
    Router::new().route(PATH, get(equivalents).post(save))
}

#[derive(Template)]
#[template(path = "admin/equivalents.html")]
struct EquivalentsPage {
    chrome: Chrome,
    /// The stored groups, shown as a table.
    groups: Vec<Vec<String>>,
    /// The text of the form: the stored list, or the refused one as typed.
    text: String,
    saved: bool,
    /// Each problem with its line, in the page's language.
    errors: Vec<String>,
}

impl EquivalentsPage {
    fn names(&self, group: &[String]) -> String {
        group.join("、")
    }
}

#[derive(Debug, Deserialize)]
struct SavedQuery {
    saved: Option<u8>,
}

async fn page(
    service: &Service,
    ctx: &PageCtx,
    text: Option<String>,
    saved: bool,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    ctx.require_role(&[Role::Administrator])?;
    let groups = service.material_equivalents().await.or_page(ctx)?;
    let page = EquivalentsPage {
        chrome: ctx.chrome.clone(),
        text: text.unwrap_or_else(|| equivalent_lines(&groups)),
        groups,
        saved,
        errors,
    };
    Ok((status, render(&page)).into_response())
}

async fn equivalents(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(query): Query<SavedQuery>,
) -> PageResult {
    page(
        &service,
        &ctx,
        None,
        query.saved.is_some(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct EquivalentsForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    groups: String,
}

impl CarriesCsrf for EquivalentsForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

async fn save(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<EquivalentsForm>,
) -> PageResult {
    let parsed = parse_equivalent_lines(&form.groups);
    let lines: Vec<usize> = parsed.iter().map(|(line, _)| *line).collect();
    let groups = parsed.into_iter().map(|(_, g)| g).collect();
    match service
        .save_material_equivalents(&session.actor, groups)
        .await
    {
        Ok(_) => Ok(see_other(&format!("{PATH}?saved=1"))),
        Err(AppError::Invalid(errors)) => {
            let t = ctx.chrome.t;
            let errors = errors.iter().map(|e| line_message(t, &lines, e)).collect();
            page(
                &service,
                &ctx,
                Some(form.groups),
                false,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(ctx.app_error(e).into()),
    }
}

/// The indices of a field `groups[i]` or `groups[i][j]`.
fn indices(field: &str) -> (Option<usize>, Option<usize>) {
    let mut numbers = field
        .split(['[', ']'])
        .filter(|s| !s.is_empty())
        .skip(1)
        .map(|s| s.parse::<usize>().ok());
    (numbers.next().flatten(), numbers.next().flatten())
}

/// A problem of the list as the administrator typed it: the line (and the name's place in it),
/// then why, in the page's language.
fn line_message(t: &Messages, lines: &[usize], e: &FieldError) -> String {
    let reason = if e.reason.starts_with("a group names at least two") {
        t.get("admin-equivalents-error-one-name").to_string()
    } else if e.reason.ends_with("is already in this group") {
        t.get("admin-equivalents-error-twice").to_string()
    } else {
        crate::pages::reasons::reason_or_general(t, e)
    };
    match indices(&e.field) {
        (Some(group), name) => {
            let line = lines.get(group).copied().unwrap_or(group + 1).to_string();
            match name {
                Some(n) => t.fill(
                    "admin-equivalents-error-name",
                    &[
                        ("line", &line),
                        ("n", &(n + 1).to_string()),
                        ("reason", &reason),
                    ],
                ),
                None => t.fill(
                    "admin-equivalents-error-line",
                    &[("line", &line), ("reason", &reason)],
                ),
            }
        }
        _ => reason,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use crate::pages::testing::{Visitor, site_with_bundles};

    #[tokio::test]
    async fn an_administrator_saves_the_list_through_the_form_and_bundles_follow_it() {
        let site = site_with_bundles().await;
        let clerk = site.login("clerk", "chuangkou-2026").await;
        assert_eq!(
            site.get(&clerk, "/admin/material-equivalents").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            site.get(&Visitor::default(), "/admin/material-equivalents")
                .await
                .status,
            StatusCode::SEE_OTHER
        );

        let admin = site.login("admin", "guanli-2026").await;
        let page = site.get(&admin, "/admin/material-equivalents").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("材料等同清单"), "{}", page.body);
        // The demo's list, one group per line.
        assert!(
            page.body
                .contains("营业执照、营业执照或者其他主体资格证明文件")
        );
        let index = site.get(&admin, "/admin").await;
        assert!(index.body.contains("href=\"/admin/material-equivalents\""));

        // A bad list comes back as typed, each problem with its line, in Chinese.
        let typed = "营业执照、营业执照或者其他主体资格证明文件\n\n场所平面图\n身份证明；身份证明";
        let refused = site
            .post_form(&admin, "/admin/material-equivalents", &[("groups", typed)])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("第 3 行"), "{}", refused.body);
        assert!(
            refused.body.contains("第 4 行第 2 个名称"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("身份证明；身份证明"));
        assert_eq!(
            site.service
                .material_equivalents()
                .await
                .expect("list")
                .len(),
            2,
            "a refused list changes nothing"
        );

        // Saved: the homestay now asks the plan of the premises under one name of three.
        let typed = "营业执照、营业执照或者其他主体资格证明文件\n场所平面图；经营场所平面布局图；场所平面布置图";
        let saved = site
            .post_form(&admin, "/admin/material-equivalents", &[("groups", typed)])
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let groups = site.service.material_equivalents().await.expect("list");
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[1][0], "场所平面图");
        let plan = site
            .service
            .bundle("LB-MINSU")
            .await
            .expect("the homestay")
            .plan;
        let names: Vec<&str> = plan.materials.iter().map(|m| m.name.as_str()).collect();
        assert!(names.contains(&"场所平面图"), "{names:?}");
        assert_eq!(names.iter().filter(|n| n.contains("平面")).count(), 1);

        let english = site
            .get(
                &admin.clone().in_english(),
                "/admin/material-equivalents?saved=1",
            )
            .await;
        assert!(
            english.body.contains("Equivalent materials"),
            "{}",
            english.body
        );
    }
}
