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
            let submitted = self
                .submit_case(
                    filer,
                    SubmitCase {
                        item_code: item_code.to_string(),
                        applicant: Applicant {
                            kind,
                            name: name.to_string(),
                            id_number: identity,
                            phone: None,
                        },
                        channel: Channel::Online,
                        centre: "county-hall".into(),
                        materials: item
                            .item
                            .demanded_materials()
                            .map(|m| m.key.clone())
                            .collect(),
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
            issued += licence_rows::of_case(self.store().readers(), &case.id)
                .await?
                .len();
        }
        Ok(issued)
    }
}
