//! The CLI commands, as a list (mini-redis's `cmd/mod.rs`). [`Command`] is every command with
//! its validated arguments (the binary's CLI module builds one from the clap types) and
//! [`Command::run`] hands it to its module. Each command takes validated arguments and writers;
//! none prints on its own, so they are testable in-process. Logs go through `tracing` (stderr).
//! [`Error`] is what every command returns; its [`Error::exit_code`] tells the caller what kind
//! of failure it was.

pub mod classify;
pub mod config;
mod corpus;
pub mod demo;
pub mod eval;
pub mod ingest;
pub mod learn;
pub mod poll;
pub mod prune;
pub mod reclassify;
pub mod report;
pub mod rules;
mod setup;
pub mod status;
pub mod train;

use std::io::Write;

use crate::store::StoreTarget;
use std::path::PathBuf;

pub use corpus::{Corpus, analyze_corpus, parse_file, read_corpus};
pub use prune::prune;
pub use setup::{
    ModelChoice, OutputFormat, RulesChoice, StoreChoice, build_classifier, engine_for, exclusions_of,
    existing_store, load_model, now, store_error, thread_pool, trained_at,
};

use crate::classify::bayes::ModelError;
use crate::classify::rules::RulesError;
use crate::config::Config;
use crate::report::ExportError;
use crate::source::local;

/// `urpmail rules check` (the old path).
pub use rules::check as rules_check;

/// `urpmail config check` (the old path).
pub use config::check as config_check;

/// A command with validated arguments.
#[derive(Debug)]
pub enum Command {
    /// JSON Lines, one per message, on `out`.
    Classify(classify::Args),
    /// A model file from a labelled corpus.
    Train(train::Args),
    /// The evaluation report of a model on a labelled corpus.
    Eval { args: eval::Args, format: OutputFormat },
    /// `eval --cv`: k-fold cross-validation (trains its own models).
    CrossValidate { args: eval::CvArgs, format: OutputFormat },
    /// The sample mailbox into a store, its theme table on `out`.
    Demo { store: Option<PathBuf>, threads: usize },
    /// A rules file's summary.
    RulesCheck(RulesChoice),
    /// A configuration's summary (loaded with its secrets).
    ConfigCheck { config: Box<Config>, connect: bool },
    /// The IMAP service (loaded with its secrets); `once` = one pass and exit.
    Poll { config: Box<Config>, once: bool },
    /// Local archives into the store.
    Ingest { store: StoreChoice, paths: Vec<PathBuf>, threads: usize },
    /// The store's status.
    Status { store: StoreTarget, format: OutputFormat },
    /// `status --check`: one monitoring line; its state is the exit status.
    StatusCheck(status::CheckArgs),
    /// The theme table.
    Themes(report::ThemesArgs),
    /// `report themes --all-enti`: the enti of a shared database side by side.
    ThemesEnti(report::EntiArgs),
    /// The review file, written to `out`.
    Review { args: report::ReviewArgs, out: PathBuf },
    /// A filled-in review file applied.
    Learn(learn::Args),
    /// `learn --undo BATCH`.
    Undo { store: StoreTarget, batch: i64 },
    /// Retention.
    Prune(prune::Args),
    /// Re-decide stored decisions with the active model.
    Reclassify(reclassify::Args),
    /// `reclassify --undo RUN`.
    ReclassifyUndo { store: StoreTarget, run: i64 },
    /// One row per stored message.
    Messages { store: StoreTarget, year: Option<i32>, format: report::MessagesFormat },
    /// The staff web page.
    Serve(crate::web::ServeArgs),
    /// A web account added or its password changed.
    UserAdd { file: PathBuf, name: String, password: String, scope: crate::web::users::Scope },
    /// A web account removed.
    UserRemove { file: PathBuf, name: String },
    /// The web accounts, one name per line.
    UserList { file: PathBuf },
    /// `store copy`: a store moved exactly, then checked.
    StoreCopy { from: StoreTarget, to: StoreTarget },
}

impl Command {
    /// Runs the command: the data asked for goes to `out` (stdout), notes for the person at the
    /// terminal to `notes` (stderr). Returns the exit status: 0, except for `status --check`,
    /// whose state (1 WARNING, 2 CRITICAL, 3 UNKNOWN) is its exit status by convention.
    pub fn run(self, out: &mut dyn Write, notes: &mut dyn Write) -> Result<u8, Error> {
        if let Command::StatusCheck(args) = &self {
            let (line, state) = status::check(args);
            write_out(out, &(line + "\n"))?;
            return Ok(state as u8);
        }
        self.run_command(out, notes).map(|()| 0)
    }

