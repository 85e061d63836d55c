//! Who may call what: one [`Rule`] per RPC in [`POLICY`], the only place access is declared.
//!
//! A rule's [`Scope`] says what the decision needs. `Global` rules are decided on the caller
//! alone, by the authentication layer, before the call reaches the service. `Project` and `Own`
//! rules need the resource: the layer admits the caller (a person, or a service where the rule
//! lets services in) and records an [`Access`] in the request; the handler finds the project or
//! the owner and asks [`Access::on_project`] or [`Access::own`].
//!
//! Refusals: PERMISSION_DENIED where the caller may know the resource exists, NOT_FOUND
//! ([`Refusal::Hidden`]) where it may not — a project the caller is not on answers exactly as a
//! project that does not exist. Client contacts hold at most a client's powers on any team and
//! see only what is shown to clients ([`View::Client`]).
//!
//! A method missing from the table is refused (fail closed); a test checks that every RPC of
//! every service has its rule.

use std::collections::HashMap;
use std::sync::LazyLock;

use tonic::Status;

use crate::auth::{Caller, Role};
use crate::error::{permission_denied, status};
use crate::names::PersonName;

crate::named_enum! {
    /// A person's role on a project's team.
    pub enum ProjectRole {
        Producer = "PROJECT_MEMBER_ROLE_PRODUCER",
        Lead = "PROJECT_MEMBER_ROLE_LEAD",
        Contributor = "PROJECT_MEMBER_ROLE_CONTRIBUTOR",
        Reviewer = "PROJECT_MEMBER_ROLE_REVIEWER",
        Client = "PROJECT_MEMBER_ROLE_CLIENT",
        Observer = "PROJECT_MEMBER_ROLE_OBSERVER",
    }
}

/// What a decision needs besides the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The caller alone: one of `roles`, or a service where `services` is set.
    Global,
    /// The caller's place on the project the call is about: `roles` pass on every project, a
    /// team member passes when their role is one of `members`, anyone else is not told the
    /// project exists.
    Project,
    /// A listing of projects: any person may call and sees the projects `Project` scope would
    /// show them; `roles` see them all.
    Projects,
    /// A person's own resource, named by its owner (`people/{person}`): its owner passes;
    /// `roles` pass on anyone's; anyone else is denied.
    Own,
    /// A resource of one person's, named by its own id: its owner passes; `roles` pass on
    /// anyone's; anyone else is not told it exists.
    Private,
}

/// Who may call one RPC.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// The full gRPC path, `/baton.projects.v1.ProjectsService/GetProject`.
    pub method: &'static str,
    pub scope: Scope,
    /// Global roles that pass (on every resource, for `Project`, `Projects` and `Own`).
    pub roles: &'static [Role],
    /// Project roles that pass on their own project (`Project` scope).
    pub members: &'static [ProjectRole],
    /// Whether another Baton service, calling as itself, passes.
    pub services: bool,
}

use ProjectRole as P;
use Role as G;

const MANAGERS: &[Role] = &[G::Admin, G::Producer];
const STAFF: &[Role] = &[G::Admin, G::Producer, G::Member];
const TEAM: &[ProjectRole] = ProjectRole::ALL;
const LEADS: &[ProjectRole] = &[P::Producer, P::Lead];
const MAKERS: &[ProjectRole] = &[P::Producer, P::Lead, P::Contributor];
const REVIEWERS: &[ProjectRole] = &[P::Producer, P::Lead, P::Reviewer, P::Client];
/// The agency's side of a team: everyone on it but the client.
const STAFF_TEAM: &[ProjectRole] = &[P::Producer, P::Lead, P::Contributor, P::Reviewer, P::Observer];
/// Those who do or judge the work: they raise and resolve obstacles.
const WORKERS: &[ProjectRole] = &[P::Producer, P::Lead, P::Contributor, P::Reviewer];

const fn global(method: &'static str, roles: &'static [Role], services: bool) -> Rule {
    Rule { method, scope: Scope::Global, roles, members: &[], services }
}

const fn project(method: &'static str, members: &'static [ProjectRole], services: bool) -> Rule {
    Rule { method, scope: Scope::Project, roles: MANAGERS, members, services }
}

const fn own(method: &'static str, roles: &'static [Role], services: bool) -> Rule {
    Rule { method, scope: Scope::Own, roles, members: &[], services }
}

const fn private(method: &'static str) -> Rule {
    Rule { method, scope: Scope::Private, roles: &[], members: &[], services: false }
}

