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

/// The client named `display_name`, created unless it exists; its resource name.
pub async fn client(server: &TestServer, display_name: &str) -> String {
    let request = projects::CreateClientRequest {
        client: Some(projects::Client {
            display_name: display_name.into(),
            industry: "Food and drink".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    match server.projects().create_client(request).await {
        Ok(created) => created.into_inner().client.expect("client").name,
        // Another call of this test made it first.
        Err(status) if status.code() == tonic::Code::AlreadyExists => {
            let filter = format!("display_name = \"{display_name}\"");
            let request = projects::ListClientsRequest { filter, ..Default::default() };
            let listed = server.projects().list_clients(request).await.expect("list clients").into_inner();
            listed.clients.into_iter().next().expect("the client that exists").name
        }
        Err(status) => panic!("create client: {status:?}"),
    }
}

/// Creates a project for the client Northwind Coffee on behalf of `actor` and returns its
/// resource name.
pub async fn project(server: &TestServer, actor: &str, display_name: &str) -> String {
    let client = client(server, "Northwind Coffee").await;
    server
        .projects()
        .create_project(as_actor(
            actor,
            projects::CreateProjectRequest {
                project: Some(projects::Project {
                    display_name: display_name.into(),
                    client,
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

/// Creates an animation in `project` and returns it.
pub async fn asset(
    server: &TestServer,
    actor: &str,
    project: &str,
    display_name: &str,
    assignees: &[&str],
) -> assets::Asset {
    asset_of_kind(server, actor, project, display_name, assets::AssetKind::Animation, assignees).await
}

/// Creates an asset of `kind` in `project` and returns it.
pub async fn asset_of_kind(
    server: &TestServer,
    actor: &str,
    project: &str,
    display_name: &str,
    kind: assets::AssetKind,
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
                    kind: kind as i32,
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

/// Cut `number` of a Full HD film at 25 fps, 42 s long, at `loudness` LUFS (a distinct hash per
/// cut).
pub fn video_file(number: u32, loudness: f64) -> assets::VersionFile {
    assets::VersionFile {
        uri: format!("s3://studio/relaunch/film-v{number}.mp4"),
        sha256: format!("{number:x}").repeat(64).chars().take(64).collect(),
        size_bytes: 52_428_800,
        mime_type: "video/mp4".into(),
        media: Some(assets::MediaInfo {
            width: Some(1920),
            height: Some(1080),
            duration_seconds: Some(42.0),
            frame_rate: Some(25.0),
            bitrate_kbps: Some(8_000),
            loudness_lufs: Some(loudness),
        }),
    }
}

/// Sends `body` as the message of a unary call to `path` (`/package.Service/Method`), whatever
/// it is: for requests no generated client would send (undecodable, or to a method that does
/// not exist). Answers the response message's bytes.
pub async fn raw_call(
    channel: tonic::transport::Channel,
    path: &'static str,
    bearer: &str,
    body: Vec<u8>,
) -> Result<Vec<u8>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let mut request = tonic::Request::new(body);
    request.metadata_mut().insert("authorization", bearer.parse().expect("ascii"));
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
    grpc.unary(request, path, RawCodec).await.map(tonic::Response::into_inner)
}

/// A codec that sends and receives message bytes as they are.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), tonic::Status> {
        prost::bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut tonic::codec::DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let remaining = prost::bytes::Buf::remaining(src);
        Ok(Some(prost::bytes::Buf::copy_to_bytes(src, remaining).to_vec()))
    }
}

/// Waits until the projects service's health watcher has recorded `project`'s health state
/// (`HEALTH_STATE_ON_TRACK`, …): the state a ProjectHealthChanged will be told against.
pub async fn recorded_health(env: &baton_testkit::TestEnv, project: &str, state: &str) {
    let id = uuid::Uuid::parse_str(project.trim_start_matches("projects/")).expect("a project name");
    baton_testkit::eventually("the health state recorded", std::time::Duration::from_secs(20), || async {
        use sqlx::Connection;
        let mut db = env.db().await;
        let recorded: Option<String> =
            sqlx::query_scalar("SELECT state FROM projects.project_health WHERE project_id = $1")
                .bind(id)
                .fetch_optional(&mut db)
                .await
                .expect("read the recorded state");
        db.close().await.ok();
        recorded.filter(|s| s == state)
    })
    .await;
}

/// A small production: Paula (producer), Mo (an animator, the assignee) and Lena (an animator) on
/// the Relaunch, and Mo's component Hero.
pub struct Relaunch {
    pub paula: String,
    pub mo: String,
    pub lena: String,
    pub project: String,
    pub hero: String,
}

/// Makes the [`Relaunch`] through the public API.
pub async fn relaunch(server: &TestServer) -> Relaunch {
    let paula = person(server, "Paula", people::PersonRole::Producer).await;
    let mo = person(server, "Mo", people::PersonRole::Animator).await;
    let lena = person(server, "Lena", people::PersonRole::Animator).await;
    let project = project(server, &paula, "Relaunch").await;
    for (who, role) in [
        (&paula, projects::ProjectMemberRole::Producer),
        (&mo, projects::ProjectMemberRole::Contributor),
        (&lena, projects::ProjectMemberRole::Contributor),
    ] {
        add_member(server, &paula, &project, who, role).await;
    }
    let hero = asset(server, &paula, &project, "Hero", &[&mo]).await.name;
    Relaunch { paula, mo, lena, project, hero }
}