    fn run_command(self, out: &mut dyn Write, notes: &mut dyn Write) -> Result<(), Error> {
        match self {
            Command::Classify(args) => classify::run(&args, out).map(drop),
            Command::Train(args) => train::run(&args).map(drop),
            Command::Eval { args, format } => {
                let report = eval::run(&args)?;
                let text = match format {
                    OutputFormat::Json => to_json(&report, "serialising report")?,
                    OutputFormat::Table => crate::eval::to_table(&report),
                };
                write_out(out, &text)
            }
            Command::CrossValidate { args, format } => {
                let report = eval::run_cv(&args)?;
                let text = match format {
                    OutputFormat::Json => to_json(&report, "serialising report")?,
                    OutputFormat::Table => eval::cv_table(&report),
                };
                write_out(out, &text)
            }
            Command::Demo { store, threads } => {
                let demo = demo::run(store.as_deref(), threads)?;
                write_out(out, &demo.text)?;
                // The table first, then the notes about it, also when both go to one terminal.
                out.flush().map_err(|e| Error::Io { context: "writing output".into(), source: e })?;
                let (store, review) = (demo.store.display(), demo.review.display());
                note(notes, &format!("the sample mailbox is recorded in {store}"));
                note(
                    notes,
                    &format!(
                        "messages to review: {review} (fill in corrected_topic, then `urpmail learn --store {store} {review}`)"
                    ),
                );
                note(notes, &format!("chart: {}", demo.chart.display()));
                Ok(())
            }
            Command::RulesCheck(choice) => rules::run(&choice, out),
            Command::ConfigCheck { config, connect } => config::run(&config, connect, out),
            Command::Poll { config, once } => {
                if let Some(s) = poll::run(&config, once)? {
                    tracing::info!(
                        fetched = s.totals.fetched,
                        classified = s.totals.classified,
                        duplicates = s.totals.duplicates,
                        "poll finished"
                    );
                }
                Ok(())
            }
            Command::Ingest { store, paths, threads } => {
                let ente = store.config().and_then(|c| c.ente.clone());
                ingest::run(&store.engine()?, store.target(), ente.as_ref(), &paths, threads).map(drop)
            }
            Command::Status { store, format } => {
                let st = status::read(&store)?;
                let text = match format {
                    OutputFormat::Json => to_json(&st, "serialising status")?,
                    OutputFormat::Table => status::to_text(&st),
                };
                write_out(out, &text)
            }
            Command::ThemesEnti(args) => match report::themes_enti(&args)? {
                Some(text) => write_out(out, &text),
                None => Ok(()),
            },
            Command::Themes(args) => match report::themes(&args)? {
                (_, Some(text)) => write_out(out, &text),
                (_, None) => Ok(()),
            },
            Command::Review { args, out: path } => {
                let file = report::review(&args)?;
                let text = to_json(&file, "serialising review file")?;
                std::fs::write(&path, text)
                    .map_err(|e| Error::Io { context: format!("writing {}", path.display()), source: e })?;
                note(notes, &review_note(file.items.len(), &path));
                Ok(())
            }
            Command::Learn(args) => {
                let s = learn::run(&args)?;
                write_out(out, &learn::summary_text(&s, &args.store))
            }
            Command::Undo { store, batch } => {
                let u = learn::undo(&store, batch)?;
                note(notes, &learn::undone_text(batch, &u));
                Ok(())
            }
            Command::Reclassify(args) => {
                let s = reclassify::run(&args, notes)?;
                write_out(out, &reclassify::summary_text(&s))
            }
            Command::ReclassifyUndo { store, run } => {
                let (restored, kept) = reclassify::undo(&store, run)?;
                note(
                    notes,
                    &format!(
                        "reclassify run {run} undone: {restored} decisions restored, {kept} left as they are (reviewed by staff or re-decided by a later run since)"
                    ),
                );
                Ok(())
            }
            Command::Messages { store, year, format } => report::messages(&store, year, format, out),
            Command::Prune(args) => prune::run(&args, out),
            Command::Serve(args) => crate::web::serve(args, |addr, https| {
                let scheme = if https { "https" } else { "http" };
                note(
                    notes,
                    &format!("the staff page is at {scheme}://{addr}/ (stop with Ctrl-C or SIGTERM)"),
                );
                let _ = notes.flush();
            }),
            Command::UserAdd { file, name, password, scope } => {
                let new = crate::web::users::add(&file, &name, &password, scope)?;
                let what = if new { "added" } else { "password changed" };
                note(notes, &format!("account {name}: {what} in {}", file.display()));
                Ok(())
            }
            Command::StoreCopy { from, to } => {
                existing_store(&from)?;
                let c = crate::store::copy(&from, &to).map_err(Error::Store)?;
                let mut text = format!("copied {from} -> {to}: {} messages\n", c.messages);
                let rows: Vec<String> = c.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
                text += &format!("rows: {}\n", rows.join(", "));
                text += &format!("learned models: {} with their bytes", c.models);
                if !c.models_missing.is_empty() {
                    text += &format!(
                        ", {} without (removed by retention): {}",
                        c.models_missing.len(),
                        c.models_missing.join(", ")
                    );
                }
                text += "\nverified: every table has as many rows as the source, and the theme counts are equal\n";
                write_out(out, &text)
            }
            Command::UserList { file } => {
                let users = crate::web::users::Users::load(&file)?;
                let mut text = String::new();
                for name in users.names() {
                    text.push_str(name);
                    match users.scope(name) {
                        Some(crate::web::users::Scope::Ente(id)) => text.push_str(&format!("\tente {id}")),
                        Some(crate::web::users::Scope::Admin) => text.push_str("\tconsortium administrator"),
                        _ => {}
                    }
                    text.push('\n');
                }
                write_out(out, &text)
            }
            Command::UserRemove { file, name } => {
                if crate::web::users::remove(&file, &name)? {
                    note(notes, &format!("account {name} removed from {}", file.display()));
                    Ok(())
                } else {
                    Err(Error::Input(format!("{}: there is no account {name}", file.display())))
                }
            }
            // Answered by `run`.
            Command::StatusCheck(_) => Ok(()),
        }
    }
}

