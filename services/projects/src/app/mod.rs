//! The projects service's use cases.

use sqlx::PgPool;
use uuid::Uuid;

use baton_messaging::{Begun, Outbox};
use baton_platform::Actor;
use baton_platform::grpc::TracedChannel as Channel;
use baton_platform::idempotency::Origin;
use baton_platform::known::{Standing, Standings, standing_of};
use baton_platform::names::{MemberName, PersonName, ProjectName};
use baton_platform::paging::split_page;
use baton_platform::policy::{Access, View};
use baton_platform::time;
use baton_proto::people::v1::GetPersonRequest;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1 as pb;

use crate::domain::{Member, NewMember, NewProject, Page, Project, ProjectCondition, TeamRefusal};
use crate::error::ProjectsError;
use crate::{repo, wire};

mod briefs;
mod clients;
mod health;
mod lifecycle;
mod milestones;
mod obstacles;

/// How often a write without an etag is decided again after a concurrent one got there first.
const ATTEMPTS: usize = 5;

#[derive(Debug, Clone)]
pub struct Projects {
    pool: PgPool,
    outbox: Outbox,
    people: PeopleServiceClient<Channel>,
    /// Whether people can take new work, as the people service said.
    standings: Standings,
}

impl Projects {
    pub fn new(outbox: Outbox, pool: PgPool, people: PeopleServiceClient<Channel>) -> Self {
        Self { pool, outbox, people, standings: Standings::default() }
    }

    /// Creates a project and records `ProjectCreated`, once per `request_id`.
    pub async fn create(&self, actor: Actor, new: NewProject, origin: Origin) -> Result<Project, ProjectsError> {
        // Clients are never deleted, so one that exists now still does when the row goes in
        // (and the foreign key would refuse one that did not).
        if !repo::clients::exists(&self.pool, new.client).await? {
            return self
                .outbox
                .mutation("CreateProject", &origin)
                .refuse(ProjectsError::ProjectClientNotFound(new.client))
                .await;
        }
        let project = Project::create(new, ProjectName::new(Uuid::now_v7()), time::now());
        let mut mutation = self.outbox.mutation("CreateProject", &origin);
        mutation.emit(
            &project.name.to_string(),
            &pb::ProjectCreated { project: Some(wire::project(&project)), actor: actor.resource_name() },
        );
        let project = mutation.finish(repo::insert_project(&project), project).await?.changed()?;
        tracing::info!(project = %project.name, "project created");
        Ok(project)
    }

    pub async fn get(&self, access: &Access, name: ProjectName) -> Result<Project, ProjectsError> {
        let not_found = || ProjectsError::ProjectNotFound(name);
        let (project, membership) = match access.whose_place() {
            // A team member's read: the project and their place on it in one round trip.
            Some(person) => match repo::get_project_as(&self.pool, name, person).await? {
                Some((project, membership)) => (Some(project), membership),
                None => (None, None),
            },
            None => (repo::get_project(&self.pool, name).await?, None),
        };
        access.on_project(membership).map_err(|refusal| refusal.into_error(not_found))?;
        project.ok_or_else(not_found)
    }

