//! What every page about a case shows the same way: the labels of states, actions, events and
//! suspension kinds, the deadline light, the facts of a case, its materials with their files,
//! its history, the answer to a refused form, and the streaming of a handed-in file.
//!
//! The window's and the department's pages use these; so may the applicant's. The words are in
//! `i18n/<lang>/window.ftl` under `window-status-…`, `window-event-…`, `window-action-…` and the
//! like. No rule lives here: what may be done is `allowed_actions` of the service.

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use onewindow_app::clock::CHINA_OFFSET_SECONDS;
use onewindow_app::files::CaseFile;
use onewindow_app::service::CaseDetail;
use onewindow_app::{AppError, Service};
use onewindow_domain::case::{
    Action, ApplicantKind, Case, CaseEvent, Channel, DeliveryMethod, Status,
};
use onewindow_domain::catalogue::{Department, MaterialForm, PublishedItem};
use onewindow_domain::circulation::{Task, TaskAction, TaskEvent, TaskStatus};
use onewindow_domain::clock::SuspensionKind;

use crate::i18n::{Lang, Messages};
use crate::ui::{PageCtx, encode_query_value};

// ---- labels ---------------------------------------------------------------------------------

/// The message key of a state's name.
pub fn status_key(status: Status) -> &'static str {
    match status {
        Status::Submitted => "window-status-submitted",
        Status::PreReview => "window-status-pre_review",
        Status::SupplementRequested => "window-status-supplement_requested",
        Status::Accepted => "window-status-accepted",
        Status::Rejected => "window-status-rejected",
        Status::InReview => "window-status-in_review",
        Status::Suspended => "window-status-suspended",
        Status::Approved => "window-status-approved",
        Status::Denied => "window-status-denied",
        Status::ResultIssued => "window-status-result_issued",
        Status::Delivered => "window-status-delivered",
        Status::Closed => "window-status-closed",
    }
}

/// The message key of an action's name (a button's words).
pub fn action_key(action: Action) -> &'static str {
    match action {
        Action::StartPreReview => "window-action-start-pre-review",
        Action::RequestSupplement => "window-action-request-supplement",
        Action::ProvideSupplement => "window-action-provide-supplement",
        Action::Accept => "window-action-accept",
        Action::Reject => "window-action-reject",
        Action::StartReview => "window-action-start-review",
        Action::Suspend => "window-action-suspend",
        Action::Resume => "window-action-resume",
        Action::Extend => "window-action-extend",
        Action::Decide => "window-action-decide",
        Action::IssueResult => "window-action-issue-result",
        Action::Deliver => "window-action-deliver",
        Action::Close => "window-action-close",
        Action::RecordVisit => "window-action-record-visit",
    }
}

/// The message key of why a clock stops.
pub fn suspension_key(kind: SuspensionKind) -> &'static str {
    match kind {
        SuspensionKind::Supplement => "window-suspension-supplement",
        SuspensionKind::Hearing => "window-suspension-hearing",
        SuspensionKind::Inspection => "window-suspension-inspection",
        SuspensionKind::Testing => "window-suspension-testing",
        SuspensionKind::ExpertReview => "window-suspension-expert_review",
        SuspensionKind::PublicNotice => "window-suspension-public_notice",
    }
}

/// The name of a suspension kind in URLs and forms.
pub fn suspension_name(kind: SuspensionKind) -> &'static str {
    match kind {
        SuspensionKind::Supplement => "supplement",
        SuspensionKind::Hearing => "hearing",
        SuspensionKind::Inspection => "inspection",
        SuspensionKind::Testing => "testing",
        SuspensionKind::ExpertReview => "expert_review",
        SuspensionKind::PublicNotice => "public_notice",
    }
}

pub fn channel_key(channel: Channel) -> &'static str {
    match channel {
        Channel::Window => "window-channel-window",
        Channel::Online => "window-channel-online",
        Channel::Mobile => "window-channel-mobile",
        Channel::Township => "window-channel-township",
        Channel::Village => "window-channel-village",
        Channel::Agent => "window-channel-agent",
    }
}

fn material_form_key(form: MaterialForm) -> &'static str {
    match form {
        MaterialForm::Original => "window-material-form-original",
        MaterialForm::Copy => "window-material-form-copy",
        MaterialForm::Electronic => "window-material-form-electronic",
    }
}

fn event_key(event: &CaseEvent) -> &'static str {
    match event {
        CaseEvent::Submitted { .. } => "window-event-submitted",
        CaseEvent::PreReviewStarted => "window-event-pre_review_started",
        CaseEvent::SupplementRequested { .. } => "window-event-supplement_requested",
        CaseEvent::SupplementProvided { .. } => "window-event-supplement_provided",
        CaseEvent::Accepted { deemed: true, .. } => "window-event-deemed_accepted",
        CaseEvent::Accepted { .. } => "window-event-accepted",
        CaseEvent::Rejected { .. } => "window-event-rejected",
        CaseEvent::ReviewStarted => "window-event-review_started",
        CaseEvent::Suspended { .. } => "window-event-suspended",
        CaseEvent::Resumed => "window-event-resumed",
        CaseEvent::Extended { .. } => "window-event-extended",
        CaseEvent::Decided { approved: true, .. } => "window-event-approved",
        CaseEvent::Decided { .. } => "window-event-denied",
        CaseEvent::ResultIssued { .. } => "window-event-result_issued",
        CaseEvent::Delivered { .. } => "window-event-delivered",
        CaseEvent::Closed => "window-event-closed",
        CaseEvent::VisitRecorded { .. } => "window-event-visit_recorded",
        CaseEvent::DeadlineRecomputed { .. } => "window-event-deadline_recomputed",
        CaseEvent::Task { event, .. } => match event {
            TaskEvent::Claimed => "window-event-task_claimed",
            TaskEvent::Transferred { .. } => "window-event-task_transferred",
            TaskEvent::Countersigned { .. } => "window-event-task_countersigned",
            TaskEvent::SupplementRequested { .. } => "window-event-task_supplement_requested",
            TaskEvent::Suspended { .. } => "window-event-task_suspended",
            TaskEvent::Resumed => "window-event-task_resumed",
            TaskEvent::SentBack { .. } => "window-event-task_sent_back",
            TaskEvent::Resubmitted { .. } => "window-event-task_resubmitted",
            TaskEvent::Decided { approved: true, .. } => "window-event-task_approved",
            TaskEvent::Decided { .. } => "window-event-task_denied",
        },
    }
}

