//! The assets service's errors: each says its kind and reason; `baton_platform::error` maps them.

use baton_messaging::MutationError;
use baton_platform::error::{Kind, ServiceError, database_kind, database_message, upstream_kind};
use baton_platform::names::{AssetName, CommentName, PersonName, ProjectName, VersionName};
use baton_platform::policy::Denial;

use crate::domain::{AssetStatus, Transition};

/// A cycle of waiting assets, in words.
fn cycle(path: &[AssetName]) -> String {
    match path {
        [asset, blocker] if asset == blocker => format!("{asset} cannot wait for itself"),
        _ => format!(
            "would make a cycle: {} (an asset cannot wait, through others, for itself)",
            path.iter().map(ToString::to_string).collect::<Vec<_>>().join(" waits for ")
        ),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AssetsError {
    #[error("asset {0} does not exist")]
    AssetNotFound(AssetName),
    #[error("parent: project {0} does not exist")]
    ProjectNotFound(ProjectName),
    #[error("parent: project {project} is {state}: it takes no new components")]
    ProjectClosed { project: ProjectName, state: &'static str },
    #[error("{field}: person {person} does not exist")]
    PersonNotFound { field: String, person: PersonName },
    #[error("{field}: person {person} is deactivated: they take no new work")]
    PersonDeactivated { field: String, person: PersonName },
    #[error("{} needs the asset in {}, but {asset} is {from}", .transition.method(), allowed(*.transition))]
    IllegalTransition { asset: AssetName, from: AssetStatus, transition: Transition },
    #[error("etag: {asset} has changed (its etag is now {current}); read it again and retry")]
    EtagMismatch { asset: AssetName, current: String },
    #[error("{asset} kept changing while this call tried to change it; retry")]
    Contended { asset: AssetName },
    #[error("{asset} waits for {}: each must be approved or delivered before it starts", .blockers.join(", "))]
    Blocked { asset: AssetName, blockers: Vec<String> },
    #[error("asset.blocked_by: asset {0} does not exist in this project")]
    BlockerNotFound(AssetName),
    #[error("asset.blocked_by: {}", cycle(.0))]
    Cycle(Vec<AssetName>),
    #[error("the component settings of {project} changed since they were read: their etag is now \"{current}\"")]
    StaleSettings { project: ProjectName, current: String },
    #[error("the component settings of {0} are changing under many writers at once; retry")]
    SettingsContended(ProjectName),
    #[error("comment {0} does not exist")]
    CommentNotFound(CommentName),
    #[error("comment.body: {0} does not exist")]
    MentionNotFound(String),
    #[error("comment.body: mentions {0} people and teams; the most is 20")]
    TooManyMentions(usize),
    #[error("comment.anchor.{part}: {rule}")]
    Anchor { part: &'static str, rule: String },
    #[error("only its author edits comment {0}")]
    NotAuthor(CommentName),
    #[error("comment {comment} changed since it was read: its etag is now \"{current}\"")]
    StaleComment { comment: CommentName, current: String },
    #[error("{field}: {rule}")]
    MistypedMeasurement { field: String, rule: String },
    #[error("quality checklist {name} changed since it was read: its etag is now \"{current}\"")]
    StaleChecklist { name: String, current: String },
    #[error("quality checklist {0} is changing under many writers at once; retry")]
    ChecklistContended(String),
    #[error("only a person does this")]
    NotAPerson,
    #[error("{0} is in a staged review round: its reviewers decide it with DecideReview")]
    ReviewRoundOpen(AssetName),
    #[error("version {0} does not exist")]
    VersionNotFound(VersionName),
    #[error("{0} has no review round (it went to a one-step review)")]
    ReviewNotFound(VersionName),
    #[error("only the reviewers of the current stage{} decide it", .0.as_ref().map(|t| format!(" (“{t}”)")).unwrap_or_default())]
    NotAReviewer(Option<String>),
    #[error("the review round ended ({0})")]
    ReviewClosed(&'static str),
    #[error("{field}: {person} is not on the project's team; reviewers must be")]
    ReviewerNotOnTeam { field: String, person: PersonName },
    #[error(transparent)]
    Denied(#[from] Denial),
    #[error("the {service} service is unavailable; retry later")]
    Upstream {
        service: &'static str,
        #[source]
        status: tonic::Status,
    },
    #[error(transparent)]
    Mutation(#[from] MutationError),
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
}

fn allowed(transition: Transition) -> String {
    transition.allowed_from().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
}

impl ServiceError for AssetsError {
    fn kind(&self) -> Kind {
        match self {
            AssetsError::AssetNotFound(_)
            | AssetsError::ProjectNotFound(_)
            | AssetsError::PersonNotFound { .. }
            | AssetsError::BlockerNotFound(_)
            | AssetsError::VersionNotFound(_)
            | AssetsError::ReviewNotFound(_)
            | AssetsError::CommentNotFound(_)
            | AssetsError::MentionNotFound(_) => Kind::NotFound,
            AssetsError::Anchor { .. } | AssetsError::TooManyMentions(_) | AssetsError::MistypedMeasurement { .. } => {
                Kind::InvalidArgument
            }
            AssetsError::IllegalTransition { .. }
            | AssetsError::ProjectClosed { .. }
            | AssetsError::PersonDeactivated { .. }
            | AssetsError::Blocked { .. }
            | AssetsError::Cycle(_)
            | AssetsError::ReviewRoundOpen(_)
            | AssetsError::ReviewClosed(_)
            | AssetsError::ReviewerNotOnTeam { .. } => Kind::FailedPrecondition,
            AssetsError::Denied(_)
            | AssetsError::NotAPerson
            | AssetsError::NotAReviewer(_)
            | AssetsError::NotAuthor(_) => Kind::PermissionDenied,
            AssetsError::EtagMismatch { .. }
            | AssetsError::Contended { .. }
            | AssetsError::StaleSettings { .. }
            | AssetsError::StaleComment { .. }
            | AssetsError::StaleChecklist { .. }
            | AssetsError::ChecklistContended(_)
            | AssetsError::SettingsContended(_) => Kind::Aborted,
            AssetsError::Upstream { status, .. } => upstream_kind(status).0,
            AssetsError::Mutation(error) => error.kind(),
            AssetsError::Database(error) => database_kind(error).0,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            AssetsError::AssetNotFound(_) => "ASSET_NOT_FOUND",
            AssetsError::ProjectNotFound(_) => "PROJECT_NOT_FOUND",
            AssetsError::PersonNotFound { .. } => "PERSON_NOT_FOUND",
            AssetsError::IllegalTransition { .. } => "ILLEGAL_TRANSITION",
            AssetsError::ProjectClosed { .. } => "PROJECT_CLOSED",
            AssetsError::PersonDeactivated { .. } => "PERSON_DEACTIVATED",
            AssetsError::NotAPerson => "NOT_A_PERSON",
            AssetsError::CommentNotFound(_) => "COMMENT_NOT_FOUND",
            AssetsError::MentionNotFound(_) => "MENTION_NOT_FOUND",
            AssetsError::TooManyMentions(_) | AssetsError::Anchor { .. } | AssetsError::MistypedMeasurement { .. } => {
                "INVALID_ARGUMENT"
            }
            AssetsError::NotAuthor(_) => "NOT_AUTHOR",
            AssetsError::StaleComment { .. } => "ETAG_MISMATCH",
            AssetsError::StaleSettings { .. } => "ETAG_MISMATCH",
            AssetsError::StaleChecklist { .. } => "ETAG_MISMATCH",
            AssetsError::SettingsContended(_) | AssetsError::ChecklistContended(_) => "CONCURRENT_UPDATE",
            AssetsError::ReviewRoundOpen(_) => "REVIEW_ROUND_OPEN",
            AssetsError::VersionNotFound(_) => "VERSION_NOT_FOUND",
            AssetsError::ReviewNotFound(_) => "REVIEW_NOT_FOUND",
            AssetsError::NotAReviewer(_) => "NOT_A_REVIEWER",
            AssetsError::ReviewClosed(_) => "REVIEW_CLOSED",
            AssetsError::ReviewerNotOnTeam { .. } => "REVIEWER_NOT_ON_TEAM",
            AssetsError::Denied(denial) => denial.reason,
            AssetsError::EtagMismatch { .. } => "ETAG_MISMATCH",
            AssetsError::Contended { .. } => "CONCURRENT_UPDATE",
            AssetsError::Blocked { .. } => "ASSET_BLOCKED",
            AssetsError::BlockerNotFound(_) => "ASSET_NOT_FOUND",
            AssetsError::Cycle(_) => "DEPENDENCY_CYCLE",
            AssetsError::Upstream { status, .. } => upstream_kind(status).1,
            AssetsError::Mutation(error) => error.reason(),
            AssetsError::Database(error) => database_kind(error).1,
        }
    }
}

impl From<AssetsError> for tonic::Status {
    fn from(error: AssetsError) -> Self {
        baton_platform::error::to_status(&error)
    }
}
