//! The service's reasons for refusing a field (`FieldError::reason`, English words written for
//! the API) in the reader's language. Each known reason has a stable code, its message key
//! `common-reason-<code>`; a Chinese page never shows the English words of one it does not know.

use onewindow_domain::validation::FieldError;

use crate::i18n::{Lang, Messages};

/// The code of a reason the pages know, and the values its message fills in.
pub fn reason_code(
    field: &str,
    reason: &str,
) -> Option<(&'static str, Vec<(&'static str, String)>)> {
    let field = field.split('[').next().unwrap_or("");
    let r = reason.trim();
    let plain = |code| Some((code, Vec::new()));
    if r == "a reason is required" {
        plain("reason-required")
    } else if r == "name at least one material" {
        plain("no-material")
    } else if r == "must not be empty" || r == "must not be empty when given" {
        plain("empty")
    } else if r.starts_with("must be a whole number of days")
        || (field == "working_days" && r.starts_with("required"))
    {
        plain("whole-days")
    } else if let Some(rest) = r.strip_prefix("an extension is 1 to ") {
        let most = rest.split_whitespace().next().unwrap_or("").to_string();
        Some(("extension-range", vec![("most", most)]))
    } else if r == "the time limit was already extended once" {
        plain("extended-once")
    } else if let Some(rest) = r.strip_prefix("at most ") {
        // "at most 2000 characters (this has 2001)"
        let numbers: Vec<String> = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        match (r.contains("characters"), numbers.as_slice()) {
            (true, [max, length]) => Some((
                "too-long",
                vec![("max", max.clone()), ("length", length.clone())],
            )),
            _ => None,
        }
    } else if r.starts_with("must not contain control characters") {
        plain("control-characters")
    } else if r.starts_with("acceptance and decision are separate") {
        plain("separate-duties")
    } else if r.starts_with("write the review opinion") {
        plain("opinion-required")
    } else if r.starts_with("the approver decides on the reviewer's opinion") {
        plain("proposal-first")
    } else if r.starts_with("deciding against the reviewer's proposal") {
        plain("overrule-reason")
    } else if r.starts_with("this is a visit beyond the first") {
        plain("extra-visit")
    } else if let Some(rest) = r.strip_prefix("cannot accept while materials are missing: ") {
        // "cannot accept while materials are missing: M02, M03; send the … notice instead"
        let list = rest.split(';').next().unwrap_or("").trim().to_string();
        Some(("accept-missing", vec![("list", list)]))
    } else if let Some(rest) = r.strip_prefix("a one-time notice must list everything missing") {
        let list = rest
            .split_once("also missing:")
            .map_or("", |(_, l)| l)
            .trim()
            .to_string();
        Some(("notice-incomplete", vec![("list", list)]))
    } else if r.starts_with("the one-time notice was already sent") {
        plain("notice-sent")
    } else if r.ends_with("is not a material this case asks for") {
        plain("not-a-material")
    } else if r.starts_with("required") {
        plain("required")
    } else if r.contains("is not after today") {
        plain("promise-past")
    } else if r.contains("is not a working day") {
        plain("promise-not-working-day")
    } else if let Some((_, rest)) = r.split_once("is after the case's deadline ") {
        let deadline = rest.split(':').next().unwrap_or("").trim().to_string();
        Some(("promise-after-deadline", vec![("date", deadline)]))
    } else if r.contains("is not marked tolerable") {
        plain("not-tolerable")
    } else if r.contains("is not missing: nothing to promise") {
        plain("not-missing")
    } else if r.contains("is not a material promised at acceptance") {
        plain("not-promised")
    } else if r.starts_with("the decision waits for") {
        plain("promise-awaited")
    } else if r.contains("is not marked committable") {
        plain("not-committable")
    } else if r.starts_with("a commitment of this applicant was found false") {
        plain("false-committer")
    } else if r.starts_with("say what the check found false") {
        plain("check-note")
    } else if r.starts_with("the commitment signed for") && r.contains("was found false") {
        plain("commitment-false")
    } else if r.starts_with("the departments of a joint application are already at work") {
        plain("joint-withdraw")
    } else if let Some((line, _)) = r
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(':'))
        .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        Some(("csv-line", vec![("line", line.to_string())]))
    } else {
        None
    }
}

/// Every code [`reason_code`] gives (each has its message in both languages).
pub const CODES: [&str; 31] = [
    "reason-required",
    "no-material",
    "empty",
    "whole-days",
    "extension-range",
    "extended-once",
    "too-long",
    "control-characters",
    "separate-duties",
    "extra-visit",
    "accept-missing",
    "notice-incomplete",
    "notice-sent",
    "not-a-material",
    "required",
    "opinion-required",
    "proposal-first",
    "overrule-reason",
    "promise-past",
    "promise-not-working-day",
    "promise-after-deadline",
    "not-tolerable",
    "not-missing",
    "not-promised",
    "promise-awaited",
    "not-committable",
    "false-committer",
    "check-note",
    "commitment-false",
    "joint-withdraw",
    "csv-line",
];

