//! The BM25 candidates of a question: what Tantivy's
//! `TopDocs::with_limit(k).order_by_score()` finds for a `BooleanQuery` of
//! SHOULD clauses (the same documents, scores and ties), with less work.
//!
//! Where all of a segment's matching clauses are term queries, Tantivy prunes
//! with block-WAND and is left to it. A stored phrase (see `phrase.rs`) makes
//! Tantivy score every document of the union instead, adding the clauses'
//! scores in clause order. There we use MaxScore: clauses are ranked by the
//! most they can add; those that together cannot lift a document past the
//! k-th score so far only complete documents the others found, and a document
//! is dropped as soon as what remains cannot lift it. Every document that
//! could make the cut is still scored exactly as Tantivy's union scores it,
//! by adding its clauses' scores in clause order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, EmptyScorer, EnableScoring, Occur, Query, QueryClone,
    Scorer, Weight,
};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, Term};

use super::phrase::StoredPhrase;

/// Tantivy's BM25 constant `k1`: no term can add more than
/// `idf × (1 + k1) × boost` to a document's score.
const K1: f32 = 1.2;
/// Relative slack on bounds, far above float rounding (about 1e-7 per
/// operation), so that rounding never drops a document that belongs.
const SLACK: f32 = 1e-3;

/// One SHOULD clause of the question's query.
pub struct Clause {
    pub query: Box<dyn Query>,
    /// Its terms, all in one field: one, or a phrase's.
    pub terms: Vec<Term>,
    pub boost: f32,
    /// The stored phrase it queries, if it is one.
    pub phrase: Option<StoredPhrase>,
}

/// The top `k` documents for the SHOULD clauses, best first, as
/// `searcher.search_with_statistics_provider(BooleanQuery of the clauses,
/// TopDocs::with_limit(k).order_by_score(), stats)` returns them.
pub fn search(
    searcher: &Searcher,
    stats: &dyn Bm25StatisticsProvider,
    clauses: &[Clause],
    k: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let scoring = EnableScoring::enabled_from_statistics_provider(stats, searcher);
    let boolean = || {
        BooleanQuery::new(
            clauses
                .iter()
                .map(|c| (Occur::Should, c.query.box_clone()))
                .collect(),
        )
    };
    let readers = searcher.segment_readers();
    // Segments where a stored phrase has a scorer, which is not a term
    // scorer: there Tantivy scores the whole union.
    let union_in: Vec<bool> = readers
        .iter()
        .map(|r| {
            let segment = r.segment_id();
            clauses
                .iter()
                .any(|c| c.phrase.as_ref().is_some_and(|p| p.scores_in(segment)))
        })
        .collect();
    if !union_in.contains(&true) {
        return searcher.search_with_statistics_provider(
            &boolean(),
            &tantivy::collector::TopDocs::with_limit(k).order_by_score(),
            stats,
        );
    }
    let weights = clauses
        .iter()
        .map(|c| c.query.weight(scoring))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let bounds = clauses
        .iter()
        .map(|c| bound(stats, c))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut boolean_weight = None;
    let mut hits = Vec::new();
    for (ord, reader) in readers.iter().enumerate() {
        let top = if union_in[ord] {
            max_score(&weights, &bounds, reader, k)?
        } else {
            let weight = match &mut boolean_weight {
                Some(w) => w,
                None => boolean_weight.insert(boolean().weight(scoring)?),
            };
            block_wand(weight.as_ref(), reader, k)?
        };
        hits.extend(
            top.into_iter()
                .map(|(score, doc)| (score, DocAddress::new(ord as u32, doc))),
        );
    }
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    hits.truncate(k);
    Ok(hits)
}

/// More than clause `c` can add to any document's score.
fn bound(stats: &dyn Bm25StatisticsProvider, c: &Clause) -> tantivy::Result<f32> {
    let n = stats.total_num_docs()?;
    let mut idf = 0.0;
    for t in &c.terms {
        let df = stats.doc_freq(t)?.min(n);
        idf += (1.0 + ((n - df) as f32 + 0.5) / (df as f32 + 0.5)).ln();
    }
    Ok(idf * (1.0 + K1) * c.boost * (1.0 + SLACK))
}

/// Tantivy's own top `k` of a segment (block-WAND where it applies).
fn block_wand(
    weight: &dyn Weight,
    reader: &SegmentReader,
    k: usize,
) -> tantivy::Result<Vec<(Score, DocId)>> {
    let mut top = TopK::new(k);
    weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
        if !reader.is_deleted(doc) {
            top.push(score, doc);
        }
        top.threshold()
    })?;
    Ok(top.into_vec())
}

/// Documents are gathered from the essential clauses this many at a time.
const WINDOW: u32 = 4096;

