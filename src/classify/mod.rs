//! Classification: the [`taxonomy`], keyword [`rules`], the naive-Bayes model ([`bayes`], linfa),
//! term extraction ([`features`]) and the [`Classifier`] that turns an analysed message into one
//! [`Decision`] with its explanation.
//!
//! Decision = rules + model. The model's calibrated logits plus the rule evidence
//! (`ln(1 + rule score)` per topic, weighted by a factor fitted on held-out folds at training)
//! give the probabilities; the best topic wins. Weak rule terms only nudge. With no rule evidence
//! and a model below `min_model_confidence` (or no known words), the message goes to the
//! fallback topic with `review = true`: never a silent guess. Without a model (cold start) the
//! rules decide alone, and only with decisive evidence.

pub mod bayes;
pub mod features;
pub mod rules;
pub mod taxonomy;
pub mod vocab;

use crate::domain::{DecidedBy, ReviewReason};
use bayes::{Model, argmax};
use features::{AnalyzedText, FeatureConfig};
use rules::{RuleHit, RuleSet};
use taxonomy::{Taxonomy, TopicId};

/// Confidence below which a rules-only (cold start) decision is flagged for review.
pub const COLD_START_REVIEW_BELOW: f64 = 0.6;

/// Errors assembling a classifier from rules and a model.
#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    #[error(
        "the model was trained for taxonomy {model_id} ({model_hash}) but the rules define {rules_id} ({rules_hash}); retrain the model for these rules with `urpmail train --rules ...`"
    )]
    TaxonomyMismatch { model_id: String, model_hash: String, rules_id: String, rules_hash: String },
    #[error(
        "the model was trained without a rules file (labels only); retrain it with `urpmail train --rules ...` or classify with --rules none"
    )]
    NoTaxonomy,
    #[error("model label {0:?} is not a topic of the taxonomy; retrain the model for these rules")]
    UnknownLabel(String),
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
    pub review_reasons: Vec<ReviewReason>,
    /// Best topics with scores, best first (up to 3).
    pub top: Vec<(TopicId, f64)>,
    /// Terms that pushed the model towards the topic.
    pub model_terms: Vec<(String, f64)>,
    /// Rules that fired.
    pub rule_hits: Vec<RuleHit>,
    /// Request type id and the cue that decided it.
    pub tipologia: Option<(String, Option<String>)>,
}

/// Rules and/or model → decisions.
#[derive(Debug)]
pub struct Classifier {
    taxonomy: Taxonomy,
    rules: Option<RuleSet>,
    model: Option<Model>,
    /// Model label index → topic.
    label_topic: Vec<TopicId>,
    features: FeatureConfig,
}

impl Classifier {
    /// A model-only classifier whose taxonomy is the model's labels (`--rules none`).
    pub fn model_only(model: Model) -> Self {
        let taxonomy = Taxonomy::from_labels("model-labels", model.labels());
        let label_topic = (0..model.labels().len()).map(|i| TopicId(i as u16)).collect();
        let features = features_of(&model);
        Classifier { taxonomy, rules: None, model: Some(model), label_topic, features }
    }

    /// Rules, optionally with a model trained for the same taxonomy.
    pub fn with_rules(rules: RuleSet, model: Option<Model>) -> Result<Self, ClassifierError> {
        let taxonomy = rules.taxonomy.clone();
        let mut label_topic = Vec::new();
        let mut features = FeatureConfig::default();
        if let Some(m) = &model {
            let t = m.header().taxonomy.as_ref().ok_or(ClassifierError::NoTaxonomy)?;
            if t.hash != taxonomy.hash() {
                return Err(ClassifierError::TaxonomyMismatch {
                    model_id: t.id.clone(),
                    model_hash: t.hash.clone(),
                    rules_id: taxonomy.id.clone(),
                    rules_hash: taxonomy.hash(),
                });
            }
            for l in m.labels() {
                label_topic.push(taxonomy.find(l).ok_or_else(|| ClassifierError::UnknownLabel(l.clone()))?);
            }
            features = features_of(m);
        }
        features.fold = true;
        Ok(Classifier { taxonomy, rules: Some(rules), model, label_topic, features })
    }

    /// The taxonomy decisions refer to.
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The model, if any.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// The rules, if any.
    pub fn rules(&self) -> Option<&RuleSet> {
        self.rules.as_ref()
    }

    /// How terms are extracted for this classifier.
    pub fn features(&self) -> &FeatureConfig {
        &self.features
    }

    /// The analyzer language.
    pub fn language(&self) -> crate::text::Language {
        self.model
            .as_ref()
            .and_then(|m| crate::text::Language::parse(&m.header().params.language))
            .or(self.rules.as_ref().map(|r| r.language))
            .unwrap_or(crate::text::Language::Italian)
    }

    /// Rule evidence per model label, `ln(1 + score)`: what training calibrates on.
    pub fn label_evidence(&self, ev: &rules::RuleEvidence) -> Vec<f64> {
        ev.label_evidence(self.label_topic.iter().map(|t| t.index()))
    }

