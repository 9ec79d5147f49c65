//! Pages: the department workbench (部门审批): the department's cases on the clock by deadline
//! with a light (green, yellow, red, grey while stopped), and one case to review with its
//! materials inline, its clock and history, and the forms the service allows this reviewer or
//! approver: start review, supplement request, suspend and resume, extend, decide, issue.
//!
//! As at the window, every form carries the case version; a conflict shows the fresh case.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use onewindow_app::workbench::DeskQuery;
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::action_fields::{self, ActionFields, TaskActionFields};
use onewindow_domain::case::{Action, CaseCommand, Status};
use onewindow_domain::circulation::{TaskAction, TaskCommand, TaskStatus};
use onewindow_domain::clock::SuspensionKind;
use serde::Deserialize;

use crate::pages::case_view::{
    self, CaseReading, CaseView, FieldMessage, FormErrors, FormFields, HistoryRow, Light,
    MaterialNames, MaterialRow, PageNotice, TaskRowView,
};
use crate::pages::page_error::{OrPage, PageResult};
use crate::pages::{Chrome, PageCtx, encode_query_value, render, see_other};

/// Where handed-in files are read from these pages.
const FILES: &str = "/desk/files";

const STAFF: [Role; 2] = [Role::Reviewer, Role::Approver];

/// The actions a desk page offers forms for.
const DESK_ACTIONS: [Action; 9] = [
    Action::StartReview,
    Action::RequestSupplement,
    Action::Suspend,
    Action::Resume,
    Action::Extend,
    Action::Propose,
    Action::Decide,
    Action::IssueResult,
    Action::CheckCommitment,
];

/// Why a reviewer may stop the clock from the suspend form. A supplement stops it through the
/// supplement request, which names the materials; a bare "supplement" suspension could not be
/// resumed by anyone.
const SUSPEND_KINDS: [SuspensionKind; 5] = [
    SuspensionKind::Inspection,
    SuspensionKind::Testing,
    SuspensionKind::ExpertReview,
    SuspensionKind::Hearing,
    SuspensionKind::PublicNotice,
];

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/desk", get(tasks))
        .route("/desk/cases/{id}", get(case_page))
        .route("/desk/cases/{id}/{action}", post(act))
        .route("/desk/cases/{id}/tasks/{task}", get(task_page))
        .route("/desk/cases/{id}/tasks/{task}/{action}", post(task_act))
        .route("/desk/files/{file_id}", get(file))
}

// ---- my tasks ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
struct TaskParams {
    overdue: Option<String>,
    cursor: Option<String>,
}

struct TaskRow {
    number: String,
    /// The case page, or the department task's page of a joint case.
    href: String,
    item_name: String,
    /// For a joint case's task: "联办：开办民宿".
    bundle: Option<String>,
    applicant_name: String,
    status_label: String,
    accepted_on: String,
    due_on: String,
    days: String,
    light_class: &'static str,
    light_label: String,
}

#[derive(Template)]
#[template(path = "desk/tasks.html")]
struct TasksPage {
    chrome: Chrome,
    rows: Vec<TaskRow>,
    overdue_only: bool,
    total: usize,
    overdue: usize,
    next_href: Option<String>,
    first_href: Option<String>,
    truncated: bool,
    /// The commitments of the reviewer's departments awaiting their check (承诺核查).
    checks: Vec<CheckRow>,
}

/// A commitment awaiting the department's check, as a row of the desk.
struct CheckRow {
    href: String,
    number: String,
    item_name: String,
    material: String,
    applicant_name: String,
    due_on: String,
    days: String,
    light_class: &'static str,
}

async fn tasks(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(params): Query<TaskParams>,
) -> PageResult {
    let session = ctx.require_role(&STAFF)?;
    let t = ctx.chrome.t;
    let overdue_only = params.overdue.as_deref().is_some_and(|v| v == "1");
    let query = DeskQuery {
        overdue_only,
        cursor: params.cursor.clone().filter(|c| !c.is_empty()),
        limit: Some(50),
    };
    let found = service
        .desk_tasks(&session.actor, query)
        .await
        .or_page(&ctx)?;
    let rows = found
        .page
        .items
        .iter()
        .map(|task| {
            let case = &task.case;
            // A department task runs on its own clock: stopped is grey, else by its days left.
            let status = if task.stopped && task.joint_task().is_some() {
                Status::Suspended
            } else {
                case.status
            };
            let light = Light::of(status, task.timeliness, task.limit_days);
            match task.joint_task() {
                Some(joint) => TaskRow {
                    number: case.number.clone(),
                    href: task_href(&case.number, joint.key()),
                    item_name: joint.spec.item_name.clone(),
                    bundle: Some(t.fill1("desk-joint-of", "bundle", &case.item_name)),
                    applicant_name: case.applicant.name.clone(),
                    status_label: t.get(case_view::task_status_key(joint.status)).to_string(),
                    accepted_on: t.date_or_dash(&case.accepted_on),
                    due_on: due_text(t, task),
                    days: if task.stopped {
                        t.get("window-clock-stopped").to_string()
                    } else {
                        case_view::days_left_text(t, Status::InReview, task.timeliness)
                    },
                    light_class: light.map_or("", Light::class),
                    light_label: light
                        .map_or_else(String::new, |l| t.get(l.label_key()).to_string()),
                },
                None => TaskRow {
                    number: case.number.clone(),
                    href: format!("/desk/cases/{}", encode_query_value(&case.number)),
                    item_name: case.item_name.clone(),
                    bundle: None,
                    applicant_name: case.applicant.name.clone(),
                    status_label: t.get(case_view::status_key(case.status)).to_string(),
                    accepted_on: t.date_or_dash(&case.accepted_on),
                    due_on: due_text(t, task),
                    days: case_view::days_left_text(t, case.status, task.timeliness),
                    light_class: light.map_or("", Light::class),
                    light_label: light
                        .map_or_else(String::new, |l| t.get(l.label_key()).to_string()),
                },
            }
        })
        .collect();
    let checks = service
        .commitment_checks(&session.actor)
        .await
        .or_page(&ctx)?
        .into_iter()
        .map(|c| CheckRow {
            href: format!(
                "/desk/cases/{}#commitment-{}",
                encode_query_value(&c.case_number),
                c.material
            ),
            number: c.case_number,
            item_name: c.item_name,
            material: c.material,
            applicant_name: c.applicant_name,
            due_on: t.date_or_dash(&c.check_due_on),
            days: match c.days_left {
                Some(d) if d < 0 => t.fill1("tolerance-days-late", "days", (-d).to_string()),
                Some(d) => t.fill1("tolerance-days-left", "days", d.to_string()),
                None => String::new(),
            },
            light_class: match c.days_left {
                Some(d) if d < 0 => "red",
                Some(d) if d <= 3 => "yellow",
                _ => "green",
            },
        })
        .collect();
    let base = if overdue_only {
        "/desk?overdue=1&"
    } else {
        "/desk?"
    };
    Ok(render(&TasksPage {
        chrome: ctx.chrome.clone(),
        rows,
        overdue_only,
        total: found.total,
        overdue: found.overdue,
        next_href: found
            .page
            .next_cursor
            .as_ref()
            .map(|c| format!("{base}cursor={}", encode_query_value(c))),
        first_href: params.cursor.as_ref().map(|_| {
            if overdue_only {
                "/desk?overdue=1".to_string()
            } else {
                "/desk".to_string()
            }
        }),
        truncated: found.truncated,
        checks,
    }))
}

