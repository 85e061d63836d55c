//! The health watcher: recomputes the health of projects whose inputs changed (marked in
//! `projects.health_dirty` by the writes and the projection that feed it, and once a minute for
//! every open project, as dates pass) and emits `ProjectHealthChanged` when a project's state
//! moves. Any number of replicas may run it: a state change is written with a compare-and-set on
//! the stored state's revision, so one of them tells of it, once.

use std::time::{Duration, Instant};

use sqlx::PgPool;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use baton_messaging::{Change, Outbox, Written};
use baton_platform::idempotency::Origin;
use baton_platform::names::ProjectName;
use baton_proto::projects::v1 as pb;

use crate::app::Projects;
use crate::domain::health::{Health, HealthState};
use crate::error::ProjectsError;

/// How often the watcher looks for marked projects.
const POLL: Duration = Duration::from_millis(250);
/// How often every open project is marked, so that passing dates count.
const SWEEP: Duration = Duration::from_secs(60);
/// How many marked projects one round takes.
const BATCH: i64 = 100;

/// Records a project's health state (compare and set on its revision) and clears its mark:
/// `$1` project, `$2` mark time, `$3` state, `$4` reason codes, `$5` the revision read.
macro_rules! record_state {
    () => {
        "cleared AS (DELETE FROM projects.health_dirty WHERE project_id = $1 AND mark_time <= $2), \
         change AS (INSERT INTO projects.project_health (project_id, state, reasons, revision, update_time) \
         VALUES ($1, $3, $4, 1, now()) ON CONFLICT (project_id) DO UPDATE SET state = EXCLUDED.state, \
         reasons = EXCLUDED.reasons, revision = projects.project_health.revision + 1, update_time = now() \
         WHERE projects.project_health.revision = $5 RETURNING 1)"
    };
}

pub struct HealthWatch {
    app: Projects,
    pool: PgPool,
    outbox: Outbox,
}

impl HealthWatch {
    pub fn new(app: Projects, pool: PgPool, outbox: Outbox) -> Self {
        Self { app, pool, outbox }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let mut swept = Instant::now() - SWEEP;
        loop {
            if swept.elapsed() >= SWEEP {
                if let Err(error) = self.sweep().await {
                    tracing::warn!(%error, "health watch: cannot mark the open projects");
                }
                swept = Instant::now();
            }
            match self.round().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(projects = n, "health watch: looked again"),
                Err(error) => tracing::warn!(%error, "health watch: a round failed, retrying"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Marks every project that is not closed.
    async fn sweep(&self) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO projects.health_dirty (project_id) SELECT id FROM projects.project \
             WHERE state NOT IN ('PROJECT_STATE_ARCHIVED', 'PROJECT_STATE_CANCELLED') ON CONFLICT (project_id) DO NOTHING",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Looks again at the marked projects, oldest mark first; how many it looked at.
    async fn round(&self) -> Result<usize, ProjectsError> {
        let marked: Vec<(Uuid, OffsetDateTime)> =
            sqlx::query_as("SELECT project_id, mark_time FROM projects.health_dirty ORDER BY mark_time LIMIT $1")
                .bind(BATCH)
                .fetch_all(&self.pool)
                .await?;
        for (project, mark_time) in &marked {
            self.refresh(ProjectName::new(*project), *mark_time).await?;
        }
        Ok(marked.len())
    }

    /// Computes the project's health and records its state, telling of a change; clears the mark
    /// (unless the project was marked again meanwhile).
    async fn refresh(&self, project: ProjectName, mark_time: OffsetDateTime) -> Result<(), ProjectsError> {
        let (health, _) = match self.app.health_of(project).await {
            Ok(health) => health,
            Err(ProjectsError::ProjectNotFound(_)) => {
                self.clear(project, mark_time).await?;
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        let stored: Option<(String, i64)> =
            sqlx::query_as("SELECT state, revision FROM projects.project_health WHERE project_id = $1")
                .bind(project.id)
                .fetch_optional(&self.pool)
                .await?;
        let previous = stored.as_ref().and_then(|(state, _)| HealthState::from_name(state));
        if previous == Some(health.state) {
            self.clear(project, mark_time).await?;
            return Ok(());
        }
        let revision = stored.map_or(0, |(_, revision)| revision);
        let reasons =
            serde_json::to_value(health.reasons.iter().map(|r| r.code).collect::<Vec<_>>()).unwrap_or_default();
        // A project starts on track without a word; any other first state, and every change,
        // is told.
        let tell = previous.is_some() || health.state != HealthState::OnTrack;
        if !tell {
            sqlx::query(concat!("WITH ", record_state!(), " SELECT 1"))
                .bind(project.id)
                .bind(mark_time)
                .bind(health.state.as_str())
                .bind(reasons)
                .bind(revision)
                .execute(&self.pool)
                .await?;
            return Ok(());
        }
        let change = Change::new(record_state!())
            .bind(project.id)
            .bind(mark_time)
            .bind(health.state.as_str())
            .bind(reasons)
            .bind(revision);
        let origin = Origin::service("projects", project.to_string().as_bytes());
        let mut mutation = self.outbox.mutation("WatchProjectHealth", &origin);
        mutation.emit(&project.to_string(), &changed(project, previous, &health));
        match mutation.finish(change, ()).await? {
            Written::Done(()) | Written::Replay(()) => {
                tracing::info!(%project, from = ?previous, to = %health.state, "project health changed");
            }
            // Another replica recorded a state first; the mark stays for the next round.
            Written::Missed => {}
        }
        Ok(())
    }

    async fn clear(&self, project: ProjectName, mark_time: OffsetDateTime) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM projects.health_dirty WHERE project_id = $1 AND mark_time <= $2")
            .bind(project.id)
            .bind(mark_time)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn changed(project: ProjectName, previous: Option<HealthState>, health: &Health) -> pb::ProjectHealthChanged {
    let state = |s: HealthState| pb::HealthState::from_str_name(s.as_str()).unwrap_or_default() as i32;
    pb::ProjectHealthChanged {
        project: project.to_string(),
        previous_state: previous.map_or(0, state),
        state: state(health.state),
        reasons: health
            .reasons
            .iter()
            .map(|r| pb::HealthReason { code: r.code.into(), state: state(r.state), message: r.message.clone() })
            .collect(),
        progress: health.progress,
    }
}
