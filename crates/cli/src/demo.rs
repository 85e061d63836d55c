//! `baton demo`: seeds a realistic agency production on a running server and plays it out, with
//! every notification printed as the team's live feeds receive it, then prints the status view.
//!
//! Repeatable: every create and every workflow step carries a `request_id` derived (UUIDv5) from
//! a fixed namespace and the step's name, and people have fixed emails, so a second run finds
//! or replays everything instead of duplicating it. A replayed step returns its first answer, and
//! the demo tells it apart from a new one by the asset's `update_time`: a new step moves it past
//! the newest time the demo has seen for that asset.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tonic::{Code, Status};
use uuid::Uuid;

use baton_proto::assets::v1::{
    Anchor, ApproveAssetRequest, Asset, AssetKind, CheckOutcome, Comment, CreateAssetRequest, CreateCommentRequest,
    DecideReviewRequest, DeliverAssetRequest, Measurement, MediaInfo, RequestAssetChangesRequest, ReviewRule,
    ReviewStage, ReviewState, StartAssetRequest, SubmitAssetForReviewRequest, SubmitVersionRequest, UpdateAssetRequest,
    Verdict, Version, VersionFile, measurement,
};
use baton_proto::notifications::v1::{
    Cadence, ChannelPreference, GetNotificationPreferencesRequest, Notification, NotificationChannel, NotificationKind,
    NotificationPreferences, UpdateNotificationPreferencesRequest, WatchNotificationsRequest,
};
use baton_proto::people::v1::{
    Allocation, CreateAllocationRequest, CreatePersonRequest, Discipline, ListAllocationsRequest, Person, PersonRole,
    Skill, SkillLevel,
};
use baton_proto::projects::v1::{
    AddProjectMemberRequest, Brief, Client, ClientContact, CreateClientRequest, CreateMilestoneRequest,
    CreateProjectRequest, GetClientRequest, GetProjectHealthRequest, KeyResult, Milestone, Money, Objective, Obstacle,
    ObstacleKind, ObstacleSeverity, Project, ProjectMember, ProjectMemberRole, RaiseObstacleRequest,
    ResolveObstacleRequest, UpdateBriefRequest,
};

use crate::cli::{AssetKindArg, MemberRoleArg, PersonRoleArg};
use crate::client::{Baton, global_role};
use crate::error::CliError;
use crate::json;
use crate::output::{Out, note};
use crate::status::{self, Report};
use baton_auth::GlobalRole;

/// The namespace of the demo's request ids. Never change it: a server seeded with it would get a
/// second production.
const NAMESPACE: Uuid = Uuid::from_u128(0x7c1e_55a0_93d4_4b8e_a2f6_0d4e_b9c3_1a57);

/// How long one step waits for its notifications before moving on.
const PATIENCE: Duration = Duration::from_secs(10);
/// After this many steps whose notifications did not all come, the demo stops waiting for them.
const MAX_MISSES: u32 = 3;

/// The request id of a named step, the same on every run.
pub fn request_id(step: &str) -> String {
    Uuid::new_v5(&NAMESPACE, format!("baton-demo/v1/{step}").as_bytes()).to_string()
}

struct Member {
    key: &'static str,
    name: &'static str,
    email: &'static str,
    role: PersonRole,
    team_role: ProjectMemberRole,
}

const TEAM: [Member; 9] = [
    member("paula", "Paula Reyes", "paula.reyes@studio.example", PersonRole::Producer, ProjectMemberRole::Producer),
    member("ana", "Ana López", "ana.lopez@studio.example", PersonRole::Designer, ProjectMemberRole::Lead),
    member(
        "kenji",
        "Kenji Watanabe",
        "kenji.watanabe@studio.example",
        PersonRole::Designer,
        ProjectMemberRole::Contributor,
    ),
    member("marco", "Marco Rossi", "marco.rossi@studio.example", PersonRole::Animator, ProjectMemberRole::Contributor),
    member("sam", "Sam Okafor", "sam.okafor@studio.example", PersonRole::AudioEngineer, ProjectMemberRole::Contributor),
    member(
        "vera",
        "Vera Novak",
        "vera.novak@studio.example",
        PersonRole::VideoEngineer,
        ProjectMemberRole::Contributor,
    ),
    member("wen", "Wen Li", "wen.li@studio.example", PersonRole::WebDeveloper, ProjectMemberRole::Lead),
    member(
        "dario",
        "Dario Costa",
        "dario.costa@studio.example",
        PersonRole::DatabaseDeveloper,
        ProjectMemberRole::Contributor,
    ),
    member(
        "chloe",
        "Chloé Martin",
        "chloe.martin@northwind.example",
        PersonRole::ClientContact,
        ProjectMemberRole::Client,
    ),
];

const fn member(
    key: &'static str,
    name: &'static str,
    email: &'static str,
    role: PersonRole,
    team_role: ProjectMemberRole,
) -> Member {
    Member { key, name, email, role, team_role }
}

/// What each of the agency's people practises, the hours they work in a week, and the hours a
/// week the producer gives them on the relaunch (Marco works four days, and is given more).
const CAPACITY: [(&str, Discipline, SkillLevel, f64, f64); 8] = [
    ("paula", Discipline::Production, SkillLevel::Expert, 40.0, 8.0),
    ("ana", Discipline::GraphicDesign, SkillLevel::Expert, 40.0, 24.0),
    ("kenji", Discipline::UxDesign, SkillLevel::Senior, 40.0, 32.0),
    ("marco", Discipline::Animation, SkillLevel::Senior, 32.0, 36.0),
    ("sam", Discipline::Audio, SkillLevel::Senior, 40.0, 16.0),
    ("vera", Discipline::Video, SkillLevel::Intermediate, 40.0, 24.0),
    ("wen", Discipline::WebFrontEnd, SkillLevel::Expert, 40.0, 30.0),
    ("dario", Discipline::Database, SkillLevel::Senior, 40.0, 20.0),
];

/// How many weeks from this one the relaunch's allocations run.
const ALLOCATED_WEEKS: i64 = 9;

/// The producer, who creates the project, builds the team and plans the components.
const PRODUCER: &str = "paula";

pub const PROJECT_TITLE: &str = "Website relaunch";
const CLIENT: &str = "Northwind Coffee";
const CLIENT_INDUSTRY: &str = "Food and drink";
/// The client's contact on the team, and their title there.
const CLIENT_CONTACT: &str = "chloe";
const CLIENT_CONTACT_TITLE: &str = "Head of marketing";
const BRIEF: &str = "Relaunch northwindcoffee.example before the spring roast: a warmer visual identity, a hero \
                     animation, a streaming product video, a podcast trailer, new web pages and a product database \
                     behind the shop.";
