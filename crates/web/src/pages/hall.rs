//! Pages of the hall for the public: the centres (`/hall`), the display board for the hall's
//! screen (`/hall/{centre}/board`, live by server-sent events), the ticket kiosk for the hall's
//! self-service terminal (`/hall/{centre}/kiosk`, no account), a ticket taken on a phone
//! (`/hall/{centre}/take`, signed in), and a ticket followed (`/hall/{centre}/tickets/{id}`).
//! Nothing here shows a name or an identity number: the board and a ticket show numbers and
//! windows only.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::Stream;
use onewindow_app::admin::Centre;
use onewindow_app::appointments::CheckInBy;
use onewindow_app::queue::{Board, TakeTicket, TicketStatus};
use onewindow_app::{AppError, Service};
use onewindow_domain::catalogue::Level;
use onewindow_domain::hall::{TicketSource, TicketState};
use onewindow_domain::validation::FieldError;
use serde::Deserialize;
use tokio::sync::broadcast;

use crate::i18n::Messages;
use crate::pages::page_error::{OrPage, PageError, PageResult};
use crate::pages::{Chrome, PageCtx, encode_query_value, render, see_other};

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/hall", get(index))
        .route("/hall/{centre}/board", get(board_page))
        .route("/hall/{centre}/board/events", get(board_events))
        .route("/hall/{centre}/kiosk", get(kiosk_form).post(kiosk_take))
        .route("/hall/{centre}/kiosk/check-in", post(kiosk_check_in))
        .route("/hall/{centre}/take", get(phone_form).post(phone_take))
        .route("/hall/{centre}/tickets/{id}", get(ticket_page))
}

/// A business a ticket may be taken for, as the form offers it.
pub(crate) struct BusinessChoice {
    pub(crate) code: String,
    pub(crate) label: String,
    pub(crate) chosen: bool,
}

/// The businesses of `centre` with their names: general business first, then the departments.
pub(crate) async fn business_choices(
    service: &Service,
    t: &Messages,
    centre: &str,
    chosen: &str,
) -> Result<Vec<BusinessChoice>, AppError> {
    let departments = service.departments().await?;
    Ok(service
        .ticket_businesses(centre)
        .await?
        .into_iter()
        .map(|code| BusinessChoice {
            label: business_label(t, &departments, &code),
            chosen: code == chosen,
            code,
        })
        .collect())
}

/// "综合业务" for general business, the department's name for its own.
pub(crate) fn business_label(
    t: &Messages,
    departments: &[onewindow_domain::catalogue::Department],
    code: &str,
) -> String {
    if code.is_empty() {
        return t.get("queue-business-general").to_string();
    }
    departments.iter().find(|d| d.code == code).map_or_else(
        || code.to_string(),
        |d| {
            if t.lang() == crate::i18n::Lang::En && !d.name_en.is_empty() {
                d.name_en.clone()
            } else {
                d.name.clone()
            }
        },
    )
}

// ---- the centres ------------------------------------------------------------------------------

struct CentreRow {
    code: String,
    name: String,
    level: String,
    hours: String,
    address: String,
}

#[derive(Template)]
#[template(path = "hall/index.html")]
struct IndexPage {
    chrome: Chrome,
    rows: Vec<CentreRow>,
}

/// The county's and the townships' centres, each with its kiosk, board and phone ticket.
async fn index(State(service): State<Service>, ctx: PageCtx) -> PageResult {
    let t = ctx.chrome.t;
    let centres = service.centres().await.or_page(&ctx)?;
    let rows = centres
        .into_iter()
        .filter(|c| c.level != Level::Village)
        .map(|c| CentreRow {
            level: t
                .get(&format!("hall-level-{}", c.level.as_str()))
                .to_string(),
            hours: format!("{}–{}", c.opens, c.closes),
            code: c.code,
            name: c.name,
            address: c.address,
        })
        .collect();
    Ok(render(&IndexPage {
        chrome: ctx.chrome,
        rows,
    }))
}

async fn found_centre(service: &Service, ctx: &PageCtx, code: &str) -> Result<Centre, PageError> {
    match service.centre(code).await {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(ctx
            .error(StatusCode::NOT_FOUND, "common-error-not-found")
            .into()),
        Err(e) => Err(ctx.app_error(e).into()),
    }
}

// ---- the display board ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "hall/board.html")]
struct BoardPage {
    chrome: Chrome,
    board: Board,
    events: String,
}

/// The hall's screen: the latest calls, newest first and largest, and how many wait. The page
/// follows `/board/events`; without scripts it reloads itself every few seconds.
async fn board_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(centre): Path<String>,
) -> PageResult {
    let board = service.board(&centre).await.or_page(&ctx)?;
    Ok(render(&BoardPage {
        events: format!("/hall/{}/board/events", encode_query_value(&centre)),
        chrome: ctx.chrome,
        board,
    }))
}