/// Every RPC's rule. Admins and producers run every project; members act on the projects they
/// are on, as their role there allows; client contacts see their own projects, only what is
/// shown to clients, and review; notifications are their recipient's alone; the audit trails
/// are the admins'.
pub static POLICY: &[Rule] = &[
    global("/baton.people.v1.PeopleService/CreatePerson", MANAGERS, false),
    own("/baton.people.v1.PeopleService/GetPerson", STAFF, true),
    global("/baton.people.v1.PeopleService/ListPeople", STAFF, true),
    global("/baton.people.v1.PeopleService/ListAuditRecords", &[G::Admin], false),
    global("/baton.people.v1.PeopleService/DeactivatePerson", MANAGERS, false),
    global("/baton.people.v1.PeopleService/ReactivatePerson", MANAGERS, false),
    own("/baton.people.v1.PeopleService/UpdatePerson", MANAGERS, false),
    global("/baton.people.v1.PeopleService/FindPeople", STAFF, false),
    global("/baton.people.v1.PeopleService/CreateTeam", MANAGERS, false),
    global("/baton.people.v1.PeopleService/GetTeam", STAFF, true),
    global("/baton.people.v1.PeopleService/ListTeams", STAFF, true),
    global("/baton.people.v1.PeopleService/UpdateTeam", MANAGERS, false),
    own("/baton.people.v1.PeopleService/CreateTimeOff", MANAGERS, false),
    own("/baton.people.v1.PeopleService/ListTimeOff", STAFF, false),
    own("/baton.people.v1.PeopleService/DeleteTimeOff", MANAGERS, false),
    global("/baton.people.v1.PeopleService/CreateAllocation", MANAGERS, false),
    global("/baton.people.v1.PeopleService/GetAllocation", STAFF, false),
    global("/baton.people.v1.PeopleService/ListAllocations", STAFF, false),
    global("/baton.people.v1.PeopleService/UpdateAllocation", MANAGERS, false),
    global("/baton.people.v1.PeopleService/DeleteAllocation", MANAGERS, false),
    global("/baton.people.v1.PeopleService/GetUtilisation", STAFF, false),
    global("/baton.projects.v1.ProjectsService/CreateProject", MANAGERS, false),
    project("/baton.projects.v1.ProjectsService/GetProject", TEAM, true),
    Rule {
        method: "/baton.projects.v1.ProjectsService/ListProjects",
        scope: Scope::Projects,
        roles: MANAGERS,
        members: TEAM,
        services: false,
    },
    project("/baton.projects.v1.ProjectsService/AddProjectMember", &[P::Producer], false),
    project("/baton.projects.v1.ProjectsService/RemoveProjectMember", &[P::Producer], false),
    project("/baton.projects.v1.ProjectsService/ListProjectMembers", TEAM, false),
    project("/baton.projects.v1.ProjectsService/GetProjectMember", TEAM, true),
    global("/baton.projects.v1.ProjectsService/ListAuditRecords", &[G::Admin], false),
    global("/baton.projects.v1.ProjectsService/CreateClient", MANAGERS, false),
    global("/baton.projects.v1.ProjectsService/GetClient", STAFF, false),
    global("/baton.projects.v1.ProjectsService/ListClients", STAFF, false),
    global("/baton.projects.v1.ProjectsService/UpdateClient", MANAGERS, false),
    project("/baton.projects.v1.ProjectsService/AdvanceProject", &[P::Producer], false),
    project("/baton.projects.v1.ProjectsService/HoldProject", &[P::Producer], false),
    project("/baton.projects.v1.ProjectsService/ResumeProject", &[P::Producer], false),
    project("/baton.projects.v1.ProjectsService/CancelProject", &[P::Producer], false),
    project("/baton.projects.v1.ProjectsService/ArchiveProject", &[P::Producer], false),
    project("/baton.projects.v1.ProjectsService/GetBrief", TEAM, false),
    project("/baton.projects.v1.ProjectsService/UpdateBrief", LEADS, false),
    project("/baton.projects.v1.ProjectsService/ListBriefRevisions", TEAM, false),
    project("/baton.projects.v1.ProjectsService/RaiseObstacle", WORKERS, false),
    project("/baton.projects.v1.ProjectsService/GetObstacle", STAFF_TEAM, false),
    project("/baton.projects.v1.ProjectsService/ListObstacles", STAFF_TEAM, false),
    project("/baton.projects.v1.ProjectsService/UpdateObstacle", LEADS, false),
    project("/baton.projects.v1.ProjectsService/ResolveObstacle", WORKERS, false),
    project("/baton.projects.v1.ProjectsService/ReopenObstacle", WORKERS, false),
    project("/baton.projects.v1.ProjectsService/GetProjectHealth", STAFF_TEAM, false),
    project("/baton.projects.v1.ProjectsService/CreateMilestone", LEADS, false),
    project("/baton.projects.v1.ProjectsService/GetMilestone", TEAM, false),
    project("/baton.projects.v1.ProjectsService/ListMilestones", TEAM, false),
    project("/baton.projects.v1.ProjectsService/UpdateMilestone", LEADS, false),
    project("/baton.assets.v1.AssetsService/CreateAsset", LEADS, false),
    project("/baton.assets.v1.AssetsService/GetAsset", TEAM, true),
    project("/baton.assets.v1.AssetsService/ListAssets", TEAM, false),
    project("/baton.assets.v1.AssetsService/UpdateAsset", LEADS, false),
    project("/baton.assets.v1.AssetsService/WatchAsset", TEAM, false),
    project("/baton.assets.v1.AssetsService/UnwatchAsset", TEAM, false),
    project("/baton.assets.v1.AssetsService/StartAsset", MAKERS, false),
    project("/baton.assets.v1.AssetsService/SubmitAssetForReview", MAKERS, false),
    project("/baton.assets.v1.AssetsService/RequestAssetChanges", REVIEWERS, false),
    project("/baton.assets.v1.AssetsService/ApproveAsset", REVIEWERS, false),
    project("/baton.assets.v1.AssetsService/DeliverAsset", LEADS, false),
    global("/baton.assets.v1.AssetsService/ListAuditRecords", &[G::Admin], false),
    project("/baton.assets.v1.AssetsService/SubmitVersion", MAKERS, false),
    project("/baton.assets.v1.AssetsService/GetVersion", TEAM, false),
    project("/baton.assets.v1.AssetsService/ListVersions", TEAM, false),
    project("/baton.assets.v1.AssetsService/GetReviewRound", TEAM, false),
    project("/baton.assets.v1.AssetsService/DecideReview", TEAM, false),
    project("/baton.assets.v1.AssetsService/GetComponentSettings", STAFF_TEAM, false),
    project("/baton.assets.v1.AssetsService/UpdateComponentSettings", LEADS, false),
    project("/baton.assets.v1.AssetsService/CreateComment", TEAM, false),
    project("/baton.assets.v1.AssetsService/GetComment", TEAM, false),
    project("/baton.assets.v1.AssetsService/ListComments", TEAM, false),
    project("/baton.assets.v1.AssetsService/UpdateComment", TEAM, false),
    project("/baton.assets.v1.AssetsService/GetQualityChecklist", STAFF_TEAM, false),
    project("/baton.assets.v1.AssetsService/ListQualityChecklists", STAFF_TEAM, false),
    project("/baton.assets.v1.AssetsService/UpdateQualityChecklist", LEADS, false),
    project("/baton.assets.v1.AssetsService/RecordMeasurements", MAKERS, false),
    own("/baton.notifications.v1.NotificationsService/ListNotifications", &[], false),
    private("/baton.notifications.v1.NotificationsService/MarkNotificationRead"),
    own("/baton.notifications.v1.NotificationsService/WatchNotifications", &[], false),
    private("/baton.notifications.v1.NotificationsService/MarkNotificationUnread"),
    own("/baton.notifications.v1.NotificationsService/MarkAllNotificationsRead", &[], false),
    private("/baton.notifications.v1.NotificationsService/ArchiveNotification"),
    private("/baton.notifications.v1.NotificationsService/UnarchiveNotification"),
    own("/baton.notifications.v1.NotificationsService/CountUnreadNotifications", &[], false),
    global("/baton.notifications.v1.NotificationsService/GetNotificationRule", STAFF, false),
    global("/baton.notifications.v1.NotificationsService/ListNotificationRules", STAFF, false),
    global("/baton.notifications.v1.NotificationsService/UpdateNotificationRule", &[G::Admin], false),
    project("/baton.notifications.v1.NotificationsService/GetProjectNotificationRule", STAFF_TEAM, false),
    project("/baton.notifications.v1.NotificationsService/ListProjectNotificationRules", STAFF_TEAM, false),
    project("/baton.notifications.v1.NotificationsService/UpdateProjectNotificationRule", &[P::Producer], false),
    project("/baton.notifications.v1.NotificationsService/ResetProjectNotificationRule", &[P::Producer], false),
    own("/baton.notifications.v1.NotificationsService/GetNotificationPreferences", &[], false),
    own("/baton.notifications.v1.NotificationsService/UpdateNotificationPreferences", &[], false),
    project("/baton.notifications.v1.NotificationsService/CreateProjectWebhook", &[P::Producer], false),
    project("/baton.notifications.v1.NotificationsService/GetProjectWebhook", &[P::Producer], false),
    project("/baton.notifications.v1.NotificationsService/ListProjectWebhooks", &[P::Producer], false),
    project("/baton.notifications.v1.NotificationsService/UpdateProjectWebhook", &[P::Producer], false),
    project("/baton.notifications.v1.NotificationsService/DeleteProjectWebhook", &[P::Producer], false),
    project("/baton.notifications.v1.NotificationsService/RotateProjectWebhookSecret", &[P::Producer], false),
    project("/baton.notifications.v1.NotificationsService/ListProjectWebhookDeliveries", &[P::Producer], false),
    own("/baton.notifications.v1.NotificationsService/CreatePersonalWebhook", &[], false),
    own("/baton.notifications.v1.NotificationsService/GetPersonalWebhook", &[], false),
    own("/baton.notifications.v1.NotificationsService/ListPersonalWebhooks", &[], false),
    own("/baton.notifications.v1.NotificationsService/UpdatePersonalWebhook", &[], false),
    own("/baton.notifications.v1.NotificationsService/DeletePersonalWebhook", &[], false),
    own("/baton.notifications.v1.NotificationsService/RotatePersonalWebhookSecret", &[], false),
    own("/baton.notifications.v1.NotificationsService/ListPersonalWebhookDeliveries", &[], false),
];

