//! From chat text to a structured query. User text is never handed to a query
//! parser: it is tokenized by the same analyzer as the index, and every token
//! becomes a plain term, so `title:(`, quotes or `AND OR NOT` are just words.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// Questions longer than this are cut: nobody asks 4,000 characters of FAQ.
pub const MAX_QUERY_CHARS: usize = 500;

/// Function words and chat filler: they carry no topic, so they neither
/// retrieve documents nor count against coverage.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "out", "also", "am", "an", "and", "any", "anyone", "are", "as",
    "at", "be", "been", "being", "bot", "but", "by", "can", "could", "did", "do", "does", "doing",
    "for", "from", "get", "go", "got", "had", "has", "have", "hey", "hi", "hello", "how", "i",
    "if", "im", "in", "into", "is", "it", "its", "just", "know", "like", "lol", "me", "mean",
    "much", "my", "need", "of", "on", "or", "pls", "plz", "please", "really", "rn", "s", "should",
    "so", "some", "someone", "that", "the", "their", "them", "then", "there", "these", "they",
    "thing", "things", "this", "those", "tho", "to", "u", "ur", "us", "usually", "vs", "want",
    "was", "we", "were", "what", "whats", "when", "where", "which", "who", "whos", "why", "will",
    "with", "w", "would", "you", "your", "yall", "ya", "actually", "still", "yes", "no", "ok",
    "okay", "guys", "anybody", "t", "don", "dont", "isnt", "d", "ll", "m", "re", "ve", "more",
    "most", "many", "very", "too", "than", "one", "ones", "thanks", "thank", "thx", "ty",
    "question", "tell", "say", "said", "ask", "asking", "best", "good", "better", "kind",
];

/// Chat filler: words members wrap a question in ("honestly", "gonna",
/// "never heard of") that say nothing about what they ask. Unlike
/// stopwords they are dropped only when the knowledge base does not use
/// them to state its own questions (see `Engine::analyse`), so a filler word
/// that is a term of the trade there still counts. Rare in the guides, they
/// would otherwise weigh as much as the topic itself. No nouns of a trade or
/// topic belong here: an unknown topic is what makes a question off-topic.
/// In order: pronouns and determiners, contractions and chat spellings,
/// adverbs, conversational verbs and vague nouns.
#[rustfmt::skip]
const FILLER: &[&str] = &[
    "he", "she", "her", "his", "our", "anything", "something", "everything", "nothing", "everyone",
    "everybody", "somebody", "somewhere", "anywhere", "everywhere", "each", "every", "other",
    "another", "such", "own", "same", "both", "either", "neither", "cant", "cannot", "wont",
    "wouldnt", "couldnt", "shouldnt", "doesnt", "didnt", "arent", "wasnt", "aint", "theres",
    "thats", "heres", "hows", "wheres", "whens", "ive", "youre", "theyre", "id", "youd", "itll",
    "gonna", "gotta", "wanna", "kinda", "sorta", "lemme", "gimme", "dunno", "ima", "tryna", "bout",
    "abt", "thinkin", "tbh", "ngl", "idk", "imo", "imho", "btw", "omg", "lmao", "haha", "fr",
    "obv", "yeah", "yep", "yup", "nah", "nope", "hmm", "um", "uh", "oh", "ah", "bro", "dude",
    "wtf", "heck", "hell", "damn", "freaking", "frickin", "fricking",
    "folks", "pls", "honestly", "literally", "basically", "seriously", "realistically", "probably",
    "maybe", "perhaps", "definitely", "totally", "pretty", "quite", "rather", "super", "lately",
    "recently", "currently", "already", "now", "today", "yet", "ever", "never", "always", "often",
    "sometimes", "again", "anyway", "anyways", "though", "although", "even", "only", "else",
    "instead", "besides", "otherwise", "almost", "enough", "especially", "exactly", "well", "sure",
    "soon", "later", "ago", "once", "here", "around", "obviously", "whole", "total", "zero",
    "think", "thinking", "thought", "heard", "hear", "saw", "seen", "see", "wonder", "wondering",
    "curious", "guess", "feel", "feels", "seem", "seems", "going", "let", "lets", "stuff", "lot",
    "lots", "bit", "luck", "idea", "point", "way",
];

/// Chat filler (see [`FILLER`]): dropped unless the knowledge base uses it.
pub fn is_filler(word: &str) -> bool {
    static SET: LazyLock<HashSet<&str>> = LazyLock::new(|| FILLER.iter().copied().collect());
    SET.contains(word)
}

pub fn is_stopword(word: &str) -> bool {
    static SET: LazyLock<HashSet<&str>> = LazyLock::new(|| STOPWORDS.iter().copied().collect());
    SET.contains(word)
}

/// One token of the analysed text: its lowercased surface form and its stem.
#[derive(Debug, Clone)]
pub struct Tok {
    pub surface: String,
    pub stem: String,
}

pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut ts = analyzer.token_stream(text);
    while ts.advance() {
        let t = ts.token();
        out.push(Tok {
            surface: text[t.offset_from..t.offset_to].to_lowercase(),
            stem: t.text.clone(),
        });
    }
    out
}

