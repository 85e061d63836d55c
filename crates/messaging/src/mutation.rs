//! The unit of work of every write: a use case's state change, the events it emits, and the
//! record of its `request_id` (AIP-155), written by **one statement** in one round trip.
//!
//! A write use case decides everything first — it reads what it needs, lets the domain rule,
//! and builds the resource as it will be stored, with its new revision and times — then:
//!
//! ```ignore
//! let mut mutation = self.outbox.mutation("CreateAsset", request_id);
//! mutation.emit(&asset.name, &pb::AssetCreated { asset: Some(wire::asset(&asset)), actor });
//! let asset = mutation.finish(repo::insert(&asset), asset).await?.changed()?;
//! ```
//!
//! [`Mutation::finish`] sends the use case's data-modifying common table expressions together
//! with the outbox rows and the idempotency record as a single statement, outside any explicit
//! transaction: Postgres runs one statement atomically, so the change, its events and its
//! response are committed together or not at all, and no `BEGIN`/`COMMIT` round trips are spent.
//! The statement is prepared once per connection (sqlx caches it by its text). On success the
//! relay of this outbox is woken.
//!
//! The use case's [`Change`] is one or more CTEs, the last one named `change`; the change
//! happened when `change` returned at least one row. Compare-and-set conditions (`WHERE revision
//! = $n`) go in those CTEs: when a concurrent write got there first, `change` returns nothing,
//! nothing is written, and the use case reads again and decides again ([`Written::Missed`]).
//!
//! A `request_id` is claimed by the same statement that changes the state: a repeat of a request
//! that was already applied violates the idempotency table's key, the statement rolls back whole,
//! and the first response is read and returned ([`Written::Replay`]). A use case that refuses a
//! request (wrong state, missing resource) calls [`Mutation::refuse`], which answers a repeat of
//! an applied request with its first response rather than with the refusal its own effect caused.
//!
//! There is no other way for a call to write an event: [`Mutation::emit`] is the only producer of
//! outbox rows a request makes and [`Mutation::finish`] the only commit, and it always wakes the
//! relay. A consumer that writes because of an event it applies ([`Change::apply_in`],
//! [`Outbox::emit_in`]) writes in its own transaction, whose inbox record keeps it once.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, AssertSqlSafe, Encode, Postgres, Type};
use uuid::Uuid;

use baton_platform::error::{Kind, ServiceError, database_kind, database_message};
use baton_platform::idempotency::Origin;
use baton_proto::Event;

use crate::outbox::Outbox;

/// A use case's state change: data-modifying CTEs, the last named `change`, with their
/// arguments bound in order (`$1`, `$2`, …). Built with [`Change::new`] and [`Change::bind`].
pub struct Change {
    ctes: &'static str,
    arguments: PgArguments,
    error: Option<sqlx::error::BoxDynError>,
}

impl Change {
    /// `ctes` is a constant of the service's `repo`, for example
    /// `"change AS (INSERT INTO assets.asset (id, …) VALUES ($1, …) RETURNING 1)"`.
    pub fn new(ctes: &'static str) -> Self {
        Self { ctes, arguments: PgArguments::default(), error: None }
    }

    /// Binds the next argument.
    pub fn bind<T>(mut self, value: T) -> Self
    where
        T: for<'q> Encode<'q, Postgres> + Type<Postgres> + Send,
    {
        if self.error.is_none()
            && let Err(error) = self.arguments.add(value)
        {
            self.error = Some(error);
        }
        self
    }
}

impl Change {
    /// Runs the change on `conn`, inside the caller's transaction — a consumer applying an event,
    /// whose inbox record keeps the change once. Whether `change` returned a row.
    pub async fn apply_in(self, conn: &mut sqlx::PgConnection) -> Result<bool, MutationError> {
        let Change { ctes, arguments, error } = self;
        if let Some(error) = error {
            return Err(MutationError::Encode(error));
        }
        let sql = format!("WITH {ctes} SELECT count(*) FROM change");
        let changed: i64 = sqlx::query_scalar_with(AssertSqlSafe(sql), arguments).fetch_one(conn).await?;
        Ok(changed > 0)
    }
}

