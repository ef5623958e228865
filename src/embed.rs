//! Sentence embeddings from a static model: each WordPiece token has one
//! vector, and a text's embedding is the mean of its tokens' vectors,
//! normalised. No network, no inference runtime: the table ships inside the
//! binary (`models/hit-static/`, see its README for where it comes from), and
//! embedding a question costs a few microseconds.
//!
//! The model was distilled offline from all-MiniLM-L6-v2 (a sentence
//! transformer): each token's vector started as MiniLM's output for that
//! token alone and was then trained so that the mean over a sentence's tokens
//! points where MiniLM's own embedding of the sentence points. Cosine
//! similarity between two embeddings then says how close two phrasings are
//! in meaning even when they share no word.

use std::collections::HashMap;
use std::sync::OnceLock;

use anyhow::{Context, Result, ensure};
use safetensors::{Dtype, SafeTensors};

static MODEL: &[u8] = include_bytes!("../models/hit-static/model.safetensors");
/// Names the shipped model; index generations embedded with another are
/// rebuilt. Change it with the model (a test holds it to the file's hash).
pub const MODEL_ID: &str = "hit-static-2 sha256:4dcf5c6048716959";
static VOCAB: &str = include_str!("../models/hit-static/vocab.txt");

/// Words longer than this many characters are one unknown token (as BERT's
/// WordPiece does).
const MAX_WORD_CHARS: usize = 100;
const UNKNOWN: &str = "[UNK]";

/// A static embedding model: a vocabulary and one int8 vector per token.
pub struct Embedder {
    vocab: HashMap<&'static str, u32>,
    unknown: Option<u32>,
    dims: usize,
    /// Row `t` is token `t`'s vector, scaled by `scales[t]`.
    table: &'static [i8],
    scales: Vec<f32>,
}

impl Embedder {
    /// The model shipped with careerbot, loaded on first use.
    pub fn shipped() -> &'static Embedder {
        static SHIPPED: OnceLock<Embedder> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            Embedder::from_parts(MODEL, VOCAB).expect("the shipped embedding model is valid")
        })
    }

    /// A model from its safetensors file (`embeddings`: int8 `[tokens,
    /// dims]`, `scales`: f32 `[tokens]`) and its vocabulary (a token a line,
    /// in id order).
    pub fn from_parts(model: &'static [u8], vocab: &'static str) -> Result<Embedder> {
        let st = SafeTensors::deserialize(model).context("unreadable embedding model")?;
        let emb = st.tensor("embeddings").context("no `embeddings` tensor")?;
        let sc = st.tensor("scales").context("no `scales` tensor")?;
        ensure!(
            emb.dtype() == Dtype::I8 && sc.dtype() == Dtype::F32,
            "unexpected dtypes"
        );
        let [tokens, dims] = emb.shape() else {
            anyhow::bail!("`embeddings` is not a matrix");
        };
        let (tokens, dims) = (*tokens, *dims);
        ensure!(
            sc.shape() == [tokens],
            "`scales` does not match `embeddings`"
        );
        let vocab: HashMap<&'static str, u32> = vocab.lines().zip(0..).collect();
        ensure!(
            vocab.len() == tokens,
            "the vocabulary does not match the model"
        );
        let data: &'static [u8] = emb.data();
        // SAFETY: i8 and u8 have the same size and alignment.
        let table = unsafe { std::slice::from_raw_parts(data.as_ptr().cast::<i8>(), data.len()) };
        let scales = sc
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(Embedder {
            unknown: vocab.get(UNKNOWN).copied(),
            vocab,
            dims,
            table,
            scales,
        })
    }

    /// Whether `word` (lowercase) is a whole word of the model's
    /// vocabulary: an English word or a common name, not a typo.
    pub fn is_word(&self, word: &str) -> bool {
        self.vocab.contains_key(word)
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The token ids of `text`, as BERT's uncased WordPiece tokenizer gives
    /// them (no special tokens).
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        let mut word = String::new();
        for w in pre_tokenize(&normalize(text)) {
            word.clear();
            word.push_str(w);
            self.word_pieces(&word, &mut ids);
        }
        ids
    }

    /// Greedy longest-match-first WordPiece; a word with a piece that is not
    /// in the vocabulary is one unknown token.
    fn word_pieces(&self, word: &str, out: &mut Vec<u32>) {
        if word.chars().count() > MAX_WORD_CHARS {
            out.extend(self.unknown);
            return;
        }
        let start_len = out.len();
        let mut piece = String::new();
        let mut start = 0;
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while start < end {
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.push_str(&word[start..end]);
                if let Some(&id) = self.vocab.get(piece.as_str()) {
                    found = Some(id);
                    break;
                }
                end = word[..end].char_indices().next_back().map_or(0, |(i, _)| i);
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(start_len);
                    out.extend(self.unknown);
                    return;
                }
            }
        }
    }

    /// The normalised embedding of `text`; all zeros when no token of it is
    /// known (its cosine with anything is then 0).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0.0; self.dims];
        let mut n = 0;
        for id in self.token_ids(text) {
            if Some(id) == self.unknown {
                continue;
            }
            let row = &self.table[id as usize * self.dims..][..self.dims];
            let s = self.scales[id as usize];
            for (x, &q) in v.iter_mut().zip(row) {
                *x += s * f32::from(q);
            }
            n += 1;
        }
        if n > 0 {
            normalise(&mut v);
        }
        v
    }
}

