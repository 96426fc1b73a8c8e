//! The pure function from a raw message to an [`Outcome`]: parse → exclusions → clean →
//! terms → decision. No I/O; the same code serves `classify`, `train`, `eval` and the daemon.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::classify::taxonomy::hex;
use crate::classify::{Classifier, Decision, features};
use crate::domain::{Channel, DecidedBy, SkipReason, Status};
use crate::parse::exclude::{Exclusion, ExclusionConfig, exclusion};
use crate::parse::pec::Envelope;
use crate::parse::{self, DateSource, Limits, ParsedMail, SourceMeta};
use crate::source::RawMessage;
use crate::text::{Analyzer, clean, redact};

/// Everything a run needs besides the messages: loaded once, shared by all threads.
#[derive(Debug)]
pub struct Engine {
    pub classifier: Classifier,
    pub exclusions: ExclusionConfig,
    pub limits: Limits,
    /// Keep a short redacted snippet of each message (`store_snippets`).
    pub snippets: bool,
}

/// What happened to one message: its facts, and the [`Verdict`].
#[derive(Debug, Clone)]
pub struct Outcome {
    pub source: String,
    /// Deduplication key: hash of the Message-ID, else of stable headers and the body start.
    pub content_key: String,
    pub message_id: Option<String>,
    pub date: Option<OffsetDateTime>,
    pub date_source: DateSource,
    pub channel: Channel,
    pub verdict: Verdict,
    pub pec_envelopes: Vec<Envelope>,
    pub pec_receipt: Option<String>,
    pub text_truncated: bool,
    /// Redacted start of the cleaned body, when the engine keeps snippets.
    pub snippet: Option<String>,
    /// Domain of the sender (never the address).
    pub sender_domain: Option<String>,
}

/// The result for one message: exactly one of classified, excluded or skipped.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// A citizen's message and its topic.
    Classified(Decision),
    /// Not a citizen's request. The decision says what the text is about (kept for review and
    /// for staff who overturn a weak exclusion); it is never counted.
    Excluded { exclusion: Exclusion, decision: Decision },
    /// Could not be read: no text, so no topic.
    Skipped(SkipReason),
}

impl Outcome {
    /// The status the store and the counts see.
    pub fn status(&self) -> Status {
        match self.verdict {
            Verdict::Classified(_) => Status::Classified,
            Verdict::Excluded { .. } => Status::Excluded,
            Verdict::Skipped(_) => Status::Skipped,
        }
    }

    /// The decision on the text, unless the message was skipped.
    pub fn decision(&self) -> Option<&Decision> {
        match &self.verdict {
            Verdict::Classified(d) | Verdict::Excluded { decision: d, .. } => Some(d),
            Verdict::Skipped(_) => None,
        }
    }

    /// The classifier's decision for a classified message only.
    pub fn classified(&self) -> Option<&Decision> {
        match &self.verdict {
            Verdict::Classified(d) => Some(d),
            _ => None,
        }
    }

    /// The exclusion of an excluded message.
    pub fn exclusion(&self) -> Option<&Exclusion> {
        match &self.verdict {
            Verdict::Excluded { exclusion, .. } => Some(exclusion),
            _ => None,
        }
    }

    /// The reason a message was skipped.
    pub fn skip(&self) -> Option<&SkipReason> {
        match &self.verdict {
            Verdict::Skipped(r) => Some(r),
            _ => None,
        }
    }

    /// What decided: the exclusion filter for excluded mail, else the classifier's evidence.
    pub fn decided_by(&self) -> Option<DecidedBy> {
        match &self.verdict {
            Verdict::Classified(d) => Some(d.decided_by),
            Verdict::Excluded { .. } => Some(DecidedBy::Exclusion),
            Verdict::Skipped(_) => None,
        }
    }
}

/// Processes one raw message. Never panics on input: unreadable bytes become a skip.
pub fn process(engine: &Engine, analyzer: &mut Analyzer, raw: &RawMessage, now: i64) -> Outcome {
    let bytes = match &raw.bytes {
        Ok(b) => b,
        Err(e) => {
            return skipped(
                raw,
                SkipReason::Unreadable(e.clone()),
                content_hash(raw.location.to_string().as_bytes()),
            );
        }
    };
    let meta = SourceMeta { seen_at: raw.seen_at, now };
    let parsed = match parse::parse(bytes, meta, &engine.limits) {
        Ok(p) => p,
        Err(reason) => return skipped(raw, reason, content_hash(bytes)),
    };
    let excluded = exclusion(&parsed, &engine.exclusions);
    let cfg = engine.classifier.features();
    let (body, quoted) = clean_parts(&parsed, cfg);
    let analyzed = features::analyze(analyzer, &parsed.subject, &body, &quoted, cfg);
    let decision = engine.classifier.decide(&analyzed);
    let snippet = engine.snippets.then(|| redact::snippet(&format!("{} - {}", parsed.subject, body), 200));
    Outcome {
        source: raw.location.to_string(),
        content_key: content_key(&parsed, bytes),
        message_id: parsed.message_id.clone(),
        date: parsed.date,
        date_source: parsed.date_source,
        channel: parsed.channel,
        verdict: match excluded {
            Some(exclusion) => Verdict::Excluded { exclusion, decision },
            None => Verdict::Classified(decision),
        },
        pec_envelopes: parsed.pec.as_ref().map(|p| p.envelopes.clone()).unwrap_or_default(),
        pec_receipt: parsed.pec.as_ref().and_then(|p| p.receipt.clone()),
        text_truncated: parsed.text_truncated,
        snippet,
        sender_domain: parsed.sender_domain().map(str::to_string),
    }
}

