//! Keyword rules: the versioned rules file (taxonomy, per-topic keywords, weak terms, weighted
//! terms, regex patterns, the comune's own names, exclusion settings, tipologia cues), its
//! validation with file and line in every error, and matching through the analyzer's
//! normalisation (elisions, accents, stems), so `dell'anagrafe` hits the rule `anagrafe`.

use std::path::Path;

use regex::Regex;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::features::{AnalyzedText, fold_text};
use super::taxonomy::{Taxonomy, Topic, TopicId, hex};
use crate::parse::exclude::ExclusionConfig;
use crate::text::{Analyzer, Language};

/// The rules file format this build reads.
pub const FORMAT_VERSION: u32 = 1;
/// Weight of a weak (ambiguous) term.
pub const WEAK_WEIGHT: f64 = 0.35;

/// A rules-file error: which file, which line, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct RulesError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    format_version: Spanned<u32>,
    rules_version: Spanned<String>,
    #[serde(default = "default_language")]
    language: Spanned<String>,
    taxonomy: RawTaxonomy,
    #[serde(default)]
    decision: RawDecision,
    #[serde(default)]
    comune: RawComune,
    topic: Vec<RawTopic>,
    #[serde(default)]
    tipologia: Vec<RawTipologia>,
}

fn default_language() -> Spanned<String> {
    Spanned::new(0..0, "it".to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxonomy {
    id: Spanned<String>,
    fallback: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecision {
    #[serde(default = "default_min_model_confidence")]
    min_model_confidence: Spanned<f64>,
    #[serde(default = "default_subject_boost")]
    subject_boost: Spanned<f64>,
}

impl Default for RawDecision {
    fn default() -> Self {
        RawDecision {
            min_model_confidence: default_min_model_confidence(),
            subject_boost: default_subject_boost(),
        }
    }
}

fn default_min_model_confidence() -> Spanned<f64> {
    Spanned::new(0..0, 0.3)
}
fn default_subject_boost() -> Spanned<f64> {
    Spanned::new(0..0, 1.5)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawComune {
    #[serde(default)]
    name: String,
    #[serde(default)]
    internal_domains: Vec<Spanned<String>>,
    #[serde(default)]
    internal_addresses: Vec<Spanned<String>>,
    #[serde(default)]
    names: Vec<RawName>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawName {
    term: Spanned<String>,
    topic: Spanned<String>,
    #[serde(default)]
    weak: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    id: Spanned<String>,
    label: Spanned<String>,
    #[serde(default)]
    keywords: Vec<Spanned<String>>,
    #[serde(default)]
    weak: Vec<Spanned<String>>,
    #[serde(default)]
    weighted: Vec<RawWeighted>,
    #[serde(default)]
    patterns: Vec<RawPattern>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeighted {
    term: Spanned<String>,
    weight: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    regex: Spanned<String>,
    #[serde(default = "one")]
    weight: Spanned<f64>,
}

fn one() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTipologia {
    id: Spanned<String>,
    label: String,
    #[serde(default)]
    cues: Vec<Spanned<String>>,
}

/// Where a rule came from, for explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Keyword,
    Weak,
    Weighted,
    Pattern,
    ComuneName,
}

impl RuleKind {
    /// Stable identifier used in explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Keyword => "keyword",
            RuleKind::Weak => "weak",
            RuleKind::Weighted => "weighted",
            RuleKind::Pattern => "pattern",
            RuleKind::ComuneName => "comune-name",
        }
    }
}

#[derive(Debug, Clone)]
struct TermRule {
    topic: TopicId,
    seq: Vec<String>,
    weight: f64,
    /// Can decide a topic on its own.
    decisive: bool,
    kind: RuleKind,
    source: String,
}

#[derive(Debug, Clone)]
struct PatternRule {
    topic: TopicId,
    /// Compiled on its own only when the rule set's patterns could not be compiled as one set.
    regex: Option<Regex>,
    weight: f64,
    source: String,
    line: Option<usize>,
}

/// Request-type cues.
#[derive(Debug, Clone)]
pub struct Tipologia {
    pub id: String,
    pub label: String,
    cues: Vec<String>,
}

/// Decision parameters from the rules file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecisionParams {
    pub min_model_confidence: f64,
    pub subject_boost: f64,
}

/// Which part of the message a rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Subject,
    Body,
}

impl Field {
    /// Stable identifier used in explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Subject => "subject",
            Field::Body => "body",
        }
    }
}

