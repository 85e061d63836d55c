//! Quality: each component kind's checklist in a project (the defaults until changed), the
//! measurements recorded on versions, and how a version measures up — check by check, and as a
//! score. Independent of the wire and the database.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use baton_platform::names::ProjectName;

use super::AssetKind;
use super::version::VersionFile;

/// The most checks one checklist has.
pub const MAX_CHECKS: usize = 30;
/// The most measurements one version has.
pub const MAX_MEASUREMENTS: usize = 50;

baton_platform::named_enum! {
    /// A measure of a version's files that a number check may take its value from.
    pub enum MediaMeasure {
        Width = "MEDIA_MEASURE_WIDTH",
        Height = "MEDIA_MEASURE_HEIGHT",
        DurationSeconds = "MEDIA_MEASURE_DURATION_SECONDS",
        FrameRate = "MEDIA_MEASURE_FRAME_RATE",
        BitrateKbps = "MEDIA_MEASURE_BITRATE_KBPS",
        LoudnessLufs = "MEDIA_MEASURE_LOUDNESS_LUFS",
    }
}

impl MediaMeasure {
    /// The value of the first of `files` that has this measure.
    fn of(self, files: &[VersionFile]) -> Option<f64> {
        files.iter().filter_map(|file| file.media.as_ref()).find_map(|media| match self {
            MediaMeasure::Width => media.width.map(f64::from),
            MediaMeasure::Height => media.height.map(f64::from),
            MediaMeasure::DurationSeconds => media.duration_seconds,
            MediaMeasure::FrameRate => media.frame_rate,
            MediaMeasure::BitrateKbps => media.bitrate_kbps.map(f64::from),
            MediaMeasure::LoudnessLufs => media.loudness_lufs,
        })
    }
}

/// What a check must meet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Target {
    /// A number within the bounds that are set (each included).
    Number { min: Option<f64>, max: Option<f64> },
    /// A yes/no with this value.
    Flag(bool),
    /// A text equal to this one, ignoring case and surrounding spaces.
    Text(String),
}

impl Target {
    /// Whether `value` meets the target; `None` when it is of another type.
    fn met_by(&self, value: &Value) -> Option<bool> {
        match (self, value) {
            (Target::Number { min, max }, Value::Number(v)) => {
                Some(min.is_none_or(|min| *v >= min) && max.is_none_or(|max| *v <= max))
            }
            (Target::Flag(expected), Value::Flag(v)) => Some(expected == v),
            (Target::Text(expected), Value::Text(v)) => Some(expected.trim().eq_ignore_ascii_case(v.trim())),
            _ => None,
        }
    }

    /// The type of value the target takes, for people: "a number", "yes or no", "a text".
    pub fn value_type(&self) -> &'static str {
        match self {
            Target::Number { .. } => "a number",
            Target::Flag(_) => "yes or no",
            Target::Text(_) => "a text",
        }
    }
}

/// One check of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub unit: String,
    pub target: Target,
    /// For a number check: the file measure taken when no measurement is recorded.
    pub from_media: Option<MediaMeasure>,
}

/// A measured value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Number(f64),
    Flag(bool),
    Text(String),
}

impl Value {
    pub fn value_type(&self) -> &'static str {
        match self {
            Value::Number(_) => "a number",
            Value::Flag(_) => "yes or no",
            Value::Text(_) => "a text",
        }
    }
}

/// A value measured on a version for one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub check: String,
    pub value: Value,
}

/// `recorded` with `new` added, each new one replacing a recorded one of the same check.
pub fn merge(recorded: &[Measurement], new: &[Measurement]) -> Vec<Measurement> {
    let mut merged: Vec<Measurement> =
        recorded.iter().filter(|old| !new.iter().any(|m| m.check == old.check)).cloned().collect();
    merged.extend(new.iter().cloned());
    merged
}

/// A project's checklist of one component kind; revision 0 while it is the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checklist {
    pub project: ProjectName,
    pub kind: AssetKind,
    pub checks: Vec<Check>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub update_time: Option<OffsetDateTime>,
    pub revision: i64,
}

fn number(id: &str, title: &str, unit: &str, min: Option<f64>, max: Option<f64>, media: Option<MediaMeasure>) -> Check {
    Check {
        id: id.into(),
        title: title.into(),
        unit: unit.into(),
        target: Target::Number { min, max },
        from_media: media,
    }
}

fn flag(id: &str, title: &str) -> Check {
    Check { id: id.into(), title: title.into(), unit: String::new(), target: Target::Flag(true), from_media: None }
}

fn text(id: &str, title: &str, expected: &str) -> Check {
    Check {
        id: id.into(),
        title: title.into(),
        unit: String::new(),
        target: Target::Text(expected.into()),
        from_media: None,
    }
}

