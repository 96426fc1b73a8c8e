//! Calibration on k-fold out-of-fold scores: the softmax temperature, the weight of rule evidence
//! added to the logits (with a rules file), and per-label review thresholds.

use std::collections::BTreeMap;

use super::format::Calibration;
use super::linear::Linear;
use super::score::softmax;
use super::weights::weights_into;
use super::{Model, ModelError, argmax};

impl Model {
    /// k-fold out-of-fold scores → softmax temperature, rules weight and per-label review
    /// thresholds; `vectors` are the training documents' (label, vector), `evidence` their rule
    /// evidence in the same order.
    pub(super) fn calibrate(
        &mut self,
        vectors: &[(usize, Vec<(u32, f32)>)],
        evidence: Option<&[&[f64]]>,
    ) -> Result<(), ModelError> {
        let c = self.header.labels.len();
        let folds = 5usize.min(vectors.len());
        if folds < 2 {
            return Ok(());
        }
        let mut oof: Vec<(usize, Vec<f64>)> = Vec::with_capacity(vectors.len());
        let mut weights = Vec::new();
        let mut bias = Vec::new();
        let v = self.vocab.len();
        // This fold's documents leave the sums: their terms are all among their class's
        // non-zero entries, so the sparse rows can be updated in place. The fold's totals go
        // to a dense class-major scratch, cleared entry by entry after use.
        let mut sub = vec![0f32; c * v];
        // With a linear part: its out-of-fold margins, in the same order as `oof`.
        let mut oof_margins: Vec<Vec<f64>> = Vec::new();
        for k in 0..folds {
            let mut docs = self.header.class_docs.clone();
            for (i, (label, x)) in vectors.iter().enumerate() {
                if i % folds == k {
                    docs[*label] = docs[*label].saturating_sub(1);
                    for &(t, w) in x {
                        sub[label * v + t as usize] += w;
                    }
                }
            }
            let fold_sums: Vec<Vec<(u32, f32)>> = self
                .sums
                .iter()
                .enumerate()
                .map(|(ci, row)| {
                    row.iter()
                        .map(|&(t, w)| {
                            let s = std::mem::take(&mut sub[ci * v + t as usize]);
                            (t, (w - s).max(0.0))
                        })
                        .filter(|e| e.1 > 1e-7)
                        .collect()
                })
                .collect();
            weights_into(&self.params, &fold_sums, &docs, v, &mut weights, &mut bias);
            let linear = self.params.linear_cost.map(|cost| {
                let train: Vec<(usize, Vec<(u32, f32)>)> = vectors
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % folds != k)
                    .map(|(_, d)| d.clone())
                    .collect();
                Linear::fit(&train, c, v, cost)
            });
            for (i, (label, x)) in vectors.iter().enumerate() {
                if i % folds == k {
                    let mut s = self.raw_scores_with(x, &weights, &bias);
                    s.shrink_to_fit();
                    oof.push((*label, s));
                    if let Some(l) = &linear {
                        oof_margins.push(l.margins(x));
                    }
                }
            }
        }

        // The weight of the linear margins: fewest out-of-fold errors, then the best likelihood
        // at each weight's own temperature. Weight 0 (naive Bayes alone) is always a candidate.
        let linear_weight = (!oof_margins.is_empty()).then(|| {
            let blended = |gamma: f64| -> Vec<(usize, Vec<f64>)> {
                oof.iter()
                    .zip(&oof_margins)
                    .map(|((l, s), m)| (*l, s.iter().zip(m).map(|(a, b)| a + gamma * b).collect()))
                    .collect()
            };
            let gamma = best_on_grid(&[0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0], |gamma| {
                let scores = blended(gamma);
                let t = fit_temperature(&scores);
                scores.iter().map(|(l, s)| (*l, softmax(s, t))).collect()
            });
            oof = blended(gamma);
            gamma
        });

