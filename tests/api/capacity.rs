//! Skills, weekly hours, time off and allocations: finding people by skill and availability, the
//! load of a person and of a team, and over-allocation reported on the person, in ListPeople and
//! by an event when it flips.

use baton_proto::people::v1::*;
use baton_testkit::{Target, TestEnv, as_actor, operator, reason, violated_fields};
use prost_types::FieldMask;
use time::{Date, Duration, OffsetDateTime};
use tonic::Code;

/// The Monday of next week: allocations there count for over-allocation from now on.
fn next_monday() -> Date {
    let today = OffsetDateTime::now_utc().date();
    today - Duration::days(i64::from(today.weekday().number_days_from_monday())) + Duration::days(7)
}

fn day(monday: Date, offset: i64) -> String {
    (monday + Duration::days(offset)).to_string()
}

fn skill(discipline: Discipline, level: SkillLevel) -> Skill {
    Skill { discipline: discipline as i32, level: level as i32 }
}

async fn skilled(
    server: &baton_testkit::TestServer,
    display_name: &str,
    skills: Vec<Skill>,
    weekly_hours: Option<f64>,
) -> Person {
    let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
    let person = Person {
        display_name: display_name.into(),
        email,
        role: PersonRole::Animator as i32,
        skills,
        weekly_hours,
        ..Default::default()
    };
    let request = CreatePersonRequest { person: Some(person), request_id: String::new() };
    server.people().create_person(request).await.expect("create").into_inner().person.expect("person")
}

