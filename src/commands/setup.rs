//! What every command sets up from its arguments: the classifier (`--rules`, `--model`), the
//! store and settings of `--config FILE | --store FILE`, the thread pool and the clock.

use std::path::{Path, PathBuf};

use super::Error;
use crate::classify::Classifier;
use crate::classify::bayes::Model;
use crate::classify::rules::RuleSet;
use crate::config::Config;
use crate::defaults;
use crate::parse::Limits;
use crate::parse::exclude::ExclusionConfig;
use crate::pipeline::Engine;
use crate::store::{Store, StoreTarget};

/// Output format of the commands that print a report or a status (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Text for a person.
    Table,
    /// Pretty-printed JSON.
    Json,
}

/// What `--config FILE | --store FILE` gave: a configuration (its store, rules, model, limits
/// and snippet setting) or a bare store file (with the built-in rules and model).
#[derive(Debug, Clone)]
pub enum StoreChoice {
    /// `--config`, loaded without secrets (reading the store never needs the IMAP password).
    Config(Box<Config>),
    /// `--store FILE|URL`.
    Store(StoreTarget),
}

impl StoreChoice {
    /// Where the store lives.
    pub fn target(&self) -> &StoreTarget {
        match self {
            StoreChoice::Config(c) => &c.store,
            StoreChoice::Store(t) => t,
        }
    }

    /// The configuration's rules, or the built-in ones.
    pub fn rules(&self) -> RulesChoice {
        match self {
            StoreChoice::Config(c) => RulesChoice::parse(&c.rules),
            StoreChoice::Store(_) => RulesChoice::Default,
        }
    }

    /// The model that decides for this store: the file or `none` the configuration pins, the
    /// built-in one when it says `builtin`, else the store's active learned model (the built-in
    /// one until `learn` made one).
    pub fn model(&self) -> ModelChoice {
        match self {
            StoreChoice::Config(c) => ModelChoice::for_store(&c.model, &c.store),
            StoreChoice::Store(p) => ModelChoice::Active(p.clone()),
        }
    }

    /// The configuration, if one was given.
    pub fn config(&self) -> Option<&Config> {
        match self {
            StoreChoice::Config(c) => Some(c),
            StoreChoice::Store(_) => None,
        }
    }

    /// The engine that records messages into this store: the configuration's, or the built-in
    /// rules and model with default limits and no snippets.
    pub fn engine(&self) -> Result<Engine, Error> {
        match self {
            StoreChoice::Config(c) => engine_for(c),
            StoreChoice::Store(p) => {
                let classifier = build_classifier(&ModelChoice::Active(p.clone()), &RulesChoice::Default)?;
                Ok(Engine {
                    exclusions: exclusions_of(&classifier),
                    classifier,
                    limits: Limits::default(),
                    snippets: false,
                })
            }
        }
    }
}

/// Reads and validates a model file.
pub fn load_model(path: &Path) -> Result<Model, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Input(format!("{}: cannot read model: {e}", path.display())))?;
    Model::from_vec(bytes).map_err(|source| Error::Model { path: path.to_path_buf(), source })
}

/// What `--rules` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesChoice {
    /// The rules compiled into the binary (`rules/urp-it.toml`).
    Default,
    /// `--rules none`: the model alone decides; its labels are the taxonomy.
    None,
    /// A rules file.
    File(PathBuf),
}

impl RulesChoice {
    /// Parses the `--rules` argument (`default`, `none` or a path).
    pub fn parse(s: &str) -> Self {
        match s {
            "default" => RulesChoice::Default,
            "none" => RulesChoice::None,
            _ => RulesChoice::File(PathBuf::from(s)),
        }
    }

