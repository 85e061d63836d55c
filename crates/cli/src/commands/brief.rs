//! `baton brief show|update|history`: a project's brief and strategy, and how it drifted.

use baton_proto::projects::v1::{
    Brief, GetBriefRequest, KeyResult, ListBriefRevisionsRequest, Money, Objective, UpdateBriefRequest,
};
use prost_types::FieldMask;
use serde_json::{Value, json};

use crate::cli::{BriefCommand, BriefUpdate};
use crate::client::Baton;
use crate::error::CliError;
use crate::output::{Cell, Out, Table, listing, short_time};

pub async fn run(baton: &Baton, out: &Out, command: BriefCommand) -> Result<(), CliError> {
    match command {
        BriefCommand::Show { project } => {
            let name = format!("{}/brief", baton.resolve_project(&project).await?);
            let brief = baton.projects().get_brief(baton.request(GetBriefRequest { name })).await?.into_inner();
            show(baton, out, &brief.brief.unwrap_or_default()).await
        }
        BriefCommand::Update(update) => {
            let BriefUpdate {
                project,
                problem,
                audience,
                strategy,
                objectives,
                requirements,
                criteria,
                constraints,
                budget,
                etag,
                idempotency,
            } = *update;
            let name = format!("{}/brief", baton.resolve_project(&project).await?);
            let mut brief = Brief { name, etag: etag.unwrap_or_default(), ..Default::default() };
            let mut paths: Vec<&str> = Vec::new();
            if let Some(problem) = problem {
                brief.problem = problem;
                paths.push("problem");
            }
            if let Some(audience) = audience {
                brief.audience = audience;
                paths.push("audience");
            }
            if let Some(strategy) = strategy {
                brief.strategy = strategy;
                paths.push("strategy");
            }
            if !objectives.is_empty() {
                brief.objectives = objectives.iter().map(|o| objective(o)).collect::<Result<_, _>>()?;
                paths.push("objectives");
            }
            if !requirements.is_empty() {
                brief.requirements = requirements;
                paths.push("requirements");
            }
            if !criteria.is_empty() {
                brief.acceptance_criteria = criteria;
                paths.push("acceptance_criteria");
            }
            if !constraints.is_empty() {
                brief.constraints = constraints;
                paths.push("constraints");
            }
            if let Some(budget) = budget {
                brief.budget = Some(money(&budget)?);
                paths.push("budget");
            }
            if paths.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --problem, --audience, --strategy, --objective, --requirement, \
                     --criterion, --constraint or --budget"
                        .into(),
                ));
            }
            let request = UpdateBriefRequest {
                brief: Some(brief),
                update_mask: Some(FieldMask { paths: paths.into_iter().map(String::from).collect() }),
                request_id: idempotency.value(),
            };
            let brief = baton.projects().update_brief(baton.request(request)).await?.into_inner().brief;
            show(baton, out, &brief.unwrap_or_default()).await
        }
        BriefCommand::History { project } => {
            let parent = format!("{}/brief", baton.resolve_project(&project).await?);
            let request = ListBriefRevisionsRequest { parent, page_size: 1000, page_token: String::new() };
            let revisions = baton.projects().list_brief_revisions(baton.request(request)).await?.into_inner().revisions;
            let briefs: Vec<&Brief> = revisions.iter().filter_map(|r| r.brief.as_ref()).collect();
            let names = baton.display_names(briefs.iter().map(|b| &b.update_actor)).await?;
            if out.json() {
                for revision in &revisions {
                    let brief = revision.brief.clone().unwrap_or_default();
                    out.json_line(&json!({
                        "revision": brief.revision,
                        "update_time": short_time(brief.update_time.as_ref()),
                        "update_actor": brief.update_actor,
                        "changed_fields": revision.changed_fields,
                    }))?;
                }
                return Ok(());
            }
            let mut table = Table::new(&["REVISION", "WHEN", "BY", "CHANGED"]).align_right(0);
            for revision in &revisions {
                let brief = revision.brief.clone().unwrap_or_default();
                let by = names.get(&brief.update_actor).cloned().unwrap_or(brief.update_actor.clone());
                table.row(vec![
                    Cell::from(brief.revision.to_string()),
                    short_time(brief.update_time.as_ref()).into(),
                    by.into(),
                    revision.changed_fields.join(", ").replace('_', " ").into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
    }
}

/// `TITLE;METRIC;CURRENT;TARGET[;UNIT]`, for example `More online orders;orders a week;800;1200`.
fn objective(text: &str) -> Result<Objective, CliError> {
    let parts: Vec<&str> = text.split(';').map(str::trim).collect();
    let number = |value: &str, what: &str| {
        value
            .parse::<f64>()
            .map_err(|_| CliError::Usage(format!("--objective “{text}”: the {what} “{value}” is not a number")))
    };
    match parts.as_slice() {
        [title, metric, current, target, rest @ ..] if rest.len() <= 1 => Ok(Objective {
            title: title.to_string(),
            key_result: Some(KeyResult {
                metric: metric.to_string(),
                current: number(current, "current value")?,
                target: number(target, "target")?,
                unit: rest.first().map(|u| u.to_string()).unwrap_or_default(),
            }),
        }),
        _ => Err(CliError::Usage(format!(
            "--objective “{text}” is not TITLE;METRIC;CURRENT;TARGET[;UNIT], for example \
             “More online orders;orders a week;800;1200”"
        ))),
    }
}

/// `AMOUNT CURRENCY`, for example `48000 EUR` or `1250.50 GBP`.
fn money(text: &str) -> Result<Money, CliError> {
    let wrong = || CliError::Usage(format!("--budget “{text}” is not AMOUNT CURRENCY, for example “48000 EUR”"));
    let (amount, currency) = text.trim().split_once(' ').ok_or_else(wrong)?;
    let (units, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let units: i64 = units.parse().map_err(|_| wrong())?;
    if fraction.len() > 9 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err(wrong());
    }
    let nanos: i32 = if fraction.is_empty() { 0 } else { format!("{fraction:0<9}").parse().map_err(|_| wrong())? };
    Ok(Money { currency_code: currency.trim().to_uppercase(), units, nanos })
}

fn budget(money: Option<&Money>) -> String {
    match money {
        None => "—".into(),
        Some(m) if m.nanos == 0 => format!("{} {}", m.units, m.currency_code),
        Some(m) => format!("{}.{:02} {}", m.units, m.nanos / 10_000_000, m.currency_code),
    }
}

async fn show(baton: &Baton, out: &Out, brief: &Brief) -> Result<(), CliError> {
    let objectives: Vec<String> = brief
        .objectives
        .iter()
        .map(|o| {
            let kr = o.key_result.clone().unwrap_or_default();
            let unit = if kr.unit.is_empty() { String::new() } else { format!(" {}", kr.unit) };
            format!("{}: {} {} → {}{unit}", o.title, kr.metric, kr.current, kr.target)
        })
        .collect();
    if out.json() {
        let value: Value = json!({
            "name": brief.name,
            "problem": brief.problem,
            "audience": brief.audience,
            "objectives": objectives,
            "requirements": brief.requirements,
            "acceptance_criteria": brief.acceptance_criteria,
            "constraints": brief.constraints,
            "budget": budget(brief.budget.as_ref()),
            "strategy": brief.strategy,
            "revision": brief.revision,
            "update_actor": brief.update_actor,
            "etag": brief.etag,
        });
        return out.json_line(&value);
    }
    let by = if brief.update_actor.is_empty() {
        String::new()
    } else {
        let names = baton.display_names([&brief.update_actor]).await?;
        names.get(&brief.update_actor).cloned().unwrap_or_default()
    };
    let list = |items: &[String]| if items.is_empty() { "—".to_string() } else { items.join("; ") };
    out.text(&listing(
        out.color,
        &[
            ("brief", brief.name.clone()),
            ("problem", brief.problem.clone()),
            ("audience", brief.audience.clone()),
            ("objectives", list(&objectives)),
            ("requirements", list(&brief.requirements)),
            ("acceptance", list(&brief.acceptance_criteria)),
            ("constraints", list(&brief.constraints)),
            ("budget", budget(brief.budget.as_ref())),
            ("strategy", brief.strategy.clone()),
            ("revision", format!("{} by {by} {}", brief.revision, short_time(brief.update_time.as_ref()))),
            ("etag", brief.etag.clone()),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_and_budgets_are_typed_as_people_write_them() {
        let o = objective("More online orders; orders a week; 800; 1200; orders").expect("valid");
        let kr = o.key_result.expect("key result");
        assert_eq!(
            (o.title.as_str(), kr.current, kr.target, kr.unit.as_str()),
            ("More online orders", 800.0, 1200.0, "orders")
        );
        assert!(objective("More online orders;orders;lots;1200").is_err());
        assert!(objective("Just a title").is_err());
        let m = money("1250.5 gbp").expect("valid");
        assert_eq!((m.units, m.nanos, m.currency_code.as_str()), (1250, 500_000_000, "GBP"));
        assert_eq!(budget(Some(&m)), "1250.50 GBP");
        assert!(money("lots EUR").is_err() && money("48000").is_err());
    }
}
