//! Who is told of what: the rule of every notification kind (the default Baton ships, the
//! agency's change of it, a project's override), and the resolution of one happening's rule
//! against the service's projections into recipients, each with the reason they were told.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{PersonName, ProjectName, TeamName};
pub use baton_platform::policy::ProjectRole;

use crate::domain::{Message, NotificationKind, Reason};

baton_platform::named_enum! {
    /// People who stand in a relation to an event.
    pub enum Relation {
        /// The people the event is about.
        Subject = "AUDIENCE_RELATION_SUBJECT",
        Assignees = "AUDIENCE_RELATION_ASSIGNEES",
        Watchers = "AUDIENCE_RELATION_WATCHERS",
        Mentioned = "AUDIENCE_RELATION_MENTIONED",
        /// The reviewers of the stage that just opened (of a review waiting: those who have not
        /// decided yet).
        Reviewers = "AUDIENCE_RELATION_REVIEWERS",
        ProjectTeam = "AUDIENCE_RELATION_PROJECT_TEAM",
    }
}

pub use baton_platform::org::Department;

/// One group of people a rule tells. Stored as JSON (`{"relation": "AUDIENCE_RELATION_…"}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Relation(Relation),
    ProjectRole(ProjectRole),
    Team(TeamName),
    Department(Department),
}

impl Audience {
    /// Why a person in this audience is told.
    pub fn reason(self) -> Reason {
        match self {
            Audience::Relation(Relation::Subject) => Reason::AboutYou,
            Audience::Relation(Relation::Assignees) => Reason::Assignee,
            Audience::Relation(Relation::Watchers) => Reason::Watcher,
            Audience::Relation(Relation::Mentioned) => Reason::Mentioned,
            Audience::Relation(Relation::Reviewers) => Reason::Reviewer,
            Audience::Relation(Relation::ProjectTeam) => Reason::TeamMember,
            Audience::ProjectRole(_) => Reason::ProjectRole,
            Audience::Team(_) | Audience::Department(_) => Reason::Team,
        }
    }
}

impl std::fmt::Display for Audience {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::domain::humanize;
        match self {
            Audience::Relation(r) => f.write_str(&humanize(r.as_str(), "AUDIENCE_RELATION_")),
            Audience::ProjectRole(r) => write!(f, "the project's {}", humanize(r.as_str(), "PROJECT_MEMBER_ROLE_")),
            Audience::Team(team) => write!(f, "the team {team}"),
            Audience::Department(d) => write!(f, "the {} department", humanize(d.as_str(), "DEPARTMENT_")),
        }
    }
}

/// The most audiences one rule may name.
pub const MAX_AUDIENCES: usize = 20;

use Audience::{ProjectRole as Role, Relation as Rel};
use Relation::*;

const SUBJECT: Audience = Rel(Subject);
const ASSIGNEES: Audience = Rel(Assignees);
const WATCHERS: Audience = Rel(Watchers);
const MENTIONED: Audience = Rel(Mentioned);
const REVIEWERS: Audience = Rel(Reviewers);
const PROJECT_TEAM: Audience = Rel(ProjectTeam);
const PRODUCER: Audience = Role(ProjectRole::Producer);
const LEAD: Audience = Role(ProjectRole::Lead);

/// A notification kind: the event type it tells of (none for a reminder, which the scheduler
/// raises) and who is told when nobody changed it.
#[derive(Debug)]
pub struct KindSpec {
    pub kind: NotificationKind,
    pub event_type: Option<&'static str>,
    pub defaults: &'static [Audience],
}

macro_rules! kinds {
    (@event) => { None };
    (@event $event:path) => { Some(<$event as baton_proto::Event>::TYPE) };
    ($($kind:ident $(: $event:path)? => [$($audience:expr),* $(,)?]),* $(,)?) => {
        /// Every kind, in the order of the wire enum, with its default audiences: the people who
        /// do the work and those who asked to follow it; the team for what moves the project;
        /// the producer and leads for what changes the plan.
        pub const KINDS: &[KindSpec] = &[
            $(KindSpec {
                kind: NotificationKind::$kind,
                event_type: kinds!(@event $($event)?),
                defaults: &[$($audience),*],
            }),*
        ];
    };
}

use baton_proto::assets::v1 as assets;
use baton_proto::people::v1 as people;
use baton_proto::projects::v1 as projects;

