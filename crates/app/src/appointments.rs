//! Appointments (预约): the slots of a centre's day with the places left, booking one (the
//! signed-in applicant for themselves, an agent for an applicant), the booker's list and
//! cancellation, and the check-in at the kiosk that issues the appointment's `Y` ticket, called
//! before the ordinary ones. The rules are `domain::appointment`'s; the store counts a slot's
//! places under the slot's lock in the booking's own transaction, so the last place is booked
//! once, on one node or several.

use crate::queue::canonical_identity;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use onewindow_domain::access::{Principal, Role, mask};
use onewindow_domain::appointment::{
    AppointmentRules, AppointmentState, BookingDay, BookingRefusal, CheckIn, CheckInRefusal, Slot,
    may_book, may_book_again,
};
use onewindow_domain::audit::Outcome;
use onewindow_domain::hall::{
    OpeningHours, TicketSource, TicketState, WindowSkills, ticket_priority,
};
use onewindow_domain::validation::{
    FieldError, NAME_MAX_CHARS, PHONE_MAX_CHARS, check_text, text_problem,
};
pub use onewindow_store::appointments::Appointment;
use onewindow_store::appointments::{self as rows, SlotOf};
use onewindow_store::audit as audit_rows;
use onewindow_store::hall::Centre;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::clock::{CHINA_OFFSET_SECONDS, local_date, local_time};
use crate::error::AppError;
use crate::queue::{Ticket, issue_ticket_in};
use crate::service::Service;

/// The county's numbers for appointments (30-minute slots, 2 places per window, 7 working days
/// ahead, check-in from 30 minutes before to 15 minutes after the slot's start).
pub const RULES: AppointmentRules = AppointmentRules::standard();

/// The most appointments a booker's list shows.
const LIST_LIMIT: i64 = 200;

/// A booking as the applicant or agent sends it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookAppointment {
    /// A working day from today to the 7th working day after it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: NaiveDate,
    /// The slot's start, `HH:MM`, as `GET …/appointment-slots` lists them.
    pub slot: String,
    /// A department code, or empty for general business at a comprehensive window.
    #[serde(default)]
    pub business: String,
    /// The applicant's name; an applicant's own account name when empty.
    #[serde(default)]
    pub name: String,
    /// A phone number to reach the applicant; may be empty.
    #[serde(default)]
    pub phone: String,
    /// For an agent: the identity number or credit code of the applicant booked for. An
    /// applicant books for the identity of their account and leaves it out.
    #[serde(default)]
    pub id_number: Option<String>,
}

/// One slot of a day and its places for a business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlotPlaces {
    /// Its start, `HH:MM`: what a booking names.
    pub slot: String,
    /// Its end, `HH:MM`.
    pub ends: String,
    /// Places of the slot for this business.
    pub places: u32,
    /// Places held now (booked and not missed, or checked in).
    pub booked: u32,
    pub left: u32,
    /// Still bookable now: a slot of today closes when it ends.
    pub open: bool,
}

/// The slots of a centre's day for one business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DaySlots {
    pub centre: String,
    pub business: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: NaiveDate,
    /// The windows whose places a booking takes: `comprehensive` or `department:<code>`.
    pub pool: String,
    /// How many windows the pool has.
    pub windows: u32,
    pub slots: Vec<SlotPlaces>,
}

/// How the kiosk finds the appointment to check in: its id (the booking's confirmation), or the
/// applicant's identity number (their appointment of today at this centre).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckInBy {
    Id(String),
    IdNumber(String),
}

impl CheckInBy {
    fn field(&self) -> &'static str {
        match self {
            CheckInBy::Id(_) => "id",
            CheckInBy::IdNumber(_) => "id_number",
        }
    }
}

/// A checked-in appointment and the ticket it was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckedIn {
    pub appointment: Appointment,
    pub ticket: Ticket,
}

/// China time at `now`.
fn local(now: DateTime<Utc>) -> NaiveDateTime {
    local_date(now).and_time(local_time(now))
}

