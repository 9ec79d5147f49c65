//! Pages: the electronic monitor (电子监察) — the red and yellow clocks of the reader's scope and
//! the inbox of alerts raised by changes of light.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use onewindow_app::Service;
use onewindow_app::monitor::{InboxEntry, LitClock};
use onewindow_domain::access::Role;
use serde::Deserialize;

use super::{Chrome, PageCtx, render, see_other};

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/monitor", get(monitor))
        .route("/monitor/alerts/{id}/read", post(mark_read))
        .route("/monitor/statistics", get(statistics))
}

#[derive(Debug, Deserialize, Default)]
struct StatisticsForm {
    from: Option<String>,
    to: Option<String>,
    department: Option<String>,
}

/// One line of the statistics table.
struct FigureLine {
    label: &'static str,
    value: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "monitor/statistics.html")]
struct StatisticsPage {
    chrome: Chrome,
    from: String,
    to: String,
    department: String,
    departments: Vec<onewindow_domain::catalogue::Department>,
    lines: Vec<FigureLine>,
    csv_href: String,
    error: Option<String>,
}

impl StatisticsPage {
    fn xlsx_href(&self) -> String {
        format!(
            "{}&lang={}",
            self.csv_href.replacen("format=csv", "format=xlsx", 1),
            self.chrome.lang_tag()
        )
    }
}

async fn statistics(
    State(service): State<Service>,
    ctx: PageCtx,
    axum::extract::Query(form): axum::extract::Query<StatisticsForm>,
) -> Response {
    let session = match ctx.require_role(&[Role::Supervisor]) {
        Ok(s) => s.clone(),
        Err(r) => return r,
    };
    let t = ctx.chrome.t;
    let today = service.today();
    let parse = |v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d"))
    };
    let mut error = None;
    let from = match parse(&form.from) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            error = Some(t.get("monitor-stats-bad-date").to_string());
            None
        }
        None => None,
    };
    let to = match parse(&form.to) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            error = Some(t.get("monitor-stats-bad-date").to_string());
            None
        }
        None => None,
    };
    let department = form.department.clone().filter(|d| !d.is_empty());
    let figures = service
        .statistics(
            &session.actor,
            onewindow_app::statistics::StatisticsQuery {
                from,
                to,
                department: department.clone(),
                ..Default::default()
            },
        )
        .await;
    let (figures, error) = match figures {
        Ok(f) => (Some(f), error),
        Err(onewindow_app::AppError::Invalid(_)) => {
            (None, Some(t.get("monitor-stats-bad-period").to_string()))
        }
        Err(e) => return ctx.app_error(e),
    };
    let ratio = |r: &onewindow_domain::figures::Ratio| {
        (
            format!("{:.2}%", r.percent()),
            format!("{} / {}", r.numerator, r.denominator),
        )
    };
    let mut lines = Vec::new();
    if let Some(f) = &figures {
        let count = |label, n: u64| FigureLine {
            label,
            value: n.to_string(),
            detail: String::new(),
        };
        let rate = |label, r: &onewindow_domain::figures::Ratio| {
            let (value, detail) = ratio(r);
            FigureLine {
                label,
                value,
                detail,
            }
        };
        lines.push(count("monitor-stats-received", f.received));
        lines.push(count("monitor-stats-accepted", f.accepted));
        lines.push(count("monitor-stats-rejected", f.rejected));
        lines.push(count("monitor-stats-completed", f.completed));
        lines.push(rate("monitor-stats-on-time", &f.on_time));
        lines.push(rate("monitor-stats-ahead", &f.ahead_of_promise));
        lines.push(rate("monitor-stats-at-most-once", &f.at_most_once));
        lines.push(FigureLine {
            label: "monitor-stats-days",
            value: format!(
                "{:.2} / {:.2}",
                f.average_days_used_centi as f64 / 100.0,
                f.average_days_promised_centi as f64 / 100.0
            ),
            detail: String::new(),
        });
        lines.push(count("monitor-stats-overdue", f.overdue));
        lines.push(rate("monitor-stats-suspended", &f.suspended));
        lines.push(rate("monitor-stats-extended", &f.extended));
    }
    let (from_text, to_text) = match &figures {
        Some(f) => (f.from.to_string(), f.to.to_string()),
        None => (
            form.from.clone().unwrap_or_default(),
            form.to.clone().unwrap_or_else(|| today.to_string()),
        ),
    };
    let mut csv_href = format!(
        "/api/v1/statistics?format=csv&from={}&to={}",
        super::encode_query_value(&from_text),
        super::encode_query_value(&to_text)
    );
    if let Some(d) = &department {
        csv_href.push_str(&format!("&department={}", super::encode_query_value(d)));
    }
    render(&StatisticsPage {
        chrome: ctx.chrome.clone(),
        from: from_text,
        to: to_text,
        department: department.unwrap_or_default(),
        departments: service.departments().await.unwrap_or_default(),
        lines,
        csv_href,
        error,
    })
}

