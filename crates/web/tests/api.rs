//! HTTP-level tests of the JSON API against the real app on a real store.
//!
//! By default every test gets a fresh SQLite data directory. With
//! `ONEWINDOW_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres` the same tests run
//! against PostgreSQL, each in a fresh database.

use std::sync::Arc;

use chrono::NaiveDate;
use onewindow_app::catalogue_io::{self, CatalogueDocument, Format, ImportError};
use onewindow_app::{ManualClock, Service};
use onewindow_domain::calendar::Calendar;
use onewindow_domain::catalogue::{
    Department, Fee, HallStatus, Item, ItemKind, Level, Material, MaterialCategory, MaterialForm,
    MaterialSource, RunMode,
};
use onewindow_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PERSON_ID: &str = "11010519491231002X";

struct TestApp {
    url: String,
    http: reqwest::Client,
    service: Service,
    clock: Arc<ManualClock>,
    _dir: Option<TempDir>,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn material(key: &str, name: &str) -> Material {
    Material {
        key: key.into(),
        name: name.into(),
        form: MaterialForm::Original,
        copies: 1,
        source: MaterialSource::Applicant,
        category: MaterialCategory::Ordinary,
        required: true,
        sample: None,
        cancelled: None,
    }
}

fn test_catalogue() -> CatalogueDocument {
    let food = Item {
        code: "SCJG-001".into(),
        name: "食品经营许可".into(),
        kind: ItemKind::Licence,
        department: "SCJG".into(),
        legal_basis: "《中华人民共和国食品安全法》".into(),
        statutory_days: 20,
        promised_days: 5,
        visits_required: 1,
        run_mode: RunMode::OnlinePrereview,
        levels: vec![Level::County, Level::Township],
        hall: HallStatus {
            allowed: true,
            in_hall: true,
            authorised: true,
        },
        materials: vec![
            material("M01", "食品经营许可申请书"),
            material("M02", "经营场所平面图"),
            material("M03", "食品安全管理制度"),
        ],
        intermediary_services: vec![],
        fee: Fee::default(),
        result_licence_type: Some("食品经营许可证".into()),
    };
    let mut passport = food.clone();
    passport.code = "GA-101".into();
    passport.name = "普通护照签发".into();
    passport.department = "GA".into();
    passport.promised_days = 7;
    passport.materials = vec![material("M01", "居民身份证")];
    CatalogueDocument {
        departments: vec![
            Department {
                code: "SCJG".into(),
                name: "市场监督管理局".into(),
                name_en: "Market Supervision".into(),
            },
            Department {
                code: "GA".into(),
                name: "公安局".into(),
                name_en: "Public Security".into(),
            },
        ],
        items: vec![food, passport],
    }
}

async fn store_url() -> (String, Option<TempDir>) {
    match std::env::var("ONEWINDOW_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => (
            onewindow_store::create_scratch_postgres(&base, "onewindow_test")
                .await
                .expect("PostgreSQL reachable for the test suite"),
            None,
        ),
        _ => {
            let dir = std::env::temp_dir().join(format!("onewindow-test-{}", uuid::Uuid::now_v7()));
            let url = onewindow_store::data_dir_url(&dir).expect("temp dir");
            (url, Some(TempDir(dir)))
        }
    }
}

/// Starts the whole app on a fresh store with a small catalogue; the clock stands at
/// Monday 2 November 2026, 09:00 China time.
async fn spawn_app() -> TestApp {
    let (url, dir) = store_url().await;
    let store = Store::open(&url).await.expect("store opens");
    let clock = Arc::new(ManualClock::at_local_morning(day(2026, 11, 2)));
    let service = Service::new(store, Calendar::prc(), clock.clone(), "330226");
    service
        .import_catalogue(test_catalogue())
        .await
        .expect("catalogue imports");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = onewindow_web::app(service.clone());
    tokio::spawn(async move {
        axum_serve(listener, router).await;
    });
    TestApp {
        url: format!("http://{addr}"),
        http: reqwest::Client::new(),
        service,
        clock,
        _dir: dir,
    }
}

