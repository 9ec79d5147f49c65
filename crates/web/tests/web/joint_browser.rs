//! Joint approval in a real browser: the homestay bundle (LB-MINSU) of the demo profile from the
//! portal's bundle page to one delivery. Headless Chromium through Debian's chromedriver
//! (tests/web/support/browser.rs); skipped without it unless `ONEWINDOW_BROWSER_TESTS=required`, and
//! run on the SQLite pass only (see `browser::enabled`). Screenshots go to target/screenshots/.

use onewindow_testkit::TempDir;

use chrono::NaiveDate;
use onewindow_app::Service;

use crate::support::browser;

const DEMO_STAFF_PASSWORD: &str = onewindow_app::demo::accounts::DEMO_JOINT_STAFF_PASSWORD;

/// The app with the Ninghai demo profile (catalogue, accounts, hall, bundles and their staff)
/// on a fresh SQLite store, served on a free port; the clock stands at Monday 2 November 2026.
async fn spawn_demo() -> (String, Service, TempDir) {
    let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let world = onewindow_testkit::demo_world("joint-browser", day, true).await;
    let url = onewindow_testkit::serve_router(onewindow_web::app(world.service.clone())).await;
    (url, world.service, world.dir)
}

/// A small well-formed one-page PDF.
fn sample_pdf(title: &str) -> Vec<u8> {
    let text = format!("BT /F1 20 Tf 72 760 Td ({title}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    pdf
}

/// Logs out whoever is logged in and logs `who` in.
async fn log_in_as(b: &browser::Session, who: &str, password: &str) -> String {
    if b.try_find(browser::LOGOUT_BUTTON).await.is_some() {
        b.logout().await;
    }
    b.login(who, password).await
}

/// The story of issue 5 in one browser: the enterprise reads the homestay bundle and applies
/// online with its files; the clerk accepts once; five departments claim, sign their review
/// opinion and decide in parallel (fire after two countersigns), each seeing only its own part; the lead department
/// issues the result, the window delivers once, and the applicant sees who decided what.
#[tokio::test]
async fn browser_a_homestay_runs_from_the_bundle_page_through_five_departments_to_one_delivery() {
    if !browser::enabled() {
        return;
    }
    let (url, service, _dir) = spawn_demo().await;
    let plan = service
        .bundle("LB-MINSU")
        .await
        .expect("the homestay bundle")
        .plan;
    let task_of = |department: &str| {
        plan.tasks
            .iter()
            .find(|t| t.department == department)
            .unwrap_or_else(|| panic!("a {department} member"))
            .clone()
    };
    let b = browser::Session::start(&url, "homestay").await;
    let uploads = TempDir::new("joint-uploads");
    std::fs::create_dir_all(&uploads.0).expect("upload dir");

    // a. The home page offers the bundle; its page says where, who, in which order, what once.
    b.goto("/").await;
    b.click("a[href='/bundles/LB-MINSU']").await;
    b.wait_for_path("the bundle page", |p| p == "/bundles/LB-MINSU")
        .await;
    assert_eq!(b.text("#bundle-title").await, "开办民宿");
    let facts = b.text("#bundle-facts").await;
    assert!(
        facts.contains("公安窗口") && facts.contains("15 个工作日"),
        "{facts}"
    );
    let figures = b.text("#bundle-figures").await;
    let f = &plan.figures;
    assert!(
        figures.contains(&format!("{} 份", f.materials_after))
            && figures.contains(&format!("{} 次", f.visits_after)),
        "the figures before → after: {figures}"
    );
    let members = b.find_all("#bundle-members tbody tr").await;
    assert_eq!(members.len(), 5, "five members");
    for row in &members {
        assert!(row.text().await.contains("并联办理"), "all in parallel");
    }
    b.screenshot_page("bundle-page", 2600).await;

    // b. Applying needs a login; the enterprise comes back to the one form and uploads it.
    b.click("a.button.primary[href='/apply/LB-MINSU']").await;
    b.wait_for_path("the login page", |p| p.starts_with("/login?next="))
        .await;
    b.fill("#username", "enterprise").await;
    b.fill("#password", "qiye-demo-2026").await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for_path("the application form", |p| p == "/apply/LB-MINSU")
        .await;
    assert_eq!(b.text("#apply-title").await, "开办民宿");
    assert_eq!(b.find_all("#bundle-members li").await.len(), 5);
    b.fill("#phone", "13800000000").await;
    for (i, m) in plan.demanded_materials().enumerate() {
        let path = uploads.0.join(format!("{}-{i}.pdf", m.key));
        std::fs::write(&path, sample_pdf(&m.key)).expect("a file");
        b.upload(&format!("#file_{}", m.key), &path).await;
    }
    b.screenshot_page("bundle-apply-form", 2600).await;
    b.click("form[action='/apply/LB-MINSU'] button[type=submit]")
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
    let number = b.text("#case-title ~ dl.facts dd:first-of-type").await;
    assert!(!number.is_empty());

    // c. The clerk accepts once: every department's task starts.
    log_in_as(&b, "clerk", "chuangkou-2026").await;
    b.goto(&format!("/window/cases/{number}")).await;
    let checklist = b.text("section[aria-labelledby=checklist-title]").await;
    for m in plan.demanded_materials() {
        assert!(checklist.contains(&m.name), "{} on the checklist", m.name);
    }
    b.click("form[action$='/accept'] button[type=submit]").await;
    b.wait_for_path("the receipt", |p| {
        p == format!("/window/cases/{number}/receipt")
    })
    .await;
    b.goto(&format!("/window/cases/{number}")).await;
    assert_eq!(b.find_all("#tasks tbody tr").await.len(), 5);
    assert_eq!(
        b.find_all("#tasks .task-working").await.len(),
        5,
        "five tasks open at once"
    );

    // d. Each department claims its task from its desk and decides it; fire countersigns twice.
    let departments = [
        ("GAJ", "gaj-reviewer", "gaj-approver", DEMO_STAFF_PASSWORD),
        (
            "XFJY",
            "fire-reviewer",
            "fire-approver",
            DEMO_STAFF_PASSWORD,
        ),
        ("STHJ", "env-reviewer", "env-approver", DEMO_STAFF_PASSWORD),
        (
            "WJJ",
            "health-reviewer",
            "health-approver",
            DEMO_STAFF_PASSWORD,
        ),
    ];
    let mut all = departments.to_vec();
    all.push(("SCJGJ", "reviewer", "approver", ""));
    for (department, reviewer, approver, password) in all {
        let (reviewer_password, approver_password) = if password.is_empty() {
            ("shencha-2026", "shenpi-2026")
        } else {
            (password, password)
        };
        let task = task_of(department);
        let page = format!("/desk/cases/{number}/tasks/{}", task.item_code);
        assert_eq!(log_in_as(&b, reviewer, reviewer_password).await, "/desk");
        let link = format!("tbody a[href='{page}']");
        b.wait_for(&link).await;
        if department == "XFJY" {
            b.screenshot("desk-joint-tasks").await;
        }
        b.click(&link).await;
        b.wait_for_path("the task page", |p| p == page).await;
        assert_eq!(b.text("#task-title").await, task.item_name);
        b.click("form[action$='/claim'] button[type=submit]").await;
        b.wait_for_path("claimed", |p| p.ends_with("?done=claim"))
            .await;
        // Every department's reviewer signs the opinion its approver decides on (会签).
        let opinion = if department == "XFJY" {
            "疏散通道、消防器材符合要求。"
        } else {
            "经审查，符合条件。"
        };
        b.fill("#countersign-opinion", opinion).await;
        b.click("form[action$='/countersign'] button[type=submit]")
            .await;
        b.wait_for_path("signed", |p| p.ends_with("?done=countersign"))
            .await;
        // Only its own part: other departments' reasons never show on this desk.
        let own = b.text("main").await;
        assert!(
            !own.contains("治安管理条件符合要求"),
            "{department} sees public security's reason"
        );
        log_in_as(&b, approver, approver_password).await;
        b.goto(&page).await;
        if department == "XFJY" {
            b.fill("#countersign-opinion", "同意。").await;
            b.click("form[action$='/countersign'] button[type=submit]")
                .await;
            b.wait_for_path("signed", |p| p.ends_with("?done=countersign"))
                .await;
            assert_eq!(b.find_all("#countersigns li").await.len(), 2);
        }
        let reason = if department == "GAJ" {
            "治安管理条件符合要求，准予核发。"
        } else {
            "符合法定条件。"
        };
        b.fill("#decide-reason", reason).await;
        if department == "XFJY" {
            b.screenshot_page("desk-task", 2400).await;
        }
        b.click("button[name=approve][value=true]").await;
        b.accept_alert().await;
        b.wait_for_path("decided", |p| p.ends_with("?done=decide"))
            .await;
        assert_eq!(b.text("#task-status").await, "准予许可");
        if department == "XFJY" {
            // Fire's page shows the others' state, not public security's reason.
            let progress = b.text("#progress").await;
            assert!(!progress.contains("治安管理条件符合要求"), "{progress}");
        }
    }

    // e. The case is decided; the lead department issues the result, the window delivers once.
    log_in_as(&b, "gaj-approver", DEMO_STAFF_PASSWORD).await;
    b.goto(&format!("/desk/cases/{number}")).await;
    assert_eq!(b.text("#case-title + p .badge").await, "准予许可");
    b.click("form[action$='/issue-result'] button[type=submit]")
        .await;
    b.wait_for_path("issued", |p| p.ends_with("?done=issue-result"))
        .await;
    log_in_as(&b, "clerk", "chuangkou-2026").await;
    b.goto(&format!("/window/cases/{number}")).await;
    // An enterprise's result goes to the person it authorised, whose card the clerk checks.
    b.click("input[name=collector_role][value=authorised]")
        .await;
    b.fill("#collector_name", "张建国").await;
    b.fill("#collector_id", "330226198806150022").await;
    b.fill("#authorisation", "授权委托书（2026年12月7日）")
        .await;
    b.click("form[action$='/deliver'] button[type=submit]")
        .await;
    b.wait_for_path("delivered", |p| p.ends_with("?done=deliver"))
        .await;
    assert_eq!(b.text("#case-title + p .badge").await, "已送达");
    b.screenshot_page("window-joint-case", 2400).await;

    // f. The applicant sees each department's decision, its reason and the licence numbers.
    log_in_as(&b, "enterprise", "qiye-demo-2026").await;
    b.goto(&my_case).await;
    assert_eq!(b.text("#case-status").await, "已送达");
    let rows = b.find_all("#departments #tasks tbody tr").await;
    assert_eq!(rows.len(), 5);
    for row in &rows {
        let text = row.text().await;
        assert!(
            text.contains("准予许可") && text.contains(&number),
            "each department's decision and licence number: {text}"
        );
    }
    assert!(
        b.text("#departments")
            .await
            .contains("治安管理条件符合要求，准予核发。")
    );
    // Each member that issues a licence issued the applicant an electronic licence of its own.
    let licences = b.find_all("#case-licences li").await;
    assert!(!licences.is_empty(), "the members' electronic licences");
    // A department sees the licences of its own task only.
    let grant = service
        .login("gaj-reviewer", DEMO_STAFF_PASSWORD, "test")
        .await
        .expect("login");
    let police = service
        .authenticate(&grant.token, "test")
        .await
        .expect("session")
        .actor;
    let seen = service
        .case_licences(&police, &number)
        .await
        .expect("the case's licences");
    assert!(
        seen.iter().all(|l| l.licence.issuer_department == "GAJ") && seen.len() < licences.len(),
        "{} of {}",
        seen.len(),
        licences.len()
    );
    for licence in &licences {
        let text = licence.text().await;
        assert!(text.contains(&number) && text.contains("有效"), "{text}");
    }
    b.screenshot_page("my-joint-case", 2600).await;
}
