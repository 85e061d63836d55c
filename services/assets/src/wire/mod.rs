//! Conversions between the assets service's wire types and its domain, used by `grpc` (and by the
//! events the use cases emit) and nothing below it. Requests are parsed here, once: every field
//! is checked and every broken rule becomes one field violation.

pub mod comments;
pub mod quality;
pub mod versions;

use tonic::Status;
use uuid::Uuid;

use baton_platform::bounds;
use baton_platform::filter::{self, EQUALITY, Field, ORDERED, Op};
use baton_platform::mask;
use baton_platform::names::{AssetName, PersonName, ProjectName};
use baton_platform::paging;
use baton_platform::time::{format_date, parse_date, timestamp};
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::assets::v1 as pb;

use crate::app::SettingsUpdate;
use crate::domain::{
    Asset, AssetCondition, AssetField, AssetKind, AssetStatus, AssetUpdate, ComponentSettings, NewAsset, SettingsField,
    Transition, TransitionRequest,
};

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
        due_date: format_date(asset.due_date),
        watchers: asset.watchers.iter().map(PersonName::to_string).collect(),
        blocked_by: asset.blocked_by.iter().map(AssetName::to_string).collect(),
        retakes: asset.retakes,
        latest_version: asset.latest_version,
        client_visible: Some(asset.client_visible),
        quality: asset.quality.as_ref().map(quality::component_quality),
    }
}

/// The name of a project's component settings, `projects/{project}/componentSettings`.
pub fn settings_name(project: ProjectName) -> String {
    format!("{project}/componentSettings")
}

pub fn settings(settings: &ComponentSettings) -> pb::ComponentSettings {
    pb::ComponentSettings {
        name: settings_name(settings.project),
        retake_cap: settings.retake_cap,
        review_reminder_hours: settings.review_reminder_hours,
        update_time: baton_platform::time::optional_timestamp(settings.update_time),
        etag: settings.etag(),
    }
}