const DUE: &str = "2027-03-31";
/// The plan: each milestone with its due date and the components it needs (by key).
const MILESTONES: [(&str, &str, &[&str]); 2] = [
    ("Identity signed off", "2027-01-15", &["visual-identity", "hero-animation"]),
    ("Launch", "2027-03-31", &["product-video", "podcast-trailer", "web-pages", "product-database", "store-locator"]),
];
/// The obstacle raised and resolved on the way.
const OBSTACLE: &str = "Trailer music not cleared for streaming";

struct Component {
    key: &'static str,
    name: &'static str,
    kind: AssetKind,
    weight: u32,
    assignees: &'static [&'static str],
    description: &'static str,
}

const COMPONENTS: [Component; 7] = [
    Component {
        key: "visual-identity",
        name: "Visual identity",
        kind: AssetKind::Graphic,
        weight: 120,
        assignees: &["ana", "kenji"],
        description: "Logo, palette and type for the relaunch; must work on packaging, the site and social.",
    },
    Component {
        key: "hero-animation",
        name: "Hero animation",
        kind: AssetKind::Animation,
        weight: 100,
        assignees: &["marco", "ana"],
        description: "A six-second loop for the home page hero, from bean to cup; under 2 MB at 24 fps.",
    },
    Component {
        key: "product-video",
        name: "Streaming product video",
        kind: AssetKind::Video,
        weight: 200,
        assignees: &["vera", "sam"],
        description: "A two-minute product film streamed over HLS from 360p to 1080p, captioned in English and Spanish.",
    },
    Component {
        key: "podcast-trailer",
        name: "Podcast trailer",
        kind: AssetKind::Audio,
        weight: 60,
        assignees: &["sam"],
        description: "A 30-second trailer for the “Roasted” podcast, mixed to -16 LUFS for streaming.",
    },
    Component {
        key: "web-pages",
        name: "Web pages",
        kind: AssetKind::WebPage,
        weight: 250,
        assignees: &["wen", "kenji"],
        description: "Home, shop, story and café pages: responsive, WCAG 2.2 AA, fast on a phone.",
    },
    Component {
        key: "product-database",
        name: "Product database",
        kind: AssetKind::DatabaseFeature,
        weight: 150,
        assignees: &["dario", "wen"],
        description: "Products, roasts and stock for the shop, searchable by origin and flavour.",
    },
    Component {
        key: "store-locator",
        name: "Store locator",
        kind: AssetKind::WebPage,
        weight: 80,
        assignees: &["wen", "dario"],
        description: "A map of cafés and stockists, fed by the product database.",
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Start,
    Resume,
    Submit,
    RequestChanges,
    Approve,
    Deliver,
}

impl Move {
    fn key(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Resume => "resume",
            Self::Submit => "submit",
            Self::RequestChanges => "request-changes",
            Self::Approve => "approve",
            Self::Deliver => "deliver",
        }
    }

    /// What the actor does, in a sentence: "submits Visual identity for review".
    fn sentence(self, asset: &str) -> String {
        match self {
            Self::Start => format!("starts work on {asset}"),
            Self::Resume => format!("picks up the feedback on {asset}"),
            Self::Submit => format!("submits {asset} for review"),
            Self::RequestChanges => format!("asks for changes to {asset}"),
            Self::Approve => format!("approves {asset}"),
            Self::Deliver => format!("delivers {asset} to {CLIENT}"),
        }
    }
}

struct Step {
    actor: &'static str,
    asset: &'static str,
    action: Move,
    comment: &'static str,
}

const fn step(actor: &'static str, asset: &'static str, action: Move, comment: &'static str) -> Step {
    Step { actor, asset, action, comment }
}

/// A few weeks of production, in order (the product video's review comes after, stage by stage).
const PLAY: [Step; 19] = [
    step("ana", "visual-identity", Move::Start, ""),
    step("dario", "product-database", Move::Start, ""),
    step("marco", "hero-animation", Move::Start, ""),
    step("ana", "visual-identity", Move::Submit, "First direction: three logo variants and a palette."),
    step("chloe", "visual-identity", Move::RequestChanges, "Warmer palette, please: closer to our packaging."),
    step("sam", "podcast-trailer", Move::Start, ""),
    step("ana", "visual-identity", Move::Resume, ""),
    step("dario", "product-database", Move::Submit, "Schema, import and search by origin are in place."),
    step("wen", "product-database", Move::Approve, "Indexes look right."),
    step("marco", "hero-animation", Move::Submit, "Six-second loop, 24 fps, 1.8 MB."),
    step("vera", "product-video", Move::Start, ""),
    step("ana", "visual-identity", Move::Submit, "Warmer palette applied across the kit."),
    step("chloe", "visual-identity", Move::Approve, "Love it: this is us."),
    step("paula", "visual-identity", Move::Deliver, "Brand kit sent to Northwind."),
    step("paula", "hero-animation", Move::Approve, ""),
    step("sam", "podcast-trailer", Move::Submit, "First mix of the trailer."),
    step("paula", "podcast-trailer", Move::RequestChanges, "Trim it to 30 seconds; the intro runs long."),
    step("paula", "product-database", Move::Deliver, "Live on staging for the shop team."),
    step("wen", "web-pages", Move::Start, ""),
];

/// The component reviewed in three stages, and the stages: title, reviewer, shown to the client.
const FILM: &str = "product-video";
const STAGES: [(&str, &str, bool); 3] =
    [("Lead", "ana", false), ("Producer", "paula", false), ("Client", "chloe", true)];

/// A cut of the film submitted for review: its loudness, and what the editor says of it.
struct Cut {
    number: u32,
    lufs: f64,
    note: &'static str,
}

const CUTS: [Cut; 2] = [
    Cut { number: 1, lufs: -9.0, note: "HLS ladder from 360p to 1080p, captions in English and Spanish." },
    Cut { number: 2, lufs: -14.0, note: "Logo larger from 00:12; remastered to -14 LUFS." },
];

/// What each reviewer of each cut says: the client's comment on cut 1 at 00:12–00:14 asks for
/// changes; every other verdict approves.
const CLIENT_COMMENT: &str = "The logo is too small here.";
const CLIENT_CHANGES: &str = "Bigger logo at 00:12, please, and it plays much louder than our other videos.";

/// The dependency: the store locator waits for the web pages.
const WAITING: (&str, &str) = ("store-locator", "web-pages");

/// Narration: stdout for people, stderr when stdout carries JSON.
struct Narrator {
    out: Out,
}

impl Narrator {
    fn say(&self, text: impl AsRef<str>) -> Result<(), CliError> {
        if self.out.json() {
            note(text);
            Ok(())
        } else {
            self.out.line(text)
        }
    }

