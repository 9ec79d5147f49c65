//! The summary row of each case (`case_facts`): the few facts the statistics read, kept beside the
//! case in the transaction of every write, so that the figures of a month among millions of cases
//! come from indexed dates instead of case bodies.
//!
//! What a row holds is the domain's [`CaseFacts`] (the one definition of what a figure reads) plus
//! the columns a period is filtered on (item, department, centre, window, channel). The window is
//! recorded when the case is first written: a window of the case's centre that lists the case's
//! department, else one of the centre's comprehensive windows (those that list no department),
//! chosen by the receipt number so that a centre's cases spread over its windows; none if the
//! centre has no window. A window is named `centre/code`.

use chrono::NaiveDate;
use onewindow_domain::case::Case;
use onewindow_domain::clock::{CaseClock, Suspension, SuspensionKind};
use onewindow_domain::statistics::CaseFacts;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::StoreError;

/// The last migration that changes the shape of `case_facts` (9 creates it, 14 adds who
/// decided, 23 the day of a withdrawal); the runner fills in the rows of existing cases right
/// after it, so that the rows are written with every column of the current shape. No migration
/// between reads the table.
pub(crate) const BACKFILL_AFTER: i64 = 23;

/// The columns [`facts_from_row`] reads, for a SELECT.
pub const COLUMNS: &str = "case_id, received_on, accepted_on, rejected, rejected_on, completed_on, \
     promised_days, visits, on_clock, clock_started_on, clock_limit_days, clock_extension_days, \
     suspensions, item_code, withdrawn_on";

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// `from/until` per suspension, separated by `;` (`from/` while open); `None` for none.
fn suspensions_text(clock: &CaseClock) -> Option<String> {
    if clock.suspensions.is_empty() {
        return None;
    }
    let parts: Vec<String> = clock
        .suspensions
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s.from.format("%Y-%m-%d"),
                date_text(s.until).unwrap_or_default()
            )
        })
        .collect();
    Some(parts.join(";"))
}

fn parse_date(id: &str, text: &str) -> Result<NaiveDate, StoreError> {
    text.parse::<NaiveDate>()
        .map_err(|e| StoreError::corrupt(format!("case facts {id}"), e))
}

fn parse_suspensions(id: &str, text: &str) -> Result<Vec<Suspension>, StoreError> {
    text.split(';')
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (from, until) = part
                .split_once('/')
                .ok_or_else(|| StoreError::corrupt(format!("case facts {id}"), part))?;
            Ok(Suspension {
                // Not kept: no figure reads a suspension's kind or reason.
                kind: SuspensionKind::Supplement,
                reason: String::new(),
                from: parse_day(id, from)?,
                until: if until.is_empty() {
                    None
                } else {
                    Some(parse_day(id, until)?)
                },
            })
        })
        .collect()
}

fn count(id: &str, v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|e| StoreError::corrupt(format!("case facts {id}"), e))
}

/// One summary row as one line of text, `|` between fields, for reading tens of thousands of rows
/// as a single aggregated value (see `reports::facts_touching`): the per-row cost of the driver
/// is most of the time a month's statistics take otherwise. One `format()` call per row (SQLite
/// 3.38 on and PostgreSQL alike: `%s` prints integers as numbers and NULL as nothing) builds it
/// in about two thirds of the time a chain of `||` took.
pub const LINE: &str = "format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', case_id, received_on, \
     accepted_on, rejected, rejected_on, completed_on, promised_days, visits, on_clock, \
     clock_started_on, clock_limit_days, clock_extension_days, suspensions, withdrawn_on, item_code)";

/// `YYYY-MM-DD` without a format string (this runs for every row of a period).
fn parse_day(id: &str, text: &str) -> Result<NaiveDate, StoreError> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10))
        && let Some(day) = i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
    {
        return Ok(day);
    }
    parse_date(id, text)
}

/// The facts of one [`LINE`].
pub fn facts_from_line(line: &str) -> Result<CaseFacts, StoreError> {
    let mut fields = line.split('|');
    let id = fields.next().unwrap_or_default();
    let mut next = || {
        fields
            .next()
            .ok_or_else(|| StoreError::corrupt(format!("case facts {id}"), "too few fields"))
    };
    let date = |t: &str| -> Result<Option<NaiveDate>, StoreError> {
        if t.is_empty() {
            Ok(None)
        } else {
            parse_day(id, t).map(Some)
        }
    };
    let number = |t: &str| -> Result<u32, StoreError> {
        t.parse::<u32>()
            .map_err(|e| StoreError::corrupt(format!("case facts {id}"), e))
    };
    let received_on = parse_day(id, next()?)?;
    let accepted_on = date(next()?)?;
    let rejected = next()? != "0";
    let rejected_on = date(next()?)?;
    let completed_on = date(next()?)?;
    let promised_days = number(next()?)?;
    let visits = number(next()?)?;
    let on_clock = next()? != "0";
    let started = date(next()?)?;
    let limit = next()?;
    let extension = next()?;
    let suspensions = next()?;
    let withdrawn_on = date(next()?)?;
    let item_code = next()?.to_string();
    let clock = match started {
        Some(started_on) => Some(CaseClock {
            started_on,
            limit_days: if limit.is_empty() { 0 } else { number(limit)? },
            extension_days: if extension.is_empty() {
                0
            } else {
                number(extension)?
            },
            suspensions: parse_suspensions(id, suspensions)?,
        }),
        None => None,
    };
    Ok(CaseFacts {
        received_on,
        accepted_on,
        rejected,
        rejected_on,
        completed_on,
        promised_days,
        visits,
        on_clock,
        clock,
        item_code,
        withdrawn_on,
    })
}