const STAFF: [Role; 4] = [
    Role::Supervisor,
    Role::Reviewer,
    Role::Approver,
    Role::Clerk,
];

#[derive(Template)]
#[template(path = "monitor/index.html")]
struct MonitorPage {
    chrome: Chrome,
    red: Vec<LitClock>,
    yellow: Vec<LitClock>,
    green: i64,
    inbox: Vec<InboxEntry>,
    unread: usize,
}

impl MonitorPage {
    fn is_supervisor(&self) -> bool {
        self.chrome
            .user
            .as_ref()
            .is_some_and(|u| u.roles.contains(&Role::Supervisor))
    }

    /// Where a case opens for this reader: the desk for department staff, the window for clerks;
    /// supervisors have no case page (they read cases through the API), so no link.
    fn case_href(&self, case_id: &str) -> Option<String> {
        let roles = self
            .chrome
            .user
            .as_ref()
            .map(|u| u.roles.clone())
            .unwrap_or_default();
        if roles.contains(&Role::Reviewer) || roles.contains(&Role::Approver) {
            Some(format!("/desk/cases/{case_id}"))
        } else if roles.contains(&Role::Clerk) {
            Some(format!("/window/cases/{case_id}"))
        } else {
            None
        }
    }

    fn light_label(&self, light: &onewindow_domain::monitor::Light) -> &'static str {
        self.chrome.t.get(match light {
            onewindow_domain::monitor::Light::Green => "monitor-light-green",
            onewindow_domain::monitor::Light::Yellow => "monitor-light-yellow",
            onewindow_domain::monitor::Light::Red => "monitor-light-red",
        })
    }

    fn days_left(&self, left: &Option<i64>) -> String {
        let t = self.chrome.t;
        match left {
            Some(n) if *n < 0 => t.fill1("monitor-overdue", "n", (-n).to_string()),
            Some(n) => t.fill1("monitor-left", "n", n.to_string()),
            None => t.get("monitor-stopped").to_string(),
        }
    }
}

async fn monitor(State(service): State<Service>, ctx: PageCtx) -> Response {
    let session = match ctx.require_role(&STAFF) {
        Ok(s) => s.clone(),
        Err(r) => return r,
    };
    let overview = match service.monitor_overview(&session.actor).await {
        Ok(o) => o,
        Err(e) => return ctx.app_error(e),
    };
    let inbox = match service.inbox(&session.actor, None, Some(50)).await {
        Ok(p) => p.items,
        Err(e) => return ctx.app_error(e),
    };
    let unread = inbox.iter().filter(|e| !e.read).count();
    render(&MonitorPage {
        chrome: ctx.chrome,
        red: overview.red,
        yellow: overview.yellow,
        green: overview.green,
        inbox,
        unread,
    })
}

