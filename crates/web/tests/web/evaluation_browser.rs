//! 好差评 in a real browser, on the demo profile: the applicant rates 不满意 from a signed link
//! without signing in, the department verifies and puts it right on its rectification page, the
//! applicant rates the rectification on the case page, and the supervisor's evaluation page
//! counts it. Headless Chromium through Debian's chromedriver (tests/web/support/browser.rs);
//! skipped without it unless `ONEWINDOW_BROWSER_TESTS=required`, and run on the SQLite pass only.

use reqwest::{Method, StatusCode};

use crate::licences::{app, granted_case};
use crate::support::browser;

#[tokio::test]
async fn browser_a_bad_rating_from_a_link_is_put_right_and_rated_and_counted() {
    if !browser::enabled() {
        return;
    }
    let app = app().await;
    let case = granted_case(&app).await;
    let id = case["id"].as_str().expect("id").to_string();
    let number = case["number"].as_str().expect("number").to_string();
    let (status, link) = app
        .send(
            "clerk",
            Method::POST,
            &format!("/api/v1/cases/{id}/rating-link"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let path = link["path"].as_str().expect("path").to_string();
    let b = browser::Session::start(&app.url, "rating").await;

    // a. From the link, without signing in: 不满意, with what went wrong.
    b.goto(&path).await;
    assert!(b.text("#rate-title").await.contains("评价"));
    b.select("#rating-stage", "decision").await;
    b.click("#level-2").await;
    // A bad rating without a word is refused, with the field named.
    b.click("#rating-submit").await;
    b.wait_for("#rating-text-error").await;
    b.select("#rating-stage", "decision").await;
    b.click("#level-2").await;
    b.fill("#rating-text", "窗口要求重复提交营业执照复印件")
        .await;
    b.screenshot("rating-link").await;
    b.click("#rating-submit").await;
    b.wait_for("#rating-thanks").await;

    // b. The department calls back, then puts it right.
    b.login("reviewer", "shencha-2026").await;
    b.goto("/evaluation").await;
    let row = "#rectifications a";
    assert_eq!(b.wait_for(row).await.text().await, number);
    b.click(row).await;
    b.wait_for_path("the rectification", |p| {
        p.starts_with("/evaluation/rectifications/")
    })
    .await;
    assert!(b.text("#rect-rating").await.contains("重复提交营业执照"));
    b.fill("#rect-note", "已电话回访核实：窗口未调取电子证照库")
        .await;
    b.click("#rect-form button[type=submit]").await;
    b.wait_for_path("verified", |p| p.ends_with("?done=1"))
        .await;
    assert!(b.text("#rect-state").await.contains("已核实"));
    b.select("select[name=kind]", "fixed").await;
    b.fill("#rect-note", "已开通电子证照调取，并当面致歉").await;
    b.click("#rect-form button[type=submit]").await;
    b.wait_for_text("#rect-state", "已办结").await;
    b.screenshot_page("rectification", 1400).await;

    // c. The applicant sees it put right and rates the rectification.
    b.logout().await;
    b.login("enterprise", "qiye-demo-2026").await;
    b.goto(&format!("/my/cases/{id}")).await;
    let panel = b.text("#rating").await;
    assert!(
        panel.contains("不满意") && panel.contains("立行立改"),
        "{panel}"
    );
    b.select("#feedback", "satisfied").await;
    b.click("#feedback-form button[type=submit]").await;
    b.wait_for_path("rated", |p| p.contains("done=feedback"))
        .await;
    assert!(b.try_find("#feedback-form").await.is_none());

    // d. The supervisor's evaluation page counts it.
    b.logout().await;
    b.login("supervisor", "jiancha-2026").await;
    b.goto("/evaluation").await;
    let figures = b.text("#evaluation-figures").await;
    assert!(
        figures.contains("差评数") && figures.contains("100.00% (1 / 1)"),
        "{figures}"
    );
    b.screenshot_page("evaluation-desk", 1400).await;

    // e. The supervisor records a 12345 complaint for the department.
    b.click("#to-complaints").await;
    b.wait_for_path("complaints", |p| p == "/evaluation/complaints")
        .await;
    b.click("details summary").await;
    b.select("#department", "SCJGJ").await;
    b.fill("#ticket", "12345-20261207-0009").await;
    b.fill("#complaint-text", "电话咨询无人接听").await;
    b.click("#complaint-form button[type=submit]").await;
    b.wait_for_path("recorded", |p| p.contains("done=1")).await;
    assert!(b.text("main").await.contains("电话咨询无人接听"));

    // f. The return-visit operator draws the month's worklist and sees the case on it.
    b.logout().await;
    b.login("visitor", "huifang-2026").await;
    b.goto("/return-visits").await;
    b.click("#draw-form button[type=submit]").await;
    b.wait_for("#visits-notice").await;
    let list = b.text("#visits").await;
    assert!(list.contains(&number), "{list}");
    b.screenshot_page("return-visits", 1400).await;
}
