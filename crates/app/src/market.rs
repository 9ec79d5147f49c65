//! The online intermediary supermarket (网上中介超市) as commands and views: firms register and
//! are admitted, owners post needs under their projects, admitted firms quote, the owner selects
//! by the need's rule, the contract runs on its clock, the accepted report becomes a material of
//! the project's later applications, and the supervising department watches.

use chrono::NaiveDate;
use object_store::ObjectStoreExt as _;
use onewindow_domain::access::{Decision, Principal, Role};
use onewindow_domain::audit::Outcome;
use onewindow_domain::intermediary::{
    self as market, Contract, ContractClockView, ContractRating, ContractStatus, Deliverable, Draw,
    Firm, FirmStatus, MarketError, MarketOperation, MarketParty, Need, NeedProject, NeedStatus,
    NewFirm, NewNeed, NewQuote, NewRating, QuoteViewer,
};
use onewindow_domain::project::{Project, ProjectCode};
use onewindow_store::market::{self as rows, ContractFilter, NeedFilter};
use onewindow_store::projects as project_rows;
use onewindow_store::{Conn, audit as audit_rows, next_counter};
use serde::Serialize;

use crate::actor::Actor;
use crate::clock::local_date;
use crate::error::AppError;
use crate::files::Upload;
use crate::service::Service;

/// The day the contracts' lights were last swept (`monitor_state`).
const MARKET_LIGHTS_STATE: &str = "market-lights-checked-on";

impl From<MarketError> for AppError {
    fn from(e: MarketError) -> Self {
        match e {
            MarketError::Invalid(errors) => AppError::Invalid(errors),
            MarketError::State(message) => AppError::Conflict(message),
            MarketError::Calendar(e) => AppError::Calendar(e),
        }
    }
}

/// A firm as the public list shows it, with what its contracts say of it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FirmSummary {
    pub firm: Firm,
    /// Mean of the owners' ratings (1–5), if any owner rated it.
    pub rating: Option<f64>,
    pub ratings: usize,
    pub contracts: usize,
    /// Contracts whose report was accepted.
    pub completed: usize,
    /// Contracts the firm went past its due day on.
    pub late: usize,
}

/// What the supervising department does to a firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FirmDecision {
    Admit,
    Suspend,
    Remove,
}

/// A contract with its clock as it stands today.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractView {
    pub contract: Contract,
    pub clock: Option<ContractClockView>,
    /// Past its due day now, or recorded late.
    pub late: bool,
    /// What the viewer may do now.
    pub actions: Vec<String>,
}

/// One firm's line on the monitoring page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FirmFigures {
    pub uscc: String,
    pub name: String,
    pub status: FirmStatus,
    pub contracts: usize,
    pub completed: usize,
    /// Completed on time, of completed (0–1); none before the first completion.
    pub on_time_rate: Option<f64>,
    /// Mean working days taken and promised over the completed contracts.
    pub mean_days_taken: Option<f64>,
    pub mean_days_promised: Option<f64>,
    /// Mean of price ÷ ceiling over its contracts (0–1).
    pub price_to_ceiling: Option<f64>,
    pub complaints: usize,
    pub rating: Option<f64>,
    /// Running contracts past their due day now.
    pub overdue_now: usize,
    /// Qualifications expiring within 30 days or expired.
    pub qualifications_expiring: usize,
    /// Why the department should act, if it should (empty when not).
    pub act_on: Vec<String>,
}

/// The supervising department's view of the market.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarketMonitor {
    pub firms: Vec<FirmFigures>,
    pub pending_firms: usize,
    pub open_needs: usize,
    pub running_contracts: usize,
    pub completed_contracts: usize,
    /// Completed on time, of completed (0–1).
    pub on_time_rate: Option<f64>,
}

/// The market's share of a project: the intermediary working days of the plan before the
/// market (the catalogue's typical days) and after it (contracts' days in their place), on the
/// critical path to the construction permit.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectMarket {
    pub planned_intermediary_days: u32,
    pub market_intermediary_days: u32,
    pub needs: Vec<Need>,
    pub contracts: Vec<Contract>,
}

/// True when `who` acts for the project's owner: the enterprise's own account, or the account
/// that registered it or follows it as agent.
pub fn acts_for_owner(who: &Principal, project: &Project) -> bool {
    (who.has_role(Role::Applicant)
        && who
            .identity
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(&project.owner_identity)))
        || ((who.has_role(Role::Applicant) || who.has_role(Role::Agent))
            && (project.registered_by.as_deref() == Some(who.username.as_str())
                || project.agent.as_deref() == Some(who.username.as_str())))
}

/// Government staff (or the service itself), who read every contract and every quote.
pub fn is_staff(who: &Principal) -> bool {
    who.is_system()
        || [
            Role::Clerk,
            Role::Reviewer,
            Role::Approver,
            Role::Supervisor,
            Role::ReturnVisitOperator,
        ]
        .iter()
        .any(|r| who.has_role(*r))
}

fn may_supervise(who: &Principal) -> bool {
    market::decide_market(who, MarketOperation::SuperviseFirm, MarketParty::default()).is_allowed()
}

fn refusal(decision: Decision, what: String) -> Result<(), AppError> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Refuse(reason) => Err(AppError::Forbidden(reason)),
        Decision::Hide => Err(AppError::not_found(what)),
    }
}

async fn random_seed() -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The contract's actions `who` may take now, by the contract's state.
fn contract_actions(who: &Principal, party: MarketParty, contract: &Contract) -> Vec<String> {
    let owner = market::decide_market(who, MarketOperation::OwnerStep, party).is_allowed();
    let firm = market::decide_market(who, MarketOperation::FirmStep, party).is_allowed();
    let mut actions: Vec<&str> = Vec::new();
    match contract.status {
        ContractStatus::AwaitingHandover if owner => actions.push("hand_over"),
        ContractStatus::Working if firm => actions.extend(["wait_on_owner", "deliver"]),
        ContractStatus::WaitingOnOwner if owner => actions.push("owner_supplied"),
        ContractStatus::Delivered if owner => actions.extend(["accept", "return"]),
        ContractStatus::Accepted if owner && contract.rating.is_none() => actions.push("rate"),
        _ => {}
    }
    if owner {
        actions.push("complain");
    }
    actions.into_iter().map(str::to_string).collect()
}

