//! HTTP-level tests of the JSON API against the real app on a real store.
//!
//! By default every test gets a fresh SQLite data directory. With
//! `ONEWINDOW_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres` the same tests run
//! against PostgreSQL, each in a fresh database.
//!
//! Every app starts with one account per role (and some out of the scope of the test cases);
//! each logs in over HTTP once. Requests carry an API token each account made with its login
//! session: sessions last 12 hours and several tests move the clock by days.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use onewindow_app::accounts::Actor;
use onewindow_app::catalogue_io::{self, CatalogueDocument, Format, ImportError};
use onewindow_app::clock::Clock as _;
use onewindow_app::{ManualClock, Service};
use onewindow_domain::access::{Post, Role};
use onewindow_domain::catalogue::{
    Department, Fee, HallStatus, Item, ItemKind, Level, Material, MaterialCategory, MaterialForm,
    MaterialSource, RunMode,
};
use onewindow_domain::identifiers::ResidentIdNumber;
use onewindow_testkit::{Builder, PASSWORD, TempDir, TestAccount, World};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The citizen whose applications the tests file.
const PERSON_ID: &str = "11010519491231002X";
const PERSON_ID_MASKED: &str = "1101**********002X";
const PERSON_PHONE: &str = "13800000000";
const PERSON_PHONE_MASKED: &str = "138****0000";
/// Another citizen, with nothing to do with those applications.
const OTHER_PERSON_ID: &str = "110101199003074477";

// In scope of the test cases (filed at "county-hall" for item SCJG-001 of department SCJG).
const CITIZEN: &str = "citizen";
const AGENT: &str = "agent";
/// A window clerk at county-hall with the personal-data grant.
const CLERK: &str = "clerk";
/// A second clerk at county-hall, without the grant.
const CLERK2: &str = "clerk2";
const REVIEWER: &str = "reviewer";
const APPROVER: &str = "approver";
const SUPERVISOR: &str = "supervisor";
const VISITOR: &str = "visitor";
const INTERMEDIARY: &str = "intermediary";
const ADMIN: &str = "admin";
// Out of scope: another centre, another department, another citizen.
const YUELONG_CLERK: &str = "yuelong-clerk";
const GA_REVIEWER: &str = "ga-reviewer";
const GA_APPROVER: &str = "ga-approver";
const OTHER_CITIZEN: &str = "other-citizen";

type Account = TestAccount;

fn account(username: &'static str, display_name: &'static str, post: Post) -> Account {
    TestAccount {
        display_name: display_name.to_owned(),
        ..onewindow_testkit::account(username, post)
    }
}

fn test_accounts() -> Vec<Account> {
    let clerk = |centre: &str| Post::new(Role::Clerk).at_centre(centre);
    let of = |role: Role, department: &str| Post::new(role).in_department(department);
    vec![
        Account {
            identity: Some(PERSON_ID),
            phone: Some(PERSON_PHONE),
            ..account(CITIZEN, "王芳", Post::new(Role::Applicant))
        },
        account(AGENT, "周代办", Post::new(Role::Agent)),
        Account {
            may_reveal: true,
            ..account(CLERK, "张三", clerk("county-hall"))
        },
        account(CLERK2, "李四", clerk("county-hall")),
        account(REVIEWER, "王审查", of(Role::Reviewer, "SCJG")),
        account(APPROVER, "赵审批", of(Role::Approver, "SCJG")),
        account(SUPERVISOR, "钱监察", Post::new(Role::Supervisor)),
        account(VISITOR, "吴回访", Post::new(Role::ReturnVisitOperator)),
        account(
            INTERMEDIARY,
            "宁海县评估有限公司",
            Post::new(Role::Intermediary),
        ),
        account(ADMIN, "孙管理", Post::new(Role::Administrator)),
        account(YUELONG_CLERK, "冯受理", clerk("township-yuelong")),
        account(GA_REVIEWER, "陈审查", of(Role::Reviewer, "GA")),
        account(GA_APPROVER, "褚审批", of(Role::Approver, "GA")),
        Account {
            identity: Some(OTHER_PERSON_ID),
            ..account(OTHER_CITIZEN, "卫东", Post::new(Role::Applicant))
        },
    ]
}

/// A login session as the login endpoint answers it.
#[derive(Clone)]
struct Session {
    token: String,
    csrf_token: String,
}

