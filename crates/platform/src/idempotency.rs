//! `request_id` idempotency (AIP-155). A mutation claims its request id in the same transaction
//! as its effects and records its response there; a repeat waits for the first call to commit
//! and gets the first response back.
//!
//! `table` is always a constant of the calling service, never input. Each service keeps the
//! table in its own schema:
//! `CREATE TABLE <schema>.idempotency (request_id uuid PRIMARY KEY, method text NOT NULL,
//! response jsonb, create_time timestamptz NOT NULL DEFAULT now())`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{AssertSqlSafe, PgConnection};
use uuid::Uuid;

/// The outcome of claiming a request id.
#[derive(Debug)]
pub enum Claim<T> {
    /// The first call with this id: do the work, then [`record`] the response.
    New,
    /// A repeat: answer with the first call's response.
    Replay(T),
}

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("request id was first used for {0}")]
    OtherMethod(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("stored response cannot be read: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// Claims `request_id` for `method` inside the caller's transaction. A call without a request
/// id is always new.
pub async fn claim<T: DeserializeOwned>(
    conn: &mut PgConnection,
    table: &'static str,
    request_id: Option<Uuid>,
    method: &str,
) -> Result<Claim<T>, IdempotencyError> {
    let Some(request_id) = request_id else { return Ok(Claim::New) };
    let inserted = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {table} (request_id, method) VALUES ($1, $2) ON CONFLICT (request_id) DO NOTHING"
    )))
    .bind(request_id)
    .bind(method)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let (first_method, response): (String, Option<serde_json::Value>) =
        sqlx::query_as(AssertSqlSafe(format!("SELECT method, response FROM {table} WHERE request_id = $1")))
            .bind(request_id)
            .fetch_one(&mut *conn)
            .await?;
    if first_method != method {
        return Err(IdempotencyError::OtherMethod(first_method));
    }
    let response = response.ok_or_else(|| IdempotencyError::OtherMethod(first_method.clone()))?;
    Ok(Claim::Replay(serde_json::from_value(response)?))
}

/// Records the response of a claimed request id, in the same transaction as the claim; nothing
/// to do for a call without one.
pub async fn record<T: Serialize>(
    conn: &mut PgConnection,
    table: &'static str,
    request_id: Option<Uuid>,
    response: &T,
) -> Result<(), IdempotencyError> {
    let Some(request_id) = request_id else { return Ok(()) };
    sqlx::query(AssertSqlSafe(format!("UPDATE {table} SET response = $2 WHERE request_id = $1")))
        .bind(request_id)
        .bind(serde_json::to_value(response)?)
        .execute(conn)
        .await?;
    Ok(())
}

/// Maps an idempotency failure onto the gRPC status a caller should see.
pub fn status(error: &IdempotencyError) -> tonic::Status {
    match error {
        IdempotencyError::OtherMethod(method) => crate::error::failed_precondition(
            "REQUEST_ID_REUSED",
            format!("request_id was already used for a different call ({method}); use a new UUID for a new call"),
        ),
        IdempotencyError::Database(e) => crate::error::database(e),
        IdempotencyError::Corrupt(e) => crate::error::internal(e),
    }
}
