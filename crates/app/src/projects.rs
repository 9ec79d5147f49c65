//! Investment projects (投资项目): registration with a unified code, the approval plan and its
//! critical path on the real calendar, simulated approval, assessed regions, and the agent's
//! board.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use onewindow_domain::access::{Principal, Role};
use onewindow_domain::audit::Outcome;
use onewindow_domain::project::{
    Assessment, DatedStep, NewProject, Project, ProjectCode, ProjectError, ProjectType, Schedule,
    StepProgress,
};
use onewindow_domain::validation::FieldError;
use onewindow_store::audit as audit_rows;
use onewindow_store::projects::{self as project_rows, ProjectScope};
pub use onewindow_store::projects::{Region, StallAlert};
use onewindow_store::{catalogue as catalogue_rows, next_counter};
use serde::Serialize;

use crate::actor::Actor;
use crate::clock::local_date;
use crate::error::AppError;
use crate::service::Service;

impl From<ProjectError> for AppError {
    fn from(e: ProjectError) -> Self {
        match e {
            ProjectError::Invalid(errors) => AppError::Invalid(errors),
        }
    }
}

/// A project as its page and the API show it: the plan laid out on the calendar.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectView {
    pub project: Project,
    /// The approvals up to the construction permit, in working days.
    pub schedule: Option<Schedule>,
    /// Their dates on the calendar from the plan's start; empty when a date falls in a year
    /// the calendar does not cover yet.
    pub dates: Vec<DatedStep>,
    /// The planned last day of the approvals before construction.
    pub ends_on: Option<NaiveDate>,
    /// True when some dates fall in a year whose holiday notice is not loaded yet and were
    /// counted on weekdays: an estimate until the notice is loaded.
    pub estimated: bool,
    /// Steps past their planned end and not done.
    pub behind: Vec<String>,
    /// The catalogue item of each step, by step key, where the catalogue has it.
    pub items: Vec<(String, String)>,
}

/// A line of the agent's board.
#[derive(Debug, Clone, Serialize)]
pub struct BoardLine {
    pub code: String,
    pub name: String,
    pub owner_name: String,
    pub agent: Option<String>,
    pub ends_on: Option<NaiveDate>,
    /// Steps behind plan, and the department each waits on.
    pub behind: Vec<(String, String)>,
    /// Steps under way (filed, or with a provisional opinion), and the department.
    pub waiting_on: Vec<(String, String)>,
    pub done: usize,
    pub steps: usize,
}

fn staff(who: &Principal) -> bool {
    [
        Role::Clerk,
        Role::Reviewer,
        Role::Approver,
        Role::Supervisor,
        Role::ReturnVisitOperator,
    ]
    .iter()
    .any(|r| who.has_role(*r))
}

/// The projects `who` may see: staff all of them; the public those they own, registered or
/// follow as the agent.
fn project_scope(who: &Principal) -> ProjectScope {
    if who.is_system() || staff(who) {
        return ProjectScope {
            all: true,
            ..ProjectScope::default()
        };
    }
    ProjectScope {
        all: false,
        owner_identity: who
            .has_role(Role::Applicant)
            .then(|| who.identity.clone())
            .flatten(),
        account: (who.has_role(Role::Applicant) || who.has_role(Role::Agent))
            .then(|| who.username.clone()),
    }
}

fn may_see(who: &Principal, project: &Project) -> bool {
    let scope = project_scope(who);
    scope.all
        || scope
            .owner_identity
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(&project.owner_identity))
        || scope.account.as_deref().is_some_and(|a| {
            project.registered_by.as_deref() == Some(a) || project.agent.as_deref() == Some(a)
        })
}

/// The national category and type digits of a code: the guiding department's sector and
/// approval (01), confirmation (02) or filing (03).
fn code_digits(project_type: ProjectType, government_funded: bool) -> (u8, u8) {
    let category = match project_type {
        ProjectType::Industrial => 4,
        ProjectType::Commercial => 5,
        ProjectType::Public => 6,
        ProjectType::Village => 7,
    };
    (category, if government_funded { 1 } else { 3 })
}

impl Service {
    /// The assessed regions.
    pub async fn regions(&self) -> Result<Vec<Region>, AppError> {
        Ok(project_rows::regions(self.store().readers()).await?)
    }