const CHINA: FixedOffset = match FixedOffset::east_opt(CHINA_OFFSET_SECONDS) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// An instant as the centre's clock shows it: `2026-11-27 13:38`.
pub fn local_time(at: &DateTime<Utc>) -> String {
    at.with_timezone(&CHINA)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The words of `key` for the count `n` (`{ $n }`), in the `<key>-one` form when `n` is 1 and
/// the language has one ("1 working day").
pub fn count(t: &Messages, key: &str, n: i64) -> String {
    let one = format!("{key}-one");
    let key = if n == 1 && t.has(&one) {
        one.as_str()
    } else {
        key
    };
    t.fill1(key, "n", n.to_string())
}

/// The messages [`count`] is used with; each has a `-one` form too.
pub const COUNTED: [&str; 8] = [
    "window-waited-days",
    "window-days-left",
    "window-days-overdue",
    "window-days-left-stopped",
    "window-used-days",
    "window-working-days",
    "window-visit-count",
    "window-queue-notice-left",
];

/// "2 hours", "3 working days": how long something has waited.
pub fn waited(t: &Messages, minutes: i64, working_days: Option<u32>) -> String {
    match working_days {
        Some(days) if days > 0 => count(t, "window-waited-days", i64::from(days)),
        _ if minutes < 60 => t.fill1("window-waited-minutes", "n", minutes.max(0).to_string()),
        _ if minutes < 24 * 60 => t.fill1("window-waited-hours", "n", (minutes / 60).to_string()),
        // Received on a day off (no working day since): count calendar days.
        _ => t.fill1(
            "window-waited-calendar-days",
            "n",
            (minutes / (24 * 60)).to_string(),
        ),
    }
}

// ---- the deadline light -----------------------------------------------------------------------

/// The colour of a case's clock by the monitor's rule (`onewindow_domain::monitor::LightRule`:
/// yellow in the last 20% of the limit or the last two working days, whichever is longer; red
/// when overdue), grey while the clock is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    Green,
    Yellow,
    Red,
    Grey,
}

impl Light {
    /// The light of a case on the clock; `None` for a case that is not on one.
    pub fn of(
        status: Status,
        working_days_left: Option<i64>,
        limit_days: Option<u32>,
    ) -> Option<Light> {
        if status == Status::Suspended {
            return Some(Light::Grey);
        }
        if !status.is_on_clock() {
            return None;
        }
        let rule = onewindow_domain::monitor::LightRule::default();
        working_days_left.map(|left| match rule.light(limit_days.unwrap_or(0), left) {
            onewindow_domain::monitor::Light::Red => Light::Red,
            onewindow_domain::monitor::Light::Yellow => Light::Yellow,
            onewindow_domain::monitor::Light::Green => Light::Green,
        })
    }

    /// The stylesheet class (`light <class>`).
    pub fn class(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
            Light::Grey => "grey",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Light::Green => "window-light-green",
            Light::Yellow => "window-light-yellow",
            Light::Red => "window-light-red",
            Light::Grey => "window-light-grey",
        }
    }
}

/// "3 working days left", "due today", "2 working days overdue", "clock stopped".
pub fn days_left_text(t: &Messages, status: Status, left: Option<i64>) -> String {
    match (status, left) {
        (Status::Suspended, Some(l)) if l >= 0 => {
            return count(t, "window-days-left-stopped", l);
        }
        (Status::Suspended, None) => return t.get("window-clock-stopped").to_string(),
        _ => {}
    }
    match left {
        Some(l) if l < 0 => count(t, "window-days-overdue", -l),
        Some(0) => t.get("window-days-last").to_string(),
        Some(l) => count(t, "window-days-left", l),
        None => "—".to_string(),
    }
}

// ---- a case's facts ---------------------------------------------------------------------------

/// The names of an item's materials by key: `营业执照（M03）`.
#[derive(Debug, Clone, Default)]
pub struct MaterialNames(HashMap<String, String>);

impl MaterialNames {
    /// The names of a case's materials: the bundle's one form for a joint case, else its item's.
    pub fn for_case(case: &Case, item: Option<&PublishedItem>) -> Self {
        match &case.circulation {
            Some(c) => Self(
                c.materials
                    .iter()
                    .map(|m| (m.key.clone(), m.name.clone()))
                    .collect(),
            ),
            None => Self::of(item),
        }
    }

