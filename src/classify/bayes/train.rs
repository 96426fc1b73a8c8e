//! Training: labelled analysed documents → vocabulary (min_df), idf, per-class summed document
//! vectors, weights by the closed form (checked against linfa's fit) and calibration.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::format::{Calibration, FORMAT_VERSION, ModelHeader, RulesRef, TaxonomyRef, TrainingSummary};
use super::linear::Linear;
use super::linfa::fit_checked;
use super::params::CheckedParams;
use super::weights::{ClosedForm, weights_into};
use super::{Model, ModelError, idf_value, merge_sorted, sparse_row};
use crate::classify::features::{BIGRAM_SEPARATOR, FeatureIds, Fields, extract};
use crate::classify::vocab::Vocab;
use crate::text::Term;

/// One labelled training document.
#[derive(Debug, Clone)]
pub struct TrainDoc {
    /// Label index.
    pub label: usize,
    /// Analysed subject terms, in order.
    pub subject: Vec<Term>,
    /// Analysed body terms, in order.
    pub body: Vec<Term>,
    /// Analysed quoted-text terms (empty unless the parameters weigh them).
    pub quoted: Vec<Term>,
    /// Rule evidence per label (`ln(1 + rule score)`), empty when training without rules.
    pub rule_evidence: Vec<f64>,
}

impl TrainDoc {
    /// Its term fields.
    pub fn fields(&self) -> Fields<'_> {
        Fields { subject: &self.subject, body: &self.body, quoted: &self.quoted }
    }
}

/// A feature seen in training documents: a term, or a bigram of two term ids.
enum Feature<'t> {
    Term(&'t str),
    Bigram(u32, u32),
}

/// Gives every distinct feature of a set of documents an id, in order of first sight: one hash
/// per token, and a bigram as a pair of term ids, so no string is built for the many bigrams that
/// will not make the vocabulary.
pub(super) struct Interner<'t> {
    terms: FxHashMap<&'t str, u32>,
    bigrams: FxHashMap<(u32, u32), u32>,
    features: Vec<Feature<'t>>,
}

impl<'t> Interner<'t> {
    /// An interner sized for `tokens` tokens.
    pub(super) fn with_capacity(tokens: usize, bigrams: bool) -> Interner<'t> {
        let mut terms = FxHashMap::default();
        terms.reserve(tokens / 8);
        let mut bigram_ids = FxHashMap::default();
        if bigrams {
            // Most bigrams are seen once: reserving up front saves the rehashes of a growing map.
            bigram_ids.reserve(tokens / 3);
        }
        let features = Vec::with_capacity(tokens / 8 + if bigrams { tokens / 3 } else { 0 });
        Interner { terms, bigrams: bigram_ids, features }
    }

    /// Number of distinct features.
    pub(super) fn len(&self) -> usize {
        self.features.len()
    }

    /// The name of feature `i`, as the vocabulary holds it.
    pub(super) fn name(&self, i: u32) -> String {
        match self.features[i as usize] {
            Feature::Term(s) => s.to_string(),
            Feature::Bigram(a, b) => match (&self.features[a as usize], &self.features[b as usize]) {
                (Feature::Term(a), Feature::Term(b)) => format!("{a}{BIGRAM_SEPARATOR}{b}"),
                _ => String::new(),
            },
        }
    }

    fn is_bigram(&self, i: u32) -> bool {
        matches!(self.features[i as usize], Feature::Bigram(..))
    }
}

impl<'t> FeatureIds<'t> for Interner<'t> {
    type Id = u32;

    fn term(&mut self, term: &'t Term) -> Option<u32> {
        let next = self.features.len() as u32;
        let features = &mut self.features;
        Some(*self.terms.entry(&**term).or_insert_with(|| {
            features.push(Feature::Term(term));
            next
        }))
    }

    fn bigram(&mut self, first: (&'t Term, Option<u32>), second: (&'t Term, Option<u32>)) -> Option<u32> {
        let pair = (first.1?, second.1?);
        let next = self.features.len() as u32;
        let features = &mut self.features;
        Some(*self.bigrams.entry(pair).or_insert_with(|| {
            features.push(Feature::Bigram(pair.0, pair.1));
            next
        }))
    }
}