// ---- one case ---------------------------------------------------------------------------------

/// Which forms the page shows: the actions the service allows this reviewer or approver now.
#[derive(Debug, Default)]
struct Can {
    start_review: bool,
    request_supplement: bool,
    suspend: bool,
    resume: bool,
    extend: bool,
    propose: bool,
    decide: bool,
    issue_result: bool,
    check_commitment: bool,
}

impl Can {
    fn from(allowed: &[Action]) -> Self {
        let has = |a| allowed.contains(&a);
        Self {
            start_review: has(Action::StartReview),
            request_supplement: has(Action::RequestSupplement),
            suspend: has(Action::Suspend),
            resume: has(Action::Resume),
            extend: has(Action::Extend),
            propose: has(Action::Propose),
            decide: has(Action::Decide),
            issue_result: has(Action::IssueResult),
            check_commitment: has(Action::CheckCommitment),
        }
    }

    fn any(&self) -> bool {
        self.start_review
            || self.request_supplement
            || self.suspend
            || self.resume
            || self.extend
            || self.propose
            || self.decide
            || self.issue_result
            || self.check_commitment
    }
}

struct Choice {
    value: String,
    label: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "desk/case.html")]
struct CasePage {
    chrome: Chrome,
    case: CaseView,
    materials: Vec<MaterialRow>,
    history: Vec<HistoryRow>,
    can: Can,
    notice: Option<PageNotice>,
    errors: FormErrors,
    input: FormFields,
    /// The materials a supplement request during review may name.
    supplement_options: Vec<Choice>,
    suspend_kinds: Vec<Choice>,
    /// The clock waits for the applicant's supplement: only providing it restarts it.
    waits_for_supplement: bool,
    /// Why the clock stands still now.
    suspension: Option<String>,
    already_extended: bool,
    /// A joint case: every department's task (others' state only), own ones linked.
    tasks: Vec<TaskRowView>,
    /// The reviewer's opinion and proposed decision the approver decides on.
    proposal: Option<ProposalView>,
    /// The decision waits for the reviewer's proposal (受理 → 审查 → 决定).
    awaits_proposal: bool,
    /// Promises, commitments, a revocation, and the applicant's false commitments on record.
    tolerance: crate::pages::case_tolerance::ToleranceView,
}

/// The reviewer's proposal as the desk shows it.
struct ProposalView {
    approve: bool,
    /// "拟准予许可" / "拟不予许可".
    label: String,
    opinion: String,
    /// "李审查 · 2026年11月3日".
    by: String,
}

impl CasePage {
    /// The form's choice of approve in the propose form, kept when the form was refused; the
    /// proposal's own when there is one.
    fn proposes_approval(&self) -> bool {
        match self.input.value("approve") {
            "false" => false,
            "true" => true,
            _ => self.proposal.as_ref().is_none_or(|p| p.approve),
        }
    }
}

impl CasePage {
    fn open(&self, form: &str) -> bool {
        self.errors.is_for(form)
    }
}

#[derive(Debug, Deserialize, Default)]
struct CaseParams {
    done: Option<String>,
}

async fn case_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(params): Query<CaseParams>,
) -> PageResult {
    ctx.require_role(&STAFF)?;
    let t = ctx.chrome.t;
    let notice =
        params.done.as_deref().and_then(Action::parse).map(|a| {
            PageNotice::ok(t.fill1("window-done", "action", t.get(case_view::action_key(a))))
        });
    Ok(show_case(
        &service,
        &ctx,
        &id,
        StatusCode::OK,
        notice,
        FormErrors::default(),
        FormFields::default(),
    )
    .await)
}

async fn show_case(
    service: &Service,
    ctx: &PageCtx,
    id: &str,
    status: StatusCode,
    notice: Option<PageNotice>,
    errors: FormErrors,
    input: FormFields,
) -> Response {
    let page = case_page_data(service, ctx, id, notice, errors, input).await;
    case_view::case_page_or_error(ctx, status, page)
}

async fn case_page_data(
    service: &Service,
    ctx: &PageCtx,
    id: &str,
    notice: Option<PageNotice>,
    errors: FormErrors,
    input: FormFields,
) -> Result<CasePage, AppError> {
    let t = ctx.chrome.t;
    let CaseReading {
        session,
        detail,
        item,
        files,
        people,
        names,
    } = CaseReading::load(service, ctx, id).await?;
    let case = &detail.case;
    let own = own_departments(session);
    let tasks = case_view::task_rows(t, case, &people, service, &own, |task| {
        own.iter()
            .any(|d| d == task.department())
            .then(|| task_href(&case.number, task.key()))
    });
    let mut materials = case_view::material_rows(t, case, item.as_ref(), &files, FILES);
    if let Some(circulation) = &case.circulation {
        // A department reads the materials of its own tasks only.
        let wanted: Vec<&String> = circulation
            .tasks
            .iter()
            .filter(|task| own.iter().any(|d| d == task.department()))
            .flat_map(|task| task.spec.materials.iter())
            .collect();
        materials.retain(|m| wanted.contains(&&m.key));
    }
    let refused_supplement = errors.is_for(Action::RequestSupplement.as_str());
    let sent_missing = input.all("missing");
    let supplement_options = case
        .required_materials
        .iter()
        .map(|key| Choice {
            value: key.clone(),
            label: names.name(key),
            chosen: refused_supplement && sent_missing.contains(key),
        })
        .collect();
    let sent_kind = input.value("kind");
    let suspend_kinds = SUSPEND_KINDS
        .iter()
        .map(|k| Choice {
            value: case_view::suspension_name(*k).to_string(),
            label: t.get(case_view::suspension_key(*k)).to_string(),
            chosen: sent_kind == case_view::suspension_name(*k),
        })
        .collect();
    let tolerance = crate::pages::case_tolerance::view(t, &detail, |key| names.name(key));
    let open_suspension = case
        .clock
        .as_ref()
        .and_then(|c| c.suspensions.last())
        .filter(|s| s.until.is_none() && case.status == Status::Suspended);
    Ok(CasePage {
        tolerance,
        chrome: ctx.chrome.clone(),
        case: CaseView::new(&detail, t, &people),
        materials,
        history: case_view::history_rows(t, &detail, &names, &people),
        can: Can {
            // The approver decides on the reviewer's opinion, or against it with a reason; it
            // does not rewrite it. An approver may write the first one where no reviewer does.
            propose: detail.allowed_actions.contains(&Action::Propose)
                && (case.proposal.is_none() || !decides_here(session, &case.department)),
            ..Can::from(&detail.allowed_actions)
        },
        notice,
        errors,
        input,
        supplement_options,
        suspend_kinds,
        waits_for_supplement: open_suspension.is_some_and(|s| s.kind == SuspensionKind::Supplement),
        suspension: open_suspension.map(|s| {
            t.fill(
                "desk-suspended-since",
                &[
                    ("kind", t.get(case_view::suspension_key(s.kind))),
                    ("date", &t.date(&s.from)),
                    ("reason", &s.reason),
                ],
            )
        }),
        already_extended: case.extension_reason.is_some(),
        tasks,
        proposal: case.proposal.as_ref().map(|p| ProposalView {
            approve: p.approve,
            label: t
                .get(if p.approve {
                    "desk-proposal-approve"
                } else {
                    "desk-proposal-deny"
                })
                .to_string(),
            opinion: p.opinion.clone(),
            by: format!(
                "{} · {}",
                people.person(&p.proposed_by),
                t.date(&p.proposed_on)
            ),
        }),
        awaits_proposal: case.awaits_proposal() && case.status.is_on_clock(),
    })
}

