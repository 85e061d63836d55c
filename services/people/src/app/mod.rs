//! The people service's use cases.

mod capacity;
mod teams;

use sqlx::PgPool;
use uuid::Uuid;

use baton_messaging::{Begun, MutationError, Outbox, Written};
use baton_platform::Actor;
use baton_platform::grpc::TracedChannel;
use baton_platform::idempotency::Origin;
use baton_platform::names::PersonName;
use baton_platform::policy::Access;
use baton_platform::time;
use baton_proto::people::v1 as pb;
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;

use crate::domain::capacity::{DateRange, Load};
use crate::domain::{
    Discipline, NewPerson, Person, PersonField, PersonPage, PersonQuery, PersonState, PersonUpdate, SkillLevel,
};
use crate::error::PeopleError;
use crate::{repo, wire};

pub use capacity::{Subject, Utilisation};

/// How often a use case that lost a compare-and-set to a concurrent write decides again.
const ATTEMPTS: usize = 5;

/// A person found by [`People::find`], with their load over the range asked about.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub person: Person,
    pub level: SkillLevel,
    pub load: Load,
}

#[derive(Debug, Clone)]
pub struct People {
    pool: PgPool,
    outbox: Outbox,
    /// The projects service, which says whether an allocation's project exists and is open.
    projects: Option<ProjectsServiceClient<TracedChannel>>,
}

impl People {
    pub fn new(outbox: Outbox, pool: PgPool, projects: Option<ProjectsServiceClient<TracedChannel>>) -> Self {
        Self { pool, outbox, projects }
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
        for _ in 0..ATTEMPTS {
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
        Err(PeopleError::Contended(name.to_string()))
    }

    /// Changes the fields `update` names and records `PersonUpdated` with the person before and
    /// after. The person is locked meanwhile: a change of their weekly hours is weighed against
    /// their allocations as they are.
    pub async fn update(
        &self,
        access: &Access,
        actor: Actor,
        update: PersonUpdate,
        origin: Origin,
    ) -> Result<Person, PeopleError> {
        access.own(update.name)?;
        let mut tx = match self.outbox.mutation("UpdatePerson", &origin).begin::<Person>().await? {
            Begun::Replay(person) => return Ok(person),
            Begun::New(tx) => tx,
        };
        let current = repo::lock(tx.conn(), update.name).await?.ok_or(PeopleError::NotFound(update.name))?;
        let now = time::now();
        let mut next = current
            .updated(&update, now)
            .map_err(|stale| PeopleError::StalePerson { person: update.name, current: stale.current })?;
        if update.fields.contains(&PersonField::WeeklyHours) {
            let today = now.date();
            let from = crate::domain::capacity::week_start(today);
            let allocations = repo::capacity::allocations_from(tx.conn(), update.name, from).await?;
            let time_off = repo::capacity::time_off_from(tx.conn(), update.name, from).await?;
            next.over_allocated_until =
                crate::domain::capacity::over_allocated_until(next.weekly_hours, &allocations, &time_off, today);
        }
        match repo::write(tx.conn(), &next).await {
            Err(e) if baton_platform::db::is_unique_violation(&e, repo::EMAIL_KEY) => {
                return Err(PeopleError::EmailTaken(next.email));
            }
            written => written?,
        }
        tx.emit(
            &next.name.to_string(),
            &pb::PersonUpdated {
                before: Some(wire::person(&current)),
                after: Some(wire::person(&next)),
                changed_fields: update.fields.iter().map(|f| f.path().to_string()).collect(),
                actor: actor.resource_name(),
            },
        );
        let person = tx.finish(next).await?;
        tracing::info!(person = %person.name, "person updated");
        Ok(person)
    }

    /// Active people practising `discipline` at `min_level` or above with at least
    /// `min_free_hours` free over `range`: the most free hours first, then the highest level.
    pub async fn find(
        &self,
        discipline: Discipline,
        min_level: Option<SkillLevel>,
        range: DateRange,
        min_free_hours: f64,
        limit: i64,
    ) -> Result<Vec<Candidate>, PeopleError> {
        /// The most people of one discipline weighed in one search.
        const WEIGHED: i64 = 2_000;
        let practising = repo::with_discipline(&self.pool, discipline.as_str(), WEIGHED).await?;
        let people: Vec<(Person, SkillLevel)> = practising
            .into_iter()
            .filter_map(|person| {
                let level = person.level_in(discipline)?;
                (min_level.is_none_or(|min| level.rank() >= min.rank())).then_some((person, level))
            })
            .collect();
        let names: Vec<PersonName> = people.iter().map(|(p, _)| p.name).collect();
        let (allocations, time_off) = repo::capacity::within(&self.pool, &names, range).await?;
        let levels: Vec<SkillLevel> = people.iter().map(|(_, level)| *level).collect();
        let people: Vec<Person> = people.into_iter().map(|(person, _)| person).collect();
        let mut candidates: Vec<Candidate> = capacity::loads(people, allocations, time_off, range)
            .into_iter()
            .zip(levels)
            .map(|((person, load), level)| Candidate { person, level, load })
            .filter(|candidate| candidate.load.free_hours() >= min_free_hours)
            .collect();
        candidates.sort_by(|a, b| {
            b.load.free_hours().total_cmp(&a.load.free_hours()).then(b.level.rank().cmp(&a.level.rank()))
        });
        candidates.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(candidates)
    }

    pub async fn list(&self, query: PersonQuery) -> Result<PersonPage, PeopleError> {
        let rows = repo::list(&self.pool, &query, time::now().date()).await?;
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
