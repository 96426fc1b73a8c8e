//! Phase two of the arguments (ripgrep's high-level arguments): the clap types become a
//! [`Command`] whose arguments are checked and typed. Combinations clap cannot express are
//! refused here, and configuration files named by `--config` are loaded here, so a bad argument
//! or configuration fails (exit 2) before any work starts.

use urpmail::classify::bayes::{TrainParams, Variant};
use urpmail::commands::{
    self, Command, Error, ModelChoice, OutputFormat, RulesChoice, StoreChoice, classify, eval, learn, prune,
    reclassify, report, status, train,
};
use urpmail::config::Config;
use urpmail::parse::Limits;
use urpmail::report::themes::By;
use urpmail::store::StoreTarget;
use urpmail::web::users::Scope;

use super::{
    ByArg, Cli, Command as Raw, ConfigCommand, MessagesFormatArg, ReportCommand, ReportFormat,
    ReviewOrderArg, RulesCommand, StoreArgs, StoreCommand, ThemesFormat, UsersCommand, VariantArg,
};

impl Cli {
    /// The command these arguments ask for, validated.
    pub(crate) fn into_command(self) -> Result<Command, Error> {
        let progress = !self.quiet;
        Ok(match self.command {
            Raw::Classify {
                paths,
                model,
                rules,
                explain,
                threads,
                max_message_bytes,
                max_mime_parts,
                max_mime_depth,
            } => Command::Classify(classify::Args {
                paths,
                model: ModelChoice::parse(&model),
                rules: RulesChoice::parse(&rules),
                explain,
                threads,
                limits: Limits { max_message_bytes, max_mime_parts, max_mime_depth, ..Limits::default() },
                progress,
            }),
            Raw::Train {
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
                no_bigrams,
                subject_weight,
                quote_weight,
                min_df,
                review_precision,
                linear_cost,
                no_linear,
                threads,
            } => {
                let variant = match variant {
                    VariantArg::Complement => Variant::Complement,
                    VariantArg::Multinomial => Variant::Multinomial,
                };
                // The multinomial weights have no normalisation step: the flag would do nothing.
                if weight_norm && variant == Variant::Multinomial {
                    return Err(Error::Input(
                        "--weight-norm applies to --variant complement only: drop one of them".into(),
                    ));
                }
                let params = TrainParams {
                    variant,
                    alpha,
                    tf_log: !no_tf_log,
                    idf: !no_idf,
                    length_norm: !no_length_norm,
                    weight_norm,
                    bigrams: !no_bigrams,
                    subject_weight,
                    quote_weight,
                    min_df,
                    language,
                    review_precision,
                    linear_cost: (!no_linear).then_some(linear_cost),
                };
                Command::Train(train::Args { data, out, rules: RulesChoice::parse(&rules), params, threads })
            }
            Raw::Eval { data, model: _, rules, format, threads, cv: Some(folds) } => {
                // `--model` conflicts with `--cv` in clap: what is left here is its default.
                Command::CrossValidate {
                    args: eval::CvArgs {
                        data,
                        rules: RulesChoice::parse(&rules),
                        params: TrainParams { language: "it".into(), ..TrainParams::default() },
                        folds,
                        threads,
                    },
                    format: output_format(format),
                }
            }
            Raw::Eval { data, model, rules, format, threads, cv: None } => Command::Eval {
                args: eval::Args {
                    data,
                    model: ModelChoice::parse(&model),
                    rules: RulesChoice::parse(&rules),
                    threads,
                },
                format: output_format(format),
            },
            Raw::Demo { store, threads } => Command::Demo { store, threads },
            Raw::Rules { command: RulesCommand::Check { file } } => {
                Command::RulesCheck(file.map_or(RulesChoice::Default, RulesChoice::File))
            }
            Raw::Config { command: ConfigCommand::Check { config, connect } } => {
                Command::ConfigCheck { config: Box::new(Config::load(&config)?), connect }
            }
            Raw::Poll { config, once } => Command::Poll { config: Box::new(Config::load(&config)?), once },
            Raw::Ingest { store, threads, paths } => {
                Command::Ingest { store: store.validate()?, paths, threads }
            }
            Raw::Status {
                store,
                format: _,
                check: true,
                connect,
                warning_age,
                critical_age,
                warning_backlog,
                critical_backlog,
            } => {
                let store = store.validate()?;
                if warning_age > critical_age || warning_backlog > critical_backlog {
                    return Err(Error::Input(
                        "a --warning-* threshold is above its --critical-* one: swap them".into(),
                    ));
                }
                let connect = match (&store, connect) {
                    (_, false) => None,
                    (StoreChoice::Config(c), true) => Some(Config::load(&c.file)?),
                    (StoreChoice::Store(_), true) => {
                        return Err(Error::Input(
                            "--connect asks the mail server: give --config FILE instead of --store".into(),
                        ));
                    }
                };
                Command::StatusCheck(status::CheckArgs {
                    store: store.target().clone(),
                    connect,
                    warning_age,
                    critical_age,
                    warning_backlog,
                    critical_backlog,
                })
            }
            Raw::Status { store, format, .. } => {
                Command::Status { store: store.validate()?.target().clone(), format: output_format(format) }
            }
            Raw::Report { command } => report_command(command)?,
            Raw::Learn { store, model, model_out, reviewer, local_weight, undo, file } => {
                let store = store.validate()?;
                if let Some(batch) = undo {
                    return Ok(Command::Undo { store: store.target().clone(), batch });
                }
                let file = file.ok_or_else(|| Error::Input("give the review file".into()))?;
                if !(local_weight.is_finite() && local_weight > 0.0) {
                    return Err(Error::Input(format!(
                        "--local-weight {local_weight} must be a positive number (how many times a reviewed message counts)"
                    )));
                }
                // IMAP passwords are needed only to re-read reviewed messages from the mailbox;
                // without them those messages are counted as not re-read.
                let with_secrets = store.config().and_then(|c| Config::load(&c.file).ok());
                Command::Learn(learn::Args {
                    store: store.target().clone(),
                    rules: store.rules(),
                    model: model.as_deref().map_or_else(|| store.model(), ModelChoice::parse),
                    model_out,
                    reviewer,
                    file,
                    config: with_secrets,
                    local_weight,
                })
            }
            Raw::Reclassify { store, year, since, until, dry_run, threads, undo } => {
                let store = store.validate()?;
                if let Some(run) = undo {
                    return Ok(Command::ReclassifyUndo { store: store.target().clone(), run });
                }
                for (flag, day) in [("--since", &since), ("--until", &until)] {
                    if let Some(d) = day
                        && time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                            .is_err()
                    {
                        return Err(Error::Input(format!("{flag} {d:?} is not a day: write YYYY-MM-DD")));
                    }
                }
                // IMAP passwords are needed only to re-read messages from the mailboxes; without
                // them (a password file staff cannot read) those messages keep their decision and
                // are counted as not re-read.
                let store = match store {
                    StoreChoice::Config(c) => {
                        StoreChoice::Config(Config::load(&c.file).map(Box::new).unwrap_or(c))
                    }
                    s => s,
                };
                Command::Reclassify(reclassify::Args { store, year, since, until, dry_run, threads })
            }
            Raw::Serve { store, users, listen, behind_proxy, tls_cert, tls_key } => {
                // The service user runs the page: with configurations it reads the passwords, to
                // show messages from the mailboxes in the review.
                let stores = match (store.config, store.store, store.enti) {
                    (Some(c), _, _) => vec![StoreChoice::Config(Box::new(Config::load(&c)?))],
                    (None, Some(s), _) => vec![StoreChoice::Store(
                        StoreTarget::parse_arg(&s)
                            .map_err(|e| commands::Error::Input(format!("--store: {e}")))?,
                    )],
                    (None, None, Some(dir)) => enti_configs(&dir)?,
                    (None, None, None) => {
                        return Err(commands::Error::Input(
                            "give --config FILE, --store FILE|URL or --enti DIR".into(),
                        ));
                    }
                };
                let tls = tls_cert.zip(tls_key);
                Command::Serve(urpmail::web::ServeArgs { stores, users, listen, behind_proxy, tls })
            }
            Raw::Users { command: UsersCommand::Add { name, file, password_stdin, ente, admin } } => {
                let scope = match (ente, admin) {
                    (_, true) => Scope::Admin,
                    (Some(id), false) => {
                        urpmail::store::ente_schema(&id)
                            .map_err(|e| commands::Error::Input(format!("--ente: {e}")))?;
                        Scope::Ente(id)
                    }
                    (None, false) => Scope::Served,
                };
                let password = read_password(password_stdin)?;
                Command::UserAdd { file, name, password, scope }
            }
            Raw::Users { command: UsersCommand::Remove { name, file } } => Command::UserRemove { file, name },
            Raw::Users { command: UsersCommand::List { file } } => Command::UserList { file },
            Raw::Store { command: StoreCommand::Copy { from, to } } => {
                let target = |flag: &str, s: &str| {
                    StoreTarget::parse_arg(s).map_err(|e| commands::Error::Input(format!("{flag}: {e}")))
                };
                Command::StoreCopy { from: target("--from", &from)?, to: target("--to", &to)? }
            }
            Raw::Prune { store, older_than, snippets_only } => Command::Prune(prune::Args {
                store: store.validate()?.target().clone(),
                older_than,
                snippets_only,
            }),
        })
    }
}

