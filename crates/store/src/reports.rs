//! Reads for statistics and reports.

use chrono::NaiveDate;
use onewindow_domain::case::Case;
use sqlx::{Any, Executor};

use crate::StoreError;
use crate::cases::case_from_row;
use crate::filter::Filtered;

/// Which cases a period's statistics look at.
#[derive(Debug, Clone, Default)]
pub struct PeriodFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub item_code: Option<String>,
    pub department: Option<String>,
    pub centre: Option<String>,
    pub channel: Option<String>,
}

/// Every case that can count in `[from, to]`: received by its end and not closed before its
/// start (a case received in the period, decided in it, or still open at its end).
pub async fn cases_touching<'c, E>(db: E, f: &PeriodFilter) -> Result<Vec<Case>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut q = Filtered::new("SELECT body FROM cases");
    if let Some(to) = f.to {
        q.and("received_on <= ?", [to.format("%Y-%m-%d").to_string()]);
    }
    if let Some(from) = f.from {
        q.and(
            "(closed_on IS NULL OR closed_on >= ?)",
            [from.format("%Y-%m-%d").to_string()],
        );
    }
    if let Some(v) = &f.item_code {
        q.and("item_code = ?", [v.clone()]);
    }
    if let Some(v) = &f.department {
        q.and("department = ?", [v.clone()]);
    }
    if let Some(v) = &f.centre {
        q.and("centre = ?", [v.clone()]);
    }
    if let Some(v) = &f.channel {
        q.and("channel = ?", [v.clone()]);
    }
    let rows = q.query(" ORDER BY id").fetch_all(db).await?;
    rows.iter().map(case_from_row).collect()
}
