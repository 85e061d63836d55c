//! `baton webhooks list|add|show|update|enable|disable|rotate-secret|remove|deliveries`: HTTP
//! endpoints told of a project's events or of a person's notifications.

use prost_types::FieldMask;
use tonic::Request;

use baton_proto::notifications::v1::*;

use crate::cli::{WebhookFormatArg, WebhooksCommand};
use crate::client::Baton;
use crate::error::CliError;
use crate::json::{enum_word, kind_of_word, notification_kind};
use crate::output::{Cell, Out, Table, short_time, time};

/// Whose webhooks a command is about.
enum Owner {
    Project(String),
    Person(String),
}

impl Owner {
    /// The owner a full webhook name starts with.
    fn of_webhook(name: &str) -> Result<Self, CliError> {
        let (owner, _) = name.split_once("/webhooks/").ok_or_else(|| {
            CliError::Usage(format!("{name}: name the webhook in full, as `baton webhooks list` prints it"))
        })?;
        match owner.split_once('/') {
            Some(("projects", _)) => Ok(Owner::Project(owner.to_string())),
            Some(("people", _)) => Ok(Owner::Person(owner.to_string())),
            _ => Err(CliError::Usage(format!("{name}: not a webhook's name"))),
        }
    }

    async fn given(baton: &Baton, project: Option<String>, person: Option<String>) -> Result<Self, CliError> {
        Ok(match project {
            Some(project) => Owner::Project(baton.resolve_project(&project).await?),
            None => Owner::Person(super::notifications::recipient(baton, person).await?),
        })
    }

    /// The call made by the right person: a person's webhooks are theirs alone.
    fn request<T>(&self, baton: &Baton, message: T) -> Request<T> {
        match self {
            Owner::Project(_) => baton.request(message),
            Owner::Person(person) => baton.request_for(person, message),
        }
    }
}

