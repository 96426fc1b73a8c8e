//! Training parameters, as linfa does them: [`TrainParams`] as given (arguments, a model file's
//! header) → [`TrainParams::check`] → [`CheckedParams`], the only type training, update and the
//! closed form accept, so parameters that were never validated cannot reach a fit.

use serde::{Deserialize, Serialize};

use super::ModelError;
use crate::classify::features::FeatureConfig;

/// Which naive-Bayes variant scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Multinomial NB with class priors.
    Multinomial,
    /// Complement NB, optionally weight-normalised (Rennie et al. 2003).
    Complement,
}

/// Training parameters. Every default was chosen on date-ordered and blind validation sets
/// (bench/RESULTS.md): 20 Newsgroups and it-covid19 by date, and the blind Italian set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainParams {
    pub variant: Variant,
    /// Additive smoothing.
    pub alpha: f64,
    /// `log(1 + tf)` instead of raw counts.
    pub tf_log: bool,
    /// Multiply by inverse document frequency.
    pub idf: bool,
    /// Scale each document vector to unit L2 length.
    pub length_norm: bool,
    /// Weight-normalise complement weights (WCNB).
    pub weight_norm: bool,
    /// Adjacent-stem bigrams as extra features.
    pub bigrams: bool,
    /// Subject terms count this many times body terms.
    pub subject_weight: f32,
    /// Terms of quoted replies, forwarded blocks and signatures count this many times body
    /// terms (0: not read). Absent from the files of models that do not read them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub quote_weight: f32,
    /// Terms seen in fewer documents are dropped from the vocabulary.
    pub min_df: u32,
    /// Analyzer language (`it` or `en`).
    pub language: String,
    /// Precision the per-topic review thresholds aim for on held-out folds.
    pub review_precision: f64,
    /// Add a one-vs-rest linear SVM with this cost (C) beside naive Bayes; none: naive Bayes
    /// alone. Absent from the files of models without it, which read as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_cost: Option<f64>,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            variant: Variant::Complement,
            alpha: 0.3,
            tf_log: true,
            idf: true,
            length_norm: true,
            weight_norm: false,
            bigrams: true,
            subject_weight: 3.0,
            quote_weight: 0.5,
            min_df: 1,
            language: "it".to_string(),
            review_precision: 0.9,
            linear_cost: Some(1.0),
        }
    }
}

impl TrainParams {
    /// Validates the parameters: the only way to get [`CheckedParams`].
    pub fn check(&self) -> Result<CheckedParams, ModelError> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(ModelError::Params(format!("alpha must be > 0, got {}", self.alpha)));
        }
        if !(self.subject_weight.is_finite() && self.subject_weight >= 0.0) {
            return Err(ModelError::Params("subject_weight must be >= 0".into()));
        }
        if !(self.quote_weight.is_finite() && self.quote_weight >= 0.0) {
            return Err(ModelError::Params("quote_weight must be >= 0".into()));
        }
        if !(0.0..=1.0).contains(&self.review_precision) {
            return Err(ModelError::Params("review_precision must be in [0, 1]".into()));
        }
        if let Some(c) = self.linear_cost
            && !(c.is_finite() && c > 0.0)
        {
            return Err(ModelError::Params(format!("linear_cost must be > 0, got {c}")));
        }
        if crate::text::Language::parse(&self.language).is_none() {
            return Err(ModelError::Params(format!("unknown language {:?} (it, en)", self.language)));
        }
        Ok(CheckedParams(self.clone()))
    }
}

fn is_zero(x: &f32) -> bool {
    *x == 0.0
}

/// Parameters that passed [`TrainParams::check`] (linfa's `ParamGuard`: the type is the proof).
/// Reads like [`TrainParams`] through `Deref`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedParams(TrainParams);

impl std::ops::Deref for CheckedParams {
    type Target = TrainParams;

    fn deref(&self) -> &TrainParams {
        &self.0
    }
}

impl CheckedParams {
    /// The features these parameters describe; `fold` when rules will read the text.
    pub fn features(&self, fold: bool) -> FeatureConfig {
        FeatureConfig {
            subject_weight: self.subject_weight,
            quote_weight: self.quote_weight,
            bigrams: self.bigrams,
            fold,
            ..FeatureConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_parameters_are_checked() {
        let bad = [
            TrainParams { alpha: 0.0, ..TrainParams::default() },
            TrainParams { alpha: f64::NAN, ..TrainParams::default() },
            TrainParams { subject_weight: -1.0, ..TrainParams::default() },
            TrainParams { review_precision: 1.5, ..TrainParams::default() },
            TrainParams { language: "fr".into(), ..TrainParams::default() },
            TrainParams { linear_cost: Some(0.0), ..TrainParams::default() },
            TrainParams { quote_weight: -0.5, ..TrainParams::default() },
        ];
        for p in bad {
            assert!(matches!(p.check(), Err(ModelError::Params(_))), "{p:?}");
        }
        let p = TrainParams { bigrams: true, subject_weight: 3.0, ..TrainParams::default() };
        let checked = p.check().expect("valid");
        assert_eq!(*checked, p);
        let f = checked.features(true);
        assert_eq!((f.subject_weight, f.bigrams, f.fold), (3.0, true, true));
    }
}