    pub fn of(item: Option<&PublishedItem>) -> Self {
        Self(
            item.map(|i| {
                i.item
                    .materials
                    .iter()
                    .map(|m| (m.key.clone(), m.name.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The material's name, or its key when the item no longer has it.
    pub fn name(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| key.to_string())
    }

    /// The names of `keys`, joined for a sentence.
    pub fn list(&self, t: &Messages, keys: &[String]) -> String {
        let sep = if t.lang() == Lang::ZhCn { "、" } else { ", " };
        keys.iter()
            .map(|k| self.name(k))
            .collect::<Vec<_>>()
            .join(sep)
    }
}

/// The facts of a case as its pages show them, in the reader's language.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub id: String,
    pub number: String,
    pub version: u64,
    pub status: Status,
    pub status_label: String,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    pub applicant_name: String,
    pub applicant_kind: String,
    /// Masked by the service.
    pub applicant_id: String,
    pub applicant_phone: Option<String>,
    pub channel: String,
    pub centre: String,
    pub received_at: String,
    pub received_on: String,
    pub accepted_on: Option<String>,
    pub accepted_by: Option<String>,
    pub deemed_accepted: bool,
    pub promised_days: String,
    pub due_on: Option<String>,
    /// "预计，以国务院公布的2027年节假日安排为准" when the due day is counted on the provisional
    /// year.
    pub due_provisional: Option<String>,
    pub working_days_used: Option<u32>,
    pub working_days_left: Option<i64>,
    /// "used 3 working days".
    pub used_text: Option<String>,
    pub days_left_text: String,
    pub light: Option<Light>,
    pub light_label: String,
    pub extension: Option<String>,
    pub rejection_reason: Option<String>,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub result_document: Option<String>,
    pub delivery: Option<String>,
    pub visit_count: usize,
    /// "1 visit so far".
    pub visit_count_text: String,
    pub at_most_once: bool,
    pub closed_on: Option<String>,
}

impl CaseView {
    pub fn new(detail: &CaseDetail, t: &Messages, departments: &[Department]) -> Self {
        let case = &detail.case;
        let light = Light::of(
            case.status,
            detail.working_days_left,
            case.clock.as_ref().map(|c| c.total_limit()),
        );
        let department = departments
            .iter()
            .find(|d| d.code == case.department)
            .map_or_else(
                || case.department.clone(),
                |d| {
                    if t.lang() == Lang::En && !d.name_en.is_empty() {
                        d.name_en.clone()
                    } else {
                        d.name.clone()
                    }
                },
            );
        let decision = case.decision.as_ref();
        Self {
            id: case.id.clone(),
            number: case.number.clone(),
            version: case.version,
            status: case.status,
            status_label: t.get(status_key(case.status)).to_string(),
            item_code: case.item_code.clone(),
            item_name: case.item_name.clone(),
            department,
            applicant_name: case.applicant.name.clone(),
            applicant_kind: t
                .get(match case.applicant.kind {
                    ApplicantKind::Person => "window-applicant-person",
                    ApplicantKind::Enterprise => "window-applicant-enterprise",
                })
                .to_string(),
            applicant_id: case.applicant.id_number.clone(),
            applicant_phone: case.applicant.phone.clone(),
            channel: t.get(channel_key(case.channel)).to_string(),
            centre: case.centre.clone(),
            received_at: local_time(&case.received_at),
            received_on: t.date(&case.received_on),
            accepted_on: case.accepted_on.as_ref().map(|d| t.date(d)),
            accepted_by: case.accepted_by.clone(),
            deemed_accepted: case.deemed_accepted,
            promised_days: if case.promised_days == 0 {
                t.get("window-immediate").to_string()
            } else {
                count(t, "window-working-days", i64::from(case.promised_days))
            },
            due_on: detail.due_on.as_ref().map(|d| t.date(d)),
            due_provisional: provisional_note(t, detail.provisional_year),
            working_days_used: detail.working_days_used,
            working_days_left: detail.working_days_left,
            used_text: detail
                .working_days_used
                .map(|n| count(t, "window-used-days", i64::from(n))),
            days_left_text: days_left_text(t, case.status, detail.working_days_left),
            light,
            light_label: light.map_or_else(String::new, |l| t.get(l.label_key()).to_string()),
            extension: case
                .clock
                .as_ref()
                .filter(|c| c.extension_days > 0)
                .map(|c| {
                    t.fill(
                        "window-extension-text",
                        &[
                            ("n", &c.extension_days.to_string()),
                            ("reason", case.extension_reason.as_deref().unwrap_or("")),
                        ],
                    )
                }),
            rejection_reason: case.rejection_reason.clone(),
            decision: decision.map(|d| {
                t.fill(
                    if d.approved {
                        "window-decision-approved"
                    } else {
                        "window-decision-denied"
                    },
                    &[("who", &d.decided_by), ("date", &t.date(&d.decided_on))],
                )
            }),
            decision_reason: decision
                .map(|d| d.reason.clone())
                .filter(|r| !r.trim().is_empty()),
            result_document: case.result_document.clone(),
            delivery: case.delivery.as_ref().map(|m| delivery_text(t, m)),
            visit_count: detail.visit_count,
            visit_count_text: count(t, "window-visit-count", detail.visit_count as i64),
            at_most_once: detail.at_most_once,
            closed_on: case.closed_on.as_ref().map(|d| t.date(d)),
        }
    }

    pub fn light_class(&self) -> &'static str {
        self.light.map_or("", Light::class)
    }
}

fn delivery_text(t: &Messages, method: &DeliveryMethod) -> String {
    match method {
        DeliveryMethod::Pickup => t.get("window-delivery-pickup").to_string(),
        DeliveryMethod::Online => t.get("window-delivery-online").to_string(),
        DeliveryMethod::Express {
            address,
            tracking_number,
        } => t.fill(
            "window-delivery-express",
            &[
                ("address", address),
                ("tracking", tracking_number.as_deref().unwrap_or("—")),
            ],
        ),
    }
}

// ---- materials --------------------------------------------------------------------------------

/// A file handed in for a material, as a link.
#[derive(Debug, Clone)]
pub struct FileLink {
    pub href: String,
    pub name: String,
    pub size: String,
    pub is_image: bool,
    pub is_pdf: bool,
}

/// One material of a case: what the item asks, whether the case has it, its files.
#[derive(Debug, Clone)]
pub struct MaterialRow {
    pub key: String,
    pub name: String,
    /// "原件 1 份".
    pub form: String,
    /// The case cannot be accepted without it.
    pub required: bool,
    pub provided: bool,
    pub files: Vec<FileLink>,
    /// A joint case's material issued inside the bundle: by which member ("issued inside …").
    pub note: Option<String>,
}

impl MaterialRow {
    pub fn missing(&self) -> bool {
        self.required && !self.provided
    }
}

/// The materials of a case: every material of its item (cancelled ones left out), plus any key
/// the case demands that the current item version no longer lists. `file_route` is the path the
/// files are read at (`/window/files`).
pub fn material_rows(
    t: &Messages,
    case: &Case,
    item: Option<&PublishedItem>,
    files: &[CaseFile],
    file_route: &str,
) -> Vec<MaterialRow> {
    let links = |key: &str| -> Vec<FileLink> {
        files
            .iter()
            .filter(|f| f.material_key == key)
            .map(|f| FileLink {
                href: format!("{file_route}/{}", f.id),
                name: f.file_name.clone(),
                size: file_size(f.size),
                is_image: f.content_type.starts_with("image/"),
                is_pdf: f.content_type == "application/pdf",
            })
            .collect()
    };
    // A joint case has the bundle's one form: each material once, whoever needs it.
    if let Some(circulation) = &case.circulation {
        return circulation
            .materials
            .iter()
            .map(|m| MaterialRow {
                key: m.key.clone(),
                name: m.name.clone(),
                form: t.fill(
                    "window-material-form",
                    &[
                        ("form", t.get(material_form_key(m.form))),
                        ("n", &m.copies.to_string()),
                    ],
                ),
                required: case.required_materials.contains(&m.key),
                provided: case.provided_materials.contains(&m.key),
                files: links(&m.key),
                note: m.produced_by.as_ref().map(|code| {
                    let name = circulation
                        .task(code)
                        .map_or_else(|| code.clone(), |t| t.spec.item_name.clone());
                    t.fill1("common-bundle-produced-by", "item", name)
                }),
            })
            .collect();
    }
    let mut rows: Vec<MaterialRow> = item
        .map(|i| {
            i.item
                .materials
                .iter()
                .filter(|m| m.cancelled.is_none() || case.required_materials.contains(&m.key))
                .map(|m| MaterialRow {
                    key: m.key.clone(),
                    name: m.name.clone(),
                    form: t.fill(
                        "window-material-form",
                        &[
                            ("form", t.get(material_form_key(m.form))),
                            ("n", &m.copies.to_string()),
                        ],
                    ),
                    required: case.required_materials.contains(&m.key),
                    provided: case.provided_materials.contains(&m.key),
                    files: links(&m.key),
                    // Taken from an earlier approval of the case's investment project.
                    note: case
                        .reused_materials
                        .iter()
                        .find(|r| r.key == m.key)
                        .map(|r| {
                            t.fill(
                                "window-material-reused",
                                &[("item", &r.issued_by), ("document", &r.document)],
                            )
                        }),
                })
                .collect()
        })
        .unwrap_or_default();
    for key in &case.required_materials {
        if !rows.iter().any(|r| &r.key == key) {
            rows.push(MaterialRow {
                key: key.clone(),
                name: key.clone(),
                form: String::new(),
                required: true,
                provided: case.provided_materials.contains(key),
                files: links(key),
                note: None,
            });
        }
    }
    rows
}

fn file_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

// ---- a joint case's tasks --------------------------------------------------------------------

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
    departments: &[Department],
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
            let left = running.and_then(|c| c.days_left(calendar, today).ok());
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
                department: department_name(t, departments, task.department()),
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
                claimed_by: task.claimed_by.clone(),
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
                        parts.push(d.decided_by.clone());
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

// ---- history ----------------------------------------------------------------------------------

/// One line of a case's history.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub at: String,
    pub actor: String,
    pub label: String,
    pub detail: String,
}

/// A case's history, oldest first, in the reader's language.
pub fn history_rows(t: &Messages, detail: &CaseDetail, names: &MaterialNames) -> Vec<HistoryRow> {
    history_rows_for(t, detail, names, None)
}

/// A case's history as a department sees it: the steps of other departments' tasks of a joint
/// case show what happened, not who did it or their opinions and reasons. `own` is `None` for
/// readers who see every part (the window, supervisors, the applicant).
pub fn history_rows_for(
    t: &Messages,
    detail: &CaseDetail,
    names: &MaterialNames,
    own: Option<&[String]>,
) -> Vec<HistoryRow> {
    let department_of = |key: &str| {
        detail
            .case
            .circulation
            .as_ref()
            .and_then(|c| c.task(key))
            .map(|task| task.department().to_string())
    };
    detail
        .history
        .iter()
        .map(|e| {
            let hidden = match (&e.event, own) {
                (CaseEvent::Task { task, .. }, Some(own)) => {
                    !department_of(task).is_some_and(|d| own.contains(&d))
                }
                _ => false,
            };
            HistoryRow {
                at: local_time(&e.at),
                actor: if hidden {
                    "—".to_string()
                } else {
                    e.actor.clone()
                },
                label: t.get(event_key(&e.event)).to_string(),
                detail: match &e.event {
                    CaseEvent::Task { task, .. } if hidden => {
                        t.fill1("window-event-detail-task", "task", task)
                    }
                    event => event_detail(t, event, names),
                },
            }
        })
        .collect()
}

fn event_detail(t: &Messages, event: &CaseEvent, names: &MaterialNames) -> String {
    let reason = |r: &str| t.fill1("window-event-detail-reason", "reason", r);
    match event {
        CaseEvent::Submitted { materials } | CaseEvent::SupplementProvided { materials } => {
            if materials.is_empty() {
                t.get("window-event-detail-no-materials").to_string()
            } else {
                t.fill1(
                    "window-event-detail-materials",
                    "list",
                    names.list(t, materials),
                )
            }
        }
        CaseEvent::SupplementRequested { missing, note } => {
            let mut text = t.fill1(
                "window-event-detail-missing",
                "list",
                names.list(t, missing),
            );
            if !note.trim().is_empty() {
                text.push_str(&t.fill1("window-event-detail-note", "note", note));
            }
            text
        }
        CaseEvent::Accepted { due_on, .. } => due_on
            .as_ref()
            .map(|d| t.fill1("window-event-detail-due", "date", t.date(d)))
            .unwrap_or_default(),
        CaseEvent::Rejected { reason: r } => reason(r),
        CaseEvent::Suspended { kind, reason: r } => {
            format!("{} · {}", t.get(suspension_key(*kind)), reason(r))
        }
        CaseEvent::Extended {
            working_days,
            reason: r,
        } => format!(
            "{} · {}",
            count(t, "window-working-days", i64::from(*working_days)),
            reason(r)
        ),
        CaseEvent::Decided { reason: r, .. } if !r.trim().is_empty() => reason(r),
        CaseEvent::ResultIssued { document_number } => {
            t.fill1("window-event-detail-document", "number", document_number)
        }
        CaseEvent::Delivered { method } => delivery_text(t, method),
        CaseEvent::VisitRecorded {
            purpose,
            extra_visit_reason,
        } => {
            let mut text = t.fill1("window-event-detail-purpose", "purpose", purpose);
            if let Some(extra) = extra_visit_reason {
                text.push_str(&t.fill1("window-event-detail-extra-visit", "reason", extra));
            }
            text
        }
        CaseEvent::DeadlineRecomputed {
            notice_year,
            previous,
            due_on,
            tasks,
        } => {
            let day = |d: &Option<NaiveDate>| t.date_or_dash(d);
            let mut text = t.fill(
                "window-event-detail-deadline",
                &[
                    ("year", &notice_year.to_string()),
                    ("before", &day(previous)),
                    ("after", &day(due_on)),
                ],
            );
            for task in tasks {
                text.push_str(&t.fill(
                    "window-event-detail-task-deadline",
                    &[
                        ("task", &task.task),
                        ("before", &day(&task.previous)),
                        ("after", &day(&task.due_on)),
                    ],
                ));
            }
            text
        }
        CaseEvent::Task { task, event } => {
            let mut text = t.fill1("window-event-detail-task", "task", task);
            let extra = match event {
                TaskEvent::Transferred { to, reason: r } => format!("{to} · {}", reason(r)),
                TaskEvent::Countersigned { opinion } => opinion.clone(),
                TaskEvent::SupplementRequested { missing, note } => format!(
                    "{}{}",
                    t.fill1(
                        "window-event-detail-missing",
                        "list",
                        names.list(t, missing)
                    ),
                    t.fill1("window-event-detail-note", "note", note)
                ),
                TaskEvent::Suspended { kind, reason: r } => {
                    format!("{} · {}", t.get(suspension_key(*kind)), reason(r))
                }
                TaskEvent::SentBack { reason: r } => reason(r),
                TaskEvent::Resubmitted { note } => {
                    t.fill1("window-event-detail-note", "note", note)
                }
                TaskEvent::Decided { reason: r, .. } if !r.trim().is_empty() => reason(r),
                _ => String::new(),
            };
            if !extra.is_empty() {
                text.push_str(" · ");
                text.push_str(&extra);
            }
            text
        }
        _ => String::new(),
    }
}

// ---- forms ------------------------------------------------------------------------------------

/// A submitted form as name/value pairs (a name may repeat, as checkboxes do).
#[derive(Debug, Clone, Default)]
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    /// The first value of `name`, or "".
    pub fn value(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in the order sent.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The trimmed value of `name`, if not empty.
    pub fn text(&self, name: &str) -> Option<String> {
        Some(self.value(name).trim().to_string()).filter(|s| !s.is_empty())
    }

    /// The case version the form was drawn from (`If-Match` of a form).
    pub fn version(&self) -> Option<u64> {
        self.value("version").trim().parse().ok()
    }
}

/// A message next to one field of one form, after the service refused it.
#[derive(Debug, Clone)]
pub struct FieldMessage {
    /// The field as the service named it, without an index (`materials[2]` → `materials`).
    pub field: String,
    /// What to do, in the reader's language.
    pub text: String,
    /// The service's own words.
    pub detail: String,
}

/// The refused form of a page and its messages.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    /// The form (action name) they belong to; empty when none was refused.
    pub form: String,
    pub messages: Vec<FieldMessage>,
}

impl FormErrors {
    /// The message of `field` if `form` was the refused one.
    pub fn field(&self, form: &str, field: &str) -> Option<&FieldMessage> {
        if self.form != form {
            return None;
        }
        self.messages.iter().find(|m| m.field == field)
    }

