//! `urpmail learn`: applies a filled-in review file. Validates everything first (schema version,
//! unknown or duplicated ids, unknown topics): any error and nothing changes. Then, in one
//! transaction, records each correction or confirmation in the audit table and updates the
//! decisions (so the counts of the periods they touch change); then updates the model
//! incrementally from the reviewed messages, re-read from where they were found (bodies are
//! never stored), and writes it as a new model version. `--undo BATCH` restores the decisions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Error, ModelChoice, RulesChoice, build_classifier, now, store_error};
use crate::config::Config;
use crate::parse::{self, Limits, SourceMeta};
use crate::pipeline::analyze_message;
use crate::report::review::{REVIEW_SCHEMA_VERSION, ReviewFile};
use crate::store::{Applied, Correction, Location, Store};
use crate::text::Analyzer;

/// Arguments of `learn`.
#[derive(Debug, Clone)]
pub struct Args {
    pub store: PathBuf,
    pub rules: RulesChoice,
    pub model: ModelChoice,
    /// Where the updated model goes (default: beside the store, named by its version).
    pub model_out: Option<PathBuf>,
    pub reviewer: Option<String>,
    pub file: PathBuf,
    /// For re-reading messages from IMAP (optional).
    pub config: Option<Config>,
}

/// What `learn` did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub batch: i64,
    pub corrections: usize,
    pub confirmations: usize,
    pub trained: usize,
    pub not_trained: usize,
    pub model_path: Option<PathBuf>,
    pub model_version: Option<String>,
}

fn invalid(file: &Path, msg: String) -> Error {
    Error::Input(format!("{}: {msg}; nothing was applied", file.display()))
}

/// Reads and validates a review file against the store and taxonomy.
pub fn validate(args: &Args, store: &Store) -> Result<(ReviewFile, Vec<Correction>), Error> {
    let f = &args.file;
    let text = std::fs::read_to_string(f).map_err(|e| invalid(f, format!("cannot read: {e}")))?;
    let loose: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| invalid(f, format!("not valid JSON at line {} column {}: {e}", e.line(), e.column())))?;
    let version = loose.get("schema_version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(REVIEW_SCHEMA_VERSION)) {
        return Err(invalid(
            f,
            format!(
                "schema_version {:?} is not supported (this urpmail reads {REVIEW_SCHEMA_VERSION}): make a new file with `urpmail report review`",
                version
            ),
        ));
    }
    let file: ReviewFile = serde_json::from_str(&text)
        .map_err(|e| invalid(f, format!("line {} column {}: {e}", e.line(), e.column())))?;
    let rules = args.rules.load()?.ok_or_else(|| Error::Input("learn needs the rules' taxonomy".into()))?;
    if file.taxonomy != rules.taxonomy.id {
        return Err(invalid(
            f,
            format!("made for taxonomy {}, but the rules define {}", file.taxonomy, rules.taxonomy.id),
        ));
    }
    let tipologie: BTreeSet<&str> = rules.tipologie().iter().map(|t| t.id.as_str()).collect();
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    let mut corrections = Vec::new();
    for (i, item) in file.items.iter().enumerate() {
        let at = format!("item {} (id {})", i + 1, item.id);
        if !seen.insert(item.id.as_str()) {
            errors.push(format!("{at}: the same message appears twice"));
        }
        if let Some(t) = &item.corrected_topic {
            if rules.taxonomy.find(t).is_none() {
                errors.push(format!(
                    "{at}: corrected_topic {t:?} is not a topic id (see the topics list in the file)"
                ));
            }
            if let Some(tp) = &item.tipologia
                && !tipologie.contains(tp.as_str())
            {
                errors.push(format!(
                    "{at}: tipologia {tp:?} is not one of {}",
                    tipologie.iter().copied().collect::<Vec<_>>().join(", ")
                ));
            }
            corrections.push(Correction {
                content_key: item.id.clone(),
                new_topic: t.clone(),
                tipologia: item.tipologia.clone(),
                note: item.note.clone(),
            });
        }
    }
    let keys: Vec<String> = corrections.iter().map(|c| c.content_key.clone()).collect();
    let known: BTreeSet<String> =
        store.by_keys(&keys).map_err(store_error(store.path()))?.into_iter().map(|r| r.content_key).collect();
    for (i, item) in file.items.iter().enumerate() {
        if item.corrected_topic.is_some() && !known.contains(&item.id) {
            errors.push(format!(
                "item {} (id {}): no such message in {}",
                i + 1,
                item.id,
                args.store.display()
            ));
        }
    }
    if !errors.is_empty() {
        let shown: Vec<String> = errors.iter().take(20).cloned().collect();
        let more =
            if errors.len() > 20 { format!(" (and {} more)", errors.len() - 20) } else { String::new() };
        return Err(invalid(f, format!("{} problem(s){more}:\n  {}", errors.len(), shown.join("\n  "))));
    }
    Ok((file, corrections))
}

