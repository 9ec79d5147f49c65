//! The demo accounts: one for each role, the department staff of the joint-approval bundles, and
//! the demo citizen and enterprise, in whose names the case generator files a few cases.
//!
//! They are data: `data/demo/accounts.json`, built into the binary and created at the demo's
//! first start through the same [`Service::create_user`] as `onewindow user add`. Demo only:
//! these passwords are public (they are printed at start and listed in the README).

use onewindow_domain::access::{Post, Role};
use onewindow_domain::case::{Applicant, ApplicantKind};
use onewindow_domain::identifiers::{ResidentIdNumber, UnifiedSocialCreditCode};
use serde::Deserialize;

use crate::accounts::{Actor, NewUser};
use crate::error::AppError;
use crate::service::Service;

/// `data/demo/accounts.json` as built into the binary.
pub const ACCOUNTS_JSON: &str = include_str!("../../../../data/demo/accounts.json");

/// The password of every account in [`demo_joint_staff`] (the test checks the file agrees).
pub const DEMO_JOINT_STAFF_PASSWORD: &str = "lianban-2026";

/// One demo account: who it is and the password printed at start.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub posts: Vec<Post>,
    /// The identity number or credit code an applicant account stands for.
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub may_reveal_personal_data: bool,
}

impl DemoAccount {
    /// The account as `onewindow user add` creates it.
    pub fn new_user(&self) -> NewUser {
        NewUser {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            password: self.password.clone(),
            identity: self.identity.clone(),
            phone: None,
            posts: self.posts.clone(),
            may_reveal_personal_data: self.may_reveal_personal_data,
        }
    }
}

/// The shape of `data/demo/accounts.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    /// One account for each role, created by [`Service::seed_demo_accounts`].
    accounts: Vec<DemoAccount>,
    /// A reviewer and an approver in each department of the homestay bundle beside the
    /// market-supervision accounts, created with the bundles by
    /// [`Service::seed_demo_bundles`](crate::Service::seed_demo_bundles).
    joint_staff: Vec<DemoAccount>,
}

fn accounts_file() -> Result<AccountsFile, AppError> {
    serde_json::from_str(ACCOUNTS_JSON).map_err(|e| {
        AppError::Internal(format!(
            "the demo accounts built into this binary (data/demo/accounts.json) are not valid: {e}"
        ))
    })
}

/// One account for each role.
pub fn demo_accounts() -> Result<Vec<DemoAccount>, AppError> {
    Ok(accounts_file()?.accounts)
}

/// The demo's department staff for joint cases.
pub fn demo_joint_staff() -> Result<Vec<DemoAccount>, AppError> {
    Ok(accounts_file()?.joint_staff)
}

/// The applicants the demo's applicant accounts stand for, in the order of the file (a person
/// by identity number, an enterprise by credit code): the case generator files a few cases in
/// their names, so that their "my cases" is not empty.
pub fn demo_applicants() -> Result<Vec<Applicant>, AppError> {
    let mut applicants = Vec::new();
    for account in demo_accounts()? {
        if !account.posts.iter().any(|p| p.role == Role::Applicant) {
            continue;
        }
        let Some(identity) = account.identity else {
            continue;
        };
        let (kind, phone) = if ResidentIdNumber::parse(&identity).is_ok() {
            (ApplicantKind::Person, "13805740000")
        } else if UnifiedSocialCreditCode::parse(&identity).is_ok() {
            (ApplicantKind::Enterprise, "0574-65550000")
        } else {
            return Err(AppError::Internal(format!(
                "the demo account {} stands for {identity}, neither an identity number nor a \
                 credit code",
                account.username
            )));
        };
        applicants.push(Applicant {
            kind,
            name: account.display_name,
            id_number: identity,
            phone: Some(phone.into()),
        });
    }
    Ok(applicants)
}

impl Service {
    /// Creates the demo accounts that do not exist yet; returns those it created.
    pub async fn seed_demo_accounts(&self) -> Result<Vec<DemoAccount>, AppError> {
        self.create_demo_accounts(&Actor::command_line("demo"), demo_accounts()?)
            .await
    }

    /// Creates those of `accounts` whose user name is not taken yet; returns them.
    pub(crate) async fn create_demo_accounts(
        &self,
        actor: &Actor,
        accounts: Vec<DemoAccount>,
    ) -> Result<Vec<DemoAccount>, AppError> {
        let existing: Vec<String> = self
            .users(actor)
            .await?
            .into_iter()
            .map(|u| u.username)
            .collect();
        let mut created = Vec::new();
        for account in accounts {
            if existing.contains(&account.username) {
                continue;
            }
            self.create_user(actor, account.new_user()).await?;
            created.push(account);
        }
        Ok(created)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn eleven_accounts_by_role_and_eight_joint_staff_with_distinct_names() {
        let accounts = demo_accounts().expect("the demo accounts parse");
        let staff = demo_joint_staff().expect("the joint staff parse");
        assert_eq!((accounts.len(), staff.len()), (11, 8));
        let names: HashSet<_> = accounts
            .iter()
            .chain(&staff)
            .map(|a| a.username.as_str())
            .collect();
        assert_eq!(names.len(), 19);
        let roles: HashSet<_> = accounts
            .iter()
            .flat_map(|a| &a.posts)
            .map(|p| p.role)
            .collect();
        assert_eq!(roles.len(), 9, "every role has an account");
        for a in &staff {
            assert_eq!(a.password, DEMO_JOINT_STAFF_PASSWORD, "{}", a.username);
            assert!(
                a.posts
                    .iter()
                    .all(|p| matches!(p.role, Role::Reviewer | Role::Approver)
                        && p.department.is_some()),
                "{}",
                a.username
            );
        }
    }

    #[test]
    fn the_demo_citizen_and_enterprise_apply_in_their_own_names() {
        let applicants = demo_applicants().expect("the demo applicants");
        let shown: Vec<_> = applicants
            .iter()
            .map(|a| (a.kind, a.name.as_str(), a.id_number.as_str()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (ApplicantKind::Person, "林晓梅", "330226198806150022"),
                (
                    ApplicantKind::Enterprise,
                    "宁海县示范民宿有限公司",
                    "91330226MA2DEMH01W"
                ),
            ]
        );
    }
}