impl Outbox {
    /// Writes `event` about `subject` to the outbox inside the caller's transaction (a consumer's:
    /// the event commits with the inbox record of the event that caused it). The relay publishes
    /// it when it next looks, within `outbox.poll_interval_ms`: a commit on another connection
    /// does not wake it.
    pub async fn emit_in<E: Event>(
        &self,
        conn: &mut sqlx::PgConnection,
        subject: &str,
        event: &E,
    ) -> Result<Uuid, MutationError> {
        let id = Uuid::now_v7();
        let mut trace = baton_platform::telemetry::current_context_headers();
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {} (id, event_type, subject, payload, traceparent, tracestate) VALUES ($1, $2, $3, $4, $5, $6)",
            self.table()
        )))
        .bind(id)
        .bind(E::TYPE)
        .bind(subject)
        .bind(event.encode_to_vec())
        .bind(trace.remove("traceparent"))
        .bind(trace.remove("tracestate"))
        .execute(conn)
        .await?;
        Ok(id)
    }
}

/// What [`Mutation::finish`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Written<T> {
    /// The change, its events and the response were committed together.
    Done(T),
    /// The request id was used before: nothing was written, this is the first call's response.
    Replay(T),
    /// The change matched nothing (a concurrent write changed what the use case read): nothing
    /// was written; read again and decide again.
    Missed,
}

impl<T> Written<T> {
    /// The answer of a change that cannot miss (an insert): `Missed` would be a broken invariant.
    pub fn changed(self) -> Result<T, MutationError> {
        match self {
            Written::Done(value) | Written::Replay(value) => Ok(value),
            Written::Missed => Err(MutationError::NothingChanged),
        }
    }
}

/// Why a mutation failed.
#[derive(Debug, thiserror::Error)]
pub enum MutationError {
    #[error(
        "request_id was already used for another request (another method, another body or another caller); \
         use a new UUID for a new call"
    )]
    RequestIdReused,
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
    #[error("internal error")]
    Encode(#[source] sqlx::error::BoxDynError),
    #[error("internal error")]
    StoredResponse(#[from] serde_json::Error),
    /// A change that always writes (an insert) wrote nothing.
    #[error("internal error")]
    NothingChanged,
}

impl ServiceError for MutationError {
    fn kind(&self) -> Kind {
        match self {
            MutationError::RequestIdReused => Kind::FailedPrecondition,
            MutationError::Database(error) => database_kind(error).0,
            MutationError::Encode(_) | MutationError::StoredResponse(_) | MutationError::NothingChanged => {
                Kind::Internal
            }
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            MutationError::RequestIdReused => "REQUEST_ID_REUSED",
            MutationError::Database(error) => database_kind(error).1,
            MutationError::Encode(_) | MutationError::StoredResponse(_) | MutationError::NothingChanged => "INTERNAL",
        }
    }
}

/// An event waiting to be written with the change.
struct Pending {
    id: Uuid,
    event_type: &'static str,
    subject: String,
    payload: Vec<u8>,
    traceparent: Option<String>,
    tracestate: Option<String>,
}

/// One write use case in progress. See the module documentation.
#[must_use = "a mutation writes nothing until it is finished"]
pub struct Mutation<'a> {
    outbox: &'a Outbox,
    method: &'static str,
    /// Who writes and what they sent: the idempotency key and the audit record.
    origin: &'a Origin,
    events: Vec<Pending>,
}

impl<'a> Mutation<'a> {
    pub(crate) fn new(outbox: &'a Outbox, method: &'static str, origin: &'a Origin) -> Self {
        Self { outbox, method, origin, events: Vec::new() }
    }

    /// Binds the audit record's values (id, actor, token id, resource, project): the resource
    /// is what the write's first event is about.
    fn add_audit(&self, arguments: &mut PgArguments) -> Result<(), MutationError> {
        let resource = self.events.first().map(|event| event.subject.as_str()).unwrap_or_default();
        let mut add = || -> Result<(), sqlx::error::BoxDynError> {
            arguments.add(Uuid::now_v7())?;
            arguments.add(self.origin.actor.as_str())?;
            arguments.add(self.origin.token_id.as_deref())?;
            arguments.add(resource)?;
            arguments.add(baton_platform::audit::project_of(resource))?;
            Ok(())
        };
        add().map_err(MutationError::Encode)
    }

