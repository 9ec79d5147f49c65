//! Appointments (预约): an applicant (or an agent for them) books a time slot at a centre for a
//! business online, and checks the appointment in at the hall's kiosk on the day, which issues a
//! ticket (`Y…`) that the windows call first. Pure rules: the slots of a day, the places of a
//! slot, which days and slots may be booked, when an appointment is missed, when it may be
//! checked in. The store counts a slot's bookings under a lock in the booking's transaction; the
//! rule it applies is [`may_book`].
//!
//! What this module decides, with the county's numbers in [`AppointmentRules::standard`]:
//!
//! - **Slots.** A day's slots run from the centre's opening time, one every
//!   [`AppointmentRules::slot_minutes`] (30), each ending by the closing time: 08:30–17:00 gives
//!   17 slots, the last 16:30–17:00. A slot is named by its start, `HH:MM`.
//! - **Places.** An appointment takes a place in the *pool* of its business (see
//!   [`Pool`]): a department's business goes to the department's own windows (departmental or
//!   independent) when the centre has any, otherwise, like general business (`""`), to the
//!   comprehensive windows, which serve everything. A slot holds
//!   [`AppointmentRules::places_per_window`] (2) places per window of the pool. The
//!   comprehensive pool is one pool: general business and every department without a window of
//!   its own share its places, so a comprehensive window is never promised twice over. A
//!   departmental window that serves several departments counts in each of their pools.
//! - **Days.** Only a working day (the caller asks the calendar), from today up to the
//!   [`AppointmentRules::days_ahead`]th (7th) working day after today. Today's slots may be
//!   booked until they end (即约即取: the places that earlier bookers missed are free again).
//! - **States.** booked → checked in, booked → cancelled (by its booker), booked → missed. An
//!   appointment is **missed** when it is not checked in by its slot's start plus
//!   [`AppointmentRules::grace_minutes`] (15) — or, booked after its slot started, by its
//!   booking plus the grace. Missed and cancelled appointments hold no place.
//! - **One at a time.** An identity holds at most one booked appointment per centre and day.
//! - **Check-in.** On the appointment's day, at its centre, from
//!   [`AppointmentRules::early_minutes`] (30) before the slot's start until it would be missed.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::hall::{OpeningHours, WindowKind, WindowSkills};

/// The county's numbers for appointments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppointmentRules {
    /// The length of a slot in minutes.
    pub slot_minutes: u32,
    /// Places per slot for each window of a pool.
    pub places_per_window: u32,
    /// How many working days after today may be booked.
    pub days_ahead: u32,
    /// How long before its slot an appointment may be checked in, in minutes.
    pub early_minutes: u32,
    /// How long after its slot's start an appointment may still be checked in, in minutes.
    pub grace_minutes: u32,
}

impl Default for AppointmentRules {
    fn default() -> Self {
        Self::standard()
    }
}

impl AppointmentRules {
    /// 30-minute slots, 2 places per window, 7 working days ahead, check-in from 30 minutes
    /// before the slot until 15 minutes after its start.
    pub const fn standard() -> Self {
        Self {
            slot_minutes: 30,
            places_per_window: 2,
            days_ahead: 7,
            early_minutes: 30,
            grace_minutes: 15,
        }
    }

    fn slot_length(&self) -> Duration {
        Duration::minutes(i64::from(self.slot_minutes.max(1)))
    }

    /// The slots of a working day at a centre open `hours`, in order: each starts where the one
    /// before ended and ends by the closing time.
    pub fn slots(&self, hours: OpeningHours) -> Vec<Slot> {
        let length = self.slot_length();
        let mut slots = Vec::new();
        let mut start = hours.opens;
        loop {
            let (end, wrapped) = start.overflowing_add_signed(length);
            if wrapped != 0 || end > hours.closes || end <= start {
                break;
            }
            slots.push(Slot { start, end });
            start = end;
        }
        slots
    }

