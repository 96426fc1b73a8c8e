//! `urpmail report ...`: the outputs staff touch. `themes` builds the theme table from the store.

use std::path::{Path, PathBuf};

use super::{Error, RulesChoice, store_error};
use crate::config::mapping;
use crate::report::themes::{self, By, Provenance, Query, ThemeTable};
use crate::store::Store;

/// Output format of the theme table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    Csv,
    Json,
    Xlsx,
}

/// Arguments of `report themes`.
#[derive(Debug, Clone)]
pub struct ThemesArgs {
    pub store: PathBuf,
    pub rules: RulesChoice,
    pub year: Option<i32>,
    pub compare: Option<Vec<i32>>,
    pub by: Option<By>,
    pub format: Format,
    pub out: Option<PathBuf>,
    pub chart: Option<PathBuf>,
    pub min_cell: Option<u64>,
    pub mapping: Option<PathBuf>,
    pub with_accuracy: bool,
}

/// Builds the table (and writes the files asked for). Returns the table and, for text formats,
/// the text to print when there is no `--out`.
pub fn themes(args: &ThemesArgs) -> Result<(ThemeTable, Option<String>), Error> {
    if !args.store.exists() {
        return Err(Error::Input(format!(
            "{}: no store yet (run `urpmail poll` or `urpmail ingest` first)",
            args.store.display()
        )));
    }
    let store = Store::open_readonly(&args.store).map_err(store_error(&args.store))?;
    let rows = store.counts().map_err(store_error(&args.store))?;
    let years = themes::years(&rows);
    let year = match args.year {
        Some(y) => y,
        None => *years
            .last()
            .ok_or_else(|| Error::Input("the store has no classified messages with a date yet".into()))?,
    };
    let compare = match &args.compare {
        Some(c) => c.clone(),
        None => years.iter().copied().filter(|y| *y < year).max().into_iter().collect(),
    };
    let rules = args
        .rules
        .load()?
        .ok_or_else(|| Error::Input("the theme table needs the rules' taxonomy for its labels".into()))?;
    let mapping = match &args.mapping {
        // As input, not `Error::Config`: the message already names the file and line.
        Some(p) => Some(mapping::load(p, &rules.taxonomy).map_err(|e| Error::Input(e.to_string()))?),
        None => None,
    };
    let versions = versions(&store)?;
    let prov = Provenance {
        source: args.store.display().to_string(),
        taxonomy: rules.taxonomy.id.clone(),
        rules_version: versions.0,
        model_version: versions.1,
    };
    let q = Query { year, compare, by: args.by, min_cell: args.min_cell, mapping };
    let mut table = themes::build(&rows, &rules.taxonomy, &q, prov);
    if args.with_accuracy {
        table.accuracy =
            Some(themes::accuracy(&store.reviewed_outcomes(Some(year)).map_err(store_error(&args.store))?));
    }
    table.changed_since_export = store.changes_since_export(year).map_err(store_error(&args.store))?;
    drop(store);
    // A table written to a file counts as exported: later corrections to its year are flagged.
    if let Some(out) = args.out.as_ref().or(args.chart.as_ref()) {
        let mut w = Store::open(&args.store).map_err(store_error(&args.store))?;
        w.record_export(year, &out.display().to_string()).map_err(store_error(&args.store))?;
    }
    if let Some(chart) = &args.chart {
        crate::report::chart::write_chart(&table, chart).map_err(|e| Error::Input(e.to_string()))?;
        tracing::info!("chart written to {}", chart.display());
    }
    let text = match args.format {
        Format::Table => Some(themes::to_text(&table)),
        Format::Markdown => Some(themes::to_markdown(&table)),
        Format::Csv => Some(themes::to_csv(&table)),
        Format::Json => Some(serde_json::to_string_pretty(&table).unwrap_or_default() + "\n"),
        Format::Xlsx => {
            let out = args
                .out
                .as_ref()
                .ok_or_else(|| Error::Input("--format xlsx needs --out FILE.xlsx".into()))?;
            crate::report::xlsx::write_xlsx(&table, out).map_err(|e| Error::Input(e.to_string()))?;
            tracing::info!("workbook written to {}", out.display());
            None
        }
    };
    match (&text, &args.out) {
        (Some(t), Some(out)) => {
            write(out, t.as_bytes())?;
            tracing::info!("table written to {}", out.display());
            Ok((table, None))
        }
        _ => Ok((table, text)),
    }
}

/// The rules and model versions that made the stored decisions (the most frequent ones).
fn versions(store: &Store) -> Result<(Option<String>, Option<String>), Error> {
    store.decision_versions().map_err(store_error(store.path()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes)
        .map_err(|e| Error::Io { context: format!("writing {}", path.display()), source: e })
}

/// Arguments of `report review`.
#[derive(Debug, Clone)]
pub struct ReviewArgs {
    pub store: PathBuf,
    pub rules: RulesChoice,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Items at most (doubtful first).
    pub limit: usize,
    /// Confident decisions added for quality control.
    pub sample: usize,
    /// Instead of doubtful + sample: up to N confident decisions per topic (stratified sample).
    pub per_topic: Option<usize>,
    pub seed: String,
}

/// Builds the review file.
pub fn review(args: &ReviewArgs) -> Result<crate::report::review::ReviewFile, Error> {
    use crate::report::review;
    for d in [&args.since, &args.until].into_iter().flatten() {
        if time::Date::parse(d, &time::macros::format_description!("[year]-[month]-[day]")).is_err() {
            return Err(Error::Input(format!("date {d:?} must be YYYY-MM-DD")));
        }
    }
    if !args.store.exists() {
        return Err(Error::Input(format!("{}: no store yet", args.store.display())));
    }
    let rules = args
        .rules
        .load()?
        .ok_or_else(|| Error::Input("the review report needs the rules' taxonomy".into()))?;
    let store = Store::open_readonly(&args.store).map_err(store_error(&args.store))?;
    let (since, until) = (args.since.as_deref(), args.until.as_deref());
    let rows = match args.per_topic {
        Some(n) => review::stratified(
            store.confident(since, until).map_err(store_error(&args.store))?,
            n,
            &args.seed,
        ),
        None => {
            let mut rows = store.doubtful(since, until).map_err(store_error(&args.store))?;
            rows.truncate(args.limit);
            let room = args.limit.saturating_sub(rows.len()).min(args.sample);
            rows.extend(review::sample(
                store.confident(since, until).map_err(store_error(&args.store))?,
                room,
                &args.seed,
            ));
            rows
        }
    };
    let items = rows.iter().map(|r| review::item(r, &rules.taxonomy)).collect();
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Ok(review::file(items, &rules.taxonomy, now))
}
