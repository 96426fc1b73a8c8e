//! `urpmail demo`: the main job on the built-in sample mailbox. Records it in a store (a fresh
//! one in a temporary folder, or `--store`), then prints the theme table of the latest year
//! against the previous one. Uses the built-in rules and model.

use std::path::{Path, PathBuf};

use super::{
    Error, ModelChoice, RulesChoice, build_classifier, exclusions_of, now, store_error, thread_pool,
};
use crate::batch;
use crate::defaults;
use crate::parse::Limits;
use crate::pipeline::Engine;
use crate::report::themes::{self, Provenance, Query, ThemeTable};
use crate::source::RawMessage;
use crate::store::{Location, RunStatus, RunTotals, Store, StoreTarget};

/// What the demo produced.
#[derive(Debug)]
pub struct Demo {
    pub table: ThemeTable,
    pub text: String,
    pub store: PathBuf,
    pub folder: PathBuf,
    pub review: PathBuf,
    pub chart: PathBuf,
}

/// Runs the demo. Without `store`, a new folder under the system temp dir holds the store.
pub fn run(store: Option<&Path>, threads: usize) -> Result<Demo, Error> {
    let classifier = build_classifier(&ModelChoice::Default, &RulesChoice::Default)?;
    let engine = Engine {
        exclusions: exclusions_of(&classifier),
        classifier,
        limits: Limits::default(),
        snippets: true,
    };
    let mailbox = defaults::sample_mailbox();
    if mailbox.is_empty() {
        return Err(Error::Input(
            "this urpmail was built without the sample mailbox (samples/mailbox)".into(),
        ));
    }
    let (store_path, folder) = match store {
        Some(p) => (p.to_path_buf(), p.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)),
        None => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!("urpmail-demo-{}-{stamp}", std::process::id()));
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::Io { context: format!("creating {}", dir.display()), source: e })?;
            (dir.join("urpmail.db"), dir)
        }
    };
    let target = StoreTarget::File(store_path.clone());
    let store_error = store_error(&target);
    let mut st = Store::open(&target).map_err(store_error)?;
    let run = st.begin_run("ingest").map_err(store_error)?;
    let raws: Vec<RawMessage> = mailbox
        .iter()
        .map(|(name, bytes)| RawMessage {
            location: Location::Sample { name: name.to_string() },
            bytes: Ok(bytes.to_vec()),
            seen_at: None,
        })
        .collect();
    let pool = thread_pool(threads)?;
    let stored = pool.install(|| batch::process_all(&engine, &raws, now()));
    let mut totals = RunTotals::default();
    batch::write(&mut st, run, stored, None, &mut totals).map_err(store_error)?;
    st.finish_run(run, &totals, RunStatus::Ok, None).map_err(store_error)?;
    let rows = st.counts().map_err(store_error)?;
    let years = themes::years(&rows);
    let Some(&year) = years.last() else {
        return Err(Error::Input("the sample mailbox has no dated messages".into()));
    };
    let compare: Vec<i32> = years.iter().rev().nth(1).copied().into_iter().collect();
    let c = &engine.classifier;
    let prov = Provenance {
        ente: None,
        source: format!("casella di esempio integrata ({} messaggi)", mailbox.len()),
        taxonomy: c.taxonomy().id.clone(),
        rules_version: c.rules().map(|r| r.rules_version.clone()),
        model_version: c.model().map(|m| m.header().version.clone()),
    };
    let table = themes::build(
        &rows,
        c.taxonomy(),
        &Query { year, compare, by: None, min_cell: None, mapping: None },
        prov,
    );
    let text = themes::to_text(&table);
    drop(st);
    // The rest of the main job: the review file staff fill in, and the chart for reports.
    let review_path = folder.join("review.json");
    let file =
        super::report::review(&super::report::ReviewArgs::defaults(target.clone(), RulesChoice::Default))?;
    let json = serde_json::to_string_pretty(&file).unwrap_or_default() + "\n";
    super::report::write_file(&review_path, json.as_bytes())?;
    let chart = folder.join(format!("temi-{year}.svg"));
    super::report::write_chart(&table, &chart)?;
    Ok(Demo { table, text, store: store_path, folder, review: review_path, chart })
}