/// One form of the case page, sent.
async fn act(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&STAFF)?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let Some(action) = Action::parse(&action).filter(|a| DESK_ACTIONS.contains(a)) else {
        return Ok(ctx.error(StatusCode::NOT_FOUND, "common-error-not-found"));
    };
    let result = match (form.version(), command(action, &form)) {
        (None, _) => Err(AppError::invalid(
            "version",
            "the form carries no case version",
        )),
        (_, Err(e)) => Err(e),
        (Some(version), Ok(command)) => {
            service.execute(&session.actor, &id, version, command).await
        }
    };
    Ok(match result {
        Ok(case) => see_other(&format!(
            "/desk/cases/{}?done={}",
            case.number,
            action.as_str()
        )),
        Err(e) => match case_view::refusal(ctx.chrome.t, action.as_str(), e) {
            Ok(r) => {
                show_case(
                    &service,
                    &ctx,
                    &id,
                    r.status,
                    Some(r.notice),
                    r.errors,
                    form,
                )
                .await
            }
            Err(e) => ctx.app_error(e),
        },
    })
}

/// The command a desk form asks for, through the mapping the API uses too; a value the page
/// cannot read counts as missing.
fn command(action: Action, form: &FormFields) -> Result<CaseCommand, AppError> {
    let fields = ActionFields {
        reason: Some(form.value("reason").trim().to_string()),
        missing: Some(form.all("missing")),
        note: Some(form.value("note").trim().to_string()),
        kind: suspension_kind(form),
        working_days: form.value("working_days").trim().parse().ok(),
        approve: approval(form),
        opinion: Some(form.value("opinion").trim().to_string()),
        document_number: form.text("document_number"),
        material: form.text("material"),
        truthful: match form.value("truthful") {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        ..ActionFields::default()
    };
    action_fields::case_command(action, fields).map_err(|e| AppError::Invalid(vec![e]))
}

/// The reason the form chose for stopping the clock.
fn suspension_kind(form: &FormFields) -> Option<SuspensionKind> {
    SUSPEND_KINDS
        .into_iter()
        .find(|k| case_view::suspension_name(*k) == form.value("kind"))
}

/// Approve or deny, as the form's buttons say.
fn approval(form: &FormFields) -> Option<bool> {
    match form.value("approve") {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

// ---- one department task of a joint case -------------------------------------------------------

/// The page of one department task.
fn task_href(number: &str, key: &str) -> String {
    format!(
        "/desk/cases/{}/tasks/{}",
        encode_query_value(number),
        encode_query_value(key)
    )
}

/// The departments the reader reviews or approves for.
/// True when the signed-in user is an approver of `department`.
fn decides_here(session: &onewindow_app::accounts::Authenticated, department: &str) -> bool {
    session
        .actor
        .principal
        .posts
        .iter()
        .any(|p| p.role == Role::Approver && p.department.as_deref() == Some(department))
}

fn own_departments(session: &onewindow_app::accounts::Authenticated) -> Vec<String> {
    let mut own: Vec<String> = session
        .actor
        .principal
        .posts
        .iter()
        .filter(|p| STAFF.contains(&p.role))
        .filter_map(|p| p.department.clone())
        .collect();
    own.sort();
    own.dedup();
    own
}

/// Which task forms the page shows: the actions the service allows this reader on this task.
#[derive(Debug, Default)]
struct TaskCan {
    claim: bool,
    transfer: bool,
    countersign: bool,
    request_supplement: bool,
    suspend: bool,
    resume: bool,
    send_back: bool,
    decide: bool,
}

impl TaskCan {
    fn from(allowed: &[TaskAction]) -> Self {
        let has = |a| allowed.contains(&a);
        Self {
            claim: has(TaskAction::Claim),
            transfer: has(TaskAction::Transfer),
            countersign: has(TaskAction::Countersign),
            request_supplement: has(TaskAction::RequestSupplement),
            suspend: has(TaskAction::Suspend),
            resume: has(TaskAction::Resume),
            send_back: has(TaskAction::SendBack),
            decide: has(TaskAction::Decide),
        }
    }

    fn any(&self) -> bool {
        self.claim
            || self.transfer
            || self.countersign
            || self.request_supplement
            || self.suspend
            || self.resume
            || self.send_back
            || self.decide
    }
}

/// A signed opinion on the task (会签).
struct CountersignRow {
    by: String,
    opinion: String,
    on: String,
}

#[derive(Template)]
#[template(path = "desk/task.html")]
struct TaskPage {
    chrome: Chrome,
    case: CaseView,
    /// The task as the progress table shows it.
    task: TaskRowView,
    /// "联办：开办民宿 · 受理编号 …".
    bundle_line: String,
    /// "本部门时限 3 个工作日" and the task's clock, as one sentence with a light.
    clock: Option<(&'static str, String)>,
    countersigns: Vec<CountersignRow>,
    countersign_needed: Option<String>,
    /// The task waits for the applicant's supplement (only the supplement restarts it).
    waits_for_supplement: bool,
    can: TaskCan,
    notice: Option<PageNotice>,
    errors: FormErrors,
    input: FormFields,
    supplement_options: Vec<Choice>,
    suspend_kinds: Vec<Choice>,
    /// The task's own materials, with their files inline.
    materials: Vec<MaterialRow>,
    /// Every task of the case: the others' state only.
    tasks: Vec<TaskRowView>,
    history: Vec<HistoryRow>,
}

impl TaskPage {
    fn open(&self, form: &str) -> bool {
        self.errors.is_for(form)
    }

    /// The messages of a refused form the page no longer shows (the reader may not use it, or
    /// the task moved on): shown above the forms so no refusal goes unexplained.
    fn orphan_errors(&self) -> Vec<&FieldMessage> {
        let shown = match TaskAction::parse(&self.errors.form) {
            Some(TaskAction::Claim) => self.can.claim,
            Some(TaskAction::Transfer) => self.can.transfer,
            Some(TaskAction::Countersign) => self.can.countersign,
            Some(TaskAction::RequestSupplement) => self.can.request_supplement,
            Some(TaskAction::Suspend) => self.can.suspend,
            Some(TaskAction::Resume) => self.can.resume,
            Some(TaskAction::SendBack) => self.can.send_back,
            Some(TaskAction::Decide) => self.can.decide,
            Some(TaskAction::Resubmit) | None => false,
        };
        if shown {
            Vec::new()
        } else {
            self.errors.messages.iter().collect()
        }
    }
}

async fn task_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, task)): Path<(String, String)>,
    Query(params): Query<CaseParams>,
) -> PageResult {
    ctx.require_role(&STAFF)?;
    let t = ctx.chrome.t;
    let notice = params.done.as_deref().and_then(TaskAction::parse).map(|a| {
        PageNotice::ok(t.fill1(
            "window-done",
            "action",
            t.get(case_view::task_action_key(a)),
        ))
    });
    Ok(show_task(
        &service,
        &ctx,
        &id,
        &task,
        StatusCode::OK,
        notice,
        FormErrors::default(),
        FormFields::default(),
    )
    .await)
}

#[allow(clippy::too_many_arguments)]
async fn show_task(
    service: &Service,
    ctx: &PageCtx,
    id: &str,
    key: &str,
    status: StatusCode,
    notice: Option<PageNotice>,
    errors: FormErrors,
    input: FormFields,
) -> Response {
    match task_page_data(service, ctx, id, key, notice, errors, input).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(e) => ctx.app_error(e),
    }
}

