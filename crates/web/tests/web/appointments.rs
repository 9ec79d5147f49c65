//! Appointments (预约) through the API on a real store (SQLite, or PostgreSQL with
//! ONEWINDOW_TEST_POSTGRES), on Monday 7 December 2026 from 09:00: the slots of a day with their
//! places; booking until a slot is full, refused then (422, nothing written), on a non-working
//! day and for a wrong field; cancelling frees the place, and so does missing the check-in; the
//! check-in at the kiosk issues a `Y` ticket that a window calls before earlier `A` tickets, and
//! refuses an identity number that is none. On PostgreSQL, two nodes booking the last places of
//! a slot at once never book more than it holds.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use onewindow_app::appointments::BookAppointment;
use onewindow_app::messages::MessagingConfig;
use onewindow_app::{Actor, ManualClock, Service};
use onewindow_domain::calendar::Calendar;
use onewindow_store::Store;
use onewindow_testkit::{TestApp, fresh_store_url, postgres_base};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::messages::app_with;

/// A township's centre with two comprehensive windows: 4 places a slot.
const TOWNSHIP: &str = "township-qiantong";
const TOMORROW: &str = "2026-12-08";
const TODAY: &str = "2026-12-07";
const SATURDAY: &str = "2026-12-12";
/// The citizen of the demo: 林晓梅.
const CITIZEN_ID: &str = "330226198806150022";

