//! The small TOML files: sources, synonyms, salaries, certifications.
//! Pure functions over strings; no I/O.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;
use toml::de::DeValue;

use super::diag::{Diagnostic, Diagnostics};
use super::markdown::is_slug;
use super::tomlx::{Fields, Table, TomlText, array_of_tables, backticked};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub key: String,
    pub title: String,
    pub publisher: String,
    pub date: String,
    /// Short name shown beside a cited section, e.g. "Qualora 2026".
    pub label: Option<String>,
    /// Other names entries use for the guide in their text ("the 2019
    /// guide"): with the title and publisher, what `check` looks for.
    pub aliases: Vec<String>,
    pub url: Option<String>,
    pub note: Option<String>,
}

impl Source {
    /// The short name shown to members: `label`, else the title.
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.title)
    }

    /// Every name that refers to this guide in an entry's text.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [self.title.as_str(), self.publisher.as_str()]
            .into_iter()
            .chain(self.label.as_deref())
            .chain(self.aliases.iter().map(String::as_str))
    }
}

pub fn parse_sources(path: &Path, text: &str, diags: &mut Diagnostics) -> BTreeMap<String, Source> {
    let doc = TomlText::new(path, text, 1);
    let Some(root) = doc.parse(diags) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for (key, v) in &root {
        let line = doc.line(key.span());
        let key: &str = key.get_ref();
        let DeValue::Table(t) = v.get_ref() else {
            diags.push(
                Diagnostic::error(path, line, format!("`{key}` must be a table `[{key}]`"))
                    .with_hint("each source is a `[key]` table with title, publisher and date"),
            );
            continue;
        };
        if !is_slug(key) {
            diags.push(Diagnostic::error(
                path,
                line,
                format!("source `{key}` is not a slug"),
            ));
        }
        let f = Fields::new(&doc, t, line, format!("source `{key}`"));
        if let Some(source) = parse_source(&f, key, diags) {
            out.insert(key.to_string(), source);
        }
    }
    out
}

const SOURCE_KEYS: &[&str] = &[
    "title",
    "publisher",
    "date",
    "label",
    "aliases",
    "url",
    "note",
];

/// One `[key]` table of sources.toml; `None` when a required key is missing
/// or the date is invalid.
fn parse_source(f: &Fields<'_, '_>, key: &str, diags: &mut Diagnostics) -> Option<Source> {
    f.deny_unknown(SOURCE_KEYS, diags);
    let (title, publisher, date) = (
        f.req_str("title", diags),
        f.req_str("publisher", diags),
        f.req_str("date", diags),
    );
    // An invalid date is reported and the source is not loaded.
    let date = date.filter(|d| {
        let ok = valid_date(d);
        if !ok {
            diags.push(
                Diagnostic::error(
                    f.path(),
                    f.line_of_key("date"),
                    format!("date `{d}` is not YYYY, YYYY-MM or YYYY-MM-DD"),
                )
                .with_hint("e.g. `date = \"2026-05-10\"`"),
            );
        }
        ok
    });
    Some(Source {
        key: key.to_string(),
        title: title?,
        publisher: publisher?,
        date: date?,
        label: f.opt_str("label", diags),
        aliases: f.str_list("aliases", false, diags).unwrap_or_default(),
        url: f.opt_str("url", diags),
        note: f.opt_str("note", diags),
    })
}

fn valid_date(d: &str) -> bool {
    let parts: Vec<&str> = d.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let in_range = |s: &str, hi: u32| s.parse::<u32>().is_ok_and(|v| (1..=hi).contains(&v));
    match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2) && in_range(m, 12),
        [y, m, d] => {
            digits(y, 4) && digits(m, 2) && in_range(m, 12) && digits(d, 2) && in_range(d, 31)
        }
        _ => false,
    }
}

