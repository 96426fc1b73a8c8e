//! Message → analysed text: term sequences of subject and body (for rules and the model) and the
//! folded plain text (for rule patterns and tipologia cues). [`extract`] is the one definition of
//! the model's weighted features: subject terms count `subject_weight` times body terms; optional
//! bigrams of adjacent stems within one field.

use crate::text::analyze::fold_char;
use crate::text::{Analyzer, Term};

/// How terms are drawn from a message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureConfig {
    pub subject_weight: f32,
    /// Weight of the terms of quoted replies, forwarded blocks and signatures (0: not read).
    pub quote_weight: f32,
    pub bigrams: bool,
    /// Terms read per message at most (subject and body together).
    pub max_terms: usize,
    /// Build the folded text (rules' patterns and tipologia cues need it).
    pub fold: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            subject_weight: 2.0,
            quote_weight: 0.0,
            bigrams: false,
            max_terms: 20_000,
            fold: true,
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
    /// Normalised terms of what cleaning took out as quoted reply, forwarded block or signature
    /// (read only when the model weighs them: `quote_weight`).
    pub quoted: Vec<Term>,
    /// Subject and body lower-cased, accents folded, apostrophes as spaces, words separated by
    /// single spaces, with a leading and trailing space (so `" cue "` finds whole words).
    pub folded: String,
}

/// Longest folded text kept for patterns and cues.
const MAX_FOLDED_BYTES: usize = 64 * 1024;

