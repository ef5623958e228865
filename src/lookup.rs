//! Structured lookups over `salaries.toml` and `certifications.toml`: the data
//! behind `/salary`, `/cert` and `careerbot salary|cert`. Pure library code: no
//! adapter types, no I/O.
//!
//! Rules, kept deliberately simple:
//!
//! - **Names.** Roles, regions, levels and certifications are found by id
//!   (or abbreviation), display name or alias, case-insensitively and ignoring
//!   punctuation. A query may be exact, a prefix ("hit man"), a substring at a
//!   word start ("manager"), words in any order that each start a word of the
//!   name ("records tech"), or a small typo ("cphmis", "helth info tech"). The
//!   best match wins; ties go to the one listed first in the file.
//! - **Figures are never merged or picked.** Every figure that matches comes
//!   back, each with its source, sorted by region (the national region, `us`,
//!   first, then file order), level (entry, mid, senior, all), then source
//!   (newest guide first, then key) and finally file order.
//! - **Level filter.** `level: None` returns every level; `Some(level)` returns
//!   figures tagged with exactly that level (`all` means figures the guides give
//!   for all levels or the whole occupation). [`SalaryAnswer::levels`] says
//!   which levels do have figures, so an empty answer can say what exists.
//! - **National medians.** Medians for the whole occupation (level `all`, stat
//!   `median`, national region, no `years`) are the BLS medians the guides
//!   quote; `salaries.toml` files them under the technician role because that is
//!   the BLS occupation. They are role-independent context, so they are taken
//!   out of `figures` and returned in [`SalaryAnswer::national_medians`] for
//!   every role, oldest period first and undated last, whenever the region
//!   filter includes the national region.
//! - **Region filter.** `None` (or "all", "any", "everywhere", "global") means
//!   every region. Geography notes follow the same filter, and are given for
//!   the national region and for regions where the role has figures.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::corpus::diag::edit_distance_within;
use crate::corpus::{Cert, Corpus, Figure, Geography, Level, Named, Salaries, Source, Stat};

/// Longest query matched, in characters: no name is this long, so longer
/// input (an option value or autocomplete text sent by a modified client)
/// is cut first, and matching costs the same whatever is sent.
pub const MAX_QUERY_CHARS: usize = 100;
/// Suggestions farther than this many edits from the query come after the
/// closer ones, in file order.
const SUGGESTION_EDITS: usize = 10;
/// The region whose figures come first and whose medians are "national".
pub const NATIONAL_REGION: &str = "us";
/// Region queries that mean "every region".
const EVERY_REGION: &[&str] = &["all", "any", "every", "everywhere", "global", "worldwide"];

/// What a name query looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Wanted {
    Role,
    Region,
    Level,
    Certification,
}

impl Wanted {
    pub fn as_str(self) -> &'static str {
        match self {
            Wanted::Role => "role",
            Wanted::Region => "region",
            Wanted::Level => "level",
            Wanted::Certification => "certification",
        }
    }
}

impl std::fmt::Display for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A query that matched nothing well enough: a weak match (a generic word
/// such as "cert", a name that shares only a few letters) is refused, never
/// guessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotFound {
    pub what: Wanted,
    pub query: String,
    /// The closest known names, best first (at most 5).
    pub suggestions: Vec<String>,
    /// The same names as choices: `name` shown, `value` looks it up exactly.
    pub choices: Vec<Choice>,
}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no {} matches `{}`", self.what, self.query)
    }
}

impl std::error::Error for NotFound {}

/// A source guide as cited next to a figure or credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    pub key: String,
    /// The guide's short name ("Qualora 2026"), as citations show it.
    #[serde(skip)]
    pub label: String,
    pub title: String,
    pub publisher: String,
    pub date: String,
}

/// One figure with what a reader needs to show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureAnswer {
    #[serde(flatten)]
    pub figure: Figure,
    pub region_name: String,
    /// [`format_figure`] of the figure.
    pub display: String,
    pub cited: SourceRef,
}

/// How pay shifts by place, with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeoAnswer {
    #[serde(flatten)]
    pub geography: Geography,
    pub region_name: String,
    /// [`format_geography`] of the note, when it gives percentages.
    pub display: Option<String>,
    pub cited: SourceRef,
}

/// Everything the guides say about one role's pay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalaryAnswer {
    pub role: Named,
    /// The level filter, if any.
    pub level: Option<Level>,
    /// The region filter, if any (`None` = every region).
    pub region: Option<Named>,
    /// Matching figures, sorted (see the module docs); several sources for the
    /// same level and region sit side by side.
    pub figures: Vec<FigureAnswer>,
    /// Levels that have figures for this role within the region filter.
    pub levels: Vec<Level>,
    pub geography: Vec<GeoAnswer>,
    /// Whole-occupation national medians from every guide, oldest first.
    pub national_medians: Vec<FigureAnswer>,
}

/// One cell of the roles × levels overview: the span of the national-region
/// figures (USD, top-10 % thresholds left out) across every guide.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverviewCell {
    pub level: Level,
    pub figures: usize,
    pub sources: Vec<String>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Some range in the cell has no upper end ("$70,000+").
    pub open_ended: bool,
    /// Every guide's figure behind the cell, each with its source.
    pub behind: Vec<FigureAnswer>,
}

impl OverviewCell {
    /// "$35,000–$45,000", "$62,000", "$65,000+" or "—" when empty.
    pub fn display(&self, currency: &str) -> String {
        let (Some(low), Some(high)) = (self.low, self.high) else {
            return "—".into();
        };
        format_range(low, high, self.open_ended, currency)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverviewRow {
    pub role: Named,
    /// One cell per entry of [`Overview::levels`].
    pub cells: Vec<OverviewCell>,
}

/// Data for the roles × levels table (`careerbot salary` with no role).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub region: Option<Named>,
    pub currency: String,
    pub levels: Vec<Level>,
    pub rows: Vec<OverviewRow>,
    /// Whole-occupation national medians from every guide, oldest first
    /// (as [`Lookup::national_medians`]).
    pub national_medians: Vec<FigureAnswer>,
}

/// A credential with its sources resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertAnswer {
    #[serde(flatten)]
    pub cert: Cert,
    pub cited: Vec<SourceRef>,
}

/// The structured data a free-text question clearly asks for, so `ask`
/// shows the same figures and citations as `/salary` or `/cert` would.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Facts {
    Salary(SalaryAnswer),
    Cert(CertAnswer),
}

/// Words (singular) that make a question about pay ("how much do hit
/// techs make").
const PAY_WORDS: &[&str] = &[
    "pay",
    "paid",
    "salary",
    "salarie",
    "make",
    "earn",
    "earning",
    "wage",
    "income",
    "compensation",
    "money",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompleteKind {
    Role,
    Level,
    Region,
    Cert,
}

/// An autocomplete choice: `name` is shown, `value` is sent back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub name: String,
    pub value: String,
}