/// The checks every project starts from, per kind: delivery specifications an agency's web and
/// streaming work commonly meets (Full HD, −14 LUFS ± 1 for streaming loudness with a −1 dBTP
/// true peak, Core Web Vitals' "good" largest contentful paint, and so on).
pub fn default_checks(kind: AssetKind) -> Vec<Check> {
    use MediaMeasure as M;
    let width = || number("width", "Width", "px", Some(1920.0), None, Some(M::Width));
    let height = || number("height", "Height", "px", Some(1080.0), None, Some(M::Height));
    let loudness =
        || number("loudness_lufs", "Integrated loudness", "LUFS", Some(-15.0), Some(-13.0), Some(M::LoudnessLufs));
    match kind {
        AssetKind::Video => vec![
            width(),
            height(),
            number("frame_rate", "Frame rate", "fps", Some(23.976), Some(60.0), Some(M::FrameRate)),
            loudness(),
            flag("captions", "Captions included"),
        ],
        AssetKind::Animation => vec![
            width(),
            height(),
            number("frame_rate", "Frame rate", "fps", Some(24.0), Some(60.0), Some(M::FrameRate)),
        ],
        AssetKind::Audio => vec![
            loudness(),
            number("true_peak_dbtp", "True peak", "dBTP", None, Some(-1.0), None),
            number("sample_rate_hz", "Sample rate", "Hz", Some(44_100.0), None, None),
        ],
        AssetKind::WebPage => vec![
            number("accessibility_score", "Accessibility score", "", Some(90.0), Some(100.0), None),
            number("lcp_seconds", "Largest contentful paint", "s", None, Some(2.5), None),
            number("page_weight_kb", "Page weight", "kB", None, Some(2000.0), None),
        ],
        AssetKind::Graphic => vec![width(), height(), text("colour_profile", "Colour profile", "sRGB")],
        AssetKind::DatabaseFeature => vec![
            number("p95_query_ms", "95th percentile query time", "ms", None, Some(100.0), None),
            flag("migration_reversible", "Migration reversible"),
        ],
        AssetKind::Copy => vec![flag("proofread", "Proofread"), flag("legal_approved", "Cleared by legal")],
        AssetKind::Other => vec![],
    }
}

impl Checklist {
    pub fn defaults(project: ProjectName, kind: AssetKind) -> Self {
        Checklist { project, kind, checks: default_checks(kind), update_time: None, revision: 0 }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    pub fn customized(&self) -> bool {
        self.revision > 0
    }

    /// This checklist with `checks`, at `now`, at the next revision; refused (with the current
    /// etag) when the caller's is not this revision.
    pub fn with_checks(&self, checks: Vec<Check>, etag: Option<&str>, now: OffsetDateTime) -> Result<Self, String> {
        baton_platform::etag::check(etag, self.etag())?;
        Ok(Checklist { checks, update_time: Some(now), revision: self.revision + 1, ..self.clone() })
    }

    /// The first of `measurements` whose value is of another type than its check here: its
    /// index and why.
    pub fn mistyped(&self, measurements: &[Measurement]) -> Option<(usize, String)> {
        measurements.iter().enumerate().find_map(|(i, m)| {
            let check = self.checks.iter().find(|c| c.id == m.check)?;
            check.target.met_by(&m.value).is_none().then(|| {
                (i, format!("check \"{}\" takes {}, not {}", check.id, check.target.value_type(), m.value.value_type()))
            })
        })
    }

    /// How a version with `files` and `measurements` measures up, check by check: a recorded
    /// measurement first, else the files' measure the check names.
    pub fn assess(&self, files: &[VersionFile], measurements: &[Measurement]) -> Report {
        let results = self
            .checks
            .iter()
            .map(|check| {
                let recorded = measurements.iter().find(|m| m.check == check.id).map(|m| m.value.clone());
                let (measured, from_files) = match recorded {
                    Some(value) => (Some(value), false),
                    None => match check.from_media.and_then(|measure| measure.of(files)) {
                        Some(value) => (Some(Value::Number(value)), true),
                        None => (None, false),
                    },
                };
                let outcome = match measured.as_ref().and_then(|value| check.target.met_by(value)) {
                    Some(true) => Outcome::Passed,
                    Some(false) => Outcome::Failed,
                    None => Outcome::Unmeasured,
                };
                CheckResult { check: check.clone(), measured, from_files, outcome }
            })
            .collect();
        Report { results }
    }
}

baton_platform::named_enum! {
    /// The outcome of one check.
    pub enum Outcome {
        Passed = "CHECK_OUTCOME_PASSED",
        Failed = "CHECK_OUTCOME_FAILED",
        Unmeasured = "CHECK_OUTCOME_UNMEASURED",
    }
}

/// One check's outcome on one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: Check,
    pub measured: Option<Value>,
    pub from_files: bool,
    pub outcome: Outcome,
}

