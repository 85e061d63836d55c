//! SQL of the `people` schema.

use baton_messaging::Change;
use sqlx::PgPool;
use uuid::Uuid;

use baton_platform::names::PersonName;

use crate::domain::{Person, PersonQuery, PersonRole, PersonState};

/// The unique constraint on people's emails.
pub const EMAIL_KEY: &str = "person_email_key";

/// The columns of a [`PersonRow`], as a macro so that queries stay constant strings.
macro_rules! columns {
    () => {
        "id, display_name, email, role, state, create_time, update_time, revision"
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
        ") VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING 1)"
    ))
    .bind(person.name.id)
    .bind(person.display_name.clone())
    .bind(person.email.clone())
    .bind(person.role.as_str())
    .bind(person.state.as_str())
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

pub async fn get(pool: &PgPool, name: PersonName) -> Result<Option<Person>, sqlx::Error> {
    let row: Option<PersonRow> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM people.person WHERE id = $1"))
        .bind(name.id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(Person::from))
}

/// A keyset page in id (creation) order; fetches one row more than the limit.
pub async fn list(pool: &PgPool, query: &PersonQuery) -> Result<Vec<Person>, sqlx::Error> {
    let rows: Vec<PersonRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM people.person WHERE ($1::uuid IS NULL OR id > $1) AND ($2::text IS NULL OR role = $2) \
          ORDER BY id LIMIT $3"
    ))
    .bind(query.after)
    .bind(query.role.map(PersonRole::as_str))
    .bind(query.limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Person::from).collect())
}
