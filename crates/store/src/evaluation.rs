//! Evaluation records (好差评): ratings, rectifications and the county's settings. The rules are
//! the domain's (`onewindow_domain::evaluation`); this keeps the records.

use onewindow_domain::evaluation::{
    Complaint, Rating, Rectification, ReturnVisit, VisitReason, VisitState,
};
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

fn decode<T: serde::de::DeserializeOwned>(what: &str, body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::corrupt(what.to_string(), e))
}

fn encode<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::corrupt(what.to_string(), e))
}

/// The `body` column of the rows `sql` selects (with `id` and `body`), each decoded as a `T`;
/// `what` names the record in an error.
async fn bodies_where<'c, E, T>(
    db: E,
    what: &str,
    sql: &'static str,
    binds: &[&str],
) -> Result<Vec<T>, StoreError>
where
    E: Executor<'c, Database = Any>,
    T: serde::de::DeserializeOwned,
{
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            decode(&format!("{what} {id}"), &r.try_get::<String, _>("body")?)
        })
        .collect()
}

/// Records a rating; false when the case's stage is rated already.
pub async fn insert_rating(conn: &mut AnyConnection, rating: &Rating) -> Result<bool, StoreError> {
    let written = sqlx::query(
        "INSERT INTO ratings (id, case_id, case_number, stage, department, channel, level, \
         rated_at, counted, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (case_id, stage) DO NOTHING",
    )
    .bind(&rating.id)
    .bind(&rating.case_id)
    .bind(&rating.case_number)
    .bind(rating.stage.as_str())
    .bind(&rating.department)
    .bind(rating.channel.as_str())
    .bind(i32::from(rating.level.value()))
    .bind(rating.rated_at.to_rfc3339())
    .bind(i32::from(rating.counts()))
    .bind(encode(&format!("rating {}", rating.id), rating)?)
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// Writes a rating taken out of the figures by an appeal.
pub async fn update_rating(conn: &mut AnyConnection, rating: &Rating) -> Result<(), StoreError> {
    sqlx::query("UPDATE ratings SET counted = $1, body = $2 WHERE id = $3")
        .bind(i32::from(rating.counts()))
        .bind(encode(&format!("rating {}", rating.id), rating)?)
        .bind(&rating.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One rating by id.
pub async fn rating<'c, E>(db: E, id: &str) -> Result<Option<Rating>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    Ok(bodies_where::<_, Rating>(
        db,
        "rating",
        "SELECT id, body FROM ratings WHERE id = $1",
        &[id],
    )
    .await?
    .pop())
}

/// The ratings of a case, oldest first.
pub async fn ratings_of_case<'c, E>(db: E, case_id: &str) -> Result<Vec<Rating>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    bodies_where::<_, Rating>(
        db,
        "rating",
        "SELECT id, body FROM ratings WHERE case_id = $1 ORDER BY rated_at, id",
        &[case_id],
    )
    .await
}

/// The ratings given at or after `from` and before `until` (RFC 3339), of one department or
/// all, oldest first.
pub async fn ratings_between<'c, E>(
    db: E,
    from: &str,
    until: &str,
    department: Option<&str>,
) -> Result<Vec<Rating>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    match department {
        Some(d) => {
            bodies_where::<_, Rating>(
                db,
                "rating",
                "SELECT id, body FROM ratings WHERE department = $1 AND rated_at >= $2 \
                 AND rated_at < $3 ORDER BY rated_at, id",
                &[d, from, until],
            )
            .await
        }
        None => {
            bodies_where::<_, Rating>(
                db,
                "rating",
                "SELECT id, body FROM ratings WHERE rated_at >= $1 AND rated_at < $2 \
                 ORDER BY rated_at, id",
                &[from, until],
            )
            .await
        }
    }
}

