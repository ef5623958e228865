//! The best one to three sentences of a document for a question, as plain
//! text.

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::intent::{self, Want};
use super::query::Stems;

/// Snippets stop growing past this many characters.
const BUDGET: usize = 420;

/// Markdown to plain sentences: list items, table rows and paragraphs become
/// units; emphasis and link syntax go; units are split into sentences.
pub fn sentences(md: &str) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    let mut para = String::new();
    let flush = |para: &mut String, units: &mut Vec<String>| {
        if !para.trim().is_empty() {
            units.push(std::mem::take(para).trim().to_string());
        }
        para.clear();
    };
    for line in md.lines() {
        let t = line.trim();
        let item = strip_list_marker(t);
        if t.is_empty()
            || t.starts_with('#')
            || t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
        {
            flush(&mut para, &mut units);
            if let Some(h) = t.strip_prefix('#') {
                let h = h.trim_start_matches('#').trim();
                if !h.is_empty() {
                    units.push(h.to_string());
                }
            }
        } else if let Some(item) = item {
            flush(&mut para, &mut units);
            para.push_str(item);
        } else if t.starts_with('|') {
            flush(&mut para, &mut units);
            let cells: Vec<&str> = t
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            units.push(cells.join(" — "));
        } else {
            if !para.is_empty() {
                para.push(' ');
            }
            para.push_str(t);
        }
    }
    flush(&mut para, &mut units);
    units
        .iter()
        .map(|u| strip_inline(u))
        .flat_map(|u| split_sentences(&u))
        .filter(|s| !s.is_empty())
        .collect()
}

fn strip_list_marker(t: &str) -> Option<&str> {
    for m in ["- ", "* ", "+ ", "• "] {
        if let Some(r) = t.strip_prefix(m) {
            return Some(r.trim());
        }
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < 3 {
        let rest = &t[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(r.trim());
        }
    }
    None
}

/// The text of one unit's inline Markdown, as pulldown-cmark reads it:
/// emphasis markers, code ticks, link and image syntax go, their text
/// stays; a `*` or `[` that marks nothing stays too, as do escapes'
/// characters and entities' meanings.
fn strip_inline(s: &str) -> String {
    use pulldown_cmark::{Event, Parser};
    let mut out = String::with_capacity(s.len());
    for event in Parser::new(&literal_start(s)) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    out
}

/// `s` with a backslash before what would make its start a block rather
/// than text ("2019. A year", "> quote", "# tag", "- item", a code fence,
/// an HTML block): a unit is one paragraph's, item's or cell's text.
fn literal_start(s: &str) -> std::borrow::Cow<'_, str> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let hashes = s.bytes().take_while(|&b| b == b'#').count();
    let spaced = |rest: &str| rest.is_empty() || rest.starts_with(char::is_whitespace);
    let at = if digits > 0 {
        s[digits..].starts_with(['.', ')']).then_some(digits)
    } else if (1..=6).contains(&hashes) {
        spaced(&s[hashes..]).then_some(0)
    } else if s.starts_with(['-', '+', '*']) {
        spaced(&s[1..]).then_some(0)
    } else {
        (s.starts_with(['>', '<']) || s.starts_with("```") || s.starts_with("~~~")).then_some(0)
    };
    match at {
        Some(i) => format!("{}\\{}", &s[..i], &s[i..]).into(),
        None => s.into(),
    }
}

const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "u.s", "vs", "etc", "dr", "st", "approx", "inc", "jr", "sr",
];

/// Splits at `.`, `!` or `?` followed by a space and a capital, digit, `$` or quote,
/// unless the word before is a known abbreviation.
fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = text.as_bytes();
    for i in 0..b.len() {
        if !matches!(b[i], b'.' | b'!' | b'?') || i + 2 >= b.len() || b[i + 1] != b' ' {
            continue;
        }
        let next = text[i + 2..].chars().next().unwrap_or(' ');
        if !(next.is_uppercase()
            || next.is_ascii_digit()
            || matches!(next, '$' | '"' | '(' | '“' | '£' | '€'))
        {
            continue;
        }
        let word = text[start..i]
            .rsplit(' ')
            .next()
            .unwrap_or("")
            .to_lowercase();
        if b[i] == b'.'
            // "No. 5" abbreviates "number"; "No. HIT programs ..." is an answer.
            && ((word == "no" && next.is_ascii_digit())
                || ABBREVIATIONS.contains(&word.as_str())
                || (word.len() == 1 && word.chars().all(char::is_alphabetic)))
        {
            continue;
        }
        out.push(text[start..=i].trim().to_string());
        start = i + 2;
    }
    if start < text.len() {
        out.push(text[start..].trim().to_string());
    }
    out
}