    /// Records (or replaces) an assessed region (administrators).
    pub async fn save_region(&self, actor: &Actor, region: Region) -> Result<Region, AppError> {
        self.require(actor, onewindow_domain::access::Operation::ManageCatalogue)
            .await?;
        let mut errors = Vec::new();
        if region.code.trim().is_empty() {
            errors.push(FieldError::new("code", "must not be empty"));
        }
        if region.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be empty"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let actor = actor.clone();
        let now = self.now();
        let saved = region.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    project_rows::upsert_region(&mut *conn, &region, &now.to_rfc3339()).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "project.save_region",
                            format!("region:{}", region.code),
                            Outcome::Success,
                            format!("{} assessments", region.assessments.len()),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(saved)
    }

    async fn region_assessments(
        &self,
        region: Option<&str>,
    ) -> Result<BTreeSet<Assessment>, AppError> {
        let Some(code) = region else {
            return Ok(BTreeSet::new());
        };
        self.regions()
            .await?
            .into_iter()
            .find(|r| r.code == code)
            .map(|r| r.assessments)
            .ok_or_else(|| AppError::invalid("region", format!("no assessed region {code}")))
    }

    /// Registers a project at the development-and-reform window and issues its unified code.
    /// An enterprise registers its own projects; an agent registers for a client and follows
    /// it; a clerk registers at the window.
    pub async fn register_project(
        &self,
        actor: &Actor,
        mut new: NewProject,
    ) -> Result<ProjectView, AppError> {
        let who = &actor.principal;
        let allowed = who.has_role(Role::Clerk)
            || who.has_role(Role::Agent)
            || (who.has_role(Role::Applicant)
                && who
                    .identity
                    .as_deref()
                    .is_some_and(|i| i.eq_ignore_ascii_case(new.owner_identity.trim())));
        if !allowed {
            let reason = "a project is registered by its owner, an agent or a window clerk";
            self.audit_denied(actor, "project.register", "project:new".into(), reason)
                .await?;
            return Err(AppError::Forbidden(reason.into()));
        }
        new.owner_identity =
            onewindow_domain::identifiers::UnifiedSocialCreditCode::parse(&new.owner_identity)
                .map(|c| c.as_str().to_string())
                .map_err(|e| AppError::invalid("owner_identity", e.to_string()))?;
        let assessments = self.region_assessments(new.region.as_deref()).await?;
        let division = self.division().to_string();
        let registered_by = (who.has_role(Role::Applicant) || who.has_role(Role::Agent))
            .then(|| who.username.clone());
        let agent = who.has_role(Role::Agent).then(|| who.username.clone());
        let actor = actor.clone();
        let now = self.now();
        let project = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let today = local_date(now);
                    let (category, kind) = code_digits(new.project_type, new.government_funded);
                    let serial =
                        next_counter(&mut *conn, &format!("project:{}", today.format("%y%m")))
                            .await?;
                    let code = ProjectCode::issue(
                        today,
                        &division,
                        category,
                        kind,
                        u32::try_from(serial).unwrap_or(u32::MAX),
                    )
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                    let mut project =
                        Project::register(code, new, &assessments, registered_by, today)?;
                    project.agent = agent;
                    project_rows::insert(&mut *conn, &project, &now.to_rfc3339()).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "project.register",
                            format!("project:{}", project.code),
                            Outcome::Success,
                            format!(
                                "{:?}, {} steps",
                                project.project_type,
                                project.plan.steps.len()
                            ),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(project)
                })
            })
            .await?;
        self.project_view(project).await
    }

    /// One project as `actor` may see it.
    pub async fn project(&self, actor: &Actor, code: &str) -> Result<ProjectView, AppError> {
        let project = project_rows::get(self.store().readers(), code)
            .await?
            .filter(|p| may_see(&actor.principal, p))
            .ok_or_else(|| AppError::not_found(format!("project {code}")))?;
        self.project_view(project).await
    }

    /// The projects `actor` may see, newest first.
    pub async fn projects(&self, actor: &Actor) -> Result<Vec<Project>, AppError> {
        Ok(project_rows::list(
            self.store().readers(),
            &project_scope(&actor.principal),
            200,
        )
        .await?)
    }

    /// The materials of `item_code` that project `code` (as `actor` may see it) already holds:
    /// its approvals' licences and its accepted intermediary reports. Filing decides again, with
    /// the same rule; none for a bundle.
    pub async fn reusable_materials(
        &self,
        actor: &Actor,
        code: &str,
        item_code: &str,
    ) -> Result<Vec<onewindow_domain::case::ReusedMaterial>, AppError> {
        let project = project_rows::get(self.store().readers(), code)
            .await?
            .filter(|p| may_see(&actor.principal, p))
            .ok_or_else(|| AppError::not_found(format!("project {code}")))?;
        let mut conn = self.store().reader().await?;
        let Some(item) = catalogue_rows::get_item(&mut *conn, item_code).await? else {
            return Ok(Vec::new());
        };
        let results = crate::case_sync::project_results(&mut conn, &project).await?;
        Ok(onewindow_domain::case::reusable_materials(&item, &results))
    }

    async fn project_view(&self, project: Project) -> Result<ProjectView, AppError> {
        let calendar = &self.calendar();
        let schedule = project.plan.before_construction().schedule().ok();
        let dates = schedule
            .as_ref()
            .and_then(|s| s.dates(project.plan_start, calendar).ok())
            .unwrap_or_default();
        let forecast = schedule
            .as_ref()
            .and_then(|s| s.ends_on(project.plan_start, calendar).ok());
        let ends_on = forecast.map(|(day, _)| day);
        let estimated =
            forecast.is_some_and(|(_, estimated)| estimated) || dates.iter().any(|d| d.estimated);
        let behind = project
            .behind(&dates, self.today())
            .into_iter()
            .map(|d| d.key.clone())
            .collect();
        let mut items = Vec::new();
        let names = project.plan.item_names();
        let mut conn = self.store().reader().await?;
        let catalogue = catalogue_rows::items_named(&mut conn, &names).await?;
        for step in &project.plan.steps {
            if let Some(item) = catalogue.iter().find(|i| i.item.name == step.item_name) {
                items.push((step.key.clone(), item.item.code.clone()));
            }
        }
        Ok(ProjectView {
            project,
            schedule,
            dates,
            ends_on,
            estimated,
            behind,
            items,
        })
    }

    /// Runs `change` on a project the actor may see, if it is still at `expected_version`.
    async fn change_project(
        &self,
        actor: &Actor,
        code: &str,
        expected_version: u64,
        action: &'static str,
        change: impl FnOnce(&Principal, &mut Project, NaiveDate) -> Result<String, AppError>
        + Send
        + 'static,
    ) -> Result<ProjectView, AppError> {
        let actor_owned = actor.clone();
        let code_owned = code.to_string();
        let now = self.now();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let actor = actor_owned;
                    let code = code_owned;
                    let mut project = project_rows::get(&mut *conn, &code)
                        .await?
                        .filter(|p| may_see(&actor.principal, p))
                        .ok_or_else(|| AppError::not_found(format!("project {code}")))?;
                    if project.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: project.version,
                        });
                    }
                    let detail = change(&actor.principal, &mut project, local_date(now))?;
                    if !project_rows::update(
                        &mut *conn,
                        &project,
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
                        actor.entry(
                            now,
                            action,
                            format!("project:{code}"),
                            Outcome::Success,
                            detail,
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(project)
                })
            })
            .await;
        match result {
            Ok(project) => self.project_view(project).await,
            Err(AppError::Forbidden(reason)) => {
                self.audit_denied(actor, action, format!("project:{code}"), &reason)
                    .await?;
                Err(AppError::Forbidden(reason))
            }
            Err(e) => Err(e),
        }
    }

    /// A provisional opinion on a step before the land is obtained (模拟审批), by a reviewer or
    /// approver of the step's department.
    pub async fn provisional_opinion(
        &self,
        actor: &Actor,
        code: &str,
        expected_version: u64,
        step: &str,
        opinion: &str,
    ) -> Result<ProjectView, AppError> {
        let step = step.to_string();
        let opinion = opinion.to_string();
        self.change_project(actor, code, expected_version, "project.provisional_opinion", move |who, project, today| {
            let department = project
                .step(&step)
                .map(|s| s.department.clone())
                .ok_or_else(|| AppError::invalid("step", format!("the plan has no step {step}")))?;
            let theirs = who.posts.iter().any(|p| {
                matches!(p.role, Role::Reviewer | Role::Approver)
                    && p.department.as_deref() == Some(department.as_str())
            });
            if !theirs {
                return Err(AppError::Forbidden(format!(
                    "a provisional opinion on this step is for the reviewers and approvers of {department}"
                )));
            }
            project.give_provisional_opinion(&step, &opinion, &who.username, today)?;
            Ok(format!("step {step}"))
        })
        .await
    }

    /// Records that the project's land is obtained: provisional opinions turn formal.
    pub async fn obtain_land(
        &self,
        actor: &Actor,
        code: &str,
        expected_version: u64,
        on: Option<NaiveDate>,
    ) -> Result<ProjectView, AppError> {
        self.change_project(
            actor,
            code,
            expected_version,
            "project.obtain_land",
            move |who, project, today| {
                let land_department = project
                    .step("land-planning")
                    .map_or_else(|| "ZRZYJ".to_string(), |s| s.department.clone());
                let may = who.has_role(Role::Clerk)
                    || who.posts.iter().any(|p| {
                        matches!(p.role, Role::Reviewer | Role::Approver)
                            && p.department.as_deref() == Some(land_department.as_str())
                    });
                if !may {
                    return Err(AppError::Forbidden(format!(
                        "the land is recorded by a window clerk or the staff of {land_department}"
                    )));
                }
                let on = on.unwrap_or(today);
                if on > today {
                    return Err(AppError::invalid(
                        "on",
                        "the land cannot be obtained in the future",
                    ));
                }
                let formal = project.obtain_land(on)?;
                Ok(format!(
                    "land obtained on {on}; formal: {}",
                    formal.join(", ")
                ))
            },
        )
        .await
    }

    /// Assigns an agent (代办员) to follow the project: by its owner or a window clerk.
    pub async fn assign_agent(
        &self,
        actor: &Actor,
        code: &str,
        expected_version: u64,
        agent: &str,
    ) -> Result<ProjectView, AppError> {
        let agent = agent.trim().to_string();
        let is_agent = onewindow_store::accounts::user_by_username(self.store().readers(), &agent)
            .await?
            .filter(|u| !u.disabled)
            .is_some_and(|u| u.posts.iter().any(|p| p.role == Role::Agent));
        if !is_agent {
            return Err(AppError::invalid(
                "agent",
                format!("{agent} is not an active agent account"),
            ));
        }
        self.change_project(
            actor,
            code,
            expected_version,
            "project.assign_agent",
            move |who, project, _| {
                let owner = who.has_role(Role::Applicant)
                    && who
                        .identity
                        .as_deref()
                        .is_some_and(|i| i.eq_ignore_ascii_case(&project.owner_identity));
                if !(owner || who.has_role(Role::Clerk)) {
                    return Err(AppError::Forbidden(
                        "an agent is assigned by the project's owner or a window clerk".into(),
                    ));
                }
                project.agent = Some(agent.clone());
                project.version += 1;
                Ok(format!("agent {agent}"))
            },
        )
        .await
    }

    /// The agent's board: every project the actor follows (supervisors: every project), where
    /// it stands against its plan on `on` (default today) and what waits on whom. With a date
    /// at a month's end it is the monthly progress review.
    pub async fn project_board(
        &self,
        actor: &Actor,
        on: Option<NaiveDate>,
    ) -> Result<Vec<BoardLine>, AppError> {
        let who = &actor.principal;
        if !(who.has_role(Role::Agent)
            || who.has_role(Role::Supervisor)
            || who.has_role(Role::Clerk))
        {
            return Err(AppError::Forbidden(
                "the project board is for agents, window clerks and supervisors".into(),
            ));
        }
        let today = on.unwrap_or_else(|| self.today());
        let calendar = &self.calendar();
        let projects = self.projects(actor).await?;
        let mut lines = Vec::new();
        for project in projects {
            if who.has_role(Role::Agent)
                && !who.has_role(Role::Supervisor)
                && project.agent.as_deref() != Some(who.username.as_str())
            {
                continue;
            }
            let department = |key: &str| {
                project
                    .step(key)
                    .map_or_else(String::new, |s| s.department.clone())
            };
            let behind = project
                .behind_plan(today, calendar)
                .unwrap_or_default()
                .into_iter()
                .map(|k| {
                    let d = department(&k);
                    (k, d)
                })
                .collect();
            let waiting_on = project
                .progress
                .iter()
                .filter(|(_, p)| {
                    matches!(
                        p,
                        StepProgress::InProgress { .. } | StepProgress::Provisional { .. }
                    )
                })
                .map(|(k, _)| (k.clone(), department(k)))
                .collect();
            let ends_on = project
                .plan
                .before_construction()
                .schedule()
                .ok()
                .and_then(|s| s.ends_on(project.plan_start, calendar).ok())
                .map(|(day, _)| day);
            lines.push(BoardLine {
                code: project.code.to_string(),
                name: project.name.clone(),
                owner_name: project.owner_name.clone(),
                agent: project.agent.clone(),
                ends_on,
                behind,
                waiting_on,
                done: project
                    .progress
                    .values()
                    .filter(|p| matches!(p, StepProgress::Done { .. }))
                    .count(),
                steps: project.plan.steps.len(),
            });
        }
        // Most behind first.
        lines.sort_by(|a, b| {
            b.behind
                .len()
                .cmp(&a.behind.len())
                .then(a.code.cmp(&b.code))
        });
        Ok(lines)
    }
}

