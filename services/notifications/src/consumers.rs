//! The fan-out rules: how each consumed event changes the projections and which notifications
//! it creates. Runs inside the consumer's transaction, next to the inbox row.

use sqlx::PgConnection;
use uuid::Uuid;

use baton_messaging::{Envelope, Handler, HandlerError};
use baton_platform::validate::{resource_id, resource_name};
use baton_proto::Event;
use baton_proto::assets::v1::{
    AssetCreated, AssetStatusChanged, AssetUpdated, CommentCreated, CommentEdited, ComponentSettingsUpdated,
    MeasurementsRecorded, QualityAssessed, QualityChecklistUpdated, RetakeCapReached, ReviewDecided, VersionSubmitted,
};
use baton_proto::people::v1::{
    AllocationChanged, PersonCreated, PersonStateChanged, PersonUpdated, TeamCreated, TeamUpdated, TimeOffChanged,
};
use baton_proto::projects::v1::{
    BriefUpdated, ClientCreated, ClientUpdated, MilestoneChanged, ObstacleChanged, ObstacleRaised, ProjectCreated,
    ProjectHealthChanged, ProjectMemberAdded, ProjectMemberRemoved, ProjectStateChanged,
};

use crate::CREATED_CHANNEL;
use crate::domain::{self, AssetStatus, NotificationKind, ProjectMemberRole, Reason};
use crate::repo::{self, Draft, TeamDraft};

/// Events the fan-out rules notify on.
pub(crate) const NOTIFIES_ON: [&str; 5] = [
    PersonCreated::TYPE,
    ProjectCreated::TYPE,
    ProjectMemberAdded::TYPE,
    ProjectMemberRemoved::TYPE,
    AssetStatusChanged::TYPE,
];

/// Events this service takes so that they are routable (an event nobody consumes stays in its
/// outbox), with no rule that notifies on them yet.
pub(crate) const ROUTABLE_ONLY: [&str; 25] = [
    QualityAssessed::TYPE,
    QualityChecklistUpdated::TYPE,
    MeasurementsRecorded::TYPE,
    CommentCreated::TYPE,
    CommentEdited::TYPE,
    ComponentSettingsUpdated::TYPE,
    RetakeCapReached::TYPE,
    VersionSubmitted::TYPE,
    ReviewDecided::TYPE,
    AssetUpdated::TYPE,
    PersonStateChanged::TYPE,
    PersonUpdated::TYPE,
    TeamCreated::TYPE,
    TeamUpdated::TYPE,
    TimeOffChanged::TYPE,
    AllocationChanged::TYPE,
    ProjectHealthChanged::TYPE,
    MilestoneChanged::TYPE,
    AssetCreated::TYPE,
    ClientCreated::TYPE,
    ClientUpdated::TYPE,
    ProjectStateChanged::TYPE,
    BriefUpdated::TYPE,
    ObstacleRaised::TYPE,
    ObstacleChanged::TYPE,
];

/// Applies every event the notifications service consumes.
#[derive(Debug, Clone, Copy)]
pub struct EventHandler;

impl Handler for EventHandler {
    /// The events bound only so that they are routable: no rule notifies on them yet.
    fn acts_on(&self, event_type: &str) -> bool {
        !ROUTABLE_ONLY.contains(&event_type)
    }

    /// Applies a batch in order; runs of status changes fan out in one statement each.
    async fn handle_batch(&self, conn: &mut PgConnection, events: &[&Envelope]) -> Result<(), HandlerError> {
        let mut start = 0;
        while start < events.len() {
            let is_change = |e: &&Envelope| e.event_type == AssetStatusChanged::TYPE;
            let run = events[start..].iter().take_while(|e| is_change(e)).count();
            if run > 0 {
                asset_status_changes(conn, &events[start..start + run]).await?;
                start += run;
            } else {
                self.handle(conn, events[start]).await?;
                start += 1;
            }
        }
        Ok(())
    }

