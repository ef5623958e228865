//! `cargo bench --bench engine`: prints, for the shipped corpus and a
//! synthetic one 100× its size (`careerbot::synth`, seed 42):
//! index build time and size, load time, resident memory, answer latency
//! p50/p99 over a mixed question set, and the same for the engine without its
//! semantic stage (`Engine::ask_lexical`, the engine as it was before it) and
//! for a plain Tantivy BM25 baseline (default tokenizer, no synonyms, no
//! re-ranking), so the cost of each stage shows; then `ask` cold start.
//!
//! Load time and resident memory are taken in a child process (this binary
//! again) that only loads the knowledge base and answers the questions once,
//! so they are a serving process's own, not this bench's (which also holds
//! corpora and indexes it built). Answer latency alternates rounds of ours and
//! the baseline's, so that load from other processes on the machine falls on
//! both alike; besides p50/p99 over every answer it prints the p99 over
//! questions of each question's median time, which a stray preemption cannot
//! move. `CAREERBOT_BENCH_ONLY=shipped` (or `100x`) runs one corpus.
//! Figures only; nothing is asserted (timing belongs here, never in a test).

mod common;
// Shared with the binary and the bot bench; this bench uses the corpus generator only.
#[allow(dead_code)]
#[path = "../src/synth.rs"]
mod synth;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use careerbot::eval::read_jsonl;
use careerbot::knowledge::Knowledge;
use common::pct;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, STRING, Schema, TEXT};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        dir_size(&e.path())
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// A field of /proc/self/status (VmRSS, VmHWM = peak VmRSS), in MiB.
fn status_mib(name: &str) -> f64 {
    common::status(name) as f64 / (1024.0 * 1024.0)
}

/// Latencies of one engine: every answer, and each question's median.
struct Times {
    all: Vec<Duration>,
    per_question: Vec<Vec<Duration>>,
}

impl Times {
    fn new(questions: usize) -> Times {
        Times {
            all: Vec::new(),
            per_question: vec![Vec::new(); questions],
        }
    }

    fn round(&mut self, questions: &[String], mut f: impl FnMut(&str)) {
        for (i, q) in questions.iter().enumerate() {
            let t = Instant::now();
            f(q);
            let took = t.elapsed();
            self.all.push(took);
            self.per_question[i].push(took);
        }
    }

    /// p50 and p99 over every answer, and p99 over questions of their median.
    fn figures(mut self) -> (Duration, Duration, Duration) {
        self.all.sort();
        let mut medians: Vec<Duration> = self
            .per_question
            .iter_mut()
            .map(|t| {
                t.sort();
                pct(t, 0.5)
            })
            .collect();
        medians.sort();
        (
            pct(&self.all, 0.5),
            pct(&self.all, 0.99),
            pct(&medians, 0.99),
        )
    }
}

const LOAD_CHILD: &str = "CAREERBOT_ENGINE_BENCH_LOAD";

/// In the child: load, then answer every question once; print the figures
/// as one line for the parent: load µs, then VmRSS after loading, VmRSS after
/// answering and VmHWM, in MiB.
fn load_child(spec: &str) {
    let mut parts = spec.split('\n');
    let (faq, index, questions) = (
        Path::new(parts.next().unwrap()),
        Path::new(parts.next().unwrap()),
        parts.next().unwrap(),
    );
    let t = Instant::now();
    let k = Knowledge::load(faq, index).unwrap();
    let load = t.elapsed();
    let loaded = status_mib("VmRSS");
    for q in read_jsonl(Path::new(questions)).unwrap() {
        std::hint::black_box(k.engine.ask(&q.q));
    }
    println!(
        "{} {loaded} {} {}",
        load.as_micros(),
        status_mib("VmRSS"),
        status_mib("VmHWM")
    );
}

/// Plain BM25: the same documents, Tantivy's default tokenizer, one boolean
/// OR of the question's terms over question + aliases + body.
struct Baseline {
    reader: IndexReader,
    fields: Vec<tantivy::schema::Field>,
    index: Index,
}

