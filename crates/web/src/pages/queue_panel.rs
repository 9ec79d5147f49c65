//! Page: the window's queue panel (叫号面板), for the clerk at a window of the hall. Call the
//! next ticket the window serves; recall it, transfer it to another business, mark it a no-show;
//! file a walk-in applicant's case on it (窗口收件, the apply form as the clerk); and serve it,
//! which records the visit on each case served — the at-most-once figure comes from here.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use onewindow_app::accounts::Authenticated;
use onewindow_app::queue::{ServeTicket, ServedCase, Ticket};
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::hall::TicketState;
use onewindow_domain::validation::FieldError;
use serde::Deserialize;

use crate::i18n::Messages;
use crate::pages::case_view::PageNotice;
use crate::pages::hall::{BusinessChoice, business_choices, business_label};
use crate::pages::page_error::{OrPage, PageResult};
use crate::pages::{Chrome, PageCtx, encode_query_value, render, see_other};

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/window/queue", get(panel))
        .route("/window/queue/call", post(call))
        .route("/window/queue/walk-in", get(walk_in))
        .route("/window/queue/tickets/{id}/{action}", post(act))
}

#[derive(Debug, Deserialize, Default)]
struct PanelQuery {
    #[serde(default)]
    centre: String,
    #[serde(default)]
    window: String,
    /// What was just done: called, empty, recalled, transferred, no-show, served.
    done: Option<String>,
    /// The number just called.
    number: Option<String>,
    /// A case just filed at the window for the held ticket: the serve form names it.
    case: Option<String>,
    ticket: Option<String>,
}

/// A window of the clerk's centre, as the picker offers it.
struct WindowChoice {
    code: String,
    name: String,
    chosen: bool,
}

/// A ticket the window holds now.
struct HeldRow {
    id: String,
    number: String,
    business: String,
    source: String,
    called_at: String,
    calls: u32,
    id_number: String,
}

/// A ticket of the centre today.
struct TodayRow {
    number: String,
    business: String,
    state: String,
    window: String,
    issued_at: String,
}

/// The serve form as filled in.
#[derive(Debug, Clone, Default)]
struct ServeInput {
    id_number: String,
    name: String,
    cases: String,
    extra_visit_reason: String,
}

#[derive(Template)]
#[template(path = "window/queue_panel.html")]
struct PanelPage {
    chrome: Chrome,
    centre: String,
    centre_name: String,
    windows: Vec<WindowChoice>,
    window: String,
    held: Vec<HeldRow>,
    today: Vec<TodayRow>,
    waiting: usize,
    businesses: Vec<BusinessChoice>,
    notice: Option<PageNotice>,
    /// The ticket whose form was refused, and the messages of its fields.
    failed_ticket: String,
    errors: Vec<(String, String)>,
    serve: ServeInput,
}