/// Stems of the words of the knowledge base (as
/// [`crate::index::words_analyzer`] gives them: lowercased, folded), so that
/// analysing its text again needs no stemming; other words are stemmed as
/// they come.
#[derive(Debug, Default)]
pub struct Stems(HashMap<String, String>);

impl Stems {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Stems {
        Stems(pairs.into_iter().collect())
    }

    pub fn into_pairs(self) -> Vec<(String, String)> {
        let mut pairs: Vec<_> = self.0.into_iter().collect();
        pairs.sort_unstable();
        pairs
    }

    /// The stem of `word`, into `out`.
    pub fn stem_into(&self, word: &str, out: &mut String) {
        match self.0.get(word) {
            Some(stem) => {
                out.clear();
                out.push_str(stem);
            }
            None => *out = crate::index::stem(word),
        }
    }

    /// The stem of `word`, remembered.
    fn stem(&mut self, word: &str) -> &str {
        if !self.0.contains_key(word) {
            self.0.insert(word.to_string(), crate::index::stem(word));
        }
        &self.0[word]
    }
}

/// Calls `f(surface, stem)` for each token of `text`, as [`tokens`] gives
/// them with the index's analyzer, from `words`
/// ([`crate::index::words_analyzer`]) and remembered stems, without
/// allocating for each token: the lowercased surface borrows `text` when it
/// is lowercase already.
pub fn for_each_token(
    words: &mut TextAnalyzer,
    stems: &mut Stems,
    text: &str,
    mut f: impl FnMut(&str, &str),
) {
    let mut lower: String;
    let mut ts = words.token_stream(text);
    while ts.advance() {
        let t = ts.token();
        let raw = &text[t.offset_from..t.offset_to];
        let surface = if raw.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
            lower = raw.to_lowercase();
            lower.as_str()
        } else {
            raw
        };
        f(surface, stems.stem(&t.text));
    }
}

/// Synonym groups, analysed: each member as its sequence of stems.
#[derive(Debug, Default, Clone)]
pub struct Synonyms {
    groups: Vec<Vec<Vec<String>>>,
    /// First stem of a member -> (group, member) pairs, longest members first.
    starts: HashMap<String, Vec<(usize, usize)>>,
}

impl Synonyms {
    pub fn new(analyzer: &mut TextAnalyzer, groups: &[Vec<String>]) -> Self {
        let mut s = Synonyms::default();
        for (g, words) in groups.iter().enumerate() {
            let members: Vec<Vec<String>> = words
                .iter()
                .map(|w| {
                    tokens(analyzer, w)
                        .into_iter()
                        .map(|t| t.stem)
                        .collect::<Vec<_>>()
                })
                .filter(|m| !m.is_empty())
                .collect();
            for (m, stems) in members.iter().enumerate() {
                s.starts.entry(stems[0].clone()).or_default().push((g, m));
            }
            s.groups.push(members);
        }
        for v in s.starts.values_mut() {
            v.sort_by_key(|&(g, m)| std::cmp::Reverse(s.groups[g][m].len()));
        }
        s
    }

