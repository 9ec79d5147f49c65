//! Investment projects through the HTTP API on a real store: the unified code, the plan and its
//! critical path, simulated approval, regional assessment, the agent's board.
//!
//! SQLite by default; with `ONEWINDOW_TEST_POSTGRES=postgres://…` the same tests run on
//! PostgreSQL, each in a fresh database.

use crate::support::http as harness;

use chrono::NaiveDate;
use harness::{TestAccount, TestApp, account, spawn};
use onewindow_app::catalogue_io::CatalogueDocument;
use onewindow_domain::access::{Post, Role};
use onewindow_domain::catalogue::{
    Department, Fee, HallStatus, Item, ItemKind, Level, Material, MaterialCategory, MaterialForm,
    MaterialSource, RunMode,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const OWNER: &str = "91330226MA2AGKRX4T";
const OTHER_OWNER: &str = "91110108MA01AAAA0M";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn materials(names: &[&str]) -> Vec<Material> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| Material {
            key: format!("M{:02}", i + 1),
            name: (*name).into(),
            form: MaterialForm::Original,
            copies: 1,
            source: MaterialSource::Applicant,
            licence_type: None,
            category: MaterialCategory::Ordinary,
            required: true,
            sample: None,
            cancelled: None,
            necessity: Default::default(),
        })
        .collect()
}

fn catalogue() -> CatalogueDocument {
    let department = |code: &str, name: &str| Department {
        code: code.into(),
        name: name.into(),
        name_en: code.into(),
    };
    let item = |code: &str, name: &str, department: &str| Item {
        code: code.into(),
        name: name.into(),
        kind: ItemKind::Licence,
        department: department.into(),
        legal_basis: "法".into(),
        statutory_days: 20,
        promised_days: 5,
        visits_required: 1,
        run_mode: RunMode::OnlinePrereview,
        levels: vec![Level::County],
        hall: HallStatus {
            allowed: true,
            in_hall: true,
            authorised: true,
        },
        materials: vec![],
        intermediary_services: vec![],
        fee: Fee::default(),
        result_licence_type: None,
        decision_without_proposal: false,
        licence_valid_years: None,
        commitment_text: None,
        auto_approval: false,
    };
    CatalogueDocument {
        departments: vec![
            department("FGJ", "发展和改革局"),
            department("ZRZYJ", "自然资源和规划局"),
        ],
        items: vec![
            item("ZR-DESIGN", "建设工程设计方案审查", "ZRZYJ"),
            item("FG-FILING", "企业投资项目备案", "FGJ"),
            Item {
                result_licence_type: Some("建设项目用地预审与选址意见书".into()),
                materials: materials(&["用地预审申请表", "项目备案证明"]),
                ..item("ZR-SITE", "建设项目选址意见书核发（核发）", "ZRZYJ")
            },
            Item {
                result_licence_type: Some("建设用地规划许可证".into()),
                materials: materials(&[
                    "建设用地规划许可申请表",
                    "建设项目用地预审与选址意见书",
                    "国有土地使用权出让合同",
                ]),
                ..item("ZR-LAND", "建设用地规划许可证核发（新办）", "ZRZYJ")
            },
            Item {
                materials: materials(&["规划核实申请表", "联合测绘成果报告"]),
                ..item("ZR-VERIFY", "建设工程规划核实", "ZRZYJ")
            },
            Item {
                materials: materials(&["竣工验收备案表", "联合测绘成果报告"]),
                ..item("ZR-FILING", "建设工程竣工验收备案", "ZRZYJ")
            },
        ],
    }
}

fn accounts() -> Vec<TestAccount> {
    let of = |role: Role, department: &str| Post::new(role).in_department(department);
    let applicant = |username, identity| TestAccount {
        identity: Some(identity),
        ..account(username, Post::new(Role::Applicant))
    };
    vec![
        account("admin", Post::new(Role::Administrator)),
        account("clerk", Post::new(Role::Clerk).at_centre("county-hall")),
        account("supervisor", Post::new(Role::Supervisor)),
        applicant("owner", OWNER),
        applicant("other", OTHER_OWNER),
        account("agent", Post::new(Role::Agent)),
        account("zr-r", of(Role::Reviewer, "ZRZYJ")),
        account("zr-a", of(Role::Approver, "ZRZYJ")),
        account("fg-r", of(Role::Reviewer, "FGJ")),
    ]
}