    async fn handle(&self, conn: &mut PgConnection, event: &Envelope) -> Result<(), HandlerError> {
        match event.event_type.as_str() {
            PersonCreated::TYPE => person_created(conn, decode(event)?).await,
            ProjectCreated::TYPE => project_created(conn, decode(event)?).await,
            ProjectMemberAdded::TYPE => member_added(conn, event, decode(event)?).await,
            ProjectMemberRemoved::TYPE => member_removed(conn, decode(event)?).await,
            // Bound so that they are routable; no rule notifies on them yet.
            AssetCreated::TYPE => decode::<AssetCreated>(event).map(drop),
            AssetUpdated::TYPE => decode::<AssetUpdated>(event).map(drop),
            VersionSubmitted::TYPE => decode::<VersionSubmitted>(event).map(drop),
            ReviewDecided::TYPE => decode::<ReviewDecided>(event).map(drop),
            ComponentSettingsUpdated::TYPE => decode::<ComponentSettingsUpdated>(event).map(drop),
            RetakeCapReached::TYPE => decode::<RetakeCapReached>(event).map(drop),
            CommentCreated::TYPE => decode::<CommentCreated>(event).map(drop),
            CommentEdited::TYPE => decode::<CommentEdited>(event).map(drop),
            QualityAssessed::TYPE => decode::<QualityAssessed>(event).map(drop),
            QualityChecklistUpdated::TYPE => decode::<QualityChecklistUpdated>(event).map(drop),
            MeasurementsRecorded::TYPE => decode::<MeasurementsRecorded>(event).map(drop),
            ClientCreated::TYPE => decode::<ClientCreated>(event).map(drop),
            ClientUpdated::TYPE => decode::<ClientUpdated>(event).map(drop),
            ProjectStateChanged::TYPE => decode::<ProjectStateChanged>(event).map(drop),
            BriefUpdated::TYPE => decode::<BriefUpdated>(event).map(drop),
            ObstacleRaised::TYPE => decode::<ObstacleRaised>(event).map(drop),
            ObstacleChanged::TYPE => decode::<ObstacleChanged>(event).map(drop),
            MilestoneChanged::TYPE => decode::<MilestoneChanged>(event).map(drop),
            ProjectHealthChanged::TYPE => decode::<ProjectHealthChanged>(event).map(drop),
            PersonStateChanged::TYPE => decode::<PersonStateChanged>(event).map(drop),
            PersonUpdated::TYPE => decode::<PersonUpdated>(event).map(drop),
            TeamCreated::TYPE => decode::<TeamCreated>(event).map(drop),
            TeamUpdated::TYPE => decode::<TeamUpdated>(event).map(drop),
            TimeOffChanged::TYPE => decode::<TimeOffChanged>(event).map(drop),
            AllocationChanged::TYPE => decode::<AllocationChanged>(event).map(drop),
            AssetStatusChanged::TYPE => asset_status_changes(conn, &[event]).await,
            other => Err(HandlerError::Poison(format!("no handler for event type {other}"))),
        }
    }
}

fn decode<E: Event>(event: &Envelope) -> Result<E, HandlerError> {
    event.decode::<E>().map_err(|e| HandlerError::Poison(format!("cannot decode {}: {e}", E::TYPE)))
}

/// A required id inside an event; its absence means the event can never be applied.
fn id_of(value: &str, collection: &str, what: &str) -> Result<Uuid, HandlerError> {
    resource_id(value, collection).map_err(|e| HandlerError::Poison(format!("{what} {e}")))
}

/// The actor's id, if the event names one.
fn actor_of(actor: &str) -> Option<Uuid> {
    resource_id(actor, "people").ok()
}

async fn person_created(conn: &mut PgConnection, event: PersonCreated) -> Result<(), HandlerError> {
    let person = event.person.ok_or_else(|| HandlerError::Poison("PersonCreated without person".into()))?;
    let id = id_of(&person.name, "people", "person.name")?;
    repo::upsert_person(conn, id, &person.display_name, &person.email).await?;
    Ok(())
}

