//! The Dual-write Console server: settings, database, HTTP stack and the
//! `dwconsole` subcommands. A library so integration tests can build the
//! real router; `main.rs` only parses the command line and calls [`run`].

pub mod api;
#[cfg(test)]
mod architecture;
pub mod assets;
pub mod bench;
pub mod cli;
pub mod collect;
pub mod config;
pub mod connect;
pub mod db;
pub mod demo;
pub mod export;
pub mod gates;
pub mod health;
pub mod lease;
pub mod middleware;
pub mod migrate_db;
pub mod notify;
pub mod reconcile;
pub mod scheduler;
pub mod serve;
pub mod simulator;
pub mod startup;
pub mod telemetry;

use config::{Cli, Command, EnvCommand, ImportCommand, TokenCommand, UserCommand};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = config::load_file(&cli)?;
    let common = config::resolve_common(&cli, &file)?;
    telemetry::init(&common)?;
    for var in config::unknown_env_vars() {
        tracing::warn!(
            "ignoring unknown setting {var}: is it a typo? Run `dwconsole serve --help` for the list"
        );
    }
    match &cli.command {
        Command::Serve(args) => {
            let settings = config::resolve_serve(&cli, args, &file)?;
            let app = startup::Application::build(&settings).await?;
            let url = format!("http://{}:{}", settings.bind.ip(), app.port());
            tracing::info!(database = %crate::db::redacted(&settings.common.database), "Dual-write Console is listening on {url}");
            println!("Dual-write Console is running at {url}");
            app.run_until_stopped().await
        }
        Command::User(UserCommand::Add { email, role }) => {
            cli::user_add(&common, email, role).await
        }
        Command::Token(TokenCommand::Add { name }) => cli::token_add(&common, name).await,
        Command::Env(EnvCommand::Add {
            name,
            fo_url,
            dataverse_url,
            legal_entities,
        }) => cli::env_add(&common, name, fo_url, dataverse_url, legal_entities).await,
        Command::Import(ImportCommand::Errors { file, env, columns }) => {
            cli::import_errors(&common, file, env, columns).await
        }
        Command::Simulate(args) => cli::simulate(args).await,
        Command::Reclassify { env } => cli::reclassify(&common, env.as_deref()).await,
        Command::Collect { collector, env } => cli::collect(&common, &file, collector, env).await,
        Command::Reconcile(args) => cli::reconcile(&common, &file, args).await,
        Command::MigrateDb { from, to } => migrate_db::run(from, to).await,
    }
}
