//! The authorization matrix: every RPC in the policy table × every kind of caller (each global
//! role, each role on a project's team, an agency member not on it, the client contact of
//! another client's project, a service) × whose resource it is, run against a real server. The
//! expected answer of each case comes from the table ([`Rule::decide`]); a few invariants are
//! checked on their own, so that a table that says too much is caught as well as a server that
//! ignores it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use baton_auth::{GlobalRole as G, Subject};
use baton_platform::auth::Caller;
use baton_platform::policy::{Decision, POLICY, Place, ProjectRole, Rule, Scope, View};
use baton_proto::assets::v1::{self as assets, AssetStatus};
use baton_proto::notifications::v1 as notifications;
use baton_proto::people::v1::{self as people, PersonRole};
use baton_proto::projects::v1::{self as projects, ProjectMemberRole};
use baton_testkit::{Target, TestEnv, TestServer, eventually, operator, token};
use baton_tests::{add_member, person, project};
use tonic::{Code, Request, Status};

/// One kind of caller.
struct Profile {
    label: &'static str,
    subject: String,
    roles: Vec<G>,
    /// Their role on the team of project A, the project every project-scoped case is about.
    team: Option<ProjectRole>,
    bearer: String,
}

impl Profile {
    fn caller(&self) -> Caller {
        Caller { subject: Subject::parse(&self.subject).expect("subject"), roles: self.roles.clone(), token_id: None }
    }

    fn is_person(&self) -> bool {
        self.subject.starts_with("people/")
    }

    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.metadata_mut().insert("authorization", self.bearer.parse().expect("ascii"));
        request
    }
}

/// Whose resource an owner-scoped case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    Theirs,
    Someone,
}

/// What an allowed call returned that a case looks into.
enum Seen {
    Done,
    Projects(Vec<String>),
    Assets(Vec<assets::Asset>),
}

struct World {
    server: TestServer,
    /// The client of projects A and the fixtures.
    client: String,
    /// An obstacle of A.
    obstacle: String,
    /// A milestone of A.
    milestone: String,
    /// Project A (client Northwind), whose team holds the team profiles.
    a: String,
    /// Project B (client Contoso), whose client contact is the `client of B` profile.
    b: String,
    /// A person no profile is: whose things the `Someone` cases are about.
    stranger: Profile,
    /// A team member of A, for GetProjectMember.
    member_of_a: String,
    /// An asset of A under review (clients see it) and one planned (they do not).
    in_review: assets::Asset,
    planned: assets::Asset,
    /// A notification of each person's (by resource name), for MarkNotificationRead.
    notices: BTreeMap<String, String>,
    /// A team, with the stranger on it.
    team: String,
    /// An allocation of the stranger's.
    allocation: String,
    /// A version of an asset of A shown to clients, with a review round whose one stage (shown
    /// to clients too) the team producer decides.
    version: String,
    /// A comment shown to clients on the asset under review.
    comment: String,
}

/// A version of a new asset of A, submitted by the operator with `stages`.
async fn version_of_a(world: &World, stages: Vec<assets::ReviewStage>) -> assets::SubmitVersionResponse {
    let asset = asset_in(world, AssetStatus::InProgress).await;
    let file = assets::VersionFile {
        uri: "https://files.example/poster.png".into(),
        sha256: "0".repeat(64),
        size_bytes: 1024,
        mime_type: "image/png".into(),
        media: None,
    };
    let version = assets::Version { files: vec![file], client_visible: true, ..Default::default() };
    let request =
        assets::SubmitVersionRequest { parent: asset.name, version: Some(version), stages, request_id: String::new() };
    world.server.assets().submit_version(request).await.expect("a version").into_inner()
}

fn one_stage(reviewer: &str) -> Vec<assets::ReviewStage> {
    vec![assets::ReviewStage {
        title: "Team".into(),
        reviewers: vec![reviewer.to_string()],
        rule: assets::ReviewRule::All as i32,
        client_visible: true,
        ..Default::default()
    }]
}

