//! One test kit for every suite that needs the app on a real store: a temporary directory that
//! cleans up after itself, a fresh store (SQLite in that directory, or with
//! `ONEWINDOW_TEST_POSTGRES=postgres://…` a scratch PostgreSQL database), and a builder for the
//! service on a manual clock with a catalogue and accounts, served on a socket with each account
//! logged in over HTTP and holding a year-long API token.
//!
//! The kit does not depend on the web crate: a suite hands it the router to serve
//! (`onewindow_web::app`), so the web crate's own tests can use it too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
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

/// A directory under the system's temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new, empty directory for `label`.
    pub fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "onewindow-{label}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&path).expect("create the temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The PostgreSQL server the environment names for the suites, if any.
pub fn postgres_base() -> Option<String> {
    std::env::var("ONEWINDOW_TEST_POSTGRES")
        .ok()
        .filter(|base| !base.is_empty())
}

/// The address of a fresh store for `label`: a scratch PostgreSQL database when the environment
/// names a server, otherwise SQLite in the returned directory (which also holds uploaded files).
pub async fn fresh_store_url(label: &str) -> (String, TempDir) {
    let dir = TempDir::new(label);
    let url = match postgres_base() {
        Some(base) => onewindow_store::create_scratch_postgres(&base, "onewindow_test")
            .await
            .expect("PostgreSQL reachable for the test suite"),
        None => onewindow_store::data_dir_url(&dir.0).expect("a temporary data directory"),
    };
    (url, dir)
}

/// A fresh, open store for `label`, and the directory that lives as long as it should.
pub async fn fresh_store(label: &str) -> (Store, TempDir) {
    let (url, dir) = fresh_store_url(label).await;
    (Store::open(&url).await.expect("the store opens"), dir)
}

/// One test account.
#[derive(Debug, Clone)]
pub struct TestAccount {
    pub username: &'static str,
    pub display_name: String,
    pub posts: Vec<Post>,
    pub identity: Option<&'static str>,
    pub phone: Option<&'static str>,
    pub may_reveal: bool,
}

/// An account with one post, named after its user name.
pub fn account(username: &'static str, post: Post) -> TestAccount {
    TestAccount {
        username,
        display_name: username.to_owned(),
        posts: vec![post],
        identity: None,
        phone: None,
        may_reveal: false,
    }
}

/// The app being built: a store, a clock, a catalogue and accounts.
pub struct Builder {
    label: String,
    catalogue: CatalogueDocument,
    accounts: Vec<TestAccount>,
    today: NaiveDate,
    files: bool,
}

impl Builder {
    /// An app labelled `label` (the name of its directory), its clock at 09:00 China time on
    /// `today`.
    pub fn new(label: &str, today: NaiveDate) -> Self {
        Builder {
            label: label.to_owned(),
            catalogue: CatalogueDocument {
                departments: Vec::new(),
                items: Vec::new(),
            },
            accounts: Vec::new(),
            today,
            files: false,
        }
    }

    pub fn catalogue(mut self, catalogue: CatalogueDocument) -> Self {
        self.catalogue = catalogue;
        self
    }

    pub fn accounts(mut self, accounts: Vec<TestAccount>) -> Self {
        self.accounts = accounts;
        self
    }

    /// Uploads go to `files` in the app's own directory.
    pub fn with_files(mut self) -> Self {
        self.files = true;
        self
    }

