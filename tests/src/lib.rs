//! Fixtures shared by the API and system tests: creating people, projects and assets through the
//! public gRPC API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use baton_proto::assets::v1 as assets;
use baton_proto::people::v1 as people;
use baton_proto::projects::v1 as projects;
use baton_testkit::{TestServer, as_actor};

/// Creates a person with a unique email and returns their resource name.
pub async fn person(server: &TestServer, display_name: &str, role: people::PersonRole) -> String {
    let email =
        format!("{}.{}@example.com", display_name.to_lowercase().replace(' ', "."), uuid::Uuid::new_v4().simple());
    server
        .people()
        .create_person(people::CreatePersonRequest {
            person: Some(people::Person {
                display_name: display_name.into(),
                email,
                role: role as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create person")
        .into_inner()
        .person
        .expect("person")
        .name
}

/// Creates a project on behalf of `actor` and returns its resource name.
pub async fn project(server: &TestServer, actor: &str, display_name: &str) -> String {
    server
        .projects()
        .create_project(as_actor(
            actor,
            projects::CreateProjectRequest {
                project: Some(projects::Project {
                    display_name: display_name.into(),
                    client: "Northwind Coffee".into(),
                    brief: "Relaunch the website with a streaming product video.".into(),
                    due_date: "2027-03-31".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            },
        ))
        .await
        .expect("create project")
        .into_inner()
        .project
        .expect("project")
        .name
}

/// Adds `person` to `project` on behalf of `actor`.
pub async fn add_member(
    server: &TestServer,
    actor: &str,
    project: &str,
    person: &str,
    role: projects::ProjectMemberRole,
) {
    server
        .projects()
        .add_project_member(as_actor(
            actor,
            projects::AddProjectMemberRequest {
                parent: project.into(),
                member: Some(projects::ProjectMember {
                    person: person.into(),
                    role: role as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            },
        ))
        .await
        .expect("add member");
}

/// Creates an asset in `project` and returns it.
pub async fn asset(
    server: &TestServer,
    actor: &str,
    project: &str,
    display_name: &str,
    assignees: &[&str],
) -> assets::Asset {
    server
        .assets()
        .create_asset(as_actor(
            actor,
            assets::CreateAssetRequest {
                parent: project.into(),
                asset: Some(assets::Asset {
                    display_name: display_name.into(),
                    kind: assets::AssetKind::Animation as i32,
                    assignees: assignees.iter().map(|s| s.to_string()).collect(),
                    weight: 5,
                    ..Default::default()
                }),
                request_id: String::new(),
            },
        ))
        .await
        .expect("create asset")
        .into_inner()
        .asset
        .expect("asset")
}
