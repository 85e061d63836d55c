//! The notifications service's use cases.

use sqlx::{PgConnection, PgPool};

use baton_platform::names::{NotificationName, PersonName, ProjectName};
use baton_platform::paging::split_page;
use baton_platform::policy::Access;

use crate::domain::{InboxChange, Notification, ProjectUnread};
use crate::error::NotificationsError;
use crate::hub::{Hub, Watch};
use crate::preferences::{Choice, Preferences, QuietHours};
use crate::repo;
use crate::rules::{self, Audience, KINDS, Rule, RuleChange, RuleName, RulesInForce};
use crate::wire::ListQuery;

mod webhooks;
pub use webhooks::{DeliveryPage, WebhookDraft, WebhookSettings, WebhookUpdate};

#[derive(Debug, Clone)]
pub struct Notifications {
    pool: PgPool,
    hub: Hub,
    /// Open streams one person may hold.
    max_streams: usize,
    webhooks: WebhookSettings,
}

/// One page of notifications, newest first.
#[derive(Debug, Clone)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    pub next_page_token: String,
}

impl Notifications {
    pub fn new(pool: PgPool, hub: Hub, max_streams: usize, webhooks: WebhookSettings) -> Self {
        Self { pool, hub, max_streams, webhooks }
    }

    pub async fn list(&self, access: &Access, query: ListQuery) -> Result<NotificationPage, NotificationsError> {
        access.own(query.recipient)?;
        let mut conn = self.pool.acquire().await?;
        let rows = repo::list(&mut conn, &query).await?;
        let (notifications, next_page_token) = split_page(rows, query.limit, |n| n.seq);
        Ok(NotificationPage { notifications, next_page_token })
    }

    /// Marks a notification read or unread, archives it or puts it back; doing it again keeps
    /// the first time. Needs no `request_id` and emits no event: each change is idempotent by
    /// itself. Someone else's notification is not found, exactly as one that does not exist.
    pub async fn change(
        &self,
        access: &Access,
        name: NotificationName,
        change: InboxChange,
    ) -> Result<Notification, NotificationsError> {
        let mut conn = self.pool.acquire().await?;
        let notification = repo::get(&mut conn, name.id).await?.ok_or(NotificationsError::NotFound(name))?;
        access.on_owned(notification.recipient).map_err(|r| r.into_error(|| NotificationsError::NotFound(name)))?;
        let unchanged = match change {
            InboxChange::Read => notification.read_time.is_some(),
            InboxChange::Unread => notification.read_time.is_none(),
            InboxChange::Archive => notification.archive_time.is_some(),
            InboxChange::Unarchive => notification.archive_time.is_none(),
        };
        if unchanged {
            return Ok(notification);
        }
        repo::change(&mut conn, name.id, change).await?.ok_or(NotificationsError::NotFound(name))
    }

    /// Marks every unread notification of `recipient` read (of one project, when given); how
    /// many it marked.
    pub async fn mark_all_read(
        &self,
        access: &Access,
        recipient: PersonName,
        project: Option<String>,
    ) -> Result<u64, NotificationsError> {
        access.own(recipient)?;
        let mut conn = self.pool.acquire().await?;
        Ok(repo::mark_all_read(&mut conn, recipient.id, project.as_deref()).await?)
    }

    /// `recipient`'s unread notifications in their inbox, in all and per project.
    pub async fn count_unread(
        &self,
        access: &Access,
        recipient: PersonName,
    ) -> Result<(i64, Vec<ProjectUnread>), NotificationsError> {
        access.own(recipient)?;
        let mut conn = self.pool.acquire().await?;
        Ok(repo::count_unread(&mut conn, recipient.id).await?)
    }

    /// Opens a live stream of `recipient`'s notifications, registered before this returns.
    pub fn watch(&self, access: &Access, recipient: PersonName) -> Result<Watch, NotificationsError> {
        access.own(recipient)?;
        self.hub
            .subscribe_within(recipient, self.max_streams)
            .ok_or(NotificationsError::TooManyStreams { recipient, limit: self.max_streams })
    }

