//! `baton versions submit|list` and `baton reviews show|decide`.

use baton_proto::assets::v1::{
    DecideReviewRequest, GetReviewRoundRequest, ListVersionsRequest, MediaInfo, ReviewRound, ReviewRule, ReviewStage,
    StageState, SubmitVersionRequest, Verdict, Version, VersionFile,
};
use serde_json::{Value, json};

use crate::cli::{ReviewsCommand, VersionSubmit, VersionsCommand};
use crate::client::Baton;
use crate::error::CliError;
use crate::output::{Cell, Out, Table, short_time};

pub async fn run(baton: &Baton, out: &Out, command: VersionsCommand) -> Result<(), CliError> {
    match command {
        VersionsCommand::Submit(submit) => {
            let VersionSubmit {
                asset,
                file,
                sha256,
                size,
                mime_type,
                width,
                height,
                duration,
                fps,
                kbps,
                lufs,
                note,
                client_visible,
                stages,
                measurements,
                idempotency,
            } = *submit;
            let parent = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let measurements = super::quality::measurements(baton, &parent, &measurements).await?;
            let media =
                [width.is_some(), height.is_some(), duration.is_some(), fps.is_some(), kbps.is_some(), lufs.is_some()]
                    .contains(&true)
                    .then_some(MediaInfo {
                        width,
                        height,
                        duration_seconds: duration,
                        frame_rate: fps,
                        bitrate_kbps: kbps,
                        loudness_lufs: lufs,
                    });
            let mut planned = Vec::with_capacity(stages.len());
            for text in &stages {
                planned.push(stage(baton, text).await?);
            }
            let request = SubmitVersionRequest {
                parent,
                version: Some(Version {
                    files: vec![VersionFile { uri: file, sha256, size_bytes: size, mime_type, media }],
                    note: note.unwrap_or_default(),
                    client_visible,
                    measurements,
                    ..Default::default()
                }),
                stages: planned,
                request_id: idempotency.value(),
            };
            let submitted = baton.assets().submit_version(baton.request(request)).await?.into_inner();
            let version = submitted.version.unwrap_or_default();
            if out.json() {
                let mut line = version_json(&version);
                line["review"] = submitted.review.as_ref().map_or(Value::Null, review_json);
                return out.json_line(&line);
            }
            out.line(format!("Version {} submitted for review ({})", version.number, version.name))?;
            if let Some(report) = version.quality.as_ref().filter(|r| !r.results.is_empty()) {
                let failing: Vec<String> = report
                    .results
                    .iter()
                    .filter(|r| r.outcome == baton_proto::assets::v1::CheckOutcome::Failed as i32)
                    .filter_map(|r| r.check.as_ref().map(|c| c.title.clone()))
                    .collect();
                out.line(format!(
                    "Quality: {} of {} checks passed{}",
                    report.passed,
                    report.results.len(),
                    if failing.is_empty() { String::new() } else { format!("; failed: {}", failing.join(", ")) }
                ))?;
            }
            match &submitted.review {
                Some(round) => print_review(baton, out, round).await,
                None => {
                    out.line("One-step review: approve or ask for changes with `baton assets approve|request-changes`.")
                }
            }
        }
        VersionsCommand::List { asset } => {
            let parent = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let versions = versions(baton, &parent).await?;
            if out.json() {
                for version in &versions {
                    out.json_line(&version_json(version))?;
                }
                return Ok(());
            }
            let names = baton.display_names(versions.iter().map(|v| &v.author)).await?;
            let mut table = Table::new(&["VERSION", "SUBMITTED", "BY", "FILES", "REVIEW", "NOTE"]).align_right(0);
            for version in &versions {
                table.row(vec![
                    Cell::from(version.number.to_string()),
                    short_time(version.create_time.as_ref()).into(),
                    names.get(&version.author).cloned().unwrap_or_default().into(),
                    version.files.len().to_string().into(),
                    if version.review.is_empty() { "one step" } else { "staged" }.into(),
                    version.note.as_str().into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
    }
}

pub async fn reviews(baton: &Baton, out: &Out, command: ReviewsCommand) -> Result<(), CliError> {
    match command {
        ReviewsCommand::Show { asset, number } => {
            let parent = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let name = review_of(baton, &parent, number).await?;
            let round = baton.assets().get_review_round(baton.request(GetReviewRoundRequest { name })).await?;
            let round = round.into_inner().review.unwrap_or_default();
            if out.json() {
                return out.json_line(&review_json(&round));
            }
            print_review(baton, out, &round).await
        }
        ReviewsCommand::Decide { asset, approve, request_changes: _, comment, idempotency } => {
            let parent = baton.resolve_asset(&asset.asset, asset.project.as_deref()).await?;
            let name = review_of(baton, &parent, None).await?;
            let verdict = if approve { Verdict::Approve } else { Verdict::RequestChanges };
            let request = DecideReviewRequest {
                name,
                verdict: verdict as i32,
                comment: comment.unwrap_or_default(),
                request_id: idempotency.value(),
            };
            let decided = baton.assets().decide_review(baton.request(request)).await?.into_inner();
            let round = decided.review.unwrap_or_default();
            if out.json() {
                return out.json_line(&review_json(&round));
            }
            print_review(baton, out, &round).await
        }
    }
}

/// Every version of an asset, newest first.
async fn versions(baton: &Baton, asset: &str) -> Result<Vec<Version>, CliError> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = ListVersionsRequest { parent: asset.to_string(), page_size: 1000, page_token };
        let page = baton.assets().list_versions(baton.request(request)).await?.into_inner();
        all.extend(page.versions);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        page_token = page.next_page_token;
    }
}

/// The asset's version `number`, or its newest.
pub async fn version_of(baton: &Baton, asset: &str, number: Option<i32>) -> Result<Version, CliError> {
    let versions = versions(baton, asset).await?;
    let version = match number {
        Some(n) => versions.into_iter().find(|v| v.number == n),
        None => versions.into_iter().next(),
    };
    version.ok_or_else(|| {
        CliError::NotFound(match number {
            Some(n) => format!("{asset} has no version {n}"),
            None => format!("{asset} has no version yet: submit one with `baton versions submit`"),
        })
    })
}

/// The review round of the asset's version `number`, or of its newest.
async fn review_of(baton: &Baton, asset: &str, number: Option<i32>) -> Result<String, CliError> {
    let version = version_of(baton, asset, number).await?;
    if version.review.is_empty() {
        return Err(CliError::NotFound(format!(
            "version {} went to a one-step review: decide it with `baton assets approve|request-changes`",
            version.number
        )));
    }
    Ok(version.review)
}

/// `TITLE[+client]=RULE:PERSON,PERSON…` as a stage.
async fn stage(baton: &Baton, text: &str) -> Result<ReviewStage, CliError> {
    let wrong = || {
        CliError::Usage(format!(
            "--stage “{text}” is not TITLE=RULE:PERSON,PERSON (RULE all, any or a number), for example \
             “Client+client=all:chloe@northwind.example”"
        ))
    };
    let (title, rest) = text.split_once('=').ok_or_else(wrong)?;
    let (rule, people) = rest.split_once(':').ok_or_else(wrong)?;
    let (title, client_visible) = match title.trim().strip_suffix("+client") {
        Some(title) => (title.trim(), true),
        None => (title.trim(), false),
    };
    let (rule, quorum) = match rule.trim().to_ascii_lowercase().as_str() {
        "all" => (ReviewRule::All, 0),
        "any" => (ReviewRule::Any, 0),
        n => (ReviewRule::Quorum, n.parse::<i32>().map_err(|_| wrong())?),
    };
    let mut reviewers = Vec::new();
    for person in people.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        reviewers.push(baton.resolve_person(person).await?);
    }
    Ok(ReviewStage {
        title: title.to_string(),
        reviewers,
        rule: rule as i32,
        quorum,
        client_visible,
        ..Default::default()
    })
}

fn version_json(version: &Version) -> Value {
    json!({
        "name": version.name,
        "number": version.number,
        "author": version.author,
        "note": version.note,
        "client_visible": version.client_visible,
        "review": if version.review.is_empty() { Value::Null } else { Value::from(version.review.clone()) },
        "quality_score": version.quality.as_ref().and_then(|q| q.score),
        "files": version.files.iter().map(|f| json!({ "uri": f.uri, "sha256": f.sha256, "size_bytes": f.size_bytes, "mime_type": f.mime_type })).collect::<Vec<_>>(),
    })
}

fn state_word(state: i32) -> &'static str {
    match StageState::try_from(state) {
        Ok(StageState::Waiting) => "waiting",
        Ok(StageState::Open) => "open",
        Ok(StageState::Passed) => "passed",
        Ok(StageState::Failed) => "failed",
        _ => "unknown",
    }
}

