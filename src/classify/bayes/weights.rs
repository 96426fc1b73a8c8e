//! The closed form of the naive-Bayes weights, the one place they are computed from class sums:
//! at training and update (where [`super::linfa`] holds it to linfa's fit), at load, and for
//! each calibration fold.
//!
//! A class's log-probability of term t is `ln((n_ct + α) / (Σ_t n_ct + α V))`, with `n_ct` the
//! class's summed weight (multinomial) or the summed weight of all other classes (complement).
//! Multinomial weights are those log-probabilities plus a log-prior bias; complement weights are
//! their negation, divided per class by the sum of their magnitudes when weight-normalised.

use super::params::{CheckedParams, Variant};

/// The per-class constants of the closed form for one set of class sums.
#[derive(Debug)]
pub(super) struct ClosedForm {
    alpha_ln: f64,
    complement: bool,
    alpha: f64,
    /// Complement only: per term, the summed weight over all classes, and `ln(total + α)`.
    total: Vec<f64>,
    base_ln: Vec<f64>,
    /// Per class: the log denominator and the weight normaliser (1 unless weight-normalised).
    denoms: Vec<f64>,
    norms: Vec<f64>,
}

impl ClosedForm {
    /// The constants for `sums` (one sparse row per class) over a vocabulary of `v` terms.
    pub(super) fn new(params: &CheckedParams, sums: &[Vec<(u32, f32)>], v: usize) -> ClosedForm {
        let c = sums.len();
        let alpha = params.alpha;
        let complement = params.variant == Variant::Complement;
        let total = if complement { term_totals(sums, v) } else { Vec::new() };
        let grand: f64 = total.iter().sum();
        let base_ln: Vec<f64> =
            if complement { total.iter().map(|x| (x + alpha).ln()).collect() } else { Vec::new() };
        let mut denoms = vec![0f64; c];
        let mut norms = vec![1f64; c];
        for (ci, row) in sums.iter().enumerate() {
            let class_sum: f64 = row.iter().map(|&(_, w)| f64::from(w)).sum();
            let row_sum = if complement { (grand - class_sum).max(0.0) } else { class_sum };
            let denom = (row_sum + alpha * v as f64).ln();
            denoms[ci] = denom;
            if complement && params.weight_norm {
                // The sum over all terms, from the terms without a class entry and a correction
                // per entry, so the cost is O(V + entries), not O(V) per entry.
                let mut n: f64 = base_ln.iter().map(|b| (b - denom).abs()).sum();
                for &(t, w) in row {
                    let t = t as usize;
                    n += (((total[t] - f64::from(w)).max(0.0) + alpha).ln() - denom).abs()
                        - (base_ln[t] - denom).abs();
                }
                norms[ci] = n;
            }
        }
        ClosedForm { alpha_ln: alpha.ln(), complement, alpha, total, base_ln, denoms, norms }
    }

    /// Log-probability of term `t` in class `ci`, given the class's sum for the term (`None` when
    /// the class has no entry for it).
    pub(super) fn log_prob(&self, ci: usize, t: usize, w: Option<f64>) -> f64 {
        let denom = self.denoms[ci];
        match (self.complement, w) {
            (true, None) => self.base_ln[t] - denom,
            (true, Some(w)) => ((self.total[t] - w).max(0.0) + self.alpha).ln() - denom,
            (false, None) => self.alpha_ln - denom,
            (false, Some(w)) => (w + self.alpha).ln() - denom,
        }
    }

    /// The score weight of a log-probability of class `ci`.
    fn weight(&self, ci: usize, lp: f64) -> f32 {
        if self.complement { (-lp / self.norms[ci]) as f32 } else { lp as f32 }
    }
}