static BY_METHOD: LazyLock<HashMap<&'static str, &'static Rule>> =
    LazyLock::new(|| POLICY.iter().map(|rule| (rule.method, rule)).collect());

/// The rule of a gRPC path, if it has one.
pub fn rule(method: &str) -> Option<&'static Rule> {
    BY_METHOD.get(method).copied()
}

/// What of a project a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Everything.
    Full,
    /// Only what is shown to the client: no work in progress.
    Client,
}

/// Where the caller stands towards the resource of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Place {
    /// Their role on the project's team, if they are on it.
    pub membership: Option<ProjectRole>,
    /// Whether the resource is theirs.
    pub owner: bool,
}

/// A rule's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(View),
    /// PERMISSION_DENIED: the caller may know the resource but may not do this.
    Deny(Denial),
    /// NOT_FOUND: the caller may not even know the resource exists.
    Hide,
}

/// Why a caller may not do what they asked; the message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Denial {
    pub reason: &'static str,
    pub message: String,
}

impl Denial {
    fn new(reason: &'static str, message: impl Into<String>) -> Self {
        Self { reason, message: message.into() }
    }

    pub fn into_status(self) -> Status {
        permission_denied(self.reason, self.message)
    }
}

/// A refused project- or owner-scoped call, before the service says how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Hidden,
    Denied(Denial),
}

