//! Logging for the binary: `tracing` to stderr.

/// Logs go to stderr through `tracing`; `RUST_LOG` tunes them (default: warnings).
pub fn init() {
    init_with("warn");
}

/// Crates whose trace level logs websocket frames byte by byte, the gateway
/// IDENTIFY (and so the bot token) included: never below debug, whatever
/// `RUST_LOG` says.
const FRAME_LOGGERS: [&str; 2] = ["tungstenite", "tokio_tungstenite"];

/// [`init`] with another default filter (the bot logs at `info`).
/// Colours only on a terminal, so that a log file holds no escape codes.
pub fn init_with(default_filter: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let no_frames = FRAME_LOGGERS
        .iter()
        .fold(Targets::new().with_default(LevelFilter::TRACE), |t, c| {
            t.with_target(*c, LevelFilter::DEBUG)
        });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(no_frames)
        .with_filter(filter);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
