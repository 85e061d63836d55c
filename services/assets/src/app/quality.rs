//! The quality use cases: each project's checklists per component kind, and measurements of
//! versions. A component's quality (how its newest version measures up) is written with the
//! asset, at its next revision, whenever it changes — by a submission, a measurement of its
//! newest version or a checklist change — and each change is a `QualityAssessed` event.
//!
//! A checklist change locks the components of its kind after writing the checklist; a
//! submission or a measurement locks its component before reading the checklist. So either
//! the change sees the new version, or the submission sees the new checklist.

use serde::{Deserialize, Serialize};

use baton_messaging::{Begun, Transaction};
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::{ProjectName, VersionName};
use baton_platform::policy::Access;
use baton_platform::time;
use baton_proto::assets::v1 as pb;

use super::Assets;
use crate::domain::quality::{Check, Checklist, Measurement, Report, merge};
use crate::domain::version::Version;
use crate::domain::{Asset, AssetKind};
use crate::error::AssetsError;
use crate::{repo, wire};

/// How many times a checklist change reads again when others change it at once.
const ATTEMPTS: usize = 5;

/// A change of a project's checklist of one kind, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistUpdate {
    pub project: ProjectName,
    pub kind: AssetKind,
    pub checks: Vec<Check>,
    pub etag: Option<String>,
}

/// Measurements to record on a version, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Measuring {
    pub version: VersionName,
    pub measurements: Vec<Measurement>,
}

/// A version with how it measures up, and its component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    pub version: Version,
    pub report: Report,
    pub asset: Asset,
}

impl Assets {
    /// The project's checklist of `kind`: the stored one, else the defaults.
    pub(super) async fn checklist_of(
        &self,
        db: impl sqlx::PgExecutor<'_>,
        project: ProjectName,
        kind: AssetKind,
    ) -> Result<Checklist, AssetsError> {
        Ok(repo::quality::checklist(db, project, kind).await?.unwrap_or_else(|| Checklist::defaults(project, kind)))
    }

    pub async fn get_checklist(
        &self,
        access: &Access,
        project: ProjectName,
        kind: AssetKind,
    ) -> Result<Checklist, AssetsError> {
        self.authorize(access, project).await.map_err(|r| r.into_error(|| AssetsError::ProjectNotFound(project)))?;
        self.checklist_of(&self.pool, project, kind).await
    }

    /// Every kind's checklist of the project, in kind order.
    pub async fn list_checklists(&self, access: &Access, project: ProjectName) -> Result<Vec<Checklist>, AssetsError> {
        self.authorize(access, project).await.map_err(|r| r.into_error(|| AssetsError::ProjectNotFound(project)))?;
        let stored = repo::quality::checklists(&self.pool, project).await?;
        Ok(AssetKind::ALL
            .iter()
            .map(|kind| {
                stored
                    .iter()
                    .find(|list| list.kind == *kind)
                    .cloned()
                    .unwrap_or_else(|| Checklist::defaults(project, *kind))
            })
            .collect())
    }

    /// Changes a project's checklist of one kind, records `QualityChecklistUpdated`, and assesses
    /// the newest version of each of its components of that kind again (`QualityAssessed` for
    /// each whose quality changed).
    pub async fn update_checklist(
        &self,
        access: &Access,
        actor: Actor,
        update: ChecklistUpdate,
        origin: Origin,
    ) -> Result<Checklist, AssetsError> {
        let (project, kind) = (update.project, update.kind);
        let name = wire::quality::checklist_name(project, kind);
        self.authorize(access, project).await.map_err(|r| r.into_error(|| AssetsError::ProjectNotFound(project)))?;
        self.ensure_open_project(project).await?;
        let mut tx = match self.outbox.mutation("UpdateQualityChecklist", &origin).begin::<Checklist>().await? {
            Begun::Replay(list) => return Ok(list),
            Begun::New(tx) => tx,
        };
        let now = time::now();
        let mut written = None;
        for _ in 0..ATTEMPTS {
            let current = self.checklist_of(&mut *tx.conn(), project, kind).await?;
            let next = current
                .with_checks(update.checks.clone(), update.etag.as_deref(), now)
                .map_err(|current| AssetsError::StaleChecklist { name: name.clone(), current })?;
            // Waits for a concurrent change of the same checklist, then writes only over the
            // revision it read: else it reads again (its etag, if any, is then stale).
            if repo::quality::write_checklist(tx.conn(), &next).await? {
                written = Some((current, next));
                break;
            }
        }
        let Some((before, after)) = written else { return Err(AssetsError::ChecklistContended(name)) };
        tx.emit(
            &name,
            &pb::QualityChecklistUpdated {
                before: Some(wire::quality::checklist(&before)),
                after: Some(wire::quality::checklist(&after)),
                actor: actor.resource_name(),
            },
        );
        let mut assessed = 0;
        for (asset, version) in repo::quality::lock_assessed(tx.conn(), project, kind).await? {
            let report = after.assess(&version.files, &version.measurements);
            if assess(&mut tx, &asset, &version, &report, &actor, now).await?.is_some() {
                assessed += 1;
            }
        }
        let list = tx.finish(after).await?;
        tracing::info!(checklist = %name, assessed, "quality checklist updated");
        Ok(list)
    }

