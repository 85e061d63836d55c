//! `baton-server`: runs Baton's services.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tokio_util::sync::CancellationToken;

use baton_platform::Config;
use baton_server::{Server, Target, TargetArg, TargetParser, chosen_targets};

/// Baton: the production-coordination backbone of a digital agency.
#[derive(Debug, Parser)]
#[command(name = "baton-server", version, about)]
struct Args {
    /// The services to run: `all`, or a comma-separated list of people, projects, assets,
    /// notifications.
    #[arg(long, env = "BATON_TARGET", default_value = "all", value_delimiter = ',', value_parser = TargetParser)]
    target: Vec<TargetArg>,
    /// Print the targets and exit.
    #[arg(long)]
    list_targets: bool,
    /// The address to listen on (overrides `listen` from the configuration).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// A TOML configuration file; environment variables override it.
    #[arg(long, env = "BATON_CONFIG")]
    config: Option<PathBuf>,
    /// Check a running server's health (grpc.health.v1) at this URL and exit 0 when it serves.
    #[arg(long, value_name = "URL")]
    probe: Option<String>,
    /// Development mode (`auth.development`): accept HS256 tokens signed with the development
    /// secret and `x-baton-actor` without a token. Never in production.
    #[arg(long)]
    development: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print a development token (HS256, signed with `auth.development_secret`) that a server in
    /// development mode accepts: `export BATON_TOKEN=$(baton-server dev-token --person people/…)`.
    DevToken {
        /// The person the token speaks for, `people/{uuid}`.
        #[arg(long, value_parser = parse_person)]
        person: baton_auth::Subject,
        /// A global role the token asserts (repeat for several): admin, producer, member,
        /// client_contact.
        #[arg(long = "role", value_parser = parse_role, default_value = "member")]
        roles: Vec<baton_auth::GlobalRole>,
        /// How long the token is valid, in hours.
        #[arg(long, default_value_t = 12)]
        hours: u64,
    },
}

fn parse_person(text: &str) -> Result<baton_auth::Subject, String> {
    baton_auth::Subject::parse(text)
        .filter(|subject| subject.person().is_some())
        .ok_or_else(|| "a person's resource name, people/{uuid} (lowercase, hyphenated)".to_string())
}

fn parse_role(text: &str) -> Result<baton_auth::GlobalRole, String> {
    baton_auth::GlobalRole::parse(text).ok_or_else(|| "one of admin, producer, member, client_contact".to_string())
}

