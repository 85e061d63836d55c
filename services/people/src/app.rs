//! The people service's use cases.

use sqlx::PgPool;
use uuid::Uuid;

use baton_messaging::{MutationError, Outbox, Written};
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::PersonName;
use baton_platform::policy::Access;
use baton_platform::time;
use baton_proto::people::v1 as pb;

use crate::domain::{NewPerson, Person, PersonPage, PersonQuery, PersonState};
use crate::error::PeopleError;
use crate::{repo, wire};

#[derive(Debug, Clone)]
pub struct People {
    pool: PgPool,
    outbox: Outbox,
}

impl People {
    pub fn new(outbox: Outbox, pool: PgPool) -> Self {
        Self { pool, outbox }
    }

    /// Creates a person and records `PersonCreated`, once per `request_id`.
    pub async fn create(&self, actor: Actor, new: NewPerson, origin: Origin) -> Result<Person, PeopleError> {
        let person = Person::create(new, PersonName::new(Uuid::now_v7()), time::now());
        let mut mutation = self.outbox.mutation("CreatePerson", &origin);
        mutation.emit(
            &person.name.to_string(),
            &pb::PersonCreated { person: Some(wire::person(&person)), actor: actor.resource_name() },
        );
        let email = person.email.clone();
        let person = match mutation.finish(repo::insert(&person), person).await {
            Ok(written) => written.changed()?,
            Err(MutationError::Database(e)) if baton_platform::db::is_unique_violation(&e, repo::EMAIL_KEY) => {
                return Err(PeopleError::EmailTaken(email));
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(person = %person.name, "person created");
        Ok(person)
    }

    /// A person: oneself, or anyone for staff and services.
    pub async fn get(&self, access: &Access, name: PersonName) -> Result<Person, PeopleError> {
        access.own(name)?;
        repo::get(&self.pool, name).await?.ok_or(PeopleError::NotFound(name))
    }

    /// Deactivates or reactivates a person and records `PersonStateChanged`.
    pub async fn set_state(
        &self,
        actor: Actor,
        name: PersonName,
        state: PersonState,
        origin: Origin,
    ) -> Result<Person, PeopleError> {
        let method = if state == PersonState::Deactivated { "DeactivatePerson" } else { "ReactivatePerson" };
        for _ in 0..5 {
            let mut mutation = self.outbox.mutation(method, &origin);
            let Some(current) = repo::get(&self.pool, name).await? else {
                return mutation.refuse(PeopleError::NotFound(name)).await;
            };
            let next = match current.in_state(state, time::now()) {
                Ok(next) => next,
                Err(state) => {
                    return mutation.refuse(PeopleError::AlreadyInState { person: name, state: state.as_str() }).await;
                }
            };
            mutation.emit(
                &name.to_string(),
                &pb::PersonStateChanged {
                    person: Some(wire::person(&next)),
                    previous_state: pb::PersonState::from_str_name(current.state.as_str()).unwrap_or_default() as i32,
                    actor: actor.resource_name(),
                },
            );
            match mutation.finish(repo::set_state(&next, current.revision), next).await? {
                Written::Done(person) => {
                    tracing::info!(person = %name, state = %person.state, "person state changed");
                    return Ok(person);
                }
                Written::Replay(person) => return Ok(person),
                Written::Missed => continue,
            }
        }
        Err(PeopleError::Contended(name))
    }

    pub async fn list(&self, query: PersonQuery) -> Result<PersonPage, PeopleError> {
        let rows = repo::list(&self.pool, &query).await?;
        let (people, next_page_token) = baton_platform::paging::split_page(rows, query.limit, |p| p.name.id);
        Ok(PersonPage { people, next_page_token })
    }
    /// A page of this service's audit trail (see `baton_platform::audit`).
    pub async fn audit(
        &self,
        query: &baton_platform::audit::AuditQuery,
    ) -> Result<(Vec<baton_proto::audit::v1::AuditRecord>, String), PeopleError> {
        Ok(baton_platform::audit::list(&self.pool, "people.audit", query).await?)
    }
}
