//! `baton assets add|list|show` and the workflow steps
//! `start|submit|request-changes|approve|deliver`.

use baton_proto::assets::v1::{
    ApproveAssetRequest, Asset, CreateAssetRequest, DeliverAssetRequest, GetAssetRequest, RequestAssetChangesRequest,
    StartAssetRequest, SubmitAssetForReviewRequest, UnwatchAssetRequest, UpdateAssetRequest, WatchAssetRequest,
};
use prost_types::FieldMask;

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
        AssetsCommand::List { project, filter } => return list(baton, out, &project, filter.as_deref()).await,
        AssetsCommand::Show { asset } => {
            let name = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            baton.assets().get_asset(baton.request(GetAssetRequest { name })).await?.into_inner().asset
        }
        AssetsCommand::Update { asset, name, description, weight, assignees, due, blocked_by, step } => {
            let target = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let project = target.split("/assets/").next().unwrap_or_default().to_string();
            let StepOptions { etag, idempotency } = step;
            let mut paths: Vec<&str> = Vec::new();
            let mut change = Asset { name: target, etag: etag.unwrap_or_default(), ..Default::default() };
            if let Some(name) = name {
                change.display_name = name;
                paths.push("display_name");
            }
            if let Some(description) = description {
                change.description = description;
                paths.push("description");
            }
            if let Some(weight) = weight {
                change.weight = weight;
                paths.push("weight");
            }
            if !assignees.is_empty() {
                for assignee in &assignees {
                    change.assignees.push(baton.resolve_person(assignee).await?);
                }
                paths.push("assignees");
            }
            if let Some(due) = due {
                change.due_date = due;
                paths.push("due_date");
            }
            if !blocked_by.is_empty() {
                for blocker in blocked_by.iter().filter(|b| !b.trim().is_empty()) {
                    change.blocked_by.push(baton.resolve_asset(blocker, Some(&project)).await?);
                }
                paths.push("blocked_by");
            }
            if paths.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --name, --description, --weight, --assignee, --due or --blocked-by".into(),
                ));
            }
            let request = UpdateAssetRequest {
                asset: Some(change),
                update_mask: Some(FieldMask { paths: paths.into_iter().map(String::from).collect() }),
                request_id: idempotency.value(),
            };
            baton.assets().update_asset(baton.request(request)).await?.into_inner().asset
        }
        AssetsCommand::Watch { asset } => {
            let name = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            baton.assets().watch_asset(baton.request(WatchAssetRequest { name })).await?.into_inner().asset
        }
        AssetsCommand::Unwatch { asset } => {
            let name = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            baton.assets().unwatch_asset(baton.request(UnwatchAssetRequest { name })).await?.into_inner().asset
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

async fn list(baton: &Baton, out: &Out, project: &str, filter: Option<&str>) -> Result<(), CliError> {
    let project = baton.resolve_project(project).await?;
    let assets = baton.matching_assets(&project, filter.unwrap_or_default()).await?;
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
    let names = baton.display_names(asset.assignees.iter().chain(&asset.watchers)).await?;
    let people = |list: &[String]| {
        let named: Vec<String> =
            list.iter().map(|p| format!("{} ({p})", names.get(p).cloned().unwrap_or_default())).collect();
        if named.is_empty() { "—".to_string() } else { named.join(", ") }
    };
    let status = out.paint(&AssetStatusWord::text(asset.status), status_style(asset.status));
    out.text(&listing(
        out.color,
        &[
            ("name", asset.name.clone()),
            ("title", asset.display_name.clone()),
            ("kind", AssetKindArg::text(asset.kind)),
            ("status", status),
            ("weight", asset.weight.to_string()),
            ("assignees", people(&asset.assignees)),
            ("watchers", people(&asset.watchers)),
            ("due", if asset.due_date.is_empty() { "—".into() } else { asset.due_date.clone() }),
            ("blocked by", if asset.blocked_by.is_empty() { "—".into() } else { asset.blocked_by.join(", ") }),
            ("description", asset.description.clone()),
            ("updated", time(asset.update_time.as_ref())),
            ("etag", asset.etag.clone()),
        ],
    ))
}
