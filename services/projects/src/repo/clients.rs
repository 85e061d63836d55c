//! SQL of `projects.client`.

use baton_messaging::Change;
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::ClientName;

use crate::domain::client::{Client, Contact};
use crate::domain::{ClientCondition, TextField};

macro_rules! client_columns {
    () => {
        "id, display_name, industry, notes, contacts, create_time, update_time, revision"
    };
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: Uuid,
    display_name: String,
    industry: String,
    notes: String,
    contacts: Json<Vec<Contact>>,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<ClientRow> for Client {
    fn from(row: ClientRow) -> Self {
        Client {
            name: ClientName::new(row.id),
            display_name: row.display_name,
            industry: row.industry,
            notes: row.notes,
            contacts: row.contacts.0,
            create_time: row.create_time,
            update_time: row.update_time,
            revision: row.revision,
        }
    }
}

/// Stores a new client.
pub fn insert(client: &Client) -> Change {
    Change::new(concat!(
        "change AS (INSERT INTO projects.client (",
        client_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING 1)"
    ))
    .bind(client.name.id)
    .bind(client.display_name.clone())
    .bind(client.industry.clone())
    .bind(client.notes.clone())
    .bind(Json(client.contacts.clone()))
    .bind(client.create_time)
    .bind(client.revision)
}

/// Writes `client` over the stored one, if that is still at `read_revision` (compare and set).
pub fn update(client: &Client, read_revision: i64) -> Change {
    Change::new(
        "change AS (UPDATE projects.client SET display_name = $2, industry = $3, notes = $4, contacts = $5, \
         update_time = $6, revision = $7 WHERE id = $1 AND revision = $8 RETURNING 1)",
    )
    .bind(client.name.id)
    .bind(client.display_name.clone())
    .bind(client.industry.clone())
    .bind(client.notes.clone())
    .bind(Json(client.contacts.clone()))
    .bind(client.update_time)
    .bind(client.revision)
    .bind(read_revision)
}

pub async fn get(pool: &PgPool, name: ClientName) -> Result<Option<Client>, sqlx::Error> {
    let row: Option<ClientRow> =
        sqlx::query_as(concat!("SELECT ", client_columns!(), " FROM projects.client WHERE id = $1"))
            .bind(name.id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(Client::from))
}

/// A keyset page of the clients that match every condition, in the order they were created.
pub async fn list(
    pool: &PgPool,
    conditions: &[ClientCondition],
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Client>, sqlx::Error> {
    let mut query =
        QueryBuilder::<Postgres>::new(concat!("SELECT ", client_columns!(), " FROM projects.client WHERE true"));
    if let Some(after) = after {
        query.push(" AND id > ").push_bind(after);
    }
    for condition in conditions {
        let column = match condition.field {
            TextField::DisplayName => " AND display_name ",
            TextField::Industry => " AND industry ",
        };
        query.push(column).push(condition.op.sql()).push(" ").push_bind(condition.value.clone());
    }
    query.push(" ORDER BY id LIMIT ").push_bind(limit + 1);
    let rows: Vec<ClientRow> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(Client::from).collect())
}

/// Whether the client exists.
pub async fn exists(pool: &PgPool, name: ClientName) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM projects.client WHERE id = $1)")
        .bind(name.id)
        .fetch_one(pool)
        .await
}
