//! `careerbot`: the command-line face of the answer engine, and the bot.
//! Argument parsing, output formatting and the benchmark corpus generator
//! live here, in the binary; the library (`careerbot::`) is the core and the
//! Discord adapter.

mod cli;
mod cli_lookup;
mod logging;
// The benches include this file too (`#[path]`); the load-question
// generator is theirs, only the corpus generator is the binary's.
#[allow(dead_code)]
mod synth;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
