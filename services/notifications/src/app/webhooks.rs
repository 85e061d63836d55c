//! The webhooks' use cases: a project's producer keeps the project's, each person their own.

use sqlx::PgConnection;
use uuid::Uuid;

use baton_platform::policy::Access;

use super::{Notifications, on_project};
use crate::domain::NotificationKind;
use crate::error::NotificationsError;
use crate::repo::webhooks as repo;
use crate::webhooks::{Delivery, Format, MAX_PER_OWNER, Owner, Signer, State, Webhook, WebhookName};

/// How this process treats webhooks.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Derives and signs secrets; `None` while webhooks are off.
    pub signer: Option<Signer>,
    /// Whether endpoints on private networks (and plain http) are allowed.
    pub private: bool,
}

/// A new webhook, as asked (its URL checked against the server's settings at the edge).
#[derive(Debug, Clone)]
pub struct WebhookDraft {
    pub display_name: String,
    pub url: String,
    pub format: Format,
    pub kinds: Vec<NotificationKind>,
}

/// A change of one webhook, as asked: each field to change.
#[derive(Debug, Clone)]
pub struct WebhookUpdate {
    pub name: WebhookName,
    pub display_name: Option<String>,
    pub url: Option<String>,
    pub format: Option<Format>,
    pub kinds: Option<Vec<NotificationKind>>,
    pub state: Option<State>,
    pub etag: Option<String>,
}

/// One page of a webhook's deliveries, newest first.
#[derive(Debug, Clone)]
pub struct DeliveryPage {
    pub deliveries: Vec<Delivery>,
    pub next_page_token: String,
}

impl Notifications {
    /// Whether endpoints on private networks (and plain http) are allowed here.
    pub fn private_endpoints(&self) -> bool {
        self.webhooks.private
    }

    fn signer(&self) -> Result<&Signer, NotificationsError> {
        self.webhooks.signer.as_ref().ok_or(NotificationsError::WebhooksOff)
    }

    /// Adds a webhook to `owner`; it and its secret, shown this once.
    pub async fn create_webhook(
        &self,
        access: &Access,
        owner: Owner,
        draft: WebhookDraft,
        id: Option<Uuid>,
    ) -> Result<(Webhook, String), NotificationsError> {
        let signer = self.signer()?;
        let mut tx = self.pool.begin().await?;
        on_owner(&mut tx, access, owner).await?;
        repo::lock_owner(&mut tx, owner).await?;
        if repo::list(&mut tx, owner).await?.len() as i64 >= MAX_PER_OWNER {
            return Err(NotificationsError::TooManyWebhooks { owner: owner.to_string(), limit: MAX_PER_OWNER });
        }
        let name = WebhookName { owner, id: id.unwrap_or_else(Uuid::now_v7) };
        let (salt, secret_hint) = signer.new_salt(name.id);
        let now = baton_platform::time::now();
        let webhook = Webhook {
            name,
            display_name: draft.display_name,
            url: draft.url,
            format: draft.format,
            kinds: draft.kinds,
            state: State::Enabled,
            disabled_reason: String::new(),
            secret_hint,
            consecutive_failures: 0,
            create_time: now,
            update_time: now,
            creator: access.person(),
            revision: 1,
        };
        if !repo::insert(&mut tx, &webhook, &salt).await? {
            return Err(NotificationsError::WebhookExists(name));
        }
        tx.commit().await?;
        tracing::info!(webhook = %name, "webhook created");
        Ok((webhook, signer.secret(name.id, &salt)))
    }

    pub async fn webhook(&self, access: &Access, name: WebhookName) -> Result<Webhook, NotificationsError> {
        let mut conn = self.pool.acquire().await?;
        on_owner(&mut conn, access, name.owner).await?;
        repo::get(&mut conn, name, false).await?.ok_or(NotificationsError::WebhookNotFound(name))
    }

    pub async fn webhooks(&self, access: &Access, owner: Owner) -> Result<Vec<Webhook>, NotificationsError> {
        let mut conn = self.pool.acquire().await?;
        on_owner(&mut conn, access, owner).await?;
        Ok(repo::list(&mut conn, owner).await?)
    }

