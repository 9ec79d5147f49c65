//! Case statistics for a period (办件统计): what the county reports every month, computed from the
//! cases themselves.
//!
//! Definitions (each figure names its formula in `formula`):
//! - *received*: cases received in the period; *accepted*: accepted in the period (by a clerk or by
//!   lapse of the notice period); *rejected*: refused at acceptance in the period; *withdrawn*
//!   (撤回): withdrawn by the applicant before the decision in the period;
//! - *completed* (办结): decided (approved or denied) in the period — the clock stops at the
//!   decision, so on-time figures are about decisions;
//! - *on time*: decided on or before the due day of the limit in force (promised days plus any
//!   extension); a decision on the calendar day after it is late, working day or not;
//! - *ahead of the promise* (提前办结): completed in fewer working days than promised;
//! - *at most once* (最多跑一次实现率): completed with at most one visit in person;
//! - *overdue*: open on a running clock with its due day before the end of the period;
//! - *suspended*, *extended*: completed cases whose clock was stopped at least once, or extended.

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::{Calendar, CalendarError};
use crate::case::{Case, Status};
use crate::clock::CaseClock;
use crate::figures::Ratio;

/// The facts of one case that the statistics need, computed once per case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    pub received_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub rejected: bool,
    /// The decision's date, if decided.
    pub completed_on: Option<NaiveDate>,
    /// Working days the clock ran until the decision (or until the end of the period if open).
    pub working_days_used: Option<u32>,
    pub promised_days: u32,
    pub extension_days: u32,
    pub visits: u32,
    pub suspensions: u32,
    /// Still on a running clock past its due date at the end of the period.
    pub overdue_at_end: bool,
    /// Decided after its due day (the clock's [`Timeliness`] on the day of the decision).
    pub completed_late: bool,
    /// The statutory limit of the case's item in working days (法定时限), when it has one: what
    /// the actual speed-up compares the working days used with. Set from the catalogue
    /// ([`CaseRecord::with_statutory_days`]); the case itself does not carry it.
    pub statutory_days: Option<u32>,
    /// The day the case ended without a decision (rejected at acceptance), if it did.
    pub rejected_on: Option<NaiveDate>,
    /// The day the applicant withdrew it (撤回), if they did.
    pub withdrawn_on: Option<NaiveDate>,
}

/// The facts of one case that the statistics read, independent of the period and of the
/// calendar: what a summary row keeps so that statistics need not read case bodies. A record of a
/// period is computed from them ([`CaseRecord::from_facts`]), so a figure has one definition
/// whether it is computed from a case or from its summary row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub received_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub rejected: bool,
    /// The day the case ended without a decision, if it did.
    pub rejected_on: Option<NaiveDate>,
    /// The decision's date, if decided.
    pub completed_on: Option<NaiveDate>,
    pub promised_days: u32,
    pub visits: u32,
    /// Whether the case's state runs on a clock (accepted, in review, suspended).
    pub on_clock: bool,
    /// The clock: its start, limit, extension and the days of its suspensions. A summary row does
    /// not keep a suspension's kind and reason; no figure reads them.
    pub clock: Option<CaseClock>,
    /// The catalogue item the case was filed under, for its statutory limit.
    pub item_code: String,
    /// The day the applicant withdrew it (撤回), if they did.
    pub withdrawn_on: Option<NaiveDate>,
}

impl CaseFacts {
    pub fn of(case: &Case) -> CaseFacts {
        let rejected = case.status == Status::Rejected
            || (case.rejection_reason.is_some() && case.decision.is_none());
        CaseFacts {
            received_on: case.received_on,
            accepted_on: case.accepted_on,
            rejected,
            // Cases stored before the day was recorded fall back to their closing day.
            rejected_on: if rejected {
                case.rejected_on.or(case.closed_on)
            } else {
                None
            },
            completed_on: case.decision.as_ref().map(|d| d.decided_on),
            promised_days: case.promised_days,
            visits: u32::try_from(case.visits.len()).unwrap_or(u32::MAX),
            on_clock: case.status.is_on_clock(),
            clock: case.clock.clone(),
            item_code: case.item_code.clone(),
            withdrawn_on: case.withdrawal.as_ref().map(|w| w.withdrawn_on),
        }
    }
}