    /// The service on its store, with the catalogue imported and the accounts created.
    pub async fn service(self) -> World {
        let (store, dir) = fresh_store(&self.label).await;
        let clock = Arc::new(ManualClock::at_local_morning(self.today));
        let mut service = Service::new(store, Calendar::prc(), clock.clone(), "330226");
        if self.files {
            let files =
                onewindow_app::files::local_file_store(&dir.join("files")).expect("a file store");
            service = service.with_file_store(files);
        }
        let operator = Actor::command_line("test");
        service
            .import_catalogue(&operator, self.catalogue)
            .await
            .expect("the catalogue imports");
        // A clerk's post names a centre the county keeps: the centres the accounts name exist.
        let mut centres: Vec<&str> = self
            .accounts
            .iter()
            .flat_map(|a| a.posts.iter().filter_map(|p| p.centre.as_deref()))
            .collect();
        centres.sort_unstable();
        centres.dedup();
        // Named as the demo names them, so pages read as a user sees them.
        let known = onewindow_app::demo::hall::demo_centres();
        for code in centres {
            let (name, name_en) = known
                .iter()
                .find(|c| c.code == code)
                .map_or((code.to_string(), String::new()), |c| {
                    (c.name.clone(), c.name_en.clone())
                });
            service
                .save_centre(
                    &operator,
                    onewindow_store::hall::Centre {
                        code: code.into(),
                        name,
                        name_en,
                        address: String::new(),
                        phone: "0574-65561234".into(),
                        ..Default::default()
                    },
                )
                .await
                .expect("the centre is saved");
        }
        let created = futures::future::join_all(self.accounts.iter().map(|a| {
            service.create_user(
                &operator,
                NewUser {
                    username: a.username.into(),
                    display_name: a.display_name.clone(),
                    password: PASSWORD.into(),
                    identity: a.identity.map(str::to_string),
                    phone: a.phone.map(str::to_string),
                    posts: a.posts.clone(),
                    may_reveal_personal_data: a.may_reveal,
                },
            )
        }))
        .await;
        for (a, result) in self.accounts.iter().zip(created) {
            result.unwrap_or_else(|e| panic!("account {} is created: {e}", a.username));
        }
        World {
            service,
            clock,
            accounts: self.accounts,
            dir,
        }
    }

    /// The app served on a socket by the router `serve` makes, each account logged in.
    pub async fn serve(self, serve: impl FnOnce(Service) -> axum::Router) -> TestApp {
        self.service().await.serve(serve).await
    }
}

/// A service on a fresh store, before it is served.
pub struct World {
    pub service: Service,
    pub clock: Arc<ManualClock>,
    pub accounts: Vec<TestAccount>,
    pub dir: TempDir,
}

impl World {
    /// Serves the router `serve` makes on a free port of 127.0.0.1 and logs every account in.
    pub async fn serve(self, serve: impl FnOnce(Service) -> axum::Router) -> TestApp {
        let url = serve_router(serve(self.service.clone())).await;
        let mut app = TestApp {
            service: self.service,
            url,
            http: reqwest::Client::new(),
            clock: self.clock,
            tokens: HashMap::new(),
            dir: self.dir,
        };
        let logins = futures::future::join_all(
            self.accounts
                .iter()
                .map(|a| app.token_of(a.username, PASSWORD)),
        )
        .await;
        app.tokens.extend(logins);
        app
    }
}

/// The app on a socket, and the API token of each account.
pub struct TestApp {
    pub service: Service,
    pub url: String,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub tokens: HashMap<String, String>,
    pub dir: TempDir,
}

impl TestApp {
    /// Logs `username` in over HTTP and makes a year-long API token with the session (sessions
    /// last 12 hours and tests move the clock by days).
    pub async fn token_of(&self, username: &str, password: &str) -> (String, String) {
        let response = self
            .http
            .post(format!("{}/api/v1/auth/login", self.url))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        let body: Value = response.json().await.expect("json");
        let session = body["token"].as_str().expect("token").to_string();
        let made: Value = self
            .http
            .post(format!("{}/api/v1/auth/tokens", self.url))
            .bearer_auth(&session)
            .json(&json!({"name": "tests", "days": 366}))
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("json");
        (
            username.to_string(),
            made["token"].as_str().expect("api token").to_string(),
        )
    }

