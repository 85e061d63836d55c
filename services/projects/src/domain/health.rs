//! How a project is doing: the figures and the state, computed from the projection of its
//! components, its obstacles and its dates. The rules are documented on `ProjectHealth` in the
//! proto; this is the one place they are applied.

use time::{Date, Duration, OffsetDateTime};

use baton_platform::names::AssetName;

use crate::domain::milestone::{MilestoneState, MilestoneView};
use crate::domain::obstacle::{ObstacleKind, Severity};

baton_platform::named_enum! {
    /// A component's status, as the assets service names it.
    pub enum ComponentStatus {
        Planned = "ASSET_STATUS_PLANNED",
        InProgress = "ASSET_STATUS_IN_PROGRESS",
        InReview = "ASSET_STATUS_IN_REVIEW",
        ChangesRequested = "ASSET_STATUS_CHANGES_REQUESTED",
        Approved = "ASSET_STATUS_APPROVED",
        Delivered = "ASSET_STATUS_DELIVERED",
    }
}

impl ComponentStatus {
    /// How far along a component in this status is, from 0 to 1.
    pub fn completion(self) -> f64 {
        match self {
            ComponentStatus::Planned => 0.0,
            ComponentStatus::InProgress => 0.25,
            ComponentStatus::ChangesRequested => 0.5,
            ComponentStatus::InReview => 0.75,
            ComponentStatus::Approved | ComponentStatus::Delivered => 1.0,
        }
    }

    pub fn is_work_in_progress(self) -> bool {
        matches!(self, ComponentStatus::InProgress | ComponentStatus::InReview | ComponentStatus::ChangesRequested)
    }
}

baton_platform::named_enum! {
    /// Whether a project is on track, from best to worst.
    pub enum HealthState {
        OnTrack = "HEALTH_STATE_ON_TRACK",
        AtRisk = "HEALTH_STATE_AT_RISK",
        OffTrack = "HEALTH_STATE_OFF_TRACK",
    }
}

/// A component as the health computation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentFigure {
    pub name: AssetName,
    pub display_name: String,
    pub status: ComponentStatus,
    pub weight: u32,
    /// When it entered its status.
    pub status_time: OffsetDateTime,
    /// How its newest version measures up, once it has a score.
    pub quality: Option<Quality>,
}

/// A component's quality, as the assets service last told it.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// From 0 to 1.
    pub score: f64,
    /// The ids of the checks its newest version fails.
    pub failed_checks: Vec<String>,
}

/// A component whose newest version fails quality checks.
#[derive(Debug, Clone, PartialEq)]
pub struct FailingComponent {
    pub name: AssetName,
    pub display_name: String,
    pub status: ComponentStatus,
    pub score: f64,
    pub failed_checks: Vec<String>,
}

/// How the project's components measure up to their quality checklists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectQuality {
    /// The scores averaged by weight; `None` when no component has one.
    pub score: Option<f64>,
    pub assessed: u32,
    /// Lowest score first.
    pub failing: Vec<FailingComponent>,
}

/// A component's first approval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Approval {
    pub time: OffsetDateTime,
    /// Changes were requested before it.
    pub after_changes: bool,
}

/// An open obstacle.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenObstacle {
    pub title: String,
    pub kind: ObstacleKind,
    pub severity: Severity,
}

/// What the health is computed from.
#[derive(Debug, Clone)]
pub struct HealthInputs {
    pub components: Vec<ComponentFigure>,
    pub approvals: Vec<Approval>,
    pub open_obstacles: Vec<OpenObstacle>,
    /// The project's milestones with their states as of `now`.
    pub milestones: Vec<MilestoneView>,
    pub due_date: Option<Date>,
    pub now: OffsetDateTime,
}

/// One reason for the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: &'static str,
    pub state: HealthState,
    pub message: String,
}

/// A component waiting for review.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingReview {
    pub name: AssetName,
    pub display_name: String,
    pub since: OffsetDateTime,
    pub age_hours: u32,
}

/// The computed health.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub progress: f64,
    pub total_weight: u32,
    /// Per status in workflow order: how many, and their weight.
    pub by_status: Vec<(ComponentStatus, u32, u32)>,
    pub work_in_progress: u32,
    /// The start of each of the last 4 seven-day windows, oldest first, and the first approvals
    /// in it.
    pub finished_per_week: Vec<(Date, u32)>,
    pub approved_first_time: u32,
    pub approved_after_changes: u32,
    pub open_reviews: Vec<WaitingReview>,
    /// Open obstacles per severity, LOW to CRITICAL.
    pub open_obstacles: Vec<(Severity, u32)>,
    pub state: HealthState,
    pub reasons: Vec<Reason>,
    /// Missed milestones and due ones with components not done, soonest first.
    pub milestones_at_risk: Vec<MilestoneView>,
    pub quality: ProjectQuality,
}

