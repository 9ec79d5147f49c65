//! The zero-visit path (零跑腿) in a real browser, on the demo profile: the demo enterprise applies
//! online for a food business licence, its business licence taken from its licence library
//! (免证办, nothing uploaded for it); the department decides; the applicant downloads the signed
//! licence, which delivers the case (网上下载); anyone verifies it on the public page. Headless
//! Chromium through Debian's chromedriver (tests/web/support/browser.rs); skipped without it
//! unless `ONEWINDOW_BROWSER_TESTS=required`, and run on the SQLite pass only.

use onewindow_testkit::TempDir;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::licences::{FOOD_LICENCE_ITEM, act, app, review_decide_issue};
use crate::support::browser;

/// A small file that is a PDF by its first bytes.
fn sample_pdf(title: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {title}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

#[tokio::test]
async fn browser_an_enterprise_gets_its_licence_without_a_visit_or_an_upload_it_need_not_make() {
    if !browser::enabled() {
        return;
    }
    let app = app().await;
    assert_eq!(
        app.service
            .seed_demo_licences()
            .await
            .expect("demo licences"),
        3
    );
    let uploads = TempDir::new("zero-visit-uploads");
    std::fs::create_dir_all(&uploads.0).expect("upload dir");
    let b = browser::Session::start(&app.url, "zero-visit").await;

    // a. The application form takes the business licence from the library.
    b.login("enterprise", "qiye-demo-2026").await;
    b.goto(&format!("/apply/{FOOD_LICENCE_ITEM}")).await;
    let taken = b.text("#apply-taken").await;
    assert!(
        taken.contains("已调取") && taken.contains("营业执照"),
        "the business licence is taken: {taken}"
    );
    assert!(
        b.try_find("#file_M02").await.is_none(),
        "no upload is asked for what the library holds"
    );
    let inputs = b.find_all("form input[type=file]").await;
    let mut ids = Vec::new();
    for input in &inputs {
        if let Some(id) = input.attribute("id").await {
            ids.push(id);
        }
    }
    assert_eq!(ids.len(), 4, "M01, M03, M04 and M05: {ids:?}");
    for id in &ids {
        let path = uploads.0.join(format!("{id}.pdf"));
        std::fs::write(&path, sample_pdf(id)).expect("upload file");
        b.upload(&format!("#{id}"), &path).await;
    }
    b.screenshot_page("apply-taken-from-library", 1800).await;
    b.click(&format!(
        "form[action='/apply/{FOOD_LICENCE_ITEM}'] button[type=submit]"
    ))
    .await;
    let landed = b
        .wait_for_path("the new case", |p| {
            p.starts_with("/my/cases/") && p.ends_with("?done=submitted")
        })
        .await;
    let my_case = landed
        .strip_suffix("?done=submitted")
        .unwrap_or(&landed)
        .to_string();
    let materials = b.text("section[aria-labelledby=materials-title]").await;
    assert!(materials.contains("已调取：营业执照"), "{materials}");

    // b. The window and the department decide and issue (their own pages are tested elsewhere).
    let id = my_case.trim_start_matches("/my/cases/").to_string();
    let (status, detail) = app.get("enterprise", &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let mut case: Value = detail["case"].clone();
    act(&app, "clerk", &mut case, "accept", json!({})).await;
    review_decide_issue(&app, &mut case, true).await;

    // c. The applicant downloads the licence: the download delivers the case.
    b.goto(&my_case).await;
    assert_eq!(b.text("#case-status").await, "已出证，待领取");
    let href = b
        .attribute("#download-licence", "href")
        .await
        .expect("a download link");
    let fetched = b
        .execute(
            "return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.blob()).then(b => [b.type, b.size])",
            vec![json!(href)],
        )
        .await;
    assert_eq!(fetched[0], "application/pdf", "{fetched}");
    assert!(fetched[1].as_u64().is_some_and(|n| n > 10_000), "{fetched}");
    b.goto(&my_case).await;
    assert_eq!(b.text("#case-status").await, "已送达");
    assert!(b.text("#case-delivery").await.contains("网上下载"));
    b.screenshot_page("my-case-downloaded", 2000).await;

    // d. Anyone verifies it on the public page, signed out.
    let verify = b
        .attribute("a[href^='/verify?id=']", "href")
        .await
        .expect("a verify link");
    b.logout().await;
    b.goto(&verify).await;
    assert_eq!(b.text("#verify-verdict").await, "真实有效");
    let answer = b.text("#verify-answer").await;
    assert!(
        answer.contains("食品经营许可证") && !answer.contains("91330226MA2DEMH01W"),
        "the licence, its holder's number masked: {answer}"
    );
    b.screenshot("verify-valid").await;

    // The file the applicant got is the issuer's, by the published keys.
    let identifier = verify
        .split("id=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("an identifier")
        .replace("%2E", ".");
    let pdf = app
        .http
        .get(format!("{}/api/v1/licences/{identifier}/pdf", app.url))
        .bearer_auth(&app.tokens["enterprise"])
        .send()
        .await
        .expect("pdf")
        .bytes()
        .await
        .expect("bytes");
    let (_, keys) = app
        .send(
            "enterprise",
            Method::GET,
            "/api/v1/licences/keys",
            None,
            None,
        )
        .await;
    let keys: Vec<onewindow_app::licences::PublicKeyRow> =
        serde_json::from_value(keys).expect("published keys");
    assert!(onewindow_app::licences::check_pdf(&pdf, &keys).is_ok());
}
