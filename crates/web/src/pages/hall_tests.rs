//! Page tests of the hall: a ticket from the kiosk followed to the window, the window's queue
//! panel (call, walk-in filing, serve), the display board and its events, and the refusals.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::StreamExt;
use onewindow_app::service::SubmitCase;
use onewindow_domain::case::{Applicant, ApplicantKind, Channel};
use onewindow_domain::hall::TicketState;
use tower::ServiceExt;

use crate::i18n::Lang;
use crate::pages::testing::{FilePart, TestSite, Visitor, site};

/// 食品摊贩登记: accepted at the county, townships and villages; M01 and M02 demanded.
const STALL: &str = "1133022625630452684010402200100";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const APPLICANT_ID: &str = "330226198806150022";

fn zh(key: &str) -> &'static str {
    let text = Lang::ZhCn.messages().get(key);
    // `get` borrows the catalogue, which lives for the whole program.
    Box::leak(text.to_string().into_boxed_str())
}

async fn actor(site: &TestSite, username: &str, password: &str) -> onewindow_app::Actor {
    let grant = site
        .service
        .login(username, password, "t")
        .await
        .expect("login");
    site.service
        .authenticate(&grant.token, "t")
        .await
        .expect("session")
        .actor
}

fn query_value<'a>(location: &'a str, name: &str) -> &'a str {
    location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
}

