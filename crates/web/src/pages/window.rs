//! Pages: the window clerk's workbench (综合窗口): the queue of the centre, pre-review with the
//! item's checklist, the one-time supplement notice (一次性告知) and its print, acceptance (key
//! `A`) and the printed receipt with a QR code for tracking, rejection, visits, hand-over.
//!
//! Every action is a form carrying the case version it was drawn from (the page's `If-Match`):
//! when someone else changed the case meanwhile, the page says so and shows the case afresh.
//! What the clerk may do is the service's `allowed_actions`; the rules are the domain's.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use onewindow_app::delivery::DeliveryView;
use onewindow_app::workbench::{WINDOW_STATUSES, WindowQueueQuery};
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::action_fields::{self, ActionFields};
use onewindow_domain::case::{Action, CaseCommand, Collector, DeliveryMethod, Status};
use onewindow_domain::circulation::{TaskAction, TaskCommand};
use onewindow_domain::clock::notice_deadline;
use onewindow_domain::delivery::{DeliveryChoice, ParcelReport, Recipient};
use serde::Deserialize;

use crate::extract::OverTls;
use crate::i18n::Messages;
use crate::pages::case_view::{
    self, CaseReading, CaseView, FormErrors, FormFields, HistoryRow, MaterialRow, PageNotice,
    TaskRowView,
};
use crate::pages::page_error::{OrPage, PageResult};
use crate::pages::{Chrome, PageCtx, encode_query_value, render, see_other};

/// Where handed-in files are read from these pages.
const FILES: &str = "/window/files";

/// The actions a window page offers forms for.
const WINDOW_ACTIONS: [Action; 9] = [
    Action::Accept,
    Action::StartPreReview,
    Action::RequestSupplement,
    Action::ProvideSupplement,
    Action::Reject,
    Action::RecordVisit,
    Action::Deliver,
    Action::Close,
    Action::Withdraw,
];

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/window", get(queue))
        .route("/window/find", get(find))
        .route("/window/cases/{id}", get(case_page))
        .route("/window/cases/{id}/notice", get(notice_page))
        .route("/window/cases/{id}/receipt", get(receipt_page))
        .route("/window/cases/{id}/{action}", post(act))
        .route("/window/cases/{id}/tasks/{task}/resubmit", post(resubmit))
        .route("/window/cases/{id}/delivery-choice", post(choose_delivery))
        .route("/window/cases/{id}/parcels", post(dispatch_parcel))
        .route("/window/cases/{id}/parcels/{waybill}", post(report_parcel))
        .route("/window/files/{file_id}", get(file))
}

// ---- the queue --------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
struct QueueParams {
    status: Option<String>,
    cursor: Option<String>,
}

/// A filter of the queue by state, with its count.
struct Tab {
    href: String,
    /// The state and its count: "待补正（4）".
    label: String,
    current: bool,
}

fn tab_label(t: &Messages, key: &str, count: usize) -> String {
    t.fill(
        "window-queue-tab-count",
        &[("label", t.get(key)), ("n", &count.to_string())],
    )
}

struct QueueRow {
    number: String,
    item_name: String,
    applicant_name: String,
    received_at: String,
    waited: String,
    status_label: String,
    /// "告知期限剩 2 个工作日" for a case that may still get the one-time notice.
    notice_due: Option<String>,
    /// The notice period ends within a working day, or has ended.
    notice_urgent: bool,
}

#[derive(Template)]
#[template(path = "window/queue.html")]
struct QueuePage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    rows: Vec<QueueRow>,
    next_href: Option<String>,
    first_href: Option<String>,
    truncated: bool,
}

async fn queue(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(params): Query<QueueParams>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let t = ctx.chrome.t;
    let filter = params
        .status
        .as_deref()
        .and_then(Status::parse)
        .filter(|s| WINDOW_STATUSES.contains(s));
    let query = WindowQueueQuery {
        statuses: filter.into_iter().collect(),
        cursor: params.cursor.clone().filter(|c| !c.is_empty()),
        limit: Some(50),
    };
    let found = service
        .window_queue(&session.actor, query)
        .await
        .or_page(&ctx)?;
    let status_param = filter.map(|s| format!("status={}&", s.as_str()));
    let mut tabs = vec![Tab {
        href: "/window".into(),
        label: tab_label(
            t,
            "window-queue-all",
            found.counts.iter().map(|(_, n)| n).sum(),
        ),
        current: filter.is_none(),
    }];
    tabs.extend(found.counts.iter().map(|(status, count)| Tab {
        href: format!("/window?status={}", status.as_str()),
        label: tab_label(t, queue_tab_key(*status), *count),
        current: filter == Some(*status),
    }));
    let rows = found
        .page
        .items
        .iter()
        .map(|w| QueueRow {
            number: w.case.number.clone(),
            item_name: w.case.item_name.clone(),
            applicant_name: w.case.applicant.name.clone(),
            received_at: t.time(&w.case.received_at),
            waited: case_view::waited(t, w.waiting_minutes, w.waiting_working_days),
            status_label: t.get(case_view::status_key(w.case.status)).to_string(),
            notice_due: w.notice_days_left.map(|left| match left {
                l if l < 0 => t.get("window-notice-period-over").to_string(),
                0 => t.get("window-queue-notice-today").to_string(),
                l => case_view::count(t, "window-queue-notice-left", l),
            }),
            notice_urgent: w.notice_days_left.is_some_and(|l| l <= 1),
        })
        .collect();
    let next_href = found.page.next_cursor.as_ref().map(|c| {
        format!(
            "/window?{}cursor={}",
            status_param.clone().unwrap_or_default(),
            encode_query_value(c)
        )
    });
    let first_href = params.cursor.as_ref().map(|_| match filter {
        Some(s) => format!("/window?status={}", s.as_str()),
        None => "/window".to_string(),
    });
    Ok(render(&QueuePage {
        chrome: ctx.chrome.clone(),
        tabs,
        rows,
        next_href,
        first_href,
        truncated: found.truncated,
    }))
}

fn queue_tab_key(status: Status) -> &'static str {
    match status {
        Status::Submitted => "window-queue-tab-submitted",
        Status::PreReview => "window-queue-tab-pre_review",
        Status::SupplementRequested => "window-queue-tab-supplement_requested",
        _ => "window-queue-tab-result_issued",
    }
}

#[derive(Debug, Deserialize, Default)]
struct FindParams {
    #[serde(default)]
    number: String,
}

/// A receipt number typed (or scanned) into the queue's search box.
async fn find(ctx: PageCtx, Query(params): Query<FindParams>) -> PageResult {
    ctx.require_role(&[Role::Clerk])?;
    let number: String = params
        .number
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // A scanned tracking address ends with the number.
    let number = number.rsplit('/').next().unwrap_or_default().to_string();
    if number.is_empty()
        || !number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Ok(see_other("/window"));
    }
    Ok(see_other(&format!("/window/cases/{number}")))
}

// ---- one case ---------------------------------------------------------------------------------

/// Which forms the page shows: the actions the service allows this clerk now.
#[derive(Debug, Default)]
struct Can {
    accept: bool,
    start_pre_review: bool,
    request_supplement: bool,
    provide_supplement: bool,
    reject: bool,
    record_visit: bool,
    deliver: bool,
    close: bool,
    withdraw: bool,
}