/// Scales `v` to unit length (leaves a zero vector alone).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// BERT's normaliser for uncased models: control characters dropped,
/// whitespace made spaces, CJK ideographs set apart, lowercased, accents
/// stripped.
fn normalize(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_whitespace(c) {
            out.push(' ');
        } else if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out.nfd()
        .filter(|&c| !unicode_normalization::char::is_combining_mark(c))
        .collect()
}

/// BERT's pre-tokeniser: words split at whitespace, and each punctuation
/// character a word of its own.
fn pre_tokenize(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_whitespace).flat_map(|chunk| {
        let mut pieces = Vec::new();
        let mut start = 0;
        for (i, c) in chunk.char_indices() {
            if is_punctuation(c) {
                if start < i {
                    pieces.push(&chunk[start..i]);
                }
                pieces.push(&chunk[i..i + c.len_utf8()]);
                start = i + c.len_utf8();
            }
        }
        if start < chunk.len() {
            pieces.push(&chunk[start..]);
        }
        pieces
    })
}

fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r') || c.is_whitespace()
}

/// Control and format characters (Unicode categories Cc, Cf and private
/// use), which BERT's normaliser drops.
fn is_control(c: char) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    c.is_control()
        || matches!(c as u32,
            0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
            | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
            | 0xE000..=0xF8FF | 0xE0001 | 0xE0020..=0xE007F | 0xF0000..=0x10FFFF)
}

/// ASCII symbols count as punctuation (as in BERT); beyond ASCII, what is
/// neither a letter, a digit, a mark nor a space.
fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    !(c.is_alphanumeric()
        || c.is_whitespace()
        || unicode_normalization::char::is_combining_mark(c)
        || is_symbol(c))
}

/// Currency and other symbols BERT keeps inside words (Unicode category S).
fn is_symbol(c: char) -> bool {
    matches!(c as u32, 0x20A0..=0x20CF | 0x00A2..=0x00A9 | 0x00AC | 0x00AE..=0x00B1 | 0x00B4 | 0x00B8 | 0x00D7 | 0x00F7 | 0x2100..=0x214F | 0x2190..=0x23FF | 0x2500..=0x27BF | 0x1F000..=0x1FAFF)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Case {
        text: String,
        ids: Vec<u32>,
    }

    #[test]
    fn tokenizes_exactly_as_the_reference_wordpiece() {
        let cases = include_str!("../tests/fixtures/wordpiece.jsonl");
        let e = Embedder::shipped();
        let mut n = 0;
        for line in cases.lines() {
            let c: Case = serde_json::from_str(line).unwrap();
            assert_eq!(e.token_ids(&c.text), c.ids, "text {:?}", c.text);
            n += 1;
        }
        assert!(n > 100);
    }

    #[test]
    fn the_model_id_names_the_shipped_file() {
        use sha2::{Digest, Sha256};
        let hex: String = Sha256::digest(MODEL)
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            MODEL_ID.ends_with(&format!("sha256:{hex}")),
            "the model changed: set MODEL_ID to end with sha256:{hex}"
        );
    }

    #[test]
    fn paraphrases_are_closer_than_unrelated_text() {
        let e = Embedder::shipped();
        let cos = |a: &str, b: &str| -> f32 {
            e.embed(a).iter().zip(e.embed(b)).map(|(x, y)| x * y).sum()
        };
        let q = "can i work from home in health it";
        assert!(cos(q, "Are there remote HIT jobs?") > cos(q, "What does an RHIA earn?"));
    }

    #[test]
    fn text_without_known_tokens_embeds_to_zero() {
        let e = Embedder::shipped();
        assert!(e.embed("").iter().all(|&x| x == 0.0));
        assert!(e.embed("   \u{0}\u{fffd} ").iter().all(|&x| x == 0.0));
        let v = e.embed("salary");
        let norm: f32 = v.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4);
    }
}
