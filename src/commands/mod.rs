//! The CLI commands. Each takes validated arguments and writers; none prints on its own, so they
//! are testable in-process. Logs go through `tracing` (stderr).

pub mod classify;
pub mod demo;
pub mod eval;
pub mod ingest;
pub mod learn;
pub mod poll;
pub mod report;
pub mod status;
pub mod train;

use std::path::{Path, PathBuf};

use crate::classify::Classifier;
use crate::classify::bayes::{Model, ModelError};
use crate::classify::rules::{RuleSet, RulesError};
use crate::defaults;
use crate::parse::exclude::ExclusionConfig;
use crate::parse::{self, Limits, ParsedMail, SourceMeta};
use crate::source::local;

/// Errors a command reports. `exit_code` tells the supervisor what kind of failure it was.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model file that cannot be used: fix or retrain it.
    #[error("{path}: {source}")]
    Model { path: PathBuf, source: ModelError },
    /// A bad input file or argument the user gave.
    #[error("{0}")]
    Input(String),
    /// I/O while running.
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    /// Building the model failed.
    #[error("training failed: {0}")]
    Train(ModelError),
    /// Classifier assembly failed.
    #[error(transparent)]
    Classifier(#[from] crate::classify::ClassifierError),
    /// A rules file that cannot be used.
    #[error("{0}")]
    Rules(RulesError),
    /// A configuration file that cannot be used.
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    /// The store failed.
    #[error("{0}")]
    Store(crate::store::StoreError),
    /// The mail server could not be reached or dropped the connection (retry later).
    #[error("{0}")]
    Unavailable(String),
}

impl Error {
    /// 2 for problems with what the user gave (arguments, files, model), 1 for failures while
    /// running.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Model { .. }
            | Error::Input(_)
            | Error::Classifier(_)
            | Error::Rules(_)
            | Error::Config(_) => 2,
            Error::Unavailable(_) => 75,
            Error::Store(_) => 1,
            Error::Io { .. } | Error::Train(_) => 1,
        }
    }
}

impl From<local::SourceError> for Error {
    fn from(e: local::SourceError) -> Self {
        Error::Input(e.to_string())
    }
}

/// Reads and validates a model file.
pub fn load_model(path: &Path) -> Result<Model, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Input(format!("{}: cannot read model: {e}", path.display())))?;
    Model::from_bytes(&bytes).map_err(|source| Error::Model { path: path.to_path_buf(), source })
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
                RuleSet::parse(text, defaults::RULES_NAME).map(Some).map_err(Error::Rules)
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
}

impl ModelChoice {
    /// Parses the `--model` argument (`default`, `none` or a path).
    pub fn parse(s: &str) -> Self {
        match s {
            "default" => ModelChoice::Default,
            "none" => ModelChoice::None,
            _ => ModelChoice::File(PathBuf::from(s)),
        }
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

/// A labelled corpus: `DIR/<label>/**/<file>`, one message per file. Labels sorted.
#[derive(Debug)]
pub struct Corpus {
    pub labels: Vec<String>,
    /// (label index, file path)
    pub files: Vec<(usize, PathBuf)>,
}

/// Lists a labelled corpus directory.
pub fn read_corpus(dir: &Path) -> Result<Corpus, Error> {
    let io = |e: std::io::Error| Error::Input(format!("{}: {e}", dir.display()));
    let mut label_dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
        .collect();
    label_dirs.sort();
    let mut labels = Vec::new();
    let mut files = Vec::new();
    for d in label_dirs {
        let label = d.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let items = local::expand(std::slice::from_ref(&d))?;
        let mut n = 0;
        for item in items {
            let (local::Item::File(p) | local::Item::Mbox(p)) = item;
            files.push((labels.len(), p));
            n += 1;
        }
        if n > 0 {
            labels.push(label);
        }
    }
    if labels.len() < 2 {
        return Err(Error::Input(format!(
            "{}: a corpus needs at least two label folders with files (DIR/<label>/<message>)",
            dir.display()
        )));
    }
    // Re-index labels after dropping empty folders.
    Ok(Corpus { labels, files })
}

/// Parses one corpus file for training/evaluation; `None` (with a warning) if unreadable.
pub fn parse_file(path: &Path, limits: &Limits) -> Option<(ParsedMail, Vec<u8>)> {
    let raw = local::read_file(path, limits.max_message_bytes);
    let bytes = match raw.bytes {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "skipping unreadable file");
            return None;
        }
    };
    match parse::parse(&bytes, SourceMeta { seen_at: raw.seen_at, now: now() }, limits) {
        Ok(p) => Some((p, bytes)),
        Err(reason) => {
            tracing::warn!(file = %path.display(), reason = %reason, "skipping file that is not a message");
            None
        }
    }
}

