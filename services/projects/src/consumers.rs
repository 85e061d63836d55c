//! The projects service's projection of each project's components, from the assets service's
//! events: the figures of project health come from it, never from the assets schema.
//!
//! Idempotent under redelivery twice over: the consumer's inbox skips an event it applied, and
//! each row keeps the asset revision it shows, so that an older event arriving late never
//! overwrites a newer state; each status change is kept once per revision.

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
        match event.event_type.as_str() {
            AssetCreated::TYPE => {
                let created = decode::<AssetCreated>(event)?;
                upsert(conn, &asset_of(created.asset)?).await
            }
            // A new title or weight (the revision guard keeps the newest).
            AssetUpdated::TYPE => {
                let updated = decode::<AssetUpdated>(event)?;
                upsert(conn, &asset_of(updated.after)?).await
            }
            // A new quality score: the asset carries it.
            QualityAssessed::TYPE => {
                let assessed = decode::<QualityAssessed>(event)?;
                upsert(conn, &asset_of(assessed.asset)?).await
            }
            // Sent back as often as the project allows: the producer is told by an obstacle, raised
            // in this transaction (the inbox keeps it once per event).
            RetakeCapReached::TYPE => {
                let reached = decode::<RetakeCapReached>(event)?;
                let component = asset_of(reached.asset.clone())?;
                upsert(conn, &component).await?;
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
                let raised = pb::ObstacleRaised {
                    obstacle: Some(crate::wire::obstacles::obstacle(&obstacle)),
                    actor: raised_by,
                };
                self.outbox.emit_in(conn, &name.to_string(), &raised).await.map_err(failed)?;
                tracing::info!(obstacle = %name, asset = %asset, "retake cap reached: obstacle raised");
                Ok(())
            }
            AssetStatusChanged::TYPE => {
                let changed = decode::<AssetStatusChanged>(event)?;
                let asset = asset_of(changed.asset)?;
                let from = status_name(changed.previous_status)?;
                sqlx::query(
                    "INSERT INTO projects.component_step (project_id, asset_id, revision, from_status, to_status, step_time) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .bind(asset.project)
                .bind(asset.id)
                .bind(asset.revision)
                .bind(from)
                .bind(asset.status)
                .bind(asset.update_time)
                .execute(&mut *conn)
                .await?;
                upsert(conn, &asset).await
            }
            other => Err(HandlerError::Poison(format!("no handler for event type {other}"))),
        }
    }
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
    let value = value.ok_or_else(|| HandlerError::Poison(format!("asset.{what} is missing")))?;
    OffsetDateTime::from_unix_timestamp(value.seconds)
        .map(|t| t + time::Duration::nanoseconds(i64::from(value.nanos)))
        .map_err(|e| HandlerError::Poison(format!("asset.{what}: {e}")))
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

/// Writes the component unless a newer revision of it is there already.
async fn upsert(conn: &mut PgConnection, c: &Component) -> Result<(), HandlerError> {
    sqlx::query(
        "INSERT INTO projects.component (project_id, id, display_name, kind, weight, status, revision, create_time, \
         status_time, quality_score, failed_checks) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (project_id, id) DO UPDATE SET display_name = EXCLUDED.display_name, kind = EXCLUDED.kind, \
         weight = EXCLUDED.weight, status = EXCLUDED.status, revision = EXCLUDED.revision, \
         quality_score = EXCLUDED.quality_score, failed_checks = EXCLUDED.failed_checks, \
         status_time = CASE WHEN projects.component.status = EXCLUDED.status THEN projects.component.status_time \
                            ELSE EXCLUDED.status_time END \
         WHERE projects.component.revision < EXCLUDED.revision",
    )
    .bind(c.project)
    .bind(c.id)
    .bind(&c.display_name)
    .bind(c.kind)
    .bind(c.weight)
    .bind(c.status)
    .bind(c.revision)
    .bind(c.create_time)
    .bind(c.update_time)
    .bind(c.quality_score)
    .bind(&c.failed_checks)
    .execute(&mut *conn)
    .await?;
    // The project's health may have moved: the watcher looks again.
    sqlx::query(
        "INSERT INTO projects.health_dirty (project_id) VALUES ($1) \
         ON CONFLICT (project_id) DO UPDATE SET mark_time = clock_timestamp()",
    )
    .bind(c.project)
    .execute(conn)
    .await?;
    Ok(())
}
