//! A small WebDriver client for the browser tests: Debian's `chromedriver` driving headless
//! Chromium, spoken to over plain HTTP with `reqwest` (no WebDriver crate).
//!
//! One [`Session`] is one `chromedriver` child process with one browser on a fresh profile;
//! dropping it ends the browser and kills the driver. Every step that fails panics with the step,
//! the selector and the page it was on, and leaves `target/screenshots/failed-<label>.png`.
//!
//! Whether the browser tests run is decided by [`enabled`]:
//! - `/usr/bin/chromedriver` missing: skipped ("skipped: chromedriver not installed"), unless
//!   `ONEWINDOW_BROWSER_TESTS=required` (or `always`), which makes it a failure (`.ci/run` sets it);
//! - `ONEWINDOW_TEST_POSTGRES` set: skipped, unless `ONEWINDOW_BROWSER_TESTS=always`. The pages
//!   call the same service as the API, whose tests run on both stores; a browser only adds the
//!   HTML, the cookies and the forms, which do not depend on the store, and would add its start-up
//!   time to a second pass for nothing;
//! - `ONEWINDOW_BROWSER_TESTS=off`: skipped.
//!
//! `ONEWINDOW_BROWSER_TRACE=1` prints every WebDriver command with its time (see it with
//! `cargo test -- --nocapture`).

// A harness: each test binary uses the part it needs.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long [`Session::wait_for`] and friends wait unless told otherwise. Generous: on a CI
/// machine with two cores the browser shares them with the rest of the test suite.
pub const WAIT: Duration = Duration::from_secs(10);

/// The W3C name of an element reference in WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Keys for [`Session::press`] and [`Element::send_keys`] (WebDriver code points).
pub mod keys {
    pub const ENTER: &str = "\u{E007}";
    pub const TAB: &str = "\u{E004}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const BACKSPACE: &str = "\u{E003}";
    pub const SPACE: &str = "\u{E00D}";
    pub const ARROW_DOWN: &str = "\u{E015}";
    pub const ARROW_UP: &str = "\u{E013}";
    pub const SHIFT: &str = "\u{E008}";
    pub const CONTROL: &str = "\u{E009}";
}

/// Whether the browser tests run here (see the module documentation); prints why not.
/// Panics when they are required and cannot run.
pub fn enabled() -> bool {
    let mode = std::env::var("ONEWINDOW_BROWSER_TESTS").unwrap_or_default();
    if mode == "off" {
        println!("skipped: ONEWINDOW_BROWSER_TESTS=off");
        return false;
    }
    let required = mode == "required" || mode == "always";
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        assert!(
            !required,
            "ONEWINDOW_BROWSER_TESTS={mode} but {CHROMEDRIVER} or {CHROMIUM} is missing: \
             install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        );
        println!("skipped: chromedriver not installed");
        return false;
    }
    let on_postgres = std::env::var("ONEWINDOW_TEST_POSTGRES").is_ok_and(|v| !v.is_empty());
    if on_postgres && mode != "always" {
        println!(
            "skipped: the browser tests run on the SQLite pass (ONEWINDOW_BROWSER_TESTS=always runs them here too)"
        );
        return false;
    }
    true
}

/// A WebDriver error answer.
#[derive(Debug)]
pub struct DriverError {
    pub status: u16,
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The first line only: chromedriver appends its build and a stack trace.
        let message = self.message.lines().next().unwrap_or_default();
        write!(f, "{} ({}): {message}", self.error, self.status)
    }
}

/// One headless Chromium driven by its own `chromedriver`, looking at the app at `base`.
pub struct Session {
    http: reqwest::Client,
    /// `http://127.0.0.1:<port>/session/<id>`.
    session_url: String,
    driver_addr: String,
    session_id: String,
    /// The app's address; paths given to [`Session::goto`] are relative to it.
    base: String,
    /// Names the failure screenshot.
    label: String,
    driver: Child,
    dir: PathBuf,
}