impl Can {
    fn from(allowed: &[Action]) -> Self {
        let has = |a| allowed.contains(&a);
        Self {
            accept: has(Action::Accept),
            start_pre_review: has(Action::StartPreReview),
            request_supplement: has(Action::RequestSupplement),
            provide_supplement: has(Action::ProvideSupplement),
            reject: has(Action::Reject),
            record_visit: has(Action::RecordVisit),
            deliver: has(Action::Deliver),
            close: has(Action::Close),
            withdraw: has(Action::Withdraw),
        }
    }

    fn any(&self) -> bool {
        self.accept
            || self.start_pre_review
            || self.request_supplement
            || self.provide_supplement
            || self.reject
            || self.record_visit
            || self.deliver
            || self.close
            || self.withdraw
    }
}

/// A material as a checkbox of the notice or supplement form.
struct MaterialOption {
    key: String,
    name: String,
    /// Missing from the case now.
    missing: bool,
    ticked: bool,
    /// Missing but left unticked in a refused notice: the reason it was refused.
    flagged: bool,
}

#[derive(Template)]
#[template(path = "window/case.html")]
struct CasePage {
    chrome: Chrome,
    case: CaseView,
    materials: Vec<MaterialRow>,
    missing_names: String,
    /// The missing materials acceptance cannot do without (not tolerated, 容缺).
    accept_blockers: String,
    history: Vec<HistoryRow>,
    can: Can,
    notice: Option<PageNotice>,
    errors: FormErrors,
    /// What the refused form sent, to show it again.
    input: FormFields,
    notice_options: Vec<MaterialOption>,
    supplement_options: Vec<MaterialOption>,
    /// The one-time notice was sent (its date): it can be printed.
    notice_sent_on: Option<String>,
    /// The last day the one-time notice may be sent.
    notice_deadline: Option<String>,
    has_receipt: bool,
    /// A joint case's department tasks, for the progress table.
    tasks: Vec<TaskRowView>,
    /// The tasks a department sent back to this window, each with its resubmit form.
    sent_back: Vec<ResubmitForm>,
    /// Delivery by post: the choice, posting, the parcels.
    post: crate::pages::window_post::WindowPost,
    /// The messages to the applicant and how each went.
    messages: Vec<crate::pages::case_messages::MessageLine>,
    /// Promises, commitments, a revocation, and the applicant's false commitments on record.
    tolerance: crate::pages::case_tolerance::ToleranceView,
    /// The tolerated materials missing, each with a day the applicant may promise it by.
    promise_options: Vec<PromiseOption>,
}

/// A tolerated material (容缺) the clerk may accept without, on the applicant's promise.
struct PromiseOption {
    key: String,
    label: String,
    value: String,
}

