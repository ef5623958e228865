//! What the engine computes once, when an index generation is built, and
//! keeps beside it (`engine.bin`), so that opening a generation reads it back
//! instead of reading and tokenising every stored document again:
//!
//! - per document: what answers show (id, title, citations...), its terms
//!   (coverage) and its phrasings (question, aliases, headings) as term ids;
//! - the vocabulary with document frequencies, and the words as written
//!   (typo correction);
//! - for every multi-word synonym and text field, per segment, the documents
//!   holding the phrase and how often: Tantivy's own phrase count over its
//!   indexed positions, so [`super::phrase::StoredPhrase`] scores exactly as a
//!   `PhraseQuery` without intersecting position lists for every question.
//!
//! The format is private to this module and goes with the index's
//! [`crate::index::SCHEMA_VERSION`]; a file that does not match its index
//! fails to open, and the index is rebuilt.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use tantivy::postings::Postings;
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocId, DocSet, Index, IndexReader, ReloadPolicy, Searcher, TERMINATED, TantivyDocument, Term,
};

use super::NOT_COVERED_TAG;
use super::intent;
use super::query::{self, Stems, Synonyms};
use crate::embed::Embedder;
use crate::index::{Citation, Fields};

pub const FILE: &str = "engine.bin";
const MAGIC: &[u8; 8] = b"cbengin2";
/// The version of this file's format and of what [`prepare`] computes.
pub const FORMAT: u32 = 5;

pub struct Prepared {
    /// Segment ids and sizes, in the searcher's order.
    pub segments: Vec<(String, u32)>,
    /// Stems by term id, with how many documents hold them (any field).
    pub terms: Vec<(String, u32)>,
    /// Per term id, Tantivy's document frequency in each of [`text_fields`].
    pub field_df: Vec<[u64; 5]>,
    /// Words as written in the knowledge base, with their term id.
    pub surfaces: Vec<(String, u32)>,
    /// Every word of the knowledge base, lowercased and folded, with its stem.
    pub stems: Vec<(String, String)>,
    /// In the searcher's order (segment, then doc id).
    pub docs: Vec<Doc>,
    /// The documents' terms, one after the other (see [`Doc::terms_end`]).
    pub doc_terms: Vec<u32>,
    /// Where each phrasing ends in `phrasing_terms` (see [`Doc::phrasings_end`]).
    pub phrasing_ends: Vec<u32>,
    pub phrasing_terms: Vec<u32>,
    /// Each phrasing's embedding, in `phrasing_ends` order.
    pub vectors: Vectors,
    pub phrases: Vec<Phrase>,
}

/// Unit vectors stored as int8, each with its own scale: a quarter of the
/// memory of `f32`, and cosines within about 0.01 of the exact ones.
pub struct Vectors {
    pub dims: usize,
    pub values: Vec<i8>,
    pub scales: Vec<f32>,
}

impl Vectors {
    pub fn new(dims: usize) -> Vectors {
        Vectors {
            dims,
            values: Vec::new(),
            scales: Vec::new(),
        }
    }

    pub fn push(&mut self, v: Vec<f32>) {
        debug_assert_eq!(v.len(), self.dims);
        let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        self.values.extend(
            v.iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
        );
        self.scales.push(scale);
    }

    /// The dot product of vector `k` with `q`: their cosine, both being unit vectors.
    pub fn dot(&self, k: usize, q: &[f32]) -> f32 {
        let row = &self.values[k * self.dims..][..self.dims];
        let sum: f32 = row.iter().zip(q).map(|(&a, &b)| f32::from(a) * b).sum();
        sum * self.scales[k]
    }
}

pub struct Doc {
    pub segment: u32,
    pub doc_id: DocId,
    pub id: String,
    pub kind: String,
    pub title: String,
    pub source: String,
    pub citations: Vec<Citation>,
    pub not_covered: bool,
    /// The kinds of facts its body holds ([`intent::Facts`]).
    pub facts: u8,
    /// Its terms (every term anywhere in it, sorted) end here in
    /// `doc_terms`, and start where the previous document's end.
    pub terms_end: u32,
    /// Its phrasings (question, aliases, headings: each sorted, none empty)
    /// end here in `phrasing_ends`, and start where the previous document's end.
    pub phrasings_end: u32,
}

/// (doc, phrase count) for the documents of one segment holding a phrase,
/// or `None` when a term of it is not in the segment at all.
pub type SegmentHits = Option<Vec<(DocId, u32)>>;