/// Records a newly opened rectification.
pub async fn insert_rectification(
    conn: &mut AnyConnection,
    r: &Rectification,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO rectifications (id, rating_id, case_id, department, state, opened_on, \
         due_on, closed_on, version, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&r.id)
    .bind(&r.rating_id)
    .bind(&r.case_id)
    .bind(&r.department)
    .bind(r.state.as_str())
    .bind(r.opened_on.to_string())
    .bind(r.due_on.to_string())
    .bind(r.closed_on.map(|d| d.to_string()))
    .bind(i64::try_from(r.version).unwrap_or(i64::MAX))
    .bind(encode(&format!("rectification {}", r.id), r)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a rectification's next state if it is still at `expected`; false otherwise.
pub async fn update_rectification(
    conn: &mut AnyConnection,
    r: &Rectification,
    expected: u64,
) -> Result<bool, StoreError> {
    let written = sqlx::query(
        "UPDATE rectifications SET state = $1, closed_on = $2, version = $3, body = $4 \
         WHERE id = $5 AND version = $6",
    )
    .bind(r.state.as_str())
    .bind(r.closed_on.map(|d| d.to_string()))
    .bind(i64::try_from(r.version).unwrap_or(i64::MAX))
    .bind(encode(&format!("rectification {}", r.id), r)?)
    .bind(&r.id)
    .bind(i64::try_from(expected).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// One rectification by id.
pub async fn rectification<'c, E>(db: E, id: &str) -> Result<Option<Rectification>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    Ok(bodies_where::<_, Rectification>(
        db,
        "rectification",
        "SELECT id, body FROM rectifications WHERE id = $1",
        &[id],
    )
    .await?
    .pop())
}

/// The rectification a rating opened, if any.
pub async fn rectification_of_rating<'c, E>(
    db: E,
    rating_id: &str,
) -> Result<Option<Rectification>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    Ok(bodies_where::<_, Rectification>(
        db,
        "rectification",
        "SELECT id, body FROM rectifications WHERE rating_id = $1",
        &[rating_id],
    )
    .await?
    .pop())
}

/// The rectifications of a case (those its ratings opened and those its return visits did),
/// oldest first.
pub async fn rectifications_of_case<'c, E>(
    db: E,
    case_id: &str,
) -> Result<Vec<Rectification>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    bodies_where::<_, Rectification>(
        db,
        "rectification",
        "SELECT id, body FROM rectifications WHERE case_id = $1 ORDER BY opened_on, id",
        &[case_id],
    )
    .await
}

/// Rectifications of one department or all, opened on or after `from` or still open, newest
/// first.
pub async fn rectifications<'c, E>(
    db: E,
    department: Option<&str>,
    from: &str,
) -> Result<Vec<Rectification>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    match department {
        Some(d) => {
            bodies_where::<_, Rectification>(
                db,
                "rectification",
                "SELECT id, body FROM rectifications WHERE department = $1 \
                 AND (opened_on >= $2 OR state <> 'closed') ORDER BY opened_on DESC, id DESC",
                &[d, from],
            )
            .await
        }
        None => {
            bodies_where::<_, Rectification>(
                db,
                "rectification",
                "SELECT id, body FROM rectifications WHERE opened_on >= $1 OR state <> 'closed' \
                 ORDER BY opened_on DESC, id DESC",
                &[from],
            )
            .await
        }
    }
}

/// The county's evaluation settings: the policy's JSON and the link key, if set.
pub async fn settings<'c, E>(db: E) -> Result<Option<(String, String)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT policy, link_key FROM evaluation_settings WHERE id = 1")
        .fetch_optional(db)
        .await?;
    row.map(|r| -> Result<(String, String), StoreError> {
        Ok((r.try_get("policy")?, r.try_get("link_key")?))
    })
    .transpose()
}

/// Writes the settings (the first write makes the row; a racing first write keeps the first
/// link key).
pub async fn save_settings(
    conn: &mut AnyConnection,
    policy: &str,
    link_key: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO evaluation_settings (id, policy, link_key, updated_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
    )
    .bind(policy)
    .bind(link_key)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn visit_state(v: &ReturnVisit) -> &'static str {
    match v.state {
        VisitState::Pending => "pending",
        VisitState::Reached { .. } => "reached",
        VisitState::NotReached => "not_reached",
    }
}

