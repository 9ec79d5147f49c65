use super::*;
use crate::pages::testing::site;

const ENTERPRISE: (&str, &str) = ("enterprise", "qiye-demo-2026");

#[test]
fn month_ends_are_the_last_days() {
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    assert_eq!(month_end(d(2026, 2, 10)), d(2026, 2, 28));
    assert_eq!(month_end(d(2026, 12, 1)), d(2026, 12, 31));
    let ends = month_ends(d(2026, 11, 2));
    assert_eq!(ends.len(), 12);
    assert_eq!(ends[0], d(2026, 11, 30));
    assert_eq!(ends[1], d(2026, 10, 31));
    assert_eq!(ends[11], d(2025, 12, 31));
}

#[tokio::test]
async fn the_joint_completion_acceptance_is_applied_for_once_under_the_project() {
    let site = crate::pages::testing::site_with_bundles().await;
    let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let path = registered(&site).await;
    let code = path.trim_start_matches("/projects/").to_string();
    let page = site.get(&me, &format!("/projects/{code}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let link = format!("/apply/LB-JUNGONG?project={code}");
    assert!(page.body.contains(&link), "{}", page.body);
    let form = site.get(&me, &link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body.contains(&code),
        "the form says which project: {}",
        form.body
    );
}

#[tokio::test]
async fn the_enterprise_form_is_prefilled_and_errors_stand_next_to_their_fields() {
    let site = site().await;
    let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let form = site.get(&me, "/projects/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body.contains("宁海县示范民宿有限公司"),
        "{}",
        form.body
    );
    assert!(form.body.contains("name=\"land_obtained_on\""));
    let answer = site
        .post_form(
            &me,
            "/projects/new",
            &[
                ("name", " "),
                ("owner_identity", "91330226MA2AGKRX4X"),
                ("owner_name", "宁海县示范民宿有限公司"),
                ("project_type", "industrial"),
                ("region", "nowhere"),
                ("land_obtained_on", "2026-13-40"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = &answer.body;
    for id in [
        "name-error",
        "owner_identity-error",
        "region-error",
        "land_obtained_on-error",
    ] {
        assert!(body.contains(&format!("id=\"{id}\"")), "{id}: {body}");
    }
    assert!(body.contains("aria-invalid=\"true\""));
    assert!(body.contains("id=\"form-errors\""));
    // Nothing was registered.
    let list = site.get(&me, "/projects").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("href=\"/projects/26"), "{}", list.body);
}

#[tokio::test]
async fn another_enterprises_code_is_refused_at_the_owner_field() {
    let site = site().await;
    let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let answer = site
        .post_form(
            &me,
            "/projects/new",
            &[
                ("name", "别人的项目"),
                ("owner_identity", "91110108MA01AAAA0M"),
                ("owner_name", "别人"),
                ("project_type", "commercial"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(
        answer.body.contains("id=\"owner_identity-error\""),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("只能登记本企业的项目"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn a_registered_project_shows_its_plan_chart_and_forms_by_role() {
    let site = site().await;
    let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let identity = site
        .service
        .login(ENTERPRISE.0, ENTERPRISE.1, "t")
        .await
        .expect("login")
        .principal
        .identity
        .expect("an enterprise identity");
    let answer = site
        .post_form(
            &me,
            "/projects/new",
            &[
                ("name", "年产 5 万套模具生产线项目"),
                ("owner_identity", identity.as_str()),
                ("owner_name", "宁海县示范民宿有限公司"),
                ("project_type", "industrial"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let to = answer.location().expect("to the project").to_string();
    assert!(
        to.starts_with("/projects/") && to.ends_with("?done=registered"),
        "{to}"
    );
    let page = site.get(&me, &to).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("94 个工作日：行政 29 + 中介 65"), "{body}");
    assert!(body.contains("<svg") && body.contains("step critical"));
    for stage in ["立项用地规划许可", "工程建设许可", "施工许可", "竣工验收"]
    {
        assert!(body.contains(stage), "{stage}");
    }
    assert!(body.contains("?project="), "apply under the project");
    let en = site.get(&me.clone().in_english(), &to).await;
    assert!(
        en.body
            .contains("94 working days: administrative 29 + intermediary 65"),
        "{}",
        en.body
    );
    assert!(en.body.contains("Construction permit") && !en.body.contains("projects-"));
    assert!(body.contains("action=\"/projects/") && body.contains("/agent\""));
    assert!(!body.contains("/land\""), "no land form for the owner");
    // Wrong agent name: the error stands next to the field.
    let base = to.split('?').next().unwrap_or_default().to_string();
    let refused = site
        .post_form(
            &me,
            &format!("{base}/agent"),
            &[("version", "1"), ("agent", "nobody")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("id=\"agent-error\""),
        "{}",
        refused.body
    );
    let assigned = site
        .post_form(
            &me,
            &format!("{base}/agent"),
            &[("version", "1"), ("agent", "agent")],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
    // The clerk records the land, with a date that is not one refused at its field.
    let clerk = site.login("clerk", "chuangkou-2026").await;
    let page = site.get(&clerk, &base).await;
    assert!(
        page.body.contains(&format!("action=\"{base}/land\"")),
        "{}",
        page.body
    );
    let refused = site
        .post_form(
            &clerk,
            &format!("{base}/land"),
            &[("version", "2"), ("on", "someday")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("id=\"land-error\""),
        "{}",
        refused.body
    );
    // The agent's board lists it.
    let agent = site.login("agent", "daiban-2026").await;
    let board = site.get(&agent, "/projects/board?on=2026-11-30").await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(
        board.body.contains("年产 5 万套模具生产线项目"),
        "{}",
        board.body
    );
    assert!(board.body.contains("2026年11月30日"));
    assert!(!board.body.contains("id=\"stall-alerts\""));
    // At the month's end the steps that stalled reach the agent, once.
    site.clock.set(onewindow_app::clock::local_morning(
        NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
    ));
    let swept = site.service.sweep_lights().await.expect("sweep");
    assert!(swept.alerts > 0, "{swept:?}");
    // Sessions last 12 hours: the agent logs in again on the new day.
    let agent = site.login("agent", "daiban-2026").await;
    let board = site.get(&agent, "/projects/board").await;
    assert!(board.body.contains("id=\"stall-alerts\""), "{}", board.body);
    assert!(board.body.contains("滞后提醒"), "{}", board.body);
    // A citizen may not see it.
    let citizen = site.login("citizen", "shimin-2026").await;
    assert_eq!(
        site.get(&citizen, &base).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn staff_of_natural_resources(site: &crate::pages::testing::TestSite) {
    use onewindow_app::accounts::{Actor, NewUser};
    use onewindow_domain::access::Post;
    for (username, role) in [("zr-r", Role::Reviewer), ("zr-a", Role::Approver)] {
        site.service
            .create_user(
                &Actor::command_line("test"),
                NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    password: "ziranziyuan-2026".into(),
                    identity: None,
                    phone: None,
                    posts: vec![Post::new(role).in_department("ZRZYJ")],
                    may_reveal_personal_data: false,
                },
            )
            .await
            .expect("staff");
    }
}

/// Registers the enterprise's industrial project through the page; its path.
async fn registered(site: &crate::pages::testing::TestSite) -> String {
    let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let identity = site
        .service
        .login(ENTERPRISE.0, ENTERPRISE.1, "t")
        .await
        .expect("login")
        .principal
        .identity
        .expect("identity");
    let answer = site
        .post_form(
            &me,
            "/projects/new",
            &[
                ("name", "年产 5 万套模具生产线项目"),
                ("owner_identity", identity.as_str()),
                ("owner_name", "宁海县示范民宿有限公司"),
                ("project_type", "industrial"),
            ],
        )
        .await;
    let to = answer.location().expect("registered").to_string();
    to.split('?').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_provisional_opinion_is_given_from_the_page_and_turns_formal_with_the_land() {
    let site = site().await;
    staff_of_natural_resources(&site).await;
    let base = registered(&site).await;
    let reviewer = site.login("zr-r", "ziranziyuan-2026").await;
    let page = site.get(&reviewer, &base).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Forms only on the steps of natural resources that may be pre-examined.
    assert!(page.body.contains("id=\"opinion-design-scheme\""));
    assert!(!page.body.contains("id=\"opinion-land-planning\""));
    assert!(!page.body.contains("id=\"opinion-eia\""));
    let refused = site
        .post_form(
            &reviewer,
            &format!("{base}/opinion"),
            &[
                ("version", "1"),
                ("step", "design-scheme"),
                ("opinion", " "),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("id=\"opinion-design-scheme-error\""),
        "{}",
        refused.body
    );
    let given = site
        .post_form(
            &reviewer,
            &format!("{base}/opinion"),
            &[
                ("version", "1"),
                ("step", "design-scheme"),
                ("opinion", "方案符合规划条件"),
            ],
        )
        .await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    // An old version is a conflict, said in words.
    let stale = site
        .post_form(
            &reviewer,
            &format!("{base}/opinion"),
            &[
                ("version", "1"),
                ("step", "planning-permit"),
                ("opinion", "可行"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("项目刚被他人更新过"));
    let clerk = site.login("clerk", "chuangkou-2026").await;
    let landed = site
        .post_form(
            &clerk,
            &format!("{base}/land"),
            &[("version", "2"), ("on", "2026-11-02")],
        )
        .await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    let page = site.get(&clerk, &base).await;
    assert!(page.body.contains("模拟审批转正式"), "{}", page.body);
    assert!(page.body.contains("2026年11月2日 取得用地"));
    assert!(!page.body.contains("/land\""), "recorded once");
}

#[tokio::test]
async fn applying_under_the_project_takes_its_earlier_licence_instead_of_an_upload() {
    use crate::pages::testing::FilePart;
    use onewindow_domain::case::CaseCommand;
    let site = site().await;
    staff_of_natural_resources(&site).await;
    let base = registered(&site).await;
    let code = base.trim_start_matches("/projects/").to_string();
    let me = site.login(ENTERPRISE.0, ENTERPRISE.1).await;
    let page = site.get(&me, &base).await;
    // The apply links carry the project code.
    let link = |key: &str| -> String {
        let row = page
            .body
            .split(&format!("data-step=\"{key}\""))
            .last()
            .expect("the row of the table, after the chart's");
        let at = row.find("/apply/").expect("an apply link");
        row[at..row[at..].find('"').map_or(row.len(), |e| at + e)].replace("&#x3f;", "?")
    };
    let land = link("land-planning");
    assert!(land.contains("?project="), "{land}");
    let land_item = land
        .trim_start_matches("/apply/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let pdf = b"%PDF-1.4 a scan";
    let files: Vec<FilePart<'_>> = ["file_M01", "file_M02", "file_M03", "file_M04"]
        .into_iter()
        .map(|field| FilePart {
            field,
            file_name: "scan.pdf",
            bytes: pdf,
        })
        .collect();
    let filed = site
        .post_multipart(
            &me,
            &format!("/apply/{land_item}"),
            &[
                ("name", "宁海县示范民宿有限公司"),
                ("centre", "county-hall"),
                ("idempotency_key", "0123456789abcdef0123"),
                ("project_code", code.as_str()),
            ],
            &files,
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let case_path = filed.location().expect("the case").to_string();
    let case_page = site.get(&me, &case_path).await;
    assert!(
        case_page.body.contains("id=\"case-project\""),
        "{}",
        case_page.body
    );
    assert!(case_page.body.contains(&code));
    // The licence is decided and issued.
    let number = site
        .service
        .projects(
            &site
                .service
                .authenticate(me.session.as_deref().unwrap_or_default(), "t")
                .await
                .expect("session")
                .actor,
        )
        .await
        .expect("projects")[0]
        .progress
        .get("land-planning")
        .and_then(|p| match p {
            StepProgress::InProgress { case_number } => Some(case_number.clone()),
            _ => None,
        })
        .expect("under way");
    let mut version = 1;
    for (who, password, command) in [
        ("clerk", "chuangkou-2026", CaseCommand::Accept),
        ("zr-r", "ziranziyuan-2026", CaseCommand::StartReview),
        (
            "zr-r",
            "ziranziyuan-2026",
            CaseCommand::Propose {
                approve: true,
                opinion: "拟同意".into(),
            },
        ),
        (
            "zr-a",
            "ziranziyuan-2026",
            CaseCommand::Decide {
                approve: true,
                reason: "同意".into(),
            },
        ),
        (
            "zr-r",
            "ziranziyuan-2026",
            CaseCommand::IssueResult {
                document_number: None,
            },
        ),
    ] {
        let grant = site.service.login(who, password, "t").await.expect("login");
        let actor = site
            .service
            .authenticate(&grant.token, "t")
            .await
            .expect("session")
            .actor;
        let detail = site.service.case(&actor, &number).await.expect("case");
        version = detail.case.version.max(version);
        site.service
            .execute(&actor, &number, version, command)
            .await
            .unwrap_or_else(|e| panic!("{who}: {e}"));
    }
    // The design scheme review does not ask for the licence again.
    let page = site.get(&me, &base).await;
    let design = {
        let row = page
            .body
            .split("data-step=\"design-scheme\"")
            .last()
            .expect("the row of the table, after the chart's");
        let at = row.find("/apply/").expect("an apply link");
        row[at..row[at..].find('"').map_or(row.len(), |e| at + e)].to_string()
    };
    let design = design.replace("&#x3f;", "?").replace("&#x3d;", "=");
    let form = site.get(&me, &design).await;
    assert_eq!(form.status, StatusCode::OK, "{design}: {}", form.body);
    assert!(form.body.contains("id=\"apply-reused\""), "{}", form.body);
    assert!(form.body.contains("建设用地规划许可证"));
    assert!(
        !form.body.contains("name=\"file_M03\""),
        "not uploaded again"
    );
    assert!(form.body.contains("name=\"file_M01\""));
    let design_item = design
        .trim_start_matches("/apply/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let filed = site
        .post_multipart(
            &me,
            &format!("/apply/{design_item}"),
            &[
                ("name", "宁海县示范民宿有限公司"),
                ("centre", "county-hall"),
                ("idempotency_key", "0123456789abcdef0124"),
                ("project_code", code.as_str()),
            ],
            &[
                FilePart {
                    field: "file_M01",
                    file_name: "a.pdf",
                    bytes: pdf,
                },
                FilePart {
                    field: "file_M02",
                    file_name: "b.pdf",
                    bytes: pdf,
                },
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let case_page = site.get(&me, filed.location().expect("the case")).await;
    assert!(
        case_page
            .body
            .contains("由本项目“建设用地规划许可证核发（新办）”出具"),
        "{}",
        case_page.body
    );
    // The window's checklist says where the material came from.
    let number = filed
        .location()
        .and_then(|l| l.rsplit('/').next())
        .expect("the case number")
        .to_string();
    let clerk = site.login("clerk", "chuangkou-2026").await;
    let window = site.get(&clerk, &format!("/window/cases/{number}")).await;
    assert_eq!(window.status, StatusCode::OK, "{}", window.body);
    assert!(
        window
            .body
            .contains("由本项目「建设用地规划许可证核发（新办）」的结果提供"),
        "{}",
        window.body
    );
}
