//! SQL of the `assets` schema.

use sqlx::{AssertSqlSafe, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{Asset, AssetStatus, NewAsset};

const COLUMNS: &str =
    "id, project_id, display_name, description, kind, status, assignees, weight, create_time, update_time, revision";

#[derive(sqlx::FromRow)]
struct AssetRow {
    id: Uuid,
    project_id: Uuid,
    display_name: String,
    description: String,
    kind: String,
    status: String,
    assignees: Vec<Uuid>,
    weight: i32,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<AssetRow> for Asset {
    fn from(row: AssetRow) -> Self {
        Asset {
            id: row.id,
            project_id: row.project_id,
            display_name: row.display_name,
            description: row.description,
            kind: row.kind,
            status: row.status,
            assignees: row.assignees,
            weight: row.weight,
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

pub async fn insert(conn: &mut PgConnection, new: &NewAsset) -> Result<Asset, sqlx::Error> {
    let row: AssetRow = sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO assets.asset (id, project_id, display_name, description, kind, status, assignees, weight) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(new.project_id)
    .bind(&new.display_name)
    .bind(&new.description)
    .bind(new.kind.as_str_name())
    .bind(AssetStatus::Planned.as_str_name())
    .bind(&new.assignees)
    .bind(new.weight)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

pub async fn get(conn: &mut PgConnection, project_id: Uuid, id: Uuid) -> Result<Option<Asset>, sqlx::Error> {
    let row: Option<AssetRow> =
        sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM assets.asset WHERE id = $1 AND project_id = $2")))
            .bind(id)
            .bind(project_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(Asset::from))
}

/// Moves an asset to `to` if its status is one of `from` and, when `revision` is given, it is at
/// that revision: one statement that locks the row, checks and writes. Returns the asset as it
/// is now and the status it had, or `None` when nothing matched (the row, if any, stays locked
/// until the transaction ends, so the caller can read it to say why).
pub async fn move_status(
    conn: &mut PgConnection,
    project_id: Uuid,
    id: Uuid,
    from: &[AssetStatus],
    to: AssetStatus,
    revision: Option<i64>,
) -> Result<Option<(Asset, AssetStatus)>, sqlx::Error> {
    // The locked row's columns are renamed so that RETURNING's plain names mean the updated row.
    let row: Option<MovedRow> = sqlx::query_as(AssertSqlSafe(format!(
        "WITH previous AS (SELECT id AS previous_id, status AS previous_status FROM assets.asset \
                           WHERE id = $1 AND project_id = $2 FOR UPDATE) \
         UPDATE assets.asset SET status = $3, revision = revision + 1, update_time = now() \
         FROM previous \
         WHERE id = previous_id AND previous_status = ANY($4) AND ($5::bigint IS NULL OR revision = $5) \
         RETURNING {COLUMNS}, previous_status"
    )))
    .bind(id)
    .bind(project_id)
    .bind(to.as_str_name())
    .bind(from.iter().map(|s| s.as_str_name()).collect::<Vec<_>>())
    .bind(revision)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| {
        let previous = AssetStatus::from_str_name(&row.previous_status).unwrap_or(AssetStatus::Unspecified);
        (row.asset.into(), previous)
    }))
}

#[derive(sqlx::FromRow)]
struct MovedRow {
    #[sqlx(flatten)]
    asset: AssetRow,
    previous_status: String,
}

pub async fn list(
    conn: &mut PgConnection,
    project_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Asset>, sqlx::Error> {
    let rows: Vec<AssetRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM assets.asset WHERE project_id = $1 AND ($2::uuid IS NULL OR id > $2) \
         ORDER BY id LIMIT $3"
    )))
    .bind(project_id)
    .bind(after)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Asset::from).collect())
}
