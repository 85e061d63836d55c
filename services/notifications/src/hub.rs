//! Live delivery: open WatchNotifications streams register in the [`Hub`]; the [`Dispatcher`]
//! listens for committed notifications (`NOTIFY notifications_created, '<event id>'`), reads
//! those addressed to someone watching, and hands them to their streams.
//!
//! Postgres delivers the notification only once the inserting transaction commits, and to every
//! replica of the service, so a watcher connected to any replica sees what any replica created.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::{ConnectOptions, PgConnection, PgPool};
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use baton_proto::notifications::v1 as pb;

use baton_platform::names::PersonName;

use crate::CREATED_CHANNEL;
use crate::domain::Notification;
use crate::repo;

/// What the hub hands a watch stream: shared, so that a slot in a stream's queue is one pointer.
pub type StreamItem = Arc<pb::Notification>;

/// How many notifications may wait for one slow watcher before it is cut off.
const STREAM_BUFFER: usize = 1024;

/// How many rows the dispatcher reads and hands out at a time, so that an event for a team of
/// ten thousand does not hold ten thousand rows in memory at once.
const DELIVERY_CHUNK: usize = 256;

/// How many commit announcements may wait for the dispatcher before it stops reading more (they
/// wait in Postgres then).
const ANNOUNCEMENTS: usize = 65_536;

/// The most commit announcements one read serves. A burst (a team of ten thousand joining a
/// project: ten thousand commits) is read a batch at a time instead of once per commit, which
/// kept an event for the watchers minutes behind while a large team was being formed.
const BATCH_ANNOUNCEMENTS: usize = 512;

/// The open watch streams of this process, by recipient.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    watchers: Arc<Mutex<HashMap<PersonName, Vec<Arc<Mailbox>>>>>,
}

/// One watch stream's queue. Lighter than a channel (an idle stream costs about a hundred
/// bytes here), which matters with ten thousand streams open on one process.
#[derive(Debug, Default)]
struct Mailbox {
    state: Mutex<MailboxState>,
}

