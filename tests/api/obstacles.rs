//! Obstacles: raised against a project or a component, owned, updated by field mask, resolved
//! and reopened; listed with filters; every change an event with the obstacle before and after.

use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::*;
use baton_testkit::{Role, Target, TestEnv, as_actor, as_person, operator, reason, violated_fields};
use baton_tests::{add_member, asset, person, project};
use prost_types::FieldMask;
use tonic::Code;

fn draft(title: &str, kind: ObstacleKind, severity: ObstacleSeverity) -> Obstacle {
    Obstacle { title: title.into(), kind: kind as i32, severity: severity as i32, ..Default::default() }
}

#[tokio::test]
async fn obstacles_are_raised_owned_resolved_reopened_and_filtered() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let mut projects = server.projects();
    let maker = person(&server, "Mo", PersonRole::Animator).await;
    let contact = person(&server, "Chloé", PersonRole::ClientContact).await;
    let name = project(&server, operator(), "Relaunch").await;
    add_member(&server, operator(), &name, &maker, ProjectMemberRole::Contributor).await;
    add_member(&server, operator(), &name, &contact, ProjectMemberRole::Client).await;
    let video = asset(&server, operator(), &name, "Hero video", &[]).await;
    let mut raised_tap = env.tap("baton.projects.#").await;

    // A contributor raises a blocker against a component, with an owner.
    let mut blocker = draft("Music licence not cleared", ObstacleKind::Blocker, ObstacleSeverity::High);
    blocker.component = video.name.clone();
    blocker.owner = maker.clone();
    let raise = RaiseObstacleRequest { parent: name.clone(), obstacle: Some(blocker), request_id: String::new() };
    let raised = projects.raise_obstacle(as_person(&maker, &[Role::Member], raise)).await.expect("raise");
    let raised = raised.into_inner().obstacle.expect("obstacle");
    assert_eq!((raised.state, raised.raised_by.as_str()), (ObstacleState::Open as i32, maker.as_str()));
    let event: ObstacleRaised = raised_tap.next().await;
    assert_eq!(event.obstacle.as_ref(), Some(&raised));
    let risk = RaiseObstacleRequest {
        parent: name.clone(),
        obstacle: Some(draft("Client may cut the budget", ObstacleKind::Risk, ObstacleSeverity::Low)),
        request_id: String::new(),
    };
    let risk = projects
        .raise_obstacle(as_actor(operator(), risk))
        .await
        .expect("raise")
        .into_inner()
        .obstacle
        .expect("obstacle");
    let _: ObstacleRaised = raised_tap.next().await;

    // The client does not see the agency's obstacles.
    let hidden = GetObstacleRequest { name: raised.name.clone() };
    let hidden = projects.get_obstacle(as_person(&contact, &[Role::ClientContact], hidden)).await.expect_err("client");
    assert_eq!(hidden.code(), Code::PermissionDenied);

    // Updated by field mask: only the severity changes; the event says so.
    let change = Obstacle {
        name: raised.name.clone(),
        severity: ObstacleSeverity::Critical as i32,
        title: "ignored".into(),
        ..Default::default()
    };
    let update = UpdateObstacleRequest {
        obstacle: Some(change),
        update_mask: Some(FieldMask { paths: vec!["severity".into()] }),
        request_id: String::new(),
    };
    let updated = projects.update_obstacle(update).await.expect("update").into_inner().obstacle.expect("obstacle");
    assert_eq!((updated.severity, updated.title.as_str()), (ObstacleSeverity::Critical as i32, raised.title.as_str()));
    let event: ObstacleChanged = raised_tap.next().await;
    assert_eq!(
        (event.before.as_ref(), event.after.as_ref(), event.changed_fields),
        (Some(&raised), Some(&updated), vec!["severity".into()])
    );

    // Filters: open ones of at least high severity; one owner's.
    let list =
        |filter: &str| ListObstaclesRequest { parent: name.clone(), filter: filter.into(), ..Default::default() };
    let serious =
        projects.list_obstacles(list("state = OBSTACLE_STATE_OPEN AND severity >= OBSTACLE_SEVERITY_HIGH")).await;
    let serious: Vec<String> = serious.expect("filter").into_inner().obstacles.into_iter().map(|o| o.name).collect();
    assert_eq!(serious, std::slice::from_ref(&raised.name));
    let mine = projects.list_obstacles(list(&format!("owner = \"{maker}\""))).await.expect("filter").into_inner();
    assert_eq!(mine.obstacles.len(), 1);
    let unowned = projects.list_obstacles(list(&format!("owner != \"{maker}\""))).await.expect("filter").into_inner();
    assert_eq!(unowned.obstacles.iter().map(|o| o.name.clone()).collect::<Vec<_>>(), std::slice::from_ref(&risk.name));
    let bad = projects.list_obstacles(list("colour = red")).await.expect_err("unknown field");
    assert_eq!(violated_fields(&bad), ["filter"]);

    // Resolved with how; resolving again is refused; reopened when it comes back.
    let resolve =
        ResolveObstacleRequest { name: raised.name.clone(), resolution: "Licence bought".into(), ..Default::default() };
    let resolved =
        projects.resolve_obstacle(as_person(&maker, &[Role::Member], resolve.clone())).await.expect("resolve");
    let resolved = resolved.into_inner().obstacle.expect("obstacle");
    assert_eq!((resolved.state, resolved.resolution.as_str()), (ObstacleState::Resolved as i32, "Licence bought"));
    assert!(resolved.resolve_time.is_some());
    let twice = projects.resolve_obstacle(resolve).await.expect_err("resolved already");
    assert_eq!((twice.code(), reason(&twice).as_str()), (Code::FailedPrecondition, "ILLEGAL_STATE_CHANGE"));
    let reopened = projects.reopen_obstacle(ReopenObstacleRequest {
        name: raised.name.clone(),
        etag: resolved.etag.clone(),
        ..Default::default()
    });
    let reopened = reopened.await.expect("reopen").into_inner().obstacle.expect("obstacle");
    assert_eq!((reopened.state, reopened.resolution.as_str()), (ObstacleState::Open as i32, ""));
    let stale = projects.reopen_obstacle(ReopenObstacleRequest {
        name: raised.name.clone(),
        etag: resolved.etag,
        ..Default::default()
    });
    assert_eq!(stale.await.expect_err("stale").code(), Code::Aborted);

    // Bad input: a component of another project, an owner who does not exist.
    let other = project(&server, operator(), "Other").await;
    let elsewhere = asset(&server, operator(), &other, "Logo", &[]).await;
    let mut wrong = draft("Wrong", ObstacleKind::Risk, ObstacleSeverity::Low);
    wrong.component = elsewhere.name;
    let wrong = RaiseObstacleRequest { parent: name.clone(), obstacle: Some(wrong), request_id: String::new() };
    assert_eq!(
        violated_fields(&projects.raise_obstacle(wrong).await.expect_err("other project")),
        ["obstacle.component"]
    );
    let mut ghost = draft("Ghost", ObstacleKind::Risk, ObstacleSeverity::Low);
    ghost.owner = format!("people/{}", uuid::Uuid::new_v4());
    let ghost = RaiseObstacleRequest { parent: name.clone(), obstacle: Some(ghost), request_id: String::new() };
    let ghost = projects.raise_obstacle(ghost).await.expect_err("no such person");
    assert_eq!((ghost.code(), reason(&ghost).as_str()), (Code::NotFound, "PERSON_NOT_FOUND"));
}
