//! `urpmail learn`: applies a filled-in review file. Validates everything first (schema version,
//! unknown or duplicated ids, unknown topics): any error and nothing changes. Then, in one
//! transaction, records each correction or confirmation in the audit table and updates the
//! decisions (so the counts of the periods they touch change); then updates the model
//! incrementally from the reviewed messages, re-read from where they were found (bodies are
//! never stored), and writes it as a new model version. `--undo BATCH` restores the decisions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Error, ModelChoice, RulesChoice, build_classifier, now, store_error};
use crate::classify::bayes::UpdateWeights;
use crate::config::Config;
use crate::parse::{self, Limits, SourceMeta};
use crate::pipeline::analyze_message;
use crate::report::review::{REVIEW_SCHEMA_VERSION, ReviewFile};
use crate::store::{Applied, Correction, Location, ModelRecord, Store};
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
    /// How many times each reviewed message counts against the shipped corpus
    /// ([`LOCAL_WEIGHT`] unless the user says otherwise).
    pub local_weight: f32,
}

/// How many times a comune's reviewed message counts in `learn`'s naive-Bayes update, against
/// one message of the corpus the model was trained on: chosen by the adaptation simulation
/// (`bench/adapt.py` on the January-June part of `bench/adapt-it`, bench/RESULTS.md run 12).
/// Reviewed messages already weigh more than corpus ones through the linear part, whose update
/// fits them alone against the old weights; a larger naive-Bayes weight (3, 10, 30) measured
/// no better with the shipped model.
pub const LOCAL_WEIGHT: f32 = 1.0;

/// The factor of the linear part's cost for reviewed messages in `learn`, chosen by the same
/// simulation: at full cost its update overfits the doubtful messages staff review.
pub const LINEAR_UPDATE: f32 = 0.1;

/// What `learn` did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub batch: i64,
    pub corrections: usize,
    pub confirmations: usize,
    /// Items already applied with the same topic by an earlier `learn` (nothing to do).
    pub already_applied: usize,
    pub trained: usize,
    pub not_trained: usize,
    /// The reviewed messages that could not be re-read, by location, with the reason.
    pub not_reread: Vec<(String, String)>,
    pub model_path: Option<PathBuf>,
    pub model_version: Option<String>,
    /// The version the new model was learned from (the model that decided before).
    pub parent_version: Option<String>,
    /// When the configuration pins a model file, the new model is recorded but not used.
    pub pinned: Option<String>,
    /// Learned model files removed by the retention rule.
    pub retired: Vec<String>,
}

/// Learned model files kept beside a store besides the active one: the newest ones.
pub const KEEP_MODELS: usize = 10;

