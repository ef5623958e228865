//! Citation rules for entries, checked across files (`careerbot check`):
//!
//! 1. a guide an answer names in its text is among its cited sources;
//! 2. every cited section is a heading of that guide's restatement under
//!    `guides/` (case-insensitive, a trailing guide label such as
//!    "(Qualora, 2026)" ignored);
//! 3. a superlative in the answer's first sentence ("the most", "fastest",
//!    ...) is a warning unless a cited section says it too.

use super::diag::{Diagnostic, Diagnostics, closest};
use super::{Cite, Corpus, Entry, Heading, Outline, Source};
use std::collections::HashMap;

/// Words that rank: a first sentence using one claims more than a list
/// does. Each with the words that make the same claim in a guide's text
/// (a restatement in our own words may say "biggest" for "largest").
pub const SUPERLATIVES: &[(&str, &[&str])] = &[
    ("the most", &["the most"]),
    ("the best", &["the best"]),
    ("fastest", &["fastest"]),
    ("the only", &["the only"]),
    ("the biggest", &["the biggest", "the largest"]),
    ("the highest", &["the highest"]),
    ("the largest", &["the largest", "the biggest"]),
];

pub fn check(c: &Corpus, diags: &mut Diagnostics) {
    let sections = Sections::new(c);
    for e in &c.entries {
        names_are_cited(c, e, diags);
        for cite in &e.cites {
            let Some(source) = c.sources.get(&cite.source) else {
                continue; // reported as an unknown source
            };
            section_exists(e, cite, source, &sections, diags);
        }
        superlatives_are_sourced(c, e, &sections, diags);
    }
}

/// Every heading of the guides' restatements, found by its last part
/// (normalized once): resolving a cite is a hash lookup, not a scan of
/// every heading, which made indexing quadratic in the corpus size.
pub struct Sections<'a> {
    outlines: HashMap<&'a str, Vec<&'a Outline>>,
    /// (source key, last part) → each heading with its normalized path,
    /// in outline and heading order.
    by_last: HashMap<(&'a str, String), Vec<NormalizedHeading<'a>>>,
}

/// A heading with each part of its path normalized ([`normalize_heading`]).
type NormalizedHeading<'a> = (&'a Heading, Vec<String>);