kinds! {
    AssetStatusChanged: assets::AssetStatusChanged => [ASSIGNEES, WATCHERS, PROJECT_TEAM],
    ProjectMemberAdded: projects::ProjectMemberAdded => [SUBJECT],
    AssetCreated: assets::AssetCreated => [ASSIGNEES],
    AssetUpdated: assets::AssetUpdated => [SUBJECT],
    VersionSubmitted: assets::VersionSubmitted => [REVIEWERS, ASSIGNEES, WATCHERS],
    ReviewDecided: assets::ReviewDecided => [REVIEWERS, ASSIGNEES, WATCHERS],
    CommentCreated: assets::CommentCreated => [MENTIONED, ASSIGNEES, WATCHERS],
    CommentEdited: assets::CommentEdited => [MENTIONED],
    RetakeCapReached: assets::RetakeCapReached => [PRODUCER, ASSIGNEES],
    QualityAssessed: assets::QualityAssessed => [ASSIGNEES],
    QualityChecklistUpdated: assets::QualityChecklistUpdated => [LEAD],
    MeasurementsRecorded: assets::MeasurementsRecorded => [ASSIGNEES],
    ComponentSettingsUpdated: assets::ComponentSettingsUpdated => [PRODUCER, LEAD],
    ProjectMemberRemoved: projects::ProjectMemberRemoved => [SUBJECT],
    ProjectCreated: projects::ProjectCreated => [],
    ProjectStateChanged: projects::ProjectStateChanged => [PROJECT_TEAM],
    BriefUpdated: projects::BriefUpdated => [PRODUCER, LEAD],
    ObstacleRaised: projects::ObstacleRaised => [SUBJECT, PRODUCER, ASSIGNEES],
    ObstacleChanged: projects::ObstacleChanged => [SUBJECT, PRODUCER],
    MilestoneChanged: projects::MilestoneChanged => [PRODUCER, LEAD],
    ProjectHealthChanged: projects::ProjectHealthChanged => [PRODUCER],
    ClientCreated: projects::ClientCreated => [],
    ClientUpdated: projects::ClientUpdated => [],
    PersonCreated: people::PersonCreated => [],
    PersonStateChanged: people::PersonStateChanged => [SUBJECT],
    PersonUpdated: people::PersonUpdated => [],
    TeamCreated: people::TeamCreated => [SUBJECT],
    TeamUpdated: people::TeamUpdated => [SUBJECT],
    TimeOffChanged: people::TimeOffChanged => [SUBJECT],
    AllocationChanged: people::AllocationChanged => [SUBJECT],
    ComponentDueSoon => [ASSIGNEES, WATCHERS],
    ComponentOverdue => [ASSIGNEES, PRODUCER],
    MilestoneDueSoon => [PRODUCER, LEAD],
    ReviewWaiting => [REVIEWERS, PRODUCER],
}

impl NotificationKind {
    /// Its rules' id: the wire name in lower case with dashes, `asset-status-changed`.
    pub fn id(self) -> String {
        self.as_str().trim_start_matches("NOTIFICATION_KIND_").to_ascii_lowercase().replace('_', "-")
    }

    /// The kind a rule id names.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| kind.id() == id)
    }

    pub fn spec(self) -> &'static KindSpec {
        KINDS.iter().find(|spec| spec.kind == self).expect("every kind has a spec (tested)")
    }

    /// The kind that tells of an event type.
    pub fn of_event(event_type: &str) -> Option<Self> {
        KINDS.iter().find(|spec| spec.event_type == Some(event_type)).map(|spec| spec.kind)
    }
}

/// A rule's name: the agency's, or a project's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleName {
    pub project: Option<ProjectName>,
    pub kind: NotificationKind,
}

impl RuleName {
    pub const COLLECTION: &'static str = "notificationRules";

