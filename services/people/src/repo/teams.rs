//! SQL of `people.team`.

use baton_messaging::Change;
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{PersonName, TeamName};

use crate::domain::team::{Department, Team, TeamCondition, TeamKind, TeamMember};

/// The unique index on teams' display names (ignoring case).
pub const NAME_KEY: &str = "team_display_name_key";
/// The unique index on departments: one team each.
pub const DEPARTMENT_KEY: &str = "team_department_key";

macro_rules! columns {
    () => {
        "id, display_name, kind, department, description, members, create_time, update_time, revision"
    };
}

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: Uuid,
    display_name: String,
    #[sqlx(try_from = "String")]
    kind: TeamKind,
    department: Option<String>,
    description: String,
    members: Json<Vec<TeamMember>>,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<TeamRow> for Team {
    fn from(row: TeamRow) -> Self {
        Team {
            name: TeamName::new(row.id),
            display_name: row.display_name,
            kind: row.kind,
            department: row.department.as_deref().and_then(Department::from_name),
            description: row.description,
            members: row.members.0,
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

/// Stores a new team; refused by [`NAME_KEY`] or [`DEPARTMENT_KEY`] when taken.
pub fn insert(team: &Team) -> Change {
    Change::new(concat!(
        "change AS (INSERT INTO people.team (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING 1)"
    ))
    .bind(team.name.id)
    .bind(team.display_name.clone())
    .bind(team.kind.as_str())
    .bind(team.department.map(Department::as_str))
    .bind(team.description.clone())
    .bind(Json(team.members.clone()))
    .bind(team.create_time)
    .bind(team.revision)
}

/// Writes `team` over the stored one, if that is still at `read_revision`.
pub fn update(team: &Team, read_revision: i64) -> Change {
    Change::new(
        "change AS (UPDATE people.team SET display_name = $2, description = $3, members = $4, update_time = $5, \
         revision = $6 WHERE id = $1 AND revision = $7 RETURNING 1)",
    )
    .bind(team.name.id)
    .bind(team.display_name.clone())
    .bind(team.description.clone())
    .bind(Json(team.members.clone()))
    .bind(team.update_time)
    .bind(team.revision)
    .bind(read_revision)
}

pub async fn get(pool: &PgPool, name: TeamName) -> Result<Option<Team>, sqlx::Error> {
    let row: Option<TeamRow> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM people.team WHERE id = $1"))
        .bind(name.id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(Team::from))
}

/// A keyset page of the teams matching every condition, in creation order.
pub async fn list(
    pool: &PgPool,
    conditions: &[TeamCondition],
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Team>, sqlx::Error> {
    let mut sql = QueryBuilder::<Postgres>::new(concat!("SELECT ", columns!(), " FROM people.team WHERE true"));
    if let Some(after) = after {
        sql.push(" AND id > ").push_bind(after);
    }
    for condition in conditions {
        match condition {
            TeamCondition::Kind(op, kind) => {
                sql.push(" AND kind ").push(op.sql()).push(" ").push_bind(kind.as_str());
            }
            TeamCondition::Department(op, department) => {
                // A team without a department differs from every department.
                sql.push(" AND coalesce(department, '') ").push(op.sql()).push(" ").push_bind(department.as_str());
            }
            TeamCondition::Member(person) => {
                sql.push(" AND members @> jsonb_build_array(jsonb_build_object('person', ")
                    .push_bind(person.to_string())
                    .push("::text))");
            }
        }
    }
    sql.push(" ORDER BY id LIMIT ").push_bind(limit + 1);
    let rows: Vec<TeamRow> = sql.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(Team::from).collect())
}

/// The standing of each person named that exists: whether they are active.
pub async fn standings(pool: &PgPool, people: &[PersonName]) -> Result<Vec<(PersonName, bool)>, sqlx::Error> {
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    let rows: Vec<(Uuid, bool)> =
        sqlx::query_as("SELECT id, state = 'PERSON_STATE_ACTIVE' FROM people.person WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|(id, active)| (PersonName::new(id), active)).collect())
}