/// Picks the sentences that answer best. For FAQ entries the first sentence is
/// the direct answer and always leads; then the sentences holding the most
/// question weight, in document order, within [`BUDGET`]. A sentence holding
/// the kind of fact the question asks for (`want`: a figure, a time frame)
/// counts as holding the question's heaviest word once more. `words` and
/// `known` analyse the text as the index does (see [`Stems`]).
pub fn best(
    words: &mut TextAnalyzer,
    known: &Stems,
    body: &str,
    is_entry: bool,
    want: Option<Want>,
    stems: &[&str],
    weight_of: impl Fn(&str) -> f32,
) -> String {
    let sents = sentences(body);
    if sents.is_empty() {
        return String::new();
    }
    // Per sentence: the weight of the distinct stems matched.
    let mut seen: Vec<&str> = Vec::new();
    let mut stem = String::new();
    let heaviest = stems.iter().map(|s| weight_of(s)).fold(0.0, f32::max);
    let scores: Vec<f32> = sents
        .iter()
        .map(|s| {
            seen.clear();
            let mut ts = words.token_stream(s);
            while ts.advance() {
                known.stem_into(&ts.token().text, &mut stem);
                if let Some(&stem) = stems.iter().find(|q| **q == stem)
                    && !seen.contains(&stem)
                {
                    seen.push(stem);
                }
            }
            // Summed in one order whatever the sentence's word order, so
            // sentences matching the same stems tie exactly and the earlier
            // one wins, instead of float rounding picking one.
            seen.sort_unstable();
            let fact = want.is_some_and(|w| w.answered_by(intent::facts(s)));
            seen.iter().map(|s| weight_of(s)).sum::<f32>() + if fact { heaviest } else { 0.0 }
        })
        .collect();
    let mut order: Vec<usize> = (0..sents.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut chosen: Vec<usize> = Vec::new();
    let mut len = 0;
    let first = if is_entry { 0 } else { order[0] };
    chosen.push(first);
    len += sents[first].len();
    // A bare "No." or "Yes." needs the sentence that explains it.
    if is_entry && len < 40 && sents.len() > 1 {
        chosen.push(1);
        len += sents[1].len();
    }
    for &i in &order {
        if chosen.len() >= 3 || chosen.contains(&i) || scores[i] <= 0.0 {
            continue;
        }
        if len + sents[i].len() > BUDGET {
            continue;
        }
        chosen.push(i);
        len += sents[i].len();
    }
    // A lone short sentence reads better with the one after it.
    if chosen.len() == 1
        && len < 160
        && first + 1 < sents.len()
        && len + sents[first + 1].len() <= BUDGET
    {
        chosen.push(first + 1);
    }
    chosen.sort_unstable();
    chosen
        .iter()
        .map(|&i| sents[i].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_lists_and_keep_abbreviations() {
        let s = sentences(
            "No. HIT programs teach it, e.g. EHR use.\n\n- **RHIT**: an [AHIMA](https://x) exam.\n- Second item\n",
        );
        assert_eq!(
            s,
            vec![
                "No.",
                "HIT programs teach it, e.g. EHR use.",
                "RHIT: an AHIMA exam.",
                "Second item"
            ]
        );
    }

    #[test]
    fn entries_lead_with_the_direct_answer() {
        let mut a = crate::index::words_analyzer();
        let body = "No. Programs teach the tech you need. SQL helps analysts later. Unrelated filler sentence here.";
        let s = best(
            &mut a,
            &Stems::default(),
            body,
            true,
            None,
            &["sql"],
            |_| 1.0,
        );
        assert_eq!(
            s,
            "No. Programs teach the tech you need. SQL helps analysts later."
        );
    }

    #[test]
    fn sentences_matching_the_same_words_tie_and_the_earlier_one_leads() {
        let mut a = crate::index::words_analyzer();
        let filler = "and then some filler words ".repeat(10);
        // Summed in match order, 1 + tiny + tiny and tiny + tiny + 1 differ
        // in the last bit of an f32; they must not.
        let body = format!("Alpha beta gamma {filler}here. Gamma alpha beta {filler}there.");
        let weight = |s: &str| if s == "gamma" { 1.0 } else { 6e-8 };
        let s = best(
            &mut a,
            &Stems::default(),
            &body,
            false,
            None,
            &["alpha", "beta", "gamma"],
            weight,
        );
        assert!(s.starts_with("Alpha beta gamma"), "{s}");
        assert!(!s.contains("there."), "{s}");
    }

    #[test]
    fn sections_lead_with_their_best_sentence() {
        let mut a = crate::index::words_analyzer();
        let body = "Pay varies. The top 10 percent earn over $78,000 a year. Growth is 8 percent.";
        let s = best(
            &mut a,
            &Stems::default(),
            body,
            false,
            None,
            &["top", "10"],
            |_| 1.0,
        );
        assert!(s.starts_with("The top 10 percent earn over $78,000"), "{s}");
    }

    #[test]
    fn inline_markdown_keeps_what_marks_nothing() {
        for (md, text) in [
            (
                "**RHIT**: an [AHIMA](https://x) exam",
                "RHIT: an AHIMA exam",
            ),
            ("*Pay* and `SQL` and _this_ one", "Pay and SQL and this one"),
            (
                "[sic] 5 * 3 = 15, snake_case stays",
                "[sic] 5 * 3 = 15, snake_case stays",
            ),
            ("2019. The year", "2019. The year"),
            ("> quoted", "> quoted"),
            ("# not a heading", "# not a heading"),
            ("**Bold** start", "Bold start"),
            ("--- dashes", "--- dashes"),
            ("AT&amp;T \\*literal\\*", "AT&T *literal*"),
        ] {
            assert_eq!(strip_inline(md), text, "{md}");
        }
    }
}