async fn mark_read(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<super::CsrfForm>,
) -> Response {
    let session = match ctx.require_role(&STAFF) {
        Ok(s) => s.clone(),
        Err(r) => return r,
    };
    if let Err(r) = ctx.check_csrf(&form.csrf_token) {
        return r;
    }
    match service.mark_alert_read(&session.actor, &id).await {
        Ok(()) => see_other("/monitor#inbox"),
        Err(e) => ctx.app_error(e),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use onewindow_domain::case::{Applicant, ApplicantKind, CaseCommand, Channel};

    use crate::ui::testing::{Visitor, site};

    #[tokio::test]
    async fn the_supervisor_sees_the_lights_and_the_alerts_and_marks_one_read() {
        let site = site().await;
        let clerk = site
            .service
            .login("clerk", "chuangkou-2026", "test")
            .await
            .expect("clerk");
        let clerk_actor = site
            .service
            .authenticate(&clerk.token, "test")
            .await
            .expect("session")
            .actor;
        let item = onewindow_store::catalogue::all_items(site.service.store().readers())
            .await
            .expect("items")
            .into_iter()
            .find(|p| p.item.promised_days == 5 && p.item.department == "SCJGJ")
            .expect("a 5-day item");
        let case = site
            .service
            .submit_case(
                &clerk_actor,
                onewindow_app::service::SubmitCase {
                    item_code: item.item.code.clone(),
                    applicant: Applicant {
                        kind: ApplicantKind::Person,
                        name: "王芳".into(),
                        id_number: "11010519491231002X".into(),
                        phone: None,
                    },
                    channel: Channel::Window,
                    centre: "county-hall".into(),
                    materials: item
                        .item
                        .demanded_materials()
                        .map(|m| m.key.clone())
                        .collect(),
                },
                None,
            )
            .await
            .expect("filed")
            .case;
        let case = site
            .service
            .execute(&clerk_actor, &case.id, 1, CaseCommand::StartPreReview)
            .await
            .expect("pre-review");
        site.service
            .execute(&clerk_actor, &case.id, case.version, CaseCommand::Accept)
            .await
            .expect("accepted");
        // Two working days later the clock is overdue by one: one alert (green to red).
        site.clock.set(onewindow_app::clock::local_morning(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 10).expect("date"),
        ));
        assert_eq!(site.service.sweep_lights().await.expect("sweep").alerts, 1);

        let supervisor = site.login("supervisor", "jiancha-2026").await;
        let page = site.get(&supervisor, "/monitor").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&case.number), "the red clock is listed");
        assert!(page.body.contains("超期 1 个工作日"));
        assert!(page.body.contains("class=\"light red\""));
        let english = site.get(&supervisor.clone().in_english(), "/monitor").await;
        assert!(english.body.contains("Overdue by 1 working day"));

        let alert_id = site
            .service
            .inbox(
                &site
                    .service
                    .authenticate(supervisor.session.as_deref().expect("token"), "t")
                    .await
                    .expect("s")
                    .actor,
                None,
                None,
            )
            .await
            .expect("inbox")
            .items[0]
            .alert
            .id
            .clone();
        let read = site
            .post_form(
                &supervisor,
                &format!("/monitor/alerts/{alert_id}/read"),
                &[],
            )
            .await;
        assert_eq!(read.status, StatusCode::SEE_OTHER);
        let page = site.get(&supervisor, "/monitor").await;
        assert!(page.body.contains("id=\"unread-count\">0<"));

        let stats = site
            .get(
                &supervisor,
                "/monitor/statistics?from=2026-11-01&to=2026-11-30",
            )
            .await;
        assert_eq!(stats.status, StatusCode::OK);
        assert!(
            stats.body.contains("id=\"stat-monitor-stats-accepted\">1<"),
            "one accepted"
        );
        assert!(stats.body.contains("id=\"stat-monitor-stats-overdue\">1<"));
        assert!(stats.body.contains("/api/v1/statistics?format=csv"));
        assert!(stats.body.contains("from=2026-11-01"));
        let bad = site
            .get(&supervisor, "/monitor/statistics?from=yesterday")
            .await;
        assert!(bad.body.contains("日期格式"));
        let clerk = site.login("clerk", "chuangkou-2026").await;
        assert_eq!(
            site.get(&clerk, "/monitor/statistics").await.status,
            StatusCode::FORBIDDEN
        );

        let citizen = site.login("citizen", "shimin-2026").await;
        assert_eq!(
            site.get(&citizen, "/monitor").await.status,
            StatusCode::FORBIDDEN
        );
        let anonymous = site.get(&Visitor::default(), "/monitor").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    }
}
