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

    /// Working days left on `today`; negative when overdue.
    pub fn days_left(&self, calendar: &Calendar, today: NaiveDate) -> Result<i64, CalendarError> {
        Ok(i64::from(self.total_limit()) - i64::from(self.used_days(calendar, today)?))
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