/// The instant of a China time.
fn instant(local: NaiveDateTime) -> DateTime<Utc> {
    (local - Duration::seconds(i64::from(CHINA_OFFSET_SECONDS))).and_utc()
}

fn hours_of(centre: &Centre) -> OpeningHours {
    OpeningHours::parse(&centre.opens, &centre.closes).unwrap_or_else(|_| OpeningHours::standard())
}

fn refusals(refusals: impl IntoIterator<Item = BookingRefusal>) -> AppError {
    AppError::Invalid(
        refusals
            .into_iter()
            .map(|r| FieldError::new(r.field(), r.to_string()))
            .collect(),
    )
}

/// The appointment as it stands at `now` (a booked one past its check-in is missed), with the
/// identity and phone numbers masked: personal data leaves the service masked.
fn shown(mut a: Appointment, now: DateTime<Utc>) -> Appointment {
    a.state = a.state.effective(local(a.check_in_until), local(now));
    a.id_number = mask(&a.id_number);
    a.phone = mask(&a.phone);
    a
}

/// Who checks in when nobody signed in at the kiosk, for the audit trail.
fn kiosk() -> Actor {
    Actor::new(
        Principal {
            user_id: "kiosk".into(),
            username: "kiosk".into(),
            display_name: "kiosk".into(),
            identity: None,
            posts: Vec::new(),
            may_reveal_personal_data: false,
        },
        "kiosk",
    )
}

impl Service {
    /// The centre, or not found.
    async fn appointment_centre(&self, code: &str) -> Result<Centre, AppError> {
        self.centre(code)
            .await?
            .ok_or_else(|| AppError::not_found(format!("centre {code}")))
    }

    /// The skills of the centre's windows.
    async fn centre_skills(&self, centre: &str) -> Result<Vec<WindowSkills>, AppError> {
        Ok(self
            .windows()
            .await?
            .iter()
            .filter(|w| w.centre == centre)
            .map(|w| w.skills())
            .collect())
    }

    /// Whether `business` is general business or a department's code; the refusal otherwise.
    async fn known_business(&self, business: &str) -> Result<Option<FieldError>, AppError> {
        if business.is_empty() || self.departments().await?.iter().any(|d| d.code == business) {
            Ok(None)
        } else {
            Ok(Some(FieldError::new(
                "business",
                format!("no department with code {business}"),
            )))
        }
    }

    /// What the calendar says of `day` for booking at `now`: the refusals of the day.
    fn day_refusals(
        &self,
        day: NaiveDate,
        now: NaiveDateTime,
    ) -> Result<Vec<BookingRefusal>, AppError> {
        let calendar = self.calendar();
        let last_day = calendar.add_working_days(now.date(), RULES.days_ahead)?;
        // A day the calendar does not cover lies years away: refused as too far (or past),
        // not also as a day off.
        let working = calendar.is_working_day(day).unwrap_or(true);
        Ok(RULES.check_day(day, now, working, last_day))
    }

    /// The days that may be booked at `centre` now, in order: today while a slot of it is still
    /// open, then the working days up to the 7th after today.
    pub async fn appointment_days(&self, centre_code: &str) -> Result<Vec<NaiveDate>, AppError> {
        let centre = self.appointment_centre(centre_code).await?;
        let now = local(self.now());
        let calendar = self.calendar();
        let mut days = Vec::new();
        if calendar.is_working_day(now.date())?
            && RULES
                .slots(hours_of(&centre))
                .iter()
                .any(|s| RULES.is_open(now.date(), *s, now))
        {
            days.push(now.date());
        }
        for n in 1..=RULES.days_ahead {
            days.push(calendar.add_working_days(now.date(), n)?);
        }
        Ok(days)
    }

    /// The businesses that may be booked at `centre`: general business (`""`) when it has a
    /// comprehensive window, and each department some window of it serves, by code.
    pub async fn appointment_businesses(&self, centre_code: &str) -> Result<Vec<String>, AppError> {
        let skills = self.centre_skills(centre_code).await?;
        let mut businesses = Vec::new();
        if RULES.capacity(&skills, "").is_some() {
            businesses.push(String::new());
        }
        for d in self.departments().await? {
            if RULES.capacity(&skills, &d.code).is_some() {
                businesses.push(d.code);
            }
        }
        Ok(businesses)
    }