/// Runs `learn FILE`.
pub fn run(args: &Args) -> Result<Summary, Error> {
    if !args.store.exists() {
        return Err(Error::Input(format!("{}: no store", args.store.display())));
    }
    let mut store = Store::open(&args.store).map_err(store_error(&args.store))?;
    let (file, corrections) = validate(args, &store)?;
    if corrections.is_empty() {
        return Err(invalid(&args.file, "no item has a corrected_topic".into()));
    }
    let reviewer = args.reviewer.clone().or(file.reviewer.clone()).unwrap_or_else(|| "non indicato".into());
    let classifier = build_classifier(&args.model, &args.rules)?;
    let model_before = classifier.model().map(|m| m.header().version.clone());
    let (batch, applied) = store
        .apply_corrections(&reviewer, &args.file.display().to_string(), model_before.as_deref(), &corrections)
        .map_err(store_error(&args.store))?;
    let mut summary = Summary {
        batch,
        corrections: applied.iter().filter(|a| a.kind == "correction").count(),
        confirmations: applied.iter().filter(|a| a.kind == "confirmation").count(),
        ..Summary::default()
    };
    // Only reviewed labels train the model: re-read each reviewed message where it was found.
    let Some(model) = classifier.model() else {
        store.finish_batch(batch, None, &[]).map_err(store_error(&args.store))?;
        summary.not_trained = applied.len();
        return Ok(summary);
    };
    let mut model = model.clone();
    let mut analyzer = Analyzer::new(classifier.language());
    let mut docs = Vec::new();
    let mut trained_ids = Vec::new();
    let fetched = fetch_sources(&applied, args.config.as_ref());
    for (a, bytes) in applied.iter().zip(fetched) {
        let Some(bytes) = bytes else {
            summary.not_trained += 1;
            continue;
        };
        let Ok(parsed) = parse::parse(&bytes, SourceMeta { seen_at: None, now: now() }, &Limits::default())
        else {
            summary.not_trained += 1;
            continue;
        };
        let analyzed = analyze_message(classifier.features(), &mut analyzer, &parsed);
        docs.push((a.new_topic.clone(), analyzed));
        trained_ids.push(a.message_id);
    }
    summary.trained = docs.len();
    if docs.is_empty() {
        store.finish_batch(batch, model_before.as_deref(), &[]).map_err(store_error(&args.store))?;
        return Ok(summary);
    }
    model.update(&docs, super::trained_at()?).map_err(Error::Train)?;
    let version = model.header().version.clone();
    let path = match &args.model_out {
        Some(p) => p.clone(),
        None => args.store.parent().unwrap_or(Path::new(".")).join(format!("urpmail-{version}.model")),
    };
    super::train::write_atomic(&path, &model.to_bytes())?;
    store.finish_batch(batch, Some(&version), &trained_ids).map_err(store_error(&args.store))?;
    summary.model_path = Some(path);
    summary.model_version = Some(version);
    Ok(summary)
}

/// The raw bytes of each reviewed message, re-read by the source layer from its location (None
/// when it cannot be reached).
fn fetch_sources(applied: &[Applied], config: Option<&Config>) -> Vec<Option<Vec<u8>>> {
    let locations: Vec<Location> = applied.iter().filter_map(|a| a.location.clone()).collect();
    let accounts = config.map_or(&[][..], |c| c.accounts.as_slice());
    let mut read = crate::source::read_at(&locations, accounts).into_iter();
    applied
        .iter()
        .map(|a| {
            a.location.as_ref()?;
            let raw = read.next()?;
            match raw.bytes {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    tracing::debug!(source = %raw.location, error = %e, "reviewed message not re-read");
                    None
                }
            }
        })
        .collect()
}

/// Runs `learn --undo BATCH`.
pub fn undo(store_path: &Path, batch: i64) -> Result<u64, Error> {
    let mut store = Store::open(store_path).map_err(store_error(store_path))?;
    store.undo_batch(batch).map_err(|e| Error::Input(e.to_string()))
}