/// Under this name the monitor keeps the day the stalled steps were last looked for.
const STALLS_STATE: &str = "project_stalls_checked_on";

impl Service {
    /// Raises an alert to each project's agent for every step that passed its planned end
    /// undone (once per step and agent, also into the outbox as `project.step_stalled`). Runs
    /// with the monitor's sweep and looks once a day. Returns the alerts raised.
    pub async fn sweep_project_stalls(&self) -> Result<usize, AppError> {
        let today = self.today();
        let checked = onewindow_store::monitor::state(self.store().readers(), STALLS_STATE).await?;
        if checked.as_deref() == Some(today.to_string().as_str()) {
            return Ok(0);
        }
        let calendar = &self.calendar();
        let now = self.now();
        let mut alerts = Vec::new();
        for project in project_rows::with_agents(self.store().readers()).await? {
            let Some(agent) = project.agent.clone() else {
                continue;
            };
            let dates = project
                .plan
                .before_construction()
                .schedule()
                .ok()
                .and_then(|s| s.dates(project.plan_start, calendar).ok())
                .unwrap_or_default();
            for dated in project.behind(&dates, today) {
                let Some(step) = project.step(&dated.key) else {
                    continue;
                };
                let key = &dated.key;
                alerts.push(StallAlert {
                    id: uuid::Uuid::now_v7().to_string(),
                    project_code: project.code.to_string(),
                    step_key: key.clone(),
                    recipient: agent.clone(),
                    project_name: project.name.clone(),
                    item_name: step.item_name.clone(),
                    department: step.department.clone(),
                    planned_end: dated.ends_on.to_string(),
                    raised_at: now.to_rfc3339(),
                    read: false,
                });
            }
        }
        let day = today.to_string();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let raised = project_rows::raise_stall_alerts(&mut *conn, &alerts).await?;
                    onewindow_store::monitor::set_state(&mut *conn, STALLS_STATE, &day).await?;
                    Ok::<_, AppError>(raised)
                })
            })
            .await
    }

    /// The stalled-step alerts an agent received (supervisors and clerks: every agent's).
    pub async fn stall_alerts(&self, actor: &Actor) -> Result<Vec<StallAlert>, AppError> {
        let who = &actor.principal;
        let recipient = if who.has_role(Role::Supervisor) || who.has_role(Role::Clerk) {
            None
        } else if who.has_role(Role::Agent) {
            Some(who.username.as_str())
        } else {
            return Err(AppError::Forbidden(
                "stalled-step alerts are for agents, window clerks and supervisors".into(),
            ));
        };
        Ok(project_rows::stall_alerts(self.store().readers(), recipient, 200).await?)
    }
}
