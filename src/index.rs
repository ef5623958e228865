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

use crate::corpus::Corpus;

/// Bump when the schema, the analysis or the engine's own file in a
/// generation (`engine.bin`, see `engine/prepared.rs`) changes: older
/// indexes are rebuilt.
pub const SCHEMA_VERSION: u32 = 2;
pub const ANALYZER: &str = "en_stem";
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
    pub citation: Field,
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
        citation: b.add_text_field("citation", STORED),
    };
    (b.build(), fields)
}

/// Written beside the index: what it was built from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    pub schema_version: u32,
    /// [`Corpus::content_hash`] (SHA-256, hex) of the tree it was built from.
    pub content_hash: String,
    pub documents: usize,
}

/// One searchable unit: an FAQ entry or a guide section, with its citation.
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
    pub citation: String,
}

/// Flattens the corpus into documents, each with its citation text.
pub fn documents(c: &Corpus) -> Vec<Doc> {
    let date = |k: &str| c.sources.get(k).map(|s| s.date.clone()).unwrap_or_default();
    let title = |k: &str| {
        c.sources
            .get(k)
            .map_or_else(|| k.to_string(), |s| s.title.clone())
    };
    let mut docs = Vec::with_capacity(c.entries.len() + c.sections.len());
    for e in &c.entries {
        let guides = e
            .sources
            .iter()
            .map(|k| format!("{} ({})", title(k), date(k)))
            .collect::<Vec<_>>();
        let citation = format!("{} › {}", guides.join("; "), e.section);
        docs.push(Doc {
            id: e.id.clone(),
            kind: "entry",
            title: e.question.clone(),
            question: e.question.clone(),
            aliases: e.aliases.clone(),
            headings: String::new(),
            body: e.body.clone(),
            tags: e.tags.clone(),
            source: e.sources.first().cloned().unwrap_or_default(),
            citation,
        });
    }
    for s in &c.sections {
        let path = s.headings.join(" › ");
        docs.push(Doc {
            id: s.id.clone(),
            kind: "section",
            title: path.clone(),
            question: s.headings.last().cloned().unwrap_or_default(),
            aliases: Vec::new(),
            headings: s.headings[1..].join(" \n "),
            body: s.body.clone(),
            tags: Vec::new(),
            citation: format!("{} › {path} ({})", title(&s.source), date(&s.source)),
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

/// Builds a fresh index for `corpus` beside the live one and makes it live.
/// On any failure the previous generation stays live.
pub fn build(corpus: &Corpus, index_dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(index_dir)
        .with_context(|| format!("cannot create the index folder `{}`", index_dir.display()))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!(
        "gen-{}-{stamp}-{}",
        corpus
            .content_hash
            .get(..16)
            .unwrap_or(&corpus.content_hash),
        std::process::id()
    );
    let tmp = index_dir.join(format!(".building-{name}"));
    let result = write_generation(corpus, &tmp).and_then(|()| {
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

fn write_generation(corpus: &Corpus, dir: &Path) -> Result<()> {
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
        doc.add_text(f.citation, &d.citation);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    crate::engine::prepare_generation(&index, f, &corpus.synonyms, dir)?;
    let meta = Meta {
        schema_version: SCHEMA_VERSION,
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
pub fn ensure(corpus: &Corpus, index_dir: &Path) -> Result<(PathBuf, bool)> {
    if let Some(dir) = current(index_dir) {
        match open_dir(&dir) {
            Ok((_, _, meta)) if meta.content_hash == corpus.content_hash => {
                return Ok((dir, false));
            }
            Ok(_) => tracing::info!("faq/ changed since the index was built; rebuilding"),
            Err(e) => tracing::warn!("index unusable ({e:#}); rebuilding"),
        }
    }
    Ok((build(corpus, index_dir)?, true))
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
