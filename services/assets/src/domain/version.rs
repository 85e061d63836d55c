//! Versions of a component and their review rounds: stage by stage, each with its reviewers and
//! its rule, independent of the wire and the database.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use baton_platform::names::{AssetName, PersonName, VersionName};

use super::quality::Measurement;

/// The most files one version has.
pub const MAX_FILES: usize = 20;
/// The most stages one review round has.
pub const MAX_STAGES: usize = 5;

/// What a media file measures; each where it applies.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MediaInfo {
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_seconds: Option<f64>,
    pub frame_rate: Option<f64>,
    pub bitrate_kbps: Option<i32>,
    pub loudness_lufs: Option<f64>,
}

/// One file of a version: a reference to the agency's storage and what it measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionFile {
    pub uri: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub mime_type: String,
    pub media: Option<MediaInfo>,
}

/// A version to submit, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVersion {
    pub asset: AssetName,
    pub files: Vec<VersionFile>,
    pub note: String,
    pub client_visible: bool,
    /// The review stages; none for a one-step review.
    pub stages: Vec<StagePlan>,
    /// What was measured on it for its kind's quality checks.
    pub measurements: Vec<Measurement>,
}

/// A stored version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub name: VersionName,
    pub number: i32,
    pub files: Vec<VersionFile>,
    pub note: String,
    pub author: Option<PersonName>,
    pub client_visible: bool,
    /// Whether it opened a review round.
    pub reviewed: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    /// What was measured on it for its kind's quality checks, one per check.
    pub measurements: Vec<Measurement>,
}

baton_platform::named_enum! {
    /// A reviewer's verdict.
    pub enum Verdict {
        Approve = "VERDICT_APPROVE",
        RequestChanges = "VERDICT_REQUEST_CHANGES",
    }
}

baton_platform::named_enum! {
    /// Where a review round stands.
    pub enum ReviewState {
        Open = "REVIEW_STATE_OPEN",
        Approved = "REVIEW_STATE_APPROVED",
        ChangesRequested = "REVIEW_STATE_CHANGES_REQUESTED",
    }
}

baton_platform::named_enum! {
    /// Where one stage stands.
    pub enum StageState {
        Waiting = "STAGE_STATE_WAITING",
        Open = "STAGE_STATE_OPEN",
        Passed = "STAGE_STATE_PASSED",
        Failed = "STAGE_STATE_FAILED",
    }
}

/// How many approvals pass a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewRule {
    All,
    Any,
    Quorum(usize),
}

/// A stage as the submitter plans it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    pub title: String,
    pub reviewers: Vec<PersonName>,
    pub rule: ReviewRule,
    pub client_visible: bool,
}

/// One reviewer's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub reviewer: PersonName,
    pub verdict: Verdict,
    pub comment: String,
    #[serde(with = "time::serde::rfc3339")]
    pub decide_time: OffsetDateTime,
}

/// A stage of a round: its plan, the decisions so far, and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub plan: StagePlan,
    pub decisions: Vec<Decision>,
    pub state: StageState,
}

impl Stage {
    /// The approvals that pass the stage.
    fn needed(&self) -> usize {
        match self.plan.rule {
            ReviewRule::All => self.plan.reviewers.len(),
            ReviewRule::Any => 1,
            ReviewRule::Quorum(n) => n,
        }
    }

    /// Passed (`Some(true)`), failed — the approvals it still could get cannot reach what it
    /// needs — (`Some(false)`), or still open (`None`).
    fn outcome(&self) -> Option<bool> {
        let approvals = self.decisions.iter().filter(|d| d.verdict == Verdict::Approve).count();
        let changes = self.decisions.len() - approvals;
        if approvals >= self.needed() {
            Some(true)
        } else if changes > self.plan.reviewers.len() - self.needed() {
            Some(false)
        } else {
            None
        }
    }
}

/// A review round of one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRound {
    pub version: VersionName,
    pub stages: Vec<Stage>,
    pub state: ReviewState,
    pub current_stage: usize,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub close_time: Option<OffsetDateTime>,
}

/// Why a decision is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideRefusal {
    /// The round ended: how.
    Closed(ReviewState),
    /// The caller is not a reviewer of the current stage: its title.
    NotAReviewer(String),
}

impl ReviewRound {
    /// A round opening at its first stage.
    pub fn open(version: VersionName, plans: Vec<StagePlan>, now: OffsetDateTime) -> Self {
        let stages = plans
            .into_iter()
            .enumerate()
            .map(|(i, plan)| Stage {
                plan,
                decisions: Vec::new(),
                state: if i == 0 { StageState::Open } else { StageState::Waiting },
            })
            .collect();
        ReviewRound { version, stages, state: ReviewState::Open, current_stage: 0, create_time: now, close_time: None }
    }

