//! The discriminative part beside naive Bayes: a one-vs-rest linear SVM (L2-regularised,
//! squared hinge loss) on the same document vectors, trained by dual coordinate descent
//! (Hsieh et al. 2008, the algorithm of liblinear and scikit-learn's `LinearSVC`), with the
//! bias as a constant feature. Its margins are added to the naive-Bayes scores with a weight
//! chosen on held-out folds (`calibrate`), so naive Bayes stays in every decision.
//!
//! Deterministic: each class visits the documents in an order drawn from a fixed-seed generator,
//! so the same vectors give the same weights, whatever the thread count.

use rayon::prelude::*;

/// Most passes over the documents per class.
const MAX_EPOCHS: usize = 60;
/// Stop when the projected gradient's spread falls under this (liblinear's default is 0.1).
const TOLERANCE: f64 = 0.1;

/// The linear part of a model: `weights[t * C + c]` (term-major, as the naive-Bayes weights)
/// and one bias per class.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Linear {
    pub(super) weights: Vec<f32>,
    pub(super) bias: Vec<f32>,
}

impl Linear {
    /// Fits one class against the rest for each of `c` classes on `(label, vector)` documents
    /// over a vocabulary of `v` terms; `cost` is the SVM's C.
    pub(super) fn fit(vectors: &[(usize, Vec<(u32, f32)>)], c: usize, v: usize, cost: f64) -> Linear {
        // From nothing: every weight, bias and dual variable starts at 0.
        let mut l = Linear { weights: Vec::new(), bias: Vec::new() };
        l.update(vectors, c, v, cost);
        l
    }

    /// Per-class weight rows and biases → the term-major layout.
    fn from_rows(rows: Vec<(Vec<f64>, f64)>, v: usize) -> Linear {
        let c = rows.len();
        let mut weights = vec![0f32; v * c];
        let mut bias = vec![0f32; c];
        for (class, (w, b)) in rows.into_iter().enumerate() {
            for (t, x) in w.into_iter().enumerate() {
                weights[t * c + class] = x as f32;
            }
            bias[class] = b as f32;
        }
        Linear { weights, bias }
    }

    /// Moves the weights to a new vocabulary: `remap[old term] = new term` over `v` terms (the
    /// terms no old term maps to start at weight 0).
    pub(super) fn remap(&mut self, remap: &[u32], v: usize) {
        let c = self.bias.len();
        let mut weights = vec![0f32; v * c];
        for (old, &new) in remap.iter().enumerate() {
            let (from, to) = (old * c, new as usize * c);
            if let (Some(src), Some(dst)) = (self.weights.get(from..from + c), weights.get_mut(to..to + c)) {
                dst.copy_from_slice(src);
            }
        }
        self.weights = weights;
    }

    /// Continues from these weights with `vectors` alone (new documents, e.g. staff corrections):
    /// their dual variables start at zero, so the result is the old solution moved just enough
    /// to fit them. There may be more classes than before (`c`; a new class starts at weight 0)
    /// and more terms at the end (`v`; call [`Linear::remap`] first when terms moved).
    pub(super) fn update(&mut self, vectors: &[(usize, Vec<(u32, f32)>)], c: usize, v: usize, cost: f64) {
        let old_c = self.bias.len();
        let old_v = self.weights.len() / old_c.max(1);
        let rows: Vec<(Vec<f64>, f64)> = (0..c)
            .into_par_iter()
            .map(|class| {
                let mut w: Vec<f64> = (0..v)
                    .map(|t| match (t < old_v, class < old_c) {
                        (true, true) => f64::from(self.weights[t * old_c + class]),
                        _ => 0.0,
                    })
                    .collect();
                let mut b = if class < old_c { f64::from(self.bias[class]) } else { 0.0 };
                let mut alpha = vec![0f64; vectors.len()];
                solve(vectors, class, cost, &mut w, &mut b, &mut alpha);
                (w, b)
            })
            .collect();
        *self = Linear::from_rows(rows, v);
    }

    /// Margins `x · w_c + b_c` per class of a sorted document vector.
    pub(super) fn margins(&self, x: &[(u32, f32)]) -> Vec<f64> {
        let c = self.bias.len();
        let mut s: Vec<f64> = self.bias.iter().map(|&b| f64::from(b)).collect();
        for &(t, w) in x {
            let at = t as usize * c;
            if let Some(row) = self.weights.get(at..at + c) {
                for (acc, &wt) in s.iter_mut().zip(row) {
                    *acc += f64::from(w) * f64::from(wt);
                }
            }
        }
        s
    }
}