impl Baseline {
    fn build(corpus: &careerbot::corpus::Corpus, dir: &Path) -> Baseline {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let fields = vec![
            b.add_text_field("question", TEXT),
            b.add_text_field("aliases", TEXT),
            b.add_text_field("body", TEXT),
        ];
        let index = Index::create_in_dir(dir, b.build()).unwrap();
        let mut w = index.writer_with_num_threads(1, 30_000_000).unwrap();
        for d in careerbot::index::documents(corpus) {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, &d.id);
            doc.add_text(fields[0], &d.question);
            doc.add_text(fields[1], d.aliases.join(" \n "));
            doc.add_text(fields[2], &d.body);
            w.add_document(doc).unwrap();
        }
        w.commit().unwrap();
        let reader = index.reader().unwrap();
        Baseline {
            reader,
            fields,
            index,
        }
    }

    fn ask(&self, q: &str) -> usize {
        let mut tok = self.index.tokenizer_for_field(self.fields[0]).unwrap();
        let mut terms = Vec::new();
        let mut ts = tok.token_stream(q);
        while ts.advance() {
            terms.push(ts.token().text.clone());
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .flat_map(|t| {
                self.fields.iter().map(move |&f| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(f, t),
                            IndexRecordOption::WithFreqs,
                        )) as Box<dyn Query>,
                    )
                })
            })
            .collect();
        let searcher = self.reader.searcher();
        searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(4).order_by_score(),
            )
            .map_or(0, |h| h.len())
    }
}

fn measure(label: &str, faq: &Path, questions: &[String], question_file: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, diags) = careerbot::corpus::load(faq);
    assert!(!diags.has_errors(), "{diags}");
    let docs = corpus.entries.len() + corpus.sections.len();
    let runs = if docs > 5_000 { 3 } else { 5 };
    let mut builds = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        careerbot::knowledge::build_index(&corpus, tmp.path()).unwrap();
        builds.push(t.elapsed());
    }
    builds.sort();
    let live = careerbot::index::current(tmp.path()).unwrap();
    println!(
        "[{label}] {docs} documents: index build median {:?} ({runs} builds), {} KiB on disk",
        pct(&builds, 0.5),
        dir_size(&live) / 1024
    );

    // Load and memory in fresh processes, the index built as a deployed bot finds it.
    let mut loads = Vec::new();
    let mut memory = (0.0, 0.0, 0.0);
    for _ in 0..5 {
        let spec = format!(
            "{}\n{}\n{}",
            faq.display(),
            tmp.path().display(),
            question_file.display()
        );
        let out = Command::new(std::env::current_exe().unwrap())
            .env(LOAD_CHILD, spec)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8(out.stdout).unwrap();
        let f: Vec<f64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        loads.push(Duration::from_micros(f[0] as u64));
        memory = (f[1], f[2], f[3]);
    }
    loads.sort();
    println!(
        "[{label}] load (validate faq/, open index, engine; new process): median {:?} (5 runs, {:?}–{:?}); \
         resident memory {:.1} MiB loaded, {:.1} MiB after answering each question once, peak {:.1} MiB",
        pct(&loads, 0.5),
        loads[0],
        loads[loads.len() - 1],
        memory.0,
        memory.1,
        memory.2
    );

    let k = Knowledge::load(faq, tmp.path()).unwrap();
    let base_dir = tempfile::tempdir().unwrap();
    let base = Baseline::build(&corpus, base_dir.path());
    let ask_ours = |q: &str| {
        std::hint::black_box(k.engine.ask(q));
    };
    let ask_plain = |q: &str| {
        std::hint::black_box(base.ask(q));
    };
    let ask_lexical = |q: &str| {
        std::hint::black_box(k.engine.ask_lexical(q));
    };
    // Warm-up, then alternating rounds.
    for _ in 0..2 {
        questions.iter().for_each(|q| ask_ours(q));
        questions.iter().for_each(|q| ask_lexical(q));
        questions.iter().for_each(|q| ask_plain(q));
    }
    let rounds = if docs > 5_000 { 10 } else { 30 };
    let n = questions.len();
    let (mut ours, mut lexical, mut plain) = (Times::new(n), Times::new(n), Times::new(n));
    for _ in 0..rounds {
        ours.round(questions, ask_ours);
        lexical.round(questions, ask_lexical);
        plain.round(questions, ask_plain);
    }
    let (o50, o99, om99) = ours.figures();
    let (l50, l99, lm99) = lexical.figures();
    let (p50, p99, pm99) = plain.figures();
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!(
        "[{label}] answer ({n} questions × {rounds} rounds, alternating): careerbot p50 {o50:?} p99 {o99:?} | \
         without the semantic stage (the engine before it) p50 {l50:?} p99 {l99:?} | \
         plain BM25 p50 {p50:?} p99 {p99:?} | careerbot/BM25 p50 {:.1}× p99 {:.1}×",
        ratio(o50, p50),
        ratio(o99, p99),
    );
    println!(
        "[{label}] answer, p99 over questions of each one's median: careerbot {om99:?} | before the semantic stage {lm99:?} | plain BM25 {pm99:?}",
    );
}