impl<'a> Sections<'a> {
    pub fn new(c: &'a Corpus) -> Sections<'a> {
        let mut outlines: HashMap<&str, Vec<&Outline>> = HashMap::new();
        let mut by_last: HashMap<_, Vec<_>> = HashMap::new();
        for o in &c.outlines {
            outlines.entry(o.source.as_str()).or_default().push(o);
            let Some(source) = c.sources.get(&o.source) else {
                continue;
            };
            for h in &o.headings {
                let path: Vec<String> = h
                    .path
                    .iter()
                    .map(|p| normalize_heading(source, p))
                    .collect();
                if let Some(last) = path.last() {
                    by_last
                        .entry((o.source.as_str(), last.clone()))
                        .or_default()
                        .push((h, path));
                }
            }
        }
        Sections { outlines, by_last }
    }

    /// The restatement files of the guide `key`.
    pub fn outlines(&self, key: &str) -> &[&'a Outline] {
        self.outlines.get(key).map_or(&[], Vec::as_slice)
    }

    /// The restatement headings a cite of guide `key` names (several when
    /// it is ambiguous): `section` is a heading, or the end of a heading
    /// path joined by "›".
    pub fn resolve(&self, source: &Source, key: &str, section: &str) -> Vec<&'a Heading> {
        let want: Vec<String> = section
            .split('›')
            .map(|s| normalize_heading(source, s))
            .collect();
        let Some(last) = want.last() else {
            return Vec::new();
        };
        self.by_last
            .get(&(key, last.clone()))
            .into_iter()
            .flatten()
            .filter(|(_, path)| path.ends_with(&want))
            .map(|&(h, _)| h)
            .collect()
    }
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

fn section_exists(
    e: &Entry,
    cite: &Cite,
    source: &Source,
    sections: &Sections,
    diags: &mut Diagnostics,
) {
    let file = format!("guides/{}.md", cite.source);
    let outlines = sections.outlines(&cite.source);
    if outlines.is_empty() {
        diags.push(
            Diagnostic::error(
                &e.path,
                cite.line,
                format!("`{}` has no restatement under guides/", cite.source),
            )
            .with_hint(format!(
                "add `{file}`, the guide restated section by section, so its sections can be cited"
            )),
        );
        return;
    }
    if !sections
        .resolve(source, &cite.source, &cite.section)
        .is_empty()
    {
        return;
    }
    let file = match outlines {
        [one] => one
            .path
            .file_name()
            .map_or(file, |f| format!("guides/{}", f.to_string_lossy())),
        _ => file,
    };
    let d = Diagnostic::error(
        &e.path,
        cite.line,
        format!(
            "section `{}` is not a heading of {} ({file})",
            cite.section,
            source.label()
        ),
    );
    let hint = if cite.section.contains(';') {
        "one section per cite: `cites = [{ source = \"...\", section = \"...\" }, ...]`".to_string()
    } else {
        match did_you_mean(source, outlines, &cite.section) {
            Some(h) => format!("did you mean `{h}`?"),
            None => format!("cite a heading of {file} as written there"),
        }
    };
    diags.push(d.with_hint(hint));
}

/// The heading closest in spelling, else the one sharing the most words.
fn did_you_mean<'a>(source: &Source, outlines: &[&'a Outline], section: &str) -> Option<&'a str> {
    let last = |h: &'a Heading| h.path.last().map_or("", String::as_str);
    let heads: Vec<&Heading> = outlines.iter().flat_map(|o| &o.headings).collect();
    let want = normalize_heading(source, section.rsplit('›').next().unwrap_or(section));
    let normalized: Vec<String> = heads
        .iter()
        .map(|h| normalize_heading(source, last(h)))
        .collect();
    if let Some(n) = closest(&want, normalized.iter().map(String::as_str)) {
        let i = normalized.iter().position(|x| x == n)?;
        return Some(last(heads[i]));
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2)
            .map(str::to_string)
            .collect()
    };
    let want = words(&want);
    heads
        .iter()
        .zip(&normalized)
        .map(|(h, n)| {
            let have = words(n);
            let shared = want.iter().filter(|w| have.contains(w)).count();
            (shared, std::cmp::Reverse(have.len()), *h)
        })
        .filter(|(shared, ..)| *shared > 0)
        .max_by_key(|(shared, len, _)| (*shared, *len))
        .map(|(.., h)| last(h))
}

/// Rule 1: "Himalayas" in the text of an answer that does not cite it.
fn names_are_cited(c: &Corpus, e: &Entry, diags: &mut Diagnostics) {
    let body = fold(&e.body);
    for (key, source) in &c.sources {
        if e.sources.contains(key) {
            continue;
        }
        let first = source
            .names()
            .filter_map(|name| find_words(&body, &fold(name)).map(|at| (at, name.len())))
            .min();
        if let Some((at, len)) = first {
            let named = &e.body[at..at + len];
            diags.push(
                Diagnostic::error(
                    &e.path,
                    body_line(e, at),
                    format!("the answer names \"{named}\" but does not cite `{key}`"),
                )
                .with_hint(format!(
                    "add `{{ source = \"{key}\", section = \"...\" }}` to `cites`, naming the section the claim comes from"
                )),
            );
        }
    }
}

