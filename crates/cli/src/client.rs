//! The connection to a Baton server: generated gRPC clients, the bearer token of every call,
//! paging, and turning what a person types (an email, a title, a bare id) into resource names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baton_auth::{GlobalRole, Minter, Subject};
use tonic::metadata::AsciiMetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Status};
use uuid::Uuid;

use baton_proto::assets::v1::assets_service_client::AssetsServiceClient;
use baton_proto::assets::v1::{Asset, ListAssetsRequest};
use baton_proto::notifications::v1::notifications_service_client::NotificationsServiceClient;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::people::v1::{GetPersonRequest, ListPeopleRequest, ListTeamsRequest, Person, PersonRole, Team};
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;
use baton_proto::projects::v1::{
    Client, GetClientRequest, ListClientsRequest, ListProjectMembersRequest, ListProjectsRequest, Project,
    ProjectMember,
};

use crate::cli::TlsArgs;
use crate::error::{CliError, root_cause};

/// The largest page the server hands out; the tool reads whole lists page by page.
const PAGE_SIZE: i32 = 1000;

/// A connected Baton server.
#[derive(Debug, Clone)]
pub struct Baton {
    pub endpoint: String,
    channel: Channel,
    credentials: Credentials,
    /// The acting person (`--as`) and the roles their development tokens assert.
    actor: Option<(String, Vec<GlobalRole>)>,
}

/// How the tool proves who it is.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A token from the identity provider (`--token`, `BATON_TOKEN`), sent on every call.
    Token(AsciiMetadataValue),
    /// Development tokens the tool signs itself with the development secret, which only a
    /// server in development mode accepts: an administrator's for its own lookups, and the
    /// acting person's (`--as`) for what it does on their behalf.
    Development(Arc<DevelopmentTokens>),
}

/// Development tokens, signed once per person.
#[derive(Debug)]
pub struct DevelopmentTokens {
    minter: Minter,
    signed: Mutex<HashMap<String, AsciiMetadataValue>>,
}

/// The administrator the tool acts as for its own lookups in development.
const DEVELOPMENT_OPERATOR: &str = "people/00000000-0000-4000-8000-000000000000";

impl Credentials {
    /// `--token` when given, development tokens signed with `development_secret` otherwise.
    pub fn new(token: Option<&str>, development_secret: &str) -> Result<Self, CliError> {
        if let Some(token) = token {
            let value = format!("Bearer {}", token.trim())
                .parse()
                .map_err(|_| CliError::Usage("--token: a token is printable ASCII".into()))?;
            return Ok(Credentials::Token(value));
        }
        let minter = Minter::development(development_secret, "baton", "baton")
            .map_err(|e| CliError::Usage(format!("--dev-secret: {e}")))?;
        Ok(Credentials::Development(Arc::new(DevelopmentTokens { minter, signed: Mutex::default() })))
    }

    /// `Bearer …` for `person` (`people/{id}`) with `roles`, or for the tool itself.
    fn bearer(&self, person: Option<&str>, roles: &[GlobalRole]) -> Option<AsciiMetadataValue> {
        let tokens = match self {
            Credentials::Token(value) => return Some(value.clone()),
            Credentials::Development(tokens) => tokens,
        };
        let (person, roles) = match person {
            Some(person) => (person, roles),
            None => (DEVELOPMENT_OPERATOR, &[GlobalRole::Admin][..]),
        };
        let key = format!("{person} {roles:?}");
        let mut signed = tokens.signed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(value) = signed.get(&key) {
            return Some(value.clone());
        }
        let subject = Subject::parse(person)?;
        let token = tokens.minter.mint(&subject, roles, Duration::from_secs(12 * 3600)).ok()?;
        let value: AsciiMetadataValue = format!("Bearer {token}").parse().ok()?;
        signed.insert(key, value.clone());
        Some(value)
    }
}

/// The global role a development token asserts for a person with this role at the agency.
pub fn global_role(role: i32) -> GlobalRole {
    match PersonRole::try_from(role) {
        Ok(PersonRole::Producer) => GlobalRole::Producer,
        Ok(PersonRole::ClientContact) => GlobalRole::ClientContact,
        _ => GlobalRole::Member,
    }
}

/// Adds the tool's own token to every call that carries none.
#[derive(Debug, Clone)]
pub struct Authorize(Option<AsciiMetadataValue>);

