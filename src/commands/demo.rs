//! `urpmail demo`: classifies the built-in sample mailbox with the built-in rules and model and
//! prints the e-mail theme table of the latest year against the previous one.

use rayon::prelude::*;

use super::{Error, ModelChoice, RulesChoice, build_classifier, exclusions_of, now, thread_pool};
use crate::defaults;
use crate::parse::Limits;
use crate::pipeline::{Engine, Outcome, process};
use crate::report::themes::{Provenance, Tally, render_text};
use crate::source::RawMessage;
use crate::text::Analyzer;

/// Runs the demo and returns the table text.
pub fn run(threads: usize) -> Result<String, Error> {
    let classifier = build_classifier(&ModelChoice::Default, &RulesChoice::Default)?;
    let engine = Engine {
        exclusions: exclusions_of(&classifier),
        classifier,
        limits: Limits::default(),
        snippets: false,
    };
    let mailbox = defaults::sample_mailbox();
    if mailbox.is_empty() {
        return Err(Error::Input(
            "this urpmail was built without the sample mailbox (samples/mailbox)".into(),
        ));
    }
    let pool = thread_pool(threads)?;
    let lang = engine.classifier.language();
    let now = now();
    let outcomes: Vec<Outcome> = pool.install(|| {
        mailbox
            .par_iter()
            .map_init(
                || Analyzer::new(lang),
                |a, (name, bytes)| {
                    let raw =
                        RawMessage { source: (*name).to_string(), bytes: Ok(bytes.to_vec()), seen_at: None };
                    process(&engine, a, &raw, now)
                },
            )
            .collect()
    });
    let tally = tally(&outcomes);
    let Some(&year) = tally.years.keys().next_back() else {
        return Err(Error::Input("the sample mailbox has no dated messages".into()));
    };
    let previous = tally.years.range(..year).next_back().map(|(y, _)| *y);
    let prov = Provenance {
        source: format!("casella di esempio integrata ({} messaggi)", mailbox.len()),
        taxonomy: engine.classifier.taxonomy().id.clone(),
        rules_version: engine.classifier.rules().map(|r| r.rules_version.clone()),
        model_version: engine.classifier.model().map(|m| m.header().version.clone()),
    };
    Ok(render_text(engine.classifier.taxonomy(), &tally, year, previous, &prov))
}

/// Counts outcomes per year of the message date (local date in the message's own offset).
pub fn tally(outcomes: &[Outcome]) -> Tally {
    let mut t = Tally::default();
    for o in outcomes {
        let Some(date) = o.date else {
            t.undated += 1;
            continue;
        };
        let y = t.years.entry(date.year()).or_default();
        y.saw_month(u8::from(date.month()));
        if o.skipped.is_some() {
            y.skipped += 1;
        } else if let Some(e) = o.exclusion {
            *y.excluded.entry(e.reason).or_insert(0) += 1;
        } else {
            *y.by_topic.entry(o.decision.topic).or_insert(0) += 1;
            *y.by_channel.entry(o.channel).or_insert(0) += 1;
            y.review += u64::from(o.decision.review);
        }
    }
    t
}
