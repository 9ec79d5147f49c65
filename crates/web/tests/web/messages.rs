//! Messages to applicants through the API on a real store (SQLite, or PostgreSQL with
//! ONEWINDOW_TEST_POSTGRES) and a fake county SMS gateway that checks each request's signature:
//! every step of a case lands in the applicant's inbox and goes out by SMS under their choices;
//! a gateway outage of ten minutes loses nothing; a message tried as often as the policy allows
//! is given up and shown to the hall; an event delivered twice writes its messages once.

use chrono::{Duration, NaiveDate};
use onewindow_app::messages::MessagingConfig;
use onewindow_domain::notice::RetryPolicy;
use onewindow_store::OutboxMessage;
use onewindow_testkit::{FakeSmsGateway, TestApp, demo_world};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::licences::{FOOD_LICENCE_ITEM, act, review_decide_issue};

const PUBLIC: &str = "http://zw.nh.cn";

pub(crate) async fn app_with(label: &str, messaging: MessagingConfig) -> TestApp {
    let mut world = demo_world(
        label,
        NaiveDate::from_ymd_opt(2026, 12, 7).expect("a day"),
        false,
    )
    .await;
    world.service = world.service.with_messaging(messaging);
    let mut app = world.serve(onewindow_web::app).await;
    for (user, password) in [
        ("enterprise", "qiye-demo-2026"),
        ("citizen", "shimin-2026"),
        ("clerk", "chuangkou-2026"),
        ("reviewer", "shencha-2026"),
        ("approver", "shenpi-2026"),
        ("supervisor", "jiancha-2026"),
    ] {
        let (name, token) = app.token_of(user, password).await;
        app.tokens.insert(name, token);
    }
    app
}

/// The outbox taken and the due messages tried, as the jobs do.
async fn run_jobs(app: &TestApp) -> onewindow_app::messages::SendReport {
    app.service.dispatch_outbox(500).await.expect("the outbox");
    app.service
        .send_due_messages()
        .await
        .expect("a sender round")
}

async fn inbox(app: &TestApp, who: &str) -> Value {
    let (status, page) = app.get(who, "/api/v1/messages").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

fn kinds(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["kind"].as_str().expect("kind").to_string())
        .collect()
}

/// The demo enterprise's application for a food business licence, with a phone ending 1111.
pub(crate) async fn file(app: &TestApp) -> Value {
    let (status, case) = app
        .send(
            "enterprise",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "item_code": FOOD_LICENCE_ITEM,
                "applicant": {"kind": "enterprise", "name": "宁海县跃龙小吃有限公司",
                    "id_number": "91330226MA2DEMH01W", "phone": "13900001111"},
                "channel": "online",
                "centre": "county-hall",
                "materials": ["M01", "M02", "M03", "M04"]
            })),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

