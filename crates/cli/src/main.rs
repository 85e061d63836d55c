//! `baton`: the command-line tool for producers, team leads and scripts. It talks to a Baton
//! server over gRPC only, through the same generated clients any other tool would use.

mod cli;
mod client;
mod commands;
mod demo;
mod error;
mod json;
mod output;
mod status;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::client::{Baton, Credentials};
use crate::error::{CliError, Exit};
use crate::output::Out;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(Exit::Other.code());
        }
    };
    let endpoint = cli.endpoint.clone();
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", error.render(&endpoint));
            ExitCode::from(error.exit().code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Out::new(cli.output);
    if let Command::Completions { shell } = cli.command {
        let mut command = Cli::command();
        let mut stdout = std::io::stdout();
        clap_complete::generate(shell, &mut command, "baton", &mut stdout);
        return Ok(());
    }
    let credentials = Credentials::new(cli.token.as_deref(), &cli.dev_secret)?;
    let mut baton = Baton::connect(&cli.endpoint, &cli.tls, credentials).await?;
    if let Some(actor) = &cli.actor {
        let person = baton.resolve_person(actor).await?;
        baton.act_as(person).await?;
    }
    match cli.command {
        Command::People(command) => commands::people::run(&baton, &out, command).await,
        Command::Teams(command) => commands::teams::run(&baton, &out, command).await,
        Command::Clients(command) => commands::clients::run(&baton, &out, command).await,
        Command::Projects(command) => commands::projects::run(&baton, &out, command).await,
        Command::Brief(command) => commands::brief::run(&baton, &out, command).await,
        Command::Milestones(command) => commands::plan::milestones(&baton, &out, command).await,
        Command::Obstacles(command) => commands::plan::obstacles(&baton, &out, command).await,
        Command::Assets(command) => commands::assets::run(&baton, &out, command).await,
        Command::Versions(command) => commands::versions::run(&baton, &out, command).await,
        Command::Reviews(command) => commands::versions::reviews(&baton, &out, command).await,
        Command::Comments(command) => commands::comments::run(&baton, &out, command).await,
        Command::Quality(command) => commands::quality::run(&baton, &out, command).await,
        Command::Notifications(command) => commands::notifications::run(&baton, &out, command).await,
        Command::Webhooks(command) => commands::webhooks::run(&baton, &out, command).await,
        Command::Status { project } => status::run(&baton, &out, &project).await,
        Command::Demo => demo::run(&baton, &out).await,
        Command::Completions { .. } => Ok(()),
    }
}