/// One rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    pub topic: TopicId,
    /// The rule as written in the file.
    pub rule: String,
    pub kind: RuleKind,
    pub field: Field,
    pub weight: f64,
    pub decisive: bool,
}

/// What the rules say about a message.
#[derive(Debug, Clone, Default)]
pub struct RuleEvidence {
    /// Summed weights per topic.
    pub scores: Vec<f64>,
    /// Per topic: at least one decisive rule fired.
    pub decisive: Vec<bool>,
    pub hits: Vec<RuleHit>,
}

impl RuleEvidence {
    /// Evidence per model label, `ln(1 + score)` of each label's topic: what the model's
    /// calibration and decisions add to its logits.
    pub fn label_evidence(&self, label_topics: impl IntoIterator<Item = usize>) -> Vec<f64> {
        label_topics.into_iter().map(|t| self.scores[t].ln_1p()).collect()
    }

    /// The topic with the highest score among those with decisive evidence.
    pub fn decisive_top(&self) -> Option<(TopicId, f64)> {
        let mut best: Option<(TopicId, f64)> = None;
        for (i, (&s, &d)) in self.scores.iter().zip(&self.decisive).enumerate() {
            if d && best.is_none_or(|(_, b)| s > b) {
                best = Some((TopicId(i as u16), s));
            }
        }
        best
    }

    /// True when any rule fired.
    pub fn any(&self) -> bool {
        !self.hits.is_empty()
    }
}

/// A loaded, validated rules file.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules_version: String,
    /// Short content hash of the file.
    pub hash: String,
    pub language: Language,
    pub taxonomy: Taxonomy,
    pub decision: DecisionParams,
    pub exclusions: ExclusionConfig,
    pub comune_name: String,
    terms: Vec<TermRule>,
    first: FxHashMap<String, Vec<usize>>,
    patterns: Vec<PatternRule>,
    /// All patterns in one set: one pass over the text instead of one per pattern.
    pattern_set: Option<regex::RegexSet>,
    tipologie: Vec<Tipologia>,
    tipologia_fallback: Option<usize>,
    /// All cues in one automaton (pattern i = `cue_index[i]`): one pass over the text.
    cue_matcher: Option<aho_corasick::AhoCorasick>,
    cue_index: Vec<(usize, usize)>,
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    /// Byte offsets of the text's newlines: every term rule records its line, so a line is a
    /// binary search, not a count from the start of the file.
    newlines: Vec<usize>,
}

impl<'a> Ctx<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        Ctx { file, text, newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect() }
    }

    fn line(&self, offset: usize) -> Option<usize> {
        // Same as `line_of` (a newline is never inside a character).
        (offset > 0 || self.text.is_empty()).then(|| self.newlines.partition_point(|&n| n < offset) + 1)
    }
    fn err<T>(&self, span: std::ops::Range<usize>, message: String) -> Result<T, RulesError> {
        Err(RulesError { file: self.file.to_string(), line: self.line(span.start), message })
    }
}