/// A task sent back to the lead window: the department's reason and the form that resubmits it.
struct ResubmitForm {
    key: String,
    /// "消防 sent back 公众聚集场所…".
    title: String,
    reason: String,
    version: u32,
    note: String,
    /// Why the last resubmission of this task was refused.
    errors: Vec<case_view::FieldMessage>,
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
    ctx.require_role(&[Role::Clerk])?;
    let t = ctx.chrome.t;
    let notice = match params.done.as_deref() {
        Some("resubmit") => Some(PageNotice::ok(t.fill1(
            "window-done",
            "action",
            t.get(case_view::task_action_key(TaskAction::Resubmit)),
        ))),
        Some(post @ ("dispatch" | "report" | "delivery-choice")) => Some(PageNotice::ok(t.fill1(
            "window-done",
            "action",
            t.get(&format!("window-post-done-{post}")),
        ))),
        done => done.and_then(Action::parse).map(|a| {
            PageNotice::ok(t.fill1("window-done", "action", t.get(case_view::action_key(a))))
        }),
    };
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

/// Draws the case page from a fresh reading of the case.
pub(crate) async fn show_case(
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
    let errors = errors.name_materials(t, &names);
    let case = &detail.case;
    let materials = case_view::material_rows(t, case, item.as_ref(), &files, FILES);
    let missing = case.missing_materials();
    let tasks = case_view::task_rows(t, case, &people, service, &[], |_| None);
    let refused_task = (errors.is_for("resubmit")).then(|| input.value("task").to_string());
    let sent_back = tasks
        .iter()
        .filter(|task| {
            detail
                .task_actions
                .iter()
                .any(|(key, actions)| key == &task.key && actions.contains(&TaskAction::Resubmit))
        })
        .map(|task| {
            let refused = refused_task.as_deref() == Some(task.key.as_str());
            ResubmitForm {
                key: task.key.clone(),
                title: t.fill(
                    "window-resubmit-title",
                    &[("item", &task.item_name), ("department", &task.department)],
                ),
                reason: task.sent_back_reason.clone().unwrap_or_default(),
                version: task.version,
                note: if refused {
                    input.value("note").to_string()
                } else {
                    String::new()
                },
                errors: if refused {
                    errors.messages.clone()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let refused_notice = errors.is_for(Action::RequestSupplement.as_str());
    let sent_missing = input.all("missing");
    let notice_options = case
        .required_materials
        .iter()
        .map(|key| {
            let is_missing = missing.contains(key);
            let ticked = if refused_notice {
                sent_missing.contains(key)
            } else {
                is_missing
            };
            MaterialOption {
                key: key.clone(),
                name: names.name(key),
                missing: is_missing,
                ticked,
                flagged: refused_notice && is_missing && !ticked,
            }
        })
        .collect();
    let refused_supplement = errors.is_for(Action::ProvideSupplement.as_str());
    let sent_materials = input.all("materials");
    let supplement_options = missing
        .iter()
        .map(|key| MaterialOption {
            key: key.clone(),
            name: names.name(key),
            missing: true,
            ticked: refused_supplement && sent_materials.contains(key),
            flagged: false,
        })
        .collect();
    let promise_options = missing
        .iter()
        .filter(|key| case.tolerable_materials.contains(key))
        .map(|key| PromiseOption {
            key: key.clone(),
            label: t.fill1("tolerance-accept-by", "name", names.name(key)),
            value: input.value(&format!("promise_{key}")).to_string(),
        })
        .collect();
    let tolerance = crate::pages::case_tolerance::view(t, &detail, |key| names.name(key));
    let notice_sent_on = case
        .supplement_notices
        .iter()
        .rev()
        .find(|n| !n.during_review)
        .map(|n| t.date(&n.issued_on));
    let notice_deadline = (case.status.is_before_acceptance() && notice_sent_on.is_none())
        .then(|| notice_deadline(&service.calendar(), case.received_on).ok())
        .flatten()
        .map(|d| t.date(&d));
    Ok(CasePage {
        chrome: ctx.chrome.clone(),
        case: CaseView::new(&detail, t, &people),
        missing_names: names.list(t, &missing),
        accept_blockers: names.list(
            t,
            &missing
                .iter()
                .filter(|k| !case.tolerable_materials.contains(k))
                .cloned()
                .collect::<Vec<_>>(),
        ),
        history: case_view::history_rows(t, &detail, &names, &people),
        can: Can::from(&detail.allowed_actions),
        has_receipt: case.accepted_on.is_some(),
        materials,
        notice,
        errors,
        input,
        notice_options,
        supplement_options,
        notice_sent_on,
        notice_deadline,
        tasks,
        sent_back,
        post: crate::pages::window_post::panel(
            t,
            case,
            &service.case_delivery(&session.actor, &case.id).await?,
        ),
        messages: crate::pages::case_messages::lines(
            t,
            service.case_messages(&session.actor, &case.id).await?,
        ),
        tolerance,
        promise_options,
    })
}

/// The lead window resubmits a task a department sent back, with what it did about the reason.
async fn resubmit(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, task)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let mut form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let result = match form.value("task_version").trim().parse::<u32>() {
        Err(_) => Err(AppError::invalid(
            "version",
            "the form carries no task version",
        )),
        Ok(version) => {
            service
                .execute_task(
                    &session.actor,
                    &id,
                    &task,
                    version,
                    TaskCommand::Resubmit {
                        note: form.value("note").trim().to_string(),
                    },
                )
                .await
        }
    };
    Ok(match result {
        Ok(case) => see_other(&format!(
            "/window/cases/{}?done=resubmit",
            encode_query_value(&case.number)
        )),
        Err(e) => match case_view::refusal(ctx.chrome.t, "resubmit", e) {
            Ok(r) => {
                form.0.push(("task".into(), task));
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

/// One form of the case page, sent.
async fn act(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let Some(action) = Action::parse(&action).filter(|a| WINDOW_ACTIONS.contains(a)) else {
        return Ok(ctx.error(StatusCode::NOT_FOUND, "common-error-not-found"));
    };
    let t = ctx.chrome.t;
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
        Ok(case) => see_other(&match action {
            Action::Accept => format!("/window/cases/{}/receipt", case.number),
            Action::RequestSupplement => format!("/window/cases/{}/notice", case.number),
            _ => format!("/window/cases/{}?done={}", case.number, action.as_str()),
        }),
        Err(e) => match case_view::refusal(t, action.as_str(), e) {
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

/// The command a window form asks for, through the mapping the API uses too. The window hands
/// the result over at the counter.
fn command(action: Action, form: &FormFields) -> Result<CaseCommand, AppError> {
    let fields = ActionFields {
        reason: Some(form.value("reason").trim().to_string()),
        missing: Some(form.all("missing")),
        note: Some(form.value("note").trim().to_string()),
        materials: Some(form.all("materials")),
        purpose: Some(form.value("purpose").trim().to_string()),
        extra_visit_reason: form.text("extra_visit_reason"),
        exception: onewindow_domain::hall::VisitException::parse(form.value("exception")),
        promises: Some(promises(form)?),
        delivery: Some(DeliveryMethod::Pickup {
            collected_by: Some(Collector {
                name: form.value("collector_name").trim().to_string(),
                id_number: form.value("collector_id").trim().to_string(),
                authorised: form.value("collector_role") == "authorised",
                authorisation: form.text("authorisation"),
            }),
        }),
        ..ActionFields::default()
    };
    action_fields::case_command(action, fields).map_err(|e| AppError::Invalid(vec![e]))
}

/// The promises of the accept form: each `promise_<key>` with a day (容缺受理).
fn promises(
    form: &FormFields,
) -> Result<Vec<onewindow_domain::tolerance::PromiseRequest>, AppError> {
    let mut promises = Vec::new();
    for (name, value) in &form.0 {
        let Some(key) = name.strip_prefix("promise_") else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let by = value.parse::<chrono::NaiveDate>().map_err(|_| {
            AppError::invalid(
                &format!("promises[{}].by", promises.len()),
                format!("{value:?} is not a date such as 2026-12-18"),
            )
        })?;
        promises.push(onewindow_domain::tolerance::PromiseRequest {
            material: key.to_string(),
            by,
        });
    }
    Ok(promises)
}

// ---- the printed notice and receipt -----------------------------------------------------------

/// A material on a printed page.
struct PrintedMaterial {
    name: String,
    form: String,
}

/// Who and where a printed receipt or notice comes from: the centre, the window that accepts the
/// case's department there, the clerk (display name) and the centre's consultation phone.
struct Issuer {
    centre: String,
    /// "综合受理窗口 01 (01)"; `None` when the centre has no window recorded.
    window: Option<String>,
    clerk: String,
    /// The centre's consultation phone; `None` when none is recorded.
    phone: Option<String>,
}

impl Issuer {
    async fn of(
        service: &Service,
        t: &Messages,
        people: &case_view::Names,
        case: &onewindow_domain::case::Case,
        clerk: &str,
    ) -> Issuer {
        let windows = service.windows().await.unwrap_or_default();
        let window = issuing_window(&windows, &case.centre, &case.department).map(|w| {
            if w.name.contains(w.code.as_str()) {
                w.name.clone()
            } else {
                format!("{}（{}）", w.name, w.code)
            }
        });
        let phone = people
            .centres
            .iter()
            .find(|c| c.code == case.centre)
            .map(|c| c.phone.trim().to_string())
            .filter(|p| !p.is_empty());
        Issuer {
            centre: people.centre(t, &case.centre),
            window,
            clerk: people.person(clerk),
            phone,
        }
    }
}

/// The window of `centre` that accepts `department`'s items: one that names the department,
/// else the first comprehensive window (one that names none), in the order of their codes.
fn issuing_window<'w>(
    windows: &'w [onewindow_app::admin::Window],
    centre: &str,
    department: &str,
) -> Option<&'w onewindow_app::admin::Window> {
    let at_centre = || windows.iter().filter(move |w| w.centre == centre);
    at_centre()
        .find(|w| w.departments.iter().any(|d| d == department))
        .or_else(|| at_centre().find(|w| w.departments.is_empty()))
}

pub use onewindow_domain::notice::{SUPPLEMENT_PERIOD_DAYS, supplement_deadline};

/// The clerk who sent the one-time notice before acceptance: the actor of the last supplement
/// request before the case was accepted.
fn notice_clerk(detail: &onewindow_app::service::CaseDetail) -> String {
    use onewindow_domain::case::CaseEvent;
    let mut clerk = String::new();
    for e in &detail.history {
        match e.event {
            CaseEvent::SupplementRequested { .. } => clerk = e.actor.clone(),
            CaseEvent::Accepted { .. } => break,
            _ => {}
        }
    }
    clerk
}

/// The facts of a receipt, from the acceptance alone (the day, the promised limit, the clerk), so
/// that a receipt printed again after an extension, a suspension or the delivery is the same.
struct ReceiptFacts {
    accepted_on: String,
    promised_days: String,
    /// The promised last day: the promised working days counted from the day of acceptance.
    due_on: Option<String>,
    /// The due day is counted on the provisional calendar (预计).
    due_provisional: Option<String>,
}

fn receipt_facts(
    t: &Messages,
    calendar: &onewindow_domain::calendar::Calendar,
    case: &onewindow_domain::case::Case,
) -> Option<ReceiptFacts> {
    let accepted_on = case.accepted_on?;
    let due = calendar
        .add_working_days(accepted_on, case.promised_days)
        .ok();
    Some(ReceiptFacts {
        accepted_on: t.date(&accepted_on),
        promised_days: if case.promised_days == 0 {
            t.get("window-immediate").to_string()
        } else {
            case_view::count(t, "window-working-days", i64::from(case.promised_days))
        },
        due_on: due.as_ref().map(|d| t.date(d)),
        due_provisional: due.filter(|d| calendar.is_provisional(*d)).map(|d| {
            t.fill1(
                "applicant-due-provisional",
                "year",
                chrono::Datelike::year(&d).to_string(),
            )
        }),
    })
}

#[derive(Template)]
#[template(path = "window/notice.html")]
struct NoticePage {
    chrome: Chrome,
    case: CaseView,
    /// Where "back" goes: the window's case page, or the applicant's own.
    back: String,
    /// `None` when no notice was sent before acceptance.
    issued_on: Option<String>,
    /// The sentence with the last day to hand in the supplement.
    supplement_by: Option<String>,
    issuer: Issuer,
    missing: Vec<PrintedMaterial>,
    note: String,
    /// The sentence that names the application.
    body: String,
}

/// The one-time notice (一次性告知书) as printed: for the window, and for the applicant, who
/// can read and print it from their own case page (`/my/cases/{id}/notice`; the service's
/// policy lets only the case's own applicant read it).
pub async fn notice_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk, Role::Applicant, Role::Agent])?;
    let t = ctx.chrome.t;
    let detail = service.case(&session.actor, &id).await.or_page(&ctx)?;
    let item = service.item(&detail.case.item_code).await.ok();
    let people = case_view::Names::for_case(&service, &detail).await;
    let rows = case_view::material_rows(t, &detail.case, item.as_ref(), &[], FILES);
    let sent = detail
        .case
        .supplement_notices
        .iter()
        .rev()
        .find(|n| !n.during_review);
    let missing = sent
        .map(|n| {
            n.missing
                .iter()
                .map(|key| {
                    let row = rows.iter().find(|r| &r.key == key);
                    PrintedMaterial {
                        name: row.map_or_else(|| key.clone(), |r| r.name.clone()),
                        form: row.map(|r| r.form.clone()).unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let clerk = notice_clerk(&detail);
    let issuer = Issuer::of(&service, t, &people, &detail.case, &clerk).await;
    let supplement_by = sent.and_then(|n| {
        supplement_deadline(&service.calendar(), n.issued_on)
            .ok()
            .map(|d| {
                t.fill(
                    "window-notice-doc-by",
                    &[
                        ("date", &t.date(&d)),
                        ("n", &SUPPLEMENT_PERIOD_DAYS.to_string()),
                    ],
                )
            })
    });
    let case = CaseView::new(&detail, t, &people);
    let body = t.fill(
        "window-notice-doc-body",
        &[
            ("date", &case.received_on),
            ("item", &case.item_name),
            ("number", &case.number),
        ],
    );
    let back = if ctx.chrome.here.starts_with("/my/") {
        format!("/my/cases/{}", detail.case.id)
    } else {
        format!("/window/cases/{}", detail.case.number)
    };
    Ok(render(&NoticePage {
        chrome: ctx.chrome.clone(),
        back,
        case,
        body,
        issued_on: sent.map(|n| t.date(&n.issued_on)),
        supplement_by,
        issuer,
        note: sent.map(|n| n.note.clone()).unwrap_or_default(),
        missing,
    }))
}

#[derive(Template)]
#[template(path = "window/receipt.html")]
struct ReceiptPage {
    chrome: Chrome,
    case: CaseView,
    accepted: bool,
    facts: Option<ReceiptFacts>,
    issuer: Issuer,
    received: Vec<PrintedMaterial>,
    tracking_url: String,
    /// The QR code of `tracking_url` as an inline SVG element.
    qr_svg: String,
}

async fn receipt_page(
    State(service): State<Service>,
    ctx: PageCtx,
    headers: HeaderMap,
    OverTls(tls): OverTls,
    Path(id): Path<String>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let t = ctx.chrome.t;
    let detail = service.case(&session.actor, &id).await.or_page(&ctx)?;
    let item = service.item(&detail.case.item_code).await.ok();
    let people = case_view::Names::for_case(&service, &detail).await;
    let received = case_view::material_rows(t, &detail.case, item.as_ref(), &[], FILES)
        .into_iter()
        .filter(|r| r.provided)
        .map(|r| PrintedMaterial {
            name: r.name,
            form: r.form,
        })
        .collect();
    let tracking_url = tracking_url(&headers, tls, &detail.case.number);
    let qr_svg = qr_svg(&tracking_url, t.get("window-receipt-qr-label"));
    let facts = receipt_facts(t, &service.calendar(), &detail.case);
    let clerk = detail.case.accepted_by.clone().unwrap_or_default();
    let issuer = Issuer::of(&service, t, &people, &detail.case, &clerk).await;
    Ok(render(&ReceiptPage {
        chrome: ctx.chrome.clone(),
        case: CaseView::new(&detail, t, &people),
        accepted: facts.is_some(),
        facts,
        issuer,
        received,
        tracking_url,
        qr_svg,
    }))
}

/// The public look-up (办件查询) of the case, where anyone with the receipt and the applicant's
/// name follows it: absolute when the request's `Host` is a
/// plain host name (or address) and port, relative otherwise.
fn tracking_url(headers: &HeaderMap, tls: bool, number: &str) -> String {
    format!(
        "{}/lookup?number={number}",
        crate::extract::public_base(headers, tls)
    )
}

/// A QR code of `text` as an `<svg>` element to put inline in a page: presentation attributes
/// only (the page's policy forbids inline styles), labelled for screen readers.
fn qr_svg(text: &str, label: &str) -> String {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build();
    let svg = match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => return String::new(),
    };
    let label: String = label
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect();
    svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{label}\" class=\"qr\" "),
        1,
    )
}

// ---- files ------------------------------------------------------------------------------------

async fn file(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(file_id): Path<String>,
) -> PageResult {
    ctx.require_role(&[Role::Clerk])?;
    Ok(case_view::file_response(&service, &ctx, &file_id).await)
}

// ---- delivery by post: the window's forms ----------------------------------------------------

/// The answer to a delivery form: back to the case, or the case again with the refusal.
async fn answer(
    service: &Service,
    ctx: &PageCtx,
    id: &str,
    form_name: &str,
    form: FormFields,
    result: Result<DeliveryView, AppError>,
) -> PageResult {
    Ok(match result {
        Ok(view) => see_other(&format!(
            "/window/cases/{}?done={form_name}",
            encode_query_value(&view.delivery.case_number)
        )),
        Err(e) => match case_view::refusal(ctx.chrome.t, form_name, e) {
            Ok(r) => show_case(service, ctx, id, r.status, Some(r.notice), r.errors, form).await,
            Err(e) => ctx.app_error(e),
        },
    })
}

/// The applicant's choice, recorded at the counter (they sign the agreement on paper).
async fn choose_delivery(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let choice = match form.value("method") {
        "express" => DeliveryChoice::Express {
            recipient: Recipient {
                name: form.value("recipient").trim().to_string(),
                phone: form.value("phone").trim().to_string(),
                address: form.value("address").trim().to_string(),
            },
            agreement: form.value("agreement").trim().to_string(),
        },
        _ => DeliveryChoice::Pickup,
    };
    let result = service.choose_delivery(&session.actor, &id, choice).await;
    answer(&service, &ctx, &id, "delivery-choice", form, result).await
}

/// Posts the result with the courier's waybill.
async fn dispatch_parcel(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let result = service
        .dispatch_parcel(
            &session.actor,
            &id,
            form.value("courier"),
            form.value("waybill"),
        )
        .await;
    answer(&service, &ctx, &id, "dispatch", form, result).await
}

/// Records by hand what the courier says of a parcel.
async fn report_parcel(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, waybill)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let detail = form.value("detail").trim().to_string();
    let report = match form.value("state") {
        "signed" => ParcelReport::Signed { signed_by: detail },
        "returned" => ParcelReport::Returned { reason: detail },
        "in_transit" => ParcelReport::InTransit { note: detail },
        _ => {
            let result = Err(AppError::invalid("state", "in_transit, signed or returned"));
            return answer(&service, &ctx, &id, "report", form, result).await;
        }
    };
    let result = service
        .report_parcel(&session.actor, &id, &waybill, report)
        .await;
    answer(&service, &ctx, &id, "report", form, result).await
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use onewindow_domain::case::{CaseCommand, Status};

    use crate::i18n::Lang;
    use crate::pages::case_view::testing::*;

    fn zh(key: &str) -> &'static str {
        let text = Lang::ZhCn.messages().get(key);
        // `get` hands back the key itself when it is missing; the catalogue test forbids that.
        Box::leak(text.to_string().into_boxed_str())
    }

    #[tokio::test]
    async fn the_queue_shows_the_centres_waiting_cases_oldest_first_and_no_other_centre() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let township = app.log_in(TOWNSHIP_CLERK).await;
        let first = app.file(&clerk, "county-hall", FOOD, &["M01"]).await;
        let elsewhere = app
            .file(&township, "township-yuelong", FOOD, &["M01"])
            .await;
        let second = app.file(&clerk, "county-hall", FILING, &["M01"]).await;

        let page = app.get(&clerk, "/window").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&first.number), "{}", page.body);
        assert!(page.body.contains(&second.number));
        assert!(!page.body.contains(&elsewhere.number));
        let (a, b) = (
            page.body.find(&first.number).expect("first"),
            page.body.find(&second.number).expect("second"),
        );
        assert!(a < b, "the longest-waiting case comes first");
        assert!(page.body.contains(zh("window-queue-title")));

        let theirs = app.get(&township, "/window").await;
        assert!(theirs.body.contains(&elsewhere.number));
        assert!(!theirs.body.contains(&first.number));
        // Another centre's case is not found, exactly like one that does not exist.
        let hidden = app
            .get(&clerk, &format!("/window/cases/{}", elsewhere.number))
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);

        // A typed or scanned receipt number (or tracking address) finds the case.
        let found = app
            .get(&clerk, &format!("/window/find?number=+{}+", first.number))
            .await;
        assert_eq!(found.location(), format!("/window/cases/{}", first.number));
        let scanned = app
            .get(
                &clerk,
                &format!(
                    "/window/find?number=http%3A%2F%2Fh%2Fmy%2Fcases%2F{}",
                    first.number
                ),
            )
            .await;
        assert_eq!(
            scanned.location(),
            format!("/window/cases/{}", first.number)
        );

        // Filtered by state.
        let one = app.get(&clerk, "/window?status=supplement_requested").await;
        assert!(!one.body.contains(&first.number));
        let reviewer = app.log_in(REVIEWER).await;
        assert_eq!(
            app.get(&reviewer, "/window").await.status,
            StatusCode::FORBIDDEN
        );
    }

    #[tokio::test]
    async fn the_queue_and_the_case_page_write_dates_as_the_readers_language_does() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let case = app.file(&clerk, "county-hall", FOOD, &["M01"]).await;
        // Filed at 09:00 China time on Monday 2 November 2026.
        let chinese = "2026年11月2日 09:00";
        let queue = app.get(&clerk, "/window").await;
        assert!(queue.body.contains(chinese), "{}", queue.body);
        let page = app
            .get(&clerk, &format!("/window/cases/{}", case.number))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        // The received time in the facts and the first line of the history.
        assert!(page.body.matches(chinese).count() >= 2, "{}", page.body);
        assert!(page.body.contains("2026年11月2日"));
        for body in [&queue.body, &page.body] {
            assert!(!body.contains("2026-11-02 09:00"), "{body}");
            assert!(!body.contains(">2026-11-02<"), "{body}");
        }

        let mut english = app.log_in(CLERK).await;
        english.cookie.push_str("; ow_lang=en");
        let queue = app.get(&english, "/window").await;
        assert!(
            queue.body.contains("2 November 2026 09:00"),
            "{}",
            queue.body
        );
        let page = app
            .get(&english, &format!("/window/cases/{}", case.number))
            .await;
        assert!(page.body.contains("2 November 2026 09:00"), "{}", page.body);
        assert!(!page.body.contains("2026年11月2日"));
    }

    #[tokio::test]
    async fn the_queue_says_how_long_a_case_has_waited_in_one_unit() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        // Filed on Monday 2 November at 09:00; read on Wednesday at 11:30: two working days.
        let old = app.file(&clerk, "county-hall", FOOD, &["M01"]).await;
        let wednesday = onewindow_app::clock::local_morning(day(2026, 11, 4));
        app.clock.set(wednesday);
        // Filed on Wednesday at 09:00: hours, on the day it came in.
        let new = app.file(&clerk, "county-hall", FILING, &["M01"]).await;
        app.clock
            .set(wednesday + chrono::Duration::minutes(2 * 60 + 30));
        let clerk = app.log_in(CLERK).await;
        let queue = app.get(&clerk, "/window").await;
        assert_eq!(queue.status, StatusCode::OK);
        let row = |number: &str| {
            let at = queue.body.find(number).expect("the case's row");
            let end = queue.body[at..]
                .find("</tr>")
                .map_or(queue.body.len(), |e| at + e);
            queue.body[at..end].to_string()
        };
        let (old_row, new_row) = (row(&old.number), row(&new.number));
        assert!(old_row.contains(">2 个工作日<"), "{old_row}");
        assert!(new_row.contains(">2 小时<"), "{new_row}");
        for r in [&old_row, &new_row] {
            assert!(!r.contains("分钟") && !r.contains(" 天<"), "{r}");
        }
        // A moment after it came in: not "0 分钟".
        let newest = app.file(&clerk, "county-hall", FILING, &["M01"]).await;
        let queue = app.get(&clerk, "/window").await;
        let at = queue.body.find(&newest.number).expect("the newest row");
        assert!(queue.body[at..].contains(">不到 1 小时<"), "{}", queue.body);
    }

