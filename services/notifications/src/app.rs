//! The notifications service's use cases.

use sqlx::PgPool;
use uuid::Uuid;

use baton_platform::Actor;
use baton_platform::paging::split_page;

use crate::domain::Notification;
use crate::error::NotificationsError;
use crate::hub::{Hub, Watch};
use crate::repo;

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
    fn check_recipient(actor: Actor, recipient: Uuid) -> Result<(), NotificationsError> {
        match actor.id() {
            Some(id) if id != recipient => Err(NotificationsError::NotRecipient {
                actor: actor.resource_name(),
                recipient: format!("people/{recipient}"),
            }),
            _ => Ok(()),
        }
    }

    pub async fn list(
        &self,
        actor: Actor,
        recipient: Uuid,
        unread_only: bool,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<NotificationPage, NotificationsError> {
        Self::check_recipient(actor, recipient)?;
        let mut conn = self.pool.acquire().await?;
        let rows = repo::list(&mut conn, recipient, unread_only, before_seq, limit).await?;
        let (notifications, next_page_token) = split_page(rows, limit, |n| n.seq);
        Ok(NotificationPage { notifications, next_page_token })
    }

    pub async fn mark_read(&self, actor: Actor, id: Uuid) -> Result<Notification, NotificationsError> {
        let not_found = || NotificationsError::NotFound(format!("notifications/{id}"));
        let mut conn = self.pool.acquire().await?;
        let notification = repo::get(&mut conn, id).await?.ok_or_else(not_found)?;
        Self::check_recipient(actor, notification.recipient)?;
        if notification.read_time.is_some() {
            return Ok(notification);
        }
        repo::mark_read(&mut conn, id).await?.ok_or_else(not_found)
    }

    /// Opens a live stream of `recipient`'s notifications, registered before this returns.
    pub fn watch(&self, actor: Actor, recipient: Uuid) -> Result<Watch, NotificationsError> {
        Self::check_recipient(actor, recipient)?;
        Ok(self.hub.subscribe(recipient))
    }
}
