//! The notifications service's use cases.

use sqlx::PgPool;

use baton_platform::names::{NotificationName, PersonName};
use baton_platform::paging::split_page;
use baton_platform::policy::Access;

use crate::domain::{InboxChange, Notification, ProjectUnread};
use crate::error::NotificationsError;
use crate::hub::{Hub, Watch};
use crate::repo;
use crate::wire::ListQuery;

#[derive(Debug, Clone)]
pub struct Notifications {
    pool: PgPool,
    hub: Hub,
    /// Open streams one person may hold.
    max_streams: usize,
}

/// One page of notifications, newest first.
#[derive(Debug, Clone)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    pub next_page_token: String,
}

impl Notifications {
    pub fn new(pool: PgPool, hub: Hub, max_streams: usize) -> Self {
        Self { pool, hub, max_streams }
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
}