    fn dim(&self, text: &str) -> String {
        if self.out.json() { text.to_string() } else { self.out.paint(text, "2") }
    }

    fn bold(&self, text: &str) -> String {
        if self.out.json() { text.to_string() } else { self.out.paint(text, "1") }
    }
}

/// The team's live notification feeds, merged into one channel.
struct Feeds {
    receiver: mpsc::UnboundedReceiver<Notification>,
    tasks: Vec<JoinHandle<()>>,
    /// Steps whose notifications did not all come in time.
    misses: u32,
}

impl Feeds {
    /// Opens a WatchNotifications stream for each person, acting as that person.
    async fn open(baton: &Baton, people: &[&Person]) -> Result<Self, CliError> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for person in people {
            let request = baton.request_as(
                &person.name,
                &[global_role(person.role)],
                WatchNotificationsRequest { recipient: person.name.clone() },
            );
            let mut stream = baton.notifications().watch_notifications(request).await?.into_inner();
            let sender = sender.clone();
            tasks.push(tokio::spawn(async move {
                while let Ok(Some(message)) = stream.message().await {
                    if let Some(notification) = message.notification
                        && sender.send(notification).is_err()
                    {
                        return;
                    }
                }
            }));
        }
        Ok(Self { receiver, tasks, misses: 0 })
    }

    /// Waits for `expected` notifications of `kind` (less patiently after repeated misses) and
    /// returns what came, of every kind, including stragglers of earlier steps.
    async fn collect(&mut self, kind: NotificationKind, expected: usize) -> Vec<Notification> {
        let patience = if self.misses >= MAX_MISSES { Duration::ZERO } else { PATIENCE };
        let deadline = tokio::time::Instant::now() + patience;
        let mut received = Vec::new();
        let mut counted = 0;
        while counted < expected {
            match tokio::time::timeout_at(deadline, self.receiver.recv()).await {
                Ok(Some(notification)) => {
                    counted += usize::from(notification.kind == kind as i32);
                    received.push(notification);
                }
                Ok(None) | Err(_) => break,
            }
        }
        if counted < expected {
            self.misses += 1;
        } else {
            self.misses = 0;
        }
        while let Ok(notification) = self.receiver.try_recv() {
            received.push(notification);
        }
        received
    }

    fn close(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// The demo's view of the production while it plays.
struct Production {
    /// People by the demo's key.
    people: HashMap<&'static str, Person>,
    /// Team order by person resource name, for stable output.
    order: HashMap<String, usize>,
    project: Project,
    /// Asset resource names by the demo's key.
    assets: HashMap<&'static str, String>,
    /// The newest update time seen per asset key, as (seconds, nanos).
    newest: HashMap<&'static str, (i64, i32)>,
}

impl Production {
    fn person(&self, key: &str) -> Result<&Person, CliError> {
        self.people.get(key).ok_or_else(|| CliError::Usage(format!("the demo has no person {key}")))
    }

    fn first_name(&self, person: &str) -> String {
        let display = self.people.values().find(|p| p.name == person).map(|p| p.display_name.as_str());
        display.and_then(|d| d.split_whitespace().next()).unwrap_or(person).to_string()
    }
}

fn time_of(asset: &Asset) -> (i64, i32) {
    asset.update_time.as_ref().map(|t| (t.seconds, t.nanos)).unwrap_or_default()
}

pub async fn run(baton: &Baton, out: &Out) -> Result<(), CliError> {
    let narrator = Narrator { out: *out };
    narrator.say(narrator.bold(&format!(
        "Baton demo: {CLIENT}'s {} on {}",
        PROJECT_TITLE.to_lowercase(),
        baton.endpoint
    )))?;

    let people = seed_people(baton, &narrator).await?;
    seed_client_digest(baton, &narrator, &people).await?;
    let team: Vec<&Person> = TEAM.iter().filter_map(|m| people.get(m.key)).collect();
    let mut feeds = Feeds::open(baton, &team).await?;
    narrator.say(narrator.dim(&format!("Opened live notification feeds for the {} team members.", team.len())))?;
    let order = team.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();

    let result = async {
        let project = seed_project(baton, &narrator, &people).await?;
        let mut production = Production { people, order, project, assets: HashMap::new(), newest: HashMap::new() };
        seed_brief(baton, &narrator, &production).await?;
        seed_team(baton, &narrator, &mut feeds, &production).await?;
        seed_allocations(baton, &narrator, &production).await?;
        seed_components(baton, &narrator, &mut production).await?;
        seed_milestones(baton, &narrator, &production).await?;
        let obstacle = raise_obstacle(baton, &narrator, &production).await?;
        play(baton, &narrator, &mut feeds, &mut production).await?;
        hold_back(baton, &narrator, &production).await?;
        review_film(baton, &narrator, &mut feeds, &mut production).await?;
        resolve_obstacle(baton, &narrator, &production, obstacle).await?;
        Ok::<_, CliError>(production)
    }
    .await;
    feeds.close();
    let production = result?;

    narrator.say("")?;
    let report = Report::load(baton, &production.project.name).await?;
    status::print(out, &report)?;
    if !out.json() {
        let producer = production.person(PRODUCER)?.email.clone();
        let client = production.person("chloe")?.email.clone();
        narrator.say("")?;
        narrator.say(narrator.bold("Try it"))?;
        narrator.say(format!("  baton notifications watch --person {producer}       # in a second terminal"))?;
        narrator.say(format!(
            "  baton reviews show \"Streaming product video\" --project \"{PROJECT_TITLE}\" --number 1"
        ))?;
        narrator.say(format!(
            "  baton quality show \"Streaming product video\" --project \"{PROJECT_TITLE}\" --number 1"
        ))?;
        narrator.say(format!(
            "  baton comments list \"Streaming product video\" --project \"{PROJECT_TITLE}\" --as {client}"
        ))?;
        narrator.say(format!("  baton status \"{PROJECT_TITLE}\""))?;
    }
    Ok(())
}

/// The client's contact is not told of every step: her inbox is muted and the day's news (what
/// is shown to clients) comes in one email at 08:00, where the server sends email.
async fn seed_client_digest(
    baton: &Baton,
    narrator: &Narrator,
    people: &HashMap<&'static str, Person>,
) -> Result<(), CliError> {
    let Some(client) = people.get(CLIENT_CONTACT) else { return Ok(()) };
    let choice = |channel: NotificationChannel, cadence: Cadence| ChannelPreference {
        channel: channel as i32,
        kind: NotificationKind::Unspecified as i32,
        project: String::new(),
        cadence: cadence as i32,
    };
    let wanted = vec![
        choice(NotificationChannel::Inbox, Cadence::Muted),
        choice(NotificationChannel::Email, Cadence::DailyDigest),
    ];
    let roles = [global_role(client.role)];
    let name = format!("{}/notificationPreferences", client.name);
    let request = GetNotificationPreferencesRequest { name: name.clone() };
    let current =
        baton.notifications().get_notification_preferences(baton.request_as(&client.name, &roles, request)).await?;
    let what = if current.into_inner().preferences.is_some_and(|p| p.preferences == wanted) {
        "already"
    } else {
        let request = UpdateNotificationPreferencesRequest {
            preferences: Some(NotificationPreferences { name, preferences: wanted, ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["preferences".into()] }),
        };
        baton.notifications().update_notification_preferences(baton.request_as(&client.name, &roles, request)).await?;
        "now"
    };
    narrator.say(narrator.dim(&format!(
        "{} {what} hears of the production in a daily email digest at 08:00, not step by step.",
        client.display_name
    )))
}

/// Finds each team member by email, or creates them.
async fn seed_people(baton: &Baton, narrator: &Narrator) -> Result<HashMap<&'static str, Person>, CliError> {
    narrator.say(narrator.bold("People"))?;
    let existing = baton.all_people("").await?;
    let mut people = HashMap::new();
    for (index, member) in TEAM.iter().enumerate() {
        let found = existing.iter().find(|p| p.email.eq_ignore_ascii_case(member.email)).cloned();
        let (person, what) = match found {
            Some(person) => (person, "already here"),
            None => {
                let capacity = CAPACITY.iter().find(|c| c.0 == member.key);
                let request = CreatePersonRequest {
                    person: Some(Person {
                        display_name: member.name.into(),
                        email: member.email.into(),
                        role: member.role as i32,
                        skills: capacity
                            .map(|c| Skill { discipline: c.1 as i32, level: c.2 as i32 })
                            .into_iter()
                            .collect(),
                        weekly_hours: capacity.map(|c| c.3),
                        ..Default::default()
                    }),
                    request_id: request_id(&format!("person/{}", member.key)),
                };
                let person = baton.people().create_person(request).await?.into_inner().person.unwrap_or_default();
                (person, "added")
            }
        };
        narrator.say(format!(
            "  [{}/{}] {:<15} {:<18} {:<31} {}",
            index + 1,
            TEAM.len(),
            person.display_name,
            PersonRoleArg::text(person.role),
            person.email,
            narrator.dim(what)
        ))?;
        people.insert(member.key, person);
    }
    Ok(people)
}