    #[tokio::test]
    async fn a_case_with_two_visits_shows_them_and_never_claims_at_most_once() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let case = app.file(&clerk, "county-hall", FOOD, &["M01"]).await;
        let path = format!("/window/cases/{}", case.number);
        let visits = |page: &str| {
            let at = page.find(r#"id="case-visits""#).expect("the visits");
            let end = page[at..].find("</dd>").map_or(page.len(), |e| at + e);
            page[at..end].to_string()
        };
        // Filed, no visit yet: the visits so far, no claim.
        let page = app.get(&clerk, &path).await;
        let line = visits(&page.body);
        assert!(line.contains("已到场 0 次"), "{line}");
        assert!(!line.contains("最多跑一次"), "{line}");

        app.run(
            &clerk,
            &case.id,
            CaseCommand::RecordVisit {
                purpose: "提交申请材料".into(),
                extra_visit_reason: None,
                ticket: Some("t-1".into()),
                exception: None,
            },
        )
        .await;
        let line = visits(&app.get(&clerk, &path).await.body);
        assert!(line.contains("已到场 1 次"), "{line}");
        assert!(!line.contains("最多跑一次"), "one visit, not done: {line}");

        app.run(
            &clerk,
            &case.id,
            CaseCommand::RecordVisit {
                purpose: "核验原件".into(),
                extra_visit_reason: Some("原件须当面核验".into()),
                ticket: None,
                exception: Some(onewindow_domain::case::VisitException::HomeVisit),
            },
        )
        .await;
        let page = app.get(&clerk, &path).await;
        let line = visits(&page.body);
        assert!(line.contains("已到场 2 次"), "{line}");
        assert!(line.contains(zh("window-more-than-once")), "{line}");
        assert!(!page.body.contains("已实现"), "{}", page.body);
    }

