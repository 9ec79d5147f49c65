//! The working-day calendar (工作日历): Monday to Friday, minus statutory holidays, plus the
//! make-up working days (调休) the State Council announces, plus a county's own closures.

use std::collections::{BTreeSet, HashSet};

use chrono::NaiveDate;

/// A date the calendar cannot answer for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the working-day calendar has no data for the year {year}; load that year's holiday notice first")]
    YearNotCovered { year: i32 },
}

/// A working-day calendar over the years it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    covered_years: BTreeSet<i32>,
    off_days: HashSet<NaiveDate>,
    make_up_working_days: HashSet<NaiveDate>,
}

impl Calendar {
    /// True when `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let _ = (date, &self.covered_years, &self.off_days, &self.make_up_working_days);
        todo!()
    }

    /// The date of the `n`th working day after `start` (day 1 is the first working day after
    /// `start`); `n = 0` gives `start` itself.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let _ = (start, n);
        todo!()
    }

    /// The number of working days in `(from, to]`; 0 when `to <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> Result<u32, CalendarError> {
        let _ = (from, to);
        todo!()
    }
}
