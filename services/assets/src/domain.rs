//! Assets and their review workflow, independent of the wire and the database.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use baton_platform::names::{AssetName, PersonName, ProjectName};

baton_platform::named_enum! {
    /// What kind of media component an asset is.
    pub enum AssetKind {
        Graphic = "ASSET_KIND_GRAPHIC",
        Animation = "ASSET_KIND_ANIMATION",
        Audio = "ASSET_KIND_AUDIO",
        Video = "ASSET_KIND_VIDEO",
        WebPage = "ASSET_KIND_WEB_PAGE",
        DatabaseFeature = "ASSET_KIND_DATABASE_FEATURE",
        Copy = "ASSET_KIND_COPY",
        Other = "ASSET_KIND_OTHER",
    }
}

baton_platform::named_enum! {
    /// Where an asset stands in its review workflow.
    pub enum AssetStatus {
        Planned = "ASSET_STATUS_PLANNED",
        InProgress = "ASSET_STATUS_IN_PROGRESS",
        InReview = "ASSET_STATUS_IN_REVIEW",
        ChangesRequested = "ASSET_STATUS_CHANGES_REQUESTED",
        Approved = "ASSET_STATUS_APPROVED",
        Delivered = "ASSET_STATUS_DELIVERED",
    }
}

impl AssetStatus {
    /// The statuses a client sees: work put in front of them, never work in progress.
    pub const CLIENT_VISIBLE: &'static [AssetStatus] =
        &[AssetStatus::InReview, AssetStatus::ChangesRequested, AssetStatus::Approved, AssetStatus::Delivered];

    pub fn client_visible(self) -> bool {
        Self::CLIENT_VISIBLE.contains(&self)
    }
}

/// An asset to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAsset {
    pub project: ProjectName,
    pub display_name: String,
    pub description: String,
    pub kind: AssetKind,
    pub assignees: Vec<PersonName>,
    pub weight: i32,
}

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    pub name: AssetName,
    pub display_name: String,
    pub description: String,
    pub kind: AssetKind,
    pub status: AssetStatus,
    pub assignees: Vec<PersonName>,
    pub weight: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

impl Asset {
    /// A new asset as it will be stored: planned, at its first revision, created `now`.
    pub fn create(new: NewAsset, id: uuid::Uuid, now: OffsetDateTime) -> Self {
        Asset {
            name: AssetName::new(new.project, id),
            display_name: new.display_name,
            description: new.description,
            kind: new.kind,
            status: AssetStatus::Planned,
            assignees: new.assignees,
            weight: new.weight,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This asset after `step`, taken at `now`: its next revision in the step's status. Refused
    /// when the caller's etag is not this revision or the step is not allowed from here.
    pub fn take(&self, step: &TransitionRequest, now: OffsetDateTime) -> Result<Asset, Refusal> {
        if step.etag.as_ref().is_some_and(|etag| *etag != self.etag()) {
            return Err(Refusal::EtagMismatch { current: self.etag() });
        }
        let status = step.transition.target(self.status).ok_or(Refusal::IllegalTransition { from: self.status })?;
        Ok(Asset { status, update_time: now, revision: self.revision + 1, ..self.clone() })
    }
}

/// Why an asset refuses a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    EtagMismatch { current: String },
    IllegalTransition { from: AssetStatus },
}

/// A step of the review workflow, one per custom method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Start,
    SubmitForReview,
    RequestChanges,
    Approve,
    Deliver,
}

impl Transition {
    pub const ALL: [Transition; 5] = [
        Transition::Start,
        Transition::SubmitForReview,
        Transition::RequestChanges,
        Transition::Approve,
        Transition::Deliver,
    ];

    /// The status an asset in `from` moves to, or `None` when this step is not allowed there.
    ///
    /// PLANNED → IN_PROGRESS → IN_REVIEW → CHANGES_REQUESTED → IN_PROGRESS → … → APPROVED → DELIVERED
    pub fn target(self, from: AssetStatus) -> Option<AssetStatus> {
        self.allowed_from().contains(&from).then(|| self.to())
    }

    /// The status this step leads to, from any status it is allowed in.
    pub fn to(self) -> AssetStatus {
        use AssetStatus as S;
        match self {
            Transition::Start => S::InProgress,
            Transition::SubmitForReview => S::InReview,
            Transition::RequestChanges => S::ChangesRequested,
            Transition::Approve => S::Approved,
            Transition::Deliver => S::Delivered,
        }
    }