    fn request_id(&self) -> Option<Uuid> {
        self.origin.request_id()
    }

    /// The request's fingerprint, kept with its `request_id` when it has one.
    fn fingerprint(&self) -> Option<&[u8]> {
        self.request_id().map(|_| self.origin.fingerprint().as_bytes())
    }

    /// Adds `event` about `subject` to what [`finish`](Self::finish) writes; it is published
    /// only if the change happens. Returns the event's id. The event carries the current trace.
    pub fn emit<E: Event>(&mut self, subject: &str, event: &E) -> Uuid {
        let id = Uuid::now_v7();
        let mut trace = baton_platform::telemetry::current_context_headers();
        self.events.push(Pending {
            id,
            event_type: E::TYPE,
            subject: subject.to_string(),
            payload: event.encode_to_vec(),
            traceparent: trace.remove("traceparent"),
            tracestate: trace.remove("tracestate"),
        });
        id
    }

    /// Writes `change`, the emitted events and `response` as the request id's answer in one
    /// statement, then wakes the relay. See [`Written`] for the outcomes.
    pub async fn finish<T>(self, change: Change, response: T) -> Result<Written<T>, MutationError>
    where
        T: Serialize + DeserializeOwned,
    {
        let Change { ctes, mut arguments, error } = change;
        if let Some(error) = error {
            return Err(MutationError::Encode(error));
        }
        let first = arguments.len() + 1;
        let stored = match self.request_id() {
            Some(_) => Some(serde_json::to_value(&response)?),
            None => None,
        };
        arguments.add(self.request_id()).map_err(MutationError::Encode)?;
        arguments.add(self.method).map_err(MutationError::Encode)?;
        arguments.add(stored).map_err(MutationError::Encode)?;
        arguments.add(self.fingerprint()).map_err(MutationError::Encode)?;
        self.add_audit(&mut arguments)?;
        add_events(&mut arguments, &self.events)?;
        let tables = Tables {
            idempotency: self.outbox.idempotency_table(),
            audit: self.outbox.audit_table(),
            outbox: self.outbox.table(),
        };
        let sql = statement(ctes, &tables, first);
        let written =
            sqlx::query_scalar_with::<_, i64, _>(AssertSqlSafe(sql), arguments).fetch_one(self.outbox.pool()).await;
        match written {
            Ok(0) => Ok(Written::Missed),
            Ok(_) => {
                if !self.events.is_empty() {
                    self.outbox.wake();
                }
                Ok(Written::Done(response))
            }
            // Whatever refused the statement, a request that was applied before gets its first
            // answer: its own effect may be what refuses it now (a taken email, a moved status).
            Err(error) => match self.stored::<T>().await? {
                Some(first) => Ok(Written::Replay(first)),
                None => Err(error.into()),
            },
        }
    }

    /// Refuses the request with `error`, unless it repeats a request that was applied: then the
    /// first response is the answer.
    pub async fn refuse<T, E>(self, error: E) -> Result<T, E>
    where
        T: DeserializeOwned,
        E: From<MutationError>,
    {
        match self.stored::<T>().await {
            Ok(Some(first)) => Ok(first),
            Ok(None) => Err(error),
            Err(failure) => Err(failure.into()),
        }
    }

    /// The stored response of this request id, if it was applied before — to this very request
    /// of this caller; any other use of the id is [`MutationError::RequestIdReused`].
    async fn stored<T: DeserializeOwned>(&self) -> Result<Option<T>, MutationError> {
        let Some(request_id) = self.request_id() else { return Ok(None) };
        type Stored = (String, Option<serde_json::Value>, Option<Vec<u8>>);
        let row: Option<Stored> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT method, response, fingerprint FROM {} WHERE request_id = $1",
            self.outbox.idempotency_table()
        )))
        .bind(request_id)
        .fetch_optional(self.outbox.pool())
        .await?;
        match row {
            None => Ok(None),
            // Keys recorded before fingerprints were kept bind to their method alone.
            Some((method, Some(response), fingerprint))
                if method == self.method
                    && fingerprint.as_deref().is_none_or(|stored| stored == self.origin.fingerprint().as_bytes()) =>
            {
                Ok(Some(serde_json::from_value(response)?))
            }
            Some(_) => Err(MutationError::RequestIdReused),
        }
    }
}

