//! The projects service's projection of each project's components, from the assets service's
//! events: the figures of project health come from it, never from the assets schema.
//!
//! Idempotent under redelivery twice over: the consumer's inbox skips an event it applied, and
//! each row keeps the asset revision it shows, so that an older event arriving late never
//! overwrites a newer state; each status change is kept once per revision.

use std::collections::HashMap;

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use baton_messaging::Outbox;
use baton_messaging::{Envelope, Handler, HandlerError};
use baton_platform::names::{AssetName, ObstacleName, ProjectName};
use baton_proto::Event;
use baton_proto::assets::v1::{
    Asset, AssetCreated, AssetStatus, AssetStatusChanged, AssetUpdated, QualityAssessed, RetakeCapReached,
};
use baton_proto::projects::v1 as pb;

use crate::domain::obstacle::{Obstacle, ObstacleFields, ObstacleKind, Severity};

/// The events this service consumes.
pub const ROUTING_KEYS: [&str; 5] =
    [AssetCreated::TYPE, AssetStatusChanged::TYPE, AssetUpdated::TYPE, RetakeCapReached::TYPE, QualityAssessed::TYPE];

/// Applies the assets service's events to the projection, and raises the obstacles they call for.
#[derive(Debug, Clone)]
pub struct ComponentProjection {
    /// Where the obstacles it raises publish their events.
    pub outbox: Outbox,
}

impl Handler for ComponentProjection {
    async fn handle(&self, conn: &mut PgConnection, event: &Envelope) -> Result<(), HandlerError> {
        project(conn, &[event]).await?;
        if event.event_type == RetakeCapReached::TYPE {
            self.raise_retake_obstacle(conn, event).await?;
        }
        Ok(())
    }

    /// Applies a batch in order: each run of events that only move the projection in a few
    /// set-based statements, each retake-cap event (which raises an obstacle too) on its own.
    async fn handle_batch(&self, conn: &mut PgConnection, events: &[&Envelope]) -> Result<(), HandlerError> {
        let mut start = 0;
        while start < events.len() {
            let run = events[start..].iter().take_while(|e| e.event_type != RetakeCapReached::TYPE).count();
            if run == 0 {
                self.handle(conn, events[start]).await?;
                start += 1;
            } else {
                project(conn, &events[start..start + run]).await?;
                start += run;
            }
        }
        Ok(())
    }
}

impl ComponentProjection {
    /// Sent back as often as the project allows: the producer is told by an obstacle, raised in
    /// the consumer's transaction (the inbox keeps it once per event).
    async fn raise_retake_obstacle(&self, conn: &mut PgConnection, event: &Envelope) -> Result<(), HandlerError> {
        let reached = decode::<RetakeCapReached>(event)?;
        let component = asset_of(reached.asset.clone())?;
        let asset = AssetName::new(ProjectName::new(component.project), component.id);
        let retakes = reached.asset.as_ref().map_or(0, |a| a.retakes);
        let fields = ObstacleFields {
            title: format!("“{}” sent back for changes {retakes} times", component.display_name),
            description: format!(
                "The project's retake cap is {}: reviewers sent this component back that many times. \
                 Find out what keeps it from approval.",
                reached.retake_cap
            ),
            kind: ObstacleKind::Risk,
            severity: Severity::High,
            component: Some(asset),
            owner: None,
        };
        let raised_by = "services/assets".to_string();
        let name = ObstacleName::new(asset.project(), Uuid::now_v7());
        let obstacle = Obstacle::raise(name, fields, raised_by.clone(), event.time);
        let failed = |e: baton_messaging::MutationError| HandlerError::Failed(e.to_string());
        crate::repo::obstacles::insert(&obstacle).apply_in(conn).await.map_err(failed)?;
        let raised =
            pb::ObstacleRaised { obstacle: Some(crate::wire::obstacles::obstacle(&obstacle)), actor: raised_by };
        self.outbox.emit_in(conn, &name.to_string(), &raised).await.map_err(failed)?;
        tracing::info!(obstacle = %name, asset = %asset, "retake cap reached: obstacle raised");
        Ok(())
    }
}

