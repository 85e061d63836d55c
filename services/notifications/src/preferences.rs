//! How each person wants to be told: a cadence per channel, kind and project, quiet hours and a
//! daily digest time in their own time zone — and the sensible defaults of someone who never
//! set anything.

use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, Time};
use uuid::Uuid;

use baton_platform::names::PersonName;

use crate::domain::NotificationKind;

baton_platform::named_enum! {
    /// Where a notification reaches its recipient.
    pub enum Channel {
        /// The inbox, and the live streams that follow it.
        Inbox = "NOTIFICATION_CHANNEL_INBOX",
        Email = "NOTIFICATION_CHANNEL_EMAIL",
    }
}

baton_platform::named_enum! {
    /// When a channel tells of a notification.
    pub enum Cadence {
        Instant = "CADENCE_INSTANT",
        HourlyDigest = "CADENCE_HOURLY_DIGEST",
        DailyDigest = "CADENCE_DAILY_DIGEST",
        Muted = "CADENCE_MUTED",
    }
}

impl Channel {
    /// What the channel does for someone who chose nothing: the inbox at once, email in a daily
    /// digest.
    pub fn default_cadence(self) -> Cadence {
        match self {
            Channel::Inbox => Cadence::Instant,
            Channel::Email => Cadence::DailyDigest,
        }
    }

    /// Whether the channel offers `cadence`: the inbox is read when its owner chooses, so it is
    /// instant or muted; digests are email's.
    pub fn offers(self, cadence: Cadence) -> bool {
        self == Channel::Email || matches!(cadence, Cadence::Instant | Cadence::Muted)
    }
}

/// One choice: how a channel tells of one kind (or all), in one project (or all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub channel: Channel,
    pub kind: Option<NotificationKind>,
    pub project: Option<Uuid>,
    pub cadence: Cadence,
}

impl Choice {
    /// How closely it matches a notification of `kind` in `project`, if it does: 3 for both
    /// named, 2 for the kind, 1 for the project, 0 for neither.
    fn fit(&self, channel: Channel, kind: NotificationKind, project: Option<Uuid>) -> Option<u8> {
        if self.channel != channel {
            return None;
        }
        let kind_fits = match self.kind {
            None => Some(0),
            Some(k) if k == kind => Some(2),
            Some(_) => None,
        }?;
        let project_fits = match self.project {
            None => Some(0),
            Some(p) if Some(p) == project => Some(1),
            Some(_) => None,
        }?;
        Some(kind_fits + project_fits)
    }
}

/// A daily span of quiet in the person's time zone; over midnight when `end` is before `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl QuietHours {
    /// Whether the local time `at` is quiet.
    pub fn contains(&self, at: Time) -> bool {
        if self.start < self.end { self.start <= at && at < self.end } else { at >= self.start || at < self.end }
    }
}

/// The most choices one person may hold.
pub const MAX_CHOICES: usize = 200;

/// The daily digest time of someone who chose none.
pub const DEFAULT_DIGEST_TIME: Time = time::macros::time!(08:00);

/// One person's preferences.
#[derive(Debug, Clone, PartialEq)]
pub struct Preferences {
    pub person: PersonName,
    /// An IANA time zone name (checked when set); `None` for UTC.
    pub time_zone: Option<String>,
    pub quiet_hours: Option<QuietHours>,
    pub digest_time: Time,
    pub choices: Vec<Choice>,
    pub update_time: Option<OffsetDateTime>,
    /// Counts the changes: the etag.
    pub revision: i64,
}

impl Preferences {
    /// What someone who never set anything has.
    pub fn defaults(person: PersonName) -> Self {
        Self {
            person,
            time_zone: None,
            quiet_hours: None,
            digest_time: DEFAULT_DIGEST_TIME,
            choices: Vec::new(),
            update_time: None,
            revision: 0,
        }
    }

    /// How `channel` tells this person of a notification of `kind` in `project`: the most
    /// specific choice, else the channel's default; never muted when the kind's rule is
    /// `mandatory`.
    pub fn cadence(&self, channel: Channel, kind: NotificationKind, project: Option<Uuid>, mandatory: bool) -> Cadence {
        cadence(&self.choices, channel, kind, project, mandatory)
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }
}

/// How `channel` tells someone with `choices` of a notification of `kind` in `project`: the
/// most specific choice, else the channel's default; never muted when the kind's rule is
/// `mandatory`.
pub fn cadence(
    choices: &[Choice],
    channel: Channel,
    kind: NotificationKind,
    project: Option<Uuid>,
    mandatory: bool,
) -> Cadence {
    let chosen = choices
        .iter()
        .filter_map(|c| c.fit(channel, kind, project).map(|fit| (fit, c.cadence)))
        .max_by_key(|(fit, _)| *fit)
        .map_or(channel.default_cadence(), |(_, cadence)| cadence);
    if mandatory && chosen == Cadence::Muted { channel.default_cadence() } else { chosen }
}

