//! The gRPC edge of the assets service: validation, conversion, and error mapping.

use std::collections::HashSet;

use tonic::{Request, Response, Status};
use uuid::Uuid;

use baton_platform::Actor;
use baton_platform::paging;
use baton_platform::time::timestamp;
use baton_platform::validate::{self, Violations};
use baton_proto::assets::v1 as pb;
use baton_proto::assets::v1::assets_service_server::AssetsService;

use crate::app::Assets;
use crate::domain::{Asset, AssetKind, MAX_ASSIGNEES, NewAsset, Transition, TransitionRequest};

pub struct AssetsApi {
    app: Assets,
}

impl AssetsApi {
    pub fn new(app: Assets) -> Self {
        Self { app }
    }

    /// Runs one workflow step: validates the request's common fields, then transitions.
    async fn step(&self, actor: Actor, transition: Transition, fields: StepFields<'_>) -> Result<pb::Asset, Status> {
        let (step, request_id) = parse_step(transition, fields)?;
        let asset = self.app.transition(actor, step, request_id).await?;
        Ok((&asset).into())
    }
}

/// The fields every workflow request has.
pub struct StepFields<'a> {
    pub name: &'a str,
    pub etag: &'a str,
    pub comment: &'a str,
    pub request_id: &'a str,
}

impl From<&Asset> for pb::Asset {
    fn from(asset: &Asset) -> Self {
        pb::Asset {
            name: asset.name(),
            display_name: asset.display_name.clone(),
            description: asset.description.clone(),
            kind: asset.kind() as i32,
            status: asset.status() as i32,
            assignees: asset.assignees.iter().map(|id| format!("people/{id}")).collect(),
            weight: u32::try_from(asset.weight).unwrap_or(1),
            create_time: Some(timestamp(asset.create_time)),
            update_time: Some(timestamp(asset.update_time)),
            etag: asset.etag(),
        }
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreateAssetRequest) -> Result<(NewAsset, Option<Uuid>), Status> {
    let mut v = Violations::new();
    let project_id = v.check("parent", validate::resource_id(&request.parent, "projects"));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let Some(asset) = request.asset else {
        v.add("asset", "is required");
        v.finish()?;
        unreachable!("a violation was recorded");
    };
    let display_name = v.check("asset.display_name", validate::required_text(&asset.display_name, 200));
    let description = v.check("asset.description", validate::optional_text(&asset.description, 10_000));
    let kind = v.check("asset.kind", validate::known_enum::<AssetKind>(asset.kind, AssetKind::Unspecified as i32));
    let weight = match asset.weight {
        0 => Some(1),
        w @ 1..=1000 => i32::try_from(w).ok(),
        w => {
            v.add("asset.weight", format!("must be between 1 and 1000 (got {w})"));
            None
        }
    };
    let mut assignees = Vec::with_capacity(asset.assignees.len());
    if asset.assignees.len() > MAX_ASSIGNEES {
        v.add("asset.assignees", format!("must have at most {MAX_ASSIGNEES} people (got {})", asset.assignees.len()));
    } else {
        let mut seen = HashSet::new();
        for (index, assignee) in asset.assignees.iter().enumerate() {
            let field = format!("asset.assignees[{index}]");
            if let Some(id) = v.check(&field, validate::resource_id(assignee, "people")) {
                if seen.insert(id) {
                    assignees.push(id);
                } else {
                    v.add(field, format!("{assignee} is listed twice"));
                }
            }
        }
    }
    let new = match (project_id, display_name, description, kind, weight) {
        (Some(project_id), Some(display_name), Some(description), Some(kind), Some(weight)) => {
            Some(NewAsset { project_id, display_name, description, kind, assignees, weight })
        }
        _ => None,
    };
    let new = v.finish_with(new)?;
    Ok((new, request_id.flatten()))
}

#[allow(clippy::result_large_err)]
pub fn parse_step(transition: Transition, fields: StepFields<'_>) -> Result<(TransitionRequest, Option<Uuid>), Status> {
    let mut v = Violations::new();
    let ids = v.check("name", validate::resource_name(fields.name, &["projects", "assets"]));
    let request_id = v.check("request_id", validate::request_id(fields.request_id));
    let comment = if transition == Transition::RequestChanges {
        v.check("comment", validate::required_text(fields.comment, 2000))
    } else {
        v.check("comment", validate::optional_text(fields.comment, 2000))
    };
    let etag = (!fields.etag.is_empty()).then(|| fields.etag.to_string());
    let step = match (ids, comment) {
        (Some(ids), Some(comment)) => {
            Some(TransitionRequest { project_id: ids[0], asset_id: ids[1], transition, etag, comment })
        }
        _ => None,
    };
    let step = v.finish_with(step)?;
    Ok((step, request_id.flatten()))
}

#[tonic::async_trait]
impl AssetsService for AssetsApi {
    async fn create_asset(
        &self,
        request: Request<pb::CreateAssetRequest>,
    ) -> Result<Response<pb::CreateAssetResponse>, Status> {
        let actor = Actor::of(&request);
        let (new, request_id) = parse_create(request.into_inner())?;
        let asset = self.app.create(actor, new, request_id).await?;
        Ok(Response::new(pb::CreateAssetResponse { asset: Some((&asset).into()) }))
    }

