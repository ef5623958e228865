//! Reading TOML the way moderators need it: every problem pinned to a line,
//! unknown keys caught with a "did you mean" hint, wrong types named plainly.
//!
//! Lines come from the spans the `toml` crate's parser keeps for every key
//! and value (`toml::de::DeTable`), so dotted keys (`a.b = 1`), inline
//! tables and arrays of inline tables point at the right line too. Values
//! are converted with `toml`'s own deserializer, so they read exactly as
//! `toml::Value` would.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use toml::Value;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diag::{Diagnostic, Diagnostics, closest, line_of};

/// A table as parsed, every key and value with its span in the text.
pub type Table<'i> = DeTable<'i>;
/// A value as parsed, with its span in the text.
pub type Item<'i> = Spanned<DeValue<'i>>;

/// A TOML text plus what is needed to point diagnostics at lines.
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
    pub fn parse(&self, diags: &mut Diagnostics) -> Option<Table<'a>> {
        match DeTable::parse(self.text) {
            Ok(t) => Some(t.into_inner()),
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

    /// File line of a span of the text.
    pub fn line(&self, span: Range<usize>) -> usize {
        self.first_line + line_of(self.text, span.start) - 1
    }

    /// File line of `key` in `table`, if it is there.
    pub fn key_line(&self, table: &Table<'_>, key: &str) -> Option<usize> {
        table.get_key_value(key).map(|(k, _)| self.line(k.span()))
    }
}

/// The value as `toml::Value` reads it.
pub fn value(item: &Item<'_>) -> Value {
    let de = ValueDeserializer::from(Spanned::new(item.span(), item.get_ref().clone()));
    // Every parsed TOML value is a `toml::Value`.
    Value::deserialize(de).expect("a parsed TOML value converts to toml::Value")
}

/// Typed access to one table (front matter, a `[[figure]]`, a source), with
/// diagnostics at the right line for every missing key or wrong type.
pub struct Fields<'a, 't> {
    doc: &'a TomlText<'t>,
    table: &'a Table<'t>,
    /// File line where this table starts: missing keys are reported here.
    line: usize,
    what: String,
}

impl<'a, 't> Fields<'a, 't> {
    pub fn new(
        doc: &'a TomlText<'t>,
        table: &'a Table<'t>,
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

    /// File line where this table starts.
    pub fn line(&self) -> usize {
        self.line
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.table.get(key).map(value)
    }

    /// The parsed item under `key`, spans included.
    pub fn item(&self, key: &str) -> Option<&'a Item<'t>> {
        self.table.get(key)
    }

    /// File line of `key`, or of the table when the key is absent.
    pub fn line_of_key(&self, key: &str) -> usize {
        self.doc.key_line(self.table, key).unwrap_or(self.line)
    }

    /// Reports every key not in `allowed`, with the closest allowed key as a hint.
    pub fn deny_unknown(&self, allowed: &[&str], diags: &mut Diagnostics) {
        for key in self.table.keys() {
            let key: &str = key.get_ref();
            if !allowed.contains(&key) {
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
        match self.get(key)? {
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

    /// `source`: one source key or a list of them, required.
    pub fn sources(&self, diags: &mut Diagnostics) -> Option<Vec<String>> {
        if self.has("source") {
            self.str_list("source", true, diags)
        } else {
            self.req_str("source", diags);
            None
        }
    }

    pub fn req_str(&self, key: &str, diags: &mut Diagnostics) -> Option<String> {
        if !self.has(key) {
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
        match self.get(key)? {
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
        match self.get(key)? {
            Value::Integer(i) => Some(i as f64),
            Value::Float(f) if f.is_finite() => Some(f),
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

/// Reads the `[[name]]` array of tables (or an array of inline tables) of a
/// whole-file table: each table with the file line where it starts.
pub fn array_of_tables<'a, 't>(
    doc: &TomlText<'t>,
    root: &'a Table<'t>,
    name: &str,
    diags: &mut Diagnostics,
) -> Vec<(usize, &'a Table<'t>)> {
    let must = || format!("`{name}` must be written as `[[{name}]]` tables");
    match root.get(name).map(|v| (v, v.get_ref())) {
        None => Vec::new(),
        Some((_, DeValue::Array(items))) => items
            .iter()
            .filter_map(|v| match v.get_ref() {
                DeValue::Table(t) => Some((doc.line(v.span()), t)),
                _ => {
                    diags.push(Diagnostic::error(doc.path, doc.line(v.span()), must()));
                    None
                }
            })
            .collect(),
        Some((v, _)) => {
            let line = doc.key_line(root, name).unwrap_or(doc.line(v.span()));
            diags.push(Diagnostic::error(doc.path, line, must()));
            Vec::new()
        }
    }
}
