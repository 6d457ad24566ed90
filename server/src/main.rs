//! `dwconsole`: parses the command line and hands over to [`server::run`].

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match server::run(server::config::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A pipeline gate: drift over the threshold is not a failure to run.
        Err(e) if e.downcast_ref::<server::cli::DriftExceeded>().is_some() => {
            eprintln!("dwconsole: {e:#}");
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("dwconsole: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
