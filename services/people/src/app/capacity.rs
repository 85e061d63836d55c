//! The capacity use cases: time off, allocations, and the load they make.
//!
//! Every write of a person's time off or allocations runs in a transaction that locks the person
//! first ([`Capacity`]): writes of one person's capacity go one at a time, so the over-allocation
//! each computes is over what is really stored.

use std::collections::HashMap;

use ::time::Date;
use uuid::Uuid;

use baton_messaging::{Begun, Transaction};
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::{AllocationName, PersonName, ProjectName, TeamName, TimeOffName};
use baton_platform::paging::split_page;
use baton_platform::time;
use baton_proto::people::v1 as pb;
use baton_proto::projects::v1::{GetProjectRequest, ProjectState};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::People;
use crate::domain::capacity::{
    Allocation, AllocationCondition, AllocationRefusal, AllocationUpdate, DateRange, Load, MAX_OPEN_ALLOCATIONS,
    NewAllocation, NewTimeOff, TimeOff, load, over_allocated_until, week_start,
};
use crate::domain::{Page, Person, PersonState};
use crate::error::PeopleError;
use crate::{repo, wire};

/// A person's load over a range, and whose it is.
#[derive(Debug, Clone)]
pub struct Utilisation {
    pub people: Vec<(Person, Load)>,
}

/// Whose utilisation to report.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    Person(PersonName),
    Team(TeamName),
}

/// A write of one person's capacity in progress: the person locked, with their allocations and
/// time off from this week on.
struct Capacity<'a> {
    tx: Transaction<'a>,
    before: Person,
    person: Person,
    allocations: Vec<Allocation>,
    time_off: Vec<TimeOff>,
    today: Date,
}

enum Opened<'a, T> {
    New(Box<Capacity<'a>>),
    Replay(T),
}

impl Capacity<'_> {
    fn conn(&mut self) -> &mut sqlx::PgConnection {
        self.tx.conn()
    }

    /// Recomputes the person's over-allocation over the changed allocations and time off and
    /// writes it; returns the person as they are now.
    async fn settle(&mut self) -> Result<Person, PeopleError> {
        let until = over_allocated_until(self.person.weekly_hours, &self.allocations, &self.time_off, self.today);
        if until != self.person.over_allocated_until {
            self.person = self.person.with_over_allocation(until, self.today, time::now());
            repo::write(self.tx.conn(), &self.person).await?;
        }
        Ok(self.person.clone())
    }

    /// Emits `PersonUpdated` if the person's over-allocation flipped, then commits with
    /// `response`.
    async fn finish<T: Serialize>(mut self, actor: &Actor, response: T) -> Result<T, PeopleError> {
        if self.person.revision != self.before.revision {
            self.tx.emit(
                &self.person.name.to_string(),
                &pb::PersonUpdated {
                    before: Some(wire::person(&self.before)),
                    after: Some(wire::person(&self.person)),
                    changed_fields: vec!["over_allocated".into()],
                    actor: actor.resource_name(),
                },
            );
        }
        Ok(self.tx.finish(response).await?)
    }
}

/// Each person's load over `range` from the allocations and time off read for all of them.
pub(super) fn loads(
    people: Vec<Person>,
    allocations: Vec<Allocation>,
    time_off: Vec<TimeOff>,
    range: DateRange,
) -> Vec<(Person, Load)> {
    let mut allocations_of: HashMap<PersonName, Vec<Allocation>> = HashMap::new();
    for allocation in allocations {
        allocations_of.entry(allocation.name.person()).or_default().push(allocation);
    }
    let mut time_off_of: HashMap<PersonName, Vec<TimeOff>> = HashMap::new();
    for off in time_off {
        time_off_of.entry(off.name.person()).or_default().push(off);
    }
    people
        .into_iter()
        .map(|person| {
            let allocations = allocations_of.get(&person.name).map(Vec::as_slice).unwrap_or_default();
            let time_off = time_off_of.get(&person.name).map(Vec::as_slice).unwrap_or_default();
            let load = load(person.weekly_hours, allocations, time_off, range);
            (person, load)
        })
        .collect()
}

