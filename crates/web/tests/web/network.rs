//! The three-level network through the API on a real store (SQLite, or PostgreSQL with
//! ONEWINDOW_TEST_POSTGRES): the demo network, filing that honours an item's levels, a village
//! filing decided by the county department, statistics by where a case was accepted, and the
//! import that refuses a wrong row and writes nothing.

use onewindow_app::messages::MessagingConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::messages::app_with;

/// 食品摊贩登记: pushed down to townships and villages.
const STALL_ITEM: &str = "1133022625630452684010402200100";
/// 企业投资项目核准: the county's only.
const COUNTY_ITEM: &str = "11330226256301130A4010100100100";
/// 前童镇鹿山村代办点.
const VILLAGE: &str = "village-330226106238";

async fn file(
    app: &onewindow_testkit::TestApp,
    who: &str,
    item: &str,
    centre: &str,
) -> (StatusCode, Value) {
    let (kind, name, id) = if who == "enterprise" {
        ("enterprise", "宁海县示范民宿有限公司", "91330226MA2DEMH01W")
    } else {
        ("person", "林晓梅", "330226198806150022")
    };
    app.send(
        who,
        Method::POST,
        "/api/v1/cases",
        Some(json!({
            "item_code": item,
            "applicant": {"kind": kind, "name": name, "id_number": id, "phone": "13900001111"},
            "channel": "online",
            "centre": centre,
            "materials": ["M01", "M02"],
        })),
        None,
    )
    .await
}

#[tokio::test]
async fn a_village_point_accepts_what_was_pushed_down_and_the_county_decides() {
    let app = app_with("network", MessagingConfig::default()).await;
    let (status, hall) = app.get("citizen", "/api/v1/hall").await;
    assert_eq!(status, StatusCode::OK);
    let centres = hall["centres"].as_array().expect("centres");
    let at = |level: &str| centres.iter().filter(|c| c["level"] == level).count();
    assert_eq!((at("county"), at("township"), at("village")), (4, 18, 393));
    let village = centres
        .iter()
        .find(|c| c["code"] == VILLAGE)
        .expect("鹿山村");
    assert_eq!(village["parent"], "township-qiantong");
    assert_eq!(village["name"], "前童镇鹿山村代办点");

    // An item of the county only is refused at the village point, naming the centre field.
    let (status, problem) = file(&app, "enterprise", COUNTY_ITEM, VILLAGE).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "centre", "{problem}");
    let (status, problem) = file(&app, "citizen", STALL_ITEM, "nowhere").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "centre");

    // A pushed-down item is filed there; its department at the county decides it.
    let (status, case) = file(&app, "citizen", STALL_ITEM, VILLAGE).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["centre"], VILLAGE);
    assert_eq!(case["department"], "SCJGJ");

    // The statistics count it where it was accepted.
    let (status, village_figures) = app
        .get("supervisor", "/api/v1/statistics?accepted_level=village")
        .await;
    assert_eq!(status, StatusCode::OK, "{village_figures}");
    assert_eq!(village_figures["received"], 1);
    let (_, township_figures) = app
        .get(
            "supervisor",
            "/api/v1/statistics?township=township-qiantong",
        )
        .await;
    assert_eq!(township_figures["received"], 1);
    let (_, elsewhere) = app
        .get("supervisor", "/api/v1/statistics?township=township-xidian")
        .await;
    assert_eq!(elsewhere["received"], 0);
    let (status, problem) = app
        .get(
            "supervisor",
            "/api/v1/statistics?accepted_level=hamlet&township=nowhere",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["accepted_level", "township"]);
}

#[tokio::test]
async fn an_import_with_a_wrong_row_writes_nothing() {
    let mut app = app_with("network-import", MessagingConfig::default()).await;
    let (name, token) = app.token_of("admin", "guanli-2026").await;
    app.tokens.insert(name, token);
    let body = json!({
        "centres": [
            {"code": "township-new", "name": "新镇便民服务中心", "name_en": "", "address": "",
             "level": "township", "parent": "county-hall", "division": "330226999"},
            {"code": "village-bad", "name": "错挂代办点", "name_en": "", "address": "",
             "level": "village", "parent": "county-hall", "opens": "17:00", "closes": "08:00"}
        ],
        "windows": [{"centre": "township-new", "code": "01", "name": "便民窗口 01",
                     "departments": [], "kind": "departmental"}]
    });
    let (status, problem) = app
        .send(
            "admin",
            Method::PUT,
            "/api/v1/hall",
            Some(body.clone()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "centres[1].parent",
            "centres[1].opens",
            "windows[0].departments"
        ]
    );
    let (_, hall) = app.get("admin", "/api/v1/hall").await;
    assert!(!hall.to_string().contains("township-new"));
    // A clerk may not import at all.
    let (status, _) = app
        .send(
            "clerk",
            Method::PUT,
            "/api/v1/hall",
            Some(json!({"centres": []})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The right rows are written.
    let good = json!({
        "centres": [{"code": "township-new", "name": "新镇便民服务中心", "name_en": "",
                     "address": "", "level": "township", "parent": "county-hall"}],
        "windows": [{"centre": "township-new", "code": "01", "name": "便民窗口 01",
                     "departments": []}]
    });
    let (status, imported) = app
        .send("admin", Method::PUT, "/api/v1/hall", Some(good), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported, json!({"centres": 1, "windows": 1}));
}
