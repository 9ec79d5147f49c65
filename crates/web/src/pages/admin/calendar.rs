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
use onewindow_domain::calendar::CalendarDataError;
use serde::Deserialize;

use crate::i18n::Messages;
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
        Err(AppError::Invalid(_)) => {
            let error = notice_error(&service, ctx.chrome.t, &form.notice);
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

/// Why a notice was refused, in the page's language. The service answers with the domain's
/// English words; the pure check it ran (`Calendar::with_notice`) is asked again on the calendar
/// in force for the typed error, which the page words itself. Should the check pass now (a
/// notice loaded in between), a general message says the notice was not loaded.
fn notice_error(service: &Service, t: &Messages, notice: &str) -> String {
    match service.calendar().as_ref().clone().with_notice(notice) {
        Err(e) => data_error_text(t, &e),
        Ok(_) => t.get("admin-calendar-error-other").to_string(),
    }
}

/// "holiday notice for 2027, line 3 (days[1])" → "第 3 行（第 2 个日期）": the domain writes
/// where a notice is wrong in this one shape (`Calendar::with_notice`); any other shape is shown
/// as it is.
fn location_text(t: &Messages, location: &str) -> String {
    let Some(rest) = location.strip_prefix("holiday notice for ") else {
        return location.to_string();
    };
    let Some((_, rest)) = rest.split_once(", ") else {
        return location.to_string();
    };
    let index = |text: &str| {
        text.split_once("days[")
            .and_then(|(_, r)| r.split(']').next())
            .and_then(|n| n.parse::<usize>().ok())
            .map(|i| (i + 1).to_string())
    };
    if let Some(line_part) = rest.strip_prefix("line ") {
        let line = line_part.split_whitespace().next().unwrap_or_default();
        if let Some(n) = index(line_part) {
            return t.fill("admin-calendar-at-line", &[("line", line), ("n", &n)]);
        }
    } else if let Some(n) = index(rest) {
        return t.fill1("admin-calendar-at-day", "n", n);
    }
    location.to_string()
}

/// The typed error of a notice in the page's language.
fn data_error_text(t: &Messages, e: &CalendarDataError) -> String {
    let date = |d: &chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    match e {
        CalendarDataError::Json { message, .. } => {
            // serde's message ends "at line L column C"; the place is what helps.
            let place = message
                .rsplit_once(" at line ")
                .and_then(|(_, rest)| rest.split_once(" column "))
                .map(|(line, column)| {
                    t.fill(
                        "admin-calendar-error-json-at",
                        &[("line", line), ("column", column.trim())],
                    )
                });
            place.unwrap_or_else(|| t.get("admin-calendar-error-json").to_string())
        }
        CalendarDataError::BadDate {
            location, value, ..
        } => t.fill(
            "admin-calendar-error-bad-date",
            &[("at", &location_text(t, location)), ("value", value)],
        ),
        CalendarDataError::YearOutOfRange { year } => {
            t.fill1("admin-calendar-error-year-range", "year", year.to_string())
        }
        CalendarDataError::EmptyYear { year } => {
            t.fill1("admin-calendar-error-empty-year", "year", year.to_string())
        }
        CalendarDataError::DuplicateYear { year } => t.fill1(
            "admin-calendar-error-duplicate-year",
            "year",
            year.to_string(),
        ),
        CalendarDataError::DateOutsideNoticeYear { year, date: d } => t.fill(
            "admin-calendar-error-outside-year",
            &[("year", &year.to_string()), ("date", &date(d))],
        ),
        CalendarDataError::ConflictingDay { location, date: d } => t.fill(
            "admin-calendar-error-conflicting",
            &[("at", &location_text(t, location)), ("date", &date(d))],
        ),
        CalendarDataError::DuplicateDay { location, date: d } => t.fill(
            "admin-calendar-error-duplicate-day",
            &[("at", &location_text(t, location)), ("date", &date(d))],
        ),
        CalendarDataError::WeekdayMadeWorking {
            location, date: d, ..
        } => t.fill(
            "admin-calendar-error-weekday-working",
            &[("at", &location_text(t, location)), ("date", &date(d))],
        ),
        CalendarDataError::DateOutsideNoticeWeek {
            location,
            year,
            date: d,
        } => t.fill(
            "admin-calendar-error-outside-week",
            &[
                ("at", &location_text(t, location)),
                ("date", &date(d)),
                ("year", &year.to_string()),
                ("previous", &(year - 1).to_string()),
            ],
        ),
        CalendarDataError::WrongYear { year, expected, .. } => t.fill(
            "admin-calendar-error-wrong-year",
            &[
                ("year", &year.to_string()),
                ("expected", &expected.to_string()),
            ],
        ),
        CalendarDataError::DateNotCovered {
            location,
            date: d,
            year,
        } => t.fill(
            "admin-calendar-error-not-covered",
            &[
                ("at", &location_text(t, location)),
                ("date", &date(d)),
                ("year", &year.to_string()),
            ],
        ),
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
        // In Chinese on a Chinese page, naming the line and the day.
        assert!(
            refused
                .body
                .contains("第 3 行（第 2 个日期）：2027-01-01 重复列出。"),
            "{}",
            refused.body
        );
        assert!(!refused.body.contains("is listed twice"), "no English");
        let english = site
            .post_form(
                &admin.clone().in_english(),
                "/admin/calendar/notices",
                &[("notice", twice)],
            )
            .await;
        assert!(
            english
                .body
                .contains("line 3 (day 2): 2027-01-01 is listed twice.")
        );
        // A notice that is not JSON, and one of a weekday made a working day, in Chinese too.
        let broken = site
            .post_form(
                &admin,
                "/admin/calendar/notices",
                &[("notice", "{\"year\": 2027,")],
            )
            .await;
        assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            broken.body.contains("不是有效的节假日安排文件"),
            "{}",
            broken.body
        );
        let weekday = "{\"year\": 2027, \"days\": [{\"name\": \"元旦\", \"date\": \"2027-01-04\", \"isOffDay\": false}]}";
        let refused = site
            .post_form(&admin, "/admin/calendar/notices", &[("notice", weekday)])
            .await;
        assert!(
            refused
                .body
                .contains("2027-01-04 不是周六或周日，不能作为调休上班日"),
            "{}",
            refused.body
        );
        let wrong_year = "{\"year\": 2029, \"days\": [{\"name\": \"元旦\", \"date\": \"2029-01-01\", \"isOffDay\": true}]}";
        let refused = site
            .post_form(&admin, "/admin/calendar/notices", &[("notice", wrong_year)])
            .await;
        assert!(
            refused
                .body
                .contains("这是 2029 年的安排，日历下一步只能载入 2027 年的安排"),
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
