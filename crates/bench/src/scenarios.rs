//! The scenarios: `rpc`, `pipeline`, `fanout`, `health`, `components` and `baseline`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::target::{Channel, authorized};
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use sqlx::PgPool;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_stream::StreamExt;
use tonic::Request;

use baton_proto::assets::v1::assets_service_client::AssetsServiceClient;
use baton_proto::assets::v1::*;
use baton_proto::notifications::v1::WatchNotificationsRequest;
use baton_proto::notifications::v1::notifications_service_client::NotificationsServiceClient;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::people::v1::{CreatePersonRequest, Person, PersonRole};
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;
use baton_proto::projects::v1::{
    AddProjectMemberRequest, Client, CreateClientRequest, CreateMilestoneRequest, CreateProjectRequest,
    GetProjectHealthRequest, GetProjectRequest, Milestone, Obstacle, ObstacleKind, ObstacleSeverity, Project,
    ProjectMember, ProjectMemberRole, RaiseObstacleRequest,
};

use crate::load::{closed_loop, open_loop};
use crate::stats::{MachineCpu, Row, histogram};
use crate::target::Service::{Assets, Notifications, People, Projects};
use crate::target::Target;

/// How hard and how long to push.
#[derive(Debug, Clone)]
pub struct Settings {
    pub duration: Duration,
    pub concurrency: usize,
    pub fixed_rate_get: f64,
    pub pipeline_rate: f64,
    pub pipeline_projects: usize,
    pub fanout_sizes: Vec<usize>,
    pub health_components: usize,
    pub health_rate: f64,
    pub comments: usize,
    pub components_rate: f64,
}

/// A request made by `actor` (`people/{id}`) with a token of the test issuer (signed once per
/// person, as a client reuses its token), asserting the producer role.
pub fn as_actor<T>(actor: &str, message: T) -> Request<T> {
    with_token(actor, baton_testkit::Role::Producer, message)
}

/// A request made by `person`, an agency member: what they may do depends on their teams.
pub fn as_member<T>(person: &str, message: T) -> Request<T> {
    with_token(person, baton_testkit::Role::Member, message)
}

/// A request with a token for `person` asserting `role`, minted once per person and role (a
/// client reuses its token, so the server verifies it once).
fn with_token<T>(person: &str, role: baton_testkit::Role, message: T) -> Request<T> {
    type Tokens = HashMap<(String, baton_testkit::Role), tonic::metadata::AsciiMetadataValue>;
    static TOKENS: std::sync::Mutex<Option<Tokens>> = std::sync::Mutex::new(None);
    let value = {
        let mut tokens = TOKENS.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get_or_insert_with(HashMap::new)
            .entry((person.to_string(), role))
            .or_insert_with(|| {
                let token = baton_testkit::token(person, &[role]);
                format!("Bearer {token}")
                    .parse()
                    .unwrap_or_else(|_| tonic::metadata::AsciiMetadataValue::from_static(""))
            })
            .clone()
    };
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", value);
    request
}

async fn person(channel: Channel, name: &str) -> anyhow::Result<String> {
    let email = format!("{}@bench.example.com", uuid::Uuid::new_v4().simple());
    let person = Person { display_name: name.into(), email, role: PersonRole::Other as i32, ..Default::default() };
    let created = PeopleServiceClient::new(channel)
        .create_person(CreatePersonRequest { person: Some(person), request_id: String::new() })
        .await?
        .into_inner();
    Ok(created.person.map(|p| p.name).unwrap_or_default())
}

async fn project(channel: Channel, actor: &str) -> anyhow::Result<String> {
    // Client names are unique: each benchmark project has a client of its own.
    let client = Client { display_name: format!("Bench Ltd {}", uuid::Uuid::new_v4().simple()), ..Default::default() };
    let client = ProjectsServiceClient::new(channel.clone())
        .create_client(as_actor(actor, CreateClientRequest { client: Some(client), request_id: String::new() }))
        .await?
        .into_inner();
    let client = client.client.map(|c| c.name).unwrap_or_default();
    let project = Project { display_name: "Benchmark".into(), client, ..Default::default() };
    let created = ProjectsServiceClient::new(channel)
        .create_project(as_actor(actor, CreateProjectRequest { project: Some(project), request_id: String::new() }))
        .await?
        .into_inner();
    Ok(created.project.map(|p| p.name).unwrap_or_default())
}

async fn add_member(channel: Channel, actor: &str, project: &str, person: &str) -> Result<(), tonic::Status> {
    let member =
        ProjectMember { person: person.into(), role: ProjectMemberRole::Contributor as i32, ..Default::default() };
    ProjectsServiceClient::new(channel)
        .add_project_member(as_actor(
            actor,
            AddProjectMemberRequest { parent: project.into(), member: Some(member), request_id: String::new() },
        ))
        .await
        .map(drop)
}