    /// The slot of `hours` that starts at `label` (`HH:MM`), if there is one.
    pub fn slot(&self, hours: OpeningHours, label: &str) -> Option<Slot> {
        let start = NaiveTime::parse_from_str(label.trim(), "%H:%M").ok()?;
        self.slots(hours).into_iter().find(|s| s.start == start)
    }

    /// The pool a booking of `business` takes a place in among the centre's `windows`, and how
    /// many places a slot of it holds; `None` when no window of the centre serves the business.
    pub fn capacity(&self, windows: &[WindowSkills], business: &str) -> Option<Capacity> {
        let own = if business.is_empty() {
            0
        } else {
            windows
                .iter()
                .filter(|w| w.kind != WindowKind::Comprehensive && w.serves(business))
                .count()
        };
        let (pool, count) = if own > 0 {
            (Pool::Department(business.to_string()), own)
        } else {
            let comprehensive = windows
                .iter()
                .filter(|w| w.kind == WindowKind::Comprehensive)
                .count();
            if comprehensive == 0 {
                return None;
            }
            (Pool::Comprehensive, comprehensive)
        };
        let windows = u32::try_from(count).unwrap_or(u32::MAX);
        Some(Capacity {
            pool,
            windows,
            places: windows.saturating_mul(self.places_per_window),
        })
    }

    /// Whether `day` may be booked at `now` (China time): a working day between today and
    /// `last_day` (the [`AppointmentRules::days_ahead`]th working day after today). Every reason
    /// is given; each names the field `day`.
    pub fn check_day(
        &self,
        day: NaiveDate,
        now: NaiveDateTime,
        is_working_day: bool,
        last_day: NaiveDate,
    ) -> Vec<BookingRefusal> {
        let mut refusals = Vec::new();
        if day < now.date() {
            refusals.push(BookingRefusal::DayPast { day });
        } else if day > last_day {
            refusals.push(BookingRefusal::TooFarAhead {
                day,
                last_day,
                days: self.days_ahead,
            });
        }
        if !is_working_day {
            refusals.push(BookingRefusal::NotWorkingDay { day });
        }
        refusals
    }

    /// Whether `slot` of `day` may still be booked at `now` (China time): until it ends.
    pub fn is_open(&self, day: NaiveDate, slot: Slot, now: NaiveDateTime) -> bool {
        day > now.date() || (day == now.date() && now.time() < slot.end)
    }

    /// Whether `day`'s slot `slot` (its start, `HH:MM`) may be booked at `now` (China time):
    /// the day passes [`Self::check_day`], the slot is one of the centre's, and it has not
    /// ended ([`Self::is_open`]). Every reason is given, each naming its field.
    pub fn check_booking(&self, booking: &BookingDay<'_>) -> Result<Slot, Vec<BookingRefusal>> {
        let day = booking.day;
        let mut refusals =
            self.check_day(day, booking.now, booking.is_working_day, booking.last_day);
        let slot = self.slot(booking.hours, booking.slot);
        match slot {
            None => refusals.push(BookingRefusal::NoSuchSlot {
                slot: booking.slot.trim().to_string(),
                opens: booking.hours.opens,
                closes: booking.hours.closes,
                minutes: self.slot_minutes,
            }),
            Some(s) if day >= booking.now.date() && !self.is_open(day, s, booking.now) => {
                refusals.push(BookingRefusal::SlotOver { slot: s.label() });
            }
            Some(_) => {}
        }
        match slot {
            Some(s) if refusals.is_empty() => Ok(s),
            _ => Err(refusals),
        }
    }

    /// When the check-in of an appointment of `day`'s `slot` opens.
    pub fn check_in_opens(&self, day: NaiveDate, slot: Slot) -> NaiveDateTime {
        day.and_time(slot.start) - Duration::minutes(i64::from(self.early_minutes))
    }

