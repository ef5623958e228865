//! `cargo bench --bench engine`: prints, for the shipped corpus and a
//! synthetic one 100× its size (`careerbot::synth`, seed 42):
//! index build time and size, load time, resident memory, answer latency
//! p50/p99 over a mixed question set, and the same for a plain Tantivy BM25
//! baseline (default tokenizer, no synonyms, no re-ranking) so the cost of
//! our ranking shows as a ratio; then `ask` cold start.
//! Figures only; nothing is asserted (timing belongs here, never in a test).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use careerbot::engine::Knowledge;
use careerbot::eval::read_jsonl;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, STRING, Schema, TEXT};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

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

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn time_all(questions: &[String], rounds: usize, mut f: impl FnMut(&str)) -> Vec<Duration> {
    for q in questions {
        f(q); // warm-up
    }
    let mut times = Vec::with_capacity(questions.len() * rounds);
    for _ in 0..rounds {
        for q in questions {
            let t = Instant::now();
            f(q);
            times.push(t.elapsed());
        }
    }
    times.sort();
    times
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

fn measure(label: &str, faq: &Path, questions: &[String]) {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, diags) = careerbot::corpus::load(faq);
    assert!(!diags.has_errors(), "{diags}");
    let docs = corpus.entries.len() + corpus.sections.len();
    let runs = if docs > 5_000 { 3 } else { 5 };
    let mut builds = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        careerbot::index::build(&corpus, tmp.path()).unwrap();
        builds.push(t.elapsed());
    }
    builds.sort();
    let live = careerbot::index::current(tmp.path()).unwrap();
    println!(
        "[{label}] {docs} documents: index build median {:?} ({runs} builds), {} KiB on disk",
        pct(&builds, 0.5),
        dir_size(&live) / 1024
    );

    let before = rss_mib();
    let t = Instant::now();
    let k = Knowledge::load(faq, tmp.path()).unwrap();
    println!(
        "[{label}] load (validate faq/, open index, engine): {:?}; resident memory {:.1} MiB (+{:.1} MiB for this corpus)",
        t.elapsed(),
        rss_mib(),
        rss_mib() - before
    );

    let rounds = if docs > 5_000 { 5 } else { 20 };
    let ours = time_all(questions, rounds, |q| {
        std::hint::black_box(k.engine.ask(q));
    });
    let base_dir = tempfile::tempdir().unwrap();
    let base = Baseline::build(&corpus, base_dir.path());
    let plain = time_all(questions, rounds, |q| {
        std::hint::black_box(base.ask(q));
    });
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!(
        "[{label}] answer ({} questions × {rounds}): careerbot p50 {:?} p99 {:?} | plain BM25 p50 {:?} p99 {:?} | ratio p50 {:.1}× p99 {:.1}×",
        questions.len(),
        pct(&ours, 0.5),
        pct(&ours, 0.99),
        pct(&plain, 0.5),
        pct(&plain, 0.99),
        ratio(pct(&ours, 0.5), pct(&plain, 0.5)),
        ratio(pct(&ours, 0.99), pct(&plain, 0.99)),
    );
}

fn main() {
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
    println!(
        "machine: {} cores; release build",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    measure("shipped", &faq, &questions);

    // Cold start: a new process answering one question with the index built.
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

    let scale = 100;
    let big = tempfile::tempdir().unwrap();
    let (corpus, _) = careerbot::corpus::load(&faq);
    let t = Instant::now();
    for (rel, text) in careerbot::synth::generate(&corpus, scale, 42) {
        let p = big.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    for f in ["sources.toml", "synonyms.toml"] {
        std::fs::copy(faq.join(f), big.path().join(f)).unwrap();
    }
    println!("[{scale}x] generated in {:?}", t.elapsed());
    measure(&format!("{scale}x"), big.path(), &questions);
}