/// A draft allocation of `person`'s to project A next year, noted `note`.
fn allocation_draft(world: &World, person: &str, note: &str) -> people::CreateAllocationRequest {
    people::CreateAllocationRequest {
        parent: person.into(),
        allocation: Some(people::Allocation {
            project: world.a.clone(),
            hours_per_week: 4.0,
            start_date: "2027-03-01".into(),
            end_date: "2027-03-31".into(),
            note: note.into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// The notes of `person`'s allocations and time off, as the operator lists them.
async fn capacity_notes(world: &World, person: &str) -> Vec<String> {
    let mut client = world.server.people();
    let allocations = people::ListAllocationsRequest { parent: person.into(), page_size: 1000, ..Default::default() };
    let allocations = client.list_allocations(allocations).await.expect("operator lists").into_inner().allocations;
    let time_off = people::ListTimeOffRequest { parent: person.into(), page_size: 1000, ..Default::default() };
    let time_off = client.list_time_off(time_off).await.expect("operator lists").into_inner().time_off;
    allocations.into_iter().map(|a| a.note).chain(time_off.into_iter().map(|t| t.note)).collect()
}

fn member_role(role: ProjectRole) -> ProjectMemberRole {
    ProjectMemberRole::from_str_name(role.as_str()).expect("same names")
}

fn with_token(subject: String, roles: &[G]) -> String {
    format!("Bearer {}", token(&subject, roles))
}

async fn new_person(server: &TestServer, label: &str, role: PersonRole) -> String {
    person(server, label, role).await
}

/// An asset of A moved (by the operator) to `status`.
async fn asset_in(world: &World, status: AssetStatus) -> assets::Asset {
    let mut client = world.server.assets();
    let mut asset = baton_tests::asset(&world.server, operator(), &world.a, "Fixture", &[]).await;
    let path: &[AssetStatus] = match status {
        AssetStatus::Planned => &[],
        AssetStatus::InProgress => &[AssetStatus::InProgress],
        AssetStatus::InReview => &[AssetStatus::InProgress, AssetStatus::InReview],
        AssetStatus::Approved => &[AssetStatus::InProgress, AssetStatus::InReview, AssetStatus::Approved],
        other => panic!("no fixture path to {other:?}"),
    };
    for step in path {
        let name = asset.name.clone();
        let moved = match step {
            AssetStatus::InProgress => client
                .start_asset(assets::StartAssetRequest { name, ..Default::default() })
                .await
                .map(|r| r.into_inner().asset),
            AssetStatus::InReview => client
                .submit_asset_for_review(assets::SubmitAssetForReviewRequest { name, ..Default::default() })
                .await
                .map(|r| r.into_inner().asset),
            _ => client
                .approve_asset(assets::ApproveAssetRequest { name, ..Default::default() })
                .await
                .map(|r| r.into_inner().asset),
        };
        asset = moved.expect("fixture step").expect("asset");
    }
    asset
}

async fn status_of(world: &World, name: &str) -> i32 {
    let request = assets::GetAssetRequest { name: name.into() };
    world.server.assets().get_asset(request).await.expect("operator reads").into_inner().asset.expect("asset").status
}

async fn is_member(world: &World, project: &str, person: &str) -> bool {
    let request =
        projects::GetProjectMemberRequest { name: format!("{project}/members/{}", &person["people/".len()..]) };
    match world.server.projects().get_project_member(request).await {
        Ok(_) => true,
        Err(status) if status.code() == Code::NotFound => false,
        Err(status) => panic!("GetProjectMember: {status:?}"),
    }
}

fn obstacle_draft(title: &str) -> projects::Obstacle {
    projects::Obstacle {
        title: title.into(),
        kind: projects::ObstacleKind::Risk as i32,
        severity: projects::ObstacleSeverity::Medium as i32,
        ..Default::default()
    }
}

/// The titles of project A's obstacles, as the operator lists them.
async fn obstacle_titles(world: &World) -> Vec<String> {
    let request = projects::ListObstaclesRequest { parent: world.a.clone(), page_size: 1000, ..Default::default() };
    let listed = world.server.projects().list_obstacles(request).await.expect("operator lists").into_inner();
    listed.obstacles.into_iter().map(|o| o.title).collect()
}

/// The owner's notice `name` as its owner reads it, archived or not.
async fn notice_of(world: &World, profile: &Profile, owner: &str, name: &str) -> notifications::Notification {
    let reader = if owner == world.stranger.subject { &world.stranger } else { profile };
    for filter in ["", "archived = true"] {
        let request = notifications::ListNotificationsRequest {
            recipient: owner.into(),
            page_size: 1000,
            filter: filter.into(),
            ..Default::default()
        };
        let page = world.server.notifications().list_notifications(reader.request(request)).await;
        let page = page.expect("the owner lists").into_inner();
        if let Some(notice) = page.notifications.into_iter().find(|n| n.name == name) {
            return notice;
        }
    }
    panic!("the notice {name} is gone")
}

/// A webhook as the matrix makes them: to a public endpoint (never posted to: nothing happens
/// on A after it is made that a test waits for).
fn hook_draft() -> notifications::Webhook {
    notifications::Webhook {
        display_name: "Matrix fixture".into(),
        url: "https://hooks.example.com/matrix".into(),
        ..Default::default()
    }
}

/// Project A's fixture webhook, made by the operator the first time it is asked for.
async fn project_hook(world: &World) -> String {
    let listed = notifications::ListProjectWebhooksRequest { parent: world.a.clone() };
    let listed = world.server.notifications().list_project_webhooks(listed).await.expect("operator lists");
    if let Some(found) = listed.into_inner().webhooks.into_iter().find(|w| w.display_name == "Matrix fixture") {
        return found.name;
    }
    let request = notifications::CreateProjectWebhookRequest {
        parent: world.a.clone(),
        webhook: Some(hook_draft()),
        webhook_id: String::new(),
    };
    let made = world.server.notifications().create_project_webhook(request).await.expect("the fixture");
    made.into_inner().webhook.expect("webhook").name
}

/// `owner`'s fixture webhook, made by `reader` (the owner) the first time; none for a service.
async fn personal_hook(world: &World, reader: &Profile, owner: &str) -> Option<String> {
    if !reader.is_person() {
        return None;
    }
    let listed = notifications::ListPersonalWebhooksRequest { parent: owner.into() };
    let listed = world.server.notifications().list_personal_webhooks(reader.request(listed)).await;
    let listed = listed.expect("the owner lists").into_inner().webhooks;
    if let Some(found) = listed.into_iter().find(|w| w.display_name == "Matrix fixture") {
        return Some(found.name);
    }
    let request = notifications::CreatePersonalWebhookRequest {
        parent: owner.into(),
        webhook: Some(hook_draft()),
        webhook_id: String::new(),
    };
    let made = world.server.notifications().create_personal_webhook(reader.request(request)).await;
    Some(made.expect("the owner's fixture").into_inner().webhook.expect("webhook").name)
}

/// Runs one case: sets up what it needs as the operator, calls as `profile`, and where the call
/// was refused checks that it changed nothing.
async fn run(world: &World, method: &str, profile: &Profile, whose: Whose) -> Result<Seen, Status> {
    let server = &world.server;
    let owner = match whose {
        Whose::Theirs => profile.subject.clone(),
        Whose::Someone => world.stranger.subject.clone(),
    };
    let rpc = method.rsplit('/').next().expect("method name");
    match rpc {
        "CreatePerson" => {
            let email = format!("new.{}@example.com", uuid::Uuid::new_v4().simple());
            let person = people::Person {
                display_name: "New hire".into(),
                email: email.clone(),
                role: PersonRole::Designer as i32,
                ..Default::default()
            };
            let request = people::CreatePersonRequest { person: Some(person), request_id: String::new() };
            let result = server.people().create_person(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let all = people::ListPeopleRequest { page_size: 1000, ..Default::default() };
                let all = server.people().list_people(all).await.expect("operator lists").into_inner().people;
                assert!(all.iter().all(|p| p.email != email), "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "DeactivatePerson" | "ReactivatePerson" => {
            let leaver = new_person(server, "Leaver", PersonRole::Designer).await;
            if rpc == "ReactivatePerson" {
                let request = people::DeactivatePersonRequest { name: leaver.clone(), request_id: String::new() };
                server.people().deactivate_person(request).await.expect("fixture");
            }
            let before = server.people().get_person(people::GetPersonRequest { name: leaver.clone() }).await;
            let before = before.expect("operator reads").into_inner().person.expect("person").state;
            let result = if rpc == "DeactivatePerson" {
                let request = people::DeactivatePersonRequest { name: leaver.clone(), request_id: String::new() };
                server.people().deactivate_person(profile.request(request)).await.map(drop)
            } else {
                let request = people::ReactivatePersonRequest { name: leaver.clone(), request_id: String::new() };
                server.people().reactivate_person(profile.request(request)).await.map(drop)
            };
            if result.is_err() {
                let after = server.people().get_person(people::GetPersonRequest { name: leaver }).await;
                let after = after.expect("operator reads").into_inner().person.expect("person").state;
                assert_eq!(after, before, "{rpc} refused to {} but changed it", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "GetPerson" => server
            .people()
            .get_person(profile.request(people::GetPersonRequest { name: owner }))
            .await
            .map(|_| Seen::Done),
        "ListPeople" => {
            server.people().list_people(profile.request(people::ListPeopleRequest::default())).await.map(|_| Seen::Done)
        }
        "CreateProject" => {
            let title = format!("Pitch {}", uuid::Uuid::new_v4().simple());
            let project =
                projects::Project { display_name: title.clone(), client: world.client.clone(), ..Default::default() };
            let request = projects::CreateProjectRequest { project: Some(project), request_id: String::new() };
            let result = server.projects().create_project(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let all = projects::ListProjectsRequest { page_size: 1000, ..Default::default() };
                let all = server.projects().list_projects(all).await.expect("operator lists").into_inner().projects;
                assert!(all.iter().all(|p| p.display_name != title), "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "GetProject" => server
            .projects()
            .get_project(profile.request(projects::GetProjectRequest { name: world.a.clone() }))
            .await
            .map(|_| Seen::Done),
        "ListProjects" => server
            .projects()
            .list_projects(profile.request(projects::ListProjectsRequest { page_size: 1000, ..Default::default() }))
            .await
            .map(|r| Seen::Projects(r.into_inner().projects.into_iter().map(|p| p.name).collect())),
        "AddProjectMember" => {
            let newcomer = new_person(server, "Newcomer", PersonRole::Designer).await;
            let member = projects::ProjectMember {
                person: newcomer.clone(),
                role: ProjectMemberRole::Contributor as i32,
                ..Default::default()
            };
            let request = projects::AddProjectMemberRequest {
                parent: world.a.clone(),
                member: Some(member),
                request_id: String::new(),
            };
            let result = server.projects().add_project_member(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                assert!(!is_member(world, &world.a, &newcomer).await, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "RemoveProjectMember" => {
            let leaver = new_person(server, "Leaver", PersonRole::Designer).await;
            add_member(server, operator(), &world.a, &leaver, ProjectMemberRole::Contributor).await;
            let name = format!("{}/members/{}", world.a, &leaver["people/".len()..]);
            let request = projects::RemoveProjectMemberRequest { name, request_id: String::new() };
            let result = server.projects().remove_project_member(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                assert!(is_member(world, &world.a, &leaver).await, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "ListProjectMembers" => server
            .projects()
            .list_project_members(
                profile.request(projects::ListProjectMembersRequest { parent: world.a.clone(), ..Default::default() }),
            )
            .await
            .map(|_| Seen::Done),
        "GetProjectMember" => server
            .projects()
            .get_project_member(profile.request(projects::GetProjectMemberRequest {
                name: format!("{}/members/{}", world.a, &world.member_of_a["people/".len()..]),
            }))
            .await
            .map(|_| Seen::Done),
        "CreateAsset" => {
            let title = format!("Teaser {}", uuid::Uuid::new_v4().simple());
            let asset = assets::Asset {
                display_name: title.clone(),
                kind: assets::AssetKind::Graphic as i32,
                weight: 1,
                ..Default::default()
            };
            let request =
                assets::CreateAssetRequest { parent: world.a.clone(), asset: Some(asset), request_id: String::new() };
            let result = server.assets().create_asset(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let all = assets::ListAssetsRequest { parent: world.a.clone(), page_size: 1000, ..Default::default() };
                let all = server.assets().list_assets(all).await.expect("operator lists").into_inner().assets;
                assert!(all.iter().all(|a| a.display_name != title), "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "GetAsset" => server
            .assets()
            .get_asset(profile.request(assets::GetAssetRequest { name: world.in_review.name.clone() }))
            .await
            .map(|_| Seen::Done),
        "ListAssets" => server
            .assets()
            .list_assets(profile.request(assets::ListAssetsRequest {
                parent: world.a.clone(),
                page_size: 1000,
                ..Default::default()
            }))
            .await
            .map(|r| Seen::Assets(r.into_inner().assets)),
        "StartAsset" | "SubmitAssetForReview" | "RequestAssetChanges" | "ApproveAsset" | "DeliverAsset" => {
            let from = match rpc {
                "StartAsset" => AssetStatus::Planned,
                "SubmitAssetForReview" => AssetStatus::InProgress,
                "DeliverAsset" => AssetStatus::Approved,
                _ => AssetStatus::InReview,
            };
            let asset = asset_in(world, from).await;
            let name = asset.name.clone();
            let mut client = server.assets();
            let result = match rpc {
                "StartAsset" => client
                    .start_asset(profile.request(assets::StartAssetRequest { name, ..Default::default() }))
                    .await
                    .map(drop),
                "SubmitAssetForReview" => client
                    .submit_asset_for_review(
                        profile.request(assets::SubmitAssetForReviewRequest { name, ..Default::default() }),
                    )
                    .await
                    .map(drop),
                "RequestAssetChanges" => client
                    .request_asset_changes(profile.request(assets::RequestAssetChangesRequest {
                        name,
                        comment: "Warmer colours, please.".into(),
                        ..Default::default()
                    }))
                    .await
                    .map(drop),
                "ApproveAsset" => client
                    .approve_asset(profile.request(assets::ApproveAssetRequest { name, ..Default::default() }))
                    .await
                    .map(drop),
                _ => client
                    .deliver_asset(profile.request(assets::DeliverAssetRequest { name, ..Default::default() }))
                    .await
                    .map(drop),
            };
            if result.is_err() {
                let status = status_of(world, &asset.name).await;
                assert_eq!(status, asset.status, "{rpc} refused to {} but moved the asset", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "ListNotifications" => server
            .notifications()
            .list_notifications(
                profile.request(notifications::ListNotificationsRequest { recipient: owner, ..Default::default() }),
            )
            .await
            .map(|_| Seen::Done),
        "MarkNotificationRead" => {
            let name = world.notices.get(&owner).expect("a notice of the owner's").clone();
            let request = notifications::MarkNotificationReadRequest { name: name.clone() };
            let result = server.notifications().mark_notification_read(profile.request(request)).await;
            if result.is_err() && whose == Whose::Someone {
                let request = notifications::ListNotificationsRequest { recipient: owner, ..Default::default() };
                let theirs = server.notifications().list_notifications(world.stranger.request(request)).await;
                let theirs = theirs.expect("the owner lists").into_inner().notifications;
                let notice = theirs.iter().find(|n| n.name == name).expect("the notice");
                assert!(notice.read_time.is_none(), "{rpc} refused to {} but marked it", profile.label);
            }
            result.map(|_| Seen::Done)
        }
        "MarkNotificationUnread" | "ArchiveNotification" | "UnarchiveNotification" => {
            let name = world.notices.get(&owner).expect("a notice of the owner's").clone();
            let before = notice_of(world, profile, &owner, &name).await;
            let mut client = server.notifications();
            let result = match rpc {
                "MarkNotificationUnread" => {
                    let request = notifications::MarkNotificationUnreadRequest { name: name.clone() };
                    client.mark_notification_unread(profile.request(request)).await.map(drop)
                }
                "ArchiveNotification" => {
                    let request = notifications::ArchiveNotificationRequest { name: name.clone() };
                    client.archive_notification(profile.request(request)).await.map(drop)
                }
                _ => {
                    let request = notifications::UnarchiveNotificationRequest { name: name.clone() };
                    client.unarchive_notification(profile.request(request)).await.map(drop)
                }
            };
            if result.is_err() {
                let after = notice_of(world, profile, &owner, &name).await;
                assert_eq!(after, before, "{rpc} refused to {} but changed it", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "MarkAllNotificationsRead" => {
            let name = world.notices.get(&owner).expect("a notice of the owner's").clone();
            let before = notice_of(world, profile, &owner, &name).await;
            let request =
                notifications::MarkAllNotificationsReadRequest { recipient: owner.clone(), project: String::new() };
            let result = server.notifications().mark_all_notifications_read(profile.request(request)).await;
            if result.is_err() {
                let after = notice_of(world, profile, &owner, &name).await;
                assert_eq!(after.read_time, before.read_time, "{rpc} refused to {} but marked it", profile.label);
            }
            result.map(|_| Seen::Done)
        }
        "CountUnreadNotifications" => server
            .notifications()
            .count_unread_notifications(
                profile.request(notifications::CountUnreadNotificationsRequest { recipient: owner }),
            )
            .await
            .map(|_| Seen::Done),
        "WatchNotifications" => server
            .notifications()
            .watch_notifications(profile.request(notifications::WatchNotificationsRequest { recipient: owner }))
            .await
            .map(|_| Seen::Done),
        "GetNotificationRule" | "GetProjectNotificationRule" => {
            let mut client = server.notifications();
            if rpc == "GetNotificationRule" {
                let request =
                    notifications::GetNotificationRuleRequest { name: "notificationRules/comment-created".into() };
                client.get_notification_rule(profile.request(request)).await.map(|_| Seen::Done)
            } else {
                let name = format!("{}/notificationRules/comment-created", world.a);
                let request = notifications::GetProjectNotificationRuleRequest { name };
                client.get_project_notification_rule(profile.request(request)).await.map(|_| Seen::Done)
            }
        }
        "ListNotificationRules" => server
            .notifications()
            .list_notification_rules(profile.request(notifications::ListNotificationRulesRequest {}))
            .await
            .map(|_| Seen::Done),
        "ListProjectNotificationRules" => server
            .notifications()
            .list_project_notification_rules(
                profile.request(notifications::ListProjectNotificationRulesRequest { parent: world.a.clone() }),
            )
            .await
            .map(|_| Seen::Done),
        "UpdateNotificationRule" | "UpdateProjectNotificationRule" | "ResetProjectNotificationRule" => {
            let name = match rpc {
                "UpdateNotificationRule" => "notificationRules/client-updated".to_string(),
                _ => format!("{}/notificationRules/brief-updated", world.a),
            };
            let before = rule_etag(world, &name).await;
            let producer = notifications::Audience {
                audience: Some(notifications::audience::Audience::ProjectRole(ProjectMemberRole::Producer as i32)),
            };
            let change =
                notifications::NotificationRule { name: name.clone(), audiences: vec![producer], ..Default::default() };
            let mut client = server.notifications();
            let result = match rpc {
                "UpdateNotificationRule" => {
                    let request =
                        notifications::UpdateNotificationRuleRequest { rule: Some(change), update_mask: None };
                    client.update_notification_rule(profile.request(request)).await.map(drop)
                }
                "UpdateProjectNotificationRule" => {
                    let request =
                        notifications::UpdateProjectNotificationRuleRequest { rule: Some(change), update_mask: None };
                    client.update_project_notification_rule(profile.request(request)).await.map(drop)
                }
                _ => {
                    // An override to reset, made by the operator.
                    let request =
                        notifications::UpdateProjectNotificationRuleRequest { rule: Some(change), update_mask: None };
                    client.update_project_notification_rule(request).await.expect("fixture");
                    let overridden = rule_etag(world, &name).await;
                    let request =
                        notifications::ResetProjectNotificationRuleRequest { name: name.clone(), etag: String::new() };
                    let result = client.reset_project_notification_rule(profile.request(request)).await.map(drop);
                    if result.is_err() {
                        assert_eq!(
                            rule_etag(world, &name).await,
                            overridden,
                            "{rpc} refused to {} but reset it",
                            profile.label
                        );
                    }
                    return result.map(|()| Seen::Done);
                }
            };
            if result.is_err() {
                assert_eq!(rule_etag(world, &name).await, before, "{rpc} refused to {} but changed it", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "GetNotificationPreferences" => {
            let request =
                notifications::GetNotificationPreferencesRequest { name: format!("{owner}/notificationPreferences") };
            server.notifications().get_notification_preferences(profile.request(request)).await.map(|_| Seen::Done)
        }
        "UpdateNotificationPreferences" => {
            let name = format!("{owner}/notificationPreferences");
            let reader = if owner == world.stranger.subject { &world.stranger } else { profile };
            let read = || async {
                let request = notifications::GetNotificationPreferencesRequest { name: name.clone() };
                let got = server.notifications().get_notification_preferences(reader.request(request)).await;
                got.map(|r| r.into_inner().preferences.expect("preferences").etag)
            };
            let before = read().await;
            let request = notifications::UpdateNotificationPreferencesRequest {
                preferences: Some(notifications::NotificationPreferences {
                    name: name.clone(),
                    time_zone: "Europe/Paris".into(),
                    ..Default::default()
                }),
                update_mask: None,
            };
            let result = server.notifications().update_notification_preferences(profile.request(request)).await;
            if result.is_err() && before.is_ok() {
                assert_eq!(read().await.ok(), before.ok(), "{rpc} refused to {} but changed them", profile.label);
            }
            result.map(|_| Seen::Done)
        }
        "CreateProjectWebhook" => {
            let label = format!("Created {}", uuid::Uuid::new_v4().simple());
            let webhook = notifications::Webhook { display_name: label.clone(), ..hook_draft() };
            let request = notifications::CreateProjectWebhookRequest {
                parent: world.a.clone(),
                webhook: Some(webhook),
                webhook_id: String::new(),
            };
            let result = server.notifications().create_project_webhook(profile.request(request)).await;
            if result.is_err() {
                let request = notifications::ListProjectWebhooksRequest { parent: world.a.clone() };
                let all = server.notifications().list_project_webhooks(request).await.expect("operator lists");
                let all = all.into_inner().webhooks;
                assert!(all.iter().all(|w| w.display_name != label), "{rpc} refused to {} but wrote", profile.label);
            }
            result.map(|_| Seen::Done)
        }
        "GetProjectWebhook" => {
            let name = project_hook(world).await;
            let request = notifications::GetProjectWebhookRequest { name };
            server.notifications().get_project_webhook(profile.request(request)).await.map(|_| Seen::Done)
        }
        "ListProjectWebhooks" => {
            let request = notifications::ListProjectWebhooksRequest { parent: world.a.clone() };
            server.notifications().list_project_webhooks(profile.request(request)).await.map(|_| Seen::Done)
        }
        "ListProjectWebhookDeliveries" => {
            let parent = project_hook(world).await;
            let request = notifications::ListProjectWebhookDeliveriesRequest { parent, ..Default::default() };
            server.notifications().list_project_webhook_deliveries(profile.request(request)).await.map(|_| Seen::Done)
        }
        "UpdateProjectWebhook" | "RotateProjectWebhookSecret" | "DeleteProjectWebhook" => {
            let name = if rpc == "DeleteProjectWebhook" {
                let request = notifications::CreateProjectWebhookRequest {
                    parent: world.a.clone(),
                    webhook: Some(hook_draft()),
                    webhook_id: String::new(),
                };
                let made = server.notifications().create_project_webhook(request).await.expect("fixture");
                made.into_inner().webhook.expect("webhook").name
            } else {
                project_hook(world).await
            };
            let read = || async {
                let request = notifications::GetProjectWebhookRequest { name: name.clone() };
                server
                    .notifications()
                    .get_project_webhook(request)
                    .await
                    .map(|r| r.into_inner().webhook.expect("webhook"))
            };
            let before = read().await.expect("operator reads");
            let mut client = server.notifications();
            let result = match rpc {
                "UpdateProjectWebhook" => {
                    let change = notifications::Webhook {
                        name: name.clone(),
                        display_name: format!("Renamed {}", uuid::Uuid::new_v4().simple()),
                        ..Default::default()
                    };
                    let request =
                        notifications::UpdateProjectWebhookRequest { webhook: Some(change), update_mask: None };
                    client.update_project_webhook(profile.request(request)).await.map(drop)
                }
                "RotateProjectWebhookSecret" => {
                    let request = notifications::RotateProjectWebhookSecretRequest { name: name.clone() };
                    client.rotate_project_webhook_secret(profile.request(request)).await.map(drop)
                }
                _ => {
                    let request =
                        notifications::DeleteProjectWebhookRequest { name: name.clone(), etag: String::new() };
                    client.delete_project_webhook(profile.request(request)).await.map(drop)
                }
            };
            if result.is_err() {
                assert_eq!(read().await.ok(), Some(before), "{rpc} refused to {} but changed it", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "CreatePersonalWebhook" => {
            let label = format!("Created {}", uuid::Uuid::new_v4().simple());
            let webhook = notifications::Webhook { display_name: label.clone(), ..hook_draft() };
            let request = notifications::CreatePersonalWebhookRequest {
                parent: owner.clone(),
                webhook: Some(webhook),
                webhook_id: String::new(),
            };
            let result = server.notifications().create_personal_webhook(profile.request(request)).await;
            if result.is_err() && owner == world.stranger.subject {
                let request = notifications::ListPersonalWebhooksRequest { parent: owner.clone() };
                let all = server.notifications().list_personal_webhooks(world.stranger.request(request)).await;
                let all = all.expect("the owner lists").into_inner().webhooks;
                assert!(all.iter().all(|w| w.display_name != label), "{rpc} refused to {} but wrote", profile.label);
            }
            result.map(|_| Seen::Done)
        }
        "GetPersonalWebhook" | "ListPersonalWebhookDeliveries" => {
            let reader = if owner == world.stranger.subject { &world.stranger } else { profile };
            let Some(name) = personal_hook(world, reader, &owner).await else {
                // A service has no webhooks of its own to ask for.
                let request = notifications::GetPersonalWebhookRequest {
                    name: format!("{owner}/webhooks/{}", uuid::Uuid::new_v4()),
                };
                return server.notifications().get_personal_webhook(profile.request(request)).await.map(|_| Seen::Done);
            };
            if rpc == "GetPersonalWebhook" {
                let request = notifications::GetPersonalWebhookRequest { name };
                server.notifications().get_personal_webhook(profile.request(request)).await.map(|_| Seen::Done)
            } else {
                let request =
                    notifications::ListPersonalWebhookDeliveriesRequest { parent: name, ..Default::default() };
                server
                    .notifications()
                    .list_personal_webhook_deliveries(profile.request(request))
                    .await
                    .map(|_| Seen::Done)
            }
        }
        "ListPersonalWebhooks" => {
            let request = notifications::ListPersonalWebhooksRequest { parent: owner.clone() };
            server.notifications().list_personal_webhooks(profile.request(request)).await.map(|_| Seen::Done)
        }
        "UpdatePersonalWebhook" | "RotatePersonalWebhookSecret" | "DeletePersonalWebhook" => {
            let reader = if owner == world.stranger.subject { &world.stranger } else { profile };
            let name = if rpc == "DeletePersonalWebhook" {
                let request = notifications::CreatePersonalWebhookRequest {
                    parent: owner.clone(),
                    webhook: Some(hook_draft()),
                    webhook_id: String::new(),
                };
                let made = server.notifications().create_personal_webhook(reader.request(request)).await;
                made.expect("the owner's fixture").into_inner().webhook.expect("webhook").name
            } else {
                personal_hook(world, reader, &owner).await.expect("the owner's fixture")
            };
            let read = || async {
                let request = notifications::GetPersonalWebhookRequest { name: name.clone() };
                let got = server.notifications().get_personal_webhook(reader.request(request)).await;
                got.map(|r| r.into_inner().webhook.expect("webhook"))
            };
            let before = read().await.expect("the owner reads");
            let mut client = server.notifications();
            let result = match rpc {
                "UpdatePersonalWebhook" => {
                    let change = notifications::Webhook {
                        name: name.clone(),
                        display_name: format!("Renamed {}", uuid::Uuid::new_v4().simple()),
                        ..Default::default()
                    };
                    let request =
                        notifications::UpdatePersonalWebhookRequest { webhook: Some(change), update_mask: None };
                    client.update_personal_webhook(profile.request(request)).await.map(drop)
                }
                "RotatePersonalWebhookSecret" => {
                    let request = notifications::RotatePersonalWebhookSecretRequest { name: name.clone() };
                    client.rotate_personal_webhook_secret(profile.request(request)).await.map(drop)
                }
                _ => {
                    let request =
                        notifications::DeletePersonalWebhookRequest { name: name.clone(), etag: String::new() };
                    client.delete_personal_webhook(profile.request(request)).await.map(drop)
                }
            };
            if result.is_err() {
                assert_eq!(read().await.ok(), Some(before), "{rpc} refused to {} but changed it", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "ListAuditRecords" => {
            let project = world.a.clone();
            if method.contains("PeopleService") {
                let request = people::ListAuditRecordsRequest { actor: owner, ..Default::default() };
                server.people().list_audit_records(profile.request(request)).await.map(|_| Seen::Done)
            } else if method.contains("ProjectsService") {
                let request = projects::ListAuditRecordsRequest { project, ..Default::default() };
                server.projects().list_audit_records(profile.request(request)).await.map(|_| Seen::Done)
            } else {
                let request = assets::ListAuditRecordsRequest { project, ..Default::default() };
                server.assets().list_audit_records(profile.request(request)).await.map(|_| Seen::Done)
            }
        }
        "CreateClient" => {
            let title = format!("Client {}", uuid::Uuid::new_v4().simple());
            let client = projects::Client { display_name: title.clone(), ..Default::default() };
            let request = projects::CreateClientRequest { client: Some(client), request_id: String::new() };
            let result = server.projects().create_client(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let filter = format!("display_name = \"{title}\"");
                let listed = projects::ListClientsRequest { filter, ..Default::default() };
                let listed = server.projects().list_clients(listed).await.expect("operator lists").into_inner();
                assert!(listed.clients.is_empty(), "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "GetClient" => server
            .projects()
            .get_client(profile.request(projects::GetClientRequest { name: world.client.clone() }))
            .await
            .map(|_| Seen::Done),
        "ListClients" => server
            .projects()
            .list_clients(profile.request(projects::ListClientsRequest::default()))
            .await
            .map(|_| Seen::Done),
        "UpdateClient" => {
            let notes = format!("Note {}", uuid::Uuid::new_v4().simple());
            let client = projects::Client { name: world.client.clone(), notes: notes.clone(), ..Default::default() };
            let request = projects::UpdateClientRequest {
                client: Some(client),
                update_mask: Some(prost_types::FieldMask { paths: vec!["notes".into()] }),
                request_id: String::new(),
            };
            let result = server.projects().update_client(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let got = projects::GetClientRequest { name: world.client.clone() };
                let got = server.projects().get_client(got).await.expect("operator reads").into_inner().client;
                assert_ne!(got.expect("client").notes, notes, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "AdvanceProject" | "HoldProject" | "ResumeProject" | "CancelProject" | "ArchiveProject" => {
            // A project of its own for each case, with the profile in the place it holds on A.
            let project = project(server, operator(), "Lifecycle").await;
            if let (Some(role), true) = (profile.team, profile.is_person()) {
                add_member(server, operator(), &project, &profile.subject, member_role(role)).await;
            }
            let mut client = server.projects();
            let name = project.clone();
            let before = match rpc {
                "ResumeProject" => {
                    let hold = projects::HoldProjectRequest { name: name.clone(), ..Default::default() };
                    client.hold_project(hold).await.expect("fixture hold").into_inner().project
                }
                "ArchiveProject" => {
                    let cancel = projects::CancelProjectRequest { name: name.clone(), ..Default::default() };
                    client.cancel_project(cancel).await.expect("fixture cancel").into_inner().project
                }
                _ => {
                    let get = projects::GetProjectRequest { name: name.clone() };
                    client.get_project(get).await.expect("fixture").into_inner().project
                }
            };
            let before = before.expect("project").state;
            let result = match rpc {
                "AdvanceProject" => {
                    let stage = projects::ProjectState::PreProduction as i32;
                    let request = projects::AdvanceProjectRequest { name, stage, ..Default::default() };
                    client.advance_project(profile.request(request)).await.map(drop)
                }
                "HoldProject" => {
                    let request = projects::HoldProjectRequest { name, ..Default::default() };
                    client.hold_project(profile.request(request)).await.map(drop)
                }
                "ResumeProject" => {
                    let request = projects::ResumeProjectRequest { name, ..Default::default() };
                    client.resume_project(profile.request(request)).await.map(drop)
                }
                "CancelProject" => {
                    let request = projects::CancelProjectRequest { name, ..Default::default() };
                    client.cancel_project(profile.request(request)).await.map(drop)
                }
                _ => {
                    let request = projects::ArchiveProjectRequest { name, ..Default::default() };
                    client.archive_project(profile.request(request)).await.map(drop)
                }
            };
            if result.is_err() {
                let get = projects::GetProjectRequest { name: project };
                let after = client.get_project(get).await.expect("operator reads").into_inner().project;
                assert_eq!(after.expect("project").state, before, "{rpc} refused to {} but moved it", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "GetProjectHealth" => server
            .projects()
            .get_project_health(
                profile.request(projects::GetProjectHealthRequest { name: format!("{}/health", world.a) }),
            )
            .await
            .map(|_| Seen::Done),
        "CreateMilestone" => {
            let title = format!("Milestone {}", uuid::Uuid::new_v4().simple());
            let milestone =
                projects::Milestone { title: title.clone(), due_date: "2027-06-30".into(), ..Default::default() };
            let request = projects::CreateMilestoneRequest {
                parent: world.a.clone(),
                milestone: Some(milestone),
                request_id: String::new(),
            };
            let result = server.projects().create_milestone(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let listed =
                    projects::ListMilestonesRequest { parent: world.a.clone(), page_size: 1000, ..Default::default() };
                let listed = server.projects().list_milestones(listed).await.expect("operator lists").into_inner();
                assert!(
                    listed.milestones.iter().all(|m| m.title != title),
                    "{rpc} refused to {} but wrote",
                    profile.label
                );
            }
            result
        }
        "GetMilestone" => server
            .projects()
            .get_milestone(profile.request(projects::GetMilestoneRequest { name: world.milestone.clone() }))
            .await
            .map(|_| Seen::Done),
        "ListMilestones" => server
            .projects()
            .list_milestones(
                profile.request(projects::ListMilestonesRequest { parent: world.a.clone(), ..Default::default() }),
            )
            .await
            .map(|_| Seen::Done),
        "UpdateMilestone" => {
            let title = format!("Renamed {}", uuid::Uuid::new_v4().simple());
            let change =
                projects::Milestone { name: world.milestone.clone(), title: title.clone(), ..Default::default() };
            let request = projects::UpdateMilestoneRequest { milestone: Some(change), ..Default::default() };
            let result = server.projects().update_milestone(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let got = projects::GetMilestoneRequest { name: world.milestone.clone() };
                let got = server.projects().get_milestone(got).await.expect("operator reads").into_inner().milestone;
                assert_ne!(got.expect("milestone").title, title, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "GetBrief" => server
            .projects()
            .get_brief(profile.request(projects::GetBriefRequest { name: format!("{}/brief", world.a) }))
            .await
            .map(|_| Seen::Done),
        "ListBriefRevisions" => server
            .projects()
            .list_brief_revisions(profile.request(projects::ListBriefRevisionsRequest {
                parent: format!("{}/brief", world.a),
                ..Default::default()
            }))
            .await
            .map(|_| Seen::Done),
        "UpdateBrief" => {
            let strategy = format!("Strategy {}", uuid::Uuid::new_v4().simple());
            let brief = projects::Brief {
                name: format!("{}/brief", world.a),
                strategy: strategy.clone(),
                ..Default::default()
            };
            let request = projects::UpdateBriefRequest { brief: Some(brief), ..Default::default() };
            let result = server.projects().update_brief(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let got = projects::GetBriefRequest { name: format!("{}/brief", world.a) };
                let got = server.projects().get_brief(got).await.expect("operator reads").into_inner().brief;
                assert_ne!(got.expect("brief").strategy, strategy, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "RaiseObstacle" => {
            let title = format!("Risk {}", uuid::Uuid::new_v4().simple());
            let request = projects::RaiseObstacleRequest {
                parent: world.a.clone(),
                obstacle: Some(obstacle_draft(&title)),
                request_id: String::new(),
            };
            let result = server.projects().raise_obstacle(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let titles = obstacle_titles(world).await;
                assert!(!titles.contains(&title), "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "GetObstacle" => server
            .projects()
            .get_obstacle(profile.request(projects::GetObstacleRequest { name: world.obstacle.clone() }))
            .await
            .map(|_| Seen::Done),
        "ListObstacles" => server
            .projects()
            .list_obstacles(
                profile.request(projects::ListObstaclesRequest { parent: world.a.clone(), ..Default::default() }),
            )
            .await
            .map(|_| Seen::Done),
        "UpdateObstacle" | "ResolveObstacle" | "ReopenObstacle" => {
            let raised = projects::RaiseObstacleRequest {
                parent: world.a.clone(),
                obstacle: Some(obstacle_draft("Fixture")),
                request_id: String::new(),
            };
            let mut client = server.projects();
            let mut obstacle =
                client.raise_obstacle(raised).await.expect("fixture").into_inner().obstacle.expect("obstacle");
            if rpc == "ReopenObstacle" {
                let resolve = projects::ResolveObstacleRequest {
                    name: obstacle.name.clone(),
                    resolution: "Done".into(),
                    ..Default::default()
                };
                obstacle =
                    client.resolve_obstacle(resolve).await.expect("fixture").into_inner().obstacle.expect("obstacle");
            }
            let name = obstacle.name.clone();
            let result = match rpc {
                "UpdateObstacle" => {
                    let change = projects::Obstacle {
                        name: name.clone(),
                        severity: projects::ObstacleSeverity::Critical as i32,
                        ..Default::default()
                    };
                    let request = projects::UpdateObstacleRequest { obstacle: Some(change), ..Default::default() };
                    client.update_obstacle(profile.request(request)).await.map(drop)
                }
                "ResolveObstacle" => {
                    let request = projects::ResolveObstacleRequest {
                        name: name.clone(),
                        resolution: "Cleared".into(),
                        ..Default::default()
                    };
                    client.resolve_obstacle(profile.request(request)).await.map(drop)
                }
                _ => {
                    let request = projects::ReopenObstacleRequest { name: name.clone(), ..Default::default() };
                    client.reopen_obstacle(profile.request(request)).await.map(drop)
                }
            };
            if result.is_err() {
                let after = client.get_obstacle(projects::GetObstacleRequest { name }).await.expect("operator reads");
                let after = after.into_inner().obstacle.expect("obstacle");
                assert_eq!(after.etag, obstacle.etag, "{rpc} refused to {} but changed it", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "SubmitVersion" => {
            let asset = asset_in(world, AssetStatus::InProgress).await;
            let file = assets::VersionFile {
                uri: "s3://studio/a.png".into(),
                sha256: "f".repeat(64),
                size_bytes: 1,
                mime_type: "image/png".into(),
                media: None,
            };
            let version = assets::Version { files: vec![file], ..Default::default() };
            let request = assets::SubmitVersionRequest {
                parent: asset.name.clone(),
                version: Some(version),
                stages: vec![],
                request_id: String::new(),
            };
            let result = server.assets().submit_version(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                assert_eq!(
                    status_of(world, &asset.name).await,
                    asset.status,
                    "{rpc} refused to {} but moved it",
                    profile.label
                );
            }
            result
        }
        "GetVersion" => server
            .assets()
            .get_version(profile.request(assets::GetVersionRequest { name: world.version.clone() }))
            .await
            .map(|_| Seen::Done),
        "ListVersions" => {
            let parent = world.version.split("/versions/").next().expect("asset").to_string();
            let request = assets::ListVersionsRequest { parent, ..Default::default() };
            server.assets().list_versions(profile.request(request)).await.map(|_| Seen::Done)
        }
        "GetReviewRound" => server
            .assets()
            .get_review_round(
                profile.request(assets::GetReviewRoundRequest { name: format!("{}/review", world.version) }),
            )
            .await
            .map(|_| Seen::Done),
        "DecideReview" => {
            // The round's reviewer is the caller where the caller can be one (a person on A's
            // team), else the team producer. The policy lets a caller through or not; whether
            // they are a reviewer of the current stage is the round's own rule (reviews.rs), so
            // that refusal of a caller the policy let through counts as the policy's answer.
            let reviewer = match (profile.is_person(), profile.team) {
                (true, Some(_)) => profile.subject.clone(),
                _ => world.member_of_a.clone(),
            };
            let submitted = version_of_a(world, one_stage(&reviewer)).await;
            let review = submitted.review.expect("a round").name;
            let request = assets::DecideReviewRequest {
                name: review.clone(),
                verdict: assets::Verdict::Approve as i32,
                comment: String::new(),
                request_id: String::new(),
            };
            let result = server.assets().decide_review(profile.request(request)).await.map(|_| Seen::Done);
            let round = server.assets().get_review_round(assets::GetReviewRoundRequest { name: review }).await;
            let round = round.expect("operator reads").into_inner().review.expect("round");
            if result.is_err() {
                assert!(round.stages[0].decisions.is_empty(), "{rpc} refused to {} but recorded it", profile.label);
            }
            match result {
                Err(status) if baton_testkit::reason(&status) == "NOT_A_REVIEWER" && reviewer != profile.subject => {
                    Ok(Seen::Done)
                }
                other => other,
            }
        }
        "GetComponentSettings" => server
            .assets()
            .get_component_settings(
                profile.request(assets::GetComponentSettingsRequest { name: format!("{}/componentSettings", world.a) }),
            )
            .await
            .map(|_| Seen::Done),
        "UpdateComponentSettings" => {
            let name = format!("{}/componentSettings", world.a);
            let read = assets::GetComponentSettingsRequest { name: name.clone() };
            let before = server.assets().get_component_settings(read).await.expect("operator reads");
            let before = before.into_inner().settings.expect("settings");
            let settings = assets::ComponentSettings {
                name: name.clone(),
                retake_cap: before.retake_cap % 50 + 1,
                ..Default::default()
            };
            let request = assets::UpdateComponentSettingsRequest { settings: Some(settings), ..Default::default() };
            let result = server.assets().update_component_settings(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let after = server.assets().get_component_settings(assets::GetComponentSettingsRequest { name }).await;
                let after = after.expect("operator reads").into_inner().settings.expect("settings");
                assert_eq!(after.etag, before.etag, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "CreateComment" => {
            let body = format!("Note {}", uuid::Uuid::new_v4().simple());
            let request = assets::CreateCommentRequest {
                parent: world.in_review.name.clone(),
                comment: Some(assets::Comment { body: body.clone(), ..Default::default() }),
                request_id: String::new(),
            };
            let result = server.assets().create_comment(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let all = assets::ListCommentsRequest {
                    parent: world.in_review.name.clone(),
                    page_size: 1000,
                    ..Default::default()
                };
                let all = server.assets().list_comments(all).await.expect("operator lists").into_inner().comments;
                assert!(all.iter().all(|c| c.body != body), "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "GetComment" => server
            .assets()
            .get_comment(profile.request(assets::GetCommentRequest { name: world.comment.clone() }))
            .await
            .map(|_| Seen::Done),
        "ListComments" => {
            let request = assets::ListCommentsRequest { parent: world.in_review.name.clone(), ..Default::default() };
            server.assets().list_comments(profile.request(request)).await.map(|_| Seen::Done)
        }
        "UpdateComment" => {
            // The comment is the caller's where the caller may write one (a person on A's team),
            // else the operator's. Whether the caller wrote it is the comment's own rule
            // (comments.rs); that refusal of a caller the policy let through counts as the
            // policy's answer.
            let body = format!("Draft {}", uuid::Uuid::new_v4().simple());
            let request = assets::CreateCommentRequest {
                parent: world.in_review.name.clone(),
                comment: Some(assets::Comment { body: body.clone(), client_visible: true, ..Default::default() }),
                request_id: String::new(),
            };
            let theirs = profile.is_person() && profile.team.is_some();
            let created = if theirs {
                server.assets().create_comment(profile.request(request)).await
            } else {
                server.assets().create_comment(request).await
            };
            let name = created.expect("fixture").into_inner().comment.expect("comment").name;
            let change = assets::Comment { name: name.clone(), body: "Edited".into(), ..Default::default() };
            let request = assets::UpdateCommentRequest { comment: Some(change), ..Default::default() };
            let result = server.assets().update_comment(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let got = server.assets().get_comment(assets::GetCommentRequest { name }).await;
                let got = got.expect("operator reads").into_inner().comment.expect("comment");
                assert_eq!(got.body, body, "{rpc} refused to {} but wrote", profile.label);
            }
            match result {
                Err(status) if baton_testkit::reason(&status) == "NOT_AUTHOR" && !theirs => Ok(Seen::Done),
                other => other,
            }
        }
        "GetQualityChecklist" => {
            let name = format!("{}/qualityChecklists/video", world.a);
            let request = assets::GetQualityChecklistRequest { name };
            server.assets().get_quality_checklist(profile.request(request)).await.map(|_| Seen::Done)
        }
        "ListQualityChecklists" => {
            let request = assets::ListQualityChecklistsRequest { parent: world.a.clone() };
            server.assets().list_quality_checklists(profile.request(request)).await.map(|_| Seen::Done)
        }
        "UpdateQualityChecklist" => {
            let name = format!("{}/qualityChecklists/graphic", world.a);
            let read = || assets::GetQualityChecklistRequest { name: name.clone() };
            let before = server.assets().get_quality_checklist(read()).await.expect("operator reads");
            let before = before.into_inner().checklist.expect("checklist");
            let mut checks = before.checks.clone();
            checks.rotate_left(1);
            let change = assets::QualityChecklist { name: name.clone(), checks, ..Default::default() };
            let request = assets::UpdateQualityChecklistRequest { checklist: Some(change), ..Default::default() };
            let result = server.assets().update_quality_checklist(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let after = server.assets().get_quality_checklist(read()).await.expect("operator reads");
                let after = after.into_inner().checklist.expect("checklist");
                assert_eq!(after.etag, before.etag, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "RecordMeasurements" => {
            let submitted = version_of_a(world, vec![]).await;
            let version = submitted.version.expect("version").name;
            let measured = assets::Measurement {
                check: "colour_profile".into(),
                value: Some(assets::measurement::Value::Text("sRGB".into())),
            };
            let request = assets::RecordMeasurementsRequest {
                name: version.clone(),
                measurements: vec![measured],
                request_id: String::new(),
            };
            let result = server.assets().record_measurements(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let got = server.assets().get_version(assets::GetVersionRequest { name: version }).await;
                let got = got.expect("operator reads").into_inner().version.expect("version");
                assert!(got.measurements.is_empty(), "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "UpdateAsset" => {
            let asset = asset_in(world, AssetStatus::Planned).await;
            let description = format!("Brief {}", uuid::Uuid::new_v4().simple());
            let change =
                assets::Asset { name: asset.name.clone(), description: description.clone(), ..Default::default() };
            let request = assets::UpdateAssetRequest { asset: Some(change), ..Default::default() };
            let result = server.assets().update_asset(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let got = server.assets().get_asset(assets::GetAssetRequest { name: asset.name }).await;
                let got = got.expect("operator reads").into_inner().asset.expect("asset");
                assert_ne!(got.description, description, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "WatchAsset" | "UnwatchAsset" => {
            let asset = asset_in(world, AssetStatus::InReview).await;
            let name = asset.name.clone();
            let result = if rpc == "WatchAsset" {
                let request = assets::WatchAssetRequest { name: name.clone() };
                server.assets().watch_asset(profile.request(request)).await.map(drop)
            } else {
                let request = assets::UnwatchAssetRequest { name: name.clone() };
                server.assets().unwatch_asset(profile.request(request)).await.map(drop)
            };
            if result.is_err() {
                let got = server.assets().get_asset(assets::GetAssetRequest { name }).await;
                let got = got.expect("operator reads").into_inner().asset.expect("asset");
                assert_eq!(got.etag, asset.etag, "{rpc} refused to {} but changed it", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "UpdatePerson" => {
            let display_name = format!("Renamed {}", uuid::Uuid::new_v4().simple());
            let person =
                people::Person { name: owner.clone(), display_name: display_name.clone(), ..Default::default() };
            let request = people::UpdatePersonRequest { person: Some(person), ..Default::default() };
            let result = server.people().update_person(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let got = server.people().get_person(people::GetPersonRequest { name: owner }).await;
                let got = got.expect("operator reads").into_inner().person.expect("person");
                assert_ne!(got.display_name, display_name, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "FindPeople" => {
            let request = people::FindPeopleRequest {
                discipline: people::Discipline::Animation as i32,
                start_date: "2027-03-01".into(),
                end_date: "2027-03-31".into(),
                ..Default::default()
            };
            server.people().find_people(profile.request(request)).await.map(|_| Seen::Done)
        }
        "CreateTeam" => {
            let display_name = format!("Team {}", uuid::Uuid::new_v4().simple());
            let team = people::Team {
                display_name: display_name.clone(),
                kind: people::TeamKind::AdHoc as i32,
                ..Default::default()
            };
            let request = people::CreateTeamRequest { team: Some(team), request_id: String::new() };
            let result = server.people().create_team(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let all = people::ListTeamsRequest { page_size: 1000, ..Default::default() };
                let all = server.people().list_teams(all).await.expect("operator lists").into_inner().teams;
                assert!(
                    all.iter().all(|t| t.display_name != display_name),
                    "{rpc} refused to {} but wrote",
                    profile.label
                );
            }
            result
        }
        "GetTeam" => server
            .people()
            .get_team(profile.request(people::GetTeamRequest { name: world.team.clone() }))
            .await
            .map(|_| Seen::Done),
        "ListTeams" => {
            server.people().list_teams(profile.request(people::ListTeamsRequest::default())).await.map(|_| Seen::Done)
        }
        "UpdateTeam" => {
            let description = format!("About {}", uuid::Uuid::new_v4().simple());
            let team =
                people::Team { name: world.team.clone(), description: description.clone(), ..Default::default() };
            let request = people::UpdateTeamRequest { team: Some(team), ..Default::default() };
            let result = server.people().update_team(profile.request(request)).await.map(|_| Seen::Done);
            if result.is_err() {
                let got = server.people().get_team(people::GetTeamRequest { name: world.team.clone() }).await;
                let got = got.expect("operator reads").into_inner().team.expect("team");
                assert_ne!(got.description, description, "{rpc} refused to {} but wrote", profile.label);
            }
            result
        }
        "CreateTimeOff" | "DeleteTimeOff" => {
            let note = format!("Off {}", uuid::Uuid::new_v4().simple());
            let request = people::CreateTimeOffRequest {
                parent: owner.clone(),
                time_off: Some(people::TimeOff {
                    start_date: "2027-04-01".into(),
                    end_date: "2027-04-02".into(),
                    note: note.clone(),
                    ..Default::default()
                }),
                request_id: String::new(),
            };
            let result = if rpc == "CreateTimeOff" {
                server.people().create_time_off(profile.request(request)).await.map(drop)
            } else {
                let made = server.people().create_time_off(request).await.expect("fixture").into_inner().time_off;
                let request =
                    people::DeleteTimeOffRequest { name: made.expect("time off").name, request_id: String::new() };
                server.people().delete_time_off(profile.request(request)).await.map(drop)
            };
            if result.is_err() {
                let stored = capacity_notes(world, &owner).await.contains(&note);
                assert_eq!(stored, rpc == "DeleteTimeOff", "{rpc} refused to {} but wrote", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "ListTimeOff" => server
            .people()
            .list_time_off(profile.request(people::ListTimeOffRequest { parent: owner, ..Default::default() }))
            .await
            .map(|_| Seen::Done),
        "CreateAllocation" | "UpdateAllocation" | "DeleteAllocation" => {
            let stranger = world.stranger.subject.clone();
            let note = format!("Work {}", uuid::Uuid::new_v4().simple());
            let request = allocation_draft(world, &stranger, &note);
            let mut client = server.people();
            let result = if rpc == "CreateAllocation" {
                client.create_allocation(profile.request(request)).await.map(drop)
            } else {
                let made = client.create_allocation(request).await.expect("fixture").into_inner().allocation;
                let name = made.expect("allocation").name;
                if rpc == "UpdateAllocation" {
                    let change = people::Allocation { name, hours_per_week: 2.0, ..Default::default() };
                    let request = people::UpdateAllocationRequest { allocation: Some(change), ..Default::default() };
                    client.update_allocation(profile.request(request)).await.map(drop)
                } else {
                    let request = people::DeleteAllocationRequest { name, request_id: String::new() };
                    client.delete_allocation(profile.request(request)).await.map(drop)
                }
            };
            if result.is_err() {
                let stored = capacity_notes(world, &stranger).await.contains(&note);
                assert_eq!(stored, rpc != "CreateAllocation", "{rpc} refused to {} but wrote", profile.label);
            }
            result.map(|()| Seen::Done)
        }
        "GetAllocation" => server
            .people()
            .get_allocation(profile.request(people::GetAllocationRequest { name: world.allocation.clone() }))
            .await
            .map(|_| Seen::Done),
        "ListAllocations" => {
            let request = people::ListAllocationsRequest { parent: "people/-".into(), ..Default::default() };
            server.people().list_allocations(profile.request(request)).await.map(|_| Seen::Done)
        }
        "GetUtilisation" => {
            let request = people::GetUtilisationRequest {
                subject: world.team.clone(),
                start_date: "2027-03-01".into(),
                end_date: "2027-03-31".into(),
            };
            server.people().get_utilisation(profile.request(request)).await.map(|_| Seen::Done)
        }
        other => panic!("the matrix does not know how to call {other}: add it"),
    }
}

/// A notification rule's etag, as the operator reads it.
async fn rule_etag(world: &World, name: &str) -> String {
    let mut client = world.server.notifications();
    let rule = if name.starts_with("projects/") {
        let request = notifications::GetProjectNotificationRuleRequest { name: name.into() };
        client.get_project_notification_rule(request).await.expect("the rule").into_inner().rule
    } else {
        let request = notifications::GetNotificationRuleRequest { name: name.into() };
        client.get_notification_rule(request).await.expect("the rule").into_inner().rule
    };
    rule.expect("rule").etag
}

/// The cases of one rule for one profile: one, or (owner-scoped) their own and someone else's.
fn targets(rule: &Rule, profile: &Profile) -> Vec<Whose> {
    match rule.scope {
        Scope::Own | Scope::Private if profile.is_person() => vec![Whose::Theirs, Whose::Someone],
        _ => vec![Whose::Someone],
    }
}

fn expected(rule: &Rule, profile: &Profile, whose: Whose) -> Decision {
    let place = Place { membership: profile.team, owner: whose == Whose::Theirs };
    rule.decide(&profile.caller(), place)
}

async fn world(env: &TestEnv) -> (World, Vec<Profile>) {
    let server = env.spawn(&Target::ALL).await;
    let client = baton_tests::client(&server, "Northwind Coffee").await;
    let a = project(&server, operator(), "Northwind relaunch").await;
    let b = project(&server, operator(), "Contoso launch").await;
    let noticeboard = project(&server, operator(), "Noticeboard").await;

    let people_of = [
        ("admin", vec![G::Admin], None, PersonRole::Producer),
        ("producer", vec![G::Producer], None, PersonRole::Producer),
        ("team producer", vec![G::Member], Some(ProjectRole::Producer), PersonRole::Producer),
        ("lead", vec![G::Member], Some(ProjectRole::Lead), PersonRole::Designer),
        ("contributor", vec![G::Member], Some(ProjectRole::Contributor), PersonRole::Animator),
        ("reviewer", vec![G::Member], Some(ProjectRole::Reviewer), PersonRole::Copywriter),
        ("observer", vec![G::Member], Some(ProjectRole::Observer), PersonRole::Engineer),
        ("client of A", vec![G::ClientContact], Some(ProjectRole::Client), PersonRole::ClientContact),
        ("member not on A", vec![G::Member], None, PersonRole::Designer),
        ("client of B", vec![G::ClientContact], None, PersonRole::ClientContact),
    ];
    let mut profiles = Vec::new();
    for (label, roles, team, role) in people_of {
        let subject = new_person(&server, label, role).await;
        if let Some(team) = team {
            add_member(&server, operator(), &a, &subject, member_role(team)).await;
        }
        add_member(&server, operator(), &noticeboard, &subject, ProjectMemberRole::Observer).await;
        let bearer = with_token(subject.clone(), &roles);
        profiles.push(Profile { label, subject, roles, team, bearer });
    }
    let client_of_b = &profiles.iter().find(|p| p.label == "client of B").expect("profile").subject;
    add_member(&server, operator(), &b, client_of_b, ProjectMemberRole::Client).await;
    let service = "services/assets".to_string();
    profiles.push(Profile {
        label: "service",
        bearer: with_token(service.clone(), &[]),
        subject: service,
        roles: vec![],
        team: None,
    });

    let stranger = new_person(&server, "Stranger", PersonRole::Designer).await;
    add_member(&server, operator(), &noticeboard, &stranger, ProjectMemberRole::Observer).await;
    let stranger = Profile {
        label: "stranger",
        bearer: with_token(stranger.clone(), &[G::Member]),
        subject: stranger,
        roles: vec![G::Member],
        team: None,
    };

    // Joining the noticeboard notified every person: find each one's notice.
    let mut notices = BTreeMap::new();
    for profile in profiles.iter().filter(|p| p.is_person()).chain([&stranger]) {
        let notice = eventually(&format!("a notice for {}", profile.label), Duration::from_secs(20), || async {
            let request =
                notifications::ListNotificationsRequest { recipient: profile.subject.clone(), ..Default::default() };
            let page = server.notifications().list_notifications(profile.request(request)).await.ok()?.into_inner();
            page.notifications.into_iter().next().map(|n| n.name)
        })
        .await;
        notices.insert(profile.subject.clone(), notice);
    }

    let member_of_a = profiles.iter().find(|p| p.label == "team producer").expect("profile").subject.clone();
    let raised = projects::RaiseObstacleRequest {
        parent: a.clone(),
        obstacle: Some(obstacle_draft("Licence")),
        request_id: String::new(),
    };
    let obstacle = server
        .projects()
        .raise_obstacle(raised)
        .await
        .expect("an obstacle")
        .into_inner()
        .obstacle
        .expect("obstacle")
        .name;
    let created = projects::CreateMilestoneRequest {
        parent: a.clone(),
        milestone: Some(projects::Milestone {
            title: "Beta".into(),
            due_date: "2027-03-01".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let milestone = server
        .projects()
        .create_milestone(created)
        .await
        .expect("a milestone")
        .into_inner()
        .milestone
        .expect("milestone")
        .name;
    let team = people::Team {
        display_name: "Fixture team".into(),
        kind: people::TeamKind::AdHoc as i32,
        members: vec![people::TeamMember { person: stranger.subject.clone(), role: people::TeamRole::Member as i32 }],
        ..Default::default()
    };
    let team = people::CreateTeamRequest { team: Some(team), request_id: String::new() };
    let team = server.people().create_team(team).await.expect("a team").into_inner().team.expect("team").name;
    let mut world = World {
        server,
        client,
        obstacle,
        milestone,
        a,
        b,
        stranger,
        member_of_a,
        in_review: assets::Asset::default(),
        planned: assets::Asset::default(),
        notices,
        team,
        allocation: String::new(),
        version: String::new(),
        comment: String::new(),
    };
    let made = allocation_draft(&world, &world.stranger.subject, "Fixture");
    let made = world.server.people().create_allocation(made).await.expect("an allocation").into_inner();
    world.allocation = made.allocation.expect("allocation").name;
    let member_of_a = world.member_of_a.clone();
    world.version = version_of_a(&world, one_stage(&member_of_a)).await.version.expect("version").name;
    world.in_review = asset_in(&world, AssetStatus::InReview).await;
    let fixture = assets::CreateCommentRequest {
        parent: world.in_review.name.clone(),
        comment: Some(assets::Comment { body: "Fixture".into(), client_visible: true, ..Default::default() }),
        request_id: String::new(),
    };
    let fixture = world.server.assets().create_comment(fixture).await.expect("a comment").into_inner();
    world.comment = fixture.comment.expect("comment").name;
    world.planned = asset_in(&world, AssetStatus::Planned).await;
    (world, profiles)
}

/// The matrix: each case answers as the table says, refusals change nothing, and no caller
/// reads or writes across tenants.
#[tokio::test]
async fn every_rpc_answers_every_caller_as_the_policy_says() {
    let env = TestEnv::new().await;
    let (world, profiles) = world(&env).await;
    let started = Instant::now();
    let (mut allowed, mut denied, mut hidden) = (0, 0, 0);
    let mut failures = Vec::new();
    for rule in POLICY {
        for profile in &profiles {
            for whose in targets(rule, profile) {
                let expected = expected(rule, profile, whose);
                let result = run(&world, rule.method, profile, whose).await;
                let case = format!("{} by {} ({whose:?})", rule.method, profile.label);
                let code = result.as_ref().err().map(Status::code);
                match (&expected, &result) {
                    (Decision::Allow(_), Ok(_)) => allowed += 1,
                    (Decision::Deny(denial), Err(status))
                        if status.code() == Code::PermissionDenied
                            && baton_testkit::reason(status) == denial.reason =>
                    {
                        denied += 1
                    }
                    (Decision::Hide, Err(status)) if status.code() == Code::NotFound => hidden += 1,
                    _ => failures.push(format!("{case}: expected {expected:?}, got {:?}", result.as_ref().err())),
                }
                check_invariants(&world, rule, profile, whose, &expected, &result, code);
            }
        }
    }
    assert!(failures.is_empty(), "{} cases answered against the policy:\n{}", failures.len(), failures.join("\n"));
    let people = profiles.iter().filter(|p| p.is_person()).count();
    eprintln!(
        "authorization matrix: {} RPCs x {} callers ({people} people in {} roles, 1 service) = {} cases \
         ({allowed} allowed, {denied} denied, {hidden} not found) in {:.1?}",
        POLICY.len(),
        profiles.len(),
        profiles.len() - 1,
        allowed + denied + hidden,
        started.elapsed()
    );
    world.server.stop().await;
}

/// What must hold whatever the table says.
fn check_invariants(
    world: &World,
    rule: &Rule,
    profile: &Profile,
    whose: Whose,
    expected: &Decision,
    result: &Result<Seen, Status>,
    code: Option<Code>,
) {
    let rpc = rule.method.rsplit('/').next().unwrap_or_default();
    let case = format!("{rpc} by {} ({whose:?})", profile.label);
    let outsider = matches!(profile.label, "member not on A" | "client of B");
    // Nobody off A's team (and without a role that runs every project) learns anything of A.
    if outsider && rule.scope == Scope::Project {
        assert_eq!(code, Some(Code::NotFound), "{case}: an outsider must not even learn that A exists");
    }
    // Services read; they never write.
    let reads = ["Get", "List", "Watch"].iter().any(|prefix| rpc.starts_with(prefix));
    if !profile.is_person() && !reads {
        assert!(result.is_err(), "{case}: a service wrote");
    }
    // A person's notifications are theirs alone.
    let inbox = matches!(rule.scope, Scope::Own | Scope::Private);
    if rule.method.contains("NotificationsService") && inbox && whose == Whose::Someone {
        assert!(result.is_err(), "{case}: someone else's notifications were open");
    }
    match result {
        Ok(Seen::Projects(names)) => {
            let sees = |project: &String| names.contains(project);
            let runs_all = profile.roles.iter().any(|r| matches!(r, G::Admin | G::Producer));
            assert_eq!(sees(&world.a), runs_all || profile.team.is_some(), "{case}: project A");
            assert_eq!(sees(&world.b), runs_all || profile.label == "client of B", "{case}: project B");
        }
        Ok(Seen::Assets(assets)) => {
            let client = matches!(expected, Decision::Allow(View::Client));
            assert_eq!(client, profile.roles.contains(&G::ClientContact), "{case}: the client view");
            assert!(assets.iter().any(|a| a.name == world.in_review.name), "{case}: the asset under review");
            assert_eq!(assets.iter().any(|a| a.name == world.planned.name), !client, "{case}: the planned asset");
            if client {
                let visible = [
                    AssetStatus::InReview,
                    AssetStatus::ChangesRequested,
                    AssetStatus::Approved,
                    AssetStatus::Delivered,
                ]
                .map(|s| s as i32);
                assert!(assets.iter().all(|a| visible.contains(&a.status)), "{case}: a client saw work in progress");
            }
        }
        _ => {}
    }
}

/// Work in progress stays hidden from a client contact on the team, whichever way they ask.
#[tokio::test]
async fn a_client_never_sees_work_in_progress() {
    let env = TestEnv::new().await;
    let (world, profiles) = world(&env).await;
    let client = profiles.iter().find(|p| p.label == "client of A").expect("profile");
    let mut assets_client = world.server.assets();
    for asset in [&world.planned, &asset_in(&world, AssetStatus::InProgress).await] {
        let status = assets_client
            .get_asset(client.request(assets::GetAssetRequest { name: asset.name.clone() }))
            .await
            .expect_err("work in progress");
        assert_eq!((status.code(), baton_testkit::reason(&status).as_str()), (Code::NotFound, "ASSET_NOT_FOUND"));
        // Acting on it does not tell it exists either, and changes nothing.
        let status = assets_client
            .approve_asset(
                client.request(assets::ApproveAssetRequest { name: asset.name.clone(), ..Default::default() }),
            )
            .await
            .expect_err("not theirs to see");
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status_of(&world, &asset.name).await, asset.status);
    }
    // What is put in front of them, they see and review.
    let shown = assets_client
        .get_asset(client.request(assets::GetAssetRequest { name: world.in_review.name.clone() }))
        .await
        .expect("under review")
        .into_inner();
    assert_eq!(shown.asset.expect("asset").status, AssetStatus::InReview as i32);
    world.server.stop().await;
}

/// A person taken off a team loses access on every service within a second.
#[tokio::test]
async fn a_removed_member_loses_access_within_a_second() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let project = project(&server, operator(), "Relaunch").await;
    let animator = new_person(&server, "Ari", PersonRole::Animator).await;
    add_member(&server, operator(), &project, &animator, ProjectMemberRole::Contributor).await;
    let asset = baton_tests::asset(&server, operator(), &project, "Hero animation", &[]).await;
    let animator = Profile {
        label: "animator",
        bearer: with_token(animator.clone(), &[G::Member]),
        subject: animator,
        roles: vec![G::Member],
        team: Some(ProjectRole::Contributor),
    };
    let get_asset = || assets::GetAssetRequest { name: asset.name.clone() };
    let get_project = || projects::GetProjectRequest { name: project.clone() };
    // On the team: both services answer (and the assets service remembers the membership).
    server.assets().get_asset(animator.request(get_asset())).await.expect("a member reads the asset");
    server.projects().get_project(animator.request(get_project())).await.expect("a member reads the project");

    let name = format!("{project}/members/{}", &animator.subject["people/".len()..]);
    let request = projects::RemoveProjectMemberRequest { name, request_id: String::new() };
    server.projects().remove_project_member(request).await.expect("remove");
    let removed = Instant::now();
    let mut lost = None;
    while removed.elapsed() < Duration::from_secs(3) {
        let asset_answer = server.assets().get_asset(animator.request(get_asset())).await;
        let project_answer = server.projects().get_project(animator.request(get_project())).await;
        let gone = |result: Result<_, Status>| matches!(result, Err(status) if status.code() == Code::NotFound);
        if gone(asset_answer.map(drop)) && gone(project_answer.map(drop)) {
            lost = Some(removed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let lost = lost.expect("access was never lost");
    assert!(lost < Duration::from_secs(1), "access lost only after {lost:?}");
    let start = assets::StartAssetRequest { name: asset.name.clone(), ..Default::default() };
    let status = server.assets().start_asset(animator.request(start)).await.expect_err("no longer on the team");
    assert_eq!(status.code(), Code::NotFound);
    eprintln!("a removed member lost access after {lost:?}");
    server.stop().await;
}