fn report_command(command: ReportCommand) -> Result<Command, Error> {
    Ok(match command {
        ReportCommand::Messages { store, year, format } => Command::Messages {
            store: store.validate()?.target().clone(),
            year,
            format: match format {
                MessagesFormatArg::Jsonl => report::MessagesFormat::Jsonl,
                MessagesFormatArg::Csv => report::MessagesFormat::Csv,
            },
        },
        ReportCommand::Themes {
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
            all_enti,
        } => {
            let store = store.validate()?;
            let format = themes_format(format, out.as_deref())?;
            if all_enti {
                return Ok(Command::ThemesEnti(report::EntiArgs {
                    store: store.target().clone(),
                    rules: rules.as_deref().map_or_else(|| store.rules(), RulesChoice::parse),
                    year,
                    format,
                    out,
                    min_cell: publish.then_some(min_cell),
                }));
            }
            Command::Themes(report::ThemesArgs {
                store: store.target().clone(),
                rules: rules.as_deref().map_or_else(|| store.rules(), RulesChoice::parse),
                year,
                compare,
                by: by.map(|b| match b {
                    ByArg::Month => By::Month,
                    ByArg::Channel => By::Channel,
                    ByArg::Tipologia => By::Tipologia,
                }),
                format,
                out,
                chart,
                min_cell: publish.then_some(min_cell),
                mapping,
                with_accuracy,
            })
        }
        ReportCommand::Review { store, since, until, limit, sample, per_topic, seed, order, out } => {
            let store = store.validate()?;
            Command::Review {
                args: report::ReviewArgs {
                    store: store.target().clone(),
                    rules: store.rules(),
                    since,
                    until,
                    limit,
                    sample,
                    per_topic,
                    seed,
                    order: match order {
                        ReviewOrderArg::Information => report::ReviewOrder::Information,
                        ReviewOrderArg::Date => report::ReviewOrder::Date,
                        ReviewOrderArg::Random => report::ReviewOrder::Random,
                    },
                },
                out,
            }
        }
    })
}

