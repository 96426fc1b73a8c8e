//! `urpmail ingest`: local archives (.eml, directories, Maildir, mbox) into the store through the
//! same pipeline as the daemon. Idempotent: re-running counts nothing twice.

use std::path::PathBuf;

use super::{Error, now, store_error, thread_pool};
use crate::batch;
use crate::pipeline::Engine;
use crate::source::local;
use crate::store::{RunStatus, RunTotals, Store};

/// What an ingest run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub totals: RunTotals,
    pub inserted: u64,
}

const BATCH: usize = 500;

/// Runs the command.
pub fn run(
    engine: &Engine,
    store_path: &crate::store::StoreTarget,
    ente: Option<&crate::config::Ente>,
    paths: &[PathBuf],
    threads: usize,
) -> Result<Summary, Error> {
    let items = local::expand(paths)?;
    let mut store = Store::open(store_path).map_err(store_error(store_path))?;
    if let Some(e) = ente {
        store.claim_ente(&e.id, &e.name).map_err(store_error(store_path))?;
    }
    store.close_stale_runs().map_err(store_error(store_path))?;
    let run = store.begin_run("ingest").map_err(store_error(store_path))?;
    let model = engine.classifier.model().map(|m| m.header().version.clone());
    store.set_run_model(run, model.as_deref()).map_err(store_error(store_path))?;
    let pool = thread_pool(threads)?;
    let now = now();
    let mut summary = Summary::default();
    let mut iter = local::messages(items, engine.limits.max_message_bytes);
    let result = (|| -> Result<(), Error> {
        loop {
            let batch: Vec<_> = iter.by_ref().take(BATCH).collect();
            if batch.is_empty() {
                return Ok(());
            }
            let stored = pool.install(|| batch::process_all(engine, &batch, now));
            let r = batch::write(&mut store, run, stored, None, &mut summary.totals)
                .map_err(store_error(store_path))?;
            summary.inserted += r.inserted;
        }
    })();
    let (status, err) = match &result {
        Ok(()) => (RunStatus::Ok, None),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    store.finish_run(run, &summary.totals, status, err.as_deref()).map_err(store_error(store_path))?;
    result?;
    tracing::info!(
        messages = summary.totals.fetched,
        new = summary.inserted,
        duplicates = summary.totals.duplicates,
        classified = summary.totals.classified,
        "ingest finished into {}",
        store_path
    );
    Ok(summary)
}