    /// Members of more than one term (phrase queries), each once, sorted.
    pub fn phrases(&self) -> Vec<&[String]> {
        let mut out: Vec<&[String]> = self
            .groups
            .iter()
            .flatten()
            .filter(|m| m.len() > 1)
            .map(Vec::as_slice)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// One concept of the question: the word(s) the member typed and the term
/// sequences that count as a match for it (itself plus its synonyms).
#[derive(Debug, Clone)]
pub struct Slot {
    pub surface: String,
    /// Alternatives; the first is what the member typed. Each is a sequence of stems.
    pub alts: Vec<Vec<String>>,
    /// Set when the typed word was unknown and replaced by a close known term.
    pub corrected: Option<String>,
    pub weight: f32,
}

/// The question cut to [`MAX_QUERY_CHARS`] characters.
pub fn clip(question: &str) -> &str {
    match question.char_indices().nth(MAX_QUERY_CHARS) {
        Some((at, _)) => &question[..at],
        None => question,
    }
}

/// How many words a message has: runs of letters, digits and apostrophes.
pub fn word_count(message: &str) -> usize {
    message
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .count()
}

/// The parts of a message of several sentences, or of a headline with a
/// subtitle, that may ask its question alone, in the order to try them:
/// its questions from the last (members put the question after a sentence
/// about themselves; headlines put it before a tagline), then its last
/// sentence, then a headline's title before its colon or dash ("RHIT
/// Meaning: The Acronym Spelled Out"). A question counts from three
/// words, a last sentence from four, a title from two; a single sentence
/// without a subtitle has no parts.
pub fn parts(text: &str) -> Vec<&str> {
    let text = clip(text).trim();
    let mut sentences = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let next = &text[i + c.len_utf8()..];
        if ends_sentence(text, i, c) && (next.is_empty() || next.starts_with(char::is_whitespace)) {
            sentences.push(text[start..i + c.len_utf8()].trim());
            start = i + c.len_utf8();
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        sentences.push(rest);
    }
    let words = |s: &str| s.split_whitespace().count();
    let mut out: Vec<&str> = Vec::new();
    if sentences.len() > 1 {
        out.extend(
            sentences
                .iter()
                .rev()
                .filter(|s| s.ends_with('?') && words(s) >= 3),
        );
        let last = sentences[sentences.len() - 1];
        if words(last) >= 4 && !out.contains(&last) {
            out.push(last);
        }
    }
    let title = [": ", " — ", " – ", " - "]
        .iter()
        .filter_map(|sep| text.find(sep))
        .min()
        .map(|at| text[..at].trim());
    if let Some(title) = title
        && words(title) >= 2
        && !out.contains(&title)
    {
        out.push(title);
    }
    out
}

/// Whether the character at `i` ends a sentence: `!` or `?`, or a full stop
/// after a word of two letters or more that is not an abbreviation (not the
/// dots of "b.s." nor the one after "vs").
fn ends_sentence(text: &str, i: usize, c: char) -> bool {
    match c {
        '!' | '?' => true,
        '.' => {
            let word = text[..i].rsplit(char::is_whitespace).next().unwrap_or("");
            word.chars().count() >= 2
                && word.chars().all(char::is_alphanumeric)
                && !super::snippet::ABBREVIATIONS.contains(&word.to_lowercase().as_str())
        }
        _ => false,
    }
}

/// Splits the question into slots. Currency signs stand for pay ("entry level $$?").
pub fn slots(analyzer: &mut TextAnalyzer, synonyms: &Synonyms, question: &str) -> Vec<Slot> {
    let mut text = clip(question).to_string();
    if text.contains(['$', '£', '€']) {
        text = text.replace(['$', '£', '€'], " salary ");
    }
    let toks = tokens(analyzer, &text);
    let mut out: Vec<Slot> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let matched = synonyms.starts.get(&toks[i].stem).and_then(|cands| {
            cands.iter().find(|&&(g, m)| {
                let member = &synonyms.groups[g][m];
                member.len() <= toks.len() - i
                    && member.iter().zip(&toks[i..]).all(|(a, b)| *a == b.stem)
            })
        });
        if let Some(&(g, m)) = matched {
            let n = synonyms.groups[g][m].len();
            let mut alts = vec![synonyms.groups[g][m].clone()];
            alts.extend(
                synonyms.groups[g]
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k != m)
                    .map(|(_, a)| a.clone()),
            );
            let surface = toks[i..i + n]
                .iter()
                .map(|t| t.surface.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            push_unique(
                &mut out,
                Slot {
                    surface,
                    alts,
                    corrected: None,
                    weight: 0.0,
                },
            );
            i += n;
            continue;
        }
        let t = &toks[i];
        if !is_stopword(&t.surface) {
            push_unique(
                &mut out,
                Slot {
                    surface: t.surface.clone(),
                    alts: vec![vec![t.stem.clone()]],
                    corrected: None,
                    weight: 0.0,
                },
            );
        }
        i += 1;
    }
    out
}

fn push_unique(out: &mut Vec<Slot>, slot: Slot) {
    if !out.iter().any(|s| s.alts[0] == slot.alts[0]) {
        out.push(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_of_letters_digits_and_apostrophes() {
        assert_eq!(word_count("can't   i do rhit-to-rhia in 2 yrs??"), 9);
        assert_eq!(word_count("¿qué es HIM?"), 3);
        assert_eq!(word_count(" ... !! "), 0);
    }

    #[test]
    fn the_parts_of_a_message_that_may_ask_its_question_alone() {
        let q = "i have chronic pain and can't commute much. can hit work be done from home?";
        assert_eq!(parts(q), ["can hit work be done from home?"]);
        assert_eq!(
            parts("been a tech 5 yrs! is the rhia worth it for me. "),
            ["is the rhia worth it for me."]
        );
        // A headline's question before its tagline, then the tagline.
        assert_eq!(
            parts("What Exactly Is Healthcare IT? A 30,000-Foot View Of It"),
            ["What Exactly Is Healthcare IT?", "A 30,000-Foot View Of It"]
        );
        // Questions last to first.
        assert_eq!(
            parts("Who are they? What do they do? And why do they matter?"),
            [
                "And why do they matter?",
                "What do they do?",
                "Who are they?"
            ]
        );
        // A title before its subtitle.
        assert_eq!(
            parts("RHIT Meaning: The Acronym Spelled Out"),
            ["RHIT Meaning"]
        );
        assert_eq!(
            parts("Epic vs. Cerner — A Nurse's Honest Comparison"),
            ["Epic vs. Cerner"]
        );
        // One sentence, a short last one, or a dot inside a word: none.
        assert!(parts("can i wfh?").is_empty());
        assert!(parts("i want to work in hit. any tips?").is_empty());
        assert!(parts("is a b.s. in him worth it").is_empty());
    }
}
