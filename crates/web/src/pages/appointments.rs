//! Pages: appointments (预约). `/hall/{centre}/appointments` shows a centre's slots of a day
//! for a business with the places left, and books one (applicants for themselves, agents for an
//! applicant); `/my/appointments` lists what the visitor booked, in its state, with a button to
//! cancel. Every form posts and redirects without JavaScript; a refused booking comes back as
//! typed with each reason next to its field. The rules are the service's.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::NaiveDate;
use onewindow_app::appointments::{Appointment, BookAppointment, DaySlots, RULES};
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::appointment::AppointmentState;
use onewindow_domain::catalogue::Department;
use onewindow_domain::validation::FieldError;
use serde::Deserialize;

use super::guard::{CarriesCsrf, CsrfForm, Member, Roles};
use super::page_error::{OrPage, PageResult};
use super::{Chrome, PageCtx, encode_query_value, render, see_other};
use crate::i18n::{Lang, Messages};

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/hall/{centre}/appointments", get(book_page).post(book))
        .route("/my/appointments", get(mine))
        .route("/my/appointments/{id}/cancel", post(cancel))
}

/// Who books: applicants for themselves, agents for an applicant.
pub struct Bookers;

impl Roles for Bookers {
    const ROLES: &'static [Role] = &[Role::Applicant, Role::Agent];
}

/// One option of a select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A slot as the booking form shows it.
struct SlotRow {
    slot: String,
    ends: String,
    places: u32,
    left: u32,
    /// May be chosen: still open and not full.
    bookable: bool,
    /// Neither open nor bookable because it ended.
    ended: bool,
    chosen: bool,
}

impl SlotRow {
    /// The radio button's id.
    fn input_id(&self) -> String {
        format!("slot-{}", self.slot.replace(':', ""))
    }
}

/// Each field's refusal, in the page's language.
#[derive(Default)]
struct FieldErrors {
    day: Option<String>,
    business: Option<String>,
    slot: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    id_number: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.day.is_some()
            || self.business.is_some()
            || self.slot.is_some()
            || self.name.is_some()
            || self.phone.is_some()
            || self.id_number.is_some()
    }

    fn from_service(t: &Messages, errors: &[FieldError]) -> Self {
        let mut out = FieldErrors::default();
        for e in errors {
            let text = error_text(t, e);
            let place = match e.field.as_str() {
                "day" => &mut out.day,
                "business" => &mut out.business,
                "slot" => &mut out.slot,
                "name" => &mut out.name,
                "phone" => &mut out.phone,
                _ => &mut out.id_number,
            };
            match place {
                Some(before) => {
                    before.push(' ');
                    before.push_str(&text);
                }
                None => *place = Some(text),
            }
        }
        out
    }
}

/// The message key of a refusal of the service this page knows, by its field and the leading
/// words of its reason (`domain::appointment::BookingRefusal` and the service's checks).
fn error_key(field: &str, reason: &str) -> Option<&'static str> {
    let r = reason.trim();
    Some(match field {
        "day" if r.contains("is not a working day") => "appointments-error-not-working-day",
        "day" if r.contains("has passed") => "appointments-error-day-past",
        "day" if r.starts_with("too far ahead") => "appointments-error-too-far",
        "day" if r.starts_with("this applicant already has an appointment") => {
            "appointments-error-already"
        }
        "slot" if r.starts_with("no slot starts at") => "appointments-error-no-slot",
        "slot" if r.contains("has ended") => "appointments-error-slot-over",
        "slot" if r.contains("is full") => "appointments-error-full",
        "business" if r.starts_with("no window of this centre") => "appointments-error-not-served",
        "business" if r.starts_with("no department with code") => {
            "appointments-error-unknown-business"
        }
        "id_number" if r.starts_with("not a valid") => "appointments-error-id-invalid",
        "id_number" if r.starts_with("an applicant books for themselves") => {
            "appointments-error-id-own"
        }
        "id_number" if r.starts_with("required") => "appointments-error-id-required",
        "id_number" if r.starts_with("your account stands for no identity") => {
            "appointments-error-id-none"
        }
        "name" if r.starts_with("required") => "appointments-error-name-required",
        "phone" if r.starts_with("digits only") => "appointments-error-phone",
        _ => return None,
    })
}