/// The facts of a row selected with [`COLUMNS`].
pub fn facts_from_row(row: &AnyRow) -> Result<CaseFacts, StoreError> {
    let id: String = row.try_get(0)?;
    let date = |i: usize| -> Result<Option<NaiveDate>, StoreError> {
        let text: Option<String> = row.try_get(i)?;
        text.map(|t| parse_date(&id, &t)).transpose()
    };
    let received: String = row.try_get(1)?;
    let clock = match date(9)? {
        Some(started_on) => {
            let limit: Option<i64> = row.try_get(10)?;
            let extension: Option<i64> = row.try_get(11)?;
            let suspensions: Option<String> = row.try_get(12)?;
            Some(CaseClock {
                started_on,
                limit_days: count(&id, limit.unwrap_or(0))?,
                extension_days: count(&id, extension.unwrap_or(0))?,
                suspensions: match suspensions {
                    Some(text) => parse_suspensions(&id, &text)?,
                    None => Vec::new(),
                },
            })
        }
        None => None,
    };
    Ok(CaseFacts {
        received_on: parse_date(&id, &received)?,
        accepted_on: date(2)?,
        rejected: row.try_get::<i64, _>(3)? != 0,
        rejected_on: date(4)?,
        completed_on: date(5)?,
        promised_days: count(&id, row.try_get(6)?)?,
        visits: count(&id, row.try_get(7)?)?,
        on_clock: row.try_get::<i64, _>(8)? != 0,
        clock,
        item_code: row.try_get(13)?,
        withdrawn_on: date(14)?,
    })
}

/// The window that receives a case of `department` at a centre with these windows (`code`,
/// departments served).
pub fn pick_window(
    centre: &str,
    department: &str,
    number: &str,
    windows: &[(String, Vec<String>)],
) -> Option<String> {
    let serving: Vec<&String> = windows
        .iter()
        .filter(|(_, departments)| departments.iter().any(|d| d == department))
        .map(|(code, _)| code)
        .collect();
    let candidates = if serving.is_empty() {
        windows
            .iter()
            .filter(|(_, departments)| departments.is_empty())
            .map(|(code, _)| code)
            .collect()
    } else {
        serving
    };
    if candidates.is_empty() {
        return None;
    }
    let hash = number
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let i = usize::try_from(hash % candidates.len() as u64).unwrap_or(0);
    candidates.get(i).map(|code| format!("{centre}/{code}"))
}

/// The windows of a centre: code and the departments each serves.
pub async fn windows_of(
    conn: &mut AnyConnection,
    centre: &str,
) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    let rows = sqlx::query("SELECT code, departments FROM windows WHERE centre = $1 ORDER BY code")
        .bind(centre)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let code: String = r.try_get(0)?;
            let departments: String = r.try_get(1)?;
            let departments = serde_json::from_str(&departments)
                .map_err(|e| StoreError::corrupt(code.as_str(), e))?;
            Ok((code, departments))
        })
        .collect()
}

/// Writes the summary row of a new case (or replaces it), choosing its window.
pub async fn insert(conn: &mut AnyConnection, case: &Case) -> Result<(), StoreError> {
    let windows = windows_of(&mut *conn, &case.centre).await?;
    let window = pick_window(&case.centre, &case.department, &case.number, &windows);
    insert_with_window(conn, case, window.as_deref()).await
}

