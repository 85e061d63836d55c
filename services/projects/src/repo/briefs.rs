//! SQL of `projects.brief` and its revisions.

use baton_messaging::Change;
use sqlx::PgPool;
use sqlx::types::Json;
use time::OffsetDateTime;

use baton_platform::names::ProjectName;

use crate::domain::brief::{Brief, BriefContent};

#[derive(sqlx::FromRow)]
struct BriefRow {
    content: Json<BriefContent>,
    revision: i64,
    update_time: OffsetDateTime,
    update_actor: String,
}

impl BriefRow {
    fn into_brief(self, project: ProjectName) -> Brief {
        Brief {
            project,
            content: self.content.0,
            revision: self.revision,
            update_time: Some(self.update_time),
            update_actor: self.update_actor,
        }
    }
}

/// The project's brief as last written, if it was.
pub async fn get(pool: &PgPool, project: ProjectName) -> Result<Option<Brief>, sqlx::Error> {
    let row: Option<BriefRow> =
        sqlx::query_as("SELECT content, revision, update_time, update_actor FROM projects.brief WHERE project_id = $1")
            .bind(project.id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|row| row.into_brief(project)))
}

/// Writes `brief` over the stored one if that is still at `read_revision` (0: none yet), and
/// keeps it as a revision with the fields that changed.
pub fn update(brief: &Brief, read_revision: i64, changed_fields: Vec<String>) -> Change {
    Change::new(
        "written AS (INSERT INTO projects.brief (project_id, content, revision, update_time, update_actor) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id) DO UPDATE SET content = EXCLUDED.content, \
         revision = EXCLUDED.revision, update_time = EXCLUDED.update_time, update_actor = EXCLUDED.update_actor \
         WHERE projects.brief.revision = $6 RETURNING project_id), \
         change AS (INSERT INTO projects.brief_revision (project_id, revision, content, changed_fields, actor, create_time) \
         SELECT project_id, $3, $2, $7, $5, $4 FROM written RETURNING 1)",
    )
    .bind(brief.project.id)
    .bind(Json(brief.content.clone()))
    .bind(brief.revision)
    .bind(brief.update_time.unwrap_or(OffsetDateTime::UNIX_EPOCH))
    .bind(brief.update_actor.clone())
    .bind(read_revision)
    .bind(changed_fields)
}

/// A page of a brief's revisions, newest first, from below `before` (a revision number).
pub async fn revisions(
    pool: &PgPool,
    project: ProjectName,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<(Brief, Vec<String>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        content: Json<BriefContent>,
        revision: i64,
        create_time: OffsetDateTime,
        actor: String,
        changed_fields: Vec<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT content, revision, create_time, actor, changed_fields FROM projects.brief_revision \
         WHERE project_id = $1 AND ($2::bigint IS NULL OR revision < $2) ORDER BY revision DESC LIMIT $3",
    )
    .bind(project.id)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let brief = Brief {
                project,
                content: row.content.0,
                revision: row.revision,
                update_time: Some(row.create_time),
                update_actor: row.actor,
            };
            (brief, row.changed_fields)
        })
        .collect())
}
