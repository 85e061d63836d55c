//! The assets service's use cases.

mod comments;
mod quality;
mod versions;

pub use quality::{ChecklistUpdate, Measured, Measuring};
pub use versions::{Decision, Submitted};

/// A change of a project's component settings, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsUpdate {
    pub project: ProjectName,
    /// The fields the update names, with their new values.
    pub changes: Vec<(SettingsField, i32)>,
    pub etag: Option<String>,
}

use std::time::{Duration, Instant};

use sqlx::PgPool;
use uuid::Uuid;

use std::collections::HashMap;

use baton_messaging::{Begun, Outbox, Written};
use baton_platform::Actor;
use baton_platform::grpc::TracedChannel as Channel;
use baton_platform::idempotency::Origin;
use baton_platform::known::{Bounded, Standing, Standings, standing_of};
use baton_platform::names::{AssetName, MemberName, PersonName, ProjectName};
use baton_platform::paging::split_page;
use baton_platform::policy::{Access, ProjectRole, View};
use baton_platform::time;
use baton_proto::assets::v1 as pb;
use baton_proto::people::v1::GetPersonRequest;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;
use baton_proto::projects::v1::{GetProjectMemberRequest, GetProjectRequest, ProjectMemberRole, ProjectState};

use crate::domain::{
    Asset, AssetField, AssetPage, AssetStatus, AssetUpdate, ComponentSettings, NewAsset, Refusal, SettingsField,
    TransitionRequest, cycle_through,
};
use crate::error::AssetsError;
use crate::{repo, wire};

/// How many times a step is decided again when concurrent writes keep moving the asset.
const ATTEMPTS: usize = 5;

/// How many assets a process remembers as it wrote them.
const RECENT: usize = 10_000;

/// How long a team membership the projects service told of is trusted: a person taken off a
/// team loses access here within this time.
const MEMBERSHIP_TTL: Duration = Duration::from_millis(500);

/// How many memberships (and project states) a process remembers.
const MEMBERSHIPS: usize = 10_000;

/// How long an open project's state is trusted: a project archived or cancelled elsewhere refuses
/// new components here within this time.
const PROJECT_STATE_TTL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct Assets {
    pool: PgPool,
    outbox: Outbox,
    projects: ProjectsServiceClient<Channel>,
    people: PeopleServiceClient<Channel>,
    /// Whether people can take new work, as the people service said.
    standings: Standings,
    /// The assets this process wrote last: where the next step of each starts from, so that a
    /// step is one statement. Only a starting point: the step's compare-and-set on the revision
    /// refuses a stale one (another replica moved the asset), and the stored asset is read then.
    recent: Bounded<AssetName, Asset>,
    /// Team memberships as the projects service told them, each with when it was asked.
    memberships: Bounded<MemberName, (Option<ProjectRole>, Instant)>,
    /// Projects' lifecycle states as the projects service told them, each with when it was asked.
    project_states: Bounded<ProjectName, (ProjectState, Instant)>,
}

/// Whether a project in `state` takes no new components.
fn is_closed(state: ProjectState) -> bool {
    matches!(state, ProjectState::Archived | ProjectState::Cancelled)
}

impl Assets {
    pub fn new(
        outbox: Outbox,
        pool: PgPool,
        projects: ProjectsServiceClient<Channel>,
        people: PeopleServiceClient<Channel>,
    ) -> Self {
        Self {
            pool,
            outbox,
            projects,
            people,
            standings: Standings::default(),
            recent: Bounded::with_capacity(RECENT),
            memberships: Bounded::with_capacity(MEMBERSHIPS),
            project_states: Bounded::with_capacity(MEMBERSHIPS),
        }
    }

