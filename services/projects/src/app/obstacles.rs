//! The obstacle use cases.

use uuid::Uuid;

use baton_messaging::Written;
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::{ObstacleName, ProjectName};
use baton_platform::paging::split_page;
use baton_platform::policy::Access;
use baton_platform::time;
use baton_proto::projects::v1 as pb;

use super::{ATTEMPTS, Projects};
use crate::domain::Page;
use crate::domain::obstacle::{
    Obstacle, ObstacleAction, ObstacleChange, ObstacleCondition, ObstacleFields, ObstacleRefusal,
};
use crate::error::ProjectsError;
use crate::{repo, wire};

impl Projects {
    /// Raises an obstacle (open) and records `ObstacleRaised`.
    pub async fn raise_obstacle(
        &self,
        access: &Access,
        actor: Actor,
        project: ProjectName,
        fields: ObstacleFields,
        origin: Origin,
    ) -> Result<Obstacle, ProjectsError> {
        self.authorize(access, project).await?;
        if repo::get_project(&self.pool, project).await?.is_none() {
            return self
                .outbox
                .mutation("RaiseObstacle", &origin)
                .refuse(ProjectsError::ProjectNotFound(project))
                .await;
        }
        if let Some(owner) = fields.owner {
            self.ensure_owner(owner).await?;
        }
        self.record_obstacle(project, fields, actor.resource_name(), &origin).await
    }

    /// Stores a new obstacle and records `ObstacleRaised`.
    async fn record_obstacle(
        &self,
        project: ProjectName,
        fields: ObstacleFields,
        raised_by: String,
        origin: &Origin,
    ) -> Result<Obstacle, ProjectsError> {
        let name = ObstacleName::new(project, Uuid::now_v7());
        let obstacle = Obstacle::raise(name, fields, raised_by.clone(), time::now());
        let mut mutation = self.outbox.mutation("RaiseObstacle", origin);
        mutation.emit(
            &name.to_string(),
            &pb::ObstacleRaised { obstacle: Some(wire::obstacles::obstacle(&obstacle)), actor: raised_by },
        );
        let obstacle = mutation.finish(repo::obstacles::insert(&obstacle), obstacle).await?.changed()?;
        tracing::info!(obstacle = %obstacle.name, "obstacle raised");
        Ok(obstacle)
    }

    pub async fn get_obstacle(&self, access: &Access, name: ObstacleName) -> Result<Obstacle, ProjectsError> {
        self.authorize(access, name.project()).await?;
        repo::obstacles::get(&self.pool, name).await?.ok_or(ProjectsError::ObstacleNotFound(name))
    }

    pub async fn list_obstacles(
        &self,
        access: &Access,
        project: ProjectName,
        conditions: &[ObstacleCondition],
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Page<Obstacle>, ProjectsError> {
        self.authorize(access, project).await?;
        if repo::get_project(&self.pool, project).await?.is_none() {
            return Err(ProjectsError::ProjectNotFound(project));
        }
        let rows = repo::obstacles::list(&self.pool, project, conditions, after, limit).await?;
        let (items, next_page_token) = split_page(rows, limit, |o| o.name.id);
        Ok(Page { items, next_page_token })
    }

    /// Updates, resolves or reopens an obstacle and records `ObstacleChanged` with it before and
    /// after.
    pub async fn change_obstacle(
        &self,
        access: &Access,
        actor: Actor,
        change: ObstacleChange,
        origin: Origin,
    ) -> Result<Obstacle, ProjectsError> {
        let name = change.name;
        self.authorize(access, name.project()).await?;
        if let ObstacleAction::Update { values, .. } = &change.action
            && let Some(owner) = values.owner
        {
            self.ensure_owner(owner).await?;
        }
        for _ in 0..ATTEMPTS {
            let mut mutation = self.outbox.mutation(change.action.method(), &origin);
            let Some(current) = repo::obstacles::get(&self.pool, name).await? else {
                return mutation.refuse(ProjectsError::ObstacleNotFound(name)).await;
            };
            let (next, changed) = match current.changed(&change, time::now()) {
                Ok(next) => next,
                Err(ObstacleRefusal::WrongState(state)) => {
                    return mutation.refuse(ProjectsError::ObstacleState { obstacle: name, state }).await;
                }
                Err(ObstacleRefusal::Stale { current }) => {
                    return mutation.refuse(ProjectsError::StaleObstacle { obstacle: name, current }).await;
                }
            };
            mutation.emit(
                &name.to_string(),
                &pb::ObstacleChanged {
                    before: Some(wire::obstacles::obstacle(&current)),
                    after: Some(wire::obstacles::obstacle(&next)),
                    changed_fields: changed.iter().map(|f| f.to_string()).collect(),
                    actor: actor.resource_name(),
                },
            );
            match mutation.finish(repo::obstacles::update(&next, current.revision), next).await? {
                Written::Done(obstacle) => {
                    tracing::info!(obstacle = %name, action = change.action.method(), "obstacle changed");
                    return Ok(obstacle);
                }
                Written::Replay(obstacle) => return Ok(obstacle),
                Written::Missed if change.etag.is_some() => {
                    let current = repo::obstacles::get(&self.pool, name).await?.map(|o| o.etag()).unwrap_or_default();
                    return Err(ProjectsError::StaleObstacle { obstacle: name, current });
                }
                Written::Missed => continue,
            }
        }
        Err(ProjectsError::ProjectContended(name.project()))
    }

    async fn ensure_owner(&self, owner: baton_platform::names::PersonName) -> Result<(), ProjectsError> {
        self.ensure_person(owner).await.map_err(|error| match error {
            ProjectsError::PersonNotFound(person) => ProjectsError::OwnerNotFound(person),
            other => other,
        })
    }
}
