//! The answer engine: a chat-style question in, a ranked, cited answer out.
//!
//! Retrieval is Tantivy BM25 over boosted fields (question and aliases above
//! headings above body), with synonyms expanded and typos corrected to known
//! terms. The top candidates are then re-ranked by how much of the question
//! they cover and how closely one of their phrasings (the question, an alias
//! or a heading) matches it; the same two measures give the confidence that
//! decides whether to answer or to say "I don't know". Nothing here knows
//! an adapter: answers are plain text.

pub mod intent;
mod phrase;
mod prepared;
pub mod query;
mod rank;
mod snippet;
mod topk;

use std::cmp::Reverse;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, ensure};
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::corpus::diag::edit_distance_within;
use crate::embed::Embedder;
pub use crate::index::Citation;
use crate::index::{self, Fields};
use intent::{Facts, Want};
use phrase::{PhrasePostings, StoredPhrase};
use prepared::Vectors;
use query::{Slot, Synonyms};
use rank::{Candidate, Verdict};
pub use rank::{Features, LEXICAL, SCORING, Scoring};

/// The most parts of a message asked again when it abstains as a whole.
const MAX_PARTS: usize = 3;

/// When the top candidate lacks the kind of fact asked for ("entry level
/// hit tech $$?" ranks the first-job entry, which has no pay), the next this
/// many candidates are tried, if their rank score is within
/// [`FACT_RUNNER_UP_MARGIN`] of the top's, before saying the guides don't
/// give it. Chosen on the tuning sets as they stood before their content
/// passes: +3 right, +1 wrong of 592; no uncovered question moved.
const FACT_RUNNERS_UP: usize = 2;
const FACT_RUNNER_UP_MARGIN: f32 = 0.1;

/// Entries with this tag say what the guides do not cover.
pub const NOT_COVERED_TAG: &str = "not-covered";
/// How many BM25 candidates are re-ranked.
const CANDIDATES: usize = 40;
/// How many candidates `--explain` shows.
const EXPLAINED: usize = 5;
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

/// One searchable document held in memory for re-ranking; its body stays in
/// the index's document store until it is answered. Kinds, sources and
/// citations repeat across documents and are shared.
struct DocData {
    address: DocAddress,
    id: String,
    kind: DocKind,
    title: String,
    source: Arc<str>,
    citations: Arc<[Citation]>,
    /// Every term anywhere in the document, sorted, for coverage: this
    /// range of [`Engine::doc_terms`].
    terms: Range<u32>,
    /// The ways the document states its question (question, aliases,
    /// headings): this range of [`Engine::phrasings`].
    phrasings: Range<u32>,
    /// Tagged `not-covered`: records what the guides do not say, so matching
    /// it means "I don't know" (with the entry offered as related).
    not_covered: bool,
    /// The kinds of facts its body holds.
    facts: Facts,
}

/// What a searchable document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// An FAQ entry: its first sentence is the direct answer.
    Entry,
    /// A section of a restated guide.
    Section,
}

impl DocKind {
    fn parse(s: &str) -> DocKind {
        if s == index::KIND_ENTRY {
            DocKind::Entry
        } else {
            DocKind::Section
        }
    }
}

/// One phrasing of a document: its terms, sorted.
struct Phrasing {
    /// This range of [`Engine::phrasing_terms`].
    terms: Range<u32>,
    /// The idf of its terms summed in order: the denominator of its
    /// precision, the same for every question.
    idf: f32,
}

/// The answer shown to a member.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub id: String,
    pub title: String,
    /// Plain text of what the member is shown (no Markdown markers).
    pub snippet: String,
    /// Every (guide, section) the answer relies on.
    pub citations: Vec<Citation>,
    pub source: String,
    pub score: f32,
    #[serde(skip)]
    pub kind: DocKind,
}

/// What the guides do not give: the question matches an entry that says
/// what they leave out (tagged `not-covered`), or asks for a kind of fact
/// (a cost, a time frame...) that no close entry holds. The bot says so
/// instead of answering a neighbour, and counts it as abstaining.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// What a member reads: the not-covered entry's own words, or a
    /// sentence naming the kind of fact missing.
    pub message: String,
    /// The kind of fact asked for, when that is what is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub want: Option<Want>,
    /// The not-covered entry, when one matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

impl Gap {
    fn missing(want: Want) -> Gap {
        Gap {
            message: format!("The guides don't give {} for that.", want.missing()),
            want: Some(want),
            entry: None,
        }
    }

