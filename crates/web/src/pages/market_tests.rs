//! Page tests of the intermediary market: a firm registered and admitted, a need posted under a
//! project, sealed quotes, the selection by lowest price, the contract from handover to the
//! accepted PDF and the rating; the project page's days before and after; a draw re-run by
//! anyone; a direct choice; the refusals in both languages.

use axum::http::{StatusCode, header};
use onewindow_app::accounts::NewUser;
use onewindow_app::clock::local_morning;
use onewindow_domain::access::{Post, Role};
use onewindow_domain::identifiers::UnifiedSocialCreditCode;
use onewindow_domain::project::{NewProject, ProjectType};

use crate::i18n::Lang;
use crate::pages::testing::{Answer, FilePart, TestSite, Visitor, site};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const ENTERPRISE: (&str, &str) = ("enterprise", "qiye-demo-2026");
const INTERMEDIARY: (&str, &str) = ("intermediary", "zhongjie-2026");

fn zh(key: &str) -> &'static str {
    let text = Lang::ZhCn.messages().get(key);
    Box::leak(text.to_string().into_boxed_str())
}

fn en(key: &str) -> &'static str {
    let text = Lang::En.messages().get(key);
    Box::leak(text.to_string().into_boxed_str())
}

fn day(text: &str) -> chrono::NaiveDate {
    text.parse().expect("a date")
}

/// A valid credit code from its first 17 characters.
fn credit_code(body: &str) -> String {
    let check = UnifiedSocialCreditCode::check_character(body).expect("a code body");
    format!("{body}{check}")
}

async fn actor(site: &TestSite, username: &str, password: &str) -> onewindow_app::Actor {
    let grant = site
        .service
        .login(username, password, "t")
        .await
        .expect("login");
    site.service
        .authenticate(&grant.token, "t")
        .await
        .expect("session")
        .actor
}

async fn create_account(site: &TestSite, username: &str, post: Post) {
    site.service
        .create_user(
            &onewindow_app::Actor::command_line("test"),
            NewUser {
                username: username.into(),
                display_name: username.into(),
                password: "shichang-2026".into(),
                identity: None,
                phone: None,
                posts: vec![post],
                may_reveal_personal_data: false,
            },
        )
        .await
        .expect("account");
}

/// A reviewer of the supervising department (发改局, FGJ), logged in.
async fn department_reviewer(site: &TestSite) -> Visitor {
    create_account(
        site,
        "fgj-reviewer",
        Post::new(Role::Reviewer).in_department("FGJ"),
    )
    .await;
    site.login("fgj-reviewer", "shichang-2026").await
}

/// The enterprise's industrial project, registered through the service; its code.
async fn project(site: &TestSite) -> String {
    let owner = actor(site, ENTERPRISE.0, ENTERPRISE.1).await;
    site.service
        .register_project(
            &owner,
            NewProject {
                name: "宁海示范厂房".into(),
                owner_identity: "91330226MA2DEMH01W".into(),
                owner_name: "宁海县示范民宿有限公司".into(),
                project_type: ProjectType::Industrial,
                government_funded: false,
                region: None,
                land_obtained_on: None,
            },
        )
        .await
        .expect("project")
        .project
        .code
        .to_string()
}

/// The registration form of a firm of environmental impact reports and architectural design
/// serving the county and the city (its second qualification row left blank).
fn firm_fields(uscc: &str, name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("uscc", uscc.to_string()),
        ("name", name.to_string()),
        ("services", "eia".into()),
        ("services", "design-scheme".into()),
        ("q0_service", "eia".into()),
        ("q0_level", "乙级".into()),
        ("q0_number", format!("HP-{}", &uscc[10..])),
        ("q0_valid_until", "2027-12-31".into()),
        ("q1_service", String::new()),
        ("q1_level", String::new()),
        ("q1_number", String::new()),
        ("q1_valid_until", String::new()),
        ("q2_service", "design-scheme".into()),
        ("q2_level", "甲级".into()),
        ("q2_number", format!("SJ-{}", &uscc[10..])),
        ("q2_valid_until", "2028-06-30".into()),
        ("regions", "330226, 330200".into()),
        ("staff", "12".into()),
        ("contact", "王工".into()),
        ("phone", "0574-65500000".into()),
    ]
}

async fn post(site: &TestSite, who: &Visitor, path: &str, fields: &[(&str, String)]) -> Answer {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    site.post_form(who, path, &pairs).await
}

/// Registers a firm through the page and admits it through the monitoring page.
async fn admitted_firm(
    site: &TestSite,
    firm: &Visitor,
    department: &Visitor,
    uscc: &str,
    name: &str,
) {
    let registered = post(site, firm, "/market/register", &firm_fields(uscc, name)).await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );
    let admitted = site
        .post_form(
            department,
            &format!("/monitor/market/firms/{uscc}"),
            &[("version", "1"), ("decision", "admit"), ("reason", "")],
        )
        .await;
    assert_eq!(admitted.status, StatusCode::SEE_OTHER, "{}", admitted.body);
}

