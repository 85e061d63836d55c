//! `baton quality checklist|set-check|remove-check|measure|show|project`.

use baton_proto::assets::v1::{
    CheckOutcome, GetAssetRequest, GetQualityChecklistRequest, ListQualityChecklistsRequest, Measurement, MediaMeasure,
    NumberTarget, QualityCheck, QualityChecklist, RecordMeasurementsRequest, UpdateQualityChecklistRequest, Version,
    measurement, quality_check,
};
use baton_proto::projects::v1::GetProjectHealthRequest;
use serde_json::{Value, json};

use crate::cli::{AssetKindArg, CheckSet, FileMeasureArg, QualityCommand};
use crate::client::Baton;
use crate::error::CliError;
use crate::output::{Cell, Out, Table};

pub async fn run(baton: &Baton, out: &Out, command: QualityCommand) -> Result<(), CliError> {
    match command {
        QualityCommand::Checklist { project, kind } => {
            let project = baton.resolve_project(&project).await?;
            let lists = match kind {
                Some(kind) => vec![checklist(baton, &project, kind).await?],
                None => {
                    let request = ListQualityChecklistsRequest { parent: project };
                    baton.assets().list_quality_checklists(baton.request(request)).await?.into_inner().checklists
                }
            };
            for list in &lists {
                print_checklist(out, list)?;
            }
            Ok(())
        }
        QualityCommand::SetCheck(set) => {
            let CheckSet { project, kind, id, title, unit, min, max, flag, text, from_file, etag, idempotency } = *set;
            let project = baton.resolve_project(&project).await?;
            let current = checklist(baton, &project, kind).await?;
            let target = match (min, max, flag, text) {
                (_, _, Some(expected), _) => quality_check::Target::Flag(expected),
                (_, _, _, Some(expected)) => quality_check::Target::Text(expected),
                (None, None, None, None) => {
                    return Err(CliError::Usage("give the target: --min and/or --max, --flag or --text".into()));
                }
                (min, max, None, None) => quality_check::Target::Number(NumberTarget { min, max }),
            };
            let check = QualityCheck {
                id: id.clone(),
                title,
                unit,
                target: Some(target),
                from_media: from_file.map_or(MediaMeasure::Unspecified, media_measure) as i32,
            };
            let mut checks = current.checks.clone();
            match checks.iter_mut().find(|c| c.id == id) {
                Some(existing) => *existing = check,
                None => checks.push(check),
            }
            let changed = update(baton, &current, checks, etag, idempotency.value()).await?;
            if out.json() {
                return out.json_line(&checklist_json(&changed));
            }
            print_checklist(out, &changed)
        }
        QualityCommand::RemoveCheck { project, kind, id, idempotency } => {
            let project = baton.resolve_project(&project).await?;
            let current = checklist(baton, &project, kind).await?;
            if !current.checks.iter().any(|c| c.id == id) {
                return Err(CliError::NotFound(format!("{} has no check \"{id}\"", current.name)));
            }
            let checks = current.checks.iter().filter(|c| c.id != id).cloned().collect();
            let changed = update(baton, &current, checks, Some(current.etag.clone()), idempotency.value()).await?;
            if out.json() {
                return out.json_line(&checklist_json(&changed));
            }
            print_checklist(out, &changed)
        }
        QualityCommand::Measure { asset, number, values, idempotency } => {
            let asset = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let version = super::versions::version_of(baton, &asset, number).await?;
            let measurements = measurements(baton, &asset, &values).await?;
            let request =
                RecordMeasurementsRequest { name: version.name, measurements, request_id: idempotency.value() };
            let measured = baton.assets().record_measurements(baton.request(request)).await?.into_inner();
            let version = measured.version.unwrap_or_default();
            if out.json() {
                return out.json_line(&report_json(&version));
            }
            print_report(out, &version)
        }
        QualityCommand::Show { asset, number } => {
            let asset = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let version = super::versions::version_of(baton, &asset, number).await?;
            if out.json() {
                return out.json_line(&report_json(&version));
            }
            print_report(out, &version)
        }
        QualityCommand::Project { project } => {
            let project = baton.resolve_project(&project).await?;
            let request = GetProjectHealthRequest { name: format!("{project}/health") };
            let health = baton.projects().get_project_health(baton.request(request)).await?.into_inner();
            let quality = health.health.and_then(|h| h.quality).unwrap_or_default();
            if out.json() {
                return out.json_line(&json!({
                    "score": quality.score,
                    "assessed": quality.assessed,
                    "failing": quality.failing.iter().map(|f| json!({
                        "component": f.component,
                        "title": f.display_name,
                        "score": f.score,
                        "failed_checks": f.failed_checks,
                        "status": f.status,
                    })).collect::<Vec<_>>(),
                }));
            }
            match quality.score {
                None => out.line("No component has been assessed yet: submit a version.")?,
                Some(score) => {
                    out.line(format!("Quality {} over {} assessed component(s)", percent(score), quality.assessed))?
                }
            }
            if quality.failing.is_empty() {
                return Ok(());
            }
            let mut table = Table::new(&["COMPONENT", "SCORE", "FAILS"]).align_right(1);
            for failing in &quality.failing {
                table.row(vec![
                    failing.display_name.as_str().into(),
                    percent(failing.score).into(),
                    failing.failed_checks.join(", ").into(),
                ]);
            }
            out.text(&table.render(out.color, 2))
        }
    }
}

