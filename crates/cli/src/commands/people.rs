//! `baton people add|list|show`.

use baton_proto::people::v1::{CreatePersonRequest, GetPersonRequest, Person};

use crate::cli::{PeopleCommand, PersonRoleArg};
use crate::client::Baton;
use crate::error::CliError;
use crate::json;
use crate::output::{Cell, Out, Table, listing, short_id, time};

pub async fn run(baton: &Baton, out: &Out, command: PeopleCommand) -> Result<(), CliError> {
    match command {
        PeopleCommand::Add { name, email, role, idempotency } => {
            let request = CreatePersonRequest {
                person: Some(Person { display_name: name, email, role: role.to_proto() as i32, ..Default::default() }),
                request_id: idempotency.value(),
            };
            let person = baton.people().create_person(baton.request(request)).await?.into_inner().person;
            show(out, &person.unwrap_or_default())
        }
        PeopleCommand::List { role } => {
            let role = role.map(|r| r.to_proto() as i32).unwrap_or_default();
            let people = baton.all_people(role).await?;
            if out.json() {
                for person in &people {
                    out.json_line(&json::person(person))?;
                }
                return Ok(());
            }
            let mut table = Table::new(&["ID", "NAME", "EMAIL", "ROLE"]);
            for person in &people {
                table.row(vec![
                    Cell::from(short_id(&person.name)),
                    person.display_name.as_str().into(),
                    person.email.as_str().into(),
                    PersonRoleArg::text(person.role).into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
        PeopleCommand::Show { person } => {
            let name = baton.resolve_person(&person).await?;
            let person = baton.people().get_person(baton.request(GetPersonRequest { name })).await?.into_inner();
            show(out, &person.person.unwrap_or_default())
        }
    }
}

fn show(out: &Out, person: &Person) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&json::person(person));
    }
    out.text(&listing(
        out.color,
        &[
            ("name", person.name.clone()),
            ("display name", person.display_name.clone()),
            ("email", person.email.clone()),
            ("role", PersonRoleArg::text(person.role)),
            ("created", time(person.create_time.as_ref())),
            ("etag", person.etag.clone()),
        ],
    ))
}
