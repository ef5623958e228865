//! A synthetic knowledge base N times the size of a real one, for benchmarks
//! at scale (`careerbot gen-corpus --scale 100`). Deterministic: the same
//! corpus, scale and seed always give byte-identical files.
//!
//! Copy `k` of an entry keeps its shape (question, aliases, a body of real
//! sentences) but swaps some words for others from the corpus vocabulary and
//! draws its body sentences from random entries, so the index grows in
//! documents, terms and postings the way a larger FAQ would.
//!
//! [`load_questions`] is the matching load generator: seeded chat-style
//! questions, on- and off-topic, for the bot's load run.

use std::path::Path;

use anyhow::{Context, Result};

use careerbot::corpus::Corpus;

/// xorshift64*: small, seeded, reproducible everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Writes [`generate`]'s files into `out`, plus `sources.toml` and
/// `synonyms.toml` copied from `faq` (the folder `corpus` was loaded from):
/// a knowledge base `careerbot` can load. Returns how many files it wrote.
pub fn write(faq: &Path, corpus: &Corpus, scale: usize, seed: u64, out: &Path) -> Result<usize> {
    let files = generate(corpus, scale, seed);
    for (rel, text) in &files {
        let p = out.join(rel);
        std::fs::create_dir_all(p.parent().unwrap_or(out))
            .with_context(|| format!("cannot create `{}`", out.display()))?;
        std::fs::write(&p, text).with_context(|| format!("cannot write `{}`", p.display()))?;
    }
    for f in ["sources.toml", "synonyms.toml"] {
        std::fs::copy(faq.join(f), out.join(f)).with_context(|| format!("cannot copy `{f}`"))?;
    }
    Ok(files.len() + 2)
}