    /// Creates an asset in an existing project and records `AssetCreated`, once per `request_id`.
    pub async fn create(
        &self,
        access: &Access,
        actor: Actor,
        new: NewAsset,
        origin: Origin,
    ) -> Result<Asset, AssetsError> {
        let project = new.project;
        self.authorize(access, project).await.map_err(|r| r.into_error(|| AssetsError::ProjectNotFound(project)))?;
        self.ensure_open_project(new.project).await?;
        for (index, person) in new.assignees.iter().enumerate() {
            self.ensure_person(*person, format!("asset.assignees[{index}]")).await?;
        }
        for (index, person) in new.watchers.iter().enumerate() {
            self.ensure_person(*person, format!("asset.watchers[{index}]")).await?;
        }
        // A new asset waits for existing ones: nothing waits for it yet, so no cycle.
        self.ensure_blockers(new.project, &new.blocked_by).await?;
        let asset = Asset::create(new, Uuid::now_v7(), time::now());
        let mut mutation = self.outbox.mutation("CreateAsset", &origin);
        mutation.emit(
            &asset.name.to_string(),
            &pb::AssetCreated { asset: Some(wire::asset(&asset)), actor: actor.resource_name() },
        );
        let asset = mutation.finish(repo::insert(&asset), asset).await?.changed()?;
        self.recent.remember(asset.name, asset.clone());
        tracing::info!(asset = %asset.name, "asset created");
        Ok(asset)
    }

    pub async fn get(&self, access: &Access, name: AssetName) -> Result<Asset, AssetsError> {
        let hidden = || AssetsError::AssetNotFound(name);
        let view = self.authorize(access, name.project()).await.map_err(|r| r.into_error(hidden))?;
        let asset = repo::get(&self.pool, name).await?.ok_or_else(hidden)?;
        if view == View::Client && !asset.shown_to_client() {
            return Err(hidden());
        }
        Ok(asset)
    }

    /// A page of a project's assets that match the query's conditions, of those the caller may
    /// see.
    pub async fn list(&self, access: &Access, query: crate::wire::ListQuery) -> Result<AssetPage, AssetsError> {
        let project = query.project;
        let view = self
            .authorize(access, project)
            .await
            .map_err(|r| r.into_error(|| AssetsError::ProjectNotFound(project)))?;
        let rows = repo::list(&self.pool, &query, view == View::Client).await?;
        let (assets, next_page_token) = split_page(rows, query.limit, |a| a.name.id);
        Ok(AssetPage { assets, next_page_token })
    }

    /// What the caller may see of `project` under the call's rule, from its place on the team.
    async fn authorize(&self, access: &Access, project: ProjectName) -> Result<View, Authorization> {
        let membership = match access.whose_place() {
            Some(person) => self.membership(MemberName::new(project, person)).await.map_err(Authorization::Failed)?,
            None => None,
        };
        access.on_project(membership).map_err(Authorization::Refused)
    }

    /// A person's role on a team, as the projects service said at most `MEMBERSHIP_TTL` ago.
    async fn membership(&self, name: MemberName) -> Result<Option<ProjectRole>, AssetsError> {
        if let Some((role, asked)) = self.memberships.get(&name)
            && asked.elapsed() < MEMBERSHIP_TTL
        {
            return Ok(role);
        }
        let asked = Instant::now();
        let request = GetProjectMemberRequest { name: name.to_string() };
        let role = match self.projects.clone().get_project_member(request).await {
            Ok(response) => response
                .into_inner()
                .member
                .and_then(|member| ProjectMemberRole::try_from(member.role).ok())
                .and_then(|role| ProjectRole::from_name(role.as_str_name())),
            Err(status) if status.code() == tonic::Code::NotFound => None,
            Err(status) => return Err(AssetsError::Upstream { service: "projects", status }),
        };
        self.memberships.remember(name, (role, asked));
        Ok(role)
    }

