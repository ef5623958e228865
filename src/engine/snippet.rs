//! The best one to three sentences of a document for a question, as plain
//! text.

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::intent::{self, Want};
use super::query::Stems;

/// Snippets stop growing past this many characters.
const BUDGET: usize = 420;

/// A sentence whose embedding is closer to the question's than this cosine
/// counts as holding some of the question's weight even where it shares no
/// word with it ("onsite" and "physical access"): [`SEMANTIC_WEIGHT`] times
/// the heaviest word's weight per unit of cosine above the floor. Chosen on
/// the tuning sets as they stood before their content passes (EVAL.md).
const SEMANTIC_FLOOR: f32 = 0.5;
const SEMANTIC_WEIGHT: f32 = 8.0;

/// Markdown to plain sentences, as pulldown-cmark reads it: paragraphs,
/// headings, list items, code blocks and table rows (cells joined by
/// " — ") become units; emphasis, code ticks and link syntax go, their
/// text stays; units are split into sentences.
pub fn sentences(md: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut units: Vec<String> = Vec::new();
    let mut unit = String::new();
    let mut cells: Vec<String> = Vec::new();
    let flush = |unit: &mut String, units: &mut Vec<String>| {
        let t = unit.trim();
        if !t.is_empty() {
            units.push(t.to_string());
        }
        unit.clear();
    };
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::Item | Tag::CodeBlock(_))
            | Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock,
            ) => flush(&mut unit, &mut units),
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                flush(&mut unit, &mut units);
                cells.clear();
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                cells.retain(|c| !c.is_empty());
                if !cells.is_empty() {
                    units.push(cells.join(" — "));
                }
            }
            Event::End(TagEnd::TableCell) => {
                cells.push(unit.trim().to_string());
                unit.clear();
            }
            // Only a code block's text holds line breaks.
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                unit.push_str(&t.replace('\n', " "))
            }
            Event::SoftBreak | Event::HardBreak => unit.push(' '),
            _ => {}
        }
    }
    flush(&mut unit, &mut units);
    units
        .iter()
        .flat_map(|u| split_sentences(u))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Words a full stop follows without ending a sentence.
pub(super) const ABBREVIATIONS: &[&str] = &[
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
/// counts as holding the question's heaviest word once more, and one close
/// in meaning to the question (`embedding`) gets a share of it too.
/// `stems` are the question's stems with their weights; `words` and `known`
/// analyse the text as the index does (see [`Stems`]).
pub fn best(
    words: &mut TextAnalyzer,
    known: &Stems,
    body: &str,
    is_entry: bool,
    want: Option<Want>,
    stems: &[(&str, f32)],
    embedding: Option<&[f32]>,
) -> String {
    let sents = sentences(body);
    if sents.is_empty() {
        return String::new();
    }
    // Per sentence: the weight of the distinct stems matched.
    let mut seen: Vec<(&str, f32)> = Vec::new();
    let mut stem = String::new();
    let heaviest = stems.iter().map(|&(_, w)| w).fold(0.0, f32::max);
    let scores: Vec<f32> = sents
        .iter()
        .map(|s| {
            seen.clear();
            let mut ts = words.token_stream(s);
            while ts.advance() {
                known.stem_into(&ts.token().text, &mut stem);
                if let Some(&stem) = stems.iter().find(|(q, _)| *q == stem)
                    && !seen.contains(&stem)
                {
                    seen.push(stem);
                }
            }
            // Summed in one order whatever the sentence's word order, so
            // sentences matching the same stems tie exactly and the earlier
            // one wins, instead of float rounding picking one.
            seen.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let fact = want.is_some_and(|w| w.answered_by(intent::facts(s)));
            let sem = embedding.map_or(0.0, |e| {
                let v = crate::embed::Embedder::shipped().embed(s);
                let cos: f32 = v.iter().zip(e).map(|(a, b)| a * b).sum();
                (cos - SEMANTIC_FLOOR).max(0.0) * SEMANTIC_WEIGHT * heaviest
            });
            seen.iter().map(|&(_, w)| w).sum::<f32>() + if fact { heaviest } else { 0.0 } + sem
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
            &[("sql", 1.0)],
            None,
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
        let s = best(
            &mut a,
            &Stems::default(),
            &body,
            false,
            None,
            &[("alpha", 6e-8), ("beta", 6e-8), ("gamma", 1.0)],
            None,
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
            &[("top", 1.0), ("10", 1.0)],
            None,
        );
        assert!(s.starts_with("The top 10 percent earn over $78,000"), "{s}");
    }

    #[test]
    fn the_sentence_closest_in_meaning_leads_among_equal_word_matches() {
        let mut a = crate::index::words_analyzer();
        // Long enough together that only one of the two fits the budget.
        let body = "Most employers post their openings on their own web site, and many of them \
                    also list the same openings on the large national job boards, on regional \
                    health system career pages, in professional newsletters, through staffing \
                    agencies, on hospital notice boards and in the alumni groups of nearby \
                    colleges, and at local college career fairs each spring and autumn. \
                    Some roles, such as implementation, have to be done on site at the hospital.";
        let question = crate::embed::Embedder::shipped().embed("which roles have to be on site");
        // Only "site" counts as a word match here, and both sentences hold it.
        let mut pick = |embedding: Option<&[f32]>| {
            best(
                &mut a,
                &Stems::default(),
                body,
                false,
                None,
                &[("site", 1.0)],
                embedding,
            )
        };
        let (plain, close) = (pick(None), pick(Some(question.as_slice())));
        assert!(plain.starts_with("Most employers"));
        assert!(close.starts_with("Some roles"));
    }

    #[test]
    fn markdown_is_read_as_markdown() {
        let md = "**RHIT**: an [AHIMA](https://x) exam\n\n*Pay* and `SQL` and _this_ one\n\n[sic] 5 * 3 = 15, snake_case stays\n\nAT&amp;T \\*literal\\*\n\n> Quoted\n\n~~~\nCode stays\n~~~\n\n| Level | Pay |\n|---|---|\n| Entry | $40k |\n";
        assert_eq!(
            sentences(md),
            vec![
                "RHIT: an AHIMA exam",
                "Pay and SQL and this one",
                "[sic] 5 * 3 = 15, snake_case stays",
                "AT&T *literal*",
                "Quoted",
                "Code stays",
                "Level — Pay",
                "Entry — $40k",
            ]
        );
    }
}
