//! JSON output types, kept apart from the pipeline's internals so the formats change only on
//! purpose (additively, with `schema_version`).

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::classify::taxonomy::Taxonomy;
use crate::domain::DecidedBy;
use crate::pipeline::Outcome;

/// Version of the `classify` JSON Lines records.
///
/// 2: a skipped message has no topic (`topic`, `topic_label`, `confidence` and `decided_by` are
/// null); version 1 gave it the residual topic of an empty text.
pub(crate) const CLASSIFY_SCHEMA_VERSION: u32 = 2;

/// One line of `urpmail classify`.
#[derive(Debug, Serialize)]
pub(crate) struct ClassifyRecord {
    pub schema_version: u32,
    pub source: String,
    pub message_id: Option<String>,
    /// ISO 8601 with offset.
    pub date: Option<String>,
    pub date_source: &'static str,
    pub channel: &'static str,
    /// Null for a skipped message.
    pub topic: Option<String>,
    pub topic_label: Option<String>,
    pub confidence: Option<f64>,
    pub decided_by: Option<&'static str>,
    pub review: bool,
    pub review_reasons: Vec<&'static str>,
    pub tipologia: Option<String>,
    pub excluded: Option<&'static str>,
    pub skipped: Option<String>,
    /// The decoded text was longer than the limit and was cut before classifying.
    pub text_truncated: bool,
    pub pec: Option<PecRecord>,
    pub taxonomy: String,
    pub rules_version: Option<String>,
    pub model_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// PEC facts of a message.
#[derive(Debug, Serialize)]
pub(crate) struct PecRecord {
    pub envelopes: Vec<&'static str>,
    pub receipt: Option<String>,
}

/// Why the decision was made (`--explain`).
#[derive(Debug, Serialize)]
pub(crate) struct Explanation {
    pub top_topics: Vec<ScoredTopic>,
    pub model_terms: Vec<TermWeight>,
    pub exclusion_signal: Option<&'static str>,
    pub rules: Vec<RuleFired>,
    pub tipologia_cue: Option<String>,
}

/// A rule that fired.
#[derive(Debug, Serialize)]
pub(crate) struct RuleFired {
    pub topic: String,
    pub rule: String,
    pub kind: &'static str,
    pub field: &'static str,
    pub weight: f64,
}

/// A topic with its score.
#[derive(Debug, Serialize)]
pub(crate) struct ScoredTopic {
    pub topic: String,
    pub score: f64,
}

/// A term with its contribution.
#[derive(Debug, Serialize)]
pub(crate) struct TermWeight {
    pub term: String,
    pub weight: f64,
}

impl ClassifyRecord {
    /// Builds the record of an outcome.
    pub(crate) fn new(
        o: &Outcome,
        taxonomy: &Taxonomy,
        rules_version: Option<&str>,
        model_version: Option<&str>,
        explain: bool,
    ) -> Self {
        let d = o.decision();
        let topic = d.map(|d| taxonomy.topic(d.topic));
        let classified = o.classified();
        let pec = (!o.pec_envelopes.is_empty() || o.pec_receipt.is_some()).then(|| PecRecord {
            envelopes: o.pec_envelopes.iter().map(|e| e.as_str()).collect(),
            receipt: o.pec_receipt.clone(),
        });
        ClassifyRecord {
            schema_version: CLASSIFY_SCHEMA_VERSION,
            source: o.source.clone(),
            message_id: o.message_id.clone(),
            date: o.date.and_then(|d| d.format(&Rfc3339).ok()),
            date_source: o.date_source.as_str(),
            channel: o.channel.as_str(),
            topic: topic.map(|t| t.id.clone()),
            topic_label: topic.map(|t| t.label.clone()),
            confidence: d.map(|d| d.confidence),
            decided_by: o.decided_by().map(DecidedBy::as_str),
            review: classified.is_some_and(|d| d.review),
            review_reasons: classified
                .map(|d| d.review_reasons.iter().map(|r| r.as_str()).collect())
                .unwrap_or_default(),
            tipologia: classified.and_then(|d| d.tipologia.as_ref().map(|t| t.0.clone())),
            excluded: o.exclusion().map(|e| e.reason.as_str()),
            skipped: o.skip().map(ToString::to_string),
            text_truncated: o.text_truncated,
            pec,
            taxonomy: taxonomy.id.clone(),
            rules_version: rules_version.map(str::to_string),
            model_version: model_version.map(str::to_string),
            explanation: d.filter(|_| explain).map(|d| Explanation {
                top_topics: d
                    .top
                    .iter()
                    .map(|(t, s)| ScoredTopic { topic: taxonomy.topic(*t).id.clone(), score: *s })
                    .collect(),
                model_terms: d
                    .model_terms
                    .iter()
                    .map(|(t, w)| TermWeight { term: t.clone(), weight: *w })
                    .collect(),
                exclusion_signal: o.exclusion().map(|e| e.signal),
                rules: d
                    .rule_hits
                    .iter()
                    .map(|h| RuleFired {
                        topic: taxonomy.topic(h.topic).id.clone(),
                        rule: h.rule.clone(),
                        kind: h.kind.as_str(),
                        field: h.field.as_str(),
                        weight: h.weight,
                    })
                    .collect(),
                tipologia_cue: d.tipologia.as_ref().and_then(|t| t.1.clone()),
            }),
        }
    }
}