    pub fn has(&self, form: &str, field: &str) -> bool {
        self.field(form, field).is_some()
    }

    /// Messages of `form` about none of `shown` (the fields the form has).
    pub fn others(&self, form: &str, shown: &[&str]) -> Vec<&FieldMessage> {
        if self.form != form {
            return Vec::new();
        }
        self.messages
            .iter()
            .filter(|m| !shown.contains(&m.field.as_str()))
            .collect()
    }

    pub fn is_for(&self, form: &str) -> bool {
        self.form == form
    }

    /// Messages of `form` about fields other than the comma-separated `shown` ones (those the
    /// form shows next to its fields); all of them when `shown` is empty.
    pub fn rest(&self, form: &str, shown: &str) -> Vec<&FieldMessage> {
        let shown: Vec<&str> = shown.split(',').map(str::trim).collect();
        self.others(form, &shown)
    }
}

/// A message at the top of a page.
#[derive(Debug, Clone)]
pub struct PageNotice {
    /// `ok`, `error`, or "" for a warning.
    pub class: &'static str,
    pub text: String,
}

impl PageNotice {
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            class: "ok",
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self {
            class: "error",
            text: text.into(),
        }
    }

    pub fn warn(text: impl Into<String>) -> Self {
        Self {
            class: "",
            text: text.into(),
        }
    }

