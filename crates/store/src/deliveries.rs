//! Delivery by post: each case's delivery (the choice, the parcels), the parcels by waybill, the
//! couriers that report on them, and the delivered events a period counts. The rules are the
//! domain's (`onewindow_domain::delivery`); this keeps the records.

use onewindow_domain::delivery::{CaseDelivery, Parcel};
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

fn decode(case_id: &str, body: &str) -> Result<CaseDelivery, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::corrupt(format!("delivery {case_id}"), e))
}

/// The delivery of a case, if one was ever chosen.
pub async fn get<'c, E>(db: E, case_id: &str) -> Result<Option<CaseDelivery>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT body FROM deliveries WHERE case_id = $1")
        .bind(case_id)
        .fetch_optional(db)
        .await?;
    row.map(|row| decode(case_id, &row.try_get::<String, _>("body")?))
        .transpose()
}

/// Writes `delivery` if it is still at `expected` (0: not yet written), in the caller's
/// transaction; false when someone else wrote it first.
pub async fn save(
    conn: &mut AnyConnection,
    delivery: &CaseDelivery,
    expected: u64,
    at: &str,
) -> Result<bool, StoreError> {
    let body = serde_json::to_string(delivery)
        .map_err(|e| StoreError::corrupt(format!("delivery {}", delivery.case_id), e))?;
    let version = i64::try_from(delivery.version).unwrap_or(i64::MAX);
    let written = if expected == 0 {
        sqlx::query(
            "INSERT INTO deliveries (case_id, case_number, version, updated_at, body) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO NOTHING",
        )
        .bind(&delivery.case_id)
        .bind(&delivery.case_number)
        .bind(version)
        .bind(at)
        .bind(body)
        .execute(&mut *conn)
        .await?
    } else {
        sqlx::query(
            "UPDATE deliveries SET version = $1, updated_at = $2, body = $3 \
             WHERE case_id = $4 AND version = $5",
        )
        .bind(version)
        .bind(at)
        .bind(body)
        .bind(&delivery.case_id)
        .bind(i64::try_from(expected).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?
    };
    Ok(written.rows_affected() == 1)
}

/// Records a parcel posted for `case_id`; false when the courier's waybill is taken already.
pub async fn insert_parcel(
    conn: &mut AnyConnection,
    case_id: &str,
    parcel: &Parcel,
) -> Result<bool, StoreError> {
    let written = sqlx::query(
        "INSERT INTO parcels (courier, waybill, case_id, state, dispatched_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (courier, waybill) DO NOTHING",
    )
    .bind(&parcel.courier)
    .bind(&parcel.waybill)
    .bind(case_id)
    .bind(parcel.state.as_str())
    .bind(parcel.dispatched_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// Writes a parcel's state, after a report.
pub async fn set_parcel_state(conn: &mut AnyConnection, parcel: &Parcel) -> Result<(), StoreError> {
    sqlx::query("UPDATE parcels SET state = $1 WHERE courier = $2 AND waybill = $3")
        .bind(parcel.state.as_str())
        .bind(&parcel.courier)
        .bind(&parcel.waybill)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The case a courier's waybill belongs to.
pub async fn parcel_case<'c, E>(
    db: E,
    courier: &str,
    waybill: &str,
) -> Result<Option<String>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT case_id FROM parcels WHERE courier = $1 AND waybill = $2")
        .bind(courier)
        .bind(waybill)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| r.try_get("case_id")).transpose()?)
}

/// A courier allowed to report on parcels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourierRow {
    pub code: String,
    pub name: String,
    /// The shared secret its webhook signs with.
    pub secret: String,
    pub created_at: String,
}

/// Adds a courier; false when the code is taken.
pub async fn add_courier(
    conn: &mut AnyConnection,
    courier: &CourierRow,
) -> Result<bool, StoreError> {
    let written = sqlx::query(
        "INSERT INTO couriers (code, name, secret, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(&courier.code)
    .bind(&courier.name)
    .bind(&courier.secret)
    .bind(&courier.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

fn courier_of(row: &sqlx::any::AnyRow) -> Result<CourierRow, StoreError> {
    Ok(CourierRow {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        secret: row.try_get("secret")?,
        created_at: row.try_get("created_at")?,
    })
}

/// One courier by code.
pub async fn courier<'c, E>(db: E, code: &str) -> Result<Option<CourierRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT code, name, secret, created_at FROM couriers WHERE code = $1")
        .bind(code)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(courier_of).transpose()
}

/// Every courier, by code.
pub async fn couriers<'c, E>(db: E) -> Result<Vec<CourierRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT code, name, secret, created_at FROM couriers ORDER BY code")
        .fetch_all(db)
        .await?;
    rows.iter().map(courier_of).collect()
}

/// The delivered events written at or after `from` and before `until` (RFC 3339 instants):
/// their time and body (the event as JSON, with its method).
pub async fn delivered_between<'c, E>(
    db: E,
    from: &str,
    until: &str,
) -> Result<Vec<(String, String)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT at, body FROM case_events WHERE kind = 'delivered' AND at >= $1 AND at < $2",
    )
    .bind(from)
    .bind(until)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("at")?, r.try_get("body")?)))
        .collect()
}
