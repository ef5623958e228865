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
//! The phrasings' embeddings are the bulk of it (384 bytes each, 130 MB at
//! 100× the shipped corpus): they go in their own file, `vectors.bin`,
//! of which a question reads only its candidates' rows.
//!
//! The format is private to this module and goes with the index's
//! [`crate::index::SCHEMA_VERSION`]; a file that does not match its index
//! fails to open, and the index is rebuilt.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use serde::{Deserialize, Serialize};
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
/// The file starts with these bytes, then [`Prepared`] in `postcard`.
const MAGIC: &[u8; 8] = b"cbengin3";
/// The version of this file's format and of what [`prepare`] computes.
pub const FORMAT: u32 = 6;

#[derive(Serialize, Deserialize)]
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
    /// Each phrasing's embedding, in `phrasing_ends` order: `vectors.bin`.
    #[serde(skip)]
    pub vectors: Vectors,
    pub phrases: Vec<Phrase>,
}

/// Unit vectors stored as int8, each with its own scale: a quarter of the
/// memory of `f32`, and cosines within about 0.01 of the exact ones.
#[derive(Default)]
pub struct Vectors {
    pub dims: usize,
    data: VectorData,
}

enum VectorData {
    /// Being built: the int8 values (as their bytes) and scales as pushed.
    Built { values: Vec<u8>, scales: Vec<f32> },
    /// Read back: `vectors.bin`, [`VECTORS_HEADER`] bytes of header, then
    /// `count` little-endian `f32` scales, then the int8 values. Only the
    /// rows a question scores are read, with positioned reads: at 100× the
    /// file is 139 MB, and mapping it left every page any question had
    /// touched (and the kernel's fault-around neighbours) resident.
    File { file: std::fs::File, count: usize },
}

impl Default for VectorData {
    fn default() -> Self {
        VectorData::Built {
            values: Vec::new(),
            scales: Vec::new(),
        }
    }
}

pub const VECTORS_FILE: &str = "vectors.bin";
const VECTORS_MAGIC: &[u8; 8] = b"cbvects1";
/// Magic, then dimensions and count as little-endian `u32`.
const VECTORS_HEADER: usize = 16;

impl Vectors {
    pub fn new(dims: usize) -> Vectors {
        Vectors {
            dims,
            data: VectorData::default(),
        }
    }

    pub fn push(&mut self, v: Vec<f32>) {
        debug_assert_eq!(v.len(), self.dims);
        let VectorData::Built { values, scales } = &mut self.data else {
            unreachable!("vectors read from a file are not pushed to");
        };
        let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        values.extend(
            v.iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8 as u8),
        );
        scales.push(scale);
    }

    pub fn len(&self) -> usize {
        match &self.data {
            VectorData::Built { scales, .. } => scales.len(),
            VectorData::File { count, .. } => *count,
        }
    }

    /// The highest dot product of vectors `rows` with `q`: the closest
    /// cosine, all being unit vectors. A read error counts as no match
    /// (logged): the lexical stages still answer.
    pub fn max_dot(&self, rows: Range<usize>, q: &[f32]) -> f32 {
        let dims = self.dims;
        let best = |values: &[u8], scales: &mut dyn Iterator<Item = f32>| {
            values
                .chunks_exact(dims)
                .zip(scales)
                .map(|(row, scale)| dot_i8(row, q) * scale)
                .fold(0.0, f32::max)
        };
        match &self.data {
            VectorData::Built { values, scales } => best(
                &values[rows.start * dims..rows.end * dims],
                &mut scales[rows.clone()].iter().copied(),
            ),
            VectorData::File { file, count } => {
                use std::os::unix::fs::FileExt;
                let n = rows.len();
                let mut buf = vec![0u8; n * (4 + dims)];
                let (scale_bytes, values) = buf.split_at_mut(4 * n);
                let read = file
                    .read_exact_at(scale_bytes, (VECTORS_HEADER + 4 * rows.start) as u64)
                    .and_then(|()| {
                        file.read_exact_at(
                            values,
                            (VECTORS_HEADER + 4 * count + rows.start * dims) as u64,
                        )
                    });
                if let Err(e) = read {
                    tracing::error!("cannot read `{VECTORS_FILE}`: {e}");
                    return 0.0;
                }
                best(
                    values,
                    &mut scale_bytes
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes(b.try_into().unwrap())),
                )
            }
        }
    }

    fn write(&self, path: &Path) -> Result<()> {
        let VectorData::Built { values, scales } = &self.data else {
            unreachable!("only built vectors are written");
        };
        let mut bytes = Vec::with_capacity(VECTORS_HEADER + 4 * scales.len() + values.len());
        bytes.extend_from_slice(VECTORS_MAGIC);
        bytes.extend_from_slice(&u32::try_from(self.dims)?.to_le_bytes());
        bytes.extend_from_slice(&u32::try_from(scales.len())?.to_le_bytes());
        bytes.extend(scales.iter().flat_map(|s| s.to_le_bytes()));
        bytes.extend_from_slice(values);
        std::fs::write(path, bytes).with_context(|| format!("cannot write `{}`", path.display()))
    }

    fn open(path: &Path) -> Result<Vectors> {
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(path)
            .with_context(|| format!("cannot open `{}`", path.display()))?;
        let checked = || -> Result<Vectors> {
            let len = file.metadata()?.len();
            let mut header = [0u8; VECTORS_HEADER];
            ensure!(
                len >= VECTORS_HEADER as u64
                    && file.read_exact_at(&mut header, 0).is_ok()
                    && header.starts_with(VECTORS_MAGIC),
                "not a vectors file"
            );
            let word =
                |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().unwrap()) as usize;
            let (dims, count) = (word(8), word(12));
            let size = count
                .checked_mul(dims + 4)
                .and_then(|n| n.checked_add(VECTORS_HEADER))
                .map(|n| n as u64);
            ensure!(size.is_some_and(|n| len >= n), "truncated");
            ensure!(size == Some(len), "trailing bytes");
            Ok(Vectors {
                dims,
                data: VectorData::File { file, count },
            })
        };
        checked().with_context(|| format!("`{}` is unreadable", path.display()))
    }
}