fn error_text(t: &Messages, e: &FieldError) -> String {
    match error_key(&e.field, &e.reason) {
        Some("appointments-error-too-far") => t.fill1(
            "appointments-error-too-far",
            "days",
            RULES.days_ahead.to_string(),
        ),
        Some(key) => t.get(key).to_string(),
        None => super::reasons::reason_or_general(t, e),
    }
}

fn department_name(lang: Lang, d: &Department) -> String {
    match lang {
        Lang::En if !d.name_en.is_empty() => d.name_en.clone(),
        _ => d.name.clone(),
    }
}

/// The name of a business: general business, or the department's name.
fn business_name(t: &Messages, departments: &[Department], code: &str) -> String {
    if code.is_empty() {
        return t.get("appointments-general").to_string();
    }
    departments
        .iter()
        .find(|d| d.code == code)
        .map_or_else(|| code.to_string(), |d| department_name(t.lang(), d))
}

#[derive(Template)]
#[template(path = "appointments/book.html")]
struct BookPage {
    chrome: Chrome,
    centre: String,
    centre_name: String,
    hours: String,
    businesses: Vec<Choice>,
    days: Vec<Choice>,
    business: String,
    day: String,
    /// The slots of the chosen day and business; `None` when they cannot be shown.
    slots: Option<Vec<SlotRow>>,
    /// A booking was sent and refused: its form comes back even when no slot can be shown.
    posted: bool,
    /// Signed in as someone who books.
    may_book: bool,
    signed_in: bool,
    agent: bool,
    name: String,
    phone: String,
    id_number: String,
    errors: FieldErrors,
    login_href: String,
}

impl BookPage {
    /// Whether the chosen day is one of the days offered (a day typed into the address is
    /// shown as typed).
    fn day_listed(&self) -> bool {
        self.days.iter().any(|d| d.selected)
    }

    fn rows(&self) -> &[SlotRow] {
        self.slots.as_deref().unwrap_or_default()
    }

    fn any_bookable(&self) -> bool {
        self.slots
            .as_ref()
            .is_some_and(|s| s.iter().any(|r| r.bookable))
    }
}

#[derive(Debug, Deserialize, Default)]
struct Choose {
    #[serde(default)]
    business: Option<String>,
    #[serde(default)]
    day: Option<String>,
}

/// What the visitor typed into the booking form, kept when it comes back refused.
#[derive(Debug, Deserialize, Default)]
struct BookForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    business: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    slot: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
}

impl CarriesCsrf for BookForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// Draws the booking page for `business` and `day` (as typed), with `typed` and `errors` of a
/// refused booking.
async fn draw(
    service: &Service,
    ctx: &PageCtx,
    centre_code: &str,
    business: Option<String>,
    day: Option<String>,
    typed: Option<BookForm>,
    mut errors: FieldErrors,
) -> PageResult {
    let posted = typed.is_some();
    let typed = typed.unwrap_or_default();
    let t = ctx.chrome.t;
    let lang = ctx.chrome.lang;
    let centre = service
        .centre(centre_code)
        .await
        .or_page(ctx)?
        .ok_or_else(|| ctx.app_error(AppError::not_found(format!("centre {centre_code}"))))?;
    let departments = service.departments().await.or_page(ctx)?;
    let offered = service
        .appointment_businesses(&centre.code)
        .await
        .or_page(ctx)?;
    let days = service.appointment_days(&centre.code).await.or_page(ctx)?;
    let business = business
        .map(|b| b.trim().to_string())
        .unwrap_or_else(|| offered.first().cloned().unwrap_or_default());
    let day = day
        .map(|d| d.trim().to_string())
        .or_else(|| days.first().map(|d| d.format("%Y-%m-%d").to_string()))
        .unwrap_or_default();

    let mut slots = None;
    match parse_day(&day) {
        None => {
            errors
                .day
                .get_or_insert_with(|| t.get("appointments-error-day-format").to_string());
        }
        Some(parsed) => match service
            .appointment_slots(&centre.code, &business, parsed)
            .await
        {
            Ok(found) => slots = Some(slot_rows(found, &typed.slot)),
            Err(AppError::Invalid(refused)) => {
                let shown = FieldErrors::from_service(t, &refused);
                errors.day = errors.day.or(shown.day);
                errors.business = errors.business.or(shown.business);
            }
            Err(e) => return Err(ctx.app_error(e).into()),
        },
    }

    let session = ctx.session.as_ref();
    let may_book = session.is_some_and(|s| {
        Bookers::ROLES
            .iter()
            .any(|r| s.actor.principal.has_role(*r))
    });
    let agent = session.is_some_and(|s| s.actor.principal.has_role(Role::Agent));
    let name = if typed.name.is_empty() && !agent {
        session
            .map(|s| s.actor.principal.display_name.clone())
            .unwrap_or_default()
    } else {
        typed.name
    };
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = BookPage {
        centre_name: match lang {
            Lang::En if !centre.name_en.is_empty() => centre.name_en.clone(),
            _ => centre.name.clone(),
        },
        hours: format!("{}–{}", centre.opens, centre.closes),
        businesses: offered
            .iter()
            .map(|code| Choice {
                label: business_name(t, &departments, code),
                selected: *code == business,
                value: code.clone(),
            })
            .collect(),
        days: days
            .iter()
            .map(|d| {
                let value = d.format("%Y-%m-%d").to_string();
                Choice {
                    label: t.date(d),
                    selected: value == day,
                    value,
                }
            })
            .collect(),
        login_href: format!("/login?next={}", encode_query_value(&ctx.chrome.here)),
        centre: centre.code,
        business,
        day,
        slots,
        posted,
        may_book,
        signed_in: session.is_some(),
        agent,
        name,
        phone: typed.phone,
        id_number: typed.id_number,
        errors,
        chrome: ctx.chrome.clone(),
    };
    Ok((status, render(&page)).into_response())
}

