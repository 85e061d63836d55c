//! The connection to a Baton server: generated gRPC clients, the `x-baton-actor` metadata, paging,
//! and turning what a person types (an email, a title, a bare id) into resource names.

use std::collections::HashMap;
use std::time::Duration;

use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};
use uuid::Uuid;

use baton_proto::assets::v1::assets_service_client::AssetsServiceClient;
use baton_proto::assets::v1::{Asset, ListAssetsRequest};
use baton_proto::notifications::v1::notifications_service_client::NotificationsServiceClient;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::people::v1::{GetPersonRequest, ListPeopleRequest, Person};
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;
use baton_proto::projects::v1::{ListProjectMembersRequest, ListProjectsRequest, Project, ProjectMember};

use crate::error::{CliError, root_cause};

/// The metadata entry naming the acting person.
pub const ACTOR_METADATA_KEY: &str = "x-baton-actor";

/// The largest page the server hands out; the tool reads whole lists page by page.
const PAGE_SIZE: i32 = 1000;

/// A connected Baton server.
#[derive(Debug, Clone)]
pub struct Baton {
    pub endpoint: String,
    channel: Channel,
    actor: Option<String>,
}

/// Parses `--endpoint`; `host:port` without a scheme means `http://host:port`.
pub fn endpoint(raw: &str) -> Result<(String, Endpoint), CliError> {
    let url = if raw.contains("://") { raw.to_string() } else { format!("http://{raw}") };
    let endpoint = Endpoint::from_shared(url.clone())
        .map_err(|_| CliError::Usage(format!("--endpoint: “{raw}” is not a URL such as http://127.0.0.1:50051")))?;
    let endpoint = endpoint
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .tcp_keepalive(Some(Duration::from_secs(30)))
        .http2_keep_alive_interval(Duration::from_secs(10))
        .keep_alive_timeout(Duration::from_secs(10))
        .keep_alive_while_idle(true);
    Ok((url, endpoint))
}

impl Baton {
    /// Connects to the server at `raw` (see [`endpoint`]); an unreachable server is
    /// [`CliError::Unreachable`].
    pub async fn connect(raw: &str) -> Result<Self, CliError> {
        let (url, endpoint) = endpoint(raw)?;
        let channel = endpoint
            .connect()
            .await
            .map_err(|error| CliError::Unreachable { endpoint: url.clone(), cause: root_cause(&error) })?;
        Ok(Self { endpoint: url, channel, actor: None })
    }

    /// Acts as `person` (`people/{id}`) on every call from now on.
    pub fn act_as(&mut self, person: String) {
        self.actor = Some(person);
    }

    pub fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    /// A request carrying the acting person, if there is one.
    pub fn request<T>(&self, message: T) -> Request<T> {
        match &self.actor {
            Some(actor) => request_as(actor, message),
            None => Request::new(message),
        }
    }

    pub fn people(&self) -> PeopleServiceClient<Channel> {
        PeopleServiceClient::new(self.channel.clone())
    }

    pub fn projects(&self) -> ProjectsServiceClient<Channel> {
        ProjectsServiceClient::new(self.channel.clone())
    }

    pub fn assets(&self) -> AssetsServiceClient<Channel> {
        AssetsServiceClient::new(self.channel.clone())
    }

    pub fn notifications(&self) -> NotificationsServiceClient<Channel> {
        NotificationsServiceClient::new(self.channel.clone())
    }