fn allocation(person: &str, project: &str, hours: f64, start: String, end: String) -> CreateAllocationRequest {
    CreateAllocationRequest {
        parent: person.into(),
        allocation: Some(Allocation {
            project: project.into(),
            hours_per_week: hours,
            start_date: start,
            end_date: end,
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// A new project, created by the operator.
async fn a_project(server: &baton_testkit::TestServer) -> String {
    baton_tests::project(server, operator(), &format!("Project {}", uuid::Uuid::now_v7().simple())).await
}

#[tokio::test]
async fn people_are_found_by_skill_level_and_free_hours() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let mut people = server.people();
    let ana = skilled(&server, "Ana", vec![skill(Discipline::Animation, SkillLevel::Expert)], None).await;
    let ben = skilled(
        &server,
        "Ben",
        vec![skill(Discipline::Animation, SkillLevel::Senior), skill(Discipline::ThreeD, SkillLevel::Junior)],
        Some(20.0),
    )
    .await;
    let cid = skilled(&server, "Cid", vec![skill(Discipline::Animation, SkillLevel::Junior)], None).await;
    skilled(&server, "Dee", vec![skill(Discipline::GraphicDesign, SkillLevel::Expert)], None).await;
    assert_eq!((ana.weekly_hours, ben.weekly_hours), (Some(40.0), Some(20.0)), "40 hours unless told");

    let monday = next_monday();
    let find = |min_free_hours: f64| FindPeopleRequest {
        discipline: Discipline::Animation as i32,
        min_level: SkillLevel::Senior as i32,
        start_date: day(monday, 0),
        end_date: day(monday, 4),
        min_free_hours,
        page_size: 0,
    };
    let names = |found: FindPeopleResponse| {
        found.candidates.into_iter().map(|c| (c.person.expect("person").display_name, c.free_hours)).collect::<Vec<_>>()
    };
    let found = people.find_people(find(0.0)).await.expect("find").into_inner();
    assert_eq!(names(found), [("Ana".to_string(), 40.0), ("Ben".to_string(), 20.0)], "seniors and up, most free first");

    people
        .create_allocation(allocation(&ana.name, &a_project(&server).await, 30.0, day(monday, 0), day(monday, 6)))
        .await
        .expect("allocate");
    let found = people.find_people(find(0.0)).await.expect("find").into_inner();
    assert_eq!(names(found), [("Ben".to_string(), 20.0), ("Ana".to_string(), 10.0)]);
    let found = people.find_people(find(15.0)).await.expect("find").into_inner();
    assert_eq!(names(found), [("Ben".to_string(), 20.0)]);

    let filter = "discipline = DISCIPLINE_ANIMATION".to_string();
    let animators = people.list_people(ListPeopleRequest { filter, ..Default::default() }).await.expect("list");
    let animators: Vec<String> = animators.into_inner().people.into_iter().map(|p| p.name).collect();
    assert_eq!(animators, [ana.name.clone(), ben.name.clone(), cid.name.clone()]);

    let bad = people.find_people(FindPeopleRequest { end_date: day(monday, -1), ..find(-1.0) }).await;
    let bad = bad.expect_err("bad search");
    let mut fields = violated_fields(&bad);
    fields.sort();
    assert_eq!(fields, ["end_date", "min_free_hours"]);
}

#[tokio::test]
async fn a_person_updates_their_skills_and_hours_by_field_mask() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let mut people = server.people();
    let eva = skilled(&server, "Eva", vec![skill(Discipline::Video, SkillLevel::Intermediate)], None).await;
    let mut tap = env.tap("baton.people.#").await;

    let update = |person: Person, paths: &[&str]| UpdatePersonRequest {
        person: Some(person),
        update_mask: Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
        request_id: String::new(),
    };
    let sent = Person {
        name: eva.name.clone(),
        etag: eva.etag.clone(),
        skills: vec![skill(Discipline::Video, SkillLevel::Senior), skill(Discipline::Streaming, SkillLevel::Junior)],
        weekly_hours: Some(32.0),
        display_name: "Not this".into(),
        ..Default::default()
    };
    // Eva changes her own skills and hours.
    let updated = people
        .update_person(baton_testkit::as_person(
            &eva.name,
            &[baton_auth::GlobalRole::Member],
            update(sent.clone(), &["skills", "weekly_hours"]),
        ))
        .await
        .expect("update")
        .into_inner()
        .person
        .expect("person");
    assert_eq!((updated.skills.len(), updated.weekly_hours, updated.display_name.as_str()), (2, Some(32.0), "Eva"));
    let event: PersonUpdated = tap.next().await;
    assert_eq!((event.before, event.after.as_ref()), (Some(eva.clone()), Some(&updated)));
    assert_eq!(event.changed_fields, ["skills", "weekly_hours"]);
    assert_eq!(event.actor, eva.name);

    let stale = people.update_person(update(sent.clone(), &["weekly_hours"])).await.expect_err("stale etag");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));
    let bad = Person {
        name: eva.name.clone(),
        skills: vec![skill(Discipline::Video, SkillLevel::Senior), skill(Discipline::Video, SkillLevel::Junior)],
        weekly_hours: Some(100.0),
        ..Default::default()
    };
    let bad = people.update_person(update(bad, &["skills", "weekly_hours"])).await.expect_err("invalid");
    let mut fields = violated_fields(&bad);
    fields.sort();
    assert_eq!(fields, ["person.skills[1].discipline", "person.weekly_hours"]);
    let now = people.get_person(GetPersonRequest { name: eva.name.clone() }).await.expect("get").into_inner();
    assert_eq!(now.person, Some(updated), "refused updates changed nothing");
}

