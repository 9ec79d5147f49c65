//! Electronic licences, the licence type register, the public keys that verify signatures, and
//! downloads of results. The rules (identifiers, states, what is signed) are the domain's
//! (`onewindow_domain::licence`); this keeps the records.

use onewindow_domain::licence::Licence;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor, Row};

use crate::StoreError;

fn decode(identifier: &str, body: &str) -> Result<Licence, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::corrupt(format!("licence {identifier}"), e))
}

fn encode(licence: &Licence) -> Result<String, StoreError> {
    serde_json::to_string(licence)
        .map_err(|e| StoreError::corrupt(format!("licence {}", licence.identifier), e))
}

/// Identity numbers are matched without regard to case (the X of an identity number, the
/// letters of a credit code).
fn holder_key(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

/// Records a newly issued licence (or a new version of one), in the caller's transaction.
pub async fn insert(
    conn: &mut AnyConnection,
    licence: &Licence,
    case_id: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO licences (identifier, holder_id, licence_type, issuer_department, case_id, \
         state, valid_until, issued_at, updated_at, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
    )
    .bind(&licence.identifier)
    .bind(holder_key(&licence.holder.id_number))
    .bind(&licence.licence_type)
    .bind(&licence.issuer_department)
    .bind(case_id)
    .bind(licence.state.as_str())
    .bind(licence.valid_until.map(|d| d.to_string()))
    .bind(at)
    .bind(encode(licence)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a licence's new state (a change, a revocation, a cancellation).
pub async fn update(
    conn: &mut AnyConnection,
    licence: &Licence,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE licences SET state = $1, valid_until = $2, updated_at = $3, body = $4 \
         WHERE identifier = $5",
    )
    .bind(licence.state.as_str())
    .bind(licence.valid_until.map(|d| d.to_string()))
    .bind(at)
    .bind(encode(licence)?)
    .bind(&licence.identifier)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A licence and the id of the case that issued it.
#[derive(Debug, Clone)]
pub struct StoredLicence {
    pub licence: Licence,
    pub case_id: String,
}

/// One licence by its identifier (any version).
pub async fn get<'c, E>(db: E, identifier: &str) -> Result<Option<StoredLicence>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT identifier, case_id, body FROM licences WHERE identifier = $1")
        .bind(identifier)
        .fetch_optional(db)
        .await?;
    row.map(|row| {
        let identifier: String = row.try_get("identifier")?;
        let body: String = row.try_get("body")?;
        Ok(StoredLicence {
            licence: decode(&identifier, &body)?,
            case_id: row.try_get("case_id")?,
        })
    })
    .transpose()
}

async fn list<'c, E>(db: E, sql: &'static str, bind: &str) -> Result<Vec<StoredLicence>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(sql).bind(bind).fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            let identifier: String = row.try_get("identifier")?;
            let body: String = row.try_get("body")?;
            Ok(StoredLicence {
                licence: decode(&identifier, &body)?,
                case_id: row.try_get("case_id")?,
            })
        })
        .collect()
}

/// Every licence (every version) a holder holds, the newest first.
pub async fn of_holder<'c, E>(db: E, holder_id: &str) -> Result<Vec<StoredLicence>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    list(
        db,
        "SELECT identifier, case_id, body FROM licences WHERE holder_id = $1 \
         ORDER BY issued_at DESC, identifier DESC",
        &holder_key(holder_id),
    )
    .await
}

/// The licences of `holder_id` of each of `types` that are valid on `today` (state valid, last
/// day not passed) and were issued on the newest day any of them was: what 免证办 may take as
/// materials. The domain's `serving_licence` chooses among them by issue day and version, so
/// every usable licence of that day is read (an amendment's new version shares its day with
/// licences issued after it), in the order the holder's whole list had. A filing reads these
/// instead of every licence the holder ever held, so its cost does not grow with the holder's
/// history (issue 19). `day_start` is 00:00 of a day in the centre's time zone, as UTC.
pub async fn usable_of_holder(
    conn: &mut AnyConnection,
    holder_id: &str,
    types: &[&str],
    today: chrono::NaiveDate,
    day_start: impl Fn(chrono::NaiveDate) -> chrono::DateTime<chrono::Utc>,
) -> Result<Vec<StoredLicence>, StoreError> {
    const USABLE: &str = "FROM licences WHERE holder_id = $1 AND licence_type = $2 AND state = $3 \
         AND (valid_until IS NULL OR valid_until >= $4)";
    let holder = holder_key(holder_id);
    let today = today.to_string();
    let valid = onewindow_domain::licence::LicenceState::Valid.as_str();
    let mut found = Vec::new();
    for licence_type in types {
        let newest = sqlx::query(AssertSqlSafe(format!(
            "SELECT identifier, body {USABLE} ORDER BY issued_at DESC, identifier DESC LIMIT 1"
        )))
        .bind(&holder)
        .bind(*licence_type)
        .bind(valid)
        .bind(&today)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(newest) = newest else {
            continue;
        };
        let identifier: String = newest.try_get("identifier")?;
        let body: String = newest.try_get("body")?;
        let from = day_start(decode(&identifier, &body)?.issued_on).to_rfc3339();
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT identifier, case_id, body {USABLE} AND issued_at >= $5 \
             ORDER BY issued_at DESC, identifier DESC"
        )))
        .bind(&holder)
        .bind(*licence_type)
        .bind(valid)
        .bind(&today)
        .bind(from)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            let identifier: String = row.try_get("identifier")?;
            let body: String = row.try_get("body")?;
            found.push(StoredLicence {
                licence: decode(&identifier, &body)?,
                case_id: row.try_get("case_id")?,
            });
        }
    }
    Ok(found)
}