impl Service {
    async fn firm_of(&self, who: &Principal) -> Result<Option<Firm>, AppError> {
        if !who.has_role(Role::Intermediary) {
            return Ok(None);
        }
        Ok(rows::firm_of_account(self.store().readers(), &who.username).await?)
    }

    async fn refused(&self, actor: &Actor, action: &str, target: String, e: AppError) -> AppError {
        if let AppError::Forbidden(reason) = &e
            && let Err(audit) = self.audit_denied(actor, action, target, reason).await
        {
            return audit;
        }
        e
    }

    /// Registers the firm the intermediary's account acts for; it waits for admission.
    pub async fn register_firm(&self, actor: &Actor, new: NewFirm) -> Result<Firm, AppError> {
        let decision = market::decide_market(
            &actor.principal,
            MarketOperation::RegisterFirm,
            MarketParty::default(),
        );
        if let Err(e) = refusal(decision, "firm".into()) {
            return Err(self
                .refused(actor, "market.register_firm", "firm:new".into(), e)
                .await);
        }
        if self.firm_of(&actor.principal).await?.is_some() {
            return Err(AppError::Conflict(format!(
                "the account {} acts for a registered firm already",
                actor.username()
            )));
        }
        let firm =
            Firm::register(new, actor.username(), self.today()).map_err(AppError::Invalid)?;
        let now = self.now();
        let actor = actor.clone();
        let saved = firm.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    if rows::get_firm(&mut *conn, &firm.uscc).await?.is_some() {
                        return Err(AppError::Conflict(format!(
                            "a firm with the code {} is registered already",
                            firm.uscc
                        )));
                    }
                    rows::insert_firm(&mut *conn, &firm, &now.to_rfc3339()).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "market.register_firm",
                            format!("firm:{}", firm.uscc),
                            Outcome::Success,
                            firm.services.join(","),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(saved)
    }

    /// The firm changes what it registered (services, qualifications, regions, staff, contact):
    /// a renewed qualification lets it quote again. Its status stays.
    pub async fn update_firm(
        &self,
        actor: &Actor,
        uscc: &str,
        expected_version: u64,
        new: NewFirm,
    ) -> Result<Firm, AppError> {
        let errors = new.validate();
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        self.change_firm(
            actor,
            uscc,
            expected_version,
            "market.update_firm",
            move |who, firm| {
                let party = MarketParty {
                    owner: false,
                    firm: firm.accounts.contains(&who.username),
                };
                // The registry is public: someone else is told they may not, not that it is not there.
                if !party.firm || !who.has_role(Role::Intermediary) {
                    return Err(AppError::Forbidden(
                        "only the firm's own accounts change its registration".into(),
                    ));
                }
                if !new.uscc.trim().eq_ignore_ascii_case(&firm.uscc) {
                    return Err(AppError::invalid("uscc", "a firm's code does not change"));
                }
                // What the department admitted on is checked again: a changed service,
                // qualification or region waits for its review before the firm quotes.
                let changed = firm.services != new.services
                    || firm.qualifications != new.qualifications
                    || firm.regions != new.regions;
                let review = changed && firm.status == FirmStatus::Admitted;
                if review {
                    firm.status = FirmStatus::Pending;
                    firm.status_reason =
                        Some("changed services, qualifications or regions await review".into());
                }
                firm.name = new.name.trim().to_string();
                firm.services = new.services;
                firm.qualifications = new.qualifications;
                firm.regions = new.regions;
                firm.staff = new.staff;
                firm.contact = new.contact.trim().to_string();
                firm.phone = new.phone.trim().to_string();
                let qualifications: Vec<String> = firm
                    .qualifications
                    .iter()
                    .map(|q| {
                        format!(
                            "{} {} {} until {}",
                            q.service, q.level, q.number, q.valid_until
                        )
                    })
                    .collect();
                Ok(format!(
                    "services {}; qualifications {}; regions {}{}",
                    firm.services.join(","),
                    qualifications.join(", "),
                    firm.regions.join(","),
                    if review { "; back to review" } else { "" }
                ))
            },
        )
        .await
    }

    /// The supervising department admits, suspends or removes a firm; suspending and removing
    /// need a reason.
    pub async fn decide_firm(
        &self,
        actor: &Actor,
        uscc: &str,
        expected_version: u64,
        decision: FirmDecision,
        reason: &str,
    ) -> Result<Firm, AppError> {
        let reason = reason.trim().to_string();
        self.change_firm(
            actor,
            uscc,
            expected_version,
            "market.decide_firm",
            move |who, firm| {
                refusal(
                    market::decide_market(
                        who,
                        MarketOperation::SuperviseFirm,
                        MarketParty::default(),
                    ),
                    format!("firm {}", firm.uscc),
                )?;
                let (status, allowed_from): (FirmStatus, &[FirmStatus]) = match decision {
                    FirmDecision::Admit => (
                        FirmStatus::Admitted,
                        &[FirmStatus::Pending, FirmStatus::Suspended],
                    ),
                    FirmDecision::Suspend => (FirmStatus::Suspended, &[FirmStatus::Admitted]),
                    FirmDecision::Remove => (
                        FirmStatus::Removed,
                        &[
                            FirmStatus::Pending,
                            FirmStatus::Admitted,
                            FirmStatus::Suspended,
                        ],
                    ),
                };
                if !allowed_from.contains(&firm.status) {
                    return Err(AppError::Conflict(format!(
                        "the firm is {}: it cannot be made {}",
                        firm.status.as_str(),
                        status.as_str()
                    )));
                }
                if decision != FirmDecision::Admit && reason.is_empty() {
                    return Err(AppError::invalid(
                        "reason",
                        "give the reason, it is published",
                    ));
                }
                firm.status = status;
                firm.status_reason = (!reason.is_empty()).then(|| reason.clone());
                Ok(format!("{} {}", status.as_str(), reason))
            },
        )
        .await
    }

