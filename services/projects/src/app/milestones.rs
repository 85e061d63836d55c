//! The milestone use cases.

use uuid::Uuid;

use baton_messaging::Written;
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::{MilestoneName, ProjectName};
use baton_platform::policy::Access;
use baton_platform::time;
use baton_proto::projects::v1 as pb;

use super::{ATTEMPTS, Projects};
use crate::domain::Page;
use crate::domain::milestone::{Milestone, MilestoneFields, MilestoneUpdate, MilestoneView};
use crate::error::ProjectsError;
use crate::{repo, wire};

impl Projects {
    /// Creates a milestone and records `MilestoneChanged` (without a `before`).
    pub async fn create_milestone(
        &self,
        access: &Access,
        actor: Actor,
        project: ProjectName,
        fields: MilestoneFields,
        origin: Origin,
    ) -> Result<MilestoneView, ProjectsError> {
        self.authorize(access, project).await?;
        if repo::get_project(&self.pool, project).await?.is_none() {
            let mutation = self.outbox.mutation("CreateMilestone", &origin);
            let stored: Milestone = mutation.refuse(ProjectsError::ProjectNotFound(project)).await?;
            return self.view_of(stored).await;
        }
        let milestone = Milestone::create(MilestoneName::new(project, Uuid::now_v7()), fields, time::now());
        let done = repo::milestones::done_times(&self.pool, project).await?;
        let view = milestone.view(&done, time::now());
        let mut mutation = self.outbox.mutation("CreateMilestone", &origin);
        mutation.emit(
            &milestone.name.to_string(),
            &pb::MilestoneChanged {
                before: None,
                after: Some(wire::milestones::milestone(&view)),
                changed_fields: vec!["title".into(), "due_date".into(), "components".into()],
                actor: actor.resource_name(),
            },
        );
        let milestone = mutation.finish(repo::milestones::insert(&milestone), milestone).await?.changed()?;
        tracing::info!(milestone = %milestone.name, "milestone created");
        Ok(milestone.view(&done, time::now()))
    }

    pub async fn get_milestone(&self, access: &Access, name: MilestoneName) -> Result<MilestoneView, ProjectsError> {
        self.authorize(access, name.project()).await?;
        let milestone = repo::milestones::get(&self.pool, name).await?.ok_or(ProjectsError::MilestoneNotFound(name))?;
        self.view_of(milestone).await
    }

    pub async fn list_milestones(
        &self,
        access: &Access,
        project: ProjectName,
        after: Option<(::time::Date, Uuid)>,
        limit: i64,
    ) -> Result<Page<MilestoneView>, ProjectsError> {
        self.authorize(access, project).await?;
        if repo::get_project(&self.pool, project).await?.is_none() {
            return Err(ProjectsError::ProjectNotFound(project));
        }
        let (mut rows, done) = tokio::try_join!(
            repo::milestones::list(&self.pool, project, after, limit),
            repo::milestones::done_times(&self.pool, project)
        )?;
        let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let now = time::now();
        let items: Vec<MilestoneView> = rows.into_iter().map(|m| m.view(&done, now)).collect();
        let next_page_token = match items.last() {
            Some(last) if more => wire::milestones::page_token(last),
            _ => String::new(),
        };
        Ok(Page { items, next_page_token })
    }

    /// Changes the named fields and records `MilestoneChanged` with it before and after.
    pub async fn update_milestone(
        &self,
        access: &Access,
        actor: Actor,
        update: MilestoneUpdate,
        origin: Origin,
    ) -> Result<MilestoneView, ProjectsError> {
        let name = update.name;
        self.authorize(access, name.project()).await?;
        for _ in 0..ATTEMPTS {
            let mut mutation = self.outbox.mutation("UpdateMilestone", &origin);
            let Some(current) = repo::milestones::get(&self.pool, name).await? else {
                let stored: Milestone = mutation.refuse(ProjectsError::MilestoneNotFound(name)).await?;
                return self.view_of(stored).await;
            };
            let (next, changed) = match current.updated(&update, time::now()) {
                Ok(next) => next,
                Err(current) => {
                    let stored: Milestone =
                        mutation.refuse(ProjectsError::StaleMilestone { milestone: name, current }).await?;
                    return self.view_of(stored).await;
                }
            };
            let done = repo::milestones::done_times(&self.pool, name.project()).await?;
            let now = time::now();
            let (before, after) = (current.view(&done, now), next.view(&done, now));
            mutation.emit(
                &name.to_string(),
                &pb::MilestoneChanged {
                    before: Some(wire::milestones::milestone(&before)),
                    after: Some(wire::milestones::milestone(&after)),
                    changed_fields: changed.iter().map(|f| f.to_string()).collect(),
                    actor: actor.resource_name(),
                },
            );
            match mutation.finish(repo::milestones::update(&next, current.revision), next).await? {
                Written::Done(_) => return Ok(after),
                Written::Replay(milestone) => return Ok(milestone.view(&done, now)),
                Written::Missed if update.etag.is_some() => {
                    let current = repo::milestones::get(&self.pool, name).await?.map(|m| m.etag()).unwrap_or_default();
                    return Err(ProjectsError::StaleMilestone { milestone: name, current });
                }
                Written::Missed => continue,
            }
        }
        Err(ProjectsError::ProjectContended(name.project()))
    }

    /// The milestone with its state as of now.
    async fn view_of(&self, milestone: Milestone) -> Result<MilestoneView, ProjectsError> {
        let done = repo::milestones::done_times(&self.pool, milestone.name.project()).await?;
        Ok(milestone.view(&done, time::now()))
    }
}