/// A valid resident identity number (GB 11643) of someone born on 1 January 1980, the `n`th.
fn resident(n: u32) -> String {
    let body = format!("330226198001010{n:02}");
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(weights)
        .map(|(c, w)| c.to_digit(10).expect("a digit") * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

async fn app(label: &str) -> TestApp {
    let mut app = app_with(label, MessagingConfig::default()).await;
    let (name, token) = app.token_of("agent", "daiban-2026").await;
    app.tokens.insert(name, token);
    app
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn book(app: &TestApp, who: &str, centre: &str, body: Value) -> (StatusCode, Value) {
    app.send(
        who,
        Method::POST,
        &format!("/api/v1/hall/{centre}/appointments"),
        Some(body),
        None,
    )
    .await
}

/// The agent books `slot` of `day` at the township for the `n`th applicant.
async fn book_for(app: &TestApp, day: &str, slot: &str, n: u32) -> (StatusCode, Value) {
    book(
        app,
        "agent",
        TOWNSHIP,
        json!({"day": day, "slot": slot, "business": "", "name": format!("申请人{n}"),
               "id_number": resident(n)}),
    )
    .await
}

/// The places left in `slot` of `day` at `centre` for general business.
async fn left(app: &TestApp, centre: &str, day: &str, slot: &str) -> (u64, bool) {
    let (status, slots) = app
        .get(
            "citizen",
            &format!("/api/v1/hall/{centre}/appointment-slots?business=&day={day}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{slots}");
    let found = slots["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .find(|s| s["slot"] == slot)
        .unwrap_or_else(|| panic!("no slot {slot}: {slots}"))
        .clone();
    (
        found["left"].as_u64().expect("left"),
        found["open"].as_bool().expect("open"),
    )
}

async fn cancel(app: &TestApp, who: &str, id: &str) -> (StatusCode, Value) {
    app.send(
        who,
        Method::POST,
        &format!("/api/v1/my/appointments/{id}/cancel"),
        None,
        None,
    )
    .await
}

async fn check_in(app: &TestApp, who: &str, centre: &str, body: Value) -> (StatusCode, Value) {
    app.send(
        who,
        Method::POST,
        &format!("/api/v1/hall/{centre}/appointments/check-in"),
        Some(body),
        None,
    )
    .await
}

#[tokio::test]
async fn a_full_slot_refuses_until_a_cancellation_frees_a_place() {
    let app = app("appointments-full").await;
    let (status, slots) = app
        .get(
            "citizen",
            &format!("/api/v1/hall/{TOWNSHIP}/appointment-slots?business=&day={TOMORROW}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{slots}");
    assert_eq!(slots["pool"], "comprehensive");
    assert_eq!(slots["windows"], 2);
    let all = slots["slots"].as_array().expect("slots");
    assert_eq!(all.len(), 17, "08:30–17:00 in half hours");
    assert_eq!(
        (all[0]["slot"].as_str(), all[0]["places"].as_u64()),
        (Some("08:30"), Some(4))
    );

    // Bad input: a clear refusal naming the field.
    let (status, problem) = app
        .get(
            "citizen",
            &format!("/api/v1/hall/{TOWNSHIP}/appointment-slots?business=NOPE&day={SATURDAY}"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["day", "business"]);
    let (status, _) = app
        .get(
            "citizen",
            &format!("/api/v1/hall/nowhere/appointment-slots?day={TOMORROW}"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for n in 1..=4 {
        let (status, booked) = book_for(&app, TOMORROW, "10:00", n).await;
        assert_eq!(status, StatusCode::CREATED, "{booked}");
        assert_eq!(booked["state"], "booked");
        assert_eq!(booked["slot_ends"], "10:30");
        assert_eq!(booked["booked_by"], "agent");
        assert!(
            !booked.to_string().contains(&resident(n)),
            "the identity leaves masked: {booked}"
        );
    }
    assert_eq!(left(&app, TOWNSHIP, TOMORROW, "10:00").await, (0, true));

    // The fifth: refused on `slot`, nothing written.
    let (status, problem) = book_for(&app, TOMORROW, "10:00", 5).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["slot"]);
    assert!(problem["detail"].as_str().expect("detail").contains("full"));
    let (_, mine) = app.get("agent", "/api/v1/my/appointments").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(4), "{mine}");

    // A non-working day, a slot that is none, the same applicant twice a day, an applicant
    // naming someone else, an agent naming nobody, staff: each refused.
    let (status, problem) = book_for(&app, SATURDAY, "10:00", 5).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["day"]);
    let (status, problem) = book_for(&app, TOMORROW, "10:10", 5).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["slot"]);
    let (status, problem) = book_for(&app, TOMORROW, "11:00", 1).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["day"]);
    let (status, problem) = book(
        &app,
        "citizen",
        TOWNSHIP,
        json!({"day": TOMORROW, "slot": "11:00", "id_number": resident(6)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["id_number"]);
    let (status, problem) = book(
        &app,
        "agent",
        TOWNSHIP,
        json!({"day": TOMORROW, "slot": "11:00", "name": "无名"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["id_number"]);
    let (status, _) = book(
        &app,
        "clerk",
        TOWNSHIP,
        json!({"day": TOMORROW, "slot": "11:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = book(
        &app,
        "citizen",
        "nowhere",
        json!({"day": TOMORROW, "slot": "11:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Cancelling frees the place: only its booker, only once.
    let first = mine[0]["id"].as_str().expect("id").to_string();
    let (status, _) = cancel(&app, "citizen", &first).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = cancel(&app, "agent", "no-such-appointment").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, cancelled) = cancel(&app, "agent", &first).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    let (status, _) = cancel(&app, "agent", &first).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(left(&app, TOWNSHIP, TOMORROW, "10:00").await, (1, true));
    let (status, booked) = book_for(&app, TOMORROW, "10:00", 5).await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(left(&app, TOWNSHIP, TOMORROW, "10:00").await, (0, true));

    // Each booking and the cancellation are in the audit trail; the refused cancellation too.
    let (_, audit) = app
        .get("supervisor", "/api/v1/audit?action=appointment.&limit=50")
        .await;
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default(),
                e["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        actions.iter().filter(|a| a.0 == "appointment.book").count(),
        5,
        "{actions:?}"
    );
    assert!(
        actions.contains(&("appointment.cancel", "success")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("appointment.cancel", "denied")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_missed_appointment_frees_its_place() {
    let app = app("appointments-missed").await;
    // Today at 09:00: the 10:00 slot filled.
    for n in 1..=4 {
        let (status, booked) = book_for(&app, TODAY, "10:00", n).await;
        assert_eq!(status, StatusCode::CREATED, "{booked}");
    }
    let (status, _) = book_for(&app, TODAY, "10:00", 5).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nobody came: at 10:16 the four are missed and their places free until the slot ends.
    app.clock.advance(Duration::minutes(76));
    assert_eq!(left(&app, TOWNSHIP, TODAY, "10:00").await, (4, true));
    let (_, mine) = app.get("agent", "/api/v1/my/appointments").await;
    let states: Vec<&str> = mine
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["missed"; 4]);
    let missed = mine[0]["id"].as_str().expect("id").to_string();
    let (status, _) = cancel(&app, "agent", &missed).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a missed appointment is not cancelled"
    );
    let (status, _) = check_in(&app, "agent", TOWNSHIP, json!({"id": missed})).await;
    assert_eq!(status, StatusCode::CONFLICT, "nor checked in");
    // The late booking is checked in within the grace from its booking.
    let (status, late) = book_for(&app, TODAY, "10:00", 5).await;
    assert_eq!(status, StatusCode::CREATED, "{late}");
    assert_eq!(left(&app, TOWNSHIP, TODAY, "10:00").await, (3, true));
    // An ended slot is closed.
    let (status, problem) = book_for(&app, TODAY, "09:30", 6).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["slot"]);
    assert_eq!(left(&app, TOWNSHIP, TODAY, "09:30").await, (4, false));
}

#[tokio::test]
async fn the_check_in_issues_a_y_ticket_called_before_earlier_a_tickets() {
    let app = app("appointments-check-in").await;
    let (status, booked) = book(
        &app,
        "citizen",
        "county-hall",
        json!({"day": TODAY, "slot": "10:00", "phone": "13800000000"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["name"], "林晓梅", "the account's name");
    assert_eq!(booked["phone"], "138****0000");
    let id = booked["id"].as_str().expect("id").to_string();

    // Too early at 09:00: the check-in opens at 09:30.
    let (status, problem) = check_in(&app, "citizen", "county-hall", json!({"id": id})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["id"]);

    // Two ordinary tickets taken meanwhile.
    for who in ["enterprise", "citizen"] {
        let (status, ticket) = app
            .send(
                who,
                Method::POST,
                "/api/v1/hall/county-hall/tickets",
                Some(json!({"business": "", "source": "phone"})),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
    }
    app.clock.advance(Duration::minutes(40));

    // An identity number that is none: refused, nothing issued.
    let (status, problem) = check_in(
        &app,
        "citizen",
        "county-hall",
        json!({"id_number": "330226198806150023"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["id_number"]);
    let (status, problem) = check_in(&app, "citizen", "county-hall", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["id"]);
    // No appointment of this identity today; another's appointment; another centre.
    let (status, _) = check_in(
        &app,
        "clerk",
        "county-hall",
        json!({"id_number": resident(1)}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = check_in(&app, "enterprise", "county-hall", json!({"id": id})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = check_in(&app, "citizen", TOWNSHIP, json!({"id": id})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["id"]);

    // By the identity card at 09:40: a Y ticket with priority.
    let (status, checked) = check_in(
        &app,
        "citizen",
        "county-hall",
        json!({"id_number": CITIZEN_ID}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{checked}");
    assert_eq!(checked["ticket"]["number"], "Y001");
    assert_eq!(checked["ticket"]["source"], "appointment");
    assert_eq!(checked["ticket"]["priority"], 1);
    assert_eq!(checked["appointment"]["state"], "checked_in");
    assert_eq!(checked["appointment"]["ticket"], checked["ticket"]["id"]);
    assert!(
        !checked.to_string().contains(CITIZEN_ID),
        "masked: {checked}"
    );
    let (status, _) = check_in(&app, "citizen", "county-hall", json!({"id": id})).await;
    assert_eq!(status, StatusCode::CONFLICT, "checked in once");
    let (status, _) = cancel(&app, "citizen", &id).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a checked-in one is not cancelled"
    );

    // The window calls the appointment first, then the ordinary tickets in their order.
    let mut called = Vec::new();
    for _ in 0..3 {
        let (status, ticket) = app
            .send(
                "clerk",
                Method::POST,
                "/api/v1/hall/county-hall/windows/01/call",
                None,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{ticket}");
        called.push(ticket["number"].as_str().expect("number").to_string());
    }
    assert_eq!(called, ["Y001", "A001", "A002"]);
    let (_, mine) = app.get("citizen", "/api/v1/my/appointments").await;
    assert_eq!(mine[0]["state"], "checked_in");
}

/// Two nodes of one PostgreSQL store book the last places of a slot at the same instant, round
/// after round: the slot never holds more than its places, and every refusal is a full slot.
#[tokio::test]
async fn two_nodes_booking_at_once_never_overbook_a_slot() {
    if postgres_base().is_none() {
        eprintln!("SKIPPED: races between nodes run on PostgreSQL (ONEWINDOW_TEST_POSTGRES)");
        return;
    }
    let (url, _dir) = fresh_store_url("appointment-races").await;
    let clock = Arc::new(ManualClock::at_local_morning(
        NaiveDate::from_ymd_opt(2026, 12, 7).expect("a day"),
    ));
    let a = Service::new(
        Store::open(&url).await.expect("node a"),
        Calendar::prc(),
        clock.clone(),
        "330226",
    );
    a.seed_demo(0).await.expect("catalogue and hall");
    a.seed_demo_accounts().await.expect("accounts");
    let b = Service::new(
        Store::open(&url).await.expect("node b"),
        Calendar::prc(),
        clock,
        "330226",
    );
    let grant = a
        .login("agent", "daiban-2026", "test")
        .await
        .expect("login");
    let agent = Actor::new(grant.principal, "test");
    let request = |n: u32, slot: &str| BookAppointment {
        day: NaiveDate::from_ymd_opt(2026, 12, 8).expect("a day"),
        slot: slot.into(),
        business: String::new(),
        name: format!("申请人{n}"),
        phone: String::new(),
        id_number: Some(resident(n)),
    };
    let slots = ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00"];
    for (round, slot) in slots.iter().enumerate() {
        let base = u32::try_from(round).expect("small") * 10;
        // Eight applicants at once, four on each node, for four places.
        let bookings = (0..8).map(|i| {
            let node = if i % 2 == 0 { a.clone() } else { b.clone() };
            let agent = agent.clone();
            let request = request(base + i, slot);
            async move { node.book_appointment(&agent, TOWNSHIP, request).await }
        });
        let results = futures::future::join_all(bookings).await;
        let mut booked = 0;
        for result in results {
            match result {
                Ok(_) => booked += 1,
                Err(onewindow_app::AppError::Invalid(errors)) => {
                    assert_eq!(errors[0].field, "slot", "{errors:?}");
                    assert!(errors[0].reason.contains("full"), "{errors:?}");
                }
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        assert_eq!(booked, 4, "round {round}: exactly the slot's places");
        let day = NaiveDate::from_ymd_opt(2026, 12, 8).expect("a day");
        let held = a
            .appointment_slots(TOWNSHIP, "", day)
            .await
            .expect("slots")
            .slots
            .into_iter()
            .find(|s| s.slot == *slot)
            .expect("the slot");
        assert_eq!((held.booked, held.left), (4, 0), "round {round}");
    }
}
