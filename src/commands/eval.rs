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
use crate::text::with_analyzer;

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
            .map(|(label, path)| {
                let (parsed, bytes) = parse_file(path, &limits)?;
                let analyzed = with_analyzer(lang, |a| analyze_message(classifier.features(), a, &parsed));
                let d = classifier.decide(&analyzed);
                let key = crate::classify::taxonomy::hex(&Sha256::digest(&bytes)[..16]);
                Some((key, label_topic[*label], d.topic.index(), d.review))
            })
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

/// Arguments of `eval --cv`.
#[derive(Debug, Clone)]
pub struct CvArgs {
    pub data: PathBuf,
    pub rules: RulesChoice,
    pub params: crate::classify::bayes::TrainParams,
    pub folds: usize,
    pub threads: usize,
}

/// Cross-validated reports: rules alone, model alone, and rules + model (the shipped decision).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CvReport {
    pub schema_version: u32,
    pub folds: usize,
    pub rules_only: Option<Report>,
    pub model_only: Report,
    pub combined: Option<Report>,
}

/// k-fold cross-validation on a labelled corpus: each fold is classified by a model trained on
/// the other folds (stratified: files are sorted by label, fold = index mod k).
pub fn run_cv(args: &CvArgs) -> Result<CvReport, Error> {
    use crate::classify::Classifier;
    use crate::classify::bayes::{Model, RulesRef, TaxonomyRef, TrainDoc};
    use crate::classify::features::AnalyzedText;

    if args.folds < 2 {
        return Err(Error::Input("--cv needs at least 2 folds".into()));
    }
    let params = args.params.check().map_err(|e| Error::Input(e.to_string()))?;
    let rules = args.rules.load()?;
    let corpus = read_corpus(&args.data)?;
    let lang = crate::text::Language::parse(&params.language).unwrap_or(crate::text::Language::Italian);
    let cfg = params.features(rules.is_some());
    let analyzed = super::analyze_corpus(&corpus, &cfg, lang, args.threads)?;
    let docs: Vec<(usize, AnalyzedText)> = analyzed.into_iter().flatten().collect();
    let taxonomy_labels: Vec<String> = match &rules {
        Some(r) => r.taxonomy.topics().iter().map(|t| t.id.clone()).collect(),
        None => corpus.labels.clone(),
    };
    let truth_index = |label: usize| -> Result<usize, Error> {
        taxonomy_labels.iter().position(|l| *l == corpus.labels[label]).ok_or_else(|| {
            Error::Input(format!(
                "label folder {:?} is not a topic of the rules' taxonomy",
                corpus.labels[label]
            ))
        })
    };
    let label_topics: Vec<usize> = (0..corpus.labels.len()).map(truth_index).collect::<Result<_, _>>()?;
    let mut rules_items = Vec::new();
    let mut model_items = Vec::new();
    let mut combined_items = Vec::new();
    // Rule evidence depends only on the message: computed once, not once per fold.
    let evidence: Vec<Vec<f64>> = docs
        .iter()
        .map(|(_, a)| match &rules {
            Some(r) => r.evaluate(a).label_evidence(label_topics.iter().copied()),
            None => Vec::new(),
        })
        .collect();
    for k in 0..args.folds {
        let train_docs: Vec<TrainDoc> = docs
            .iter()
            .enumerate()
            .filter(|(i, _)| i % args.folds != k)
            .map(|(i, (label, a))| TrainDoc {
                label: *label,
                subject: a.subject.clone(),
                body: a.body.clone(),
                quoted: a.quoted.clone(),
                rule_evidence: evidence[i].clone(),
            })
            .collect();
        let taxonomy =
            rules.as_ref().map(|r| TaxonomyRef { id: r.taxonomy.id.clone(), hash: r.taxonomy.hash() });
        let rules_ref =
            rules.as_ref().map(|r| RulesRef { version: r.rules_version.clone(), hash: r.hash.clone() });
        let model = Model::train(
            corpus.labels.clone(),
            &train_docs,
            params.clone(),
            taxonomy,
            rules_ref,
            String::new(),
        )
        .map_err(Error::Train)?;
        let model_only = Classifier::model_only(model.clone());
        let with_rules = match &rules {
            Some(r) => Some((
                Classifier::with_rules(r.clone(), None)?,
                Classifier::with_rules(r.clone(), Some(model))?,
            )),
            None => None,
        };
        for (label, a) in docs.iter().enumerate().filter(|(i, _)| i % args.folds == k).map(|(_, d)| d) {
            let truth = vec![label_topics[*label]];
            let d = model_only.decide(a);
            // Model-only topics are the model's labels: map back to the taxonomy index.
            let predicted = truth_index(d.topic.index())?;
            model_items.push(Item { truth: truth.clone(), predicted, review: d.review });
            if let Some((rules_only, combined)) = &with_rules {
                let d = rules_only.decide(a);
                rules_items.push(Item { truth: truth.clone(), predicted: d.topic.index(), review: d.review });
                let d = combined.decide(a);
                combined_items.push(Item { truth, predicted: d.topic.index(), review: d.review });
            }
        }
    }
    let with_rules = rules.is_some();
    Ok(CvReport {
        schema_version: 1,
        folds: args.folds,
        rules_only: with_rules.then(|| evaluate(&taxonomy_labels, &rules_items)),
        model_only: evaluate(&taxonomy_labels, &model_items),
        combined: with_rules.then(|| evaluate(&taxonomy_labels, &combined_items)),
    })
}

/// The cross-validation report as a table: per label, precision/recall of each mode.
pub fn cv_table(r: &CvReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let modes: Vec<(&str, &Report)> =
        [("rules", r.rules_only.as_ref()), ("model", Some(&r.model_only)), ("combined", r.combined.as_ref())]
            .into_iter()
            .filter_map(|(n, rep)| rep.map(|rep| (n, rep)))
            .collect();
    let _ = writeln!(s, "{}-fold cross-validation, {} items", r.folds, r.model_only.items);
    for (name, rep) in &modes {
        let _ = writeln!(
            s,
            "{name:<9} accuracy {:.4}  macro-F1 {:.4}  review {:.1}%  unflagged accuracy {}",
            rep.accuracy,
            rep.macro_f1,
            rep.review_share * 100.0,
            rep.unflagged_accuracy.map_or("-".into(), |a| format!("{a:.4}"))
        );
    }
    let w = r.model_only.per_label.iter().map(|m| m.label.len()).max().unwrap_or(5).max(5);
    let _ = write!(s, "\n{:<w$} {:>7}", "label", "support");
    for (name, _) in &modes {
        let _ = write!(s, "  {:>8} P  {:>8} R", name, name);
    }
    let _ = writeln!(s);
    for (i, m) in r.model_only.per_label.iter().enumerate() {
        let _ = write!(s, "{:<w$} {:>7}", m.label, m.support);
        for (_, rep) in &modes {
            let l = &rep.per_label[i];
            let _ = write!(s, "  {:>10.3}  {:>10.3}", l.precision, l.recall);
        }
        let _ = writeln!(s);
    }
    s
}
