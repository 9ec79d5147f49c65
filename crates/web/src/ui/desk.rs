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
use onewindow_domain::case::{Action, CaseCommand, Status};
use onewindow_domain::clock::SuspensionKind;
use serde::Deserialize;

use crate::ui::case_view::{
    self, CaseView, FormErrors, FormFields, HistoryRow, Light, MaterialNames, MaterialRow,
    PageNotice,
};
use crate::ui::{Chrome, PageCtx, encode_query_value, render, see_other};

/// Where handed-in files are read from these pages.
const FILES: &str = "/desk/files";

const STAFF: [Role; 2] = [Role::Reviewer, Role::Approver];

/// The actions a desk page offers forms for.
const DESK_ACTIONS: [Action; 7] = [
    Action::StartReview,
    Action::RequestSupplement,
    Action::Suspend,
    Action::Resume,
    Action::Extend,
    Action::Decide,
    Action::IssueResult,
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
    item_name: String,
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
}

async fn tasks(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(params): Query<TaskParams>,
) -> Response {
    let session = match ctx.require_role(&STAFF) {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let t = ctx.chrome.t;
    let overdue_only = params.overdue.as_deref().is_some_and(|v| v == "1");
    let query = DeskQuery {
        overdue_only,
        cursor: params.cursor.clone().filter(|c| !c.is_empty()),
        limit: Some(50),
    };
    let found = match service.desk_tasks(&session.actor, query).await {
        Ok(found) => found,
        Err(e) => return ctx.app_error(e),
    };
    let rows = found
        .page
        .items
        .iter()
        .map(|task| {
            let case = &task.case;
            let light = Light::of(
                case.status,
                task.working_days_left,
                case.clock.as_ref().map(|c| c.total_limit()),
            );
            TaskRow {
                number: case.number.clone(),
                item_name: case.item_name.clone(),
                applicant_name: case.applicant.name.clone(),
                status_label: t.get(case_view::status_key(case.status)).to_string(),
                accepted_on: t.date_or_dash(&case.accepted_on),
                due_on: t.date_or_dash(&task.due_on),
                days: case_view::days_left_text(t, case.status, task.working_days_left),
                light_class: light.map_or("", Light::class),
                light_label: light.map_or_else(String::new, |l| t.get(l.label_key()).to_string()),
            }
        })
        .collect();
    let base = if overdue_only {
        "/desk?overdue=1&"
    } else {
        "/desk?"
    };
    render(&TasksPage {
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
    })
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
    decide: bool,
    issue_result: bool,
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
            decide: has(Action::Decide),
            issue_result: has(Action::IssueResult),
        }
    }

    fn any(&self) -> bool {
        self.start_review
            || self.request_supplement
            || self.suspend
            || self.resume
            || self.extend
            || self.decide
            || self.issue_result
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
) -> Response {
    if let Err(refused) = ctx.require_role(&STAFF) {
        return refused;
    }
    let t = ctx.chrome.t;
    let notice = params
        .done
        .as_deref()
        .and_then(case_view::parse_action)
        .map(|a| PageNotice::ok(t.fill1("window-done", "action", t.get(case_view::action_key(a)))));
    show_case(
        &service,
        &ctx,
        &id,
        StatusCode::OK,
        notice,
        FormErrors::default(),
        FormFields::default(),
    )
    .await
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
    match case_page_data(service, ctx, id, notice, errors, input).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(e) => ctx.app_error(e),
    }
}