/// Posts a need through the page; its id.
async fn posted_need(
    site: &TestSite,
    owner: &Visitor,
    code: &str,
    service: &str,
    ceiling: &str,
    deadline: &str,
    rule: &str,
) -> String {
    let answer = site
        .post_form(
            owner,
            "/market/needs/new",
            &[
                ("project", code),
                ("service", service),
                ("step_key", ""),
                ("ceiling", ceiling),
                ("quote_deadline", deadline),
                ("rule", rule),
                ("description", "年产 5 万件五金配件厂房"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let to = answer.location().expect("to the need").to_string();
    assert!(to.ends_with("?done=posted"), "{to}");
    to.trim_start_matches("/market/needs/")
        .trim_end_matches("?done=posted")
        .to_string()
}

/// The text between `id="<id>"`'s element's `>` and the next `<`.
fn text_of<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} in {body}"));
    let rest = &body[at..];
    let start = rest.find('>').map_or(0, |i| i + 1);
    let end = rest[start..].find('<').map_or(rest.len(), |i| start + i);
    &rest[start..end]
}

#[tokio::test]
async fn a_need_goes_from_posting_through_sealed_quotes_and_selection_to_the_rated_contract() {
    let site = site().await;
    let anyone = Visitor::default();
    let firm = site.login(INTERMEDIARY.0, INTERMEDIARY.1).await;
    let department = department_reviewer(&site).await;
    let uscc = credit_code("91330226MA2BJ0001");

    // The intermediary finds the market and registers its firm; a wrong code and no service
    // come back next to their fields, and nothing is registered.
    let front = site.get(&firm, "/market").await;
    assert_eq!(front.status, StatusCode::OK, "{}", front.body);
    assert!(
        front.body.contains("href=\"/market/register\""),
        "{}",
        front.body
    );
    assert!(
        front.body.contains("href=\"/market\""),
        "the nav leads to the market"
    );
    let form = site.get(&firm, "/market/register").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("name=\"q2_valid_until\""), "three rows");
    assert!(
        form.body.contains("value=\"330226\""),
        "the county by default"
    );
    let mut bad = firm_fields("91330226MA2BJ0009", "宁波示范环评有限公司");
    bad.retain(|(k, _)| *k != "services");
    let refused = post(&site, &firm, "/market/register", &bad).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("id=\"uscc-error\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"0574-65500000\""),
        "kept as typed"
    );
    let refused = post(
        &site,
        &firm,
        "/market/register",
        &bad.iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == "uscc" {
                        uscc.clone()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("id=\"services-error\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(zh("market-error-services-none")));
    let firm_actor = actor(&site, INTERMEDIARY.0, INTERMEDIARY.1).await;
    assert!(
        site.service
            .my_firm(&firm_actor)
            .await
            .expect("firm")
            .is_none()
    );

    let registered = post(
        &site,
        &firm,
        "/market/register",
        &firm_fields(&uscc, "宁波示范环评有限公司"),
    )
    .await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );
    let to = registered.location().expect("to my firm").to_string();
    let mine = site.get(&firm, &to).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(mine.body.contains(zh("market-notice-registered")));
    assert!(
        mine.body.contains(zh("market-firm-pending")),
        "{}",
        mine.body
    );
    assert!(mine.body.contains("id=\"not-admitted\""));
    // Not on the public front until admitted.
    let front = site.get(&anyone, "/market").await;
    assert!(!front.body.contains(&uscc), "{}", front.body);

    // The supervising department admits it on its monitoring page; suspending needs a reason.
    let monitor = site.get(&department, "/monitor").await;
    assert!(
        monitor.body.contains("href=\"/monitor/market\""),
        "{}",
        monitor.body
    );
    let page = site.get(&department, "/monitor/market").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(&format!("id=\"firm-{uscc}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains(zh("market-act-pending_admission")));
    assert!(page.body.contains(&format!("id=\"admit-{uscc}\"")));
    admitted_firm_decision(&site, &department, &uscc).await;
    let supervisor = site.login("supervisor", "jiancha-2026").await;
    let read_only = site.get(&supervisor, "/monitor/market").await;
    assert_eq!(read_only.status, StatusCode::OK, "{}", read_only.body);
    assert!(read_only.body.contains("id=\"read-only\""));
    assert!(!read_only.body.contains("class=\"decide-form\""));
    let other_department = site.login("reviewer", "shencha-2026").await;
    assert_eq!(
        site.get(&other_department, "/monitor/market").await.status,
        StatusCode::FORBIDDEN
    );
    let front = site.get(&anyone, "/market").await;
    assert!(
        front.body.contains("宁波示范环评有限公司"),
        "{}",
        front.body
    );
    let public_firm = site.get(&anyone, &format!("/market/firms/{uscc}")).await;
    assert_eq!(public_firm.status, StatusCode::OK, "{}", public_firm.body);
    assert!(public_firm.body.contains(&format!("HP-{}", &uscc[10..])));
    assert!(public_firm.body.contains("0574-65500000"));

    // The owner posts a need from its project's page; a ceiling that is no sum comes back.
    let code = project(&site).await;
    let owner = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let project_page = site.get(&owner, &format!("/projects/{code}")).await;
    assert_eq!(project_page.status, StatusCode::OK, "{}", project_page.body);
    assert!(
        project_page.body.contains("id=\"market-days\""),
        "{}",
        project_page.body
    );
    let new_href = format!("/market/needs/new?project={code}");
    assert!(
        project_page.body.contains(&new_href),
        "{}",
        project_page.body
    );
    let planned: u32 = text_of(&project_page.body, "market-days-after")
        .parse()
        .expect("days");
    let form = site.get(&owner, &new_href).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("id=\"rule-direct_choice\""));
    assert_eq!(
        site.get(&firm, &new_href).await.status,
        StatusCode::FORBIDDEN,
        "a firm posts no need"
    );
    let refused = site
        .post_form(
            &owner,
            "/market/needs/new",
            &[
                ("project", &code),
                ("service", "eia"),
                ("ceiling", "八万"),
                ("quote_deadline", "2026-11-04"),
                ("rule", "lowest_price"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("id=\"ceiling-error\""),
        "{}",
        refused.body
    );
    // The architectural scheme design lies on the plan's critical path.
    let need = posted_need(
        &site,
        &owner,
        &code,
        "design-scheme",
        "80000",
        "2026-11-04",
        "lowest_price",
    )
    .await;

    // The firm quotes: above the ceiling is refused next to the price and writes nothing.
    let need_path = format!("/market/needs/{need}");
    let page = site.get(&firm, &need_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"quote\""), "{}", page.body);
    let owner_actor = actor(&site, ENTERPRISE.0, ENTERPRISE.1).await;
    let too_dear = site
        .post_form(
            &firm,
            &format!("{need_path}/quote"),
            &[("price", "90000"), ("days", "10"), ("note", "")],
        )
        .await;
    assert_eq!(
        too_dear.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_dear.body
    );
    assert!(
        too_dear.body.contains("id=\"price-error\""),
        "{}",
        too_dear.body
    );
    assert!(too_dear.body.contains(zh("market-error-above-ceiling")));
    assert!(too_dear.body.contains("value=\"90000\""), "kept as typed");
    let stored = site.service.need(&owner_actor, &need).await.expect("need");
    assert!(stored.quotes.is_empty(), "nothing written");
    assert_eq!(stored.version, 1);
    let quoted = site
        .post_form(
            &firm,
            &format!("{need_path}/quote"),
            &[("price", "60000"), ("days", "10"), ("note", "含现场监测")],
        )
        .await;
    assert_eq!(quoted.status, StatusCode::SEE_OTHER, "{}", quoted.body);
    let page = site.get(&firm, quoted.location().expect("back")).await;
    assert!(page.body.contains(zh("market-notice-quoted")));
    assert!(page.body.contains("id=\"quote-replaces\""), "{}", page.body);

    // Sealed: the public sees the need but neither the price nor the firm.
    let front = site.get(&anyone, "/market").await;
    assert!(
        front.body.contains(&format!("data-need=\"{need}\"")),
        "{}",
        front.body
    );
    assert!(front.body.contains("80,000.00"), "the ceiling is public");
    assert!(!front.body.contains("60,000.00"), "{}", front.body);
    assert!(
        front.body.contains("1 份（密封）"),
        "the number of quotes is public"
    );
    let public_need = site.get(&anyone, &need_path).await;
    assert_eq!(public_need.status, StatusCode::OK, "{}", public_need.body);
    assert!(public_need.body.contains("id=\"quotes-sealed\""));
    assert!(
        !public_need.body.contains("60,000.00"),
        "{}",
        public_need.body
    );
    assert!(!public_need.body.contains("id=\"quote-table\""));
    // Not even the owner sees the price to beat before the deadline.
    let owner_need = site.get(&owner, &need_path).await;
    assert!(
        !owner_need.body.contains("60,000.00"),
        "{}",
        owner_need.body
    );
    assert!(owner_need.body.contains("id=\"select-wait\""));

    // Selecting before the deadline is refused next to the form.
    let early = site
        .post_form(&owner, &format!("{need_path}/select"), &[("version", "2")])
        .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.body
    );
    assert!(early.body.contains("id=\"select-error\""), "{}", early.body);
    assert!(early.body.contains(zh("market-error-select-early")));

    // After the deadline the owner selects by lowest price; the result is published.
    site.clock.set(local_morning(day("2026-11-05")));
    let owner = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let firm = site.login(INTERMEDIARY.0, INTERMEDIARY.1).await;
    let selected = site
        .post_form(&owner, &format!("{need_path}/select"), &[("version", "2")])
        .await;
    assert_eq!(selected.status, StatusCode::SEE_OTHER, "{}", selected.body);
    let page = site.get(&owner, selected.location().expect("back")).await;
    assert!(page.body.contains("id=\"selection\""), "{}", page.body);
    let contract = text_of(&page.body, "contract-link").to_string();
    assert!(contract.starts_with("HT2026"), "{contract}");
    let public_need = site.get(&anyone, &need_path).await;
    assert!(public_need.body.contains("60,000.00"), "published");
    assert!(
        !public_need.body.contains("id=\"contract-link\""),
        "the contract is the parties'"
    );

    // The contract: the owner hands over, the firm hands in a PDF, the owner accepts and rates.
    let contract_path = format!("/market/contracts/{contract}");
    let page = site.get(&firm, &contract_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("id=\"hand-over-form\""));
    assert!(!page.body.contains("id=\"deliver-form\""));
    assert!(page.body.contains(zh("market-clock-not-started")));
    assert_eq!(
        site.get(&anyone, &contract_path).await.status,
        StatusCode::SEE_OTHER,
        "a visitor is sent to the login"
    );
    let page = site.get(&owner, &contract_path).await;
    assert!(page.body.contains("id=\"hand-over-form\""), "{}", page.body);
    assert!(
        page.body.contains("75%"),
        "price against ceiling: {}",
        page.body
    );
    let handed = site
        .post_form(
            &owner,
            &format!("{contract_path}/hand-over"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(handed.status, StatusCode::SEE_OTHER, "{}", handed.body);
    let page = site.get(&firm, &contract_path).await;
    assert!(page.body.contains("id=\"deliver-form\""), "{}", page.body);
    assert!(page.body.contains("light green"), "{}", page.body);
    assert!(page.body.contains("id=\"clock-due\""));

    site.clock.set(local_morning(day("2026-11-12")));
    let owner = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let firm = site.login(INTERMEDIARY.0, INTERMEDIARY.1).await;
    let not_pdf = site
        .post_multipart(
            &firm,
            &format!("{contract_path}/deliver"),
            &[
                ("version", "2"),
                ("number", "SJ-2026-017"),
                ("title", "建设工程设计方案文本"),
            ],
            &[FilePart {
                field: "file",
                file_name: "report.txt",
                bytes: b"plain words",
            }],
        )
        .await;
    assert_eq!(
        not_pdf.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        not_pdf.body
    );
    assert!(
        not_pdf.body.contains("id=\"report-file-error\""),
        "{}",
        not_pdf.body
    );
    assert!(
        not_pdf.body.contains("value=\"SJ-2026-017\""),
        "kept as typed"
    );
    let delivered = site
        .post_multipart(
            &firm,
            &format!("{contract_path}/deliver"),
            &[
                ("version", "2"),
                ("number", "SJ-2026-017"),
                ("title", "建设工程设计方案文本"),
            ],
            &[FilePart {
                field: "file",
                file_name: "设计方案文本.pdf",
                bytes: PDF,
            }],
        )
        .await;
    assert_eq!(
        delivered.status,
        StatusCode::SEE_OTHER,
        "{}",
        delivered.body
    );
    let page = site.get(&owner, &contract_path).await;
    assert!(page.body.contains("id=\"accept-form\""), "{}", page.body);
    assert!(page.body.contains("id=\"return-form\""));
    assert!(page.body.contains("id=\"clock-stands\""), "{}", page.body);
    assert!(page.body.contains("SJ-2026-017"));
    let report = site.get(&owner, &format!("{contract_path}/report")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(
        report
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let disposition = report
        .headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(report.body.starts_with("%PDF-1.4"));
    let accepted = site
        .post_form(
            &owner,
            &format!("{contract_path}/accept"),
            &[("version", "3")],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let page = site.get(&owner, &contract_path).await;
    assert!(page.body.contains("id=\"rate-form\""), "{}", page.body);
    let bad_rating = site
        .post_form(
            &owner,
            &format!("{contract_path}/rate"),
            &[
                ("version", "4"),
                ("timeliness", "9"),
                ("quality", "4"),
                ("attitude", "5"),
            ],
        )
        .await;
    assert_eq!(bad_rating.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_rating.body.contains("id=\"rate-timeliness-error\""),
        "{}",
        bad_rating.body
    );
    let rated = site
        .post_form(
            &owner,
            &format!("{contract_path}/rate"),
            &[
                ("version", "4"),
                ("timeliness", "5"),
                ("quality", "4"),
                ("attitude", "5"),
                ("comment", "按时交付"),
            ],
        )
        .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.body);
    let page = site.get(&owner, &contract_path).await;
    assert!(page.body.contains("id=\"rating-line\""), "{}", page.body);
    assert!(!page.body.contains("id=\"rate-form\""), "rated once");
    assert!(page.body.contains(zh("market-contract-accepted")));

    // The project page: the plan's intermediary days before the market and with the contract.
    let project_page = site.get(&owner, &format!("/projects/{code}")).await;
    let before: u32 = text_of(&project_page.body, "market-days-before")
        .parse()
        .expect("days before");
    let after: u32 = text_of(&project_page.body, "market-days-after")
        .parse()
        .expect("days after");
    assert_eq!(before, planned);
    assert!(after < before, "{before} → {after}");
    assert!(
        project_page
            .body
            .contains(&format!("data-contract=\"{contract}\"")),
        "{}",
        project_page.body
    );

    // The firm's record: rated, completed, on the public page and the department's.
    let public_firm = site.get(&anyone, &format!("/market/firms/{uscc}")).await;
    assert!(
        text_of(&public_firm.body, "firm-rating").starts_with("4.7"),
        "{}",
        public_firm.body
    );
    let department = site.login("fgj-reviewer", "shichang-2026").await;
    let page = site.get(&department, "/monitor/market").await;
    assert_eq!(
        text_of(&page.body, "completed-contracts"),
        "1",
        "{}",
        page.body
    );
    assert_eq!(text_of(&page.body, "on-time-rate"), "100%");
    let mine = site.get(&firm, "/market/my-firm").await;
    assert!(
        mine.body.contains(&format!("data-contract=\"{contract}\"")),
        "{}",
        mine.body
    );
}

/// The department admits the pending firm, and refuses to suspend it without a reason.
async fn admitted_firm_decision(site: &TestSite, department: &Visitor, uscc: &str) {
    let path = format!("/monitor/market/firms/{uscc}");
    let admitted = site
        .post_form(
            department,
            &path,
            &[("version", "1"), ("decision", "admit"), ("reason", "")],
        )
        .await;
    assert_eq!(admitted.status, StatusCode::SEE_OTHER, "{}", admitted.body);
    let to = admitted.location().expect("back").to_string();
    assert!(to.starts_with("/monitor/market?done=admit"), "{to}");
    let page = site.get(department, &to).await;
    assert!(page.body.contains(zh("market-notice-admitted")));
    let no_reason = site
        .post_form(
            department,
            &path,
            &[("version", "2"), ("decision", "suspend"), ("reason", " ")],
        )
        .await;
    assert_eq!(
        no_reason.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_reason.body
    );
    assert!(
        no_reason
            .body
            .contains(&format!("id=\"reason-{uscc}-error\"")),
        "{}",
        no_reason.body
    );
    assert!(no_reason.body.contains(zh("market-error-reason-published")));
    let stale = site
        .post_form(
            department,
            &path,
            &[
                ("version", "1"),
                ("decision", "suspend"),
                ("reason", "逾期"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
}

#[tokio::test]
async fn a_draw_is_published_with_its_seed_and_anyone_can_re_run_it() {
    let site = site().await;
    let department = department_reviewer(&site).await;
    let first = site.login(INTERMEDIARY.0, INTERMEDIARY.1).await;
    create_account(&site, "zhongjie-2", Post::new(Role::Intermediary)).await;
    let second = site.login("zhongjie-2", "shichang-2026").await;
    let a = credit_code("91330226MA2BJ0002");
    let b = credit_code("91330200MA2BJ0003");
    admitted_firm(&site, &first, &department, &a, "甲环评公司").await;
    admitted_firm(&site, &second, &department, &b, "乙环评公司").await;
    let code = project(&site).await;
    let owner = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let need = posted_need(
        &site,
        &owner,
        &code,
        "eia",
        "120000",
        "2026-11-03",
        "random_draw",
    )
    .await;
    let path = format!("/market/needs/{need}");
    for (firm, price) in [(&first, "100000"), (&second, "110000")] {
        let quoted = site
            .post_form(
                firm,
                &format!("{path}/quote"),
                &[("price", price), ("days", "15")],
            )
            .await;
        assert_eq!(quoted.status, StatusCode::SEE_OTHER, "{}", quoted.body);
    }
    // The first firm sees only its own quote while they are sealed.
    let page = site.get(&first, &path).await;
    assert!(page.body.contains("100,000.00"));
    assert!(!page.body.contains("110,000.00"), "{}", page.body);

    site.clock.set(local_morning(day("2026-11-04")));
    let owner = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let selected = site
        .post_form(&owner, &format!("{path}/select"), &[("version", "3")])
        .await;
    assert_eq!(selected.status, StatusCode::SEE_OTHER, "{}", selected.body);

    let anyone = Visitor::default();
    let page = site.get(&anyone, &path).await;
    assert!(page.body.contains("id=\"draw\""), "{}", page.body);
    let seed = text_of(&page.body, "draw-seed").to_string();
    assert_eq!(seed.len(), 32, "{seed}");
    assert!(
        page.body.contains(&format!(
            "printf &#39;%s&#39; &#34;{need}:{seed}:{a}&#34; | sha256sum"
        )) || page.body.contains(&format!("{need}:{seed}:{a}")),
        "{}",
        page.body
    );
    let winner = text_of(&page.body, "draw-winner").to_string();
    let rerun = site.get(&anyone, &format!("{path}/draw?seed={seed}")).await;
    assert_eq!(rerun.status, StatusCode::OK, "{}", rerun.body);
    assert!(rerun.body.contains("id=\"rerun-ok\""), "{}", rerun.body);
    assert!(text_of(&rerun.body, "rerun-ok").contains(&winner));
    let other = site.get(&anyone, &format!("{path}/draw?seed=ffff")).await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    assert!(
        text_of(&other.body, "rerun-refused").contains(&seed),
        "{}",
        other.body
    );
    // Both quotes are published with the result.
    assert!(page.body.contains("100,000.00") && page.body.contains("110,000.00"));
}

#[tokio::test]
async fn a_small_need_is_given_directly_and_a_large_one_may_not_be() {
    let site = site().await;
    let department = department_reviewer(&site).await;
    let firm = site.login(INTERMEDIARY.0, INTERMEDIARY.1).await;
    let uscc = credit_code("91330226MA2BJ0004");
    admitted_firm(&site, &firm, &department, &uscc, "丙环评公司").await;
    let code = project(&site).await;
    let owner = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let too_large = site
        .post_form(
            &owner,
            "/market/needs/new",
            &[
                ("project", &code),
                ("service", "eia"),
                ("ceiling", "60000"),
                ("quote_deadline", "2026-11-06"),
                ("rule", "direct_choice"),
            ],
        )
        .await;
    assert_eq!(
        too_large.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_large.body
    );
    assert!(
        too_large.body.contains("id=\"rule-error\""),
        "{}",
        too_large.body
    );
    assert!(too_large.body.contains(zh("market-error-direct-ceiling")));

    let need = posted_need(
        &site,
        &owner,
        &code,
        "eia",
        "30000",
        "2026-11-06",
        "direct_choice",
    )
    .await;
    let path = format!("/market/needs/{need}");
    let quoted = site
        .post_form(
            &firm,
            &format!("{path}/quote"),
            &[("price", "28000"), ("days", "8")],
        )
        .await;
    assert_eq!(quoted.status, StatusCode::SEE_OTHER, "{}", quoted.body);
    let page = site.get(&owner, &path).await;
    assert!(
        page.body.contains(&format!("id=\"firm-{uscc}\"")),
        "{}",
        page.body
    );
    let unnamed = site
        .post_form(&owner, &format!("{path}/select"), &[("version", "2")])
        .await;
    assert_eq!(
        unnamed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unnamed.body
    );
    assert!(
        unnamed.body.contains(zh("market-error-choose-firm")),
        "{}",
        unnamed.body
    );
    // Direct choice needs no deadline to pass.
    let chosen = site
        .post_form(
            &owner,
            &format!("{path}/select"),
            &[("version", "2"), ("firm", &uscc)],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    // A second need closed without a firm needs a reason.
    let other = posted_need(
        &site,
        &owner,
        &code,
        "eia",
        "20000",
        "2026-11-06",
        "lowest_price",
    )
    .await;
    let blank = site
        .post_form(
            &owner,
            &format!("/market/needs/{other}/close"),
            &[("version", "1"), ("reason", "")],
        )
        .await;
    assert_eq!(
        blank.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        blank.body
    );
    assert!(blank.body.contains("id=\"close-error\""));
    let closed = site
        .post_form(
            &owner,
            &format!("/market/needs/{other}/close"),
            &[("version", "1"), ("reason", "项目调整")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let page = site
        .get(&Visitor::default(), &format!("/market/needs/{other}"))
        .await;
    assert!(page.body.contains("项目调整"), "{}", page.body);
}

#[tokio::test]
async fn an_expired_qualification_stops_the_quote_until_the_firm_renews_it() {
    let site = site().await;
    let department = department_reviewer(&site).await;
    let firm = site.login(INTERMEDIARY.0, INTERMEDIARY.1).await;
    let uscc = credit_code("91330226MA2BJ0007");
    let mut fields = firm_fields(&uscc, "己环评公司");
    for (k, v) in &mut fields {
        if *k == "q0_valid_until" {
            *v = "2026-11-03".into();
        }
    }
    let registered = post(&site, &firm, "/market/register", &fields).await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );
    let admitted = site
        .post_form(
            &department,
            &format!("/monitor/market/firms/{uscc}"),
            &[("version", "1"), ("decision", "admit")],
        )
        .await;
    assert_eq!(admitted.status, StatusCode::SEE_OTHER, "{}", admitted.body);
    let monitor = site.get(&department, "/monitor/market").await;
    assert!(
        monitor
            .body
            .contains(zh("market-act-qualification_expiring"))
    );
    let code = project(&site).await;
    let owner = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let need = posted_need(
        &site,
        &owner,
        &code,
        "eia",
        "80000",
        "2026-11-06",
        "lowest_price",
    )
    .await;
    // An intermediary's account without a firm is told how to come to quote.
    create_account(&site, "zhongjie-3", Post::new(Role::Intermediary)).await;
    let newcomer = site.login("zhongjie-3", "shichang-2026").await;
    let page = site.get(&newcomer, &format!("/market/needs/{need}")).await;
    assert!(
        page.body.contains(zh("market-register-to-quote")),
        "{}",
        page.body
    );

    site.clock.set(local_morning(day("2026-11-04")));
    let firm = site.login(INTERMEDIARY.0, INTERMEDIARY.1).await;
    let page = site.get(&firm, &format!("/market/needs/{need}")).await;
    assert!(page.body.contains("id=\"ineligible\""), "{}", page.body);
    assert!(!page.body.contains("id=\"quote\""));
    let mine = site.get(&firm, "/market/my-firm").await;
    assert!(mine.body.contains("id=\"quotable-empty\""), "{}", mine.body);

    // The firm renews the certificate on its registration; the need takes its quote again.
    let form = site.get(&firm, "/market/my-firm/edit").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("value=\"2026-11-03\""), "{}", form.body);
    assert!(form.body.contains("readonly"), "the code does not change");
    let version = version_on(&form.body);
    let mut renewed: Vec<(&str, String)> = fields
        .iter()
        .map(|(k, v)| {
            let v = if *k == "q0_valid_until" {
                "2029-11-03".to_string()
            } else {
                v.clone()
            };
            (*k, v)
        })
        .collect();
    renewed.push(("version", version));
    let saved = post(&site, &firm, "/market/my-firm/edit", &renewed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let mine = site.get(&firm, saved.location().expect("back")).await;
    assert!(mine.body.contains(zh("market-notice-updated")));
    // A changed qualification goes back to the department before the firm quotes again (its
    // reviewer logs in again: a session lasts a working day).
    let department = site.login("fgj-reviewer", "shichang-2026").await;
    assert!(
        !mine.body.contains(&format!("data-need=\"{need}\"")),
        "{}",
        mine.body
    );
    let monitor = site.get(&department, "/monitor/market").await;
    let version = monitor
        .body
        .split(&format!("action=\"/monitor/market/firms/{uscc}\""))
        .nth(1)
        .map(version_on)
        .expect("the firm's admission form");
    let admitted = site
        .post_form(
            &department,
            &format!("/monitor/market/firms/{uscc}"),
            &[("version", &version), ("decision", "admit"), ("reason", "")],
        )
        .await;
    assert_eq!(admitted.status, StatusCode::SEE_OTHER, "{}", admitted.body);
    let mine = site.get(&firm, "/market/my-firm").await;
    assert!(
        mine.body.contains(&format!("data-need=\"{need}\"")),
        "{}",
        mine.body
    );
    assert!(mine.body.contains(zh("market-firm-admitted")));
    let page = site.get(&firm, &format!("/market/needs/{need}")).await;
    assert!(page.body.contains("id=\"quote\""), "{}", page.body);
}

/// The version a page's forms carry.
fn version_on(body: &str) -> String {
    let at = body
        .find("name=\"version\" value=\"")
        .unwrap_or_else(|| panic!("no form with a version in {body}"));
    let rest = &body[at + "name=\"version\" value=\"".len()..];
    rest[..rest.find('"').expect("the value's end")].to_string()
}

#[tokio::test]
async fn the_clock_stands_while_the_firm_waits_and_a_returned_report_goes_back_to_work() {
    let site = site().await;
    let department = department_reviewer(&site).await;
    let firm = site.login(INTERMEDIARY.0, INTERMEDIARY.1).await;
    let uscc = credit_code("91330226MA2BJ0006");
    admitted_firm(&site, &firm, &department, &uscc, "戊环评公司").await;
    let code = project(&site).await;
    let owner = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let need = posted_need(
        &site,
        &owner,
        &code,
        "eia",
        "30000",
        "2026-11-06",
        "direct_choice",
    )
    .await;
    let path = format!("/market/needs/{need}");
    let quoted = site
        .post_form(
            &firm,
            &format!("{path}/quote"),
            &[("price", "25000"), ("days", "5")],
        )
        .await;
    assert_eq!(quoted.status, StatusCode::SEE_OTHER, "{}", quoted.body);
    let chosen = site
        .post_form(
            &owner,
            &format!("{path}/select"),
            &[("version", "2"), ("firm", &uscc)],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    let page = site.get(&owner, &path).await;
    let contract = format!("/market/contracts/{}", text_of(&page.body, "contract-link"));
    let step = |who: &Visitor, action: &str, fields: Vec<(&'static str, &'static str)>| {
        let (site, who, contract) = (&site, who.clone(), contract.clone());
        let action = action.to_string();
        async move {
            let page = site.get(&who, &contract).await;
            let version = version_on(&page.body);
            let mut all = vec![("version", version.as_str())];
            all.extend(fields);
            site.post_form(&who, &format!("{contract}/{action}"), &all)
                .await
        }
    };

    let handed = step(&owner, "hand-over", vec![]).await;
    assert_eq!(handed.status, StatusCode::SEE_OTHER, "{}", handed.body);
    // Waiting on the owner needs a reason; then the clock stands until the owner supplies.
    let blank = step(&firm, "wait", vec![("reason", " ")]).await;
    assert_eq!(
        blank.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        blank.body
    );
    assert!(
        blank.body.contains("id=\"wait-reason-error\""),
        "{}",
        blank.body
    );
    assert!(blank.body.contains(zh("market-error-wait-reason")));
    let waiting = step(&firm, "wait", vec![("reason", "等待业主提供地形图")]).await;
    assert_eq!(waiting.status, StatusCode::SEE_OTHER, "{}", waiting.body);
    let page = site.get(&owner, &contract).await;
    assert!(page.body.contains("id=\"clock-stands\""), "{}", page.body);
    assert!(page.body.contains("id=\"supplied-form\""), "{}", page.body);
    assert!(page.body.contains(zh("market-contract-waiting_on_owner")));
    let page = site.get(&firm, &contract).await;
    assert!(!page.body.contains("id=\"deliver-form\""), "{}", page.body);
    // Only the owner acts for the owner; a stale form changes nothing.
    let not_theirs = site
        .post_form(&firm, &format!("{contract}/supplied"), &[("version", "3")])
        .await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN);
    let stale = site
        .post_form(&owner, &format!("{contract}/supplied"), &[("version", "1")])
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(
        stale.body.contains(zh("market-conflict-changed")),
        "{}",
        stale.body
    );
    let supplied = step(&owner, "supplied", vec![]).await;
    assert_eq!(supplied.status, StatusCode::SEE_OTHER, "{}", supplied.body);

    // The report goes back with a reason, and the firm hands in again.
    let page = site.get(&firm, &contract).await;
    let delivered = site
        .post_multipart(
            &firm,
            &format!("{contract}/deliver"),
            &[
                ("version", &version_on(&page.body)),
                ("number", "HP-2026-020"),
                ("title", "环境影响报告表"),
            ],
            &[FilePart {
                field: "file",
                file_name: "eia.pdf",
                bytes: PDF,
            }],
        )
        .await;
    assert_eq!(
        delivered.status,
        StatusCode::SEE_OTHER,
        "{}",
        delivered.body
    );
    let blank = step(&owner, "return", vec![("reason", "")]).await;
    assert_eq!(
        blank.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        blank.body
    );
    assert!(
        blank.body.contains("id=\"return-reason-error\""),
        "{}",
        blank.body
    );
    let returned = step(&owner, "return", vec![("reason", "缺少噪声监测数据")]).await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.body);
    let page = site.get(&firm, &contract).await;
    assert!(page.body.contains("缺少噪声监测数据"), "{}", page.body);
    assert!(page.body.contains("id=\"deliver-form\""), "{}", page.body);

    // A complaint goes on the firm's record, and the department sees it.
    let blank = step(&owner, "complain", vec![("text", "")]).await;
    assert_eq!(
        blank.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        blank.body
    );
    assert!(
        blank.body.contains("id=\"complaint-text-error\""),
        "{}",
        blank.body
    );
    let complained = step(&owner, "complain", vec![("text", "现场踏勘迟到")]).await;
    assert_eq!(
        complained.status,
        StatusCode::SEE_OTHER,
        "{}",
        complained.body
    );
    let page = site.get(&owner, &contract).await;
    assert!(page.body.contains("id=\"complaints\""), "{}", page.body);
    assert!(page.body.contains("现场踏勘迟到"));
    let monitor = site.get(&department, "/monitor/market").await;
    assert!(
        monitor.body.contains(zh("market-act-complaints")),
        "{}",
        monitor.body
    );
}

#[tokio::test]
async fn the_market_reads_in_english_and_refuses_in_english() {
    let site = site().await;
    let department = department_reviewer(&site).await;
    let firm = site.login(INTERMEDIARY.0, INTERMEDIARY.1).await;
    let uscc = credit_code("91330226MA2BJ0005");
    admitted_firm(&site, &firm, &department, &uscc, "丁环评公司").await;
    let code = project(&site).await;
    let owner = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let need = posted_need(
        &site,
        &owner,
        &code,
        "eia",
        "80000",
        "2026-11-04",
        "lowest_price",
    )
    .await;

    let front = site.get(&Visitor::default().in_english(), "/market").await;
    assert_eq!(front.status, StatusCode::OK, "{}", front.body);
    assert!(front.body.contains(en("market-title")), "{}", front.body);
    assert!(front.body.contains("Environmental impact report"));
    assert!(front.body.contains("CNY 80,000.00"), "{}", front.body);
    let refused = site
        .post_form(
            &firm.clone().in_english(),
            &format!("/market/needs/{need}/quote"),
            &[("price", "80000.01"), ("days", "0")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(en("market-error-above-ceiling")),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(en("market-error-days")),
        "{}",
        refused.body
    );
    let project_page = site
        .get(&owner.clone().in_english(), &format!("/projects/{code}"))
        .await;
    assert!(project_page.body.contains(en("market-project-title")));
    let monitor = site
        .get(&department.clone().in_english(), "/monitor/market")
        .await;
    assert!(
        monitor.body.contains(en("market-monitor-title")),
        "{}",
        monitor.body
    );
}

/// Every message key the market's code names (not only its templates) is in the catalogue.
#[test]
fn every_key_the_market_code_uses_is_defined() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages/market");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&root).expect("the market's sources") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        for (at, _) in text.match_indices("\"market-") {
            let rest = &text[at + 1..];
            let key = &rest[..rest.find('"').unwrap_or(0)];
            for lang in Lang::ALL {
                if !lang.messages().has(key) {
                    missing.push(format!("{}: {key} ({lang:?})", path.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}
