//! SQL of the `people` schema.

pub mod capacity;
pub mod teams;

use baton_messaging::Change;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use time::Date;
use uuid::Uuid;

use baton_platform::filter::Op;
use baton_platform::names::PersonName;

use crate::domain::{Person, PersonCondition, PersonQuery, PersonRole, PersonState, Skill};

/// The unique constraint on people's emails.
pub const EMAIL_KEY: &str = "person_email_key";

/// The columns of a [`PersonRow`], as a macro so that queries stay constant strings.
macro_rules! columns {
    () => {
        "id, display_name, email, role, state, skills, weekly_hours, over_allocated_until, create_time, update_time, \
         revision"
    };
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    display_name: String,
    email: String,
    #[sqlx(try_from = "String")]
    role: PersonRole,
    #[sqlx(try_from = "String")]
    state: PersonState,
    skills: Json<Vec<Skill>>,
    weekly_hours: f64,
    over_allocated_until: Option<Date>,
    create_time: time::OffsetDateTime,
    update_time: time::OffsetDateTime,
    revision: i64,
}

impl From<PersonRow> for Person {
    fn from(row: PersonRow) -> Self {
        Person {
            name: PersonName::new(row.id),
            display_name: row.display_name,
            email: row.email,
            role: row.role,
            state: row.state,
            skills: row.skills.0,
            weekly_hours: row.weekly_hours,
            over_allocated_until: row.over_allocated_until,
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

/// Stores a new person; refused by [`EMAIL_KEY`] when the email is taken.
pub fn insert(person: &Person) -> Change {
    Change::new(concat!(
        "change AS (INSERT INTO people.person (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $8, $9) RETURNING 1)"
    ))
    .bind(person.name.id)
    .bind(person.display_name.clone())
    .bind(person.email.clone())
    .bind(person.role.as_str())
    .bind(person.state.as_str())
    .bind(Json(person.skills.clone()))
    .bind(person.weekly_hours)
    .bind(person.create_time)
    .bind(person.revision)
}

/// Writes a person's new state, if they are still at `read_revision`.
pub fn set_state(person: &Person, read_revision: i64) -> Change {
    Change::new(
        "change AS (UPDATE people.person SET state = $2, update_time = $3, revision = $4 \
         WHERE id = $1 AND revision = $5 RETURNING 1)",
    )
    .bind(person.name.id)
    .bind(person.state.as_str())
    .bind(person.update_time)
    .bind(person.revision)
    .bind(read_revision)
}

/// Writes a person's updatable fields and revision (in a transaction that locked them).
pub async fn write(conn: &mut PgConnection, person: &Person) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE people.person SET display_name = $2, email = $3, role = $4, skills = $5, weekly_hours = $6, \
         over_allocated_until = $7, update_time = $8, revision = $9 WHERE id = $1",
    )
    .bind(person.name.id)
    .bind(person.display_name.clone())
    .bind(person.email.clone())
    .bind(person.role.as_str())
    .bind(Json(person.skills.clone()))
    .bind(person.weekly_hours)
    .bind(person.over_allocated_until)
    .bind(person.update_time)
    .bind(person.revision)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(pool: &PgPool, name: PersonName) -> Result<Option<Person>, sqlx::Error> {
    let row: Option<PersonRow> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM people.person WHERE id = $1"))
        .bind(name.id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(Person::from))
}

/// The person, locked until the transaction ends: writes of their capacity go one at a time.
pub async fn lock(conn: &mut PgConnection, name: PersonName) -> Result<Option<Person>, sqlx::Error> {
    let row: Option<PersonRow> =
        sqlx::query_as(concat!("SELECT ", columns!(), " FROM people.person WHERE id = $1 FOR UPDATE"))
            .bind(name.id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(Person::from))
}

/// The people named, in no order.
pub async fn get_many(pool: &PgPool, names: &[PersonName]) -> Result<Vec<Person>, sqlx::Error> {
    let ids: Vec<Uuid> = names.iter().map(|n| n.id).collect();
    let rows: Vec<PersonRow> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM people.person WHERE id = ANY($1)"))
        .bind(ids)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Person::from).collect())
}

/// Active people with a skill in the discipline, at most `limit`, in id order.
pub async fn with_discipline(pool: &PgPool, discipline: &str, limit: i64) -> Result<Vec<Person>, sqlx::Error> {
    let rows: Vec<PersonRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM people.person WHERE skills @> jsonb_build_array(jsonb_build_object('discipline', $1::text)) \
          AND state = 'PERSON_STATE_ACTIVE' ORDER BY id LIMIT $2"
    ))
    .bind(discipline)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Person::from).collect())
}

/// A keyset page in id (creation) order of the people matching every condition; fetches one
/// row more than the limit. `today` decides who is over-allocated.
pub async fn list(pool: &PgPool, query: &PersonQuery, today: Date) -> Result<Vec<Person>, sqlx::Error> {
    let mut sql = QueryBuilder::<Postgres>::new(concat!("SELECT ", columns!(), " FROM people.person WHERE true"));
    if let Some(after) = query.after {
        sql.push(" AND id > ").push_bind(after);
    }
    if let Some(role) = query.role {
        sql.push(" AND role = ").push_bind(role.as_str());
    }
    for condition in &query.conditions {
        match condition {
            PersonCondition::Role(op, role) => {
                sql.push(" AND role ").push(op.sql()).push(" ").push_bind(role.as_str());
            }
            PersonCondition::State(op, state) => {
                sql.push(" AND state ").push(op.sql()).push(" ").push_bind(state.as_str());
            }
            PersonCondition::OverAllocated(wanted) => {
                sql.push(if *wanted { " AND " } else { " AND NOT " });
                sql.push("coalesce(over_allocated_until >= ").push_bind(today).push(", false)");
            }
            PersonCondition::Discipline(op, discipline) => {
                sql.push(if *op == Op::Eq { " AND " } else { " AND NOT " });
                sql.push("skills @> jsonb_build_array(jsonb_build_object('discipline', ")
                    .push_bind(discipline.as_str())
                    .push("::text))");
            }
            PersonCondition::Team(team) => {
                sql.push(
                    " AND EXISTS (SELECT 1 FROM people.team t WHERE t.members @> \
                     jsonb_build_array(jsonb_build_object('person', 'people/' || person.id::text)) AND t.id = ",
                )
                .push_bind(team.id)
                .push(")");
            }
        }
    }
    sql.push(" ORDER BY id LIMIT ").push_bind(query.limit + 1);
    let rows: Vec<PersonRow> = sql.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(Person::from).collect())
}