fn new_asset(project: &str, i: usize) -> CreateAssetRequest {
    CreateAssetRequest {
        parent: project.into(),
        asset: Some(Asset {
            display_name: format!("Banner {i}"),
            kind: AssetKind::Graphic as i32,
            weight: 1,
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

pub async fn asset(channel: Channel, actor: String, project: String, i: usize) -> anyhow::Result<String> {
    let created =
        AssetsServiceClient::new(channel).create_asset(as_actor(&actor, new_asset(&project, i))).await?.into_inner();
    Ok(created.asset.map(|a| a.name).unwrap_or_default())
}

/// Runs `count` setup calls, `concurrency` at a time.
async fn many<F, Fut, T>(count: usize, concurrency: usize, make: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut set = JoinSet::new();
    for i in 0..count {
        let permit = permits.clone().acquire_owned().await?;
        let future = make(i);
        set.spawn(async move {
            let result = future.await;
            drop(permit);
            (i, result)
        });
    }
    let mut results: Vec<(usize, T)> = Vec::with_capacity(count);
    while let Some(joined) = set.join_next().await {
        let (i, result) = joined?;
        results.push((i, result?));
    }
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, t)| t).collect())
}

/// `rpc`: GetProject (read), CreateAsset (write through the outbox), ListAssets (a page of 50).
pub async fn rpc(target: &Target, settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let producer = person(target.channel(People, 0), "Bench Producer").await?;
    let project = project(target.channel(Projects, 0), &producer).await?;
    many(60, 16, |i| asset(target.channel(Assets, i as u64), producer.clone(), project.clone(), i)).await?;
    // Reads are a team member's: the project and their place on its team, decided per call.
    let member = person(target.channel(People, 0), "Bench Designer").await?;
    add_member(target.channel(Projects, 0), &producer, &project, &member).await?;
    let mut rows = Vec::new();

    let get = {
        let channels = target.pool(Projects);
        let (project, member) = (project.clone(), member.clone());
        move |i: u64| {
            let mut client = ProjectsServiceClient::new(channels[i as usize % channels.len()].clone());
            let request = as_member(&member, GetProjectRequest { name: project.clone() });
            async move { client.get_project(request).await.map(drop) }
        }
    };
    // The same read by the same member without a token to check (a development server's
    // `x-baton-actor`): what authentication costs, measured in the same run.
    let get_untokened = {
        let channels = target.bare_pool(Projects);
        let project = project.clone();
        let actor: tonic::metadata::AsciiMetadataValue = member.parse()?;
        move |i: u64| {
            let mut client = ProjectsServiceClient::new(channels[i as usize % channels.len()].clone());
            let mut request = Request::new(GetProjectRequest { name: project.clone() });
            request.metadata_mut().insert("x-baton-actor", actor.clone());
            async move { client.get_project(request).await.map(drop) }
        }
    };
    target.settle().await?;
    let outcome = closed_loop(settings.concurrency, settings.duration, get_untokened).await;
    rows.push(
        Row::new(
            "rpc",
            "GetProject without a token (development actor), maximum",
            None,
            outcome.ok,
            outcome.elapsed,
            &outcome.latency,
        )
        .with_errors(outcome.errors),
    );
    let outcome = closed_loop(settings.concurrency, settings.duration, get.clone()).await;
    rows.push(
        Row::new("rpc", "GetProject, maximum", None, outcome.ok, outcome.elapsed, &outcome.latency)
            .with_errors(outcome.errors),
    );
    let rate = settings.fixed_rate_get;
    let outcome = open_loop(rate, settings.duration, 4096, get).await;
    rows.push(
        Row::new(
            "rpc",
            &format!("GetProject at {rate:.0}/s"),
            Some(rate),
            outcome.ok,
            outcome.elapsed,
            &outcome.latency,
        )
        .with_errors(outcome.errors),
    );

    let create = {
        let channels = target.pool(Assets);
        let (project, producer) = (project.clone(), producer.clone());
        move |i: u64| {
            let mut client = AssetsServiceClient::new(channels[i as usize % channels.len()].clone());
            let request = as_actor(&producer, new_asset(&project, i as usize));
            async move { client.create_asset(request).await.map(drop) }
        }
    };
    let outcome = closed_loop(settings.concurrency, settings.duration, create).await;
    rows.push(
        Row::new("rpc", "CreateAsset (state + outbox), maximum", None, outcome.ok, outcome.elapsed, &outcome.latency)
            .with_errors(outcome.errors),
    );

    let list = {
        let channels = target.pool(Assets);
        let project = project.clone();
        move |i: u64| {
            let mut client = AssetsServiceClient::new(channels[i as usize % channels.len()].clone());
            let parent = project.clone();
            async move {
                let page =
                    client.list_assets(ListAssetsRequest { parent, page_size: 50, ..Default::default() }).await?;
                if page.get_ref().assets.len() == 50 { Ok(()) } else { Err(tonic::Status::internal("short page")) }
            }
        }
    };
    // CreateAsset added tens of thousands of assets to the project the pages are read from.
    target.settle().await?;
    let outcome = closed_loop(settings.concurrency, settings.duration, list).await;
    rows.push(
        Row::new("rpc", "ListAssets (page of 50), maximum", None, outcome.ok, outcome.elapsed, &outcome.latency)
            .with_errors(outcome.errors),
    );
    Ok(rows)
}

/// `health`: GetProjectHealth of a project of `settings.health_components` components in every
/// status, with milestones and obstacles, computed by the projects service from its projection
/// of the assets service's events: at the maximum rate, and at `settings.health_rate`.
pub async fn health(target: &Target, settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let size = settings.health_components;
    let producer = person(target.channel(People, 0), "Bench Producer").await?;
    let project = project(target.channel(Projects, 0), &producer).await?;
    let assets =
        many(size, 16, |i| asset(target.channel(Assets, i as u64), producer.clone(), project.clone(), i)).await?;
    // Spread the components over the workflow, a fifth in each status but delivered.
    let path = |i: usize| -> &'static [AssetStatus] {
        use AssetStatus::{Approved, ChangesRequested, InProgress, InReview};
        match i % 5 {
            0 => &[],
            1 => &[InProgress],
            2 => &[InProgress, InReview],
            3 => &[InProgress, InReview, ChangesRequested],
            _ => &[InProgress, InReview, Approved],
        }
    };
    many(size, 16, |i| {
        let (channel, producer, name) = (target.channel(Assets, i as u64), producer.clone(), assets[i].clone());
        async move {
            let mut client = AssetsServiceClient::new(channel);
            for to in path(i) {
                let name = name.clone();
                match to {
                    AssetStatus::InProgress => {
                        let request = StartAssetRequest { name, ..Default::default() };
                        client.start_asset(as_actor(&producer, request)).await.map(drop)
                    }
                    AssetStatus::InReview => {
                        let request = SubmitAssetForReviewRequest { name, ..Default::default() };
                        client.submit_asset_for_review(as_actor(&producer, request)).await.map(drop)
                    }
                    AssetStatus::Approved => {
                        let request = ApproveAssetRequest { name, ..Default::default() };
                        client.approve_asset(as_actor(&producer, request)).await.map(drop)
                    }
                    _ => {
                        let request =
                            RequestAssetChangesRequest { name, comment: "again".into(), ..Default::default() };
                        client.request_asset_changes(as_actor(&producer, request)).await.map(drop)
                    }
                }?;
            }
            anyhow::Ok(())
        }
    })
    .await?;
    let mut projects = ProjectsServiceClient::new(target.channel(Projects, 0));
    for (i, due) in ["2027-01-15", "2027-03-31"].into_iter().enumerate() {
        let milestone = Milestone {
            title: format!("Milestone {i}"),
            due_date: due.into(),
            components: assets.iter().skip(i * 50).take(50).cloned().collect(),
            ..Default::default()
        };
        let request =
            CreateMilestoneRequest { parent: project.clone(), milestone: Some(milestone), request_id: String::new() };
        projects.create_milestone(as_actor(&producer, request)).await?;
    }
    for severity in [ObstacleSeverity::Medium, ObstacleSeverity::High] {
        let obstacle = Obstacle {
            title: format!("{} risk", severity.as_str_name()),
            kind: ObstacleKind::Risk as i32,
            severity: severity as i32,
            ..Default::default()
        };
        let request =
            RaiseObstacleRequest { parent: project.clone(), obstacle: Some(obstacle), request_id: String::new() };
        projects.raise_obstacle(as_actor(&producer, request)).await?;
    }
    // The projection has every component, in its status, once the counts say so.
    let expected_approved = (0..size).filter(|i| path(*i).last() == Some(&AssetStatus::Approved)).count() as u32;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let request = GetProjectHealthRequest { name: format!("{project}/health") };
        let health = projects.get_project_health(as_actor(&producer, request)).await?.into_inner().health;
        let counts = health.map(|h| h.components_by_status).unwrap_or_default();
        let total: u32 = counts.iter().map(|c| c.count).sum();
        let approved = counts.iter().find(|c| c.status == "ASSET_STATUS_APPROVED").map_or(0, |c| c.count);
        if total as usize == size && approved == expected_approved {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the projection has {total} of {size} components after 120 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let get = {
        let channels = target.pool(Projects);
        let (project, producer) = (project.clone(), producer.clone());
        move |i: u64| {
            let mut client = ProjectsServiceClient::new(channels[i as usize % channels.len()].clone());
            let request = as_actor(&producer, GetProjectHealthRequest { name: format!("{project}/health") });
            async move { client.get_project_health(request).await.map(drop) }
        }
    };
    target.settle().await?;
    let what = format!("GetProjectHealth ({size} components)");
    let rows = maximum_and_at("health", &what, settings, settings.health_rate, get).await;
    Ok(rows)
}

/// `op` at its maximum (the closed loop's callers back to back), then at `rate` in open loop:
/// two rows named `what`.
async fn maximum_and_at<F, Fut>(scenario: &str, what: &str, settings: &Settings, rate: f64, op: F) -> Vec<Row>
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let outcome = closed_loop(settings.concurrency, settings.duration, op.clone()).await;
    let maximum = Row::new(scenario, &format!("{what}, maximum"), None, outcome.ok, outcome.elapsed, &outcome.latency)
        .with_errors(outcome.errors);
    let outcome = open_loop(rate, settings.duration, 4096, op).await;
    let fixed = Row::new(
        scenario,
        &format!("{what} at {rate:.0}/s"),
        Some(rate),
        outcome.ok,
        outcome.elapsed,
        &outcome.latency,
    )
    .with_errors(outcome.errors);
    vec![maximum, fixed]
}

