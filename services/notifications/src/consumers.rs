//! From events to notifications. Each consumed event is described once ([`describe`]): the change
//! it makes to the service's projections, and what it means for notifications (a
//! [`Happening`]). A batch applies the projection changes in order and resolves the happenings
//! under their rules in as few statements as it can: runs of events that change nothing the
//! rules read (status changes, comments, reviews…) are resolved together, in one insert.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::PgConnection;
use uuid::Uuid;

use baton_messaging::{Envelope, Handler, HandlerError};
use baton_platform::names::{AssetName, PersonName, ProjectName};
use baton_platform::time::instant;
use baton_platform::validate::resource_id;
use baton_proto::Event;
use baton_proto::assets::v1 as assets;
use baton_proto::people::v1 as people;
use baton_proto::projects::v1 as projects;
use time::OffsetDateTime;

use crate::domain::{self, AssetStatus, Message, NotificationKind as Kind, ProjectMemberRole, humanize};
use crate::preferences::{self, Cadence, Channel};
use crate::repo::reminders::ReviewWait;
use crate::repo::{self, Burst, ProjectPost, Row};
use crate::rules::{self, ClientSees, Component, Happening, Scene, Wording, Words};
use crate::{CREATED_CHANNEL, DELIVERIES_CHANNEL};

/// Applies every event the notifications service consumes.
#[derive(Debug, Clone, Copy)]
pub struct EventHandler {
    /// Whether email is sent: only then is any queued.
    pub email: bool,
    /// How far apart one person's notifications of a kind in a project may come and still be
    /// one burst (zero: never).
    pub group_window: std::time::Duration,
    /// How many days before their due date components and milestones are due soon.
    pub reminder_days: i32,
}

impl EventHandler {
    fn pending(&self) -> Pending {
        Pending {
            components: Vec::new(),
            happenings: Vec::new(),
            email: self.email,
            group_window: self.group_window,
            reminder_days: self.reminder_days,
        }
    }

    /// Tells of happenings no event carries (reminders), as it tells of events'.
    pub(crate) async fn tell(&self, conn: &mut PgConnection, happenings: Vec<Happening>) -> Result<(), HandlerError> {
        let mut pending = self.pending();
        pending.happenings = happenings;
        pending.flush(conn).await
    }
}

impl Handler for EventHandler {
    /// Applies a batch in order: projection changes as they come, the notifications of each run
    /// between them at once.
    async fn handle_batch(&self, conn: &mut PgConnection, events: &[&Envelope]) -> Result<(), HandlerError> {
        let mut pending = self.pending();
        for envelope in events {
            let described = describe(envelope)?;
            let keep = match described.projection {
                Projection::None => true,
                Projection::Component(component) => {
                    pending.components.push(component);
                    true
                }
                other => {
                    // What follows must be resolved against the projections after this change,
                    // and what came before against those before it.
                    pending.flush(conn).await?;
                    apply(conn, other, self.reminder_days).await?
                }
            };
            if keep && let Some(happening) = described.happening {
                pending.happenings.push(happening);
            }
        }
        pending.flush(conn).await
    }

    async fn handle(&self, conn: &mut PgConnection, event: &Envelope) -> Result<(), HandlerError> {
        self.handle_batch(conn, &[event]).await
    }
}

/// A change of the service's own projections an event makes.
#[derive(Debug)]
enum Projection {
    None,
    /// A component as an asset event carries it (applied in bulk: nothing resolved in the same
    /// run depends on the order, the newest revision wins).
    Component(Component),
    Person {
        id: Uuid,
        display_name: String,
        email: String,
    },
    Project {
        id: Uuid,
        display_name: String,
        revision: i64,
    },
    Membership {
        project: Uuid,
        title: String,
        person: Uuid,
        role: ProjectMemberRole,
        active: bool,
        revision: i64,
    },
    Team {
        id: Uuid,
        display_name: String,
        department: Option<String>,
        members: Vec<Uuid>,
        update_time: OffsetDateTime,
    },
    /// A milestone as its reminder needs it: its due date while it is neither met nor missed.
    Milestone {
        project: Uuid,
        name: String,
        title: String,
        due_date: Option<time::Date>,
    },
    /// Where a review stands, for its reminder.
    Review(ReviewWait),
    /// A project's review threshold, in hours (0: none).
    ReviewThreshold {
        project: Uuid,
        hours: i32,
        update_time: OffsetDateTime,
    },
}

struct Described {
    projection: Projection,
    happening: Option<Happening>,
}

/// Applies a projection change; whether the event's happening still stands (a membership change
/// older than one applied already tells nobody).
async fn apply(conn: &mut PgConnection, projection: Projection, reminder_days: i32) -> Result<bool, HandlerError> {
    match projection {
        Projection::None | Projection::Component(_) => Ok(true),
        Projection::Person { id, display_name, email } => {
            repo::upsert_person(conn, id, &display_name, &email).await?;
            Ok(true)
        }
        Projection::Project { id, display_name, revision } => {
            repo::upsert_project(conn, id, &display_name, revision).await?;
            Ok(true)
        }
        Projection::Membership { project, title, person, role, active, revision } => {
            check_revision(conn, project, revision).await?;
            repo::upsert_project(conn, project, &title, revision).await?;
            Ok(repo::apply_membership(conn, project, person, role.as_str_name(), active, revision).await?)
        }
        Projection::Team { id, display_name, department, members, update_time } => {
            repo::upsert_team(conn, id, &display_name, department.as_deref(), &members, update_time).await?;
            Ok(true)
        }
        Projection::Milestone { project, name, title, due_date } => {
            repo::reminders::plan_milestone(conn, project, &name, &title, due_date, reminder_days).await?;
            Ok(true)
        }
        Projection::Review(wait) => {
            repo::reminders::plan_review(conn, &wait).await?;
            Ok(true)
        }
        Projection::ReviewThreshold { project, hours, update_time } => {
            repo::reminders::set_review_threshold(conn, project, hours, update_time).await?;
            Ok(true)
        }
    }
}

/// How far past the last revision of a project seen here a team change may claim to be: every
/// team change moves the revision by one and the project's events arrive in order, so a larger
/// jump is a forged (or corrupt) event. Without the bound, one event claiming revision 2^63-1
/// would outrank every real change to come.
const MAX_REVISION_JUMP: i64 = 1_000_000;

async fn check_revision(conn: &mut PgConnection, project_id: Uuid, revision: i64) -> Result<(), HandlerError> {
    let seen = repo::project_revision(conn, project_id).await?.unwrap_or(0);
    if revision < 1 || revision > seen.saturating_add(MAX_REVISION_JUMP) {
        return Err(HandlerError::Poison(format!(
            "project_revision {revision} is beyond reason: the last one seen is {seen}"
        )));
    }
    Ok(())
}

/// The happenings of a run, and the components its events carried.
struct Pending {
    components: Vec<Component>,
    happenings: Vec<Happening>,
    /// Whether email is sent (SMTP is configured): only then is any queued.
    email: bool,
    group_window: std::time::Duration,
    reminder_days: i32,
}

