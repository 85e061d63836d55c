//! Webhooks on the wire: their names, the requests that change them, and the answers.

use tonic::Status;
use uuid::Uuid;

use baton_platform::names::{PersonName, PersonalWebhookName, ProjectName, ProjectWebhookName};
use baton_platform::paging;
use baton_platform::time::{optional_timestamp, timestamp};
use baton_platform::validate::{self, Violations};
use baton_proto::notifications::v1 as pb;

use crate::app::{WebhookDraft, WebhookUpdate};
use crate::domain::NotificationKind;
use crate::webhooks::{self, Delivery, DeliveryState, Format, Owner, State, Webhook, WebhookName};

/// Which family of RPCs a call came through: a project's webhooks or a person's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Project,
    Personal,
}

impl Family {
    pub fn owner(self, value: &str) -> Result<Owner, String> {
        match self {
            Family::Project => ProjectName::parse(value).map(Owner::Project),
            Family::Personal => PersonName::parse(value).map(Owner::Person),
        }
    }

    pub fn name(self, value: &str) -> Result<WebhookName, String> {
        match self {
            Family::Project => ProjectWebhookName::parse(value).map(WebhookName::project),
            Family::Personal => PersonalWebhookName::parse(value).map(WebhookName::person),
        }
    }
}

pub fn webhook(w: &Webhook) -> pb::Webhook {
    pb::Webhook {
        name: w.name.to_string(),
        display_name: w.display_name.clone(),
        url: w.url.clone(),
        format: pb::WebhookFormat::from_str_name(w.format.as_str()).unwrap_or_default() as i32,
        kinds: w.kinds.iter().map(|k| super::kind(*k) as i32).collect(),
        state: pb::WebhookState::from_str_name(w.state.as_str()).unwrap_or_default() as i32,
        disabled_reason: w.disabled_reason.clone(),
        secret_hint: w.secret_hint.clone(),
        consecutive_failures: w.consecutive_failures,
        create_time: Some(timestamp(w.create_time)),
        update_time: Some(timestamp(w.update_time)),
        creator: w.creator.map(|c| c.to_string()).unwrap_or_default(),
        etag: w.etag(),
    }
}

pub fn delivery(webhook: WebhookName, d: &Delivery) -> pb::WebhookDelivery {
    pb::WebhookDelivery {
        name: format!("{webhook}/deliveries/{}", d.id),
        kind: super::kind(d.kind) as i32,
        event: d.event_id.to_string(),
        recipient: d.recipient.map(|r| r.to_string()).unwrap_or_default(),
        state: match d.state {
            DeliveryState::Pending => pb::WebhookDeliveryState::Pending,
            DeliveryState::Delivered => pb::WebhookDeliveryState::Delivered,
            DeliveryState::Failed => pb::WebhookDeliveryState::Failed,
        } as i32,
        attempts: d
            .attempts
            .iter()
            .map(|a| pb::WebhookAttempt {
                attempt: a.attempt,
                start_time: Some(timestamp(a.start_time)),
                latency_ms: a.latency_ms,
                response_code: a.response_code,
                delivered: a.delivered,
                detail: a.detail.clone(),
            })
            .collect(),
        create_time: Some(timestamp(d.create_time)),
        next_attempt_time: optional_timestamp(d.next_attempt_time),
    }
}

fn format(value: i32) -> Result<Format, String> {
    let format = validate::from_wire(
        value,
        |x| pb::WebhookFormat::try_from(x).ok().map(|f| f.as_str_name()),
        Format::from_name,
    )?;
    Ok(format.unwrap_or(Format::Json))
}

fn state(value: i32) -> Result<State, String> {
    validate::from_wire(value, |x| pb::WebhookState::try_from(x).ok().map(|s| s.as_str_name()), State::from_name)?
        .ok_or_else(|| "is required: WEBHOOK_STATE_ENABLED or WEBHOOK_STATE_DISABLED".to_string())
}

fn kinds(values: &[i32]) -> Result<Vec<NotificationKind>, String> {
    let mut kinds = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let kind = validate::from_wire(
            *value,
            |x| pb::NotificationKind::try_from(x).ok().map(|k| k.as_str_name()),
            NotificationKind::from_name,
        )
        .map_err(|e| format!("[{i}] {e}"))?
        .ok_or_else(|| format!("[{i}] must name a kind"))?;
        if kinds.contains(&kind) {
            return Err(format!("[{i}] repeats {kind}"));
        }
        kinds.push(kind);
    }
    Ok(kinds)
}

