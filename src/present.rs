//! The presentation model shared by the command line and Discord: the words
//! and shapes both show (level names, citations short and full, "I don't
//! know", "no figures", one `clip`), with no terminal or Discord specifics.
//! Adapters decide only the markup and the limits.

use crate::corpus::Level;
use crate::index::Citation;
use crate::lookup::{FigureAnswer, SalaryAnswer, SourceRef, format_money, format_range};

/// What is said when nothing in the FAQ answers a question.
pub const ABSTAIN: &str = "I don't know that one: nothing in the FAQ answers it well enough.";

/// What is said when the guides give no figures for a role (in a region).
pub const NO_FIGURES: &str = "The guides give no figures for this role here.";

/// "The guides give no figures at this level; they give: entry, mid."
pub fn no_figures_at_level(have: &[Level]) -> String {
    if have.is_empty() {
        return NO_FIGURES.to_string();
    }
    let names: Vec<&str> = have.iter().map(|l| level_name(*l)).collect();
    format!(
        "The guides give no figures at this level; they give: {}.",
        names.join(", ")
    )
}

/// A career level as members read it.
pub fn level_name(l: Level) -> &'static str {
    match l {
        Level::Entry => "Entry level",
        Level::Mid => "Mid-career",
        Level::Senior => "Senior",
        Level::All => "All levels",
    }
}

/// At most `max` characters; a cut string ends with "…".
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Section names are never cut shorter than this to make citations fit.
const MIN_SECTION: usize = 12;

/// Every citation as "Qualora 2026 › FAQ", sections of one guide joined
/// ("Qualora 2026 › FAQ, Salary"), guides joined by " · ", within `max`
/// characters: when they do not fit, section names are shortened (all to
/// the same length, longest first), never dropped. No keys, no notes.
pub fn short_citations(citations: &[Citation], max: usize) -> String {
    let groups = by_guide(citations);
    let render = |cap: usize| {
        groups
            .iter()
            .map(|(guide, sections)| {
                let s: Vec<String> = sections.iter().map(|s| clip(s, cap)).collect();
                format!("{guide} › {}", s.join(", "))
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let longest = citations
        .iter()
        .map(|c| c.section.chars().count())
        .max()
        .unwrap_or(0);
    let full = render(longest);
    if full.chars().count() <= max {
        return full;
    }
    let (mut lo, mut hi) = (MIN_SECTION, longest);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if render(mid).chars().count() <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    clip(&render(lo), max)
}

/// One line per guide: "Qualora 2026: *Full title* (2026-05-10) — FAQ;
/// Salary", for whoever wants the full reference.
pub fn full_citations(citations: &[Citation]) -> Vec<FullCitation> {
    let mut out: Vec<FullCitation> = Vec::new();
    for c in citations {
        match out.iter_mut().find(|f| f.guide == c.guide) {
            Some(f) => {
                if !f.sections.contains(&c.section) {
                    f.sections.push(c.section.clone());
                }
            }
            None => out.push(FullCitation {
                guide: c.guide.clone(),
                title: c.title.clone(),
                date: c.date.clone(),
                sections: vec![c.section.clone()],
            }),
        }
    }
    out
}

/// A guide with its full title, date and the sections cited from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullCitation {
    pub guide: String,
    pub title: String,
    pub date: String,
    pub sections: Vec<String>,
}

impl FullCitation {
    /// "Full title (2026-05-10) — FAQ; Salary" (no label).
    pub fn line(&self) -> String {
        let date = if self.date.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.date)
        };
        format!("{}{date} — {}", self.title, self.sections.join("; "))
    }
}

/// Sections grouped under their guide, in first-cited order.
fn by_guide(citations: &[Citation]) -> Vec<(&str, Vec<&str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for c in citations {
        match out.iter_mut().find(|(g, _)| *g == c.guide) {
            Some((_, s)) => {
                if !s.contains(&c.section.as_str()) {
                    s.push(&c.section);
                }
            }
            None => out.push((&c.guide, vec![&c.section])),
        }
    }
    out
}

/// A data file's cited source as a [`Citation`].
pub fn cite_source(s: &SourceRef, section: &str) -> Citation {
    Citation {
        source: s.key.clone(),
        guide: s.label.clone(),
        title: s.title.clone(),
        date: s.date.clone(),
        section: section.trim().to_string(),
    }
}

/// A data file's `section` string, "Salary (qualora-2026); Skills and FAQ
/// (himalayas-2025)" or plain "Salary" (one source), as citations of
/// `sources`: the internal keys become guide labels, never shown as keys.
pub fn cite_sections(section: &str, sources: &[SourceRef]) -> Vec<Citation> {
    let mut out: Vec<Citation> = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    for part in section.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let keyed = part.strip_suffix(')').and_then(|p| {
            let open = p.rfind('(')?;
            let key = p[open + 1..].trim();
            let s = sources.iter().find(|s| s.key == key)?;
            Some((s, p[..open].trim()))
        });
        match keyed {
            Some((s, sections)) => {
                named.push(&s.key);
                out.push(cite_source(s, sections));
            }
            None => {
                for s in sources {
                    out.push(cite_source(s, part));
                }
            }
        }
    }
    // A source with no section of its own is still cited.
    for s in sources {
        if !named.contains(&s.key.as_str()) && !out.iter().any(|c| c.source == s.key) {
            out.push(cite_source(s, "whole guide"));
        }
    }
    out
}