pub struct Phrase {
    /// The field, as its position in [`text_fields`].
    pub field: usize,
    pub stems: Vec<String>,
    /// Per segment: (doc, phrase count) for the documents holding the phrase,
    /// or `None` when a term of it is not in the segment at all.
    pub postings: Vec<SegmentHits>,
}

/// The searchable text fields, in the order of `super::FieldName`.
pub fn text_fields(f: &Fields) -> [Field; 5] {
    [f.question, f.aliases, f.headings, f.body, f.tags]
}

/// Computes everything from the committed index (its stored documents and
/// postings), exactly as the engine used to when opening it.
pub fn prepare(index: &Index, fields: Fields, synonyms: &[Vec<String>]) -> Result<Prepared> {
    let reader: IndexReader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .context("cannot open an index reader")?;
    let searcher = reader.searcher();
    let mut vocab = Vocab {
        words: crate::index::words_analyzer(),
        stems: Stems::default(),
        ids: HashMap::new(),
        terms: Vec::new(),
        surfaces: HashMap::new(),
    };
    let f = fields;
    let mut docs = Vec::new();
    let (mut doc_terms, mut phrasing_ends, mut phrasing_terms) =
        (Vec::new(), Vec::new(), Vec::new());
    let embedder = Embedder::shipped();
    let mut vectors = Vectors::new(embedder.dims());
    for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
        let store = seg.get_store_reader(64)?;
        for doc_id in 0..seg.max_doc() {
            if seg.is_deleted(doc_id) {
                continue;
            }
            let doc: TantivyDocument = store.get(doc_id)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
            let all = |field| doc.get_all(field).filter_map(|v| v.as_str());
            let mut texts = vec![text(f.question)];
            texts.extend(all(f.aliases));
            texts.extend(text(f.headings).split(" \n ").filter(|h| !h.is_empty()));
            let mut phrasings: Vec<(&str, Vec<u32>)> =
                texts.into_iter().map(|t| (t, vocab.term_ids(t))).collect();
            phrasings.retain(|(_, ids)| !ids.is_empty());
            let mut terms: Vec<u32> = phrasings.iter().flat_map(|(_, ids)| ids).copied().collect();
            terms.extend(vocab.term_ids(text(f.body)));
            terms.extend(all(f.tags).flat_map(|t| vocab.term_ids(t)));
            terms.sort_unstable();
            terms.dedup();
            for &t in &terms {
                vocab.terms[t as usize].1 += 1;
            }
            doc_terms.extend(terms);
            for (text, ids) in phrasings {
                phrasing_terms.extend(ids);
                phrasing_ends.push(len32(&phrasing_terms));
                vectors.push(embedder.embed(text));
            }
            docs.push(Doc {
                segment: seg_ord as u32,
                doc_id,
                id: text(f.id).to_string(),
                kind: text(f.kind).to_string(),
                title: text(f.title).to_string(),
                source: text(f.source).to_string(),
                citations: all(f.citations)
                    .map(serde_json::from_str)
                    .collect::<Result<_, _>>()
                    .context("a stored citation is unreadable")?,
                not_covered: all(f.tags).any(|t| t == NOT_COVERED_TAG),
                facts: intent::facts(text(f.body)).0,
                terms_end: len32(&doc_terms),
                phrasings_end: len32(&phrasing_ends),
            });
        }
    }

    let mut analyzer = crate::index::analyzer();
    let synonyms = Synonyms::new(&mut analyzer, synonyms);
    let text_fields = text_fields(&fields);
    let mut phrases = Vec::new();
    for stems in synonyms.phrases() {
        for (k, &field) in text_fields.iter().enumerate() {
            phrases.push(Phrase {
                field: k,
                stems: stems.to_vec(),
                postings: phrase_postings(&searcher, field, stems)?,
            });
        }
    }
    let field_df = vocab
        .terms
        .iter()
        .map(|(stem, _)| {
            let mut df = [0; 5];
            for (n, &field) in df.iter_mut().zip(&text_fields) {
                *n = searcher.doc_freq(&Term::from_field_text(field, stem))?;
            }
            Ok(df)
        })
        .collect::<tantivy::Result<_>>()?;
    let mut surfaces: Vec<(String, u32)> = vocab.surfaces.into_iter().collect();
    surfaces.sort_unstable();
    Ok(Prepared {
        segments: searcher
            .segment_readers()
            .iter()
            .map(|s| (s.segment_id().uuid_string(), s.max_doc()))
            .collect(),
        terms: vocab.terms,
        field_df,
        surfaces,
        stems: vocab.stems.into_pairs(),
        docs,
        doc_terms,
        phrasing_ends,
        phrasing_terms,
        vectors,
        phrases,
    })
}

