//! SQL of `assets.version` and `assets.review`.

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{AssetName, PersonName, ProjectName, VersionName};

use crate::domain::quality::Measurement;
use crate::domain::version::{ReviewRound, Version, VersionFile};

macro_rules! columns {
    () => {
        "id, project_id, asset_id, number, files, note, author_id, client_visible, reviewed, create_time, measurements"
    };
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: Uuid,
    project_id: Uuid,
    asset_id: Uuid,
    number: i32,
    files: Json<Vec<VersionFile>>,
    note: String,
    author_id: Option<Uuid>,
    client_visible: bool,
    reviewed: bool,
    create_time: OffsetDateTime,
    measurements: Json<Vec<Measurement>>,
}

impl From<VersionRow> for Version {
    fn from(row: VersionRow) -> Self {
        let asset = AssetName::new(ProjectName::new(row.project_id), row.asset_id);
        Version {
            name: VersionName::new(asset, row.id),
            number: row.number,
            files: row.files.0,
            note: row.note,
            author: row.author_id.map(PersonName::new),
            client_visible: row.client_visible,
            reviewed: row.reviewed,
            create_time: row.create_time,
            measurements: row.measurements.0,
        }
    }
}

/// The number the asset's next version takes (its asset is locked: numbers never repeat).
pub async fn next_number(conn: &mut PgConnection, asset: AssetName) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(number), 0) + 1 FROM assets.version WHERE asset_id = $1")
        .bind(asset.id)
        .fetch_one(conn)
        .await
}

pub async fn insert(conn: &mut PgConnection, version: &Version) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "INSERT INTO assets.version (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(version.name.id)
    .bind(version.name.project)
    .bind(version.name.asset)
    .bind(version.number)
    .bind(Json(&version.files))
    .bind(&version.note)
    .bind(version.author.map(|a| a.id))
    .bind(version.client_visible)
    .bind(version.reviewed)
    .bind(version.create_time)
    .bind(Json(&version.measurements))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(pool: &PgPool, name: VersionName) -> Result<Option<Version>, sqlx::Error> {
    let row: Option<VersionRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM assets.version WHERE id = $1 AND asset_id = $2 AND project_id = $3"
    ))
    .bind(name.id)
    .bind(name.asset)
    .bind(name.project)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Version::from))
}

/// A page of an asset's versions, newest first; `before` is the number the page starts under.
/// `client` keeps only those a client may see.
pub async fn list(
    pool: &PgPool,
    asset: AssetName,
    client: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Version>, sqlx::Error> {
    let rows: Vec<VersionRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM assets.version WHERE asset_id = $1 AND project_id = $2 AND ($3::bigint IS NULL OR number < $3) \
          AND (NOT $4 OR client_visible) ORDER BY number DESC LIMIT $5"
    ))
    .bind(asset.id)
    .bind(asset.project)
    .bind(before)
    .bind(client)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Version::from).collect())
}

pub async fn insert_review(conn: &mut PgConnection, round: &ReviewRound) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO assets.review (version_id, project_id, asset_id, round, state, create_time, close_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(round.version.id)
    .bind(round.version.project)
    .bind(round.version.asset)
    .bind(Json(round))
    .bind(round.state.as_str())
    .bind(round.create_time)
    .bind(round.close_time)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn write_review(conn: &mut PgConnection, round: &ReviewRound) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assets.review SET round = $2, state = $3, close_time = $4 WHERE version_id = $1")
        .bind(round.version.id)
        .bind(Json(round))
        .bind(round.state.as_str())
        .bind(round.close_time)
        .execute(conn)
        .await?;
    Ok(())
}

/// The version's review round; read on `conn` (after its asset was locked, in a write).
pub async fn review(conn: &mut PgConnection, version: VersionName) -> Result<Option<ReviewRound>, sqlx::Error> {
    let row: Option<(Json<ReviewRound>,)> =
        sqlx::query_as("SELECT round FROM assets.review WHERE version_id = $1 AND asset_id = $2 AND project_id = $3")
            .bind(version.id)
            .bind(version.asset)
            .bind(version.project)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(round,)| round.0))
}

/// A version, locked until the transaction ends (its asset is locked first).
pub async fn lock(conn: &mut PgConnection, name: VersionName) -> Result<Option<Version>, sqlx::Error> {
    let row: Option<VersionRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM assets.version WHERE id = $1 AND asset_id = $2 AND project_id = $3 FOR UPDATE"
    ))
    .bind(name.id)
    .bind(name.asset)
    .bind(name.project)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Version::from))
}

pub async fn write_measurements(conn: &mut PgConnection, version: &Version) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assets.version SET measurements = $2 WHERE id = $1")
        .bind(version.name.id)
        .bind(Json(&version.measurements))
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest version of each of the project's components of `kind`.
pub async fn newest_of_kind(
    conn: &mut PgConnection,
    project: ProjectName,
    kind: crate::domain::AssetKind,
) -> Result<Vec<Version>, sqlx::Error> {
    let rows: Vec<VersionRow> = sqlx::query_as(
        "SELECT v.id, v.project_id, v.asset_id, v.number, v.files, v.note, v.author_id, v.client_visible, \
         v.reviewed, v.create_time, v.measurements FROM assets.version v JOIN assets.asset a \
         ON a.id = v.asset_id AND a.project_id = v.project_id AND a.latest_version = v.number \
         WHERE a.project_id = $1 AND a.kind = $2",
    )
    .bind(project.id)
    .bind(kind.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Version::from).collect())
}
