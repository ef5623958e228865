//! The knowledge a running bot serves, swapped atomically on reload.
//!
//! Readers take an `Arc<Knowledge>` snapshot per question, so a question in
//! flight finishes on the knowledge it started with while the next one sees
//! the new. A reload validates `faq/` and builds a new index generation
//! first; only a complete, valid build replaces what is serving.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::knowledge::{Knowledge, LoadError};

/// What a reload did, for logs, `/faqadmin reload` and metrics.
#[derive(Debug)]
pub enum ReloadOutcome {
    /// A new generation is serving.
    Reloaded {
        documents: usize,
        entries: usize,
        /// The generation now serving.
        generation: u64,
        took: Duration,
    },
    /// The edit was rejected; the previous knowledge keeps serving.
    Failed { errors: String },
}

pub struct Live {
    faq: PathBuf,
    index: PathBuf,
    current: RwLock<Arc<Knowledge>>,
    /// Serialises reloads: a burst of triggers never builds twice at once.
    reloading: Mutex<()>,
    pub generation: AtomicU64,
    pub reloads_ok: AtomicU64,
    pub reloads_failed: AtomicU64,
    /// The last failure's diagnostics, cleared by the next good reload.
    pub last_error: Mutex<Option<String>>,
}

impl Live {
    /// Loads the knowledge once; startup fails only if nothing usable exists.
    pub fn open(faq: &Path, index: &Path) -> Result<Live, LoadError> {
        let k = Knowledge::load(faq, index)?;
        Ok(Live {
            faq: faq.to_path_buf(),
            index: index.to_path_buf(),
            current: RwLock::new(Arc::new(k)),
            reloading: Mutex::new(()),
            generation: AtomicU64::new(1),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            last_error: Mutex::new(None),
        })
    }

    /// The knowledge serving right now.
    pub fn get(&self) -> Arc<Knowledge> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Validates and rebuilds from `faq/`; swaps only on success.
    pub fn reload(&self) -> ReloadOutcome {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let started = Instant::now();
        match Knowledge::load(&self.faq, &self.index) {
            Ok(k) => {
                let (documents, entries) = (k.engine.documents, k.entries);
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(k);
                let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
                self.reloads_ok.fetch_add(1, Ordering::Relaxed);
                *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
                let took = started.elapsed();
                tracing::info!(
                    documents,
                    entries,
                    took_ms = took.as_millis() as u64,
                    "knowledge reloaded"
                );
                ReloadOutcome::Reloaded {
                    documents,
                    entries,
                    generation,
                    took,
                }
            }
            Err(e) => {
                let errors = e.to_string();
                self.reloads_failed.fetch_add(1, Ordering::Relaxed);
                // One diagnostic a line; no other control character gets through.
                let errors = errors.replace(|c: char| c.is_control() && c != '\n', "\u{fffd}");
                tracing::error!("reload rejected, previous knowledge keeps serving:\n{errors}");
                *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(errors.clone());
                ReloadOutcome::Failed { errors }
            }
        }
    }

    /// Watches `faq/` and reloads after changes settle for `debounce` (an
    /// editor or `git pull` writes many files at once). Runs until the
    /// returned watcher is dropped; `on_reload` sees every outcome.
    pub fn watch(
        self: &Arc<Self>,
        debounce: Duration,
        on_reload: impl Fn(&ReloadOutcome) + Send + 'static,
    ) -> notify::Result<notify::RecommendedWatcher> {
        use notify::{RecursiveMode, Watcher};
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
            if ev.is_ok_and(|e| !e.kind.is_access()) {
                let _ = tx.send(());
            }
        })?;
        watcher.watch(&self.faq, RecursiveMode::Recursive)?;
        let live = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("faq-watch".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    // Debounce: wait until no event arrived for `debounce`.
                    while rx.recv_timeout(debounce).is_ok() {}
                    let Some(live) = live.upgrade() else { break };
                    on_reload(&live.reload());
                }
            })
            .map_err(|e| notify::Error::generic(&e.to_string()))?;
        Ok(watcher)
    }
}