async fn task_page_data(
    service: &Service,
    ctx: &PageCtx,
    id: &str,
    key: &str,
    notice: Option<PageNotice>,
    errors: FormErrors,
    input: FormFields,
) -> Result<TaskPage, AppError> {
    let session = ctx
        .session
        .as_ref()
        .ok_or_else(|| AppError::Unauthenticated("log in".into()))?;
    let t = ctx.chrome.t;
    let detail = service.case(&session.actor, id).await?;
    let case = &detail.case;
    let own = own_departments(session);
    // Only a department's own task has a page here; another's is no business of this reader.
    let task = case
        .circulation
        .as_ref()
        .and_then(|c| c.task(key))
        .filter(|task| own.iter().any(|d| d == task.department()))
        .ok_or_else(|| AppError::not_found(format!("task {key} of case {id}")))?;
    let circulation = case
        .circulation
        .as_ref()
        .ok_or_else(|| AppError::not_found(format!("case {id}")))?;
    let files = service.case_files(&session.actor, &case.id).await?;
    let people = case_view::Names::for_case(service, &detail).await;
    let names = MaterialNames::for_case(case, None);
    let tasks = case_view::task_rows(t, case, &people, service, &own, |other| {
        own.iter()
            .any(|d| d == other.department())
            .then(|| task_href(&case.number, other.key()))
    });
    let row = tasks
        .iter()
        .find(|r| r.key == key)
        .cloned()
        .ok_or_else(|| AppError::not_found(format!("task {key}")))?;
    let mut materials = case_view::material_rows(t, case, None, &files, FILES);
    materials.retain(|m| task.spec.materials.contains(&m.key));
    let allowed: Vec<TaskAction> = detail
        .task_actions
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, a)| a.clone())
        .unwrap_or_default();
    let refused_supplement = errors.is_for(TaskAction::RequestSupplement.as_str());
    let sent_missing = input.all("missing");
    let supplement_options = task
        .spec
        .materials
        .iter()
        .filter(|k| {
            circulation
                .materials
                .iter()
                .any(|m| &m.key == *k && m.from_applicant())
        })
        .map(|k| Choice {
            value: k.clone(),
            label: names.name(k),
            chosen: refused_supplement && sent_missing.contains(k),
        })
        .collect();
    let sent_kind = input.value("kind");
    let suspend_kinds = SUSPEND_KINDS
        .iter()
        .map(|k| Choice {
            value: case_view::suspension_name(*k).to_string(),
            label: t.get(case_view::suspension_key(*k)).to_string(),
            chosen: sent_kind == case_view::suspension_name(*k),
        })
        .collect();
    let clock = (!row.light_class.is_empty()).then(|| {
        let limit = case_view::count(t, "window-working-days", i64::from(task.spec.promised_days));
        (
            row.light_class,
            t.fill(
                "desk-task-clock",
                &[
                    ("light", &row.light_label),
                    ("days", &row.days_text),
                    ("due", &row.due_on),
                    ("limit", &limit),
                ],
            ),
        )
    });
    let signed = task.countersigns.len();
    Ok(TaskPage {
        chrome: ctx.chrome.clone(),
        case: CaseView::new(&detail, t, &people),
        bundle_line: t.fill(
            "desk-task-bundle-line",
            &[("bundle", &case.item_name), ("number", &case.number)],
        ),
        clock,
        countersigns: task
            .countersigns
            .iter()
            .map(|c| CountersignRow {
                by: people.person(&c.by),
                opinion: c.opinion.clone(),
                on: t.date(&c.on),
            })
            .collect(),
        countersign_needed: (task.spec.countersign > 0).then(|| {
            t.fill(
                "desk-task-countersign-needed",
                &[
                    ("n", &task.spec.countersign.to_string()),
                    ("signed", &signed.to_string()),
                ],
            )
        }),
        waits_for_supplement: task.status == TaskStatus::AwaitingSupplement,
        can: TaskCan::from(&allowed),
        notice,
        errors,
        input,
        supplement_options,
        suspend_kinds,
        materials,
        history: case_view::history_rows(t, &detail, &names, &people),
        task: row,
        tasks,
    })
}

/// One form of the task page, sent: the command goes to the service with the task version the
/// page was drawn from.
async fn task_act(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, task, action)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&STAFF)?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    // The lead window resubmits; a department's page has no form for it.
    let Some(action) = TaskAction::parse(&action).filter(|a| *a != TaskAction::Resubmit) else {
        return Ok(ctx.error(StatusCode::NOT_FOUND, "common-error-not-found"));
    };
    let result = match (
        form.value("task_version").trim().parse::<u32>(),
        task_command(action, &form),
    ) {
        (Err(_), _) => Err(AppError::invalid(
            "version",
            "the form carries no task version",
        )),
        (_, Err(e)) => Err(e),
        (Ok(version), Ok(command)) => {
            service
                .execute_task(&session.actor, &id, &task, version, command)
                .await
        }
    };
    let t = ctx.chrome.t;
    Ok(match result {
        // A transferred task is no longer this reader's to work, but still their department's.
        Ok(case) => see_other(&format!(
            "{}?done={}",
            task_href(&case.number, &task),
            action.as_str()
        )),
        Err(e) => match task_refusal(t, action, e) {
            Ok(r) => {
                show_task(
                    &service,
                    &ctx,
                    &id,
                    &task,
                    r.status,
                    Some(r.notice),
                    r.errors,
                    form,
                )
                .await
            }
            Err(e) => ctx.app_error(e),
        },
    })
}