    /// The not-covered entry's answer is what the member reads.
    fn not_covered(answer: Answer) -> Gap {
        Gap {
            message: answer.snippet,
            want: None,
            entry: Some(answer.id),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Related {
    pub id: String,
    pub title: String,
}

/// One candidate as ranked, with the answer it would give ([`Engine::ranked`]).
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    pub score: f32,
    pub confidence: f32,
    pub features: Features,
    pub not_covered: bool,
    pub answer: Answer,
}

/// Why a candidate scored as it did (`--explain`).
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub id: String,
    pub score: f32,
    pub confidence: f32,
    #[serde(flatten)]
    pub features: Features,
    pub matched: Vec<String>,
    pub missed: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Response {
    pub question: String,
    pub abstained: bool,
    pub answer: Option<Answer>,
    /// Set when the question asks for a kind of fact the guides don't
    /// give: the bot says so (and abstains) instead of answering a neighbour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<Gap>,
    pub related: Vec<Related>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<ExplainReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExplainReport {
    pub slots: Vec<String>,
    /// The kind of fact the question asks for, if any.
    pub want: Option<Want>,
    /// The entry the caller's hints put first, if they did.
    pub hinted: Option<String>,
    pub scoring: Scoring,
    pub candidates: Vec<Explanation>,
}

pub struct Engine {
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    /// The analyzer without stemming, and the stems of the knowledge base's
    /// words: how answers are analysed for snippets.
    words: TextAnalyzer,
    stems: query::Stems,
    synonyms: Synonyms,
    docs: Vec<DocData>,
    doc_terms: Vec<u32>,
    phrasings: Vec<Phrasing>,
    phrasing_terms: Vec<u32>,
    /// Each phrasing's embedding, in [`Engine::phrasings`] order.
    vectors: Vectors,
    /// By term id: whether some question, alias or heading uses the term.
    in_phrasings: Vec<bool>,
    /// BM25 statistics, as Tantivy computes them, computed once.
    stats: Stats,
    /// Document ordinal by segment ordinal and doc id (`u32::MAX`: none).
    by_address: Vec<Vec<u32>>,
    by_id: HashMap<String, u32>,
    vocab: HashMap<String, u32>,
    /// Words as written in the knowledge base, by length in bytes, for typo
    /// correction.
    surfaces: Vec<Vec<Surface>>,
    /// Vocabulary by term id, with document frequency.
    terms: Vec<(String, u32)>,
    /// [`Engine::idf`] of each term, by term id.
    term_idf: Vec<f32>,
    /// Multi-word synonyms -> their stored postings, per field (`FieldName`
    /// order); `None` where no segment has all of their terms.
    phrases: HashMap<Vec<String>, [Option<StoredPhrase>; 5]>,
    pub documents: usize,
}

/// The searcher's BM25 statistics for our fields and vocabulary, computed
/// once instead of looked up in every segment for every clause of every
/// question; anything else is asked of the searcher. Same numbers, so the
/// same scores.
struct Stats {
    fields: [tantivy::schema::Field; 5],
    total_num_tokens: [u64; 5],
    total_num_docs: u64,
    /// Per term id, the document frequency in each of `fields`.
    doc_freq: Vec<[u64; 5]>,
}

/// [`Stats`] for one search, falling back to `searcher`.
struct StatsFor<'a> {
    engine: &'a Engine,
    searcher: &'a Searcher,
}

impl Bm25StatisticsProvider for StatsFor<'_> {
    fn total_num_tokens(&self, field: tantivy::schema::Field) -> tantivy::Result<u64> {
        let s = &self.engine.stats;
        match s.fields.iter().position(|&f| f == field) {
            Some(k) => Ok(s.total_num_tokens[k]),
            None => self.searcher.total_num_tokens(field),
        }
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.engine.stats.total_num_docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        match self
            .engine
            .field_doc_freq(term.field(), term.value().as_str())
        {
            Some(df) => Ok(df),
            None => self.searcher.doc_freq(term),
        }
    }
}

/// What [`prepare_generation`] writes, and with which model: an index
/// generation stamped otherwise is rebuilt (see [`index::build`]).
pub fn stamp() -> String {
    format!(
        "{} {}; embedding model {}",
        prepared::FILE,
        prepared::FORMAT,
        crate::embed::MODEL_ID
    )
}

/// Computes what [`Engine::open`] reads back into the index generation being
/// built: given to [`index::build`] by whoever assembles a generation.
pub fn prepare_generation(generation: &index::Generation, synonyms: &[Vec<String>]) -> Result<()> {
    let prepared = prepared::prepare(generation.index, generation.fields, synonyms)?;
    prepared::write(&prepared, generation.dir)
}

impl Engine {
    /// Opens the index generation in `dir`; `synonyms` come from the corpus.
    pub fn open(dir: &Path, synonyms: &[Vec<String>]) -> Result<Engine> {
        let (index, fields, _) = index::open_dir(dir)?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .context("cannot open an index reader")?;
        let prep = prepared::read(dir)?;
        let searcher = reader.searcher();
        let segments = searcher.segment_readers();
        ensure!(
            segments.len() == prep.segments.len()
                && segments
                    .iter()
                    .zip(&prep.segments)
                    .all(|(s, (id, max_doc))| s.segment_id().uuid_string() == *id
                        && s.max_doc() == *max_doc),
            "`{}` describes other segments than the index",
            prepared::FILE
        );
        let mut analyzer = index::analyzer();
        let synonyms = Synonyms::new(&mut analyzer, synonyms);
        let text_fields = prepared::text_fields(&fields);
        let stats = Stats {
            fields: text_fields,
            total_num_tokens: text_fields
                .map(|f| Bm25StatisticsProvider::total_num_tokens(&searcher, f).unwrap_or(0)),
            total_num_docs: Bm25StatisticsProvider::total_num_docs(&searcher)?,
            doc_freq: prep.field_df,
        };
        let mut engine = Engine {
            reader,
            fields,
            analyzer,
            words: index::words_analyzer(),
            stems: query::Stems::new(prep.stems),
            synonyms,
            docs: Vec::with_capacity(prep.docs.len()),
            doc_terms: prep.doc_terms,
            phrasings: Vec::with_capacity(prep.phrasing_ends.len()),
            phrasing_terms: prep.phrasing_terms,
            vectors: prep.vectors,
            in_phrasings: Vec::new(),
            stats,
            by_address: segments
                .iter()
                .map(|s| vec![u32::MAX; s.max_doc() as usize])
                .collect(),
            by_id: HashMap::with_capacity(prep.docs.len()),
            vocab: HashMap::with_capacity(prep.terms.len()),
            surfaces: Vec::new(),
            terms: prep.terms,
            term_idf: Vec::new(),
            phrases: HashMap::new(),
            documents: prep.docs.len(),
        };
        engine.load_vocabulary(prep.surfaces);
        engine.load_docs(prep.docs);
        engine.load_phrasings(prep.phrasing_ends);
        engine.load_phrases(&searcher, prep.phrases)?;
        Ok(engine)
    }

