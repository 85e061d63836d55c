//! SQL of `projects.milestone`, and when each component of a project was first done.

use std::collections::HashMap;

use baton_messaging::Change;
use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use baton_platform::names::{AssetName, MilestoneName, ProjectName};

use crate::domain::milestone::{Milestone, MilestoneFields};

macro_rules! milestone_columns {
    () => {
        "id, project_id, title, due_date, components, create_time, update_time, revision"
    };
}

#[derive(sqlx::FromRow)]
struct MilestoneRow {
    id: Uuid,
    project_id: Uuid,
    title: String,
    due_date: Date,
    components: Vec<Uuid>,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<MilestoneRow> for Milestone {
    fn from(row: MilestoneRow) -> Self {
        let project = ProjectName::new(row.project_id);
        Milestone {
            name: MilestoneName::new(project, row.id),
            fields: MilestoneFields {
                title: row.title,
                due_date: row.due_date,
                components: row.components.into_iter().map(|id| AssetName::new(project, id)).collect(),
            },
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

fn component_ids(milestone: &Milestone) -> Vec<Uuid> {
    milestone.fields.components.iter().map(|c| c.id).collect()
}

pub fn insert(milestone: &Milestone) -> Change {
    Change::new(concat!(
        "marked AS (INSERT INTO projects.health_dirty (project_id) VALUES ($2) ",
        "ON CONFLICT (project_id) DO UPDATE SET mark_time = clock_timestamp()), ",
        "change AS (INSERT INTO projects.milestone (",
        milestone_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING 1)"
    ))
    .bind(milestone.name.id)
    .bind(milestone.name.project)
    .bind(milestone.fields.title.clone())
    .bind(milestone.fields.due_date)
    .bind(component_ids(milestone))
    .bind(milestone.create_time)
    .bind(milestone.revision)
}

pub fn update(milestone: &Milestone, read_revision: i64) -> Change {
    Change::new(
        "marked AS (INSERT INTO projects.health_dirty (project_id) SELECT project_id FROM projects.milestone WHERE id = $1 \
         ON CONFLICT (project_id) DO UPDATE SET mark_time = clock_timestamp()), \
         change AS (UPDATE projects.milestone SET title = $2, due_date = $3, components = $4, update_time = $5, \
         revision = $6 WHERE id = $1 AND revision = $7 RETURNING 1)",
    )
    .bind(milestone.name.id)
    .bind(milestone.fields.title.clone())
    .bind(milestone.fields.due_date)
    .bind(component_ids(milestone))
    .bind(milestone.update_time)
    .bind(milestone.revision)
    .bind(read_revision)
}

pub async fn get(pool: &PgPool, name: MilestoneName) -> Result<Option<Milestone>, sqlx::Error> {
    let row: Option<MilestoneRow> = sqlx::query_as(concat!(
        "SELECT ",
        milestone_columns!(),
        " FROM projects.milestone WHERE id = $1 AND project_id = $2"
    ))
    .bind(name.id)
    .bind(name.project)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Milestone::from))
}

/// A keyset page of a project's milestones by due date, after `(due date, id)`; `limit` 0 is all.
pub async fn list(
    db: impl sqlx::PgExecutor<'_>,
    project: ProjectName,
    after: Option<(Date, Uuid)>,
    limit: i64,
) -> Result<Vec<Milestone>, sqlx::Error> {
    let rows: Vec<MilestoneRow> = sqlx::query_as(concat!(
        "SELECT ",
        milestone_columns!(),
        " FROM projects.milestone WHERE project_id = $1 AND ($2::date IS NULL OR (due_date, id) > ($2, $3)) \
         ORDER BY due_date, id LIMIT $4"
    ))
    .bind(project.id)
    .bind(after.map(|(date, _)| date))
    .bind(after.map(|(_, id)| id))
    .bind(if limit == 0 { i64::MAX } else { limit + 1 })
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Milestone::from).collect())
}

/// When each component of the project was first approved or delivered.
pub async fn done_times(
    db: impl sqlx::PgExecutor<'_>,
    project: ProjectName,
) -> Result<HashMap<Uuid, OffsetDateTime>, sqlx::Error> {
    let rows: Vec<(Uuid, OffsetDateTime)> = sqlx::query_as(
        "SELECT asset_id, min(step_time) FROM projects.component_step WHERE project_id = $1 \
         AND to_status IN ('ASSET_STATUS_APPROVED', 'ASSET_STATUS_DELIVERED') GROUP BY asset_id",
    )
    .bind(project.id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().collect())
}
