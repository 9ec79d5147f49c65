//! Electronic monitoring (电子监察): every running clock shows a light — green, yellow in its last
//! stretch, red when overdue — and a change of light raises one alert.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::clock::Timeliness;

/// The light of a clock (红黄绿灯).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Green,
    Yellow,
    Red,
}

impl Light {
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
        }
    }

    pub fn parse(text: &str) -> Option<Light> {
        match text {
            "green" => Some(Light::Green),
            "yellow" => Some(Light::Yellow),
            "red" => Some(Light::Red),
            _ => None,
        }
    }
}

/// When a clock turns yellow: in its last `yellow_percent` of the limit or its last
/// `yellow_min_days` working days, whichever comes first (the larger stretch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LightRule {
    pub yellow_percent: u32,
    pub yellow_min_days: u32,
}

impl Default for LightRule {
    fn default() -> Self {
        Self {
            yellow_percent: 20,
            yellow_min_days: 2,
        }
    }
}

impl LightRule {
    /// Working days left at which a clock of `limit_days` turns yellow.
    pub fn yellow_from(&self, limit_days: u32) -> u32 {
        let share = (u64::from(limit_days) * u64::from(self.yellow_percent)).div_ceil(100);
        u32::try_from(share)
            .unwrap_or(u32::MAX)
            .max(self.yellow_min_days)
    }

    /// The light of a clock of `limit_days` standing at `timeliness`: red from the first day after
    /// the due day, yellow in the last stretch up to and including the due day.
    pub fn light(&self, limit_days: u32, timeliness: Timeliness) -> Light {
        match timeliness {
            Timeliness::Overdue { .. } => Light::Red,
            Timeliness::OnTime { working_days_left }
                if working_days_left <= self.yellow_from(limit_days) =>
            {
                Light::Yellow
            }
            Timeliness::OnTime { .. } => Light::Green,
        }
    }

    /// The light of a running clock from its due date: what the store can compute from two
    /// indexed columns without reading the case.
    pub fn light_by_due_date(
        &self,
        calendar: &Calendar,
        limit_days: u32,
        due_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<Light, CalendarError> {
        Ok(self.light(limit_days, Timeliness::on(calendar, due_on, today)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{CaseClock, Suspension, SuspensionKind};

    fn left(n: u32) -> Timeliness {
        Timeliness::OnTime {
            working_days_left: n,
        }
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    #[test]
    fn yellow_starts_at_the_larger_of_twenty_percent_and_two_days() {
        let rule = LightRule::default();
        assert_eq!(rule.yellow_from(5), 2);
        assert_eq!(rule.yellow_from(10), 2);
        assert_eq!(rule.yellow_from(11), 3);
        assert_eq!(rule.yellow_from(20), 4);
        assert_eq!(rule.yellow_from(0), 2);
        assert_eq!(rule.light(20, left(5)), Light::Green);
        assert_eq!(rule.light(20, left(4)), Light::Yellow);
        assert_eq!(rule.light(20, left(0)), Light::Yellow);
        let weekend_after = Timeliness::Overdue {
            working_days_overdue: 0,
            days_overdue: 1,
        };
        assert_eq!(rule.light(20, weekend_after), Light::Red);
        let strict = LightRule {
            yellow_percent: 50,
            yellow_min_days: 1,
        };
        assert_eq!(strict.light(20, left(10)), Light::Yellow);
    }

    #[test]
    fn a_deadline_just_after_the_national_day_holiday() {
        // Accepted on Monday 28 September 2026 with 5 working days: 29, 30 September, then the
        // holiday (1–7 October, with make-up days on Sunday 27 September and Saturday 10 October),
        // so the clock runs 8, 9, 10 (make-up Saturday) October: due on Saturday 10 October.
        let calendar = Calendar::prc();
        let clock = CaseClock::new(day(9, 28), 5);
        let due = clock
            .due_date(&calendar)
            .expect("covered")
            .expect("running");
        assert_eq!(due, day(10, 10));
        let rule = LightRule::default();
        let at = |today| {
            rule.light_by_due_date(&calendar, 5, due, today)
                .expect("covered")
        };
        assert_eq!(at(day(9, 29)), Light::Green, "4 left");
        assert_eq!(at(day(9, 30)), Light::Green, "3 left: 8, 9 and 10 October");
        assert_eq!(
            at(day(10, 5)),
            Light::Green,
            "the holiday uses none of them"
        );
        assert_eq!(at(day(10, 8)), Light::Yellow, "2 left");
        assert_eq!(at(day(10, 10)), Light::Yellow, "the due day");
        assert_eq!(
            at(day(10, 11)),
            Light::Red,
            "the Sunday after it: overdue although no working day has passed"
        );
        assert_eq!(at(day(10, 12)), Light::Red, "the next working day");
        // The clock's own count agrees with the due-date count on every day of the stretch.
        let mut today = day(9, 28);
        while today <= day(10, 20) {
            let by_clock = rule.light(5, clock.timeliness(&calendar, today).expect("covered"));
            assert_eq!(by_clock, at(today), "{today}");
            today = today.succ_opt().expect("next day");
        }
    }

    #[test]
    fn a_suspended_clock_keeps_its_light_and_an_extension_turns_it_back() {
        let calendar = Calendar::prc();
        let rule = LightRule::default();
        let mut clock = CaseClock::new(day(11, 2), 5);
        let light = |c: &CaseClock, today| {
            rule.light(
                c.total_limit(),
                c.timeliness(&calendar, today).expect("covered"),
            )
        };
        assert_eq!(light(&clock, day(11, 4)), Light::Green);
        clock.suspensions.push(Suspension {
            kind: SuspensionKind::ExpertReview,
            reason: "专家评审".into(),
            from: day(11, 4),
            until: None,
        });
        // Two weeks of suspension change nothing.
        assert_eq!(light(&clock, day(11, 18)), Light::Green);
        clock.suspensions[0].until = Some(day(11, 18));
        // Used: 3 and 4 November before, 19 November after: 2 of 5 left.
        assert_eq!(light(&clock, day(11, 19)), Light::Yellow);
        assert_eq!(light(&clock, day(11, 23)), Light::Yellow, "the due day");
        assert_eq!(light(&clock, day(11, 24)), Light::Red);
        clock.extension_days = 10;
        assert_eq!(light(&clock, day(11, 24)), Light::Green);
    }

    #[test]
    fn days_left_are_counted_in_working_days_both_ways() {
        let calendar = Calendar::prc();
        let on = |due, today| Timeliness::on(&calendar, due, today).expect("covered");
        // Friday 6 November 2026, due on Tuesday 10 November: Monday and Tuesday remain.
        assert_eq!(on(day(11, 10), day(11, 6)), left(2));
        assert_eq!(on(day(11, 10), day(11, 10)), left(0));
        assert_eq!(
            on(day(11, 6), day(11, 9)),
            Timeliness::Overdue {
                working_days_overdue: 1,
                days_overdue: 3
            }
        );
    }
}
