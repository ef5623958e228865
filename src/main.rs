//! `careerbot`: the command-line face of the answer engine, and the bot.

use std::process::ExitCode;

fn main() -> ExitCode {
    careerbot::cli::main()
}
