//! The one source of "now". Every rule that depends on time takes it from a [`Clock`], so tests
//! move time by hand instead of sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// China has one time zone and no daylight saving: a fixed UTC+8 offset is exact.
pub const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The machine's clock moved to another day: it reads 09:00 China time on the chosen day when it
/// starts and runs on in real time. For a training or demonstration environment that must
/// behave as on a given working day (`onewindow demo --as-of`), whatever the date outside.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: Duration,
}

impl ShiftedClock {
    /// A clock that reads 09:00 China time on `date` now.
    pub fn from_morning_of(date: NaiveDate) -> Self {
        Self {
            offset: local_morning(date) - Utc::now(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    /// A clock at 09:00 China time on `date`.
    pub fn at_local_morning(date: NaiveDate) -> Self {
        Self::new(local_morning(date))
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

const CHINA: FixedOffset = match FixedOffset::east_opt(CHINA_OFFSET_SECONDS) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// The working date in the centre's time zone at instant `now`.
pub fn local_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&CHINA).date_naive()
}

/// The time of day in the centre's time zone at instant `now` (opening hours).
pub fn local_time(now: DateTime<Utc>) -> chrono::NaiveTime {
    now.with_timezone(&CHINA).time()
}

/// 00:00 China time on `date`, as UTC: where a day of a period starts. Saturates at the ends of
/// time (a query may ask for any date).
pub fn local_day_start(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .and_then(|t| t.checked_sub_signed(Duration::hours(8)))
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
}

/// 09:00 China time on `date`, as UTC.
pub fn local_morning(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(9, 0, 0).unwrap_or_default();
    (naive - Duration::hours(8)).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_starts_on_the_chosen_morning_and_runs_on() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let clock = ShiftedClock::from_morning_of(day);
        let first = clock.now();
        assert_eq!(local_date(first), day);
        assert!((first - local_morning(day)).num_seconds().abs() < 5);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > first, "it runs on in real time");
    }
}