/// The lookups, over a copy of the corpus's structured data.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    salaries: Salaries,
    certs: Vec<Cert>,
    sources: BTreeMap<String, Source>,
}

/// Something that can be looked up by name.
struct Item {
    name: String,
    value: String,
    /// How a "did you mean" hint names it.
    hint: String,
    /// Normalized id, name and aliases.
    keys: Vec<String>,
}

impl Item {
    fn new<'a>(
        name: impl Into<String>,
        value: impl Into<String>,
        hint: impl Into<String>,
        keys: impl IntoIterator<Item = &'a str>,
    ) -> Item {
        let mut norm_keys: Vec<String> = Vec::new();
        for k in keys.into_iter().map(norm) {
            if !k.is_empty() && !norm_keys.contains(&k) {
                norm_keys.push(k);
            }
        }
        Item {
            name: name.into(),
            value: value.into(),
            hint: hint.into(),
            keys: norm_keys,
        }
    }
}

const LEVEL_WORDS: [(Level, &str, &[&str]); 4] = [
    (
        Level::Entry,
        "Entry level",
        &[
            "entry",
            "entry level",
            "junior",
            "jr",
            "beginner",
            "starting",
            "starter",
            "new grad",
        ],
    ),
    (
        Level::Mid,
        "Mid-career",
        &["mid", "mid career", "mid level", "middle", "intermediate"],
    ),
    (
        Level::Senior,
        "Senior",
        &["senior", "sr", "experienced", "advanced", "lead"],
    ),
    (
        Level::All,
        "All levels / whole occupation",
        &["all", "all levels", "overall", "whole occupation"],
    ),
];

fn level_items() -> Vec<Item> {
    LEVEL_WORDS
        .iter()
        .map(|(l, name, words)| {
            Item::new(
                *name,
                l.as_str(),
                l.as_str(),
                std::iter::once(*name).chain(words.iter().copied()),
            )
        })
        .collect()
}

/// Parses a level: entry | mid | senior | all, synonyms (junior, experienced,
/// mid-career, ...) and small typos.
pub fn parse_level(s: &str) -> Result<Level, NotFound> {
    let items = level_items();
    resolve(&items, s, Wanted::Level).map(|i| LEVEL_WORDS[i].0)
}

impl Lookup {
    pub fn new(corpus: &Corpus) -> Lookup {
        Lookup {
            salaries: corpus.salaries.clone(),
            certs: corpus.certs.clone(),
            sources: corpus.sources.clone(),
        }
    }

    pub fn roles(&self) -> &[Named] {
        &self.salaries.roles
    }

    /// Regions in file order (the national region is first in `faq/`).
    pub fn regions(&self) -> &[Named] {
        &self.salaries.regions
    }

    pub fn certs(&self) -> &[Cert] {
        &self.certs
    }

    /// Every figure for a role, optionally filtered by level and region.
    pub fn salary(
        &self,
        role: &str,
        level: Option<Level>,
        region: Option<&str>,
    ) -> Result<SalaryAnswer, NotFound> {
        let role = &self.salaries.roles[resolve(&named_items(self.roles()), role, Wanted::Role)?];
        let region = match region {
            Some(q) if !EVERY_REGION.contains(&norm(q).as_str()) => Some(
                &self.salaries.regions[resolve(&named_items(self.regions()), q, Wanted::Region)?],
            ),
            _ => None,
        };
        let in_region = |r: &str| region.is_none_or(|n| n.id == r);

        let mut figures: Vec<FigureAnswer> = Vec::new();
        let mut levels: Vec<Level> = Vec::new();
        for f in &self.salaries.figures {
            if f.role != role.id || !in_region(&f.region) || self.is_national_median(f) {
                continue;
            }
            if !levels.contains(&f.level) {
                levels.push(f.level);
            }
            if level.is_none_or(|l| l == f.level) {
                figures.push(self.figure_answer(f));
            }
        }
        levels.sort();
        figures.sort_by_cached_key(|a| {
            (
                self.region_rank(&a.figure.region),
                a.figure.level,
                Reverse(a.cited.date.clone()),
                a.cited.key.clone(),
                a.figure.line,
            )
        });

        let mut geography: Vec<GeoAnswer> = self
            .salaries
            .geography
            .iter()
            .filter(|g| {
                in_region(&g.region)
                    && (g.region == self.national_id()
                        || self
                            .salaries
                            .figures
                            .iter()
                            .any(|f| f.role == role.id && f.region == g.region))
            })
            .map(|g| GeoAnswer {
                geography: g.clone(),
                region_name: self.region_name(&g.region),
                display: format_geography(g),
                cited: self.source_ref(&g.source),
            })
            .collect();
        geography.sort_by_key(|g| self.region_rank(&g.geography.region));

        let national_medians = if in_region(self.national_id()) {
            self.national_medians()
        } else {
            Vec::new()
        };
        Ok(SalaryAnswer {
            role: role.clone(),
            level,
            region: region.cloned(),
            figures,
            levels,
            geography,
            national_medians,
        })
    }

    /// Whole-occupation national medians, oldest period first, undated last.
    pub fn national_medians(&self) -> Vec<FigureAnswer> {
        let mut out: Vec<FigureAnswer> = self
            .salaries
            .figures
            .iter()
            .filter(|f| self.is_national_median(f))
            .map(|f| self.figure_answer(f))
            .collect();
        out.sort_by_cached_key(|a| {
            (
                a.figure
                    .year
                    .as_deref()
                    .and_then(year_of)
                    .unwrap_or(u32::MAX),
                a.cited.key.clone(),
                a.figure.line,
            )
        });
        out
    }

    /// Roles × levels over the national region's USD figures (every guide's
    /// figures spanned, top-10 % thresholds left out).
    pub fn overview(&self) -> Overview {
        let region = self.regions().iter().find(|r| r.id == self.national_id());
        let currency = "USD";
        let rows = self
            .roles()
            .iter()
            .map(|role| OverviewRow {
                role: role.clone(),
                cells: Level::ALL
                    .iter()
                    .map(|&level| {
                        let mut cell = OverviewCell {
                            level,
                            figures: 0,
                            sources: Vec::new(),
                            low: None,
                            high: None,
                            open_ended: false,
                            behind: Vec::new(),
                        };
                        for f in self.salaries.figures.iter().filter(|f| {
                            f.role == role.id
                                && f.level == level
                                && f.region == self.national_id()
                                && f.currency == currency
                                && f.stat != Stat::Top10
                        }) {
                            cell.figures += 1;
                            if !cell.sources.contains(&f.source) {
                                cell.sources.push(f.source.clone());
                            }
                            let top = f.high.unwrap_or(f.low);
                            cell.low = Some(cell.low.map_or(f.low, |l| l.min(f.low)));
                            cell.high = Some(cell.high.map_or(top, |h| h.max(top)));
                            cell.open_ended |= f.stat == Stat::Range && f.high.is_none();
                            cell.behind.push(self.figure_answer(f));
                        }
                        cell
                    })
                    .collect(),
            })
            .collect();
        Overview {
            region: region.cloned(),
            currency: currency.into(),
            levels: Level::ALL.to_vec(),
            rows,
            national_medians: self.national_medians(),
        }
    }

