//! Answer quality, measured the way `../shared/eval/score.py` measures it:
//! a question passes when the bot answers and the shown title + snippet match
//! any of its `expect` patterns; an off-topic question passes when it abstains.

use std::path::Path;

use anyhow::{Context, Result, bail};
use fancy_regex::Regex;
use serde::{Deserialize, Serialize};

use crate::engine::Response;
use crate::knowledge::Knowledge;

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    #[serde(default)]
    pub id: String,
    pub q: String,
    #[serde(default)]
    pub expect: Vec<String>,
}

pub fn read_jsonl(path: &Path) -> Result<Vec<Question>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: Question = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a question object", path.display(), n + 1))?;
        out.push(q);
    }
    Ok(out)
}

/// Text as the scorer sees it: Markdown emphasis gone, whitespace collapsed.
pub fn normalize(text: &str) -> String {
    let mut t = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '`' | '~' => {}
            '\\' if chars
                .peek()
                .is_some_and(|n| !n.is_alphanumeric() && *n != '_' && !n.is_whitespace()) => {}
            '\u{a0}' | '\u{202f}' | '\u{2009}' => t.push(' '),
            _ => t.push(c),
        }
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub id: String,
    pub question: String,
    pub why: String,
    pub got: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub questions: usize,
    pub recall_at_1: f64,
    pub recall_at_3: f64,
    pub offtopic: usize,
    pub abstention: f64,
    /// Share of the in-domain questions answered with an answer that does
    /// not hold the fact: the error that costs a member most.
    pub answered_wrong: f64,
    /// Every answer the engine would give with the gate open (in-domain and
    /// off-topic), by confidence: does the confidence mean what it says?
    pub reliability: Vec<Bucket>,
    pub misses: Vec<Miss>,
    pub answered_offtopic: Vec<Miss>,
}

/// Answers whose confidence falls in `[from, to)` (the last bucket
/// includes 1), and how many of them were right.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub from: f32,
    pub to: f32,
    pub answers: usize,
    pub right: usize,
}

/// Buckets of one tenth of confidence each.
fn reliability(scored: impl IntoIterator<Item = (f32, bool)>) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = (0..10)
        .map(|k| Bucket {
            from: k as f32 / 10.0,
            to: (k + 1) as f32 / 10.0,
            answers: 0,
            right: 0,
        })
        .collect();
    for (confidence, right) in scored {
        let b = &mut buckets[((confidence * 10.0) as usize).min(9)];
        b.answers += 1;
        b.right += usize::from(right);
    }
    buckets
}

struct Compiled {
    q: Question,
    patterns: Vec<Regex>,
}

fn compile(qs: &[Question]) -> Result<Vec<Compiled>> {
    qs.iter()
        .map(|q| {
            if q.expect.is_empty() {
                bail!("question `{}` has no `expect` patterns", q.id);
            }
            let patterns = q
                .expect
                .iter()
                .map(|p| {
                    Regex::new(&format!("(?i){p}"))
                        .with_context(|| format!("question `{}`: bad pattern `{p}`", q.id))
                })
                .collect::<Result<_>>()?;
            Ok(Compiled {
                q: q.clone(),
                patterns,
            })
        })
        .collect()
}

fn shown(title: &str, snippet: &str) -> String {
    normalize(&format!("{title}\n{snippet}"))
}

fn matches(c: &Compiled, text: &str) -> bool {
    c.patterns.iter().any(|p| p.is_match(text).unwrap_or(false))
}

/// Scores the engine at its current threshold.
pub fn run(k: &Knowledge, questions: &[Question], offtopic: &[Question]) -> Result<Report> {
    let compiled = compile(questions)?;
    let (mut r1, mut r3, mut wrong, mut misses) = (0, 0, 0, Vec::new());
    let mut gate_open = Vec::new();
    for c in &compiled {
        gate_open.push(open_gate(k, &c.q.q, |a| {
            matches(c, &shown(&a.title, &a.snippet))
        }));
        let resp = k.ask(&c.q.q).response;
        let ok1 = resp
            .answer
            .as_ref()
            .is_some_and(|a| matches(c, &shown(&a.title, &a.snippet)));
        let ok3 = ok1 || top3_match(k, &resp, c);
        r1 += usize::from(ok1);
        r3 += usize::from(ok3);
        wrong += usize::from(!ok1 && resp.answer.is_some());
        if !ok1 {
            misses.push(Miss {
                id: c.q.id.clone(),
                question: c.q.q.clone(),
                why: if resp.abstained {
                    "abstained".into()
                } else {
                    "wrong".into()
                },
                got: resp
                    .answer
                    .map(|a| format!("{} | {}", a.title, a.snippet))
                    .unwrap_or_default(),
            });
        }
    }
    let mut answered_offtopic = Vec::new();
    for q in offtopic {
        gate_open.push(open_gate(k, &q.q, |_| false));
        let resp = k.ask(&q.q).response;
        if let Some(a) = resp.answer {
            answered_offtopic.push(Miss {
                id: q.id.clone(),
                question: q.q.clone(),
                why: "answered".into(),
                got: a.title,
            });
        }
    }
    let n = questions.len().max(1) as f64;
    Ok(Report {
        questions: questions.len(),
        recall_at_1: r1 as f64 / n,
        recall_at_3: r3 as f64 / n,
        offtopic: offtopic.len(),
        abstention: if offtopic.is_empty() {
            1.0
        } else {
            1.0 - answered_offtopic.len() as f64 / offtopic.len() as f64
        },
        answered_wrong: wrong as f64 / n,
        reliability: reliability(gate_open.into_iter().flatten()),
        misses,
        answered_offtopic,
    })
}

