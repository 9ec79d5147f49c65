//! Evaluation (好差评) through the API on a real store (SQLite, or PostgreSQL with
//! ONEWINDOW_TEST_POSTGRES): the applicant rates once per stage; a 差评 opens a rectification
//! the department verifies and resolves and the applicant rates; an appeal upheld takes a rating
//! out of the figures; a signed link rates without a login; the window's pad takes the on-site
//! rating; the export carries the provincial field set.

use onewindow_app::clock::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::licences::{app, granted_case};

async fn rate(
    app: &onewindow_testkit::TestApp,
    who: &str,
    id: &str,
    body: Value,
) -> (StatusCode, Value) {
    app.send(
        who,
        Method::POST,
        &format!("/api/v1/cases/{id}/ratings"),
        Some(body),
        None,
    )
    .await
}

async fn step(
    app: &onewindow_testkit::TestApp,
    who: &str,
    r: &Value,
    body: Value,
) -> (StatusCode, Value) {
    let id = r["id"].as_str().expect("id");
    app.send(
        who,
        Method::POST,
        &format!("/api/v1/rectifications/{id}"),
        Some(body),
        r["version"].as_u64(),
    )
    .await
}

#[tokio::test]
async fn a_bad_rating_opens_a_rectification_the_department_puts_right_and_the_applicant_rates() {
    let app = app().await;
    let case = granted_case(&app).await;
    let id = case["id"].as_str().expect("id").to_string();

    let (status, seen) = app
        .get("enterprise", &format!("/api/v1/cases/{id}/ratings"))
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["open_stages"], json!(["acceptance", "decision"]));

    // Only the applicant rates; a stranger does not even find the case.
    let good =
        json!({"stage": "acceptance", "level": 5, "answers": {"efficiency": 5, "convenience": 4}});
    let (status, _) = rate(&app, "clerk", &id, good.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = rate(&app, "citizen", &id, good.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Bad input is named field by field.
    let (status, problem) = rate(
        &app,
        "enterprise",
        &id,
        json!({"stage": "decision", "level": 9, "answers": {"attitude": 3}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["level", "answers.attitude"]);
    let (status, problem) = rate(
        &app,
        "enterprise",
        &id,
        json!({"stage": "decision", "level": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "text");

    let (status, rated) = rate(&app, "enterprise", &id, good.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{rated}");
    assert!(rated.get("rectification").is_none());
    let (status, _) = rate(&app, "enterprise", &id, good).await;
    assert_eq!(status, StatusCode::CONFLICT, "one rating per stage");

    let (status, bad) = rate(
        &app,
        "enterprise",
        &id,
        json!({"stage": "decision", "level": 2, "text": "审批时要求重复提交营业执照"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{bad}");
    let r = bad["rectification"].clone();
    assert_eq!(r["state"], "open");
    assert_eq!(r["department"], case["department"]);

    // The department verifies, then resolves; the applicant rates how it was put right.
    let (status, _) = step(
        &app,
        "enterprise",
        &r,
        json!({"action": "verify", "note": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, listed) = app.get("reviewer", "/api/v1/rectifications").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed[0]["id"], r["id"]);
    let (status, r) = step(
        &app,
        "reviewer",
        &r,
        json!({"action": "verify", "note": "已电话核实：窗口未调取电子证照"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, stale) = app
        .send(
            "reviewer",
            Method::POST,
            &format!("/api/v1/rectifications/{}", r["id"].as_str().expect("id")),
            Some(json!({"action": "resolve", "outcome": {"kind": "fixed", "measures": "x"}})),
            Some(1),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    let (status, r) = step(
        &app,
        "reviewer",
        &r,
        json!({"action": "resolve", "outcome": {"kind": "fixed", "measures": "窗口已开通电子证照调取，并向申请人致歉"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "closed");
    let (status, r) = step(
        &app,
        "enterprise",
        &r,
        json!({"action": "give_feedback", "feedback": "satisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["feedback"], "satisfied");

    let today = app.clock.now().date_naive();
    let (status, figures) = app
        .get(
            "supervisor",
            &format!("/api/v1/ratings/figures?from={today}&to={today}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    assert_eq!(figures["ratings"], 2);
    assert_eq!(figures["bad"], 1);
    assert_eq!(figures["good_rate"]["numerator"], 1);
    assert_eq!(figures["rectifications_opened"], 1);
    assert_eq!(figures["rectified_on_time"]["numerator"], 1);

    // The export in the provincial field set.
    let response = app
        .http
        .get(format!(
            "{}/api/v1/ratings?from={today}&to={today}&format=csv",
            app.url
        ))
        .bearer_auth(&app.tokens["supervisor"])
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    let csv = response.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("case_number,item_code,item_version"));
    assert!(
        lines[2].contains("不满意") && lines[2].contains("330226"),
        "{csv}"
    );
    let (status, _) = app
        .get(
            "citizen",
            &format!("/api/v1/ratings?from={today}&to={today}"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_appeal_upheld_takes_a_mistaken_rating_out_of_the_figures() {
    let app = app().await;
    let case = granted_case(&app).await;
    let id = case["id"].as_str().expect("id").to_string();
    let (_, bad) = rate(
        &app,
        "enterprise",
        &id,
        json!({"stage": "decision", "level": 1, "text": "点错了"}),
    )
    .await;
    let r = bad["rectification"].clone();
    let (status, r) = step(
        &app,
        "reviewer",
        &r,
        json!({"action": "appeal", "reason": "回访核实：申请人表示误点"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, _) = step(
        &app,
        "reviewer",
        &r,
        json!({"action": "decide_appeal", "upheld": true, "reason": "x"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "appeals are the supervisor's"
    );
    let (status, r) = step(
        &app,
        "supervisor",
        &r,
        json!({"action": "decide_appeal", "upheld": true, "reason": "经回访核实为误评"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["outcome"]["kind"], "appeal_upheld");
    let today = app.clock.now().date_naive();
    let (_, figures) = app
        .get(
            "supervisor",
            &format!("/api/v1/ratings/figures?from={today}&to={today}"),
        )
        .await;
    assert_eq!(
        (figures["ratings"].as_u64(), figures["bad"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn a_signed_link_rates_without_a_login_and_the_pad_rates_the_window() {
    let app = app().await;
    let case = granted_case(&app).await;
    let id = case["id"].as_str().expect("id").to_string();
    let (status, link) = app
        .send(
            "clerk",
            Method::POST,
            &format!("/api/v1/cases/{id}/rating-link"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let token = link["token"].as_str().expect("token").to_string();
    let by_link = |token: String, body: Value| {
        let request = app
            .http
            .post(format!("{}/api/v1/ratings/link/{token}", app.url))
            .json(&body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let forged = token.replacen(&id, "00000000-0000-0000-0000-000000000000", 1);
    let (status, _) = by_link(forged, json!({"stage": "decision", "level": 5})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, rated) = by_link(
        token.clone(),
        json!({"stage": "decision", "level": 4, "real_name": false}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rated}");
    assert_eq!(rated["rating"]["rated_by"], "link");
    assert_eq!(rated["rating"]["real_name"], false);
    // The pad at the counter: the on-site questions, the clerk's window.
    let (status, problem) = app
        .send(
            "clerk",
            Method::POST,
            &format!("/api/v1/cases/{id}/ratings/pad"),
            Some(json!({"stage": "acceptance", "level": 5, "answers": {"convenience": 5}, "window": "A01"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, rated) = app
        .send(
            "clerk",
            Method::POST,
            &format!("/api/v1/cases/{id}/ratings/pad"),
            Some(json!({"stage": "acceptance", "level": 5, "answers": {"attitude": 5}, "window": "A01"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rated}");
    assert_eq!(rated["rating"]["channel"], "on_site");
    assert_eq!(rated["rating"]["object"]["window"], "A01");
    let today = app.clock.now().date_naive();
    let (status, ranking) = app
        .get(
            "supervisor",
            &format!("/api/v1/ratings/ranking?unit=window&from={today}&to={today}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ranking}");
    assert_eq!(ranking[0]["unit"], "county-hall/A01");
    assert_eq!(ranking[0]["average_centi"], 500);
    let (status, _) = app
        .send(
            "reviewer",
            Method::POST,
            &format!("/api/v1/cases/{id}/ratings/pad"),
            Some(json!({"stage": "delivery", "level": 5})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the pad is the window's");
}

/// 回访: the month's draw (a share of each department's decided cases and every real-name
/// 差评), three unanswered calls end a visit, an unsatisfied answer with a follow-up opens a
/// rectification, and satisfaction counts the answers.
#[tokio::test]
async fn return_visits_are_drawn_called_and_counted_in_satisfaction() {
    let app = app().await;
    let first = granted_case(&app).await;
    let second = granted_case(&app).await;
    let (status, _) = rate(
        &app,
        "enterprise",
        second["id"].as_str().expect("id"),
        json!({"stage": "decision", "level": 1, "text": "办理太慢"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let today = app.clock.now().date_naive();
    let month = today.format("%Y-%m").to_string();
    let (status, _) = app
        .send(
            "reviewer",
            Method::POST,
            &format!("/api/v1/return-visits/draw?month={month}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, drawn) = app
        .send(
            "supervisor",
            Method::POST,
            &format!("/api/v1/return-visits/draw?month={month}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{drawn}");
    // 10 % of the department's two decided cases rounds up to one, and the real-name 差评.
    assert_eq!(drawn["added"], 2);
    let (_, again) = app
        .send(
            "supervisor",
            Method::POST,
            &format!("/api/v1/return-visits/draw?month={month}"),
            None,
            None,
        )
        .await;
    assert_eq!(again["added"], 0, "drawing again adds nothing new");
    let (status, list) = app
        .get("visitor", &format!("/api/v1/return-visits?month={month}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let visits = list.as_array().expect("a list").clone();
    assert_eq!(visits.len(), 2);
    let call = |visit: &Value, body: Value| {
        let id = visit["id"].as_str().expect("id").to_string();
        let version = visit["version"].as_u64();
        let app = &app;
        async move {
            app.send(
                "visitor",
                Method::POST,
                &format!("/api/v1/return-visits/{id}/calls"),
                Some(body),
                version,
            )
            .await
        }
    };
    let (status, _) = app
        .send(
            "reviewer",
            Method::POST,
            &format!(
                "/api/v1/return-visits/{}/calls",
                visits[0]["id"].as_str().expect("id")
            ),
            Some(json!({"reached": false})),
            visits[0]["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "calls are the operators'");
    let mut unanswered = visits[0].clone();
    for _ in 0..3 {
        let (status, next) = call(&unanswered, json!({"reached": false})).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        unanswered = next;
    }
    assert_eq!(unanswered["state"]["state"], "not_reached");
    let (status, problem) = call(&visits[1], json!({"reached": true, "satisfied": false})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "reasons");
    let (status, reached) = call(
        &visits[1],
        json!({"reached": true, "satisfied": false, "reasons": "审批慢", "follow_up": "请部门说明延迟原因"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reached}");
    let (_, rectifications) = app.get("reviewer", "/api/v1/rectifications").await;
    let from_visit = rectifications
        .as_array()
        .expect("a list")
        .iter()
        .find(|r| {
            r["rating_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("visit:"))
        })
        .expect("the follow-up opened a rectification");
    assert_eq!(from_visit["state"], "open");
    // The applicant sees it on the case, as the rectifications its ratings opened.
    let case_id = from_visit["case_id"].as_str().expect("case");
    let (_, seen) = app
        .get("enterprise", &format!("/api/v1/cases/{case_id}/ratings"))
        .await;
    assert!(
        seen["rectifications"]
            .as_array()
            .expect("a list")
            .iter()
            .any(|r| r["id"] == from_visit["id"]),
        "{seen}"
    );

    let (status, figures) = app
        .get(
            "supervisor",
            &format!("/api/v1/statistics?from={today}&to={today}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    assert_eq!(figures["satisfaction"]["numerator"], 0);
    assert_eq!(
        figures["satisfaction"]["denominator"], 1,
        "one answer, not satisfied"
    );
    let _ = first;
}

/// 投诉: a 12345 ticket against a window is recorded for the department, answered once, and a
/// justified one counts against the department in the assessment.
#[tokio::test]
async fn a_justified_complaint_counts_against_the_department() {
    let app = app().await;
    let case = granted_case(&app).await;
    let department = case["department"].as_str().expect("department").to_string();
    let complaint = json!({
        "source": "hotline", "ticket": "12345-20261207-0001",
        "against": {"kind": "window", "centre": "county-hall", "window": "A01"},
        "department": department, "centre": "county-hall",
        "text": "窗口人员态度生硬"
    });
    let (status, _) = app
        .send(
            "reviewer",
            Method::POST,
            "/api/v1/complaints",
            Some(complaint.clone()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .send(
            "supervisor",
            Method::POST,
            "/api/v1/complaints",
            Some(json!({"source": "hall", "against": {"kind": "staff", "username": ""}, "department": "NOPE", "text": " "})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, recorded) = app
        .send(
            "supervisor",
            Method::POST,
            "/api/v1/complaints",
            Some(complaint),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    let (_, theirs) = app.get("reviewer", "/api/v1/complaints").await;
    assert_eq!(theirs[0]["id"], recorded["id"]);
    let id = recorded["id"].as_str().expect("id");
    let (status, answered) = app
        .send(
            "approver",
            Method::POST,
            &format!("/api/v1/complaints/{id}/answer"),
            Some(json!({"text": "已约谈当事人，向投诉人致歉", "justified": true})),
            recorded["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    let (status, _) = app
        .send(
            "approver",
            Method::POST,
            &format!("/api/v1/complaints/{id}/answer"),
            Some(json!({"text": "again", "justified": false})),
            answered["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "answered once");
    let today = app.clock.now().date_naive();
    let (status, ranking) = app
        .get(
            "supervisor",
            &format!("/api/v1/assessment?unit=department&from={today}&to={today}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ranking}");
    let row = ranking
        .as_array()
        .expect("a ranking")
        .iter()
        .find(|r| r["unit"] == department.as_str())
        .expect("the department is ranked");
    assert_eq!(row["performance"]["complaints"], 1, "{row}");
}
