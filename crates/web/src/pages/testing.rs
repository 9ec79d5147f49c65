//! Test support for the pages: the whole app on a fresh SQLite store with the demo catalogue,
//! centres and accounts, driven in process through the router (no socket), with cookies and the
//! CSRF token handled like a browser would.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use onewindow_app::{ManualClock, Service};
use tower::ServiceExt;

pub use onewindow_testkit::TempDir;

/// The app on a fresh store; the clock stands at Monday 2 November 2026, 09:00 China time.
pub struct TestSite {
    pub router: Router,
    pub service: Service,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
}

/// Someone using the site: their session cookie, CSRF token and language.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    pub session: Option<String>,
    pub csrf: String,
    pub lang: Option<&'static str>,
}

impl Visitor {
    pub fn in_english(mut self) -> Self {
        self.lang = Some("en");
        self
    }

    fn cookie_header(&self) -> Option<String> {
        let mut cookies = Vec::new();
        if let Some(s) = &self.session {
            cookies.push(format!("ow_session={s}"));
        }
        if let Some(l) = self.lang {
            cookies.push(format!("ow_lang={l}"));
        }
        (!cookies.is_empty()).then(|| cookies.join("; "))
    }
}

/// An answer: status, headers, body as text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

pub async fn site() -> TestSite {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let world = onewindow_testkit::demo_world("pages", day, false).await;
    TestSite {
        router: crate::app(world.service.clone()),
        service: world.service,
        clock: world.clock,
        dir: world.dir,
    }
}

/// The site with the demo's joint-approval bundles (LB-MINSU …) and their department staff.
pub async fn site_with_bundles() -> TestSite {
    let site = site().await;
    site.service
        .seed_demo_bundles()
        .await
        .expect("demo bundles");
    site
}

/// A file part of a multipart form: the field, the file name, the bytes.
pub struct FilePart<'a> {
    pub field: &'a str,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

impl TestSite {
    /// Posts a multipart form (an upload form) with `fields` and `files`; the visitor's CSRF
    /// token is added.
    pub async fn post_multipart(
        &self,
        visitor: &Visitor,
        path: &str,
        fields: &[(&str, &str)],
        files: &[FilePart<'_>],
    ) -> Answer {
        let boundary = "----onewindow-test-boundary";
        let mut body: Vec<u8> = Vec::new();
        let mut fields: Vec<(&str, &str)> = fields.to_vec();
        fields.push(("csrf_token", visitor.csrf.as_str()));
        for (name, value) in fields {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .bytes(),
            );
        }
        for file in files {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                    file.field, file.file_name
                )
                .bytes(),
            );
            body.extend_from_slice(file.bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").bytes());
        let mut request = Request::post(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(c) = visitor.cookie_header() {
            request = request.header(header::COOKIE, c);
        }
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }

    /// Logs in through the service (as the login page does) and keeps the cookie and CSRF token.
    pub async fn login(&self, username: &str, password: &str) -> Visitor {
        let grant = self
            .service
            .login(username, password, "test")
            .await
            .expect("login");
        Visitor {
            session: Some(grant.token),
            csrf: grant.csrf_token,
            lang: None,
        }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 8 * 1024 * 1024)
            .await
            .expect("body");
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, visitor: &Visitor, path: &str) -> Answer {
        let mut request = Request::get(path);
        if let Some(c) = visitor.cookie_header() {
            request = request.header(header::COOKIE, c);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    /// Posts a form; the visitor's CSRF token is added unless the fields name one.
    pub async fn post_form(
        &self,
        visitor: &Visitor,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "csrf_token") {
            pairs.push(("csrf_token".into(), visitor.csrf.clone()));
        }
        let body = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    super::encode_query_value(k),
                    super::encode_query_value(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = visitor.cookie_header() {
            request = request.header(header::COOKIE, c);
        }
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }
}

/// A case of market supervision (SCJGJ) filed and accepted at the county hall, overdue by one
/// working day on 10 November 2026 with one alert raised.
pub async fn overdue_case(site: &TestSite) -> onewindow_domain::case::Case {
    let login = site
        .service
        .login("clerk", "chuangkou-2026", "test")
        .await
        .expect("clerk");
    let clerk = site
        .service
        .authenticate(&login.token, "test")
        .await
        .expect("session")
        .actor;
    let item = onewindow_store::catalogue::all_items(site.service.store().readers())
        .await
        .expect("items")
        .into_iter()
        .find(|p| p.item.promised_days == 5 && p.item.department == "SCJGJ")
        .expect("a 5-day item");
    let case = site
        .service
        .submit_case(
            &clerk,
            onewindow_app::service::SubmitCase {
                item_code: item.item.code.clone(),
                applicant: onewindow_domain::case::Applicant {
                    kind: onewindow_domain::case::ApplicantKind::Person,
                    name: "王芳".into(),
                    id_number: "11010519491231002X".into(),
                    phone: None,
                },
                channel: onewindow_domain::case::Channel::Window,
                centre: "county-hall".into(),
                materials: item
                    .item
                    .demanded_materials()
                    .map(|m| m.key.clone())
                    .collect(),
                commitments: Vec::new(),
            },
            None,
        )
        .await
        .expect("filed")
        .case;
    let case = site
        .service
        .execute(
            &clerk,
            &case.id,
            1,
            onewindow_domain::case::CaseCommand::StartPreReview,
        )
        .await
        .expect("pre-review");
    let case = site
        .service
        .execute(
            &clerk,
            &case.id,
            case.version,
            onewindow_domain::case::CaseCommand::Accept,
        )
        .await
        .expect("accepted");
    site.clock.set(onewindow_app::clock::local_morning(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 10).expect("date"),
    ));
    assert_eq!(site.service.sweep_lights().await.expect("sweep").alerts, 1);
    case
}
