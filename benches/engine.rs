//! `cargo bench --bench engine`: answer latency (p50/p99) over a mixed
//! question set, index build time and size, and `ask` cold start.
//! Prints figures; asserts nothing (timing belongs here, not in tests).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use careerbot::engine::Knowledge;
use careerbot::eval::read_jsonl;

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

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let faq = root.join("faq");
    let tmp = tempfile::tempdir().unwrap();

    // Index build, from a validated corpus, five times.
    let (corpus, _) = careerbot::corpus::load(&faq);
    let mut builds = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        careerbot::index::build(&corpus, tmp.path()).unwrap();
        builds.push(t.elapsed());
    }
    builds.sort();
    let live = careerbot::index::current(tmp.path()).unwrap();
    println!(
        "index build: median {:?} over 5 builds ({} documents, {} KiB on disk)",
        pct(&builds, 0.5),
        corpus.entries.len() + corpus.sections.len(),
        dir_size(&live) / 1024
    );

    let t = Instant::now();
    let k = Knowledge::load(&faq, tmp.path()).unwrap();
    println!(
        "load (validate faq/ + open index + engine): {:?}",
        t.elapsed()
    );

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
    for q in &questions {
        std::hint::black_box(k.engine.ask(q)); // warm-up
    }
    let rounds = 20;
    let mut times = Vec::with_capacity(questions.len() * rounds);
    for _ in 0..rounds {
        for q in &questions {
            let t = Instant::now();
            std::hint::black_box(k.engine.ask(q));
            times.push(t.elapsed());
        }
    }
    times.sort();
    println!(
        "answer: {} questions × {rounds} rounds: p50 {:?}  p99 {:?}  max {:?}",
        questions.len(),
        pct(&times, 0.5),
        pct(&times, 0.99),
        times.last().unwrap()
    );

    // Cold start: a new process answering one question with the index built.
    let bin = env!("CARGO_BIN_EXE_careerbot");
    let mut starts = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let out = Command::new(bin)
            .args([
                "--faq",
                faq.to_str().unwrap(),
                "--index",
                tmp.path().to_str().unwrap(),
                "ask",
                "--json",
                "can i wfh in hit",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        starts.push(t.elapsed());
    }
    starts.sort();
    println!(
        "cold start (process start to answer, index built): median {:?}  max {:?}",
        pct(&starts, 0.5),
        starts.last().unwrap()
    );
}
