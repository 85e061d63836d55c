//! Clients: the companies projects belong to, with their contacts; created, read, listed with a
//! filter, and updated by field mask with optimistic concurrency. Every change is an event with
//! the client before and after.

use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::*;
use baton_testkit::{Target, TestEnv, as_actor, operator, reason, violated_fields};
use baton_tests::person;
use prost_types::FieldMask;
use tonic::Code;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() })
}

fn new_client(display_name: &str, industry: &str) -> CreateClientRequest {
    CreateClientRequest {
        client: Some(Client { display_name: display_name.into(), industry: industry.into(), ..Default::default() }),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn clients_are_created_read_listed_by_filter_and_own_their_projects() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let mut projects = server.projects();
    let contact = person(&server, "Carla Client", PersonRole::ClientContact).await;
    let mut tap = env.tap("baton.projects.#").await;

    let northwind = CreateClientRequest {
        client: Some(Client {
            display_name: " Northwind Coffee ".into(),
            industry: "Food and drink".into(),
            notes: "Decisions go through Carla.".into(),
            contacts: vec![ClientContact { person: contact.clone(), title: "Head of marketing".into() }],
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let created = projects.create_client(as_actor(operator(), northwind.clone())).await.expect("create");
    let created = created.into_inner().client.expect("client");
    assert_eq!((created.display_name.as_str(), created.contacts.len()), ("Northwind Coffee", 1));
    assert!(created.name.starts_with("clients/") && !created.etag.is_empty());
    let event: ClientCreated = tap.next().await;
    assert_eq!((event.client.as_ref(), event.actor.as_str()), (Some(&created), operator()));

    // The same request id answers the same client; the same name (in any case) is taken.
    let again = projects.create_client(as_actor(operator(), northwind)).await.expect("replay").into_inner();
    assert_eq!(again.client.as_ref(), Some(&created));
    let taken = projects.create_client(new_client("NORTHWIND COFFEE", "")).await.expect_err("taken");
    assert_eq!((taken.code(), reason(&taken).as_str()), (Code::AlreadyExists, "CLIENT_NAME_TAKEN"));

    let contoso = projects.create_client(new_client("Contoso", "Retail")).await.expect("create").into_inner();
    let contoso = contoso.client.expect("client");
    let got = projects.get_client(GetClientRequest { name: created.name.clone() }).await.expect("get").into_inner();
    assert_eq!(got.client.as_ref(), Some(&created));

    let list = |filter: &str| ListClientsRequest { filter: filter.into(), ..Default::default() };
    let all = projects.list_clients(list("")).await.expect("list").into_inner().clients;
    assert_eq!(all, vec![created.clone(), contoso.clone()]);
    let retail = projects.list_clients(list("industry = Retail")).await.expect("filter").into_inner().clients;
    assert_eq!(retail, vec![contoso.clone()]);
    let others = projects.list_clients(list("display_name != \"Contoso\"")).await.expect("filter").into_inner().clients;
    assert_eq!(others, vec![created.clone()]);
    let bad = projects.list_clients(list("notes = x")).await.expect_err("unknown field");
    assert_eq!((bad.code(), violated_fields(&bad)), (Code::InvalidArgument, vec!["filter".to_string()]));
    assert!(bad.message().contains("unknown field \"notes\""), "{}", bad.message());

    // A project belongs to a client that exists; a client's projects can be listed.
    let create_project = |client: &str, title: &str| CreateProjectRequest {
        project: Some(Project { display_name: title.into(), client: client.into(), ..Default::default() }),
        request_id: String::new(),
    };
    let relaunch = projects.create_project(create_project(&created.name, "Relaunch")).await.expect("project");
    let relaunch = relaunch.into_inner().project.expect("project");
    assert_eq!(relaunch.client, created.name);
    projects.create_project(create_project(&contoso.name, "Launch")).await.expect("project");
    let nobody = format!("clients/{}", uuid::Uuid::new_v4());
    let missing = projects.create_project(create_project(&nobody, "Ghost")).await.expect_err("no such client");
    assert_eq!((missing.code(), reason(&missing).as_str()), (Code::NotFound, "CLIENT_NOT_FOUND"));
    let malformed = projects.create_project(create_project("Northwind Coffee", "Old style")).await.expect_err("name");
    assert_eq!(violated_fields(&malformed), ["project.client"]);
    let filter = format!("client = \"{}\"", created.name);
    let of_northwind = ListProjectsRequest { filter, ..Default::default() };
    let of_northwind = projects.list_projects(of_northwind).await.expect("filter").into_inner().projects;
    assert_eq!(of_northwind, vec![relaunch]);
    let bad_state = ListProjectsRequest { filter: "state = DONE".into(), ..Default::default() };
    let bad_state = projects.list_projects(bad_state).await.expect_err("unknown state");
    assert!(bad_state.message().contains("PROJECT_STATE_"), "{}", bad_state.message());

    // A contact must be a person.
    let ghost = format!("people/{}", uuid::Uuid::new_v4());
    let with_ghost = CreateClientRequest {
        client: Some(Client {
            display_name: "Fabrikam".into(),
            contacts: vec![ClientContact { person: ghost, title: String::new() }],
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let unknown = projects.create_client(with_ghost).await.expect_err("no such person");
    assert_eq!((unknown.code(), reason(&unknown).as_str()), (Code::NotFound, "PERSON_NOT_FOUND"));
}

#[tokio::test]
async fn updates_change_what_the_mask_names_refuse_stale_etags_and_lose_nothing() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects]).await;
    let mut projects = server.projects();
    let buyer = person(&server, "Bea Buyer", PersonRole::ClientContact).await;
    let created = projects.create_client(new_client("Northwind Coffee", "Food")).await.expect("create").into_inner();
    let created = created.client.expect("client");
    let mut tap = env.tap(<ClientUpdated as baton_proto::Event>::TYPE).await;

    let update = |client: Client, paths: &[&str]| UpdateClientRequest {
        client: Some(client),
        update_mask: mask(paths),
        request_id: String::new(),
    };
    // Only the named field changes, whatever else the message carries.
    let change = Client {
        name: created.name.clone(),
        display_name: "Ignored".into(),
        industry: "Food and drink".into(),
        contacts: vec![ClientContact { person: buyer.clone(), title: "Buyer".into() }],
        etag: created.etag.clone(),
        ..Default::default()
    };
    let updated = projects.update_client(as_actor(operator(), update(change.clone(), &["industry", "contacts"])));
    let updated = updated.await.expect("update").into_inner().client.expect("client");
    assert_eq!(updated.display_name, "Northwind Coffee");
    assert_eq!(updated.industry, "Food and drink");
    assert_eq!(updated.contacts, change.contacts);
    assert_ne!(updated.etag, created.etag);
    let event: ClientUpdated = tap.next().await;
    assert_eq!(event.before.as_ref(), Some(&created));
    assert_eq!(event.after.as_ref(), Some(&updated));
    assert_eq!((event.changed_fields, event.actor.as_str()), (vec!["industry".into(), "contacts".into()], operator()));

    // The etag read before that update is stale now: ABORTED, and nothing changes.
    let stale = projects.update_client(update(Client { notes: "Late".into(), ..change.clone() }, &["notes"])).await;
    let stale = stale.expect_err("stale etag");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));
    let now = projects.get_client(GetClientRequest { name: created.name.clone() }).await.expect("get").into_inner();
    assert_eq!(now.client.as_ref(), Some(&updated));

    // Without etags, concurrent updates of different fields both land: none is lost.
    let mut writers = Vec::new();
    for (i, path) in ["notes", "industry"].into_iter().enumerate() {
        let mut projects = server.projects();
        let client = Client {
            name: created.name.clone(),
            notes: format!("note {i}"),
            industry: format!("industry {i}"),
            ..Default::default()
        };
        let request = update(client, &[path]);
        writers.push(tokio::spawn(async move { projects.update_client(request).await }));
    }
    for writer in writers {
        writer.await.expect("joined").expect("update");
    }
    let merged = projects.get_client(GetClientRequest { name: created.name.clone() }).await.expect("get");
    let merged = merged.into_inner().client.expect("client");
    assert_eq!((merged.notes.as_str(), merged.industry.as_str()), ("note 0", "industry 1"));

    // Bad masks and values name the field.
    let unknown =
        projects.update_client(update(Client { name: created.name.clone(), ..Default::default() }, &["colour"]));
    assert_eq!(violated_fields(&unknown.await.expect_err("unknown path")), ["update_mask"]);
    let cleared =
        projects.update_client(update(Client { name: created.name.clone(), ..Default::default() }, &["display_name"]));
    assert_eq!(violated_fields(&cleared.await.expect_err("required")), ["client.display_name"]);
    let missing = format!("clients/{}", uuid::Uuid::new_v4());
    let missing =
        projects.update_client(update(Client { name: missing, notes: "x".into(), ..Default::default() }, &["notes"]));
    let missing = missing.await.expect_err("no such client");
    assert_eq!((missing.code(), reason(&missing).as_str()), (Code::NotFound, "CLIENT_NOT_FOUND"));
}