    /// A credential by abbreviation, full name or alias (typos tolerated).
    pub fn cert(&self, name: &str) -> Result<CertAnswer, NotFound> {
        let i = resolve(&self.cert_items(), name, Wanted::Certification)?;
        let cert = self.certs[i].clone();
        let cited = cert.sources.iter().map(|k| self.source_ref(k)).collect();
        Ok(CertAnswer { cert, cited })
    }

    /// What a free-text question clearly asks for, if anything: pay words
    /// plus exactly one role ("what do hit managers make", with an optional
    /// level or country named too) give that role's figures; otherwise exactly
    /// one credential named ("what is cphims") gives its record. Names must
    /// appear whole (a trailing plural `s` is fine); two roles or two
    /// credentials ("rhit vs rhia") give nothing, the search answer covers those.
    pub fn facts(&self, question: &str) -> Option<Facts> {
        let (words, pay, roles) = self.pay_and_roles(question);
        if pay && let [role] = roles[..] {
            let role = &self.roles()[role];
            let regions = self.other_regions(&words);
            let region = match regions[..] {
                [r] => Some(self.regions()[r].id.as_str()),
                _ => None,
            };
            let levels = mentioned(&level_items(), &words, 1);
            let all = self.salary(&role.id, None, region).ok()?;
            let level = match levels[..] {
                [l] if all.levels.contains(&LEVEL_WORDS[l].0) => Some(LEVEL_WORDS[l].0),
                _ => None,
            };
            return match level {
                Some(_) => self.salary(&role.id, level, region).ok().map(Facts::Salary),
                None => Some(Facts::Salary(all)),
            };
        }
        if roles.is_empty()
            && !pay
            && let [cert] = mentioned(&self.cert_items(), &words, 1)[..]
        {
            return self.cert(&self.certs[cert].abbr).ok().map(Facts::Cert);
        }
        None
    }

    /// The entry `salaries.toml` names for the one role `question` names,
    /// when the question speaks of pay and of no region but the national
    /// one (pay abroad is the engine's to find).
    pub fn pay_entry(&self, question: &str) -> Option<&str> {
        let (words, pay, roles) = self.pay_and_roles(question);
        let [role] = roles[..] else {
            return None;
        };
        if !pay || !self.other_regions(&words).is_empty() {
            return None;
        }
        self.roles()[role].entry.as_ref().map(|(e, _)| e.as_str())
    }

    /// The regions other than the national one that `words` name.
    fn other_regions(&self, words: &[String]) -> Vec<usize> {
        let national = self.national_id();
        mentioned(&named_items(self.regions()), words, 3)
            .into_iter()
            .filter(|&i| self.regions()[i].id != national)
            .collect()
    }

    /// The question's words (singular), whether it speaks of pay, and the
    /// roles it names.
    fn pay_and_roles(&self, question: &str) -> (Vec<String>, bool, Vec<usize>) {
        let words: Vec<String> = norm(question).split(' ').map(singular).collect();
        let pay = question.contains('$') || words.iter().any(|w| PAY_WORDS.contains(&w.as_str()));
        let roles = mentioned(&named_items(self.roles()), &words, 1);
        (words, pay, roles)
    }

    /// Autocomplete: every match, best first (adapters cap and cut).
    /// Exact and prefix matches first, then substrings, then typos; an empty
    /// `partial` lists everything in file order.
    pub fn complete(&self, kind: CompleteKind, partial: &str) -> Vec<Choice> {
        let items = match kind {
            CompleteKind::Role => named_items(self.roles()),
            CompleteKind::Region => named_items(self.regions()),
            CompleteKind::Level => level_items(),
            CompleteKind::Cert => self.cert_items(),
        };
        rank(&items, partial)
            .into_iter()
            .map(|i| Choice {
                name: items[i].name.clone(),
                value: items[i].value.clone(),
            })
            .collect()
    }

    fn cert_items(&self) -> Vec<Item> {
        self.certs
            .iter()
            .map(|c| {
                let name = if c.abbr.eq_ignore_ascii_case(&c.name) {
                    c.name.clone()
                } else {
                    format!("{} — {}", c.abbr, c.name)
                };
                let keys = [c.abbr.as_str(), c.name.as_str()]
                    .into_iter()
                    .chain(c.aliases.iter().map(String::as_str));
                Item::new(name, c.abbr.clone(), c.abbr.clone(), keys)
            })
            .collect()
    }

    fn national_id(&self) -> &str {
        if self.regions().iter().any(|r| r.id == NATIONAL_REGION) {
            NATIONAL_REGION
        } else {
            self.regions().first().map_or(NATIONAL_REGION, |r| &r.id)
        }
    }

    fn is_national_median(&self, f: &Figure) -> bool {
        f.level == Level::All
            && f.stat == Stat::Median
            && f.years.is_none()
            && f.region == self.national_id()
    }

    fn region_rank(&self, id: &str) -> usize {
        if id == self.national_id() {
            return 0;
        }
        self.regions()
            .iter()
            .position(|r| r.id == id)
            .map_or(usize::MAX, |i| i + 1)
    }

    fn region_name(&self, id: &str) -> String {
        self.regions()
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| id.to_string(), |r| r.name.clone())
    }

    fn source_ref(&self, key: &str) -> SourceRef {
        match self.sources.get(key) {
            Some(s) => SourceRef {
                key: key.into(),
                label: s.label().to_string(),
                title: s.title.clone(),
                publisher: s.publisher.clone(),
                date: s.date.clone(),
            },
            None => SourceRef {
                key: key.into(),
                label: key.into(),
                title: key.into(),
                publisher: String::new(),
                date: String::new(),
            },
        }
    }

    fn figure_answer(&self, f: &Figure) -> FigureAnswer {
        FigureAnswer {
            figure: f.clone(),
            region_name: self.region_name(&f.region),
            display: format_figure(f),
            cited: self.source_ref(&f.source),
        }
    }
}

fn named_items(list: &[Named]) -> Vec<Item> {
    list.iter()
        .map(|n| {
            let keys = [n.id.as_str(), n.name.as_str()]
                .into_iter()
                .chain(n.aliases.iter().map(String::as_str));
            Item::new(n.name.clone(), n.id.clone(), n.name.clone(), keys)
        })
        .collect()
}

// ------------------------------------------------------------------ matching