    /// Term ids by stem, and the words as written (for typo correction)
    /// grouped by length.
    fn load_vocabulary(&mut self, surfaces: Vec<(String, u32)>) {
        for (id, (stem, _)) in self.terms.iter().enumerate() {
            self.vocab.insert(stem.clone(), id as u32);
        }
        for (word, id) in surfaces {
            if self.surfaces.len() <= word.len() {
                self.surfaces.resize_with(word.len() + 1, Vec::new);
            }
            self.surfaces[word.len()].push(Surface {
                chars: word.chars().collect(),
                letters: letters(word.chars()),
                id,
            });
        }
    }

    /// The documents, addressable by Tantivy address and by id; sources and
    /// citation lists shared between the documents that repeat them.
    fn load_docs(&mut self, docs: Vec<prepared::Doc>) {
        let mut sources: HashMap<String, Arc<str>> = HashMap::new();
        let mut citations: HashMap<Vec<Citation>, Arc<[Citation]>> = HashMap::new();
        let (mut terms_start, mut phrasings_start) = (0, 0);
        for d in docs {
            let ord = self.docs.len() as u32;
            self.by_address[d.segment as usize][d.doc_id as usize] = ord;
            self.by_id.insert(d.id.clone(), ord);
            self.docs.push(DocData {
                address: DocAddress::new(d.segment, d.doc_id),
                id: d.id,
                kind: DocKind::parse(&d.kind),
                title: d.title,
                source: sources
                    .entry(d.source)
                    .or_insert_with_key(|s| s.as_str().into())
                    .clone(),
                citations: citations
                    .entry(d.citations)
                    .or_insert_with_key(|c| c.as_slice().into())
                    .clone(),
                terms: terms_start..d.terms_end,
                phrasings: phrasings_start..d.phrasings_end,
                not_covered: d.not_covered,
                facts: Facts(d.facts),
            });
            (terms_start, phrasings_start) = (d.terms_end, d.phrasings_end);
        }
    }

    /// Each term's idf (it depends on the document count, known only once
    /// the documents are loaded) and each phrasing's total idf.
    fn load_phrasings(&mut self, ends: Vec<u32>) {
        self.term_idf = self.terms.iter().map(|&(_, df)| self.idf(df)).collect();
        self.in_phrasings = vec![false; self.terms.len()];
        for &t in &self.phrasing_terms {
            self.in_phrasings[t as usize] = true;
        }
        let mut start = 0;
        for end in ends {
            let idf = self.phrasing_terms[start as usize..end as usize]
                .iter()
                .map(|&t| self.term_idf[t as usize])
                .sum();
            self.phrasings.push(Phrasing {
                terms: start..end,
                idf,
            });
            start = end;
        }
    }

    /// Tantivy's phrase counts for every multi-word synonym, per field.
    fn load_phrases(&mut self, searcher: &Searcher, phrases: Vec<prepared::Phrase>) -> Result<()> {
        let text_fields = prepared::text_fields(&self.fields);
        let segment_ids: Arc<[_]> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        for ph in phrases {
            let slot = &mut self.phrases.entry(ph.stems.clone()).or_default()[ph.field];
            // No segment holds every term: an empty scorer everywhere, as
            // `PhraseQuery` gives, is the same as no clause at all.
            if ph.postings.iter().all(Option::is_none) {
                continue;
            }
            let postings = PhrasePostings::new(
                searcher,
                text_fields[ph.field],
                &ph.stems,
                segment_ids.clone(),
                ph.postings,
            )?;
            *slot = Some(StoredPhrase(Arc::new(postings)));
        }
        Ok(())
    }

    /// Tantivy's document frequency of `stem` in `field`, if both are ours.
    fn field_doc_freq(&self, field: tantivy::schema::Field, stem: Option<&str>) -> Option<u64> {
        let k = self.stats.fields.iter().position(|&f| f == field)?;
        let id = *self.vocab.get(stem?)?;
        Some(self.stats.doc_freq[id as usize][k])
    }

    fn doc_terms(&self, d: &DocData) -> &[u32] {
        &self.doc_terms[d.terms.start as usize..d.terms.end as usize]
    }

    /// A document's phrasings: each one's terms and their idf summed.
    fn phrasings(&self, d: &DocData) -> impl Iterator<Item = (&[u32], f32)> {
        self.phrasings[d.phrasings.start as usize..d.phrasings.end as usize]
            .iter()
            .map(|p| {
                (
                    &self.phrasing_terms[p.terms.start as usize..p.terms.end as usize],
                    p.idf,
                )
            })
    }

    /// The document at `addr`, if it is one of ours.
    fn ord_of(&self, addr: DocAddress) -> Option<u32> {
        let ord = *self
            .by_address
            .get(addr.segment_ord as usize)?
            .get(addr.doc_id as usize)?;
        (ord != u32::MAX).then_some(ord)
    }