/// Groups of words or phrases that mean the same thing, lowercased.
pub fn parse_synonyms(path: &Path, text: &str, diags: &mut Diagnostics) -> Vec<Vec<String>> {
    let doc = TomlText::new(path, text, 1);
    let Some(root) = doc.parse(diags) else {
        return Vec::new();
    };
    deny_unknown_tables(
        &doc,
        &root,
        &["group"],
        ("key", "synonyms"),
        "write each group as `[[group]]` with `words = [...]`",
        diags,
    );
    let tables = array_of_tables(&doc, &root, "group", diags);
    let mut groups = Vec::new();
    // Each word's group, by index into `tables`.
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (i, &(line, t)) in tables.iter().enumerate() {
        let f = Fields::new(&doc, t, line, "synonym group");
        let Some(words) = group_words(&f, diags) else {
            continue;
        };
        let mut dedup = Vec::new();
        for w in words {
            if let Some(&other) = owner.get(&w) {
                let msg = if other == i {
                    format!("`{w}` appears twice in this group")
                } else {
                    format!("`{w}` is already in the group at line {}", tables[other].0)
                };
                diags.push(
                    Diagnostic::error(path, f.line_of_key("words"), msg)
                        .with_hint("a word may belong to one group only; merge the groups"),
                );
                continue;
            }
            owner.insert(w.clone(), i);
            dedup.push(w);
        }
        if dedup.len() >= 2 {
            groups.push(dedup);
        }
    }
    groups
}

/// The normalised words of one `[[group]]`, at least two of them.
fn group_words(f: &Fields<'_, '_>, diags: &mut Diagnostics) -> Option<Vec<String>> {
    f.deny_unknown(&["words"], diags);
    let Some(words) = f.str_list("words", false, diags) else {
        if !f.has("words") {
            f.req_str("words", diags);
        }
        return None;
    };
    let words: Vec<String> = words
        .iter()
        .map(|w| normalize_phrase(w))
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() < 2 {
        diags.push(
            Diagnostic::error(f.path(), f.line(), "synonym group needs at least two words")
                .with_hint("a group lists words that mean the same, e.g. [\"wfh\", \"remote\"]"),
        );
        return None;
    }
    Some(words)
}

/// Reports every top-level key of a file other than `allowed`.
fn deny_unknown_tables(
    doc: &TomlText<'_>,
    root: &Table<'_>,
    allowed: &[&str],
    (what, file): (&str, &str),
    hint: &str,
    diags: &mut Diagnostics,
) {
    for key in root.keys() {
        let name: &str = key.get_ref();
        if !allowed.contains(&name) {
            diags.push(
                Diagnostic::error(
                    doc.path,
                    doc.line(key.span()),
                    format!("unknown {what} `{name}` in {file}"),
                )
                .with_hint(hint),
            );
        }
    }
}

