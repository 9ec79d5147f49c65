//! The follow-up of 容缺受理 and 告知承诺制 beside the case: the promises still open (for the
//! reminder sweep) and the commitments signed (for the department's post-check list and the list
//! of false commitments the window sees). Rewritten from the case in the transaction of every
//! write of a case that has any, so they never disagree with the case body.

use chrono::NaiveDate;
use onewindow_domain::case::Case;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(what: &str, text: &str) -> Result<NaiveDate, StoreError> {
    text.parse::<NaiveDate>()
        .map_err(|e| StoreError::corrupt(what.to_string(), e))
}

/// Rewrites the rows of `case`; a case that never had a promise or a commitment costs nothing.
pub async fn sync(conn: &mut AnyConnection, case: &Case) -> Result<(), StoreError> {
    if !case.promises.is_empty() {
        sqlx::query("DELETE FROM case_promises WHERE case_id = $1")
            .bind(&case.id)
            .execute(&mut *conn)
            .await?;
        // A promise is followed up while the case is on its clock; a withdrawn case has none.
        let followed = case.status.is_on_clock();
        for promise in case.promises.iter().filter(|p| followed && p.is_open()) {
            sqlx::query(
                "INSERT INTO case_promises (case_id, material, due_on) VALUES ($1, $2, $3)",
            )
            .bind(&case.id)
            .bind(&promise.key)
            .bind(day(promise.due_on))
            .execute(&mut *conn)
            .await?;
        }
    }
    if !case.commitments.is_empty() {
        sqlx::query("DELETE FROM case_commitments WHERE case_id = $1")
            .bind(&case.id)
            .execute(&mut *conn)
            .await?;
        for c in &case.commitments {
            sqlx::query(
                "INSERT INTO case_commitments (case_id, material, case_number, department, \
                 item_name, applicant_id, applicant_name, signed_on, check_due_on, checked_on, \
                 truthful, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&case.id)
            .bind(&c.key)
            .bind(&case.number)
            .bind(&case.department)
            .bind(&case.item_name)
            .bind(case.applicant.id_number.to_uppercase())
            .bind(&case.applicant.name)
            .bind(day(c.signed_on))
            .bind(c.check_due_on.map(day))
            .bind(c.check.as_ref().map(|k| day(k.checked_on)))
            .bind(c.check.as_ref().map(|k| i64::from(k.truthful)))
            .bind(c.check.as_ref().map(|k| k.note.clone()))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The cases with a promise open and due on or before `by`, oldest day first.
pub async fn cases_with_promises_due<'c, E>(db: E, by: NaiveDate) -> Result<Vec<String>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT case_id, MIN(due_on) AS first_due FROM case_promises WHERE due_on <= $1 \
         GROUP BY case_id ORDER BY first_due, case_id",
    )
    .bind(day(by))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map_err(StoreError::from))
        .collect()
}

/// One commitment as the lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentRow {
    pub case_id: String,
    pub case_number: String,
    pub material: String,
    pub department: String,
    pub item_name: String,
    pub applicant_id: String,
    pub applicant_name: String,
    pub signed_on: NaiveDate,
    pub check_due_on: Option<NaiveDate>,
    pub checked_on: Option<NaiveDate>,
    pub truthful: Option<bool>,
    pub note: Option<String>,
}

const COLUMNS: &str = "case_id, case_number, material, department, item_name, applicant_id, \
     applicant_name, signed_on, check_due_on, checked_on, truthful, note";

fn row_to_commitment(row: &sqlx::any::AnyRow) -> Result<CommitmentRow, StoreError> {
    let what = "case commitment";
    let date = |i: usize| -> Result<Option<NaiveDate>, StoreError> {
        let text: Option<String> = row.try_get(i)?;
        text.map(|t| parse_day(what, &t)).transpose()
    };
    let signed: String = row.try_get(7)?;
    let truthful: Option<i64> = row.try_get(10)?;
    Ok(CommitmentRow {
        case_id: row.try_get(0)?,
        case_number: row.try_get(1)?,
        material: row.try_get(2)?,
        department: row.try_get(3)?,
        item_name: row.try_get(4)?,
        applicant_id: row.try_get(5)?,
        applicant_name: row.try_get(6)?,
        signed_on: parse_day(what, &signed)?,
        check_due_on: date(8)?,
        checked_on: date(9)?,
        truthful: truthful.map(|t| t != 0),
        note: row.try_get(11)?,
    })
}

/// The commitments accepted and not yet checked, earliest last day first: of `departments`, or
/// of every department when `None`.
pub async fn awaiting_check<'c, E>(
    db: E,
    departments: Option<&[String]>,
    limit: i64,
) -> Result<Vec<CommitmentRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut sql = format!(
        "SELECT {COLUMNS} FROM case_commitments \
         WHERE check_due_on IS NOT NULL AND checked_on IS NULL"
    );
    let mut next = 1;
    if let Some(departments) = departments {
        if departments.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..departments.len())
            .map(|i| format!("${}", i + 1))
            .collect();
        sql.push_str(&format!(" AND department IN ({})", marks.join(", ")));
        next += departments.len();
    }
    sql.push_str(&format!(
        " ORDER BY check_due_on, case_number, material LIMIT ${next}"
    ));
    // Built from constants and numbered placeholders only; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for d in departments.unwrap_or_default() {
        query = query.bind(d);
    }
    let rows = query.bind(limit).fetch_all(db).await?;
    rows.iter().map(row_to_commitment).collect()
}

/// The commitments found false: of one applicant (identity number or credit code) when given,
/// else all, latest first.
pub async fn found_false<'c, E>(
    db: E,
    applicant_id: Option<&str>,
    limit: i64,
) -> Result<Vec<CommitmentRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows =
        match applicant_id {
            Some(id) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM case_commitments WHERE truthful = 0 AND applicant_id = $1 \
                 ORDER BY checked_on DESC, case_number LIMIT $2"
            )))
            .bind(id.to_uppercase())
            .bind(limit)
            .fetch_all(db)
            .await?,
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM case_commitments WHERE truthful = 0 \
                 ORDER BY checked_on DESC, case_number LIMIT $1"
                )))
                .bind(limit)
                .fetch_all(db)
                .await?
            }
        };
    rows.iter().map(row_to_commitment).collect()
}
