//! The whole app on a fresh store, for HTTP-level test suites: SQLite in a temporary data
//! directory, or with `ONEWINDOW_TEST_POSTGRES=postgres://…` a fresh PostgreSQL database. Every
//! account logs in over HTTP and makes a year-long API token (sessions last 12 hours and tests
//! move the clock by days).

// Each suite that includes this file uses a part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use onewindow_app::accounts::{Actor, NewUser};
use onewindow_app::catalogue_io::CatalogueDocument;
use onewindow_app::{ManualClock, Service};
use onewindow_domain::access::Post;
use onewindow_domain::calendar::Calendar;
use onewindow_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Every test account's password.
pub const PASSWORD: &str = "Tr0ub4dor&3-staple";

pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One test account: user name, post, and the identity of an applicant.
pub struct TestAccount {
    pub username: &'static str,
    pub post: Post,
    pub identity: Option<&'static str>,
}

pub fn account(username: &'static str, post: Post) -> TestAccount {
    TestAccount {
        username,
        post,
        identity: None,
    }
}

pub struct TestApp {
    pub service: Service,
    pub url: String,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub tokens: HashMap<String, String>,
    _dir: TempDir,
}

/// Starts the app with `catalogue` and `accounts`, the clock at 09:00 China time on `today`.
pub async fn spawn(
    label: &str,
    catalogue: CatalogueDocument,
    accounts: Vec<TestAccount>,
    today: NaiveDate,
) -> TestApp {
    let dir =
        TempDir(std::env::temp_dir().join(format!("onewindow-{label}-{}", uuid::Uuid::now_v7())));
    let url = match std::env::var("ONEWINDOW_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => {
            onewindow_store::create_scratch_postgres(&base, "onewindow_test")
                .await
                .expect("PostgreSQL reachable for the test suite")
        }
        _ => onewindow_store::data_dir_url(&dir.0).expect("temp dir"),
    };
    let store = Store::open(&url).await.expect("store opens");
    let clock = Arc::new(ManualClock::at_local_morning(today));
    let service = Service::new(store, Calendar::prc(), clock.clone(), "330226");
    let operator = Actor::command_line("test");
    service
        .import_catalogue(&operator, catalogue)
        .await
        .expect("catalogue imports");
    for a in &accounts {
        service
            .create_user(
                &operator,
                NewUser {
                    username: a.username.into(),
                    display_name: a.username.into(),
                    password: PASSWORD.into(),
                    identity: a.identity.map(str::to_string),
                    phone: None,
                    posts: vec![a.post.clone()],
                    may_reveal_personal_data: false,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("account {} is created: {e}", a.username));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = onewindow_web::app(service.clone());
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let mut app = TestApp {
        service,
        url: format!("http://{addr}"),
        http: reqwest::Client::new(),
        clock,
        tokens: HashMap::new(),
        _dir: dir,
    };
    let logins = futures::future::join_all(accounts.iter().map(|a| {
        let http = app.http.clone();
        let url = app.url.clone();
        let name = a.username;
        async move {
            let response = http
                .post(format!("{url}/api/v1/auth/login"))
                .json(&json!({"username": name, "password": PASSWORD}))
                .send()
                .await
                .expect("login request");
            assert_eq!(response.status(), StatusCode::OK, "login of {name}");
            let body: Value = response.json().await.expect("json");
            let session = body["token"].as_str().expect("token").to_string();
            let made: Value = http
                .post(format!("{url}/api/v1/auth/tokens"))
                .bearer_auth(&session)
                .json(&json!({"name": "tests", "days": 366}))
                .send()
                .await
                .expect("token request")
                .json()
                .await
                .expect("json");
            (
                name.to_string(),
                made["token"].as_str().expect("api token").to_string(),
            )
        }
    }))
    .await;
    app.tokens.extend(logins);
    app
}

impl TestApp {
    pub fn at(&self, date: NaiveDate) {
        self.clock.set(onewindow_app::clock::local_morning(date));
    }

    /// A request as `who`, with `If-Match` when a version is given; the status and the JSON
    /// body (null when there is none).
    pub async fn send(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<u64>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(
                self.tokens
                    .get(who)
                    .unwrap_or_else(|| panic!("no account {who}")),
            );
        if let Some(v) = if_match {
            request = request.header("if-match", format!("\"{v}\""));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, who: &str, path: &str) -> (StatusCode, Value) {
        self.send(who, Method::GET, path, None, None).await
    }
}