async fn axum_serve(listener: tokio::net::TcpListener, router: axum::Router) {
    let _ = axum::serve(listener, router).await;
}

impl TestApp {
    fn at(&self, date: NaiveDate) {
        self.clock.set(onewindow_app::clock::local_morning(date));
    }

    async fn submit(&self, body: Value, key: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/api/v1/cases", self.url))
            .header("x-actor", "clerk-1")
            .json(&body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.expect("request")
    }

    async fn new_case(&self, materials: &[&str]) -> Value {
        let answer = self.submit(application("SCJG-001", materials), None).await;
        assert_eq!(answer.status(), StatusCode::CREATED);
        answer.json().await.expect("json")
    }

    async fn act(
        &self,
        id: &str,
        action: &str,
        actor: &str,
        version: u64,
        body: Value,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/cases/{id}/{action}", self.url))
            .header("x-actor", actor)
            .header("if-match", format!("\"{version}\""))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Runs an action that must succeed; returns the case.
    async fn ok(&self, case: &Value, action: &str, actor: &str, body: Value) -> Value {
        let id = case["id"].as_str().expect("id");
        let version = case["version"].as_u64().expect("version");
        let answer = self.act(id, action, actor, version, body).await;
        let status = answer.status();
        let json: Value = answer.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{action}: {json}");
        json
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let answer = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request");
        let status = answer.status();
        (status, answer.json().await.unwrap_or(Value::Null))
    }
}

fn application(item: &str, materials: &[&str]) -> Value {
    json!({
        "item_code": item,
        "applicant": {"kind": "person", "name": "王芳", "id_number": PERSON_ID, "phone": "13800000000"},
        "channel": "window",
        "centre": "county-hall",
        "materials": materials,
    })
}

#[tokio::test]
async fn a_clerk_takes_a_case_from_submission_to_delivery() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    assert_eq!(case["status"], "submitted");
    assert_eq!(case["item_version"], 1);
    assert!(
        case["number"]
            .as_str()
            .expect("number")
            .starts_with("33022620261102")
    );
    let case = app
        .ok(
            &case,
            "record-visit",
            "clerk-1",
            json!({"purpose": "窗口递交材料"}),
        )
        .await;
    let case = app
        .ok(&case, "start-pre-review", "clerk-1", json!({}))
        .await;
    let case = app.ok(&case, "accept", "clerk-1", json!({})).await;
    assert_eq!(case["status"], "accepted");
    app.at(day(2026, 11, 3));
    let case = app.ok(&case, "start-review", "reviewer-1", json!({})).await;
    let case = app
        .ok(
            &case,
            "decide",
            "approver-1",
            json!({"approve": true, "reason": "符合法定条件"}),
        )
        .await;
    let case = app
        .ok(
            &case,
            "issue-result",
            "clerk-1",
            json!({"document_number": "JY33302260001234"}),
        )
        .await;
    let case = app
        .ok(
            &case,
            "deliver",
            "clerk-1",
            json!({"delivery": {"method": "express", "address": "宁海县跃龙街道兴宁中路1号"}}),
        )
        .await;
    assert_eq!(case["status"], "delivered");
    let case = app.ok(&case, "close", "clerk-1", json!({})).await;
    assert_eq!(case["status"], "closed");

    let (status, detail) = app
        .get(&format!(
            "/api/v1/cases/{}",
            case["number"].as_str().expect("n")
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<_> = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["event"]["type"].as_str().expect("type").to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "submitted",
            "visit_recorded",
            "pre_review_started",
            "accepted",
            "review_started",
            "decided",
            "result_issued",
            "delivered",
            "closed"
        ]
    );
    assert_eq!(detail["history"][3]["actor"], "clerk-1");
    assert_eq!(detail["visit_count"], 1);
    assert_eq!(detail["at_most_once"], true);
    assert_eq!(detail["case"]["accepted_on"], "2026-11-02");
}

#[tokio::test]
async fn the_deadline_and_working_days_left_follow_the_calendar() {
    let app = spawn_app().await;
    // Accepted on Friday 25 September 2026: the National Day holiday lies ahead.
    app.at(day(2026, 9, 25));
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let case = app.ok(&case, "accept", "clerk-1", json!({})).await;
    let (_, detail) = app
        .get(&format!(
            "/api/v1/cases/{}",
            case["id"].as_str().expect("id")
        ))
        .await;
    // 5 working days: Mon 28, Tue 29, Wed 30 September, then 1–7 October are holidays,
    // Sat 10 October is a make-up working day: Thu 8, Fri 9 October.
    assert_eq!(detail["due_on"], "2026-10-09");
    assert_eq!(detail["working_days_left"], 5);
    app.at(day(2026, 10, 12));
    let (_, detail) = app
        .get(&format!(
            "/api/v1/cases/{}",
            case["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(
        detail["working_days_left"], -2,
        "Sat 10 (make-up) and Mon 12 count: overdue by 2"
    );
}

#[tokio::test]
async fn the_one_time_notice_lists_everything_and_the_applicant_supplements_once() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01"]).await;
    let id = case["id"].as_str().expect("id").to_string();
    let partial = app
        .act(
            &id,
            "request-supplement",
            "clerk-1",
            1,
            json!({"missing": ["M02"]}),
        )
        .await;
    assert_eq!(partial.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = partial.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "missing");
    assert!(problem["detail"].as_str().expect("detail").contains("M03"));
    let case = app
        .ok(
            &case,
            "request-supplement",
            "clerk-1",
            json!({"missing": ["M02", "M03"], "note": "请补齐"}),
        )
        .await;
    assert_eq!(case["status"], "supplement_requested");
    let early_accept = app
        .act(
            &id,
            "accept",
            "clerk-1",
            case["version"].as_u64().expect("v"),
            json!({}),
        )
        .await;
    assert_eq!(early_accept.status(), StatusCode::CONFLICT);
    let case = app
        .ok(
            &case,
            "provide-supplement",
            "applicant",
            json!({"materials": ["M02", "M03"]}),
        )
        .await;
    assert_eq!(case["status"], "pre_review");
    let case = app.ok(&case, "accept", "clerk-1", json!({})).await;
    assert_eq!(case["status"], "accepted");
}

#[tokio::test]
async fn an_illegal_action_names_the_state_and_what_is_allowed() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let answer = app
        .act(
            case["id"].as_str().expect("id"),
            "deliver",
            "clerk-1",
            1,
            json!({"delivery": {"method": "pickup"}}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    assert_eq!(
        answer.headers()["content-type"].to_str().expect("ascii"),
        "application/problem+json"
    );
    let problem: Value = answer.json().await.expect("json");
    assert_eq!(problem["current_status"], "submitted");
    assert_eq!(
        problem["allowed_actions"],
        json!([
            "start-pre-review",
            "request-supplement",
            "accept",
            "reject",
            "record-visit"
        ])
    );
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("cannot deliver")
    );
}

#[tokio::test]
async fn a_stale_or_missing_version_is_refused() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let id = case["id"].as_str().expect("id");
    let case = app
        .ok(&case, "start-pre-review", "clerk-1", json!({}))
        .await;
    let stale = app.act(id, "accept", "clerk-2", 1, json!({})).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let problem: Value = stale.json().await.expect("json");
    assert_eq!(problem["current_version"], case["version"]);
    let missing = app
        .http
        .post(format!("{}/api/v1/cases/{id}/accept", app.url))
        .header("x-actor", "clerk-1")
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::PRECONDITION_REQUIRED);
}