    /// Moves an asset one step through its workflow and records `AssetStatusChanged` with the
    /// status before and after and who acted.
    pub async fn transition(
        &self,
        access: &Access,
        actor: Actor,
        step: TransitionRequest,
        origin: Origin,
    ) -> Result<Asset, AssetsError> {
        let hidden = || AssetsError::AssetNotFound(step.asset);
        let view = self.authorize(access, step.asset.project()).await.map_err(|r| r.into_error(hidden))?;
        // The asset this process wrote last, else (and after a miss or a refusal) the stored one.
        let mut remembered = self.recent.get(&step.asset);
        for _ in 0..ATTEMPTS {
            let mut mutation = self.outbox.mutation(step.transition.method(), &origin);
            let (current, stored) = match remembered.take() {
                Some(asset) => (asset, false),
                None => match repo::get(&self.pool, step.asset).await? {
                    Some(asset) => (asset, true),
                    None => return mutation.refuse(AssetsError::AssetNotFound(step.asset)).await,
                },
            };
            // A client does not learn of work in progress, not even by acting on it.
            if view == View::Client && !current.shown_to_client() {
                return mutation.refuse(hidden()).await;
            }
            let next = match current.take(&step, time::now()) {
                Ok(next) => next,
                // What this process remembers may be behind: decide again on the stored asset.
                Err(_) if !stored => continue,
                Err(refusal) => return mutation.refuse(refused(step.asset, &step, refusal)).await,
            };
            // Work starts once every blocker is done. A done asset stays done, so what is read
            // here holds; a blocker added meanwhile moved the revision, and the write misses.
            if next.status == AssetStatus::InProgress && !current.blocked_by.is_empty() {
                let waiting = self.unfinished_blockers(&current).await?;
                if !waiting.is_empty() {
                    return mutation.refuse(AssetsError::Blocked { asset: step.asset, blockers: waiting }).await;
                }
            }
            mutation.emit(&next.name.to_string(), &status_changed(&current, &next, &actor, step.comment.clone()));
            if next.status == AssetStatus::ChangesRequested {
                let settings = self.settings_of(&self.pool, next.name.project()).await?;
                if settings.reached_by(&next) {
                    mutation.emit(&next.name.to_string(), &retake_cap_reached(&next, &settings, &actor));
                }
            }
            match mutation.finish(repo::move_status(&next), next).await? {
                Written::Done(asset) => {
                    self.recent.remember(asset.name, asset.clone());
                    tracing::info!(asset = %asset.name, from = %current.status, to = %asset.status, "asset status changed");
                    return Ok(asset);
                }
                Written::Replay(asset) => return Ok(asset),
                // Another write moved the asset since it was read: decide again on what is stored.
                Written::Missed => self.recent.forget(&step.asset),
            }
        }
        Err(AssetsError::Contended { asset: step.asset })
    }

