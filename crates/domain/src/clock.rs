//! The clock of a case (办理时限): working days from the day after acceptance, stopped while
//! suspended, lengthened by an approved extension.
//!
//! Conventions, chosen so that a clock can always be recomputed from its records:
//! the day of acceptance is day 0; a suspension that starts on day `s` and ends on day `r`
//! removes the working days in `(s, r]` from the count (the day a suspension starts still counts,
//! the day it ends does not).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};

/// Why the clock stops (中止/挂起), after art. 45 of the Administrative Licensing Law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SuspensionKind {
    /// 补正: waiting for the applicant to supplement materials.
    Supplement,
    /// 听证
    Hearing,
    /// 现场勘查 / 检查
    Inspection,
    /// 检验检测
    Testing,
    /// 专家评审
    ExpertReview,
    /// 公示 / 公告
    PublicNotice,
}

impl SuspensionKind {
    pub const ALL: [SuspensionKind; 6] = [
        SuspensionKind::Supplement,
        SuspensionKind::Hearing,
        SuspensionKind::Inspection,
        SuspensionKind::Testing,
        SuspensionKind::ExpertReview,
        SuspensionKind::PublicNotice,
    ];
}

/// One stop of the clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suspension {
    pub kind: SuspensionKind,
    pub reason: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: NaiveDate,
    /// `None` while the clock is still stopped.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub until: Option<NaiveDate>,
}

/// The clock of one case or task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseClock {
    /// Day 0: the day of acceptance.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub started_on: NaiveDate,
    /// The promised limit in working days; 0 for an immediate item.
    pub limit_days: u32,
    /// Working days added by an approved extension.
    pub extension_days: u32,
    pub suspensions: Vec<Suspension>,
}

impl CaseClock {
    pub fn new(started_on: NaiveDate, limit_days: u32) -> Self {
        Self {
            started_on,
            limit_days,
            extension_days: 0,
            suspensions: Vec::new(),
        }
    }

    /// True while no suspension is open.
    pub fn is_running(&self) -> bool {
        self.suspensions.iter().all(|s| s.until.is_some())
    }

    pub fn total_limit(&self) -> u32 {
        self.limit_days + self.extension_days
    }

    /// Working days removed from the count by suspensions, counting an open one up to `today`.
    pub fn suspended_days(
        &self,
        calendar: &Calendar,
        today: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let mut total = 0;
        for s in &self.suspensions {
            total += calendar.working_days_between(s.from, s.until.unwrap_or(today))?;
        }
        Ok(total)
    }

    /// The last working day on which the case is still on time; `None` while the clock is stopped,
    /// because nobody can know it before the clock restarts.
    pub fn due_date(&self, calendar: &Calendar) -> Result<Option<NaiveDate>, CalendarError> {
        if !self.is_running() {
            return Ok(None);
        }
        let suspended = self.suspended_days(calendar, self.started_on)?;
        calendar
            .add_working_days(self.started_on, self.total_limit() + suspended)
            .map(Some)
    }

    /// Working days used by `today`, not counting suspended days.
    pub fn used_days(&self, calendar: &Calendar, today: NaiveDate) -> Result<u32, CalendarError> {
        let elapsed = calendar.working_days_between(self.started_on, today)?;
        let suspended = self.suspended_days(calendar, today)?;
        Ok(elapsed.saturating_sub(suspended))
    }

    /// Where the clock stands on `today`. A stopped clock stands where it stood on the day it
    /// stopped: the days left do not run down while suspended, and a clock stopped after its due
    /// day stays overdue by what it was overdue then.
    pub fn timeliness(
        &self,
        calendar: &Calendar,
        today: NaiveDate,
    ) -> Result<Timeliness, CalendarError> {
        let open = self.suspensions.iter().find(|s| s.until.is_none());
        let closed: u32 = self
            .suspensions
            .iter()
            .filter_map(|s| s.until.map(|until| (s.from, until)))
            .map(|(from, until)| calendar.working_days_between(from, until))
            .sum::<Result<u32, _>>()?;
        let due_on = calendar.add_working_days(self.started_on, self.total_limit() + closed)?;
        let seen_on = match open {
            Some(s) => s.from.min(today),
            None => today,
        };
        Timeliness::on(calendar, due_on, seen_on)
    }
}