/// Recall@3: the answer or one of the related documents, shown in full title +
/// best snippet for that document, matches.
fn top3_match(k: &Knowledge, resp: &Response, c: &Compiled) -> bool {
    resp.related
        .iter()
        .take(if resp.answer.is_some() { 2 } else { 3 })
        .any(|r| {
            k.engine
                .document(&r.id)
                .is_some_and(|d| matches(c, &shown(&d.title, &d.body)))
        })
}

/// Recall@1 and off-topic abstention for each threshold: the calibration table.
pub fn sweep(
    k: &Knowledge,
    questions: &[Question],
    offtopic: &[Question],
) -> Result<Vec<(f32, f64, f64)>> {
    let compiled = compile(questions)?;
    let scored: Vec<(f32, bool)> = compiled
        .iter()
        .map(|c| {
            open_gate(k, &c.q.q, |a| matches(c, &shown(&a.title, &a.snippet)))
                .unwrap_or((0.0, false))
        })
        .collect();
    let off: Vec<f32> = offtopic
        .iter()
        .map(|q| open_gate(k, &q.q, |_| true).map_or(0.0, |(c, _)| c))
        .collect();
    let mut rows = Vec::new();
    for step in 0..=20 {
        let t = 0.30 + step as f32 * 0.025;
        let r1 = scored.iter().filter(|(c, ok)| *ok && *c >= t).count() as f64
            / scored.len().max(1) as f64;
        let ab = off.iter().filter(|&&c| c < t).count() as f64 / off.len().max(1) as f64;
        rows.push((t, r1, ab));
    }
    Ok(rows)
}

/// Confidence and correctness of the answer given with the abstention gate
/// open; `None` when there is none even then.
fn open_gate(
    k: &Knowledge,
    q: &str,
    ok: impl Fn(&crate::engine::Answer) -> bool,
) -> Option<(f32, bool)> {
    let a = k.engine.ask_with_threshold(q, &k.hints(q), 0.0).answer?;
    Some((a.score, ok(&a)))
}

/// For every question, every candidate the engine ranked, with its features
/// and whether the answer it would show (`shown`) or its whole document
/// (`doc`) holds the expected fact; off-topic questions have no expected
/// fact. One JSON object a line: the data `tools/calibrate.py` fits the
/// weights of [`crate::engine::Scoring`] on.
pub fn features(
    k: &Knowledge,
    questions: &[Question],
    offtopic: &[Question],
    out: &mut impl std::io::Write,
) -> Result<()> {
    let compiled = compile(questions)?;
    let cases = compiled
        .iter()
        .map(|c| (&c.q, Some(c)))
        .chain(offtopic.iter().map(|q| (q, None)));
    for (q, c) in cases {
        let candidates: Vec<serde_json::Value> = k
            .engine
            .ranked(&q.q, &k.hints(&q.q))
            .into_iter()
            .map(|r| {
                let a = &r.answer;
                let (shown, doc) = match c {
                    Some(c) => (
                        matches(c, &shown(&a.title, &a.snippet)),
                        k.engine
                            .document(&a.id)
                            .is_some_and(|d| matches(c, &shown(&d.title, &d.body))),
                    ),
                    None => (false, false),
                };
                serde_json::json!({
                    "id": a.id, "score": r.score, "confidence": r.confidence,
                    "features": r.features, "not_covered": r.not_covered,
                    "shown": shown, "doc": doc,
                })
            })
            .collect();
        let line = serde_json::json!({
            "id": q.id, "q": q.q, "offtopic": c.is_none(),
            "want": crate::engine::intent::want(&q.q), "candidates": candidates,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}
