//! Conversions between `time` values and protobuf timestamps and dates.

use time::{Date, OffsetDateTime, format_description::well_known::Iso8601};

/// Now, at the microsecond precision Postgres stores, so that a value built before it is written
/// is exactly the value read back.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}

/// A protobuf timestamp of an instant.
pub fn timestamp(at: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: at.unix_timestamp(), nanos: i32::try_from(at.nanosecond()).unwrap_or(0) }
}

/// An optional protobuf timestamp.
pub fn optional_timestamp(at: Option<OffsetDateTime>) -> Option<prost_types::Timestamp> {
    at.map(timestamp)
}

/// The instant of a protobuf timestamp; none when unset or out of range.
pub fn instant(at: Option<prost_types::Timestamp>) -> Option<OffsetDateTime> {
    let at = at?;
    let seconds = OffsetDateTime::from_unix_timestamp(at.seconds).ok()?;
    Some(seconds + time::Duration::nanoseconds(i64::from(at.nanos)))
}

/// An ISO 8601 calendar date `YYYY-MM-DD`; empty means none.
pub fn parse_date(value: &str) -> Result<Option<Date>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(value, format)
        .map(Some)
        .map_err(|_| "must be a calendar date YYYY-MM-DD, for example 2027-03-31".into())
}

/// Formats a date as `YYYY-MM-DD`; none is an empty string.
pub fn format_date(date: Option<Date>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    date.and_then(|d| d.format(format).ok()).unwrap_or_default()
}

/// The RFC 3339 form of an instant, for event headers.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Iso8601::DEFAULT).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let date = parse_date("2027-03-31").expect("valid");
        assert_eq!(format_date(date), "2027-03-31");
        assert_eq!(parse_date(""), Ok(None));
        assert!(parse_date("31/03/2027").is_err());
        assert!(parse_date("2027-02-30").is_err());
    }
}