/// The client, with its contact, created once (the same request id every run).
async fn seed_client(
    baton: &Baton,
    narrator: &Narrator,
    people: &HashMap<&'static str, Person>,
    producer: &str,
) -> Result<Client, CliError> {
    let contacts = people
        .get(CLIENT_CONTACT)
        .map(|p| ClientContact { person: p.name.clone(), title: CLIENT_CONTACT_TITLE.into() })
        .into_iter()
        .collect();
    let request = CreateClientRequest {
        client: Some(Client {
            display_name: CLIENT.into(),
            industry: CLIENT_INDUSTRY.into(),
            contacts,
            ..Default::default()
        }),
        request_id: request_id("client"),
    };
    let before = baton.all_clients().await?;
    let created = baton.projects().create_client(baton.request_as(producer, &[GlobalRole::Producer], request)).await;
    let (client, what) = match created {
        Ok(response) => {
            let client = response.into_inner().client.unwrap_or_default();
            let what = if before.iter().any(|c| c.name == client.name) { "already here" } else { "created" };
            (client, what)
        }
        // A client of that name made otherwise (not by an earlier demo) is the one to use.
        Err(status) if status.code() == tonic::Code::AlreadyExists => {
            let name = baton.resolve_client(CLIENT).await?;
            let request = GetClientRequest { name };
            let found =
                baton.projects().get_client(baton.request_as(producer, &[GlobalRole::Producer], request)).await?;
            (found.into_inner().client.unwrap_or_default(), "already here")
        }
        Err(status) => return Err(status.into()),
    };
    narrator.say(format!(
        "{} {} ({}), contact {}: {} {}",
        narrator.bold("Client"),
        client.display_name,
        client.industry,
        client
            .contacts
            .first()
            .and_then(|c| people.values().find(|p| p.name == c.person))
            .map_or("none", |p| p.display_name.as_str()),
        narrator.dim(what),
        narrator.dim(&format!("({})", client.name))
    ))?;
    Ok(client)
}

async fn seed_project(
    baton: &Baton,
    narrator: &Narrator,
    people: &HashMap<&'static str, Person>,
) -> Result<Project, CliError> {
    let producer = people.get(PRODUCER).map(|p| p.name.clone()).unwrap_or_default();
    let client = seed_client(baton, narrator, people, &producer).await?;
    let before = baton.all_projects().await?;
    let request = CreateProjectRequest {
        project: Some(Project {
            display_name: PROJECT_TITLE.into(),
            client: client.name.clone(),
            brief: BRIEF.into(),
            due_date: DUE.into(),
            ..Default::default()
        }),
        request_id: request_id("project"),
    };
    let response =
        baton.projects().create_project(baton.request_as(&producer, &[GlobalRole::Producer], request)).await?;
    let project = response.into_inner().project.unwrap_or_default();
    let what = if before.iter().any(|p| p.name == project.name) { "already here" } else { "created" };
    narrator.say(format!(
        "{} “{}” for {}, due {}: {} {}",
        narrator.bold("Project"),
        project.display_name,
        client.display_name,
        project.due_date,
        narrator.dim(what),
        narrator.dim(&format!("({})", project.name))
    ))?;
    Ok(project)
}

/// The producer's request, as the producer.
fn as_producer<T>(baton: &Baton, production: &Production, message: T) -> Result<tonic::Request<T>, CliError> {
    let producer = production.person(PRODUCER)?.name.clone();
    Ok(baton.request_as(&producer, &[GlobalRole::Producer], message))
}