/// Lowercase words of letters and digits, single-spaced: "Mid-Career" -> "mid career".
fn norm(s: &str) -> String {
    let mut out = String::new();
    for w in s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(w.chars().flat_map(char::to_lowercase));
    }
    out
}

/// A word without a plural `s` ("techs" -> "tech", "salaries" -> "salary";
/// "us" and "is" stay).
fn singular(w: &str) -> String {
    if let Some(stem) = w.strip_suffix("ies").filter(|s| s.len() > 2) {
        return format!("{stem}y");
    }
    w.strip_suffix('s')
        .filter(|w| w.len() > 2)
        .unwrap_or(w)
        .to_string()
}

/// Items named whole in `words` (normalized, [`singular`]), by any key
/// of at least `min_chars` characters or by their value (id).
fn mentioned(items: &[Item], words: &[String], min_chars: usize) -> Vec<usize> {
    (0..items.len())
        .filter(|&i| {
            let id = norm(&items[i].value);
            items[i]
                .keys
                .iter()
                .filter(|k| k.len() >= min_chars || **k == id)
                .any(|k| {
                    let k: Vec<String> = k.split(' ').map(singular).collect();
                    words.windows(k.len()).any(|w| w == k)
                })
        })
        .collect()
}

/// Typos allowed in a word or phrase of `len` characters.
fn allowed_typos(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=5 => 1,
        _ => 2.max(len / 4),
    }
}

/// Lower is better: (tier, cost). Tiers: 0 exact, 1 prefix, 2 substring at a
/// word start, 3 every word starts a word, 4 any substring, 5 typo.
type Score = (u8, usize);

fn score_key(q: &str, key: &str) -> Option<Score> {
    let extra = key.len().saturating_sub(q.len());
    if key == q {
        return Some((0, 0));
    }
    if key.starts_with(q) {
        return Some((1, extra));
    }
    if key
        .match_indices(q)
        .any(|(i, _)| i > 0 && key.as_bytes()[i - 1] == b' ')
    {
        return Some((2, extra));
    }
    let kw: Vec<&str> = key.split(' ').collect();
    let qw: Vec<&str> = q.split(' ').collect();
    if qw.iter().all(|w| kw.iter().any(|k| k.starts_with(w))) {
        return Some((3, extra));
    }
    if q.len() >= 3 && key.contains(q) {
        return Some((4, extra));
    }
    // A typo is judged by the shorter of the two: "zzcert" is not a typo
    // of "cert" (two edits on four letters), "cphmis" is one of "cphims".
    let allowed = |a: &str, b: &str| allowed_typos(a.chars().count().min(b.chars().count()));
    if let Some(whole) = distance_within(q, key, allowed(q, key)) {
        return Some((5, whole));
    }
    // Word by word: each query word is a typo of a word of the key, or of its
    // beginning (for a word still being typed).
    let mut total = 0;
    for w in &qw {
        let wlen = w.chars().count();
        let best = kw
            .iter()
            .map(|k| {
                let full = distance_within(w, k, allowed(w, k)).unwrap_or(usize::MAX);
                let prefix: String = k.chars().take(wlen).collect();
                let part = if wlen >= 4 && k.chars().count() > wlen {
                    distance_within(w, &prefix, allowed_typos(wlen)).unwrap_or(usize::MAX)
                } else {
                    usize::MAX
                };
                full.min(part)
            })
            .min()?;
        if best == usize::MAX {
            return None;
        }
        total += best;
    }
    Some((5, total))
}

fn score_item(q: &str, item: &Item) -> Option<Score> {
    item.keys.iter().filter_map(|k| score_key(q, k)).min()
}

/// The edit distance of `a` and `b` when it is at most `max`: the cost is
/// bounded by `max` and the shorter string, never by the longer one.
fn distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    edit_distance_within(&a, &b, max, &mut Vec::new())
}

/// `q` cut to [`MAX_QUERY_CHARS`].
fn cut(q: &str) -> &str {
    q.char_indices()
        .nth(MAX_QUERY_CHARS)
        .map_or(q, |(i, _)| &q[..i])
}

/// Indices of matching items, best first; every item (file order) when `q` is empty.
fn rank(items: &[Item], q: &str) -> Vec<usize> {
    let q = norm(cut(q));
    if q.is_empty() {
        return (0..items.len()).collect();
    }
    let mut hits: Vec<(Score, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| score_item(&q, it).map(|s| (s, i)))
        .collect();
    hits.sort();
    hits.into_iter().map(|(_, i)| i).collect()
}

/// Words that name the kind of thing, not one of them: a certification
/// query made only of these ("cert", "cert cert") names no credential.
const GENERIC_CERT_WORDS: &[&str] = &[
    "cert",
    "certs",
    "certification",
    "certifications",
    "certificate",
    "certificates",
    "certified",
    "credential",
    "credentials",
    "exam",
    "exams",
];

/// The query words that can name one item of `what`.
fn meaningful(q: &str, what: Wanted) -> String {
    let q = norm(q);
    if what != Wanted::Certification {
        return q;
    }
    q.split(' ')
        .filter(|w| !GENERIC_CERT_WORDS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The one item `q` names, or the closest names as suggestions. Refused
/// (never guessed): an empty or generic query, no match, or a loose match
/// (a substring, initials or a typo) that fits two items equally well.
fn resolve(items: &[Item], q: &str, what: Wanted) -> Result<usize, NotFound> {
    let q = cut(q);
    let nq = meaningful(q, what);
    let mut hits: Vec<(Score, usize)> = if nq.is_empty() {
        Vec::new()
    } else {
        items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| score_item(&nq, it).map(|s| (s, i)))
            .collect()
    };
    hits.sort();
    match hits[..] {
        [(best, i), ..] if best.0 <= 1 => return Ok(i),
        [(_, i)] => return Ok(i),
        [(best, i), (next, _), ..] if best != next => return Ok(i),
        _ => {}
    }
    // Ties first (the names the query fits equally), then the nearest by edits.
    let tied: Vec<usize> = hits
        .iter()
        .take_while(|(s, _)| Some(s) == hits.first().map(|(b, _)| b))
        .map(|&(_, i)| i)
        .collect();
    let whole = norm(q);
    let mut near: Vec<(usize, usize)> = items
        .iter()
        .enumerate()
        .filter(|(i, _)| !tied.contains(i))
        .map(|(i, it)| {
            let d = it
                .keys
                .iter()
                .filter_map(|k| distance_within(&whole, k, SUGGESTION_EDITS))
                .min()
                .unwrap_or(usize::MAX);
            (d, i)
        })
        .collect();
    near.sort();
    let best: Vec<usize> = tied
        .into_iter()
        .chain(near.into_iter().map(|(_, i)| i))
        .take(5)
        .collect();
    Err(NotFound {
        what,
        query: q.to_string(),
        suggestions: best.iter().map(|&i| items[i].hint.clone()).collect(),
        choices: best
            .iter()
            .map(|&i| Choice {
                name: items[i].name.clone(),
                value: items[i].value.clone(),
            })
            .collect(),
    })
}

/// The first four-digit year in "May 2023", "2018", ...
fn year_of(s: &str) -> Option<u32> {
    s.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 4)
        .and_then(|w| w.parse().ok())
}

