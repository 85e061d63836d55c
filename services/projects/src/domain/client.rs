//! Clients: the companies the agency makes projects for, and their people it deals with.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use baton_platform::names::{ClientName, PersonName};

/// The most contacts one client keeps.
pub const MAX_CONTACTS: usize = 50;

/// One of a client's people the agency deals with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub person: PersonName,
    pub title: String,
}

/// A client to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClient {
    pub display_name: String,
    pub industry: String,
    pub notes: String,
    pub contacts: Vec<Contact>,
}

/// A stored client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub name: ClientName,
    pub display_name: String,
    pub industry: String,
    pub notes: String,
    pub contacts: Vec<Contact>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

/// A field of a client that an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientField {
    DisplayName,
    Industry,
    Notes,
    Contacts,
}

impl ClientField {
    pub const ALL: [ClientField; 4] =
        [ClientField::DisplayName, ClientField::Industry, ClientField::Notes, ClientField::Contacts];

    /// The field's path in an update mask.
    pub fn path(self) -> &'static str {
        match self {
            ClientField::DisplayName => "display_name",
            ClientField::Industry => "industry",
            ClientField::Notes => "notes",
            ClientField::Contacts => "contacts",
        }
    }
}

/// An update of a client, already validated: the fields to change and their new values.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientUpdate {
    pub name: ClientName,
    pub fields: Vec<ClientField>,
    /// The new values; only the named fields are used.
    pub values: NewClient,
    /// The etag the caller read, when it sent one.
    pub etag: Option<String>,
}

/// Why an update is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateRefusal {
    /// The client changed since the caller read it: its current etag.
    Stale { current: String },
}

impl Client {
    /// A new client as it will be stored: at its first revision, created `now`.
    pub fn create(new: NewClient, name: ClientName, now: OffsetDateTime) -> Self {
        Client {
            name,
            display_name: new.display_name,
            industry: new.industry,
            notes: new.notes,
            contacts: new.contacts,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This client after `update` at `now`, at its next revision; refused when the caller's
    /// etag is not the current one.
    pub fn updated(&self, update: &ClientUpdate, now: OffsetDateTime) -> Result<Client, UpdateRefusal> {
        baton_platform::etag::check(update.etag.as_deref(), self.etag())
            .map_err(|current| UpdateRefusal::Stale { current })?;
        let mut next = self.clone();
        for field in &update.fields {
            let values = &update.values;
            match field {
                ClientField::DisplayName => next.display_name = values.display_name.clone(),
                ClientField::Industry => next.industry = values.industry.clone(),
                ClientField::Notes => next.notes = values.notes.clone(),
                ClientField::Contacts => next.contacts = values.contacts.clone(),
            }
        }
        next.revision += 1;
        next.update_time = now;
        Ok(next)
    }

    /// The people among the contacts that `other` does not have: who an update added.
    pub fn contacts_missing_from(&self, other: &Client) -> Vec<PersonName> {
        self.contacts
            .iter()
            .map(|c| c.person)
            .filter(|person| !other.contacts.iter().any(|c| c.person == *person))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(display_name: &str) -> NewClient {
        NewClient {
            display_name: display_name.into(),
            industry: "Coffee".into(),
            notes: String::new(),
            contacts: vec![],
        }
    }

    fn client() -> Client {
        Client::create(values("Northwind"), ClientName::new(uuid::Uuid::now_v7()), OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn an_update_changes_the_named_fields_only_and_moves_the_revision() {
        let client = client();
        let later = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(5);
        let mut new = values("Northwind Coffee");
        new.industry = "Retail".into();
        let update =
            ClientUpdate { name: client.name, fields: vec![ClientField::DisplayName], values: new, etag: None };
        let next = client.updated(&update, later).expect("no etag");
        assert_eq!((next.display_name.as_str(), next.industry.as_str()), ("Northwind Coffee", "Coffee"));
        assert_eq!((next.revision, next.update_time, next.create_time), (2, later, client.create_time));
    }

    #[test]
    fn a_stale_etag_is_refused() {
        let client = client();
        let update = |etag: &str| ClientUpdate {
            name: client.name,
            fields: vec![ClientField::Notes],
            values: values("x"),
            etag: Some(etag.into()),
        };
        assert!(client.updated(&update("1"), OffsetDateTime::UNIX_EPOCH).is_ok());
        assert_eq!(
            client.updated(&update("0"), OffsetDateTime::UNIX_EPOCH),
            Err(UpdateRefusal::Stale { current: "1".into() })
        );
    }

    #[test]
    fn added_contacts_are_those_the_old_list_lacks() {
        let (ana, ben) = (PersonName::new(uuid::Uuid::now_v7()), PersonName::new(uuid::Uuid::now_v7()));
        let mut before = client();
        before.contacts = vec![Contact { person: ana, title: String::new() }];
        let mut after = before.clone();
        after.contacts.push(Contact { person: ben, title: "CMO".into() });
        assert_eq!(after.contacts_missing_from(&before), vec![ben]);
        assert_eq!(before.contacts_missing_from(&after), vec![]);
    }
}
