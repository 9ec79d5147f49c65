//! The demo's intermediary market (网上中介超市): the demo intermediary account's surveying firm,
//! registered through the service and admitted by the demo's market supervisor (发改局), and five
//! firms of the region beside it — one still waiting for admission, one whose safety-assessment
//! qualification has expired — so that a need has firms to quote and the supervisor's page has
//! something to act on.

use chrono::NaiveDate;
use onewindow_domain::intermediary::{
    Firm, FirmStatus, NewFirm, NewNeed, Qualification, SelectionRule,
};
use onewindow_domain::project::ProjectType;
use onewindow_store::accounts as account_rows;
use onewindow_store::market as market_rows;

use crate::accounts::principal_of;
use crate::actor::Actor;
use crate::error::AppError;
use crate::market::FirmDecision;
use crate::service::Service;

/// The demo intermediary's and the market supervisor's user names (data/demo/accounts.json).
pub const DEMO_INTERMEDIARY: &str = "intermediary";
pub const DEMO_MARKET_SUPERVISOR: &str = "market";

/// A demo firm: credit code body (17 characters; the check character is computed), name,
/// services with the qualification's level, number and last valid day, served divisions, staff,
/// contact, and whether it waits for admission.
struct DemoFirm {
    body: &'static str,
    name: &'static str,
    qualifications: &'static [(&'static str, &'static str, &'static str, &'static str)],
    regions: &'static [&'static str],
    staff: u32,
    contact: &'static str,
    phone: &'static str,
    pending: bool,
}

const OWN_FIRM: DemoFirm = DemoFirm {
    body: "91330226MA2CH5T7Q",
    name: "宁海县测绘服务有限公司",
    qualifications: &[
        ("surveying", "乙级", "乙测资字33510087", "2028-06-30"),
        ("geo-hazard", "乙级", "浙地灾评资字2024-0153", "2027-12-31"),
    ],
    regions: &["330226"],
    staff: 26,
    contact: "胡建国",
    phone: "0574-65581120",
    pending: false,
};

const OTHER_FIRMS: [DemoFirm; 5] = [
    DemoFirm {
        body: "91330200MA2AH6E1K",
        name: "宁波环科环境咨询有限公司",
        qualifications: &[
            ("eia", "乙级", "环评咨字2023-0412", "2028-03-31"),
            ("soil-water", "二星", "水保方案字2024-0088", "2027-09-30"),
            ("energy", "乙级", "节能评字2025-0031", "2027-12-31"),
        ],
        regions: &["330200"],
        staff: 41,
        contact: "陈晓燕",
        phone: "0574-87351260",
        pending: false,
    },
    DemoFirm {
        body: "91330000MA27U8B3C",
        name: "浙江明正建筑设计院有限公司",
        qualifications: &[
            ("design-scheme", "甲级", "A133000187", "2029-05-31"),
            ("drawing-design", "甲级", "A133000187", "2029-05-31"),
            ("fire-design", "甲级", "A133000187", "2029-05-31"),
        ],
        regions: &["330000"],
        staff: 180,
        contact: "王立明",
        phone: "0571-88215530",
        pending: false,
    },
    DemoFirm {
        body: "91330200MA2CJ2R5D",
        name: "宁波正信施工图审查有限公司",
        qualifications: &[("drawing-review", "一类", "浙审图字2022-017", "2027-06-30")],
        regions: &["330200"],
        staff: 35,
        contact: "林涛",
        phone: "0574-87662214",
        pending: false,
    },
    DemoFirm {
        body: "91330226MA2D1Y9W4",
        name: "宁海县安泰安全评价有限公司",
        qualifications: &[
            ("safety", "乙级", "APJ-(浙)-2021-027", "2026-10-31"),
            ("fire-testing", "二级", "浙消检字2024-0219", "2027-08-31"),
        ],
        regions: &["330226"],
        staff: 18,
        contact: "郑海波",
        phone: "0574-65237781",
        pending: false,
    },
    DemoFirm {
        body: "91330200MA2EK4M8N",
        name: "宁波绿源节能技术有限公司",
        qualifications: &[
            ("energy", "乙级", "节能评字2025-0107", "2028-01-31"),
            ("eia", "乙级", "环评咨字2025-0266", "2028-01-31"),
        ],
        regions: &["330200"],
        staff: 22,
        contact: "孙丽",
        phone: "0574-87990132",
        pending: true,
    },
];

fn new_firm(demo: &DemoFirm) -> Result<NewFirm, AppError> {
    let check = onewindow_domain::identifiers::UnifiedSocialCreditCode::check_character(demo.body)
        .map_err(|e| AppError::Internal(format!("demo firm {}: {e}", demo.name)))?;
    let mut services: Vec<String> = Vec::new();
    let mut qualifications = Vec::new();
    for (service, level, number, valid_until) in demo.qualifications {
        if !services.iter().any(|s| s == service) {
            services.push((*service).to_string());
        }
        qualifications.push(Qualification {
            service: (*service).to_string(),
            level: (*level).to_string(),
            number: (*number).to_string(),
            valid_until: valid_until
                .parse::<NaiveDate>()
                .map_err(|e| AppError::Internal(format!("demo firm {}: {e}", demo.name)))?,
        });
    }
    Ok(NewFirm {
        uscc: format!("{}{check}", demo.body),
        name: demo.name.to_string(),
        services,
        qualifications,
        regions: demo.regions.iter().map(|r| (*r).to_string()).collect(),
        staff: demo.staff,
        contact: demo.contact.to_string(),
        phone: demo.phone.to_string(),
    })
}

