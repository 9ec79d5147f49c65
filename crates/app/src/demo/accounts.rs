//! The demo accounts: one for each role, the department staff of the joint-approval bundles, and
//! the demo citizen and enterprise, whose cases the generator files now and then.

use onewindow_domain::access::{Post, Role};
use onewindow_domain::identifiers::{ResidentIdNumber, UnifiedSocialCreditCode};

use crate::accounts::{Actor, NewUser};
use crate::error::AppError;
use crate::service::Service;

pub(crate) const DEMO_PERSON_NAME: &str = "林晓梅";
pub(crate) const DEMO_ENTERPRISE_NAME: &str = "宁海县示范民宿有限公司";

/// The identity number of the demo citizen (a valid check character, a made-up person).
pub fn demo_person_identity() -> Option<String> {
    let body = "33022619880615002";
    let check = ResidentIdNumber::check_character(body).ok()?;
    Some(format!("{body}{check}"))
}

/// The credit code of the demo enterprise.
pub fn demo_enterprise_identity() -> Option<String> {
    let body = "91330226MA2DEMH01";
    let check = UnifiedSocialCreditCode::check_character(body).ok()?;
    Some(format!("{body}{check}"))
}

/// One demo account: who it is and the password printed at start. Demo only: these passwords
/// are public (they are in the README).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: &'static str,
    pub password: &'static str,
    pub display_name: &'static str,
    pub posts: Vec<Post>,
    pub identity: Option<String>,
    pub may_reveal_personal_data: bool,
}

/// The centre and department the demo's staff accounts work in.
pub const DEMO_CENTRE: &str = "county-hall";
pub const DEMO_DEPARTMENT: &str = "SCJGJ";

/// One account for each role.
pub fn demo_accounts() -> Vec<DemoAccount> {
    let account = |username, password, display_name, posts| DemoAccount {
        username,
        password,
        display_name,
        posts,
        identity: None,
        may_reveal_personal_data: false,
    };
    vec![
        account(
            "admin",
            "guanli-2026",
            "系统管理员",
            vec![Post::new(Role::Administrator)],
        ),
        DemoAccount {
            may_reveal_personal_data: true,
            ..account(
                "clerk",
                "chuangkou-2026",
                "综合窗口 张敏",
                vec![Post::new(Role::Clerk).at_centre(DEMO_CENTRE)],
            )
        },
        account(
            "reviewer",
            "shencha-2026",
            "市场监管局 审查 李强",
            vec![Post::new(Role::Reviewer).in_department(DEMO_DEPARTMENT)],
        ),
        account(
            "approver",
            "shenpi-2026",
            "市场监管局 首席代表 王芳",
            vec![Post::new(Role::Approver).in_department(DEMO_DEPARTMENT)],
        ),
        account(
            "supervisor",
            "jiancha-2026",
            "效能监察 陈静",
            vec![Post::new(Role::Supervisor)],
        ),
        account(
            "visitor",
            "huifang-2026",
            "回访员 赵丽",
            vec![Post::new(Role::ReturnVisitOperator)],
        ),
        account(
            "agent",
            "daiban-2026",
            "代办员 周伟",
            vec![Post::new(Role::Agent)],
        ),
        account(
            "intermediary",
            "zhongjie-2026",
            "宁海县测绘服务有限公司",
            vec![Post::new(Role::Intermediary)],
        ),
        DemoAccount {
            identity: demo_person_identity(),
            ..account(
                "citizen",
                "shimin-2026",
                DEMO_PERSON_NAME,
                vec![Post::new(Role::Applicant)],
            )
        },
        DemoAccount {
            identity: demo_enterprise_identity(),
            ..account(
                "enterprise",
                "qiye-demo-2026",
                DEMO_ENTERPRISE_NAME,
                vec![Post::new(Role::Applicant)],
            )
        },
    ]
}

impl Service {
    /// Creates the demo accounts that do not exist yet; returns those it created.
    pub async fn seed_demo_accounts(&self) -> Result<Vec<DemoAccount>, AppError> {
        let actor = Actor::command_line("demo");
        let existing: Vec<String> = self
            .users(&actor)
            .await?
            .into_iter()
            .map(|u| u.username)
            .collect();
        let mut created = Vec::new();
        for account in demo_accounts() {
            if existing.iter().any(|u| u == account.username) {
                continue;
            }
            self.create_user(
                &actor,
                NewUser {
                    username: account.username.into(),
                    display_name: account.display_name.into(),
                    password: account.password.into(),
                    identity: account.identity.clone(),
                    phone: None,
                    posts: account.posts.clone(),
                    may_reveal_personal_data: account.may_reveal_personal_data,
                },
            )
            .await?;
            created.push(account);
        }
        Ok(created)
    }
}

/// The demo's department staff for joint cases beside the market-supervision accounts: a
/// reviewer and an approver in each department of the homestay bundle. Demo only: the password
/// is public (it is in the README).
pub fn demo_joint_staff() -> Vec<DemoAccount> {
    let staff = |username, display_name, role, department: &str| DemoAccount {
        username,
        password: DEMO_JOINT_STAFF_PASSWORD,
        display_name,
        posts: vec![Post::new(role).in_department(department)],
        identity: None,
        may_reveal_personal_data: false,
    };
    vec![
        staff("gaj-reviewer", "公安局 审查 孙磊", Role::Reviewer, "GAJ"),
        staff(
            "gaj-approver",
            "公安局 首席代表 吴刚",
            Role::Approver,
            "GAJ",
        ),
        staff(
            "fire-reviewer",
            "消防救援大队 审查 郑涛",
            Role::Reviewer,
            "XFJY",
        ),
        staff(
            "fire-approver",
            "消防救援大队 首席代表 冯军",
            Role::Approver,
            "XFJY",
        ),
        staff(
            "env-reviewer",
            "生态环境分局 审查 何静",
            Role::Reviewer,
            "STHJ",
        ),
        staff(
            "env-approver",
            "生态环境分局 首席代表 许华",
            Role::Approver,
            "STHJ",
        ),
        staff(
            "health-reviewer",
            "卫生健康局 审查 韩梅",
            Role::Reviewer,
            "WJJ",
        ),
        staff(
            "health-approver",
            "卫生健康局 首席代表 曹阳",
            Role::Approver,
            "WJJ",
        ),
    ]
}

/// The password of every account in [`demo_joint_staff`].
pub const DEMO_JOINT_STAFF_PASSWORD: &str = "lianban-2026";
