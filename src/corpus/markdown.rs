//! FAQ entries and guide files: `+++` TOML front matter over a Markdown body.
//! Pure functions over strings; no I/O.

use std::path::Path;

use toml::de::DeValue;

use super::diag::{Diagnostic, Diagnostics, closest};
use super::tomlx::{Fields, Table, TomlText, value};

/// One question-and-answer file under `faq/entries/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub question: String,
    pub aliases: Vec<String>,
    pub tags: Vec<String>,
    /// Every (guide, section) pair the answer relies on, in order.
    pub cites: Vec<Cite>,
    /// The cited guides, each once, in the order of `cites`.
    pub sources: Vec<String>,
    /// The answer, Markdown.
    pub body: String,
    /// Where it came from, for diagnostics: file and line of `id`.
    pub path: std::path::PathBuf,
    pub line: usize,
    /// File line of the body's first line (after trimming).
    pub body_line: usize,
}

/// One place an entry's answer comes from: a section of a restated guide.
#[derive(Debug, Clone, PartialEq)]
pub struct Cite {
    /// A key from `sources.toml`.
    pub source: String,
    /// A heading of that guide's restatement under `guides/`.
    pub section: String,
    /// File line of the cite (or of `section` in the shorthand).
    pub line: usize,
    /// File line of its source (the cite's, or that of `source`).
    pub source_line: usize,
}

/// One (sub)section of a restated guide: a passage the engine can cite.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Stable id: `<source>/<slug of each heading>`.
    pub id: String,
    pub source: String,
    /// Heading path from the `#` title down, e.g. ["Guide", "Salary", "By level"].
    pub headings: Vec<String>,
    pub body: String,
    pub path: std::path::PathBuf,
    pub line: usize,
}

/// The outline of one restated guide: every heading, with text or not,
/// so that entries can cite any of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    pub source: String,
    pub path: std::path::PathBuf,
    pub headings: Vec<Heading>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    /// From the `#` title down to this heading.
    pub path: Vec<String>,
    pub line: usize,
}

const ENTRY_KEYS: &[&str] = &[
    "id", "question", "aliases", "tags", "cites", "source", "section",
];
const CITE_KEYS: &[&str] = &["source", "section"];
const GUIDE_KEYS: &[&str] = &["source"];

/// Splits `+++` front matter from the body. Returns (front matter, its first
/// line number, body, body's first line number).
fn split_front_matter<'a>(
    path: &Path,
    text: &'a str,
    diags: &mut Diagnostics,
) -> Option<(&'a str, usize, &'a str, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "+++" {
        let hint = if first.trim_end() == "---" {
            "front matter is TOML between `+++` lines, not YAML between `---`"
        } else {
            "start the file with a line `+++`, the TOML keys, then another `+++`"
        };
        diags.push(Diagnostic::error(path, 1, "missing front matter").with_hint(hint));
        return None;
    }
    let fm_start = first.len();
    let mut offset = fm_start;
    for (line, l) in (2..).zip(lines) {
        if l.trim_end() == "+++" {
            let fm = &text[fm_start..offset];
            let body = &text[offset + l.len()..];
            return Some((fm, 2, body, line + 1));
        }
        offset += l.len();
    }
    diags.push(
        Diagnostic::error(path, 1, "front matter is not closed")
            .with_hint("add a line `+++` after the last key"),
    );
    None
}

pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Parses one FAQ entry file. Reports every problem; returns the entry only when
/// it is usable (required fields present and well-typed, body non-empty).
pub fn parse_entry(path: &Path, text: &str, diags: &mut Diagnostics) -> Option<Entry> {
    let (fm, fm_line, body, body_line) = split_front_matter(path, text, diags)?;
    let doc = TomlText::new(path, fm, fm_line);
    let table = doc.parse(diags)?;
    let f = Fields::new(&doc, &table, fm_line, "front matter");
    let before = diags.0.len();
    f.deny_unknown(ENTRY_KEYS, diags);
    let id = f.req_str("id", diags);
    let question = f.req_str("question", diags);
    let aliases = f.str_list("aliases", false, diags).unwrap_or_default();
    let tags = f.str_list("tags", false, diags).unwrap_or_default();
    let cites = if f.has("cites") {
        parse_cites(&doc, &f, diags)
    } else {
        shorthand_cites(&f, diags)
    };
    if let Some(id) = &id
        && !is_slug(id)
    {
        diags.push(
            Diagnostic::error(
                path,
                f.line_of_key("id"),
                format!("id `{id}` is not a slug"),
            )
            .with_hint("use lowercase letters, digits and dashes, e.g. `rhit-vs-rhia`"),
        );
    }
    if body.trim().is_empty() {
        diags.push(
            Diagnostic::error(
                path,
                body_line.saturating_sub(1),
                "the answer (body) is empty",
            )
            .with_hint("write the answer below the closing `+++`, direct answer first"),
        );
    }
    if aliases.is_empty() && id.is_some() {
        diags.push(
            Diagnostic::warning(path, f.line_of_key("id"), "entry has no aliases")
                .with_hint("add `aliases = [...]`: the ways members really ask this"),
        );
    }
    let has_new_errors = diags.0[before..].iter().any(Diagnostic::is_error);
    if has_new_errors {
        return None;
    }
    let cites = cites?;
    let mut sources: Vec<String> = Vec::new();
    for c in &cites {
        if !sources.contains(&c.source) {
            sources.push(c.source.clone());
        }
    }
    let leading = &body[..body.len() - body.trim_start().len()];
    Some(Entry {
        line: f.line_of_key("id"),
        id: id?,
        question: question?,
        aliases,
        tags,
        cites,
        sources,
        body: body.trim().to_string(),
        path: path.to_path_buf(),
        body_line: body_line + leading.matches('\n').count(),
    })
}

/// `source` (one key or a list) and `section`: every listed guide with
/// that one section, each pair at the line of `section`.
fn shorthand_cites(f: &Fields, diags: &mut Diagnostics) -> Option<Vec<Cite>> {
    let sources = f.sources(diags);
    let section = f.req_str("section", diags);
    if let Some(s) = &sources
        && s.is_empty()
    {
        diags.push(Diagnostic::error(
            f.path(),
            f.line_of_key("source"),
            "`source` names no source",
        ));
        return None;
    }
    let (sources, section) = (sources?, section?);
    let (line, source_line) = (f.line_of_key("section"), f.line_of_key("source"));
    Some(
        sources
            .into_iter()
            .map(|source| Cite {
                source,
                section: section.clone(),
                line,
                source_line,
            })
            .collect(),
    )
}

