//! SQL of `assets.comment`.

use baton_messaging::Change;
use sqlx::PgPool;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{AssetName, CommentName, PersonName, ProjectName, TeamName, VersionName};

use crate::domain::comment::{Anchor, Comment, CommentEdit};

macro_rules! columns {
    () => {
        "id, project_id, asset_id, version_id, reply_to, body, anchor, client_visible, author_id, mentioned_people, \
         mentioned_teams, edits, create_time, update_time, revision"
    };
}

#[derive(sqlx::FromRow)]
struct CommentRow {
    id: Uuid,
    project_id: Uuid,
    asset_id: Uuid,
    version_id: Option<Uuid>,
    reply_to: Option<Uuid>,
    body: String,
    anchor: Option<Json<Anchor>>,
    client_visible: bool,
    author_id: Option<Uuid>,
    mentioned_people: Vec<Uuid>,
    mentioned_teams: Vec<Uuid>,
    edits: Json<Vec<CommentEdit>>,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Self {
        let asset = AssetName::new(ProjectName::new(row.project_id), row.asset_id);
        Comment {
            name: CommentName::new(asset, row.id),
            body: row.body,
            version: row.version_id.map(|id| VersionName::new(asset, id)),
            reply_to: row.reply_to.map(|id| CommentName::new(asset, id)),
            anchor: row.anchor.map(|a| a.0),
            client_visible: row.client_visible,
            author: row.author_id.map(PersonName::new),
            mentioned_people: row.mentioned_people.into_iter().map(PersonName::new).collect(),
            mentioned_teams: row.mentioned_teams.into_iter().map(TeamName::new).collect(),
            edits: row.edits.0,
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

pub fn insert(comment: &Comment) -> Change {
    Change::new(concat!(
        "change AS (INSERT INTO assets.comment (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) RETURNING 1)"
    ))
    .bind(comment.name.id)
    .bind(comment.name.project)
    .bind(comment.name.asset)
    .bind(comment.version.map(|v| v.id))
    .bind(comment.reply_to.map(|c| c.id))
    .bind(comment.body.clone())
    .bind(comment.anchor.map(Json))
    .bind(comment.client_visible)
    .bind(comment.author.map(|a| a.id))
    .bind(comment.mentioned_people.iter().map(|p| p.id).collect::<Vec<_>>())
    .bind(comment.mentioned_teams.iter().map(|t| t.id).collect::<Vec<_>>())
    .bind(Json(comment.edits.clone()))
    .bind(comment.create_time)
    .bind(comment.revision)
}

/// Writes an edited comment over the stored one, if that is still at the revision before.
pub fn update(comment: &Comment) -> Change {
    Change::new(
        "change AS (UPDATE assets.comment SET body = $2, client_visible = $3, mentioned_people = $4, \
           mentioned_teams = $5, edits = $6, update_time = $7, revision = $8 \
           WHERE id = $1 AND revision = $8 - 1 RETURNING 1)",
    )
    .bind(comment.name.id)
    .bind(comment.body.clone())
    .bind(comment.client_visible)
    .bind(comment.mentioned_people.iter().map(|p| p.id).collect::<Vec<_>>())
    .bind(comment.mentioned_teams.iter().map(|t| t.id).collect::<Vec<_>>())
    .bind(Json(comment.edits.clone()))
    .bind(comment.update_time)
    .bind(comment.revision)
}

pub async fn get(pool: &PgPool, name: CommentName) -> Result<Option<Comment>, sqlx::Error> {
    let row: Option<CommentRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM assets.comment WHERE id = $1 AND asset_id = $2 AND project_id = $3"
    ))
    .bind(name.id)
    .bind(name.asset)
    .bind(name.project)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Comment::from))
}

/// A page of a component's comments, oldest first; `client` keeps those shown to clients.
pub async fn list(
    pool: &PgPool,
    asset: AssetName,
    version: Option<VersionName>,
    client: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Comment>, sqlx::Error> {
    let rows: Vec<CommentRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM assets.comment WHERE asset_id = $1 AND project_id = $2 AND ($3::uuid IS NULL OR version_id = $3) \
          AND (NOT $4 OR client_visible) AND ($5::uuid IS NULL OR id > $5) ORDER BY id LIMIT $6"
    ))
    .bind(asset.id)
    .bind(asset.project)
    .bind(version.map(|v| v.id))
    .bind(client)
    .bind(after)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Comment::from).collect())
}