    /// Decides the topic of an analysed message.
    pub fn decide(&self, a: &AnalyzedText) -> Decision {
        let evidence = self.rules.as_ref().map(|r| r.evaluate(a));
        let tipologia = self
            .rules
            .as_ref()
            .and_then(|r| r.tipologia(a))
            .map(|(t, cue)| (t.id.clone(), cue.map(str::to_string)));
        let hits = evidence.as_ref().map(|e| e.hits.clone()).unwrap_or_default();
        let rules_top = evidence.as_ref().and_then(|e| e.decisive_top()).map(|(t, _)| t);
        let any_rule = evidence.as_ref().is_some_and(|e| e.any());

        let Some(model) = &self.model else {
            return self.cold_start(evidence.as_ref(), hits, tipologia);
        };
        let label_ev = evidence.as_ref().map(|e| self.label_evidence(e));
        let scores = model.score_analyzed(a, label_ev.as_deref());
        let (best, conf) = scores.best();
        let model_best = argmax(&scores.model_probs);
        let top: Vec<(TopicId, f64)> =
            scores.top(3).into_iter().map(|(i, p)| (self.label_topic[i], round4(p))).collect();
        let topic = self.label_topic[best];
        let model_topic = self.label_topic[model_best];
        let min_conf = self.rules.as_ref().map_or(0.0, |r| r.decision.min_model_confidence);
        let model_conf = scores.model_probs[model_best];

        if !any_rule
            && (scores.known_terms == 0 || model_conf < min_conf)
            && let Some(fb) = self.taxonomy.fallback()
        {
            let fb_prob = self.label_topic.iter().position(|t| *t == fb).map_or(0.0, |i| scores.probs[i]);
            return Decision {
                topic: fb,
                confidence: round4(fb_prob),
                decided_by: DecidedBy::Fallback,
                review: true,
                review_reasons: vec![ReviewReason::NoEvidence],
                top,
                model_terms: Vec::new(),
                rule_hits: hits,
                tipologia,
            };
        }
        let decided_by = match (rules_top == Some(topic), model_topic == topic) {
            (true, true) => DecidedBy::Both,
            (true, false) => DecidedBy::Rules,
            (false, true) => DecidedBy::Model,
            (false, false) => DecidedBy::Both,
        };
        let mut review_reasons = Vec::new();
        if conf < model.threshold(best) {
            review_reasons.push(ReviewReason::LowConfidence);
        }
        if rules_top.is_some_and(|r| r != model_topic) {
            review_reasons.push(ReviewReason::RulesModelDisagree);
        }
        if scores.known_terms == 0 {
            review_reasons.push(ReviewReason::NoModelEvidence);
        }
        Decision {
            topic,
            confidence: round4(conf),
            decided_by,
            review: !review_reasons.is_empty(),
            review_reasons,
            top,
            model_terms: model.explain(&scores, best, 8).into_iter().map(|(t, v)| (t, round4(v))).collect(),
            rule_hits: hits,
            tipologia,
        }
    }

    /// Rules alone: decisive evidence decides, with confidence `s1 / (s1 + s2 + 1)`.
    fn cold_start(
        &self,
        ev: Option<&rules::RuleEvidence>,
        hits: Vec<RuleHit>,
        tipologia: Option<(String, Option<String>)>,
    ) -> Decision {
        let fallback = self.taxonomy.fallback().unwrap_or(TopicId(0));
        let mut ranked: Vec<(TopicId, f64)> = ev
            .map(|e| {
                e.scores
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| **s > 0.0)
                    .map(|(i, s)| (TopicId(i as u16), *s))
                    .collect()
            })
            .unwrap_or_default();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let decisive = ev.and_then(|e| e.decisive_top());
        match decisive {
            Some((topic, s1)) => {
                let s2 = ranked.iter().find(|(t, _)| *t != topic).map_or(0.0, |x| x.1);
                let conf = s1 / (s1 + s2 + 1.0);
                let total: f64 = ranked.iter().map(|x| x.1).sum::<f64>() + 1.0;
                let top = ranked.iter().take(3).map(|(t, s)| (*t, round4(s / total))).collect();
                let mut review_reasons = Vec::new();
                if conf < COLD_START_REVIEW_BELOW {
                    review_reasons.push(ReviewReason::LowConfidence);
                }
                Decision {
                    topic,
                    confidence: round4(conf),
                    decided_by: DecidedBy::Rules,
                    review: !review_reasons.is_empty(),
                    review_reasons,
                    top,
                    model_terms: Vec::new(),
                    rule_hits: hits,
                    tipologia,
                }
            }
            None => Decision {
                topic: fallback,
                confidence: 0.0,
                decided_by: DecidedBy::Fallback,
                review: true,
                review_reasons: vec![if ranked.is_empty() {
                    ReviewReason::NoEvidence
                } else {
                    ReviewReason::WeakEvidenceOnly
                }],
                top: vec![(fallback, 0.0)],
                model_terms: Vec::new(),
                rule_hits: hits,
                tipologia,
            },
        }
    }
}

fn features_of(model: &Model) -> FeatureConfig {
    model.params().features(false)
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
