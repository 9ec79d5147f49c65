//! The monthly inspection report (月度效能监察报告): its figures as data, and the pure steps that
//! derive them from case records. The application service gathers them
//! (`onewindow_app::monthly_report`); the shells turn them into a [`crate::document::Document`]
//! in the reader's language.

use std::collections::BTreeMap;

use chrono::{Datelike as _, NaiveDate};
use onewindow_domain::calendar::{Calendar, CalendarError};
use onewindow_domain::case::Case;
use onewindow_domain::clock::{CaseClock, SuspensionKind};
use onewindow_domain::figures::Ratio;
use onewindow_domain::statistics::{CaseRecord, PeriodStatistics};
use serde::Serialize;

pub use crate::chart::DayCount;

/// A calendar month, written `2026-10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// `YYYY-MM`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = text.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let month = Month {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
        };
        NaiveDate::from_ymd_opt(month.year, month.month, 1).map(|_| month)
    }

    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A ranked unit (department or centre) with its name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitRow {
    pub rank: u32,
    pub code: String,
    pub name: String,
    pub completed: u64,
    pub on_time: Ratio,
    pub at_most_once: Ratio,
    pub faults: u32,
    /// Points in hundredths.
    pub points_centi: i64,
    pub star: bool,
}

/// A stop of an overdue case's clock, with the reason recorded for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stop {
    pub kind: SuspensionKind,
    pub reason: String,
}

/// A case that ran past its limit: decided late in the month, or open and past due at its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueCase {
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub received_on: NaiveDate,
    /// The last day of the limit in force; `None` while the clock is stopped.
    pub due_on: Option<NaiveDate>,
    /// The decision's day, `None` while still open.
    pub decided_on: Option<NaiveDate>,
    /// Working days beyond the limit in force (promised days plus any extension).
    pub days_over: u32,
    pub extension_reason: Option<String>,
    pub stops: Vec<Stop>,
}

/// Everything the monthly report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyReport {
    pub month: Month,
    /// The day it was made; a report of the current month is as of this day.
    pub generated_on: NaiveDate,
    pub current: PeriodStatistics,
    pub previous: PeriodStatistics,
    pub daily: Vec<DayCount>,
    pub departments: Vec<UnitRow>,
    pub centres: Vec<UnitRow>,
    /// Staff with a service star this month (user names and display names).
    pub stars: Vec<UnitRow>,
    pub overdue: Vec<OverdueCase>,
    /// The intermediary market's month: contracts accepted, days against the plan's.
    pub intermediary: onewindow_domain::intermediary::MarketMonth,
}

/// Received and completed (decided) per day of `[from, to]`, every day present.
pub fn daily_counts(records: &[CaseRecord], from: NaiveDate, to: NaiveDate) -> Vec<DayCount> {
    let mut days: BTreeMap<NaiveDate, DayCount> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|day| {
            (
                day,
                DayCount {
                    day,
                    received: 0,
                    completed: 0,
                },
            )
        })
        .collect();
    for r in records {
        if let Some(d) = days.get_mut(&r.received_on) {
            d.received += 1;
        }
        if let Some(d) = r.completed_on.and_then(|day| days.get_mut(&day)) {
            d.completed += 1;
        }
    }
    days.into_values().collect()
}

/// Whether a case with this clock is one of the period's overdue cases: decided in the period
/// past its limit (extension included), or still over it on a running clock at the period's end.
/// A summary row's clock suffices, so the report picks the overdue cases before reading bodies.
pub fn is_overdue(clock: &CaseClock, record: &CaseRecord, from: NaiveDate, to: NaiveDate) -> bool {
    let used = record.working_days_used.unwrap_or(0);
    let decided_in_period = record.completed_on.is_some_and(|d| from <= d && d <= to);
    (decided_in_period && used > clock.total_limit()) || record.overdue_at_end
}