/// Where a clock stands against its due day on a given day (时限状态).
///
/// A case is on time up to the end of its due day and overdue from the first calendar day after
/// it, whether that day is a working day or not: a case due on a Friday is overdue on the Saturday,
/// although no working day has yet passed. The working days overdue count the working days after
/// the due day up to and including the day seen, so they are 0 over that first weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Timeliness {
    /// On or before the due day; 0 working days left on the due day itself.
    OnTime { working_days_left: u32 },
    /// After the due day.
    Overdue {
        working_days_overdue: u32,
        /// Calendar days since the due day (1 on the day after it).
        days_overdue: u32,
    },
}

impl Timeliness {
    /// Where a case due on `due_on` stands on `today`.
    pub fn on(
        calendar: &Calendar,
        due_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<Timeliness, CalendarError> {
        if today <= due_on {
            Ok(Timeliness::OnTime {
                working_days_left: calendar.working_days_between(today, due_on)?,
            })
        } else {
            let days = (today - due_on).num_days();
            Ok(Timeliness::Overdue {
                working_days_overdue: calendar.working_days_between(due_on, today)?,
                days_overdue: u32::try_from(days).unwrap_or(u32::MAX),
            })
        }
    }

    pub fn is_overdue(self) -> bool {
        matches!(self, Timeliness::Overdue { .. })
    }

    /// Working days left, or minus the working days overdue: an order for lists, most urgent
    /// first. Not a test of overdue: an overdue case over its first weekend has 0 here.
    pub fn signed_working_days(self) -> i64 {
        match self {
            Timeliness::OnTime { working_days_left } => i64::from(working_days_left),
            Timeliness::Overdue {
                working_days_overdue,
                ..
            } => -i64::from(working_days_overdue),
        }
    }
}

/// The last day on which the window may still send the one-time supplement notice (一次性告知):
/// five working days after receipt (art. 32). After it, the case counts as accepted on the day of
/// receipt.
pub const NOTICE_PERIOD_DAYS: u32 = 5;

pub fn notice_deadline(
    calendar: &Calendar,
    received_on: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    calendar.add_working_days(received_on, NOTICE_PERIOD_DAYS)
}

#[cfg(test)]
mod tests {
    use chrono::Days;
    use proptest::prelude::*;

    use super::*;

    fn first() -> NaiveDate {
        NaiveDate::from_ymd_opt(2015, 1, 1).expect("date")
    }

    fn last() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("date")
    }

    /// A day of 2015–2026, `n` days after 1 January 2015.
    fn nth_day(n: u64) -> NaiveDate {
        first().checked_add_days(Days::new(n)).expect("date")
    }

    fn span_days() -> u64 {
        u64::try_from((last() - first()).num_days()).expect("positive")
    }

    #[test]
    fn every_day_2015_to_2026_is_on_time_on_its_due_day_and_overdue_the_day_after() {
        let calendar = Calendar::prc();
        let mut due = first();
        while due < last() {
            let after = due.succ_opt().expect("next day");
            assert_eq!(
                Timeliness::on(&calendar, due, due),
                Ok(Timeliness::OnTime {
                    working_days_left: 0
                }),
                "{due}"
            );
            let next = Timeliness::on(&calendar, due, after).expect("covered");
            assert!(next.is_overdue(), "due {due}, seen {after}");
            assert_eq!(
                next,
                Timeliness::Overdue {
                    working_days_overdue: u32::from(calendar.is_working_day(after) == Ok(true)),
                    days_overdue: 1
                },
                "{due}"
            );
            due = after;
        }
    }

