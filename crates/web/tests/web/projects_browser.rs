//! Investment projects in a real browser, on the demo profile: a newcomer (the demo enterprise)
//! registers an industrial project, reads its plan and the critical-path chart, files two
//! approvals of the first stage under the project in parallel, hands an agent the project, sees
//! an earlier result of the project taken as a material without uploading it again, and the
//! agent's board shows where the project stands. Headless Chromium through Debian's chromedriver
//! (tests/web/support/browser.rs); skipped without it unless `ONEWINDOW_BROWSER_TESTS=required`, and
//! run on the SQLite pass only. Screenshots go to target/screenshots/.

use onewindow_testkit::{TempDir, World};

use chrono::NaiveDate;
use onewindow_app::Service;
use onewindow_app::accounts::{Actor, NewUser};
use onewindow_app::projects::Region;
use onewindow_app::service::SubmitCase;
use onewindow_domain::access::{Post, Role};
use onewindow_domain::case::{Applicant, ApplicantKind, CaseCommand, Channel};
use onewindow_domain::project::Assessment;

use crate::support::browser;

const ZR_PASSWORD: &str = "ziranziyuan-2026";

/// The demo profile (catalogue, accounts, hall, bundles), the assessed development zone and a
/// reviewer and an approver of natural resources (自然资源和规划局), on a fresh SQLite store served
/// on a free port; the clock stands at Monday 1 June 2026, so that the whole plan falls in a year
/// the holiday calendar covers.
async fn spawn_demo() -> (String, Service, TempDir) {
    let day = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let World { service, dir, .. } =
        onewindow_testkit::demo_world("projects-browser", day, true).await;
    let operator = Actor::command_line("test");
    service
        .save_region(
            &operator,
            Region {
                code: "ninghai-economic-development-zone".into(),
                name: "宁海经济开发区".into(),
                assessments: [
                    Assessment::EnvironmentalImpact,
                    Assessment::SoilAndWater,
                    Assessment::Energy,
                    Assessment::GeologicalHazard,
                ]
                .into_iter()
                .collect(),
            },
        )
        .await
        .expect("the assessed region");
    for (username, role) in [
        ("zr-reviewer", Role::Reviewer),
        ("zr-approver", Role::Approver),
    ] {
        service
            .create_user(
                &operator,
                NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    password: ZR_PASSWORD.into(),
                    identity: None,
                    phone: None,
                    posts: vec![Post::new(role).in_department("ZRZYJ")],
                    may_reveal_personal_data: false,
                },
            )
            .await
            .expect("natural resources staff");
    }
    let url = onewindow_testkit::serve_router(onewindow_web::app(service.clone())).await;
    (url, service, dir)
}

