//! The online intermediary supermarket (网上中介超市) through the API on a real store (SQLite, or
//! PostgreSQL with ONEWINDOW_TEST_POSTGRES), from Monday 7 December 2026: a firm registers and
//! the supervising department admits it; the owner posts a need under its project; quotes are
//! sealed until the selection; a quote above the ceiling, after the deadline or from a firm
//! whose qualification expired is refused with nothing written; the contract's clock stands
//! while the firm waits on the owner; the accepted report is taken into the project's next
//! application without an upload; a draw is re-run by anyone and refuses another seed.

use chrono::NaiveDate;
use onewindow_app::Actor;
use onewindow_app::accounts::NewUser;
use onewindow_app::messages::MessagingConfig;
use onewindow_domain::access::{Post, Role};
use onewindow_testkit::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::messages::app_with;

/// The demo enterprise (data/demo/accounts.json).
const OWNER: &str = "91330226MA2DEMH01W";
/// The EIA approval of the demo catalogue: M02 is the report (环境影响报告表).
const EIA_ITEM: &str = "11330226256309044U4010800200100";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a day")
}

fn uscc(body: &str) -> String {
    let check = onewindow_domain::identifiers::UnifiedSocialCreditCode::check_character(body)
        .expect("a body");
    format!("{body}{check}")
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

/// The demo on 7 December 2026 with the market's accounts logged in, and `firms` intermediary
/// accounts more (`firm1`, `firm2`, …).
async fn market_app(label: &str, firms: usize) -> TestApp {
    let mut app = app_with(label, MessagingConfig::default()).await;
    let admin = Actor::command_line("test");
    for n in 1..=firms {
        app.service
            .create_user(
                &admin,
                NewUser {
                    username: format!("firm{n}"),
                    display_name: format!("测试中介{n}"),
                    password: "zhongjie-test-2026".into(),
                    identity: None,
                    phone: None,
                    posts: vec![Post::new(Role::Intermediary)],
                    may_reveal_personal_data: false,
                },
            )
            .await
            .expect("an intermediary account");
        let (name, token) = app
            .token_of(&format!("firm{n}"), "zhongjie-test-2026")
            .await;
        app.tokens.insert(name, token);
    }
    for (user, password) in [
        ("market", "jianguan-2026"),
        ("intermediary", "zhongjie-2026"),
        ("agent", "daiban-2026"),
    ] {
        let (name, token) = app.token_of(user, password).await;
        app.tokens.insert(name, token);
    }
    app.service
        .seed_demo_market()
        .await
        .expect("the demo market");
    app
}

/// A request without any session: what the public sees.
async fn public_get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The enterprise's industrial project outside any assessed region; its code.
async fn project(app: &TestApp) -> String {
    let (status, view) = app
        .send(
            "enterprise",
            Method::POST,
            "/api/v1/projects",
            Some(
                json!({"name": "年产 5 万台水泵生产线", "owner_identity": OWNER,
                "owner_name": "宁海县示范企业有限公司", "project_type": "industrial"}),
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    view["project"]["code"].as_str().expect("code").to_string()
}

/// `who` registers an EIA firm (qualification valid until `valid_until`) and the department
/// admits it; its code.
async fn admitted_eia_firm(app: &TestApp, who: &str, body: &str, valid_until: &str) -> String {
    let (status, firm) = app
        .send(
            who,
            Method::POST,
            "/api/v1/market/firms",
            Some(
                json!({"uscc": uscc(body), "name": format!("{who} 环境咨询有限公司"),
                "services": ["eia"], "regions": ["330200"], "staff": 12,
                "contact": "王工", "phone": "0574-87000000",
                "qualifications": [{"service": "eia", "level": "乙级",
                    "number": format!("环评咨字-{who}"), "valid_until": valid_until}]}),
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{firm}");
    assert_eq!(firm["status"], "pending");
    let code = firm["uscc"].as_str().expect("uscc").to_string();
    let (status, admitted) = app
        .send(
            "market",
            Method::POST,
            &format!("/api/v1/market/firms/{code}/decision"),
            Some(json!({"decision": "admit"})),
            firm["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{admitted}");
    assert_eq!(admitted["status"], "admitted");
    code
}

async fn post_need(app: &TestApp, code: &str, rule: &str, ceiling: u64) -> Value {
    let (status, need) = app
        .send(
            "enterprise",
            Method::POST,
            "/api/v1/market/needs",
            Some(
                json!({"project_code": code, "service": "eia", "ceiling_fen": ceiling,
                "quote_deadline": "2026-12-09", "rule": rule,
                "description": "环境影响报告表编制"}),
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{need}");
    need
}

async fn quote(app: &TestApp, who: &str, need: &str, price: u64, days: u32) -> (StatusCode, Value) {
    app.send(
        who,
        Method::POST,
        &format!("/api/v1/market/needs/{need}/quotes"),
        Some(json!({"price_fen": price, "days": days})),
        None,
    )
    .await
}

async fn act(app: &TestApp, who: &str, contract: &Value, action: &str, body: Value) -> Value {
    let id = contract["contract"]["id"]
        .as_str()
        .or(contract["id"].as_str())
        .expect("id");
    let version = contract["contract"]["version"]
        .as_u64()
        .or(contract["version"].as_u64());
    let (status, moved) = app
        .send(
            who,
            Method::POST,
            &format!("/api/v1/market/contracts/{id}/{action}"),
            Some(body),
            version,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{action}: {moved}");
    moved
}

async fn deliver(app: &TestApp, who: &str, view: &Value, bytes: &[u8]) -> (StatusCode, Value) {
    let id = view["contract"]["id"].as_str().expect("id");
    let response = app
        .http
        .put(format!(
            "{}/api/v1/market/contracts/{id}/report?number=HP-2026-088&title=%E7%8E%AF%E5%A2%83%E5%BD%B1%E5%93%8D%E6%8A%A5%E5%91%8A%E8%A1%A8&file_name=eia.pdf",
            app.url
        ))
        .bearer_auth(&app.tokens[who])
        .header("if-match", format!("\"{}\"", view["contract"]["version"]))
        .header("content-type", "application/pdf")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_need_from_posting_to_the_report_taken_into_the_next_application() {
    let app = market_app("market-flow", 1).await;
    let code = project(&app).await;
    let firm = admitted_eia_firm(&app, "firm1", "91330200MA2T00001", "2028-12-31").await;

    // The registry: the public sees admitted firms only, without the accounts acting for them.
    let (status, public) = public_get(&app, "/api/v1/market/firms").await;
    assert_eq!(status, StatusCode::OK, "{public}");
    let listed = public.as_array().expect("firms");
    assert!(listed.iter().all(|f| f["firm"]["status"] != "pending"));
    assert!(listed.iter().all(|f| f["firm"]["accounts"] == json!([])));
    assert!(listed.iter().any(|f| f["firm"]["uscc"] == firm.as_str()));
    let (_, all) = app.get("market", "/api/v1/market/firms").await;
    assert_eq!(
        all.as_array().expect("firms").len(),
        listed.len() + 1,
        "the pending firm"
    );

    // The need takes the plan's EIA work and its days.
    let need = post_need(&app, &code, "lowest_price", 4_000_000).await;
    assert_eq!(need["step_key"], "eia");
    assert_eq!(need["work_name"], "环境影响报告表编制");
    assert_eq!(need["planned_days"], 20);
    let id = need["id"].as_str().expect("id").to_string();

    // Above the ceiling: refused, nothing written.
    let (status, problem) = quote(&app, "firm1", &id, 4_000_001, 12).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["price_fen"]);
    let (_, seen) = app
        .get("enterprise", &format!("/api/v1/market/needs/{id}"))
        .await;
    assert_eq!(seen["quotes"], json!([]));
    let (status, quoted) = quote(&app, "firm1", &id, 3_600_000, 12).await;
    assert_eq!(status, StatusCode::CREATED, "{quoted}");

    // Sealed until the deadline: not even the owner sees the price to beat; the department does.
    let (_, seen) = app
        .get("enterprise", &format!("/api/v1/market/needs/{id}"))
        .await;
    assert_eq!(seen["quotes"], json!([]));
    assert_eq!(seen["quotes_received"], 1);
    let (_, watched) = app
        .get("market", &format!("/api/v1/market/needs/{id}"))
        .await;
    assert_eq!(watched["quotes"][0]["price_fen"], 3_600_000);
    let (_, public) = public_get(&app, &format!("/api/v1/market/needs/{id}")).await;
    assert_eq!(public["quotes"], json!([]));
    assert_eq!(
        public["quotes_received"], 1,
        "the number is public, the prices sealed"
    );
    assert_eq!(public["status"], "open");

    // Before the deadline has passed there is no selection by price.
    let (status, problem) = app
        .send(
            "enterprise",
            Method::POST,
            &format!("/api/v1/market/needs/{id}/selection"),
            None,
            seen["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["quote_deadline"]);

    // Thursday 10 December: quotes are closed; the owner sees them, may no longer close the
    // need, and the lowest is selected.
    app.at(day(2026, 12, 10));
    let (_, seen) = app
        .get("enterprise", &format!("/api/v1/market/needs/{id}"))
        .await;
    assert_eq!(seen["quotes"][0]["price_fen"], 3_600_000);
    let (status, problem) = app
        .send(
            "enterprise",
            Method::POST,
            &format!("/api/v1/market/needs/{id}/close"),
            Some(json!({"reason": "另行委托"})),
            seen["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = quote(&app, "firm1", &id, 3_000_000, 12).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["quote_deadline"]);
    let (status, selected) = app
        .send(
            "enterprise",
            Method::POST,
            &format!("/api/v1/market/needs/{id}/selection"),
            None,
            seen["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{selected}");
    assert_eq!(selected["contract"]["status"], "awaiting_handover");
    assert_eq!(selected["contract"]["agreed_days"], 12);
    let (_, public) = public_get(&app, &format!("/api/v1/market/needs/{id}")).await;
    assert_eq!(
        public["quotes"][0]["price_fen"], 3_600_000,
        "published with the result"
    );

    let contract_id = selected["contract"]["id"].as_str().expect("id").to_string();
    let (status, _) = app
        .get(
            "intermediary",
            &format!("/api/v1/market/contracts/{contract_id}"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another firm does not see it"
    );

    // The handover starts the clock: 12 working days from Thursday 10 December.
    let view = act(&app, "enterprise", &selected, "hand_over", json!({})).await;
    assert_eq!(view["contract"]["status"], "working");
    assert_eq!(view["clock"]["due_on"], "2026-12-28");
    assert_eq!(
        view["actions"],
        json!(["complain"]),
        "the owner's only step now"
    );
    let (_, firm_view) = app
        .get("firm1", &format!("/api/v1/market/contracts/{contract_id}"))
        .await;
    assert_eq!(firm_view["actions"], json!(["wait_on_owner", "deliver"]));

    // The firm waits on the owner from Friday 11 to Tuesday 15: the due day moves by 2.
    app.at(day(2026, 12, 11));
    let view = act(
        &app,
        "firm1",
        &firm_view,
        "wait_on_owner",
        json!({"reason": "等待业主提供总平面布置图"}),
    )
    .await;
    assert_eq!(view["clock"]["running"], false);
    app.at(day(2026, 12, 15));
    let (_, owner_view) = app
        .get(
            "enterprise",
            &format!("/api/v1/market/contracts/{contract_id}"),
        )
        .await;
    let view = act(&app, "enterprise", &owner_view, "owner_supplied", json!({})).await;
    assert_eq!(view["clock"]["due_on"], "2026-12-30");

    // The report: not a PDF is refused, nothing changed; then handed in on the 18th.
    app.at(day(2026, 12, 18));
    let (_, firm_view) = app
        .get("firm1", &format!("/api/v1/market/contracts/{contract_id}"))
        .await;
    let (status, problem) = deliver(&app, "firm1", &firm_view, b"not a pdf").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["file"]);
    let (status, delivered) = deliver(&app, "firm1", &firm_view, PDF).await;
    assert_eq!(status, StatusCode::OK, "{delivered}");
    assert_eq!(delivered["contract"]["status"], "delivered");
    let (status, problem) = deliver(&app, "enterprise", &delivered, PDF).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");

    // Accepted on Monday 21: the firm's own days are the 11th (it stopped that day) and the
    // 16th to the 18th; the owner's wait and examination are not counted.
    app.at(day(2026, 12, 21));
    let (_, owner_view) = app
        .get(
            "enterprise",
            &format!("/api/v1/market/contracts/{contract_id}"),
        )
        .await;
    let view = act(&app, "enterprise", &owner_view, "accept", json!({})).await;
    assert_eq!(view["contract"]["status"], "accepted");
    let taken = view["contract"]["days_taken"].as_u64().expect("days taken");
    assert_eq!(taken, 4, "{view}");
    assert_eq!(view["late"], false);
    let bad = app
        .send(
            "enterprise",
            Method::POST,
            &format!("/api/v1/market/contracts/{contract_id}/rate"),
            Some(json!({"timeliness": 6, "quality": 5, "attitude": 5})),
            view["contract"]["version"].as_u64(),
        )
        .await;
    assert_eq!(bad.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.1);
    assert_eq!(fields(&bad.1), ["timeliness"]);
    let rated = act(
        &app,
        "enterprise",
        &view,
        "rate",
        json!({"timeliness": 5, "quality": 4, "attitude": 5, "comment": "提前完成"}),
    )
    .await;
    assert_eq!(rated["contract"]["rating"]["quality"], 4);

    // The report as the PDF for the owner and staff.
    let response = app
        .http
        .get(format!(
            "{}/api/v1/market/contracts/{contract_id}/report",
            app.url
        ))
        .bearer_auth(&app.tokens["reviewer"])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), PDF);

    // The project: intermediary days before and with the market.
    let (status, share) = app
        .get("enterprise", &format!("/api/v1/projects/{code}/market"))
        .await;
    assert_eq!(status, StatusCode::OK, "{share}");
    assert_eq!(share["planned_intermediary_days"], 65);
    assert_eq!(share["contracts"][0]["status"], "accepted");

    // The EIA approval under the project takes the accepted report: no upload of M02.
    let (status, case) = app
        .send(
            "enterprise",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "item_code": EIA_ITEM,
                "applicant": {"kind": "enterprise", "name": "宁海县示范企业有限公司", "id_number": OWNER},
                "channel": "online",
                "centre": "county-hall",
                "materials": ["M01", "M03"],
                "project_code": code,
            })),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let reused = &case["reused_materials"][0];
    assert_eq!(reused["key"], "M02", "{case}");
    assert!(
        reused["document"]
            .as_str()
            .is_some_and(|d| d.starts_with("HP-2026-088") && d.contains(&contract_id)),
        "{reused}"
    );
    assert_eq!(reused["issued_by"], "中介服务：环境影响评价");

    // The department's monitoring counts the contract on time.
    let (status, monitor) = app.get("market", "/api/v1/market/monitor").await;
    assert_eq!(status, StatusCode::OK, "{monitor}");
    assert_eq!(monitor["completed_contracts"], 1);
    assert_eq!(monitor["on_time_rate"], 1.0);
    let line = monitor["firms"]
        .as_array()
        .expect("firms")
        .iter()
        .find(|f| f["uscc"] == firm.as_str())
        .expect("the firm's line")
        .clone();
    assert_eq!(line["completed"], 1);
    assert_eq!(
        line["rating"].as_f64().map(|r| (r * 100.0).round()),
        Some(467.0)
    );
    assert_eq!(line["price_to_ceiling"], 0.9);
    let pending = monitor["firms"]
        .as_array()
        .expect("firms")
        .iter()
        .find(|f| f["status"] == "pending")
        .expect("the demo's pending firm");
    assert_eq!(pending["act_on"], json!(["pending_admission"]));
    let (status, _) = app.get("citizen", "/api/v1/market/monitor").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The monthly report: the work accepted in December, the plan's 20 days beside the 4 taken.
    let (status, report) = app
        .get("supervisor", "/api/v1/reports/monthly?month=2026-12")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let market = &report["intermediary"];
    assert_eq!(market["accepted"][0]["contract"], contract_id.as_str());
    assert_eq!(
        (
            &market["planned_days"],
            &market["taken_days_of_planned"],
            &market["on_time"]
        ),
        (&json!(20), &json!(4), &json!(1))
    );
    let html = app
        .http
        .get(format!(
            "{}/api/v1/reports/monthly?month=2026-12&format=html",
            app.url
        ))
        .bearer_auth(&app.tokens["supervisor"])
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    assert!(
        html.contains("审批计划中的这些中介服务原需 20 个工作日，经中介超市实际用时 4 个工作日"),
        "{html}"
    );
}

#[tokio::test]
async fn a_draw_is_re_run_by_anyone_and_refuses_another_seed() {
    let app = market_app("market-draw", 3).await;
    let code = project(&app).await;
    for (who, body) in [
        ("firm1", "91330200MA2T00011"),
        ("firm2", "91330200MA2T00012"),
        ("firm3", "91330200MA2T00013"),
    ] {
        admitted_eia_firm(&app, who, body, "2028-12-31").await;
    }
    let need = post_need(&app, &code, "random_draw", 4_000_000).await;
    // The seed is fixed at the posting: its SHA-256 is public, the seed is not.
    let commitment = need["seed_commitment"]
        .as_str()
        .expect("a commitment")
        .to_string();
    assert!(need.get("draw_seed").is_none(), "{need}");
    let id = need["id"].as_str().expect("id").to_string();
    for who in ["firm1", "firm2", "firm3"] {
        let (status, quoted) = quote(&app, who, &id, 3_000_000, 15).await;
        assert_eq!(status, StatusCode::CREATED, "{quoted}");
        assert_eq!(
            quoted["quotes"].as_array().map(Vec::len),
            Some(1),
            "own quote only"
        );
    }
    app.at(day(2026, 12, 10));
    let (_, seen) = app
        .get("agent", &format!("/api/v1/market/needs/{id}"))
        .await;
    let (status, selected) = app
        .send(
            "enterprise",
            Method::POST,
            &format!("/api/v1/market/needs/{id}/selection"),
            Some(json!({})),
            seen["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{selected}");
    let recorded = selected["need"]["selection"]["draw"].clone();
    let seed = recorded["seed"].as_str().expect("seed").to_string();
    assert_eq!(
        onewindow_domain::intermediary::sha256_hex(&seed),
        commitment,
        "the draw used the seed committed to before any quote"
    );
    assert_eq!(recorded["numbers"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        recorded["winner"], selected["contract"]["firm"],
        "the contract goes to the drawn firm"
    );
    let (status, again) =
        public_get(&app, &format!("/api/v1/market/needs/{id}/draw?seed={seed}")).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, recorded);
    let (status, problem) = public_get(
        &app,
        &format!("/api/v1/market/needs/{id}/draw?seed=00{seed}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["seed"]);
    // The audit records the seed.
    let (_, audit) = app
        .get("supervisor", "/api/v1/audit?action=market.select")
        .await;
    assert!(audit.to_string().contains(&seed), "{audit}");
}

#[tokio::test]
async fn an_expired_qualification_or_a_suspension_stops_a_firm_from_quoting() {
    let app = market_app("market-eligible", 2).await;
    let code = project(&app).await;
    let expired = admitted_eia_firm(&app, "firm1", "91330200MA2T00021", "2026-11-30").await;
    let other = admitted_eia_firm(&app, "firm2", "91330200MA2T00022", "2028-12-31").await;
    let need = post_need(&app, &code, "lowest_price", 4_000_000).await;
    let id = need["id"].as_str().expect("id").to_string();

    let (status, problem) = quote(&app, "firm1", &id, 2_000_000, 10).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["firm"]);
    assert!(
        problem.to_string().contains("expired on 2026-11-30"),
        "{problem}"
    );

    // Renewed, it quotes the lowest price.
    let (_, firm) = app
        .get("firm1", &format!("/api/v1/market/firms/{expired}"))
        .await;
    let renewed = json!({"uscc": expired, "name": firm["firm"]["name"], "services": ["eia"],
        "regions": ["330200"], "staff": 12, "contact": "王工", "phone": "0574-87000000",
        "qualifications": [{"service": "eia", "level": "乙级", "number": "环评咨字-续",
            "valid_until": "2031-11-30"}]});
    let (status, problem) = app
        .send(
            "firm2",
            Method::PUT,
            &format!("/api/v1/market/firms/{expired}"),
            Some(renewed.clone()),
            firm["firm"]["version"].as_u64(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "another firm's account: {problem}"
    );
    let (status, updated) = app
        .send(
            "firm1",
            Method::PUT,
            &format!("/api/v1/market/firms/{expired}"),
            Some(renewed),
            firm["firm"]["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    // The renewal goes back to the department before the firm quotes.
    assert_eq!(updated["status"], "pending");
    let (status, problem) = quote(&app, "firm1", &id, 2_000_000, 10).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, updated) = app
        .send(
            "market",
            Method::POST,
            &format!("/api/v1/market/firms/{expired}/decision"),
            Some(json!({"decision": "admit"})),
            updated["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (status, _) = quote(&app, "firm1", &id, 2_000_000, 10).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = quote(&app, "firm2", &id, 2_500_000, 10).await;
    assert_eq!(status, StatusCode::CREATED);

    // Suspended after quoting: the reason is required, and the selection passes it over.
    let (status, problem) = app
        .send(
            "market",
            Method::POST,
            &format!("/api/v1/market/firms/{expired}/decision"),
            Some(json!({"decision": "suspend"})),
            updated["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["reason"]);
    let (status, problem) = app
        .send(
            "enterprise",
            Method::POST,
            &format!("/api/v1/market/firms/{expired}/decision"),
            Some(json!({"decision": "suspend", "reason": "x"})),
            updated["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, suspended) = app
        .send(
            "market",
            Method::POST,
            &format!("/api/v1/market/firms/{expired}/decision"),
            Some(json!({"decision": "suspend", "reason": "出具虚假报告，暂停入驻三个月"})),
            updated["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{suspended}");
    let (status, problem) = quote(&app, "firm1", &id, 1_900_000, 10).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["firm"]);
    app.at(day(2026, 12, 10));
    let (_, seen) = app
        .get("enterprise", &format!("/api/v1/market/needs/{id}"))
        .await;
    let (status, selected) = app
        .send(
            "enterprise",
            Method::POST,
            &format!("/api/v1/market/needs/{id}/selection"),
            None,
            seen["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{selected}");
    assert_eq!(selected["contract"]["firm"], other.as_str());

    // Who may post: not a firm; and a need in the past or chosen directly above 50,000 yuan is
    // refused naming both fields.
    let (status, _) = app
        .send(
            "firm2",
            Method::POST,
            "/api/v1/market/needs",
            Some(
                json!({"project_code": code, "service": "eia", "ceiling_fen": 100,
                "quote_deadline": "2026-12-20", "rule": "lowest_price"}),
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = app
        .send(
            "enterprise",
            Method::POST,
            "/api/v1/market/needs",
            Some(
                json!({"project_code": code, "service": "eia", "ceiling_fen": 9_000_000,
                "quote_deadline": "2026-12-01", "rule": "direct_choice"}),
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["quote_deadline", "rule"], "{problem}");
}

#[tokio::test]
async fn a_late_firm_is_recorded_and_the_projects_agent_alerted() {
    let app = market_app("market-late", 1).await;
    // The agent registers the project for the enterprise and follows it.
    let (status, view) = app
        .send(
            "agent",
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "汽配产业园二期", "owner_identity": OWNER,
                "owner_name": "宁海县示范企业有限公司", "project_type": "industrial"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let code = view["project"]["code"].as_str().expect("code").to_string();
    let firm = admitted_eia_firm(&app, "firm1", "91330200MA2T00031", "2028-12-31").await;
    let (status, need) = app
        .send(
            "agent",
            Method::POST,
            "/api/v1/market/needs",
            Some(
                json!({"project_code": code, "service": "eia", "ceiling_fen": 40_000,
                "quote_deadline": "2026-12-07", "rule": "direct_choice"}),
            ),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the agent posts for the owner: {need}"
    );
    let id = need["id"].as_str().expect("id").to_string();
    let (status, quoted) = quote(&app, "firm1", &id, 38_000, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{quoted}");
    // A direct choice needs no wait for the deadline, but names the firm.
    let (_, seen) = app
        .get("agent", &format!("/api/v1/market/needs/{id}"))
        .await;
    let (status, problem) = app
        .send(
            "agent",
            Method::POST,
            &format!("/api/v1/market/needs/{id}/selection"),
            Some(json!({})),
            seen["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["firm"]);
    let (status, selected) = app
        .send(
            "agent",
            Method::POST,
            &format!("/api/v1/market/needs/{id}/selection"),
            Some(json!({"firm": firm})),
            seen["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{selected}");
    let view = act(&app, "agent", &selected, "hand_over", json!({})).await;
    assert_eq!(view["clock"]["due_on"], "2026-12-09");
    assert_eq!(
        view["clock"]["light"], "yellow",
        "2 days are the last stretch"
    );

    // Thursday 10 December: a day overdue; the sweep tells the agent once.
    app.at(day(2026, 12, 10));
    app.service.sweep_lights().await.expect("the sweep");
    let (status, alerts) = app.get("agent", "/api/v1/projects/alerts").await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    let contract_id = selected["contract"]["id"].as_str().expect("id");
    let ours: Vec<&Value> = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| {
            a["item_name"]
                .as_str()
                .is_some_and(|n| n.contains(contract_id))
        })
        .collect();
    assert_eq!(ours.len(), 1, "{alerts}");
    assert_eq!(ours[0]["step_key"], format!("market:{contract_id}:red"));
    let (_, monitor) = app.get("market", "/api/v1/market/monitor").await;
    let line = monitor["firms"]
        .as_array()
        .expect("firms")
        .iter()
        .find(|f| f["uscc"] == firm.as_str())
        .expect("the firm")
        .clone();
    assert_eq!(line["overdue_now"], 1);
    assert!(
        line["act_on"]
            .as_array()
            .expect("act_on")
            .contains(&json!("overdue"))
    );

    // Handed in late and accepted: recorded late for good.
    let (_, firm_view) = app
        .get("firm1", &format!("/api/v1/market/contracts/{contract_id}"))
        .await;
    let (status, delivered) = deliver(&app, "firm1", &firm_view, PDF).await;
    assert_eq!(status, StatusCode::OK, "{delivered}");
    let (_, owner_view) = app
        .get("agent", &format!("/api/v1/market/contracts/{contract_id}"))
        .await;
    let accepted = act(&app, "agent", &owner_view, "accept", json!({})).await;
    assert_eq!(accepted["contract"]["days_taken"], 3);
    assert_eq!(accepted["contract"]["overdue"], true);
    assert_eq!(accepted["late"], true);
    let (_, public) = public_get(&app, &format!("/api/v1/market/firms/{firm}")).await;
    assert_eq!(public["late"], 1);
    let (_, monitor) = app.get("market", "/api/v1/market/monitor").await;
    assert_eq!(monitor["on_time_rate"], 0.0);
}