impl Pending {
    /// Writes the run's components, resolves its happenings under their rules, and inserts
    /// their notifications (announced on commit): three statements at most (components and
    /// rules, what the rules read, the notifications), one when nobody can be told.
    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), HandlerError> {
        let components = newest(std::mem::take(&mut self.components));
        let happenings = std::mem::take(&mut self.happenings);
        if happenings.is_empty() && components.is_empty() {
            return Ok(());
        }
        let projects: Vec<Uuid> = distinct(happenings.iter().filter_map(|h| h.project));
        let mut kinds: Vec<Kind> = Vec::new();
        for h in &happenings {
            if !kinds.contains(&h.kind) {
                kinds.push(h.kind);
            }
        }
        let rules = repo::rules_in_force(conn, &components, &projects, &kinds, self.reminder_days).await?;
        let audiences: Vec<Vec<rules::Audience>> =
            happenings.iter().map(|h| rules.audiences(h.project, h.kind)).collect();
        // A project with a webhook hears of each of its events, whoever else is told.
        let posted = |h: &Happening| h.project.is_some_and(|p| rules.hooked.contains(&p));
        let tells = happenings.iter().zip(&audiences).any(|(h, a)| rules::may_tell(h, a));
        if !tells && !happenings.iter().any(posted) {
            return Ok(());
        }
        let needs = Needs::of(&happenings, &audiences);
        repo::prefer_generic_plans(conn).await?;
        let world = repo::world(conn, &needs).await?;
        let mut components = world.components;
        for h in &happenings {
            if let Some(carried) = &h.carried {
                components.insert(carried.id, carried.clone());
            }
        }
        // Inside a consumer span (one event) the notifications continue that span; in a batch
        // they continue the publisher's span the event carried.
        let current = baton_platform::telemetry::current_context_headers().remove("traceparent");
        let now = baton_platform::time::now();
        let anyone = preferences::Schedule::default();
        let mut rows = Vec::new();
        let mut posts = Vec::new();
        for (h, audiences) in happenings.iter().zip(&audiences) {
            let told = rules::resolve(h, audiences, &world.audiences, &components);
            let hooked = posted(h);
            if told.is_empty() && !hooked {
                continue;
            }
            let component = h.component_in(&components);
            let scene = Scene {
                actor: h.actor.map_or("Someone", |a| world.names.person(a)),
                project: h.project.and_then(|p| world.names.projects.get(&p)).map(String::as_str),
                component: component.map_or("a component", |c| c.display_name.as_str()),
                names: &world.names,
            };
            let wording = (h.words)(&scene);
            let project = h.project.map(|p| ProjectName::new(p).to_string()).unwrap_or_default();
            let traceparent = current.clone().or_else(|| h.traceparent.clone());
            let burst = self.burst(h, &scene);
            if let (true, Some(project)) = (hooked, h.project) {
                posts.push(ProjectPost {
                    event_id: h.event_id,
                    project,
                    kind: h.kind,
                    title: wording.general.title.clone(),
                    body: wording.general.body.clone(),
                    subject: h.subject.clone(),
                    actor: h.actor_name.clone(),
                });
            }
            let mandatory = rules.agency.get(&h.kind).is_some_and(|rule| rule.mandatory);
            for (recipient, reason) in told {
                let reach = world.reach.get(&recipient);
                let choices = reach.map(|r| r.choices.as_slice()).unwrap_or_default();
                let cadence = |channel| preferences::cadence(choices, channel, h.kind, h.project, mandatory);
                let in_inbox = cadence(Channel::Inbox) != Cadence::Muted;
                let email = if self.email {
                    let schedule = reach.map_or(&anyone, |r| &r.schedule);
                    let cadence = cadence(Channel::Email);
                    schedule.email_due(cadence, now).map(|due| match (cadence, &burst) {
                        // An instant email of a burst waits for the burst to end.
                        (Cadence::Instant, Some(_)) => (cadence, due.max(now + self.group_window)),
                        _ => (cadence, due),
                    })
                } else {
                    None
                };
                if !in_inbox && email.is_none() {
                    continue;
                }
                let message = wording
                    .personal
                    .iter()
                    .find(|(person, _)| *person == recipient)
                    .map_or(&wording.general, |(_, m)| m);
                rows.push(Row {
                    in_inbox,
                    email,
                    event_id: h.event_id,
                    recipient,
                    kind: h.kind,
                    reason,
                    title: message.title.clone(),
                    body: message.body.clone(),
                    subject: h.subject.clone(),
                    project: project.clone(),
                    actor: h.actor_name.clone(),
                    traceparent: traceparent.clone(),
                    burst: burst.clone(),
                });
            }
        }
        let channels = repo::Channels { created: CREATED_CHANNEL, deliveries: DELIVERIES_CHANNEL };
        let created = repo::insert(conn, &rows, &posts, channels, self.group_window).await?;
        tracing::debug!(happenings = happenings.len(), created, "notifications created");
        if created > 0 {
            let channel = opentelemetry::KeyValue::new("channel", "inbox");
            baton_platform::metrics::metrics().notifications_created.add(created, &[channel]);
        }
        Ok(())
    }
}

impl Pending {
    /// The burst `h` may join: one person's notifications of its kind in its project, while
    /// grouping is on and its kind groups.
    fn burst(&self, h: &Happening, scene: &Scene<'_>) -> Option<Arc<Burst>> {
        let (before, after) = domain::burst_words(h.kind)?;
        let actor = h.actor.filter(|_| !self.group_window.is_zero())?;
        let within = scene.project.map(|p| format!(" in {p}")).unwrap_or_default();
        Some(Arc::new(Burst {
            key: format!("{}|{actor}|{}", h.kind.as_str(), h.project.map(|p| p.to_string()).unwrap_or_default()),
            before: format!("{} {before}", scene.actor),
            after: format!("{after}{within}"),
        }))
    }
}

/// What resolution and wording read from the projections for a run.
#[derive(Debug, Default)]
pub(crate) struct Needs {
    pub projects: Vec<Uuid>,
    pub components: Vec<Uuid>,
    pub teams: Vec<Uuid>,
    pub departments: Vec<String>,
    pub people: Vec<Uuid>,
    /// People the events name who may be told (their preferences are read).
    pub candidates: Vec<Uuid>,
}

