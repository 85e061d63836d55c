//! SQL of the `assets` schema.

use baton_messaging::Change;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{AssetName, PersonName, ProjectName};

use crate::domain::{Asset, AssetKind, AssetStatus};

/// The columns of an [`AssetRow`], as a macro so that queries stay constant strings.
macro_rules! columns {
    () => {
        "id, project_id, display_name, description, kind, status, assignees, weight, create_time, update_time, revision"
    };
}

#[derive(sqlx::FromRow)]
struct AssetRow {
    id: Uuid,
    project_id: Uuid,
    display_name: String,
    description: String,
    #[sqlx(try_from = "String")]
    kind: AssetKind,
    #[sqlx(try_from = "String")]
    status: AssetStatus,
    assignees: Vec<Uuid>,
    weight: i32,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<AssetRow> for Asset {
    fn from(row: AssetRow) -> Self {
        Asset {
            name: AssetName::new(ProjectName::new(row.project_id), row.id),
            display_name: row.display_name,
            description: row.description,
            kind: row.kind,
            status: row.status,
            assignees: row.assignees.into_iter().map(PersonName::new).collect(),
            weight: row.weight,
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

fn assignee_ids(asset: &Asset) -> Vec<Uuid> {
    asset.assignees.iter().map(|person| person.id).collect()
}

/// Stores a new asset.
pub fn insert(asset: &Asset) -> Change {
    Change::new(concat!(
        "change AS (INSERT INTO assets.asset (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING 1)"
    ))
    .bind(asset.name.id)
    .bind(asset.name.project)
    .bind(asset.display_name.clone())
    .bind(asset.description.clone())
    .bind(asset.kind.as_str())
    .bind(asset.status.as_str())
    .bind(assignee_ids(asset))
    .bind(asset.weight)
    .bind(asset.create_time)
    .bind(asset.revision)
}

/// Stores `next` over the revision before it; changes nothing when another write moved the
/// asset past that revision meanwhile.
pub fn move_status(next: &Asset) -> Change {
    Change::new(
        "change AS (UPDATE assets.asset SET status = $3, update_time = $4, revision = $5 \
           WHERE id = $1 AND project_id = $2 AND revision = $5 - 1 RETURNING 1)",
    )
    .bind(next.name.id)
    .bind(next.name.project)
    .bind(next.status.as_str())
    .bind(next.update_time)
    .bind(next.revision)
}

pub async fn get(pool: &PgPool, name: AssetName) -> Result<Option<Asset>, sqlx::Error> {
    let row: Option<AssetRow> =
        sqlx::query_as(concat!("SELECT ", columns!(), " FROM assets.asset WHERE id = $1 AND project_id = $2"))
            .bind(name.id)
            .bind(name.project)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(Asset::from))
}

pub async fn list(
    pool: &PgPool,
    project: ProjectName,
    statuses: Option<Vec<&'static str>>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Asset>, sqlx::Error> {
    let rows: Vec<AssetRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM assets.asset WHERE project_id = $1 AND ($2::uuid IS NULL OR id > $2) \
         AND ($4::text[] IS NULL OR status = ANY($4)) ORDER BY id LIMIT $3"
    ))
    .bind(project.id)
    .bind(after)
    .bind(limit + 1)
    .bind(statuses)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Asset::from).collect())
}