impl PanelPage {
    fn error_of(&self, ticket: &str, field: &str) -> Option<&str> {
        if ticket != self.failed_ticket {
            return None;
        }
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn other_errors(&self, ticket: &str) -> Vec<&str> {
        if ticket != self.failed_ticket {
            return Vec::new();
        }
        self.errors
            .iter()
            .filter(|(f, _)| !["id_number", "cases", "extra_visit_reason"].contains(&f.as_str()))
            .map(|(_, m)| m.as_str())
            .collect()
    }
}

/// The centres the clerk works at, in the order of their posts.
fn own_centres(session: &Authenticated) -> Vec<String> {
    session
        .actor
        .principal
        .posts
        .iter()
        .filter(|p| p.role == Role::Clerk)
        .filter_map(|p| p.centre.clone())
        .collect()
}

/// The centre the panel is for: the one asked for when the clerk works there, else the first.
fn chosen_centre(session: &Authenticated, asked: &str) -> Option<String> {
    let own = own_centres(session);
    own.iter()
        .find(|c| *c == asked)
        .or_else(|| own.first())
        .cloned()
}

fn panel_href(centre: &str, window: &str) -> String {
    format!(
        "/window/queue?centre={}&window={}",
        encode_query_value(centre),
        encode_query_value(window)
    )
}

async fn draw(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    centre: &str,
    window: &str,
) -> Result<PanelPage, crate::pages::page_error::PageError> {
    let t = ctx.chrome.t;
    let Some(centre) = chosen_centre(session, centre) else {
        return Err(ctx
            .error(StatusCode::FORBIDDEN, "queue-error-no-centre")
            .into());
    };
    let centre_name = service
        .centre(&centre)
        .await
        .or_page(ctx)?
        .map_or_else(|| centre.clone(), |c| c.name);
    let windows: Vec<WindowChoice> = service
        .windows()
        .await
        .or_page(ctx)?
        .into_iter()
        .filter(|w| w.centre == centre)
        .map(|w| WindowChoice {
            chosen: w.code == window,
            code: w.code,
            name: w.name,
        })
        .collect();
    let window = windows
        .iter()
        .find(|w| w.chosen)
        .map(|w| w.code.clone())
        .unwrap_or_default();
    let departments = service.departments().await.or_page(ctx)?;
    let held = if window.is_empty() {
        Vec::new()
    } else {
        service
            .held_tickets(&session.actor, &centre, &window)
            .await
            .or_page(ctx)?
    };
    let held = held
        .into_iter()
        .map(|ticket| HeldRow {
            business: business_label(t, &departments, &ticket.business),
            source: t
                .get(&format!("queue-source-{}", ticket.source.as_str()))
                .to_string(),
            called_at: ticket.called_at.map(|at| t.time(&at)).unwrap_or_default(),
            calls: ticket.calls,
            id_number: ticket.id_number,
            number: ticket.number,
            id: ticket.id,
        })
        .collect();
    let tickets = service.tickets_today(&centre).await.or_page(ctx)?;
    let waiting = tickets
        .iter()
        .filter(|t| t.state == TicketState::Waiting)
        .count();
    let window_names: Vec<(String, String)> = windows
        .iter()
        .map(|w| (w.code.clone(), w.name.clone()))
        .collect();
    let today = tickets
        .into_iter()
        .rev()
        .take(100)
        .map(|ticket| today_row(t, &departments, &window_names, ticket))
        .collect();
    let businesses = business_choices(service, t, &centre, "")
        .await
        .or_page(ctx)?;
    Ok(PanelPage {
        chrome: ctx.chrome.clone(),
        centre,
        centre_name,
        windows,
        window,
        held,
        today,
        waiting,
        businesses,
        notice: None,
        failed_ticket: String::new(),
        errors: Vec::new(),
        serve: ServeInput::default(),
    })
}

fn today_row(
    t: &Messages,
    departments: &[onewindow_domain::catalogue::Department],
    window_names: &[(String, String)],
    ticket: Ticket,
) -> TodayRow {
    TodayRow {
        business: business_label(t, departments, &ticket.business),
        state: t
            .get(&format!("queue-state-{}", ticket.state.as_str()))
            .to_string(),
        window: window_names
            .iter()
            .find(|(code, _)| *code == ticket.window)
            .map_or_else(|| ticket.window.clone(), |(_, name)| name.clone()),
        issued_at: t.time(&ticket.issued_at),
        number: ticket.number,
    }
}

async fn panel(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(q): Query<PanelQuery>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    let t = ctx.chrome.t;
    let mut page = draw(&service, &ctx, session, &q.centre, &q.window).await?;
    let number = q.number.clone().unwrap_or_default();
    page.notice = match q.done.as_deref() {
        Some("called") => Some(PageNotice::ok(t.fill1(
            "queue-done-called",
            "number",
            number,
        ))),
        Some("empty") => Some(PageNotice::warn(t.get("queue-done-empty"))),
        Some("recalled") => Some(PageNotice::ok(t.fill1(
            "queue-done-recalled",
            "number",
            number,
        ))),
        Some("transferred") => Some(PageNotice::ok(t.fill1(
            "queue-done-transferred",
            "number",
            number,
        ))),
        Some("no-show") => Some(PageNotice::ok(t.fill1(
            "queue-done-no-show",
            "number",
            number,
        ))),
        Some("served") => Some(PageNotice::ok(t.fill1(
            "queue-done-served",
            "number",
            number,
        ))),
        Some("no-item") => Some(PageNotice::warn(t.get("queue-error-no-item"))),
        _ => None,
    };
    // Back from filing a walk-in case: the serve form of that ticket names the new case.
    if let (Some(case), Some(ticket)) = (q.case.as_deref(), q.ticket.as_deref())
        && let Some(held) = page.held.iter().find(|h| h.id == ticket)
    {
        page.failed_ticket = held.id.clone();
        page.serve.id_number = held.id_number.clone();
        page.serve.cases = case.to_string();
        page.notice = Some(PageNotice::ok(t.fill1("queue-done-filed", "case", case)));
    }
    Ok(render(&page))
}

#[derive(Debug, Deserialize, Default)]
struct PanelForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    centre: String,
    #[serde(default)]
    window: String,
    #[serde(default)]
    business: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    cases: String,
    #[serde(default)]
    extra_visit_reason: String,
}

