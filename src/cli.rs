//! Command-line adapter: parses arguments, calls the engine, formats output.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::corpus;

#[derive(Parser)]
#[command(
    name = "careerbot",
    version,
    about = "Answers Health Information Technology career questions from a cited FAQ"
)]
struct Cli {
    /// Folder holding the knowledge base.
    #[arg(long, global = true, default_value = "faq")]
    faq: PathBuf,
    /// Folder where the search index is kept (built on first use).
    #[arg(long, global = true, default_value = "index")]
    index: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate every file under the knowledge folder; exit non-zero on any error.
    Check,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::init_tracing();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check => Ok(check(&cli.faq)),
    }
}

fn check(faq: &Path) -> ExitCode {
    let (c, diags) = corpus::load(faq);
    print!("{diags}");
    let (errors, warnings) = (diags.errors().count(), diags.warnings().count());
    println!(
        "{}: {} entries, {} guide sections, {} sources, {} synonym groups, {} salary figures, {} certifications; {errors} error(s), {warnings} warning(s)",
        faq.display(),
        c.entries.len(),
        c.sections.len(),
        c.sources.len(),
        c.synonyms.len(),
        c.salaries.figures.len(),
        c.certs.len(),
    );
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
