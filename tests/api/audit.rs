//! The audit trail: every accepted write leaves a record in its service's own schema — who, with
//! which token, what, on which resource, when — that admins list per project and per actor.
//! Refused writes and replays leave none.

use tonic::{Code, Request};

use baton_proto::assets::v1 as assets;
use baton_proto::people::v1 as people;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1 as projects;
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::{Role, Target, TestEnv, operator, reason, token};
use baton_tests::{add_member, person};

/// A request carrying `bearer` (one token, so its `jti` is the same on every call).
fn with<T>(bearer: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", bearer.parse().expect("ascii"));
    request
}

#[tokio::test]
async fn every_accepted_write_is_recorded_with_who_and_which_token() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let designer = person(&server, "Dan", PersonRole::Designer).await;
    let producer_bearer = format!("Bearer {}", token(&producer, &[Role::Producer]));
    let designer_bearer = format!("Bearer {}", token(&designer, &[Role::Member]));

    let client = baton_tests::client(&server, "Northwind Coffee").await;
    let created = projects::CreateProjectRequest {
        project: Some(projects::Project { display_name: "Relaunch".into(), client, ..Default::default() }),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let project = server
        .projects()
        .create_project(with(&producer_bearer, created.clone()))
        .await
        .expect("create")
        .into_inner()
        .project
        .expect("project")
        .name;
    // A replay answers without writing, so without a second record.
    server.projects().create_project(with(&producer_bearer, created)).await.expect("replay");
    add_member(&server, &producer, &project, &designer, ProjectMemberRole::Contributor).await;
    let asset = assets::CreateAssetRequest {
        parent: project.clone(),
        asset: Some(assets::Asset {
            display_name: "Poster".into(),
            kind: assets::AssetKind::Graphic as i32,
            weight: 1,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let asset = server
        .assets()
        .create_asset(with(&producer_bearer, asset))
        .await
        .expect("create asset")
        .into_inner()
        .asset
        .expect("asset")
        .name;
    let start = assets::StartAssetRequest { name: asset.clone(), ..Default::default() };
    server.assets().start_asset(with(&designer_bearer, start.clone())).await.expect("start");
    // A refused write (starting twice) leaves no record.
    let refused = server.assets().start_asset(with(&designer_bearer, start)).await.expect_err("twice");
    assert_eq!(refused.code(), Code::FailedPrecondition);

    // The projects service's trail of the project: the creation and the team change.
    let trail = server
        .projects()
        .list_audit_records(projects::ListAuditRecordsRequest { project: project.clone(), ..Default::default() })
        .await
        .expect("admin reads")
        .into_inner()
        .records;
    let methods: Vec<&str> = trail.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["AddProjectMember", "CreateProject"], "newest first, one per accepted write");
    let creation = &trail[1];
    assert_eq!((creation.actor.as_str(), creation.resource.as_str()), (producer.as_str(), project.as_str()));
    assert_eq!(creation.project, project);
    assert!(!creation.token_id.is_empty(), "the token's jti");
    assert!(creation.create_time.is_some());

    // The assets service's: who made and who moved the asset, with their own tokens.
    let trail = server
        .assets()
        .list_audit_records(assets::ListAuditRecordsRequest { project: project.clone(), ..Default::default() })
        .await
        .expect("admin reads")
        .into_inner()
        .records;
    let seen: Vec<(&str, &str, &str)> =
        trail.iter().map(|r| (r.method.as_str(), r.actor.as_str(), r.resource.as_str())).collect();
    assert_eq!(
        seen,
        [("StartAsset", designer.as_str(), asset.as_str()), ("CreateAsset", producer.as_str(), asset.as_str())]
    );
    let project_trail = server
        .projects()
        .list_audit_records(projects::ListAuditRecordsRequest { actor: producer.clone(), ..Default::default() })
        .await
        .expect("per actor")
        .into_inner()
        .records;
    assert_eq!(trail[1].token_id, project_trail[1].token_id, "one token, one jti across services");
    assert_ne!(trail[0].token_id, trail[1].token_id, "two people, two tokens");

    // Per actor in the people service: the operator created both people.
    let people_trail = server
        .people()
        .list_audit_records(people::ListAuditRecordsRequest { actor: operator().to_string(), ..Default::default() })
        .await
        .expect("per actor")
        .into_inner()
        .records;
    assert_eq!(people_trail.len(), 2);
    assert!(people_trail.iter().all(|r| r.method == "CreatePerson" && r.project.is_empty()));

    // Only admins read the trails; a query names one project or one actor.
    let status = server
        .assets()
        .list_audit_records(with(
            &producer_bearer,
            assets::ListAuditRecordsRequest { project: project.clone(), ..Default::default() },
        ))
        .await
        .expect_err("a producer");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::PermissionDenied, "ROLE_REQUIRED"));
    let status = server
        .assets()
        .list_audit_records(assets::ListAuditRecordsRequest::default())
        .await
        .expect_err("neither project nor actor");
    assert_eq!(status.code(), Code::InvalidArgument);
    server.stop().await;
}