    /// Records measurements of a version (each replacing one of the same check) and records
    /// `MeasurementsRecorded`; for the component's newest version, its quality is assessed again.
    pub async fn record_measurements(
        &self,
        access: &Access,
        actor: Actor,
        measuring: Measuring,
        origin: Origin,
    ) -> Result<Measured, AssetsError> {
        let name = measuring.version;
        let hidden = || AssetsError::VersionNotFound(name);
        self.authorize(access, name.project()).await.map_err(|r| r.into_error(hidden))?;
        let mut tx = match self.outbox.mutation("RecordMeasurements", &origin).begin::<Measured>().await? {
            Begun::Replay(measured) => return Ok(measured),
            Begun::New(tx) => tx,
        };
        let asset = repo::lock(tx.conn(), name.asset()).await?.ok_or_else(hidden)?;
        let before = repo::versions::lock(tx.conn(), name).await?.ok_or_else(hidden)?;
        let checklist = self.checklist_of(&mut *tx.conn(), name.project(), asset.kind).await?;
        if let Some((index, rule)) = checklist.mistyped(&measuring.measurements) {
            return Err(AssetsError::MistypedMeasurement { field: format!("measurements[{index}]"), rule });
        }
        let version = Version { measurements: merge(&before.measurements, &measuring.measurements), ..before.clone() };
        repo::versions::write_measurements(tx.conn(), &version).await?;
        let report = checklist.assess(&version.files, &version.measurements);
        tx.emit(
            &name.to_string(),
            &pb::MeasurementsRecorded {
                before: Some(wire::versions::version(&before, &checklist.assess(&before.files, &before.measurements))),
                after: Some(wire::versions::version(&version, &report)),
                actor: actor.resource_name(),
            },
        );
        let now = time::now();
        let asset = if version.number == asset.latest_version {
            assess(&mut tx, &asset, &version, &report, &actor, now).await?.unwrap_or(asset)
        } else {
            asset
        };
        let measured = tx.finish(Measured { version, report, asset }).await?;
        self.recent.remember(measured.asset.name, measured.asset.clone());
        tracing::info!(version = %name, "measurements recorded");
        Ok(measured)
    }

    /// The checklist a version of `asset` is assessed against.
    pub(super) async fn checklist_for(&self, asset: &Asset) -> Result<Checklist, AssetsError> {
        self.checklist_of(&self.pool, asset.name.project(), asset.kind).await
    }
}

/// Writes `asset`'s quality from `report` of its newest `version` at its next revision and
/// records `QualityAssessed`, when it changed; the asset written, or `None`.
async fn assess(
    tx: &mut Transaction<'_>,
    asset: &Asset,
    version: &Version,
    report: &Report,
    actor: &Actor,
    now: ::time::OffsetDateTime,
) -> Result<Option<Asset>, AssetsError> {
    let quality = report.summary(version.number);
    if asset.quality.as_ref() == Some(&quality) {
        return Ok(None);
    }
    let next = Asset { quality: Some(quality), update_time: now, revision: asset.revision + 1, ..asset.clone() };
    repo::write(tx.conn(), &next).await?;
    tx.emit(&asset.name.to_string(), &quality_assessed(asset, &next, version, report, actor));
    Ok(Some(next))
}

/// The event of `after`'s quality, changed from `before`'s by `report` of `version`.
pub(super) fn quality_assessed(
    before: &Asset,
    after: &Asset,
    version: &Version,
    report: &Report,
    actor: &Actor,
) -> pb::QualityAssessed {
    pb::QualityAssessed {
        asset: Some(wire::asset(after)),
        before: before.quality.as_ref().map(wire::quality::component_quality),
        report: Some(wire::quality::report(report)),
        version: version.name.to_string(),
        actor: actor.resource_name(),
    }
}
