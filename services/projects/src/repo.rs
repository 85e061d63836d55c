//! SQL of the `projects` schema.

use sqlx::{AssertSqlSafe, PgConnection};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{Member, NewMember, NewProject, Project, ProjectState};

const PROJECT_COLUMNS: &str = "id, display_name, client, brief, due_date, state, create_time, update_time, revision";
const MEMBER_COLUMNS: &str = "project_id, person_id, role, create_time, seq";

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: Uuid,
    display_name: String,
    client: String,
    brief: String,
    due_date: Option<Date>,
    state: String,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<ProjectRow> for Project {
    fn from(row: ProjectRow) -> Self {
        Project {
            id: row.id,
            display_name: row.display_name,
            client: row.client,
            brief: row.brief,
            due_date: row.due_date,
            state: row.state,
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    project_id: Uuid,
    person_id: Uuid,
    role: String,
    create_time: OffsetDateTime,
    seq: i64,
}

impl From<MemberRow> for Member {
    fn from(row: MemberRow) -> Self {
        Member {
            project_id: row.project_id,
            person_id: row.person_id,
            role: row.role,
            create_time: row.create_time,
            seq: row.seq,
        }
    }
}

pub async fn insert_project(conn: &mut PgConnection, new: &NewProject) -> Result<Project, sqlx::Error> {
    let row: ProjectRow = sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO projects.project (id, display_name, client, brief, due_date, state) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {PROJECT_COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(&new.display_name)
    .bind(&new.client)
    .bind(&new.brief)
    .bind(new.due_date)
    .bind(ProjectState::Active.as_str_name())
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

pub async fn get_project(conn: &mut PgConnection, id: Uuid) -> Result<Option<Project>, sqlx::Error> {
    let row: Option<ProjectRow> =
        sqlx::query_as(AssertSqlSafe(format!("SELECT {PROJECT_COLUMNS} FROM projects.project WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(Project::from))
}

/// Moves the project to its next revision, locking it until the transaction ends so that team
/// changes are serialized and their events carry increasing revisions.
pub async fn bump_revision(conn: &mut PgConnection, id: Uuid) -> Result<Option<Project>, sqlx::Error> {
    let row: Option<ProjectRow> = sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE projects.project SET revision = revision + 1, update_time = now() \
         WHERE id = $1 RETURNING {PROJECT_COLUMNS}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Project::from))
}

pub async fn list_projects(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Project>, sqlx::Error> {
    let rows: Vec<ProjectRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {PROJECT_COLUMNS} FROM projects.project WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2"
    )))
    .bind(after)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Project::from).collect())
}

/// Inserts a membership; `None` when the person is already on the team.
pub async fn insert_member(conn: &mut PgConnection, new: &NewMember) -> Result<Option<Member>, sqlx::Error> {
    let row: Option<MemberRow> = sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO projects.member (project_id, person_id, role) VALUES ($1, $2, $3) \
         ON CONFLICT (project_id, person_id) DO NOTHING RETURNING {MEMBER_COLUMNS}"
    )))
    .bind(new.project_id)
    .bind(new.person_id)
    .bind(new.role.as_str_name())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Member::from))
}

pub async fn delete_member(
    conn: &mut PgConnection,
    project_id: Uuid,
    person_id: Uuid,
) -> Result<Option<Member>, sqlx::Error> {
    let row: Option<MemberRow> = sqlx::query_as(AssertSqlSafe(format!(
        "DELETE FROM projects.member WHERE project_id = $1 AND person_id = $2 RETURNING {MEMBER_COLUMNS}"
    )))
    .bind(project_id)
    .bind(person_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Member::from))
}

pub async fn list_members(
    conn: &mut PgConnection,
    project_id: Uuid,
    after_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<Member>, sqlx::Error> {
    let rows: Vec<MemberRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM projects.member \
         WHERE project_id = $1 AND ($2::bigint IS NULL OR seq > $2) ORDER BY seq LIMIT $3"
    )))
    .bind(project_id)
    .bind(after_seq)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Member::from).collect())
}