impl RuleSet {
    /// Reads and validates a rules file.
    pub fn load(path: &Path) -> Result<RuleSet, RulesError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RulesError {
            file: file.clone(),
            line: None,
            message: format!("cannot read rules file: {e}"),
        })?;
        RuleSet::parse(&text, &file)
    }

    /// Validates rules text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<RuleSet, RulesError> {
        // Editors on Windows save UTF-8 with a byte-order mark; TOML does not allow one.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let ctx = Ctx::new(file, text);
        let raw: RawRules = toml::from_str(text).map_err(|e| RulesError {
            file: file.to_string(),
            line: e.span().and_then(|s| ctx.line(s.start.max(1))),
            message: e.message().trim().to_string(),
        })?;
        if *raw.format_version.get_ref() != FORMAT_VERSION {
            return ctx.err(
                raw.format_version.span(),
                format!(
                    "format_version {} is not supported: this urpmail reads format_version {FORMAT_VERSION}",
                    raw.format_version.get_ref()
                ),
            );
        }
        if raw.rules_version.get_ref().trim().is_empty() {
            return ctx.err(
                raw.rules_version.span(),
                "rules_version must not be empty: set e.g. \"1.0.0\" and bump it on every change".into(),
            );
        }
        let language = Language::parse(raw.language.get_ref()).map_or_else(
            || {
                ctx.err(
                    raw.language.span(),
                    format!("unknown language {:?}: use \"it\" or \"en\"", raw.language.get_ref()),
                )
            },
            Ok,
        )?;
        let d = &raw.decision;
        if !(0.0..=1.0).contains(d.min_model_confidence.get_ref()) {
            return ctx.err(
                d.min_model_confidence.span(),
                "decision.min_model_confidence must be between 0 and 1".into(),
            );
        }
        if !(*d.subject_boost.get_ref() >= 1.0 && *d.subject_boost.get_ref() <= 10.0) {
            return ctx.err(d.subject_boost.span(), "decision.subject_boost must be between 1 and 10".into());
        }

        // Taxonomy.
        let mut topics: Vec<Topic> = Vec::new();
        for t in &raw.topic {
            let id = t.id.get_ref();
            if !valid_id(id) {
                return ctx
                    .err(t.id.span(), format!("topic id {id:?} must be lower-case letters, digits and '-'"));
            }
            if topics.iter().any(|x| &x.id == id) {
                return ctx.err(t.id.span(), format!("topic {id:?} is defined twice"));
            }
            if t.label.get_ref().trim().is_empty() {
                return ctx.err(t.label.span(), format!("topic {id:?} needs a label"));
            }
            topics.push(Topic { id: id.clone(), label: t.label.get_ref().clone() });
        }
        if topics.len() < 2 {
            return ctx.err(0..0, "a rules file needs at least two [[topic]] entries".into());
        }
        let fallback = raw.taxonomy.fallback.get_ref();
        if !topics.iter().any(|t| &t.id == fallback) {
            return ctx.err(
                raw.taxonomy.fallback.span(),
                format!("taxonomy.fallback {fallback:?} is not a topic id defined in this file"),
            );
        }
        let taxonomy = Taxonomy::new(raw.taxonomy.id.get_ref().clone(), topics, Some(fallback));

        // Term rules.
        let mut analyzer = Analyzer::new(language);
        let mut terms: Vec<TermRule> = Vec::new();
        let mut seen: FxHashMap<Vec<String>, (TopicId, RuleKind, usize)> = FxHashMap::default();
        let mut patterns = Vec::new();
        let mut add = |spanned: &Spanned<String>,
                       topic: TopicId,
                       weight: f64,
                       decisive: bool,
                       kind: RuleKind,
                       analyzer: &mut Analyzer|
         -> Result<(), RulesError> {
            let source = spanned.get_ref().trim().to_string();
            let seq: Vec<String> = analyzer.terms(&source).iter().map(|t| t.to_string()).collect();
            if seq.is_empty() {
                return ctx.err(spanned.span(), format!("term {source:?} has no content words after normalisation (only stop words or too short): use a more specific phrase"));
            }
            let line = ctx.line(spanned.span().start).unwrap_or(0);
            if let Some((other, other_kind, other_line)) = seen.get(&seq) {
                let shared_ok =
                    kind == RuleKind::Weighted && *other_kind == RuleKind::Weighted && *other != topic;
                if !shared_ok {
                    let where_ = if *other == topic {
                        "in the same topic".to_string()
                    } else {
                        format!("in topic {:?}", taxonomy.topic(*other).id)
                    };
                    return ctx.err(
                        spanned.span(),
                        format!(
                            "term {source:?} normalises to {seq:?}, already used {where_} at line {other_line}: a term shared by two topics must be listed under `weighted` in each, with an explicit weight"
                        ),
                    );
                }
            } else {
                seen.insert(seq.clone(), (topic, kind, line));
            }
            terms.push(TermRule { topic, seq, weight, decisive, kind, source });
            Ok(())
        };
        for t in &raw.topic {
            let topic = taxonomy.find(t.id.get_ref()).expect("topic was just added");
            for k in &t.keywords {
                add(k, topic, 1.0, true, RuleKind::Keyword, &mut analyzer)?;
            }
            for k in &t.weak {
                add(k, topic, WEAK_WEIGHT, false, RuleKind::Weak, &mut analyzer)?;
            }
            for w in &t.weighted {
                let weight = *w.weight.get_ref();
                if !(weight > 0.0 && weight <= 3.0) {
                    return ctx.err(w.weight.span(), format!("weight {weight} must be > 0 and <= 3"));
                }
                add(&w.term, topic, weight, false, RuleKind::Weighted, &mut analyzer)?;
            }
            for p in &t.patterns {
                let weight = *p.weight.get_ref();
                if !(weight > 0.0 && weight <= 3.0) {
                    return ctx.err(p.weight.span(), format!("weight {weight} must be > 0 and <= 3"));
                }
                // Syntax only here (cheap); the patterns are compiled together below.
                let line = ctx.line(p.regex.span().start);
                if let Err(e) = regex_syntax::Parser::new().parse(p.regex.get_ref()) {
                    return Err(invalid_regex(file, line, p.regex.get_ref(), &e.to_string()));
                }
                patterns.push(PatternRule {
                    topic,
                    regex: None,
                    weight,
                    source: p.regex.get_ref().clone(),
                    line,
                });
            }
        }
        for n in &raw.comune.names {
            let topic = taxonomy.find(n.topic.get_ref()).map_or_else(
                || {
                    ctx.err(
                        n.topic.span(),
                        format!(
                            "unknown topic id {:?} (defined topics: {})",
                            n.topic.get_ref(),
                            ids(&taxonomy)
                        ),
                    )
                },
                Ok,
            )?;
            let (w, decisive) = if n.weak { (WEAK_WEIGHT, false) } else { (1.0, true) };
            add(&n.term, topic, w, decisive, RuleKind::ComuneName, &mut analyzer)?;
        }
        let mut first: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (i, r) in terms.iter().enumerate() {
            first.entry(r.seq[0].clone()).or_default().push(i);
        }

        // Exclusion settings.
        for d in &raw.comune.internal_domains {
            let v = d.get_ref();
            if v.is_empty() || v.contains('@') || v.contains(' ') || !v.contains('.') {
                return ctx.err(
                    d.span(),
                    format!("internal domain {v:?} must be a domain like \"comune.example.it\""),
                );
            }
        }
        for a in &raw.comune.internal_addresses {
            if !a.get_ref().contains('@') {
                return ctx
                    .err(a.span(), format!("internal address {:?} must be an e-mail address", a.get_ref()));
            }
        }
        let exclusions = ExclusionConfig {
            internal_domains: raw
                .comune
                .internal_domains
                .iter()
                .map(|d| d.get_ref().to_ascii_lowercase())
                .collect(),
            internal_addresses: raw
                .comune
                .internal_addresses
                .iter()
                .map(|d| d.get_ref().to_ascii_lowercase())
                .collect(),
        };

        // Tipologia.
        let mut tipologie: Vec<Tipologia> = Vec::new();
        for t in &raw.tipologia {
            if tipologie.iter().any(|x| &x.id == t.id.get_ref()) {
                return ctx.err(t.id.span(), format!("tipologia {:?} is defined twice", t.id.get_ref()));
            }
            let mut cues = Vec::new();
            for c in &t.cues {
                let folded = fold_text(c.get_ref(), 1024);
                if folded.trim().is_empty() {
                    return ctx.err(c.span(), format!("cue {:?} is empty after normalisation", c.get_ref()));
                }
                cues.push(folded);
            }
            tipologie.push(Tipologia { id: t.id.get_ref().clone(), label: t.label.clone(), cues });
        }
        let tipologia_fallback = tipologie.iter().position(|t| t.cues.is_empty());
        let cue_index: Vec<(usize, usize)> = tipologie
            .iter()
            .enumerate()
            .flat_map(|(ti, t)| (0..t.cues.len()).map(move |ci| (ti, ci)))
            .collect();
        let cue_matcher = if cue_index.is_empty() {
            None
        } else {
            let patterns = cue_index.iter().map(|&(ti, ci)| tipologie[ti].cues[ci].as_str());
            // A DFA: a few hundred bytes of cues, searched in every message.
            let built = aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(patterns);
            Some(built.map_err(|e| RulesError {
                file: file.to_string(),
                line: None,
                message: format!("tipologia cues: {e}"),
            })?)
        };

        // All patterns run as one set. Each pattern gets its own regex only when the set cannot
        // be built: that names the pattern at fault, or keeps a set too large to compile working.
        let mut pattern_set = None;
        if !patterns.is_empty() {
            pattern_set = regex::RegexSetBuilder::new(patterns.iter().map(|p| p.source.as_str()))
                .size_limit((1 << 20) * patterns.len())
                .build()
                .ok();
            if pattern_set.is_none() {
                for p in &mut patterns {
                    let regex = regex::RegexBuilder::new(&p.source)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| invalid_regex(file, p.line, &p.source, &e.to_string()))?;
                    p.regex = Some(regex);
                }
            }
        }
        Ok(RuleSet {
            rules_version: raw.rules_version.get_ref().clone(),
            hash: hex(&Sha256::digest(text.as_bytes())[..6]),
            language,
            taxonomy,
            decision: DecisionParams {
                min_model_confidence: *raw.decision.min_model_confidence.get_ref(),
                subject_boost: *raw.decision.subject_boost.get_ref(),
            },
            exclusions,
            comune_name: raw.comune.name,
            terms,
            first,
            pattern_set,
            patterns,
            tipologie,
            tipologia_fallback,
            cue_matcher,
            cue_index,
        })
    }

    /// Number of term rules and pattern rules.
    pub fn rule_counts(&self) -> (usize, usize) {
        (self.terms.len(), self.patterns.len())
    }

    /// Evaluates the rules on an analysed message.
    pub fn evaluate(&self, a: &AnalyzedText) -> RuleEvidence {
        let n = self.taxonomy.len();
        let mut ev = RuleEvidence { scores: vec![0.0; n], decisive: vec![false; n], hits: Vec::new() };
        let mut fired = vec![false; self.terms.len()];
        for (field, seq) in [(Field::Subject, &a.subject), (Field::Body, &a.body)] {
            for i in 0..seq.len() {
                let Some(candidates) = self.first.get(&*seq[i]) else {
                    continue;
                };
                for &ri in candidates {
                    if fired[ri] {
                        continue;
                    }
                    let r = &self.terms[ri];
                    if seq.len() - i >= r.seq.len()
                        && seq[i..i + r.seq.len()].iter().zip(&r.seq).all(|(a, b)| **a == **b)
                    {
                        fired[ri] = true;
                        let boost = if field == Field::Subject { self.decision.subject_boost } else { 1.0 };
                        let w = r.weight * boost;
                        ev.scores[r.topic.index()] += w;
                        ev.decisive[r.topic.index()] |= r.decisive;
                        ev.hits.push(RuleHit {
                            topic: r.topic,
                            rule: r.source.clone(),
                            kind: r.kind,
                            field,
                            weight: round3(w),
                            decisive: r.decisive,
                        });
                    }
                }
            }
        }
        let set = self.pattern_set.as_ref().map(|s| s.matches(&a.folded));
        for (i, p) in self.patterns.iter().enumerate() {
            let matched = match &set {
                Some(m) => m.matched(i),
                None => p.regex.as_ref().is_some_and(|r| r.is_match(&a.folded)),
            };
            if matched {
                ev.scores[p.topic.index()] += p.weight;
                ev.decisive[p.topic.index()] = true;
                ev.hits.push(RuleHit {
                    topic: p.topic,
                    rule: p.source.clone(),
                    kind: RuleKind::Pattern,
                    field: Field::Body,
                    weight: p.weight,
                    decisive: true,
                });
            }
        }
        ev
    }

    /// The request type: the tipologia with most cues found (file order breaks ties), else the
    /// one without cues. `None` when the file defines no tipologia.
    pub fn tipologia(&self, a: &AnalyzedText) -> Option<(&Tipologia, Option<&str>)> {
        let mut found = vec![false; self.cue_index.len()];
        if let Some(m) = &self.cue_matcher {
            for hit in m.find_overlapping_iter(&a.folded) {
                found[hit.pattern().as_usize()] = true;
            }
        }
        // Per tipologia: how many distinct cues, and the first of its cues (file order) found.
        let mut per: Vec<(usize, Option<usize>)> = vec![(0, None); self.tipologie.len()];
        for (p, &(ti, ci)) in self.cue_index.iter().enumerate() {
            if found[p] {
                per[ti].0 += 1;
                per[ti].1 = Some(per[ti].1.map_or(ci, |c: usize| c.min(ci)));
            }
        }
        let mut best: Option<(usize, usize, usize)> = None;
        for (ti, &(n, first)) in per.iter().enumerate() {
            if let (true, Some(ci)) = (n > 0, first)
                && best.is_none_or(|(_, bn, _)| n > bn)
            {
                best = Some((ti, n, ci));
            }
        }
        match best {
            Some((ti, _, ci)) => Some((&self.tipologie[ti], Some(self.tipologie[ti].cues[ci].trim()))),
            None => self.tipologia_fallback.map(|i| (&self.tipologie[i], None)),
        }
    }

    /// The tipologia definitions, in file order.
    pub fn tipologie(&self) -> &[Tipologia] {
        &self.tipologie
    }
}

