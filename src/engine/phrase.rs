//! Multi-word synonyms answered from postings computed when the index was
//! built (see `prepared.rs`). [`StoredPhrase`] scores every document exactly
//! as Tantivy's `PhraseQuery` would (the same BM25 weight, field norm and
//! phrase count, and an empty scorer in the same segments), so rankings are
//! unchanged, but a question no longer intersects the position lists of
//! frequent words such as "health" and "information" field by field.

use std::fmt;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::query::{Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::Field;
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, TantivyError, Term};

/// One segment's (doc, phrase count) list, by doc.
type Hits = Box<[(DocId, u32)]>;

pub struct PhrasePostings {
    field: Field,
    /// What `PhraseQuery` computes for the phrase: its terms' idf summed.
    bm25: Bm25Weight,
    /// The segments `postings` describes, in order.
    segments: Arc<[SegmentId]>,
    /// Per segment, (doc, phrase count) by doc; `None` where a term of the
    /// phrase is missing from the segment.
    postings: Vec<Option<Hits>>,
}

impl PhrasePostings {
    pub fn new(
        searcher: &Searcher,
        field: Field,
        stems: &[String],
        segments: Arc<[SegmentId]>,
        postings: Vec<super::prepared::SegmentHits>,
    ) -> tantivy::Result<PhrasePostings> {
        let terms: Vec<Term> = stems
            .iter()
            .map(|s| Term::from_field_text(field, s))
            .collect();
        Ok(PhrasePostings {
            field,
            bm25: Bm25Weight::for_terms(searcher, &terms)?,
            segments,
            postings: postings
                .into_iter()
                .map(|p| p.map(Vec::into_boxed_slice))
                .collect(),
        })
    }
}

impl StoredPhrase {
    /// Whether its scorer in the segment is a phrase scorer (possibly
    /// matching nothing) rather than Tantivy's empty scorer: all of its terms
    /// are in the segment.
    pub fn scores_in(&self, segment: SegmentId) -> bool {
        let p = &self.0;
        p.segments
            .iter()
            .zip(&p.postings)
            .any(|(s, list)| *s == segment && list.is_some())
    }
}

/// A `PhraseQuery` on one field, from stored postings.
#[derive(Clone)]
pub struct StoredPhrase(pub Arc<PhrasePostings>);

impl fmt::Debug for StoredPhrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoredPhrase(field {:?})", self.0.field)
    }
}

impl Query for StoredPhrase {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(StoredPhraseWeight {
            phrase: self.0.clone(),
            scoring: enable_scoring.is_scoring_enabled(),
        }))
    }
}

struct StoredPhraseWeight {
    phrase: Arc<PhrasePostings>,
    scoring: bool,
}

impl Weight for StoredPhraseWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let p = &self.phrase;
        let segment = reader.segment_id();
        let seg = p
            .segments
            .iter()
            .position(|s| *s == segment)
            .ok_or_else(|| {
                TantivyError::InvalidArgument(format!("no stored phrases for segment {segment}"))
            })?;
        if p.postings[seg].is_none() {
            return Ok(Box::new(EmptyScorer));
        }
        let fieldnorms = reader
            .fieldnorms_readers()
            .get_field(p.field)?
            .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
        Ok(Box::new(StoredPhraseScorer {
            phrase: p.clone(),
            seg,
            at: 0,
            bm25: self.scoring.then(|| p.bm25.boost_by(boost)),
            fieldnorms,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        Ok(Explanation::new("Phrase (stored postings)", scorer.score()))
    }
}

struct StoredPhraseScorer {
    phrase: Arc<PhrasePostings>,
    seg: usize,
    at: usize,
    bm25: Option<Bm25Weight>,
    fieldnorms: FieldNormReader,
}

impl StoredPhraseScorer {
    fn list(&self) -> &[(DocId, u32)] {
        self.phrase.postings[self.seg]
            .as_deref()
            .unwrap_or_default()
    }
}

impl DocSet for StoredPhraseScorer {
    fn advance(&mut self) -> DocId {
        self.at = (self.at + 1).min(self.list().len());
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let list = self.list();
        self.at += list[self.at..].partition_point(|&(d, _)| d < target);
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.list().get(self.at).map_or(TERMINATED, |&(d, _)| d)
    }

    fn size_hint(&self) -> u32 {
        (self.list().len() - self.at) as u32
    }
}

impl Scorer for StoredPhraseScorer {
    fn score(&mut self) -> Score {
        let Some(&(doc, count)) = self.list().get(self.at) else {
            return 0.0;
        };
        match &self.bm25 {
            Some(w) => w.score(self.fieldnorms.fieldnorm_id(doc), count),
            None => 1.0,
        }
    }
}