fn percent(score: f64) -> String {
    format!("{:.0} %", score * 100.0)
}

fn media_measure(arg: FileMeasureArg) -> MediaMeasure {
    match arg {
        FileMeasureArg::Width => MediaMeasure::Width,
        FileMeasureArg::Height => MediaMeasure::Height,
        FileMeasureArg::Duration => MediaMeasure::DurationSeconds,
        FileMeasureArg::Fps => MediaMeasure::FrameRate,
        FileMeasureArg::Kbps => MediaMeasure::BitrateKbps,
        FileMeasureArg::Lufs => MediaMeasure::LoudnessLufs,
    }
}

async fn checklist(baton: &Baton, project: &str, kind: AssetKindArg) -> Result<QualityChecklist, CliError> {
    let name = format!("{project}/qualityChecklists/{}", AssetKindArg::word(kind.to_proto() as i32));
    let request = GetQualityChecklistRequest { name };
    let list = baton.assets().get_quality_checklist(baton.request(request)).await?.into_inner();
    Ok(list.checklist.unwrap_or_default())
}

async fn update(
    baton: &Baton,
    current: &QualityChecklist,
    checks: Vec<QualityCheck>,
    etag: Option<String>,
    request_id: String,
) -> Result<QualityChecklist, CliError> {
    let request = UpdateQualityChecklistRequest {
        checklist: Some(QualityChecklist {
            name: current.name.clone(),
            checks,
            etag: etag.unwrap_or_default(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask { paths: vec!["checks".into()] }),
        request_id,
    };
    let changed = baton.assets().update_quality_checklist(baton.request(request)).await?.into_inner();
    Ok(changed.checklist.unwrap_or_default())
}

/// `CHECK=VALUE` texts as measurements, each value read as the asset's checklist says its check
/// takes (a number, yes/no, a text); a check the checklist does not have takes a number if the
/// value is one, yes/no if it is one, else the text.
pub async fn measurements(baton: &Baton, asset: &str, values: &[String]) -> Result<Vec<Measurement>, CliError> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let found = baton.assets().get_asset(baton.request(GetAssetRequest { name: asset.to_string() })).await?;
    let kind = found.into_inner().asset.map(|a| a.kind).unwrap_or_default();
    let project = asset.split("/assets/").next().unwrap_or_default();
    let kind = AssetKindArg::from_proto(kind).unwrap_or(AssetKindArg::Other);
    let list = checklist(baton, project, kind).await?;
    values
        .iter()
        .map(|text| {
            let (check, value) = text
                .split_once('=')
                .ok_or_else(|| CliError::Usage(format!("“{text}” is not CHECK=VALUE, for example captions=yes")))?;
            let (check, value) = (check.trim(), value.trim());
            let target = list.checks.iter().find(|c| c.id == check).and_then(|c| c.target.as_ref());
            Ok(Measurement { check: check.to_string(), value: Some(value_of(check, value, target)?) })
        })
        .collect()
}

fn flag_of(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" | "y" => Some(true),
        "no" | "false" | "n" => Some(false),
        _ => None,
    }
}