/// The brief agreed with the client: its objectives with key results, requirements, budget and
/// strategy (one revision, however often the demo runs).
async fn seed_brief(baton: &Baton, narrator: &Narrator, production: &Production) -> Result<(), CliError> {
    let objective = |title: &str, metric: &str, current: f64, target: f64, unit: &str| Objective {
        title: title.into(),
        key_result: Some(KeyResult { metric: metric.into(), target, current, unit: unit.into() }),
    };
    let brief = Brief {
        name: format!("{}/brief", production.project.name),
        problem: "Online orders are flat while the cafés are full: the site sells the beans, not the coffee.".into(),
        audience: "Commuters who order ahead, and regulars who buy beans for home.".into(),
        objectives: vec![
            objective("More online orders", "online orders per week", 800.0, 1200.0, "orders"),
            objective("Faster ordering", "median time to order", 95.0, 30.0, "seconds"),
        ],
        requirements: vec!["Order ahead in two taps".into(), "A streaming video of the roast".into()],
        acceptance_criteria: vec!["Largest contentful paint under 2.5 s on a mid-range phone".into()],
        constraints: vec!["Live before the spring roast".into()],
        budget: Some(Money { currency_code: "EUR".into(), units: 48_000, nanos: 0 }),
        strategy: "Lead with ordering ahead; the story of the roast carries the brand.".into(),
        ..Default::default()
    };
    let request = UpdateBriefRequest { brief: Some(brief), update_mask: None, request_id: request_id("brief") };
    let brief = baton.projects().update_brief(as_producer(baton, production, request)?).await?.into_inner().brief;
    let brief = brief.unwrap_or_default();
    let objectives: Vec<String> = brief
        .objectives
        .iter()
        .map(|o| {
            let kr = o.key_result.clone().unwrap_or_default();
            format!("{} ({} → {} {})", o.title, kr.current, kr.target, kr.unit)
        })
        .collect();
    let budget = brief.budget.map(|m| format!("{} {}", m.currency_code, m.units)).unwrap_or_default();
    narrator.say(format!(
        "{} {}; budget {budget} {}",
        narrator.bold("Brief"),
        objectives.join(", "),
        narrator.dim(&format!("(revision {})", brief.revision))
    ))?;
    Ok(())
}

/// The plan's milestones: each with the components it needs.
async fn seed_milestones(baton: &Baton, narrator: &Narrator, production: &Production) -> Result<(), CliError> {
    narrator.say(narrator.bold("Milestones"))?;
    for (title, due, components) in MILESTONES {
        let components = components.iter().filter_map(|key| production.assets.get(key).cloned()).collect();
        let milestone = Milestone { title: (*title).into(), due_date: (*due).into(), components, ..Default::default() };
        let request = CreateMilestoneRequest {
            parent: production.project.name.clone(),
            milestone: Some(milestone),
            request_id: request_id(&format!("milestone/{title}")),
        };
        let created = baton.projects().create_milestone(as_producer(baton, production, request)?).await?;
        let created = created.into_inner().milestone.unwrap_or_default();
        narrator.say(format!(
            "  {:<24} due {}  {} of {} components done",
            created.title,
            created.due_date,
            created.done_components,
            created.components.len()
        ))?;
    }
    Ok(())
}

/// The project's health now, in a line.
async fn say_health(baton: &Baton, narrator: &Narrator, production: &Production) -> Result<(), CliError> {
    let request = GetProjectHealthRequest { name: format!("{}/health", production.project.name) };
    let health = baton.projects().get_project_health(as_producer(baton, production, request)?).await?.into_inner();
    let health = health.health.unwrap_or_default();
    let state = crate::status::health_word(health.state);
    let reasons: Vec<&str> = health.reasons.iter().map(|r| r.message.as_str()).collect();
    let why = if reasons.is_empty() { String::new() } else { format!(": {}", reasons.join("; ")) };
    narrator.say(format!("  {} {state}{why}", narrator.bold("Health")))?;
    Ok(())
}

/// The music of the podcast trailer is not cleared: a high risk, so the project is at risk.
async fn raise_obstacle(baton: &Baton, narrator: &Narrator, production: &Production) -> Result<Obstacle, CliError> {
    let sam = production.person("sam")?.name.clone();
    let obstacle = Obstacle {
        title: OBSTACLE.into(),
        description: "The trailer's music is from a library whose licence does not cover streaming.".into(),
        kind: ObstacleKind::Risk as i32,
        severity: ObstacleSeverity::High as i32,
        component: production.assets.get("podcast-trailer").cloned().unwrap_or_default(),
        owner: sam,
        ..Default::default()
    };
    let request = RaiseObstacleRequest {
        parent: production.project.name.clone(),
        obstacle: Some(obstacle),
        request_id: request_id("obstacle/raise"),
    };
    let raised = baton.projects().raise_obstacle(as_producer(baton, production, request)?).await?.into_inner();
    let raised = raised.obstacle.unwrap_or_default();
    narrator.say(format!(
        "{} {} {}",
        narrator.bold("Obstacle"),
        raised.title,
        narrator.dim("(high risk, owned by Sam Okafor)")
    ))?;
    say_health(baton, narrator, production).await?;
    Ok(raised)
}

/// The licence is bought: the obstacle is resolved and the project back on track.
async fn resolve_obstacle(
    baton: &Baton,
    narrator: &Narrator,
    production: &Production,
    obstacle: Obstacle,
) -> Result<(), CliError> {
    let request = ResolveObstacleRequest {
        name: obstacle.name,
        resolution: "Licence for streaming bought from the library.".into(),
        etag: String::new(),
        request_id: request_id("obstacle/resolve"),
    };
    match baton.projects().resolve_obstacle(as_producer(baton, production, request)?).await {
        Ok(resolved) => {
            let resolved = resolved.into_inner().obstacle.unwrap_or_default();
            narrator.say(format!("{} {}: {}", narrator.bold("Resolved"), resolved.title, resolved.resolution))?;
        }
        // Resolved by hand since an earlier run.
        Err(status) if status.code() == Code::FailedPrecondition => {
            narrator.say(narrator.dim(&format!("Obstacle {OBSTACLE}: resolved before")))?;
        }
        Err(status) => return Err(status.into()),
    }
    say_health(baton, narrator, production).await
}

async fn seed_team(
    baton: &Baton,
    narrator: &Narrator,
    feeds: &mut Feeds,
    production: &Production,
) -> Result<(), CliError> {
    narrator.say(narrator.bold("Team"))?;
    let producer = production.person(PRODUCER)?.name.clone();
    let project = &production.project.name;
    let members = baton.all_members(project).await?;
    for (index, member) in TEAM.iter().enumerate() {
        let person = production.person(member.key)?;
        let position = format!("[{}/{}]", index + 1, TEAM.len());
        let role = MemberRoleArg::text(member.team_role as i32);
        if let Some(existing) = members.iter().find(|m| m.person == person.name) {
            let role = MemberRoleArg::text(existing.role);
            let line = format!("  {position} {} is already on the team as {role}", person.display_name);
            narrator.say(line)?;
            continue;
        }
        let request = AddProjectMemberRequest {
            parent: project.clone(),
            member: Some(ProjectMember {
                person: person.name.clone(),
                role: member.team_role as i32,
                ..Default::default()
            }),
            request_id: request_id(&format!("member/{}", member.key)),
        };
        match baton.projects().add_project_member(baton.request_as(&producer, &[GlobalRole::Producer], request)).await {
            Ok(_) => {}
            // Someone added them meanwhile: they are on the team, which is what the demo wants.
            Err(status) if status.code() == Code::AlreadyExists => {}
            Err(status) => return Err(status.into()),
        }
        let producer_name = &production.person(PRODUCER)?.display_name;
        narrator.say(if member.key == PRODUCER {
            format!("  {position} {producer_name} joins the team as {role}")
        } else {
            format!("  {position} {producer_name} adds {} to the team as {role}", person.display_name)
        })?;
        // The producer who adds herself is not told of her own action; the client's inbox is
        // muted (her digest tells her).
        let told = usize::from(member.key != PRODUCER && member.key != CLIENT_CONTACT);
        let received = feeds.collect(NotificationKind::ProjectMemberAdded, told).await;
        announce(narrator, production, &received)?;
    }
    Ok(())
}

