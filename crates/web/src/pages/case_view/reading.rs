//! What the window's and the desk's case pages both read of a case, and how both answer with
//! the page or the error: one reading, so the two pages never drift apart in what they show.

use super::*;
use askama::Template;
use onewindow_app::accounts::Authenticated;

/// A case as a member of staff may see it, with what its pages draw from.
pub struct CaseReading<'a> {
    pub session: &'a Authenticated,
    pub detail: CaseDetail,
    /// The item may have been withdrawn since; the pages then show material keys.
    pub item: Option<PublishedItem>,
    pub files: Vec<CaseFile>,
    /// The names of the departments, centres and staff the case mentions.
    pub people: Names,
    pub names: MaterialNames,
}

impl<'a> CaseReading<'a> {
    /// Reads case `id` for the page's visitor.
    pub async fn load(
        service: &Service,
        ctx: &'a PageCtx,
        id: &str,
    ) -> Result<CaseReading<'a>, AppError> {
        let session = ctx
            .session
            .as_ref()
            .ok_or_else(|| AppError::Unauthenticated("log in".into()))?;
        let detail = service.case(&session.actor, id).await?;
        let item = service.item(&detail.case.item_code).await.ok();
        let files = service.case_files(&session.actor, &detail.case.id).await?;
        let people = Names::for_case(service, &detail).await;
        let names = MaterialNames::for_case(&detail.case, item.as_ref());
        Ok(CaseReading {
            session,
            detail,
            item,
            files,
            people,
            names,
        })
    }
}

/// The drawn page with `status`, or the page of the error that kept it from being drawn.
pub fn case_page_or_error<P: Template>(
    ctx: &PageCtx,
    status: StatusCode,
    page: Result<P, AppError>,
) -> Response {
    match page {
        Ok(page) => (status, crate::pages::render(&page)).into_response(),
        Err(e) => ctx.app_error(e),
    }
}