impl Needs {
    fn of(happenings: &[Happening], audiences: &[Vec<rules::Audience>]) -> Self {
        let mut teams = Vec::new();
        let mut departments = Vec::new();
        for audience in audiences.iter().flatten() {
            match audience {
                rules::Audience::Team(team) => teams.push(team.id),
                rules::Audience::Department(d) => departments.push(d.as_str().to_string()),
                _ => {}
            }
        }
        teams.extend(happenings.iter().flat_map(|h| h.mentioned_teams.iter().copied()));
        Needs {
            projects: distinct(happenings.iter().filter_map(|h| h.project)),
            components: distinct(happenings.iter().filter(|h| h.carried.is_none()).filter_map(|h| h.component)),
            teams: distinct(teams),
            departments: distinct(departments),
            people: distinct(happenings.iter().flat_map(|h| h.actor.into_iter().chain(h.subjects.iter().copied()))),
            candidates: distinct(happenings.iter().flat_map(|h| {
                let carried = h.carried.iter().flat_map(|c| c.assignees.iter().chain(&c.watchers));
                h.subjects.iter().chain(&h.mentioned_people).chain(&h.reviewers).chain(carried).copied()
            })),
        }
    }
}

fn distinct<T: Ord>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut values: Vec<T> = values.into_iter().collect();
    values.sort();
    values.dedup();
    values
}

/// The newest revision of each component (one upsert may not touch a row twice).
fn newest(components: Vec<Component>) -> Vec<Component> {
    let mut by_id: HashMap<Uuid, Component> = HashMap::new();
    for component in components {
        match by_id.get(&component.id) {
            Some(known) if known.revision >= component.revision => {}
            _ => {
                by_id.insert(component.id, component);
            }
        }
    }
    by_id.into_values().collect()
}

fn decode<E: Event>(event: &Envelope) -> Result<E, HandlerError> {
    event.decode::<E>().map_err(|e| HandlerError::Poison(format!("cannot decode {}: {e}", E::TYPE)))
}

fn poison(message: impl Into<String>) -> HandlerError {
    HandlerError::Poison(message.into())
}

fn required<T>(value: Option<T>, what: &str, event: &str) -> Result<T, HandlerError> {
    value.ok_or_else(|| poison(format!("{event} without {what}")))
}

/// A required id inside an event; its absence means the event can never be applied.
fn id_of(value: &str, collection: &str, what: &str) -> Result<Uuid, HandlerError> {
    resource_id(value, collection).map_err(|e| poison(format!("{what} {e}")))
}

/// The first `segments` segments of a resource name: `projects/{p}` of `projects/{p}/brief`.
fn leading(name: &str, segments: usize) -> &str {
    name.match_indices('/').nth(segments - 1).map_or(name, |(at, _)| &name[..at])
}

/// The project a resource name starts with (`projects/{project}/…`).
fn project_of(name: &str, what: &str) -> Result<Uuid, HandlerError> {
    ProjectName::parse(leading(name, 2)).map(|p| p.id).map_err(|e| poison(format!("{what} {e}")))
}

/// The component a resource name starts with (`projects/{p}/assets/{a}/…`).
fn asset_of(name: &str, what: &str) -> Result<AssetName, HandlerError> {
    AssetName::parse(leading(name, 4)).map_err(|e| poison(format!("{what} {e}")))
}

/// The person a resource name starts with (`people/{person}/…`).
fn person_of(name: &str, what: &str) -> Result<Uuid, HandlerError> {
    PersonName::parse(leading(name, 2)).map(|p| p.id).map_err(|e| poison(format!("{what} {e}")))
}

/// The people among `names`; names that are not people's are left out.
fn people_in(names: &[String]) -> Vec<Uuid> {
    names.iter().filter_map(|n| resource_id(n, "people").ok()).collect()
}

fn teams_in(names: &[String]) -> Vec<Uuid> {
    names.iter().filter_map(|n| resource_id(n, "teams").ok()).collect()
}

fn component_of(asset: &assets::Asset) -> Result<Component, HandlerError> {
    let name = AssetName::parse(&asset.name).map_err(|e| poison(format!("asset.name {e}")))?;
    let revision =
        asset.etag.parse::<i64>().map_err(|_| poison(format!("asset.etag \"{}\" is no revision", asset.etag)))?;
    Ok(Component {
        id: name.id,
        project: name.project,
        display_name: asset.display_name.clone(),
        client_visible: asset.client_visible.unwrap_or(true),
        assignees: people_in(&asset.assignees),
        watchers: people_in(&asset.watchers),
        revision,
        due_date: date_of(&asset.due_date),
        done: matches!(AssetStatus::try_from(asset.status), Ok(AssetStatus::Approved | AssetStatus::Delivered)),
        in_review: asset.status == AssetStatus::InReview as i32,
        update_time: instant(asset.update_time),
    })
}

/// A `YYYY-MM-DD` date; none when empty or not one (a reminder is then not planned).
fn date_of(value: &str) -> Option<time::Date> {
    baton_platform::time::parse_date(value).ok().flatten()
}

