//! Re-ranking: what is measured of each candidate, the weights that turn
//! those measures into a rank score and a confidence, and the decision
//! between answering, saying what the guides don't give, and abstaining.
//! Every weight is here, once; `--explain` prints them.

use serde::Serialize;

use super::intent::Want;

/// What is measured of one candidate for one question.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Features {
    /// Share of the question's weight whose words the document holds.
    pub coverage: f32,
    /// How well the closest of its phrasings (question, aliases, headings)
    /// matches the question word for word: F1 of their idf-weighted terms.
    pub phrasing: f32,
    /// BM25, relative to the best candidate's.
    pub bm25: f32,
    /// Cosine of the question's embedding with its closest phrasing's.
    pub semantic: f32,
    /// `semantic` less the best `semantic` among the other candidates.
    pub semantic_margin: f32,
    /// The weight of the heaviest question word it lacks, over the
    /// heaviest word's (1: it lacks the most specific word asked about).
    pub worst_miss: f32,
    /// The share of the question's weight in words the knowledge base
    /// does not know at all (the same for every candidate).
    pub unknown: f32,
    /// ln(1 + the message's words, at most 24): a long message with a line
    /// of context covers less of itself with any answer, right or wrong
    /// (the same for every candidate).
    pub length: f32,
    /// An FAQ entry (rather than a guide section).
    pub entry: bool,
    /// Holds the kind of fact the question asks for, or it asks for none.
    pub facts_ok: bool,
}

/// The weights of the rank score (a weighted sum) and of the confidence (a
/// logistic model: the probability that the top answer is right, fitted
/// with `tools/calibrate.py --keep-rank` on the training sets twice over:
/// against `faq/` as it is, and against `faq/` before their own content
/// passes (`tools/content-unseen.sh`), so that it also knows questions
/// nobody wrote content for).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Scoring {
    /// Whether questions are embedded at all (the semantic stage).
    pub embed: bool,
    pub rank_coverage: f32,
    pub rank_phrasing: f32,
    pub rank_bm25: f32,
    pub rank_semantic: f32,
    /// For standing above the other candidates in meaning.
    pub rank_semantic_margin: f32,
    pub rank_entry: f32,
    /// Subtracted when the document lacks the kind of fact asked for.
    pub rank_missing_facts: f32,
    pub conf_bias: f32,
    pub conf_coverage: f32,
    pub conf_phrasing: f32,
    pub conf_semantic: f32,
    pub conf_semantic_margin: f32,
    pub conf_bm25: f32,
    pub conf_worst_miss: f32,
    pub conf_unknown: f32,
    pub conf_length: f32,
    /// Answers below this confidence are withheld ("I don't know"). Above
    /// 0.5: a wrong answer costs a member more than an honest "I don't know".
    pub min_confidence: f32,
    /// Other candidates at or above this confidence are offered as related.
    pub related_min: f32,
    /// A candidate one of whose phrasings the question matches at least
    /// this closely answers it even without the kind of fact asked for:
    /// the knowledge base states that question ("remote hit pay" is
    /// answered in words, not figures).
    pub stated_phrasing: f32,
    /// With the semantic stage: no answer whose closest phrasing is less
    /// similar in meaning than this, however many words it shares ("hey
    /// whats up" shares "up" with an entry on moving up).
    pub min_semantic: f32,
}

pub const SCORING: Scoring = Scoring {
    embed: true,
    rank_coverage: 0.2,
    rank_phrasing: 0.1,
    rank_bm25: 0.0,
    rank_semantic: 0.7,
    rank_semantic_margin: 0.1,
    rank_entry: 0.0,
    rank_missing_facts: 0.0,
    conf_bias: -8.466,
    conf_coverage: 3.496,
    conf_phrasing: -0.133,
    conf_semantic: 4.732,
    conf_semantic_margin: 2.786,
    conf_bm25: 0.909,
    conf_worst_miss: 0.872,
    conf_unknown: -0.877,
    conf_length: 1.230,
    min_confidence: 0.55,
    related_min: 0.15,
    stated_phrasing: 0.95,
    min_semantic: 0.3,
};

/// The engine before its semantic stage (careerbot 2026-11-23): lexical
/// features only, and a linear confidence, 0.55 coverage + 0.45 phrasing,
/// written as the logistic model that answers on the same side of 0.5.
/// Kept to measure what the semantic stage costs and gains.
pub const LEXICAL: Scoring = Scoring {
    embed: false,
    rank_coverage: 0.45,
    rank_phrasing: 0.40,
    rank_bm25: 0.15,
    rank_semantic: 0.0,
    rank_semantic_margin: 0.0,
    rank_entry: 0.03,
    rank_missing_facts: 0.0,
    conf_bias: -5.0,
    conf_coverage: 5.5,
    conf_phrasing: 4.5,
    conf_semantic: 0.0,
    conf_semantic_margin: 0.0,
    conf_bm25: 0.0,
    conf_worst_miss: 0.0,
    conf_unknown: 0.0,
    conf_length: 0.0,
    min_confidence: 0.5,
    // 0.25 on the old linear scale.
    related_min: 0.076,
    stated_phrasing: 0.95,
    min_semantic: 0.0,
};

impl Scoring {
    pub fn rank(&self, f: &Features) -> f32 {
        self.rank_coverage * f.coverage
            + self.rank_phrasing * f.phrasing
            + self.rank_bm25 * f.bm25
            + self.rank_semantic * f.semantic
            + self.rank_semantic_margin * f.semantic_margin
            + if f.entry { self.rank_entry } else { 0.0 }
            - if f.facts_ok {
                0.0
            } else {
                self.rank_missing_facts
            }
    }

    /// Whether a candidate is close enough in meaning to answer at all.
    pub fn close_enough(&self, f: &Features) -> bool {
        !self.embed || f.semantic >= self.min_semantic
    }

    pub fn confidence(&self, f: &Features) -> f32 {
        let z = self.conf_bias
            + self.conf_coverage * f.coverage
            + self.conf_phrasing * f.phrasing
            + self.conf_semantic * f.semantic
            + self.conf_semantic_margin * f.semantic_margin
            + self.conf_bm25 * f.bm25
            + self.conf_worst_miss * f.worst_miss
            + self.conf_unknown * f.unknown
            + self.conf_length * f.length;
        1.0 / (1.0 + (-z).exp())
    }
}

/// A retrieved document as re-ranked.
pub struct Candidate {
    /// The document's ordinal in the engine.
    pub ord: u32,
    pub score: f32,
    pub confidence: f32,
    pub features: Features,
}

/// What to do with a question, given its best candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Answer,
    /// The best candidate says what the guides leave out.
    NotCovered,
    /// The question asks for a kind of fact the best candidate lacks.
    Missing(Want),
    Abstain,
}
