//! `urpmail report ...`: the outputs staff touch. `themes` builds the theme table from the store.
//! This is the I/O edge of [`crate::report`], which renders to memory: files (the mapping, the
//! PNG's font, the outputs), the clock and `SOURCE_DATE_EPOCH` are read and written here.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::{Error, RulesChoice, store_error};
use crate::config::mapping;
use crate::report::ExportError;
use crate::report::chart::{self, Font, Fonts};
use crate::report::enti;
use crate::report::themes::{self, By, CsvStyle, Provenance, Query, ThemeTable};
use crate::report::xlsx;
use crate::store::Store;
use crate::store::StoreTarget;

/// Where the PNG chart's font is looked for, in order (Debian/Ubuntu, Arch, Fedora).
pub const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// Output format of the theme table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    /// CSV for Italian Excel (BOM, `;`, `,` decimals, the notes under the table).
    Csv,
    /// RFC 4180 CSV for scripts (`,`, `.` decimals, no notes).
    CsvPlain,
    Json,
    Xlsx,
}

impl Format {
    /// The format a file name asks for, by its extension (`None`: not one of ours).
    pub fn for_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "txt" => Format::Table,
            "md" => Format::Markdown,
            "csv" => Format::Csv,
            "json" => Format::Json,
            "xlsx" => Format::Xlsx,
            _ => return None,
        })
    }

    /// Whether a file with this format may carry `path`'s extension: the same format's, or none
    /// of ours (a device such as `/dev/stdout`, a name without extension).
    pub fn fits(self, path: &Path) -> bool {
        match (self, Format::for_extension(path)) {
            (Format::CsvPlain, Some(Format::Csv)) => true,
            (f, Some(g)) => f == g,
            (_, None) => true,
        }
    }

    /// The file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Markdown => "md",
            Format::Csv | Format::CsvPlain => "csv",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
        }
    }

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Markdown => "md",
            Format::Csv => "csv",
            Format::CsvPlain => "csv-plain",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
        }
    }
}

