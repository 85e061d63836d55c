//! The email channel. The consumer queues a row per message (an instant one per notification, a
//! digest per person, cadence and time); the sender of each replica takes what is due with
//! `FOR UPDATE SKIP LOCKED` (each message by one sender at a time), sends it over SMTP, and
//! records every attempt. Temporary failures are retried with exponential backoff and jitter
//! for a bounded time; permanent ones are given up. Email is sent at least once: a crash between
//! the server's acceptance and the record sends the message again once its hold runs out, with
//! the same `Message-ID` (`<{email id}@baton>`), and never skips one. Being its own task on its
//! own rows, a slow or failing mail server never delays the inbox or the live streams.

use std::time::{Duration, Instant};

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use baton_platform::config::{SmtpConfig, SmtpSecurity};

use crate::preferences::Cadence;
use crate::repo::{self, ClaimedEmail};

/// Messages one sender takes at a time (sent concurrently over the pooled connections).
const BATCH: i64 = 32;
/// How long a sender holds a message it took: after it, another may retry it.
const LEASE: Duration = Duration::from_secs(60);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// One notification in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    pub body: String,
    /// The project's title, when it has one.
    pub project: Option<String>,
    pub at: OffsetDateTime,
}

/// A message's subject and its two bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub plain: String,
    pub html: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The words of a message: one notification as it is, or a digest grouped by project.
pub fn letter(cadence: Cadence, name: &str, items: &[Item]) -> Letter {
    if let ([item], Cadence::Instant) = (items, cadence) {
        let project = item.project.as_deref().map(|p| format!("\n\n{p}")).unwrap_or_default();
        let project_html =
            item.project.as_deref().map(|p| format!("<p style=\"color:#666\">{}</p>", escape(p))).unwrap_or_default();
        return Letter {
            subject: item.title.clone(),
            plain: format!("{}\n\n{}{project}\n", item.title, item.body),
            html: format!("<h2>{}</h2><p>{}</p>{project_html}", escape(&item.title), escape(&item.body)),
        };
    }
    let when = if cadence == Cadence::HourlyDigest { "this hour" } else { "today" };
    let subject = format!("Baton: {} notification{} {when}", items.len(), if items.len() == 1 { "" } else { "s" });
    let mut groups: Vec<(&str, Vec<&Item>)> = Vec::new();
    for item in items {
        let project = item.project.as_deref().unwrap_or("Baton");
        match groups.iter_mut().find(|(p, _)| *p == project) {
            Some((_, group)) => group.push(item),
            None => groups.push((project, vec![item])),
        }
    }
    let mut plain = format!("Hello {name}, here is what happened {when}.\n");
    let mut html = format!("<p>Hello {}, here is what happened {when}.</p>", escape(name));
    for (project, group) in groups {
        plain.push_str(&format!("\n{project}\n"));
        html.push_str(&format!("<h3>{}</h3><ul>", escape(project)));
        for item in group {
            plain.push_str(&format!("  • {} — {}\n", item.title, item.body));
            html.push_str(&format!("<li><b>{}</b> — {}</li>", escape(&item.title), escape(&item.body)));
        }
        html.push_str("</ul>");
    }
    Letter { subject, plain, html }
}

/// The wait before attempt `attempts + 1`: the first wait doubled per attempt, at most ten
/// minutes, less up to half of it at random so that many messages do not come back at once.
pub fn backoff(initial: Duration, attempts: i32, jitter: f64) -> Duration {
    let doubled = initial.saturating_mul(1u32 << attempts.clamp(1, 20).saturating_sub(1));
    doubled.min(MAX_BACKOFF).mul_f64(1.0 - 0.5 * jitter.clamp(0.0, 1.0))
}

