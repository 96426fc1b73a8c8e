//! Scoring: an analysed message → its document vector (the features of
//! [`features::extract`](crate::classify::features::extract), then tf-log, idf and L2) → sparse,
//! term-major raw scores (one weight row read per known feature) → calibrated probabilities,
//! with rule evidence added to the logits when given; and the terms that explain a label.

use super::{Model, merge_sorted};
use crate::classify::features::{AnalyzedText, BIGRAM_SEPARATOR, FeatureIds, extract};
use crate::classify::vocab::Vocab;
use crate::text::Term;

/// Scores of one document.
#[derive(Debug, Clone)]
pub struct Scores {
    /// Calibrated probabilities per label (with rule evidence when given).
    pub probs: Vec<f64>,
    /// The model's own calibrated probabilities.
    pub model_probs: Vec<f64>,
    /// Known terms in the document (0 means the model saw nothing it knows).
    pub known_terms: usize,
    /// The document vector (term index, weight), kept for explanations.
    vector: Vec<(u32, f32)>,
}

impl Scores {
    /// Index and probability of the best label (ties: lowest index).
    pub fn best(&self) -> (usize, f64) {
        let mut best = (0, f64::NEG_INFINITY);
        for (i, &p) in self.probs.iter().enumerate() {
            if p > best.1 {
                best = (i, p);
            }
        }
        best
    }

    /// The `n` best labels with probabilities, best first.
    pub fn top(&self, n: usize) -> Vec<(usize, f64)> {
        let mut v: Vec<(usize, f64)> = self.probs.iter().copied().enumerate().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// Feature ids in a trained vocabulary; unknown features have none. A bigram is found from its
/// two word ids when the vocabulary indexes pairs, else by its string.
struct VocabIds<'v> {
    vocab: &'v Vocab,
    buf: String,
}

impl<'t> FeatureIds<'t> for VocabIds<'_> {
    type Id = u32;

    fn term(&mut self, term: &'t Term) -> Option<u32> {
        self.vocab.get(term)
    }

    fn bigram(&mut self, first: (&'t Term, Option<u32>), second: (&'t Term, Option<u32>)) -> Option<u32> {
        if self.vocab.has_pair_index() {
            // Every indexed bigram's words are terms: an unknown word has no known bigram.
            return self.vocab.pair(first.1?, second.1?);
        }
        self.buf.clear();
        self.buf.push_str(first.0);
        self.buf.push(BIGRAM_SEPARATOR);
        self.buf.push_str(second.0);
        self.vocab.get(&self.buf)
    }
}

impl Model {
    /// Scores an analysed message, adding rule evidence per label (`ln(1 + rule score)`) to the
    /// calibrated logits with the fitted rules weight when given.
    pub fn score_analyzed(&self, a: &AnalyzedText, evidence: Option<&[f64]>) -> Scores {
        let x = self.vector(a);
        let known = x.len();
        let raw = self.blended_scores(&x);
        let t = self.header.calibration.temperature;
        let model_probs = softmax(&raw, t);
        let probs = match evidence {
            Some(ev) if ev.len() == raw.len() => {
                let beta = self.header.calibration.rules_weight.unwrap_or(1.0);
                let logits: Vec<f64> = raw.iter().zip(ev).map(|(s, r)| s / t + beta * r).collect();
                softmax(&logits, 1.0)
            }
            _ => model_probs.clone(),
        };
        Scores { probs, model_probs, known_terms: known, vector: x }
    }

    /// The document vector of an analysed message: its known features, merged, transformed.
    pub(super) fn vector(&self, a: &AnalyzedText) -> Vec<(u32, f32)> {
        let mut x: Vec<(u32, f32)> = Vec::with_capacity(a.subject.len() + a.body.len());
        let mut ids = VocabIds { vocab: &self.vocab, buf: String::new() };
        extract(a.fields(), &self.params.features(false), &mut ids, &mut x);
        merge_sorted(&mut x);
        self.transform(&mut x);
        x
    }

