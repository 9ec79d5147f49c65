//! The applicant's list of cases and the window's queue in a real browser (issue 13): on a phone
//! each row is a card and nothing scrolls sideways; on a desktop they are tables. And the
//! window's single-key accept shortcut (WCAG 2.1.4): the key alone accepts nothing, it only
//! moves the focus to the accept button and asks for Enter; Esc goes back; the clerk may turn the
//! key off, and the browser remembers it. Headless Chromium through Debian's chromedriver
//! (tests/web/support/browser.rs); skipped without it unless `ONEWINDOW_BROWSER_TESTS=required`.
//! Screenshots go to target/screenshots/.

use chrono::NaiveDate;
use onewindow_app::Service;
use onewindow_app::accounts::Actor;
use onewindow_app::service::SubmitCase;
use onewindow_domain::case::{Applicant, ApplicantKind, CaseCommand, Channel, Status};
use onewindow_testkit::TempDir;
use serde_json::Value;

use crate::support::browser;

/// The demo profile on a fresh SQLite store served on a free port; the clock stands at Monday
/// 2 November 2026.
async fn spawn_demo() -> (String, Service, TempDir) {
    let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let world = onewindow_testkit::demo_world("lists-browser", day, false).await;
    let url = onewindow_testkit::serve_router(onewindow_web::app(world.service.clone())).await;
    (url, world.service, world.dir)
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

/// Files `n` complete online applications of the demo citizen at the county hall, for a 5-day
/// item of market supervision; their numbers, oldest first.
async fn file_cases(service: &Service, n: usize) -> Vec<String> {
    let citizen = actor(service, "citizen", "shimin-2026").await;
    let item = onewindow_store::catalogue::all_items(service.store().readers())
        .await
        .expect("items")
        .into_iter()
        .find(|p| p.item.promised_days == 5 && p.item.department == "SCJGJ")
        .expect("a 5-day item");
    let materials: Vec<String> = item
        .item
        .materials
        .iter()
        .filter(|m| m.required && m.cancelled.is_none())
        .map(|m| m.key.clone())
        .collect();
    let identity = citizen
        .principal
        .identity
        .clone()
        .expect("the citizen's identity");
    let mut numbers = Vec::new();
    for _ in 0..n {
        let filed = service
            .submit_case(
                &citizen,
                SubmitCase {
                    item_code: item.item.code.clone(),
                    applicant: Applicant {
                        kind: ApplicantKind::Person,
                        name: "林晓梅".into(),
                        id_number: identity.clone(),
                        phone: None,
                    },
                    channel: Channel::Online,
                    centre: "county-hall".into(),
                    materials: materials.clone(),
                    commitments: Vec::new(),
                },
                None,
            )
            .await
            .expect("filed");
        numbers.push(filed.case.number);
    }
    numbers
}

/// Logs out whoever is logged in and logs `who` in.
async fn log_in_as(b: &browser::Session, who: &str, password: &str) -> String {
    if b.try_find(browser::LOGOUT_BUTTON).await.is_some() {
        b.logout().await;
    }
    b.login(who, password).await
}

/// How the list on the page is laid out: whether the page scrolls sideways, and for each row of
/// `table.stack` its CSS display, with the header's display and each cell's label as drawn.
async fn layout(b: &browser::Session) -> Value {
    b.execute(
        "var doc = document.documentElement;
         var table = document.querySelector('table.stack');
         var rows = table ? Array.from(table.querySelectorAll('tbody tr')) : [];
         return {
           viewport: window.innerWidth,
           scroll: Math.max(doc.scrollWidth, document.body.scrollWidth),
           table: table ? getComputedStyle(table).display : null,
           head: table ? table.tHead.getBoundingClientRect().height : null,
           rows: rows.map(function (tr) {
             var r = tr.getBoundingClientRect();
             return {
               display: getComputedStyle(tr).display,
               width: r.width,
               right: r.right,
               labels: Array.from(tr.cells).slice(1).map(function (td) {
                 return getComputedStyle(td, '::before').content;
               }),
               wanted: Array.from(tr.cells).slice(1).map(function (td) {
                 return JSON.stringify(td.getAttribute('data-label'));
               })
             };
           })
         };",
        vec![],
    )
    .await
}

fn number(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// At 390 px: no sideways scrolling, the header hidden, every row a block as wide as the page
/// whose cells are labelled with their column's name.
fn assert_cards(v: &Value, page: &str) {
    let (scroll, viewport) = (number(v, "scroll"), number(v, "viewport"));
    assert!(
        scroll <= viewport,
        "{page}: the page scrolls sideways ({scroll} > {viewport}): {v}"
    );
    assert_eq!(v["table"], "block", "{page}: {v}");
    assert!(
        number(v, "head") <= 1.0,
        "{page}: the header is hidden: {v}"
    );
    let rows = v["rows"].as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty(), "{page}: rows: {v}");
    for row in rows {
        assert_eq!(row["display"], "block", "{page}: a card: {row}");
        assert!(number(&row, "right") <= viewport, "{page}: {row}");
        assert_eq!(row["labels"], row["wanted"], "{page}: labelled: {row}");
    }
}

/// At 1366 px: a table with its header row, rows as table rows.
fn assert_table(v: &Value, page: &str) {
    let (scroll, viewport) = (number(v, "scroll"), number(v, "viewport"));
    assert!(scroll <= viewport, "{page}: {v}");
    assert_eq!(v["table"], "table", "{page}: {v}");
    assert!(number(v, "head") > 10.0, "{page}: the header shows: {v}");
    let rows = v["rows"].as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty(), "{page}: rows: {v}");
    for row in rows {
        assert_eq!(row["display"], "table-row", "{page}: {row}");
        assert!(
            row["labels"]
                .as_array()
                .is_some_and(|l| l.iter().all(|c| c == "none" || c == "normal")),
            "{page}: no labels drawn in a table: {row}"
        );
    }
}