/// The component each event carries, and for a status change the step it records.
fn carried(event: &Envelope) -> Result<(Component, Option<&'static str>), HandlerError> {
    Ok(match event.event_type.as_str() {
        AssetCreated::TYPE => (asset_of(decode::<AssetCreated>(event)?.asset)?, None),
        // A new title, weight or quality; the revision guard keeps the newest.
        AssetUpdated::TYPE => (asset_of(decode::<AssetUpdated>(event)?.after)?, None),
        QualityAssessed::TYPE => (asset_of(decode::<QualityAssessed>(event)?.asset)?, None),
        RetakeCapReached::TYPE => (asset_of(decode::<RetakeCapReached>(event)?.asset)?, None),
        AssetStatusChanged::TYPE => {
            let changed = decode::<AssetStatusChanged>(event)?;
            let from = status_name(changed.previous_status)?;
            (asset_of(changed.asset)?, Some(from))
        }
        other => return Err(HandlerError::Poison(format!("no handler for event type {other}"))),
    })
}

/// Where a component stands in the projection: its status, since when, at which revision.
#[derive(Debug, Clone, PartialEq)]
struct Standing {
    status: String,
    status_time: OffsetDateTime,
    revision: i64,
}

/// `events`, in order, applied to the stored components they name: each moves a component only
/// if it is newer than what is there (an older event arriving late changes nothing), and a
/// component keeps the time it entered its status while the status stays. The result as rows to
/// write, one per component.
fn apply(stored: &HashMap<(Uuid, Uuid), Standing>, carried: Vec<Component>) -> Vec<(Component, OffsetDateTime)> {
    let mut next: HashMap<(Uuid, Uuid), (Component, Standing)> = HashMap::new();
    for component in carried {
        let key = (component.project, component.id);
        let current = next.get(&key).map(|(_, standing)| standing).or_else(|| stored.get(&key));
        if current.is_some_and(|c| c.revision >= component.revision) {
            continue;
        }
        let status_time = match current {
            Some(c) if c.status == component.status => c.status_time,
            _ => component.update_time,
        };
        let standing = Standing { status: component.status.to_string(), status_time, revision: component.revision };
        next.insert(key, (component, standing));
    }
    next.into_values().map(|(component, standing)| (component, standing.status_time)).collect()
}