/// The wait before attempt `attempts + 1` of an email or a webhook delivery: [`backoff`] with a
/// random jitter.
pub fn retry_wait(initial: Duration, attempts: i32) -> Duration {
    backoff(initial, attempts, (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0)
}

/// Sends what is due.
pub struct Mailer {
    pool: PgPool,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    config: SmtpConfig,
}

impl Mailer {
    pub fn new(pool: PgPool, config: &SmtpConfig) -> Result<Self, String> {
        let from: Mailbox = config.from.parse().map_err(|e| format!("smtp.from \"{}\": {e}", config.from))?;
        let builder = match config.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                .map_err(|e| format!("smtp.host: {e}"))?,
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(|e| format!("smtp.host: {e}"))?
            }
        };
        let mut builder = builder.port(config.port).timeout(Some(Duration::from_millis(config.timeout_ms)));
        if !config.username.is_empty() {
            builder = builder.credentials(Credentials::new(config.username.clone(), config.password.clone()));
        }
        Ok(Self { pool, transport: builder.build(), from, config: config.clone() })
    }

    /// Sends due messages until `shutdown`, looking again every poll interval when idle.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(host = %self.config.host, port = self.config.port, "email sender started");
        let poll = Duration::from_millis(self.config.poll_interval_ms);
        loop {
            let wait = match self.send_due().await {
                Ok(taken) if taken as i64 == BATCH => Duration::ZERO,
                Ok(_) => poll,
                Err(error) => {
                    tracing::warn!(%error, "email sender: the database refused; trying again");
                    poll
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Takes what is due and sends it; how many it took.
    pub async fn send_due(&self) -> Result<usize, sqlx::Error> {
        let claimed = repo::claim_emails(&self.pool, BATCH, LEASE).await?;
        let taken = claimed.len();
        let sends = claimed.into_iter().map(|email| self.deliver(email));
        for result in futures_util::future::join_all(sends).await {
            result?;
        }
        Ok(taken)
    }

    async fn deliver(&self, email: ClaimedEmail) -> Result<(), sqlx::Error> {
        let start = OffsetDateTime::now_utc();
        let began = Instant::now();
        let content = repo::email_content(&self.pool, &email).await?;
        let record = |outcome: &'static str, detail: String, retry_at: Option<OffsetDateTime>| {
            let latency = i32::try_from(began.elapsed().as_millis()).unwrap_or(i32::MAX);
            let email = &email;
            async move { repo::record_email_attempt(&self.pool, email, start, latency, outcome, &detail, retry_at).await }
        };
        let Some(content) = content.filter(|c| !c.address.is_empty() && !c.items.is_empty()) else {
            return record("FAILED", "no address or nothing left to send".into(), None).await;
        };
        let message = match self.message(&email, &content) {
            Ok(message) => message,
            Err(problem) => return record("FAILED", problem, None).await,
        };
        match self.transport.send(message).await {
            Ok(response) => {
                crate::count_delivery("email", "sent");
                let reply = response.message().collect::<Vec<_>>().join(" ");
                record("SENT", format!("{} {reply}", response.code()), None).await
            }
            Err(error) => {
                let age = OffsetDateTime::now_utc() - email.create_time;
                let given_up = age > time::Duration::seconds(self.config.retry_for_secs as i64);
                if error.is_permanent() || given_up {
                    crate::count_delivery("email", "failed");
                    tracing::warn!(email = %email.id, %error, "email given up");
                    return record("FAILED", error.to_string(), None).await;
                }
                crate::count_delivery("email", "retried");
                let wait = retry_wait(Duration::from_millis(self.config.retry_initial_ms), email.attempts);
                tracing::info!(email = %email.id, %error, ?wait, "email failed for now; retrying");
                record("RETRY", error.to_string(), Some(OffsetDateTime::now_utc() + wait)).await
            }
        }
    }

    fn message(&self, email: &ClaimedEmail, content: &repo::EmailContent) -> Result<Message, String> {
        let to = Mailbox::new(
            Some(content.display_name.clone()),
            content.address.parse().map_err(|e| format!("the address \"{}\": {e}", content.address))?,
        );
        let letter = letter(email.cadence, &content.display_name, &content.items);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(letter.subject)
            .message_id(Some(format!("<{}@baton>", email.id)))
            .multipart(MultiPart::alternative_plain_html(letter.plain, letter.html))
            .map_err(|e| format!("the message: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str, project: Option<&str>) -> Item {
        Item {
            title: title.into(),
            body: "Body <b>".into(),
            project: project.map(str::to_string),
            at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn one_notification_is_its_own_message_and_digests_group_by_project() {
        let one = letter(Cadence::Instant, "Lena", &[item("Hero is ready for review", Some("Relaunch"))]);
        assert_eq!(one.subject, "Hero is ready for review");
        assert_eq!(one.plain, "Hero is ready for review\n\nBody <b>\n\nRelaunch\n");
        assert!(one.html.contains("Body &lt;b&gt;"), "{}", one.html);
        let digest = letter(
            Cadence::DailyDigest,
            "Lena",
            &[item("A", Some("Relaunch")), item("B", Some("Launch")), item("C", Some("Relaunch"))],
        );
        assert_eq!(digest.subject, "Baton: 3 notifications today");
        let relaunch = digest.plain.find("Relaunch").expect("grouped");
        assert!(
            digest.plain[relaunch..].starts_with("Relaunch\n  • A — Body <b>\n  • C — Body <b>\n"),
            "{}",
            digest.plain
        );
    }

    #[test]
    fn retries_back_off_with_jitter_up_to_ten_minutes() {
        let first = Duration::from_secs(5);
        assert_eq!(backoff(first, 1, 0.0), Duration::from_secs(5));
        assert_eq!(backoff(first, 3, 0.0), Duration::from_secs(20));
        assert_eq!(backoff(first, 3, 1.0), Duration::from_secs(10));
        assert_eq!(backoff(first, 30, 0.0), MAX_BACKOFF);
    }
}