fn len32<T>(v: &[T]) -> u32 {
    u32::try_from(v.len()).expect("engine data fits 32-bit offsets")
}

struct Vocab {
    words: TextAnalyzer,
    stems: Stems,
    ids: HashMap<String, u32>,
    terms: Vec<(String, u32)>,
    surfaces: HashMap<String, u32>,
}

impl Vocab {
    /// Sorted, deduplicated ids of the content terms of `text`, growing the vocabulary.
    fn term_ids(&mut self, text: &str) -> Vec<u32> {
        let Vocab {
            words,
            stems,
            ids: vocab,
            terms,
            surfaces,
        } = self;
        let mut ids = Vec::new();
        query::for_each_token(words, stems, text, |surface, stem| {
            if query::is_stopword(surface) {
                return;
            }
            let id = match vocab.get(stem) {
                Some(&id) => id,
                None => {
                    let id = terms.len() as u32;
                    vocab.insert(stem.to_string(), id);
                    terms.push((stem.to_string(), 0));
                    id
                }
            };
            if !surfaces.contains_key(surface) {
                surfaces.insert(surface.to_string(), id);
            }
            ids.push(id);
        });
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Per segment, the documents where `stems` occur at consecutive positions
/// of `field`, with the number of start positions: what Tantivy's
/// `PhraseScorer` counts (slop 0); `None` where a term is missing from the
/// segment (Tantivy's `PhraseWeight` then gives an empty scorer).
fn phrase_postings(
    searcher: &Searcher,
    field: Field,
    stems: &[String],
) -> Result<Vec<SegmentHits>> {
    let terms: Vec<Term> = stems
        .iter()
        .map(|s| Term::from_field_text(field, s))
        .collect();
    let mut out = Vec::new();
    'segments: for seg in searcher.segment_readers() {
        let inverted = seg.inverted_index(field)?;
        let mut postings = Vec::with_capacity(terms.len());
        for t in &terms {
            match inverted.read_postings(t, IndexRecordOption::WithFreqsAndPositions)? {
                Some(p) => postings.push(p),
                None => {
                    out.push(None);
                    continue 'segments;
                }
            }
        }
        let mut hits = Vec::new();
        let mut positions = vec![Vec::new(); postings.len()];
        let mut doc = postings[0].doc();
        while doc != TERMINATED {
            for p in &mut postings {
                if p.doc() < doc {
                    p.seek(doc);
                }
            }
            let furthest = postings.iter().map(DocSet::doc).max().unwrap_or(TERMINATED);
            if furthest != doc {
                doc = furthest;
                continue;
            }
            for (p, buf) in postings.iter_mut().zip(&mut positions) {
                p.positions(buf);
            }
            let count = positions[0]
                .iter()
                .filter(|&&start| {
                    positions[1..]
                        .iter()
                        .zip(1u32..)
                        .all(|(at, i)| at.binary_search(&(start + i)).is_ok())
                })
                .count();
            if count > 0 {
                hits.push((doc, count as u32));
            }
            doc = postings[0].advance();
        }
        out.push(Some(hits));
    }
    Ok(out)
}

/// Writes `p` into the generation folder `dir`.
pub fn write(p: &Prepared, dir: &Path) -> Result<()> {
    let mut o = Out(Vec::with_capacity(1 << 20));
    o.0.extend_from_slice(MAGIC);
    o.len(p.segments.len());
    for (id, max_doc) in &p.segments {
        o.str(id);
        o.u32(*max_doc);
    }
    o.len(p.terms.len());
    for ((stem, df), field_df) in p.terms.iter().zip(&p.field_df) {
        o.str(stem);
        o.u32(*df);
        for &n in field_df {
            o.u64(n);
        }
    }
    o.len(p.surfaces.len());
    for (word, id) in &p.surfaces {
        o.str(word);
        o.u32(*id);
    }
    o.len(p.stems.len());
    for (word, stem) in &p.stems {
        o.str(word);
        o.str(stem);
    }
    o.len(p.docs.len());
    for d in &p.docs {
        o.u32(d.segment);
        o.u32(d.doc_id);
        for s in [&d.id, &d.kind, &d.title, &d.source] {
            o.str(s);
        }
        o.len(d.citations.len());
        for c in &d.citations {
            for s in [&c.source, &c.guide, &c.title, &c.date, &c.section] {
                o.str(s);
            }
        }
        o.u32(u32::from(d.not_covered));
        o.u32(u32::from(d.facts));
        o.u32(d.terms_end);
        o.u32(d.phrasings_end);
    }
    o.u32s(&p.doc_terms);
    o.u32s(&p.phrasing_ends);
    o.u32s(&p.phrasing_terms);
    o.len(p.vectors.dims);
    o.len(p.vectors.scales.len());
    o.0.extend(p.vectors.values.iter().map(|&v| v as u8));
    for &s in &p.vectors.scales {
        o.0.extend_from_slice(&s.to_le_bytes());
    }
    o.len(p.phrases.len());
    for ph in &p.phrases {
        o.len(ph.field);
        o.len(ph.stems.len());
        for s in &ph.stems {
            o.str(s);
        }
        o.len(ph.postings.len());
        for seg in &ph.postings {
            match seg {
                None => o.u32(0),
                Some(hits) => {
                    o.u32(1);
                    o.len(hits.len());
                    for &(doc, count) in hits {
                        o.u32(doc);
                        o.u32(count);
                    }
                }
            }
        }
    }
    let path = dir.join(FILE);
    std::fs::write(&path, &o.0).with_context(|| format!("cannot write `{}`", path.display()))
}

/// Reads what [`write`] wrote, checking that it is whole and consistent.
pub fn read(dir: &Path) -> Result<Prepared> {
    let path = dir.join(FILE);
    let bytes =
        std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    parse(&bytes).with_context(|| format!("`{}` is unreadable", path.display()))
}

fn parse(bytes: &[u8]) -> Result<Prepared> {
    let mut i = In(bytes);
    ensure!(i.take(MAGIC.len())? == MAGIC, "not an engine file");
    let segments = i.list(|i| Ok((i.str()?, i.u32()?)))?;
    let mut field_df = Vec::new();
    let terms = i.list(|i| {
        let term = (i.str()?, i.u32()?);
        field_df.push([i.u64()?, i.u64()?, i.u64()?, i.u64()?, i.u64()?]);
        Ok(term)
    })?;
    let n_terms = terms.len() as u32;
    let term_ids = |ids: Vec<u32>| -> Result<Vec<u32>> {
        ensure!(ids.iter().all(|&t| t < n_terms), "term id out of range");
        Ok(ids)
    };
    let surfaces = i.list(|i| {
        let word = i.str()?;
        let id = i.u32()?;
        ensure!(id < n_terms, "term id out of range");
        Ok((word, id))
    })?;
    let stems = i.list(|i| Ok((i.str()?, i.str()?)))?;
    let docs = i.list(|i| {
        let (segment, doc_id) = (i.u32()?, i.u32()?);
        ensure!(
            segments.get(segment as usize).is_some_and(|s| doc_id < s.1),
            "document address out of range"
        );
        Ok(Doc {
            segment,
            doc_id,
            id: i.str()?,
            kind: i.str()?,
            title: i.str()?,
            source: i.str()?,
            citations: i.list(|i| {
                Ok(Citation {
                    source: i.str()?,
                    guide: i.str()?,
                    title: i.str()?,
                    date: i.str()?,
                    section: i.str()?,
                })
            })?,
            not_covered: i.u32()? != 0,
            facts: u8::try_from(i.u32()?).context("facts out of range")?,
            terms_end: i.u32()?,
            phrasings_end: i.u32()?,
        })
    })?;
    let doc_terms = term_ids(i.u32s()?)?;
    let phrasing_ends = i.u32s()?;
    let phrasing_terms = term_ids(i.u32s()?)?;
    let vectors = {
        let dims = i.len()?;
        let n = i.len()?;
        ensure!(n == phrasing_ends.len(), "one vector per phrasing");
        let values = i
            .take(n.checked_mul(dims).context("length overflow")?)?
            .iter()
            .map(|&b| b as i8)
            .collect();
        let scales = i
            .take(n.checked_mul(4).context("length overflow")?)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Vectors {
            dims,
            values,
            scales,
        }
    };
    ensure!(
        ordered(docs.iter().map(|d| d.terms_end), doc_terms.len())
            && ordered(docs.iter().map(|d| d.phrasings_end), phrasing_ends.len())
            && ordered(phrasing_ends.iter().copied(), phrasing_terms.len()),
        "offsets out of order"
    );
    let phrases = i.list(|i| {
        let field = i.len()?;
        ensure!(field < 5, "field out of range");
        let stems = i.list(In::str)?;
        let postings = i.list(|i| {
            Ok(match i.u32()? {
                0 => None,
                _ => Some(i.list(|i| Ok((i.u32()?, i.u32()?)))?),
            })
        })?;
        ensure!(
            stems.len() > 1 && postings.len() == segments.len(),
            "phrase does not match the segments"
        );
        Ok(Phrase {
            field,
            stems,
            postings,
        })
    })?;
    ensure!(i.0.is_empty(), "trailing bytes");
    Ok(Prepared {
        segments,
        terms,
        field_df,
        surfaces,
        stems,
        docs,
        doc_terms,
        phrasing_ends,
        phrasing_terms,
        vectors,
        phrases,
    })
}

/// Whether consecutive ranges ending at `ends` stay within `0..len`.
fn ordered(ends: impl IntoIterator<Item = u32>, len: usize) -> bool {
    let mut start = 0;
    ends.into_iter().all(|end| {
        let ok = start <= end && end as usize <= len;
        start = end;
        ok
    })
}

struct Out(Vec<u8>);

impl Out {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).expect("engine data fits 32-bit lengths"));
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        for &x in v {
            self.u32(x);
        }
    }
}