/// The folder beside a store where `learn` writes its models: `STORE-models/` next to the store
/// file, so several stores in one folder keep apart.
pub fn models_dir(store: &Path) -> PathBuf {
    let stem = store.file_stem().map_or_else(|| "store".into(), |s| s.to_string_lossy().into_owned());
    store.parent().unwrap_or(Path::new(".")).join(format!("{stem}-models"))
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

/// The login of the staff member behind `urpmail-staff` (sudo names who called it), so the
/// audit trail says who applied a file that names no reviewer.
fn sudo_user() -> Option<String> {
    std::env::var("SUDO_USER").ok().filter(|u| !u.is_empty() && u != "root")
}

/// Runs `learn FILE`.
pub fn run(args: &Args) -> Result<Summary, Error> {
    super::existing_store(&args.store)?;
    let mut store = Store::open(&args.store).map_err(store_error(&args.store))?;
    let (file, corrections) = validate(args, &store)?;
    if corrections.is_empty() {
        return Err(invalid(&args.file, "no item has a corrected_topic".into()));
    }
    let reviewer = args
        .reviewer
        .clone()
        .or(file.reviewer.clone())
        .or_else(sudo_user)
        .unwrap_or_else(|| "non indicato".into());
    let classifier = build_classifier(&args.model, &args.rules)?;
    let model_before = classifier.model().map(|m| m.header().version.clone());
    let (batch, applied) = store
        .apply_corrections(&reviewer, &args.file.display().to_string(), model_before.as_deref(), &corrections)
        .map_err(store_error(&args.store))?;
    let mut summary = Summary {
        batch,
        corrections: applied.iter().filter(|a| a.kind == "correction").count(),
        confirmations: applied.iter().filter(|a| a.kind == "confirmation").count(),
        already_applied: corrections.len() - applied.len(),
        parent_version: model_before.clone(),
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
        let where_ = a.location.as_ref().map_or_else(|| format!("id {}", a.content_key), ToString::to_string);
        let bytes = match bytes {
            Ok(b) => b,
            Err(reason) => {
                summary.not_trained += 1;
                summary.not_reread.push((where_, reason));
                continue;
            }
        };
        let parsed = match parse::parse(&bytes, SourceMeta { seen_at: None, now: now() }, &Limits::default())
        {
            Ok(p) => p,
            Err(e) => {
                summary.not_trained += 1;
                summary.not_reread.push((where_, format!("cannot be parsed any more: {e}")));
                continue;
            }
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
    let weights = UpdateWeights { naive_bayes: args.local_weight, linear: LINEAR_UPDATE };
    model.update_weighted(&docs, weights, super::trained_at()?).map_err(Error::Train)?;
    let version = model.header().version.clone();
    let in_models_dir = args.model_out.is_none();
    let path = match &args.model_out {
        Some(p) => p.clone(),
        None => {
            let dir = models_dir(&args.store);
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::Io { context: format!("creating {}", dir.display()), source: e })?;
            dir.join(format!("{version}.model"))
        }
    };
    super::train::write_atomic(&path, &model.to_bytes())?;
    store.finish_batch(batch, Some(&version), &trained_ids).map_err(store_error(&args.store))?;
    // The store's lineage: the new model and what it came from, active from now on.
    let path = std::path::absolute(&path).unwrap_or(path);
    let record = ModelRecord {
        version: version.clone(),
        parent_version: model_before,
        file: Some(path.clone()),
        created_at: model.header().trained_at.clone(),
        batch_id: Some(batch),
        documents: docs.len() as u64,
    };
    store.record_model(&record, &format!("learn batch {batch}")).map_err(store_error(&args.store))?;
    if in_models_dir {
        summary.retired = retire_old_models(&mut store, &args.store)?;
    }
    summary.pinned = match &args.model {
        ModelChoice::Active(_) => None,
        ModelChoice::Default => Some("builtin".into()),
        ModelChoice::None => Some("none".into()),
        ModelChoice::File(p) => Some(p.display().to_string()),
    };
    summary.model_path = Some(path);
    summary.model_version = Some(version);
    Ok(summary)
}

/// The retention rule for learned models: the files of the active model and of the newest
/// [`KEEP_MODELS`] learned ones stay; older files in the store's models folder are removed (their
/// versions stay in the lineage). Files written elsewhere (`--model-out`) are never touched.
fn retire_old_models(store: &mut Store, store_path: &Path) -> Result<Vec<String>, Error> {
    let dir = models_dir(store_path);
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let active = store.active_model().map_err(store_error(store_path))?.map(|m| m.version);
    let models = store.learned_models().map_err(store_error(store_path))?;
    let mut retired = Vec::new();
    let with_files: Vec<_> = models.iter().filter(|m| m.file.is_some()).collect();
    let excess = with_files.len().saturating_sub(KEEP_MODELS);
    for m in with_files.into_iter().take(excess) {
        let Some(file) = &m.file else { continue };
        if Some(&m.version) == active.as_ref() || file.parent() != Some(dir.as_path()) {
            continue;
        }
        match std::fs::remove_file(file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "old model file not removed");
                continue;
            }
        }
        store.forget_model_file(&m.version).map_err(store_error(store_path))?;
        retired.push(m.version.clone());
    }
    Ok(retired)
}