    /// `alert` for what went wrong, `status` for what went well.
    pub fn role(&self) -> &'static str {
        if self.class == "ok" {
            "status"
        } else {
            "alert"
        }
    }
}

/// What a page shows after the service refused a form: the status to answer with, a notice, and
/// the messages next to the fields. `None` for errors that are no form's fault (the error page).
pub struct Refusal {
    pub status: StatusCode,
    pub notice: PageNotice,
    pub errors: FormErrors,
}

/// Turns the service's refusal of `form` into what the page shows; other errors come back.
pub fn refusal(t: &Messages, form: &str, error: AppError) -> Result<Refusal, AppError> {
    let form = form.to_string();
    match error {
        AppError::Invalid(fields) => Ok(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: PageNotice::error(t.fill1(
                "window-form-refused",
                "action",
                Action::parse(&form).map_or("", |a| t.get(action_key(a))),
            )),
            errors: FormErrors {
                form,
                messages: fields
                    .into_iter()
                    .map(|f| {
                        let field = f.field.split('[').next().unwrap_or("").to_string();
                        FieldMessage {
                            text: t.get(field_message_key(&field)).to_string(),
                            field,
                            detail: f.reason,
                        }
                    })
                    .collect(),
            },
        }),
        AppError::VersionConflict { .. } => Ok(Refusal {
            status: StatusCode::CONFLICT,
            notice: PageNotice::warn(t.get("window-version-conflict")),
            errors: FormErrors::default(),
        }),
        AppError::NotAllowed { .. } => Ok(Refusal {
            status: StatusCode::CONFLICT,
            notice: PageNotice::warn(t.get("window-not-allowed")),
            errors: FormErrors::default(),
        }),
        AppError::Calendar(e) => Ok(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: PageNotice::error(t.fill1(
                "window-calendar-not-covered",
                "detail",
                e.to_string(),
            )),
            errors: FormErrors::default(),
        }),
        other => Err(other),
    }
}