/// Analyses subject, cleaned body and, when the configuration weighs it, the quoted text.
pub fn analyze(
    analyzer: &mut Analyzer,
    subject: &str,
    body: &str,
    quoted: &str,
    cfg: &FeatureConfig,
) -> AnalyzedText {
    let mut s = Vec::new();
    analyzer.terms_into(subject, &mut s, cfg.max_terms);
    let mut b = Vec::new();
    analyzer.terms_into(body, &mut b, cfg.max_terms.saturating_sub(s.len()));
    let mut q = Vec::new();
    if cfg.quote_weight > 0.0 {
        analyzer.terms_into(quoted, &mut q, cfg.max_terms.saturating_sub(s.len() + b.len()));
    }
    let folded = if cfg.fold { fold_parts(&[subject, "\n", body], MAX_FOLDED_BYTES) } else { String::new() };
    AnalyzedText { subject: s, body: b, quoted: q, folded }
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

/// Names model features for [`extract`]. `extract` decides which features a message has and
/// their weights; a namer only says what each is called: an id in a fixed vocabulary (scoring,
/// `None` for unknown terms) or a new id per distinct feature (training and update).
pub trait FeatureIds<'t> {
    type Id: Copy;
    /// The id of a term.
    fn term(&mut self, term: &'t Term) -> Option<Self::Id>;
    /// The id of the bigram of two adjacent terms of one field, given their own ids (a namer can
    /// find a bigram from two ids without building its string).
    fn bigram(
        &mut self,
        first: (&'t Term, Option<Self::Id>),
        second: (&'t Term, Option<Self::Id>),
    ) -> Option<Self::Id>;
}

/// The term fields of one message that [`extract`] reads.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'t> {
    pub subject: &'t [Term],
    pub body: &'t [Term],
    pub quoted: &'t [Term],
}

impl AnalyzedText {
    /// Its term fields.
    pub fn fields(&self) -> Fields<'_> {
        Fields { subject: &self.subject, body: &self.body, quoted: &self.quoted }
    }
}

/// Separator of a bigram's two words in its name (`a_b`); the analyzer splits words on it, so a
/// word never contains it.
pub const BIGRAM_SEPARATOR: char = '_';

/// Appends the weighted model features of subject, body and quoted terms to `out`, in a fixed
/// order (per field: its terms, then its bigrams). Ids may repeat: callers merge them. A field
/// whose weight is not positive has no features.
pub fn extract<'t, N: FeatureIds<'t>>(
    text: Fields<'t>,
    cfg: &FeatureConfig,
    names: &mut N,
    out: &mut Vec<(N::Id, f32)>,
) {
    let Fields { subject, body, quoted } = text;
    let mut ids: Vec<Option<N::Id>> = Vec::with_capacity(subject.len().max(body.len()));
    for (terms, w) in [(subject, cfg.subject_weight), (body, 1.0), (quoted, cfg.quote_weight)] {
        if w <= 0.0 {
            continue;
        }
        ids.clear();
        ids.extend(terms.iter().map(|t| names.term(t)));
        out.extend(ids.iter().flatten().map(|&i| (i, w)));
        if cfg.bigrams {
            for (pair, pair_ids) in terms.windows(2).zip(ids.windows(2)) {
                if let Some(i) = names.bigram((&pair[0], pair_ids[0]), (&pair[1], pair_ids[1])) {
                    out.push((i, w));
                }
            }
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

    /// Strings as ids, to read [`extract`]'s output.
    struct Names(Vec<String>);

    impl<'t> FeatureIds<'t> for Names {
        type Id = usize;
        fn term(&mut self, term: &'t Term) -> Option<usize> {
            self.0.push(term.to_string());
            Some(self.0.len() - 1)
        }
        fn bigram(&mut self, a: (&'t Term, Option<usize>), b: (&'t Term, Option<usize>)) -> Option<usize> {
            self.0.push(format!("{}{BIGRAM_SEPARATOR}{}", a.0, b.0));
            Some(self.0.len() - 1)
        }
    }

    fn features(subject: &str, body: &str, cfg: &FeatureConfig) -> Vec<(String, f32)> {
        let terms = |s: &str| s.split_whitespace().map(Term::from).collect::<Vec<_>>();
        let (subject, body) = (terms(subject), terms(body));
        let mut names = Names(Vec::new());
        let mut out = Vec::new();
        extract(Fields { subject: &subject, body: &body, quoted: &[] }, cfg, &mut names, &mut out);
        out.into_iter().map(|(i, w)| (names.0[i].clone(), w)).collect()
    }

    #[test]
    fn features_are_terms_then_bigrams_per_field_with_the_field_weight() {
        let cfg = FeatureConfig { subject_weight: 2.0, bigrams: true, ..FeatureConfig::default() };
        let f = features("buca strada", "via roma buca", &cfg);
        let f: Vec<(&str, f32)> = f.iter().map(|(s, w)| (s.as_str(), *w)).collect();
        assert_eq!(
            f,
            [
                ("buca", 2.0),
                ("strada", 2.0),
                ("buca_strada", 2.0),
                ("via", 1.0),
                ("roma", 1.0),
                ("buca", 1.0),
                ("via_roma", 1.0),
                ("roma_buca", 1.0)
            ]
        );
        // Without bigrams only terms; a subject weighted 0 has no features at all.
        let cfg = FeatureConfig { subject_weight: 0.0, bigrams: false, ..FeatureConfig::default() };
        let f = features("buca strada", "via roma", &cfg);
        assert_eq!(f, [("via".to_string(), 1.0), ("roma".to_string(), 1.0)]);
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

    #[test]
    fn quoted_terms_are_a_field_of_their_own_weight_and_off_by_default() {
        let terms = |s: &str| s.split_whitespace().map(Term::from).collect::<Vec<_>>();
        let (subject, body, quoted) = (terms("tari"), terms("rimborso"), terms("pratica pronta"));
        let run = |cfg: &FeatureConfig| {
            let mut names = Names(Vec::new());
            let mut out = Vec::new();
            extract(Fields { subject: &subject, body: &body, quoted: &quoted }, cfg, &mut names, &mut out);
            out.into_iter().map(|(i, w)| (names.0[i].clone(), w)).collect::<Vec<_>>()
        };
        let off = run(&FeatureConfig::default());
        assert_eq!(off, [("tari".to_string(), 2.0), ("rimborso".to_string(), 1.0)]);
        let on = run(&FeatureConfig { quote_weight: 0.5, ..FeatureConfig::default() });
        assert_eq!(&on[2..], [("pratica".to_string(), 0.5), ("pronta".to_string(), 0.5)]);
    }
}