    /// A rule as it is in force: the agency's, or the one a project follows.
    pub async fn rule(&self, access: &Access, name: RuleName) -> Result<Rule, NotificationsError> {
        let mut conn = self.pool.acquire().await?;
        if let Some(project) = name.project {
            on_project(&mut conn, access, project).await?;
        }
        let changes = repo::rule_changes(&mut conn, name.project.map(|p| p.id), Some(name.kind)).await?;
        Ok(in_force(name, &changes))
    }

    /// Every kind's rule, of the agency or as `project` follows it, in the order of the kinds.
    pub async fn rules(&self, access: &Access, project: Option<ProjectName>) -> Result<Vec<Rule>, NotificationsError> {
        let mut conn = self.pool.acquire().await?;
        if let Some(project) = project {
            on_project(&mut conn, access, project).await?;
        }
        let changes = repo::rule_changes(&mut conn, project.map(|p| p.id), None).await?;
        Ok(KINDS.iter().map(|spec| in_force(RuleName { project, kind: spec.kind }, &changes)).collect())
    }

    /// Changes a rule: the agency's audiences and whether it is mandatory, or a project's
    /// audiences (its override). A mandatory rule's override keeps the agency's audiences.
    /// Changes of one kind are serialized, so that an etag check and the write see the same rule.
    pub async fn update_rule(&self, access: &Access, update: RuleUpdate) -> Result<Rule, NotificationsError> {
        let name = update.name;
        let mut tx = self.pool.begin().await?;
        if let Some(project) = name.project {
            on_project(&mut tx, access, project).await?;
        }
        repo::lock_rule(&mut tx, name.kind).await?;
        let changes = repo::rule_changes(&mut tx, name.project.map(|p| p.id), Some(name.kind)).await?;
        let current = in_force(name, &changes);
        baton_platform::etag::check(update.etag.as_deref(), current.etag())
            .map_err(|current| NotificationsError::EtagMismatch { name: name.to_string(), current })?;
        let audiences = update.audiences.unwrap_or_else(|| current.audiences.clone());
        for audience in &audiences {
            if let Audience::Team(team) = audience
                && !repo::team_exists(&mut tx, team.id).await?
            {
                return Err(NotificationsError::TeamNotFound(*team));
            }
        }
        let change = RuleChange {
            audiences,
            mandatory: update.mandatory.unwrap_or(current.mandatory),
            update_time: baton_platform::time::now(),
            updater: access.person(),
        };
        // The rule as it stands after the change, from what was read and what is written (the
        // time is at the precision Postgres keeps, so a read afterwards has the same etag).
        let rule = match name.project {
            None => {
                repo::set_agency_rule(&mut tx, name.kind, &change).await?;
                Rule::effective(name, Some(&change), None)
            }
            Some(project) => {
                let agency = changes.agency.get(&name.kind);
                if let Some(agency) = agency.filter(|a| a.mandatory) {
                    let dropped = rules::dropped(&agency.audiences, &change.audiences);
                    if !dropped.is_empty() {
                        return Err(NotificationsError::MandatoryAudience { name: name.to_string(), dropped });
                    }
                }
                repo::set_project_rule(&mut tx, project.id, name.kind, &change).await?;
                Rule::effective(name, agency, Some(&change))
            }
        };
        tx.commit().await?;
        tracing::info!(rule = %name, "notification rule changed");
        Ok(rule)
    }