fn value_of(check: &str, value: &str, target: Option<&quality_check::Target>) -> Result<measurement::Value, CliError> {
    let wrong = |what: &str| CliError::Usage(format!("{check} takes {what}, not “{value}”"));
    match target {
        Some(quality_check::Target::Number(_)) => {
            value.parse().map(measurement::Value::Number).map_err(|_| wrong("a number"))
        }
        Some(quality_check::Target::Flag(_)) => {
            flag_of(value).map(measurement::Value::Flag).ok_or_else(|| wrong("yes or no"))
        }
        Some(quality_check::Target::Text(_)) => Ok(measurement::Value::Text(value.to_string())),
        None => Ok(match (value.parse::<f64>(), flag_of(value)) {
            (Ok(number), _) => measurement::Value::Number(number),
            (_, Some(flag)) => measurement::Value::Flag(flag),
            _ => measurement::Value::Text(value.to_string()),
        }),
    }
}

fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn with_unit(value: String, unit: &str) -> String {
    if unit.is_empty() { value } else { format!("{value} {unit}") }
}

/// A check's target in words: "-15 to -13 LUFS", "at least 1920 px", "yes", "sRGB".
pub fn target_words(check: &QualityCheck) -> String {
    match &check.target {
        Some(quality_check::Target::Number(NumberTarget { min: Some(min), max: Some(max) })) => {
            with_unit(format!("{} to {}", number(*min), number(*max)), &check.unit)
        }
        Some(quality_check::Target::Number(NumberTarget { min: Some(min), max: None })) => {
            format!("at least {}", with_unit(number(*min), &check.unit))
        }
        Some(quality_check::Target::Number(NumberTarget { min: None, max: Some(max) })) => {
            format!("at most {}", with_unit(number(*max), &check.unit))
        }
        Some(quality_check::Target::Flag(expected)) => if *expected { "yes" } else { "no" }.into(),
        Some(quality_check::Target::Text(expected)) => expected.clone(),
        _ => "?".into(),
    }
}

fn value_words(value: Option<&measurement::Value>, unit: &str) -> String {
    match value {
        Some(measurement::Value::Number(n)) => with_unit(number(*n), unit),
        Some(measurement::Value::Flag(f)) => if *f { "yes" } else { "no" }.into(),
        Some(measurement::Value::Text(t)) => t.clone(),
        None => "—".into(),
    }
}

fn media_word(value: i32) -> &'static str {
    match MediaMeasure::try_from(value) {
        Ok(MediaMeasure::Width) => "width",
        Ok(MediaMeasure::Height) => "height",
        Ok(MediaMeasure::DurationSeconds) => "duration",
        Ok(MediaMeasure::FrameRate) => "fps",
        Ok(MediaMeasure::BitrateKbps) => "kbps",
        Ok(MediaMeasure::LoudnessLufs) => "lufs",
        _ => "",
    }
}

fn print_checklist(out: &Out, list: &QualityChecklist) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&checklist_json(list));
    }
    let kind = AssetKindArg::text(list.kind);
    let whose = if list.customized { format!("this project's, etag {}", list.etag) } else { "the defaults".into() };
    out.line(format!("{kind} ({whose})"))?;
    if list.checks.is_empty() {
        return out.line("  no checks");
    }
    let mut table = Table::new(&["CHECK", "TITLE", "TARGET", "FROM FILE"]);
    for check in &list.checks {
        table.row(vec![
            check.id.as_str().into(),
            check.title.as_str().into(),
            target_words(check).into(),
            media_word(check.from_media).into(),
        ]);
    }
    out.text(&table.render(out.color, 2))
}

