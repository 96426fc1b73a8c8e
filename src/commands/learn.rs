//! `urpmail learn`: applies a filled-in review file. Validates everything first ([`validate`]:
//! schema version, field names, unknown or duplicated ids, unknown topics and tipologie, given by
//! id or label): any error and nothing changes. Then, in one
//! transaction, records each correction or confirmation in the audit table and updates the
//! decisions (so the counts of the periods they touch change); then updates the model
//! incrementally from the reviewed messages, re-read from where they were found (bodies are
//! never stored), and writes it as a new model version. `--undo BATCH` restores the decisions.

mod check;

use std::path::PathBuf;

use super::{Error, ModelChoice, RulesChoice, build_classifier, now, store_error};
use crate::classify::bayes::UpdateWeights;
use crate::config::Config;
use crate::parse::{self, Limits, SourceMeta};
use crate::pipeline::analyze_message;
use crate::store::StoreTarget;
use crate::store::{Applied, BatchUndo, Correction, Location, ModelRecord, Store};
use crate::text::Analyzer;

pub use check::{NOTHING_APPLIED, validate};

/// Arguments of `learn`.
#[derive(Debug, Clone)]
pub struct Args {
    pub store: StoreTarget,
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
/// one message of the corpus the model was trained on: chosen by the adaptation simulation on
/// the January-June parts of both adaptation archives together (`bench/adapt.py --data
/// bench/adapt-it,bench/adapt-en`, bench/RESULTS.md run 13): the Italian mail of a comune the
/// model never saw, and the same comune's English mail from foreign residents, where the
/// default starts weak. Among 1, 3, 10, 30, 60 and 100, 30 has the best mean: it costs the
/// Italian archive half a point on average over the first 100 reviews and gains the English
/// one two.
pub const LOCAL_WEIGHT: f32 = 30.0;

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
    /// Run through `urpmail-staff` (which says so in `URPMAIL_VIA`): the hints name the
    /// commands staff type there.
    pub via_staff: bool,
}

/// Learned model files kept beside a store besides the active one: the newest ones.
pub const KEEP_MODELS: usize = 10;

/// The login of the staff member behind `urpmail-staff` (sudo names who called it), so the
/// audit trail says who applied a file that names no reviewer.
fn sudo_user() -> Option<String> {
    std::env::var("SUDO_USER").ok().filter(|u| !u.is_empty() && u != "root")
}

/// Runs `learn FILE`.
pub fn run(args: &Args) -> Result<Summary, Error> {
    super::existing_store(&args.store)?;
    let store = Store::open(&args.store).map_err(store_error(&args.store))?;
    let (file, corrections) = validate(args, &store)?;
    drop(store);
    let reviewer = args
        .reviewer
        .clone()
        .or(file.reviewer.clone())
        .or_else(sudo_user)
        .unwrap_or_else(|| "non indicato".into());
    apply(args, &reviewer, &args.file.display().to_string(), &corrections)
}

/// Applies validated corrections (from a review file, or from the web page): the audit trail
/// and the corrected decisions in one transaction, then the model update from the re-read
/// messages, which becomes the store's active model. `source` names where they came from in the
/// audit trail; `args.file` is not read.
pub fn apply(
    args: &Args,
    reviewer: &str,
    source: &str,
    corrections: &[Correction],
) -> Result<Summary, Error> {
    let mut store = Store::open(&args.store).map_err(store_error(&args.store))?;
    let classifier = build_classifier(&args.model, &args.rules)?;
    let model_before = classifier.model().map(|m| m.header().version.clone());
    let (batch, applied) = store
        .apply_corrections(reviewer, source, model_before.as_deref(), corrections)
        .map_err(store_error(&args.store))?;
    let mut summary = Summary {
        batch,
        corrections: applied.iter().filter(|a| a.kind == "correction").count(),
        confirmations: applied.iter().filter(|a| a.kind == "confirmation").count(),
        already_applied: corrections.len() - applied.len(),
        parent_version: model_before.clone(),
        via_staff: std::env::var("URPMAIL_VIA").is_ok_and(|v| v == "urpmail-staff"),
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
                summary.not_reread.push((where_, format!("non si legge più come e-mail ({e})")));
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
    let bytes = model.to_bytes();
    // A file store keeps its models in its models folder (or `--model-out`); a database keeps
    // them in the database, for every daemon (and also in `--model-out`, when given).
    let path = match (&args.model_out, args.store.models_dir()) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(dir)) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::Io { context: format!("creating {}", dir.display()), source: e })?;
            Some(dir.join(format!("{version}.model")))
        }
        (None, None) => None,
    };
    if let Some(path) = &path {
        super::train::write_atomic(path, &bytes)?;
    }
    store.finish_batch(batch, Some(&version), &trained_ids).map_err(store_error(&args.store))?;
    // The store's lineage: the new model and what it came from, active from now on.
    let path = path.map(|p| std::path::absolute(&p).unwrap_or(p));
    let record = ModelRecord {
        version: version.clone(),
        parent_version: model_before,
        file: path.clone(),
        created_at: model.header().trained_at.clone(),
        batch_id: Some(batch),
        documents: docs.len() as u64,
        in_store: args.store.models_dir().is_none(),
    };
    store.record_model(&record, &bytes, &format!("learn batch {batch}")).map_err(store_error(&args.store))?;
    if args.model_out.is_none() {
        summary.retired = retire_old_models(&mut store, &args.store)?;
    }
    summary.pinned = match &args.model {
        ModelChoice::Active(_) => None,
        ModelChoice::Default => Some("builtin".into()),
        ModelChoice::None => Some("none".into()),
        ModelChoice::File(p) => Some(p.display().to_string()),
    };
    summary.model_path = path;
    summary.model_version = Some(version);
    Ok(summary)
}

