//! The online intermediary supermarket (网上中介超市) in a real browser, on the demo profile: the
//! demo enterprise posts a need for its project's geological-hazard assessment from the project
//! page; the demo intermediary's firm quotes (a price above the ceiling is refused at its field);
//! after the deadline the owner selects the lowest price and hands over; the firm hands in its
//! report as a PDF; the owner accepts and rates it; the report's filing (地质灾害危险性评估报告备案)
//! under the project takes the report without an upload; the project page shows the
//! intermediary days by the plan and with the market. Headless Chromium through Debian's
//! chromedriver (tests/web/support/browser.rs); skipped without it unless
//! `ONEWINDOW_BROWSER_TESTS=required`, and run on the SQLite pass only. Screenshots go to
//! target/screenshots/.

use chrono::NaiveDate;
use onewindow_app::Service;
use onewindow_app::accounts::Actor;
use onewindow_domain::project::{NewProject, ProjectType};
use onewindow_testkit::{TempDir, World};

use crate::support::browser;

/// The filing of a geological-hazard assessment report: M02 is the report.
const GEO_FILING_ITEM: &str = "1133022625630565XF4120502000100";

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).expect("a day")
}

async fn actor(service: &Service, username: &str, password: &str) -> Actor {
    let grant = service
        .login(username, password, "test")
        .await
        .expect("login");
    service
        .authenticate(&grant.token, "test")
        .await
        .expect("session")
        .actor
}

/// Logs out whoever is logged in and logs `who` in.
async fn log_in_as(b: &browser::Session, who: &str, password: &str) -> String {
    if b.try_find(browser::LOGOUT_BUTTON).await.is_some() {
        b.logout().await;
    }
    b.login(who, password).await
}

