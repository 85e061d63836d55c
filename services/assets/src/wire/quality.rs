//! Quality checklists, measurements and reports on the wire.

use std::collections::HashSet;

use tonic::Status;

use baton_platform::bounds;
use baton_platform::mask;
use baton_platform::names::{ProjectName, VersionName};
use baton_platform::time::optional_timestamp;
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::assets::v1 as pb;

use crate::app::{ChecklistUpdate, Measuring};
use crate::domain::AssetKind;
use crate::domain::quality::{
    Check, CheckResult, Checklist, ComponentQuality, MAX_CHECKS, MAX_MEASUREMENTS, Measurement, MediaMeasure, Report,
    Target, Value,
};

/// The longest check id.
const CHECK_ID: usize = 40;
/// The longest unit.
const UNIT: usize = 20;

/// A kind as it appears in a checklist's name: `video`, `web-page`, …
pub fn kind_segment(kind: AssetKind) -> String {
    kind.as_str().trim_start_matches("ASSET_KIND_").to_ascii_lowercase().replace('_', "-")
}

pub fn checklist_name(project: ProjectName, kind: AssetKind) -> String {
    format!("{project}/qualityChecklists/{}", kind_segment(kind))
}

/// The project and kind of a checklist name.
pub fn parse_checklist_name(value: &str) -> Result<(ProjectName, AssetKind), String> {
    let shape = || "must be a resource name of the form projects/{id}/qualityChecklists/{kind}".to_string();
    if value.is_empty() {
        return Err("is required".into());
    }
    let (project, kind) = value.split_once("/qualityChecklists/").ok_or_else(shape)?;
    let project = ProjectName::parse(project)?;
    match AssetKind::ALL.iter().find(|k| kind_segment(**k) == kind) {
        Some(kind) => Ok((project, *kind)),
        None => Err(format!(
            "names the kind \"{kind}\", which is none of {}",
            AssetKind::ALL.iter().map(|k| kind_segment(*k)).collect::<Vec<_>>().join(", ")
        )),
    }
}

pub fn checklist(list: &Checklist) -> pb::QualityChecklist {
    pb::QualityChecklist {
        name: checklist_name(list.project, list.kind),
        kind: super::kind(list.kind) as i32,
        checks: list.checks.iter().map(check).collect(),
        customized: list.customized(),
        update_time: optional_timestamp(list.update_time),
        etag: list.etag(),
    }
}

fn check(check: &Check) -> pb::QualityCheck {
    let target = match &check.target {
        Target::Number { min, max } => pb::quality_check::Target::Number(pb::NumberTarget { min: *min, max: *max }),
        Target::Flag(expected) => pb::quality_check::Target::Flag(*expected),
        Target::Text(expected) => pb::quality_check::Target::Text(expected.clone()),
    };
    pb::QualityCheck {
        id: check.id.clone(),
        title: check.title.clone(),
        unit: check.unit.clone(),
        target: Some(target),
        from_media: check
            .from_media
            .and_then(|m| pb::MediaMeasure::from_str_name(m.as_str()))
            .unwrap_or(pb::MediaMeasure::Unspecified) as i32,
    }
}

pub fn measurement(m: &Measurement) -> pb::Measurement {
    let value = match &m.value {
        Value::Number(n) => pb::measurement::Value::Number(*n),
        Value::Flag(f) => pb::measurement::Value::Flag(*f),
        Value::Text(t) => pb::measurement::Value::Text(t.clone()),
    };
    pb::Measurement { check: m.check.clone(), value: Some(value) }
}

pub fn report(report: &Report) -> pb::QualityReport {
    pb::QualityReport {
        results: report.results.iter().map(result).collect(),
        passed: report.passed(),
        failed: report.failed(),
        unmeasured: report.unmeasured(),
        score: report.score(),
    }
}

fn result(r: &CheckResult) -> pb::CheckResult {
    pb::CheckResult {
        check: Some(check(&r.check)),
        measured: r
            .measured
            .as_ref()
            .map(|value| measurement(&Measurement { check: r.check.id.clone(), value: value.clone() })),
        from_files: r.from_files,
        outcome: pb::CheckOutcome::from_str_name(r.outcome.as_str()).unwrap_or_default() as i32,
    }
}

pub fn component_quality(q: &ComponentQuality) -> pb::ComponentQuality {
    pb::ComponentQuality {
        version: q.version,
        score: q.score,
        passed: q.passed,
        failed: q.failed,
        unmeasured: q.unmeasured,
        failed_checks: q.failed_checks.clone(),
    }
}

/// A check id: a lower-case letter, then lower-case letters, digits or `_`; at most 40.
fn check_id(value: &str) -> Result<String, String> {
    let mut chars = value.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && value.len() <= CHECK_ID;
    if value.is_empty() {
        Err("is required".into())
    } else if valid {
        Ok(value.to_string())
    } else {
        Err(format!(
            "must be 1 to {CHECK_ID} characters: a lower-case letter, then lower-case letters, digits or _ (got \"{}\")",
            value.chars().take(50).collect::<String>()
        ))
    }
}

