//! Obstacles on the wire.

use tonic::Status;
use uuid::Uuid;

use baton_platform::bounds;
use baton_platform::filter::{self, EQUALITY, Field, ORDERED};
use baton_platform::mask;
use baton_platform::names::{AssetName, ObstacleName, PersonName, ProjectName};
use baton_platform::paging;
use baton_platform::time::timestamp;
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::projects::v1 as pb;

use super::PageQuery;
use crate::domain::obstacle::{
    Obstacle, ObstacleAction, ObstacleChange, ObstacleCondition, ObstacleField, ObstacleFields, ObstacleKind,
    ObstacleState, Severity,
};

fn wire_enum<W: Copy>(name: &str, from_name: fn(&str) -> Option<W>, unspecified: W) -> W {
    from_name(name).unwrap_or(unspecified)
}

pub fn obstacle(obstacle: &Obstacle) -> pb::Obstacle {
    let fields = &obstacle.fields;
    pb::Obstacle {
        name: obstacle.name.to_string(),
        title: fields.title.clone(),
        description: fields.description.clone(),
        kind: wire_enum(fields.kind.as_str(), pb::ObstacleKind::from_str_name, pb::ObstacleKind::Unspecified) as i32,
        severity: wire_enum(
            fields.severity.as_str(),
            pb::ObstacleSeverity::from_str_name,
            pb::ObstacleSeverity::Unspecified,
        ) as i32,
        component: fields.component.map(|c| c.to_string()).unwrap_or_default(),
        owner: fields.owner.map(|o| o.to_string()).unwrap_or_default(),
        raised_by: obstacle.raised_by.clone(),
        state: wire_enum(obstacle.state.as_str(), pb::ObstacleState::from_str_name, pb::ObstacleState::Unspecified)
            as i32,
        resolution: obstacle.resolution.clone(),
        create_time: Some(timestamp(obstacle.create_time)),
        update_time: Some(timestamp(obstacle.update_time)),
        resolve_time: obstacle.resolve_time.map(timestamp),
        etag: obstacle.etag(),
    }
}

fn kind(value: i32) -> Result<ObstacleKind, String> {
    let wire = validate::known_enum::<pb::ObstacleKind>(value, pb::ObstacleKind::Unspecified as i32)?;
    ObstacleKind::from_name(wire.as_str_name()).ok_or_else(|| format!("{value} is not a known value"))
}

fn severity(value: i32) -> Result<Severity, String> {
    let wire = validate::known_enum::<pb::ObstacleSeverity>(value, pb::ObstacleSeverity::Unspecified as i32)?;
    Severity::from_name(wire.as_str_name()).ok_or_else(|| format!("{value} is not a known value"))
}

/// A component of `project`, or none.
fn component(value: &str, project: Option<ProjectName>) -> Result<Option<AssetName>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    let asset = AssetName::parse(value)?;
    match project {
        Some(project) if asset.project() != project => {
            Err(format!("names a component of another project than {project}"))
        }
        _ => Ok(Some(asset)),
    }
}

fn owner(value: &str) -> Result<Option<PersonName>, String> {
    if value.is_empty() { Ok(None) } else { PersonName::parse(value).map(Some) }
}

