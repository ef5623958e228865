//! The knowledge base in `faq/`: parse, validate, and hold it in memory.
//!
//! Parsers work on strings (see [`markdown`] and [`data`]); [`load`] is the only
//! place that touches the file system.

pub mod cites;
pub mod data;
pub mod diag;
pub mod markdown;
mod tomlx;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use data::{Cert, Figure, Geography, Level, Named, Salaries, Source, Stat};
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use markdown::{Cite, Entry, Heading, Outline, Section};

/// Files larger than this are refused: a FAQ entry is a paragraph, a guide a
/// few pages. Anything bigger is a mistake (a pasted binary, a log).
pub const MAX_FILE_BYTES: usize = 512 * 1024;

/// Everything the bot knows, validated.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub sources: BTreeMap<String, Source>,
    pub synonyms: Vec<Vec<String>>,
    pub entries: Vec<Entry>,
    pub sections: Vec<Section>,
    /// Every heading of every restated guide (what entries may cite).
    pub outlines: Vec<Outline>,
    pub salaries: Salaries,
    pub certs: Vec<Cert>,
    /// SHA-256 of every file's path and bytes, hex ([`ContentHash`]): the
    /// index is stale when it changes.
    pub content_hash: String,
    pub files: usize,
}

/// SHA-256 over the knowledge base's files: each file's relative path and
/// bytes, each prefixed with its length so that no two different trees feed
/// it the same bytes. A cryptographic hash, so that no crafted edit can keep
/// the index of an older tree (with content since removed) looking current.
#[derive(Clone, Default)]
pub struct ContentHash(Sha256);

impl ContentHash {
    /// Adds one file.
    pub fn file(&mut self, rel_path: &[u8], bytes: &[u8]) {
        for part in [rel_path, bytes] {
            self.0.update((part.len() as u64).to_le_bytes());
            self.0.update(part);
        }
    }

    /// The digest, as 64 lowercase hexadecimal digits.
    pub fn finish(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Files of the knowledge base, in a stable order. Only folders and
/// regular files are walked; anything else (a symbolic link, a FIFO, a
/// device, a socket) is an error naming it and is never opened: a link
/// could point outside `faq/` or at `/dev/zero`, a FIFO would block forever.
fn list_tree(dir: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Diagnostics) {
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                diags.push(Diagnostic::error(
                    dir,
                    1,
                    format!("cannot read folder: {e}"),
                ));
                return;
            }
        };
        for ent in rd.flatten() {
            let p = ent.path();
            let name = ent.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            // What the entry itself is, links not followed.
            match std::fs::symlink_metadata(&p).map(|m| m.file_type()) {
                Ok(t) if t.is_dir() => walk(&p, out, diags),
                Ok(t) if t.is_file() => out.push(p),
                Ok(t) => diags.push(not_a_regular_file(&p, t)),
                Err(e) => diags.push(Diagnostic::error(&p, 1, format!("cannot read file: {e}"))),
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths, diags);
    paths.sort();
    paths
}

/// The error for a path in `faq/` that is neither a folder nor a regular file.
fn not_a_regular_file(p: &Path, t: std::fs::FileType) -> Diagnostic {
    if t.is_symlink() {
        return Diagnostic::error(p, 1, "is a symbolic link; only regular files are read")
            .with_hint("replace the link with a copy of the file it points to");
    }
    #[cfg(unix)]
    let what = {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            "a named pipe (FIFO)"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_block_device() || t.is_char_device() {
            "a device"
        } else {
            "not a regular file"
        }
    };
    #[cfg(not(unix))]
    let what = "not a regular file";
    Diagnostic::error(p, 1, format!("is {what}; only regular files are read"))
        .with_hint("remove it from the knowledge folder; entries and guides are plain text files")
}

/// Opens `p` for reading without following a symbolic link and without
/// blocking on a FIFO (on Unix), so that what is opened is what was listed.
fn open_regular(p: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    o.open(p)
}

/// The bytes of one file of the knowledge base, unless it is too large, not a
/// regular file (it may have been swapped since it was listed) or unreadable.
/// Never reads more than [`MAX_FILE_BYTES`] + 1 bytes.
fn read_file(p: &Path, diags: &mut Diagnostics) -> Option<Vec<u8>> {
    use std::io::Read;
    let too_large = |size: String| {
        Diagnostic::error(
            p,
            1,
            format!(
                "file is {size}, over the {} KiB limit",
                MAX_FILE_BYTES / 1024
            ),
        )
        .with_hint("split it into several entries or sections")
    };
    let file = match open_regular(p) {
        Ok(f) => f,
        Err(e) => {
            let d = match std::fs::symlink_metadata(p) {
                Ok(m) if !m.is_file() => not_a_regular_file(p, m.file_type()),
                _ => Diagnostic::error(p, 1, format!("cannot read file: {e}")),
            };
            diags.push(d);
            return None;
        }
    };
    match file.metadata() {
        Ok(m) if !m.is_file() => {
            diags.push(not_a_regular_file(p, m.file_type()));
            return None;
        }
        Ok(m) if m.len() > MAX_FILE_BYTES as u64 => {
            diags.push(too_large(format!("{} KiB", m.len() / 1024)));
            return None;
        }
        Ok(_) => {}
        Err(e) => {
            diags.push(Diagnostic::error(p, 1, format!("cannot read file: {e}")));
            return None;
        }
    }
    let mut bytes = Vec::new();
    match file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes) {
        // It grew since it was measured.
        Ok(n) if n > MAX_FILE_BYTES => {
            diags.push(too_large("larger".into()));
            None
        }
        Ok(_) => Some(bytes),
        Err(e) => {
            diags.push(Diagnostic::error(p, 1, format!("cannot read file: {e}")));
            None
        }
    }
}

