//! The teams use cases.

use uuid::Uuid;

use baton_messaging::{MutationError, Written};
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::{PersonName, TeamName};
use baton_platform::paging::split_page;
use baton_platform::time;
use baton_proto::people::v1 as pb;

use super::{ATTEMPTS, People};
use crate::domain::Page;
use crate::domain::team::{NewTeam, Team, TeamCondition, TeamUpdate};
use crate::error::PeopleError;
use crate::{repo, wire};

impl People {
    /// Creates a team and records `TeamCreated`, once per `request_id`.
    pub async fn create_team(&self, actor: Actor, new: NewTeam, origin: Origin) -> Result<Team, PeopleError> {
        self.ensure_joinable(&new.members.iter().map(|m| m.person).collect::<Vec<_>>()).await?;
        let team = Team::create(new, TeamName::new(Uuid::now_v7()), time::now());
        let mut mutation = self.outbox.mutation("CreateTeam", &origin);
        mutation.emit(
            &team.name.to_string(),
            &pb::TeamCreated { team: Some(wire::teams::team(&team)), actor: actor.resource_name() },
        );
        let (display_name, department) = (team.display_name.clone(), team.department);
        let team = match mutation.finish(repo::teams::insert(&team), team).await {
            Ok(written) => written.changed()?,
            Err(error) => return Err(taken(error, display_name, department)),
        };
        tracing::info!(team = %team.name, "team created");
        Ok(team)
    }

    pub async fn get_team(&self, name: TeamName) -> Result<Team, PeopleError> {
        repo::teams::get(&self.pool, name).await?.ok_or(PeopleError::TeamNotFound(name))
    }

    pub async fn list_teams(
        &self,
        conditions: &[TeamCondition],
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Page<Team>, PeopleError> {
        let rows = repo::teams::list(&self.pool, conditions, after, limit).await?;
        let (items, next_page_token) = split_page(rows, limit, |t| t.name.id);
        Ok(Page { items, next_page_token })
    }

    /// Changes the fields `update` names and records `TeamUpdated` with who joined and left.
    /// With an etag, a team that changed since is ABORTED; without one, a concurrent change is
    /// merged by deciding again on the stored team.
    pub async fn update_team(&self, actor: Actor, update: TeamUpdate, origin: Origin) -> Result<Team, PeopleError> {
        for _ in 0..ATTEMPTS {
            let mut mutation = self.outbox.mutation("UpdateTeam", &origin);
            let Some(current) = repo::teams::get(&self.pool, update.name).await? else {
                return mutation.refuse(PeopleError::TeamNotFound(update.name)).await;
            };
            let next = match current.updated(&update, time::now()) {
                Ok(next) => next,
                Err(stale) => {
                    let refusal = PeopleError::StaleTeam { team: update.name, current: stale.current };
                    return mutation.refuse(refusal).await;
                }
            };
            let added = next.members_missing_from(&current);
            self.ensure_joinable(&added).await?;
            mutation.emit(
                &next.name.to_string(),
                &pb::TeamUpdated {
                    before: Some(wire::teams::team(&current)),
                    after: Some(wire::teams::team(&next)),
                    changed_fields: update.fields.iter().map(|f| f.path().to_string()).collect(),
                    added_members: added.iter().map(ToString::to_string).collect(),
                    removed_members: current.members_missing_from(&next).iter().map(ToString::to_string).collect(),
                    actor: actor.resource_name(),
                },
            );
            let (display_name, department) = (next.display_name.clone(), next.department);
            match mutation.finish(repo::teams::update(&next, current.revision), next).await {
                Ok(Written::Done(team)) => {
                    tracing::info!(team = %team.name, "team updated");
                    return Ok(team);
                }
                Ok(Written::Replay(team)) => return Ok(team),
                Ok(Written::Missed) if update.etag.is_some() => {
                    let current = self.get_team(update.name).await?.etag();
                    return Err(PeopleError::StaleTeam { team: update.name, current });
                }
                Ok(Written::Missed) => continue,
                Err(error) => return Err(taken(error, display_name, department)),
            }
        }
        Err(PeopleError::Contended(update.name.to_string()))
    }

    /// Every person named exists and is active: only they join a team.
    async fn ensure_joinable(&self, people: &[PersonName]) -> Result<(), PeopleError> {
        if people.is_empty() {
            return Ok(());
        }
        let standings = repo::teams::standings(&self.pool, people).await?;
        for person in people {
            match standings.iter().find(|(name, _)| name == person) {
                None => return Err(PeopleError::MemberNotFound(*person)),
                Some((_, false)) => return Err(PeopleError::Deactivated(*person)),
                Some((_, true)) => {}
            }
        }
        Ok(())
    }
}

/// A write refused by one of the team's unique indexes says which; any other error is itself.
fn taken(
    error: MutationError,
    display_name: String,
    department: Option<crate::domain::team::Department>,
) -> PeopleError {
    match (&error, department) {
        (MutationError::Database(e), _) if baton_platform::db::is_unique_violation(e, repo::teams::NAME_KEY) => {
            PeopleError::TeamNameTaken(display_name)
        }
        (MutationError::Database(e), Some(department))
            if baton_platform::db::is_unique_violation(e, repo::teams::DEPARTMENT_KEY) =>
        {
            PeopleError::DepartmentTaken(department)
        }
        _ => error.into(),
    }
}