impl Session {
    /// Starts `chromedriver` on a free port and opens a browser on a fresh profile at the
    /// desktop size: a 1280×1000 window, of which the page gets about 1280×860 (headless Chromium
    /// keeps room for its bars; [`Session::set_viewport_size`] sets the page's size exactly).
    /// `label` names the screenshot taken when a step fails.
    pub async fn start(base: &str, label: &str) -> Session {
        let dir = std::env::temp_dir().join(format!("onewindow-browser-{}", uuid::Uuid::now_v7()));
        let profile = dir.join("profile");
        std::fs::create_dir_all(&profile).expect("browser temp dir");
        let port = free_port();
        let log = std::fs::File::create(dir.join("chromedriver.log")).expect("driver log");
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("driver log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("browser: cannot start {CHROMEDRIVER}: {e}"));
        let driver_addr = format!("127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let mut session = Session {
            http,
            session_url: String::new(),
            driver_addr,
            session_id: String::new(),
            base: base.trim_end_matches('/').to_string(),
            label: label.to_string(),
            driver,
            dir,
        };
        session.wait_for_driver().await;
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--window-size=1280,1000",
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"implicit": 0, "pageLoad": 30_000, "script": 10_000},
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let url = format!("http://{}/session", session.driver_addr);
        let answer = session
            .http
            .post(&url)
            .json(&capabilities)
            .send()
            .await
            .unwrap_or_else(|e| panic!("browser: new session: {e}"));
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        let Some(id) = body["value"]["sessionId"].as_str() else {
            panic!(
                "browser: new session refused ({status}): {}\n{}",
                body["value"]["message"],
                session.driver_log()
            );
        };
        session.session_id = id.to_string();
        session.session_url = format!("http://{}/session/{id}", session.driver_addr);
        session
    }

