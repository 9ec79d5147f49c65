//! Delivery through the API on a real store (SQLite, or PostgreSQL with ONEWINDOW_TEST_POSTGRES):
//! the applicant chooses express delivery under the agreement, the window posts the result, a
//! test courier reports through the signed webhook (a wrong signature, a stale one and an
//! unknown waybill refused and audited), a returned parcel is posted again and the signature
//! delivers the case; at the window the clerk records who took the result; the period counts
//! deliveries by method.

use onewindow_app::Actor;
use onewindow_app::clock::Clock;
use onewindow_app::delivery::webhook_signature;
use onewindow_testkit::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::licences::{app, granted_case};

/// The test courier: sends a report signed with `secret` at `timestamp` (Unix seconds).
async fn courier_sends(
    app: &TestApp,
    secret: &str,
    timestamp: i64,
    body: &Value,
) -> (StatusCode, Value) {
    let body = body.to_string();
    let timestamp = timestamp.to_string();
    let signature = format!(
        "sha256={}",
        webhook_signature(secret, &timestamp, body.as_bytes())
    );
    let response = app
        .http
        .post(format!("{}/api/v1/couriers/testpost/reports", app.url))
        .header("content-type", "application/json")
        .header("x-onewindow-timestamp", &timestamp)
        .header("x-onewindow-signature", signature)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn express() -> Value {
    json!({
        "method": "express",
        "recipient": {"name": "王小明", "phone": "13800000000", "address": "浙江省宁波市宁海县跃龙街道兴宁中路 88 号"},
        "agreement": "2026-12"
    })
}

async fn case_status(app: &TestApp, id: &str) -> Value {
    let (status, detail) = app.get("enterprise", &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail["case"].clone()
}

#[tokio::test]
async fn a_posted_result_is_followed_through_the_couriers_signed_reports_and_delivered_on_signature()
 {
    let app = app().await;
    let secret = app
        .service
        .add_courier(&Actor::command_line("test"), "testpost", "测试快递")
        .await
        .expect("a courier");
    let case = granted_case(&app).await;
    let id = case["id"].as_str().expect("id").to_string();
    let delivery = format!("/api/v1/cases/{id}/delivery");

    // Bad input is named field by field, and nothing is chosen.
    let (status, problem) = app
        .send(
            "enterprise",
            Method::PUT,
            &delivery,
            Some(json!({
                "method": "express",
                "recipient": {"name": "王小明", "phone": "123", "address": "宁海"},
                "agreement": "2020-1"
            })),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["recipient.phone", "recipient.address", "agreement"],
        "{problem}"
    );
    let (status, view) = app
        .send("enterprise", Method::PUT, &delivery, Some(express()), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["delivery"]["choice"]["method"], "express");
    assert_eq!(
        view["delivery"]["choice"]["recipient"]["phone"],
        "13800000000"
    );
    // The department sees the address, the phone number masked (the window's clerk of the demo
    // may reveal personal data).
    let (_, seen) = app.get("reviewer", &delivery).await;
    assert_ne!(
        seen["delivery"]["choice"]["recipient"]["phone"],
        "13800000000"
    );

    // Posting is the window's or the department's, not the applicant's.
    let parcels = format!("/api/v1/cases/{id}/parcels");
    let (status, _) = app
        .send(
            "enterprise",
            Method::POST,
            &parcels,
            Some(json!({"courier": "testpost", "waybill": "TP1234567890"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, posted) = app
        .send(
            "clerk",
            Method::POST,
            &parcels,
            Some(json!({"courier": "testpost", "waybill": "TP1234567890"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{posted}");
    assert_eq!(posted["delivery"]["parcels"][0]["state"], "in_transit");
    assert_eq!(
        posted["delivery"]["parcels"][0]["payer"],
        case["department"]
    );

    let now = app.clock.now().timestamp();
    let signed = json!({"waybill": "TP1234567890", "state": "signed", "signed_by": "王小明"});
    // A wrong secret, a stale timestamp, an unknown waybill: refused, audited, nothing changed.
    let (status, problem) = courier_sends(&app, "not-the-secret", now, &signed).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    let (status, _) = courier_sends(&app, &secret, now - 3600, &signed).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let unknown = json!({"waybill": "TP0000000000", "state": "signed", "signed_by": "x"});
    let (status, _) = courier_sends(&app, &secret, now, &unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(case_status(&app, &id).await["status"], "result_issued");
    let (_, audit) = app
        .get(
            "supervisor",
            "/api/v1/audit?action=delivery.courier-report&outcome=denied",
        )
        .await;
    assert_eq!(
        audit["items"].as_array().map(Vec::len),
        Some(3),
        "every refusal is audited: {audit}"
    );

    // Returned undelivered: the case waits; a repeated report changes nothing.
    let returned = json!({"waybill": "TP1234567890", "state": "returned", "reason": "查无此人"});
    let (status, answer) = courier_sends(&app, &secret, now, &returned).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["parcel_state"], "returned");
    let (_, again) = courier_sends(&app, &secret, now, &returned).await;
    assert_eq!(again["repeated"], true);
    assert_eq!(case_status(&app, &id).await["status"], "result_issued");
    let (status, problem) = courier_sends(&app, &secret, now, &signed).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // Re-delivery: posted again, scanned, signed for: delivered.
    let (status, _) = app
        .send(
            "clerk",
            Method::POST,
            &parcels,
            Some(json!({"courier": "testpost", "waybill": "TP2234567890"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let scan =
        json!({"waybill": "TP2234567890", "state": "in_transit", "note": "宁海营业部派送中"});
    let (status, _) = courier_sends(&app, &secret, now, &scan).await;
    assert_eq!(status, StatusCode::OK);
    let signed = json!({"waybill": "TP2234567890", "state": "signed", "signed_by": "王小明"});
    let (status, answer) = courier_sends(&app, &secret, now, &signed).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["delivered"], true);
    let delivered = case_status(&app, &id).await;
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(delivered["delivery"]["method"], "express");
    assert_eq!(delivered["delivery"]["tracking_number"], "TP2234567890");
    let (_, followed) = app.get("enterprise", &delivery).await;
    assert_eq!(
        followed["delivery"]["parcels"][1]["updates"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let today = app.clock.now().date_naive();
    let (status, counts) = app
        .get(
            "supervisor",
            &format!("/api/v1/statistics/deliveries?from={today}&to={today}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{counts}");
    assert_eq!(
        (counts["express"].as_u64(), counts["total"].as_u64()),
        (Some(1), Some(1))
    );
    let (status, _) = app
        .get(
            "enterprise",
            &format!("/api/v1/statistics/deliveries?from={today}&to={today}"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_window_hands_the_result_over_to_the_person_whose_identity_it_checked() {
    let app = app().await;
    let mut case = granted_case(&app).await;
    let id = case["id"].as_str().expect("id").to_string();
    let deliver = |body: Value, version: u64| {
        let app = &app;
        let id = id.clone();
        async move {
            app.send(
                "clerk",
                Method::POST,
                &format!("/api/v1/cases/{id}/deliver"),
                Some(body),
                Some(version),
            )
            .await
        }
    };
    let version = case["version"].as_u64().expect("version");
    let (status, problem) = deliver(json!({"delivery": {"method": "pickup"}}), version).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "collected_by");
    // An enterprise's result goes to a person it authorised, not to whoever shows a card.
    let (status, problem) = deliver(
        json!({"delivery": {"method": "pickup", "collected_by": {"name": "张三", "id_number": "330226198806150022"}}}),
        version,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "collected_by.authorised");
    // The applicant does not hand the result to themselves.
    let (status, _) = app
        .send(
            "enterprise",
            Method::POST,
            &format!("/api/v1/cases/{id}/deliver"),
            Some(json!({"delivery": {"method": "pickup", "collected_by": {"name": "张三", "id_number": "330226198806150022", "authorised": true, "authorisation": "授权委托书"}}})),
            Some(version),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, handed) = deliver(
        json!({"delivery": {"method": "pickup", "collected_by": {"name": "张三", "id_number": "330226198806150022", "authorised": true, "authorisation": "授权委托书 2026-12-07"}}}),
        version,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{handed}");
    case = handed;
    assert_eq!(case["status"], "delivered");
    let taken = &case["delivery"]["collected_by"];
    assert_eq!(taken["name"], "张三");
    assert_eq!(taken["id_number"], "3302**********0022");
    assert_eq!(taken["authorisation"], "授权委托书 2026-12-07");
    let today = app.clock.now().date_naive();
    let (_, counts) = app
        .get(
            "supervisor",
            &format!("/api/v1/statistics/deliveries?from={today}&to={today}"),
        )
        .await;
    assert_eq!(counts["pickup"], 1, "{counts}");
}

/// 办件查询: the receipt number and the applicant's name show the state and dates, nothing more;
/// a wrong name answers as an unknown number does; guessing names is stopped.
#[tokio::test]
async fn anyone_with_the_receipt_and_the_name_follows_the_case_and_nobody_can_guess_names() {
    let app = app().await;
    let case = granted_case(&app).await;
    let number = case["number"].as_str().expect("number").to_string();
    let ask = |name: &str, source: &str| {
        let body = json!({"number": number, "name": name});
        let request = app
            .http
            .post(format!("{}/api/v1/lookup", app.url))
            .header("x-forwarded-for", source)
            .json(&body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            let retry = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap_or_default().to_string());
            (
                status,
                retry,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, _, answer) = ask("宁海县跃龙小吃有限公司", "198.51.100.1").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "result_issued");
    assert_eq!(answer["approved"], true);
    let mut keys: Vec<&str> = answer
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "accepted_on",
            "approved",
            "closed_on",
            "decided_on",
            "due_on",
            "item_name",
            "number",
            "received_on",
            "status"
        ],
        "state and dates only"
    );
    let (status, _, wrong) = ask("别人", "198.51.100.2").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An unknown number answers the same: the answer tells nothing of which was wrong.
    let unknown: Value = app
        .http
        .post(format!("{}/api/v1/lookup", app.url))
        .header("x-forwarded-for", "198.51.100.2")
        .json(&json!({"number": "330226209901010000001", "name": "别人"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("a problem");
    assert_eq!(wrong["detail"], unknown["detail"]);
    let (status, _, problem) = ask("", "198.51.100.2").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "name");
    // Four more wrong names (five in all) from other addresses: the number is closed for an
    // hour, even to the right name.
    for i in 3..7 {
        let (status, _, _) = ask("别人", &format!("198.51.100.{i}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, retry, _) = ask("宁海县跃龙小吃有限公司", "198.51.100.9").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some_and(|s| s.parse::<i64>().is_ok_and(|n| n > 0)));
    // One address may ask ten times a minute, whatever it asks.
    let from_one_address = || {
        app.http
            .post(format!("{}/api/v1/lookup", app.url))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({"number": "330226209901010000002", "name": "x"}))
            .send()
    };
    for i in 1..=10 {
        let status = from_one_address().await.expect("request").status();
        assert_eq!(status, StatusCode::NOT_FOUND, "look-up {i}");
    }
    let status = from_one_address().await.expect("request").status();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the eleventh");

    // The page the receipt's QR code leads to: the number filled in, the name asked.
    let page = app
        .http
        .get(format!("{}/lookup?number={number}", app.url))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains(&format!("value=\"{number}\"")) && html.contains("办件查询"));
}

/// A refused case has no licence: its decision document is what is downloaded, and the first
/// download by the applicant delivers it.
#[tokio::test]
async fn a_refusal_is_delivered_by_downloading_its_decision_document() {
    use crate::licences::{FOOD_LICENCE_ITEM, act};
    let app = app().await;
    let (status, mut case) = app
        .send(
            "enterprise",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "item_code": FOOD_LICENCE_ITEM,
                "applicant": {"kind": "enterprise", "name": "宁海县跃龙小吃有限公司", "id_number": "91330226MA2DEMH01W"},
                "channel": "online",
                "centre": "county-hall",
                "materials": ["M01", "M02", "M03", "M04", "M05"]
            })),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().expect("id").to_string();
    let pdf = |who: &'static str| {
        let request = app
            .http
            .get(format!("{}/api/v1/cases/{id}/decision.pdf", app.url))
            .bearer_auth(&app.tokens[who]);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap_or_default().to_string());
            (status, kind, response.bytes().await.expect("body").to_vec())
        }
    };
    act(&app, "clerk", &mut case, "accept", json!({})).await;
    let (status, _, _) = pdf("enterprise").await;
    assert_eq!(status, StatusCode::CONFLICT, "no decision yet");
    crate::licences::review_decide_issue(&app, &mut case, false).await;
    // The department's own download delivers nothing.
    let (status, _, _) = pdf("reviewer").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case_status(&app, &id).await["status"], "result_issued");
    let (status, kind, bytes) = pdf("enterprise").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind.as_deref(), Some("application/pdf"));
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    let delivered = case_status(&app, &id).await;
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(delivered["delivery"]["method"], "online");
    if let Ok(path) = std::env::var("ONEWINDOW_KEEP_DECISION_PDF") {
        std::fs::write(path, &bytes).expect("kept");
    }
    if let Ok(text) = pdf_text(&bytes) {
        let text: String = text.split_whitespace().collect();
        assert!(
            text.contains("不予行政许可决定书") && text.contains("行政复议"),
            "{text}"
        );
    }
}

/// The text of a PDF through poppler's pdftotext, when it is installed (it is in CI).
fn pdf_text(bytes: &[u8]) -> Result<String, std::io::Error> {
    let dir = std::env::temp_dir().join(format!("onewindow-decision-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("decision.pdf");
    std::fs::write(&path, bytes)?;
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