fn main() {
    if let Ok(spec) = std::env::var(LOAD_CHILD) {
        return load_child(&spec);
    }
    let only = std::env::var("CAREERBOT_BENCH_ONLY").ok();
    let runs = |label: &str| only.as_deref().is_none_or(|o| o == label);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let faq = root.join("faq");

    // A mixed set: in-domain and off-topic questions from every eval file found.
    let mut questions: Vec<String> = Vec::new();
    for f in [
        "tests/eval/questions.jsonl",
        "tests/eval/offtopic.jsonl",
        "../shared/eval/dev.jsonl",
        "../shared/eval/dev-offtopic.jsonl",
    ] {
        if let Ok(qs) = read_jsonl(&root.join(f)) {
            questions.extend(qs.into_iter().map(|q| q.q));
        }
    }
    // The same questions for the load child to answer.
    let question_file = tempfile::NamedTempFile::new().unwrap();
    let lines: Vec<String> = questions
        .iter()
        .map(|q| serde_json::json!({ "q": q }).to_string())
        .collect();
    std::fs::write(question_file.path(), lines.join("\n")).unwrap();
    println!(
        "machine: {} cores; release build",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if runs("shipped") {
        measure("shipped", &faq, &questions, question_file.path());
        cold_start(&faq);
    }
    if runs("100x") {
        big(&faq, &questions, question_file.path());
    }
}

/// Cold start: a new process answering one question with the index built.
fn cold_start(faq: &Path) {
    let index = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_careerbot");
    let run = || {
        let t = Instant::now();
        let out = Command::new(bin)
            .args([
                "--faq",
                faq.to_str().unwrap(),
                "--index",
                index.path().to_str().unwrap(),
                "ask",
                "--json",
                "can i wfh in hit",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        t.elapsed()
    };
    run(); // builds the index
    let mut starts: Vec<Duration> = (0..10).map(|_| run()).collect();
    starts.sort();
    println!(
        "[shipped] cold start (process start to answer, index built): median {:?} max {:?}",
        pct(&starts, 0.5),
        starts.last().unwrap()
    );
}

fn big(faq: &Path, questions: &[String], question_file: &Path) {
    let scale = 100;
    let big = tempfile::tempdir().unwrap();
    let (corpus, _) = careerbot::corpus::load(faq);
    let t = Instant::now();
    synth::write(faq, &corpus, scale, 42, big.path()).unwrap();
    println!("[{scale}x] generated in {:?}", t.elapsed());
    measure(&format!("{scale}x"), big.path(), questions, question_file);
}
