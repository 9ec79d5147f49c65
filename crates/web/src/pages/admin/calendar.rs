//! Page: the working-day calendar (工作日历) for administrators — which years' holiday notices
//! are held, the provisional year's statutory days off, and loading a year's notice when the
//! State Council publishes it.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use onewindow_app::calendar::CalendarOverview;
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use serde::Deserialize;

use crate::pages::guard::{Admin, CarriesCsrf, CsrfForm};
use crate::pages::page_error::{OrPage, PageResult};
use crate::pages::{Chrome, PageCtx, render, see_other};

pub(super) fn routes() -> Router<Service> {
    Router::new()
        .route("/admin/calendar", get(calendar))
        .route("/admin/calendar/notices", post(load_notice))
}

#[derive(Template)]
#[template(path = "admin/calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    overview: CalendarOverview,
    /// "2015–2026".
    held: String,
    /// What the last load did, after the redirect.
    loaded: Option<String>,
    /// The notice as typed, given back with its error.
    notice: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LoadedQuery {
    loaded: Option<i32>,
    moved: Option<usize>,
    earlier: Option<usize>,
}

async fn page(
    service: &Service,
    ctx: &PageCtx,
    loaded: Option<String>,
    notice: String,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let actor = ctx.require_role(&[Role::Administrator])?.actor.clone();
    let overview = service.calendar_overview(&actor).await.or_page(ctx)?;
    let held = match (
        overview.covered_years.first(),
        overview.covered_years.last(),
    ) {
        (Some(first), Some(last)) => format!("{first}–{last}"),
        _ => "—".to_owned(),
    };
    let page = CalendarPage {
        chrome: ctx.chrome.clone(),
        overview,
        held,
        loaded,
        notice,
        error,
    };
    Ok((status, render(&page)).into_response())
}

async fn calendar(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(query): Query<LoadedQuery>,
) -> PageResult {
    let t = ctx.chrome.t;
    let loaded = query.loaded.map(|year| {
        t.fill(
            "admin-calendar-loaded",
            &[
                ("year", &year.to_string()),
                ("moved", &query.moved.unwrap_or(0).to_string()),
                ("earlier", &query.earlier.unwrap_or(0).to_string()),
            ],
        )
    });
    page(&service, &ctx, loaded, String::new(), None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
struct NoticeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    notice: String,
}

impl CarriesCsrf for NoticeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

async fn load_notice(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<NoticeForm>,
) -> PageResult {
    let actor = session.actor;
    if form.notice.trim().is_empty() {
        let error = ctx.chrome.t.get("admin-calendar-empty").to_string();
        return page(
            &service,
            &ctx,
            None,
            form.notice,
            Some(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match service.load_holiday_notice(&actor, &form.notice).await {
        Ok(loaded) => Ok(see_other(&format!(
            "/admin/calendar?loaded={}&moved={}&earlier={}",
            loaded.year, loaded.deadlines_moved, loaded.moved_earlier
        ))),
        Err(AppError::Invalid(errors)) => {
            let error = errors
                .iter()
                .map(|e| e.reason.clone())
                .collect::<Vec<_>>()
                .join("; ");
            page(
                &service,
                &ctx,
                None,
                form.notice,
                Some(error),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(ctx.app_error(e).into()),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use crate::pages::testing::{Visitor, site};

    #[tokio::test]
    async fn an_administrator_sees_the_provisional_year_and_loads_the_notice() {
        let site = site().await;
        let clerk = site.login("clerk", "chuangkou-2026").await;
        assert_eq!(
            site.get(&clerk, "/admin/calendar").await.status,
            StatusCode::FORBIDDEN
        );
        let anonymous = site.get(&Visitor::default(), "/admin/calendar").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);

        let admin = site.login("admin", "guanli-2026").await;
        let page = site.get(&admin, "/admin/calendar").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("2015–2026"), "{}", page.body);
        assert!(page.body.contains("<strong>2027</strong>"));
        assert!(page.body.contains("春节"));

        // Without the CSRF token nothing is loaded.
        let forged = site
            .post_form(
                &admin,
                "/admin/calendar/notices",
                &[("csrf_token", "forged"), ("notice", "{}")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        // A bad notice comes back with its line, the text kept for correcting.
        let twice = "{\"year\": 2027, \"days\": [\n{\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true},\n{\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true}]}";
        let refused = site
            .post_form(&admin, "/admin/calendar/notices", &[("notice", twice)])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .body
                .contains("line 3 (days[1]): 2027-01-01 is listed twice"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("2027-01-01"));
        assert!(site.service.calendar().provisional_year() == Some(2027));

        let good = "{\"year\": 2027, \"days\": [{\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true}]}";
        let loaded = site
            .post_form(&admin, "/admin/calendar/notices", &[("notice", good)])
            .await;
        assert_eq!(loaded.status, StatusCode::SEE_OTHER, "{}", loaded.body);
        let location = loaded.location().expect("a redirect").to_owned();
        assert!(location.starts_with("/admin/calendar?loaded=2027"));
        let page = site.get(&admin, &location).await;
        assert!(
            page.body.contains("已载入 2027 年节假日安排"),
            "{}",
            page.body
        );
        assert!(page.body.contains("2015–2027"));
        assert!(page.body.contains("<strong>2028</strong>"));
        assert!(site.service.calendar().covers_year(2027));
    }
}
