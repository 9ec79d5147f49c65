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

/// A fault responsibility record (过错责任记录).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fault {
    pub id: String,
    /// `staff`, `department` or `centre`.
    pub unit_kind: String,
    /// The user name, department code or centre code held responsible.
    pub unit: String,
    /// What happened.
    pub what: String,
    /// Which rule was broken.
    pub rule: String,
    /// What was decided (warning, deduction, …).
    pub decision: String,
    pub occurred_on: NaiveDate,
    pub recorded_by: String,
    pub recorded_at: String,
}

pub async fn insert_fault(conn: &mut sqlx::AnyConnection, f: &Fault) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO faults (id, unit_kind, unit, what, rule, decision, occurred_on, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&f.id)
    .bind(&f.unit_kind)
    .bind(&f.unit)
    .bind(&f.what)
    .bind(&f.rule)
    .bind(&f.decision)
    .bind(f.occurred_on.format("%Y-%m-%d").to_string())
    .bind(&f.recorded_by)
    .bind(&f.recorded_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Fault records of `[from, to]`, oldest first.
pub async fn faults_between<'c, E>(
    db: E,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Fault>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT id, unit_kind, unit, what, rule, decision, occurred_on, recorded_by, recorded_at \
         FROM faults WHERE occurred_on >= $1 AND occurred_on <= $2 ORDER BY occurred_on, id",
    )
    .bind(from.format("%Y-%m-%d").to_string())
    .bind(to.format("%Y-%m-%d").to_string())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let on: String = r.try_get("occurred_on")?;
            Ok(Fault {
                unit_kind: r.try_get("unit_kind")?,
                unit: r.try_get("unit")?,
                what: r.try_get("what")?,
                rule: r.try_get("rule")?,
                decision: r.try_get("decision")?,
                occurred_on: NaiveDate::parse_from_str(&on, "%Y-%m-%d")
                    .map_err(|e| StoreError::corrupt(id.as_str(), e))?,
                recorded_by: r.try_get("recorded_by")?,
                recorded_at: r.try_get("recorded_at")?,
                id,
            })
        })
        .collect()
}
