//! The answer engine: a chat-style question in, a ranked, cited answer out.
//!
//! Retrieval is Tantivy BM25 over boosted fields (question and aliases above
//! headings above body), with synonyms expanded and typos corrected to known
//! terms. The top candidates are then re-ranked by how much of the question
//! they cover and how closely one of their phrasings (the question, an alias
//! or a heading) matches it; the same two measures give the confidence that
//! decides whether to answer or to say "I don't know". Nothing here knows
//! Discord.

pub mod query;
mod snippet;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::corpus::diag::edit_distance;
use crate::corpus::{Corpus, Diagnostics};
use crate::index::{self, Fields};
use query::{Slot, Synonyms};

/// Answers below this confidence are withheld ("I don't know"). Calibrated with
/// `careerbot eval --sweep` on the dev and project eval sets (see README).
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.50;
/// Entries with this tag say what the guides do not cover.
pub const NOT_COVERED_TAG: &str = "not-covered";
/// How many BM25 candidates are re-ranked.
const CANDIDATES: usize = 40;
const FIELD_BOOSTS: [(FieldName, f32); 5] = [
    (FieldName::Question, 3.0),
    (FieldName::Aliases, 2.5),
    (FieldName::Headings, 1.5),
    (FieldName::Body, 1.0),
    (FieldName::Tags, 1.0),
];

#[derive(Clone, Copy)]
enum FieldName {
    Question,
    Aliases,
    Headings,
    Body,
    Tags,
}

/// One searchable document held in memory for re-ranking and snippets.
struct DocData {
    id: String,
    kind: String,
    title: String,
    body: String,
    source: String,
    citation: String,
    /// Every term anywhere in the document, sorted, for coverage.
    terms: Vec<u32>,
    /// The ways the document states its question: question, aliases, headings.
    phrasings: Vec<Vec<u32>>,
    /// Tagged `not-covered`: records what the guides do not say, so matching
    /// it means "I don't know" (with the entry offered as related).
    not_covered: bool,
}

/// The answer shown to a member.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub id: String,
    pub title: String,
    /// Plain text of what the member is shown (no Markdown markers).
    pub snippet: String,
    pub citation: String,
    pub source: String,
    pub score: f32,
    /// The same snippet with matched words in **bold**, for Discord.
    #[serde(skip)]
    pub snippet_markdown: String,
    #[serde(skip)]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Related {
    pub id: String,
    pub title: String,
}

/// Why a candidate scored as it did (`--explain`).
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub id: String,
    pub score: f32,
    pub confidence: f32,
    pub coverage: f32,
    pub phrasing: f32,
    pub bm25: f32,
    pub matched: Vec<String>,
    pub missed: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Response {
    pub question: String,
    pub abstained: bool,
    pub answer: Option<Answer>,
    pub related: Vec<Related>,
    /// The lookup's figures or credential when the question clearly asks for
    /// them (see [`crate::lookup::Lookup::facts`]); only with an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<crate::lookup::Facts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<ExplainReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExplainReport {
    pub slots: Vec<String>,
    pub candidates: Vec<Explanation>,
}

pub struct Engine {
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    synonyms: Synonyms,
    docs: Vec<DocData>,
    by_address: HashMap<DocAddress, u32>,
    by_id: HashMap<String, u32>,
    vocab: HashMap<String, u32>,
    /// Words as written in the knowledge base -> their term id, for typo correction.
    surfaces: HashMap<String, u32>,
    /// Vocabulary by term id, with document frequency.
    terms: Vec<(String, u32)>,
    pub min_confidence: f32,
    pub documents: usize,
}

impl Engine {
    /// Opens the index generation in `dir`; `corpus` supplies the synonyms.
    pub fn open(dir: &Path, synonyms: &[Vec<String>]) -> Result<Engine> {
        let (index, fields, _) = index::open_dir(dir)?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .context("cannot open an index reader")?;
        let mut analyzer = index::analyzer();
        let synonyms = Synonyms::new(&mut analyzer, synonyms);
        let mut engine = Engine {
            reader,
            fields,
            analyzer,
            synonyms,
            docs: Vec::new(),
            by_address: HashMap::new(),
            by_id: HashMap::new(),
            vocab: HashMap::new(),
            surfaces: HashMap::new(),
            terms: Vec::new(),
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            documents: 0,
        };
        engine.load_documents()?;
        Ok(engine)
    }

