//! Versions and review rounds on the wire.

use tonic::Status;

use baton_platform::bounds;
use baton_platform::names::{AssetName, VersionName};
use baton_platform::paging;
use baton_platform::time::{optional_timestamp, timestamp};
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::assets::v1 as pb;

use crate::app::Decision;
use crate::domain::quality::Report;
use crate::domain::version::{
    self, MAX_FILES, MAX_STAGES, MediaInfo, NewVersion, ReviewRound, ReviewRule, StagePlan, Verdict, Version,
    VersionFile,
};

/// A version with its report against its kind's checklist.
pub fn version(version: &Version, report: &Report) -> pb::Version {
    pb::Version {
        name: version.name.to_string(),
        number: version.number,
        files: version.files.iter().map(file).collect(),
        note: version.note.clone(),
        author: version.author.map(|a| a.to_string()).unwrap_or_default(),
        client_visible: version.client_visible,
        review: if version.reviewed { version.name.review() } else { String::new() },
        create_time: Some(timestamp(version.create_time)),
        measurements: version.measurements.iter().map(super::quality::measurement).collect(),
        quality: Some(super::quality::report(report)),
    }
}

fn file(file: &VersionFile) -> pb::VersionFile {
    pb::VersionFile {
        uri: file.uri.clone(),
        sha256: file.sha256.clone(),
        size_bytes: file.size_bytes,
        mime_type: file.mime_type.clone(),
        media: file.media.map(|m| pb::MediaInfo {
            width: m.width,
            height: m.height,
            duration_seconds: m.duration_seconds,
            frame_rate: m.frame_rate,
            bitrate_kbps: m.bitrate_kbps,
            loudness_lufs: m.loudness_lufs,
        }),
    }
}

pub fn review(round: &ReviewRound) -> pb::ReviewRound {
    pb::ReviewRound {
        name: round.version.review(),
        stages: round
            .stages
            .iter()
            .map(|stage| {
                let (rule, quorum) = match stage.plan.rule {
                    ReviewRule::All => (pb::ReviewRule::All, 0),
                    ReviewRule::Any => (pb::ReviewRule::Any, 0),
                    ReviewRule::Quorum(n) => (pb::ReviewRule::Quorum, i32::try_from(n).unwrap_or(i32::MAX)),
                };
                pb::ReviewStage {
                    title: stage.plan.title.clone(),
                    reviewers: stage.plan.reviewers.iter().map(ToString::to_string).collect(),
                    rule: rule as i32,
                    quorum,
                    client_visible: stage.plan.client_visible,
                    decisions: stage.decisions.iter().map(decision).collect(),
                    state: pb::StageState::from_str_name(stage.state.as_str()).unwrap_or_default() as i32,
                }
            })
            .collect(),
        state: pb::ReviewState::from_str_name(round.state.as_str()).unwrap_or_default() as i32,
        current_stage: i32::try_from(round.current_stage).unwrap_or(i32::MAX),
        create_time: Some(timestamp(round.create_time)),
        close_time: optional_timestamp(round.close_time),
    }
}

pub fn decision(decision: &version::Decision) -> pb::ReviewDecision {
    pb::ReviewDecision {
        reviewer: decision.reviewer.to_string(),
        verdict: pb::Verdict::from_str_name(decision.verdict.as_str()).unwrap_or_default() as i32,
        comment: decision.comment.clone(),
        decide_time: Some(timestamp(decision.decide_time)),
    }
}

/// A URI in the agency's storage: `s3://`, `https://` or `file://`, with something after it.
fn storage_uri(value: &str) -> Result<String, String> {
    const SCHEMES: [&str; 3] = ["s3://", "https://", "file://"];
    if value.is_empty() {
        return Err("is required".into());
    }
    if value.len() > 2_000 {
        return Err(format!("must be at most 2000 bytes (got {})", value.len()));
    }
    if value.chars().any(char::is_whitespace) {
        return Err("must not contain spaces".into());
    }
    match SCHEMES.iter().find(|scheme| value.starts_with(**scheme)) {
        Some(scheme) if value.len() > scheme.len() => Ok(value.to_string()),
        Some(_) => Err("names no file after its scheme".into()),
        None => Err(format!(
            "must be an s3://, https:// or file:// URI (got “{}”)",
            value.chars().take(40).collect::<String>()
        )),
    }
}