    /// Until when an appointment of `day`'s `slot` booked at `booked_at` may be checked in;
    /// after it, the appointment is missed. The grace runs from the slot's start, or from the
    /// booking when it was made after the slot started.
    pub fn check_in_until(
        &self,
        day: NaiveDate,
        slot: Slot,
        booked_at: NaiveDateTime,
    ) -> NaiveDateTime {
        day.and_time(slot.start).max(booked_at) + Duration::minutes(i64::from(self.grace_minutes))
    }

    /// Whether an appointment in `state` (as stored) may be checked in at `now`, at the centre
    /// where it is (`at_its_centre`); the answer names why not.
    pub fn check_in(&self, check: &CheckIn) -> Result<(), CheckInRefusal> {
        let state = check.state.effective(check.until, check.now);
        if state != AppointmentState::Booked {
            return Err(CheckInRefusal::NotBooked { state });
        }
        if !check.at_its_centre {
            return Err(CheckInRefusal::OtherCentre);
        }
        if check.now.date() != check.day {
            return Err(CheckInRefusal::OtherDay { day: check.day });
        }
        if check.now < check.opens {
            return Err(CheckInRefusal::TooEarly {
                opens: check.opens.time(),
            });
        }
        Ok(())
    }
}

/// What a booking asks and what the caller knows of the day.
#[derive(Debug, Clone, Copy)]
pub struct BookingDay<'a> {
    pub day: NaiveDate,
    /// The slot's start as given, `HH:MM`.
    pub slot: &'a str,
    /// Now, China time.
    pub now: NaiveDateTime,
    /// Whether `day` is a working day on the calendar.
    pub is_working_day: bool,
    /// The [`AppointmentRules::days_ahead`]th working day after today.
    pub last_day: NaiveDate,
    /// The centre's hours.
    pub hours: OpeningHours,
}

/// An appointment at the kiosk, as the check-in judges it.
#[derive(Debug, Clone, Copy)]
pub struct CheckIn {
    pub state: AppointmentState,
    pub day: NaiveDate,
    /// [`AppointmentRules::check_in_opens`] of the appointment.
    pub opens: NaiveDateTime,
    /// [`AppointmentRules::check_in_until`] of the appointment.
    pub until: NaiveDateTime,
    /// Now, China time.
    pub now: NaiveDateTime,
    /// Whether the kiosk is at the appointment's centre.
    pub at_its_centre: bool,
}

/// One slot of a day (时段).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Slot {
    /// The slot's name: its start, `HH:MM`.
    pub fn label(&self) -> String {
        self.start.format("%H:%M").to_string()
    }

    /// Its end, `HH:MM`.
    pub fn end_label(&self) -> String {
        self.end.format("%H:%M").to_string()
    }
}

/// The windows whose places an appointment takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pool {
    /// The comprehensive windows (综合受理窗口): general business, and a department's business
    /// at a centre without a window of that department.
    Comprehensive,
    /// The departmental and independent windows of one department.
    Department(String),
}

impl Pool {
    /// As stored: `comprehensive` or `department:<code>`.
    pub fn key(&self) -> String {
        match self {
            Pool::Comprehensive => "comprehensive".to_string(),
            Pool::Department(code) => format!("department:{code}"),
        }
    }
}

/// The places of a slot for one business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capacity {
    pub pool: Pool,
    /// The windows of the pool.
    pub windows: u32,
    /// Places per slot: windows × places per window.
    pub places: u32,
}

/// Where an appointment stands (预约状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppointmentState {
    /// Booked, waiting to be checked in.
    Booked,
    /// Checked in at the kiosk: a ticket was issued.
    CheckedIn,
    /// Cancelled by its booker.
    Cancelled,
    /// Not checked in in time (爽约).
    Missed,
}