    /// Changes the fields `update` names and records `AssetUpdated` with the asset before and
    /// after, and who was added to and taken off its assignees. A change of what the asset waits
    /// for is checked for cycles under the project's lock, so that two updates at once cannot
    /// close one between them.
    pub async fn update(
        &self,
        access: &Access,
        actor: Actor,
        update: AssetUpdate,
        origin: Origin,
    ) -> Result<Asset, AssetsError> {
        let name = update.name;
        let hidden = || AssetsError::AssetNotFound(name);
        self.authorize(access, name.project()).await.map_err(|r| r.into_error(hidden))?;
        // The people and blockers named are checked before the asset is locked: the checks ask
        // the people service or read on another connection, and a lock should not wait on them.
        // They are checked against the asset as it is now; a person a concurrent write added
        // meanwhile is checked under the lock.
        let before = repo::get(&self.pool, name).await?.ok_or_else(hidden)?;
        let planned = before
            .updated(&update, time::now())
            .map_err(|current| AssetsError::EtagMismatch { asset: name, current })?;
        self.ensure_added_people(&before, &planned).await?;
        if planned.blocked_by != before.blocked_by {
            self.ensure_blockers(name.project(), &planned.blocked_by).await?;
        }
        let mut tx = match self.outbox.mutation("UpdateAsset", &origin).begin::<Asset>().await? {
            Begun::Replay(asset) => return Ok(asset),
            Begun::New(tx) => tx,
        };
        if update.fields.contains(&AssetField::BlockedBy) {
            repo::lock_project(tx.conn(), name.project()).await?;
        }
        let current = repo::lock(tx.conn(), name).await?.ok_or_else(hidden)?;
        let next = current
            .updated(&update, time::now())
            .map_err(|current| AssetsError::EtagMismatch { asset: name, current })?;
        if current.revision != before.revision {
            self.ensure_added_people(&current, &next).await?;
        }
        if next.blocked_by != current.blocked_by {
            let mut edges: HashMap<AssetName, Vec<AssetName>> = HashMap::new();
            for (id, blockers) in repo::blockers_of_project(&mut *tx.conn(), name.project()).await? {
                let waiting = AssetName::new(name.project(), id);
                edges.insert(waiting, blockers.into_iter().map(|b| AssetName::new(name.project(), b)).collect());
            }
            edges.insert(name, next.blocked_by.clone());
            if let Some(path) = cycle_through(name, &next.blocked_by, &edges) {
                return Err(AssetsError::Cycle(path));
            }
        }
        repo::write(tx.conn(), &next).await?;
        tx.emit(
            &name.to_string(),
            &pb::AssetUpdated {
                before: Some(wire::asset(&current)),
                after: Some(wire::asset(&next)),
                changed_fields: update.fields.iter().map(|f| f.path().to_string()).collect(),
                added_assignees: next.assignees_missing_from(&current).iter().map(ToString::to_string).collect(),
                removed_assignees: current.assignees_missing_from(&next).iter().map(ToString::to_string).collect(),
                actor: actor.resource_name(),
            },
        );
        let asset = tx.finish(next).await?;
        self.recent.remember(asset.name, asset.clone());
        tracing::info!(asset = %asset.name, "asset updated");
        Ok(asset)
    }

    /// Every person `after` adds to `before`'s assignees and watchers exists and can take work.
    async fn ensure_added_people(&self, before: &Asset, after: &Asset) -> Result<(), AssetsError> {
        for (field, now, was) in
            [("assignees", &after.assignees, &before.assignees), ("watchers", &after.watchers, &before.watchers)]
        {
            for (index, person) in now.iter().enumerate().filter(|(_, p)| !was.contains(p)) {
                self.ensure_person(*person, format!("asset.{field}[{index}]")).await?;
            }
        }
        Ok(())
    }

    /// Puts the caller among an asset's watchers (`watch`) or takes them off; records
    /// `AssetUpdated` when that changed anything.
    pub async fn watch(
        &self,
        access: &Access,
        actor: Actor,
        name: AssetName,
        watch: bool,
        origin: Origin,
    ) -> Result<Asset, AssetsError> {
        let hidden = || AssetsError::AssetNotFound(name);
        let view = self.authorize(access, name.project()).await.map_err(|r| r.into_error(hidden))?;
        let Some(person) = access.person() else { return Err(AssetsError::NotAPerson) };
        for _ in 0..ATTEMPTS {
            let current = repo::get(&self.pool, name).await?.ok_or_else(hidden)?;
            if view == View::Client && !current.shown_to_client() {
                return Err(hidden());
            }
            let Some(next) = current.watched_by(person, watch, time::now()) else { return Ok(current) };
            let mut mutation = self.outbox.mutation(if watch { "WatchAsset" } else { "UnwatchAsset" }, &origin);
            mutation.emit(
                &name.to_string(),
                &pb::AssetUpdated {
                    before: Some(wire::asset(&current)),
                    after: Some(wire::asset(&next)),
                    changed_fields: vec!["watchers".into()],
                    added_assignees: vec![],
                    removed_assignees: vec![],
                    actor: actor.resource_name(),
                },
            );
            match mutation.finish(repo::set_watchers(&next), next).await? {
                Written::Done(asset) | Written::Replay(asset) => {
                    self.recent.remember(asset.name, asset.clone());
                    return Ok(asset);
                }
                Written::Missed => continue,
            }
        }
        Err(AssetsError::Contended { asset: name })
    }

