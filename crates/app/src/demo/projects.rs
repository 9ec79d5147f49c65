//! The demo's investment projects (投资项目), registered by the demo agent (代办员) for the
//! firms it follows, so that the agent's project board is not empty on a fresh demo. They go
//! through [`Service::register_project`] as an agent's registration at the window would: the
//! unified code is issued of the current generation (`YYMM-330226-NN-NN-NNNNNN`) from the
//! service's today, and the plan is the one proposed for the project's type (narrowed by the
//! assessments of the economic development zone, where that region is recorded).

use onewindow_domain::project::{NewProject, ProjectType};
use onewindow_store::accounts as account_rows;

use crate::accounts::principal_of;
use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;

/// The demo agent's user name (data/demo/accounts.json).
pub const DEMO_AGENT: &str = "agent";

/// The region the demo records for the Ninghai economic development zone (`onewindow demo`).
const DEMO_ZONE: &str = "ninghai-economic-development-zone";

/// One demo project: name, owner, owner's credit code, type, government funding, in the zone.
struct DemoProject {
    name: &'static str,
    owner_name: &'static str,
    /// A unified social credit code of Ninghai (330226) with a valid check character.
    owner_identity: &'static str,
    project_type: ProjectType,
    government_funded: bool,
    in_zone: bool,
}

const DEMO_PROJECTS: [DemoProject; 3] = [
    DemoProject {
        name: "年产 200 万套精密模具生产线建设项目",
        owner_name: "宁波宁海精工模具有限公司",
        owner_identity: "91330226MA2H7K3P1B",
        project_type: ProjectType::Industrial,
        government_funded: false,
        in_zone: true,
    },
    DemoProject {
        name: "跃龙街道商业综合体项目",
        owner_name: "宁海县跃龙置业有限公司",
        owner_identity: "91330226MA2J4R8T0C",
        project_type: ProjectType::Commercial,
        government_funded: false,
        in_zone: false,
    },
    DemoProject {
        name: "桥头胡街道中心幼儿园新建工程",
        owner_name: "宁海县桥头胡街道办事处",
        owner_identity: "11330226MB1A2C3D4E",
        project_type: ProjectType::Public,
        government_funded: true,
        in_zone: false,
    },
];

impl Service {
    /// Registers the demo's investment projects as the demo agent, who then follows them on
    /// its board. Does nothing when the agent account is missing or already follows a project
    /// (a restarted demo keeps what it has). Returns the number registered.
    pub async fn seed_demo_projects(&self) -> Result<usize, AppError> {
        let Some(agent) =
            account_rows::user_by_username(self.store().readers(), DEMO_AGENT).await?
        else {
            return Ok(0);
        };
        let actor = Actor::new(principal_of(&agent), "demo");
        if self
            .projects(&actor)
            .await?
            .iter()
            .any(|p| p.agent.as_deref() == Some(DEMO_AGENT))
        {
            return Ok(0);
        }
        let zone_recorded = self.regions().await?.iter().any(|r| r.code == DEMO_ZONE);
        let mut registered = 0;
        for demo in &DEMO_PROJECTS {
            let owner_identity = owner_identity(demo.owner_identity)?;
            self.register_project(
                &actor,
                NewProject {
                    name: demo.name.to_string(),
                    owner_identity,
                    owner_name: demo.owner_name.to_string(),
                    project_type: demo.project_type,
                    government_funded: demo.government_funded,
                    region: (demo.in_zone && zone_recorded).then(|| DEMO_ZONE.to_string()),
                    land_obtained_on: None,
                },
            )
            .await?;
            registered += 1;
        }
        Ok(registered)
    }
}

/// The demo owner's credit code with its check character computed, so that the table above
/// cannot hold a code the register refuses: the first 17 characters are the body.
fn owner_identity(code: &str) -> Result<String, AppError> {
    use onewindow_domain::identifiers::UnifiedSocialCreditCode;
    let body = code.get(..17).unwrap_or(code);
    let check = UnifiedSocialCreditCode::check_character(body)
        .map_err(|e| AppError::Internal(format!("demo project owner {code}: {e}")))?;
    Ok(format!("{body}{check}"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use onewindow_domain::calendar::Calendar;
    use onewindow_domain::project::{CodeGeneration, ProjectCode};

    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn after_the_demo_seed_the_agents_board_lists_its_projects() {
        let dir =
            std::env::temp_dir().join(format!("onewindow-demo-projects-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let clock = Arc::new(ManualClock::at_local_morning(day));
        let service = Service::new(store, Calendar::prc(), clock, "330226");
        service.seed_demo(0).await.expect("catalogue");
        service.seed_demo_hall().await.expect("hall");
        service.seed_demo_accounts().await.expect("accounts");

        assert_eq!(service.seed_demo_projects().await.expect("projects"), 3);
        assert_eq!(
            service.seed_demo_projects().await.expect("again"),
            0,
            "a restarted demo registers nothing twice"
        );

        let agent = account_rows::user_by_username(service.store().readers(), DEMO_AGENT)
            .await
            .expect("read")
            .expect("the demo agent");
        let actor = Actor::new(principal_of(&agent), "test");
        let board = service.project_board(&actor, None).await.expect("board");
        assert_eq!(board.len(), 3, "{board:?}");
        for line in &board {
            assert_eq!(line.agent.as_deref(), Some(DEMO_AGENT));
            let code = ProjectCode::parse(&line.code).expect("a project code");
            assert_eq!(code.generation(), CodeGeneration::Current);
            assert!(line.code.starts_with("2611-330226-"), "{}", line.code);
            assert!(line.steps > 0);
        }
        let names: Vec<&str> = board.iter().map(|l| l.name.as_str()).collect();
        assert!(names.contains(&"跃龙街道商业综合体项目"), "{names:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