/// Whether a milestone threatens the plan: missed or due, with work left. A milestone missed
/// but since done stays MISSED on the record and weighs no more on the project.
fn at_risk(view: &MilestoneView) -> bool {
    let work_left = (view.done_components as usize) < view.milestone.fields.components.len();
    matches!(view.state, MilestoneState::Missed | MilestoneState::Due) && work_left
}

/// How long a review may wait before the project is at risk.
pub const REVIEW_PATIENCE: Duration = Duration::days(3);
/// How close the due date is before low progress puts the project at risk.
pub const DUE_SOON: Duration = Duration::days(14);
/// The progress a project due soon should have.
pub const DUE_SOON_PROGRESS: f64 = 0.75;
/// How many approvals make the first-time rate meaningful.
pub const FIRST_TIME_SAMPLE: u32 = 4;
/// The quality score under which the project is at risk.
pub const QUALITY_FLOOR: f64 = 0.8;

fn quality_of(components: &[ComponentFigure]) -> ProjectQuality {
    let assessed: Vec<(&ComponentFigure, &Quality)> =
        components.iter().filter_map(|c| c.quality.as_ref().map(|q| (c, q))).collect();
    let weight: f64 = assessed.iter().map(|(c, _)| f64::from(c.weight)).sum();
    let score =
        (weight > 0.0).then(|| assessed.iter().map(|(c, q)| f64::from(c.weight) * q.score).sum::<f64>() / weight);
    let mut failing: Vec<FailingComponent> = assessed
        .iter()
        .filter(|(_, q)| !q.failed_checks.is_empty())
        .map(|(c, q)| FailingComponent {
            name: c.name,
            display_name: c.display_name.clone(),
            status: c.status,
            score: q.score,
            failed_checks: q.failed_checks.clone(),
        })
        .collect();
    failing.sort_by(|a, b| a.score.total_cmp(&b.score).then_with(|| a.display_name.cmp(&b.display_name)));
    ProjectQuality { score, assessed: count(assessed.len()), failing }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Names for a sentence: "A", "A and B", "A, B and 2 more".
fn listing(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("“{one}”"),
        [a, b] => format!("“{a}” and “{b}”"),
        [a, b, rest @ ..] => format!("“{a}”, “{b}” and {} more", rest.len()),
    }
}