impl tonic::service::Interceptor for Authorize {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0
            && !request.metadata().contains_key("authorization")
        {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A channel whose calls carry the tool's token.
pub type AuthChannel = InterceptedService<Channel, Authorize>;

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

/// The TLS of an `https://` endpoint: the server checked against `--ca-file` (or the system's
/// roots), and `--cert-file` presented when given.
fn client_tls(tls: &TlsArgs) -> Result<ClientTlsConfig, CliError> {
    let read = |flag: &str, path: &std::path::Path| {
        std::fs::read(path).map_err(|error| CliError::Usage(format!("{flag}: cannot read {}: {error}", path.display())))
    };
    let mut config = match &tls.ca_file {
        Some(ca) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read("--ca-file", ca)?)),
        None => ClientTlsConfig::new().with_native_roots(),
    };
    if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
        config = config.identity(Identity::from_pem(read("--cert-file", cert)?, read("--key-file", key)?));
    }
    Ok(config)
}

impl Baton {
    /// Connects to the server at `raw` (see [`endpoint`]); an unreachable server is
    /// [`CliError::Unreachable`].
    pub async fn connect(raw: &str, tls: &TlsArgs, credentials: Credentials) -> Result<Self, CliError> {
        let (url, mut endpoint) = endpoint(raw)?;
        if url.starts_with("https://") {
            endpoint = endpoint.tls_config(client_tls(tls)?).map_err(|error| CliError::Usage(error.to_string()))?;
        }
        let channel = endpoint
            .connect()
            .await
            .map_err(|error| CliError::Unreachable { endpoint: url.clone(), cause: root_cause(&error) })?;
        Ok(Self { endpoint: url, channel, credentials, actor: None })
    }

    /// Acts as `person` (`people/{id}`) on every call from now on. With development tokens, they
    /// assert the global role that goes with the person's role at the agency.
    pub async fn act_as(&mut self, person: String) -> Result<(), CliError> {
        let roles = match &self.credentials {
            Credentials::Token(_) => Vec::new(),
            Credentials::Development(_) => {
                let request = GetPersonRequest { name: person.clone() };
                let found = self.people().get_person(request).await?.into_inner().person;
                vec![global_role(found.map_or(0, |p| p.role))]
            }
        };
        self.actor = Some((person, roles));
        Ok(())
    }

    pub fn actor(&self) -> Option<&str> {
        self.actor.as_ref().map(|(person, _)| person.as_str())
    }

    /// A request made by the acting person (`--as`), if there is one, or by the tool.
    pub fn request<T>(&self, message: T) -> Request<T> {
        match &self.actor {
            Some((actor, roles)) => self.request_as(actor, roles, message),
            None => Request::new(message),
        }
    }

    /// A request about `person`'s own things (their inbox, their stream): made by the acting
    /// person when there is one, else by `person` (in development, with a token signed for them).
    pub fn request_for<T>(&self, person: &str, message: T) -> Request<T> {
        match &self.actor {
            Some(_) => self.request(message),
            None => self.request_as(person, &[GlobalRole::Member], message),
        }
    }

    /// A request made by `person` (`people/{id}`) with `roles`: in development, with a token
    /// signed for them; with `--token`, as whoever that token names.
    pub fn request_as<T>(&self, person: &str, roles: &[GlobalRole], message: T) -> Request<T> {
        let mut request = Request::new(message);
        if let Some(value) = self.credentials.bearer(Some(person), roles) {
            request.metadata_mut().insert("authorization", value);
        }
        request
    }

    fn channel(&self) -> AuthChannel {
        InterceptedService::new(self.channel.clone(), Authorize(self.credentials.bearer(None, &[])))
    }

    pub fn people(&self) -> PeopleServiceClient<AuthChannel> {
        PeopleServiceClient::new(self.channel())
    }

    pub fn projects(&self) -> ProjectsServiceClient<AuthChannel> {
        ProjectsServiceClient::new(self.channel())
    }

    pub fn assets(&self) -> AssetsServiceClient<AuthChannel> {
        AssetsServiceClient::new(self.channel())
    }

    pub fn notifications(&self) -> NotificationsServiceClient<AuthChannel> {
        NotificationsServiceClient::new(self.channel())
    }

    /// Every person that matches `filter` (ListPeople's; empty for everyone).
    pub async fn all_people(&self, filter: &str) -> Result<Vec<Person>, Status> {
        let mut people = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListPeopleRequest { page_size: PAGE_SIZE, page_token, role: 0, filter: filter.to_string() };
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
            let request = ListProjectsRequest { page_size: PAGE_SIZE, page_token, filter: String::new() };
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
        self.matching_assets(project, "").await
    }

