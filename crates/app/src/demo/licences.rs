//! The demo applicants' electronic licences: the demo enterprise applies online for a business
//! licence and a food business licence, the demo citizen for a special equipment operator's
//! certificate, and each case goes through the real chain (accept, review, proposal, decision,
//! issue) as the demo staff, so that 我的证照 is not empty on a fresh demo and every licence is
//! issued, signed and recorded as any other.

use onewindow_domain::case::{Applicant, ApplicantKind, CaseCommand, Channel};
use onewindow_store::accounts as account_rows;
use onewindow_store::licences as licence_rows;

use crate::accounts::principal_of;
use crate::actor::Actor;
use crate::error::AppError;
use crate::service::{Service, SubmitCase};

/// Item (implementation code), applicant account, applicant's name and kind.
const DEMO_LICENCES: [(&str, &str, &str, ApplicantKind); 3] = [
    // 有限责任公司设立登记 → 营业执照
    (
        "1133022625630452684010400100100",
        "enterprise",
        "宁海县跃龙示范餐饮有限公司",
        ApplicantKind::Enterprise,
    ),
    // 食品经营许可（新办） → 食品经营许可证
    (
        "1133022625630452684010401700100",
        "enterprise",
        "宁海县跃龙示范餐饮有限公司",
        ApplicantKind::Enterprise,
    ),
    // 特种设备作业人员资格认定（新办） → 特种设备作业人员证
    (
        "1133022625630452684010402700100",
        "citizen",
        "陈示范",
        ApplicantKind::Person,
    ),
];

impl Service {
    async fn demo_actor(&self, username: &str) -> Result<Option<Actor>, AppError> {
        Ok(
            account_rows::user_by_username(self.store().readers(), username)
                .await?
                .map(|u| Actor::new(principal_of(&u), "demo")),
        )
    }

    /// Issues the demo applicants' licences through the real chain. Does nothing when a demo
    /// account or item is missing, or when the demo enterprise holds a licence already (a
    /// restarted demo keeps what it has). Returns the number issued.
    pub async fn seed_demo_licences(&self) -> Result<usize, AppError> {
        let mut actors = std::collections::HashMap::new();
        for name in ["clerk", "reviewer", "approver", "enterprise", "citizen"] {
            match self.demo_actor(name).await? {
                Some(actor) => {
                    actors.insert(name, actor);
                }
                None => return Ok(0),
            }
        }
        let enterprise = &actors["enterprise"];
        if !self.my_licences(enterprise).await?.is_empty() {
            return Ok(0);
        }
        let mut issued = 0;
        for (item_code, applicant, name, kind) in DEMO_LICENCES {
            let Ok(item) = self.item(item_code).await else {
                continue;
            };
            let filer = &actors[applicant];
            let Some(identity) = filer.principal.identity.clone() else {
                continue;
            };
            match self
                .demo_licence_case(
                    &actors,
                    filer,
                    Applicant {
                        kind,
                        name: name.to_string(),
                        id_number: identity,
                        phone: None,
                    },
                    &item,
                )
                .await
            {
                Ok(case_id) => {
                    issued += licence_rows::of_case(self.store().readers(), &case_id)
                        .await?
                        .len();
                }
                // A demo started on a day the chain cannot run (a holiday, say) starts without
                // these licences rather than not at all.
                Err(e) => tracing::warn!(item = item_code, error = %e, "demo licence not issued"),
            }
        }
        Ok(issued)
    }

    async fn demo_licence_case(
        &self,
        actors: &std::collections::HashMap<&str, Actor>,
        filer: &Actor,
        applicant: Applicant,
        item: &onewindow_domain::catalogue::PublishedItem,
    ) -> Result<String, AppError> {
        let submitted = self
            .submit_case(
                filer,
                SubmitCase {
                    item_code: item.item.code.clone(),
                    applicant,
                    channel: Channel::Online,
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
            .await?;
        let mut case = submitted.case;
        let steps: [(&str, CaseCommand); 5] = [
            ("clerk", CaseCommand::Accept),
            ("reviewer", CaseCommand::StartReview),
            (
                "reviewer",
                CaseCommand::Propose {
                    approve: true,
                    opinion: "材料齐全，符合法定条件，拟同意".into(),
                },
            ),
            (
                "approver",
                CaseCommand::Decide {
                    approve: true,
                    reason: "符合法定条件，准予许可".into(),
                },
            ),
            (
                "reviewer",
                CaseCommand::IssueResult {
                    document_number: None,
                },
            ),
        ];
        for (who, command) in steps {
            case = self
                .execute(&actors[who], &case.id, case.version, command)
                .await?;
        }
        Ok(case.id)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use onewindow_domain::calendar::Calendar;
    use onewindow_domain::licence::LicenceState;

    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn the_demo_applicants_hold_signed_licences_from_the_start() {
        let dir =
            std::env::temp_dir().join(format!("onewindow-demo-licences-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let clock = Arc::new(ManualClock::at_local_morning(day));
        let service = Service::new(store, Calendar::prc(), clock, "330226");
        service.seed_demo(0).await.expect("catalogue");
        service.seed_demo_hall().await.expect("hall");
        service.seed_demo_accounts().await.expect("accounts");

        assert_eq!(service.seed_demo_licences().await.expect("licences"), 3);
        assert_eq!(
            service.seed_demo_licences().await.expect("again"),
            0,
            "a restarted demo issues nothing twice"
        );
        let enterprise = service
            .demo_actor("enterprise")
            .await
            .expect("read")
            .expect("the demo enterprise");
        let library = service.my_licences(&enterprise).await.expect("library");
        let mut types: Vec<&str> = library
            .iter()
            .map(|l| l.licence.licence_type.as_str())
            .collect();
        types.sort_unstable();
        assert_eq!(types, ["营业执照", "食品经营许可证"]);
        assert!(
            library
                .iter()
                .all(|l| l.current_state == LicenceState::Valid && l.licence.signature.is_some())
        );
        let citizen = service
            .demo_actor("citizen")
            .await
            .expect("read")
            .expect("the demo citizen");
        let theirs = service.my_licences(&citizen).await.expect("library");
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].licence.licence_type, "特种设备作业人员证");
        // Every one verifies without a login.
        for view in library.iter().chain(&theirs) {
            let answer = service
                .verify_licence(&view.licence.identifier)
                .await
                .expect("verified");
            assert_eq!(answer.verdict, onewindow_domain::licence::Verdict::Valid);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