/// Gives each of the agency's people their hours a week on the relaunch, from this week on,
/// unless they have them already.
async fn seed_allocations(baton: &Baton, narrator: &Narrator, production: &Production) -> Result<(), CliError> {
    narrator.say(narrator.bold("Allocations"))?;
    let this_week = crate::cli::RangeArgs { from: None, to: None };
    let (monday, _) = crate::commands::people::range_of(&this_week, 6)?;
    let last = monday + time::Duration::days(7 * ALLOCATED_WEEKS - 1);
    let project = &production.project.name;
    let hours = crate::commands::people::hours;
    for (key, _, _, _, per_week) in CAPACITY {
        let person = production.person(key)?;
        let filter = format!("project = \"{project}\" AND end_date >= {monday}");
        let request = ListAllocationsRequest { parent: person.name.clone(), filter, ..Default::default() };
        let current = baton.people().list_allocations(baton.request(request)).await?.into_inner().allocations;
        if let Some(allocation) = current.first() {
            let line = format!(
                "  {:<15} {} h a week until {}",
                person.display_name,
                hours(allocation.hours_per_week),
                allocation.end_date
            );
            narrator.say(format!("{line} {}", narrator.dim("already allocated")))?;
            continue;
        }
        let request = CreateAllocationRequest {
            parent: person.name.clone(),
            allocation: Some(Allocation {
                project: project.clone(),
                hours_per_week: per_week,
                start_date: monday.to_string(),
                end_date: last.to_string(),
                note: "Website relaunch".into(),
                ..Default::default()
            }),
            request_id: request_id(&format!("allocation/{key}/{monday}")),
        };
        let made = baton.people().create_allocation(as_producer(baton, production, request)?).await?.into_inner();
        let after = made.person.unwrap_or_default();
        let mut line = format!(
            "  {:<15} {} h a week until {}, of {} h",
            person.display_name,
            hours(per_week),
            last,
            hours(after.weekly_hours.unwrap_or_default())
        );
        if after.over_allocated {
            line.push_str(&narrator.out.paint(" — over-allocated", "31"));
        }
        narrator.say(line)?;
    }
    Ok(())
}

async fn seed_components(baton: &Baton, narrator: &Narrator, production: &mut Production) -> Result<(), CliError> {
    narrator.say(narrator.bold("Components"))?;
    let producer = production.person(PRODUCER)?.name.clone();
    let project = production.project.name.clone();
    let before = baton.all_assets(&project).await?;
    for (index, component) in COMPONENTS.iter().enumerate() {
        let mut assignees = Vec::new();
        for key in component.assignees {
            assignees.push(production.person(key)?.name.clone());
        }
        let request = CreateAssetRequest {
            parent: project.clone(),
            asset: Some(Asset {
                display_name: component.name.into(),
                description: component.description.into(),
                kind: component.kind as i32,
                assignees: assignees.clone(),
                weight: component.weight,
                ..Default::default()
            }),
            request_id: request_id(&format!("asset/{}", component.key)),
        };
        let created = baton
            .assets()
            .create_asset(baton.request_as(&producer, &[GlobalRole::Producer], request))
            .await?
            .into_inner()
            .asset;
        let created = created.unwrap_or_default();
        // A replayed create answers with the asset as it was first created; the list has it now.
        let (current, what) = match before.iter().find(|a| a.name == created.name) {
            Some(current) => (current.clone(), "already here"),
            None => (created, "planned"),
        };
        let names: Vec<String> = assignees
            .iter()
            .map(|p| {
                production.people.values().find(|x| &x.name == p).map(|x| x.display_name.clone()).unwrap_or_default()
            })
            .collect();
        narrator.say(format!(
            "  [{}/{}] {:<24} {:<17} weight {:>3}  {:<28} {}",
            index + 1,
            COMPONENTS.len(),
            component.name,
            AssetKindArg::text(component.kind as i32),
            component.weight,
            names.join(", "),
            narrator.dim(what)
        ))?;
        production.newest.insert(component.key, time_of(&current));
        production.assets.insert(component.key, current.name);
    }
    Ok(())
}

async fn play(
    baton: &Baton,
    narrator: &Narrator,
    feeds: &mut Feeds,
    production: &mut Production,
) -> Result<(), CliError> {
    narrator.say(format!(
        "{} {}",
        narrator.bold("Production"),
        narrator.dim("(→ who is notified, as their live feeds receive it)")
    ))?;
    let mut new_steps = 0;
    for (index, step) in PLAY.iter().enumerate() {
        let actor = production.person(step.actor)?.clone();
        let asset = production.assets.get(step.asset).cloned().unwrap_or_default();
        let title = COMPONENTS.iter().find(|c| c.key == step.asset).map(|c| c.name).unwrap_or(step.asset);
        let id = request_id(&format!("step/{index:02}/{}/{}", step.asset, step.action.key()));
        let mut line =
            format!("  [{:>2}/{}] {} {}", index + 1, PLAY.len(), actor.display_name, step.action.sentence(title));
        if !step.comment.is_empty() {
            line.push_str(&format!(": “{}”", step.comment));
        }
        match transition(baton, &actor, &asset, step, id).await {
            Ok(after) => {
                if moved(narrator, feeds, production, step.asset, &actor, after, line).await? {
                    new_steps += 1;
                }
            }
            // Someone moved the asset by hand since an earlier run: leave it where it is.
            Err(status) if status.code() == Code::FailedPrecondition => {
                narrator.say(format!("{line} {}", narrator.dim(&format!("(skipped: {})", status.message()))))?;
            }
            Err(status) => return Err(status.into()),
        }
    }
    if new_steps == 0 {
        narrator.say(narrator.dim("  Nothing new: this production was already played out on this server."))?;
    }
    Ok(())
}

