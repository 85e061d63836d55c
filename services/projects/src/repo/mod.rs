//! SQL of the `projects` schema.

use baton_messaging::Change;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use baton_platform::names::{ClientName, MemberName, PersonName, ProjectName};
use sqlx::{Postgres, QueryBuilder};

use crate::domain::{Member, MemberRole, Project, ProjectCondition, ProjectState};

pub mod briefs;
pub mod clients;
pub mod health;
pub mod milestones;
pub mod obstacles;

/// The columns of a [`ProjectRow`], as a macro so that queries stay constant strings.
macro_rules! project_columns {
    () => {
        "id, display_name, client_id, brief, due_date, state, held_state, create_time, update_time, revision"
    };
}

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: Uuid,
    display_name: String,
    client_id: Uuid,
    brief: String,
    due_date: Option<Date>,
    #[sqlx(try_from = "String")]
    state: ProjectState,
    held_state: Option<String>,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<ProjectRow> for Project {
    fn from(row: ProjectRow) -> Self {
        Project {
            name: ProjectName::new(row.id),
            display_name: row.display_name,
            client: ClientName::new(row.client_id),
            brief: row.brief,
            due_date: row.due_date,
            state: row.state,
            // Written from a ProjectState by this service; an unknown value reads as none.
            held_state: row.held_state.and_then(|s| ProjectState::from_name(&s)),
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
    #[sqlx(try_from = "String")]
    role: MemberRole,
    create_time: OffsetDateTime,
    seq: i64,
}

impl From<MemberRow> for (i64, Member) {
    fn from(row: MemberRow) -> Self {
        let name = MemberName::new(ProjectName::new(row.project_id), PersonName::new(row.person_id));
        (row.seq, Member { name, role: row.role, create_time: row.create_time })
    }
}

/// Stores a new project.
pub fn insert_project(project: &Project) -> Change {
    Change::new(concat!(
        "marked AS (INSERT INTO projects.health_dirty (project_id) VALUES ($1) ON CONFLICT (project_id) DO NOTHING), ",
        "change AS (INSERT INTO projects.project (",
        project_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING 1)"
    ))
    .bind(project.name.id)
    .bind(project.display_name.clone())
    .bind(project.client.id)
    .bind(project.brief.clone())
    .bind(project.due_date)
    .bind(project.state.as_str())
    .bind(project.held_state.map(ProjectState::as_str))
    .bind(project.create_time)
    .bind(project.revision)
}

/// Writes a project's lifecycle move, if it is still at `read_revision` (compare and set).
pub fn move_state(project: &Project, read_revision: i64) -> Change {
    Change::new(
        "change AS (UPDATE projects.project SET state = $2, held_state = $3, update_time = $4, revision = $5 \
         WHERE id = $1 AND revision = $6 RETURNING 1)",
    )
    .bind(project.name.id)
    .bind(project.state.as_str())
    .bind(project.held_state.map(ProjectState::as_str))
    .bind(project.update_time)
    .bind(project.revision)
    .bind(read_revision)
}

pub async fn get_project(db: impl sqlx::PgExecutor<'_>, name: ProjectName) -> Result<Option<Project>, sqlx::Error> {
    let row: Option<ProjectRow> =
        sqlx::query_as(concat!("SELECT ", project_columns!(), " FROM projects.project WHERE id = $1"))
            .bind(name.id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(Project::from))
}

/// A project and `person`'s role on its team, in one round trip: what a read by a team member
/// needs to be decided and answered.
pub async fn get_project_as(
    pool: &PgPool,
    name: ProjectName,
    person: PersonName,
) -> Result<Option<(Project, Option<MemberRole>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        project: ProjectRow,
        role: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(concat!(
        "SELECT ",
        project_columns!(),
        ", (SELECT role FROM projects.member m WHERE m.project_id = p.id AND m.person_id = $2) AS role \
         FROM projects.project p WHERE id = $1"
    ))
    .bind(name.id)
    .bind(person.id)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        let role = row.role.map(MemberRole::try_from).transpose().map_err(|e| sqlx::Error::Decode(e.into()))?;
        Ok((Project::from(row.project), role))
    })
    .transpose()
}

