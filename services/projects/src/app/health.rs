//! Project health, computed on request from the service's own data.

use baton_platform::names::ProjectName;
use baton_platform::policy::Access;
use baton_platform::time;

use super::Projects;
use crate::domain::health::{self, Health, HealthInputs};
use crate::error::ProjectsError;
use crate::repo;

impl Projects {
    /// How the project is doing now (see `domain::health`).
    pub async fn health(
        &self,
        access: &Access,
        project: ProjectName,
    ) -> Result<(Health, ::time::OffsetDateTime), ProjectsError> {
        self.authorize(access, project).await?;
        self.health_of(project).await
    }

    /// The project's health now, for whoever asks.
    pub(crate) async fn health_of(
        &self,
        project: ProjectName,
    ) -> Result<(Health, ::time::OffsetDateTime), ProjectsError> {
        // One snapshot of everything health is computed from: figures read at different moments
        // could disagree (a component approved in one, its approval missing in another).
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let found = repo::get_project(&mut *tx, project).await?.ok_or(ProjectsError::ProjectNotFound(project))?;
        let components = repo::health::components(&mut *tx, project).await?;
        let approvals = repo::health::approvals(&mut *tx, project).await?;
        let open_obstacles = repo::health::open_obstacles(&mut *tx, project).await?;
        let milestones = repo::milestones::list(&mut *tx, project, None, 0).await?;
        let done = repo::milestones::done_times(&mut *tx, project).await?;
        tx.commit().await?;
        let now = time::now();
        let milestones = milestones.into_iter().map(|m| m.view(&done, now)).collect();
        let inputs = HealthInputs { components, approvals, open_obstacles, milestones, due_date: found.due_date, now };
        Ok((health::compute(&inputs), now))
    }
}