    /// tf-log, idf and L2 normalisation of a sorted, merged document vector.
    pub(super) fn transform(&self, x: &mut [(u32, f32)]) {
        let p = &self.params;
        for e in x.iter_mut() {
            if p.tf_log {
                e.1 = e.1.ln_1p();
            }
            if p.idf {
                e.1 *= self.idf[e.0 as usize];
            }
        }
        if p.length_norm {
            let norm = x.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
            if norm > 0.0 {
                for e in x.iter_mut() {
                    e.1 /= norm;
                }
            }
        }
    }

    /// Naive-Bayes scores plus the weighted linear margins (when the model has a linear part).
    pub(super) fn blended_scores(&self, x: &[(u32, f32)]) -> Vec<f64> {
        let mut s = self.raw_scores(x, &self.weights);
        if let (Some(l), Some(gamma)) = (&self.linear, self.header.calibration.linear_weight) {
            for (acc, m) in s.iter_mut().zip(l.margins(x)) {
                *acc += gamma * m;
            }
        }
        s
    }

    pub(super) fn raw_scores(&self, x: &[(u32, f32)], weights: &[f32]) -> Vec<f64> {
        self.raw_scores_with(x, weights, &self.bias)
    }

    pub(super) fn raw_scores_with(&self, x: &[(u32, f32)], weights: &[f32], bias: &[f32]) -> Vec<f64> {
        let c = self.header.labels.len();
        let mut s: Vec<f64> = bias.iter().map(|&b| f64::from(b)).collect();
        for &(t, w) in x {
            let row = &weights[t as usize * c..t as usize * c + c];
            for (acc, &wt) in s.iter_mut().zip(row) {
                *acc += f64::from(w) * f64::from(wt);
            }
        }
        s
    }

    /// Terms that pushed the document towards `label`, strongest first: weight × (term weight for
    /// the label − its mean over labels), the naive-Bayes weight plus the weighted linear one
    /// when the model has a linear part, so the terms are those of the blended score.
    pub fn explain(&self, scores: &Scores, label: usize, n: usize) -> Vec<(String, f64)> {
        let c = self.header.labels.len();
        let lift = |row: &[f32]| {
            let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / c as f64;
            f64::from(row[label]) - mean
        };
        let linear = self.linear.as_ref().zip(self.header.calibration.linear_weight);
        let mut contrib: Vec<(u32, f64)> = scores
            .vector
            .iter()
            .map(|&(t, w)| {
                let at = t as usize * c..t as usize * c + c;
                let mut v = lift(&self.weights[at.clone()]);
                if let Some((l, gamma)) = linear {
                    v += gamma * l.weights.get(at).map_or(0.0, lift);
                }
                (t, f64::from(w) * v)
            })
            .filter(|(_, v)| *v > 0.0)
            .collect();
        contrib
            .sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| self.vocab.term(a.0).cmp(self.vocab.term(b.0))));
        contrib.truncate(n);
        contrib.into_iter().map(|(t, v)| (self.vocab.term(t).to_string(), v)).collect()
    }
}

pub(super) fn softmax(s: &[f64], temperature: f64) -> Vec<f64> {
    let t = if temperature > 0.0 { temperature } else { 1.0 };
    let max = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = s.iter().map(|x| ((x - max) / t).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::super::TrainParams;
    use super::super::fixtures::{corpus, labels, text};
    use super::*;

    #[test]
    fn bigrams_score_the_same_with_and_without_the_pair_index() {
        let params = TrainParams { bigrams: true, ..TrainParams::default() }.check().expect("valid");
        let indexed =
            Model::train(labels(), &corpus(), params.clone(), None, None, String::new()).expect("train");
        assert!(indexed.vocab.has_pair_index());
        let s = indexed.score_analyzed(&text("buca strada lampione"), None);
        assert!(indexed.explain(&s, 2, 8).iter().any(|(t, _)| t == "buca_strada"), "a bigram explains");
        // Same vocabulary without the pair index: string look-ups give the same vector.
        let mut plain = indexed.clone();
        plain.vocab = Vocab::new(indexed.vocab.iter().chain(["x_y"]));
        assert!(!plain.vocab.has_pair_index());
        for words in ["buca strada lampione", "tari imu pagamento", "residenza carta0 identita"] {
            assert_eq!(plain.vector(&text(words)), indexed.vector(&text(words)), "{words}");
        }
    }
}
