//! The applicant's list of their cases.

use super::*;

#[derive(Debug, Clone)]
pub(super) struct CaseRow {
    pub(super) href: String,
    pub(super) number: String,
    pub(super) item_name: String,
    pub(super) status: String,
    pub(super) received: String,
    pub(super) due: String,
    pub(super) left: Option<Left>,
}

#[derive(Template)]
#[template(path = "applicant/cases.html")]
pub(super) struct CasesPage {
    pub(super) chrome: Chrome,
    pub(super) rows: Vec<CaseRow>,
    pub(super) next: Option<String>,
    pub(super) paged: bool,
    /// Applications saved for later (暂存), on the first page.
    pub(super) drafts: Vec<DraftRow>,
    pub(super) notice: Option<String>,
}

/// A saved application in the list.
#[derive(Debug, Clone)]
pub(super) struct DraftRow {
    pub(super) id: String,
    pub(super) item_name: String,
    pub(super) href: String,
    pub(super) saved: String,
    pub(super) expires: String,
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ListQuery {
    pub(super) cursor: Option<String>,
    pub(super) done: Option<String>,
}

pub(super) async fn my_cases(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    let cursor = q.cursor.filter(|c| !c.trim().is_empty());
    let paged = cursor.is_some();
    let page = match service
        .cases(
            &session.actor,
            CaseQuery {
                cursor,
                limit: Some(PAGE_SIZE),
                ..CaseQuery::default()
            },
        )
        .await
    {
        Ok(page) => page,
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let t = ctx.chrome.t;
    let rows = page
        .items
        .iter()
        .map(|case| {
            let (due, left) = clock_of(&service, case);
            CaseRow {
                href: format!("/my/cases/{}", encode_query_value(&case.id)),
                number: case.number.clone(),
                item_name: case.item_name.clone(),
                status: t.get(status_key(case.status)).to_string(),
                received: t.date(&case.received_on),
                due: t.date_or_dash(&due),
                left: left
                    .map(|n| left_view(t, n, case.clock.as_ref().map_or(0, |c| c.total_limit()))),
            }
        })
        .collect();
    let drafts = if paged {
        Vec::new()
    } else {
        service
            .application_drafts(&session.actor)
            .await
            .or_page(&ctx)?
            .into_iter()
            .map(|d| DraftRow {
                href: format!(
                    "/apply/{}?draft={}",
                    encode_query_value(&d.item_code),
                    encode_query_value(&d.id)
                ),
                saved: t.time(&d.updated_at),
                expires: t.date(&d.expires_on),
                item_name: d.item_name,
                id: d.id,
            })
            .collect()
    };
    Ok(render(&CasesPage {
        chrome: ctx.chrome.clone(),
        drafts,
        notice: (q.done.as_deref() == Some("draft-deleted"))
            .then(|| t.get("drafts-deleted").to_string()),
        rows,
        next: page
            .next_cursor
            .map(|c| format!("/my/cases?cursor={}", encode_query_value(&c))),
        paged,
    }))
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct TokenForm {
    #[serde(default)]
    pub(super) csrf_token: String,
}

/// Deletes one of the applicant's saved applications with its files.
pub(super) async fn delete_draft(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    ctx.check_csrf(&form.csrf_token)?;
    service
        .delete_application_draft(&session.actor, &id)
        .await
        .or_page(&ctx)?;
    Ok(see_other("/my/cases?done=draft-deleted"))
}
