//! A joint case's department tasks.

use super::*;

/// The message key of a task state's name.
pub fn task_status_key(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Waiting => "common-task-status-waiting",
        TaskStatus::Open => "common-task-status-open",
        TaskStatus::InReview => "common-task-status-in_review",
        TaskStatus::AwaitingSupplement => "common-task-status-awaiting_supplement",
        TaskStatus::Suspended => "common-task-status-suspended",
        TaskStatus::SentBack => "common-task-status-sent_back",
        TaskStatus::Approved => "common-task-status-approved",
        TaskStatus::Denied => "common-task-status-denied",
        TaskStatus::Withdrawn => "common-task-status-withdrawn",
    }
}

/// The message key of a task action's name (a button's words).
pub fn task_action_key(action: TaskAction) -> &'static str {
    match action {
        TaskAction::Claim => "common-task-action-claim",
        TaskAction::Transfer => "common-task-action-transfer",
        TaskAction::Countersign => "common-task-action-countersign",
        TaskAction::RequestSupplement => "common-task-action-request-supplement",
        TaskAction::Suspend => "common-task-action-suspend",
        TaskAction::Resume => "common-task-action-resume",
        TaskAction::SendBack => "common-task-action-send-back",
        TaskAction::Resubmit => "common-task-action-resubmit",
        TaskAction::Decide => "common-task-action-decide",
    }
}

/// A department's name in the reader's language, or its code.
pub fn department_name(t: &Messages, departments: &[Department], code: &str) -> String {
    departments.iter().find(|d| d.code == code).map_or_else(
        || code.to_string(),
        |d| {
            if t.lang() == Lang::En && !d.name_en.is_empty() {
                d.name_en.clone()
            } else {
                d.name.clone()
            }
        },
    )
}

/// One department's task of a joint case as the progress table shows it.
#[derive(Debug, Clone)]
pub struct TaskRowView {
    pub key: String,
    pub item_name: String,
    pub department: String,
    pub status: TaskStatus,
    pub status_label: String,
    /// `done`, `denied`, `stopped`, `waiting` or `working`: the badge's look.
    pub status_class: &'static str,
    /// "parallel", or "after 营业执照".
    pub order: String,
    pub essential: bool,
    pub due_on: String,
    pub days_text: String,
    pub light_class: &'static str,
    pub light_label: String,
    /// Who claimed it (only for those who may see it).
    pub claimed_by: Option<String>,
    /// "1 / 2" when the item needs countersigns.
    pub countersigns: Option<String>,
    /// "准予许可 · 2026年11月3日 · fire-approver".
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub result_document: Option<String>,
    pub sent_back_reason: Option<String>,
    pub withdrawn_reason: Option<String>,
    /// The materials it waits for from the applicant.
    pub awaiting: Option<String>,
    /// The task's page for this reader, if they work it.
    pub href: Option<String>,
    /// The reader's own department's task.
    pub own: bool,
    pub version: u32,
}

/// The tasks of a joint case, in the bundle's order. `own` names the reader's departments;
/// `href` gives the page of a task the reader works, if any.
pub fn task_rows(
    t: &Messages,
    case: &Case,
    people: &Names,
    service: &Service,
    own: &[String],
    href: impl Fn(&Task) -> Option<String>,
) -> Vec<TaskRowView> {
    let Some(circulation) = &case.circulation else {
        return Vec::new();
    };
    let calendar = &service.calendar();
    let today = service.today();
    let names = MaterialNames::for_case(case, None);
    let item_name = |code: &str| {
        circulation
            .task(code)
            .map_or_else(|| code.to_string(), |t| t.spec.item_name.clone())
    };
    circulation
        .tasks
        .iter()
        .map(|task| {
            let running = task.clock.as_ref().filter(|_| !task.status.is_finished());
            let left = running.and_then(|c| c.timeliness(calendar, today).ok());
            let stopped = task.status.stops_the_clock();
            let light = if task.status.is_finished() || task.status == TaskStatus::Waiting {
                None
            } else if stopped {
                Some(Light::Grey)
            } else {
                Light::of(Status::InReview, left, running.map(|c| c.total_limit()))
            };
            let due = task.due_on(calendar).ok().flatten();
            let sep = if t.lang() == Lang::ZhCn { "、" } else { ", " };
            TaskRowView {
                key: task.key().to_string(),
                item_name: task.spec.item_name.clone(),
                department: people.department(t, task.department()),
                status: task.status,
                status_label: t.get(task_status_key(task.status)).to_string(),
                status_class: match task.status {
                    TaskStatus::Approved => "done",
                    TaskStatus::Denied | TaskStatus::Withdrawn => "denied",
                    TaskStatus::AwaitingSupplement
                    | TaskStatus::Suspended
                    | TaskStatus::SentBack => "stopped",
                    TaskStatus::Waiting => "waiting",
                    TaskStatus::Open | TaskStatus::InReview => "working",
                },
                order: if task.spec.after.is_empty() {
                    t.get("common-task-parallel").to_string()
                } else {
                    t.fill1(
                        "common-task-after",
                        "items",
                        task.spec
                            .after
                            .iter()
                            .map(|a| item_name(a))
                            .collect::<Vec<_>>()
                            .join(sep),
                    )
                },
                essential: task.spec.essential,
                due_on: t.date_or_dash(&due),
                days_text: if task.status.is_finished() || task.status == TaskStatus::Waiting {
                    String::new()
                } else if stopped {
                    t.get("window-clock-stopped").to_string()
                } else {
                    days_left_text(t, Status::InReview, left)
                },
                light_class: light.map_or("", Light::class),
                light_label: light.map_or_else(String::new, |l| t.get(l.label_key()).to_string()),
                claimed_by: task.claimed_by.as_deref().map(|by| people.person(by)),
                countersigns: (task.spec.countersign > 0)
                    .then(|| format!("{} / {}", task.countersigns.len(), task.spec.countersign)),
                decision: task.decision.as_ref().map(|d| {
                    let mut parts = vec![
                        t.get(if d.approved {
                            "common-task-status-approved"
                        } else {
                            "common-task-status-denied"
                        })
                        .to_string(),
                        t.date(&d.decided_on),
                    ];
                    if !d.decided_by.is_empty() {
                        parts.push(people.person(&d.decided_by));
                    }
                    parts.join(" · ")
                }),
                reason: task
                    .decision
                    .as_ref()
                    .map(|d| d.reason.clone())
                    .filter(|r| !r.trim().is_empty()),
                result_document: task.result_document.clone(),
                sent_back_reason: task.sent_back_reason.clone(),
                withdrawn_reason: task.withdrawn_reason.clone(),
                awaiting: (!task.awaiting.is_empty()).then(|| names.list(t, &task.awaiting)),
                href: href(task),
                own: own.iter().any(|d| d == task.department()),
                version: task.version,
            }
        })
        .collect()
}