/// The start of a mutation in a transaction: new, or a repeat answered with the first response.
pub enum Begun<'a, T> {
    New(Transaction<'a>),
    Replay(T),
}

impl<'a> Mutation<'a> {
    /// For a use case that must read under a lock (a counter every change moves, a set that many
    /// callers change at once): opens a transaction and claims the request id in it. The use case
    /// runs its statements on [`Transaction::conn`], emits, and [`Transaction::finish`]es, which
    /// writes the events and the response in one statement and commits. Costs `BEGIN`, the claim
    /// (with a request id), the use case's statements, the tail and `COMMIT` in round trips:
    /// prefer [`Mutation::finish`] where a compare-and-set does.
    pub async fn begin<T: DeserializeOwned>(self) -> Result<Begun<'a, T>, MutationError> {
        let mut tx = self.outbox.pool().begin().await?;
        if let Some(request_id) = self.request_id() {
            let claimed = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {} (request_id, method, fingerprint) VALUES ($1, $2, $3) \
                 ON CONFLICT (request_id) DO NOTHING",
                self.outbox.idempotency_table()
            )))
            .bind(request_id)
            .bind(self.method)
            .bind(self.origin.fingerprint().as_bytes())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !claimed {
                tx.rollback().await?;
                return match self.stored::<T>().await? {
                    Some(first) => Ok(Begun::Replay(first)),
                    None => Err(MutationError::RequestIdReused),
                };
            }
        }
        Ok(Begun::New(Transaction { mutation: self, tx }))
    }
}

/// A mutation holding a transaction; see [`Mutation::begin`]. Dropped unfinished, it rolls back
/// and writes nothing.
#[must_use = "a transaction writes nothing until it is finished"]
pub struct Transaction<'a> {
    mutation: Mutation<'a>,
    tx: sqlx::Transaction<'static, Postgres>,
}

impl Transaction<'_> {
    /// The connection to run the use case's statements on, inside the transaction.
    pub fn conn(&mut self) -> &mut sqlx::PgConnection {
        &mut self.tx
    }

    /// See [`Mutation::emit`].
    pub fn emit<E: Event>(&mut self, subject: &str, event: &E) -> Uuid {
        self.mutation.emit(subject, event)
    }

    /// Writes the emitted events and `response` as the request id's answer in one statement,
    /// commits, and wakes the relay.
    pub async fn finish<T: Serialize>(mut self, response: T) -> Result<T, MutationError> {
        let mutation = &self.mutation;
        let stored = match mutation.request_id() {
            Some(_) => Some(serde_json::to_value(&response)?),
            None => None,
        };
        let mut arguments = PgArguments::default();
        arguments.add(mutation.request_id()).map_err(MutationError::Encode)?;
        arguments.add(stored).map_err(MutationError::Encode)?;
        arguments.add(mutation.method).map_err(MutationError::Encode)?;
        mutation.add_audit(&mut arguments)?;
        add_events(&mut arguments, &mutation.events)?;
        let sql = format!(
            "WITH recorded AS (UPDATE {} SET response = $2 WHERE request_id = $1), {}, {} SELECT 1",
            mutation.outbox.idempotency_table(),
            audit_cte(mutation.outbox.audit_table(), 3, 4, ""),
            events_cte(mutation.outbox.table(), 9, ""),
        );
        sqlx::query_with(AssertSqlSafe(sql), arguments).execute(&mut *self.tx).await?;
        self.tx.commit().await?;
        if !self.mutation.events.is_empty() {
            self.mutation.outbox.wake();
        }
        Ok(response)
    }
}

