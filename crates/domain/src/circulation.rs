//! Internal circulation (内部流转) of a joint case: one task per member department, started in
//! the bundle's order, each on its own clock inside the case's clock.
//!
//! The window accepts the case once; the departments work their tasks; the case's clock stops
//! while any task waits for the applicant or for an inspection; a supplement asked by several
//! departments reaches the applicant as one notice; when every task is decided the case has its
//! decision and the lead window delivers everything once. Like [`crate::case`], `decide_task` is
//! pure and `apply` folds its events.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::bundle::{BundleMaterial, BundlePlan, TaskSpec};
use crate::case::{Case, CaseError, CaseEvent, Context, Decision, Status, SupplementNotice};
use crate::clock::{CaseClock, Suspension, SuspensionKind};
use crate::validation::FieldError;

/// The circulation of one joint case: which bundle, and the tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Circulation {
    pub bundle_code: String,
    pub bundle_version: u32,
    pub lead_department: String,
    pub lead_window: String,
    /// Every department with a task, sorted: who may see the case.
    pub departments: Vec<String>,
    /// The bundle's materials, asked once.
    pub materials: Vec<BundleMaterial>,
    pub tasks: Vec<Task>,
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waits for the members it comes after (or for acceptance).
    Waiting,
    /// Ready for the department; nobody has claimed it yet.
    Open,
    /// Claimed by a reviewer.
    InReview,
    /// Waits for materials from the applicant; its clock and the case's are stopped.
    AwaitingSupplement,
    /// Stopped for an inspection, a hearing, testing, an expert review or public notice.
    Suspended,
    /// Sent back to the lead window, with a reason.
    SentBack,
    Approved,
    Denied,
    /// Will not be decided: a member it needs was denied, or an essential member was denied.
    Withdrawn,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 9] = [
        TaskStatus::Waiting,
        TaskStatus::Open,
        TaskStatus::InReview,
        TaskStatus::AwaitingSupplement,
        TaskStatus::Suspended,
        TaskStatus::SentBack,
        TaskStatus::Approved,
        TaskStatus::Denied,
        TaskStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Waiting => "waiting",
            TaskStatus::Open => "open",
            TaskStatus::InReview => "in_review",
            TaskStatus::AwaitingSupplement => "awaiting_supplement",
            TaskStatus::Suspended => "suspended",
            TaskStatus::SentBack => "sent_back",
            TaskStatus::Approved => "approved",
            TaskStatus::Denied => "denied",
            TaskStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Nothing more happens to the task.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            TaskStatus::Approved | TaskStatus::Denied | TaskStatus::Withdrawn
        )
    }

    /// The task's clock is stopped and it stops the case's.
    pub fn stops_the_clock(self) -> bool {
        matches!(self, TaskStatus::AwaitingSupplement | TaskStatus::Suspended)
    }

    /// What may be done to a task in this state.
    pub fn allowed_actions(self) -> &'static [TaskAction] {
        use TaskAction::*;
        match self {
            TaskStatus::Open => &[Claim],
            TaskStatus::InReview => &[
                Transfer,
                Countersign,
                RequestSupplement,
                Suspend,
                SendBack,
                Decide,
            ],
            TaskStatus::AwaitingSupplement => &[Transfer],
            TaskStatus::Suspended => &[Resume, Transfer],
            TaskStatus::SentBack => &[Resubmit],
            TaskStatus::Waiting
            | TaskStatus::Approved
            | TaskStatus::Denied
            | TaskStatus::Withdrawn => &[],
        }
    }
}

/// A reviewer's signed opinion on a task (会签).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Countersign {
    pub by: String,
    pub opinion: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: NaiveDate,
}

/// One department's part of a joint case (部门子任务).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    #[serde(flatten)]
    pub spec: TaskSpec,
    pub status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<CaseClock>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countersigns: Vec<Countersign>,
    /// Bundle material keys this task asked the applicant for and still waits for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awaiting: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_back_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The number of the licence it issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_document: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_reason: Option<String>,
    /// Bumped by every event of this task; task commands carry the version they saw.
    pub version: u32,
}

impl Task {
    fn new(spec: TaskSpec) -> Self {
        Self {
            spec,
            status: TaskStatus::Waiting,
            claimed_by: None,
            clock: None,
            countersigns: Vec::new(),
            awaiting: Vec::new(),
            sent_back_reason: None,
            decision: None,
            result_document: None,
            withdrawn_reason: None,
            version: 1,
        }
    }

    pub fn key(&self) -> &str {
        &self.spec.item_code
    }

    pub fn department(&self) -> &str {
        &self.spec.department
    }

    /// The task's due day while its clock runs.
    pub fn due_on(
        &self,
        calendar: &crate::calendar::Calendar,
    ) -> Result<Option<NaiveDate>, crate::calendar::CalendarError> {
        match &self.clock {
            Some(clock) if !self.status.is_finished() => clock.due_date(calendar),
            _ => Ok(None),
        }
    }

    fn open(&mut self, today: NaiveDate) {
        self.status = TaskStatus::Open;
        self.clock = Some(CaseClock::new(today, self.spec.promised_days));
    }

    fn stop_clock(&mut self, kind: SuspensionKind, reason: &str, today: NaiveDate) {
        if let Some(clock) = &mut self.clock
            && clock.is_running()
        {
            clock.suspensions.push(Suspension {
                kind,
                reason: reason.to_string(),
                from: today,
                until: None,
            });
        }
    }

    fn restart_clock(&mut self, today: NaiveDate) {
        if let Some(s) = self
            .clock
            .as_mut()
            .and_then(|c| c.suspensions.iter_mut().find(|s| s.until.is_none()))
        {
            s.until = Some(today);
        }
    }
}

impl Circulation {
    /// The circulation a case of `plan` starts with: every task waiting for acceptance.
    pub fn new(plan: &BundlePlan) -> Self {
        let mut departments: Vec<String> =
            plan.tasks.iter().map(|t| t.department.clone()).collect();
        departments.sort();
        departments.dedup();
        Self {
            bundle_code: plan.code.clone(),
            bundle_version: plan.version,
            lead_department: plan.lead_department.clone(),
            lead_window: plan.lead_window.clone(),
            departments,
            materials: plan.materials.clone(),
            tasks: plan.tasks.iter().cloned().map(Task::new).collect(),
        }
    }