/// Every citation behind a salary answer's figures, medians and notes.
pub fn salary_citations(a: &SalaryAnswer) -> Vec<Citation> {
    let mut out: Vec<Citation> = Vec::new();
    let mut add = |c: Citation| {
        if !out.contains(&c) {
            out.push(c);
        }
    };
    for f in a.figures.iter().chain(&a.national_medians) {
        cite_sections(&f.figure.section, std::slice::from_ref(&f.cited))
            .into_iter()
            .for_each(&mut add);
    }
    for g in &a.geography {
        cite_sections(&g.geography.section, std::slice::from_ref(&g.cited))
            .into_iter()
            .for_each(&mut add);
    }
    out
}

/// One national median as members read it: "$48,640 (May 2023, Himalayas 2025)".
pub fn median_line(m: &FigureAnswer) -> String {
    format!(
        "{} ({}, {})",
        format_money(m.figure.low, &m.figure.currency),
        m.figure.year.as_deref().unwrap_or("year not given"),
        m.cited.label
    )
}

/// The span of a salary answer's per-level figures (entry, mid, senior) in
/// its first region, "Entry level to senior (United States): $38,000–$95,000+
/// across 12 figures from 3 guides", or `None`.
pub fn range_line(a: &SalaryAnswer) -> Option<String> {
    // Per-level figures when there are any; else the whole-occupation ones
    // (a region whose guides give no levels).
    let per_level = a.figures.iter().any(|f| f.figure.level != Level::All);
    let counts = |f: &&FigureAnswer| {
        (f.figure.level != Level::All) == per_level && f.figure.stat != crate::corpus::Stat::Top10
    };
    let first = a.figures.iter().find(counts)?;
    let same: Vec<&FigureAnswer> = a
        .figures
        .iter()
        .filter(counts)
        .filter(|f| {
            f.figure.region == first.figure.region && f.figure.currency == first.figure.currency
        })
        .collect();
    let low = same
        .iter()
        .map(|f| f.figure.low)
        .fold(f64::INFINITY, f64::min);
    let high = same
        .iter()
        .map(|f| f.figure.high.unwrap_or(f.figure.low))
        .fold(f64::NEG_INFINITY, f64::max);
    let open = same
        .iter()
        .any(|f| f.figure.stat == crate::corpus::Stat::Range && f.figure.high.is_none());
    if !low.is_finite() {
        return None;
    }
    let levels: Vec<Level> = {
        let mut l: Vec<Level> = same.iter().map(|f| f.figure.level).collect();
        l.sort();
        l.dedup();
        l
    };
    let span = match (levels.first(), levels.last()) {
        (Some(a), Some(b)) if a != b => {
            format!("{} to {}", level_name(*a), level_name(*b).to_lowercase())
        }
        (Some(a), _) => level_name(*a).to_string(),
        _ => return None,
    };
    let cur = &first.figure.currency;
    let money = format_range(low, high, open, cur);
    let guides = {
        let mut g: Vec<&str> = same.iter().map(|f| f.cited.key.as_str()).collect();
        g.sort();
        g.dedup();
        g.len()
    };
    let n = |k: usize, one: &str| {
        if k == 1 {
            format!("1 {one}")
        } else {
            format!("{k} {one}s")
        }
    };
    Some(format!(
        "{span} ({}): {money} across {} from {}",
        region_label(&first.region_name),
        n(same.len(), "figure"),
        n(guides, "guide")
    ))
}

/// A region's name without the data file's "(national)" marker.
pub fn region_label(name: &str) -> &str {
    name.strip_suffix("(national)").map_or(name, str::trim_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(key: &str, label: &str) -> SourceRef {
        SourceRef {
            key: key.into(),
            label: label.into(),
            title: format!("{label} full title"),
            publisher: "P (no publisher named in our copy)".into(),
            date: "2026".into(),
        }
    }

    #[test]
    fn data_file_sections_cite_guides_by_label_never_by_key() {
        let s = [
            src("qualora-2026", "Qualora 2026"),
            src("hit-2019", "HIT 2019"),
        ];
        let c = cite_sections(
            "Certifications to add (qualora-2026); Skills and FAQ (hit-2019)",
            &s,
        );
        let short = short_citations(&c, 512);
        assert_eq!(
            short,
            "Qualora 2026 › Certifications to add · HIT 2019 › Skills and FAQ"
        );
        assert!(!short.contains("qualora-2026"));
        // A figure's section written the old way, key and all.
        let old = cite_sections("Salary and Job Outlook (qualora-2026)", &s[..1]);
        assert_eq!(
            short_citations(&old, 512),
            "Qualora 2026 › Salary and Job Outlook"
        );
        let plain = cite_sections("Salary", &s[..1]);
        assert_eq!(short_citations(&plain, 512), "Qualora 2026 › Salary");
        let full = full_citations(&c);
        assert_eq!(
            full[0].line(),
            "Qualora 2026 full title (2026) — Certifications to add"
        );
        assert!(!full.iter().any(|f| f.line().contains("no publisher")));
    }

    #[test]
    fn clip_counts_characters_and_marks_the_cut() {
        assert_eq!(clip("héllo", 5), "héllo");
        assert_eq!(clip("héllo world", 6), "héllo…");
    }

    #[test]
    fn the_pay_range_line_spans_levels_or_else_the_whole_occupation() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let (corpus, _) = crate::corpus::load(&dir);
        let l = crate::lookup::Lookup::new(&corpus);
        let us = l.salary("hit technician", None, None).unwrap();
        let line = range_line(&us).unwrap();
        assert!(
            line.starts_with("Entry level to senior (United States): $"),
            "{line}"
        );
        let de = l.salary("hit technician", None, Some("germany")).unwrap();
        let line = range_line(&de).unwrap();
        assert!(
            line.starts_with("All levels (Germany): €30,000–€45,000"),
            "{line}"
        );
        assert!(line.ends_with("across 1 figure from 1 guide"), "{line}");
    }
}
