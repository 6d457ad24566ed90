//! `dwconsole`: parses the command line and hands over to [`server::run`].

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match server::run(server::config::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dwconsole: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
