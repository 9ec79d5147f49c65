//! Names, not codes: what a page shows a person for a department code (`SCJGJ`), a centre code
//! (`county-hall`) and a member of staff's user name (`clerk`).

use super::*;
use onewindow_app::admin::Centre;

/// The departments, centres and staff a page names, read once for the page.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub departments: Vec<Department>,
    pub centres: std::sync::Arc<Vec<Centre>>,
    /// Display names by user name, of the accounts the page mentions.
    pub staff: HashMap<String, String>,
}

impl Names {
    /// The departments and centres (no staff). A store that cannot answer leaves the codes shown.
    pub async fn load(service: &Service) -> Self {
        Self {
            departments: service.departments().await.unwrap_or_default(),
            centres: service.centre_directory().await.unwrap_or_default(),
            staff: HashMap::new(),
        }
    }

    /// These names and the display names of `usernames`.
    pub async fn with_staff(mut self, service: &Service, usernames: &[String]) -> Self {
        let more = service.display_names(usernames).await.unwrap_or_default();
        self.staff.extend(more);
        self
    }

    /// The names and the display names of everyone a case's facts and history mention.
    pub async fn for_case(service: &Service, detail: &CaseDetail) -> Self {
        let names = Self::load(service).await;
        names.with_staff(service, &case_people(detail)).await
    }

    /// A department's name in the reader's language, or its code when it is unknown.
    pub fn department(&self, t: &Messages, code: &str) -> String {
        department_name(t, &self.departments, code)
    }

    /// A centre's name in the reader's language, or its code when it is unknown.
    pub fn centre(&self, t: &Messages, code: &str) -> String {
        centre_name(t, &self.centres, code)
    }

    /// Who took a step: a person's display name, or the service itself in the reader's words
    /// (a deemed acceptance, an automatic approval, a sweep).
    pub fn actor(&self, t: &Messages, username: &str) -> String {
        if username == "system" {
            t.get("common-actor-system").to_string()
        } else {
            self.person(username)
        }
    }

    /// A person's display name, or the user name when the account has none; "—" for nobody
    /// (a step whose actor was withheld).
    pub fn person(&self, username: &str) -> String {
        if username.trim().is_empty() {
            return "—".to_string();
        }
        self.staff
            .get(username)
            .cloned()
            .unwrap_or_else(|| username.to_string())
    }
}

/// A centre's name in the reader's language, or its code when it is unknown.
pub fn centre_name(t: &Messages, centres: &[Centre], code: &str) -> String {
    centres.iter().find(|c| c.code == code).map_or_else(
        || code.to_string(),
        |c| {
            if t.lang() == Lang::En && !c.name_en.trim().is_empty() {
                c.name_en.clone()
            } else {
                c.name.clone()
            }
        },
    )
}