    /// Every asset of a project that matches `filter` (ListAssets' syntax; empty: all).
    pub async fn matching_assets(&self, project: &str, filter: &str) -> Result<Vec<Asset>, Status> {
        let mut assets = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListAssetsRequest {
                parent: project.to_string(),
                page_size: PAGE_SIZE,
                page_token,
                filter: filter.to_string(),
            };
            let page = self.assets().list_assets(self.request(request)).await?.into_inner();
            assets.extend(page.assets);
            if page.next_page_token.is_empty() {
                return Ok(assets);
            }
            page_token = page.next_page_token;
        }
    }

    /// The display names of people, looked up once each through GetPerson; a person who cannot
    /// be found, or whom the caller may not look up, keeps their resource name.
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
                // Someone the caller may not look up (a client contact reads only themselves)
                // keeps their resource name.
                Err(status) if matches!(status.code(), tonic::Code::NotFound | tonic::Code::PermissionDenied) => {
                    String::new()
                }
                Err(status) => return Err(status.into()),
            };
            let display_name = if display_name.is_empty() { person.clone() } else { display_name };
            names.insert(person.clone(), display_name);
        }
        Ok(names)
    }

    /// Every client.
    pub async fn all_clients(&self) -> Result<Vec<Client>, Status> {
        let mut clients = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListClientsRequest { page_size: PAGE_SIZE, page_token, filter: String::new() };
            let page = self.projects().list_clients(self.request(request)).await?.into_inner();
            clients.extend(page.clients);
            if page.next_page_token.is_empty() {
                return Ok(clients);
            }
            page_token = page.next_page_token;
        }
    }

    /// The display names of clients, looked up once each; one that cannot be read (a client
    /// contact may not read clients) keeps its resource name.
    pub async fn client_names<'a>(
        &self,
        clients: impl IntoIterator<Item = &'a String>,
    ) -> Result<HashMap<String, String>, CliError> {
        let mut names = HashMap::new();
        for client in clients {
            if names.contains_key(client) {
                continue;
            }
            let request = GetClientRequest { name: client.clone() };
            let display_name = match self.projects().get_client(self.request(request)).await {
                Ok(response) => response.into_inner().client.map(|c| c.display_name).unwrap_or_default(),
                Err(status) if matches!(status.code(), tonic::Code::NotFound | tonic::Code::PermissionDenied) => {
                    String::new()
                }
                Err(status) => return Err(status.into()),
            };
            let display_name = if display_name.is_empty() { client.clone() } else { display_name };
            names.insert(client.clone(), display_name);
        }
        Ok(names)
    }

    /// A client's resource name from `clients/{id}`, a bare id or its name (ignoring case).
    pub async fn resolve_client(&self, reference: &str) -> Result<String, CliError> {
        let reference = reference.trim();
        if let Some(name) = direct_name(reference, "clients") {
            return Ok(name);
        }
        let clients = self.all_clients().await?;
        match clients.iter().find(|c| same_text(&c.display_name, reference)) {
            Some(client) => Ok(client.name.clone()),
            None => Err(CliError::NotFound(format!(
                "no client is called “{reference}”; add it with `baton clients add --name \"{reference}\"` \
                 (see `baton clients list`)"
            ))),
        }
    }

    /// A person's resource name from `people/{id}`, a bare id, an email or an exact display name.
    pub async fn resolve_person(&self, reference: &str) -> Result<String, CliError> {
        let reference = reference.trim();
        if let Some(name) = direct_name(reference, "people") {
            return Ok(name);
        }
        let people = self.all_people("").await?;
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

    /// Every team.
    pub async fn all_teams(&self) -> Result<Vec<Team>, Status> {
        let mut teams = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListTeamsRequest { page_size: 1000, page_token, filter: String::new() };
            let page = self.people().list_teams(self.request(request)).await?.into_inner();
            teams.extend(page.teams);
            if page.next_page_token.is_empty() {
                return Ok(teams);
            }
            page_token = page.next_page_token;
        }
    }

    /// A team's resource name from `teams/{id}`, a bare id or an exact name.
    pub async fn resolve_team(&self, reference: &str) -> Result<String, CliError> {
        let reference = reference.trim();
        if let Some(name) = direct_name(reference, "teams") {
            return Ok(name);
        }
        let teams = self.all_teams().await?;
        match teams.iter().find(|t| same_text(&t.display_name, reference)) {
            Some(team) => Ok(team.name.clone()),
            None => Err(CliError::NotFound(format!(
                "no team is called “{reference}”; name it by id or teams/{{id}} (see `baton teams list`)"
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