    /// The body of `d`, from the index's document store.
    fn body(&self, searcher: &Searcher, d: &DocData) -> String {
        searcher
            .doc::<TantivyDocument>(d.address)
            .ok()
            .and_then(|doc| {
                doc.get_first(self.fields.body)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default()
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
        let chars: Vec<char> = word.chars().collect();
        let word_letters = letters(word.chars());
        let mut scratch = Vec::new();
        let mut best: Option<(usize, Reverse<u32>, &String)> = None;
        // Known words within `max` bytes of the word's length, of 4 bytes or more.
        let lengths = word.len().saturating_sub(max).max(4)..=word.len() + max;
        for bucket in lengths.filter_map(|n| self.surfaces.get(n)) {
            for w in bucket {
                // Each letter one word has and the other lacks takes an edit.
                let apart = (word_letters & !w.letters).count_ones() as usize;
                if apart > max || (w.letters & !word_letters).count_ones() as usize > max {
                    continue;
                }
                let Some(d) = edit_distance_within(&chars, &w.chars, max, &mut scratch) else {
                    continue;
                };
                let (stem, df) = &self.terms[w.id as usize];
                let candidate = (d, Reverse(*df), stem);
                if *df > 0 && best.as_ref().is_none_or(|b| candidate < *b) {
                    best = Some(candidate);
                }
            }
        }
        best.map(|(_, _, t)| t.clone())
    }

    /// Analyse the question into weighted slots, correcting unknown words
    /// that are not English words ("hosptial", not "blocking").
    fn analyse(&self, question: &str) -> Vec<Slot> {
        let mut analyzer = self.analyzer.clone();
        let mut slots = query::slots(&mut analyzer, &self.synonyms, question);
        slots.retain(|s| !self.is_chatter(s));
        let max_idf = self.idf(0);
        for s in &mut slots {
            let known = |alt: &Vec<String>| alt.iter().all(|t| self.df(t) > 0);
            if !s.alts.iter().any(known)
                && s.alts.len() == 1
                && s.alts[0].len() == 1
                && !Embedder::shipped().is_word(&s.surface)
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

    /// A word of the question that only wraps it: chat filler the knowledge
    /// base does not use in its own questions, aliases or headings, or an
    /// unknown scrap of one or two characters ("n", "r", "b4").
    fn is_chatter(&self, s: &Slot) -> bool {
        let [alt] = s.alts.as_slice() else {
            return false;
        };
        let [stem] = alt.as_slice() else {
            return false;
        };
        match self.vocab.get(stem) {
            Some(&t) => query::is_filler(&s.surface) && !self.in_phrasings[t as usize],
            None => query::is_filler(&s.surface) || s.surface.chars().count() <= 2,
        }
    }

    /// Each known alternative of each slot (every term in the index), with
    /// its weight: a typo correction and a synonym count for less than the
    /// word as typed.
    fn weighted_alternatives<'a>(
        &'a self,
        slots: &'a [Slot],
    ) -> impl Iterator<Item = (&'a [String], f32)> + 'a {
        slots.iter().flat_map(move |s| {
            let typo = if s.corrected.is_some() { 0.6 } else { 1.0 };
            s.alts.iter().enumerate().filter_map(move |(k, alt)| {
                let syn = if k == 0 { 1.0 } else { 0.7 };
                (!alt.iter().any(|t| self.df(t) == 0)).then_some((alt.as_slice(), syn * typo))
            })
        })
    }

    /// The index field of `name` ([`prepared::text_fields`] is in `FieldName` order).
    fn field(&self, name: FieldName) -> tantivy::schema::Field {
        self.stats.fields[name as usize]
    }

    /// The question as SHOULD clauses: each alternative of each slot in each
    /// field, boosted. The flag tells whether a phrase had to be queried
    /// with a `PhraseQuery` (synonyms other than those the index was built with).
    fn clauses(&self, slots: &[Slot]) -> (Vec<topk::Clause>, bool) {
        let mut clauses = Vec::new();
        let mut phrase_query = false;
        for (alt, weight) in self.weighted_alternatives(slots) {
            let stored = self.phrases.get(alt);
            for (name, boost) in FIELD_BOOSTS {
                let fld = self.field(name);
                let terms: Vec<Term> = alt.iter().map(|t| Term::from_field_text(fld, t)).collect();
                // A clause that matches in no segment gives Tantivy an
                // empty scorer, which it drops before combining the
                // others: leaving it out changes nothing but the work.
                let (q, phrase): (Box<dyn Query>, _) = if alt.len() == 1 {
                    if self.field_doc_freq(fld, Some(&alt[0])) == Some(0) {
                        continue;
                    }
                    let q = TermQuery::new(terms[0].clone(), IndexRecordOption::WithFreqs);
                    (Box::new(q), None)
                } else if let Some(stored) = stored {
                    match &stored[name as usize] {
                        Some(p) => (Box::new(p.clone()), Some(p.clone())),
                        None => continue,
                    }
                } else {
                    phrase_query = true;
                    (Box::new(PhraseQuery::new(terms.clone())), None)
                };
                let boost = boost * weight;
                clauses.push(topk::Clause {
                    query: Box::new(BoostQuery::new(q, boost)),
                    terms,
                    boost,
                    phrase,
                });
            }
        }
        (clauses, phrase_query)
    }

    /// The BM25 candidates of the question, best first: what Tantivy's
    /// `TopDocs` gives for a `BooleanQuery` of [`Engine::clauses`].
    fn candidates(&self, searcher: &Searcher, slots: &[Slot]) -> Vec<(f32, DocAddress)> {
        let (clauses, phrase_query) = self.clauses(slots);
        let stats = StatsFor {
            engine: self,
            searcher,
        };
        if phrase_query {
            let query = BooleanQuery::new(
                clauses
                    .into_iter()
                    .map(|c| (Occur::Should, c.query))
                    .collect(),
            );
            let top = TopDocs::with_limit(CANDIDATES).order_by_score();
            searcher.search_with_statistics_provider(&query, &top, &stats)
        } else {
            topk::search(searcher, &stats, &clauses, CANDIDATES)
        }
        .unwrap_or_default()
    }

    /// Answers one question. Never fails on odd input: junk abstains.
    pub fn ask(&self, question: &str) -> Response {
        self.respond(
            question,
            &Hints::default(),
            SCORING.min_confidence,
            Explain::No,
        )
    }

    /// `ask`, with what the caller knows of the question besides its words.
    pub fn ask_hinted(&self, question: &str, hints: &Hints) -> Response {
        self.respond(question, hints, SCORING.min_confidence, Explain::No)
    }

    /// `ask` without the semantic stage: no embedding, and the weights
    /// careerbot ranked and abstained with before it ([`LEXICAL`]). Only
    /// for comparison (`cargo bench --bench engine` prints both).
    pub fn ask_lexical(&self, question: &str) -> Response {
        let hints = Hints::default();
        self.respond_with(
            question,
            &hints,
            &LEXICAL,
            LEXICAL.min_confidence,
            Explain::No,
        )
    }

    /// `ask` with the scoring explained (`--explain`).
    pub fn ask_explained(&self, question: &str, hints: &Hints) -> Response {
        self.respond(question, hints, SCORING.min_confidence, Explain::Yes)
    }

    /// `ask` at another confidence threshold (calibration).
    pub fn ask_with_threshold(
        &self,
        question: &str,
        hints: &Hints,
        min_confidence: f32,
    ) -> Response {
        self.respond(question, hints, min_confidence, Explain::No)
    }

    fn respond(
        &self,
        question: &str,
        hints: &Hints,
        min_confidence: f32,
        explain: Explain,
    ) -> Response {
        self.respond_with(question, hints, &SCORING, min_confidence, explain)
    }

    /// A message that abstains as a whole is asked again by its parts that
    /// may ask the question alone ([`query::parts`]): the question after a
    /// sentence or two about the member, a headline's question before its
    /// tagline or its title before a subtitle. The first part answered
    /// answers; at most [`MAX_PARTS`] are tried, so a long message costs at
    /// most that many more lookups.
    fn respond_with(
        &self,
        question: &str,
        hints: &Hints,
        scoring: &'static Scoring,
        min_confidence: f32,
        explain: Explain,
    ) -> Response {
        let whole = self.respond_to(question, hints, scoring, min_confidence, explain);
        if !whole.abstained || whole.gap.is_some() {
            return whole;
        }
        query::parts(question)
            .into_iter()
            .take(MAX_PARTS)
            .map(|part| self.respond_to(part, hints, scoring, min_confidence, explain))
            .find(|part| !part.abstained)
            .map_or(whole, |part| Response {
                question: question.to_string(),
                ..part
            })
    }

    fn respond_to(
        &self,
        question: &str,
        hints: &Hints,
        scoring: &'static Scoring,
        min_confidence: f32,
        explain: Explain,
    ) -> Response {
        let mut resp = Response {
            question: question.to_string(),
            abstained: true,
            answer: None,
            gap: None,
            related: Vec::new(),
            explain: None,
        };
        let Some(q) = self.question(question, scoring) else {
            return resp;
        };
        let searcher = self.reader.searcher();
        let hits = self.candidates(&searcher, &q.slots);
        let mut ranked = self.rank(&q, &hits);
        let hinted = self.apply(hints, &q, &mut ranked);
        if explain == Explain::Yes {
            let mut x = self.explain(&q, &ranked);
            x.hinted = hinted.map(str::to_string);
            resp.explain = Some(x);
        }
        let Some(mut top) = ranked.first() else {
            return resp;
        };
        let mut verdict = self.decide(&q, top, min_confidence);
        if let Verdict::Missing(_) = verdict
            && let Some(next) = self.holding_the_fact(&q, &ranked, min_confidence)
        {
            top = next;
            verdict = Verdict::Answer;
        }
        // The answer, or the not-covered entry already quoted, is not
        // offered again as related.
        let quoted = matches!(verdict, Verdict::Answer | Verdict::NotCovered).then_some(top.ord);
        resp.related = ranked
            .iter()
            .filter(|c| Some(c.ord) != quoted && c.confidence >= q.scoring.related_min)
            .take(3)
            .map(|c| self.related(c.ord))
            .collect();
        match verdict {
            Verdict::Answer => {
                resp.abstained = false;
                resp.answer = Some(self.answer(&searcher, &q, top));
            }
            Verdict::Missing(want) => resp.gap = Some(Gap::missing(want)),
            Verdict::NotCovered => {
                let answer = self.answer(&searcher, &q, top);
                resp.gap = Some(Gap::not_covered(answer));
            }
            Verdict::Abstain => {}
        }
        resp
    }

    /// Every candidate for `question`, ranked, each with its features and
    /// the answer it would give: what `careerbot eval --features` writes
    /// for fitting the weights ([`Scoring`]).
    pub fn ranked(&self, question: &str, hints: &Hints) -> Vec<Ranked> {
        let Some(q) = self.question(question, &SCORING) else {
            return Vec::new();
        };
        let searcher = self.reader.searcher();
        let hits = self.candidates(&searcher, &q.slots);
        let mut ranked = self.rank(&q, &hits);
        self.apply(hints, &q, &mut ranked);
        ranked
            .iter()
            .map(|c| Ranked {
                score: c.score,
                confidence: c.confidence,
                features: c.features,
                not_covered: self.docs[c.ord as usize].not_covered,
                answer: self.answer(&searcher, &q, c),
            })
            .collect()
    }

    /// The question analysed: its weighted slots, their terms, what kind of
    /// fact it asks for and its embedding; `None` when nothing in it can
    /// be looked up.
    fn question(&self, question: &str, scoring: &'static Scoring) -> Option<Question> {
        let slots = self.analyse(question);
        let total: f32 = slots.iter().map(|s| s.weight).sum();
        if slots.is_empty() || total <= 0.0 {
            return None;
        }
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
        // The question's distinct terms, and each slot's alternatives as
        // indexes into them: which slots a set of terms covers then follows
        // from which of these few terms the set holds.
        let mut terms: Vec<u32> = slot_terms.iter().flatten().flatten().copied().collect();
        terms.sort_unstable();
        terms.dedup();
        let slot_alts = slot_terms
            .iter()
            .map(|alts| {
                alts.iter()
                    .map(|a| a.iter().map(|t| terms.partition_point(|q| q < t)).collect())
                    .collect()
            })
            .collect();
        let cut = query::clip(question);
        let unknown = slots
            .iter()
            .zip(&slot_terms)
            .filter(|(_, alts)| alts.is_empty())
            .map(|(s, _)| s.weight)
            .sum::<f32>()
            / total;
        Some(Question {
            heaviest: slots.iter().map(|s| s.weight).fold(0.0, f32::max),
            unknown,
            length: (query::word_count(cut).min(LENGTH_FITTED_WORDS) as f32).ln_1p(),
            want: intent::want(cut),
            embedding: scoring.embed.then(|| Embedder::shipped().embed(cut)),
            scoring,
            slots,
            slot_terms,
            terms,
            slot_alts,
            total,
        })
    }

    /// The candidates re-ranked, best first, each with its features, rank
    /// score and confidence.
    fn rank(&self, q: &Question, hits: &[(f32, DocAddress)]) -> Vec<Candidate> {
        let top_bm25 = hits.first().map_or(1.0, |h| h.0.max(f32::EPSILON));
        let mut held = Vec::with_capacity(q.terms.len());
        let mut ranked: Vec<Candidate> = hits
            .iter()
            .filter_map(|&(bm25, addr)| {
                let ord = self.ord_of(addr)?;
                let d = &self.docs[ord as usize];
                q.holds(self.doc_terms(d), &mut held);
                let coverage = q.recall(&held);
                let worst_miss = q.worst_miss(&held);
                let phrasing = self
                    .phrasings(d)
                    .map(|(p, all)| q.phrasing_match(p, all, &self.term_idf, &mut held))
                    .fold(0.0, f32::max);
                let semantic = q.embedding.as_ref().map_or(0.0, |e| self.semantic(d, e));
                let facts_ok = q.want.is_none_or(|w| w.answered_by(d.facts));
                let f = Features {
                    coverage,
                    phrasing,
                    bm25: bm25 / top_bm25,
                    semantic,
                    semantic_margin: 0.0,
                    worst_miss,
                    unknown: q.unknown,
                    length: q.length,
                    entry: d.kind == DocKind::Entry,
                    facts_ok,
                };
                Some(Candidate {
                    ord,
                    score: 0.0,
                    confidence: 0.0,
                    features: f,
                })
            })
            .collect();
        set_semantic_margins(&mut ranked);
        for c in &mut ranked {
            c.score = q.scoring.rank(&c.features);
            c.confidence = q.scoring.confidence(&c.features);
        }
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.ord.cmp(&b.ord)));
        ranked
    }

    /// Puts the entry `hints` name for a pay question first, as sure as
    /// the candidate it displaces: the salary records recognised the role
    /// the question names, which words alone rank less surely ("senior
    /// HIT managers" is not the senior technician's pay).
    /// The entry it put first, if it did.
    fn apply<'h>(
        &self,
        hints: &Hints<'h>,
        q: &Question,
        ranked: &mut [Candidate],
    ) -> Option<&'h str> {
        let entry = hints.pay_entry?;
        if q.want != Some(Want::Pay) {
            return None;
        }
        let at = ranked
            .iter()
            .position(|c| self.docs[c.ord as usize].id == entry)?;
        let top = ranked[0].confidence;
        ranked[..=at].rotate_right(1);
        ranked[0].confidence = ranked[0].confidence.max(top);
        Some(entry)
    }