fn done_href(form: &PanelForm, centre: &str, done: &str, number: &str) -> String {
    format!(
        "{}&done={done}&number={}",
        panel_href(centre, &form.window),
        encode_query_value(number)
    )
}

async fn call(
    State(service): State<Service>,
    ctx: PageCtx,
    Form(form): Form<PanelForm>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    ctx.check_csrf(&form.csrf_token)?;
    let Some(centre) = chosen_centre(session, &form.centre) else {
        return Ok(ctx.error(StatusCode::FORBIDDEN, "queue-error-no-centre"));
    };
    match service
        .call_next(&session.actor, &centre, &form.window)
        .await
    {
        Ok(Some(ticket)) => Ok(see_other(&done_href(
            &form,
            &centre,
            "called",
            &ticket.number,
        ))),
        Ok(None) => Ok(see_other(&done_href(&form, &centre, "empty", ""))),
        Err(e) => refused(&service, &ctx, session, &centre, &form, "", e).await,
    }
}

/// The clerk chose an item for the applicant of a held ticket: the apply form, as the window.
#[derive(Debug, Deserialize, Default)]
struct WalkInQuery {
    #[serde(default)]
    item: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    centre: String,
    #[serde(default)]
    window: String,
}

async fn walk_in(ctx: PageCtx, Query(q): Query<WalkInQuery>) -> PageResult {
    ctx.require_role(&[Role::Clerk])?;
    let item: String = q.item.chars().filter(|c| !c.is_whitespace()).collect();
    if item.is_empty() || !item.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Ok(see_other(&format!(
            "{}&done=no-item",
            panel_href(&q.centre, &q.window)
        )));
    }
    Ok(see_other(&format!(
        "/apply/{}?ticket={}&window={}",
        encode_query_value(&item),
        encode_query_value(&q.ticket),
        encode_query_value(&q.window)
    )))
}

