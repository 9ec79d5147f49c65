use axum::http::StatusCode;
use onewindow_app::actor::Actor;
use onewindow_domain::case::CaseCommand;

use crate::pages::testing::{TestSite, Visitor, overdue_case, site, site_with_bundles};

async fn actor(site: &TestSite, username: &str, password: &str) -> Actor {
    let login = site
        .service
        .login(username, password, "test")
        .await
        .expect("login");
    site.service
        .authenticate(&login.token, "test")
        .await
        .expect("session")
        .actor
}

#[tokio::test]
async fn the_supervisor_opens_any_case_read_only_from_the_monitor() {
    let site = site_with_bundles().await;
    let case = overdue_case(&site).await;
    let supervisor = site.login("supervisor", "jiancha-2026").await;
    let href = format!("/monitor/cases/{}", case.number);

    // The monitor links the red clock and its alert to the read-only page.
    let monitor = site.get(&supervisor, "/monitor").await;
    assert_eq!(
        monitor.body.matches(&format!("href=\"{href}\"")).count(),
        2,
        "the red clock and the alert link to the case"
    );

    let page = site.get(&supervisor, &href).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&case.number));
    assert!(page.body.contains("id=\"read-only\">只读<"));
    assert!(
        page.body.contains("市场监督管理局"),
        "the department by name"
    );
    assert!(page.body.contains("已超期 1 个工作日"), "the clock");
    assert!(
        page.body.contains("宁海县行政服务中心"),
        "the centre by name"
    );
    assert!(!page.body.contains("county-hall"), "no centre code");
    assert!(page.body.contains("id=\"materials\""), "the materials");
    assert!(page.body.contains("id=\"history-title\""), "the history");
    assert!(page.body.contains("受理"), "the acceptance in the history");
    // No action: no form of the case, no version to act on.
    assert!(!page.body.contains("name=\"version\""), "no action form");
    assert!(!page.body.contains("/desk/cases/"), "no desk link");
    assert!(!page.body.contains("/window/cases/"), "no window link");
    let english = site.get(&supervisor.clone().in_english(), &href).await;
    assert!(english.body.contains("Read-only"));

    // The same policy as everywhere: the case's own department reads it, another department
    // does not learn it exists, an applicant is no staff, a stranger logs in first.
    let reviewer = site.login("reviewer", "shencha-2026").await;
    assert_eq!(site.get(&reviewer, &href).await.status, StatusCode::OK);
    let elsewhere = site.login("gaj-reviewer", "lianban-2026").await;
    assert_eq!(
        site.get(&elsewhere, &href).await.status,
        StatusCode::NOT_FOUND
    );
    let citizen = site.login("citizen", "shimin-2026").await;
    assert_eq!(
        site.get(&citizen, &href).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        site.get(&Visitor::default(), &href).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        site.get(&supervisor, "/monitor/cases/330226209901010000001")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_supervisor_searches_the_audit_trail_on_a_page() {
    let site = site().await;
    let case = overdue_case(&site).await;
    let supervisor = site.login("supervisor", "jiancha-2026").await;

    let page = site.get(&supervisor, "/monitor/audit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<table id=\"audit\" class=\"wide\">"));
    // Every action in words, as its button says it: none as recorded (case.start-pre-review).
    assert!(page.body.contains(">开始预审<"), "{}", page.body);
    assert!(!page.body.contains(">case."), "an action left as its code");
    // Newest first: the supervisor's own login comes before the clerk's acceptance.
    let login = page.body.find("登录").expect("a login");
    let accept = page.body.find(">受理<").expect("the acceptance");
    assert!(login < accept, "newest first");
    // Names, not user names alone; dates in the Chinese style.
    assert!(page.body.contains("<td>2026年11月"), "{}", page.body);
    assert!(page.body.contains("id=\"nav-audit\"") || page.body.contains("审计日志"));

    // By case number: only that case's records, each linked to the read-only case page.
    let by_case = site
        .get(&supervisor, &format!("/monitor/audit?case={}", case.number))
        .await;
    assert_eq!(by_case.status, StatusCode::OK);
    assert!(
        by_case
            .body
            .contains(&format!("href=\"/monitor/cases/{}\"", case.number))
    );
    assert!(
        !by_case.body.contains(">登录<"),
        "no login in a case's records"
    );

    // By actor and by date range.
    let by_actor = site.get(&supervisor, "/monitor/audit?actor=clerk").await;
    assert!(by_actor.body.contains(">受理<"));
    assert!(
        !by_actor
            .body
            .contains("<br><span class=\"muted\">supervisor</span>")
    );
    let before = site
        .get(&supervisor, "/monitor/audit?from=2026-10-01&to=2026-10-31")
        .await;
    assert!(before.body.contains("没有符合条件的记录"));
    let bad = site.get(&supervisor, "/monitor/audit?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("日期格式"));

    let english = site
        .get(&supervisor.clone().in_english(), "/monitor/audit")
        .await;
    assert!(english.body.contains("Audit trail"));
    assert!(english.body.contains("November 2026"));

    // The API's permissions: supervisors only.
    let clerk = site.login("clerk", "chuangkou-2026").await;
    assert_eq!(
        site.get(&clerk, "/monitor/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let monitor = site.get(&supervisor, "/monitor").await;
    assert!(monitor.body.contains("href=\"/monitor/audit\""));
    assert!(monitor.body.contains("href=\"/monitor/assessment\""));
}

#[tokio::test]
async fn the_supervisor_reads_the_assessment_on_a_page() {
    let site = site_with_bundles().await;
    // One case decided a working day late: a unit with a line to score.
    let case = overdue_case(&site).await;
    let approver = actor(&site, "approver", "shenpi-2026").await;
    let reviewer = actor(&site, "reviewer", "shencha-2026").await;
    let case = site
        .service
        .execute(
            &reviewer,
            &case.id,
            case.version,
            CaseCommand::Propose {
                approve: true,
                opinion: "拟同意".into(),
            },
        )
        .await
        .expect("proposed");
    site.service
        .execute(
            &approver,
            &case.id,
            case.version,
            CaseCommand::Decide {
                approve: true,
                reason: String::new(),
            },
        )
        .await
        .expect("decided");
    let supervisor = site.login("supervisor", "jiancha-2026").await;
    let page = site
        .get(
            &supervisor,
            "/monitor/assessment?from=2026-11-01&to=2026-11-30",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("绩效考核"));
    assert!(page.body.contains("按期得分"), "the components");
    assert!(page.body.contains("value=\"2026-11-01\""));
    // The centres' ranking names each centre, never its code.
    let centres = site
        .get(
            &supervisor,
            "/monitor/assessment?unit=centre&from=2026-11-01&to=2026-11-30",
        )
        .await;
    assert!(
        centres.body.contains("<td>宁海县行政服务中心"),
        "{}",
        centres.body
    );
    assert!(!centres.body.contains("county-hall"), "no centre code");
    for unit in ["department", "centre", "staff"] {
        let page = site
            .get(&supervisor, &format!("/monitor/assessment?unit={unit}"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{unit}");
    }
    let bad = site
        .get(&supervisor, "/monitor/assessment?unit=village")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let backwards = site
        .get(
            &supervisor,
            "/monitor/assessment?from=2026-11-30&to=2026-11-01",
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(backwards.body.contains("截止日期早于起始日期"));
    let english = site
        .get(&supervisor.clone().in_english(), "/monitor/assessment")
        .await;
    assert!(english.body.contains("On-time points"));
    let reviewer = site.login("reviewer", "shencha-2026").await;
    assert_eq!(
        site.get(&reviewer, "/monitor/assessment").await.status,
        StatusCode::FORBIDDEN
    );
}
