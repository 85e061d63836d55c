//! The notifications service: turns events into notifications for the right people, keeps
//! each person's inbox, and streams new notifications to watchers as soon as they commit.

pub mod app;
pub mod consumers;
pub mod courier;
pub mod domain;
pub mod email;
pub mod error;
pub mod grpc;
pub mod hub;
pub mod preferences;
pub mod reminders;
mod repo;
pub mod rules;
pub mod webhooks;
pub mod wire;

use baton_messaging::{BrokerConfig, Consumer};
use baton_platform::module::{BackgroundTask, BuildError, ServiceContext, ServiceModule};
use baton_proto::notifications::v1::notifications_service_server::NotificationsServiceServer;

/// The gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "baton.notifications.v1.NotificationsService";

/// The consuming service's name: its queue is `notifications.events`.
pub const CONSUMER: &str = "notifications";

/// The events this service consumes: every kind's, each a rule may notify on.
pub fn routing_keys() -> Vec<&'static str> {
    rules::KINDS.iter().filter_map(|spec| spec.event_type).collect()
}

/// The `NOTIFY` channel on which committed notifications are announced, with the event id.
pub(crate) const CREATED_CHANNEL: &str = "notifications_created";
/// The `NOTIFY` channel on which queued webhook deliveries wake the senders.
pub(crate) const DELIVERIES_CHANNEL: &str = "notifications_webhook_deliveries";
pub(crate) const INBOX_TABLE: &str = "notifications.inbox";

/// Counts one delivery attempt of `channel` (`email`, `webhook`): `sent`, `retried` or `failed`.
pub(crate) fn count_delivery(channel: &'static str, outcome: &'static str) {
    let labels = [opentelemetry::KeyValue::new("channel", channel), opentelemetry::KeyValue::new("outcome", outcome)];
    baton_platform::metrics::metrics().deliveries.add(1, &labels);
}

/// How this process signs webhooks and what endpoints it may reach; `None` while webhooks are
/// off (no key outside development).
fn webhooks_of(ctx: &ServiceContext) -> (Option<webhooks::Signer>, bool) {
    let config = &ctx.config.webhooks;
    let development = ctx.config.auth.development;
    let private = config.allow_private_endpoints || development;
    let signer = match (config.secret_key.as_str(), development) {
        ("", false) => None,
        ("", true) => Some(webhooks::Signer::new(webhooks::DEVELOPMENT_KEY)),
        (key, _) => Some(webhooks::Signer::new(key)),
    };
    (signer, private)
}

/// Builds the notifications service: migrates its schema and wires its gRPC service, its event
/// consumer, and the dispatcher that feeds watch streams.
pub async fn build(ctx: &ServiceContext) -> Result<ServiceModule, BuildError> {
    let database = ctx.open_database("notifications", sqlx::migrate!()).await?;
    let pool = database.pool.clone();
    let hub = hub::Hub::new();
    let watched = hub.clone();
    let streams = baton_platform::metrics::observe_streams(std::sync::Arc::new(move || watched.open_streams()));
    let (signer, private) = webhooks_of(ctx);
    let app = app::Notifications::new(
        pool.clone(),
        hub.clone(),
        ctx.config.limits.max_watch_streams_per_person,
        app::WebhookSettings { signer: signer.clone(), private },
    );
    let server = NotificationsServiceServer::new(grpc::NotificationsApi::new(app))
        .max_decoding_message_size(ctx.config.limits.max_message_bytes);
    let handler = consumers::EventHandler {
        email: !ctx.config.smtp.host.is_empty(),
        group_window: std::time::Duration::from_millis(ctx.config.notifications.group_window_ms),
        reminder_days: i32::try_from(ctx.config.notifications.reminder_days_before).unwrap_or(i32::MAX),
    };
    let consumer = Consumer::new(
        pool.clone(),
        BrokerConfig::new(ctx.config.amqp_url_of("notifications"), &ctx.config.amqp),
        CONSUMER,
        routing_keys(),
        INBOX_TABLE,
        handler,
    );
    consumer.declare_now(std::time::Duration::from_secs(5)).await;
    let dispatcher = hub::Dispatcher::new(pool.clone(), hub);
    let scheduler = reminders::Scheduler::new(
        pool.clone(),
        handler,
        std::time::Duration::from_millis(ctx.config.notifications.reminder_poll_interval_ms),
    );
    let mut tasks = vec![
        BackgroundTask::new("notifications-consumer", consumer.run(ctx.shutdown.clone())),
        BackgroundTask::new("notifications-dispatcher", dispatcher.run(ctx.shutdown.clone())),
        BackgroundTask::new("notifications-reminders", scheduler.run(ctx.shutdown.clone())),
    ];
    if ctx.config.smtp.host.is_empty() {
        tracing::info!("email is off: smtp.host (BATON_SMTP__HOST) is not set");
    } else {
        let mailer = email::Mailer::new(pool.clone(), &ctx.config.smtp).map_err(BuildError::from)?;
        tasks.push(BackgroundTask::new("notifications-mailer", mailer.run(ctx.shutdown.clone())));
    }
    match signer {
        None => tracing::info!("webhooks are off: webhooks.secret_key (BATON_WEBHOOKS__SECRET_KEY) is not set"),
        Some(signer) => {
            let courier =
                courier::Courier::new(pool.clone(), signer, &ctx.config.webhooks, private).map_err(BuildError::from)?;
            tasks.push(BackgroundTask::new("notifications-courier", courier.run(ctx.shutdown.clone())));
        }
    }
    Ok(ServiceModule {
        target: baton_platform::Target::Notifications,
        grpc_service: GRPC_SERVICE,
        routes: Box::new(move |routes| {
            routes.add_service(server);
        }),
        tasks,
        close: Box::pin(async move {
            database.close().await;
            drop(streams);
        }),
    })
}

#[cfg(test)]
mod tests {
    /// Every event some service emits is bound to this service's queue, once: an event bound
    /// nowhere would stay in its outbox.
    #[test]
    fn every_event_type_is_routable_here_once() {
        let mut keys = super::routing_keys();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "a routing key listed twice");
        let mut all = baton_proto::EVENT_TYPES.to_vec();
        all.sort_unstable();
        assert_eq!(keys, all);
    }
}
