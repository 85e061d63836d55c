use tonic::Code;

use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::*;
use baton_testkit::{Target, TestEnv, as_actor, reason, violated_fields};
use baton_tests::person;

#[tokio::test]
async fn projects_are_created_read_and_listed() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let mut projects = server.projects();
    let client = baton_tests::client(&server, "Northwind Coffee").await;

    let created = projects
        .create_project(CreateProjectRequest {
            project: Some(Project {
                display_name: " Website relaunch ".into(),
                client: client.clone(),
                brief: "A new site.".into(),
                due_date: "2027-03-31".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create")
        .into_inner()
        .project
        .expect("project");
    assert_eq!(created.display_name, "Website relaunch");
    assert_eq!(created.due_date, "2027-03-31");
    assert_eq!(created.state, ProjectState::Conception as i32);

    let got = projects.get_project(GetProjectRequest { name: created.name.clone() }).await.expect("get").into_inner();
    assert_eq!(got.project.expect("project"), created);
    let listed = projects.list_projects(ListProjectsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.projects, vec![created]);

    let status = projects
        .create_project(CreateProjectRequest {
            project: Some(Project { due_date: "31/03/2027".into(), ..Default::default() }),
            request_id: String::new(),
        })
        .await
        .expect_err("invalid");
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(fields, ["project.client", "project.display_name", "project.due_date"]);
}

#[tokio::test]
async fn team_membership_add_list_remove() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let producer = person(&server, "Paula Producer", PersonRole::Producer).await;
    let designer = person(&server, "Dan Designer", PersonRole::Designer).await;
    let project = baton_tests::project(&server, &producer, "Relaunch").await;
    let mut projects = server.projects();

    let add = |person: &str, role: ProjectMemberRole, request_id: &str| AddProjectMemberRequest {
        parent: project.clone(),
        member: Some(ProjectMember { person: person.into(), role: role as i32, ..Default::default() }),
        request_id: request_id.into(),
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let member = projects
        .add_project_member(as_actor(&producer, add(&designer, ProjectMemberRole::Contributor, &request_id)))
        .await
        .expect("add")
        .into_inner()
        .member
        .expect("member");
    assert_eq!(member.person, designer);
    assert_eq!(member.name, format!("{project}/members/{}", designer.trim_start_matches("people/")));
    let replay = projects
        .add_project_member(as_actor(&producer, add(&designer, ProjectMemberRole::Contributor, &request_id)))
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(replay.member.expect("member"), member, "a repeated request_id returns the first response");
    // Only to its caller: the same request from someone else is refused.
    let status = projects
        .add_project_member(add(&designer, ProjectMemberRole::Contributor, &request_id))
        .await
        .expect_err("another caller");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::FailedPrecondition, "REQUEST_ID_REUSED"));

    let status = projects.add_project_member(add(&designer, ProjectMemberRole::Lead, "")).await.expect_err("twice");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "ALREADY_MEMBER");

    let stranger = format!("people/{}", uuid::Uuid::now_v7());
    let status =
        projects.add_project_member(add(&stranger, ProjectMemberRole::Lead, "")).await.expect_err("unknown person");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "PERSON_NOT_FOUND");

    projects.add_project_member(add(&producer, ProjectMemberRole::Producer, "")).await.expect("add producer");
    let page = projects
        .list_project_members(ListProjectMembersRequest { parent: project.clone(), page_size: 1, ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(page.members.len(), 1);
    assert_eq!(page.members[0].person, designer, "members list in the order they joined");
    let rest = projects
        .list_project_members(ListProjectMembersRequest {
            parent: project.clone(),
            page_size: 1,
            page_token: page.next_page_token,
        })
        .await
        .expect("list 2")
        .into_inner();
    assert_eq!(rest.members[0].person, producer);

    let removed = projects
        .remove_project_member(RemoveProjectMemberRequest { name: member.name.clone(), request_id: String::new() })
        .await
        .expect("remove")
        .into_inner();
    assert_eq!(removed.member.expect("member").person, designer);
    let status = projects
        .remove_project_member(RemoveProjectMemberRequest { name: member.name.clone(), request_id: String::new() })
        .await
        .expect_err("gone");
    assert_eq!(status.code(), Code::NotFound);

    let all = projects
        .list_project_members(ListProjectMembersRequest { parent: project.clone(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(all.members.iter().map(|m| m.person.clone()).collect::<Vec<_>>(), vec![producer.clone()]);

    // Every accepted change is in the outbox or already published, with growing revisions.
    let mut db = env.db().await;
    let revision: i64 =
        sqlx::query_scalar("SELECT revision FROM projects.project").fetch_one(&mut db).await.expect("rev");
    assert_eq!(revision, 4, "created, +designer, +producer, -designer");
}

#[tokio::test]
async fn unknown_project_is_not_found() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let someone = person(&server, "Sam", PersonRole::Engineer).await;
    let missing = format!("projects/{}", uuid::Uuid::now_v7());
    let status = server
        .projects()
        .add_project_member(AddProjectMemberRequest {
            parent: missing.clone(),
            member: Some(ProjectMember { person: someone, role: ProjectMemberRole::Lead as i32, ..Default::default() }),
            request_id: String::new(),
        })
        .await
        .expect_err("missing project");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "PROJECT_NOT_FOUND");
    let status = server
        .projects()
        .list_project_members(ListProjectMembersRequest { parent: missing, ..Default::default() })
        .await
        .expect_err("missing project");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn a_team_filled_by_many_calls_at_once_gets_everyone_in_order() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let project = baton_tests::project(&server, &producer, "Relaunch").await;
    let mut people = Vec::new();
    for i in 0..16 {
        people.push(person(&server, &format!("Member {i}"), PersonRole::Designer).await);
    }
    // Team changes of one project wait for each other: none is refused for being concurrent.
    let calls: Vec<_> = people
        .iter()
        .map(|person| {
            let (server, producer, project, person) =
                (server.projects(), producer.clone(), project.clone(), person.clone());
            tokio::spawn(async move {
                let mut projects = server;
                let member =
                    ProjectMember { person, role: ProjectMemberRole::Contributor as i32, ..Default::default() };
                let add = AddProjectMemberRequest { parent: project, member: Some(member), request_id: String::new() };
                projects.add_project_member(as_actor(&producer, add)).await
            })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("every member added");
    }
    let mut db = env.db().await;
    let revisions: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM projects.outbox WHERE event_type = 'baton.projects.v1.ProjectMemberAdded' ORDER BY seq",
    )
    .fetch_all(&mut db)
    .await
    .expect("outbox");
    let revisions: Vec<i64> = revisions
        .iter()
        .map(|payload| {
            <ProjectMemberAdded as prost::Message>::decode(payload.as_slice()).expect("event").project_revision
        })
        .collect();
    assert_eq!(revisions, (2..18).collect::<Vec<i64>>(), "one event per member, in revision order");
    let project = server.projects().get_project(GetProjectRequest { name: project }).await.expect("get").into_inner();
    assert_eq!(project.project.expect("project").etag, "17");
}

/// A database from before clients were resources: each project's client name becomes a client
/// (one per name, ignoring case), every project points at its client, and nothing is lost.
#[tokio::test]
async fn projects_of_an_older_schema_get_real_clients() {
    use sqlx::Connection;
    let env = TestEnv::new().await;
    let mut db = env.db().await;
    sqlx::raw_sql("CREATE SCHEMA projects").execute(&mut db).await.expect("schema");
    let migrator = baton_projects::migrator();
    migrator.run_to(20261202000003, &mut db).await.expect("the migrations before clients");
    let old = [("Relaunch", "Northwind Coffee"), ("Menu boards", "northwind coffee"), ("Launch", "Contoso")];
    let mut ids = Vec::new();
    for (title, client) in old {
        let id = uuid::Uuid::now_v7();
        sqlx::query("INSERT INTO projects.project (id, display_name, client, state) VALUES ($1, $2, $3, 'PROJECT_STATE_ACTIVE')")
            .bind(id)
            .bind(title)
            .bind(client)
            .execute(&mut db)
            .await
            .expect("an old project");
        ids.push(id);
    }
    migrator.run(&mut db).await.expect("the rest");
    db.close().await.ok();

    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let mut projects = server.projects();
    let clients = projects.list_clients(ListClientsRequest::default()).await.expect("list").into_inner().clients;
    let mut names: Vec<&str> = clients.iter().map(|c| c.display_name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Contoso", "Northwind Coffee"]);
    let client_of = |id: &uuid::Uuid| {
        let mut projects = server.projects();
        let name = format!("projects/{id}");
        async move {
            let project = projects.get_project(GetProjectRequest { name }).await.expect("get").into_inner();
            let client = project.project.expect("project").client;
            let got = projects.get_client(GetClientRequest { name: client }).await.expect("its client");
            got.into_inner().client.expect("client").display_name
        }
    };
    assert_eq!(client_of(&ids[0]).await, "Northwind Coffee");
    assert_eq!(client_of(&ids[1]).await, "Northwind Coffee");
    assert_eq!(client_of(&ids[2]).await, "Contoso");
    // They were ACTIVE: they are in production now.
    let listed = projects.list_projects(ListProjectsRequest::default()).await.expect("list").into_inner().projects;
    assert!(listed.iter().all(|p| p.state == ProjectState::Production as i32), "{listed:?}");
}