/// The reason of `error` in the reader's language when the pages know it; the service's own
/// words on an English page; `None` on a Chinese page for a reason the pages do not know (the
/// field's own message says what to do).
pub fn reason_text(t: &Messages, error: &FieldError) -> Option<String> {
    match reason_code(&error.field, &error.reason) {
        Some((code, values)) => {
            let key = format!("common-reason-{code}");
            let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Some(t.fill(&key, &values))
        }
        None if t.lang() == Lang::En => Some(error.reason.clone()),
        None => None,
    }
}

/// [`reason_text`], or a general "this was refused" in the reader's language.
pub fn reason_or_general(t: &Messages, error: &FieldError) -> String {
    reason_text(t, error).unwrap_or_else(|| t.get("common-reason-other").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_chinese(text: &str) -> bool {
        !text.chars().any(|c| c.is_ascii_alphabetic())
    }

    #[test]
    fn known_reasons_have_a_code_and_read_in_chinese() {
        let zh = Lang::ZhCn.messages();
        for (field, reason) in [
            ("reason", "a reason is required"),
            ("materials", "name at least one material"),
            ("missing", "name at least one material"),
            (
                "promised_days",
                "must be a whole number of days (0 or more)",
            ),
            ("working_days", "required: the number of working days"),
            ("working_days", "an extension is 1 to 10 working days"),
            ("working_days", "the time limit was already extended once"),
            ("reason", "at most 2000 characters (this has 2001)"),
            ("purpose", "must not be empty"),
            ("materials[1]", "M09 is not a material this case asks for"),
            (
                "missing",
                "a one-time notice must list everything missing; also missing: M03",
            ),
        ] {
            let e = FieldError::new(field, reason);
            assert!(reason_code(field, reason).is_some(), "{reason}");
            let text = reason_text(zh, &e).expect("known");
            let words: String = text
                .chars()
                .filter(|c| !c.is_ascii_alphanumeric())
                .collect();
            assert!(is_chinese(&words), "{reason} → {text}");
        }
        let e = FieldError::new("working_days", "an extension is 1 to 10 working days");
        assert!(reason_text(zh, &e).expect("known").contains("10"));
        let e = FieldError::new("reason", "at most 2000 characters (this has 2001)");
        let text = reason_text(zh, &e).expect("known");
        assert!(text.contains("2000") && text.contains("2001"), "{text}");
        let e = FieldError::new(
            "missing",
            "a one-time notice must list everything missing; also missing: M03, M04",
        );
        assert!(reason_text(zh, &e).expect("known").ends_with("M03, M04。"));
    }

    #[test]
    fn an_unknown_reason_is_english_only_on_english_pages() {
        let e = FieldError::new("x", "something new");
        assert_eq!(reason_text(Lang::ZhCn.messages(), &e), None);
        assert!(is_chinese(&reason_or_general(Lang::ZhCn.messages(), &e)));
        assert_eq!(
            reason_text(Lang::En.messages(), &e).as_deref(),
            Some("something new")
        );
    }

    #[test]
    fn every_code_has_its_message_in_both_languages() {
        for lang in [Lang::ZhCn, Lang::En] {
            for code in CODES.iter().chain(&["other"]) {
                let key = format!("common-reason-{code}");
                assert!(lang.messages().has(&key), "{key} in {lang:?}");
            }
        }
    }
}

#[cfg(test)]
mod page_tests {
    use axum::http::StatusCode;
    use onewindow_app::service::SubmitCase;
    use onewindow_domain::case::{Applicant, ApplicantKind, CaseCommand, Channel};

    use crate::i18n::Lang;
    use crate::pages::testing::{Answer, TestSite, Visitor, site};

    /// The words of every field message of a page, tags stripped.
    fn field_errors(page: &Answer) -> Vec<String> {
        page.body
            .split("class=\"field-error\"")
            .skip(1)
            .map(|rest| {
                let rest = &rest[rest.find('>').map_or(0, |i| i + 1)..];
                let end = rest.find("</p>").unwrap_or(rest.len());
                let mut text = String::new();
                let mut in_tag = false;
                for c in rest[..end].chars() {
                    match c {
                        '<' => in_tag = true,
                        '>' => in_tag = false,
                        c if !in_tag => text.push(c),
                        _ => {}
                    }
                }
                text
            })
            .collect()
    }

    /// Refused, with at least one field message, none of them with a word of English.
    fn refused_in_chinese(page: &Answer, what: &str) {
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let errors = field_errors(page);
        assert!(!errors.is_empty(), "{what}: no field message");
        for e in &errors {
            assert!(
                !e.chars().any(|c| c.is_ascii_alphabetic()),
                "{what}: English on a Chinese page: {e}"
            );
        }
        for english in [
            "a reason is required",
            "name at least one material",
            "whole number",
            "required:",
        ] {
            assert!(!page.body.contains(english), "{what}: {english}");
        }
    }

    async fn actor(site: &TestSite, username: &str, password: &str) -> onewindow_app::Actor {
        let grant = site
            .service
            .login(username, password, "test")
            .await
            .expect("login");
        site.service
            .authenticate(&grant.token, "test")
            .await
            .expect("session")
            .actor
    }

    async fn version(site: &TestSite, who: &onewindow_app::Actor, case: &str) -> String {
        site.service
            .case(who, case)
            .await
            .expect("case")
            .case
            .version
            .to_string()
    }

    #[tokio::test]
    async fn refused_window_and_desk_forms_say_why_in_chinese() {
        let site = site().await;
        let clerk_actor = actor(&site, "clerk", "chuangkou-2026").await;
        let item = onewindow_store::catalogue::all_items(site.service.store().readers())
            .await
            .expect("items")
            .into_iter()
            .find(|p| p.item.promised_days == 5 && p.item.department == "SCJGJ")
            .expect("a 5-day item");
        let file = || async {
            site.service
                .submit_case(
                    &clerk_actor,
                    SubmitCase {
                        item_code: item.item.code.clone(),
                        applicant: Applicant {
                            kind: ApplicantKind::Person,
                            name: "王芳".into(),
                            id_number: "11010519491231002X".into(),
                            phone: None,
                        },
                        channel: Channel::Window,
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
                .case
        };

        // The window: a notice that names no material, a rejection without a reason.
        let case = file().await;
        let case = site
            .service
            .execute(&clerk_actor, &case.id, 1, CaseCommand::StartPreReview)
            .await
            .expect("pre-review");
        let clerk = site.login("clerk", "chuangkou-2026").await;
        let path = format!("/window/cases/{}", case.number);
        let v = version(&site, &clerk_actor, &case.id).await;
        let notice = site
            .post_form(
                &clerk,
                &format!("{path}/request-supplement"),
                &[("version", &v), ("note", "")],
            )
            .await;
        refused_in_chinese(&notice, "a notice of nothing");
        let reject = site
            .post_form(
                &clerk,
                &format!("{path}/reject"),
                &[("version", &v), ("reason", " ")],
            )
            .await;
        refused_in_chinese(&reject, "a rejection without a reason");
        assert!(
            reject
                .body
                .contains(Lang::ZhCn.messages().get("common-reason-reason-required"))
        );
        // The English page keeps the reason in English.
        let english = site
            .post_form(
                &clerk.clone().in_english(),
                &format!("{path}/reject"),
                &[("version", &v), ("reason", " ")],
            )
            .await;
        assert!(english.body.contains("A reason is required."));

        // The desk: an extension of no whole number of days, a stop and a denial without reason.
        let case = file().await;
        let reviewer_actor = actor(&site, "reviewer", "shencha-2026").await;
        let v = case.version;
        let v = site
            .service
            .execute(&clerk_actor, &case.id, v, CaseCommand::StartPreReview)
            .await
            .expect("pre-review")
            .version;
        let v = site
            .service
            .execute(&clerk_actor, &case.id, v, CaseCommand::Accept)
            .await
            .expect("accepted")
            .version;
        let v = site
            .service
            .execute(&reviewer_actor, &case.id, v, CaseCommand::StartReview)
            .await
            .expect("in review")
            .version;
        let reviewer = site.login("reviewer", "shencha-2026").await;
        let blank_opinion = site
            .post_form(
                &reviewer,
                &format!("/desk/cases/{}/propose", case.number),
                &[
                    ("version", &v.to_string()),
                    ("approve", "false"),
                    ("opinion", " "),
                ],
            )
            .await;
        refused_in_chinese(&blank_opinion, "a proposal without an opinion");
        site.service
            .execute(
                &reviewer_actor,
                &case.id,
                v,
                CaseCommand::Propose {
                    approve: false,
                    opinion: "不符合条件".into(),
                },
            )
            .await
            .expect("proposed");
        let approver = site.login("approver", "shenpi-2026").await;
        let path = format!("/desk/cases/{}", case.number);
        let v = version(&site, &reviewer_actor, &case.id).await;
        let extend = site
            .post_form(
                &approver,
                &format!("{path}/extend"),
                &[
                    ("version", &v),
                    ("working_days", "两天"),
                    ("reason", "检验"),
                ],
            )
            .await;
        refused_in_chinese(&extend, "an extension of no number");
        let suspend = site
            .post_form(
                &reviewer,
                &format!("{path}/suspend"),
                &[("version", &v), ("kind", "testing"), ("reason", "")],
            )
            .await;
        refused_in_chinese(&suspend, "a stop without a reason");
        let deny = site
            .post_form(
                &approver,
                &format!("{path}/decide"),
                &[("version", &v), ("approve", "false"), ("reason", "")],
            )
            .await;
        refused_in_chinese(&deny, "a denial without a reason");

        let anonymous = site.get(&Visitor::default(), &path).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    }
}
