//! Comments on components and versions: threads, mentions resolved (and refused when unknown),
//! time codes and regions checked against the version, edits kept, author-only editing, and
//! clients seeing only what is shown to them.

use baton_auth::GlobalRole;
use baton_proto::assets::v1::*;
use baton_proto::people::v1::{CreateTeamRequest, PersonRole, Team, TeamKind};
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::{Target, TestEnv, as_person, reason, violated_fields};
use baton_tests::{add_member, asset, person, project};
use prost_types::FieldMask;
use tonic::Code;

fn comment(parent: &str, body: &str) -> CreateCommentRequest {
    CreateCommentRequest {
        parent: parent.into(),
        comment: Some(Comment { body: body.into(), ..Default::default() }),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn comments_mention_point_into_versions_and_keep_their_edits() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let vera = person(&server, "Vera", PersonRole::VideoEngineer).await;
    let client = person(&server, "Chloé", PersonRole::ClientContact).await;
    let project = project(&server, &producer, "Relaunch").await;
    add_member(&server, &producer, &project, &vera, ProjectMemberRole::Contributor).await;
    add_member(&server, &producer, &project, &client, ProjectMemberRole::Client).await;
    let team = server
        .people()
        .create_team(CreateTeamRequest {
            team: Some(Team { display_name: "Video".into(), kind: TeamKind::AdHoc as i32, ..Default::default() }),
            request_id: String::new(),
        })
        .await
        .expect("team")
        .into_inner()
        .team
        .expect("team")
        .name;
    let trailer = asset(&server, &producer, &project, "Trailer", &[&vera]).await;
    let mut assets = server.assets();
    assets.start_asset(StartAssetRequest { name: trailer.name.clone(), ..Default::default() }).await.expect("start");
    let file = VersionFile {
        uri: "s3://studio/trailer-v1.mp4".into(),
        sha256: "c".repeat(64),
        size_bytes: 1_000_000,
        mime_type: "video/mp4".into(),
        media: Some(MediaInfo {
            width: Some(1920),
            height: Some(1080),
            duration_seconds: Some(42.0),
            ..Default::default()
        }),
    };
    let submitted = assets
        .submit_version(SubmitVersionRequest {
            parent: trailer.name.clone(),
            version: Some(Version { files: vec![file], client_visible: true, ..Default::default() }),
            stages: vec![],
            request_id: String::new(),
        })
        .await
        .expect("version")
        .into_inner();
    let version = submitted.version.expect("version").name;
    let mut tap = env.tap("baton.assets.#").await;

    // The client comments at 00:12–00:14: shown to clients whatever they sent, mentions resolved.
    let mut at_twelve = comment(&trailer.name, &format!("@{vera} the logo is too small here; @{team} please check"));
    let body = at_twelve.comment.as_mut().expect("comment");
    body.version = version.clone();
    body.anchor = Some(Anchor { start_seconds: Some(12.0), end_seconds: Some(14.0), region: None });
    let written = assets
        .create_comment(as_person(&client, &[GlobalRole::ClientContact], at_twelve))
        .await
        .expect("client comments")
        .into_inner()
        .comment
        .expect("comment");
    assert!(written.client_visible, "a client's comment is shown to clients");
    assert_eq!(
        (written.mentioned_people.clone(), written.mentioned_teams.clone()),
        (vec![vera.clone()], vec![team.clone()])
    );
    assert_eq!(written.author, client);
    let event: CommentCreated = tap.next().await;
    assert_eq!(event.comment.as_ref(), Some(&written));

    // Vera answers in the thread, for the team only.
    let mut reply = comment(&trailer.name, "On it: bigger logo in v2.");
    reply.comment.as_mut().expect("comment").reply_to = written.name.clone();
    let reply = assets
        .create_comment(as_person(&vera, &[GlobalRole::Member], reply))
        .await
        .expect("reply")
        .into_inner()
        .comment
        .expect("comment");
    assert!(!reply.client_visible);

    // Past the end of the version, outside the image, mentions of nobody: refused.
    let mut late = comment(&trailer.name, "Here");
    late.comment.as_mut().expect("comment").version = version.clone();
    late.comment.as_mut().expect("comment").anchor = Some(Anchor { start_seconds: Some(50.0), ..Default::default() });
    let late = assets.create_comment(late).await.expect_err("past the end");
    assert!(
        late.message().contains("comment.anchor.start_seconds") && late.message().contains("42"),
        "{}",
        late.message()
    );
    let mut outside = comment(&trailer.name, "There");
    outside.comment.as_mut().expect("comment").version = version.clone();
    outside.comment.as_mut().expect("comment").anchor =
        Some(Anchor { region: Some(Region { x: 1900, y: 10, width: 100, height: 10 }), ..Default::default() });
    let outside = assets.create_comment(outside).await.expect_err("outside the image");
    assert!(outside.message().contains("comment.anchor.region"), "{}", outside.message());
    let nobody = format!("people/{}", uuid::Uuid::now_v7());
    let unknown = assets.create_comment(comment(&trailer.name, &format!("@{nobody} ?"))).await.expect_err("unknown");
    assert_eq!((unknown.code(), reason(&unknown).as_str()), (Code::NotFound, "MENTION_NOT_FOUND"));
    assert!(unknown.message().contains(&nobody), "{}", unknown.message());
    let no_version = {
        let mut request = comment(&trailer.name, "Where?");
        request.comment.as_mut().expect("comment").anchor =
            Some(Anchor { start_seconds: Some(1.0), ..Default::default() });
        assets.create_comment(request).await.expect_err("an anchor needs a version")
    };
    assert_eq!(violated_fields(&no_version), ["comment.anchor"]);

    // Only the author edits; the old text is kept; a stale etag is refused.
    let edit = |body: &str, etag: &str| UpdateCommentRequest {
        comment: Some(Comment { name: reply.name.clone(), body: body.into(), etag: etag.into(), ..Default::default() }),
        update_mask: Some(FieldMask { paths: vec!["body".into()] }),
        request_id: String::new(),
    };
    let not_theirs = assets.update_comment(as_person(&producer, &[GlobalRole::Producer], edit("Mine now", ""))).await;
    let not_theirs = not_theirs.expect_err("not the author");
    assert_eq!((not_theirs.code(), reason(&not_theirs).as_str()), (Code::PermissionDenied, "NOT_AUTHOR"));
    let edited = assets
        .update_comment(as_person(
            &vera,
            &[GlobalRole::Member],
            edit("On it: bigger logo and a slower fade in v2.", &reply.etag),
        ))
        .await
        .expect("edit")
        .into_inner()
        .comment
        .expect("comment");
    assert_eq!(edited.edits.iter().map(|e| e.body.as_str()).collect::<Vec<_>>(), ["On it: bigger logo in v2."]);
    let stale = assets.update_comment(as_person(&vera, &[GlobalRole::Member], edit("Again", &reply.etag))).await;
    assert_eq!(reason(&stale.expect_err("stale")), "ETAG_MISMATCH");

    // The team sees both; the client only their own (shown to clients).
    let list = || ListCommentsRequest { parent: trailer.name.clone(), ..Default::default() };
    let all = assets.list_comments(list()).await.expect("list").into_inner().comments;
    assert_eq!(all.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), [written.name.as_str(), reply.name.as_str()]);
    let seen = assets.list_comments(as_person(&client, &[GlobalRole::ClientContact], list())).await.expect("client");
    assert_eq!(seen.into_inner().comments.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), [written.name.as_str()]);
    let hidden = assets
        .get_comment(as_person(&client, &[GlobalRole::ClientContact], GetCommentRequest { name: reply.name.clone() }))
        .await
        .expect_err("not shown to clients");
    assert_eq!(hidden.code(), Code::NotFound);
}