    /// How close in meaning the question is to the closest way `d` states
    /// its question: the highest cosine over its phrasings.
    fn semantic(&self, d: &DocData, embedding: &[f32]) -> f32 {
        self.vectors.max_dot(
            d.phrasings.start as usize..d.phrasings.end as usize,
            embedding,
        )
    }

    /// Answer, say what the guides don't give, or abstain.
    fn decide(&self, q: &Question, top: &Candidate, min_confidence: f32) -> Verdict {
        let d = &self.docs[top.ord as usize];
        if top.confidence < min_confidence || !q.scoring.close_enough(&top.features) {
            return Verdict::Abstain;
        }
        if d.not_covered {
            return Verdict::NotCovered;
        }
        let stated = top.features.phrasing >= q.scoring.stated_phrasing;
        match q.want {
            Some(want) if !top.features.facts_ok && !stated => Verdict::Missing(want),
            _ => Verdict::Answer,
        }
    }

    /// When the top candidate lacks the kind of fact asked for, a close
    /// runner-up that holds one and would answer on its own.
    fn holding_the_fact<'c>(
        &self,
        q: &Question,
        ranked: &'c [Candidate],
        min_confidence: f32,
    ) -> Option<&'c Candidate> {
        let top = ranked.first()?;
        ranked.iter().skip(1).take(FACT_RUNNERS_UP).find(|c| {
            c.features.facts_ok
                && c.score >= top.score - FACT_RUNNER_UP_MARGIN
                && matches!(self.decide(q, c, min_confidence), Verdict::Answer)
        })
    }

    fn related(&self, ord: u32) -> Related {
        let d = &self.docs[ord as usize];
        Related {
            id: d.id.clone(),
            title: d.title.clone(),
        }
    }

    /// The answer shown for `c`: its best sentences for the question.
    fn answer(&self, searcher: &Searcher, q: &Question, c: &Candidate) -> Answer {
        let d = &self.docs[c.ord as usize];
        // Each stem of the question with its slot's weight.
        let stems: Vec<(&str, f32)> = q
            .slots
            .iter()
            .zip(&q.slot_terms)
            .flat_map(|(s, alts)| {
                alts.iter()
                    .flatten()
                    .map(move |&t| (self.terms[t as usize].0.as_str(), s.weight))
            })
            .collect();
        let snippet = snippet::best(
            &mut self.words.clone(),
            &self.stems,
            &self.body(searcher, d),
            d.kind == DocKind::Entry,
            q.want,
            &stems,
            q.embedding.as_deref(),
        );
        Answer {
            id: d.id.clone(),
            title: d.title.clone(),
            snippet,
            citations: d.citations.to_vec(),
            source: d.source.to_string(),
            score: (c.confidence * 1000.0).round() / 1000.0,
            kind: d.kind,
        }
    }

    /// Why the top candidates scored as they did.
    fn explain(&self, q: &Question, ranked: &[Candidate]) -> ExplainReport {
        let mut held = Vec::new();
        let candidates = ranked
            .iter()
            .take(EXPLAINED)
            .map(|c| {
                let d = &self.docs[c.ord as usize];
                q.holds(self.doc_terms(d), &mut held);
                let (mut matched, mut missed) = (vec![], vec![]);
                for (s, alts) in q.slots.iter().zip(&q.slot_alts) {
                    let label = match &s.corrected {
                        Some(fix) => format!("{}→{fix}", s.surface),
                        None => s.surface.clone(),
                    };
                    if Question::covers(&held, alts) {
                        matched.push(label);
                    } else {
                        missed.push(label);
                    }
                }
                Explanation {
                    id: d.id.clone(),
                    score: c.score,
                    confidence: c.confidence,
                    features: c.features,
                    matched,
                    missed,
                }
            })
            .collect();
        ExplainReport {
            slots: q
                .slots
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
            want: q.want,
            hinted: None,
            scoring: *q.scoring,
            candidates,
        }
    }

    /// A document by id, with its full body: `/faq` and the related buttons.
    pub fn document(&self, id: &str) -> Option<FullDoc> {
        let d = &self.docs[*self.by_id.get(id)? as usize];
        Some(FullDoc {
            id: d.id.clone(),
            title: d.title.clone(),
            body: self.body(&self.reader.searcher(), d),
            citations: d.citations.to_vec(),
        })
    }

    /// Entry questions matching `partial`, for `/faq` autocomplete.
    pub fn titles_matching(&self, partial: &str, limit: usize) -> Vec<Related> {
        let p = partial.to_lowercase();
        let mut hits: Vec<(usize, &DocData)> = self
            .docs
            .iter()
            .filter(|d| d.kind == DocKind::Entry)
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
    pub citations: Vec<Citation>,
}

