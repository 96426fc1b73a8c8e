//! `urpmail classify`: messages in, one JSON line per message out, in input order whatever the
//! thread count.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use super::{Error, ModelChoice, RulesChoice, build_classifier, exclusions_of, now, thread_pool};
use crate::output::ClassifyRecord;
use crate::parse::Limits;
use crate::pipeline::{Engine, Verdict, process};
use crate::source::local;
use crate::text::with_analyzer;

/// Arguments of `classify`.
#[derive(Debug, Clone)]
pub struct Args {
    pub paths: Vec<PathBuf>,
    pub model: ModelChoice,
    pub rules: RulesChoice,
    pub explain: bool,
    pub threads: usize,
    pub limits: Limits,
    pub progress: bool,
}

/// Totals of a run, for the log line at the end.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    pub messages: u64,
    pub classified: u64,
    pub excluded: u64,
    pub skipped: u64,
    pub review: u64,
}

const BATCH: usize = 512;

/// Runs the command, writing JSON Lines to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<Totals, Error> {
    let classifier = build_classifier(&args.model, &args.rules)?;
    let engine = Engine {
        exclusions: exclusions_of(&classifier),
        classifier,
        limits: args.limits.clone(),
        snippets: false,
    };
    let items = local::expand(&args.paths)?;
    let pool = thread_pool(args.threads)?;
    let lang = engine.classifier.language();
    let rules_version = engine.classifier.rules().map(|r| r.rules_version.clone());
    let model_version = engine.classifier.model().map(|m| m.header().version.clone());
    let bar = progress_bar(args.progress, items.len() as u64);
    let now = now();
    let mut totals = Totals::default();
    let mut iter = local::messages(items, args.limits.max_message_bytes);
    let io = |e| Error::Io { context: "writing output".into(), source: e };
    loop {
        let batch: Vec<_> = iter.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let outcomes: Vec<_> = pool.install(|| {
            batch.par_iter().map(|raw| with_analyzer(lang, |a| process(&engine, a, raw, now))).collect()
        });
        for o in &outcomes {
            totals.messages += 1;
            match &o.verdict {
                Verdict::Skipped(_) => totals.skipped += 1,
                Verdict::Excluded { .. } => totals.excluded += 1,
                Verdict::Classified(d) => {
                    totals.classified += 1;
                    totals.review += u64::from(d.review);
                }
            }
            let rec = ClassifyRecord::new(
                o,
                engine.classifier.taxonomy(),
                rules_version.as_deref(),
                model_version.as_deref(),
                args.explain,
            );
            serde_json::to_writer(&mut *out, &rec).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
        }
        bar.inc(batch.len() as u64);
    }
    out.flush().map_err(io)?;
    bar.finish_and_clear();
    tracing::info!(
        messages = totals.messages,
        classified = totals.classified,
        excluded = totals.excluded,
        skipped = totals.skipped,
        review = totals.review,
        "classify finished"
    );
    Ok(totals)
}

/// A progress bar on stderr, hidden when not wanted or stderr is not a terminal.
pub fn progress_bar(enabled: bool, len: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} {wide_bar} {eta}") {
        bar.set_style(style);
    }
    bar
}