/// Lowercase, words separated by single spaces, punctuation kept inside words.
pub fn normalize_phrase(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------- salaries

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Named {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    /// Roles only: the FAQ entry that answers questions about this role's
    /// pay, and the line naming it (checked against the entries).
    #[serde(skip)]
    pub entry: Option<(String, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Entry,
    Mid,
    Senior,
    All,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Entry, Level::Mid, Level::Senior, Level::All];
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Entry => "entry",
            Level::Mid => "mid",
            Level::Senior => "senior",
            Level::All => "all",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stat {
    Median,
    Average,
    Mean,
    Range,
    Top10,
}

impl Stat {
    const NAMES: [(&'static str, Stat); 5] = [
        ("median", Stat::Median),
        ("average", Stat::Average),
        ("mean", Stat::Mean),
        ("range", Stat::Range),
        ("top10", Stat::Top10),
    ];
    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("", |(n, _)| n)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub role: String,
    pub level: Level,
    pub label: Option<String>,
    pub years: Option<String>,
    pub stat: Stat,
    /// A single value (median, average, mean, top 10 %) or the low end of a range.
    pub low: f64,
    /// The high end of a range; `None` for single values and open ranges ("$70k+").
    pub high: Option<f64>,
    pub currency: String,
    pub usd_low: Option<f64>,
    pub usd_high: Option<f64>,
    pub region: String,
    pub year: Option<String>,
    pub source: String,
    pub section: String,
    pub note: Option<String>,
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Geography {
    pub region: String,
    pub places: String,
    pub low_pct: Option<f64>,
    pub high_pct: Option<f64>,
    pub source: String,
    pub section: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Salaries {
    pub roles: Vec<Named>,
    pub regions: Vec<Named>,
    pub figures: Vec<Figure>,
    pub geography: Vec<Geography>,
}

fn parse_named(
    doc: &TomlText<'_>,
    root: &Table<'_>,
    kind: &str,
    diags: &mut Diagnostics,
) -> Vec<Named> {
    let mut out: Vec<Named> = Vec::new();
    for (line, t) in array_of_tables(doc, root, kind, diags) {
        let f = Fields::new(doc, t, line, format!("[[{kind}]]"));
        let keys: &[&str] = match kind {
            "role" => &["id", "name", "aliases", "entry"],
            _ => &["id", "name", "aliases"],
        };
        f.deny_unknown(keys, diags);
        let (Some(id), Some(name)) = (f.req_str("id", diags), f.req_str("name", diags)) else {
            continue;
        };
        if out.iter().any(|n| n.id == id) {
            diags.push(Diagnostic::error(
                doc.path,
                f.line_of_key("id"),
                format!("duplicate {kind} id `{id}`"),
            ));
            continue;
        }
        if let Some(other) = out.iter().find(|n| n.name.eq_ignore_ascii_case(&name)) {
            diags.push(Diagnostic::error(
                doc.path,
                f.line_of_key("name"),
                format!("duplicate {kind} name `{name}` (also `{}`)", other.id),
            ));
            continue;
        }
        let aliases = f.str_list("aliases", false, diags).unwrap_or_default();
        let entry = f
            .opt_str("entry", diags)
            .map(|e| (e, f.line_of_key("entry")));
        out.push(Named {
            id,
            name,
            aliases,
            entry,
        });
    }
    out
}

const SALARY_TABLES: &[&str] = &["role", "region", "figure", "geography"];
const FIGURE_KEYS: &[&str] = &[
    "role", "level", "label", "years", "stat", "low", "high", "value", "currency", "usd_low",
    "usd_high", "usd", "region", "year", "source", "section", "note",
];
const GEOGRAPHY_KEYS: &[&str] = &[
    "region", "places", "low_pct", "high_pct", "source", "section", "note",
];

pub fn parse_salaries(path: &Path, text: &str, diags: &mut Diagnostics) -> Salaries {
    let doc = TomlText::new(path, text, 1);
    let Some(root) = doc.parse(diags) else {
        return Salaries::default();
    };
    deny_unknown_tables(
        &doc,
        &root,
        SALARY_TABLES,
        ("table", "salaries"),
        &format!("allowed: {}", backticked(SALARY_TABLES)),
        diags,
    );
    let roles = parse_named(&doc, &root, "role", diags);
    let regions = parse_named(&doc, &root, "region", diags);
    let figures = array_of_tables(&doc, &root, "figure", diags)
        .into_iter()
        .filter_map(|(line, t)| {
            let f = Fields::new(&doc, t, line, "[[figure]]");
            parse_figure(&f, &roles, &regions, diags)
        })
        .collect();
    let geography = array_of_tables(&doc, &root, "geography", diags)
        .into_iter()
        .filter_map(|(line, t)| {
            let f = Fields::new(&doc, t, line, "[[geography]]");
            parse_geography(&f, &regions, diags)
        })
        .collect();
    Salaries {
        roles,
        regions,
        figures,
        geography,
    }
}

/// One `[[figure]]`: reports every problem, returns it only when it has none.
fn parse_figure(
    f: &Fields<'_, '_>,
    roles: &[Named],
    regions: &[Named],
    diags: &mut Diagnostics,
) -> Option<Figure> {
    f.deny_unknown(FIGURE_KEYS, diags);
    let before = diags.0.len();
    let role = known_id(f, "role", roles, diags);
    let region = known_id(f, "region", regions, diags);
    let level = f.req_str("level", diags).and_then(|l| {
        let parsed = Level::parse(&l);
        if parsed.is_none() {
            let names: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
            diags.push(unknown_ref(f, "level", &l, &names));
        }
        parsed
    });
    let stat = f.req_str("stat", diags).and_then(|s| {
        let parsed = Stat::NAMES.iter().find(|(n, _)| *n == s).map(|(_, st)| *st);
        if parsed.is_none() {
            let names: Vec<&str> = Stat::NAMES.iter().map(|(n, _)| *n).collect();
            diags.push(unknown_ref(f, "stat", &s, &names));
        }
        parsed
    });
    let currency = currency(f, diags);
    let (low, high) = amount(f, stat, diags);
    let (usd_low, usd_high) = usd_amount(f, diags);
    let source = f.req_str("source", diags);
    let section = f.req_str("section", diags);
    let (label, years, year, note) = (
        f.opt_str("label", diags),
        f.opt_str("years", diags),
        f.opt_str("year", diags),
        f.opt_str("note", diags),
    );
    if diags.0[before..].iter().any(Diagnostic::is_error) {
        return None;
    }
    Some(Figure {
        role: role?,
        level: level?,
        label,
        years,
        stat: stat?,
        low: low?,
        high,
        currency: currency?,
        usd_low,
        usd_high,
        region: region?,
        year,
        source: source?,
        section: section?,
        note,
        line: f.line(),
    })
}

/// A required id that must be one of `known` (a role or a region).
fn known_id(
    f: &Fields<'_, '_>,
    key: &str,
    known: &[Named],
    diags: &mut Diagnostics,
) -> Option<String> {
    let id = f.req_str(key, diags);
    if let Some(id) = &id
        && !known.iter().any(|n| n.id == *id)
    {
        let ids: Vec<&str> = known.iter().map(|n| n.id.as_str()).collect();
        diags.push(unknown_ref(f, key, id, &ids));
    }
    id
}

/// The required three-letter ISO currency code.
fn currency(f: &Fields<'_, '_>, diags: &mut Diagnostics) -> Option<String> {
    let currency = f.req_str("currency", diags);
    if let Some(c) = &currency
        && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        diags.push(
            Diagnostic::error(
                f.path(),
                f.line_of_key("currency"),
                format!("currency `{c}` is not an ISO code"),
            )
            .with_hint("use a three-letter code such as `USD`, `GBP`, `EUR`"),
        );
    }
    currency
}

/// (low, high) of a range, or (value, None) of a single figure.
fn amount(
    f: &Fields<'_, '_>,
    stat: Option<Stat>,
    diags: &mut Diagnostics,
) -> (Option<f64>, Option<f64>) {
    let (low, high) = match stat {
        Some(Stat::Range) => {
            let low = f.opt_num("low", diags);
            if low.is_none() && !f.has("low") {
                f.req_str("low", diags);
            }
            (low, f.opt_num("high", diags))
        }
        Some(_) => {
            let v = f.opt_num("value", diags);
            if v.is_none() && !f.has("value") {
                diags.push(
                    Diagnostic::error(f.path(), f.line(), "[[figure]] is missing the required key `value`")
                        .with_hint("a median, average, mean or top10 figure has `value`; a range has `low` and `high`"),
                );
            }
            (v, None)
        }
        None => (None, None),
    };
    if let (Some(l), Some(h)) = (low, high)
        && l > h
    {
        diags.push(
            Diagnostic::error(
                f.path(),
                f.line_of_key("high"),
                format!("range low {l} exceeds its high {h}"),
            )
            .with_hint("swap `low` and `high`"),
        );
    }
    (low, high)
}

/// The figure in US dollars: `usd`, or `usd_low` and `usd_high`.
fn usd_amount(f: &Fields<'_, '_>, diags: &mut Diagnostics) -> (Option<f64>, Option<f64>) {
    let (usd_low, usd_high) = if f.has("usd") {
        (f.opt_num("usd", diags), None)
    } else {
        (f.opt_num("usd_low", diags), f.opt_num("usd_high", diags))
    };
    if let (Some(l), Some(h)) = (usd_low, usd_high)
        && l > h
    {
        diags.push(Diagnostic::error(
            f.path(),
            f.line_of_key("usd_high"),
            format!("USD range low {l} exceeds its high {h}"),
        ));
    }
    (usd_low, usd_high)
}

/// One `[[geography]]`: reports every problem, returns it only when it has none.
fn parse_geography(
    f: &Fields<'_, '_>,
    regions: &[Named],
    diags: &mut Diagnostics,
) -> Option<Geography> {
    f.deny_unknown(GEOGRAPHY_KEYS, diags);
    let before = diags.0.len();
    let region = known_id(f, "region", regions, diags);
    let places = f.req_str("places", diags);
    let (low_pct, high_pct) = (f.opt_num("low_pct", diags), f.opt_num("high_pct", diags));
    if let (Some(l), Some(h)) = (low_pct, high_pct)
        && l > h
    {
        diags.push(Diagnostic::error(
            f.path(),
            f.line_of_key("high_pct"),
            format!("low_pct {l} exceeds high_pct {h}"),
        ));
    }
    let (source, section, note) = (
        f.req_str("source", diags),
        f.req_str("section", diags),
        f.opt_str("note", diags),
    );
    if diags.0[before..].iter().any(Diagnostic::is_error) {
        return None;
    }
    Some(Geography {
        region: region?,
        places: places?,
        low_pct,
        high_pct,
        source: source?,
        section: section?,
        note,
    })
}

fn unknown_ref(f: &Fields<'_, '_>, key: &str, value: &str, known: &[&str]) -> Diagnostic {
    let d = Diagnostic::error(
        f.path(),
        f.line_of_key(key),
        format!("unknown {key} `{value}`"),
    );
    match super::diag::closest(value, known.iter().copied()) {
        Some(c) => d.with_hint(format!("did you mean `{c}`?")),
        None => d.with_hint(format!("known: {}", backticked(known))),
    }
}

// ---------------------------------------------------------- certifications

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cert {
    pub abbr: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub issuer: String,
    pub level: Option<String>,
    pub requirements: Vec<String>,
    pub suits: Option<String>,
    pub leads_to: Option<String>,
    pub sources: Vec<String>,
    pub section: String,
    #[serde(skip)]
    pub line: usize,
}

pub const CERT_LEVELS: &[&str] = &["entry", "advanced", "coding", "vendor"];

const CERT_KEYS: &[&str] = &[
    "abbr",
    "name",
    "aliases",
    "issuer",
    "level",
    "requirements",
    "suits",
    "leads_to",
    "source",
    "section",
];

pub fn parse_certs(path: &Path, text: &str, diags: &mut Diagnostics) -> Vec<Cert> {
    let doc = TomlText::new(path, text, 1);
    let Some(root) = doc.parse(diags) else {
        return Vec::new();
    };
    deny_unknown_tables(
        &doc,
        &root,
        &["cert"],
        ("table", "certifications"),
        "write each credential as a `[[cert]]` table",
        diags,
    );
    let mut out: Vec<Cert> = Vec::new();
    for (line, t) in array_of_tables(&doc, &root, "cert", diags) {
        let f = Fields::new(&doc, t, line, "[[cert]]");
        if let Some(cert) = parse_cert(&f, &out, diags) {
            out.push(cert);
        }
    }
    out
}

/// One `[[cert]]`: reports every problem, duplicates of `earlier` included;
/// returns it only when it has no error.
fn parse_cert(f: &Fields<'_, '_>, earlier: &[Cert], diags: &mut Diagnostics) -> Option<Cert> {
    f.deny_unknown(CERT_KEYS, diags);
    let before = diags.0.len();
    let abbr = f.req_str("abbr", diags);
    let name = f.req_str("name", diags);
    let issuer = f.req_str("issuer", diags);
    let level = f.opt_str("level", diags);
    if let Some(l) = &level
        && !CERT_LEVELS.contains(&l.as_str())
    {
        diags.push(unknown_ref(f, "level", l, CERT_LEVELS));
    }
    let sources = f.sources(diags);
    let section = f.req_str("section", diags);
    for (k, v) in [("abbr", &abbr), ("name", &name)] {
        if let Some(v) = v
            && let Some(other) = earlier
                .iter()
                .find(|c| c.abbr.eq_ignore_ascii_case(v) || c.name.eq_ignore_ascii_case(v))
        {
            diags.push(Diagnostic::error(
                f.path(),
                f.line_of_key(k),
                format!(
                    "duplicate certification {k} `{v}` (also at line {})",
                    other.line
                ),
            ));
        }
    }
    if diags.0[before..].iter().any(Diagnostic::is_error) {
        return None;
    }
    Some(Cert {
        abbr: abbr?,
        name: name?,
        issuer: issuer?,
        sources: sources?,
        section: section?,
        aliases: f.str_list("aliases", false, diags).unwrap_or_default(),
        level,
        requirements: f.str_list("requirements", false, diags).unwrap_or_default(),
        suits: f.opt_str("suits", diags),
        leads_to: f.opt_str("leads_to", diags),
        line: f.line(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<T>(f: impl Fn(&Path, &str, &mut Diagnostics) -> T, text: &str) -> (T, Vec<String>) {
        let mut d = Diagnostics::default();
        let v = f(Path::new("f.toml"), text, &mut d);
        (v, d.0.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn sources_require_title_publisher_and_a_real_date() {
        let (s, d) = run(
            parse_sources,
            "[a]\ntitle = \"T\"\npublisher = \"P\"\ndate = \"2019-13-01\"\n",
        );
        assert!(s.is_empty());
        assert_eq!(
            d[0],
            "f.toml:4: error: date `2019-13-01` is not YYYY, YYYY-MM or YYYY-MM-DD\n  hint: e.g. `date = \"2026-05-10\"`"
        );
        let (s, d) = run(parse_sources, "[a]\ntitle = \"T\"\ndate = \"2019\"\n");
        assert!(s.is_empty());
        assert_eq!(
            d,
            vec!["f.toml:1: error: source `a` is missing the required key `publisher`"]
        );
    }

    #[test]
    fn synonym_groups_must_hold_two_words_and_not_overlap() {
        let (g, d) = run(
            parse_synonyms,
            "[[group]]\nwords = [\"wfh\", \"Remote\"]\n\n[[group]]\nwords = [\"solo\"]\n\n[[group]]\nwords = [\"remote\", \"telework\"]\n",
        );
        assert_eq!(g, vec![vec!["wfh".to_string(), "remote".into()]]);
        assert_eq!(
            d[0],
            "f.toml:4: error: synonym group needs at least two words\n  hint: a group lists words that mean the same, e.g. [\"wfh\", \"remote\"]"
        );
        assert!(
            d[1].starts_with("f.toml:8: error: `remote` is already in the group at line 1"),
            "{d:?}"
        );
    }

    const SAL: &str = "[[role]]\nid = \"tech\"\nname = \"Tech\"\n\n[[region]]\nid = \"us\"\nname = \"US\"\n\n[[figure]]\nrole = \"tech\"\nlevel = \"entry\"\nstat = \"range\"\nlow = 38000\nhigh = 45000\ncurrency = \"USD\"\nregion = \"us\"\nsource = \"q\"\nsection = \"Pay\"\n";

    #[test]
    fn salary_figures_parse() {
        let (s, d) = run(parse_salaries, SAL);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(s.figures[0].low, 38000.0);
        assert_eq!(s.figures[0].high, Some(45000.0));
    }

    #[test]
    fn salary_errors_name_the_line() {
        let (s, d) = run(
            parse_salaries,
            &SAL.replace("role = \"tech\"", "role = \"tec\""),
        );
        assert!(s.figures.is_empty());
        assert_eq!(
            d,
            vec!["f.toml:10: error: unknown role `tec`\n  hint: did you mean `tech`?"]
        );
        let (_, d) = run(parse_salaries, &SAL.replace("low = 38000", "low = 50000"));
        assert_eq!(
            d,
            vec![
                "f.toml:14: error: range low 50000 exceeds its high 45000\n  hint: swap `low` and `high`"
            ]
        );
        let (_, d) = run(parse_salaries, &SAL.replace("currency = \"USD\"\n", ""));
        assert_eq!(
            d,
            vec!["f.toml:9: error: [[figure]] is missing the required key `currency`"]
        );
        let (_, d) = run(
            parse_salaries,
            &SAL.replace("level = \"entry\"", "level = \"junior\""),
        );
        assert!(
            d[0].starts_with("f.toml:11: error: unknown level `junior`"),
            "{d:?}"
        );
    }

    #[test]
    fn duplicate_role_names_are_errors() {
        let text = SAL.replace(
            "[[region]]",
            "[[role]]\nid = \"tech2\"\nname = \"tech\"\n\n[[region]]",
        );
        let (_, d) = run(parse_salaries, &text);
        assert_eq!(
            d,
            vec!["f.toml:7: error: duplicate role name `tech` (also `tech`)"]
        );
    }

    #[test]
    fn dotted_keys_are_reported_at_their_own_line() {
        let (s, d) = run(
            parse_sources,
            "a.title = \"T\"\na.publisher = \"P\"\na.date = \"2019-13-01\"\na.lable = \"x\"\n",
        );
        assert!(s.is_empty());
        assert_eq!(
            d,
            vec![
                "f.toml:4: error: unknown key `lable` in source `a`\n  hint: did you mean `label`?",
                "f.toml:3: error: date `2019-13-01` is not YYYY, YYYY-MM or YYYY-MM-DD\n  hint: e.g. `date = \"2026-05-10\"`",
            ]
        );
    }

    #[test]
    fn inline_tables_are_reported_at_their_own_line() {
        let figure = "{ role = \"tech\", level = \"entry\", stat = \"median\", value = 40000, currency = \"USD\", region = \"us\", source = \"q\", section = \"Pay\" }";
        let text = format!(
            "figure = [\n  {figure},\n  {},\n]\n\n{}",
            figure.replace("\"tech\"", "\"tec\""),
            &SAL[..SAL.find("[[figure]]").unwrap()]
        );
        let (s, d) = run(parse_salaries, &text);
        assert_eq!(s.figures.len(), 1);
        assert_eq!(s.figures[0].line, 2);
        assert_eq!(
            d,
            vec!["f.toml:3: error: unknown role `tec`\n  hint: did you mean `tech`?"]
        );
    }

    #[test]
    fn certs_parse_and_duplicates_are_reported() {
        let one = "[[cert]]\nabbr = \"RHIT\"\nname = \"Registered Health Information Technician\"\nissuer = \"AHIMA\"\nlevel = \"entry\"\nrequirements = [\"exam\"]\nsource = \"q\"\nsection = \"Certs\"\n";
        let (c, d) = run(parse_certs, one);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c[0].requirements, vec!["exam"]);
        let (c, d) = run(
            parse_certs,
            &format!("{one}\n{}", one.replace("Registered", "Other")),
        );
        assert_eq!(c.len(), 1);
        assert_eq!(
            d,
            vec!["f.toml:11: error: duplicate certification abbr `RHIT` (also at line 1)"]
        );
    }
}
