//! The notifications service's use cases.

use sqlx::PgPool;

use baton_platform::names::{NotificationName, PersonName};
use baton_platform::paging::split_page;
use baton_platform::policy::Access;

use crate::domain::Notification;
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
        let rows = repo::list(&mut conn, query.recipient.id, query.unread_only, query.before_seq, query.limit).await?;
        let (notifications, next_page_token) = split_page(rows, query.limit, |n| n.seq);
        Ok(NotificationPage { notifications, next_page_token })
    }

    /// Marks a notification read; marking it again keeps the first read time. Needs no
    /// `request_id` and emits no event: the change is idempotent by itself.
    /// Someone else's notification is not found, exactly as one that does not exist.
    pub async fn mark_read(&self, access: &Access, name: NotificationName) -> Result<Notification, NotificationsError> {
        let mut conn = self.pool.acquire().await?;
        let notification = repo::get(&mut conn, name.id).await?.ok_or(NotificationsError::NotFound(name))?;
        access.on_owned(notification.recipient).map_err(|r| r.into_error(|| NotificationsError::NotFound(name)))?;
        if notification.read_time.is_some() {
            return Ok(notification);
        }
        repo::mark_read(&mut conn, name.id).await?.ok_or(NotificationsError::NotFound(name))
    }

    /// Opens a live stream of `recipient`'s notifications, registered before this returns.
    pub fn watch(&self, access: &Access, recipient: PersonName) -> Result<Watch, NotificationsError> {
        access.own(recipient)?;
        self.hub
            .subscribe_within(recipient, self.max_streams)
            .ok_or(NotificationsError::TooManyStreams { recipient, limit: self.max_streams })
    }
}