async fn project_created(conn: &mut PgConnection, event: ProjectCreated) -> Result<(), HandlerError> {
    let project = event.project.ok_or_else(|| HandlerError::Poison("ProjectCreated without project".into()))?;
    let id = id_of(&project.name, "projects", "project.name")?;
    repo::upsert_project(conn, id, &project.display_name, 1).await?;
    Ok(())
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

/// Rule (b): the added person hears that they joined the team.
async fn member_added(
    conn: &mut PgConnection,
    envelope: &Envelope,
    event: ProjectMemberAdded,
) -> Result<(), HandlerError> {
    let project = event.project.ok_or_else(|| HandlerError::Poison("ProjectMemberAdded without project".into()))?;
    let member = event.member.ok_or_else(|| HandlerError::Poison("ProjectMemberAdded without member".into()))?;
    let project_id = id_of(&project.name, "projects", "project.name")?;
    let person_id = id_of(&member.person, "people", "member.person")?;
    let role = ProjectMemberRole::try_from(member.role).unwrap_or(ProjectMemberRole::Unspecified);
    check_revision(conn, project_id, event.project_revision).await?;
    repo::upsert_project(conn, project_id, &project.display_name, event.project_revision).await?;
    let applied =
        repo::apply_membership(conn, project_id, person_id, role.as_str_name(), true, event.project_revision).await?;
    if !applied {
        // A newer change of this membership was applied already.
        return Ok(());
    }
    let actor_name = match actor_of(&event.actor) {
        Some(actor) if actor != person_id => repo::person_name(conn, actor).await?,
        _ => None,
    };
    let trace = baton_platform::telemetry::current_context_headers();
    let draft = Draft {
        event_id: envelope.id,
        kind: NotificationKind::ProjectMemberAdded,
        reason: Reason::AboutYou,
        message: domain::member_added_message(&project.display_name, role, actor_name.as_deref()),
        subject: &member.name,
        project: &project.name,
        actor: &event.actor,
        // The consumer's span when it runs in one; in a batch, the publisher's span.
        traceparent: trace.get("traceparent").or(envelope.traceparent.as_ref()).map(String::as_str),
    };
    let created = repo::notify_person(conn, person_id, &draft).await?;
    if created > 0 {
        count_created(created);
        repo::announce(conn, CREATED_CHANNEL, &[envelope.id]).await?;
    }
    Ok(())
}

async fn member_removed(conn: &mut PgConnection, event: ProjectMemberRemoved) -> Result<(), HandlerError> {
    let project = event.project.ok_or_else(|| HandlerError::Poison("ProjectMemberRemoved without project".into()))?;
    let member = event.member.ok_or_else(|| HandlerError::Poison("ProjectMemberRemoved without member".into()))?;
    let project_id = id_of(&project.name, "projects", "project.name")?;
    let person_id = id_of(&member.person, "people", "member.person")?;
    let role = ProjectMemberRole::try_from(member.role).unwrap_or(ProjectMemberRole::Unspecified);
    check_revision(conn, project_id, event.project_revision).await?;
    repo::upsert_project(conn, project_id, &project.display_name, event.project_revision).await?;
    repo::apply_membership(conn, project_id, person_id, role.as_str_name(), false, event.project_revision).await?;
    Ok(())
}

/// Rule (a): every member of the asset's project but the person who acted hears of the change —
/// its client contacts only when the change leaves the asset in front of them (shown to the
/// client, and in review or later). Any number of changes fan out in one batched insert.
async fn asset_status_changes(conn: &mut PgConnection, events: &[&Envelope]) -> Result<(), HandlerError> {
    let mut changes = Vec::with_capacity(events.len());
    for envelope in events {
        let mut event: AssetStatusChanged = decode(envelope)?;
        let asset =
            event.asset.take().ok_or_else(|| HandlerError::Poison("AssetStatusChanged without asset".into()))?;
        let ids = resource_name(&asset.name, &["projects", "assets"])
            .map_err(|e| HandlerError::Poison(format!("asset.name {e}")))?;
        changes.push((envelope, event, asset, ids[0]));
    }
    let mut actors: Vec<Uuid> = changes.iter().filter_map(|(_, event, _, _)| actor_of(&event.actor)).collect();
    actors.sort();
    actors.dedup();
    let mut projects: Vec<Uuid> = changes.iter().map(|(_, _, _, project)| *project).collect();
    projects.sort();
    projects.dedup();
    let (people, titles) = repo::display_names(conn, &actors, &projects).await?;
    // Inside a consumer span (one event) the notifications continue that span; in a batch
    // they continue the publisher's span the event carried.
    let current = baton_platform::telemetry::current_context_headers().remove("traceparent");
    let drafts: Vec<TeamDraft> = changes
        .into_iter()
        .map(|(envelope, event, asset, project_id)| {
            let actor = actor_of(&event.actor);
            let from = AssetStatus::try_from(event.previous_status).unwrap_or(AssetStatus::Unspecified);
            let to = AssetStatus::try_from(event.status).unwrap_or(AssetStatus::Unspecified);
            let message = domain::asset_status_message(
                &asset.display_name,
                from,
                to,
                actor.and_then(|a| people.get(&a)).map(String::as_str),
                titles.get(&project_id).map(String::as_str),
                &event.comment,
            );
            TeamDraft {
                event_id: envelope.id,
                project_id,
                exclude: actor,
                shown_to_client: domain::shown_to_client(asset.client_visible, to),
                title: message.title,
                body: message.body,
                subject: asset.name,
                project: format!("projects/{project_id}"),
                actor: event.actor,
                traceparent: current.clone().or_else(|| envelope.traceparent.clone()),
            }
        })
        .collect();
    let created =
        repo::fan_out_many(conn, NotificationKind::AssetStatusChanged, Reason::TeamMember, &drafts, CREATED_CHANNEL)
            .await?;
    tracing::debug!(events = drafts.len(), created, "asset status changes fanned out");
    if created > 0 {
        count_created(created);
    }
    Ok(())
}

fn count_created(created: u64) {
    let channel = opentelemetry::KeyValue::new("channel", "inbox");
    baton_platform::metrics::metrics().notifications_created.add(created, &[channel]);
}
