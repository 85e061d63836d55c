//! The notification rules: who is told of what, and why; a project's override, the agency's
//! mandatory rules, and the field errors of a bad rule.

use std::time::Duration;

use tonic::Code;

use baton_auth::GlobalRole;
use baton_proto::assets::v1::*;
use baton_proto::notifications::v1::{audience, *};
use baton_proto::people::v1::{CreateTeamRequest, Department, PersonRole, Team, TeamKind, TeamMember, TeamRole};
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::{Target, TestEnv, TestServer, as_actor, as_person, eventually, reason, violated_fields};
use baton_tests::{add_member, asset, person, project, video_file};

fn member<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::Member], message)
}

fn contact<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::ClientContact], message)
}

/// `person`'s notifications of `kind` about `subject`, as (reason, title).
async fn told(server: &TestServer, person: &str, kind: NotificationKind, subject: &str) -> Vec<(i32, String)> {
    let request = ListNotificationsRequest { recipient: person.into(), page_size: 1000, ..Default::default() };
    let page = server.notifications().list_notifications(as_actor(person, request)).await.expect("list");
    page.into_inner()
        .notifications
        .into_iter()
        .filter(|n| n.kind == kind as i32 && n.subject.starts_with(subject))
        .map(|n| (n.reason, n.title))
        .collect()
}

/// Waits until `person` was told of `kind` about `subject`, for `reason`; the title.
async fn wait_told(
    server: &TestServer,
    person: &str,
    kind: NotificationKind,
    subject: &str,
    why: NotificationReason,
) -> String {
    let what = format!("{kind:?} for {person} ({why:?})");
    eventually(&what, Duration::from_secs(20), || async {
        told(server, person, kind, subject).await.into_iter().find(|(r, _)| *r == why as i32).map(|(_, title)| title)
    })
    .await
}

fn relation(relation: AudienceRelation) -> Audience {
    Audience { audience: Some(audience::Audience::Relation(relation as i32)) }
}

fn role(role: ProjectMemberRole) -> Audience {
    Audience { audience: Some(audience::Audience::ProjectRole(role as i32)) }
}

async fn motion_team(server: &TestServer, members: &[&str]) -> String {
    let team = Team {
        display_name: "Motion".into(),
        kind: TeamKind::Department as i32,
        department: Department::Motion as i32,
        members: members.iter().map(|p| TeamMember { person: p.to_string(), role: TeamRole::Member as i32 }).collect(),
        ..Default::default()
    };
    let request = CreateTeamRequest { team: Some(team), request_id: String::new() };
    server.people().create_team(request).await.expect("team").into_inner().team.expect("team").name
}

