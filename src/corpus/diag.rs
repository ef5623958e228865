//! Diagnostics: what `careerbot check` prints, `path:line: severity: message`.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a knowledge file. Carries the file and 1-based line so
/// moderators can jump straight to it, and a `hint` when the fix is obvious.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line: line.max(1),
            severity: Severity::Error,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(path, line, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}: {}: {}",
            self.path.display(),
            self.line,
            level,
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// At most this many warnings are kept and listed; the rest are counted.
/// Every error is kept. A knowledge base 100× the shipped one raised a
/// hundred thousand warnings (the same alias on many entries), which
/// nobody reads and which held about 45 MB at the peak of loading it.
pub const MAX_LISTED_WARNINGS: usize = 1000;

/// A collection of diagnostics for one load of the knowledge base: every
/// error, the first [`MAX_LISTED_WARNINGS`] warnings, and how many more.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>, WarningCount);

#[derive(Debug, Default, Clone, Copy)]
struct WarningCount {
    listed: usize,
    unlisted: usize,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        if !d.is_error() {
            if self.1.listed == MAX_LISTED_WARNINGS {
                self.1.unlisted += 1;
                return;
            }
            self.1.listed += 1;
        }
        self.0.push(d);
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
    /// The warnings listed (see [`MAX_LISTED_WARNINGS`]).
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }
    /// Every warning raised, listed or not.
    pub fn warning_count(&self) -> usize {
        self.1.listed + self.1.unlisted
    }
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (&a.path, a.line, a.severity).cmp(&(&b.path, b.line, b.severity)));
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        if self.1.unlisted > 0 {
            writeln!(
                f,
                "... and {} more warning(s), not listed (the first {MAX_LISTED_WARNINGS} are)",
                self.1.unlisted
            )?;
        }
        Ok(())
    }
}

/// 1-based line number of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Edit distance counting a swap of two neighbours as one edit (optimal
/// string alignment, `strsim::osa_distance`), for "did you mean" hints and
/// typo-tolerant lookups ("grwoth" is one edit from "growth"), when it is at
/// most `max`, else `None`. Bounded because it runs on what members type,
/// against a whole vocabulary: callers cut the input and skip candidates
/// whose length alone is over `max`, and this gives up once two consecutive
/// rows are all over `max`: every later cell derives from those two rows
/// plus at least one edit. `d` is scratch space for the table (the engine
/// reuses one across its vocabulary). strsim has no bounded form.
pub fn edit_distance_within(
    a: &[char],
    b: &[char],
    max: usize,
    d: &mut Vec<usize>,
) -> Option<usize> {
    let w = b.len() + 1;
    d.clear();
    d.resize((a.len() + 1) * w, 0);
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    let mut previous_over = false;
    for i in 1..=a.len() {
        d[i * w] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
            row_min = row_min.min(v);
        }
        let over = row_min > max;
        if over && previous_over {
            return None;
        }
        previous_over = over;
    }
    let v = d[a.len() * w + b.len()];
    (v <= max).then_some(v)
}

/// The closest candidate within a small edit distance, for `hint: did you mean`.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word: Vec<char> = word.chars().collect();
    let mut scratch = Vec::new();
    candidates
        .into_iter()
        .filter_map(|c| {
            let chars: Vec<char> = c.chars().collect();
            let max = 2.max(c.len() / 4);
            if word.len().abs_diff(chars.len()) > max {
                return None;
            }
            edit_distance_within(&word, &chars, max, &mut scratch).map(|d| (d, c))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_past_the_cap_are_counted_not_kept_and_errors_always_kept() {
        let mut d = Diagnostics::default();
        let p = Path::new("faq/entries/a.md");
        for i in 0..MAX_LISTED_WARNINGS + 5 {
            d.push(Diagnostic::warning(p, i + 1, "shared alias"));
        }
        d.push(Diagnostic::error(p, 1, "duplicate id"));
        assert_eq!(d.warnings().count(), MAX_LISTED_WARNINGS);
        assert_eq!(d.warning_count(), MAX_LISTED_WARNINGS + 5);
        assert!(d.has_errors());
        let text = d.to_string();
        assert!(text.contains("faq/entries/a.md:1: error: duplicate id"));
        assert!(text.ends_with("... and 5 more warning(s), not listed (the first 1000 are)\n"));
    }

    #[test]
    fn line_of_counts_newlines_before_offset() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    /// The unbounded distance, from a well-kept crate, as the reference.
    fn edit_distance(a: &str, b: &str) -> usize {
        strsim::osa_distance(a, b)
    }

    #[test]
    fn bounded_edit_distance_is_exact_within_its_bound_and_none_beyond() {
        let words = [
            "",
            "rhit",
            "rhia",
            "growth",
            "grwoth",
            "certificate",
            "certifcate",
            "informatics",
            "infomatics",
            "coding",
        ];
        for a in words {
            for b in words {
                let full = edit_distance(a, b);
                let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                for max in 0..4 {
                    let bounded = edit_distance_within(&a, &b, max, &mut Vec::new());
                    assert_eq!(bounded, (full <= max).then_some(full), "{a:?} {b:?} {max}");
                }
            }
        }
    }

    #[test]
    fn edit_distance_handles_typos() {
        assert_eq!(edit_distance("aliasses", "aliases"), 1);
        assert_eq!(edit_distance("cphmis", "cphims"), 1);
        assert_eq!(edit_distance("grwoth", "growth"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn display_is_path_line_severity_message_with_hint() {
        let d = Diagnostic::error(Path::new("faq/a.md"), 3, "unknown key `aliasses`")
            .with_hint("did you mean `aliases`?");
        assert_eq!(
            d.to_string(),
            "faq/a.md:3: error: unknown key `aliasses`\n  hint: did you mean `aliases`?"
        );
    }
}