fn utf8<'a>(path: &Path, bytes: &'a [u8], diags: &mut Diagnostics) -> Option<&'a str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            let line = diag::line_of(
                &String::from_utf8_lossy(&bytes[..e.valid_up_to()]),
                usize::MAX,
            );
            diags.push(
                Diagnostic::error(path, line, "file is not valid UTF-8").with_hint(
                    "save the file as UTF-8 (check for text pasted from a word processor)",
                ),
            );
            None
        }
    }
}

/// Reads and validates the knowledge base under `dir`. Always returns what could
/// be loaded plus every problem found; the caller decides whether errors block.
pub fn load(dir: &Path) -> (Corpus, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut corpus = Corpus::default();
    if !dir.is_dir() {
        diags.push(
            Diagnostic::error(dir, 1, "knowledge folder not found")
                .with_hint("run from the project root, or pass `--faq DIR`"),
        );
        return (corpus, diags);
    }
    // One file at a time (read, hash, parse, let go), so that the whole
    // knowledge base is never held twice, as bytes and parsed.
    let mut hash = ContentHash::default();
    let top = |name: &str| dir.join(name);
    let mut saw_sources = false;
    for file in list_tree(dir, &mut diags) {
        let path = &file;
        let Some(bytes) = read_file(path, &mut diags) else {
            continue;
        };
        corpus.files += 1;
        let rel = path.strip_prefix(dir).unwrap_or(path);
        hash.file(rel.to_string_lossy().as_bytes(), &bytes);
        let Some(text) = utf8(path, &bytes, &mut diags) else {
            continue;
        };
        let under = |folder: &str| rel.starts_with(folder);
        let is_md = path.extension().is_some_and(|e| e == "md");
        if *path == top("sources.toml") {
            saw_sources = true;
            corpus.sources = data::parse_sources(path, text, &mut diags);
        } else if *path == top("synonyms.toml") {
            corpus.synonyms = data::parse_synonyms(path, text, &mut diags);
        } else if *path == top("salaries.toml") {
            corpus.salaries = data::parse_salaries(path, text, &mut diags);
        } else if *path == top("certifications.toml") {
            corpus.certs = data::parse_certs(path, text, &mut diags);
        } else if under("entries") && is_md {
            if let Some(e) = markdown::parse_entry(path, text, &mut diags) {
                corpus.entries.push(e);
            }
        } else if under("guides") && is_md {
            if let Some((s, outline)) = markdown::parse_guide(path, text, &mut diags) {
                corpus.sections.extend(s);
                corpus.outlines.push(outline);
            }
        } else if rel != Path::new("README.md") {
            diags.push(
                Diagnostic::warning(
                    path,
                    1,
                    "file is not part of the knowledge base and is ignored",
                )
                .with_hint("entries go in `entries/*.md`, guides in `guides/*.md`"),
            );
        }
    }
    corpus.content_hash = hash.finish();
    if !saw_sources {
        diags.push(
            Diagnostic::error(&top("sources.toml"), 1, "sources.toml is missing")
                .with_hint("every entry names its source guide; list them in `sources.toml`"),
        );
    }
    cross_check(&corpus, dir, &mut diags);
    diags.sort();
    (corpus, diags)
}

