//! The versions use cases: submitting a version for review, and deciding its review round.
//!
//! Both write under the asset's row lock (the asset's status, its newest version number and its
//! round move together), so that a version's number never repeats and two decisions that close a
//! stage at once are taken one after the other.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use baton_messaging::Begun;
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::{AssetName, MemberName, VersionName};
use baton_platform::paging::split_page;
use baton_platform::policy::{Access, View};
use baton_platform::time;
use baton_proto::assets::v1 as pb;

use super::Assets;
use crate::domain::quality::Report;
use crate::domain::version::{DecideRefusal, NewVersion, ReviewRound, ReviewState, Verdict, Version};
use crate::domain::{Asset, Transition, TransitionRequest};
use crate::error::AssetsError;
use crate::{repo, wire};

/// What a version submission wrote: the version and how it measures up, the asset in review,
/// and the review round it opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    pub version: Version,
    pub report: Report,
    pub asset: Asset,
    pub review: Option<ReviewRound>,
}

impl Assets {
    /// Records a new version of an asset in progress and puts the asset in review; with stages,
    /// opens their review round. The version is assessed against its kind's checklist: the
    /// asset's quality is its report. Records `VersionSubmitted`, `AssetStatusChanged` and
    /// `QualityAssessed`.
    pub async fn submit_version(
        &self,
        access: &Access,
        actor: Actor,
        new: NewVersion,
        origin: Origin,
    ) -> Result<Submitted, AssetsError> {
        let asset_name = new.asset;
        let hidden = || AssetsError::AssetNotFound(asset_name);
        self.authorize(access, asset_name.project()).await.map_err(|r| r.into_error(hidden))?;
        // Reviewers decide for the project: each must be on its team.
        for (i, stage) in new.stages.iter().enumerate() {
            for (j, reviewer) in stage.reviewers.iter().enumerate() {
                if self.membership(MemberName::new(asset_name.project(), *reviewer)).await?.is_none() {
                    let field = format!("stages[{i}].reviewers[{j}]");
                    return Err(AssetsError::ReviewerNotOnTeam { field, person: *reviewer });
                }
            }
        }
        let mut tx = match self.outbox.mutation("SubmitVersion", &origin).begin::<Submitted>().await? {
            Begun::Replay(first) => return Ok(first),
            Begun::New(tx) => tx,
        };
        let current = repo::lock(tx.conn(), asset_name).await?.ok_or_else(hidden)?;
        let now = time::now();
        let step = TransitionRequest {
            asset: asset_name,
            transition: Transition::SubmitForReview,
            etag: None,
            comment: new.note.clone(),
        };
        let mut next = current.take(&step, now).map_err(|refusal| super::refused(asset_name, &step, refusal))?;
        let checklist = self.checklist_of(&mut *tx.conn(), asset_name.project(), current.kind).await?;
        if let Some((index, rule)) = checklist.mistyped(&new.measurements) {
            return Err(AssetsError::MistypedMeasurement { field: format!("version.measurements[{index}]"), rule });
        }
        let number = repo::versions::next_number(tx.conn(), asset_name).await?;
        let version = Version {
            name: VersionName::new(asset_name, Uuid::now_v7()),
            number,
            files: new.files,
            note: new.note,
            author: actor.person(),
            client_visible: new.client_visible,
            reviewed: !new.stages.is_empty(),
            create_time: now,
            measurements: new.measurements,
        };
        repo::versions::insert(tx.conn(), &version).await?;
        let report = checklist.assess(&version.files, &version.measurements);
        let round = (!new.stages.is_empty()).then(|| ReviewRound::open(version.name, new.stages, now));
        if let Some(round) = &round {
            repo::versions::insert_review(tx.conn(), round).await?;
        }
        next.latest_version = number;
        next.review_open = round.is_some();
        next.quality = Some(report.summary(number));
        repo::write(tx.conn(), &next).await?;
        tx.emit(
            &version.name.to_string(),
            &pb::VersionSubmitted {
                version: Some(wire::versions::version(&version, &report)),
                review: round.as_ref().map(wire::versions::review),
                actor: actor.resource_name(),
            },
        );
        tx.emit(&asset_name.to_string(), &super::status_changed(&current, &next, &actor, version.note.clone()));
        tx.emit(&asset_name.to_string(), &super::quality::quality_assessed(&current, &next, &version, &report, &actor));
        let submitted = tx.finish(Submitted { version, report, asset: next, review: round }).await?;
        self.recent.remember(asset_name, submitted.asset.clone());
        tracing::info!(version = %submitted.version.name, number = submitted.version.number, "version submitted");
        Ok(submitted)
    }