/// The retention rule for learned models: the active model and the newest [`KEEP_MODELS`]
/// learned ones stay; older files in the store's models folder are removed, and a database
/// drops the bytes of older ones (their versions stay in the lineage). Files written elsewhere
/// (`--model-out`) are never touched.
fn retire_old_models(store: &mut Store, store_path: &StoreTarget) -> Result<Vec<String>, Error> {
    let dir = store_path.models_dir().map(|d| std::path::absolute(&d).unwrap_or(d));
    let active = store.active_model().map_err(store_error(store_path))?.map(|m| m.version);
    let models = store.learned_models().map_err(store_error(store_path))?;
    let mut retired = Vec::new();
    let kept: Vec<_> = models.iter().filter(|m| m.in_store || m.file.is_some()).collect();
    let excess = kept.len().saturating_sub(KEEP_MODELS);
    for m in kept.into_iter().take(excess) {
        if Some(&m.version) == active.as_ref() {
            continue;
        }
        if m.in_store {
            store.forget_model_file(&m.version).map_err(store_error(store_path))?;
            retired.push(m.version.clone());
            continue;
        }
        let Some(file) = &m.file else { continue };
        if file.parent() != dir.as_deref() {
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
                return Err("l'archivio non sa dove si trova".into());
            }
            read.next().map_or_else(|| Err("non letto".into()), |raw| raw.bytes)
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
/// one, the model it was learned from becomes active again. A batch that does not exist or was
/// undone already is refused in Italian, with the way out.
pub fn undo(store_path: &StoreTarget, batch: i64) -> Result<Undone, Error> {
    let mut store = Store::open(store_path).map_err(store_error(store_path))?;
    let restored = match store.undo_batch(batch).map_err(store_error(store_path))? {
        BatchUndo::Restored(n) => n,
        BatchUndo::NoSuchBatch => {
            return Err(Error::Input(format!(
                "{}: non c'è un gruppo di correzioni numero {batch}: usate il numero stampato da learn \
                 (\"per annullare: ... --undo N\"); nessuna modifica è stata applicata",
                store_path
            )));
        }
        BatchUndo::AlreadyUndone(at) => {
            return Err(Error::Input(format!(
                "{}: il gruppo di correzioni {batch} è già stato annullato ({at}): non c'è altro da annullare",
                store_path
            )));
        }
    };
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

/// What `learn --undo` says it did, in Italian.
pub fn undone_text(batch: i64, u: &Undone) -> String {
    let model = match &u.reactivated {
        None => String::new(),
        Some(Some(v)) => format!("; è di nuovo attivo il modello {v}"),
        Some(None) => {
            "; è di nuovo attivo il modello della configurazione (quello incluso in urpmail, se la \
                       configurazione non indica un file)"
                .into()
        }
    };
    format!(
        "gruppo di correzioni {batch} annullato: {}{model}",
        count(u.restored, "decisione ripristinata", "decisioni ripristinate")
    )
}

/// `1 correzione`, `2 correzioni`.
fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// What `learn` prints, in Italian for the staff who run it: the batch, what trained the model,
/// the messages that could not be re-read (by location, with the reason), which model decides
/// from now on, and how to undo.
pub fn summary_text(s: &Summary, store: &StoreTarget) -> String {
    let n = |k: usize| k as u64;
    let mut text = format!(
        "gruppo di correzioni {}: {}, {}; il modello ha imparato da {} (non riletti: {})\n",
        s.batch,
        count(n(s.corrections), "correzione", "correzioni"),
        count(n(s.confirmations), "conferma", "conferme"),
        count(n(s.trained), "messaggio controllato", "messaggi controllati"),
        s.not_trained
    );
    if s.already_applied > 0 {
        text += &count(
            n(s.already_applied),
            "messaggio era già applicato da un learn precedente: lasciato com'è\n",
            "messaggi erano già applicati da un learn precedente: lasciati come sono\n",
        );
    }
    for (location, reason) in s.not_reread.iter().take(20) {
        text += &format!("  non riletto: {location}: {reason}\n");
    }
    if s.not_reread.len() > 20 {
        text += &format!("  ... e altri {} non riletti\n", s.not_reread.len() - 20);
    }
    let saved_in = s.model_path.as_ref().map_or_else(|| format!("{store}"), |p| p.display().to_string());
    if let (Some(p), Some(v)) = (Some(&saved_in), &s.model_version) {
        let from = s.parent_version.as_deref().unwrap_or("nessuno");
        text += &format!("nuovo modello {v} (derivato da {from}) salvato in {}\n", p);
        match &s.pinned {
            None => {
                let reclassify = if s.via_staff { "urpmail-staff reclassify" } else { "urpmail reclassify" };
                text += &format!(
                    "il modello {v} ora è attivo per {}: poll, ingest e reclassify lo usano \
                     (`{reclassify}` riclassifica l'anno con il nuovo modello)\n",
                    store
                )
            }
            Some(pin) => {
                text += &format!(
                    "il modello è registrato come attivo per {}, ma la configurazione indica il modello {pin}, \
                     che è quello usato: per usare il modello attivo dell'archivio scrivete `model = \"default\"` \
                     nella configurazione\n",
                    store
                )
            }
        }
        for v in &s.retired {
            text += &format!(
                "rimosso il vecchio file del modello {v} (si tengono il modello attivo e i {KEEP_MODELS} più recenti)\n"
            );
        }
    }
    if s.corrections + s.confirmations > 0 {
        text += &if s.via_staff {
            format!("per annullare: urpmail-staff learn --undo {}\n", s.batch)
        } else {
            format!("per annullare: urpmail learn --store {} --undo {}\n", store, s.batch)
        };
    }
    text
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::store::StoreTarget;

    use super::{Summary, Undone, summary_text, undone_text};

    #[test]
    fn the_summary_speaks_italian_in_every_case() {
        let s = Summary {
            batch: 4,
            corrections: 1,
            confirmations: 3,
            already_applied: 1,
            trained: 2,
            not_trained: 22,
            not_reread: (0..22)
                .map(|i| (format!("/archivio/{i}.eml"), "file non trovato".to_string()))
                .collect(),
            model_path: Some(PathBuf::from("/m/b.model")),
            model_version: Some("b".into()),
            parent_version: Some("a".into()),
            pinned: Some("builtin".into()),
            retired: vec!["old".into()],
            via_staff: false,
        };
        let text = summary_text(&s, &StoreTarget::File("/srv/u.db".into()));
        for expected in [
            "gruppo di correzioni 4: 1 correzione, 3 conferme; il modello ha imparato da 2 messaggi controllati (non riletti: 22)\n",
            "1 messaggio era già applicato da un learn precedente: lasciato com'è\n",
            "  non riletto: /archivio/0.eml: file non trovato\n",
            "  ... e altri 2 non riletti\n",
            "nuovo modello b (derivato da a) salvato in /m/b.model\n",
            "la configurazione indica il modello builtin, che è quello usato",
            "rimosso il vecchio file del modello old (si tengono il modello attivo e i 10 più recenti)\n",
            "per annullare: urpmail learn --store /srv/u.db --undo 4\n",
        ] {
            assert!(text.contains(expected), "expected {expected:?} in:\n{text}");
        }
        assert_eq!(text.matches("non riletto:").count(), 20, "at most twenty listed");
        let staff =
            summary_text(&Summary { via_staff: true, ..s.clone() }, &StoreTarget::File("/srv/u.db".into()));
        assert!(staff.contains("per annullare: urpmail-staff learn --undo 4\n"), "{staff}");
        let none = Summary { batch: 5, already_applied: 2, ..Summary::default() };
        let text = summary_text(&none, &StoreTarget::File("/srv/u.db".into()));
        assert!(text.contains("2 messaggi erano già applicati") && !text.contains("per annullare"), "{text}");
        assert_eq!(
            undone_text(4, &Undone { restored: 1, reactivated: Some(Some("a".into())) }),
            "gruppo di correzioni 4 annullato: 1 decisione ripristinata; è di nuovo attivo il modello a"
        );
        assert_eq!(
            undone_text(4, &Undone { restored: 3, reactivated: None }),
            "gruppo di correzioni 4 annullato: 3 decisioni ripristinate"
        );
    }
}