    #[test]
    fn a_friday_deadline_is_overdue_all_weekend_and_through_a_holiday() {
        let calendar = Calendar::prc();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        // Due on Friday 4 December 2026, seen on Sunday 6 December.
        assert_eq!(
            Timeliness::on(&calendar, d(12, 4), d(12, 6)),
            Ok(Timeliness::Overdue {
                working_days_overdue: 0,
                days_overdue: 2
            })
        );
        // Due on Wednesday 30 September 2026, seen on 5 October in the National Day holiday.
        assert_eq!(
            Timeliness::on(&calendar, d(9, 30), d(10, 5)),
            Ok(Timeliness::Overdue {
                working_days_overdue: 0,
                days_overdue: 5
            })
        );
    }

    proptest! {
        #[test]
        fn overdue_exactly_after_the_due_day_counting_working_days_one_by_one(
            due_n in 0..span_days(), today_n in 0..span_days()
        ) {
            let calendar = Calendar::prc();
            let (due, today) = (nth_day(due_n), nth_day(today_n));
            let standing = Timeliness::on(&calendar, due, today).expect("covered");
            prop_assert_eq!(standing.is_overdue(), today > due);
            let (low, high) = if today <= due { (today, due) } else { (due, today) };
            let counted = low
                .iter_days()
                .skip(1)
                .take_while(|d| *d <= high)
                .filter(|d| calendar.is_working_day(*d) == Ok(true))
                .count();
            let counted = u32::try_from(counted).expect("small");
            match standing {
                Timeliness::OnTime { working_days_left } => prop_assert_eq!(working_days_left, counted),
                Timeliness::Overdue { working_days_overdue, days_overdue } => {
                    prop_assert_eq!(working_days_overdue, counted);
                    prop_assert_eq!(i64::from(days_overdue), (today - due).num_days());
                }
            }
        }

        #[test]
        fn a_running_clock_never_moves_back_and_agrees_with_its_working_day_count(
            start_n in 0..span_days() - 200, limit in 0u32..60, extension in 0u32..10,
        ) {
            let calendar = Calendar::prc();
            let mut clock = CaseClock::new(nth_day(start_n), limit);
            clock.extension_days = extension;
            let due = clock.due_date(&calendar).expect("covered").expect("running");
            let mut before: Option<Timeliness> = None;
            for today in clock.started_on.iter_days().take(120) {
                let standing = clock.timeliness(&calendar, today).expect("covered");
                prop_assert_eq!(standing, Timeliness::on(&calendar, due, today).expect("covered"));
                prop_assert_eq!(standing.is_overdue(), today > due);
                let used = clock.used_days(&calendar, today).expect("covered");
                prop_assert_eq!(
                    standing.signed_working_days(),
                    i64::from(clock.total_limit()) - i64::from(used)
                );
                if let Some(prev) = before {
                    prop_assert!(standing.signed_working_days() <= prev.signed_working_days());
                    prop_assert!(!prev.is_overdue() || standing.is_overdue(), "{today}");
                }
                before = Some(standing);
            }
        }
    }

    #[test]
    fn a_stopped_clock_stands_where_it_stopped() {
        let calendar = Calendar::prc();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        // Accepted Monday 2 November with 5 days: due Monday 9 November.
        let mut clock = CaseClock::new(d(11, 2), 5);
        clock.suspensions.push(Suspension {
            kind: SuspensionKind::ExpertReview,
            reason: String::new(),
            from: d(11, 4),
            until: None,
        });
        // Stopped on the 4th with 3 working days left (5, 6, 9 November), weeks later too.
        for seen in [d(11, 4), d(11, 30)] {
            assert_eq!(
                clock.timeliness(&calendar, seen),
                Ok(Timeliness::OnTime {
                    working_days_left: 3
                })
            );
        }
        // Stopped on Wednesday 11 November, two days after the due day: overdue as it was then.
        clock.suspensions[0].from = d(11, 11);
        assert_eq!(
            clock.timeliness(&calendar, d(12, 1)),
            Ok(Timeliness::Overdue {
                working_days_overdue: 2,
                days_overdue: 2
            })
        );
    }
}