    async fn get_asset(&self, request: Request<pb::GetAssetRequest>) -> Result<Response<pb::GetAssetResponse>, Status> {
        let mut v = Violations::new();
        let ids = v.check("name", validate::resource_name(&request.get_ref().name, &["projects", "assets"]));
        let ids = v.finish_with(ids)?;
        let asset = self.app.get(ids[0], ids[1]).await?;
        Ok(Response::new(pb::GetAssetResponse { asset: Some((&asset).into()) }))
    }

    async fn list_assets(
        &self,
        request: Request<pb::ListAssetsRequest>,
    ) -> Result<Response<pb::ListAssetsResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::new();
        let project_id = v.check("parent", validate::resource_id(&request.parent, "projects"));
        let limit = v.check("page_size", paging::page_size(request.page_size));
        let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
        let ((project_id, limit), after) = v.finish_with(project_id.zip(limit).zip(after))?;
        let page = self.app.list(project_id, after, limit).await?;
        Ok(Response::new(pb::ListAssetsResponse {
            assets: page.assets.iter().map(pb::Asset::from).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn start_asset(
        &self,
        request: Request<pb::StartAssetRequest>,
    ) -> Result<Response<pb::StartAssetResponse>, Status> {
        let actor = Actor::of(&request);
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: "", request_id: &r.request_id };
        let asset = self.step(actor, Transition::Start, fields).await?;
        Ok(Response::new(pb::StartAssetResponse { asset: Some(asset) }))
    }

    async fn submit_asset_for_review(
        &self,
        request: Request<pb::SubmitAssetForReviewRequest>,
    ) -> Result<Response<pb::SubmitAssetForReviewResponse>, Status> {
        let actor = Actor::of(&request);
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: &r.comment, request_id: &r.request_id };
        let asset = self.step(actor, Transition::SubmitForReview, fields).await?;
        Ok(Response::new(pb::SubmitAssetForReviewResponse { asset: Some(asset) }))
    }

    async fn request_asset_changes(
        &self,
        request: Request<pb::RequestAssetChangesRequest>,
    ) -> Result<Response<pb::RequestAssetChangesResponse>, Status> {
        let actor = Actor::of(&request);
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: &r.comment, request_id: &r.request_id };
        let asset = self.step(actor, Transition::RequestChanges, fields).await?;
        Ok(Response::new(pb::RequestAssetChangesResponse { asset: Some(asset) }))
    }

    async fn approve_asset(
        &self,
        request: Request<pb::ApproveAssetRequest>,
    ) -> Result<Response<pb::ApproveAssetResponse>, Status> {
        let actor = Actor::of(&request);
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: &r.comment, request_id: &r.request_id };
        let asset = self.step(actor, Transition::Approve, fields).await?;
        Ok(Response::new(pb::ApproveAssetResponse { asset: Some(asset) }))
    }

    async fn deliver_asset(
        &self,
        request: Request<pb::DeliverAssetRequest>,
    ) -> Result<Response<pb::DeliverAssetResponse>, Status> {
        let actor = Actor::of(&request);
        let r = request.get_ref();
        let fields = StepFields { name: &r.name, etag: &r.etag, comment: &r.comment, request_id: &r.request_id };
        let asset = self.step(actor, Transition::Deliver, fields).await?;
        Ok(Response::new(pb::DeliverAssetResponse { asset: Some(asset) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_checks_bounds_and_repeats() {
        let person = format!("people/{}", Uuid::now_v7());
        let status = parse_create(pb::CreateAssetRequest {
            parent: format!("projects/{}", Uuid::now_v7()),
            asset: Some(pb::Asset {
                display_name: "Hero animation".into(),
                kind: AssetKind::Animation as i32,
                weight: 5000,
                assignees: vec![person.clone(), person, "bob".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .expect_err("invalid");
        let message = status.message();
        for field in ["asset.weight", "asset.assignees[1]", "asset.assignees[2]"] {
            assert!(message.contains(field), "{field} missing from {message}");
        }
    }

    #[test]
    fn request_changes_needs_a_comment() {
        let name = format!("projects/{}/assets/{}", Uuid::now_v7(), Uuid::now_v7());
        let fields = || StepFields { name: &name, etag: "", comment: "", request_id: "" };
        let status = parse_step(Transition::RequestChanges, fields()).expect_err("comment required");
        assert!(status.message().contains("comment: is required"), "{}", status.message());
        parse_step(Transition::Approve, fields()).expect("comment optional");
    }
}
