//! The hall in a real browser (issue 16): a morning at the county hall — an appointment booked
//! online and checked in at the kiosk beside a walk-in's ticket,
//! the display board following the calls live, the window's queue panel calling it, the walk-in
//! application filed by the clerk for the ticket's applicant, the ticket served (the visit
//! recorded from it), the case accepted; and an application filed at a village point, decided by
//! the county's department and shown so to the applicant. Headless Chromium through Debian's
//! chromedriver (tests/web/support/browser.rs); skipped without it unless
//! `ONEWINDOW_BROWSER_TESTS=required`.

use std::path::Path;

use onewindow_app::accounts::NewUser;
use onewindow_app::messages::MessagingConfig;
use onewindow_domain::access::{Post, Role};
use onewindow_domain::hall::TicketState;
use onewindow_testkit::TempDir;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::licences::{act, review_decide_issue};
use crate::messages::app_with;
use crate::support::browser;

/// 食品摊贩登记: pushed down to the townships and the villages; M01 and M02 demanded.
const STALL: &str = "1133022625630452684010402200100";
/// 五丰社区代办点, a village point of the demo network.
const VILLAGE: &str = "village-330226001001";

fn sample_pdf(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.pdf"));
    let body = format!(
        "%PDF-1.4\n% {name}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    );
    std::fs::write(&path, body).expect("a file");
    path
}

fn query_value(path: &str, name: &str) -> String {
    path.split(['?', '&'])
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn browser_a_morning_at_the_hall_from_the_kiosk_to_an_accepted_walk_in_case() {
    if !browser::enabled() {
        return;
    }
    let app = app_with("hall-browser", MessagingConfig::default()).await;
    let uploads = TempDir::new("hall-uploads");
    std::fs::create_dir_all(&uploads.0).expect("upload dir");
    let b = browser::Session::start(&app.url, "hall").await;

    // Online the evening before, as it were: the citizen books the 09:30 slot of today.
    b.login("citizen", "shimin-2026").await;
    b.goto("/hall/county-hall/appointments?business=&day=2026-12-07")
        .await;
    b.click("#slot-0930").await;
    b.click("#book-submit").await;
    b.wait_for_path("booked", |p| p.starts_with("/my/appointments"))
        .await;
    b.wait_for("#appointment-booked").await;
    b.logout().await;

    // The kiosk: someone takes a ticket for general business, then the citizen checks in.
    b.goto("/hall/county-hall/kiosk").await;
    b.click("input[name=business][value='']").await;
    b.click("#take-submit").await;
    b.wait_for_path("the slip", |p| p.contains("/tickets/"))
        .await;
    let slip = b.text("#ticket-number").await;
    assert_eq!(slip.trim(), "A001");
    assert!(b.text("#ticket-ahead").await.contains("0"));
    b.goto("/hall/county-hall/kiosk").await;
    b.fill("#check-in-id", "330226198806150022").await;
    b.click("#check-in-submit").await;
    b.wait_for_path("the appointment's slip", |p| p.contains("/tickets/"))
        .await;
    let slip = b.text("#ticket-number").await;
    assert_eq!(slip.trim(), "Y001", "an appointment's ticket");
    b.screenshot("hall-kiosk-slip").await;

    // The display board follows the calls by itself (server-sent events).
    b.goto("/hall/county-hall/board").await;
    b.wait_for("#board-empty").await;
    let (status, called) = app
        .send(
            "clerk",
            Method::POST,
            "/api/v1/hall/county-hall/windows/01/call",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{called}");
    assert_eq!(called["number"], "Y001", "the appointment is called first");
    let board = b.wait_for_text("#board-calls li.latest", "Y001").await;
    assert!(board.contains("请 Y001 号到"), "{board}");
    b.screenshot("hall-board").await;

    // The window: the clerk sees the ticket held at window 01 and files for its applicant.
    b.login("clerk", "chuangkou-2026").await;
    b.goto("/window/queue?centre=county-hall&window=01").await;
    b.wait_for("section[data-ticket=Y001]").await;
    b.screenshot_page("hall-queue-panel", 2200).await;
    b.fill("#walk-in-Y001", STALL).await;
    b.click("#walk-in-submit-Y001").await;
    b.wait_for("#walk-in-notice").await;
    b.fill("#name", "林晓梅").await;
    b.fill("#id_number", "330226198806150022").await;
    for key in ["M01", "M02"] {
        b.upload(&format!("#file_{key}"), &sample_pdf(&uploads.0, key))
            .await;
    }
    b.click(&format!(
        "form[action='/apply/{STALL}'] button[type=submit]"
    ))
    .await;
    let back = b
        .wait_for_path("back to the panel", |p| p.starts_with("/window/queue"))
        .await;
    let number = query_value(&back, "case");
    assert!(!number.is_empty(), "{back}");
    let cases = b.text("#serve-cases-Y001").await;
    assert!(cases.contains(&number), "{cases}");

    // Served: the visit is recorded from the ticket, once.
    b.click("#serve-Y001").await;
    b.wait_for_path("served", |p| p.contains("done=served"))
        .await;
    let (_, detail) = app.get("clerk", &format!("/api/v1/cases/{number}")).await;
    let case = &detail["case"];
    assert_eq!(case["channel"], "window", "{detail}");
    let visits = case["visits"].as_array().cloned().unwrap_or_default();
    assert_eq!(visits.len(), 1, "{detail}");
    assert_eq!(visits[0]["ticket"], called["id"]);
    let ticket = app
        .service
        .ticket("county-hall", called["id"].as_str().expect("id"))
        .await
        .expect("ticket");
    assert_eq!(ticket.state, TicketState::Served);
    assert_eq!(
        ticket.cases,
        vec![case["id"].as_str().expect("id").to_string()]
    );

    // Accepted at the window.
    b.goto(&format!("/window/cases/{number}")).await;
    b.click("form[action$='/accept'] button[type=submit]").await;
    b.wait_for_path("the receipt", |p| p.ends_with("/receipt"))
        .await;
    let (_, detail) = app.get("clerk", &format!("/api/v1/cases/{number}")).await;
    assert_eq!(detail["case"]["status"], "accepted", "{detail}");
}

#[tokio::test]
async fn browser_an_application_at_a_village_point_is_decided_at_the_county() {
    if !browser::enabled() {
        return;
    }
    let mut app = app_with("village-browser", MessagingConfig::default()).await;
    let uploads = TempDir::new("village-uploads");
    std::fs::create_dir_all(&uploads.0).expect("upload dir");
    // The village point's agent (代办员) at its window.
    let admin = {
        let grant = app
            .service
            .login("admin", "guanli-2026", "test")
            .await
            .expect("login");
        app.service
            .authenticate(&grant.token, "test")
            .await
            .expect("session")
            .actor
    };
    app.service
        .create_user(
            &admin,
            NewUser {
                username: "wufeng-daiban".into(),
                display_name: "五丰社区代办员".into(),
                password: "cun-dai-ban-2026!".into(),
                identity: None,
                phone: None,
                posts: vec![Post {
                    role: Role::Clerk,
                    department: None,
                    centre: Some(VILLAGE.into()),
                }],
                may_reveal_personal_data: false,
            },
        )
        .await
        .expect("the village point's agent");
    let (name, token) = app.token_of("wufeng-daiban", "cun-dai-ban-2026!").await;
    app.tokens.insert(name, token);

    let b = browser::Session::start(&app.url, "village").await;
    b.login("citizen", "shimin-2026").await;
    b.goto(&format!("/apply/{STALL}")).await;
    b.select("#centre", VILLAGE).await;
    b.fill("#phone", "13805740000").await;
    for key in ["M01", "M02"] {
        b.upload(&format!("#file_{key}"), &sample_pdf(&uploads.0, key))
            .await;
    }
    b.click(&format!(
        "form[action='/apply/{STALL}'] button[type=submit]"
    ))
    .await;
    let landed = b
        .wait_for_path("the new case", |p| p.ends_with("?done=submitted"))
        .await;
    let id = landed
        .trim_start_matches("/my/cases/")
        .trim_end_matches("?done=submitted")
        .to_string();
    let (_, detail) = app.get("citizen", &format!("/api/v1/cases/{id}")).await;
    let mut case: Value = detail["case"].clone();
    assert_eq!(case["centre"], VILLAGE);

    // Accepted at the village point; reviewed, decided and issued by the county's department.
    act(&app, "wufeng-daiban", &mut case, "accept", json!({})).await;
    review_decide_issue(&app, &mut case, true).await;

    b.goto(&format!("/my/cases/{id}")).await;
    let route = b.text("#case-route").await;
    assert!(route.contains("五丰社区代办点"), "{route}");
    assert!(route.contains("村（社区）"), "{route}");
    assert!(route.contains("县级"), "{route}");
    b.screenshot_page("village-case", 2000).await;
    let (_, detail) = app.get("citizen", &format!("/api/v1/cases/{id}")).await;
    assert_eq!(detail["case"]["status"], "result_issued", "{detail}");
}
