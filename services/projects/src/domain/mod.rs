//! Projects and teams as the service understands them, independent of the wire and the database.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use baton_platform::filter::Op;
use baton_platform::names::{ClientName, MemberName, PersonName, ProjectName};

pub mod brief;
pub mod client;
pub mod health;
pub mod milestone;
pub mod obstacle;

baton_platform::named_enum! {
    /// Where a project stands in its lifecycle.
    pub enum ProjectState {
        Conception = "PROJECT_STATE_CONCEPTION",
        PreProduction = "PROJECT_STATE_PRE_PRODUCTION",
        Production = "PROJECT_STATE_PRODUCTION",
        FineTuning = "PROJECT_STATE_FINE_TUNING",
        Delivered = "PROJECT_STATE_DELIVERED",
        Archived = "PROJECT_STATE_ARCHIVED",
        OnHold = "PROJECT_STATE_ON_HOLD",
        Cancelled = "PROJECT_STATE_CANCELLED",
    }
}

impl ProjectState {
    /// The stages, in order.
    pub const STAGES: [ProjectState; 5] = [
        ProjectState::Conception,
        ProjectState::PreProduction,
        ProjectState::Production,
        ProjectState::FineTuning,
        ProjectState::Delivered,
    ];

    /// Whether work goes on: one of the stages before delivery.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Conception | Self::PreProduction | Self::Production | Self::FineTuning)
    }

    /// The stage after this one, for an open project.
    pub fn next_stage(self) -> Option<ProjectState> {
        let at = Self::STAGES.iter().position(|stage| *stage == self)?;
        Self::STAGES.get(at + 1).copied().filter(|_| self.is_open())
    }

    /// Whether the project takes no new components or team members: archived or cancelled, both
    /// final.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Archived | Self::Cancelled)
    }
}

/// A move of a project through its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleMove {
    /// To the named stage, which must be the next one.
    Advance(ProjectState),
    Hold,
    Resume,
    Cancel,
    Archive,
}

impl LifecycleMove {
    /// The RPC that asks for it, for idempotency keys and the audit.
    pub fn method(self) -> &'static str {
        match self {
            LifecycleMove::Advance(_) => "AdvanceProject",
            LifecycleMove::Hold => "HoldProject",
            LifecycleMove::Resume => "ResumeProject",
            LifecycleMove::Cancel => "CancelProject",
            LifecycleMove::Archive => "ArchiveProject",
        }
    }

    /// What the move needs, said for a refusal.
    fn needs(self) -> String {
        match self {
            LifecycleMove::Advance(to) => format!("advancing to {to} needs the stage before it"),
            LifecycleMove::Hold => "a hold needs an open project (CONCEPTION to FINE_TUNING)".into(),
            LifecycleMove::Resume => "resuming needs a project on hold".into(),
            LifecycleMove::Cancel => "cancelling needs an open project or one on hold".into(),
            LifecycleMove::Archive => "archiving needs a delivered or cancelled project".into(),
        }
    }
}

/// A lifecycle move asked for, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectMove {
    pub project: ProjectName,
    pub action: LifecycleMove,
    pub etag: Option<String>,
    pub reason: String,
}

/// Why a lifecycle move is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveRefusal {
    /// Not from the current state: what the move needs.
    Illegal { current: ProjectState, needs: String },
    /// The project changed since the caller read it: its current etag.
    Stale { current: String },
}

/// A person's role on a project's team: the policy's project roles.
pub use baton_platform::policy::ProjectRole as MemberRole;

/// A project to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    pub display_name: String,
    pub client: ClientName,
    pub brief: String,
    pub due_date: Option<Date>,
}

/// A stored project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub name: ProjectName,
    pub display_name: String,
    pub client: ClientName,
    pub brief: String,
    pub due_date: Option<Date>,
    pub state: ProjectState,
    /// Where an ON_HOLD project returns when resumed.
    pub held_state: Option<ProjectState>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

impl Project {
    /// A new project as it will be stored: in conception, at its first revision, created `now`.
    pub fn create(new: NewProject, name: ProjectName, now: OffsetDateTime) -> Self {
        Project {
            name,
            display_name: new.display_name,
            client: new.client,
            brief: new.brief,
            due_date: new.due_date,
            state: ProjectState::Conception,
            held_state: None,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This project after a change of its team at `now`: its next revision. Team changes move
    /// the project's revision so that they are ordered and their events say which came last.
    pub fn next_revision(&self, now: OffsetDateTime) -> Project {
        Project { revision: self.revision + 1, update_time: now, ..self.clone() }
    }

    /// Whether people may join the team: not once the project is archived or cancelled.
    pub fn admit(&self) -> Result<(), TeamRefusal> {
        if self.state.is_closed() { Err(TeamRefusal::Closed(self.state)) } else { Ok(()) }
    }

    /// This project after `action` at `now`, at its next revision; refused when the move does
    /// not start from the current state, or the caller's etag is not the current one.
    pub fn moved(&self, step: &ProjectMove, now: OffsetDateTime) -> Result<Project, MoveRefusal> {
        baton_platform::etag::check(step.etag.as_deref(), self.etag())
            .map_err(|current| MoveRefusal::Stale { current })?;
        let (state, held_state) = match (step.action, self.state) {
            (LifecycleMove::Advance(to), from) if from.next_stage() == Some(to) => (to, None),
            (LifecycleMove::Hold, from) if from.is_open() => (ProjectState::OnHold, Some(from)),
            (LifecycleMove::Resume, ProjectState::OnHold) => {
                (self.held_state.unwrap_or(ProjectState::Conception), None)
            }
            (LifecycleMove::Cancel, from) if from.is_open() || from == ProjectState::OnHold => {
                (ProjectState::Cancelled, None)
            }
            (LifecycleMove::Archive, ProjectState::Delivered | ProjectState::Cancelled) => {
                (ProjectState::Archived, None)
            }
            (action, current) => return Err(MoveRefusal::Illegal { current, needs: action.needs() }),
        };
        Ok(Project { state, held_state, revision: self.revision + 1, update_time: now, ..self.clone() })
    }
}

/// Why a team change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRefusal {
    Closed(ProjectState),
}

/// A person on a project's team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub name: MemberName,
    pub role: MemberRole,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
}