impl StoreArgs {
    /// The store and settings; a configuration is loaded without secrets (reading or writing the
    /// store never needs the IMAP password).
    fn validate(self) -> Result<StoreChoice, Error> {
        match (self.config, self.store) {
            (Some(c), _) => Ok(StoreChoice::Config(Box::new(Config::load_without_secrets(&c)?))),
            (None, Some(s)) => StoreTarget::parse_arg(&s)
                .map(StoreChoice::Store)
                .map_err(|e| commands::Error::Input(format!("--store: {e}"))),
            // clap's argument group requires one; kept for a caller that builds `StoreArgs` itself.
            (None, None) => Err(commands::Error::Input("give --config FILE or --store FILE".into())),
        }
    }
}

fn output_format(f: ReportFormat) -> OutputFormat {
    match f {
        ReportFormat::Json => OutputFormat::Json,
        ReportFormat::Table => OutputFormat::Table,
    }
}

/// The theme table's format: the one asked for, which must fit the extension of `--out` when
/// that names another of our formats; else the one the extension names; else the terminal table.
/// A workbook is never written under a `.csv` name, nor a CSV under `.xlsx`; `--out /dev/stdout`
/// takes any format asked for.
fn themes_format(
    format: Option<ThemesFormat>,
    out: Option<&std::path::Path>,
) -> Result<report::Format, Error> {
    let asked = format.map(|f| match f {
        ThemesFormat::Table => report::Format::Table,
        ThemesFormat::Md => report::Format::Markdown,
        ThemesFormat::Csv => report::Format::Csv,
        ThemesFormat::CsvPlain => report::Format::CsvPlain,
        ThemesFormat::Json => report::Format::Json,
        ThemesFormat::Xlsx => report::Format::Xlsx,
    });
    const EXTENSIONS: &str = ".txt, .md, .csv, .json or .xlsx";
    match (asked, out) {
        (None, None) => Ok(report::Format::Table),
        (Some(f), None) => Ok(f),
        (None, Some(path)) => report::Format::for_extension(path).ok_or_else(|| {
            Error::Input(format!(
                "--out {}: the file name does not say which format to write: end it with {EXTENSIONS}, or give --format",
                path.display()
            ))
        }),
        (Some(f), Some(path)) if f.fits(path) => Ok(f),
        (Some(f), Some(path)) => {
            let hint = report::Format::for_extension(path).map_or_else(
                || format!("name the file with the format's extension ({EXTENSIONS})"),
                |g| format!("name it {} or use --format {}", path.with_extension(f.extension()).display(), g.name()),
            );
            Err(Error::Input(format!(
                "--format {} does not match --out {}: {hint}",
                f.name(),
                path.display()
            )))
        }
    }
}

