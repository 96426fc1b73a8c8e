//! The linfa bridge: linfa-bayes fits the multinomial model on aggregated rows (a class's summed
//! document vectors, or for complement NB the sums of all other classes), and training and
//! update hold the [closed form](super::weights) the weights are computed with to its fitted
//! parameters.
//!
//! A class's fitted log-probabilities depend only on its own row, so linfa is fitted one row at
//! a time: the same parameters as a fit on all rows, with O(V) memory instead of several C x V
//! copies inside linfa and in the read-back.

use std::collections::HashMap;

use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_bayes::MultinomialNb;
use ndarray::{Array1, Array2};
use serde::Deserialize;

use super::ModelError;
use super::params::{CheckedParams, Variant};
use super::weights::{ClosedForm, term_totals};

/// Largest difference allowed between a closed-form and a fitted log-probability.
const TOLERANCE: f64 = 1e-6;

/// Fits linfa on the aggregated rows of `sums` and checks that `form`, the closed form of the
/// same sums, gives its fitted log-probabilities, class by class.
pub(super) fn fit_checked(
    params: &CheckedParams,
    sums: &[Vec<(u32, f32)>],
    v: usize,
    form: &ClosedForm,
) -> Result<(), ModelError> {
    let mut worst = 0f64;
    let mut ours = vec![0f64; v];
    fit_rows(params, sums, v, |ci, fitted| {
        for (t, x) in ours.iter_mut().enumerate() {
            *x = form.log_prob(ci, t, None);
        }
        for &(t, w) in &sums[ci] {
            ours[t as usize] = form.log_prob(ci, t as usize, Some(f64::from(w)));
        }
        for (x, f) in ours.iter().zip(fitted) {
            worst = worst.max((x - f).abs());
        }
    })?;
    if worst > TOLERANCE {
        return Err(ModelError::Linfa(format!(
            "closed-form log-probabilities differ from linfa's by {worst}"
        )));
    }
    Ok(())
}

/// Fits linfa's multinomial NB on each class's aggregated row and hands the class index and its
/// fitted feature log-probabilities to `each`.
fn fit_rows(
    params: &CheckedParams,
    sums: &[Vec<(u32, f32)>],
    v: usize,
    mut each: impl FnMut(usize, &[f64]),
) -> Result<(), ModelError> {
    let complement = params.variant == Variant::Complement;
    let total = if complement { term_totals(sums, v) } else { Vec::new() };
    for (ci, class_row) in sums.iter().enumerate() {
        let mut row: Vec<f64> = if complement { total.clone() } else { vec![0f64; v] };
        for &(t, w) in class_row {
            let x = &mut row[t as usize];
            *x = if complement { (*x - f64::from(w)).max(0.0) } else { f64::from(w) };
        }
        let records = Array2::from_shape_vec((1, v), row).map_err(|e| ModelError::Linfa(e.to_string()))?;
        let ds = DatasetBase::new(records, Array1::from_elem(1, ci));
        let nb = MultinomialNb::params()
            .alpha(params.alpha)
            .fit(&ds)
            .map_err(|e| ModelError::Linfa(e.to_string()))?;
        drop(ds);
        // linfa keeps its fitted parameters private but serialisable: read them back through a
        // compact binary encoding into a mirror struct.
        let encoded = postcard::to_allocvec(&nb)
            .map_err(|e| ModelError::Linfa(format!("encoding fitted parameters: {e}")))?;
        drop(nb);
        let mirror: LinfaMirror = postcard::from_bytes(&encoded)
            .map_err(|e| ModelError::Linfa(format!("reading fitted parameters: {e}")))?;
        drop(encoded);
        let info =
            mirror.class_info.get(&ci).ok_or_else(|| ModelError::Linfa("class missing from fit".into()))?;
        if info.feature_log_prob.len() != v {
            return Err(ModelError::Linfa("unexpected shape of fitted parameters".into()));
        }
        each(ci, info.feature_log_prob.as_slice().ok_or_else(|| ModelError::Linfa("non-contiguous".into()))?);
    }
    Ok(())
}

#[derive(Deserialize)]
struct LinfaMirror {
    class_info: HashMap<usize, LinfaClassInfo>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct LinfaClassInfo {
    class_count: usize,
    prior: f64,
    feature_count: Array1<f64>,
    feature_log_prob: Array1<f64>,
}

#[cfg(test)]
mod tests {
    use linfa::traits::Predict;

    use super::super::fixtures::{analyzed, corpus, labels};
    use super::super::{Model, TrainParams, argmax};
    use super::*;

    #[test]
    fn our_sparse_scorer_agrees_with_linfa_predict() {
        let params = TrainParams { variant: Variant::Multinomial, ..TrainParams::default() };
        let m = Model::train(labels(), &corpus(), params.check().expect("valid"), None, None, String::new())
            .expect("train");
        let (c, v) = (m.labels().len(), m.vocabulary_len());
        let records = Array2::from_shape_vec((c, v), m.dense_sums()).expect("shape");
        let nb = MultinomialNb::params()
            .alpha(params.alpha)
            .fit(&DatasetBase::new(records, Array1::from_iter(0..c)))
            .expect("linfa fit");
        let docs = corpus();
        let mut x = Array2::<f64>::zeros((docs.len(), v));
        let mut ours = Vec::with_capacity(docs.len());
        for (i, d) in docs.iter().enumerate() {
            let vector = m.vector(&analyzed(d));
            for &(t, w) in &vector {
                x[[i, t as usize]] = f64::from(w);
            }
            // linfa's priors come out uniform on aggregated rows: compare likelihood argmax.
            let s = m.raw_scores(&vector, &m.weights);
            let s: Vec<f64> = s.iter().zip(&m.bias).map(|(a, b)| a - f64::from(*b)).collect();
            ours.push(argmax(&s));
        }
        let theirs: Array1<usize> = nb.predict(&x);
        assert_eq!(ours, theirs.to_vec());
    }

    #[test]
    fn the_check_refuses_a_closed_form_that_is_not_linfas() {
        for variant in [Variant::Complement, Variant::Multinomial] {
            let params = TrainParams { variant, ..TrainParams::default() }.check().expect("valid");
            let m =
                Model::train(labels(), &corpus(), params.clone(), None, None, String::new()).expect("train");
            let v = m.vocabulary_len();
            let form = ClosedForm::new(&params, &m.sums, v);
            fit_checked(&params, &m.sums, v, &form).expect("agrees");
            // The closed form of other sums (one class's entries halved) must not pass.
            let mut other = m.sums.clone();
            for e in &mut other[0] {
                e.1 /= 2.0;
            }
            let wrong = ClosedForm::new(&params, &other, v);
            assert!(
                matches!(fit_checked(&params, &m.sums, v, &wrong), Err(ModelError::Linfa(_))),
                "{variant:?}"
            );
        }
    }
}
