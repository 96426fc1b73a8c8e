//! The `urpmail` binary: parses arguments, sets up logging, dispatches to
//! [`urpmail::commands`] and maps errors to exit codes (0 ok, 1 failure while running, 2 bad
//! arguments or input files). The only place that prints errors.

#![allow(clippy::print_stderr, clippy::print_stdout)]

mod cli;

// Tokenising allocates many short strings; mimalloc is markedly faster than glibc malloc here.
// Built with `no_thp`: mimalloc does not ask for transparent huge pages, which on kernels with
// THP in `madvise` mode cost synchronous compaction stalls (0.1 s on some runs) and ~35 MB of
// extra resident memory for the same speed (bench/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use cli::{
    ByArg, Cli, Command, ConfigCommand, LogFormat, ReportCommand, ReportFormat, RulesCommand, ThemesFormat,
    VariantArg,
};
use urpmail::classify::bayes::{TrainParams, Variant};
use urpmail::commands::{self, ModelChoice, RulesChoice};
use urpmail::parse::Limits;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.downcast_ref::<commands::Error>().map_or(1, commands::Error::exit_code);
            eprintln!("urpmail: error: {e:#}");
            ExitCode::from(code as u8)
        }
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let default = if cli.quiet {
        "error"
    } else {
        match cli.verbose {
            0 => "warn,urpmail=info",
            1 => "info",
            _ => "debug",
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.compact().init(),
    }
}