/// The producer makes one component wait for another (finish-to-start), and its maker finds it
/// cannot start yet.
async fn hold_back(baton: &Baton, narrator: &Narrator, production: &Production) -> Result<(), CliError> {
    narrator.say(narrator.bold("Dependencies"))?;
    let (waiting, blocker) = WAITING;
    let name = |key: &str| production.assets.get(key).cloned().unwrap_or_default();
    let title = |key: &'static str| COMPONENTS.iter().find(|c| c.key == key).map_or(key, |c| c.name);
    let producer = production.person(PRODUCER)?;
    let request = UpdateAssetRequest {
        asset: Some(Asset { name: name(waiting), blocked_by: vec![name(blocker)], ..Default::default() }),
        update_mask: Some(prost_types::FieldMask { paths: vec!["blocked_by".into()] }),
        request_id: request_id(&format!("blocked-by/{waiting}/{blocker}")),
    };
    baton.assets().update_asset(baton.request_as(&producer.name, &[GlobalRole::Producer], request)).await?;
    narrator.say(format!(
        "  {} makes the {} wait for the {} to be approved",
        producer.display_name,
        title(waiting),
        title(blocker)
    ))?;
    // Whoever makes it tries to start too soon (not a write: repeatable as it is).
    let maker = COMPONENTS.iter().find(|c| c.key == waiting).and_then(|c| c.assignees.last()).copied();
    let maker = production.person(maker.unwrap_or(PRODUCER))?;
    let request = StartAssetRequest {
        name: name(waiting),
        etag: String::new(),
        request_id: request_id(&format!("step/try-start/{waiting}")),
    };
    let tried = baton.assets().start_asset(baton.request_as(&maker.name, &[global_role(maker.role)], request)).await;
    let outcome = match tried {
        Err(status) if status.code() == Code::FailedPrecondition => {
            use tonic_types::StatusExt;
            let reason = status.get_error_details().error_info().map(|info| info.reason.clone()).unwrap_or_default();
            if reason == "ASSET_BLOCKED" {
                format!("refused ({reason}): it waits for the {}", title(blocker))
            } else {
                format!("refused: {}", status.message())
            }
        }
        Err(status) => return Err(status.into()),
        Ok(_) => "started: what it waits for is done".to_string(),
    };
    narrator.say(format!("  {} tries to start the {}: {}", maker.display_name, title(waiting), outcome))
}

/// The film's review in three stages — lead, producer, client — over two cuts: the client asks
/// for changes on a moment of cut 1, whose loudness also fails its check; cut 2 fixes both and
/// is approved.
async fn review_film(
    baton: &Baton,
    narrator: &Narrator,
    feeds: &mut Feeds,
    production: &mut Production,
) -> Result<(), CliError> {
    narrator.say(format!(
        "{} {}",
        narrator.bold("Review of the streaming product video"),
        narrator.dim("(lead → producer → client; → who is notified)")
    ))?;
    let film = production.assets.get(FILM).cloned().unwrap_or_default();
    let editor = production.person("vera")?.clone();
    let mut stages = Vec::with_capacity(STAGES.len());
    for (title, reviewer, client_visible) in STAGES {
        stages.push(ReviewStage {
            title: title.into(),
            reviewers: vec![production.person(reviewer)?.name.clone()],
            rule: ReviewRule::All as i32,
            client_visible,
            ..Default::default()
        });
    }
    for cut in &CUTS {
        if cut.number > 1 {
            let request = StartAssetRequest {
                name: film.clone(),
                etag: String::new(),
                request_id: request_id(&format!("review/{FILM}/v{}/start", cut.number)),
            };
            let started = baton
                .assets()
                .start_asset(baton.request_as(&editor.name, &[global_role(editor.role)], request))
                .await?;
            let line = format!("  {} picks up the client's feedback", editor.display_name);
            moved(narrator, feeds, production, FILM, &editor, started.into_inner().asset.unwrap_or_default(), line)
                .await?;
        }
        let request = SubmitVersionRequest {
            parent: film.clone(),
            version: Some(Version {
                files: vec![cut_file(cut)],
                note: cut.note.into(),
                client_visible: true,
                measurements: vec![Measurement {
                    check: "captions".into(),
                    value: Some(measurement::Value::Flag(true)),
                }],
                ..Default::default()
            }),
            stages: stages.clone(),
            request_id: request_id(&format!("review/{FILM}/v{}/submit", cut.number)),
        };
        let submitted = baton
            .assets()
            .submit_version(baton.request_as(&editor.name, &[global_role(editor.role)], request))
            .await?
            .into_inner();
        let version = submitted.version.unwrap_or_default();
        let review = submitted.review.unwrap_or_default().name;
        let line = format!("  {} submits cut {} for review: “{}”", editor.display_name, cut.number, cut.note);
        moved(narrator, feeds, production, FILM, &editor, submitted.asset.unwrap_or_default(), line).await?;
        narrator.say(format!("          {}", narrator.dim(&quality_words(&version))))?;
        for (title, reviewer, _) in STAGES {
            let person = production.person(reviewer)?.clone();
            let asks = cut.number == 1 && reviewer == CLIENT_CONTACT;
            if asks {
                let comment = CreateCommentRequest {
                    parent: film.clone(),
                    comment: Some(Comment {
                        body: CLIENT_COMMENT.into(),
                        version: version.name.clone(),
                        anchor: Some(Anchor { start_seconds: Some(12.0), end_seconds: Some(14.0), region: None }),
                        client_visible: true,
                        ..Default::default()
                    }),
                    request_id: request_id(&format!("review/{FILM}/v{}/comment", cut.number)),
                };
                baton
                    .assets()
                    .create_comment(baton.request_as(&person.name, &[global_role(person.role)], comment))
                    .await?;
                narrator.say(format!(
                    "  {} comments on cut {} at 00:12–00:14: “{CLIENT_COMMENT}”",
                    person.display_name, cut.number
                ))?;
            }
            let (verdict, comment, words) = if asks {
                (Verdict::RequestChanges, CLIENT_CHANGES, "asks for changes")
            } else {
                (Verdict::Approve, "", "approves")
            };
            let request = DecideReviewRequest {
                name: review.clone(),
                verdict: verdict as i32,
                comment: comment.into(),
                request_id: request_id(&format!("review/{FILM}/v{}/{}", cut.number, title.to_lowercase())),
            };
            let decided = baton
                .assets()
                .decide_review(baton.request_as(&person.name, &[global_role(person.role)], request))
                .await?
                .into_inner();
            let mut line = format!("  {} ({title}) {words}", person.display_name);
            if !comment.is_empty() {
                line.push_str(&format!(": “{comment}”"));
            }
            let asset = decided.asset.unwrap_or_default();
            let ended = decided.review.is_some_and(|r| r.state != ReviewState::Open as i32);
            if ended {
                line.push_str(&format!(" — cut {} {}", cut.number, crate::cli::AssetStatusWord::text(asset.status)));
                moved(narrator, feeds, production, FILM, &person, asset, line).await?;
            } else {
                narrator.say(line)?;
            }
            if asks {
                break;
            }
        }
    }
    Ok(())
}

