//! The hall's queue through the API on a real store (SQLite, or PostgreSQL with
//! ONEWINDOW_TEST_POSTGRES): tickets from a phone and the kiosk, refused when wrong; windows
//! calling together never share a ticket; priority for the elderly; recall, transfer, no-show;
//! a served ticket records the visit on the applicant's case, and a second visit asks why; the
//! display board says the called numbers.

use onewindow_app::messages::MessagingConfig;
use onewindow_testkit::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::messages::app_with;

const HALL: &str = "/api/v1/hall/county-hall";
/// The citizen of the demo: 林晓梅.
const CITIZEN_ID: &str = "330226198806150022";
/// Born on 31 December 1949: 76 on the test's day.
const ELDERLY_ID: &str = "11010519491231002X";

async fn take(app: &TestApp, business: &str, id: Option<&str>) -> (StatusCode, Value) {
    app.send(
        "citizen",
        Method::POST,
        &format!("{HALL}/tickets"),
        Some(json!({"business": business, "source": "phone", "id_number": id})),
        None,
    )
    .await
}

async fn at_window(
    app: &TestApp,
    window: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.send(
        "clerk",
        Method::POST,
        &format!("{HALL}/windows/{window}{path}"),
        body,
        None,
    )
    .await
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

#[tokio::test]
async fn windows_calling_together_never_share_a_ticket_and_the_elderly_go_first() {
    let app = app_with("queue-calls", MessagingConfig::default()).await;
    // Bad input: a clear refusal naming the field, nothing taken.
    let (status, problem) = take(&app, "NOPE", Some("123")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["business", "id_number"]);
    let (status, _) = app
        .send(
            "citizen",
            Method::POST,
            "/api/v1/hall/nowhere/tickets",
            Some(json!({"business": "", "source": "kiosk"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, first) = take(&app, "", None).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["number"], "A001");
    assert_eq!(first["priority"], 0);
    let (_, market) = take(&app, "SCJGJ", None).await;
    assert_eq!(market["number"], "B001");
    let (_, elderly) = take(&app, "", Some(ELDERLY_ID)).await;
    assert_eq!(elderly["number"], "A002");
    assert_eq!(elderly["priority"], 1);

    // A comprehensive window calls the elderly applicant first, though the other came earlier.
    let (status, called) = at_window(&app, "01", "/call", None).await;
    assert_eq!(status, StatusCode::OK, "{called}");
    assert_eq!(called["number"], "A002");
    assert_eq!(called["window"], "01");
    // A citizen is no clerk: no calling.
    let (status, _) = app
        .send(
            "citizen",
            Method::POST,
            &format!("{HALL}/windows/02/call"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Thirty more tickets, then eleven windows calling at once until nobody waits: every ticket
    // called exactly once.
    for _ in 0..30 {
        let (status, _) = take(&app, "", None).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let windows: Vec<String> = (1..=11).map(|n| format!("{n:02}")).collect();
    let mut numbers = Vec::new();
    loop {
        let calls =
            futures::future::join_all(windows.iter().map(|w| at_window(&app, w, "/call", None)))
                .await;
        let mut any = false;
        for (status, ticket) in calls {
            if status == StatusCode::OK {
                any = true;
                numbers.push(ticket["number"].as_str().expect("number").to_string());
            } else {
                assert_eq!(status, StatusCode::NO_CONTENT, "{ticket}");
            }
        }
        if !any {
            break;
        }
    }
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        numbers.len(),
        "a ticket was called twice: {numbers:?}"
    );
    // A001, B001 (a comprehensive window serves every business) and the thirty.
    assert_eq!(numbers.len(), 32);

    // The board says the calls, numbers and windows only.
    let (status, board) = app.get("citizen", &format!("{HALL}/board")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(board["waiting"], 0);
    let calls = board["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), 8);
    assert!(
        calls[0]["speech"]
            .as_str()
            .expect("speech")
            .starts_with("请 ")
    );
    assert!(!board.to_string().contains(CITIZEN_ID));
}

#[tokio::test]
async fn a_served_ticket_records_the_visit_and_a_second_one_asks_why() {
    let app = app_with("queue-visits", MessagingConfig::default()).await;
    let (status, case) = app
        .send(
            "citizen",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "item_code": "1133022625630452684010402200100",
                "applicant": {"kind": "person", "name": "林晓梅", "id_number": CITIZEN_ID},
                "channel": "online",
                "centre": "county-hall",
                "materials": ["M01", "M02"],
            })),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let number = case["number"].as_str().expect("number").to_string();

    let (_, ticket) = take(&app, "", Some(CITIZEN_ID)).await;
    let id = ticket["id"].as_str().expect("id").to_string();
    let (_, called) = at_window(&app, "03", "/call", None).await;
    assert_eq!(called["id"], id.as_str());
    // Recall, then a wrong identity and a case of someone else: refused, nothing written.
    let (status, recalled) = at_window(&app, "03", &format!("/tickets/{id}/recall"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(recalled["calls"], 2);
    let (status, problem) = at_window(
        &app,
        "03",
        &format!("/tickets/{id}/serve"),
        Some(json!({"id_number": "330226198806150023", "cases": []})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["id_number"]);
    let (status, problem) = at_window(
        &app,
        "03",
        &format!("/tickets/{id}/serve"),
        Some(json!({"id_number": ELDERLY_ID, "cases": [{"case": number}]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["cases[0].case"]);
    // Another window does not hold it.
    let (status, _) = at_window(
        &app,
        "04",
        &format!("/tickets/{id}/serve"),
        Some(json!({"id_number": CITIZEN_ID, "cases": [{"case": number}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, served) = at_window(
        &app,
        "03",
        &format!("/tickets/{id}/serve"),
        Some(json!({"id_number": CITIZEN_ID, "name": "林晓梅", "cases": [{"case": number}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{served}");
    assert_eq!(served["state"], "served");
    let (_, after) = app.get("clerk", &format!("/api/v1/cases/{number}")).await;
    let visits = after["case"]["visits"].as_array().expect("visits");
    assert_eq!(visits.len(), 1, "{after}");
    assert!(
        visits[0]["purpose"]
            .as_str()
            .expect("purpose")
            .contains("A001")
    );

    // A second visit for the same case: the clerk must say why, then and there.
    let (_, again) = take(&app, "", Some(CITIZEN_ID)).await;
    let again_id = again["id"].as_str().expect("id").to_string();
    at_window(&app, "03", "/call", None).await;
    let (status, problem) = at_window(
        &app,
        "03",
        &format!("/tickets/{again_id}/serve"),
        Some(json!({"id_number": CITIZEN_ID, "cases": [{"case": number}]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["cases[0].extra_visit_reason"]);
    let (_, held) = app
        .get("clerk", &format!("{HALL}/windows/03/tickets"))
        .await;
    assert_eq!(held.as_array().map(Vec::len), Some(1), "still held: {held}");
    let (status, _) = at_window(
        &app,
        "03",
        &format!("/tickets/{again_id}/serve"),
        Some(json!({"id_number": CITIZEN_ID, "cases": [{"case": number, "extra_visit_reason": "原件遗漏，补交营业执照原件"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, after) = app.get("clerk", &format!("/api/v1/cases/{number}")).await;
    assert_eq!(after["case"]["visits"].as_array().map(Vec::len), Some(2));

    // Transfer and no-show.
    let (_, third) = take(&app, "", None).await;
    let third_id = third["id"].as_str().expect("id").to_string();
    at_window(&app, "03", "/call", None).await;
    let (status, moved) = at_window(
        &app,
        "03",
        &format!("/tickets/{third_id}/transfer"),
        Some(json!({"business": "SCJGJ"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        (moved["state"].as_str(), moved["business"].as_str()),
        (Some("waiting"), Some("SCJGJ"))
    );
    let (_, hall) = app.get("clerk", "/api/v1/hall").await;
    let market_window = hall["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .find(|w| {
            w["centre"] == "county-hall"
                && w["kind"] == "departmental"
                && w["departments"][0] == "SCJGJ"
        })
        .and_then(|w| w["code"].as_str())
        .expect("the market regulator's window")
        .to_string();
    let market_window = market_window.as_str();
    let (status, called) = at_window(&app, market_window, "/call", None).await;
    assert_eq!(status, StatusCode::OK, "{called}");
    assert_eq!(called["id"], third_id.as_str());
    let (status, gone) = at_window(
        &app,
        market_window,
        &format!("/tickets/{third_id}/no-show"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gone["state"], "no_show");

    // The hall's own records: times by window, and the alert of a ticket waiting too long.
    let (_, waiting) = take(&app, "", None).await;
    app.clock.advance(chrono::Duration::minutes(31));
    let (status, report) = app.get("supervisor", &format!("{HALL}/queue-times")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let window_03 = report["by_window"]
        .as_array()
        .expect("by window")
        .iter()
        .find(|w| w["key"] == "03")
        .cloned()
        .expect("window 03");
    assert_eq!(window_03["served"], 2, "{report}");
    assert_eq!(report["wait_alert_minutes"], 30);
    let long = report["long_waits"].as_array().expect("long waits");
    assert_eq!(long.len(), 1, "{report}");
    assert_eq!(long[0]["number"], waiting["number"]);
    let (status, _) = app.get("citizen", &format!("{HALL}/queue-times")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .get(
            "supervisor",
            &format!("{HALL}/queue-times?from=2026-12-08&to=2026-12-01"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // At most once, followed up: the case visited twice, with the reason and the window.
    let (status, repeat) = app
        .get("supervisor", "/api/v1/statistics/repeat-visits")
        .await;
    assert_eq!(status, StatusCode::OK, "{repeat}");
    let cases = repeat["cases"].as_array().expect("cases");
    let ours = cases
        .iter()
        .find(|c| c["number"] == number.as_str())
        .expect("the case visited twice");
    assert_eq!(ours["visits"][1]["window"], "03");
    assert_eq!(
        ours["visits"][1]["extra_visit_reason"],
        "原件遗漏，补交营业执照原件"
    );
    assert!(
        repeat["by_window"]
            .as_array()
            .expect("by window")
            .iter()
            .any(|w| w["key"] == "county-hall/03" && w["cases"].as_u64() >= Some(1)),
        "{repeat}"
    );
    let (status, _) = app.get("clerk", "/api/v1/statistics/repeat-visits").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_kiosk_number_proves_no_identity_and_a_ticket_left_waiting_is_not_called_next_day() {
    let app = app_with("queue-days", MessagingConfig::default()).await;
    let (status, case) = app
        .send(
            "citizen",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "item_code": "1133022625630452684010402200100",
                "applicant": {"kind": "person", "name": "林晓梅", "id_number": CITIZEN_ID},
                "channel": "online",
                "centre": "county-hall",
                "materials": ["M01", "M02"],
            })),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    // Someone at the kiosk types the citizen's number: it is not a check-in.
    let (_, ticket) = app
        .send(
            "citizen",
            Method::POST,
            &format!("{HALL}/tickets"),
            Some(json!({"business": "", "source": "kiosk", "id_number": CITIZEN_ID})),
            None,
        )
        .await;
    let id = ticket["id"].as_str().expect("id").to_string();
    at_window(&app, "03", "/call", None).await;
    let (status, problem) = at_window(
        &app,
        "03",
        &format!("/tickets/{id}/serve"),
        Some(json!({"cases": [{"case": case["number"]}]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        ["id_number"],
        "an online case gives no identity"
    );
    let (_, after) = app
        .get(
            "clerk",
            &format!(
                "/api/v1/cases/{}",
                case["number"].as_str().unwrap_or_default()
            ),
        )
        .await;
    assert_eq!(after["case"]["visits"].as_array().map(Vec::len), Some(0));

    // A ticket still waiting at closing is not called the next working day.
    take(&app, "", None).await;
    app.at(chrono::NaiveDate::from_ymd_opt(2026, 12, 8).expect("date"));
    let (status, _) = at_window(&app, "03", "/call", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, board) = app.get("citizen", &format!("{HALL}/board")).await;
    assert_eq!(board["waiting"], 0);
}