impl AppointmentState {
    pub const ALL: [AppointmentState; 4] = [
        AppointmentState::Booked,
        AppointmentState::CheckedIn,
        AppointmentState::Cancelled,
        AppointmentState::Missed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentState::Booked => "booked",
            AppointmentState::CheckedIn => "checked_in",
            AppointmentState::Cancelled => "cancelled",
            AppointmentState::Missed => "missed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// True while the appointment takes a place of its slot: booked or checked in. Missed and
    /// cancelled appointments free theirs.
    pub fn holds_place(self) -> bool {
        matches!(self, AppointmentState::Booked | AppointmentState::CheckedIn)
    }

    /// The state at `now` of an appointment stored in this state whose check-in closes at
    /// `until`: a booked one not checked in by then is missed, whether or not the store has
    /// written it yet.
    pub fn effective(self, until: NaiveDateTime, now: NaiveDateTime) -> Self {
        if self == AppointmentState::Booked && now > until {
            AppointmentState::Missed
        } else {
            self
        }
    }

    /// The state after its booker cancels it; only a booked appointment can be.
    pub fn cancel(self) -> Result<Self, AppointmentState> {
        match self {
            AppointmentState::Booked => Ok(AppointmentState::Cancelled),
            other => Err(other),
        }
    }
}

/// Whether one more booking fits a slot that `holding` appointments hold of `places`.
pub fn may_book(holding: u32, places: u32, slot: &str) -> Result<(), BookingRefusal> {
    if holding < places {
        Ok(())
    } else {
        Err(BookingRefusal::Full {
            slot: slot.to_string(),
            places,
        })
    }
}

/// Whether an applicant may book at a centre on a day where they already hold `held` (the
/// slot of an appointment booked and not missed there that day, if any): one at a time, so that
/// nobody holds places they cannot all use.
pub fn may_book_again(held: Option<&str>) -> Result<(), BookingRefusal> {
    match held {
        None => Ok(()),
        Some(slot) => Err(BookingRefusal::AlreadyBooked {
            slot: slot.to_string(),
        }),
    }
}

/// Why a booking is refused; each reason names the field at fault ([`BookingRefusal::field`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingRefusal {
    #[error("{day} is not a working day: appointments are for working days")]
    NotWorkingDay { day: NaiveDate },
    #[error("{day} has passed: book today or a later working day")]
    DayPast { day: NaiveDate },
    #[error(
        "too far ahead: appointments are taken up to {days} working days ahead, until {last_day}"
    )]
    TooFarAhead {
        day: NaiveDate,
        last_day: NaiveDate,
        days: u32,
    },
    #[error(
        "no slot starts at {slot:?}: slots start every {minutes} minutes from {from} and end by {to}",
        from = .opens.format("%H:%M"),
        to = .closes.format("%H:%M")
    )]
    NoSuchSlot {
        slot: String,
        opens: NaiveTime,
        closes: NaiveTime,
        minutes: u32,
    },
    #[error("the slot {slot} has ended: choose a later one")]
    SlotOver { slot: String },
    #[error("the slot {slot} is full: all {places} places are booked")]
    Full { slot: String, places: u32 },
    #[error("no window of this centre serves this business")]
    NotServed,
    #[error(
        "this applicant already has an appointment here that day, at {slot}: cancel it first to book another"
    )]
    AlreadyBooked { slot: String },
}

impl BookingRefusal {
    /// The field of the booking at fault: `day`, `slot` or `business`.
    pub fn field(&self) -> &'static str {
        match self {
            BookingRefusal::NotWorkingDay { .. }
            | BookingRefusal::DayPast { .. }
            | BookingRefusal::TooFarAhead { .. }
            | BookingRefusal::AlreadyBooked { .. } => "day",
            BookingRefusal::NoSuchSlot { .. }
            | BookingRefusal::SlotOver { .. }
            | BookingRefusal::Full { .. } => "slot",
            BookingRefusal::NotServed => "business",
        }
    }
}

