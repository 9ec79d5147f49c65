//! 容缺受理 and 告知承诺制 through the API on a real store (SQLite, or PostgreSQL with
//! ONEWINDOW_TEST_POSTGRES) and the fake county SMS gateway: an online application accepted with
//! a tolerated material missing on the applicant's promise, reminded by SMS, handed in, decided;
//! a promise broken under the county's rule; a commitment signed instead of a certificate,
//! checked, found false, the approval and its licence revoked, and the applicant refused a new
//! commitment.

use chrono::Duration;
use onewindow_testkit::{FakeSmsGateway, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::licences::{FOOD_LICENCE_ITEM, act, review_decide_issue};
use crate::messages::app_with;

const PUBLIC: &str = "http://zw.nh.cn";

/// The demo enterprise's online application for a food business licence: M04 (tolerated) is
/// left out; `commitments` are signed instead of the materials they name.
async fn file(app: &TestApp, materials: &[&str], commitments: &[&str]) -> (StatusCode, Value) {
    app.send(
        "enterprise",
        Method::POST,
        "/api/v1/cases",
        Some(json!({
            "item_code": FOOD_LICENCE_ITEM,
            "applicant": {"kind": "enterprise", "name": "宁海县跃龙小吃有限公司",
                "id_number": "91330226MA2DEMH01W", "phone": "13900001111"},
            "channel": "online",
            "centre": "county-hall",
            "materials": materials,
            "commitments": commitments,
        })),
        None,
    )
    .await
}

async fn refused(app: &TestApp, who: &str, case: &Value, action: &str, body: Value) -> Value {
    let id = case["id"].as_str().expect("id");
    let (status, problem) = app
        .send(
            who,
            Method::POST,
            &format!("/api/v1/cases/{id}/{action}"),
            Some(body),
            case["version"].as_u64(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{action} by {who}: {problem}"
    );
    problem
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn run_jobs(app: &TestApp) {
    app.service.dispatch_outbox(500).await.expect("the outbox");
    app.service.send_due_messages().await.expect("a round");
}

async fn reload(app: &TestApp, who: &str, case: &mut Value) {
    let id = case["id"].as_str().expect("id").to_string();
    let (status, detail) = app.get(who, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    *case = detail["case"].clone();
}

#[tokio::test]
async fn accepted_on_a_promise_the_applicant_is_reminded_by_sms_hands_it_in_and_is_told_the_decision()
 {
    let gateway = FakeSmsGateway::start().await;
    let app = app_with("tolerance-promise", gateway.messaging(PUBLIC)).await;
    // Monday 7 December 2026; the item promises 3 working days: due Thursday 10 December.
    let (status, mut case) = file(&app, &["M01", "M02", "M03", "M05"], &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["tolerable_materials"], json!(["M04"]));

    // Without a promise the window is told a tolerated material may be promised.
    let problem = refused(&app, "clerk", &case, "accept", json!({})).await;
    let detail =
        problem["detail"].as_str().unwrap_or_default().to_string() + &problem["errors"].to_string();
    assert!(
        detail.contains("M04") && detail.contains("容缺"),
        "{problem}"
    );
    // A Sunday, a day after the deadline, an essential material: refused, nothing changed.
    let problem = refused(
        &app,
        "clerk",
        &case,
        "accept",
        json!({"promises": [{"material": "M04", "by": "2026-12-13"}]}),
    )
    .await;
    assert_eq!(fields(&problem), ["promises[0].by"], "{problem}");
    let problem = refused(
        &app,
        "clerk",
        &case,
        "accept",
        json!({"promises": [{"material": "M04", "by": "2026-12-11"}]}),
    )
    .await;
    assert!(problem.to_string().contains("deadline"), "{problem}");
    let problem = refused(
        &app,
        "clerk",
        &case,
        "accept",
        json!({"promises": [{"material": "M01", "by": "2026-12-09"}, {"material": "M04", "by": "2026-12-09"}]}),
    )
    .await;
    assert_eq!(fields(&problem), ["promises[0].material"], "{problem}");
    reload(&app, "clerk", &mut case).await;
    assert_eq!(case["status"], "submitted", "nothing was written");

    act(
        &app,
        "clerk",
        &mut case,
        "accept",
        json!({"promises": [{"material": "M04", "by": "2026-12-09"}]}),
    )
    .await;
    assert_eq!(case["status"], "accepted");
    assert_eq!(case["promises"][0]["due_on"], "2026-12-09");

    // The decision waits for the promised material.
    act(&app, "reviewer", &mut case, "start-review", json!({})).await;
    act(
        &app,
        "reviewer",
        &mut case,
        "propose",
        json!({"approve": true, "opinion": "符合条件，拟同意"}),
    )
    .await;
    let problem = refused(
        &app,
        "approver",
        &case,
        "decide",
        json!({"approve": true, "reason": "符合条件"}),
    )
    .await;
    assert_eq!(fields(&problem), ["promises"], "{problem}");

    // Two working days before the promised day the sweep reminds the applicant, once.
    run_jobs(&app).await;
    let sweep = app.service.sweep_promises().await.expect("a sweep");
    assert_eq!((sweep.reminded, sweep.broken), (1, 0));
    let again = app.service.sweep_promises().await.expect("a sweep");
    assert_eq!((again.reminded, again.broken), (0, 0));
    run_jobs(&app).await;
    let reminder: Vec<_> = gateway
        .received()
        .into_iter()
        .filter(|s| s.text.contains("补交"))
        .collect();
    assert_eq!(reminder.len(), 1, "{:?}", gateway.received());
    assert!(
        reminder[0].text.contains("2026-12-09"),
        "{}",
        reminder[0].text
    );
    let (_, inbox) = app.get("enterprise", "/api/v1/messages").await;
    let body = inbox["items"][0]["body"].as_str().expect("a body");
    assert!(
        inbox["items"][0]["kind"] == "promise_reminder" && body.contains("食品安全自查"),
        "{inbox}"
    );

    // The applicant hands it in; only a promised material is taken after acceptance.
    reload(&app, "enterprise", &mut case).await;
    let problem = refused(
        &app,
        "enterprise",
        &case,
        "provide-supplement",
        json!({"materials": ["M01"]}),
    )
    .await;
    assert_eq!(fields(&problem), ["materials[0]"], "{problem}");
    act(
        &app,
        "enterprise",
        &mut case,
        "provide-supplement",
        json!({"materials": ["M04"]}),
    )
    .await;
    assert_eq!(case["status"], "in_review");
    assert_eq!(case["promises"][0]["kept_on"], "2026-12-07");
    act(
        &app,
        "approver",
        &mut case,
        "decide",
        json!({"approve": true, "reason": "符合条件"}),
    )
    .await;
    run_jobs(&app).await;
    assert!(
        gateway
            .received()
            .iter()
            .any(|s| s.text.contains("已作出决定")),
        "{:?}",
        gateway.received()
    );
}

#[tokio::test]
async fn a_promise_not_kept_sends_the_case_back_to_supplement_under_the_county_rule() {
    let gateway = FakeSmsGateway::start().await;
    let mut app = app_with("tolerance-broken", gateway.messaging(PUBLIC)).await;
    let (name, token) = app.token_of("admin", "guanli-2026").await;
    app.tokens.insert(name, token);
    let (status, policy) = app.get("clerk", "/api/v1/settings/tolerance").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(policy["broken_promise_rule"], "stop_clock");
    let rule = json!({"broken_promise_rule": "back_to_supplement"});
    let (status, _) = app
        .send(
            "clerk",
            Method::PUT,
            "/api/v1/settings/tolerance",
            Some(rule.clone()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "administrators set the rule");
    let (status, set) = app
        .send(
            "admin",
            Method::PUT,
            "/api/v1/settings/tolerance",
            Some(rule),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let (status, problem) = app
        .send(
            "admin",
            Method::PUT,
            "/api/v1/settings/tolerance",
            Some(json!({"broken_promise_rule": "deny"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("broken_promise_rule")),
        "{problem}"
    );

    let (_, mut case) = file(&app, &["M01", "M02", "M03", "M05"], &[]).await;
    act(
        &app,
        "clerk",
        &mut case,
        "accept",
        json!({"promises": [{"material": "M04", "by": "2026-12-08"}]}),
    )
    .await;
    // Wednesday 9 December: the day passed without the material.
    app.clock.advance(Duration::days(2));
    let sweep = app.service.sweep_promises().await.expect("a sweep");
    assert_eq!(sweep.broken, 1);
    reload(&app, "clerk", &mut case).await;
    assert_eq!(case["status"], "suspended");
    assert_eq!(case["promises"][0]["broken_on"], "2026-12-09");
    let notice = case["supplement_notices"].as_array().expect("notices");
    assert_eq!(notice.len(), 1);
    assert_eq!(notice[0]["missing"], json!(["M04"]));
    assert_eq!(notice[0]["during_review"], true);
    run_jobs(&app).await;
    let (_, inbox) = app.get("enterprise", "/api/v1/messages").await;
    assert_eq!(inbox["items"][0]["kind"], "supplement_requested", "{inbox}");
    // Handed in late: the clock runs again.
    act(
        &app,
        "enterprise",
        &mut case,
        "provide-supplement",
        json!({"materials": ["M04"]}),
    )
    .await;
    assert_eq!(case["status"], "in_review");
}

#[tokio::test]
async fn a_commitment_found_false_revokes_the_approval_and_its_licence_and_bars_a_new_commitment() {
    let gateway = FakeSmsGateway::start().await;
    let app = app_with("tolerance-commitment", gateway.messaging(PUBLIC)).await;
    // A commitment only for a material marked committable, and not for one handed in.
    let (status, problem) = file(&app, &["M01", "M02", "M03", "M05"], &["M04"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["commitments[0]"], "{problem}");
    let (status, problem) = file(&app, &["M01", "M02", "M03", "M04", "M05"], &["M05"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let (status, mut case) = file(&app, &["M01", "M02", "M03", "M04"], &["M05"]).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let text = case["commitments"][0]["text"].as_str().expect("a text");
    assert!(text.contains("经营场所"), "{text}");
    act(&app, "clerk", &mut case, "accept", json!({})).await;
    assert!(case["commitments"][0]["check_due_on"].is_string(), "{case}");
    let (status, checks) = app.get("reviewer", "/api/v1/commitments/checks").await;
    assert_eq!(status, StatusCode::OK, "{checks}");
    assert_eq!(checks[0]["case_number"], case["number"], "{checks}");
    assert_eq!(checks[0]["applicant_id"], "9133**********H01W", "{checks}");
    let (status, _) = app.get("enterprise", "/api/v1/commitments/checks").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    review_decide_issue(&app, &mut case, true).await;
    let id = case["id"].as_str().expect("id").to_string();
    let (status, licences) = app
        .get("enterprise", &format!("/api/v1/cases/{id}/licences"))
        .await;
    assert_eq!(status, StatusCode::OK, "{licences}");
    assert_eq!(licences[0]["state"], "valid", "{licences}");

    let problem = refused(
        &app,
        "reviewer",
        &case,
        "check-commitment",
        json!({"material": "M05", "truthful": false, "note": "  "}),
    )
    .await;
    assert_eq!(fields(&problem), ["note"], "{problem}");
    act(
        &app,
        "reviewer",
        &mut case,
        "check-commitment",
        json!({"material": "M05", "truthful": false, "note": "现场核查：经营场所为租赁，租赁合同已于 2026 年 6 月到期"}),
    )
    .await;
    assert!(
        case["revocation"]["reason"]
            .as_str()
            .expect("revoked")
            .contains("租赁合同"),
        "{case}"
    );
    let (_, licences) = app
        .get("enterprise", &format!("/api/v1/cases/{id}/licences"))
        .await;
    assert_eq!(licences[0]["state"], "revoked", "{licences}");
    run_jobs(&app).await;
    let (_, inbox) = app.get("enterprise", "/api/v1/messages").await;
    assert!(
        inbox["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|m| m["kind"] == "revoked"),
        "{inbox}"
    );

    // The list the window sees; the applicant is not on it for anyone outside the staff.
    let (status, list) = app.get("clerk", "/api/v1/commitments/false").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["case_number"], case["number"], "{list}");
    let (status, _) = app.get("enterprise", "/api/v1/commitments/false").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = file(&app, &["M01", "M02", "M03", "M04"], &["M05"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("found false"), "{problem}");
    // With the certificate itself the application is filed, and the clerk sees the record.
    let (status, next) = file(&app, &["M01", "M02", "M03", "M04", "M05"], &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{next}");
    let (_, detail) = app
        .get(
            "clerk",
            &format!("/api/v1/cases/{}", next["id"].as_str().expect("id")),
        )
        .await;
    assert_eq!(
        detail["false_commitments_on_record"][0]["case_number"], case["number"],
        "{detail}"
    );
    let (_, own) = app
        .get(
            "enterprise",
            &format!("/api/v1/cases/{}", next["id"].as_str().expect("id")),
        )
        .await;
    assert!(own.get("false_commitments_on_record").is_none(), "{own}");
    // Nor is the applicant approved automatically (秒批) any more: people look at it.
    let (status, quick) = file_auto(&app, &["M01", "M02"]).await;
    assert_eq!(status, StatusCode::CREATED, "{quick}");
    assert_eq!(quick["status"], "submitted", "{quick}");
}

#[tokio::test]
async fn an_applicant_withdraws_before_the_decision_and_the_case_ends_off_the_clock() {
    let gateway = FakeSmsGateway::start().await;
    let app = app_with("tolerance-withdraw", gateway.messaging(PUBLIC)).await;
    let (status, mut case) = file(&app, &["M01", "M02", "M03", "M05"], &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    act(
        &app,
        "clerk",
        &mut case,
        "accept",
        json!({"promises": [{"material": "M04", "by": "2026-12-09"}]}),
    )
    .await;
    reload(&app, "enterprise", &mut case).await;

    // A reason is required; nothing is written without one.
    let problem = refused(&app, "enterprise", &case, "withdraw", json!({})).await;
    assert_eq!(fields(&problem), ["reason"], "{problem}");
    // The department cannot withdraw an applicant's application.
    let id = case["id"].as_str().expect("id").to_string();
    let (status, problem) = app
        .send(
            "reviewer",
            Method::POST,
            &format!("/api/v1/cases/{id}/withdraw"),
            Some(json!({"reason": "部门代撤"})),
            case["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    reload(&app, "enterprise", &mut case).await;
    assert_eq!(case["status"], "accepted", "nothing was written");

    act(
        &app,
        "enterprise",
        &mut case,
        "withdraw",
        json!({"reason": "经营地址变更，重新申请"}),
    )
    .await;
    assert_eq!(case["status"], "withdrawn");
    assert_eq!(case["withdrawal"]["reason"], "经营地址变更，重新申请");
    assert_eq!(case["withdrawal"]["withdrawn_on"], "2026-12-07");
    let (_, detail) = app.get("enterprise", &format!("/api/v1/cases/{id}")).await;
    assert_eq!(detail["allowed_actions"], json!([]), "{detail}");

    // Withdrawn is the end: a second withdrawal, a decision, are refused.
    let (status, problem) = app
        .send(
            "enterprise",
            Method::POST,
            &format!("/api/v1/cases/{id}/withdraw"),
            Some(json!({"reason": "再撤一次"})),
            case["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // The promise no longer runs: no reminder, no broken promise, ever.
    app.clock.advance(Duration::days(7));
    let sweep = app.service.sweep_promises().await.expect("a sweep");
    assert_eq!((sweep.reminded, sweep.broken), (0, 0));

    // The applicant is told, and the month's statistics count it.
    run_jobs(&app).await;
    let (_, inbox) = app.get("enterprise", "/api/v1/messages").await;
    let withdrawn = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["kind"] == "withdrawn")
        .unwrap_or_else(|| panic!("a withdrawn message: {inbox}"));
    assert!(
        withdrawn["body"]
            .as_str()
            .is_some_and(|b| b.contains("经营地址变更")),
        "{withdrawn}"
    );
    let (status, s) = app
        .get(
            "supervisor",
            "/api/v1/statistics?from=2026-12-01&to=2026-12-31",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["withdrawn"], 1, "{s}");
}

/// 秒批 in the demo catalogue: 小餐饮店登记（补办）, an immediate item with two materials.
const AUTO_ITEM: &str = "1133022625630452684010402000500";

async fn file_auto(app: &TestApp, materials: &[&str]) -> (StatusCode, Value) {
    app.send(
        "enterprise",
        Method::POST,
        "/api/v1/cases",
        Some(json!({
            "item_code": AUTO_ITEM,
            "applicant": {"kind": "enterprise", "name": "宁海县跃龙小吃有限公司",
                "id_number": "91330226MA2DEMH01W", "phone": "13900001111"},
            "channel": "online",
            "centre": "county-hall",
            "materials": materials,
        })),
        None,
    )
    .await
}

#[tokio::test]
async fn an_item_marked_for_automatic_approval_is_approved_and_issued_at_filing() {
    let gateway = FakeSmsGateway::start().await;
    let app = app_with("tolerance-auto", gateway.messaging(PUBLIC)).await;

    // Complete: accepted, approved and issued by the system in the answer to the filing.
    let (status, case) = file_auto(&app, &["M01", "M02"]).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["status"], "result_issued", "{case}");
    assert_eq!(case["accepted_by"], "system");
    assert_eq!(case["decision"]["approved"], true);
    assert_eq!(case["decision"]["decided_by"], "system");
    assert!(
        case["decision"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("秒批")),
        "{case}"
    );
    let number = case["number"].as_str().expect("number").to_string();
    // The licence is in the applicant's library at once, to download.
    let (status, licences) = app
        .get("enterprise", &format!("/api/v1/cases/{number}/licences"))
        .await;
    assert_eq!(status, StatusCode::OK, "{licences}");
    assert_eq!(licences[0]["licence_type"], "小餐饮店登记证", "{licences}");
    // Recorded as such: the audit trail names the system's automatic approval.
    let (status, audit) = app
        .get("supervisor", &format!("/api/v1/audit?target=case:{number}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    assert!(audit.to_string().contains("case.auto-approve"), "{audit}");
    // The applicant is told of the decision.
    run_jobs(&app).await;
    let (_, inbox) = app.get("enterprise", "/api/v1/messages").await;
    assert!(
        inbox["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|m| m["kind"] == "decided" && m["case_number"] == number),
        "{inbox}"
    );

    // Incomplete: filed for the window as any other, nothing decided.
    let (status, short) = file_auto(&app, &["M01"]).await;
    assert_eq!(status, StatusCode::CREATED, "{short}");
    assert_eq!(short["status"], "submitted", "{short}");
    assert!(short.get("decision").is_none_or(Value::is_null), "{short}");
}

#[tokio::test]
async fn saved_applications_expire_after_the_countys_days_with_their_files() {
    use onewindow_app::Actor;
    use onewindow_app::drafts::DraftForm;
    use onewindow_app::files::Upload;
    let gateway = FakeSmsGateway::start().await;
    let app = app_with("tolerance-drafts", gateway.messaging(PUBLIC)).await;
    let admin = Actor::command_line("test");
    // Out of range: refused, the default stands.
    assert!(app.service.set_draft_days(&admin, 0).await.is_err());
    assert_eq!(app.service.draft_days().await.expect("days"), 30);
    app.service.set_draft_days(&admin, 3).await.expect("3 days");
    let token = app.tokens.get("enterprise").expect("a token").clone();
    let enterprise = app
        .service
        .authenticate(&token, "test")
        .await
        .expect("a session")
        .actor;
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let draft = app
        .service
        .save_application_draft(
            &enterprise,
            None,
            FOOD_LICENCE_ITEM,
            DraftForm {
                name: "宁海县跃龙小吃有限公司".into(),
                ..DraftForm::default()
            },
            vec![Upload {
                material_key: "M01".into(),
                file_name: "申请书.pdf".into(),
                bytes: pdf,
            }],
        )
        .await
        .expect("saved");
    assert_eq!(draft.files.len(), 1);
    assert_eq!(draft.expires_on.to_string(), "2026-12-10");
    // Staff keep no drafts.
    let clerk_token = app.tokens.get("clerk").expect("a token").clone();
    let clerk = app
        .service
        .authenticate(&clerk_token, "test")
        .await
        .expect("a session")
        .actor;
    assert!(
        app.service
            .save_application_draft(
                &clerk,
                None,
                FOOD_LICENCE_ITEM,
                DraftForm::default(),
                Vec::new()
            )
            .await
            .is_err()
    );

    app.clock.advance(Duration::days(3));
    let sweep = app
        .service
        .sweep_application_drafts()
        .await
        .expect("a sweep");
    assert_eq!(
        (sweep.drafts, sweep.files),
        (0, 0),
        "kept through its last day"
    );
    app.clock.advance(Duration::days(1));
    let sweep = app
        .service
        .sweep_application_drafts()
        .await
        .expect("a sweep");
    assert_eq!((sweep.drafts, sweep.files), (1, 1));
    assert!(
        app.service
            .application_draft(&enterprise, &draft.id)
            .await
            .is_err()
    );
}
