//! Command-line adapter: parses arguments, calls the engine, formats output.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use std::io::{BufRead, Write};
use std::time::Instant;

use crate::cli_lookup;
use careerbot::corpus;
use careerbot::eval;
use careerbot::knowledge::{Asked, Knowledge, LoadError};

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
    /// Rebuild the search index from the knowledge folder.
    Index,
    /// Answer a question (or, with `-`, one question per line of standard input).
    Ask {
        /// The question, in plain words; `-` reads questions from standard input.
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
        /// One JSON object per question instead of text.
        #[arg(long)]
        json: bool,
        /// Show why the top candidates scored as they did.
        #[arg(long)]
        explain: bool,
    },
    /// Pay figures by role, level and region, each with its year and source.
    Salary {
        /// Role name, id or alias (e.g. `hit manager`); none: an overview table.
        role: Option<String>,
        /// entry, mid, senior or all.
        #[arg(long)]
        level: Option<String>,
        /// Region (e.g. `us`, `uk`, `germany`).
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A certification by abbreviation or name (e.g. `rhia`); none: the list.
    Cert {
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Run the Discord bot (token from the environment, see config.example.toml).
    Serve {
        /// The bot's configuration file.
        #[arg(long, default_value = "config.toml")]
        config: PathBuf,
    },
    /// Write a synthetic knowledge base SCALE times the size of `--faq`, for
    /// benchmarks. Deterministic for a given seed.
    GenCorpus {
        #[arg(long, default_value_t = 100)]
        scale: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Folder to write; must not exist yet.
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure answer quality on a JSON-lines question file (`q` + `expect`).
    Eval {
        file: PathBuf,
        /// Questions the bot must decline to answer.
        #[arg(long)]
        offtopic: Option<PathBuf>,
        /// Print Recall@1 and abstention for a range of confidence thresholds.
        #[arg(long)]
        sweep: bool,
        /// Exit non-zero when Recall@1 falls below this floor.
        #[arg(long)]
        min_recall: Option<f64>,
        /// Exit non-zero when off-topic abstention falls below this floor.
        #[arg(long)]
        min_abstention: Option<f64>,
        /// Write every candidate's features and outcome, one JSON object
        /// per question, for fitting the weights (tools/calibrate.py).
        #[arg(long)]
        features: Option<PathBuf>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Serve { config } = &cli.command {
        crate::logging::init_with("warn,careerbot=info");
        return serve(config);
    }
    crate::logging::init();
    quiet_on_closed_pipe();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `careerbot ask ... | head` must end quietly when the reader goes away, as
/// Unix tools do, instead of panicking in `println!`: restore the default
/// SIGPIPE action that the Rust runtime replaces with "ignore". Not for
/// `serve`, where a dropped connection must never end the process.
fn quiet_on_closed_pipe() {
    // SAFETY: called once at startup, before any thread is spawned;
    // installing the default action has no other effect.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve { .. } => unreachable!("handled in main"),
        Command::Check => Ok(check(&cli.faq)),
        Command::Index => {
            let started = Instant::now();
            let k = load(&cli.faq, &cli.index, Knowledge::rebuild)?;
            println!(
                "indexed {} documents from `{}` into `{}` in {} ms",
                k.engine.documents,
                cli.faq.display(),
                cli.index.display(),
                started.elapsed().as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Ask {
            question,
            json,
            explain,
        } => {
            let k = load(&cli.faq, &cli.index, Knowledge::load)?;
            if question.len() == 1 && question[0] == "-" {
                ask_stdin(&k, json, explain)?;
            } else {
                let resp = ask(&k, &question.join(" "), explain);
                if json {
                    println!("{}", serde_json::to_string(&resp)?);
                } else {
                    print_answer(&resp);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Salary {
            role,
            level,
            region,
            json,
        } => {
            let corpus = valid_corpus(&cli.faq)?;
            Ok(cli_lookup::salary_cmd(
                &corpus,
                role.as_deref(),
                level.as_deref(),
                region.as_deref(),
                json,
            ))
        }
        Command::Cert { name, json } => {
            let corpus = valid_corpus(&cli.faq)?;
            Ok(cli_lookup::cert_cmd(&corpus, name.as_deref(), json))
        }
        Command::GenCorpus { scale, seed, out } => gen_corpus(&cli.faq, scale, seed, &out),
        Command::Eval {
            file,
            offtopic,
            sweep,
            min_recall,
            min_abstention,
            features,
        } => {
            let k = load(&cli.faq, &cli.index, Knowledge::load)?;
            let questions = eval::read_jsonl(&file)?;
            let off = offtopic
                .as_deref()
                .map(eval::read_jsonl)
                .transpose()?
                .unwrap_or_default();
            if let Some(path) = features {
                write_features(&k, &questions, &off, &path)?;
            } else if sweep {
                print_sweep(&k, &questions, &off)?;
            } else {
                return eval_report(&k, &questions, &off, min_recall, min_abstention);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `gen-corpus`: the seeded benchmark corpus, into a new folder.
fn gen_corpus(faq: &Path, scale: usize, seed: u64, out: &Path) -> Result<ExitCode> {
    let corpus = valid_corpus(faq)?;
    if out.exists() {
        anyhow::bail!(
            "`{}` already exists\nhint: pass a new folder to `--out`",
            out.display()
        );
    }
    let written = crate::synth::write(faq, &corpus, scale, seed, out)?;
    println!(
        "wrote {} files ({}× `{}`, seed {seed}) to `{}`",
        written,
        scale,
        faq.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `eval --features`: every candidate's features, for tools/calibrate.py.
fn write_features(
    k: &Knowledge,
    questions: &[eval::Question],
    off: &[eval::Question],
    path: &Path,
) -> Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    eval::features(k, questions, off, &mut out)?;
    out.flush()?;
    Ok(())
}

/// `eval --sweep`: recall and abstention over a range of thresholds.
fn print_sweep(k: &Knowledge, questions: &[eval::Question], off: &[eval::Question]) -> Result<()> {
    println!("threshold  recall@1  offtopic-abstained");
    for (t, r1, ab) in eval::sweep(k, questions, off)? {
        println!("{t:9.3}  {r1:8.3}  {ab:18.3}");
    }
    Ok(())
}

/// `eval`: every miss, the reliability table and the summary line; fails
/// below the given floors.
fn eval_report(
    k: &Knowledge,
    questions: &[eval::Question],
    off: &[eval::Question],
    min_recall: Option<f64>,
    min_abstention: Option<f64>,
) -> Result<ExitCode> {
    let r = eval::run(k, questions, off)?;
    for m in &r.misses {
        println!(
            "miss [{}] {}: {}\n    got: {}",
            m.id, m.why, m.question, m.got
        );
    }
    for m in &r.answered_offtopic {
        println!(
            "off-topic answered [{}] {}\n    got: {}",
            m.id, m.question, m.got
        );
    }
    println!("confidence   answers  right");
    for b in r.reliability.iter().filter(|b| b.answers > 0) {
        println!(
            "{:.1}-{:.1}   {:>8}  {:.2}",
            b.from,
            b.to,
            b.answers,
            b.right as f64 / b.answers as f64
        );
    }
    println!(
        "Recall@1 {:.3}  Recall@3 {:.3}  answered wrong {:.3}  ({} questions)  off-topic abstained {:.3} ({} questions)  threshold {:.3}",
        r.recall_at_1,
        r.recall_at_3,
        r.answered_wrong,
        r.questions,
        r.abstention,
        r.offtopic,
        careerbot::engine::SCORING.min_confidence
    );
    let low_recall = min_recall.is_some_and(|m| r.recall_at_1 < m);
    let low_abstention = min_abstention.is_some_and(|m| r.abstention < m);
    Ok(if low_recall || low_abstention {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `careerbot serve`: config and token problems are one line on stderr and
/// exit 2 before any connection is made.
fn serve(path: &Path) -> ExitCode {
    let config = match careerbot::config::Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let token = match config.token() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(careerbot::discord::serve(config, token)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The knowledge base, refusing to use it when it has errors.
fn valid_corpus(faq: &Path) -> Result<corpus::Corpus> {
    let (c, diags) = corpus::load(faq);
    if diags.has_errors() {
        anyhow::bail!(
            "{}\nhint: run `careerbot check --faq {}` for details",
            LoadError::Invalid(diags),
            faq.display()
        );
    }
    Ok(c)
}

fn load(
    faq: &Path,
    index: &Path,
    how: fn(&Path, &Path) -> Result<Knowledge, LoadError>,
) -> Result<Knowledge> {
    how(faq, index).map_err(|e| {
        anyhow::anyhow!(
            "{e}\nhint: run `careerbot check --faq {}` for details",
            faq.display()
        )
    })
}

fn ask_stdin(k: &Knowledge, json: bool, explain: bool) -> Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = Vec::new();
    let mut input = stdin.lock();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let q = String::from_utf8_lossy(&line);
        let resp = ask(k, q.trim_end_matches(['\n', '\r']), explain);
        if json {
            serde_json::to_writer(&mut out, &resp)?;
            writeln!(out)?;
        } else {
            drop(out.flush());
            print_answer(&resp);
        }
    }
    out.flush()?;
    Ok(())
}

fn ask(k: &Knowledge, question: &str, explain: bool) -> Asked {
    if explain {
        k.ask_explained(question)
    } else {
        k.ask(question)
    }
}

fn print_answer(asked: &Asked) {
    let resp = &asked.response;
    match &resp.answer {
        Some(a) => {
            println!("{}\n\n{}\n", a.title, a.snippet);
            for c in &a.citations {
                println!("— {}", c.short());
            }
            println!("  confidence {:.2} · id `{}`", a.score, a.id);
        }
        None => match &resp.gap {
            Some(g) => println!("{}", g.message),
            None => println!("{}", careerbot::present::ABSTAIN),
        },
    }
    if let Some(f) = &asked.facts {
        print!("\n{}", crate::cli_lookup::render_facts(f));
    }
    if !resp.related.is_empty() {
        println!("\nRelated:");
        for r in &resp.related {
            println!("  - {} (`{}`)", r.title, r.id);
        }
    }
    if let Some(x) = &resp.explain {
        println!("\nQuery concepts: {}", x.slots.join(", "));
        if let Some(w) = x.want {
            println!("Asks for: {w:?}");
        }
        if let Some(id) = &x.hinted {
            println!("The role it names: `{id}` (salaries.toml) goes first");
        }
        let s = &x.scoring;
        println!(
            "score = {}×coverage + {}×phrasing + {}×bm25 + {}×semantic + {}×margin + {} if an entry − {} if it lacks the fact asked for",
            s.rank_coverage,
            s.rank_phrasing,
            s.rank_bm25,
            s.rank_semantic,
            s.rank_semantic_margin,
            s.rank_entry,
            s.rank_missing_facts
        );
        println!(
            "confidence = σ({} + {}×coverage + {}×phrasing + {}×semantic + {}×margin + {}×bm25 + {}×worst miss + {}×unknown + {}×ln(1 + words)); answers from {}",
            s.conf_bias,
            s.conf_coverage,
            s.conf_phrasing,
            s.conf_semantic,
            s.conf_semantic_margin,
            s.conf_bm25,
            s.conf_worst_miss,
            s.conf_unknown,
            s.conf_length,
            s.min_confidence
        );
        println!(
            "a candidate lacking the fact asked for still answers at phrasing ≥ {}; none answers below semantic {}",
            s.stated_phrasing, s.min_semantic
        );
        for c in &x.candidates {
            let f = &c.features;
            println!(
                "  {:<40} score {:.3}  confidence {:.3}  coverage {:.2} phrasing {:.2} bm25 {:.2} semantic {:.2} (margin {:+.2}){}\n      matched: {}  missed: {}",
                c.id,
                c.score,
                c.confidence,
                f.coverage,
                f.phrasing,
                f.bm25,
                f.semantic,
                f.semantic_margin,
                if f.facts_ok {
                    ""
                } else {
                    "  lacks the fact asked for"
                },
                c.matched.join(", "),
                c.missed.join(", ")
            );
        }
    }
}

fn check(faq: &Path) -> ExitCode {
    let (c, diags) = corpus::load(faq);
    print!("{diags}");
    let (errors, warnings) = (diags.errors().count(), diags.warning_count());
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