fn dot_i8(row: &[u8], q: &[f32]) -> f32 {
    row.iter()
        .zip(q)
        .map(|(&a, &b)| f32::from(a as i8) * b)
        .sum()
}

#[derive(Serialize, Deserialize)]
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

#[derive(Serialize, Deserialize)]
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
    let bytes = postcard::to_extend(p, MAGIC.to_vec()).context("cannot encode the engine data")?;
    let path = dir.join(FILE);
    std::fs::write(&path, &bytes).with_context(|| format!("cannot write `{}`", path.display()))?;
    p.vectors.write(&dir.join(VECTORS_FILE))
}

/// Reads what [`write`] wrote, checking that it is whole and consistent;
/// the vectors stay in their file (see [`Vectors::max_dot`]).
pub fn read(dir: &Path) -> Result<Prepared> {
    let path = dir.join(FILE);
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    // Decoded as it is read: holding the whole file beside what it decodes
    // to was the peak of loading a knowledge base 100× the shipped one.
    let mut p = parse_from(std::io::BufReader::with_capacity(1 << 16, file))
        .with_context(|| format!("`{}` is unreadable", path.display()))?;
    p.vectors = Vectors::open(&dir.join(VECTORS_FILE))?;
    ensure!(
        p.vectors.len() == p.phrasing_ends.len(),
        "`{}` holds {} vectors for {} phrasings",
        VECTORS_FILE,
        p.vectors.len(),
        p.phrasing_ends.len()
    );
    Ok(p)
}

#[cfg(test)]
fn parse(bytes: &[u8]) -> Result<Prepared> {
    parse_from(bytes)
}

fn parse_from(mut r: impl std::io::Read) -> Result<Prepared> {
    let mut magic = [0; MAGIC.len()];
    ensure!(
        r.read_exact(&mut magic).is_ok() && magic == *MAGIC,
        "not an engine file"
    );
    // Room for the longest string in the file: every one comes from a
    // knowledge file (ids, titles, citations) or is a word of one.
    let mut scratch = vec![0; crate::corpus::MAX_FILE_BYTES];
    let (p, (mut rest, _)) =
        postcard::from_io::<Prepared, _>((r, &mut scratch)).map_err(|e| match e {
            postcard::Error::DeserializeUnexpectedEnd => anyhow::anyhow!("truncated"),
            e => anyhow::anyhow!("malformed: {e}"),
        })?;
    ensure!(matches!(rest.read(&mut [0]), Ok(0)), "trailing bytes");
    validate(&p)?;
    Ok(p)
}