/// The top `k` of a segment where Tantivy would score the union.
fn max_score(
    weights: &[Box<dyn Weight>],
    bounds: &[f32],
    reader: &SegmentReader,
    k: usize,
) -> tantivy::Result<Vec<(Score, DocId)>> {
    // Clauses matching something here, in clause order, as the union's.
    let mut scorers: Vec<(usize, Box<dyn Scorer>)> = Vec::new();
    for (i, w) in weights.iter().enumerate() {
        let s = w.scorer(reader, 1.0)?;
        if !s.is::<EmptyScorer>() && s.doc() != TERMINATED {
            scorers.push((i, s));
        }
    }
    let n = scorers.len();
    let mut at: Vec<DocId> = scorers.iter().map(|(_, s)| s.doc()).collect();
    // Scorers by bound, smallest first; `upto[m]`: the first `m` bounds summed.
    let mut by_bound: Vec<usize> = (0..n).collect();
    by_bound.sort_by(|&a, &b| bounds[scorers[a].0].total_cmp(&bounds[scorers[b].0]));
    let mut upto = vec![0.0f32];
    for &j in &by_bound {
        upto.push(upto[upto.len() - 1] + bounds[scorers[j].0]);
    }
    // `x` cannot beat the k-th score so far.
    let out = |x: f32, threshold: f32| x * (1.0 + SLACK) <= threshold;

    let mut top = TopK::new(k);
    // `by_bound[..lesser]` only complete documents the others found.
    let mut lesser = 0;
    let mut essential = vec![true; n];
    // A window's hits from the essential scorers as (doc - start, scorer,
    // score), then grouped by document (clause order kept within each).
    let mut hits: Vec<(u32, usize, Score)> = Vec::new();
    let mut grouped: Vec<(usize, Score)> = Vec::new();
    let mut ends = vec![0u32; WINDOW as usize + 1];
    let mut next = Vec::with_capacity(ends.len());
    let mut found: Vec<(usize, Score)> = Vec::new();
    loop {
        let threshold = top.threshold();
        while lesser < n && out(upto[lesser + 1], threshold) {
            essential[by_bound[lesser]] = false;
            lesser += 1;
        }
        let start = (0..n)
            .filter(|&j| essential[j])
            .map(|j| at[j])
            .min()
            .unwrap_or(TERMINATED);
        if start == TERMINATED {
            break;
        }
        let end = start.saturating_add(WINDOW).min(TERMINATED);
        hits.clear();
        for (j, (_, s)) in scorers.iter_mut().enumerate() {
            if !essential[j] {
                continue;
            }
            while at[j] < end {
                hits.push((at[j] - start, j, s.score()));
                at[j] = s.advance();
            }
        }
        // Group by document: count, then place (a stable counting sort).
        ends.fill(0);
        for h in &hits {
            ends[h.0 as usize + 1] += 1;
        }
        for d in 1..ends.len() {
            ends[d] += ends[d - 1];
        }
        grouped.clear();
        grouped.resize(hits.len(), (0, 0.0));
        next.clear();
        next.extend_from_slice(&ends);
        for &(d, j, score) in &hits {
            grouped[next[d as usize] as usize] = (scorers[j].0, score);
            next[d as usize] += 1;
        }
        for d in 0..WINDOW as usize {
            let (lo, hi) = (ends[d] as usize, ends[d + 1] as usize);
            if lo == hi {
                continue;
            }
            let doc = start + d as u32;
            let threshold = top.threshold();
            found.clear();
            found.extend_from_slice(&grouped[lo..hi]);
            let mut partial: Score = found.iter().map(|f| f.1).sum();
            let mut alive = !reader.is_deleted(doc);
            for m in (0..lesser).rev() {
                if !alive || out(partial + upto[m + 1], threshold) {
                    alive = false;
                    break;
                }
                let j = by_bound[m];
                let (i, s) = &mut scorers[j];
                if at[j] < doc {
                    at[j] = s.seek(doc);
                }
                if at[j] == doc {
                    let score = s.score();
                    found.push((*i, score));
                    partial += score;
                }
            }
            if !alive {
                continue;
            }
            // Exactly as the union adds them up: from zero, in clause order.
            found.sort_unstable_by_key(|&(i, _)| i);
            let score = found.iter().fold(0.0, |sum: Score, &(_, s)| sum + s);
            if score > threshold {
                top.push(score, doc);
            }
        }
    }
    Ok(top.into_vec())
}

/// Tantivy's top-k of a segment: documents arrive in doc order; once `k`
/// are held, only a strictly higher score gets in (so lower doc ids win
/// ties), replacing the lowest score (the highest doc id among equals).
struct TopK {
    k: usize,
    /// The lowest (then the highest doc id) on top.
    held: BinaryHeap<Reverse<Held>>,
}

#[derive(Clone, Copy, PartialEq)]
struct Held(Score, DocId);

impl Eq for Held {}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Held {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK {
            k,
            held: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The score to beat.
    fn threshold(&self) -> Score {
        match self.held.peek() {
            Some(Reverse(worst)) if self.held.len() >= self.k => worst.0,
            _ => Score::MIN,
        }
    }

    fn push(&mut self, score: Score, doc: DocId) {
        if self.held.len() < self.k {
            self.held.push(Reverse(Held(score, doc)));
        } else if score > self.threshold() {
            self.held.pop();
            self.held.push(Reverse(Held(score, doc)));
        }
    }

    fn into_vec(self) -> Vec<(Score, DocId)> {
        self.held.into_iter().map(|Reverse(h)| (h.0, h.1)).collect()
    }
}