/// The store and rules from `--config` or `--store`.
fn store_and_rules(
    config: Option<std::path::PathBuf>,
    store: Option<std::path::PathBuf>,
) -> anyhow::Result<(std::path::PathBuf, RulesChoice)> {
    match (config, store) {
        (Some(c), _) => {
            let c = urpmail::config::Config::load_without_secrets(&c).map_err(commands::Error::from)?;
            Ok((c.store_path, RulesChoice::parse(&c.rules)))
        }
        (None, Some(s)) => Ok((s, RulesChoice::Default)),
        (None, None) => Err(commands::Error::Input("give --config FILE or --store FILE".into()).into()),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let progress = !cli.quiet;
    match cli.command {
        Command::Classify {
            paths,
            model,
            rules,
            explain,
            threads,
            max_message_bytes,
            max_mime_parts,
            max_mime_depth,
        } => {
            let args = commands::classify::Args {
                paths,
                model: ModelChoice::parse(&model),
                rules: RulesChoice::parse(&rules),
                explain,
                threads,
                limits: Limits { max_message_bytes, max_mime_parts, max_mime_depth, ..Limits::default() },
                progress,
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            commands::classify::run(&args, &mut out)?;
        }
        Command::Train {
            data,
            out,
            rules,
            language,
            variant,
            alpha,
            no_tf_log,
            no_idf,
            no_length_norm,
            weight_norm,
            bigrams,
            subject_weight,
            min_df,
            review_precision,
            threads,
        } => {
            let params = TrainParams {
                variant: match variant {
                    VariantArg::Complement => Variant::Complement,
                    VariantArg::Multinomial => Variant::Multinomial,
                },
                alpha,
                tf_log: !no_tf_log,
                idf: !no_idf,
                length_norm: !no_length_norm,
                weight_norm,
                bigrams,
                subject_weight,
                min_df,
                language,
                review_precision,
            };
            let args =
                commands::train::Args { data, out, rules: RulesChoice::parse(&rules), params, threads };
            commands::train::run(&args)?;
        }
        Command::Demo { store, threads } => {
            let demo = commands::demo::run(store.as_deref(), threads)?;
            std::io::stdout().write_all(demo.text.as_bytes()).context("writing output")?;
            eprintln!("urpmail: the sample mailbox is recorded in {}", demo.store.display());
            eprintln!(
                "urpmail: messages to review: {} (fill in corrected_topic, then `urpmail learn --store {} {}`)",
                demo.review.display(),
                demo.store.display(),
                demo.review.display()
            );
            eprintln!("urpmail: chart: {}", demo.chart.display());
        }
        Command::Config { command: ConfigCommand::Check { config } } => {
            let config = urpmail::config::Config::load(&config).map_err(commands::Error::from)?;
            let summary = commands::config_check(&config)?;
            std::io::stdout().write_all(summary.as_bytes()).context("writing output")?;
        }
        Command::Poll { config, once } => {
            let config = urpmail::config::Config::load(&config).map_err(commands::Error::from)?;
            if let Some(s) = commands::poll::run(&config, once)? {
                tracing::info!(
                    fetched = s.totals.fetched,
                    classified = s.totals.classified,
                    duplicates = s.totals.duplicates,
                    "poll finished"
                );
            }
        }
        Command::Ingest { config, store, threads, paths } => {
            let (engine, store_path) = match (config, store) {
                (Some(c), _) => {
                    let config =
                        urpmail::config::Config::load_without_secrets(&c).map_err(commands::Error::from)?;
                    (commands::engine_for(&config)?, config.store_path)
                }
                (None, Some(s)) => {
                    let classifier =
                        commands::build_classifier(&ModelChoice::Default, &RulesChoice::Default)?;
                    let engine = urpmail::pipeline::Engine {
                        exclusions: commands::exclusions_of(&classifier),
                        classifier,
                        limits: Limits::default(),
                        snippets: false,
                    };
                    (engine, s)
                }
                (None, None) => {
                    return Err(commands::Error::Input("give --config FILE or --store FILE".into()).into());
                }
            };
            commands::ingest::run(&engine, &store_path, &paths, threads)?;
        }
        Command::Status { config, store, format } => {
            let path = match (config, store) {
                (Some(c), _) => {
                    urpmail::config::Config::load_without_secrets(&c)
                        .map_err(commands::Error::from)?
                        .store_path
                }
                (None, Some(s)) => s,
                (None, None) => {
                    return Err(commands::Error::Input("give --config FILE or --store FILE".into()).into());
                }
            };
            let st = commands::status::read(&path)?;
            let text = match format {
                ReportFormat::Json => serde_json::to_string_pretty(&st).context("serialising status")? + "\n",
                ReportFormat::Table => commands::status::to_text(&st),
            };
            std::io::stdout().write_all(text.as_bytes()).context("writing output")?;
        }
        Command::Report {
            command:
                ReportCommand::Themes {
                    config,
                    store,
                    rules,
                    year,
                    compare,
                    by,
                    format,
                    out,
                    chart,
                    publish,
                    min_cell,
                    mapping,
                    with_accuracy,
                },
        } => {
            let (store, config_rules) = match (config, store) {
                (Some(c), _) => {
                    let c =
                        urpmail::config::Config::load_without_secrets(&c).map_err(commands::Error::from)?;
                    (c.store_path, Some(c.rules))
                }
                (None, Some(s)) => (s, None),
                (None, None) => {
                    return Err(commands::Error::Input("give --config FILE or --store FILE".into()).into());
                }
            };
            let rules = rules.or(config_rules).unwrap_or_else(|| "default".into());
            let args = commands::report::ThemesArgs {
                store,
                rules: RulesChoice::parse(&rules),
                year,
                compare,
                by: by.map(|b| match b {
                    ByArg::Month => urpmail::report::themes::By::Month,
                    ByArg::Channel => urpmail::report::themes::By::Channel,
                    ByArg::Tipologia => urpmail::report::themes::By::Tipologia,
                }),
                format: match format {
                    ThemesFormat::Table => commands::report::Format::Table,
                    ThemesFormat::Md => commands::report::Format::Markdown,
                    ThemesFormat::Csv => commands::report::Format::Csv,
                    ThemesFormat::Json => commands::report::Format::Json,
                    ThemesFormat::Xlsx => commands::report::Format::Xlsx,
                },
                out,
                chart,
                min_cell: publish.then_some(min_cell),
                mapping,
                with_accuracy,
            };
            let (_, text) = commands::report::themes(&args)?;
            if let Some(t) = text {
                std::io::stdout().write_all(t.as_bytes()).context("writing output")?;
            }
        }
        Command::Report {
            command:
                ReportCommand::Review { config, store, since, until, limit, sample, per_topic, seed, out },
        } => {
            let (store, rules) = store_and_rules(config, store)?;
            let args =
                commands::report::ReviewArgs { store, rules, since, until, limit, sample, per_topic, seed };
            let file = commands::report::review(&args)?;
            let text = serde_json::to_string_pretty(&file).context("serialising review file")? + "\n";
            std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("urpmail: {} messages to review written to {}", file.items.len(), out.display());
        }
        Command::Learn { config, store, model, model_out, reviewer, undo, file } => {
            let loaded = match &config {
                Some(c) => {
                    Some(urpmail::config::Config::load_without_secrets(c).map_err(commands::Error::from)?)
                }
                None => None,
            };
            let store_path = match (&loaded, store) {
                (Some(c), _) => c.store_path.clone(),
                (None, Some(s)) => s,
                (None, None) => {
                    return Err(commands::Error::Input("give --config FILE or --store FILE".into()).into());
                }
            };
            if let Some(batch) = undo {
                let n = commands::learn::undo(&store_path, batch)?;
                eprintln!(
                    "urpmail: correction batch {batch} undone: {n} decisions restored (the model file it produced is left as is)"
                );
                return Ok(());
            }
            let file = file.ok_or_else(|| commands::Error::Input("give the review file".into()))?;
            // IMAP passwords are needed only to re-read reviewed messages from the mailbox.
            let with_secrets = match &config {
                Some(c) => urpmail::config::Config::load(c).ok(),
                None => None,
            };
            let args = commands::learn::Args {
                store: store_path,
                rules: RulesChoice::parse(loaded.as_ref().map_or("default", |c| c.rules.as_str())),
                model: ModelChoice::parse(
                    &model.unwrap_or_else(|| loaded.as_ref().map_or("default".into(), |c| c.model.clone())),
                ),
                model_out,
                reviewer,
                file,
                config: with_secrets,
            };
            let s = commands::learn::run(&args)?;
            println!(
                "correction batch {}: {} corrections, {} confirmations; model trained on {} reviewed messages ({} could not be re-read)",
                s.batch, s.corrections, s.confirmations, s.trained, s.not_trained
            );
            if let (Some(p), Some(v)) = (&s.model_path, &s.model_version) {
                println!(
                    "new model {v} written to {}: set `model = \"{}\"` in the configuration to use it",
                    p.display(),
                    p.display()
                );
            }
            println!("undo with: urpmail learn --undo {} ...", s.batch);
        }
        Command::Prune { config, store, older_than, snippets_only } => {
            let (store, _) = store_and_rules(config, store)?;
            let (cutoff, snippets, rows) = commands::prune(&store, &older_than, snippets_only)?;
            println!(
                "pruned messages dated before {cutoff}: {snippets} snippets removed, {rows} message rows folded into the aggregate counts"
            );
        }
        Command::Rules { command: RulesCommand::Check { file } } => {
            let choice = file.map_or(RulesChoice::Default, RulesChoice::File);
            let summary = commands::rules_check(&choice)?;
            std::io::stdout().write_all(summary.as_bytes()).context("writing output")?;
        }
        Command::Eval { data, model, rules, format, threads, cv: Some(folds) } => {
            let args = commands::eval::CvArgs {
                data,
                rules: RulesChoice::parse(&rules),
                params: TrainParams { language: "it".into(), ..TrainParams::default() },
                folds,
                threads,
            };
            let _ = model;
            let report = commands::eval::run_cv(&args)?;
            let text = match format {
                ReportFormat::Json => {
                    serde_json::to_string_pretty(&report).context("serialising report")? + "\n"
                }
                ReportFormat::Table => commands::eval::cv_table(&report),
            };
            std::io::stdout().write_all(text.as_bytes()).context("writing report")?;
        }
        Command::Eval { data, model, rules, format, threads, cv: None } => {
            let args = commands::eval::Args {
                data,
                model: ModelChoice::parse(&model),
                rules: RulesChoice::parse(&rules),
                threads,
            };
            let report = commands::eval::run(&args)?;
            let text = match format {
                ReportFormat::Json => {
                    serde_json::to_string_pretty(&report).context("serialising report")? + "\n"
                }
                ReportFormat::Table => urpmail::eval::to_table(&report),
            };
            std::io::stdout().write_all(text.as_bytes()).context("writing report")?;
        }
    }
    Ok(())
}