fn sha256(value: &str) -> Result<String, String> {
    if value.len() == 64 && value.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
        Ok(value.to_string())
    } else {
        Err("must be a SHA-256: 64 lowercase hexadecimal digits".into())
    }
}

fn mime_type(value: &str) -> Result<String, String> {
    let valid = value.len() <= 200
        && value.split_once('/').is_some_and(|(kind, sub)| !kind.is_empty() && !sub.is_empty())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "/.+-_;= ".contains(c));
    if value.is_empty() {
        Err("is required".into())
    } else if valid {
        Ok(value.to_ascii_lowercase())
    } else {
        Err("must be a MIME type such as video/mp4".into())
    }
}

fn media(v: &mut Violations, field: &str, sent: &pb::MediaInfo) -> Option<MediaInfo> {
    let mut valid = true;
    let mut check = |name: &str, ok: bool, rule: &str| {
        if !ok {
            v.add(format!("{field}.{name}"), rule.to_string());
            valid = false;
        }
    };
    check("width", sent.width.is_none_or(|w| w > 0), "must be more than 0 pixels");
    check("height", sent.height.is_none_or(|h| h > 0), "must be more than 0 pixels");
    check(
        "duration_seconds",
        sent.duration_seconds.is_none_or(|d| d.is_finite() && d >= 0.0),
        "must be a number of seconds, 0 or more",
    );
    check(
        "frame_rate",
        sent.frame_rate.is_none_or(|f| f.is_finite() && f > 0.0 && f <= 1000.0),
        "must be more than 0 and at most 1000 frames per second",
    );
    check("bitrate_kbps", sent.bitrate_kbps.is_none_or(|b| b > 0), "must be more than 0 kilobits per second");
    check(
        "loudness_lufs",
        sent.loudness_lufs.is_none_or(|l| l.is_finite() && (-70.0..=0.0).contains(&l)),
        "must be between -70 and 0 LUFS",
    );
    valid.then_some(MediaInfo {
        width: sent.width,
        height: sent.height,
        duration_seconds: sent.duration_seconds,
        frame_rate: sent.frame_rate,
        bitrate_kbps: sent.bitrate_kbps,
        loudness_lufs: sent.loudness_lufs,
    })
}

fn files(v: &mut Violations, sent: &[pb::VersionFile]) -> Option<Vec<VersionFile>> {
    if sent.is_empty() || sent.len() > MAX_FILES {
        v.add("version.files", format!("must have 1 to {MAX_FILES} files (got {})", sent.len()));
        return None;
    }
    let mut files = Vec::with_capacity(sent.len());
    for (i, f) in sent.iter().enumerate() {
        let at = |name: &str| format!("version.files[{i}].{name}");
        let uri = v.check(&at("uri"), storage_uri(&f.uri));
        let hash = v.check(&at("sha256"), sha256(&f.sha256));
        let size = v.check(
            &at("size_bytes"),
            if f.size_bytes >= 0 {
                Ok(f.size_bytes)
            } else {
                Err(format!("must not be negative (got {})", f.size_bytes))
            },
        );
        let mime = v.check(&at("mime_type"), mime_type(&f.mime_type));
        let info = match &f.media {
            None => Some(None),
            Some(sent) => media(v, &at("media"), sent).map(Some),
        };
        if let (Some(uri), Some(sha256), Some(size_bytes), Some(mime_type), Some(media)) = (uri, hash, size, mime, info)
        {
            files.push(VersionFile { uri, sha256, size_bytes, mime_type, media });
        }
    }
    (files.len() == sent.len()).then_some(files)
}

