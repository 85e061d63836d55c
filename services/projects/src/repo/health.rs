//! What project health is computed from: the projection of the components, their steps, the
//! open obstacles.

use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{AssetName, ProjectName};

use crate::domain::health::{Approval, ComponentFigure, ComponentStatus, OpenObstacle, Quality};
use crate::domain::obstacle::{ObstacleKind, Severity};

pub async fn components(
    db: impl sqlx::PgExecutor<'_>,
    project: ProjectName,
) -> Result<Vec<ComponentFigure>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        display_name: String,
        #[sqlx(try_from = "String")]
        status: ComponentStatus,
        weight: i32,
        status_time: OffsetDateTime,
        quality_score: Option<f64>,
        failed_checks: Vec<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, display_name, status, weight, status_time, quality_score, failed_checks FROM projects.component \
         WHERE project_id = $1",
    )
    .bind(project.id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ComponentFigure {
            name: AssetName::new(project, row.id),
            display_name: row.display_name,
            status: row.status,
            weight: u32::try_from(row.weight).unwrap_or(0),
            status_time: row.status_time,
            quality: row.quality_score.map(|score| Quality { score, failed_checks: row.failed_checks }),
        })
        .collect())
}

/// Each component's first approval, and whether changes were requested before it.
pub async fn approvals(db: impl sqlx::PgExecutor<'_>, project: ProjectName) -> Result<Vec<Approval>, sqlx::Error> {
    let rows: Vec<(OffsetDateTime, bool)> = sqlx::query_as(
        "SELECT a.first_time, EXISTS (SELECT 1 FROM projects.component_step c WHERE c.project_id = a.project_id \
         AND c.asset_id = a.asset_id AND c.to_status = 'ASSET_STATUS_CHANGES_REQUESTED' AND c.revision < a.revision) \
         FROM (SELECT project_id, asset_id, min(step_time) AS first_time, min(revision) AS revision \
               FROM projects.component_step WHERE project_id = $1 AND to_status = 'ASSET_STATUS_APPROVED' \
               GROUP BY project_id, asset_id) a",
    )
    .bind(project.id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(time, after_changes)| Approval { time, after_changes }).collect())
}

pub async fn open_obstacles(
    db: impl sqlx::PgExecutor<'_>,
    project: ProjectName,
) -> Result<Vec<OpenObstacle>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        title: String,
        #[sqlx(try_from = "String")]
        kind: ObstacleKind,
        #[sqlx(try_from = "String")]
        severity: Severity,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT title, kind, severity FROM projects.obstacle WHERE project_id = $1 AND state = 'OBSTACLE_STATE_OPEN' \
         ORDER BY id",
    )
    .bind(project.id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| OpenObstacle { title: row.title, kind: row.kind, severity: row.severity }).collect())
}