/// Puts a case on a month's worklist; false when it is there already for that reason.
pub async fn insert_visit(
    conn: &mut AnyConnection,
    v: &ReturnVisit,
    at: &str,
) -> Result<bool, StoreError> {
    let reason = match &v.reason {
        VisitReason::Sampled => "sampled".to_string(),
        VisitReason::BadRating { rating_id } => format!("rating:{rating_id}"),
    };
    let written = sqlx::query(
        "INSERT INTO return_visits (id, case_id, month, reason_key, department, state, updated_at, \
         version, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (case_id, month, reason_key) DO NOTHING",
    )
    .bind(&v.id)
    .bind(&v.case_id)
    .bind(&v.month)
    .bind(reason)
    .bind(&v.department)
    .bind(visit_state(v))
    .bind(at)
    .bind(i64::try_from(v.version).unwrap_or(i64::MAX))
    .bind(encode(&format!("return visit {}", v.id), v)?)
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// Writes a visit's next state if it is still at `expected`; false otherwise.
pub async fn update_visit(
    conn: &mut AnyConnection,
    v: &ReturnVisit,
    expected: u64,
    at: &str,
) -> Result<bool, StoreError> {
    let written = sqlx::query(
        "UPDATE return_visits SET state = $1, updated_at = $2, version = $3, body = $4 \
         WHERE id = $5 AND version = $6",
    )
    .bind(visit_state(v))
    .bind(at)
    .bind(i64::try_from(v.version).unwrap_or(i64::MAX))
    .bind(encode(&format!("return visit {}", v.id), v)?)
    .bind(&v.id)
    .bind(i64::try_from(expected).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// One visit by id.
pub async fn visit<'c, E>(db: E, id: &str) -> Result<Option<ReturnVisit>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    Ok(bodies_where::<_, ReturnVisit>(
        db,
        "return visit",
        "SELECT id, body FROM return_visits WHERE id = $1",
        &[id],
    )
    .await?
    .pop())
}

/// A month's worklist, the pending visits first.
pub async fn visits_of_month<'c, E>(db: E, month: &str) -> Result<Vec<ReturnVisit>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    bodies_where::<_, ReturnVisit>(
        db,
        "return visit",
        "SELECT id, body FROM return_visits WHERE month = $1 \
         ORDER BY CASE WHEN state = 'pending' THEN 0 ELSE 1 END, id",
        &[month],
    )
    .await
}

/// Visits whose last call was at or after `from` and before `until` (RFC 3339).
pub async fn visits_between<'c, E>(
    db: E,
    from: &str,
    until: &str,
) -> Result<Vec<ReturnVisit>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    bodies_where::<_, ReturnVisit>(
        db,
        "return visit",
        "SELECT id, body FROM return_visits WHERE state <> 'pending' AND updated_at >= $1 \
         AND updated_at < $2 ORDER BY updated_at, id",
        &[from, until],
    )
    .await
}

/// Records a complaint, or writes its answer if it is still at `expected` (0: new); false when
/// someone else wrote it first.
pub async fn save_complaint(
    conn: &mut AnyConnection,
    c: &Complaint,
    expected: u64,
) -> Result<bool, StoreError> {
    let body = encode(&format!("complaint {}", c.id), c)?;
    let version = i64::try_from(c.version).unwrap_or(i64::MAX);
    let answered = i32::from(c.answer.is_some());
    let written = if expected == 0 {
        sqlx::query(
            "INSERT INTO complaints (id, department, received_on, due_on, answered, version, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.id)
        .bind(&c.department)
        .bind(c.received_on.to_string())
        .bind(c.due_on.to_string())
        .bind(answered)
        .bind(version)
        .bind(body)
        .execute(&mut *conn)
        .await?
    } else {
        sqlx::query(
            "UPDATE complaints SET answered = $1, version = $2, body = $3 WHERE id = $4 AND version = $5",
        )
        .bind(answered)
        .bind(version)
        .bind(body)
        .bind(&c.id)
        .bind(i64::try_from(expected).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?
    };
    Ok(written.rows_affected() == 1)
}

/// One complaint by id.
pub async fn complaint<'c, E>(db: E, id: &str) -> Result<Option<Complaint>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    Ok(bodies_where::<_, Complaint>(
        db,
        "complaint",
        "SELECT id, body FROM complaints WHERE id = $1",
        &[id],
    )
    .await?
    .pop())
}

/// Complaints received from `from` to `to` (days, inclusive) or still unanswered, newest first.
pub async fn complaints<'c, E>(db: E, from: &str, to: &str) -> Result<Vec<Complaint>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    bodies_where::<_, Complaint>(
        db,
        "complaint",
        "SELECT id, body FROM complaints WHERE (received_on >= $1 AND received_on <= $2) \
         OR answered = 0 ORDER BY received_on DESC, id DESC",
        &[from, to],
    )
    .await
}