/// Prints a development token for `person`.
fn dev_token(
    config: Option<&std::path::Path>,
    person: &baton_auth::Subject,
    roles: &[baton_auth::GlobalRole],
    hours: u64,
) -> ExitCode {
    let config = match Config::load(config) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("baton-server: {error}");
            return ExitCode::from(2);
        }
    };
    let auth = &config.auth;
    let minted = baton_auth::Minter::development(&auth.development_secret, &auth.issuer, &auth.audience)
        .and_then(|minter| minter.mint(person, roles, std::time::Duration::from_secs(hours * 3600)));
    match minted {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("baton-server: {error}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list_targets {
        for target in Target::ALL {
            println!("{target}");
        }
        return ExitCode::SUCCESS;
    }
    if let Some(Command::DevToken { person, roles, hours }) = &args.command {
        return dev_token(args.config.as_deref(), person, roles, *hours);
    }
    limit_malloc_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("baton-server: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(url) = args.probe {
        return runtime.block_on(probe(url));
    }
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let mut config = match Config::load(args.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("baton-server: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if args.development {
        config.auth.development = true;
    }
    let targets = chosen_targets(&args.target);
    // One process per target shows in traces as `baton-<target>`; a process with several as
    // `baton-server`.
    let service = match targets.as_slice() {
        [single] => format!("baton-{single}"),
        _ => "baton-server".to_string(),
    };
    let _telemetry = match baton_platform::telemetry::init(config.log_format, &service) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("baton-server: cannot set up telemetry: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(listen = %config.listen, %error, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    let shutdown = CancellationToken::new();
    let server = match Server::start(config, &targets, listener, shutdown.clone()).await {
        Ok(server) => server,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    baton_platform::shutdown::signal().await;
    server.shutdown();
    match server.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}

async fn probe(url: String) -> ExitCode {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    let check = async {
        let channel = tonic::transport::Endpoint::from_shared(url.clone())?.connect().await?;
        let response = HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await?;
        Ok::<_, Box<dyn std::error::Error>>(response.into_inner().status)
    };
    match tokio::time::timeout(std::time::Duration::from_secs(3), check).await {
        Ok(Ok(status)) if status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 => {
            println!("serving");
            ExitCode::SUCCESS
        }
        Ok(Ok(status)) => {
            println!("not serving (status {status})");
            ExitCode::FAILURE
        }
        Ok(Err(error)) => {
            println!("unhealthy: {error}");
            ExitCode::FAILURE
        }
        Err(_) => {
            println!("unhealthy: no answer from {url} within 3 s");
            ExitCode::FAILURE
        }
    }
}

/// Caps glibc's malloc arenas at one per core (tokio runs one worker thread per core), unless
/// `MALLOC_ARENA_MAX` says otherwise. glibc's default of eight per core kept memory freed on one
/// thread out of reach of the others: with ten thousand watch streams open, the notifications
/// service held about 3 MiB more than with two arenas, for no measurable gain in speed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only changes a setting of the allocator, which is safe to call at any time;
    // this runs first thing in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn targets(args: &[&str]) -> Result<Vec<Target>, clap::Error> {
        let args = Args::try_parse_from(["baton-server"].iter().chain(args))?;
        Ok(chosen_targets(&args.target))
    }

    #[test]
    fn target_lists_parse() {
        use Target::*;
        // Without --target, BATON_TARGET (unset in tests) or the default `all` applies.
        if std::env::var_os("BATON_TARGET").is_none() {
            assert_eq!(targets(&[]).expect("default"), Target::ALL);
        }
        assert_eq!(targets(&["--target", "all"]).expect("all"), Target::ALL);
        assert_eq!(targets(&["--target", "people"]).expect("one"), [People]);
        assert_eq!(targets(&["--target", "projects,people"]).expect("two"), [People, Projects]);
        assert_eq!(targets(&["--target", "notifications, people"]).expect("spaces"), [People, Notifications]);
        assert_eq!(targets(&["--target=assets,assets"]).expect("dedup"), [Assets]);
        assert_eq!(targets(&["--target", "people", "--target", "assets"]).expect("repeated"), [People, Assets]);
        assert_eq!(targets(&["--target", "people,all"]).expect("all wins"), Target::ALL);
        for bad in ["billing", "", "people,", "people,,assets", "People"] {
            let error = targets(&["--target", bad]).expect_err(bad);
            assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue, "{bad:?}: {error}");
            assert_eq!(error.exit_code(), 2);
        }
        let listed = Args::try_parse_from(["baton-server", "--list-targets"]).expect("list");
        assert!(listed.list_targets);
    }

    #[test]
    fn dev_token_names_a_person_and_roles() {
        let id = uuid::Uuid::new_v4();
        let args =
            Args::try_parse_from(["baton-server", "dev-token", "--person", &format!("people/{id}")]).expect("parses");
        let Some(Command::DevToken { person, roles, hours }) = args.command else { panic!("dev-token") };
        assert_eq!((person, roles, hours), (baton_auth::Subject::Person(id), vec![baton_auth::GlobalRole::Member], 12));
        let args =
            ["baton-server", "dev-token", "--person", &format!("people/{id}"), "--role", "producer", "--role", "admin"];
        let Some(Command::DevToken { roles, .. }) = Args::try_parse_from(args).expect("parses").command else {
            panic!("dev-token")
        };
        assert_eq!(roles, [baton_auth::GlobalRole::Producer, baton_auth::GlobalRole::Admin]);
        for bad in [format!("people/{}", id.simple()), "services/assets".into(), "bob".into()] {
            assert!(Args::try_parse_from(["baton-server", "dev-token", "--person", &bad]).is_err(), "{bad}");
        }
    }
}