    async fn change_firm(
        &self,
        actor: &Actor,
        uscc: &str,
        expected_version: u64,
        action: &'static str,
        change: impl FnOnce(&Principal, &mut Firm) -> Result<String, AppError> + Send + 'static,
    ) -> Result<Firm, AppError> {
        let now = self.now();
        let owned = actor.clone();
        let uscc_owned = uscc.trim().to_ascii_uppercase();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let mut firm = rows::get_firm(&mut *conn, &uscc_owned)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("firm {uscc_owned}")))?;
                    if firm.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: firm.version,
                        });
                    }
                    let detail = change(&owned.principal, &mut firm)?;
                    firm.version += 1;
                    if !rows::update_firm(&mut *conn, &firm, expected_version, &now.to_rfc3339())
                        .await?
                    {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: expected_version + 1,
                        });
                    }
                    audit_rows::append(
                        &mut *conn,
                        owned.entry(
                            now,
                            action,
                            format!("firm:{}", firm.uscc),
                            Outcome::Success,
                            detail,
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(firm)
                })
            })
            .await;
        match result {
            Err(e) => Err(self.refused(actor, action, format!("firm:{uscc}"), e).await),
            ok => ok,
        }
    }

    /// The firms as `actor` sees them: the public the admitted ones (and a firm itself), the
    /// supervising department every firm, of one status when `status` is given. The accounts
    /// acting for a firm are shown to the department only.
    pub async fn firms(
        &self,
        actor: &Actor,
        status: Option<FirmStatus>,
    ) -> Result<Vec<FirmSummary>, AppError> {
        let who = &actor.principal;
        let supervisor = may_supervise(who) || who.has_role(Role::Supervisor);
        let own = self.firm_of(who).await?.map(|f| f.uscc);
        let readers = self.store().readers();
        let firms = rows::firms(readers, status.map(FirmStatus::as_str)).await?;
        let contracts = rows::contracts(readers, &ContractFilter::default()).await?;
        let today = self.today();
        let calendar = self.calendar();
        Ok(firms
            .into_iter()
            .filter(|f| {
                // Suspended and removed firms stay listed with their reason; a registration
                // not yet admitted is the department's and the firm's.
                supervisor || f.status != FirmStatus::Pending || own.as_ref() == Some(&f.uscc)
            })
            .map(|mut firm| {
                let mine: Vec<&Contract> =
                    contracts.iter().filter(|c| c.firm == firm.uscc).collect();
                let rated: Vec<f64> = mine
                    .iter()
                    .filter_map(|c| c.rating.as_ref())
                    .map(ContractRating::mean)
                    .collect();
                if !supervisor {
                    firm.accounts.clear();
                }
                FirmSummary {
                    rating: (!rated.is_empty())
                        .then(|| rated.iter().sum::<f64>() / rated.len() as f64),
                    ratings: rated.len(),
                    contracts: mine.len(),
                    completed: mine
                        .iter()
                        .filter(|c| c.status == ContractStatus::Accepted)
                        .count(),
                    late: mine.iter().filter(|c| c.is_late(&calendar, today)).count(),
                    firm,
                }
            })
            .collect())
    }

    /// One firm, if `actor` may see it.
    pub async fn firm(&self, actor: &Actor, uscc: &str) -> Result<FirmSummary, AppError> {
        self.firms(actor, None)
            .await?
            .into_iter()
            .find(|f| f.firm.uscc.eq_ignore_ascii_case(uscc.trim()))
            .ok_or_else(|| AppError::not_found(format!("firm {uscc}")))
    }

    /// The firm the actor's account acts for.
    pub async fn my_firm(&self, actor: &Actor) -> Result<Option<Firm>, AppError> {
        self.firm_of(&actor.principal).await
    }

    /// Posts a need for a service under a project the actor owns or follows as agent. The plan's
    /// work it does is found from the service (or the step named), with the plan's days.
    pub async fn post_need(&self, actor: &Actor, new: NewNeed) -> Result<Need, AppError> {
        let code = ProjectCode::parse(&new.project_code)
            .map_err(|e| AppError::invalid("project_code", e.to_string()))?;
        let target = format!("project:{code}");
        // A draw's seed is fixed now, before any quote; its SHA-256 is published with the need.
        let seed = random_seed().await?;
        let now = self.now();
        let owned = actor.clone();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let project = project_rows::get(&mut *conn, code.as_str())
                        .await?
                        .filter(|p| {
                            acts_for_owner(&owned.principal, p) || is_staff(&owned.principal)
                        })
                        .ok_or_else(|| AppError::not_found(format!("project {code}")))?;
                    let party = MarketParty {
                        owner: acts_for_owner(&owned.principal, &project),
                        firm: false,
                    };
                    refusal(
                        market::decide_market(&owned.principal, MarketOperation::OwnerStep, party),
                        format!("project {code}"),
                    )?;
                    let taken: Vec<(String, String)> = rows::needs(
                        &mut *conn,
                        &NeedFilter {
                            project_code: Some(code.to_string()),
                            ..NeedFilter::default()
                        },
                        1000,
                    )
                    .await?
                    .into_iter()
                    .filter(|n| n.status != NeedStatus::Closed)
                    .filter_map(|n| n.step_key.zip(n.work_name))
                    .collect();
                    let work = market::planned_work(
                        &project.plan,
                        &new.service,
                        new.step_key.as_deref(),
                        &taken,
                    )
                    .map_err(|e| AppError::Invalid(vec![e]))?;
                    let today = local_date(now);
                    let serial =
                        next_counter(&mut *conn, &format!("market-need:{}", today.format("%Y")))
                            .await?;
                    let id = format!("XQ{}{serial:05}", today.format("%Y"));
                    let need = Need::post(
                        id,
                        new,
                        NeedProject {
                            code: project.code.to_string(),
                            name: project.name.clone(),
                            owner_identity: project.owner_identity.clone(),
                            owner_name: project.owner_name.clone(),
                            division: project.code.division().to_string(),
                        },
                        work,
                        &owned.principal.username,
                        today,
                        &seed,
                    )?;
                    rows::insert_need(&mut *conn, &need, &now.to_rfc3339()).await?;
                    audit_rows::append(
                        &mut *conn,
                        owned.entry(
                            now,
                            "market.post_need",
                            format!("need:{}", need.id),
                            Outcome::Success,
                            format!(
                                "{} {} {}",
                                need.project_code,
                                need.service,
                                need.rule.as_str()
                            ),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(need)
                })
            })
            .await;
        match result {
            Err(e) => Err(self.refused(actor, "market.post_need", target, e).await),
            Ok(need) => Ok(need.as_seen_by(&QuoteViewer::Owner, self.today())),
        }
    }

    async fn quote_viewer(&self, who: &Principal, need: &Need) -> Result<QuoteViewer, AppError> {
        if may_supervise(who) || who.has_role(Role::Supervisor) || who.is_system() {
            return Ok(QuoteViewer::Supervisor);
        }
        if let Some(project) = project_rows::get(self.store().readers(), &need.project_code).await?
            && acts_for_owner(who, &project)
        {
            return Ok(QuoteViewer::Owner);
        }
        Ok(match self.firm_of(who).await? {
            Some(firm) => QuoteViewer::Firm(firm.uscc),
            None => QuoteViewer::Public,
        })
    }

    /// One need as `actor` may see it (quotes are sealed while they are taken).
    pub async fn need(&self, actor: &Actor, id: &str) -> Result<Need, AppError> {
        let need = rows::get_need(self.store().readers(), id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("need {id}")))?;
        let viewer = self.quote_viewer(&actor.principal, &need).await?;
        Ok(need.as_seen_by(&viewer, self.today()))
    }

    /// Needs, newest first: open ones, of a project, or all; each as `actor` may see it.
    pub async fn needs(
        &self,
        actor: &Actor,
        status: Option<NeedStatus>,
        project_code: Option<&str>,
    ) -> Result<Vec<Need>, AppError> {
        let needs = rows::needs(
            self.store().readers(),
            &NeedFilter {
                status: status.map(|s| s.as_str().to_string()),
                project_code: project_code.map(str::to_string),
            },
            200,
        )
        .await?;
        let mut out = Vec::with_capacity(needs.len());
        for need in needs {
            let viewer = self.quote_viewer(&actor.principal, &need).await?;
            out.push(need.as_seen_by(&viewer, self.today()));
        }
        Ok(out)
    }

    /// The actor's firm quotes on a need (a second quote replaces the first).
    pub async fn quote(
        &self,
        actor: &Actor,
        need_id: &str,
        new: NewQuote,
    ) -> Result<Need, AppError> {
        let firm = self.firm_of(&actor.principal).await?;
        let party = MarketParty {
            owner: false,
            firm: firm.is_some(),
        };
        let decision = market::decide_market(&actor.principal, MarketOperation::FirmStep, party);
        if let Err(e) = refusal(decision, format!("need {need_id}")) {
            return Err(self
                .refused(actor, "market.quote", format!("need:{need_id}"), e)
                .await);
        }
        let Some(firm) = firm else {
            return Err(AppError::invalid("firm", "register the firm first"));
        };
        let now = self.now();
        let owned = actor.clone();
        let id = need_id.to_string();
        let need = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    // The firm as it stands in this transaction: a suspension or an expiry
                    // since the page was read counts.
                    let firm = rows::get_firm(&mut *conn, &firm.uscc)
                        .await?
                        .ok_or_else(|| AppError::not_found("firm"))?;
                    let mut need = rows::get_need(&mut *conn, &id)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("need {id}")))?;
                    let expected = need.version;
                    need.quote(&firm, new, local_date(now), now)?;
                    if !rows::update_need(&mut *conn, &need, expected, &now.to_rfc3339()).await? {
                        return Err(AppError::Conflict(format!(
                            "need {id} changed meanwhile; quote again"
                        )));
                    }
                    let price = need
                        .quotes
                        .iter()
                        .find(|q| q.firm == firm.uscc)
                        .map_or(0, |q| q.price_fen);
                    audit_rows::append(
                        &mut *conn,
                        owned.entry(
                            now,
                            "market.quote",
                            format!("need:{id}"),
                            Outcome::Success,
                            format!("{} {price}", firm.uscc),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>((need, firm.uscc))
                })
            })
            .await
            .map(|(need, uscc)| need.as_seen_by(&QuoteViewer::Firm(uscc), local_date(now)))?;
        Ok(need)
    }

    /// The owner selects the firm by the need's rule (a direct choice names `chosen`) and signs
    /// the contract, in one transaction. A draw's seed is drawn here and recorded.
    pub async fn select_firm(
        &self,
        actor: &Actor,
        need_id: &str,
        expected_version: u64,
        chosen: Option<String>,
    ) -> Result<(Need, Contract), AppError> {
        let seed = random_seed().await?;
        let now = self.now();
        let owned = actor.clone();
        let id = need_id.to_string();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let (mut need, _project) =
                        owner_need(&mut *conn, &owned.principal, &id).await?;
                    if need.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: need.version,
                        });
                    }
                    let today = local_date(now);
                    let mut eligible = Vec::new();
                    for quote in &need.quotes {
                        if let Some(firm) = rows::get_firm(&mut *conn, &quote.firm).await?
                            && firm.may_quote(&need.service, &need.division, today).is_ok()
                        {
                            eligible.push(firm.uscc);
                        }
                    }
                    let serial = next_counter(
                        &mut *conn,
                        &format!("market-contract:{}", today.format("%Y")),
                    )
                    .await?;
                    let contract_id = format!("HT{}{serial:05}", today.format("%Y"));
                    let selection = need.select(
                        today,
                        |firm| eligible.iter().any(|e| e == firm),
                        chosen.as_deref(),
                        &seed,
                        contract_id,
                    )?;
                    let contract = Contract::sign(&need, &selection);
                    if !rows::update_need(&mut *conn, &need, expected_version, &now.to_rfc3339())
                        .await?
                    {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: expected_version + 1,
                        });
                    }
                    rows::insert_contract(&mut *conn, &contract, &now.to_rfc3339()).await?;
                    let draw = selection
                        .draw
                        .as_ref()
                        .map(|d| format!(" seed {} among {}", d.seed, d.numbers.len()))
                        .unwrap_or_default();
                    audit_rows::append(
                        &mut *conn,
                        owned.entry(
                            now,
                            "market.select",
                            format!("need:{id}"),
                            Outcome::Success,
                            format!(
                                "{} {} {}{draw}",
                                need.rule.as_str(),
                                selection.firm,
                                contract.id
                            ),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>((need, contract))
                })
            })
            .await;
        match result {
            Err(e) => Err(self
                .refused(actor, "market.select", format!("need:{need_id}"), e)
                .await),
            ok => ok,
        }
    }

    /// The owner closes an open need without a firm.
    pub async fn close_need(
        &self,
        actor: &Actor,
        need_id: &str,
        expected_version: u64,
        reason: &str,
    ) -> Result<Need, AppError> {
        let now = self.now();
        let owned = actor.clone();
        let id = need_id.to_string();
        let reason = reason.to_string();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let (mut need, _) = owner_need(&mut *conn, &owned.principal, &id).await?;
                    if need.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: need.version,
                        });
                    }
                    need.close(&reason, local_date(now))?;
                    if !rows::update_need(&mut *conn, &need, expected_version, &now.to_rfc3339())
                        .await?
                    {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: expected_version + 1,
                        });
                    }
                    audit_rows::append(
                        &mut *conn,
                        owned.entry(
                            now,
                            "market.close_need",
                            format!("need:{id}"),
                            Outcome::Success,
                            reason,
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(need)
                })
            })
            .await;
        match result {
            Err(e) => Err(self
                .refused(actor, "market.close_need", format!("need:{need_id}"), e)
                .await),
            Ok(need) => Ok(need.as_seen_by(&QuoteViewer::Owner, self.today())),
        }
    }

    /// Re-runs a need's recorded draw with `seed`, for anyone: the same seed gives the recorded
    /// winner; another seed is refused.
    pub async fn rerun_draw(&self, need_id: &str, seed: &str) -> Result<Draw, AppError> {
        let need = rows::get_need(self.store().readers(), need_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("need {need_id}")))?;
        Ok(need.rerun_draw(seed.trim())?)
    }

    async fn contract_party(
        &self,
        who: &Principal,
        contract: &Contract,
    ) -> Result<MarketParty, AppError> {
        let firm = self
            .firm_of(who)
            .await?
            .is_some_and(|f| f.uscc == contract.firm);
        let owner = project_rows::get(self.store().readers(), &contract.project_code)
            .await?
            .is_some_and(|p| acts_for_owner(who, &p));
        Ok(MarketParty { owner, firm })
    }

    fn contract_view(
        &self,
        who: &Principal,
        party: MarketParty,
        contract: Contract,
    ) -> ContractView {
        let mut contract = without_storage_key(contract);
        if !party.owner && !is_staff(who) {
            // The firm reads what was complained of, not which account complained.
            for complaint in &mut contract.complaints {
                complaint.by.clear();
            }
        }
        let calendar = self.calendar();
        let today = self.today();
        ContractView {
            clock: contract
                .clock_on(&calendar, &self.light_rule(), today)
                .ok()
                .flatten(),
            late: contract.is_late(&calendar, today),
            actions: contract_actions(who, party, &contract),
            contract,
        }
    }

    /// One contract, for its owner, its firm and staff.
    pub async fn contract(&self, actor: &Actor, id: &str) -> Result<ContractView, AppError> {
        let contract = rows::get_contract(self.store().readers(), id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("contract {id}")))?;
        let party = self.contract_party(&actor.principal, &contract).await?;
        refusal(
            market::decide_market(&actor.principal, MarketOperation::ReadContract, party),
            format!("contract {id}"),
        )?;
        Ok(self.contract_view(&actor.principal, party, contract))
    }

    /// The contracts `actor` is a party to (a firm's, an owner's projects'), or every contract
    /// for staff.
    pub async fn contracts(&self, actor: &Actor) -> Result<Vec<ContractView>, AppError> {
        let who = &actor.principal;
        let readers = self.store().readers();
        let all = rows::contracts(readers, &ContractFilter::default()).await?;
        let firm = self.firm_of(who).await?.map(|f| f.uscc);
        let mut out = Vec::new();
        for contract in all {
            let owner = if is_staff(who) {
                false
            } else {
                project_rows::get(readers, &contract.project_code)
                    .await?
                    .is_some_and(|p| acts_for_owner(who, &p))
            };
            let party = MarketParty {
                owner,
                firm: firm.as_ref() == Some(&contract.firm),
            };
            if market::decide_market(who, MarketOperation::ReadContract, party).is_allowed() {
                out.push(self.contract_view(who, party, contract));
            }
        }
        Ok(out)
    }

    async fn change_contract(
        &self,
        actor: &Actor,
        id: &str,
        expected_version: u64,
        op: MarketOperation,
        action: &'static str,
        change: impl FnOnce(&mut Contract, NaiveDate) -> Result<String, AppError> + Send + 'static,
    ) -> Result<ContractView, AppError> {
        let now = self.now();
        let owned = actor.clone();
        let id_owned = id.to_string();
        let firm = self.firm_of(&actor.principal).await?.map(|f| f.uscc);
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let mut contract = rows::get_contract(&mut *conn, &id_owned)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("contract {id_owned}")))?;
                    let owner = project_rows::get(&mut *conn, &contract.project_code)
                        .await?
                        .is_some_and(|p| acts_for_owner(&owned.principal, &p));
                    let party = MarketParty {
                        owner,
                        firm: firm.as_ref() == Some(&contract.firm),
                    };
                    refusal(
                        market::decide_market(
                            &owned.principal,
                            MarketOperation::ReadContract,
                            party,
                        ),
                        format!("contract {id_owned}"),
                    )?;
                    refusal(
                        market::decide_market(&owned.principal, op, party),
                        format!("contract {id_owned}"),
                    )?;
                    if contract.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: contract.version,
                        });
                    }
                    let detail = change(&mut contract, local_date(now))?;
                    if !rows::update_contract(
                        &mut *conn,
                        &contract,
                        expected_version,
                        &now.to_rfc3339(),
                    )
                    .await?
                    {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: expected_version + 1,
                        });
                    }
                    audit_rows::append(
                        &mut *conn,
                        owned.entry(
                            now,
                            action,
                            format!("contract:{id_owned}"),
                            Outcome::Success,
                            detail,
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>((contract, party))
                })
            })
            .await;
        match result {
            Ok((contract, party)) => Ok(self.contract_view(&actor.principal, party, contract)),
            Err(e) => Err(self
                .refused(actor, action, format!("contract:{id}"), e)
                .await),
        }
    }

    /// The owner hands over what the firm needs: the contract's clock starts.
    pub async fn hand_over(
        &self,
        actor: &Actor,
        id: &str,
        version: u64,
    ) -> Result<ContractView, AppError> {
        self.change_contract(
            actor,
            id,
            version,
            MarketOperation::OwnerStep,
            "market.hand_over",
            |c, today| {
                c.hand_over(today)?;
                Ok(format!("{} working days", c.agreed_days))
            },
        )
        .await
    }

    /// The firm waits on the owner: its clock stands.
    pub async fn wait_on_owner(
        &self,
        actor: &Actor,
        id: &str,
        version: u64,
        reason: &str,
    ) -> Result<ContractView, AppError> {
        let calendar = self.calendar();
        let reason = reason.to_string();
        self.change_contract(
            actor,
            id,
            version,
            MarketOperation::FirmStep,
            "market.wait_on_owner",
            move |c, today| {
                c.wait_on_owner(&reason, &calendar, today)?;
                Ok(reason)
            },
        )
        .await
    }

    /// The owner has supplied what the firm waited for: the clock runs again.
    pub async fn owner_supplied(
        &self,
        actor: &Actor,
        id: &str,
        version: u64,
    ) -> Result<ContractView, AppError> {
        self.change_contract(
            actor,
            id,
            version,
            MarketOperation::OwnerStep,
            "market.owner_supplied",
            |c, today| {
                c.owner_supplied(today)?;
                Ok(String::new())
            },
        )
        .await
    }

    /// The firm hands in its report (a PDF), stored in the file store; the row and the file
    /// stand or fall together.
    pub async fn deliver_report(
        &self,
        actor: &Actor,
        id: &str,
        version: u64,
        number: &str,
        title: &str,
        upload: Upload,
    ) -> Result<ContractView, AppError> {
        if crate::files::sniff_content_type(&upload.bytes) != Some("application/pdf") {
            return Err(AppError::invalid(
                "file",
                "the report is handed in as a PDF",
            ));
        }
        if upload.bytes.len() > crate::files::MAX_FILE_BYTES {
            return Err(AppError::invalid(
                "file",
                format!(
                    "larger than {} MB",
                    crate::files::MAX_FILE_BYTES / 1024 / 1024
                ),
            ));
        }
        // Who may hand in is checked before anything is stored.
        let contract = rows::get_contract(self.store().readers(), id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("contract {id}")))?;
        let party = self.contract_party(&actor.principal, &contract).await?;
        if let Err(e) = refusal(
            market::decide_market(&actor.principal, MarketOperation::ReadContract, party),
            format!("contract {id}"),
        )
        .and_then(|()| {
            refusal(
                market::decide_market(&actor.principal, MarketOperation::FirmStep, party),
                format!("contract {id}"),
            )
        }) {
            return Err(self
                .refused(actor, "market.deliver", format!("contract:{id}"), e)
                .await);
        }
        let stored = self.put_uploads(actor, vec![upload]).await?;
        let Some(file) = stored.first().cloned() else {
            return Err(AppError::invalid("file", "no file"));
        };
        let calendar = self.calendar();
        let deliverable = Deliverable {
            number: number.trim().to_string(),
            title: title.trim().to_string(),
            file_id: file.id.clone(),
            file_name: file.file_name.clone(),
            storage_key: file.storage_key.clone(),
            sha256: file.sha256.clone(),
            size: file.size,
            delivered_on: self.today(),
            returned: None,
        };
        let result = self
            .change_contract(
                actor,
                id,
                version,
                MarketOperation::FirmStep,
                "market.deliver",
                move |c, today| {
                    let detail = format!("{} sha256 {}", deliverable.number, deliverable.sha256);
                    c.deliver(deliverable, &calendar, today)?;
                    Ok(detail)
                },
            )
            .await;
        if result.is_err() {
            self.remove_objects(&stored).await;
        }
        result
    }

    /// The owner sends the report back with a reason: the firm's clock runs again.
    pub async fn return_report(
        &self,
        actor: &Actor,
        id: &str,
        version: u64,
        reason: &str,
    ) -> Result<ContractView, AppError> {
        let reason = reason.to_string();
        self.change_contract(
            actor,
            id,
            version,
            MarketOperation::OwnerStep,
            "market.return_report",
            move |c, today| {
                c.return_report(&reason, today)?;
                Ok(reason)
            },
        )
        .await
    }

    /// The owner accepts the report: the plan's work is done, and the project's later
    /// applications take the report as a material.
    pub async fn accept_report(
        &self,
        actor: &Actor,
        id: &str,
        version: u64,
    ) -> Result<ContractView, AppError> {
        let calendar = self.calendar();
        self.change_contract(
            actor,
            id,
            version,
            MarketOperation::OwnerStep,
            "market.accept",
            move |c, today| {
                c.accept(&calendar, today)?;
                Ok(format!(
                    "{} of {} working days",
                    c.days_taken.unwrap_or_default(),
                    c.agreed_days
                ))
            },
        )
        .await
    }

    /// The owner rates the firm after acceptance.
    pub async fn rate_firm(
        &self,
        actor: &Actor,
        id: &str,
        version: u64,
        rating: NewRating,
    ) -> Result<ContractView, AppError> {
        self.change_contract(
            actor,
            id,
            version,
            MarketOperation::OwnerStep,
            "market.rate",
            move |c, today| {
                let detail = format!(
                    "{}/{}/{}",
                    rating.timeliness, rating.quality, rating.attitude
                );
                c.rate(ContractRating {
                    timeliness: rating.timeliness,
                    quality: rating.quality,
                    attitude: rating.attitude,
                    comment: rating.comment.trim().to_string(),
                    on: today,
                })?;
                Ok(detail)
            },
        )
        .await
    }

    /// The owner complains about the firm's work.
    pub async fn complain(
        &self,
        actor: &Actor,
        id: &str,
        version: u64,
        text: &str,
    ) -> Result<ContractView, AppError> {
        let text = text.to_string();
        let by = actor.username().to_string();
        self.change_contract(
            actor,
            id,
            version,
            MarketOperation::OwnerStep,
            "market.complain",
            move |c, today| {
                c.complain(&text, &by, today)?;
                Ok(text)
            },
        )
        .await
    }

    /// The report's file, for someone who may read the contract. Audited.
    pub async fn open_report(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(Deliverable, Vec<u8>), AppError> {
        // Who may read it first; then the stored record, which knows where the file is.
        self.contract(actor, id).await?;
        let stored = rows::get_contract(self.store().readers(), id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("contract {id}")))?;
        let Some(report) = stored.deliverables.last().cloned() else {
            return Err(AppError::not_found(format!("the report of contract {id}")));
        };
        let store = self.files_or_refuse()?;
        let bytes = store
            .get(&object_store::path::Path::from(report.storage_key.as_str()))
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => {
                    AppError::not_found(format!("the stored report of contract {id}"))
                }
                e => AppError::Internal(format!("cannot read the report of {id}: {e}")),
            })?
            .bytes()
            .await
            .map_err(|e| AppError::Internal(format!("cannot read the report of {id}: {e}")))?
            .to_vec();
        self.audit_alone(actor.entry(
            self.now(),
            "market.report_read",
            format!("contract:{id}"),
            Outcome::Success,
            report.number.clone(),
        ))
        .await?;
        Ok((report, bytes))
    }

    /// The market's share of a project: needs, contracts, and the intermediary days before and
    /// after, on the critical path to the construction permit.
    pub async fn project_market(
        &self,
        actor: &Actor,
        project: &Project,
    ) -> Result<ProjectMarket, AppError> {
        let readers = self.store().readers();
        let needs = rows::needs(
            readers,
            &NeedFilter {
                project_code: Some(project.code.to_string()),
                ..NeedFilter::default()
            },
            1000,
        )
        .await?;
        let contracts = rows::contracts(
            readers,
            &ContractFilter {
                project_code: Some(project.code.to_string()),
                ..ContractFilter::default()
            },
        )
        .await?;
        let before = project.plan.before_construction();
        let planned = before.schedule().map(|s| s.intermediary_days).unwrap_or(0);
        let after = market::plan_with_contracts(&before, &contracts)
            .schedule()
            .map(|s| s.intermediary_days)
            .unwrap_or(planned);
        let mut seen = Vec::with_capacity(needs.len());
        for need in needs {
            let viewer = self.quote_viewer(&actor.principal, &need).await?;
            seen.push(need.as_seen_by(&viewer, self.today()));
        }
        Ok(ProjectMarket {
            planned_intermediary_days: planned,
            market_intermediary_days: after,
            needs: seen,
            contracts: contracts.into_iter().map(without_storage_key).collect(),
        })
    }

    /// Contracts whose clock turned yellow or red reach the agent following their project, once
    /// per contract and light (the project alerts an agent reads on the board); runs once a day
    /// from the light sweep. The firm and the owner see the light on the contract itself.
    pub async fn sweep_contract_lights(&self) -> Result<usize, AppError> {
        let today = self.today();
        let readers = self.store().readers();
        let checked = onewindow_store::monitor::state(readers, MARKET_LIGHTS_STATE).await?;
        if checked.as_deref() == Some(today.to_string().as_str()) {
            return Ok(0);
        }
        let calendar = self.calendar();
        let rule = self.light_rule();
        let now = self.now();
        let mut alerts = Vec::new();
        for contract in rows::contracts(readers, &ContractFilter::default()).await? {
            let Some(view) = contract.clock_on(&calendar, &rule, today).ok().flatten() else {
                continue;
            };
            if view.light == onewindow_domain::monitor::Light::Green {
                continue;
            }
            let Some(agent) = project_rows::get(readers, &contract.project_code)
                .await?
                .and_then(|p| p.agent)
            else {
                continue;
            };
            let service_name = market::service_type(&contract.service)
                .map_or(contract.service.as_str(), |s| s.name);
            alerts.push(onewindow_store::projects::StallAlert {
                id: uuid::Uuid::now_v7().to_string(),
                project_code: contract.project_code.clone(),
                step_key: format!("market:{}:{}", contract.id, view.light.as_str()),
                recipient: agent,
                project_name: contract.project_name.clone(),
                item_name: format!("中介服务：{service_name}（合同 {}）", contract.id),
                department: contract.firm_name.clone(),
                planned_end: view.due_on.map(|d| d.to_string()).unwrap_or_default(),
                raised_at: now.to_rfc3339(),
                read: false,
            });
        }
        let day = today.to_string();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let raised = project_rows::raise_stall_alerts(&mut *conn, &alerts).await?;
                    onewindow_store::monitor::set_state(&mut *conn, MARKET_LIGHTS_STATE, &day)
                        .await?;
                    Ok::<_, AppError>(raised)
                })
            })
            .await
    }

    /// The supervising department's monitoring of the market.
    pub async fn market_monitor(&self, actor: &Actor) -> Result<MarketMonitor, AppError> {
        let decision = market::decide_market(
            &actor.principal,
            MarketOperation::Monitor,
            MarketParty::default(),
        );
        if let Err(e) = refusal(decision, "market monitoring".into()) {
            return Err(self
                .refused(actor, "market.monitor", "market".into(), e)
                .await);
        }
        let readers = self.store().readers();
        let firms = rows::firms(readers, None).await?;
        let contracts = rows::contracts(readers, &ContractFilter::default()).await?;
        let open_needs = rows::needs(
            readers,
            &NeedFilter {
                status: Some(NeedStatus::Open.as_str().into()),
                ..NeedFilter::default()
            },
            10_000,
        )
        .await?
        .len();
        let calendar = self.calendar();
        let today = self.today();
        let mean = |values: &[f64]| {
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        let lines: Vec<FirmFigures> = firms
            .iter()
            .map(|firm| {
                let mine: Vec<&Contract> =
                    contracts.iter().filter(|c| c.firm == firm.uscc).collect();
                let done: Vec<&&Contract> = mine
                    .iter()
                    .filter(|c| c.status == ContractStatus::Accepted)
                    .collect();
                let on_time = done.iter().filter(|c| !c.overdue).count();
                let taken: Vec<f64> = done
                    .iter()
                    .filter_map(|c| c.days_taken)
                    .map(f64::from)
                    .collect();
                let promised: Vec<f64> = done.iter().map(|c| f64::from(c.agreed_days)).collect();
                let price: Vec<f64> = mine
                    .iter()
                    .filter(|c| c.ceiling_fen > 0)
                    .map(|c| c.price_fen as f64 / c.ceiling_fen as f64)
                    .collect();
                let ratings: Vec<f64> = mine
                    .iter()
                    .filter_map(|c| c.rating.as_ref())
                    .map(ContractRating::mean)
                    .collect();
                let complaints = mine.iter().map(|c| c.complaints.len()).sum();
                let overdue_now = mine
                    .iter()
                    .filter(|c| {
                        c.status.is_on_clock()
                            && c.clock.as_ref().is_some_and(|k| {
                                k.timeliness(&calendar, today).is_ok_and(|t| t.is_overdue())
                            })
                    })
                    .count();
                let soon = today + chrono::Days::new(30);
                let expiring = firm
                    .qualifications
                    .iter()
                    .filter(|q| q.valid_until <= soon)
                    .count();
                let on_time_rate = (!done.is_empty()).then(|| on_time as f64 / done.len() as f64);
                let rating = mean(&ratings);
                let mut act_on = Vec::new();
                if firm.status == FirmStatus::Pending {
                    act_on.push("pending_admission".to_string());
                }
                if overdue_now > 0 {
                    act_on.push("overdue".to_string());
                }
                if on_time_rate.is_some_and(|r| r < 0.8) {
                    act_on.push("late_record".to_string());
                }
                if complaints > 0 {
                    act_on.push("complaints".to_string());
                }
                if rating.is_some_and(|r| r < 3.0) {
                    act_on.push("low_rating".to_string());
                }
                if firm.status == FirmStatus::Admitted && expiring > 0 {
                    act_on.push("qualification_expiring".to_string());
                }
                FirmFigures {
                    uscc: firm.uscc.clone(),
                    name: firm.name.clone(),
                    status: firm.status,
                    contracts: mine.len(),
                    completed: done.len(),
                    on_time_rate,
                    mean_days_taken: mean(&taken),
                    mean_days_promised: mean(&promised),
                    price_to_ceiling: mean(&price),
                    complaints,
                    rating,
                    overdue_now,
                    qualifications_expiring: expiring,
                    act_on,
                }
            })
            .collect();
        let completed: Vec<&Contract> = contracts
            .iter()
            .filter(|c| c.status == ContractStatus::Accepted)
            .collect();
        Ok(MarketMonitor {
            pending_firms: firms
                .iter()
                .filter(|f| f.status == FirmStatus::Pending)
                .count(),
            open_needs,
            running_contracts: contracts
                .iter()
                .filter(|c| c.status != ContractStatus::Accepted)
                .count(),
            completed_contracts: completed.len(),
            on_time_rate: (!completed.is_empty()).then(|| {
                completed.iter().filter(|c| !c.overdue).count() as f64 / completed.len() as f64
            }),
            firms: lines,
        })
    }
}

