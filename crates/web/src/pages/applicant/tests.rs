use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::NaiveDate;
use object_store::{ObjectStore, ObjectStoreExt};
use onewindow_app::accounts::{Actor, NewUser};
use onewindow_app::catalogue_io::CatalogueDocument;
use onewindow_app::{ManualClock, Service};
use onewindow_domain::access::{Post, Role};
use onewindow_domain::calendar::Calendar;
use onewindow_domain::case::{CaseCommand, Status};
use onewindow_domain::catalogue::{
    Department, Fee, HallStatus, Item, ItemKind, Level, Material, MaterialCategory, MaterialForm,
    MaterialSource, RunMode,
};
use onewindow_store::Store;
use tower::ServiceExt;

use super::*;
use crate::i18n::Lang;

const PASSWORD: &str = "Tr0ub4dor&3-staple";
const CITIZEN_ID: &str = "11010519491231002X";
const OTHER_ID: &str = "110101199003074477";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
const BOUNDARY: &str = "----onewindow-test-7MA4YWxkTrZu0gW";

use onewindow_testkit::TempDir;

struct World {
    app: Router,
    service: Service,
    /// Each account's session: the cookie's token and the CSRF token.
    sessions: HashMap<&'static str, (String, String)>,
    _dir: TempDir,
}

fn material(key: &str, name: &str, required: bool) -> Material {
    Material {
        key: key.into(),
        name: name.into(),
        form: MaterialForm::Original,
        copies: 1,
        source: MaterialSource::Applicant,
        licence_type: None,
        category: MaterialCategory::Ordinary,
        required,
        sample: None,
        cancelled: None,
        necessity: Default::default(),
    }
}

fn catalogue() -> CatalogueDocument {
    CatalogueDocument {
        departments: vec![Department {
            code: "SCJG".into(),
            name: "市场监督管理局".into(),
            name_en: "Market Supervision".into(),
        }],
        items: vec![Item {
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
                material("M01", "食品经营许可申请书", true),
                material("M02", "经营场所平面图", true),
                material("M03", "健康证明", false),
            ],
            intermediary_services: vec![],
            fee: Fee::default(),
            result_licence_type: Some("食品经营许可证".into()),
            decision_without_proposal: false,
            licence_valid_years: None,
            commitment_text: None,
            auto_approval: false,
        }],
    }
}

/// A fresh SQLite store in a temp dir with a file store, the item, and these accounts,
/// each logged in; the clock stands at Monday 2 November 2026, 09:00 China time.
async fn world() -> World {
    let dir = std::env::temp_dir().join(format!("onewindow-pages-{}", new_form_key()));
    let files = onewindow_app::files::local_file_store(&dir.join("files")).expect("files");
    world_with(dir, files).await
}