    fn load_documents(&mut self) -> Result<()> {
        let searcher = self.reader.searcher();
        let f = self.fields;
        for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
            let store = seg.get_store_reader(64)?;
            for doc_id in 0..seg.max_doc() {
                if seg.is_deleted(doc_id) {
                    continue;
                }
                let doc: TantivyDocument = store.get(doc_id)?;
                let text = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string()
                };
                let all = |field| {
                    doc.get_all(field)
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                };
                let (question, aliases, headings, body, tags) = (
                    text(f.question),
                    all(f.aliases),
                    text(f.headings),
                    text(f.body),
                    all(f.tags),
                );
                let mut phrasings = vec![self.term_ids(&question)];
                phrasings.extend(aliases.iter().map(|a| self.term_ids(a)));
                phrasings.extend(
                    headings
                        .split(" \n ")
                        .filter(|h| !h.is_empty())
                        .map(|h| self.term_ids(h)),
                );
                phrasings.retain(|p| !p.is_empty());
                let mut terms: Vec<u32> = phrasings.iter().flatten().copied().collect();
                terms.extend(self.term_ids(&body));
                terms.extend(tags.iter().flat_map(|t| self.term_ids(t)));
                terms.sort_unstable();
                terms.dedup();
                for &t in &terms {
                    self.terms[t as usize].1 += 1;
                }
                let ord = self.docs.len() as u32;
                self.by_address
                    .insert(DocAddress::new(seg_ord as u32, doc_id), ord);
                let id = text(f.id);
                self.by_id.insert(id.clone(), ord);
                self.docs.push(DocData {
                    id,
                    kind: text(f.kind),
                    title: text(f.title),
                    body,
                    source: text(f.source),
                    citation: text(f.citation),
                    terms,
                    phrasings,
                    not_covered: tags.iter().any(|t| t == NOT_COVERED_TAG),
                });
            }
        }
        self.documents = self.docs.len();
        Ok(())
    }

    /// Sorted, deduplicated ids of the content terms of `text`, growing the vocabulary.
    fn term_ids(&mut self, text: &str) -> Vec<u32> {
        let mut ids: Vec<u32> = query::tokens(&mut self.analyzer, text)
            .into_iter()
            .filter(|t| !query::is_stopword(&t.surface))
            .map(|t| {
                let next = self.terms.len() as u32;
                let id = *self.vocab.entry(t.stem.clone()).or_insert_with(|| {
                    self.terms.push((t.stem, 0));
                    next
                });
                self.surfaces.entry(t.surface).or_insert(id);
                id
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn idf(&self, df: u32) -> f32 {
        let n = self.docs.len() as f32;
        (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln()
    }

    fn df(&self, stem: &str) -> u32 {
        self.vocab
            .get(stem)
            .map_or(0, |&t| self.terms[t as usize].1)
    }

    /// The known term closest to an unknown one, for typo tolerance: only for
    /// words of five letters or more, one edit (two from eight letters), the
    /// most frequent candidate winning ties.
    fn correct(&self, word: &str) -> Option<String> {
        let len = word.chars().count();
        if len < 5 || word.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let max = if len >= 8 { 2 } else { 1 };
        self.surfaces
            .iter()
            .filter(|(w, _)| w.len().abs_diff(word.len()) <= max && w.len() >= 4)
            .filter_map(|(w, &id)| {
                let d = edit_distance(word, w);
                let (stem, df) = &self.terms[id as usize];
                (d <= max && *df > 0).then_some((d, std::cmp::Reverse(*df), stem))
            })
            .min()
            .map(|(_, _, t)| t.clone())
    }

    /// Analyse the question into weighted slots, correcting unknown words.
    fn analyse(&self, question: &str) -> Vec<Slot> {
        let mut analyzer = self.analyzer.clone();
        let mut slots = query::slots(&mut analyzer, &self.synonyms, question);
        let max_idf = self.idf(0);
        for s in &mut slots {
            let known = |alt: &Vec<String>| alt.iter().all(|t| self.df(t) > 0);
            if !s.alts.iter().any(known)
                && s.alts.len() == 1
                && s.alts[0].len() == 1
                && let Some(fix) = self.correct(&s.surface)
            {
                s.corrected = Some(fix.clone());
                s.alts = vec![vec![fix]];
            }
            // A concept weighs what its most common known form weighs; an
            // unknown concept weighs the most (it is what the knowledge lacks).
            s.weight = s
                .alts
                .iter()
                .filter(|a| known(a))
                .map(|a| a.iter().map(|t| self.idf(self.df(t))).fold(0.0, f32::max))
                .fold(f32::NAN, f32::min);
            if s.weight.is_nan() {
                s.weight = max_idf;
            }
            if s.corrected.is_some() {
                s.weight *= 0.9;
            }
        }
        slots
    }

    fn tantivy_query(&self, slots: &[Slot]) -> BooleanQuery {
        let f = self.fields;
        let field = |n: FieldName| match n {
            FieldName::Question => f.question,
            FieldName::Aliases => f.aliases,
            FieldName::Headings => f.headings,
            FieldName::Body => f.body,
            FieldName::Tags => f.tags,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for s in slots {
            let typo = if s.corrected.is_some() { 0.6 } else { 1.0 };
            for (k, alt) in s.alts.iter().enumerate() {
                if alt.iter().any(|t| self.df(t) == 0) {
                    continue;
                }
                let syn = if k == 0 { 1.0 } else { 0.7 };
                for (name, boost) in FIELD_BOOSTS {
                    let fld = field(name);
                    let q: Box<dyn Query> = if alt.len() == 1 {
                        Box::new(TermQuery::new(
                            Term::from_field_text(fld, &alt[0]),
                            IndexRecordOption::WithFreqs,
                        ))
                    } else {
                        Box::new(PhraseQuery::new(
                            alt.iter().map(|t| Term::from_field_text(fld, t)).collect(),
                        ))
                    };
                    clauses.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(q, boost * syn * typo)),
                    ));
                }
            }
        }
        BooleanQuery::new(clauses)
    }

    /// Answers one question. Never fails on odd input: junk abstains.
    pub fn ask(&self, question: &str) -> Response {
        self.ask_with(question, false)
    }

    /// `ask` with the scoring explained (`--explain`).
    pub fn ask_with(&self, question: &str, explain: bool) -> Response {
        self.respond(question, explain, self.min_confidence)
    }

    /// `ask` at another confidence threshold (calibration).
    pub fn ask_with_threshold(&self, question: &str, min_confidence: f32) -> Response {
        self.respond(question, false, min_confidence)
    }

    fn respond(&self, question: &str, explain: bool, min_confidence: f32) -> Response {
        let slots = self.analyse(question);
        let mut resp = Response {
            question: question.to_string(),
            abstained: true,
            answer: None,
            related: Vec::new(),
            facts: None,
            explain: None,
        };
        let total: f32 = slots.iter().map(|s| s.weight).sum();
        if slots.is_empty() || total <= 0.0 {
            return resp;
        }
        let query = self.tantivy_query(&slots);
        let searcher = self.reader.searcher();
        let hits = searcher
            .search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score())
            .unwrap_or_default();
        let top_bm25 = hits.first().map_or(1.0, |h| h.0.max(f32::EPSILON));
        // Term ids of each slot's alternatives (unknown terms have none).
        let slot_terms: Vec<Vec<Vec<u32>>> = slots
            .iter()
            .map(|s| {
                s.alts
                    .iter()
                    .filter_map(|a| {
                        a.iter()
                            .map(|t| self.vocab.get(t).copied())
                            .collect::<Option<Vec<u32>>>()
                    })
                    .collect()
            })
            .collect();
        let query_terms: Vec<u32> = slot_terms.iter().flatten().flatten().copied().collect();

        let mut scored: Vec<(f32, f32, u32, Explanation)> = hits
            .iter()
            .filter_map(|&(bm25, addr)| {
                let ord = *self.by_address.get(&addr)?;
                let d = &self.docs[ord as usize];
                let has =
                    |set: &[u32], alt: &Vec<u32>| alt.iter().all(|t| set.binary_search(t).is_ok());
                let in_doc: Vec<bool> = slot_terms
                    .iter()
                    .map(|alts| alts.iter().any(|a| has(&d.terms, a)))
                    .collect();
                let coverage = weighted(&slots, &in_doc) / total;
                let phrasing = d
                    .phrasings
                    .iter()
                    .map(|p| {
                        let in_p: Vec<bool> = slot_terms
                            .iter()
                            .map(|alts| alts.iter().any(|a| has(p, a)))
                            .collect();
                        let recall = weighted(&slots, &in_p) / total;
                        let (mut hit, mut all) = (0.0, 0.0);
                        for t in p {
                            let w = self.idf(self.terms[*t as usize].1);
                            all += w;
                            if query_terms.contains(t) {
                                hit += w;
                            }
                        }
                        let precision = if all > 0.0 { hit / all } else { 0.0 };
                        if recall + precision > 0.0 {
                            2.0 * recall * precision / (recall + precision)
                        } else {
                            0.0
                        }
                    })
                    .fold(0.0, f32::max);
                let bm = bm25 / top_bm25;
                let entry = if d.kind == "entry" { 0.03 } else { 0.0 };
                let confidence = 0.55 * coverage + 0.45 * phrasing;
                let score = 0.45 * coverage + 0.40 * phrasing + 0.15 * bm + entry;
                let (matched, missed) = slots.iter().zip(&in_doc).fold(
                    (vec![], vec![]),
                    |(mut m, mut x), (s, &hit)| {
                        let label = match &s.corrected {
                            Some(c) => format!("{}→{c}", s.surface),
                            None => s.surface.clone(),
                        };
                        if hit {
                            m.push(label)
                        } else {
                            x.push(label)
                        }
                        (m, x)
                    },
                );
                Some((
                    score,
                    confidence,
                    ord,
                    Explanation {
                        id: d.id.clone(),
                        score,
                        confidence,
                        coverage,
                        phrasing,
                        bm25: bm,
                        matched,
                        missed,
                    },
                ))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));

        if explain {
            resp.explain = Some(ExplainReport {
                slots: slots
                    .iter()
                    .map(|s| {
                        format!(
                            "{} (weight {:.2}{})",
                            s.surface,
                            s.weight,
                            s.corrected
                                .as_ref()
                                .map(|c| format!(", typo for {c}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect(),
                candidates: scored.iter().take(5).map(|s| s.3.clone()).collect(),
            });
        }
        let Some(&(_, confidence, best, _)) = scored.first() else {
            return resp;
        };
        let answered = confidence >= min_confidence && !self.docs[best as usize].not_covered;
        let skip = if answered { 1 } else { 0 };
        resp.related = scored
            .iter()
            .skip(skip)
            .filter(|s| s.1 >= 0.25)
            .take(3)
            .map(|s| {
                let d = &self.docs[s.2 as usize];
                Related {
                    id: d.id.clone(),
                    title: d.title.clone(),
                }
            })
            .collect();
        if answered {
            let d = &self.docs[best as usize];
            let stems: Vec<&str> = slot_terms
                .iter()
                .flatten()
                .flatten()
                .map(|&t| self.terms[t as usize].0.as_str())
                .collect();
            let weight_of = |stem: &str| {
                slots
                    .iter()
                    .zip(&slot_terms)
                    .find(|(_, alts)| {
                        alts.iter()
                            .flatten()
                            .any(|&t| self.terms[t as usize].0 == stem)
                    })
                    .map_or(0.0, |(s, _)| s.weight)
            };
            let snip = snippet::best(
                &mut self.analyzer.clone(),
                &d.body,
                d.kind == "entry",
                &stems,
                weight_of,
            );
            resp.abstained = false;
            resp.answer = Some(Answer {
                id: d.id.clone(),
                title: d.title.clone(),
                snippet: snip.plain,
                snippet_markdown: snip.markdown,
                citation: d.citation.clone(),
                source: d.source.clone(),
                score: (confidence * 1000.0).round() / 1000.0,
                kind: d.kind.clone(),
            });
        }
        resp
    }

    /// A document by id, with its full body: `/faq` and the related buttons.
    pub fn document(&self, id: &str) -> Option<FullDoc> {
        let d = &self.docs[*self.by_id.get(id)? as usize];
        Some(FullDoc {
            id: d.id.clone(),
            title: d.title.clone(),
            body: d.body.clone(),
            citation: d.citation.clone(),
        })
    }

    /// Entry questions matching `partial`, for `/faq` autocomplete.
    pub fn titles_matching(&self, partial: &str, limit: usize) -> Vec<Related> {
        let p = partial.to_lowercase();
        let mut hits: Vec<(usize, &DocData)> = self
            .docs
            .iter()
            .filter(|d| d.kind == "entry")
            .filter_map(|d| {
                let t = d.title.to_lowercase();
                let rank = if p.is_empty() || t.starts_with(&p) {
                    0
                } else if t.contains(&p) {
                    1
                } else if p.split_whitespace().all(|w| t.contains(w)) {
                    2
                } else {
                    return None;
                };
                Some((rank, d))
            })
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.title.cmp(&b.1.title)));
        hits.into_iter()
            .take(limit)
            .map(|(_, d)| Related {
                id: d.id.clone(),
                title: d.title.clone(),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FullDoc {
    pub id: String,
    pub title: String,
    pub body: String,
    pub citation: String,
}

fn weighted(slots: &[Slot], hit: &[bool]) -> f32 {
    slots
        .iter()
        .zip(hit)
        .filter(|(_, h)| **h)
        .map(|(s, _)| s.weight)
        .sum()
}

/// Everything the adapters need, loaded together and swapped together on reload.
pub struct Knowledge {
    pub corpus: Corpus,
    pub engine: Engine,
    /// Salary and credential lookups over the same corpus.
    pub lookup: crate::lookup::Lookup,
    pub warnings: Diagnostics,
    /// Whether opening had to build the index.
    pub rebuilt: bool,
}

/// Errors that block loading: the caller shows them and keeps what it had.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the knowledge base has {} error(s):\n{}", .0.errors().count(), errors_text(.0))]
    Invalid(Diagnostics),
    #[error(transparent)]
    Index(#[from] anyhow::Error),
}

fn errors_text(d: &Diagnostics) -> String {
    d.errors()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Knowledge {
    /// The engine's answer, plus the lookup's facts when the question clearly
    /// asks for pay figures or a credential.
    pub fn ask(&self, question: &str) -> Response {
        self.ask_with(question, false)
    }

    /// [`Knowledge::ask`] with the scoring explained.
    pub fn ask_with(&self, question: &str, explain: bool) -> Response {
        let mut resp = self.engine.ask_with(question, explain);
        if !resp.abstained {
            resp.facts = self.lookup.facts(question);
        }
        resp
    }

    /// Validates `faq`, makes sure the index under `index_dir` matches it
    /// (building it if missing, stale or corrupt), and opens the engine.
    pub fn load(faq: &Path, index_dir: &Path) -> Result<Knowledge, LoadError> {
        Self::load_with(faq, index_dir, false)
    }

    pub fn load_with(
        faq: &Path,
        index_dir: &Path,
        force_rebuild: bool,
    ) -> Result<Knowledge, LoadError> {
        let (corpus, diags) = crate::corpus::load(faq);
        if diags.has_errors() {
            return Err(LoadError::Invalid(diags));
        }
        let (dir, rebuilt) = if force_rebuild {
            (index::build(&corpus, index_dir)?, true)
        } else {
            index::ensure(&corpus, index_dir)?
        };
        let engine = match Engine::open(&dir, &corpus.synonyms) {
            Ok(e) => e,
            // The live generation opened for its metadata but not as an index: rebuild once.
            Err(e) if !rebuilt => {
                tracing::warn!("index unusable ({e:#}); rebuilding");
                Engine::open(&index::build(&corpus, index_dir)?, &corpus.synonyms)?
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Knowledge {
            lookup: crate::lookup::Lookup::new(&corpus),
            corpus,
            engine,
            warnings: diags,
            rebuilt,
        })
    }
}