#[tokio::test]
async fn allocations_and_time_off_make_the_load_and_over_allocation() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let mut people = server.people();
    let eva = skilled(&server, "Eva", vec![], None).await;
    let idle = skilled(&server, "Ida", vec![], None).await;
    let (launch, teaser) = (a_project(&server).await, a_project(&server).await);
    let monday = next_monday();
    let mut tap = env.tap("baton.people.#").await;

    let first = people
        .create_allocation(as_actor(operator(), allocation(&eva.name, &launch, 30.0, day(monday, 0), day(monday, 6))))
        .await
        .expect("allocate")
        .into_inner();
    assert!(!first.person.expect("person").over_allocated);
    let event: AllocationChanged = tap.next().await;
    assert_eq!((event.before, event.after.as_ref(), event.over_allocated), (None, first.allocation.as_ref(), false));

    // 30 + 20 hours in a 40-hour week.
    let second = people
        .create_allocation(as_actor(operator(), allocation(&eva.name, &teaser, 20.0, day(monday, 0), day(monday, 13))))
        .await
        .expect("allocate")
        .into_inner();
    assert!(second.person.as_ref().expect("person").over_allocated);
    let flipped: PersonUpdated = tap.next().await;
    assert_eq!(flipped.changed_fields, ["over_allocated"]);
    assert_eq!(
        (flipped.before.expect("before").over_allocated, flipped.after.expect("after").over_allocated),
        (false, true)
    );
    let over = |filter: &str| ListPeopleRequest { filter: filter.into(), ..Default::default() };
    let listed = people.list_people(over("over_allocated = true")).await.expect("list").into_inner().people;
    assert_eq!(listed.into_iter().map(|p| p.name).collect::<Vec<_>>(), [eva.name.as_str()]);
    let listed = people.list_people(over("over_allocated = false")).await.expect("list").into_inner().people;
    assert_eq!(listed.into_iter().map(|p| p.name).collect::<Vec<_>>(), [idle.name.as_str()]);

    let report = |subject: &str| GetUtilisationRequest {
        subject: subject.into(),
        start_date: day(monday, 0),
        end_date: day(monday, 13),
    };
    let load = people.get_utilisation(report(&eva.name)).await.expect("report").into_inner();
    let eva_load = &load.people[0];
    assert_eq!((eva_load.available_hours, eva_load.allocated_hours, eva_load.over_allocated), (80.0, 70.0, true));
    let weeks: Vec<(f64, f64)> = eva_load.weeks.iter().map(|w| (w.available_hours, w.allocated_hours)).collect();
    assert_eq!(weeks, [(40.0, 50.0), (40.0, 20.0)]);
    assert_eq!(eva_load.weeks[0].week_start, day(monday, 0));

    // Fewer hours on the teaser: back under.
    let teaser_allocation = second.allocation.expect("allocation");
    let fewer = UpdateAllocationRequest {
        allocation: Some(Allocation {
            name: teaser_allocation.name.clone(),
            hours_per_week: 10.0,
            etag: teaser_allocation.etag.clone(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask { paths: vec!["hours_per_week".into()] }),
        request_id: String::new(),
    };
    let updated = people.update_allocation(fewer.clone()).await.expect("update").into_inner();
    assert!(!updated.person.expect("person").over_allocated);
    assert_eq!(updated.allocation.as_ref().map(|a| a.hours_per_week), Some(10.0));
    let stale = people.update_allocation(fewer).await.expect_err("stale etag");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));

    // Thursday and Friday off: 24 hours for 40 allocated.
    let off = CreateTimeOffRequest {
        parent: eva.name.clone(),
        time_off: Some(TimeOff {
            start_date: day(monday, 3),
            end_date: day(monday, 4),
            note: "Dentist".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let time_off = people.create_time_off(off).await.expect("time off").into_inner().time_off.expect("time off");
    let got = people.get_person(GetPersonRequest { name: eva.name.clone() }).await.expect("get").into_inner();
    assert!(got.person.expect("person").over_allocated, "time off takes hours away, not allocations");
    let load = people.get_utilisation(report(&eva.name)).await.expect("report").into_inner();
    assert_eq!((load.people[0].weeks[0].available_hours, load.people[0].time_off_days), (24.0, 2));
    let listed = people.list_time_off(ListTimeOffRequest { parent: eva.name.clone(), ..Default::default() }).await;
    assert_eq!(listed.expect("list").into_inner().time_off, std::slice::from_ref(&time_off));
    people
        .delete_time_off(DeleteTimeOffRequest { name: time_off.name, request_id: String::new() })
        .await
        .expect("delete");
    let got = people.get_person(GetPersonRequest { name: eva.name.clone() }).await.expect("get").into_inner();
    assert!(!got.person.expect("person").over_allocated);

    // A team's load: Eva 50 of 80 hours (30 + 10 + 10), Ida none of 80.
    let team = people
        .create_team(CreateTeamRequest {
            team: Some(Team {
                display_name: "Launch".into(),
                kind: TeamKind::AdHoc as i32,
                members: vec![
                    TeamMember { person: eva.name.clone(), role: TeamRole::Lead as i32 },
                    TeamMember { person: idle.name.clone(), role: TeamRole::Member as i32 },
                ],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("team")
        .into_inner()
        .team
        .expect("team");
    let load = people.get_utilisation(report(&team.name)).await.expect("report").into_inner();
    let who: Vec<&str> = load.people.iter().map(|p| p.display_name.as_str()).collect();
    assert_eq!(who, ["Eva", "Ida"]);
    assert_eq!((load.available_hours, load.allocated_hours, load.utilisation), (160.0, 50.0, 0.3125));

    let mine = ListAllocationsRequest {
        parent: "people/-".into(),
        filter: format!("project = \"{launch}\""),
        ..Default::default()
    };
    let mine = people.list_allocations(mine).await.expect("list").into_inner().allocations;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].project, launch);

    // A project that does not exist, or is closed, takes no allocation.
    let nowhere = format!("projects/{}", uuid::Uuid::now_v7());
    let refused = people.create_allocation(allocation(&eva.name, &nowhere, 5.0, day(monday, 0), day(monday, 4))).await;
    let refused = refused.expect_err("unknown project");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::NotFound, "PROJECT_NOT_FOUND"));
    let cancel = baton_proto::projects::v1::CancelProjectRequest { name: teaser.clone(), ..Default::default() };
    server.projects().cancel_project(cancel).await.expect("cancel");
    let refused = people.create_allocation(allocation(&eva.name, &teaser, 5.0, day(monday, 0), day(monday, 4))).await;
    let refused = refused.expect_err("cancelled project");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "PROJECT_CLOSED"));

    // Bad ranges, and a person who left.
    let backwards = people.create_allocation(allocation(&eva.name, &launch, 5.0, day(monday, 7), day(monday, 6))).await;
    let backwards = backwards.expect_err("end before start");
    assert_eq!(violated_fields(&backwards), ["allocation.end_date"]);
    people
        .deactivate_person(DeactivatePersonRequest { name: eva.name.clone(), request_id: String::new() })
        .await
        .expect("deactivate");
    let refused = people.create_allocation(allocation(&eva.name, &launch, 5.0, day(monday, 0), day(monday, 4))).await;
    let refused = refused.expect_err("deactivated");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "PERSON_DEACTIVATED"));
    let deleted = people
        .delete_allocation(DeleteAllocationRequest {
            name: first.allocation.expect("allocation").name,
            request_id: String::new(),
        })
        .await
        .expect("history can still be tidied");
    assert!(deleted.into_inner().allocation.is_some());
}