/// `urpmail rules check`: validates a rules file and summarises it.
pub fn rules_check(choice: &RulesChoice) -> Result<String, Error> {
    use std::fmt::Write;
    let rules = choice.load()?.ok_or_else(|| Error::Input("nothing to check: give a rules file".into()))?;
    let (terms, patterns) = rules.rule_counts();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "ok: rules {} (hash {}), taxonomy {} ({} topics, hash {}, fallback {}), {terms} term rules, {patterns} patterns, {} tipologie, {} internal domains",
        rules.rules_version,
        rules.hash,
        rules.taxonomy.id,
        rules.taxonomy.len(),
        rules.taxonomy.hash(),
        rules.taxonomy.fallback().map_or("-", |f| rules.taxonomy.topic(f).id.as_str()),
        rules.tipologie().len(),
        rules.exclusions.internal_domains.len()
    );
    Ok(s)
}

/// Store errors are failures while running; they name the store file (`store_error(path)` is
/// the `map_err` argument).
pub fn store_error(path: &Path) -> impl Fn(crate::store::StoreError) -> Error + Copy + '_ {
    move |e| Error::Store(e.at(path))
}

/// The engine a configuration describes (rules, model, exclusions, limits, snippets).
pub fn engine_for(config: &crate::config::Config) -> Result<crate::pipeline::Engine, Error> {
    let classifier =
        build_classifier(&ModelChoice::parse(&config.model), &RulesChoice::parse(&config.rules))?;
    Ok(crate::pipeline::Engine {
        exclusions: exclusions_of(&classifier),
        classifier,
        limits: config.limits.clone(),
        snippets: config.store_snippets,
    })
}

/// `urpmail config check`: validates a configuration and summarises it (never the password).
pub fn config_check(config: &crate::config::Config) -> Result<String, Error> {
    use std::fmt::Write;
    let engine = engine_for(config)?;
    let mut s = String::new();
    let _ = writeln!(s, "ok: {}", config.file.display());
    let _ = writeln!(
        s,
        "store: {} (snippets {})",
        config.store_path.display(),
        if config.store_snippets { "on, redacted" } else { "off" }
    );
    let _ = writeln!(
        s,
        "classification: taxonomy {}, rules {}, model {}",
        engine.classifier.taxonomy().id,
        engine.classifier.rules().map_or("none".to_string(), |r| r.rules_version.clone()),
        engine.classifier.model().map_or("none".to_string(), |m| m.header().version.clone())
    );
    for a in &config.accounts {
        let _ = writeln!(
            s,
            "account {}: {}@{}:{} tls {:?}{}, mailboxes {}, {} every {}s, batch {}",
            a.name,
            a.username,
            a.host,
            a.port,
            a.tls,
            a.ca_file.as_ref().map(|c| format!(" (CA {})", c.display())).unwrap_or_default(),
            a.mailboxes.join(", "),
            if a.idle { "IDLE, re-check" } else { "poll" },
            a.poll_interval.as_secs(),
            a.batch_size
        );
    }
    Ok(s)
}

/// `urpmail prune`: retention. `older_than` is a number of days or a date (YYYY-MM-DD).
pub fn prune(store: &Path, older_than: &str, snippets_only: bool) -> Result<(String, u64, u64), Error> {
    let cutoff = match older_than.parse::<i64>() {
        Ok(days) if days >= 0 => {
            let d = time::OffsetDateTime::now_utc() - time::Duration::days(days);
            d.date().to_string()
        }
        _ => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(older_than, &fmt).map_err(|_| {
                Error::Input(format!(
                    "--older-than {older_than:?}: give a number of days or a date YYYY-MM-DD"
                ))
            })?;
            older_than.to_string()
        }
    };
    if !store.exists() {
        return Err(Error::Input(format!("{}: no store", store.display())));
    }
    let mut s = crate::store::Store::open(store).map_err(store_error(store))?;
    let (snippets, rows) = s.prune(&cutoff, snippets_only).map_err(store_error(store))?;
    Ok((cutoff, snippets, rows))
}

/// Parses and analyses every file of a corpus in parallel (input order kept); `None` for files
/// that are not messages (logged by [`parse_file`]).
pub fn analyze_corpus(
    corpus: &Corpus,
    cfg: &crate::classify::features::FeatureConfig,
    lang: crate::text::Language,
    threads: usize,
) -> Result<Vec<Option<(usize, crate::classify::features::AnalyzedText)>>, Error> {
    use rayon::prelude::*;
    let limits = Limits::default();
    let pool = thread_pool(threads)?;
    Ok(pool.install(|| {
        corpus
            .files
            .par_iter()
            .map(|(label, path)| {
                let (parsed, _) = parse_file(path, &limits)?;
                Some((
                    *label,
                    crate::text::with_analyzer(lang, |a| crate::pipeline::analyze_message(cfg, a, &parsed)),
                ))
            })
            .collect()
    }))
}
