//! Command-line arguments, phase one (ripgrep's low-level arguments): the clap types, no logic.
//! Phase two, [`validate`], turns them into a [`urpmail::commands::Command`] with validated
//! arguments.

mod validate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Classifies the e-mail of an Italian comune's URP by topic and counts it for the yearly theme
/// tables.
#[derive(Debug, Parser)]
#[command(name = "urpmail", version, about, long_about = None)]
pub(crate) struct Cli {
    /// More log output on stderr (repeat for more). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// Output format of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Json,
    Table,
}

/// Naive-Bayes variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VariantArg {
    Complement,
    Multinomial,
}

/// Where the store is: `--config FILE | --store FILE|URL`, exactly one.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct StoreArgs {
    /// Configuration file: its store, and its rules and model where the command uses them.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Store file, or a PostgreSQL store as postgres://USER@HOST[:PORT]/DATABASE (with
    /// ?password_file=FILE&ca_file=FILE), instead of --config (with the built-in rules and model).
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<String>,
}

/// What `serve` shows: one store (`--config`, `--store`) or the enti of a consortium (`--enti`).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct ServeStoreArgs {
    /// Configuration file: its store, rules and model, and its mailboxes for the review.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Store file or postgres:// URL, instead of --config (built-in rules and model).
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<String>,
    /// A folder of configurations, one per ente (each with [ente] and its [store]): every account
    /// sees its own ente's store; consortium administrators choose among them.
    #[arg(long, value_name = "DIR")]
    pub enti: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Classify the built-in sample mailbox and print the e-mail theme table.
    Demo {
        /// Store file to record the sample mailbox in (default: a new one in a temporary folder).
        #[arg(long)]
        store: Option<PathBuf>,
        /// Worker threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Rules file tools.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Staff outputs: theme tables.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Apply a filled-in review file: audit trail, corrected counts, updated model. With
    /// --config, reviewed messages are re-read from its IMAP accounts too.
    Learn {
        #[command(flatten)]
        store: StoreArgs,
        /// Model to update instead of the store's active one (`builtin` or a path; with
        /// --config, a model file the configuration pins wins over the active one).
        #[arg(long)]
        model: Option<String>,
        /// Where to write the updated model (default: the folder STORE-models beside a store
        /// file, named by its version, or inside a PostgreSQL store; the newest 10 and the
        /// active one are kept).
        #[arg(long)]
        model_out: Option<PathBuf>,
        /// Who reviewed (default: the file's `reviewer`, else the login that ran urpmail-staff).
        #[arg(long)]
        reviewer: Option<String>,
        /// How many times each reviewed message counts in the naive-Bayes part against one
        /// message of the corpus the model was trained on (the default was chosen by
        /// bench/adapt.py).
        #[arg(long, value_name = "W", default_value_t = urpmail::commands::learn::LOCAL_WEIGHT)]
        local_weight: f32,
        /// Undo a correction batch instead (its number is printed when applied).
        #[arg(long, value_name = "BATCH", conflicts_with_all = ["file", "model", "model_out", "reviewer", "local_weight"])]
        undo: Option<i64>,
        /// The filled-in review file.
        #[arg(required_unless_present = "undo")]
        file: Option<PathBuf>,
    },
    /// Re-decide the stored, unreviewed decisions of a period with the model that decides for
    /// the store now (its active learned model), re-reading each message where it was found
    /// (IMAP read-only, archives, the sample). Reviewed decisions are never changed.
    Reclassify {
        #[command(flatten)]
        store: StoreArgs,
        /// Only messages of this year.
        #[arg(long, conflicts_with_all = ["since", "until"])]
        year: Option<i32>,
        /// Messages dated on or after this day (YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        /// Messages dated on or before this day (YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
        /// Print what would change per topic; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Worker threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Undo a reclassify run instead (its number is printed when it ran).
        #[arg(long, value_name = "RUN", conflicts_with_all = ["year", "since", "until", "dry_run"])]
        undo: Option<i64>,
    },
    /// Retention: drop snippets and per-message rows of messages older than a cutoff, keeping
    /// the aggregate counts (and their content keys, so archives are not counted twice).
    Prune {
        #[command(flatten)]
        store: StoreArgs,
        /// Days (e.g. 730) or a date YYYY-MM-DD: messages dated before it are pruned.
        #[arg(long)]
        older_than: String,
        /// Only remove the redacted snippets; keep the per-message rows.
        #[arg(long)]
        snippets_only: bool,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The staff web page (Italian): theme table, review and corrections, the service's state.
    /// Run it as the service user; it listens on loopback unless it has --tls-cert/--tls-key
    /// or --behind-proxy.
    Serve {
        #[command(flatten)]
        store: ServeStoreArgs,
        /// The accounts file (`urpmail users add`).
        #[arg(long, value_name = "FILE")]
        users: PathBuf,
        /// Address and port to listen on (port 0: any free port, printed at start).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// A TLS reverse proxy on this machine serves the page: allow any address and mark the
        /// session cookie Secure.
        #[arg(long, conflicts_with = "tls_cert")]
        behind_proxy: bool,
        /// Serve HTTPS with this certificate chain (PEM); with --tls-key.
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM); with --tls-cert.
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Store tools: move a store between a SQLite file and PostgreSQL.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Accounts of the staff web page.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Poll the configured IMAP mailboxes (read-only) into the store.
    Poll {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Process what is new and exit (for systemd timers and cron).
        #[arg(long)]
        once: bool,
    },
    /// Record local archives (.eml, directories, Maildir, mbox) in the store; idempotent.
    Ingest {
        #[command(flatten)]
        store: StoreArgs,
        /// Worker threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Archives to record.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Show checkpoints, backlog, the last run and counts; safe while the daemon runs.
    Status {
        #[command(flatten)]
        store: StoreArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// One line for monitoring, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the
        /// monitoring-plugin convention): every mailbox synced recently, backlog small.
        #[arg(long, conflicts_with = "format")]
        check: bool,
        /// With --check: also ask the server (read-only) how many messages wait above each
        /// checkpoint now (needs --config and its password).
        #[arg(long, requires = "check")]
        connect: bool,
        /// With --check: WARNING when a mailbox's last complete sync is older (seconds).
        #[arg(long, default_value_t = 900, requires = "check")]
        warning_age: i64,
        /// With --check: CRITICAL when a mailbox's last complete sync is older (seconds).
        #[arg(long, default_value_t = 3600, requires = "check")]
        critical_age: i64,
        /// With --check: WARNING from this many messages waiting in a mailbox.
        #[arg(long, default_value_t = 50, requires = "check")]
        warning_backlog: u64,
        /// With --check: CRITICAL from this many messages waiting in a mailbox.
        #[arg(long, default_value_t = 500, requires = "check")]
        critical_backlog: u64,
    },
    /// Classify messages: one JSON object per message on stdout (JSON Lines).
    Classify {
        /// .eml files, directories (recursive), Maildirs or mbox files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Model file, `default` (the built-in model) or `none` (rules alone).
        #[arg(long, default_value = "default")]
        model: String,
        /// Rules file, `default` (the built-in Italian rules) or `none` (the model alone; its
        /// labels become the taxonomy).
        #[arg(long, default_value = "default")]
        rules: String,
        /// Add the explanation: top topics with scores and the terms that decided.
        #[arg(long)]
        explain: bool,
        /// Worker threads (0 = all cores). Output order does not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Largest message accepted, in bytes; larger ones are recorded skips.
        #[arg(long, default_value_t = 25 * 1024 * 1024)]
        max_message_bytes: usize,
        /// Most MIME parts per message (attached messages included); more is a recorded skip.
        #[arg(long, default_value_t = 1_000)]
        max_mime_parts: usize,
        /// Deepest MIME nesting per message; deeper is a recorded skip.
        #[arg(long, default_value_t = 32)]
        max_mime_depth: usize,
    },
    /// Train a model from a corpus with one sub-folder per label, one message per file.
    Train {
        /// Corpus directory: DIR/<label>/<message files>.
        #[arg(long)]
        data: PathBuf,
        /// Model file to write.
        #[arg(long)]
        out: PathBuf,
        /// Rules file whose taxonomy the label folders must match (`default`: the built-in
        /// Italian rules), or `none` for any labels.
        #[arg(long, default_value = "default")]
        rules: String,
        /// Analyzer language.
        #[arg(long, default_value = "it", value_parser = ["it", "en"])]
        language: String,
        /// Naive-Bayes variant.
        #[arg(long, value_enum, default_value_t = VariantArg::Complement)]
        variant: VariantArg,
        /// Additive smoothing.
        #[arg(long, default_value_t = 0.3)]
        alpha: f64,
        /// Use raw term counts instead of log(1 + tf).
        #[arg(long)]
        no_tf_log: bool,
        /// Do not weight terms by inverse document frequency.
        #[arg(long)]
        no_idf: bool,
        /// Do not normalise document vectors to unit length.
        #[arg(long)]
        no_length_norm: bool,
        /// Weight-normalised complement NB (Rennie et al. 2003); complement variant only.
        #[arg(long)]
        weight_norm: bool,
        /// No adjacent-stem bigrams as features (they are used by default).
        #[arg(long)]
        no_bigrams: bool,
        /// How many times a subject term counts compared to a body term.
        #[arg(long, default_value_t = 3.0)]
        subject_weight: f32,
        /// How many times a term of a quoted reply, forwarded block or signature counts compared
        /// to a body term (0: such text is not read).
        #[arg(long, default_value_t = 0.5)]
        quote_weight: f32,
        /// Drop terms seen in fewer documents.
        #[arg(long, default_value_t = 1)]
        min_df: u32,
        /// Precision the per-topic review thresholds aim for.
        #[arg(long, default_value_t = 0.9)]
        review_precision: f64,
        /// Cost (C) of the one-vs-rest linear SVM beside naive Bayes; its margins are added to
        /// the naive-Bayes scores with a weight chosen on held-out folds.
        #[arg(long, value_name = "C", default_value_t = 1.0)]
        linear_cost: f64,
        /// Naive Bayes alone, without the linear SVM.
        #[arg(long, conflicts_with = "linear_cost")]
        no_linear: bool,
        /// Worker threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Evaluate a model on a labelled corpus (same layout as `train`).
    Eval {
        /// Corpus directory: DIR/<label>/<message files>.
        #[arg(long)]
        data: PathBuf,
        /// Model file, `default` or `none` (not with --cv, which trains its own).
        #[arg(long, default_value = "default", conflicts_with = "cv")]
        model: String,
        /// Rules file, `default` or `none`.
        #[arg(long, default_value = "default")]
        rules: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Worker threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// K-fold cross-validation instead of a given model: trains on K-1 folds of DIR and
        /// reports rules alone, model alone and combined (default training parameters).
        #[arg(long, value_name = "K")]
        cv: Option<usize>,
    },
}

/// `urpmail rules ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Validate a rules file (default: the built-in one) and print a summary.
    Check {
        /// Rules file.
        file: Option<PathBuf>,
    },
}

/// `urpmail config ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate a configuration file (passwords are read, never printed).
    Check {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Also log in to every account, EXAMINE every mailbox (read-only) and check that the
        /// store's folder is writable: run it as the service user before starting the service.
        #[arg(long)]
        connect: bool,
    },
}

/// `urpmail store ...`
#[derive(Debug, Subcommand)]
pub(crate) enum StoreCommand {
    /// Copy a store exactly into a new file or an empty PostgreSQL database, then check that
    /// every table and the theme counts agree (stop the daemon first).
    Copy {
        /// The store to copy: a file, or postgres://USER@HOST[:PORT]/DATABASE (with
        /// ?password_file=FILE&ca_file=FILE).
        #[arg(long, value_name = "FILE|URL")]
        from: String,
        /// Where to copy it: a new file, or an empty PostgreSQL database.
        #[arg(long, value_name = "FILE|URL")]
        to: String,
    },
}

/// `urpmail users ...`
#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Add an account, or set a new password for an existing one (asked twice at the terminal).
    Add {
        /// Account name (letters, digits, '.', '_', '-').
        name: String,
        /// The accounts file (created with mode 0600).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Read the password from the first line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
        /// The account sees only this ente's store (a page serving several enti, `serve --enti`).
        #[arg(long, value_name = "ID", conflicts_with = "admin")]
        ente: Option<String>,
        /// A consortium administrator: sees every ente the page serves, one at a time.
        #[arg(long)]
        admin: bool,
    },
    /// List the accounts (names only).
    List {
        /// The accounts file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Remove an account.
    Remove {
        /// Account name.
        name: String,
        /// The accounts file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
}

/// Breakdown of each topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ByArg {
    Month,
    Channel,
    Tipologia,
}

/// Format of the theme table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ThemesFormat {
    Table,
    Md,
    /// CSV for Italian Excel: UTF-8 with BOM, `;` separator, `,` decimals, notes below.
    Csv,
    /// Plain RFC 4180 CSV for scripts: `,` separator, `.` decimals, no notes.
    CsvPlain,
    Json,
    Xlsx,
}

