//! The provisional year and loading the State Council's holiday notice, through the HTTP API on
//! a real store (SQLite, or PostgreSQL with `ONEWINDOW_TEST_POSTGRES`): a deadline reaching into
//! a year whose notice is not out is answered and marked provisional; loading the notice
//! recomputes it, records the move in the history and the audit trail, and alerts the staff
//! whose deadline moved earlier; a bad notice is refused with its line and loads nothing.
//! The clock stands in late December 2026, so nothing here depends on the day the tests run.

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

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn item(code: &str, days: u32) -> Item {
    Item {
        code: code.into(),
        name: format!("事项 {code}"),
        kind: ItemKind::Licence,
        department: "SCJG".into(),
        legal_basis: "法".into(),
        statutory_days: 20,
        promised_days: days,
        visits_required: 1,
        run_mode: RunMode::OnlinePrereview,
        levels: vec![Level::County],
        hall: HallStatus {
            allowed: true,
            in_hall: true,
            authorised: true,
        },
        materials: vec![Material {
            key: "M01".into(),
            name: "申请书".into(),
            form: MaterialForm::Original,
            copies: 1,
            source: MaterialSource::Applicant,
            licence_type: None,
            category: MaterialCategory::Ordinary,
            required: true,
            sample: None,
            cancelled: None,
            necessity: Default::default(),
        }],
        intermediary_services: vec![],
        fee: Fee::default(),
        result_licence_type: None,
        decision_without_proposal: false,
        licence_valid_years: None,
        commitment_text: None,
        auto_approval: false,
    }
}

fn catalogue() -> CatalogueDocument {
    CatalogueDocument {
        departments: vec![Department {
            code: "SCJG".into(),
            name: "市场监督管理局".into(),
            name_en: "Market Regulation".into(),
        }],
        items: vec![item("TEN", 10), item("FIVE", 5)],
    }
}

fn accounts() -> Vec<TestAccount> {
    vec![
        account("admin", Post::new(Role::Administrator)),
        account("clerk", Post::new(Role::Clerk).at_centre("county-hall")),
        account("supervisor", Post::new(Role::Supervisor)),
        account("sc-r", Post::new(Role::Reviewer).in_department("SCJG")),
    ]
}

/// Monday 21 December 2026: the year's last notice is 2026's, so 2027 is provisional.
async fn spawn_app() -> TestApp {
    spawn("calendar", catalogue(), accounts(), day(2026, 12, 21)).await
}

/// Files a case of `item` at the window and accepts it; its id.
async fn accepted(app: &TestApp, item: &str) -> String {
    let (status, case) = app
        .send(
            "clerk",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "item_code": item,
                "applicant": {"kind": "person", "name": "王芳", "id_number": "11010519491231002X"},
                "channel": "window",
                "centre": "county-hall",
                "materials": ["M01"],
            })),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().expect("id").to_string();
    let version = case["version"].as_u64().expect("version");
    let (status, case) = app
        .send(
            "clerk",
            Method::POST,
            &format!("/api/v1/cases/{id}/accept"),
            None,
            Some(version),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    id
}

/// Posts a notice file as it is, byte for byte (its lines matter to the errors).
async fn load(app: &TestApp, who: &str, notice: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .post(format!("{}/api/v1/calendar/notices", app.url))
        .bearer_auth(&app.tokens[who])
        .header("content-type", "application/json")
        .body(notice.to_owned())
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The 2027 notice as the tests publish it: New Year's Day off and Saturday 2 January a make-up
/// working day, which brings every deadline after it one working day earlier.
const NOTICE_2027: &str = r#"{"year": 2027, "papers": [], "days": [
  {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
  {"name": "元旦", "date": "2027-01-02", "isOffDay": false}
]}"#;

