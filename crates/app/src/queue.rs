//! The hall's queue (取号叫号): a ticket taken at the kiosk or on a phone, called by a window
//! whose skills serve it, recalled, transferred, marked a no-show, or served — and a served
//! ticket records the visit on each case it served (the applicant came, that day, for that case),
//! so that the at-most-once figure comes from the hall's own records. The display board reads the
//! latest calls; a call wakes the boards of its node at once and the others within a second.

use std::sync::LazyLock;

use onewindow_domain::access::Role;
use onewindow_domain::case::{CaseCommand, Context};
use onewindow_domain::hall::{
    OpeningHours, TicketSource, TicketState, Waiting, call_speech, ticket_number, ticket_prefix,
    ticket_priority, visit_purpose, waiting_ahead,
};
use onewindow_domain::identifiers::{ResidentIdNumber, UnifiedSocialCreditCode};
use onewindow_domain::validation::FieldError;
use onewindow_store::cases as case_rows;
use onewindow_store::hall::{self as hall_rows, Window};
use onewindow_store::next_counter;
pub use onewindow_store::queue::Ticket;
use onewindow_store::queue::{self as queue_rows, Finish};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::actor::Actor;
use crate::clock::local_date;
use crate::error::AppError;
use crate::service::Service;

/// The centres whose boards changed on this node: a board's stream wakes on its centre's code.
static BOARD_CHANGES: LazyLock<broadcast::Sender<String>> =
    LazyLock::new(|| broadcast::channel(1024).0);

/// A ticket asked for at the kiosk or on a phone.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TakeTicket {
    /// A department code, or empty for general business at a comprehensive window.
    #[serde(default)]
    pub business: String,
    /// kiosk or phone (an appointment's ticket is taken by checking the appointment in).
    pub source: TicketSource,
    /// The applicant's identity number, when given: the elderly are called first.
    #[serde(default)]
    pub id_number: Option<String>,
}

/// One case served on a ticket, and why the applicant had to come again when it is not the
/// case's first visit.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServedCase {
    /// The case's id or receipt number.
    pub case: String,
    #[serde(default)]
    pub extra_visit_reason: Option<String>,
}

/// The end of a ticket at the window: who came (checked in by identity) and the cases served.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServeTicket {
    /// The applicant's identity, checked at the window; when empty, the one given with the
    /// ticket, else the applicant's of the cases served (a walk-in application just filed).
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub cases: Vec<ServedCase>,
}

/// One line of the display board (叫号屏).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardCall {
    pub number: String,
    pub window: String,
    pub window_name: String,
    /// What the speakers say, in Chinese and in English.
    pub speech: String,
    pub speech_en: String,
    pub called_at: chrono::DateTime<chrono::Utc>,
    /// How many times it was called (a recall says it again).
    pub calls: u32,
}

/// A ticket as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketStatus {
    pub id: String,
    pub centre: String,
    pub number: String,
    pub business: String,
    pub state: TicketState,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    /// Waiting tickets of the same business called before this one.
    pub ahead: usize,
    /// The window that called it, once called.
    pub window: String,
    pub window_name: String,
}

/// What a centre's display board shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub centre: String,
    pub centre_name: String,
    /// The latest calls, newest first.
    pub calls: Vec<BoardCall>,
    /// Tickets waiting now.
    pub waiting: usize,
}

fn identity_ok(id: &str) -> bool {
    ResidentIdNumber::parse(id).is_ok() || UnifiedSocialCreditCode::parse(id).is_ok()
}

/// An identity number in its one written form, or `None` when it is neither a resident's nor an
/// enterprise's.
pub(crate) fn canonical_identity(id: &str) -> Option<String> {
    ResidentIdNumber::parse(id)
        .map(|i| i.as_str().to_string())
        .or_else(|_| UnifiedSocialCreditCode::parse(id).map(|i| i.as_str().to_string()))
        .ok()
}

impl Service {
    /// Wakes the boards of `centre` on this node.
    fn board_changed(centre: &str) {
        let _ = BOARD_CHANGES.send(centre.to_string());
    }

    /// A receiver of the codes of centres whose boards changed on this node.
    pub fn board_changes(&self) -> broadcast::Receiver<String> {
        BOARD_CHANGES.subscribe()
    }

