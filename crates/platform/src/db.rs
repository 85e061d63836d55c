//! The Postgres pool of a service, its migrations, and the classification of database failures.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres};

use crate::config::Config;

/// Opens a service's pool. Connections are made on demand, so a database that is down at start
/// or restarts later costs calls (UNAVAILABLE after the acquire timeout), never the process.
///
/// A connection that sat idle for a while is pinged before it is handed out (a restarted
/// database closed it); one in steady use is not, which saves a round trip on every call under
/// load. A connection that broke meanwhile fails its call as UNAVAILABLE and is discarded.
pub fn pool(config: &Config, service: &str, size: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(config.database_url_of(service))?
        .application_name(&format!("baton-{service}"))
        .options([("statement_timeout", "15s"), ("idle_in_transaction_session_timeout", "60s")]);
    Ok(PgPoolOptions::new()
        .max_connections(size)
        .min_connections(0)
        .acquire_timeout(config.acquire_timeout())
        .idle_timeout(Some(Duration::from_secs(60)))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(options))
}

/// How long a pooled connection may sit idle before it is checked on its way out.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// A pooled connection that a long-running loop (the outbox relay, a consumer lane) keeps for
/// itself. Its statements stay prepared and its backend's caches warm, it is neither pinged nor
/// queued for on each use, and the loop never waits behind requests for the pool: an idle
/// system's single event does not pay for a cold connection at every hop. Taken on first use;
/// after a failure the loop [`discard`](Held::discard)s it and the next use takes a fresh one.
#[derive(Debug)]
pub struct Held {
    pool: PgPool,
    conn: Option<PoolConnection<Postgres>>,
}

impl Held {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, conn: None }
    }

    /// The held connection, taken from the pool if there is none.
    pub async fn get(&mut self) -> Result<&mut PgConnection, sqlx::Error> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await?,
        };
        Ok(&mut **self.conn.insert(conn))
    }

    /// Closes the held connection (it may be broken, or mid-transaction after a failure).
    pub fn discard(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

/// Runs a service's migrations, retrying while the database is unreachable, for at most `patience`.
pub async fn migrate(
    pool: &PgPool,
    migrator: &Migrator,
    service: &str,
    patience: Duration,
) -> Result<(), sqlx::migrate::MigrateError> {
    let deadline = tokio::time::Instant::now() + patience;
    let mut pause = Duration::from_millis(200);
    loop {
        match run_migrations(pool, migrator, service).await {
            Ok(()) => return Ok(()),
            Err(sqlx::migrate::MigrateError::Execute(ref e))
                if classify(e) == DbFailure::Unavailable && tokio::time::Instant::now() < deadline =>
            {
                tracing::warn!(service, error = %e, "database unavailable, retrying migrations");
            }
            Err(e) => return Err(e),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(3));
    }
}

/// Creates the service's schema unless it exists, then runs its migrations. A service logging in
/// with its own role owns its schema but may not create one — Postgres checks that right even
/// for `CREATE SCHEMA IF NOT EXISTS` — so there the schema comes from
/// deploy/postgres/schemas.sql; with the shared login it is created here.
async fn run_migrations(pool: &PgPool, migrator: &Migrator, schema: &str) -> Result<(), sqlx::migrate::MigrateError> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)")
        .bind(schema)
        .fetch_one(pool)
        .await
        .map_err(sqlx::migrate::MigrateError::Execute)?;
    if !exists {
        let create = format!("CREATE SCHEMA IF NOT EXISTS \"{}\"", schema.replace('"', "\"\""));
        sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(pool).await.map_err(sqlx::migrate::MigrateError::Execute)?;
    }
    migrator.run(pool).await
}

/// What a database failure means to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFailure {
    /// The database cannot be reached or is shutting down: retry later.
    Unavailable,
    /// A serialization failure or deadlock: retry now.
    Conflict,
    /// A bug or a broken invariant.
    Other,
}

pub fn classify(error: &sqlx::Error) -> DbFailure {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => DbFailure::Unavailable,
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("40001" | "40P01") => DbFailure::Conflict,
            // admin_shutdown, crash_shutdown, cannot_connect_now, connection exceptions, and
            // insufficient resources (too many connections, out of memory or disk)
            Some(code) if code.starts_with("57P") || code.starts_with("08") || code.starts_with("53") => {
                DbFailure::Unavailable
            }
            _ => DbFailure::Other,
        },
        _ => DbFailure::Other,
    }
}

/// True when the error is a unique violation of the named constraint.
pub fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    matches!(error, sqlx::Error::Database(db)
        if db.code().as_deref() == Some("23505") && db.constraint() == Some(constraint))
}