    /// Reads `notificationRules/{kind}` (`project` false) or
    /// `projects/{project}/notificationRules/{kind}` (`project` true).
    pub fn parse(value: &str, project: bool) -> Result<Self, String> {
        let form = if project {
            "must be projects/{project}/notificationRules/{kind}"
        } else {
            "must be notificationRules/{kind}"
        };
        let (scope, id) = value.rsplit_once(&format!("{}/", Self::COLLECTION)).ok_or_else(|| form.to_string())?;
        let project = match (project, scope) {
            (false, "") => None,
            (true, scope) if scope.ends_with('/') => {
                Some(ProjectName::parse(scope.trim_end_matches('/')).map_err(|_| form.to_string())?)
            }
            _ => return Err(form.into()),
        };
        let kind = NotificationKind::from_id(id).ok_or_else(|| {
            let known: Vec<String> = NotificationKind::ALL.iter().map(|k| k.id()).collect();
            format!("names the kind \"{id}\", which is not one of {}", known.join(", "))
        })?;
        Ok(Self { project, kind })
    }
}

impl std::fmt::Display for RuleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(project) = self.project {
            write!(f, "{project}/")?;
        }
        write!(f, "{}/{}", Self::COLLECTION, self.kind.id())
    }
}

/// A change an administrator or a producer made to a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleChange {
    pub audiences: Vec<Audience>,
    pub mandatory: bool,
    pub update_time: OffsetDateTime,
    pub updater: Option<PersonName>,
}

/// A rule as someone reads it: the one in force for its name.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: RuleName,
    pub audiences: Vec<Audience>,
    pub mandatory: bool,
    /// Whether it differs from what it inherits (a project's from the agency's, the agency's
    /// from the default).
    pub overridden: bool,
    pub update_time: Option<OffsetDateTime>,
    pub updater: Option<PersonName>,
}

impl Rule {
    /// The rule in force: the project's override, else the agency's change, else the default;
    /// mandatory when the agency's rule is.
    pub fn effective(name: RuleName, agency: Option<&RuleChange>, project: Option<&RuleChange>) -> Rule {
        let mandatory = agency.is_some_and(|a| a.mandatory);
        let (audiences, overridden, changed) = match (name.project, project, agency) {
            (Some(_), Some(project), _) => (project.audiences.clone(), true, Some(project)),
            (Some(_), None, Some(agency)) => (agency.audiences.clone(), false, Some(agency)),
            (None, _, Some(agency)) => (agency.audiences.clone(), true, Some(agency)),
            (_, _, None) => (name.kind.spec().defaults.to_vec(), false, None),
        };
        Rule {
            name,
            audiences,
            mandatory,
            overridden,
            update_time: changed.map(|c| c.update_time),
            updater: changed.and_then(|c| c.updater),
        }
    }

    /// The rule's checksum, for optimistic concurrency.
    pub fn etag(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.audiences.hash(&mut hasher);
        self.mandatory.hash(&mut hasher);
        self.overridden.hash(&mut hasher);
        self.update_time.map(|t| t.unix_timestamp_nanos()).hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}

/// The agency's and the projects' changes to the rules of some kinds, as read for a run.
#[derive(Debug, Default)]
pub struct RulesInForce {
    pub agency: HashMap<NotificationKind, RuleChange>,
    pub projects: HashMap<(Uuid, NotificationKind), RuleChange>,
    /// The projects read that have an enabled webhook: told of every event, whoever else is.
    pub hooked: Vec<Uuid>,
}

impl RulesInForce {
    /// Who is told of `kind` in `project` (or outside any project).
    pub fn audiences(&self, project: Option<Uuid>, kind: NotificationKind) -> Vec<Audience> {
        if let Some(change) = project.and_then(|p| self.projects.get(&(p, kind))) {
            return change.audiences.clone();
        }
        match self.agency.get(&kind) {
            Some(change) => change.audiences.clone(),
            None => kind.spec().defaults.to_vec(),
        }
    }
}

/// The audiences of a mandatory agency rule that a project's override leaves out: a mandatory
/// rule's override may add to them, never drop one.
pub fn dropped(agency: &[Audience], project: &[Audience]) -> Vec<Audience> {
    agency.iter().copied().filter(|a| !project.contains(a)).collect()
}

/// A component as the notifications service knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub id: Uuid,
    pub project: Uuid,
    pub display_name: String,
    /// Shown to the client (unset on the wire meaning shown).
    pub client_visible: bool,
    pub assignees: Vec<Uuid>,
    pub watchers: Vec<Uuid>,
    /// The asset's revision it was read at.
    pub revision: i64,
    /// When it is due, if it is (its reminders are planned from it).
    pub due_date: Option<time::Date>,
    /// Approved or delivered: nothing to remind of.
    pub done: bool,
    /// Waiting for a review: its review's reminder stands only while it is.
    pub in_review: bool,
    /// When the asset last changed, as it says (a one-step review waits from when it entered
    /// review).
    pub update_time: Option<time::OffsetDateTime>,
}

