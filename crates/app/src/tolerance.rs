//! 容缺受理 and 告知承诺制 in the service: the county's rule for a promise not kept, the sweep
//! that reminds applicants of their promises and applies the rule when one is broken, the
//! department's list of commitments to check, and the list of false commitments the window
//! consults. The rules themselves are the domain's (`onewindow_domain::tolerance`); the commands
//! run through [`Service::execute`] like every other.

use chrono::NaiveDate;
use onewindow_domain::access::{self, Decision};
use onewindow_domain::case::CaseCommand;
use onewindow_domain::tolerance::BrokenPromiseRule;
use onewindow_domain::validation::FieldError;
use onewindow_store::Conn;
use onewindow_store::audit as audit_rows;
use onewindow_store::cases as case_rows;
use onewindow_store::tolerance::{self as rows, CommitmentRow};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;
use onewindow_domain::access::Operation;
use onewindow_domain::audit::Outcome;

/// Where the county's rule is kept.
const RULE_STATE: &str = "policy:broken-promise";

/// The county's settings of 容缺受理.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TolerancePolicy {
    /// What happens to a case whose promised material did not arrive by its day.
    pub broken_promise_rule: BrokenPromiseRule,
}

/// One commitment in a list (the department's checks, the false commitments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitmentEntry {
    pub case_id: String,
    pub case_number: String,
    pub material: String,
    pub department: String,
    pub item_name: String,
    pub applicant_name: String,
    /// Masked: the first four and the last four characters.
    pub applicant_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub signed_on: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub check_due_on: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub checked_on: Option<NaiveDate>,
    pub truthful: Option<bool>,
    pub note: Option<String>,
    /// Working days left to the check's last day (negative when late), while it awaits.
    pub days_left: Option<i64>,
}

fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// What a sweep of promises did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PromiseSweep {
    pub reminded: usize,
    pub broken: usize,
}

/// Refuses a commitment from an applicant with a commitment found false on record: the window
/// asks for the certificate itself.
pub(crate) async fn refuse_a_false_committer(
    conn: &mut Conn,
    applicant_id: &str,
) -> Result<(), AppError> {
    if let Some(row) = rows::found_false(&mut *conn, Some(applicant_id), 1)
        .await?
        .into_iter()
        .next()
    {
        return Err(AppError::Invalid(vec![FieldError::new(
            "commitments",
            format!(
                "a commitment of this applicant was found false on {} (case {}): a commitment is not taken from them; the material itself is needed",
                row.checked_on
                    .map_or_else(|| "—".to_string(), |d| d.to_string()),
                row.case_number
            ),
        )]));
    }
    Ok(())
}

impl Service {
    /// The county's settings of 容缺受理.
    pub async fn tolerance_policy(&self) -> Result<TolerancePolicy, AppError> {
        let stored = onewindow_store::monitor::state(self.store().readers(), RULE_STATE).await?;
        Ok(TolerancePolicy {
            broken_promise_rule: stored
                .as_deref()
                .and_then(BrokenPromiseRule::parse)
                .unwrap_or_default(),
        })
    }

    /// Sets the county's settings of 容缺受理. Administrators.
    pub async fn set_tolerance_policy(
        &self,
        actor: &Actor,
        policy: TolerancePolicy,
    ) -> Result<TolerancePolicy, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let now = self.now();
        let actor = actor.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let rule = policy.broken_promise_rule.as_str();
                    onewindow_store::monitor::set_state(&mut *conn, RULE_STATE, rule).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "tolerance.settings",
                            "tolerance",
                            Outcome::Success,
                            format!("broken promise: {rule}"),
                        ),
                    )
                    .await?;
                    Ok(policy)
                })
            })
            .await
    }

    /// Reminds applicants of promises due within two working days and applies the county's
    /// rule to promises whose day passed. Safe on any node at any time: a case already moved is
    /// left for the next sweep.
    pub async fn sweep_promises(&self) -> Result<PromiseSweep, AppError> {
        let today = self.today();
        let rule = self.tolerance_policy().await?.broken_promise_rule;
        let calendar = self.calendar();
        // A superset: two working days ahead are at most a fortnight of calendar days.
        let horizon = today + chrono::Duration::days(14);
        let ids = rows::cases_with_promises_due(self.store().readers(), horizon).await?;
        let mut sweep = PromiseSweep::default();
        for id in ids {
            let Some(case) = case_rows::load(self.store().readers(), &id)
                .await?
                .filter(|c| c.status.is_on_clock())
            else {
                continue;
            };
            let mut version = case.version;
            for promise in case.promises.iter().filter(|p| p.is_open()) {
                let command = if promise.is_broken_on(today) {
                    CaseCommand::BreakPromise {
                        material: promise.key.clone(),
                        rule,
                    }
                } else if promise.reminder_due(&calendar, today).unwrap_or(false) {
                    CaseCommand::RemindPromise {
                        material: promise.key.clone(),
                    }
                } else {
                    continue;
                };
                let broken = matches!(command, CaseCommand::BreakPromise { .. });
                match self.execute(&Actor::system(), &id, version, command).await {
                    Ok(next) => {
                        version = next.version;
                        if broken {
                            sweep.broken += 1;
                        } else {
                            sweep.reminded += 1;
                        }
                    }
                    Err(
                        AppError::Invalid(_)
                        | AppError::NotAllowed { .. }
                        | AppError::VersionConflict { .. }
                        | AppError::Calendar(_),
                    ) => break,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(sweep)
    }

    /// The commitments accepted and awaiting the department's check, earliest last day first:
    /// a department's reviewers and approvers see their own, supervisors all.
    pub async fn commitment_checks(&self, actor: &Actor) -> Result<Vec<CommitmentEntry>, AppError> {
        let departments =
            access::commitment_check_departments(&actor.principal).map_err(AppError::Forbidden)?;
        let rows =
            rows::awaiting_check(self.store().readers(), departments.as_deref(), 500).await?;
        Ok(self.entries(rows))
    }

    /// The commitments found false (承诺不实名单), latest first; of one applicant when
    /// `applicant_id` is given. Staff only.
    pub async fn false_commitments(
        &self,
        actor: &Actor,
        applicant_id: Option<&str>,
    ) -> Result<Vec<CommitmentEntry>, AppError> {
        if let Decision::Refuse(reason) = access::decide_false_commitment_list(&actor.principal) {
            return Err(AppError::Forbidden(reason));
        }
        let id = applicant_id.map(str::trim).filter(|s| !s.is_empty());
        let rows = rows::found_false(self.store().readers(), id, 500).await?;
        Ok(self.entries(rows))
    }

    fn entries(&self, rows: Vec<CommitmentRow>) -> Vec<CommitmentEntry> {
        let calendar = self.calendar();
        let today = self.today();
        rows.into_iter()
            .map(|r| {
                let days_left = match (r.check_due_on, r.checked_on) {
                    (Some(due), None) if due >= today => calendar
                        .working_days_between(today, due)
                        .ok()
                        .map(i64::from),
                    (Some(due), None) => calendar
                        .working_days_between(due, today)
                        .ok()
                        .map(|d| -i64::from(d)),
                    _ => None,
                };
                CommitmentEntry {
                    case_id: r.case_id,
                    case_number: r.case_number,
                    material: r.material,
                    department: r.department,
                    item_name: r.item_name,
                    applicant_name: r.applicant_name,
                    applicant_id: mask(&r.applicant_id),
                    signed_on: r.signed_on,
                    check_due_on: r.check_due_on,
                    checked_on: r.checked_on,
                    truthful: r.truthful,
                    note: r.note,
                    days_left,
                }
            })
            .collect()
    }
}
