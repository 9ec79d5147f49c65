//! The intermediary market's rows: firms, needs and contracts, each a JSON body with its list
//! columns, changed only at the version it was read at.

use onewindow_domain::intermediary::{Contract, Firm, Need};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

fn body<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::corrupt(what, e))
}

fn read<T: DeserializeOwned>(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .map(|row| {
            let id: String = row.try_get(0)?;
            let body: String = row.try_get(1)?;
            serde_json::from_str(&body).map_err(|e| StoreError::corrupt(id, e))
        })
        .collect()
}

fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Stores a newly registered firm and the account that acts for it.
pub async fn insert_firm(
    conn: &mut AnyConnection,
    firm: &Firm,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO intermediary_firms (uscc, name, status, version, body, registered_on, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&firm.uscc)
    .bind(&firm.name)
    .bind(firm.status.as_str())
    .bind(version(firm.version))
    .bind(body(&firm.uscc, firm)?)
    .bind(firm.registered_on.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    for account in &firm.accounts {
        sqlx::query("INSERT INTO intermediary_firm_accounts (username, uscc) VALUES ($1, $2)")
            .bind(account)
            .bind(&firm.uscc)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Writes a firm if it is still at `expected`; false when someone changed it first.
pub async fn update_firm(
    conn: &mut AnyConnection,
    firm: &Firm,
    expected: u64,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE intermediary_firms SET name = $1, status = $2, version = $3, body = $4, \
         updated_at = $5 WHERE uscc = $6 AND version = $7",
    )
    .bind(&firm.name)
    .bind(firm.status.as_str())
    .bind(version(firm.version))
    .bind(body(&firm.uscc, firm)?)
    .bind(at)
    .bind(&firm.uscc)
    .bind(version(expected))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get_firm<'c, E>(db: E, uscc: &str) -> Result<Option<Firm>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT uscc, body FROM intermediary_firms WHERE uscc = $1")
        .bind(uscc)
        .fetch_all(db)
        .await?;
    Ok(read(rows)?.pop())
}

/// The firm `username` acts for, if any.
pub async fn firm_of_account<'c, E>(db: E, username: &str) -> Result<Option<Firm>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT f.uscc, f.body FROM intermediary_firms f JOIN intermediary_firm_accounts a \
         ON a.uscc = f.uscc WHERE a.username = $1",
    )
    .bind(username)
    .fetch_all(db)
    .await?;
    Ok(read(rows)?.pop())
}

/// The firms, by name; of one status when `status` is given.
pub async fn firms<'c, E>(db: E, status: Option<&str>) -> Result<Vec<Firm>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows =
        match status {
            Some(s) => sqlx::query(
                "SELECT uscc, body FROM intermediary_firms WHERE status = $1 ORDER BY name, uscc",
            )
            .bind(s)
            .fetch_all(db)
            .await?,
            None => {
                sqlx::query("SELECT uscc, body FROM intermediary_firms ORDER BY name, uscc")
                    .fetch_all(db)
                    .await?
            }
        };
    read(rows)
}

pub async fn insert_need(
    conn: &mut AnyConnection,
    need: &Need,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO intermediary_needs (id, project_code, service, status, quote_deadline, \
         version, body, posted_on, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&need.id)
    .bind(&need.project_code)
    .bind(&need.service)
    .bind(need.status.as_str())
    .bind(need.quote_deadline.to_string())
    .bind(version(need.version))
    .bind(body(&need.id, need)?)
    .bind(need.posted_on.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a need if it is still at `expected`; false when someone changed it first.
pub async fn update_need(
    conn: &mut AnyConnection,
    need: &Need,
    expected: u64,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE intermediary_needs SET status = $1, version = $2, body = $3, updated_at = $4 \
         WHERE id = $5 AND version = $6",
    )
    .bind(need.status.as_str())
    .bind(version(need.version))
    .bind(body(&need.id, need)?)
    .bind(at)
    .bind(&need.id)
    .bind(version(expected))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get_need<'c, E>(db: E, id: &str) -> Result<Option<Need>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT id, body FROM intermediary_needs WHERE id = $1")
        .bind(id)
        .fetch_all(db)
        .await?;
    Ok(read(rows)?.pop())
}

/// Which needs a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NeedFilter {
    pub status: Option<String>,
    pub project_code: Option<String>,
}

/// Needs, newest first (at most `limit`).
pub async fn needs<'c, E>(db: E, filter: &NeedFilter, limit: i64) -> Result<Vec<Need>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut sql = String::from("SELECT id, body FROM intermediary_needs");
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    if let Some(s) = &filter.status {
        binds.push(s.clone());
        clauses.push(format!("status = ${}", binds.len()));
    }
    if let Some(p) = &filter.project_code {
        binds.push(p.clone());
        clauses.push(format!("project_code = ${}", binds.len()));
    }
    if !clauses.is_empty() {
        sql.push_str(&format!(" WHERE {}", clauses.join(" AND ")));
    }
    sql.push_str(&format!(
        " ORDER BY posted_on DESC, id DESC LIMIT ${}",
        binds.len() + 1
    ));
    // Only fixed clauses and numbered placeholders are joined; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        query = query.bind(b);
    }
    read(query.bind(limit).fetch_all(db).await?)
}

pub async fn insert_contract(
    conn: &mut AnyConnection,
    contract: &Contract,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO intermediary_contracts (id, need_id, project_code, firm, status, version, \
         body, signed_on, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&contract.id)
    .bind(&contract.need)
    .bind(&contract.project_code)
    .bind(&contract.firm)
    .bind(contract.status.as_str())
    .bind(version(contract.version))
    .bind(body(&contract.id, contract)?)
    .bind(contract.signed_on.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a contract if it is still at `expected`; false when someone changed it first.
pub async fn update_contract(
    conn: &mut AnyConnection,
    contract: &Contract,
    expected: u64,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE intermediary_contracts SET status = $1, version = $2, body = $3, updated_at = $4 \
         WHERE id = $5 AND version = $6",
    )
    .bind(contract.status.as_str())
    .bind(version(contract.version))
    .bind(body(&contract.id, contract)?)
    .bind(at)
    .bind(&contract.id)
    .bind(version(expected))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get_contract<'c, E>(db: E, id: &str) -> Result<Option<Contract>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT id, body FROM intermediary_contracts WHERE id = $1")
        .bind(id)
        .fetch_all(db)
        .await?;
    Ok(read(rows)?.pop())
}

/// Which contracts a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractFilter {
    pub project_code: Option<String>,
    pub firm: Option<String>,
}

/// Contracts, newest first.
pub async fn contracts<'c, E>(db: E, filter: &ContractFilter) -> Result<Vec<Contract>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut sql = String::from("SELECT id, body FROM intermediary_contracts");
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    if let Some(p) = &filter.project_code {
        binds.push(p.clone());
        clauses.push(format!("project_code = ${}", binds.len()));
    }
    if let Some(f) = &filter.firm {
        binds.push(f.clone());
        clauses.push(format!("firm = ${}", binds.len()));
    }
    if !clauses.is_empty() {
        sql.push_str(&format!(" WHERE {}", clauses.join(" AND ")));
    }
    sql.push_str(" ORDER BY signed_on DESC, id DESC");
    // Only fixed clauses and numbered placeholders are joined; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        query = query.bind(b);
    }
    read(query.fetch_all(db).await?)
}
