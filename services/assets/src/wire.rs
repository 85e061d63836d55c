//! Conversions between the assets service's wire types and its domain, used by `grpc` (and by the
//! events the use cases emit) and nothing below it. Requests are parsed here, once: every field
//! is checked and every broken rule becomes one field violation.

use std::collections::HashSet;

use tonic::Status;
use uuid::Uuid;

use baton_platform::bounds;
use baton_platform::names::{AssetName, PersonName, ProjectName};
use baton_platform::paging;
use baton_platform::time::timestamp;
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::assets::v1 as pb;

use crate::domain::{Asset, AssetKind, AssetStatus, NewAsset, Transition, TransitionRequest};

pub fn asset(asset: &Asset) -> pb::Asset {
    pb::Asset {
        name: asset.name.to_string(),
        display_name: asset.display_name.clone(),
        description: asset.description.clone(),
        kind: kind(asset.kind) as i32,
        status: status(asset.status) as i32,
        assignees: asset.assignees.iter().map(PersonName::to_string).collect(),
        weight: u32::try_from(asset.weight).unwrap_or(1),
        create_time: Some(timestamp(asset.create_time)),
        update_time: Some(timestamp(asset.update_time)),
        etag: asset.etag(),
    }
}

pub fn kind(kind: AssetKind) -> pb::AssetKind {
    pb::AssetKind::from_str_name(kind.as_str()).unwrap_or(pb::AssetKind::Unspecified)
}

pub fn status(status: AssetStatus) -> pb::AssetStatus {
    pb::AssetStatus::from_str_name(status.as_str()).unwrap_or(pb::AssetStatus::Unspecified)
}

/// A kind sent by a client: set and known.
fn parse_kind(value: i32) -> Result<AssetKind, String> {
    let wire = validate::known_enum::<pb::AssetKind>(value, pb::AssetKind::Unspecified as i32)?;
    AssetKind::from_name(wire.as_str_name()).ok_or_else(|| format!("{value} is not a known value"))
}

#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreateAssetRequest) -> Result<Idempotent<NewAsset>, Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let Some(asset) = v.required("asset", request.asset) else {
        return v.finish_with(None);
    };
    let display_name = v.check("asset.display_name", validate::required_text(&asset.display_name, bounds::NAME));
    let description = v.check("asset.description", validate::optional_text(&asset.description, bounds::TEXT));
    let kind = v.check("asset.kind", parse_kind(asset.kind));
    let weight = match asset.weight {
        0 => Some(1),
        w @ 1..=1000 => i32::try_from(w).ok(),
        w => {
            v.add("asset.weight", format!("must be between 1 and 1000 (got {w})"));
            None
        }
    };
    let mut assignees = Vec::with_capacity(asset.assignees.len());
    if asset.assignees.len() > bounds::PEOPLE_PER_LIST {
        let (max, got) = (bounds::PEOPLE_PER_LIST, asset.assignees.len());
        v.add("asset.assignees", format!("must have at most {max} people (got {got})"));
    } else {
        let mut seen = HashSet::new();
        for (index, assignee) in asset.assignees.iter().enumerate() {
            let field = format!("asset.assignees[{index}]");
            if let Some(person) = v.check(&field, PersonName::parse(assignee)) {
                if seen.insert(person) {
                    assignees.push(person);
                } else {
                    v.add(field, format!("{assignee} is listed twice"));
                }
            }
        }
    }
    let new = match (project, display_name, description, kind, weight) {
        (Some(project), Some(display_name), Some(description), Some(kind), Some(weight)) => {
            Some(NewAsset { project, display_name, description, kind, assignees, weight })
        }
        _ => None,
    };
    v.finish_idempotent(new, request_id)
}

/// The fields every workflow request has.
pub struct StepFields<'a> {
    pub name: &'a str,
    pub etag: &'a str,
    pub comment: &'a str,
    pub request_id: &'a str,
}

#[allow(clippy::result_large_err)]
pub fn parse_step(transition: Transition, fields: StepFields<'_>) -> Result<Idempotent<TransitionRequest>, Status> {
    let mut v = Violations::new();
    let asset = v.check("name", AssetName::parse(fields.name));
    let request_id = v.check("request_id", validate::request_id(fields.request_id));
    let comment = if transition == Transition::RequestChanges {
        v.check("comment", validate::required_text(fields.comment, bounds::COMMENT))
    } else {
        v.check("comment", validate::optional_text(fields.comment, bounds::COMMENT))
    };
    let etag = (!fields.etag.is_empty()).then(|| fields.etag.to_string());
    let step = match (asset, comment) {
        (Some(asset), Some(comment)) => Some(TransitionRequest { asset, transition, etag, comment }),
        _ => None,
    };
    v.finish_idempotent(step, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetAssetRequest) -> Result<AssetName, Status> {
    validate::single("name", AssetName::parse(&request.name))
}

/// What to list: the project, the page size and where the page starts.
pub struct ListQuery {
    pub project: ProjectName,
    pub limit: i64,
    pub after: Option<Uuid>,
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListAssetsRequest) -> Result<ListQuery, Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let query = match (project, limit, after) {
        (Some(project), Some(limit), Some(after)) => Some(ListQuery { project, limit, after }),
        _ => None,
    };
    v.finish_with(query)
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
                kind: pb::AssetKind::Animation as i32,
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
        assert!(parse_step(Transition::Approve, fields()).is_ok(), "comment optional");
    }

    #[test]
    fn every_kind_and_status_has_a_wire_value() {
        for value in AssetKind::ALL {
            assert_ne!(kind(*value), pb::AssetKind::Unspecified, "{value}");
            assert_eq!(parse_kind(kind(*value) as i32), Ok(*value));
        }
        for value in AssetStatus::ALL {
            assert_ne!(status(*value), pb::AssetStatus::Unspecified, "{value}");
        }
        assert_eq!(parse_kind(0), Err("is required".into()));
    }
}
