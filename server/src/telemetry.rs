//! Logging: tracing with an `EnvFilter`, as text or JSON lines.

use crate::config::{CommonSettings, LogFormat};
use std::io::IsTerminal as _;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Logs go to stderr so that commands which
/// print results (`token add`) keep stdout clean.
pub fn init(settings: &CommonSettings) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&settings.log).map_err(|e| {
        anyhow::anyhow!(
            "setting log (--log, APP_LOG): '{}' is not a valid filter: {e}",
            settings.log
        )
    })?;
    // Colour only on a terminal: escape codes in a log file are noise.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let result = match settings.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A second init (tests spawning several apps) is harmless.
    let _ = result;
    Ok(())
}