    /// Loads the rules, if any.
    pub fn load(&self) -> Result<Option<RuleSet>, Error> {
        match self {
            RulesChoice::Default => {
                let text = defaults::rules().ok_or_else(|| {
                    Error::Input(
                        "this urpmail was built without rules/urp-it.toml: pass --rules FILE or --rules none"
                            .into(),
                    )
                })?;
                // Parsed once per process: the web page builds many tables.
                static BUILT_IN: std::sync::OnceLock<Result<RuleSet, crate::classify::rules::RulesError>> =
                    std::sync::OnceLock::new();
                BUILT_IN
                    .get_or_init(|| RuleSet::parse(text, defaults::RULES_NAME))
                    .clone()
                    .map(Some)
                    .map_err(Error::Rules)
            }
            RulesChoice::None => Ok(None),
            RulesChoice::File(p) => RuleSet::load(p).map(Some).map_err(Error::Rules),
        }
    }
}

/// What `--model` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    /// The model compiled into the binary (`models/urp-it.model`).
    Default,
    /// `--model none`: rules alone (cold start).
    None,
    /// A model file.
    File(PathBuf),
    /// The active learned model of this store (recorded by `learn`), or the built-in one when
    /// the store has none (or does not exist yet).
    Active(StoreTarget),
}

impl ModelChoice {
    /// Parses the `--model` argument (`default` or `builtin`, `none` or a path).
    pub fn parse(s: &str) -> Self {
        match s {
            "default" | "builtin" => ModelChoice::Default,
            "none" => ModelChoice::None,
            _ => ModelChoice::File(PathBuf::from(s)),
        }
    }

    /// A configuration's `model` for its store: `default` is the store's active model,
    /// `builtin` pins the built-in one, `none` and a path pin those.
    pub fn for_store(s: &str, store: &StoreTarget) -> Self {
        match s {
            "default" => ModelChoice::Active(store.clone()),
            other => ModelChoice::parse(other),
        }
    }

    /// The learned model a store has made active, if any (none for a store not created yet).
    pub fn active_record(store: &StoreTarget) -> Result<Option<crate::store::ModelRecord>, Error> {
        Ok(ModelChoice::active(store)?.map(|(_, rec)| rec))
    }

    /// The store's active learned model with the open store (to read its bytes), if any.
    fn active(store: &StoreTarget) -> Result<Option<(Store, crate::store::ModelRecord)>, Error> {
        if !Store::exists(store).map_err(store_error(store))? {
            return Ok(None);
        }
        let s = Store::open_readonly(store).map_err(store_error(store))?;
        let rec = s.active_model().map_err(store_error(store))?;
        Ok(rec.map(|r| (s, r)))
    }

    /// Loads the model, if any.
    pub fn load(&self) -> Result<Option<Model>, Error> {
        match self {
            ModelChoice::Default => {
                let bytes = defaults::model().ok_or_else(|| {
                    Error::Input("this urpmail was built without models/urp-it.model: pass --model FILE or --model none".into())
                })?;
                Model::from_bytes(bytes)
                    .map(Some)
                    .map_err(|source| Error::Model { path: PathBuf::from(defaults::MODEL_NAME), source })
            }
            ModelChoice::None => Ok(None),
            ModelChoice::File(p) => load_model(p).map(Some),
            ModelChoice::Active(store) => match ModelChoice::active(store)? {
                None => ModelChoice::Default.load(),
                Some((open, rec)) if rec.in_store => {
                    let bytes = open.model_bytes(&rec.version).map_err(store_error(store))?.ok_or_else(|| {
                        Error::Input(format!(
                            "{store}: the active model {} is no longer in the store (removed by retention): run `urpmail learn --undo` on its batch or pin `model = \"builtin\"` in the configuration",
                            rec.version
                        ))
                    })?;
                    Model::from_vec(bytes).map(Some).map_err(|source| Error::Model {
                        path: PathBuf::from(format!("{store} (model {})", rec.version)),
                        source,
                    })
                }
                Some((_, rec)) => {
                    let Some(file) = rec.file else {
                        return Err(Error::Input(format!(
                            "{store}: the active model {} has no file any more (removed by retention): run `urpmail learn --undo` on its batch or pin `model = \"builtin\"` in the configuration",
                            rec.version
                        )));
                    };
                    let model = load_model(&file).map_err(|e| {
                        Error::Input(format!(
                            "{e}\n  this is the active model of {} (learned by batch {}): restore the file, undo that batch with `urpmail learn --undo {}`, or pin `model = \"builtin\"` in the configuration",
                            store,
                            rec.batch_id.map_or("?".into(), |b| b.to_string()),
                            rec.batch_id.map_or("BATCH".into(), |b| b.to_string()),
                        ))
                    })?;
                    Ok(Some(model))
                }
            },
        }
    }
}

