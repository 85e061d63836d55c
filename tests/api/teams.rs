//! Teams: departments (one team each) and ad-hoc teams, with members and their roles; created,
//! listed by filter, updated by field mask with optimistic concurrency, and every change an event
//! saying who joined and who left.

use baton_proto::people::v1::*;
use baton_testkit::{Target, TestEnv, as_actor, operator, reason, violated_fields};
use baton_tests::person;
use prost_types::FieldMask;
use tonic::Code;

fn member(person: &str, role: TeamRole) -> TeamMember {
    TeamMember { person: person.into(), role: role as i32 }
}

fn team(display_name: &str, kind: TeamKind, department: Department, members: Vec<TeamMember>) -> CreateTeamRequest {
    CreateTeamRequest {
        team: Some(Team {
            display_name: display_name.into(),
            kind: kind as i32,
            department: department as i32,
            members,
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn departments_and_ad_hoc_teams_are_created_and_listed_by_filter() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People]).await;
    let mut people = server.people();
    let ana = person(&server, "Ana Animator", PersonRole::Animator).await;
    let ben = person(&server, "Ben Designer", PersonRole::Designer).await;
    let mut tap = env.tap("baton.people.#").await;

    let motion = CreateTeamRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        ..team("Motion", TeamKind::Department, Department::Motion, vec![member(&ana, TeamRole::Lead)])
    };
    let created = people.create_team(as_actor(operator(), motion.clone())).await.expect("create");
    let created = created.into_inner().team.expect("team");
    assert!(created.name.starts_with("teams/") && !created.etag.is_empty());
    assert_eq!(created.members, [member(&ana, TeamRole::Lead)]);
    let event: TeamCreated = tap.next().await;
    assert_eq!((event.team.as_ref(), event.actor.as_str()), (Some(&created), operator()));
    let again = people.create_team(as_actor(operator(), motion)).await.expect("replay").into_inner();
    assert_eq!(again.team.as_ref(), Some(&created), "the same request id answers the same team");

    // One team per department, and names are unique ignoring case.
    let second = people.create_team(team("Animation", TeamKind::Department, Department::Motion, vec![])).await;
    let second = second.expect_err("the department has its team");
    assert_eq!((second.code(), reason(&second).as_str()), (Code::AlreadyExists, "DEPARTMENT_TAKEN"));
    let same_name = people.create_team(team("MOTION", TeamKind::AdHoc, Department::Unspecified, vec![])).await;
    let same_name = same_name.expect_err("name taken");
    assert_eq!((same_name.code(), reason(&same_name).as_str()), (Code::AlreadyExists, "TEAM_NAME_TAKEN"));

    let launch = people
        .create_team(team(
            "Launch squad",
            TeamKind::AdHoc,
            Department::Unspecified,
            vec![member(&ana, TeamRole::Member), member(&ben, TeamRole::Lead)],
        ))
        .await
        .expect("ad hoc")
        .into_inner()
        .team
        .expect("team");

    let list = |filter: String| ListTeamsRequest { filter, ..Default::default() };
    let names = |teams: Vec<Team>| teams.into_iter().map(|t| t.name).collect::<Vec<_>>();
    let all = people.list_teams(list(String::new())).await.expect("list").into_inner().teams;
    assert_eq!(names(all), [created.name.clone(), launch.name.clone()]);
    let departments = people.list_teams(list("kind = TEAM_KIND_DEPARTMENT".into())).await.expect("list");
    assert_eq!(names(departments.into_inner().teams), [created.name.as_str()]);
    let not_motion = people.list_teams(list("department != DEPARTMENT_MOTION".into())).await.expect("list");
    assert_eq!(names(not_motion.into_inner().teams), [launch.name.as_str()], "an ad-hoc team is no department");
    let bens = people.list_teams(list(format!("member = \"{ben}\""))).await.expect("list").into_inner().teams;
    assert_eq!(names(bens), [launch.name.as_str()]);

    // People by team.
    let filter = format!("team = \"{}\"", launch.name);
    let members = people.list_people(ListPeopleRequest { filter, ..Default::default() }).await.expect("list");
    let members: Vec<String> = members.into_inner().people.into_iter().map(|p| p.name).collect();
    assert_eq!(members, [ana.clone(), ben.clone()]);

    let bad = people.list_teams(list("colour = red".into())).await.expect_err("unknown field");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&bad), ["filter"]);
    assert!(bad.message().contains("colour"), "{}", bad.message());
}