fn slot_rows(found: DaySlots, chosen: &str) -> Vec<SlotRow> {
    found
        .slots
        .into_iter()
        .map(|s| SlotRow {
            bookable: s.open && s.left > 0,
            ended: !s.open,
            chosen: s.slot == chosen,
            ends: s.ends,
            places: s.places,
            left: s.left,
            slot: s.slot,
        })
        .collect()
}

async fn book_page(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(centre): Path<String>,
    Query(q): Query<Choose>,
) -> PageResult {
    draw(
        &service,
        &ctx,
        &centre,
        q.business,
        q.day,
        None,
        FieldErrors::default(),
    )
    .await
}

async fn book(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Bookers>,
    Path(centre): Path<String>,
    CsrfForm(form): CsrfForm<BookForm>,
) -> PageResult {
    let t = ctx.chrome.t;
    let mut errors = FieldErrors::default();
    let day = parse_day(&form.day);
    if day.is_none() {
        errors.day = Some(t.get("appointments-error-day-format").to_string());
    }
    if form.slot.trim().is_empty() {
        errors.slot = Some(t.get("appointments-error-slot-required").to_string());
    }
    if let (Some(day), false) = (day, errors.any()) {
        let request = BookAppointment {
            day,
            slot: form.slot.clone(),
            business: form.business.clone(),
            name: form.name.clone(),
            phone: form.phone.clone(),
            id_number: Some(form.id_number.clone()).filter(|s| !s.trim().is_empty()),
        };
        match service
            .book_appointment(&session.actor, &centre, request)
            .await
        {
            Ok(booked) => {
                return Ok(see_other(&format!(
                    "/my/appointments?booked={}#a-{}",
                    encode_query_value(&booked.id),
                    encode_query_value(&booked.id)
                )));
            }
            Err(AppError::Invalid(refused)) => {
                errors = FieldErrors::from_service(t, &refused);
            }
            Err(e) => return Err(ctx.app_error(e).into()),
        }
    }
    let (business, day) = (form.business.clone(), form.day.clone());
    draw(
        &service,
        &ctx,
        &centre,
        Some(business),
        Some(day),
        Some(form),
        errors,
    )
    .await
}

/// An appointment as the list shows it.
struct Row {
    id: String,
    day: String,
    time: String,
    centre: String,
    business: String,
    name: String,
    state: AppointmentState,
    /// Just booked: the line the page scrolls to and marks.
    fresh: bool,
}