/// `cites = [{ source = "...", section = "..." }, ...]`, each pair at its
/// own line (from the TOML parser's spans).
fn parse_cites(doc: &TomlText, f: &Fields, diags: &mut Diagnostics) -> Option<Vec<Cite>> {
    let key_line = f.line_of_key("cites");
    for other in ["source", "section"] {
        if f.has(other) {
            diags.push(
                Diagnostic::error(
                    doc.path,
                    f.line_of_key(other),
                    format!("`{other}` and `cites` are both given"),
                )
                .with_hint(format!(
                    "`cites` names every source and section; remove `{other}`"
                )),
            );
        }
    }
    let shape = "a list of `{ source = \"...\", section = \"...\" }`";
    let Some(DeValue::Array(items)) = f.item("cites").map(|i| i.get_ref()) else {
        diags.push(Diagnostic::error(
            doc.path,
            key_line,
            format!("`cites` must be {shape}"),
        ));
        return None;
    };
    if items.is_empty() {
        diags.push(
            Diagnostic::error(doc.path, key_line, "`cites` names no source").with_hint(
                "add `{ source = \"...\", section = \"...\" }` for each section the answer uses",
            ),
        );
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in items.iter() {
        let line = doc.line(item.span());
        let DeValue::Table(t) = item.get_ref() else {
            diags.push(Diagnostic::error(
                doc.path,
                line,
                format!("`cites` must be {shape}"),
            ));
            ok = false;
            continue;
        };
        match parse_cite(doc, t, line, diags) {
            Some(cite) => out.push(cite),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// One `{ source = "...", section = "..." }` of `cites`, at file line `line`.
fn parse_cite(doc: &TomlText, t: &Table, line: usize, diags: &mut Diagnostics) -> Option<Cite> {
    let mut ok = true;
    for key in t.keys() {
        let key: &str = key.get_ref();
        if CITE_KEYS.contains(&key) {
            continue;
        }
        let d = Diagnostic::error(doc.path, line, format!("unknown key `{key}` in a cite"));
        diags.push(match closest(key, CITE_KEYS.iter().copied()) {
            Some(k) => d.with_hint(format!("did you mean `{k}`?")),
            None => d.with_hint("a cite has `source` and `section` only"),
        });
        ok = false;
    }
    let mut field = |key: &str| match t.get(key).map(value) {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(toml::Value::String(_)) => {
            diags.push(Diagnostic::error(
                doc.path,
                line,
                format!("the cite's `{key}` is empty"),
            ));
            None
        }
        Some(_) => {
            diags.push(Diagnostic::error(
                doc.path,
                line,
                format!("the cite's `{key}` must be a string in double quotes"),
            ));
            None
        }
        None => {
            diags.push(Diagnostic::error(
                doc.path,
                line,
                format!("a cite is missing `{key}`"),
            ));
            None
        }
    };
    let (source, section) = (field("source"), field("section"));
    if !ok {
        return None;
    }
    Some(Cite {
        source: source?,
        section: section?,
        line,
        source_line: line,
    })
}

/// Parses one guide file into its sections and its outline. Sections with
/// no text of their own (a heading directly followed by a sub-heading) are
/// not passages, but they are headings an entry may cite.
pub fn parse_guide(
    path: &Path,
    text: &str,
    diags: &mut Diagnostics,
) -> Option<(Vec<Section>, Outline)> {
    let (fm, fm_line, body, body_line) = split_front_matter(path, text, diags)?;
    let doc = TomlText::new(path, fm, fm_line);
    let table = doc.parse(diags)?;
    let f = Fields::new(&doc, &table, fm_line, "front matter");
    let before = diags.0.len();
    f.deny_unknown(GUIDE_KEYS, diags);
    let source = f.req_str("source", diags);

    let mut sections = Vec::new();
    let mut outline = Vec::new();
    let mut headings: Vec<String> = Vec::new();
    let mut current: Option<(usize, String)> = None; // (line, text)
    let mut titles = 0;
    let atx = atx_headings(body);
    let flush =
        |headings: &[String], current: &mut Option<(usize, String)>, out: &mut Vec<Section>| {
            if let Some((line, text)) = current.take()
                && !text.trim().is_empty()
                && !headings.is_empty()
            {
                out.push(Section {
                    id: String::new(),
                    source: String::new(),
                    headings: headings.to_vec(),
                    body: text.trim().to_string(),
                    path: path.to_path_buf(),
                    line,
                });
            }
        };
    for (i, raw) in body.lines().enumerate() {
        let line = body_line + i;
        let Some((level, title)) = atx.get(&i) else {
            match &mut current {
                Some((_, t)) => {
                    t.push_str(raw);
                    t.push('\n');
                }
                None if raw.trim().is_empty() => {}
                None => {
                    if headings.is_empty() {
                        diags.push(
                            Diagnostic::error(path, line, "text before the guide's `#` title")
                                .with_hint("start the body with `# Guide title`"),
                        );
                    }
                    current = Some((line, format!("{raw}\n")));
                }
            }
            continue;
        };
        let (level, title) = (*level, title.clone());
        flush(&headings, &mut current, &mut sections);
        if title.is_empty() {
            diags.push(Diagnostic::error(path, line, "empty heading"));
            continue;
        }
        if level == 1 {
            titles += 1;
            if titles > 1 {
                diags.push(
                    Diagnostic::error(path, line, "a guide has exactly one `#` title")
                        .with_hint("use `##` for sections and `###` for subsections"),
                );
            }
        } else if level > headings.len() + 1 {
            diags.push(
                Diagnostic::error(
                    path,
                    line,
                    format!(
                        "heading skips a level: `{}` under {} heading(s)",
                        "#".repeat(level),
                        headings.len()
                    ),
                )
                .with_hint("nest headings one level at a time: `#`, then `##`, then `###`"),
            );
        }
        headings.truncate(level.saturating_sub(1).min(headings.len()));
        headings.push(title);
        outline.push(Heading {
            path: headings.clone(),
            line,
        });
        current = Some((line, String::new()));
    }
    flush(&headings, &mut current, &mut sections);

    if titles == 0 {
        diags.push(
            Diagnostic::error(path, body_line, "guide has no headings")
                .with_hint("give it a `# Title` and `##` sections: each becomes a citable passage"),
        );
    }
    if diags.0[before..].iter().any(Diagnostic::is_error) {
        return None;
    }
    let source = source?;
    let mut seen = std::collections::HashSet::new();
    for s in &mut sections {
        let slug: Vec<String> = s.headings.iter().skip(1).map(|h| slugify(h)).collect();
        let mut id = format!(
            "{source}/{}",
            if slug.is_empty() {
                "intro".into()
            } else {
                slug.join("/")
            }
        );
        let mut n = 2;
        while !seen.insert(id.clone()) {
            id = format!("{source}/{}-{n}", slug.join("/"));
            n += 1;
        }
        s.id = id;
        s.source = source.clone();
    }
    let outline = Outline {
        source,
        path: path.to_path_buf(),
        headings: outline,
    };
    Some((sections, outline))
}

/// The ATX (`#`) headings of a Markdown body as pulldown-cmark reads them,
/// by 0-based line: level and text. Lines in code blocks are not headings;
/// setext headings (text underlined with `===` or `---`) are not read as
/// headings, as a guide's sections are `#` headings only.
fn atx_headings(body: &str) -> std::collections::HashMap<usize, (usize, String)> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = std::collections::HashMap::new();
    let mut open: Option<(usize, usize, String)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) if body[range.clone()].starts_with('#') => {
                let line = body[..range.start].matches('\n').count();
                open = Some((line, level as usize, String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, title)) = &mut open {
                    title.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((line, level, title)) = open.take() {
                    out.insert(line, (level, title.trim().to_string()));
                }
            }
            _ => {}
        }
    }
    out
}

pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\nid = \"cs-degree\"\nquestion = \"Do I need a CS degree?\"\naliases = [\"cs degree?\"]\ntags = [\"education\"]\nsource = \"qualora-2026\"\nsection = \"FAQ\"\n+++\nNo. Programs teach what you need.\n";

    fn entry(text: &str) -> (Option<Entry>, Vec<String>) {
        let mut d = Diagnostics::default();
        let e = parse_entry(Path::new("e.md"), text, &mut d);
        (e, d.0.iter().map(ToString::to_string).collect())
    }

    /// Each heading's path, joined, with its line.
    fn heading_lines(outline: &Outline) -> Vec<(String, usize)> {
        outline
            .headings
            .iter()
            .map(|h| (h.path.join(" › "), h.line))
            .collect()
    }

    #[test]
    fn parses_a_valid_entry() {
        let (e, d) = entry(GOOD);
        assert!(d.is_empty(), "{d:?}");
        let e = e.unwrap();
        assert_eq!(e.id, "cs-degree");
        assert_eq!(e.sources, vec!["qualora-2026"]);
        assert_eq!(e.body, "No. Programs teach what you need.");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn source_may_be_a_list() {
        let (e, d) = entry(&GOOD.replace("\"qualora-2026\"", "[\"a\", \"b\"]"));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(e.unwrap().sources, vec!["a", "b"]);
    }

    const CITES: &str = "cites = [\n  { source = \"a\", section = \"Pay\" },\n  { source = \"b\", section = \"FAQ\" },\n]\n";

    fn with_cites(cites: &str) -> String {
        GOOD.replace("source = \"qualora-2026\"\nsection = \"FAQ\"\n", cites)
    }

    fn pairs(e: &Entry) -> Vec<(&str, &str, usize)> {
        e.cites
            .iter()
            .map(|c| (c.source.as_str(), c.section.as_str(), c.line))
            .collect()
    }

    #[test]
    fn cites_name_each_source_and_section_at_its_own_line() {
        let (e, d) = entry(&with_cites(CITES));
        assert!(d.is_empty(), "{d:?}");
        let e = e.unwrap();
        assert_eq!(pairs(&e), vec![("a", "Pay", 7), ("b", "FAQ", 8)]);
        assert_eq!(e.sources, vec!["a", "b"]);
        assert_eq!(e.body_line, 11);
    }

    #[test]
    fn the_shorthand_cites_its_one_section_in_every_listed_source() {
        let (e, d) = entry(&GOOD.replace("\"qualora-2026\"", "[\"a\", \"b\"]"));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(pairs(&e.unwrap()), vec![("a", "FAQ", 7), ("b", "FAQ", 7)]);
    }

    #[test]
    fn cites_and_the_shorthand_together_are_an_error() {
        let text = GOOD.replace(
            "section = \"FAQ\"\n",
            &format!("section = \"FAQ\"\n{CITES}"),
        );
        let (e, d) = entry(&text);
        assert!(e.is_none());
        assert_eq!(
            d,
            vec![
                "e.md:6: error: `source` and `cites` are both given\n  hint: `cites` names every source and section; remove `source`",
                "e.md:7: error: `section` and `cites` are both given\n  hint: `cites` names every source and section; remove `section`",
            ]
        );
    }

    #[test]
    fn a_broken_cite_is_reported_at_its_own_line() {
        let (e, d) = entry(&with_cites(
            "cites = [\n  { source = \"a\", section = \"Pay\" },\n  { source = \"b\", sectoin = \"FAQ\" },\n]\n",
        ));
        assert!(e.is_none());
        assert_eq!(
            d,
            vec![
                "e.md:8: error: unknown key `sectoin` in a cite\n  hint: did you mean `section`?",
                "e.md:8: error: a cite is missing `section`",
            ]
        );
        let (_, d) = entry(&with_cites("cites = []\n"));
        assert!(
            d[0].starts_with("e.md:6: error: `cites` names no source"),
            "{d:?}"
        );
        let (_, d) = entry(&with_cites("cites = \"a\"\n"));
        assert!(
            d[0].starts_with("e.md:6: error: `cites` must be a list"),
            "{d:?}"
        );
    }

    #[test]
    fn unknown_key_is_reported_at_its_line_with_hint() {
        let (e, d) = entry(&GOOD.replace("aliases =", "aliasses ="));
        assert!(e.is_none());
        assert_eq!(
            d[0],
            "e.md:4: error: unknown key `aliasses` in front matter\n  hint: did you mean `aliases`?"
        );
    }

    #[test]
    fn a_dotted_key_is_reported_at_its_own_line() {
        let (e, d) = entry(&GOOD.replace("tags = [\"education\"]", "tags.main = \"education\""));
        assert!(e.is_none());
        assert_eq!(
            d,
            vec!["e.md:5: error: `tags` must be a list of strings, like [\"a\", \"b\"]"]
        );
    }

    #[test]
    fn missing_front_matter_and_yaml_are_explained() {
        let (_, d) = entry("---\nid: x\n---\nbody\n");
        assert!(
            d[0].starts_with("e.md:1: error: missing front matter\n  hint: front matter is TOML")
        );
        let (_, d) = entry("+++\nid = \"x\"\n");
        assert!(d[0].starts_with("e.md:1: error: front matter is not closed"));
    }

    #[test]
    fn toml_syntax_error_points_at_the_bad_line() {
        let (_, d) = entry(&GOOD.replace("tags = [\"education\"]", "tags = [education]"));
        assert!(d[0].starts_with("e.md:5: error: invalid TOML"), "{d:?}");
    }

    #[test]
    fn missing_required_field_and_empty_body() {
        let text = GOOD
            .replace("section = \"FAQ\"\n", "")
            .replace("No. Programs teach what you need.\n", "\n");
        let (e, d) = entry(&text);
        assert!(e.is_none());
        assert!(
            d.contains(
                &"e.md:2: error: front matter is missing the required key `section`".to_string()
            ),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|l| l.starts_with("e.md:7: error: the answer (body) is empty")),
            "{d:?}"
        );
    }

    #[test]
    fn no_aliases_is_a_warning_only() {
        let (e, d) = entry(&GOOD.replace("aliases = [\"cs degree?\"]\n", ""));
        assert!(e.is_some());
        assert!(d[0].starts_with("e.md:2: warning: entry has no aliases"));
    }

    #[test]
    fn guide_sections_carry_their_heading_path() {
        let text = "+++\nsource = \"g\"\n+++\n# Guide\n\nIntro text.\n\n## Salary\n\n### By level\n\nEntry pays less.\n\n## Outlook\nGrowing.\n";
        let mut d = Diagnostics::default();
        let (s, outline) = parse_guide(Path::new("g.md"), text, &mut d).unwrap();
        let heads = heading_lines(&outline);
        assert_eq!(
            heads,
            vec![
                ("Guide".to_string(), 4),
                ("Guide › Salary".to_string(), 8),
                ("Guide › Salary › By level".to_string(), 10),
                ("Guide › Outlook".to_string(), 14),
            ]
        );
        assert!(d.0.is_empty(), "{d}");
        let paths: Vec<_> = s
            .iter()
            .map(|s| (s.id.as_str(), s.headings.join(" › "), s.line))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("g/intro", "Guide".to_string(), 4),
                (
                    "g/salary/by-level",
                    "Guide › Salary › By level".to_string(),
                    10
                ),
                ("g/outlook", "Guide › Outlook".to_string(), 14),
            ]
        );
    }

    #[test]
    fn guide_without_headings_is_an_error() {
        let mut d = Diagnostics::default();
        assert!(
            parse_guide(
                Path::new("g.md"),
                "+++\nsource = \"g\"\n+++\njust text\n",
                &mut d
            )
            .is_none()
        );
        assert!(d.0.iter().any(|x| x.message == "guide has no headings"));
    }

    #[test]
    fn headings_in_code_blocks_are_text_and_closing_hashes_go() {
        let text = "+++\nsource = \"g\"\n+++\n# Guide\n\nIntro.\n\n~~~\n# not a heading\n~~~\n\n    # nor this\n\n## Pay ##\nText.\n";
        let mut d = Diagnostics::default();
        let (s, outline) = parse_guide(Path::new("g.md"), text, &mut d).unwrap();
        assert!(d.0.is_empty(), "{d}");
        let heads = heading_lines(&outline);
        assert_eq!(
            heads,
            vec![("Guide".to_string(), 4), ("Guide › Pay".to_string(), 14)]
        );
        assert!(s[0].body.contains("# not a heading"), "{:?}", s[0].body);
    }
}