        let temperature = fit_temperature(&oof);
        let correct = oof.iter().filter(|(l, s)| argmax(s) == *l).count();
        // oof is in fold order; evidence is in document order.
        let order: Vec<usize> =
            (0..folds).flat_map(|k| (0..vectors.len()).filter(move |i| i % folds == k)).collect();
        let combined = |beta: f64| -> Vec<(usize, Vec<f64>)> {
            oof.iter()
                .zip(&order)
                .map(|((l, s), &doc)| {
                    let mut logits: Vec<f64> = s.iter().map(|x| x / temperature).collect();
                    if let Some(ev) = evidence {
                        for (x, r) in logits.iter_mut().zip(ev[doc]) {
                            *x += beta * r;
                        }
                    }
                    (*l, softmax(&logits, 1.0))
                })
                .collect()
        };
        // The grid stops at 6: the shipped rules were written while reading the same corpus, so
        // held-out folds flatter them; on the independently written sample mailbox a weight of 12
        // was no better than 6 (bench/RESULTS.md).
        let rules_weight =
            evidence.map(|_| best_on_grid(&[0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0], combined));
        let mut preds: Vec<(usize, f64, bool)> = combined(rules_weight.unwrap_or(0.0))
            .into_iter()
            .map(|(l, p)| {
                let b = argmax(&p);
                (b, p[b], b == l)
            })
            .collect();
        let target = self.params.review_precision;
        let (thresholds, default_threshold) = review_thresholds(&mut preds, c, target);
        self.header.calibration = Calibration {
            temperature,
            linear_weight,
            thresholds: thresholds
                .into_iter()
                .map(|(ci, t)| (self.header.labels[ci].clone(), round6(t)))
                .collect(),
            default_threshold: round6(default_threshold),
            rules_weight,
        };
        self.header.summary.cv_accuracy = Some(round6(correct as f64 / oof.len() as f64));
        self.header.summary.cv_folds = folds as u32;
        Ok(())
    }

    /// Review threshold for a label.
    pub fn threshold(&self, label: usize) -> f64 {
        let cal = &self.header.calibration;
        self.header
            .labels
            .get(label)
            .and_then(|l| cal.thresholds.get(l))
            .copied()
            .unwrap_or(cal.default_threshold)
    }
}

/// The grid value whose out-of-fold probabilities make the fewest errors, then have the lowest
/// negative log-likelihood (the first on ties).
fn best_on_grid(grid: &[f64], probs: impl Fn(f64) -> Vec<(usize, Vec<f64>)>) -> f64 {
    let mut best = (0.0, usize::MAX, f64::INFINITY);
    for &x in grid {
        let p = probs(x);
        let errors = p.iter().filter(|(l, p)| argmax(p) != *l).count();
        let nll: f64 = p.iter().map(|(l, p)| -p[*l].max(1e-12).ln()).sum();
        if errors < best.1 || (errors == best.1 && nll < best.2) {
            best = (x, errors, nll);
        }
    }
    best.0
}

/// Temperature minimising the negative log-likelihood of out-of-fold scores (golden section
/// search on log T).
fn fit_temperature(oof: &[(usize, Vec<f64>)]) -> f64 {
    let nll = |log_t: f64| -> f64 {
        let t = log_t.exp();
        oof.iter().map(|(l, s)| -softmax(s, t)[*l].max(1e-12).ln()).sum::<f64>()
    };
    let (mut a, mut b) = (-12.0f64, 8.0f64);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = b - g * (b - a);
    let mut x2 = a + g * (b - a);
    let (mut f1, mut f2) = (nll(x1), nll(x2));
    for _ in 0..40 {
        if f1 < f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = nll(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = nll(x2);
        }
    }
    round6(((a + b) / 2.0).exp())
}

/// Per-label thresholds: the lowest confidence at which held-out predictions of that label
/// reach the target precision. Labels with fewer than 10 predictions use the global threshold.
fn review_thresholds(preds: &mut [(usize, f64, bool)], c: usize, target: f64) -> (BTreeMap<usize, f64>, f64) {
    fn threshold_for(mut p: Vec<(f64, bool)>, target: f64) -> f64 {
        // Highest confidence first; walk down while precision of the kept set stays >= target.
        p.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut correct = 0usize;
        let mut best = 1.0;
        for (i, (conf, ok)) in p.iter().enumerate() {
            if *ok {
                correct += 1;
            }
            if correct as f64 / (i + 1) as f64 >= target {
                best = *conf;
            }
        }
        best
    }
    let global = threshold_for(preds.iter().map(|p| (p.1, p.2)).collect(), target);
    let mut out = BTreeMap::new();
    for ci in 0..c {
        let p: Vec<(f64, bool)> = preds.iter().filter(|p| p.0 == ci).map(|p| (p.1, p.2)).collect();
        if p.len() >= 10 {
            out.insert(ci, threshold_for(p, target));
        }
    }
    (out, global)
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