/// Order of the doubtful decisions in the review file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReviewOrderArg {
    Information,
    Date,
    Random,
}

/// Format of `report messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum MessagesFormatArg {
    Jsonl,
    Csv,
}

/// `urpmail report ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// One row per stored message: id, location, date, year, channel, status, topic,
    /// confidence, decided_by, reviewed, model_version, run. Nothing personal beyond what the
    /// store keeps (no addresses, subjects or text).
    Messages {
        #[command(flatten)]
        store: StoreArgs,
        /// Only messages of this year.
        #[arg(long)]
        year: Option<i32>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = MessagesFormatArg::Jsonl)]
        format: MessagesFormatArg,
    },
    /// The JSON review report: doubtful decisions first, then a sample of confident ones.
    Review {
        #[command(flatten)]
        store: StoreArgs,
        /// Messages dated on or after this day (YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        /// Messages dated on or before this day (YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
        /// Items at most.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Confident decisions added for quality control.
        #[arg(long, default_value_t = 20)]
        sample: usize,
        /// Stratified quality sample instead: up to N confident decisions per topic (without
        /// --limit and --sample).
        #[arg(long, value_name = "N", conflicts_with_all = ["limit", "sample"])]
        per_topic: Option<usize>,
        /// Seed of the random sample (same seed, same sample).
        #[arg(long, default_value = "urpmail")]
        seed: String,
        /// Which doubtful decisions come first: the ones that teach the model most
        /// (uncertain, rules and model disagreeing, diverse topics), the oldest, or random.
        #[arg(long, value_enum, default_value_t = ReviewOrderArg::Information)]
        order: ReviewOrderArg,
        /// The review file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// The e-mail theme table of a year, with year-on-year change.
    Themes {
        #[command(flatten)]
        store: StoreArgs,
        /// Rules whose taxonomy labels the table (`default`: built-in; with --config, the config's).
        #[arg(long)]
        rules: Option<String>,
        /// Year (default: the latest year with data).
        #[arg(long)]
        year: Option<i32>,
        /// Years to compare with (default: the previous year with data).
        #[arg(long, num_args = 1..)]
        compare: Option<Vec<i32>>,
        /// Break each topic down by month, channel or request type.
        #[arg(long, value_enum)]
        by: Option<ByArg>,
        /// Output format (default: from the extension of --out: .txt .md .csv .json .xlsx;
        /// else table). xlsx needs --out.
        #[arg(long, value_enum)]
        format: Option<ThemesFormat>,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also draw a bar chart with year-on-year (.svg or .png).
        #[arg(long)]
        chart: Option<PathBuf>,
        /// For publication: hide cells below --min-cell (default 5).
        #[arg(long)]
        publish: bool,
        /// Small-cell threshold for --publish.
        #[arg(long, default_value_t = 5, requires = "publish")]
        min_cell: u64,
        /// Old topic id -> new topic id mapping (TOML `[mapping]`) for compared years.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Add each topic's precision measured on reviewed decisions (95% Wilson interval).
        #[arg(long)]
        with_accuracy: bool,
        /// Every ente of the shared PostgreSQL database side by side, one column each (the
        /// store given names the database; formats table, md, csv, csv-plain, json, xlsx).
        #[arg(long, conflicts_with_all = ["compare", "by", "chart", "mapping", "with_accuracy"])]
        all_enti: bool,
    },
}