fn stages(v: &mut Violations, sent: &[pb::ReviewStage]) -> Option<Vec<StagePlan>> {
    if sent.len() > MAX_STAGES {
        v.add("stages", format!("must have at most {MAX_STAGES} stages (got {})", sent.len()));
        return None;
    }
    let mut plans = Vec::with_capacity(sent.len());
    for (i, stage) in sent.iter().enumerate() {
        let at = |name: &str| format!("stages[{i}].{name}");
        let title = v.check(&at("title"), validate::optional_text(&stage.title, bounds::NAME));
        let reviewers = super::people(v, &at("reviewers"), &stage.reviewers);
        let reviewers = match reviewers {
            Some(reviewers) if reviewers.is_empty() => {
                v.add(at("reviewers"), "must name at least one reviewer");
                None
            }
            other => other,
        };
        let count = stage.reviewers.len();
        let rule = match pb::ReviewRule::try_from(stage.rule) {
            Ok(pb::ReviewRule::All) => Some(ReviewRule::All),
            Ok(pb::ReviewRule::Any) => Some(ReviewRule::Any),
            Ok(pb::ReviewRule::Quorum) => match usize::try_from(stage.quorum) {
                Ok(n) if (1..=count).contains(&n) => Some(ReviewRule::Quorum(n)),
                _ => {
                    v.add(at("quorum"), format!("must be from 1 to the {count} reviewers (got {})", stage.quorum));
                    None
                }
            },
            Ok(pb::ReviewRule::Unspecified) => {
                v.add(at("rule"), "is required");
                None
            }
            Err(_) => {
                v.add(at("rule"), format!("{} is not a known value", stage.rule));
                None
            }
        };
        if let (Some(title), Some(reviewers), Some(rule)) = (title, reviewers, rule) {
            let title = if title.is_empty() { format!("Stage {}", i + 1) } else { title };
            plans.push(StagePlan { title, reviewers, rule, client_visible: stage.client_visible });
        }
    }
    (plans.len() == sent.len()).then_some(plans)
}

#[allow(clippy::result_large_err)]
pub fn parse_submit(request: pb::SubmitVersionRequest) -> Result<Idempotent<NewVersion>, Status> {
    let mut v = Violations::new();
    let asset = v.check("parent", AssetName::parse(&request.parent));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let stages = stages(&mut v, &request.stages);
    let new = match v.required("version", request.version) {
        None => None,
        Some(sent) => {
            let files = files(&mut v, &sent.files);
            let note = v.check("version.note", validate::optional_text(&sent.note, bounds::COMMENT));
            let measurements = super::quality::measurements(&mut v, "version.measurements", &sent.measurements);
            match (asset, files, note, stages, measurements) {
                (Some(asset), Some(files), Some(note), Some(stages), Some(measurements)) => {
                    Some(NewVersion { asset, files, note, client_visible: sent.client_visible, stages, measurements })
                }
                _ => None,
            }
        }
    };
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetVersionRequest) -> Result<VersionName, Status> {
    validate::single("name", VersionName::parse(&request.name))
}

