//! SQL of the `assets` schema.

pub mod comments;
pub mod versions;

use baton_messaging::Change;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use baton_platform::names::{AssetName, PersonName, ProjectName};

use crate::domain::quality::ComponentQuality;
use crate::domain::{Asset, AssetCondition, AssetKind, AssetStatus, ComponentSettings};

/// The columns of an [`AssetRow`], as a macro so that queries stay constant strings.
macro_rules! columns {
    () => {
        "id, project_id, display_name, description, kind, status, assignees, weight, due_date, watchers, blocked_by, \
         retakes, latest_version, review_open, client_visible, quality, create_time, update_time, revision"
    };
}

pub mod quality;

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
    due_date: Option<Date>,
    watchers: Vec<Uuid>,
    blocked_by: Vec<Uuid>,
    retakes: i32,
    latest_version: i32,
    review_open: bool,
    client_visible: bool,
    quality: Option<Json<ComponentQuality>>,
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
            due_date: row.due_date,
            watchers: row.watchers.into_iter().map(PersonName::new).collect(),
            blocked_by: row
                .blocked_by
                .into_iter()
                .map(|id| AssetName::new(ProjectName::new(row.project_id), id))
                .collect(),
            retakes: row.retakes,
            latest_version: row.latest_version,
            review_open: row.review_open,
            client_visible: row.client_visible,
            quality: row.quality.map(|q| q.0),
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

fn ids(people: &[PersonName]) -> Vec<Uuid> {
    people.iter().map(|person| person.id).collect()
}

fn blocker_ids(asset: &Asset) -> Vec<Uuid> {
    asset.blocked_by.iter().map(|blocker| blocker.id).collect()
}

/// Stores a new asset.
pub fn insert(asset: &Asset) -> Change {
    Change::new(concat!(
        "change AS (INSERT INTO assets.asset (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18) RETURNING 1)"
    ))
    .bind(asset.name.id)
    .bind(asset.name.project)
    .bind(asset.display_name.clone())
    .bind(asset.description.clone())
    .bind(asset.kind.as_str())
    .bind(asset.status.as_str())
    .bind(ids(&asset.assignees))
    .bind(asset.weight)
    .bind(asset.due_date)
    .bind(ids(&asset.watchers))
    .bind(blocker_ids(asset))
    .bind(asset.retakes)
    .bind(asset.latest_version)
    .bind(asset.review_open)
    .bind(asset.client_visible)
    .bind(asset.quality.clone().map(Json))
    .bind(asset.create_time)
    .bind(asset.revision)
}

/// Writes an asset's new watchers (all WatchAsset and UnwatchAsset change) over the revision
/// before; changes nothing when another write moved the asset meanwhile.
pub fn set_watchers(next: &Asset) -> Change {
    Change::new(
        "change AS (UPDATE assets.asset SET watchers = $3, update_time = $4, revision = $5 \
           WHERE id = $1 AND project_id = $2 AND revision = $5 - 1 RETURNING 1)",
    )
    .bind(next.name.id)
    .bind(next.name.project)
    .bind(ids(&next.watchers))
    .bind(next.update_time)
    .bind(next.revision)
}

/// Every asset of the project that waits for others, with those it waits for.
pub async fn blockers_of_project(
    conn: &mut PgConnection,
    project: ProjectName,
) -> Result<Vec<(Uuid, Vec<Uuid>)>, sqlx::Error> {
    sqlx::query_as("SELECT id, blocked_by FROM assets.asset WHERE project_id = $1 AND cardinality(blocked_by) > 0")
        .bind(project.id)
        .fetch_all(conn)
        .await
}

/// Takes the project's dependency lock until the transaction ends: changes of what its assets
/// wait for go one at a time, so that no two close a cycle between them.
pub async fn lock_project(conn: &mut PgConnection, project: ProjectName) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('assets.blocked_by:' || $1::text, 0))")
        .bind(project.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The asset, locked until the transaction ends.
pub async fn lock(conn: &mut PgConnection, name: AssetName) -> Result<Option<Asset>, sqlx::Error> {
    let row: Option<AssetRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM assets.asset WHERE id = $1 AND project_id = $2 FOR UPDATE"
    ))
    .bind(name.id)
    .bind(name.project)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Asset::from))
}

/// Writes an asset's changeable fields, status and revision (in a transaction that locked it).
pub async fn write(conn: &mut PgConnection, next: &Asset) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE assets.asset SET display_name = $3, description = $4, weight = $5, assignees = $6, watchers = $7, \
         due_date = $8, blocked_by = $9, update_time = $10, revision = $11, status = $12, retakes = $13, \
         latest_version = $14, review_open = $15, client_visible = $16, quality = $17 \
         WHERE id = $1 AND project_id = $2",
    )
    .bind(next.name.id)
    .bind(next.name.project)
    .bind(next.display_name.clone())
    .bind(next.description.clone())
    .bind(next.weight)
    .bind(ids(&next.assignees))
    .bind(ids(&next.watchers))
    .bind(next.due_date)
    .bind(blocker_ids(next))
    .bind(next.update_time)
    .bind(next.revision)
    .bind(next.status.as_str())
    .bind(next.retakes)
    .bind(next.latest_version)
    .bind(next.review_open)
    .bind(next.client_visible)
    .bind(next.quality.as_ref().map(Json))
    .execute(conn)
    .await?;
    Ok(())
}