impl CaseRecord {
    /// The record of `case` as seen at the end of the period (`period_end`).
    pub fn of(
        case: &Case,
        calendar: &Calendar,
        period_end: NaiveDate,
    ) -> Result<CaseRecord, CalendarError> {
        CaseRecord::from_facts(&CaseFacts::of(case), calendar, period_end)
    }

    /// The record with its item's statutory limit; 0 (no statutory limit) is none.
    pub fn with_statutory_days(mut self, days: Option<u32>) -> CaseRecord {
        self.statutory_days = days.filter(|d| *d > 0);
        self
    }

    /// The record of a case with these facts as seen at the end of the period (`period_end`).
    pub fn from_facts(
        facts: &CaseFacts,
        calendar: &Calendar,
        period_end: NaiveDate,
    ) -> Result<CaseRecord, CalendarError> {
        let completed_on = facts.completed_on;
        let (used, overdue_at_end, completed_late) = match &facts.clock {
            Some(clock) => {
                let end = match completed_on {
                    Some(d) if d <= period_end => d,
                    _ => period_end,
                };
                let used = if end <= clock.started_on {
                    0
                } else {
                    clock.used_days(calendar, end)?
                };
                let open = completed_on.is_none_or(|d| d > period_end);
                let running = facts.on_clock && clock.is_running();
                let overdue = open && running && clock.timeliness(calendar, end)?.is_overdue();
                let late = match completed_on {
                    Some(d) if d <= period_end => clock.timeliness(calendar, d)?.is_overdue(),
                    _ => false,
                };
                (Some(used), overdue, late)
            }
            None => (None, false, false),
        };
        Ok(CaseRecord {
            received_on: facts.received_on,
            accepted_on: facts.accepted_on,
            rejected: facts.rejected,
            completed_on,
            working_days_used: used,
            promised_days: facts.promised_days,
            extension_days: facts.clock.as_ref().map_or(0, |c| c.extension_days),
            visits: facts.visits,
            suspensions: facts.clock.as_ref().map_or(0, |c| {
                u32::try_from(c.suspensions.len()).unwrap_or(u32::MAX)
            }),
            overdue_at_end,
            completed_late,
            statutory_days: None,
            rejected_on: facts.rejected_on,
            withdrawn_on: facts.withdrawn_on,
        })
    }
}

/// The figures of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodStatistics {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: NaiveDate,
    pub received: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Withdrawn by the applicant in the period (撤回).
    pub withdrawn: u64,
    pub completed: u64,
    pub on_time: Ratio,
    pub ahead_of_promise: Ratio,
    pub at_most_once: Ratio,
    /// Mean working days used by completed cases, in hundredths (integer, so sums are exact).
    pub average_days_used_centi: u64,
    /// Mean promised working days of the same cases, in hundredths.
    pub average_days_promised_centi: u64,
    pub overdue: u64,
    pub suspended: Ratio,
    pub extended: Ratio,
    /// The actual speed-up (实际提速率): 1 − Σ working days used / Σ statutory working days over
    /// the completed cases of items with a statutory limit, as the working days saved over the
    /// statutory days (an immediate item decided the same day used 0). The promised speed-up's
    /// twin, measured on cases.
    pub actual_speed_up: Ratio,
    /// Satisfaction (满意率): satisfied answers of the return visits answered in the period,
    /// over all answers. The case records do not hold it: the service fills it in from the
    /// visits (0 / 0 when there were none).
    pub satisfaction: Ratio,
    /// 好评率: 满意 and 非常满意 over the ratings given in the period (filled in by the service).
    pub good_rate: Ratio,
    /// 差评 given in the period.
    pub bad_ratings: u64,
    /// Rectifications opened in the period and closed, closed within their limit.
    pub rectified_on_time: Ratio,
    /// Justified complaints (有效投诉) answered in the period.
    pub complaints: u64,
}

fn in_period(d: Option<NaiveDate>, from: NaiveDate, to: NaiveDate) -> bool {
    d.is_some_and(|d| from <= d && d <= to)
}

