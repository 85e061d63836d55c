use tonic::Code;

use baton_proto::people::v1::{
    CreatePersonRequest, DeactivatePersonRequest, GetPersonRequest, ListPeopleRequest, Person, PersonRole, PersonState,
    ReactivatePersonRequest,
};
use baton_testkit::{Role, Target, TestEnv, as_person, reason, violated_fields};

fn new_person(name: &str, email: &str, role: PersonRole) -> Option<Person> {
    Some(Person { display_name: name.into(), email: email.into(), role: role as i32, ..Default::default() })
}

#[tokio::test]
async fn create_get_and_list_people_in_pages() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People]).await;
    let mut people = server.people();

    let mut names = Vec::new();
    for (i, role) in [PersonRole::Producer, PersonRole::Designer, PersonRole::Designer].into_iter().enumerate() {
        let created = people
            .create_person(CreatePersonRequest {
                person: new_person(&format!("Person {i}"), &format!("P{i}@Example.com"), role),
                request_id: String::new(),
            })
            .await
            .expect("create")
            .into_inner()
            .person
            .expect("person");
        assert!(created.name.starts_with("people/"));
        assert_eq!(created.email, format!("p{i}@example.com"), "emails are stored lower-cased");
        assert!(created.create_time.is_some() && !created.etag.is_empty());
        names.push(created.name);
    }

    let got = people.get_person(GetPersonRequest { name: names[1].clone() }).await.expect("get").into_inner();
    assert_eq!(got.person.expect("person").display_name, "Person 1");

    let first =
        people.list_people(ListPeopleRequest { page_size: 2, ..Default::default() }).await.expect("list").into_inner();
    assert_eq!(first.people.iter().map(|p| p.name.clone()).collect::<Vec<_>>(), names[..2]);
    assert!(!first.next_page_token.is_empty());
    let second = people
        .list_people(ListPeopleRequest { page_size: 2, page_token: first.next_page_token, ..Default::default() })
        .await
        .expect("list page 2")
        .into_inner();
    assert_eq!(second.people.iter().map(|p| p.name.clone()).collect::<Vec<_>>(), names[2..]);
    assert!(second.next_page_token.is_empty(), "last page has no token");

    let designers = people
        .list_people(ListPeopleRequest { role: PersonRole::Designer as i32, ..Default::default() })
        .await
        .expect("filter")
        .into_inner();
    assert_eq!(designers.people.len(), 2);
}

#[tokio::test]
async fn bad_input_names_every_field_and_stores_nothing() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People]).await;
    let mut people = server.people();

    let status = people
        .create_person(CreatePersonRequest {
            person: new_person("", "not-an-email", PersonRole::Unspecified),
            request_id: "not-a-uuid".into(),
        })
        .await
        .expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(fields, ["person.display_name", "person.email", "person.role", "request_id"]);
    assert_eq!(reason(&status), "INVALID_ARGUMENT");

    let long = "x".repeat(201);
    let status = people
        .create_person(CreatePersonRequest {
            person: new_person(&long, "a@b.co", PersonRole::Other),
            request_id: String::new(),
        })
        .await
        .expect_err("too long");
    assert!(status.message().contains("at most 200 characters"), "{}", status.message());

    let status =
        people.list_people(ListPeopleRequest { page_size: -1, ..Default::default() }).await.expect_err("negative");
    assert_eq!(violated_fields(&status), ["page_size"]);
    let status = people.get_person(GetPersonRequest { name: "persons/1".into() }).await.expect_err("bad name");
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = people
        .get_person(GetPersonRequest { name: format!("people/{}", uuid::Uuid::now_v7()) })
        .await
        .expect_err("missing");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "PERSON_NOT_FOUND");

    let listed = people.list_people(ListPeopleRequest::default()).await.expect("list").into_inner();
    assert!(listed.people.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn emails_are_unique_and_request_ids_make_creates_idempotent() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People]).await;
    let mut people = server.people();
    let request_id = uuid::Uuid::new_v4().to_string();
    let request =
        CreatePersonRequest { person: new_person("Ana", "ana@example.com", PersonRole::Designer), request_id };

    let first = people.create_person(request.clone()).await.expect("first").into_inner().person.expect("person");
    let again = people.create_person(request.clone()).await.expect("repeat").into_inner().person.expect("person");
    assert_eq!(first, again, "a repeated request_id returns the first response");

    // The id is bound to its caller and its request: another body, or another caller sending the
    // very same request, is refused and learns nothing of the first answer.
    let other_body = CreatePersonRequest {
        person: new_person("Ana", "ana.lopez@example.com", PersonRole::Designer),
        ..request.clone()
    };
    let admin = format!("people/{}", uuid::Uuid::new_v4());
    for (what, repeat) in [
        ("another body", tonic::Request::new(other_body)),
        ("another caller", as_person(&admin, &[Role::Admin], request.clone())),
    ] {
        let status = people.create_person(repeat).await.expect_err(what);
        assert_eq!(
            (status.code(), reason(&status).as_str()),
            (Code::FailedPrecondition, "REQUEST_ID_REUSED"),
            "{what}"
        );
        assert!(!status.message().contains(&first.name), "{what}: the first answer leaked");
    }

    let status = people
        .create_person(CreatePersonRequest { request_id: String::new(), ..request })
        .await
        .expect_err("same email, new request");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "EMAIL_TAKEN");

    let listed = people.list_people(ListPeopleRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.people.len(), 1);

    let mut db = env.db().await;
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM people.idempotency WHERE method = 'CreatePerson' AND response IS NOT NULL",
    )
    .fetch_one(&mut db)
    .await
    .expect("count");
    assert_eq!(recorded, 1, "one idempotency record");
}

