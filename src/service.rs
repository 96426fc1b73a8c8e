//! Glue between the pure pipeline and the store: an [`Outcome`] becomes a [`StoredMessage`], and
//! batches of raw messages are processed (in parallel) and written with their checkpoint. Used by
//! `ingest` (local archives) and the IMAP daemon. Synchronous: the daemon calls it through
//! `spawn_blocking`.

use rayon::prelude::*;

use crate::pipeline::{Engine, Outcome, process};
use crate::source::RawMessage;
use crate::store::{BatchResult, Checkpoint, Location, RunTotals, Store, StoreError, StoredMessage};
use crate::text::with_analyzer;

/// Converts an outcome for the store.
pub fn stored(engine: &Engine, o: &Outcome, location: Location) -> StoredMessage {
    let c = &engine.classifier;
    let d = &o.decision;
    let status = if o.skipped.is_some() {
        "skipped"
    } else if o.exclusion.is_some() {
        "excluded"
    } else {
        "classified"
    };
    StoredMessage {
        content_key: o.content_key.clone(),
        message_date: o.date.and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok()),
        date_source: o.date_source.as_str(),
        year: o.date.map(|d| d.year()),
        month: o.date.map(|d| u8::from(d.month())),
        channel: o.channel.as_str(),
        status,
        topic: c.taxonomy().topic(d.topic).id.clone(),
        confidence: d.confidence,
        decided_by: if o.exclusion.is_some() { "exclusion" } else { d.decided_by.as_str() },
        review: status == "classified" && d.review,
        review_reasons: if status == "classified" { d.review_reasons.join(",") } else { String::new() },
        tipologia: (status == "classified").then(|| d.tipologia.as_ref().map(|t| t.0.clone())).flatten(),
        exclusion: o.exclusion.map(|e| e.reason.as_str()),
        exclusion_strong: o.exclusion.map(|e| e.strong),
        skip_reason: o.skipped.as_ref().map(ToString::to_string),
        taxonomy: c.taxonomy().id.clone(),
        rules_version: c.rules().map(|r| r.rules_version.clone()),
        model_version: c.model().map(|m| m.header().version.clone()),
        snippet: o.snippet.clone(),
        sender_domain: o.sender_domain.clone(),
        explanation: (status != "skipped").then(|| explanation(engine, o)),
        location,
    }
}

/// The decision's explanation as stored: top topics with scores, rules that fired, model terms.
fn explanation(engine: &Engine, o: &Outcome) -> String {
    let t = engine.classifier.taxonomy();
    let d = &o.decision;
    serde_json::json!({
        "top": d.top.iter().map(|(id, s)| serde_json::json!({"topic": t.topic(*id).id, "score": s})).collect::<Vec<_>>(),
        "rules": d.rule_hits.iter().map(|h| serde_json::json!({
            "topic": t.topic(h.topic).id, "rule": h.rule, "kind": h.kind.as_str(), "field": h.field.as_str(), "weight": h.weight
        })).collect::<Vec<_>>(),
        "terms": d.model_terms.iter().map(|(term, w)| serde_json::json!({"term": term, "weight": w})).collect::<Vec<_>>(),
        "exclusion_signal": o.exclusion.map(|e| e.signal),
        "review_reasons": d.review_reasons,
    })
    .to_string()
}

/// Processes raw messages in parallel (output in input order).
pub fn process_all(engine: &Engine, raws: &[RawMessage], now: i64) -> Vec<Outcome> {
    let lang = engine.classifier.language();
    raws.par_iter().map(|raw| with_analyzer(lang, |a| process(engine, a, raw, now))).collect()
}

/// Writes processed messages with their locations, advancing `checkpoint` in the same
/// transaction, and adds them to the run totals.
pub fn write(
    store: &mut Store,
    run: i64,
    messages: Vec<StoredMessage>,
    checkpoint: Option<(&str, &str, Checkpoint)>,
    totals: &mut RunTotals,
) -> Result<BatchResult, StoreError> {
    let r = store.write_batch(run, &messages, checkpoint)?;
    for m in &messages {
        totals.count(m);
    }
    totals.duplicates += r.duplicates;
    Ok(r)
}

/// Location of a local file message: `path` or `path#index` (mbox).
pub fn local_location(source: &str) -> Location {
    let (path, uid) = match source.rsplit_once('#') {
        Some((p, i)) if i.chars().all(|c| c.is_ascii_digit()) && !i.is_empty() => (p, i.parse().unwrap_or(0)),
        _ => (source, 0),
    };
    Location { account: String::new(), mailbox: path.to_string(), uidvalidity: 0, uid }
}