/// How many components the review decisions of `components` spread over.
const ROUNDS: usize = 100;

/// `components`: ListComments page by page on a component with many comments, and DecideReview
/// on open rounds (each decision a write of the round, its event and its idempotency record).
pub async fn components(target: &Target, settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let producer = person(target.channel(People, 0), "Bench Producer").await?;
    let lead = person(target.channel(People, 0), "Bench Lead").await?;
    let project = project(target.channel(Projects, 0), &producer).await?;
    for member in [&producer, &lead] {
        add_member(target.channel(Projects, 0), &producer, &project, member).await?;
    }
    let film = asset(target.channel(Assets, 0), producer.clone(), project.clone(), 0).await?;
    let count = settings.comments;
    let started = Instant::now();
    many(count, 16, |i| {
        let (channel, producer, film) = (target.channel(Assets, i as u64), producer.clone(), film.clone());
        async move {
            let comment = Comment { body: format!("Note {i}: tighten the cut here."), ..Default::default() };
            let request = CreateCommentRequest { parent: film, comment: Some(comment), request_id: String::new() };
            AssetsServiceClient::new(channel).create_comment(as_actor(&producer, request)).await?;
            anyhow::Ok(())
        }
    })
    .await?;
    eprintln!("components: {count} comments written in {:.1} s", started.elapsed().as_secs_f64());
    // Every page's token, read once, so that the runs page all through the thread.
    let mut tokens = vec![String::new()];
    let mut client = AssetsServiceClient::new(target.channel(Assets, 0));
    loop {
        let request = ListCommentsRequest {
            parent: film.clone(),
            page_size: 50,
            page_token: tokens.last().cloned().unwrap_or_default(),
            ..Default::default()
        };
        let page = client.list_comments(as_actor(&producer, request)).await?.into_inner();
        if page.next_page_token.is_empty() {
            break;
        }
        tokens.push(page.next_page_token);
    }
    let tokens = Arc::new(tokens);
    let list = {
        let (channels, producer, film, tokens) = (target.pool(Assets), producer.clone(), film.clone(), tokens.clone());
        move |i: u64| {
            let mut client = AssetsServiceClient::new(channels[i as usize % channels.len()].clone());
            let page_token = tokens[i as usize % tokens.len()].clone();
            let request = ListCommentsRequest { parent: film.clone(), page_size: 50, page_token, ..Default::default() };
            let request = as_actor(&producer, request);
            async move { client.list_comments(request).await.map(drop) }
        }
    };
    let rate = settings.components_rate;
    target.settle().await?;
    let what = format!("ListComments ({count} comments, {} pages of 50)", tokens.len());
    let mut rows = maximum_and_at("components", &what, settings, rate, list).await;

    // Open rounds: one stage that needs both the producer and the lead; the producer decides
    // again and again (a second decision replaces the first while the stage is open).
    let rounds = many(ROUNDS, 16, |i| {
        let (channel, producer, lead, project) =
            (target.channel(Assets, i as u64), producer.clone(), lead.clone(), project.clone());
        async move {
            let name = asset(channel.clone(), producer.clone(), project, i + 1).await?;
            let mut client = AssetsServiceClient::new(channel);
            let request = StartAssetRequest { name: name.clone(), ..Default::default() };
            client.start_asset(as_actor(&producer, request)).await?;
            let file = VersionFile {
                uri: format!("s3://bench/banner-{i}.png"),
                sha256: "0".repeat(64),
                size_bytes: 1024,
                mime_type: "image/png".into(),
                media: None,
            };
            let stage = ReviewStage {
                title: "Lead and producer".into(),
                reviewers: vec![producer.clone(), lead],
                rule: ReviewRule::All as i32,
                ..Default::default()
            };
            let request = SubmitVersionRequest {
                parent: name,
                version: Some(Version { files: vec![file], ..Default::default() }),
                stages: vec![stage],
                request_id: String::new(),
            };
            let submitted = client.submit_version(as_actor(&producer, request)).await?.into_inner();
            anyhow::Ok(submitted.review.map(|r| r.name).unwrap_or_default())
        }
    })
    .await?;
    let rounds = Arc::new(rounds);
    let decide = {
        let (channels, producer, rounds) = (target.pool(Assets), producer.clone(), rounds.clone());
        move |i: u64| {
            let mut client = AssetsServiceClient::new(channels[i as usize % channels.len()].clone());
            let request = DecideReviewRequest {
                name: rounds[i as usize % rounds.len()].clone(),
                verdict: Verdict::Approve as i32,
                comment: String::new(),
                request_id: String::new(),
            };
            let request = as_actor(&producer, request);
            async move { client.decide_review(request).await.map(drop) }
        }
    };
    target.settle().await?;
    let what = format!("DecideReview ({ROUNDS} open rounds)");
    rows.extend(maximum_and_at("components", &what, settings, rate, decide).await);
    Ok(rows)
}