/// Allocations made at once for one person are each counted: the last one sees the others.
#[tokio::test]
async fn concurrent_allocations_are_all_counted() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let zoe = skilled(&server, "Zoe", vec![], None).await;
    let monday = next_monday();
    let project = a_project(&server).await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut people = server.people();
        let request = allocation(&zoe.name, &project, 6.0, day(monday, 0), day(monday, 4));
        calls.spawn(async move { people.create_allocation(request).await.map(|r| r.into_inner()) });
    }
    while let Some(done) = calls.join_next().await {
        done.expect("joined").expect("every allocation is accepted");
    }
    let mut people = server.people();
    let got = people.get_person(GetPersonRequest { name: zoe.name.clone() }).await.expect("get").into_inner();
    assert!(got.person.expect("person").over_allocated, "48 hours of 40");
    let all = ListAllocationsRequest { parent: zoe.name.clone(), ..Default::default() };
    assert_eq!(people.list_allocations(all).await.expect("list").into_inner().allocations.len(), 8);
}

/// A people service that cannot reach the projects service refuses allocations, and says why.
#[tokio::test]
async fn allocations_need_the_projects_service() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People]).await;
    let eva = skilled(&server, "Eva", vec![], None).await;
    let monday = next_monday();
    let project = format!("projects/{}", uuid::Uuid::now_v7());
    let refused = server
        .people()
        .create_allocation(allocation(&eva.name, &project, 5.0, day(monday, 0), day(monday, 4)))
        .await
        .expect_err("no projects service");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::Unavailable, "PROJECTS_UNREACHABLE"));
    assert!(refused.message().contains("endpoints.projects"), "{}", refused.message());
}