#[tokio::test]
async fn two_clerks_never_both_accept_the_same_case() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let id = case["id"].as_str().expect("id").to_string();
    let attempts = (0..8).map(|n| {
        let app = &app;
        let id = id.clone();
        async move {
            app.act(&id, "accept", &format!("clerk-{n}"), 1, json!({}))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT)
    );
    let (_, detail) = app.get(&format!("/api/v1/cases/{id}")).await;
    let accepted = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["event"]["type"] == "accepted")
        .count();
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn a_refused_command_in_a_batch_does_not_undo_its_neighbours() {
    let app = spawn_app().await;
    let mut cases = Vec::new();
    for _ in 0..20 {
        cases.push(app.new_case(&["M01", "M02", "M03"]).await);
    }
    // Half the requests are refused by the rules (reject without a reason); all arrive at once.
    let requests = cases.iter().enumerate().map(|(i, case)| {
        let app = &app;
        let id = case["id"].as_str().expect("id").to_string();
        async move {
            if i % 2 == 0 {
                app.act(&id, "accept", "clerk-1", 1, json!({}))
                    .await
                    .status()
            } else {
                app.act(&id, "reject", "clerk-1", 1, json!({"reason": ""}))
                    .await
                    .status()
            }
        }
    });
    let statuses = futures::future::join_all(requests).await;
    for (i, status) in statuses.iter().enumerate() {
        let expected = if i % 2 == 0 {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(*status, expected, "request {i}");
    }
    for (i, case) in cases.iter().enumerate() {
        let (_, detail) = app
            .get(&format!(
                "/api/v1/cases/{}",
                case["id"].as_str().expect("id")
            ))
            .await;
        let expected = if i % 2 == 0 { "accepted" } else { "submitted" };
        assert_eq!(detail["case"]["status"], expected, "case {i}");
    }
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_files_nothing_new() {
    let app = spawn_app().await;
    let first = app
        .submit(application("SCJG-001", &["M01"]), Some("phone-retry-1"))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let retry = app
        .submit(application("SCJG-001", &["M01"]), Some("phone-retry-1"))
        .await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(first, retry);
    let (_, page) = app.get("/api/v1/cases").await;
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    let other = app
        .submit(application("GA-101", &["M01"]), Some("phone-retry-1"))
        .await;
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn bad_input_gets_a_problem_naming_the_field() {
    let app = spawn_app().await;
    let mut body = application("SCJG-001", &["M01"]);
    body["applicant"]["id_number"] = json!("110105194912310021");
    let answer = app.submit(body, None).await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = answer.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "applicant.id_number");
    assert!(
        problem["errors"][0]["reason"]
            .as_str()
            .expect("reason")
            .contains("character 18")
    );

    let unknown = app.submit(application("NO-SUCH", &[]), None).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = unknown.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "item_code");

    let wrong_material = app.submit(application("SCJG-001", &["M09"]), None).await;
    let problem: Value = wrong_material.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "materials[0]");

    let broken = app
        .http
        .post(format!("{}/api/v1/cases", app.url))
        .header("x-actor", "clerk-1")
        .header("content-type", "application/json")
        .body("{\"item_code\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let problem: Value = broken.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "body");

    let nobody = app
        .http
        .post(format!("{}/api/v1/cases", app.url))
        .json(&application("SCJG-001", &[]))
        .send()
        .await
        .expect("request");
    assert_eq!(nobody.status(), StatusCode::BAD_REQUEST);

    let (status, _) = app.get("/api/v1/cases?status=sleeping").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.get("/api/v1/cases/no-such-case").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_calendar_endpoint_gives_deadlines_and_refuses_unknown_years() {
    let app = spawn_app().await;
    let (status, answer) = app
        .get("/api/v1/calendar/deadline?start=2026-02-13&working_days=2")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["deadline"], "2026-02-24",
        "Spring Festival 2026 lies between"
    );
    let (status, problem) = app
        .get("/api/v1/calendar/deadline?start=2027-03-01&working_days=2")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["detail"].as_str().expect("detail").contains("2027"));
    let (status, _) = app
        .get("/api/v1/calendar/deadline?start=yesterday&working_days=2")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_catalogue_can_be_searched_and_read() {
    let app = spawn_app().await;
    let (_, page) = app.get("/api/v1/catalogue/items?q=护照").await;
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    assert_eq!(page["items"][0]["code"], "GA-101");
    let (_, page) = app.get("/api/v1/catalogue/items?limit=1").await;
    assert_eq!(page["next_cursor"], "GA-101");
    let (_, next) = app
        .get("/api/v1/catalogue/items?limit=1&cursor=GA-101")
        .await;
    assert_eq!(next["items"][0]["code"], "SCJG-001");
    assert_eq!(next["next_cursor"], Value::Null);
    let (status, item) = app.get("/api/v1/catalogue/items/SCJG-001").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(item["version"], 1);
    assert_eq!(item["materials"].as_array().expect("materials").len(), 3);
    let (_, figures) = app.get("/api/v1/catalogue/figures").await;
    assert_eq!(figures["total_items"], 2);
    let (status, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/cases/{id}/{action}"]["post"].is_object());
}

#[tokio::test]
async fn a_case_stays_bound_to_the_version_it_was_filed_under() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let mut doc = test_catalogue();
    doc.items[0].promised_days = 3;
    doc.items[0].materials.pop();
    let summary = app.service.import_catalogue(doc).await.expect("imports");
    assert_eq!(summary.new_versions, 1);
    assert_eq!(summary.unchanged, 1);
    let (_, item) = app.get("/api/v1/catalogue/items/SCJG-001").await;
    assert_eq!(item["version"], 2);
    let case = app.ok(&case, "accept", "clerk-1", json!({})).await;
    assert_eq!(case["item_version"], 1);
    assert_eq!(case["promised_days"], 5);
    assert_eq!(case["required_materials"], json!(["M01", "M02", "M03"]));
}

#[tokio::test]
async fn lists_filter_and_page_without_counting() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.new_case(&["M01", "M02", "M03"]).await;
    }
    let passport = app.submit(application("GA-101", &["M01"]), None).await;
    let passport: Value = passport.json().await.expect("json");
    let accepted = app.ok(&passport, "accept", "clerk-1", json!({})).await;
    let (_, page) = app.get("/api/v1/cases?limit=2").await;
    assert_eq!(page["items"].as_array().expect("items").len(), 2);
    let mut seen = 2;
    let mut cursor = page["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let (_, next) = app.get(&format!("/api/v1/cases?limit=2&cursor={c}")).await;
        seen += next["items"].as_array().expect("items").len();
        cursor = next["next_cursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen, 6);
    let (_, by_item) = app.get("/api/v1/cases?item=GA-101").await;
    assert_eq!(by_item["items"].as_array().expect("items").len(), 1);
    let (_, by_status) = app.get("/api/v1/cases?status=accepted,in_review").await;
    assert_eq!(by_status["items"][0]["id"], accepted["id"]);
    let (_, by_department) = app.get("/api/v1/cases?department=SCJG").await;
    assert_eq!(by_department["items"].as_array().expect("items").len(), 5);
    let (_, overdue) = app.get("/api/v1/cases?overdue=true").await;
    assert!(overdue["items"].as_array().expect("items").is_empty());
    // Seven promised working days from 2 November end on 11 November.
    app.at(day(2026, 11, 12));
    let (_, overdue) = app.get("/api/v1/cases?overdue=true").await;
    assert_eq!(overdue["items"].as_array().expect("items").len(), 1);
}

#[tokio::test]
async fn a_case_without_a_notice_in_five_working_days_counts_as_accepted_on_receipt() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01"]).await;
    app.at(day(2026, 11, 9));
    assert_eq!(
        app.service.accept_lapsed_cases().await.expect("sweep"),
        0,
        "day 5 is still in time"
    );
    app.at(day(2026, 11, 10));
    assert_eq!(app.service.accept_lapsed_cases().await.expect("sweep"), 1);
    assert_eq!(
        app.service.accept_lapsed_cases().await.expect("sweep"),
        0,
        "only once"
    );
    let (_, detail) = app
        .get(&format!(
            "/api/v1/cases/{}",
            case["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(detail["case"]["status"], "accepted");
    assert_eq!(detail["case"]["deemed_accepted"], true);
    assert_eq!(detail["case"]["accepted_on"], "2026-11-02");
    assert_eq!(detail["history"][1]["actor"], "system");
}

#[tokio::test]
async fn catalogue_export_and_import_round_trip_in_both_formats() {
    let app = spawn_app().await;
    let exported = app.service.export_catalogue().await.expect("export");
    for format in [Format::Json, Format::Csv] {
        let text = catalogue_io::render(format, &exported).expect("renders");
        let mut parsed = catalogue_io::parse(format, &text).expect("parses");
        if format == Format::Csv {
            parsed.departments = exported.departments.clone();
        }
        assert_eq!(parsed, exported, "{format:?}");
        let summary = app.service.import_catalogue(parsed).await.expect("imports");
        assert_eq!(summary.new_versions, 0, "{format:?}: nothing changed");
    }
}

#[tokio::test]
async fn an_import_with_errors_reports_every_bad_row_and_imports_nothing() {
    let app = spawn_app().await;
    let mut doc = test_catalogue();
    doc.items[0].name = "食品经营许可（新版）".into();
    let good = catalogue_io::render(Format::Csv, &doc).expect("renders");
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    lines[2] = lines[2]
        .replacen(",licence,", ",permit,", 1)
        .replacen(",7,1,", ",7,x,", 1);
    let bad = lines.join("\n");
    match catalogue_io::parse(Format::Csv, &bad) {
        Err(ImportError::BadRows(rows)) => {
            let fields: Vec<_> = rows.iter().map(|r| (r.row, r.field.as_str())).collect();
            assert_eq!(fields, vec![(3, "kind"), (3, "visits_required")]);
        }
        other => panic!("expected bad rows, got {other:?}"),
    }
    doc.items[1].department = "NOPE".into();
    match app.service.import_catalogue(doc).await {
        Err(ImportError::BadRows(rows)) => assert_eq!(rows[0].field, "department"),
        other => panic!("expected bad rows, got {other:?}"),
    }
    let (_, item) = app.get("/api/v1/catalogue/items/SCJG-001").await;
    assert_eq!(
        item["name"], "食品经营许可",
        "the good row was not imported either"
    );
}

#[tokio::test]
async fn identifiers_are_stored_canonically_and_actors_may_have_chinese_names() {
    let app = spawn_app().await;
    let mut body = application("SCJG-001", &["M01", "M02", "M03"]);
    body["applicant"]["id_number"] = json!("11010519491231002x");
    let answer = app
        .http
        .post(format!("{}/api/v1/cases", app.url))
        .header(
            "x-actor",
            reqwest::header::HeaderValue::from_bytes("张三".as_bytes()).expect("utf-8 header"),
        )
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), StatusCode::CREATED);
    let case: Value = answer.json().await.expect("json");
    assert_eq!(case["applicant"]["id_number"], PERSON_ID);
    let (_, detail) = app
        .get(&format!(
            "/api/v1/cases/{}",
            case["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(detail["history"][0]["actor"], "张三");
}

#[tokio::test]
async fn an_application_is_received_even_when_the_calendar_ends_before_its_notice_period() {
    let app = spawn_app().await;
    // 2026-12-28: five working days later is in 2027, which the calendar does not cover yet.
    app.at(day(2026, 12, 28));
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    assert_eq!(case["status"], "submitted");
    let refused = app
        .act(
            case["id"].as_str().expect("id"),
            "accept",
            "clerk-1",
            1,
            json!({}),
        )
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no promise without a calendar"
    );
    let problem: Value = refused.json().await.expect("json");
    assert!(problem["detail"].as_str().expect("detail").contains("2027"));
}