fn round_word(state: i32) -> &'static str {
    match baton_proto::assets::v1::ReviewState::try_from(state) {
        Ok(baton_proto::assets::v1::ReviewState::Open) => "open",
        Ok(baton_proto::assets::v1::ReviewState::Approved) => "approved",
        Ok(baton_proto::assets::v1::ReviewState::ChangesRequested) => "changes requested",
        _ => "unknown",
    }
}

fn rule_words(stage: &ReviewStage) -> String {
    match ReviewRule::try_from(stage.rule) {
        Ok(ReviewRule::All) => "all".into(),
        Ok(ReviewRule::Any) => "any".into(),
        Ok(ReviewRule::Quorum) => format!("{} of {}", stage.quorum, stage.reviewers.len()),
        _ => "?".into(),
    }
}

fn verdict_word(verdict: i32) -> &'static str {
    if verdict == Verdict::Approve as i32 { "approved" } else { "asked for changes" }
}

fn review_json(round: &ReviewRound) -> Value {
    json!({
        "name": round.name,
        "state": round_word(round.state),
        "current_stage": round.current_stage,
        "stages": round.stages.iter().map(|s| json!({
            "title": s.title,
            "rule": rule_words(s),
            "state": state_word(s.state),
            "reviewers": s.reviewers,
            "client_visible": s.client_visible,
            "decisions": s.decisions.iter().map(|d| json!({ "reviewer": d.reviewer, "verdict": verdict_word(d.verdict), "comment": d.comment })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

async fn print_review(baton: &Baton, out: &Out, round: &ReviewRound) -> Result<(), CliError> {
    let names = baton.display_names(round.stages.iter().flat_map(|s| &s.reviewers)).await?;
    let name = |p: &String| names.get(p).cloned().unwrap_or_else(|| p.clone());
    out.line(format!("Review {}", round_word(round.state)))?;
    for (i, stage) in round.stages.iter().enumerate() {
        let reviewers: Vec<String> = stage.reviewers.iter().map(name).collect();
        out.line(format!(
            "  {}. {} ({}; {}): {}",
            i + 1,
            stage.title,
            rule_words(stage),
            state_word(stage.state),
            reviewers.join(", ")
        ))?;
        for decision in &stage.decisions {
            let comment =
                if decision.comment.is_empty() { String::new() } else { format!(": “{}”", decision.comment) };
            out.line(format!("       {} {}{comment}", name(&decision.reviewer), verdict_word(decision.verdict)))?;
        }
    }
    Ok(())
}