struct TestApp {
    url: String,
    http: reqwest::Client,
    service: Service,
    clock: Arc<ManualClock>,
    /// The session each account got from logging in over HTTP.
    sessions: HashMap<&'static str, Session>,
    /// A year-long API token of each account, made with its session; what requests carry.
    tokens: HashMap<&'static str, String>,
    _dir: TempDir,
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
        licence_type: None,
        category: MaterialCategory::Ordinary,
        required: true,
        sample: None,
        cancelled: None,
        necessity: Default::default(),
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
        decision_without_proposal: false,
        licence_valid_years: None,
        commitment_text: None,
        auto_approval: false,
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

fn operator() -> Actor {
    Actor::command_line("test")
}

/// Starts the whole app on a fresh store with a small catalogue and the test accounts, each
/// logged in; the clock stands at Monday 2 November 2026, 09:00 China time.
async fn spawn_app() -> TestApp {
    let accounts = test_accounts();
    // Uploads go to `files` in the test's own directory.
    let World {
        service,
        clock,
        dir,
        ..
    } = Builder::new("api", day(2026, 11, 2))
        .catalogue(test_catalogue())
        .accounts(accounts.clone())
        .with_files()
        .service()
        .await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = onewindow_web::app(service.clone());
    tokio::spawn(async move {
        axum_serve(listener, router).await;
    });
    let mut app = TestApp {
        url: format!("http://{addr}"),
        http: reqwest::Client::new(),
        service,
        clock,
        sessions: HashMap::new(),
        tokens: HashMap::new(),
        _dir: dir,
    };
    let app_ref = &app;
    let logged_in = futures::future::join_all(accounts.iter().map(|a| async move {
        let session = app_ref.log_in(a.username, PASSWORD).await;
        let (status, made) = app_ref
            .send(
                app_ref
                    .http
                    .post(app_ref.path("/api/v1/auth/tokens"))
                    .bearer_auth(&session.token)
                    .json(&json!({"name": "api tests", "days": 366})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {made}", a.username);
        let token = made["token"].as_str().expect("token").to_string();
        (a.username, session, token)
    }))
    .await;
    for (username, session, token) in logged_in {
        app.sessions.insert(username, session);
        app.tokens.insert(username, token);
    }
    app
}

/// Serves with the peer address, which the audit trail records as the source.
async fn axum_serve(listener: tokio::net::TcpListener, router: axum::Router) {
    let _ = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await;
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

impl TestApp {
    fn at(&self, date: NaiveDate) {
        self.clock.set(onewindow_app::clock::local_morning(date));
    }

    fn path(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    fn token(&self, who: &str) -> &str {
        self.tokens
            .get(who)
            .unwrap_or_else(|| panic!("no account {who}"))
    }

    /// A request carrying `who`'s API token.
    fn request(&self, who: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.path(path))
            .bearer_auth(self.token(who))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        answer(request.send().await.expect("request")).await
    }

    async fn get_as(&self, who: &str, path: &str) -> (StatusCode, Value) {
        self.send(self.request(who, Method::GET, path)).await
    }

    /// A GET by the clerk of county-hall, who sees every test case filed there.
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_as(CLERK, path).await
    }

    async fn post_as(&self, who: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.request(who, Method::POST, path).json(&body))
            .await
    }

    /// A GET without any credentials.
    async fn get_public(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(self.path(path))).await
    }

    /// The login endpoint's answer, as it comes.
    async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.path("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("request")
    }

    /// Logs in; the login must succeed.
    async fn log_in(&self, username: &str, password: &str) -> Session {
        let (status, body) = answer(self.login(username, password).await).await;
        assert_eq!(status, StatusCode::OK, "login of {username}: {body}");
        Session {
            token: body["token"].as_str().expect("token").to_string(),
            csrf_token: body["csrf_token"].as_str().expect("csrf").to_string(),
        }
    }

    async fn submit_as(&self, who: &str, body: Value, key: Option<&str>) -> reqwest::Response {
        let mut request = self.request(who, Method::POST, "/api/v1/cases").json(&body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.expect("request")
    }

    /// Files at the window of county-hall, as its clerk.
    async fn submit(&self, body: Value, key: Option<&str>) -> reqwest::Response {
        self.submit_as(CLERK, body, key).await
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
        who: &str,
        version: u64,
        body: Value,
    ) -> reqwest::Response {
        self.request(who, Method::POST, &format!("/api/v1/cases/{id}/{action}"))
            .header("if-match", format!("\"{version}\""))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Runs an action that must succeed; returns the case.
    async fn ok(&self, case: &Value, action: &str, who: &str, body: Value) -> Value {
        let id = case["id"].as_str().expect("id");
        let version = case["version"].as_u64().expect("version");
        let answer = self.act(id, action, who, version, body).await;
        let status = answer.status();
        let json: Value = answer.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{action} by {who}: {json}");
        json
    }

    /// The case's version as the supervisor (who reads every case) sees it now.
    async fn version_of(&self, id: &str) -> u64 {
        let (status, detail) = self
            .get_as(SUPERVISOR, &format!("/api/v1/cases/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        detail["case"]["version"].as_u64().expect("version")
    }

    /// One page of the audit trail, searched by the supervisor.
    async fn audit(&self, query: &str) -> Value {
        let (status, page) = self
            .get_as(SUPERVISOR, &format!("/api/v1/audit?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "audit?{query}: {page}");
        page
    }

    /// A case filed by the agent for the citizen at county-hall, brought through the API by the
    /// roles whose work it is into `stage`.
    async fn case_at(&self, stage: Stage) -> Value {
        let filed = self
            .submit_as(AGENT, application("SCJG-001", &["M01", "M02", "M03"]), None)
            .await;
        assert_eq!(filed.status(), StatusCode::CREATED);
        let mut case: Value = filed.json().await.expect("json");
        for (action, who, body) in stage.path() {
            case = self.ok(&case, action, who, body).await;
        }
        assert_eq!(case["status"], stage.status(), "{stage:?}");
        case
    }
}

/// States a case is brought into for the tests of who may act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stage {
    Submitted,
    PreReview,
    SupplementRequested,
    Accepted,
    InReview,
    /// In review with the reviewer's proposal: the approver may decide.
    Proposed,
    Suspended,
    Approved,
    ResultIssued,
    Delivered,
}

impl Stage {
    fn status(self) -> &'static str {
        match self {
            Stage::Submitted => "submitted",
            Stage::PreReview => "pre_review",
            Stage::SupplementRequested => "supplement_requested",
            Stage::Accepted => "accepted",
            Stage::InReview | Stage::Proposed => "in_review",
            Stage::Suspended => "suspended",
            Stage::Approved => "approved",
            Stage::ResultIssued => "result_issued",
            Stage::Delivered => "delivered",
        }
    }

    /// The actions (and who takes them) from receipt to this stage.
    fn path(self) -> Vec<(&'static str, &'static str, Value)> {
        let accept = ("accept", CLERK, json!({}));
        let review = ("start-review", REVIEWER, json!({}));
        let propose = (
            "propose",
            REVIEWER,
            json!({"approve": true, "opinion": "材料齐全，符合法定条件，拟准予许可"}),
        );
        let approve = (
            "decide",
            APPROVER,
            json!({"approve": true, "reason": "符合法定条件"}),
        );
        let issue = ("issue-result", REVIEWER, json!({}));
        match self {
            Stage::Submitted => vec![],
            Stage::PreReview => vec![("start-pre-review", CLERK, json!({}))],
            Stage::SupplementRequested => vec![(
                "request-supplement",
                CLERK,
                json!({"missing": ["M02"], "note": "平面图不清晰"}),
            )],
            Stage::Accepted => vec![accept],
            Stage::InReview => vec![accept, review],
            Stage::Proposed => vec![accept, review, propose],
            Stage::Suspended => vec![
                accept,
                review,
                (
                    "suspend",
                    REVIEWER,
                    json!({"kind": "inspection", "reason": "现场核查"}),
                ),
            ],
            Stage::Approved => vec![accept, review, propose.clone(), approve],
            Stage::ResultIssued => vec![accept, review, propose.clone(), approve, issue],
            Stage::Delivered => vec![
                accept,
                review,
                propose,
                approve,
                issue,
                (
                    "deliver",
                    CLERK,
                    json!({"delivery": {"method": "pickup", "collected_by": {"name": "张建国", "id_number": "330226198806150022", "authorised": true, "authorisation": "授权委托书"}}}),
                ),
            ],
        }
    }
}

fn application(item: &str, materials: &[&str]) -> Value {
    json!({
        "item_code": item,
        "applicant": {"kind": "person", "name": "王芳", "id_number": PERSON_ID, "phone": PERSON_PHONE},
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
            CLERK,
            json!({"purpose": "窗口递交材料", "exception": "offline_day"}),
        )
        .await;
    let case = app.ok(&case, "start-pre-review", CLERK, json!({})).await;
    let case = app.ok(&case, "accept", CLERK, json!({})).await;
    assert_eq!(case["status"], "accepted");
    app.at(day(2026, 11, 3));
    let case = app.ok(&case, "start-review", REVIEWER, json!({})).await;
    let case = app
        .ok(
            &case,
            "propose",
            REVIEWER,
            json!({"approve": true, "opinion": "拟准予许可"}),
        )
        .await;
    let case = app
        .ok(
            &case,
            "decide",
            APPROVER,
            json!({"approve": true, "reason": "符合法定条件"}),
        )
        .await;
    let case = app
        .ok(
            &case,
            "issue-result",
            REVIEWER,
            json!({"document_number": "JY33302260001234"}),
        )
        .await;
    let case = app
        .ok(
            &case,
            "deliver",
            CLERK,
            json!({"delivery": {"method": "pickup", "collected_by": {"name": "张建国", "id_number": "330226198806150022", "authorised": true, "authorisation": "授权委托书"}}}),
        )
        .await;
    assert_eq!(case["status"], "delivered");
    let case = app.ok(&case, "close", CLERK, json!({})).await;
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
            "proposed",
            "decided",
            "result_issued",
            "delivered",
            "closed"
        ]
    );
    assert_eq!(detail["history"][3]["actor"], CLERK);
    assert_eq!(detail["history"][4]["actor"], REVIEWER);
    assert_eq!(detail["history"][5]["actor"], REVIEWER);
    assert_eq!(detail["history"][6]["actor"], APPROVER);
    assert_eq!(detail["case"]["decision"]["decided_by"], APPROVER);
    assert_eq!(detail["case"]["proposal"]["proposed_by"], REVIEWER);
    assert_eq!(
        detail["case"]["decision"]["overruled"],
        Value::Null,
        "agreed"
    );
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
    let case = app.ok(&case, "accept", CLERK, json!({})).await;
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
    assert_eq!(
        detail["timeliness"],
        json!({"state": "overdue", "working_days_overdue": 2, "days_overdue": 3})
    );
}

#[tokio::test]
async fn a_case_due_on_friday_is_overdue_on_the_weekend_after() {
    let app = spawn_app().await;
    // Accepted on Friday 27 November 2026 with 5 working days: due Friday 4 December.
    app.at(day(2026, 11, 27));
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let case = app.ok(&case, "accept", CLERK, json!({})).await;
    let path = format!("/api/v1/cases/{}", case["id"].as_str().expect("id"));
    app.at(day(2026, 12, 4));
    let (_, detail) = app.get(&path).await;
    assert_eq!(detail["due_on"], "2026-12-04");
    assert_eq!(
        detail["timeliness"],
        json!({"state": "on_time", "working_days_left": 0})
    );
    // Sunday 6 December: no working day has passed since, and the case is overdue all the same.
    app.at(day(2026, 12, 6));
    let (_, detail) = app.get(&path).await;
    assert_eq!(
        detail["timeliness"],
        json!({"state": "overdue", "working_days_overdue": 0, "days_overdue": 2})
    );
    // The sweep of that Sunday turns the light red and the monitor says why.
    let swept = app.service.sweep_lights().await.expect("sweep");
    assert_eq!(swept.alerts, 1, "green to red: one alert");
    let (_, monitor) = app.get_as(SUPERVISOR, "/api/v1/monitor").await;
    let red = monitor["red"].as_array().expect("red list");
    let lit = red
        .iter()
        .find(|c| c["number"] == case["number"])
        .unwrap_or_else(|| panic!("red on the Sunday: {monitor}"));
    assert_eq!(lit["timeliness"]["state"], "overdue");
    assert_eq!(lit["days_left"], 0);
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
            CLERK,
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
            CLERK,
            json!({"missing": ["M02", "M03"], "note": "请补齐"}),
        )
        .await;
    assert_eq!(case["status"], "supplement_requested");
    let early_accept = app
        .act(
            &id,
            "accept",
            CLERK,
            case["version"].as_u64().expect("v"),
            json!({}),
        )
        .await;
    assert_eq!(early_accept.status(), StatusCode::CONFLICT);
    let case = app
        .ok(
            &case,
            "provide-supplement",
            CITIZEN,
            json!({"materials": ["M02", "M03"]}),
        )
        .await;
    assert_eq!(case["status"], "pre_review");
    let case = app.ok(&case, "accept", CLERK, json!({})).await;
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
            CLERK,
            1,
            json!({"delivery": {"method": "pickup", "collected_by": {"name": "张建国", "id_number": "330226198806150022", "authorised": true, "authorisation": "授权委托书"}}}),
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
            "record-visit",
            "withdraw"
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
    let case = app.ok(&case, "start-pre-review", CLERK, json!({})).await;
    let stale = app.act(id, "accept", CLERK2, 1, json!({})).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let problem: Value = stale.json().await.expect("json");
    assert_eq!(problem["current_version"], case["version"]);
    let missing = app
        .request(CLERK, Method::POST, &format!("/api/v1/cases/{id}/accept"))
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
    let attempts = [CLERK, CLERK2].repeat(4).into_iter().map(|clerk| {
        let app = &app;
        let id = id.clone();
        async move { app.act(&id, "accept", clerk, 1, json!({})).await.status() }
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
                app.act(&id, "accept", CLERK, 1, json!({})).await.status()
            } else {
                app.act(&id, "reject", CLERK, 1, json!({"reason": ""}))
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
async fn text_fields_have_limits_and_no_control_characters_and_a_huge_body_is_413() {
    let app = spawn_app().await;
    for (field, value, reason) in [
        (
            "name",
            json!("名".repeat(350_000)),
            "at most 100 characters",
        ),
        ("name", json!("王\u{0}芳"), "U+0000"),
        ("phone", json!("138\u{7}0000"), "control characters"),
        ("phone", json!("call me maybe"), "digits only"),
    ] {
        let mut body = application("SCJG-001", &["M01"]);
        body["applicant"][field] = value;
        let answer = app.submit(body, None).await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let problem: Value = answer.json().await.expect("json");
        assert_eq!(problem["errors"][0]["field"], format!("applicant.{field}"));
        let said = problem["errors"][0]["reason"].as_str().unwrap_or_default();
        assert!(said.contains(reason), "{said}");
    }
    let (_, list) = app.get("/api/v1/cases").await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was filed"
    );
    // A reason with an escape sequence is refused at its field; the case does not move.
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let id = case["id"].as_str().expect("id");
    let answer = app
        .act(
            id,
            "reject",
            CLERK,
            1,
            json!({"reason": "\u{1b}[2J 材料不全"}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = answer.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "reason");
    // More than 2 MiB: 413 as a problem document.
    let mut body = application("SCJG-001", &["M01"]);
    body["applicant"]["name"] = json!("x".repeat(3 * 1024 * 1024));
    let answer = app.submit(body, None).await;
    assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let problem: Value = answer.json().await.expect("json");
    assert_eq!(problem["type"], "/docs/api.md#too-large");
    // Published figures need no login, as documented.
    for path in ["/api/v1/regions", "/api/v1/reports/bundles"] {
        let (status, _) = app.get_public(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn a_whole_number_written_with_a_fraction_is_taken_as_the_document_allows() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let id = case["id"].as_str().expect("id").to_string();
    let accepted = app.ok(&case, "accept", CLERK, json!({})).await;
    let version = accepted["version"].as_u64().expect("version");
    // JSON Schema counts 3.0 an integer: an extension of 3.0 working days is 3.
    let answer = app
        .act(
            &id,
            "extend",
            APPROVER,
            version,
            json!({"working_days": 3.0, "reason": "需要现场核查"}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let extended: Value = answer.json().await.expect("json");
    assert_eq!(extended["clock"]["extension_days"], 3);
    // 3.5 is no whole number: still refused, naming the field.
    let answer = app
        .act(
            &id,
            "extend",
            APPROVER,
            extended["version"].as_u64().expect("version"),
            json!({"working_days": 3.5, "reason": "x"}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let problem: Value = answer.json().await.expect("json");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("3.5"),
        "{problem}"
    );
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
        .request(CLERK, Method::POST, "/api/v1/cases")
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
    assert_eq!(nobody.status(), StatusCode::UNAUTHORIZED);

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
    // 2027 is provisional (no notice yet): answered and marked.
    let (status, answer) = app
        .get("/api/v1/calendar/deadline?start=2027-03-01&working_days=2")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["deadline"], "2027-03-03");
    assert_eq!(answer["provisional"], true);
    let (status, problem) = app
        .get("/api/v1/calendar/deadline?start=2028-03-01&working_days=2")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["detail"].as_str().expect("detail").contains("2028"));
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
    let summary = app
        .service
        .import_catalogue(&operator(), doc)
        .await
        .expect("imports");
    assert_eq!(summary.new_versions, 1);
    assert_eq!(summary.unchanged, 1);
    let (_, item) = app.get("/api/v1/catalogue/items/SCJG-001").await;
    assert_eq!(item["version"], 2);
    let case = app.ok(&case, "accept", CLERK, json!({})).await;
    assert_eq!(case["item_version"], 1);
    assert_eq!(case["promised_days"], 5);
    assert_eq!(case["required_materials"], json!(["M01", "M02", "M03"]));
}

#[tokio::test]
async fn lists_filter_and_page_without_counting() {
    let app = spawn_app().await;
    let mut filed = Vec::new();
    for _ in 0..5 {
        filed.push(app.new_case(&["M01", "M02", "M03"]).await);
    }
    let passport = app.submit(application("GA-101", &["M01"]), None).await;
    let passport: Value = passport.json().await.expect("json");
    let accepted = app.ok(&passport, "accept", CLERK, json!({})).await;
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
    // The overdue filter keeps to the states asked for.
    let (_, none) = app.get("/api/v1/cases?overdue=true&status=submitted").await;
    assert!(
        none["items"].as_array().expect("items").is_empty(),
        "{none}"
    );
    let (_, one) = app
        .get("/api/v1/cases?overdue=true&status=submitted,accepted")
        .await;
    assert_eq!(one["items"][0]["id"], accepted["id"], "{one}");

    // Several states are one newest-first order across them (each state is read as a range of
    // its own, issue 19), paged by cursor without a gap or a repeat.
    app.ok(&filed[1], "accept", CLERK, json!({})).await;
    app.ok(&filed[3], "accept", CLERK, json!({})).await;
    let (_, all) = app.get("/api/v1/cases?limit=50").await;
    let expected: Vec<Value> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|c| c["status"] == "submitted" || c["status"] == "accepted")
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(expected.len(), 6);
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/cases?status=accepted,submitted&limit=2&cursor={c}"),
            None => "/api/v1/cases?status=accepted,submitted&limit=2".to_string(),
        };
        let (_, page) = app.get(&path).await;
        paged.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|c| c["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, expected);
    let (_, by_both) = app
        .get("/api/v1/cases?department=SCJG&status=submitted,accepted")
        .await;
    let ids: Vec<&Value> = by_both["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids.len(), 5, "{by_both}");
    assert!(!ids.contains(&&accepted["id"]), "GA-101 is not SCJG's");
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
        let summary = app
            .service
            .import_catalogue(&operator(), parsed)
            .await
            .expect("imports");
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
    match app.service.import_catalogue(&operator(), doc).await {
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
async fn identifiers_are_stored_canonically_and_shown_in_full_only_on_request() {
    let app = spawn_app().await;
    let mut body = application("SCJG-001", &["M01", "M02", "M03"]);
    body["applicant"]["id_number"] = json!("11010519491231002x");
    let answer = app.submit(body, None).await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    let case: Value = answer.json().await.expect("json");
    let id = case["id"].as_str().expect("id");
    assert_eq!(
        case["applicant"]["id_number"], PERSON_ID_MASKED,
        "masked, with the canonical upper-case check character"
    );
    let (_, page) = app.get("/api/v1/cases").await;
    assert_eq!(page["items"][0]["applicant"]["id_number"], PERSON_ID_MASKED);
    let (status, full) = app.get(&format!("/api/v1/cases/{id}/personal-data")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(full["id_number"], PERSON_ID, "stored canonically");
    // The applicant account stands for the canonical identity: the lower-case filing is theirs.
    let (status, _) = app.get_as(CITIZEN, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = app.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        detail["history"][0]["actor"], CLERK,
        "histories name the user"
    );
    // Names of people are Chinese: they live in the display name.
    let (_, me) = app.get_as(CLERK, "/api/v1/auth/me").await;
    assert_eq!(me["display_name"], "张三");
    assert_eq!(me["username"], CLERK);
}

#[tokio::test]
async fn an_application_is_received_even_when_the_calendar_ends_before_its_notice_period() {
    let mut app = spawn_app().await;
    // 2027-12-28: five working days later is in 2028, which the calendar does not cover (2027 is
    // only provisional). The clerk logs in again: a year's token has run out by then.
    app.at(day(2027, 12, 28));
    let session = app.log_in(CLERK, PASSWORD).await;
    app.tokens.insert(CLERK, session.token);
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    assert_eq!(case["status"], "submitted");
    let refused = app
        .act(
            case["id"].as_str().expect("id"),
            "accept",
            CLERK,
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
    assert!(problem["detail"].as_str().expect("detail").contains("2028"));
}

// ---- who may do what ----------------------------------------------------------------------------

/// What the API must answer one account asking for one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// 2xx, and it was done.
    Allowed,
    /// 403, and nothing changed.
    Refused,
    /// 404, as if the case did not exist, and nothing changed.
    Hidden,
}

const A: Want = Want::Allowed;
const R: Want = Want::Refused;
const H: Want = Want::Hidden;

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
enum Column {
    /// File an application for the citizen at county-hall.
    Submit,
    ListCases,
    ReadCase,
    RevealPersonalData,
    /// A case action on a case in this stage, with this body.
    Act(&'static str, Stage, &'static str),
    CreateUser,
    ListUsers,
    SearchAudit,
}

impl Column {
    fn name(self) -> String {
        match self {
            Column::Act(action, stage, _) => format!("{action} ({})", stage.status()),
            other => format!("{other:?}"),
        }
    }
}

const COLUMNS: [Column; 23] = [
    Column::Submit,
    Column::ListCases,
    Column::ReadCase,
    Column::RevealPersonalData,
    Column::Act("start-pre-review", Stage::Submitted, "{}"),
    Column::Act(
        "request-supplement",
        Stage::Submitted,
        r#"{"missing": ["M02"], "note": "平面图不清晰"}"#,
    ),
    Column::Act(
        "request-supplement",
        Stage::InReview,
        r#"{"missing": ["M03"], "note": "管理制度缺少签章"}"#,
    ),
    Column::Act(
        "provide-supplement",
        Stage::SupplementRequested,
        r#"{"materials": ["M02"]}"#,
    ),
    Column::Act("accept", Stage::PreReview, "{}"),
    Column::Act(
        "reject",
        Stage::Submitted,
        r#"{"reason": "不属于受理范围"}"#,
    ),
    Column::Act("start-review", Stage::Accepted, "{}"),
    Column::Act(
        "suspend",
        Stage::InReview,
        r#"{"kind": "inspection", "reason": "现场核查"}"#,
    ),
    Column::Act("resume", Stage::Suspended, "{}"),
    Column::Act(
        "extend",
        Stage::InReview,
        r#"{"working_days": 5, "reason": "需组织专家论证"}"#,
    ),
    Column::Act(
        "propose",
        Stage::InReview,
        r#"{"approve": true, "opinion": "拟准予许可"}"#,
    ),
    Column::Act(
        "decide",
        Stage::Proposed,
        r#"{"approve": true, "reason": "符合法定条件"}"#,
    ),
    Column::Act(
        "issue-result",
        Stage::Approved,
        r#"{"document_number": "JY33302260009999"}"#,
    ),
    Column::Act(
        "deliver",
        Stage::ResultIssued,
        r#"{"delivery": {"method": "pickup", "collected_by": {"name": "张建国", "id_number": "330226198806150022", "authorised": true, "authorisation": "授权委托书"}}}"#,
    ),
    Column::Act("close", Stage::Delivered, "{}"),
    Column::Act(
        "record-visit",
        Stage::InReview,
        r#"{"purpose": "咨询进度", "exception": "home_visit"}"#,
    ),
    Column::CreateUser,
    Column::ListUsers,
    Column::SearchAudit,
];

/// Every account against every operation of [`COLUMNS`], on a case the agent filed for the
/// citizen at county-hall for item SCJG-001. Written out by hand from the rules of issue 3, not
/// computed from the policy. Columns:
///
/// | sub | submit for the citizen at county-hall | pre | start-pre-review           |
/// | lst | list cases                            | rsw | request-supplement, window |
/// | get | read the case                         | rsr | request-supplement, review |
/// | pii | reveal personal data                  | prv | provide-supplement         |
/// | acc | accept                                | rej | reject                     |
/// | rev | start-review                          | sus | suspend                    |
/// | res | resume                                | ext | extend                     |
/// | pro | propose (审查意见)                    | dec | decide                     |
/// | iss | issue-result                          |     |                            |
/// | dlv | deliver (hand over at the window)      | cls | close                      |
/// | vis | record-visit                          | new | create a user              |
/// | usr | list users                            | aud | search the audit trail     |
#[rustfmt::skip]
const MATRIX: [(&str, [Want; 23]); 13] = [
    //                 sub  lst  get  pii  pre  rsw  rsr  prv  acc  rej  rev  sus  res  ext  pro  dec  iss  dlv  cls  vis  new  usr  aud
    (CITIZEN,         [A,   A,   A,   A,   R,   R,   R,   A,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R]),
    (AGENT,           [A,   A,   A,   A,   R,   R,   R,   A,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R]),
    (CLERK,           [A,   A,   A,   A,   A,   A,   R,   A,   A,   A,   R,   R,   R,   R,   R,   R,   R,   A,   A,   A,   R,   R,   R]),
    (REVIEWER,        [R,   A,   A,   R,   R,   R,   A,   R,   R,   R,   A,   A,   A,   R,   A,   R,   A,   A,   R,   A,   R,   R,   R]),
    (APPROVER,        [R,   A,   A,   R,   R,   R,   A,   R,   R,   R,   A,   A,   A,   A,   A,   A,   A,   A,   R,   A,   R,   R,   R]),
    (SUPERVISOR,      [R,   A,   A,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   A]),
    (VISITOR,         [R,   A,   A,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R,   R]),
    (INTERMEDIARY,    [R,   R,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   R,   R,   R]),
    (ADMIN,           [R,   R,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   A,   A,   R]),
    (YUELONG_CLERK,   [R,   A,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   R,   R,   R]),
    (GA_REVIEWER,     [R,   A,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   R,   R,   R]),
    (GA_APPROVER,     [R,   A,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   R,   R,   R]),
    (OTHER_CITIZEN,   [R,   A,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   H,   R,   R,   R]),
];

#[tokio::test]
async fn every_role_may_do_exactly_what_the_matrix_says() {
    let app = spawn_app().await;
    // One case per stage for the refused and hidden cells: they change nothing, so they share.
    let mut shared: HashMap<Stage, Value> = HashMap::new();
    for column in COLUMNS {
        if let Column::Act(_, stage, _) = column
            && !shared.contains_key(&stage)
        {
            shared.insert(stage, app.case_at(stage).await);
        }
    }
    let submitted = shared[&Stage::Submitted]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut cases_filed = shared.len();
    let mut wrong = Vec::new();
    for (n, (who, wants)) in MATRIX.into_iter().enumerate() {
        for (column, want) in COLUMNS.into_iter().zip(wants) {
            let cell = format!("{who} × {}", column.name());
            let (success, (status, body)) = match column {
                Column::Submit => {
                    let filed = app
                        .submit_as(who, application("SCJG-001", &["M01", "M02", "M03"]), None)
                        .await;
                    (StatusCode::CREATED, answer(filed).await)
                }
                Column::ListCases => (StatusCode::OK, app.get_as(who, "/api/v1/cases").await),
                Column::ReadCase => (
                    StatusCode::OK,
                    app.get_as(who, &format!("/api/v1/cases/{submitted}")).await,
                ),
                Column::RevealPersonalData => {
                    let (status, body) = app
                        .get_as(who, &format!("/api/v1/cases/{submitted}/personal-data"))
                        .await;
                    if status == StatusCode::OK && body["id_number"] != PERSON_ID {
                        wrong.push(format!("{cell}: revealed {body}"));
                    }
                    (StatusCode::OK, (status, body))
                }
                Column::Act(action, stage, body) => {
                    // An allowed action gets a fresh case, brought into the stage by others.
                    let case = if want == A {
                        cases_filed += 1;
                        app.case_at(stage).await
                    } else {
                        shared[&stage].clone()
                    };
                    let id = case["id"].as_str().expect("id");
                    let version = case["version"].as_u64().expect("version");
                    let body: Value = serde_json::from_str(body).expect("JSON body");
                    let (status, reply) =
                        answer(app.act(id, action, who, version, body).await).await;
                    if want == A {
                        if status.is_success() && reply["version"] != version + 1 {
                            wrong.push(format!("{cell}: the case was not changed: {reply}"));
                        }
                    } else if app.version_of(id).await != version {
                        wrong.push(format!("{cell}: a refused action changed the case"));
                    }
                    (StatusCode::OK, (status, reply))
                }
                Column::CreateUser => {
                    let new_user = json!({
                        "username": format!("new-user-{n}"),
                        "display_name": "新同事",
                        "password": PASSWORD,
                        "posts": [{"role": "clerk", "centre": "county-hall"}],
                    });
                    (
                        StatusCode::CREATED,
                        app.post_as(who, "/api/v1/users", new_user).await,
                    )
                }
                Column::ListUsers => (StatusCode::OK, app.get_as(who, "/api/v1/users").await),
                Column::SearchAudit => (
                    StatusCode::OK,
                    app.get_as(who, "/api/v1/audit?limit=1").await,
                ),
            };
            let (expected, kind) = match want {
                Want::Allowed => (success, None),
                Want::Refused => (StatusCode::FORBIDDEN, Some("/docs/api.md#forbidden")),
                Want::Hidden => (StatusCode::NOT_FOUND, Some("/docs/api.md#not-found")),
            };
            if status != expected {
                wrong.push(format!("{cell}: expected {expected}, got {status}: {body}"));
            } else if let Some(kind) = kind
                && body["type"] != kind
            {
                wrong.push(format!("{cell}: expected a problem of type {kind}: {body}"));
            }
            if matches!(column, Column::Submit) && status == StatusCode::CREATED {
                cases_filed += 1;
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ from the matrix:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    let (_, all) = app.get_as(SUPERVISOR, "/api/v1/cases?limit=200").await;
    assert_eq!(
        all["items"].as_array().expect("items").len(),
        cases_filed,
        "refused submissions filed nothing"
    );
    // Refusals and hidden attempts are audited as denied.
    for (who, action) in [(REVIEWER, "case.accept"), (INTERMEDIARY, "case.decide")] {
        let page = app
            .audit(&format!("actor={who}&action={action}&outcome=denied"))
            .await;
        assert_eq!(page["items"].as_array().expect("items").len(), 1, "{who}");
    }
    let report = app.service.verify_audit_chain().await.expect("verifies");
    assert_eq!(report.broken, None);
    assert_eq!(report.checked, report.head_seq);
}

#[tokio::test]
async fn every_protected_endpoint_answers_401_without_valid_credentials() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01"]).await;
    let id = case["id"].as_str().expect("id");
    let protected = [
        (Method::POST, "/api/v1/auth/logout".to_string()),
        (Method::GET, "/api/v1/auth/me".to_string()),
        (Method::GET, "/api/v1/auth/tokens".to_string()),
        (Method::POST, "/api/v1/auth/tokens".to_string()),
        (Method::DELETE, "/api/v1/auth/tokens/some-token".to_string()),
        (Method::GET, "/api/v1/users".to_string()),
        (Method::POST, "/api/v1/users".to_string()),
        (Method::GET, format!("/api/v1/users/{CLERK}")),
        (Method::POST, format!("/api/v1/users/{CLERK}/disable")),
        (Method::POST, format!("/api/v1/users/{CLERK}/enable")),
        (Method::PUT, format!("/api/v1/users/{CLERK}/password")),
        (Method::PUT, format!("/api/v1/users/{CLERK}/posts")),
        (Method::GET, "/api/v1/audit".to_string()),
        (Method::POST, "/api/v1/cases".to_string()),
        (Method::GET, "/api/v1/cases".to_string()),
        (Method::GET, format!("/api/v1/cases/{id}")),
        (Method::GET, format!("/api/v1/cases/{id}/personal-data")),
        (Method::POST, format!("/api/v1/cases/{id}/accept")),
    ];
    let made_up = format!("ow_{}", "0".repeat(64));
    for (method, path) in &protected {
        let plain = || app.http.request(method.clone(), app.path(path));
        let attempts = [
            ("no credentials", plain()),
            ("a made-up bearer token", plain().bearer_auth(&made_up)),
            (
                "a bearer token of no known shape",
                plain().bearer_auth("let-me-in"),
            ),
            (
                "a made-up session cookie",
                plain().header("cookie", format!("ow_session={made_up}")),
            ),
            (
                "an empty Authorization",
                plain().header("authorization", ""),
            ),
        ];
        for (how, request) in attempts {
            let request = if *method == Method::POST || *method == Method::PUT {
                request
                    .header("if-match", "\"1\"")
                    .json(&json!({"password": "whatever-it-is", "posts": []}))
            } else {
                request
            };
            let response = request.send().await.expect("request");
            let status = response.status();
            let challenge = response
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().expect("ascii").to_string());
            let problem: Value = response.json().await.expect("problem");
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {how}"
            );
            assert_eq!(
                challenge.as_deref(),
                Some("Bearer realm=\"onewindow\""),
                "{method} {path}"
            );
            assert_eq!(problem["type"], "/docs/api.md#unauthenticated");
        }
    }
    assert_eq!(app.version_of(id).await, 1, "nothing was accepted");

    let public = [
        "/health",
        "/api/v1/catalogue/items",
        "/api/v1/catalogue/items/SCJG-001",
        "/api/v1/catalogue/departments",
        "/api/v1/catalogue/figures",
        "/api/v1/calendar/deadline?start=2026-11-02&working_days=5",
        "/api/v1/openapi.json",
    ];
    for path in public {
        let anonymous = app.http.get(app.path(path)).send().await.expect("request");
        assert_eq!(anonymous.status(), StatusCode::OK, "{path}");
        let with_junk = app
            .http
            .get(app.path(path))
            .bearer_auth(&made_up)
            .send()
            .await
            .expect("request");
        assert_eq!(
            with_junk.status(),
            StatusCode::OK,
            "{path} ignores credentials"
        );
    }
    let login = app.login(CLERK, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK, "logging in needs no login");
    let (_, doc) = app.get_public("/api/v1/openapi.json").await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
}

#[tokio::test]
async fn repeated_failed_logins_slow_a_name_down_then_lock_it() {
    let app = spawn_app().await;
    let wrong = "not-the-password";
    let (status, first) = answer(app.login(REVIEWER, wrong).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, second) = answer(app.login(REVIEWER, wrong).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(first, second, "the same answer every time");
    let (status, unknown) = answer(app.login("no-such-user", wrong).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown, first,
        "an unknown user name gets the very answer a wrong password gets"
    );

    // The third failure is answered like the others, but the next attempt must wait 1 s.
    let (status, third) = answer(app.login(REVIEWER, wrong).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(third, first);
    let wait = retry_after(app.login(REVIEWER, PASSWORD).await, 1).await;
    assert_eq!(wait["type"], "/docs/api.md#too-many-attempts");
    assert!(wait["retry_at"].is_string());

    app.clock.advance(Duration::seconds(1));
    let fourth = app.login(REVIEWER, wrong).await;
    assert_eq!(fourth.status(), StatusCode::UNAUTHORIZED);
    retry_after(app.login(REVIEWER, wrong).await, 2).await;

    app.clock.advance(Duration::seconds(2));
    let fifth = app.login(REVIEWER, wrong).await;
    assert_eq!(fifth.status(), StatusCode::UNAUTHORIZED);
    // Locked for 15 minutes: even the right password is refused.
    retry_after(app.login(REVIEWER, PASSWORD).await, 15 * 60).await;
    // The lock is on the name only: others log in.
    app.log_in(CLERK, PASSWORD).await;
    app.clock
        .advance(Duration::minutes(15) - Duration::seconds(1));
    retry_after(app.login(REVIEWER, PASSWORD).await, 1).await;
    app.clock.advance(Duration::seconds(1));
    let session = app.log_in(REVIEWER, PASSWORD).await;
    let (status, _) = app
        .send(
            app.http
                .get(app.path("/api/v1/auth/me"))
                .bearer_auth(&session.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let failures = app
        .audit(&format!(
            "action=auth.login&outcome=failure&target=user:{REVIEWER}"
        ))
        .await;
    let failures = failures["items"].as_array().expect("items");
    let details: Vec<&str> = failures
        .iter()
        .map(|r| r["detail"].as_str().expect("detail"))
        .collect();
    assert_eq!(
        details.iter().filter(|d| **d == "wrong password").count(),
        5,
        "{details:?}"
    );
    assert_eq!(
        details.iter().filter(|d| d.starts_with("refused")).count(),
        4,
        "every attempt while slowed down or locked: {details:?}"
    );
    assert!(
        failures
            .iter()
            .all(|r| r["actor"] == REVIEWER && r["source"] == "127.0.0.1")
    );
    let unknown = app
        .audit("action=auth.login&outcome=failure&target=user:no-such-user")
        .await;
    assert_eq!(unknown["items"][0]["detail"], "unknown user name");
    let successes = app
        .audit(&format!(
            "action=auth.login&outcome=success&target=user:{REVIEWER}"
        ))
        .await;
    assert_eq!(
        successes["items"].as_array().expect("items").len(),
        2,
        "the test harness's login and the one after the lock"
    );
}

/// Asserts a 429 whose Retry-After covers `at_least` seconds (and not much more).
async fn retry_after(response: reqwest::Response, at_least: i64) -> Value {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let seconds: i64 = response
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(
        (at_least..=at_least + 1).contains(&seconds),
        "Retry-After {seconds}, expected {at_least}"
    );
    response.json().await.expect("problem")
}

#[tokio::test]
async fn changes_made_with_the_session_cookie_need_the_csrf_token() {
    let app = spawn_app().await;
    let login = app.login(CLERK2, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let set_cookie = login.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_eq!(login.headers()["cache-control"], "no-store");
    let body: Value = login.json().await.expect("json");
    let token = body["token"].as_str().expect("token");
    let csrf = body["csrf_token"].as_str().expect("csrf");
    assert!(
        set_cookie.starts_with(&format!("ow_session={token};")),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    let cookie = format!("ow_session={token}");
    let with_cookie = |method: Method, path: &str| {
        app.http
            .request(method, app.path(path))
            .header("cookie", &cookie)
    };

    let file = || {
        with_cookie(Method::POST, "/api/v1/cases")
            .json(&application("SCJG-001", &["M01", "M02", "M03"]))
    };
    let (status, problem) = app.send(file()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["type"], "/docs/api.md#csrf");
    assert_eq!(problem["errors"][0]["field"], "X-CSRF-Token");
    let (status, problem) = app
        .send(file().header("x-csrf-token", "0".repeat(csrf.len())))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["type"], "/docs/api.md#csrf");
    let someone_elses = app.sessions[CLERK].csrf_token.clone();
    let (status, _) = app.send(file().header("x-csrf-token", someone_elses)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the token of another session"
    );
    // Reading needs no CSRF token; nothing was filed.
    let (status, page) = app.send(with_cookie(Method::GET, "/api/v1/cases")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["items"].as_array().expect("items").is_empty());
    let (_, me) = app.send(with_cookie(Method::GET, "/api/v1/auth/me")).await;
    assert_eq!(me["csrf_token"], csrf);

    let (status, case) = app.send(file().header("x-csrf-token", csrf)).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().expect("id");
    let accept = || {
        with_cookie(Method::POST, &format!("/api/v1/cases/{id}/accept")).header("if-match", "\"1\"")
    };
    let (status, problem) = app.send(accept()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["type"], "/docs/api.md#csrf");
    assert_eq!(app.version_of(id).await, 1, "nothing changed");
    let (status, accepted) = app.send(accept().header("x-csrf-token", csrf)).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["accepted_by"], CLERK2);

    // The same secret as a bearer token needs no CSRF token: browsers never send it on their own.
    let (status, _) = app
        .send(
            app.http
                .post(app.path(&format!("/api/v1/cases/{id}/record-visit")))
                .bearer_auth(token)
                .header("if-match", "\"2\"")
                .json(&json!({"purpose": "领取告知书", "exception": "home_visit"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Logging out is a change too.
    let (status, _) = app
        .send(with_cookie(Method::POST, "/api/v1/auth/logout"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let logout = with_cookie(Method::POST, "/api/v1/auth/logout")
        .header("x-csrf-token", csrf)
        .send()
        .await
        .expect("request");
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let cleared = logout.headers()["set-cookie"].to_str().expect("ascii");
    assert!(
        cleared.starts_with("ow_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let (status, _) = app.send(with_cookie(Method::GET, "/api/v1/cases")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session has ended");
}

// ---- sessions and tokens ------------------------------------------------------------------------

#[tokio::test]
async fn an_api_token_is_shown_once_and_stops_working_when_revoked() {
    let app = spawn_app().await;
    let session = app.sessions[AGENT].token.clone();
    let by_session = |method: Method, path: &str| {
        app.http
            .request(method, app.path(path))
            .bearer_auth(&session)
    };
    let made = by_session(Method::POST, "/api/v1/auth/tokens")
        .json(&json!({"name": "county data exchange", "days": 30}))
        .send()
        .await
        .expect("request");
    assert_eq!(made.status(), StatusCode::CREATED);
    assert_eq!(made.headers()["cache-control"], "no-store");
    let made: Value = made.json().await.expect("json");
    let secret = made["token"].as_str().expect("token").to_string();
    let token_id = made["id"].as_str().expect("id").to_string();
    assert!(secret.starts_with("ow_"));
    assert_eq!(made["name"], "county data exchange");
    assert!(
        made["expires_at"]
            .as_str()
            .expect("expires_at")
            .starts_with("2026-12-02"),
        "30 days: {made}"
    );

    let (status, listed) = app
        .send(by_session(Method::GET, "/api/v1/auth/tokens"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let listed = listed.as_array().expect("list");
    assert_eq!(listed.len(), 2, "the harness's token and this one");
    assert!(listed.iter().all(|t| t.get("token").is_none()));
    assert!(!Value::from(listed.clone()).to_string().contains(&secret));

    let with_token = |method: Method, path: &str| {
        app.http
            .request(method, app.path(path))
            .bearer_auth(&secret)
    };
    let (status, me) = app.send(with_token(Method::GET, "/api/v1/auth/me")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], AGENT);
    assert_eq!(me["csrf_token"], Value::Null, "tokens need no CSRF token");
    let (status, _) = app
        .send(
            with_token(Method::POST, "/api/v1/cases")
                .json(&application("SCJG-001", &["M01", "M02", "M03"])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Nobody else can revoke it.
    let (status, _) = app
        .send(app.request(
            CLERK,
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{token_id}"),
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.send(with_token(Method::GET, "/api/v1/auth/me")).await;
    assert_eq!(status, StatusCode::OK);

    let revoke = || by_session(Method::DELETE, &format!("/api/v1/auth/tokens/{token_id}"));
    let revoked = revoke().send().await.expect("request");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let (status, problem) = app.send(with_token(Method::GET, "/api/v1/auth/me")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the very next request");
    assert_eq!(problem["type"], "/docs/api.md#unauthenticated");
    let (status, _) = app
        .send(
            with_token(Method::POST, "/api/v1/cases")
                .json(&application("SCJG-001", &["M01", "M02", "M03"])),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.send(revoke()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already revoked");
    let (_, listed) = app
        .send(by_session(Method::GET, "/api/v1/auth/tokens"))
        .await;
    let this = listed
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["id"] == token_id.as_str())
        .expect("still listed")
        .clone();
    assert!(this["revoked_at"].is_string());

    let (status, problem) = app
        .send(
            by_session(Method::POST, "/api/v1/auth/tokens").json(&json!({"name": " ", "days": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["name", "days"]);

    // Logging out ends the session, not the account's API tokens.
    let (status, _) = app
        .send(by_session(Method::POST, "/api/v1/auth/logout"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.send(by_session(Method::GET, "/api/v1/auth/me")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get_as(AGENT, "/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    let audit = app
        .audit(&format!("actor={AGENT}&target=token:{token_id}"))
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["token.revoke", "token.create"]);
}

#[tokio::test]
async fn disabling_an_account_or_resetting_its_password_ends_its_sessions_at_once() {
    let app = spawn_app().await;
    let session = app.sessions[CLERK2].token.clone();
    let me_with =
        |token: &str| app.send(app.http.get(app.path("/api/v1/auth/me")).bearer_auth(token));
    assert_eq!(me_with(&session).await.0, StatusCode::OK);
    assert_eq!(me_with(app.token(CLERK2)).await.0, StatusCode::OK);

    let (status, user) = app
        .post_as(ADMIN, &format!("/api/v1/users/{CLERK2}/disable"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["disabled"], true);
    assert_eq!(me_with(&session).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(me_with(app.token(CLERK2)).await.0, StatusCode::UNAUTHORIZED);
    let (status, refused) = answer(app.login(CLERK2, PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, wrong_password) = answer(app.login(CLERK, "not-the-password").await).await;
    assert_eq!(
        refused, wrong_password,
        "a disabled account is not named as such"
    );

    let (status, user) = app
        .post_as(ADMIN, &format!("/api/v1/users/{CLERK2}/enable"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["disabled"], false);
    assert_eq!(
        me_with(&session).await.0,
        StatusCode::UNAUTHORIZED,
        "ended, not paused"
    );
    assert_eq!(me_with(app.token(CLERK2)).await.0, StatusCode::UNAUTHORIZED);
    let fresh = app.log_in(CLERK2, PASSWORD).await;
    assert_eq!(me_with(&fresh.token).await.0, StatusCode::OK);

    let reset = |password: &str| {
        app.send(
            app.request(
                ADMIN,
                Method::PUT,
                &format!("/api/v1/users/{CLERK2}/password"),
            )
            .json(&json!({ "password": password })),
        )
    };
    assert_eq!(reset("short").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reset("my-name-is-clerk2").await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the password must not contain the user name"
    );
    assert_eq!(me_with(&fresh.token).await.0, StatusCode::OK);
    let new_password = "Correct-Horse-9-Battery";
    assert_eq!(reset(new_password).await.0, StatusCode::OK);
    assert_eq!(me_with(&fresh.token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login(CLERK2, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let again = app.log_in(CLERK2, new_password).await;
    assert_eq!(me_with(&again.token).await.0, StatusCode::OK);

    let (status, _) = app
        .post_as(ADMIN, &format!("/api/v1/users/{ADMIN}/disable"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no one disables their own account"
    );
    let (status, _) = app
        .post_as(CLERK, &format!("/api/v1/users/{CLERK2}/disable"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "accounts are for administrators"
    );
    let audit = app
        .audit(&format!("actor={ADMIN}&target=user:{CLERK2}"))
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        ["user.reset_password", "user.enable", "user.disable"]
    );
}

/// Findings of the security review: a token cannot make tokens, an impossible user name is
/// refused without filling the trail.
#[tokio::test]
async fn a_token_cannot_mint_tokens_and_huge_user_names_are_cut_short() {
    let app = spawn_app().await;
    // The test accounts act with long-lived tokens made from their login sessions.
    let (status, refused) = app
        .post_as(CLERK, "/api/v1/auth/tokens", json!({"name": "another"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let huge = "x".repeat(100_000);
    let answer = app.login(&huge, "whatever-password").await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let trail = app.audit("action=auth.login&outcome=failure").await;
    let actor = trail["items"][0]["actor"].as_str().expect("actor");
    assert_eq!(actor.chars().count(), 32);
}

// ---- personal data ------------------------------------------------------------------------------

#[tokio::test]
async fn identity_and_phone_numbers_are_masked_except_through_an_audited_reveal() {
    let app = spawn_app().await;
    let case = app.case_at(Stage::Submitted).await;
    assert_eq!(case["applicant"]["id_number"], PERSON_ID_MASKED);
    assert_eq!(case["applicant"]["phone"], PERSON_PHONE_MASKED);
    let id = case["id"].as_str().expect("id");
    let number = case["number"].as_str().expect("number");
    for who in [
        CITIZEN, AGENT, CLERK, REVIEWER, APPROVER, SUPERVISOR, VISITOR,
    ] {
        let (status, page) = app.get_as(who, "/api/v1/cases").await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert_eq!(page["items"][0]["applicant"]["id_number"], PERSON_ID_MASKED);
        assert_eq!(page["items"][0]["applicant"]["phone"], PERSON_PHONE_MASKED);
        let (_, detail) = app.get_as(who, &format!("/api/v1/cases/{id}")).await;
        assert_eq!(detail["case"]["applicant"]["id_number"], PERSON_ID_MASKED);
        assert_eq!(detail["case"]["applicant"]["phone"], PERSON_PHONE_MASKED);
        for text in [page.to_string(), detail.to_string()] {
            assert!(
                !text.contains(PERSON_ID) && !text.contains(PERSON_PHONE),
                "{who}"
            );
        }
    }
    let (_, me) = app.get_as(CITIZEN, "/api/v1/auth/me").await;
    assert_eq!(me["identity"], PERSON_ID_MASKED);
    let (_, users) = app.get_as(ADMIN, "/api/v1/users").await;
    let citizen = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == CITIZEN)
        .expect("citizen")
        .clone();
    assert_eq!(citizen["identity"], PERSON_ID_MASKED);
    assert_eq!(citizen["phone"], PERSON_PHONE_MASKED);

    // The clerk with the grant sees the numbers in full; the showing is audited.
    let reveal = format!("/api/v1/cases/{id}/personal-data");
    let shown = app
        .request(CLERK, Method::GET, &reveal)
        .send()
        .await
        .expect("request");
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let shown: Value = shown.json().await.expect("json");
    assert_eq!(shown["id_number"], PERSON_ID);
    assert_eq!(shown["phone"], PERSON_PHONE);
    assert_eq!(shown["name"], "王芳");
    let target = format!("target=case:{number}&action=case.reveal_personal_data");
    let page = app.audit(&format!("{target}&outcome=success")).await;
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    assert_eq!(page["items"][0]["actor"], CLERK);
    assert_eq!(page["items"][0]["source"], "127.0.0.1");

    // Without the grant: refused, and the attempt is audited.
    for who in [REVIEWER, CLERK2, SUPERVISOR] {
        let (status, problem) = app.get_as(who, &reveal).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        assert!(
            problem["detail"]
                .as_str()
                .expect("detail")
                .contains("personal-data permission")
        );
    }
    let denied = app
        .audit(&format!("{target}&outcome=denied&actor={REVIEWER}"))
        .await;
    assert_eq!(denied["items"].as_array().expect("items").len(), 1);
    assert_eq!(denied["items"][0]["role"], "reviewer");
    // Out of scope: not found, and audited too.
    let (status, _) = app.get_as(OTHER_CITIZEN, &reveal).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let probed = app
        .audit(&format!("{target}&outcome=denied&actor={OTHER_CITIZEN}"))
        .await;
    assert_eq!(probed["items"].as_array().expect("items").len(), 1);

    // The applicant (and the agent who filed for them) may see their own.
    for who in [CITIZEN, AGENT] {
        let (status, own) = app.get_as(who, &reveal).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert_eq!(own["id_number"], PERSON_ID);
    }

    // The grant is a permission an administrator gives; it takes effect on the next request.
    let (status, _) = app
        .send(
            app.request(
                ADMIN,
                Method::PUT,
                &format!("/api/v1/users/{REVIEWER}/posts"),
            )
            .json(&json!({
                "posts": [{"role": "reviewer", "department": "SCJG"}],
                "may_reveal_personal_data": true,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get_as(REVIEWER, &reveal).await;
    assert_eq!(status, StatusCode::OK);
    let change = app
        .audit(&format!("action=user.posts&target=user:{REVIEWER}"))
        .await;
    assert_eq!(change["items"][0]["actor"], ADMIN);

    // The trail itself never holds the numbers in full.
    let everything = app.audit("limit=500").await;
    assert!(everything["next_cursor"].is_null());
    let text = everything.to_string();
    assert!(!text.contains(PERSON_ID) && !text.contains(PERSON_PHONE));
}

// ---- separation of duties and scope -------------------------------------------------------------

#[tokio::test]
async fn an_administrator_cannot_give_itself_a_post_that_reads_cases_and_posts_are_checked() {
    let app = spawn_app().await;
    let put_posts = |who: &'static str, posts: Value| {
        app.send(
            app.request(ADMIN, Method::PUT, &format!("/api/v1/users/{who}/posts"))
                .json(&json!({"posts": posts, "may_reveal_personal_data": false})),
        )
    };
    // Itself: a supervisor's post beside the administrator's is refused, naming the field.
    let (status, problem) = put_posts(
        ADMIN,
        json!([{"role": "administrator"}, {"role": "supervisor"}]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "posts");
    let (_, me) = app.get_as(ADMIN, &format!("/api/v1/users/{ADMIN}")).await;
    assert_eq!(me["posts"], json!([{"role": "administrator"}]));
    // Unknown places, control characters, doubles and a department on a role without one.
    for (posts, field) in [
        (
            json!([{"role": "reviewer", "department": "NOPE"}]),
            "posts[0].department",
        ),
        (
            json!([{"role": "clerk", "centre": "no-such-hall"}]),
            "posts[0].centre",
        ),
        (
            json!([{"role": "clerk", "centre": "county\u{0}hall"}]),
            "posts[0].centre",
        ),
        (
            json!([{"role": "reviewer", "department": "SCJG"}, {"role": "reviewer", "department": "SCJG"}]),
            "posts[1]",
        ),
        (
            json!([{"role": "supervisor", "department": "SCJG"}]),
            "posts[0]",
        ),
    ] {
        let (status, problem) = put_posts(REVIEWER, posts.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{posts}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], field, "{posts}: {problem}");
    }
    // Nothing was half written: the reviewer keeps its post.
    let (_, user) = app
        .get_as(ADMIN, &format!("/api/v1/users/{REVIEWER}"))
        .await;
    assert_eq!(
        user["posts"],
        json!([{"role": "reviewer", "department": "SCJG"}])
    );
}

#[tokio::test]
async fn the_approver_decides_on_the_reviewers_proposal_which_stays_inside_the_government() {
    let app = spawn_app().await;
    let case = app.case_at(Stage::InReview).await;
    let id = case["id"].as_str().expect("id").to_string();
    let version = case["version"].as_u64().expect("version");
    let (_, detail) = app.get_as(APPROVER, &format!("/api/v1/cases/{id}")).await;
    assert!(
        !detail["allowed_actions"]
            .as_array()
            .expect("actions")
            .contains(&json!("decide")),
        "no decision before the proposal: {detail}"
    );
    let (status, problem) = answer(
        app.act(&id, "decide", APPROVER, version, json!({"approve": true}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "proposal");
    let (status, problem) = answer(
        app.act(&id, "propose", REVIEWER, version, json!({"approve": false}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "opinion");
    let (status, problem) = answer(
        app.act(
            &id,
            "propose",
            CLERK,
            version,
            json!({"approve": false, "opinion": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the window does not review: {problem}"
    );
    let proposed = app
        .ok(
            &case,
            "propose",
            REVIEWER,
            json!({"approve": false, "opinion": "经营场所与申请不符，拟不予许可"}),
        )
        .await;
    assert_eq!(proposed["proposal"]["approve"], false);
    // Overruling needs a reason, and is recorded as such.
    let (status, problem) = answer(
        app.act(
            &id,
            "decide",
            APPROVER,
            proposed["version"].as_u64().expect("version"),
            json!({"approve": true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "reason");
    let decided = app
        .ok(
            &proposed,
            "decide",
            APPROVER,
            json!({"approve": true, "reason": "现场核查后场所相符"}),
        )
        .await;
    assert_eq!(decided["decision"]["overruled"], true);
    // Staff read the proposal; the applicant and their agent see the review, not the opinion.
    let (_, staff) = app.get_as(SUPERVISOR, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(staff["case"]["proposal"]["proposed_by"], REVIEWER);
    for public in [CITIZEN, AGENT] {
        let (status, seen) = app.get_as(public, &format!("/api/v1/cases/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{public}");
        assert_eq!(seen["case"]["proposal"], Value::Null, "{public}: {seen}");
        let text = seen.to_string();
        assert!(!text.contains("拟不予许可"), "{public}: {text}");
        assert!(
            text.contains("现场核查后场所相符"),
            "the decision's reason is theirs"
        );
        assert!(
            !seen["history"]
                .as_array()
                .expect("history")
                .iter()
                .any(|h| h["event"]["type"] == "proposed"),
            "{public}"
        );
    }
}

#[tokio::test]
async fn acceptance_and_decision_stay_apart_and_cases_out_of_scope_stay_hidden() {
    let mut app = spawn_app().await;
    let case = app.case_at(Stage::Accepted).await;
    let id = case["id"].as_str().expect("id").to_string();
    let version = case["version"].as_u64().expect("version");
    assert_eq!(case["accepted_by"], CLERK);
    let approve = json!({"approve": true, "reason": "符合法定条件"});

    // The clerk who accepted cannot decide: clerks never decide.
    let (status, problem) = answer(
        app.act(&id, "decide", CLERK, version, approve.clone())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("approver")
    );
    assert_eq!(app.version_of(&id).await, version);

    // Not even someone who holds both posts decides a case they accepted.
    let (status, dual) = app
        .post_as(
            ADMIN,
            "/api/v1/users",
            json!({
                "username": "dual",
                "display_name": "蒋双岗",
                "password": PASSWORD,
                "posts": [
                    {"role": "clerk", "centre": "county-hall"},
                    {"role": "approver", "department": "SCJG"},
                ],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dual}");
    let session = app.log_in("dual", PASSWORD).await;
    app.tokens.insert("dual", session.token);
    let other = app.case_at(Stage::Submitted).await;
    let other = app.ok(&other, "accept", "dual", json!({})).await;
    let (status, problem) = answer(
        app.act(
            other["id"].as_str().expect("id"),
            "decide",
            "dual",
            other["version"].as_u64().expect("version"),
            approve.clone(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "actor");
    let other = app
        .ok(
            &other,
            "propose",
            REVIEWER,
            json!({"approve": true, "opinion": "拟准予许可"}),
        )
        .await;
    let decided = app.ok(&other, "decide", APPROVER, approve.clone()).await;
    assert_eq!(decided["status"], "approved");

    // An approver of another department does not see the case at all.
    let (status, _) = app
        .get_as(GA_APPROVER, &format!("/api/v1/cases/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = answer(
        app.act(&id, "decide", GA_APPROVER, version, approve.clone())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = app.get_as(GA_APPROVER, "/api/v1/cases").await;
    assert!(listed["items"].as_array().expect("items").is_empty());
    let (status, _) = app
        .get_as(GA_APPROVER, &format!("/api/v1/cases/{id}/personal-data"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Access is decided before the version: hidden stays hidden and refused stays refused,
    // whatever If-Match says.
    let (status, _) = answer(
        app.act(&id, "decide", GA_APPROVER, 99, approve.clone())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = answer(app.act(&id, "decide", CLERK, 99, approve.clone()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = answer(app.act(&id, "decide", APPROVER, 99, approve.clone()).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "allowed, but stale");

    // The supervisor reads every case and changes none.
    let (status, detail) = app.get_as(SUPERVISOR, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["allowed_actions"], json!([]));
    let (_, listed) = app.get_as(SUPERVISOR, "/api/v1/cases").await;
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);
    for (action, body) in [
        ("start-review", json!({})),
        ("decide", approve.clone()),
        ("suspend", json!({"kind": "hearing", "reason": "听证"})),
        ("extend", json!({"working_days": 3, "reason": "延期"})),
        (
            "record-visit",
            json!({"purpose": "督查", "exception": "home_visit"}),
        ),
    ] {
        let (status, _) = answer(app.act(&id, action, SUPERVISOR, version, body).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(app.version_of(&id).await, version);
    let (_, detail) = app.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        detail["allowed_actions"],
        json!(["record-visit", "withdraw"]),
        "what the clerk may do now that the case is the department's (withdraw on the applicant's written request)"
    );

    // The administrator keeps accounts and sees no case.
    let (status, _) = app.get_as(ADMIN, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get_as(ADMIN, "/api/v1/cases").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = answer(app.act(&id, "decide", ADMIN, version, approve).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.version_of(&id).await, version);
}

// ---- the audit trail ----------------------------------------------------------------------------

#[tokio::test]
async fn every_change_is_audited_and_supervisors_search_and_page_the_trail() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let number = case["number"].as_str().expect("number").to_string();
    let case = app.ok(&case, "start-pre-review", CLERK, json!({})).await;
    // An hour later the second clerk accepts.
    app.clock.advance(Duration::hours(1));
    app.ok(&case, "accept", CLERK2, json!({})).await;

    let page = app
        .audit(&format!("action=case.accept&target=case:{number}"))
        .await;
    let records = page["items"].as_array().expect("items");
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["actor"], CLERK2);
    assert_eq!(record["role"], "clerk");
    assert_eq!(record["source"], "127.0.0.1");
    assert_eq!(record["action"], "case.accept");
    assert_eq!(record["target"], format!("case:{number}"));
    assert_eq!(record["outcome"], "success");
    assert_eq!(record["at"], "2026-11-02T02:00:00+00:00");
    assert!(
        record["detail"]
            .as_str()
            .expect("detail")
            .contains("version 2 -> 3")
    );
    assert_eq!(record["hash"].as_str().expect("hash").len(), 64);

    let page = app
        .audit(&format!("actor={CLERK}&action=case.&target=case:{number}"))
        .await;
    let actions: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["case.start-pre-review", "case.submit"]);
    let later = app.audit("from=2026-11-02T02:00:00Z").await;
    assert_eq!(later["items"].as_array().expect("items").len(), 1);
    let earlier = app
        .audit(&format!("to=2026-11-02T02:00:00Z&target=case:{number}"))
        .await;
    assert_eq!(earlier["items"].as_array().expect("items").len(), 2);

    // A refusal is audited as denied under the receipt number too, even when the request named
    // the case by its id.
    let case_id = case["id"].as_str().expect("id").to_string();
    let (status, _) = answer(app.act(&case_id, "close", REVIEWER, 3, json!({})).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let denied = app
        .audit(&format!("outcome=denied&target=case:{number}"))
        .await;
    assert_eq!(denied["items"][0]["actor"], REVIEWER);
    assert_eq!(denied["items"][0]["action"], "case.close");

    // Pages of 3, newest first, follow on without gaps or repeats.
    let all = app.audit("limit=500").await;
    let all: Vec<u64> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["seq"].as_u64().expect("seq"))
        .collect();
    assert!(all.len() > 10, "accounts, logins, tokens, the case");
    assert!(all.windows(2).all(|w| w[0] == w[1] + 1), "{all:?}");
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=3&cursor={c}"),
            None => "limit=3".to_string(),
        };
        let page = app.audit(&query).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 3);
        paged.extend(items.iter().map(|r| r["seq"].as_u64().expect("seq")));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, all);

    for who in [CLERK, ADMIN, REVIEWER, APPROVER, VISITOR, CITIZEN] {
        let (status, problem) = app.get_as(who, "/api/v1/audit").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(problem["type"], "/docs/api.md#forbidden");
    }
    let (status, _) = app.get_as(SUPERVISOR, "/api/v1/audit?outcome=maybe").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.get_as(SUPERVISOR, "/api/v1/audit?cursor=last").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let report = app.service.verify_audit_chain().await.expect("verifies");
    assert_eq!(report.broken, None);
    // The six refused searches are in the trail too, as denied.
    assert_eq!(report.head_seq, all[0] + 6);
    let denied = app.audit("outcome=denied&action=refused.readaudit").await;
    assert_eq!(denied["items"].as_array().expect("items").len(), 6);
}

#[test]
fn the_test_identities_are_valid() {
    for id in [PERSON_ID, OTHER_PERSON_ID] {
        assert!(ResidentIdNumber::parse(id).is_ok(), "{id}");
    }
}

// ---- statistics ---------------------------------------------------------------------------------

/// A small month computed by hand: three applications, one rejected at acceptance, two accepted,
/// one of them approved two working days later (ahead of its 5-day promise, with one visit).
#[tokio::test]
async fn the_statistics_of_a_period_match_a_hand_computation() {
    let app = spawn_app().await;
    let complete = ["M01", "M02", "M03"];
    let first = app.new_case(&complete).await;
    let second = app.new_case(&complete).await;
    let third = app.new_case(&complete).await;
    let first = app.ok(&first, "start-pre-review", CLERK, json!({})).await;
    let first = app.ok(&first, "accept", CLERK, json!({})).await;
    let second = app.ok(&second, "start-pre-review", CLERK, json!({})).await;
    app.ok(&second, "accept", CLERK, json!({})).await;
    let third = app.ok(&third, "start-pre-review", CLERK, json!({})).await;
    app.ok(
        &third,
        "reject",
        CLERK,
        json!({"reason": "不属于本机关职权范围"}),
    )
    .await;
    let first = app
        .ok(
            &first,
            "record-visit",
            CLERK,
            json!({"purpose": "递交纸质材料", "exception": "offline_day"}),
        )
        .await;
    app.at(day(2026, 11, 4));
    let first = app.ok(&first, "start-review", REVIEWER, json!({})).await;
    let first = app
        .ok(
            &first,
            "propose",
            REVIEWER,
            json!({"approve": true, "opinion": "拟准予许可"}),
        )
        .await;
    app.ok(&first, "decide", APPROVER, json!({"approve": true}))
        .await;

    let (status, s) = app
        .get_as(
            SUPERVISOR,
            "/api/v1/statistics?from=2026-11-01&to=2026-11-30",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["received"], 3);
    assert_eq!(s["accepted"], 2);
    assert_eq!(s["rejected"], 1);
    assert_eq!(s["completed"], 1);
    assert_eq!(s["on_time"]["numerator"], 1);
    assert_eq!(s["ahead_of_promise"]["numerator"], 1);
    assert_eq!(s["at_most_once"]["numerator"], 1);
    assert_eq!(s["at_most_once"]["denominator"], 1);
    // Accepted Monday 2 November, decided Wednesday 4 November: 2 working days of 5.
    assert_eq!(s["average_days_used_centi"], 200);
    assert_eq!(s["average_days_promised_centi"], 500);
    assert_eq!(s["overdue"], 0);

    // Another department's filter sees none of it; October saw nothing.
    let (_, other) = app
        .get_as(
            SUPERVISOR,
            "/api/v1/statistics?from=2026-11-01&to=2026-11-30&department=GA",
        )
        .await;
    assert_eq!(other["received"], 0);
    let (_, october) = app
        .get_as(
            SUPERVISOR,
            "/api/v1/statistics?from=2026-10-01&to=2026-10-31",
        )
        .await;
    assert_eq!(october["received"], 0);

    // Overdue: the second case, still on its clock after its due date (Monday 9 November).
    app.at(day(2026, 11, 12));
    let (_, later) = app
        .get_as(
            SUPERVISOR,
            "/api/v1/statistics?from=2026-11-01&to=2026-11-12",
        )
        .await;
    assert_eq!(later["overdue"], 1);

    let csv = app
        .request(
            SUPERVISOR,
            Method::GET,
            "/api/v1/statistics?from=2026-11-01&to=2026-11-30&format=csv",
        )
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv"))
    );
    let text = csv.text().await.expect("text");
    assert!(text.contains("received,3,,,"), "{text}");
    assert!(text.contains("on_time,100.00%,1,1,100.00"), "{text}");

    let xlsx = app
        .request(
            SUPERVISOR,
            Method::GET,
            "/api/v1/statistics?from=2026-11-01&to=2026-11-30&format=xlsx&lang=en",
        )
        .send()
        .await
        .expect("xlsx");
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.expect("bytes");
    assert!(
        bytes.starts_with(b"PK"),
        "an XLSX workbook is a zip archive"
    );

    let (status, refused) = app.get_as(CLERK, "/api/v1/statistics").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, bad) = app
        .get_as(
            SUPERVISOR,
            "/api/v1/statistics?from=2026-11-30&to=2026-11-01&channel=fax",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["to", "channel"]);
}

/// Two decisions, one on time and one late; a fault record against the late department.
#[tokio::test]
async fn the_assessment_ranks_by_the_scheme_and_counts_fault_records() {
    let app = spawn_app().await;
    let complete = ["M01", "M02", "M03"];
    let on_time = app.new_case(&complete).await;
    let late = app.new_case(&complete).await;
    let on_time = app.ok(&on_time, "start-pre-review", CLERK, json!({})).await;
    let on_time = app.ok(&on_time, "accept", CLERK, json!({})).await;
    let late = app.ok(&late, "start-pre-review", CLERK, json!({})).await;
    let late = app.ok(&late, "accept", CLERK, json!({})).await;
    app.at(day(2026, 11, 4));
    let on_time = app
        .ok(
            &on_time,
            "propose",
            REVIEWER,
            json!({"approve": true, "opinion": "拟准予许可"}),
        )
        .await;
    app.ok(&on_time, "decide", APPROVER, json!({"approve": true}))
        .await;
    app.at(day(2026, 11, 12)); // 8 working days after acceptance, 5 promised
    let late = app
        .ok(
            &late,
            "propose",
            REVIEWER,
            json!({"approve": true, "opinion": "拟准予许可"}),
        )
        .await;
    app.ok(&late, "decide", APPROVER, json!({"approve": true}))
        .await;

    let (status, ranked) = app
        .get_as(
            SUPERVISOR,
            "/api/v1/assessment?unit=staff&from=2026-11-01&to=2026-11-30",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ranked}");
    assert_eq!(ranked[0]["unit"], APPROVER);
    assert_eq!(ranked[0]["performance"]["completed"], 2);
    assert_eq!(ranked[0]["performance"]["on_time"], 1);
    // Half on time (75 points scaled × ½) and all at most once (25): 62.50.
    assert_eq!(ranked[0]["score"]["points_centi"], 6250);
    assert_eq!(ranked[0]["star"], true);

    let (status, fault) = app
        .post_as(
            SUPERVISOR,
            "/api/v1/faults",
            json!({"unit_kind": "department", "unit": "SCJG", "what": "超期办结",
                   "rule": "承诺时限", "decision": "通报批评", "occurred_on": "2026-11-12"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{fault}");
    let (_, departments) = app
        .get_as(
            SUPERVISOR,
            "/api/v1/assessment?unit=department&from=2026-11-01&to=2026-11-30",
        )
        .await;
    assert_eq!(departments[0]["unit"], "SCJG");
    assert_eq!(departments[0]["performance"]["faults"], 1);
    assert_eq!(departments[0]["score"]["points_centi"], 6250 - 500);
    let (_, list) = app
        .get_as(SUPERVISOR, "/api/v1/faults?from=2026-11-01&to=2026-11-30")
        .await;
    assert_eq!(list.as_array().expect("faults").len(), 1);

    let (status, _) = app
        .post_as(
            CLERK,
            "/api/v1/faults",
            json!({"unit_kind": "staff", "unit": "x", "what": "x", "rule": "x", "decision": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, bad) = app
        .post_as(
            SUPERVISOR,
            "/api/v1/faults",
            json!({"unit_kind": "team", "unit": "", "what": "x", "rule": "x", "decision": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["unit_kind", "unit"]);
    let (status, _) = app.get_as(SUPERVISOR, "/api/v1/assessment?unit=team").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

// ---- pages in a real browser --------------------------------------------------------------------
//
// Headless Chromium driven through Debian's chromedriver by our own small WebDriver client
// (tests/web/support/browser.rs; a module, not a file of its own under tests/, so that it links into
// this one test binary). Without chromedriver these tests say "skipped" and pass, unless
// ONEWINDOW_BROWSER_TESTS=required (as in CI); they run on the SQLite pass only (see
// `browser::enabled`). Each saves screenshots of what it sees under target/screenshots/.

use crate::support::browser;

/// The browser's view of the app: one Chromium on a fresh profile, no cookies.
async fn browser_on(app: &TestApp, label: &str) -> browser::Session {
    browser::Session::start(&app.url, label).await
}

#[tokio::test]
async fn browser_pages_are_chinese_first_and_english_is_remembered() {
    if !browser::enabled() {
        return;
    }
    let app = spawn_app().await;
    let b = browser_on(&app, "language").await;

    b.goto("/").await;
    assert_eq!(b.html_lang().await, "zh-CN");
    assert!(b.text("header .brand").await.contains("一窗受理"));
    assert_eq!(b.text("main h1").await, "一窗受理，最多跑一次");
    assert_eq!(b.text("header a.lang").await, "English");
    assert_eq!(b.cookie(browser::LANG_COOKIE).await, None);
    b.screenshot("home-zh").await;

    b.switch_language().await;
    assert_eq!(
        b.path().await,
        "/",
        "the switch comes back to the same page"
    );
    assert_eq!(b.html_lang().await, "en");
    assert!(b.text("header .brand").await.contains("One Window"));
    assert_eq!(b.text("main h1").await, "One window, at most one visit");
    assert_eq!(b.text("header a.lang").await, "中文");
    assert_eq!(b.cookie(browser::LANG_COOKIE).await.as_deref(), Some("en"));
    b.screenshot("home-en").await;

    // The next page remembers the choice.
    b.click(browser::LOGIN_LINK).await;
    b.wait_for_path("the login page", |p| p.starts_with("/login"))
        .await;
    assert_eq!(b.html_lang().await, "en");
    assert_eq!(b.text("main h1").await, "Log in");
    assert_eq!(b.text("label[for=username]").await, "User name");

    // And back to Chinese, on the page where the switch was made.
    b.switch_language().await;
    assert!(b.path().await.starts_with("/login"));
    assert_eq!(b.html_lang().await, "zh-CN");
    assert_eq!(b.text("main h1").await, "登录");
    assert_eq!(
        b.cookie(browser::LANG_COOKIE).await.as_deref(),
        Some("zh-CN")
    );
    b.goto("/").await;
    assert_eq!(b.html_lang().await, "zh-CN");

    // A phone: the page fits the width, nothing scrolls sideways.
    b.set_viewport_size(390, 844).await;
    b.goto("/").await;
    let fits = b
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await;
    assert_eq!(
        fits,
        json!(true),
        "the home page scrolls sideways on a phone"
    );
    b.screenshot("home-phone").await;
}

#[tokio::test]
async fn browser_a_login_error_shows_next_to_the_field_then_the_clerk_logs_in_and_out() {
    if !browser::enabled() {
        return;
    }
    let app = spawn_app().await;
    let b = browser_on(&app, "login").await;

    // No password: the error stands next to the field, in Chinese, and the name is kept.
    b.goto("/login").await;
    b.fill("#username", CLERK).await;
    b.click("form[action='/login'] button[type=submit]").await;
    assert_eq!(
        b.wait_for("#password-error").await.text().await,
        "请填写此项。"
    );
    let password = b.find("#password").await;
    assert_eq!(
        password.attribute("aria-invalid").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        password.attribute("aria-describedby").await.as_deref(),
        Some("password-error")
    );
    let username = b.find("#username").await;
    assert_eq!(username.property("value").await, json!(CLERK));
    assert_eq!(username.attribute("aria-invalid").await, None);
    assert!(b.try_find("#username-error").await.is_none());
    assert!(b.try_find("#login-notice").await.is_none());
    b.screenshot("login-error").await;

    // The same in English.
    b.switch_language().await;
    b.fill("#username", CLERK).await;
    b.click("form[action='/login'] button[type=submit]").await;
    assert_eq!(
        b.wait_for("#password-error").await.text().await,
        "Please fill this in."
    );

    // A wrong password: one notice that does not say which of the two is wrong.
    b.fill("#password", "not-the-password").await;
    b.press(browser::keys::ENTER).await;
    let notice = b.wait_for("#login-notice").await;
    assert_eq!(
        notice.text().await,
        "The user name or the password is wrong."
    );
    assert_eq!(notice.attribute("role").await.as_deref(), Some("alert"));
    assert!(b.try_find("#password-error").await.is_none());
    assert_eq!(b.cookie(browser::SESSION_COOKIE).await, None);

    // The right one: to the clerk's home, logged in (the page may still be a stub; the header
    // shows who is there either way).
    b.fill("#password", PASSWORD).await;
    b.click("form[action='/login'] button[type=submit]").await;
    let home = b
        .wait_for_path("the window", |p| !p.starts_with("/login"))
        .await;
    assert_eq!(home, "/window");
    let session = b
        .cookie(browser::SESSION_COOKIE)
        .await
        .expect("the session cookie");
    b.wait_for(browser::LOGOUT_BUTTON).await;
    assert!(b.text("header .who").await.contains("张三"));
    assert!(b.try_find(browser::LOGIN_LINK).await.is_none());
    b.goto("/").await;
    assert!(b.try_find(browser::LOGOUT_BUTTON).await.is_some());
    assert_eq!(b.html_lang().await, "en");

    // Logging out ends the session, not just the cookie.
    b.logout().await;
    assert_eq!(b.text("#login-notice").await, "You have logged out.");
    assert!(b.try_find(browser::LOGIN_LINK).await.is_some());
    assert!(b.try_find(browser::LOGOUT_BUTTON).await.is_none());
    assert_eq!(b.cookie(browser::SESSION_COOKIE).await, None);
    b.goto("/").await;
    assert!(b.try_find(browser::LOGIN_LINK).await.is_some());
    assert!(b.try_find("header .who").await.is_none());
    let me = app
        .http
        .get(app.path("/api/v1/auth/me"))
        .header("cookie", format!("{}={session}", browser::SESSION_COOKIE))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "the old session still works"
    );
    // The helper the longer walks use logs in the same way.
    assert_eq!(b.login(CLERK, PASSWORD).await, "/window");
    assert!(b.try_find(browser::LOGOUT_BUTTON).await.is_some());
}

/// Logs out whoever is logged in, if anyone, and logs `who` in through the login page; returns
/// where the login led.
async fn browser_log_in_as(b: &browser::Session, who: &str) -> String {
    if b.try_find(browser::LOGOUT_BUTTON).await.is_some() {
        b.logout().await;
    }
    b.login(who, PASSWORD).await
}

/// A small but well-formed one-page PDF that says `title`.
fn sample_pdf(title: &str) -> Vec<u8> {
    let text = format!("BT /F1 20 Tf 72 760 Td ({title}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    pdf
}

/// A grey-scale PNG of a floor plan, 240×160: walls, a door, and (`with_counter`) a counter.
/// Uncompressed (stored deflate blocks), so it needs no encoder.
fn sample_png(with_counter: bool) -> Vec<u8> {
    const W: usize = 240;
    const H: usize = 160;
    let mut pixels = vec![255u8; W * H];
    let mut fill = |x0: usize, y0: usize, x1: usize, y1: usize, shade: u8| {
        for y in y0..y1 {
            for x in x0..x1 {
                pixels[y * W + x] = shade;
            }
        }
    };
    // Outer walls with a door in the bottom one, and a wall between shop and kitchen.
    fill(10, 10, 230, 14, 40);
    fill(10, 146, 100, 150, 40);
    fill(140, 146, 230, 150, 40);
    fill(10, 10, 14, 150, 40);
    fill(226, 10, 230, 150, 40);
    fill(150, 10, 154, 100, 40);
    if with_counter {
        fill(40, 60, 120, 76, 150);
        fill(170, 30, 214, 50, 200);
    }
    let mut raw = Vec::with_capacity((W + 1) * H);
    for row in pixels.chunks(W) {
        raw.push(0); // no filter
        raw.extend_from_slice(row);
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).expect("a stored block holds at most 65535 bytes");
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());

    fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        let len = u32::try_from(data.len()).expect("a small chunk");
        png.extend(len.to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let mut crc = 0xFFFF_FFFFu32;
        for byte in &png[start..] {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        png.extend((!crc).to_be_bytes());
    }
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut header = Vec::new();
    header.extend(u32::try_from(W).expect("width").to_be_bytes());
    header.extend(u32::try_from(H).expect("height").to_be_bytes());
    header.extend([8, 0, 0, 0, 0]); // 8-bit grey, deflate, adaptive filters, no interlace
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// The whole story of issue 4 in one browser: a citizen applies online with her files, the
/// clerk sends the one-time notice, she supplements, the clerk accepts with the keyboard, the
/// department reviews and approves, she sees the decision and has the licence sent by express.
/// Screenshots of every main page go to target/screenshots/ (the README shows a selection).
#[tokio::test]
async fn browser_one_case_walks_from_the_online_application_to_express_delivery() {
    if !browser::enabled() {
        return;
    }
    let app = spawn_app().await;
    let b = browser_on(&app, "one-case").await;
    let uploads = TempDir::new("uploads");
    std::fs::create_dir_all(&uploads.0).expect("upload dir");
    let file = |name: &str, bytes: Vec<u8>| {
        let path = uploads.0.join(name);
        std::fs::write(&path, bytes).expect("upload file written");
        path
    };
    let form_pdf = file(
        "食品经营许可申请书.pdf",
        sample_pdf("Application for a food business licence"),
    );
    let plan_png = file("经营场所平面图.png", sample_png(false));
    let rules_pdf = file("食品安全管理制度.pdf", sample_pdf("Food safety rules"));
    let clear_plan_png = file("经营场所平面图（清晰版）.png", sample_png(true));

    // a. The citizen finds the item in the catalogue and applies online with her files.
    b.goto("/catalogue").await;
    assert_eq!(b.html_lang().await, "zh-CN");
    b.fill("#q", "食品经营").await;
    b.click("form[role=search] button.primary").await;
    b.wait_for_path("the search results", |p| p.starts_with("/catalogue?q="))
        .await;
    let result = b
        .wait_for("main article.card h3 a[href='/catalogue/items/SCJG-001']")
        .await;
    assert_eq!(
        result.text().await,
        "食品经营许可",
        "the search finds the item"
    );
    b.screenshot("portal-catalogue").await;
    result.click().await;
    b.wait_for_path("the item page", |p| p == "/catalogue/items/SCJG-001")
        .await;
    assert_eq!(b.text("main h1").await, "食品经营许可");
    let facts = b
        .text("section[aria-labelledby=plain-heading] dl.facts")
        .await;
    assert!(facts.contains("5 个工作日"), "the promised time: {facts}");
    b.screenshot("portal-item").await;

    // Not logged in: "apply online" leads through the login page and back to the form.
    b.click("a.button.primary[href='/apply/SCJG-001']").await;
    b.wait_for_path("the login page", |p| p.starts_with("/login?next="))
        .await;
    b.fill("#username", CITIZEN).await;
    b.fill("#password", PASSWORD).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for_path("back at the application form", |p| p == "/apply/SCJG-001")
        .await;
    assert_eq!(b.text("#apply-title").await, "食品经营许可");
    assert_eq!(
        b.find("#name").await.property("value").await,
        json!("王芳"),
        "the form starts with the account's name"
    );
    assert_eq!(
        b.text("#account-identity dd:last-of-type").await,
        PERSON_ID_MASKED
    );
    b.fill("#phone", PERSON_PHONE).await;
    b.upload("#file_M01", &form_pdf).await;
    b.upload("#file_M02", &plan_png).await;
    b.upload("#file_M03", &rules_pdf).await;
    b.screenshot_page("apply-form", 1800).await;
    b.click("form[action='/apply/SCJG-001'] button[type=submit]")
        .await;
    let landed = b
        .wait_for_path("her new case", |p| {
            p.starts_with("/my/cases/") && p.ends_with("?done=submitted")
        })
        .await;
    let my_case = landed
        .strip_suffix("?done=submitted")
        .unwrap_or(&landed)
        .to_string();
    let number = b.text("#case-title ~ dl.facts dd:first-of-type").await;
    assert!(!number.is_empty(), "the case page shows the receipt number");
    let notice = b.text("#case-notice").await;
    assert!(
        notice.contains(&format!("受理编号 {number}")),
        "the notice names the number: {notice}"
    );
    assert_eq!(b.text("#case-status").await, "已收件");
    let materials = b.text("section[aria-labelledby=materials-title]").await;
    for name in [
        "食品经营许可申请书.pdf",
        "经营场所平面图.png",
        "食品安全管理制度.pdf",
    ] {
        assert!(materials.contains(name), "{name} is listed: {materials}");
    }
    b.screenshot("my-case-submitted").await;

    // b. The clerk finds it in the queue, pre-reviews it and sends the one-time notice: the
    //    floor plan was handed in but cannot be read.
    let case_link = format!("a[href='/window/cases/{number}']");
    assert_eq!(browser_log_in_as(&b, CLERK).await, "/window");
    b.wait_for(&case_link).await;
    b.screenshot("window-queue").await;
    b.click(&case_link).await;
    b.wait_for_path("the case at the window", |p| {
        p == format!("/window/cases/{number}")
    })
    .await;
    assert_eq!(b.text("#case-title + p .badge").await, "已收件");
    b.click("form[action$='/start-pre-review'] button[type=submit]")
        .await;
    b.wait_for_path("the case in pre-review", |p| {
        p.ends_with("?done=start-pre-review")
    })
    .await;
    assert_eq!(b.text("#page-notice").await, "已完成：开始预审");
    assert_eq!(b.text("#case-title + p .badge").await, "预审中");
    // Nothing is missing, so the notice form is folded and nothing is ticked.
    let folded = "details:has(form[action$='/request-supplement'])";
    assert_eq!(
        b.attribute(folded, "open").await,
        None,
        "the notice form is folded"
    );
    b.click("details:has(form[action$='/request-supplement']) > summary")
        .await;
    for key in ["M01", "M02", "M03"] {
        assert!(
            !b.find(&format!("input[name=missing][value={key}]"))
                .await
                .is_selected()
                .await,
            "{key} was handed in: not pre-ticked"
        );
    }
    b.set_checked("input[name=missing][value=M02]", true).await;
    b.fill("#notice-note", "平面图模糊不清，请上传清晰的平面图。")
        .await;
    b.screenshot_page("window-case", 1600).await;
    b.click("form[action$='/request-supplement'] button[type=submit]")
        .await;
    b.wait_for_path("the printable notice", |p| {
        p == format!("/window/cases/{number}/notice")
    })
    .await;
    assert_eq!(b.text("#notice-title").await, "补正材料一次性告知书");
    let listed = b.find_all("#notice-title ~ table tbody tr").await;
    assert_eq!(listed.len(), 1, "the notice lists one material");
    assert!(listed[0].text().await.contains("经营场所平面图"));
    assert!(
        b.text("article").await.contains("平面图模糊不清"),
        "the notice carries the clerk's note"
    );
    b.screenshot("window-notice").await;

    // c. The citizen sees the notice on her case and hands in only the floor plan again.
    browser_log_in_as(&b, CITIZEN).await;
    b.goto(&my_case).await;
    assert_eq!(b.text("#case-status").await, "待补正");
    let asked = b.text("#supplement").await;
    assert!(asked.contains("经营场所平面图"), "{asked}");
    assert!(asked.contains("平面图模糊不清"), "the note shows: {asked}");
    assert!(
        b.try_find("#supplement #file_M01").await.is_none()
            && b.try_find("#supplement #file_M03").await.is_none(),
        "only the material asked for can be handed in again"
    );
    b.upload("#supplement #file_M02", &clear_plan_png).await;
    b.screenshot_page("my-case-supplement", 1600).await;
    b.click("#supplement form button[type=submit]").await;
    b.wait_for_path("her case, supplemented", |p| {
        p == format!("{my_case}?done=supplemented")
    })
    .await;
    assert_eq!(b.text("#case-status").await, "预审中");
    assert!(b.try_find("#supplement").await.is_none());
    assert!(
        b.text("section[aria-labelledby=materials-title]")
            .await
            .contains("经营场所平面图（清晰版）.png")
    );

    // d. The clerk accepts with the keyboard alone: A (with the focus on no field) selects the
    //    accept button and asks for Enter, which accepts (WCAG 2.1.4: no single key acts alone).
    browser_log_in_as(&b, CLERK).await;
    b.goto(&format!("/window/cases/{number}")).await;
    assert_eq!(b.text("#case-title + p .badge").await, "预审中");
    b.wait_for("button[data-key=a]").await;
    let focused = b
        .execute("return document.activeElement.tagName", vec![])
        .await;
    assert!(
        !matches!(focused.as_str(), Some("INPUT" | "TEXTAREA" | "SELECT")),
        "the focus is in a field: {focused}"
    );
    b.press("a").await;
    b.wait_for_text("#accept-confirm", "按 Enter 确认受理")
        .await;
    b.press(browser::keys::ENTER).await;
    b.wait_for_path("the receipt", |p| {
        p == format!("/window/cases/{number}/receipt")
    })
    .await;
    assert_eq!(b.text("#receipt-title").await, "受理回执");
    assert!(b.text("article dl.facts").await.contains(&number));
    let qr = b.find("article figure svg.qr").await;
    assert_eq!(
        qr.attribute("role").await.as_deref(),
        Some("img"),
        "the QR code is an inline SVG image"
    );
    assert!(
        b.text("article figcaption")
            .await
            .contains(&format!("/lookup?number={number}")),
        "the QR code leads to the public look-up of the case"
    );
    b.screenshot_page("window-receipt", 1400).await;

    // e. The reviewer sees it on the desk with a green light and starts the review; the
    //    approver approves (confirming the dialog) and issues the result.
    let desk_row = format!("tbody tr:has(a[href='/desk/cases/{number}'])");
    assert_eq!(browser_log_in_as(&b, REVIEWER).await, "/desk");
    b.wait_for(&format!("{desk_row} .light.green")).await;
    assert!(b.text(&desk_row).await.contains("食品经营许可"));
    b.screenshot("desk-tasks").await;
    b.click(&format!("{desk_row} a")).await;
    b.wait_for_path("the case at the desk", |p| {
        p == format!("/desk/cases/{number}")
    })
    .await;
    assert!(
        b.try_find("button[name=approve]").await.is_none(),
        "a reviewer gets no decision form"
    );
    b.click("form[action$='/start-review'] button[type=submit]")
        .await;
    b.wait_for_path("the case in review", |p| p.ends_with("?done=start-review"))
        .await;
    assert_eq!(b.text("#case-title + p .badge").await, "审查中");
    // The reviewer's opinion and proposed decision (审查意见, 报批), for the approver.
    b.fill("#propose-opinion", "材料齐全，符合法定条件，拟准予许可。")
        .await;
    b.click("form[action$='/propose'] button[type=submit]")
        .await;
    b.wait_for_path("the proposal sent", |p| p.ends_with("?done=propose"))
        .await;
    assert_eq!(b.text("#proposal-label").await, "拟准予许可");

    assert_eq!(browser_log_in_as(&b, APPROVER).await, "/desk");
    b.goto(&format!("/desk/cases/{number}")).await;
    assert!(
        b.text("#proposal-opinion").await.contains("拟准予许可"),
        "the approver reads the opinion it decides on"
    );
    b.fill("#decide-reason", "材料齐全，符合法定条件。").await;
    b.screenshot_page("desk-case", 1800).await;
    b.click("button[name=approve][value=true]").await;
    let question = b.accept_alert().await;
    assert_eq!(question, "确认准予许可？决定作出后不能撤回。");
    b.wait_for_path("the decided case", |p| p.ends_with("?done=decide"))
        .await;
    assert_eq!(b.text("#case-title + p .badge").await, "准予许可");
    b.click("form[action$='/issue-result'] button[type=submit]")
        .await;
    b.wait_for_path("the result issued", |p| p.ends_with("?done=issue-result"))
        .await;
    assert_eq!(b.text("#case-title + p .badge").await, "已出证");

    // f. The citizen sees the decision and has the licence sent by express.
    assert_eq!(browser_log_in_as(&b, CITIZEN).await, "/my/cases");
    let listed = format!("a[href='{my_case}']");
    assert_eq!(b.wait_for(&listed).await.text().await, number);
    b.click(&listed).await;
    b.wait_for_path("her case", |p| p == my_case).await;
    assert_eq!(b.text("#case-status").await, "已出证，待领取");
    let decision = b.text("#decision").await;
    assert!(decision.contains("准予许可"), "{decision}");
    assert!(decision.contains("材料齐全，符合法定条件。"), "{decision}");
    b.screenshot_page("my-case-decided", 1900).await;
    b.click("#method-express").await;
    assert_eq!(
        b.find("#recipient").await.property("value").await,
        json!("王芳"),
        "the recipient starts as the applicant"
    );
    b.fill("#delivery-phone", PERSON_PHONE).await;
    b.fill("#address", "浙江省宁波市宁海县跃龙街道人民路 1 号")
        .await;
    b.click("#agreement").await;
    b.click("form[action$='/delivery'] button[type=submit]")
        .await;
    b.wait_for_path("her case, the delivery chosen", |p| {
        p == format!("{my_case}?done=delivery")
    })
    .await;
    assert_eq!(b.text("#case-notice").await, "领取方式已确认。");
    // Chosen, not yet delivered: the result is posted and delivered on the signature.
    assert_eq!(b.text("#case-status").await, "已出证，待领取");
    let chosen = b.text("#delivery-choice").await;
    assert!(
        chosen.contains("快递送达") && chosen.contains("人民路 1 号"),
        "the chosen delivery: {chosen}"
    );

    // g. The window posts the result with the courier's waybill; the courier reports the
    // signature through its signed webhook.
    let secret = app
        .service
        .add_courier(
            &onewindow_app::Actor::command_line("test"),
            "ems",
            "中国邮政EMS",
        )
        .await
        .expect("a courier");
    assert_eq!(browser_log_in_as(&b, CLERK).await, "/window");
    b.goto(&format!("/window/cases/{number}")).await;
    let post = b.text("#post-choice").await;
    assert!(
        post.contains("人民路 1 号"),
        "the window sees the address: {post}"
    );
    b.fill("#waybill", "EM123456789CN").await;
    b.click("#dispatch-form button[type=submit]").await;
    b.wait_for_path("the result posted", |p| p.ends_with("?done=dispatch"))
        .await;
    let parcels = b.text("#parcels").await;
    assert!(
        parcels.contains("EM123456789CN") && parcels.contains("运输中"),
        "{parcels}"
    );
    let body =
        json!({"waybill": "EM123456789CN", "state": "signed", "signed_by": "王芳"}).to_string();
    let timestamp = app.clock.now().timestamp().to_string();
    let signature =
        onewindow_app::delivery::webhook_signature(&secret, &timestamp, body.as_bytes());
    let answer = app
        .http
        .post(format!("{}/api/v1/couriers/ems/reports", app.url))
        .header("content-type", "application/json")
        .header("x-onewindow-timestamp", &timestamp)
        .header("x-onewindow-signature", format!("sha256={signature}"))
        .body(body)
        .send()
        .await
        .expect("the courier's report");
    assert_eq!(answer.status(), StatusCode::OK);

    // h. The citizen sees her case delivered and the parcel signed for.
    assert_eq!(browser_log_in_as(&b, CITIZEN).await, "/my/cases");
    b.goto(&my_case).await;
    assert_eq!(b.text("#case-status").await, "已送达");
    let chosen = b.text("#case-delivery").await;
    assert!(
        chosen.starts_with("快递送达") && chosen.contains("人民路 1 号"),
        "the delivery: {chosen}"
    );
    let parcels = b.text("#parcels").await;
    assert!(
        parcels.contains("已签收") && parcels.contains("王芳"),
        "{parcels}"
    );
    assert!(b.try_find("#delivery form").await.is_none());
    let steps = b.find_all("ol.timeline > li").await.len();
    assert!(steps >= 9, "the timeline shows every step: {steps}");
    b.screenshot_page("my-case-delivered", 2400).await;

    // The same page in English.
    b.switch_language().await;
    assert_eq!(b.text("#case-status").await, "Delivered");
    assert!(
        b.text("#case-delivery")
            .await
            .starts_with("Express delivery to:")
    );
    b.screenshot("my-case-en").await;
    b.switch_language().await;
    assert_eq!(b.html_lang().await, "zh-CN");

    // The administrator's draft editor, with a draft that shortens the promised time.
    assert_eq!(browser_log_in_as(&b, ADMIN).await, "/admin");
    b.goto("/admin/items/SCJG-001").await;
    b.fill("#promised_days", "3").await;
    b.click("#save-draft").await;
    b.wait_for_path("the saved draft", |p| p.ends_with("?saved=1"))
        .await;
    let changes = b.text("#changes").await;
    assert!(
        changes.contains("承诺时限") && !changes.contains("promised_days"),
        "the draft's change by its label: {changes}"
    );
    b.screenshot("admin-item").await;

    // A phone: the item page fits the width.
    b.logout().await;
    b.set_viewport_size(390, 844).await;
    b.goto("/catalogue/items/SCJG-001").await;
    let fits = b
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await;
    assert_eq!(
        fits,
        json!(true),
        "the item page scrolls sideways on a phone"
    );
    b.screenshot("portal-phone").await;
}

// ---- summary rows and statistics at scale (issue 6, part 5) ------------------------------------

/// The facts of a case as its summary row keeps them: a suspension's kind and reason are not
/// kept (no figure reads them).
fn summary_of(case: &onewindow_domain::case::Case) -> onewindow_domain::statistics::CaseFacts {
    let mut facts = onewindow_domain::statistics::CaseFacts::of(case);
    if let Some(clock) = &mut facts.clock {
        for s in &mut clock.suspensions {
            s.kind = onewindow_domain::clock::SuspensionKind::Supplement;
            s.reason.clear();
        }
    }
    facts
}

impl TestApp {
    /// The county hall with a window for GA and two comprehensive windows.
    async fn hall_with_windows(&self) {
        let operator = operator();
        self.service
            .save_centre(
                &operator,
                onewindow_app::admin::Centre {
                    code: "county-hall".into(),
                    name: "宁海县行政服务中心".into(),
                    name_en: "County hall".into(),
                    address: "气象北路".into(),
                    phone: "0574-65561234".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("centre");
        for (code, departments) in [
            ("01", vec!["GA".to_string()]),
            ("02", vec![]),
            ("03", vec![]),
        ] {
            self.service
                .save_window(
                    &operator,
                    onewindow_app::admin::Window {
                        centre: "county-hall".into(),
                        code: code.into(),
                        name: format!("窗口 {code}"),
                        kind: if departments.is_empty() {
                            onewindow_domain::hall::WindowKind::Comprehensive
                        } else {
                            onewindow_domain::hall::WindowKind::Departmental
                        },
                        departments,
                        ..Default::default()
                    },
                )
                .await
                .expect("window");
        }
    }

    /// The case's summary row equals the facts of its stored body; returns its window.
    async fn assert_summary_agrees(&self, id: &str) -> Option<String> {
        let readers = self.service.store().readers();
        let case = onewindow_store::cases::load(readers, id)
            .await
            .expect("load")
            .expect("the case exists");
        let (facts, window) = onewindow_store::facts::of_case(readers, id)
            .await
            .expect("summary row")
            .expect("every case has a summary row");
        assert_eq!(
            facts,
            summary_of(&case),
            "{} in {:?}",
            case.number,
            case.status
        );
        window
    }

    /// Runs an action that must succeed and checks the case's summary row afterwards.
    async fn step(&self, case: &Value, action: &str, who: &str, body: Value) -> Value {
        let case = self.ok(case, action, who, body).await;
        self.assert_summary_agrees(case["id"].as_str().expect("id"))
            .await;
        case
    }
}

/// Every kind of command (submission, pre-review, supplement notice and supplement, acceptance by
/// a clerk and by lapse of the notice period, review, suspension and resumption, extension, a
/// supplement during review, decision, result, delivery, visit, rejection, closing) leaves the
/// case's summary row equal to the facts of its body, in the same transaction.
#[tokio::test]
async fn the_summary_row_follows_the_case_through_every_command() {
    let app = spawn_app().await;
    app.hall_with_windows().await;
    let all = ["M01", "M02", "M03"];
    let mut ids = Vec::new();

    // The long road: supplement, acceptance, review, suspension, extension, decision, delivery.
    let case = app.new_case(&["M01", "M03"]).await;
    let id = case["id"].as_str().expect("id").to_string();
    let window = app.assert_summary_agrees(&id).await;
    assert!(
        matches!(window.as_deref(), Some("county-hall/02" | "county-hall/03")),
        "an SCJG case goes to a comprehensive window: {window:?}"
    );
    let case = app
        .step(
            &case,
            "record-visit",
            CLERK,
            json!({"purpose": "递交材料", "exception": "offline_day"}),
        )
        .await;
    let case = app.step(&case, "start-pre-review", CLERK, json!({})).await;
    let case = app
        .step(
            &case,
            "request-supplement",
            CLERK,
            json!({"missing": ["M02"], "note": "缺平面图"}),
        )
        .await;
    let case = app
        .step(
            &case,
            "provide-supplement",
            CITIZEN,
            json!({"materials": ["M02"]}),
        )
        .await;
    let case = app.step(&case, "accept", CLERK, json!({})).await;
    app.at(day(2026, 11, 3));
    let case = app.step(&case, "start-review", REVIEWER, json!({})).await;
    let case = app
        .step(
            &case,
            "suspend",
            REVIEWER,
            json!({"kind": "inspection", "reason": "现场核查"}),
        )
        .await;
    app.at(day(2026, 11, 5));
    let case = app.step(&case, "resume", REVIEWER, json!({})).await;
    let case = app
        .step(
            &case,
            "extend",
            APPROVER,
            json!({"working_days": 3, "reason": "专家论证"}),
        )
        .await;
    app.at(day(2026, 11, 9));
    let case = app
        .step(
            &case,
            "propose",
            REVIEWER,
            json!({"approve": true, "opinion": "拟准予许可"}),
        )
        .await;
    let case = app
        .step(&case, "decide", APPROVER, json!({"approve": true}))
        .await;
    let case = app.step(&case, "issue-result", REVIEWER, json!({})).await;
    let case = app
        .step(
            &case,
            "deliver",
            CLERK,
            json!({"delivery": {"method": "pickup", "collected_by": {"name": "张建国", "id_number": "330226198806150022", "authorised": true, "authorisation": "授权委托书"}}}),
        )
        .await;
    app.step(&case, "close", CLERK, json!({})).await;
    ids.push(id);

    // A supplement asked during review stops the clock until it comes.
    app.at(day(2026, 11, 10));
    let case = app.new_case(&all).await;
    let case = app.step(&case, "accept", CLERK, json!({})).await;
    let case = app.step(&case, "start-review", REVIEWER, json!({})).await;
    let case = app
        .step(
            &case,
            "request-supplement",
            REVIEWER,
            json!({"missing": ["M02"], "note": "平面图不清晰"}),
        )
        .await;
    ids.push(case["id"].as_str().expect("id").to_string());

    // Rejected at acceptance, then closed.
    let case = app.new_case(&all).await;
    let case = app
        .step(
            &case,
            "reject",
            CLERK,
            json!({"reason": "不属于本机关职权范围"}),
        )
        .await;
    let case = app.step(&case, "close", CLERK, json!({})).await;
    ids.push(case["id"].as_str().expect("id").to_string());

    // A GA case goes to the GA window; denied.
    let filed = app.submit(application("GA-101", &["M01"]), None).await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let case: Value = filed.json().await.expect("json");
    let ga = case["id"].as_str().expect("id").to_string();
    assert_eq!(
        app.assert_summary_agrees(&ga).await.as_deref(),
        Some("county-hall/01")
    );
    let case = app.step(&case, "accept", CLERK, json!({})).await;
    let case = app
        .step(
            &case,
            "propose",
            GA_REVIEWER,
            json!({"approve": false, "opinion": "拟不予许可"}),
        )
        .await;
    app.step(
        &case,
        "decide",
        GA_APPROVER,
        json!({"approve": false, "reason": "不符合条件"}),
    )
    .await;
    ids.push(ga);

    // Accepted by lapse of the notice period (a background job, not an HTTP command).
    let lapsing = app.new_case(&all).await;
    let lapsing = lapsing["id"].as_str().expect("id").to_string();
    app.at(day(2026, 11, 18));
    assert_eq!(app.service.accept_lapsed_cases().await.expect("lapse"), 1);
    ids.push(lapsing);
    for id in &ids {
        app.assert_summary_agrees(id).await;
    }
}

/// The window and level filters through the API, and their refusals naming the field.
#[tokio::test]
async fn statistics_filter_by_window_and_level_and_name_a_bad_one() {
    let app = spawn_app().await;
    app.hall_with_windows().await;
    let scjg = app.new_case(&["M01", "M02", "M03"]).await;
    let window = app
        .assert_summary_agrees(scjg["id"].as_str().expect("id"))
        .await
        .expect("a window");
    let filed = app.submit(application("GA-101", &["M01"]), None).await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let figures = async |query: &str| {
        let (status, s) = app
            .get_as(
                SUPERVISOR,
                &format!("/api/v1/statistics?from=2026-11-01&to=2026-11-30&{query}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {s}");
        s["received"].as_u64().expect("received")
    };
    assert_eq!(figures("").await, 2);
    assert_eq!(figures("window=county-hall/01").await, 1, "the GA window");
    assert_eq!(figures(&format!("window={window}")).await, 1);
    let other = if window == "county-hall/02" {
        "county-hall/03"
    } else {
        "county-hall/02"
    };
    assert_eq!(figures(&format!("window={other}")).await, 0);
    assert_eq!(figures("window=county-hall/01&department=SCJG").await, 0);
    // Both test items are handled at the county and the townships.
    assert_eq!(figures("level=county").await, 2);
    assert_eq!(figures("level=township").await, 2);
    assert_eq!(figures("level=village").await, 0);

    for (query, fields) in [
        ("window=county-hall/99", vec!["window"]),
        ("window=county-hall", vec!["window"]),
        ("level=province", vec!["level"]),
        (
            "level=city&window=nowhere/01&channel=fax",
            vec!["channel", "level", "window"],
        ),
    ] {
        let (status, problem) = app
            .get_as(SUPERVISOR, &format!("/api/v1/statistics?{query}"))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(
            problem["type"]
                .as_str()
                .map(|t| t.ends_with("invalid-input")),
            Some(true),
            "{problem}"
        );
        let named: Vec<&str> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().expect("field"))
            .collect();
        assert_eq!(named, fields, "{query}");
    }
    // A date that does not parse is malformed: 400.
    let (status, problem) = app
        .get_as(SUPERVISOR, "/api/v1/statistics?from=2026-13-01")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

/// A generated year of cases (the generator of `onewindow generate`, through the real state
/// machine): it writes the cases asked for, and the statistics read from the summary rows equal
/// the domain's formulas over the case bodies for every month and for random periods and
/// filters.
#[tokio::test]
async fn statistics_from_summary_rows_equal_the_formulas_over_case_bodies() {
    use onewindow_domain::statistics::{CaseRecord, period_statistics};
    use onewindow_store::reports::{self, PeriodFilter};

    let app = spawn_app().await;
    app.hall_with_windows().await;
    let generated = app
        .service
        .generate_history(600, 1, 7, &|_| {})
        .await
        .expect("generate");
    assert_eq!(generated.cases, 600);
    let readers = app.service.store().readers();
    let all = reports::cases_touching(readers, &PeriodFilter::default())
        .await
        .expect("cases");
    assert_eq!(all.len(), 600);
    assert!(generated.events > 600 * 4, "whole histories: {generated:?}");
    for case in all.iter().step_by(7) {
        app.assert_summary_agrees(&case.id).await;
    }
    let second = app.service.generate_history(10, 1, 8, &|_| {}).await;
    assert!(second.is_err(), "a second run would repeat receipt numbers");

    // Six weeks on, the cases the generator left open are past their due dates: overdue is
    // about the clocks running now.
    app.at(day(2026, 12, 16));
    let today = app.service.today();
    let mut periods = Vec::new();
    for m in 0..14 {
        let from = (day(2025, 11, 1) + chrono::Months::new(m)).min(today);
        let to = (from + chrono::Months::new(1)).pred_opt().expect("day");
        periods.push((from, to));
    }
    // Random periods (seeded), some running past today.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..12 {
        let from = day(2025, 10, 1) + Duration::days(next(420) as i64);
        let to = from + Duration::days(next(90) as i64);
        periods.push((from, to));
    }
    // Periods that end while a late case is still open: the day before each late decision.
    for case in &all {
        if let (Some(clock), Some(decision)) = (&case.clock, &case.decision)
            && clock
                .used_days(&app.service.calendar(), decision.decided_on)
                .expect("days")
                > clock.total_limit()
        {
            let to = decision.decided_on - Duration::days(1);
            periods.push((to - Duration::days(20), to));
        }
    }
    let filters: [(&str, PeriodFilter); 5] = [
        ("", PeriodFilter::default()),
        (
            "&department=GA",
            PeriodFilter {
                department: Some("GA".into()),
                ..PeriodFilter::default()
            },
        ),
        (
            "&item=SCJG-001&channel=online",
            PeriodFilter {
                item_code: Some("SCJG-001".into()),
                channel: Some("online".into()),
                ..PeriodFilter::default()
            },
        ),
        (
            "&centre=township-xidian",
            PeriodFilter {
                centre: Some("township-xidian".into()),
                ..PeriodFilter::default()
            },
        ),
        (
            "&channel=window",
            PeriodFilter {
                channel: Some("window".into()),
                ..PeriodFilter::default()
            },
        ),
    ];
    let (mut overdue, mut completed) = (0, 0);
    for (from, to) in periods {
        for (query, filter) in &filters {
            let cases = reports::cases_touching(
                readers,
                &PeriodFilter {
                    from: Some(from),
                    to: Some(to),
                    ..filter.clone()
                },
            )
            .await
            .expect("bodies");
            let as_of = to.min(today);
            let limits = app.service.statutory_limits().await.expect("limits");
            let records: Vec<CaseRecord> = cases
                .iter()
                .map(|c| {
                    CaseRecord::of(c, &app.service.calendar(), as_of)
                        .expect("record")
                        .with_statutory_days(limits.get(&c.item_code).copied())
                })
                .collect();
            let expected = period_statistics(&records, from, to);
            if expected.overdue > 0 {
                overdue += 1;
            }
            if expected.completed > 0 && expected.suspended.numerator > 0 {
                completed += 1;
            }
            let (status, answered) = app
                .get_as(
                    SUPERVISOR,
                    &format!("/api/v1/statistics?from={from}&to={to}{query}"),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{answered}");
            assert_eq!(
                answered,
                serde_json::to_value(&expected).expect("json"),
                "{from}..{to}{query}"
            );
        }
    }
    assert!(
        overdue > 3 && completed > 10,
        "the data set exercises the figures: {overdue} periods with overdue cases, {completed} \
         with suspended ones"
    );
    // The windows of a centre divide its cases between them.
    let mut by_window = 0;
    for w in ["01", "02", "03"] {
        let (_, s) = app
            .get_as(
                SUPERVISOR,
                &format!("/api/v1/statistics?from=2025-11-03&to=2026-11-02&window=county-hall/{w}"),
            )
            .await;
        by_window += s["received"].as_u64().expect("received");
    }
    let (_, s) = app
        .get_as(
            SUPERVISOR,
            "/api/v1/statistics?from=2025-11-03&to=2026-11-02&centre=county-hall",
        )
        .await;
    assert_eq!(by_window, s["received"].as_u64().expect("received"));
    assert!(by_window > 0);

    // The rankings, the monthly report's figures and its overdue cases, all read from the
    // summary rows, equal what the case bodies give (as they were computed before the rows kept
    // who decided each case).
    use onewindow_domain::assessment::{Performance, ScoringScheme, rank};
    let (mut ranked, mut late) = (0, 0);
    for m in 0..14 {
        let from = day(2025, 11, 1) + chrono::Months::new(m);
        let to = (from + chrono::Months::new(1)).pred_opt().expect("day");
        let as_of = to.min(today);
        let cases = reports::cases_touching(
            readers,
            &PeriodFilter {
                from: Some(from),
                to: Some(to),
                ..PeriodFilter::default()
            },
        )
        .await
        .expect("bodies");
        let limits = app.service.statutory_limits().await.expect("limits");
        let records: Vec<CaseRecord> = cases
            .iter()
            .map(|c| {
                CaseRecord::of(c, &app.service.calendar(), as_of)
                    .expect("record")
                    .with_statutory_days(limits.get(&c.item_code).copied())
            })
            .collect();
        type Key = fn(&onewindow_domain::case::Case) -> Option<String>;
        let units: [(&str, Key, usize); 3] = [
            ("department", |c| Some(c.department.clone()), 0),
            ("centre", |c| Some(c.centre.clone()), 0),
            (
                "staff",
                |c| c.decision.as_ref().map(|d| d.decided_by.clone()),
                3,
            ),
        ];
        for (unit, key, stars) in units {
            let mut performance: std::collections::BTreeMap<String, Performance> =
                Default::default();
            for (case, record) in cases.iter().zip(&records) {
                let (Some(done), Some(key)) = (record.completed_on, key(case)) else {
                    continue;
                };
                if done < from || done > to {
                    continue;
                }
                let p = performance.entry(key).or_default();
                p.completed += 1;
                if record.working_days_used.unwrap_or(0)
                    <= record.promised_days + record.extension_days
                {
                    p.on_time += 1;
                }
                if record.visits <= 1 {
                    p.at_most_once += 1;
                }
            }
            let expected = rank(
                &ScoringScheme::default(),
                performance.into_iter().collect(),
                stars,
            );
            ranked += expected.len();
            let (status, answered) = app
                .get_as(
                    SUPERVISOR,
                    &format!("/api/v1/assessment?unit={unit}&from={from}&to={to}"),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{answered}");
            assert_eq!(
                answered,
                serde_json::to_value(&expected).expect("json"),
                "{unit} {from}..{to}"
            );
        }
        let month = from.format("%Y-%m");
        let (status, report) = app
            .get_as(
                SUPERVISOR,
                &format!("/api/v1/reports/monthly?month={month}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            report["current"],
            serde_json::to_value(period_statistics(&records, from, to)).expect("json"),
            "{month}"
        );
        let mut expected = Vec::new();
        for (case, record) in cases.iter().zip(&records) {
            if let Some(c) = onewindow_report::monthly::overdue_case(
                case,
                record,
                &app.service.calendar(),
                from,
                as_of,
            )
            .expect("overdue")
            {
                expected.push(c);
            }
        }
        onewindow_report::monthly::sort_overdue(&mut expected);
        let expected: Vec<(String, u64)> = expected
            .iter()
            .map(|c| (c.number.clone(), u64::from(c.days_over)))
            .collect();
        let listed: Vec<(String, u64)> = report["overdue"]
            .as_array()
            .expect("overdue")
            .iter()
            .map(|c| {
                (
                    c["number"].as_str().expect("number").to_string(),
                    c["days_over"].as_u64().expect("days"),
                )
            })
            .collect();
        assert_eq!(listed, expected, "{month}");
        late += listed.len();
    }
    assert!(
        ranked > 40 && late > 3,
        "the data set exercises the rankings ({ranked} rows) and the overdue list ({late})"
    );
}

// ---- the monthly inspection report -------------------------------------------------------------

/// One case suspended for an inspection and extended, then left open far past its limit: the
/// report of its month lists it with both reasons; only supervisors may read the report.
#[tokio::test]
async fn the_monthly_report_lists_overdue_cases_with_their_reasons_for_supervisors_only() {
    let app = spawn_app().await;
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let case = app.ok(&case, "start-pre-review", CLERK, json!({})).await;
    let case = app.ok(&case, "accept", CLERK, json!({})).await;
    let case = app.ok(&case, "start-review", REVIEWER, json!({})).await;
    let case = app
        .ok(
            &case,
            "suspend",
            REVIEWER,
            json!({"kind": "inspection", "reason": "现场核查"}),
        )
        .await;
    app.at(day(2026, 11, 4));
    let case = app.ok(&case, "resume", REVIEWER, json!({})).await;
    app.ok(
        &case,
        "extend",
        APPROVER,
        json!({"working_days": 1, "reason": "专家论证"}),
    )
    .await;
    app.at(day(2026, 12, 1));

    let (status, r) = app
        .get_as(SUPERVISOR, "/api/v1/reports/monthly?month=2026-11")
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["month"], json!({"year": 2026, "month": 11}));
    assert_eq!(r["current"]["received"], 1);
    assert_eq!(r["current"]["overdue"], 1);
    assert_eq!(r["previous"]["received"], 0);
    assert_eq!(r["daily"].as_array().expect("days").len(), 30);
    let overdue = r["overdue"].as_array().expect("overdue cases");
    assert_eq!(overdue.len(), 1, "{r}");
    assert_eq!(overdue[0]["number"], case["number"]);
    assert_eq!(overdue[0]["decided_on"], Value::Null, "still open");
    assert!(overdue[0]["days_over"].as_u64().expect("days") > 0);
    assert_eq!(overdue[0]["extension_reason"], "专家论证");
    assert_eq!(overdue[0]["stops"][0]["kind"], "inspection");
    assert_eq!(overdue[0]["stops"][0]["reason"], "现场核查");

    let html = app
        .request(
            SUPERVISOR,
            Method::GET,
            "/api/v1/reports/monthly?month=2026-11&format=html",
        )
        .send()
        .await
        .expect("html");
    assert_eq!(html.status(), StatusCode::OK);
    let text = html.text().await.expect("text");
    assert!(text.contains("2026年11月政务服务效能监察报告"));
    assert!(text.contains("延期：专家论证"), "the extension's reason");
    assert!(
        text.contains("暂停计时（现场勘查）：现场核查"),
        "the stop's reason"
    );
    assert!(text.contains("<svg"), "the charts are inline");

    let pdf = app
        .request(
            SUPERVISOR,
            Method::GET,
            "/api/v1/reports/monthly?month=2026-11&format=pdf",
        )
        .send()
        .await
        .expect("pdf");
    if onewindow_app::monthly_report::load_font(None).is_ok() {
        assert_eq!(pdf.status(), StatusCode::OK);
        assert_eq!(
            pdf.headers()
                .get("content-disposition")
                .and_then(|v| v.to_str().ok()),
            Some("attachment; filename=\"monthly-2026-11.pdf\"")
        );
        assert!(pdf.bytes().await.expect("bytes").starts_with(b"%PDF-"));
    } else {
        let (status, problem) = answer(pdf).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(problem["type"], "/docs/api.md#report-font-missing");
    }

    for who in [CLERK, REVIEWER, APPROVER, CITIZEN] {
        let (status, refused) = app
            .get_as(who, "/api/v1/reports/monthly?month=2026-11&format=pdf")
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {refused}");
    }
    let anonymous = app
        .http
        .get(app.path("/api/v1/reports/monthly?month=2026-11"))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    for bad in ["2026-13", "november", "2027-01"] {
        let (status, problem) = app
            .get_as(SUPERVISOR, &format!("/api/v1/reports/monthly?month={bad}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {problem}");
        assert_eq!(problem["errors"][0]["field"], "month");
    }
}

/// The supervisor's dashboard draws its charts as inline SVG, and links to the month's report.
#[tokio::test]
async fn browser_the_dashboard_draws_its_charts_and_opens_the_monthly_report() {
    if !browser::enabled() {
        return;
    }
    let app = spawn_app().await;
    let case = app.new_case(&["M01", "M02", "M03"]).await;
    let case = app.ok(&case, "start-pre-review", CLERK, json!({})).await;
    let case = app.ok(&case, "accept", CLERK, json!({})).await;
    app.at(day(2026, 11, 4));
    let case = app.ok(&case, "start-review", REVIEWER, json!({})).await;
    let case = app
        .ok(
            &case,
            "propose",
            REVIEWER,
            json!({"approve": true, "opinion": "拟准予许可"}),
        )
        .await;
    app.ok(&case, "decide", APPROVER, json!({"approve": true}))
        .await;

    let b = browser_on(&app, "monitor-charts").await;
    browser_log_in_as(&b, SUPERVISOR).await;
    b.goto("/monitor/statistics?from=2026-11-01&to=2026-11-30")
        .await;
    let charts = b.find_all("#charts figure.chart svg").await;
    assert_eq!(charts.len(), 2, "two charts");
    let width = b
        .execute(
            "return document.querySelector('#charts svg').getBoundingClientRect().width",
            vec![],
        )
        .await;
    assert!(
        width.as_f64().is_some_and(|w| w > 300.0),
        "the chart is drawn at the width of the page: {width}"
    );
    b.screenshot_page("monitor-statistics", 2400).await;

    b.click("#monthly-report-link").await;
    b.wait_for_path("the monthly report", |p| {
        p.starts_with("/monitor/report/monthly")
    })
    .await;
    assert_eq!(
        b.text("article.report h1").await,
        "2026年11月政务服务效能监察报告"
    );
    assert_eq!(b.find_all("article.report svg").await.len(), 2);
    b.screenshot_page("monitor-report", 3000).await;
}
