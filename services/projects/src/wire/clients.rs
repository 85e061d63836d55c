//! Clients on the wire.

use tonic::Status;
use uuid::Uuid;

use baton_platform::bounds;
use baton_platform::filter::{self, EQUALITY, Field};
use baton_platform::mask;
use baton_platform::names::{ClientName, PersonName};
use baton_platform::paging;
use baton_platform::time::timestamp;
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::projects::v1 as pb;

use super::PageQuery;
use crate::domain::client::{Client, ClientField, ClientUpdate, Contact, MAX_CONTACTS, NewClient};
use crate::domain::{ClientCondition, TextField};

pub fn client(client: &Client) -> pb::Client {
    pb::Client {
        name: client.name.to_string(),
        display_name: client.display_name.clone(),
        industry: client.industry.clone(),
        notes: client.notes.clone(),
        contacts: client
            .contacts
            .iter()
            .map(|c| pb::ClientContact { person: c.person.to_string(), title: c.title.clone() })
            .collect(),
        create_time: Some(timestamp(client.create_time)),
        update_time: Some(timestamp(client.update_time)),
        etag: client.etag(),
    }
}

/// The fields of a client as sent, each checked; `None` where one broke a rule (recorded in `v`).
fn values(v: &mut Violations, client: &pb::Client) -> Option<NewClient> {
    let display_name = v.check("client.display_name", validate::required_text(&client.display_name, bounds::NAME));
    let industry = v.check("client.industry", validate::optional_text(&client.industry, bounds::NAME));
    let notes = v.check("client.notes", validate::optional_text(&client.notes, bounds::TEXT));
    let contacts = contacts(v, &client.contacts);
    match (display_name, industry, notes, contacts) {
        (Some(display_name), Some(industry), Some(notes), Some(contacts)) => {
            Some(NewClient { display_name, industry, notes, contacts })
        }
        _ => None,
    }
}

fn contacts(v: &mut Violations, sent: &[pb::ClientContact]) -> Option<Vec<Contact>> {
    if sent.len() > MAX_CONTACTS {
        v.add("client.contacts", format!("must have at most {MAX_CONTACTS} contacts (got {})", sent.len()));
        return None;
    }
    let mut contacts: Vec<Contact> = Vec::with_capacity(sent.len());
    let mut valid = true;
    for (i, contact) in sent.iter().enumerate() {
        let person = v.check(&format!("client.contacts[{i}].person"), PersonName::parse(&contact.person));
        let title =
            v.check(&format!("client.contacts[{i}].title"), validate::optional_text(&contact.title, bounds::NAME));
        match (person, title) {
            (Some(person), _) if contacts.iter().any(|c| c.person == person) => {
                v.add(format!("client.contacts[{i}].person"), format!("names {person} a second time"));
                valid = false;
            }
            (Some(person), Some(title)) => contacts.push(Contact { person, title }),
            _ => valid = false,
        }
    }
    valid.then_some(contacts)
}

#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreateClientRequest) -> Result<Idempotent<NewClient>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let new = v.required("client", request.client).and_then(|client| values(&mut v, &client));
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetClientRequest) -> Result<ClientName, Status> {
    validate::single("name", ClientName::parse(&request.name))
}

