//! `urpmail reclassify`: re-decides the stored, unreviewed decisions of a period with the model
//! that decides for the store now (its active learned model, unless the configuration pins one),
//! re-reading each message where it was found (bodies are never stored). Staff-reviewed decisions
//! are never changed; a message that cannot be re-read keeps its decision and is counted. All
//! changes are written in one transaction as one `reclassify` run of the ledger, with the decision
//! each replaced, so `reclassify --undo RUN` can put them back. Deterministic: a second run with
//! the same model changes nothing.

use std::collections::BTreeMap;
use std::io::Write;

use super::{Error, StoreChoice, now, store_error, thread_pool};
use crate::batch;
use crate::domain::Status;
use crate::source::{RawMessage, read_at};
use crate::store::StoreTarget;
use crate::store::{DecisionColumns, Location, Redecided, RunStatus, RunTotals, Store};

/// Arguments of `reclassify`.
#[derive(Debug, Clone)]
pub struct Args {
    /// The store and its settings; a configuration must carry its IMAP passwords to re-read
    /// messages from the mailboxes.
    pub store: StoreChoice,
    pub year: Option<i32>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Compute and print the changes, write nothing.
    pub dry_run: bool,
    pub threads: usize,
}

/// What a reclassify run did (or would do, with `--dry-run`).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub store: String,
    /// The ledger run (none with `--dry-run`).
    pub run: Option<i64>,
    pub dry_run: bool,
    pub model_version: Option<String>,
    /// Unreviewed decisions of the period.
    pub candidates: usize,
    pub reread: usize,
    /// Decisions rewritten (another model version, confidence, flag or topic).
    pub changed: usize,
    /// Of those, messages now counted under another topic (or exclusion).
    pub moved: usize,
    /// Messages that could not be re-read (they keep their decision), with the first reasons.
    pub not_reread: usize,
    pub not_reread_examples: Vec<(String, String)>,
    /// Per topic (or "(exclusion)"), messages counted under it before and after.
    pub by_topic: BTreeMap<String, (u64, u64)>,
    /// Years whose theme table was exported before these changes: (year, last export).
    pub exported: Vec<(i32, String)>,
}

/// Messages re-read and re-decided at a time.
const CHUNK: usize = 500;