pub async fn run(baton: &Baton, out: &Out, command: WebhooksCommand) -> Result<(), CliError> {
    let mut client = baton.notifications();
    match command {
        WebhooksCommand::List { project, person } => {
            let owner = Owner::given(baton, project, person).await?;
            let webhooks = match &owner {
                Owner::Project(parent) => {
                    let request = ListProjectWebhooksRequest { parent: parent.clone() };
                    client.list_project_webhooks(owner.request(baton, request)).await?.into_inner().webhooks
                }
                Owner::Person(parent) => {
                    let request = ListPersonalWebhooksRequest { parent: parent.clone() };
                    client.list_personal_webhooks(owner.request(baton, request)).await?.into_inner().webhooks
                }
            };
            if out.json() {
                for webhook in &webhooks {
                    out.json_line(&webhook_json(webhook))?;
                }
                return Ok(());
            }
            let mut table = Table::new(&["NAME", "LABEL", "URL", "FORMAT", "KINDS", "STATE"]);
            for w in &webhooks {
                table.row(vec![
                    Cell::from(w.name.as_str()),
                    Cell::from(w.display_name.as_str()),
                    Cell::from(w.url.as_str()),
                    Cell::from(WebhookFormatArg::word(w.format)),
                    Cell::from(kinds_text(&w.kinds)),
                    Cell::from(state_text(w)),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
        WebhooksCommand::Add { url, project, person, name, format, kinds } => {
            let owner = Owner::given(baton, project, person).await?;
            let webhook = Webhook {
                display_name: name.unwrap_or_default(),
                url,
                format: format.to_proto() as i32,
                kinds: kinds_of(&kinds)?,
                ..Default::default()
            };
            let (webhook, secret) = match &owner {
                Owner::Project(parent) => {
                    let request = CreateProjectWebhookRequest {
                        parent: parent.clone(),
                        webhook: Some(webhook),
                        webhook_id: String::new(),
                    };
                    let made = client.create_project_webhook(owner.request(baton, request)).await?.into_inner();
                    (made.webhook, made.secret)
                }
                Owner::Person(parent) => {
                    let request = CreatePersonalWebhookRequest {
                        parent: parent.clone(),
                        webhook: Some(webhook),
                        webhook_id: String::new(),
                    };
                    let made = client.create_personal_webhook(owner.request(baton, request)).await?.into_inner();
                    (made.webhook, made.secret)
                }
            };
            print_with_secret(out, &webhook.unwrap_or_default(), &secret)
        }
        WebhooksCommand::Show { webhook } => print(out, &get(baton, &webhook).await?),
        WebhooksCommand::Update { webhook, url, name, format, kinds } => {
            let mut change = Webhook { name: webhook.clone(), ..Default::default() };
            let mut paths = Vec::new();
            if let Some(url) = url {
                change.url = url;
                paths.push("url");
            }
            if let Some(name) = name {
                change.display_name = name;
                paths.push("display_name");
            }
            if let Some(format) = format {
                change.format = format.to_proto() as i32;
                paths.push("format");
            }
            if let Some(kinds) = kinds {
                let every = kinds.iter().any(|k| k == "all");
                change.kinds = if every { Vec::new() } else { kinds_of(&kinds)? };
                paths.push("kinds");
            }
            if paths.is_empty() {
                return Err(CliError::Usage("nothing to change: give --url, --name, --format or --kinds".into()));
            }
            print(out, &update(baton, change, &paths).await?)
        }
        WebhooksCommand::Enable { webhook } => {
            let change = Webhook { name: webhook, state: WebhookState::Enabled as i32, ..Default::default() };
            print(out, &update(baton, change, &["state"]).await?)
        }
        WebhooksCommand::Disable { webhook } => {
            let change = Webhook { name: webhook, state: WebhookState::Disabled as i32, ..Default::default() };
            print(out, &update(baton, change, &["state"]).await?)
        }
        WebhooksCommand::RotateSecret { webhook } => {
            let owner = Owner::of_webhook(&webhook)?;
            let (rotated, secret) = match owner {
                Owner::Project(_) => {
                    let request = RotateProjectWebhookSecretRequest { name: webhook };
                    let r = client.rotate_project_webhook_secret(owner.request(baton, request)).await?.into_inner();
                    (r.webhook, r.secret)
                }
                Owner::Person(_) => {
                    let request = RotatePersonalWebhookSecretRequest { name: webhook };
                    let r = client.rotate_personal_webhook_secret(owner.request(baton, request)).await?.into_inner();
                    (r.webhook, r.secret)
                }
            };
            print_with_secret(out, &rotated.unwrap_or_default(), &secret)
        }
        WebhooksCommand::Remove { webhook } => {
            let owner = Owner::of_webhook(&webhook)?;
            match owner {
                Owner::Project(_) => {
                    let request = DeleteProjectWebhookRequest { name: webhook.clone(), etag: String::new() };
                    client.delete_project_webhook(owner.request(baton, request)).await?;
                }
                Owner::Person(_) => {
                    let request = DeletePersonalWebhookRequest { name: webhook.clone(), etag: String::new() };
                    client.delete_personal_webhook(owner.request(baton, request)).await?;
                }
            }
            out.line(format!("removed {webhook}"))
        }
        WebhooksCommand::Deliveries { webhook, limit } => {
            let owner = Owner::of_webhook(&webhook)?;
            let deliveries = match owner {
                Owner::Project(_) => {
                    let request =
                        ListProjectWebhookDeliveriesRequest { parent: webhook, page_size: limit, ..Default::default() };
                    client.list_project_webhook_deliveries(owner.request(baton, request)).await?.into_inner().deliveries
                }
                Owner::Person(_) => {
                    let request = ListPersonalWebhookDeliveriesRequest {
                        parent: webhook,
                        page_size: limit,
                        ..Default::default()
                    };
                    let response = client.list_personal_webhook_deliveries(owner.request(baton, request)).await?;
                    response.into_inner().deliveries
                }
            };
            print_deliveries(out, &deliveries)
        }
    }
}

async fn get(baton: &Baton, name: &str) -> Result<Webhook, CliError> {
    let owner = Owner::of_webhook(name)?;
    let mut client = baton.notifications();
    let webhook = match owner {
        Owner::Project(_) => {
            let request = GetProjectWebhookRequest { name: name.into() };
            client.get_project_webhook(owner.request(baton, request)).await?.into_inner().webhook
        }
        Owner::Person(_) => {
            let request = GetPersonalWebhookRequest { name: name.into() };
            client.get_personal_webhook(owner.request(baton, request)).await?.into_inner().webhook
        }
    };
    Ok(webhook.unwrap_or_default())
}

async fn update(baton: &Baton, change: Webhook, paths: &[&str]) -> Result<Webhook, CliError> {
    let owner = Owner::of_webhook(&change.name)?;
    let update_mask = Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() });
    let mut client = baton.notifications();
    let webhook = match owner {
        Owner::Project(_) => {
            let request = UpdateProjectWebhookRequest { webhook: Some(change), update_mask };
            client.update_project_webhook(owner.request(baton, request)).await?.into_inner().webhook
        }
        Owner::Person(_) => {
            let request = UpdatePersonalWebhookRequest { webhook: Some(change), update_mask };
            client.update_personal_webhook(owner.request(baton, request)).await?.into_inner().webhook
        }
    };
    Ok(webhook.unwrap_or_default())
}

fn kinds_of(words: &[String]) -> Result<Vec<i32>, CliError> {
    words
        .iter()
        .map(|word| {
            kind_of_word(word).map(|k| k as i32).ok_or_else(|| {
                CliError::Usage(format!("--kinds {word}: see `baton notifications rules list` for the kinds"))
            })
        })
        .collect()
}

fn kinds_text(kinds: &[i32]) -> String {
    if kinds.is_empty() {
        return "every kind".into();
    }
    kinds.iter().map(|k| notification_kind(*k)).collect::<Vec<_>>().join(", ")
}

fn state_text(w: &Webhook) -> String {
    let state = enum_word(WebhookState::try_from(w.state).unwrap_or_default().as_str_name(), "WEBHOOK_STATE_");
    match (w.disabled_reason.is_empty(), w.consecutive_failures) {
        (false, _) => format!("{state}: {}", w.disabled_reason),
        (true, 0) => state,
        (true, failures) => format!("{state} ({failures} failed in a row)"),
    }
}

fn webhook_json(w: &Webhook) -> serde_json::Value {
    serde_json::json!({
        "name": w.name,
        "display_name": w.display_name,
        "url": w.url,
        "format": WebhookFormatArg::word(w.format),
        "kinds": w.kinds.iter().map(|k| notification_kind(*k)).collect::<Vec<_>>(),
        "state": enum_word(WebhookState::try_from(w.state).unwrap_or_default().as_str_name(), "WEBHOOK_STATE_"),
        "disabled_reason": w.disabled_reason,
        "consecutive_failures": w.consecutive_failures,
        "secret_hint": w.secret_hint,
        "create_time": time(w.create_time.as_ref()),
        "update_time": time(w.update_time.as_ref()),
        "creator": w.creator,
        "etag": w.etag,
    })
}

fn print(out: &Out, w: &Webhook) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&webhook_json(w));
    }
    let label = if w.display_name.is_empty() { String::new() } else { format!(" ({})", w.display_name) };
    out.line(format!("{}{label}", w.name))?;
    out.line(format!("  posts {} to {}", WebhookFormatArg::word(w.format), w.url))?;
    out.line(format!("  of {}", kinds_text(&w.kinds)))?;
    out.line(format!("  {}; secret …{}", state_text(w), w.secret_hint))
}