impl People {
    /// Opens a capacity write of `person` (see [`Capacity`]), or the first answer of a repeat.
    async fn capacity<'a, T: DeserializeOwned>(
        &'a self,
        method: &'static str,
        origin: &'a Origin,
        person: PersonName,
    ) -> Result<Opened<'a, T>, PeopleError> {
        let mut tx = match self.outbox.mutation(method, origin).begin::<T>().await? {
            Begun::Replay(first) => return Ok(Opened::Replay(first)),
            Begun::New(tx) => tx,
        };
        let locked = repo::lock(tx.conn(), person).await?.ok_or(PeopleError::NotFound(person))?;
        let today = time::now().date();
        let from = week_start(today);
        let allocations = repo::capacity::allocations_from(tx.conn(), person, from).await?;
        let time_off = repo::capacity::time_off_from(tx.conn(), person, from).await?;
        Ok(Opened::New(Box::new(Capacity { tx, before: locked.clone(), person: locked, allocations, time_off, today })))
    }

    /// That the project exists and is open (not archived or cancelled), as the projects service
    /// says: asked on every allocation (they are rare), so the answer is never stale.
    async fn ensure_open_project(&self, project: ProjectName) -> Result<(), PeopleError> {
        let Some(projects) = &self.projects else {
            return Err(PeopleError::ProjectsUnreachable);
        };
        let request = GetProjectRequest { name: project.to_string() };
        let state = match projects.clone().get_project(request).await {
            Ok(response) => response.into_inner().project.map(|p| p.state).unwrap_or_default(),
            Err(status) if status.code() == tonic::Code::NotFound => return Err(PeopleError::ProjectNotFound(project)),
            Err(status) => return Err(PeopleError::Upstream(status)),
        };
        match ProjectState::try_from(state) {
            Ok(closed @ (ProjectState::Archived | ProjectState::Cancelled)) => {
                Err(PeopleError::ProjectClosed { project, state: closed.as_str_name() })
            }
            _ => Ok(()),
        }
    }

    /// Records time off and records `TimeOffChanged`.
    pub async fn create_time_off(&self, actor: Actor, new: NewTimeOff, origin: Origin) -> Result<TimeOff, PeopleError> {
        let mut capacity = match self.capacity("CreateTimeOff", &origin, new.person).await? {
            Opened::Replay(first) => return Ok(first),
            Opened::New(capacity) => capacity,
        };
        let time_off = TimeOff {
            name: TimeOffName::new(new.person, Uuid::now_v7()),
            range: new.range,
            note: new.note,
            create_time: time::now(),
        };
        repo::capacity::insert_time_off(capacity.conn(), &time_off).await?;
        capacity.time_off.push(time_off.clone());
        capacity.settle().await?;
        capacity.tx.emit(
            &time_off.name.to_string(),
            &pb::TimeOffChanged {
                before: None,
                after: Some(wire::capacity::time_off(&time_off)),
                actor: actor.resource_name(),
            },
        );
        capacity.finish(&actor, time_off).await
    }

    /// Deletes time off and records `TimeOffChanged`.
    pub async fn delete_time_off(
        &self,
        actor: Actor,
        name: TimeOffName,
        origin: Origin,
    ) -> Result<TimeOff, PeopleError> {
        let mut capacity = match self.capacity("DeleteTimeOff", &origin, name.person()).await? {
            Opened::Replay(first) => return Ok(first),
            Opened::New(capacity) => capacity,
        };
        let deleted =
            repo::capacity::delete_time_off(capacity.conn(), name).await?.ok_or(PeopleError::TimeOffNotFound(name))?;
        capacity.time_off.retain(|t| t.name != name);
        capacity.settle().await?;
        capacity.tx.emit(
            &name.to_string(),
            &pb::TimeOffChanged {
                before: Some(wire::capacity::time_off(&deleted)),
                after: None,
                actor: actor.resource_name(),
            },
        );
        capacity.finish(&actor, deleted).await
    }

    /// Allocates a person to a project and records `AllocationChanged`; answers with the person
    /// as the allocation leaves them.
    pub async fn create_allocation(
        &self,
        actor: Actor,
        new: NewAllocation,
        origin: Origin,
    ) -> Result<(Allocation, Person), PeopleError> {
        if let Err(refusal) = self.ensure_open_project(new.project).await {
            return self.outbox.mutation("CreateAllocation", &origin).refuse(refusal).await;
        }
        let mut capacity = match self.capacity("CreateAllocation", &origin, new.person).await? {
            Opened::Replay(first) => return Ok(first),
            Opened::New(capacity) => capacity,
        };
        if capacity.person.state == PersonState::Deactivated {
            return Err(PeopleError::Deactivated(new.person));
        }
        let open = capacity.allocations.iter().filter(|a| a.range.end >= capacity.today).count();
        if open >= MAX_OPEN_ALLOCATIONS {
            return Err(PeopleError::TooManyAllocations { person: new.person, open, max: MAX_OPEN_ALLOCATIONS });
        }
        let person = new.person;
        let allocation = Allocation::create(new, AllocationName::new(person, Uuid::now_v7()), time::now());
        repo::capacity::insert_allocation(capacity.conn(), &allocation).await?;
        capacity.allocations.push(allocation.clone());
        let person = capacity.settle().await?;
        capacity.tx.emit(
            &allocation.name.to_string(),
            &pb::AllocationChanged {
                before: None,
                after: Some(wire::capacity::allocation(&allocation)),
                changed_fields: vec![],
                actor: actor.resource_name(),
                over_allocated: person.over_allocated(capacity.today),
            },
        );
        let (allocation, person) = capacity.finish(&actor, (allocation, person)).await?;
        tracing::info!(allocation = %allocation.name, "allocation created");
        Ok((allocation, person))
    }

    /// Changes an allocation's hours, dates or note and records `AllocationChanged`.
    pub async fn update_allocation(
        &self,
        actor: Actor,
        update: AllocationUpdate,
        origin: Origin,
    ) -> Result<(Allocation, Person), PeopleError> {
        let name = update.name;
        let mut capacity = match self.capacity("UpdateAllocation", &origin, name.person()).await? {
            Opened::Replay(first) => return Ok(first),
            Opened::New(capacity) => capacity,
        };
        let current =
            repo::capacity::allocation(capacity.conn(), name).await?.ok_or(PeopleError::AllocationNotFound(name))?;
        let next = current.updated(&update, time::now()).map_err(|refusal| match refusal {
            AllocationRefusal::Stale(stale) => {
                PeopleError::StaleAllocation { allocation: name, current: stale.current }
            }
            AllocationRefusal::Range(why) => PeopleError::AllocationRange(format!("end_date: {why}")),
        })?;
        repo::capacity::update_allocation(capacity.conn(), &next).await?;
        capacity.allocations.retain(|a| a.name != name);
        capacity.allocations.push(next.clone());
        let person = capacity.settle().await?;
        capacity.tx.emit(
            &name.to_string(),
            &pb::AllocationChanged {
                before: Some(wire::capacity::allocation(&current)),
                after: Some(wire::capacity::allocation(&next)),
                changed_fields: update.fields.iter().map(|f| f.path().to_string()).collect(),
                actor: actor.resource_name(),
                over_allocated: person.over_allocated(capacity.today),
            },
        );
        capacity.finish(&actor, (next, person)).await
    }

    /// Deletes an allocation and records `AllocationChanged`.
    pub async fn delete_allocation(
        &self,
        actor: Actor,
        name: AllocationName,
        origin: Origin,
    ) -> Result<(Allocation, Person), PeopleError> {
        let mut capacity = match self.capacity("DeleteAllocation", &origin, name.person()).await? {
            Opened::Replay(first) => return Ok(first),
            Opened::New(capacity) => capacity,
        };
        let current =
            repo::capacity::allocation(capacity.conn(), name).await?.ok_or(PeopleError::AllocationNotFound(name))?;
        repo::capacity::delete_allocation(capacity.conn(), name).await?;
        capacity.allocations.retain(|a| a.name != name);
        let person = capacity.settle().await?;
        capacity.tx.emit(
            &name.to_string(),
            &pb::AllocationChanged {
                before: Some(wire::capacity::allocation(&current)),
                after: None,
                changed_fields: vec![],
                actor: actor.resource_name(),
                over_allocated: person.over_allocated(capacity.today),
            },
        );
        capacity.finish(&actor, (current, person)).await
    }

    pub async fn get_allocation(&self, name: AllocationName) -> Result<Allocation, PeopleError> {
        let mut conn = self.pool.acquire().await?;
        repo::capacity::allocation(&mut conn, name).await?.ok_or(PeopleError::AllocationNotFound(name))
    }

    pub async fn list_allocations(
        &self,
        person: Option<PersonName>,
        conditions: &[AllocationCondition],
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Page<Allocation>, PeopleError> {
        let rows = repo::capacity::list_allocations(&self.pool, person, conditions, after, limit).await?;
        let (items, next_page_token) = split_page(rows, limit, |a| a.name.id);
        Ok(Page { items, next_page_token })
    }

    pub async fn list_time_off(
        &self,
        person: PersonName,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Page<TimeOff>, PeopleError> {
        let rows = repo::capacity::list_time_off(&self.pool, person, after, limit).await?;
        let (items, next_page_token) = split_page(rows, limit, |t| t.name.id);
        Ok(Page { items, next_page_token })
    }

    /// The load of a person, or of every member of a team in the team's order, over `range`.
    pub async fn utilisation(&self, subject: Subject, range: DateRange) -> Result<Utilisation, PeopleError> {
        let names: Vec<PersonName> = match subject {
            Subject::Person(person) => vec![person],
            Subject::Team(team) => {
                let team = repo::teams::get(&self.pool, team).await?.ok_or(PeopleError::TeamNotFound(team))?;
                team.members.iter().map(|m| m.person).collect()
            }
        };
        let mut found = repo::get_many(&self.pool, &names).await?;
        if let Subject::Person(person) = subject
            && found.is_empty()
        {
            return Err(PeopleError::NotFound(person));
        }
        found.sort_by_key(|p| names.iter().position(|n| *n == p.name));
        let (allocations, time_off) = repo::capacity::within(&self.pool, &names, range).await?;
        Ok(Utilisation { people: loads(found, allocations, time_off, range) })
    }
}
