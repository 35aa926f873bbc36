//! The servers' logs (`serve`, `follow`, `replay`): `tracing` events on stderr,
//! filtered by `RUST_LOG` directives (default `info`), as text or one JSON object a
//! line for a log shipper. The library crates only emit events; this installs the
//! one subscriber.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How each event is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One readable line an event: time, level, target, message and fields.
    Text,
    /// One JSON object a line: `timestamp`, `level`, `target` and `fields`.
    Json,
}

/// The log options `serve`, `follow` and `replay` share.
#[derive(clap::Args)]
pub struct LogArgs {
    /// How log lines on stderr are written: readable text, or one JSON object a
    /// line for a log shipper. Which are written: RUST_LOG (default `info`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    log_format: Format,
}

impl LogArgs {
    /// Installs the subscriber; a `RUST_LOG` that does not parse is refused (exit 2).
    pub fn install(&self) -> Result<(), String> {
        let directives = std::env::var("RUST_LOG").ok().filter(|value| !value.trim().is_empty()).unwrap_or_else(|| "info".to_string());
        let filter = EnvFilter::builder().parse(&directives).map_err(|e| format!("RUST_LOG=`{directives}` is not a filter: {e}"))?;
        // A log line that cannot be written (stderr closed by whoever started the
        // server) is dropped: reporting it would be another write to stderr.
        let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).log_internal_errors(false);
        let installed = match self.log_format {
            // Colours only for a person at a terminal, never into a file or a pipe.
            Format::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
            Format::Json => builder.json().with_ansi(false).try_init(),
        };
        installed.map_err(|e| format!("cannot start the logs: {e}"))
    }
}