// ------------------------------------------------------------------ formatting

/// "$35,000–$45,000", or "$62,000" when both ends are one; `open`: "+" after
/// it ("$65,000+").
pub fn format_range(low: f64, high: f64, open: bool, currency: &str) -> String {
    let plus = if open { "+" } else { "" };
    if low == high {
        format!("{}{plus}", format_money(low, currency))
    } else {
        format!(
            "{}–{}{plus}",
            format_money(low, currency),
            format_money(high, currency)
        )
    }
}

/// An amount with its currency's symbol and thousands separators: "$48,640",
/// "£25,000", "CA$40,000", "CHF 90,000".
pub fn format_money(amount: f64, currency: &str) -> String {
    let prefix = match currency {
        "USD" => "$",
        "GBP" => "£",
        "EUR" => "€",
        "CAD" => "CA$",
        "AUD" => "A$",
        "SGD" => "S$",
        "NZD" => "NZ$",
        "INR" => "₹",
        _ => "",
    };
    let sign = if amount < 0.0 { "-" } else { "" };
    let abs = amount.abs();
    let cents = (abs * 100.0).round() as u64;
    let (whole, frac) = (cents / 100, cents % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac != 0 {
        grouped.push_str(&format!(".{frac:02}"));
    }
    if prefix.is_empty() {
        format!("{sign}{currency} {grouped}")
    } else {
        format!("{sign}{prefix}{grouped}")
    }
}

/// A figure as people write it: "$38,000–$45,000", "£25,000–£35,000 (≈
/// $32,000–$45,000)", "$70,000+", "$47,160 median", "over $78,000 (top 10%)".
pub fn format_figure(f: &Figure) -> String {
    let money = |v: f64| format_money(v, &f.currency);
    let usd = |v: f64| format_money(v, "USD");
    let base = match f.stat {
        Stat::Range => match f.high {
            Some(h) => format!("{}–{}", money(f.low), money(h)),
            None => format!("{}+", money(f.low)),
        },
        Stat::Top10 => format!("over {} (top 10%)", money(f.low)),
        stat => format!("{} {}", money(f.low), stat.as_str()),
    };
    if f.currency == "USD" {
        return base;
    }
    match (f.usd_low, f.usd_high) {
        (Some(l), Some(h)) => format!("{base} (≈ {}–{})", usd(l), usd(h)),
        (Some(l), None) if f.stat == Stat::Range && f.high.is_none() => {
            format!("{base} (≈ {}+)", usd(l))
        }
        (Some(l), None) => format!("{base} (≈ {})", usd(l)),
        _ => base,
    }
}

/// A geography note's percentages: "25–35% above the national median",
/// "10–15% below the national median"; `None` when the guide gives none.
pub fn format_geography(g: &Geography) -> Option<String> {
    let (lo, hi) = match (g.low_pct, g.high_pct) {
        (Some(l), Some(h)) => (l, h),
        (Some(v), None) | (None, Some(v)) => (v, v),
        (None, None) => return None,
    };
    let pct = |v: f64| {
        let v = v.abs();
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v}")
        }
    };
    let (a, b) = if lo.abs() <= hi.abs() {
        (lo, hi)
    } else {
        (hi, lo)
    };
    let span = if a == b {
        format!("{}%", pct(a))
    } else {
        format!("{}–{}%", pct(a), pct(b))
    };
    let dir = if lo >= 0.0 && hi >= 0.0 {
        "above"
    } else if lo <= 0.0 && hi <= 0.0 {
        "below"
    } else {
        return Some(format!(
            "-{}% to +{}% around the national median",
            pct(lo),
            pct(hi)
        ));
    };
    Some(format!("{span} {dir} the national median"))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::corpus::Diagnostics;
    use crate::corpus::data::{parse_certs, parse_salaries};

    const SALARIES: &str = r#"
[[role]]
id = "hit-technician"
name = "HIT Technician / Specialist"
aliases = ["hit tech", "health information technician", "medical records tech"]

[[role]]
id = "hit-manager"
name = "HIT Manager / Director"
aliases = ["hit manager", "hit director"]

[[role]]
id = "data-analyst"
name = "Healthcare Data Analyst"
aliases = ["data analyst"]

[[region]]
id = "us"
name = "United States (national)"
aliases = ["usa", "national"]

[[region]]
id = "uk"
name = "United Kingdom"
aliases = ["england", "britain"]

[[figure]]
role = "hit-technician"
level = "all"
label = "UK"
stat = "range"
low = 25000
high = 35000
currency = "GBP"
usd_low = 32000
usd_high = 45000
region = "uk"
source = "b"
section = "Global"

[[figure]]
role = "hit-technician"
level = "senior"
stat = "range"
low = 60000
high = 70000
currency = "USD"
region = "us"
source = "a"
section = "Pay"

[[figure]]
role = "hit-technician"
level = "entry"
stat = "range"
low = 38000
high = 45000
currency = "USD"
region = "us"
source = "a"
section = "Pay"

[[figure]]
role = "hit-technician"
level = "entry"
stat = "median"
value = 39000
currency = "USD"
region = "us"
source = "b"
section = "Pay"

[[figure]]
role = "hit-technician"
level = "all"
stat = "median"
value = 48640
currency = "USD"
region = "us"
source = "a"
section = "Pay"

[[figure]]
role = "hit-technician"
level = "all"
stat = "median"
value = 47160
currency = "USD"
region = "us"
year = "May 2023"
source = "b"
section = "Facts"

[[figure]]
role = "hit-technician"
level = "all"
stat = "median"
value = 40350
currency = "USD"
region = "us"
year = "May 2018"
source = "c"
section = "Outlook"

[[figure]]
role = "hit-manager"
level = "mid"
stat = "range"
low = 85000
high = 105000
currency = "USD"
region = "us"
source = "a"
section = "Pay"

[[geography]]
region = "us"
places = "California"
low_pct = 25
high_pct = 35
source = "a"
section = "Pay"

[[geography]]
region = "uk"
places = "London"
source = "b"
section = "Global"
"#;

    const CERTS: &str = r#"
[[cert]]
abbr = "RHIT"
name = "Registered Health Information Technician"
aliases = ["registered health info tech"]
issuer = "AHIMA"
level = "entry"
source = ["a", "b"]
section = "Certs"