#[tokio::test]
async fn each_kind_tells_the_people_its_rule_names_once_with_the_reason() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let lead = person(&server, "Lena", PersonRole::Animator).await;
    let maker = person(&server, "Mo", PersonRole::Animator).await;
    let watcher = person(&server, "Wanda", PersonRole::Designer).await;
    let client = person(&server, "Chloé", PersonRole::ClientContact).await;
    let outsider = person(&server, "Otto", PersonRole::Animator).await;
    let project = project(&server, &producer, "Relaunch").await;
    for (who, as_role) in [
        (&producer, ProjectMemberRole::Producer),
        (&lead, ProjectMemberRole::Lead),
        (&maker, ProjectMemberRole::Contributor),
        (&watcher, ProjectMemberRole::Observer),
        (&client, ProjectMemberRole::Client),
    ] {
        add_member(&server, &producer, &project, who, as_role).await;
    }
    let motion = motion_team(&server, &[&lead, &outsider]).await;
    let hero = asset(&server, &producer, &project, "Hero", &[&maker]).await;
    let mut assets = server.assets();
    assets.watch_asset(member(&watcher, WatchAssetRequest { name: hero.name.clone() })).await.expect("watch");

    // An internal comment mentioning Lena and the Motion team: Lena once, as mentioned; Otto is
    // in the team but not on the project; the client does not see the comment; Paula wrote it.
    let body = format!("@{lead} and @{motion}: slower intro?");
    let comment = CreateCommentRequest {
        parent: hero.name.clone(),
        comment: Some(Comment { body, ..Default::default() }),
        request_id: String::new(),
    };
    assets.create_comment(as_actor(&producer, comment)).await.expect("comment");
    let kind = NotificationKind::CommentCreated;
    let title = wait_told(&server, &lead, kind, &hero.name, NotificationReason::Mentioned).await;
    assert_eq!(title, "Paula commented on Hero");
    assert_eq!(told(&server, &lead, kind, &hero.name).await.len(), 1, "once, for the first reason");
    assert_eq!(told(&server, &maker, kind, &hero.name).await, [(NotificationReason::Assignee as i32, title.clone())]);
    assert_eq!(told(&server, &watcher, kind, &hero.name).await, [(NotificationReason::Watcher as i32, title)]);
    for nobody in [&producer, &client, &outsider] {
        assert!(told(&server, nobody, kind, &hero.name).await.is_empty(), "{nobody} was told of the comment");
    }

    // Work starts: the team hears, the client does not (work in progress).
    assets
        .start_asset(member(&maker, StartAssetRequest { name: hero.name.clone(), ..Default::default() }))
        .await
        .expect("start");
    let kind = NotificationKind::AssetStatusChanged;
    wait_told(&server, &producer, kind, &hero.name, NotificationReason::TeamMember).await;
    assert_eq!(told(&server, &watcher, kind, &hero.name).await[0].0, NotificationReason::Watcher as i32);
    assert!(told(&server, &client, kind, &hero.name).await.is_empty());
    assert!(told(&server, &maker, kind, &hero.name).await.is_empty(), "the actor");

    // A version in two stages, the lead's then the client's: the lead is asked first, the
    // client when their stage opens.
    let stage = |title: &str, reviewer: &str, client_visible: bool| ReviewStage {
        title: title.into(),
        reviewers: vec![reviewer.into()],
        rule: ReviewRule::All as i32,
        client_visible,
        ..Default::default()
    };
    let submit = SubmitVersionRequest {
        parent: hero.name.clone(),
        version: Some(Version { files: vec![video_file(1, -14.0)], client_visible: true, ..Default::default() }),
        stages: vec![stage("Lead", &lead, false), stage("Client", &client, true)],
        request_id: String::new(),
    };
    let review =
        assets.submit_version(member(&maker, submit)).await.expect("submit").into_inner().review.expect("round");
    let kind = NotificationKind::VersionSubmitted;
    let title = wait_told(&server, &lead, kind, &hero.name, NotificationReason::Reviewer).await;
    assert_eq!(title, "Version 1 of Hero is ready for review");
    assert_eq!(told(&server, &watcher, kind, &hero.name).await[0].0, NotificationReason::Watcher as i32);
    assert!(told(&server, &client, kind, &hero.name).await.is_empty(), "the first stage is internal");
    let decide = DecideReviewRequest {
        name: review.name.clone(),
        verdict: Verdict::Approve as i32,
        comment: String::new(),
        request_id: String::new(),
    };
    assets.decide_review(member(&lead, decide)).await.expect("lead approves");
    let kind = NotificationKind::ReviewDecided;
    let title = wait_told(&server, &client, kind, &hero.name, NotificationReason::Reviewer).await;
    assert_eq!(title, "Hero passed the Lead stage");
    assert_eq!(told(&server, &maker, kind, &hero.name).await[0].0, NotificationReason::Assignee as i32);
    assert!(told(&server, &lead, kind, &hero.name).await.is_empty(), "the actor");
    // The client's own decision ends the round; the maker hears why.
    let decide = DecideReviewRequest {
        name: review.name,
        verdict: Verdict::RequestChanges as i32,
        comment: "Warmer".into(),
        request_id: String::new(),
    };
    assets.decide_review(contact(&client, decide)).await.expect("client asks for changes");
    let changes = eventually("the maker told of the client's decision", Duration::from_secs(20), || async {
        let all = told(&server, &maker, kind, &hero.name).await;
        (all.len() == 2).then_some(all)
    })
    .await;
    assert!(changes.iter().any(|(_, title)| title == "Hero did not pass the Client stage"), "{changes:?}");
}