/// The fields of an obstacle as sent, those in `only` checked (all when `None`).
fn fields(
    v: &mut Violations,
    sent: &pb::Obstacle,
    project: Option<ProjectName>,
    only: Option<&[ObstacleField]>,
) -> Option<ObstacleFields> {
    let wanted = |field: ObstacleField| only.is_none_or(|only| only.contains(&field));
    let title = if wanted(ObstacleField::Title) {
        v.check("obstacle.title", validate::required_text(&sent.title, bounds::NAME))
    } else {
        Some(String::new())
    };
    let description = if wanted(ObstacleField::Description) {
        v.check("obstacle.description", validate::optional_text(&sent.description, bounds::TEXT))
    } else {
        Some(String::new())
    };
    let kind =
        if wanted(ObstacleField::Kind) { v.check("obstacle.kind", kind(sent.kind)) } else { Some(ObstacleKind::Risk) };
    let severity = if wanted(ObstacleField::Severity) {
        v.check("obstacle.severity", severity(sent.severity))
    } else {
        Some(Severity::Low)
    };
    let component = if wanted(ObstacleField::Component) {
        v.check("obstacle.component", component(&sent.component, project))
    } else {
        Some(None)
    };
    let owner = if wanted(ObstacleField::Owner) { v.check("obstacle.owner", owner(&sent.owner)) } else { Some(None) };
    match (title, description, kind, severity, component, owner) {
        (Some(title), Some(description), Some(kind), Some(severity), Some(component), Some(owner)) => {
            Some(ObstacleFields { title, description, kind, severity, component, owner })
        }
        _ => None,
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_raise(request: pb::RaiseObstacleRequest) -> Result<Idempotent<(ProjectName, ObstacleFields)>, Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let fields = v.required("obstacle", request.obstacle.as_ref()).and_then(|sent| fields(&mut v, sent, project, None));
    v.finish_idempotent(project.zip(fields), request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetObstacleRequest) -> Result<ObstacleName, Status> {
    validate::single("name", ObstacleName::parse(&request.name))
}

const LIST_FIELDS: &[Field] = &[
    Field { name: "state", ops: EQUALITY },
    Field { name: "kind", ops: EQUALITY },
    Field { name: "severity", ops: ORDERED },
    Field { name: "owner", ops: EQUALITY },
    Field { name: "component", ops: EQUALITY },
];

fn condition(condition: filter::Condition) -> Result<ObstacleCondition, String> {
    let op = condition.op;
    let value = condition.value.as_str();
    let unknown = |what: &str| condition.not_a(what);
    match condition.field {
        "state" => ObstacleState::from_name(value)
            .map(|s| ObstacleCondition::State(op, s))
            .ok_or_else(|| unknown("an OBSTACLE_STATE_")),
        "kind" => ObstacleKind::from_name(value)
            .map(|k| ObstacleCondition::Kind(op, k))
            .ok_or_else(|| unknown("an OBSTACLE_KIND_")),
        "severity" => Severity::from_name(value)
            .map(|s| ObstacleCondition::Severity(op, s))
            .ok_or_else(|| unknown("an OBSTACLE_SEVERITY_")),
        "owner" => {
            PersonName::parse(value).map(|p| ObstacleCondition::Owner(op, p)).map_err(|_| unknown("people/{person}"))
        }
        _ => AssetName::parse(value)
            .map(|a| ObstacleCondition::Component(op, a))
            .map_err(|_| unknown("projects/{project}/assets/{asset}")),
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_list(
    request: &pb::ListObstaclesRequest,
) -> Result<(ProjectName, Vec<ObstacleCondition>, PageQuery<Uuid>), Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let conditions = v.check(
        "filter",
        filter::parse(&request.filter, LIST_FIELDS)
            .and_then(|cs| cs.into_iter().map(condition).collect::<Result<Vec<_>, _>>()),
    );
    let query = match (project, conditions, limit, after) {
        (Some(project), Some(conditions), Some(limit), Some(after)) => {
            Some((project, conditions, PageQuery { limit, after }))
        }
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_update(request: pb::UpdateObstacleRequest) -> Result<Idempotent<ObstacleChange>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let change =
        match v.required("obstacle", request.obstacle) {
            None => None,
            Some(sent) => {
                let name = v.check("obstacle.name", ObstacleName::parse(&sent.name));
                let only =
                    mask::fields(&mut v, request.update_mask.as_ref(), &ObstacleField::ALL, ObstacleField::path, |f| {
                        match f {
                            ObstacleField::Title => !sent.title.is_empty(),
                            ObstacleField::Description => !sent.description.is_empty(),
                            ObstacleField::Kind => sent.kind != 0,
                            ObstacleField::Severity => sent.severity != 0,
                            ObstacleField::Component => !sent.component.is_empty(),
                            ObstacleField::Owner => !sent.owner.is_empty(),
                        }
                    });
                let values = fields(&mut v, &sent, name.map(|n| n.project()), Some(&only));
                let etag = (!sent.etag.is_empty()).then(|| sent.etag.clone());
                match (name, values) {
                    (Some(name), Some(values)) => {
                        Some(ObstacleChange { name, action: ObstacleAction::Update { fields: only, values }, etag })
                    }
                    _ => None,
                }
            }
        };
    v.finish_idempotent(change, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_resolve(request: &pb::ResolveObstacleRequest) -> Result<Idempotent<ObstacleChange>, Status> {
    let mut v = Violations::new();
    let name = v.check("name", ObstacleName::parse(&request.name));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let resolution = v.check("resolution", validate::required_text(&request.resolution, bounds::COMMENT));
    let etag = (!request.etag.is_empty()).then(|| request.etag.clone());
    let change = name.zip(resolution).map(|(name, resolution)| ObstacleChange {
        name,
        action: ObstacleAction::Resolve { resolution },
        etag,
    });
    v.finish_idempotent(change, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_reopen(request: &pb::ReopenObstacleRequest) -> Result<Idempotent<ObstacleChange>, Status> {
    let mut v = Violations::new();
    let name = v.check("name", ObstacleName::parse(&request.name));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let etag = (!request.etag.is_empty()).then(|| request.etag.clone());
    let change = name.map(|name| ObstacleChange { name, action: ObstacleAction::Reopen, etag });
    v.finish_idempotent(change, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raise_checks_every_field() {
        let project = ProjectName::new(Uuid::now_v7());
        let other = ProjectName::new(Uuid::now_v7());
        let status = parse_raise(pb::RaiseObstacleRequest {
            parent: project.to_string(),
            obstacle: Some(pb::Obstacle {
                title: String::new(),
                kind: 9,
                severity: 0,
                component: AssetName::new(other, Uuid::now_v7()).to_string(),
                owner: "someone".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .expect_err("invalid");
        for field in ["obstacle.title", "obstacle.kind", "obstacle.severity", "obstacle.component", "obstacle.owner"] {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
    }

    #[test]
    fn severity_filters_compare_in_order() {
        let request = pb::ListObstaclesRequest {
            parent: ProjectName::new(Uuid::now_v7()).to_string(),
            filter: "severity >= OBSTACLE_SEVERITY_HIGH AND state = OBSTACLE_STATE_OPEN".into(),
            ..Default::default()
        };
        let (_, conditions, _) = parse_list(&request).expect("valid");
        assert_eq!(conditions.len(), 2);
        let bad = pb::ListObstaclesRequest { filter: "kind > OBSTACLE_KIND_RISK".into(), ..request };
        assert!(parse_list(&bad).expect_err("kind is not ordered").message().contains("kind takes = !="));
    }
}
