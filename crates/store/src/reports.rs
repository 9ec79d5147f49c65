//! Reads for statistics and reports.

use chrono::NaiveDate;
use onewindow_domain::case::Case;
use onewindow_domain::statistics::CaseFacts;
use sqlx::{Any, Executor};

use crate::StoreError;
use crate::cases::case_from_row;
use crate::facts;
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
    /// The window that received the case, as `centre/code` (only [`facts_touching`] reads it).
    pub window: Option<String>,
    /// Only cases of these items (the items of a level); `None` for any item.
    pub item_codes: Option<Vec<String>>,
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

/// The summary facts of every case that counts in `[from, to]` (see `facts.rs`): received,
/// accepted, rejected or decided in the period, or on a clock now and received by its end. Every
/// other case that [`cases_touching`] returns adds nothing to any figure: it has no date in the
/// period and, off the clock, cannot be overdue. Reads only the narrow summary rows, through the
/// indexes of those dates.
///
/// The rows come back as one aggregated text value (a line per row, see [`facts::LINE`]): the
/// driver's cost per row, not the database's, is most of the time otherwise.
pub async fn facts_touching<'c, E>(db: E, f: &PeriodFilter) -> Result<Vec<CaseFacts>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut q = Filtered::new(&format!("SELECT {} AS line FROM case_facts", facts::LINE));
    match (f.from, f.to) {
        (Some(from), Some(to)) => {
            let (a, b) = (day(from), day(to));
            q.and(
                "received_on <= ? AND (closed_on IS NULL OR closed_on >= ?) AND (\
                 (received_on >= ? AND received_on <= ?) \
                 OR (accepted_on >= ? AND accepted_on <= ?) \
                 OR (rejected_on >= ? AND rejected_on <= ?) \
                 OR (completed_on >= ? AND completed_on <= ?) \
                 OR (on_clock = 1 AND received_on <= ?))",
                [
                    b.clone(),
                    a.clone(),
                    a.clone(),
                    b.clone(),
                    a.clone(),
                    b.clone(),
                    a.clone(),
                    b.clone(),
                    a,
                    b.clone(),
                    b,
                ],
            );
        }
        (from, to) => {
            if let Some(to) = to {
                q.and("received_on <= ?", [day(to)]);
            }
            if let Some(from) = from {
                q.and("(closed_on IS NULL OR closed_on >= ?)", [day(from)]);
            }
        }
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
    if let Some(v) = &f.window {
        q.and("service_window = ?", [v.clone()]);
    }
    if let Some(codes) = &f.item_codes {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        q.and_in("item_code", codes);
    }
    // string_agg is PostgreSQL's and SQLite's (3.44 on; the bundled one is newer); the separator
    // is a newline between quotes, which both read literally.
    let row = q
        .wrap("SELECT string_agg(line, '\n') FROM (", ") AS period")
        .fetch_one(db)
        .await?;
    let text: Option<String> = sqlx::Row::try_get(&row, 0)?;
    match text {
        None => Ok(Vec::new()),
        Some(text) => text.lines().map(facts::facts_from_line).collect(),
    }
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