/// The licences a case issued, in the order they were issued.
pub async fn of_case<'c, E>(db: E, case_id: &str) -> Result<Vec<StoredLicence>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    list(
        db,
        "SELECT identifier, case_id, body FROM licences WHERE case_id = $1 \
         ORDER BY issued_at, identifier",
        case_id,
    )
    .await
}

/// The type code registered for a licence type name.
pub async fn type_code<'c, E>(db: E, name: &str) -> Result<Option<String>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT type_code FROM licence_types WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| r.try_get("type_code")).transpose()?)
}

/// Every type code starting with `prefix` (a definer's credit code).
pub async fn type_codes_of<'c, E>(db: E, prefix: &str) -> Result<Vec<String>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT type_code FROM licence_types WHERE type_code LIKE $1")
        .bind(format!("{prefix}%"))
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| r.try_get("type_code").map_err(StoreError::from))
        .collect()
}

/// Registers a licence type; `false` when the name is registered already (another transaction
/// won: read it back).
pub async fn insert_type(
    conn: &mut AnyConnection,
    name: &str,
    type_code: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO licence_types (name, type_code, defined_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(name)
    .bind(type_code)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A public key that verifies licence signatures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicKeyRow {
    pub key_id: String,
    pub issuer_code: String,
    /// The 32-byte Ed25519 public key, base64url without padding.
    pub public_key: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<String>,
}

/// Publishes a public key (once: a key already published is left as it is).
pub async fn publish_key(conn: &mut AnyConnection, key: &PublicKeyRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO licence_keys (key_id, issuer_code, public_key, created_at, retired_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(&key.key_id)
    .bind(&key.issuer_code)
    .bind(&key.public_key)
    .bind(&key.created_at)
    .bind(&key.retired_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every published key, the oldest first.
pub async fn keys<'c, E>(db: E) -> Result<Vec<PublicKeyRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT key_id, issuer_code, public_key, created_at, retired_at FROM licence_keys \
         ORDER BY created_at, key_id",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PublicKeyRow {
                key_id: r.try_get("key_id")?,
                issuer_code: r.try_get("issuer_code")?,
                public_key: r.try_get("public_key")?,
                created_at: r.try_get("created_at")?,
                retired_at: r.try_get("retired_at")?,
            })
        })
        .collect()
}

/// One published key.
pub async fn key<'c, E>(db: E, key_id: &str) -> Result<Option<PublicKeyRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT key_id, issuer_code, public_key, created_at, retired_at FROM licence_keys \
         WHERE key_id = $1",
    )
    .bind(key_id)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(PublicKeyRow {
            key_id: r.try_get("key_id")?,
            issuer_code: r.try_get("issuer_code")?,
            public_key: r.try_get("public_key")?,
            created_at: r.try_get("created_at")?,
            retired_at: r.try_get("retired_at")?,
        })
    })
    .transpose()
}

/// Marks a key retired: it signs no more.
pub async fn retire_key(
    conn: &mut AnyConnection,
    key_id: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE licence_keys SET retired_at = $1 WHERE key_id = $2 AND retired_at IS NULL")
        .bind(at)
        .bind(key_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records a download of a case's result (`document`: a licence identifier or `decision`).
pub async fn record_download(
    conn: &mut AnyConnection,
    case_id: &str,
    document: &str,
    username: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO result_downloads (id, case_id, document, username, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(case_id)
    .bind(document)
    .bind(username)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One download of a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub document: String,
    pub username: String,
    pub at: String,
}

/// The downloads of a case's results, the first first.
pub async fn downloads<'c, E>(db: E, case_id: &str) -> Result<Vec<Download>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT document, username, at FROM result_downloads WHERE case_id = $1 ORDER BY at, id",
    )
    .bind(case_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Download {
                document: r.try_get("document")?,
                username: r.try_get("username")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}