/// What a caller knows of a question besides its words.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    /// The entry answering the pay of the one role the question names
    /// (from the salary records): it answers when the question asks for pay.
    pub pay_entry: Option<&'a str>,
}

/// Whether a response carries `--explain`'s report.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Explain {
    Yes,
    No,
}

/// The confidence's length feature counts at most this many words: 99% of
/// the questions it was fitted on have 20 or fewer (the longest 32), and a
/// linear term must not be trusted far past its data.
const LENGTH_FITTED_WORDS: usize = 24;

/// A question as the engine analysed it.
struct Question {
    slots: Vec<Slot>,
    /// Term ids of each slot's alternatives (unknown terms have none).
    slot_terms: Vec<Vec<Vec<u32>>>,
    /// The question's distinct term ids, sorted.
    terms: Vec<u32>,
    /// Each slot's alternatives as indexes into `terms`.
    slot_alts: Vec<Vec<Vec<usize>>>,
    /// The slots' weights summed.
    total: f32,
    /// The heaviest slot's weight.
    heaviest: f32,
    /// The share of `total` in slots with no word the knowledge base knows.
    unknown: f32,
    /// ln(1 + its words), see [`Features::length`].
    length: f32,
    /// The kind of fact it asks for, if a specific one.
    want: Option<Want>,
    /// Its embedding (see [`crate::embed`]), unless `scoring` does without.
    embedding: Option<Vec<f32>>,
    scoring: &'static Scoring,
}

