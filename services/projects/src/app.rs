//! The projects service's use cases.

use baton_platform::grpc::TracedChannel as Channel;
use sqlx::PgPool;
use uuid::Uuid;

use baton_platform::Actor;
use baton_platform::idempotency::{self, Claim};
use baton_platform::known::KnownIds;
use baton_platform::paging::split_page;
use baton_proto::people::v1::GetPersonRequest;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1 as pb;

use crate::domain::{Member, NewMember, NewProject, Page, Project, ProjectState};
use crate::error::ProjectsError;
use crate::{IDEMPOTENCY_TABLE, OUTBOX, repo};

#[derive(Debug, Clone)]
pub struct Projects {
    pool: PgPool,
    people: PeopleServiceClient<Channel>,
    /// People known to exist (people are never deleted).
    known: KnownIds,
}

impl Projects {
    pub fn new(pool: PgPool, people: PeopleServiceClient<Channel>) -> Self {
        Self { pool, people, known: KnownIds::default() }
    }

    /// Creates a project and records `ProjectCreated`, once per `request_id`.
    pub async fn create(
        &self,
        actor: Actor,
        new: NewProject,
        request_id: Option<Uuid>,
    ) -> Result<Project, ProjectsError> {
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(project) =
            idempotency::claim(&mut tx, IDEMPOTENCY_TABLE, request_id, "CreateProject").await?
        {
            return Ok(project);
        }
        let project = repo::insert_project(&mut tx, &new).await?;
        let event = pb::ProjectCreated { project: Some((&project).into()), actor: actor.resource_name() };
        OUTBOX.enqueue(&mut tx, &project.name(), &event).await?;
        idempotency::record(&mut tx, IDEMPOTENCY_TABLE, request_id, &project).await?;
        OUTBOX.commit(tx).await?;
        tracing::info!(project = %project.name(), "project created");
        Ok(project)
    }

    pub async fn get(&self, id: Uuid) -> Result<Project, ProjectsError> {
        let mut conn = self.pool.acquire().await?;
        repo::get_project(&mut conn, id).await?.ok_or_else(|| ProjectsError::ProjectNotFound(format!("projects/{id}")))
    }

    pub async fn list(&self, after: Option<Uuid>, limit: i64) -> Result<Page<Project>, ProjectsError> {
        let mut conn = self.pool.acquire().await?;
        let rows = repo::list_projects(&mut conn, after, limit).await?;
        let (items, next_page_token) = split_page(rows, limit, |p| p.id);
        Ok(Page { items, next_page_token })
    }

    /// Adds a person to a project's team and records `ProjectMemberAdded`.
    pub async fn add_member(
        &self,
        actor: Actor,
        new: NewMember,
        request_id: Option<Uuid>,
    ) -> Result<Member, ProjectsError> {
        // The person must exist; ask the people service before holding any lock.
        self.ensure_person(new.person_id).await?;
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(member) =
            idempotency::claim(&mut tx, IDEMPOTENCY_TABLE, request_id, "AddProjectMember").await?
        {
            return Ok(member);
        }
        let project = repo::bump_revision(&mut tx, new.project_id)
            .await?
            .ok_or_else(|| ProjectsError::ProjectNotFound(format!("projects/{}", new.project_id)))?;
        if project.state() == ProjectState::Archived {
            return Err(ProjectsError::Archived(project.name()));
        }
        let member = repo::insert_member(&mut tx, &new).await?.ok_or_else(|| ProjectsError::AlreadyMember {
            project: project.name(),
            person: format!("people/{}", new.person_id),
        })?;
        let event = pb::ProjectMemberAdded {
            project: Some((&project).into()),
            member: Some((&member).into()),
            actor: actor.resource_name(),
            project_revision: project.revision,
        };
        OUTBOX.enqueue(&mut tx, &member.name(), &event).await?;
        idempotency::record(&mut tx, IDEMPOTENCY_TABLE, request_id, &member).await?;
        OUTBOX.commit(tx).await?;
        tracing::info!(member = %member.name(), "project member added");
        Ok(member)
    }

    /// Removes a person from a project's team and records `ProjectMemberRemoved`.
    pub async fn remove_member(
        &self,
        actor: Actor,
        project_id: Uuid,
        person_id: Uuid,
        request_id: Option<Uuid>,
    ) -> Result<Member, ProjectsError> {
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(member) =
            idempotency::claim(&mut tx, IDEMPOTENCY_TABLE, request_id, "RemoveProjectMember").await?
        {
            return Ok(member);
        }
        let project = repo::bump_revision(&mut tx, project_id)
            .await?
            .ok_or_else(|| ProjectsError::ProjectNotFound(format!("projects/{project_id}")))?;
        let member = repo::delete_member(&mut tx, project_id, person_id)
            .await?
            .ok_or_else(|| ProjectsError::MemberNotFound(format!("projects/{project_id}/members/{person_id}")))?;
        let event = pb::ProjectMemberRemoved {
            project: Some((&project).into()),
            member: Some((&member).into()),
            actor: actor.resource_name(),
            project_revision: project.revision,
        };
        OUTBOX.enqueue(&mut tx, &member.name(), &event).await?;
        idempotency::record(&mut tx, IDEMPOTENCY_TABLE, request_id, &member).await?;
        OUTBOX.commit(tx).await?;
        tracing::info!(member = %member.name(), "project member removed");
        Ok(member)
    }

    pub async fn list_members(
        &self,
        project_id: Uuid,
        after_seq: Option<i64>,
        limit: i64,
    ) -> Result<Page<Member>, ProjectsError> {
        let mut conn = self.pool.acquire().await?;
        if repo::get_project(&mut conn, project_id).await?.is_none() {
            return Err(ProjectsError::ProjectNotFound(format!("projects/{project_id}")));
        }
        let rows = repo::list_members(&mut conn, project_id, after_seq, limit).await?;
        let (items, next_page_token) = split_page(rows, limit, |m| m.seq);
        Ok(Page { items, next_page_token })
    }

    async fn ensure_person(&self, person_id: Uuid) -> Result<(), ProjectsError> {
        self.known
            .ensure(person_id, async {
                let name = format!("people/{person_id}");
                match self.people.clone().get_person(GetPersonRequest { name: name.clone() }).await {
                    Ok(_) => Ok(()),
                    Err(status) if status.code() == tonic::Code::NotFound => Err(ProjectsError::PersonNotFound(name)),
                    Err(status) => Err(ProjectsError::People(status)),
                }
            })
            .await
    }
}