/// A new web account's password: the first line of standard input, or asked twice at the
/// terminal without echo.
fn read_password(from_stdin: bool) -> Result<String, Error> {
    let line = |prompt: Option<&str>| -> Result<String, Error> {
        if let Some(p) = prompt {
            eprint!("{p}");
        }
        let mut s = String::new();
        std::io::stdin()
            .read_line(&mut s)
            .map_err(|e| Error::Io { context: "reading the password".into(), source: e })?;
        Ok(s.trim_end_matches(['\n', '\r']).to_string())
    };
    if from_stdin {
        return line(None);
    }
    // Without echo at a terminal: `stty -echo` around the two reads.
    let echo = |on: bool| {
        let _ = std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    echo(false);
    let first = line(Some("password: "));
    eprintln!();
    let second = line(Some("password again: "));
    eprintln!();
    echo(true);
    let (first, second) = (first?, second?);
    if first != second {
        return Err(Error::Input("the two passwords differ: nothing was changed".into()));
    }
    Ok(first)
}

/// `serve --enti DIR`: every `*.toml` in the folder, in name order, each with its `[ente]` (ids
/// unique), loaded with its passwords.
fn enti_configs(dir: &std::path::Path) -> Result<Vec<StoreChoice>, commands::Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        commands::Error::Input(format!("--enti {}: cannot read the folder: {e}", dir.display()))
    })?;
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out: Vec<StoreChoice> = Vec::with_capacity(files.len());
    for f in files {
        let c = Config::load(&f)?;
        let Some(ente) = &c.ente else {
            return Err(commands::Error::Input(format!(
                "{}: a configuration served with --enti needs its [ente] (id and name)",
                f.display()
            )));
        };
        if let Some(other) = out
            .iter()
            .filter_map(StoreChoice::config)
            .find(|o| o.ente.as_ref().is_some_and(|e| e.id == ente.id))
        {
            return Err(commands::Error::Input(format!(
                "{}: ente {:?} is also in {}: one configuration per ente",
                f.display(),
                ente.id,
                other.file.display()
            )));
        }
        out.push(StoreChoice::Config(Box::new(c)));
    }
    if out.is_empty() {
        return Err(commands::Error::Input(format!(
            "--enti {}: no .toml configuration in the folder",
            dir.display()
        )));
    }
    Ok(out)
}
