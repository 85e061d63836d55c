//! The clients use cases.

use uuid::Uuid;

use baton_messaging::{MutationError, Written};
use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::names::{ClientName, PersonName};
use baton_platform::paging::split_page;
use baton_platform::time;
use baton_proto::projects::v1 as pb;

use super::{ATTEMPTS, Projects};
use crate::domain::client::{Client, ClientUpdate, NewClient, UpdateRefusal};
use crate::domain::{ClientCondition, Page};
use crate::error::ProjectsError;
use crate::{repo, wire};

/// The unique index on clients' names.
const NAME_KEY: &str = "client_display_name_key";

impl Projects {
    /// Creates a client and records `ClientCreated`, once per `request_id`.
    pub async fn create_client(&self, actor: Actor, new: NewClient, origin: Origin) -> Result<Client, ProjectsError> {
        let contacts: Vec<PersonName> = new.contacts.iter().map(|c| c.person).collect();
        self.ensure_contacts(contacts).await?;
        let client = Client::create(new, ClientName::new(Uuid::now_v7()), time::now());
        let mut mutation = self.outbox.mutation("CreateClient", &origin);
        mutation.emit(
            &client.name.to_string(),
            &pb::ClientCreated { client: Some(wire::clients::client(&client)), actor: actor.resource_name() },
        );
        let display_name = client.display_name.clone();
        let client = match mutation.finish(repo::clients::insert(&client), client).await {
            Ok(written) => written.changed()?,
            Err(MutationError::Database(e)) if baton_platform::db::is_unique_violation(&e, NAME_KEY) => {
                return Err(ProjectsError::ClientNameTaken(display_name));
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(client = %client.name, "client created");
        Ok(client)
    }

    pub async fn get_client(&self, name: ClientName) -> Result<Client, ProjectsError> {
        repo::clients::get(&self.pool, name).await?.ok_or(ProjectsError::ClientNotFound(name))
    }

    pub async fn list_clients(
        &self,
        conditions: &[ClientCondition],
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Page<Client>, ProjectsError> {
        let rows = repo::clients::list(&self.pool, conditions, after, limit).await?;
        let (items, next_page_token) = split_page(rows, limit, |c| c.name.id);
        Ok(Page { items, next_page_token })
    }

    /// Changes the fields `update` names and records `ClientUpdated` with the client before and
    /// after. With an etag, a client that changed since is ABORTED; without one, a concurrent
    /// change is merged by deciding again on the stored client.
    pub async fn update_client(
        &self,
        actor: Actor,
        update: ClientUpdate,
        origin: Origin,
    ) -> Result<Client, ProjectsError> {
        for _ in 0..ATTEMPTS {
            let mutation = self.outbox.mutation("UpdateClient", &origin);
            let Some(current) = repo::clients::get(&self.pool, update.name).await? else {
                return mutation.refuse(ProjectsError::ClientNotFound(update.name)).await;
            };
            let next = match current.updated(&update, time::now()) {
                Ok(next) => next,
                Err(UpdateRefusal::Stale { current }) => {
                    return mutation.refuse(ProjectsError::StaleClient { client: update.name, current }).await;
                }
            };
            self.ensure_contacts(next.contacts_missing_from(&current)).await?;
            let mut mutation = mutation;
            mutation.emit(
                &next.name.to_string(),
                &pb::ClientUpdated {
                    before: Some(wire::clients::client(&current)),
                    after: Some(wire::clients::client(&next)),
                    changed_fields: update.fields.iter().map(|f| f.path().to_string()).collect(),
                    actor: actor.resource_name(),
                },
            );
            let display_name = next.display_name.clone();
            match mutation.finish(repo::clients::update(&next, current.revision), next).await {
                Ok(Written::Done(client)) => {
                    tracing::info!(client = %client.name, "client updated");
                    return Ok(client);
                }
                Ok(Written::Replay(client)) => return Ok(client),
                // A concurrent update came first: with an etag the caller's read is stale now.
                Ok(Written::Missed) if update.etag.is_some() => {
                    let current =
                        repo::clients::get(&self.pool, update.name).await?.map(|c| c.etag()).unwrap_or_default();
                    return Err(ProjectsError::StaleClient { client: update.name, current });
                }
                Ok(Written::Missed) => continue,
                Err(MutationError::Database(e)) if baton_platform::db::is_unique_violation(&e, NAME_KEY) => {
                    return Err(ProjectsError::ClientNameTaken(display_name));
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(ProjectsError::ClientContended(update.name))
    }

    /// Every person named as a contact exists (people are never deleted, so once is enough).
    async fn ensure_contacts(&self, people: Vec<PersonName>) -> Result<(), ProjectsError> {
        for person in people {
            self.ensure_person(person).await.map_err(|error| match error {
                ProjectsError::PersonNotFound(person) => ProjectsError::ContactNotFound(person),
                other => other,
            })?;
        }
        Ok(())
    }
}