#[tokio::test]
async fn browser_the_applicants_cases_and_the_window_queue_are_cards_on_a_phone_and_tables_on_a_desktop()
 {
    if !browser::enabled() {
        return;
    }
    let (url, service, _dir) = spawn_demo().await;
    let numbers = file_cases(&service, 3).await;
    // One accepted, so that its clock (due day, days left, light) shows on the applicant's card.
    let clerk = actor(&service, "clerk", "chuangkou-2026").await;
    let first = service
        .case(&clerk, &numbers[0])
        .await
        .expect("the first case")
        .case;
    service
        .execute(&clerk, &numbers[0], first.version, CaseCommand::Accept)
        .await
        .expect("accepted");

    let b = browser::Session::start(&url, "lists").await;
    for (who, password, path, shot) in [
        ("citizen", "shimin-2026", "/my/cases", "my-cases"),
        ("clerk", "chuangkou-2026", "/window", "window-queue"),
    ] {
        b.set_viewport_size(1366, 900).await;
        log_in_as(&b, who, password).await;
        b.goto(path).await;
        b.wait_for("table.stack tbody tr").await;
        let wide = layout(&b).await;
        assert_table(&wide, path);
        b.screenshot(&format!("{shot}-1366")).await;

        b.set_viewport_size(390, 844).await;
        b.goto(path).await;
        b.wait_for("table.stack tbody tr").await;
        let phone = layout(&b).await;
        assert_cards(&phone, path);
        // The card still has the case number as its link, and the rest of the row.
        let card = b.text("table.stack tbody tr").await;
        assert!(
            numbers.iter().any(|n| card.contains(n.as_str())),
            "{path}: {card}"
        );
        assert!(card.contains("2026年11月2日"), "{path}: {card}");
        b.screenshot_page(&format!("{shot}-390"), 2400).await;
    }
    // The accepted case's card shows its clock on the applicant's list.
    log_in_as(&b, "citizen", "shimin-2026").await;
    b.goto("/my/cases").await;
    let cards = b.text("table.stack tbody").await;
    assert!(cards.contains(&numbers[0]), "{cards}");
    assert!(
        b.try_find("table.stack tbody .light").await.is_some(),
        "{cards}"
    );
}

#[tokio::test]
async fn browser_the_accept_key_alone_accepts_nothing_and_can_be_turned_off() {
    if !browser::enabled() {
        return;
    }
    let (url, service, _dir) = spawn_demo().await;
    let numbers = file_cases(&service, 1).await;
    let number = &numbers[0];
    let clerk = actor(&service, "clerk", "chuangkou-2026").await;
    let status = || async {
        service
            .case(&clerk, number)
            .await
            .expect("the case")
            .case
            .status
    };
    let before = status().await;
    assert!(before.is_before_acceptance(), "{before:?}");

    let b = browser::Session::start(&url, "accept-key").await;
    log_in_as(&b, "clerk", "chuangkou-2026").await;
    let case_path = format!("/window/cases/{number}");
    b.goto(&case_path).await;
    let accept = "form[action$='/accept'] button[type=submit]";
    b.wait_for(accept).await;
    assert_eq!(
        b.attribute(accept, "aria-keyshortcuts").await.as_deref(),
        Some("A")
    );
    assert!(b.find("#accept-hint").await.is_displayed().await);
    assert!(!b.find("#accept-confirm").await.is_displayed().await);

    // a. The key alone: the focus moves to the button and the confirmation shows; nothing is sent.
    b.press("a").await;
    let focused = b.active_element().await;
    assert_eq!(focused.text().await, "受理");
    assert!(b.find("#accept-confirm").await.is_displayed().await);
    assert!(
        b.text("#accept-confirm")
            .await
            .contains("按 Enter 确认受理")
    );
    b.screenshot("window-accept-key-confirm").await;
    // Pressed again, still nothing.
    b.press("a").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(b.path().await, case_path);
    assert_eq!(status().await, before, "a key alone accepts nothing");

    // b. Esc cancels: the confirmation goes, the focus leaves the button.
    b.press(browser::keys::ESCAPE).await;
    assert!(!b.find("#accept-confirm").await.is_displayed().await);
    assert_ne!(b.active_element().await.text().await, "受理");
    assert_eq!(status().await, before);

    // c. Turned off: the key does nothing at all, and stays off on the next page.
    b.set_checked("[data-shortcut-toggle]", false).await;
    assert!(!b.find("#accept-hint").await.is_displayed().await);
    assert_eq!(b.attribute(accept, "aria-keyshortcuts").await, None);
    b.find("h1").await.click().await;
    b.press("a").await;
    assert!(!b.find("#accept-confirm").await.is_displayed().await);
    assert_ne!(b.active_element().await.text().await, "受理");
    b.goto(&case_path).await;
    b.wait_for(accept).await;
    assert_eq!(
        b.find("[data-shortcut-toggle]")
            .await
            .property("checked")
            .await,
        Value::Bool(false)
    );
    b.press("a").await;
    assert!(!b.find("#accept-confirm").await.is_displayed().await);
    assert_eq!(status().await, before);

    // d. On again: A, then Enter accepts.
    b.set_checked("[data-shortcut-toggle]", true).await;
    b.find("h1").await.click().await;
    b.press("a").await;
    assert!(b.find("#accept-confirm").await.is_displayed().await);
    b.press(browser::keys::ENTER).await;
    b.wait_for_path("the receipt", |p| p == format!("{case_path}/receipt"))
        .await;
    assert_eq!(status().await, Status::Accepted);
}