/// Builds the classifier for `--model` / `--rules`.
pub fn build_classifier(model: &ModelChoice, rules: &RulesChoice) -> Result<Classifier, Error> {
    let rules = rules.load()?;
    let model = model.load()?;
    match (rules, model) {
        (None, Some(m)) => Ok(Classifier::model_only(m)),
        (None, None) => Err(Error::Input(
            "--rules none needs a model: pass --model FILE (train one with `urpmail train`)".into(),
        )),
        (Some(r), m) => Ok(Classifier::with_rules(r, m)?),
    }
}

/// The exclusion settings of a classifier (from its rules file; none without rules).
pub fn exclusions_of(c: &Classifier) -> ExclusionConfig {
    c.rules().map(|r| r.exclusions.clone()).unwrap_or_default()
}

/// A rayon pool with `threads` workers (0 = all cores).
pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Input(format!("cannot start {threads} threads: {e}")))
}

/// Current Unix time.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Training time for model headers: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
pub fn trained_at() -> Result<String, Error> {
    let ts = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::Input(format!("SOURCE_DATE_EPOCH={v:?} is not a Unix timestamp")))?,
        Err(_) => now(),
    };
    let dt = time::OffsetDateTime::from_unix_timestamp(ts)
        .map_err(|_| Error::Input(format!("SOURCE_DATE_EPOCH={ts} is out of range")))?;
    Ok(dt.format(&time::format_description::well_known::Rfc3339).unwrap_or_default())
}

/// Store errors are failures while running; they name the store (`store_error(target)` is the
/// `map_err` argument).
pub fn store_error(target: &StoreTarget) -> impl Fn(crate::store::StoreError) -> Error + Copy + '_ {
    move |e| Error::Store(e.at(target))
}

/// Checks that the store a command reads exists and can be read, before opening it. A store
/// that is not there is "no store yet"; one the user may not read says so, with the user and the
/// file's mode and owner, and how to run the command instead (never "no store yet").
pub fn existing_store(target: &StoreTarget) -> Result<(), Error> {
    let Some(path) = target.file() else {
        // A database holds a store once `poll` or `ingest` made its tables.
        return match Store::exists(target).map_err(store_error(target))? {
            true => Ok(()),
            false => Err(Error::Input(format!(
                "{target}: no store yet (run `urpmail poll` or `urpmail ingest` first)"
            ))),
        };
    };
    let denied = |what: &Path| Error::Input(format!("{}: {}", what.display(), crate::access::denied(what)));
    match std::fs::metadata(path) {
        Ok(_) => match std::fs::File::open(path) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(denied(path)),
            Err(e) => Err(Error::Input(format!("{}: cannot read the store: {e}", path.display()))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Input(format!(
            "{}: no store yet (run `urpmail poll` or `urpmail ingest` first)",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            // A folder on the way cannot be entered: name the first one.
            Err(denied(crate::access::blocked_part(path)))
        }
        Err(e) => Err(Error::Input(format!("{}: cannot read the store: {e}", path.display()))),
    }
}

/// The engine a configuration describes (rules, model, exclusions, limits, snippets); with
/// `model = "default"`, the store's active learned model.
pub fn engine_for(config: &Config) -> Result<Engine, Error> {
    let classifier = build_classifier(
        &ModelChoice::for_store(&config.model, &config.store),
        &RulesChoice::parse(&config.rules),
    )?;
    Ok(Engine {
        exclusions: exclusions_of(&classifier),
        classifier,
        limits: config.limits.clone(),
        snippets: config.store_snippets,
    })
}