async fn kiosk_ticket(site: &TestSite, business: &str) -> (String, String) {
    let answer = site
        .post_form(
            &Visitor::default(),
            "/hall/county-hall/kiosk",
            &[("business", business), ("id_number", "")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.location().expect("to the ticket").to_string();
    let id = location
        .strip_prefix("/hall/county-hall/tickets/")
        .and_then(|rest| rest.split('?').next())
        .expect("the ticket's page")
        .to_string();
    (id, location)
}

#[tokio::test]
async fn a_ticket_from_the_kiosk_is_called_filed_for_and_served_at_the_window() {
    let site = site().await;
    let anyone = Visitor::default();

    // The kiosk: no account, the centre's businesses, a ticket and its slip.
    let kiosk = site.get(&anyone, "/hall/county-hall/kiosk").await;
    assert_eq!(kiosk.status, StatusCode::OK);
    assert!(kiosk.body.contains(zh("queue-business-general")));
    let (ticket, slip) = kiosk_ticket(&site, "").await;
    let page = site.get(&anyone, &slip).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("A001"), "{}", page.body);
    assert!(page.body.contains("前面还有 0 人"), "{}", page.body);
    assert!(
        page.body.contains("data-print"),
        "the kiosk prints the slip"
    );

    // Bad input: an identity number that is none, a business nobody serves; nothing taken.
    let refused = site
        .post_form(
            &anyone,
            "/hall/county-hall/kiosk",
            &[("business", "NOPE"), ("id_number", "123")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains(zh("applicant-error-id-invalid")));
    assert!(refused.body.contains(zh("queue-error-business")));
    let today = site
        .service
        .tickets_today("county-hall")
        .await
        .expect("tickets");
    assert_eq!(today.len(), 1, "the refused form took no ticket");

    // The window: the clerk opens window 01 and calls the next ticket.
    let clerk = site.login("clerk", "chuangkou-2026").await;
    let panel = site.get(&clerk, "/window/queue?window=01").await;
    assert_eq!(panel.status, StatusCode::OK, "{}", panel.body);
    assert!(panel.body.contains("id=\"call-next\""));
    let called = site
        .post_form(
            &clerk,
            "/window/queue/call",
            &[("centre", "county-hall"), ("window", "01")],
        )
        .await;
    assert_eq!(called.status, StatusCode::SEE_OTHER);
    let location = called.location().expect("back to the panel");
    assert_eq!(query_value(location, "done"), "called");
    assert_eq!(query_value(location, "number"), "A001");
    let panel = site.get(&clerk, location).await;
    assert!(
        panel.body.contains("data-ticket=\"A001\""),
        "{}",
        panel.body
    );
    // The applicant's slip now sends them to the window; the board says it.
    let page = site.get(&anyone, &slip).await;
    assert!(page.body.contains("id=\"ticket-window\""), "{}", page.body);
    let board = site.get(&anyone, "/hall/county-hall/board").await;
    assert!(board.body.contains("请 A001 号到"), "{}", board.body);

    // Walk-in filing: the clerk files for the applicant of the ticket, as the window.
    let walk_in = site
        .get(
            &clerk,
            &format!(
                "/window/queue/walk-in?item={STALL}&ticket={ticket}&centre=county-hall&window=01"
            ),
        )
        .await;
    assert_eq!(walk_in.status, StatusCode::SEE_OTHER);
    let form_path = walk_in.location().expect("to the apply form").to_string();
    assert!(form_path.starts_with(&format!("/apply/{STALL}?ticket=")));
    let form = site.get(&clerk, &form_path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("id=\"walk-in-notice\""));
    assert!(
        form.body.contains("name=\"id_number\""),
        "the clerk types the identity"
    );
    let filed = site
        .post_multipart(
            &clerk,
            &format!("/apply/{STALL}"),
            &[
                ("kind", "person"),
                ("name", "林晓梅"),
                ("id_number", APPLICANT_ID),
                ("phone", "13805740000"),
                ("centre", "county-hall"),
                ("idempotency_key", "walkin0123456789abcdef"),
                ("walk_in_ticket", &ticket),
                ("walk_in_window", "01"),
            ],
            &[
                FilePart {
                    field: "file_M01",
                    file_name: "申请书.pdf",
                    bytes: PDF,
                },
                FilePart {
                    field: "file_M02",
                    file_name: "健康证明.pdf",
                    bytes: PDF,
                },
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let back = filed.location().expect("back to the panel").to_string();
    assert!(back.starts_with("/window/queue?"), "{back}");
    let number = query_value(&back, "case").to_string();
    let clerk_actor = actor(&site, "clerk", "chuangkou-2026").await;
    let detail = site
        .service
        .case(&clerk_actor, &number)
        .await
        .expect("case");
    assert_eq!(detail.case.channel, Channel::Window);
    assert_eq!(detail.case.centre, "county-hall");
    let panel = site.get(&clerk, &back).await;
    assert!(
        panel.body.contains(&format!(">{number}</textarea>")),
        "the serve form names the new case: {}",
        panel.body
    );

    // Serving the ticket records the visit on the case, from the ticket.
    let serve_path = format!("/window/queue/tickets/{ticket}/serve");
    let served = site
        .post_form(
            &clerk,
            &serve_path,
            &[
                ("centre", "county-hall"),
                ("window", "01"),
                ("id_number", APPLICANT_ID),
                ("name", "林晓梅"),
                ("cases", &number),
            ],
        )
        .await;
    assert_eq!(served.status, StatusCode::SEE_OTHER, "{}", served.body);
    assert_eq!(
        query_value(served.location().expect("panel"), "done"),
        "served"
    );
    let done = site
        .service
        .ticket("county-hall", &ticket)
        .await
        .expect("ticket");
    assert_eq!(done.state, TicketState::Served);
    let visits = site
        .service
        .case(&clerk_actor, &number)
        .await
        .expect("case")
        .case
        .visits;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].ticket.as_deref(), Some(ticket.as_str()));
    assert_eq!(visits[0].exception, None);

    // The same applicant comes again on a second ticket: the panel asks why, then and there.
    let (again, _) = kiosk_ticket(&site, "").await;
    site.post_form(
        &clerk,
        "/window/queue/call",
        &[("centre", "county-hall"), ("window", "01")],
    )
    .await;
    let refused = site
        .post_form(
            &clerk,
            &format!("/window/queue/tickets/{again}/serve"),
            &[
                ("centre", "county-hall"),
                ("window", "01"),
                ("id_number", APPLICANT_ID),
                ("cases", &number),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(&format!("办件 {number} 此前已来访过")),
        "{}",
        refused.body
    );
    let held = site
        .service
        .ticket("county-hall", &again)
        .await
        .expect("ticket");
    assert_eq!(held.state, TicketState::Called, "nothing changed");
}

/// The next event of a board's stream, as text.
async fn next(events: &mut axum::body::BodyDataStream) -> String {
    let frame = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("an event within 5 s")
        .expect("a frame")
        .expect("bytes");
    String::from_utf8_lossy(&frame).into_owned()
}

#[tokio::test]
async fn the_board_streams_each_call_as_an_event() {
    let site = site().await;
    let request = Request::get("/hall/county-hall/board/events")
        .body(Body::empty())
        .expect("request");
    let response = site.router.clone().oneshot(request).await.expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/event-stream")
    );
    let mut events = response.into_body().into_data_stream();
    let first = next(&mut events).await;
    assert!(first.starts_with("event: board"), "{first}");
    assert!(first.contains("\"calls\":[]"), "{first}");

    kiosk_ticket(&site, "").await;
    let waiting = next(&mut events).await;
    assert!(waiting.contains("\"waiting\":1"), "{waiting}");
    let clerk = site.login("clerk", "chuangkou-2026").await;
    site.post_form(
        &clerk,
        "/window/queue/call",
        &[("centre", "county-hall"), ("window", "01")],
    )
    .await;
    let called = next(&mut events).await;
    assert!(called.contains("\"number\":\"A001\""), "{called}");
    assert!(called.contains("请 A001 号到"), "{called}");

    let unknown = site
        .router
        .clone()
        .oneshot(
            Request::get("/hall/nowhere/board/events")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_closed_hall_takes_no_ticket_and_a_phone_ticket_needs_an_account() {
    let site = site().await;
    let anyone = Visitor::default();
    let phone = site.get(&anyone, "/hall/county-hall/take").await;
    assert_eq!(phone.status, StatusCode::SEE_OTHER, "to the login");
    let citizen = site.login("citizen", "shimin-2026").await;
    let form = site.get(&citizen, "/hall/county-hall/take").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(zh("queue-phone-identity")));
    let taken = site
        .post_form(&citizen, "/hall/county-hall/take", &[("business", "")])
        .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.body);

    // 18:30: after hours.
    site.clock
        .advance(chrono::Duration::hours(9) + chrono::Duration::minutes(30));
    let closed = site
        .post_form(&anyone, "/hall/county-hall/kiosk", &[("business", "")])
        .await;
    assert_eq!(closed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        closed.body.contains("工作日 08:30–17:00 取号"),
        "{}",
        closed.body
    );
    let today = site
        .service
        .tickets_today("county-hall")
        .await
        .expect("tickets");
    assert_eq!(today.len(), 1);
}

#[tokio::test]
async fn a_visit_is_typed_in_only_as_a_marked_exception() {
    let site = site().await;
    let clerk = site.login("clerk", "chuangkou-2026").await;
    let index = site.get(&Visitor::default(), "/hall").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.body.contains("/hall/county-hall/kiosk"));
    assert!(
        !index.body.contains("/hall/village-"),
        "village points take no tickets"
    );
    let clerk_actor = actor(&site, "clerk", "chuangkou-2026").await;
    let case = site
        .service
        .submit_case(
            &clerk_actor,
            SubmitCase {
                item_code: STALL.into(),
                applicant: Applicant {
                    kind: ApplicantKind::Person,
                    name: "林晓梅".into(),
                    id_number: APPLICANT_ID.into(),
                    phone: None,
                },
                channel: Channel::Window,
                centre: "county-hall".into(),
                materials: vec!["M01".into(), "M02".into()],
                commitments: Vec::new(),
            },
            None,
        )
        .await
        .expect("filed")
        .case;
    let path = format!("/window/cases/{}/record-visit", case.number);
    let version = case.version.to_string();
    let refused = site
        .post_form(&clerk, &path, &[("version", &version), ("purpose", "咨询")])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains(zh("queue-error-visit-exception")));
    let typed = site
        .post_form(
            &clerk,
            &path,
            &[
                ("version", &version),
                ("purpose", "咨询"),
                ("exception", "home_visit"),
                ("extra_visit_reason", "上门核验"),
            ],
        )
        .await;
    assert_eq!(typed.status, StatusCode::SEE_OTHER, "{}", typed.body);
    let page = site
        .get(&clerk, &format!("/window/cases/{}", case.number))
        .await;
    assert!(page.body.contains("补录：上门服务"), "{}", page.body);
}

