//! `urpmail train`: a labelled corpus (one folder per label) → a model file. With a rules file,
//! the labels must be the rules' topics, the model records the taxonomy and rules versions, and
//! the weight of rule evidence is calibrated on held-out folds.

use std::path::PathBuf;

use super::{Error, RulesChoice, analyze_corpus, read_corpus, trained_at};
use crate::classify::bayes::{Model, RulesRef, TaxonomyRef, TrainDoc, TrainParams};
use crate::text::Language;

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
    let params = args.params.check().map_err(|e| Error::Input(e.to_string()))?;
    let rules = args.rules.load()?;
    let corpus = read_corpus(&args.data)?;
    // With rules, every label folder must be a topic of the taxonomy.
    let mut label_topics = Vec::new();
    if let Some(r) = &rules {
        for l in &corpus.labels {
            let t = r.taxonomy.find(l).ok_or_else(|| {
                Error::Input(format!(
                    "{}: folder {l:?} is not a topic of taxonomy {} (topics: {})",
                    args.data.display(),
                    r.taxonomy.id,
                    r.taxonomy.topics().iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })?;
            label_topics.push(t);
        }
    }
    let lang = Language::parse(&params.language).unwrap_or(Language::Italian);
    let cfg = params.features(rules.is_some());
    let analyzed = analyze_corpus(&corpus, &cfg, lang, args.threads)?;
    let skipped = analyzed.iter().filter(|d| d.is_none()).count();
    let docs: Vec<TrainDoc> = analyzed
        .into_iter()
        .flatten()
        .map(|(label, a)| TrainDoc {
            label,
            rule_evidence: match &rules {
                Some(r) => r.evaluate(&a).label_evidence(label_topics.iter().map(|t| t.index())),
                None => Vec::new(),
            },
            subject: a.subject,
            body: a.body,
            quoted: a.quoted,
        })
        .collect();
    let taxonomy = rules.as_ref().map(|r| TaxonomyRef { id: r.taxonomy.id.clone(), hash: r.taxonomy.hash() });
    let rules_ref =
        rules.as_ref().map(|r| RulesRef { version: r.rules_version.clone(), hash: r.hash.clone() });
    let model = Model::train(corpus.labels.clone(), &docs, params, taxonomy, rules_ref, trained_at()?)
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
        cv_accuracy = h.summary.cv_accuracy,
        rules_weight = h.calibration.rules_weight,
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
    let io = |e| Error::Io { context: format!("writing {}", path.display()), source: e };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