/// A small file that is a PDF by its first bytes.
fn sample_pdf(title: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {title}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
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

/// Applies for the step `key` of the project page now shown: follows its "apply under this
/// project" link, uploads a file for every material the form asks for, and returns the case
/// page's path.
async fn apply_for_step(
    b: &browser::Session,
    key: &str,
    uploads: &std::path::Path,
    expect_reused: Option<&str>,
) -> String {
    b.click(&format!("tr[data-step='{key}'] a.apply-under-project"))
        .await;
    b.wait_for_path("the application form", |p| {
        p.starts_with("/apply/") && p.contains("?project=")
    })
    .await;
    let notice = b.text("#apply-project").await;
    assert!(notice.contains("年产 5 万套模具生产线项目"), "{notice}");
    match expect_reused {
        Some(material) => {
            let reused = b.text("#apply-reused").await;
            assert!(
                reused.contains(material) && reused.contains("无需再次提交"),
                "{reused}"
            );
        }
        None => assert!(b.try_find("#apply-reused").await.is_none()),
    }
    let inputs = b.find_all("form input[type=file]").await;
    let mut ids = Vec::new();
    for input in &inputs {
        ids.push(input.attribute("id").await.unwrap_or_default());
    }
    assert!(!ids.is_empty(), "a file to upload");
    for id in ids {
        let path = uploads.join(format!("{key}-{id}.pdf"));
        std::fs::write(&path, sample_pdf(&id)).expect("a file");
        b.upload(&format!("#{id}"), &path).await;
    }
    b.fill("#phone", "13800000000").await;
    b.click("form[action^='/apply/'] button[type=submit]").await;
    let landed = b
        .wait_for_path("the new case", |p| {
            p.starts_with("/my/cases/") && p.ends_with("?done=submitted")
        })
        .await;
    landed
        .strip_suffix("?done=submitted")
        .unwrap_or(&landed)
        .to_string()
}

#[tokio::test]
async fn browser_a_newcomer_registers_a_factory_files_its_first_approvals_in_parallel_and_the_agent_follows()
 {
    if !browser::enabled() {
        return;
    }
    let (url, service, _dir) = spawn_demo().await;
    let b = browser::Session::start(&url, "projects").await;
    let uploads = TempDir(std::env::temp_dir().join(format!(
        "onewindow-project-uploads-{}",
        uuid::Uuid::now_v7()
    )));
    std::fs::create_dir_all(&uploads.0).expect("upload dir");

    // a. The enterprise finds investment projects in its navigation and registers a factory;
    //    its credit code and name are filled in, the region is left out (a plain site).
    log_in_as(&b, "enterprise", "qiye-demo-2026").await;
    b.click("header nav a[href='/projects']").await;
    b.wait_for_path("the projects", |p| p == "/projects").await;
    b.click("a[href='/projects/new']").await;
    b.wait_for_path("the registration form", |p| p == "/projects/new")
        .await;
    let owner = b.find("#owner_identity").await.property("value").await;
    assert_eq!(owner.as_str().map(str::len), Some(18), "prefilled: {owner}");
    let region_options = b.find_all("#region option").await;
    assert_eq!(region_options.len(), 2, "none, and the development zone");
    // Sent without a name: the error stands next to the field, the rest is kept.
    b.fill("#owner_name", "宁海县示范民宿有限公司").await;
    b.click("#register-form button[type=submit]").await;
    b.wait_for("#name-error").await;
    assert_eq!(
        b.attribute("#name", "aria-invalid").await.as_deref(),
        Some("true")
    );
    b.fill("#name", "年产 5 万套模具生产线项目").await;
    b.select("#project_type", "industrial").await;
    b.click("#register-form button[type=submit]").await;
    let landed = b
        .wait_for_path("the project page", |p| {
            p.starts_with("/projects/") && p.ends_with("?done=registered")
        })
        .await;
    let project_path = landed
        .strip_suffix("?done=registered")
        .unwrap_or(&landed)
        .to_string();
    let code = b.text("#project-code").await;
    assert_eq!(code.len(), 24, "{code}");
    assert!(code.starts_with("2606-330226-04-03-"), "{code}");
    assert!(b.text("#project-notice").await.contains(&code));

    // b. The plan: 94 working days, 29 of them the departments', the critical path in red.
    let totals = b.text("#project-totals").await;
    assert_eq!(totals, "94 个工作日：行政 29 + 中介 65");
    assert_eq!(b.find_all("#chart svg").await.len(), 1);
    assert_eq!(b.find_all("#chart svg g.step.critical").await.len(), 7);
    assert_eq!(b.find_all("table.plan-stage").await.len(), 4);
    assert_eq!(b.find_all("tr.plan-step.critical").await.len(), 7);
    let first_stage = b.text("#stage-project_and_land").await;
    assert!(
        first_stage.contains("建设项目选址意见书核发（核发）")
            && first_stage.contains("地质灾害危险性评估 10 天")
            && first_stage.contains("2026年6月2日"),
        "the filing on the first working day: {first_stage}"
    );
    b.screenshot_page("project-plan", 3000).await;

    // c. Its first approvals in parallel: the filing and the site selection, both under the code.
    let filing_case = apply_for_step(&b, "filing", &uploads.0, None).await;
    assert!(b.text("#case-project").await.contains(&code));
    b.goto(&project_path).await;
    let site_case = apply_for_step(&b, "site-selection", &uploads.0, None).await;
    assert_ne!(filing_case, site_case);
    b.goto(&project_path).await;
    for key in ["filing", "site-selection"] {
        let status = b.text(&format!("tr[data-step='{key}'] .step-status")).await;
        assert!(status.contains("办理中"), "{key}: {status}");
    }
    assert!(
        b.text("#project-progress")
            .await
            .contains("已完成 0 / 14 项")
    );

    // d. The enterprise hands the project to the county's agent.
    b.fill("#agent", "agent").await;
    b.click("#agent-form button[type=submit]").await;
    b.wait_for_path("back on the project", |p| p.ends_with("?done=agent"))
        .await;
    assert_eq!(b.text("#project-agent").await, "agent");

    // e. Meanwhile natural resources decide the land-use planning licence (filed at the
    //    window): its licence is then a material of the later approvals of the project.
    let owner_actor = actor(&service, "enterprise", "qiye-demo-2026").await;
    let land_item = service
        .project(&owner_actor, &code)
        .await
        .expect("the project")
        .items
        .into_iter()
        .find(|(k, _)| k == "land-planning")
        .map(|(_, c)| c)
        .expect("the land-use planning item");
    let identity = owner_actor.principal.identity.clone().expect("identity");
    let submitted = service
        .submit_case_in_project(
            &owner_actor,
            SubmitCase {
                item_code: land_item.clone(),
                applicant: Applicant {
                    kind: ApplicantKind::Enterprise,
                    name: "宁海县示范民宿有限公司".into(),
                    id_number: identity,
                    phone: None,
                },
                channel: Channel::Online,
                centre: "county-hall".into(),
                materials: vec!["M01".into(), "M02".into(), "M03".into(), "M04".into()],
                commitments: Vec::new(),
            },
            &code,
            None,
        )
        .await
        .expect("filed under the project");
    let mut version = submitted.case.version;
    let number = submitted.case.number.clone();
    for (who, password, command) in [
        ("clerk", "chuangkou-2026", CaseCommand::Accept),
        ("zr-reviewer", ZR_PASSWORD, CaseCommand::StartReview),
        (
            "zr-reviewer",
            ZR_PASSWORD,
            CaseCommand::Propose {
                approve: true,
                opinion: "符合规划条件，拟同意".into(),
            },
        ),
        (
            "zr-approver",
            ZR_PASSWORD,
            CaseCommand::Decide {
                approve: true,
                reason: "符合规划条件".into(),
            },
        ),
        (
            "zr-reviewer",
            ZR_PASSWORD,
            CaseCommand::IssueResult {
                document_number: None,
            },
        ),
    ] {
        let moved = service
            .execute(
                &actor(&service, who, password).await,
                &number,
                version,
                command,
            )
            .await
            .unwrap_or_else(|e| panic!("{who}: {e}"));
        version = moved.version;
    }

    // f. The design scheme review: the licence is not uploaded again.
    b.goto(&project_path).await;
    let land_status = b.text("tr[data-step='land-planning'] .step-status").await;
    assert!(land_status.contains("办结"), "{land_status}");
    let design_case =
        apply_for_step(&b, "design-scheme", &uploads.0, Some("建设用地规划许可证")).await;
    let materials = b.text("section[aria-labelledby=materials-title]").await;
    assert!(
        materials.contains("由本项目“建设用地规划许可证核发（新办）”出具"),
        "{materials}"
    );
    assert!(!design_case.is_empty());
    b.screenshot_page("project-reused-material", 2400).await;

    // g. The agent's board: one line, what is done, what is under way at which department,
    //    and at the month's end what is behind plan.
    log_in_as(&b, "agent", "daiban-2026").await;
    b.click("header nav a[href='/projects/board']").await;
    b.wait_for_path("the board", |p| p == "/projects/board")
        .await;
    let line = b.find_all("#board tr.board-line").await;
    assert_eq!(line.len(), 1, "the project followed");
    assert_eq!(b.text("#board .board-done").await, "1 / 14");
    let under_way = b.text("#board .board-under-way").await;
    for step in [
        "企业投资项目备案（赋码备案）",
        "建设项目选址意见书核发（核发）",
        "建设工程设计方案审查",
    ] {
        assert!(under_way.contains(step), "{step}: {under_way}");
    }
    assert!(under_way.contains("自然资源"), "{under_way}");
    b.select("#on", "2026-06-30").await;
    b.click("#board-date button[type=submit]").await;
    b.wait_for_path("the month-end review", |p| {
        p == "/projects/board?on=2026-06-30"
    })
    .await;
    let behind = b.text("#board .board-behind").await;
    assert!(
        behind.contains("企业投资项目备案（赋码备案）") && behind.contains("发展"),
        "the filing, planned for the first day, waits on development and reform: {behind}"
    );
    b.screenshot_page("project-board", 1600).await;

    // h. The agent opens the project from the board: the same plan.
    b.click(&format!("#board a[href='{project_path}']")).await;
    b.wait_for_path("the project page", |p| p == project_path)
        .await;
    assert_eq!(b.text("#project-totals").await, totals);
}