impl Service {
    /// Registers the demo firms that are not registered yet; the number registered. The demo
    /// intermediary's firm goes through registration and admission as a firm's would.
    pub async fn seed_demo_market(&self) -> Result<usize, AppError> {
        let readers = self.store().readers();
        let (Some(intermediary), Some(supervisor)) = (
            account_rows::user_by_username(readers, DEMO_INTERMEDIARY).await?,
            account_rows::user_by_username(readers, DEMO_MARKET_SUPERVISOR).await?,
        ) else {
            return Ok(0);
        };
        let mut registered = 0;
        if market_rows::firm_of_account(readers, DEMO_INTERMEDIARY)
            .await?
            .is_none()
        {
            let own = Actor::new(principal_of(&intermediary), "demo");
            let firm = self.register_firm(&own, new_firm(&OWN_FIRM)?).await?;
            let department = Actor::new(principal_of(&supervisor), "demo");
            self.decide_firm(
                &department,
                &firm.uscc,
                firm.version,
                FirmDecision::Admit,
                "",
            )
            .await?;
            registered += 1;
        }
        let today = self.today();
        let at = self.now().to_rfc3339();
        for demo in &OTHER_FIRMS {
            let new = new_firm(demo)?;
            if market_rows::get_firm(readers, &new.uscc).await?.is_some() {
                continue;
            }
            let mut firm = Firm::register(new, "", today).map_err(AppError::Invalid)?;
            // These firms have no account in the demo: the registry lists them, nobody logs in
            // for them.
            firm.accounts.clear();
            if !demo.pending {
                firm.status = FirmStatus::Admitted;
            }
            let at = at.clone();
            self.store()
                .write(move |conn| {
                    Box::pin(async move {
                        market_rows::insert_firm(&mut *conn, &firm, &at).await?;
                        Ok::<_, AppError>(())
                    })
                })
                .await?;
            registered += 1;
        }
        self.seed_demo_needs().await?;
        Ok(registered)
    }

    /// Posts, as the demo agent, an open need of the commercial demo project for its
    /// geological-hazard assessment (the demo intermediary's firm may quote for it), when the
    /// project is there and has no need yet.
    async fn seed_demo_needs(&self) -> Result<(), AppError> {
        let readers = self.store().readers();
        let Some(agent) =
            account_rows::user_by_username(readers, super::projects::DEMO_AGENT).await?
        else {
            return Ok(());
        };
        let actor = Actor::new(principal_of(&agent), "demo");
        let Some(project) = self
            .projects(&actor)
            .await?
            .into_iter()
            .find(|p| p.project_type == ProjectType::Commercial)
        else {
            return Ok(());
        };
        if !self
            .needs(&actor, None, Some(project.code.as_str()))
            .await?
            .is_empty()
        {
            return Ok(());
        }
        // In late December the fifth working day may fall in a year whose holiday notice is not
        // out yet: counted on weekdays then, as a plan's forecast is.
        let (deadline, _estimated) =
            onewindow_domain::project::forecast_day(&self.calendar(), self.today(), 5)?;
        self.post_need(
            &actor,
            NewNeed {
                project_code: project.code.to_string(),
                service: "geo-hazard".into(),
                step_key: None,
                description: "项目选址范围内地质灾害危险性评估，出具评估报告".into(),
                ceiling_fen: 4_500_000,
                quote_deadline: deadline,
                rule: SelectionRule::LowestPrice,
            },
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use onewindow_domain::calendar::Calendar;
    use onewindow_domain::intermediary::{NeedStatus, NewQuote};

    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn the_demo_market_has_admitted_firms_and_an_open_need_the_demo_firm_may_quote() {
        let dir =
            std::env::temp_dir().join(format!("onewindow-demo-market-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let clock = Arc::new(ManualClock::at_local_morning(day));
        let service = Service::new(store, Calendar::prc(), clock, "330226");
        service.seed_demo(0).await.expect("catalogue");
        service.seed_demo_hall().await.expect("hall");
        service.seed_demo_accounts().await.expect("accounts");
        service.seed_demo_projects().await.expect("projects");

        assert_eq!(service.seed_demo_market().await.expect("market"), 6);
        assert_eq!(
            service.seed_demo_market().await.expect("again"),
            0,
            "a restarted demo registers nothing twice"
        );
        let public = Actor::anonymous("test");
        let firms = service.firms(&public, None).await.expect("firms");
        assert_eq!(firms.len(), 5, "the pending firm is not listed publicly");
        let needs = service
            .needs(&public, Some(NeedStatus::Open), None)
            .await
            .expect("needs");
        assert_eq!(needs.len(), 1, "one open need, posted once");
        assert_eq!(needs[0].work_name.as_deref(), Some("地质灾害危险性评估"));

        let intermediary =
            account_rows::user_by_username(service.store().readers(), DEMO_INTERMEDIARY)
                .await
                .expect("read")
                .expect("the demo intermediary");
        let firm = Actor::new(principal_of(&intermediary), "test");
        let quoted = service
            .quote(
                &firm,
                &needs[0].id,
                NewQuote {
                    price_fen: 3_800_000,
                    days: 8,
                    note: String::new(),
                },
            )
            .await
            .expect("the demo firm quotes");
        assert_eq!(quoted.quotes.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
