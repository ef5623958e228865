//! A synthetic knowledge base N times the size of a real one, for benchmarks
//! at scale (`careerbot gen-corpus --scale 100`). Deterministic: the same
//! corpus, scale and seed always give byte-identical files.
//!
//! Copy `k` of an entry keeps its shape (question, aliases, a body of real
//! sentences) but swaps some words for others from the corpus vocabulary and
//! draws its body sentences from random entries, so the index grows in
//! documents, terms and postings the way a larger FAQ would.

use crate::corpus::Corpus;

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
            let sources = e
                .sources
                .iter()
                .map(|s| toml_str(s))
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
                    "+++\nid = {}\nquestion = {}\naliases = [{aliases}]\ntags = [{tags}]\nsource = [{sources}]\nsection = {}\n+++\n{body}\n",
                    toml_str(&id),
                    toml_str(&question),
                    toml_str(&e.section)
                ),
            ));
        }
        // Guides: copy k restates every section under a numbered title.
        let mut guides: Vec<&str> = corpus.sections.iter().map(|s| s.source.as_str()).collect();
        guides.dedup();
        for g in guides {
            let mut text = format!("+++\nsource = {}\n+++\n", toml_str(g));
            let mut last: Vec<String> = Vec::new();
            for s in corpus.sections.iter().filter(|s| s.source == g) {
                for (depth, h) in s.headings.iter().enumerate() {
                    if last.get(depth) != Some(h) {
                        let title = if k > 0 {
                            format!("{h} (copy {k})")
                        } else {
                            h.clone()
                        };
                        text.push_str(&format!("\n{} {title}\n", "#".repeat(depth + 1)));
                    }
                }
                last = s.headings.clone();
                let body = if k == 0 {
                    s.body.clone()
                } else {
                    vary(&s.body, &mut rng)
                };
                text.push_str(&format!("\n{body}\n"));
            }
            files.push((format!("guides/{g}-{k}.md"), text));
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Corpus {
        crate::corpus::load(
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
        let (g, diags) = crate::corpus::load(dir);
        assert!(!diags.has_errors(), "{diags}");
        assert_eq!(g.entries.len(), c.entries.len() * 5);
        assert_eq!(g.sections.len(), c.sections.len() * 5);
    }
}
