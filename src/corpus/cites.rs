//! Citations: which headings of a guide's restatement (`guides/*.md`) an
//! entry's cite names, matched case-insensitively, a trailing guide label
//! such as "(Qualora, 2026)" ignored.

use super::{Heading, Outline, Source};

/// The restatement headings a cite names (several when it is ambiguous).
pub fn resolve<'a>(source: &Source, outlines: &[&'a Outline], section: &str) -> Vec<&'a Heading> {
    let want: Vec<String> = section
        .split('›')
        .map(|s| normalize_heading(source, s))
        .collect();
    outlines
        .iter()
        .flat_map(|o| &o.headings)
        .filter(|h| {
            h.path.len() >= want.len()
                && h.path[h.path.len() - want.len()..]
                    .iter()
                    .zip(&want)
                    .all(|(have, want)| normalize_heading(source, have) == *want)
        })
        .collect()
}

/// Lowercase, single spaces, a trailing "(guide label)" dropped.
pub fn normalize_heading(source: &Source, heading: &str) -> String {
    strip_guide_label(source, heading)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// A heading without its trailing guide label: "Guide (Qualora, 2026)" is
/// "Guide".
pub fn strip_guide_label<'a>(source: &Source, heading: &'a str) -> &'a str {
    let h = heading.trim();
    match h.rfind('(') {
        Some(open) if h.ends_with(')') && is_guide_label(source, &h[open + 1..h.len() - 1]) => {
            h[..open].trim_end()
        }
        _ => h,
    }
}

/// "Qualora, 2026", "2019", "Himalayas": names the guide or its year.
fn is_guide_label(source: &Source, text: &str) -> bool {
    let text = fold(text);
    let year = source.date.get(..4).unwrap_or("");
    source
        .names()
        .map(fold)
        .chain(Some(year.to_string()))
        .any(|name| !name.is_empty() && find_words(&text, &name).is_some())
}

/// Lowercase (ASCII, so byte offsets stay put), dashes as spaces.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '-' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Byte offset of `needle` in `hay` as whole words (both folded).
fn find_words(hay: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    hay.match_indices(needle).map(|(at, _)| at).find(|&at| {
        !word(hay[..at].chars().next_back()) && !word(hay[at + needle.len()..].chars().next())
    })
}