    pub fn task(&self, key: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.key() == key)
    }

    /// True when every task is decided or withdrawn.
    pub fn is_finished(&self) -> bool {
        self.tasks.iter().all(|t| t.status.is_finished())
    }

    /// Whether any task waits for materials from the applicant.
    pub fn awaits_supplement(&self) -> bool {
        self.tasks
            .iter()
            .any(|t| t.status == TaskStatus::AwaitingSupplement)
    }

    /// Starts the tasks whose predecessors are all approved.
    fn start_ready(&mut self, today: NaiveDate) {
        let approved: Vec<String> = self
            .tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Approved)
            .map(|t| t.key().to_string())
            .collect();
        for task in &mut self.tasks {
            if task.status == TaskStatus::Waiting
                && task.spec.after.iter().all(|a| approved.contains(a))
            {
                task.open(today);
            }
        }
    }

    /// Withdraws every unfinished task that can no longer be decided.
    fn withdraw_blocked(&mut self, today: NaiveDate) {
        let essential_denied = self
            .tasks
            .iter()
            .find(|t| t.status == TaskStatus::Denied && t.spec.essential)
            .map(|t| t.spec.item_name.clone());
        loop {
            let dead: Vec<(String, String)> = self
                .tasks
                .iter()
                .filter(|t| matches!(t.status, TaskStatus::Denied | TaskStatus::Withdrawn))
                .map(|t| (t.key().to_string(), t.spec.item_name.clone()))
                .collect();
            let mut changed = false;
            for task in &mut self.tasks {
                if task.status.is_finished() {
                    continue;
                }
                let reason = if let Some(name) = &essential_denied {
                    Some(format!("the essential member {name} was denied"))
                } else {
                    dead.iter()
                        .find(|(key, _)| task.spec.after.contains(key))
                        .map(|(_, name)| format!("it needs {name}, which was not approved"))
                };
                if let Some(reason) = reason {
                    task.restart_clock(today);
                    task.status = TaskStatus::Withdrawn;
                    task.withdrawn_reason = Some(reason);
                    task.version += 1;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }
}

/// What may be done to a task, as it appears in URLs and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum TaskAction {
    Claim,
    Transfer,
    Countersign,
    RequestSupplement,
    Suspend,
    Resume,
    SendBack,
    Resubmit,
    Decide,
}

impl TaskAction {
    pub const ALL: [TaskAction; 9] = [
        TaskAction::Claim,
        TaskAction::Transfer,
        TaskAction::Countersign,
        TaskAction::RequestSupplement,
        TaskAction::Suspend,
        TaskAction::Resume,
        TaskAction::SendBack,
        TaskAction::Resubmit,
        TaskAction::Decide,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskAction::Claim => "claim",
            TaskAction::Transfer => "transfer",
            TaskAction::Countersign => "countersign",
            TaskAction::RequestSupplement => "request-supplement",
            TaskAction::Suspend => "suspend",
            TaskAction::Resume => "resume",
            TaskAction::SendBack => "send-back",
            TaskAction::Resubmit => "resubmit",
            TaskAction::Decide => "decide",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A request to move one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum TaskCommand {
    Claim,
    /// Hands a claimed task to a colleague of the same department (checked by the service).
    Transfer {
        to: String,
        reason: String,
    },
    Countersign {
        opinion: String,
    },
    RequestSupplement {
        missing: Vec<String>,
        note: String,
    },
    Suspend {
        kind: SuspensionKind,
        reason: String,
    },
    Resume,
    SendBack {
        reason: String,
    },
    Resubmit {
        note: String,
    },
    Decide {
        approve: bool,
        reason: String,
    },
}

impl TaskCommand {
    /// What is wrong with the text typed into the command, by field (see
    /// [`crate::case::CaseCommand::text_problems`]).
    pub fn text_problems(&self) -> Vec<crate::validation::FieldError> {
        use crate::validation::{CODE_MAX_CHARS, TEXT_MAX_CHARS, check_text};
        let mut errors = Vec::new();
        match self {
            TaskCommand::Claim | TaskCommand::Resume => {}
            TaskCommand::Transfer { to, reason } => {
                check_text(&mut errors, "to", to, CODE_MAX_CHARS, false);
                check_text(&mut errors, "reason", reason, TEXT_MAX_CHARS, true);
            }
            TaskCommand::Countersign { opinion } => {
                check_text(&mut errors, "opinion", opinion, TEXT_MAX_CHARS, true);
            }
            TaskCommand::RequestSupplement { missing, note } => {
                for (i, key) in missing.iter().enumerate() {
                    check_text(
                        &mut errors,
                        &format!("missing[{i}]"),
                        key,
                        CODE_MAX_CHARS,
                        false,
                    );
                }
                check_text(&mut errors, "note", note, TEXT_MAX_CHARS, true);
            }
            TaskCommand::Resubmit { note } => {
                check_text(&mut errors, "note", note, TEXT_MAX_CHARS, true);
            }
            TaskCommand::Suspend { reason, .. }
            | TaskCommand::SendBack { reason }
            | TaskCommand::Decide { reason, .. } => {
                check_text(&mut errors, "reason", reason, TEXT_MAX_CHARS, true);
            }
        }
        errors
    }
}

impl TaskCommand {
    pub fn action(&self) -> TaskAction {
        match self {
            TaskCommand::Claim => TaskAction::Claim,
            TaskCommand::Transfer { .. } => TaskAction::Transfer,
            TaskCommand::Countersign { .. } => TaskAction::Countersign,
            TaskCommand::RequestSupplement { .. } => TaskAction::RequestSupplement,
            TaskCommand::Suspend { .. } => TaskAction::Suspend,
            TaskCommand::Resume => TaskAction::Resume,
            TaskCommand::SendBack { .. } => TaskAction::SendBack,
            TaskCommand::Resubmit { .. } => TaskAction::Resubmit,
            TaskCommand::Decide { .. } => TaskAction::Decide,
        }
    }
}

/// Something that happened to one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TaskEvent {
    Claimed,
    Transferred {
        to: String,
        reason: String,
    },
    Countersigned {
        opinion: String,
    },
    SupplementRequested {
        missing: Vec<String>,
        note: String,
    },
    Suspended {
        kind: SuspensionKind,
        reason: String,
    },
    Resumed,
    SentBack {
        reason: String,
    },
    Resubmitted {
        note: String,
    },
    Decided {
        approved: bool,
        reason: String,
    },
}

impl TaskEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            TaskEvent::Claimed => "task_claimed",
            TaskEvent::Transferred { .. } => "task_transferred",
            TaskEvent::Countersigned { .. } => "task_countersigned",
            TaskEvent::SupplementRequested { .. } => "task_supplement_requested",
            TaskEvent::Suspended { .. } => "task_suspended",
            TaskEvent::Resumed => "task_resumed",
            TaskEvent::SentBack { .. } => "task_sent_back",
            TaskEvent::Resubmitted { .. } => "task_resubmitted",
            TaskEvent::Decided { .. } => "task_decided",
        }
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> CaseError {
    CaseError::Invalid(vec![FieldError::new(field, reason)])
}

fn require_text(field: &str, value: &str) -> Result<String, CaseError> {
    let value = value.trim();
    if value.is_empty() {
        Err(invalid(field, "a reason is required"))
    } else {
        Ok(value.to_string())
    }
}

impl Case {
    /// Decides what a command does to one task of this joint case.
    pub fn decide_task(
        &self,
        key: &str,
        command: &TaskCommand,
        ctx: &Context<'_>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let problems = command.text_problems();
        if !problems.is_empty() {
            return Err(CaseError::Invalid(problems));
        }
        let Some(circulation) = &self.circulation else {
            return Err(invalid(
                "task",
                "this case is not a joint case and has no tasks",
            ));
        };
        let Some(task) = circulation.task(key) else {
            return Err(invalid("task", format!("this case has no task {key}")));
        };
        let action = command.action();
        if !task.status.allowed_actions().contains(&action) {
            let allowed: Vec<&str> = task
                .status
                .allowed_actions()
                .iter()
                .map(|a| a.as_str())
                .collect();
            return Err(CaseError::NotAllowed {
                action: action.as_str(),
                status: task.status.as_str(),
                allowed,
            });
        }
        // The claimer works the task; colleagues countersign and the approver decides.
        let claimer_only = matches!(
            action,
            TaskAction::Transfer
                | TaskAction::RequestSupplement
                | TaskAction::Suspend
                | TaskAction::Resume
                | TaskAction::SendBack
        );
        if claimer_only && task.claimed_by.as_deref() != Some(ctx.actor) {
            return Err(invalid(
                "actor",
                format!(
                    "the task is claimed by {}; only they may {} it (or transfer it first)",
                    task.claimed_by.as_deref().unwrap_or("nobody"),
                    action.as_str()
                ),
            ));
        }
        let event = match command {
            TaskCommand::Claim => TaskEvent::Claimed,
            TaskCommand::Transfer { to, reason } => {
                let to = to.trim();
                if to.is_empty() {
                    return Err(invalid("to", "name the colleague who takes the task over"));
                }
                if to == ctx.actor {
                    return Err(invalid("to", "the task is already yours"));
                }
                TaskEvent::Transferred {
                    to: to.to_string(),
                    reason: require_text("reason", reason)?,
                }
            }
            TaskCommand::Countersign { opinion } => {
                if task.countersigns.iter().any(|c| c.by == ctx.actor) {
                    return Err(invalid(
                        "opinion",
                        "you have already signed this task; a countersign needs another reviewer",
                    ));
                }
                TaskEvent::Countersigned {
                    opinion: require_text("opinion", opinion)?,
                }
            }
            TaskCommand::RequestSupplement { missing, note } => {
                if missing.is_empty() {
                    return Err(invalid("missing", "name at least one material"));
                }
                let errors: Vec<FieldError> = missing
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| !task.spec.materials.contains(k))
                    .map(|(i, k)| {
                        FieldError::new(
                            format!("missing[{i}]"),
                            format!("{k} is not a material of this task"),
                        )
                    })
                    .collect();
                if !errors.is_empty() {
                    return Err(CaseError::Invalid(errors));
                }
                let produced: Vec<&str> = missing
                    .iter()
                    .filter(|k| {
                        circulation
                            .materials
                            .iter()
                            .any(|m| &m.key == *k && !m.from_applicant())
                    })
                    .map(String::as_str)
                    .collect();
                if !produced.is_empty() {
                    return Err(invalid(
                        "missing",
                        format!(
                            "{} is issued inside this bundle, not by the applicant",
                            produced.join(", ")
                        ),
                    ));
                }
                TaskEvent::SupplementRequested {
                    missing: missing.clone(),
                    note: require_text("note", note)?,
                }
            }
            TaskCommand::Suspend { kind, reason } => {
                if *kind == SuspensionKind::Supplement {
                    return Err(invalid(
                        "kind",
                        "ask the applicant for materials with a supplement request",
                    ));
                }
                TaskEvent::Suspended {
                    kind: *kind,
                    reason: require_text("reason", reason)?,
                }
            }
            TaskCommand::Resume => TaskEvent::Resumed,
            TaskCommand::SendBack { reason } => TaskEvent::SentBack {
                reason: require_text("reason", reason)?,
            },
            TaskCommand::Resubmit { note } => TaskEvent::Resubmitted {
                note: require_text("note", note)?,
            },
            TaskCommand::Decide { approve, reason } => {
                if self.accepted_by.as_deref() == Some(ctx.actor) {
                    return Err(invalid(
                        "actor",
                        "acceptance and decision are separate: the clerk who accepted a case cannot decide it",
                    ));
                }
                let signed = u32::try_from(task.countersigns.len()).unwrap_or(u32::MAX);
                if signed < task.spec.countersign {
                    return Err(invalid(
                        "countersign",
                        format!(
                            "this item needs {} reviewers' countersigns before the decision; {} signed",
                            task.spec.countersign, signed
                        ),
                    ));
                }
                let reason = if *approve {
                    reason.trim().to_string()
                } else {
                    require_text("reason", reason)?
                };
                TaskEvent::Decided {
                    approved: *approve,
                    reason,
                }
            }
        };
        Ok(vec![CaseEvent::Task {
            task: key.to_string(),
            event,
        }])
    }

    /// Folds a task event into the case, with what follows from it for the whole case.
    pub(crate) fn apply_task(
        &mut self,
        key: &str,
        event: &TaskEvent,
        actor: &str,
        today: NaiveDate,
    ) {
        let number = self.number.clone();
        let Some(circulation) = &mut self.circulation else {
            return;
        };
        let index = circulation.tasks.iter().position(|t| t.key() == key);
        let Some(index) = index else {
            return;
        };
        let department = circulation.tasks[index].spec.department.clone();
        let others_waiting = circulation
            .tasks
            .iter()
            .enumerate()
            .any(|(i, t)| i != index && t.status == TaskStatus::AwaitingSupplement);
        let task = &mut circulation.tasks[index];
        task.version += 1;
        match event {
            TaskEvent::Claimed => {
                task.status = TaskStatus::InReview;
                task.claimed_by = Some(actor.to_string());
            }
            TaskEvent::Transferred { to, .. } => task.claimed_by = Some(to.clone()),
            TaskEvent::Countersigned { opinion } => task.countersigns.push(Countersign {
                by: actor.to_string(),
                opinion: opinion.clone(),
                on: today,
            }),
            TaskEvent::SupplementRequested { missing, note } => {
                task.status = TaskStatus::AwaitingSupplement;
                task.awaiting = missing.clone();
                task.stop_clock(SuspensionKind::Supplement, note, today);
                for key in missing {
                    self.provided_materials.remove(key);
                }
                let line = format!("{department}: {note}");
                // Several departments asking before the applicant answers make one notice.
                let open_notice = if others_waiting {
                    self.supplement_notices
                        .iter_mut()
                        .rev()
                        .find(|n| n.during_review)
                } else {
                    None
                };
                match open_notice {
                    Some(notice) => {
                        for k in missing {
                            if !notice.missing.contains(k) {
                                notice.missing.push(k.clone());
                            }
                        }
                        notice.note = format!("{}\n{line}", notice.note);
                    }
                    None => self.supplement_notices.push(SupplementNotice {
                        issued_on: today,
                        missing: missing.clone(),
                        note: line,
                        during_review: true,
                    }),
                }
            }
            TaskEvent::Suspended { kind, reason } => {
                task.status = TaskStatus::Suspended;
                task.stop_clock(*kind, reason, today);
            }
            TaskEvent::Resumed => {
                task.status = TaskStatus::InReview;
                task.restart_clock(today);
            }
            TaskEvent::SentBack { reason } => {
                task.status = TaskStatus::SentBack;
                task.sent_back_reason = Some(reason.clone());
                task.claimed_by = None;
            }
            TaskEvent::Resubmitted { .. } => {
                task.status = TaskStatus::Open;
                task.sent_back_reason = None;
            }
            TaskEvent::Decided { approved, reason } => {
                task.status = if *approved {
                    TaskStatus::Approved
                } else {
                    TaskStatus::Denied
                };
                task.decision = Some(Decision {
                    approved: *approved,
                    reason: reason.clone(),
                    decided_by: actor.to_string(),
                    decided_on: today,
                    overruled: false,
                });
                if *approved {
                    task.result_document = Some(format!("{number}-{:02}", index + 1));
                }
                circulation.withdraw_blocked(today);
                circulation.start_ready(today);
            }
        }
        self.settle_circulation(actor, today);
    }

    /// Starts the first tasks when a joint case is accepted.
    pub(crate) fn start_circulation(&mut self, accepted_on: NaiveDate) {
        if let Some(circulation) = &mut self.circulation {
            circulation.start_ready(accepted_on);
            self.status = Status::InReview;
        }
    }

    /// The applicant supplied materials: tasks that have all they asked for go on.
    pub(crate) fn supplement_reached_tasks(&mut self, today: NaiveDate) {
        let provided = self.provided_materials.clone();
        if let Some(circulation) = &mut self.circulation {
            for task in &mut circulation.tasks {
                if task.status == TaskStatus::AwaitingSupplement
                    && task.awaiting.iter().all(|k| provided.contains(k))
                {
                    task.status = TaskStatus::InReview;
                    task.awaiting.clear();
                    task.restart_clock(today);
                    task.version += 1;
                }
            }
        }
        self.settle_circulation("", today);
    }

    /// Keeps the case's clock and state in line with its tasks: stopped while any task is
    /// stopped, decided when every task is.
    fn settle_circulation(&mut self, actor: &str, today: NaiveDate) {
        let Some(circulation) = &self.circulation else {
            return;
        };
        if !matches!(self.status, Status::InReview | Status::Suspended) {
            return;
        }
        if circulation.is_finished() {
            let approved: Vec<&Task> = circulation
                .tasks
                .iter()
                .filter(|t| t.status == TaskStatus::Approved)
                .collect();
            let essential_denied = circulation
                .tasks
                .iter()
                .any(|t| t.status == TaskStatus::Denied && t.spec.essential);
            let not_approved: Vec<String> = circulation
                .tasks
                .iter()
                .filter(|t| t.status != TaskStatus::Approved)
                .map(|t| {
                    let why = t
                        .decision
                        .as_ref()
                        .map(|d| d.reason.clone())
                        .or_else(|| t.withdrawn_reason.clone())
                        .unwrap_or_default();
                    format!("{} ({}): {why}", t.spec.item_name, t.status.as_str())
                })
                .collect();
            let total = circulation.tasks.len();
            let granted = !essential_denied && !approved.is_empty();
            let reason = if not_approved.is_empty() {
                format!("all {total} members approved")
            } else {
                format!(
                    "{} of {total} members approved; {}",
                    approved.len(),
                    not_approved.join("; ")
                )
            };
            if let Some(clock) = &mut self.clock
                && let Some(open) = clock.suspensions.iter_mut().find(|s| s.until.is_none())
            {
                open.until = Some(today);
            }
            self.decision = Some(Decision {
                approved: granted,
                reason,
                decided_by: actor.to_string(),
                decided_on: today,
                overruled: false,
            });
            self.status = if granted {
                Status::Approved
            } else {
                Status::Denied
            };
            return;
        }
        let stopping = circulation
            .tasks
            .iter()
            .filter(|t| t.status.stops_the_clock())
            .find_map(|t| {
                t.clock
                    .as_ref()
                    .and_then(|c| c.suspensions.iter().rev().find(|s| s.until.is_none()))
                    .map(|s| (s.kind, format!("{}: {}", t.spec.department, s.reason)))
            });
        if let Some(clock) = &mut self.clock {
            let open = clock.suspensions.iter().position(|s| s.until.is_none());
            match (stopping, open) {
                (Some((kind, reason)), None) => clock.suspensions.push(Suspension {
                    kind,
                    reason,
                    from: today,
                    until: None,
                }),
                (None, Some(i)) => clock.suspensions[i].until = Some(today),
                _ => {}
            }
            self.status = if clock.is_running() {
                Status::InReview
            } else {
                Status::Suspended
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::tests::restaurant;
    use crate::bundle::{Bundle, BundleMember};
    use crate::calendar::Calendar;
    use crate::case::{Applicant, ApplicantKind, CaseCommand, Channel, NewCase, submit_bundle};
    use crate::catalogue::PublishedItem;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    struct World {
        calendar: Calendar,
        today: NaiveDate,
    }

    impl World {
        fn ctx<'a>(&'a self, actor: &'a str) -> Context<'a> {
            Context {
                actor,
                now: self.today.and_hms_opt(2, 0, 0).expect("time").and_utc(),
                today: self.today,
                calendar: &self.calendar,
            }
        }

        fn case(&self, command: CaseCommand, actor: &str, case: &mut Case) {
            self.try_case(command, actor, case)
                .expect("the case command");
        }

        fn try_case(
            &self,
            command: CaseCommand,
            actor: &str,
            case: &mut Case,
        ) -> Result<(), CaseError> {
            let ctx = self.ctx(actor);
            for e in case.decide(&command, &ctx)? {
                case.apply(&e, actor, ctx.now, ctx.today);
            }
            Ok(())
        }

        fn task(&self, key: &str, command: TaskCommand, actor: &str, case: &mut Case) {
            self.try_task(key, command, actor, case)
                .expect("the task command");
        }

        fn try_task(
            &self,
            key: &str,
            command: TaskCommand,
            actor: &str,
            case: &mut Case,
        ) -> Result<(), CaseError> {
            let ctx = self.ctx(actor);
            for e in case.decide_task(key, &command, &ctx)? {
                case.apply(&e, actor, ctx.now, ctx.today);
            }
            Ok(())
        }

        /// Claim, countersign as needed and decide.
        fn finish(&self, key: &str, approve: bool, case: &mut Case) {
            let claimer = format!("reviewer-{key}");
            self.task(key, TaskCommand::Claim, &claimer, case);
            let needed = case
                .circulation
                .as_ref()
                .and_then(|c| c.task(key))
                .map_or(0, |t| t.spec.countersign);
            for i in 0..needed {
                self.task(
                    key,
                    TaskCommand::Countersign {
                        opinion: "符合条件".into(),
                    },
                    &format!("signer-{i}"),
                    case,
                );
            }
            self.task(
                key,
                TaskCommand::Decide {
                    approve,
                    reason: if approve {
                        String::new()
                    } else {
                        "场所不符合要求".into()
                    },
                },
                &format!("approver-{key}"),
                case,
            );
        }
    }

    fn applicant() -> Applicant {
        Applicant {
            kind: ApplicantKind::Enterprise,
            name: "宁海县示范民宿有限公司".into(),
            id_number: "91330226MA2AXXXX0X".into(),
            phone: None,
        }
    }

    fn accepted(world: &World, bundle: &Bundle, items: &[PublishedItem]) -> Case {
        let plan = bundle.resolve(1, items).expect("a sound bundle");
        let materials: Vec<String> = plan.demanded_materials().map(|m| m.key.clone()).collect();
        let (mut case, event) = submit_bundle(
            "c1".into(),
            "330226202611270001".into(),
            &plan,
            NewCase {
                applicant: applicant(),
                channel: Channel::Window,
                centre: "county-hall".into(),
                materials,
                filed_by: None,
                commitments: Vec::new(),
            },
            &world.ctx("clerk"),
        )
        .expect("submits");
        let ctx = world.ctx("clerk");
        case.apply(&event, "clerk", ctx.now, ctx.today);
        world.case(CaseCommand::Accept, "clerk", &mut case);
        case
    }

    /// Five members, all in parallel, as the homestay bundle runs.
    fn parallel(n: usize) -> (Bundle, Vec<PublishedItem>) {
        let (_, template) = restaurant();
        let departments = ["GAJ", "XFJY", "STHJ", "WJJ", "SCJGJ"];
        let items: Vec<PublishedItem> = (0..n)
            .map(|i| {
                let mut item = template[i % template.len()].clone();
                item.item.code = format!("I{i}");
                item.item.department = departments[i % departments.len()].into();
                item.item.promised_days = 3 + u32::try_from(i).unwrap_or(0);
                item
            })
            .collect();
        let bundle = Bundle {
            code: "LB-P".into(),
            name: "并联".into(),
            name_en: String::new(),
            description: String::new(),
            lead_department: "GAJ".into(),
            lead_window: String::new(),
            promised_days: 20,
            members: items
                .iter()
                .map(|i| BundleMember {
                    item_code: i.item.code.clone(),
                    after: vec![],
                    essential: false,
                    countersign: 0,
                })
                .collect(),
        };
        (bundle, items)
    }

    fn staff(posts: Vec<crate::access::Post>) -> crate::access::Principal {
        crate::access::Principal {
            user_id: "u".into(),
            username: "u".into(),
            display_name: "u".into(),
            identity: None,
            posts,
            may_reveal_personal_data: false,
        }
    }

    #[test]
    fn a_department_sees_the_other_departments_tasks_by_state_and_due_day_only() {
        use crate::access::{Post, Role};
        use crate::disclosure::Disclosure;
        let world = World {
            calendar: Calendar::prc(),
            today: day(2026, 11, 2),
        };
        let (bundle, items) = parallel(3);
        let mut case = accepted(&world, &bundle, &items);
        // I0 (GAJ) is stopped for an inspection, I1 (XFJY) countersigned and denied.
        world.task("I0", TaskCommand::Claim, "gaj-li", &mut case);
        world.task(
            "I0",
            TaskCommand::Suspend {
                kind: SuspensionKind::Inspection,
                reason: "现场核查消防通道".into(),
            },
            "gaj-li",
            &mut case,
        );
        world.finish("I1", false, &mut case);
        let mut history: Vec<(String, CaseEvent)> = Vec::new();
        // The events as the store keeps them, rebuilt from the case's own record.
        history.push((
            "approver-I1".into(),
            CaseEvent::Task {
                task: "I1".into(),
                event: TaskEvent::Decided {
                    approved: false,
                    reason: "场所不符合要求".into(),
                },
            },
        ));
        history.push((
            "gaj-li".into(),
            CaseEvent::Task {
                task: "I0".into(),
                event: TaskEvent::Suspended {
                    kind: SuspensionKind::Inspection,
                    reason: "现场核查消防通道".into(),
                },
            },
        ));
        let whole = case.clone();

        // A reviewer of STHJ (I2): the others' state and due day, nothing of their work.
        let sthj = staff(vec![Post::new(Role::Reviewer).in_department("STHJ")]);
        let disclosure = Disclosure::of(&sthj, &case);
        let mut seen = case.clone();
        disclosure.redact_case(&mut seen);
        let tasks = &seen.circulation.as_ref().expect("joint").tasks;
        let gaj = &tasks[0];
        assert_eq!(
            gaj.status,
            whole.circulation.as_ref().expect("joint").tasks[0].status
        );
        assert_eq!(
            gaj.due_on(&world.calendar),
            whole.circulation.as_ref().expect("joint").tasks[0].due_on(&world.calendar)
        );
        assert_eq!(gaj.claimed_by, None);
        let stops = &gaj.clock.as_ref().expect("clock").suspensions;
        assert!(stops.iter().all(|s| s.reason.is_empty()), "{stops:?}");
        let xfjy = &tasks[1];
        assert_eq!(xfjy.status, TaskStatus::Denied);
        let decision = xfjy.decision.as_ref().expect("decided");
        assert!(decision.reason.is_empty() && decision.decided_by.is_empty());
        assert!(xfjy.countersigns.is_empty());
        let case_stops = &seen.clock.as_ref().expect("clock").suspensions;
        assert!(
            case_stops.iter().all(|s| s.reason.is_empty()),
            "{case_stops:?}"
        );
        let serialized = serde_json::to_string(&seen).expect("json");
        for secret in [
            "现场核查消防通道",
            "场所不符合要求",
            "gaj-li",
            "approver-I1",
            "reviewer-I1",
        ] {
            assert!(!serialized.contains(secret), "{secret} leaks: {serialized}");
        }
        for (actor, event) in &mut history {
            disclosure.redact_event(&case, actor, event);
        }
        let serialized = serde_json::to_string(&history).expect("json");
        for secret in [
            "现场核查消防通道",
            "场所不符合要求",
            "gaj-li",
            "approver-I1",
        ] {
            assert!(!serialized.contains(secret), "{secret} leaks: {serialized}");
        }

        // GAJ's reviewer sees its own task whole, and still not XFJY's reasons.
        let gaj_reviewer = staff(vec![Post::new(Role::Reviewer).in_department("GAJ")]);
        let mut seen = case.clone();
        Disclosure::of(&gaj_reviewer, &case).redact_case(&mut seen);
        let tasks = &seen.circulation.as_ref().expect("joint").tasks;
        assert_eq!(tasks[0].claimed_by.as_deref(), Some("gaj-li"));
        assert_eq!(
            tasks[0].clock,
            whole.circulation.as_ref().expect("joint").tasks[0].clock
        );
        assert!(
            tasks[1]
                .decision
                .as_ref()
                .expect("decided")
                .reason
                .is_empty()
        );

        // The window of the case's centre and a supervisor see it whole.
        let clerk = staff(vec![Post::new(Role::Clerk).at_centre("county-hall")]);
        let supervisor = staff(vec![Post::new(Role::Supervisor)]);
        for reader in [clerk, supervisor] {
            let mut seen = case.clone();
            Disclosure::of(&reader, &case).redact_case(&mut seen);
            assert_eq!(seen, whole);
        }
        // A clerk of another centre is a department-less reader: sees no task whole.
        let other_clerk = staff(vec![Post::new(Role::Clerk).at_centre("xidian")]);
        assert_eq!(
            Disclosure::of(&other_clerk, &case),
            Disclosure::OwnTasks(vec![])
        );
    }

    fn statuses(case: &Case) -> Vec<(&str, TaskStatus)> {
        case.circulation
            .as_ref()
            .map(|c| c.tasks.iter().map(|t| (t.key(), t.status)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn acceptance_starts_the_first_tasks_and_an_approval_starts_the_next() {
        let world = World {
            calendar: Calendar::prc(),
            today: day(2026, 3, 2),
        };
        let (bundle, items) = restaurant();
        let mut case = accepted(&world, &bundle, &items);
        assert_eq!(case.status, Status::InReview);
        assert_eq!(
            statuses(&case),
            vec![
                ("SC-REG", TaskStatus::Open),
                ("SC-FOOD", TaskStatus::Waiting),
                ("XF-CHECK", TaskStatus::Waiting)
            ]
        );
        // The case's clock is the joint limit; the task's is its item's.
        let clock = case.clock.as_ref().expect("a clock");
        assert_eq!(clock.limit_days, 45);
        world.finish("SC-REG", true, &mut case);
        let c = case.circulation.as_ref().expect("circulation");
        assert_eq!(
            c.tasks[0].result_document.as_deref(),
            Some("330226202611270001-01")
        );
        assert_eq!(
            statuses(&case)[1..],
            [
                ("SC-FOOD", TaskStatus::Open),
                ("XF-CHECK", TaskStatus::Open)
            ]
        );
        // The fire check needs two countersigns before the decision.
        world.task("XF-CHECK", TaskCommand::Claim, "fire-1", &mut case);
        let err = world
            .try_task(
                "XF-CHECK",
                TaskCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
                "fire-chief",
                &mut case,
            )
            .expect_err("needs countersigns");
        assert!(err.to_string().contains("countersign"), "{err}");
        world.task(
            "XF-CHECK",
            TaskCommand::Countersign {
                opinion: "现场合格".into(),
            },
            "fire-1",
            &mut case,
        );
        let twice = world.try_task(
            "XF-CHECK",
            TaskCommand::Countersign {
                opinion: "again".into(),
            },
            "fire-1",
            &mut case,
        );
        assert!(twice.is_err(), "one reviewer signs once");
        world.task(
            "XF-CHECK",
            TaskCommand::Countersign {
                opinion: "同意".into(),
            },
            "fire-2",
            &mut case,
        );
        world.task(
            "XF-CHECK",
            TaskCommand::Decide {
                approve: true,
                reason: String::new(),
            },
            "fire-chief",
            &mut case,
        );
        world.finish("SC-FOOD", true, &mut case);
        assert_eq!(case.status, Status::Approved);
        let decision = case.decision.as_ref().expect("decided");
        assert!(decision.approved);
        assert_eq!(decision.reason, "all 3 members approved");
        // One delivery for everything.
        world.case(
            CaseCommand::IssueResult {
                document_number: None,
            },
            "clerk",
            &mut case,
        );
        assert_eq!(case.status, Status::ResultIssued);
    }

    #[test]
    fn the_case_is_not_reviewed_or_decided_outside_its_tasks_and_the_clerk_decides_nothing() {
        let world = World {
            calendar: Calendar::prc(),
            today: day(2026, 3, 2),
        };
        let (bundle, items) = restaurant();
        let mut case = accepted(&world, &bundle, &items);
        let err = world
            .try_case(
                CaseCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
                "approver",
                &mut case,
            )
            .expect_err("decided in tasks");
        assert!(err.to_string().contains("department tasks"), "{err}");
        world.task("SC-REG", TaskCommand::Claim, "r", &mut case);
        let err = world
            .try_task(
                "SC-REG",
                TaskCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
                "clerk",
                &mut case,
            )
            .expect_err("the accepting clerk");
        assert!(err.to_string().contains("separate"), "{err}");
        // Only the claimer sends back or stops the task.
        let err = world
            .try_task(
                "SC-REG",
                TaskCommand::SendBack { reason: "x".into() },
                "other",
                &mut case,
            )
            .expect_err("not the claimer");
        assert!(err.to_string().contains("claimed by r"), "{err}");
        // A waiting task cannot be claimed.
        let err = world
            .try_task("SC-FOOD", TaskCommand::Claim, "r", &mut case)
            .expect_err("waiting");
        assert!(matches!(
            err,
            CaseError::NotAllowed {
                status: "waiting",
                ..
            }
        ));
        // An extension of a joint case may reach 15 days, not 16.
        assert!(
            world
                .try_case(
                    CaseCommand::Extend {
                        working_days: 16,
                        reason: "复杂".into()
                    },
                    "approver",
                    &mut case
                )
                .is_err()
        );
        world.case(
            CaseCommand::Extend {
                working_days: 15,
                reason: "复杂".into(),
            },
            "approver",
            &mut case,
        );
        assert_eq!(case.clock.as_ref().map(|c| c.total_limit()), Some(60));
    }

    #[test]
    fn a_denied_member_denies_its_own_licence_and_what_needs_it_unless_essential() {
        let world = World {
            calendar: Calendar::prc(),
            today: day(2026, 3, 2),
        };
        let (bundle, items) = parallel(3);
        let mut case = accepted(&world, &bundle, &items);
        world.finish("I1", false, &mut case);
        world.finish("I0", true, &mut case);
        world.finish("I2", true, &mut case);
        assert_eq!(
            case.status,
            Status::Approved,
            "a partial grant is still a grant"
        );
        let reason = &case.decision.as_ref().expect("decided").reason;
        assert!(reason.starts_with("2 of 3 members approved"), "{reason}");
        assert!(reason.contains("场所不符合要求"), "{reason}");

        // The essential registration denied: the members after it are withdrawn, the case denied.
        let (bundle, items) = restaurant();
        let mut case = accepted(&world, &bundle, &items);
        world.finish("SC-REG", false, &mut case);
        assert_eq!(case.status, Status::Denied);
        assert_eq!(
            statuses(&case),
            vec![
                ("SC-REG", TaskStatus::Denied),
                ("SC-FOOD", TaskStatus::Withdrawn),
                ("XF-CHECK", TaskStatus::Withdrawn)
            ]
        );
        // Not essential but needed by the others: they are withdrawn, the case is denied
        // because nothing was approved.
        let (mut bundle, items) = restaurant();
        bundle.members[0].essential = false;
        let mut case = accepted(&world, &bundle, &items);
        world.finish("SC-REG", false, &mut case);
        assert_eq!(case.status, Status::Denied);
        let withdrawn = case
            .circulation
            .as_ref()
            .and_then(|c| c.task("SC-FOOD"))
            .and_then(|t| t.withdrawn_reason.clone());
        assert!(withdrawn.is_some_and(|r| r.contains("not approved")));
    }

    #[test]
    fn a_department_sends_back_and_the_lead_window_resubmits() {
        let world = World {
            calendar: Calendar::prc(),
            today: day(2026, 3, 2),
        };
        let (bundle, items) = parallel(2);
        let mut case = accepted(&world, &bundle, &items);
        world.task("I1", TaskCommand::Claim, "r1", &mut case);
        world.task(
            "I1",
            TaskCommand::SendBack {
                reason: "经营地址与申请表不一致".into(),
            },
            "r1",
            &mut case,
        );
        let task = case
            .circulation
            .as_ref()
            .and_then(|c| c.task("I1"))
            .cloned()
            .expect("task");
        assert_eq!(task.status, TaskStatus::SentBack);
        assert_eq!(task.claimed_by, None);
        assert!(
            world
                .try_task(
                    "I1",
                    TaskCommand::Resubmit { note: " ".into() },
                    "clerk",
                    &mut case
                )
                .is_err()
        );
        world.task(
            "I1",
            TaskCommand::Resubmit {
                note: "已核对地址".into(),
            },
            "clerk",
            &mut case,
        );
        assert_eq!(statuses(&case)[1], ("I1", TaskStatus::Open));
        world.finish("I1", true, &mut case);
        world.finish("I0", true, &mut case);
        assert_eq!(case.status, Status::Approved);
    }

    #[test]
    fn two_departments_asking_for_materials_make_one_notice_and_one_answer_restarts_both() {
        let world = World {
            calendar: Calendar::prc(),
            today: day(2026, 3, 2),
        };
        let (bundle, items) = parallel(3);
        let mut case = accepted(&world, &bundle, &items);
        let keys: Vec<String> = ["I0", "I1"]
            .iter()
            .map(|k| {
                case.circulation
                    .as_ref()
                    .and_then(|c| c.task(k))
                    // The last material is the item's own; the first is the
                    // one application form every department shares.
                    .and_then(|t| t.spec.materials.last().cloned())
                    .expect("a material")
            })
            .collect();
        assert_ne!(keys[0], keys[1], "two departments ask for different papers");
        world.task("I0", TaskCommand::Claim, "a", &mut case);
        world.task("I1", TaskCommand::Claim, "b", &mut case);
        world.task(
            "I0",
            TaskCommand::RequestSupplement {
                missing: vec![keys[0].clone()],
                note: "申请表未盖章".into(),
            },
            "a",
            &mut case,
        );
        assert_eq!(case.status, Status::Suspended);
        world.task(
            "I1",
            TaskCommand::RequestSupplement {
                missing: vec![keys[1].clone()],
                note: "平面图不清晰".into(),
            },
            "b",
            &mut case,
        );
        assert_eq!(case.supplement_notices.len(), 1, "one notice");
        let notice = &case.supplement_notices[0];
        assert_eq!(notice.missing, keys);
        assert!(notice.note.contains("申请表未盖章") && notice.note.contains("平面图不清晰"));
        // The third department still works while the clock is stopped.
        world.finish("I2", true, &mut case);
        assert_eq!(case.status, Status::Suspended);
        // Part of the answer restarts only the task that has all it asked for.
        world.case(
            CaseCommand::ProvideSupplement {
                materials: vec![keys[0].clone()],
            },
            "applicant",
            &mut case,
        );
        assert_eq!(statuses(&case)[0].1, TaskStatus::InReview);
        assert_eq!(case.status, Status::Suspended);
        world.case(
            CaseCommand::ProvideSupplement {
                materials: vec![keys[1].clone()],
            },
            "applicant",
            &mut case,
        );
        assert_eq!(case.status, Status::InReview);
        assert_eq!(case.clock.as_ref().map(|c| c.suspensions.len()), Some(1));
        // Asking again after the answer is a new notice.
        world.task(
            "I0",
            TaskCommand::RequestSupplement {
                missing: vec![keys[0].clone()],
                note: "再次补正".into(),
            },
            "a",
            &mut case,
        );
        assert_eq!(case.supplement_notices.len(), 2);
    }

    #[test]
    fn a_suspension_inside_one_task_stops_the_case_clock_but_not_the_other_tasks() {
        let calendar = Calendar::prc();
        // Accepted on Monday 2 March 2026; the case promises 20 working days.
        let mut world = World {
            calendar: calendar.clone(),
            today: day(2026, 3, 2),
        };
        let (bundle, items) = parallel(2);
        let mut case = accepted(&world, &bundle, &items);
        let due_before = case.due_on(&calendar).expect("calendar");
        assert_eq!(due_before, Some(day(2026, 3, 30)));
        world.task("I0", TaskCommand::Claim, "a", &mut case);
        world.today = day(2026, 3, 4);
        world.task(
            "I0",
            TaskCommand::Suspend {
                kind: SuspensionKind::Inspection,
                reason: "现场勘查".into(),
            },
            "a",
            &mut case,
        );
        assert_eq!(case.status, Status::Suspended);
        assert_eq!(case.due_on(&calendar).expect("calendar"), None, "stopped");
        let other = case
            .circulation
            .as_ref()
            .and_then(|c| c.task("I1"))
            .cloned()
            .expect("task");
        assert_eq!(
            other.due_on(&calendar).expect("calendar"),
            Some(day(2026, 3, 6)),
            "the other task runs on"
        );
        // Five working days later (Wednesday 11 March) the inspection is over; the new due day
        // steps over the Qingming holiday (4–6 April).
        world.today = day(2026, 3, 11);
        world.task("I0", TaskCommand::Resume, "a", &mut case);
        assert_eq!(case.status, Status::InReview);
        assert_eq!(
            case.due_on(&calendar).expect("calendar"),
            Some(day(2026, 4, 7))
        );
        let own = case
            .circulation
            .as_ref()
            .and_then(|c| c.task("I0"))
            .cloned()
            .expect("task");
        // I0 promised 3 days from 2 March: due 5 March, moved by the 5 stopped days.
        assert_eq!(
            own.due_on(&calendar).expect("calendar"),
            Some(day(2026, 3, 12))
        );
    }

    proptest! {
        /// Members finishing in any order: the case is decided exactly when the last one is,
        /// and the decision does not depend on the order.
        #[test]
        fn members_finish_in_any_order(
            order in Just((0..5usize).collect::<Vec<_>>()).prop_shuffle(),
            denied in proptest::collection::vec(any::<bool>(), 5),
        ) {
            let world = World { calendar: Calendar::prc(), today: day(2026, 3, 2) };
            let (bundle, items) = parallel(5);
            let mut case = accepted(&world, &bundle, &items);
            for (n, i) in order.iter().enumerate() {
                prop_assert!(case.decision.is_none());
                world.finish(&format!("I{i}"), !denied[*i], &mut case);
                prop_assert_eq!(case.decision.is_some(), n == 4);
            }
            let approved = denied.iter().filter(|d| !**d).count();
            prop_assert_eq!(case.status == Status::Approved, approved > 0);
            let reason = &case.decision.as_ref().expect("decided").reason;
            if approved < 5 {
                prop_assert!(reason.starts_with(&format!("{approved} of 5 members approved")), "{}", reason);
            }
        }
    }
}