/// The case as an overdue case of `[from, to]`, if it is one: decided in the period after its
/// limit, or still open at the end with its due date past (`record` is its record as of the end).
pub fn overdue_case(
    case: &Case,
    record: &CaseRecord,
    calendar: &Calendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<OverdueCase>, CalendarError> {
    let Some(clock) = &case.clock else {
        return Ok(None);
    };
    if !is_overdue(clock, record, from, to) {
        return Ok(None);
    }
    let used = record.working_days_used.unwrap_or(0);
    let limit = clock.total_limit();
    Ok(Some(OverdueCase {
        number: case.number.clone(),
        item_name: case.item_name.clone(),
        department: case.department.clone(),
        received_on: case.received_on,
        due_on: clock.due_date(calendar)?,
        decided_on: record.completed_on.filter(|d| *d <= to),
        days_over: used.saturating_sub(limit),
        extension_reason: case
            .extension_reason
            .clone()
            .filter(|r| !r.trim().is_empty()),
        stops: clock
            .suspensions
            .iter()
            .map(|s| Stop {
                kind: s.kind,
                reason: s.reason.clone(),
            })
            .collect(),
    }))
}

/// Most overdue first, then by number.
pub fn sort_overdue(cases: &mut [OverdueCase]) {
    cases.sort_by(|a, b| {
        b.days_over
            .cmp(&a.days_over)
            .then_with(|| a.number.cmp(&b.number))
    });
}

/// The change of a count against last month, signed: `+3`, `-2`, `0`.
pub fn count_change(now: u64, before: u64) -> String {
    let d = i128::from(now) - i128::from(before);
    if d > 0 {
        format!("+{d}")
    } else {
        d.to_string()
    }
}

/// The change of a rate in percentage points, signed with two decimals; `—` when either month
/// has nothing to measure.
pub fn rate_change(now: &Ratio, before: &Ratio) -> String {
    if now.denominator == 0 || before.denominator == 0 {
        return "—".to_string();
    }
    let d = now.percent() - before.percent();
    if d.abs() < 0.005 {
        "0.00".to_string()
    } else {
        format!("{d:+.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    #[test]
    fn months_parse_and_step() {
        let m = Month::parse("2026-10").expect("a month");
        assert_eq!(m.to_string(), "2026-10");
        assert_eq!(m.first_day(), day(10, 1));
        assert_eq!(m.last_day(), day(10, 31));
        assert_eq!(m.previous().to_string(), "2026-09");
        assert_eq!(
            Month::parse("2026-01").expect("m").previous().to_string(),
            "2025-12"
        );
        assert_eq!(Month::parse("2026-12").expect("m").last_day(), day(12, 31));
        assert_eq!(Month::parse("2026-02").expect("m").last_day(), day(2, 28));
        for bad in ["2026-13", "2026-1", "26-10", "october", "2026-00", ""] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn changes_are_signed() {
        assert_eq!(count_change(12, 10), "+2");
        assert_eq!(count_change(8, 10), "-2");
        assert_eq!(count_change(3, 3), "0");
        assert_eq!(
            rate_change(&Ratio::new(9, 10), &Ratio::new(8, 10)),
            "+10.00"
        );
        assert_eq!(rate_change(&Ratio::new(1, 2), &Ratio::new(3, 4)), "-25.00");
        assert_eq!(rate_change(&Ratio::new(1, 2), &Ratio::new(0, 0)), "—");
    }

    #[test]
    fn every_day_of_the_period_is_counted() {
        let record = |received: NaiveDate, completed: Option<NaiveDate>| CaseRecord {
            received_on: received,
            accepted_on: Some(received),
            rejected: false,
            completed_on: completed,
            working_days_used: None,
            promised_days: 5,
            extension_days: 0,
            visits: 1,
            suspensions: 0,
            overdue_at_end: false,
            completed_late: false,
            statutory_days: None,
            rejected_on: None,
            withdrawn_on: None,
        };
        let records = [
            record(day(9, 30), Some(day(10, 2))),
            record(day(10, 2), None),
            record(day(10, 2), Some(day(10, 31))),
            record(day(10, 31), Some(day(11, 2))),
        ];
        let days = daily_counts(&records, day(10, 1), day(10, 31));
        assert_eq!(days.len(), 31);
        assert_eq!((days[0].received, days[0].completed), (0, 0));
        assert_eq!((days[1].received, days[1].completed), (2, 1));
        assert_eq!((days[30].received, days[30].completed), (1, 1));
        assert_eq!(days.iter().map(|d| d.received).sum::<u64>(), 3);
    }
}