/// The review cycle an asset goes round forever: start, submit, ask for changes.
async fn next_step(
    client: &mut AssetsServiceClient<Channel>,
    actor: &str,
    name: &str,
    step: u64,
) -> Result<(), tonic::Status> {
    let name = name.to_string();
    match step % 3 {
        0 => client.start_asset(as_actor(actor, StartAssetRequest { name, ..Default::default() })).await.map(drop),
        1 => client
            .submit_asset_for_review(as_actor(actor, SubmitAssetForReviewRequest { name, ..Default::default() }))
            .await
            .map(drop),
        _ => client
            .request_asset_changes(as_actor(
                actor,
                RequestAssetChangesRequest { name, comment: "again".into(), ..Default::default() },
            ))
            .await
            .map(drop),
    }
}

/// Assets a workload changes, each with its own lock and step counter.
struct Board {
    assets: Vec<(String, tokio::sync::Mutex<u64>)>,
    /// When the latest change of each asset returned.
    committed: Mutex<HashMap<String, Instant>>,
}

impl Board {
    async fn step(&self, channel: Channel, actor: &str, i: u64) -> Result<(), tonic::Status> {
        let (name, counter) = &self.assets[i as usize % self.assets.len()];
        let mut steps = counter.lock().await;
        let mut client = AssetsServiceClient::new(channel);
        next_step(&mut client, actor, name, *steps).await?;
        *steps += 1;
        self.committed.lock().expect("lock").insert(name.clone(), Instant::now());
        Ok(())
    }
}

/// A team of `size` members plus an outsider who acts, and one member watching.
pub struct Team {
    pub actor: String,
    pub watcher: String,
    pub members: Vec<String>,
    pub project: String,
}

pub async fn team(target: &Target, size: usize, concurrency: usize) -> anyhow::Result<Team> {
    let actor = person(target.channel(People, 0), "Bench Actor").await?;
    let project = project(target.channel(Projects, 0), &actor).await?;
    let members = many(size, concurrency, |i| person(target.channel(People, i as u64), "Bench Member")).await?;
    many(size, concurrency, |i| {
        let (channel, actor, project, member) =
            (target.channel(Projects, i as u64), actor.clone(), project.clone(), members[i].clone());
        async move { add_member(channel, &actor, &project, &member).await.map_err(anyhow::Error::from) }
    })
    .await?;
    wait_for_team(&target.db, &project, size).await?;
    Ok(Team { actor, watcher: members[0].clone(), members, project })
}

/// Another project with the same team.
async fn same_team(target: &Target, team: &Team) -> anyhow::Result<String> {
    let project = project(target.channel(Projects, 0), &team.actor).await?;
    for member in &team.members {
        add_member(target.channel(Projects, 0), &team.actor, &project, member).await?;
    }
    wait_for_team(&target.db, &project, team.members.len()).await?;
    Ok(project)
}

/// Waits until the notifications service's projection holds the whole team.
async fn wait_for_team(db: &PgPool, project: &str, size: usize) -> anyhow::Result<()> {
    let id = uuid::Uuid::parse_str(project.trim_start_matches("projects/"))?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM notifications.project_member WHERE project_id = $1 AND active")
                .bind(id)
                .fetch_one(db)
                .await?;
        if n as usize >= size {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "the team projection holds {n} of {size} members after 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens a watch stream for `recipient` and calls `seen` with each notification's subject.
async fn watch(channel: Channel, recipient: &str, seen: impl Fn(String) + Send + 'static) -> anyhow::Result<()> {
    let mut stream = NotificationsServiceClient::new(channel)
        .watch_notifications(as_actor(recipient, WatchNotificationsRequest { recipient: recipient.into() }))
        .await?
        .into_inner();
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            seen(message.notification.map(|n| n.subject).unwrap_or_default());
        }
    });
    Ok(())
}