/// Term-major score weights (`weights[t * C + c]`) and per-class biases (log priors for
/// multinomial NB, else 0) for the given class sums and class document counts, written into the
/// given buffers (calibration reuses them across folds).
pub(super) fn weights_into(
    params: &CheckedParams,
    sums: &[Vec<(u32, f32)>],
    class_docs: &[u64],
    v: usize,
    weights: &mut Vec<f32>,
    bias: &mut Vec<f32>,
) {
    let c = sums.len();
    let form = ClosedForm::new(params, sums, v);
    weights.clear();
    weights.resize(c * v, 0.0);
    bias.clear();
    bias.resize(c, 0.0);
    if !form.complement {
        let docs_total: u64 = class_docs.iter().sum();
        for (b, &n) in bias.iter_mut().zip(class_docs) {
            *b = (n.max(1) as f64 / docs_total.max(1) as f64).ln() as f32;
        }
    }
    // One sequential, term-major pass writes every default weight, then each class's non-zero
    // terms are patched in (writing class by class would stride through the whole matrix C times).
    for (t, row) in weights.chunks_exact_mut(c).enumerate() {
        for (ci, w) in row.iter_mut().enumerate() {
            *w = form.weight(ci, form.log_prob(ci, t, None));
        }
    }
    for (ci, row) in sums.iter().enumerate() {
        for &(t, w) in row {
            weights[t as usize * c + ci] = form.weight(ci, form.log_prob(ci, t as usize, Some(f64::from(w))));
        }
    }
}

/// Per-term totals of sparse class rows (the complement NB's base counts).
pub(super) fn term_totals(sums: &[Vec<(u32, f32)>], v: usize) -> Vec<f64> {
    let mut total = vec![0f64; v];
    for row in sums {
        for &(t, w) in row {
            total[t as usize] += f64::from(w);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{corpus, labels};
    use super::super::{Model, TrainParams};
    use super::*;

    /// The test oracle: the closed form written densely and literally, from the rows linfa is
    /// fitted on (class sums, or the sums of all other classes), class-major.
    fn dense_log_probs(params: &TrainParams, dense: &[f64], c: usize, v: usize) -> Vec<f64> {
        let rows: Vec<f64> = match params.variant {
            Variant::Multinomial => dense.to_vec(),
            Variant::Complement => {
                let mut total = vec![0f64; v];
                for ci in 0..c {
                    for (t, x) in dense[ci * v..(ci + 1) * v].iter().enumerate() {
                        total[t] += x;
                    }
                }
                (0..c * v).map(|i| (total[i % v] - dense[i]).max(0.0)).collect()
            }
        };
        let mut out = vec![0f64; c * v];
        for ci in 0..c {
            let row = &rows[ci * v..(ci + 1) * v];
            let denom = (row.iter().sum::<f64>() + params.alpha * v as f64).ln();
            for (t, x) in row.iter().enumerate() {
                out[ci * v + t] = (x + params.alpha).ln() - denom;
            }
        }
        out
    }

    /// Dense log-probabilities → term-major weights and biases, as the variant defines them.
    fn dense_weights(
        params: &TrainParams,
        logp: &[f64],
        class_docs: &[u64],
        v: usize,
    ) -> (Vec<f32>, Vec<f32>) {
        let c = class_docs.len();
        let mut weights = vec![0f32; c * v];
        let mut bias = vec![0f32; c];
        let total: u64 = class_docs.iter().sum();
        for ci in 0..c {
            let row = &logp[ci * v..(ci + 1) * v];
            let norm = match params.variant {
                Variant::Multinomial => {
                    bias[ci] = (class_docs[ci] as f64 / total as f64).ln() as f32;
                    1.0
                }
                Variant::Complement if params.weight_norm => row.iter().map(|x| x.abs()).sum::<f64>(),
                Variant::Complement => 1.0,
            };
            for (t, &lp) in row.iter().enumerate() {
                weights[t * c + ci] = match params.variant {
                    Variant::Multinomial => lp as f32,
                    Variant::Complement => (-lp / norm) as f32,
                };
            }
        }
        (weights, bias)
    }

    #[test]
    fn sparse_weights_equal_the_dense_closed_form() {
        for (variant, weight_norm) in
            [(Variant::Complement, false), (Variant::Complement, true), (Variant::Multinomial, false)]
        {
            let params =
                TrainParams { variant, weight_norm, ..TrainParams::default() }.check().expect("valid");
            let m = Model::train(labels(), &corpus(), params, None, None, String::new()).expect("train");
            let (c, v) = (m.labels().len(), m.vocabulary_len());
            let lp = dense_log_probs(&m.params, &m.dense_sums(), c, v);
            let (weights, bias) = dense_weights(&m.params, &lp, &m.header.class_docs, v);
            let worst = m.weights.iter().zip(&weights).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-5, "{variant:?} {weight_norm}: {worst}");
            let worst = m.bias.iter().zip(&bias).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-6, "{variant:?} {weight_norm}: bias {worst}");
        }
    }
}
