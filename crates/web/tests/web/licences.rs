//! Electronic licences through the API on a real store (SQLite, or PostgreSQL with
//! ONEWINDOW_TEST_POSTGRES): a granting decision issues a signed licence; the holder finds it in
//! the library and downloads the PDF, which delivers the case; anyone verifies it without a
//! login; the offline check refuses an edited PDF; the issuing approver changes and revokes it.

use chrono::NaiveDate;
use onewindow_testkit::{TestApp, demo_world};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// 食品经营许可（新办） of market supervision (SCJGJ): issues 食品经营许可证.
pub(crate) const FOOD_LICENCE_ITEM: &str = "1133022625630452684010401700100";

pub(crate) async fn app() -> TestApp {
    let world = demo_world("licences-api", day(2026, 12, 7), false).await;
    let mut app = world.serve(onewindow_web::app).await;
    for (user, password) in [
        ("enterprise", "qiye-demo-2026"),
        ("citizen", "shimin-2026"),
        ("clerk", "chuangkou-2026"),
        ("reviewer", "shencha-2026"),
        ("approver", "shenpi-2026"),
        ("supervisor", "jiancha-2026"),
        ("visitor", "huifang-2026"),
    ] {
        let (name, token) = app.token_of(user, password).await;
        app.tokens.insert(name, token);
    }
    app
}

pub(crate) async fn act(app: &TestApp, who: &str, case: &mut Value, action: &str, body: Value) {
    let id = case["id"].as_str().expect("id").to_string();
    let version = case["version"].as_u64().expect("version");
    let (status, next) = app
        .send(
            who,
            Method::POST,
            &format!("/api/v1/cases/{id}/{action}"),
            Some(body),
            Some(version),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{action} by {who}: {next}");
    *case = next;
}

/// An enterprise's application for a food business licence, decided and its result issued.
pub(crate) async fn granted_case(app: &TestApp) -> Value {
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
    act(app, "clerk", &mut case, "accept", json!({})).await;
    review_decide_issue(app, &mut case, true).await;
    case
}

/// An accepted case of the market regulator reviewed, decided (`approve`) and its result
/// issued, by the department's own accounts.
pub(crate) async fn review_decide_issue(app: &TestApp, case: &mut Value, approve: bool) {
    act(app, "reviewer", case, "start-review", json!({})).await;
    act(
        app,
        "reviewer",
        case,
        "propose",
        json!({"approve": approve, "opinion": if approve { "符合条件，拟同意" } else { "不符合条件，拟不予许可" }}),
    )
    .await;
    act(
        app,
        "approver",
        case,
        "decide",
        json!({"approve": approve, "reason": if approve { "符合条件" } else { "经营场所与食品经营项目不相适应" }}),
    )
    .await;
    act(app, "reviewer", case, "issue-result", json!({})).await;
}

async fn download(app: &TestApp, who: &str, identifier: &str) -> (StatusCode, Vec<u8>) {
    let response = app
        .http
        .get(format!("{}/api/v1/licences/{identifier}/pdf", app.url))
        .bearer_auth(&app.tokens[who])
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.bytes().await.expect("body").to_vec())
}

