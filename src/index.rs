//! The Tantivy index: schema, build, open.
//!
//! Layout under the index folder: one sub-folder per build (`gen-<hash>-<n>`)
//! and a `CURRENT` file naming the live one. A build writes a new folder and
//! only then replaces `CURRENT` (write to a temporary file, rename), so a
//! half-built or failed build never replaces a good index, and readers of the
//! old generation keep working.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer,
};
use tantivy::{Index, IndexWriter, TantivyDocument};

use crate::corpus::{Corpus, cites};

/// Bump when the schema, the analysis or the engine's own file in a
/// generation (`engine.bin`, see `engine/prepared.rs`) changes: older
/// indexes are rebuilt.
pub const SCHEMA_VERSION: u32 = 3;
pub const ANALYZER: &str = "en_stem";
/// The `kind` of an FAQ entry's document (guide sections are `section`).
pub const KIND_ENTRY: &str = "entry";
pub const KIND_SECTION: &str = "section";
const META_FILE: &str = "careerbot.json";

/// English analysis: split on non-alphanumerics, lowercase, fold accents, stem.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// [`analyzer`] in two steps, so that the engine can remember stems: first
/// the words (everything but stemming; same tokens, same offsets)...
pub fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// ...then the stem of one such word.
pub fn stem(word: &str) -> String {
    let mut stemmer = TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build();
    let mut ts = stemmer.token_stream(word);
    if ts.advance() {
        ts.token().text.clone()
    } else {
        word.to_string()
    }
}

/// The fields of one searchable document, boosted separately at query time.
#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    pub question: Field,
    pub aliases: Field,
    pub headings: Field,
    pub body: Field,
    pub tags: Field,
    pub source: Field,
    pub title: Field,
    /// One stored JSON [`Citation`] per (guide, section) the document relies on.
    pub citations: Field,
}

pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        question: b.add_text_field("question", text.clone()),
        aliases: b.add_text_field("aliases", text.clone()),
        headings: b.add_text_field("headings", text.clone()),
        body: b.add_text_field("body", text.clone()),
        tags: b.add_text_field("tags", text),
        source: b.add_text_field("source", STRING | STORED),
        title: b.add_text_field("title", STORED),
        citations: b.add_text_field("citations", STORED),
    };
    (b.build(), fields)
}

/// Written beside the index: what it was built from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    pub schema_version: u32,
    /// What the builder's own files in the generation were made with (see
    /// [`build`]).
    pub stamp: String,
    /// [`Corpus::content_hash`] (SHA-256, hex) of the tree it was built from.
    pub content_hash: String,
    pub documents: usize,
}

/// Where an answer comes from: one section of one guide.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Citation {
    /// The guide's key in `sources.toml`.
    pub source: String,
    /// Its short label, e.g. "Qualora 2026".
    pub guide: String,
    pub title: String,
    pub date: String,
    /// The heading, as the guide's restatement writes it.
    pub section: String,
}

impl Citation {
    /// "Qualora 2026 › Salary and Job Outlook".
    pub fn short(&self) -> String {
        format!("{} › {}", self.guide, self.section)
    }
}

/// One searchable unit: an FAQ entry or a guide section, with its citations.
pub struct Doc {
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub question: String,
    pub aliases: Vec<String>,
    pub headings: String,
    pub body: String,
    pub tags: Vec<String>,
    pub source: String,
    pub citations: Vec<Citation>,
}