#[allow(clippy::result_large_err)]
pub fn parse_review_name(name: &str) -> Result<VersionName, Status> {
    validate::single("name", VersionName::of_review(name))
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListVersionsRequest) -> Result<(AssetName, Option<i64>, i64), Status> {
    let mut v = Violations::new();
    let asset = v.check("parent", AssetName::parse(&request.parent));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let before = v.check("page_token", paging::decode_seq_token(&request.page_token));
    let query = match (asset, before, limit) {
        (Some(asset), Some(before), Some(limit)) => Some((asset, before, limit)),
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_decide(request: &pb::DecideReviewRequest) -> Result<Idempotent<Decision>, Status> {
    let mut v = Violations::new();
    let version = v.check("name", VersionName::of_review(&request.name));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let verdict = match pb::Verdict::try_from(request.verdict) {
        Ok(pb::Verdict::Approve) => Some(Verdict::Approve),
        Ok(pb::Verdict::RequestChanges) => Some(Verdict::RequestChanges),
        _ => {
            v.add("verdict", "must be VERDICT_APPROVE or VERDICT_REQUEST_CHANGES");
            None
        }
    };
    let comment = if verdict == Some(Verdict::RequestChanges) {
        v.check("comment", validate::required_text(&request.comment, bounds::COMMENT))
    } else {
        v.check("comment", validate::optional_text(&request.comment, bounds::COMMENT))
    };
    let decision = match (version, verdict, comment) {
        (Some(version), Some(verdict), Some(comment)) => Some(Decision { version, verdict, comment }),
        _ => None,
    };
    v.finish_idempotent(decision, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_file() -> pb::VersionFile {
        pb::VersionFile {
            uri: "s3://studio/relaunch/hero-v1.mp4".into(),
            sha256: "a".repeat(64),
            size_bytes: 1_048_576,
            mime_type: "video/mp4".into(),
            media: Some(pb::MediaInfo {
                width: Some(1920),
                height: Some(1080),
                duration_seconds: Some(30.0),
                frame_rate: Some(25.0),
                bitrate_kbps: Some(8000),
                loudness_lufs: Some(-23.0),
            }),
        }
    }

    fn submit(files: Vec<pb::VersionFile>, stages: Vec<pb::ReviewStage>) -> Result<Idempotent<NewVersion>, Status> {
        parse_submit(pb::SubmitVersionRequest {
            parent: format!("projects/{}/assets/{}", uuid::Uuid::now_v7(), uuid::Uuid::now_v7()),
            version: Some(pb::Version { files, ..Default::default() }),
            stages,
            request_id: String::new(),
        })
    }

    #[test]
    fn files_are_references_checked_field_by_field() {
        assert!(submit(vec![valid_file()], vec![]).is_ok());
        let mut bad = valid_file();
        bad.uri = "ftp://old.server/hero.mp4".into();
        bad.sha256 = "XYZ".into();
        bad.size_bytes = -1;
        bad.media =
            Some(pb::MediaInfo { duration_seconds: Some(-3.0), loudness_lufs: Some(5.0), ..Default::default() });
        let status = submit(vec![bad], vec![]).expect_err("invalid");
        for field in [
            "version.files[0].uri",
            "version.files[0].sha256",
            "version.files[0].size_bytes",
            "version.files[0].media.duration_seconds",
            "version.files[0].media.loudness_lufs",
        ] {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
        let none = submit(vec![], vec![]).expect_err("no files");
        assert!(none.message().contains("version.files"), "{}", none.message());
    }

    #[test]
    fn stages_need_reviewers_and_a_rule_that_fits_them() {
        let person = format!("people/{}", uuid::Uuid::now_v7());
        let stage = |reviewers: Vec<String>, rule: pb::ReviewRule, quorum: i32| pb::ReviewStage {
            reviewers,
            rule: rule as i32,
            quorum,
            ..Default::default()
        };
        let ok = submit(vec![valid_file()], vec![stage(vec![person.clone()], pb::ReviewRule::All, 0)]).expect("valid");
        assert_eq!(ok.value.stages[0].title, "Stage 1");
        let status = submit(
            vec![valid_file()],
            vec![
                stage(vec![], pb::ReviewRule::All, 0),
                stage(vec![person.clone()], pb::ReviewRule::Quorum, 2),
                stage(vec![person], pb::ReviewRule::Unspecified, 0),
            ],
        )
        .expect_err("invalid");
        for field in ["stages[0].reviewers", "stages[1].quorum", "stages[2].rule"] {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
    }

    #[test]
    fn asking_for_changes_needs_a_comment() {
        let name = format!(
            "projects/{}/assets/{}/versions/{}/review",
            uuid::Uuid::now_v7(),
            uuid::Uuid::now_v7(),
            uuid::Uuid::now_v7()
        );
        let decide = |verdict: pb::Verdict, comment: &str| {
            parse_decide(&pb::DecideReviewRequest {
                name: name.clone(),
                verdict: verdict as i32,
                comment: comment.into(),
                request_id: String::new(),
            })
        };
        assert!(decide(pb::Verdict::Approve, "").is_ok());
        assert!(decide(pb::Verdict::RequestChanges, "").expect_err("no comment").message().contains("comment"));
        assert!(decide(pb::Verdict::Unspecified, "").expect_err("no verdict").message().contains("verdict"));
        let wrong = parse_decide(&pb::DecideReviewRequest { name: "projects/x".into(), ..Default::default() });
        assert!(wrong.expect_err("bad name").message().contains("name"));
    }
}