pub fn field_message_key(field: &str) -> &'static str {
    match field {
        "missing" => "window-field-error-missing",
        "materials" => "window-field-error-materials",
        "reason" | "note" | "purpose" => "window-field-error-required",
        "extra_visit_reason" => "window-field-error-extra_visit_reason",
        "working_days" => "window-field-error-working_days",
        "actor" => "window-field-error-actor",
        "document_number" => "window-field-error-document_number",
        "version" => "window-field-error-version",
        _ => "window-field-error-other",
    }
}

// ---- files ------------------------------------------------------------------------------------

/// A handed-in file, streamed to someone who may read its case (the service decides and audits).
pub async fn file_response(service: &Service, ctx: &PageCtx, file_id: &str) -> Response {
    let Some(session) = ctx.session.as_ref() else {
        return ctx.app_error(AppError::Unauthenticated("log in".into()));
    };
    match service.open_case_file(&session.actor, file_id).await {
        Ok((file, bytes)) => {
            let disposition = format!(
                "inline; filename*=UTF-8''{}",
                encode_query_value(&file.file_name)
            );
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&file.content_type) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            // Materials are personal data: never kept by a shared cache or the browser's disk.
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Err(e) => ctx.app_error(e),
    }
}

/// The words beside a due day counted on the provisional year: the receipt, the window and the
/// applicant say it may move with the State Council's notice.
pub(crate) fn provisional_note(t: &Messages, provisional_year: Option<i32>) -> Option<String> {
    provisional_year.map(|year| t.fill1("applicant-due-provisional", "year", year.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lights_follow_the_days_left() {
        assert_eq!(
            Light::of(Status::InReview, Some(3), Some(5)),
            Some(Light::Green)
        );
        assert_eq!(
            Light::of(Status::InReview, Some(2), Some(5)),
            Some(Light::Yellow)
        );
        assert_eq!(
            Light::of(Status::Accepted, Some(0), Some(5)),
            Some(Light::Yellow)
        );
        assert_eq!(
            Light::of(Status::InReview, Some(-1), Some(5)),
            Some(Light::Red)
        );
        assert_eq!(
            Light::of(Status::Suspended, Some(-4), Some(5)),
            Some(Light::Grey)
        );
        assert_eq!(Light::of(Status::Submitted, None, Some(5)), None);
        assert_eq!(Light::of(Status::Approved, Some(3), Some(5)), None);
        // A 20-day limit turns yellow 4 days before the end, not 2.
        assert_eq!(
            Light::of(Status::InReview, Some(4), Some(20)),
            Some(Light::Yellow)
        );
        assert_eq!(
            Light::of(Status::InReview, Some(5), Some(20)),
            Some(Light::Green)
        );
    }

    #[test]
    fn every_label_exists_in_both_languages() {
        for lang in Lang::ALL {
            let t = lang.messages();
            for s in Status::ALL {
                assert!(t.has(status_key(s)), "{s:?}");
            }
            for k in SuspensionKind::ALL {
                assert!(t.has(suspension_key(k)), "{k:?}");
            }
            for c in Channel::ALL {
                assert!(t.has(channel_key(c)), "{c:?}");
            }
            for f in MaterialForm::ALL {
                assert!(t.has(material_form_key(f)), "{f:?}");
            }
            for key in COUNTED {
                assert!(t.has(key) && t.has(&format!("{key}-one")), "{key}");
            }
            for light in [Light::Green, Light::Yellow, Light::Red, Light::Grey] {
                assert!(t.has(light.label_key()));
            }
            for name in [
                "start-pre-review",
                "request-supplement",
                "provide-supplement",
                "accept",
                "reject",
                "start-review",
                "suspend",
                "resume",
                "extend",
                "decide",
                "issue-result",
                "deliver",
                "close",
                "record-visit",
            ] {
                let action = Action::parse(name).expect("an action");
                assert_eq!(action.as_str(), name);
                assert!(t.has(action_key(action)), "{name}");
            }
            for field in [
                "missing",
                "materials",
                "reason",
                "extra_visit_reason",
                "working_days",
                "actor",
                "document_number",
                "version",
                "anything",
            ] {
                assert!(t.has(field_message_key(field)), "{field}");
            }
        }
    }

    #[test]
    fn forms_keep_repeated_names() {
        let form = FormFields(vec![
            ("missing".into(), "M01".into()),
            ("note".into(), "  ".into()),
            ("missing".into(), "M03".into()),
            ("version".into(), "7".into()),
        ]);
        assert_eq!(form.all("missing"), vec!["M01", "M03"]);
        assert_eq!(form.text("note"), None);
        assert_eq!(form.version(), Some(7));
        assert_eq!(form.value("absent"), "");
    }

    #[test]
    fn waiting_reads_naturally() {
        let t = Lang::En.messages();
        assert!(waited(t, 5, Some(0)).contains('5'));
        assert!(waited(t, 150, Some(0)).contains('2'));
        assert!(waited(t, 6000, Some(3)).contains('3'));
    }
}

/// What the tests of the window's and the department's pages share: an app on a fresh SQLite
/// store with a two-item catalogue and the staff of two centres and one department, requests
/// with a session cookie, and filing a case.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{HeaderMap, Request, StatusCode, header};
    use chrono::NaiveDate;
    use onewindow_app::accounts::{Actor, NewUser};
    use onewindow_app::catalogue_io::CatalogueDocument;
    use onewindow_app::service::SubmitCase;
    use onewindow_app::{ManualClock, Service};
    use onewindow_domain::access::{Post, Role};
    use onewindow_domain::calendar::Calendar;
    use onewindow_domain::case::{Applicant, ApplicantKind, Case, CaseCommand, Channel};
    use onewindow_domain::catalogue::{
        Department, Fee, HallStatus, Item, ItemKind, Level, Material, MaterialCategory,
        MaterialForm, MaterialSource, RunMode,
    };
    use onewindow_store::Store;
    use tower::ServiceExt;

    use crate::ui::encode_query_value;

    pub const PASSWORD: &str = "Tr0ub4dor&3-staple";
    /// A clerk at county-hall, one at a township centre, and SCJG's reviewer and approver.
    pub const CLERK: &str = "clerk";
    pub const TOWNSHIP_CLERK: &str = "yuelong-clerk";
    pub const REVIEWER: &str = "reviewer";
    pub const APPROVER: &str = "approver";
    /// Food licence: three materials, 5 working days.
    pub const FOOD: &str = "SCJG-001";
    /// A quick filing: one material, 1 working day.
    pub const FILING: &str = "SCJG-002";
    /// A long one: two materials, 10 working days.
    pub const PERMIT: &str = "SCJG-003";

    pub struct TempDir(pub std::path::PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    pub struct TestApp {
        pub service: Service,
        pub router: Router,
        pub clock: Arc<ManualClock>,
        _dir: TempDir,
    }

    /// A logged-in browser: the session cookie and the CSRF token of its forms.
    pub struct Browser {
        pub cookie: String,
        pub csrf: String,
        pub actor: Actor,
    }

    /// An answer: status, headers, body text.
    pub struct Page {
        pub status: StatusCode,
        pub headers: HeaderMap,
        pub body: String,
        pub bytes: Vec<u8>,
    }

    impl Page {
        pub fn location(&self) -> &str {
            self.headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        }
    }

    pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    fn material(key: &str, name: &str) -> Material {
        Material {
            key: key.into(),
            name: name.into(),
            form: MaterialForm::Original,
            copies: 1,
            source: MaterialSource::Applicant,
            category: MaterialCategory::Ordinary,
            required: true,
            sample: None,
            cancelled: None,
        }
    }

    fn catalogue() -> CatalogueDocument {
        let food = Item {
            code: FOOD.into(),
            name: "食品经营许可".into(),
            kind: ItemKind::Licence,
            department: "SCJG".into(),
            legal_basis: "《中华人民共和国食品安全法》".into(),
            statutory_days: 20,
            promised_days: 5,
            visits_required: 1,
            run_mode: RunMode::OnlinePrereview,
            levels: vec![Level::County, Level::Township],
            hall: HallStatus {
                allowed: true,
                in_hall: true,
                authorised: true,
            },
            materials: vec![
                material("M01", "食品经营许可申请书"),
                material("M02", "经营场所平面图"),
                material("M03", "食品安全管理制度"),
            ],
            intermediary_services: vec![],
            fee: Fee::default(),
            result_licence_type: Some("食品经营许可证".into()),
        };
        let mut filing = food.clone();
        filing.code = FILING.into();
        filing.name = "小餐饮店登记".into();
        filing.promised_days = 1;
        filing.materials = vec![material("M01", "登记表")];
        let mut permit = food.clone();
        permit.code = PERMIT.into();
        permit.name = "特种设备使用登记".into();
        permit.promised_days = 10;
        permit.materials = vec![material("M01", "使用登记表"), material("M02", "检验报告")];
        CatalogueDocument {
            departments: vec![Department {
                code: "SCJG".into(),
                name: "市场监督管理局".into(),
                name_en: "Market Supervision".into(),
            }],
            items: vec![food, filing, permit],
        }
    }

    /// The app on a fresh store; the clock stands at Monday 2 November 2026, 09:00.
    pub async fn app() -> TestApp {
        let dir = std::env::temp_dir().join(format!("onewindow-ui-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("temp dir");
        let store = Store::open(&url).await.expect("store opens");
        let clock = Arc::new(ManualClock::at_local_morning(day(2026, 11, 2)));
        let files = onewindow_app::files::local_file_store(&dir.join("files")).expect("file store");
        let service =
            Service::new(store, Calendar::prc(), clock.clone(), "330226").with_file_store(files);
        let operator = Actor::command_line("test");
        service
            .import_catalogue(&operator, catalogue())
            .await
            .expect("catalogue imports");
        let clerk = |centre: &str| Post::new(Role::Clerk).at_centre(centre);
        for (username, post) in [
            (CLERK, clerk("county-hall")),
            (TOWNSHIP_CLERK, clerk("township-yuelong")),
            (REVIEWER, Post::new(Role::Reviewer).in_department("SCJG")),
            (APPROVER, Post::new(Role::Approver).in_department("SCJG")),
        ] {
            service
                .create_user(
                    &operator,
                    NewUser {
                        username: username.into(),
                        display_name: format!("{username} 同志"),
                        password: PASSWORD.into(),
                        identity: None,
                        phone: None,
                        posts: vec![post],
                        may_reveal_personal_data: false,
                    },
                )
                .await
                .expect("account is created");
        }
        TestApp {
            router: crate::app(service.clone()),
            service,
            clock,
            _dir: TempDir(dir),
        }
    }

    impl TestApp {
        pub fn at(&self, date: NaiveDate) {
            self.clock.set(onewindow_app::clock::local_morning(date));
        }

        pub async fn log_in(&self, username: &str) -> Browser {
            let grant = self
                .service
                .login(username, PASSWORD, "test")
                .await
                .expect("login");
            let session = self
                .service
                .authenticate(&grant.token, "test")
                .await
                .expect("session");
            Browser {
                cookie: format!("{}={}", crate::extract::SESSION_COOKIE, grant.token),
                csrf: grant.csrf_token,
                actor: session.actor,
            }
        }

        async fn send(&self, request: Request<Body>) -> Page {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("an answer");
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = axum::body::to_bytes(response.into_body(), 8 * 1024 * 1024)
                .await
                .expect("a body");
            Page {
                status,
                headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
                bytes: bytes.to_vec(),
            }
        }

        pub async fn get(&self, who: &Browser, path: &str) -> Page {
            self.send(
                Request::get(path)
                    .header(header::COOKIE, &who.cookie)
                    .header(header::HOST, "onewindow.test")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
        }

        /// Sends a form as the browser would: `fields` plus nothing else (add `csrf_token`
        /// and `version` as a page's form does).
        pub async fn post(&self, who: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
            let body = fields
                .iter()
                .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
                .collect::<Vec<_>>()
                .join("&");
            self.send(
                Request::post(path)
                    .header(header::COOKIE, &who.cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await
        }

        /// Files an application at the clerk's centre with `materials` handed in.
        pub async fn file(
            &self,
            clerk: &Browser,
            centre: &str,
            item: &str,
            materials: &[&str],
        ) -> Case {
            self.service
                .submit_case(
                    &clerk.actor,
                    SubmitCase {
                        item_code: item.into(),
                        applicant: Applicant {
                            kind: ApplicantKind::Person,
                            name: "王芳".into(),
                            id_number: "11010519491231002X".into(),
                            phone: Some("13800000000".into()),
                        },
                        channel: Channel::Window,
                        centre: centre.into(),
                        materials: materials.iter().map(|m| m.to_string()).collect(),
                    },
                    None,
                )
                .await
                .expect("filed")
                .case
        }

        /// Runs `command` on the case at its current version.
        pub async fn run(&self, who: &Browser, case: &str, command: CaseCommand) -> Case {
            let version = self.case(who, case).await.version;
            self.service
                .execute(&who.actor, case, version, command)
                .await
                .expect("command runs")
        }

        pub async fn case(&self, who: &Browser, case: &str) -> Case {
            self.service
                .case(&who.actor, case)
                .await
                .expect("case")
                .case
        }
    }
}