/// Create…Webhook: the owner, the webhook, and the id asked for.
#[allow(clippy::result_large_err)]
pub fn parse_create(
    family: Family,
    parent: &str,
    webhook: Option<&pb::Webhook>,
    webhook_id: &str,
    private: bool,
) -> Result<(Owner, WebhookDraft, Option<Uuid>), Status> {
    let mut v = Violations::new();
    let owner = v.check("parent", family.owner(parent));
    let id = if webhook_id.is_empty() {
        Some(None)
    } else {
        v.check("webhook_id", Uuid::parse_str(webhook_id).map(Some).map_err(|_| "must be a UUID".to_string()))
    };
    let Some(w) = webhook else {
        v.add("webhook", "is required");
        return v.finish_with(None);
    };
    let display_name = v.check("webhook.display_name", validate::optional_text(&w.display_name, 200));
    let url = v.check("webhook.url", webhooks::endpoint(w.url.trim(), private));
    let format = v.check("webhook.format", format(w.format));
    let kinds = v.check("webhook.kinds", kinds(&w.kinds));
    let parsed = match (owner, id, display_name, url, format, kinds) {
        (Some(owner), Some(id), Some(display_name), Some(url), Some(format), Some(kinds)) => {
            Some((owner, WebhookDraft { display_name, url, format, kinds }, id))
        }
        _ => None,
    };
    v.finish_with(parsed)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    DisplayName,
    Url,
    Format,
    Kinds,
    State,
}

fn path(field: Field) -> &'static str {
    match field {
        Field::DisplayName => "display_name",
        Field::Url => "url",
        Field::Format => "format",
        Field::Kinds => "kinds",
        Field::State => "state",
    }
}

/// Update…Webhook: the webhook and each field the mask (or, without one, the request) names.
#[allow(clippy::result_large_err)]
pub fn parse_update(
    family: Family,
    webhook: Option<&pb::Webhook>,
    mask: Option<&prost_types::FieldMask>,
    private: bool,
) -> Result<WebhookUpdate, Status> {
    let mut v = Violations::new();
    let Some(w) = webhook else {
        v.add("webhook", "is required");
        return v.finish_with(None);
    };
    let name = v.check("webhook.name", family.name(&w.name));
    let all = [Field::DisplayName, Field::Url, Field::Format, Field::Kinds, Field::State];
    let fields = baton_platform::mask::fields(&mut v, mask, &all, path, |f| match f {
        Field::DisplayName => !w.display_name.is_empty(),
        Field::Url => !w.url.is_empty(),
        Field::Format => w.format != 0,
        Field::Kinds => !w.kinds.is_empty(),
        Field::State => w.state != 0,
    });
    // Each field: None when it is wrong, Some(None) when the update leaves it as it is.
    let named = |f| fields.contains(&f);
    let display_name = if named(Field::DisplayName) {
        v.check("webhook.display_name", validate::optional_text(&w.display_name, 200)).map(Some)
    } else {
        Some(None)
    };
    let url = if named(Field::Url) {
        v.check("webhook.url", webhooks::endpoint(w.url.trim(), private)).map(Some)
    } else {
        Some(None)
    };
    let format = if named(Field::Format) { v.check("webhook.format", format(w.format)).map(Some) } else { Some(None) };
    let kinds = if named(Field::Kinds) { v.check("webhook.kinds", kinds(&w.kinds)).map(Some) } else { Some(None) };
    let state = if named(Field::State) { v.check("webhook.state", state(w.state)).map(Some) } else { Some(None) };
    let etag = (!w.etag.is_empty()).then(|| w.etag.clone());
    let update = match (name, display_name, url, format, kinds, state) {
        (Some(name), Some(display_name), Some(url), Some(format), Some(kinds), Some(state)) => {
            Some(WebhookUpdate { name, display_name, url, format, kinds, state, etag })
        }
        _ => None,
    };
    v.finish_with(update)
}

/// A webhook's name.
#[allow(clippy::result_large_err)]
pub fn parse_name(family: Family, field: &str, value: &str) -> Result<WebhookName, Status> {
    validate::single(field, family.name(value))
}

/// List…WebhookDeliveries: the webhook, where the page starts, and its size.
#[allow(clippy::result_large_err)]
pub fn parse_deliveries(
    family: Family,
    parent: &str,
    page_size: i32,
    page_token: &str,
) -> Result<(WebhookName, Option<i64>, i64), Status> {
    let mut v = Violations::new();
    let name = v.check("parent", family.name(parent));
    let limit = v.check("page_size", paging::page_size(page_size));
    let before = v.check("page_token", paging::decode_seq_token(page_token));
    let parsed = match (name, before, limit) {
        (Some(name), Some(before), Some(limit)) => Some((name, before, limit)),
        _ => None,
    };
    v.finish_with(parsed)
}