/// Why a check-in is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckInRefusal {
    #[error("the appointment is {now}, not booked: only a booked appointment is checked in", now = .state.as_str())]
    NotBooked { state: AppointmentState },
    #[error("the appointment is for another centre")]
    OtherCentre,
    #[error("the appointment is for {day}, not today")]
    OtherDay { day: NaiveDate },
    #[error("too early: the check-in opens at {at}", at = .opens.format("%H:%M"))]
    TooEarly { opens: NaiveTime },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hall::{TicketSource, Waiting, next_ticket, ticket_priority};
    use chrono::{DateTime, TimeZone, Utc};
    use proptest::prelude::*;

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("time")
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).expect("date")
    }

    fn window(kind: WindowKind, departments: &[&str]) -> WindowSkills {
        WindowSkills {
            kind,
            departments: departments.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn booking<'a>(d: NaiveDate, slot: &'a str, now: NaiveDateTime) -> BookingDay<'a> {
        BookingDay {
            day: d,
            slot,
            now,
            is_working_day: true,
            last_day: day(16),
            hours: OpeningHours::standard(),
        }
    }

    #[test]
    fn a_standard_day_has_seventeen_half_hour_slots() {
        let slots = AppointmentRules::standard().slots(OpeningHours::standard());
        assert_eq!(slots.len(), 17);
        assert_eq!(slots[0].label(), "08:30");
        assert_eq!(slots[16].label(), "16:30");
        assert_eq!(slots[16].end_label(), "17:00");
        let odd = OpeningHours::parse("09:00", "10:45").expect("hours");
        let labels: Vec<String> = AppointmentRules::standard()
            .slots(odd)
            .iter()
            .map(Slot::label)
            .collect();
        assert_eq!(
            labels,
            ["09:00", "09:30", "10:00"],
            "no slot runs past closing"
        );
    }

    #[test]
    fn places_go_to_the_pool_of_the_business() {
        let rules = AppointmentRules::standard();
        let windows = [
            window(WindowKind::Comprehensive, &[]),
            window(WindowKind::Comprehensive, &[]),
            window(WindowKind::Comprehensive, &[]),
            window(WindowKind::Departmental, &["SCJGJ"]),
            window(WindowKind::Independent, &["SCJGJ"]),
            window(WindowKind::Independent, &["CRJ"]),
        ];
        let general = rules.capacity(&windows, "").expect("served");
        assert_eq!(
            (general.pool.clone(), general.places),
            (Pool::Comprehensive, 6)
        );
        let market = rules.capacity(&windows, "SCJGJ").expect("served");
        assert_eq!(market.pool, Pool::Department("SCJGJ".into()));
        assert_eq!((market.windows, market.places), (2, 4));
        // No window of its own: the comprehensive windows, which serve everything.
        let tax = rules.capacity(&windows, "SWJ").expect("served");
        assert_eq!(tax.pool, Pool::Comprehensive);
        assert_eq!(tax.pool.key(), "comprehensive");
        assert_eq!(market.pool.key(), "department:SCJGJ");
        // A centre with only a department's window serves nothing else.
        let only = [window(WindowKind::Departmental, &["GAJ"])];
        assert_eq!(rules.capacity(&only, ""), None);
        assert_eq!(rules.capacity(&only, "SCJGJ"), None);
        assert_eq!(rules.capacity(&only, "GAJ").map(|c| c.places), Some(2));
    }

    #[test]
    fn only_working_days_from_today_to_the_seventh_working_day_ahead() {
        let rules = AppointmentRules::standard();
        let now = day(7).and_time(time(9, 0));
        assert_eq!(
            rules
                .check_booking(&booking(day(8), "10:00", now))
                .map(|s| s.label()),
            Ok("10:00".to_string())
        );
        let mut saturday = booking(day(12), "10:00", now);
        saturday.is_working_day = false;
        let refused = rules.check_booking(&saturday).expect_err("saturday");
        assert_eq!(refused, [BookingRefusal::NotWorkingDay { day: day(12) }]);
        assert_eq!(refused[0].field(), "day");
        let far = rules
            .check_booking(&booking(day(17), "10:00", now))
            .expect_err("too far");
        assert!(matches!(far[..], [BookingRefusal::TooFarAhead { .. }]));
        assert!(far[0].to_string().contains("2026-12-16"), "{}", far[0]);
        let past = rules
            .check_booking(&booking(day(4), "10:00", now))
            .expect_err("past");
        assert!(matches!(past[..], [BookingRefusal::DayPast { .. }]));
        // Every wrong field at once.
        let mut both = booking(day(13), "10:10", now);
        both.is_working_day = false;
        let fields: Vec<&str> = rules
            .check_booking(&both)
            .expect_err("refused")
            .iter()
            .map(BookingRefusal::field)
            .collect();
        assert_eq!(fields, ["day", "slot"]);
    }

    #[test]
    fn today_a_slot_may_be_booked_until_it_ends() {
        let rules = AppointmentRules::standard();
        let now = day(7).and_time(time(10, 20));
        assert!(rules.check_booking(&booking(day(7), "10:00", now)).is_ok());
        assert!(rules.check_booking(&booking(day(7), "16:30", now)).is_ok());
        let over = rules.check_booking(&booking(day(7), "09:30", now));
        assert_eq!(
            over,
            Err(vec![BookingRefusal::SlotOver {
                slot: "09:30".into()
            }])
        );
        for wrong in ["8h", "17:00", "08:00", "10:15", ""] {
            let refused = rules
                .check_booking(&booking(day(8), wrong, now))
                .expect_err(wrong);
            assert_eq!(refused[0].field(), "slot", "{wrong}");
        }
    }

    #[test]
    fn a_full_slot_takes_no_more() {
        assert!(may_book(3, 4, "10:00").is_ok());
        let full = may_book(4, 4, "10:00").expect_err("full");
        assert_eq!(full.field(), "slot");
        assert!(full.to_string().contains("full"));
        assert_eq!(BookingRefusal::NotServed.field(), "business");
        assert_eq!(may_book_again(None), Ok(()));
        let twice = may_book_again(Some("09:00")).expect_err("one a day");
        assert_eq!(twice.field(), "day");
        assert!(twice.to_string().contains("09:00"));
    }

    #[test]
    fn missed_after_the_grace_and_check_in_from_half_an_hour_before() {
        let rules = AppointmentRules::standard();
        let slot = rules
            .slot(OpeningHours::standard(), "10:00")
            .expect("a slot");
        let booked_at = day(4).and_time(time(15, 0));
        let until = rules.check_in_until(day(7), slot, booked_at);
        assert_eq!(until, day(7).and_time(time(10, 15)));
        let opens = rules.check_in_opens(day(7), slot);
        assert_eq!(opens, day(7).and_time(time(9, 30)));
        // Booked after the slot started: the grace runs from the booking.
        let late = rules.check_in_until(day(7), slot, day(7).and_time(time(10, 20)));
        assert_eq!(late, day(7).and_time(time(10, 35)));

        let booked = AppointmentState::Booked;
        assert_eq!(
            booked.effective(until, day(7).and_time(time(10, 15))),
            booked
        );
        assert_eq!(
            booked.effective(until, day(7).and_time(time(10, 16))),
            AppointmentState::Missed
        );
        assert!(!AppointmentState::Missed.holds_place());
        assert!(!AppointmentState::Cancelled.holds_place());
        assert!(AppointmentState::CheckedIn.holds_place());
        assert_eq!(
            AppointmentState::CheckedIn.effective(until, day(8).and_time(time(9, 0))),
            AppointmentState::CheckedIn
        );

        let check = |now: NaiveDateTime, at_its_centre: bool| {
            rules.check_in(&CheckIn {
                state: booked,
                day: day(7),
                opens,
                until,
                now,
                at_its_centre,
            })
        };
        assert_eq!(check(day(7).and_time(time(9, 30)), true), Ok(()));
        assert_eq!(check(day(7).and_time(time(10, 15)), true), Ok(()));
        assert_eq!(
            check(day(7).and_time(time(9, 29)), true),
            Err(CheckInRefusal::TooEarly { opens: time(9, 30) })
        );
        assert_eq!(
            check(day(7).and_time(time(10, 16)), true),
            Err(CheckInRefusal::NotBooked {
                state: AppointmentState::Missed
            })
        );
        assert_eq!(
            check(day(7).and_time(time(10, 0)), false),
            Err(CheckInRefusal::OtherCentre)
        );
        assert_eq!(
            check(day(4).and_time(time(10, 0)), true),
            Err(CheckInRefusal::OtherDay { day: day(7) })
        );
    }

    #[test]
    fn only_a_booked_appointment_is_cancelled() {
        assert_eq!(
            AppointmentState::Booked.cancel(),
            Ok(AppointmentState::Cancelled)
        );
        for state in [
            AppointmentState::CheckedIn,
            AppointmentState::Cancelled,
            AppointmentState::Missed,
        ] {
            assert_eq!(state.cancel(), Err(state));
        }
        for state in AppointmentState::ALL {
            assert_eq!(AppointmentState::parse(state.as_str()), Some(state));
        }
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 1, minute, 0)
            .single()
            .expect("time")
    }

    /// What a slot's store does, by the rules here: a booking counts the places held and adds
    /// one when [`may_book`] lets it; cancelling, missing and checking in move one appointment.
    #[derive(Debug, Clone)]
    enum Op {
        Book,
        Cancel(usize),
        Miss(usize),
        CheckIn(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::Book),
            1 => (0usize..40).prop_map(Op::Cancel),
            1 => (0usize..40).prop_map(Op::Miss),
            1 => (0usize..40).prop_map(Op::CheckIn),
        ]
    }

    proptest! {
        /// Whatever the order of bookings, cancellations, misses and check-ins, a slot never
        /// holds more than its places, and a freed place can be booked again.
        #[test]
        fn a_slot_never_holds_more_than_its_places(
            places in 0u32..6,
            ops in proptest::collection::vec(op(), 0..80),
        ) {
            let mut states: Vec<AppointmentState> = Vec::new();
            for op in ops {
                let holding = states.iter().filter(|s| s.holds_place()).count() as u32;
                match op {
                    Op::Book => {
                        let fits = may_book(holding, places, "10:00").is_ok();
                        prop_assert_eq!(fits, holding < places);
                        if fits {
                            states.push(AppointmentState::Booked);
                        }
                    }
                    Op::Cancel(i) | Op::Miss(i) | Op::CheckIn(i) if i < states.len() => {
                        let before = states[i];
                        let after = match op {
                            Op::Cancel(_) => before.cancel().unwrap_or(before),
                            Op::Miss(_) if before == AppointmentState::Booked => AppointmentState::Missed,
                            Op::CheckIn(_) if before == AppointmentState::Booked => AppointmentState::CheckedIn,
                            _ => before,
                        };
                        if before == AppointmentState::Booked && after != AppointmentState::CheckedIn {
                            prop_assert!(!after.holds_place(), "cancelled or missed frees its place");
                        }
                        states[i] = after;
                    }
                    _ => {}
                }
                let holding = states.iter().filter(|s| s.holds_place()).count() as u32;
                prop_assert!(holding <= places);
            }
        }

        /// The slots of any hours lie within them, follow one another without gap or overlap,
        /// each as long as the rules say; the next slot would not fit.
        #[test]
        fn slots_lie_within_the_opening_hours(
            opens in 0u32..(23 * 60),
            length in 1u32..(12 * 60),
            minutes in 5u32..121,
        ) {
            let closes = (opens + length).min(24 * 60 - 1);
            prop_assume!(closes > opens);
            let t = |m: u32| NaiveTime::from_hms_opt(m / 60, m % 60, 0).expect("time");
            let hours = OpeningHours { opens: t(opens), closes: t(closes) };
            let rules = AppointmentRules { slot_minutes: minutes, ..AppointmentRules::standard() };
            let slots = rules.slots(hours);
            prop_assert_eq!(slots.len() as u32, (closes - opens) / minutes);
            let mut expected_start = hours.opens;
            for s in &slots {
                prop_assert_eq!(s.start, expected_start);
                prop_assert!(hours.opens <= s.start && s.end <= hours.closes);
                prop_assert_eq!((s.end - s.start).num_minutes(), i64::from(minutes));
                prop_assert_eq!(rules.slot(hours, &s.label()), Some(*s));
                expected_start = s.end;
            }
        }

        /// Places belong to windows that serve the business, and a business some window serves
        /// always has places.
        #[test]
        fn places_come_from_windows_that_serve_the_business(
            specs in proptest::collection::vec((0usize..3, 0usize..3), 0..8),
            business in 0usize..4,
        ) {
            let departments = ["SCJGJ", "GAJ", "SWJ"];
            let businesses = ["", "SCJGJ", "GAJ", "SWJ"];
            let windows: Vec<WindowSkills> = specs
                .iter()
                .map(|(k, d)| window(WindowKind::ALL[*k], &[departments[*d]]))
                .collect();
            let business = businesses[business];
            let rules = AppointmentRules::standard();
            match rules.capacity(&windows, business) {
                None => prop_assert!(windows.iter().all(|w| !w.serves(business))),
                Some(c) => {
                    prop_assert!(c.windows > 0);
                    prop_assert_eq!(c.places, c.windows * rules.places_per_window);
                    let in_pool = windows.iter().filter(|w| match &c.pool {
                        Pool::Comprehensive => w.kind == WindowKind::Comprehensive,
                        Pool::Department(d) => w.kind != WindowKind::Comprehensive && w.departments.contains(d),
                    });
                    prop_assert!(in_pool.clone().all(|w| w.serves(business)));
                    prop_assert_eq!(in_pool.count() as u32, c.windows);
                }
            }
        }

        /// An appointment's check-in never closes before its slot starts plus the grace, nor
        /// before its booking plus the grace; it opens before the slot.
        #[test]
        fn the_check_in_window_covers_the_slot_start(
            slot_index in 0usize..17,
            booked_minutes in 0i64..(3 * 24 * 60),
        ) {
            let rules = AppointmentRules::standard();
            let slot = rules.slots(OpeningHours::standard())[slot_index];
            let booked_at = day(5).and_time(time(0, 0)) + Duration::minutes(booked_minutes);
            let until = rules.check_in_until(day(7), slot, booked_at);
            let start = day(7).and_time(slot.start);
            let grace = Duration::minutes(i64::from(rules.grace_minutes));
            prop_assert!(until >= start + grace);
            prop_assert!(until >= booked_at + grace);
            prop_assert!(rules.check_in_opens(day(7), slot) < start);
        }

        /// A checked-in appointment's ticket (source appointment, priority 1) is called before
        /// every ordinary ticket a window serves, however early those were taken.
        #[test]
        fn an_appointments_ticket_is_called_before_ordinary_ones(
            earlier in proptest::collection::vec(0usize..3, 1..20),
            kind in 0usize..3,
        ) {
            let businesses = ["", "SCJGJ", "GAJ"];
            let today = day(7);
            let mut waiting: Vec<Waiting> = earlier
                .iter()
                .enumerate()
                .map(|(i, b)| Waiting {
                    id: format!("a{i}"),
                    number: format!("A{i:03}"),
                    business: businesses[*b].into(),
                    priority: ticket_priority(TicketSource::Kiosk, None, today),
                    issued_at: at(i as u32),
                })
                .collect();
            waiting.push(Waiting {
                id: "y".into(),
                number: "Y001".into(),
                business: "SCJGJ".into(),
                priority: ticket_priority(TicketSource::Appointment, None, today),
                issued_at: at(59),
            });
            let skills = window(WindowKind::ALL[kind], &["SCJGJ"]);
            let called = next_ticket(&waiting, &skills).map(|t| t.id.as_str());
            prop_assert_eq!(called, Some("y"));
        }
    }
}