    #[tokio::test]
    async fn the_applicant_sees_the_visits_so_far_and_no_claim_while_the_case_runs() {
        use onewindow_domain::case::{Applicant, ApplicantKind, Channel};
        let site = crate::pages::testing::site().await;
        let actor = |name: &'static str, password: &'static str| {
            let service = site.service.clone();
            async move {
                let grant = service.login(name, password, "test").await.expect("login");
                service
                    .authenticate(&grant.token, "test")
                    .await
                    .expect("session")
                    .actor
            }
        };
        let citizen = actor("citizen", "shimin-2026").await;
        let clerk = actor("clerk", "chuangkou-2026").await;
        let item = onewindow_store::catalogue::all_items(site.service.store().readers())
            .await
            .expect("items")
            .into_iter()
            .find(|p| p.item.promised_days == 5 && p.item.department == "SCJGJ")
            .expect("a 5-day item");
        let filed = site
            .service
            .submit_case(
                &citizen,
                onewindow_app::service::SubmitCase {
                    item_code: item.item.code.clone(),
                    applicant: Applicant {
                        kind: ApplicantKind::Person,
                        name: "林晓梅".into(),
                        id_number: citizen.principal.identity.clone().expect("identity"),
                        phone: None,
                    },
                    channel: Channel::Online,
                    centre: "county-hall".into(),
                    materials: vec!["M01".into()],
                    commitments: Vec::new(),
                },
                None,
            )
            .await
            .expect("filed");
        let mut version = filed.case.version;
        for (purpose, reason) in [("提交申请材料", None), ("核验原件", Some("原件须当面核验"))]
        {
            version = site
                .service
                .execute(
                    &clerk,
                    &filed.case.number,
                    version,
                    CaseCommand::RecordVisit {
                        purpose: purpose.into(),
                        extra_visit_reason: reason.map(str::to_string),
                        ticket: Some(format!("t-{purpose}")),
                        exception: None,
                    },
                )
                .await
                .expect("a visit")
                .version;
        }
        let visitor = site.login("citizen", "shimin-2026").await;
        let page = site
            .get(&visitor, &format!("/my/cases/{}", filed.case.id))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let at = page.body.find(r#"id="case-visits""#).expect("the visits");
        let line = &page.body[at..at + page.body[at..].find("</dd>").expect("the end")];
        assert!(line.contains("已到现场 2 次"), "{line}");
        assert!(!page.body.contains("已实现"), "{}", page.body);
        assert!(!line.contains("最多跑一次"), "{line}");
    }

    #[tokio::test]
    async fn a_notice_that_leaves_a_missing_material_unticked_is_refused_and_says_so() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let case = app.file(&clerk, "county-hall", FOOD, &["M01"]).await;
        let path = format!("/window/cases/{}", case.number);

        let page = app.get(&clerk, &path).await;
        // Every material is offered, the missing ones ticked already.
        assert!(page.body.contains(r#"name="missing" value="M02" checked"#));
        assert!(page.body.contains(r#"name="missing" value="M03" checked"#));
        assert!(page.body.contains(r#"name="missing" value="M01">"#));

        let refused = app
            .post(
                &clerk,
                &format!("{path}/request-supplement"),
                &[
                    ("csrf_token", &clerk.csrf),
                    ("version", "1"),
                    ("missing", "M02"),
                    ("note", "请补交"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains(zh("window-field-error-missing")));
        // The reason names the material, not its key.
        assert!(
            refused.body.contains("还缺：食品安全管理制度。"),
            "{}",
            refused.body
        );
        assert!(!refused.body.contains("还缺：M03"));
        assert!(refused.body.contains(zh("window-notice-unticked")));
        // What the clerk sent is shown again.
        assert!(refused.body.contains(r#"value="M03" aria-invalid="true""#));
        assert!(refused.body.contains("请补交"));
        assert_eq!(app.case(&clerk, &case.id).await.status, Status::Submitted);

        let sent = app
            .post(
                &clerk,
                &format!("{path}/request-supplement"),
                &[
                    ("csrf_token", &clerk.csrf),
                    ("version", "1"),
                    ("missing", "M02"),
                    ("missing", "M03"),
                    ("note", "可网上上传"),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        assert_eq!(sent.location(), format!("{path}/notice"));
        let notice = app.get(&clerk, &format!("{path}/notice")).await;
        assert!(notice.body.contains("经营场所平面图"));
        assert!(notice.body.contains("食品安全管理制度"));
        assert!(!notice.body.contains("食品经营许可申请书"));
        assert!(notice.body.contains("data-print"));
        assert!(notice.body.contains("可网上上传"));
        assert_eq!(
            app.case(&clerk, &case.id).await.status,
            Status::SupplementRequested
        );
    }

    #[tokio::test]
    async fn accepting_through_the_form_moves_the_case_and_the_receipt_has_its_number_and_a_qr_code()
     {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let case = app
            .file(&clerk, "county-hall", FOOD, &["M01", "M02", "M03"])
            .await;
        let path = format!("/window/cases/{}", case.number);

        let page = app.get(&clerk, &path).await;
        assert!(page.body.contains(r#"data-key="a""#));
        assert!(page.body.contains("<kbd>A</kbd>"));
        // The accept button comes first among the actions.
        let accept = page
            .body
            .find(&format!("{path}/accept"))
            .expect("accept form");
        for other in [
            "start-pre-review",
            "request-supplement",
            "reject",
            "record-visit",
        ] {
            let at = page
                .body
                .find(&format!("{path}/{other}"))
                .unwrap_or_else(|| panic!("{other} form"));
            assert!(accept < at, "{other} before accept");
        }

        let done = app
            .post(
                &clerk,
                &format!("{path}/accept"),
                &[("csrf_token", &clerk.csrf), ("version", "1")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        assert_eq!(done.location(), format!("{path}/receipt"));
        let accepted = app.case(&clerk, &case.id).await;
        assert_eq!(accepted.status, Status::Accepted);
        assert_eq!(accepted.accepted_by.as_deref(), Some(CLERK));

        let receipt = app.get(&clerk, &format!("{path}/receipt")).await;
        assert_eq!(receipt.status, StatusCode::OK);
        assert!(receipt.body.contains(&case.number));
        assert!(receipt.body.contains("<svg"), "an inline QR code");
        assert!(receipt.body.contains("<path fill=\"#000\" d=\"M"));
        assert!(receipt.body.contains(&format!(
            "http://onewindow.test/lookup?number={}",
            case.number
        )));
        // Promised date: 5 working days after Monday 2 November 2026.
        assert!(receipt.body.contains("2026年11月9日"), "{}", receipt.body);
        assert!(receipt.body.contains("食品安全管理制度"));
        assert!(!receipt.body.contains("<?xml"));
    }

    /// The printed document of a page: its `<article>`.
    fn article(body: &str) -> &str {
        let start = body.find("<article").expect("an article");
        let end = body.find("</article>").expect("its end");
        &body[start..end]
    }

    /// The county hall's comprehensive window 03, and a window of another centre.
    async fn windows(app: &TestApp) {
        let admin = onewindow_app::accounts::Actor::command_line("test");
        app.service
            .save_centre(
                &admin,
                onewindow_store::hall::Centre {
                    code: "county-hall".into(),
                    name: "宁海县行政服务中心".into(),
                    name_en: String::new(),
                    address: String::new(),
                    phone: "0574-65561234".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("the centre");
        for (centre, code, name) in [
            ("township-yuelong", "01", "便民窗口 01"),
            ("county-hall", "03", "综合受理窗口 03"),
        ] {
            app.service
                .save_window(
                    &admin,
                    onewindow_app::admin::Window {
                        centre: centre.into(),
                        code: code.into(),
                        name: name.into(),
                        departments: Vec::new(),
                        ..Default::default()
                    },
                )
                .await
                .expect("a window");
        }
    }

    #[tokio::test]
    async fn a_reprinted_receipt_is_the_first_print_and_names_the_window_the_clerk_and_the_phone() {
        let app = app().await;
        windows(&app).await;
        let clerk = app.log_in(CLERK).await;
        let approver = app.log_in(APPROVER).await;
        let reviewer = app.log_in(REVIEWER).await;
        let case = app.file(&clerk, "county-hall", FILING, &["M01"]).await;
        let path = format!("/window/cases/{}/receipt", case.number);
        app.run(&clerk, &case.id, CaseCommand::Accept).await;
        let first = app.get(&clerk, &path).await;
        assert_eq!(first.status, StatusCode::OK);
        let printed = article(&first.body);
        // After acceptance the number is the acceptance number (受理编号).
        assert!(
            printed.contains(zh("window-fact-number-accepted")),
            "{printed}"
        );
        assert!(!printed.contains(zh("window-fact-number")), "{printed}");
        // Promised: 1 working day after Monday 2 November 2026.
        assert!(
            printed.contains("id=\"receipt-due\"><strong>2026年11月3日</strong>"),
            "{printed}"
        );
        assert!(
            printed.contains("宁海县行政服务中心 · 综合受理窗口 03"),
            "{printed}"
        );
        assert!(
            printed.contains("id=\"receipt-clerk\">clerk 同志<"),
            "{printed}"
        );
        assert!(
            printed.contains("id=\"receipt-phone\">0574-65561234<"),
            "{printed}"
        );
        assert!(
            printed.contains(zh("window-receipt-seal")),
            "room for the seal"
        );
        assert!(!printed.contains("便民窗口"), "another centre's window");

        // Decided, handed over and closed days later: the reprint is the same receipt.
        app.at(day(2026, 11, 12));
        // The session of 2 November has expired by the 12th: the clerk signs in again.
        let clerk = app.log_in(CLERK).await;
        app.run(
            &reviewer,
            &case.id,
            CaseCommand::Propose {
                approve: true,
                opinion: "拟同意".into(),
            },
        )
        .await;
        app.run(
            &approver,
            &case.id,
            CaseCommand::Decide {
                approve: true,
                reason: String::new(),
            },
        )
        .await;
        app.run(
            &reviewer,
            &case.id,
            CaseCommand::IssueResult {
                document_number: None,
            },
        )
        .await;
        let version = app.case(&clerk, &case.id).await.version.to_string();
        let handed = app
            .post(
                &clerk,
                &format!("/window/cases/{}/deliver", case.number),
                &[
                    ("csrf_token", &clerk.csrf),
                    ("version", &version),
                    ("collector_role", "authorised"),
                    ("collector_name", "张建国"),
                    ("collector_id", "330226198806150022"),
                    ("authorisation", "授权委托书"),
                ],
            )
            .await;
        assert_eq!(handed.status, StatusCode::SEE_OTHER);
        assert_eq!(app.case(&clerk, &case.id).await.status, Status::Delivered);
        let again = app.get(&clerk, &path).await;
        assert_eq!(article(&again.body), printed);
    }

    #[tokio::test]
    async fn the_one_time_notice_names_its_deadline_window_clerk_and_phone_with_room_for_the_seal()
    {
        let app = app().await;
        windows(&app).await;
        let clerk = app.log_in(CLERK).await;
        let case = app.file(&clerk, "county-hall", FOOD, &["M01"]).await;
        app.run(
            &clerk,
            &case.id,
            CaseCommand::RequestSupplement {
                missing: vec!["M02".into(), "M03".into()],
                note: String::new(),
            },
        )
        .await;
        let notice = app
            .get(&clerk, &format!("/window/cases/{}/notice", case.number))
            .await;
        let printed = article(&notice.body);
        // Before acceptance the number is the receipt number (收件编号).
        assert!(printed.contains(zh("window-fact-number")), "{printed}");
        // 20 working days after Monday 2 November 2026.
        assert!(
            printed.contains("请于 2026年11月30日 前补齐上述全部材料"),
            "{printed}"
        );
        assert!(
            printed.contains("宁海县行政服务中心 · 综合受理窗口 03"),
            "{printed}"
        );
        assert!(
            printed.contains("id=\"notice-clerk\">clerk 同志<"),
            "{printed}"
        );
        assert!(
            printed.contains("id=\"notice-phone\">0574-65561234<"),
            "{printed}"
        );
        assert!(
            printed.contains(zh("window-receipt-seal")),
            "room for the seal"
        );
    }

    #[tokio::test]
    async fn a_form_without_the_csrf_token_is_refused_and_changes_nothing() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let case = app
            .file(&clerk, "county-hall", FOOD, &["M01", "M02", "M03"])
            .await;
        let path = format!("/window/cases/{}/accept", case.number);
        let none = app.post(&clerk, &path, &[("version", "1")]).await;
        assert_eq!(none.status, StatusCode::FORBIDDEN);
        let wrong = app
            .post(&clerk, &path, &[("csrf_token", "0000"), ("version", "1")])
            .await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        assert!(wrong.body.contains(zh("common-error-csrf")));
        assert_eq!(app.case(&clerk, &case.id).await.status, Status::Submitted);
    }

    #[tokio::test]
    async fn a_stale_form_says_someone_else_changed_the_case_and_shows_it_afresh() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let case = app
            .file(&clerk, "county-hall", FOOD, &["M01", "M02", "M03"])
            .await;
        app.run(&clerk, &case.id, CaseCommand::StartPreReview).await;
        let page = app
            .post(
                &clerk,
                &format!("/window/cases/{}/accept", case.number),
                &[("csrf_token", &clerk.csrf), ("version", "1")],
            )
            .await;
        assert_eq!(page.status, StatusCode::CONFLICT);
        assert!(page.body.contains(zh("window-version-conflict")));
        assert!(page.body.contains(r#"name="version" value="2""#));
        assert!(page.body.contains(zh("window-status-pre_review")));
        assert_eq!(app.case(&clerk, &case.id).await.status, Status::PreReview);
    }

    #[tokio::test]
    async fn visits_after_the_first_need_a_reason_and_a_result_is_handed_over_and_closed() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let approver = app.log_in(APPROVER).await;
        let reviewer = app.log_in(REVIEWER).await;
        let case = app.file(&clerk, "county-hall", FILING, &["M01"]).await;
        let path = format!("/window/cases/{}", case.number);
        let visit = |version: &'static str, reason: &'static str| {
            vec![
                ("csrf_token", clerk.csrf.clone()),
                ("version", version.to_string()),
                ("purpose", "提交申请材料".to_string()),
                ("extra_visit_reason", reason.to_string()),
                ("exception", "home_visit".to_string()),
            ]
        };
        let send = |fields: Vec<(&'static str, String)>| {
            let path = format!("{path}/record-visit");
            let app = &app;
            let clerk = &clerk;
            async move {
                let borrowed: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.post(clerk, &path, &borrowed).await
            }
        };
        assert_eq!(send(visit("1", "")).await.status, StatusCode::SEE_OTHER);
        let page = app.get(&clerk, &path).await;
        assert!(page.body.contains(r#"name="extra_visit_reason""#));
        let refused = send(visit("2", "")).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .body
                .contains(zh("window-field-error-extra_visit_reason"))
        );
        assert!(refused.body.contains(" open>"), "the refused form is open");
        assert_eq!(
            send(visit("2", "原件未带")).await.status,
            StatusCode::SEE_OTHER
        );

        app.run(&clerk, &case.id, CaseCommand::Accept).await;
        app.run(
            &reviewer,
            &case.id,
            CaseCommand::Propose {
                approve: true,
                opinion: "拟同意".into(),
            },
        )
        .await;
        app.run(
            &approver,
            &case.id,
            CaseCommand::Decide {
                approve: true,
                reason: String::new(),
            },
        )
        .await;
        app.run(
            &reviewer,
            &case.id,
            CaseCommand::IssueResult {
                document_number: None,
            },
        )
        .await;
        let queue = app.get(&clerk, "/window?status=result_issued").await;
        assert!(queue.body.contains(&case.number));
        let version = app.case(&clerk, &case.id).await.version.to_string();
        // Nobody named: the form asks who takes it, and nothing is handed over.
        let unnamed = app
            .post(
                &clerk,
                &format!("{path}/deliver"),
                &[("csrf_token", &clerk.csrf), ("version", &version)],
            )
            .await;
        assert_eq!(unnamed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            unnamed.body.contains("请填写领取人姓名"),
            "{}",
            unnamed.body
        );
        assert_eq!(
            app.case(&clerk, &case.id).await.status,
            Status::ResultIssued
        );
        // Someone else's card without the authorisation is refused.
        let stranger = app
            .post(
                &clerk,
                &format!("{path}/deliver"),
                &[
                    ("csrf_token", &clerk.csrf),
                    ("version", &version),
                    ("collector_role", "holder"),
                    ("collector_name", "张建国"),
                    ("collector_id", "330226198806150022"),
                ],
            )
            .await;
        assert_eq!(stranger.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            stranger.body.contains("证件与申请人不符"),
            "{}",
            stranger.body
        );
        let handed = app
            .post(
                &clerk,
                &format!("{path}/deliver"),
                &[
                    ("csrf_token", &clerk.csrf),
                    ("version", &version),
                    ("collector_role", "authorised"),
                    ("collector_name", "张建国"),
                    ("collector_id", "330226198806150022"),
                    ("authorisation", "授权委托书 2026-11-02"),
                ],
            )
            .await;
        assert_eq!(handed.status, StatusCode::SEE_OTHER);
        assert_eq!(app.case(&clerk, &case.id).await.status, Status::Delivered);
        let version = app.case(&clerk, &case.id).await.version.to_string();
        let closed = app
            .post(
                &clerk,
                &format!("{path}/close"),
                &[("csrf_token", &clerk.csrf), ("version", &version)],
            )
            .await;
        assert_eq!(closed.status, StatusCode::SEE_OTHER);
        assert_eq!(app.case(&clerk, &case.id).await.status, Status::Closed);
        let page = app.get(&clerk, closed.location()).await;
        assert!(page.body.contains(zh("window-no-actions")));
    }

    #[tokio::test]
    async fn handed_in_files_are_streamed_to_those_who_may_read_the_case() {
        let app = app().await;
        let clerk = app.log_in(CLERK).await;
        let township = app.log_in(TOWNSHIP_CLERK).await;
        let png: Vec<u8> = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3].to_vec();
        let submitted = app
            .service
            .submit_case_with_files(
                &clerk.actor,
                onewindow_app::service::SubmitCase {
                    item_code: FILING.into(),
                    applicant: onewindow_domain::case::Applicant {
                        kind: onewindow_domain::case::ApplicantKind::Person,
                        name: "王芳".into(),
                        id_number: "11010519491231002X".into(),
                        phone: None,
                    },
                    channel: onewindow_domain::case::Channel::Window,
                    centre: "county-hall".into(),
                    materials: Vec::new(),
                    commitments: Vec::new(),
                },
                None,
                vec![onewindow_app::files::Upload {
                    material_key: "M01".into(),
                    file_name: "登记表.png".into(),
                    bytes: png.clone(),
                }],
            )
            .await
            .expect("filed with a file");
        let page = app
            .get(&clerk, &format!("/window/cases/{}", submitted.case.number))
            .await;
        let at = page.body.find("/window/files/").expect("a file link");
        let href: String = page.body[at..].chars().take_while(|c| *c != '"').collect();
        let file = app.get(&clerk, &href).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.headers["content-type"], "image/png");
        assert_eq!(file.headers["cache-control"], "private, no-store");
        assert_eq!(file.bytes, png);
        assert_eq!(
            app.get(&township, &href).await.status,
            StatusCode::NOT_FOUND
        );
        // The department reads the same file from its desk, shown inline.
        let reviewer = app.log_in(REVIEWER).await;
        let desk = app
            .get(&reviewer, &format!("/desk/cases/{}", submitted.case.number))
            .await;
        let desk_href = href.replace("/window/", "/desk/");
        assert!(desk.body.contains(&format!(r#"<img src="{desk_href}""#)));
        assert_eq!(app.get(&reviewer, &desk_href).await.bytes, png);
        assert_eq!(
            app.get(&reviewer, &href).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(&clerk, &desk_href).await.status,
            StatusCode::FORBIDDEN
        );
    }
}