/// Rule 3: a superlative opening that no cited section makes.
fn superlatives_are_sourced(c: &Corpus, e: &Entry, sections: &Sections, diags: &mut Diagnostics) {
    let first = fold(&e.body[..first_sentence_end(&e.body)]);
    let mut found: Vec<(usize, &str, &[&str])> = SUPERLATIVES
        .iter()
        .filter_map(|&(s, same)| find_words(&first, s).map(|at| (at, s, same)))
        .collect();
    if found.is_empty() {
        return;
    }
    found.sort();
    let cited: Vec<String> = e
        .cites
        .iter()
        .filter_map(|cite| {
            let source = c.sources.get(&cite.source)?;
            Some(
                sections
                    .resolve(source, &cite.source, &cite.section)
                    .into_iter()
                    .map(|h| fold(&section_text(c, &cite.source, h)))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();
    for (at, word, same) in found {
        if cited
            .iter()
            .any(|t| same.iter().any(|w| find_words(t, w).is_some()))
        {
            continue;
        }
        diags.push(
            Diagnostic::warning(
                &e.path,
                body_line(e, at),
                format!("the first sentence says \"{word}\", which no cited section says"),
            )
            .with_hint(
                "say it as the guide does (a list is not a ranking), or cite the section that makes the claim",
            ),
        );
    }
}

/// A heading's own text, its subsections' and the heading itself.
fn section_text(c: &Corpus, source: &str, h: &Heading) -> String {
    let mut text = h.path.last().cloned().unwrap_or_default();
    for s in c
        .sections
        .iter()
        .filter(|s| s.source == source && s.headings.starts_with(&h.path))
    {
        text.push('\n');
        text.push_str(&s.headings.join("\n"));
        text.push('\n');
        text.push_str(&s.body);
    }
    text
}

fn body_line(e: &Entry, at: usize) -> usize {
    e.body_line + e.body[..at].matches('\n').count()
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

const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "u.s", "vs", "etc", "dr", "st", "approx", "inc", "jr", "sr",
];

/// Where the answer's first sentence ends: at `.`, `!` or `?` followed by
/// a space and a capital, digit, `$` or quote (not after an abbreviation),
/// or where its first paragraph or line of a list ends.
pub fn first_sentence_end(body: &str) -> usize {
    let b = body.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'\n' => {
                let rest = body[i + 1..].trim_start_matches([' ', '\t']);
                let block = rest.starts_with(['\n', '-', '*', '+', '|', '#'])
                    || rest.bytes().next().is_some_and(|c| c.is_ascii_digit())
                        && rest
                            .trim_start_matches(|c: char| c.is_ascii_digit())
                            .starts_with(". ");
                if block {
                    return i;
                }
            }
            b'.' | b'!' | b'?' => {
                let after = &body[i + 1..];
                let next = after.trim_start_matches(['*', '_', ')']);
                let spaced = next.starts_with([' ', '\n']);
                let starts = next.trim_start().chars().next().is_some_and(|c| {
                    c.is_uppercase() || c.is_ascii_digit() || matches!(c, '$' | '"' | '“' | '*')
                });
                let word = body[..i]
                    .rsplit(|c: char| c.is_whitespace() || c == '(')
                    .next()
                    .unwrap_or("")
                    .trim_start_matches(['*', '_'])
                    .to_ascii_lowercase();
                if spaced && starts && !ABBREVIATIONS.contains(&word.as_str()) {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    body.len()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::corpus::{Diagnostics, data, markdown};

    const SOURCES: &str = "[g]\ntitle = \"Guide G\"\npublisher = \"Gee Press\"\ndate = \"2024\"\nlabel = \"G 2024\"\n\n[h]\ntitle = \"Other Guide\"\npublisher = \"Aitch Ltd\"\ndate = \"2019\"\naliases = [\"the 2019 guide\"]\n";
    const GUIDE: &str = "+++\nsource = \"g\"\n+++\n# Guide G (G, 2024)\n\n## Pay\n\nMedian pay is $40,000. Hospitals are the biggest payers.\n\n### By level\n\nEntry pays less.\n\n## Outlook\n\nJobs grow 8 percent.\n";

    /// `check` on one entry (its front matter's `cites` lines, then its body).
    fn check_entry(cites: &str, body: &str) -> Vec<String> {
        let mut d = Diagnostics::default();
        let sources = data::parse_sources(Path::new("sources.toml"), SOURCES, &mut d);
        let (sections, outline) =
            markdown::parse_guide(Path::new("guides/g.md"), GUIDE, &mut d).unwrap();
        let text =
            format!("+++\nid = \"e\"\nquestion = \"Q?\"\naliases = [\"q\"]\n{cites}+++\n{body}\n");
        let e = markdown::parse_entry(Path::new("entries/e.md"), &text, &mut d).unwrap();
        assert!(d.0.is_empty(), "{d}");
        let c = Corpus {
            sources,
            entries: vec![e],
            sections,
            outlines: vec![outline],
            ..Corpus::default()
        };
        check(&c, &mut d);
        d.0.iter().map(ToString::to_string).collect()
    }

    const PAY: &str = "source = \"g\"\nsection = \"Pay\"\n";

    #[test]
    fn a_guide_named_in_the_answer_must_be_cited() {
        assert_eq!(
            check_entry(PAY, "About $40,000.\n\nThe 2019 guide gave less."),
            vec![
                "entries/e.md:10: error: the answer names \"The 2019 guide\" but does not cite `h`\n  hint: add `{ source = \"h\", section = \"...\" }` to `cites`, naming the section the claim comes from"
            ]
        );
        // Its title and publisher count too, in any case; a cited guide may be named.
        let d = check_entry(
            PAY,
            "About $40,000 (AITCH LTD says less; Gee Press agrees).",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].starts_with(
            "entries/e.md:8: error: the answer names \"AITCH LTD\" but does not cite `h`"
        ));
        // Only whole words: "Aitchison" names nothing.
        assert!(check_entry(PAY, "Aitchison Guide Gx says so.").is_empty());
    }

    #[test]
    fn a_cited_section_must_be_a_heading_of_the_restatement() {
        assert_eq!(
            check_entry("source = \"g\"\nsection = \"Outlok\"\n", "Growing."),
            vec![
                "entries/e.md:6: error: section `Outlok` is not a heading of G 2024 (guides/g.md)\n  hint: did you mean `Outlook`?"
            ]
        );
        assert_eq!(
            check_entry("source = \"g\"\nsection = \"Pay; Outlook\"\n", "Growing."),
            vec![
                "entries/e.md:6: error: section `Pay; Outlook` is not a heading of G 2024 (guides/g.md)\n  hint: one section per cite: `cites = [{ source = \"...\", section = \"...\" }, ...]`"
            ]
        );
        // Each cite at its own line; a guide without a restatement says so.
        assert_eq!(
            check_entry(
                "cites = [\n  { source = \"g\", section = \"Pay\" },\n  { source = \"h\", section = \"Pay\" },\n]\n",
                "About $40,000."
            ),
            vec![
                "entries/e.md:7: error: `h` has no restatement under guides/\n  hint: add `guides/h.md`, the guide restated section by section, so its sections can be cited"
            ]
        );
        // Case, a heading with no text of its own, the title without its
        // guide label, and a heading path all resolve.
        for section in ["by LEVEL", "Guide G", "Guide G (G, 2024)", "Pay › By level"] {
            let cite = format!("source = \"g\"\nsection = \"{section}\"\n");
            assert!(check_entry(&cite, "Less.").is_empty(), "{section}");
        }
        let d = check_entry(
            "source = \"g\"\nsection = \"Outlook › By level\"\n",
            "Less.",
        );
        assert!(d[0].contains("is not a heading of G 2024"), "{d:?}");
    }

    #[test]
    fn a_superlative_opening_is_a_warning_unless_a_cited_section_makes_it() {
        assert_eq!(
            check_entry(
                "source = \"g\"\nsection = \"Outlook\"\n",
                "Growth is the fastest in years.\nJobs grow 8 percent."
            ),
            vec![
                "entries/e.md:8: warning: the first sentence says \"fastest\", which no cited section says\n  hint: say it as the guide does (a list is not a ranking), or cite the section that makes the claim"
            ]
        );
        // "Pay" says "the biggest": the same claim as "the largest". Its
        // subsection counts as part of it.
        assert!(check_entry(PAY, "Hospitals are the largest payers.").is_empty());
        // Only the first sentence is held to it.
        assert!(
            check_entry(
                "source = \"g\"\nsection = \"Outlook\"\n",
                "Jobs grow 8 percent in the U.S. today. It is the best field."
            )
            .is_empty()
        );
    }

    #[test]
    fn the_first_sentence_ends_at_a_full_stop_a_paragraph_or_a_list() {
        fn first(s: &str) -> &str {
            &s[..first_sentence_end(s)]
        }
        assert_eq!(
            first("Yes, in the U.S. too. Then more."),
            "Yes, in the U.S. too."
        );
        assert_eq!(first("$47.5k a year! More."), "$47.5k a year!");
        assert_eq!(first("A list:\n- one. Two"), "A list:");
        assert_eq!(first("One line\n\nNext paragraph."), "One line");
        assert_eq!(first("no end"), "no end");
    }
}