/// `pipeline`: status changes at a fixed rate; latency from the change's commit to the
/// notification row and to a watch stream; then the maximum rate the pipeline sustains.
pub async fn pipeline(target: &Target, settings: &Settings) -> anyhow::Result<Vec<Row>> {
    // An agency runs many projects at once: the changes spread over several projects whose
    // teams are the same five people, so the watcher hears of every change.
    let team = team(target, 5, settings.concurrency).await?;
    let mut projects = vec![team.project.clone()];
    while projects.len() < settings.pipeline_projects.max(1) {
        projects.push(same_team(target, &team).await?);
    }
    let count = (settings.pipeline_rate as usize).max(64);
    let names = many(count, settings.concurrency, |i| {
        asset(target.channel(Assets, i as u64), team.actor.clone(), projects[i % projects.len()].clone(), i)
    })
    .await?;
    let board = Arc::new(Board {
        assets: names.into_iter().map(|n| (n, tokio::sync::Mutex::new(0))).collect(),
        committed: Mutex::new(HashMap::new()),
    });

    // The watcher's stream: latency from the change's return to the arrival.
    let stream_latency = Arc::new(Mutex::new(histogram()));
    let arrived = Arc::new(AtomicU64::new(0));
    {
        let (board, stream_latency, arrived) = (board.clone(), stream_latency.clone(), arrived.clone());
        watch(target.channel(Notifications, 0), &team.watcher, move |subject| {
            let now = Instant::now();
            let committed = board.committed.lock().expect("lock").get(&subject).copied();
            let micros = committed.map_or(1, |at| now.saturating_duration_since(at).as_micros().max(1) as u64);
            let _ = stream_latency.lock().expect("lock").record(micros.min(60_000_000));
            arrived.fetch_add(1, Ordering::Relaxed);
        })
        .await?;
    }

    let rate = settings.pipeline_rate;
    let op = {
        let (board, channels, actor) = (board.clone(), target.pool(Assets), team.actor.clone());
        move |i: u64| {
            let (board, channel, actor) = (board.clone(), channels[i as usize % channels.len()].clone(), actor.clone());
            async move { board.step(channel, &actor, i).await }
        }
    };
    target.settle().await?;
    let cpu = MachineCpu::now();
    let outcome = open_loop(rate, settings.duration, 8192, op.clone()).await;
    let changed = outcome.ok;
    wait_until(Duration::from_secs(60), || arrived.load(Ordering::Relaxed) >= changed).await;
    let mut rows = vec![
        Row::new(
            "pipeline",
            &format!("status change at {rate:.0}/s (call)"),
            Some(rate),
            outcome.ok,
            outcome.elapsed,
            &outcome.latency,
        )
        .with_errors(outcome.errors)
        .with_note(format!("machine CPU {:.2} ms per change", cpu.ms_per(changed))),
    ];
    let row_latency = notification_lag(&target.db, &team.watcher).await?;
    rows.push(
        Row::new(
            "pipeline",
            "commit → notification row committed",
            Some(rate),
            row_latency.len(),
            outcome.elapsed,
            &row_latency,
        )
        .with_note("from the event's UUIDv7 time to the row's insert"),
    );
    let streamed = stream_latency.lock().expect("lock").clone();
    rows.push(Row::new("pipeline", "commit → watch stream", Some(rate), streamed.len(), outcome.elapsed, &streamed));

    // Maximum: as many changes as the callers can push, then the time until the last one is
    // notified; the pipeline's rate is what reached the inbox per second of the whole run.
    let before = arrived.load(Ordering::Relaxed);
    let cpu = MachineCpu::now();
    let started = Instant::now();
    let outcome = closed_loop(settings.concurrency.max(64), settings.duration, op.clone()).await;
    let pushed = outcome.ok;
    let drained = wait_until(Duration::from_secs(120), || arrived.load(Ordering::Relaxed) >= before + pushed).await;
    let total = started.elapsed();
    let cpu = cpu.ms_per(pushed);
    rows.push(
        Row::new("pipeline", "status changes accepted, maximum", None, outcome.ok, outcome.elapsed, &outcome.latency)
            .with_errors(outcome.errors),
    );
    let mut through = histogram();
    let _ = through.record(u64::try_from(total.as_micros()).unwrap_or(u64::MAX).min(60_000_000));
    rows.push(Row::new("pipeline", "events through to the inbox, sustained", None, pushed, total, &through).with_note(
        if drained {
            let after = (total - outcome.elapsed).as_secs_f64();
            format!("drained {after:.1} s after the load stopped; machine CPU {cpu:.2} ms per change")
        } else {
            "did not drain within 120 s".to_string()
        },
    ));
    rows.extend(pipeline_apart(target, settings, op, &arrived).await?);
    Ok(rows)
}

/// The pipeline's two halves apart, with one process per target (`--split`; nothing under
/// `--target all`): as many changes as 64 callers can push while projects and notifications
/// are stopped (SIGSTOP), the front alone — call, outbox, relay, broker; then the backlog
/// they drain once continued, the rest alone. Each with the machine's CPU per change, whose
/// sum is what the sustained run pays.
async fn pipeline_apart<F, Fut>(
    target: &Target,
    settings: &Settings,
    op: F,
    arrived: &AtomicU64,
) -> anyhow::Result<Vec<Row>>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let downstream = [Projects, Notifications];
    let before = arrived.load(Ordering::Relaxed);
    if !target.signal(&downstream, "STOP").await? {
        return Ok(Vec::new());
    }
    let cpu = MachineCpu::now();
    let outcome = closed_loop(settings.concurrency.max(64), settings.duration, op).await;
    // The front's work ends when the relay has published the last change.
    let published = empty_outbox(&target.db, Duration::from_secs(60)).await;
    let front_cpu = cpu.ms_per(outcome.ok);
    target.signal(&downstream, "CONT").await?;
    published?;
    let pushed = outcome.ok;
    let cpu = MachineCpu::now();
    let started = Instant::now();
    let drained = wait_until(Duration::from_secs(120), || arrived.load(Ordering::Relaxed) >= before + pushed).await;
    let took = started.elapsed();
    let drain_cpu = cpu.ms_per(pushed);
    let mut whole = histogram();
    let _ = whole.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).min(60_000_000));
    Ok(vec![
        Row::new(
            "pipeline",
            "status changes accepted, projects and notifications stopped",
            None,
            outcome.ok,
            outcome.elapsed,
            &outcome.latency,
        )
        .with_errors(outcome.errors)
        .with_note(format!("the front alone: machine CPU {front_cpu:.2} ms per change")),
        Row::new("pipeline", "their backlog drained once continued", None, pushed, took, &whole).with_note(
            if drained {
                format!("the rest alone: machine CPU {drain_cpu:.2} ms per change")
            } else {
                "did not drain within 120 s".to_string()
            },
        ),
    ])
}

