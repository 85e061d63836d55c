//! `baton assets add|list|show` and the workflow steps
//! `start|submit|request-changes|approve|deliver`.

use baton_proto::assets::v1::{
    ApproveAssetRequest, Asset, CreateAssetRequest, DeliverAssetRequest, GetAssetRequest, RequestAssetChangesRequest,
    StartAssetRequest, SubmitAssetForReviewRequest,
};

use crate::cli::{AssetKindArg, AssetStatusWord, AssetsCommand, StepOptions};
use crate::client::Baton;
use crate::error::CliError;
use crate::json;
use crate::output::{Cell, Out, Table, listing, short_id, time};
use crate::status::status_style;

pub async fn run(baton: &Baton, out: &Out, command: AssetsCommand) -> Result<(), CliError> {
    let asset = match command {
        AssetsCommand::Add { project, name, kind, description, assignees, weight, idempotency } => {
            let parent = baton.resolve_project(&project).await?;
            let mut people = Vec::with_capacity(assignees.len());
            for assignee in &assignees {
                people.push(baton.resolve_person(assignee).await?);
            }
            let request = CreateAssetRequest {
                parent,
                asset: Some(Asset {
                    display_name: name,
                    description: description.unwrap_or_default(),
                    kind: kind.to_proto() as i32,
                    assignees: people,
                    weight: weight.unwrap_or_default(),
                    ..Default::default()
                }),
                request_id: idempotency.value(),
            };
            baton.assets().create_asset(baton.request(request)).await?.into_inner().asset
        }
        AssetsCommand::List { project } => return list(baton, out, &project).await,
        AssetsCommand::Show { asset } => {
            let name = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            baton.assets().get_asset(baton.request(GetAssetRequest { name })).await?.into_inner().asset
        }
        AssetsCommand::Start { asset, step } => {
            let name = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let StepOptions { etag, idempotency } = step;
            let request = StartAssetRequest { name, etag: etag.unwrap_or_default(), request_id: idempotency.value() };
            baton.assets().start_asset(baton.request(request)).await?.into_inner().asset
        }
        AssetsCommand::Submit { asset, comment, step } => {
            let name = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let StepOptions { etag, idempotency } = step;
            let request = SubmitAssetForReviewRequest {
                name,
                etag: etag.unwrap_or_default(),
                comment: comment.unwrap_or_default(),
                request_id: idempotency.value(),
            };
            baton.assets().submit_asset_for_review(baton.request(request)).await?.into_inner().asset
        }
        AssetsCommand::RequestChanges { asset, comment, step } => {
            let name = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let StepOptions { etag, idempotency } = step;
            let request = RequestAssetChangesRequest {
                name,
                etag: etag.unwrap_or_default(),
                comment,
                request_id: idempotency.value(),
            };
            baton.assets().request_asset_changes(baton.request(request)).await?.into_inner().asset
        }
        AssetsCommand::Approve { asset, comment, step } => {
            let name = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let StepOptions { etag, idempotency } = step;
            let request = ApproveAssetRequest {
                name,
                etag: etag.unwrap_or_default(),
                comment: comment.unwrap_or_default(),
                request_id: idempotency.value(),
            };
            baton.assets().approve_asset(baton.request(request)).await?.into_inner().asset
        }
        AssetsCommand::Deliver { asset, comment, step } => {
            let name = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let StepOptions { etag, idempotency } = step;
            let request = DeliverAssetRequest {
                name,
                etag: etag.unwrap_or_default(),
                comment: comment.unwrap_or_default(),
                request_id: idempotency.value(),
            };
            baton.assets().deliver_asset(baton.request(request)).await?.into_inner().asset
        }
    };
    show(baton, out, &asset.unwrap_or_default()).await
}

async fn list(baton: &Baton, out: &Out, project: &str) -> Result<(), CliError> {
    let project = baton.resolve_project(project).await?;
    let assets = baton.all_assets(&project).await?;
    if out.json() {
        for asset in &assets {
            out.json_line(&json::asset(asset))?;
        }
        return Ok(());
    }
    let names = baton.display_names(assets.iter().flat_map(|a| &a.assignees)).await?;
    let mut table = Table::new(&["ID", "TITLE", "KIND", "STATUS", "WEIGHT", "ASSIGNEES"]).align_right(4);
    for asset in &assets {
        let assignees: Vec<&str> =
            asset.assignees.iter().map(|p| names.get(p).map(String::as_str).unwrap_or(p.as_str())).collect();
        table.row(vec![
            Cell::from(short_id(&asset.name)),
            asset.display_name.as_str().into(),
            AssetKindArg::text(asset.kind).into(),
            Cell::styled(AssetStatusWord::text(asset.status), status_style(asset.status)),
            asset.weight.to_string().into(),
            assignees.join(", ").into(),
        ]);
    }
    out.text(&table.render(out.color, 0))
}

async fn show(baton: &Baton, out: &Out, asset: &Asset) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&json::asset(asset));
    }
    let names = baton.display_names(&asset.assignees).await?;
    let assignees: Vec<String> =
        asset.assignees.iter().map(|p| format!("{} ({p})", names.get(p).cloned().unwrap_or_default())).collect();
    let status = out.paint(&AssetStatusWord::text(asset.status), status_style(asset.status));
    out.text(&listing(
        out.color,
        &[
            ("name", asset.name.clone()),
            ("title", asset.display_name.clone()),
            ("kind", AssetKindArg::text(asset.kind)),
            ("status", status),
            ("weight", asset.weight.to_string()),
            ("assignees", assignees.join(", ")),
            ("description", asset.description.clone()),
            ("updated", time(asset.update_time.as_ref())),
            ("etag", asset.etag.clone()),
        ],
    ))
}