#[tokio::test]
async fn browser_a_projects_need_goes_from_posting_to_the_report_taken_into_an_approval() {
    if !browser::enabled() {
        return;
    }
    // Monday 7 December 2026: the demo profile, the market's firms, and the enterprise's factory.
    let World {
        service,
        clock,
        dir: _dir,
        ..
    } = onewindow_testkit::demo_world("market-browser", day(12, 7), false).await;
    service.seed_demo_market().await.expect("the demo market");
    let owner = actor(&service, "enterprise", "qiye-demo-2026").await;
    let identity = owner.principal.identity.clone().expect("identity");
    let project = service
        .register_project(
            &owner,
            NewProject {
                name: "年产 3 万吨铝合金压铸件项目".into(),
                owner_identity: identity,
                owner_name: "宁海县示范民宿有限公司".into(),
                project_type: ProjectType::Industrial,
                government_funded: false,
                region: None,
                land_obtained_on: None,
            },
        )
        .await
        .expect("the project");
    let code = project.project.code.to_string();
    let project_path = format!("/projects/{code}");
    let url = onewindow_testkit::serve_router(onewindow_web::app(service.clone())).await;
    let b = browser::Session::start(&url, "market").await;
    let uploads = TempDir(
        std::env::temp_dir().join(format!("onewindow-market-uploads-{}", uuid::Uuid::now_v7())),
    );
    std::fs::create_dir_all(&uploads.0).expect("upload dir");

    // a. The owner posts the need from the project page: the geological-hazard assessment of
    //    the site selection, 30,000 yuan at most, by the lowest price.
    log_in_as(&b, "enterprise", "qiye-demo-2026").await;
    b.goto(&project_path).await;
    b.click("#post-need").await;
    b.wait_for_path("the need form", |p| p.starts_with("/market/needs/new"))
        .await;
    b.select("#service", "geo-hazard").await;
    b.fill("#ceiling", "30000").await;
    b.set_checked("#rule-lowest_price", true).await;
    b.fill("#description", "厂区选址范围地质灾害危险性评估")
        .await;
    b.click("#need-submit").await;
    let need_path = b
        .wait_for_path("the need", |p| {
            p.starts_with("/market/needs/XQ") && !p.contains("/new")
        })
        .await;
    let need_path = need_path
        .split('?')
        .next()
        .unwrap_or(&need_path)
        .to_string();
    let facts = b.text("#need-facts").await;
    assert!(
        facts.contains("地质灾害危险性评估") && facts.contains("30,000.00"),
        "{facts}"
    );

    // b. The firm quotes: above the ceiling it is refused at the price, then 28,000 yuan in 8
    //    working days. Its own quote is all it sees.
    let home = log_in_as(&b, "intermediary", "zhongjie-2026").await;
    assert!(home.starts_with("/market/my-firm"), "{home}");
    assert!(
        b.text("#quotable")
            .await
            .contains("年产 3 万吨铝合金压铸件项目")
    );
    b.goto(&need_path).await;
    b.fill("#price", "35000").await;
    b.fill("#days", "8").await;
    b.click("#quote-submit").await;
    let refused = b.wait_for_text("#price-error", "最高限价").await;
    assert!(!refused.is_empty());
    b.fill("#price", "28000").await;
    b.fill("#days", "8").await;
    b.click("#quote-submit").await;
    b.wait_for_text("#quote-table", "28,000.00").await;
    b.screenshot_page("market-need-quoted", 1600).await;

    // c. Tuesday 15 December, after the deadline: the owner selects and hands over.
    clock.set(onewindow_app::clock::local_morning(day(12, 15)));
    log_in_as(&b, "enterprise", "qiye-demo-2026").await;
    b.goto(&need_path).await;
    b.click("#select-submit").await;
    b.wait_for("#contract-link").await;
    assert!(
        b.text("#selected-firm")
            .await
            .contains("宁海县测绘服务有限公司")
    );
    b.click("#contract-link").await;
    let contract_path = b
        .wait_for_path("the contract", |p| p.starts_with("/market/contracts/HT"))
        .await;
    let contract_path = contract_path
        .split('?')
        .next()
        .unwrap_or(&contract_path)
        .to_string();
    b.click("#hand-over-submit").await;
    let due = b.wait_for_text("#clock-due", "2026").await;
    assert!(
        due.contains("2026年12月25日"),
        "8 working days from the 15th: {due}"
    );

    // d. Thursday 17 December: the firm hands in the report as a PDF.
    clock.set(onewindow_app::clock::local_morning(day(12, 17)));
    log_in_as(&b, "intermediary", "zhongjie-2026").await;
    b.goto(&contract_path).await;
    let report = uploads.0.join("report.pdf");
    std::fs::write(
        &report,
        b"%PDF-1.4\n% geo-hazard report\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
    )
    .expect("a file");
    b.fill("#report-number", "NHDZ-2026-031").await;
    b.fill(
        "#report-title",
        "年产 3 万吨铝合金压铸件项目地质灾害危险性评估报告",
    )
    .await;
    b.upload("#report-file", &report).await;
    b.click("#deliver-submit").await;
    b.wait_for("#report-download").await;
    assert!(b.text("#report-table").await.contains("NHDZ-2026-031"));

    // e. Friday 18 December: the owner accepts and rates the firm.
    clock.set(onewindow_app::clock::local_morning(day(12, 18)));
    log_in_as(&b, "enterprise", "qiye-demo-2026").await;
    b.goto(&contract_path).await;
    b.click("#accept-submit").await;
    b.wait_for("#rate-form").await;
    b.select("#rate-quality", "4").await;
    b.fill("#rate-comment", "报告规范，提前完成").await;
    b.click("#rate-submit").await;
    b.wait_for("#rating-line").await;
    b.screenshot_page("market-contract-accepted", 2000).await;

    // f. The report's filing under the project: the report is not uploaded again.
    b.goto(&format!("/apply/{GEO_FILING_ITEM}?project={code}"))
        .await;
    let reused = b.text("#apply-reused").await;
    assert!(
        reused.contains("地质灾害危险性评估报告")
            && reused.contains("NHDZ-2026-031")
            && reused.contains("无需再次提交"),
        "{reused}"
    );
    b.screenshot_page("market-apply", 2000).await;
    let inputs = b.find_all("form input[type=file]").await;
    let mut ids = Vec::new();
    for input in &inputs {
        ids.push(input.attribute("id").await.unwrap_or_default());
    }
    assert_eq!(
        ids.len(),
        1,
        "only the application form is uploaded: {ids:?}"
    );
    let form = uploads.0.join("form.pdf");
    std::fs::write(&form, b"%PDF-1.4\n% form\n%%EOF\n").expect("a file");
    b.upload(&format!("#{}", ids[0]), &form).await;
    b.fill("#phone", "13800000000").await;
    b.click("form[action^='/apply/'] button[type=submit]").await;
    b.wait_for_path("the new case", |p| {
        p.starts_with("/my/cases/") && p.ends_with("?done=submitted")
    })
    .await;
    let materials = b.text("section[aria-labelledby=materials-title]").await;
    assert!(
        materials.contains("中介服务：地质灾害危险性评估") && materials.contains("NHDZ-2026-031"),
        "{materials}"
    );
    b.screenshot_page("market-report-reused", 2000).await;

    // g. The project: the site selection's assessment took 2 working days instead of the plan's
    //    10, so the intermediary days before the construction permit fall from 65 to 57.
    b.goto(&project_path).await;
    assert!(b.text("#market-days-before").await.contains("65"));
    assert!(b.text("#market-days-after").await.contains("57"));
    b.screenshot_page("market-project", 3000).await;
}