#[tokio::test]
async fn the_supervisor_sees_long_waits_and_times_and_a_clerk_only_their_hall() {
    let site = site().await;
    let clerk = site.login("clerk", "chuangkou-2026").await;
    kiosk_ticket(&site, "").await;
    kiosk_ticket(&site, "").await;
    site.post_form(
        &clerk,
        "/window/queue/call",
        &[("centre", "county-hall"), ("window", "01")],
    )
    .await;
    site.clock.advance(chrono::Duration::minutes(45));
    let supervisor = site.login("supervisor", "jiancha-2026").await;
    let page = site
        .get(&supervisor, "/monitor/hall?centre=county-hall")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"times-window\""), "{}", page.body);
    assert!(
        page.body.contains("A002"),
        "the ticket waiting 45 minutes: {}",
        page.body
    );
    assert!(page.body.contains("id=\"repeat-visits\""));
    let bad = site
        .get(
            &supervisor,
            "/monitor/hall?centre=county-hall&from=2026-12-09&to=2026-11-01",
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains(zh("queue-report-error-period")));
    let mine = site.get(&clerk, "/monitor/hall").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(
        !mine.body.contains("id=\"repeat-visits\""),
        "the follow-up is the supervisors'"
    );
    assert!(
        !mine.body.contains("township-"),
        "a clerk sees their own hall only"
    );
    let citizen = site.login("citizen", "shimin-2026").await;
    let refused = site.get(&citizen, "/monitor/hall").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_imports_centres_and_windows_as_csv() {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let bad = site
        .post_form(
            &admin,
            "/admin/hall/import",
            &[
                ("document", ""),
                (
                    "centres_csv",
                    "code,name,level\ntownship-new,新镇中心,province\n",
                ),
                ("windows_csv", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("第 2 行无法读取"), "{}", bad.body);
    assert!(
        site.service
            .centre("township-new")
            .await
            .expect("read")
            .is_none()
    );
    let done = site
        .post_form(
            &admin,
            "/admin/hall/import",
            &[
                ("document", ""),
                (
                    "centres_csv",
                    "code,name,level,parent,division\ntownship-new,新镇便民服务中心,township,county-hall,330226100\n",
                ),
                (
                    "windows_csv",
                    "centre,code,name,kind,departments\ntownship-new,01,便民窗口 01,comprehensive,\n",
                ),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let hall = site.get(&Visitor::default(), "/hall").await;
    assert!(hall.body.contains("新镇便民服务中心"));
    let kiosk = site
        .get(&Visitor::default(), "/hall/township-new/kiosk")
        .await;
    assert!(kiosk.body.contains(zh("queue-business-general")));
}
