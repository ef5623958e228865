//! Reading TOML the way moderators need it: every problem pinned to a line,
//! unknown keys caught with a "did you mean" hint, wrong types named plainly.

use std::path::Path;

use toml::{Table, Value};

use super::diag::{Diagnostic, Diagnostics, closest, line_of};

/// A parsed TOML text plus what is needed to point diagnostics at lines.
pub struct TomlText<'a> {
    pub path: &'a Path,
    text: &'a str,
    /// 1-based line in the file where `text` starts (front matter sits below `+++`).
    first_line: usize,
}

impl<'a> TomlText<'a> {
    pub fn new(path: &'a Path, text: &'a str, first_line: usize) -> Self {
        Self {
            path,
            text,
            first_line,
        }
    }

    /// Parses the text, reporting a syntax error at its line.
    pub fn parse(&self, diags: &mut Diagnostics) -> Option<Table> {
        match self.text.parse::<Table>() {
            Ok(t) => Some(t),
            Err(e) => {
                let line = e.span().map_or(1, |s| line_of(self.text, s.start));
                let msg = e.message().trim().trim_end_matches('.').to_string();
                diags.push(
                    Diagnostic::error(
                        self.path,
                        self.first_line + line - 1,
                        format!("invalid TOML: {msg}"),
                    )
                    .with_hint("strings need double quotes, lists look like `[\"a\", \"b\"]`"),
                );
                None
            }
        }
    }

    /// File line of `[[name]]` number `index` (0-based), or of the first line.
    pub fn array_table_line(&self, name: &str, index: usize) -> usize {
        let header = format!("[[{name}]]");
        self.text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim() == header)
            .nth(index)
            .map_or(self.first_line, |(i, _)| self.first_line + i)
    }

    /// File line of the first `key =` at or after file line `from`.
    pub fn key_line(&self, key: &str, from: usize) -> usize {
        let skip = from.saturating_sub(self.first_line);
        self.text
            .lines()
            .enumerate()
            .skip(skip)
            .find(|(_, l)| {
                let l = l.trim_start();
                let rest = l
                    .strip_prefix(key)
                    .or_else(|| l.strip_prefix(&format!("\"{key}\"")));
                rest.is_some_and(|r| r.trim_start().starts_with('='))
            })
            .map_or(from.max(self.first_line), |(i, _)| self.first_line + i)
    }
}

/// Typed access to one table (front matter, a `[[figure]]`, a source), with
/// diagnostics at the right line for every missing key or wrong type.
pub struct Fields<'a, 't> {
    doc: &'a TomlText<'t>,
    table: &'a Table,
    /// File line where this table starts; keys are looked up from here.
    line: usize,
    what: String,
}

impl<'a, 't> Fields<'a, 't> {
    pub fn new(
        doc: &'a TomlText<'t>,
        table: &'a Table,
        line: usize,
        what: impl Into<String>,
    ) -> Self {
        Self {
            doc,
            table,
            line,
            what: what.into(),
        }
    }

    pub fn path(&self) -> &Path {
        self.doc.path
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.table.get(key)
    }

    pub fn line_of_key(&self, key: &str) -> usize {
        self.doc.key_line(key, self.line)
    }

    /// Reports every key not in `allowed`, with the closest allowed key as a hint.
    pub fn deny_unknown(&self, allowed: &[&str], diags: &mut Diagnostics) {
        for key in self.table.keys() {
            if !allowed.contains(&key.as_str()) {
                let mut d = Diagnostic::error(
                    self.doc.path,
                    self.line_of_key(key),
                    format!("unknown key `{key}` in {}", self.what),
                );
                d = match closest(key, allowed.iter().copied()) {
                    Some(k) => d.with_hint(format!("did you mean `{k}`?")),
                    None => d.with_hint(format!("allowed keys: {}", backticked(allowed))),
                };
                diags.push(d);
            }
        }
    }

    fn missing(&self, key: &str, diags: &mut Diagnostics) {
        diags.push(Diagnostic::error(
            self.doc.path,
            self.line,
            format!("{} is missing the required key `{key}`", self.what),
        ));
    }

    fn wrong_type(&self, key: &str, expected: &str, diags: &mut Diagnostics) {
        diags.push(Diagnostic::error(
            self.doc.path,
            self.line_of_key(key),
            format!("`{key}` must be {expected}"),
        ));
    }

    pub fn opt_str(&self, key: &str, diags: &mut Diagnostics) -> Option<String> {
        match self.table.get(key)? {
            Value::String(s) if s.trim().is_empty() => {
                diags.push(Diagnostic::error(
                    self.doc.path,
                    self.line_of_key(key),
                    format!("`{key}` is empty"),
                ));
                None
            }
            Value::String(s) => Some(s.trim().to_string()),
            _ => {
                self.wrong_type(key, "a string in double quotes", diags);
                None
            }
        }
    }

    pub fn req_str(&self, key: &str, diags: &mut Diagnostics) -> Option<String> {
        if !self.table.contains_key(key) {
            self.missing(key, diags);
            return None;
        }
        self.opt_str(key, diags)
    }

    /// A list of strings; a lone string is accepted as a list of one when `lenient`.
    pub fn str_list(
        &self,
        key: &str,
        lenient: bool,
        diags: &mut Diagnostics,
    ) -> Option<Vec<String>> {
        match self.table.get(key)? {
            Value::String(s) if lenient => Some(vec![s.trim().to_string()]),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    match v {
                        Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                        Value::String(_) => {
                            diags.push(Diagnostic::error(
                                self.doc.path,
                                self.line_of_key(key),
                                format!("`{key}` holds an empty string"),
                            ));
                        }
                        _ => {
                            self.wrong_type(key, "a list of strings", diags);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            _ => {
                self.wrong_type(key, "a list of strings, like [\"a\", \"b\"]", diags);
                None
            }
        }
    }

    pub fn opt_num(&self, key: &str, diags: &mut Diagnostics) -> Option<f64> {
        match self.table.get(key)? {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
            _ => {
                self.wrong_type(key, "a number", diags);
                None
            }
        }
    }
}

pub fn backticked(items: &[&str]) -> String {
    items
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads `[[name]]` arrays of tables from a whole-file TOML table.
pub fn array_of_tables<'a>(
    doc: &TomlText<'_>,
    root: &'a Table,
    name: &str,
    diags: &mut Diagnostics,
) -> Vec<&'a Table> {
    match root.get(name) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                Value::Table(t) => Some(t),
                _ => {
                    diags.push(Diagnostic::error(
                        doc.path,
                        doc.array_table_line(name, i),
                        format!("`{name}` must be written as `[[{name}]]` tables"),
                    ));
                    None
                }
            })
            .collect(),
        Some(_) => {
            diags.push(Diagnostic::error(
                doc.path,
                doc.key_line(name, 1),
                format!("`{name}` must be written as `[[{name}]]` tables"),
            ));
            Vec::new()
        }
    }
}
