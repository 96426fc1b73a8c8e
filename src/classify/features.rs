//! Message → analysed text: term sequences of subject and body (for rules and the model) and the
//! folded plain text (for rule patterns and tipologia cues). Weighted model features: subject
//! terms count `subject_weight` times body terms; optional bigrams of adjacent stems within one
//! field.

use crate::text::analyze::fold_char;
use crate::text::{Analyzer, Term};

/// How terms are drawn from a message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureConfig {
    pub subject_weight: f32,
    pub bigrams: bool,
    /// Terms read per message at most (subject and body together).
    pub max_terms: usize,
    /// Build the folded text (rules' patterns and tipologia cues need it).
    pub fold: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig { subject_weight: 2.0, bigrams: false, max_terms: 20_000, fold: true }
    }
}

impl FeatureConfig {
    /// The features a model's training parameters describe; `fold` when rules will read the text.
    pub fn from_params(p: &super::bayes::TrainParams, fold: bool) -> FeatureConfig {
        FeatureConfig {
            subject_weight: p.subject_weight,
            bigrams: p.bigrams,
            fold,
            ..FeatureConfig::default()
        }
    }
}

/// A message after analysis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalyzedText {
    /// Normalised terms of the subject, in order.
    pub subject: Vec<Term>,
    /// Normalised terms of the cleaned body, in order.
    pub body: Vec<Term>,
    /// Subject and body lower-cased, accents folded, apostrophes as spaces, words separated by
    /// single spaces, with a leading and trailing space (so `" cue "` finds whole words).
    pub folded: String,
}

/// Longest folded text kept for patterns and cues.
const MAX_FOLDED_BYTES: usize = 64 * 1024;

/// Analyses subject and cleaned body.
pub fn analyze(analyzer: &mut Analyzer, subject: &str, body: &str, cfg: &FeatureConfig) -> AnalyzedText {
    let mut s = Vec::new();
    analyzer.terms_into(subject, &mut s, cfg.max_terms);
    let mut b = Vec::new();
    analyzer.terms_into(body, &mut b, cfg.max_terms.saturating_sub(s.len()));
    let folded = if cfg.fold { fold_parts(&[subject, "\n", body], MAX_FOLDED_BYTES) } else { String::new() };
    AnalyzedText { subject: s, body: b, folded }
}

/// Lower case, accents folded, every non-alphanumeric run as one space, framed by spaces.
pub fn fold_text(text: &str, max_bytes: usize) -> String {
    fold_parts(&[text], max_bytes)
}

/// [`fold_text`] of the parts joined, without joining them first. `max_bytes` bounds the
/// lower-cased text before accents are folded (so a cut falls where it always did).
fn fold_parts(parts: &[&str], max_bytes: usize) -> String {
    let cap = parts.iter().map(|p| p.len()).sum::<usize>().min(max_bytes) + 2;
    let mut out = String::with_capacity(cap);
    out.push(' ');
    // Length of the output before folding (accented letters are two bytes, their folds one).
    let mut unfolded = 1usize;
    let mut last_space = true;
    'parts: for part in parts {
        for c in part.chars() {
            if unfolded >= max_bytes {
                break 'parts;
            }
            if c.is_ascii() {
                if c.is_ascii_alphanumeric() {
                    out.push(c.to_ascii_lowercase());
                    unfolded += 1;
                    last_space = false;
                    continue;
                }
            } else if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    out.push(fold_char(l));
                    unfolded += l.len_utf8();
                }
                last_space = false;
                continue;
            }
            if !last_space {
                out.push(' ');
                unfolded += 1;
                last_space = true;
            }
        }
    }
    if !last_space {
        out.push(' ');
    }
    out
}

/// Weighted model features of an analysed message.
pub fn weighted(a: &AnalyzedText, cfg: &FeatureConfig) -> Vec<(String, f32)> {
    let mut out = Vec::with_capacity(a.subject.len() + a.body.len());
    push_field(&mut out, &a.subject, cfg.subject_weight, cfg.bigrams);
    push_field(&mut out, &a.body, 1.0, cfg.bigrams);
    out
}

fn push_field(out: &mut Vec<(String, f32)>, terms: &[Term], weight: f32, bigrams: bool) {
    if weight <= 0.0 {
        return;
    }
    for t in terms {
        out.push((t.to_string(), weight));
    }
    if bigrams {
        for w in terms.windows(2) {
            out.push((format!("{}_{}", w[0], w[1]), weight));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_text_frames_words() {
        assert_eq!(fold_text("Perché l'IMU  è—alta?", 100), " perche l imu e alta ");
        assert_eq!(fold_text("", 100), " ");
        assert!(fold_text(&"abc ".repeat(100), 20).len() <= 22);
        assert_eq!(fold_parts(&["Città", "\n", "PERCHÉ"], 100), " citta perche ");
        // The cut counts bytes before folding: "èè" is 4 bytes lower-cased, 2 folded.
        assert_eq!(fold_text("èèèè", 5), " ee ");
    }

    /// The one-pass fold equals lower-casing, framing and cutting first, then folding accents.
    #[test]
    fn one_pass_fold_equals_the_two_pass_definition() {
        fn reference(text: &str, max_bytes: usize) -> String {
            let mut out = String::from(" ");
            let mut last_space = true;
            for c in text.chars() {
                if out.len() >= max_bytes {
                    break;
                }
                if c.is_alphanumeric() {
                    out.extend(c.to_lowercase());
                    last_space = false;
                } else if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            if !last_space {
                out.push(' ');
            }
            crate::text::analyze::fold_accents(&out)
        }
        let texts = [
            "Perché l'IMU è alta? CITTÀ di Borgo — ÀÈÌÒÙ çñ",
            "İstanbul ǅemal ß straße ΣΑΣ ﬁne",
            "numero 12345, via Roma 3/b\n\nGrazie\tmille",
            "",
            "   ",
        ];
        for t in texts {
            for max in [1, 2, 3, 5, 8, 13, 40, 1000] {
                assert_eq!(fold_text(t, max), reference(t, max), "{t:?} at {max}");
            }
        }
    }
}