/// Flattens the corpus into documents, each with its citations: an entry's
/// `cites` (sections named as its guide's restatement writes them), a guide
/// section itself.
pub fn documents(c: &Corpus) -> Vec<Doc> {
    let cite = |key: &str, section: &str| match c.sources.get(key) {
        Some(s) => Citation {
            source: key.to_string(),
            guide: s.label().to_string(),
            title: s.title.clone(),
            date: s.date.clone(),
            section: cites::strip_guide_label(s, section).to_string(),
        },
        None => Citation {
            source: key.to_string(),
            guide: key.to_string(),
            title: key.to_string(),
            date: String::new(),
            section: section.to_string(),
        },
    };
    let sections = cites::Sections::new(c);
    let mut docs = Vec::with_capacity(c.entries.len() + c.sections.len());
    for e in &c.entries {
        let mut citations: Vec<Citation> = Vec::with_capacity(e.cites.len());
        for x in &e.cites {
            let heading = c.sources.get(&x.source).and_then(|s| {
                let found = sections.resolve(s, &x.source, &x.section);
                found.first()?.path.last()
            });
            let citation = cite(&x.source, heading.unwrap_or(&x.section));
            if !citations.contains(&citation) {
                citations.push(citation);
            }
        }
        docs.push(Doc {
            id: e.id.clone(),
            kind: KIND_ENTRY,
            title: e.question.clone(),
            question: e.question.clone(),
            aliases: e.aliases.clone(),
            headings: String::new(),
            body: e.body.clone(),
            tags: e.tags.clone(),
            source: e.sources.first().cloned().unwrap_or_default(),
            citations,
        });
    }
    for s in &c.sections {
        let path = s.headings.join(" › ");
        docs.push(Doc {
            id: s.id.clone(),
            kind: KIND_SECTION,
            title: path.clone(),
            question: s.headings.last().cloned().unwrap_or_default(),
            aliases: Vec::new(),
            headings: s.headings[1..].join(" \n "),
            body: s.body.clone(),
            tags: Vec::new(),
            citations: vec![cite(
                &s.source,
                &match s.headings.len() {
                    0 | 1 => path.clone(),
                    _ => s.headings[1..].join(" › "),
                },
            )],
            source: s.source.clone(),
        });
    }
    docs
}

fn new_index_in(dir: &Path) -> Result<(Index, Fields)> {
    let (schema, fields) = schema();
    let index = Index::create_in_dir(dir, schema)
        .with_context(|| format!("cannot create an index in `{}`", dir.display()))?;
    index.tokenizers().register(ANALYZER, analyzer());
    Ok((index, fields))
}

/// Opens an index folder, registering our analyzer.
pub fn open_dir(dir: &Path) -> Result<(Index, Fields, Meta)> {
    let meta: Meta = serde_json::from_slice(
        &std::fs::read(dir.join(META_FILE))
            .with_context(|| format!("`{}` has no {META_FILE}", dir.display()))?,
    )
    .with_context(|| format!("`{}` has an unreadable {META_FILE}", dir.display()))?;
    if meta.schema_version != SCHEMA_VERSION {
        bail!(
            "index schema version {} is not {SCHEMA_VERSION}",
            meta.schema_version
        );
    }
    let index = Index::open_in_dir(dir)
        .with_context(|| format!("cannot open the index in `{}`", dir.display()))?;
    index.tokenizers().register(ANALYZER, analyzer());
    let (_, fields) = schema();
    if index.schema() != schema().0 {
        bail!("index in `{}` has another schema", dir.display());
    }
    Ok((index, fields, meta))
}

/// The live generation named by `CURRENT`, if any.
pub fn current(index_dir: &Path) -> Option<PathBuf> {
    let name = std::fs::read_to_string(index_dir.join("CURRENT")).ok()?;
    let name = name.trim();
    (!name.is_empty() && !name.contains(['/', '\\']) && name != "..").then(|| index_dir.join(name))
}

/// A generation being built: its committed Tantivy index, in its folder, to
/// which the caller adds its own files before it goes live.
pub struct Generation<'a> {
    pub index: &'a Index,
    pub fields: Fields,
    pub dir: &'a Path,
}