fn print_with_secret(out: &Out, w: &Webhook, secret: &str) -> Result<(), CliError> {
    if out.json() {
        let mut value = webhook_json(w);
        value["secret"] = serde_json::Value::from(secret);
        return out.json_line(&value);
    }
    print(out, w)?;
    out.line(format!("signing secret (shown this once): {secret}"))
}

fn print_deliveries(out: &Out, deliveries: &[WebhookDelivery]) -> Result<(), CliError> {
    let state = |d: &WebhookDelivery| {
        enum_word(WebhookDeliveryState::try_from(d.state).unwrap_or_default().as_str_name(), "WEBHOOK_DELIVERY_STATE_")
    };
    if out.json() {
        for d in deliveries {
            out.json_line(&serde_json::json!({
                "name": d.name,
                "kind": notification_kind(d.kind),
                "event": d.event,
                "recipient": d.recipient,
                "state": state(d),
                "create_time": time(d.create_time.as_ref()),
                "next_attempt_time": time(d.next_attempt_time.as_ref()),
                "attempts": d.attempts.iter().map(|a| serde_json::json!({
                    "attempt": a.attempt,
                    "start_time": time(a.start_time.as_ref()),
                    "latency_ms": a.latency_ms,
                    "response_code": a.response_code,
                    "delivered": a.delivered,
                    "detail": a.detail,
                })).collect::<Vec<_>>(),
            }))?;
        }
        return Ok(());
    }
    let mut table = Table::new(&["DELIVERY", "KIND", "QUEUED", "STATE", "ATTEMPTS"]);
    for d in deliveries {
        let attempts = d
            .attempts
            .iter()
            .map(|a| match a.response_code {
                0 => format!("#{} {} ({} ms)", a.attempt, a.detail, a.latency_ms),
                code => format!("#{} {code} ({} ms)", a.attempt, a.latency_ms),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let id = d.name.rsplit('/').next().unwrap_or_default();
        table.row(vec![
            Cell::from(id),
            Cell::from(notification_kind(d.kind)),
            Cell::from(short_time(d.create_time.as_ref())),
            Cell::from(state(d)),
            Cell::from(attempts),
        ]);
    }
    out.text(&table.render(out.color, 0))
}
