//! Assets and their review workflow, independent of the wire and the database.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub use baton_proto::assets::v1::{AssetKind, AssetStatus};

/// The most people one asset can be assigned to.
pub const MAX_ASSIGNEES: usize = 20;

/// An asset to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAsset {
    pub project_id: Uuid,
    pub display_name: String,
    pub description: String,
    pub kind: AssetKind,
    pub assignees: Vec<Uuid>,
    pub weight: i32,
}

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    pub id: Uuid,
    pub project_id: Uuid,
    pub display_name: String,
    pub description: String,
    /// The proto name of the kind, for example `ASSET_KIND_VIDEO`.
    pub kind: String,
    /// The proto name of the status, for example `ASSET_STATUS_IN_REVIEW`.
    pub status: String,
    pub assignees: Vec<Uuid>,
    pub weight: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

impl Asset {
    /// The resource name, `projects/{project}/assets/{asset}`.
    pub fn name(&self) -> String {
        format!("projects/{}/assets/{}", self.project_id, self.id)
    }

    pub fn project(&self) -> String {
        format!("projects/{}", self.project_id)
    }

    pub fn kind(&self) -> AssetKind {
        AssetKind::from_str_name(&self.kind).unwrap_or(AssetKind::Unspecified)
    }

    pub fn status(&self) -> AssetStatus {
        AssetStatus::from_str_name(&self.status).unwrap_or(AssetStatus::Unspecified)
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }
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
    pub asset_id: Uuid,
    pub project_id: Uuid,
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

    const STATUSES: [AssetStatus; 6] =
        [S::Planned, S::InProgress, S::InReview, S::ChangesRequested, S::Approved, S::Delivered];

    #[test]
    fn the_happy_path_and_a_review_round() {
        let steps = [
            (Transition::Start, S::InProgress),
            (Transition::SubmitForReview, S::InReview),
            (Transition::RequestChanges, S::ChangesRequested),
            (Transition::Start, S::InProgress),
            (Transition::SubmitForReview, S::InReview),
            (Transition::Approve, S::Approved),
            (Transition::Deliver, S::Delivered),
        ];
        let mut status = S::Planned;
        for (step, expected) in steps {
            status = step.target(status).unwrap_or_else(|| panic!("{step:?} from {status:?} refused"));
            assert_eq!(status, expected);
        }
    }

    #[test]
    fn every_pair_follows_the_table() {
        for step in Transition::ALL {
            for from in STATUSES {
                let allowed = step.allowed_from().contains(&from);
                assert_eq!(step.target(from).is_some(), allowed, "{step:?} from {from:?}");
            }
        }
    }

    #[test]
    fn delivered_is_final_and_planned_cannot_skip_ahead() {
        for step in Transition::ALL {
            assert_eq!(step.target(S::Delivered), None, "{step:?} from DELIVERED");
        }
        assert_eq!(Transition::Approve.target(S::Planned), None);
        assert_eq!(Transition::Deliver.target(S::InReview), None);
        assert_eq!(Transition::Start.target(S::Unspecified), None);
    }
}