[[cert]]
abbr = "RHIA"
name = "Registered Health Information Administrator"
aliases = ["registered health info admin"]
issuer = "AHIMA"
level = "advanced"
source = "a"
section = "Certs"

[[cert]]
abbr = "CPHIMS"
name = "Certified Professional in Healthcare Information and Management Systems"
aliases = ["himss advanced cert"]
issuer = "HIMSS"
source = "a"
section = "Certs"

[[cert]]
abbr = "Epic"
name = "Epic certification"
aliases = ["epic cert", "epic certified"]
issuer = "Epic"
source = "a"
section = "Certs"
"#;

    fn source(key: &str, title: &str, date: &str) -> (String, Source) {
        let s = Source {
            key: key.into(),
            title: title.into(),
            publisher: format!("Publisher {key}"),
            date: date.into(),
            label: None,
            aliases: Vec::new(),
            url: None,
            note: None,
        };
        (key.into(), s)
    }

    fn corpus_from(salaries: &str, certs: &str) -> Corpus {
        let mut d = Diagnostics::default();
        let c = Corpus {
            salaries: parse_salaries(Path::new("salaries.toml"), salaries, &mut d),
            certs: parse_certs(Path::new("certifications.toml"), certs, &mut d),
            sources: [
                source("a", "Guide A", "2026-05-10"),
                source("b", "Guide B", "2025"),
                source("c", "Guide C", "2019-09-10"),
            ]
            .into_iter()
            .collect(),
            ..Corpus::default()
        };
        assert!(d.0.is_empty(), "{d}");
        c
    }

    fn fixture() -> Lookup {
        Lookup::new(&corpus_from(SALARIES, CERTS))
    }

    fn real() -> Lookup {
        let (c, d) = crate::corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("faq"));
        assert!(!d.has_errors(), "{d}");
        Lookup::new(&c)
    }

    fn role_id(l: &Lookup, q: &str) -> String {
        l.salary(q, None, None)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .role
            .id
    }

    fn facts_kind(l: &Lookup, q: &str) -> Option<String> {
        l.facts(q).map(|f| match f {
            Facts::Salary(a) => format!(
                "salary {} {} {}",
                a.role.id,
                a.level.map_or("-", |l| l.as_str()),
                a.region.map_or("-".into(), |r| r.id)
            ),
            Facts::Cert(c) => format!("cert {}", c.cert.abbr),
        })
    }

    #[test]
    fn a_question_asking_one_roles_pay_names_that_roles_entry() {
        let l = real();
        let manager = Some("salary-hit-manager-director");
        assert_eq!(l.pay_entry("what do senior hit managers make"), manager);
        assert_eq!(l.pay_entry("HIT Director salary"), manager);
        // Not pay, another country, two roles, or a role with no entry.
        assert_eq!(l.pay_entry("what does a hit manager do"), None);
        assert_eq!(l.pay_entry("hit manager salary in germany"), None);
        assert_eq!(l.pay_entry("hit manager vs hit analyst salary"), None);
        assert_eq!(l.pay_entry("hit tech salary"), None);
    }

    #[test]
    fn facts_come_with_pay_words_and_one_role_named_whole() {
        let l = fixture();
        let f = |q: &str| facts_kind(&l, q);
        assert_eq!(
            f("how much do hit managers make").as_deref(),
            Some("salary hit-manager - -")
        );
        assert_eq!(
            f("What does a HIT tech earn?").as_deref(),
            Some("salary hit-technician - -")
        );
        assert_eq!(
            f("entry level hit tech pay").as_deref(),
            Some("salary hit-technician entry -")
        );
        assert_eq!(
            f("hit tech salary in england").as_deref(),
            Some("salary hit-technician - uk")
        );
        // A level the role has no figures for is not a filter.
        assert_eq!(
            f("senior hit manager salary").as_deref(),
            Some("salary hit-manager - -")
        );
        // No pay words, two roles, or a role only as part of a word: nothing.
        assert_eq!(f("what does a hit manager do"), None);
        assert_eq!(f("how much experience does a hit manager need"), None);
        assert_eq!(
            f("hit tech salaries").as_deref(),
            Some("salary hit-technician - -")
        );
        assert_eq!(f("hit tech vs hit manager pay"), None);
        assert_eq!(f("how much do nurses make"), None);
        assert_eq!(f("pay us what hitmanager makes"), None);
    }

    #[test]
    fn facts_name_one_credential_when_no_pay_is_asked() {
        let l = fixture();
        let f = |q: &str| facts_kind(&l, q);
        assert_eq!(f("what is cphims").as_deref(), Some("cert CPHIMS"));
        assert_eq!(f("how do i get the RHIT?").as_deref(), Some("cert RHIT"));
        assert_eq!(f("rhit vs rhia"), None);
        assert_eq!(f("do i need a degree"), None);
        // Pay questions are about roles, never a credential card.
        assert_eq!(f("rhit salary"), None);
    }

    #[test]
    fn facts_on_the_shipped_data_match_the_lookup() {
        let l = real();
        let Some(Facts::Salary(a)) = l.facts("how much do hit managers make") else {
            panic!("no salary facts");
        };
        assert_eq!(a, l.salary("hit-manager", None, None).unwrap());
        assert!(!a.figures.is_empty() && a.national_medians.len() >= 3);
    }

    #[test]
    fn role_resolves_by_id_name_alias_case_and_typo() {
        let l = fixture();
        for q in [
            "hit-technician",
            "HIT Technician / Specialist",
            "Medical Records Tech",
            "health information technician",
            "hit techncian",
            "helth info tech",
            "records tech",
        ] {
            assert_eq!(role_id(&l, q), "hit-technician", "{q}");
        }
        assert_eq!(role_id(&l, "manager"), "hit-manager");
        assert_eq!(role_id(&l, "hit mangaer"), "hit-manager");
        assert_eq!(role_id(&l, "DATA ANALYST"), "data-analyst");
    }

    #[test]
    fn real_faq_resolves_the_roles_people_ask_about() {
        let l = real();
        for (q, id) in [
            ("hit manager", "hit-manager"),
            ("data analyst", "data-analyst"),
            ("health information technician", "hit-technician"),
            ("medical records tech", "hit-technician"),
            ("hit directer", "hit-manager"),
            ("ehr specalist", "hit-analyst"),
        ] {
            assert_eq!(role_id(&l, q), id, "{q}");
        }
    }

    #[test]
    fn careers_the_guide_lists_without_pay_are_not_aliases_of_a_paid_rung() {
        // Himalayas lists them as related careers, with no figures: pointing
        // them at its "Health Information Manager" rung showed another
        // role's pay.
        let l = real();
        for q in [
            "medical and health information manager",
            "health information services manager",
        ] {
            assert!(l.salary(q, None, None).is_err(), "{q} resolves to a role");
        }
        assert_eq!(
            role_id(&l, "health information manager"),
            "health-information-manager"
        );
    }

    #[test]
    fn figures_come_sorted_by_region_level_then_source_with_citations() {
        let a = fixture().salary("hit tech", None, None).unwrap();
        let got: Vec<(&str, Level, &str)> = a
            .figures
            .iter()
            .map(|f| {
                (
                    f.figure.region.as_str(),
                    f.figure.level,
                    f.cited.key.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("us", Level::Entry, "a"),
                ("us", Level::Entry, "b"),
                ("us", Level::Senior, "a"),
                ("uk", Level::All, "b"),
            ]
        );
        assert_eq!(a.figures[0].cited.title, "Guide A");
        assert_eq!(a.figures[0].cited.date, "2026-05-10");
        assert_eq!(a.figures[3].display, "£25,000–£35,000 (≈ $32,000–$45,000)");
        assert_eq!(a.levels, vec![Level::Entry, Level::Senior, Level::All]);
        assert_eq!(a.geography.len(), 2);
        let a = fixture().salary("hit manager", None, None).unwrap();
        let places: Vec<&str> = a
            .geography
            .iter()
            .map(|g| g.geography.places.as_str())
            .collect();
        assert_eq!(places, vec!["California"], "no UK notes without UK figures");
    }

    #[test]
    fn level_filter_keeps_only_that_level() {
        let a = fixture()
            .salary("hit tech", Some(Level::Entry), None)
            .unwrap();
        assert_eq!(a.figures.len(), 2);
        assert!(a.figures.iter().all(|f| f.figure.level == Level::Entry));
        let a = fixture()
            .salary("data analyst", Some(Level::Senior), None)
            .unwrap();
        assert!(a.figures.is_empty());
        assert!(a.levels.is_empty());
    }

    #[test]
    fn region_filter_limits_figures_geography_and_national_medians() {
        let a = fixture().salary("hit tech", None, Some("england")).unwrap();
        assert_eq!(a.region.as_ref().unwrap().id, "uk");
        assert_eq!(a.figures.len(), 1);
        assert_eq!(a.geography[0].geography.places, "London");
        assert!(a.national_medians.is_empty());
        let a = fixture().salary("hit tech", None, Some("all")).unwrap();
        assert!(a.region.is_none());
        let e = fixture()
            .salary("hit tech", None, Some("mars"))
            .unwrap_err();
        assert_eq!(e.what, Wanted::Region);
    }

    #[test]
    fn conflicting_national_medians_all_come_back_with_their_years() {
        for l in [fixture(), real()] {
            for role in ["hit tech", "hit manager", "data analyst"] {
                let a = l.salary(role, None, None).unwrap();
                let got: Vec<(String, Option<&str>)> = a
                    .national_medians
                    .iter()
                    .map(|m| (m.display.clone(), m.figure.year.as_deref()))
                    .collect();
                assert_eq!(
                    got,
                    vec![
                        ("$40,350 median".to_string(), Some("May 2018")),
                        ("$47,160 median".to_string(), Some("May 2023")),
                        ("$48,640 median".to_string(), None),
                    ],
                    "{role}"
                );
                assert!(
                    a.figures.iter().all(|f| !(f.figure.stat == Stat::Median
                        && f.figure.level == Level::All
                        && f.figure.years.is_none())),
                    "national medians are not repeated in figures"
                );
            }
        }
    }

    #[test]
    fn real_faq_gives_every_guides_entry_figures_side_by_side() {
        let a = real()
            .salary("hit technician", Some(Level::Entry), Some("us"))
            .unwrap();
        let mut keys: Vec<&str> = a.figures.iter().map(|f| f.cited.key.as_str()).collect();
        keys.dedup();
        assert_eq!(keys, vec!["qualora-2026", "himalayas-2025"]);
        assert!(a.figures.iter().any(|f| f.display == "$38,000–$45,000"));
        assert!(a.figures.iter().any(|f| f.display == "$39,000 median"));
    }

    #[test]
    fn overlong_queries_are_cut_before_matching() {
        let l = fixture();
        // A name followed by more than a name's worth of padding, then junk:
        // only the first MAX_QUERY_CHARS characters are matched.
        let long = format!("rhi{}zzzz qqqq", " ".repeat(MAX_QUERY_CHARS));
        assert_eq!(
            l.complete(CompleteKind::Cert, &long),
            l.complete(CompleteKind::Cert, "rhi")
        );
        let long = format!(
            "hit manager{}{}",
            " ".repeat(MAX_QUERY_CHARS),
            "x".repeat(6000)
        );
        assert_eq!(l.salary(&long, None, None).unwrap().role.id, "hit-manager");
        let e = l.cert(&"q".repeat(6000)).unwrap_err();
        assert_eq!(e.query.chars().count(), MAX_QUERY_CHARS);
    }

    #[test]
    fn unknown_role_suggests_closest_names() {
        let e = fixture().salary("hit manger xyz", None, None).unwrap_err();
        assert_eq!(e.what, Wanted::Role);
        assert_eq!(e.suggestions[0], "HIT Manager / Director");
        assert_eq!(e.to_string(), "no role matches `hit manger xyz`");
        let e = real().salary("pilot", None, None).unwrap_err();
        assert!((1..=5).contains(&e.suggestions.len()), "{e:?}");
        assert!(fixture().salary("", None, None).is_err());
    }

    #[test]
    fn unknown_cert_names_are_refused_with_suggestions() {
        let l = real();
        for q in [
            "zzcert",
            "mycert",
            "cert",
            "cert cert",
            "certification",
            "xyz",
        ] {
            let e = l.cert(q).expect_err(q);
            assert_eq!(e.what, Wanted::Certification);
            assert!((1..=5).contains(&e.choices.len()), "{q}: {e:?}");
            assert_eq!(e.choices.len(), e.suggestions.len());
            for c in &e.choices {
                assert_eq!(l.cert(&c.value).unwrap().cert.abbr, c.value, "{q}");
            }
        }
        // Real names, their typos and their generic forms still resolve.
        for (q, abbr) in [
            ("rhit certification", "RHIT"),
            ("rhti", "RHIT"),
            ("cphmis", "CPHIMS"),
        ] {
            assert_eq!(l.cert(q).unwrap().cert.abbr, abbr, "{q}");
        }
        let e = l.salary("zzrole", None, None).unwrap_err();
        assert_eq!(e.what, Wanted::Role);
        assert!(!e.choices.is_empty());
        let e = l.salary("hit tech", None, Some("zzland")).unwrap_err();
        assert_eq!(e.what, Wanted::Region);
    }

    #[test]
    fn levels_parse_with_synonyms_and_typos() {
        for (q, l) in [
            ("entry", Level::Entry),
            ("junior", Level::Entry),
            ("Mid-Career", Level::Mid),
            ("experienced", Level::Senior),
            ("senoir", Level::Senior),
            ("all", Level::All),
        ] {
            assert_eq!(parse_level(q), Ok(l), "{q}");
        }
        assert_eq!(parse_level("pilot").unwrap_err().what, Wanted::Level);
    }

    #[test]
    fn cert_resolves_by_abbr_name_alias_and_typo_with_sources() {
        let l = fixture();
        let abbr = |q: &str| l.cert(q).unwrap_or_else(|e| panic!("{q}: {e}")).cert.abbr;
        assert_eq!(abbr("rhia"), "RHIA");
        assert_eq!(abbr("registered health info admin"), "RHIA");
        assert_eq!(abbr("Registered Health Information Technician"), "RHIT");
        assert_eq!(abbr("cphmis"), "CPHIMS");
        assert_eq!(abbr("epic cert"), "Epic");
        let a = l.cert("rhit").unwrap();
        let cited: Vec<(&str, &str)> = a
            .cited
            .iter()
            .map(|s| (s.title.as_str(), s.date.as_str()))
            .collect();
        assert_eq!(cited, vec![("Guide A", "2026-05-10"), ("Guide B", "2025")]);
        let e = l.cert("pmp").unwrap_err();
        assert_eq!(e.what, Wanted::Certification);
        assert!(!e.suggestions.is_empty());
    }

    #[test]
    fn real_faq_certs_resolve() {
        let l = real();
        for (q, abbr) in [
            ("rhia", "RHIA"),
            ("registered health info admin", "RHIA"),
            ("cphmis", "CPHIMS"),
            ("CPHIMS", "CPHIMS"),
            ("epic cert", "Epic"),
            ("oracle health", "Cerner"),
        ] {
            assert_eq!(l.cert(q).unwrap().cert.abbr, abbr, "{q}");
        }
        assert_eq!(l.certs().len(), 9);
    }

    #[test]
    fn complete_ranks_prefix_before_substring_before_typo() {
        let l = fixture();
        let names =
            |k, q| -> Vec<String> { l.complete(k, q).into_iter().map(|c| c.value).collect() };
        assert_eq!(names(CompleteKind::Cert, "rhi"), vec!["RHIT", "RHIA"]);
        assert_eq!(names(CompleteKind::Cert, "cphm")[0], "CPHIMS");
        assert_eq!(names(CompleteKind::Role, "analyst"), vec!["data-analyst"]);
        assert_eq!(names(CompleteKind::Level, "jun"), vec!["entry"]);
        assert_eq!(names(CompleteKind::Region, "brit"), vec!["uk"]);
        let c = l.complete(CompleteKind::Cert, "rhit");
        assert_eq!(c[0].name, "RHIT — Registered Health Information Technician");
    }

    #[test]
    fn complete_with_empty_partial_lists_all_in_file_order() {
        let l = fixture();
        let values: Vec<String> = l
            .complete(CompleteKind::Role, "")
            .into_iter()
            .map(|c| c.value)
            .collect();
        assert_eq!(
            values,
            vec!["hit-technician", "hit-manager", "data-analyst"]
        );
        let levels: Vec<String> = l
            .complete(CompleteKind::Level, "  ")
            .into_iter()
            .map(|c| c.value)
            .collect();
        assert_eq!(levels, vec!["entry", "mid", "senior", "all"]);
        assert_eq!(real().complete(CompleteKind::Cert, "").len(), 9);
    }

    #[test]
    fn complete_returns_every_match_whole_in_rank_order() {
        let mut toml = String::new();
        for i in 0..40 {
            let name = format!("Role {i:02} {}", "é".repeat(142));
            toml.push_str(&format!(
                "[[role]]\nid = \"role-{i}\"\nname = \"{name}\"\n\n"
            ));
        }
        toml.push_str("[[region]]\nid = \"us\"\nname = \"US\"\n");
        let l = Lookup::new(&corpus_from(&toml, ""));
        let all = l.complete(CompleteKind::Role, "");
        assert_eq!(all.len(), 40, "the adapter decides how many to show");
        assert_eq!(all[0].name.chars().count(), 150, "and how long");
        assert_eq!(l.complete(CompleteKind::Role, "role 01")[0].value, "role-1");
    }

    #[test]
    fn overview_spans_every_guides_us_figures_per_role_and_level() {
        let o = fixture().overview();
        assert_eq!(o.levels, Level::ALL.to_vec());
        let tech = &o.rows[0];
        assert_eq!(tech.cells[0].display(&o.currency), "$38,000–$45,000");
        assert_eq!(tech.cells[0].sources, vec!["a", "b"]);
        assert_eq!(tech.cells[1].display(&o.currency), "—");
        let o = real().overview();
        assert_eq!(o.rows.len(), 6);
        assert!(o.rows.iter().all(|r| r.cells.len() == 4));
    }

    #[test]
    fn figures_format_like_people_write_them() {
        let mut f = fixture()
            .salary("hit tech", None, Some("uk"))
            .unwrap()
            .figures[0]
            .figure
            .clone();
        assert_eq!(format_figure(&f), "£25,000–£35,000 (≈ $32,000–$45,000)");
        f.currency = "USD".into();
        f.low = 70000.0;
        f.high = None;
        assert_eq!(format_figure(&f), "$70,000+");
        f.stat = Stat::Median;
        f.low = 47160.0;
        assert_eq!(format_figure(&f), "$47,160 median");
        f.stat = Stat::Top10;
        f.low = 78000.0;
        assert_eq!(format_figure(&f), "over $78,000 (top 10%)");
        f.currency = "CAD".into();
        f.stat = Stat::Range;
        f.low = 40000.0;
        f.high = Some(55000.0);
        f.usd_low = None;
        assert_eq!(format_figure(&f), "CA$40,000–CA$55,000");
        assert_eq!(format_money(1234567.5, "USD"), "$1,234,567.50");
        assert_eq!(format_money(999.0, "CHF"), "CHF 999");
    }

    #[test]
    fn geography_percentages_read_as_above_or_below() {
        let a = fixture().salary("hit tech", None, None).unwrap();
        assert_eq!(
            a.geography[0].display.as_deref(),
            Some("25–35% above the national median")
        );
        assert_eq!(a.geography[1].display, None);
        let mut g = a.geography[0].geography.clone();
        (g.low_pct, g.high_pct) = (Some(-15.0), Some(-10.0));
        assert_eq!(
            format_geography(&g).as_deref(),
            Some("10–15% below the national median")
        );
    }

    #[test]
    fn results_serialize_to_json() {
        let a = fixture()
            .salary("hit tech", Some(Level::Entry), None)
            .unwrap();
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["role"]["id"], "hit-technician");
        assert_eq!(v["figures"][0]["low"], 38000.0);
        assert_eq!(v["figures"][0]["cited"]["title"], "Guide A");
        assert_eq!(v["level"], "entry");
    }
}
