//! The knowledge unit: everything the adapters answer from, loaded together
//! and swapped together on reload. It validates `faq/` ([`crate::corpus`]),
//! makes sure the index generation matches it ([`crate::index`], with the
//! engine's own file added by [`crate::engine::prepare_generation`]), and
//! holds the engine and the lookups built from the same corpus.

use std::path::Path;

use serde::Serialize;

use crate::corpus::{Corpus, Diagnostics};
use crate::engine::{self, Engine, Hints};
use crate::index;
use crate::lookup::{Facts, Lookup};

/// Everything the adapters need, loaded together and swapped together on reload.
pub struct Knowledge {
    /// How many FAQ entries the knowledge base has (the rest of the
    /// corpus lives in the engine and the lookups).
    pub entries: usize,
    pub engine: Engine,
    /// Salary and credential lookups over the same corpus.
    pub lookup: Lookup,
}

/// The engine's response to a question, and the lookup's figures or
/// credential when the question clearly asks for them.
#[derive(Debug, Clone, Serialize)]
pub struct Asked {
    #[serde(flatten)]
    pub response: engine::Response,
    /// Only with an answer (see [`Lookup::facts`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<Facts>,
}

/// Errors that block loading: the caller shows them and keeps what it had.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the knowledge base has {} error(s):\n{}", .0.errors().count(), errors_text(.0))]
    Invalid(Diagnostics),
    #[error(transparent)]
    Index(#[from] anyhow::Error),
}

fn errors_text(d: &Diagnostics) -> String {
    d.errors()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether to reuse the live index generation when it matches the corpus.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Build {
    IfStale,
    Always,
}

impl Knowledge {
    /// The engine's answer (given what the lookup recognised, [`Self::hints`]),
    /// plus the lookup's facts when the question clearly asks for pay
    /// figures or a credential.
    pub fn ask(&self, question: &str) -> Asked {
        let response = self.engine.ask_hinted(question, &self.hints(question));
        self.with_facts(question, response)
    }

    /// [`Knowledge::ask`] with the scoring explained.
    pub fn ask_explained(&self, question: &str) -> Asked {
        let response = self.engine.ask_explained(question, &self.hints(question));
        self.with_facts(question, response)
    }

    /// What the lookups know of `question` that helps the engine: the
    /// entry answering the pay of the role it names.
    pub fn hints<'a>(&'a self, question: &str) -> Hints<'a> {
        Hints {
            pay_entry: self.lookup.pay_entry(question),
        }
    }

    fn with_facts(&self, question: &str, response: engine::Response) -> Asked {
        let facts = if response.abstained {
            None
        } else {
            self.lookup.facts(question)
        };
        Asked { response, facts }
    }

    /// Validates `faq`, makes sure the index under `index_dir` matches it
    /// (building it if missing, stale or corrupt), and opens the engine.
    pub fn load(faq: &Path, index_dir: &Path) -> Result<Knowledge, LoadError> {
        Self::load_building(faq, index_dir, Build::IfStale)
    }

    /// [`Knowledge::load`], always building a fresh index generation.
    pub fn rebuild(faq: &Path, index_dir: &Path) -> Result<Knowledge, LoadError> {
        Self::load_building(faq, index_dir, Build::Always)
    }

    fn load_building(faq: &Path, index_dir: &Path, build: Build) -> Result<Knowledge, LoadError> {
        let (mut corpus, diags) = crate::corpus::load(faq);
        if diags.has_errors() {
            return Err(LoadError::Invalid(diags));
        }
        let (dir, built) = match build {
            Build::Always => (build_index(&corpus, index_dir)?, true),
            Build::IfStale => index::ensure(&corpus, index_dir, &engine::stamp(), |g| {
                engine::prepare_generation(g, &corpus.synonyms)
            })?,
        };
        // The engine reads bodies from the index's document store and the
        // lookups copy what they need: the corpus goes before the engine
        // opens, so that its memory can be reused.
        let lookup = Lookup::new(&corpus);
        let (entries, synonyms) = (corpus.entries.len(), std::mem::take(&mut corpus.synonyms));
        drop(corpus);
        // Before the engine reads its file, not only after: what of the
        // corpus the engine's load does not reuse otherwise stays resident
        // through its peak (about 2 MB at 100×; BENCHMARKS.md).
        release_freed_memory();
        let engine = match Engine::open(&dir, &synonyms) {
            Ok(e) => e,
            // The live generation opened for its metadata but not as an
            // index: rebuild once (from faq/ again, for the bodies).
            Err(e) if !built => {
                tracing::warn!("index unusable ({e:#}); rebuilding");
                return Self::rebuild(faq, index_dir);
            }
            Err(e) => return Err(e.into()),
        };
        release_freed_memory();
        Ok(Knowledge {
            entries,
            lookup,
            engine,
        })
    }
}

/// A fresh index generation for `corpus`, with the engine's file in it.
pub fn build_index(corpus: &Corpus, index_dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    index::build(corpus, index_dir, &engine::stamp(), |g| {
        engine::prepare_generation(g, &corpus.synonyms)
    })
}

/// Hands the memory freed while loading (the parsed corpus, the engine's
/// file as read) back to the system. glibc keeps freed blocks for reuse and
/// returns only the top of the heap on its own; a knowledge base 100× the
/// shipped one otherwise leaves tens of MiB resident that serving never uses.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases free memory; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
