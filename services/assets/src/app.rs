//! The assets service's use cases.

use baton_platform::grpc::TracedChannel as Channel;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use baton_platform::Actor;
use baton_platform::idempotency::{self, Claim};
use baton_platform::known::KnownIds;
use baton_platform::paging::split_page;
use baton_proto::assets::v1 as pb;
use baton_proto::people::v1::GetPersonRequest;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1::GetProjectRequest;
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;

use crate::domain::{Asset, AssetPage, NewAsset, TransitionRequest};
use crate::error::AssetsError;
use crate::{IDEMPOTENCY_TABLE, OUTBOX, repo};

#[derive(Debug, Clone)]
pub struct Assets {
    pool: PgPool,
    projects: ProjectsServiceClient<Channel>,
    people: PeopleServiceClient<Channel>,
    /// Projects and people known to exist (neither is ever deleted).
    known: KnownIds,
}

impl Assets {
    pub fn new(pool: PgPool, projects: ProjectsServiceClient<Channel>, people: PeopleServiceClient<Channel>) -> Self {
        Self { pool, projects, people, known: KnownIds::default() }
    }

    /// Creates an asset in an existing project and records `AssetCreated`, once per `request_id`.
    pub async fn create(&self, actor: Actor, new: NewAsset, request_id: Option<Uuid>) -> Result<Asset, AssetsError> {
        self.ensure_project(new.project_id).await?;
        for (index, person) in new.assignees.iter().enumerate() {
            self.ensure_person(*person, format!("asset.assignees[{index}]")).await?;
        }
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(asset) = idempotency::claim(&mut tx, IDEMPOTENCY_TABLE, request_id, "CreateAsset").await? {
            return Ok(asset);
        }
        let asset = repo::insert(&mut tx, &new).await?;
        let event = pb::AssetCreated { asset: Some((&asset).into()), actor: actor.resource_name() };
        OUTBOX.enqueue(&mut tx, &asset.name(), &event).await?;
        idempotency::record(&mut tx, IDEMPOTENCY_TABLE, request_id, &asset).await?;
        OUTBOX.commit(tx).await?;
        tracing::info!(asset = %asset.name(), "asset created");
        Ok(asset)
    }

    pub async fn get(&self, project_id: Uuid, id: Uuid) -> Result<Asset, AssetsError> {
        let mut conn = self.pool.acquire().await?;
        repo::get(&mut conn, project_id, id)
            .await?
            .ok_or_else(|| AssetsError::AssetNotFound(format!("projects/{project_id}/assets/{id}")))
    }

    pub async fn list(&self, project_id: Uuid, after: Option<Uuid>, limit: i64) -> Result<AssetPage, AssetsError> {
        let mut conn = self.pool.acquire().await?;
        let rows = repo::list(&mut conn, project_id, after, limit).await?;
        let (assets, next_page_token) = split_page(rows, limit, |a| a.id);
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
        let method = step.transition.method();
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(asset) = idempotency::claim(&mut tx, IDEMPOTENCY_TABLE, request_id, method).await? {
            return Ok(asset);
        }
        let (allowed, to) = (step.transition.allowed_from(), step.transition.to());
        // An etag that is not a revision number matches no revision: the refusal below says so.
        let revision = step.etag.as_deref().map(|etag| etag.parse::<i64>().unwrap_or(i64::MIN));
        let Some((asset, from)) =
            repo::move_status(&mut tx, step.project_id, step.asset_id, allowed, to, revision).await?
        else {
            return Err(self.refusal(&mut tx, &step).await);
        };
        let event = pb::AssetStatusChanged {
            asset: Some((&asset).into()),
            previous_status: from as i32,
            status: to as i32,
            actor: actor.resource_name(),
            comment: step.comment.clone(),
        };
        OUTBOX.enqueue(&mut tx, &asset.name(), &event).await?;
        idempotency::record(&mut tx, IDEMPOTENCY_TABLE, request_id, &asset).await?;
        OUTBOX.commit(tx).await?;
        tracing::info!(asset = %asset.name(), from = from.as_str_name(), to = to.as_str_name(), "asset status changed");
        Ok(asset)
    }

    /// Why `step` changed nothing: the asset is missing, at another revision, or in a status the
    /// step is not allowed in.
    async fn refusal(&self, tx: &mut PgConnection, step: &TransitionRequest) -> AssetsError {
        let current = match repo::get(tx, step.project_id, step.asset_id).await {
            Ok(Some(current)) => current,
            Ok(None) => {
                return AssetsError::AssetNotFound(format!("projects/{}/assets/{}", step.project_id, step.asset_id));
            }
            Err(error) => return error.into(),
        };
        if step.etag.as_ref().is_some_and(|etag| *etag != current.etag()) {
            return AssetsError::EtagMismatch { asset: current.name(), current: current.etag() };
        }
        AssetsError::IllegalTransition {
            asset: current.name(),
            method: step.transition.method(),
            from: current.status(),
            transition: step.transition,
        }
    }

    async fn ensure_project(&self, project_id: Uuid) -> Result<(), AssetsError> {
        self.known
            .ensure(project_id, async {
                let name = format!("projects/{project_id}");
                match self.projects.clone().get_project(GetProjectRequest { name: name.clone() }).await {
                    Ok(_) => Ok(()),
                    Err(status) if status.code() == tonic::Code::NotFound => Err(AssetsError::ProjectNotFound(name)),
                    Err(status) => Err(AssetsError::Upstream { service: "projects", status }),
                }
            })
            .await
    }

    async fn ensure_person(&self, person_id: Uuid, field: String) -> Result<(), AssetsError> {
        self.known
            .ensure(person_id, async {
                let name = format!("people/{person_id}");
                match self.people.clone().get_person(GetPersonRequest { name: name.clone() }).await {
                    Ok(_) => Ok(()),
                    Err(status) if status.code() == tonic::Code::NotFound => {
                        Err(AssetsError::PersonNotFound { field, name })
                    }
                    Err(status) => Err(AssetsError::Upstream { service: "people", status }),
                }
            })
            .await
    }
}