fn bound(v: &mut Violations, field: String, value: Option<f64>) -> Option<Option<f64>> {
    match value {
        Some(n) if !n.is_finite() => {
            v.add(field, "must be a finite number");
            None
        }
        other => Some(other),
    }
}

fn target(v: &mut Violations, at: &dyn Fn(&str) -> String, sent: &pb::QualityCheck) -> Option<Target> {
    match &sent.target {
        None => {
            v.add(at("target"), "is required: a number, flag or text target");
            None
        }
        Some(pb::quality_check::Target::Number(n)) => {
            let min = bound(v, at("number.min"), n.min);
            let max = bound(v, at("number.max"), n.max);
            let (min, max) = (min?, max?);
            match (min, max) {
                (None, None) => {
                    v.add(at("number"), "must set min, max or both");
                    None
                }
                (Some(low), Some(high)) if low > high => {
                    v.add(at("number.min"), format!("must not be above max ({low} > {high})"));
                    None
                }
                _ => Some(Target::Number { min, max }),
            }
        }
        Some(pb::quality_check::Target::Flag(expected)) => Some(Target::Flag(*expected)),
        Some(pb::quality_check::Target::Text(expected)) => {
            v.check(&at("text"), validate::required_text(expected, bounds::NAME)).map(Target::Text)
        }
    }
}

/// The checks of a checklist: at most 30, ids unique, each with its target.
fn checks(v: &mut Violations, sent: &[pb::QualityCheck]) -> Option<Vec<Check>> {
    if sent.len() > MAX_CHECKS {
        v.add("checklist.checks", format!("must have at most {MAX_CHECKS} checks (got {})", sent.len()));
        return None;
    }
    let mut seen = HashSet::new();
    let mut repeated = false;
    let mut checks = Vec::with_capacity(sent.len());
    for (i, c) in sent.iter().enumerate() {
        let at = |name: &str| format!("checklist.checks[{i}].{name}");
        let id = v.check(&at("id"), check_id(&c.id));
        if let Some(id) = &id
            && !seen.insert(id.clone())
        {
            v.add(at("id"), format!("\"{id}\" is used by an earlier check"));
            repeated = true;
        }
        let title = v.check(&at("title"), validate::required_text(&c.title, bounds::NAME));
        let unit = v.check(&at("unit"), validate::optional_text(&c.unit, UNIT));
        let target = target(v, &at, c);
        let from_media = match pb::MediaMeasure::try_from(c.from_media) {
            Ok(pb::MediaMeasure::Unspecified) => Some(None),
            Ok(measure) if matches!(target, Some(Target::Number { .. })) => {
                MediaMeasure::from_name(measure.as_str_name()).map(Some)
            }
            Ok(_) => {
                v.add(at("from_media"), "applies to number checks only");
                None
            }
            Err(_) => {
                v.add(at("from_media"), format!("{} is not a known value", c.from_media));
                None
            }
        };
        if let (Some(id), Some(title), Some(unit), Some(target), Some(from_media)) =
            (id, title, unit, target, from_media)
        {
            checks.push(Check { id, title, unit, target, from_media });
        }
    }
    (checks.len() == sent.len() && !repeated).then_some(checks)
}

/// Measurements: at most 50, one per check id, each with a value.
pub fn measurements(v: &mut Violations, field: &str, sent: &[pb::Measurement]) -> Option<Vec<Measurement>> {
    if sent.len() > MAX_MEASUREMENTS {
        v.add(field, format!("must have at most {MAX_MEASUREMENTS} measurements (got {})", sent.len()));
        return None;
    }
    let mut seen = HashSet::new();
    let mut repeated = false;
    let mut measured = Vec::with_capacity(sent.len());
    for (i, m) in sent.iter().enumerate() {
        let at = |name: &str| format!("{field}[{i}].{name}");
        let check = v.check(&at("check"), check_id(&m.check));
        if let Some(check) = &check
            && !seen.insert(check.clone())
        {
            v.add(at("check"), format!("\"{check}\" is measured by an earlier measurement"));
            repeated = true;
        }
        let value = match &m.value {
            None => {
                v.add(at("value"), "is required: a number, flag or text");
                None
            }
            Some(pb::measurement::Value::Number(n)) if !n.is_finite() => {
                v.add(at("number"), "must be a finite number");
                None
            }
            Some(pb::measurement::Value::Number(n)) => Some(Value::Number(*n)),
            Some(pb::measurement::Value::Flag(f)) => Some(Value::Flag(*f)),
            Some(pb::measurement::Value::Text(t)) => {
                v.check(&at("text"), validate::required_text(t, bounds::NAME)).map(Value::Text)
            }
        };
        if let (Some(check), Some(value)) = (check, value) {
            measured.push(Measurement { check, value });
        }
    }
    (measured.len() == sent.len() && !repeated).then_some(measured)
}

#[allow(clippy::result_large_err)]
pub fn parse_get_checklist(request: &pb::GetQualityChecklistRequest) -> Result<(ProjectName, AssetKind), Status> {
    validate::single("name", parse_checklist_name(&request.name))
}