/// Builds a fresh index for `corpus` beside the live one, lets `add` put
/// the caller's own files in it, and makes it live. `stamp` names what
/// `add` writes (its format and inputs): a generation with another stamp
/// is stale. On any failure the previous generation stays live.
pub fn build(
    corpus: &Corpus,
    index_dir: &Path,
    stamp: &str,
    add: impl FnOnce(&Generation) -> Result<()>,
) -> Result<PathBuf> {
    std::fs::create_dir_all(index_dir)
        .with_context(|| format!("cannot create the index folder `{}`", index_dir.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!(
        "gen-{}-{nanos}-{}",
        corpus
            .content_hash
            .get(..16)
            .unwrap_or(&corpus.content_hash),
        std::process::id()
    );
    let tmp = index_dir.join(format!(".building-{name}"));
    let result = write_generation(corpus, &tmp, stamp, add).and_then(|()| {
        let dir = index_dir.join(&name);
        std::fs::rename(&tmp, &dir).context("cannot move the new index into place")?;
        let pointer = index_dir.join(format!(".CURRENT-{name}"));
        std::fs::write(&pointer, &name).context("cannot write the CURRENT pointer")?;
        std::fs::rename(&pointer, index_dir.join("CURRENT"))
            .context("cannot swap the CURRENT pointer")?;
        Ok(dir)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let dir = result?;
    remove_stale_generations(index_dir, &name);
    Ok(dir)
}

fn write_generation(
    corpus: &Corpus,
    dir: &Path,
    stamp: &str,
    add: impl FnOnce(&Generation) -> Result<()>,
) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let (index, f) = new_index_in(dir)?;
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 30_000_000)?;
    let docs = documents(corpus);
    for d in &docs {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &d.id);
        doc.add_text(f.kind, d.kind);
        doc.add_text(f.question, &d.question);
        for a in &d.aliases {
            doc.add_text(f.aliases, a);
        }
        doc.add_text(f.headings, &d.headings);
        doc.add_text(f.body, &d.body);
        for t in &d.tags {
            doc.add_text(f.tags, t);
        }
        doc.add_text(f.source, &d.source);
        doc.add_text(f.title, &d.title);
        for c in &d.citations {
            doc.add_text(f.citations, serde_json::to_string(c)?);
        }
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    add(&Generation {
        index: &index,
        fields: f,
        dir,
    })?;
    let meta = Meta {
        schema_version: SCHEMA_VERSION,
        stamp: stamp.to_string(),
        content_hash: corpus.content_hash.clone(),
        documents: docs.len(),
    };
    std::fs::write(dir.join(META_FILE), serde_json::to_vec(&meta)?)?;
    Ok(())
}

/// Removes older generations and leftovers of interrupted builds. Best effort:
/// a process still reading an old generation keeps its open files (Unix).
fn remove_stale_generations(index_dir: &Path, keep: &str) {
    let Ok(rd) = std::fs::read_dir(index_dir) else {
        return;
    };
    for ent in rd.flatten() {
        let name = ent.file_name().to_string_lossy().into_owned();
        let stale = (name.starts_with("gen-") && name != keep) || name.starts_with(".building-");
        if stale {
            let _ = std::fs::remove_dir_all(ent.path());
        }
    }
}

/// The live generation if it was built from exactly this corpus with this
/// schema and opens cleanly; otherwise a fresh build.
pub fn ensure(
    corpus: &Corpus,
    index_dir: &Path,
    stamp: &str,
    add: impl FnOnce(&Generation) -> Result<()>,
) -> Result<(PathBuf, bool)> {
    if let Some(dir) = current(index_dir) {
        match open_dir(&dir) {
            Ok((_, _, meta)) if meta.content_hash == corpus.content_hash && meta.stamp == stamp => {
                return Ok((dir, false));
            }
            Ok(_) => tracing::info!("faq/ changed since the index was built; rebuilding"),
            Err(e) => tracing::warn!("index unusable ({e:#}); rebuilding"),
        }
    }
    Ok((build(corpus, index_dir, stamp, add)?, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_then_stem_is_the_analyzer() {
        let text = "Coders' salaries: RÉSUMÉS, naïve café-workers earned $48,000 in 2019 \
                    (Health-IT); pneumonoultramicroscopicsilicovolcanoconiosisandmore x yy";
        let tokens = |a: &mut TextAnalyzer, stem_each: bool| {
            let mut out = Vec::new();
            let mut ts = a.token_stream(text);
            while ts.advance() {
                let t = ts.token();
                let text = if stem_each {
                    stem(&t.text)
                } else {
                    t.text.clone()
                };
                out.push((text, t.offset_from, t.offset_to, t.position));
            }
            out
        };
        let whole = tokens(&mut analyzer(), false);
        assert!(whole.len() > 10);
        assert_eq!(tokens(&mut words_analyzer(), true), whole);
    }
}