/// Writes the data the user asked for. A closed pipe comes back as an [`Error::Io`] whose
/// source is `BrokenPipe`; the binary ends quietly on it.
pub(crate) fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    out.write_all(text.as_bytes()).map_err(|e| Error::Io { context: "writing output".into(), source: e })
}

/// What `report review` says it wrote, in Italian for the staff who run it.
fn review_note(items: usize, path: &std::path::Path) -> String {
    let what = if items == 1 { "1 messaggio da rivedere scritto" } else { "messaggi da rivedere scritti" };
    let n = if items == 1 { String::new() } else { format!("{items} ") };
    format!("{n}{what} in {}", path.display())
}

/// A note for the person at the terminal. A note that cannot be written is dropped: the work is
/// done, and stderr is where the failure would have been reported.
fn note(notes: &mut dyn Write, text: &str) {
    let _ = writeln!(notes, "urpmail: {text}");
}

fn to_json(value: &impl serde::Serialize, context: &str) -> Result<String, Error> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Error::Io { context: context.into(), source: e.into() })
}

/// Errors a command reports. `exit_code` tells the supervisor what kind of failure it was.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model file that cannot be used: fix or retrain it.
    #[error("{path}: {source}")]
    Model { path: PathBuf, source: ModelError },
    /// A bad input file or argument the user gave.
    #[error("{0}")]
    Input(String),
    /// I/O while running, writing outputs included (a full disk, a folder that does not exist).
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    /// Building the model failed.
    #[error("training failed: {0}")]
    Train(ModelError),
    /// Classifier assembly failed.
    #[error(transparent)]
    Classifier(#[from] crate::classify::ClassifierError),
    /// A rules file that cannot be used.
    #[error("{0}")]
    Rules(RulesError),
    /// A configuration file that cannot be used.
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    /// The store failed.
    #[error("{0}")]
    Store(crate::store::StoreError),
    /// A report file (workbook, chart) could not be produced or was asked for in a way that
    /// cannot be served.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The mail server could not be reached or dropped the connection (retry later).
    #[error("{0}")]
    Unavailable(String),
}

impl Error {
    /// 2 for problems with what the user gave (arguments, files, model), 1 for failures while
    /// running (writing an output file included), 75 for a server to retry later.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Model { .. }
            | Error::Input(_)
            | Error::Classifier(_)
            | Error::Rules(_)
            | Error::Config(_)
            | Error::Export(ExportError::Font(_)) => 2,
            Error::Unavailable(_) => 75,
            Error::Store(e) if e.is_unavailable() => 75,
            Error::Store(_) => 1,
            Error::Io { .. } | Error::Train(_) | Error::Export(ExportError::Render(_)) => 1,
        }
    }
}

impl From<local::SourceError> for Error {
    fn from(e: local::SourceError) -> Self {
        Error::Input(e.to_string())
    }
}
