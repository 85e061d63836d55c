//! Milestones on the wire.

use time::Date;
use tonic::Status;
use uuid::Uuid;

use baton_platform::bounds;
use baton_platform::mask;
use baton_platform::names::{AssetName, MilestoneName, ProjectName};
use baton_platform::paging;
use baton_platform::time::{format_date, parse_date, timestamp};
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::projects::v1 as pb;

use crate::domain::milestone::{MAX_COMPONENTS, MilestoneField, MilestoneFields, MilestoneUpdate, MilestoneView};

pub fn milestone(view: &MilestoneView) -> pb::Milestone {
    let m = &view.milestone;
    pb::Milestone {
        name: m.name.to_string(),
        title: m.fields.title.clone(),
        due_date: format_date(Some(m.fields.due_date)),
        components: m.fields.components.iter().map(|c| c.to_string()).collect(),
        state: pb::MilestoneState::from_str_name(view.state.as_str()).unwrap_or_default() as i32,
        done_components: view.done_components,
        create_time: Some(timestamp(m.create_time)),
        update_time: Some(timestamp(m.update_time)),
        etag: m.etag(),
    }
}

fn components(v: &mut Violations, sent: &[String], project: Option<ProjectName>) -> Vec<AssetName> {
    if sent.len() > MAX_COMPONENTS {
        v.add("milestone.components", format!("must have at most {MAX_COMPONENTS} components (got {})", sent.len()));
        return Vec::new();
    }
    let mut components: Vec<AssetName> = Vec::new();
    for (i, value) in sent.iter().enumerate() {
        let field = format!("milestone.components[{i}]");
        match AssetName::parse(value) {
            Ok(asset) if project.is_some_and(|p| asset.project() != p) => {
                v.add(field, "names a component of another project".to_string());
            }
            Ok(asset) if components.contains(&asset) => v.add(field, format!("names {asset} a second time")),
            Ok(asset) => components.push(asset),
            Err(e) => v.add(field, e),
        }
    }
    components
}

fn due(value: &str) -> Result<Date, String> {
    parse_date(value)?.ok_or_else(|| "is required".to_string())
}

#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreateMilestoneRequest) -> Result<Idempotent<(ProjectName, MilestoneFields)>, Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let fields = match v.required("milestone", request.milestone) {
        None => None,
        Some(sent) => {
            let title = v.check("milestone.title", validate::required_text(&sent.title, bounds::NAME));
            let due_date = v.check("milestone.due_date", due(&sent.due_date));
            let components = components(&mut v, &sent.components, project);
            title.zip(due_date).map(|(title, due_date)| MilestoneFields { title, due_date, components })
        }
    };
    v.finish_idempotent(project.zip(fields), request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetMilestoneRequest) -> Result<MilestoneName, Status> {
    validate::single("name", MilestoneName::parse(&request.name))
}

/// Where a page of milestones starts: after this due date and id.
pub type MilestoneCursor = (Date, Uuid);

/// A page token of ListMilestones: the due date and id of the last one shown.
pub fn page_token(view: &MilestoneView) -> String {
    format!("{}|{}", format_date(Some(view.milestone.fields.due_date)), view.milestone.name.id)
}

fn decode_token(token: &str) -> Result<Option<MilestoneCursor>, String> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || "is not a page token this service issued".to_string();
    let (date, id) = token.split_once('|').ok_or_else(bad)?;
    let date = parse_date(date).ok().flatten().ok_or_else(bad)?;
    Ok(Some((date, Uuid::parse_str(id).map_err(|_| bad())?)))
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListMilestonesRequest) -> Result<(ProjectName, i64, Option<MilestoneCursor>), Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", decode_token(&request.page_token));
    let query = match (project, limit, after) {
        (Some(project), Some(limit), Some(after)) => Some((project, limit, after)),
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_update(request: pb::UpdateMilestoneRequest) -> Result<Idempotent<MilestoneUpdate>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let update = match v.required("milestone", request.milestone) {
        None => None,
        Some(sent) => {
            let name = v.check("milestone.name", MilestoneName::parse(&sent.name));
            let fields =
                mask::fields(&mut v, request.update_mask.as_ref(), &MilestoneField::ALL, MilestoneField::path, |f| {
                    match f {
                        MilestoneField::Title => !sent.title.is_empty(),
                        MilestoneField::DueDate => !sent.due_date.is_empty(),
                        MilestoneField::Components => !sent.components.is_empty(),
                    }
                });
            let title = if fields.contains(&MilestoneField::Title) {
                v.check("milestone.title", validate::required_text(&sent.title, bounds::NAME))
            } else {
                Some(String::new())
            };
            let due_date = if fields.contains(&MilestoneField::DueDate) {
                v.check("milestone.due_date", due(&sent.due_date))
            } else {
                Some(Date::MIN)
            };
            let components = if fields.contains(&MilestoneField::Components) {
                components(&mut v, &sent.components, name.map(|n| n.project()))
            } else {
                Vec::new()
            };
            let etag = (!sent.etag.is_empty()).then(|| sent.etag.clone());
            match (name, title, due_date) {
                (Some(name), Some(title), Some(due_date)) => Some(MilestoneUpdate {
                    name,
                    fields,
                    values: MilestoneFields { title, due_date, components },
                    etag,
                }),
                _ => None,
            }
        }
    };
    v.finish_idempotent(update, request_id)
}