/// The command a task form asks for, through the mapping the API uses too.
fn task_command(action: TaskAction, form: &FormFields) -> Result<TaskCommand, AppError> {
    let text = |name: &str| Some(form.value(name).trim().to_string());
    let fields = TaskActionFields {
        to: text("to"),
        reason: text("reason"),
        opinion: text("opinion"),
        missing: Some(form.all("missing")),
        note: text("note"),
        kind: suspension_kind(form),
        approve: approval(form),
    };
    action_fields::task_command(action, fields).map_err(|e| AppError::Invalid(vec![e]))
}

/// The words for a task field the service refused.
fn task_field_key(field: &str) -> &'static str {
    match field {
        "missing" => "desk-task-error-missing",
        "to" => "desk-task-error-to",
        "kind" => "desk-task-error-kind",
        "countersign" => "desk-task-error-countersign",
        "opinion" => "window-field-error-required",
        "approve" => "desk-task-error-approve",
        other => case_view::field_message_key(other),
    }
}

/// A refused task form as the page shows it: every problem next to its field; a refusal by the
/// access policy (not this reader's part) as a message on the form, not an error page.
fn task_refusal(
    t: &crate::i18n::Messages,
    action: TaskAction,
    error: AppError,
) -> Result<case_view::Refusal, AppError> {
    let form = action.as_str().to_string();
    let refused = t.fill1(
        "window-form-refused",
        "action",
        t.get(case_view::task_action_key(action)),
    );
    match error {
        AppError::Invalid(fields) => Ok(case_view::Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: PageNotice::error(refused),
            errors: FormErrors {
                form,
                messages: fields
                    .into_iter()
                    .map(|f| {
                        let field = f.field.split('[').next().unwrap_or("").to_string();
                        FieldMessage {
                            text: t.get(task_field_key(&field)).to_string(),
                            detail: crate::pages::reasons::reason_text(t, &f).unwrap_or_default(),
                            field,
                        }
                    })
                    .collect(),
            },
        }),
        AppError::Forbidden(reason) => Ok(case_view::Refusal {
            status: StatusCode::FORBIDDEN,
            notice: PageNotice::error(refused),
            errors: FormErrors {
                form,
                messages: vec![FieldMessage {
                    field: String::new(),
                    text: t.get("desk-task-error-forbidden").to_string(),
                    // The policy's words are English; other pages say it in their own.
                    detail: if t.lang() == crate::i18n::Lang::En {
                        reason
                    } else {
                        String::new()
                    },
                }],
            },
        }),
        other => case_view::refusal(t, &form, other),
    }
}

// ---- files ------------------------------------------------------------------------------------

async fn file(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(file_id): Path<String>,
) -> PageResult {
    ctx.require_role(&STAFF)?;
    Ok(case_view::file_response(&service, &ctx, &file_id).await)
}

