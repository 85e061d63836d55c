//! The notifications service's use cases.

use sqlx::PgPool;

use baton_platform::Actor;
use baton_platform::names::{NotificationName, PersonName};
use baton_platform::paging::split_page;

use crate::domain::Notification;
use crate::error::NotificationsError;
use crate::hub::{Hub, Watch};
use crate::repo;
use crate::wire::ListQuery;

#[derive(Debug, Clone)]
pub struct Notifications {
    pool: PgPool,
    hub: Hub,
}

/// One page of notifications, newest first.
#[derive(Debug, Clone)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    pub next_page_token: String,
}

impl Notifications {
    pub fn new(pool: PgPool, hub: Hub) -> Self {
        Self { pool, hub }
    }

    /// A known caller may only see their own notifications.
    fn check_recipient(actor: Actor, recipient: PersonName) -> Result<(), NotificationsError> {
        match actor.person() {
            Some(person) if person != recipient => Err(NotificationsError::NotRecipient { actor: person, recipient }),
            _ => Ok(()),
        }
    }

    pub async fn list(&self, actor: Actor, query: ListQuery) -> Result<NotificationPage, NotificationsError> {
        Self::check_recipient(actor, query.recipient)?;
        let mut conn = self.pool.acquire().await?;
        let rows = repo::list(&mut conn, query.recipient.id, query.unread_only, query.before_seq, query.limit).await?;
        let (notifications, next_page_token) = split_page(rows, query.limit, |n| n.seq);
        Ok(NotificationPage { notifications, next_page_token })
    }

    /// Marks a notification read; marking it again keeps the first read time. Needs no
    /// `request_id` and emits no event: the change is idempotent by itself.
    pub async fn mark_read(&self, actor: Actor, name: NotificationName) -> Result<Notification, NotificationsError> {
        let mut conn = self.pool.acquire().await?;
        let notification = repo::get(&mut conn, name.id).await?.ok_or(NotificationsError::NotFound(name))?;
        Self::check_recipient(actor, notification.recipient)?;
        if notification.read_time.is_some() {
            return Ok(notification);
        }
        repo::mark_read(&mut conn, name.id).await?.ok_or(NotificationsError::NotFound(name))
    }

    /// Opens a live stream of `recipient`'s notifications, registered before this returns.
    pub fn watch(&self, actor: Actor, recipient: PersonName) -> Result<Watch, NotificationsError> {
        Self::check_recipient(actor, recipient)?;
        Ok(self.hub.subscribe(recipient))
    }
}