    /// Moves the clock to 09:00 China time on `date`.
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

/// The Ninghai demo profile (catalogue, accounts, hall, and with `bundles` the joint-approval
/// bundles and their staff) on a fresh store with uploads, the clock at 09:00 China time on
/// `today`: what the page and browser suites walk.
pub async fn demo_world(label: &str, today: NaiveDate, bundles: bool) -> World {
    let (store, dir) = fresh_store(label).await;
    let clock = Arc::new(ManualClock::at_local_morning(today));
    let files = onewindow_app::files::local_file_store(&dir.join("files")).expect("a file store");
    let service =
        Service::new(store, Calendar::prc(), clock.clone(), "330226").with_file_store(files);
    service.seed_demo(0).await.expect("the demo catalogue");
    service
        .seed_demo_accounts()
        .await
        .expect("the demo accounts");
    if bundles {
        service.seed_demo_bundles().await.expect("the demo bundles");
    }
    World {
        service,
        clock,
        accounts: Vec::new(),
        dir,
    }
}

/// Serves `router` on a free port of 127.0.0.1 (with the peer address, which the audit trail
/// records); its base URL.
pub async fn serve_router(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    format!("http://{addr}")
}

/// One SMS the fake gateway took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSms {
    pub id: String,
    pub phone: String,
    pub text: String,
}

/// A county SMS gateway for the tests: takes `POST /sms` as onewindow's HTTP gateway adapter
/// sends it, checks the signature with its key (401 when wrong), records what it took, and can
/// be switched off (503) to play an outage.
#[derive(Clone)]
pub struct FakeSmsGateway {
    pub url: String,
    pub key: String,
    received: Arc<std::sync::Mutex<Vec<ReceivedSms>>>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl FakeSmsGateway {
    pub async fn start() -> FakeSmsGateway {
        use axum::http::{HeaderMap, StatusCode};
        let received: Arc<std::sync::Mutex<Vec<ReceivedSms>>> = Arc::default();
        let down: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        let key = "fake-gateway-key".to_string();
        let router = {
            let received = received.clone();
            let down = down.clone();
            let key = key.clone();
            axum::Router::new().route(
                "/sms",
                axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                    let received = received.clone();
                    let down = down.clone();
                    let key = key.clone();
                    async move {
                        if down.load(std::sync::atomic::Ordering::SeqCst) {
                            return StatusCode::SERVICE_UNAVAILABLE;
                        }
                        let header = |name: &str| {
                            headers
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string()
                        };
                        let timestamp = header("x-onewindow-timestamp");
                        let expected = format!(
                            "sha256={}",
                            onewindow_app::delivery::webhook_signature(&key, &timestamp, &body)
                        );
                        if header("x-onewindow-signature") != expected {
                            return StatusCode::UNAUTHORIZED;
                        }
                        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
                            return StatusCode::BAD_REQUEST;
                        };
                        let field = |f: &str| value[f].as_str().unwrap_or_default().to_string();
                        if header("idempotency-key") != field("id") {
                            return StatusCode::BAD_REQUEST;
                        }
                        let mut taken = received.lock().unwrap_or_else(|p| p.into_inner());
                        if !taken.iter().any(|s| s.id == field("id")) {
                            taken.push(ReceivedSms {
                                id: field("id"),
                                phone: field("phone"),
                                text: field("text"),
                            });
                        }
                        StatusCode::OK
                    }
                }),
            )
        };
        let base = serve_router(router).await;
        FakeSmsGateway {
            url: format!("{base}/sms"),
            key,
            received,
            down,
        }
    }

    /// The messaging configuration of a service that sends through this gateway.
    pub fn messaging(&self, public_url: &str) -> onewindow_app::messages::MessagingConfig {
        let gateway = onewindow_app::messages::SmsGateway::http(&self.url, &self.key)
            .expect("the fake gateway's address");
        onewindow_app::messages::MessagingConfig::new(public_url, "【宁海政务】", gateway, None)
            .expect("the built-in templates")
    }

    /// What it took so far, in order.
    pub fn received(&self) -> Vec<ReceivedSms> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Plays an outage (503 to everything) or ends it.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }
}
