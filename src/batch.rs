//! Glue between the pure pipeline and the store: an [`Outcome`] becomes a [`StoredMessage`], and
//! batches of raw messages are processed (in parallel) and written with their checkpoint. Used by
//! `ingest` (local archives) and the IMAP daemon. Synchronous: the daemon calls it through
//! `spawn_blocking`.

use rayon::prelude::*;

use crate::classify::Decision;
use crate::pipeline::{Engine, Outcome, process};
use crate::source::RawMessage;
use crate::store::{Advance, BatchResult, Location, RunTotals, Store, StoreError, StoredMessage};
use crate::text::with_analyzer;

/// Converts an outcome for the store.
pub(crate) fn stored(engine: &Engine, o: &Outcome, location: Location) -> StoredMessage {
    let c = &engine.classifier;
    let topic_id = |d: &Decision| c.taxonomy().topic(d.topic).id.clone();
    let classified = o.classified();
    StoredMessage {
        content_key: o.content_key.clone(),
        message_date: o.date.and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok()),
        date_source: o.date_source.as_str(),
        year: o.date.map(|d| d.year()),
        month: o.date.map(|d| u8::from(d.month())),
        channel: o.channel,
        status: o.status(),
        topic: o.decision().map(topic_id),
        confidence: o.decision().map(|d| d.confidence),
        decided_by: o.decided_by(),
        review: classified.is_some_and(|d| d.review),
        review_reasons: classified.map(|d| d.review_reasons.clone()).unwrap_or_default(),
        tipologia: classified.and_then(|d| d.tipologia.as_ref().map(|t| t.0.clone())),
        exclusion: o.exclusion().map(|e| (e.reason, e.strong)),
        skip: o.skip().cloned(),
        taxonomy: c.taxonomy().id.clone(),
        rules_version: c.rules().map(|r| r.rules_version.clone()),
        model_version: c.model().map(|m| m.header().version.clone()),
        snippet: o.snippet.clone(),
        sender_domain: o.sender_domain.clone(),
        explanation: o.decision().map(|d| explanation(engine, o, d)),
        location,
    }
}

/// The decision's explanation as stored: top topics with scores, rules that fired, model terms.
///
/// Serialized straight from borrowed fields (no intermediate `serde_json::Value`): this runs once
/// per message. Fields are declared in alphabetical order, the order the stored JSON has always
/// had, so stored explanations stay byte-identical across versions.
fn explanation(engine: &Engine, o: &Outcome, d: &Decision) -> String {
    #[derive(serde::Serialize)]
    struct Stored<'a> {
        exclusion_signal: Option<&'static str>,
        review_reasons: Vec<&'static str>,
        rules: Vec<StoredRule<'a>>,
        terms: Vec<StoredTerm<'a>>,
        top: Vec<StoredTop<'a>>,
    }
    #[derive(serde::Serialize)]
    struct StoredRule<'a> {
        field: &'static str,
        kind: &'static str,
        rule: &'a str,
        topic: &'a str,
        weight: f64,
    }
    #[derive(serde::Serialize)]
    struct StoredTerm<'a> {
        term: &'a str,
        weight: f64,
    }
    #[derive(serde::Serialize)]
    struct StoredTop<'a> {
        score: f64,
        topic: &'a str,
    }
    let t = engine.classifier.taxonomy();
    let stored = Stored {
        exclusion_signal: o.exclusion().map(|e| e.signal),
        review_reasons: d.review_reasons.iter().map(|r| r.as_str()).collect(),
        rules: d
            .rule_hits
            .iter()
            .map(|h| StoredRule {
                field: h.field.as_str(),
                kind: h.kind.as_str(),
                rule: &h.rule,
                topic: &t.topic(h.topic).id,
                weight: h.weight,
            })
            .collect(),
        terms: d.model_terms.iter().map(|(term, weight)| StoredTerm { term, weight: *weight }).collect(),
        top: d.top.iter().map(|(id, score)| StoredTop { score: *score, topic: &t.topic(*id).id }).collect(),
    };
    // Serializing plain strings and numbers into a String cannot fail.
    serde_json::to_string(&stored).unwrap_or_default()
}

/// Processes raw messages in parallel and converts each outcome for the store, with the
/// location its source gave it, also in parallel (output in input order).
pub(crate) fn process_all(engine: &Engine, raws: &[RawMessage], now: i64) -> Vec<StoredMessage> {
    let lang = engine.classifier.language();
    raws.par_iter()
        .map(|raw| {
            let o = with_analyzer(lang, |a| process(engine, a, raw, now));
            stored(engine, &o, raw.location.clone())
        })
        .collect()
}

/// Writes processed messages with their locations, advancing `checkpoint` in the same
/// transaction, and adds them to the run totals.
pub(crate) fn write(
    store: &mut Store,
    run: i64,
    messages: Vec<StoredMessage>,
    checkpoint: Option<Advance<'_>>,
    totals: &mut RunTotals,
) -> Result<BatchResult, StoreError> {
    let r = store.write_batch(run, &messages, checkpoint)?;
    for m in &messages {
        totals.count(m);
    }
    totals.duplicates += r.duplicates;
    Ok(r)
}