/// Waits until a call of `centre` on this node wakes the boards, or the channel lags (then a
/// read tells what changed). A closed channel never wakes: the re-read each second goes on.
async fn woken(changes: &mut broadcast::Receiver<String>, centre: &str) {
    loop {
        match changes.recv().await {
            Ok(code) if code == centre => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

/// How often a board reads its centre again, for the calls made on other nodes.
const BOARD_REREAD: Duration = Duration::from_secs(1);

struct BoardStream {
    service: Service,
    centre: String,
    changes: broadcast::Receiver<String>,
    shown: Option<Board>,
}

/// The board's changes as server-sent events (`event: board`, the board as JSON): the first at
/// once, then one whenever the board differs from the one last sent — woken by a call on this
/// node at once, and by a re-read every second for the calls of other nodes.
async fn board_events(
    State(service): State<Service>,
    Path(centre): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Response> {
    match service.centre(&centre).await {
        Ok(Some(_)) => {}
        Ok(None) => return Err(StatusCode::NOT_FOUND.into_response()),
        Err(e) => {
            tracing::error!(error = %e, "board events failed");
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    }
    let start = BoardStream {
        changes: service.board_changes(),
        service,
        centre,
        shown: None,
    };
    let stream = futures::stream::unfold(start, |mut state| async move {
        loop {
            if state.shown.is_some() {
                tokio::select! {
                    () = woken(&mut state.changes, &state.centre) => {}
                    () = tokio::time::sleep(BOARD_REREAD) => {}
                }
            }
            let board = match state.service.board(&state.centre).await {
                Ok(board) => board,
                Err(e) => {
                    tracing::warn!(error = %e, centre = %state.centre, "board read failed");
                    tokio::time::sleep(BOARD_REREAD).await;
                    continue;
                }
            };
            if state.shown.as_ref() == Some(&board) {
                continue;
            }
            let event = Event::default()
                .event("board")
                .json_data(&board)
                .unwrap_or_else(|_| Event::default().event("board"));
            state.shown = Some(board);
            return Some((Ok(event), state));
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

// ---- taking a ticket --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "hall/take.html")]
struct TakePage {
    chrome: Chrome,
    centre: Centre,
    /// "kiosk" or "phone": the form's own address.
    mode: &'static str,
    businesses: Vec<BusinessChoice>,
    id_number: String,
    /// The identity of the signed-in account, which a phone ticket carries by itself.
    account_identity: bool,
    general: Vec<String>,
    business_error: Option<String>,
    id_error: Option<String>,
    /// The appointment check-in form (预约签到), kiosk only.
    check_in_id: String,
    check_in_error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
struct TakeForm {
    #[serde(default)]
    business: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    csrf_token: String,
}

async fn take_page(
    service: &Service,
    ctx: &PageCtx,
    centre: Centre,
    mode: &'static str,
    form: &TakeForm,
) -> Result<TakePage, PageError> {
    let businesses = business_choices(service, ctx.chrome.t, &centre.code, &form.business)
        .await
        .or_page(ctx)?;
    let account_identity = mode == "phone"
        && ctx
            .session
            .as_ref()
            .is_some_and(|s| s.actor.principal.identity.is_some());
    Ok(TakePage {
        chrome: ctx.chrome.clone(),
        centre,
        mode,
        businesses,
        id_number: form.id_number.clone(),
        account_identity,
        general: Vec::new(),
        business_error: None,
        id_error: None,
        check_in_id: String::new(),
        check_in_error: None,
    })
}

async fn kiosk_form(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(centre): Path<String>,
) -> PageResult {
    let centre = found_centre(&service, &ctx, &centre).await?;
    let page = take_page(&service, &ctx, centre, "kiosk", &TakeForm::default()).await?;
    Ok(render(&page))
}

async fn phone_form(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(centre): Path<String>,
) -> PageResult {
    ctx.require_login()?;
    let centre = found_centre(&service, &ctx, &centre).await?;
    let page = take_page(&service, &ctx, centre, "phone", &TakeForm::default()).await?;
    Ok(render(&page))
}

/// The kiosk's ticket: no account and no CSRF token (the terminal has no session); the ticket
/// carries no more than the number and the business, and an identity number typed in only for
/// the priority of the elderly.
async fn kiosk_take(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(centre): Path<String>,
    Form(form): Form<TakeForm>,
) -> PageResult {
    let centre = found_centre(&service, &ctx, &centre).await?;
    let request = TakeTicket {
        business: form.business.clone(),
        source: TicketSource::Kiosk,
        id_number: Some(form.id_number.clone()),
    };
    let taken = service.take_ticket(None, &centre.code, request).await;
    answer_take(&service, &ctx, centre, "kiosk", &form, taken).await
}

async fn phone_take(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(centre): Path<String>,
    Form(form): Form<TakeForm>,
) -> PageResult {
    let session = ctx.require_login()?;
    ctx.check_csrf(&form.csrf_token)?;
    let centre = found_centre(&service, &ctx, &centre).await?;
    // The account's own identity gives the priority of the elderly; nobody types it twice.
    let request = TakeTicket {
        business: form.business.clone(),
        source: TicketSource::Phone,
        id_number: session.actor.principal.identity.clone(),
    };
    let taken = service
        .take_ticket(Some(&session.actor), &centre.code, request)
        .await;
    answer_take(&service, &ctx, centre, "phone", &form, taken).await
}

async fn answer_take(
    service: &Service,
    ctx: &PageCtx,
    centre: Centre,
    mode: &'static str,
    form: &TakeForm,
    taken: Result<onewindow_app::queue::Ticket, AppError>,
) -> PageResult {
    let t = ctx.chrome.t;
    let errors = match taken {
        Ok(ticket) => {
            return Ok(see_other(&format!(
                "/hall/{}/tickets/{}?taken={mode}",
                encode_query_value(&centre.code),
                encode_query_value(&ticket.id)
            )));
        }
        Err(AppError::Invalid(errors)) => errors,
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let hours = (centre.opens.clone(), centre.closes.clone());
    let mut page = take_page(service, ctx, centre, mode, form).await?;
    for FieldError { field, .. } in &errors {
        match field.as_str() {
            "business" => page.business_error = Some(t.get("queue-error-business").to_string()),
            "id_number" => page.id_error = Some(t.get("applicant-error-id-invalid").to_string()),
            "centre" => page.general.push(t.fill(
                "queue-error-closed",
                &[("opens", &hours.0), ("closes", &hours.1)],
            )),
            _ => page.general.push(t.get("queue-error-other").to_string()),
        }
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct CheckInForm {
    #[serde(default)]
    id_number: String,
}

/// 预约签到 at the kiosk: the applicant's identity number finds their appointment of today at
/// this centre, and a `Y` ticket comes out, called before the others.
async fn kiosk_check_in(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(centre): Path<String>,
    Form(form): Form<CheckInForm>,
) -> PageResult {
    let t = ctx.chrome.t;
    let centre = found_centre(&service, &ctx, &centre).await?;
    let checked = service
        .check_in_appointment(
            None,
            &centre.code,
            CheckInBy::IdNumber(form.id_number.clone()),
        )
        .await;
    let message = match checked {
        Ok(done) => {
            return Ok(see_other(&format!(
                "/hall/{}/tickets/{}?taken=kiosk",
                encode_query_value(&centre.code),
                encode_query_value(&done.ticket.id)
            )));
        }
        Err(AppError::Invalid(errors)) if errors.iter().any(|e| e.field == "id_number") => {
            if errors.iter().any(|e| e.reason.starts_with("not a valid")) {
                t.get("applicant-error-id-invalid").to_string()
            } else {
                t.get("queue-error-check-in-time").to_string()
            }
        }
        Err(AppError::Invalid(_)) => t.get("queue-error-check-in-time").to_string(),
        Err(AppError::NotFound { .. }) => t.get("queue-error-check-in-none").to_string(),
        Err(AppError::Conflict(_)) => t.get("queue-error-check-in-state").to_string(),
        Err(e) => return Ok(ctx.app_error(e)),
    };
    let mut page = take_page(&service, &ctx, centre, "kiosk", &TakeForm::default()).await?;
    page.check_in_id = form.id_number;
    page.check_in_error = Some(message);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

// ---- a ticket followed ------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
struct TicketQuery {
    taken: Option<String>,
}

#[derive(Template)]
#[template(path = "hall/ticket.html")]
struct TicketPage {
    chrome: Chrome,
    centre: Centre,
    ticket: TicketStatus,
    business: String,
    state: String,
    /// Just printed at the kiosk: the slip to print and take along.
    printed: bool,
    /// Just taken: the address to keep, to follow the ticket on the phone.
    taken: bool,
}

impl TicketPage {
    fn waiting(&self) -> bool {
        self.ticket.state == TicketState::Waiting
    }

    fn called(&self) -> bool {
        self.ticket.state == TicketState::Called
    }
}

async fn ticket_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((centre, id)): Path<(String, String)>,
    Query(q): Query<TicketQuery>,
) -> PageResult {
    let t = ctx.chrome.t;
    let centre = found_centre(&service, &ctx, &centre).await?;
    let ticket = service
        .ticket_status(&centre.code, &id)
        .await
        .or_page(&ctx)?;
    let departments = service.departments().await.or_page(&ctx)?;
    Ok(render(&TicketPage {
        business: business_label(t, &departments, &ticket.business),
        state: t
            .get(&format!("queue-state-{}", ticket.state.as_str()))
            .to_string(),
        printed: q.taken.as_deref() == Some("kiosk"),
        taken: q.taken.is_some(),
        chrome: ctx.chrome,
        centre,
        ticket,
    }))
}

#[cfg(test)]
#[path = "hall_tests.rs"]
mod tests;