    /// The display names of the blockers of `asset` that are neither approved nor delivered.
    async fn unfinished_blockers(&self, asset: &Asset) -> Result<Vec<String>, AssetsError> {
        let ids: Vec<Uuid> = asset.blocked_by.iter().map(|b| b.id).collect();
        let statuses = repo::statuses(&self.pool, asset.name.project(), &ids).await?;
        Ok(statuses
            .into_iter()
            .filter(|(_, _, status)| !matches!(status, AssetStatus::Approved | AssetStatus::Delivered))
            .map(|(id, display_name, status)| {
                format!("“{display_name}” ({}, {})", AssetName::new(asset.name.project(), id), status.as_str())
            })
            .collect())
    }

    /// Every blocker named is an asset of the project.
    async fn ensure_blockers(&self, project: ProjectName, blockers: &[AssetName]) -> Result<(), AssetsError> {
        let ids: Vec<Uuid> = blockers.iter().map(|b| b.id).collect();
        let found = repo::statuses(&self.pool, project, &ids).await?;
        match blockers.iter().find(|b| !found.iter().any(|(id, _, _)| *id == b.id)) {
            Some(missing) => Err(AssetsError::BlockerNotFound(*missing)),
            None => Ok(()),
        }
    }

    /// A project's component settings (the defaults until they are first changed).
    async fn settings_of(
        &self,
        db: impl sqlx::PgExecutor<'_>,
        project: ProjectName,
    ) -> Result<ComponentSettings, AssetsError> {
        Ok(repo::settings(db, project).await?.unwrap_or_else(|| ComponentSettings::defaults(project)))
    }

    pub async fn get_settings(&self, access: &Access, project: ProjectName) -> Result<ComponentSettings, AssetsError> {
        let hidden = || AssetsError::ProjectNotFound(project);
        self.authorize(access, project).await.map_err(|r| r.into_error(hidden))?;
        self.settings_of(&self.pool, project).await
    }

    /// Changes a project's component settings and records `ComponentSettingsUpdated`.
    pub async fn update_settings(
        &self,
        access: &Access,
        actor: Actor,
        update: SettingsUpdate,
        origin: Origin,
    ) -> Result<ComponentSettings, AssetsError> {
        let project = update.project;
        let hidden = || AssetsError::ProjectNotFound(project);
        self.authorize(access, project).await.map_err(|r| r.into_error(hidden))?;
        self.ensure_open_project(project).await?;
        for _ in 0..ATTEMPTS {
            let mutation = self.outbox.mutation("UpdateComponentSettings", &origin);
            let current = self.settings_of(&self.pool, project).await?;
            let next = match current.changed(&update.changes, update.etag.as_deref(), time::now()) {
                Ok(next) => next,
                Err(etag) => return mutation.refuse(AssetsError::StaleSettings { project, current: etag }).await,
            };
            let mut mutation = mutation;
            mutation.emit(
                &wire::settings_name(project),
                &pb::ComponentSettingsUpdated {
                    before: Some(wire::settings(&current)),
                    after: Some(wire::settings(&next)),
                    actor: actor.resource_name(),
                },
            );
            match mutation.finish(repo::write_settings(&next), next).await? {
                Written::Done(settings) | Written::Replay(settings) => return Ok(settings),
                Written::Missed if update.etag.is_some() => {
                    let current = self.settings_of(&self.pool, project).await?.etag();
                    return Err(AssetsError::StaleSettings { project, current });
                }
                Written::Missed => continue,
            }
        }
        Err(AssetsError::SettingsContended(project))
    }