/// Dual coordinate descent for one class against the rest, from the given `w`, `b` and dual
/// variables. The squared hinge loss adds `1 / (2C)` to the diagonal and has no upper bound
/// on the dual variables.
fn solve(
    vectors: &[(usize, Vec<(u32, f32)>)],
    class: usize,
    cost: f64,
    w: &mut [f64],
    b: &mut f64,
    alpha: &mut [f64],
) {
    let n = vectors.len();
    if n == 0 {
        return;
    }
    let diag = 1.0 / (2.0 * cost);
    // x·x + 1 for the bias feature, + the diagonal.
    let q: Vec<f64> = vectors
        .iter()
        .map(|(_, x)| x.iter().map(|&(_, v)| f64::from(v) * f64::from(v)).sum::<f64>() + 1.0 + diag)
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ (class as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9));
    for _ in 0..MAX_EPOCHS {
        // Fisher-Yates with the fixed-seed generator: a new, reproducible order each pass.
        for i in (1..n).rev() {
            let j = (rng.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        for &i in &order {
            let (label, x) = &vectors[i];
            let y = if *label == class { 1.0 } else { -1.0 };
            let dot: f64 = x.iter().map(|&(t, v)| w[t as usize] * f64::from(v)).sum::<f64>() + *b;
            let g = y * dot - 1.0 + diag * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / q[i]).max(0.0);
                let d = (alpha[i] - old) * y;
                for &(t, v) in x {
                    w[t as usize] += d * f64::from(v);
                }
                *b += d;
            }
        }
        if pg_max - pg_min < TOLERANCE {
            break;
        }
    }
}

/// A small fixed-seed generator (xorshift64*): reproducible orders without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three classes, each with its own words and a shared noise word.
    fn docs() -> Vec<(usize, Vec<(u32, f32)>)> {
        let mut d = Vec::new();
        for i in 0..30u32 {
            let class = (i % 3) as usize;
            let own = class as u32 * 2;
            let mut x = vec![(own, 0.6), (own + 1, 0.5), (6, 0.4)];
            if i % 5 == 0 {
                // A few documents also carry a word of the next class.
                x.push((((class as u32 + 1) % 3) * 2, 0.3));
            }
            x.sort_unstable_by_key(|e| e.0);
            d.push((class, x));
        }
        d
    }

    #[test]
    fn separates_the_classes_and_is_reproducible() {
        let d = docs();
        let m = Linear::fit(&d, 3, 7, 1.0);
        for (label, x) in &d {
            let s = m.margins(x);
            let best = crate::classify::bayes::argmax(&s);
            assert_eq!(best, *label, "{s:?}");
        }
        assert_eq!(Linear::fit(&d, 3, 7, 1.0), m, "same input, same weights");
        // The shared word carries no class: its weight is small next to the own words'.
        let c = 3;
        assert!(m.weights[6 * c].abs() < m.weights[0].abs());
    }

    #[test]
    fn the_dual_solution_satisfies_the_optimality_conditions() {
        // At the optimum of the squared-hinge dual, every document with alpha > 0 has
        // y (w·x + b) = 1 - alpha / (2C), and every other has y (w·x + b) >= 1 (within tolerance).
        let d = docs();
        let (cost, class) = (0.5, 1);
        let (mut w, mut b, mut alpha) = (vec![0f64; 7], 0f64, vec![0f64; d.len()]);
        solve(&d, class, cost, &mut w, &mut b, &mut alpha);
        for ((label, x), a) in d.iter().zip(&alpha) {
            let y = if *label == class { 1.0 } else { -1.0 };
            let m = y * (x.iter().map(|&(t, v)| w[t as usize] * f64::from(v)).sum::<f64>() + b);
            if *a > 0.0 {
                assert!((m - (1.0 - a / (2.0 * cost))).abs() < 0.06, "margin {m}, alpha {a}");
            } else {
                assert!(m > 1.0 - 0.06, "margin {m}");
            }
        }
    }

    #[test]
    fn an_update_fits_new_documents_and_keeps_the_rest() {
        let d = docs();
        let mut m = Linear::fit(&d, 3, 7, 1.0);
        // A new word (id 7) that staff taught belongs to class 2.
        let new: Vec<(usize, Vec<(u32, f32)>)> = (0..4).map(|_| (2, vec![(7, 1.0)])).collect();
        m.update(&new, 3, 8, 1.0);
        assert_eq!(crate::classify::bayes::argmax(&m.margins(&[(7, 1.0)])), 2);
        for (label, x) in &d {
            assert_eq!(crate::classify::bayes::argmax(&m.margins(x)), *label);
        }
    }
}
