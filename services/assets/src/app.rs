//! The assets service's use cases.

use sqlx::PgPool;
use uuid::Uuid;

use baton_messaging::{Outbox, Written};
use baton_platform::Actor;
use baton_platform::grpc::TracedChannel as Channel;
use baton_platform::known::{Bounded, KnownIds};
use baton_platform::names::{AssetName, PersonName, ProjectName};
use baton_platform::paging::split_page;
use baton_platform::time;
use baton_proto::assets::v1 as pb;
use baton_proto::people::v1::GetPersonRequest;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1::GetProjectRequest;
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;

use crate::domain::{Asset, AssetPage, NewAsset, Refusal, TransitionRequest};
use crate::error::AssetsError;
use crate::{repo, wire};

/// How many times a step is decided again when concurrent writes keep moving the asset.
const ATTEMPTS: usize = 5;

/// How many assets a process remembers as it wrote them.
const RECENT: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Assets {
    pool: PgPool,
    outbox: Outbox,
    projects: ProjectsServiceClient<Channel>,
    people: PeopleServiceClient<Channel>,
    /// Projects and people known to exist (neither is ever deleted).
    known: KnownIds,
    /// The assets this process wrote last: where the next step of each starts from, so that a
    /// step is one statement. Only a starting point: the step's compare-and-set on the revision
    /// refuses a stale one (another replica moved the asset), and the stored asset is read then.
    recent: Bounded<AssetName, Asset>,
}

impl Assets {
    pub fn new(
        outbox: Outbox,
        pool: PgPool,
        projects: ProjectsServiceClient<Channel>,
        people: PeopleServiceClient<Channel>,
    ) -> Self {
        Self { pool, outbox, projects, people, known: KnownIds::default(), recent: Bounded::with_capacity(RECENT) }
    }

    /// Creates an asset in an existing project and records `AssetCreated`, once per `request_id`.
    pub async fn create(&self, actor: Actor, new: NewAsset, request_id: Option<Uuid>) -> Result<Asset, AssetsError> {
        self.ensure_project(new.project).await?;
        for (index, person) in new.assignees.iter().enumerate() {
            self.ensure_person(*person, format!("asset.assignees[{index}]")).await?;
        }
        let asset = Asset::create(new, Uuid::now_v7(), time::now());
        let mut mutation = self.outbox.mutation("CreateAsset", request_id);
        mutation.emit(
            &asset.name.to_string(),
            &pb::AssetCreated { asset: Some(wire::asset(&asset)), actor: actor.resource_name() },
        );
        let asset = mutation.finish(repo::insert(&asset), asset).await?.changed()?;
        self.recent.remember(asset.name, asset.clone());
        tracing::info!(asset = %asset.name, "asset created");
        Ok(asset)
    }

    pub async fn get(&self, name: AssetName) -> Result<Asset, AssetsError> {
        repo::get(&self.pool, name).await?.ok_or(AssetsError::AssetNotFound(name))
    }

    pub async fn list(&self, project: ProjectName, after: Option<Uuid>, limit: i64) -> Result<AssetPage, AssetsError> {
        let rows = repo::list(&self.pool, project, after, limit).await?;
        let (assets, next_page_token) = split_page(rows, limit, |a| a.name.id);
        Ok(AssetPage { assets, next_page_token })
    }

    /// Moves an asset one step through its workflow and records `AssetStatusChanged` with the
    /// status before and after and who acted.
    pub async fn transition(
        &self,
        actor: Actor,
        step: TransitionRequest,
        request_id: Option<Uuid>,
    ) -> Result<Asset, AssetsError> {
        // The asset this process wrote last, else (and after a miss or a refusal) the stored one.
        let mut remembered = self.recent.get(&step.asset);
        for _ in 0..ATTEMPTS {
            let mut mutation = self.outbox.mutation(step.transition.method(), request_id);
            let (current, stored) = match remembered.take() {
                Some(asset) => (asset, false),
                None => match repo::get(&self.pool, step.asset).await? {
                    Some(asset) => (asset, true),
                    None => return mutation.refuse(AssetsError::AssetNotFound(step.asset)).await,
                },
            };
            let next = match current.take(&step, time::now()) {
                Ok(next) => next,
                // What this process remembers may be behind: decide again on the stored asset.
                Err(_) if !stored => continue,
                Err(refusal) => return mutation.refuse(refused(step.asset, &step, refusal)).await,
            };
            mutation.emit(
                &next.name.to_string(),
                &pb::AssetStatusChanged {
                    asset: Some(wire::asset(&next)),
                    previous_status: wire::status(current.status) as i32,
                    status: wire::status(next.status) as i32,
                    actor: actor.resource_name(),
                    comment: step.comment.clone(),
                },
            );
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

    async fn ensure_project(&self, project: ProjectName) -> Result<(), AssetsError> {
        self.known
            .ensure(project.id, async {
                let request = GetProjectRequest { name: project.to_string() };
                match self.projects.clone().get_project(request).await {
                    Ok(_) => Ok(()),
                    Err(status) if status.code() == tonic::Code::NotFound => Err(AssetsError::ProjectNotFound(project)),
                    Err(status) => Err(AssetsError::Upstream { service: "projects", status }),
                }
            })
            .await
    }

    async fn ensure_person(&self, person: PersonName, field: String) -> Result<(), AssetsError> {
        self.known
            .ensure(person.id, async {
                match self.people.clone().get_person(GetPersonRequest { name: person.to_string() }).await {
                    Ok(_) => Ok(()),
                    Err(status) if status.code() == tonic::Code::NotFound => {
                        Err(AssetsError::PersonNotFound { field, person })
                    }
                    Err(status) => Err(AssetsError::Upstream { service: "people", status }),
                }
            })
            .await
    }
}

fn refused(asset: AssetName, step: &TransitionRequest, refusal: Refusal) -> AssetsError {
    match refusal {
        Refusal::EtagMismatch { current } => AssetsError::EtagMismatch { asset, current },
        Refusal::IllegalTransition { from } => {
            AssetsError::IllegalTransition { asset, from, transition: step.transition }
        }
    }
}