#[tokio::test]
async fn a_project_overrides_a_rule_and_the_agency_makes_one_mandatory() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let paula = person(&server, "Paula", PersonRole::Producer).await;
    let lena = person(&server, "Lena", PersonRole::Animator).await;
    let mo = person(&server, "Mo", PersonRole::Animator).await;
    let project = project(&server, &paula, "Relaunch").await;
    for (who, as_role) in
        [(&paula, ProjectMemberRole::Producer), (&lena, ProjectMemberRole::Lead), (&mo, ProjectMemberRole::Contributor)]
    {
        add_member(&server, &paula, &project, who, as_role).await;
    }
    let hero = asset(&server, &paula, &project, "Hero", &[&mo]).await;
    let mut rules = server.notifications();

    // The agency's rules: one per kind, each its default.
    let agency = rules.list_notification_rules(member(&lena, ListNotificationRulesRequest {})).await.expect("list");
    let agency = agency.into_inner().rules;
    assert_eq!(agency.len(), 34, "30 kinds of events and 4 of reminders");
    let overdue = agency.iter().find(|r| r.name == "notificationRules/component-overdue").expect("a reminder's rule");
    assert_eq!(overdue.event_type, "", "a reminder is no event");
    let comments = agency.iter().find(|r| r.name == "notificationRules/comment-created").expect("the rule");
    assert_eq!(comments.event_type, "baton.assets.v1.CommentCreated");
    let defaults = [AudienceRelation::Mentioned, AudienceRelation::Assignees, AudienceRelation::Watchers].map(relation);
    assert_eq!((comments.audiences.as_slice(), comments.overridden), (&defaults[..], false));

    // Paula (a producer on this project only) sends comments to herself alone; Lena may not.
    let name = format!("{project}/notificationRules/comment-created");
    let project_rule = |audiences: Vec<Audience>, etag: &str| UpdateProjectNotificationRuleRequest {
        rule: Some(NotificationRule { name: name.clone(), audiences, etag: etag.into(), ..Default::default() }),
        update_mask: None,
    };
    // The notifications service learns of the project and its team from their events.
    let read = eventually("a lead reads the project's rule", Duration::from_secs(20), || {
        let (mut rules, request) =
            (rules.clone(), member(&lena, GetProjectNotificationRuleRequest { name: name.clone() }));
        async move {
            match rules.get_project_notification_rule(request).await {
                Ok(response) => Some(response.into_inner().rule.expect("rule")),
                Err(status) if status.code() == Code::NotFound => None,
                Err(status) => panic!("a lead reads: {status:?}"),
            }
        }
    })
    .await;
    let denied =
        rules.update_project_notification_rule(member(&lena, project_rule(vec![], ""))).await.expect_err("a lead");
    assert_eq!((denied.code(), reason(&denied).as_str()), (Code::PermissionDenied, "PROJECT_ROLE_REQUIRED"));
    let changed = rules
        .update_project_notification_rule(member(
            &paula,
            project_rule(vec![role(ProjectMemberRole::Producer)], &read.etag),
        ))
        .await
        .expect("the producer")
        .into_inner()
        .rule
        .expect("rule");
    assert!(changed.overridden && changed.updater == paula && changed.update_time.is_some(), "{changed:?}");
    let stale = rules
        .update_project_notification_rule(member(&paula, project_rule(vec![], &read.etag)))
        .await
        .expect_err("stale");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));
    let comment = CreateCommentRequest {
        parent: hero.name.clone(),
        comment: Some(Comment { body: format!("Over to you, @{lena}"), ..Default::default() }),
        request_id: String::new(),
    };
    server.assets().create_comment(member(&mo, comment)).await.expect("comment");
    let kind = NotificationKind::CommentCreated;
    wait_told(&server, &paula, kind, &hero.name, NotificationReason::ProjectRole).await;
    assert!(told(&server, &lena, kind, &hero.name).await.is_empty(), "the override leaves mentions out");
    // Reset: the project follows the agency's rule again.
    let reset = ResetProjectNotificationRuleRequest { name: name.clone(), etag: String::new() };
    let reset = rules.reset_project_notification_rule(member(&paula, reset)).await.expect("reset");
    let reset = reset.into_inner().rule.expect("rule");
    assert_eq!((reset.audiences.as_slice(), reset.overridden), (&defaults[..], false));

    // The agency makes milestone changes mandatory for producers and leads: a project may add
    // to them, never drop one.
    let milestones = UpdateNotificationRuleRequest {
        rule: Some(NotificationRule {
            name: "notificationRules/milestone-changed".into(),
            audiences: vec![role(ProjectMemberRole::Producer), role(ProjectMemberRole::Lead)],
            mandatory: true,
            ..Default::default()
        }),
        update_mask: None,
    };
    let denied = rules.update_notification_rule(as_actor(&paula, milestones.clone())).await.expect_err("admins only");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let mandatory =
        rules.update_notification_rule(milestones).await.expect("an admin").into_inner().rule.expect("rule");
    assert!(mandatory.mandatory && mandatory.overridden);
    let name = format!("{project}/notificationRules/milestone-changed");
    let drop_producer = UpdateProjectNotificationRuleRequest {
        rule: Some(NotificationRule {
            name: name.clone(),
            audiences: vec![role(ProjectMemberRole::Lead)],
            ..Default::default()
        }),
        update_mask: None,
    };
    let refused = rules.update_project_notification_rule(member(&paula, drop_producer)).await.expect_err("mandatory");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "RULE_MANDATORY"));
    assert!(refused.message().contains("the project's producer"), "{}", refused.message());
    let more = UpdateProjectNotificationRuleRequest {
        rule: Some(NotificationRule {
            name,
            audiences: vec![
                role(ProjectMemberRole::Lead),
                role(ProjectMemberRole::Producer),
                relation(AudienceRelation::ProjectTeam),
            ],
            ..Default::default()
        }),
        update_mask: None,
    };
    let more = rules.update_project_notification_rule(member(&paula, more)).await.expect("adds").into_inner();
    let more = more.rule.expect("rule");
    assert!(more.mandatory && more.overridden && more.audiences.len() == 3);
}