#[tokio::test]
async fn only_active_people_join_and_updates_say_who_joined_and_left() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People]).await;
    let mut people = server.people();
    let ana = person(&server, "Ana Audio", PersonRole::AudioEngineer).await;
    let ben = person(&server, "Ben Audio", PersonRole::AudioEngineer).await;
    let leaver = person(&server, "Lee Leaver", PersonRole::AudioEngineer).await;
    people
        .deactivate_person(DeactivatePersonRequest { name: leaver.clone(), request_id: String::new() })
        .await
        .expect("deactivate");

    let unknown = format!("people/{}", uuid::Uuid::now_v7());
    let refused = people
        .create_team(team("Audio", TeamKind::Department, Department::Audio, vec![member(&unknown, TeamRole::Member)]))
        .await
        .expect_err("unknown person");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::NotFound, "PERSON_NOT_FOUND"));
    assert!(refused.message().contains(&unknown), "{}", refused.message());
    let refused = people
        .create_team(team("Audio", TeamKind::Department, Department::Audio, vec![member(&leaver, TeamRole::Member)]))
        .await
        .expect_err("deactivated person");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "PERSON_DEACTIVATED"));

    let audio = people
        .create_team(team("Audio", TeamKind::Department, Department::Audio, vec![member(&ana, TeamRole::Lead)]))
        .await
        .expect("create")
        .into_inner()
        .team
        .expect("team");
    let mut tap = env.tap("baton.people.#").await;

    let update = |team: Team, paths: &[&str]| UpdateTeamRequest {
        team: Some(team),
        update_mask: Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
        request_id: String::new(),
    };
    let changed = Team {
        name: audio.name.clone(),
        etag: audio.etag.clone(),
        members: vec![member(&ben, TeamRole::Lead)],
        description: "Records, mixes and streams.".into(),
        ..Default::default()
    };
    let updated = people.update_team(as_actor(operator(), update(changed.clone(), &["members"]))).await;
    let updated = updated.expect("update").into_inner().team.expect("team");
    assert_eq!(updated.members, [member(&ben, TeamRole::Lead)]);
    assert_eq!((updated.display_name.as_str(), updated.description.as_str()), ("Audio", ""), "only the mask's fields");
    let event: TeamUpdated = tap.next().await;
    assert_eq!((event.added_members, event.removed_members), (vec![ben.clone()], vec![ana.clone()]));
    assert_eq!((event.before, event.after.as_ref()), (Some(audio.clone()), Some(&updated)));
    assert_eq!((event.changed_fields, event.actor.as_str()), (vec!["members".to_string()], operator()));

    // The etag read before is stale now: nothing changes.
    let stale = people.update_team(update(changed, &["description"])).await.expect_err("stale etag");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));
    let joined_by_leaver =
        Team { name: audio.name.clone(), members: vec![member(&leaver, TeamRole::Member)], ..Default::default() };
    let refused = people.update_team(update(joined_by_leaver, &["members"])).await.expect_err("deactivated");
    assert_eq!(reason(&refused), "PERSON_DEACTIVATED");
    let now = people.get_team(GetTeamRequest { name: audio.name.clone() }).await.expect("get").into_inner();
    assert_eq!(now.team.as_ref(), Some(&updated), "refused updates changed nothing");

    // A member who leaves the agency later stays listed.
    people
        .deactivate_person(DeactivatePersonRequest { name: ben.clone(), request_id: String::new() })
        .await
        .expect("deactivate");
    let still =
        people.get_team(GetTeamRequest { name: audio.name }).await.expect("get").into_inner().team.expect("team");
    assert_eq!(still.members, [member(&ben, TeamRole::Lead)]);
}