/// Moves a project to its next revision at `now` and locks it until the transaction ends, so that
/// team changes of one project wait for each other and their events carry increasing revisions.
pub async fn bump_revision(
    conn: &mut PgConnection,
    name: ProjectName,
    now: OffsetDateTime,
) -> Result<Option<Project>, sqlx::Error> {
    let row: Option<ProjectRow> = sqlx::query_as(concat!(
        "UPDATE projects.project SET revision = revision + 1, update_time = $2 WHERE id = $1 RETURNING ",
        project_columns!()
    ))
    .bind(name.id)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Project::from))
}

/// Puts `member` on the team; false when the person is on it already.
pub async fn insert_member(conn: &mut PgConnection, member: &Member) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO projects.member (project_id, person_id, role, create_time) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (project_id, person_id) DO NOTHING",
    )
    .bind(member.name.project)
    .bind(member.name.person)
    .bind(member.role.as_str())
    .bind(member.create_time)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Takes a person off the team; the membership that was, or `None` when there was none.
pub async fn delete_member(conn: &mut PgConnection, name: MemberName) -> Result<Option<Member>, sqlx::Error> {
    let row: Option<MemberRow> = sqlx::query_as(
        "DELETE FROM projects.member WHERE project_id = $1 AND person_id = $2 \
         RETURNING project_id, person_id, role, create_time, seq",
    )
    .bind(name.project)
    .bind(name.person)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| <(i64, Member)>::from(row).1))
}

/// A keyset page of the projects that match every condition: all of them, or (with `member`)
/// those that person is on.
pub async fn list_projects(
    pool: &PgPool,
    member: Option<PersonName>,
    conditions: &[ProjectCondition],
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Project>, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new(
        "SELECT p.id, p.display_name, p.client_id, p.brief, p.due_date, p.state, p.held_state, p.create_time, \
         p.update_time, p.revision FROM projects.project p",
    );
    if let Some(person) = member {
        query.push(" JOIN projects.member m ON m.project_id = p.id AND m.person_id = ").push_bind(person.id);
    }
    query.push(" WHERE true");
    if let Some(after) = after {
        query.push(" AND p.id > ").push_bind(after);
    }
    for condition in conditions {
        match *condition {
            ProjectCondition::Client(op, client) => {
                query.push(" AND p.client_id ").push(op.sql()).push(" ").push_bind(client.id);
            }
            ProjectCondition::State(op, state) => {
                query.push(" AND p.state ").push(op.sql()).push(" ").push_bind(state.as_str());
            }
        }
    }
    query.push(" ORDER BY p.id LIMIT ").push_bind(limit + 1);
    let rows: Vec<ProjectRow> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(Project::from).collect())
}

/// One membership, if the person is on the team.
pub async fn get_member(pool: &PgPool, name: MemberName) -> Result<Option<Member>, sqlx::Error> {
    let row: Option<MemberRow> = sqlx::query_as(
        "SELECT project_id, person_id, role, create_time, seq FROM projects.member \
         WHERE project_id = $1 AND person_id = $2",
    )
    .bind(name.project)
    .bind(name.person)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| <(i64, Member)>::from(row).1))
}

/// A keyset page of a team in the order people joined, with each member's position.
pub async fn list_members(
    pool: &PgPool,
    project: ProjectName,
    after_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, Member)>, sqlx::Error> {
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT project_id, person_id, role, create_time, seq FROM projects.member \
         WHERE project_id = $1 AND ($2::bigint IS NULL OR seq > $2) ORDER BY seq LIMIT $3",
    )
    .bind(project.id)
    .bind(after_seq)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(<(i64, Member)>::from).collect())
}