impl Question {
    /// Which of the question's terms the sorted `set` holds, into `held`.
    fn holds(&self, set: &[u32], held: &mut Vec<bool>) {
        held.clear();
        held.extend(self.terms.iter().map(|t| set.binary_search(t).is_ok()));
    }

    /// Whether the terms `held` cover one of a slot's alternatives.
    fn covers(held: &[bool], alts: &[Vec<usize>]) -> bool {
        alts.iter().any(|a| a.iter().all(|&i| held[i]))
    }

    /// The weight of the slots the terms `held` cover, over the question's.
    fn recall(&self, held: &[bool]) -> f32 {
        self.slots
            .iter()
            .zip(&self.slot_alts)
            .filter(|(_, alts)| Self::covers(held, alts))
            .map(|(s, _)| s.weight)
            .sum::<f32>()
            / self.total
    }

    /// The weight of the heaviest slot the terms `held` do not cover,
    /// over the heaviest slot's: 1 when the document misses the question's
    /// most specific word.
    fn worst_miss(&self, held: &[bool]) -> f32 {
        self.slots
            .iter()
            .zip(&self.slot_alts)
            .filter(|(_, alts)| !Self::covers(held, alts))
            .map(|(s, _)| s.weight)
            .fold(0.0, f32::max)
            / self.heaviest
    }