struct In<'a>(&'a [u8]);

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        ensure!(n <= self.0.len(), "truncated");
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into()?))
    }
    fn len(&mut self) -> Result<usize> {
        Ok(self.u32()? as usize)
    }
    fn str(&mut self) -> Result<String> {
        let n = self.len()?;
        Ok(std::str::from_utf8(self.take(n)?)?.to_string())
    }
    fn u32s(&mut self) -> Result<Vec<u32>> {
        let n = self.len()?;
        let b = self.take(n.checked_mul(4).context("length overflow")?)?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    /// A count, then that many items; the count cannot claim more items
    /// than bytes remain (each item is at least one byte).
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        let n = self.len()?;
        ensure!(n <= self.0.len(), "truncated");
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(item(self)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_corrupt_files_are_refused() {
        let p = Prepared {
            segments: vec![("s".into(), 2)],
            terms: vec![("pay".into(), 1)],
            field_df: vec![[1, 0, 0, 1, 0]],
            surfaces: vec![("pay".into(), 0)],
            stems: vec![("paid".into(), "paid".into())],
            docs: vec![Doc {
                segment: 0,
                doc_id: 1,
                id: "a".into(),
                kind: "entry".into(),
                title: "T".into(),
                source: "g".into(),
                citations: vec![Citation {
                    source: "g".into(),
                    guide: "G 2024".into(),
                    title: "T".into(),
                    date: "2024".into(),
                    section: "C".into(),
                }],
                not_covered: false,
                facts: 1,
                terms_end: 1,
                phrasings_end: 1,
            }],
            doc_terms: vec![0],
            phrasing_ends: vec![1],
            phrasing_terms: vec![0],
            vectors: {
                let mut v = Vectors::new(2);
                v.push(vec![0.6, -0.8]);
                v
            },
            phrases: vec![Phrase {
                field: 3,
                stems: vec!["a".into(), "b".into()],
                postings: vec![Some(vec![(1, 2)])],
            }],
        };
        let dir = tempfile::tempdir().unwrap();
        write(&p, dir.path()).unwrap();
        let bytes = std::fs::read(dir.path().join(FILE)).unwrap();
        let back = parse(&bytes).unwrap();
        assert_eq!(back.docs[0].citations, p.docs[0].citations);
        assert_eq!(back.docs[0].facts, 1);
        assert!((back.vectors.dot(0, &[0.6, -0.8]) - 1.0).abs() < 0.01);
        assert_eq!(back.phrases[0].postings, vec![Some(vec![(1, 2)])]);
        for cut in 0..bytes.len() {
            assert!(parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        // The phrasing's term id sits 60 bytes before the end (the vectors
        // take the next 14, the phrase the last 42).
        let mut bad = bytes.clone();
        let at = bad.len() - 60;
        assert_eq!(bad[at..at + 4], 0u32.to_le_bytes());
        bad[at..at + 4].copy_from_slice(&7u32.to_le_bytes());
        assert!(parse(&bad).is_err());
    }
}
