//! `baton clients add|list|show|update`.

use baton_proto::projects::v1::{
    Client, ClientContact, CreateClientRequest, GetClientRequest, ListClientsRequest, UpdateClientRequest,
};

use crate::cli::ClientsCommand;
use crate::client::Baton;
use crate::error::CliError;
use crate::json;
use crate::output::{Cell, Out, Table, listing, short_id, time};

pub async fn run(baton: &Baton, out: &Out, command: ClientsCommand) -> Result<(), CliError> {
    match command {
        ClientsCommand::Add { name, industry, notes, contacts, idempotency } => {
            let client = Client {
                display_name: name,
                industry: industry.unwrap_or_default(),
                notes: notes.unwrap_or_default(),
                contacts: resolve_contacts(baton, &contacts).await?,
                ..Default::default()
            };
            let request = CreateClientRequest { client: Some(client), request_id: idempotency.value() };
            let client = baton.projects().create_client(baton.request(request)).await?.into_inner().client;
            show(baton, out, &client.unwrap_or_default()).await
        }
        ClientsCommand::List { industry } => {
            let filter = industry.map(|i| format!("industry = \"{}\"", i.replace('\\', "\\\\").replace('"', "\\\"")));
            let mut clients = Vec::new();
            let mut page_token = String::new();
            loop {
                let request =
                    ListClientsRequest { page_size: 1000, page_token, filter: filter.clone().unwrap_or_default() };
                let page = baton.projects().list_clients(baton.request(request)).await?.into_inner();
                clients.extend(page.clients);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            if out.json() {
                for client in &clients {
                    out.json_line(&json::client(client))?;
                }
                return Ok(());
            }
            let mut table = Table::new(&["ID", "NAME", "INDUSTRY", "CONTACTS"]);
            for client in &clients {
                table.row(vec![
                    Cell::from(short_id(&client.name)),
                    client.display_name.as_str().into(),
                    client.industry.as_str().into(),
                    client.contacts.len().to_string().into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
        ClientsCommand::Show { client } => {
            let name = baton.resolve_client(&client).await?;
            let client = baton.projects().get_client(baton.request(GetClientRequest { name })).await?.into_inner();
            show(baton, out, &client.client.unwrap_or_default()).await
        }
        ClientsCommand::Update { client, name, industry, notes, contacts, etag, idempotency } => {
            let name_of = baton.resolve_client(&client).await?;
            let mut paths = Vec::new();
            let mut change = Client { name: name_of, etag: etag.unwrap_or_default(), ..Default::default() };
            if let Some(name) = name {
                change.display_name = name;
                paths.push("display_name".to_string());
            }
            if let Some(industry) = industry {
                change.industry = industry;
                paths.push("industry".to_string());
            }
            if let Some(notes) = notes {
                change.notes = notes;
                paths.push("notes".to_string());
            }
            if !contacts.is_empty() {
                change.contacts = resolve_contacts(baton, &contacts).await?;
                paths.push("contacts".to_string());
            }
            if paths.is_empty() {
                return Err(CliError::Usage("nothing to change: give --name, --industry, --notes or --contact".into()));
            }
            let request = UpdateClientRequest {
                client: Some(change),
                update_mask: Some(prost_types::FieldMask { paths }),
                request_id: idempotency.value(),
            };
            let client = baton.projects().update_client(baton.request(request)).await?.into_inner().client;
            show(baton, out, &client.unwrap_or_default()).await
        }
    }
}

/// `PERSON[:TITLE]` references as contacts. A title may hold colons of its own; an email never
/// does, so the person is what comes before the first colon.
async fn resolve_contacts(baton: &Baton, references: &[String]) -> Result<Vec<ClientContact>, CliError> {
    let mut contacts = Vec::with_capacity(references.len());
    for reference in references {
        let (person, title) = reference.split_once(':').unwrap_or((reference.as_str(), ""));
        let person =
            if person.starts_with("people/") { person.to_string() } else { baton.resolve_person(person).await? };
        contacts.push(ClientContact { person, title: title.trim().to_string() });
    }
    Ok(contacts)
}

async fn show(baton: &Baton, out: &Out, client: &Client) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&json::client(client));
    }
    let names = baton.display_names(client.contacts.iter().map(|c| &c.person)).await?;
    let contacts: Vec<String> = client
        .contacts
        .iter()
        .map(|c| {
            let name = names.get(&c.person).cloned().unwrap_or_else(|| c.person.clone());
            if c.title.is_empty() { name } else { format!("{name} ({})", c.title) }
        })
        .collect();
    out.text(&listing(
        out.color,
        &[
            ("name", client.name.clone()),
            ("client", client.display_name.clone()),
            ("industry", client.industry.clone()),
            ("notes", client.notes.clone()),
            ("contacts", contacts.join(", ")),
            ("created", time(client.create_time.as_ref())),
            ("etag", client.etag.clone()),
        ],
    ))
}
