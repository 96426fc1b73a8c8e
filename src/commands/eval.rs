//! `urpmail eval`: classify a labelled corpus and report accuracy, macro-F1, per-label figures,
//! the confusion matrix and the review share.

use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{Error, ModelChoice, RulesChoice, build_classifier, parse_file, read_corpus, thread_pool};
use crate::eval::{Item, Report, evaluate};
use crate::parse::Limits;
use crate::pipeline::analyze_message;
use crate::text::Analyzer;

/// Arguments of `eval`.
#[derive(Debug, Clone)]
pub struct Args {
    pub data: PathBuf,
    pub model: ModelChoice,
    pub rules: RulesChoice,
    pub threads: usize,
}

/// Runs the command and returns the report.
pub fn run(args: &Args) -> Result<Report, Error> {
    let classifier = build_classifier(&args.model, &args.rules)?;
    let corpus = read_corpus(&args.data)?;
    let taxonomy = classifier.taxonomy();
    // Corpus labels → taxonomy topics; unknown labels are an error (the model cannot predict them).
    let mut label_topic = Vec::with_capacity(corpus.labels.len());
    for l in &corpus.labels {
        let t = taxonomy.find(l).ok_or_else(|| {
            Error::Input(format!(
                "{}: label folder {l:?} is not a topic of the model/taxonomy",
                args.data.display()
            ))
        })?;
        label_topic.push(t.index());
    }
    let lang = classifier.language();
    let limits = Limits::default();
    let pool = thread_pool(args.threads)?;
    let results: Vec<Option<(String, usize, usize, bool)>> = pool.install(|| {
        corpus
            .files
            .par_iter()
            .map_init(
                || Analyzer::new(lang),
                |a, (label, path)| {
                    let (parsed, bytes) = parse_file(path, &limits)?;
                    let analyzed = analyze_message(classifier.features(), a, &parsed);
                    let d = classifier.decide(&analyzed);
                    let key = crate::classify::taxonomy::hex(&Sha256::digest(&bytes)[..16]);
                    Some((key, label_topic[*label], d.topic.index(), d.review))
                },
            )
            .collect()
    });
    let skipped = results.iter().filter(|r| r.is_none()).count();
    // The same message under several label folders is one multi-label item.
    let mut order: Vec<String> = Vec::new();
    let mut items: HashMap<String, Item> = HashMap::new();
    for (key, truth, predicted, review) in results.into_iter().flatten() {
        items
            .entry(key.clone())
            .and_modify(|it| {
                if !it.truth.contains(&truth) {
                    it.truth.push(truth);
                }
            })
            .or_insert_with(|| {
                order.push(key);
                Item { truth: vec![truth], predicted, review }
            });
    }
    let items: Vec<Item> = order.iter().filter_map(|k| items.remove(k)).collect();
    let labels: Vec<String> = taxonomy.topics().iter().map(|t| t.id.clone()).collect();
    let mut report = evaluate(&labels, &items);
    report.notes.insert("files".into(), corpus.files.len().to_string());
    report.notes.insert("skipped_files".into(), skipped.to_string());
    if let Some(m) = classifier.model() {
        report.notes.insert("model_version".into(), m.header().version.clone());
    }
    report.notes.insert("taxonomy".into(), taxonomy.id.clone());
    Ok(report)
}