    /// That the project exists and takes new components: not archived or cancelled. Both are
    /// final, so a closed project is remembered for good; an open one is asked again after
    /// `PROJECT_STATE_TTL`, so a project closed elsewhere refuses new components here within it.
    async fn ensure_open_project(&self, project: ProjectName) -> Result<(), AssetsError> {
        let closed = |state: ProjectState| AssetsError::ProjectClosed { project, state: state.as_str_name() };
        if let Some((state, asked)) = self.project_states.get(&project) {
            if is_closed(state) {
                return Err(closed(state));
            }
            if asked.elapsed() < PROJECT_STATE_TTL {
                return Ok(());
            }
        }
        let asked = Instant::now();
        let request = GetProjectRequest { name: project.to_string() };
        let state = match self.projects.clone().get_project(request).await {
            Ok(response) => response.into_inner().project.map(|p| p.state).unwrap_or_default(),
            Err(status) if status.code() == tonic::Code::NotFound => return Err(AssetsError::ProjectNotFound(project)),
            Err(status) => return Err(AssetsError::Upstream { service: "projects", status }),
        };
        let state = ProjectState::try_from(state).unwrap_or(ProjectState::Unspecified);
        self.project_states.remember(project, (state, asked));
        if is_closed(state) { Err(closed(state)) } else { Ok(()) }
    }

    /// Whether a person exists and can take work, as the people service said lately.
    async fn standing(&self, person: PersonName) -> Result<Standing, AssetsError> {
        self.standings
            .of(person.id, async {
                let answer = self.people.clone().get_person(GetPersonRequest { name: person.to_string() }).await;
                standing_of(answer.map(|r| r.into_inner().person.map_or(0, |p| p.state)))
                    .map_err(|status| AssetsError::Upstream { service: "people", status })
            })
            .await
    }

    /// That the person exists and can take new work (not deactivated).
    async fn ensure_person(&self, person: PersonName, field: String) -> Result<(), AssetsError> {
        match self.standing(person).await? {
            Standing::Active => Ok(()),
            Standing::Deactivated => Err(AssetsError::PersonDeactivated { field, person }),
            Standing::Missing => Err(AssetsError::PersonNotFound { field, person }),
        }
    }

    /// A page of this service's audit trail (see `baton_platform::audit`).
    pub async fn audit(
        &self,
        query: &baton_platform::audit::AuditQuery,
    ) -> Result<(Vec<baton_proto::audit::v1::AuditRecord>, String), AssetsError> {
        Ok(baton_platform::audit::list(&self.pool, "assets.audit", query).await?)
    }
}

/// The event of `next`, moved from `current`'s status by `actor`.
fn status_changed(current: &Asset, next: &Asset, actor: &Actor, comment: String) -> pb::AssetStatusChanged {
    pb::AssetStatusChanged {
        asset: Some(wire::asset(next)),
        previous_status: wire::status(current.status) as i32,
        status: wire::status(next.status) as i32,
        actor: actor.resource_name(),
        comment,
    }
}

/// The event of a component sent back as many times as its project allows.
fn retake_cap_reached(asset: &Asset, settings: &ComponentSettings, actor: &Actor) -> pb::RetakeCapReached {
    pb::RetakeCapReached {
        asset: Some(wire::asset(asset)),
        retake_cap: settings.retake_cap,
        actor: actor.resource_name(),
    }
}

/// Why a call may not go on: refused by the policy, or the team could not be asked.
enum Authorization {
    Refused(baton_platform::policy::Refusal),
    Failed(AssetsError),
}

impl Authorization {
    /// The error to answer: `hidden` where the caller may not know the resource exists.
    fn into_error(self, hidden: impl FnOnce() -> AssetsError) -> AssetsError {
        match self {
            Authorization::Refused(refusal) => refusal.into_error(hidden),
            Authorization::Failed(error) => error,
        }
    }
}

fn refused(asset: AssetName, step: &TransitionRequest, refusal: Refusal) -> AssetsError {
    match refusal {
        Refusal::EtagMismatch { current } => AssetsError::EtagMismatch { asset, current },
        Refusal::IllegalTransition { from } => {
            AssetsError::IllegalTransition { asset, from, transition: step.transition }
        }
        Refusal::ReviewRoundOpen => AssetsError::ReviewRoundOpen(asset),
    }
}