async fn act(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<PanelForm>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Clerk])?;
    ctx.check_csrf(&form.csrf_token)?;
    let Some(centre) = chosen_centre(session, &form.centre) else {
        return Ok(ctx.error(StatusCode::FORBIDDEN, "queue-error-no-centre"));
    };
    let actor = &session.actor;
    let window = form.window.as_str();
    let (done, result) = match action.as_str() {
        "recall" => (
            "recalled",
            service.recall_ticket(actor, &centre, window, &id).await,
        ),
        "no-show" => (
            "no-show",
            service.no_show(actor, &centre, window, &id).await,
        ),
        "transfer" => (
            "transferred",
            service
                .transfer_ticket(actor, &centre, window, &id, &form.business)
                .await,
        ),
        "serve" => {
            let reason = form.extra_visit_reason.trim();
            let serve = ServeTicket {
                id_number: form.id_number.clone(),
                name: form.name.clone(),
                cases: case_numbers(&form.cases)
                    .into_iter()
                    .map(|case| ServedCase {
                        case,
                        extra_visit_reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
                    })
                    .collect(),
            };
            (
                "served",
                service
                    .serve_ticket(actor, &centre, window, &id, serve)
                    .await,
            )
        }
        _ => return Ok(ctx.error(StatusCode::NOT_FOUND, "common-error-not-found")),
    };
    match result {
        Ok(ticket) => Ok(see_other(&done_href(&form, &centre, done, &ticket.number))),
        Err(e) => refused(&service, &ctx, session, &centre, &form, &id, e).await,
    }
}

/// The case numbers typed into the serve form: one per line, or separated by spaces or commas.
fn case_numbers(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The panel again with what the service refused, next to the ticket's form.
async fn refused(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    centre: &str,
    form: &PanelForm,
    ticket: &str,
    error: AppError,
) -> PageResult {
    let t = ctx.chrome.t;
    let (status, notice, errors) = match error {
        AppError::Invalid(fields) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            PageNotice::error(t.get("queue-error-refused")),
            fields
                .iter()
                .map(|f| field_message(t, &case_numbers(&form.cases), f))
                .collect(),
        ),
        AppError::Conflict(_) | AppError::VersionConflict { .. } => (
            StatusCode::CONFLICT,
            PageNotice::warn(t.get("queue-error-not-held")),
            Vec::new(),
        ),
        AppError::NotFound { .. } => (
            StatusCode::NOT_FOUND,
            PageNotice::error(t.get("queue-error-unknown-window")),
            Vec::new(),
        ),
        AppError::Forbidden(_) => (
            StatusCode::FORBIDDEN,
            PageNotice::error(t.get("queue-error-no-centre")),
            Vec::new(),
        ),
        other => return Ok(ctx.app_error(other)),
    };
    let mut page = draw(service, ctx, session, centre, &form.window).await?;
    page.notice = Some(notice);
    page.failed_ticket = ticket.to_string();
    page.errors = errors;
    page.serve = ServeInput {
        id_number: form.id_number.clone(),
        name: form.name.clone(),
        cases: form.cases.clone(),
        extra_visit_reason: form.extra_visit_reason.clone(),
    };
    Ok((status, render(&page)).into_response())
}

/// The field of the serve or transfer form an error of the service belongs to, and what to do,
/// in the reader's language (`cases[1].case` → the cases field, naming the second number).
fn field_message(t: &Messages, cases: &[String], error: &FieldError) -> (String, String) {
    let index = error
        .field
        .strip_prefix("cases[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|i| i.parse::<usize>().ok());
    let case = index
        .and_then(|i| cases.get(i))
        .cloned()
        .unwrap_or_default();
    let field = error.field.rsplit('.').next().unwrap_or_default();
    match (index, field) {
        (Some(_), "extra_visit_reason") => (
            "extra_visit_reason".into(),
            t.fill1("queue-error-extra-visit", "case", case),
        ),
        (Some(_), _) if error.reason.contains("is not this applicant's") => (
            "cases".into(),
            t.fill1("queue-error-case-not-theirs", "case", case),
        ),
        (Some(_), _) => (
            "cases".into(),
            t.fill1("queue-error-case-unknown", "case", case),
        ),
        (None, "id_number") => (
            "id_number".into(),
            t.get("applicant-error-id-invalid").to_string(),
        ),
        (None, "business") => ("business".into(), t.get("queue-error-transfer").to_string()),
        _ => ("other".into(), t.get("queue-error-other").to_string()),
    }
}