const LIST_FIELDS: &[Field] =
    &[Field { name: "display_name", ops: EQUALITY }, Field { name: "industry", ops: EQUALITY }];

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListClientsRequest) -> Result<(Vec<ClientCondition>, PageQuery<Uuid>), Status> {
    let mut v = Violations::new();
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let conditions = v.check("filter", filter::parse(&request.filter, LIST_FIELDS)).map(|conditions| {
        conditions
            .into_iter()
            .map(|c| ClientCondition {
                field: if c.field == "display_name" { TextField::DisplayName } else { TextField::Industry },
                op: c.op,
                value: c.value,
            })
            .collect()
    });
    let query = match (conditions, limit, after) {
        (Some(conditions), Some(limit), Some(after)) => Some((conditions, PageQuery { limit, after })),
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_update(request: pb::UpdateClientRequest) -> Result<Idempotent<ClientUpdate>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let update = match v.required("client", request.client) {
        None => None,
        Some(client) => {
            let name = v.check("client.name", ClientName::parse(&client.name));
            let fields =
                mask::fields(&mut v, request.update_mask.as_ref(), &ClientField::ALL, ClientField::path, |f| match f {
                    ClientField::DisplayName => !client.display_name.is_empty(),
                    ClientField::Industry => !client.industry.is_empty(),
                    ClientField::Notes => !client.notes.is_empty(),
                    ClientField::Contacts => !client.contacts.is_empty(),
                });
            // Only the named fields are checked: the others keep their stored values.
            let mut sent = pb::Client { name: client.name.clone(), ..Default::default() };
            for field in &fields {
                match field {
                    ClientField::DisplayName => sent.display_name = client.display_name.clone(),
                    ClientField::Industry => sent.industry = client.industry.clone(),
                    ClientField::Notes => sent.notes = client.notes.clone(),
                    ClientField::Contacts => sent.contacts = client.contacts.clone(),
                }
            }
            if !fields.contains(&ClientField::DisplayName) {
                // Not changed: any valid placeholder passes the check of the other fields.
                sent.display_name = "unchanged".into();
            }
            let values = values(&mut v, &sent);
            let etag = (!client.etag.is_empty()).then(|| client.etag.clone());
            match (name, values) {
                (Some(name), Some(values)) => Some(ClientUpdate { name, fields, values, etag }),
                _ => None,
            }
        }
    };
    v.finish_idempotent(update, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(person: &str) -> pb::ClientContact {
        pb::ClientContact { person: person.into(), title: String::new() }
    }

    #[test]
    fn create_reports_every_bad_field() {
        let person = format!("people/{}", Uuid::now_v7());
        let status = parse_create(pb::CreateClientRequest {
            client: Some(pb::Client {
                display_name: " ".into(),
                notes: "x".repeat(bounds::TEXT + 1),
                contacts: vec![contact(&person), contact("people/x"), contact(&person)],
                ..Default::default()
            }),
            request_id: "nope".into(),
        })
        .expect_err("invalid");
        for field in [
            "client.display_name",
            "client.notes",
            "client.contacts[1].person",
            "client.contacts[2].person",
            "request_id",
        ] {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
    }

    #[test]
    fn an_update_changes_what_the_mask_names() {
        let name = format!("clients/{}", Uuid::now_v7());
        let update = |paths: &[&str], client: pb::Client| {
            parse_update(pb::UpdateClientRequest {
                client: Some(pb::Client { name: name.clone(), ..client }),
                update_mask: Some(prost_types::FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
                request_id: String::new(),
            })
        };
        let notes = pb::Client { notes: "Prefers calls".into(), ..Default::default() };
        let parsed = update(&["notes"], notes.clone()).expect("valid").value;
        assert_eq!(parsed.fields, [ClientField::Notes]);
        assert_eq!(parsed.values.notes, "Prefers calls");
        // No mask: the fields that are set.
        assert_eq!(update(&[], notes.clone()).expect("valid").value.fields, [ClientField::Notes]);
        // `*`: all of them, and an empty display name is then an error.
        let all = update(&["*"], notes).expect_err("display name required");
        assert!(all.message().contains("client.display_name"), "{}", all.message());
        let unknown = update(&["colour"], pb::Client::default()).expect_err("unknown path");
        assert!(unknown.message().contains("update_mask") && unknown.message().contains("colour"));
        let nothing = update(&[], pb::Client::default()).expect_err("nothing to change");
        assert!(nothing.message().contains("update_mask"), "{}", nothing.message());
    }

    #[test]
    fn list_filters_on_name_and_industry() {
        let (conditions, _) = parse_list(&pb::ListClientsRequest {
            filter: "industry = \"Food and drink\" AND display_name != Contoso".into(),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(conditions.len(), 2);
        assert_eq!(conditions[0].field, TextField::Industry);
        let bad = parse_list(&pb::ListClientsRequest { filter: "notes = x".into(), ..Default::default() })
            .expect_err("unknown field");
        assert!(bad.message().contains("filter") && bad.message().contains("notes"), "{}", bad.message());
    }
}