/// Cleans the body and analyses subject and body.
pub fn analyze_message(
    cfg: &features::FeatureConfig,
    analyzer: &mut Analyzer,
    parsed: &ParsedMail,
) -> features::AnalyzedText {
    let (body, quoted) = clean_parts(parsed, cfg);
    features::analyze(analyzer, &parsed.subject, &body, &quoted, cfg)
}

/// The cleaned body and, when the features weigh it, the text cleaning took out.
fn clean_parts(parsed: &ParsedMail, cfg: &features::FeatureConfig) -> (String, String) {
    clean::clean_parts(&parsed.body, is_forward(&parsed.subject_raw), cfg.quote_weight > 0.0)
}

/// The cleaned body of a parsed message (quotes, signatures, disclaimers out).
pub fn clean_text(parsed: &ParsedMail) -> String {
    clean::clean_body(&parsed.body, is_forward(&parsed.subject_raw))
}

/// True when the subject's first prefix is a forward (`I:`, `Fw:`, `Inoltra:`), looking
/// through PEC prefixes.
pub fn is_forward(subject_raw: &str) -> bool {
    let mut s = subject_raw.trim_start();
    loop {
        let lower = s.to_lowercase();
        if let Some(rest) =
            ["posta certificata:", "anomalia messaggio:"].iter().find_map(|p| lower.strip_prefix(p))
        {
            s = &s[s.len() - rest.len()..];
            s = s.trim_start();
            continue;
        }
        return ["i:", "fw:", "fwd:", "inoltra:", "inoltro:", "tr:", "wg:"]
            .iter()
            .any(|p| lower.starts_with(p));
    }
}

fn skipped(raw: &RawMessage, reason: SkipReason, key: String) -> Outcome {
    skipped_outcome(&raw.location.to_string(), reason, key, None, DateSource::None)
}

/// A skip for a message whose body was never fetched (over the size limit): the key and date
/// come from its header block when it parses, so the same message seen twice is one skip.
pub fn skip_from_headers(source: &str, reason: SkipReason, header: &[u8]) -> Outcome {
    let (mid, date) = parse::header_facts(header);
    let key = match &mid {
        Some(id) => {
            let mut h = Sha256::new();
            h.update(b"mid\0");
            h.update(id.trim_matches(['<', '>']).as_bytes());
            hex(&h.finalize()[..16])
        }
        None => content_hash(header),
    };
    let mut o = skipped_outcome(source, reason, key, date, DateSource::Header);
    o.message_id = mid;
    if o.date.is_none() {
        o.date_source = DateSource::None;
    }
    o
}

fn skipped_outcome(
    source: &str,
    reason: SkipReason,
    key: String,
    date: Option<OffsetDateTime>,
    date_source: DateSource,
) -> Outcome {
    Outcome {
        source: source.to_string(),
        content_key: key,
        message_id: None,
        date,
        date_source,
        channel: Channel::Email,
        verdict: Verdict::Skipped(reason),
        pec_envelopes: Vec::new(),
        pec_receipt: None,
        text_truncated: false,
        snippet: None,
        sender_domain: None,
    }
}

fn content_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes)[..16])
}

/// Message-ID when present (the same message delivered twice has the same key); otherwise a
/// hash of the sender, date, subject and body, which survive re-delivery.
fn content_key(p: &ParsedMail, bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    if let Some(id) = &p.message_id {
        h.update(b"mid\0");
        h.update(id.trim_matches(['<', '>']).as_bytes());
    } else {
        h.update(b"hdr\0");
        h.update(p.from.as_deref().unwrap_or("").as_bytes());
        h.update(b"\0");
        h.update(p.date.map(|d| d.unix_timestamp()).unwrap_or(0).to_le_bytes());
        h.update(p.subject_raw.as_bytes());
        h.update(b"\0");
        let body = p.body.trim();
        let cut = body.char_indices().nth(2000).map_or(body.len(), |(i, _)| i);
        h.update(&body.as_bytes()[..cut]);
        if p.body.trim().is_empty() {
            h.update(bytes);
        }
    }
    hex(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::is_forward;

    #[test]
    fn forward_detection_looks_through_pec_prefixes() {
        assert!(is_forward("I: bolletta"));
        assert!(is_forward("POSTA CERTIFICATA: Fw: verbale"));
        assert!(!is_forward("R: I: bolletta"));
        assert!(!is_forward("Info"));
    }
}