/// The raw bytes of each reviewed message, re-read by the source layer from its location, or
/// why it cannot be reached.
fn fetch_sources(applied: &[Applied], config: Option<&Config>) -> Vec<Result<Vec<u8>, String>> {
    let locations: Vec<Location> = applied.iter().filter_map(|a| a.location.clone()).collect();
    let accounts = config.map_or(&[][..], |c| c.accounts.as_slice());
    let mut read = crate::source::read_at(&locations, accounts).into_iter();
    applied
        .iter()
        .map(|a| {
            if a.location.is_none() {
                return Err("the store has no location for it".into());
            }
            read.next().map_or_else(|| Err("not read".into()), |raw| raw.bytes)
        })
        .collect()
}

/// What `learn --undo` did.
#[derive(Debug, Clone)]
pub struct Undone {
    pub restored: u64,
    /// The model active after the undo, when the undo changed it: `Some(None)` is the configured
    /// (built-in) model.
    pub reactivated: Option<Option<String>>,
}

/// Runs `learn --undo BATCH`: the decisions come back, and when the batch's model is the active
/// one, the model it was learned from becomes active again.
pub fn undo(store_path: &Path, batch: i64) -> Result<Undone, Error> {
    let mut store = Store::open(store_path).map_err(store_error(store_path))?;
    let restored = store.undo_batch(batch).map_err(|e| Error::Input(e.to_string()))?;
    let (before, after) = store.batch_models(batch).map_err(store_error(store_path))?.unwrap_or_default();
    let active = store.active_model().map_err(store_error(store_path))?.map(|m| m.version);
    let mut reactivated = None;
    if after.is_some() && active == after {
        // The parent is a learned model of this store, or the configured one.
        let parent = match &before {
            Some(v) => store.model(v).map_err(store_error(store_path))?.map(|m| m.version),
            None => None,
        };
        store
            .activate_model(parent.as_deref(), &format!("undo of batch {batch}"))
            .map_err(store_error(store_path))?;
        reactivated = Some(parent);
    }
    Ok(Undone { restored, reactivated })
}

/// What `learn` prints: the batch, what trained the model, the messages that could not be
/// re-read (by location), and which model decides from now on.
pub fn summary_text(s: &Summary, store: &Path) -> String {
    let mut text = format!(
        "correction batch {}: {} corrections, {} confirmations; model trained on {} reviewed messages ({} could not be re-read)\n",
        s.batch, s.corrections, s.confirmations, s.trained, s.not_trained
    );
    if s.already_applied > 0 {
        text += &format!(
            "{} items were already applied by an earlier learn: left as they are\n",
            s.already_applied
        );
    }
    for (location, reason) in s.not_reread.iter().take(20) {
        text += &format!("  not re-read: {location}: {reason}\n");
    }
    if s.not_reread.len() > 20 {
        text += &format!("  ... and {} more not re-read\n", s.not_reread.len() - 20);
    }
    if let (Some(p), Some(v)) = (&s.model_path, &s.model_version) {
        let from = s.parent_version.as_deref().unwrap_or("none");
        text += &format!("new model {v} (learned from {from}) written to {}\n", p.display());
        match &s.pinned {
            None => {
                text += &format!(
                    "model {v} is now active for {}: poll, ingest and reclassify use it (`urpmail reclassify` re-decides the year with it)\n",
                    store.display()
                )
            }
            Some(pin) => {
                text += &format!(
                    "the model is recorded as active for {}, but this run used the pinned model {pin}: set `model = \"default\"` in the configuration to use the store's active model\n",
                    store.display()
                )
            }
        }
        for v in &s.retired {
            text += &format!(
                "old model file {v} removed (keeping the active model and the newest {KEEP_MODELS})\n"
            );
        }
    }
    if s.corrections + s.confirmations > 0 {
        text += &format!("undo with: urpmail learn --store {} --undo {}\n", store.display(), s.batch);
    }
    text
}