/// How a version measures up to its checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub results: Vec<CheckResult>,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Report {
    fn counted(&self, outcome: Outcome) -> i32 {
        count(self.results.iter().filter(|r| r.outcome == outcome).count())
    }

    pub fn passed(&self) -> i32 {
        self.counted(Outcome::Passed)
    }

    pub fn failed(&self) -> i32 {
        self.counted(Outcome::Failed)
    }

    pub fn unmeasured(&self) -> i32 {
        self.counted(Outcome::Unmeasured)
    }

    /// The share of the checks that passed; `None` without checks.
    pub fn score(&self) -> Option<f64> {
        (!self.results.is_empty()).then(|| f64::from(self.passed()) / self.results.len() as f64)
    }

    /// The component's quality when this is the report of its version `version`.
    pub fn summary(&self, version: i32) -> ComponentQuality {
        ComponentQuality {
            version,
            score: self.score(),
            passed: self.passed(),
            failed: self.failed(),
            unmeasured: self.unmeasured(),
            failed_checks: self
                .results
                .iter()
                .filter(|r| r.outcome == Outcome::Failed)
                .map(|r| r.check.id.clone())
                .collect(),
        }
    }
}

/// A component's quality: how its newest version measures up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentQuality {
    pub version: i32,
    pub score: Option<f64>,
    pub passed: i32,
    pub failed: i32,
    pub unmeasured: i32,
    pub failed_checks: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::version::MediaInfo;

    fn file(media: MediaInfo) -> VersionFile {
        VersionFile {
            uri: "s3://agency/cut.mp4".into(),
            sha256: "0".repeat(64),
            size_bytes: 1,
            mime_type: "video/mp4".into(),
            media: Some(media),
        }
    }

    fn video() -> Checklist {
        Checklist::defaults(ProjectName::new(uuid::Uuid::now_v7()), AssetKind::Video)
    }

    #[test]
    fn every_kind_but_other_has_defaults_with_unique_ids() {
        for kind in AssetKind::ALL {
            let checks = default_checks(*kind);
            assert_eq!(checks.is_empty(), *kind == AssetKind::Other, "{kind:?}");
            let mut ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), checks.len(), "{kind:?}");
            assert!(checks.len() <= MAX_CHECKS);
        }
    }

    #[test]
    fn files_supply_what_is_not_recorded_and_a_recording_wins() {
        let loud = MediaInfo {
            width: Some(1920),
            height: Some(1080),
            frame_rate: Some(25.0),
            loudness_lufs: Some(-9.0),
            ..Default::default()
        };
        let report = video().assess(&[file(loud)], &[]);
        let outcomes: Vec<(&str, Outcome, bool)> =
            report.results.iter().map(|r| (r.check.id.as_str(), r.outcome, r.from_files)).collect();
        assert_eq!(
            outcomes,
            [
                ("width", Outcome::Passed, true),
                ("height", Outcome::Passed, true),
                ("frame_rate", Outcome::Passed, true),
                ("loudness_lufs", Outcome::Failed, true),
                ("captions", Outcome::Unmeasured, false),
            ]
        );
        let summary = report.summary(1);
        assert_eq!((summary.passed, summary.failed, summary.unmeasured), (3, 1, 1));
        assert_eq!((summary.score, summary.failed_checks), (Some(0.6), vec!["loudness_lufs".to_string()]));

        let fixed = [
            Measurement { check: "loudness_lufs".into(), value: Value::Number(-14.0) },
            Measurement { check: "captions".into(), value: Value::Flag(true) },
        ];
        let report = video().assess(&[file(loud)], &fixed);
        assert_eq!((report.passed(), report.score()), (5, Some(1.0)));
        assert!(!report.results[3].from_files, "the recorded loudness, not the file's");
    }

    #[test]
    fn targets_include_their_bounds_and_texts_ignore_case() {
        let at = |v: f64| Target::Number { min: Some(-15.0), max: Some(-13.0) }.met_by(&Value::Number(v));
        assert_eq!([at(-15.0), at(-13.0), at(-12.9), at(-15.1)], [Some(true), Some(true), Some(false), Some(false)]);
        let srgb = Target::Text("sRGB".into());
        assert_eq!(srgb.met_by(&Value::Text(" srgb ".into())), Some(true));
        assert_eq!(srgb.met_by(&Value::Text("Adobe RGB".into())), Some(false));
        assert_eq!(srgb.met_by(&Value::Flag(true)), None, "another type");
    }

    #[test]
    fn a_value_of_another_type_is_named_and_an_unknown_check_is_kept() {
        let list = video();
        let sent = [
            Measurement { check: "grain".into(), value: Value::Flag(true) },
            Measurement { check: "captions".into(), value: Value::Number(1.0) },
        ];
        let (index, why) = list.mistyped(&sent).expect("captions is yes or no");
        assert_eq!(index, 1);
        assert_eq!(why, "check \"captions\" takes yes or no, not a number");
        let merged = merge(&sent[..1], &[Measurement { check: "grain".into(), value: Value::Flag(false) }]);
        assert_eq!(merged, [Measurement { check: "grain".into(), value: Value::Flag(false) }]);
    }

    #[test]
    fn an_empty_checklist_has_no_score_and_edits_move_the_revision() {
        let list = video();
        let empty = list.with_checks(vec![], Some("0"), OffsetDateTime::UNIX_EPOCH).expect("current etag");
        assert_eq!((empty.revision, empty.customized()), (1, true));
        assert_eq!(empty.assess(&[], &[]).score(), None);
        assert_eq!(empty.with_checks(vec![], Some("0"), OffsetDateTime::UNIX_EPOCH), Err("1".into()));
    }
}