/// Binds the emitted events as six arrays, in the order [`events_cte`] reads them.
fn add_events(arguments: &mut PgArguments, events: &[Pending]) -> Result<(), MutationError> {
    let mut add = || -> Result<(), sqlx::error::BoxDynError> {
        arguments.add(events.iter().map(|e| e.id).collect::<Vec<_>>())?;
        arguments.add(events.iter().map(|e| e.event_type).collect::<Vec<_>>())?;
        arguments.add(events.iter().map(|e| e.subject.as_str()).collect::<Vec<_>>())?;
        arguments.add(events.iter().map(|e| e.payload.as_slice()).collect::<Vec<_>>())?;
        arguments.add(events.iter().map(|e| e.traceparent.as_deref()).collect::<Vec<_>>())?;
        arguments.add(events.iter().map(|e| e.tracestate.as_deref()).collect::<Vec<_>>())?;
        Ok(())
    };
    add().map_err(MutationError::Encode)
}

/// The CTE inserting the events bound from parameter `first` on, under `condition`.
fn events_cte(outbox: &str, first: usize, condition: &str) -> String {
    let p = |offset: usize| first + offset;
    format!(
        "events AS (INSERT INTO {outbox} (id, event_type, subject, payload, traceparent, tracestate) \
         SELECT * FROM unnest(${}::uuid[], ${}::text[], ${}::text[], ${}::bytea[], ${}::text[], ${}::text[]) {condition})",
        p(0),
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
    )
}

/// The tables of a service a mutation writes besides the use case's own.
struct Tables<'a> {
    idempotency: &'a str,
    audit: &'a str,
    outbox: &'a str,
}

/// The CTE inserting the audit record: the method is parameter `method`, the record's five
/// values are bound from `first` on (see `Mutation::add_audit`), under `condition`.
fn audit_cte(audit: &str, method: usize, first: usize, condition: &str) -> String {
    let p = |offset: usize| first + offset;
    format!(
        "audit AS (INSERT INTO {audit} (id, method, actor, token_id, resource, project_id) \
         SELECT ${}::uuid, ${method}::text, ${}::text, ${}::text, ${}::text, ${}::uuid {condition})",
        p(0),
        p(1),
        p(2),
        p(3),
        p(4),
    )
}

/// The whole statement: the use case's CTEs, the idempotency record, the audit record and the
/// outbox rows (all only when `change` returned rows), and the number of rows `change` returned.
/// `first` is the number of the first parameter after the use case's own.
fn statement(ctes: &str, tables: &Tables<'_>, first: usize) -> String {
    let (request_id, method, response, fingerprint) = (first, first + 1, first + 2, first + 3);
    let changed = "WHERE EXISTS (SELECT 1 FROM change)";
    format!(
        "WITH {ctes}, \
         claim AS (INSERT INTO {} (request_id, method, response, fingerprint) \
                   SELECT ${request_id}::uuid, ${method}::text, ${response}::jsonb, ${fingerprint}::bytea \
                   WHERE ${request_id}::uuid IS NOT NULL AND EXISTS (SELECT 1 FROM change)), \
         {}, {} \
         SELECT count(*) FROM change",
        tables.idempotency,
        audit_cte(tables.audit, method, first + 4, changed),
        events_cte(tables.outbox, first + 9, changed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_numbers_its_parameters_after_the_change() {
        let tables = Tables { idempotency: "s.i", audit: "s.a", outbox: "s.o" };
        let sql = statement("change AS (INSERT INTO s.t (a, b) VALUES ($1, $2) RETURNING 1)", &tables, 3);
        assert!(sql.starts_with("WITH change AS (INSERT INTO s.t (a, b) VALUES ($1, $2) RETURNING 1), claim AS"));
        assert!(sql.contains("SELECT $3::uuid, $4::text, $5::jsonb, $6::bytea WHERE $3::uuid IS NOT NULL"), "{sql}");
        assert!(sql.contains("SELECT $7::uuid, $4::text, $8::text, $9::text, $10::text, $11::uuid WHERE"), "{sql}");
        assert!(
            sql.contains("unnest($12::uuid[], $13::text[], $14::text[], $15::bytea[], $16::text[], $17::text[])"),
            "{sql}"
        );
        assert!(sql.ends_with("SELECT count(*) FROM change"));
    }
}