    /// Every person, optionally of one role.
    pub async fn all_people(&self, role: i32) -> Result<Vec<Person>, Status> {
        let mut people = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListPeopleRequest { page_size: PAGE_SIZE, page_token, role };
            let page = self.people().list_people(self.request(request)).await?.into_inner();
            people.extend(page.people);
            if page.next_page_token.is_empty() {
                return Ok(people);
            }
            page_token = page.next_page_token;
        }
    }

    /// Every project.
    pub async fn all_projects(&self) -> Result<Vec<Project>, Status> {
        let mut projects = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListProjectsRequest { page_size: PAGE_SIZE, page_token };
            let page = self.projects().list_projects(self.request(request)).await?.into_inner();
            projects.extend(page.projects);
            if page.next_page_token.is_empty() {
                return Ok(projects);
            }
            page_token = page.next_page_token;
        }
    }

    /// A project's whole team.
    pub async fn all_members(&self, project: &str) -> Result<Vec<ProjectMember>, Status> {
        let mut members = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListProjectMembersRequest { parent: project.to_string(), page_size: PAGE_SIZE, page_token };
            let page = self.projects().list_project_members(self.request(request)).await?.into_inner();
            members.extend(page.members);
            if page.next_page_token.is_empty() {
                return Ok(members);
            }
            page_token = page.next_page_token;
        }
    }

    /// Every asset of a project.
    pub async fn all_assets(&self, project: &str) -> Result<Vec<Asset>, Status> {
        let mut assets = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListAssetsRequest { parent: project.to_string(), page_size: PAGE_SIZE, page_token };
            let page = self.assets().list_assets(self.request(request)).await?.into_inner();
            assets.extend(page.assets);
            if page.next_page_token.is_empty() {
                return Ok(assets);
            }
            page_token = page.next_page_token;
        }
    }

    /// The display names of people, looked up once each through GetPerson; a person who cannot
    /// be found keeps their resource name.
    pub async fn display_names<'a>(
        &self,
        people: impl IntoIterator<Item = &'a String>,
    ) -> Result<HashMap<String, String>, CliError> {
        let mut names = HashMap::new();
        for person in people {
            if names.contains_key(person) {
                continue;
            }
            let request = GetPersonRequest { name: person.clone() };
            let display_name = match self.people().get_person(self.request(request)).await {
                Ok(response) => response.into_inner().person.map(|p| p.display_name).unwrap_or_default(),
                Err(status) if status.code() == tonic::Code::NotFound => String::new(),
                Err(status) => return Err(status.into()),
            };
            let display_name = if display_name.is_empty() { person.clone() } else { display_name };
            names.insert(person.clone(), display_name);
        }
        Ok(names)
    }

    /// A person's resource name from `people/{id}`, a bare id, an email or an exact display name.
    pub async fn resolve_person(&self, reference: &str) -> Result<String, CliError> {
        let reference = reference.trim();
        if let Some(name) = direct_name(reference, "people") {
            return Ok(name);
        }
        let people = self.all_people(0).await?;
        let matches: Vec<&Person> = if reference.contains('@') {
            people.iter().filter(|p| p.email.eq_ignore_ascii_case(reference)).collect()
        } else {
            people.iter().filter(|p| same_text(&p.display_name, reference)).collect()
        };
        match matches.as_slice() {
            [person] => Ok(person.name.clone()),
            [] if reference.contains('@') => Err(CliError::NotFound(format!("nobody has the email “{reference}”"))),
            [] => Err(CliError::NotFound(format!(
                "nobody is called “{reference}”; name a person by email, id or people/{{id}}"
            ))),
            many => Err(CliError::Usage(format!(
                "{} people are called “{reference}”; name one by email or id ({})",
                many.len(),
                many.iter().map(|p| p.email.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// A project's resource name from `projects/{id}`, a bare id or an exact title.
    pub async fn resolve_project(&self, reference: &str) -> Result<String, CliError> {
        let reference = reference.trim();
        if let Some(name) = direct_name(reference, "projects") {
            return Ok(name);
        }
        let projects = self.all_projects().await?;
        let matches: Vec<&Project> = projects.iter().filter(|p| same_text(&p.display_name, reference)).collect();
        match matches.as_slice() {
            [project] => Ok(project.name.clone()),
            [] => Err(CliError::NotFound(format!(
                "no project is called “{reference}”; name it by id or projects/{{id}} (see `baton projects list`)"
            ))),
            many => Err(CliError::Usage(format!(
                "{} projects are called “{reference}”; name one by id ({})",
                many.len(),
                many.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// An asset's resource name from `projects/{p}/assets/{a}`, or a bare id or exact title
    /// together with the project.
    pub async fn resolve_asset(&self, reference: &str, project: Option<&str>) -> Result<String, CliError> {
        let reference = reference.trim();
        if reference.starts_with("projects/") && reference.contains("/assets/") {
            return Ok(reference.to_string());
        }
        let Some(project) = project else {
            return Err(CliError::Usage(format!(
                "the asset “{reference}” needs its project: add --project PROJECT, or give the full name \
                 projects/{{project}}/assets/{{asset}}"
            )));
        };
        let project = self.resolve_project(project).await?;
        if let Ok(id) = Uuid::parse_str(reference) {
            return Ok(format!("{project}/assets/{id}"));
        }
        let assets = self.all_assets(&project).await?;
        let matches: Vec<&Asset> = assets.iter().filter(|a| same_text(&a.display_name, reference)).collect();
        match matches.as_slice() {
            [asset] => Ok(asset.name.clone()),
            [] => Err(CliError::NotFound(format!(
                "{project} has no component called “{reference}” (see `baton assets list --project {project}`)"
            ))),
            many => Err(CliError::Usage(format!(
                "{} components of {project} are called “{reference}”; name one by id ({})",
                many.len(),
                many.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }
}

/// A request on behalf of `actor` (`people/{id}`).
pub fn request_as<T>(actor: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    if let Ok(value) = MetadataValue::try_from(actor) {
        request.metadata_mut().insert(ACTOR_METADATA_KEY, value);
    }
    request
}

/// `collection/...` as given, or a bare UUID made into `collection/{id}`.
pub fn direct_name(reference: &str, collection: &str) -> Option<String> {
    if reference.starts_with(&format!("{collection}/")) {
        return Some(reference.to_string());
    }
    Uuid::parse_str(reference).ok().map(|id| format!("{collection}/{id}"))
}

fn same_text(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_ids_become_resource_names() {
        let id = Uuid::new_v4();
        assert_eq!(direct_name(&id.to_string(), "people"), Some(format!("people/{id}")));
        assert_eq!(direct_name("people/x", "people"), Some("people/x".into()));
        assert_eq!(direct_name("ana@example.com", "people"), None);
    }

    #[test]
    fn endpoints_without_a_scheme_are_http() {
        let (url, _) = endpoint("127.0.0.1:50051").expect("valid");
        assert_eq!(url, "http://127.0.0.1:50051");
        assert!(matches!(endpoint("http://exa mple"), Err(CliError::Usage(_))));
    }
}
