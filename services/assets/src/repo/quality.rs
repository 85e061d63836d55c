//! SQL of `assets.quality_checklist`, and of the components a checklist change assesses again.

use sqlx::PgConnection;
use sqlx::types::Json;
use time::OffsetDateTime;

use baton_platform::names::ProjectName;

use super::AssetRow;
use crate::domain::quality::{Check, Checklist};
use crate::domain::version::Version;
use crate::domain::{Asset, AssetKind};

/// A project's checklist of one kind, if it was ever changed.
pub async fn checklist(
    db: impl sqlx::PgExecutor<'_>,
    project: ProjectName,
    kind: AssetKind,
) -> Result<Option<Checklist>, sqlx::Error> {
    let row: Option<(Json<Vec<Check>>, OffsetDateTime, i64)> = sqlx::query_as(
        "SELECT checks, update_time, revision FROM assets.quality_checklist WHERE project_id = $1 AND kind = $2",
    )
    .bind(project.id)
    .bind(kind.as_str())
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(checks, update_time, revision)| Checklist {
        project,
        kind,
        checks: checks.0,
        update_time: Some(update_time),
        revision,
    }))
}

/// Every checklist of the project that was changed.
pub async fn checklists(db: impl sqlx::PgExecutor<'_>, project: ProjectName) -> Result<Vec<Checklist>, sqlx::Error> {
    let rows: Vec<(String, Json<Vec<Check>>, OffsetDateTime, i64)> = sqlx::query_as(
        "SELECT kind, checks, update_time, revision FROM assets.quality_checklist WHERE project_id = $1",
    )
    .bind(project.id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, checks, update_time, revision)| {
            Some(Checklist {
                project,
                kind: AssetKind::from_name(&kind)?,
                checks: checks.0,
                update_time: Some(update_time),
                revision,
            })
        })
        .collect())
}

/// Writes the checklist over the stored one if that is still at the revision before (none
/// stored counts as revision 0); false when it is not.
pub async fn write_checklist(conn: &mut PgConnection, list: &Checklist) -> Result<bool, sqlx::Error> {
    let written = sqlx::query(
        "INSERT INTO assets.quality_checklist (project_id, kind, checks, update_time, revision) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, kind) DO UPDATE SET checks = EXCLUDED.checks, \
         update_time = EXCLUDED.update_time, revision = EXCLUDED.revision \
         WHERE assets.quality_checklist.revision = EXCLUDED.revision - 1",
    )
    .bind(list.project.id)
    .bind(list.kind.as_str())
    .bind(Json(&list.checks))
    .bind(list.update_time)
    .bind(list.revision)
    .execute(conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// The project's components of `kind` that have a version, locked until the transaction ends,
/// each with its newest version (read after the lock, so that a version submitted meanwhile is
/// the one read).
pub async fn lock_assessed(
    conn: &mut PgConnection,
    project: ProjectName,
    kind: AssetKind,
) -> Result<Vec<(Asset, Version)>, sqlx::Error> {
    let rows: Vec<AssetRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM assets.asset WHERE project_id = $1 AND kind = $2 AND latest_version > 0 ORDER BY id FOR UPDATE"
    ))
    .bind(project.id)
    .bind(kind.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut versions: std::collections::HashMap<uuid::Uuid, Version> =
        super::versions::newest_of_kind(&mut *conn, project, kind)
            .await?
            .into_iter()
            .map(|v| (v.name.asset, v))
            .collect();
    Ok(rows
        .into_iter()
        .map(Asset::from)
        .filter_map(|asset| {
            let version = versions.remove(&asset.name.id)?;
            Some((asset, version))
        })
        .collect())
}
