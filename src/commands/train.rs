//! `urpmail train`: a labelled corpus (one folder per label) → a model file.

use std::path::PathBuf;

use rayon::prelude::*;

use super::{Error, RulesChoice, parse_file, read_corpus, thread_pool, trained_at};
use crate::classify::bayes::{Model, TrainDoc, TrainParams};
use crate::classify::features::FeatureConfig;
use crate::parse::Limits;
use crate::pipeline::message_terms;
use crate::text::{Analyzer, Language};

/// Arguments of `train`.
#[derive(Debug, Clone)]
pub struct Args {
    pub data: PathBuf,
    pub out: PathBuf,
    pub rules: RulesChoice,
    pub params: TrainParams,
    pub threads: usize,
}

/// What training produced.
#[derive(Debug, Clone)]
pub struct Summary {
    pub documents: usize,
    pub skipped: usize,
    pub labels: usize,
    pub vocabulary: usize,
    pub version: String,
    pub cv_accuracy: Option<f64>,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<Summary, Error> {
    args.params
        .check()
        .map_err(|e| Error::Input(e.to_string()))?;
    if let RulesChoice::File(p) = &args.rules {
        return Err(Error::Input(format!(
            "{}: keyword rules are not available in this build; use --rules none",
            p.display()
        )));
    }
    let corpus = read_corpus(&args.data)?;
    let lang = Language::parse(&args.params.language).unwrap_or(Language::Italian);
    let cfg = FeatureConfig {
        subject_weight: args.params.subject_weight,
        bigrams: args.params.bigrams,
        ..FeatureConfig::default()
    };
    let limits = Limits::default();
    let pool = thread_pool(args.threads)?;
    let docs: Vec<Option<TrainDoc>> = pool.install(|| {
        corpus
            .files
            .par_iter()
            .map_init(
                || Analyzer::new(lang),
                |a, (label, path)| {
                    let (parsed, _) = parse_file(path, &limits)?;
                    Some(TrainDoc {
                        label: *label,
                        terms: message_terms(&cfg, a, &parsed),
                    })
                },
            )
            .collect()
    });
    let skipped = docs.iter().filter(|d| d.is_none()).count();
    let docs: Vec<TrainDoc> = docs.into_iter().flatten().collect();
    let model = Model::train(
        corpus.labels.clone(),
        &docs,
        args.params.clone(),
        None,
        trained_at()?,
    )
    .map_err(Error::Train)?;
    let bytes = model.to_bytes();
    write_atomic(&args.out, &bytes)?;
    let h = model.header();
    tracing::info!(
        documents = docs.len(),
        skipped,
        labels = h.labels.len(),
        vocabulary = model.vocabulary_len(),
        version = %h.version,
        bytes = bytes.len(),
        "model written to {}",
        args.out.display()
    );
    Ok(Summary {
        documents: docs.len(),
        skipped,
        labels: h.labels.len(),
        vocabulary: model.vocabulary_len(),
        version: h.version.clone(),
        cv_accuracy: h.summary.cv_accuracy,
    })
}

/// Writes through a temporary file and a rename, so a crash never leaves half a model.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |e| Error::Io {
        context: format!("writing {}", path.display()),
        source: e,
    };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