    /// A page of the projects the caller may see: every project for those whose roles pass
    /// anywhere, else the projects they are on.
    pub async fn list(
        &self,
        access: &Access,
        conditions: &[ProjectCondition],
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Page<Project>, ProjectsError> {
        let rows = match access.person() {
            _ if access.passes_anywhere() => repo::list_projects(&self.pool, None, conditions, after, limit).await?,
            Some(person) => repo::list_projects(&self.pool, Some(person), conditions, after, limit).await?,
            None => Vec::new(),
        };
        let (items, next_page_token) = split_page(rows, limit, |p| p.name.id);
        Ok(Page { items, next_page_token })
    }

    /// What the caller may see of `project` under the call's rule: a project they may not know
    /// of is not found, exactly as one that does not exist.
    async fn authorize(&self, access: &Access, project: ProjectName) -> Result<View, ProjectsError> {
        let membership = match access.whose_place() {
            Some(person) => {
                repo::get_member(&self.pool, MemberName::new(project, person)).await?.map(|member| member.role)
            }
            None => None,
        };
        access.on_project(membership).map_err(|refusal| refusal.into_error(|| ProjectsError::ProjectNotFound(project)))
    }

    /// Adds a person to a project's team and records `ProjectMemberAdded`.
    ///
    /// Team changes of one project are serialized by the project's row (a team of thousands is
    /// often filled by many calls at once): each waits its turn rather than retrying.
    pub async fn add_member(
        &self,
        access: &Access,
        actor: Actor,
        new: NewMember,
        origin: Origin,
    ) -> Result<Member, ProjectsError> {
        self.authorize(access, new.project).await?;
        // The person must exist; ask the people service before holding any lock.
        self.ensure_person(new.person).await?;
        let name = MemberName::new(new.project, new.person);
        let mut tx = match self.outbox.mutation("AddProjectMember", &origin).begin().await? {
            Begun::New(tx) => tx,
            Begun::Replay(member) => return Ok(member),
        };
        let now = time::now();
        let project = repo::bump_revision(tx.conn(), new.project, now)
            .await?
            .ok_or(ProjectsError::ProjectNotFound(new.project))?;
        project.admit().map_err(|TeamRefusal::Closed(state)| ProjectsError::Closed { project: new.project, state })?;
        let member = Member { name, role: new.role, create_time: now };
        if !repo::insert_member(tx.conn(), &member).await? {
            return Err(ProjectsError::AlreadyMember { project: new.project, person: new.person });
        }
        tx.emit(
            &name.to_string(),
            &pb::ProjectMemberAdded {
                project: Some(wire::project(&project)),
                member: Some(wire::member(&member)),
                actor: actor.resource_name(),
                project_revision: project.revision,
            },
        );
        let member = tx.finish(member).await?;
        tracing::info!(member = %member.name, "project member added");
        Ok(member)
    }

    /// Removes a person from a project's team and records `ProjectMemberRemoved`.
    pub async fn remove_member(
        &self,
        access: &Access,
        actor: Actor,
        name: MemberName,
        origin: Origin,
    ) -> Result<Member, ProjectsError> {
        self.authorize(access, name.project()).await?;
        let mut tx = match self.outbox.mutation("RemoveProjectMember", &origin).begin().await? {
            Begun::New(tx) => tx,
            Begun::Replay(member) => return Ok(member),
        };
        let project = repo::bump_revision(tx.conn(), name.project(), time::now())
            .await?
            .ok_or(ProjectsError::ProjectNotFound(name.project()))?;
        let member = repo::delete_member(tx.conn(), name).await?.ok_or(ProjectsError::MemberNotFound(name))?;
        tx.emit(
            &name.to_string(),
            &pb::ProjectMemberRemoved {
                project: Some(wire::project(&project)),
                member: Some(wire::member(&member)),
                actor: actor.resource_name(),
                project_revision: project.revision,
            },
        );
        let member = tx.finish(member).await?;
        tracing::info!(member = %member.name, "project member removed");
        Ok(member)
    }

    pub async fn list_members(
        &self,
        access: &Access,
        project: ProjectName,
        after_seq: Option<i64>,
        limit: i64,
    ) -> Result<Page<Member>, ProjectsError> {
        self.authorize(access, project).await?;
        if repo::get_project(&self.pool, project).await?.is_none() {
            return Err(ProjectsError::ProjectNotFound(project));
        }
        let rows = repo::list_members(&self.pool, project, after_seq, limit).await?;
        let (rows, next_page_token) = split_page(rows, limit, |(seq, _)| *seq);
        Ok(Page { items: rows.into_iter().map(|(_, member)| member).collect(), next_page_token })
    }

    /// One membership: whether a person is on a team, and in which role.
    pub async fn get_member(&self, access: &Access, name: MemberName) -> Result<Member, ProjectsError> {
        self.authorize(access, name.project()).await?;
        repo::get_member(&self.pool, name).await?.ok_or(ProjectsError::MemberNotFound(name))
    }

    /// That the person exists and can take new work (not deactivated).
    async fn ensure_person(&self, person: PersonName) -> Result<(), ProjectsError> {
        let standing = self
            .standings
            .of(person.id, async {
                let answer = self.people.clone().get_person(GetPersonRequest { name: person.to_string() }).await;
                standing_of(answer.map(|r| r.into_inner().person.map_or(0, |p| p.state))).map_err(ProjectsError::People)
            })
            .await?;
        match standing {
            Standing::Active => Ok(()),
            Standing::Deactivated => Err(ProjectsError::PersonDeactivated(person)),
            Standing::Missing => Err(ProjectsError::PersonNotFound(person)),
        }
    }
    /// A page of this service's audit trail (see `baton_platform::audit`).
    pub async fn audit(
        &self,
        query: &baton_platform::audit::AuditQuery,
    ) -> Result<(Vec<baton_proto::audit::v1::AuditRecord>, String), ProjectsError> {
        Ok(baton_platform::audit::list(&self.pool, "projects.audit", query).await?)
    }
}