fn outcome_cell(outcome: i32) -> Cell {
    match CheckOutcome::try_from(outcome) {
        Ok(CheckOutcome::Passed) => Cell::styled("passed", "32"),
        Ok(CheckOutcome::Failed) => Cell::styled("FAILED", "31"),
        _ => Cell::styled("not measured", "2"),
    }
}

fn print_report(out: &Out, version: &Version) -> Result<(), CliError> {
    let report = version.quality.clone().unwrap_or_default();
    let score = report.score.map_or("no score (no checks)".to_string(), percent);
    out.line(format!(
        "Version {}: {score} — {} passed, {} failed, {} not measured",
        version.number, report.passed, report.failed, report.unmeasured
    ))?;
    let mut table = Table::new(&["CHECK", "TARGET", "MEASURED", "RESULT"]);
    for result in &report.results {
        let check = result.check.clone().unwrap_or_default();
        let measured = value_words(result.measured.as_ref().and_then(|m| m.value.as_ref()), &check.unit);
        let measured = if result.from_files { format!("{measured} (file)") } else { measured };
        table.row(vec![
            check.title.as_str().into(),
            target_words(&check).into(),
            measured.into(),
            outcome_cell(result.outcome),
        ]);
    }
    out.text(&table.render(out.color, 2))
}

fn checklist_json(list: &QualityChecklist) -> Value {
    json!({
        "name": list.name,
        "kind": AssetKindArg::word(list.kind),
        "customized": list.customized,
        "etag": list.etag,
        "checks": list.checks.iter().map(|c| json!({
            "id": c.id,
            "title": c.title,
            "target": target_words(c),
            "from_file": media_word(c.from_media),
        })).collect::<Vec<_>>(),
    })
}

fn report_json(version: &Version) -> Value {
    let report = version.quality.clone().unwrap_or_default();
    json!({
        "version": version.name,
        "number": version.number,
        "score": report.score,
        "passed": report.passed,
        "failed": report.failed,
        "unmeasured": report.unmeasured,
        "results": report.results.iter().map(|r| {
            let check = r.check.clone().unwrap_or_default();
            json!({
                "check": check.id,
                "target": target_words(&check),
                "measured": value_words(r.measured.as_ref().and_then(|m| m.value.as_ref()), &check.unit),
                "from_file": r.from_files,
                "outcome": match CheckOutcome::try_from(r.outcome) {
                    Ok(CheckOutcome::Passed) => "passed",
                    Ok(CheckOutcome::Failed) => "failed",
                    _ => "unmeasured",
                },
            })
        }).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_values_read_as_people_write_them() {
        let check = |target, unit: &str| QualityCheck { unit: unit.into(), target: Some(target), ..Default::default() };
        let range = quality_check::Target::Number(NumberTarget { min: Some(-15.0), max: Some(-13.0) });
        assert_eq!(target_words(&check(range.clone(), "LUFS")), "-15 to -13 LUFS");
        let floor = quality_check::Target::Number(NumberTarget { min: Some(23.976), max: None });
        assert_eq!(target_words(&check(floor, "fps")), "at least 23.976 fps");
        assert_eq!(
            value_of("captions", "Yes", Some(&quality_check::Target::Flag(true))).ok(),
            Some(measurement::Value::Flag(true))
        );
        assert!(value_of("loudness_lufs", "loud", Some(&range)).is_err());
        assert_eq!(value_of("grain", "-2.5", None).ok(), Some(measurement::Value::Number(-2.5)));
        assert_eq!(value_of("profile", "sRGB", None).ok(), Some(measurement::Value::Text("sRGB".into())));
    }
}