/// The due day of a desk row, marked when it is counted on the provisional year.
fn due_text(t: &crate::i18n::Messages, task: &onewindow_app::workbench::Task) -> String {
    let day = t.date_or_dash(&task.due_on);
    if task.provisional {
        format!("{day}（{}）", t.get("monitor-due-provisional"))
    } else {
        day
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use onewindow_domain::case::{CaseCommand, Status};
    use onewindow_domain::clock::SuspensionKind;

    use crate::i18n::Lang;
    use crate::pages::case_view::testing::*;

    fn zh(key: &str) -> String {
        Lang::ZhCn.messages().get(key).to_string()
    }

    /// The table row of the list that shows `number`.
    fn row<'a>(body: &'a str, number: &str) -> &'a str {
        body.split("<tr>")
            .find(|r| r.contains(number))
            .unwrap_or_else(|| panic!("a row for {number}"))
    }

    #[tokio::test]
    async fn my_tasks_are_ordered_by_due_date_with_the_right_light_and_filter_overdue() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let reviewer = app.log_in(REVIEWER).await;
        // Monday 2 November 2026: four cases accepted.
        let mut accepted = Vec::new();
        for item in [FOOD, PERMIT, FILING, FOOD] {
            let materials: &[&str] = if item == PERMIT {
                &["M01", "M02"]
            } else if item == FOOD {
                &["M01", "M02", "M03"]
            } else {
                &["M01"]
            };
            let case = app.file(&clerk, "county-hall", item, materials).await;
            accepted.push(app.run(&clerk, &case.id, CaseCommand::Accept).await);
        }
        let [due_9th, due_16th, due_3rd, stopped] =
            [0, 1, 2, 3].map(|i| accepted[i].number.clone());
        app.run(
            &reviewer,
            &stopped,
            CaseCommand::Suspend {
                kind: SuspensionKind::Inspection,
                reason: "现场勘查".into(),
            },
        )
        .await;

        // Thursday 5 November: 3 working days used.
        app.at(day(2026, 11, 5));
        let reviewer = app.log_in(REVIEWER).await;
        let page = app.get(&reviewer, "/desk").await;
        assert_eq!(page.status, StatusCode::OK);
        let at = |n: &str| page.body.find(n).unwrap_or_else(|| panic!("{n} listed"));
        assert!(at(&due_3rd) < at(&due_9th));
        assert!(at(&due_9th) < at(&due_16th));
        assert!(at(&due_16th) < at(&stopped), "a stopped clock comes last");
        assert!(row(&page.body, &due_3rd).contains("light red"));
        assert!(row(&page.body, &due_3rd).contains(&zh("window-light-red")));
        assert!(row(&page.body, &due_9th).contains("light yellow"));
        assert!(row(&page.body, &due_16th).contains("light green"));
        assert!(row(&page.body, &stopped).contains("light grey"));

        let overdue = app.get(&reviewer, "/desk?overdue=1").await;
        assert!(overdue.body.contains(&due_3rd));
        for other in [&due_9th, &due_16th, &stopped] {
            assert!(!overdue.body.contains(other.as_str()));
        }

        // The clerk has no desk.
        let clerk = app.log_in(CLERK).await;
        assert_eq!(app.get(&clerk, "/desk").await.status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn the_approver_decides_through_the_form_and_a_reviewer_gets_no_decision_form() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let reviewer = app.log_in(REVIEWER).await;
        let approver = app.log_in(APPROVER).await;
        let case = app
            .file(&clerk, "county-hall", FOOD, &["M01", "M02", "M03"])
            .await;
        app.run(&clerk, &case.id, CaseCommand::Accept).await;
        let path = format!("/desk/cases/{}", case.number);

        let seen = app.get(&reviewer, &path).await;
        assert_eq!(seen.status, StatusCode::OK);
        assert!(seen.body.contains(&format!("{path}/start-review")));
        assert!(!seen.body.contains(&format!("{path}/decide")));
        assert!(!seen.body.contains(&format!("{path}/extend")));
        let version = app.case(&reviewer, &case.id).await.version.to_string();
        let tried = app
            .post(
                &reviewer,
                &format!("{path}/decide"),
                &[
                    ("csrf_token", &reviewer.csrf),
                    ("version", &version),
                    ("approve", "true"),
                ],
            )
            .await;
        assert_eq!(tried.status, StatusCode::FORBIDDEN);

        let started = app
            .post(
                &reviewer,
                &format!("{path}/start-review"),
                &[("csrf_token", &reviewer.csrf), ("version", &version)],
            )
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER);
        assert_eq!(app.case(&reviewer, &case.id).await.status, Status::InReview);

        // 受理 → 审查 → 决定: no decision before the reviewer's opinion.
        let waiting = app.get(&approver, &path).await;
        assert!(!waiting.body.contains(&format!("{path}/decide")));
        assert!(waiting.body.contains(r#"id="awaits-proposal""#));
        let review = app.get(&reviewer, &path).await;
        assert!(review.body.contains(&format!("{path}/propose")));
        let version = app.case(&reviewer, &case.id).await.version.to_string();
        let propose = |approve: &'static str, opinion: &'static str| {
            let version = version.clone();
            let reviewer = &reviewer;
            let app = &app;
            let path = &path;
            async move {
                app.post(
                    reviewer,
                    &format!("{path}/propose"),
                    &[
                        ("csrf_token", &reviewer.csrf),
                        ("version", &version),
                        ("approve", approve),
                        ("opinion", opinion),
                    ],
                )
                .await
            }
        };
        let blank = propose("false", "  ").await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.body.contains(r#"id="propose-opinion-error""#));
        assert!(blank.body.contains(&zh("common-reason-opinion-required")));
        assert!(
            blank.body.contains(r#"value="false" checked"#),
            "the refused form keeps the choice"
        );
        let proposed = propose("false", "经营场所面积不足 20 平方米").await;
        assert_eq!(proposed.status, StatusCode::SEE_OTHER);

        let page = app.get(&approver, &path).await;
        assert!(page.body.contains(&format!("{path}/decide")));
        assert!(page.body.contains("data-confirm"));
        assert!(
            page.body
                .contains(r#"id="proposal-opinion">经营场所面积不足 20 平方米<"#)
        );
        assert!(page.body.contains(&zh("desk-proposal-deny")));
        assert!(page.body.contains(r#"id="decide-overrule-hint""#));
        assert!(
            !page.body.contains(&format!("{path}/propose")),
            "the approver decides on the opinion, it does not rewrite it"
        );
        let version = app.case(&approver, &case.id).await.version.to_string();
        let overruled_bare = app
            .post(
                &approver,
                &format!("{path}/decide"),
                &[
                    ("csrf_token", &approver.csrf),
                    ("version", &version),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(overruled_bare.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(overruled_bare.body.contains(r#"id="decide-reason-error""#));
        assert!(
            overruled_bare
                .body
                .contains(&zh("common-reason-overrule-reason"))
        );
        let bare_denial = app
            .post(
                &approver,
                &format!("{path}/decide"),
                &[
                    ("csrf_token", &approver.csrf),
                    ("version", &version),
                    ("approve", "false"),
                    ("reason", " "),
                ],
            )
            .await;
        assert_eq!(bare_denial.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bare_denial
                .body
                .contains(&zh("window-field-error-required"))
        );
        assert!(bare_denial.body.contains(r#"id="decide-reason-error""#));

        let decided = app
            .post(
                &approver,
                &format!("{path}/decide"),
                &[
                    ("csrf_token", &approver.csrf),
                    ("version", &version),
                    ("approve", "true"),
                    ("reason", "现场核查面积符合要求"),
                ],
            )
            .await;
        assert_eq!(decided.status, StatusCode::SEE_OTHER);
        assert_eq!(decided.location(), format!("{path}?done=decide"));
        let case_now = app.case(&approver, &case.id).await;
        assert_eq!(case_now.status, Status::Approved);
        assert_eq!(
            case_now.decision.map(|d| (d.decided_by, d.overruled)),
            Some((APPROVER.to_string(), true))
        );
        let page = app.get(&approver, decided.location()).await;
        assert!(page.body.contains(&format!("{path}/issue-result")));
    }

    #[tokio::test]
    async fn suspending_extending_and_resuming_through_the_forms() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let reviewer = app.log_in(REVIEWER).await;
        let approver = app.log_in(APPROVER).await;
        let case = app
            .file(&clerk, "county-hall", PERMIT, &["M01", "M02"])
            .await;
        app.run(&clerk, &case.id, CaseCommand::Accept).await;
        let path = format!("/desk/cases/{}", case.number);
        let version = || async { app.case(&reviewer, &case.id).await.version.to_string() };

        let v = version().await;
        let no_kind = app
            .post(
                &reviewer,
                &format!("{path}/suspend"),
                &[
                    ("csrf_token", &reviewer.csrf),
                    ("version", &v),
                    ("reason", "检验"),
                ],
            )
            .await;
        assert_eq!(no_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
        let suspended = app
            .post(
                &reviewer,
                &format!("{path}/suspend"),
                &[
                    ("csrf_token", &reviewer.csrf),
                    ("version", &v),
                    ("kind", "testing"),
                    ("reason", "送检"),
                ],
            )
            .await;
        assert_eq!(suspended.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.case(&reviewer, &case.id).await.status,
            Status::Suspended
        );
        let page = app.get(&reviewer, &path).await;
        assert!(page.body.contains(&zh("window-suspension-testing")));
        assert!(page.body.contains(&format!("{path}/resume")));

        let v = version().await;
        let too_long = app
            .post(
                &approver,
                &format!("{path}/extend"),
                &[
                    ("csrf_token", &approver.csrf),
                    ("version", &v),
                    ("working_days", "11"),
                    ("reason", "检验周期长"),
                ],
            )
            .await;
        assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            too_long
                .body
                .contains(&zh("window-field-error-working_days"))
        );
        let extended = app
            .post(
                &approver,
                &format!("{path}/extend"),
                &[
                    ("csrf_token", &approver.csrf),
                    ("version", &v),
                    ("working_days", "5"),
                    ("reason", "检验周期长"),
                ],
            )
            .await;
        assert_eq!(extended.status, StatusCode::SEE_OTHER);
        let page = app.get(&approver, &path).await;
        assert!(page.body.contains(&zh("desk-extended-once")));

        let v = version().await;
        let resumed = app
            .post(
                &reviewer,
                &format!("{path}/resume"),
                &[("csrf_token", &reviewer.csrf), ("version", &v)],
            )
            .await;
        assert_eq!(resumed.status, StatusCode::SEE_OTHER);
        assert_eq!(app.case(&reviewer, &case.id).await.status, Status::InReview);
    }
}

/// A homestay (LB-MINSU) case through the pages, without a browser: applied for online with
/// uploads, accepted once, five departments' tasks, a send-back and resubmission, countersigns,
/// each department seeing only its own part, one result and one delivery.
#[cfg(test)]
mod joint_tests {
    use axum::http::StatusCode;
    use onewindow_domain::case::Status;

    use crate::i18n::Lang;
    use crate::pages::testing::{Answer, FilePart, TestSite, Visitor, site_with_bundles};

    const STAFF_PASSWORD: &str = onewindow_app::demo::accounts::DEMO_JOINT_STAFF_PASSWORD;

    fn zh(key: &str) -> String {
        Lang::ZhCn.messages().get(key).to_string()
    }

    /// The value of the first hidden field `name` on a page.
    fn hidden(body: &str, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = body
            .find(&marker)
            .unwrap_or_else(|| panic!("a field {name} on the page"))
            + marker.len();
        body[at..at + body[at..].find('"').expect("a closing quote")].to_string()
    }

    async fn task_form(
        site: &TestSite,
        who: &Visitor,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let seen = site.get(who, page).await;
        assert_eq!(seen.status, StatusCode::OK, "{page}");
        let version = hidden(&seen.body, "task_version");
        let mut all = vec![("task_version", version.as_str())];
        all.extend_from_slice(fields);
        site.post_form(who, &format!("{page}/{action}"), &all).await
    }

    #[tokio::test]
    async fn a_homestay_case_runs_through_the_pages_and_each_department_sees_its_own_part() {
        let site = site_with_bundles().await;
        let plan = site
            .service
            .bundle("LB-MINSU")
            .await
            .expect("the homestay bundle")
            .plan;
        let key_of = |department: &str| {
            plan.tasks
                .iter()
                .find(|t| t.department == department)
                .map(|t| t.item_code.clone())
                .unwrap_or_else(|| panic!("a {department} member"))
        };

        // The bundle page says where, who, in which order, what once, and before → after.
        let page = site.get(&Visitor::default(), "/bundles/LB-MINSU").await;
        assert_eq!(page.status, StatusCode::OK);
        for text in [
            "开办民宿",
            "公安窗口",
            "15 个工作日",
            "并联办理",
            "id=\"bundle-figures\"",
        ] {
            assert!(page.body.contains(text), "{text} on the bundle page");
        }
        for task in &plan.tasks {
            assert!(page.body.contains(&task.item_name), "{}", task.item_name);
        }
        let english = site
            .get(&Visitor::default().in_english(), "/bundles/LB-MINSU")
            .await;
        assert!(english.body.contains("Open a homestay") && english.body.contains("In parallel"));
        let home = site.get(&Visitor::default(), "/").await;
        assert!(home.body.contains("href=\"/bundles/LB-MINSU\""));
        assert_eq!(
            site.get(&Visitor::default(), "/bundles/NO-SUCH")
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // The enterprise applies online: one upload per material of the one form.
        let enterprise = site.login("enterprise", "qiye-demo-2026").await;
        let form = site.get(&enterprise, "/apply/LB-MINSU").await;
        assert_eq!(form.status, StatusCode::OK);
        let demanded: Vec<String> = plan.demanded_materials().map(|m| m.key.clone()).collect();
        for key in &demanded {
            assert!(form.body.contains(&format!("id=\"file_{key}\"")), "{key}");
        }
        let key = hidden(&form.body, "idempotency_key");
        let fields = [
            ("name", "宁海县示范民宿有限公司"),
            ("phone", "13800000000"),
            ("centre", "county-hall"),
            ("idempotency_key", key.as_str()),
        ];
        let refused = site
            .post_multipart(&enterprise, "/apply/LB-MINSU", &fields, &[])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains(&zh("applicant-error-file-missing")));
        let names: Vec<String> = demanded.iter().map(|k| format!("file_{k}")).collect();
        let pdf = b"%PDF-1.4\n% homestay\n".to_vec();
        let files: Vec<FilePart<'_>> = names
            .iter()
            .map(|field| FilePart {
                field,
                file_name: "材料.pdf",
                bytes: &pdf,
            })
            .collect();
        let filed = site
            .post_multipart(&enterprise, "/apply/LB-MINSU", &fields, &files)
            .await;
        assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
        let my_case = filed
            .location()
            .and_then(|l| l.strip_suffix("?done=submitted"))
            .expect("to the new case")
            .to_string();
        let id = my_case.trim_start_matches("/my/cases/").to_string();
        let grant = site
            .service
            .login("supervisor", "jiancha-2026", "test")
            .await
            .expect("login");
        let admin = site
            .service
            .authenticate(&grant.token, "test")
            .await
            .expect("session")
            .actor;
        let number = site
            .service
            .case(&admin, &id)
            .await
            .expect("the case")
            .case
            .number;

        // The clerk sees the one form as the checklist and accepts once.
        let clerk = site.login("clerk", "chuangkou-2026").await;
        let window = format!("/window/cases/{number}");
        let seen = site.get(&clerk, &window).await;
        assert_eq!(seen.status, StatusCode::OK);
        for m in plan.demanded_materials() {
            assert!(seen.body.contains(&m.name), "{} on the checklist", m.name);
        }
        let version = hidden(&seen.body, "version");
        let accepted = site
            .post_form(
                &clerk,
                &format!("{window}/accept"),
                &[("version", &version)],
            )
            .await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER);
        let seen = site.get(&clerk, &window).await;
        assert!(seen.body.contains("id=\"tasks\""));
        assert_eq!(
            seen.body.matches("<tr data-task=").count(),
            plan.tasks.len()
        );

        // Environment sends its task back; the clerk resubmits it (a note is required).
        let env = site.login("env-reviewer", STAFF_PASSWORD).await;
        let desk = site.get(&env, "/desk").await;
        let env_page = format!("/desk/cases/{number}/tasks/{}", key_of("STHJ"));
        assert!(desk.body.contains(&env_page), "the task on the env desk");
        assert_eq!(
            task_form(&site, &env, &env_page, "claim", &[]).await.status,
            StatusCode::SEE_OTHER
        );
        let sent = task_form(
            &site,
            &env,
            &env_page,
            "send-back",
            &[("reason", "排污口位置与平面图不符")],
        )
        .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        let seen = site.get(&clerk, &window).await;
        assert!(seen.body.contains("排污口位置与平面图不符"));
        let resubmit = format!("{window}/tasks/{}/resubmit", key_of("STHJ"));
        assert!(seen.body.contains(&resubmit));
        let version = hidden(
            &seen.body[seen.body.find(&resubmit).expect("form")..],
            "task_version",
        );
        let bare = site
            .post_form(
                &clerk,
                &resubmit,
                &[("task_version", &version), ("note", " ")],
            )
            .await;
        assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bare.body.contains("resubmit-error-"));
        let again = site
            .post_form(
                &clerk,
                &resubmit,
                &[("task_version", &version), ("note", "已核实，平面图已更正")],
            )
            .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);

        // Fire needs two countersigns before its approver decides; a refusal shows on the form.
        let fire = site.login("fire-reviewer", STAFF_PASSWORD).await;
        let fire_chief = site.login("fire-approver", STAFF_PASSWORD).await;
        let fire_page = format!("/desk/cases/{number}/tasks/{}", key_of("XFJY"));
        assert_eq!(
            task_form(&site, &fire, &fire_page, "claim", &[])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        let early = task_form(
            &site,
            &fire_chief,
            &fire_page,
            "decide",
            &[("approve", "true")],
        )
        .await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(early.body.contains(&zh("desk-task-error-countersign")));
        let not_mine = task_form(&site, &fire, &fire_page, "decide", &[("approve", "true")]).await;
        assert_eq!(not_mine.status, StatusCode::FORBIDDEN);
        assert!(not_mine.body.contains(&zh("desk-task-error-forbidden")));
        for who in [&fire, &fire_chief] {
            let signed = task_form(
                &site,
                who,
                &fire_page,
                "countersign",
                &[("opinion", "消防设施符合要求")],
            )
            .await;
            assert_eq!(signed.status, StatusCode::SEE_OTHER);
        }

        // Every department decides; public security writes a reason only it and the applicant see.
        let decide = |who: &'static str, department: &'static str, reason: &'static str| {
            let site = &site;
            let key = key_of(department);
            let number = number.clone();
            async move {
                let staff = site.login(who, STAFF_PASSWORD).await;
                let page = format!("/desk/cases/{number}/tasks/{key}");
                let answer = task_form(
                    site,
                    &staff,
                    &page,
                    "decide",
                    &[("approve", "true"), ("reason", reason)],
                )
                .await;
                assert_eq!(
                    answer.status,
                    StatusCode::SEE_OTHER,
                    "{who}: {}",
                    answer.body
                );
            }
        };
        decide("fire-approver", "XFJY", "").await;
        for (reviewer, department) in [
            ("gaj-reviewer", "GAJ"),
            ("env-reviewer", "STHJ"),
            ("health-reviewer", "WJJ"),
        ] {
            let staff = site.login(reviewer, STAFF_PASSWORD).await;
            let page = format!("/desk/cases/{number}/tasks/{}", key_of(department));
            assert_eq!(
                task_form(&site, &staff, &page, "claim", &[]).await.status,
                StatusCode::SEE_OTHER,
                "{reviewer}"
            );
            // The reviewer's signed opinion its approver decides on.
            assert_eq!(
                task_form(
                    &site,
                    &staff,
                    &page,
                    "countersign",
                    &[("opinion", "经审查，符合条件")]
                )
                .await
                .status,
                StatusCode::SEE_OTHER,
                "{reviewer}"
            );
        }
        decide("gaj-approver", "GAJ", "公安内部意见：治安条件合格").await;
        decide("env-approver", "STHJ", "").await;
        decide("health-approver", "WJJ", "").await;
        let market = site.login("reviewer", "shencha-2026").await;
        let market_page = format!("/desk/cases/{number}/tasks/{}", key_of("SCJGJ"));
        assert_eq!(
            task_form(&site, &market, &market_page, "claim", &[])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            task_form(
                &site,
                &market,
                &market_page,
                "countersign",
                &[("opinion", "经审查，符合条件")]
            )
            .await
            .status,
            StatusCode::SEE_OTHER
        );
        let market_chief = site.login("approver", "shenpi-2026").await;
        let answer = task_form(
            &site,
            &market_chief,
            &market_page,
            "decide",
            &[("approve", "true"), ("reason", "")],
        )
        .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);

        // Fire's page shows its own task whole and the others' state only.
        let seen = site.get(&fire, &fire_page).await;
        assert!(seen.body.contains("消防设施符合要求"));
        assert!(!seen.body.contains("公安内部意见"));
        assert!(!seen.body.contains("gaj-approver"));
        // So does the case's own page on fire's desk, its history included: no other
        // department's reasons, notes or staff.
        let case_page = site.get(&fire, &format!("/desk/cases/{number}")).await;
        assert_eq!(case_page.status, StatusCode::OK);
        assert!(case_page.body.contains("消防设施符合要求"));
        for secret in [
            "公安内部意见",
            "gaj-approver",
            "排污口位置与平面图不符",
            "已核实，平面图已更正",
            "env-reviewer",
        ] {
            assert!(
                !case_page.body.contains(secret),
                "{secret} on fire's page of the case"
            );
        }
        assert!(
            site.get(
                &fire,
                &format!("/desk/cases/{number}/tasks/{}", key_of("GAJ"))
            )
            .await
            .status
                == StatusCode::NOT_FOUND,
            "another department's task has no page on this desk"
        );
        let case = site.service.case(&admin, &id).await.expect("case").case;
        assert_eq!(case.status, Status::Approved);

        // The lead department issues the result; the window hands everything over once.
        let gaj = site.login("gaj-approver", STAFF_PASSWORD).await;
        let desk_case = format!("/desk/cases/{number}");
        let seen = site.get(&gaj, &desk_case).await;
        let version = hidden(&seen.body, "version");
        let issued = site
            .post_form(
                &gaj,
                &format!("{desk_case}/issue-result"),
                &[("version", &version)],
            )
            .await;
        assert_eq!(issued.status, StatusCode::SEE_OTHER);
        let seen = site.get(&clerk, &window).await;
        let version = hidden(&seen.body, "version");
        let delivered = site
            .post_form(
                &clerk,
                &format!("{window}/deliver"),
                &[
                    ("version", &version),
                    ("collector_role", "authorised"),
                    ("collector_name", "张建国"),
                    ("collector_id", "330226198806150022"),
                    ("authorisation", "授权委托书"),
                ],
            )
            .await;
        assert_eq!(delivered.status, StatusCode::SEE_OTHER);
        assert_eq!(
            site.service
                .case(&admin, &id)
                .await
                .expect("case")
                .case
                .status,
            Status::Delivered
        );

        // The applicant sees which department decided what and why, with the licence numbers.
        let mine = site.get(&enterprise, &my_case).await;
        assert!(mine.body.contains("id=\"departments\""));
        assert!(mine.body.contains("公安内部意见：治安条件合格"));
        assert_eq!(
            mine.body.matches("<tr data-task=").count(),
            plan.tasks.len()
        );
        assert!(
            mine.body
                .matches(&zh("common-task-status-approved"))
                .count()
                >= plan.tasks.len()
        );
        assert!(mine.body.contains(&format!("{number}-01")));
    }
}