impl Refusal {
    /// The service's error: `hidden` (its not-found for the resource) or the denial.
    pub fn into_error<E: From<Denial>>(self, hidden: impl FnOnce() -> E) -> E {
        match self {
            Refusal::Hidden => hidden(),
            Refusal::Denied(denial) => E::from(denial),
        }
    }
}

fn method_name(method: &str) -> &str {
    method.rsplit('/').next().unwrap_or(method)
}

fn names<T: std::fmt::Display>(values: &[T]) -> String {
    values.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl Caller {
    fn is_service(&self) -> bool {
        self.subject.person().is_none()
    }

    fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.has(*role))
    }

    /// Agency staff see work in progress; everyone else is treated as the client.
    fn is_staff(&self) -> bool {
        self.has_any(STAFF)
    }
}

impl Rule {
    /// Whether the method changes something: by the API's naming (AIP-131…136), every method
    /// but `Get…`, `List…` and `Watch…`.
    pub fn is_write(&self) -> bool {
        let rpc = method_name(self.method);
        !["Get", "List", "Watch"].iter().any(|read| rpc.starts_with(read))
    }

    /// The answer for `caller` standing at `place`. The one decision function: the layer, the
    /// handlers and the matrix test all ask it.
    pub fn decide(&self, caller: &Caller, place: Place) -> Decision {
        let rpc = method_name(self.method);
        if caller.is_service() {
            return if self.services {
                Decision::Allow(View::Full)
            } else {
                Decision::Deny(Denial::new("SERVICE_NOT_ALLOWED", format!("{rpc} is not open to services")))
            };
        }
        if caller.has_any(self.roles) {
            return Decision::Allow(View::Full);
        }
        match self.scope {
            Scope::Global => Decision::Deny(Denial::new(
                "ROLE_REQUIRED",
                format!("{rpc} needs one of the roles {}", names(self.roles)),
            )),
            Scope::Projects => Decision::Allow(if caller.is_staff() { View::Full } else { View::Client }),
            Scope::Own | Scope::Private if place.owner => Decision::Allow(View::Full),
            Scope::Own => {
                Decision::Deny(Denial::new("NOT_OWNER", format!("{rpc} is open only to the person it belongs to")))
            }
            Scope::Private => Decision::Hide,
            Scope::Project => {
                let Some(role) = place.membership else { return Decision::Hide };
                // A client contact holds at most a client's powers, whatever the team says.
                let role = if caller.is_staff() || role == ProjectRole::Observer { role } else { ProjectRole::Client };
                if !self.members.contains(&role) {
                    return Decision::Deny(Denial::new(
                        "PROJECT_ROLE_REQUIRED",
                        format!("{rpc} needs one of the project roles {}", names(self.members)),
                    ));
                }
                let client = !caller.is_staff() || role == ProjectRole::Client;
                Decision::Allow(if client { View::Client } else { View::Full })
            }
        }
    }

