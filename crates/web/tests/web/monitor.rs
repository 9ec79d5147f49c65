//! HTTP-level tests of the monitor's API on a real store (SQLite, or PostgreSQL with
//! `ONEWINDOW_TEST_POSTGRES`) with the demo profile: alerts marked read in bulk, and the
//! statistics CSV in the page's language.

use chrono::NaiveDate;
use onewindow_app::accounts::Actor;
use onewindow_domain::case::{Applicant, ApplicantKind, CaseCommand, Channel};
use onewindow_testkit::{TestApp, demo_world};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

async fn actor(app: &TestApp, username: &str, password: &str) -> Actor {
    let login = app
        .service
        .login(username, password, "test")
        .await
        .expect("login");
    app.service
        .authenticate(&login.token, "test")
        .await
        .expect("session")
        .actor
}

/// The demo profile served, the supervisor and the approver of SCJGJ with tokens, and `n` cases
/// of market supervision accepted on Monday 2 November 2026 and red (with alerts) on the 10th.
async fn app_with_red_cases(n: usize) -> TestApp {
    let world = demo_world("monitor-api", day(2026, 11, 2), false).await;
    let mut app = world.serve(onewindow_web::app).await;
    for (user, password) in [
        ("supervisor", "jiancha-2026"),
        ("approver", "shenpi-2026"),
        ("clerk", "chuangkou-2026"),
    ] {
        let (name, token) = app.token_of(user, password).await;
        app.tokens.insert(name, token);
    }
    let clerk = actor(&app, "clerk", "chuangkou-2026").await;
    let item = onewindow_store::catalogue::all_items(app.service.store().readers())
        .await
        .expect("items")
        .into_iter()
        .find(|p| p.item.promised_days == 5 && p.item.department == "SCJGJ")
        .expect("a 5-day item");
    for _ in 0..n {
        let case = app
            .service
            .submit_case(
                &clerk,
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
                    commitments: Vec::new(),
                },
                None,
            )
            .await
            .expect("filed")
            .case;
        let case = app
            .service
            .execute(&clerk, &case.id, 1, CaseCommand::StartPreReview)
            .await
            .expect("pre-review");
        app.service
            .execute(&clerk, &case.id, case.version, CaseCommand::Accept)
            .await
            .expect("accepted");
    }
    app.at(day(2026, 11, 10));
    assert_eq!(app.service.sweep_lights().await.expect("sweep").alerts, n);
    app
}

fn ids(inbox: &Value) -> Vec<String> {
    inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_string())
        .collect()
}

fn unread(inbox: &Value) -> usize {
    inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["read"] == false)
        .count()
}

#[tokio::test]
async fn alerts_are_marked_read_in_bulk_all_or_none() {
    let app = app_with_red_cases(3).await;
    let (_, inbox) = app.get("supervisor", "/api/v1/inbox").await;
    let all = ids(&inbox);
    assert_eq!(all.len(), 3);
    let post = |body: Value| {
        app.send(
            "supervisor",
            Method::POST,
            "/api/v1/inbox/read",
            Some(body),
            None,
        )
    };

    // Bad input is refused, naming the field, and marks nothing.
    let (status, problem) = post(json!({"ids": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "ids", "{problem}");
    let (status, problem) = post(json!({"ids": [all[0], "no-such-alert"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "ids[1]", "{problem}");
    let (status, problem) = post(json!({"ids": "all"})).await;
    assert!(status.is_client_error(), "{status}: {problem}");
    let (_, inbox) = app.get("supervisor", "/api/v1/inbox").await;
    assert_eq!(unread(&inbox), 3, "nothing was marked");

    // Two of three, one named twice.
    let (status, answer) = post(json!({"ids": [all[0], all[1], all[0]]})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"read": 2}));
    let (_, inbox) = app.get("supervisor", "/api/v1/inbox").await;
    assert_eq!(unread(&inbox), 1);
    // Read is per person: the approver's inbox is untouched.
    let (_, theirs) = app.get("approver", "/api/v1/inbox").await;
    assert_eq!(unread(&theirs), 3);
}

#[tokio::test]
async fn the_statistics_csv_speaks_the_language_asked_for() {
    let app = app_with_red_cases(1).await;
    let csv = |query: &'static str, accept_language: Option<&'static str>| {
        let app = &app;
        async move {
            let mut request = app
                .http
                .get(format!(
                    "{}/api/v1/statistics?format=csv&from=2026-11-01&to=2026-11-30{query}",
                    app.url
                ))
                .bearer_auth(&app.tokens["supervisor"]);
            if let Some(lang) = accept_language {
                request = request.header("accept-language", lang);
            }
            let response = request.send().await.expect("csv");
            assert_eq!(response.status(), StatusCode::OK);
            response.text().await.expect("text")
        }
    };
    let english = csv("", None).await;
    let header = english.lines().next().expect("a header");
    assert_eq!(
        header, "figure,value,numerator,denominator,percent",
        "English machine names by default for API clients"
    );
    assert!(english.contains("\ncompleted,"));
    let chinese = csv("&lang=zh-CN", None).await;
    let header = chinese.lines().next().expect("a header");
    assert_eq!(header, "\u{feff}指标,数值,分子,分母,百分比", "{chinese}");
    assert!(chinese.contains("\n办结数,"), "{chinese}");
    assert!(chinese.contains("\n按期办结率,"), "{chinese}");
    assert!(
        chinese.contains("\n收件数,1,,,"),
        "the same figures: {chinese}"
    );
    assert!(english.contains("\nreceived,1,,,"), "{english}");
    let by_header = csv("", Some("zh-CN,zh;q=0.9,en;q=0.5")).await;
    assert_eq!(by_header.lines().next(), chinese.lines().next());
    let explicit = csv("&lang=en", Some("zh-CN")).await;
    assert_eq!(explicit.lines().next(), english.lines().next(), "lang wins");
}
