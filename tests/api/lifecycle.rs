//! A project's lifecycle: stages one at a time, holds that resume where they were, cancelling
//! and archiving, each move an event; closed projects take no one and no component.

use baton_proto::assets::v1::{Asset, AssetKind, CreateAssetRequest};
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::*;
use baton_testkit::{Role, Target, TestEnv, as_actor, as_person, operator, reason, violated_fields};
use baton_tests::{add_member, person, project};
use tonic::Code;

fn advance(name: &str, stage: ProjectState) -> AdvanceProjectRequest {
    AdvanceProjectRequest { name: name.into(), stage: stage as i32, ..Default::default() }
}

#[tokio::test]
async fn a_project_moves_through_its_stages_and_each_move_is_an_event() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let mut projects = server.projects();
    let name = project(&server, operator(), "Relaunch").await;
    let mut tap = env.tap(<ProjectStateChanged as baton_proto::Event>::TYPE).await;

    // Stages one at a time; skipping one is refused with the current state named.
    let skip = projects.advance_project(advance(&name, ProjectState::Production)).await.expect_err("a skip");
    assert_eq!((skip.code(), reason(&skip).as_str()), (Code::FailedPrecondition, "ILLEGAL_STATE_CHANGE"));
    assert!(skip.message().contains("is PROJECT_STATE_CONCEPTION"), "{}", skip.message());
    let mut revision = 1;
    for stage in [ProjectState::PreProduction, ProjectState::Production] {
        let request = advance(&name, stage);
        let moved = projects.advance_project(as_actor(operator(), request)).await.expect("advance");
        let moved = moved.into_inner().project.expect("project");
        assert_eq!(moved.state, stage as i32);
        revision += 1;
        let event: ProjectStateChanged = tap.next().await;
        assert_eq!((event.state, event.project_revision, event.actor.as_str()), (stage as i32, revision, operator()));
        assert_eq!(event.project.map(|p| p.state), Some(stage as i32));
    }

    // A hold remembers the stage, says why, and resumes there.
    let hold = HoldProjectRequest { name: name.clone(), reason: "Client budget review".into(), ..Default::default() };
    let held = projects.hold_project(hold).await.expect("hold").into_inner().project.expect("project");
    assert_eq!((held.state, held.held_state), (ProjectState::OnHold as i32, ProjectState::Production as i32));
    let event: ProjectStateChanged = tap.next().await;
    assert_eq!(
        (event.previous_state, event.state, event.reason.as_str()),
        (ProjectState::Production as i32, ProjectState::OnHold as i32, "Client budget review")
    );
    let stuck = projects.advance_project(advance(&name, ProjectState::FineTuning)).await.expect_err("held");
    assert!(stuck.message().contains("is PROJECT_STATE_ON_HOLD"), "{}", stuck.message());
    let resume =
        ResumeProjectRequest { name: name.clone(), request_id: uuid::Uuid::new_v4().to_string(), ..Default::default() };
    let resumed = projects.resume_project(resume.clone()).await.expect("resume").into_inner().project.expect("project");
    assert_eq!((resumed.state, resumed.held_state), (ProjectState::Production as i32, 0));
    // The same request again answers the same, and moves nothing.
    let again = projects.resume_project(resume).await.expect("replay").into_inner().project.expect("project");
    assert_eq!(again, resumed);

    // A stale etag is ABORTED; the current one passes.
    let stale = AdvanceProjectRequest { etag: held.etag.clone(), ..advance(&name, ProjectState::FineTuning) };
    let stale = projects.advance_project(stale).await.expect_err("stale etag");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));
    for stage in [ProjectState::FineTuning, ProjectState::Delivered] {
        let current = projects.get_project(GetProjectRequest { name: name.clone() }).await.expect("get").into_inner();
        let request = AdvanceProjectRequest { etag: current.project.expect("project").etag, ..advance(&name, stage) };
        projects.advance_project(request).await.expect("advance with the current etag");
    }
    let cancel = projects.cancel_project(CancelProjectRequest { name: name.clone(), ..Default::default() }).await;
    assert!(cancel.expect_err("delivered").message().contains("is PROJECT_STATE_DELIVERED"));
    let archived = projects.archive_project(ArchiveProjectRequest { name: name.clone(), ..Default::default() }).await;
    assert_eq!(archived.expect("archive").into_inner().project.map(|p| p.state), Some(ProjectState::Archived as i32));

    // Bad input names the field.
    let bad = projects.advance_project(advance("projects/nope", ProjectState::Conception)).await.expect_err("bad");
    let mut fields = violated_fields(&bad);
    fields.sort();
    assert_eq!(fields, ["name", "stage"]);
}

#[tokio::test]
async fn closed_projects_take_no_one_and_no_component_and_only_producers_move_them() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let mut projects = server.projects();
    let lead = person(&server, "Lea", PersonRole::Designer).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let newcomer = person(&server, "Nico", PersonRole::Designer).await;
    let name = project(&server, operator(), "Pitch").await;
    add_member(&server, operator(), &name, &lead, ProjectMemberRole::Lead).await;
    add_member(&server, operator(), &name, &producer, ProjectMemberRole::Producer).await;

    // A lead may not move the project; its producer may.
    let hold = || HoldProjectRequest { name: name.clone(), ..Default::default() };
    let denied = projects.hold_project(as_person(&lead, &[Role::Member], hold())).await.expect_err("a lead");
    assert_eq!(denied.code(), Code::PermissionDenied);
    projects.hold_project(as_person(&producer, &[Role::Member], hold())).await.expect("the team's producer");

    let component = || CreateAssetRequest {
        parent: name.clone(),
        asset: Some(Asset {
            display_name: "Teaser".into(),
            kind: AssetKind::Video as i32,
            weight: 1,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    // On hold, work can still be planned.
    server.assets().create_asset(component()).await.expect("a component while on hold");
    let cancel = CancelProjectRequest { name: name.clone(), reason: "Lost the pitch".into(), ..Default::default() };
    projects.cancel_project(cancel).await.expect("cancel");

    let join = AddProjectMemberRequest {
        parent: name.clone(),
        member: Some(ProjectMember {
            person: newcomer.clone(),
            role: ProjectMemberRole::Contributor as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let refused = projects.add_project_member(join).await.expect_err("cancelled");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "PROJECT_CLOSED"));
    // The assets service learns of it within half a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let refused = loop {
        match server.assets().create_asset(component()).await {
            Err(status) => break status,
            Ok(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Ok(_) => panic!("components are still created in a cancelled project"),
        }
    };
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "PROJECT_CLOSED"));
    assert!(refused.message().contains("PROJECT_STATE_CANCELLED"), "{}", refused.message());
}