#[tokio::test]
async fn a_department_hears_only_where_it_is_on_the_team_and_bad_rules_are_refused() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let paula = person(&server, "Paula", PersonRole::Producer).await;
    let lena = person(&server, "Lena", PersonRole::Animator).await;
    let otto = person(&server, "Otto", PersonRole::Animator).await;
    let mo = person(&server, "Mo", PersonRole::Animator).await;
    let project = project(&server, &paula, "Relaunch").await;
    for (who, as_role) in [
        (&paula, ProjectMemberRole::Producer),
        (&lena, ProjectMemberRole::Contributor),
        (&mo, ProjectMemberRole::Contributor),
    ] {
        add_member(&server, &paula, &project, who, as_role).await;
    }
    motion_team(&server, &[&lena, &otto]).await;
    let hero = asset(&server, &paula, &project, "Hero", &[&mo]).await;
    let mut rules = server.notifications();
    let name = format!("{project}/notificationRules/asset-status-changed");
    let motion = Audience { audience: Some(audience::Audience::Department(Department::Motion as i32)) };
    let change = |audiences: Vec<Audience>| UpdateProjectNotificationRuleRequest {
        rule: Some(NotificationRule { name: name.clone(), audiences, ..Default::default() }),
        update_mask: None,
    };
    // The department's team may not be projected yet when the rule is set: a department is
    // resolved when an event is.
    rules.update_project_notification_rule(change(vec![motion.clone()])).await.expect("the department");
    server
        .assets()
        .start_asset(member(&mo, StartAssetRequest { name: hero.name.clone(), ..Default::default() }))
        .await
        .expect("start");
    let kind = NotificationKind::AssetStatusChanged;
    let title = wait_told(&server, &lena, kind, &hero.name, NotificationReason::Team).await;
    assert_eq!(title, "Work started on Hero");
    assert!(told(&server, &otto, kind, &hero.name).await.is_empty(), "Otto is not on the project");
    assert!(told(&server, &paula, kind, &hero.name).await.is_empty(), "the rule no longer names the team");

    // Bad rules: each field error named, nothing changed.
    let nothing = Audience { audience: None };
    let unknown_relation = Audience { audience: Some(audience::Audience::Relation(99)) };
    let bad = rules
        .update_project_notification_rule(change(vec![nothing, unknown_relation, motion.clone(), motion.clone()]))
        .await
        .expect_err("bad audiences");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&bad), ["rule.audiences[0]", "rule.audiences[1]", "rule.audiences[3]"]);
    let stranger_team =
        Audience { audience: Some(audience::Audience::Team(format!("teams/{}", uuid::Uuid::now_v7()))) };
    let unknown = rules.update_project_notification_rule(change(vec![stranger_team])).await.expect_err("no team");
    assert_eq!((unknown.code(), reason(&unknown).as_str()), (Code::FailedPrecondition, "TEAM_NOT_FOUND"));
    let bad_kind = UpdateProjectNotificationRuleRequest {
        rule: Some(NotificationRule { name: format!("{project}/notificationRules/cake-baked"), ..Default::default() }),
        update_mask: Some(prost_types::FieldMask { paths: vec!["mandatory".into()] }),
    };
    let bad_kind = rules.update_project_notification_rule(bad_kind).await.expect_err("bad kind and mask");
    assert_eq!(violated_fields(&bad_kind), ["rule.name", "update_mask"]);
    assert!(bad_kind.message().contains("asset-status-changed"), "{}", bad_kind.message());
    let agency = rules
        .get_notification_rule(GetNotificationRuleRequest {
            name: format!("{project}/notificationRules/asset-created"),
        })
        .await
        .expect_err("a project's name");
    assert_eq!(violated_fields(&agency), ["name"]);
    let still = rules.get_project_notification_rule(GetProjectNotificationRuleRequest { name: name.clone() }).await;
    assert_eq!(still.expect("read").into_inner().rule.expect("rule").audiences, [motion]);
    let elsewhere = format!("projects/{}/notificationRules/asset-created", uuid::Uuid::now_v7());
    let missing = rules.get_project_notification_rule(GetProjectNotificationRuleRequest { name: elsewhere }).await;
    assert_eq!(missing.expect_err("no such project").code(), Code::NotFound);
}
