//! 容缺受理 and 告知承诺制 in a real browser, on the demo profile with the fake county SMS gateway:
//! an online application without its tolerated material, accepted at the window on the
//! applicant's promise, the reminder SMS, the material uploaded on "my case", the decision told;
//! and an application with a signed commitment instead of a certificate, checked at the desk and
//! found false, the approval revoked, the window warned when the applicant comes again.
//! Headless Chromium through Debian's chromedriver (tests/web/support/browser.rs); skipped
//! without it unless `ONEWINDOW_BROWSER_TESTS=required`, and run on the SQLite pass only.

use std::path::Path;

use onewindow_testkit::{FakeSmsGateway, TempDir, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::licences::{FOOD_LICENCE_ITEM, act, review_decide_issue};
use crate::messages::app_with;
use crate::support::browser;

/// A small file that is a PDF by its first bytes.
fn sample_pdf(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.pdf"));
    let body = format!(
        "%PDF-1.4\n% {name}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    );
    std::fs::write(&path, body).expect("a file");
    path
}

async fn run_jobs(app: &TestApp) {
    app.service.dispatch_outbox(500).await.expect("the outbox");
    app.service.send_due_messages().await.expect("a round");
}

/// The enterprise applies online through the form: the business licence is taken from its
/// library; `upload` are the materials given a file, `commit` those signed for instead. Answers
/// the path of "my case" and the case as the API has it.
async fn apply(
    app: &TestApp,
    b: &browser::Session,
    dir: &Path,
    upload: &[&str],
    commit: &[&str],
) -> (String, Value) {
    b.goto(&format!("/apply/{FOOD_LICENCE_ITEM}")).await;
    b.fill("#phone", "13900001111").await;
    for key in upload {
        b.upload(&format!("#file_{key}"), &sample_pdf(dir, key))
            .await;
    }
    for key in commit {
        b.set_checked(&format!("#commit_{key}"), true).await;
    }
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
    let id = my_case.trim_start_matches("/my/cases/");
    let (status, detail) = app.get("enterprise", &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    (my_case, detail["case"].clone())
}

#[tokio::test]
async fn browser_an_online_application_is_accepted_on_a_promise_reminded_by_sms_and_completed_online()
 {
    if !browser::enabled() {
        return;
    }
    let gateway = FakeSmsGateway::start().await;
    let app = app_with("tolerance-browser", gateway.messaging("http://zw.nh.cn")).await;
    app.service
        .seed_demo_licences()
        .await
        .expect("demo licences");
    let uploads = TempDir::new("tolerance-uploads");
    std::fs::create_dir_all(&uploads.0).expect("upload dir");
    let b = browser::Session::start(&app.url, "tolerance").await;

    // a. The form marks the material that may follow; the application goes in without it.
    b.login("enterprise", "qiye-demo-2026").await;
    b.goto(&format!("/apply/{FOOD_LICENCE_ITEM}")).await;
    let m04 = b.text("label[for=file_M04]").await;
    assert!(m04.contains("可容缺"), "{m04}");
    assert_eq!(b.attribute("#file_M04", "required").await, None);
    b.screenshot_page("tolerance-apply", 2200).await;
    let (my_case, case) = apply(&app, &b, &uploads.0, &["M01", "M03", "M05"], &[]).await;
    let number = case["number"].as_str().expect("a number").to_string();

    // b. The window accepts on the applicant's promise of a day.
    b.logout().await;
    b.login("clerk", "chuangkou-2026").await;
    b.goto(&format!("/window/cases/{number}")).await;
    let legend = b.text("fieldset.promises legend").await;
    assert!(legend.contains("容缺受理"), "{legend}");
    // A Sunday first: refused on the page, nothing accepted.
    b.execute(
        "document.querySelector('#promise-M04').value = arguments[0]",
        vec![json!("2026-12-13")],
    )
    .await;
    b.click("form[action$='/accept'] button[type=submit]").await;
    b.wait_for(".field-error").await;
    let refusal = b.text("form[action$='/accept']").await;
    assert!(refusal.contains("承诺日期须为工作日"), "{refusal}");
    b.execute(
        "document.querySelector('#promise-M04').value = arguments[0]",
        vec![json!("2026-12-09")],
    )
    .await;
    b.screenshot_page("tolerance-window-accept", 2000).await;
    b.click("form[action$='/accept'] button[type=submit]").await;
    b.wait_for_path("the receipt", |p| p.ends_with("/receipt"))
        .await;
    b.goto(&format!("/window/cases/{number}")).await;
    let panel = b.text("#tolerance").await;
    assert!(
        panel.contains("2026-12-09") || panel.contains("2026年12月9日"),
        "{panel}"
    );

    // c. Two working days before the day: the reminder reaches the applicant's phone.
    run_jobs(&app).await;
    let sweep = app.service.sweep_promises().await.expect("a sweep");
    assert_eq!(sweep.reminded, 1);
    run_jobs(&app).await;
    let reminder: Vec<_> = gateway
        .received()
        .into_iter()
        .filter(|s| s.text.contains("补交"))
        .collect();
    assert_eq!(reminder.len(), 1, "{:?}", gateway.received());
    assert_eq!(reminder[0].phone, "13900001111");

    // d. The applicant uploads it on "my case"; the case runs on.
    b.logout().await;
    b.login("enterprise", "qiye-demo-2026").await;
    b.goto(&my_case).await;
    let supplement = b.text("#supplement").await;
    assert!(supplement.contains("食品安全自查"), "{supplement}");
    b.screenshot_page("tolerance-my-case", 2200).await;
    b.upload("#file_M04", &sample_pdf(&uploads.0, "M04")).await;
    b.click("form[action$='/supplement'] button[type=submit]")
        .await;
    b.wait_for_path("the case again", |p| p.ends_with("?done=supplemented"))
        .await;
    let panel = b.text("#tolerance").await;
    assert!(panel.contains("已于"), "kept: {panel}");

    // e. Decided; the applicant is told by SMS and in the inbox.
    let id = my_case.trim_start_matches("/my/cases/").to_string();
    let (_, detail) = app.get("enterprise", &format!("/api/v1/cases/{id}")).await;
    let mut case = detail["case"].clone();
    review_decide_issue(&app, &mut case, true).await;
    run_jobs(&app).await;
    assert!(
        gateway
            .received()
            .iter()
            .any(|s| s.text.contains("已作出决定")),
        "{:?}",
        gateway.received()
    );
    b.goto("/my/messages").await;
    let inbox = b.text("#messages").await;
    assert!(
        inbox.contains("审批决定") && inbox.contains("请按承诺补交材料"),
        "{inbox}"
    );
}

#[tokio::test]
async fn browser_a_commitment_found_false_at_the_desk_revokes_the_approval_and_warns_the_window() {
    if !browser::enabled() {
        return;
    }
    let gateway = FakeSmsGateway::start().await;
    let app = app_with(
        "tolerance-commitment-browser",
        gateway.messaging("http://zw.nh.cn"),
    )
    .await;
    app.service
        .seed_demo_licences()
        .await
        .expect("demo licences");
    let uploads = TempDir::new("commitment-uploads");
    std::fs::create_dir_all(&uploads.0).expect("upload dir");
    let b = browser::Session::start(&app.url, "commitment").await;

    // a. The applicant signs the commitment instead of the certificate of the premises.
    b.login("enterprise", "qiye-demo-2026").await;
    b.goto(&format!("/apply/{FOOD_LICENCE_ITEM}")).await;
    let commitment = b.text(".commitment").await;
    assert!(commitment.contains("经营场所"), "{commitment}");
    let (my_case, mut case) = apply(&app, &b, &uploads.0, &["M01", "M03", "M04"], &["M05"]).await;
    assert_eq!(case["commitments"][0]["key"], "M05", "{case}");
    b.goto(&my_case).await;
    assert!(b.text("#tolerance").await.contains("承诺"));
    act(&app, "clerk", &mut case, "accept", json!({})).await;
    review_decide_issue(&app, &mut case, true).await;

    // b. The department's desk lists the check; the reviewer finds it false.
    b.logout().await;
    b.login("reviewer", "shencha-2026").await;
    b.goto("/desk").await;
    let checks = b.text("#commitment-checks").await;
    let number = case["number"].as_str().expect("a number").to_string();
    assert!(checks.contains(&number), "{checks}");
    b.click("#commitment-checks a").await;
    b.wait_for("form.check-commitment").await;
    b.set_checked("form.check-commitment input[value=false]", true)
        .await;
    b.fill(
        "form.check-commitment textarea",
        "现场核查：经营场所租赁合同已到期",
    )
    .await;
    b.screenshot_page("tolerance-desk-check", 2400).await;
    b.click("form.check-commitment button[type=submit]").await;
    b.wait_for_text("#tolerance", "许可已于").await;
    let id = case["id"].as_str().expect("id").to_string();
    let (_, licences) = app
        .get("enterprise", &format!("/api/v1/cases/{id}/licences"))
        .await;
    assert_eq!(licences[0]["state"], "revoked", "{licences}");

    // c. The applicant comes again with the certificate: the window sees the record.
    let (_, next) = app
        .send(
            "enterprise",
            reqwest::Method::POST,
            "/api/v1/cases",
            Some(json!({
                "item_code": FOOD_LICENCE_ITEM,
                "applicant": {"kind": "enterprise", "name": "宁海县跃龙小吃有限公司",
                    "id_number": "91330226MA2DEMH01W"},
                "channel": "window",
                "centre": "county-hall",
                "materials": ["M01", "M02", "M03", "M04", "M05"],
            })),
            None,
        )
        .await;
    b.logout().await;
    b.login("clerk", "chuangkou-2026").await;
    b.goto(&format!(
        "/window/cases/{}",
        next["number"].as_str().expect("a number")
    ))
    .await;
    let warning = b.text("#false-on-record").await;
    assert!(
        warning.contains("承诺不实") && warning.contains(&number),
        "{warning}"
    );
    b.screenshot_page("tolerance-window-warning", 1800).await;
}