async fn verify(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .get(format!("{}/api/v1/licences/verify?{query}", app.url))
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_granted_licence_is_issued_signed_downloaded_verified_changed_and_revoked() {
    let app = app().await;
    let case = granted_case(&app).await;
    let number = case["number"].as_str().expect("number").to_string();

    // The result issued a licence of the enterprise, in its library.
    let (status, licences) = app
        .get("enterprise", &format!("/api/v1/cases/{number}/licences"))
        .await;
    assert_eq!(status, StatusCode::OK, "{licences}");
    let licence = licences[0].clone();
    assert_eq!(licence["licence_type"], "食品经营许可证");
    assert_eq!(licence["current_state"], "valid");
    assert_eq!(licence["version"], 1);
    assert_eq!(licence["issuer_code"], "113302262563045268");
    let identifier = licence["identifier"]
        .as_str()
        .expect("identifier")
        .to_string();
    assert!(identifier.starts_with("1.2.156.3005.2.113302262563045268001.113302262563045268."));
    let (_, library) = app.get("enterprise", "/api/v1/licences").await;
    assert_eq!(library.as_array().map(Vec::len), Some(1), "{library}");
    // Another applicant may not read it.
    let (status, _) = app
        .get("citizen", &format!("/api/v1/licences/{identifier}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = app.get("citizen", "/api/v1/licences").await;
    assert_eq!(theirs, json!([]));

    // Anyone verifies it: valid, with the holder's code masked.
    let (status, answer) = verify(&app, &format!("id={identifier}")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["verdict"], "valid");
    assert_eq!(answer["licence"]["holder_id_masked"], "9133**********H01W");
    assert!(!answer.to_string().contains("91330226MA2DEMH01W"));
    // A QR signature that is not the issuer's is a forgery; the real one is valid.
    let signature = &licence["signature"];
    let (k, s) = (
        signature["key_id"].as_str().expect("key"),
        signature["value"].as_str().expect("sig"),
    );
    let (_, answer) = verify(&app, &format!("id={identifier}&k={k}&s={s}")).await;
    assert_eq!(answer["verdict"], "valid");
    assert_eq!(answer["signature_checked"], true);
    // One character changed (to another one: a random signature may hold an A there already).
    let other = if &s[10..11] == "A" { "B" } else { "A" };
    let forged = format!("{}{other}{}", &s[..10], &s[11..]);
    let (_, answer) = verify(&app, &format!("id={identifier}&k={k}&s={forged}")).await;
    assert_eq!(answer["verdict"], "forged", "{answer}");
    assert!(answer.get("licence").is_none());
    // Unknown and malformed identifiers.
    let unknown = identifier.replace(".113302262563045268.", ".11330226256301130A.");
    let unknown = {
        // Recompute the check character of the changed identifier.
        let body = &unknown[..unknown.len() - 2];
        (0..36)
            .map(|i| {
                format!(
                    "{body}.{}",
                    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".as_bytes()[i] as char
                )
            })
            .find(|c| onewindow_domain::identifiers::LicenceIdentifier::parse(c).is_ok())
            .expect("one check character fits")
    };
    let (status, answer) = verify(&app, &format!("id={unknown}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["verdict"], "unknown");
    let (status, problem) = verify(&app, "id=1.2.156.3005.2.NOPE").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "id", "{problem}");

    // The case waits for delivery until the holder downloads the licence.
    let (_, before) = app
        .get("enterprise", &format!("/api/v1/cases/{number}"))
        .await;
    assert_eq!(before["case"]["status"], "result_issued", "{before}");
    // A clerk cannot mark an online delivery done.
    let (status, problem) = app
        .send(
            "clerk",
            Method::POST,
            &format!("/api/v1/cases/{number}/deliver"),
            Some(json!({"delivery": {"method": "online"}})),
            before["case"]["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // The department's staff download without delivering.
    let (status, _) = download(&app, "reviewer", &identifier).await;
    assert_eq!(status, StatusCode::OK);
    let (_, still) = app
        .get("enterprise", &format!("/api/v1/cases/{number}"))
        .await;
    assert_eq!(still["case"]["status"], "result_issued");
    let (status, pdf) = download(&app, "enterprise", &identifier).await;
    if let Ok(path) = std::env::var("ONEWINDOW_KEEP_LICENCE_PDF") {
        std::fs::write(path, &pdf).expect("kept");
    }
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    // Chinese text stays text: poppler reads it back (CI installs poppler-utils).
    let file = app.dir.join("licence.pdf");
    std::fs::write(&file, &pdf).expect("written");
    if let Ok(out) = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        for printed in [
            "食品经营许可证",
            "宁海县跃龙小吃有限公司",
            "宁海县市场监督管理局",
            identifier.as_str(),
        ] {
            assert!(text.contains(printed), "{printed} in {text}");
        }
    }
    let (_, after) = app
        .get("enterprise", &format!("/api/v1/cases/{number}"))
        .await;
    assert_eq!(after["case"]["status"], "delivered", "{after}");
    assert_eq!(after["case"]["delivery"]["method"], "online");

    // Offline: the PDF checks against the published keys; an edited copy does not.
    let (status, keys) = app.get("citizen", "/api/v1/licences/keys").await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<onewindow_app::licences::PublicKeyRow> =
        serde_json::from_value(keys).expect("keys");
    let check = onewindow_app::licences::check_pdf(&pdf, &keys).expect("genuine");
    assert_eq!(check.identifier, identifier);
    let mut edited = pdf.clone();
    let at = edited.len() / 2;
    edited[at] ^= 0x20;
    assert_eq!(
        onewindow_app::licences::check_pdf(&edited, &keys),
        Err(onewindow_app::licences::PdfCheckError::BadSignature)
    );

    // Change: a reviewer may not; the approver issues version 2.
    let change = json!({"action": "change", "holder_name": "宁海县跃龙餐饮有限公司", "reason": "企业名称变更"});
    let (status, _) = app
        .send(
            "reviewer",
            Method::POST,
            &format!("/api/v1/licences/{identifier}/amend"),
            Some(change.clone()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, written) = app
        .send(
            "approver",
            Method::POST,
            &format!("/api/v1/licences/{identifier}/amend"),
            Some(change),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{written}");
    assert_eq!(written[0]["current_state"], "changed");
    assert_eq!(written[1]["version"], 2);
    let second = written[1]["identifier"].as_str().expect("id").to_string();
    let (_, answer) = verify(&app, &format!("id={identifier}")).await;
    assert_eq!(answer["verdict"], "changed");
    assert_eq!(answer["licence"]["superseded_by"], second);
    let (_, answer) = verify(&app, &format!("id={second}")).await;
    assert_eq!(answer["verdict"], "valid");
    assert_eq!(answer["licence"]["holder_name"], "宁海县跃龙餐饮有限公司");
    // The old version cannot be changed again; a revocation needs a reason.
    let (status, _) = app
        .send(
            "approver",
            Method::POST,
            &format!("/api/v1/licences/{identifier}/amend"),
            Some(json!({"action": "revoke", "reason": "x"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, problem) = app
        .send(
            "approver",
            Method::POST,
            &format!("/api/v1/licences/{second}/amend"),
            Some(json!({"action": "revoke", "reason": " "})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = app
        .send(
            "approver",
            Method::POST,
            &format!("/api/v1/licences/{second}/amend"),
            Some(json!({"action": "revoke", "reason": "以欺骗手段取得许可"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, answer) = verify(&app, &format!("id={second}")).await;
    assert_eq!(answer["verdict"], "revoked");
    let (_, library) = app.get("enterprise", "/api/v1/licences").await;
    assert_eq!(library.as_array().map(Vec::len), Some(2), "{library}");
}

/// The enterprise applies for the food licence without its business licence (M02): it is taken
/// from the licence library as it stands at filing, shown to the reviewer with its state; once
/// revoked it is no longer taken and M02 is missing again.
#[tokio::test]
async fn a_material_the_government_issued_is_taken_from_the_holders_valid_licence() {
    let app = app().await;
    assert_eq!(
        app.service
            .seed_demo_licences()
            .await
            .expect("demo licences"),
        3
    );
    let (_, library) = app
        .send("enterprise", Method::GET, "/api/v1/licences", None, None)
        .await;
    let business = library
        .as_array()
        .expect("a list")
        .iter()
        .find(|l| l["licence_type"] == "营业执照")
        .expect("the demo enterprise holds a business licence")
        .clone();
    let apply = || {
        json!({
            "item_code": FOOD_LICENCE_ITEM,
            "applicant": {"kind": "enterprise", "name": "宁海县跃龙示范餐饮有限公司", "id_number": "91330226MA2DEMH01W"},
            "channel": "online",
            "centre": "county-hall",
            "materials": ["M01", "M03", "M04", "M05"]
        })
    };
    let (status, case) = app
        .send(
            "enterprise",
            Method::POST,
            "/api/v1/cases",
            Some(apply()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let taken = &case["taken_licences"][0];
    assert_eq!(taken["key"], "M02");
    assert_eq!(taken["licence_id"], business["identifier"]);
    assert_eq!(taken["number"], business["number"]);
    assert_eq!(taken["state_at_filing"], "valid");
    assert!(
        case["provided_materials"]
            .as_array()
            .expect("materials")
            .contains(&json!("M02")),
        "{case}"
    );
    // Nothing is missing: the window accepts without a supplement notice.
    let mut accepted = case.clone();
    act(&app, "clerk", &mut accepted, "accept", json!({})).await;
    assert_eq!(accepted["status"], "accepted");
    // The reviewer of the deciding department sees the licence the material was taken from.
    let id = case["id"].as_str().expect("id");
    let (status, seen) = app
        .send(
            "reviewer",
            Method::GET,
            &format!("/api/v1/cases/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        seen["case"]["taken_licences"][0]["licence_type"],
        "营业执照"
    );

    // Revoked by its issuing approver: not taken any more.
    let business_id = business["identifier"].as_str().expect("id");
    let (status, revoked) = app
        .send(
            "approver",
            Method::POST,
            &format!("/api/v1/licences/{business_id}/amend"),
            Some(json!({"action": "revoke", "reason": "以欺骗手段取得"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    let (status, again) = app
        .send(
            "enterprise",
            Method::POST,
            "/api/v1/cases",
            Some(apply()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert!(again.get("taken_licences").is_none(), "{again}");
    assert!(
        !again["provided_materials"]
            .as_array()
            .expect("materials")
            .contains(&json!("M02"))
    );
}