#[tokio::test]
async fn a_deadline_in_the_provisional_year_is_marked_then_recomputed_when_the_notice_is_loaded() {
    let app = spawn_app().await;
    let ten = accepted(&app, "TEN").await;
    let five = accepted(&app, "FIVE").await;

    // Ten working days from Monday 21 December: eight in 2026, New Year's Day off (the
    // statutory holiday the provisional year knows), then 4 and 5 January.
    let (_, case) = app.get("clerk", &format!("/api/v1/cases/{ten}")).await;
    assert_eq!(case["due_on"], "2027-01-05", "{case}");
    assert_eq!(case["provisional"], true);
    assert_eq!(case["provisional_year"], 2027);
    // Five working days end on 28 December: inside the last week of 2026, which the 2027 notice
    // may still rearrange, so it is provisional too.
    let (_, short) = app.get("clerk", &format!("/api/v1/cases/{five}")).await;
    assert_eq!(short["due_on"], "2026-12-28");
    assert_eq!(short["provisional"], true);
    // The public deadline calculator says the same.
    let (status, answer) = app
        .get(
            "clerk",
            "/api/v1/calendar/deadline?start=2026-12-21&working_days=10",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        json!({"start": "2026-12-21", "working_days": 10, "deadline": "2027-01-05", "provisional": true})
    );

    let (status, overview) = app.get("admin", "/api/v1/calendar").await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    assert_eq!(overview["provisional_year"], 2027);
    assert!(
        overview["provisional_days_off"]
            .as_array()
            .expect("days")
            .contains(&json!(["2027-02-05", "春节"]))
    );

    let (status, loaded) = load(&app, "admin", NOTICE_2027).await;
    assert_eq!(status, StatusCode::OK, "{loaded}");
    assert_eq!(
        loaded,
        json!({"year": 2027, "cases_checked": 2, "deadlines_moved": 1, "moved_earlier": 1, "provisional_year": 2028})
    );

    // The new day, no longer provisional, and the move in the history.
    let (_, case) = app.get("clerk", &format!("/api/v1/cases/{ten}")).await;
    assert_eq!(case["due_on"], "2027-01-04");
    assert_eq!(case["provisional"], false);
    assert!(case.get("provisional_year").is_none());
    let last = case["history"]
        .as_array()
        .expect("history")
        .last()
        .cloned()
        .expect("an event");
    assert_eq!(last["actor"], "admin");
    assert_eq!(
        last["event"],
        json!({"type": "deadline_recomputed", "notice_year": 2027, "previous": "2027-01-05", "due_on": "2027-01-04"})
    );
    // The short case did not move (the notice left 28 December alone).
    let (_, short) = app.get("clerk", &format!("/api/v1/cases/{five}")).await;
    assert_eq!(short["due_on"], "2026-12-28");
    assert_eq!(short["provisional"], false);

    // The department's reviewer is told the deadline came a day closer.
    let (status, inbox) = app.get("sc-r", "/api/v1/inbox").await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    let moved: Vec<&Value> = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|a| a["previous_due_on"] == "2027-01-05")
        .collect();
    assert_eq!(moved.len(), 1, "{inbox}");
    assert_eq!(moved[0]["due_on"], "2027-01-04");

    // The audit trail has the load and the case's move.
    let (_, audit) = app
        .get("supervisor", "/api/v1/audit?action=calendar.load")
        .await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
    let (_, audit) = app
        .get(
            "supervisor",
            "/api/v1/audit?action=case.deadline_recomputed",
        )
        .await;
    let items = audit["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{audit}");
    assert!(
        items[0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2027-01-05 -> 2027-01-04")),
        "{audit}"
    );

    // A corrected notice (no make-up day, 4 January off as well) moves it later: recorded, and
    // no alert, since the department gains time.
    let corrected = r#"{"year": 2027, "days": [
  {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
  {"name": "元旦", "date": "2027-01-04", "isOffDay": true}
]}"#;
    let (status, loaded) = load(&app, "admin", corrected).await;
    assert_eq!(status, StatusCode::OK, "{loaded}");
    assert_eq!(loaded["deadlines_moved"], 1);
    assert_eq!(loaded["moved_earlier"], 0);
    let (_, case) = app.get("clerk", &format!("/api/v1/cases/{ten}")).await;
    assert_eq!(case["due_on"], "2027-01-06");
    let (_, inbox) = app.get("sc-r", "/api/v1/inbox").await;
    let moved = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|a| a["previous_due_on"].is_string())
        .count();
    assert_eq!(moved, 1, "only the move earlier alerts");
}

#[tokio::test]
async fn a_bad_notice_is_refused_with_its_line_and_loads_nothing() {
    let app = spawn_app().await;
    let ten = accepted(&app, "TEN").await;

    let twice = "{\n  \"year\": 2027,\n  \"days\": [\n    {\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true},\n    {\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true}\n  ]\n}";
    let (status, problem) = load(&app, "admin", twice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let errors = problem["errors"].as_array().expect("field errors");
    assert_eq!(errors[0]["field"], "notice");
    assert_eq!(
        errors[0]["reason"],
        "holiday notice for 2027, line 5 (days[1]): 2027-01-01 is listed twice"
    );

    let wrong_year = NOTICE_2027.replace("\"year\": 2027", "\"year\": 2029");
    let (status, problem) = load(&app, "admin", &wrong_year).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["errors"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("next notice this calendar can take is 2027's")),
        "{problem}"
    );

    let (status, problem) = load(&app, "admin", "{\"year\": 2027, \"days\": [").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // Only administrators load notices.
    let (status, _) = load(&app, "supervisor", NOTICE_2027).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("clerk", "/api/v1/calendar").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Nothing was loaded: still provisional, the deadline as it was, no history entry.
    let (_, overview) = app.get("admin", "/api/v1/calendar").await;
    assert_eq!(overview["provisional_year"], 2027);
    assert_eq!(overview["loaded"], json!([]));
    let (_, case) = app.get("clerk", &format!("/api/v1/cases/{ten}")).await;
    assert_eq!(case["due_on"], "2027-01-05");
    assert_eq!(case["provisional"], true);
    assert!(
        case["history"]
            .as_array()
            .expect("history")
            .iter()
            .all(|h| h["event"]["type"] != "deadline_recomputed")
    );
}

#[tokio::test]
async fn a_notice_loaded_on_one_node_reaches_another_on_the_same_store() {
    let app = spawn_app().await;
    let other = onewindow_app::Service::new(
        onewindow_store::Store::open(app.service.store().url())
            .await
            .expect("a second node opens the store"),
        onewindow_domain::calendar::Calendar::prc(),
        app.clock.clone(),
        "330226",
    );
    assert!(!other.sync_calendar().await.expect("reads the notices"));
    assert_eq!(other.calendar().provisional_year(), Some(2027));
    let (status, _) = load(&app, "admin", NOTICE_2027).await;
    assert_eq!(status, StatusCode::OK);
    assert!(other.sync_calendar().await.expect("reads the notices"));
    assert!(other.calendar().covers_year(2027));
    assert_eq!(other.calendar().provisional_year(), Some(2028));
    assert_eq!(
        other.deadline(day(2026, 12, 21), 10).expect("covered"),
        day(2027, 1, 4)
    );
    // Nothing new: nothing to do.
    assert!(!other.sync_calendar().await.expect("reads the notices"));
}
