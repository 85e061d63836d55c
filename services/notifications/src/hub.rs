//! Live delivery: open WatchNotifications streams register in the [`Hub`]; the [`Dispatcher`]
//! listens for committed notifications (`NOTIFY notifications_created, '<event id>'`), reads
//! those addressed to someone watching, and hands them to their streams.
//!
//! Postgres delivers the notification only once the inserting transaction commits, and to every
//! replica of the service, so a watcher connected to any replica sees what any replica created.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::{ConnectOptions, PgConnection, PgPool};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use baton_proto::notifications::v1 as pb;

use crate::CREATED_CHANNEL;
use crate::domain::Notification;
use crate::repo;

/// What the hub hands a watch stream: shared, so that a slot in a stream's buffer is one
/// pointer (ten thousand idle streams cost little).
pub type StreamItem = Arc<pb::Notification>;

/// How many notifications may wait for one slow watcher before it is cut off.
const STREAM_BUFFER: usize = 1024;

/// The open watch streams of this process, by recipient.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    watchers: Arc<Mutex<HashMap<Uuid, Vec<mpsc::Sender<StreamItem>>>>>,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, Vec<mpsc::Sender<StreamItem>>>> {
        // A panic while holding the lock cannot leave the map inconsistent; keep serving.
        self.watchers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new stream for `recipient`; it receives every notification committed from now on.
    pub fn subscribe(&self, recipient: Uuid) -> mpsc::Receiver<StreamItem> {
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
        self.lock().entry(recipient).or_default().push(sender);
        receiver
    }

    /// The recipients with at least one open stream, forgetting streams whose caller hung up.
    pub fn recipients(&self) -> Vec<Uuid> {
        let mut watchers = self.lock();
        watchers.retain(|_, senders| {
            senders.retain(|s| !s.is_closed());
            !senders.is_empty()
        });
        watchers.keys().copied().collect()
    }

    /// The number of open streams.
    pub fn open_streams(&self) -> usize {
        self.lock().values().map(|senders| senders.iter().filter(|s| !s.is_closed()).count()).sum()
    }

    /// Hands notifications to their recipients' streams. A stream that cannot keep up is ended;
    /// its caller reconnects and catches up with ListNotifications.
    pub fn deliver(&self, notifications: &[Notification]) {
        let mut watchers = self.lock();
        for notification in notifications {
            let Some(senders) = watchers.get_mut(&notification.recipient) else { continue };
            let message: StreamItem = Arc::new(notification.into());
            senders.retain(|sender| match sender.try_send(message.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Closed(_)) => false,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(recipient = %notification.recipient, "watch stream too slow, closing it");
                    false
                }
            });
        }
    }

    /// Ends every stream, so that a graceful shutdown is not held up by watchers.
    pub fn close_all(&self) {
        self.lock().clear();
    }
}

/// Feeds the hub from Postgres notifications. See the module documentation.
pub struct Dispatcher {
    pool: PgPool,
    hub: Hub,
}

impl Dispatcher {
    pub fn new(pool: PgPool, hub: Hub) -> Self {
        Self { pool, hub }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let mut pause = Duration::from_millis(100);
        while !shutdown.is_cancelled() {
            match self.listen(&shutdown).await {
                Ok(()) => break,
                Err(error) => {
                    tracing::warn!(error = %error, "notification dispatcher lost the database, reconnecting");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
        self.hub.close_all();
        tracing::info!("notification dispatcher stopped");
    }

    /// Reads the notifications of `event_ids` for `recipients` on the dispatcher's own
    /// connection, reconnecting it once if it broke.
    async fn read(
        &self,
        reader: &mut Option<PgConnection>,
        event_ids: &[Uuid],
        recipients: &[Uuid],
    ) -> Result<Vec<Notification>, sqlx::Error> {
        for attempt in 0..2 {
            if reader.is_none() {
                *reader = Some(self.pool.connect_options().connect().await?);
            }
            let Some(conn) = reader.as_mut() else { continue };
            match repo::of_events_for(conn, event_ids, recipients).await {
                Ok(notifications) => return Ok(notifications),
                Err(error) if attempt == 0 => {
                    tracing::debug!(%error, "dispatcher connection lost, reconnecting");
                    *reader = None;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(Vec::new())
    }

    async fn listen(&self, shutdown: &CancellationToken) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CREATED_CHANNEL).await?;
        // A connection of its own for the reads, so that a pool busy with consumers never
        // holds deliveries back (or makes the listener miss notifications while it reconnects).
        let mut reader: Option<PgConnection> = None;
        loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                received = listener.recv() => received?,
            };
            let event_ids: Vec<Uuid> =
                received.payload().split(',').filter_map(|id| Uuid::parse_str(id).ok()).collect();
            if event_ids.is_empty() {
                tracing::warn!(payload = received.payload(), "unexpected payload on notifications channel");
                continue;
            }
            let recipients = self.hub.recipients();
            if recipients.is_empty() {
                continue;
            }
            let notifications = match self.read(&mut reader, &event_ids, &recipients).await {
                Ok(notifications) => notifications,
                Err(error) => {
                    tracing::warn!(%error, events = event_ids.len(), "cannot read notifications to deliver; watchers catch up by listing");
                    continue;
                }
            };
            // Each event's delivery continues the trace of the request that caused it.
            for event_id in event_ids {
                let of_event: Vec<Notification> =
                    notifications.iter().filter(|n| n.event_id == event_id).cloned().collect();
                let Some(first) = of_event.first() else { continue };
                let span = tracing::info_span!(
                    "deliver",
                    otel.name = "deliver notifications",
                    otel.kind = "internal",
                    baton.event_id = %event_id,
                    baton.notifications = of_event.len(),
                    trace_id = tracing::field::Empty,
                );
                let parent = baton_platform::telemetry::context_of(first.traceparent.as_deref(), None);
                baton_platform::telemetry::adopt(&span, parent);
                span.in_scope(|| self.hub.deliver(&of_event));
            }
        }
    }
}