pub fn compute(inputs: &HealthInputs) -> Health {
    let now = inputs.now;
    let total_weight: u32 = inputs.components.iter().map(|c| c.weight).sum();
    let done_weight: f64 = inputs.components.iter().map(|c| f64::from(c.weight) * c.status.completion()).sum();
    let progress = if total_weight == 0 { 0.0 } else { done_weight / f64::from(total_weight) };
    let by_status = ComponentStatus::ALL
        .iter()
        .map(|status| {
            let of: Vec<&ComponentFigure> = inputs.components.iter().filter(|c| c.status == *status).collect();
            (*status, count(of.len()), of.iter().map(|c| c.weight).sum())
        })
        .collect();
    let work_in_progress = count(inputs.components.iter().filter(|c| c.status.is_work_in_progress()).count());
    let finished_per_week = (0..4)
        .rev()
        .map(|weeks_back| {
            let end = now - Duration::weeks(weeks_back);
            let start = end - Duration::weeks(1);
            let n = inputs.approvals.iter().filter(|a| a.time > start && a.time <= end).count();
            (start.date(), count(n))
        })
        .collect();
    let approved_after_changes = count(inputs.approvals.iter().filter(|a| a.after_changes).count());
    let approved_first_time = count(inputs.approvals.len()) - approved_after_changes;
    let mut open_reviews: Vec<WaitingReview> = inputs
        .components
        .iter()
        .filter(|c| c.status == ComponentStatus::InReview)
        .map(|c| WaitingReview {
            name: c.name,
            display_name: c.display_name.clone(),
            since: c.status_time,
            age_hours: u32::try_from((now - c.status_time).whole_hours().max(0)).unwrap_or(u32::MAX),
        })
        .collect();
    open_reviews.sort_by_key(|r| r.since);
    let open_obstacles = Severity::ALL
        .iter()
        .map(|s| (*s, count(inputs.open_obstacles.iter().filter(|o| o.severity == *s).count())))
        .collect();

    let mut reasons = Vec::new();
    let titles = |severity: Severity| -> Vec<&str> {
        inputs.open_obstacles.iter().filter(|o| o.severity == severity).map(|o| o.title.as_str()).collect()
    };
    let critical = titles(Severity::Critical);
    if !critical.is_empty() {
        reasons.push(Reason {
            code: "CRITICAL_OBSTACLE",
            state: HealthState::OffTrack,
            message: format!("{} critical obstacle(s) open: {}", critical.len(), listing(&critical)),
        });
    }
    let missed: Vec<&str> = inputs
        .milestones
        .iter()
        .filter(|m| m.state == MilestoneState::Missed && at_risk(m))
        .map(|m| m.milestone.fields.title.as_str())
        .collect();
    if !missed.is_empty() {
        reasons.push(Reason {
            code: "MILESTONE_MISSED",
            state: HealthState::OffTrack,
            message: format!("{} milestone(s) missed with work left: {}", missed.len(), listing(&missed)),
        });
    }
    let all_done = inputs.components.iter().all(|c| c.status.completion() >= 1.0);
    if let Some(due) = inputs.due_date {
        if now.date() > due && !all_done {
            reasons.push(Reason {
                code: "PAST_DUE",
                state: HealthState::OffTrack,
                message: format!("due {due} and {:.0} % done", progress * 100.0),
            });
        } else if now.date() <= due && due - now.date() <= DUE_SOON && progress < DUE_SOON_PROGRESS {
            reasons.push(Reason {
                code: "DUE_SOON",
                state: HealthState::AtRisk,
                message: format!(
                    "due {due}, in {} days, and {:.0} % done",
                    (due - now.date()).whole_days(),
                    progress * 100.0
                ),
            });
        }
    }
    let due: Vec<&str> = inputs
        .milestones
        .iter()
        .filter(|m| m.state == MilestoneState::Due && at_risk(m))
        .map(|m| m.milestone.fields.title.as_str())
        .collect();
    if !due.is_empty() {
        reasons.push(Reason {
            code: "MILESTONE_AT_RISK",
            state: HealthState::AtRisk,
            message: format!("{} milestone(s) due within 7 days with work left: {}", due.len(), listing(&due)),
        });
    }
    let high = titles(Severity::High);
    if !high.is_empty() {
        reasons.push(Reason {
            code: "HIGH_OBSTACLE",
            state: HealthState::AtRisk,
            message: format!("{} high obstacle(s) open: {}", high.len(), listing(&high)),
        });
    }
    let blockers: Vec<&str> = inputs
        .open_obstacles
        .iter()
        .filter(|o| o.kind == ObstacleKind::Blocker && !matches!(o.severity, Severity::High | Severity::Critical))
        .map(|o| o.title.as_str())
        .collect();
    if !blockers.is_empty() {
        reasons.push(Reason {
            code: "BLOCKER",
            state: HealthState::AtRisk,
            message: format!("{} blocker(s) open: {}", blockers.len(), listing(&blockers)),
        });
    }
    let waiting: Vec<&str> =
        open_reviews.iter().filter(|r| now - r.since > REVIEW_PATIENCE).map(|r| r.display_name.as_str()).collect();
    if !waiting.is_empty() {
        reasons.push(Reason {
            code: "REVIEW_WAITING",
            state: HealthState::AtRisk,
            message: format!("{} review(s) waiting more than 3 days: {}", waiting.len(), listing(&waiting)),
        });
    }
    let approvals = approved_first_time + approved_after_changes;
    if approvals >= FIRST_TIME_SAMPLE && approved_first_time * 2 < approvals {
        reasons.push(Reason {
            code: "REWORK",
            state: HealthState::AtRisk,
            message: format!("only {approved_first_time} of {approvals} approvals came the first time"),
        });
    }
    let quality = quality_of(&inputs.components);
    let shipped_failing: Vec<&str> =
        quality.failing.iter().filter(|f| f.status.completion() >= 1.0).map(|f| f.display_name.as_str()).collect();
    if !shipped_failing.is_empty() {
        reasons.push(Reason {
            code: "APPROVED_FAILING_CHECKS",
            state: HealthState::AtRisk,
            message: format!(
                "{} approved or delivered component(s) fail quality checks: {}",
                shipped_failing.len(),
                listing(&shipped_failing)
            ),
        });
    }
    if let Some(score) = quality.score.filter(|score| *score < QUALITY_FLOOR) {
        reasons.push(Reason {
            code: "QUALITY_LOW",
            state: HealthState::AtRisk,
            message: format!(
                "the components pass {:.0} % of their quality checks (under {:.0} %)",
                score * 100.0,
                QUALITY_FLOOR * 100.0
            ),
        });
    }
    let state = reasons
        .iter()
        .map(|r| r.state)
        .max_by_key(|s| match s {
            HealthState::OnTrack => 0,
            HealthState::AtRisk => 1,
            HealthState::OffTrack => 2,
        })
        .unwrap_or(HealthState::OnTrack);
    let mut milestones_at_risk: Vec<MilestoneView> = inputs.milestones.iter().filter(|m| at_risk(m)).cloned().collect();
    milestones_at_risk.sort_by_key(|m| m.milestone.fields.due_date);
    Health {
        quality,
        milestones_at_risk,
        progress,
        total_weight,
        by_status,
        work_in_progress,
        finished_per_week,
        approved_first_time,
        approved_after_changes,
        open_reviews,
        open_obstacles,
        state,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_platform::names::ProjectName;

    fn component(title: &str, status: ComponentStatus, weight: u32, since: OffsetDateTime) -> ComponentFigure {
        ComponentFigure {
            name: AssetName::new(ProjectName::new(uuid::Uuid::now_v7()), uuid::Uuid::now_v7()),
            display_name: title.into(),
            status,
            weight,
            status_time: since,
            quality: None,
        }
    }

    fn at(days: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(days)
    }

    fn inputs(components: Vec<ComponentFigure>) -> HealthInputs {
        HealthInputs {
            components,
            approvals: vec![],
            open_obstacles: vec![],
            milestones: vec![],
            due_date: None,
            now: at(100),
        }
    }

    #[test]
    fn progress_weighs_status_and_weight() {
        let health = compute(&inputs(vec![
            component("Logo", ComponentStatus::Delivered, 30, at(90)),
            component("Video", ComponentStatus::InReview, 50, at(99)),
            component("Pages", ComponentStatus::Planned, 20, at(80)),
        ]));
        assert!((health.progress - (30.0 + 37.5) / 100.0).abs() < 1e-9, "{}", health.progress);
        assert_eq!((health.total_weight, health.work_in_progress), (100, 1));
        assert_eq!(health.by_status[2], (ComponentStatus::InReview, 1, 50));
        assert_eq!((health.state, health.reasons.len()), (HealthState::OnTrack, 0));
        assert_eq!(compute(&inputs(vec![])).progress, 0.0);
    }

    #[test]
    fn each_rule_gives_its_state_and_reason() {
        let mut i = inputs(vec![component("Video", ComponentStatus::InReview, 10, at(95))]);
        let state = |i: &HealthInputs| {
            let h = compute(i);
            (h.state, h.reasons.iter().map(|r| r.code).collect::<Vec<_>>())
        };
        assert_eq!(state(&i), (HealthState::AtRisk, vec!["REVIEW_WAITING"]));
        i.components[0].status_time = at(99);
        assert_eq!(state(&i), (HealthState::OnTrack, vec![]));
        i.open_obstacles.push(OpenObstacle {
            title: "Licence".into(),
            kind: ObstacleKind::Risk,
            severity: Severity::High,
        });
        assert_eq!(state(&i), (HealthState::AtRisk, vec!["HIGH_OBSTACLE"]));
        i.open_obstacles.push(OpenObstacle {
            title: "Server".into(),
            kind: ObstacleKind::Blocker,
            severity: Severity::Low,
        });
        i.open_obstacles.push(OpenObstacle {
            title: "Budget".into(),
            kind: ObstacleKind::Risk,
            severity: Severity::Critical,
        });
        assert_eq!(state(&i), (HealthState::OffTrack, vec!["CRITICAL_OBSTACLE", "HIGH_OBSTACLE", "BLOCKER"]));
        i.open_obstacles.clear();
        i.components[0].status = ComponentStatus::InProgress;
        i.due_date = Some(at(105).date());
        assert_eq!(state(&i), (HealthState::AtRisk, vec!["DUE_SOON"]));
        i.due_date = Some(at(99).date());
        assert_eq!(state(&i), (HealthState::OffTrack, vec!["PAST_DUE"]));
        i.components[0].status = ComponentStatus::Approved;
        assert_eq!(state(&i), (HealthState::OnTrack, vec![]), "all done: the date no longer matters");
        i.due_date = None;
        let approval = |after_changes| Approval { time: at(99), after_changes };
        i.approvals = vec![approval(true), approval(true), approval(true), approval(false)];
        assert_eq!(state(&i), (HealthState::AtRisk, vec!["REWORK"]));
        i.approvals[1].after_changes = false;
        assert_eq!(state(&i), (HealthState::OnTrack, vec![]), "half the first time is enough");
    }

    #[test]
    fn missed_and_due_milestones_change_the_state() {
        use crate::domain::milestone::{Milestone, MilestoneFields};
        use baton_platform::names::MilestoneName;
        let project = ProjectName::new(uuid::Uuid::now_v7());
        let video = component("Video", ComponentStatus::InProgress, 10, at(99));
        let milestone = |title: &str, due: i64| {
            let fields =
                MilestoneFields { title: title.into(), due_date: at(due).date(), components: vec![video.name] };
            Milestone::create(MilestoneName::new(project, uuid::Uuid::now_v7()), fields, at(0))
        };
        let done = std::collections::HashMap::new();
        let mut i = inputs(vec![video.clone()]);
        i.milestones = vec![milestone("Beta", 103).view(&done, at(100))];
        let h = compute(&i);
        assert_eq!(
            (h.state, h.reasons[0].code, h.milestones_at_risk.len()),
            (HealthState::AtRisk, "MILESTONE_AT_RISK", 1)
        );
        i.milestones.push(milestone("Alpha", 98).view(&done, at(100)));
        let h = compute(&i);
        assert_eq!((h.state, h.reasons[0].code), (HealthState::OffTrack, "MILESTONE_MISSED"));
        assert_eq!(
            h.milestones_at_risk.iter().map(|m| m.milestone.fields.title.as_str()).collect::<Vec<_>>(),
            ["Alpha", "Beta"]
        );
        // The video done late: Alpha stays missed on the record, and weighs no more.
        let done = std::collections::HashMap::from([(video.name.id, at(99))]);
        i.milestones = vec![milestone("Alpha", 98).view(&done, at(100))];
        assert_eq!(i.milestones[0].state, MilestoneState::Missed);
        assert_eq!(compute(&i).state, HealthState::OnTrack);
    }

    #[test]
    fn finished_per_week_counts_first_approvals_in_four_windows() {
        let mut i = inputs(vec![]);
        i.approvals = [1, 2, 9, 20, 40].iter().map(|d| Approval { time: at(100 - d), after_changes: false }).collect();
        let weeks: Vec<u32> = compute(&i).finished_per_week.iter().map(|(_, n)| *n).collect();
        assert_eq!(weeks, [0, 1, 1, 2], "oldest week first; 40 days back is outside");
    }

    #[test]
    fn quality_is_averaged_by_weight_and_failures_of_finished_work_are_at_risk() {
        let quality = |score: f64, failed: &[&str]| {
            Some(Quality { score, failed_checks: failed.iter().map(|s| s.to_string()).collect() })
        };
        let mut film = component("Film", ComponentStatus::InProgress, 3, at(0));
        film.quality = quality(0.6, &["loudness_lufs", "captions"]);
        let mut poster = component("Poster", ComponentStatus::Approved, 1, at(0));
        poster.quality = quality(1.0, &[]);
        let unassessed = component("Site", ComponentStatus::Planned, 10, at(0));
        let health = compute(&inputs(vec![film.clone(), poster.clone(), unassessed.clone()]));
        // (3 × 0.6 + 1 × 1.0) / 4 = 0.7; the planned site has no score and weighs nothing.
        assert!((health.quality.score.expect("a score") - 0.7).abs() < 1e-9);
        assert_eq!((health.quality.assessed, health.quality.failing.len()), (2, 1));
        assert_eq!(health.quality.failing[0].failed_checks, ["loudness_lufs", "captions"]);
        assert_eq!(
            (health.state, health.reasons.iter().map(|r| r.code).collect::<Vec<_>>()),
            (HealthState::AtRisk, vec!["QUALITY_LOW"])
        );

        // The film approved while it still fails checks; the score is above the floor.
        film.status = ComponentStatus::Approved;
        film.quality = quality(0.8, &["captions"]);
        let health = compute(&inputs(vec![film, poster, unassessed.clone()]));
        let codes: Vec<&str> = health.reasons.iter().map(|r| r.code).collect();
        assert_eq!(codes, ["APPROVED_FAILING_CHECKS"]);
        assert!(health.reasons[0].message.contains("“Film”"), "{}", health.reasons[0].message);

        let none = compute(&inputs(vec![unassessed]));
        assert_eq!((none.quality.score, none.quality.assessed, none.state), (None, 0, HealthState::OnTrack));
    }
}
