//! The people service's use cases.

use sqlx::PgPool;
use uuid::Uuid;

use baton_platform::Actor;
use baton_platform::idempotency::{self, Claim};
use baton_proto::people::v1 as pb;

use crate::domain::{NewPerson, Person, PersonPage, PersonQuery};
use crate::error::PeopleError;
use crate::{IDEMPOTENCY_TABLE, OUTBOX, repo};

#[derive(Debug, Clone)]
pub struct People {
    pool: PgPool,
}

impl People {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Creates a person and records `PersonCreated`, once per `request_id`.
    pub async fn create(&self, actor: Actor, new: NewPerson, request_id: Option<Uuid>) -> Result<Person, PeopleError> {
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(person) =
            idempotency::claim(&mut tx, IDEMPOTENCY_TABLE, request_id, "CreatePerson").await?
        {
            return Ok(person);
        }
        let person = repo::insert(&mut tx, &new).await.map_err(|e| {
            if baton_platform::db::is_unique_violation(&e, "person_email_key") {
                PeopleError::EmailTaken(new.email.clone())
            } else {
                e.into()
            }
        })?;
        let event = pb::PersonCreated { person: Some(pb::Person::from(&person)), actor: actor.resource_name() };
        OUTBOX.enqueue(&mut tx, &person.name(), &event).await?;
        idempotency::record(&mut tx, IDEMPOTENCY_TABLE, request_id, &person).await?;
        OUTBOX.commit(tx).await?;
        tracing::info!(person = %person.name(), "person created");
        Ok(person)
    }

    pub async fn get(&self, id: Uuid) -> Result<Person, PeopleError> {
        let mut conn = self.pool.acquire().await?;
        repo::get(&mut conn, id).await?.ok_or_else(|| PeopleError::NotFound(format!("people/{id}")))
    }

    pub async fn list(&self, query: PersonQuery) -> Result<PersonPage, PeopleError> {
        let mut conn = self.pool.acquire().await?;
        let rows = repo::list(&mut conn, &query).await?;
        let (people, next_page_token) = baton_platform::paging::split_page(rows, query.limit, |p| p.id);
        Ok(PersonPage { people, next_page_token })
    }
}
