//! careerbot: answers Health Information Technology career questions from a
//! cited FAQ. One answer engine, no Discord inside it; the CLI and the Discord
//! bot are thin adapters over it. See ARCHITECTURE.md.

pub mod cli;
pub mod cli_lookup;
pub mod config;
pub mod corpus;
pub mod discord;
pub mod embed;
pub mod engine;
pub mod eval;
pub mod index;
pub mod live;
pub mod lookup;
pub mod ops;
pub mod store;
pub mod synth;

/// Logs go to stderr through `tracing`; `RUST_LOG` tunes them (default: warnings).
pub fn init_tracing() {
    init_tracing_with("warn");
}

/// [`init_tracing`] with another default filter (the bot logs at `info`).
pub fn init_tracing_with(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
