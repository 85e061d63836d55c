//! Obstacles: the risks and blockers of a project, who deals with them, and how they were
//! resolved.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use baton_platform::filter::Op;
use baton_platform::names::{AssetName, ObstacleName, PersonName};

baton_platform::named_enum! {
    /// A risk (may happen) or a blocker (stops work now).
    pub enum ObstacleKind {
        Risk = "OBSTACLE_KIND_RISK",
        Blocker = "OBSTACLE_KIND_BLOCKER",
    }
}

baton_platform::named_enum! {
    /// How bad an obstacle is, from least to worst.
    pub enum Severity {
        Low = "OBSTACLE_SEVERITY_LOW",
        Medium = "OBSTACLE_SEVERITY_MEDIUM",
        High = "OBSTACLE_SEVERITY_HIGH",
        Critical = "OBSTACLE_SEVERITY_CRITICAL",
    }
}

baton_platform::named_enum! {
    /// Whether an obstacle still stands.
    pub enum ObstacleState {
        Open = "OBSTACLE_STATE_OPEN",
        Resolved = "OBSTACLE_STATE_RESOLVED",
    }
}

impl Severity {
    /// Its place from least to worst, for comparisons in filters.
    pub fn rank(self) -> i16 {
        match self {
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
            Severity::Critical => 4,
        }
    }
}

/// The fields of an obstacle that its raiser sets and an update may change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObstacleFields {
    pub title: String,
    pub description: String,
    pub kind: ObstacleKind,
    pub severity: Severity,
    pub component: Option<AssetName>,
    pub owner: Option<PersonName>,
}

/// A stored obstacle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Obstacle {
    pub name: ObstacleName,
    pub fields: ObstacleFields,
    pub raised_by: String,
    pub state: ObstacleState,
    pub resolution: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolve_time: Option<OffsetDateTime>,
    pub revision: i64,
}

/// A field an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObstacleField {
    Title,
    Description,
    Kind,
    Severity,
    Component,
    Owner,
}

impl ObstacleField {
    pub const ALL: [ObstacleField; 6] = [
        ObstacleField::Title,
        ObstacleField::Description,
        ObstacleField::Kind,
        ObstacleField::Severity,
        ObstacleField::Component,
        ObstacleField::Owner,
    ];

    pub fn path(self) -> &'static str {
        match self {
            ObstacleField::Title => "title",
            ObstacleField::Description => "description",
            ObstacleField::Kind => "kind",
            ObstacleField::Severity => "severity",
            ObstacleField::Component => "component",
            ObstacleField::Owner => "owner",
        }
    }
}

/// A change of an obstacle asked for, already validated.
#[derive(Debug, Clone, PartialEq)]
pub enum ObstacleAction {
    /// The named fields take the given values.
    Update {
        fields: Vec<ObstacleField>,
        values: ObstacleFields,
    },
    Resolve {
        resolution: String,
    },
    Reopen,
}

impl ObstacleAction {
    pub fn method(&self) -> &'static str {
        match self {
            ObstacleAction::Update { .. } => "UpdateObstacle",
            ObstacleAction::Resolve { .. } => "ResolveObstacle",
            ObstacleAction::Reopen => "ReopenObstacle",
        }
    }
}

/// A change of one obstacle.
#[derive(Debug, Clone, PartialEq)]
pub struct ObstacleChange {
    pub name: ObstacleName,
    pub action: ObstacleAction,
    pub etag: Option<String>,
}

/// Why a change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObstacleRefusal {
    /// Resolving a resolved one, or reopening an open one.
    WrongState(ObstacleState),
    Stale {
        current: String,
    },
}

/// One condition of a ListObstacles filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObstacleCondition {
    State(Op, ObstacleState),
    Kind(Op, ObstacleKind),
    Severity(Op, Severity),
    Owner(Op, PersonName),
    Component(Op, AssetName),
}