    /// Changes the fields of a webhook the update names. Enabling a disabled webhook clears its
    /// failures and resumes the deliveries that waited.
    pub async fn update_webhook(&self, access: &Access, update: WebhookUpdate) -> Result<Webhook, NotificationsError> {
        let name = update.name;
        let mut tx = self.pool.begin().await?;
        let mut webhook = locked(&mut tx, access, name, update.etag.as_deref()).await?;
        if let Some(display_name) = update.display_name {
            webhook.display_name = display_name;
        }
        if let Some(url) = update.url {
            webhook.url = url;
        }
        if let Some(format) = update.format {
            webhook.format = format;
        }
        if let Some(kinds) = update.kinds {
            webhook.kinds = kinds;
        }
        match update.state {
            Some(State::Enabled) if webhook.state == State::Disabled => {
                webhook.state = State::Enabled;
                webhook.disabled_reason.clear();
                webhook.consecutive_failures = 0;
            }
            Some(State::Disabled) if webhook.state == State::Enabled => {
                webhook.state = State::Disabled;
                webhook.disabled_reason = match access.person() {
                    Some(person) => format!("disabled by {person}"),
                    None => "disabled by its owner".into(),
                };
            }
            _ => {}
        }
        webhook.revision += 1;
        webhook.update_time = baton_platform::time::now();
        repo::update(&mut tx, &webhook, None).await?;
        tx.commit().await?;
        tracing::info!(webhook = %name, state = %webhook.state, "webhook changed");
        Ok(webhook)
    }

    /// Deletes a webhook and its deliveries.
    pub async fn delete_webhook(
        &self,
        access: &Access,
        name: WebhookName,
        etag: Option<String>,
    ) -> Result<(), NotificationsError> {
        let mut tx = self.pool.begin().await?;
        locked(&mut tx, access, name, etag.as_deref()).await?;
        repo::delete(&mut tx, name.id).await?;
        tx.commit().await?;
        tracing::info!(webhook = %name, "webhook deleted");
        Ok(())
    }

    /// Gives a webhook a new secret: it and the secret, shown this once.
    pub async fn rotate_webhook_secret(
        &self,
        access: &Access,
        name: WebhookName,
    ) -> Result<(Webhook, String), NotificationsError> {
        let signer = self.signer()?;
        let mut tx = self.pool.begin().await?;
        let mut webhook = locked(&mut tx, access, name, None).await?;
        let (salt, hint) = signer.new_salt(name.id);
        webhook.secret_hint = hint;
        webhook.revision += 1;
        webhook.update_time = baton_platform::time::now();
        repo::update(&mut tx, &webhook, Some(&salt)).await?;
        tx.commit().await?;
        tracing::info!(webhook = %name, "webhook secret rotated");
        Ok((webhook, signer.secret(name.id, &salt)))
    }

    /// A page of a webhook's deliveries with their attempts, newest first.
    pub async fn webhook_deliveries(
        &self,
        access: &Access,
        name: WebhookName,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<DeliveryPage, NotificationsError> {
        let mut conn = self.pool.acquire().await?;
        on_owner(&mut conn, access, name.owner).await?;
        repo::get(&mut conn, name, false).await?.ok_or(NotificationsError::WebhookNotFound(name))?;
        let rows = repo::deliveries(&mut conn, name.id, before_seq, limit).await?;
        let (deliveries, next_page_token) = baton_platform::paging::split_page(rows, limit, |d| d.seq);
        Ok(DeliveryPage { deliveries, next_page_token })
    }
}

/// Decides a call on a webhook of `owner`: a project's on the caller's place on its team, a
/// person's on whether it is theirs.
async fn on_owner(conn: &mut PgConnection, access: &Access, owner: Owner) -> Result<(), NotificationsError> {
    match owner {
        Owner::Project(project) => on_project(conn, access, project).await,
        Owner::Person(person) => Ok(access.own(person)?),
    }
}

/// The webhook `name` names, locked for a change that `etag` (when sent) must match.
async fn locked(
    conn: &mut PgConnection,
    access: &Access,
    name: WebhookName,
    etag: Option<&str>,
) -> Result<Webhook, NotificationsError> {
    on_owner(conn, access, name.owner).await?;
    let webhook = repo::get(conn, name, true).await?.ok_or(NotificationsError::WebhookNotFound(name))?;
    baton_platform::etag::check(etag, webhook.etag())
        .map_err(|current| NotificationsError::EtagMismatch { name: name.to_string(), current })?;
    Ok(webhook)
}
