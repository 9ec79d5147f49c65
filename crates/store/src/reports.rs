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
    /// Only cases accepted at these centres (a level of the network, a township with its
    /// points); `None` for any centre.
    pub centres: Option<Vec<String>>,
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
    match aggregated_touching(db, facts::LINE, f).await? {
        None => Ok(Vec::new()),
        Some(text) => text.lines().map(facts::facts_from_line).collect(),
    }
}

/// The summary facts of a case with the units it is ranked under (绩效考核): its department, its
/// centre and who decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedFacts {
    pub case_id: String,
    pub department: String,
    pub centre: String,
    /// The user who decided the case; `None` while undecided.
    pub decided_by: Option<String>,
    pub facts: CaseFacts,
}

/// [`facts_touching`] with each row's units: what the dashboard and the monthly report read once
/// for their figures, daily series and rankings.
pub async fn tagged_facts_touching<'c, E>(
    db: E,
    f: &PeriodFilter,
) -> Result<Vec<TaggedFacts>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    // The units are free text (a department code comes from the catalogue): each is written with
    // its length in characters first, so that no character in it can be taken for a separator.
    let line = format!(
        "format('%s:%s%s:%s%s:%s', LENGTH(department), department, LENGTH(centre), centre, \
         LENGTH(COALESCE(decided_by, '')), COALESCE(decided_by, '')) || {}",
        facts::LINE
    );
    match aggregated_touching(db, &line, f).await? {
        None => Ok(Vec::new()),
        Some(text) => text.lines().map(tagged_from_line).collect(),
    }
}

/// One line of [`tagged_facts_touching`]: three length-prefixed units, then a [`facts::LINE`].
fn tagged_from_line(line: &str) -> Result<TaggedFacts, StoreError> {
    fn unit<'a>(rest: &mut &'a str) -> Result<&'a str, StoreError> {
        let bad = || StoreError::corrupt("case facts", "a unit without its length");
        let (length, tail) = rest.split_once(':').ok_or_else(bad)?;
        let chars: usize = length.parse().map_err(|_| bad())?;
        let end = tail
            .char_indices()
            .nth(chars)
            .map_or(tail.len(), |(i, _)| i);
        if tail[..end].chars().count() != chars {
            return Err(bad());
        }
        let (value, after) = tail.split_at(end);
        *rest = after;
        Ok(value)
    }
    let mut rest = line;
    let department = unit(&mut rest)?.to_string();
    let centre = unit(&mut rest)?.to_string();
    let decided_by = Some(unit(&mut rest)?)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    let case_id = rest.split('|').next().unwrap_or_default().to_string();
    Ok(TaggedFacts {
        case_id,
        department,
        centre,
        decided_by,
        facts: facts::facts_from_line(rest)?,
    })
}

/// The lines `line` (an SQL expression over `case_facts`) of the cases touching the period, as
/// one text value; `None` when there are none.
async fn aggregated_touching<'c, E>(
    db: E,
    line: &str,
    f: &PeriodFilter,
) -> Result<Option<String>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut q = Filtered::new(&format!("SELECT {line} AS line FROM case_facts"));
    match (f.from, f.to) {
        (Some(from), Some(to)) => {
            let (a, b) = (day(from), day(to));
            q.and(
                "received_on <= ? AND (closed_on IS NULL OR closed_on >= ?) AND (\
                 (received_on >= ? AND received_on <= ?) \
                 OR (accepted_on >= ? AND accepted_on <= ?) \
                 OR (rejected_on >= ? AND rejected_on <= ?) \
                 OR (completed_on >= ? AND completed_on <= ?) \
                 OR (withdrawn_on >= ? AND withdrawn_on <= ?) \
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
            return Ok(None);
        }
        q.and_in("item_code", codes);
    }
    if let Some(centres) = &f.centres {
        if centres.is_empty() {
            return Ok(None);
        }
        q.and_in("centre", centres);
    }
    // string_agg is PostgreSQL's and SQLite's (3.44 on; the bundled one is newer); the separator
    // is a newline between quotes, which both read literally.
    let row = q
        .wrap("SELECT string_agg(line, '\n') FROM (", ") AS period")
        .fetch_one(db)
        .await?;
    Ok(sqlx::Row::try_get(&row, 0)?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tagged_line_keeps_units_that_hold_separators_and_chinese() {
        let line = "7:市场|监管:局5:a|b:c0:\
                    c1|2026-10-08|2026-10-09|0||2026-10-20|10|1|0|2026-10-09|20|0|||SCJG-001";
        let tagged = tagged_from_line(line).expect("parsed");
        assert_eq!(tagged.department, "市场|监管:局");
        assert_eq!(tagged.centre, "a|b:c");
        assert_eq!(tagged.decided_by, None);
        assert_eq!(tagged.case_id, "c1");
        assert_eq!(tagged.facts.visits, 1);
        assert_eq!(tagged.facts.promised_days, 10);
        assert_eq!(tagged.facts.item_code, "SCJG-001");
        assert_eq!(
            tagged.facts.completed_on,
            NaiveDate::from_ymd_opt(2026, 10, 20)
        );
        let decided = tagged_from_line(
            "5:SCJGJ11:county-hall8:approver\
             c2|2026-10-08||0|||10|0|0||||||SCJG-001",
        )
        .expect("parsed");
        assert_eq!(decided.decided_by.as_deref(), Some("approver"));
        for broken in ["", "x:SCJGJ", "9:SCJGJ", "5:SCJGJ:11:county-hall"] {
            assert!(tagged_from_line(broken).is_err(), "{broken:?}");
        }
    }
}
