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
        let found = repo::get_project(&self.pool, project).await?.ok_or(ProjectsError::ProjectNotFound(project))?;
        let (components, approvals, open_obstacles, milestones, done) = tokio::try_join!(
            repo::health::components(&self.pool, project),
            repo::health::approvals(&self.pool, project),
            repo::health::open_obstacles(&self.pool, project),
            repo::milestones::list(&self.pool, project, None, 0),
            repo::milestones::done_times(&self.pool, project),
        )?;
        let now = time::now();
        let milestones = milestones.into_iter().map(|m| m.view(&done, now)).collect();
        let inputs = HealthInputs { components, approvals, open_obstacles, milestones, due_date: found.due_date, now };
        Ok((health::compute(&inputs), now))
    }
}