fn invalid_regex(file: &str, line: Option<usize>, regex: &str, error: &str) -> RulesError {
    RulesError {
        file: file.to_string(),
        line,
        message: format!("invalid regex {regex:?}: {}", error.lines().last().unwrap_or("")),
    }
}

/// 1-based line of a byte offset (offsets inside a character count for that character).
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].matches('\n').count() + 1
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn ids(t: &Taxonomy) -> String {
    t.topics().iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ")
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::features::{FeatureConfig, analyze};

    const OK: &str = r#"
format_version = 1
rules_version = "t1"

[taxonomy]
id = "test-1"
fallback = "altro"

[comune]
internal_domains = ["comune.example.it"]
names = [{ term = "Esempio Ambiente", topic = "ambiente" }]

[[topic]]
id = "anagrafe"
label = "Anagrafe"
keywords = ["anagrafe", "carta d'identità", "cambio di residenza"]
weak = ["residenza"]

[[topic]]
id = "ambiente"
label = "Ambiente"
keywords = ["rifiuti ingombranti"]
weighted = [{ term = "parco", weight = 0.5 }]
patterns = [{ regex = '\bdpr\s*74' }]

[[topic]]
id = "cultura"
label = "Cultura"
weighted = [{ term = "parco", weight = 0.5 }]

[[topic]]
id = "altro"
label = "Altro"

[[tipologia]]
id = "segnalazione"
label = "Segnalazione"
cues = ["segnalo"]

[[tipologia]]
id = "altro"
label = "Altro"
"#;

    fn eval(rules: &RuleSet, subject: &str, body: &str) -> RuleEvidence {
        let mut a = Analyzer::new(Language::Italian);
        rules.evaluate(&analyze(&mut a, subject, body, "", &FeatureConfig::default()))
    }

    #[test]
    fn matches_through_elisions_accents_and_stems() {
        let r = RuleSet::parse(OK, "t.toml").expect("valid");
        let ev = eval(&r, "", "Buongiorno, gli orari dell'Anagrafe?");
        assert_eq!(ev.decisive_top().map(|t| r.taxonomy.topic(t.0).id.as_str()), Some("anagrafe"));
        let ev = eval(&r, "carta di identita'", "");
        assert_eq!(ev.hits[0].rule, "carta d'identità");
        assert_eq!(ev.hits[0].field, Field::Subject);
        assert_eq!(ev.scores[0], 1.5, "subject boost");
        let ev = eval(&r, "", "per il cambio della residenza");
        assert!(ev.hits.iter().any(|h| h.rule == "cambio di residenza"));
        let ev = eval(&r, "", "ritiro dei rifiuti ingombranti da Esempio Ambiente, DPR 74/2013");
        assert_eq!(ev.hits.iter().filter(|h| h.topic == TopicId(1)).count(), 3);
    }

    #[test]
    fn weak_terms_do_not_decide_alone() {
        let r = RuleSet::parse(OK, "t.toml").expect("valid");
        let ev = eval(&r, "", "la mia residenza");
        assert!(ev.any());
        assert_eq!(ev.decisive_top(), None);
        assert_eq!(ev.scores[0], WEAK_WEIGHT);
    }

    #[test]
    fn tipologia_cues() {
        let r = RuleSet::parse(OK, "t.toml").expect("valid");
        let mut a = Analyzer::new(Language::Italian);
        let t = r
            .tipologia(&analyze(&mut a, "", "Vi segnalo una buca", "", &FeatureConfig::default()))
            .expect("tipologia");
        assert_eq!(t.0.id, "segnalazione");
        let t = r.tipologia(&analyze(&mut a, "", "grazie", "", &FeatureConfig::default())).expect("fallback");
        assert_eq!(t.0.id, "altro");
    }

    fn err(text: &str) -> RulesError {
        RuleSet::parse(text, "r.toml").expect_err("must fail")
    }

    #[test]
    fn byte_order_mark_and_odd_offsets_are_handled() {
        // Found by fuzzing: a BOM made the line computation slice inside a character.
        assert!(RuleSet::parse(&format!("\u{feff}{OK}"), "bom.toml").is_ok());
        let e = err("\u{feff}\u{feff}# urpmailt");
        assert_eq!(e.file, "r.toml");
        assert_eq!(line_of("é\né", 1), 1);
        assert_eq!(line_of("é\né", 4), 2);
    }

    #[test]
    fn errors_name_file_line_and_fix() {
        let e = err(&OK.replace(
            "keywords = [\"rifiuti ingombranti\"]",
            "keywords = [\"rifiuti ingombranti\"]\nkeyword = [\"x\"]",
        ));
        assert_eq!(e.file, "r.toml");
        assert_eq!(e.line, Some(23));
        assert!(e.message.contains("unknown field"), "{e}");

        let e = err(&OK.replace("topic = \"ambiente\"", "topic = \"rifiuti\""));
        assert_eq!(e.line, Some(11));
        assert!(e.message.contains("unknown topic id \"rifiuti\""), "{e}");

        let e = err(&OK.replace("'\\bdpr\\s*74'", "'(unclosed'"));
        assert_eq!(e.line, Some(24));
        assert!(e.message.contains("invalid regex"), "{e}");

        let e = err(&OK.replace(
            "keywords = [\"rifiuti ingombranti\"]",
            "keywords = [\"rifiuti ingombranti\", \"Anagrafe\"]",
        ));
        assert_eq!(e.line, Some(22));
        assert!(e.message.contains("already used in topic \"anagrafe\" at line 16"), "{e}");
        assert!(e.message.contains("weighted"), "{e}");

        let e = err(&OK.replace(
            "weak = [\"residenza\"]",
            "weak = [\"residenze\"]\nweighted = [{ term = \"residenza\", weight = 1.0 }]",
        ));
        assert!(e.message.contains("same topic"), "{e}");

        let e = err(&OK.replace("fallback = \"altro\"", "fallback = \"nessuno\""));
        assert_eq!(e.line, Some(7));

        let e = err(&OK.replace("format_version = 1", "format_version = 2"));
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("format_version 2 is not supported"), "{e}");

        let e = err(&OK.replace("\"anagrafe\", \"carta", "\"della\", \"carta"));
        assert!(e.message.contains("no content words"), "{e}");

        let e = err("format_version = 1\nrules_version = \n");
        assert_eq!(e.line, Some(2));

        let e = err(&OK.replace("weight = 0.5 }]\npatterns", "weight = 9.0 }]\npatterns"));
        assert!(e.message.contains("must be > 0 and <= 3"), "{e}");
        assert_eq!(e.to_string().split(':').next(), Some("r.toml"));
    }
}
