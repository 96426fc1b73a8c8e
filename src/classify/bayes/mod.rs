//! Naive Bayes for text, fitted with linfa-bayes and scored sparsely.
//!
//! [`TrainParams`] → [`TrainParams::check`] → [`CheckedParams`] → [`Model::train`] (or
//! [`Model::update`], [`Model::from_bytes`]). Documents become features by
//! [`features::extract`](crate::classify::features::extract) alone; each class's document vectors
//! (tf-log, idf, L2) are summed, and the weights are derived from those sums by one closed form
//! (`weights`), which training holds to linfa's fit of the same sums (`linfa`; complement NB,
//! Rennie et al. 2003, is the same fit on the sums of all other classes). The model file stores
//! the sums, not the weights (`format`). Scoring is term-major and sparse (`score`);
//! calibration fits temperature, rules weight and review thresholds on held-out folds
//! (`calibrate`). With `linear_cost`, a one-vs-rest linear SVM on the same vectors (`linear`) adds
//! its margins to the naive-Bayes scores, with a weight chosen on the same folds.

mod calibrate;
mod format;
mod linear;
mod linfa;
mod params;
mod score;
mod train;
mod update;
mod weights;

pub use format::{
    Calibration, FORMAT_VERSION, LocalWeight, ModelHeader, RulesRef, TaxonomyRef, TrainingSummary,
};
pub use params::{CheckedParams, TrainParams, Variant};
pub use score::Scores;
pub use train::TrainDoc;
pub use update::UpdateWeights;

use super::vocab::Vocab;

/// Errors building, reading or writing a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not an urpmail model file (bad magic bytes)")]
    BadMagic,
    #[error(
        "model format version {found} is not supported (this urpmail reads versions 1 to {FORMAT_VERSION}); retrain with `urpmail train`"
    )]
    Version { found: u32 },
    #[error("model file is truncated or corrupted: {0}; retrain with `urpmail train` or restore the file")]
    Corrupt(String),
    #[error("invalid training parameters: {0}")]
    Params(String),
    #[error("cannot train: {0}")]
    Data(String),
    #[error("linfa fit failed: {0}")]
    Linfa(String),
}

/// A trained model, ready to score.
#[derive(Debug, Clone)]
pub struct Model {
    header: ModelHeader,
    /// `header.params`, checked when the model was trained or read; never changed after.
    params: CheckedParams,
    vocab: Vocab,
    idf: Vec<f32>,
    df: Vec<u32>,
    /// Per class, summed transformed document vectors (sparse, sorted by term).
    sums: Vec<Vec<(u32, f32)>>,
    /// Term-major score weights: `weights[t * C + c]`.
    weights: Vec<f32>,
    /// Per class additive term (log prior for multinomial NB, else 0).
    bias: Vec<f32>,
    /// The linear SVM beside naive Bayes, when trained with one (`linear_cost`).
    linear: Option<linear::Linear>,
}

impl Model {
    /// The header (labels, parameters, summary, calibration, version).
    pub fn header(&self) -> &ModelHeader {
        &self.header
    }

    /// The model's parameters.
    pub fn params(&self) -> &CheckedParams {
        &self.params
    }

    /// Label names, indexed like score vectors.
    pub fn labels(&self) -> &[String] {
        &self.header.labels
    }

    /// Vocabulary size.
    pub fn vocabulary_len(&self) -> usize {
        self.vocab.len()
    }

    /// The sums as a dense class-major matrix, for tests that compare with linfa's dense fit.
    #[cfg(test)]
    fn dense_sums(&self) -> Vec<f64> {
        let v = self.vocab.len();
        let mut dense = vec![0f64; self.sums.len() * v];
        for (ci, row) in self.sums.iter().enumerate() {
            for &(t, w) in row {
                dense[ci * v + t as usize] = f64::from(w);
            }
        }
        dense
    }
}

/// Index of the largest value (the first on ties).
pub(crate) fn argmax(s: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in s.iter().enumerate() {
        if *v > s[best] {
            best = i;
        }
    }
    best
}

/// Sorts by term id and sums the weights of repeated ids.
fn merge_sorted(x: &mut Vec<(u32, f32)>) {
    x.sort_unstable_by_key(|e| e.0);
    x.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
}

fn idf_value(n_docs: f64, df: f64) -> f32 {
    (((1.0 + n_docs) / (1.0 + df)).ln() + 1.0) as f32
}

/// The non-zero entries of a dense row.
fn sparse_row(row: &[f64]) -> Vec<(u32, f32)> {
    row.iter().enumerate().filter(|(_, w)| **w > 0.0).map(|(t, &w)| (t as u32, w as f32)).collect()
}

/// A small three-topic corpus the tests train on.
#[cfg(test)]
mod fixtures {
    use super::TrainDoc;
    use crate::classify::features::AnalyzedText;
    use crate::text::Term;

    pub(super) fn doc(label: usize, words: &str) -> TrainDoc {
        TrainDoc {
            label,
            subject: Vec::new(),
            body: terms(words),
            quoted: Vec::new(),
            rule_evidence: Vec::new(),
        }
    }

    fn terms(words: &str) -> Vec<Term> {
        words.split_whitespace().map(Term::from).collect()
    }

    /// Body-only analysed text of space-separated terms.
    pub(super) fn text(words: &str) -> AnalyzedText {
        AnalyzedText { body: terms(words), ..AnalyzedText::default() }
    }

    /// A training document as analysed text.
    pub(super) fn analyzed(d: &TrainDoc) -> AnalyzedText {
        AnalyzedText {
            subject: d.subject.clone(),
            body: d.body.clone(),
            quoted: d.quoted.clone(),
            folded: String::new(),
        }
    }

    pub(super) fn corpus() -> Vec<TrainDoc> {
        let mut d = Vec::new();
        for i in 0..12 {
            d.push(doc(0, &format!("tari imu pagamento rata{} scadenza", i % 3)));
            d.push(doc(1, &format!("residenza anagrafe certificato carta{} identita", i % 4)));
            d.push(doc(2, &format!("buca strada lampione marciapiede{} asfalto", i % 2)));
        }
        d
    }

    pub(super) fn labels() -> Vec<String> {
        vec!["tributi".into(), "anagrafe".into(), "lavori".into()]
    }
}