    /// The slots of `day` at `centre` for `business` with the places each holds and has left.
    /// Refused (422) for a business no window of the centre serves and for a day that cannot be
    /// booked (not a working day, past, or beyond the 7th working day ahead); 404 for an
    /// unknown centre.
    pub async fn appointment_slots(
        &self,
        centre_code: &str,
        business: &str,
        day: NaiveDate,
    ) -> Result<DaySlots, AppError> {
        let centre = self.appointment_centre(centre_code).await?;
        let business = business.trim().to_string();
        let now = self.now();
        let mut errors: Vec<FieldError> = self
            .day_refusals(day, local(now))?
            .into_iter()
            .map(|r| FieldError::new(r.field(), r.to_string()))
            .collect();
        let capacity = match self.known_business(&business).await? {
            Some(unknown) => {
                errors.push(unknown);
                None
            }
            None => {
                let capacity = RULES.capacity(&self.centre_skills(&centre.code).await?, &business);
                if capacity.is_none() {
                    let r = BookingRefusal::NotServed;
                    errors.push(FieldError::new(r.field(), r.to_string()));
                }
                capacity
            }
        };
        let Some(capacity) = capacity.filter(|_| errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let pool = capacity.pool.key();
        let held =
            rows::holding_by_slot(self.store().readers(), &centre.code, day, &pool, now).await?;
        let slots = RULES
            .slots(hours_of(&centre))
            .into_iter()
            .map(|s: Slot| {
                let label = s.label();
                let booked = held
                    .iter()
                    .find(|(slot, _)| *slot == label)
                    .map_or(0, |(_, n)| *n);
                SlotPlaces {
                    ends: s.end_label(),
                    places: capacity.places,
                    booked,
                    left: capacity.places.saturating_sub(booked),
                    open: RULES.is_open(day, s, local(now)),
                    slot: label,
                }
            })
            .collect();
        Ok(DaySlots {
            centre: centre.code,
            business,
            day,
            pool,
            windows: capacity.windows,
            slots,
        })
    }

    /// Books a slot (预约): the signed-in applicant for the identity of their account, or an
    /// agent for the applicant whose identity number they give. Refused with every wrong field
    /// (`day`, `slot`, `business`, `name`, `phone`, `id_number`) and nothing written: a day that
    /// is no working day, past or too far ahead, a slot that is none of the centre's, has ended
    /// or is full, a business no window of the centre serves, a second appointment of the same
    /// applicant that day at the centre. The count of the slot and the insert are one
    /// transaction under the slot's lock. Audited as `appointment.book`.
    pub async fn book_appointment(
        &self,
        actor: &Actor,
        centre_code: &str,
        request: BookAppointment,
    ) -> Result<Appointment, AppError> {
        let principal = &actor.principal;
        let agent = principal.has_role(Role::Agent);
        if !principal.has_role(Role::Applicant) && !agent {
            return Err(AppError::Forbidden(
                "appointments are booked by applicants, or by agents for them".into(),
            ));
        }
        let centre = self.appointment_centre(centre_code).await?;
        let now = self.now();
        let mut errors = Vec::new();

        // Whose appointment: an applicant's own identity; an agent's applicant's.
        let given = request
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let identity = if let (true, Some(id)) = (agent, given) {
            let canonical = canonical_identity(id);
            if canonical.is_none() {
                errors.push(FieldError::new(
                    "id_number",
                    "not a valid resident identity number or unified social credit code",
                ));
            }
            canonical
        } else if let Some(own) = &principal.identity {
            if let Some(id) = given
                && canonical_identity(id).as_deref() != Some(own.as_str())
            {
                errors.push(FieldError::new(
                    "id_number",
                    "an applicant books for themselves: leave it out, or give your own",
                ));
            }
            Some(own.clone())
        } else {
            errors.push(FieldError::new(
                "id_number",
                if agent {
                    "required: the identity number or credit code of the applicant you book for"
                } else {
                    "your account stands for no identity number: ask the hall to add it"
                },
            ));
            None
        };
        let name = match request.name.trim() {
            "" if !agent => principal.display_name.trim().to_string(),
            typed => typed.to_string(),
        };
        if name.is_empty() {
            errors.push(FieldError::new("name", "required: the applicant's name"));
        }
        check_text(&mut errors, "name", &name, NAME_MAX_CHARS, false);
        let phone = request.phone.trim().to_string();
        check_text(&mut errors, "phone", &phone, PHONE_MAX_CHARS, false);
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
            && text_problem(&phone, PHONE_MAX_CHARS, false).is_none()
        {
            errors.push(FieldError::new(
                "phone",
                "digits only, with + - ( ) or spaces, e.g. 13800000000 or 0574-65560000",
            ));
        }

        let business = request.business.trim().to_string();
        let capacity = match self.known_business(&business).await? {
            Some(unknown) => {
                errors.push(unknown);
                None
            }
            None => {
                let capacity = RULES.capacity(&self.centre_skills(&centre.code).await?, &business);
                if capacity.is_none() {
                    let r = BookingRefusal::NotServed;
                    errors.push(FieldError::new(r.field(), r.to_string()));
                }
                capacity
            }
        };

        let calendar = self.calendar();
        let local_now = local(now);
        let last_day = calendar.add_working_days(local_now.date(), RULES.days_ahead)?;
        let slot = RULES
            .check_booking(&BookingDay {
                day: request.day,
                slot: &request.slot,
                now: local_now,
                is_working_day: calendar.is_working_day(request.day).unwrap_or(true),
                last_day,
                hours: hours_of(&centre),
            })
            .map_err(|refused| {
                errors.extend(
                    refused
                        .into_iter()
                        .map(|r| FieldError::new(r.field(), r.to_string())),
                );
            })
            .ok();
        let (Some(identity), Some(capacity), Some(slot), true) =
            (identity, capacity, slot, errors.is_empty())
        else {
            return Err(AppError::Invalid(errors));
        };

        let day = request.day;
        let appointment = Appointment {
            id: uuid::Uuid::now_v7().to_string(),
            centre: centre.code.clone(),
            day,
            slot: slot.label(),
            slot_ends: slot.end_label(),
            business,
            pool: capacity.pool.key(),
            id_number: identity,
            name,
            phone,
            booked_by: actor.username().to_string(),
            state: AppointmentState::Booked,
            booked_at: now,
            check_in_until: instant(RULES.check_in_until(day, slot, local_now)),
            cancelled_at: None,
            checked_in_at: None,
            ticket: String::new(),
        };
        let places = capacity.places;
        let actor = actor.clone();
        let booked = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let a = appointment;
                    let of = SlotOf {
                        centre: &a.centre,
                        day: a.day,
                        slot: &a.slot,
                        pool: &a.pool,
                    };
                    // The slot's lock first: every count below sees the bookings committed
                    // before this one, on this node or another.
                    rows::lock_slot(&mut *conn, of).await?;
                    rows::mark_missed(&mut *conn, of, now).await?;
                    let held = rows::of_identity(&mut *conn, &a.centre, a.day, &a.id_number)
                        .await?
                        .into_iter()
                        .find(|other| {
                            other
                                .state
                                .effective(local(other.check_in_until), local(now))
                                == AppointmentState::Booked
                        });
                    may_book_again(held.as_ref().map(|h| h.slot.as_str()))
                        .map_err(|r| refusals([r]))?;
                    let holding = rows::holding(&mut *conn, of, now).await?;
                    may_book(holding, places, &a.slot).map_err(|r| refusals([r]))?;
                    rows::insert(&mut *conn, &a).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "appointment.book",
                            format!("appointment:{}", a.id),
                            Outcome::Success,
                            format!(
                                "{} {} {} business {}",
                                a.centre,
                                a.day,
                                a.slot,
                                if a.business.is_empty() {
                                    "general"
                                } else {
                                    a.business.as_str()
                                }
                            ),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(a)
                })
            })
            .await?;
        Ok(shown(booked, now))
    }

    /// The appointments the actor booked, the latest day first, each in its state now.
    pub async fn my_appointments(&self, actor: &Actor) -> Result<Vec<Appointment>, AppError> {
        let now = self.now();
        Ok(
            rows::by_booker(self.store().readers(), actor.username(), LIST_LIMIT)
                .await?
                .into_iter()
                .map(|a| shown(a, now))
                .collect(),
        )
    }

    /// One appointment the actor booked, in its state now; not found for anyone else's.
    pub async fn my_appointment(&self, actor: &Actor, id: &str) -> Result<Appointment, AppError> {
        rows::get(self.store().readers(), id)
            .await?
            .filter(|a| a.booked_by == actor.username())
            .map(|a| shown(a, self.now()))
            .ok_or_else(|| AppError::not_found(format!("appointment {id}")))
    }

    /// Cancels an appointment: only its booker (403 for anyone else, audited as denied), only
    /// while booked (409 once checked in, cancelled or missed). The place is free at once.
    /// Audited as `appointment.cancel`.
    pub async fn cancel_appointment(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Appointment, AppError> {
        let Some(found) = rows::get(self.store().readers(), id).await? else {
            return Err(AppError::not_found(format!("appointment {id}")));
        };
        let target = format!("appointment:{id}");
        if found.booked_by != actor.username() {
            let reason = "only the account that booked an appointment cancels it";
            self.audit_denied(actor, "appointment.cancel", target, reason)
                .await?;
            return Err(AppError::Forbidden(reason.into()));
        }
        let now = self.now();
        let state = found
            .state
            .effective(local(found.check_in_until), local(now));
        if let Err(state) = state.cancel() {
            return Err(AppError::Conflict(format!(
                "the appointment is {}: only a booked appointment is cancelled",
                state.as_str()
            )));
        }
        let actor = actor.clone();
        let id_owned = id.to_string();
        let detail = format!("{} {} {}", found.centre, found.day, found.slot);
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    if !rows::cancel(&mut *conn, &id_owned, now).await? {
                        return Err(AppError::Conflict(
                            "the appointment changed meanwhile: only a booked appointment is cancelled"
                                .into(),
                        ));
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(now, "appointment.cancel", target, Outcome::Success, detail),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        let after = rows::get(self.store().readers(), id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("appointment {id}")))?;
        Ok(shown(after, now))
    }

    /// Checks an appointment in at the centre's kiosk (预约签到) and issues its ticket: source
    /// appointment, number `Y…`, priority 1 — the windows serving its business call it before
    /// the ordinary tickets. Found by its id or by the applicant's identity number (their
    /// booked appointment of today here). On the appointment's day, at its centre, from 30
    /// minutes before its slot until 15 minutes after the slot's start (422 otherwise, on `id`
    /// or `id_number`); 409 once checked in, cancelled or missed; 404 when there is none.
    /// Nobody signed in is the kiosk itself; a signed-in applicant or agent checks in only
    /// appointments they booked or of their own identity, a clerk any at their centre (403
    /// otherwise). The check-in and the ticket are one transaction; audited as
    /// `appointment.check-in`.
    pub async fn check_in_appointment(
        &self,
        actor: Option<&Actor>,
        centre_code: &str,
        by: CheckInBy,
    ) -> Result<CheckedIn, AppError> {
        let centre = self.appointment_centre(centre_code).await?;
        let now = self.now();
        let local_now = local(now);
        let today = local_now.date();
        let field = by.field();
        let found = match &by {
            CheckInBy::Id(id) => rows::get(self.store().readers(), id.trim())
                .await?
                .ok_or_else(|| AppError::not_found(format!("appointment {}", id.trim())))?,
            CheckInBy::IdNumber(number) => {
                let Some(identity) = canonical_identity(number.trim()) else {
                    return Err(AppError::invalid(
                        "id_number",
                        "not a valid resident identity number or unified social credit code",
                    ));
                };
                let mut todays =
                    rows::of_identity(self.store().readers(), &centre.code, today, &identity)
                        .await?;
                let open = todays.iter().position(|a| {
                    a.state.effective(local(a.check_in_until), local_now)
                        == AppointmentState::Booked
                });
                match open {
                    Some(i) => todays.swap_remove(i),
                    None => todays.into_iter().next().ok_or_else(|| {
                        AppError::not_found(
                            "an appointment of today at this centre for this identity",
                        )
                    })?,
                }
            }
        };
        let target = format!("appointment:{}", found.id);
        if let Some(actor) = actor {
            let principal = &actor.principal;
            let clerk_here = principal.posts.iter().any(|p| {
                p.role == Role::Clerk && p.centre.as_deref() == Some(centre.code.as_str())
            });
            let own = (principal.has_role(Role::Applicant) || principal.has_role(Role::Agent))
                && (found.booked_by == actor.username()
                    || principal.identity.as_deref() == Some(found.id_number.as_str()));
            if !clerk_here && !own {
                let reason = "an appointment is checked in at the kiosk, by its applicant or booker, or by a clerk of its centre";
                self.audit_denied(actor, "appointment.check-in", target, reason)
                    .await?;
                return Err(AppError::Forbidden(reason.into()));
            }
        }
        let slot = Slot {
            start: chrono::NaiveTime::parse_from_str(&found.slot, "%H:%M")
                .map_err(|e| AppError::Internal(format!("appointment {}: slot: {e}", found.id)))?,
            end: chrono::NaiveTime::parse_from_str(&found.slot_ends, "%H:%M")
                .map_err(|e| AppError::Internal(format!("appointment {}: slot: {e}", found.id)))?,
        };
        let check = CheckIn {
            state: found.state,
            day: found.day,
            opens: RULES.check_in_opens(found.day, slot),
            until: local(found.check_in_until),
            now: local_now,
            at_its_centre: found.centre == centre.code,
        };
        match RULES.check_in(&check) {
            Ok(()) => {}
            Err(CheckInRefusal::NotBooked { state }) => {
                return Err(AppError::Conflict(format!(
                    "the appointment is {}: only a booked appointment is checked in",
                    state.as_str()
                )));
            }
            Err(refused) => return Err(AppError::invalid(field, refused.to_string())),
        }
        let ticket = Ticket {
            id: uuid::Uuid::now_v7().to_string(),
            centre: centre.code.clone(),
            day: today,
            number: String::new(),
            business: found.business.clone(),
            source: TicketSource::Appointment,
            priority: ticket_priority(TicketSource::Appointment, Some(&found.id_number), today),
            state: TicketState::Waiting,
            id_number: found.id_number.clone(),
            name: found.name.clone(),
            taken_by: actor.map(|a| a.username().to_string()).unwrap_or_default(),
            issued_at: now,
            window: String::new(),
            called_at: None,
            calls: 0,
            finished_at: None,
            cases: Vec::new(),
        };
        let auditor = actor.cloned().unwrap_or_else(kiosk);
        let id = found.id.clone();
        let ticket = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    if !rows::check_in(&mut *conn, &id, &ticket.id, now).await? {
                        return Err(AppError::Conflict(
                            "the appointment changed meanwhile: only a booked appointment is checked in"
                                .into(),
                        ));
                    }
                    let ticket = issue_ticket_in(&mut *conn, ticket).await?;
                    audit_rows::append(
                        &mut *conn,
                        auditor.entry(
                            now,
                            "appointment.check-in",
                            target,
                            Outcome::Success,
                            format!("ticket {}", ticket.number),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(ticket)
                })
            })
            .await?;
        let appointment = rows::get(self.store().readers(), &found.id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("appointment {}", found.id)))?;
        let mut ticket = ticket;
        ticket.id_number = mask(&ticket.id_number);
        Ok(CheckedIn {
            appointment: shown(appointment, now),
            ticket,
        })
    }
}