    /// The layer's part: whether the call may reach the service at all. `Global` rules are
    /// decided here; for the others a person goes on to the handler's decision.
    pub fn admit(&self, caller: &Caller) -> Result<(), Status> {
        let admitted = match self.scope {
            Scope::Global => self.decide(caller, Place::default()),
            _ if caller.is_service() => self.decide(caller, Place::default()),
            _ => Decision::Allow(View::Full),
        };
        match admitted {
            Decision::Allow(_) => Ok(()),
            Decision::Deny(denial) => Err(denial.into_status()),
            Decision::Hide => Err(status(tonic::Code::NotFound, "NOT_FOUND", "not found")),
        }
    }
}

/// A call's caller and the rule it passed the layer under, found by handlers in the request.
#[derive(Debug, Clone)]
pub struct Access {
    caller: Caller,
    rule: &'static Rule,
}

impl Access {
    pub fn new(caller: Caller, rule: &'static Rule) -> Self {
        Self { caller, rule }
    }

    /// The access the layer recorded; INTERNAL when there is none (a server built without it
    /// must not answer).
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Access, Status> {
        request.extensions().get::<Access>().cloned().ok_or_else(|| {
            tracing::error!("a call reached a handler without an access decision");
            status(tonic::Code::Internal, "INTERNAL", "internal error")
        })
    }

    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The rule the call passed the layer under.
    pub fn rule(&self) -> &'static Rule {
        self.rule
    }

    /// The calling person, if a person calls.
    pub fn person(&self) -> Option<PersonName> {
        self.caller.subject.person().map(PersonName::new)
    }

    /// Whether the caller passes whatever its place (its roles, or as a service): no need to
    /// look its place up.
    pub fn passes_anywhere(&self) -> bool {
        self.caller.is_service() && self.rule.services || self.caller.has_any(self.rule.roles)
    }

    /// The person whose place on the team decides the call, unless the caller's roles (or its
    /// being a service) already do: whom a service looks up before [`Access::on_project`].
    pub fn whose_place(&self) -> Option<PersonName> {
        if self.passes_anywhere() { None } else { self.person() }
    }

    /// The decision on a project the caller holds `membership` on.
    pub fn on_project(&self, membership: Option<ProjectRole>) -> Result<View, Refusal> {
        match self.rule.decide(&self.caller, Place { membership, owner: false }) {
            Decision::Allow(view) => Ok(view),
            Decision::Deny(denial) => Err(Refusal::Denied(denial)),
            Decision::Hide => Err(Refusal::Hidden),
        }
    }

    /// The decision on a resource `owner` names as theirs (`Own` scope).
    pub fn own(&self, owner: PersonName) -> Result<(), Denial> {
        match self.on_owned(owner) {
            Ok(()) => Ok(()),
            Err(Refusal::Denied(denial)) => Err(denial),
            Err(Refusal::Hidden) => Err(Denial::new("NOT_OWNER", "open only to the person it belongs to")),
        }
    }

    /// The decision on a resource of `owner`'s found by its own name (`Private` scope).
    pub fn on_owned(&self, owner: PersonName) -> Result<(), Refusal> {
        let place = Place { membership: None, owner: self.person() == Some(owner) };
        match self.rule.decide(&self.caller, place) {
            Decision::Allow(_) => Ok(()),
            Decision::Deny(denial) => Err(Refusal::Denied(denial)),
            Decision::Hide => Err(Refusal::Hidden),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use baton_auth::Subject;

    fn person(roles: &[Role]) -> Caller {
        Caller { subject: Subject::Person(uuid::Uuid::new_v4()), roles: roles.to_vec(), token_id: None }
    }

    fn on(role: ProjectRole) -> Place {
        Place { membership: Some(role), owner: false }
    }

    #[test]
    fn every_rule_is_found_by_its_method_once() {
        for each in POLICY {
            assert_eq!(rule(each.method), Some(each));
            assert!(each.method.starts_with("/baton."), "{}", each.method);
        }
        assert_eq!(BY_METHOD.len(), POLICY.len(), "a method has two rules");
        assert_eq!(rule("/baton.projects.v1.ProjectsService/DropProject"), None);
    }

    /// Every RPC of every Baton service has its rule, and every rule names an RPC.
    #[test]
    fn every_rpc_has_a_rule() {
        use prost::Message;
        let set = prost_types::FileDescriptorSet::decode(baton_proto::FILE_DESCRIPTOR_SET).unwrap();
        let mut methods = Vec::new();
        for file in &set.file {
            for service in &file.service {
                for method in &service.method {
                    methods.push(format!("/{}.{}/{}", file.package(), service.name(), method.name()));
                }
            }
        }
        let missing: Vec<_> = methods.iter().filter(|method| rule(method).is_none()).collect();
        assert!(missing.is_empty(), "RPCs without a rule in POLICY: {missing:?}");
        let stale: Vec<_> = POLICY.iter().filter(|rule| !methods.iter().any(|m| m == rule.method)).collect();
        assert!(stale.is_empty(), "rules for no RPC: {stale:?}");
        assert_eq!(methods.len(), POLICY.len());
    }

    #[test]
    fn outsiders_are_not_told_a_project_exists() {
        let get = rule("/baton.projects.v1.ProjectsService/GetProject").unwrap();
        assert_eq!(get.decide(&person(&[G::Member]), Place::default()), Decision::Hide);
        assert_eq!(get.decide(&person(&[G::Member]), on(P::Observer)), Decision::Allow(View::Full));
        assert_eq!(get.decide(&person(&[G::Producer]), Place::default()), Decision::Allow(View::Full));
    }

    #[test]
    fn a_client_contact_holds_a_clients_powers_at_most() {
        let client = person(&[G::ClientContact]);
        let start = rule("/baton.assets.v1.AssetsService/StartAsset").unwrap();
        assert!(matches!(start.decide(&client, on(P::Lead)), Decision::Deny(_)));
        let approve = rule("/baton.assets.v1.AssetsService/ApproveAsset").unwrap();
        assert_eq!(approve.decide(&client, on(P::Lead)), Decision::Allow(View::Client));
        assert!(matches!(approve.decide(&client, on(P::Observer)), Decision::Deny(_)));
        let get = rule("/baton.assets.v1.AssetsService/GetAsset").unwrap();
        assert_eq!(get.decide(&client, on(P::Observer)), Decision::Allow(View::Client));
        assert_eq!(get.decide(&person(&[G::Member]), on(P::Client)), Decision::Allow(View::Client));
    }

    #[test]
    fn notifications_are_their_recipients_alone() {
        let list = rule("/baton.notifications.v1.NotificationsService/ListNotifications").unwrap();
        let admin = person(&[G::Admin]);
        assert!(matches!(list.decide(&admin, Place::default()), Decision::Deny(_)));
        assert_eq!(list.decide(&admin, Place { owner: true, ..Place::default() }), Decision::Allow(View::Full));
        let service = Caller { subject: Subject::Service("assets".into()), roles: vec![], token_id: None };
        assert!(list.admit(&service).is_err());
    }

    #[test]
    fn global_rules_are_decided_by_the_layer() {
        let create = rule("/baton.projects.v1.ProjectsService/CreateProject").unwrap();
        let status = create.admit(&person(&[G::Member])).unwrap_err();
        assert_eq!(status.code(), tonic::Code::PermissionDenied);
        assert!(
            status.message().contains("CreateProject needs one of the roles admin, producer"),
            "{}",
            status.message()
        );
        assert!(create.admit(&person(&[G::Producer])).is_ok());
    }
}
