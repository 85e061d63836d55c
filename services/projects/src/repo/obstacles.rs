//! SQL of `projects.obstacle`.

use baton_messaging::Change;
use sqlx::{PgPool, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::filter::Op;
use baton_platform::names::{AssetName, ObstacleName, PersonName, ProjectName};

use crate::domain::obstacle::{Obstacle, ObstacleCondition, ObstacleFields, ObstacleKind, ObstacleState, Severity};

macro_rules! obstacle_columns {
    () => {
        "id, project_id, title, description, kind, severity, component_id, owner_id, raised_by, state, resolution, \
         create_time, update_time, resolve_time, revision"
    };
}

#[derive(sqlx::FromRow)]
struct ObstacleRow {
    id: Uuid,
    project_id: Uuid,
    title: String,
    description: String,
    #[sqlx(try_from = "String")]
    kind: ObstacleKind,
    #[sqlx(try_from = "String")]
    severity: Severity,
    component_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    raised_by: String,
    #[sqlx(try_from = "String")]
    state: ObstacleState,
    resolution: String,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    resolve_time: Option<OffsetDateTime>,
    revision: i64,
}

impl From<ObstacleRow> for Obstacle {
    fn from(row: ObstacleRow) -> Self {
        let project = ProjectName::new(row.project_id);
        Obstacle {
            name: ObstacleName::new(project, row.id),
            fields: ObstacleFields {
                title: row.title,
                description: row.description,
                kind: row.kind,
                severity: row.severity,
                component: row.component_id.map(|id| AssetName::new(project, id)),
                owner: row.owner_id.map(PersonName::new),
            },
            raised_by: row.raised_by,
            state: row.state,
            resolution: row.resolution,
            create_time: row.create_time,
            update_time: row.update_time,
            resolve_time: row.resolve_time,
            revision: row.revision,
        }
    }
}

pub fn insert(obstacle: &Obstacle) -> Change {
    let fields = &obstacle.fields;
    Change::new(concat!(
        "marked AS (INSERT INTO projects.health_dirty (project_id) VALUES ($2) ",
        "ON CONFLICT (project_id) DO UPDATE SET mark_time = clock_timestamp()), ",
        "change AS (INSERT INTO projects.obstacle (",
        obstacle_columns!(),
        ", severity_rank) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, NULL, $13, $14) RETURNING 1)"
    ))
    .bind(obstacle.name.id)
    .bind(obstacle.name.project)
    .bind(fields.title.clone())
    .bind(fields.description.clone())
    .bind(fields.kind.as_str())
    .bind(fields.severity.as_str())
    .bind(fields.component.map(|c| c.id))
    .bind(fields.owner.map(|o| o.id))
    .bind(obstacle.raised_by.clone())
    .bind(obstacle.state.as_str())
    .bind(obstacle.resolution.clone())
    .bind(obstacle.create_time)
    .bind(obstacle.revision)
    .bind(fields.severity.rank())
}

/// Writes `obstacle` over the stored one if that is still at `read_revision`.
pub fn update(obstacle: &Obstacle, read_revision: i64) -> Change {
    let fields = &obstacle.fields;
    Change::new(
        "marked AS (INSERT INTO projects.health_dirty (project_id) SELECT project_id FROM projects.obstacle WHERE id = $1 \
         ON CONFLICT (project_id) DO UPDATE SET mark_time = clock_timestamp()), \
         change AS (UPDATE projects.obstacle SET title = $2, description = $3, kind = $4, severity = $5, \
         severity_rank = $6, component_id = $7, owner_id = $8, state = $9, resolution = $10, update_time = $11, \
         resolve_time = $12, revision = $13 WHERE id = $1 AND revision = $14 RETURNING 1)",
    )
    .bind(obstacle.name.id)
    .bind(fields.title.clone())
    .bind(fields.description.clone())
    .bind(fields.kind.as_str())
    .bind(fields.severity.as_str())
    .bind(fields.severity.rank())
    .bind(fields.component.map(|c| c.id))
    .bind(fields.owner.map(|o| o.id))
    .bind(obstacle.state.as_str())
    .bind(obstacle.resolution.clone())
    .bind(obstacle.update_time)
    .bind(obstacle.resolve_time)
    .bind(obstacle.revision)
    .bind(read_revision)
}

pub async fn get(pool: &PgPool, name: ObstacleName) -> Result<Option<Obstacle>, sqlx::Error> {
    let row: Option<ObstacleRow> = sqlx::query_as(concat!(
        "SELECT ",
        obstacle_columns!(),
        " FROM projects.obstacle WHERE id = $1 AND project_id = $2"
    ))
    .bind(name.id)
    .bind(name.project)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Obstacle::from))
}

/// A keyset page of a project's obstacles that match every condition, oldest first.
pub async fn list(
    pool: &PgPool,
    project: ProjectName,
    conditions: &[ObstacleCondition],
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Obstacle>, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new(concat!(
        "SELECT ",
        obstacle_columns!(),
        " FROM projects.obstacle WHERE project_id = "
    ));
    query.push_bind(project.id);
    if let Some(after) = after {
        query.push(" AND id > ").push_bind(after);
    }
    for condition in conditions {
        match condition {
            ObstacleCondition::State(op, state) => {
                query.push(" AND state ").push(op.sql()).push(" ").push_bind(state.as_str());
            }
            ObstacleCondition::Kind(op, kind) => {
                query.push(" AND kind ").push(op.sql()).push(" ").push_bind(kind.as_str());
            }
            ObstacleCondition::Severity(op, severity) => {
                query.push(" AND severity_rank ").push(op.sql()).push(" ").push_bind(severity.rank());
            }
            // `owner != x` keeps the obstacles without an owner too.
            ObstacleCondition::Owner(op, owner) => {
                query.push(if *op == Op::Eq { " AND owner_id = " } else { " AND owner_id IS DISTINCT FROM " });
                query.push_bind(owner.id);
            }
            ObstacleCondition::Component(op, component) => {
                query.push(if *op == Op::Eq { " AND component_id = " } else { " AND component_id IS DISTINCT FROM " });
                query.push_bind(component.id);
            }
        }
    }
    query.push(" ORDER BY id LIMIT ").push_bind(limit + 1);
    let rows: Vec<ObstacleRow> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(Obstacle::from).collect())
}
