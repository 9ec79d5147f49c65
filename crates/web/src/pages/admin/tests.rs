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
        if let Some(l) = &m.licence_type {
            f.push((format!("m{i}_licence_type"), l.clone()));
        }
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
    assert!(page.body.contains("<td>承诺时限（工作日，0 为即办）</td>"));
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
async fn only_an_immediate_item_is_decided_without_a_review_opinion() {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let items = onewindow_store::catalogue::all_items(site.service.store().readers())
        .await
        .expect("items");
    // The demo lets the approver decide its immediate items on the spot.
    let immediate = items
        .iter()
        .find(|p| p.item.is_immediate())
        .expect("an immediate item");
    assert!(immediate.item.decision_without_proposal);
    let page = site
        .get(&admin, &format!("/admin/items/{}", immediate.item.code))
        .await;
    assert!(
        page.body
            .contains(r#"name="decision_without_proposal" aria-describedby="decision-without-proposal-hint" checked"#)
    );
    // Any other item goes through 受理 → 审查 → 决定: ticking the box is refused at publishing.
    let published = first_item(&site).await;
    assert!(!published.item.is_immediate());
    let path = format!("/admin/items/{}", published.item.code);
    let mut form = item_form(&published.item, &published.item.promised_days.to_string());
    form.push(("decision_without_proposal".into(), "on".into()));
    let saved = site.post_form(&admin, &path, &pairs(&form)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let refused = site
        .post_form(&admin, &format!("{path}/publish"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(r#"id="decision-without-proposal-error">只有即办件"#),
        "{}",
        refused.body
    );
    assert!(
        !site
            .service
            .item(&published.item.code)
            .await
            .expect("item")
            .item
            .decision_without_proposal
    );
}

/// The comparison of a draft with the published item names each field as the item form does,
/// in the page's language, and shows coded values by their names.
#[tokio::test]
async fn the_draft_comparison_names_fields_by_their_form_labels() {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let published = first_item(&site).await;
    let code = published.item.code.clone();
    let path = format!("/admin/items/{code}");
    let mut form = item_form(&published.item, "1");
    // The second material becomes optional (or required), and the way of running changes.
    let material = &published.item.materials[1];
    if material.required {
        form.retain(|(k, _)| k != "m1_required");
    } else {
        form.push(("m1_required".into(), "on".into()));
    }
    let other_mode = onewindow_domain::catalogue::RunMode::ALL
        .into_iter()
        .find(|m| *m != published.item.run_mode)
        .expect("another way of running");
    for (k, v) in form.iter_mut() {
        if k == "run_mode" {
            *v = other_mode.as_str().to_string();
        }
    }
    let saved = site.post_form(&admin, &path, &pairs(&form)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    let page = site.get(&admin, &path).await;
    let changes = page
        .body
        .split("id=\"changes\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the comparison")
        .to_string();
    assert!(
        changes.contains("<td>承诺时限（工作日，0 为即办）</td>"),
        "{changes}"
    );
    assert!(
        changes.contains(&format!(
            "<td>申请材料 {} {} · 必交</td>",
            material.key, material.name
        )),
        "{changes}"
    );
    assert!(changes.contains("<td>办理方式</td>"), "{changes}");
    let zh = crate::i18n::Lang::ZhCn.messages();
    assert!(changes.contains(&format!(
        "<td>{}</td>",
        zh.get(&format!("admin-run-mode-{}", other_mode.as_str()))
    )));
    assert!(changes.contains("<td>是</td>") && changes.contains("<td>否</td>"));
    for raw in [
        "promised_days",
        "run_mode",
        "materials[",
        ".required",
        "true",
        "false",
    ] {
        assert!(
            !changes.contains(raw),
            "no field path or code {raw}: {changes}"
        );
    }

    let english = site.get(&admin.clone().in_english(), &path).await;
    assert!(
        english.body.contains("<td>Promised limit"),
        "{}",
        english.body
    );
    assert!(
        english
            .body
            .contains(&format!("<td>Material {} ", material.key))
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
                ("post0_role", "reviewer"),
                ("post0_department", "SCJGJ"),
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
    assert!(
        bad.body
            .contains("<option value=\"SCJGJ\" selected>市场监督管理局</option>"),
        "the chosen department stays chosen"
    );
    let good = site
        .post_form(
            &admin,
            "/admin/users",
            &[
                ("username", "wangwu"),
                ("display_name", "王五"),
                ("password", "a-long-enough-secret"),
                ("post0_role", "reviewer"),
                ("post0_department", "SCJGJ"),
                ("post0_centre", ""),
                ("post1_role", "clerk"),
                ("post1_department", ""),
                ("post1_centre", "county-hall"),
                ("post2_role", ""),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert!(good.body.contains("账号 wangwu 已创建"));
    let user = site.login("wangwu", "a-long-enough-secret").await;
    assert!(user.session.is_some());
}

/// The creation form offers roles, departments and centres by name, one row per post, with
/// an empty row to add one; "add" draws one more row and saves nothing.
#[tokio::test]
async fn posts_are_chosen_with_pickers_by_name() {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let page = site.get(&admin, "/admin/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"post0_role\""), "{}", page.body);
    assert!(
        page.body
            .contains("<option value=\"reviewer\" data-takes=\"department\">审查人</option>")
    );
    assert!(
        page.body
            .contains("<option value=\"SCJGJ\">市场监督管理局</option>")
    );
    assert!(
        page.body
            .contains("<option value=\"county-hall\">宁海县行政服务中心</option>")
    );
    assert!(page.body.contains("添加岗位"));
    assert!(!page.body.contains("reviewer:SCJGJ"), "no typed posts");
    // The demo reviewer's posts read as names in the list.
    assert!(page.body.contains("审查人 · 市场监督管理局"));

    let added = site
        .post_form(
            &admin,
            "/admin/users",
            &[
                ("username", "zhaoliu"),
                ("post0_role", "clerk"),
                ("post0_centre", "county-hall"),
                ("post1_role", ""),
                ("add", "1"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK);
    assert!(
        added.body.contains("name=\"post2_role\""),
        "two empty rows after the clerk's"
    );
    assert!(added.body.contains("value=\"zhaoliu\""));
    assert!(
        site.service
            .user(&site_admin(&site).await, "zhaoliu")
            .await
            .is_err(),
        "nothing saved"
    );
    let removed = site
        .post_form(
            &admin,
            "/admin/users",
            &[
                ("username", "zhaoliu"),
                ("post0_role", "clerk"),
                ("post0_centre", "county-hall"),
                ("post1_role", "reviewer"),
                ("post1_department", "SCJGJ"),
                ("remove", "0"),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert!(
        removed
            .body
            .contains("<option value=\"reviewer\" data-takes=\"department\" selected>")
    );
    assert!(
        !removed
            .body
            .contains("<option value=\"clerk\" data-takes=\"centre\" selected>")
    );
}

async fn site_admin(site: &crate::pages::testing::TestSite) -> onewindow_app::Actor {
    site.service
        .authenticate(
            &site
                .login("admin", "guanli-2026")
                .await
                .session
                .expect("session"),
            "test",
        )
        .await
        .expect("admin")
        .actor
}

#[tokio::test]
async fn the_administrator_creates_a_reviewer_through_the_pickers_and_a_clerk_without_a_centre_is_refused_at_its_row()
 {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let created = site
        .post_form(
            &admin,
            "/admin/users",
            &[
                ("username", "sunqi"),
                ("display_name", "孙七"),
                ("password", "a-long-enough-secret"),
                ("post0_role", "reviewer"),
                ("post0_department", "SCJGJ"),
                ("post0_centre", ""),
                ("post1_role", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let user = site
        .service
        .user(&site_admin(&site).await, "sunqi")
        .await
        .expect("created");
    assert_eq!(
        user.posts,
        vec![Post::new(Role::Reviewer).in_department("SCJGJ")]
    );

    // A clerk without a centre, in the second row: refused by the domain's check, the message
    // in Chinese beside that row and naming it.
    let refused = site
        .post_form(
            &admin,
            "/admin/users",
            &[
                ("username", "zhouba"),
                ("display_name", "周八"),
                ("password", "a-long-enough-secret"),
                ("post0_role", "reviewer"),
                ("post0_department", "SCJGJ"),
                ("post1_role", "clerk"),
                ("post1_centre", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(
            "<p class=\"field-error\" id=\"new-post1-error\">第 2 个岗位：综合受理员岗位需要选择服务中心。</p>"
        ),
        "{}",
        refused.body
    );
    assert!(
        !refused.body.contains("needs a service centre"),
        "no English"
    );
    assert!(
        site.service
            .user(&site_admin(&site).await, "zhouba")
            .await
            .is_err()
    );

    // Editing an account: the same pickers, the same check.
    let edit = site.get(&admin, "/admin/users/sunqi").await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(
        edit.body
            .contains("<option value=\"SCJGJ\" selected>市场监督管理局</option>")
    );
    let saved = site
        .post_form(
            &admin,
            "/admin/users/sunqi/posts",
            &[
                ("post0_role", "approver"),
                ("post0_department", "SCJGJ"),
                ("post1_role", "clerk"),
                ("post1_centre", "county-hall"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let user = site
        .service
        .user(&site_admin(&site).await, "sunqi")
        .await
        .expect("user");
    assert_eq!(
        user.posts,
        vec![
            Post::new(Role::Approver).in_department("SCJGJ"),
            Post::new(Role::Clerk).at_centre("county-hall"),
        ]
    );
    let refused = site
        .post_form(
            &admin,
            "/admin/users/sunqi/posts",
            &[("post0_role", "clerk"), ("post0_department", "SCJGJ")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(
            "第 1 个岗位：综合受理员岗位需要选择服务中心。 第 1 个岗位：综合受理员岗位不选部门。"
        ),
        "{}",
        refused.body
    );
}

/// "重置密码": a new password shown once, the old one dead, the sessions ended, audited;
/// administrators only, and only with the form's CSRF token.
#[tokio::test]
async fn the_administrator_resets_a_password_and_sees_the_new_one_once() {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    let clerk = site.login("clerk", "chuangkou-2026").await;
    let page = site.get(&admin, "/admin/users/clerk").await;
    assert!(page.body.contains("重置密码"));
    assert!(
        page.body
            .contains("action=\"/admin/users/clerk/reset-password\"")
    );

    let forged = site
        .post_form(
            &admin,
            "/admin/users/clerk/reset-password",
            &[("csrf_token", "forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let by_clerk = site
        .post_form(&clerk, "/admin/users/clerk/reset-password", &[])
        .await;
    assert_eq!(by_clerk.status, StatusCode::FORBIDDEN);
    assert!(
        site.service
            .login("clerk", "chuangkou-2026", "test")
            .await
            .is_ok()
    );

    let reset = site
        .post_form(&admin, "/admin/users/clerk/reset-password", &[])
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(reset.headers["cache-control"], "no-store");
    assert!(reset.body.contains("账号 clerk 的密码已重置"));
    let password = reset
        .body
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the new password is shown")
        .to_string();
    assert!(password.len() >= 10);

    assert!(
        site.service
            .login("clerk", "chuangkou-2026", "test")
            .await
            .is_err(),
        "the old password no longer works"
    );
    assert!(site.service.login("clerk", &password, "test").await.is_ok());
    // The clerk's session ended with the old password.
    let after = site.get(&clerk, "/window").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    // Shown once: the account page does not show it again.
    let again = site.get(&admin, "/admin/users/clerk").await;
    assert!(!again.body.contains(&password));
    // Audited.
    let audit = onewindow_store::audit::search(
        site.service.store().readers(),
        &onewindow_store::audit::AuditFilter {
            action: Some("user.reset_password".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .expect("audit");
    assert!(
        audit
            .iter()
            .any(|r| r.entry.target == "user:clerk" && r.entry.actor == "admin")
    );
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

#[tokio::test]
async fn the_administrator_sets_the_rule_for_a_promise_not_kept() {
    use onewindow_domain::tolerance::BrokenPromiseRule;
    let site = site().await;
    let clerk = site.login("clerk", "chuangkou-2026").await;
    assert_eq!(
        site.get(&clerk, "/admin/tolerance").await.status,
        StatusCode::FORBIDDEN
    );
    let admin = site.login("admin", "guanli-2026").await;
    let page = site.get(&admin, "/admin/tolerance").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("value=\"stop_clock\" aria-describedby=\"rule-stop-hint\" checked"),
        "the default rule is checked"
    );
    let nothing = site
        .post_form(&admin, "/admin/tolerance", &[("rule", "")])
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.body.contains("id=\"rule-error\""));
    assert_eq!(
        site.service
            .tolerance_policy()
            .await
            .expect("policy")
            .broken_promise_rule,
        BrokenPromiseRule::StopClock,
        "nothing changed"
    );
    let saved = site
        .post_form(
            &admin,
            "/admin/tolerance",
            &[("rule", "back_to_supplement")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        site.service
            .tolerance_policy()
            .await
            .expect("policy")
            .broken_promise_rule,
        BrokenPromiseRule::BackToSupplement
    );
    // How long an applicant's saved application is kept: 1 to 365 days.
    let bad = site
        .post_form(&admin, "/admin/tolerance/drafts", &[("draft_days", "0")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"draft-days-error\""));
    let days = site
        .post_form(&admin, "/admin/tolerance/drafts", &[("draft_days", "45")])
        .await;
    assert_eq!(days.status, StatusCode::SEE_OTHER);
    assert_eq!(site.service.draft_days().await.expect("days"), 45);
    let page = site.get(&admin, "/admin/tolerance?saved=1").await;
    assert!(
        page.body.contains("规则已保存")
            && page.body.contains(
                "value=\"back_to_supplement\" aria-describedby=\"rule-back-hint\" checked"
            )
    );
}

#[tokio::test]
async fn automatic_approval_is_turned_off_per_item_and_refused_on_an_item_that_is_not_immediate() {
    let site = site().await;
    let admin = site.login("admin", "guanli-2026").await;
    // The demo approves 小餐饮店登记（补办） automatically (秒批); the county turns it off.
    let auto = site
        .service
        .item("1133022625630452684010402000500")
        .await
        .expect("the item");
    assert!(auto.item.auto_approval);
    let path = format!("/admin/items/{}", auto.item.code);
    let page = site.get(&admin, &path).await;
    assert!(
        page.body
            .contains(r#"name="auto_approval" aria-describedby="auto-approval-hint" checked"#)
    );
    let mut form = item_form(&auto.item, "0");
    form.push(("decision_without_proposal".into(), "on".into()));
    let saved = site.post_form(&admin, &path, &pairs(&form)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let published = site
        .post_form(&admin, &format!("{path}/publish"), &[])
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    assert!(
        !site
            .service
            .item(&auto.item.code)
            .await
            .expect("item")
            .item
            .auto_approval
    );
    // An item with a review on a time limit is never approved by the system.
    let slow = first_item(&site).await;
    let path = format!("/admin/items/{}", slow.item.code);
    let mut form = item_form(&slow.item, &slow.item.promised_days.to_string());
    form.push(("auto_approval".into(), "on".into()));
    let saved = site.post_form(&admin, &path, &pairs(&form)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let refused = site
        .post_form(&admin, &format!("{path}/publish"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(r#"id="auto-approval-error">只有即办件"#),
        "{}",
        refused.body
    );
}