#[allow(clippy::result_large_err)]
pub fn parse_list_checklists(request: &pb::ListQualityChecklistsRequest) -> Result<ProjectName, Status> {
    validate::single("parent", ProjectName::parse(&request.parent))
}

#[allow(clippy::result_large_err)]
pub fn parse_update_checklist(
    request: pb::UpdateQualityChecklistRequest,
) -> Result<Idempotent<ChecklistUpdate>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let update = match v.required("checklist", request.checklist) {
        None => None,
        Some(sent) => {
            let name = v.check("checklist.name", parse_checklist_name(&sent.name));
            // The one field an update changes; an empty list of checks is a change too.
            mask::fields(&mut v, request.update_mask.as_ref(), &["checks"], |f| f, |_| true);
            let checks = checks(&mut v, &sent.checks);
            let etag = (!sent.etag.is_empty()).then_some(sent.etag);
            match (name, checks) {
                (Some((project, kind)), Some(checks)) => Some(ChecklistUpdate { project, kind, checks, etag }),
                _ => None,
            }
        }
    };
    v.finish_idempotent(update, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_record(request: &pb::RecordMeasurementsRequest) -> Result<Idempotent<Measuring>, Status> {
    let mut v = Violations::new();
    let version = v.check("name", VersionName::parse(&request.name));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    if request.measurements.is_empty() {
        v.add("measurements", "must have at least one measurement");
    }
    let measurements = measurements(&mut v, "measurements", &request.measurements);
    let measuring = match (version, measurements) {
        (Some(version), Some(measurements)) if !measurements.is_empty() => Some(Measuring { version, measurements }),
        _ => None,
    };
    v.finish_idempotent(measuring, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_each(status: &Status, fields: &[&str]) {
        for field in fields {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
    }

    #[test]
    fn a_checklist_name_has_a_kind_segment() {
        let project = ProjectName::new(uuid::Uuid::now_v7());
        for kind in AssetKind::ALL {
            assert_eq!(parse_checklist_name(&checklist_name(project, *kind)), Ok((project, *kind)));
        }
        assert_eq!(checklist_name(project, AssetKind::WebPage), format!("{project}/qualityChecklists/web-page"));
        let unknown = parse_checklist_name(&format!("{project}/qualityChecklists/hologram")).expect_err("unknown");
        assert!(unknown.contains("none of graphic, animation"), "{unknown}");
    }

    #[test]
    fn checks_are_refused_field_by_field() {
        let project = ProjectName::new(uuid::Uuid::now_v7());
        let number = |min, max| Some(pb::quality_check::Target::Number(pb::NumberTarget { min, max }));
        let sent = vec![
            pb::QualityCheck {
                id: "Loud".into(),
                title: "Loudness".into(),
                target: number(Some(-15.0), None),
                ..Default::default()
            },
            pb::QualityCheck { id: "peak".into(), title: "".into(), target: number(None, None), ..Default::default() },
            pb::QualityCheck {
                id: "peak".into(),
                title: "Peak".into(),
                target: number(Some(2.0), Some(1.0)),
                ..Default::default()
            },
            pb::QualityCheck {
                id: "captions".into(),
                title: "Captions".into(),
                target: Some(pb::quality_check::Target::Flag(true)),
                from_media: pb::MediaMeasure::Width as i32,
                ..Default::default()
            },
            pb::QualityCheck { id: "profile".into(), title: "Profile".into(), ..Default::default() },
        ];
        let request = pb::UpdateQualityChecklistRequest {
            checklist: Some(pb::QualityChecklist {
                name: checklist_name(project, AssetKind::Audio),
                checks: sent,
                ..Default::default()
            }),
            ..Default::default()
        };
        let status = parse_update_checklist(request).expect_err("invalid");
        names_each(
            &status,
            &[
                "checklist.checks[0].id",
                "checklist.checks[1].title",
                "checklist.checks[1].number",
                "checklist.checks[2].id",
                "checklist.checks[2].number.min",
                "checklist.checks[3].from_media",
                "checklist.checks[4].target",
            ],
        );
        assert!(status.message().contains("\"peak\" is used by an earlier check"), "{}", status.message());
    }

    #[test]
    fn measurements_need_a_value_and_one_per_check() {
        let request = pb::RecordMeasurementsRequest {
            name: "projects/00000000-0000-7000-8000-000000000001/assets/00000000-0000-7000-8000-000000000002/versions/00000000-0000-7000-8000-000000000003".into(),
            measurements: vec![
                pb::Measurement { check: "captions".into(), value: Some(pb::measurement::Value::Flag(true)) },
                pb::Measurement { check: "captions".into(), value: Some(pb::measurement::Value::Flag(false)) },
                pb::Measurement { check: "peak".into(), value: None },
                pb::Measurement { check: "lcp".into(), value: Some(pb::measurement::Value::Number(f64::NAN)) },
            ],
            request_id: String::new(),
        };
        let status = parse_record(&request).expect_err("invalid");
        names_each(&status, &["measurements[1].check", "measurements[2].value", "measurements[3].number"]);
        assert!(!status.message().contains("measurements[0]"), "{}", status.message());
    }
}