/// A need and its project, for the owner (or its agent) acting on it; hidden from others.
async fn owner_need(
    conn: &mut Conn,
    who: &Principal,
    id: &str,
) -> Result<(Need, Project), AppError> {
    let need = rows::get_need(&mut *conn, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("need {id}")))?;
    let project = project_rows::get(&mut *conn, &need.project_code)
        .await?
        .ok_or_else(|| AppError::not_found(format!("need {id}")))?;
    let party = MarketParty {
        owner: acts_for_owner(who, &project),
        firm: false,
    };
    refusal(
        market::decide_market(who, MarketOperation::OwnerStep, party),
        format!("need {id}"),
    )?;
    Ok((need, project))
}

/// The accepted reports of a project as results its applications take as materials (through
/// the same reuse as its approvals' licences).
pub(crate) async fn accepted_reports(
    conn: &mut Conn,
    project_code: &str,
) -> Result<Vec<onewindow_domain::case::IssuedResult>, AppError> {
    let contracts = rows::contracts(
        &mut *conn,
        &ContractFilter {
            project_code: Some(project_code.to_string()),
            ..ContractFilter::default()
        },
    )
    .await?;
    Ok(contracts
        .iter()
        .filter_map(|c| {
            let (kind, report) = c.accepted_report()?;
            Some(onewindow_domain::case::IssuedResult {
                licence_type: kind.deliverable.to_string(),
                document: format!("{}（{}，合同 {}）", report.number, c.firm_name, c.id),
                item_name: format!("中介服务：{}", kind.name),
                from_intermediary: true,
            })
        })
        .collect())
}

/// A contract as it leaves the service: where the file store keeps its reports is not shown.
fn without_storage_key(mut contract: Contract) -> Contract {
    for report in &mut contract.deliverables {
        report.storage_key.clear();
    }
    contract
}
