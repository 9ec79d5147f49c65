//! The list of investment projects a visitor may see.

use super::*;

#[derive(Debug, Clone)]
pub(super) struct ListRow {
    pub(super) href: String,
    pub(super) code: String,
    pub(super) name: String,
    pub(super) owner: String,
    pub(super) kind: String,
    pub(super) registered: String,
}

#[derive(Template)]
#[template(path = "projects/list.html")]
pub(super) struct ListPage {
    pub(super) chrome: Chrome,
    pub(super) rows: Vec<ListRow>,
    pub(super) may_register: bool,
    pub(super) may_board: bool,
}

pub(super) async fn list(State(service): State<Service>, ctx: PageCtx) -> PageResult {
    let session = ctx.require_login()?;
    let t = ctx.chrome.t;
    let projects = service.projects(&session.actor).await.or_page(&ctx)?;
    let who = &session.actor.principal;
    let rows = projects
        .iter()
        .map(|p| ListRow {
            href: project_href(p.code.as_str()),
            code: p.code.to_string(),
            name: p.name.clone(),
            owner: p.owner_name.clone(),
            kind: t.get(type_key(p.project_type)).to_string(),
            registered: t.date(&p.registered_on),
        })
        .collect();
    Ok(render(&ListPage {
        may_register: REGISTER_ROLES.iter().any(|r| who.has_role(*r)),
        may_board: BOARD_ROLES.iter().any(|r| who.has_role(*r)),
        chrome: ctx.chrome,
        rows,
    }))
}