/// Says `line` and, when the asset (the demo's `key`) moved past what the demo saw of it, prints
/// who the team's feeds told and returns true; a replayed step is marked as done before.
async fn moved(
    narrator: &Narrator,
    feeds: &mut Feeds,
    production: &mut Production,
    key: &'static str,
    actor: &Person,
    asset: Asset,
    line: String,
) -> Result<bool, CliError> {
    let newest = production.newest.entry(key).or_default();
    if time_of(&asset) <= *newest {
        narrator.say(format!("{line} {}", narrator.dim("(done before)")))?;
        return Ok(false);
    }
    *newest = time_of(&asset);
    narrator.say(line)?;
    // The team but the person who acted and the client contact, whose digest tells her (of what
    // is shown to her) instead of her inbox.
    let kept_out = TEAM
        .iter()
        .filter(|m| m.team_role == ProjectMemberRole::Client)
        .filter(|m| production.people.get(m.key).is_some_and(|p| p.name != actor.name))
        .count();
    let expected = production.order.len() - usize::from(production.order.contains_key(&actor.name)) - kept_out;
    let received = feeds.collect(NotificationKind::AssetStatusChanged, expected).await;
    announce(narrator, production, &received)?;
    Ok(true)
}

/// A cut's file: Full HD at 25 fps, two minutes, at the cut's loudness.
fn cut_file(cut: &Cut) -> VersionFile {
    VersionFile {
        uri: format!("s3://northwind-relaunch/product-video/cut-{}.mp4", cut.number),
        sha256: format!("{:064x}", 0xc0ffee_u64 * u64::from(cut.number)),
        size_bytes: 734_003_200,
        mime_type: "video/mp4".into(),
        media: Some(MediaInfo {
            width: Some(1920),
            height: Some(1080),
            duration_seconds: Some(120.0),
            frame_rate: Some(25.0),
            bitrate_kbps: Some(6_000),
            loudness_lufs: Some(cut.lufs),
        }),
    }
}

/// "quality: 4 of 5 checks passed; Integrated loudness failed (-9 LUFS, target -15 to -13 LUFS)".
fn quality_words(version: &Version) -> String {
    let report = version.quality.clone().unwrap_or_default();
    let failed: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.outcome == CheckOutcome::Failed as i32)
        .map(|r| {
            let check = r.check.clone().unwrap_or_default();
            let measured = match r.measured.as_ref().and_then(|m| m.value.as_ref()) {
                Some(measurement::Value::Number(n)) => format!("{n} {}", check.unit),
                _ => "?".into(),
            };
            format!(
                "{} failed ({}, target {})",
                check.title,
                measured.trim(),
                crate::commands::quality::target_words(&check)
            )
        })
        .collect();
    let passed = format!("quality: {} of {} checks passed", report.passed, report.results.len());
    if failed.is_empty() { passed } else { format!("{passed}; {}", failed.join("; ")) }
}

async fn transition(
    baton: &Baton,
    actor: &Person,
    name: &str,
    step: &Step,
    request_id: String,
) -> Result<Asset, Status> {
    let mut assets = baton.assets();
    let name = name.to_string();
    let comment = step.comment.to_string();
    let asset = match step.action {
        Move::Start | Move::Resume => {
            let request = StartAssetRequest { name, etag: String::new(), request_id };
            assets
                .start_asset(baton.request_as(&actor.name, &[global_role(actor.role)], request))
                .await?
                .into_inner()
                .asset
        }
        Move::Submit => {
            let request = SubmitAssetForReviewRequest { name, etag: String::new(), comment, request_id };
            assets
                .submit_asset_for_review(baton.request_as(&actor.name, &[global_role(actor.role)], request))
                .await?
                .into_inner()
                .asset
        }
        Move::RequestChanges => {
            let request = RequestAssetChangesRequest { name, etag: String::new(), comment, request_id };
            assets
                .request_asset_changes(baton.request_as(&actor.name, &[global_role(actor.role)], request))
                .await?
                .into_inner()
                .asset
        }
        Move::Approve => {
            let request = ApproveAssetRequest { name, etag: String::new(), comment, request_id };
            assets
                .approve_asset(baton.request_as(&actor.name, &[global_role(actor.role)], request))
                .await?
                .into_inner()
                .asset
        }
        Move::Deliver => {
            let request = DeliverAssetRequest { name, etag: String::new(), comment, request_id };
            assets
                .deliver_asset(baton.request_as(&actor.name, &[global_role(actor.role)], request))
                .await?
                .into_inner()
                .asset
        }
    };
    Ok(asset.unwrap_or_default())
}

/// Prints the notifications the team received: JSON, one per line; or for people, one line per
/// message with everyone who got it.
fn announce(narrator: &Narrator, production: &Production, received: &[Notification]) -> Result<(), CliError> {
    if narrator.out.json() {
        for notification in received {
            narrator.out.json_line(&json::notification(notification))?;
        }
        return Ok(());
    }
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for notification in received {
        match groups.iter_mut().find(|(title, _)| *title == notification.title) {
            Some((_, recipients)) => recipients.push(&notification.recipient),
            None => groups.push((&notification.title, vec![&notification.recipient])),
        }
    }
    for (title, mut recipients) in groups {
        recipients.sort_by_key(|r| production.order.get(*r).copied().unwrap_or(usize::MAX));
        let names: Vec<String> = recipients.iter().map(|r| production.first_name(r)).collect();
        narrator.say(format!("          {} “{title}”", narrator.dim(&format!("→ {}:", names.join(", ")))))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_stable_and_distinct() {
        assert_eq!(request_id("project"), request_id("project"));
        assert_ne!(request_id("project"), request_id("asset/hero-animation"));
        assert_eq!(Uuid::parse_str(&request_id("project")).map(|u| u.get_version_num()), Ok(5));
    }

    #[test]
    fn the_play_refers_to_known_people_and_components() {
        for step in &PLAY {
            assert!(TEAM.iter().any(|m| m.key == step.actor), "{}", step.actor);
            assert!(COMPONENTS.iter().any(|c| c.key == step.asset), "{}", step.asset);
        }
        for component in &COMPONENTS {
            assert!(component.assignees.iter().all(|a| TEAM.iter().any(|m| m.key == *a)));
            assert!((1..=1000).contains(&component.weight));
        }
        // Every agency member has their capacity, the client's contact none.
        for member in &TEAM {
            let has = CAPACITY.iter().any(|c| c.0 == member.key);
            assert_eq!(has, member.role != PersonRole::ClientContact, "{}", member.key);
        }
    }
}