async fn spawn_app(today: NaiveDate) -> TestApp {
    spawn("projects", catalogue(), accounts(), today).await
}

async fn register(app: &TestApp, who: &str, body: Value) -> Value {
    let (status, view) = app
        .send(who, Method::POST, "/api/v1/projects", Some(body), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    view
}

fn factory(region: Option<&str>) -> Value {
    json!({
        "name": "年产 5 万套模具生产线项目",
        "owner_identity": OWNER,
        "owner_name": "宁海县示范模具有限公司",
        "project_type": "industrial",
        "region": region,
    })
}

fn version(view: &Value) -> u64 {
    view["project"]["version"].as_u64().expect("version")
}

#[tokio::test]
async fn codes_are_unique_under_concurrent_registration_and_in_the_national_shape() {
    let app = spawn_app(day(2026, 11, 2)).await;
    let answers = futures::future::join_all((0..12).map(|i| {
        let app = &app;
        async move {
            let who = if i % 2 == 0 { "owner" } else { "agent" };
            app.send(
                who,
                Method::POST,
                "/api/v1/projects",
                Some(factory(None)),
                None,
            )
            .await
        }
    }))
    .await;
    let mut codes: Vec<String> = answers
        .iter()
        .map(|(status, view)| {
            assert_eq!(*status, StatusCode::CREATED, "{view}");
            view["project"]["code"].as_str().expect("code").to_string()
        })
        .collect();
    // Registered in November 2026, the plan reaches into 2027, whose holidays are not
    // published: its dates are there, marked as an estimate.
    assert_eq!(answers[0].1["estimated"], true, "{}", answers[0].1);
    assert!(answers[0].1["ends_on"].is_string());
    for code in &codes {
        assert_eq!(code.len(), 24, "{code}");
        assert!(code.starts_with("2611-330226-04-03-"), "{code}");
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 12, "every code is unique");
    assert_eq!(codes[0], "2611-330226-04-03-000001");
    assert_eq!(codes[11], "2611-330226-04-03-000012");
    // Someone else's project is not there for another enterprise; staff see it.
    let (status, _) = app
        .send(
            "other",
            Method::GET,
            &format!("/api/v1/projects/{}", codes[0]),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .send(
            "zr-r",
            Method::GET,
            &format!("/api/v1/projects/{}", codes[0]),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // An enterprise registers only its own projects.
    let mut theirs = factory(None);
    theirs["owner_identity"] = json!(OTHER_OWNER);
    let (status, _) = app
        .send(
            "owner",
            Method::POST,
            "/api/v1/projects",
            Some(theirs),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut bad = factory(None);
    bad["owner_identity"] = json!("91330226MA2AGKRX4C");
    bad["name"] = json!(" ");
    let (status, problem) = app
        .send("clerk", Method::POST, "/api/v1/projects", Some(bad), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "owner_identity");
}

#[tokio::test]
async fn the_industrial_plan_has_its_94_day_critical_path_and_chart() {
    // Registered on Monday 2 February 2026: the plan crosses the Spring Festival.
    let app = spawn_app(day(2026, 2, 2)).await;
    let view = register(&app, "owner", factory(None)).await;
    let schedule = &view["schedule"];
    assert_eq!(schedule["total_days"], 94);
    assert_eq!(schedule["admin_days"], 29);
    assert_eq!(schedule["intermediary_days"], 65);
    assert_eq!(schedule["critical_path"].as_array().map(Vec::len), Some(7));
    assert_eq!(view["ends_on"], "2026-06-24");
    let stages: Vec<&str> = view["project"]["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["stage"].as_str())
        .collect();
    for stage in [
        "project_and_land",
        "construction_licence",
        "construction_permit",
        "completion",
    ] {
        assert!(stages.contains(&stage), "{stage}");
    }
    // Steps are linked to the catalogue where it has them.
    assert!(
        view["items"].to_string().contains("ZR-DESIGN"),
        "{}",
        view["items"]
    );
    let code = view["project"]["code"].as_str().expect("code");
    let response = app
        .http
        .get(format!("{}/api/v1/projects/{code}/plan.svg", app.url))
        .bearer_auth(&app.tokens["owner"])
        .send()
        .await
        .expect("svg");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with("image/svg+xml")
    );
    let svg = response.text().await.expect("text");
    assert!(svg.contains("94 个工作日（行政 29 + 中介 65）"), "{svg}");
    assert_eq!(svg.matches("class=\"step critical\"").count(), 7);
    // A village project without government money goes by filing in one step.
    let mut village = factory(None);
    village["project_type"] = json!("village");
    let view = register(&app, "owner", village).await;
    assert_eq!(view["project"]["plan"]["filing_only"], true);
    assert_eq!(view["schedule"]["total_days"], 1);
}

#[tokio::test]
async fn a_provisional_opinion_before_the_land_turns_formal_with_it() {
    let app = spawn_app(day(2026, 3, 2)).await;
    let view = register(&app, "owner", factory(None)).await;
    let code = view["project"]["code"].as_str().expect("code").to_string();
    let path = |step: &str| format!("/api/v1/projects/{code}/steps/{step}/provisional-opinion");
    let (status, problem) = app
        .send(
            "fg-r",
            Method::POST,
            &path("design-scheme"),
            Some(json!({"opinion": "可行"})),
            Some(version(&view)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("ZRZYJ")
    );
    let (status, problem) = app
        .send(
            "zr-r",
            Method::POST,
            &path("land-planning"),
            Some(json!({"opinion": "可行"})),
            Some(version(&view)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, view) = app
        .send(
            "zr-r",
            Method::POST,
            &path("design-scheme"),
            Some(json!({"opinion": "方案符合规划条件"})),
            Some(version(&view)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        view["project"]["progress"]["design-scheme"]["status"],
        "provisional"
    );
    let (status, _) = app
        .send(
            "zr-r",
            Method::POST,
            &format!("/api/v1/projects/{code}/land"),
            None,
            Some(1),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version");
    app.at(day(2026, 4, 1));
    let (status, view) = app
        .send(
            "clerk",
            Method::POST,
            &format!("/api/v1/projects/{code}/land"),
            None,
            Some(version(&view)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let done = &view["project"]["progress"]["design-scheme"];
    assert_eq!(done["status"], "done");
    assert_eq!(done["from_simulation"], true);
    assert_eq!(done["on"], "2026-04-01");
    assert_eq!(view["project"]["land"]["status"], "obtained");
}

#[tokio::test]
async fn a_project_in_an_assessed_park_inherits_its_assessments() {
    let app = spawn_app(day(2026, 3, 2)).await;
    let park = json!({
        "code": "NH-KFQ",
        "name": "宁海经济开发区",
        "assessments": ["environmental_impact", "soil_and_water", "energy", "geological_hazard"]
    });
    let (status, _) = app
        .send(
            "clerk",
            Method::PUT,
            "/api/v1/regions/NH-KFQ",
            Some(park.clone()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, saved) = app
        .send(
            "admin",
            Method::PUT,
            "/api/v1/regions/NH-KFQ",
            Some(park),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let view = register(&app, "owner", factory(Some("NH-KFQ"))).await;
    let keys: Vec<&str> = view["project"]["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["key"].as_str())
        .collect();
    for gone in ["eia", "soil-water", "energy"] {
        assert!(!keys.contains(&gone), "{gone} in {keys:?}");
    }
    assert_eq!(view["schedule"]["total_days"], 84);
    let (status, problem) = app
        .send(
            "owner",
            Method::POST,
            "/api/v1/projects",
            Some(factory(Some("NOWHERE"))),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "region");
}

#[tokio::test]
async fn the_agents_board_shows_where_each_project_stands() {
    let app = spawn_app(day(2026, 3, 2)).await;
    let view = register(&app, "owner", factory(None)).await;
    let code = view["project"]["code"].as_str().expect("code").to_string();
    let (status, problem) = app
        .send(
            "owner",
            Method::POST,
            &format!("/api/v1/projects/{code}/agent"),
            Some(json!({"agent": "clerk"})),
            Some(version(&view)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, view) = app
        .send(
            "owner",
            Method::POST,
            &format!("/api/v1/projects/{code}/agent"),
            Some(json!({"agent": "agent"})),
            Some(version(&view)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["project"]["agent"], "agent");
    // The agent now sees the project and its board.
    let (status, _) = app.get("agent", &format!("/api/v1/projects/{code}")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, board) = app.get("agent", "/api/v1/projects/board").await;
    assert_eq!(board.as_array().map(Vec::len), Some(1), "{board}");
    assert_eq!(board[0]["behind"].as_array().map(Vec::len), Some(0));
    // At the end of the month nothing has moved: the first steps are behind their plan.
    let (_, review) = app
        .get("agent", "/api/v1/projects/board?on=2026-03-31")
        .await;
    let behind: Vec<&str> = review[0]["behind"]
        .as_array()
        .expect("behind")
        .iter()
        .filter_map(|b| b[0].as_str())
        .collect();
    assert!(
        behind.contains(&"filing") && behind.contains(&"site-selection"),
        "{review}"
    );
    // The agent is alerted once for each step that stalled.
    let (_, none) = app.get("agent", "/api/v1/projects/alerts").await;
    assert_eq!(none.as_array().map(Vec::len), Some(0));
    app.at(day(2026, 3, 31));
    let report = app.service.sweep_lights().await.expect("sweep");
    assert!(report.alerts >= 2, "{report:?}");
    let (status, alerts) = app.get("agent", "/api/v1/projects/alerts").await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    let stalled: Vec<&str> = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["step_key"].as_str())
        .collect();
    assert!(
        stalled.contains(&"filing") && stalled.contains(&"site-selection"),
        "{alerts}"
    );
    assert_eq!(alerts[0]["recipient"], "agent");
    assert_eq!(
        app.service.sweep_lights().await.expect("sweep").alerts,
        0,
        "once a day"
    );
    app.at(day(2026, 4, 1));
    let again = app.service.sweep_lights().await.expect("sweep");
    let (_, later) = app.get("agent", "/api/v1/projects/alerts").await;
    assert_eq!(
        later.as_array().map(Vec::len),
        Some(stalled.len() + again.alerts),
        "a step stalls once"
    );
    let (status, _) = app.get("owner", "/api/v1/projects/alerts").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("owner", "/api/v1/projects/board").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app.get("agent", "/api/v1/projects/board?on=tomorrow").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

#[tokio::test]
async fn a_later_approval_takes_an_earlier_result_of_the_project_without_an_upload() {
    let app = spawn_app(day(2026, 3, 2)).await;
    let view = register(&app, "owner", factory(None)).await;
    let code = view["project"]["code"].as_str().expect("code").to_string();
    let file = |item: &str, materials: Value| {
        json!({
            "item_code": item,
            "applicant": {"kind": "enterprise", "name": "宁海县示范模具有限公司", "id_number": OWNER},
            "channel": "online",
            "centre": "county-hall",
            "materials": materials,
            "project_code": code,
        })
    };
    // The site selection opinion, approved and issued.
    let (status, case) = app
        .send(
            "owner",
            Method::POST,
            "/api/v1/cases",
            Some(file("ZR-SITE", json!(["M01", "M02"]))),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["project_code"], code);
    let id = case["id"].as_str().expect("id").to_string();
    let mut version = case["version"].as_u64().expect("version");
    let (_, project) = app.get("owner", &format!("/api/v1/projects/{code}")).await;
    assert_eq!(
        project["project"]["progress"]["site-selection"]["status"],
        "in_progress"
    );
    for (who, action, body) in [
        ("clerk", "accept", json!({})),
        ("zr-r", "start-review", json!({})),
        (
            "zr-r",
            "propose",
            json!({"approve": true, "opinion": "选址符合规划，拟同意"}),
        ),
        ("zr-a", "decide", json!({"approve": true})),
        ("zr-r", "issue-result", json!({})),
    ] {
        let (status, moved) = app
            .send(
                who,
                Method::POST,
                &format!("/api/v1/cases/{id}/{action}"),
                Some(body),
                Some(version),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {moved}");
        version = moved["version"].as_u64().expect("version");
    }
    let (_, project) = app.get("owner", &format!("/api/v1/projects/{code}")).await;
    let done = &project["project"]["progress"]["site-selection"];
    assert_eq!(done["status"], "done", "{project}");
    let document = done["document"].as_str().expect("document").to_string();

    // The land-use planning licence: the opinion is not uploaded again.
    let (status, case) = app
        .send(
            "owner",
            Method::POST,
            "/api/v1/cases",
            Some(file("ZR-LAND", json!(["M01", "M03"]))),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["reused_materials"][0]["key"], "M02");
    assert_eq!(case["reused_materials"][0]["document"], document);
    assert_eq!(
        case["reused_materials"][0]["issued_by"],
        "建设项目选址意见书核发（核发）"
    );
    let (status, accepted) = app
        .send(
            "clerk",
            Method::POST,
            &format!("/api/v1/cases/{}/accept", case["id"].as_str().expect("id")),
            None,
            case["version"].as_u64(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "complete without the upload: {accepted}"
    );

    // Another enterprise cannot file under this project.
    let mut theirs = file("ZR-LAND", json!(["M01"]));
    theirs["applicant"]["id_number"] = json!(OTHER_OWNER);
    let (status, problem) = app
        .send("other", Method::POST, "/api/v1/cases", Some(theirs), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "project_code");
}

#[tokio::test]
async fn the_joint_completion_acceptance_is_filed_once_under_the_project() {
    let app = spawn_app(day(2026, 3, 2)).await;
    let bundle = json!({
        "code": "LB-JUNGONG",
        "name": "工程建设项目联合竣工验收",
        "lead_department": "ZRZYJ",
        "members": [
            {"item_code": "ZR-VERIFY", "essential": true},
            {"item_code": "ZR-FILING", "after": ["ZR-VERIFY"], "essential": true}
        ]
    });
    let (status, bundle) = app
        .send(
            "admin",
            Method::PUT,
            "/api/v1/catalogue/bundles/LB-JUNGONG",
            Some(bundle),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    // The joint survey report is handed in once for both.
    let keys: Vec<Value> = bundle["plan"]["materials"]
        .as_array()
        .expect("materials")
        .iter()
        .map(|m| m["key"].clone())
        .collect();
    assert_eq!(keys.len(), 3);
    let view = register(&app, "owner", factory(None)).await;
    let code = view["project"]["code"].as_str().expect("code").to_string();
    let (status, case) = app
        .send(
            "owner",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "item_code": "LB-JUNGONG",
                "applicant": {"kind": "enterprise", "name": "宁海县示范模具有限公司", "id_number": OWNER},
                "channel": "online",
                "centre": "county-hall",
                "materials": keys,
                "project_code": code,
            })),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().expect("id").to_string();
    let (_, project) = app.get("owner", &format!("/api/v1/projects/{code}")).await;
    for step in [
        "planning-verification",
        "fire-acceptance",
        "completion-filing",
    ] {
        assert_eq!(
            project["project"]["progress"][step]["status"], "in_progress",
            "{step}"
        );
    }
    let (status, case) = app
        .send(
            "clerk",
            Method::POST,
            &format!("/api/v1/cases/{id}/accept"),
            None,
            case["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    for task in ["ZR-VERIFY", "ZR-FILING"] {
        for (who, action, body) in [
            ("zr-r", "claim", json!({})),
            ("zr-r", "countersign", json!({"opinion": "符合规划条件"})),
            ("zr-a", "decide", json!({"approve": true})),
        ] {
            let (_, detail) = app.get("zr-r", &format!("/api/v1/cases/{id}")).await;
            let version = detail["case"]["circulation"]["tasks"]
                .as_array()
                .and_then(|t| t.iter().find(|t| t["item_code"] == task))
                .and_then(|t| t["version"].as_u64())
                .expect("task version");
            let (status, moved) = app
                .send(
                    who,
                    Method::POST,
                    &format!("/api/v1/cases/{id}/tasks/{task}/{action}"),
                    Some(body),
                    Some(version),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{task} {action}: {moved}");
        }
    }
    let (_, detail) = app.get("zr-r", &format!("/api/v1/cases/{id}")).await;
    assert_eq!(detail["case"]["status"], "approved");
    let (status, issued) = app
        .send(
            "zr-r",
            Method::POST,
            &format!("/api/v1/cases/{id}/issue-result"),
            Some(json!({})),
            detail["case"]["version"].as_u64(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let (_, project) = app.get("owner", &format!("/api/v1/projects/{code}")).await;
    for step in [
        "planning-verification",
        "fire-acceptance",
        "completion-filing",
    ] {
        assert_eq!(
            project["project"]["progress"][step]["status"], "done",
            "{step}: {project}"
        );
    }
}