impl Model {
    /// Trains a model from labelled documents.
    pub fn train(
        labels: Vec<String>,
        docs: &[TrainDoc],
        params: CheckedParams,
        taxonomy: Option<TaxonomyRef>,
        rules: Option<RulesRef>,
        trained_at: String,
    ) -> Result<Model, ModelError> {
        let c = labels.len();
        if c < 2 {
            return Err(ModelError::Data(format!("need at least 2 labels, got {c}")));
        }
        if let Some(d) = docs.iter().find(|d| d.label >= c) {
            return Err(ModelError::Data(format!("document label index {} out of range", d.label)));
        }
        let mut class_docs = vec![0u64; c];
        for d in docs {
            class_docs[d.label] += 1;
        }
        if let Some(empty) = class_docs.iter().position(|&n| n == 0) {
            return Err(ModelError::Data(format!("label {:?} has no documents", labels[empty])));
        }

        let tokens: usize = docs.iter().map(|d| d.subject.len() + d.body.len() + d.quoted.len()).sum();
        let features = params.features(false);
        let mut names = Interner::with_capacity(tokens, params.bigrams);
        let doc_ids: Vec<Vec<(u32, f32)>> = docs
            .iter()
            .map(|d| {
                let mut ids = Vec::with_capacity(d.subject.len() + d.body.len());
                extract(d.fields(), &features, &mut names, &mut ids);
                merge_sorted(&mut ids);
                ids
            })
            .collect();
        let mut df_raw = vec![0u32; names.len()];
        for ids in &doc_ids {
            for &(id, _) in ids {
                df_raw[id as usize] += 1;
            }
        }
        // Vocabulary: terms with df >= min_df, sorted for deterministic files. Bigrams seen in a
        // single document cannot generalise and would multiply the vocabulary.
        let bigram_min_df = params.min_df.max(2);
        let mut kept: Vec<(String, u32)> = (0..names.len() as u32)
            .filter(|&i| df_raw[i as usize] >= if names.is_bigram(i) { bigram_min_df } else { params.min_df })
            .map(|i| (names.name(i), i))
            .collect();
        kept.sort_unstable();
        if kept.is_empty() {
            return Err(ModelError::Data("no terms in the training documents".into()));
        }
        let mut remap = vec![u32::MAX; names.len()];
        drop(names);
        for (new, (_, old)) in kept.iter().enumerate() {
            remap[*old as usize] = new as u32;
        }
        let vocab = Vocab::new(kept.iter().map(|(s, _)| s.as_str()));
        let df: Vec<u32> = kept.iter().map(|(_, i)| df_raw[*i as usize]).collect();
        drop(kept);
        let n_docs = docs.len() as f64;
        let idf: Vec<f32> = df.iter().map(|&d| idf_value(n_docs, f64::from(d))).collect();

        let per_label = labels.iter().cloned().zip(class_docs.iter().copied()).collect();
        let summary = TrainingSummary {
            documents: docs.len() as u64,
            per_label,
            vocabulary: vocab.len() as u64,
            cv_accuracy: None,
            cv_folds: 0,
            updated_documents: 0,
            local_weight: None,
        };
        let calibration = Calibration {
            temperature: 1.0,
            linear_weight: None,
            thresholds: BTreeMap::new(),
            default_threshold: 0.5,
            rules_weight: None,
        };
        let mut model = Model {
            header: ModelHeader {
                format_version: FORMAT_VERSION,
                kind: "urpmail-naive-bayes".into(),
                version: String::new(),
                parent_version: None,
                labels,
                taxonomy,
                rules,
                params: (*params).clone(),
                class_docs,
                summary,
                calibration,
                trained_at,
            },
            params,
            vocab,
            idf,
            df,
            sums: Vec::new(),
            weights: Vec::new(),
            bias: Vec::new(),
            linear: None,
        };

        let vectors: Vec<(usize, Vec<(u32, f32)>)> = docs
            .iter()
            .zip(doc_ids)
            .map(|(d, ids)| {
                let mut x: Vec<(u32, f32)> = ids
                    .into_iter()
                    .filter_map(|(id, w)| {
                        let t = remap[id as usize];
                        (t != u32::MAX).then_some((t, w))
                    })
                    .collect();
                x.sort_unstable_by_key(|e| e.0);
                model.transform(&mut x);
                (d.label, x)
            })
            .collect();
        model.sums = class_sums(&[], &vectors, c, model.vocab.len());
        model.fit_weights()?;
        if let Some(cost) = model.params.linear_cost {
            model.linear = Some(Linear::fit(&vectors, c, model.vocab.len(), cost));
        }
        model.header.format_version = model.format_version();

        let evidence: Option<Vec<&[f64]>> =
            docs.iter().map(|d| (d.rule_evidence.len() == c).then_some(d.rule_evidence.as_slice())).collect();
        model.calibrate(&vectors, evidence.as_deref())?;
        model.header.version = model.content_hash();
        Ok(model)
    }

    /// Weights from the sums by the closed form, after checking the closed form against linfa's
    /// fit of the same sums.
    pub(super) fn fit_weights(&mut self) -> Result<(), ModelError> {
        let v = self.vocab.len();
        fit_checked(&self.params, &self.sums, v, &ClosedForm::new(&self.params, &self.sums, v))?;
        weights_into(&self.params, &self.sums, &self.header.class_docs, v, &mut self.weights, &mut self.bias);
        Ok(())
    }
}

/// Per class: its stored sums (`base`, empty when training from scratch) plus the vectors of its
/// documents, added in document order in one O(V) scratch row at a time (never a C x V matrix).
pub(super) fn class_sums(
    base: &[Vec<(u32, f32)>],
    vectors: &[(usize, Vec<(u32, f32)>)],
    c: usize,
    v: usize,
) -> Vec<Vec<(u32, f32)>> {
    let mut row = vec![0f64; v];
    (0..c)
        .map(|ci| {
            for &(t, w) in base.get(ci).map_or(&[][..], Vec::as_slice) {
                row[t as usize] = f64::from(w);
            }
            for (_, x) in vectors.iter().filter(|(l, _)| *l == ci) {
                for &(t, w) in x {
                    row[t as usize] += f64::from(w);
                }
            }
            let sparse = sparse_row(&row);
            row.fill(0.0);
            sparse
        })
        .collect()
}