/// The figures of `[from, to]` (both days included) over `records`.
pub fn period_statistics(
    records: &[CaseRecord],
    from: NaiveDate,
    to: NaiveDate,
) -> PeriodStatistics {
    let received = records
        .iter()
        .filter(|r| in_period(Some(r.received_on), from, to))
        .count() as u64;
    let accepted = records
        .iter()
        .filter(|r| in_period(r.accepted_on, from, to))
        .count() as u64;
    let rejected = records
        .iter()
        .filter(|r| in_period(r.rejected_on, from, to))
        .count() as u64;
    let withdrawn = records
        .iter()
        .filter(|r| in_period(r.withdrawn_on, from, to))
        .count() as u64;
    let completed: Vec<&CaseRecord> = records
        .iter()
        .filter(|r| in_period(r.completed_on, from, to))
        .collect();
    let n = completed.len() as u64;
    let count = |f: &dyn Fn(&CaseRecord) -> bool| completed.iter().filter(|r| f(r)).count() as u64;
    let used = |r: &CaseRecord| r.working_days_used.unwrap_or(0);
    let on_time = count(&|r| !r.completed_late);
    let ahead = count(&|r| used(r) < r.promised_days);
    let once = count(&|r| r.visits <= 1);
    let suspended = count(&|r| r.suspensions > 0);
    let extended = count(&|r| r.extension_days > 0);
    let sum_used: u64 = completed.iter().map(|r| u64::from(used(r))).sum();
    let sum_promised: u64 = completed.iter().map(|r| u64::from(r.promised_days)).sum();
    let mean_centi = |sum: u64| (sum * 100 + n / 2).checked_div(n).unwrap_or(0);
    let (limited_used, limited_statutory) = completed
        .iter()
        .filter_map(|r| r.statutory_days.map(|s| (u64::from(used(r)), u64::from(s))))
        .fold((0, 0), |(u, s), (used, statutory)| {
            (u + used, s + statutory)
        });
    PeriodStatistics {
        from,
        to,
        received,
        accepted,
        rejected,
        withdrawn,
        completed: n,
        on_time: Ratio::new(on_time, n),
        ahead_of_promise: Ratio::new(ahead, n),
        at_most_once: Ratio::new(once, n),
        average_days_used_centi: mean_centi(sum_used),
        average_days_promised_centi: mean_centi(sum_promised),
        overdue: records.iter().filter(|r| r.overdue_at_end).count() as u64,
        suspended: Ratio::new(suspended, n),
        extended: Ratio::new(extended, n),
        actual_speed_up: Ratio::new(
            limited_statutory.saturating_sub(limited_used),
            limited_statutory,
        ),
        satisfaction: Ratio::new(0, 0),
        good_rate: Ratio::new(0, 0),
        bad_ratings: 0,
        rectified_on_time: Ratio::new(0, 0),
        complaints: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    fn record(received: NaiveDate) -> CaseRecord {
        CaseRecord {
            received_on: received,
            accepted_on: Some(received),
            rejected: false,
            completed_on: None,
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
        }
    }

    /// A small data set computed by hand: six cases in October 2026.
    // One push per case keeps each case next to the comment that says what it counts as.
    #[allow(clippy::vec_init_then_push)]
    #[test]
    fn the_figures_of_a_hand_computed_month() {
        let mut cases = Vec::new();
        // 1: completed in 3 of 5 days, one visit: on time, ahead, at most once.
        cases.push(CaseRecord {
            completed_on: Some(day(10, 14)),
            working_days_used: Some(3),
            ..record(day(10, 9))
        });
        // 2: completed in exactly 5 of 5: on time, not ahead; two visits.
        cases.push(CaseRecord {
            completed_on: Some(day(10, 20)),
            working_days_used: Some(5),
            visits: 2,
            ..record(day(10, 12))
        });
        // 3: 7 days of 5 + 3 extension: on time thanks to the extension; suspended once.
        cases.push(CaseRecord {
            completed_on: Some(day(10, 30)),
            working_days_used: Some(7),
            extension_days: 3,
            suspensions: 1,
            ..record(day(10, 13))
        });
        // 4: 6 days of 5: late.
        cases.push(CaseRecord {
            completed_on: Some(day(10, 28)),
            working_days_used: Some(6),
            completed_late: true,
            ..record(day(10, 15))
        });
        // 5: still open and overdue at the end of October.
        cases.push(CaseRecord {
            overdue_at_end: true,
            ..record(day(10, 16))
        });
        // 6: rejected at acceptance.
        cases.push(CaseRecord {
            accepted_on: None,
            rejected: true,
            rejected_on: Some(day(10, 22)),
            ..record(day(10, 21))
        });
        // 7: received in September, completed in October: counts as completed, not received.
        cases.push(CaseRecord {
            completed_on: Some(day(10, 9)),
            working_days_used: Some(4),
            ..record(day(9, 28))
        });
        let s = period_statistics(&cases, day(10, 1), day(10, 31));
        assert_eq!(s.received, 6);
        assert_eq!(s.accepted, 5);
        assert_eq!(s.rejected, 1);
        assert_eq!(s.completed, 5);
        assert_eq!(s.on_time, Ratio::new(4, 5));
        assert_eq!(s.ahead_of_promise, Ratio::new(2, 5));
        assert_eq!(s.at_most_once, Ratio::new(4, 5));
        // (3 + 5 + 7 + 6 + 4) / 5 = 5.00; promised 5.00.
        assert_eq!(s.average_days_used_centi, 500);
        assert_eq!(s.average_days_promised_centi, 500);
        assert_eq!(s.overdue, 1);
        assert_eq!(s.suspended, Ratio::new(1, 5));
        assert_eq!(s.extended, Ratio::new(1, 5));
        // No record knows its statutory limit: no speed-up measured.
        assert_eq!(s.actual_speed_up, Ratio::new(0, 0));
        // With 20 statutory days each, the five decisions used 3 + 5 + 7 + 6 + 4 = 25 of 100.
        let limited: Vec<CaseRecord> = cases
            .iter()
            .cloned()
            .map(|r| r.with_statutory_days(Some(20)))
            .collect();
        let s = period_statistics(&limited, day(10, 1), day(10, 31));
        assert_eq!(s.actual_speed_up, Ratio::new(75, 100));
        assert_eq!(s.actual_speed_up.percent_hundredths(), 7500);
    }

    #[test]
    fn a_decision_on_the_saturday_after_a_friday_due_day_is_late_and_overdue_before_it() {
        let calendar = Calendar::prc();
        // Accepted Monday 23 November 2026 with 4 working days: due Friday 27 November.
        let facts = |completed_on: Option<NaiveDate>| CaseFacts {
            received_on: day(11, 23),
            accepted_on: Some(day(11, 23)),
            rejected: false,
            rejected_on: None,
            completed_on,
            promised_days: 4,
            visits: 1,
            on_clock: completed_on.is_none(),
            clock: Some(CaseClock::new(day(11, 23), 4)),
            item_code: "I1".into(),
            withdrawn_on: None,
        };
        let on_saturday = CaseRecord::from_facts(&facts(Some(day(11, 28))), &calendar, day(11, 30))
            .expect("covered");
        assert_eq!(
            on_saturday.working_days_used,
            Some(4),
            "no working day was added"
        );
        assert!(on_saturday.completed_late);
        let on_friday = CaseRecord::from_facts(&facts(Some(day(11, 27))), &calendar, day(11, 30))
            .expect("covered");
        assert!(!on_friday.completed_late);
        // Still open: overdue at the end of a period ending on Saturday 28 November.
        let open = CaseRecord::from_facts(&facts(None), &calendar, day(11, 28)).expect("covered");
        assert!(open.overdue_at_end);
        let open = CaseRecord::from_facts(&facts(None), &calendar, day(11, 27)).expect("covered");
        assert!(!open.overdue_at_end);
    }

    #[test]
    fn an_empty_period_is_all_zeros_not_nan() {
        let s = period_statistics(&[], day(10, 1), day(10, 31));
        assert_eq!(s.completed, 0);
        assert_eq!(s.on_time.percent(), 0.0);
        assert_eq!(s.average_days_used_centi, 0);
    }
}