/// Waits until the assets service's relay has published every event in its outbox.
async fn empty_outbox(db: &PgPool, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM assets.outbox").fetch_one(db).await?;
        if left == 0 {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{left} events still in the assets outbox after {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The lag of each of `recipient`'s notifications behind its event, from the event id's
/// UUIDv7 milliseconds to the row's `create_time`.
async fn notification_lag(db: &PgPool, recipient: &str) -> anyhow::Result<hdrhistogram::Histogram<u64>> {
    let id = uuid::Uuid::parse_str(recipient.trim_start_matches("people/"))?;
    let lags: Vec<i64> = sqlx::query_scalar(
        "SELECT (extract(epoch FROM create_time) * 1000000)::bigint \
              - (('x' || substr(replace(event_id::text, '-', ''), 1, 12))::bit(48)::bigint * 1000) \
         FROM notifications.notification WHERE recipient = $1 AND kind = 'NOTIFICATION_KIND_ASSET_STATUS_CHANGED'",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let mut latency = histogram();
    for lag in lags {
        let _ = latency.record(u64::try_from(lag).unwrap_or(1).clamp(1, 60_000_000));
    }
    Ok(latency)
}

async fn wait_until(limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    true
}

/// How many changes the idle latency is measured over, and the team they reach.
const IDLE_TRIES: usize = 20;
const IDLE_TEAM: usize = 10;

/// The idle latency: one change at a time, a quarter second apart, on a project whose team of
/// ten watches; each from the call until the last of the ten streams received it (no polling:
/// the stream that completes a change wakes the measurement).
pub async fn idle(target: &Target, settings: &Settings) -> anyhow::Result<Row> {
    let Team { actor, project, members, .. } = team(target, IDLE_TEAM, settings.concurrency).await?;
    let subjects = many(IDLE_TRIES, settings.concurrency, |i| {
        asset(target.channel(Assets, i as u64), actor.clone(), project.clone(), i)
    })
    .await?;
    // Arrivals per subject; the tenth arrival of the awaited subject wakes the measurement.
    let arrivals: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let complete = Arc::new(tokio::sync::Notify::new());
    let connection = authorized(
        tonic::transport::Channel::from_shared(target.endpoints.of(Notifications).to_string())?
            .tcp_nodelay(true)
            .connect_lazy(),
    );
    for member in &members {
        let (arrivals, complete) = (arrivals.clone(), complete.clone());
        watch(connection.clone(), member, move |subject| {
            let mut arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner());
            let count = arrivals.entry(subject).or_default();
            *count += 1;
            if *count == IDLE_TEAM {
                complete.notify_one();
            }
        })
        .await?;
    }
    target.settle().await?;
    let mut latency = histogram();
    let started_all = Instant::now();
    let mut assets = AssetsServiceClient::new(target.channel(Assets, 0));
    for subject in &subjects {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let started = Instant::now();
        assets.start_asset(as_actor(&actor, StartAssetRequest { name: subject.clone(), ..Default::default() })).await?;
        let done =
            || arrivals.lock().unwrap_or_else(|p| p.into_inner()).get(subject).copied().unwrap_or(0) >= IDLE_TEAM;
        let deadline = started + Duration::from_secs(10);
        while !done() {
            anyhow::ensure!(Instant::now() < deadline, "a change did not reach all {IDLE_TEAM} streams in 10 s");
            let _ = tokio::time::timeout_at(deadline, complete.notified()).await;
        }
        let _ = latency.record(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX).max(1));
    }
    Ok(Row::new(
        "fanout",
        &format!("idle: one change on all {IDLE_TEAM} streams"),
        None,
        IDLE_TRIES as u64,
        started_all.elapsed(),
        &latency,
    )
    .with_note(format!("{IDLE_TRIES} changes 250 ms apart, call to the last stream")))
}

/// `fanout`: one status change on a project whose team has N members: time until all N
/// notifications are committed, and until they reached N open watch streams.
pub async fn fanout(target: &Target, settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let mut rows = vec![idle(target, settings).await?];
    for &size in &settings.fanout_sizes {
        let Team { actor, project, members, .. } = team(target, size, settings.concurrency).await?;

        // N watch streams, 100 to a connection.
        let arrived = Arc::new(AtomicU64::new(0));
        let connections: Vec<Channel> = (0..size.div_ceil(100))
            .map(|_| {
                tonic::transport::Channel::from_shared(target.endpoints.of(Notifications).to_string())
                    .map(|e| authorized(e.tcp_nodelay(true).connect_lazy()))
            })
            .collect::<Result<_, _>>()?;
        let subject = asset(target.channel(Assets, 0), actor.clone(), project.clone(), 0).await?;
        many(size, settings.concurrency, |i| {
            let (channel, member, arrived, subject) =
                (connections[i / 100].clone(), members[i].clone(), arrived.clone(), subject.clone());
            async move {
                watch(channel, &member, move |seen| {
                    if seen == subject {
                        arrived.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .await
            }
        })
        .await?;

        target.settle().await?;
        let started = Instant::now();
        let mut assets = AssetsServiceClient::new(target.channel(Assets, 0));
        assets.start_asset(as_actor(&actor, StartAssetRequest { name: subject.clone(), ..Default::default() })).await?;
        let called = started.elapsed();
        // The rows and the streams are timed side by side, each from the call.
        let streams = {
            let arrived = arrived.clone();
            tokio::spawn(async move {
                let all = wait_until(Duration::from_secs(60), || arrived.load(Ordering::Relaxed) >= size as u64).await;
                (all, started.elapsed())
            })
        };
        let committed = committed_count(&target.db, &subject, &members, Duration::from_secs(60)).await?;
        let (all_streams, streamed) = streams.await?;
        let single = |d: Duration| {
            let mut h = histogram();
            let _ = h.record(u64::try_from(d.as_micros()).unwrap_or(u64::MAX).clamp(1, 60_000_000));
            h
        };
        rows.push(
            Row::new(
                "fanout",
                &format!("N={size}: all notifications committed"),
                None,
                size as u64,
                committed,
                &single(committed),
            )
            .with_note(format!(
                "1 inbound event, {size} outbound notifications; call returned in {:.1} ms",
                called.as_secs_f64() * 1000.0
            )),
        );
        rows.push(
            Row::new(
                "fanout",
                &format!("N={size}: reached all {size} watch streams"),
                None,
                size as u64,
                streamed,
                &single(streamed),
            )
            .with_note(if all_streams {
                String::new()
            } else {
                format!("only {} streams got it", arrived.load(Ordering::Relaxed))
            }),
        );
    }
    Ok(rows)
}

/// Waits until `size` notifications about `subject` are committed; returns when.
/// Polls until every one of `recipients` has a notification about `subject`; the time it took.
/// The query goes by recipient (indexed), not by subject, so that it stays cheap however many
/// notifications earlier scenarios left.
async fn committed_count(
    db: &PgPool,
    subject: &str,
    recipients: &[String],
    limit: Duration,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let size = recipients.len();
    let ids: Vec<uuid::Uuid> =
        recipients.iter().filter_map(|r| r.strip_prefix("people/")).filter_map(|id| id.parse().ok()).collect();
    loop {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notifications.notification WHERE recipient = ANY($2) AND subject = $1 \
             AND kind = 'NOTIFICATION_KIND_ASSET_STATUS_CHANGED'",
        )
        .bind(subject)
        .bind(&ids)
        .fetch_one(db)
        .await?;
        if n as usize >= size {
            return Ok(started.elapsed());
        }
        anyhow::ensure!(started.elapsed() < limit, "{n} of {size} notifications after {limit:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `baseline`: the raw limits of this machine at the same concurrency: a two-row insert
/// transaction and a single-row indexed select through sqlx, and a persistent, confirmed
/// publish and consume through lapin on a quorum queue.
pub async fn baseline(target: &Target, amqp_url: &str, settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(u32::try_from(settings.concurrency).unwrap_or(32).min(64))
        .connect_with((*target.db.connect_options()).clone())
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS public.bench_raw (id bigserial PRIMARY KEY, a text NOT NULL, b text NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let db = |e: sqlx::Error| tonic::Status::internal(e.to_string());
    let insert = {
        let pool = pool.clone();
        move |_: u64| {
            let pool = pool.clone();
            async move {
                let mut tx = pool.begin().await.map_err(db)?;
                for payload in ["state", "outbox"] {
                    sqlx::query("INSERT INTO public.bench_raw (a, b) VALUES ($1, $2)")
                        .bind(payload)
                        .bind("0123456789abcdef0123456789abcdef")
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
                tx.commit().await.map_err(db)
            }
        }
    };
    let mut rows = Vec::new();
    let outcome = closed_loop(settings.concurrency, settings.duration, insert).await;
    rows.push(
        Row::new(
            "baseline",
            "Postgres two-row insert transaction",
            None,
            outcome.ok,
            outcome.elapsed,
            &outcome.latency,
        )
        .with_errors(outcome.errors),
    );
    let select = {
        let pool = pool.clone();
        move |i: u64| {
            let pool = pool.clone();
            async move {
                sqlx::query("SELECT a, b FROM public.bench_raw WHERE id = $1")
                    .bind((i % 1000) as i64 + 1)
                    .fetch_optional(&pool)
                    .await
                    .map(drop)
                    .map_err(db)
            }
        }
    };
    let outcome = closed_loop(settings.concurrency, settings.duration, select).await;
    rows.push(
        Row::new("baseline", "Postgres single-row indexed select", None, outcome.ok, outcome.elapsed, &outcome.latency)
            .with_errors(outcome.errors),
    );
    sqlx::query("DROP TABLE public.bench_raw").execute(&pool).await?;
    pool.close().await;
    rows.push(amqp_baseline(amqp_url, settings).await?);
    Ok(rows)
}

async fn amqp_baseline(amqp_url: &str, settings: &Settings) -> anyhow::Result<Row> {
    let connection = lapin::Connection::connect(amqp_url, lapin::ConnectionProperties::default()).await?;
    let publisher = connection.create_channel().await?;
    let consumer_channel = connection.create_channel().await?;
    publisher.confirm_select(ConfirmSelectOptions::default()).await?;
    let queue = format!("bench.raw.{}", uuid::Uuid::new_v4().simple());
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    publisher
        .queue_declare(queue.as_str().into(), QueueDeclareOptions { durable: true, ..Default::default() }, args)
        .await?;
    consumer_channel.basic_qos(256, lapin::options::BasicQosOptions::default()).await?;
    let mut deliveries = consumer_channel
        .basic_consume(queue.as_str().into(), "bench".into(), BasicConsumeOptions::default(), FieldTable::default())
        .await?;
    let consumed = Arc::new(AtomicU64::new(0));
    let consuming = {
        let consumed = consumed.clone();
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = deliveries.next().await {
                let _ = delivery.acker.ack(BasicAckOptions::default()).await;
                consumed.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let publish = {
        let (publisher, queue) = (publisher.clone(), queue.clone());
        move |_: u64| {
            let (publisher, queue) = (publisher.clone(), queue.clone());
            async move {
                let status = |e: lapin::Error| tonic::Status::unavailable(e.to_string());
                let confirm = publisher
                    .basic_publish(
                        "".into(),
                        queue.as_str().into(),
                        BasicPublishOptions { mandatory: true, immediate: false },
                        b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                        lapin::BasicProperties::default().with_delivery_mode(2),
                    )
                    .await
                    .map_err(status)?
                    .await
                    .map_err(status)?;
                if confirm.is_ack() { Ok(()) } else { Err(tonic::Status::unavailable("nacked")) }
            }
        }
    };
    let outcome = closed_loop(settings.concurrency, settings.duration, publish).await;
    let published = outcome.ok;
    let drained = wait_until(Duration::from_secs(60), || consumed.load(Ordering::Relaxed) >= published).await;
    let row = Row::new(
        "baseline",
        "RabbitMQ persistent confirmed publish+consume",
        None,
        outcome.ok,
        outcome.elapsed,
        &outcome.latency,
    )
    .with_errors(outcome.errors)
    .with_note(if drained { "quorum queue; latency is publish → confirm" } else { "consumer did not keep up" });
    consuming.abort();
    let _ = publisher.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
    let _ = connection.close(200, "done".into()).await;
    Ok(row)
}

/// How many emails the email scenario sends.
pub const EMAIL_BATCH: usize = 1_000;

/// One status change to a team of [`EMAIL_BATCH`] members who each chose instant email for status
/// changes: the time from the call to the last message accepted by the local SMTP server, and
/// the senders' rate.
pub async fn email(
    target: &Target,
    settings: &Settings,
    sink: &baton_testkit::smtp::SmtpSink,
) -> anyhow::Result<Vec<Row>> {
    use baton_proto::notifications::v1::{
        Cadence, ChannelPreference, NotificationChannel, NotificationKind, NotificationPreferences,
        UpdateNotificationPreferencesRequest,
    };
    let size = EMAIL_BATCH;
    let Team { actor, project, members, .. } = team(target, size, settings.concurrency).await?;
    many(size, settings.concurrency, |i| {
        let (channel, member) = (target.channel(Notifications, i as u64), members[i].clone());
        async move {
            let request = UpdateNotificationPreferencesRequest {
                preferences: Some(NotificationPreferences {
                    name: format!("{member}/notificationPreferences"),
                    preferences: vec![ChannelPreference {
                        channel: NotificationChannel::Email as i32,
                        kind: NotificationKind::AssetStatusChanged as i32,
                        project: String::new(),
                        cadence: Cadence::Instant as i32,
                    }],
                    ..Default::default()
                }),
                update_mask: None,
            };
            NotificationsServiceClient::new(channel)
                .update_notification_preferences(as_member(&member, request))
                .await
                .map(drop)
                .map_err(anyhow::Error::from)
        }
    })
    .await?;
    let subject = asset(target.channel(Assets, 0), actor.clone(), project.clone(), 0).await?;
    let before = sink.mail().len();
    let started = Instant::now();
    let mut assets = AssetsServiceClient::new(target.channel(Assets, 0));
    assets.start_asset(as_actor(&actor, StartAssetRequest { name: subject, ..Default::default() })).await?;
    let all = wait_until(Duration::from_secs(120), || sink.mail().len() >= before + size).await;
    let took = started.elapsed();
    anyhow::ensure!(all, "{} of {size} emails after 120 s", sink.mail().len() - before);
    let mut h = histogram();
    let _ = h.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).clamp(1, 120_000_000));
    Ok(vec![
        Row::new(
            "email",
            &format!("{size} instant emails accepted by a local SMTP server"),
            None,
            size as u64,
            took,
            &h,
        )
        .with_note(format!(
            "one change to a team of {size} who chose instant email; from the call to the last message"
        )),
    ])
}

/// How many people the webhooks scenario gives a webhook, and how many changes it makes.
pub const WEBHOOK_TEAM: usize = 1_000;
pub const WEBHOOK_CHANGES: usize = 5;

/// [`WEBHOOK_CHANGES`] status changes to a team of [`WEBHOOK_TEAM`] members who each have a
/// webhook to the local endpoint: the time from the first call to the last post, and the rate.
pub async fn webhooks(
    target: &Target,
    settings: &Settings,
    receiver: &baton_testkit::hooks::HookReceiver,
) -> anyhow::Result<Vec<Row>> {
    use baton_proto::notifications::v1::{CreatePersonalWebhookRequest, NotificationKind, Webhook};
    let size = WEBHOOK_TEAM;
    let Team { actor, project, members, .. } = team(target, size, settings.concurrency).await?;
    let url = receiver.url("/bench");
    many(size, settings.concurrency, |i| {
        let (channel, member, url) = (target.channel(Notifications, i as u64), members[i].clone(), url.clone());
        async move {
            let request = CreatePersonalWebhookRequest {
                parent: member.clone(),
                webhook: Some(Webhook {
                    url,
                    kinds: vec![NotificationKind::AssetStatusChanged as i32],
                    ..Default::default()
                }),
                webhook_id: String::new(),
            };
            NotificationsServiceClient::new(channel)
                .create_personal_webhook(as_member(&member, request))
                .await
                .map(drop)
                .map_err(anyhow::Error::from)
        }
    })
    .await?;
    let mut subjects = Vec::new();
    for i in 0..WEBHOOK_CHANGES {
        subjects.push(asset(target.channel(Assets, 0), actor.clone(), project.clone(), i).await?);
    }
    let expected = size * WEBHOOK_CHANGES;
    let posted = || receiver.posts().iter().filter(|p| p.kind == "asset-status-changed").count();
    let before = posted();
    let started = Instant::now();
    let mut assets = AssetsServiceClient::new(target.channel(Assets, 0));
    for subject in subjects {
        assets.start_asset(as_actor(&actor, StartAssetRequest { name: subject, ..Default::default() })).await?;
    }
    let all = wait_until(Duration::from_secs(120), || posted() >= before + expected).await;
    let took = started.elapsed();
    anyhow::ensure!(all, "{} of {expected} webhook posts after 120 s", posted() - before);
    let mut h = histogram();
    let _ = h.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).clamp(1, 120_000_000));
    Ok(vec![
        Row::new(
            "webhooks",
            &format!("{expected} webhook deliveries to a local endpoint"),
            None,
            expected as u64,
            took,
            &h,
        )
        .with_note(format!(
            "{WEBHOOK_CHANGES} changes to a team of {size}, each with a webhook; from the first call to the last post"
        )),
    ])
}