/// The generated files as (path relative to the new faq folder, contents).
/// `sources.toml` and `synonyms.toml` are the caller's to copy.
pub fn generate(corpus: &Corpus, scale: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let vocab: Vec<&str> = corpus
        .entries
        .iter()
        .flat_map(|e| e.body.split_whitespace())
        .filter(|w| w.len() > 3 && w.chars().all(char::is_alphabetic))
        .collect();
    let sentences: Vec<&str> = corpus
        .entries
        .iter()
        .flat_map(|e| e.body.split(". "))
        .filter(|s| s.len() > 20)
        .collect();
    let vary = |text: &str, rng: &mut Rng| -> String {
        text.split(' ')
            .map(|w| {
                if rng.below(4) == 0 && !vocab.is_empty() {
                    vocab[rng.below(vocab.len())]
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Each guide's first section heading (below its title).
    let mut first_headings: Vec<(&str, &str)> = Vec::new();
    for o in &corpus.outlines {
        if let Some(h) = o.headings.get(1).or(o.headings.first())
            && !first_headings.iter().any(|(g, _)| *g == o.source)
        {
            first_headings.push((o.source.as_str(), h.path.last().map_or("", String::as_str)));
        }
    }
    let mut files = Vec::new();
    for k in 0..scale {
        for e in &corpus.entries {
            let id = if k == 0 {
                e.id.clone()
            } else {
                format!("{}-x{k}", e.id)
            };
            let (question, aliases) = if k == 0 {
                (e.question.clone(), e.aliases.clone())
            } else {
                (
                    vary(&e.question, &mut rng),
                    e.aliases.iter().map(|a| vary(a, &mut rng)).collect(),
                )
            };
            let body = if k == 0 {
                e.body.clone()
            } else {
                let n = 2 + rng.below(4);
                (0..n)
                    .map(|_| sentences[rng.below(sentences.len())].trim_end_matches('.'))
                    .collect::<Vec<_>>()
                    .join(". ")
                    + "."
            };
            // A copy's body mixes sentences of other entries, which may
            // name any guide: it cites a heading of every guide besides its
            // own sections, as `check` requires of a text naming them.
            let mut cites: Vec<(&str, &str)> = e
                .cites
                .iter()
                .map(|c| (c.source.as_str(), c.section.as_str()))
                .collect();
            if k > 0 {
                for &(g, heading) in &first_headings {
                    if !cites.iter().any(|(s, _)| *s == g) {
                        cites.push((g, heading));
                    }
                }
            }
            let cites = cites
                .iter()
                .map(|(s, h)| format!("{{ source = {}, section = {} }}", toml_str(s), toml_str(h)))
                .collect::<Vec<_>>()
                .join(", ");
            let aliases = aliases
                .iter()
                .map(|a| toml_str(a))
                .collect::<Vec<_>>()
                .join(", ");
            let tags = e
                .tags
                .iter()
                .map(|t| toml_str(t))
                .collect::<Vec<_>>()
                .join(", ");
            files.push((
                format!("entries/{}/{id}.md", k / 10),
                format!(
                    "+++\nid = {}\nquestion = {}\naliases = [{aliases}]\ntags = [{tags}]\ncites = [{cites}]\n+++\n{body}\n",
                    toml_str(&id),
                    toml_str(&question),
                ),
            ));
        }
        // Guides: copy k restates every heading (with its text, if any)
        // under a numbered title.
        for (n, o) in corpus.outlines.iter().enumerate() {
            let g = o.source.as_str();
            let mut text = format!("+++\nsource = {}\n+++\n", toml_str(g));
            for h in &o.headings {
                let depth = h.path.len();
                let title = h.path.last().map_or("", String::as_str);
                let title = if k > 0 {
                    format!("{title} (copy {k})")
                } else {
                    title.to_string()
                };
                text.push_str(&format!("\n{} {title}\n", "#".repeat(depth)));
                let own = corpus
                    .sections
                    .iter()
                    .find(|s| s.path == o.path && s.headings == h.path);
                if let Some(s) = own {
                    let body = if k == 0 {
                        s.body.clone()
                    } else {
                        vary(&s.body, &mut rng)
                    };
                    text.push_str(&format!("\n{body}\n"));
                }
            }
            let name = if n == 0 || corpus.outlines[..n].iter().all(|p| p.source != g) {
                format!("guides/{g}-{k}.md")
            } else {
                format!("guides/{g}-{n}-{k}.md")
            };
            files.push((name, text));
        }
    }
    files
}

/// Topic words people use when asking about Health IT careers, by slot.
const DEGREES: &[&str] = &[
    "cs degree",
    "computer science degree",
    "bachelors",
    "associate degree",
    "masters",
    "degree",
    "certificate",
    "college degree",
];
const CERTS: &[&str] = &[
    "rhit",
    "rhia",
    "cphims",
    "cahims",
    "cca",
    "cpc",
    "RHIT",
    "RHIA",
    "CPHIMS",
    "epic cert",
];
const ROLES: &[&str] = &[
    "hit tech",
    "health information technician",
    "medical coder",
    "hit manager",
    "health data analyst",
    "informatics specialist",
    "hit director",
    "ehr specialist",
    "hospital cio",
];
const FIELDS: &[&str] = &[
    "hit",
    "health it",
    "health informatics",
    "health information management",
    "HIM",
    "healthcare it",
];
const REMOTE: &[&str] = &["work remotely", "wfh", "work from home", "be fully remote"];
const BACKGROUNDS: &[&str] = &[
    "nursing",
    "retail",
    "it support",
    "a biology degree",
    "no experience",
    "customer service",
    "the military",
    "medical billing",
];
const PLACES: &[&str] = &[
    "",
    " in the us",
    " in texas",
    " in the uk",
    " per year",
    " starting out",
    " after 5 years",
];

/// `{d}` degree, `{c}`/`{c2}` credentials, `{r}` role, `{f}` field,
/// `{w}` remote phrase, `{b}` background, `{p}` place or qualifier.
const ON_TOPIC: &[&str] = &[
    "do i need a {d} to work in {f}",
    "{c} vs {c2}",
    "how much does a {r} make{p}",
    "can i {w} as a {r}",
    "how long does it take to study for the {c}",
    "is the {c} worth it for a {r}",
    "what does a {r} do all day",
    "how do i get into {f} with {b}",
    "entry level {r} salary{p}",
    "which cert first {c} or {c2}",
    "best way to move from {b} into {f}",
    "is {f} a good career",
    "can i get the {c} without a {d}",
    "whats the career path from {r} to {r2}",
    "do {r}s need to know coding",
    "how do i become a {r} with a {d}",
];

/// Questions the knowledge base does not cover: the bot should abstain.
const OFF_TOPIC: &[&str] = &[
    "whats the best pizza in chicago",
    "how do i make a sourdough starter",
    "who won the game last night",
    "recommend a good sci fi book",
    "why does my python code say list index out of range",
    "how to change a flat tire",
    "good morning",
    "thanks!!",
    "lol",
    "whats a good budget mechanical keyboard",
    "write me a poem about cats",
    "how do i get the verified role",
];

/// One typo a fast typist makes: two letters swapped, one dropped or doubled.
fn typo(text: &str, rng: &mut Rng) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let long: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].chars().count() > 3 && words[i].is_ascii())
        .collect();
    if long.is_empty() {
        return text.to_string();
    }
    let i = long[rng.below(long.len())];
    let mut w: Vec<u8> = words[i].bytes().collect();
    let at = 1 + rng.below(w.len() - 2);
    match rng.below(3) {
        0 => w.swap(at, at + 1),
        1 => {
            w.remove(at);
        }
        _ => w.insert(at, w[at]),
    }
    let w = String::from_utf8(w).unwrap_or_default();
    let mut out: Vec<&str> = words.clone();
    out[i] = &w;
    out.join(" ")
}

/// `n` chat-style questions for a load run (`cargo bench --bench bot`):
/// on-topic ones from templates × the words people use for degrees,
/// credentials (RHIT, RHIA, CPHIMS…), pay, roles and remote work, with
/// typos, shouting and trailing punctuation mixed in, and about one in six
/// off-topic, so a run exercises both answering and abstaining.
/// Deterministic: the same seed and `n` always give the same list.
pub fn load_questions(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x6C6F_6164); // "load": apart from `generate`'s stream
    fn pick(rng: &mut Rng, from: &[&'static str]) -> &'static str {
        from[rng.below(from.len())]
    }
    (0..n)
        .map(|_| {
            if rng.below(6) == 0 {
                return pick(&mut rng, OFF_TOPIC).to_string();
            }
            let mut q = pick(&mut rng, ON_TOPIC).to_string();
            for (slot, words) in [
                ("{d}", DEGREES),
                ("{c2}", CERTS),
                ("{c}", CERTS),
                ("{r2}", ROLES),
                ("{r}", ROLES),
                ("{f}", FIELDS),
                ("{w}", REMOTE),
                ("{b}", BACKGROUNDS),
                ("{p}", PLACES),
            ] {
                while q.contains(slot) {
                    q = q.replacen(slot, pick(&mut rng, words), 1);
                }
            }
            if rng.below(5) == 0 {
                q = typo(&q, &mut rng);
            }
            if rng.below(10) == 0 {
                q = q.to_uppercase();
            }
            q + ["", "?", "??", " pls", "?!"][rng.below(5)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Corpus {
        careerbot::corpus::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faq"),
        )
        .0
    }

    #[test]
    fn same_seed_same_files_and_another_seed_differs() {
        let c = corpus();
        assert_eq!(generate(&c, 3, 7), generate(&c, 3, 7));
        assert_ne!(generate(&c, 3, 7), generate(&c, 3, 8));
    }

    #[test]
    fn generated_corpus_is_valid_and_scale_times_larger() {
        let c = corpus();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for (rel, text) in generate(&c, 5, 1) {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/faq/sources.toml");
        std::fs::copy(fixture, dir.join("sources.toml")).unwrap();
        let (g, diags) = careerbot::corpus::load(dir);
        assert!(!diags.has_errors(), "{diags}");
        assert_eq!(g.entries.len(), c.entries.len() * 5);
        assert_eq!(g.sections.len(), c.sections.len() * 5);
    }

    #[test]
    fn load_questions_are_seeded_sized_and_mixed() {
        assert_eq!(load_questions(42, 500), load_questions(42, 500));
        assert_ne!(load_questions(42, 500), load_questions(43, 500));
        assert!(load_questions(1, 0).is_empty());
        // A longer run starts with the shorter one: n only sets the length.
        assert_eq!(load_questions(42, 1000)[..500], load_questions(42, 500)[..]);
        let qs = load_questions(7, 3000);
        assert_eq!(qs.len(), 3000);
        // Every question fits `/ask`'s 300-character option.
        assert!(
            qs.iter()
                .all(|q| !q.trim().is_empty() && q.chars().count() <= 300)
        );
        // About one in six is off-topic, and on-topic ones vary.
        let off = qs
            .iter()
            .filter(|q| OFF_TOPIC.iter().any(|o| q.starts_with(o)))
            .count();
        assert!((300..=700).contains(&off), "{off} off-topic of 3000");
        let distinct: std::collections::HashSet<&String> = qs.iter().collect();
        assert!(distinct.len() > 1500, "{} distinct", distinct.len());
        assert!(qs.iter().any(|q| q.contains("rhit") || q.contains("RHIT")));
    }
}