/// Checks that span files: unique ids, known sources, shared aliases.
fn cross_check(c: &Corpus, dir: &Path, diags: &mut Diagnostics) {
    let keys: Vec<&str> = c.sources.keys().map(String::as_str).collect();
    let check_source = |path: &Path, line: usize, key: &str, diags: &mut Diagnostics| {
        if !c.sources.contains_key(key) {
            let d = Diagnostic::error(path, line, format!("unknown source `{key}`"));
            diags.push(match diag::closest(key, keys.iter().copied()) {
                Some(k) => d.with_hint(format!("did you mean `{k}`?")),
                None => d.with_hint(format!(
                    "add `[{key}]` to sources.toml, or use one of: {}",
                    keys.join(", ")
                )),
            });
        }
    };
    let mut ids: HashMap<&str, &Entry> = HashMap::new();
    // Keyed by a hash of the normalised alias, not the alias itself: at
    // 100x the corpus the copies held ~15 MiB at the peak of loading. Two
    // different aliases sharing a 64-bit hash would at worst miss one
    // warning (a hit compares the texts).
    let mut aliases: HashMap<u64, (&Entry, &str)> = HashMap::new();
    let key = |norm: &str| {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        BuildHasherDefault::<DefaultHasher>::default().hash_one(norm)
    };
    for e in &c.entries {
        if let Some(first) = ids.insert(&e.id, e) {
            diags.push(
                Diagnostic::error(&e.path, e.line, format!("duplicate id `{}`", e.id)).with_hint(
                    format!("already used by {}:{}", first.path.display(), first.line),
                ),
            );
        }
        for cite in &e.cites {
            check_source(&e.path, cite.source_line, &cite.source, diags);
        }
        for a in &e.aliases {
            let norm = data::normalize_phrase(a);
            match aliases.get(&key(&norm)) {
                Some(&(_, theirs)) if data::normalize_phrase(theirs) != norm => {}
                Some(&(other, _)) if other.id != e.id => diags.push(
                    Diagnostic::warning(
                        &e.path,
                        e.line,
                        format!("alias `{a}` is also an alias of `{}`", other.id),
                    )
                    .with_hint(
                        "the bot cannot tell the two apart on that phrasing; keep it on one entry",
                    ),
                ),
                Some(_) => {}
                None => {
                    aliases.insert(key(&norm), (e, a));
                }
            }
        }
    }
    let mut guide_sources: Vec<(&Path, &str)> = c
        .sections
        .iter()
        .map(|s| (s.path.as_path(), s.source.as_str()))
        .collect();
    guide_sources.dedup();
    for (path, key) in guide_sources {
        check_source(path, 2, key, diags);
    }
    let sal = dir.join("salaries.toml");
    for (entry, line) in c.salaries.roles.iter().filter_map(|r| r.entry.as_ref()) {
        if !ids.contains_key(entry.as_str()) {
            let d = Diagnostic::error(&sal, *line, format!("unknown entry `{entry}`"));
            diags.push(match diag::closest(entry, ids.keys().copied()) {
                Some(k) => d.with_hint(format!("did you mean `{k}`?")),
                None => d.with_hint("name the `id` of an entry under entries/"),
            });
        }
    }
    for f in &c.salaries.figures {
        check_source(&sal, f.line, &f.source, diags);
    }
    for g in &c.salaries.geography {
        check_source(&sal, 1, &g.source, diags);
    }
    let certs = dir.join("certifications.toml");
    for cert in &c.certs {
        for s in &cert.sources {
            check_source(&certs, cert.line, s, diags);
        }
    }
    cites::check(c, diags);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_is_sha256_of_length_prefixed_paths_and_bytes() {
        let h = |files: &[(&str, &str)]| {
            let mut c = ContentHash::default();
            files
                .iter()
                .for_each(|(p, b)| c.file(p.as_bytes(), b.as_bytes()));
            c.finish()
        };
        let mut expected = Sha256::new();
        for part in ["a.md", "body"] {
            expected.update((part.len() as u64).to_le_bytes());
            expected.update(part);
        }
        let hex: String = expected
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(h(&[("a.md", "body")]), hex);
        assert_eq!(hex.len(), 64);
        // Moving bytes between a path and its content, or between files,
        // changes the hash.
        assert_ne!(h(&[("ab", "c")]), h(&[("a", "bc")]));
        assert_ne!(h(&[("a", "b"), ("c", "d")]), h(&[("a", "b\0c"), ("", "d")]));
        assert_ne!(h(&[]), h(&[("", "")]));
    }
}