impl Row {
    fn state_key(&self) -> &'static str {
        match self.state {
            AppointmentState::Booked => "appointments-state-booked",
            AppointmentState::CheckedIn => "appointments-state-checked_in",
            AppointmentState::Cancelled => "appointments-state-cancelled",
            AppointmentState::Missed => "appointments-state-missed",
        }
    }

    fn badge(&self) -> &'static str {
        match self.state {
            AppointmentState::Booked => "ok",
            AppointmentState::CheckedIn => "",
            AppointmentState::Cancelled => "",
            AppointmentState::Missed => "bad",
        }
    }

    fn cancellable(&self) -> bool {
        self.state == AppointmentState::Booked
    }
}

#[derive(Template)]
#[template(path = "appointments/mine.html")]
struct MinePage {
    chrome: Chrome,
    rows: Vec<Row>,
    booked: bool,
    cancelled: bool,
    /// A refused cancellation, above the list.
    error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
struct MineQuery {
    #[serde(default)]
    booked: Option<String>,
    #[serde(default)]
    cancelled: Option<String>,
}

async fn list(
    service: &Service,
    ctx: &PageCtx,
    actor: &onewindow_app::Actor,
    fresh: Option<&str>,
) -> Result<Vec<Row>, super::page_error::PageError> {
    let t = ctx.chrome.t;
    let lang = ctx.chrome.lang;
    let found: Vec<Appointment> = service.my_appointments(actor).await.or_page(ctx)?;
    let departments = service.departments().await.or_page(ctx)?;
    let centres = service.centres().await.or_page(ctx)?;
    Ok(found
        .into_iter()
        .map(|a| Row {
            day: t.date(&a.day),
            time: format!("{}–{}", a.slot, a.slot_ends),
            centre: centres.iter().find(|c| c.code == a.centre).map_or_else(
                || a.centre.clone(),
                |c| match lang {
                    Lang::En if !c.name_en.is_empty() => c.name_en.clone(),
                    _ => c.name.clone(),
                },
            ),
            business: business_name(t, &departments, &a.business),
            name: a.name,
            state: a.state,
            fresh: fresh == Some(a.id.as_str()),
            id: a.id,
        })
        .collect())
}

async fn mine(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Bookers>,
    Query(q): Query<MineQuery>,
) -> PageResult {
    let rows = list(&service, &ctx, &session.actor, q.booked.as_deref()).await?;
    Ok(render(&MinePage {
        chrome: ctx.chrome.clone(),
        rows,
        booked: q.booked.is_some(),
        cancelled: q.cancelled.is_some(),
        error: None,
    }))
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrf for TokenForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

async fn cancel(
    State(service): State<Service>,
    Member { ctx, session, .. }: Member<Bookers>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<TokenForm>,
) -> PageResult {
    match service.cancel_appointment(&session.actor, &id).await {
        Ok(_) => Ok(see_other("/my/appointments?cancelled=1")),
        Err(AppError::Conflict(_)) => {
            let rows = list(&service, &ctx, &session.actor, None).await?;
            let page = MinePage {
                chrome: ctx.chrome.clone(),
                rows,
                booked: false,
                cancelled: false,
                error: Some(ctx.chrome.t.get("appointments-cancel-refused").to_string()),
            };
            Ok((StatusCode::CONFLICT, render(&page)).into_response())
        }
        Err(e) => Err(ctx.app_error(e).into()),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use onewindow_domain::appointment::BookingRefusal;
    use onewindow_domain::validation::FieldError;

    use super::error_key;
    use crate::pages::testing::{Visitor, site};

    /// Every refusal of a booking the domain can give reads in the page's words.
    #[test]
    fn every_refusal_has_its_words() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 7).expect("a day");
        let time = chrono::NaiveTime::from_hms_opt(8, 30, 0).expect("a time");
        for refusal in [
            BookingRefusal::NotWorkingDay { day },
            BookingRefusal::DayPast { day },
            BookingRefusal::TooFarAhead {
                day,
                last_day: day,
                days: 7,
            },
            BookingRefusal::AlreadyBooked {
                slot: "09:00".into(),
            },
            BookingRefusal::NoSuchSlot {
                slot: "9h".into(),
                opens: time,
                closes: time,
                minutes: 30,
            },
            BookingRefusal::SlotOver {
                slot: "09:00".into(),
            },
            BookingRefusal::Full {
                slot: "09:00".into(),
                places: 4,
            },
            BookingRefusal::NotServed,
        ] {
            let e = FieldError::new(refusal.field(), refusal.to_string());
            assert!(error_key(&e.field, &e.reason).is_some(), "{e}");
        }
    }

    /// The booking page shows the slots with the places left to anyone and asks a visitor to
    /// sign in; an applicant books through the form (a non-working day and a wrong slot come
    /// back with the reason next to the field, nothing booked), sees the appointment in the
    /// list and cancels it with the list's button; a foreign form without the CSRF token is
    /// refused.
    #[tokio::test]
    async fn an_applicant_books_sees_and_cancels_through_the_pages() {
        let site = site().await;
        // Monday 2 November 2026: Tuesday the 3rd is a working day, Saturday the 7th is not.
        let page = site
            .get(
                &Visitor::default(),
                "/hall/county-hall/appointments?business=&day=2026-11-03",
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("预约"), "{}", page.body);
        assert!(page.body.contains("08:30"));
        assert!(
            page.body.contains("/login?next="),
            "a visitor is asked to sign in"
        );
        assert!(!page.body.contains("id=\"book\""));

        let citizen = site.login("citizen", "shimin-2026").await;
        let saturday = site
            .get(
                &citizen,
                "/hall/county-hall/appointments?business=&day=2026-11-07",
            )
            .await;
        assert_eq!(saturday.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            saturday.body.contains("id=\"day-error\""),
            "{}",
            saturday.body
        );
        assert!(saturday.body.contains("不是工作日"), "{}", saturday.body);

        let form = site
            .get(
                &citizen,
                "/hall/county-hall/appointments?business=&day=2026-11-03",
            )
            .await;
        assert!(form.body.contains("id=\"book\""), "{}", form.body);
        assert!(form.body.contains("name=\"csrf_token\""));

        let refused = site
            .post_form(
                &citizen,
                "/hall/county-hall/appointments",
                &[
                    ("business", ""),
                    ("day", "2026-11-07"),
                    ("slot", "10:10"),
                    ("phone", "13800000000"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains("id=\"day-error\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("id=\"slot-error\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"13800000000\""),
            "kept as typed"
        );
        let mine = site.get(&citizen, "/my/appointments").await;
        assert!(
            mine.body.contains("id=\"appointments-empty\""),
            "{}",
            mine.body
        );

        let booked = site
            .post_form(
                &citizen,
                "/hall/county-hall/appointments",
                &[("business", ""), ("day", "2026-11-03"), ("slot", "10:00")],
            )
            .await;
        assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
        let to = booked.location().expect("a redirect").to_string();
        assert!(to.starts_with("/my/appointments?booked="), "{to}");
        let list = site.get(&citizen, &to).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("10:00–10:30"), "{}", list.body);
        assert!(list.body.contains("已预约"), "{}", list.body);
        let id = site
            .service
            .my_appointments(
                &site
                    .service
                    .authenticate(citizen.session.as_deref().expect("session"), "test")
                    .await
                    .expect("signed in")
                    .actor,
            )
            .await
            .expect("the list")[0]
            .id
            .clone();
        let slots = site
            .get(
                &citizen,
                "/hall/county-hall/appointments?business=&day=2026-11-03",
            )
            .await;
        assert!(
            slots.body.contains("21/22"),
            "one place taken: {}",
            slots.body
        );

        // A form from elsewhere carries no CSRF token.
        let forged = site
            .post_form(
                &citizen,
                &format!("/my/appointments/{id}/cancel"),
                &[("csrf_token", "forged")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let cancelled = site
            .post_form(&citizen, &format!("/my/appointments/{id}/cancel"), &[])
            .await;
        assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
        let list = site.get(&citizen, "/my/appointments?cancelled=1").await;
        assert!(list.body.contains("已取消"), "{}", list.body);
        let again = site
            .post_form(&citizen, &format!("/my/appointments/{id}/cancel"), &[])
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);

        // Staff book nothing; a visitor goes to the login.
        let clerk = site.login("clerk", "chuangkou-2026").await;
        assert_eq!(
            site.get(&clerk, "/my/appointments").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            site.get(&Visitor::default(), "/my/appointments")
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        let english = site
            .get(
                &citizen.clone().in_english(),
                "/hall/county-hall/appointments?business=&day=2026-11-07",
            )
            .await;
        assert!(
            english.body.contains("not a working day"),
            "{}",
            english.body
        );
    }
}