async fn case_page_data(
    service: &Service,
    ctx: &PageCtx,
    id: &str,
    notice: Option<PageNotice>,
    errors: FormErrors,
    input: FormFields,
) -> Result<CasePage, AppError> {
    let session = ctx
        .session
        .as_ref()
        .ok_or_else(|| AppError::Unauthenticated("log in".into()))?;
    let t = ctx.chrome.t;
    let detail = service.case(&session.actor, id).await?;
    let case = &detail.case;
    let item = service.item(&case.item_code).await.ok();
    let files = service.case_files(&session.actor, &case.id).await?;
    let departments = service.departments().await.unwrap_or_default();
    let names = MaterialNames::of(item.as_ref());
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
    let open_suspension = case
        .clock
        .as_ref()
        .and_then(|c| c.suspensions.last())
        .filter(|s| s.until.is_none() && case.status == Status::Suspended);
    Ok(CasePage {
        chrome: ctx.chrome.clone(),
        case: CaseView::new(&detail, t, &departments),
        materials: case_view::material_rows(t, case, item.as_ref(), &files, FILES),
        history: case_view::history_rows(t, &detail, &names),
        can: Can::from(&detail.allowed_actions),
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
    })
}

/// One form of the case page, sent.
async fn act(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let session = match ctx.require_role(&STAFF) {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let form = FormFields(pairs);
    if let Err(refused) = ctx.check_csrf(form.value("csrf_token")) {
        return refused;
    }
    let Some(action) = case_view::parse_action(&action).filter(|a| DESK_ACTIONS.contains(a)) else {
        return ctx.error(StatusCode::NOT_FOUND, "common-error-not-found");
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
    match result {
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
    }
}

/// The command a desk form asks for; fields the page itself cannot read are refused here.
fn command(action: Action, form: &FormFields) -> Result<CaseCommand, AppError> {
    Ok(match action {
        Action::StartReview => CaseCommand::StartReview,
        Action::RequestSupplement => CaseCommand::RequestSupplement {
            missing: form.all("missing"),
            note: form.value("note").trim().to_string(),
        },
        Action::Suspend => {
            let kind = SUSPEND_KINDS
                .into_iter()
                .find(|k| case_view::suspension_name(*k) == form.value("kind"))
                .ok_or_else(|| AppError::invalid("kind", "choose why the clock stops"))?;
            CaseCommand::Suspend {
                kind,
                reason: form.value("reason").trim().to_string(),
            }
        }
        Action::Resume => CaseCommand::Resume,
        Action::Extend => {
            CaseCommand::Extend {
                working_days: form.value("working_days").trim().parse().map_err(|_| {
                    AppError::invalid("working_days", "a whole number of working days")
                })?,
                reason: form.value("reason").trim().to_string(),
            }
        }
        Action::Decide => CaseCommand::Decide {
            approve: match form.value("approve") {
                "true" => true,
                "false" => false,
                _ => return Err(AppError::invalid("approve", "approve or deny")),
            },
            reason: form.value("reason").trim().to_string(),
        },
        // Only the desk's actions reach here (`DESK_ACTIONS`).
        _ => CaseCommand::IssueResult {
            document_number: form.text("document_number"),
        },
    })
}

// ---- files ------------------------------------------------------------------------------------

async fn file(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(file_id): Path<String>,
) -> Response {
    if let Err(refused) = ctx.require_role(&STAFF) {
        return refused;
    }
    case_view::file_response(&service, &ctx, &file_id).await
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use onewindow_domain::case::{CaseCommand, Status};
    use onewindow_domain::clock::SuspensionKind;

    use crate::i18n::Lang;
    use crate::ui::case_view::testing::*;

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

        let page = app.get(&approver, &path).await;
        assert!(page.body.contains(&format!("{path}/decide")));
        assert!(page.body.contains("data-confirm"));
        let version = app.case(&approver, &case.id).await.version.to_string();
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
                    ("reason", "符合法定条件"),
                ],
            )
            .await;
        assert_eq!(decided.status, StatusCode::SEE_OTHER);
        assert_eq!(decided.location(), format!("{path}?done=decide"));
        let case_now = app.case(&approver, &case.id).await;
        assert_eq!(case_now.status, Status::Approved);
        assert_eq!(
            case_now.decision.map(|d| d.decided_by),
            Some(APPROVER.to_string())
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