impl Obstacle {
    /// A new obstacle as it will be stored: open, at its first revision.
    pub fn raise(name: ObstacleName, fields: ObstacleFields, raised_by: String, now: OffsetDateTime) -> Self {
        Obstacle {
            name,
            fields,
            raised_by,
            state: ObstacleState::Open,
            resolution: String::new(),
            create_time: now,
            update_time: now,
            resolve_time: None,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This obstacle after `change` at `now`, and the fields that changed.
    pub fn changed(
        &self,
        change: &ObstacleChange,
        now: OffsetDateTime,
    ) -> Result<(Obstacle, Vec<&'static str>), ObstacleRefusal> {
        baton_platform::etag::check(change.etag.as_deref(), self.etag())
            .map_err(|current| ObstacleRefusal::Stale { current })?;
        let mut next = self.clone();
        let mut changed = Vec::new();
        match &change.action {
            ObstacleAction::Update { fields, values } => {
                for field in fields {
                    let differs = match field {
                        ObstacleField::Title => replace(&mut next.fields.title, &values.title),
                        ObstacleField::Description => replace(&mut next.fields.description, &values.description),
                        ObstacleField::Kind => replace(&mut next.fields.kind, &values.kind),
                        ObstacleField::Severity => replace(&mut next.fields.severity, &values.severity),
                        ObstacleField::Component => replace(&mut next.fields.component, &values.component),
                        ObstacleField::Owner => replace(&mut next.fields.owner, &values.owner),
                    };
                    if differs {
                        changed.push(field.path());
                    }
                }
            }
            ObstacleAction::Resolve { resolution } => {
                if self.state != ObstacleState::Open {
                    return Err(ObstacleRefusal::WrongState(self.state));
                }
                next.state = ObstacleState::Resolved;
                next.resolution = resolution.clone();
                next.resolve_time = Some(now);
                changed = vec!["state", "resolution"];
            }
            ObstacleAction::Reopen => {
                if self.state != ObstacleState::Resolved {
                    return Err(ObstacleRefusal::WrongState(self.state));
                }
                next.state = ObstacleState::Open;
                next.resolution = String::new();
                next.resolve_time = None;
                changed = vec!["state", "resolution"];
            }
        }
        next.revision += 1;
        next.update_time = now;
        Ok((next, changed))
    }
}

/// Sets `slot` to `value`; whether that changed it.
fn replace<T: PartialEq + Clone>(slot: &mut T, value: &T) -> bool {
    let differs = slot != value;
    *slot = value.clone();
    differs
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_platform::names::ProjectName;

    fn obstacle() -> Obstacle {
        let project = ProjectName::new(uuid::Uuid::now_v7());
        let fields = ObstacleFields {
            title: "Licence".into(),
            description: String::new(),
            kind: ObstacleKind::Risk,
            severity: Severity::Medium,
            component: None,
            owner: None,
        };
        Obstacle::raise(
            ObstacleName::new(project, uuid::Uuid::now_v7()),
            fields,
            "people/x".into(),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn resolve_and_reopen_alternate() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let open = obstacle();
        let change = |action| ObstacleChange { name: open.name, action, etag: None };
        let resolve = change(ObstacleAction::Resolve { resolution: "Cleared".into() });
        let (resolved, changed) = open.changed(&resolve, now).expect("resolve");
        assert_eq!(
            (resolved.state, resolved.resolution.as_str(), changed),
            (ObstacleState::Resolved, "Cleared", vec!["state", "resolution"])
        );
        assert_eq!(resolved.changed(&resolve, now), Err(ObstacleRefusal::WrongState(ObstacleState::Resolved)));
        let (reopened, _) = resolved.changed(&change(ObstacleAction::Reopen), now).expect("reopen");
        assert_eq!((reopened.state, reopened.resolve_time, reopened.revision), (ObstacleState::Open, None, 3));
        assert_eq!(
            open.changed(&change(ObstacleAction::Reopen), now),
            Err(ObstacleRefusal::WrongState(ObstacleState::Open))
        );
    }

    #[test]
    fn an_update_reports_only_what_differs() {
        let open = obstacle();
        let mut values = open.fields.clone();
        values.severity = Severity::Critical;
        let update = ObstacleChange {
            name: open.name,
            action: ObstacleAction::Update { fields: vec![ObstacleField::Title, ObstacleField::Severity], values },
            etag: Some("1".into()),
        };
        let (next, changed) = open.changed(&update, OffsetDateTime::UNIX_EPOCH).expect("update");
        assert_eq!((next.fields.severity, changed), (Severity::Critical, vec!["severity"]));
        assert_eq!(
            next.changed(&update, OffsetDateTime::UNIX_EPOCH),
            Err(ObstacleRefusal::Stale { current: "2".into() })
        );
        assert!(Severity::Low.rank() < Severity::Critical.rank());
    }
}
