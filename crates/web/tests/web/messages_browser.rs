//! Messages to applicants in a real browser, on the demo profile with a fake county SMS gateway:
//! the applicant's one-time notice reaches their inbox page and their phone, they read it and
//! turn SMS off there; the window's case page shows what went where and how; while the gateway
//! is down the window sees the SMS waiting with its next try. Headless Chromium through
//! Debian's chromedriver (tests/web/support/browser.rs); skipped without it unless
//! `ONEWINDOW_BROWSER_TESTS=required`, and run on the SQLite pass only.

use chrono::Duration;
use onewindow_testkit::FakeSmsGateway;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::licences::act;
use crate::messages::{app_with, file};
use crate::support::browser;

#[tokio::test]
async fn browser_the_applicant_reads_the_notice_and_turns_sms_off_and_the_window_sees_each_message()
{
    if !browser::enabled() {
        return;
    }
    let gateway = FakeSmsGateway::start().await;
    let app = app_with("messages-browser", gateway.messaging("http://zw.nh.cn")).await;
    let mut case = file(&app).await;
    let number = case["number"].as_str().expect("number").to_string();
    act(
        &app,
        "clerk",
        &mut case,
        "request-supplement",
        json!({"missing": ["M05"], "note": "请补充从业人员健康证明"}),
    )
    .await;
    app.service.dispatch_outbox(500).await.expect("the outbox");
    app.service.send_due_messages().await.expect("a round");
    assert_eq!(gateway.received().len(), 2, "{:?}", gateway.received());

    // a. The applicant's inbox: the notice on top, unread; read it; turn SMS off.
    let b = browser::Session::start(&app.url, "messages").await;
    b.login("enterprise", "qiye-demo-2026").await;
    b.goto("/my/messages").await;
    assert!(b.text("#messages-unread").await.contains('2'));
    let first = b.text("#messages li:first-child").await;
    assert!(
        first.contains("请补正材料") && first.contains("请补充从业人员健康证明"),
        "{first}"
    );
    b.screenshot_page("messages-inbox", 1200).await;
    b.click("#messages li:first-child form button").await;
    b.wait_for_text("#messages-unread", "1").await;
    b.click("#pref-sms").await;
    b.click("#preferences-save").await;
    b.wait_for("#preferences-saved").await;
    let (_, chosen) = app.get("enterprise", "/api/v1/messages/preferences").await;
    assert_eq!(chosen["sms"], false, "{chosen}");

    // b. With SMS off, the supplement is acknowledged in the inbox only.
    act(
        &app,
        "enterprise",
        &mut case,
        "provide-supplement",
        json!({"materials": ["M05"]}),
    )
    .await;
    app.service.dispatch_outbox(500).await.expect("the outbox");
    app.service.send_due_messages().await.expect("a round");
    assert_eq!(gateway.received().len(), 2, "no SMS while it is off");

    // c. The window's case page: each message, where it went (masked) and how it went.
    gateway.set_down(true);
    b.logout().await;
    b.login("clerk", "chuangkou-2026").await;
    b.goto(&format!("/window/cases/{number}")).await;
    let table = b.text("#case-messages").await;
    assert!(
        table.contains("短信") && table.contains("*******1111") && table.contains("已发送"),
        "{table}"
    );
    assert!(!table.contains("13900001111"), "{table}");
    b.screenshot_page("messages-window", 1400).await;

    // d. The applicant turns SMS on again; the acceptance's SMS waits while the gateway is down
    // and the window sees its next try.
    let (status, _) = app
        .send(
            "enterprise",
            Method::PUT,
            "/api/v1/messages/preferences",
            Some(json!({"sms": true, "email": true, "language": "zh-CN"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    act(&app, "clerk", &mut case, "accept", json!({})).await;
    app.service.dispatch_outbox(500).await.expect("the outbox");
    app.service.send_due_messages().await.expect("a round");
    app.clock.advance(Duration::seconds(1));
    b.goto(&format!("/window/cases/{number}")).await;
    let table = b.text("#case-messages").await;
    assert!(
        table.contains("待发送") && table.contains("下次重试") && table.contains("503"),
        "{table}"
    );
    gateway.set_down(false);
    app.clock.advance(Duration::minutes(1));
    app.service.send_due_messages().await.expect("a round");
    b.goto(&format!("/window/cases/{number}")).await;
    assert!(!b.text("#case-messages").await.contains("待发送"));
    assert!(gateway.received().iter().any(|s| s.text.contains("已受理")));
}
