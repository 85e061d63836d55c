//! SQL of the `people` schema.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{NewPerson, Person, PersonQuery};

const COLUMNS: &str = "id, display_name, email, role, create_time, update_time, revision";

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    display_name: String,
    email: String,
    role: String,
    create_time: time::OffsetDateTime,
    update_time: time::OffsetDateTime,
    revision: i64,
}

impl From<PersonRow> for Person {
    fn from(row: PersonRow) -> Self {
        Person {
            id: row.id,
            display_name: row.display_name,
            email: row.email,
            role: row.role,
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

pub async fn insert(conn: &mut PgConnection, new: &NewPerson) -> Result<Person, sqlx::Error> {
    let row: PersonRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO people.person (id, display_name, email, role) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
    )))
    .bind(uuid::Uuid::now_v7())
    .bind(&new.display_name)
    .bind(&new.email)
    .bind(new.role.as_str_name())
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Person>, sqlx::Error> {
    let row: Option<PersonRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM people.person WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(Person::from))
}

/// A keyset page in id (creation) order; fetches one row more than the limit.
pub async fn list(conn: &mut PgConnection, query: &PersonQuery) -> Result<Vec<Person>, sqlx::Error> {
    let rows: Vec<PersonRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM people.person \
         WHERE ($1::uuid IS NULL OR id > $1) AND ($2::text IS NULL OR role = $2) \
         ORDER BY id LIMIT $3"
    )))
    .bind(query.after)
    .bind(query.role.map(|r| r.as_str_name()))
    .bind(query.limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Person::from).collect())
}