    /// Drops a project's override of a rule; the rule the project follows now.
    pub async fn reset_rule(
        &self,
        access: &Access,
        name: RuleName,
        etag: Option<String>,
    ) -> Result<Rule, NotificationsError> {
        let project = name.project.ok_or(NotificationsError::NotAProjectRule)?;
        let mut tx = self.pool.begin().await?;
        on_project(&mut tx, access, project).await?;
        repo::lock_rule(&mut tx, name.kind).await?;
        let changes = repo::rule_changes(&mut tx, Some(project.id), Some(name.kind)).await?;
        baton_platform::etag::check(etag.as_deref(), in_force(name, &changes).etag())
            .map_err(|current| NotificationsError::EtagMismatch { name: name.to_string(), current })?;
        repo::delete_project_rule(&mut tx, project.id, name.kind).await?;
        tx.commit().await?;
        let agency = changes.agency.get(&name.kind);
        Ok(Rule::effective(name, agency, None))
    }
}

/// A change of one person's preferences, as asked: each field to change.
#[derive(Debug, Clone)]
pub struct PreferencesUpdate {
    pub person: PersonName,
    pub time_zone: Option<Option<String>>,
    pub quiet_hours: Option<Option<QuietHours>>,
    pub digest_time: Option<time::Time>,
    pub choices: Option<Vec<Choice>>,
    pub etag: Option<String>,
}

impl Notifications {
    /// A person's preferences: the defaults until they change them.
    pub async fn preferences(&self, access: &Access, person: PersonName) -> Result<Preferences, NotificationsError> {
        access.own(person)?;
        let mut conn = self.pool.acquire().await?;
        Ok(repo::preferences(&mut conn, person.id, false).await?.unwrap_or_else(|| Preferences::defaults(person)))
    }

    /// Changes the fields of a person's preferences the update names.
    pub async fn update_preferences(
        &self,
        access: &Access,
        update: PreferencesUpdate,
    ) -> Result<Preferences, NotificationsError> {
        let person = update.person;
        access.own(person)?;
        let mut tx = self.pool.begin().await?;
        repo::lock_preferences(&mut tx, person.id).await?;
        let mut preferences =
            repo::preferences(&mut tx, person.id, true).await?.unwrap_or_else(|| Preferences::defaults(person));
        baton_platform::etag::check(update.etag.as_deref(), preferences.etag()).map_err(|current| {
            NotificationsError::EtagMismatch { name: format!("{person}/notificationPreferences"), current }
        })?;
        if let Some(time_zone) = update.time_zone {
            preferences.time_zone = time_zone;
        }
        if let Some(quiet_hours) = update.quiet_hours {
            preferences.quiet_hours = quiet_hours;
        }
        if let Some(digest_time) = update.digest_time {
            preferences.digest_time = digest_time;
        }
        if let Some(choices) = update.choices {
            preferences.choices = choices;
        }
        preferences.revision += 1;
        preferences.update_time = Some(baton_platform::time::now());
        repo::put_preferences(&mut tx, &preferences).await?;
        tx.commit().await?;
        Ok(preferences)
    }
}

/// A change of one rule, as asked.
#[derive(Debug, Clone)]
pub struct RuleUpdate {
    pub name: RuleName,
    /// The new audiences, when the mask names them.
    pub audiences: Option<Vec<Audience>>,
    /// Whether it is mandatory, when the mask names it (the agency's rules only).
    pub mandatory: Option<bool>,
    pub etag: Option<String>,
}

fn in_force(name: RuleName, changes: &RulesInForce) -> Rule {
    let project = name.project.and_then(|p| changes.projects.get(&(p.id, name.kind)));
    Rule::effective(name, changes.agency.get(&name.kind), project)
}

/// Decides a project-scoped call on the caller's place on `project`'s team, as projected here:
/// a project not known here, or one the caller may not know, is not found.
async fn on_project(conn: &mut PgConnection, access: &Access, project: ProjectName) -> Result<(), NotificationsError> {
    if !repo::project_exists(conn, project.id).await? {
        return Err(NotificationsError::ProjectNotFound(project));
    }
    let membership = match access.whose_place() {
        Some(person) => repo::membership(conn, project.id, person.id).await?,
        None => None,
    };
    access
        .on_project(membership)
        .map(drop)
        .map_err(|refusal| refusal.into_error(|| NotificationsError::ProjectNotFound(project)))
}