/// The display name and status of each of `ids` that is an asset of `project`. No ids, no round
/// trip: most components wait for nothing, and every create asks for its blockers.
pub async fn statuses(
    pool: &PgPool,
    project: ProjectName,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String, AssetStatus)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, display_name, status FROM assets.asset WHERE project_id = $1 AND id = ANY($2)")
            .bind(project.id)
            .bind(ids)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, status)| AssetStatus::from_name(&status).map(|status| (id, name, status)))
        .collect())
}

/// Stores `next` over the revision before it; changes nothing when another write moved the
/// asset past that revision meanwhile.
pub fn move_status(next: &Asset) -> Change {
    Change::new(
        "change AS (UPDATE assets.asset SET status = $3, update_time = $4, revision = $5, retakes = $6 \
           WHERE id = $1 AND project_id = $2 AND revision = $5 - 1 RETURNING 1)",
    )
    .bind(next.name.id)
    .bind(next.name.project)
    .bind(next.status.as_str())
    .bind(next.update_time)
    .bind(next.revision)
    .bind(next.retakes)
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

/// A keyset page in id (creation) order of the project's assets that match every condition;
/// `client` keeps those a client sees (shown to them, and in front of them). Fetches one row
/// more than the limit.
pub async fn list(pool: &PgPool, query: &crate::wire::ListQuery, client: bool) -> Result<Vec<Asset>, sqlx::Error> {
    let mut sql =
        QueryBuilder::<Postgres>::new(concat!("SELECT ", columns!(), " FROM assets.asset WHERE project_id = "));
    sql.push_bind(query.project.id);
    if let Some(after) = query.after {
        sql.push(" AND id > ").push_bind(after);
    }
    if client {
        let shown: Vec<&str> = AssetStatus::CLIENT_VISIBLE.iter().map(|status| status.as_str()).collect();
        sql.push(" AND client_visible AND status = ANY(").push_bind(shown).push(")");
    }
    for condition in &query.conditions {
        match condition {
            AssetCondition::Status(op, status) => {
                sql.push(" AND status ").push(op.sql()).push(" ").push_bind(status.as_str());
            }
            AssetCondition::Kind(op, kind) => {
                sql.push(" AND kind ").push(op.sql()).push(" ").push_bind(kind.as_str());
            }
            AssetCondition::Assignee(person) => {
                sql.push(" AND ").push_bind(person.id).push(" = ANY(assignees)");
            }
            AssetCondition::Watcher(person) => {
                sql.push(" AND ").push_bind(person.id).push(" = ANY(watchers)");
            }
            AssetCondition::DueDate(op, date) => {
                sql.push(" AND due_date ").push(op.sql()).push(" ").push_bind(*date);
            }
            AssetCondition::QualityFailing(failing) => {
                sql.push(if *failing { " AND " } else { " AND NOT " });
                sql.push("coalesce((quality->>'failed')::int > 0, false)");
            }
        }
    }
    sql.push(" ORDER BY id LIMIT ").push_bind(query.limit + 1);
    let rows: Vec<AssetRow> = sql.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(Asset::from).collect())
}

/// A project's component settings, if they were ever changed.
pub async fn settings(
    db: impl sqlx::PgExecutor<'_>,
    project: ProjectName,
) -> Result<Option<ComponentSettings>, sqlx::Error> {
    let row: Option<(i32, i32, OffsetDateTime, i64)> = sqlx::query_as(
        "SELECT retake_cap, review_reminder_hours, update_time, revision FROM assets.project_settings \
         WHERE project_id = $1",
    )
    .bind(project.id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(retake_cap, review_reminder_hours, update_time, revision)| ComponentSettings {
        project,
        retake_cap,
        review_reminder_hours,
        update_time: Some(update_time),
        revision,
    }))
}

/// Writes the settings over the stored ones if those are still at the revision before (none
/// stored counts as revision 0).
pub fn write_settings(settings: &ComponentSettings) -> Change {
    Change::new(
        "change AS (INSERT INTO assets.project_settings \
             (project_id, retake_cap, review_reminder_hours, update_time, revision) \
           VALUES ($1, $2, $5, $3, $4) ON CONFLICT (project_id) DO UPDATE SET retake_cap = EXCLUDED.retake_cap, \
           review_reminder_hours = EXCLUDED.review_reminder_hours, \
           update_time = EXCLUDED.update_time, revision = EXCLUDED.revision \
           WHERE assets.project_settings.revision = EXCLUDED.revision - 1 RETURNING 1)",
    )
    .bind(settings.project.id)
    .bind(settings.retake_cap)
    .bind(settings.update_time)
    .bind(settings.revision)
    .bind(settings.review_reminder_hours)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A create without blockers must not cost a statement: with a pool that cannot connect, the
    /// lookup of no ids still answers.
    #[tokio::test]
    async fn no_ids_ask_the_database_nothing() {
        let unreachable = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_millis(100))
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .expect("a lazy pool");
        let project = ProjectName::new(Uuid::now_v7());
        assert!(statuses(&unreachable, project, &[]).await.expect("no round trip").is_empty());
        assert!(statuses(&unreachable, project, &[Uuid::now_v7()]).await.is_err(), "some ids do ask");
    }
}
