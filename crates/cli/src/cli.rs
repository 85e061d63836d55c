//! The command line: global options, one subcommand per resource and action.

use clap::{Args, Parser, Subcommand, ValueEnum};

use baton_proto::assets::v1::{AssetKind, AssetStatus};
use baton_proto::notifications::v1::{Cadence, NotificationChannel, WebhookFormat};
use baton_proto::people::v1::{Department, Discipline, PersonRole, SkillLevel};
use baton_proto::projects::v1::ProjectMemberRole;

use crate::error::EXIT_CODES_HELP;

/// The local server that `scripts/run` starts.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:50051";

const REFERENCES_HELP: &str = "\
Naming things:
  PERSON   people/{id}, the bare id, an email address or an exact display name
  PROJECT  projects/{id}, the bare id, or an exact project title
  ASSET    projects/{p}/assets/{a}; or the bare id or exact title together with --project";

/// Baton's command-line tool: people, projects, their components and the review workflow,
/// notifications, and the producer's status view. Talks to a Baton server over gRPC.
#[derive(Debug, Parser)]
#[command(
    name = "baton",
    version,
    about,
    after_help = format!("{REFERENCES_HELP}\n\n{EXIT_CODES_HELP}"),
    propagate_version = true
)]
pub struct Cli {
    /// The Baton server's gRPC endpoint.
    #[arg(long, env = "BATON_ENDPOINT", default_value = DEFAULT_ENDPOINT, global = true, value_name = "URL")]
    pub endpoint: String,
    /// How to print results: tables for people, JSON for scripts (one object per line for lists
    /// and streams).
    #[arg(long, short, value_enum, default_value_t = Format::Table, global = true)]
    pub output: Format,
    /// Your bearer token from the identity provider, sent on every call. Without one, the tool
    /// signs development tokens, which only a server in development mode accepts.
    #[arg(long, env = "BATON_TOKEN", global = true, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The person you act as (an email, a name or people/{id}). Without --token the tool signs a
    /// development token for them; with one, it must be the token's own person.
    #[arg(long = "as", env = "BATON_AS", global = true, value_name = "PERSON")]
    pub actor: Option<String>,
    /// The secret development tokens are signed with (a development server's
    /// `auth.development_secret`).
    #[arg(long, env = "BATON_DEV_SECRET", global = true, hide = true, hide_env_values = true,
          default_value = baton_auth::DEVELOPMENT_SECRET, hide_default_value = true)]
    pub dev_secret: String,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// TLS to an `https://` endpoint.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// The CA bundle (PEM) that verifies an https:// server; without it, the system's roots.
    #[arg(long, env = "BATON_CA_FILE", global = true, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Your client certificate (PEM), for a server that asks every client for one.
    #[arg(long, env = "BATON_CERT_FILE", global = true, value_name = "PEM", requires = "key_file")]
    pub cert_file: Option<std::path::PathBuf>,
    /// The private key (PEM) of --cert-file.
    #[arg(long, env = "BATON_KEY_FILE", global = true, value_name = "PEM", requires = "cert_file")]
    pub key_file: Option<std::path::PathBuf>,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// People: staff and client contacts.
    #[command(subcommand)]
    People(PeopleCommand),
    /// Teams: the agency's departments and ad-hoc teams, and their load.
    #[command(subcommand)]
    Teams(TeamsCommand),
    /// Clients: the companies projects are for, and their contacts.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Client projects and their teams.
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// A project's brief and strategy, and its revisions.
    #[command(subcommand)]
    Brief(BriefCommand),
    /// A project's milestones: what it must reach by when.
    #[command(subcommand)]
    Milestones(MilestonesCommand),
    /// A project's obstacles: its risks and blockers.
    #[command(subcommand)]
    Obstacles(ObstaclesCommand),
    /// A project's components (assets) and their review workflow.
    #[command(subcommand)]
    Assets(AssetsCommand),
    /// A component's versions: submit one for review, list them.
    #[command(subcommand)]
    Versions(VersionsCommand),
    /// A version's review round: its stages, and the reviewers' verdicts.
    #[command(subcommand)]
    Reviews(ReviewsCommand),
    /// Comments on a component or its versions: threads, mentions, time codes and regions.
    #[command(subcommand)]
    Comments(CommentsCommand),
    /// Quality: each kind's checklist in a project, measurements of versions, and how they
    /// measure up, component by component and for the project.
    #[command(subcommand)]
    Quality(QualityCommand),
    /// A person's notifications: list them, mark them read, follow them live.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// Webhooks: HTTP endpoints told of a project's events (kept by its producer) or of a
    /// person's notifications (kept by the person), each post signed.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// The producer's view of a project: every component, the weighted share done, what waits
    /// for review, and who holds what.
    Status {
        /// The project.
        project: String,
    },
    /// Seed a realistic agency production on the server and play it out (repeatable).
    Demo,
    /// Print a shell completion script, for example `baton completions bash > ~/.local/share/bash-completion/completions/baton`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Add a person.
    Add {
        /// The name other people see, for example "Ana López".
        #[arg(long)]
        name: String,
        /// The email address, unique across Baton.
        #[arg(long)]
        email: String,
        /// What the person does.
        #[arg(long, value_enum)]
        role: PersonRoleArg,
        /// A discipline they practise and how well, for example `animation:senior`. Repeatable.
        #[arg(long = "skill", value_name = "DISCIPLINE:LEVEL", value_parser = parse_skill)]
        skills: Vec<SkillArg>,
        /// The hours they work in a week (40 unless given).
        #[arg(long)]
        hours: Option<f64>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// List people.
    List {
        /// Only people with this role.
        #[arg(long, value_enum)]
        role: Option<PersonRoleArg>,
        /// Only people practising this discipline.
        #[arg(long, value_enum)]
        skill: Option<DisciplineArg>,
        /// Only people allocated more hours than they have, in some week from this one on.
        #[arg(long)]
        over_allocated: bool,
    },
    /// Show one person, with their skills, hours and time off.
    Show {
        /// The person (email, name, id or people/{id}).
        person: String,
    },
    /// Change a person: only the fields given change (--skill replaces the whole list).
    Update {
        /// The person (email, name, id or people/{id}).
        person: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A new email address.
        #[arg(long)]
        email: Option<String>,
        /// A new role.
        #[arg(long, value_enum)]
        role: Option<PersonRoleArg>,
        /// The skills, replacing the current ones. Repeatable.
        #[arg(long = "skill", value_name = "DISCIPLINE:LEVEL", value_parser = parse_skill)]
        skills: Vec<SkillArg>,
        /// New weekly hours.
        #[arg(long)]
        hours: Option<f64>,
        /// Fail if the person changed since this etag was read.
        #[arg(long)]
        etag: Option<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// Find active people practising a discipline, the most free hours first.
    Find {
        /// The discipline.
        #[arg(long, value_enum)]
        skill: DisciplineArg,
        /// The lowest level accepted.
        #[arg(long, value_enum)]
        level: Option<SkillLevelArg>,
        #[command(flatten)]
        range: RangeArgs,
        /// Only people with at least this many free hours over the range.
        #[arg(long, default_value_t = 0.0)]
        free_hours: f64,
    },
    /// Give a person hours per week on a project over a range of days.
    Allocate {
        /// The person (email, name, id or people/{id}).
        person: String,
        /// The project (its title, id or projects/{id}).
        #[arg(long)]
        project: String,
        /// Hours per week.
        #[arg(long)]
        hours: f64,
        /// The first day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// The last day, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// What the time is for.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// Record days a person does not work.
    TimeOff {
        /// The person (email, name, id or people/{id}).
        person: String,
        /// The first day off, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// The last day off, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// Why.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// A person's load week by week: hours they have, hours allocated.
    Load {
        /// The person (email, name, id or people/{id}).
        person: String,
        #[command(flatten)]
        range: RangeArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum BriefCommand {
    /// Show a project's brief: problem, audience, objectives, budget, strategy.
    Show {
        /// The project (its title, id or projects/{id}).
        project: String,
    },
    /// Change a project's brief: only the fields given change (lists are replaced whole).
    Update(Box<BriefUpdate>),
    /// Every revision of a project's brief: when, by whom, what changed.
    History {
        /// The project (its title, id or projects/{id}).
        project: String,
    },
}

/// The fields `baton brief update` changes.
#[derive(Debug, Args)]
pub struct BriefUpdate {
    /// The project (its title, id or projects/{id}).
    pub project: String,
    /// The client's problem, in their words.
    #[arg(long)]
    pub problem: Option<String>,
    /// Who the work is for.
    #[arg(long)]
    pub audience: Option<String>,
    /// The strategy agreed with the client.
    #[arg(long)]
    pub strategy: Option<String>,
    /// An objective and its key result, `TITLE;METRIC;CURRENT;TARGET[;UNIT]`. Repeatable.
    #[arg(long = "objective", value_name = "TITLE;METRIC;CURRENT;TARGET[;UNIT]")]
    pub objectives: Vec<String>,
    /// What must be made. Repeatable.
    #[arg(long = "requirement")]
    pub requirements: Vec<String>,
    /// How the client will judge it. Repeatable.
    #[arg(long = "criterion")]
    pub criteria: Vec<String>,
    /// What limits the work. Repeatable.
    #[arg(long = "constraint")]
    pub constraints: Vec<String>,
    /// The budget, `AMOUNT CURRENCY`, for example "48000 EUR".
    #[arg(long)]
    pub budget: Option<String>,
    /// Fail if the brief changed since this etag was read.
    #[arg(long)]
    pub etag: Option<String>,
    #[command(flatten)]
    pub idempotency: RequestId,
}

#[derive(Debug, Subcommand)]
pub enum VersionsCommand {
    /// Submit a new version of a component in progress for review (one file from the command
    /// line), optionally with review stages.
    Submit(Box<VersionSubmit>),
    /// List a component's versions, newest first.
    List {
        #[command(flatten)]
        asset: AssetRef,
    },
}

/// What `baton versions submit` sends.
#[derive(Debug, Args)]
pub struct VersionSubmit {
    #[command(flatten)]
    pub asset: AssetRef,
    /// Where the file is: an s3://, https:// or file:// URI.
    #[arg(long)]
    pub file: String,
    /// The file's SHA-256 (64 hexadecimal digits).
    #[arg(long)]
    pub sha256: String,
    /// The file's size in bytes.
    #[arg(long)]
    pub size: i64,
    /// The file's MIME type, for example video/mp4.
    #[arg(long = "type", value_name = "MIME")]
    pub mime_type: String,
    /// Width in pixels.
    #[arg(long)]
    pub width: Option<i32>,
    /// Height in pixels.
    #[arg(long)]
    pub height: Option<i32>,
    /// Duration in seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Frames per second.
    #[arg(long)]
    pub fps: Option<f64>,
    /// Bitrate in kilobits per second.
    #[arg(long)]
    pub kbps: Option<i32>,
    /// Integrated loudness in LUFS.
    #[arg(long, allow_hyphen_values = true)]
    pub lufs: Option<f64>,
    /// What changed, for the reviewers.
    #[arg(long)]
    pub note: Option<String>,
    /// Show the version to the client.
    #[arg(long)]
    pub client_visible: bool,
    /// A review stage, in order: `TITLE=RULE:PERSON,PERSON…` with RULE `all`, `any` or a quorum
    /// (a number); `+client` after the title shows it to the client. Repeatable; none for a
    /// one-step review.
    #[arg(long = "stage", value_name = "TITLE=RULE:PEOPLE")]
    pub stages: Vec<String>,
    /// A measurement for a quality check, `CHECK=VALUE` (for example `captions=yes`,
    /// `true_peak_dbtp=-1.5`); repeatable. Width, height, frame rate and loudness come from the
    /// file's options above.
    #[arg(long = "measure", value_name = "CHECK=VALUE", allow_hyphen_values = true)]
    pub measurements: Vec<String>,
    #[command(flatten)]
    pub idempotency: RequestId,
}

#[derive(Debug, Subcommand)]
pub enum QualityCommand {
    /// Show a project's quality checklist of one kind of component, or of every kind.
    Checklist {
        /// The project (its title, id or projects/{id}).
        project: String,
        /// The kind of component.
        #[arg(value_enum)]
        kind: Option<AssetKindArg>,
    },
    /// Add a check to a project's checklist of one kind, or change the check with that id.
    SetCheck(Box<CheckSet>),
    /// Take a check off a project's checklist of one kind.
    RemoveCheck {
        /// The project (its title, id or projects/{id}).
        project: String,
        /// The kind of component.
        #[arg(value_enum)]
        kind: AssetKindArg,
        /// The check's id, for example `captions`.
        id: String,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// Record measurements of a component's newest version (or of --number N).
    Measure {
        #[command(flatten)]
        asset: AssetRef,
        /// The version's number.
        #[arg(long)]
        number: Option<i32>,
        /// `CHECK=VALUE`: a number, yes/no, or a text, as the check takes.
        #[arg(required = true, value_name = "CHECK=VALUE", allow_hyphen_values = true)]
        values: Vec<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// How a component's newest version (or --number N) measures up, check by check.
    Show {
        #[command(flatten)]
        asset: AssetRef,
        /// The version's number.
        #[arg(long)]
        number: Option<i32>,
    },
    /// A project's quality: its score, and the components that fail checks.
    Project {
        /// The project (its title, id or projects/{id}).
        project: String,
    },
}

/// What `baton quality set-check` sends.
#[derive(Debug, Args)]
pub struct CheckSet {
    /// The project (its title, id or projects/{id}).
    pub project: String,
    /// The kind of component.
    #[arg(value_enum)]
    pub kind: AssetKindArg,
    /// The check's id: a lower-case letter, then lower-case letters, digits or _.
    pub id: String,
    /// What people read, for example "Integrated loudness".
    #[arg(long)]
    pub title: String,
    /// The unit of a number, for example LUFS.
    #[arg(long, default_value = "")]
    pub unit: String,
    /// A number target: the smallest value that passes.
    #[arg(long, allow_hyphen_values = true, conflicts_with_all = ["flag", "text"])]
    pub min: Option<f64>,
    /// A number target: the largest value that passes.
    #[arg(long, allow_hyphen_values = true, conflicts_with_all = ["flag", "text"])]
    pub max: Option<f64>,
    /// A yes/no target: the value that passes.
    #[arg(long, conflicts_with = "text")]
    pub flag: Option<bool>,
    /// A text target: the text that passes (case ignored).
    #[arg(long)]
    pub text: Option<String>,
    /// For a number check: the file measure taken when a version records none.
    #[arg(long, value_enum)]
    pub from_file: Option<FileMeasureArg>,
    /// Fail if the checklist changed since this etag was read.
    #[arg(long)]
    pub etag: Option<String>,
    #[command(flatten)]
    pub idempotency: RequestId,
}

/// A measure of a version's file that a number check may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileMeasureArg {
    Width,
    Height,
    Duration,
    Fps,
    Kbps,
    Lufs,
}

#[derive(Debug, Subcommand)]
pub enum ReviewsCommand {
    /// Show the review round of a component's newest version (or of --number N).
    Show {
        #[command(flatten)]
        asset: AssetRef,
        /// The version's number.
        #[arg(long)]
        number: Option<i32>,
    },
    /// Give your verdict at the current stage of the newest version's round.
    Decide {
        #[command(flatten)]
        asset: AssetRef,
        /// Approve.
        #[arg(long, conflicts_with = "request_changes", required_unless_present = "request_changes")]
        approve: bool,
        /// Ask for changes (give --comment).
        #[arg(long)]
        request_changes: bool,
        /// Why.
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
}

#[derive(Debug, Subcommand)]
pub enum CommentsCommand {
    /// Comment on a component (or on one of its versions, at a time or in a region).
    Add {
        #[command(flatten)]
        asset: AssetRef,
        /// The text; mention people and teams as @people/{id} or @teams/{id}, or as @email.
        #[arg(long)]
        body: String,
        /// The version it is about (its number).
        #[arg(long, value_name = "NUMBER")]
        on_version: Option<i32>,
        /// A moment of the version, in seconds (or the start of a range, with --to).
        #[arg(long)]
        at: Option<f64>,
        /// The end of the range, in seconds.
        #[arg(long, requires = "at")]
        to: Option<f64>,
        /// A region of the version's image, `X,Y,WIDTH,HEIGHT` in pixels.
        #[arg(long, value_name = "X,Y,W,H")]
        region: Option<String>,
        /// The comment it answers (its id or full name).
        #[arg(long)]
        reply_to: Option<String>,
        /// Show it to the client.
        #[arg(long)]
        client_visible: bool,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// List a component's comments, oldest first.
    List {
        #[command(flatten)]
        asset: AssetRef,
    },
    /// Change the text of your comment (the old text is kept).
    Edit {
        /// The comment's full name, projects/{p}/assets/{a}/comments/{c}.
        comment: String,
        /// The new text.
        #[arg(long)]
        body: String,
        #[command(flatten)]
        idempotency: RequestId,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamsCommand {
    /// Add a team: a department (--department) or an ad-hoc team.
    Add {
        /// The team's name, for example "Motion".
        #[arg(long)]
        name: String,
        /// The department it is (each department has one team); without it, an ad-hoc team.
        #[arg(long, value_enum)]
        department: Option<DepartmentArg>,
        /// What the team is for.
        #[arg(long)]
        description: Option<String>,
        /// A member: a person (email, name or id), `:lead` after it for a lead. Repeatable.
        #[arg(long = "member", value_name = "PERSON[:lead]")]
        members: Vec<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// List teams.
    List,
    /// Show one team and its members.
    Show {
        /// The team (its name, id or teams/{id}).
        team: String,
    },
    /// Change a team: only the fields given change (--member replaces the whole list).
    Update {
        /// The team (its name, id or teams/{id}).
        team: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A new description ("" clears it).
        #[arg(long)]
        description: Option<String>,
        /// The members, replacing the current ones. Repeatable.
        #[arg(long = "member", value_name = "PERSON[:lead]")]
        members: Vec<String>,
        /// Fail if the team changed since this etag was read.
        #[arg(long)]
        etag: Option<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// The team's load: each member's hours and allocations over a range (this week unless given).
    Load {
        /// The team (its name, id or teams/{id}).
        team: String,
        #[command(flatten)]
        range: RangeArgs,
    },
}

/// A range of days; this week (Monday to Sunday) unless given.
#[derive(Debug, Clone, Args)]
pub struct RangeArgs {
    /// The first day, YYYY-MM-DD (this week's Monday unless given).
    #[arg(long)]
    pub from: Option<String>,
    /// The last day, YYYY-MM-DD (the Sunday after --from unless given).
    #[arg(long)]
    pub to: Option<String>,
}

/// A discipline and a level, typed `animation:senior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkillArg {
    pub discipline: DisciplineArg,
    pub level: SkillLevelArg,
}

fn parse_skill(text: &str) -> Result<SkillArg, String> {
    let (discipline, level) = text
        .split_once(':')
        .ok_or_else(|| format!("“{text}” is not DISCIPLINE:LEVEL, for example animation:senior"))?;
    Ok(SkillArg {
        discipline: DisciplineArg::from_str(discipline.trim(), true)?,
        level: SkillLevelArg::from_str(level.trim(), true)?,
    })
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Add a client.
    Add {
        /// The company's name, for example "Northwind Coffee".
        #[arg(long)]
        name: String,
        /// Its industry, for example "Food and drink".
        #[arg(long)]
        industry: Option<String>,
        /// What to keep in mind about the client.
        #[arg(long)]
        notes: Option<String>,
        /// A contact at the client: a person (email, name or id), optionally with their title
        /// after a colon ("carla@northwind.example:Head of marketing"). Repeatable.
        #[arg(long = "contact", value_name = "PERSON[:TITLE]")]
        contacts: Vec<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// List clients.
    List {
        /// Only clients of this industry.
        #[arg(long)]
        industry: Option<String>,
    },
    /// Show one client.
    Show {
        /// The client (its name, id or clients/{id}).
        client: String,
    },
    /// Change a client: only the fields given change (--contact replaces the whole list).
    Update {
        /// The client (its name, id or clients/{id}).
        client: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A new industry ("" clears it).
        #[arg(long)]
        industry: Option<String>,
        /// New notes ("" clears them).
        #[arg(long)]
        notes: Option<String>,
        /// The contacts, replacing the current ones. Repeatable.
        #[arg(long = "contact", value_name = "PERSON[:TITLE]")]
        contacts: Vec<String>,
        /// Fail if the client changed since this etag was read.
        #[arg(long)]
        etag: Option<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
}

#[derive(Debug, Subcommand)]
pub enum MilestonesCommand {
    /// Add a milestone to a project.
    Add {
        /// The project.
        project: String,
        /// What is reached, for example "Beta site live".
        #[arg(long)]
        name: String,
        /// When, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        due: String,
        /// A component it needs (its title, id or name). Repeatable.
        #[arg(long = "component", value_name = "COMPONENT")]
        components: Vec<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// List a project's milestones by due date, with their state.
    List {
        /// The project.
        project: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ObstaclesCommand {
    /// Raise an obstacle against a project (or one of its components).
    Raise {
        /// The project.
        project: String,
        /// What stands in the way.
        #[arg(long)]
        name: String,
        /// A risk (may happen) or a blocker (stops work now).
        #[arg(long, value_enum, default_value_t = ObstacleKindArg::Risk)]
        kind: ObstacleKindArg,
        /// How bad it is.
        #[arg(long, value_enum)]
        severity: SeverityArg,
        /// The component it is about (its title, id or name).
        #[arg(long)]
        component: Option<String>,
        /// Who deals with it (an email, a name or people/{id}).
        #[arg(long)]
        owner: Option<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// List a project's obstacles (the open ones unless --all).
    List {
        /// The project.
        project: String,
        /// Resolved ones too.
        #[arg(long)]
        all: bool,
    },
    /// Resolve an obstacle, saying how.
    Resolve {
        /// The obstacle, projects/{p}/obstacles/{o}.
        obstacle: String,
        /// How it was resolved.
        #[arg(long)]
        resolution: String,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// Reopen a resolved obstacle.
    Reopen {
        /// The obstacle, projects/{p}/obstacles/{o}.
        obstacle: String,
        #[command(flatten)]
        idempotency: RequestId,
    },
}

/// What kind of obstacle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObstacleKindArg {
    Risk,
    Blocker,
}

/// How bad an obstacle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// Create a project.
    Create {
        /// The title, for example "Website relaunch".
        #[arg(long)]
        name: String,
        /// The client: its name ("Northwind Coffee"), id or clients/{id} (see `baton clients`).
        #[arg(long)]
        client: String,
        /// What the client asked for and why.
        #[arg(long)]
        brief: Option<String>,
        /// The due date, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// List projects.
    List,
    /// Show one project.
    Show {
        /// The project.
        project: String,
    },
    /// Move a project to its next stage: conception → pre-production → production →
    /// fine-tuning → delivered.
    Advance {
        /// The project.
        project: String,
        /// The stage to move to: the next one.
        #[arg(long, value_enum)]
        to: StageArg,
        #[command(flatten)]
        lifecycle: LifecycleArgs,
    },
    /// Put an open project on hold; `resume` returns it to its stage.
    Hold {
        /// The project.
        project: String,
        /// Why it pauses.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        lifecycle: LifecycleArgs,
    },
    /// Return a project on hold to the stage it was in.
    Resume {
        /// The project.
        project: String,
        #[command(flatten)]
        lifecycle: LifecycleArgs,
    },
    /// Cancel an open project or one on hold.
    Cancel {
        /// The project.
        project: String,
        /// Why it stops.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        lifecycle: LifecycleArgs,
    },
    /// Archive a delivered or cancelled project.
    Archive {
        /// The project.
        project: String,
        #[command(flatten)]
        lifecycle: LifecycleArgs,
    },
    /// A project's team.
    #[command(subcommand)]
    Members(MembersCommand),
}

/// What every lifecycle command takes.
#[derive(Debug, clap::Args)]
pub struct LifecycleArgs {
    /// Fail if the project changed since this etag was read.
    #[arg(long)]
    pub etag: Option<String>,
    #[command(flatten)]
    pub idempotency: RequestId,
}

/// A stage a project advances to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StageArg {
    PreProduction,
    Production,
    FineTuning,
    Delivered,
}

impl StageArg {
    pub fn to_proto(self) -> baton_proto::projects::v1::ProjectState {
        use baton_proto::projects::v1::ProjectState;
        match self {
            StageArg::PreProduction => ProjectState::PreProduction,
            StageArg::Production => ProjectState::Production,
            StageArg::FineTuning => ProjectState::FineTuning,
            StageArg::Delivered => ProjectState::Delivered,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Add a person to a project's team.
    Add {
        /// The project.
        project: String,
        /// The person.
        person: String,
        /// The part they play on this project.
        #[arg(long, value_enum)]
        role: MemberRoleArg,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// Remove a person from a project's team.
    Remove {
        /// The project.
        project: String,
        /// The person.
        person: String,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// List a project's team.
    List {
        /// The project.
        project: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// Add a component to a project.
    Add {
        /// The project.
        #[arg(long, short, env = "BATON_PROJECT")]
        project: String,
        /// The title, for example "Hero animation".
        #[arg(long)]
        name: String,
        /// What kind of component it is.
        #[arg(long, value_enum)]
        kind: AssetKindArg,
        /// What it is, what it must achieve, its acceptance criteria.
        #[arg(long)]
        description: Option<String>,
        /// A person who makes it; repeat for several.
        #[arg(long = "assignee", value_name = "PERSON")]
        assignees: Vec<String>,
        /// Its share of the project, relative to the others: 1 to 1000 (default 1).
        #[arg(long)]
        weight: Option<u32>,
        #[command(flatten)]
        idempotency: RequestId,
    },
    /// List a project's components.
    List {
        /// The project.
        #[arg(long, short, env = "BATON_PROJECT")]
        project: String,
        /// Only those that match, for example `status = ASSET_STATUS_IN_REVIEW AND kind =
        /// ASSET_KIND_VIDEO` (fields: status, kind, assignee, watcher, due_date, quality_failing).
        #[arg(long)]
        filter: Option<String>,
    },
    /// Show one component.
    Show {
        #[command(flatten)]
        asset: AssetRef,
    },
    /// Change a component: only the fields given change (--assignee and --blocked-by replace
    /// the whole list; --blocked-by "" clears it).
    Update {
        #[command(flatten)]
        asset: AssetRef,
        /// A new title.
        #[arg(long)]
        name: Option<String>,
        /// A new description.
        #[arg(long)]
        description: Option<String>,
        /// A new weight, 1 to 1000.
        #[arg(long)]
        weight: Option<u32>,
        /// The people who make it, replacing the current ones. Repeatable.
        #[arg(long = "assignee", value_name = "PERSON")]
        assignees: Vec<String>,
        /// The date it is due, YYYY-MM-DD ("" clears it).
        #[arg(long)]
        due: Option<String>,
        /// A component of the same project that must be approved before this one starts
        /// (its title or id). Repeatable.
        #[arg(long = "blocked-by", value_name = "COMPONENT")]
        blocked_by: Vec<String>,
        #[command(flatten)]
        step: StepOptions,
    },
    /// Follow a component: its changes reach you as they happen.
    Watch {
        #[command(flatten)]
        asset: AssetRef,
    },
    /// Stop following a component.
    Unwatch {
        #[command(flatten)]
        asset: AssetRef,
    },
    /// Start work: planned or changes requested → in progress.
    Start {
        #[command(flatten)]
        asset: AssetRef,
        #[command(flatten)]
        step: StepOptions,
    },
    /// Submit for review: in progress → in review.
    Submit {
        #[command(flatten)]
        asset: AssetRef,
        /// A note for the reviewers.
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        step: StepOptions,
    },
    /// Ask for changes after a review: in review → changes requested.
    RequestChanges {
        #[command(flatten)]
        asset: AssetRef,
        /// What should change.
        #[arg(long)]
        comment: String,
        #[command(flatten)]
        step: StepOptions,
    },
    /// Approve after a review: in review → approved.
    Approve {
        #[command(flatten)]
        asset: AssetRef,
        /// An optional note.
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        step: StepOptions,
    },
    /// Mark an approved component delivered to the client: approved → delivered.
    Deliver {
        #[command(flatten)]
        asset: AssetRef,
        /// An optional note.
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        step: StepOptions,
    },
}

/// Names one asset.
#[derive(Debug, Args)]
pub struct AssetRef {
    /// The component: projects/{p}/assets/{a}, or its id or exact title with --project.
    pub asset: String,
    /// The project, when ASSET is not a full resource name.
    #[arg(long, short, env = "BATON_PROJECT")]
    pub project: Option<String>,
}

/// The options of every workflow step.
#[derive(Debug, Args)]
pub struct StepOptions {
    /// Only change the component if its etag is still this (as printed by `assets show`).
    #[arg(long)]
    pub etag: Option<String>,
    #[command(flatten)]
    pub idempotency: RequestId,
}

/// The optional idempotency key of a mutation.
#[derive(Debug, Args)]
pub struct RequestId {
    /// A UUID that makes the call safe to repeat: a repeat returns the first answer.
    #[arg(long, value_name = "UUID")]
    pub request_id: Option<String>,
}

impl RequestId {
    pub fn value(&self) -> String {
        self.request_id.clone().unwrap_or_default()
    }
}

#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// List a person's notifications, newest first.
    List {
        /// Whose notifications (default: the person given with --as).
        #[arg(long)]
        person: Option<String>,
        /// Only those not read yet.
        #[arg(long)]
        unread: bool,
        /// Only those of this project.
        #[arg(long)]
        project: Option<String>,
        /// The archived ones instead of the inbox.
        #[arg(long)]
        archived: bool,
    },
    /// Mark notifications read: those named, or --all of a person's (of one --project).
    Read {
        /// notifications/{id} or the bare id; several may be given.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        notifications: Vec<String>,
        /// Every unread notification of the person (--person, or --as).
        #[arg(long)]
        all: bool,
        /// With --all: only those of this project.
        #[arg(long, requires = "all")]
        project: Option<String>,
        /// With --all: whose notifications (default: the person given with --as).
        #[arg(long, requires = "all")]
        person: Option<String>,
    },
    /// Mark notifications unread again.
    Unread {
        /// notifications/{id} or the bare id; several may be given.
        #[arg(required = true)]
        notifications: Vec<String>,
    },
    /// Take notifications out of the inbox (they are kept: `list --archived`).
    Archive {
        /// notifications/{id} or the bare id; several may be given.
        #[arg(required = true)]
        notifications: Vec<String>,
    },
    /// Put archived notifications back in the inbox.
    Unarchive {
        /// notifications/{id} or the bare id; several may be given.
        #[arg(required = true)]
        notifications: Vec<String>,
    },
    /// How many unread notifications a person has, per project.
    Counts {
        /// Whose notifications (default: the person given with --as).
        #[arg(long)]
        person: Option<String>,
    },
    /// Follow a person's notifications live until Ctrl-C; reconnects when the server restarts.
    Watch {
        /// Whose notifications (default: the person given with --as).
        #[arg(long)]
        person: Option<String>,
    },
    /// Who is told of what: the agency's rules, and a project's.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// How a person wants to be told: channels, cadences, quiet hours, digest time.
    #[command(subcommand)]
    Preferences(PreferencesCommand),
}

/// `baton notifications preferences …`, of the --person (or the --as person).
#[derive(Debug, Subcommand)]
pub enum PreferencesCommand {
    /// The preferences, as they decide (the defaults until changed).
    Show {
        #[arg(long)]
        person: Option<String>,
    },
    /// Set the time zone, quiet hours or daily digest time.
    Set {
        #[arg(long)]
        person: Option<String>,
        /// An IANA time zone such as Europe/Paris; "utc" for UTC.
        #[arg(long)]
        time_zone: Option<String>,
        /// Hours without instant email, local time: 22:00-07:00; "none" for none.
        #[arg(long)]
        quiet: Option<String>,
        /// When the daily digest is sent, local time: 08:00.
        #[arg(long)]
        digest_at: Option<String>,
    },
    /// Choose how a channel tells of a kind (or every kind) in a project (or every project).
    Choose {
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        channel: ChannelArg,
        #[arg(long)]
        cadence: CadenceArg,
        /// A notification kind such as comment-created; every kind without it.
        #[arg(long)]
        kind: Option<String>,
        /// A project (title, id or projects/{id}); every project without it.
        #[arg(long, short)]
        project: Option<String>,
    },
    /// Drop a choice: the channel's default (or a broader choice) applies again.
    Forget {
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        channel: ChannelArg,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, short)]
        project: Option<String>,
    },
}

/// `baton webhooks …`. A webhook is named in full (`projects/{id}/webhooks/{id}` or
/// `people/{id}/webhooks/{id}`), as `list` prints it.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// A project's webhooks (--project) or a person's (--person, or the --as person).
    List {
        #[arg(long, short)]
        project: Option<String>,
        #[arg(long, conflicts_with = "project")]
        person: Option<String>,
    },
    /// Add a webhook to a project (--project) or a person; prints its signing secret, which is
    /// shown this once.
    Add {
        /// Where deliveries are posted: https://… (http:// and private addresses only where the
        /// server allows them).
        url: String,
        #[arg(long, short)]
        project: Option<String>,
        #[arg(long, conflicts_with = "project")]
        person: Option<String>,
        /// A label for people.
        #[arg(long)]
        name: Option<String>,
        /// The body's format.
        #[arg(long, value_enum, default_value_t = WebhookFormatArg::Json)]
        format: WebhookFormatArg,
        /// Only these kinds (comma-separated, such as asset-status-changed,comment-created);
        /// every kind without it.
        #[arg(long = "kinds", value_delimiter = ',')]
        kinds: Vec<String>,
    },
    /// One webhook.
    Show { webhook: String },
    /// Change a webhook's URL, label, format or kinds.
    Update {
        webhook: String,
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum)]
        format: Option<WebhookFormatArg>,
        /// The kinds it is told of (comma-separated); "all" for every kind.
        #[arg(long, value_delimiter = ',')]
        kinds: Option<Vec<String>>,
    },
    /// Enable a webhook again (after failures, or after `disable`): what waited is posted.
    Enable { webhook: String },
    /// Stop posting to a webhook; nothing is queued for it until it is enabled.
    Disable { webhook: String },
    /// Give a webhook a new signing secret (printed, shown this once).
    RotateSecret { webhook: String },
    /// Delete a webhook and its deliveries.
    Remove { webhook: String },
    /// A webhook's deliveries and their attempts, newest first.
    Deliveries {
        webhook: String,
        #[arg(long, default_value_t = 20)]
        limit: i32,
    },
}

/// `baton notifications rules …`. An audience is one of `assignees`, `watchers`, `mentioned`,
/// `reviewers`, `subject` (the people the event is about), `project-team`, `role:ROLE`
/// (`role:producer`, `role:client`, …), `team:TEAM` (its name or id) or `department:DEPARTMENT`
/// (`department:motion`, …).
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Every kind's rule: the agency's, or the one a project follows.
    List {
        /// The project (title, id or projects/{id}); without it, the agency's rules.
        #[arg(long, short)]
        project: Option<String>,
    },
    /// One kind's rule, for example `comment-created`.
    Show {
        kind: String,
        #[arg(long, short)]
        project: Option<String>,
    },
    /// Set who is told of a kind: the agency's rule (admins; --mandatory too) or a project's
    /// override (its producer).
    Set {
        kind: String,
        /// The audiences, in order of precedence; none tells nobody.
        #[arg(long = "to", value_delimiter = ',', num_args = 0..)]
        audiences: Vec<String>,
        #[arg(long, short)]
        project: Option<String>,
        /// The agency's rule only: whether people may not mute it.
        #[arg(long, conflicts_with = "project")]
        mandatory: Option<bool>,
    },
    /// Drop a project's override: the project follows the agency's rule again.
    Reset {
        kind: String,
        #[arg(long, short)]
        project: String,
    },
}

/// Declares a command-line mirror of a protobuf enum, so that the names people type and the
/// names printed are the same kebab-case words (`audio-engineer`, `changes-requested`).
macro_rules! proto_enum {
    ($(#[$meta:meta])* $arg:ident => $proto:ident { $($variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
        pub enum $arg { $($variant),* }

        impl $arg {
            #[allow(dead_code, reason = "not every enum is typed on the command line")]
            pub fn to_proto(self) -> $proto {
                match self { $(Self::$variant => $proto::$variant),* }
            }

            pub fn from_proto(value: i32) -> Option<Self> {
                match $proto::try_from(value).ok()? {
                    $($proto::$variant => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The word for a wire value: `audio-engineer`; `unspecified` for unknown values.
            pub fn word(value: i32) -> String {
                Self::from_proto(value)
                    .and_then(|v| v.to_possible_value())
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_else(|| "unspecified".into())
            }

            /// The words for people: `audio engineer`.
            #[allow(dead_code, reason = "not every enum is printed for people")]
            pub fn text(value: i32) -> String {
                Self::word(value).replace('-', " ")
            }
        }
    };
}

proto_enum! {
    /// Where a notification reaches its recipient.
    ChannelArg => NotificationChannel { Inbox, Email }
}

proto_enum! {
    /// When a channel tells of a notification.
    CadenceArg => Cadence { Instant, HourlyDigest, DailyDigest, Muted }
}

proto_enum! {
    /// A webhook's body: Baton's JSON, or a Slack incoming webhook's `{"text": …}`.
    WebhookFormatArg => WebhookFormat { Json, Slack }
}

proto_enum! {
    /// What a person does.
    PersonRoleArg => PersonRole {
        Producer, Designer, Animator, AudioEngineer, VideoEngineer, WebDeveloper, DatabaseDeveloper,
        Engineer, Copywriter, ClientContact, Other,
    }
}

proto_enum! {
    /// A craft a person practises.
    DisciplineArg => Discipline {
        GraphicDesign, Illustration, UxDesign, Animation, MotionGraphics, ThreeD, Audio, Video, Streaming,
        WebFrontEnd, WebBackEnd, Database, Copy, Strategy, Production, QualityAssurance,
    }
}

proto_enum! {
    /// How well a person practises a discipline.
    SkillLevelArg => SkillLevel { Junior, Intermediate, Senior, Expert }
}

proto_enum! {
    /// One of the agency's departments.
    DepartmentArg => Department { Design, Motion, Audio, Video, Web, Data, Production }
}

proto_enum! {
    /// The part a person plays on a project.
    MemberRoleArg => ProjectMemberRole { Producer, Lead, Contributor, Reviewer, Client, Observer }
}

proto_enum! {
    /// What kind of component an asset is.
    AssetKindArg => AssetKind { Graphic, Animation, Audio, Video, WebPage, DatabaseFeature, Copy, Other }
}

proto_enum! {
    /// Where an asset is in its workflow.
    AssetStatusWord => AssetStatus { Planned, InProgress, InReview, ChangesRequested, Approved, Delivered }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn words_match_what_people_type() {
        assert_eq!(PersonRoleArg::word(PersonRole::AudioEngineer as i32), "audio-engineer");
        assert_eq!(AssetStatusWord::text(AssetStatus::ChangesRequested as i32), "changes requested");
        assert_eq!(AssetKindArg::word(0), "unspecified");
        assert_eq!(AssetKindArg::WebPage.to_proto(), AssetKind::WebPage);
    }
}
