//! The lifecycle use case: a project's moves between its stages, holds, cancellation and
//! archiving.

use baton_messaging::Written;
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::policy::Access;
use baton_platform::time;
use baton_proto::projects::v1 as pb;

use super::{ATTEMPTS, Projects};
use crate::domain::{MoveRefusal, Project, ProjectMove};
use crate::error::ProjectsError;
use crate::{repo, wire};

impl Projects {
    /// Moves a project as `step` asks and records `ProjectStateChanged`. With an etag, a
    /// project that changed since is ABORTED; without one, the move is decided on the stored
    /// project, again after a concurrent change.
    pub async fn move_project(
        &self,
        access: &Access,
        actor: Actor,
        step: ProjectMove,
        origin: Origin,
    ) -> Result<Project, ProjectsError> {
        let project = step.project;
        self.authorize(access, project).await?;
        for _ in 0..ATTEMPTS {
            let mut mutation = self.outbox.mutation(step.action.method(), &origin);
            let Some(current) = repo::get_project(&self.pool, project).await? else {
                return mutation.refuse(ProjectsError::ProjectNotFound(project)).await;
            };
            let next = match current.moved(&step, time::now()) {
                Ok(next) => next,
                Err(MoveRefusal::Illegal { current, needs }) => {
                    return mutation.refuse(ProjectsError::IllegalMove { project, current, needs }).await;
                }
                Err(MoveRefusal::Stale { current }) => {
                    return mutation.refuse(ProjectsError::StaleProject { project, current }).await;
                }
            };
            mutation.emit(
                &project.to_string(),
                &pb::ProjectStateChanged {
                    project: Some(wire::project(&next)),
                    previous_state: wire::state(current.state) as i32,
                    state: wire::state(next.state) as i32,
                    reason: step.reason.clone(),
                    actor: actor.resource_name(),
                    project_revision: next.revision,
                },
            );
            match mutation.finish(repo::move_state(&next, current.revision), next).await? {
                Written::Done(moved) => {
                    tracing::info!(%project, from = %current.state, to = %moved.state, "project moved");
                    return Ok(moved);
                }
                Written::Replay(moved) => return Ok(moved),
                // A concurrent change came first: with an etag the caller's read is stale now.
                Written::Missed if step.etag.is_some() => {
                    let current = repo::get_project(&self.pool, project).await?.map(|p| p.etag()).unwrap_or_default();
                    return Err(ProjectsError::StaleProject { project, current });
                }
                Written::Missed => continue,
            }
        }
        Err(ProjectsError::ProjectContended(project))
    }
}
