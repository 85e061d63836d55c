//! Briefs on the wire.

use tonic::Status;

use baton_platform::bounds;
use baton_platform::mask;
use baton_platform::names::ProjectName;
use baton_platform::paging;
use baton_platform::time::timestamp;
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::projects::v1 as pb;

use super::PageQuery;
use crate::domain::brief::{
    Brief, BriefContent, BriefField, BriefUpdate, CURRENCIES, KeyResult, MAX_ITEMS, MAX_OBJECTIVES, Money, Objective,
};

/// The longest unit of a key result.
const MAX_UNIT: usize = 20;

pub fn brief(brief: &Brief) -> pb::Brief {
    let content = &brief.content;
    pb::Brief {
        name: format!("{}/brief", brief.project),
        problem: content.problem.clone(),
        audience: content.audience.clone(),
        objectives: content
            .objectives
            .iter()
            .map(|o| pb::Objective {
                title: o.title.clone(),
                key_result: Some(pb::KeyResult {
                    metric: o.key_result.metric.clone(),
                    target: o.key_result.target,
                    current: o.key_result.current,
                    unit: o.key_result.unit.clone(),
                }),
            })
            .collect(),
        requirements: content.requirements.clone(),
        acceptance_criteria: content.acceptance_criteria.clone(),
        constraints: content.constraints.clone(),
        budget: content.budget.as_ref().map(|m| pb::Money {
            currency_code: m.currency_code.clone(),
            units: m.units,
            nanos: m.nanos,
        }),
        strategy: content.strategy.clone(),
        revision: brief.revision,
        update_time: brief.update_time.map(timestamp),
        update_actor: brief.update_actor.clone(),
        etag: brief.etag(),
    }
}

/// `projects/{project}/brief`.
pub fn parse_name(value: &str) -> Result<ProjectName, String> {
    match value.strip_suffix("/brief") {
        Some(project) => ProjectName::parse(project),
        None => Err("must be a brief's name, projects/{project}/brief".into()),
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetBriefRequest) -> Result<ProjectName, Status> {
    validate::single("name", parse_name(&request.name))
}

#[allow(clippy::result_large_err)]
pub fn parse_list_revisions(request: &pb::ListBriefRevisionsRequest) -> Result<(ProjectName, PageQuery<i64>), Status> {
    let mut v = Violations::new();
    let project = v.check("parent", parse_name(&request.parent));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_seq_token(&request.page_token));
    let query = match (project, limit, after) {
        (Some(project), Some(limit), Some(after)) => Some((project, PageQuery { limit, after })),
        _ => None,
    };
    v.finish_with(query)
}

fn items(v: &mut Violations, field: &str, sent: &[String]) -> Vec<String> {
    if sent.len() > MAX_ITEMS {
        v.add(format!("brief.{field}"), format!("must have at most {MAX_ITEMS} entries (got {})", sent.len()));
        return Vec::new();
    }
    sent.iter()
        .enumerate()
        .filter_map(|(i, item)| v.check(&format!("brief.{field}[{i}]"), validate::required_text(item, bounds::COMMENT)))
        .collect()
}

fn finite(value: f64) -> Result<f64, String> {
    if value.is_finite() { Ok(value) } else { Err("must be a finite number".into()) }
}

fn objectives(v: &mut Violations, sent: &[pb::Objective]) -> Vec<Objective> {
    if sent.len() > MAX_OBJECTIVES {
        v.add("brief.objectives", format!("must have at most {MAX_OBJECTIVES} objectives (got {})", sent.len()));
        return Vec::new();
    }
    let mut objectives = Vec::new();
    for (i, objective) in sent.iter().enumerate() {
        let at = format!("brief.objectives[{i}]");
        let title = v.check(&format!("{at}.title"), validate::required_text(&objective.title, bounds::NAME));
        let Some(key_result) = v.required(&format!("{at}.key_result"), objective.key_result.as_ref()) else { continue };
        let metric =
            v.check(&format!("{at}.key_result.metric"), validate::required_text(&key_result.metric, bounds::NAME));
        let target = v.check(&format!("{at}.key_result.target"), finite(key_result.target));
        let current = v.check(&format!("{at}.key_result.current"), finite(key_result.current));
        let unit = v.check(&format!("{at}.key_result.unit"), validate::optional_text(&key_result.unit, MAX_UNIT));
        if let (Some(title), Some(metric), Some(target), Some(current), Some(unit)) =
            (title, metric, target, current, unit)
        {
            objectives.push(Objective { title, key_result: KeyResult { metric, target, current, unit } });
        }
    }
    objectives
}

