//! Project health on the wire.

use time::OffsetDateTime;
use tonic::Status;

use baton_platform::names::ProjectName;
use baton_platform::time::{format_date, timestamp};
use baton_platform::validate;
use baton_proto::projects::v1 as pb;

use crate::domain::health::Health;

/// `projects/{project}/health`.
fn parse_name(value: &str) -> Result<ProjectName, String> {
    match value.strip_suffix("/health") {
        Some(project) => ProjectName::parse(project),
        None => Err("must be a project's health, projects/{project}/health".into()),
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetProjectHealthRequest) -> Result<ProjectName, Status> {
    validate::single("name", parse_name(&request.name))
}

pub fn health(project: ProjectName, health: &Health, computed: OffsetDateTime) -> pb::ProjectHealth {
    let state = |name: &str| pb::HealthState::from_str_name(name).unwrap_or(pb::HealthState::Unspecified) as i32;
    pb::ProjectHealth {
        name: format!("{project}/health"),
        progress: health.progress,
        total_weight: health.total_weight,
        components_by_status: health
            .by_status
            .iter()
            .map(|(status, count, weight)| pb::StatusCount {
                status: status.as_str().into(),
                count: *count,
                weight: *weight,
            })
            .collect(),
        work_in_progress: health.work_in_progress,
        finished_per_week: health
            .finished_per_week
            .iter()
            .map(|(start, count)| pb::WeekCount { week_start: format_date(Some(*start)), count: *count })
            .collect(),
        reviews: Some(pb::ReviewPicture {
            approved_first_time: health.approved_first_time,
            approved_after_changes: health.approved_after_changes,
            open_reviews: health
                .open_reviews
                .iter()
                .map(|r| pb::OpenReview {
                    component: r.name.to_string(),
                    display_name: r.display_name.clone(),
                    since: Some(timestamp(r.since)),
                    age_hours: r.age_hours,
                })
                .collect(),
        }),
        open_obstacles: health
            .open_obstacles
            .iter()
            .map(|(severity, count)| pb::SeverityCount {
                severity: pb::ObstacleSeverity::from_str_name(severity.as_str()).unwrap_or_default() as i32,
                count: *count,
            })
            .collect(),
        state: state(health.state.as_str()),
        reasons: health
            .reasons
            .iter()
            .map(|r| pb::HealthReason {
                code: r.code.into(),
                state: state(r.state.as_str()),
                message: r.message.clone(),
            })
            .collect(),
        compute_time: Some(timestamp(computed)),
        milestones_at_risk: health.milestones_at_risk.iter().map(super::milestones::milestone).collect(),
        quality: Some(pb::ProjectQuality {
            score: health.quality.score,
            assessed: health.quality.assessed,
            failing: health
                .quality
                .failing
                .iter()
                .map(|f| pb::FailingComponent {
                    component: f.name.to_string(),
                    display_name: f.display_name.clone(),
                    score: f.score,
                    failed_checks: f.failed_checks.clone(),
                    status: f.status.as_str().into(),
                })
                .collect(),
        }),
    }
}