#[derive(Debug, Default)]
struct MailboxState {
    queue: VecDeque<StreamItem>,
    waker: Option<Waker>,
    /// Set when the stream ends: its caller hung up, it fell too far behind, or the hub closed.
    closed: bool,
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, MailboxState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Queues `item`; false once the stream has ended (or ends now, being too far behind).
    fn push(&self, item: &StreamItem) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        if state.queue.len() >= STREAM_BUFFER {
            state.closed = true;
            state.queue.clear();
        } else {
            state.queue.push_back(item.clone());
        }
        let open = !state.closed;
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        open
    }

    fn close(&self) {
        let waker = {
            let mut state = self.lock();
            state.closed = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A watch stream's end: the notifications committed for its recipient since it opened, until
/// the hub closes it. Dropping it (the caller hung up) takes it out of the hub.
#[derive(Debug)]
pub struct Watch {
    mailbox: Arc<Mailbox>,
}

impl Stream for Watch {
    type Item = StreamItem;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamItem>> {
        let mut state = self.mailbox.lock();
        if let Some(item) = state.queue.pop_front() {
            return Poll::Ready(Some(item));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut state = self.mailbox.lock();
        state.closed = true;
        state.queue.clear();
    }
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<PersonName, Vec<Arc<Mailbox>>>> {
        // A panic while holding the lock cannot leave the map inconsistent; keep serving.
        self.watchers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// [`Hub::subscribe_within`] without a limit, for the tests.
    #[cfg(test)]
    pub fn subscribe(&self, recipient: PersonName) -> Watch {
        self.subscribe_within(recipient, usize::MAX).unwrap_or_else(|| unreachable!("no limit"))
    }

    /// Registers a new stream for `recipient`, unless they hold `limit` open streams already; it
    /// receives every notification committed from now on.
    pub fn subscribe_within(&self, recipient: PersonName, limit: usize) -> Option<Watch> {
        let mut watchers = self.lock();
        let mailboxes = watchers.entry(recipient).or_default();
        mailboxes.retain(|m| !m.is_closed());
        if mailboxes.len() >= limit {
            return None;
        }
        let mailbox = Arc::new(Mailbox::default());
        mailboxes.push(mailbox.clone());
        Some(Watch { mailbox })
    }

    /// The recipients with at least one open stream, forgetting streams whose caller hung up.
    pub fn recipients(&self) -> Vec<Uuid> {
        let mut watchers = self.lock();
        watchers.retain(|_, mailboxes| {
            mailboxes.retain(|m| !m.is_closed());
            !mailboxes.is_empty()
        });
        watchers.keys().map(|recipient| recipient.id).collect()
    }

    /// The number of open streams.
    pub fn open_streams(&self) -> usize {
        self.lock().values().map(|mailboxes| mailboxes.iter().filter(|m| !m.is_closed()).count()).sum()
    }

    /// Hands notifications to their recipients' streams. A stream that cannot keep up is ended;
    /// its caller reconnects and catches up with ListNotifications.
    pub fn deliver(&self, notifications: &[Notification]) {
        let mut watchers = self.lock();
        for notification in notifications {
            let Some(mailboxes) = watchers.get_mut(&notification.recipient) else { continue };
            let message: StreamItem = Arc::new(crate::wire::notification(notification));
            mailboxes.retain(|mailbox| {
                let open = mailbox.push(&message);
                if !open && Arc::strong_count(mailbox) > 1 {
                    tracing::warn!(recipient = %notification.recipient, "watch stream too slow, closing it");
                }
                open
            });
        }
    }

    /// Ends every stream, so that a graceful shutdown is not held up by watchers.
    pub fn close_all(&self) {
        for mailbox in self.lock().drain().flat_map(|(_, mailboxes)| mailboxes) {
            mailbox.close();
        }
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

    /// Hands the notifications of `event_ids` for `recipients` to their streams, read on the
    /// dispatcher's own connection with one query, a chunk at a time; reconnects once if the
    /// connection broke before anything was handed out. Each event's delivery has a span of its
    /// own that continues the trace of the request that caused it.
    async fn deliver_events(
        &self,
        reader: &mut Option<PgConnection>,
        event_ids: &[Uuid],
        recipients: &[Uuid],
    ) -> Result<(), sqlx::Error> {
        let mut delivered = 0usize;
        for attempt in 0..2 {
            if reader.is_none() {
                *reader = Some(self.pool.connect_options().connect().await?);
            }
            let Some(conn) = reader.as_mut() else { continue };
            let mut rows = repo::of_events_for(conn, event_ids, recipients);
            let mut event = EventDelivery::none();
            let failed = loop {
                match rows.next().await {
                    Some(Ok(notification)) => {
                        if event.id != Some(notification.event_id) {
                            delivered += event.finish(&self.hub);
                            event = EventDelivery::start(&notification);
                        }
                        event.chunk.push(notification);
                        if event.chunk.len() == DELIVERY_CHUNK {
                            delivered += event.flush(&self.hub);
                        }
                    }
                    Some(Err(error)) => break Some(error),
                    None => break None,
                }
            };
            drop(rows);
            delivered += event.finish(&self.hub);
            match failed {
                None => break,
                Some(error) if attempt == 0 && delivered == 0 => {
                    tracing::debug!(%error, "dispatcher connection lost, reconnecting");
                    *reader = None;
                }
                Some(error) => {
                    *reader = None;
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    async fn listen(&self, shutdown: &CancellationToken) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CREATED_CHANNEL).await?;
        // Reception and delivery run side by side: while one read is delivered, the commits
        // announced meanwhile queue up here, and the next read takes them all at once.
        let (announced, mut pending) = tokio::sync::mpsc::channel::<String>(ANNOUNCEMENTS);
        let receive = async {
            loop {
                let received = listener.recv().await?;
                if announced.send(received.payload().to_string()).await.is_err() {
                    return Ok(());
                }
            }
        };
        // A connection of its own for the reads, so that a pool busy with consumers never
        // holds deliveries back (or makes the listener miss notifications while it reconnects).
        let mut reader: Option<PgConnection> = None;
        let deliver = async {
            while let Some(first) = pending.recv().await {
                let mut payloads = vec![first];
                while payloads.len() < BATCH_ANNOUNCEMENTS {
                    match pending.try_recv() {
                        Ok(payload) => payloads.push(payload),
                        Err(_) => break,
                    }
                }
                let event_ids: Vec<Uuid> = payloads
                    .iter()
                    .flat_map(|payload| payload.split(','))
                    .filter_map(|id| Uuid::parse_str(id).ok())
                    .collect();
                if event_ids.is_empty() {
                    tracing::warn!(payloads = ?payloads, "unexpected payload on notifications channel");
                    continue;
                }
                let recipients = self.hub.recipients();
                if recipients.is_empty() {
                    continue;
                }
                if let Err(error) = self.deliver_events(&mut reader, &event_ids, &recipients).await {
                    tracing::warn!(%error, events = event_ids.len(), "cannot read notifications to deliver; watchers catch up by listing");
                }
            }
            Ok::<(), sqlx::Error>(())
        };
        tokio::select! {
            () = shutdown.cancelled() => Ok(()),
            received = receive => received,
            delivered = deliver => delivered,
        }
    }
}

/// The delivery of one event's notifications, under a span that continues its request's trace.
struct EventDelivery {
    id: Option<Uuid>,
    span: tracing::Span,
    chunk: Vec<Notification>,
    delivered: usize,
}

impl EventDelivery {
    fn none() -> Self {
        Self { id: None, span: tracing::Span::none(), chunk: Vec::new(), delivered: 0 }
    }

    fn start(first: &Notification) -> Self {
        let span = tracing::info_span!(
            "deliver",
            otel.name = "deliver notifications",
            otel.kind = "internal",
            baton.event_id = %first.event_id,
            baton.notifications = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        let parent = baton_platform::telemetry::context_of(first.traceparent.as_deref(), None);
        baton_platform::telemetry::adopt(&span, parent);
        Self { id: Some(first.event_id), span, chunk: Vec::with_capacity(DELIVERY_CHUNK), delivered: 0 }
    }

    /// Hands out what is read so far; how many.
    fn flush(&mut self, hub: &Hub) -> usize {
        let count = self.chunk.len();
        if count > 0 {
            self.span.in_scope(|| hub.deliver(&self.chunk));
            self.chunk.clear();
            self.delivered += count;
        }
        count
    }

    /// Hands out the rest and closes the span; how many were handed out by this call.
    fn finish(&mut self, hub: &Hub) -> usize {
        let count = self.flush(hub);
        if self.id.is_some() {
            self.span.record("baton.notifications", self.delivered);
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(recipient: PersonName, seq: i64) -> Notification {
        Notification {
            seq,
            id: Uuid::new_v4(),
            recipient,
            kind: crate::domain::NotificationKind::AssetStatusChanged,
            title: format!("change {seq}"),
            body: String::new(),
            subject: "assets/x".into(),
            project: "projects/y".into(),
            actor: "people/z".into(),
            event_id: Uuid::new_v4(),
            create_time: time::OffsetDateTime::now_utc(),
            read_time: None,
            reason: crate::domain::Reason::TeamMember,
            archive_time: None,
            traceparent: None,
            event_count: 1,
            update_time: time::OffsetDateTime::now_utc(),
        }
    }

    #[tokio::test]
    async fn delivers_in_order_only_to_the_recipient() {
        let hub = Hub::new();
        let (alice, bob) = (PersonName::new(Uuid::new_v4()), PersonName::new(Uuid::new_v4()));
        let mut watch_a = hub.subscribe(alice);
        let mut watch_b = hub.subscribe(bob);
        hub.deliver(&[notification(alice, 1), notification(alice, 2)]);
        assert_eq!(watch_a.next().await.expect("first").title, "change 1");
        assert_eq!(watch_a.next().await.expect("second").title, "change 2");
        let nothing = tokio::time::timeout(Duration::from_millis(50), watch_b.next()).await;
        assert!(nothing.is_err(), "bob got alice's notification");
        assert_eq!(hub.open_streams(), 2);
    }

    #[tokio::test]
    async fn a_stream_that_falls_too_far_behind_is_ended() {
        let hub = Hub::new();
        let alice = PersonName::new(Uuid::new_v4());
        let mut slow = hub.subscribe(alice);
        let backlog: Vec<Notification> = (0..=STREAM_BUFFER as i64).map(|seq| notification(alice, seq)).collect();
        hub.deliver(&backlog);
        assert_eq!(slow.next().await, None, "an overflowing stream ends rather than skipping");
        assert!(hub.recipients().is_empty());
    }

    #[tokio::test]
    async fn a_dropped_stream_leaves_the_hub_and_close_all_ends_the_rest() {
        let hub = Hub::new();
        let alice = PersonName::new(Uuid::new_v4());
        let gone = hub.subscribe(alice);
        let mut open = hub.subscribe(alice);
        drop(gone);
        assert_eq!(hub.open_streams(), 1);
        hub.deliver(&[notification(alice, 1)]);
        assert!(open.next().await.is_some());
        let waiting = tokio::spawn(async move { open.next().await });
        tokio::task::yield_now().await;
        hub.close_all();
        assert_eq!(waiting.await.expect("join"), None);
        assert_eq!(hub.open_streams(), 0);
    }

    #[test]
    fn a_person_holds_at_most_the_limit_of_streams() {
        let hub = Hub::new();
        let (alice, bob) = (PersonName::new(Uuid::new_v4()), PersonName::new(Uuid::new_v4()));
        let first = hub.subscribe_within(alice, 2);
        let second = hub.subscribe_within(alice, 2);
        assert!(first.is_some() && second.is_some());
        assert!(hub.subscribe_within(alice, 2).is_none(), "a third is refused");
        assert!(hub.subscribe_within(bob, 2).is_some(), "the limit is per person");
        drop(first);
        assert!(hub.subscribe_within(alice, 2).is_some(), "a closed stream frees its place");
    }
}