    /// Records the caller's verdict at the current stage of a version's review round and records
    /// `ReviewDecided`; when the round ends, the asset is approved or sent back for changes (one
    /// more retake) and `AssetStatusChanged` is recorded too.
    pub async fn decide_review(
        &self,
        access: &Access,
        actor: Actor,
        decision: Decision,
        origin: Origin,
    ) -> Result<(ReviewRound, Asset), AssetsError> {
        let version = decision.version;
        let asset_name = version.asset();
        let hidden = || AssetsError::ReviewNotFound(version);
        let view = self.authorize(access, asset_name.project()).await.map_err(|r| r.into_error(hidden))?;
        let person = access.person().ok_or(AssetsError::NotAPerson)?;
        let mut tx = match self.outbox.mutation("DecideReview", &origin).begin::<(ReviewRound, Asset)>().await? {
            Begun::Replay(first) => return Ok(first),
            Begun::New(tx) => tx,
        };
        let current = repo::lock(tx.conn(), asset_name).await?.ok_or_else(hidden)?;
        let round = repo::versions::review(tx.conn(), version).await?.ok_or_else(hidden)?;
        let now = time::now();
        let next_round =
            round.decide(person, decision.verdict, decision.comment.clone(), now).map_err(|refusal| match refusal {
                DecideRefusal::Closed(state) => AssetsError::ReviewClosed(state.as_str()),
                // A client is not told the title of a stage that is not shown to them.
                DecideRefusal::NotAReviewer(stage) => AssetsError::NotAReviewer(
                    (view != View::Client || round.current().is_some_and(|s| s.plan.client_visible)).then_some(stage),
                ),
            })?;
        repo::versions::write_review(tx.conn(), &next_round).await?;
        let recorded = next_round.stages[round.current_stage]
            .decisions
            .iter()
            .find(|d| d.reviewer == person)
            .cloned()
            .expect("the decision just recorded");
        tx.emit(
            &version.review(),
            &pb::ReviewDecided {
                before: Some(wire::versions::review(&round)),
                after: Some(wire::versions::review(&next_round)),
                decision: Some(wire::versions::decision(&recorded)),
                actor: actor.resource_name(),
            },
        );
        let asset = match next_round.state {
            ReviewState::Open => current,
            ended => {
                let next = current.reviewed(ended == ReviewState::Approved, now);
                repo::write(tx.conn(), &next).await?;
                tx.emit(&asset_name.to_string(), &super::status_changed(&current, &next, &actor, decision.comment));
                let settings = self.settings_of(&mut *tx.conn(), asset_name.project()).await?;
                if settings.reached_by(&next) {
                    tx.emit(&asset_name.to_string(), &super::retake_cap_reached(&next, &settings, &actor));
                }
                next
            }
        };
        let (round, asset) = tx.finish((next_round, asset)).await?;
        self.recent.remember(asset_name, asset.clone());
        tracing::info!(review = %version.review(), state = %round.state, "review decided");
        Ok((round, asset))
    }

    /// A version and how it measures up to its kind's checklist as it is now, if the caller may
    /// see it (a client sees only those shown to clients).
    pub async fn get_version(&self, access: &Access, name: VersionName) -> Result<(Version, Report), AssetsError> {
        let hidden = || AssetsError::VersionNotFound(name);
        let view = self.authorize(access, name.project()).await.map_err(|r| r.into_error(hidden))?;
        let version = repo::versions::get(&self.pool, name).await?.ok_or_else(hidden)?;
        if view == View::Client && !version.client_visible {
            return Err(hidden());
        }
        let asset = repo::get(&self.pool, name.asset()).await?.ok_or_else(hidden)?;
        let report = self.checklist_for(&asset).await?.assess(&version.files, &version.measurements);
        Ok((version, report))
    }

    /// A page of an asset's versions, newest first, of those the caller may see, each with how
    /// it measures up.
    pub async fn list_versions(
        &self,
        access: &Access,
        asset: AssetName,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<(Version, Report)>, String), AssetsError> {
        let hidden = || AssetsError::AssetNotFound(asset);
        let view = self.authorize(access, asset.project()).await.map_err(|r| r.into_error(hidden))?;
        let component = repo::get(&self.pool, asset).await?.ok_or_else(hidden)?;
        let checklist = self.checklist_for(&component).await?;
        let rows = repo::versions::list(&self.pool, asset, view == View::Client, before, limit).await?;
        let (versions, next) = split_page(rows, limit, |v| v.number);
        let assessed = versions
            .into_iter()
            .map(|version| {
                let report = checklist.assess(&version.files, &version.measurements);
                (version, report)
            })
            .collect();
        Ok((assessed, next))
    }

    /// A version's review round; a client sees the stages shown to clients only.
    pub async fn get_review(&self, access: &Access, version: VersionName) -> Result<ReviewRound, AssetsError> {
        let hidden = || AssetsError::ReviewNotFound(version);
        let view = self.authorize(access, version.project()).await.map_err(|r| r.into_error(hidden))?;
        let mut conn = self.pool.acquire().await?;
        let mut round = repo::versions::review(&mut conn, version).await?.ok_or_else(hidden)?;
        if view == View::Client {
            // The stages shown to clients, the current one counted among them.
            let shown_before =
                round.stages.iter().take(round.current_stage).filter(|stage| stage.plan.client_visible).count();
            round.stages.retain(|stage| stage.plan.client_visible);
            if round.stages.is_empty() {
                return Err(hidden());
            }
            round.current_stage = shown_before;
        }
        Ok(round)
    }
}

/// A reviewer's decision, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub version: VersionName,
    pub verdict: Verdict,
    pub comment: String,
}