/// Arguments of `report themes`.
#[derive(Debug, Clone)]
pub struct ThemesArgs {
    pub store: StoreTarget,
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
    super::existing_store(&args.store)?;
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
    // A published table names its store by file name only: the server's folders stay private.
    let source = match args.min_cell {
        Some(_) => args.store.public_name(),
        None => args.store.to_string(),
    };
    let ente = store.ente().map_err(store_error(&args.store))?.map(|(_, name)| name);
    let prov = Provenance {
        ente,
        source,
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
    if let Some(chart) = &args.chart {
        write_chart(&table, chart)?;
        tracing::info!("chart written to {}", chart.display());
    }
    let text = rendered(args.format, &table, themes::to_text, themes::to_markdown, themes::to_csv);
    let text = deliver(args.out.as_deref(), text, |when| xlsx::to_bytes(&table, when))?;
    // A table written to a file counts as exported (later corrections to its year are
    // flagged), once the file is really there.
    if let Some(out) = args.out.as_ref().or(args.chart.as_ref()) {
        let mut w = Store::open(&args.store).map_err(store_error(&args.store))?;
        w.record_export(year, &out.display().to_string()).map_err(store_error(&args.store))?;
    }
    Ok((table, text))
}

/// A table in a text format (`None`: the workbook, which is not text).
fn rendered<T: serde::Serialize>(
    format: Format,
    t: &T,
    text: fn(&T) -> String,
    markdown: fn(&T) -> String,
    csv: fn(&T, CsvStyle) -> String,
) -> Option<String> {
    Some(match format {
        Format::Table => text(t),
        Format::Markdown => markdown(t),
        Format::Csv => csv(t, CsvStyle::Excel),
        Format::CsvPlain => csv(t, CsvStyle::Plain),
        Format::Json => serde_json::to_string_pretty(t).unwrap_or_default() + "\n",
        Format::Xlsx => return None,
    })
}

/// Writes a rendered table to `out`, or the workbook (made at `SOURCE_DATE_EPOCH`, else now)
/// when there is no text; returns the text to print when there is no `out`.
fn deliver(
    out: Option<&Path>,
    text: Option<String>,
    workbook: impl FnOnce(OffsetDateTime) -> Result<Vec<u8>, ExportError>,
) -> Result<Option<String>, Error> {
    match (text, out) {
        (Some(t), None) => Ok(Some(t)),
        (Some(t), Some(out)) => {
            write_file(out, t.as_bytes())?;
            tracing::info!("table written to {}", out.display());
            Ok(None)
        }
        (None, out) => {
            let out = out.ok_or_else(|| Error::Input("--format xlsx needs --out FILE.xlsx".into()))?;
            let bytes = workbook(workbook_time(std::env::var("SOURCE_DATE_EPOCH").ok()))
                .map_err(export_error(out))?;
            write_file(out, &bytes)?;
            tracing::info!("workbook written to {}", out.display());
            Ok(None)
        }
    }
}

/// Arguments of `report themes --all-enti`.
#[derive(Debug, Clone)]
pub struct EntiArgs {
    /// The shared database (any ente's store in it, or none).
    pub store: StoreTarget,
    pub rules: RulesChoice,
    pub year: Option<i32>,
    pub format: Format,
    pub out: Option<PathBuf>,
    pub min_cell: Option<u64>,
}

/// `report themes --all-enti`: every ente of the database side by side for a year (the latest
/// year with data in any of them unless given). Returns the text to print when there is no
/// `--out`.
pub fn themes_enti(args: &EntiArgs) -> Result<Option<String>, Error> {
    let targets = Store::enti_in(&args.store).map_err(store_error(&args.store))?;
    if targets.is_empty() {
        return Err(Error::Input(format!(
            "{}: no ente's store in this database yet (a configuration with [ente] and [store] url makes one at the first poll or ingest)",
            args.store
        )));
    }
    let mut enti = Vec::with_capacity(targets.len());
    for t in &targets {
        let store = Store::open_readonly(t).map_err(store_error(t))?;
        let (id, name) = store.ente().map_err(store_error(t))?.unwrap_or_default();
        let (rules_version, model_version) = versions(&store)?;
        enti.push(enti::EnteCounts {
            id,
            name,
            rows: store.counts().map_err(store_error(t))?,
            rules_version,
            model_version,
        });
    }
    let year = match args.year {
        Some(y) => y,
        None => enti
            .iter()
            .flat_map(|e| themes::years(&e.rows))
            .max()
            .ok_or_else(|| Error::Input("no ente has classified messages with a date yet".into()))?,
    };
    let rules = args
        .rules
        .load()?
        .ok_or_else(|| Error::Input("the table needs the rules' taxonomy for its labels".into()))?;
    let source = match args.min_cell {
        Some(_) => args.store.public_name(),
        None => args.store.to_string(),
    };
    let table = enti::build(&enti, &rules.taxonomy, year, args.min_cell, source);
    let text = rendered(args.format, &table, enti::to_text, enti::to_markdown, enti::to_csv);
    deliver(args.out.as_deref(), text, |when| xlsx::enti_to_bytes(&table, when))
}

/// The rules and model versions that made the stored decisions (the most frequent ones).
fn versions(store: &Store) -> Result<(Option<String>, Option<String>), Error> {
    store.decision_versions().map_err(store_error(store.target()))
}

/// Writes a report file. A regular file (or a new one) is replaced through a temporary file and
/// a rename, so a failed write never leaves half a workbook where the last one was; a device, a
/// pipe or a symbolic link (`--out /dev/stdout`) is written in place, as the user pointed it.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.is_file() => std::fs::write(path, bytes)
            .map_err(|e| Error::Io { context: format!("writing {}", path.display()), source: e }),
        _ => super::train::write_atomic(path, bytes),
    }
}

/// A rendering failure, named after the file it was for.
fn export_error(path: &Path) -> impl Fn(ExportError) -> Error + '_ {
    move |e| match e {
        // The font's own file is the one to fix.
        ExportError::Font(_) => Error::Input(e.to_string()),
        // The drawing library failed: not the user's input (exit 1).
        ExportError::Render(m) => Error::Export(ExportError::Render(format!("{}: {m}", path.display()))),
    }
}

/// Draws the table's chart into `path`: SVG or PNG after its extension (the PNG with the
/// system's DejaVu Sans, see [`FONT_PATHS`]).
pub fn write_chart(t: &ThemeTable, path: &Path) -> Result<(), Error> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    let bytes = match ext.as_str() {
        "svg" => chart::svg(t).map(String::into_bytes),
        "png" => chart::png(t, &read_fonts(&FONT_PATHS)?),
        _ => {
            return Err(Error::Input(format!(
                "{}: unsupported chart format {:?}: use a .svg or .png file",
                path.display(),
                path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default()
            )));
        }
    }
    .map_err(export_error(path))?;
    write_file(path, &bytes)
}

