//! The brief use cases.

use baton_messaging::Written;
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::ProjectName;
use baton_platform::paging::split_page;
use baton_platform::policy::Access;
use baton_platform::time;
use baton_proto::projects::v1 as pb;

use super::{ATTEMPTS, Projects};
use crate::domain::Page;
use crate::domain::brief::{Brief, BriefUpdate};
use crate::error::ProjectsError;
use crate::{repo, wire};

impl Projects {
    /// A project's brief: as last written, or empty at revision 0.
    pub async fn get_brief(&self, access: &Access, project: ProjectName) -> Result<Brief, ProjectsError> {
        self.authorize(access, project).await?;
        self.brief_of(project).await
    }

    async fn brief_of(&self, project: ProjectName) -> Result<Brief, ProjectsError> {
        match repo::briefs::get(&self.pool, project).await? {
            Some(brief) => Ok(brief),
            None if repo::get_project(&self.pool, project).await?.is_some() => Ok(Brief::empty(project)),
            None => Err(ProjectsError::ProjectNotFound(project)),
        }
    }

    /// Changes the named fields of a brief, keeps the result as a revision, and records
    /// `BriefUpdated` with the brief before and after. Without an etag, a concurrent update is
    /// merged by deciding again on the stored brief.
    pub async fn update_brief(
        &self,
        access: &Access,
        actor: Actor,
        update: BriefUpdate,
        origin: Origin,
    ) -> Result<Brief, ProjectsError> {
        let project = update.project;
        self.authorize(access, project).await?;
        for _ in 0..ATTEMPTS {
            let mut mutation = self.outbox.mutation("UpdateBrief", &origin);
            let current = match self.brief_of(project).await {
                Ok(current) => current,
                Err(error) => return mutation.refuse(error).await,
            };
            let (next, changed) = match current.updated(&update, actor.resource_name(), time::now()) {
                Ok(next) => next,
                Err(current) => return mutation.refuse(ProjectsError::StaleBrief { project, current }).await,
            };
            let changed: Vec<String> = changed.iter().map(|f| f.path().to_string()).collect();
            mutation.emit(
                &format!("{project}/brief"),
                &pb::BriefUpdated {
                    before: Some(wire::briefs::brief(&current)),
                    after: Some(wire::briefs::brief(&next)),
                    changed_fields: changed.clone(),
                    actor: actor.resource_name(),
                },
            );
            match mutation.finish(repo::briefs::update(&next, current.revision, changed), next).await? {
                Written::Done(brief) => {
                    tracing::info!(%project, revision = brief.revision, "brief updated");
                    return Ok(brief);
                }
                Written::Replay(brief) => return Ok(brief),
                Written::Missed if update.etag.is_some() => {
                    let current = self.brief_of(project).await?.etag();
                    return Err(ProjectsError::StaleBrief { project, current });
                }
                Written::Missed => continue,
            }
        }
        Err(ProjectsError::ProjectContended(project))
    }

    /// A page of a brief's revisions, newest first, each with the fields it changed.
    pub async fn brief_revisions(
        &self,
        access: &Access,
        project: ProjectName,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Page<(Brief, Vec<String>)>, ProjectsError> {
        self.authorize(access, project).await?;
        if repo::get_project(&self.pool, project).await?.is_none() {
            return Err(ProjectsError::ProjectNotFound(project));
        }
        let rows = repo::briefs::revisions(&self.pool, project, before, limit).await?;
        let (items, next_page_token) = split_page(rows, limit, |(brief, _)| brief.revision);
        Ok(Page { items, next_page_token })
    }
}