fn words(f: impl Fn(&Scene<'_>) -> Message + Send + Sync + 'static) -> Words {
    Box::new(move |scene| Wording { general: f(scene), personal: Vec::new() })
}

/// A comment's text as a notification shows it: its first 280 characters.
fn excerpt(text: &str) -> String {
    const MAX: usize = 280;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn quoted(text: &str) -> String {
    if text.is_empty() { String::new() } else { format!(" “{text}”") }
}

fn fields(changed: &[String]) -> String {
    if changed.is_empty() { "it".to_string() } else { changed.join(", ").replace('_', " ") }
}

/// The happening of a component's event: about the component, in its project.
fn on_component(envelope: &Envelope, kind: Kind, actor: &str, asset: AssetName, words: Words) -> Happening {
    let mut h = Happening::new(envelope.id, kind, actor, words);
    h.project = Some(asset.project);
    h.component = Some(asset.id);
    h.subject = asset.to_string();
    h
}

/// Carries the component as the event has it.
fn carrying(mut h: Happening, component: &Component) -> Described {
    h.carried = Some(component.clone());
    Described { projection: Projection::Component(component.clone()), happening: Some(h) }
}

fn just(h: Happening) -> Described {
    Described { projection: Projection::None, happening: Some(h) }
}

/// What an event of `event_type` carrying `payload` means for notifications, as the consumer
/// reads it (without the projection change it makes): for the fuzz target and tests, which
/// have no broker delivery to hand.
pub fn read_event(event_type: &str, payload: &[u8]) -> Result<Option<Happening>, HandlerError> {
    let envelope = Envelope {
        id: Uuid::nil(),
        event_type: event_type.to_string(),
        source: Envelope::owner(event_type).unwrap_or_default().to_string(),
        subject: String::new(),
        time: OffsetDateTime::UNIX_EPOCH,
        traceparent: None,
        tracestate: None,
        payload: payload.to_vec(),
    };
    describe(&envelope).map(|described| described.happening)
}

/// What an event changes here and whom it concerns.
fn describe(envelope: &Envelope) -> Result<Described, HandlerError> {
    let kind = Kind::of_event(&envelope.event_type)
        .ok_or_else(|| poison(format!("no handler for event type {}", envelope.event_type)))?;
    let mut described = describe_kind(envelope, kind)?;
    if let Some(h) = described.happening.as_mut() {
        h.traceparent.clone_from(&envelope.traceparent);
    }
    Ok(described)
}

fn describe_kind(envelope: &Envelope, kind: Kind) -> Result<Described, HandlerError> {
    let id = envelope.id;
    Ok(match kind {
        Kind::AssetStatusChanged => {
            let e: assets::AssetStatusChanged = decode(envelope)?;
            let asset = required(e.asset, "asset", "AssetStatusChanged")?;
            let component = component_of(&asset)?;
            let from = AssetStatus::try_from(e.previous_status).unwrap_or(AssetStatus::Unspecified);
            let to = AssetStatus::try_from(e.status).unwrap_or(AssetStatus::Unspecified);
            let comment = e.comment;
            let name = AssetName { project: component.project, id: component.id };
            let mut h = on_component(
                envelope,
                kind,
                &e.actor,
                name,
                words(move |s| domain::asset_status_message(s.component, from, to, Some(s.actor), s.project, &comment)),
            );
            h.client =
                if domain::shown_to_client(asset.client_visible, to) { ClientSees::Always } else { ClientSees::Never };
            carrying(h, &component)
        }
        Kind::AssetCreated => {
            let e: assets::AssetCreated = decode(envelope)?;
            let component = component_of(&required(e.asset, "asset", "AssetCreated")?)?;
            let name = AssetName { project: component.project, id: component.id };
            let h = on_component(
                envelope,
                kind,
                &e.actor,
                name,
                words(|s| {
                    Message::new(
                        format!("New component: {}", s.component),
                        s.sentence(&format!("{} created it", s.actor)),
                    )
                }),
            );
            carrying(h, &component)
        }
        Kind::AssetUpdated => {
            let e: assets::AssetUpdated = decode(envelope)?;
            let component = component_of(&required(e.after, "after", "AssetUpdated")?)?;
            let name = AssetName { project: component.project, id: component.id };
            let (added, removed) = (people_in(&e.added_assignees), people_in(&e.removed_assignees));
            let changed = fields(&e.changed_fields);
            let subjects: Vec<Uuid> = added.iter().chain(&removed).copied().collect();
            let mut h = on_component(
                envelope,
                kind,
                &e.actor,
                name,
                Box::new(move |s| Wording {
                    general: Message::new(
                        format!("{} was updated", s.component),
                        s.sentence(&format!("{} changed {changed}", s.actor)),
                    ),
                    personal: added
                        .iter()
                        .map(|p| {
                            let m = Message::new(
                                format!("You were assigned {}", s.component),
                                s.sentence(&format!("{} assigned you", s.actor)),
                            );
                            (*p, m)
                        })
                        .chain(removed.iter().map(|p| {
                            let m = Message::new(
                                format!("You were taken off {}", s.component),
                                s.sentence(&format!("{} took you off it", s.actor)),
                            );
                            (*p, m)
                        }))
                        .collect(),
                }),
            );
            h.subjects = subjects;
            carrying(h, &component)
        }
        Kind::VersionSubmitted => {
            let e: assets::VersionSubmitted = decode(envelope)?;
            let version = required(e.version, "version", "VersionSubmitted")?;
            let name = asset_of(&version.name, "version.name")?;
            let (number, note) = (version.number, version.note.clone());
            let mut h = on_component(
                envelope,
                kind,
                &e.actor,
                name,
                words(move |s| {
                    Message::new(
                        format!("Version {number} of {} is ready for review", s.component),
                        s.sentence(&format!("{} submitted it", s.actor)) + &quoted(&note),
                    )
                }),
            );
            let first = e.review.as_ref().and_then(|r| r.stages.get(usize::try_from(r.current_stage).unwrap_or(0)));
            h.reviewers = first.map(|stage| people_in(&stage.reviewers)).unwrap_or_default();
            let shown = version.client_visible && first.is_none_or(|stage| stage.client_visible);
            h.client = if shown { ClientSees::IfComponentShown } else { ClientSees::Never };
            // A round's first stage waits for its reviewers (a one-step review waits as its
            // component does: see `repo::rules_in_force`).
            let wait = e.review.as_ref().zip(first).map(|(round, first)| ReviewWait::Opened {
                project: name.project,
                component: name.id,
                subject: round.name.clone(),
                stage: round.current_stage,
                title: first.title.clone(),
                reviewers: h.reviewers.clone(),
                opened: instant(version.create_time).unwrap_or(envelope.time),
            });
            h.subject = version.name;
            Described { projection: wait.map_or(Projection::None, Projection::Review), happening: Some(h) }
        }
        Kind::ReviewDecided => {
            let e: assets::ReviewDecided = decode(envelope)?;
            let before = required(e.before, "before", "ReviewDecided")?;
            let after = required(e.after, "after", "ReviewDecided")?;
            let decision = e.decision.unwrap_or_default();
            let name = asset_of(&after.name, "after.name")?;
            let stage_at = |round: &assets::ReviewRound, i: i32| {
                usize::try_from(i).ok().and_then(|i| round.stages.get(i)).cloned()
            };
            let decided = stage_at(&before, before.current_stage).unwrap_or_default();
            let advanced =
                after.state == assets::ReviewState::Open as i32 && after.current_stage > before.current_stage;
            let next = if advanced { stage_at(&after, after.current_stage) } else { None };
            let state = assets::ReviewState::try_from(after.state).unwrap_or_default();
            let approve = decision.verdict == assets::Verdict::Approve as i32;
            let (stage, comment) = (decided.title.clone(), decision.comment.clone());
            let next_title = next.as_ref().map(|s| s.title.clone());
            let mut h = on_component(
                envelope,
                kind,
                &e.actor,
                name,
                words(move |s| {
                    let (title, body) = match (state, &next_title) {
                        (assets::ReviewState::Approved, _) => (
                            format!("{} passed review", s.component),
                            format!("{} approved the last stage, {stage}", s.actor),
                        ),
                        (assets::ReviewState::ChangesRequested, _) => (
                            format!("{} did not pass the {stage} stage", s.component),
                            format!("{} asked for changes", s.actor),
                        ),
                        (_, Some(next)) => (
                            format!("{} passed the {stage} stage", s.component),
                            format!("{} approved it; the {next} stage decides next", s.actor),
                        ),
                        _ if approve => {
                            (format!("{} approved {}", s.actor, s.component), format!("At the {stage} stage"))
                        }
                        _ => (
                            format!("{} asked for changes on {}", s.actor, s.component),
                            format!("At the {stage} stage"),
                        ),
                    };
                    Message::new(title, s.sentence(&body) + &quoted(&comment))
                }),
            );
            // The client hears of a decision at a stage shown to them, and of a stage of theirs
            // that opens.
            let shown = decided.client_visible || next.as_ref().is_some_and(|stage| stage.client_visible);
            h.reviewers = next.as_ref().map(|stage| people_in(&stage.reviewers)).unwrap_or_default();
            h.client = if shown { ClientSees::IfComponentShown } else { ClientSees::Never };
            let subject = after.name.clone();
            let wait = match (state, next) {
                (assets::ReviewState::Open, Some(next)) => ReviewWait::Opened {
                    project: name.project,
                    component: name.id,
                    subject,
                    stage: after.current_stage,
                    title: next.title,
                    reviewers: h.reviewers.clone(),
                    opened: instant(decision.decide_time).unwrap_or(envelope.time),
                },
                (assets::ReviewState::Open, None) => {
                    let open = stage_at(&after, after.current_stage).unwrap_or_default();
                    let decided: Vec<&str> = open.decisions.iter().map(|d| d.reviewer.as_str()).collect();
                    let waiting: Vec<String> =
                        open.reviewers.into_iter().filter(|r| !decided.contains(&r.as_str())).collect();
                    ReviewWait::Waiting { subject, stage: after.current_stage, reviewers: people_in(&waiting) }
                }
                _ => ReviewWait::Ended { subject },
            };
            h.subject = after.name;
            Described { projection: Projection::Review(wait), happening: Some(h) }
        }
        Kind::CommentCreated | Kind::CommentEdited => {
            let (comment, before, actor) = if kind == Kind::CommentCreated {
                let e: assets::CommentCreated = decode(envelope)?;
                (required(e.comment, "comment", "CommentCreated")?, None, e.actor)
            } else {
                let e: assets::CommentEdited = decode(envelope)?;
                (required(e.after, "after", "CommentEdited")?, e.before, e.actor)
            };
            let name = asset_of(&comment.name, "comment.name")?;
            let text = excerpt(&comment.body);
            let verb = if kind == Kind::CommentCreated { "commented on" } else { "edited a comment on" };
            let mut h = on_component(
                envelope,
                kind,
                &actor,
                name,
                words(move |s| Message::new(format!("{} {verb} {}", s.actor, s.component), text.clone())),
            );
            // An edit tells only those it newly mentions.
            let (was_people, was_teams) =
                before.map(|b| (people_in(&b.mentioned_people), teams_in(&b.mentioned_teams))).unwrap_or_default();
            h.mentioned_people =
                people_in(&comment.mentioned_people).into_iter().filter(|p| !was_people.contains(p)).collect();
            h.mentioned_teams =
                teams_in(&comment.mentioned_teams).into_iter().filter(|t| !was_teams.contains(t)).collect();
            h.subject = comment.name;
            h.client = if comment.client_visible { ClientSees::IfComponentShown } else { ClientSees::Never };
            just(h)
        }
        Kind::RetakeCapReached => {
            let e: assets::RetakeCapReached = decode(envelope)?;
            let component = component_of(&required(e.asset, "asset", "RetakeCapReached")?)?;
            let name = AssetName { project: component.project, id: component.id };
            let cap = e.retake_cap;
            let h = on_component(
                envelope,
                kind,
                &e.actor,
                name,
                words(move |s| {
                    Message::new(
                        format!("{} reached its retake cap", s.component),
                        format!(
                            "It was sent back for changes {cap} times, as many as {} allows; an obstacle is raised.",
                            s.project()
                        ),
                    )
                }),
            );
            carrying(h, &component)
        }
        Kind::QualityAssessed => {
            let e: assets::QualityAssessed = decode(envelope)?;
            let asset = required(e.asset, "asset", "QualityAssessed")?;
            let component = component_of(&asset)?;
            let name = AssetName { project: component.project, id: component.id };
            let quality = asset.quality.unwrap_or_default();
            let h = on_component(
                envelope,
                kind,
                &e.actor,
                name,
                words(move |s| {
                    let checks = quality.passed + quality.failed + quality.unmeasured;
                    let body = if quality.failed_checks.is_empty() {
                        format!("Version {}: no check fails.", quality.version)
                    } else {
                        format!("Version {} fails {}.", quality.version, quality.failed_checks.join(", "))
                    };
                    Message::new(format!("{}: {} of {checks} quality checks pass", s.component, quality.passed), body)
                }),
            );
            carrying(h, &component)
        }
        Kind::MeasurementsRecorded => {
            let e: assets::MeasurementsRecorded = decode(envelope)?;
            let version = required(e.after, "after", "MeasurementsRecorded")?;
            let name = asset_of(&version.name, "after.name")?;
            let number = version.number;
            let mut h = on_component(
                envelope,
                kind,
                &e.actor,
                name,
                words(move |s| {
                    Message::new(
                        format!("Measurements recorded on {}", s.component),
                        s.sentence(&format!("{} recorded measurements of version {number}", s.actor)),
                    )
                }),
            );
            h.subject = version.name;
            just(h)
        }
        Kind::QualityChecklistUpdated => {
            let e: assets::QualityChecklistUpdated = decode(envelope)?;
            let after = required(e.after, "after", "QualityChecklistUpdated")?;
            let what =
                humanize(assets::AssetKind::try_from(after.kind).unwrap_or_default().as_str_name(), "ASSET_KIND_");
            project_happening(envelope, kind, &e.actor, &after.name, "after.name", move |s| {
                Message::new(
                    format!("The {what} quality checklist changed"),
                    s.sentence(&format!("{} changed it; every {what} component is assessed again", s.actor)),
                )
            })?
        }
        Kind::ComponentSettingsUpdated => {
            let e: assets::ComponentSettingsUpdated = decode(envelope)?;
            let after = required(e.after, "after", "ComponentSettingsUpdated")?;
            let before = e.before.unwrap_or_default();
            let mut changes = Vec::new();
            if before.retake_cap != after.retake_cap {
                changes.push(match after.retake_cap {
                    0 => "took the retake cap off".to_string(),
                    cap => format!("set the retake cap to {cap}"),
                });
            }
            if before.review_reminder_hours != after.review_reminder_hours {
                changes.push(match after.review_reminder_hours {
                    0 => "turned review reminders off".to_string(),
                    1 => "set review reminders to 1 hour".to_string(),
                    hours => format!("set review reminders to {hours} hours"),
                });
            }
            let changed = if changes.is_empty() { "kept the settings".to_string() } else { changes.join(" and ") };
            let threshold = Projection::ReviewThreshold {
                project: project_of(&after.name, "after.name")?,
                hours: after.review_reminder_hours.max(0),
                update_time: instant(after.update_time)
                    .ok_or_else(|| poison("ComponentSettingsUpdated without the settings' update_time"))?,
            };
            let mut described = project_happening(envelope, kind, &e.actor, &after.name, "after.name", move |s| {
                Message::new(
                    format!("Component settings of {} changed", s.project()),
                    format!("{} {changed}.", s.actor),
                )
            })?;
            described.projection = threshold;
            described
        }
        Kind::ProjectMemberAdded | Kind::ProjectMemberRemoved => {
            let added = kind == Kind::ProjectMemberAdded;
            let (project, member, actor, revision) = if added {
                let e: projects::ProjectMemberAdded = decode(envelope)?;
                (e.project, e.member, e.actor, e.project_revision)
            } else {
                let e: projects::ProjectMemberRemoved = decode(envelope)?;
                (e.project, e.member, e.actor, e.project_revision)
            };
            let project = required(project, "project", "ProjectMember…")?;
            let member = required(member, "member", "ProjectMember…")?;
            let project_id = id_of(&project.name, "projects", "project.name")?;
            let person = id_of(&member.person, "people", "member.person")?;
            let role = ProjectMemberRole::try_from(member.role).unwrap_or(ProjectMemberRole::Unspecified);
            let mut h = Happening::new(
                envelope.id,
                kind,
                &actor,
                Box::new(move |s| {
                    let who = s.names.person(person);
                    let actor = (s.actor != "Someone").then_some(s.actor);
                    let (general, personal) = if added {
                        let role = domain::role_word(role);
                        let body = match actor {
                            Some(actor) => format!("{actor} added them to the team as {role}."),
                            None => format!("They were added to the team as {role}."),
                        };
                        (
                            Message::new(format!("{who} joined {}", s.project()), body),
                            domain::member_added_message(s.project(), role, actor),
                        )
                    } else {
                        (
                            Message::new(
                                format!("{who} left {}", s.project()),
                                format!("{} took them off the team.", s.actor),
                            ),
                            Message::new(
                                format!("You left {}", s.project()),
                                format!("{} took you off the team.", s.actor),
                            ),
                        )
                    };
                    Wording { general, personal: vec![(person, personal)] }
                }),
            );
            h.project = Some(project_id);
            h.subjects = vec![person];
            h.subject = member.name;
            Described {
                projection: Projection::Membership {
                    project: project_id,
                    title: project.display_name,
                    person,
                    role,
                    active: added,
                    revision,
                },
                happening: Some(h),
            }
        }
        Kind::ProjectCreated => {
            let e: projects::ProjectCreated = decode(envelope)?;
            let project = required(e.project, "project", "ProjectCreated")?;
            let project_id = id_of(&project.name, "projects", "project.name")?;
            let mut h = Happening::new(
                id,
                kind,
                &e.actor,
                words(|s| Message::new(format!("New project: {}", s.project()), format!("{} created it.", s.actor))),
            );
            h.project = Some(project_id);
            h.subject = project.name;
            Described {
                projection: Projection::Project { id: project_id, display_name: project.display_name, revision: 1 },
                happening: Some(h),
            }
        }
        Kind::ProjectStateChanged => {
            let e: projects::ProjectStateChanged = decode(envelope)?;
            let project = required(e.project, "project", "ProjectStateChanged")?;
            let project_id = id_of(&project.name, "projects", "project.name")?;
            let state = |v: i32| {
                humanize(projects::ProjectState::try_from(v).unwrap_or_default().as_str_name(), "PROJECT_STATE_")
            };
            let (from, to, why) = (state(e.previous_state), state(e.state), e.reason);
            let mut h = Happening::new(
                id,
                kind,
                &e.actor,
                words(move |s| {
                    Message::new(
                        format!("{} moved to {to}", s.project()),
                        format!("{} moved it from {from} to {to}.{}", s.actor, quoted(&why)),
                    )
                }),
            );
            h.project = Some(project_id);
            h.subject = project.name;
            h.client = ClientSees::Always;
            Described {
                projection: Projection::Project {
                    id: project_id,
                    display_name: project.display_name,
                    revision: e.project_revision,
                },
                happening: Some(h),
            }
        }
        Kind::BriefUpdated => {
            let e: projects::BriefUpdated = decode(envelope)?;
            let after = required(e.after, "after", "BriefUpdated")?;
            let changed = fields(&e.changed_fields);
            project_happening(envelope, kind, &e.actor, &after.name, "after.name", move |s| {
                Message::new(format!("The brief of {} changed", s.project()), format!("{} changed {changed}.", s.actor))
            })?
        }
        Kind::ObstacleRaised | Kind::ObstacleChanged => {
            let (obstacle, before, actor, changed) = if kind == Kind::ObstacleRaised {
                let e: projects::ObstacleRaised = decode(envelope)?;
                (required(e.obstacle, "obstacle", "ObstacleRaised")?, None, e.actor, Vec::new())
            } else {
                let e: projects::ObstacleChanged = decode(envelope)?;
                (required(e.after, "after", "ObstacleChanged")?, e.before, e.actor, e.changed_fields)
            };
            let project = project_of(&obstacle.name, "obstacle.name")?;
            let open = projects::ObstacleState::Open as i32;
            let state_moved = before.as_ref().map(|b| b.state != obstacle.state);
            let owner = resource_id(&obstacle.owner, "people").ok();
            let new_owner = owner.filter(|_| before.as_ref().is_none_or(|b| b.owner != obstacle.owner));
            let (title, resolution, fields) = (obstacle.title.clone(), obstacle.resolution.clone(), fields(&changed));
            let severity = humanize(
                projects::ObstacleSeverity::try_from(obstacle.severity).unwrap_or_default().as_str_name(),
                "OBSTACLE_SEVERITY_",
            );
            let reopened = obstacle.state == open;
            let mut h = Happening::new(
                id,
                kind,
                &actor,
                Box::new(move |s| {
                    let general = match state_moved {
                        None => Message::new(
                            format!("Obstacle on {}: {title}", s.project()),
                            format!("{} raised it ({severity}).", s.actor),
                        ),
                        Some(true) if reopened => Message::new(
                            format!("Obstacle reopened: {title}"),
                            s.sentence(&format!("{} reopened it", s.actor)),
                        ),
                        Some(true) => Message::new(
                            format!("Obstacle resolved: {title}"),
                            s.sentence(&format!("{} resolved it", s.actor)) + &quoted(&resolution),
                        ),
                        Some(false) => Message::new(
                            format!("Obstacle updated: {title}"),
                            s.sentence(&format!("{} changed {fields}", s.actor)),
                        ),
                    };
                    let personal = new_owner
                        .map(|owner| {
                            (owner, Message::new(format!("You own an obstacle: {title}"), general.body.clone()))
                        })
                        .into_iter()
                        .collect();
                    Wording { general, personal }
                }),
            );
            h.project = Some(project);
            h.component = AssetName::parse(&obstacle.component).ok().map(|a| a.id);
            h.subjects = owner.into_iter().chain(resource_id(&obstacle.raised_by, "people").ok()).collect();
            h.subject = obstacle.name;
            just(h)
        }
        Kind::MilestoneChanged => {
            let e: projects::MilestoneChanged = decode(envelope)?;
            let after = required(e.after, "after", "MilestoneChanged")?;
            let state_moved = e.before.as_ref().is_some_and(|b| b.state != after.state);
            let state = humanize(
                projects::MilestoneState::try_from(after.state).unwrap_or_default().as_str_name(),
                "MILESTONE_STATE_",
            );
            let (title, changed) = (after.title.clone(), fields(&e.changed_fields));
            let open = !matches!(
                projects::MilestoneState::try_from(after.state),
                Ok(projects::MilestoneState::Met | projects::MilestoneState::Missed)
            );
            let projection = Projection::Milestone {
                project: project_of(&after.name, "after.name")?,
                name: after.name.clone(),
                title: after.title.clone(),
                due_date: date_of(&after.due_date).filter(|_| open),
            };
            let described = project_happening(envelope, kind, &e.actor, &after.name, "after.name", move |s| {
                if state_moved {
                    Message::new(format!("Milestone {title} is {state}"), s.sentence(&format!("It is now {state}")))
                } else {
                    Message::new(
                        format!("Milestone {title} changed"),
                        s.sentence(&format!("{} changed {changed}", s.actor)),
                    )
                }
            })?;
            Described { projection, ..described }
        }
        Kind::ProjectHealthChanged => {
            let e: projects::ProjectHealthChanged = decode(envelope)?;
            let state =
                humanize(projects::HealthState::try_from(e.state).unwrap_or_default().as_str_name(), "HEALTH_STATE_");
            let reasons: Vec<String> = e.reasons.iter().map(|r| r.message.clone()).filter(|m| !m.is_empty()).collect();
            let progress = e.progress;
            project_happening(envelope, kind, "", &e.project, "project", move |s| {
                let mut body = format!("{:.0} % done.", progress * 100.0);
                if !reasons.is_empty() {
                    body = format!("{} {body}", reasons.join("; "));
                }
                Message::new(format!("{} is {state}", s.project()), body)
            })?
        }
        Kind::ClientCreated | Kind::ClientUpdated => {
            let (client, actor, changed) = if kind == Kind::ClientCreated {
                let e: projects::ClientCreated = decode(envelope)?;
                (required(e.client, "client", "ClientCreated")?, e.actor, None)
            } else {
                let e: projects::ClientUpdated = decode(envelope)?;
                (required(e.after, "after", "ClientUpdated")?, e.actor, Some(fields(&e.changed_fields)))
            };
            let title = client.display_name.clone();
            let mut h = Happening::new(
                id,
                kind,
                &actor,
                words(move |s| match &changed {
                    None => Message::new(format!("New client: {title}"), format!("{} added it.", s.actor)),
                    Some(changed) => {
                        Message::new(format!("Client {title} changed"), format!("{} changed {changed}.", s.actor))
                    }
                }),
            );
            h.subject = client.name;
            just(h)
        }
        Kind::PersonCreated | Kind::PersonStateChanged | Kind::PersonUpdated => {
            /// What happened to the person: to others, and to them.
            enum Change {
                Created,
                State(bool),
                Updated(String),
            }
            let (person, actor, change) = match kind {
                Kind::PersonCreated => {
                    let e: people::PersonCreated = decode(envelope)?;
                    (required(e.person, "person", "PersonCreated")?, e.actor, Change::Created)
                }
                Kind::PersonStateChanged => {
                    let e: people::PersonStateChanged = decode(envelope)?;
                    let person = required(e.person, "person", "PersonStateChanged")?;
                    let active = person.state == people::PersonState::Active as i32;
                    (person, e.actor, Change::State(active))
                }
                _ => {
                    let e: people::PersonUpdated = decode(envelope)?;
                    (required(e.after, "after", "PersonUpdated")?, e.actor, Change::Updated(fields(&e.changed_fields)))
                }
            };
            let person_id = id_of(&person.name, "people", "person.name")?;
            let display = person.display_name.clone();
            let projected = !matches!(change, Change::State(_));
            let mut h = Happening::new(
                id,
                kind,
                &actor,
                Box::new(move |s| {
                    let (general, personal) = match &change {
                        Change::Created => (
                            Message::new(format!("{display} joined Baton"), format!("{} added them.", s.actor)),
                            Message::new("Welcome to Baton".into(), format!("{} added you.", s.actor)),
                        ),
                        Change::State(active) => {
                            let verb = if *active { "reactivated" } else { "deactivated" };
                            (
                                Message::new(format!("{display} was {verb}"), format!("By {}.", s.actor)),
                                Message::new(format!("Your account was {verb}"), format!("By {}.", s.actor)),
                            )
                        }
                        Change::Updated(changed) => (
                            Message::new(
                                format!("{display}'s details changed"),
                                format!("{} changed {changed}.", s.actor),
                            ),
                            Message::new("Your details changed".into(), format!("{} changed {changed}.", s.actor)),
                        ),
                    };
                    Wording { general, personal: vec![(person_id, personal)] }
                }),
            );
            h.subjects = vec![person_id];
            h.subject = person.name;
            let projection = if projected {
                Projection::Person { id: person_id, display_name: person.display_name, email: person.email }
            } else {
                Projection::None
            };
            Described { projection, happening: Some(h) }
        }
        Kind::TeamCreated | Kind::TeamUpdated => {
            let (team, added, removed, actor) = if kind == Kind::TeamCreated {
                let e: people::TeamCreated = decode(envelope)?;
                let team = required(e.team, "team", "TeamCreated")?;
                let members: Vec<String> = team.members.iter().map(|m| m.person.clone()).collect();
                (team, people_in(&members), Vec::new(), e.actor)
            } else {
                let e: people::TeamUpdated = decode(envelope)?;
                let team = required(e.after, "after", "TeamUpdated")?;
                (team, people_in(&e.added_members), people_in(&e.removed_members), e.actor)
            };
            let team_id = id_of(&team.name, "teams", "team.name")?;
            let update_time =
                instant(team.update_time).ok_or_else(|| poison("a team event without the team's update_time"))?;
            let department = people::Department::try_from(team.department)
                .ok()
                .filter(|d| *d != people::Department::Unspecified)
                .map(|d| d.as_str_name().to_string());
            let members: Vec<String> = team.members.iter().map(|m| m.person.clone()).collect();
            let title = team.display_name.clone();
            let created = kind == Kind::TeamCreated;
            let subjects: Vec<Uuid> = added.iter().chain(&removed).copied().collect();
            let mut h = Happening::new(
                id,
                kind,
                &actor,
                Box::new(move |s| {
                    let general = if created {
                        Message::new(format!("New team: {title}"), format!("{} created it.", s.actor))
                    } else {
                        Message::new(format!("Team {title} changed"), format!("{} changed it.", s.actor))
                    };
                    let joined =
                        Message::new(format!("You joined the team {title}"), format!("{} added you.", s.actor));
                    let left =
                        Message::new(format!("You left the team {title}"), format!("{} took you off it.", s.actor));
                    let personal = added
                        .iter()
                        .map(|p| (*p, joined.clone()))
                        .chain(removed.iter().map(|p| (*p, left.clone())))
                        .collect();
                    Wording { general, personal }
                }),
            );
            h.subjects = subjects;
            h.subject = team.name;
            Described {
                projection: Projection::Team {
                    id: team_id,
                    display_name: team.display_name,
                    department,
                    members: people_in(&members),
                    update_time,
                },
                happening: Some(h),
            }
        }
        Kind::TimeOffChanged => {
            let e: people::TimeOffChanged = decode(envelope)?;
            let (time_off, recorded) = match (e.after, e.before) {
                (Some(after), _) => (after, true),
                (None, Some(before)) => (before, false),
                (None, None) => return Err(poison("TimeOffChanged without before or after")),
            };
            let person = person_of(&time_off.name, "time_off.name")?;
            let (start, end) = (time_off.start_date.clone(), time_off.end_date.clone());
            let mut h = Happening::new(
                id,
                kind,
                &e.actor,
                Box::new(move |s| {
                    let who = s.names.person(person);
                    let (general, personal) = if recorded {
                        (format!("{who} is off from {start} to {end}"), format!("Time off recorded: {start} to {end}"))
                    } else {
                        (
                            format!("{who} is no longer off from {start} to {end}"),
                            format!("Time off removed: {start} to {end}"),
                        )
                    };
                    let body = format!("By {}.", s.actor);
                    Wording {
                        general: Message::new(general, body.clone()),
                        personal: vec![(person, Message::new(personal, body))],
                    }
                }),
            );
            h.subjects = vec![person];
            h.subject = time_off.name;
            just(h)
        }
        Kind::AllocationChanged => {
            let e: people::AllocationChanged = decode(envelope)?;
            let (allocation, kept) = match (e.after, e.before) {
                (Some(after), _) => (after, true),
                (None, Some(before)) => (before, false),
                (None, None) => return Err(poison("AllocationChanged without before or after")),
            };
            let person = person_of(&allocation.name, "allocation.name")?;
            let project = ProjectName::parse(&allocation.project).ok().map(|p| p.id);
            let (hours, start, end, over) = (
                allocation.hours_per_week,
                allocation.start_date.clone(),
                allocation.end_date.clone(),
                e.over_allocated,
            );
            let mut h = Happening::new(
                id,
                kind,
                &e.actor,
                Box::new(move |s| {
                    let who = s.names.person(person);
                    let mut body = if kept {
                        format!("{hours} h a week from {start} to {end}, set by {}.", s.actor)
                    } else {
                        format!("Removed by {}.", s.actor)
                    };
                    if over {
                        body.push_str(" Over-allocated.");
                    }
                    Wording {
                        general: Message::new(format!("{who}'s allocation to {} changed", s.project()), body.clone()),
                        personal: vec![(
                            person,
                            Message::new(format!("Your allocation to {} changed", s.project()), body),
                        )],
                    }
                }),
            );
            // Of the project it allocates to: the producer may be told; the person always is.
            h.project = project;
            h.subjects = vec![person];
            h.subject = allocation.name;
            just(h)
        }
        Kind::ComponentDueSoon | Kind::ComponentOverdue | Kind::MilestoneDueSoon | Kind::ReviewWaiting => {
            return Err(poison(format!("{kind} is a reminder the scheduler raises, not an event")));
        }
    })
}

/// The happening of a project's event about a resource of the project (`projects/{p}/…`).
fn project_happening(
    envelope: &Envelope,
    kind: Kind,
    actor: &str,
    name: &str,
    what: &str,
    f: impl Fn(&Scene<'_>) -> Message + Send + Sync + 'static,
) -> Result<Described, HandlerError> {
    let mut h = Happening::new(envelope.id, kind, actor, words(f));
    h.project = Some(project_of(name, what)?);
    h.subject = name.to_string();
    Ok(just(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene_words(h: &Happening) -> Wording {
        let names = rules::Names::default();
        (h.words)(&Scene { actor: "Chloé", project: Some("Relaunch"), component: "Hero", names: &names })
    }

    #[test]
    fn a_status_change_carries_its_component_and_says_whether_the_client_sees_it() {
        let (p, a, maker) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let change = |status: AssetStatus, client_visible: Option<bool>| assets::AssetStatusChanged {
            asset: Some(assets::Asset {
                name: format!("projects/{p}/assets/{a}"),
                display_name: "Hero".into(),
                assignees: vec![format!("people/{maker}")],
                etag: "4".into(),
                client_visible,
                ..Default::default()
            }),
            previous_status: AssetStatus::InProgress as i32,
            status: status as i32,
            actor: format!("people/{maker}"),
            comment: "Loop ready".into(),
        };
        let read = |event: assets::AssetStatusChanged| {
            read_event(assets::AssetStatusChanged::TYPE, &prost::Message::encode_to_vec(&event))
                .expect("valid")
                .expect("a happening")
        };
        let h = read(change(AssetStatus::InReview, None));
        assert_eq!(
            (h.kind, h.project, h.component, h.actor),
            (Kind::AssetStatusChanged, Some(p), Some(a), Some(maker))
        );
        let carried = h.carried.as_ref().expect("carried");
        assert_eq!((carried.assignees.as_slice(), carried.revision), (&[maker][..], 4));
        assert_eq!(h.client, ClientSees::Always);
        let words = scene_words(&h);
        assert_eq!(words.general.title, "Hero is ready for review");
        assert_eq!(words.general.body, "Chloé submitted it for review (Relaunch). “Loop ready”");
        assert_eq!(read(change(AssetStatus::InReview, Some(false))).client, ClientSees::Never);
        let bad = assets::AssetStatusChanged { asset: None, ..change(AssetStatus::InReview, None) };
        let refused = read_event(assets::AssetStatusChanged::TYPE, &prost::Message::encode_to_vec(&bad));
        assert!(matches!(refused, Err(HandlerError::Poison(_))));
    }

    #[test]
    fn an_edit_tells_only_those_it_newly_mentions() {
        let (p, a, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let (old, new) = (Uuid::now_v7(), Uuid::now_v7());
        let comment = |mentioned: Vec<Uuid>| assets::Comment {
            name: format!("projects/{p}/assets/{a}/comments/{c}"),
            body: "Look".into(),
            mentioned_people: mentioned.iter().map(|m| format!("people/{m}")).collect(),
            client_visible: true,
            ..Default::default()
        };
        let edit = assets::CommentEdited {
            before: Some(comment(vec![old])),
            after: Some(comment(vec![old, new])),
            changed_fields: vec!["body".into()],
            actor: String::new(),
        };
        let h = read_event(assets::CommentEdited::TYPE, &prost::Message::encode_to_vec(&edit))
            .expect("valid")
            .expect("a happening");
        assert_eq!(h.mentioned_people, [new]);
        assert_eq!((h.client, h.component), (ClientSees::IfComponentShown, Some(a)));
        assert_eq!(scene_words(&h).general.title, "Chloé edited a comment on Hero");
    }

    #[test]
    fn long_comments_are_cut_on_a_character() {
        let long = "é".repeat(300);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), 281);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn names_inside_names() {
        let (p, a) = (Uuid::now_v7(), Uuid::now_v7());
        let version = format!("projects/{p}/assets/{a}/versions/{}", Uuid::now_v7());
        assert_eq!(asset_of(&version, "x").expect("asset"), AssetName { project: p, id: a });
        assert_eq!(project_of(&format!("projects/{p}/brief"), "x").expect("project"), p);
        assert!(project_of("people/x", "x").is_err());
    }
}
