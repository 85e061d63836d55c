//! The gRPC edge of the assets service: each call parsed by `wire`, run by `app`, answered in
//! wire types; errors become statuses through `baton_platform::error`.

use tonic::{Request, Response, Status};

use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::AssetName;
use baton_platform::policy::Access;
use baton_platform::validate;
use baton_proto::assets::v1 as pb;
use baton_proto::assets::v1::assets_service_server::AssetsService;

use crate::app::Assets;
use crate::domain::Transition;
use crate::wire::{self, StepFields};

pub struct AssetsApi {
    app: Assets,
}

impl AssetsApi {
    pub fn new(app: Assets) -> Self {
        Self { app }
    }

    /// Runs one workflow step: parses the request's common fields, then transitions.
    async fn step<T: prost::Message>(
        &self,
        request: &Request<T>,
        transition: Transition,
        fields: StepFields<'_>,
    ) -> Result<pb::Asset, Status> {
        let (access, actor, origin) = (Access::of(request)?, Actor::of(request), Origin::of(request));
        let step = wire::parse_step(transition, fields)?;
        let asset = self.app.transition(&access, actor, step.value, origin.with_request_id(step.request_id)).await?;
        Ok(wire::asset(&asset))
    }
}

#[tonic::async_trait]
impl AssetsService for AssetsApi {
    async fn create_asset(
        &self,
        request: Request<pb::CreateAssetRequest>,
    ) -> Result<Response<pb::CreateAssetResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let create = wire::parse_create(request.into_inner())?;
        let asset = self.app.create(&access, actor, create.value, origin.with_request_id(create.request_id)).await?;
        Ok(Response::new(pb::CreateAssetResponse { asset: Some(wire::asset(&asset)) }))
    }

    async fn update_asset(
        &self,
        request: Request<pb::UpdateAssetRequest>,
    ) -> Result<Response<pb::UpdateAssetResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let update = wire::parse_update(request.into_inner())?;
        let asset = self.app.update(&access, actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdateAssetResponse { asset: Some(wire::asset(&asset)) }))
    }

    async fn watch_asset(
        &self,
        request: Request<pb::WatchAssetRequest>,
    ) -> Result<Response<pb::WatchAssetResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let name = validate::single("name", AssetName::parse(&request.get_ref().name))?;
        let asset = self.app.watch(&access, actor, name, true, origin).await?;
        Ok(Response::new(pb::WatchAssetResponse { asset: Some(wire::asset(&asset)) }))
    }

    async fn unwatch_asset(
        &self,
        request: Request<pb::UnwatchAssetRequest>,
    ) -> Result<Response<pb::UnwatchAssetResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let name = validate::single("name", AssetName::parse(&request.get_ref().name))?;
        let asset = self.app.watch(&access, actor, name, false, origin).await?;
        Ok(Response::new(pb::UnwatchAssetResponse { asset: Some(wire::asset(&asset)) }))
    }

    async fn get_asset(&self, request: Request<pb::GetAssetRequest>) -> Result<Response<pb::GetAssetResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::parse_get(request.get_ref())?;
        let asset = self.app.get(&access, name).await?;
        Ok(Response::new(pb::GetAssetResponse { asset: Some(wire::asset(&asset)) }))
    }

    async fn list_assets(
        &self,
        request: Request<pb::ListAssetsRequest>,
    ) -> Result<Response<pb::ListAssetsResponse>, Status> {
        let access = Access::of(&request)?;
        let query = wire::parse_list(request.get_ref())?;
        let page = self.app.list(&access, query).await?;
        Ok(Response::new(pb::ListAssetsResponse {
            assets: page.assets.iter().map(wire::asset).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn start_asset(
        &self,
        request: Request<pb::StartAssetRequest>,
    ) -> Result<Response<pb::StartAssetResponse>, Status> {
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: "", request_id: &r.request_id };
        let asset = self.step(&request, Transition::Start, fields).await?;
        Ok(Response::new(pb::StartAssetResponse { asset: Some(asset) }))
    }

    async fn submit_asset_for_review(
        &self,
        request: Request<pb::SubmitAssetForReviewRequest>,
    ) -> Result<Response<pb::SubmitAssetForReviewResponse>, Status> {
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: &r.comment, request_id: &r.request_id };
        let asset = self.step(&request, Transition::SubmitForReview, fields).await?;
        Ok(Response::new(pb::SubmitAssetForReviewResponse { asset: Some(asset) }))
    }

    async fn request_asset_changes(
        &self,
        request: Request<pb::RequestAssetChangesRequest>,
    ) -> Result<Response<pb::RequestAssetChangesResponse>, Status> {
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: &r.comment, request_id: &r.request_id };
        let asset = self.step(&request, Transition::RequestChanges, fields).await?;
        Ok(Response::new(pb::RequestAssetChangesResponse { asset: Some(asset) }))
    }

    async fn approve_asset(
        &self,
        request: Request<pb::ApproveAssetRequest>,
    ) -> Result<Response<pb::ApproveAssetResponse>, Status> {
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: &r.comment, request_id: &r.request_id };
        let asset = self.step(&request, Transition::Approve, fields).await?;
        Ok(Response::new(pb::ApproveAssetResponse { asset: Some(asset) }))
    }

    async fn deliver_asset(
        &self,
        request: Request<pb::DeliverAssetRequest>,
    ) -> Result<Response<pb::DeliverAssetResponse>, Status> {
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: &r.comment, request_id: &r.request_id };
        let asset = self.step(&request, Transition::Deliver, fields).await?;
        Ok(Response::new(pb::DeliverAssetResponse { asset: Some(asset) }))
    }

    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let r = request.get_ref();
        let query = baton_platform::audit::parse_query(&r.project, &r.actor, r.page_size, &r.page_token)?;
        let (records, next_page_token) = self.app.audit(&query).await?;
        Ok(Response::new(pb::ListAuditRecordsResponse { records, next_page_token }))
    }

    async fn submit_version(
        &self,
        request: Request<pb::SubmitVersionRequest>,
    ) -> Result<Response<pb::SubmitVersionResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let submit = wire::versions::parse_submit(request.into_inner())?;
        let submitted =
            self.app.submit_version(&access, actor, submit.value, origin.with_request_id(submit.request_id)).await?;
        Ok(Response::new(pb::SubmitVersionResponse {
            version: Some(wire::versions::version(&submitted.version, &submitted.report)),
            asset: Some(wire::asset(&submitted.asset)),
            review: submitted.review.as_ref().map(wire::versions::review),
        }))
    }

    async fn get_version(
        &self,
        request: Request<pb::GetVersionRequest>,
    ) -> Result<Response<pb::GetVersionResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::versions::parse_get(request.get_ref())?;
        let (version, report) = self.app.get_version(&access, name).await?;
        Ok(Response::new(pb::GetVersionResponse { version: Some(wire::versions::version(&version, &report)) }))
    }

    async fn list_versions(
        &self,
        request: Request<pb::ListVersionsRequest>,
    ) -> Result<Response<pb::ListVersionsResponse>, Status> {
        let access = Access::of(&request)?;
        let (asset, before, limit) = wire::versions::parse_list(request.get_ref())?;
        let (versions, next_page_token) = self.app.list_versions(&access, asset, before, limit).await?;
        Ok(Response::new(pb::ListVersionsResponse {
            versions: versions.iter().map(|(version, report)| wire::versions::version(version, report)).collect(),
            next_page_token,
        }))
    }

    async fn get_review_round(
        &self,
        request: Request<pb::GetReviewRoundRequest>,
    ) -> Result<Response<pb::GetReviewRoundResponse>, Status> {
        let access = Access::of(&request)?;
        let version = wire::versions::parse_review_name(&request.get_ref().name)?;
        let round = self.app.get_review(&access, version).await?;
        Ok(Response::new(pb::GetReviewRoundResponse { review: Some(wire::versions::review(&round)) }))
    }

    async fn decide_review(
        &self,
        request: Request<pb::DecideReviewRequest>,
    ) -> Result<Response<pb::DecideReviewResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let decide = wire::versions::parse_decide(request.get_ref())?;
        let (round, asset) =
            self.app.decide_review(&access, actor, decide.value, origin.with_request_id(decide.request_id)).await?;
        Ok(Response::new(pb::DecideReviewResponse {
            review: Some(wire::versions::review(&round)),
            asset: Some(wire::asset(&asset)),
        }))
    }

    async fn get_component_settings(
        &self,
        request: Request<pb::GetComponentSettingsRequest>,
    ) -> Result<Response<pb::GetComponentSettingsResponse>, Status> {
        let access = Access::of(&request)?;
        let project = wire::parse_get_settings(request.get_ref())?;
        let settings = self.app.get_settings(&access, project).await?;
        Ok(Response::new(pb::GetComponentSettingsResponse { settings: Some(wire::settings(&settings)) }))
    }

    async fn update_component_settings(
        &self,
        request: Request<pb::UpdateComponentSettingsRequest>,
    ) -> Result<Response<pb::UpdateComponentSettingsResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let update = wire::parse_update_settings(request.into_inner())?;
        let settings =
            self.app.update_settings(&access, actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdateComponentSettingsResponse { settings: Some(wire::settings(&settings)) }))
    }

    async fn create_comment(
        &self,
        request: Request<pb::CreateCommentRequest>,
    ) -> Result<Response<pb::CreateCommentResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let create = wire::comments::parse_create(request.into_inner())?;
        let comment =
            self.app.create_comment(&access, actor, create.value, origin.with_request_id(create.request_id)).await?;
        Ok(Response::new(pb::CreateCommentResponse { comment: Some(wire::comments::comment(&comment)) }))
    }

    async fn get_comment(
        &self,
        request: Request<pb::GetCommentRequest>,
    ) -> Result<Response<pb::GetCommentResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::comments::parse_get(request.get_ref())?;
        let comment = self.app.get_comment(&access, name).await?;
        Ok(Response::new(pb::GetCommentResponse { comment: Some(wire::comments::comment(&comment)) }))
    }

    async fn list_comments(
        &self,
        request: Request<pb::ListCommentsRequest>,
    ) -> Result<Response<pb::ListCommentsResponse>, Status> {
        let access = Access::of(&request)?;
        let query = wire::comments::parse_list(request.get_ref())?;
        let (comments, next_page_token) = self.app.list_comments(&access, query).await?;
        Ok(Response::new(pb::ListCommentsResponse {
            comments: comments.iter().map(wire::comments::comment).collect(),
            next_page_token,
        }))
    }

    async fn update_comment(
        &self,
        request: Request<pb::UpdateCommentRequest>,
    ) -> Result<Response<pb::UpdateCommentResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let update = wire::comments::parse_update(request.into_inner())?;
        let comment =
            self.app.update_comment(&access, actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdateCommentResponse { comment: Some(wire::comments::comment(&comment)) }))
    }

    async fn get_quality_checklist(
        &self,
        request: Request<pb::GetQualityChecklistRequest>,
    ) -> Result<Response<pb::GetQualityChecklistResponse>, Status> {
        let access = Access::of(&request)?;
        let (project, kind) = wire::quality::parse_get_checklist(request.get_ref())?;
        let list = self.app.get_checklist(&access, project, kind).await?;
        Ok(Response::new(pb::GetQualityChecklistResponse { checklist: Some(wire::quality::checklist(&list)) }))
    }

    async fn list_quality_checklists(
        &self,
        request: Request<pb::ListQualityChecklistsRequest>,
    ) -> Result<Response<pb::ListQualityChecklistsResponse>, Status> {
        let access = Access::of(&request)?;
        let project = wire::quality::parse_list_checklists(request.get_ref())?;
        let lists = self.app.list_checklists(&access, project).await?;
        Ok(Response::new(pb::ListQualityChecklistsResponse {
            checklists: lists.iter().map(wire::quality::checklist).collect(),
        }))
    }

    async fn update_quality_checklist(
        &self,
        request: Request<pb::UpdateQualityChecklistRequest>,
    ) -> Result<Response<pb::UpdateQualityChecklistResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let update = wire::quality::parse_update_checklist(request.into_inner())?;
        let list =
            self.app.update_checklist(&access, actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdateQualityChecklistResponse { checklist: Some(wire::quality::checklist(&list)) }))
    }

    async fn record_measurements(
        &self,
        request: Request<pb::RecordMeasurementsRequest>,
    ) -> Result<Response<pb::RecordMeasurementsResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let record = wire::quality::parse_record(request.get_ref())?;
        let measured = self
            .app
            .record_measurements(&access, actor, record.value, origin.with_request_id(record.request_id))
            .await?;
        Ok(Response::new(pb::RecordMeasurementsResponse {
            version: Some(wire::versions::version(&measured.version, &measured.report)),
            asset: Some(wire::asset(&measured.asset)),
        }))
    }
}