#[tokio::test]
async fn every_step_reaches_the_inbox_and_the_phone_and_an_outage_of_ten_minutes_loses_nothing() {
    let gateway = FakeSmsGateway::start().await;
    let app = app_with("messages-api", gateway.messaging(PUBLIC)).await;
    let mut case = file(&app).await;
    let id = case["id"].as_str().expect("id").to_string();
    let number = case["number"].as_str().expect("number").to_string();

    // Received: in the inbox, and one SMS to the phone the application gave, signed.
    let report = run_jobs(&app).await;
    assert_eq!(report.sent, 1, "{report:?}");
    let page = inbox(&app, "enterprise").await;
    assert_eq!(kinds(&page), ["received"]);
    assert_eq!(page["unread"], 1);
    let sms = gateway.received();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].phone, "13900001111");
    assert!(sms[0].text.starts_with("【宁海政务】"), "{}", sms[0].text);
    assert!(sms[0].text.contains(&number), "{}", sms[0].text);

    // The one-time notice names the missing material in the inbox, its count in the SMS.
    act(
        &app,
        "clerk",
        &mut case,
        "request-supplement",
        json!({"missing": ["M05"], "note": "请补充健康证明"}),
    )
    .await;
    run_jobs(&app).await;
    let page = inbox(&app, "enterprise").await;
    let notice = &page["items"][0];
    assert_eq!(notice["kind"], "supplement_requested");
    let body = notice["body"].as_str().expect("body");
    assert!(
        body.contains("请补充健康证明") && !body.contains("M05"),
        "{body}"
    );
    let by =
        onewindow_domain::notice::supplement_deadline(&app.service.calendar(), app.service.today())
            .expect("a deadline");
    assert!(body.contains(&format!("请于 {by} 前")), "{body}");
    assert!(
        gateway.received()[1].text.contains("补正1项"),
        "{:?}",
        gateway.received()
    );

    // The gateway goes down for ten minutes while the case is accepted: the SMS waits, tried
    // again and again, and the clerk sees why on the case.
    act(
        &app,
        "enterprise",
        &mut case,
        "provide-supplement",
        json!({"materials": ["M05"]}),
    )
    .await;
    gateway.set_down(true);
    act(&app, "clerk", &mut case, "accept", json!({})).await;
    let report = run_jobs(&app).await;
    assert_eq!((report.sent, report.retried), (0, 1), "{report:?}");
    for _ in 0..20 {
        app.clock.advance(Duration::seconds(30));
        app.service.send_due_messages().await.expect("a round");
    }
    let (status, messages) = app
        .get("clerk", &format!("/api/v1/cases/{id}/messages"))
        .await;
    assert_eq!(status, StatusCode::OK, "{messages}");
    let waiting: Vec<&Value> = messages
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["channel"] == "sms" && m["state"] == "pending")
        .collect();
    assert_eq!(waiting.len(), 1, "{messages}");
    assert!(
        waiting[0]["attempts"].as_u64().expect("attempts") >= 3,
        "{messages}"
    );
    assert!(
        waiting[0]["last_error"]
            .as_str()
            .expect("error")
            .contains("503"),
        "{messages}"
    );
    assert_eq!(
        waiting[0]["to"], "*******1111",
        "the clerk sees the last four digits only"
    );
    assert!(!messages.to_string().contains("13900001111"));
    gateway.set_down(false);
    app.clock.advance(Duration::minutes(5));
    let report = app.service.send_due_messages().await.expect("a round");
    assert_eq!(report.sent, 1, "{report:?}");
    let accepted: Vec<_> = gateway
        .received()
        .into_iter()
        .filter(|s| s.text.contains("已受理"))
        .collect();
    assert_eq!(accepted.len(), 1, "sent once, after the outage");

    // The applicant turns SMS off and chooses English: the decision comes to the inbox only,
    // in English.
    let (status, problem) = app
        .send(
            "enterprise",
            Method::PUT,
            "/api/v1/messages/preferences",
            Some(json!({"sms": false, "email": true, "language": "fr"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "language", "{problem}");
    let (status, chosen) = app
        .send(
            "enterprise",
            Method::PUT,
            "/api/v1/messages/preferences",
            Some(json!({"sms": false, "email": true, "language": "en"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{chosen}");
    let before = gateway.received().len();
    review_decide_issue(&app, &mut case, true).await;
    run_jobs(&app).await;
    assert_eq!(gateway.received().len(), before, "no SMS after opting out");
    let page = inbox(&app, "enterprise").await;
    assert_eq!(kinds(&page)[..2], ["licence_ready", "decided"]);
    assert_eq!(
        page["items"][1]["subject"],
        format!("Decision: approved ({number})")
    );

    // The applicant downloads the decision: delivered, and invited to rate through a short link
    // that opens the signed rating page.
    let response = app
        .http
        .get(format!("{}/api/v1/cases/{id}/decision.pdf", app.url))
        .bearer_auth(&app.tokens["enterprise"])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    run_jobs(&app).await;
    let page = inbox(&app, "enterprise").await;
    let invitation = &page["items"][0];
    assert_eq!(invitation["kind"], "rating_invitation", "{page}");
    let body = invitation["body"].as_str().expect("body");
    let link = body
        .split_whitespace()
        .find(|w| w.starts_with(PUBLIC))
        .expect("a link");
    let code = link.rsplit('/').next().expect("a code");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let response = client
        .get(format!("{}/r/{code}", app.url))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().expect("location");
    assert!(location.starts_with("/rate/"), "{location}");
    let response = client
        .get(format!("{}/r/NOSUCHCODE", app.url))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Read: once, by its owner only.
    let first = page["items"][0]["id"].as_str().expect("id").to_string();
    let read = format!("/api/v1/messages/{first}/read");
    let (status, _) = app.send("citizen", Method::POST, &read, None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .send("enterprise", Method::POST, &read, None, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let page = inbox(&app, "enterprise").await;
    assert_eq!(page["items"][0]["read"], true);
    assert_eq!(inbox(&app, "citizen").await["items"], json!([]));

    // Another applicant sees nothing of the case's messages.
    let (status, _) = app
        .get("citizen", &format!("/api/v1/cases/{id}/messages"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_message_tried_as_often_as_the_policy_allows_is_given_up_and_the_hall_sees_it() {
    let gateway = FakeSmsGateway::start().await;
    let mut messaging = gateway.messaging(PUBLIC);
    messaging.retry = RetryPolicy {
        first_delay_seconds: 10,
        max_delay_seconds: 10,
        max_attempts: 3,
    };
    let app = app_with("messages-give-up", messaging).await;
    gateway.set_down(true);
    let case = file(&app).await;
    let number = case["number"].as_str().expect("number").to_string();
    let mut given_up = 0;
    app.service.dispatch_outbox(500).await.expect("the outbox");
    for _ in 0..4 {
        given_up += app
            .service
            .send_due_messages()
            .await
            .expect("a round")
            .given_up;
        app.clock.advance(Duration::seconds(11));
    }
    assert_eq!(given_up, 1);
    let (status, lost) = app.get("clerk", "/api/v1/messages/undelivered").await;
    assert_eq!(status, StatusCode::OK, "{lost}");
    assert_eq!(lost[0]["case_number"], number.as_str(), "{lost}");
    assert_eq!(lost[0]["state"], "given_up");
    assert_eq!(lost[0]["attempts"], 3);
    let (status, _) = app.get("enterprise", "/api/v1/messages/undelivered").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Given up stays given up: the gateway back, nothing more is sent.
    gateway.set_down(false);
    app.clock.advance(Duration::minutes(10));
    let report = app.service.send_due_messages().await.expect("a round");
    assert_eq!(report.sent, 0);
    assert!(gateway.received().is_empty());
}

#[tokio::test]
async fn an_event_delivered_twice_writes_its_messages_once() {
    let app = app_with("messages-once", MessagingConfig::default()).await;
    let case = file(&app).await;
    let event = OutboxMessage {
        id: "0190-test-event".into(),
        topic: "case.submitted".into(),
        body: case.to_string(),
    };
    let first = app
        .service
        .take_events(vec![event.clone()])
        .await
        .expect("written");
    assert!(first >= 2, "the inbox and the SMS at least: {first}");
    let again = app.service.take_events(vec![event]).await.expect("written");
    assert_eq!(again, 0);
    // Topics and bodies that tell nothing are skipped, not failed.
    let nothing = app
        .service
        .take_events(vec![
            OutboxMessage {
                id: "x1".into(),
                topic: "case.changed".into(),
                body: "{\"n\":1}".into(),
            },
            OutboxMessage {
                id: "x2".into(),
                topic: "alert.raised".into(),
                body: "{}".into(),
            },
        ])
        .await
        .expect("skipped");
    assert_eq!(nothing, 0);
}
