//! What of a case its reader may see (信息披露范围): one rule for every way a case leaves the
//! service — the API, the pages, lists, exports and messages.
//!
//! A joint case (联合审批) is shared by several departments, and each is answerable for its own
//! part only. A department therefore sees the other departments' tasks by state and due day:
//! not their staff, their countersign opinions, their reasons for stopping, sending back or
//! deciding, nor the licences they issued. The window that accepted the case, the supervisors,
//! the return-visit desk and the applicant see the whole case.

use crate::access::{Principal, Role};
use crate::case::{Case, CaseEvent};
use crate::circulation::{Task, TaskEvent};

/// What a reader may see of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disclosure {
    /// Everything (the window of the case's centre, supervisors, return visits).
    Whole,
    /// Everything but the government's internal working papers: the applicant and the agent
    /// see the decision and its reasons, not the reviewer's opinion behind it (审查意见).
    Public,
    /// The whole of the tasks of these departments; of the others, their state and due day.
    OwnTasks(Vec<String>),
}

impl Disclosure {
    /// What `who` may see of `case`. A case that is not joint has nothing to hide from whoever
    /// may read it at all (access itself is [`crate::access::decide_case`]'s question).
    pub fn of(who: &Principal, case: &Case) -> Disclosure {
        let staff = who
            .posts
            .iter()
            .any(|p| !matches!(p.role, Role::Applicant | Role::Agent | Role::Administrator));
        if !who.is_system()
            && !staff
            && (who.has_role(Role::Applicant) || who.has_role(Role::Agent))
        {
            return Disclosure::Public;
        }
        let whole = case.circulation.is_none()
            || who.is_system()
            || who.has_role(Role::Supervisor)
            || who.has_role(Role::ReturnVisitOperator)
            || who.posts.iter().any(|p| {
                p.role == Role::Clerk && p.centre.as_deref() == Some(case.centre.as_str())
            });
        if whole {
            return Disclosure::Whole;
        }
        Disclosure::OwnTasks(
            who.posts
                .iter()
                .filter(|p| matches!(p.role, Role::Reviewer | Role::Approver))
                .filter_map(|p| p.department.clone())
                .collect(),
        )
    }

    /// True when the reader sees all of the department's task.
    pub fn sees_department(&self, department: &str) -> bool {
        match self {
            Disclosure::Whole | Disclosure::Public => true,
            Disclosure::OwnTasks(own) => own.iter().any(|d| d == department),
        }
    }

    pub fn is_whole(&self) -> bool {
        *self == Disclosure::Whole
    }

    /// Takes out of `case` what the reader may not see.
    pub fn redact_case(&self, case: &mut Case) {
        match self {
            Disclosure::Whole => return,
            Disclosure::Public => {
                case.proposal = None;
                return;
            }
            Disclosure::OwnTasks(_) => {}
        }
        // The case's own clock and decision are made of its tasks': their reasons name other
        // departments' grounds, and the decider is another department's staff.
        if let Some(clock) = &mut case.clock {
            for stop in &mut clock.suspensions {
                stop.reason.clear();
            }
        }
        if let Some(decision) = &mut case.decision {
            decision.reason.clear();
            decision.decided_by.clear();
        }
        if let Some(circulation) = &mut case.circulation {
            for task in &mut circulation.tasks {
                if !self.sees_department(task.department()) {
                    redact_task(task);
                }
            }
        }
    }

    /// Takes out of one history entry (its actor and event) what the reader may not see; the
    /// entry itself stays, so that the reader sees that something happened and when.
    pub fn redact_event(&self, case: &Case, actor: &mut String, event: &mut CaseEvent) {
        match self {
            Disclosure::Whole => return,
            Disclosure::Public => {
                // To the applicant a proposal is the review under way (审查中), as the case's
                // status says: who proposed what, for or against, stays inside.
                if matches!(event, CaseEvent::Proposed { .. }) {
                    actor.clear();
                    *event = CaseEvent::ReviewStarted;
                }
                return;
            }
            Disclosure::OwnTasks(_) => {}
        }
        match event {
            CaseEvent::Task { task, event } => {
                let department = case
                    .circulation
                    .as_ref()
                    .and_then(|c| c.task(task))
                    .map(|t| t.department().to_string());
                if department.is_some_and(|d| self.sees_department(&d)) {
                    return;
                }
                actor.clear();
                redact_task_event(event);
            }
            CaseEvent::Decided { reason, .. } | CaseEvent::Suspended { reason, .. } => {
                actor.clear();
                reason.clear();
            }
            _ => {}
        }
    }
}

/// Another department's task: its state, its due day and what it waits for stay.
fn redact_task(task: &mut Task) {
    task.claimed_by = None;
    task.countersigns.clear();
    task.sent_back_reason = None;
    task.withdrawn_reason = None;
    task.result_document = None;
    if let Some(decision) = &mut task.decision {
        decision.reason.clear();
        decision.decided_by.clear();
    }
    if let Some(clock) = &mut task.clock {
        for stop in &mut clock.suspensions {
            stop.reason.clear();
        }
    }
}

fn redact_task_event(event: &mut TaskEvent) {
    match event {
        TaskEvent::Claimed | TaskEvent::Resumed => {}
        TaskEvent::Transferred { to, reason } => {
            to.clear();
            reason.clear();
        }
        TaskEvent::Countersigned { opinion } => opinion.clear(),
        TaskEvent::SupplementRequested { note, .. } | TaskEvent::Resubmitted { note } => {
            note.clear();
        }
        TaskEvent::Suspended { reason, .. }
        | TaskEvent::SentBack { reason }
        | TaskEvent::Decided { reason, .. } => reason.clear(),
    }
}

/// What anyone who holds a receipt may learn of its case (办件查询, no login): the item, where
/// the case stands and its dates. Nothing of the applicant, the staff, the opinions or the
/// reasons.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicStatus {
    pub number: String,
    pub item_name: String,
    pub status: crate::case::Status,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub received_on: chrono::NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub accepted_on: Option<chrono::NaiveDate>,
    /// The day the promised time limit ends, while the clock runs.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due_on: Option<chrono::NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub decided_on: Option<chrono::NaiveDate>,
    /// True when granted, false when refused; absent before the decision.
    pub approved: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub closed_on: Option<chrono::NaiveDate>,
}

/// Whether `typed` names the applicant of `case`: the whole name, spaces around it ignored
/// (a receipt number alone does not open a case to the public).
pub fn names_the_applicant(case: &Case, typed: &str) -> bool {
    let typed = typed.trim();
    !typed.is_empty() && typed == case.applicant.name.trim()
}

/// The public status of `case`, `due_on` its due day today.
pub fn public_status(case: &Case, due_on: Option<chrono::NaiveDate>) -> PublicStatus {
    PublicStatus {
        number: case.number.clone(),
        item_name: case.item_name.clone(),
        status: case.status,
        received_on: case.received_on,
        accepted_on: case.accepted_on,
        due_on: due_on.filter(|_| case.status.is_on_clock()),
        decided_on: case.decision.as_ref().map(|d| d.decided_on),
        approved: case.decision.as_ref().map(|d| d.approved),
        closed_on: case.closed_on,
    }
}