/// When and how someone's email reaches them: their clock, quiet hours and digest time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Schedule {
    pub time_zone: Option<String>,
    pub quiet_hours: Option<QuietHours>,
    pub digest_time: Option<Time>,
}

impl Schedule {
    fn zone(&self) -> jiff::tz::TimeZone {
        self.time_zone.as_deref().and_then(|name| jiff::tz::TimeZone::get(name).ok()).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// The first moment at or after `at` whose local time is `time` (a time a clock change skips
    /// falls just after the change).
    fn next_local(&self, at: jiff::Timestamp, time: Time) -> jiff::Timestamp {
        let zone = self.zone();
        let local = at.to_zoned(zone.clone());
        let on = |date: jiff::civil::Date| {
            date.at(time.hour() as i8, time.minute() as i8, 0, 0).to_zoned(zone.clone()).map(|z| z.timestamp())
        };
        match on(local.date()) {
            Ok(today) if today >= at => today,
            _ => local.date().tomorrow().ok().and_then(|d| on(d).ok()).unwrap_or(at),
        }
    }

    /// `at`, or the end of the quiet hours it falls in.
    fn after_quiet(&self, at: jiff::Timestamp) -> jiff::Timestamp {
        let Some(quiet) = self.quiet_hours else { return at };
        let local = at.to_zoned(self.zone()).time();
        let local =
            Time::from_hms(local.hour() as u8, local.minute() as u8, local.second() as u8).unwrap_or(Time::MIDNIGHT);
        if quiet.contains(local) { self.next_local(at, quiet.end) } else { at }
    }

    /// When an email of `cadence` about something that happened `now` is due: at once (after
    /// quiet hours), at the top of the next hour (after quiet hours), or at the next digest
    /// time; `None` when muted.
    pub fn email_due(&self, cadence: Cadence, now: OffsetDateTime) -> Option<OffsetDateTime> {
        let at = jiff::Timestamp::from_nanosecond(now.unix_timestamp_nanos()).ok()?;
        let due = match cadence {
            Cadence::Muted => return None,
            Cadence::Instant => self.after_quiet(at),
            Cadence::HourlyDigest => {
                let hour =
                    jiff::Timestamp::from_second(at.as_second() - at.as_second().rem_euclid(3600) + 3600).ok()?;
                self.after_quiet(hour)
            }
            Cadence::DailyDigest => self.next_local(at, self.digest_time.unwrap_or(DEFAULT_DIGEST_TIME)),
        };
        OffsetDateTime::from_unix_timestamp_nanos(due.as_nanosecond()).ok()
    }
}

/// Reads an IANA time zone name, or says why it is none.
pub fn time_zone(name: &str) -> Result<String, String> {
    jiff::tz::TimeZone::get(name)
        .map(|_| name.to_string())
        .map_err(|_| format!("\"{name}\" is not an IANA time zone such as Europe/Paris or America/New_York"))
}

/// Reads a local time of day, `HH:MM`.
pub fn time_of_day(value: &str) -> Result<Time, String> {
    let wrong = || format!("\"{value}\" is not a time of day as HH:MM, such as 08:30");
    let (hours, minutes) = value.split_once(':').ok_or_else(wrong)?;
    if hours.len() != 2 || minutes.len() != 2 {
        return Err(wrong());
    }
    let hours: u8 = hours.parse().map_err(|_| wrong())?;
    let minutes: u8 = minutes.parse().map_err(|_| wrong())?;
    Time::from_hms(hours, minutes, 0).map_err(|_| wrong())
}

/// A time of day as `HH:MM`.
pub fn format_time_of_day(at: Time) -> String {
    format!("{:02}:{:02}", at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(channel: Channel, kind: Option<NotificationKind>, project: Option<Uuid>, cadence: Cadence) -> Choice {
        Choice { channel, kind, project, cadence }
    }

    #[test]
    fn the_most_specific_choice_decides_and_mandatory_rules_are_never_muted() {
        let (loud, quiet) = (Uuid::now_v7(), Uuid::now_v7());
        let kind = NotificationKind::CommentCreated;
        let mut p = Preferences::defaults(PersonName::new(Uuid::now_v7()));
        assert_eq!(p.cadence(Channel::Inbox, kind, None, false), Cadence::Instant);
        assert_eq!(p.cadence(Channel::Email, kind, None, false), Cadence::DailyDigest);
        p.choices = vec![
            choice(Channel::Email, None, None, Cadence::Muted),
            choice(Channel::Email, None, Some(loud), Cadence::HourlyDigest),
            choice(Channel::Email, Some(kind), None, Cadence::DailyDigest),
            choice(Channel::Email, Some(kind), Some(loud), Cadence::Instant),
            choice(Channel::Inbox, None, Some(quiet), Cadence::Muted),
        ];
        assert_eq!(p.cadence(Channel::Email, kind, Some(loud), false), Cadence::Instant);
        assert_eq!(p.cadence(Channel::Email, kind, Some(quiet), false), Cadence::DailyDigest);
        let other = NotificationKind::AssetCreated;
        assert_eq!(p.cadence(Channel::Email, other, Some(loud), false), Cadence::HourlyDigest);
        assert_eq!(p.cadence(Channel::Email, other, None, false), Cadence::Muted);
        assert_eq!(p.cadence(Channel::Email, other, None, true), Cadence::DailyDigest, "mandatory");
        assert_eq!(p.cadence(Channel::Inbox, other, Some(quiet), false), Cadence::Muted);
        assert_eq!(p.cadence(Channel::Inbox, other, Some(quiet), true), Cadence::Instant, "mandatory");
        assert_eq!(p.cadence(Channel::Inbox, other, Some(loud), false), Cadence::Instant);
    }

    #[test]
    fn quiet_hours_may_span_midnight() {
        let at = |h, m| Time::from_hms(h, m, 0).expect("time");
        let night = QuietHours { start: at(22, 0), end: at(7, 0) };
        assert!(night.contains(at(23, 30)) && night.contains(at(0, 0)) && night.contains(at(6, 59)));
        assert!(!night.contains(at(7, 0)) && !night.contains(at(12, 0)) && !night.contains(at(21, 59)));
        let lunch = QuietHours { start: at(12, 0), end: at(13, 0) };
        assert!(lunch.contains(at(12, 30)) && !lunch.contains(at(13, 0)) && !lunch.contains(at(11, 0)));
    }

    #[test]
    fn email_waits_for_quiet_hours_the_hour_or_the_digest_time_in_the_persons_zone() {
        use time::macros::datetime;
        let at = |h, m| Time::from_hms(h, m, 0).expect("time");
        let paris = Schedule {
            time_zone: Some("Europe/Paris".into()),
            quiet_hours: Some(QuietHours { start: at(22, 0), end: at(7, 0) }),
            digest_time: Some(at(18, 30)),
        };
        // 21:30 UTC in December is 22:30 in Paris: quiet until 07:00 there, 06:00 UTC.
        let night = datetime!(2026-12-04 21:30 UTC);
        assert_eq!(paris.email_due(Cadence::Instant, night), Some(datetime!(2026-12-05 06:00 UTC)));
        assert_eq!(paris.email_due(Cadence::HourlyDigest, night), Some(datetime!(2026-12-05 06:00 UTC)));
        assert_eq!(paris.email_due(Cadence::DailyDigest, night), Some(datetime!(2026-12-05 17:30 UTC)));
        assert_eq!(paris.email_due(Cadence::Muted, night), None);
        let noon = datetime!(2026-12-04 11:10 UTC);
        assert_eq!(paris.email_due(Cadence::Instant, noon), Some(noon));
        assert_eq!(paris.email_due(Cadence::HourlyDigest, noon), Some(datetime!(2026-12-04 12:00 UTC)));
        assert_eq!(paris.email_due(Cadence::DailyDigest, noon), Some(datetime!(2026-12-04 17:30 UTC)));
        // Someone who set nothing: UTC, no quiet hours, the digest at 08:00.
        let anyone = Schedule::default();
        assert_eq!(anyone.email_due(Cadence::DailyDigest, noon), Some(datetime!(2026-12-05 08:00 UTC)));
        assert_eq!(anyone.email_due(Cadence::Instant, night), Some(night));
    }

    #[test]
    fn times_and_zones_are_checked() {
        assert_eq!(time_of_day("08:30"), Ok(Time::from_hms(8, 30, 0).expect("time")));
        for bad in ["8:30", "24:00", "12:60", "noon", "12:3", ""] {
            assert!(time_of_day(bad).is_err(), "{bad}");
        }
        assert_eq!(format_time_of_day(Time::from_hms(7, 5, 0).expect("time")), "07:05");
        assert!(time_zone("Europe/Paris").is_ok() && time_zone("America/New_York").is_ok());
        assert!(time_zone("Mars/Olympus_Mons").unwrap_err().contains("IANA"));
        assert!(Channel::Email.offers(Cadence::HourlyDigest) && !Channel::Inbox.offers(Cadence::DailyDigest));
    }
}