/// Whether a project's client contacts may be told of a happening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSees {
    Never,
    Always,
    /// When the component it is about is shown to clients.
    IfComponentShown,
}

/// The words of a notification: one message for everyone, and a message of their own for some
/// of the people it is about ("You joined …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    pub general: Message,
    pub personal: Vec<(Uuid, Message)>,
}

/// The display names wording needs, as projected.
#[derive(Debug, Default)]
pub struct Names {
    pub people: HashMap<Uuid, String>,
    pub projects: HashMap<Uuid, String>,
}

impl Names {
    /// A person's name, "Someone" when unknown.
    pub fn person(&self, id: Uuid) -> &str {
        self.people.get(&id).map_or("Someone", String::as_str)
    }
}

/// What a happening's words are written from: the names of who acted, where, on what.
#[derive(Debug, Clone, Copy)]
pub struct Scene<'a> {
    /// Who acted, "Someone" when unknown.
    pub actor: &'a str,
    /// The project's title, when known.
    pub project: Option<&'a str>,
    /// The component's name, "a component" when unknown.
    pub component: &'a str,
    pub names: &'a Names,
}

impl Scene<'_> {
    /// `text`, with the project's title in brackets when known, as a sentence.
    pub fn sentence(&self, text: &str) -> String {
        match self.project {
            Some(project) => format!("{text} ({project})."),
            None => format!("{text}."),
        }
    }

    /// The project's title, "the project" when unknown.
    pub fn project(&self) -> &str {
        self.project.unwrap_or("the project")
    }
}

pub type Words = Box<dyn Fn(&Scene<'_>) -> Wording + Send + Sync>;

/// What one event means for notifications: whom it concerns and how to word it.
pub struct Happening {
    pub event_id: Uuid,
    pub kind: NotificationKind,
    pub actor: Option<Uuid>,
    /// The actor as the event names them (`people/{id}` or empty).
    pub actor_name: String,
    pub project: Option<Uuid>,
    /// The component it is about, whose assignees and watchers count.
    pub component: Option<Uuid>,
    /// The component as the event carries it, if it does; newer than any projection.
    pub carried: Option<Component>,
    pub subjects: Vec<Uuid>,
    pub mentioned_people: Vec<Uuid>,
    pub mentioned_teams: Vec<Uuid>,
    pub reviewers: Vec<Uuid>,
    pub client: ClientSees,
    /// The resource it is about, as a name.
    pub subject: String,
    pub traceparent: Option<String>,
    pub words: Words,
}

impl std::fmt::Debug for Happening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Happening").field("event_id", &self.event_id).field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl Happening {
    pub fn new(event_id: Uuid, kind: NotificationKind, actor_name: &str, words: Words) -> Self {
        Self {
            event_id,
            kind,
            actor: baton_platform::validate::resource_id(actor_name, "people").ok(),
            actor_name: actor_name.to_string(),
            project: None,
            component: None,
            carried: None,
            subjects: Vec::new(),
            mentioned_people: Vec::new(),
            mentioned_teams: Vec::new(),
            reviewers: Vec::new(),
            client: ClientSees::Never,
            subject: String::new(),
            traceparent: None,
            words,
        }
    }

    /// The component it concerns: as carried, else as projected.
    pub fn component_in<'a>(&'a self, components: &'a HashMap<Uuid, Component>) -> Option<&'a Component> {
        self.carried.as_ref().or_else(|| self.component.and_then(|id| components.get(&id)))
    }
}

/// What resolution reads besides the happening.
#[derive(Debug, Default)]
pub struct Audiences {
    /// Each project's active team, by person, in id order.
    pub members: HashMap<Uuid, BTreeMap<Uuid, ProjectRole>>,
    /// Each team's members.
    pub teams: HashMap<Uuid, Vec<Uuid>>,
    /// Each department's team.
    pub departments: HashMap<Department, Uuid>,
}

