//! Statistics of a period for supervisors (办件统计), computed from the cases themselves.

use chrono::{Datelike as _, NaiveDate};
use onewindow_domain::access::Operation;
use onewindow_domain::case::Channel;
use onewindow_domain::statistics::{CaseRecord, PeriodStatistics, period_statistics};
use onewindow_domain::validation::FieldError;
use onewindow_store::reports::{self as report_rows, PeriodFilter};

use crate::accounts::Actor;
use crate::error::AppError;
use crate::service::Service;

/// A statistics request as a supervisor makes it.
#[derive(Debug, Clone, Default)]
pub struct StatisticsQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub item_code: Option<String>,
    pub department: Option<String>,
    pub centre: Option<String>,
    pub channel: Option<String>,
}

impl Service {
    /// The figures of a period (default: this month so far). Supervisors only.
    pub async fn statistics(
        &self,
        actor: &Actor,
        query: StatisticsQuery,
    ) -> Result<PeriodStatistics, AppError> {
        self.require(actor, Operation::ReadReports).await?;
        let today = self.today();
        let from = query
            .from
            .unwrap_or_else(|| today.with_day0(0).unwrap_or(today));
        let to = query.to.unwrap_or(today);
        let mut errors = Vec::new();
        if to < from {
            errors.push(FieldError::new(
                "to",
                "the end of the period is before its start",
            ));
        }
        if let Some(c) = &query.channel
            && !Channel::ALL.iter().any(|known| known.as_str() == c)
        {
            errors.push(FieldError::new(
                "channel",
                "one of window, online, mobile, township, village, agent",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let cases = report_rows::cases_touching(
            self.store().readers(),
            &PeriodFilter {
                from: Some(from),
                to: Some(to),
                item_code: query.item_code,
                department: query.department,
                centre: query.centre,
                channel: query.channel,
            },
        )
        .await?;
        let calendar = self.calendar();
        // A period that ends in the future is seen as it stands today.
        let as_of = to.min(today);
        let mut records = Vec::with_capacity(cases.len());
        for case in &cases {
            records.push(CaseRecord::of(case, calendar, as_of)?);
        }
        Ok(period_statistics(&records, from, to))
    }
}