/// Runs `reclassify`; progress notes go to `notes`.
pub fn run(args: &Args, notes: &mut dyn Write) -> Result<Summary, Error> {
    let path = args.store.target();
    super::existing_store(path)?;
    let engine = args.store.engine()?;
    let model_version = engine.classifier.model().map(|m| m.header().version.clone());
    let mut store = if args.dry_run {
        Store::open_readonly(path).map_err(store_error(path))?
    } else {
        Store::open(path).map_err(store_error(path))?
    };
    let rows = store
        .redo_candidates(args.since.as_deref(), args.until.as_deref(), args.year)
        .map_err(store_error(path))?;
    let mut summary = Summary {
        store: path.to_string(),
        dry_run: args.dry_run,
        model_version: model_version.clone(),
        candidates: rows.len(),
        ..Summary::default()
    };
    for r in &rows {
        let key = r.decision.counted_as();
        summary.by_topic.entry(key).or_default().0 += 1;
    }
    let accounts = args.store.config().map_or(&[][..], |c| c.accounts.as_slice());
    let pool = thread_pool(args.threads)?;
    let now = now();
    let mut changes = Vec::new();
    let mut after: BTreeMap<String, u64> = BTreeMap::new();
    for (n, chunk) in rows.chunks(CHUNK).enumerate() {
        if n > 0 {
            let _ = writeln!(notes, "urpmail: {} of {} messages re-read", n * CHUNK, rows.len());
        }
        let located: Vec<Location> = chunk.iter().filter_map(|r| r.location.clone()).collect();
        let mut read = read_at(&located, accounts).into_iter();
        let raws: Vec<Option<RawMessage>> =
            chunk.iter().map(|r| r.location.as_ref().and_then(|_| read.next())).collect();
        let readable: Vec<RawMessage> =
            raws.iter().flatten().filter(|raw| raw.bytes.is_ok()).cloned().collect();
        let mut decided = pool.install(|| batch::process_all(&engine, &readable, now)).into_iter();
        for (row, raw) in chunk.iter().zip(&raws) {
            let kept = |summary: &mut Summary, after: &mut BTreeMap<String, u64>, why: String| {
                summary.not_reread += 1;
                if summary.not_reread_examples.len() < 10 {
                    let at = row
                        .location
                        .as_ref()
                        .map_or_else(|| format!("message {}", row.id), ToString::to_string);
                    summary.not_reread_examples.push((at, why));
                }
                *after.entry(row.decision.counted_as()).or_default() += 1;
            };
            let raw = match raw {
                None => {
                    kept(&mut summary, &mut after, "the store has no location for it".into());
                    continue;
                }
                Some(RawMessage { bytes: Err(e), .. }) => {
                    kept(&mut summary, &mut after, e.clone());
                    continue;
                }
                Some(raw) => raw,
            };
            let Some(m) = decided.next() else {
                kept(&mut summary, &mut after, "not processed".into());
                continue;
            };
            if m.content_key != row.content_key {
                kept(&mut summary, &mut after, format!("{} holds another message now", raw.location));
                continue;
            }
            if m.status == Status::Skipped {
                let why = m.skip.as_ref().map_or_else(|| "skipped".into(), ToString::to_string);
                kept(&mut summary, &mut after, format!("cannot be decided any more: {why}"));
                continue;
            }
            summary.reread += 1;
            let new = DecisionColumns::of(&m);
            *after.entry(new.counted_as()).or_default() += 1;
            if new != row.decision {
                changes.push(Redecided { id: row.id, year: row.year, old: row.decision.clone(), new });
            }
        }
    }
    for (k, n) in after {
        summary.by_topic.entry(k).or_default().1 = n;
    }
    summary.changed = changes.len();
    summary.moved = changes.iter().filter(|c| c.old.counted_as() != c.new.counted_as()).count();
    let years: std::collections::BTreeSet<i32> =
        changes.iter().filter(|c| c.old.counted_as() != c.new.counted_as()).filter_map(|c| c.year).collect();
    for y in years {
        if let Some((at, _)) = store.changes_since_export(y).map_err(store_error(path))? {
            summary.exported.push((y, at));
        }
    }
    if args.dry_run {
        return Ok(summary);
    }
    store.close_stale_runs().map_err(store_error(path))?;
    let run = store.begin_run("reclassify").map_err(store_error(path))?;
    store.set_run_model(run, model_version.as_deref()).map_err(store_error(path))?;
    let written = store.apply_redecisions(run, &changes);
    let totals = RunTotals {
        fetched: summary.reread as u64,
        classified: changes.len() as u64,
        errors: summary.not_reread as u64,
        ..RunTotals::default()
    };
    let (status, err) = match &written {
        Ok(_) => (RunStatus::Ok, None),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    store.finish_run(run, &totals, status, err.as_deref()).map_err(store_error(path))?;
    summary.changed = written.map_err(store_error(path))? as usize;
    summary.run = Some(run);
    Ok(summary)
}

/// Runs `reclassify --undo RUN`: (decisions restored, decisions left as they are).
pub fn undo(store_path: &StoreTarget, run: i64) -> Result<(u64, u64), Error> {
    super::existing_store(store_path)?;
    let mut store = Store::open(store_path).map_err(store_error(store_path))?;
    store.undo_reclassify(run).map_err(|e| Error::Input(e.to_string()))
}

/// What `reclassify` prints: the model, the counts, the per-topic changes and the exported
/// years the changes touch.
pub fn summary_text(s: &Summary) -> String {
    let mut t = String::new();
    let model = s.model_version.as_deref().unwrap_or("none (rules alone)");
    let verb = if s.dry_run { "would change" } else { "changed" };
    t += &format!(
        "reclassify with model {model}: {} unreviewed decisions, {} re-read, {} not re-read (they keep their decision)\n{verb} {} decisions, {} of them to another topic\n",
        s.candidates, s.reread, s.not_reread, s.changed, s.moved
    );
    for (at, why) in &s.not_reread_examples {
        t += &format!("  not re-read: {at}: {why}\n");
    }
    let moved: Vec<_> = s.by_topic.iter().filter(|(_, (b, a))| b != a).collect();
    if moved.is_empty() {
        t += "no topic count changes\n";
    } else {
        let w = moved.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(5).max(5);
        t += &format!("{:<w$}  {:>7}  {:>7}  {:>7}\n", "topic", "before", "after", "change");
        for (k, (b, a)) in moved {
            t += &format!("{k:<w$}  {b:>7}  {a:>7}  {:>+7}\n", *a as i64 - *b as i64);
        }
    }
    for (y, at) in &s.exported {
        t += &format!(
            "year {y} was exported on {at}: tables made before {} these changes\n",
            if s.dry_run { "would predate" } else { "predate" }
        );
    }
    match s.run {
        Some(run) => {
            t += &format!("run {run}; undo with: urpmail reclassify --store {} --undo {run}\n", s.store)
        }
        None => t += "dry run: nothing was written\n",
    }
    t
}