fn money(v: &mut Violations, sent: &pb::Money) -> Option<Money> {
    let code = sent.currency_code.trim().to_ascii_uppercase();
    if !CURRENCIES.contains(&code.as_str()) {
        v.add(
            "brief.budget.currency_code",
            format!("\"{}\" is not an ISO 4217 currency code such as EUR or USD", sent.currency_code),
        );
    }
    if sent.units < 0 {
        v.add("brief.budget.units", format!("must not be negative (got {})", sent.units));
    }
    if !(0..1_000_000_000).contains(&sent.nanos) {
        v.add("brief.budget.nanos", format!("must be between 0 and 999999999 (got {})", sent.nanos));
    }
    Some(Money { currency_code: code, units: sent.units, nanos: sent.nanos })
}

#[allow(clippy::result_large_err)]
pub fn parse_update(request: pb::UpdateBriefRequest) -> Result<Idempotent<BriefUpdate>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let update = match v.required("brief", request.brief) {
        None => None,
        Some(sent) => {
            let project = v.check("brief.name", parse_name(&sent.name));
            let fields =
                mask::fields(&mut v, request.update_mask.as_ref(), &BriefField::ALL, BriefField::path, |f| match f {
                    BriefField::Problem => !sent.problem.is_empty(),
                    BriefField::Audience => !sent.audience.is_empty(),
                    BriefField::Objectives => !sent.objectives.is_empty(),
                    BriefField::Requirements => !sent.requirements.is_empty(),
                    BriefField::AcceptanceCriteria => !sent.acceptance_criteria.is_empty(),
                    BriefField::Constraints => !sent.constraints.is_empty(),
                    BriefField::Budget => sent.budget.is_some(),
                    BriefField::Strategy => !sent.strategy.is_empty(),
                });
            let mut values = BriefContent::default();
            for field in &fields {
                match field {
                    BriefField::Problem => {
                        values.problem = v
                            .check("brief.problem", validate::optional_text(&sent.problem, bounds::TEXT))
                            .unwrap_or_default();
                    }
                    BriefField::Audience => {
                        values.audience = v
                            .check("brief.audience", validate::optional_text(&sent.audience, bounds::TEXT))
                            .unwrap_or_default();
                    }
                    BriefField::Objectives => values.objectives = objectives(&mut v, &sent.objectives),
                    BriefField::Requirements => values.requirements = items(&mut v, "requirements", &sent.requirements),
                    BriefField::AcceptanceCriteria => {
                        values.acceptance_criteria = items(&mut v, "acceptance_criteria", &sent.acceptance_criteria);
                    }
                    BriefField::Constraints => values.constraints = items(&mut v, "constraints", &sent.constraints),
                    BriefField::Budget => values.budget = sent.budget.as_ref().and_then(|m| money(&mut v, m)),
                    BriefField::Strategy => {
                        values.strategy = v
                            .check("brief.strategy", validate::optional_text(&sent.strategy, bounds::TEXT))
                            .unwrap_or_default();
                    }
                }
            }
            let etag = (!sent.etag.is_empty()).then(|| sent.etag.clone());
            project.map(|project| BriefUpdate { project, fields, values, etag })
        }
    };
    v.finish_idempotent(update, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_their_field() {
        let project = format!("projects/{}/brief", uuid::Uuid::now_v7());
        let status = parse_update(pb::UpdateBriefRequest {
            brief: Some(pb::Brief {
                name: project,
                objectives: vec![
                    pb::Objective { title: "More orders".into(), key_result: None },
                    pb::Objective {
                        title: String::new(),
                        key_result: Some(pb::KeyResult {
                            metric: "orders".into(),
                            target: f64::NAN,
                            ..Default::default()
                        }),
                    },
                ],
                requirements: vec!["A shop".into(), " ".into()],
                budget: Some(pb::Money { currency_code: "EURO".into(), units: -5, nanos: 2_000_000_000 }),
                ..Default::default()
            }),
            update_mask: None,
            request_id: String::new(),
        })
        .expect_err("invalid");
        for field in [
            "brief.objectives[0].key_result",
            "brief.objectives[1].title",
            "brief.objectives[1].key_result.target",
            "brief.requirements[1]",
            "brief.budget.currency_code",
            "brief.budget.units",
            "brief.budget.nanos",
        ] {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
        assert!(parse_name("projects/x").is_err());
    }
}