    async fn wait_for_driver(&mut self) {
        let status = format!("http://{}/status", self.driver_addr);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(answer) = self.http.get(&status).send().await
                && let Ok(body) = answer.json::<Value>().await
                && body["value"]["ready"] == json!(true)
            {
                return;
            }
            if let Ok(Some(exit)) = self.driver.try_wait() {
                panic!(
                    "browser: chromedriver exited at start ({exit})\n{}",
                    self.driver_log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "browser: chromedriver not ready after {WAIT:?}\n{}",
                self.driver_log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn driver_log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("chromedriver log (last lines):\n{tail}")
    }

    /// Sends one WebDriver command of this session; `path` is after `/session/<id>`.
    pub async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DriverError> {
        let started = Instant::now();
        let url = format!("{}{path}", self.session_url);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(&body);
        } else if method == Method::POST {
            request = request.json(&json!({}));
        }
        let answer = request.send().await.map_err(|e| DriverError {
            status: 0,
            error: "no answer from chromedriver".into(),
            message: e.to_string(),
        })?;
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        if std::env::var_os("ONEWINDOW_BROWSER_TRACE").is_some() {
            eprintln!(
                "browser [{}] {method} {path} -> {status} in {:?}",
                self.label,
                started.elapsed()
            );
        }
        if status.is_success() {
            Ok(body["value"].clone())
        } else {
            Err(DriverError {
                status: status.as_u16(),
                error: body["value"]["error"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_string(),
                message: body["value"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            })
        }
    }

    /// Runs a command that must succeed; a failure panics naming `step`.
    async fn must(&self, step: &str, method: Method, path: &str, body: Option<Value>) -> Value {
        match self.command(method, path, body).await {
            Ok(value) => value,
            Err(e) => self.fail(&format!("{step}: {e}")).await,
        }
    }

    /// Panics with `what` and the page the browser is on, after saving a screenshot of it.
    pub async fn fail(&self, what: &str) -> ! {
        let url = self
            .command(Method::GET, "/url", None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "(unknown page)".into());
        let shot = match self.command(Method::GET, "/screenshot", None).await {
            Ok(Value::String(data)) => {
                let path = screenshot_dir().join(format!("failed-{}.png", self.label));
                match base64_decode(&data).map(|png| std::fs::write(&path, png)) {
                    Some(Ok(())) => format!("; screenshot {}", path.display()),
                    _ => String::new(),
                }
            }
            _ => String::new(),
        };
        panic!("browser [{}]: {what}\n  on {url}{shot}", self.label);
    }

    /// `path` on the app (absolute URLs pass through).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// Opens a path of the app (or an absolute URL) and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        let url = self.url(path);
        self.must(
            &format!("goto {url}"),
            Method::POST,
            "/url",
            Some(json!({"url": url})),
        )
        .await;
    }

    pub async fn current_url(&self) -> String {
        let url = self
            .must("read the current URL", Method::GET, "/url", None)
            .await;
        url.as_str().unwrap_or_default().to_string()
    }

    /// The current URL without the app's address: path and query.
    pub async fn path(&self) -> String {
        let url = self.current_url().await;
        url.strip_prefix(&self.base).unwrap_or(&url).to_string()
    }

    pub async fn title(&self) -> String {
        let title = self
            .must("read the title", Method::GET, "/title", None)
            .await;
        title.as_str().unwrap_or_default().to_string()
    }

    /// The page's HTML as the browser holds it now.
    pub async fn source(&self) -> String {
        let html = self
            .must("read the source", Method::GET, "/source", None)
            .await;
        html.as_str().unwrap_or_default().to_string()
    }

    /// The `lang` of the page's `<html>`.
    pub async fn html_lang(&self) -> String {
        self.find("html")
            .await
            .attribute("lang")
            .await
            .unwrap_or_default()
    }

    /// Runs a script in the page; `arguments[0..]` are `args`.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.must(
            "execute a script",
            Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// The element matching `css`, if there is one now.
    pub async fn try_find(&self, css: &str) -> Option<Element<'_>> {
        let body = json!({"using": "css selector", "value": css});
        match self.command(Method::POST, "/element", Some(body)).await {
            Ok(value) => Some(self.element(&value, css)),
            Err(e) if e.error == "no such element" => None,
            Err(e) => self.fail(&format!("find `{css}`: {e}")).await,
        }
    }

    /// The first element matching `css`; panics when there is none.
    pub async fn find(&self, css: &str) -> Element<'_> {
        match self.try_find(css).await {
            Some(element) => element,
            None => self.fail(&format!("find `{css}`: no such element")).await,
        }
    }