    /// Takes a ticket at `centre`: refused when the centre is unknown or closed now, when no
    /// window of the centre serves the business, or when an identity number given is not one.
    /// The kiosk needs no account; a phone ticket is the signed-in applicant's.
    pub async fn take_ticket(
        &self,
        actor: Option<&Actor>,
        centre_code: &str,
        request: TakeTicket,
    ) -> Result<Ticket, AppError> {
        let Some(centre) = self.centre(centre_code).await? else {
            return Err(AppError::not_found(format!("centre {centre_code}")));
        };
        let now = self.now();
        let today = local_date(now);
        let mut errors = Vec::new();
        if request.source == TicketSource::Appointment {
            errors.push(FieldError::new(
                "source",
                "kiosk or phone: an appointment's ticket is taken by checking it in",
            ));
        }
        if request.source == TicketSource::Phone && actor.is_none() {
            return Err(AppError::Unauthenticated(
                "sign in to take a ticket on a phone".into(),
            ));
        }
        let working = self.calendar().is_working_day(today).unwrap_or(false);
        let hours = OpeningHours::parse(&centre.opens, &centre.closes)
            .unwrap_or_else(|_| OpeningHours::standard());
        if !hours.is_open_at(working, crate::clock::local_time(now)) {
            errors.push(FieldError::new(
                "centre",
                format!(
                    "{} is closed now: it takes tickets {}–{} on working days",
                    centre.name, centre.opens, centre.closes
                ),
            ));
        }
        let business = request.business.trim().to_string();
        let windows: Vec<Window> = self
            .windows()
            .await?
            .into_iter()
            .filter(|w| w.centre == centre.code)
            .collect();
        let known =
            business.is_empty() || self.departments().await?.iter().any(|d| d.code == business);
        if !known {
            errors.push(FieldError::new(
                "business",
                format!("no department with code {business}"),
            ));
        } else if !windows.iter().any(|w| w.skills().serves(&business)) {
            errors.push(FieldError::new(
                "business",
                if business.is_empty() {
                    "this centre has no comprehensive window: choose a department's business"
                        .to_string()
                } else {
                    format!("no window of this centre serves department {business}")
                },
            ));
        }
        let id_number = request
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(id) = id_number
            && !identity_ok(id)
        {
            errors.push(FieldError::new(
                "id_number",
                "not a valid resident identity number or unified social credit code",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let ticket = Ticket {
            id: uuid::Uuid::now_v7().to_string(),
            centre: centre.code.clone(),
            day: today,
            number: String::new(),
            priority: ticket_priority(request.source, id_number, today),
            business,
            source: request.source,
            state: TicketState::Waiting,
            id_number: id_number.and_then(canonical_identity).unwrap_or_default(),
            name: String::new(),
            taken_by: actor.map(|a| a.username().to_string()).unwrap_or_default(),
            issued_at: now,
            window: String::new(),
            called_at: None,
            calls: 0,
            finished_at: None,
            cases: Vec::new(),
        };
        let ticket = self
            .store()
            .write(move |conn| Box::pin(async move { issue_ticket_in(conn, ticket).await }))
            .await?;
        Ok(ticket)
    }

    /// The window of `centre` the actor works at: a clerk posted at the centre, and a window it
    /// keeps.
    async fn staffed_window(
        &self,
        actor: &Actor,
        centre: &str,
        window: &str,
    ) -> Result<Window, AppError> {
        let posted = actor
            .principal
            .posts
            .iter()
            .any(|p| p.role == Role::Clerk && p.centre.as_deref() == Some(centre));
        if !posted {
            return Err(AppError::Forbidden(format!(
                "only a clerk of centre {centre} works its windows"
            )));
        }
        hall_rows::get_window(self.store().readers(), centre, window)
            .await?
            .ok_or_else(|| AppError::not_found(format!("window {centre}/{window}")))
    }

    /// Calls the next ticket the window's skills serve: appointments and the elderly first, then
    /// who came first. `None` when nobody it serves waits. The store decides, so two windows
    /// never call the same ticket, on one node or several.
    pub async fn call_next(
        &self,
        actor: &Actor,
        centre: &str,
        window: &str,
    ) -> Result<Option<Ticket>, AppError> {
        let found = self.staffed_window(actor, centre, window).await?;
        let skills = found.skills();
        let now = self.now();
        let (centre_code, window_code) = (centre.to_string(), window.to_string());
        let called = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    Ok::<_, AppError>(
                        queue_rows::call_next(
                            &mut *conn,
                            &centre_code,
                            &window_code,
                            &skills,
                            local_date(now),
                            now,
                        )
                        .await?,
                    )
                })
            })
            .await?;
        if called.is_some() {
            Self::board_changed(centre);
        }
        Ok(called)
    }

    /// A ticket of `centre`, or not found.
    pub async fn ticket(&self, centre: &str, id: &str) -> Result<Ticket, AppError> {
        queue_rows::get(self.store().readers(), id)
            .await?
            .filter(|t| t.centre == centre)
            .ok_or_else(|| AppError::not_found(format!("ticket {id}")))
    }

    fn not_held(id: &str) -> AppError {
        AppError::Conflict(format!(
            "ticket {id} is not called at this window (already served, transferred or no-show?)"
        ))
    }

    /// Calls a ticket the window holds again (重呼).
    pub async fn recall_ticket(
        &self,
        actor: &Actor,
        centre: &str,
        window: &str,
        id: &str,
    ) -> Result<Ticket, AppError> {
        self.staffed_window(actor, centre, window).await?;
        let now = self.now();
        let (id_owned, window_code) = (id.to_string(), window.to_string());
        let done = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    Ok::<_, AppError>(
                        queue_rows::recall(&mut *conn, &id_owned, &window_code, now).await?,
                    )
                })
            })
            .await?;
        if !done {
            return Err(Self::not_held(id));
        }
        Self::board_changed(centre);
        self.ticket(centre, id).await
    }

    /// Sends a called ticket to another business (转窗): back in the queue at the front, for the
    /// windows that serve it.
    pub async fn transfer_ticket(
        &self,
        actor: &Actor,
        centre: &str,
        window: &str,
        id: &str,
        business: &str,
    ) -> Result<Ticket, AppError> {
        self.staffed_window(actor, centre, window).await?;
        let business = business.trim().to_string();
        let served = self
            .windows()
            .await?
            .iter()
            .any(|w| w.centre == centre && w.code != window && w.skills().serves(&business));
        if !served {
            return Err(AppError::invalid(
                "business",
                "no other window of this centre serves that business",
            ));
        }
        let (id_owned, window_code) = (id.to_string(), window.to_string());
        let done = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    Ok::<_, AppError>(
                        queue_rows::transfer(&mut *conn, &id_owned, &window_code, &business)
                            .await?,
                    )
                })
            })
            .await?;
        if !done {
            return Err(Self::not_held(id));
        }
        self.ticket(centre, id).await
    }

    /// Marks a called ticket a no-show (过号).
    pub async fn no_show(
        &self,
        actor: &Actor,
        centre: &str,
        window: &str,
        id: &str,
    ) -> Result<Ticket, AppError> {
        self.staffed_window(actor, centre, window).await?;
        let now = self.now();
        let (id_owned, window_code) = (id.to_string(), window.to_string());
        let done = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let end = Finish {
                        state: TicketState::NoShow,
                        id_number: "",
                        name: "",
                        cases: &[],
                        at: now,
                    };
                    Ok::<_, AppError>(
                        queue_rows::finish(&mut *conn, &id_owned, &window_code, end).await?,
                    )
                })
            })
            .await?;
        if !done {
            return Err(Self::not_held(id));
        }
        self.ticket(centre, id).await
    }

    /// Ends a called ticket as served: the applicant checked in by identity, and a visit recorded
    /// on each case served (the applicant's own cases only). A case visited before needs the
    /// reason the applicant had to come again, asked then and there. One transaction: the
    /// ticket and every visit, or nothing.
    pub async fn serve_ticket(
        &self,
        actor: &Actor,
        centre: &str,
        window: &str,
        id: &str,
        serve: ServeTicket,
    ) -> Result<Ticket, AppError> {
        let found = self.staffed_window(actor, centre, window).await?;
        let given = serve.id_number.trim();
        let given = if given.is_empty() {
            None
        } else {
            Some(canonical_identity(given).ok_or_else(|| {
                AppError::invalid(
                    "id_number",
                    "not a valid resident identity number or unified social credit code",
                )
            })?)
        };
        let purpose_of = |number: &str| visit_purpose(number, &found.name);
        let now = self.now();
        let calendar = self.calendar();
        let actor = actor.clone();
        let (id_owned, window_code) = (id.to_string(), window.to_string());
        let centre_owned = centre.to_string();
        let name = serve.name.trim().to_string();
        let ticket = queue_rows::get(self.store().readers(), id)
            .await?
            .filter(|t| t.centre == centre)
            .ok_or_else(|| AppError::not_found(format!("ticket {id}")))?;
        let purpose = purpose_of(&ticket.number);
        // Checked in by the identity typed now, else the account's of a phone ticket (signed in),
        // else — for a walk-in application filed today at this centre — its applicant's, whom
        // the clerk identified when filing. A number typed at the kiosk proves nothing.
        let known = given.or_else(|| {
            Some(ticket.id_number.clone())
                .filter(|i| !i.is_empty() && ticket.source == TicketSource::Phone)
        });
        if known.is_none() && serve.cases.is_empty() {
            return Err(AppError::invalid(
                "id_number",
                "required: the applicant's identity number, or the cases served",
            ));
        }
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let mut identity = known.unwrap_or_default();
                    let mut case_ids = Vec::new();
                    for (i, served) in serve.cases.iter().enumerate() {
                        let field = |name: &str| format!("cases[{i}].{name}");
                        let Some(case) = case_rows::load(&mut *conn, served.case.trim()).await?
                        else {
                            return Err(AppError::invalid(
                                &field("case"),
                                format!("no case {}", served.case.trim()),
                            ));
                        };
                        if identity.is_empty() {
                            let filed_here_today = case.centre == centre_owned
                                && case.received_on == local_date(now)
                                && case.channel.is_in_person();
                            if !filed_here_today {
                                return Err(AppError::invalid(
                                    "id_number",
                                    "required: the applicant's identity number (only a walk-in application filed here today gives it)",
                                ));
                            }
                            identity = case.applicant.id_number.clone();
                        }
                        if case.applicant.id_number != identity {
                            return Err(AppError::invalid(
                                &field("case"),
                                format!("case {} is not this applicant's", case.number),
                            ));
                        }
                        let today = local_date(now);
                        let ctx = Context {
                            actor: actor.username(),
                            now,
                            today,
                            calendar: &calendar,
                        };
                        let command = CaseCommand::RecordVisit {
                            purpose: purpose.clone(),
                            extra_visit_reason: served.extra_visit_reason.clone(),
                            ticket: Some(id_owned.clone()),
                            exception: None,
                        };
                        let events =
                            case.decide(&command, &ctx)
                                .map_err(|e| match AppError::from(e) {
                                    AppError::Invalid(errors) => AppError::Invalid(
                                        errors
                                            .into_iter()
                                            .map(|f| FieldError::new(field(&f.field), f.reason))
                                            .collect(),
                                    ),
                                    other => other,
                                })?;
                        let mut next = case.clone();
                        for event in &events {
                            next.apply(event, actor.username(), now, today);
                        }
                        let due_on = next.due_on(&calendar)?;
                        let written = case_rows::update(
                            &mut *conn,
                            &next,
                            case.version,
                            &events,
                            actor.username(),
                            now,
                            due_on,
                        )
                        .await?;
                        if !written {
                            return Err(AppError::VersionConflict {
                                expected: case.version,
                                current: case.version + 1,
                            });
                        }
                        case_ids.push(next.id.clone());
                    }
                    let end = Finish {
                        state: TicketState::Served,
                        id_number: &identity,
                        name: &name,
                        cases: &case_ids,
                        at: now,
                    };
                    if !queue_rows::finish(&mut *conn, &id_owned, &window_code, end).await? {
                        return Err(Self::not_held(&id_owned));
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        self.ticket(centre, id).await
    }

    /// A ticket as its holder follows it (on the phone or the kiosk's slip): where it stands and
    /// how many of the same business are called before it. No name, no identity number.
    pub async fn ticket_status(&self, centre: &str, id: &str) -> Result<TicketStatus, AppError> {
        let ticket = self.ticket(centre, id).await?;
        let waiting: Vec<Waiting> =
            queue_rows::waiting_for(self.store().readers(), centre, ticket.day, &ticket.business)
                .await?
                .into_iter()
                .map(|t| Waiting {
                    id: t.id,
                    number: t.number,
                    business: t.business,
                    priority: t.priority,
                    issued_at: t.issued_at,
                })
                .collect();
        let ahead = waiting
            .iter()
            .find(|w| w.id == ticket.id)
            .map_or(0, |mine| waiting_ahead(&waiting, mine));
        let window_name = if ticket.window.is_empty() {
            String::new()
        } else {
            hall_rows::get_window(self.store().readers(), centre, &ticket.window)
                .await?
                .map_or_else(|| ticket.window.clone(), |w| w.name)
        };
        Ok(TicketStatus {
            id: ticket.id,
            centre: ticket.centre,
            number: ticket.number,
            business: ticket.business,
            state: ticket.state,
            issued_at: ticket.issued_at,
            ahead,
            window: ticket.window,
            window_name,
        })
    }

    /// The businesses a ticket may be taken for at `centre`: general business when a window of
    /// the centre is comprehensive, and each department a window of it serves, by code.
    pub async fn ticket_businesses(&self, centre: &str) -> Result<Vec<String>, AppError> {
        let windows: Vec<Window> = self
            .windows()
            .await?
            .into_iter()
            .filter(|w| w.centre == centre)
            .collect();
        let mut businesses = Vec::new();
        if windows.iter().any(|w| w.skills().serves("")) {
            businesses.push(String::new());
        }
        for department in self.departments().await? {
            let own = windows
                .iter()
                .any(|w| w.departments.contains(&department.code));
            if own {
                businesses.push(department.code);
            }
        }
        Ok(businesses)
    }

    /// The tickets a window holds now.
    pub async fn held_tickets(
        &self,
        actor: &Actor,
        centre: &str,
        window: &str,
    ) -> Result<Vec<Ticket>, AppError> {
        self.staffed_window(actor, centre, window).await?;
        Ok(queue_rows::held_by(self.store().readers(), centre, window).await?)
    }

    /// The tickets of a centre today, in the order taken (the clerk's and the supervisor's view).
    pub async fn tickets_today(&self, centre: &str) -> Result<Vec<Ticket>, AppError> {
        Ok(queue_rows::of_day(self.store().readers(), centre, self.today()).await?)
    }

    /// What the display board of `centre` shows: the latest calls with the words to say, and how
    /// many wait. Public: numbers and windows only, never a name.
    pub async fn board(&self, centre: &str) -> Result<Board, AppError> {
        let Some(found) = self.centre(centre).await? else {
            return Err(AppError::not_found(format!("centre {centre}")));
        };
        let windows = self.windows().await?;
        let calls = queue_rows::recent_calls(self.store().readers(), centre, 8)
            .await?
            .into_iter()
            .filter_map(|t| {
                let called_at = t.called_at?;
                let window_name = windows
                    .iter()
                    .find(|w| w.centre == centre && w.code == t.window)
                    .map_or_else(|| t.window.clone(), |w| w.name.clone());
                let (speech, speech_en) = call_speech(&t.number, &window_name);
                Some(BoardCall {
                    number: t.number,
                    window: t.window,
                    window_name,
                    speech,
                    speech_en,
                    called_at,
                    calls: t.calls,
                })
            })
            .collect();
        let waiting =
            queue_rows::waiting_count(self.store().readers(), centre, self.today()).await?;
        Ok(Board {
            centre: found.code,
            centre_name: found.name,
            calls,
            waiting,
        })
    }
}

/// Issues `ticket` inside the caller's transaction, numbered as [`Service::take_ticket`] numbers
/// one (the centre's counter of the day for its prefix): an appointment's check-in issues its
/// `Y` ticket in the transaction that checks it in.
pub(crate) async fn issue_ticket_in(
    conn: &mut onewindow_store::Conn,
    mut ticket: Ticket,
) -> Result<Ticket, AppError> {
    let prefix = ticket_prefix(ticket.source, &ticket.business);
    let serial = next_counter(
        &mut *conn,
        &format!("ticket:{}:{}:{prefix}", ticket.centre, ticket.day),
    )
    .await?;
    ticket.number = ticket_number(prefix, serial);
    queue_rows::insert(&mut *conn, &ticket).await?;
    Ok(ticket)
}