/// The same world with its uploads in the given file store.
async fn world_with(dir: std::path::PathBuf, files: Arc<dyn ObjectStore>) -> World {
    let service = service_on(&dir, files).await;
    let operator = Actor::command_line("test");
    service
        .import_catalogue(&operator, catalogue())
        .await
        .expect("catalogue imports");
    let accounts: [(&'static str, &str, Option<&str>, Post); 6] = [
        (
            "citizen",
            "林晓梅",
            Some(CITIZEN_ID),
            Post::new(Role::Applicant),
        ),
        ("other", "卫东", Some(OTHER_ID), Post::new(Role::Applicant)),
        ("agent", "周代办", None, Post::new(Role::Agent)),
        (
            "clerk",
            "张三",
            None,
            Post::new(Role::Clerk).at_centre("county-hall"),
        ),
        (
            "approver",
            "赵审批",
            None,
            Post::new(Role::Approver).in_department("SCJG"),
        ),
        ("admin", "孙管理", None, Post::new(Role::Administrator)),
    ];
    service
        .save_centre(
            &operator,
            onewindow_store::hall::Centre {
                code: "county-hall".into(),
                name: "宁海县行政服务中心".into(),
                name_en: String::new(),
                address: String::new(),
                phone: "0574-65561234".into(),
                ..Default::default()
            },
        )
        .await
        .expect("the centre");
    let mut sessions = HashMap::new();
    for (username, display_name, identity, post) in accounts {
        service
            .create_user(
                &operator,
                NewUser {
                    username: username.into(),
                    display_name: display_name.into(),
                    password: PASSWORD.into(),
                    identity: identity.map(str::to_string),
                    phone: None,
                    posts: vec![post],
                    may_reveal_personal_data: false,
                },
            )
            .await
            .expect("account");
        let grant = service
            .login(username, PASSWORD, "test")
            .await
            .expect("login");
        sessions.insert(username, (grant.token, grant.csrf_token));
    }
    World {
        app: crate::app(service.clone()),
        service,
        sessions,
        _dir: TempDir(dir),
    }
}

/// A service on the world's SQLite store in `dir`: a second one is another node.
async fn service_on(dir: &std::path::Path, files: Arc<dyn ObjectStore>) -> Service {
    let url = onewindow_store::data_dir_url(dir).expect("temp dir");
    let store = Store::open(&url).await.expect("store opens");
    let clock = Arc::new(ManualClock::at_local_morning(
        NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
    ));
    Service::new(store, Calendar::prc(), clock, "330226").with_file_store(files)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// A multipart body as a browser builds it: text fields, then files.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl World {
    fn cookie(&self, who: &str, lang: Lang) -> String {
        let token = self.sessions.get(who).map_or("", |s| s.0.as_str());
        format!("ow_session={token}; ow_lang={}", lang.tag())
    }

    fn csrf(&self, who: &str) -> String {
        self.sessions
            .get(who)
            .map(|s| s.1.clone())
            .unwrap_or_default()
    }

    async fn actor(&self, who: &str) -> Actor {
        let token = self.sessions.get(who).map_or("", |s| s.0.as_str());
        self.service
            .authenticate(token, "test")
            .await
            .expect("session")
            .actor
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.expect("answer");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get_as(&self, who: &str, path: &str) -> Answer {
        self.send(
            Request::get(path)
                .header(header::COOKIE, self.cookie(who, Lang::ZhCn))
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    async fn post_multipart(&self, who: &str, lang: Lang, path: &str, body: Vec<u8>) -> Answer {
        self.send(
            Request::post(path)
                .header(header::COOKIE, self.cookie(who, lang))
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    async fn post_form(&self, who: &str, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::post(path)
                .header(header::COOKIE, self.cookie(who, Lang::ZhCn))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    /// Applies for SCJG-001 as `who` with these files; the answer of the POST.
    async fn apply_with(
        &self,
        who: &str,
        lang: Lang,
        key: &str,
        files: &[(&str, &str, &[u8])],
    ) -> Answer {
        let csrf = self.csrf(who);
        let body = multipart(
            &[
                ("csrf_token", &csrf),
                ("idempotency_key", key),
                ("name", "林晓梅"),
                ("phone", "13805740000"),
                ("centre", "county-hall"),
            ],
            files,
        );
        self.post_multipart(who, lang, "/apply/SCJG-001", body)
            .await
    }

    /// A case filed by the citizen through the page, with both required materials.
    async fn filed_case(&self) -> String {
        let answer = self
            .apply_with(
                "citizen",
                Lang::ZhCn,
                "0123456789abcdef0123",
                &[
                    ("file_M01", "申请书.pdf", PDF),
                    ("file_M02", "平面图.png", PNG),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
        let location = answer.location().to_string();
        let id = location
            .strip_prefix("/my/cases/")
            .and_then(|rest| rest.split('?').next())
            .expect("to the case page");
        id.to_string()
    }

    async fn run(&self, who: &str, case: &str, command: CaseCommand) {
        let actor = self.actor(who).await;
        let version = self
            .service
            .case(&actor, case)
            .await
            .expect("case")
            .case
            .version;
        self.service
            .execute(&actor, case, version, command)
            .await
            .unwrap_or_else(|e| panic!("{who} runs a command: {e}"));
    }
}

/// The first link to an uploaded file in a page.
fn first_file_link(html: &str) -> Option<String> {
    let at = html.find("href=\"/my/files/")? + "href=\"".len();
    let rest = &html[at..];
    Some(rest[..rest.find('"')?].to_string())
}

#[tokio::test]
async fn applying_with_uploads_files_a_case_whose_files_only_its_applicant_reads() {
    let w = world().await;
    let form = w.get_as("citizen", "/apply/SCJG-001").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains("食品经营许可"), "the item's name");
    assert!(html.contains("name=\"file_M01\"") && html.contains("name=\"file_M02\""));
    assert!(
        !html.contains("name=\"file_M03\""),
        "optional: listed, not asked for"
    );
    assert!(html.contains("健康证明"));
    assert!(html.contains("value=\"林晓梅\""), "name from the account");
    assert!(html.contains("1101**********002X"), "identity masked");
    assert!(!html.contains(CITIZEN_ID), "never in full");
    assert!(html.len() < 200 * 1024);

    let id = w.filed_case().await;
    let page = w
        .get_as("citizen", &format!("/my/cases/{id}?done=submitted"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("申请已提交"), "a confirmation");
    assert!(html.contains("申请书.pdf") && html.contains("平面图.png"));
    assert!(html.contains("已收件"), "status and the first step");
    // The progress bar: received done, pre-review the current step, the rest ahead.
    assert!(
        html.contains("<li class=\"done\">收件</li>")
            && html.contains("<li class=\"current\" aria-current=\"step\">预审</li>")
            && html.contains("<li class=\"ahead\">送达</li>"),
        "the progress bar"
    );

    // The same form sent twice files once.
    let again = w
        .apply_with(
            "citizen",
            Lang::ZhCn,
            "0123456789abcdef0123",
            &[
                ("file_M01", "申请书.pdf", PDF),
                ("file_M02", "平面图.png", PNG),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(again.location().starts_with(&format!("/my/cases/{id}")));
    let list = w.get_as("citizen", "/my/cases").await;
    assert_eq!(list.status, StatusCode::OK);
    let rows = list.text().matches("<td><a href=\"/my/cases/").count();
    assert_eq!(rows, 1, "one case");

    let link = first_file_link(&html).expect("a link to the file");
    let file = w.get_as("citizen", &link).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, PDF);
    assert_eq!(file.headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        file.headers[header::CONTENT_DISPOSITION],
        "inline; filename*=UTF-8''%E7%94%B3%E8%AF%B7%E4%B9%A6.pdf"
    );
    assert_eq!(file.headers[header::CACHE_CONTROL], "private, no-store");

    // Another applicant learns nothing: not the case, not the file.
    assert_eq!(w.get_as("other", &link).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        w.get_as("other", &format!("/my/cases/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!w.get_as("other", "/my/cases").await.text().contains(&id));
}

/// The upload and the reading of a file on a given file store, by the node that took it and
/// by another; a file whose object is gone is a plain 404.
async fn uploads_are_read_back_by_every_node(w: World, files: Arc<dyn ObjectStore>) {
    let id = w.filed_case().await;
    let html = w.get_as("citizen", &format!("/my/cases/{id}")).await.text();
    let link = first_file_link(&html).expect("a link to the file");
    let file = w.get_as("citizen", &link).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, PDF);

    // Another node: its own service and file store client on the same database and files.
    let other_node = World {
        app: crate::app(service_on(&w._dir.0, files.clone()).await),
        service: w.service.clone(),
        sessions: w.sessions.clone(),
        _dir: TempDir(w._dir.0.join("unused")),
    };
    let file = other_node.get_as("citizen", &link).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.text());
    assert_eq!(file.body, PDF);

    let actor = w.actor("citizen").await;
    let stored = w.service.case_files(&actor, &id).await.expect("files");
    let pdf = stored
        .iter()
        .find(|f| f.material_key == "M01")
        .expect("the PDF's row");
    let key = object_store::path::Path::from(pdf.storage_key.as_str());
    assert_eq!(
        files
            .get(&key)
            .await
            .expect("object")
            .bytes()
            .await
            .expect("bytes"),
        PDF,
        "the object is where the row says"
    );
    files
        .delete(&key)
        .await
        .expect("removed behind the service's back");
    let gone = w.get_as("citizen", &link).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text());
    drop(other_node);
}

#[tokio::test]
async fn uploads_on_the_local_disk_are_read_back_by_every_node() {
    let dir = std::env::temp_dir().join(format!("onewindow-pages-{}", new_form_key()));
    let files = onewindow_app::files::local_file_store(&dir.join("files")).expect("files");
    let w = world_with(dir, files.clone()).await;
    uploads_are_read_back_by_every_node(w, files).await;
}

#[tokio::test]
async fn uploads_on_s3_are_read_back_by_every_node() {
    let test = "uploads_on_s3_are_read_back_by_every_node";
    let Some(config) = onewindow_app::s3::testing::fresh_bucket(test).await else {
        return;
    };
    let files = onewindow_app::s3::open(&config)
        .await
        .expect("bucket opens");
    let dir = std::env::temp_dir().join(format!("onewindow-pages-{}", new_form_key()));
    let w = world_with(dir, files).await;
    // The test's own client of the bucket, as a second node would open it.
    let second = onewindow_app::s3::open(&config)
        .await
        .expect("bucket opens again");
    uploads_are_read_back_by_every_node(w, second).await;
}

#[tokio::test]
async fn a_file_that_is_not_a_pdf_is_refused_next_to_its_field_in_chinese() {
    let w = world().await;
    let answer = w
        .apply_with(
            "citizen",
            Lang::ZhCn,
            "fedcba9876543210fedc",
            &[
                (
                    "file_M01",
                    "scan.pdf",
                    b"MZ\x90\x00 a program named scan.pdf",
                ),
                ("file_M02", "plan.png", PNG),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text();
    let at = html
        .find("id=\"file_M01-error\"")
        .expect("an error next to the field");
    assert!(html[at..].starts_with(
        "id=\"file_M01-error\">只接受 PDF、JPG 或 PNG 文件（按文件内容识别，仅修改扩展名无效）。"
    ));
    assert!(
        html.contains("aria-describedby=\"file_M01-hint file_M01-error\" aria-invalid=\"true\"")
    );
    assert!(!html.contains("id=\"file_M02-error\""));
    assert!(html.contains("value=\"林晓梅\""), "what was typed stays");
    let mine = w
        .service
        .cases(&w.actor("citizen").await, CaseQuery::default())
        .await
        .expect("list");
    assert!(mine.items.is_empty(), "nothing filed");

    // A required material left out is named too, and in English for an English reader.
    let answer = w
        .apply_with(
            "citizen",
            Lang::En,
            "fedcba9876543210fedc",
            &[("file_M01", "form.pdf", PDF)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer
            .text()
            .contains("id=\"file_M02-error\">Upload this required material.")
    );
}

#[tokio::test]
async fn an_agent_files_for_someone_else_and_a_wrong_identity_names_its_character() {
    let w = world().await;
    let csrf = w.csrf("agent");
    let body = |id: &str| {
        multipart(
            &[
                ("csrf_token", &csrf),
                ("idempotency_key", "aaaabbbbccccdddd0001"),
                ("kind", "person"),
                ("name", "王芳"),
                ("id_number", id),
                ("centre", "county-hall"),
            ],
            &[("file_M01", "a.pdf", PDF), ("file_M02", "b.pdf", PDF)],
        )
    };
    let wrong = w
        .post_multipart(
            "agent",
            Lang::ZhCn,
            "/apply/SCJG-001",
            body("110105194912310021"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .contains("id=\"id_number-error\">证件号码第 18 位有误，请核对。")
    );
    let right = w
        .post_multipart("agent", Lang::ZhCn, "/apply/SCJG-001", body(CITIZEN_ID))
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.text());
    // The citizen sees the case filed in her name.
    assert!(
        w.get_as("citizen", "/my/cases")
            .await
            .text()
            .contains("食品经营许可")
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_and_strangers_are_refused() {
    let w = world().await;
    let body = multipart(
        &[("idempotency_key", "0000111122223333"), ("name", "林晓梅")],
        &[("file_M01", "a.pdf", PDF), ("file_M02", "b.pdf", PDF)],
    );
    let answer = w
        .post_multipart("citizen", Lang::ZhCn, "/apply/SCJG-001", body)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.text().contains("页面已过期"));
    let mine = w
        .service
        .cases(&w.actor("citizen").await, CaseQuery::default())
        .await
        .expect("list");
    assert!(mine.items.is_empty(), "nothing filed");

    // Not logged in: to the login page, and back here after it.
    let anonymous = w
        .send(
            Request::get("/apply/SCJG-001")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert!(anonymous.status.is_redirection());
    assert_eq!(anonymous.location(), "/login?next=/apply/SCJG-001");
    // A clerk files here for the applicant in front of them (窗口收件), at their own window.
    let walk_in = w.get_as("clerk", "/apply/SCJG-001").await;
    assert_eq!(walk_in.status, StatusCode::OK);
    assert!(walk_in.text().contains("id=\"walk-in-notice\""));
    // Other staff do not file applications.
    assert_eq!(
        w.get_as("approver", "/apply/SCJG-001").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.get_as("citizen", "/apply/NO-SUCH").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_supplement_takes_only_the_missing_materials() {
    let w = world().await;
    let id = w.filed_case().await;
    w.run(
        "clerk",
        &id,
        CaseCommand::RequestSupplement {
            missing: vec!["M02".into()],
            note: "平面图不清晰，请重新扫描".into(),
        },
    )
    .await;
    let page = w.get_as("citizen", &format!("/my/cases/{id}")).await;
    let html = page.text();
    assert!(html.contains("待补正") && html.contains("平面图不清晰，请重新扫描"));
    assert!(html.contains("name=\"file_M02\""));
    assert!(!html.contains("name=\"file_M01\""), "M01 is not missing");
    // The applicant reads and prints the one-time notice itself, with its last day; no one else.
    assert!(html.contains(&format!("href=\"/my/cases/{id}/notice\"")));
    let notice = w.get_as("citizen", &format!("/my/cases/{id}/notice")).await;
    assert_eq!(notice.status, StatusCode::OK);
    let printed = notice.text();
    assert!(
        printed.contains("一次性告知书")
            && printed.contains("平面图不清晰，请重新扫描")
            && printed.contains("id=\"notice-deadline\"")
            && printed.contains(&format!("href=\"/my/cases/{id}\"")),
        "the notice, its deadline, and the way back to the case"
    );
    assert_eq!(
        w.get_as("other", &format!("/my/cases/{id}/notice"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let version = w
        .service
        .case(&w.actor("citizen").await, &id)
        .await
        .expect("case")
        .case
        .version
        .to_string();
    let csrf = w.csrf("citizen");
    let path = format!("/my/cases/{id}/supplement");

    let not_missing = multipart(
        &[("csrf_token", &csrf), ("version", &version)],
        &[("file_M01", "again.pdf", PDF)],
    );
    let refused = w
        .post_multipart("citizen", Lang::ZhCn, &path, not_missing)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("只需上传告知书中列出、尚未补齐的材料。")
    );

    let missing = multipart(
        &[("csrf_token", &csrf), ("version", &version)],
        &[("file_M02", "平面图-清晰.pdf", PDF)],
    );
    let done = w
        .post_multipart("citizen", Lang::ZhCn, &path, missing)
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let detail = w
        .service
        .case(&w.actor("citizen").await, &id)
        .await
        .expect("case");
    assert_eq!(detail.case.status, Status::PreReview);
    assert!(detail.case.missing_materials().is_empty());
    let html = w
        .get_as("citizen", &format!("/my/cases/{id}?done=supplemented"))
        .await
        .text();
    assert!(html.contains("平面图-清晰.pdf") && html.contains("补正材料已提交"));
    assert!(!html.contains("/supplement\""), "no form any more");
}

#[tokio::test]
async fn choosing_express_delivery_records_the_address_under_the_agreement() {
    let w = world().await;
    let id = w.filed_case().await;
    w.run("clerk", &id, CaseCommand::Accept).await;
    let list = w.get_as("citizen", "/my/cases").await.text();
    assert!(
        list.contains("已受理") && list.contains("2026年11月9日"),
        "status, due"
    );
    assert!(list.contains("light green") && list.contains("剩余 5 个工作日"));
    // The department's approver may write the review opinion too (its reviewer's post).
    w.run(
        "approver",
        &id,
        CaseCommand::Propose {
            approve: true,
            opinion: "材料齐全，符合条件，拟准予许可".into(),
        },
    )
    .await;
    w.run(
        "approver",
        &id,
        CaseCommand::Decide {
            approve: true,
            reason: "材料齐全，符合条件".into(),
        },
    )
    .await;
    w.run(
        "approver",
        &id,
        CaseCommand::IssueResult {
            document_number: Some("宁市监食许〔2026〕18号".into()),
        },
    )
    .await;
    let html = w.get_as("citizen", &format!("/my/cases/{id}")).await.text();
    assert!(html.contains("准予许可") && html.contains("宁市监食许〔2026〕18号"));
    assert!(html.contains("name=\"method\" value=\"express\""));
    let csrf = w.csrf("citizen");
    let path = format!("/my/cases/{id}/delivery");

    let no_address = w
        .post_form(
            "citizen",
            &path,
            &[
                ("csrf_token", &csrf),
                ("method", "express"),
                ("recipient", "林晓梅"),
                ("phone", "13805740000"),
                ("address", " "),
            ],
        )
        .await;
    assert_eq!(no_address.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = no_address.text();
    assert!(
        text.contains("id=\"address-error\">请写明县（区）")
            && text.contains("id=\"agreement-error\">选择快递送达须同意送达地址确认书"),
        "{text}"
    );

    let chosen = w
        .post_form(
            "citizen",
            &path,
            &[
                ("csrf_token", &csrf),
                ("method", "express"),
                ("recipient", "林晓梅"),
                ("phone", "13805740000"),
                ("address", "浙江省宁海县跃龙街道人民大道1号"),
                ("agreement", onewindow_domain::delivery::AGREEMENT_VERSION),
            ],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.text());
    // Chosen, not delivered: the case is delivered when the courier reports the signature.
    let case = w
        .service
        .case(&w.actor("citizen").await, &id)
        .await
        .expect("case")
        .case;
    assert_eq!(case.status, Status::ResultIssued);
    assert_eq!(case.delivery, None);
    let html = w
        .get_as("citizen", &format!("/my/cases/{id}?done=delivery"))
        .await
        .text();
    assert!(html.contains("领取方式已确认") && html.contains("浙江省宁海县跃龙街道人民大道1号"));
    assert!(html.contains("id=\"delivery-choice\""), "{html}");
}

/// Scanned documents are often larger than the app's general 2 MB request limit; the upload
/// routes carry their own.
#[tokio::test]
async fn scans_larger_than_two_megabytes_are_accepted_and_over_ten_refused_at_their_field() {
    let w = world().await;
    let mut scan = PDF.to_vec();
    scan.resize(3 * 1024 * 1024, b' ');
    let answer = w
        .apply_with(
            "citizen",
            Lang::ZhCn,
            "1111222233334444aaaa",
            &[("file_M01", "big.pdf", &scan), ("file_M02", "b.png", PNG)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());

    scan.resize(MAX_FILE_BYTES + 1, b' ');
    let answer = w
        .apply_with(
            "citizen",
            Lang::ZhCn,
            "1111222233334444bbbb",
            &[("file_M01", "huge.pdf", &scan), ("file_M02", "b.png", PNG)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer
            .text()
            .contains("id=\"file_M01-error\">文件超过 10 MB")
    );
}

#[tokio::test]
async fn my_cases_come_newest_first_a_page_at_a_time() {
    let w = world().await;
    let citizen = w.actor("citizen").await;
    let mut numbers = Vec::new();
    for _ in 0..=PAGE_SIZE {
        let request = SubmitCase {
            item_code: "SCJG-001".into(),
            applicant: Applicant {
                kind: ApplicantKind::Person,
                name: "林晓梅".into(),
                id_number: CITIZEN_ID.into(),
                phone: None,
            },
            channel: Channel::Online,
            centre: "county-hall".into(),
            materials: vec!["M01".into()],
            commitments: Vec::new(),
        };
        let filed = w
            .service
            .submit_case(&citizen, request, None)
            .await
            .expect("filed");
        numbers.push(filed.case.number);
    }
    let first = w.get_as("citizen", "/my/cases").await.text();
    assert_eq!(
        first.matches("<td><a href=\"/my/cases/").count(),
        PAGE_SIZE as usize
    );
    let newest = first.find(numbers[PAGE_SIZE as usize].as_str());
    let older = first.find(numbers[PAGE_SIZE as usize - 1].as_str());
    assert!(newest.is_some() && newest < older, "newest first");
    assert!(
        !first.contains(numbers[0].as_str()),
        "the oldest is on the next page"
    );
    let at = first.find("href=\"/my/cases?cursor=").expect("a next page") + 6;
    let next = &first[at..at + first[at..].find('"').expect("end")];
    let second = w.get_as("citizen", next).await.text();
    assert!(second.contains(numbers[0].as_str()));
    assert_eq!(second.matches("<td><a href=\"/my/cases/").count(), 1);
    assert!(second.contains("href=\"/my/cases\"") && !second.contains("rel=\"next\""));
}

#[test]
fn every_status_event_and_run_mode_has_words() {
    for lang in Lang::ALL {
        let t = lang.messages();
        let keys = Status::ALL
            .into_iter()
            .map(status_key)
            .chain(RunMode::ALL.into_iter().map(run_mode_key))
            .chain(SuspensionKind::ALL.into_iter().map(suspension_key));
        for key in keys {
            assert!(t.has(key), "{} lacks {key}", lang.tag());
        }
    }
}

#[test]
fn file_names_are_encoded_for_the_header() {
    assert_eq!(rfc5987("a b.pdf"), "a%20b.pdf");
    assert_eq!(rfc5987("证.pdf"), "%E8%AF%81.pdf");
    assert_eq!(rfc5987("x\"y;z"), "x%22y%3Bz");
}

#[test]
fn form_keys_differ_and_are_accepted_back() {
    let (a, b) = (new_form_key(), new_form_key());
    assert_ne!(a, b);
    assert!(
        valid_form_key(&a) && !valid_form_key("short") && !valid_form_key("a b c d e f g h i j")
    );
}

#[tokio::test]
async fn the_applicant_withdraws_from_the_case_page_with_a_reason() {
    let w = world().await;
    let id = w.filed_case().await;
    w.run("clerk", &id, CaseCommand::Accept).await;
    let html = w.get_as("citizen", &format!("/my/cases/{id}")).await.text();
    assert!(
        html.contains("id=\"withdraw\"") && html.contains("撤回申请"),
        "the form is offered before the decision"
    );
    let version = w
        .service
        .case(&w.actor("citizen").await, &id)
        .await
        .expect("case")
        .case
        .version
        .to_string();
    let csrf = w.csrf("citizen");
    let path = format!("/my/cases/{id}/withdraw");

    // Without a reason: the field says so, in Chinese, and nothing changes.
    let blank = w
        .post_form(
            "citizen",
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = blank.text();
    assert!(
        text.contains("id=\"withdraw-reason-error\"") && text.contains("原因"),
        "{text}"
    );
    // Another applicant cannot withdraw it.
    let stranger = w
        .post_form(
            "other",
            &path,
            &[
                ("csrf_token", &w.csrf("other")),
                ("version", &version),
                ("reason", "不要了"),
            ],
        )
        .await;
    assert!(
        matches!(
            stranger.status,
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
        ),
        "{}",
        stranger.status
    );

    let done = w
        .post_form(
            "citizen",
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("reason", "改为下月再办"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let html = w
        .get_as("citizen", &format!("/my/cases/{id}?done=withdrawn"))
        .await
        .text();
    assert!(html.contains("申请已撤回") && html.contains("改为下月再办"));
    assert!(html.contains("已撤回") && !html.contains("id=\"withdraw\""));
}

#[tokio::test]
async fn a_saved_application_keeps_its_files_and_is_filed_later_without_uploading_them_again() {
    let w = world().await;
    let csrf = w.csrf("citizen");
    // Save with the application form only (暂存): nothing else is checked.
    let body = multipart(
        &[
            ("csrf_token", &csrf),
            ("idempotency_key", "0123456789abcdef0999"),
            ("name", "林晓梅"),
            ("phone", "13805740000"),
            ("centre", "county-hall"),
            ("intent", "draft"),
        ],
        &[("file_M01", "申请书.pdf", PDF)],
    );
    let saved = w
        .post_multipart("citizen", Lang::ZhCn, "/apply/SCJG-001", body)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let location = saved.location().to_string();
    assert!(location.contains("draft=") && location.ends_with("saved=1"));
    let draft_id = location
        .split("draft=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the draft")
        .to_string();

    // It is on "my cases" and opens with its form and its file kept.
    let list = w.get_as("citizen", "/my/cases").await.text();
    assert!(
        list.contains("我的暂存") && list.contains(&draft_id),
        "{list}"
    );
    let title = list.split("</title>").next().unwrap_or_default();
    assert!(
        !title.contains("<section"),
        "the title is words only: {title}"
    );
    let page = w.get_as("citizen", &location).await.text();
    assert!(page.contains("已暂存") && page.contains("13805740000"));
    assert!(
        page.contains("id=\"kept_M01\"") && page.contains("申请书.pdf"),
        "{page}"
    );
    // Nobody else opens it.
    assert_eq!(
        w.get_as("other", &location).await.status,
        StatusCode::NOT_FOUND
    );

    // Filed with the missing file only: both files are the case's, the draft is gone.
    let body = multipart(
        &[
            ("csrf_token", &csrf),
            ("idempotency_key", "0123456789abcdef0998"),
            ("name", "林晓梅"),
            ("phone", "13805740000"),
            ("centre", "county-hall"),
            ("draft_id", &draft_id),
        ],
        &[("file_M02", "平面图.png", PNG)],
    );
    let filed = w
        .post_multipart("citizen", Lang::ZhCn, "/apply/SCJG-001", body)
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.text());
    let id = filed
        .location()
        .strip_prefix("/my/cases/")
        .and_then(|rest| rest.split('?').next())
        .expect("to the case page")
        .to_string();
    let actor = w.actor("citizen").await;
    let files = w.service.case_files(&actor, &id).await.expect("files");
    let mut keys: Vec<&str> = files.iter().map(|f| f.material_key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["M01", "M02"]);
    let case = w.service.case(&actor, &id).await.expect("case").case;
    assert!(case.missing_materials().is_empty(), "{case:?}");
    // The draft's file is the case's now, readable by its applicant.
    let html = w.get_as("citizen", &format!("/my/cases/{id}")).await.text();
    let link = first_file_link(&html).expect("a file link");
    assert_eq!(w.get_as("citizen", &link).await.status, StatusCode::OK);
    assert!(
        w.service
            .application_drafts(&actor)
            .await
            .expect("drafts")
            .is_empty()
    );
    assert_eq!(
        w.get_as("citizen", &location).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_saved_application_is_deleted_with_its_files_on_request() {
    let w = world().await;
    let csrf = w.csrf("citizen");
    let body = multipart(
        &[
            ("csrf_token", &csrf),
            ("idempotency_key", "0123456789abcdef0997"),
            ("name", "林晓梅"),
            ("centre", "county-hall"),
            ("intent", "draft"),
        ],
        &[("file_M01", "申请书.pdf", PDF)],
    );
    let saved = w
        .post_multipart("citizen", Lang::ZhCn, "/apply/SCJG-001", body)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let actor = w.actor("citizen").await;
    let drafts = w.service.application_drafts(&actor).await.expect("drafts");
    let id = drafts[0].id.clone();
    let stranger = w
        .post_form(
            "other",
            &format!("/my/drafts/{id}/delete"),
            &[("csrf_token", &w.csrf("other"))],
        )
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    let deleted = w
        .post_form(
            "citizen",
            &format!("/my/drafts/{id}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        w.service
            .application_drafts(&actor)
            .await
            .expect("drafts")
            .is_empty()
    );
    let list = w
        .get_as("citizen", "/my/cases?done=draft-deleted")
        .await
        .text();
    assert!(list.contains("暂存的申请已删除") && !list.contains(&id));
}