    /// The statuses this step may start from.
    pub fn allowed_from(self) -> &'static [AssetStatus] {
        use AssetStatus as S;
        match self {
            Transition::Start => &[S::Planned, S::ChangesRequested],
            Transition::SubmitForReview => &[S::InProgress],
            Transition::RequestChanges | Transition::Approve => &[S::InReview],
            Transition::Deliver => &[S::Approved],
        }
    }

    /// The custom method's name, also the idempotency scope.
    pub fn method(self) -> &'static str {
        match self {
            Transition::Start => "StartAsset",
            Transition::SubmitForReview => "SubmitAssetForReview",
            Transition::RequestChanges => "RequestAssetChanges",
            Transition::Approve => "ApproveAsset",
            Transition::Deliver => "DeliverAsset",
        }
    }
}

/// A workflow step asked of one asset, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionRequest {
    pub asset: AssetName,
    pub transition: Transition,
    pub etag: Option<String>,
    pub comment: String,
}

/// A page of assets.
#[derive(Debug, Clone)]
pub struct AssetPage {
    pub assets: Vec<Asset>,
    pub next_page_token: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssetStatus as S;
    use Transition as T;

    /// The workflow written out as a table, independently of `allowed_from`: for each status,
    /// the status each step leads to (`None`: refused).
    const TABLE: [(AssetStatus, [Option<AssetStatus>; 5]); 6] = [
        //                     Start               Submit            RequestChanges           Approve            Deliver
        (S::Planned, [Some(S::InProgress), None, None, None, None]),
        (S::InProgress, [None, Some(S::InReview), None, None, None]),
        (S::InReview, [None, None, Some(S::ChangesRequested), Some(S::Approved), None]),
        (S::ChangesRequested, [Some(S::InProgress), None, None, None, None]),
        (S::Approved, [None, None, None, None, Some(S::Delivered)]),
        (S::Delivered, [None, None, None, None, None]),
    ];

    #[test]
    fn every_pair_follows_the_table() {
        assert_eq!(TABLE.len(), S::ALL.len(), "the table covers every status");
        for (from, targets) in TABLE {
            for (step, expected) in T::ALL.into_iter().zip(targets) {
                assert_eq!(step.target(from), expected, "{step:?} from {from:?}");
            }
        }
    }

    #[test]
    fn the_happy_path_and_a_review_round() {
        let steps = [
            (T::Start, S::InProgress),
            (T::SubmitForReview, S::InReview),
            (T::RequestChanges, S::ChangesRequested),
            (T::Start, S::InProgress),
            (T::SubmitForReview, S::InReview),
            (T::Approve, S::Approved),
            (T::Deliver, S::Delivered),
        ];
        let mut status = S::Planned;
        for (step, expected) in steps {
            status = step.target(status).unwrap_or_else(|| panic!("{step:?} from {status:?} refused"));
            assert_eq!(status, expected);
        }
    }

    fn asset() -> Asset {
        let new = NewAsset {
            project: ProjectName::new(uuid::Uuid::now_v7()),
            display_name: "Poster".into(),
            description: String::new(),
            kind: AssetKind::Graphic,
            assignees: vec![],
            weight: 1,
        };
        Asset::create(new, uuid::Uuid::now_v7(), OffsetDateTime::UNIX_EPOCH)
    }

    fn step(asset: &Asset, transition: Transition, etag: Option<&str>) -> TransitionRequest {
        TransitionRequest { asset: asset.name, transition, etag: etag.map(str::to_string), comment: String::new() }
    }

    #[test]
    fn taking_a_step_moves_to_the_next_revision() {
        let planned = asset();
        let later = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(5);
        let started = planned.take(&step(&planned, T::Start, Some("1")), later).expect("allowed");
        assert_eq!((started.status, started.revision, started.update_time), (S::InProgress, 2, later));
        assert_eq!(started.create_time, planned.create_time);
        assert_eq!(
            started.take(&step(&started, T::Approve, None), later),
            Err(Refusal::IllegalTransition { from: S::InProgress })
        );
        assert_eq!(
            started.take(&step(&started, T::SubmitForReview, Some("1")), later),
            Err(Refusal::EtagMismatch { current: "2".into() })
        );
    }
}
