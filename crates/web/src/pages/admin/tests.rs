use super::*;
use crate::pages::testing::{Visitor, site};

#[test]
fn common_reasons_are_translated() {
    let zh = crate::i18n::Lang::ZhCn.messages();
    let e = FieldError::new("name", "must not be empty");
    assert_ne!(field_message(zh, &e), "must not be empty");
    let days = FieldError::new(
        "promised_days",
        "must be a whole number of days (0 or more)",
    );
    assert_eq!(field_message(zh, &days), zh.get("common-reason-whole-days"));
    // A reason the pages do not know stays English on English pages only.
    let other = FieldError::new("x", "something new");
    assert_eq!(field_message(zh, &other), zh.get("common-reason-other"));
    let en = crate::i18n::Lang::En.messages();
    assert_eq!(field_message(en, &other), "something new");
}

async fn first_item(site: &crate::pages::testing::TestSite) -> PublishedItem {
    onewindow_store::catalogue::all_items(site.service.store().readers())
        .await
        .expect("items")
        .into_iter()
        .find(|p| p.item.statutory_days > 0 && p.item.materials.len() >= 2)
        .expect("an item")
}

/// The form fields of an item as its edit form sends them, with some changed.
fn item_form(item: &onewindow_domain::catalogue::Item, promised: &str) -> Vec<(String, String)> {
    let mut f = vec![
        ("name".to_string(), item.name.clone()),
        ("kind".into(), item.kind.as_str().into()),
        ("department".into(), item.department.clone()),
        ("legal_basis".into(), item.legal_basis.clone()),
        ("statutory_days".into(), item.statutory_days.to_string()),
        ("promised_days".into(), promised.to_string()),
        ("visits_required".into(), item.visits_required.to_string()),
        ("run_mode".into(), item.run_mode.as_str().into()),
    ];
    for (i, m) in item.materials.iter().enumerate() {
        f.push((format!("m{i}_key"), m.key.clone()));
        f.push((format!("m{i}_name"), m.name.clone()));
        f.push((format!("m{i}_form"), m.form.as_str().into()));
        f.push((format!("m{i}_copies"), m.copies.to_string()));
        f.push((format!("m{i}_source"), m.source.as_str().into()));
        f.push((format!("m{i}_category"), m.category.as_str().into()));
        if m.required {
            f.push((format!("m{i}_required"), "on".into()));
        }
        if let Some(s) = &m.sample {
            f.push((format!("m{i}_sample"), s.clone()));
        }
    }
    f
}

fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn only_administrators_reach_the_administration() {
    let site = site().await;
    let anonymous = site.get(&Visitor::default(), "/admin").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(
        anonymous
            .location()
            .is_some_and(|l| l.starts_with("/login?next="))
    );
    let clerk = site.login("clerk", "chuangkou-2026").await;
    assert_eq!(
        site.get(&clerk, "/admin").await.status,
        StatusCode::FORBIDDEN
    );
    let admin = site.login("admin", "guanli-2026").await;
    let page = site.get(&admin, "/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("系统管理"));
}

#[tokio::test]
async fn a_draft_is_compared_then_published_and_a_broken_one_is_refused_with_the_reason_at_its_field()
 {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let published = first_item(&site).await;
    let code = published.item.code.clone();
    let path = format!("/admin/items/{code}");

    // Without the CSRF token nothing is saved.
    let mut form = item_form(&published.item, "1");
    form.push(("csrf_token".into(), "forged".into()));
    let refused = site.post_form(&admin, &path, &pairs(&form)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    form.pop();

    let saved = site.post_form(&admin, &path, &pairs(&form)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = site.get(&admin, &format!("{path}?saved=1")).await;
    assert!(page.body.contains("草稿已保存"));
    assert!(page.body.contains("<code>promised_days</code>"));
    // Applicants still see the published version.
    assert_eq!(
        site.service.item(&code).await.expect("item").version,
        published.version
    );

    let done = site
        .post_form(&admin, &format!("{path}/publish"), &[])
        .await;
    assert_eq!(done.status, StatusCode::OK);
    let now = site.service.item(&code).await.expect("item");
    assert_eq!(now.version, published.version + 1);
    assert_eq!(now.item.promised_days, 1);

    // A promise beyond the statutory limit is saved as a draft but not published.
    let too_long = (published.item.statutory_days + 5).to_string();
    let form = item_form(&now.item, &too_long);
    site.post_form(&admin, &path, &pairs(&form)).await;
    let refused = site
        .post_form(&admin, &format!("{path}/publish"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("id=\"promised-error\">承诺时限不能超过法定时限")
    );
    let english = site
        .post_form(&admin.clone().in_english(), &format!("{path}/publish"), &[])
        .await;
    assert!(
        english
            .body
            .contains("The promised limit may not exceed the statutory limit")
    );
    assert_eq!(
        site.service.item(&code).await.expect("item").version,
        now.version
    );
}

#[tokio::test]
async fn a_cancellation_needs_a_reason_and_is_published_with_it() {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let published = first_item(&site).await;
    let code = published.item.code.clone();
    let key = published.item.materials[1].key.clone();
    let path = format!("/admin/items/{code}/cancel-material");
    let no_reason = site
        .post_form(
            &admin,
            &path,
            &[("target", &key), ("date", "2026-11-02"), ("reason", "")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("请写明取消理由"));
    let ok = site
        .post_form(
            &admin,
            &path,
            &[
                ("target", &key),
                ("date", "2026-11-02"),
                ("reason", "部门间数据共享，申请人免交"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    site.post_form(&admin, &format!("/admin/items/{code}/publish"), &[])
        .await;
    let item = site.service.item(&code).await.expect("item");
    let cancelled = item.item.materials[1]
        .cancelled
        .as_ref()
        .expect("cancelled");
    assert_eq!(cancelled.reason, "部门间数据共享，申请人免交");
}

#[tokio::test]
async fn accounts_are_created_with_errors_next_to_their_fields() {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let bad = site
        .post_form(
            &admin,
            "/admin/users",
            &[
                ("username", "wangwu"),
                ("display_name", "王五"),
                ("password", "short"),
                ("posts", "reviewer:SCJGJ"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("id=\"password-error\">密码至少 10 个字符")
    );
    assert!(
        bad.body.contains("value=\"wangwu\""),
        "what was typed stays"
    );
    let good = site
        .post_form(
            &admin,
            "/admin/users",
            &[
                ("username", "wangwu"),
                ("display_name", "王五"),
                ("password", "a-long-enough-secret"),
                ("posts", "reviewer:SCJGJ clerk@county-hall"),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::OK);
    assert!(good.body.contains("账号 wangwu 已创建"));
    let user = site.login("wangwu", "a-long-enough-secret").await;
    assert!(user.session.is_some());
}

#[tokio::test]
async fn the_catalogue_list_and_the_hall_name_departments_and_centres_not_codes() {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let list = site.get(&admin, "/admin/items?q=食品经营").await;
    assert_eq!(list.status, axum::http::StatusCode::OK);
    assert!(
        list.body.contains("<td>市场监督管理局</td>"),
        "{}",
        list.body
    );
    assert!(!list.body.contains("<td>SCJGJ</td>"), "no department code");
    let english = site
        .get(&admin.clone().in_english(), "/admin/items?q=食品经营")
        .await;
    assert!(
        english
            .body
            .contains("<td>Market Supervision Administration</td>")
    );

    let hall = site.get(&admin, "/admin/hall").await;
    assert_eq!(hall.status, axum::http::StatusCode::OK);
    assert!(
        hall.body
            .contains("<tr><td>宁海县行政服务中心</td><td>01</td>"),
        "a window's centre by name: {}",
        hall.body
    );
}