/// Reads DejaVu Sans from the first of `candidates` that exists, with its bold face when it is
/// beside it.
pub fn read_fonts(candidates: &[&str]) -> Result<Fonts, Error> {
    let path = candidates.iter().map(Path::new).find(|p| p.is_file()).ok_or_else(|| {
        Error::Input(format!(
            "a PNG chart needs the DejaVu Sans font, not found in {}: install the fonts-dejavu-core \
             package or write the chart to an .svg file",
            candidates.join(", ")
        ))
    })?;
    let read = |p: &Path| {
        std::fs::read(p)
            .map(|bytes| Font { name: p.display().to_string(), bytes })
            .map_err(|e| Error::Input(format!("{}: {e}", p.display())))
    };
    let bold = path.with_file_name("DejaVuSans-Bold.ttf");
    Ok(Fonts { regular: read(path)?, bold: if bold.is_file() { Some(read(&bold)?) } else { None } })
}

/// When a workbook is made: `SOURCE_DATE_EPOCH` (given as read from the environment) when it is
/// a timestamp, so files are reproducible; else now.
fn workbook_time(source_date_epoch: Option<String>) -> OffsetDateTime {
    source_date_epoch
        .and_then(|v| v.trim().parse::<i64>().ok())
        .and_then(|ts| OffsetDateTime::from_unix_timestamp(ts).ok())
        .unwrap_or_else(OffsetDateTime::now_utc)
}

/// Arguments of `report review`.
#[derive(Debug, Clone)]
pub struct ReviewArgs {
    pub store: StoreTarget,
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
    /// The order of the doubtful decisions (which `limit` of them the file lists).
    pub order: ReviewOrder,
}

impl ReviewArgs {
    /// `report review`'s defaults: up to 100 items, 20 of them a control sample with the seed
    /// `urpmail`, the doubtful ones that teach most first (the demo and the web page use these).
    pub fn defaults(store: StoreTarget, rules: RulesChoice) -> ReviewArgs {
        ReviewArgs {
            store,
            rules,
            since: None,
            until: None,
            limit: 100,
            sample: 20,
            per_topic: None,
            seed: "urpmail".into(),
            order: ReviewOrder::Information,
        }
    }
}

/// Which doubtful decisions the review file lists first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReviewOrder {
    /// What teaches the model most: uncertain, rules and model disagreeing, diverse (default).
    #[default]
    Information,
    /// Oldest first.
    Date,
    /// A reproducible random order (by `seed`), for comparison.
    Random,
}

/// The review queue: the decisions the review file lists, in its order (doubtful first, then
/// the control sample), with the taxonomy that labels them. Shared by `report review` and the
/// web page's review.
pub fn review_queue(
    args: &ReviewArgs,
) -> Result<(Vec<crate::store::ReviewRow>, crate::classify::taxonomy::Taxonomy), Error> {
    use crate::report::review;
    for d in [&args.since, &args.until].into_iter().flatten() {
        if time::Date::parse(d, &time::macros::format_description!("[year]-[month]-[day]")).is_err() {
            return Err(Error::Input(format!(
                "la data {d:?} non è un giorno: scrivetela come AAAA-MM-GG (per esempio 2025-03-31)"
            )));
        }
    }
    super::existing_store(&args.store)?;
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
            let doubtful = store.doubtful(since, until).map_err(store_error(&args.store))?;
            let mut rows = match args.order {
                // The doubtful decisions that teach most first (uncertainty, disagreement, diversity).
                ReviewOrder::Information => review::by_information(doubtful, args.limit),
                ReviewOrder::Date => doubtful.into_iter().take(args.limit).collect(),
                ReviewOrder::Random => review::sample(doubtful, args.limit, &args.seed),
            };
            let room = args.limit.saturating_sub(rows.len()).min(args.sample);
            rows.extend(review::sample(
                store.confident(since, until).map_err(store_error(&args.store))?,
                room,
                &args.seed,
            ));
            rows
        }
    };
    Ok((rows, rules.taxonomy))
}