    /// The round after `reviewer`'s `verdict` at the current stage: a second decision of theirs
    /// replaces the first; the stage passes or fails by its rule, and the round moves on or ends.
    pub fn decide(
        &self,
        reviewer: PersonName,
        verdict: Verdict,
        comment: String,
        now: OffsetDateTime,
    ) -> Result<ReviewRound, DecideRefusal> {
        if self.state != ReviewState::Open {
            return Err(DecideRefusal::Closed(self.state));
        }
        let mut next = self.clone();
        let stage = &mut next.stages[self.current_stage];
        if !stage.plan.reviewers.contains(&reviewer) {
            return Err(DecideRefusal::NotAReviewer(stage.plan.title.clone()));
        }
        stage.decisions.retain(|d| d.reviewer != reviewer);
        stage.decisions.push(Decision { reviewer, verdict, comment, decide_time: now });
        match stage.outcome() {
            None => {}
            Some(false) => {
                stage.state = StageState::Failed;
                next.state = ReviewState::ChangesRequested;
                next.current_stage = next.stages.len();
                next.close_time = Some(now);
            }
            Some(true) => {
                stage.state = StageState::Passed;
                next.current_stage += 1;
                match next.stages.get_mut(next.current_stage) {
                    Some(following) => following.state = StageState::Open,
                    None => {
                        next.state = ReviewState::Approved;
                        next.close_time = Some(now);
                    }
                }
            }
        }
        Ok(next)
    }

    /// The stage being decided, while the round is open.
    pub fn current(&self) -> Option<&Stage> {
        self.stages.get(self.current_stage)
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn people<const N: usize>() -> [PersonName; N] {
        [0; N].map(|_| PersonName::new(Uuid::now_v7()))
    }

    fn plan(title: &str, reviewers: &[PersonName], rule: ReviewRule) -> StagePlan {
        StagePlan { title: title.into(), reviewers: reviewers.to_vec(), rule, client_visible: false }
    }

    fn round(plans: Vec<StagePlan>) -> ReviewRound {
        let version = VersionName { project: Uuid::now_v7(), asset: Uuid::now_v7(), id: Uuid::now_v7() };
        ReviewRound::open(version, plans, OffsetDateTime::UNIX_EPOCH)
    }

    fn decide(round: &ReviewRound, who: PersonName, verdict: Verdict) -> ReviewRound {
        round.decide(who, verdict, String::new(), OffsetDateTime::UNIX_EPOCH).expect("a reviewer of the open stage")
    }

    #[test]
    fn stages_pass_in_order_to_approval() {
        let [lead, producer, client] = people();
        let r = round(vec![
            plan("Lead", &[lead], ReviewRule::All),
            plan("Producer", &[producer], ReviewRule::Any),
            plan("Client", &[client], ReviewRule::All),
        ]);
        assert_eq!(
            r.decide(producer, Verdict::Approve, String::new(), OffsetDateTime::UNIX_EPOCH),
            Err(DecideRefusal::NotAReviewer("Lead".into())),
            "only the current stage's reviewers decide"
        );
        let r = decide(&r, lead, Verdict::Approve);
        assert_eq!((r.current_stage, r.stages[0].state, r.stages[1].state), (1, StageState::Passed, StageState::Open));
        let r = decide(&decide(&r, producer, Verdict::Approve), client, Verdict::Approve);
        assert_eq!((r.state, r.current_stage), (ReviewState::Approved, 3));
        assert!(r.close_time.is_some());
        assert_eq!(
            r.decide(client, Verdict::Approve, String::new(), OffsetDateTime::UNIX_EPOCH),
            Err(DecideRefusal::Closed(ReviewState::Approved))
        );
    }

    #[test]
    fn rules_decide_when_a_stage_passes_or_fails() {
        let [a, b, c] = people();
        // ALL: one request for changes fails it.
        let all = round(vec![plan("All", &[a, b, c], ReviewRule::All)]);
        let failed = decide(&decide(&all, a, Verdict::Approve), b, Verdict::RequestChanges);
        assert_eq!((failed.state, failed.stages[0].state), (ReviewState::ChangesRequested, StageState::Failed));
        // ANY: one approval passes it; it fails only when everyone asked for changes.
        let any = round(vec![plan("Any", &[a, b, c], ReviewRule::Any)]);
        let open = decide(&decide(&any, a, Verdict::RequestChanges), b, Verdict::RequestChanges);
        assert_eq!(open.state, ReviewState::Open);
        assert_eq!(decide(&open, c, Verdict::Approve).state, ReviewState::Approved);
        assert_eq!(decide(&open, c, Verdict::RequestChanges).state, ReviewState::ChangesRequested);
        // QUORUM 2 of 3: two approvals pass it, two requests fail it.
        let quorum = round(vec![plan("Quorum", &[a, b, c], ReviewRule::Quorum(2))]);
        let one = decide(&quorum, a, Verdict::Approve);
        assert_eq!(one.state, ReviewState::Open);
        assert_eq!(decide(&one, c, Verdict::Approve).state, ReviewState::Approved);
        let against = decide(&decide(&quorum, a, Verdict::RequestChanges), b, Verdict::RequestChanges);
        assert_eq!(against.state, ReviewState::ChangesRequested);
    }

    #[test]
    fn a_second_decision_replaces_the_first_while_the_stage_is_open() {
        let [a, b] = people();
        let r = round(vec![plan("Either", &[a, b], ReviewRule::Any)]);
        // a asks for changes (b could still approve: the stage stays open), then approves.
        let asked = decide(&r, a, Verdict::RequestChanges);
        assert_eq!(asked.state, ReviewState::Open);
        let approved = decide(&asked, a, Verdict::Approve);
        assert_eq!(approved.stages[0].decisions.len(), 1, "one decision per reviewer");
        assert_eq!(
            (approved.state, approved.stages[0].decisions[0].verdict),
            (ReviewState::Approved, Verdict::Approve)
        );
    }
}