/// A membership to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    pub project: ProjectName,
    pub person: PersonName,
    pub role: MemberRole,
}

/// One condition of a ListProjects filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectCondition {
    Client(Op, ClientName),
    State(Op, ProjectState),
}

/// A text field of a client that ListClients filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    DisplayName,
    Industry,
}

/// One condition of a ListClients filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCondition {
    pub field: TextField,
    pub op: Op,
    pub value: String,
}

/// A page of anything, with the token for the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        let new = NewProject {
            display_name: "Relaunch".into(),
            client: ClientName::new(uuid::Uuid::now_v7()),
            brief: String::new(),
            due_date: None,
        };
        Project::create(new, ProjectName::new(uuid::Uuid::now_v7()), OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn an_archived_or_cancelled_project_takes_no_one() {
        let mut project = project();
        assert_eq!(project.admit(), Ok(()));
        for closed in [ProjectState::Archived, ProjectState::Cancelled] {
            project.state = closed;
            assert_eq!(project.admit(), Err(TeamRefusal::Closed(closed)));
        }
    }

    fn step(action: LifecycleMove) -> ProjectMove {
        ProjectMove { project: ProjectName::new(uuid::Uuid::now_v7()), action, etag: None, reason: String::new() }
    }

    fn in_state(state: ProjectState) -> Project {
        Project { state, ..project() }
    }

    #[test]
    fn stages_advance_one_at_a_time() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut project = project();
        assert_eq!(project.state, ProjectState::Conception);
        for next in &ProjectState::STAGES[1..] {
            let skip = ProjectState::STAGES.iter().skip_while(|s| *s != next).nth(1);
            if let Some(skip) = skip {
                assert!(project.moved(&step(LifecycleMove::Advance(*skip)), now).is_err(), "{next}: no skipping");
            }
            project = project.moved(&step(LifecycleMove::Advance(*next)), now).expect("the next stage");
            assert_eq!(project.state, *next);
        }
        let refused = project.moved(&step(LifecycleMove::Advance(ProjectState::Delivered)), now);
        assert!(matches!(refused, Err(MoveRefusal::Illegal { current: ProjectState::Delivered, .. })));
        assert_eq!(project.revision, 5);
    }

    #[test]
    fn hold_resumes_where_it_was_and_cancel_then_archive_are_final() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let held = in_state(ProjectState::FineTuning).moved(&step(LifecycleMove::Hold), now).expect("hold");
        assert_eq!((held.state, held.held_state), (ProjectState::OnHold, Some(ProjectState::FineTuning)));
        assert!(held.moved(&step(LifecycleMove::Hold), now).is_err(), "already on hold");
        assert!(held.moved(&step(LifecycleMove::Advance(ProjectState::Delivered)), now).is_err());
        let resumed = held.moved(&step(LifecycleMove::Resume), now).expect("resume");
        assert_eq!((resumed.state, resumed.held_state), (ProjectState::FineTuning, None));
        let cancelled = held.moved(&step(LifecycleMove::Cancel), now).expect("cancel from hold");
        assert_eq!((cancelled.state, cancelled.held_state), (ProjectState::Cancelled, None));
        for action in [LifecycleMove::Hold, LifecycleMove::Resume, LifecycleMove::Cancel] {
            assert!(cancelled.moved(&step(action), now).is_err(), "{action:?} after cancel");
        }
        let archived = cancelled.moved(&step(LifecycleMove::Archive), now).expect("archive");
        for action in [LifecycleMove::Hold, LifecycleMove::Resume, LifecycleMove::Cancel, LifecycleMove::Archive] {
            assert!(archived.moved(&step(action), now).is_err(), "{action:?} after archive");
        }
        assert!(in_state(ProjectState::Production).moved(&step(LifecycleMove::Archive), now).is_err());
        assert!(in_state(ProjectState::Delivered).moved(&step(LifecycleMove::Cancel), now).is_err());
        assert!(in_state(ProjectState::Delivered).moved(&step(LifecycleMove::Hold), now).is_err());
    }

    #[test]
    fn a_stale_etag_refuses_any_move() {
        let project = project();
        let stale = ProjectMove { etag: Some("0".into()), ..step(LifecycleMove::Hold) };
        assert_eq!(project.moved(&stale, OffsetDateTime::UNIX_EPOCH), Err(MoveRefusal::Stale { current: "1".into() }));
    }

    #[test]
    fn team_changes_move_the_revision() {
        let project = project();
        let later = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1);
        let next = project.next_revision(later);
        assert_eq!((next.revision, next.update_time, next.create_time), (2, later, project.create_time));
    }
}