/// What the engine indexes by without further checks is in range: term
/// ids, document addresses, offsets, one vector per phrasing.
fn validate(p: &Prepared) -> Result<()> {
    let n_terms = p.terms.len();
    let term = |&t: &u32| (t as usize) < n_terms;
    ensure!(
        p.field_df.len() == n_terms,
        "one set of frequencies per term"
    );
    ensure!(
        p.surfaces.iter().all(|(_, t)| term(t))
            && p.doc_terms.iter().all(term)
            && p.phrasing_terms.iter().all(term),
        "term id out of range"
    );
    ensure!(
        p.docs.iter().all(|d| {
            p.segments
                .get(d.segment as usize)
                .is_some_and(|s| d.doc_id < s.1)
        }),
        "document address out of range"
    );
    ensure!(
        ordered(p.docs.iter().map(|d| d.terms_end), p.doc_terms.len())
            && ordered(
                p.docs.iter().map(|d| d.phrasings_end),
                p.phrasing_ends.len()
            )
            && ordered(p.phrasing_ends.iter().copied(), p.phrasing_terms.len()),
        "offsets out of order"
    );
    ensure!(
        p.phrases
            .iter()
            .all(|ph| ph.field < 5 && ph.stems.len() > 1 && ph.postings.len() == p.segments.len()),
        "phrase does not match the segments"
    );
    Ok(())
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
                phrasings_end: 2,
            }],
            doc_terms: vec![0],
            phrasing_ends: vec![1, 1],
            phrasing_terms: vec![0],
            vectors: {
                let mut v = Vectors::new(2);
                v.push(vec![0.6, -0.8]);
                v.push(vec![0.0, 1.0]);
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
        let back = read(dir.path()).unwrap();
        assert_eq!(back.docs[0].citations, p.docs[0].citations);
        assert_eq!(back.docs[0].facts, 1);
        // Built and read back alike: the closest of the rows asked, only those.
        for v in [&back.vectors, &p.vectors] {
            assert!((v.max_dot(0..2, &[0.6, -0.8]) - 1.0).abs() < 0.01);
            assert!((v.max_dot(1..2, &[0.6, -0.8])).abs() < 0.01);
            assert!((v.max_dot(1..2, &[0.0, 1.0]) - 1.0).abs() < 0.01);
        }
        // The vectors file: cut, grown or missing is an error, never a panic.
        let vectors = dir.path().join(VECTORS_FILE);
        let whole = std::fs::read(&vectors).unwrap();
        let verr = || format!("{:#}", read(dir.path()).err().unwrap());
        for cut in [0, 8, VECTORS_HEADER, whole.len() - 1] {
            std::fs::write(&vectors, &whole[..cut]).unwrap();
            let e = verr();
            assert!(
                e.contains("truncated") || e.contains("not a vectors file"),
                "{e}"
            );
        }
        std::fs::write(&vectors, [&whole[..], &[0]].concat()).unwrap();
        assert!(verr().contains("trailing bytes"));
        std::fs::remove_file(&vectors).unwrap();
        assert!(verr().contains("cannot open"));
        assert_eq!(back.phrases[0].postings, vec![Some(vec![(1, 2)])]);
        for cut in 0..bytes.len() {
            assert!(parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let err = |bytes: &[u8]| format!("{:#}", parse(bytes).err().unwrap());
        assert_eq!(err(&bytes[..bytes.len() - 1]), "truncated");
        // Another file, or an engine file of another format.
        assert_eq!(err(b"PK\x03\x04 some zip"), "not an engine file");
        assert_eq!(
            err(&[b"cbengin2", &bytes[8..]].concat()),
            "not an engine file"
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(err(&long), "trailing bytes");
        // Whole but inconsistent: a phrasing names a term that is not there.
        let mut bad = parse(&bytes).unwrap();
        bad.phrasing_terms[0] = 7;
        write(&bad, dir.path()).unwrap();
        let bytes = std::fs::read(dir.path().join(FILE)).unwrap();
        assert_eq!(err(&bytes), "term id out of range");
    }
}
