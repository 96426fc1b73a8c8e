//! Classification: the [`taxonomy`], the naive-Bayes model ([`bayes`], linfa), term extraction
//! ([`features`]) and the [`Classifier`] that turns a message's terms into one [`Decision`] with
//! its explanation.

pub mod bayes;
pub mod features;
pub mod taxonomy;

use crate::domain::DecidedBy;
use bayes::Model;
use features::FeatureConfig;
use taxonomy::{Taxonomy, TopicId};

/// Errors assembling a classifier from a taxonomy and a model.
#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    #[error(
        "model was trained for taxonomy {model_id} ({model_hash}) but the rules define {rules_id} ({rules_hash}); retrain the model for these rules with `urpmail train --rules ...`"
    )]
    TaxonomyMismatch {
        model_id: String,
        model_hash: String,
        rules_id: String,
        rules_hash: String,
    },
    #[error("model label {0:?} is not a topic of the taxonomy; retrain the model for these rules")]
    UnknownLabel(String),
    #[error("no model and no rules: nothing can classify")]
    Nothing,
}

/// One decision with what explains it.
#[derive(Debug, Clone)]
pub struct Decision {
    pub topic: TopicId,
    /// In [0, 1].
    pub confidence: f64,
    pub decided_by: DecidedBy,
    pub review: bool,
    /// Why the decision is flagged (empty when not).
    pub review_reasons: Vec<&'static str>,
    /// Best topics with scores, best first (up to 3).
    pub top: Vec<(TopicId, f64)>,
    /// Terms that pushed the model towards the topic.
    pub model_terms: Vec<(String, f64)>,
}

/// Taxonomy + model (+ rules, later) → decisions.
#[derive(Debug)]
pub struct Classifier {
    taxonomy: Taxonomy,
    model: Option<Model>,
    /// Model label index → topic.
    label_topic: Vec<TopicId>,
    features: FeatureConfig,
}

impl Classifier {
    /// A model-only classifier whose taxonomy is the model's labels (`--rules none`).
    pub fn model_only(model: Model) -> Self {
        let taxonomy = Taxonomy::from_labels("model-labels", model.labels());
        let label_topic = (0..model.labels().len())
            .map(|i| TopicId(i as u16))
            .collect();
        let features = features_of(&model);
        Classifier {
            taxonomy,
            model: Some(model),
            label_topic,
            features,
        }
    }

    /// The taxonomy decisions refer to.
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The model, if any.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// How terms are extracted for this classifier.
    pub fn features(&self) -> &FeatureConfig {
        &self.features
    }

    /// Decides the topic of a message from its weighted terms.
    pub fn decide(&self, terms: &[(String, f32)]) -> Decision {
        let Some(model) = &self.model else {
            return self.fallback_decision();
        };
        let scores = model.score(terms);
        let (best, conf) = scores.best();
        let top: Vec<(TopicId, f64)> = scores
            .top(3)
            .into_iter()
            .map(|(i, p)| (self.label_topic[i], round4(p)))
            .collect();
        let mut review_reasons = Vec::new();
        if scores.known_terms == 0 {
            review_reasons.push("no-evidence");
            if let Some(fb) = self.taxonomy.fallback() {
                return Decision {
                    topic: fb,
                    confidence: 0.0,
                    decided_by: DecidedBy::Fallback,
                    review: true,
                    review_reasons,
                    top,
                    model_terms: Vec::new(),
                };
            }
        }
        if conf < model.threshold(best) {
            review_reasons.push("low-confidence");
        }
        Decision {
            topic: self.label_topic[best],
            confidence: round4(conf),
            decided_by: DecidedBy::Model,
            review: !review_reasons.is_empty(),
            review_reasons,
            top,
            model_terms: model
                .explain(&scores, best, 8)
                .into_iter()
                .map(|(t, v)| (t, round4(v)))
                .collect(),
        }
    }

    fn fallback_decision(&self) -> Decision {
        let topic = self.taxonomy.fallback().unwrap_or(TopicId(0));
        Decision {
            topic,
            confidence: 0.0,
            decided_by: DecidedBy::Fallback,
            review: true,
            review_reasons: vec!["no-evidence"],
            top: vec![(topic, 0.0)],
            model_terms: Vec::new(),
        }
    }
}

fn features_of(model: &Model) -> FeatureConfig {
    let p = &model.header().params;
    FeatureConfig {
        subject_weight: p.subject_weight,
        bigrams: p.bigrams,
        ..FeatureConfig::default()
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