    /// How well one phrasing (its sorted terms, their idf summed) states
    /// the question: the F1 of the recall of the question's weight and the
    /// precision of the phrasing's idf.
    fn phrasing_match(&self, p: &[u32], all: f32, idf: &[f32], held: &mut Vec<bool>) -> f32 {
        held.clear();
        held.resize(self.terms.len(), false);
        let mut hit = 0.0;
        for t in p {
            if let Ok(i) = self.terms.binary_search(t) {
                held[i] = true;
                hit += idf[*t as usize];
            }
        }
        if !held.contains(&true) {
            return 0.0;
        }
        let recall = self.recall(held);
        let precision = if all > 0.0 { hit / all } else { 0.0 };
        if recall + precision > 0.0 {
            2.0 * recall * precision / (recall + precision)
        } else {
            0.0
        }
    }
}

/// A word of the knowledge base as written, for typo correction.
struct Surface {
    chars: Box<[char]>,
    /// See [`letters`].
    letters: u64,
    /// Its term.
    id: u32,
}

/// How far each candidate's meaning stands above the best of the others.
fn set_semantic_margins(ranked: &mut [Candidate]) {
    let (mut first, mut second) = (f32::MIN, f32::MIN);
    for c in ranked.iter() {
        let s = c.features.semantic;
        if s > first {
            (first, second) = (s, first);
        } else if s > second {
            second = s;
        }
    }
    for c in ranked {
        let s = c.features.semantic;
        let other = if s >= first { second } else { first };
        c.features.semantic_margin = if other == f32::MIN { s } else { s - other };
    }
}

/// The set of a word's characters, folded onto 64 bits: a character of one
/// word whose bit the other lacks is missing from it, and costs an edit.
fn letters(word: impl Iterator<Item = char>) -> u64 {
    word.fold(0, |set, c| set | 1 << (c as u32 % 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Engine {
        /// The candidates as Tantivy itself finds them for the question:
        /// a `BooleanQuery` of term and phrase queries (no stored phrases,
        /// no clauses left out), with the searcher's own statistics.
        fn reference_candidates(
            &self,
            searcher: &Searcher,
            slots: &[Slot],
        ) -> Vec<(f32, DocAddress)> {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (alt, weight) in self.weighted_alternatives(slots) {
                for (name, boost) in FIELD_BOOSTS {
                    let fld = self.field(name);
                    let terms: Vec<Term> =
                        alt.iter().map(|t| Term::from_field_text(fld, t)).collect();
                    let q: Box<dyn Query> = if alt.len() == 1 {
                        Box::new(TermQuery::new(
                            terms[0].clone(),
                            IndexRecordOption::WithFreqs,
                        ))
                    } else {
                        Box::new(PhraseQuery::new(terms))
                    };
                    clauses.push((Occur::Should, Box::new(BoostQuery::new(q, boost * weight))));
                }
            }
            searcher
                .search(
                    &BooleanQuery::new(clauses),
                    &TopDocs::with_limit(CANDIDATES).order_by_score(),
                )
                .unwrap()
        }
    }

    #[test]
    fn candidates_are_exactly_what_tantivys_boolean_query_finds() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let index = tempfile::tempdir().unwrap();
        let k = crate::knowledge::Knowledge::load(&root.join("faq"), index.path()).unwrap();
        let e = &k.engine;
        let mut questions: Vec<String> = std::fs::read_dir(root.join("tests/eval"))
            .unwrap()
            .map(|f| f.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .flat_map(|p| crate::eval::read_jsonl(&p).unwrap())
            .map(|q| q.q)
            .collect();
        // Questions written for the embedding model's training: every tenth.
        let written = include_str!("../../tools/distill/questions.txt");
        questions.extend(written.lines().step_by(10).map(String::from));
        questions.extend(
            [
                "health information technology salary",
                "electronic health record vs emr",
                "certifcate of helth informatoin",
                "",
            ]
            .map(String::from),
        );
        let searcher = e.reader.searcher();
        let mut with_phrases = 0;
        for q in &questions {
            let slots = e.analyse(q);
            if e.clauses(&slots).0.iter().any(|c| c.phrase.is_some()) {
                with_phrases += 1;
            }
            assert_eq!(
                e.candidates(&searcher, &slots),
                e.reference_candidates(&searcher, &slots),
                "question {q:?}"
            );
        }
        // The stored phrases and their own top-k were exercised.
        assert!(
            with_phrases > 50,
            "{with_phrases} of {} questions",
            questions.len()
        );
    }
}
