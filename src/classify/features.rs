//! Message → weighted terms: subject terms count `subject_weight` times body terms; optional
//! bigrams of adjacent stems within one field.

use crate::text::Analyzer;

/// How terms are drawn from a message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureConfig {
    pub subject_weight: f32,
    pub bigrams: bool,
    /// Terms read per message at most (subject and body together).
    pub max_terms: usize,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            subject_weight: 2.0,
            bigrams: false,
            max_terms: 20_000,
        }
    }
}

/// Weighted terms of a message.
pub fn extract(
    analyzer: &mut Analyzer,
    subject: &str,
    body: &str,
    cfg: &FeatureConfig,
) -> Vec<(String, f32)> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    analyzer.terms_into(subject, &mut buf, cfg.max_terms);
    push_field(&mut out, &buf, cfg.subject_weight, cfg.bigrams);
    let remaining = cfg.max_terms.saturating_sub(buf.len());
    buf.clear();
    analyzer.terms_into(body, &mut buf, remaining);
    push_field(&mut out, &buf, 1.0, cfg.bigrams);
    out
}

fn push_field(out: &mut Vec<(String, f32)>, terms: &[String], weight: f32, bigrams: bool) {
    if weight <= 0.0 {
        return;
    }
    for t in terms {
        out.push((t.clone(), weight));
    }
    if bigrams {
        for w in terms.windows(2) {
            out.push((format!("{}_{}", w[0], w[1]), weight));
        }
    }
}