/// Applies `events` — each carrying a component — to the projection: the stored components they
/// name read and locked at once, the newest state of each written in one statement, every status
/// change recorded once per revision, and each project concerned marked for the health watcher.
async fn project(conn: &mut PgConnection, events: &[&Envelope]) -> Result<(), HandlerError> {
    let mut components = Vec::with_capacity(events.len());
    let mut steps = Vec::new();
    for event in events {
        let (component, from) = carried(event)?;
        if let Some(from) = from {
            steps.push((
                component.project,
                component.id,
                component.revision,
                from,
                component.status,
                component.update_time,
            ));
        }
        components.push(component);
    }
    let (projects, ids): (Vec<Uuid>, Vec<Uuid>) = components.iter().map(|c| (c.project, c.id)).unzip();
    // Planned at each call: a plan cached while the table was small (a scan of all of it) would
    // stay as components are added by the thousand, until the next ANALYZE.
    let rows: Vec<(Uuid, Uuid, String, OffsetDateTime, i64)> = sqlx::query_as(
        "SELECT project_id, id, status, status_time, revision FROM projects.component \
         WHERE (project_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[])) \
         ORDER BY project_id, id FOR UPDATE",
    )
    .persistent(false)
    .bind(&projects)
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let stored: HashMap<(Uuid, Uuid), Standing> = rows
        .into_iter()
        .map(|(project, id, status, status_time, revision)| ((project, id), Standing { status, status_time, revision }))
        .collect();
    let written = apply(&stored, components);
    if !written.is_empty() {
        let column = |f: fn(&Component) -> Uuid| written.iter().map(|(c, _)| f(c)).collect::<Vec<_>>();
        let failed: Vec<String> = written
            .iter()
            .map(|(c, _)| serde_json::to_string(&c.failed_checks).unwrap_or_else(|_| "[]".into()))
            .collect();
        // The guard stays: a row inserted meanwhile by another consumer is only overwritten by a
        // newer revision.
        sqlx::query(
            "INSERT INTO projects.component (project_id, id, display_name, kind, weight, status, revision, \
             create_time, status_time, quality_score, failed_checks) \
             SELECT p, i, d, k, w, s, r, c, t, q, ARRAY(SELECT jsonb_array_elements_text(f::jsonb)) \
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int4[], $6::text[], $7::int8[], \
                         $8::timestamptz[], $9::timestamptz[], $10::float8[], $11::text[]) AS x(p, i, d, k, w, s, r, c, t, q, f) \
             ON CONFLICT (project_id, id) DO UPDATE SET display_name = EXCLUDED.display_name, kind = EXCLUDED.kind, \
             weight = EXCLUDED.weight, status = EXCLUDED.status, revision = EXCLUDED.revision, \
             status_time = EXCLUDED.status_time, quality_score = EXCLUDED.quality_score, \
             failed_checks = EXCLUDED.failed_checks WHERE projects.component.revision < EXCLUDED.revision",
        )
        .bind(column(|c| c.project))
        .bind(column(|c| c.id))
        .bind(written.iter().map(|(c, _)| c.display_name.clone()).collect::<Vec<_>>())
        .bind(written.iter().map(|(c, _)| c.kind).collect::<Vec<_>>())
        .bind(written.iter().map(|(c, _)| c.weight).collect::<Vec<_>>())
        .bind(written.iter().map(|(c, _)| c.status).collect::<Vec<_>>())
        .bind(written.iter().map(|(c, _)| c.revision).collect::<Vec<_>>())
        .bind(written.iter().map(|(c, _)| c.create_time).collect::<Vec<_>>())
        .bind(written.iter().map(|(_, t)| *t).collect::<Vec<_>>())
        .bind(written.iter().map(|(c, _)| c.quality_score).collect::<Vec<_>>())
        .bind(failed)
        .execute(&mut *conn)
        .await?;
    }
    if !steps.is_empty() {
        sqlx::query(
            "INSERT INTO projects.component_step (project_id, asset_id, revision, from_status, to_status, step_time) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int8[], $4::text[], $5::text[], $6::timestamptz[]) \
             ON CONFLICT DO NOTHING",
        )
        .bind(steps.iter().map(|s| s.0).collect::<Vec<_>>())
        .bind(steps.iter().map(|s| s.1).collect::<Vec<_>>())
        .bind(steps.iter().map(|s| s.2).collect::<Vec<_>>())
        .bind(steps.iter().map(|s| s.3).collect::<Vec<_>>())
        .bind(steps.iter().map(|s| s.4).collect::<Vec<_>>())
        .bind(steps.iter().map(|s| s.5).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    // The projects' health may have moved: the watcher looks again.
    let mut marked = projects;
    marked.sort_unstable();
    marked.dedup();
    sqlx::query(
        "INSERT INTO projects.health_dirty (project_id) SELECT unnest($1::uuid[]) \
         ON CONFLICT (project_id) DO UPDATE SET mark_time = clock_timestamp()",
    )
    .bind(marked)
    .execute(conn)
    .await?;
    Ok(())
}

fn decode<E: Event>(event: &Envelope) -> Result<E, HandlerError> {
    event.decode::<E>().map_err(|e| HandlerError::Poison(format!("cannot decode {}: {e}", E::TYPE)))
}

/// An asset as the projection keeps it.
struct Component {
    project: Uuid,
    id: Uuid,
    display_name: String,
    kind: &'static str,
    weight: i32,
    status: &'static str,
    revision: i64,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    /// Its quality score, if it has one, and the checks its newest version fails.
    quality_score: Option<f64>,
    failed_checks: Vec<String>,
}

fn status_name(value: i32) -> Result<&'static str, HandlerError> {
    AssetStatus::try_from(value)
        .ok()
        .filter(|s| *s != AssetStatus::Unspecified)
        .map(|s| s.as_str_name())
        .ok_or_else(|| HandlerError::Poison(format!("unknown asset status {value}")))
}

fn time_of(value: Option<prost_types::Timestamp>, what: &str) -> Result<OffsetDateTime, HandlerError> {
    baton_platform::time::instant(value)
        .ok_or_else(|| HandlerError::Poison(format!("asset.{what} is missing or out of range")))
}

fn asset_of(asset: Option<Asset>) -> Result<Component, HandlerError> {
    let asset = asset.ok_or_else(|| HandlerError::Poison("an asset event without its asset".into()))?;
    let name = baton_platform::names::AssetName::parse(&asset.name)
        .map_err(|e| HandlerError::Poison(format!("asset.name {e}")))?;
    let revision = asset
        .etag
        .parse::<i64>()
        .map_err(|_| HandlerError::Poison(format!("asset.etag \"{}\" is no revision", asset.etag)))?;
    let kind = baton_proto::assets::v1::AssetKind::try_from(asset.kind)
        .map(|k| k.as_str_name())
        .map_err(|_| HandlerError::Poison(format!("unknown asset kind {}", asset.kind)))?;
    Ok(Component {
        project: name.project,
        id: name.id,
        display_name: asset.display_name,
        kind,
        weight: i32::try_from(asset.weight).unwrap_or(i32::MAX),
        status: status_name(asset.status)?,
        revision,
        create_time: time_of(asset.create_time, "create_time")?,
        update_time: time_of(asset.update_time, "update_time")?,
        quality_score: asset.quality.as_ref().and_then(|q| q.score),
        failed_checks: asset.quality.map(|q| q.failed_checks).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(id: Uuid, status: &'static str, revision: i64, at: i64) -> Component {
        Component {
            project: Uuid::nil(),
            id,
            display_name: format!("r{revision}"),
            kind: "ASSET_KIND_VIDEO",
            weight: 1,
            status,
            revision,
            create_time: OffsetDateTime::UNIX_EPOCH,
            update_time: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(at),
            quality_score: None,
            failed_checks: vec![],
        }
    }

    #[test]
    fn a_batch_ends_where_its_events_one_by_one_would() {
        const PROGRESS: &str = "ASSET_STATUS_IN_PROGRESS";
        const REVIEW: &str = "ASSET_STATUS_IN_REVIEW";
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let since = |at: i64| OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(at);
        let stored = HashMap::from([
            ((Uuid::nil(), a), Standing { status: PROGRESS.into(), status_time: since(1), revision: 3 }),
            ((Uuid::nil(), b), Standing { status: PROGRESS.into(), status_time: since(1), revision: 3 }),
        ]);
        let written = apply(
            &stored,
            vec![
                // a: to review and back within the batch: in progress since the return.
                component(a, REVIEW, 4, 10),
                component(a, PROGRESS, 5, 20),
                // b: an old event arriving late changes nothing; a new title keeps the time.
                component(b, REVIEW, 2, 5),
                component(b, PROGRESS, 4, 30),
                // c: new, then its newest revision arrives before an older one.
                component(c, REVIEW, 2, 7),
                component(c, PROGRESS, 1, 6),
            ],
        );
        let mut got: Vec<(Uuid, i64, OffsetDateTime)> =
            written.into_iter().map(|(c, time)| (c.id, c.revision, time)).collect();
        got.sort();
        let mut expected = vec![(a, 5, since(20)), (b, 4, since(1)), (c, 2, since(7))];
        expected.sort();
        assert_eq!(got, expected);
        assert!(apply(&stored, vec![component(a, REVIEW, 3, 9)]).is_empty(), "not newer than what is stored");
    }
}