/// A person who left is deactivated, not deleted: they keep their name on everything, take no
/// new team place, assignment, contact or obstacle, and can be reactivated.
#[tokio::test]
async fn a_deactivated_person_takes_no_new_work_until_reactivated() {
    use baton_proto::assets::v1 as assets;
    use baton_proto::projects::v1 as projects;
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let leaver = baton_tests::person(&server, "Lee", PersonRole::Designer).await;
    let project = baton_tests::project(&server, baton_testkit::operator(), "Relaunch").await;
    baton_tests::add_member(
        &server,
        baton_testkit::operator(),
        &project,
        &leaver,
        projects::ProjectMemberRole::Contributor,
    )
    .await;
    let mut people = server.people();

    let deactivate = DeactivatePersonRequest { name: leaver.clone(), request_id: uuid::Uuid::new_v4().to_string() };
    let gone =
        people.deactivate_person(deactivate.clone()).await.expect("deactivate").into_inner().person.expect("person");
    assert_eq!((gone.state, gone.display_name.as_str()), (PersonState::Deactivated as i32, "Lee"));
    let again = people.deactivate_person(deactivate).await.expect("replay").into_inner().person.expect("person");
    assert_eq!(again, gone, "a repeat answers the same");
    let twice = people.deactivate_person(DeactivatePersonRequest { name: leaver.clone(), request_id: String::new() });
    assert_eq!(twice.await.expect_err("deactivated already").code(), Code::FailedPrecondition);
    let read = people.get_person(GetPersonRequest { name: leaver.clone() }).await.expect("still there");
    assert_eq!(read.into_inner().person.map(|p| p.state), Some(PersonState::Deactivated as i32));

    // Within half a second, no service gives them new work.
    tokio::time::sleep(baton_platform::known::STANDING_TTL).await;
    let other = baton_tests::project(&server, baton_testkit::operator(), "Other").await;
    let join = projects::AddProjectMemberRequest {
        parent: other.clone(),
        member: Some(projects::ProjectMember {
            person: leaver.clone(),
            role: projects::ProjectMemberRole::Contributor as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let refused = server.projects().add_project_member(join.clone()).await.expect_err("deactivated");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "PERSON_DEACTIVATED"));
    let assign = assets::CreateAssetRequest {
        parent: project.clone(),
        asset: Some(assets::Asset {
            display_name: "Poster".into(),
            kind: assets::AssetKind::Graphic as i32,
            assignees: vec![leaver.clone()],
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let refused = server.assets().create_asset(assign.clone()).await.expect_err("deactivated");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "PERSON_DEACTIVATED"));
    assert!(refused.message().contains("asset.assignees[0]"), "{}", refused.message());

    // Their past stays: they are still on the first team.
    let member =
        projects::GetProjectMemberRequest { name: format!("{project}/members/{}", &leaver["people/".len()..]) };
    server.projects().get_project_member(member).await.expect("still a member of the first project");

    people
        .reactivate_person(ReactivatePersonRequest { name: leaver.clone(), request_id: String::new() })
        .await
        .expect("reactivate");
    tokio::time::sleep(baton_platform::known::STANDING_TTL).await;
    server.projects().add_project_member(join).await.expect("active again");
    server.assets().create_asset(assign).await.expect("assignable again");
}