/// Whether `audiences` may tell anyone of `happening` at all: false when they name only people
/// the event itself lists and it lists nobody (a component created with no assignees), so that
/// nothing needs to be read to know nobody is told.
pub fn may_tell(happening: &Happening, audiences: &[Audience]) -> bool {
    audiences.iter().any(|audience| match audience {
        Rel(Subject) => !happening.subjects.is_empty(),
        Rel(Mentioned) => !happening.mentioned_people.is_empty() || !happening.mentioned_teams.is_empty(),
        Rel(Reviewers) => !happening.reviewers.is_empty(),
        Rel(Assignees) | Rel(Watchers) => match &happening.carried {
            Some(component) => {
                let people = if *audience == ASSIGNEES { &component.assignees } else { &component.watchers };
                !people.is_empty()
            }
            None => happening.component.is_some(),
        },
        _ => true,
    })
}

/// Who is told of `happening` under `audiences`, each once with the reason of the first
/// audience they are in: never the actor; of an event in a project only its team (and the
/// people it is about, whatever their place); client contacts only of what clients see.
pub fn resolve(
    happening: &Happening,
    audiences: &[Audience],
    known: &Audiences,
    components: &HashMap<Uuid, Component>,
) -> Vec<(Uuid, Reason)> {
    let team = happening.project.map(|p| known.members.get(&p));
    let component = happening.component_in(components);
    let client_sees = match happening.client {
        ClientSees::Never => false,
        ClientSees::Always => true,
        ClientSees::IfComponentShown => component.is_some_and(|c| c.client_visible),
    };
    let team_of = |id: &Uuid| known.teams.get(id).map(Vec::as_slice).unwrap_or_default();
    let mut told = Vec::new();
    let mut seen = HashSet::new();
    for audience in audiences {
        let people: Vec<Uuid> = match *audience {
            Rel(Subject) => happening.subjects.clone(),
            Rel(Assignees) => component.map(|c| c.assignees.clone()).unwrap_or_default(),
            Rel(Watchers) => component.map(|c| c.watchers.clone()).unwrap_or_default(),
            Rel(Mentioned) => {
                let teams = happening.mentioned_teams.iter().flat_map(|t| team_of(t).iter().copied());
                happening.mentioned_people.iter().copied().chain(teams).collect()
            }
            Rel(Reviewers) => happening.reviewers.clone(),
            Rel(ProjectTeam) => team.flatten().map(|m| m.keys().copied().collect()).unwrap_or_default(),
            Role(role) => team
                .flatten()
                .map(|m| m.iter().filter(|(_, r)| **r == role).map(|(p, _)| *p).collect())
                .unwrap_or_default(),
            Audience::Team(name) => team_of(&name.id).to_vec(),
            Audience::Department(department) => {
                known.departments.get(&department).map(|t| team_of(t).to_vec()).unwrap_or_default()
            }
        };
        let about_them = *audience == SUBJECT;
        for person in people {
            if Some(person) == happening.actor || seen.contains(&person) {
                continue;
            }
            if !about_them && let Some(team) = team {
                match team.and_then(|m| m.get(&person)) {
                    None => continue,
                    Some(ProjectRole::Client) if !client_sees => continue,
                    Some(_) => {}
                }
            }
            seen.insert(person);
            told.push((person, audience.reason()));
        }
    }
    told
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words {
        Box::new(|_| Wording { general: Message { title: "t".into(), body: String::new() }, personal: Vec::new() })
    }

    #[test]
    fn every_kind_has_one_spec_and_an_id_that_reads_back() {
        for kind in NotificationKind::ALL {
            assert_eq!(KINDS.iter().filter(|s| s.kind == *kind).count(), 1, "{kind}");
            assert_eq!(NotificationKind::from_id(&kind.id()), Some(*kind));
            if let Some(event_type) = kind.spec().event_type {
                assert_eq!(NotificationKind::of_event(event_type), Some(*kind));
            }
        }
        assert_eq!(NotificationKind::AssetStatusChanged.id(), "asset-status-changed");
        let mut events: Vec<&str> = KINDS.iter().filter_map(|s| s.event_type).collect();
        events.sort_unstable();
        let mut all = baton_proto::EVENT_TYPES.to_vec();
        all.sort_unstable();
        assert_eq!(events, all, "one kind per event type");
    }

    #[test]
    fn rule_names_read_and_print() {
        let project = ProjectName::new(Uuid::now_v7());
        let name = RuleName::parse(&format!("{project}/notificationRules/comment-created"), true).expect("valid");
        assert_eq!(name, RuleName { project: Some(project), kind: NotificationKind::CommentCreated });
        assert_eq!(name.to_string(), format!("{project}/notificationRules/comment-created"));
        let agency = RuleName::parse("notificationRules/asset-created", false).expect("valid");
        assert_eq!(agency.to_string(), "notificationRules/asset-created");
        assert!(RuleName::parse("notificationRules/asset-created", true).is_err());
        assert!(RuleName::parse(&format!("{project}/notificationRules/asset-created"), false).is_err());
        let unknown = RuleName::parse("notificationRules/cake-baked", false).unwrap_err();
        assert!(unknown.contains("cake-baked") && unknown.contains("asset-status-changed"), "{unknown}");
    }

    #[test]
    fn the_project_overrides_the_agency_which_overrides_the_default() {
        let kind = NotificationKind::CommentCreated;
        let agency = RuleChange {
            audiences: vec![PRODUCER],
            mandatory: true,
            update_time: OffsetDateTime::UNIX_EPOCH,
            updater: None,
        };
        let project = RuleChange { audiences: vec![PRODUCER, WATCHERS], mandatory: false, ..agency.clone() };
        let p = Some(ProjectName::new(Uuid::now_v7()));
        let default = Rule::effective(RuleName { project: p, kind }, None, None);
        assert_eq!(default.audiences, [MENTIONED, ASSIGNEES, WATCHERS]);
        assert!(!default.overridden && !default.mandatory);
        let inherited = Rule::effective(RuleName { project: p, kind }, Some(&agency), None);
        assert_eq!(
            (inherited.audiences.as_slice(), inherited.overridden, inherited.mandatory),
            (&[PRODUCER][..], false, true)
        );
        let own = Rule::effective(RuleName { project: p, kind }, Some(&agency), Some(&project));
        assert_eq!((own.audiences.as_slice(), own.overridden, own.mandatory), (&[PRODUCER, WATCHERS][..], true, true));
        let at_agency = Rule::effective(RuleName { project: None, kind }, Some(&agency), None);
        assert!(at_agency.overridden);
        assert_ne!(inherited.etag(), own.etag());
        assert_eq!(dropped(&[PRODUCER, LEAD], &[LEAD, WATCHERS]), [PRODUCER]);
    }

    #[test]
    fn audiences_are_stored_by_name() {
        let team = TeamName::new(Uuid::nil());
        let stored = serde_json::to_string(&[
            ASSIGNEES,
            PRODUCER,
            Audience::Team(team),
            Audience::Department(Department::Motion),
        ])
        .expect("serializes");
        assert_eq!(
            stored,
            format!(
                "[{{\"relation\":\"AUDIENCE_RELATION_ASSIGNEES\"}},{{\"project_role\":\"PROJECT_MEMBER_ROLE_PRODUCER\"}},\
                 {{\"team\":\"{team}\"}},{{\"department\":\"DEPARTMENT_MOTION\"}}]"
            )
        );
        let read: Vec<Audience> = serde_json::from_str(&stored).expect("reads back");
        assert_eq!(read.len(), 4);
    }

    struct World {
        project: Uuid,
        producer: Uuid,
        lead: Uuid,
        maker: Uuid,
        client: Uuid,
        outsider: Uuid,
        motion: Uuid,
        known: Audiences,
        component: Component,
    }

    fn world() -> World {
        let [project, producer, lead, maker, client, outsider, motion] = std::array::from_fn(|_| Uuid::now_v7());
        let team = BTreeMap::from([
            (producer, ProjectRole::Producer),
            (lead, ProjectRole::Lead),
            (maker, ProjectRole::Contributor),
            (client, ProjectRole::Client),
        ]);
        let known = Audiences {
            members: HashMap::from([(project, team)]),
            teams: HashMap::from([(motion, vec![lead, outsider])]),
            departments: HashMap::from([(Department::Motion, motion)]),
        };
        let component = Component {
            id: Uuid::now_v7(),
            project,
            display_name: "Hero".into(),
            client_visible: true,
            assignees: vec![maker],
            watchers: vec![client, lead],
            revision: 1,
            due_date: None,
            done: false,
            in_review: false,
            update_time: None,
        };
        World { project, producer, lead, maker, client, outsider, motion, known, component }
    }

    fn happening(w: &World, actor: Uuid, client: ClientSees) -> Happening {
        let mut h =
            Happening::new(Uuid::now_v7(), NotificationKind::CommentCreated, &format!("people/{actor}"), words());
        h.project = Some(w.project);
        h.component = Some(w.component.id);
        h.client = client;
        h
    }

    #[test]
    fn each_is_told_once_with_the_first_reason_and_never_the_actor() {
        let w = world();
        let components = HashMap::from([(w.component.id, w.component.clone())]);
        let h = happening(&w, w.producer, ClientSees::Always);
        let told = resolve(&h, &[ASSIGNEES, WATCHERS, PROJECT_TEAM], &w.known, &components);
        assert_eq!(told[0], (w.maker, Reason::Assignee));
        assert!(told.contains(&(w.client, Reason::Watcher)));
        assert!(told.contains(&(w.lead, Reason::Watcher)));
        assert!(!told.iter().any(|(p, _)| *p == w.producer), "the actor");
        assert_eq!(told.len(), 3);
    }

    #[test]
    fn clients_hear_only_what_they_see_and_outsiders_nothing() {
        let w = world();
        let mut hidden = w.component.clone();
        hidden.client_visible = false;
        let components = HashMap::from([(w.component.id, hidden)]);
        let internal = happening(&w, w.maker, ClientSees::IfComponentShown);
        let told = resolve(&internal, &[PROJECT_TEAM, Role(ProjectRole::Client)], &w.known, &components);
        assert!(!told.iter().any(|(p, _)| *p == w.client), "a hidden component");
        let components = HashMap::from([(w.component.id, w.component.clone())]);
        let told = resolve(&internal, &[Role(ProjectRole::Client)], &w.known, &components);
        assert_eq!(told, [(w.client, Reason::ProjectRole)]);
        let never = happening(&w, w.maker, ClientSees::Never);
        assert!(resolve(&never, &[Role(ProjectRole::Client)], &w.known, &components).is_empty());
        // A department's members hear only when they are on the project's team.
        let told = resolve(&never, &[Audience::Department(Department::Motion)], &w.known, &components);
        assert_eq!(told, [(w.lead, Reason::Team)]);
        let told = resolve(&never, &[Audience::Team(TeamName::new(w.motion))], &w.known, &components);
        assert!(!told.iter().any(|(p, _)| *p == w.outsider));
    }

    #[test]
    fn nothing_is_read_when_the_event_names_nobody_the_rule_could_tell() {
        let w = world();
        let mut h = happening(&w, w.producer, ClientSees::Never);
        h.component = None;
        assert!(!may_tell(&h, &[SUBJECT, MENTIONED, REVIEWERS, ASSIGNEES]));
        let mut empty = w.component.clone();
        empty.assignees.clear();
        h.carried = Some(empty);
        assert!(!may_tell(&h, &[ASSIGNEES]), "carried with no assignees");
        assert!(may_tell(&h, &[WATCHERS]), "carried with watchers");
        assert!(may_tell(&h, &[PRODUCER]), "a role needs the team read");
        h.carried = None;
        h.component = Some(w.component.id);
        assert!(may_tell(&h, &[ASSIGNEES]), "the projected component is read");
    }

    #[test]
    fn mentions_reviewers_and_subjects() {
        let w = world();
        let components = HashMap::new();
        let mut h = happening(&w, w.producer, ClientSees::Never);
        h.mentioned_people = vec![w.maker, w.producer];
        h.mentioned_teams = vec![w.motion];
        h.reviewers = vec![w.lead];
        h.subjects = vec![w.outsider, w.client];
        let told = resolve(&h, &[MENTIONED, REVIEWERS, SUBJECT], &w.known, &components);
        assert_eq!(
            told,
            [
                (w.maker, Reason::Mentioned),
                (w.lead, Reason::Mentioned),
                (w.outsider, Reason::AboutYou),
                (w.client, Reason::AboutYou)
            ],
            "the people it is about are told whatever their place; the actor is not"
        );
        // Without a project, team audiences tell the team.
        let mut h = Happening::new(Uuid::now_v7(), NotificationKind::PersonCreated, "", words());
        h.subjects = vec![w.maker];
        let told = resolve(&h, &[SUBJECT, Audience::Department(Department::Motion), PRODUCER], &w.known, &components);
        assert_eq!(told, [(w.maker, Reason::AboutYou), (w.lead, Reason::Team), (w.outsider, Reason::Team)]);
    }
}