/// The project of a settings name.
fn parse_settings_name(value: &str) -> Result<ProjectName, String> {
    match value.strip_suffix("/componentSettings") {
        Some(project) => ProjectName::parse(project),
        None if value.is_empty() => Err("is required".into()),
        None => Err("must be a resource name of the form projects/{id}/componentSettings".into()),
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_get_settings(request: &pb::GetComponentSettingsRequest) -> Result<ProjectName, Status> {
    validate::single("name", parse_settings_name(&request.name))
}

#[allow(clippy::result_large_err)]
pub fn parse_update_settings(
    request: pb::UpdateComponentSettingsRequest,
) -> Result<Idempotent<SettingsUpdate>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let update = match v.required("settings", request.settings) {
        None => None,
        Some(sent) => {
            let project = v.check("settings.name", parse_settings_name(&sent.name));
            let value = |field: SettingsField| match field {
                SettingsField::RetakeCap => sent.retake_cap,
                SettingsField::ReviewReminderHours => sent.review_reminder_hours,
            };
            let fields =
                mask::fields(&mut v, request.update_mask.as_ref(), &SettingsField::ALL, SettingsField::path, |f| {
                    value(f) != 0
                });
            let named = fields.len();
            let changes: Vec<(SettingsField, i32)> = fields
                .into_iter()
                .filter_map(|field| {
                    let ((max, zero), sent) = (field.bounds(), value(field));
                    let checked = if (0..=max).contains(&sent) {
                        Ok((field, sent))
                    } else {
                        Err(format!("must be from 0 ({zero}) to {max} (got {sent})"))
                    };
                    v.check(&format!("settings.{}", field.path()), checked)
                })
                .collect();
            let etag = (!sent.etag.is_empty()).then(|| sent.etag.clone());
            match project {
                Some(project) if named > 0 && changes.len() == named => Some(SettingsUpdate { project, changes, etag }),
                _ => None,
            }
        }
    };
    v.finish_idempotent(update, request_id)
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

/// People named in one list of an asset (`asset.assignees`, `asset.watchers`): at most
/// [`bounds::PEOPLE_PER_LIST`], each once.
pub(crate) fn people(v: &mut Violations, field: &str, sent: &[String]) -> Option<Vec<PersonName>> {
    if sent.len() > bounds::PEOPLE_PER_LIST {
        let (max, got) = (bounds::PEOPLE_PER_LIST, sent.len());
        v.add(field, format!("must have at most {max} people (got {got})"));
        return None;
    }
    let mut people = Vec::with_capacity(sent.len());
    let mut valid = true;
    for (index, text) in sent.iter().enumerate() {
        let at = format!("{field}[{index}]");
        match v.check(&at, PersonName::parse(text)) {
            Some(person) if people.contains(&person) => {
                v.add(at, format!("{text} is listed twice"));
                valid = false;
            }
            Some(person) => people.push(person),
            None => valid = false,
        }
    }
    valid.then_some(people)
}

/// The assets an asset waits for: of its own project, at most [`bounds::PEOPLE_PER_LIST`], each
/// once. (That they exist, and make no cycle, the use case checks.)
fn blockers(v: &mut Violations, project: Option<ProjectName>, sent: &[String]) -> Option<Vec<AssetName>> {
    if sent.len() > bounds::PEOPLE_PER_LIST {
        let (max, got) = (bounds::PEOPLE_PER_LIST, sent.len());
        v.add("asset.blocked_by", format!("must have at most {max} assets (got {got})"));
        return None;
    }
    let mut blockers = Vec::with_capacity(sent.len());
    let mut valid = true;
    for (index, text) in sent.iter().enumerate() {
        let at = format!("asset.blocked_by[{index}]");
        match v.check(&at, AssetName::parse(text)) {
            Some(asset) if project.is_some_and(|p| asset.project() != p) => {
                v.add(at, format!("{text} is of another project: an asset waits only for its own project's"));
                valid = false;
            }
            Some(asset) if blockers.contains(&asset) => {
                v.add(at, format!("{text} is listed twice"));
                valid = false;
            }
            Some(asset) => blockers.push(asset),
            None => valid = false,
        }
    }
    valid.then_some(blockers)
}

fn weight(v: &mut Violations, sent: u32) -> Option<i32> {
    match sent {
        0 => Some(1),
        w @ 1..=1000 => i32::try_from(w).ok(),
        w => {
            v.add("asset.weight", format!("must be between 1 and 1000 (got {w})"));
            None
        }
    }
}

/// The fields of an asset as sent, each checked.
fn values(v: &mut Violations, project: Option<ProjectName>, asset: &pb::Asset) -> Option<NewAsset> {
    let display_name = v.check("asset.display_name", validate::required_text(&asset.display_name, bounds::NAME));
    let description = v.check("asset.description", validate::optional_text(&asset.description, bounds::TEXT));
    let kind = v.check("asset.kind", parse_kind(asset.kind));
    let weight = weight(v, asset.weight);
    let assignees = people(v, "asset.assignees", &asset.assignees);
    let watchers = people(v, "asset.watchers", &asset.watchers);
    let due_date = v.check("asset.due_date", parse_date(&asset.due_date));
    let blocked_by = blockers(v, project, &asset.blocked_by);
    match (project, display_name, description, kind, weight, assignees, watchers, due_date, blocked_by) {
        (
            Some(project),
            Some(display_name),
            Some(description),
            Some(kind),
            Some(weight),
            Some(assignees),
            Some(watchers),
            Some(due_date),
            Some(blocked_by),
        ) => Some(NewAsset {
            project,
            display_name,
            description,
            kind,
            assignees,
            weight,
            due_date,
            watchers,
            blocked_by,
            client_visible: asset.client_visible.unwrap_or(true),
        }),
        _ => None,
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreateAssetRequest) -> Result<Idempotent<NewAsset>, Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let new = v.required("asset", request.asset).and_then(|asset| values(&mut v, project, &asset));
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_update(request: pb::UpdateAssetRequest) -> Result<Idempotent<AssetUpdate>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let update = match v.required("asset", request.asset) {
        None => None,
        Some(sent) => {
            let name = v.check("asset.name", AssetName::parse(&sent.name));
            let fields =
                mask::fields(&mut v, request.update_mask.as_ref(), &AssetField::ALL, AssetField::path, |f| match f {
                    AssetField::DisplayName => !sent.display_name.is_empty(),
                    AssetField::Description => !sent.description.is_empty(),
                    AssetField::Weight => sent.weight != 0,
                    AssetField::Assignees => !sent.assignees.is_empty(),
                    AssetField::Watchers => !sent.watchers.is_empty(),
                    AssetField::DueDate => !sent.due_date.is_empty(),
                    AssetField::BlockedBy => !sent.blocked_by.is_empty(),
                    AssetField::ClientVisible => sent.client_visible.is_some(),
                });
            // Only the named fields are checked: the others take valid placeholders.
            let mut checked =
                pb::Asset { display_name: "unchanged".into(), kind: pb::AssetKind::Other as i32, ..Default::default() };
            for field in &fields {
                match field {
                    AssetField::DisplayName => checked.display_name = sent.display_name.clone(),
                    AssetField::Description => checked.description = sent.description.clone(),
                    AssetField::Weight => checked.weight = sent.weight,
                    AssetField::Assignees => checked.assignees = sent.assignees.clone(),
                    AssetField::Watchers => checked.watchers = sent.watchers.clone(),
                    AssetField::DueDate => checked.due_date = sent.due_date.clone(),
                    AssetField::BlockedBy => checked.blocked_by = sent.blocked_by.clone(),
                    AssetField::ClientVisible => checked.client_visible = sent.client_visible,
                }
            }
            let values = values(&mut v, name.map(|n| n.project()), &checked);
            let etag = (!sent.etag.is_empty()).then(|| sent.etag.clone());
            match (name, values) {
                (Some(name), Some(values)) => Some(AssetUpdate {
                    name,
                    fields,
                    display_name: values.display_name,
                    description: values.description,
                    weight: values.weight,
                    assignees: values.assignees,
                    watchers: values.watchers,
                    due_date: values.due_date,
                    blocked_by: values.blocked_by,
                    client_visible: values.client_visible,
                    etag,
                }),
                _ => None,
            }
        }
    };
    v.finish_idempotent(update, request_id)
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

/// What to list: the project, the conditions, the page size and where the page starts.
pub struct ListQuery {
    pub project: ProjectName,
    pub conditions: Vec<AssetCondition>,
    pub limit: i64,
    pub after: Option<Uuid>,
}

/// The fields ListAssets filters on.
const LIST_FIELDS: &[Field] = &[
    Field { name: "status", ops: EQUALITY },
    Field { name: "kind", ops: EQUALITY },
    Field { name: "assignee", ops: &[Op::Eq] },
    Field { name: "watcher", ops: &[Op::Eq] },
    Field { name: "due_date", ops: ORDERED },
    Field { name: "quality_failing", ops: EQUALITY },
];

fn condition(condition: filter::Condition) -> Result<AssetCondition, String> {
    let (op, value) = (condition.op, condition.value.as_str());
    let unknown = |what: &str| condition.not_a(what);
    match condition.field {
        "status" => AssetStatus::from_name(value)
            .map(|status| AssetCondition::Status(op, status))
            .ok_or_else(|| unknown("an ASSET_STATUS_")),
        "kind" => AssetKind::from_name(value)
            .map(|kind| AssetCondition::Kind(op, kind))
            .ok_or_else(|| unknown("an ASSET_KIND_")),
        "assignee" => PersonName::parse(value).map(AssetCondition::Assignee).map_err(|_| unknown("people/{person}")),
        "watcher" => PersonName::parse(value).map(AssetCondition::Watcher).map_err(|_| unknown("people/{person}")),
        "due_date" => match parse_date(value) {
            Ok(Some(date)) => Ok(AssetCondition::DueDate(op, date)),
            _ => Err(unknown("a YYYY-MM-DD date")),
        },
        _ => condition.wanted_flag().map(AssetCondition::QualityFailing),
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListAssetsRequest) -> Result<ListQuery, Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let conditions = v.check(
        "filter",
        filter::parse(&request.filter, LIST_FIELDS).and_then(|cs| cs.into_iter().map(condition).collect()),
    );
    let query = match (project, limit, after, conditions) {
        (Some(project), Some(limit), Some(after), Some(conditions)) => {
            Some(ListQuery { project, conditions, limit, after })
        }
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