/// Writes the summary row of a new case with its window already chosen (bulk loads).
pub async fn insert_with_window(
    conn: &mut AnyConnection,
    case: &Case,
    window: Option<&str>,
) -> Result<(), StoreError> {
    let f = CaseFacts::of(case);
    sqlx::query(
        "INSERT INTO case_facts (case_id, item_code, department, centre, service_window, channel, \
         received_on, accepted_on, rejected, rejected_on, completed_on, closed_on, promised_days, \
         visits, on_clock, clock_started_on, clock_limit_days, clock_extension_days, suspensions, \
         decided_by, withdrawn_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         $20, $21)",
    )
    .bind(&case.id)
    .bind(&case.item_code)
    .bind(&case.department)
    .bind(&case.centre)
    .bind(window)
    .bind(case.channel.as_str())
    .bind(f.received_on.format("%Y-%m-%d").to_string())
    .bind(date_text(f.accepted_on))
    .bind(i64::from(f.rejected))
    .bind(date_text(f.rejected_on))
    .bind(date_text(f.completed_on))
    .bind(date_text(case.closed_on))
    .bind(i64::from(f.promised_days))
    .bind(i64::from(f.visits))
    .bind(i64::from(f.on_clock))
    .bind(f.clock.as_ref().map(|c| c.started_on.format("%Y-%m-%d").to_string()))
    .bind(f.clock.as_ref().map(|c| i64::from(c.limit_days)))
    .bind(f.clock.as_ref().map(|c| i64::from(c.extension_days)))
    .bind(f.clock.as_ref().and_then(suspensions_text))
    .bind(case.decision.as_ref().map(|d| d.decided_by.as_str()))
    .bind(date_text(f.withdrawn_on))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Brings the summary row of a changed case up to date (its window stays the one that received
/// it); writes one if the case has none.
pub async fn update(conn: &mut AnyConnection, case: &Case) -> Result<(), StoreError> {
    let f = CaseFacts::of(case);
    let result = sqlx::query(
        "UPDATE case_facts SET item_code = $2, department = $3, centre = $4, channel = $5, \
         received_on = $6, accepted_on = $7, rejected = $8, rejected_on = $9, completed_on = $10, \
         closed_on = $11, promised_days = $12, visits = $13, on_clock = $14, clock_started_on = $15, \
         clock_limit_days = $16, clock_extension_days = $17, suspensions = $18, decided_by = $19, \
         withdrawn_on = $20 WHERE case_id = $1",
    )
    .bind(&case.id)
    .bind(&case.item_code)
    .bind(&case.department)
    .bind(&case.centre)
    .bind(case.channel.as_str())
    .bind(f.received_on.format("%Y-%m-%d").to_string())
    .bind(date_text(f.accepted_on))
    .bind(i64::from(f.rejected))
    .bind(date_text(f.rejected_on))
    .bind(date_text(f.completed_on))
    .bind(date_text(case.closed_on))
    .bind(i64::from(f.promised_days))
    .bind(i64::from(f.visits))
    .bind(i64::from(f.on_clock))
    .bind(f.clock.as_ref().map(|c| c.started_on.format("%Y-%m-%d").to_string()))
    .bind(f.clock.as_ref().map(|c| i64::from(c.limit_days)))
    .bind(f.clock.as_ref().map(|c| i64::from(c.extension_days)))
    .bind(f.clock.as_ref().and_then(suspensions_text))
    .bind(case.decision.as_ref().map(|d| d.decided_by.as_str()))
    .bind(date_text(f.withdrawn_on))
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() == 0 {
        insert(conn, case).await?;
    }
    Ok(())
}

/// Writes the summary rows of every case that has none, reading the case bodies in pages (the
/// migration that creates the table runs it once). Returns how many it wrote.
pub async fn backfill(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let mut written = 0;
    let mut after = String::new();
    loop {
        let rows = sqlx::query(
            "SELECT c.id, c.body FROM cases c LEFT JOIN case_facts f ON f.case_id = c.id \
             WHERE c.id > $1 AND f.case_id IS NULL ORDER BY c.id LIMIT 1000",
        )
        .bind(&after)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(written);
        };
        after = last.try_get(0)?;
        for row in &rows {
            let case = crate::cases::case_from_row(row)?;
            insert(&mut *conn, &case).await?;
            written += 1;
        }
    }
}

/// The window given as `centre/code`, if it names one of the windows table.
pub async fn window_exists<'c, E>(db: E, window: &str) -> Result<bool, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let Some((centre, code)) = window.split_once('/') else {
        return Ok(false);
    };
    Ok(
        sqlx::query("SELECT code FROM windows WHERE centre = $1 AND code = $2")
            .bind(centre)
            .bind(code)
            .fetch_optional(db)
            .await?
            .is_some(),
    )
}

/// The summary row of one case: its facts and the window that received it.
pub async fn of_case<'c, E>(
    db: E,
    case_id: &str,
) -> Result<Option<(CaseFacts, Option<String>)>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, service_window FROM case_facts WHERE case_id = $1"
    )))
    .bind(case_id)
    .fetch_optional(db)
    .await?;
    row.map(|r| Ok((facts_from_row(&r)?, r.try_get(15)?)))
        .transpose()
}

/// Lets an SQLite connection keep up to 1 GiB of pages in memory (instead of 2 MiB) for a bulk
/// load of millions of cases, whose rows go into indexes in no particular order. SQLite only.
pub async fn sqlite_bulk_cache(conn: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::raw_sql("PRAGMA cache_size = -1048576")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