/// Builds the review file.
pub fn review(args: &ReviewArgs) -> Result<crate::report::review::ReviewFile, Error> {
    use crate::report::review;
    let (rows, taxonomy) = review_queue(args)?;
    let items = rows.iter().map(|r| review::item(r, &taxonomy)).collect();
    let now =
        OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Ok(review::file(items, &taxonomy, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn missing_font_and_unknown_extensions_are_explained() {
        let e = read_fonts(&["/nonexistent/DejaVuSans.ttf"]).expect_err("no such font");
        let msg = e.to_string();
        assert!(msg.contains("install the fonts-dejavu-core package") && msg.contains(".svg file"), "{msg}");
        assert_eq!(e.exit_code(), 2);

        let dir = tempfile::tempdir().expect("tempdir");
        let e = write_chart(&fixture::table(None), &dir.path().join("temi.pdf")).expect_err("pdf");
        assert!(e.to_string().contains("\"pdf\""), "{e}");
        let e = write_chart(&fixture::table(None), &dir.path().join("temi")).expect_err("no extension");
        assert!(e.to_string().contains("unsupported chart format"), "{e}");
    }

    #[test]
    fn charts_are_written_whole_and_a_failed_write_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("temi.svg");
        std::fs::write(&path, "old chart").expect("an earlier file");
        write_chart(&fixture::table(None), &path).expect("written");
        let svg = std::fs::read_to_string(&path).expect("read back");
        assert_eq!(svg, chart::svg(&fixture::table(None)).expect("rendered"), "the rendered bytes, whole");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
        assert_eq!(left.len(), 1, "no temporary file left behind");

        let missing = dir.path().join("manca").join("temi.svg");
        let e = write_chart(&fixture::table(None), &missing).expect_err("no such directory");
        assert!(e.to_string().starts_with(&format!("writing {}: ", missing.display())), "{e}");
        assert_eq!(e.exit_code(), 1, "a failed write is not bad input");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_in_place() {
        write_file(Path::new("/dev/null"), b"tabella").expect("no temporary file beside /dev/null");
    }

    #[test]
    fn the_workbook_time_is_source_date_epoch_when_it_is_a_timestamp() {
        assert_eq!(workbook_time(Some("1767225600".into())), time::macros::datetime!(2026-01-01 00:00 UTC));
        assert_eq!(workbook_time(Some(" 0\n".into())), OffsetDateTime::UNIX_EPOCH);
        let before = OffsetDateTime::now_utc();
        assert!(workbook_time(Some("ieri".into())) >= before, "not a timestamp: now");
        assert!(workbook_time(None) >= before);
    }
}

/// Format of `report messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagesFormat {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header line (comma-separated, UTF-8).
    Csv,
}

/// The columns of `report messages`, in order.
pub const MESSAGE_COLUMNS: [&str; 12] = [
    "id",
    "location",
    "date",
    "year",
    "channel",
    "status",
    "topic",
    "confidence",
    "decided_by",
    "reviewed",
    "model_version",
    "run",
];

/// `report messages`: one row per stored message, with what the store keeps of it (where it
/// is, date, channel, decision, versions) and nothing more.
pub fn messages(
    store_path: &StoreTarget,
    year: Option<i32>,
    format: MessagesFormat,
    out: &mut dyn std::io::Write,
) -> Result<(), Error> {
    super::existing_store(store_path)?;
    let store = Store::open_readonly(store_path).map_err(store_error(store_path))?;
    let rows = store.message_rows(year).map_err(store_error(store_path))?;
    let mut text = String::new();
    match format {
        MessagesFormat::Jsonl => {
            for r in &rows {
                // Plain strings and numbers: serialising cannot fail.
                text += &serde_json::to_string(r).unwrap_or_default();
                text.push('\n');
            }
        }
        MessagesFormat::Csv => {
            text += &MESSAGE_COLUMNS.join(",");
            text.push('\n');
            let opt = |s: &Option<String>| csv_field(s.as_deref().unwrap_or(""));
            for r in &rows {
                let fields = [
                    r.id.to_string(),
                    opt(&r.location),
                    opt(&r.date),
                    r.year.map(|y| y.to_string()).unwrap_or_default(),
                    csv_field(&r.channel),
                    csv_field(&r.status),
                    opt(&r.topic),
                    r.confidence.map(|c| format!("{c:.4}")).unwrap_or_default(),
                    opt(&r.decided_by),
                    u8::from(r.reviewed).to_string(),
                    opt(&r.model_version),
                    r.run.map(|x| x.to_string()).unwrap_or_default(),
                ];
                text += &fields.join(",");
                text.push('\n');
            }
        }
    }
    super::write_out(out, &text)
}

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}