    /// Every element matching `css`, in document order (maybe none).
    pub async fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let body = json!({"using": "css selector", "value": css});
        let found = self
            .must(
                &format!("find all `{css}`"),
                Method::POST,
                "/elements",
                Some(body),
            )
            .await;
        found
            .as_array()
            .map(|all| all.iter().map(|v| self.element(v, css)).collect())
            .unwrap_or_default()
    }

    fn element(&self, value: &Value, css: &str) -> Element<'_> {
        Element {
            session: self,
            id: value[ELEMENT_KEY].as_str().unwrap_or_default().to_string(),
            selector: css.to_string(),
        }
    }

    /// Waits until an element matches `css` (polling), for at most `timeout`.
    pub async fn wait_for_within(&self, css: &str, timeout: Duration) -> Element<'_> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.try_find(css).await {
                return element;
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "waited {timeout:?} for `{css}`: it never appeared"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (for [`WAIT`]) until an element matches `css`.
    pub async fn wait_for(&self, css: &str) -> Element<'_> {
        self.wait_for_within(css, WAIT).await
    }

    /// Waits (for [`WAIT`]) until the path (with query) satisfies `wanted`; returns it.
    pub async fn wait_for_path(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let path = self.path().await;
            if wanted(&path) {
                return path;
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "waited {WAIT:?} for the address to be {what}; it stayed at {path}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (for [`WAIT`]) until the text of the element matching `css` contains `wanted`;
    /// returns the whole text.
    pub async fn wait_for_text(&self, css: &str, wanted: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.try_text(css).await.unwrap_or_default();
            if text.contains(wanted) {
                return text;
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "waited {WAIT:?} for `{css}` to say {wanted:?}; it says {text:?}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (for [`WAIT`]) for a JavaScript dialog (`confirm`, `alert`, `prompt`) and returns
    /// its question, leaving it open.
    pub async fn alert_text(&self) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.command(Method::GET, "/alert/text", None).await {
                Ok(text) => return text.as_str().unwrap_or_default().to_string(),
                Err(e) if e.error == "no such alert" => {}
                Err(e) => self.fail(&format!("read the dialog: {e}")).await,
            }
            if Instant::now() >= deadline {
                self.fail(&format!("waited {WAIT:?} for a dialog: none opened"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for a JavaScript dialog and answers it with OK (a `confirm` then returns `true`);
    /// returns its question.
    pub async fn accept_alert(&self) -> String {
        let text = self.alert_text().await;
        self.must("accept the dialog", Method::POST, "/alert/accept", None)
            .await;
        text
    }

    /// Waits for a JavaScript dialog and answers it with Cancel; returns its question.
    pub async fn dismiss_alert(&self) -> String {
        let text = self.alert_text().await;
        self.must("dismiss the dialog", Method::POST, "/alert/dismiss", None)
            .await;
        text
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await;
    }

    /// Empties the field matching `css` and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await;
        field.send_keys(text).await;
    }

    /// Chooses `file` (a path; made absolute here) in the `<input type=file>` matching `css`.
    pub async fn upload(&self, css: &str, file: &Path) {
        let absolute = std::path::absolute(file)
            .unwrap_or_else(|e| panic!("browser: upload {}: {e}", file.display()));
        if !absolute.is_file() {
            self.fail(&format!(
                "upload into `{css}`: no file {}",
                absolute.display()
            ))
            .await;
        }
        self.find(css)
            .await
            .send_keys(&absolute.to_string_lossy())
            .await;
    }

    /// Chooses the option with `value` of the `<select>` matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value='{value}']")).await;
    }

    /// Ticks (`true`) or clears (`false`) the checkbox or radio button matching `css`.
    pub async fn set_checked(&self, css: &str, checked: bool) {
        let field = self.find(css).await;
        if field.is_selected().await != checked {
            field.click().await;
        }
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        for _ in 0..50 {
            if let Some(text) = self.try_text(css).await {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.fail(&format!(
            "read the text of `{css}`: no such element, or it kept going stale"
        ))
        .await
    }

    /// The visible text of the element matching `css` now; `None` when there is none, or when
    /// the page replaced it between finding and reading it (a form's redirect still loading).
    pub async fn try_text(&self, css: &str) -> Option<String> {
        let element = self.try_find(css).await?;
        let path = format!("/element/{}/text", element.id);
        match self.command(Method::GET, &path, None).await {
            Ok(value) => Some(value.as_str().unwrap_or_default().to_string()),
            Err(e) if e.error == "stale element reference" => None,
            Err(e) => self.fail(&format!("read the text of `{css}`: {e}")).await,
        }
    }

    /// An attribute of the element matching `css`.
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attribute(name).await
    }

    /// The element that has the focus.
    pub async fn active_element(&self) -> Element<'_> {
        let value = self
            .must(
                "find the focused element",
                Method::GET,
                "/element/active",
                None,
            )
            .await;
        self.element(&value, ":focus")
    }

    /// Presses and releases a key (see [`keys`]; a character is a key too) on whatever has the
    /// focus, as a person would.
    pub async fn press(&self, key: &str) {
        let actions = json!({"actions": [{
            "type": "key",
            "id": "keyboard",
            "actions": [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}],
        }]});
        self.must(
            &format!("press {key:?}"),
            Method::POST,
            "/actions",
            Some(actions),
        )
        .await;
        self.must("release the keys", Method::DELETE, "/actions", None)
            .await;
    }

    /// Resizes the window (e.g. 390×844 for a phone).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.must(
            &format!("resize the window to {width}×{height}"),
            Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Resizes the window so that the page itself gets `width`×`height` CSS pixels (the window
    /// also holds the browser's own bars): 390×844 is a phone.
    pub async fn set_viewport_size(&self, width: u32, height: u32) {
        self.set_window_size(width, height).await;
        let inner = self
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await;
        let (Some(w), Some(h)) = (inner[0].as_u64(), inner[1].as_u64()) else {
            self.fail(&format!("read the viewport size: {inner}")).await;
        };
        let (w, h) = (
            u32::try_from(w).unwrap_or(width),
            u32::try_from(h).unwrap_or(height),
        );
        if (w, h) != (width, height) {
            self.set_window_size(
                width + width.saturating_sub(w),
                height + height.saturating_sub(h),
            )
            .await;
        }
    }

    /// The value of the cookie `name` for the current page, if the browser has it.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        match self
            .command(Method::GET, &format!("/cookie/{name}"), None)
            .await
        {
            Ok(cookie) => cookie["value"].as_str().map(str::to_string),
            Err(e) if e.error == "no such cookie" => None,
            Err(e) => self.fail(&format!("read the cookie {name}: {e}")).await,
        }
    }

    /// Forgets every cookie of the current page's site.
    pub async fn delete_cookies(&self) {
        self.must("delete the cookies", Method::DELETE, "/cookie", None)
            .await;
    }

    /// Saves what the window shows as `target/screenshots/<name>.png`; returns the path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let data = self
            .must(
                &format!("screenshot {name}"),
                Method::GET,
                "/screenshot",
                None,
            )
            .await;
        let Some(png) = data.as_str().and_then(base64_decode) else {
            self.fail(&format!("screenshot {name}: not base64")).await;
        };
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("browser: write {}: {e}", path.display()));
        path
    }

    /// Saves the page from its top, down to at most `max_height` CSS pixels, as
    /// `target/screenshots/<name>.png`: the viewport is stretched to the page's height for the
    /// picture, then given back its size. Returns the path.
    pub async fn screenshot_page(&self, name: &str, max_height: u32) -> PathBuf {
        let sizes = self
            .execute(
                "window.scrollTo(0, 0); return [window.innerWidth, window.innerHeight, \
                 document.documentElement.scrollHeight]",
                vec![],
            )
            .await;
        let size = |i: usize| sizes[i].as_u64().and_then(|v| u32::try_from(v).ok());
        let (Some(width), Some(height), Some(page)) = (size(0), size(1), size(2)) else {
            self.fail(&format!("screenshot {name}: read the page size: {sizes}"))
                .await;
        };
        let wanted = page.clamp(height.min(max_height), max_height);
        if wanted == height {
            return self.screenshot(name).await;
        }
        self.set_viewport_size(width, wanted).await;
        let path = self.screenshot(name).await;
        self.set_viewport_size(width, height).await;
        path
    }

    // ---- steps of a person ----------------------------------------------------------------------

    /// Logs in through the login page as a person would and waits to leave it; returns the path
    /// the app sent the browser to (the role's home, or `next`).
    pub async fn login(&self, username: &str, password: &str) -> String {
        self.goto("/login").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        let path = self
            .wait_for_path("away from the login page", |p| !p.starts_with("/login"))
            .await;
        if self.cookie(SESSION_COOKIE).await.is_none() {
            self.fail(&format!("log in as {username}: no session cookie"))
                .await;
        }
        path
    }

    /// Logs out with the header's button and waits for the login page.
    pub async fn logout(&self) {
        self.click(LOGOUT_BUTTON).await;
        self.wait_for_path("the login page", |p| p.starts_with("/login"))
            .await;
    }

    /// Switches the language with the header's link.
    pub async fn switch_language(&self) {
        let before = self.html_lang().await;
        self.click("header a.lang").await;
        let deadline = Instant::now() + WAIT;
        while self.html_lang().await == before {
            if Instant::now() >= deadline {
                self.fail(&format!("switch the language: the page stayed {before}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The session cookie the login page sets.
pub const SESSION_COOKIE: &str = "ow_session";
/// The cookie that remembers the language.
pub const LANG_COOKIE: &str = "ow_lang";
/// The header's logout button (shown to a logged-in person).
pub const LOGOUT_BUTTON: &str = "header form[action='/logout'] button[type=submit]";
/// The header's login link (shown to everyone else).
pub const LOGIN_LINK: &str = "header a[href^='/login']";

impl Drop for Session {
    fn drop(&mut self) {
        // Ends the browser through the driver (synchronously: no runtime in drop), then the
        // driver itself; killing only the driver would leave Chromium running.
        if !self.session_id.is_empty() {
            delete_session(&self.driver_addr, &self.session_id);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn delete_session(addr: &str, id: &str) {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{id} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return;
    }
    // Reads the whole answer (the browser has closed by then), without waiting for the driver to
    // close the connection, which it may keep open.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer_complete(&answer) {
            break;
        }
    }
}

/// Whether `answer` holds an HTTP answer's head and as much body as its `Content-Length` says.
fn answer_complete(answer: &[u8]) -> bool {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    answer.len() >= end + 4 + length
}

/// An element of the page, found by `selector` (kept for error messages).
pub struct Element<'s> {
    session: &'s Session,
    id: String,
    selector: String,
}

impl Element<'_> {
    async fn must(&self, step: &str, method: Method, what: &str, body: Option<Value>) -> Value {
        let path = format!("/element/{}{what}", self.id);
        self.session
            .must(&format!("{step} `{}`", self.selector), method, &path, body)
            .await
    }

    pub async fn click(&self) {
        self.must("click", Method::POST, "/click", None).await;
    }

    /// Types `text` (for `<input type=file>`: an absolute path to upload).
    pub async fn send_keys(&self, text: &str) {
        self.must(
            "type into",
            Method::POST,
            "/value",
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn clear(&self) {
        self.must("clear", Method::POST, "/clear", None).await;
    }

    /// The rendered text, as a person sees it.
    pub async fn text(&self) -> String {
        let text = self
            .must("read the text of", Method::GET, "/text", None)
            .await;
        text.as_str().unwrap_or_default().to_string()
    }

    pub async fn attribute(&self, name: &str) -> Option<String> {
        let value = self
            .must(
                &format!("read attribute {name} of"),
                Method::GET,
                &format!("/attribute/{name}"),
                None,
            )
            .await;
        value.as_str().map(str::to_string)
    }

    /// A DOM property (e.g. `value` of a field as typed now).
    pub async fn property(&self, name: &str) -> Value {
        self.must(
            &format!("read property {name} of"),
            Method::GET,
            &format!("/property/{name}"),
            None,
        )
        .await
    }

    pub async fn is_displayed(&self) -> bool {
        self.must("check the visibility of", Method::GET, "/displayed", None)
            .await
            .as_bool()
            .unwrap_or(false)
    }

    /// Whether a checkbox, radio button or option is chosen.
    pub async fn is_selected(&self) -> bool {
        self.must("check the selection of", Method::GET, "/selected", None)
            .await
            .as_bool()
            .unwrap_or(false)
    }

    /// The first element matching `css` inside this one.
    pub async fn find(&self, css: &str) -> Element<'_> {
        let body = json!({"using": "css selector", "value": css});
        let value = self
            .must(
                &format!("find `{css}` in"),
                Method::POST,
                "/element",
                Some(body),
            )
            .await;
        self.session
            .element(&value, &format!("{} {css}", self.selector))
    }
}

/// `target/screenshots` of the workspace, created when missing.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("browser: create {}: {e}", dir.display()));
    dir.canonicalize().unwrap_or(dir)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("port").port()
}

/// Decodes standard base64 (what WebDriver screenshots are); `None` when it is not.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let [_, a, b, c] = n.to_be_bytes();
        match chunk.len() {
            4 => out.extend([a, b, c]),
            3 => out.extend([a, b]),
            2 => out.push(a),
            _ => return None,
        }
    }
    Some(out)
}
