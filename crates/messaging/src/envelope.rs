//! The event envelope: CloudEvents attributes as AMQP headers around protobuf bytes.

use lapin::BasicProperties;
use lapin::message::Delivery;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use time::OffsetDateTime;
use uuid::Uuid;

pub const CONTENT_TYPE: &str = "application/protobuf";

/// One event as it travels: identity, type, origin and payload.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The event id (UUIDv7), also the AMQP `message_id`.
    pub id: Uuid,
    /// The full proto name of the payload, also the routing key.
    pub event_type: String,
    /// The service that published it, for example `baton.assets`.
    pub source: String,
    /// The resource the event is about.
    pub subject: String,
    /// When the event happened.
    pub time: OffsetDateTime,
    /// The W3C trace context of the request that caused it.
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
    /// The protobuf-encoded event.
    pub payload: Vec<u8>,
}

impl Envelope {
    /// The AMQP properties of the message: persistent, typed, with CloudEvents headers.
    pub fn properties(&self) -> BasicProperties {
        let mut headers = FieldTable::default();
        let mut put = |key: &str, value: &str| {
            headers.insert(ShortString::from(key), AMQPValue::LongString(LongString::from(value)));
        };
        put("cloudEvents_specversion", "1.0");
        put("cloudEvents_id", &self.id.to_string());
        put("cloudEvents_source", &self.source);
        put("cloudEvents_type", &self.event_type);
        put("cloudEvents_time", &baton_platform::time::rfc3339(self.time));
        put("cloudEvents_subject", &self.subject);
        if let Some(traceparent) = &self.traceparent {
            put("traceparent", traceparent);
        }
        if let Some(tracestate) = &self.tracestate {
            put("tracestate", tracestate);
        }
        BasicProperties::default()
            .with_message_id(self.id.to_string().into())
            .with_content_type(CONTENT_TYPE.into())
            .with_delivery_mode(2)
            .with_type(self.event_type.as_str().into())
            .with_app_id(self.source.as_str().into())
            .with_timestamp(u64::try_from(self.time.unix_timestamp()).unwrap_or(0))
            .with_headers(headers)
    }

    /// Reads an envelope from a delivery; `Err` names what is missing or malformed.
    pub fn from_delivery(delivery: &Delivery) -> Result<Self, String> {
        let properties = &delivery.properties;
        let id = properties
            .message_id()
            .as_ref()
            .ok_or("message has no message_id")
            .and_then(|id| Uuid::parse_str(id.as_str()).map_err(|_| "message_id is not a UUID"))?;
        let headers = properties.headers().as_ref();
        let header = |key: &str| -> Option<String> {
            headers.and_then(|h| h.inner().get(key)).and_then(|value| match value {
                AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
                AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
                _ => None,
            })
        };
        let event_type = delivery.routing_key.as_str().to_owned();
        if event_type.is_empty() {
            return Err("message has no routing key".into());
        }
        let source = header("cloudEvents_source").ok_or("message has no cloudEvents_source header")?;
        let time = properties
            .timestamp()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(i64::try_from(t).ok()?).ok())
            .unwrap_or_else(OffsetDateTime::now_utc);
        Ok(Self {
            id,
            event_type,
            source,
            subject: header("cloudEvents_subject").unwrap_or_default(),
            time,
            traceparent: header("traceparent"),
            tracestate: header("tracestate"),
            payload: delivery.data.clone(),
        })
    }

    /// The only source that may publish events of `event_type`: the service named in its package,
    /// `baton.projects` for `baton.projects.v1.ProjectMemberAdded`.
    pub fn owner(event_type: &str) -> Option<&str> {
        let (package, _name) = event_type.rsplit_once('.')?;
        let (service, _version) = package.rsplit_once('.')?;
        service.starts_with("baton.").then_some(service)
    }

    /// Whether this event comes from the service that owns its type; an event from anywhere else
    /// is forged (or misrouted) and is not applied.
    pub fn from_its_owner(&self) -> bool {
        Self::owner(&self.event_type) == Some(self.source.as_str())
    }

    /// Decodes the payload as `E`.
    pub fn decode<E: prost::Message + Default>(&self) -> Result<E, prost::DecodeError> {
        E::decode(self.payload.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_has_one_owner() {
        assert_eq!(Envelope::owner("baton.projects.v1.ProjectMemberAdded"), Some("baton.projects"));
        assert_eq!(Envelope::owner("baton.assets.v1.AssetStatusChanged"), Some("baton.assets"));
        assert_eq!(Envelope::owner("ProjectMemberAdded"), None);
        assert_eq!(Envelope::owner("evil.projects.v1.ProjectMemberAdded"), None);
    }
}