/// The user names a case's pages mention: who did each step or was handed a task, accepted,
/// decided, claimed and decided or countersigned a task.
pub fn case_people(detail: &CaseDetail) -> Vec<String> {
    let case = &detail.case;
    let mut people: Vec<String> = detail.history.iter().map(|e| e.actor.clone()).collect();
    // A step withheld from the reader (no actor) names nobody.
    for e in detail.history.iter().filter(|e| !e.actor.is_empty()) {
        if let CaseEvent::Task {
            event: TaskEvent::Transferred { to, .. },
            ..
        } = &e.event
        {
            people.push(to.clone());
        }
    }
    people.extend(case.accepted_by.iter().cloned());
    people.extend(case.decision.iter().map(|d| d.decided_by.clone()));
    if let Some(c) = &case.circulation {
        for task in &c.tasks {
            people.extend(task.claimed_by.iter().cloned());
            people.extend(task.decision.iter().map(|d| d.decided_by.clone()));
            people.extend(task.countersigns.iter().map(|c| c.by.clone()));
        }
    }
    people.retain(|p| !p.trim().is_empty());
    people.sort();
    people.dedup();
    people
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use onewindow_app::service::SubmitCase;
    use onewindow_domain::case::{Applicant, ApplicantKind, CaseCommand, Channel};

    use crate::pages::testing::{TestSite, Visitor, site};

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

    /// A case of the market supervision administration filed and accepted at the county hall by
    /// the clerk, reviewed and approved; its number.
    async fn decided_case(site: &TestSite) -> String {
        let clerk = actor(site, "clerk", "chuangkou-2026").await;
        let reviewer = actor(site, "reviewer", "shencha-2026").await;
        let approver = actor(site, "approver", "shenpi-2026").await;
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
            .case;
        let mut version = case.version;
        for (who, command) in [
            (&clerk, CaseCommand::StartPreReview),
            (&clerk, CaseCommand::Accept),
            (&reviewer, CaseCommand::StartReview),
            (
                &reviewer,
                CaseCommand::Propose {
                    approve: true,
                    opinion: "拟同意".into(),
                },
            ),
            (
                &approver,
                CaseCommand::Decide {
                    approve: true,
                    reason: "符合法定条件".into(),
                },
            ),
        ] {
            version = site
                .service
                .execute(who, &case.id, version, command)
                .await
                .expect("the step runs")
                .version;
        }
        case.number
    }

    #[tokio::test]
    async fn case_pages_name_the_centre_the_department_and_the_staff_not_their_codes() {
        let site = site().await;
        let number = decided_case(&site).await;
        let clerk = site.login("clerk", "chuangkou-2026").await;

        let page = site.get(&clerk, &format!("/window/cases/{number}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let body = &page.body;
        assert!(body.contains("宁海县行政服务中心"), "the centre: {body}");
        assert!(!body.contains("county-hall"), "no centre code");
        assert!(body.contains("市场监督管理局"), "the department");
        assert!(!body.contains(">SCJGJ<") && !body.contains(" SCJGJ"));
        // The timeline and the decision name the staff, not their logins.
        assert!(body.contains("· 综合窗口 张敏</span>"), "the clerk's steps");
        assert!(body.contains("· 市场监管局 审查 李强</span>"));
        assert!(
            body.contains("准予许可（市场监管局 首席代表 王芳，"),
            "the decider"
        );
        for login in ["clerk", "reviewer", "approver"] {
            assert!(!body.contains(&format!("· {login}<")), "no login {login}");
            assert!(!body.contains(&format!("（{login}，")), "no login {login}");
        }

        // No visit recorded yet: a count with its unit, not a bare 0 (and, decided but not
        // delivered, no claim of "at most once" yet).
        assert!(
            body.contains(r#"到场次数</dt><dd id="case-visits">已到场 0 次</dd>"#),
            "zero visits"
        );
        let receipt = site
            .get(&clerk, &format!("/window/cases/{number}/receipt"))
            .await;
        assert_eq!(receipt.status, StatusCode::OK);
        assert!(receipt.body.contains("宁海县行政服务中心"));
        assert!(!receipt.body.contains("county-hall"));

        let english = site
            .get(
                &clerk.clone().in_english(),
                &format!("/window/cases/{number}"),
            )
            .await;
        assert!(
            english
                .body
                .contains("Ninghai County Administrative Service Centre")
        );
        assert!(english.body.contains("Market Supervision Administration"));
        assert!(
            english
                .body
                .contains(r#"<dd id="case-visits">0 visits so far</dd>"#)
        );

        let reviewer = site.login("reviewer", "shencha-2026").await;
        let desk = site.get(&reviewer, &format!("/desk/cases/{number}")).await;
        assert_eq!(desk.status, StatusCode::OK);
        assert!(desk.body.contains("· 综合窗口 张敏</span>"));
        assert!(desk.body.contains("宁海县行政服务中心"));
        assert!(!desk.body.contains("county-hall"));

        let anonymous = site
            .get(&Visitor::default(), &format!("/window/cases/{number}"))
            .await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    }

    #[tokio::test]
    async fn a_renamed_centre_shows_on_the_next_case_page_of_this_node() {
        let site = site().await;
        let number = decided_case(&site).await;
        let clerk = site.login("clerk", "chuangkou-2026").await;
        let before = site.get(&clerk, &format!("/window/cases/{number}")).await;
        assert!(
            before.body.contains("宁海县行政服务中心"),
            "{}",
            before.body
        );

        // The directory the page named it from is now cached; the rename must not wait for it.
        let admin = actor(&site, "admin", "guanli-2026").await;
        let mut hall = site
            .service
            .centre("county-hall")
            .await
            .expect("read")
            .expect("the county hall");
        hall.name = "宁海县民生服务中心".into();
        site.service
            .save_centre(&admin, hall)
            .await
            .expect("renamed");

        let after = site.get(&clerk, &format!("/window/cases/{number}")).await;
        assert!(after.body.contains("宁海县民生服务中心"), "{}", after.body);
    }
}
